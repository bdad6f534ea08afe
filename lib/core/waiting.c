/* waiting — the line a command prints while a service keeps it waiting (see waiting.h). */
#include "waiting.h"

#include <assert.h>
#include <stdio.h>

void waiting_init(struct waiting *w, const char *prog, const char *service, const char *program,
                  const char *endpoint, int64_t after_ms)
{
    assert(w && prog && service && program && endpoint);
    w->prog = prog;
    w->service = service;
    w->program = program;
    w->endpoint = endpoint;
    w->after_ms = after_ms;
    w->said = 0;
}

int waiting_tick(struct waiting *w, int64_t waited_ms)
{
    assert(w);
    if (w->said || waited_ms < w->after_ms)
        return 0;
    w->said = 1;
    fprintf(stderr, "%s: no answer from %s at %s after %.3g s — is %s running? (make run starts it)\n",
            w->prog, w->service, w->endpoint, (double)(waited_ms / 100) / 10, w->program);
    fflush(stderr);
    return 1;
}

void waiting_reset(struct waiting *w)
{
    assert(w);
    w->said = 0;
}
