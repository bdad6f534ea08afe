/* client — libgongkai-client: events to intake, acknowledgements back
 * (include/gongkai/client.h says what it promises).
 *
 * The queue q[head .. tail) holds every event given and not answered yet, in
 * the order given; each has a wire ref (a counter of ours, increasing along
 * the queue, so an ack is found by binary search) and the caller's ref.
 * Submits carry up to CHUNK entries and at most SUBMIT_BYTES, so intake never
 * refuses one whole as too_large. Silence for retry_ms (3 s, doubling to
 * 10 s) replaces the socket and marks everything unsent again, in order.
 */
#include "gongkai/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "alloc.h"
#include "curve.h"
#include "utf8.h"
#include "wire.h"

#define API __attribute__((visibility("default")))

#define CHUNK 500                         /* entries in one Submit at most */
#define SUBMIT_BYTES (WIRE_MAX_MSG - 65536u) /* room for the envelope and tags */
#define RETRY_FIRST_MS 3000
#define RETRY_MAX_MS 10000

_Static_assert(GK_CLIENT_WINDOW_MAX == 2000, "PROTOCOL.md: the window of a connection");
_Static_assert(GK_CLIENT_EVENT_MAX == 65536, "PROTOCOL.md: the size of one event");
_Static_assert(CHUNK <= WIRE_MAX_ENTRIES, "a Submit's entries");
_Static_assert((int)GK_ACCEPTED == GONGKAI__V1__STATUS__ACCEPTED &&
                   (int)GK_DUPLICATE == GONGKAI__V1__STATUS__DUPLICATE &&
                   (int)GK_REJECTED == GONGKAI__V1__STATUS__REJECTED,
               "gk_status_t follows gongkai.v1.Status");

struct item {
    uint64_t wire_ref;  /* ours: increasing along the queue */
    uint64_t ref;       /* the caller's */
    char *data;         /* owned; NULL once answered */
    size_t len;
    int is_event;       /* Entry.event (protobuf) rather than Entry.json */
    int sent;           /* sent on the current socket */
};

struct gk_client {
    struct item *q;     /* q[head .. tail): unanswered, in order */
    size_t head, tail, cap;
    size_t inflight;    /* sent on the current socket, unanswered */
    uint64_t next_ref;
    size_t window;
    long give_up_ms, retry_ms;
    int64_t last_answer_ms; /* last answer, or when the queue last became non-empty */
    int64_t last_try_ms;    /* last answer or socket opened: the Lazy Pirate timer */
    int64_t last_service_ms;
    void *ctx, *sock, *watch;
    struct curve_client sec;
    char *endpoint;
    gk_ack_fn *on_ack;
    void *ack_arg;
    gk_log_fn *on_log;
    void *log_arg;
    int failed;
    char error[600];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void say(gk_client_t *self, const char *fmt, ...)
{
    if (!self->on_log)
        return;
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    self->on_log(line, self->log_arg);
}

__attribute__((format(printf, 2, 3))) static int fail(gk_client_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->error, sizeof self->error, fmt, ap);
    va_end(ap);
    self->failed = 1;
    return -1;
}

/* A new socket connecting to intake; every unanswered event unsent again.
 * 0, or -1 when the endpoint cannot be connected to at all (its form). */
static int open_socket(gk_client_t *self)
{
    if (self->watch)
        zmq_close(self->watch);
    if (self->sock)
        zmq_close(self->sock);
    self->sock = zmq_socket(self->ctx, ZMQ_DEALER);
    wire_socket_defaults(self->sock);
    /* Order (PROTOCOL.md, "Writing a client"): nothing queued for a peer not
     * connected, and no reconnecting behind our back — an old socket would
     * deliver events sent after a drop to a restarted intake before the
     * lost, older ones (an answer before its receipt). Once its connection
     * is gone this socket takes nothing more; silence replaces it and every
     * unanswered event goes again, in order. */
    int linger = 0, one = 1, no_reconnect = -1, rcvhwm = 2 * GK_CLIENT_WINDOW_MAX;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm); /* an Acks per entry at worst */
    zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(self->sock, ZMQ_RECONNECT_IVL, &no_reconnect, sizeof no_reconnect);
    curve_client(self->sock, &self->sec);
    self->watch = self->sec.on ? curve_watch(self->ctx, self->sock) : NULL;
    int rc = zmq_connect(self->sock, self->endpoint);
    for (size_t i = self->head; i < self->tail; i++)
        self->q[i].sent = 0;
    self->inflight = 0;
    self->last_try_ms = now_ms();
    return rc;
}

