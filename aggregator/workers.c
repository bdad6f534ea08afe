/* workers — heavy HTTP requests off libmicrohttpd's threads (see workers.h). */
#include "workers.h"

#include <pthread.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

struct job {
    struct job *next;
    struct MHD_Connection *c;
    void (*fn)(void *arg);
    void *arg;
};

struct workers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *head, *tail; /* FIFO */
    size_t waiting, running, queue_max;
    bool stopping;
    pthread_t *threads;
    int n;
};

static void *run(void *arg)
{
    struct workers *w = arg;
    /* Counting is background work: at a lower priority (nice +10, this
     * thread only) it takes the cores the feed leaves, and an event's apply
     * does not queue behind a country's /metrics for a core. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
        log_warn("HTTP worker thread: cannot lower its priority", "error=\"%s\"", strerror(errno));
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        struct job *j = w->head;
        if (!j)
            break; /* stopping, and nothing left */
        w->head = j->next;
        if (!w->head)
            w->tail = NULL;
        w->waiting--, w->running++;
        pthread_mutex_unlock(&w->mu);
        j->fn(j->arg);
        MHD_resume_connection(j->c);
        free(j);
        pthread_mutex_lock(&w->mu);
        w->running--;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct workers *workers_new(int n, size_t queue_max)
{
    struct workers *w = xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->queue_max = queue_max;
    w->threads = xcalloc((size_t)n, sizeof *w->threads);
    for (; w->n < n; w->n++)
        if (pthread_create(&w->threads[w->n], NULL, run, w) != 0) {
            log_error("cannot start an HTTP worker thread", "started=%d", w->n);
            workers_destroy(&w);
            return NULL;
        }
    return w;
}

void workers_destroy(struct workers **pw)
{
    struct workers *w = *pw;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    free(w->threads);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
    *pw = NULL;
}

int workers_submit(struct workers *w, struct MHD_Connection *c, void (*fn)(void *arg), void *arg)
{
    struct job *j = xmalloc(sizeof *j);
    *j = (struct job){NULL, c, fn, arg};
    pthread_mutex_lock(&w->mu);
    /* Checked under the mutex the workers exit under: once stopping is set
     * no connection is suspended any more, so none is left suspended. */
    if (w->stopping || w->waiting >= w->queue_max) {
        pthread_mutex_unlock(&w->mu);
        free(j);
        return -1;
    }
    /* Suspended before it is queued, so its resume always comes after. */
    MHD_suspend_connection(c);
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    w->waiting++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

size_t workers_busy(struct workers *w)
{
    pthread_mutex_lock(&w->mu);
    size_t n = w->waiting + w->running;
    pthread_mutex_unlock(&w->mu);
    return n;
}
