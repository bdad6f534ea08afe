/* event — the C model of one event of spec/events.md, and its validation.
 *
 * A `struct ev` is plain data with fixed-size fields: parsing fills one in
 * place (no allocation on the hot path), and it can be copied with `=`.
 * Parsers (jsonl.c, codec.c) set a field's bit in `present` for every field
 * the input carried; ev_finish() then applies the contract's rules in a fixed
 * order and either completes the event (Beijing day, defaults) or fills a
 * `struct ev_error` with a stable code and a message naming field and value.
 *
 * Enum numbers equal those of proto/gongkai.proto, so converting is a cast.
 */
#ifndef GK_EVENT_H
#define GK_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EV_ID_MAX 128       /* event_id and entity ids: 1..128 characters */
#define EV_AGENCY_MAX 64    /* agency code */
/* The agency code grammar (spec/events.md), as messages quote it. */
#define EV_AGENCY_PATTERN "^[a-z0-9][a-z0-9._-]{0,63}$"
#define EV_MAX_BYTES 65536  /* one encoded event (JSON line or protobuf) */
/* The most that one agency's flows of one year may add up to: fees
 * collected (fen), procurement amounts awarded (fen), decisions of one kind
 * (count). 2^53 - 1 (≈ 90 trillion yuan): exact in every JSON reader (IEEE
 * doubles) and in agg_metric (bigint), and 1,024 such sums still fit in an
 * int64 when reports are rolled up. Intake refuses (bad_value) an event that
 * would take a sum past it (ledger_check); counting code adds with checks. */
#define EV_SUM_MAX 9007199254740991LL

enum ev_type {
    EV_NONE = 0,
    EV_APPLICATION_RECEIVED,
    EV_APPLICATION_RESOLVED,
    EV_DOCUMENT_ISSUED,
    EV_DOCUMENT_PUBLISHED,
    EV_DOCUMENT_REPEALED,
    EV_DOCUMENT_LAPSED,
    EV_CATALOG_ITEM_ADDED,
    EV_CATALOG_ITEM_REMOVED,
    EV_DECISION_MADE,
    EV_FEE_COLLECTED,
    EV_PROCUREMENT_AWARDED,
    EV_REVIEW_FILED,
    EV_REVIEW_DECIDED,
    EV_LAWSUIT_FILED,
    EV_LAWSUIT_DECIDED,
    EV_SUPPLEMENT_REQUESTED,
    EV_SUPPLEMENT_RECEIVED,
    EV_EXTENSION_GRANTED,
    EV_CONSULTATION_STARTED,
    EV_CONSULTATION_ENDED,
    EV_DEADLINE_SET,
    EV_NTYPES
};

/* Fields, in protobuf field-number order minus one. */
enum ev_field {
    F_EVENT_ID, F_TYPE, F_AGENCY, F_OCCURRED_AT, F_APPLICATION_ID, F_APPLICANT,
    F_OUTCOME, F_DOCUMENT_ID, F_DOCUMENT_KIND, F_ITEM_ID, F_ITEM_KIND,
    F_DECISION_KIND, F_COUNT, F_AMOUNT_FEN, F_PROCUREMENT_ID, F_CASE_ID,
    F_RESULT, F_ROUTE, F_AS_REVIEW_BODY, F_CHANNEL, F_CONSULTATION_ID,
    F_WORKING_DAYS, F_DUE, F_NFIELDS
};
#define FBIT(f) (1u << (f))

enum applicant { APPLICANT_NONE, NATURAL_PERSON, COMMERCIAL_ENTERPRISE, RESEARCH_INSTITUTION,
                 SOCIAL_WELFARE_ORG, LEGAL_SERVICE_ORG, OTHER_ORG, N_APPLICANT };
#define N_OUTCOME 22 /* 1..21; see ev_outcome_names */
enum outcome_special { OUTCOME_OTHER_NO_CORRECTION = 19, OUTCOME_OTHER_FEE_UNPAID = 20,
                       OUTCOME_OTHER_OTHER = 21 };