API gk_client_t *gk_client_new(const gk_client_options_t *o, char *err, size_t errlen)
{
    char dummy[1];
    if (!err)
        err = dummy, errlen = sizeof dummy;
    if (!o || !o->endpoint || !*o->endpoint || !o->on_ack) {
        snprintf(err, errlen, "%s", !o || !o->on_ack ? "on_ack: required" : "endpoint: required");
        return NULL;
    }
    if (o->window > GK_CLIENT_WINDOW_MAX) {
        snprintf(err, errlen, "window: %zu, at most %d (intake's window per connection)", o->window,
                 GK_CLIENT_WINDOW_MAX);
        return NULL;
    }
    if (o->give_up_ms < 0) {
        snprintf(err, errlen, "give_up_ms: %ld, must be 0 (the default) or more", o->give_up_ms);
        return NULL;
    }
    gk_client_t *self = xcalloc(1, sizeof *self);
    if (curve_client_setup(&self->sec, o->insecure ? "1" : NULL, o->client_cert, "client_cert",
                           o->intake_key, "intake_key", err, errlen)) {
        free(self);
        return NULL;
    }
    self->endpoint = xstrdup(o->endpoint);
    self->window = o->window ? o->window : GK_CLIENT_WINDOW_MAX;
    self->give_up_ms = o->give_up_ms ? o->give_up_ms : 60000;
    self->retry_ms = RETRY_FIRST_MS;
    self->on_ack = o->on_ack, self->ack_arg = o->ack_arg;
    self->on_log = o->on_log, self->log_arg = o->log_arg;
    self->next_ref = 1;
    self->ctx = zmq_ctx_new();
    if (!self->ctx) {
        snprintf(err, errlen, "zmq_ctx_new: %s", zmq_strerror(errno));
        free(self->endpoint);
        free(self);
        return NULL;
    }
    if (open_socket(self) != 0) {
        snprintf(err, errlen, "endpoint: \"%s\": %s (use tcp://HOST:PORT)", self->endpoint,
                 zmq_strerror(errno));
        gk_client_destroy(&self);
        return NULL;
    }
    return self;
}

API void gk_client_destroy(gk_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gk_client_t *self = *self_p;
    for (size_t i = self->head; i < self->tail; i++)
        free(self->q[i].data);
    free(self->q);
    if (self->watch)
        zmq_close(self->watch);
    zmq_close(self->sock);
    zmq_ctx_term(self->ctx);
    curve_wipe(&self->sec.me);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

/* Sends every unsent event, in order, while the window has room; stops at
 * the first that the socket will not take (not connected yet). */
static void send_pending(gk_client_t *self)
{
    Gongkai__V1__Entry entries[CHUNK];
    Gongkai__V1__Entry *ptrs[CHUNK];
    size_t idx[CHUNK];
    size_t i = self->head;
    while (self->inflight < self->window) {
        size_t n = 0, bytes = 0;
        for (; i < self->tail && n < CHUNK && self->inflight + n < self->window; i++) {
            struct item *it = &self->q[i];
            if (!it->data || it->sent)
                continue;
            if (n && bytes + it->len + 16 > SUBMIT_BYTES)
                break; /* the next Submit starts with it */
            gongkai__v1__entry__init(&entries[n]);
            entries[n].has_ref = 1, entries[n].ref = it->wire_ref;
            ProtobufCBinaryData b = {it->len, (uint8_t *)it->data};
            if (it->is_event)
                entries[n].has_event = 1, entries[n].event = b;
            else
                entries[n].has_json = 1, entries[n].json = b;
            ptrs[n] = &entries[n];
            idx[n++] = i;
            bytes += it->len + 16;
        }
        if (!n)
            return;
        Gongkai__V1__Submit sub = GONGKAI__V1__SUBMIT__INIT;
        sub.n_entries = n;
        sub.entries = ptrs;
        Envelope env = GONGKAI__V1__ENVELOPE__INIT;
        env.has_version = 1, env.version = WIRE_VERSION;
        env.body_case = GONGKAI__V1__ENVELOPE__BODY_SUBMIT;
        env.submit = &sub;
        if (wire_send(self->sock, NULL, 0, &env, ZMQ_DONTWAIT) < 0)
            return; /* not connected yet, or full: again after the next poll */
        for (size_t k = 0; k < n; k++)
            self->q[idx[k]].sent = 1;
        self->inflight += n;
    }
}

static struct item *find(gk_client_t *self, uint64_t wire_ref)
{
    size_t lo = self->head, hi = self->tail;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->q[mid].wire_ref < wire_ref)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->tail && self->q[lo].wire_ref == wire_ref ? &self->q[lo] : NULL;
}

