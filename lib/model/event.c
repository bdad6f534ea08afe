/* event — names, per-type field rules and validation of spec/events.md.
 *
 * Everything the contract says about a single event, without looking at any
 * other event, lives here; rules that need history (unknown_application, …)
 * live in ledger.c. Both parsers (jsonl.c, codec.c) end in ev_finish(), so
 * JSON Lines and protobuf are held to exactly the same rules.
 */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "day.h"
#include "utf8.h"

const char *const ev_type_names[EV_NTYPES] = {
    NULL, "application_received", "application_resolved", "document_issued",
    "document_published", "document_repealed", "document_lapsed", "catalog_item_added",
    "catalog_item_removed", "decision_made", "fee_collected", "procurement_awarded",
    "review_filed", "review_decided", "lawsuit_filed", "lawsuit_decided",
    "supplement_requested", "supplement_received", "extension_granted",
    "consultation_started", "consultation_ended", "deadline_set",
};

const char *const ev_field_names[F_NFIELDS] = {
    "event_id", "type", "agency", "occurred_at", "application_id", "applicant",
    "outcome", "document_id", "document_kind", "item_id", "item_kind",
    "decision_kind", "count", "amount_fen", "procurement_id", "case_id",
    "result", "route", "as_review_body", "channel", "consultation_id",
    "working_days", "due",
};

const char *const ev_applicant_names[N_APPLICANT] = {
    NULL, "natural_person", "commercial_enterprise", "research_institution",
    "social_welfare_org", "legal_service_org", "other_org",
};

const char *const ev_outcome_names[N_OUTCOME] = {
    NULL,
    "disclosed",
    "partially_disclosed",
    "withheld.state_secret",
    "withheld.prohibited_by_law",
    "withheld.security_stability",
    "withheld.third_party_rights",
    "withheld.internal_affairs",
    "withheld.process_information",
    "withheld.enforcement_case_file",
    "withheld.administrative_query",
    "unavailable.not_held",
    "unavailable.needs_creation",
    "unavailable.still_unclear",
    "not_processed.petition_complaint",
    "not_processed.duplicate",
    "not_processed.publication",
    "not_processed.excessive",
    "not_processed.confirmation",
    "other.no_correction",
    "other.fee_unpaid",
    "other.other",
};

const char *const ev_document_kind_names[N_DOCKIND] = {NULL, "rule", "normative"};
const char *const ev_item_kind_names[N_ITEMKIND] = {
    NULL, "licensing", "other_service", "penalty", "enforcement", "fee",
};
const char *const ev_result_names[N_RESULT] = {NULL, "upheld", "corrected", "other"};
const char *const ev_route_names[N_ROUTE] = {NULL, "direct", "after_review"};
const char *const ev_channel_names[N_CHANNEL] = {
    NULL, "in_person", "post", "online", "fax", "email", "other",
};

#define COMMON (FBIT(F_EVENT_ID) | FBIT(F_TYPE) | FBIT(F_AGENCY) | FBIT(F_OCCURRED_AT))

/* Per type: fields required beyond the common four, and optional ones. */
static const struct {
    uint32_t required, optional;
} type_fields[EV_NTYPES] = {
    [EV_APPLICATION_RECEIVED] = {FBIT(F_APPLICATION_ID) | FBIT(F_APPLICANT), FBIT(F_CHANNEL)},
    [EV_APPLICATION_RESOLVED] = {FBIT(F_APPLICATION_ID) | FBIT(F_OUTCOME), 0},
    [EV_DOCUMENT_ISSUED] = {FBIT(F_DOCUMENT_ID) | FBIT(F_DOCUMENT_KIND), 0},
    [EV_DOCUMENT_PUBLISHED] = {FBIT(F_DOCUMENT_ID) | FBIT(F_DOCUMENT_KIND), 0},
    [EV_DOCUMENT_REPEALED] = {FBIT(F_DOCUMENT_ID) | FBIT(F_DOCUMENT_KIND), 0},
    [EV_DOCUMENT_LAPSED] = {FBIT(F_DOCUMENT_ID) | FBIT(F_DOCUMENT_KIND), 0},
    [EV_CATALOG_ITEM_ADDED] = {FBIT(F_ITEM_ID) | FBIT(F_ITEM_KIND), 0},
    [EV_CATALOG_ITEM_REMOVED] = {FBIT(F_ITEM_ID) | FBIT(F_ITEM_KIND), 0},
    [EV_DECISION_MADE] = {FBIT(F_DECISION_KIND), FBIT(F_COUNT)},
    [EV_FEE_COLLECTED] = {FBIT(F_AMOUNT_FEN), 0},
    [EV_PROCUREMENT_AWARDED] = {FBIT(F_PROCUREMENT_ID) | FBIT(F_AMOUNT_FEN), 0},
    [EV_REVIEW_FILED] = {FBIT(F_CASE_ID), FBIT(F_APPLICATION_ID)},
    [EV_REVIEW_DECIDED] = {FBIT(F_CASE_ID) | FBIT(F_RESULT), 0},
    [EV_LAWSUIT_FILED] = {FBIT(F_CASE_ID) | FBIT(F_ROUTE),
                          FBIT(F_AS_REVIEW_BODY) | FBIT(F_APPLICATION_ID)},
    [EV_LAWSUIT_DECIDED] = {FBIT(F_CASE_ID) | FBIT(F_RESULT), 0},
    [EV_SUPPLEMENT_REQUESTED] = {FBIT(F_APPLICATION_ID), 0},
    [EV_SUPPLEMENT_RECEIVED] = {FBIT(F_APPLICATION_ID), 0},
    [EV_EXTENSION_GRANTED] = {FBIT(F_APPLICATION_ID) | FBIT(F_WORKING_DAYS), 0},
    [EV_CONSULTATION_STARTED] = {FBIT(F_APPLICATION_ID) | FBIT(F_CONSULTATION_ID), 0},
    [EV_CONSULTATION_ENDED] = {FBIT(F_APPLICATION_ID) | FBIT(F_CONSULTATION_ID), 0},
    [EV_DEADLINE_SET] = {FBIT(F_APPLICATION_ID) | FBIT(F_DUE), 0},
};

