/* gongkai/client.h — publish events to gongkai-intake (libgongkai-client).
 *
 * A client holds one connection to intake (a ZeroMQ DEALER, CURVE or
 * plaintext) and every event sent on it that intake has not answered yet.
 * Events go out in the order they are given, at most `window` unanswered at
 * once, and each is answered exactly once, through the on_ack callback:
 * ACCEPTED or DUPLICATE (committed; seq is its place in intake's log) or
 * REJECTED (final for that content: code and message say why).
 *
 * When intake stays silent (3 s, doubling to 10 s), the client opens a new
 * connection and sends every unanswered event again, in the original order,
 * before any newer one (zguide's Lazy Pirate); intake answers `duplicate`
 * for what it had already committed, so nothing is lost or doubled across a
 * crash or restart of intake. The socket options that keep that order
 * (ZMQ_IMMEDIATE, no reconnection by libzmq) are set here: see "Writing a
 * client" in PROTOCOL.md for what this library does, step by step.
 *
 * Ownership: what is passed in (strings, event bytes, key files' contents)
 * is copied; the client owns its copies and frees them when the event is
 * answered. A gk_ack_t given to on_ack, and its strings, are valid only
 * during that call.
 *
 * Threads: a client is used by one thread at a time; on_ack and on_log run on
 * the thread inside gk_client_send_json, _send_event, _service or _flush.
 * Separate clients are independent (each has its own ZeroMQ context). Do not
 * call the client from inside its own callbacks.
 *
 * Errors: functions that can fail return -1 and leave the reason in
 * gk_client_error(). A failure of _send*, _service or _flush is permanent
 * for that client (intake refused the keys; or refused a whole message,
 * which sent again would be refused again: "intake refused a whole message:
 * CODE: ..."; or gave no answer at all for give_up_ms): destroy it; the
 * events it held were not all answered.
 *
 * Build: pkg-config --cflags --libs gongkai-client
 */
#ifndef GONGKAI_CLIENT_H
#define GONGKAI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GK_CLIENT_VERSION_MAJOR 1
#define GK_CLIENT_VERSION_MINOR 0

/* Intake's limits (PROTOCOL.md): unanswered events per connection, and the
 * size of one event (a JSON line or an encoded gongkai.v1.Event). */
#define GK_CLIENT_WINDOW_MAX 2000
#define GK_CLIENT_EVENT_MAX 65536

typedef struct gk_client gk_client_t;

/* The statuses of gongkai.v1.Status that reach the caller (RETRY and
 * too_many_in_flight are handled here: the event is sent again). */
typedef enum {
    GK_ACCEPTED = 1,  /* committed to PostgreSQL before the answer was sent */
    GK_DUPLICATE = 2, /* this event_id was committed before, with the same content */
    GK_REJECTED = 3   /* refused, final for this content; in `gongkai rejects` */
} gk_status_t;

typedef struct {
    gk_status_t status;
    uint64_t ref;          /* the caller's reference, as given with the event */
    uint64_t seq;          /* intake's log position (ACCEPTED, DUPLICATE); else 0 */
    const char *event_id;  /* as intake read it; "" when it could not read one */
    const char *code;      /* REJECTED: events.md's code (bad_value, ...); else "" */
    const char *message;   /* REJECTED: why, naming the field and value; else "" */
} gk_ack_t;

typedef void(gk_ack_fn)(const gk_ack_t *ack, void *arg);
/* One line for a person (a reconnect, a refused message); no newline. */
typedef void(gk_log_fn)(const char *line, void *arg);

typedef struct {
    const char *endpoint;    /* intake's ROUTER, "tcp://host:7101" (required) */
    int insecure;            /* 1: plaintext, for an intake run with GONGKAI_INSECURE=1 */
    const char *client_cert; /* CURVE: this publisher's key file (gongkai keygen NAME → NAME.key) */
    const char *intake_key;  /* CURVE: intake's public key, its .pub file or the 40-char Z85 text */
    size_t window;           /* unanswered events at most, 1..GK_CLIENT_WINDOW_MAX; 0: 2000 */
    long give_up_ms;         /* no answer at all for this long while some is due: fail; 0: 60000 */
    gk_ack_fn *on_ack;       /* required: called once per event */
    void *ack_arg;
    gk_log_fn *on_log;       /* optional: reconnects and refusals, a line each */
    void *log_arg;
} gk_client_options_t;

/* Connects (in the background: nothing waits here). NULL when an option is
 * wrong or a key cannot be read; why in err (err may be NULL). */
gk_client_t *gk_client_new(const gk_client_options_t *options, char *err, size_t errlen);

/* Closes the connection and frees everything; events not answered yet are
 * dropped (gk_client_flush first). *self_p becomes NULL; NULL is ignored. */
void gk_client_destroy(gk_client_t **self_p);

/* Sends one event: a JSON Lines line (events.md; without its newline) or an
 * encoded gongkai.v1.Event. ref is yours, returned in its ack (any value;
 * need not be unique). When the window is full this first waits for
 * answers (calling on_ack). An event over GK_CLIENT_EVENT_MAX bytes is sent
 * cut there: intake answers REJECTED too_large. 0, or -1 (failed). */
int gk_client_send_json(gk_client_t *self, const char *line, size_t len, uint64_t ref);
int gk_client_send_event(gk_client_t *self, const void *event, size_t len, uint64_t ref);

/* Sends what the window allows, then waits up to timeout_ms for answers
 * (0: none, just take what is there) and hands them to on_ack; resends after
 * silence. Returns early when wake_fd (>= 0; -1 for none) becomes readable,
 * so a caller reading a pipe can send its next line at once. 0, or -1. */
int gk_client_service(gk_client_t *self, int timeout_ms, int wake_fd);

/* Waits until every event sent is answered. 0, or -1 (failed). */
int gk_client_flush(gk_client_t *self);

/* Events sent and not answered yet. */
size_t gk_client_unanswered(const gk_client_t *self);

/* Milliseconds since intake last answered anything, counted only while
 * some event waits for an answer (0 otherwise): for a "still waiting" line. */
int64_t gk_client_silent_ms(const gk_client_t *self);

/* Why the last call failed; "" when none did. Valid until the next call. */
const char *gk_client_error(const gk_client_t *self);

#ifdef __cplusplus
}
#endif

#endif
