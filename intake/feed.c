/* feed — committed batches and heartbeats on intake's PUB socket (see feed.h). */
#include "feed.h"

#include <stdlib.h>
#include <zmq.h>

#include "alloc.h"
#include "wire.h"

void feed_batch(void *pub, uint64_t first_seq, const char *bodies, const size_t *lens, size_t n,
                int64_t received_us, int64_t committed_us)
{
    if (!n)
        return;
    ProtobufCBinaryData *evs = xcalloc(n, sizeof *evs);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        evs[i].data = (uint8_t *)bodies + off;
        evs[i].len = lens[i];
        off += lens[i];
    }
    Gongkai__V1__FeedBatch fb = GONGKAI__V1__FEED_BATCH__INIT;
    fb.has_first_seq = 1, fb.first_seq = first_seq;
    fb.n_events = n;
    fb.events = evs;
    fb.has_received_at_us = 1, fb.received_at_us = received_us;
    fb.has_committed_at_us = 1, fb.committed_at_us = committed_us;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1, env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_FEED;
    env.feed = &fb;
    /* PUB never blocks: a slow subscriber loses messages and repairs from the log. */
    wire_send(pub, NULL, 0, &env, ZMQ_DONTWAIT);
    free(evs);
}

void feed_heartbeat(void *pub, uint64_t head_seq, const struct intake_stats *stats)
{
    struct intake_stats_pb pb;
    intake_stats_to_pb(stats, &pb);
    Gongkai__V1__Heartbeat hb = GONGKAI__V1__HEARTBEAT__INIT;
    hb.has_head_seq = 1, hb.head_seq = head_seq;
    hb.stats = &pb.m;
    Envelope env = GONGKAI__V1__ENVELOPE__INIT;
    env.has_version = 1, env.version = WIRE_VERSION;
    env.body_case = GONGKAI__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    wire_send(pub, NULL, 0, &env, ZMQ_DONTWAIT);
}
