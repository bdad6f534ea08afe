/* curve — CURVE key files, and the socket options that use them.
 *
 * Key files are CZMQ certificates (zcert): `gongkai keygen NAME` writes
 * NAME.key (public and secret key, mode 0600) and NAME.pub (public key only).
 * A service loads its own pair (GONGKAI_CERT); a client loads its pair
 * (GONGKAI_CLIENT_CERT) and the server's public key (GONGKAI_INTAKE_KEY,
 * GONGKAI_AGGREGATOR_KEY: a .pub file or the 40-character Z85 text).
 *
 * Secret keys stay in struct curve_pair and in libzmq; nothing here prints
 * one, and error messages name files, never key material.
 *
 * A CURVE server socket is safe only with a ZAP handler running in its
 * context (auth.h): libzmq 4.3.4 admits every client key when none answers.
 */
#ifndef GK_CURVE_H
#define GK_CURVE_H

#include <stddef.h>

#include "keys.h"

struct curve_pair {
    char public_key[KEY_Z85_LEN + 1];
    char secret_key[KEY_Z85_LEN + 1];
};

/* What a client needs to reach one server; on = 0 means plaintext. */
struct curve_client {
    int on;
    struct curve_pair me;
    char server_key[KEY_Z85_LEN + 1];
};

/* Loads a secret key file. Refuses a file that other users may read (as
 * OpenSSH does) and a file without a secret key. 0, or -1 with err. */
int curve_load_pair(const char *path, struct curve_pair *out, char *err, size_t errlen);
/* A public key from a .pub (or .key) file, or given as Z85 text. 0 or -1. */
int curve_load_public(const char *path_or_key, char out[KEY_Z85_LEN + 1], char *err,
                      size_t errlen);
/* Overwrites the secret in memory. */
void curve_wipe(struct curve_pair *p);

/* The client side of a command or service: plaintext when insecure is "1";
 * otherwise loads cert (the client's key file) and server_key. server_var
 * names the variable of the server key in messages. 0, or -1 with err
 * telling how to obtain what is missing. */
int curve_client_setup(struct curve_client *c, const char *insecure, const char *cert,
                       const char *cert_var, const char *server_key, const char *server_var,
                       char *err, size_t errlen);

/* `make run` keeps its keys in .run/keys (or $GONGKAI_RUN_DIR/keys): when a
 * command is given no client key (*cert unset) and no server key, it takes
 * cert_name.key and server_name.pub from there if they exist, so the commands
 * beside a `make run` work as they are. Pointers stay valid for the process. */
void curve_local_defaults(const char **cert, const char *cert_name, const char **server_key,
                          const char *server_name);

/* Makes sock a CURVE server whose ZAP requests carry domain. 0 or -1. */
int curve_server(void *sock, const struct curve_pair *p, const char *domain);
/* Makes sock a CURVE client of server_key (nothing when !c->on). 0 or -1. */
int curve_client(void *sock, const struct curve_client *c);

/* Watches sock's handshakes: returns a PAIR socket that receives its
 * failures (libzmq monitor). Close it with zmq_close before sock. */
void *curve_watch(void *ctx, void *sock);
/* 1 when a handshake failed since the last call (events drained), with a
 * reason in why; 0 otherwise. watch may be NULL. */
int curve_refused(void *watch, char *why, size_t n);

#endif
