/* cmd — the subcommands of the `gongkai` CLI.
 *
 * Each is `int cmd_NAME(int argc, char **argv)` with argv[0] the subcommand
 * name; it returns the process exit code (0 ok, 1 a finding/rejection,
 * 2 usage or connection failure). cli/main.c dispatches by name.
 */
#ifndef GK_CMD_H
#define GK_CMD_H

int cmd_migrate(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_rejects(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_import_report(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_agency(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_document(int argc, char **argv);
int cmd_narrative(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* For a command with verbs (gongkai agency add|list|load): -1 when argv[1]
 * is a verb to go on with; else the exit code after printing usage — 0 on
 * stdout for --help or -h, 2 on stderr when no verb is given. */
int cmd_verb_or_help(int argc, char **argv, const char *usage);

/* Connects to conninfo for command prog ("gongkai rejects": the session's
 * application_name is "gongkai-rejects"); NULL after a line on stderr saying
 * so and why (libpq's message). */
struct pg_conn;
struct pg_conn *cmd_db(const char *prog, const char *conninfo);

/* Checks an --agency code and a --year (1990-2100): 0 with *year set, or 2
 * after a message on stderr naming the value ("PROG: agency: ..."). */
int cmd_agency_year(const char *prog, const char *agency, const char *year, int *y);

#endif
