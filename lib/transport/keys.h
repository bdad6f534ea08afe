/* keys — the allowlist: which CURVE public keys may connect, under which
 * name, and what each may do (file GONGKAI_KEYS, docs/security.md).
 *
 * One key per line, fields separated by blanks:
 *
 *   PUBLIC-KEY (Z85, 40 characters)           NAME            ROLE        AGENCIES
 *   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  gz-sthjt-oa     publisher   gz-sthjt gz-sthjt-xf
 *   Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID  province-bi     dashboard
 *   JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6  aggregator-1    aggregator
 *   ...                                       gz-gateway      publisher   *
 *
 * A publisher writes the agencies listed, and every agency only when `*` is
 * written explicitly; dashboards and aggregators take no agencies. Names are
 * unique: they are what the event log and the rejection log record as the
 * identity of a writer, so they must say which key it was. From a field
 * starting with '#' the line is a comment: '#' is a Z85 character, but the
 * first of a 32-byte key's 40 encodes at most 82 ('%'), and '#' is 84. A file
 * with any bad line is refused as a whole, with the line and the reason: a
 * half-applied allowlist could lock out or let in the wrong key.
 *
 * A keyring is immutable once loaded and reference-counted: the ZAP thread
 * and a service's loop each hold the snapshot they are deciding with while
 * a reload (SIGHUP) installs the next one. Keys dropped by a reload stay in
 * the next ring as ROLE_RETIRED with their names, so a message that arrives
 * on a connection opened before the reload is still refused under the name
 * of the key that sent it.
 */
#ifndef GK_KEYS_H
#define GK_KEYS_H

#include <stddef.h>

#define KEY_Z85_LEN 40
#define KEY_NAME_MAX 64

enum key_role { ROLE_PUBLISHER, ROLE_DASHBOARD, ROLE_AGGREGATOR, ROLE_RETIRED };

struct key_entry {
    char key[KEY_Z85_LEN + 1];   /* Z85 public key */
    char name[KEY_NAME_MAX + 1];
    enum key_role role;
    char **agencies;             /* owned by the ring; "*" means every agency */
    size_t nagencies;
};

struct keyring;

/* Reads and parses the allowlist at path. NULL on any error, with
 * "PATH:LINE: reason" in err. The result holds one reference. */
struct keyring *keyring_load(const char *path, char *err, size_t errlen);
/* The same from text already in memory; origin names it in errors. */
struct keyring *keyring_parse(const char *text, size_t len, const char *origin, char *err,
                              size_t errlen);
/* Adds to next, as ROLE_RETIRED, every key of old (active or retired) that
 * next does not list. Call before next is shared. */
void keyring_retire(struct keyring *next, const struct keyring *old);
/* The entry of a Z85 public key, or NULL. Valid while the ring is held. */
const struct key_entry *keyring_find(const struct keyring *r, const char *z85);
/* Keys of one role (ROLE_RETIRED included). */
size_t keyring_count(const struct keyring *r, enum key_role role);

struct keyring *keyring_ref(struct keyring *r);
/* Drops one reference; frees with the last. Sets *pr to NULL. */
void keyring_unref(struct keyring **pr);

/* 1 when k is a publisher allowed to write agency. */
int key_may_write(const struct key_entry *k, const char *agency);
/* Its agencies as "a b c" into out (cut with "..." when long). */
void key_agencies_text(const struct key_entry *k, char *out, size_t n);
const char *key_role_name(enum key_role role);
/* 1 when s is a valid key name: ^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$ */
int key_name_valid(const char *s);

#endif
