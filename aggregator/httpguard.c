/* httpguard — the header deadline of HTTP requests (see httpguard.h). */
#include "httpguard.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "alloc.h"
#include "day.h"
#include "log.h"

struct slot {
    struct slot *prev, *next;
    int fd;
    int64_t waiting_since_us; /* 0: a request is being handled */
    int cut;                  /* shut down already */
};

struct httpguard {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int stopping;
    int64_t deadline_us;
    struct slot head;         /* circular list of open connections */
    unsigned long cut;
};

static void *watch(void *arg)
{
    struct httpguard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        int64_t now = day_mono_us();
        for (struct slot *s = g->head.next; s != &g->head; s = s->next) {
            int64_t since = __atomic_load_n(&s->waiting_since_us, __ATOMIC_RELAXED);
            if (!s->cut && since && now - since > g->deadline_us && s->fd >= 0) {
                shutdown(s->fd, SHUT_RDWR);
                s->cut = 1;
                __atomic_add_fetch(&g->cut, 1, __ATOMIC_RELAXED);
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct httpguard *httpguard_new(int deadline_s)
{
    assert(deadline_s > 0);
    struct httpguard *g = xcalloc(1, sizeof *g);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->head.next = g->head.prev = &g->head;
    g->deadline_us = (int64_t)deadline_s * 1000000;
    if (pthread_create(&g->thread, NULL, watch, g)) {
        log_error("cannot start the HTTP header watcher", "%s", "");
        free(g);
        return NULL;
    }
    return g;
}

void httpguard_destroy(struct httpguard **pg)
{
    struct httpguard *g = *pg;
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    while (g->head.next != &g->head) {
        struct slot *s = g->head.next;
        g->head.next = s->next;
        free(s);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
    *pg = NULL;
}

void httpguard_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct httpguard *g = cls;
    assert(g);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct slot *s = xcalloc(1, sizeof *s);
        s->fd = i ? i->connect_fd : -1;
        s->waiting_since_us = day_mono_us();
        pthread_mutex_lock(&g->lock);
        s->next = g->head.next, s->prev = &g->head;
        g->head.next->prev = s, g->head.next = s;
        pthread_mutex_unlock(&g->lock);
        *socket_context = s;
        return;
    }
    struct slot *s = *socket_context;
    if (!s)
        return;
    pthread_mutex_lock(&g->lock);
    s->prev->next = s->next, s->next->prev = s->prev;
    pthread_mutex_unlock(&g->lock);
    free(s);
    *socket_context = NULL;
}

/* The slot of c, or NULL (no guard). The guard is the daemon's notify cls,
 * which libmicrohttpd does not hand back here: a slot's fields are written
 * with atomics instead of the lock. */
static struct slot *slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

void httpguard_headers_done(struct MHD_Connection *c)
{
    struct slot *s = slot_of(c);
    if (s)
        __atomic_store_n(&s->waiting_since_us, 0, __ATOMIC_RELAXED);
}

void httpguard_request_done(struct MHD_Connection *c)
{
    struct slot *s = slot_of(c);
    if (s)
        __atomic_store_n(&s->waiting_since_us, day_mono_us(), __ATOMIC_RELAXED);
}

unsigned long httpguard_cut(const struct httpguard *g)
{
    return g ? __atomic_load_n(&g->cut, __ATOMIC_RELAXED) : 0;
}
