/* codec — protobuf-c Event ⇄ struct ev (see codec.h). */
#include "codec.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "day.h"
#include "utf8.h"
#include "gongkai.pb-c.h"

typedef Gongkai__V1__Event PbEvent;

static int take_string(struct ev *e, int f, const char *s, char *dst, size_t cap,
                       struct ev_error *err)
{
    size_t n = strlen(s);
    if (!utf8_valid(s, n))
        return ev_fail(err, "bad_value", "%s: not valid UTF-8", ev_field_names[f]);
    if (n >= cap)
        return ev_fail(err, "bad_value", "%s: %zu bytes, at most %zu allowed", ev_field_names[f],
                       n, cap - 1);
    memcpy(dst, s, n + 1);
    e->present |= FBIT(f);
    return 0;
}

static int take_enum(struct ev *e, int f, int has, int v, uint8_t *dst, struct ev_error *err)
{
    if (!has)
        return 0;
    int n;
    (void)ev_enum_names(f, &n);
    if (v < 1 || v >= n)
        return ev_fail(err, "bad_value", "%s: %d is not a value of the schema", ev_field_names[f],
                       v);
    *dst = (uint8_t)v;
    e->present |= FBIT(f);
    return 0;
}

/* protobuf-c hands string fields over as C strings, so an embedded NUL would
 * silently cut one ("a\0tail" → "a") and the cut value would be accepted.
 * This walks the top-level fields of an Event that unpacked cleanly and
 * returns the number of the first string field holding a NUL byte, or 0. */
static unsigned nul_in_string(const uint8_t *p, size_t len)
{
    static const uint32_t strings = 1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 8 | 1u << 10 |
                                    1u << 15 | 1u << 16 | 1u << 21 | 1u << 23;
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t v = 0, n = 0;
        for (int shift = 0; p < end && shift < 64; shift += 7) {
            uint8_t b = *p++;
            v |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
        }
        uint64_t field = v >> 3;
        switch (v & 7) {
        case 0:
            while (p < end && (*p++ & 0x80))
                ;
            break;
        case 1: p += end - p < 8 ? end - p : 8; break;
        case 5: p += end - p < 4 ? end - p : 4; break;
        case 2:
            for (int shift = 0; p < end && shift < 64; shift += 7) {
                uint8_t b = *p++;
                n |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80))
                    break;
            }
            if (n > (uint64_t)(end - p))
                return 0; /* cannot happen after a clean unpack */
            if (field < 32 && (strings >> field & 1) && memchr(p, 0, (size_t)n))
                return (unsigned)field;
            p += n;
            break;
        default:
            return 0;
        }
    }
    return 0;
}

