/* gongkai — the command-line tool: one binary, one subcommand per task. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "event.h"
#include "hash.h"
#include "log.h"
#include "tables.h"
#include "utf8.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} commands[] = {
    {"migrate", cmd_migrate, "apply sql/ migrations to GONGKAI_DB (idempotent)"},
    {"publish", cmd_publish, "send JSON Lines events to gongkai-intake, print the acknowledgements"},
    {"rejects", cmd_rejects, "list stored rejections, newest first"},
    {"report", cmd_report, "print an agency's report for a year from the aggregator"},
    {"document", cmd_document, "print an agency's annual report for a year as one HTML page (official layout)"},
    {"narrative", cmd_narrative, "set or show the prose sections (一, 五, 六) of an annual report"},
    {"release", cmd_release, "freeze an annual report as release N (tables, prose, document, SHA-256)"},
    {"audit", cmd_audit, "import and check every report found under directories; one summary (text, csv, html)"},
    {"verify", cmd_verify, "recompute reports from the event log and compare with the aggregator"},
    {"doctor", cmd_doctor, "list every event log row this build cannot use (read-only)"},
    {"keygen", cmd_keygen, "write a CURVE key pair NAME.key (secret) and NAME.pub"},
    {"check", cmd_check, "check reports (contract JSON) for arithmetic and cross-year errors"},
    {"import-report", cmd_import_report, "turn a published report's text into contract JSON"},
    {"template", cmd_template, "print the rows and columns of the report tables (both formats) as JSON"},
    {"agency", cmd_agency, "register agencies: names and the hierarchy for roll-ups"},
    {"calendar", cmd_calendar, "load a year's holiday notice into the working-day calendar"},
    {"open", cmd_open, "list an agency's open applications, soonest due first"},
    {"health", cmd_health, "health check for containers and systemd: intake's feed, the aggregator's /healthz"},
};

int cmd_verb_or_help(int argc, char **argv, const char *usage_text)
{
    if (argc < 2) {
        fprintf(stderr, "%s\n", usage_text);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("%s\n", usage_text); /* asked for: stdout, exit 0, as every other command */
        return 0;
    }
    return -1;
}

struct pg_conn *cmd_db(const char *prog, const char *conninfo)
{
    char app[64];
    snprintf(app, sizeof app, "%s", prog);
    for (char *p = app; *p; p++)
        if (*p == ' ')
            *p = '-';
    PGconn *c = db_connect(conninfo, app); /* logs libpq's message */
    if (!c)
        fprintf(stderr, "%s: cannot connect to the database (GONGKAI_DB or --db; the line above says why)\n",
                prog);
    return c;
}

int cmd_agency_year(const char *prog, const char *agency, const char *year, int *y)
{
    char shown[120];
    if (!ev_agency_valid(agency)) {
        fprintf(stderr, "%s: agency: \"%s\" does not match " EV_AGENCY_PATTERN "\n", prog,
                utf8_shown(agency, shown, sizeof shown));
        return 2;
    }
    char *end;
    errno = 0;
    long v = strtol(year, &end, 10);
    if (errno || *end || !*year || v < YEAR_MIN || v > YEAR_MAX) {
        fprintf(stderr, "%s: year: \"%s\" is not a year in %d-%d\n", prog,
                utf8_shown(year, shown, sizeof shown), YEAR_MIN, YEAR_MAX);
        return 2;
    }
    *y = (int)v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: gongkai COMMAND [OPTIONS] [ARGS]   (gongkai COMMAND --help for each)\n\n"
               "gongkai keeps the statistical tables of the annual government information\n"
               "disclosure reports live from events. Commands:\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].what);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    hash_key_random(); /* what a command hashes stays in its memory (hash.h) */
    const char *lvl = getenv("GONGKAI_LOG_LEVEL");
    if (lvl && log_parse_level(lvl) >= 0)
        log_set_level((enum log_level)log_parse_level(lvl));
    else
        log_set_level(LOG_WARN);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gongkai: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