enum document_kind { DOCKIND_NONE, DOC_RULE, DOC_NORMATIVE, N_DOCKIND };
enum item_kind { ITEM_NONE, ITEM_LICENSING, ITEM_OTHER_SERVICE, ITEM_PENALTY, ITEM_ENFORCEMENT,
                 ITEM_FEE, N_ITEMKIND };
enum result { RESULT_NONE, RESULT_UPHELD, RESULT_CORRECTED, RESULT_OTHER, N_RESULT };
enum route { ROUTE_NONE, ROUTE_DIRECT, ROUTE_AFTER_REVIEW, N_ROUTE };
#define N_CHANNEL 7

struct ev {
    enum ev_type type;
    uint32_t present;               /* FBIT(field) for every field given */
    char event_id[EV_ID_MAX + 1];
    char agency[EV_AGENCY_MAX + 1];
    int64_t occurred_us;            /* UTC, microseconds since the epoch */
    int32_t day;                    /* reporting day: Beijing date, days since 1970-01-01 */
    char application_id[EV_ID_MAX + 1];
    char document_id[EV_ID_MAX + 1];
    char item_id[EV_ID_MAX + 1];
    char procurement_id[EV_ID_MAX + 1];
    char case_id[EV_ID_MAX + 1];
    char consultation_id[EV_ID_MAX + 1];
    uint8_t applicant, outcome, document_kind, item_kind, decision_kind, result, route, channel;
    bool as_review_body;
    int64_t count;                  /* decision_made; 1 when absent */
    int64_t amount_fen;
    int64_t working_days;
    int32_t due_day;                /* deadline_set, civil date */
    char occurred_at[40];           /* as given, for messages; canonical form after ev_finish */
};

struct ev_error {
    char code[32];                  /* stable: bad_json, bad_value, ... */
    char message[320];              /* names the field and the value */
};

/* Text a client sent, made safe to quote in a message: utf8_quoted (the
 * one form, utf8.h), cut to fit min(cap, 200) bytes. Returns buf. */
const char *ev_show(const char *s, char *buf, size_t cap);

/* Fills err (code + printf message); returns -1 for `return ev_fail(...)`. */
int ev_fail(struct ev_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Names of the contract: index = enum value; [0] is NULL. */
extern const char *const ev_type_names[EV_NTYPES];
extern const char *const ev_field_names[F_NFIELDS];
extern const char *const ev_applicant_names[N_APPLICANT];
extern const char *const ev_outcome_names[N_OUTCOME];
extern const char *const ev_document_kind_names[N_DOCKIND];
extern const char *const ev_item_kind_names[N_ITEMKIND];
extern const char *const ev_result_names[N_RESULT];
extern const char *const ev_route_names[N_ROUTE];
extern const char *const ev_channel_names[N_CHANNEL];

/* Index of name in a names table of n entries, or 0 when absent. */
int ev_lookup(const char *const *names, int n, const char *name);
/* 1 when s is an agency code (EV_AGENCY_PATTERN): the one test of it for
 * events, keys, the registry, report requests and the prose sections. */
int ev_agency_valid(const char *s);
/* Field by JSON name, or -1. */
int ev_field_by_name(const char *name);
/* The enum table and size for an enum-valued field, or NULL. */
const char *const *ev_enum_names(enum ev_field f, int *n);

/* Fields type t allows (common fields included) and requires. */
uint32_t ev_allowed_fields(enum ev_type t);
uint32_t ev_required_fields(enum ev_type t);

/* Completes a parsed event: checks presence, ranges and formats in a fixed
 * order (missing type → unknown type → fields the type does not have →
 * missing fields → values), computes occurred_us/day from occurred_at and
 * rewrites occurred_at in canonical UTC form. 0 when valid, else -1 + err. */
int ev_finish(struct ev *e, struct ev_error *err);

/* The entity id an event is about (application_id, document_id, …), or ""
 * for decision_made and fee_collected. */
const char *ev_subject(const struct ev *e);

/* Appends a JSON object for e (canonical form, contract names) to buf of
 * size cap; returns the length it needed (snprintf-style). */
size_t ev_to_json(const struct ev *e, char *buf, size_t cap);

#endif
