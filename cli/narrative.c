/* gongkai narrative — the annual report's prose sections (一, 五, 六): set
 * a new version from a Markdown file, or show one (sql/010, narrative.h). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "narrative.h"
#include "tables.h"
#include "utf8.h"

static const char USAGE[] =
    "usage: gongkai narrative set --agency A --year Y --section 1|5|6 FILE   (FILE - for stdin)\n"
    "       gongkai narrative show --agency A --year Y --section 1|5|6 [--version N]\n\n"
    "The prose of agency A's annual report for year Y, in Markdown: section 1\n"
    "(一、总体情况), 5 (五、存在的主要问题及改进情况) or 6 (六、其他需要报告的事项).\n"
    "`set` stores FILE as the section's next version (UTF-8, at most 64 KiB) and\n"
    "prints the version; `show` prints the newest version, or version N, to stdout\n"
    "(nothing for a section never written). Every version is kept. A dashboard\n"
    "does the same with GET/PUT /v1/reports/{agency}/{year}/narrative/{section}.";

/* Who writes: the operating-system user, as the database cannot say which
 * person a shared login is. */
static void writer_name(char *out, size_t cap)
{
    struct passwd *pw = getpwuid(getuid());
    snprintf(out, cap, "cli:%s", pw && pw->pw_name ? pw->pw_name : "?");
}

/* The common options: 0 with agency, year and section checked; 2 after a
 * message naming the bad one. */
static int check_target(const char *agency, const char *year, const char *section, int *y, int *s)
{
    char why[300];
    if (!agency || !year || !section) {
        fprintf(stderr, "gongkai narrative: --agency, --year and --section are required (see --help)\n");
        return 2;
    }
    if (cmd_agency_year("gongkai narrative", agency, year, y))
        return 2;
    if (narrative_section_parse(section, s, why, sizeof why)) {
        fprintf(stderr, "gongkai narrative: %s\n", why);
        return 2;
    }
    return 0;
}

static int read_text(const char *path, struct buf *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char shown[300];
    if (!f) {
        fprintf(stderr, "gongkai narrative: %s: %s\n", utf8_shown(path, shown, sizeof shown), strerror(errno));
        return -1;
    }
    int rc = buf_read_max(b, f, NARRATIVE_MAX);
    int e = errno;
    if (f != stdin)
        fclose(f);
    if (rc) {
        fprintf(stderr, "gongkai narrative: %s: %s\n", utf8_shown(path, shown, sizeof shown),
                rc > 0 ? "more than the 64 KiB a section may hold" : strerror(e));
        return -1;
    }
    return 0;
}

int cmd_narrative(int argc, char **argv)
{
    int v = cmd_verb_or_help(argc, argv, USAGE);
    if (v >= 0)
        return v;
    const char *verb = argv[1];
    if (strcmp(verb, "set") != 0 && strcmp(verb, "show") != 0) {
        char shown[60];
        fprintf(stderr, "gongkai narrative: unknown verb \"%s\" (set or show)\n",
                utf8_shown(verb, shown, sizeof shown));
        return 2;
    }
    const char *db, *agency, *year, *section, *version;
    const struct config_opt opts[] = {
        {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
        {"agency", NULL, NULL, "agency code (required)", &agency},
        {"year", NULL, NULL, "report year (required)", &year},
        {"section", NULL, NULL, "1, 5 or 6 (required)", &section},
        {"version", NULL, "0", "show: the version to print (0: the newest)", &version},
        {0}};
    int i = config_parse("gongkai narrative", USAGE, opts, argc - 1, argv + 1) + 1;
    int y, s;
    int rc = check_target(agency, year, section, &y, &s);
    if (rc)
        return rc;
    int set = strcmp(verb, "set") == 0;
    if (set ? i != argc - 1 : i != argc) {
        fprintf(stderr, set ? "gongkai narrative set: one FILE (or -) is required\n"
                            : "gongkai narrative show: no operands are taken\n");
        return 2;
    }
    char *end;
    long want = strtol(version, &end, 10);
    if (*end || want < 0 || want > 1000000000) {
        fprintf(stderr, "gongkai narrative: --version \"%s\": a version number (0: the newest)\n", version);
        return 2;
    }
    struct buf text = {0};
    char why[300];
    if (set) {
        if (read_text(argv[i], &text)) {
            buf_free(&text);
            return 2;
        }
        if (narrative_text_check(text.data ? text.data : "", text.len, why, sizeof why)) {
            fprintf(stderr, "gongkai narrative: %s\n", why);
            buf_free(&text);
            return 2;
        }
        buf_putc(&text, '\0');
    }
    PGconn *c = cmd_db("gongkai narrative", db);
    if (!c) {
        buf_free(&text);
        return 2;
    }
    if (set) {
        char who[NARRATIVE_WHO_MAX + 1];
        writer_name(who, sizeof who);
        int got = 0;
        rc = narrative_set(c, agency, y, s, text.data, who, &got);
        if (rc == DB_OK)
            printf("%s %d section %d: version %d\n", agency, y, s, got);
        else
            fprintf(stderr, "gongkai narrative: not stored: %s", PQerrorMessage(c));
        rc = rc == DB_OK ? 0 : 1;
    } else {
        struct narrative n = {0};
        rc = narrative_get(c, agency, y, s, (int)want, &n);
        if (rc == 1)
            fprintf(stderr, "gongkai narrative: %s %d section %d has no version %ld\n", agency, y, s, want);
        else if (rc != DB_OK)
            fprintf(stderr, "gongkai narrative: cannot read: %s", PQerrorMessage(c));
        else
            fputs(n.body, stdout);
        rc = rc == DB_OK ? 0 : 1;
        narrative_clear(&n);
    }
    buf_free(&text);
    PQfinish(c);
    return rc;
}
