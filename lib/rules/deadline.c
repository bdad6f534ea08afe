/* deadline — the legal due date of one application (see deadline.h and
 * spec/timeliness.md). Where the spec is silent, the choice made and its
 * reason are written next to the code that makes it.
 */
#include "deadline.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"

/* The 2019 Regulations took effect on 2019-05-15 (article 56). */
static int32_t rules_2019_start(void)
{
    return cal_day_from_ymd(2019, 5, 15);
}

void dl_timeline_init(struct dl_timeline *t, int32_t r)
{
    t->received = r;
    t->supplement_requested = CAL_DAY_NONE;
    t->supplement_received = CAL_DAY_NONE;
    t->extension_days = 0;
    t->consultations = NULL;
    t->n_consultations = 0;
    t->deadline_set = CAL_DAY_NONE;
    t->answered = CAL_DAY_NONE;
}

int deadline_extension_max(int32_t received)
{
    return received < rules_2019_start() ? DL_EXTENSION_MAX_2007 : DL_EXTENSION_MAX;
}

int deadline_check_extension(int32_t received, int granted, int working_days, char *err,
                             size_t errlen)
{
    int max = deadline_extension_max(received);

    assert(granted >= 0);
    if (working_days < 1 || working_days > DL_EXTENSION_MAX) {
        snprintf(err, errlen, "working_days: %d is not in 1-%d", working_days,
                 DL_EXTENSION_MAX);
        return -1;
    }
    if (granted + working_days > max) {
        snprintf(err, errlen,
                 "working_days: %d more after %d already granted makes %d, over the %d "
                 "working days of extension allowed in all (%s)",
                 working_days, granted, granted + working_days, max,
                 max == DL_EXTENSION_MAX ? "article 33" : "2007 Regulations, article 24");
        return -1;
    }
    return 0;
}

int deadline_check_extension_total(int granted, int working_days, char *err, size_t errlen)
{
    return deadline_check_extension(rules_2019_start(), granted, working_days, err, errlen);
}

const char *dl_state_name(enum dl_state s)
{
    switch (s) {
    case DL_RUNNING:
        return "running";
    case DL_AWAITING_SUPPLEMENT:
        return "awaiting_supplement";
    case DL_IN_CONSULTATION:
        return "in_consultation";
    case DL_ANSWERED:
        return "answered";
    }
    assert(!"bad dl_state");
    return "?";
}

const char *dl_outcome_name(enum dl_outcome o)
{
    switch (o) {
    case DL_OPEN:
        return "open";
    case DL_ON_THE_SPOT:
        return "on_the_spot";
    case DL_ON_TIME:
        return "on_time";
    case DL_LATE:
        return "late";
    }
    assert(!"bad dl_outcome");
    return "?";
}

/* A set date must not precede receipt; writes the message otherwise. */
static int check_not_before(const char *field, int32_t day, int32_t received, char *err,
                            size_t errlen)
{
    char a[CAL_DATE_LEN], b[CAL_DATE_LEN];

    if (day == CAL_DAY_NONE || day >= received)
        return 0;
    snprintf(err, errlen, "%s: %s is before the receipt date %s", field,
             cal_format_date(day, a), cal_format_date(received, b));
    return -1;
}

