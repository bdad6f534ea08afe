/* auth — the ZAP handler (ZeroMQ RFC 27) of a service's context.
 *
 * Every CURVE handshake on a server socket of the context is decided here,
 * by the client's public key and the socket's ZAP domain:
 *
 *   domain   socket                 admits
 *   intake   intake's ROUTER        every listed key (publisher, dashboard,
 *                                   aggregator): only publishers may write,
 *                                   and intake refuses the others' events as
 *                                   `forbidden` under their names
 *   feed     intake's PUB           aggregator
 *   query    aggregator's ROUTER    dashboard, aggregator
 *
 * An admitted connection's messages carry the key (Z85) as the ZeroMQ
 * property "User-Id"; keyring_find(auth_keys(a), User-Id) maps it to the
 * key's entry in the current allowlist, so a key removed by a reload is refused at once, also
 * on connections opened before.
 *
 * Why not CZMQ's zauth: it admits one certificate store for every socket of
 * the context, with no per-domain roles, and keeps no names for the log.
 *
 * auth_start() binds inproc://zeromq.zap.01 before returning, so a service
 * that calls it before binding any CURVE socket never has a moment without a
 * handler: with none, libzmq 4.3.4 admits every client key. The handler
 * thread owns the REP socket; it re-reads the allowlist when
 * auth_request_reload() was called (SIGHUP), keeping the old list when the
 * new one has an error.
 */
#ifndef GK_AUTH_H
#define GK_AUTH_H

#include "keys.h"

#define AUTH_DOMAIN_INTAKE "intake"
#define AUTH_DOMAIN_FEED "feed"
#define AUTH_DOMAIN_QUERY "query"

struct auth;

/* Loads the allowlist at keys_path and starts the handler in ctx. NULL
 * (logged) when the list is bad or the ZAP endpoint cannot be bound. */
struct auth *auth_start(void *ctx, const char *keys_path);
/* Stops and joins the thread; call before zmq_ctx_term. */
void auth_stop(struct auth **pa);
/* Asks the handler to re-read the allowlist. Async-signal-safe. */
void auth_request_reload(void);
/* Re-reads the allowlist now; 0, or -1 (logged) keeping the old one. */
int auth_reload(struct auth *a);
/* The current allowlist, with a reference for the caller (keyring_unref). */
struct keyring *auth_keys(struct auth *a);
/* 1 when domain admits role. */
int auth_admits(const char *domain, enum key_role role);

#endif
