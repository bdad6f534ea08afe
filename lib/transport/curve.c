/* curve — key files (CZMQ zcert) and CURVE socket options (see curve.h). */
#include "curve.h"

#include <czmq.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const char ZERO_KEY[] = "0000000000000000000000000000000000000000"; /* Z85 of 32 zero bytes */

static int z85_valid(const char *s)
{
    uint8_t raw[32];
    return strlen(s) == KEY_Z85_LEN && zmq_z85_decode(raw, s) != NULL;
}

int curve_load_pair(const char *path, struct curve_pair *out, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_mode & 0077) {
        snprintf(err, errlen, "%s: mode %04o lets other users read or change the secret key; "
                              "run chmod 600 %s",
                 path, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    zcert_t *c = zcert_load(path);
    if (!c) {
        snprintf(err, errlen, "%s: not a key file made by `gongkai keygen` (zcert format)", path);
        return -1;
    }
    snprintf(out->public_key, sizeof out->public_key, "%s", zcert_public_txt(c));
    snprintf(out->secret_key, sizeof out->secret_key, "%s", zcert_secret_txt(c));
    zcert_destroy(&c);
    if (strcmp(out->secret_key, ZERO_KEY) == 0 || !z85_valid(out->secret_key)) {
        curve_wipe(out);
        snprintf(err, errlen, "%s: holds no secret key (a .pub file? use the .key file)", path);
        return -1;
    }
    return 0;
}

int curve_load_public(const char *path_or_key, char out[KEY_Z85_LEN + 1], char *err, size_t errlen)
{
    struct stat st;
    if (stat(path_or_key, &st) != 0 && z85_valid(path_or_key)) {
        memcpy(out, path_or_key, KEY_Z85_LEN + 1);
        return 0;
    }
    zcert_t *c = zcert_load(path_or_key);
    if (!c) {
        snprintf(err, errlen, "%s: not a public key file (NAME.pub from `gongkai keygen`) nor a "
                              "40-character Z85 key",
                 path_or_key);
        return -1;
    }
    snprintf(out, KEY_Z85_LEN + 1, "%s", zcert_public_txt(c));
    zcert_destroy(&c);
    return 0;
}

void curve_wipe(struct curve_pair *p)
{
    explicit_bzero(p->secret_key, sizeof p->secret_key);
}

int curve_client_setup(struct curve_client *c, const char *insecure, const char *cert,
                       const char *cert_var, const char *server_key, const char *server_var,
                       char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (insecure && strcmp(insecure, "1") == 0)
        return 0;
    if (!cert || !*cert) {
        snprintf(err, errlen,
                 "no key: set %s to a secret key file (make one with `gongkai keygen NAME`, "
                 "then list NAME.pub in the server's allowlist GONGKAI_KEYS), or set "
                 "GONGKAI_INSECURE=1 against a plaintext server",
                 cert_var);
        return -1;
    }
    if (!server_key || !*server_key) {
        snprintf(err, errlen,
                 "no server key: set %s to the server's public key file (its NAME.pub) or Z85 text",
                 server_var);
        return -1;
    }
    char why[400];
    if (curve_load_pair(cert, &c->me, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", cert_var, why);
        return -1;
    }
    if (curve_load_public(server_key, c->server_key, why, sizeof why)) {
        curve_wipe(&c->me);
        snprintf(err, errlen, "%s: %s", server_var, why);
        return -1;
    }
    c->on = 1;
    return 0;
}

void curve_local_defaults(const char **cert, const char *cert_name, const char **server_key,
                          const char *server_name)
{
    static char cert_path[4096], key_path[4096];
    if ((*cert && **cert) || (*server_key && **server_key))
        return; /* configured: never second-guess it */
    const char *run = getenv("GONGKAI_RUN_DIR");
    snprintf(cert_path, sizeof cert_path, "%s/keys/%s.key", run && *run ? run : ".run", cert_name);
    snprintf(key_path, sizeof key_path, "%s/keys/%s.pub", run && *run ? run : ".run", server_name);
    if (access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0) {
        *cert = cert_path;
        *server_key = key_path;
    }
}

int curve_server(void *sock, const struct curve_pair *p, const char *domain)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, p->secret_key, KEY_Z85_LEN))
        return -1;
    return 0;
}

int curve_client(void *sock, const struct curve_client *c)
{
    if (!c || !c->on)
        return 0;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, c->server_key, KEY_Z85_LEN) ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->me.public_key, KEY_Z85_LEN) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->me.secret_key, KEY_Z85_LEN))
        return -1;
    return 0;
}

void *curve_watch(void *ctx, void *sock)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://gongkai-watch-%p", sock);
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    if (zmq_socket_monitor(sock, ep, events))
        return NULL;
    void *w = zmq_socket(ctx, ZMQ_PAIR);
    int linger = 0;
    zmq_setsockopt(w, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(w, ep)) {
        zmq_close(w);
        return NULL;
    }
    return w;
}

int curve_refused(void *watch, char *why, size_t n)
{
    int refused = 0;
    while (watch) {
        zmq_msg_t ev, ep;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, watch, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            break;
        }
        zmq_msg_init(&ep);
        if (zmq_msg_more(&ev))
            zmq_msg_recv(&ep, watch, 0);
        if (zmq_msg_size(&ev) >= 6) {
            const uint8_t *d = zmq_msg_data(&ev);
            uint16_t id;
            uint32_t value;
            memcpy(&id, d, 2);
            memcpy(&value, d + 2, 4);
            if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                snprintf(why, n, "the server refused this key (ZAP status %u): is its public key "
                                 "in the server's allowlist, with a role allowed there?",
                         value);
            else
                snprintf(why, n, "CURVE handshake failed (%s 0x%x): is the server key right?",
                         id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "protocol error" : "error",
                         value);
            refused = 1;
        }
        zmq_msg_close(&ep);
        zmq_msg_close(&ev);
    }
    return refused;
}
