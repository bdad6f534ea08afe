/* Subcommands whose issues have not landed yet. */
#include <stdio.h>

#include "cmd.h"

static int later(const char *what)
{
    fprintf(stderr, "gongkai %s: not available in this build yet\n", what);
    return 2;
}

int cmd_check(int argc, char **argv) { (void)argc; (void)argv; return later("check"); }
int cmd_import_report(int argc, char **argv) { (void)argc; (void)argv; return later("import-report"); }
