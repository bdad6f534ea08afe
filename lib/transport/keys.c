/* keys — the allowlist parser and its reference-counted snapshots (see keys.h). */
#include "keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "alloc.h"
#include "event.h"
#include "utf8.h"

#define KEYS_FILE_MAX (1 << 20) /* an allowlist is lines of text, not a data set */

struct keyring {
    atomic_int refs;
    struct key_entry *v;   /* sorted by key, for bsearch */
    size_t n, cap;
};

static const char *const role_names[] = {"publisher", "dashboard", "aggregator", "retired"};

const char *key_role_name(enum key_role role)
{
    return (unsigned)role <= ROLE_RETIRED ? role_names[role] : "?";
}

int key_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > KEY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 (i > 0 && (c == '.' || c == '_' || c == '-' || c == '@'));
        if (!ok)
            return 0;
    }
    return 1;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const struct key_entry *)a)->key, ((const struct key_entry *)b)->key);
}

static void entry_free(struct key_entry *e)
{
    for (size_t i = 0; i < e->nagencies; i++)
        free(e->agencies[i]);
    free(e->agencies);
}

static struct key_entry *ring_push(struct keyring *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->v = xrealloc(r->v, r->cap * sizeof *r->v);
    }
    struct key_entry *e = &r->v[r->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void ring_free(struct keyring *r)
{
    for (size_t i = 0; i < r->n; i++)
        entry_free(&r->v[i]);
    free(r->v);
    free(r);
}

static void fail(char *err, size_t errlen, const char *origin, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void fail(char *err, size_t errlen, const char *origin, int line, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%d: ", origin, line);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Untrusted text in a message: escaped, cut on a character (utf8.h). */
static const char *shown(const char *s, char *b, size_t n)
{
    return utf8_shown(s, b, n < 100 ? n : 100);
}

#define MAX_FIELDS 512

/* Parses one line (NUL-terminated, modified in place). 0, or -1 with err. */
static int parse_line(struct keyring *r, char *s, const char *origin, int lineno, char *err,
                      size_t errlen)
{
    char *f[MAX_FIELDS];
    int nf = 0;
    for (char *save = NULL, *t = strtok_r(s, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (t[0] == '#')
            break; /* a comment: no key starts with '#' (see keys.h), no name contains one */
        if (nf == MAX_FIELDS) {
            fail(err, errlen, origin, lineno, "more than %d fields", MAX_FIELDS);
            return -1;
        }
        f[nf++] = t;
    }
    if (nf == 0)
        return 0;
    char b[64];
    uint8_t raw[32];
    if (strlen(f[0]) != KEY_Z85_LEN || !zmq_z85_decode(raw, f[0])) {
        fail(err, errlen, origin, lineno,
             "key: \"%s\" is not a Z85 public key of 40 characters (see gongkai keygen)",
             shown(f[0], b, sizeof b));
        return -1;
    }
    if (nf < 3) {
        fail(err, errlen, origin, lineno, "expected PUBLIC-KEY NAME ROLE [AGENCY...]");
        return -1;
    }
    if (!key_name_valid(f[1])) {
        fail(err, errlen, origin, lineno, "name: \"%s\" does not match ^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$",
             shown(f[1], b, sizeof b));
        return -1;
    }
    int role = -1;
    for (int i = 0; i < ROLE_RETIRED; i++)
        if (strcmp(f[2], role_names[i]) == 0)
            role = i;
    if (role < 0) {
        fail(err, errlen, origin, lineno, "role: \"%s\": use publisher, dashboard or aggregator",
             shown(f[2], b, sizeof b));
        return -1;
    }
    if (role == ROLE_PUBLISHER && nf == 3) {
        fail(err, errlen, origin, lineno,
             "publisher \"%s\" lists no agency (write * to allow every agency)", f[1]);
        return -1;
    }
    if (role != ROLE_PUBLISHER && nf > 3) {
        fail(err, errlen, origin, lineno, "a %s key takes no agencies (\"%s\")", f[2],
             shown(f[3], b, sizeof b));
        return -1;
    }
    for (int i = 3; i < nf; i++)
        if (strcmp(f[i], "*") != 0 && !ev_agency_valid(f[i])) {
            fail(err, errlen, origin, lineno,
                 "agency: \"%s\" does not match " EV_AGENCY_PATTERN " (or * for every agency)",
                 shown(f[i], b, sizeof b));
            return -1;
        }
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->v[i].key, f[0]) == 0) {
            fail(err, errlen, origin, lineno, "key of \"%s\" is already listed as \"%s\"", f[1],
                 r->v[i].name);
            return -1;
        }
        if (strcmp(r->v[i].name, f[1]) == 0) {
            fail(err, errlen, origin, lineno,
                 "name: \"%s\" is already used by another key (names must be unique)", f[1]);
            return -1;
        }
    }
    struct key_entry *e = ring_push(r);
    memcpy(e->key, f[0], KEY_Z85_LEN + 1);
    snprintf(e->name, sizeof e->name, "%s", f[1]);
    e->role = (enum key_role)role;
    e->nagencies = (size_t)(nf - 3);
    e->agencies = e->nagencies ? xcalloc(e->nagencies, sizeof *e->agencies) : NULL;
    for (size_t i = 0; i < e->nagencies; i++)
        e->agencies[i] = xstrdup(f[3 + i]);
    return 0;
}

struct keyring *keyring_parse(const char *text, size_t len, const char *origin, char *err,
                              size_t errlen)
{
    struct keyring *r = xcalloc(1, sizeof *r);
    atomic_init(&r->refs, 1);
    char *copy = xmemdup(text, len);
    int lineno = 0;
    char *p = copy;
    while (p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (strlen(p) != (size_t)((nl ? nl : copy + len) - p)) {
            fail(err, errlen, origin, lineno, "contains a NUL byte");
            goto bad;
        }
        if (parse_line(r, p, origin, lineno, err, errlen))
            goto bad;
        p = nl ? nl + 1 : NULL;
    }
    free(copy);
    qsort(r->v, r->n, sizeof *r->v, key_cmp);
    return r;
bad:
    free(copy);
    ring_free(r);
    return NULL;
}

struct keyring *keyring_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = xmalloc(KEYS_FILE_MAX + 1);
    size_t n = fread(text, 1, KEYS_FILE_MAX + 1, f);
    int rd = ferror(f);
    fclose(f);
    struct keyring *r = NULL;
    if (rd)
        snprintf(err, errlen, "%s: read error", path);
    else if (n > KEYS_FILE_MAX)
        snprintf(err, errlen, "%s: larger than %d bytes", path, KEYS_FILE_MAX);
    else
        r = keyring_parse(text, n, path, err, errlen);
    free(text);
    return r;
}

