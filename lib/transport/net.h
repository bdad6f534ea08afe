/* net — host:port addresses and a minimal HTTP/1.0 GET, for the aggregator's
 * listener and the CLI commands that talk to it (`gongkai open`, `health`). */
#ifndef GK_NET_H
#define GK_NET_H

#include <netdb.h>
#include <stddef.h>

#include "buf.h"
#include "waiting.h"

/* Resolves "host:port", "[v6]:port" or ":port" (passive: any address, for
 * bind). Returns the list (caller frees with freeaddrinfo), or NULL with err. */
struct addrinfo *net_resolve(const char *hostport, int passive, char *err, size_t errlen);

/* GET path from hostport (a bearer token when token is not NULL); the
 * connect and the whole answer are bounded by timeout_ms. While the answer
 * is late, w (may be NULL) prints its waiting line. Returns the HTTP status
 * with the body appended to *body, or -1 with err. */
int net_http_get(const char *hostport, const char *path, const char *token, int timeout_ms,
                 struct waiting *w, struct buf *body, char *err, size_t errlen);

#endif
