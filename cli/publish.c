/* gongkai publish — JSON Lines in, acknowledgements out.
 *
 * Lines go to intake as they are (Entry.json), so the rejection log keeps
 * what was actually sent, malformed lines included. A window of lines is in
 * flight; each Submit carries up to CHUNK of them, ref = line number. When
 * acknowledgements stop coming for a while, the socket is replaced (zguide's
 * Lazy Pirate) and every unacknowledged line is sent again in file order
 * before any newer one: intake answers `duplicate` for what it had already
 * committed, so retrying is always safe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/stat.h>
#include <zmq.h>

#include "alloc.h"
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "day.h"
#include "curve.h"
#include "event.h"
#include "utf8.h"
#include "waiting.h"
#include "wire.h"

#define CHUNK 500

struct line {
    uint64_t ref;     /* line number across all inputs, from 1 */
    long lineno;      /* line number within its file, for messages */
    char *data;       /* owned; NULL once answered */
    size_t len;
    int sent;         /* sent on the current socket */
};

struct pub {
    struct line *q;   /* unanswered lines in order: q[head .. tail) */
    size_t head, tail, cap;
    size_t inflight;
    uint64_t accepted, duplicate, rejected;
    void *ctx, *sock;
    void *watch;      /* handshake failures of sock (CURVE only) */
    const struct curve_client *sec;
    const char *endpoint;
};

