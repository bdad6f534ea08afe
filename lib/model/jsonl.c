/* jsonl — JSON Lines → struct ev, with jansson (see jsonl.h). */
#include "jsonl.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "day.h"

static int set_string(struct ev *e, int f, const char *s, size_t len, struct ev_error *err)
{
    char *dst;
    size_t cap;
    switch (f) {
    case F_EVENT_ID: dst = e->event_id; cap = sizeof e->event_id; break;
    case F_AGENCY: dst = e->agency; cap = sizeof e->agency; break;
    case F_OCCURRED_AT: dst = e->occurred_at; cap = sizeof e->occurred_at; break;
    case F_APPLICATION_ID: dst = e->application_id; cap = sizeof e->application_id; break;
    case F_DOCUMENT_ID: dst = e->document_id; cap = sizeof e->document_id; break;
    case F_ITEM_ID: dst = e->item_id; cap = sizeof e->item_id; break;
    case F_PROCUREMENT_ID: dst = e->procurement_id; cap = sizeof e->procurement_id; break;
    case F_CASE_ID: dst = e->case_id; cap = sizeof e->case_id; break;
    case F_CONSULTATION_ID: dst = e->consultation_id; cap = sizeof e->consultation_id; break;
    default: return 1; /* not a string field */
    }
    if (memchr(s, '\0', len))
        return ev_fail(err, "bad_value", "%s: contains a NUL character", ev_field_names[f]);
    if (len >= cap)
        return ev_fail(err, "bad_value", "%s: %zu bytes, at most %zu allowed", ev_field_names[f],
                       len, cap - 1);
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int set_field(struct ev *e, int f, json_t *v, struct ev_error *err)
{
    const char *name = ev_field_names[f];
    int n;
    const char *const *names = ev_enum_names(f, &n);
    if (names) {
        if (!json_is_string(v))
            return ev_fail(err, "bad_value", "%s: expected a string, got %s", name, json_kind(v));
        const char *s = json_string_value(v);
        int i = ev_lookup(names, n, s);
        if (!i) {
            char list[512];
            size_t o = 0;
            for (int k = 1; k < n && o < sizeof list; k++) {
                if (f == F_DECISION_KIND && k == ITEM_FEE)
                    continue;
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", names[k]);
            }
            char b[256];
            return ev_fail(err, f == F_TYPE ? "unknown_type" : "bad_value",
                           "%s: \"%s\" is not one of %s", name, ev_show(s, b, sizeof b), list);
        }
        switch (f) {
        case F_TYPE: e->type = (enum ev_type)i; break;
        case F_APPLICANT: e->applicant = (uint8_t)i; break;
        case F_OUTCOME: e->outcome = (uint8_t)i; break;
        case F_DOCUMENT_KIND: e->document_kind = (uint8_t)i; break;
        case F_ITEM_KIND: e->item_kind = (uint8_t)i; break;
        case F_DECISION_KIND: e->decision_kind = (uint8_t)i; break;
        case F_RESULT: e->result = (uint8_t)i; break;
        case F_ROUTE: e->route = (uint8_t)i; break;
        case F_CHANNEL: e->channel = (uint8_t)i; break;
        default: break;
        }
        return 0;
    }
    switch (f) {
    case F_COUNT:
    case F_AMOUNT_FEN:
    case F_WORKING_DAYS: {
        if (!json_is_integer(v))
            return ev_fail(err, "bad_value", "%s: expected an integer, got %s", name,
                           json_kind(v));
        json_int_t x = json_integer_value(v);
        if (f == F_COUNT)
            e->count = x;
        else if (f == F_AMOUNT_FEN)
            e->amount_fen = x;
        else
            e->working_days = x;
        return 0;
    }
    case F_AS_REVIEW_BODY:
        if (!json_is_boolean(v))
            return ev_fail(err, "bad_value", "as_review_body: expected true or false, got %s",
                           json_kind(v));
        e->as_review_body = json_is_true(v);
        return 0;
    case F_DUE: {
        if (!json_is_string(v))
            return ev_fail(err, "bad_value", "due: expected a string, got %s", json_kind(v));
        int32_t d;
        char b[256];
        if (day_parse_date(json_string_value(v), &d) || !day_in_range(d))
            return ev_fail(err, "bad_value", "due: \"%s\" is not a date YYYY-MM-DD in %d-%d",
                           ev_show(json_string_value(v), b, sizeof b), DAY_YEAR_MIN, DAY_YEAR_MAX);
        e->due_day = d;
        return 0;
    }
    default:
        if (!json_is_string(v))
            return ev_fail(err, "bad_value", "%s: expected a string, got %s", name, json_kind(v));
        return set_string(e, f, json_string_value(v), json_string_length(v), err);
    }
}

int jsonl_parse(const char *line, size_t len, struct ev *e, struct ev_error *err)
{
    memset(e, 0, sizeof *e);
    if (len > EV_MAX_BYTES)
        return ev_fail(err, "too_large", "line: %zu bytes, at most %d allowed", len, EV_MAX_BYTES);
    json_error_t je;
    char b[256];
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return ev_fail(err, "bad_json", "line: %s at column %d", ev_show(je.text, b, sizeof b),
                       je.column);
    int rc = 0;
    if (!json_is_object(root)) {
        rc = ev_fail(err, "bad_json", "line: expected a JSON object, got %s", json_kind(root));
        goto out;
    }
    /* event_id first, so that later failures can still be named by it. */
    json_t *id = json_object_get(root, "event_id");
    if (id && json_is_string(id) && json_string_length(id) < sizeof e->event_id)
        snprintf(e->event_id, sizeof e->event_id, "%s", json_string_value(id));
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        int f = ev_field_by_name(key);
        if (f < 0) {
            rc = ev_fail(err, "unknown_field", "%s: not a field of any event",
                         ev_show(key, b, sizeof b));
            goto out;
        }
        if (set_field(e, f, v, err)) {
            rc = -1;
            goto out;
        }
        e->present |= FBIT(f);
    }
    rc = ev_finish(e, err);
out:
    json_decref(root);
    return rc;
}
