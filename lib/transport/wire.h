/* wire — gongkai.v1.Envelope over ZeroMQ (proto/PROTOCOL.md).
 *
 * Every message on gongkai's sockets is one Envelope in the last frame,
 * after any routing frames. wire_send packs and sends; wire_unpack checks
 * and unpacks a received last frame (the caller receives the frames: intake
 * keeps them for its answer). Limits below are part of the protocol.
 */
#ifndef GK_WIRE_H
#define GK_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "gongkai.pb-c.h"

#define WIRE_VERSION 1
#define WIRE_MAX_MSG (4u << 20)      /* a Submit above this is refused: too_large */
#define WIRE_HARD_MAX_MSG (16 << 20) /* ZMQ_MAXMSGSIZE: above this the peer is dropped */
#define WIRE_MAX_ENTRIES 1000        /* entries in one Submit */
#define WIRE_RAW_KEEP 4096           /* bytes of a rejected event kept in the rejection log */

typedef Gongkai__V1__Envelope Envelope;

/* Sends route frames (may be 0) then env. 0, or -1 with errno (zmq). */
int wire_send(void *sock, zmq_msg_t *route, size_t nroute, const Envelope *env, int flags);
/* Unpacks an Envelope; NULL when the bytes are not one, or of another version. */
Envelope *wire_unpack(const void *data, size_t len);
void wire_free(Envelope *env);
/* Sets the common socket options: linger, heartbeats, max message size. */
void wire_socket_defaults(void *sock);

#endif
