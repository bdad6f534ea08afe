/* deadline — the legal due date of one application for disclosure.
 *
 * The rules of spec/timeliness.md (《政府信息公开条例》 2019, articles 30–35,
 * and the 2007 Regulations for applications received before 2019-05-15) as
 * one pure function: a timeline of what has happened to the application, a
 * calendar and "today" in; due date, state and counts out. No I/O, no
 * global state, no allocation that outlives the call, so the live page,
 * the year-end report and `verify` all compute the same thing.
 *
 * The caller folds the events into a struct dl_timeline (the later event of
 * a type wins, as events.md says) and passes only what had happened by
 * `today`: for a report at a year's cut-off, today is the cut-off day and
 * later events are left out.
 *
 * All days are calendar.h day numbers; CAL_DAY_NONE means "not happened".
 */
#ifndef GK_DEADLINE_H
#define GK_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"

/* Article 33: 20 working days, extendable by at most 20 in all. */
#define DL_LIMIT 20
#define DL_EXTENSION_MAX 20
/* 2007 Regulations, article 24: 15, extendable by 15. */
#define DL_LIMIT_2007 15
#define DL_EXTENSION_MAX_2007 15
/* Article 30: the 补正 notice is due within 7 working days of receipt. */
#define DL_SUPPLEMENT_NOTICE 7

/* One consultation (征求意见, articles 32–34). Both days are paused. */
struct dl_consultation {
    int32_t started;
    int32_t ended; /* CAL_DAY_NONE while it is still open */
};

/* What has happened to one application. Borrowed by deadline_compute. */
struct dl_timeline {
    int32_t received;             /* R: required */
    int32_t supplement_requested; /* 补正 notice sent, or CAL_DAY_NONE */
    int32_t supplement_received;  /* R′, or CAL_DAY_NONE */
    int extension_days;           /* working days of extension in all, 0 if none */
    const struct dl_consultation *consultations;
    size_t n_consultations;
    int32_t deadline_set;         /* article 35 due date, or CAL_DAY_NONE */
    int32_t answered;             /* application_resolved, or CAL_DAY_NONE */
};

/* Sets every field to "nothing happened" and received to r. */
void dl_timeline_init(struct dl_timeline *t, int32_t r);

enum dl_state {
    DL_RUNNING,
    DL_AWAITING_SUPPLEMENT,
    DL_IN_CONSULTATION,
    DL_ANSWERED,
};

enum dl_outcome {
    DL_OPEN,        /* not answered yet */
    DL_ON_THE_SPOT, /* answered on the receipt day (当场答复) */
    DL_ON_TIME,
    DL_LATE,
};

struct dl_result {
    enum dl_state state;
    enum dl_outcome outcome;
    bool rules_2007;      /* received before 2019-05-15 */
    int limit;            /* working days allowed: 20 or 15, plus extensions */
    int32_t clock_start;  /* R, or R′ once the corrected application arrived */

    /* CAL_DAY_NONE while it cannot be known yet: awaiting a supplement, or
     * in a consultation that is still open. */
    int32_t due;
    /* due was computed over days whose notice is not loaded (calendar.h);
     * never set for an article 35 date, which is a date, not a count. */
    bool provisional;

    /* Counted working days from clock_start to today (or to the answer, or
     * to the 补正 notice while the clock is stopped). Never negative. */
    int elapsed;
    /* Counted working days from today to due, negative once it has passed.
     * Meaningful only while open with a due date. */
    int left;
    bool overdue;         /* open, and today is after due */

    int taken;            /* answered: counted working days from clock_start */

    /* 补正 notice: due day (CAL_DAY_NONE if none was sent, or under the
     * 2007 rules) and whether it was sent after that day. */
    int32_t supplement_notice_due;
    bool supplement_late;
};

/* Computes the result for t as of today. Returns 0, or -1 with a message
 * naming the offending field and value in err (and *out unspecified) when
 * the timeline is inconsistent: an event dated before receipt, a
 * consultation ending before it started, R′ without a notice, an extension
 * over the limit. c must be loaded as the caller wishes (count_makeup_days
 * included). */
int deadline_compute(const struct calendar *c, const struct dl_timeline *t, int32_t today,
                     struct dl_result *out, char *err, size_t errlen);

/* The extension allowed in all for an application received on r. */
int deadline_extension_max(int32_t received);

/* For the intake: may an extension_granted of `working_days` be added to
 * `granted` days already granted to an application received on `received`?
 * Returns 0, or -1 with a message for a bad_value rejection (out of 1–20,
 * or more than the limit in all). */
int deadline_check_extension(int32_t received, int granted, int working_days, char *err,
                             size_t errlen);

/* The intake's rule (spec/timeliness.md, "Extension"): at most 20 working
 * days in all (article 33) whatever the receipt date, each grant 1–20.
 * Stricter checks belong to counting, not to recording: an agency that
 * granted 16 days under the 2007 rules did grant them, the event is a fact,
 * and the due date counts the 15 the law allowed (callers cap
 * extension_days at deadline_extension_max). Returns 0, or -1 with a
 * message for a bad_value rejection. */
int deadline_check_extension_total(int granted, int working_days, char *err, size_t errlen);

/* "running", "awaiting_supplement", "in_consultation", "answered". */
const char *dl_state_name(enum dl_state s);
/* "open", "on_the_spot", "on_time", "late". */
const char *dl_outcome_name(enum dl_outcome o);

#endif
