/* net — address resolution and an HTTP GET client (see net.h). */
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "day.h"

struct addrinfo *net_resolve(const char *hostport, int passive, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, errlen, "\"%s\" is not host:port", hostport);
        return NULL;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    if (host[0] == '[') { /* [::1]:7180 */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    if (getaddrinfo(*host ? host : NULL, colon + 1, &hints, &ai)) {
        snprintf(err, errlen, "cannot resolve %s", hostport);
        return NULL;
    }
    return ai;
}

int net_http_get(const char *hostport, const char *path, const char *token, int timeout_ms,
                 struct waiting *w, struct buf *body, char *err, size_t errlen)
{
    struct addrinfo *ai = net_resolve(hostport, 0, err, errlen);
    if (!ai)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        int e = errno;
        if (w)
            snprintf(err, errlen, "cannot connect to %s (%s): is %s running? (make run starts it)",
                     hostport, strerror(e), w->program);
        else
            snprintf(err, errlen, "cannot connect to %s (%s)", hostport, strerror(e));
        freeaddrinfo(ai);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    freeaddrinfo(ai);
    struct buf req = {0}, resp = {0};
    buf_printf(&req, "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n", path, hostport);
    if (token)
        buf_printf(&req, "Authorization: Bearer %s\r\n", token);
    buf_puts(&req, "\r\n");
    ssize_t n = write(fd, req.data, req.len);
    buf_free(&req);
    char chunk[8192];
    int64_t start = day_mono_us() / 1000, waited = 0;
    /* Poll in slices: the deadline covers the whole answer, not each read,
     * and the waiting line comes while the answer is late. */
    while (n > 0) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, 250);
        waited = day_mono_us() / 1000 - start;
        if (r < 0 && errno != EINTR) {
            n = -1;
            break;
        }
        if (r > 0) {
            if ((n = read(fd, chunk, sizeof chunk)) > 0)
                buf_append(&resp, chunk, (size_t)n);
            continue;
        }
        if (waited >= timeout_ms) {
            n = -1;
            break;
        }
        if (w)
            waiting_tick(w, waited);
    }
    close(fd);
    buf_putc(&resp, '\0');
    int status = -1;
    char *sep = strstr(resp.data, "\r\n\r\n");
    if (n < 0 || sscanf(resp.data, "HTTP/%*s %d", &status) != 1 || !sep) {
        snprintf(err, errlen, "no complete HTTP answer from %s%s", hostport,
                 waited >= timeout_ms ? " in time" : "");
        buf_free(&resp);
        return -1;
    }
    buf_puts(body, sep + 4);
    buf_free(&resp);
    return status;
}