void keyring_retire(struct keyring *next, const struct keyring *old)
{
    size_t listed = next->n;
    for (size_t i = 0; i < old->n; i++) {
        const struct key_entry *o = &old->v[i];
        if (bsearch(o, next->v, listed, sizeof *next->v, key_cmp))
            continue;
        struct key_entry *e = ring_push(next);
        memcpy(e->key, o->key, sizeof e->key);
        memcpy(e->name, o->name, sizeof e->name);
        e->role = ROLE_RETIRED;
    }
    qsort(next->v, next->n, sizeof *next->v, key_cmp);
}

const struct key_entry *keyring_find(const struct keyring *r, const char *z85)
{
    if (!r || !z85 || strlen(z85) != KEY_Z85_LEN)
        return NULL;
    struct key_entry probe;
    memcpy(probe.key, z85, KEY_Z85_LEN + 1);
    return bsearch(&probe, r->v, r->n, sizeof *r->v, key_cmp);
}

size_t keyring_count(const struct keyring *r, enum key_role role)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->v[i].role == role;
    return n;
}

struct keyring *keyring_ref(struct keyring *r)
{
    if (r)
        atomic_fetch_add(&r->refs, 1);
    return r;
}

void keyring_unref(struct keyring **pr)
{
    struct keyring *r = *pr;
    *pr = NULL;
    if (r && atomic_fetch_sub(&r->refs, 1) == 1)
        ring_free(r);
}

int key_may_write(const struct key_entry *k, const char *agency)
{
    if (!k || k->role != ROLE_PUBLISHER)
        return 0;
    for (size_t i = 0; i < k->nagencies; i++)
        if (strcmp(k->agencies[i], "*") == 0 || strcmp(k->agencies[i], agency) == 0)
            return 1;
    return 0;
}

void key_agencies_text(const struct key_entry *k, char *out, size_t n)
{
    size_t used = 0;
    if (n)
        out[0] = '\0';
    for (size_t i = 0; i < k->nagencies && n; i++) {
        size_t len = strlen(k->agencies[i]);
        if (used + len + 1 + 4 >= n) {
            snprintf(out + used, n - used, "%s...", used ? " " : "");
            return;
        }
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? " " : "", k->agencies[i]);
    }
}