static void open_socket(struct pub *p)
{
    if (p->watch)
        zmq_close(p->watch);
    if (p->sock)
        zmq_close(p->sock);
    p->sock = zmq_socket(p->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    wire_socket_defaults(p->sock);
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    /* No reconnecting behind our back: a socket whose connection dropped
     * would deliver lines sent after the drop to a restarted intake before
     * the lost, older ones (an answer before its receipt). Once its
     * connection is gone this socket accepts nothing more; the retry below
     * replaces it and resends every unanswered line in order. */
    int no_reconnect = -1;
    zmq_setsockopt(p->sock, ZMQ_RECONNECT_IVL, &no_reconnect, sizeof no_reconnect);
    curve_client(p->sock, p->sec);
    p->watch = p->sec->on ? curve_watch(p->ctx, p->sock) : NULL;
    zmq_connect(p->sock, p->endpoint);
    for (size_t i = p->head; i < p->tail; i++)
        p->q[i].sent = 0;
    p->inflight = 0;
}

static void push_line(struct pub *p, uint64_t ref, long lineno, const char *s, size_t n)
{
    if (p->tail == p->cap) {
        /* Compact before growing: answered lines at the front are gone. */
        if (p->head > 0) {
            memmove(p->q, p->q + p->head, (p->tail - p->head) * sizeof *p->q);
            p->tail -= p->head;
            p->head = 0;
        }
        if (p->tail == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 4096;
            p->q = xrealloc(p->q, p->cap * sizeof *p->q);
        }
    }
    /* A line longer than an event may be is sent cut just past the limit:
     * intake rejects it (too_large) without us shipping megabytes. */
    if (n > EV_MAX_BYTES + 1)
        n = EV_MAX_BYTES + 1;
    p->q[p->tail++] = (struct line){ref, lineno, xmemdup(s, n), n, 0};
}

/* Sends every unsent line, in order, while the window has room. */
static void send_pending(struct pub *p, size_t window)
{
    Gongkai__V1__Entry entries[CHUNK];
    Gongkai__V1__Entry *ptrs[CHUNK];
    size_t i = p->head;
    while (p->inflight < window) {
        size_t n = 0;
        size_t idx[CHUNK];
        for (; i < p->tail && n < CHUNK && p->inflight + n < window; i++) {
            struct line *l = &p->q[i];
            if (!l->data || l->sent)
                continue;
            gongkai__v1__entry__init(&entries[n]);
            entries[n].has_ref = 1, entries[n].ref = l->ref;
            entries[n].has_json = 1;
            entries[n].json.data = (uint8_t *)l->data;
            entries[n].json.len = l->len;
            ptrs[n] = &entries[n];
            idx[n++] = i;
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
        if (wire_send(p->sock, NULL, 0, &env, ZMQ_DONTWAIT) < 0)
            return; /* not connected yet, or HWM: try again after the next poll */
        for (size_t k = 0; k < n; k++)
            p->q[idx[k]].sent = 1;
        p->inflight += n;
    }
}

static struct line *find(struct pub *p, uint64_t ref)
{
    /* Refs increase along the queue: binary search. */
    size_t lo = p->head, hi = p->tail;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->q[mid].ref < ref)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->tail && p->q[lo].ref == ref ? &p->q[lo] : NULL;
}

/* Applies one Acks message; returns how many lines it answered. */
static size_t take_acks(struct pub *p, const Envelope *env, const char *const *names,
                        const long *name_base, size_t nfiles)
{
    size_t answered = 0;
    if (env->body_case != GONGKAI__V1__ENVELOPE__BODY_ACKS)
        return 0;
    for (size_t i = 0; i < env->acks->n_acks; i++) {
        const Gongkai__V1__Ack *a = env->acks->acks[i];
        struct line *l = a->has_ref ? find(p, a->ref) : NULL;
        if (!l || !l->data) {
            if (!a->has_ref && a->code) {
                char c[64], m[1024];
                fprintf(stderr, "intake refused a message: %s: %s\n", utf8_shown(a->code, c, sizeof c),
                        utf8_shown(a->message, m, sizeof m));
            }
            continue;
        }
        if (l->sent)
            p->inflight--;
        switch (a->status) {
        case GONGKAI__V1__STATUS__ACCEPTED: p->accepted++; break;
        case GONGKAI__V1__STATUS__DUPLICATE: p->duplicate++; break;
        case GONGKAI__V1__STATUS__REJECTED: {
            p->rejected++;
            /* What intake sends back is shown, never printed raw: an event_id
             * may hold terminal escapes (issue 23). */
            char id[600], code[64], msg[1024];
            utf8_shown(a->event_id && *a->event_id ? a->event_id : "-", id, sizeof id);
            utf8_shown(a->code ? a->code : "rejected", code, sizeof code);
            utf8_shown(a->message, msg, sizeof msg);
            if (nfiles > 1) {
                size_t f = 0;
                while (f + 1 < nfiles && (long)l->ref > name_base[f + 1])
                    f++;
                fprintf(stderr, "%s: line %ld: %s: %s: %s\n", names[f], l->lineno, id, code, msg);
            } else {
                fprintf(stderr, "line %ld: %s: %s: %s\n", l->lineno, id, code, msg);
            }
            break;
        }
        default:
            /* RETRY (or a status this client does not know): send it again. */
            l->sent = 0;
            continue;
        }
        free(l->data);
        l->data = NULL;
        answered++;
    }
    while (p->head < p->tail && !p->q[p->head].data)
        p->head++;
    return answered;
}

/* Every file readable before anything is sent: a typo in the third name
 * must not leave the first two half published. 0, or 2 (said on stderr). */
static int check_inputs(const char *const *names, size_t nfiles)
{
    for (size_t i = 0; i < nfiles; i++) {
        struct stat st;
        if (strcmp(names[i], "-") == 0)
            continue;
        if (stat(names[i], &st) != 0 || access(names[i], R_OK) != 0) {
            fprintf(stderr, "gongkai publish: cannot open %s: %s\n", names[i], strerror(errno));
            return 2;
        }
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, "gongkai publish: %s is a directory: give the JSON Lines files in it\n",
                    names[i]);
            return 2;
        }
    }
    return 0;
}

/* The input files, read a line at a time in order (stdin when "-"). A
 * regular file is read through stdio, as fast as the window allows; anything
 * else (a pipe, a terminal, a socket) is read without blocking, as its lines
 * come (stream), so a line written to an open pipe is sent at once and
 * answered while the writer goes on. */