int ev_fail(struct ev_error *err, const char *code, const char *fmt, ...)
{
    if (err) {
        snprintf(err->code, sizeof err->code, "%s", code);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        utf8_scrub(err->message);
    }
    return -1;
}

int ev_lookup(const char *const *names, int n, const char *name)
{
    for (int i = 1; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return 0;
}

int ev_field_by_name(const char *name)
{
    for (int i = 0; i < F_NFIELDS; i++)
        if (strcmp(ev_field_names[i], name) == 0)
            return i;
    return -1;
}

const char *const *ev_enum_names(enum ev_field f, int *n)
{
    switch (f) {
    case F_TYPE: *n = EV_NTYPES; return ev_type_names;
    case F_APPLICANT: *n = N_APPLICANT; return ev_applicant_names;
    case F_OUTCOME: *n = N_OUTCOME; return ev_outcome_names;
    case F_DOCUMENT_KIND: *n = N_DOCKIND; return ev_document_kind_names;
    case F_ITEM_KIND: *n = N_ITEMKIND; return ev_item_kind_names;
    /* decision_kind shares item_kind's names; fee is refused in ev_finish. */
    case F_DECISION_KIND: *n = N_ITEMKIND; return ev_item_kind_names;
    case F_RESULT: *n = N_RESULT; return ev_result_names;
    case F_ROUTE: *n = N_ROUTE; return ev_route_names;
    case F_CHANNEL: *n = N_CHANNEL; return ev_channel_names;
    default: return NULL;
    }
}

uint32_t ev_allowed_fields(enum ev_type t)
{
    if (t <= EV_NONE || t >= EV_NTYPES)
        return COMMON;
    return COMMON | type_fields[t].required | type_fields[t].optional;
}

uint32_t ev_required_fields(enum ev_type t)
{
    if (t <= EV_NONE || t >= EV_NTYPES)
        return COMMON;
    return COMMON | type_fields[t].required;
}

/* Copies at most 60 bytes of s into a message-safe form (non-printables as \xNN). */
const char *ev_show(const char *s, char *buf, size_t cap)
{
    /* The one form (utf8.h), bounded to about 60 characters of text. */
    return utf8_quoted(s, buf, cap < 200 ? cap : 200);
}

/* 1..EV_ID_MAX printable ASCII; event_id also excludes the space. */
static int check_id(const char *field, const char *s, int allow_space, struct ev_error *err)
{
    char b[100];
    size_t n = strlen(s);
    if (n == 0)
        return ev_fail(err, "bad_value", "%s: must not be empty", field);
    if (n > EV_ID_MAX)
        return ev_fail(err, "bad_value", "%s: %zu characters, at most %d allowed (\"%s\")", field,
                       n, EV_ID_MAX, ev_show(s, b, sizeof b));
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x7e || c < 0x20 || (c == ' ' && !allow_space))
            return ev_fail(err, "bad_value",
                           "%s: \"%s\" has character 0x%02x at %zu; printable ASCII%s only",
                           field, ev_show(s, b, sizeof b), c, i,
                           allow_space ? "" : " without spaces");
    }
    return 0;
}

