/* query — the CLI's client of the aggregator's ROUTER query endpoint.
 * With sec->on the DEALER speaks CURVE with the caller's key; a handshake
 * the aggregator refuses is reported as such instead of as a timeout. */
#ifndef GK_CLI_QUERY_H
#define GK_CLI_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "curve.h"
#include "wire.h"

struct query;

/* Connects a DEALER to endpoint; timeout_ms bounds each request. sec (may
 * be NULL: plaintext) is copied. prog ("gongkai report") names the command
 * in the line printed while a request waits (waiting.h); it must outlive q. */
struct query *query_new(const char *prog, const char *endpoint, int timeout_ms,
                        const struct curve_client *sec);
/* The same for a command: CURVE from cert and server_key (with `make run`'s
 * local keys as defaults, curve.h) unless insecure is "1". NULL, with the
 * reason on stderr after prog, when the keys are missing or bad. */
struct query *query_open(const char *prog, const char *endpoint, int timeout_ms,
                         const char *insecure, const char *cert, const char *server_key);
void query_destroy(struct query **pq);
/* Asks for one report. 0: *body (caller frees) and *applied set. 1: the
 * aggregator refused (err holds code: message). -1: no answer in time. */
int query_report(struct query *q, const char *agency, int year, const char *case_rule,
                 const char *format, const char *scope, char **body, uint64_t *applied, char *err, size_t errlen);

/* Asks for the digests of agencies first .. first+count-1 (proto/gongkai.proto,
 * DigestRequest). 0: *reply is the envelope (its digest_reply; wire_free it).
 * 1: refused (err). -1: no answer in time. */
int query_digests(struct query *q, uint32_t first, uint32_t count, Envelope **reply, char *err,
                  size_t errlen);

#endif
