/* wire — Envelope send/receive helpers (see wire.h). */
#include "wire.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

int wire_send(void *sock, zmq_msg_t *route, size_t nroute, const Envelope *env, int flags)
{
    for (size_t i = 0; i < nroute; i++) {
        zmq_msg_t copy;
        zmq_msg_init(&copy);
        zmq_msg_copy(&copy, &route[i]);
        if (zmq_msg_send(&copy, sock, ZMQ_SNDMORE | flags) < 0) {
            zmq_msg_close(&copy);
            return -1;
        }
    }
    size_t n = gongkai__v1__envelope__get_packed_size(env);
    zmq_msg_t m;
    zmq_msg_init_size(&m, n);
    gongkai__v1__envelope__pack(env, zmq_msg_data(&m));
    if (zmq_msg_send(&m, sock, flags) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    return 0;
}

Envelope *wire_unpack(const void *data, size_t len)
{
    Envelope *env = gongkai__v1__envelope__unpack(NULL, len, data);
    if (env && (!env->has_version || env->version != WIRE_VERSION)) {
        gongkai__v1__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    return env;
}

void wire_free(Envelope *env)
{
    if (env)
        gongkai__v1__envelope__free_unpacked(env, NULL);
}

void wire_socket_defaults(void *sock)
{
    int linger = 1000, ivl = 2000, ttl = 10000, tmo = 10000;
    int64_t max = WIRE_HARD_MAX_MSG;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
}
