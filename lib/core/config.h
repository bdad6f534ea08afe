/* config — table-driven options: each a flag, an environment variable and a
 * default, in that order of precedence, with one line of help.
 *
 *   static const char *db;
 *   struct config_opt opts[] = {
 *       {"db", "GONGKAI_DB", "dbname=gongkai", "libpq conninfo", &db},
 *       {0}};
 *   int i = config_parse("gongkai-intake", USAGE, opts, argc, argv);
 *
 * Strings point into argv or the environment (not owned). A flag is written
 * --name VALUE or --name=VALUE; an option whose default is NULL and whose help
 * starts with "[flag]" is a switch (value "1" when given). --help prints the
 * usage with every option, its variable and its default, then exits 0.
 */
#ifndef GK_CONFIG_H
#define GK_CONFIG_H

struct config_opt {
    const char *name;   /* flag without the dashes */
    const char *env;    /* environment variable, or NULL */
    const char *def;    /* default, or NULL */
    const char *help;   /* one line */
    const char **value; /* where the result goes */
};

/* Returns the index in argv of the first operand (argc when none); operands
 * may stand before, between or after flags and are moved, in order, to the
 * end of argv. Unknown flags and missing values print an error and the
 * usage, then exit(2). */
int config_parse(const char *prog, const char *usage, const struct config_opt *opts, int argc,
                 char **argv);

/* What both services do after config_parse: refuse operands, apply the
 * --log-level. 0, or 2 (the exit code) after a message on stderr. */
int config_service(const char *prog, int first_operand, int argc, char **argv, const char *level);

/* What both services do with signals: TERM, INT and HUP go to on_signal
 * (which only sets flags), SIGPIPE is ignored (a peer gone is an error
 * return, not a death). */
void config_signals(void (*on_signal)(int));

#endif
