/* auth — ZAP handler thread and the current allowlist (see auth.h). */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "alloc.h"
#include "log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_FRAMES 8          /* a request has 7 frames for CURVE; more is malformed */
#define POLL_MS 200           /* how soon a reload or a stop is noticed */
#define REFUSED_LOG_EVERY 60  /* seconds between log lines for the same refused key */

struct auth {
    char *path;               /* owned */
    void *rep;                /* owned by the thread once it runs */
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t lock;     /* guards ring (the pointer, not the ring) */
    struct keyring *ring;
    /* The last refusal logged, so a client retrying every 100 ms cannot flood the log. */
    char last_refused[KEY_Z85_LEN + 16];
    time_t last_refused_at;
};

static atomic_int reload_requested;

void auth_request_reload(void)
{
    atomic_store(&reload_requested, 1);
}

int auth_admits(const char *domain, enum key_role role)
{
    if (strcmp(domain, AUTH_DOMAIN_INTAKE) == 0)
        return role == ROLE_PUBLISHER || role == ROLE_DASHBOARD || role == ROLE_AGGREGATOR;
    if (strcmp(domain, AUTH_DOMAIN_FEED) == 0)
        return role == ROLE_AGGREGATOR;
    if (strcmp(domain, AUTH_DOMAIN_QUERY) == 0)
        return role == ROLE_DASHBOARD || role == ROLE_AGGREGATOR;
    return 0;
}

struct keyring *auth_keys(struct auth *a)
{
    pthread_mutex_lock(&a->lock);
    struct keyring *r = keyring_ref(a->ring);
    pthread_mutex_unlock(&a->lock);
    return r;
}

static void log_ring(const char *msg, const struct auth *a, const struct keyring *r)
{
    log_info(msg, "keys=%s publishers=%zu dashboards=%zu aggregators=%zu retired=%zu", a->path,
             keyring_count(r, ROLE_PUBLISHER), keyring_count(r, ROLE_DASHBOARD),
             keyring_count(r, ROLE_AGGREGATOR), keyring_count(r, ROLE_RETIRED));
}

int auth_reload(struct auth *a)
{
    char err[400];
    struct keyring *next = keyring_load(a->path, err, sizeof err);
    if (!next) {
        log_error("allowlist not reloaded; the previous one stays in force", "error=\"%s\"", err);
        return -1;
    }
    pthread_mutex_lock(&a->lock);
    keyring_retire(next, a->ring);
    struct keyring *old = a->ring;
    a->ring = next;
    pthread_mutex_unlock(&a->lock);
    keyring_unref(&old);
    log_ring("allowlist reloaded", a, next);
    return 0;
}

/* Frame i of a request as a NUL-terminated string (cut to n-1). */
static void frame_text(zmq_msg_t *f, char *out, size_t n)
{
    size_t len = zmq_msg_size(f) < n - 1 ? zmq_msg_size(f) : n - 1;
    memcpy(out, zmq_msg_data(f), len);
    out[len] = '\0';
}

