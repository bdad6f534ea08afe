/* reportcheck — the arithmetic and cross-year checks of annual reports.
 *
 * Input is one or more reports in the contract's JSON form (spec/report.md),
 * where any cell may be JSON null: a blank printed cell. A blank is "not
 * filled", never a contradiction by itself, so a sum with a blank term is not
 * checked; the blank gets a warning instead, naming the value the other cells
 * imply when exactly one blank stands in a sum.
 *
 * Rules (stable names, used by scripts):
 *
 *   error    structure              missing key, wrong type, wrong length
 *   error    negative_value         a count below zero
 *   error    balance                received + carried_over
 *                                   = total_processed + carried_forward
 *   error    outcome_sum            sum of outcome rows = total_processed
 *   error    applicant_sum          six applicant columns = total, per row
 *   error    reviews_sum            upheld+corrected+other+pending = total
 *   error    items_chain            items_prev_year + items_change >= 0
 *   error    carried_over_chain     carried_forward(Y-1) = carried_over(Y)
 *   error    items_prev_year_chain  items_prev_year(Y)
 *                                   = items_prev_year + items_change (Y-1)
 *   error    in_force_chain         in_force(Y)
 *                                   = in_force(Y-1) + issued(Y) - repealed(Y)
 *   warning  blank_cell             a blank cell
 *   warning  template_2019_row      a 2021-template report with a 2019-only
 *                                   row or column (the single `other` row,
 *                                   items_* columns, …)
 *   warning  template_2021_row      the reverse
 *   warning  template_year          template "2019" for a year >= 2021, or
 *                                   "2021" for a year <= 2020
 *   warning  unknown_key            a key the contract does not define
 *
 * Cross-year rules apply to two reports of one agency for consecutive years:
 * the same "agency" code, or, for two imported with the code "unknown", the
 * same printed "name". Their findings belong to the later report and name
 * its cell.
 *
 * Each finding names its cell as section.row.column, e.g.
 * applications.total_processed.natural_person or reviews_litigation.review.total.
 */
#ifndef GK_REPORTCHECK_H
#define GK_REPORTCHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

enum check_severity { CHECK_ERROR, CHECK_WARNING };

struct check_finding {
    enum check_severity severity;
    const char *rule; /* static string, one of the names above */
    char *cell;       /* owned: section.row.column */
    json_t *printed;  /* owned reference: what the report prints (null = blank) */
    json_t *expected; /* owned reference: what the other cells imply, or a
                       * description (a string) for structural findings */
    size_t report;    /* index of the report in reportcheck_run's input */
};

struct check_findings {
    struct check_finding *items;
    size_t count;
    size_t cap;
    size_t errors;
    size_t warnings;
};

/* Checks n reports, each a JSON value (any JSON value: a non-object is a
 * structure finding). The reports are borrowed; the result is the caller's,
 * released with reportcheck_free. Never fails. */
struct check_findings *reportcheck_run(json_t *const *reports, size_t n);
void reportcheck_free(struct check_findings *f);

/* Renders findings one per line:
 *   NAME: error outcome_sum applications.total_processed.total: printed 58, expected 59
 * names[i] labels report i (a file name); names may be NULL. */
void reportcheck_render_text(FILE *out, const struct check_findings *f,
                             const char *const *names);

/* A new JSON array of {"severity","rule","cell","printed","expected"}, each
 * with "report": names[i] as well when names is not NULL. Caller decrefs. */
json_t *reportcheck_to_json(const struct check_findings *f,
                            const char *const *names);

const char *reportcheck_severity_name(enum check_severity s);

#endif
