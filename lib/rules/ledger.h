/* ledger — the latest state of every entity, and the rules that need it.
 *
 * An entity is an application, document, catalogue item, procurement, case or
 * consultation of one agency. Events are corrections of the entity they name
 * ("the later one wins"), so the state is simply the last value of each field.
 * Intake uses the ledger to enforce the referential rules of events.md
 * (ledger_check), the aggregator and `gongkai verify` to learn each event's
 * before/after state, from which tables.c counts.
 *
 * Undo: between ledger_begin() and ledger_commit() every change is recorded,
 * and ledger_rollback() restores the state of ledger_begin() — used when the
 * database transaction that carries the same events fails.
 *
 * Dates are Beijing reporting days (day.h), 0 = none. Entities are keyed by a
 * 128-bit hash of (agency, entity kind, id), so memory per entity is a fixed
 * 32-byte map slot (map.h) whatever the id's length.
 */
#ifndef GK_LEDGER_H
#define GK_LEDGER_H

#include <stdint.h>

#include "buf.h"
#include "event.h"

/* ENT_SUM: an agency-year sum of flows (ledger.c), for EV_SUM_MAX; never
 * reported in a ledger_change. */
enum ent_kind { ENT_NONE, ENT_APP, ENT_DOC, ENT_ITEM, ENT_PROC, ENT_CASE, ENT_CONSULT, ENT_SUM };
enum case_family { CASE_REVIEW = 1, CASE_LAWSUIT = 2 };
#define CASE_AS_REVIEW_BODY 1 /* ent.flags */

struct ent {
    uint8_t kind;    /* enum ent_kind; ENT_NONE = does not exist */
    uint8_t a;       /* APP applicant · DOC document_kind · ITEM item_kind · CASE family */
    uint8_t b;       /* APP outcome (0 = open) · CASE route */
    uint8_t c;       /* CASE result (0 = undecided) · APP extension working days granted in all */
    uint8_t flags;   /* CASE_AS_REVIEW_BODY */
    uint8_t spare;
    uint16_t d[4];   /* APP received, resolved · DOC issued, published, repealed, lapsed ·
                        ITEM added, removed · CASE filed, decided · PROC awarded ·
                        CONSULT started, ended. Reporting days (days since 1970, 0 = none):
                        events are dated 1990-2100, days 7304…47848, so 16 bits hold them */
};
/* 14 bytes: with its 16-byte key one map slot is 32 bytes, which is what a
 * million tracked applications cost (the benchmark's memory figure). A
 * procurement's amount (< 2^50 fen) lives in the fields it does not use:
 * d[1..3] and a, b. */
static inline int64_t ent_amount(const struct ent *x)
{
    return (int64_t)((uint64_t)x->d[1] | (uint64_t)x->d[2] << 16 | (uint64_t)x->d[3] << 32 |
                     (uint64_t)x->a << 48 | (uint64_t)x->b << 56);
}
static inline void ent_set_amount(struct ent *x, int64_t amount)
{
    uint64_t v = (uint64_t)amount;
    x->d[1] = (uint16_t)v, x->d[2] = (uint16_t)(v >> 16), x->d[3] = (uint16_t)(v >> 32);
    x->a = (uint8_t)(v >> 48), x->b = (uint8_t)(v >> 56);
}

/* What one applied event changed. before.kind == ENT_NONE: the entity is new;
 * both ENT_NONE: a flow event (decision_made, fee_collected) or one that
 * changes no counted state. */
struct ledger_change {
    uint32_t agency;         /* ledger agency id */
    const struct ev *ev;     /* the event (borrowed) */
    struct ent before, after;
};

struct ledger;

struct ledger *ledger_new(void);
void ledger_destroy(struct ledger **pl);

/* Agencies are interned: ids are dense, 0.., stable for the ledger's life. */
uint32_t ledger_agency_id(struct ledger *l, const char *code);
int ledger_agency_find(const struct ledger *l, const char *code, uint32_t *id);
const char *ledger_agency_code(const struct ledger *l, uint32_t id);
uint32_t ledger_agency_count(const struct ledger *l);

/* The referential rules of events.md for e (finished) against the current
 * state. 0 when e may be applied; else -1 with err (unknown_application,
 * resolved_before_received, unknown_item, unknown_case, decided_before_filed,
 * dated_before_received, unknown_consultation, bad_value — among them an
 * extension_granted that would take the application's extensions past the
 * limit in all, see docs/timeliness.md, and a fee, procurement or decision
 * that would take its agency-year sum past EV_SUM_MAX). No state changes. */
int ledger_check(struct ledger *l, const struct ev *e, struct ev_error *err);

/* Applies e (which passed ledger_check) and describes the change in *chg. */
void ledger_apply(struct ledger *l, const struct ev *e, struct ledger_change *chg);

void ledger_begin(struct ledger *l);
void ledger_commit(struct ledger *l);
void ledger_rollback(struct ledger *l);

/* Checkpoints (the aggregator's restart): the whole state appended to out as
 * bytes in this build's layout (LEDGER_FORMAT names it), and read back into
 * an empty ledger. ledger_load: 0, or -1 when the bytes are short or bad
 * (the ledger is then unusable: destroy it). Not while recording. */
#define LEDGER_FORMAT (1000 + (int)sizeof(struct ent))
void ledger_save(const struct ledger *l, struct buf *out);
int ledger_load(struct ledger *l, struct rd *in);

/* Entities held, and bytes of memory they take (benchmark figures). */
size_t ledger_entities(const struct ledger *l);
size_t ledger_bytes(const struct ledger *l);

#endif