int codec_decode(const uint8_t *buf, size_t len, struct ev *e, struct ev_error *err)
{
    memset(e, 0, sizeof *e);
    if (len > EV_MAX_BYTES)
        return ev_fail(err, "too_large", "event: %zu bytes, at most %d allowed", len,
                       EV_MAX_BYTES);
    PbEvent *m = gongkai__v1__event__unpack(NULL, len, buf);
    if (!m)
        return ev_fail(err, "bad_protobuf", "event: %zu bytes that do not decode as gongkai.v1.Event",
                       len);
    int rc = -1;
    if (m->event_id && utf8_valid(m->event_id, strlen(m->event_id)) &&
        strlen(m->event_id) < sizeof e->event_id)
        memcpy(e->event_id, m->event_id, strlen(m->event_id) + 1);
    if (m->base.n_unknown_fields) {
        ev_fail(err, "unknown_field", "field number %u: not in gongkai.v1.Event",
                m->base.unknown_fields[0].tag);
        goto out;
    }
    unsigned nul = nul_in_string(buf, len);
    if (nul) {
        ev_fail(err, "bad_value", "%s: contains a NUL character",
                ev_field_names[nul - 1]);
        goto out;
    }
    if (m->has_type) {
        if ((int)m->type < 1 || (int)m->type >= EV_NTYPES) {
            ev_fail(err, "unknown_type", "type: %d is not an event type", (int)m->type);
            goto out;
        }
        e->type = (enum ev_type)m->type;
        e->present |= FBIT(F_TYPE);
    }
#define STR(field, F)                                                                   \
    if (m->field && take_string(e, F, m->field, e->field, sizeof e->field, err))       \
        goto out;
    STR(event_id, F_EVENT_ID)
    STR(agency, F_AGENCY)
    STR(occurred_at, F_OCCURRED_AT)
    STR(application_id, F_APPLICATION_ID)
    STR(document_id, F_DOCUMENT_ID)
    STR(item_id, F_ITEM_ID)
    STR(procurement_id, F_PROCUREMENT_ID)
    STR(case_id, F_CASE_ID)
    STR(consultation_id, F_CONSULTATION_ID)
#undef STR
#define ENUM(field, F)                                                                  \
    if (take_enum(e, F, m->has_##field, (int)m->field, &e->field, err))                \
        goto out;
    ENUM(applicant, F_APPLICANT)
    ENUM(outcome, F_OUTCOME)
    ENUM(document_kind, F_DOCUMENT_KIND)
    ENUM(item_kind, F_ITEM_KIND)
    ENUM(decision_kind, F_DECISION_KIND)
    ENUM(result, F_RESULT)
    ENUM(route, F_ROUTE)
    ENUM(channel, F_CHANNEL)
#undef ENUM
    if (m->has_count)
        e->count = m->count, e->present |= FBIT(F_COUNT);
    if (m->has_amount_fen)
        e->amount_fen = m->amount_fen, e->present |= FBIT(F_AMOUNT_FEN);
    if (m->has_working_days)
        e->working_days = m->working_days, e->present |= FBIT(F_WORKING_DAYS);
    if (m->has_as_review_body)
        e->as_review_body = m->as_review_body, e->present |= FBIT(F_AS_REVIEW_BODY);
    if (m->due) {
        int32_t d;
        if (day_parse_date(m->due, &d) || !day_in_range(d)) {
            ev_fail(err, "bad_value", "due: not a date YYYY-MM-DD in %d-%d", DAY_YEAR_MIN,
                    DAY_YEAR_MAX);
            goto out;
        }
        e->due_day = d;
        e->present |= FBIT(F_DUE);
    }
    rc = ev_finish(e, err);
out:
    gongkai__v1__event__free_unpacked(m, NULL);
    return rc;
}

size_t codec_max_size(void)
{
    /* 9 strings of ≤ 128 bytes + tags + numbers: far below this. */
    return 2048;
}

size_t codec_encode(const struct ev *e, uint8_t *buf, size_t cap)
{
    PbEvent m = GONGKAI__V1__EVENT__INIT;
    char due[16];
    uint32_t p = e->present;
    m.event_id = (char *)e->event_id;
    m.has_type = 1, m.type = (Gongkai__V1__EventType)e->type;
    m.agency = (char *)e->agency;
    m.occurred_at = (char *)e->occurred_at;
#define STR(field, F)                                                                   \
    if (p & FBIT(F))                                                                    \
        m.field = (char *)e->field;
    STR(application_id, F_APPLICATION_ID)
    STR(document_id, F_DOCUMENT_ID)
    STR(item_id, F_ITEM_ID)
    STR(procurement_id, F_PROCUREMENT_ID)
    STR(case_id, F_CASE_ID)
    STR(consultation_id, F_CONSULTATION_ID)
#undef STR
#define ENUM(field, F, T)                                                               \
    if (p & FBIT(F))                                                                    \
        m.has_##field = 1, m.field = (T)e->field;
    ENUM(applicant, F_APPLICANT, Gongkai__V1__Applicant)
    ENUM(outcome, F_OUTCOME, Gongkai__V1__Outcome)
    ENUM(document_kind, F_DOCUMENT_KIND, Gongkai__V1__DocumentKind)
    ENUM(item_kind, F_ITEM_KIND, Gongkai__V1__ItemKind)
    ENUM(decision_kind, F_DECISION_KIND, Gongkai__V1__ItemKind)
    ENUM(result, F_RESULT, Gongkai__V1__Result)
    ENUM(route, F_ROUTE, Gongkai__V1__Route)
    ENUM(channel, F_CHANNEL, Gongkai__V1__Channel)
#undef ENUM
    if (e->type == EV_DECISION_MADE)
        m.has_count = 1, m.count = e->count;
    if (p & FBIT(F_AMOUNT_FEN))
        m.has_amount_fen = 1, m.amount_fen = e->amount_fen;
    if (p & FBIT(F_WORKING_DAYS))
        m.has_working_days = 1, m.working_days = e->working_days;
    if (e->as_review_body)
        m.has_as_review_body = 1, m.as_review_body = 1;
    if (p & FBIT(F_DUE)) {
        day_format_date(e->due_day, due, sizeof due);
        m.due = due;
    }
    size_t n = gongkai__v1__event__get_packed_size(&m);
    assert(n <= cap);
    (void)cap;
    return gongkai__v1__event__pack(&m, buf);
}