struct input {
    const char *const *names;
    size_t nfiles, f;   /* files, and the one being read */
    long *base;         /* ref of the last line before file f (for messages) */
    FILE *in;
    int stream;         /* in is not a regular file: read(2) on its descriptor */
    struct buf pend;    /* a stream's bytes read but not yet a whole line */
    int stream_eof;     /* the stream ended (what is in pend is its last line) */
    long lineno;
    uint64_t ref;       /* lines read in all: the entries' refs */
    int eof;
    char *line;
    size_t linecap;
};

#define STREAM_LINE_MAX (1u << 20) /* a stream's line longer than this is cut here (intake refuses it) */

/* The next line of a stream, without waiting: its length (the line in
 * r->line, no terminator), -1 when none is whole yet, -2 at the end, -3 on a
 * read error (errno set). */
static ssize_t stream_line(struct input *r)
{
    for (;;) {
        char *nl = r->pend.len ? memchr(r->pend.data, '\n', r->pend.len) : NULL;
        size_t take = nl ? (size_t)(nl - r->pend.data) + 1
                      : (r->stream_eof || r->pend.len >= STREAM_LINE_MAX) ? r->pend.len : 0;
        if (take) {
            if (r->linecap < take + 1) {
                r->linecap = take + 1;
                r->line = xrealloc(r->line, r->linecap);
            }
            memcpy(r->line, r->pend.data, take);
            r->line[take] = '\0';
            memmove(r->pend.data, r->pend.data + take, r->pend.len - take);
            r->pend.len -= take;
            return (ssize_t)take;
        }
        if (r->stream_eof)
            return -2;
        struct pollfd pfd = {fileno(r->in), POLLIN, 0};
        int ready = poll(&pfd, 1, 0);
        if (ready < 0 && errno != EINTR)
            return -3;
        if (ready <= 0)
            return -1;
        buf_reserve(&r->pend, 65536);
        ssize_t got = read(fileno(r->in), r->pend.data + r->pend.len, 65536);
        if (got < 0 && errno != EINTR && errno != EAGAIN)
            return -3;
        if (got == 0)
            r->stream_eof = 1;
        if (got > 0)
            r->pend.len += (size_t)got;
    }
}

/* Reads lines into p while its window has room. 0, or 2 when a file cannot
 * be opened or read (said on stderr). */
static int read_ahead(struct pub *p, struct input *r, size_t window)
{
    while (!r->eof && (p->tail - p->head) < window) {
        if (!r->in) {
            if (r->f == r->nfiles) {
                r->eof = 1;
                break;
            }
            const char *name = r->names[r->f];
            r->in = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
            struct stat st;
            if (r->in && fstat(fileno(r->in), &st) == 0 && S_ISDIR(st.st_mode)) {
                fclose(r->in);
                r->in = NULL;
                errno = EISDIR;
            }
            if (!r->in) {
                fprintf(stderr, "gongkai publish: cannot open %s: %s\n", name, strerror(errno));
                return 2;
            }
            r->base[r->f] = (long)r->ref;
            r->lineno = 0;
            struct stat sb;
            r->stream = fstat(fileno(r->in), &sb) == 0 && !S_ISREG(sb.st_mode);
            r->stream_eof = 0;
            buf_reset(&r->pend);
        }
        ssize_t n;
        if (r->stream) {
            n = stream_line(r);
            if (n == -1)
                break; /* nothing whole yet: send what there is, come back */
        } else {
            n = getline(&r->line, &r->linecap, r->in);
        }
        if (n < 0) {
            int failed = r->stream ? n == -3 : ferror(r->in);
            if (failed)
                fprintf(stderr, "gongkai publish: cannot read %s: %s\n", r->names[r->f],
                        strerror(errno));
            if (r->in != stdin)
                fclose(r->in);
            r->in = NULL;
            if (failed)
                return 2;
            r->f++;
            continue;
        }
        r->lineno++;
        r->ref++;
        while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
            n--;
        size_t k = 0;
        while (k < (size_t)n && (r->line[k] == ' ' || r->line[k] == '\t'))
            k++;
        if (k == (size_t)n)
            continue; /* blank lines separate nothing and are not events */
        push_line(p, r->ref, r->lineno, r->line, (size_t)n);
    }
    return 0;
}

