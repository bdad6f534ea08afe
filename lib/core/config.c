/* config — flags, environment, defaults (see config.h). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int is_switch(const struct config_opt *o)
{
    return strncmp(o->help, "[flag]", 6) == 0;
}

static void usage(FILE *f, const char *prog, const char *text, const struct config_opt *opts)
{
    fprintf(f, "%s\n", text);
    if (!opts[0].name)
        return;
    fprintf(f, "\nOptions (a flag wins over its environment variable):\n");
    for (const struct config_opt *o = opts; o->name; o++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s", o->name, is_switch(o) ? "" : " VALUE");
        fprintf(f, "  %-22s %s\n", flag, is_switch(o) ? o->help + 7 : o->help);
        if (o->env || o->def)
            fprintf(f, "  %-22s %s%s%s%s%s\n", "", o->env ? "env " : "", o->env ? o->env : "",
                    o->env && o->def ? ", " : "", o->def ? "default " : "", o->def ? o->def : "");
    }
    fprintf(f, "  %-22s %s\n", "--help", "this text");
    (void)prog;
}

int config_parse(const char *prog, const char *text, const struct config_opt *opts, int argc,
                 char **argv)
{
    for (const struct config_opt *o = opts; o->name; o++) {
        const char *v = o->env ? getenv(o->env) : NULL;
        *o->value = v && *v ? v : o->def;
    }
    /* Operands may stand anywhere (GNU style): they are moved, in order, to
     * the end of argv, and the index of the first is returned. */
    int nops = 0, i = 1, out = 1;
    char *ops_buf[256];
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc && nops < 256; i++)
                ops_buf[nops++] = argv[i];
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, prog, text, opts);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (nops == 256) {
                fprintf(stderr, "%s: too many arguments\n", prog);
                exit(2);
            }
            ops_buf[nops++] = argv[i];
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct config_opt *o = opts;
        for (; o->name; o++)
            if (strlen(o->name) == n && strncmp(o->name, a + 2, n) == 0)
                break;
        if (!o->name) {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", prog, a);
            exit(2);
        }
        argv[out++] = argv[i];
        if (is_switch(o)) {
            *o->value = eq ? eq + 1 : "1";
        } else if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
            argv[out++] = argv[i];
        } else {
            fprintf(stderr, "%s: option --%s needs a value (see --help)\n", prog, o->name);
            exit(2);
        }
    }
    for (int k = 0; k < nops; k++)
        argv[out + k] = ops_buf[k];
    return out;
}

int config_service(const char *prog, int first_operand, int argc, char **argv, const char *level)
{
    if (first_operand != argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\" (see --help)\n", prog, argv[first_operand]);
        return 2;
    }
    int l = log_parse_level(level);
    if (l < 0) {
        fprintf(stderr, "%s: --log-level \"%s\": use debug, info, warn or error\n", prog, level);
        return 2;
    }
    log_set_level((enum log_level)l);
    return 0;
}

void config_signals(void (*on_signal)(int))
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
