/* gongkai publish — JSON Lines in, acknowledgements out.
 *
 * Lines go to intake as they are (Entry.json), so the rejection log keeps
 * what was actually sent, malformed lines included, through libgongkai-client
 * (include/gongkai/client.h: the window, acks, resends in order after
 * silence). Here: reading the inputs (files, or a stream as its lines come),
 * naming each rejection by file and line (the entry's ref is the line number
 * across all inputs), the waiting line, and the counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "curve.h"
#include "event.h"
#include "gongkai/client.h"
#include "utf8.h"
#include "waiting.h"

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
    size_t opened;      /* files opened so far (base[] holds theirs) */
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
static int read_ahead(gk_client_t *c, struct input *r, size_t window)
{
    while (!r->eof && gk_client_unanswered(c) < window) {
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
            r->opened = r->f + 1;
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
        if (gk_client_send_json(c, r->line, (size_t)n, r->ref))
            return 2; /* cannot happen with room in the window; said by run */
    }
    return 0;
}

/* What the acks say, counted, and each rejection named by file and line. */
struct tally {
    const struct input *rd;
    uint64_t accepted, duplicate, rejected;
};

static void on_ack(const gk_ack_t *a, void *arg)
{
    struct tally *t = arg;
    if (a->status == GK_ACCEPTED) {
        t->accepted++;
        return;
    }
    if (a->status == GK_DUPLICATE) {
        t->duplicate++;
        return;
    }
    t->rejected++;
    /* What intake sends back is shown, never printed raw: an event_id may
     * hold terminal escapes (issue 23). The file is the last one opened
     * whose first line comes before this one. */
    const struct input *r = t->rd;
    size_t f = 0;
    while (f + 1 < r->opened && (long)a->ref > r->base[f + 1])
        f++;
    char id[600], code[64], msg[1024];
    utf8_shown(*a->event_id ? a->event_id : "-", id, sizeof id);
    utf8_shown(*a->code ? a->code : "rejected", code, sizeof code);
    utf8_shown(a->message, msg, sizeof msg);
    if (r->nfiles > 1)
        fprintf(stderr, "%s: line %ld: %s: %s: %s\n", r->names[f], (long)a->ref - r->base[f], id,
                code, msg);
    else
        fprintf(stderr, "line %ld: %s: %s: %s\n", (long)a->ref - r->base[f], id, code, msg);
}

static void on_log(const char *line, void *arg)
{
    (void)arg;
    fprintf(stderr, "gongkai publish: %s\n", line);
}

/* The publishing loop: read ahead within the window while the client sends
 * and takes answers (a stream's next line wakes it at once); the waiting
 * line after a silence. 0, or 2 (refused, timed out, unreadable input). */
static int run(gk_client_t *c, struct input *rd, size_t window, const char *endpoint)
{
    struct waiting waiting;
    waiting_init(&waiting, "gongkai publish", "intake", "gongkai-intake", endpoint, WAITING_AFTER_MS);
    for (;;) {
        int rc = read_ahead(c, rd, window);
        if (rc) {
            if (gk_client_error(c)[0])
                fprintf(stderr, "gongkai publish: %s\n", gk_client_error(c));
            return rc;
        }
        if (rd->eof && !gk_client_unanswered(c))
            return 0;
        int streaming = rd->in && rd->stream && !rd->stream_eof;
        if (gk_client_service(c, 100, streaming ? fileno(rd->in) : -1)) {
            fprintf(stderr, "gongkai publish: %s\n", gk_client_error(c));
            return 2;
        }
        int64_t silent = gk_client_silent_ms(c);
        if (silent)
            waiting_tick(&waiting, silent);
        else
            waiting_reset(&waiting);
    }
}

int cmd_publish(int argc, char **argv)
{
    const char *endpoint, *window_s, *timeout_s, *cert, *server_key, *insecure;
    const struct config_opt opts[] = {
        {"endpoint", "GONGKAI_INTAKE", "tcp://127.0.0.1:7101", "intake's ROUTER endpoint", &endpoint},
        {"window", NULL, "2000", "events in flight at most (1 to 2000)", &window_s},
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
    if (window < 1 || window > GK_CLIENT_WINDOW_MAX || timeout_ms < 1000) {
        fprintf(stderr, "gongkai publish: --window must be 1 to %d (intake's window per "
                        "connection) and --timeout ≥ 1\n", GK_CLIENT_WINDOW_MAX);
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

    /* The keys were checked above, with the names an operator sets. */
    curve_wipe(&sec.me);
    struct tally tally = {.rd = &rd};
    gk_client_options_t o = {.endpoint = endpoint,
                             .insecure = !sec.on,
                             .client_cert = cert,
                             .intake_key = server_key,
                             .window = window,
                             .give_up_ms = timeout_ms,
                             .on_ack = on_ack,
                             .ack_arg = &tally,
                             .on_log = on_log};
    gk_client_t *c = gk_client_new(&o, why, sizeof why);
    int rc = 2;
    if (!c)
        fprintf(stderr, "gongkai publish: %s\n", why);
    else
        rc = run(c, &rd, window, endpoint);
    printf("accepted %llu, duplicate %llu, rejected %llu\n", (unsigned long long)tally.accepted,
           (unsigned long long)tally.duplicate, (unsigned long long)tally.rejected);
    if (!rc && tally.rejected)
        rc = 1;
    gk_client_destroy(&c);
    if (rd.in && rd.in != stdin)
        fclose(rd.in);
    free(rd.line);
    buf_free(&rd.pend);
    free(rd.base);
    return rc;
}