int ev_agency_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > EV_AGENCY_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int check_agency(const char *s, struct ev_error *err)
{
    char b[100];
    if (!ev_agency_valid(s))
        return ev_fail(err, "bad_value", "agency: \"%s\" does not match " EV_AGENCY_PATTERN,
                       ev_show(s, b, sizeof b));
    return 0;
}

int ev_finish(struct ev *e, struct ev_error *err)
{
    char b[100];
    if (!(e->present & FBIT(F_TYPE)))
        return ev_fail(err, "missing_field", "type: missing");
    if (e->type <= EV_NONE || e->type >= EV_NTYPES)
        return ev_fail(err, "unknown_type", "type: unknown event type");
    uint32_t extra = e->present & ~ev_allowed_fields(e->type);
    if (extra) {
        int f = __builtin_ctz(extra);
        return ev_fail(err, "unknown_field", "%s: not a field of %s", ev_field_names[f],
                       ev_type_names[e->type]);
    }
    uint32_t missing = ev_required_fields(e->type) & ~e->present;
    if (missing) {
        int f = __builtin_ctz(missing);
        return ev_fail(err, "missing_field", "%s: missing (required for %s)", ev_field_names[f],
                       ev_type_names[e->type]);
    }
    if (check_id("event_id", e->event_id, 0, err) || check_agency(e->agency, err))
        return -1;
    int year;
    if (day_parse_rfc3339(e->occurred_at, &e->occurred_us, &year))
        return ev_fail(err, "bad_value",
                       "occurred_at: \"%s\" is not an RFC 3339 timestamp with offset "
                       "(e.g. 2019-03-02T10:00:00+08:00)",
                       ev_show(e->occurred_at, b, sizeof b));
    (void)year;
    /* The year rule applies to the reporting day (the Beijing date, what is
     * counted), not to the year as written: 1990-01-01T05:00:00+08:00 is
     * 1989-12-31 in UTC, the stored form, and must validate the same way
     * when it is read back from the log. */
    e->day = day_beijing(e->occurred_us);
    if (!day_in_range(e->day)) {
        char bj[32];
        int y, m, d;
        day_to_ymd(e->day, &y, &m, &d); /* any year a timestamp can reach: not day_format_date */
        snprintf(bj, sizeof bj, "%04d-%02d-%02d", y, m, d);
        return ev_fail(err, "bad_value",
                       "occurred_at: \"%s\" is %s in Beijing time, outside the reporting years "
                       "%d-%d (%d-01-01 to %d-12-31, Beijing)",
                       ev_show(e->occurred_at, b, sizeof b), bj, DAY_YEAR_MIN, DAY_YEAR_MAX,
                       DAY_YEAR_MIN, DAY_YEAR_MAX);
    }
    day_format_utc(e->occurred_us, e->occurred_at, sizeof e->occurred_at);

    static const struct {
        enum ev_field f;
        size_t off;
    } ids[] = {
        {F_APPLICATION_ID, offsetof(struct ev, application_id)},
        {F_DOCUMENT_ID, offsetof(struct ev, document_id)},
        {F_ITEM_ID, offsetof(struct ev, item_id)},
        {F_PROCUREMENT_ID, offsetof(struct ev, procurement_id)},
        {F_CASE_ID, offsetof(struct ev, case_id)},
        {F_CONSULTATION_ID, offsetof(struct ev, consultation_id)},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if ((e->present & FBIT(ids[i].f)) &&
            check_id(ev_field_names[ids[i].f], (const char *)e + ids[i].off, 1, err))
            return -1;

    if ((e->present & FBIT(F_DECISION_KIND)) && e->decision_kind == ITEM_FEE)
        return ev_fail(err, "bad_value",
                       "decision_kind: \"fee\" is not a decision kind "
                       "(licensing, other_service, penalty, enforcement)");
    if (e->present & FBIT(F_COUNT)) {
        if (e->count < 1 || e->count > 1000000)
            return ev_fail(err, "bad_value", "count: %lld outside 1-1000000",
                           (long long)e->count);
    } else {
        e->count = 1;
    }
    if ((e->present & FBIT(F_AMOUNT_FEN)) &&
        (e->amount_fen < 1 || e->amount_fen > 1000000000000000LL))
        return ev_fail(err, "bad_value", "amount_fen: %lld outside 1-1000000000000000",
                       (long long)e->amount_fen);
    if ((e->present & FBIT(F_WORKING_DAYS)) && (e->working_days < 1 || e->working_days > 20))
        return ev_fail(err, "bad_value", "working_days: %lld outside 1-20",
                       (long long)e->working_days);
    return 0;
}

const char *ev_subject(const struct ev *e)
{
    switch (e->type) {
    case EV_DOCUMENT_ISSUED:
    case EV_DOCUMENT_PUBLISHED:
    case EV_DOCUMENT_REPEALED:
    case EV_DOCUMENT_LAPSED:
        return e->document_id;
    case EV_CATALOG_ITEM_ADDED:
    case EV_CATALOG_ITEM_REMOVED:
        return e->item_id;
    case EV_PROCUREMENT_AWARDED:
        return e->procurement_id;
    case EV_REVIEW_FILED:
    case EV_REVIEW_DECIDED:
    case EV_LAWSUIT_FILED:
    case EV_LAWSUIT_DECIDED:
        return e->case_id;
    case EV_DECISION_MADE:
    case EV_FEE_COLLECTED:
    case EV_NONE:
    case EV_NTYPES:
        return "";
    default:
        return e->application_id;
    }
}

/* JSON string body for printable-ASCII-or-UTF-8 text we validated. */
/* Appends n bytes at offset o when they fit; returns the new offset either way
 * (snprintf-style: the caller learns the length it needed). */
static size_t put(char *buf, size_t cap, size_t o, const char *s, size_t n)
{
    if (o + n < cap)
        memcpy(buf + o, s, n);
    return o + n;
}

/* sep"key":"value" with JSON escapes. Called for every field of every event
 * on intake's hot path: no printf per character (the profile said so). */
static size_t put_str(char *buf, size_t cap, size_t o, const char *sep, const char *key,
                      const char *v)
{
    o = put(buf, cap, o, sep, strlen(sep));
    o = put(buf, cap, o, "\"", 1);
    o = put(buf, cap, o, key, strlen(key));
    o = put(buf, cap, o, "\":\"", 3);
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            o = put(buf, cap, o, esc, 2);
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            o = put(buf, cap, o, esc, 6);
        } else {
            o = put(buf, cap, o, p, 1);
        }
    }
    return put(buf, cap, o, "\"", 1);
}