static void reply(void *rep, zmq_msg_t *request_id, const char *status, const char *text,
                  const char *user_id)
{
    zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, request_id);
    zmq_msg_send(&id, rep, ZMQ_SNDMORE);
    zmq_send(rep, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(rep, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(rep, user_id, strlen(user_id), ZMQ_SNDMORE);
    zmq_send(rep, "", 0, 0);
}

static void refused(struct auth *a, const char *why, const char *domain, const char *address,
                    const char *key, const char *name)
{
    char tag[sizeof a->last_refused];
    snprintf(tag, sizeof tag, "%s/%s", domain, key);
    time_t now = time(NULL);
    if (strcmp(tag, a->last_refused) == 0 && now - a->last_refused_at < REFUSED_LOG_EVERY)
        return;
    snprintf(a->last_refused, sizeof a->last_refused, "%s", tag);
    a->last_refused_at = now;
    log_warn("connection refused", "reason=\"%s\" domain=%s address=%s key=%s name=%s", why, domain,
             address, key, name);
}

/* Reads one ZAP request and answers it. */
static void serve(struct auth *a)
{
    zmq_msg_t f[ZAP_FRAMES];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, a->rep, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        if (n < ZAP_FRAMES)
            f[n++] = part;
        else
            zmq_msg_close(&part);
    }
    if (n < 6) {
        /* Not a request libzmq would send; REP still owes an answer. */
        if (n >= 2)
            reply(a->rep, &f[1], "500", "malformed ZAP request", "");
        else
            zmq_send(a->rep, "", 0, 0);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        return;
    }
    char version[8], domain[64], address[64], mechanism[16], key[KEY_Z85_LEN + 1] = "-";
    frame_text(&f[0], version, sizeof version);
    frame_text(&f[2], domain, sizeof domain);
    frame_text(&f[3], address, sizeof address);
    frame_text(&f[5], mechanism, sizeof mechanism);
    if (strcmp(version, "1.0") != 0) {
        reply(a->rep, &f[1], "500", "ZAP version 1.0 only", "");
    } else if (strcmp(mechanism, "CURVE") != 0 || n != 7 || zmq_msg_size(&f[6]) != 32) {
        refused(a, "not CURVE", domain, address, key, "-");
        reply(a->rep, &f[1], "400", "CURVE only", "");
    } else {
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        struct keyring *r = auth_keys(a);
        const struct key_entry *k = keyring_find(r, key);
        if (!k || k->role == ROLE_RETIRED) {
            refused(a, k ? "key removed from the allowlist" : "key not in the allowlist", domain,
                    address, key, k ? k->name : "-");
            reply(a->rep, &f[1], "400", "unknown key", "");
        } else if (!auth_admits(domain, k->role)) {
            char why[96];
            snprintf(why, sizeof why, "role %s may not connect here", key_role_name(k->role));
            refused(a, why, domain, address, key, k->name);
            reply(a->rep, &f[1], "400", "role not allowed", "");
        } else {
            log_debug("connection admitted", "domain=%s address=%s name=%s role=%s", domain,
                      address, k->name, key_role_name(k->role));
            reply(a->rep, &f[1], "200", "OK", key);
        }
        keyring_unref(&r);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void *run(void *arg)
{
    struct auth *a = arg;
    while (!atomic_load(&a->stop)) {
        if (atomic_exchange(&reload_requested, 0))
            auth_reload(a);
        zmq_pollitem_t it = {a->rep, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, POLL_MS);
        if (rc < 0 && zmq_errno() == ETERM)
            break;
        if (rc > 0)
            serve(a);
    }
    zmq_close(a->rep);
    return NULL;
}

struct auth *auth_start(void *ctx, const char *keys_path)
{
    char err[400];
    struct keyring *r = keyring_load(keys_path, err, sizeof err);
    if (!r) {
        log_error("allowlist refused", "error=\"%s\"", err);
        return NULL;
    }
    struct auth *a = xcalloc(1, sizeof *a);
    a->path = xstrdup(keys_path);
    a->ring = r;
    atomic_init(&a->stop, 0);
    pthread_mutex_init(&a->lock, NULL);
    a->rep = zmq_socket(ctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(a->rep, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(a->rep, ZAP_ENDPOINT)) {
        log_error("cannot start the ZAP handler", "endpoint=%s error=\"%s\"", ZAP_ENDPOINT,
                  zmq_strerror(zmq_errno()));
        zmq_close(a->rep);
        keyring_unref(&a->ring);
        free(a->path);
        free(a);
        return NULL;
    }
    /* The bound socket passes to the thread; pthread_create orders the memory. */
    if (pthread_create(&a->thread, NULL, run, a)) {
        log_error("cannot start the ZAP handler thread", "%s", "");
        abort();
    }
    log_ring("allowlist loaded", a, r);
    return a;
}

void auth_stop(struct auth **pa)
{
    struct auth *a = *pa;
    if (!a)
        return;
    atomic_store(&a->stop, 1);
    pthread_join(a->thread, NULL);
    keyring_unref(&a->ring);
    pthread_mutex_destroy(&a->lock);
    free(a->path);
    free(a);
    *pa = NULL;
}
