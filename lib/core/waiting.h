/* waiting — the one line a command prints while a service keeps it waiting.
 *
 * A CLI command that waits on intake or the aggregator must not be silent:
 * after `after_ms` without an answer it prints, once, on stderr
 *
 *   gongkai publish: no answer from intake at tcp://127.0.0.1:7101 after 5 s —
 *   is gongkai-intake running? (make run starts it)
 *
 * and then goes on waiting until its own documented timeout. The struct is
 * the caller's (on its stack); nothing here allocates. Not thread-safe: one
 * waiting per waiting loop.
 */
#ifndef GK_WAITING_H
#define GK_WAITING_H

#include <stdint.h>

struct waiting {
    const char *prog;     /* "gongkai publish" */
    const char *service;  /* "intake", "the aggregator" */
    const char *program;  /* "gongkai-intake" */
    const char *endpoint; /* what the command talks to */
    int64_t after_ms;     /* silence before the line */
    int said;             /* the line was printed */
};

/* WAITING_AFTER_MS: the "few seconds" of silence before the line. */
#define WAITING_AFTER_MS 5000

void waiting_init(struct waiting *w, const char *prog, const char *service, const char *program,
                  const char *endpoint, int64_t after_ms);
/* Tells that waited_ms have passed without an answer: prints the line the
 * first time waited_ms reaches after_ms. Returns 1 when it printed. */
int waiting_tick(struct waiting *w, int64_t waited_ms);
/* Starts a new silence: after an answer, the next wait may print again. */
void waiting_reset(struct waiting *w);

#endif