size_t ev_to_json(const struct ev *e, char *buf, size_t cap)
{
    /* event_id may hold any printable ASCII, '"' and '\\' included: escaped
     * like every other string (a fuzzer found the unescaped version). */
    size_t o = 0;
    int n;
    o = put_str(buf, cap, o, "{", "event_id", e->event_id);
    n = snprintf(o < cap ? buf + o : NULL, o < cap ? cap - o : 0,
                 ",\"type\":\"%s\",\"agency\":\"%s\",\"occurred_at\":\"%s\"",
                 ev_type_names[e->type], e->agency, e->occurred_at);
    o += (size_t)n;
    uint32_t f = e->present & ~COMMON;
    for (int i = 0; i < F_NFIELDS; i++) {
        if (!(f & FBIT(i)))
            continue;
        char num[32];
        const char *s = NULL;
        switch (i) {
        case F_APPLICATION_ID: s = e->application_id; break;
        case F_DOCUMENT_ID: s = e->document_id; break;
        case F_ITEM_ID: s = e->item_id; break;
        case F_PROCUREMENT_ID: s = e->procurement_id; break;
        case F_CASE_ID: s = e->case_id; break;
        case F_CONSULTATION_ID: s = e->consultation_id; break;
        case F_APPLICANT: s = ev_applicant_names[e->applicant]; break;
        case F_OUTCOME: s = ev_outcome_names[e->outcome]; break;
        case F_DOCUMENT_KIND: s = ev_document_kind_names[e->document_kind]; break;
        case F_ITEM_KIND: s = ev_item_kind_names[e->item_kind]; break;
        case F_DECISION_KIND: s = ev_item_kind_names[e->decision_kind]; break;
        case F_RESULT: s = ev_result_names[e->result]; break;
        case F_ROUTE: s = ev_route_names[e->route]; break;
        case F_CHANNEL: s = ev_channel_names[e->channel]; break;
        case F_DUE: day_format_date(e->due_day, num, sizeof num); s = num; break;
        default: break;
        }
        if (s) {
            o = put_str(buf, cap, o, ",", ev_field_names[i], s);
            continue;
        }
        long long v = i == F_COUNT ? e->count : i == F_AMOUNT_FEN ? e->amount_fen : e->working_days;
        if (i == F_AS_REVIEW_BODY)
            n = snprintf(o < cap ? buf + o : NULL, o < cap ? cap - o : 0, ",\"%s\":%s",
                         ev_field_names[i], e->as_review_body ? "true" : "false");
        else
            n = snprintf(o < cap ? buf + o : NULL, o < cap ? cap - o : 0, ",\"%s\":%lld",
                         ev_field_names[i], v);
        o += (size_t)n;
    }
    if (o + 1 < cap) {
        buf[o] = '}';
        buf[o + 1] = '\0';
    } else if (cap) {
        buf[cap - 1] = '\0';
    }
    return o + 1;
}