/* Takes every answer waiting on the socket (at most 100 ms for the first,
 * less when a stream's input arrives first);
 * 1 when any acknowledged something, -1 when polling failed, else 0. */
static int drain_answers(struct pub *p, const struct input *r)
{
    /* A stream being read wakes this too: its next line goes out at once. */
    zmq_pollitem_t it[2] = {{p->sock, 0, ZMQ_POLLIN, 0}, {NULL, -1, ZMQ_POLLIN, 0}};
    int streaming = r->in && r->stream && !r->stream_eof;
    if (streaming)
        it[1].fd = fileno(r->in);
    int ready = zmq_poll(it, streaming ? 2 : 1, 100);
    if (ready < 0 && errno != EINTR)
        return -1;
    int progress = 0;
    while (ready > 0) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, p->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        Envelope *env = wire_unpack(zmq_msg_data(&m), zmq_msg_size(&m));
        if (env && take_acks(p, env, r->names, r->base, r->nfiles))
            progress = 1;
        wire_free(env);
        zmq_msg_close(&m);
    }
    return progress;
}

/* The publishing loop: read ahead within the window, send, take answers,
 * reconnect and resend in order when intake is silent (Lazy Pirate), give up
 * after timeout_ms without progress. 0, or 2 (refused, timed out, unreadable
 * input). */
static int run(struct pub *p, struct input *rd, size_t window, long timeout_ms)
{
    int rc = 0;
    char why[600];
    int64_t last_progress = day_mono_us() / 1000, last_ack = day_mono_us() / 1000;
    long retry_ms = 3000;
    struct waiting waiting;
    waiting_init(&waiting, "gongkai publish", "intake", "gongkai-intake", p->endpoint, WAITING_AFTER_MS);
    while (!rd->eof || p->head < p->tail) {
        int idle = p->head == p->tail;
        if ((rc = read_ahead(p, rd, window)))
            return rc;
        /* Waiting for answers starts when there is something to answer: time
         * spent reading a slow stdin with nothing unanswered is not silence. */
        if (idle)
            last_progress = last_ack = day_mono_us() / 1000;
        send_pending(p, window);
        if (p->head == p->tail && rd->eof)
            break;
        int progress = drain_answers(p, rd);
        if (progress < 0)
            break;
        if (progress) {
            last_progress = last_ack = day_mono_us() / 1000;
            retry_ms = 3000;
            waiting_reset(&waiting);
        }
        if (curve_refused(p->watch, why, sizeof why)) {
            /* Retrying cannot help until the allowlist changes. */
            fprintf(stderr, "gongkai publish: %s: %s\n", p->endpoint, why);
            rc = 2;
            break;
        }
        int64_t t = day_mono_us() / 1000;
        if (p->head < p->tail)
            waiting_tick(&waiting, t - last_progress);
        /* Unanswered lines, sent or not (a socket that lost or never got its
         * connection refuses sends), and no answer for a while. */
        if (p->head < p->tail && t - last_ack > retry_ms) {
            /* Lazy Pirate: a fresh socket, everything unanswered again, in order. */
            fprintf(stderr, "gongkai publish: no answer from %s for %.1f s; reconnecting and "
                            "resending %zu events\n",
                    p->endpoint, (double)(t - last_ack) / 1000, p->tail - p->head);
            open_socket(p);
            last_ack = t;
            if (retry_ms < 10000)
                retry_ms *= 2;
        }
        if (t - last_progress > timeout_ms) {
            fprintf(stderr, "gongkai publish: no acknowledgement from %s in %ld s; giving up "
                            "with %zu events unacknowledged\n",
                    p->endpoint, timeout_ms / 1000, p->tail - p->head);
            rc = 2;
            break;
        }
    }
    return rc;
}

