/* gongkai keygen — a CURVE key pair for a service, a department or a dashboard.
 *
 * Writes NAME.key (public and secret key, mode 0600: give it to the one
 * program that uses it) and NAME.pub (public key only: give it to whoever
 * must recognise that program) in CZMQ's certificate format. Never
 * overwrites: a lost secret key is replaced by a new pair and an allowlist
 * change, not by clobbering a file some service still reads.
 */
#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "keys.h"
#include "utf8.h"

int cmd_keygen(int argc, char **argv)
{
    const char *dir;
    const struct config_opt opts[] = {
        {"dir", NULL, ".", "directory to write NAME.key and NAME.pub into", &dir},
        {0}};
    int i = config_parse("gongkai keygen",
                         "usage: gongkai keygen [--dir DIR] NAME\n\n"
                         "Writes a new CURVE key pair: DIR/NAME.key (secret, mode 0600) and\n"
                         "DIR/NAME.pub (public). Prints the public key and an allowlist line to\n"
                         "complete (docs/security.md). Refuses to overwrite existing files.",
                         opts, argc, argv);
    if (i != argc - 1) {
        fprintf(stderr, "gongkai keygen: give exactly one NAME (see --help)\n");
        return 2;
    }
    const char *name = argv[i];
    if (!key_name_valid(name)) {
        char shown[100];
        fprintf(stderr, "gongkai keygen: name \"%s\" does not match ^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$\n",
                utf8_shown(name, shown, sizeof shown));
        return 2;
    }
    char secret[4096], public[4096];
    snprintf(secret, sizeof secret, "%s/%s.key", dir, name);
    snprintf(public, sizeof public, "%s/%s.pub", dir, name);
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "gongkai keygen: %s is not a directory\n", dir);
        return 2;
    }
    if (access(secret, F_OK) == 0 || access(public, F_OK) == 0) {
        fprintf(stderr, "gongkai keygen: %s or %s exists; not overwriting a key\n", secret, public);
        return 2;
    }
    zcert_t *cert = zcert_new();
    if (!cert) {
        fprintf(stderr, "gongkai keygen: cannot make a key pair (libzmq without CURVE?)\n");
        return 2;
    }
    zcert_set_meta(cert, "name", "%s", name);
    /* zcert writes the secret file with a private umask; chmod makes it certain. */
    const char *failed = NULL;
    if (zcert_save_secret(cert, secret) || chmod(secret, 0600))
        failed = secret;
    else if (zcert_save_public(cert, public))
        failed = public;
    if (failed) {
        fprintf(stderr, "gongkai keygen: cannot write %s: %s\n", failed, strerror(errno));
        unlink(secret);
        unlink(public);
        zcert_destroy(&cert);
        return 2;
    }
    printf("wrote %s (secret, mode 0600) and %s\n", secret, public);
    printf("public key: %s\n", zcert_public_txt(cert));
    printf("allowlist line (role publisher with its agencies, dashboard or aggregator):\n");
    printf("%s  %s  publisher  AGENCY...\n", zcert_public_txt(cert), name);
    zcert_destroy(&cert);
    return 0;
}
