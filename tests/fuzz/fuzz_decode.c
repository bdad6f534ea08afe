/* fuzz_decode — libFuzzer target over everything intake does with bytes
 * from outside: an Envelope, each Entry's JSON line or encoded Event, the
 * contract's validation, the referential rules and the canonical re-encoding.
 *
 * The first input byte picks the path (so one corpus covers all three):
 *   0: the rest is a JSON Lines line      (jsonl_parse)
 *   1: the rest is an encoded Event       (codec_decode)
 *   2: the rest is an Envelope            (wire_unpack, then every entry)
 * A decoded event goes through ledger_check/ledger_apply/tables_apply on a
 * ledger and tables that live across inputs (so referential rules see
 * history, and sums grow), and must survive
 * codec_encode → codec_decode unchanged: the canonical form is a fixed point.
 *
 * The replay property (issue 12): what intake accepts is what it stores —
 * the codec_encode body and the ev_to_json text — and both must read back as
 * the same event (same type, instant and reporting day), or a later
 * replay of the log would meet a row it cannot read or counts differently.
 * Seeds at the date limits in several offsets and at the money limits are in
 * the corpus (seed-*).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "jsonl.h"
#include "ledger.h"
#include "tables.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ledger *ledger;
static struct tables *tables;

static void exercise(const struct ev *e)
{
    struct ev_error err;
    if (ledger_check(ledger, e, &err) == 0) {
        struct ledger_change chg;
        ledger_apply(ledger, e, &chg);
        tables_apply(tables, &chg); /* counted as the aggregator counts it */
    }
    uint8_t buf[2048], buf2[2048];
    size_t n = codec_encode(e, buf, sizeof buf);
    struct ev again;
    if (codec_decode(buf, n, &again, &err) != 0)
        abort(); /* a canonical event must decode */
    size_t n2 = codec_encode(&again, buf2, sizeof buf2);
    if (n2 != n || memcmp(buf, buf2, n) != 0)
        abort(); /* and re-encode to the same bytes */
    if (again.occurred_us != e->occurred_us || again.day != e->day || again.type != e->type)
        abort(); /* the stored body reads back as the event accepted */
    char json[4096];
    ev_to_json(e, json, sizeof json);
    if (jsonl_parse(json, strlen(json), &again, &err) != 0)
        abort(); /* its JSON form must parse back */
    if (again.occurred_us != e->occurred_us || again.day != e->day)
        abort(); /* to the same instant and day */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A fresh ledger now and then keeps memory bounded on long runs. */
    static unsigned long calls;
    if (ledger && ++calls % 100000 == 0) {
        ledger_destroy(&ledger);
        tables_destroy(&tables);
    }
    if (!ledger) {
        ledger = ledger_new();
        tables = tables_new();
    }
    if (size < 1)
        return 0;
    struct ev e;
    struct ev_error err;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0:
        if (jsonl_parse((const char *)p, n, &e, &err) == 0)
            exercise(&e);
        break;
    case 1:
        if (codec_decode(p, n, &e, &err) == 0)
            exercise(&e);
        break;
    default: {
        Envelope *env = wire_unpack(p, n);
        if (env && env->body_case == GONGKAI__V1__ENVELOPE__BODY_SUBMIT) {
            for (size_t i = 0; i < env->submit->n_entries; i++) {
                Gongkai__V1__Entry *en = env->submit->entries[i];
                int rc = en->has_json
                             ? jsonl_parse((const char *)en->json.data, en->json.len, &e, &err)
                             : en->has_event ? codec_decode(en->event.data, en->event.len, &e, &err)
                                             : -1;
                if (rc == 0)
                    exercise(&e);
            }
        }
        wire_free(env);
    }
    }
    return 0;
}