int cmd_publish(int argc, char **argv)
{
    const char *endpoint, *window_s, *timeout_s, *cert, *server_key, *insecure;
    const struct config_opt opts[] = {
        {"endpoint", "GONGKAI_INTAKE", "tcp://127.0.0.1:7101", "intake's ROUTER endpoint", &endpoint},
        {"window", NULL, "2000", "events in flight at most", &window_s},
        {"timeout", NULL, "60", "seconds without any acknowledgement before giving up (exit 2)", &timeout_s},
        {"client-cert", "GONGKAI_CLIENT_CERT", NULL, "this publisher's secret key file (from gongkai keygen)", &cert},
        {"intake-key", "GONGKAI_INTAKE_KEY", NULL, "intake's public key: its .pub file or Z85 text", &server_key},
        {"insecure", "GONGKAI_INSECURE", NULL, "[flag] plaintext, for an intake started with GONGKAI_INSECURE=1", &insecure},
        {0}};
    int first = config_parse("gongkai publish",
                             "usage: gongkai publish [--endpoint E] [FILE...]\n\n"
                             "Sends JSON Lines events (spec/events.md) to gongkai-intake, stdin when\n"
                             "no FILE is given. Prints one stderr line per rejection\n"
                             "(line N: EVENT_ID: CODE: message) and, last on stdout,\n"
                             "accepted A, duplicate D, rejected R\n"
                             "Exit 0 when nothing was rejected, 1 when something was, 2 on usage or\n"
                             "connection failure. Unacknowledged events are retried with the same\n"
                             "event_id, in file order, until intake answers. From a pipe (or a\n"
                             "terminal, a socket) each line is sent as soon as it is read and\n"
                             "answered while the writer goes on; the counts come when it closes.",
                             opts, argc, argv);
    size_t window = (size_t)strtoul(window_s, NULL, 10);
    long timeout_ms = strtol(timeout_s, NULL, 10) * 1000;
    if (window < 1 || timeout_ms < 1000) {
        fprintf(stderr, "gongkai publish: --window must be ≥ 1 and --timeout ≥ 1\n");
        return 2;
    }
    struct curve_client sec;
    char why[600];
    curve_local_defaults(&cert, "local-publisher", &server_key, "intake");
    if (curve_client_setup(&sec, insecure, cert, "GONGKAI_CLIENT_CERT", server_key,
                           "GONGKAI_INTAKE_KEY", why, sizeof why)) {
        fprintf(stderr, "gongkai publish: %s\n", why);
        return 2;
    }
    size_t nfiles = (size_t)(argc - first);
    const char *stdin_name[] = {"-"};
    const char *const *names = nfiles ? (const char *const *)argv + first : stdin_name;
    if (!nfiles)
        nfiles = 1;
    if (check_inputs(names, nfiles))
        return 2;
    struct input rd = {.names = names, .nfiles = nfiles, .base = xcalloc(nfiles, sizeof(long))};

    struct pub p = {0};
    p.endpoint = endpoint;
    p.sec = &sec;
    p.ctx = zmq_ctx_new();
    open_socket(&p);

    int rc = run(&p, &rd, window, timeout_ms);
    printf("accepted %llu, duplicate %llu, rejected %llu\n", (unsigned long long)p.accepted,
           (unsigned long long)p.duplicate, (unsigned long long)p.rejected);
    if (!rc && p.rejected)
        rc = 1;
    for (size_t i = p.head; i < p.tail; i++)
        free(p.q[i].data);
    free(p.q);
    if (rd.in && rd.in != stdin)
        fclose(rd.in);
    free(rd.line);
    buf_free(&rd.pend);
    free(rd.base);
    if (p.watch)
        zmq_close(p.watch);
    zmq_close(p.sock);
    zmq_ctx_term(p.ctx);
    curve_wipe(&sec.me);
    return rc;
}
