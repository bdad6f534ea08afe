/* workers — heavy HTTP requests answered off libmicrohttpd's threads.
 *
 * libmicrohttpd serves every connection from a small pool of threads; a
 * request that counts for seconds (an open list, a year's timeliness,
 * /metrics for a country) would hold its thread, and every connection on it
 * — /healthz included — would wait, and one that ran past the idle timeout
 * was cut before it was answered. Instead the handler suspends the
 * connection and hands the work to one of a few worker threads; the worker
 * runs it, then resumes the connection, and libmicrohttpd calls the handler
 * again to send the answer.
 *
 * Threads: workers_submit from libmicrohttpd's threads; the work runs on a
 * worker; one mutex guards the queue. The daemon needs
 * MHD_ALLOW_SUSPEND_RESUME, and must be stopped only after
 * workers_destroy (libmicrohttpd forbids stopping with connections
 * suspended; destroy runs what is queued and resumes every connection).
 */
#ifndef GK_WORKERS_H
#define GK_WORKERS_H

#include <microhttpd.h>
#include <stddef.h>

struct workers;

/* n threads, at most queue_max jobs waiting. NULL if a thread cannot start. */
struct workers *workers_new(int n, size_t queue_max);
/* Runs what is queued, resumes its connections, joins the threads. */
void workers_destroy(struct workers **pw);

/* Suspends c and runs fn(arg) on a worker, then resumes c. 0, or -1 when
 * the queue is full or the workers are stopping (c is not suspended then:
 * answer it at once). Call from the access handler only. */
int workers_submit(struct workers *w, struct MHD_Connection *c, void (*fn)(void *arg), void *arg);
/* Jobs waiting or running (for /metrics). */
size_t workers_busy(struct workers *w);

#endif
