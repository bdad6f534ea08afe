/* publish — the smallest complete client of libgongkai-client.
 *
 * Reads JSON Lines events on stdin, publishes them to gongkai-intake, and
 * prints one line per acknowledgement, in the order they come:
 *
 *   LINE STATUS SEQ EVENT_ID [CODE MESSAGE]
 *
 * then "accepted A, duplicate D, rejected R". Exit 0 when nothing was
 * rejected, 1 when something was, 2 when intake could not be reached.
 *
 *   cc publish.c $(pkg-config --cflags --libs gongkai-client) -o publish
 *   GONGKAI_INSECURE=1 ./publish tcp://127.0.0.1:7101 < events.jsonl
 *   GONGKAI_CLIENT_CERT=me.key GONGKAI_INTAKE_KEY=intake.pub ./publish tcp://host:7101 < events.jsonl
 */
#define _POSIX_C_SOURCE 200809L
#include <gongkai/client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counts {
    unsigned long long accepted, duplicate, rejected;
};

static void on_ack(const gk_ack_t *ack, void *arg)
{
    struct counts *n = arg;
    static const char *const names[] = {"?", "accepted", "duplicate", "rejected"};
    printf("%llu %s %llu %s", (unsigned long long)ack->ref, names[ack->status],
           (unsigned long long)ack->seq, *ack->event_id ? ack->event_id : "-");
    if (ack->status == GK_REJECTED)
        printf(" %s %s", ack->code, ack->message);
    printf("\n");
    if (ack->status == GK_ACCEPTED)
        n->accepted++;
    else if (ack->status == GK_DUPLICATE)
        n->duplicate++;
    else
        n->rejected++;
}

static void on_log(const char *line, void *arg)
{
    (void)arg;
    fprintf(stderr, "publish: %s\n", line);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: publish tcp://HOST:PORT < events.jsonl\n");
        return 2;
    }
    const char *insecure = getenv("GONGKAI_INSECURE");
    struct counts n = {0};
    gk_client_options_t o = {
        .endpoint = argv[1],
        .insecure = insecure && strcmp(insecure, "1") == 0,
        .client_cert = getenv("GONGKAI_CLIENT_CERT"),
        .intake_key = getenv("GONGKAI_INTAKE_KEY"),
        .on_ack = on_ack,
        .ack_arg = &n,
        .on_log = on_log,
    };
    char err[600];
    gk_client_t *c = gk_client_new(&o, err, sizeof err);
    if (!c) {
        fprintf(stderr, "publish: %s\n", err);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long long lineno = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        /* The line number is the reference: each ack names its line. */
        if (gk_client_send_json(c, line, (size_t)len, lineno) != 0) {
            rc = 2;
            break;
        }
    }
    if (rc == 0 && gk_client_flush(c) != 0)
        rc = 2;
    if (rc == 2)
        fprintf(stderr, "publish: %s\n", gk_client_error(c));
    printf("accepted %llu, duplicate %llu, rejected %llu\n", n.accepted, n.duplicate, n.rejected);
    gk_client_destroy(&c);
    free(line);
    return rc ? rc : n.rejected ? 1 : 0;
}