/* Applies one Acks message; returns how many events it answered. */
static size_t take_acks(gk_client_t *self, const Envelope *env)
{
    size_t answered = 0;
    if (env->body_case != GONGKAI__V1__ENVELOPE__BODY_ACKS)
        return 0;
    for (size_t i = 0; i < env->acks->n_acks; i++) {
        const Gongkai__V1__Ack *a = env->acks->acks[i];
        struct item *it = a->has_ref ? find(self, a->ref) : NULL;
        if (!it || !it->data) {
            if (!a->has_ref && a->code && !self->failed) {
                /* A whole Submit refused (bad_protobuf, too_large, a version
                 * intake does not speak): sent again it gets the same answer,
                 * so this client fails now with intake's code rather than
                 * resending until give_up_ms. Its events stay unanswered. */
                char c[64], m[400];
                fail(self, "intake refused a whole message: %s: %s (%zu events unanswered; not sent again)",
                     utf8_shown(a->code, c, sizeof c), utf8_shown(a->message, m, sizeof m),
                     self->tail - self->head);
            }
            continue;
        }
        if (it->sent)
            self->inflight--;
        int again = a->status != GONGKAI__V1__STATUS__ACCEPTED &&
                    a->status != GONGKAI__V1__STATUS__DUPLICATE &&
                    a->status != GONGKAI__V1__STATUS__REJECTED;
        /* The window was full at intake (another client's events on this
         * connection's count, or a resend racing its answers): not about
         * this content, so send it again. */
        again = again || (a->status == GONGKAI__V1__STATUS__REJECTED && a->code &&
                          strcmp(a->code, "too_many_in_flight") == 0);
        if (again) {
            it->sent = 0;
            continue;
        }
        gk_ack_t ack = {.status = (gk_status_t)a->status,
                        .ref = it->ref,
                        .seq = a->has_seq ? a->seq : 0,
                        .event_id = a->event_id ? a->event_id : "",
                        .code = a->status == GONGKAI__V1__STATUS__REJECTED && a->code ? a->code : "",
                        .message = a->status == GONGKAI__V1__STATUS__REJECTED && a->message
                                       ? a->message
                                       : ""};
        free(it->data);
        it->data = NULL;
        answered++;
        self->on_ack(&ack, self->ack_arg);
    }
    while (self->head < self->tail && !self->q[self->head].data)
        self->head++;
    return answered;
}

/* Some event not sent on this socket, and room for it in the window. */
static int can_send(const gk_client_t *self)
{
    if (self->inflight >= self->window)
        return 0;
    for (size_t i = self->head; i < self->tail; i++)
        if (self->q[i].data && !self->q[i].sent)
            return 1;
    return 0;
}

/* Takes every answer waiting (waiting up to timeout_ms for the first, or
 * for the socket to take what could not be sent, or for wake_fd). */
static int drain(gk_client_t *self, int timeout_ms, int wake_fd)
{
    int want_out = can_send(self);
    zmq_pollitem_t it[2] = {{self->sock, 0, (short)(ZMQ_POLLIN | (want_out ? ZMQ_POLLOUT : 0)), 0},
                            {NULL, wake_fd, ZMQ_POLLIN, 0}};
    int ready = zmq_poll(it, wake_fd >= 0 ? 2 : 1, timeout_ms);
    if (ready < 0 && errno != EINTR)
        return fail(self, "zmq_poll: %s", zmq_strerror(errno));
    size_t answered = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        Envelope *env = wire_unpack(zmq_msg_data(&m), zmq_msg_size(&m));
        if (env)
            answered += take_acks(self, env);
        wire_free(env);
        zmq_msg_close(&m);
    }
    if (self->failed)
        return -1;
    if (answered) {
        self->last_answer_ms = self->last_try_ms = now_ms();
        self->retry_ms = RETRY_FIRST_MS;
    }
    return 0;
}

