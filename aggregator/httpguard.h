/* httpguard — a deadline for the headers of every HTTP request (slowloris).
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that sends
 * one header line every few seconds holds its connection for ever, and a
 * thousand such clients used to starve everyone else. The guard records when
 * each connection began waiting for a request's headers (at accept, and again
 * after each answered request); a watcher thread shuts down, with
 * shutdown(2), every connection still waiting past the deadline, and
 * libmicrohttpd then sees the end of the stream and closes it.
 *
 * Threads: the callbacks run on libmicrohttpd's threads, the watcher on its
 * own; one mutex guards the list. A slot is removed (under the mutex) by the
 * CLOSED notification, which libmicrohttpd sends before it closes the socket,
 * so the watcher never shuts down a descriptor that was reused.
 */
#ifndef GK_HTTPGUARD_H
#define GK_HTTPGUARD_H

#include <microhttpd.h>

struct httpguard;

/* Starts the watcher: headers must be complete deadline_s after a request
 * began. NULL if the thread cannot start (logged). */
struct httpguard *httpguard_new(int deadline_s);
/* Stops the watcher and frees the guard; call after MHD_stop_daemon. */
void httpguard_destroy(struct httpguard **pg);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void httpguard_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);
/* The handler's first call for a request: its headers are complete. */
void httpguard_headers_done(struct MHD_Connection *c);
/* MHD_OPTION_NOTIFY_COMPLETED: the connection waits for its next request. */
void httpguard_request_done(struct MHD_Connection *c);
/* Connections cut so far (for /metrics and tests). */
unsigned long httpguard_cut(const struct httpguard *g);

#endif