static int validate(const struct dl_timeline *t, char *err, size_t errlen)
{
    char a[CAL_DATE_LEN], b[CAL_DATE_LEN], field[64];
    int max;

    if (t->received == CAL_DAY_NONE) {
        snprintf(err, errlen, "received: missing");
        return -1;
    }
    if (check_not_before("supplement_requested", t->supplement_requested, t->received, err,
                         errlen) != 0 ||
        check_not_before("supplement_received", t->supplement_received, t->received, err,
                         errlen) != 0 ||
        check_not_before("deadline_set", t->deadline_set, t->received, err, errlen) != 0 ||
        check_not_before("answered", t->answered, t->received, err, errlen) != 0)
        return -1;
    if (t->supplement_received != CAL_DAY_NONE) {
        if (t->supplement_requested == CAL_DAY_NONE) {
            snprintf(err, errlen, "supplement_received: %s but no supplement was requested",
                     cal_format_date(t->supplement_received, a));
            return -1;
        }
        if (t->supplement_received < t->supplement_requested) {
            snprintf(err, errlen, "supplement_received: %s is before the request of %s",
                     cal_format_date(t->supplement_received, a),
                     cal_format_date(t->supplement_requested, b));
            return -1;
        }
    }
    max = deadline_extension_max(t->received);
    if (t->extension_days < 0 || t->extension_days > max) {
        snprintf(err, errlen, "extension_days: %d is not in 0-%d", t->extension_days, max);
        return -1;
    }
    for (size_t i = 0; i < t->n_consultations; i++) {
        const struct dl_consultation *k = &t->consultations[i];

        snprintf(field, sizeof field, "consultations[%zu].started", i);
        if (k->started == CAL_DAY_NONE) {
            snprintf(err, errlen, "%s: missing", field);
            return -1;
        }
        if (check_not_before(field, k->started, t->received, err, errlen) != 0)
            return -1;
        if (k->ended != CAL_DAY_NONE && k->ended < k->started) {
            snprintf(err, errlen, "consultations[%zu].ended: %s is before its start %s", i,
                     cal_format_date(k->ended, a), cal_format_date(k->started, b));
            return -1;
        }
    }
    return 0;
}

/* Small consultation lists live on the stack; this many covers any real one. */
#define LOCAL_SPANS 16

/* The 7-working-day notice rule is new in 2019 (article 30); the 2007 text
 * set no time for it, so an earlier application is never flagged. Counted
 * from R without consultation pauses: a 补正 concerns the application itself
 * and comes before anyone is consulted about it. */
static void supplement_notice(const struct calendar *c, const struct dl_timeline *t,
                              struct dl_result *out)
{
    out->supplement_notice_due = CAL_DAY_NONE;
    out->supplement_late = false;
    if (t->supplement_requested != CAL_DAY_NONE && !out->rules_2007) {
        out->supplement_notice_due =
            calendar_add_workdays(c, t->received, DL_SUPPLEMENT_NOTICE, NULL, NULL);
        out->supplement_late = t->supplement_requested > out->supplement_notice_due;
    }
}

/* Consultations as pauses into spans (room for t->n_consultations): both end
 * days included, overlaps merged. One still open pauses the clock until it
 * ends; if the application was answered meanwhile, the answer is where it
 * ended (nothing was awaited after). Returns the count; *open set when one
 * is still open. */
static size_t consultation_pauses(const struct dl_timeline *t, struct cal_span *spans, bool *open)
{
    size_t n = 0;
    *open = false;
    for (size_t i = 0; i < t->n_consultations; i++) {
        const struct dl_consultation *k = &t->consultations[i];
        int32_t last = k->ended;

        if (last == CAL_DAY_NONE) {
            *open = true;
            last = t->answered != CAL_DAY_NONE ? t->answered : CAL_DAY_OPEN;
            if (last < k->started) /* answered before it began: no pause */
                continue;
        }
        spans[n].first = k->started;
        spans[n].last = last;
        n++;
    }
    cal_spans_merge(spans, &n);
    return n;
}

/* The due date into out->due and out->provisional; may drop pauses that lie
 * after it. CAL_DAY_NONE from the count means an open consultation stands
 * before it. While awaiting a supplement the clock is stopped, so there is
 * none either. That holds even when the notice came after the limit had run
 * out: the corrected application restarts the limit in full anyway (article
 * 30), so calling it late only until then would be inconsistent; such a
 * notice is flagged by supplement_late instead. */
static void due_date(const struct calendar *c, const struct dl_timeline *t, bool awaiting,
                     struct cal_pauses *pauses, struct dl_result *out)
{
    bool prov = false;
    int32_t due;
    if (t->deadline_set != CAL_DAY_NONE) {
        /* Article 35: the agency's date is the due date, whatever the count
         * would say, and pauses do not move it. */
        due = t->deadline_set;
    } else {
        if (awaiting)
            due = CAL_DAY_NONE;
        else
            due = calendar_add_workdays(c, out->clock_start, out->limit, pauses, &prov);
        if (due == CAL_DAY_NONE)
            prov = false;
    }