API int gk_client_service(gk_client_t *self, int timeout_ms, int wake_fd)
{
    if (!self)
        return -1;
    if (self->failed)
        return -1;
    self->error[0] = '\0';
    self->last_service_ms = now_ms();
    send_pending(self);
    if (drain(self, timeout_ms < 0 ? 0 : timeout_ms, wake_fd))
        return -1;
    send_pending(self);
    char why[600];
    if (curve_refused(self->watch, why, sizeof why))
        return fail(self, "%s: %s", self->endpoint, why); /* retrying cannot help */
    if (self->head == self->tail)
        return 0;
    int64_t t = now_ms();
    if (t - self->last_answer_ms > self->give_up_ms)
        return fail(self, "no acknowledgement from %s in %ld s; giving up with %zu events "
                          "unacknowledged",
                    self->endpoint, self->give_up_ms / 1000, self->tail - self->head);
    if (t - self->last_try_ms > self->retry_ms) {
        say(self, "no answer from %s for %.1f s; reconnecting and resending %zu events",
            self->endpoint, (double)(t - self->last_try_ms) / 1000, self->tail - self->head);
        if (open_socket(self) != 0)
            return fail(self, "%s: %s", self->endpoint, zmq_strerror(errno));
        if (self->retry_ms < RETRY_MAX_MS)
            self->retry_ms = self->retry_ms * 2 < RETRY_MAX_MS ? self->retry_ms * 2 : RETRY_MAX_MS;
        send_pending(self);
    }
    return 0;
}

static int push(gk_client_t *self, const void *data, size_t len, int is_event, uint64_t ref)
{
    if (!self || (!data && len))
        return -1;
    if (self->failed)
        return -1;
    while (self->tail - self->head >= self->window)
        if (gk_client_service(self, 100, -1))
            return -1;
    if (self->head == self->tail) /* silence counts from now, not from the last answer */
        self->last_answer_ms = self->last_try_ms = now_ms();
    if (self->tail == self->cap) {
        /* Compact before growing: answered events at the front are gone. */
        if (self->head > 0) {
            memmove(self->q, self->q + self->head, (self->tail - self->head) * sizeof *self->q);
            self->tail -= self->head;
            self->head = 0;
        }
        if (self->tail == self->cap) {
            self->cap = self->cap ? 2 * self->cap : 1024;
            self->q = xrealloc(self->q, self->cap * sizeof *self->q);
        }
    }
    /* Longer than an event may be: sent cut just past the limit, so intake
     * refuses it (too_large) without megabytes shipped. */
    if (len > GK_CLIENT_EVENT_MAX + 1)
        len = GK_CLIENT_EVENT_MAX + 1;
    self->q[self->tail++] =
        (struct item){self->next_ref++, ref, xmemdup(len ? data : "", len ? len : 1), len, is_event, 0};
    /* Like Nagle: at once when nothing is in flight; otherwise what came
     * meanwhile goes as one Submit when answers are taken (at most every
     * millisecond here, or at the caller's next service). A Submit per event
     * would cost intake a message each. */
    if (self->inflight == 0)
        send_pending(self);
    else if (now_ms() != self->last_service_ms)
        return gk_client_service(self, 0, -1);
    return 0;
}

API int gk_client_send_json(gk_client_t *self, const char *line, size_t len, uint64_t ref)
{
    return push(self, line, len, 0, ref);
}

API int gk_client_send_event(gk_client_t *self, const void *event, size_t len, uint64_t ref)
{
    return push(self, event, len, 1, ref);
}

API int gk_client_flush(gk_client_t *self)
{
    if (!self)
        return -1;
    while (self->head < self->tail)
        if (gk_client_service(self, 100, -1))
            return -1;
    return self->failed ? -1 : 0;
}

API size_t gk_client_unanswered(const gk_client_t *self)
{
    return self ? self->tail - self->head : 0;
}

API int64_t gk_client_silent_ms(const gk_client_t *self)
{
    if (!self || self->head == self->tail)
        return 0;
    return now_ms() - self->last_answer_ms;
}

API const char *gk_client_error(const gk_client_t *self)
{
    return self ? self->error : "no client";
}