    /* A consultation begun after the due date stops nothing: the limit had
     * already run out, so the days since are all late (and "left" does not
     * freeze at the moment the office started consulting). Only then can a
     * pause lie after a counted due date, since one reaching it would have
     * moved it. */
    if (due != CAL_DAY_NONE && t->deadline_set == CAL_DAY_NONE)
        while (pauses->count > 0 && pauses->span[pauses->count - 1].first > due)
            pauses->count--;
    out->due = due;
    out->provisional = prov;
}

/* Working days used, what is left, and the outcome, from out->due. */
static void outcome(const struct calendar *c, const struct dl_timeline *t, int32_t today,
                    int32_t stop, const struct cal_pauses *pauses, struct dl_result *out)
{
    /* Working days used: up to the answer or today, but not past a stopped
     * clock. Clamped at 0 should today precede the clock's start. */
    int32_t mend = t->answered != CAL_DAY_NONE ? t->answered : today;
    if (stop != CAL_DAY_NONE && stop < mend)
        mend = stop;
    out->elapsed = calendar_count_workdays(c, out->clock_start, mend, pauses, NULL);
    if (out->elapsed < 0)
        out->elapsed = 0;

    out->left = 0;
    out->overdue = false;
    out->taken = 0;
    if (t->answered == CAL_DAY_NONE) {
        out->outcome = DL_OPEN;
        if (out->due != CAL_DAY_NONE) {
            /* Pauses shorten what is left of a count; an article 35 date is
             * fixed, so every working day until it counts. */
            out->left = calendar_count_workdays(
                c, today, out->due, t->deadline_set != CAL_DAY_NONE ? NULL : pauses, NULL);
            out->overdue = today > out->due;
        }
    } else if (t->answered == t->received) {
        out->outcome = DL_ON_THE_SPOT;
    } else {
        /* Late is by date, not by count: a reply on a day off after the due
         * day adds no counted working day, yet came after the limit ran out.
         * No due date here means the application was closed while the clock
         * was stopped for 补正 (视为放弃申请, article 30): not late. */
        out->outcome = out->due != CAL_DAY_NONE && t->answered > out->due ? DL_LATE : DL_ON_TIME;
        out->taken = out->elapsed;
    }
}

int deadline_compute(const struct calendar *c, const struct dl_timeline *t, int32_t today,
                     struct dl_result *out, char *err, size_t errlen)
{
    struct cal_span local[LOCAL_SPANS], *spans = local;
    bool awaiting, open_consultation;

    assert(c != NULL && t != NULL && out != NULL);
    assert(today != CAL_DAY_NONE);
    if (validate(t, err, errlen) != 0)
        return -1;

    out->rules_2007 = t->received < rules_2019_start();
    out->limit = (out->rules_2007 ? DL_LIMIT_2007 : DL_LIMIT) + t->extension_days;

    /* 补正: the clock stops at the notice; the corrected application R′
     * starts it again, in full (article 30: "答复期限自行政机关收到补正的申请
     * 之日起计算"). The regulations allow one notice ("一次性告知"), and a
     * later event of the same type is a correction, so there is one round. */
    awaiting = t->supplement_requested != CAL_DAY_NONE &&
               t->supplement_received == CAL_DAY_NONE;
    out->clock_start =
        t->supplement_received != CAL_DAY_NONE ? t->supplement_received : t->received;
    supplement_notice(c, t, out);

    if (t->n_consultations > LOCAL_SPANS)
        spans = xmalloc(t->n_consultations * sizeof *spans);
    struct cal_pauses pauses = {.span = spans,
                                .count = consultation_pauses(t, spans, &open_consultation)};

    if (t->answered != CAL_DAY_NONE)
        out->state = DL_ANSWERED;
    else if (awaiting)
        out->state = DL_AWAITING_SUPPLEMENT;
    else if (open_consultation)
        out->state = DL_IN_CONSULTATION;
    else
        out->state = DL_RUNNING;

    due_date(c, t, awaiting, &pauses, out);
    outcome(c, t, today, awaiting ? t->supplement_requested : CAL_DAY_NONE, &pauses, out);

    if (spans != local)
        free(spans);
    return 0;
}
