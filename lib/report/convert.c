/* convert — the document as DOCX or PDF through LibreOffice (see convert.h). */
#include "convert.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

extern char **environ;

static int write_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path); /* what cannot be removed stays in /tmp: nothing else to do */
    return 0;
}

/* Removes dir and all soffice left in it (its profile, the output), links
 * not followed. */
static void remove_tree(const char *dir)
{
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Waits for pid at most CONVERT_TIMEOUT_S; its exit status, or -1 after
 * killing it. */
static int wait_bounded(pid_t pid)
{
    struct timespec step = {0, 50 * 1000 * 1000};
    for (int waited = 0; waited < CONVERT_TIMEOUT_S * 20; waited++) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        if (r < 0 && errno != EINTR)
            return -1;
        nanosleep(&step, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int convert_document(const char *html, size_t n, const char *format, struct buf *out, char *why,
                     size_t why_cap)
{
    const char *filter = strcmp(format, "docx") == 0 ? "docx:MS Word 2007 XML"
                         : strcmp(format, "pdf") == 0 ? "pdf:writer_pdf_Export"
                                                      : NULL;
    if (!filter) {
        snprintf(why, why_cap, "format: \"%s\": html, docx or pdf", format);
        return -1;
    }
    const char *soffice = getenv("GONGKAI_SOFFICE");
    if (!soffice || !*soffice)
        soffice = "soffice";
    char dir[] = "/tmp/gongkai-document.XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(why, why_cap, "cannot make a temporary directory: %s", strerror(errno));
        return -1;
    }
    char in[128], log[128], profile[160], result[128];
    snprintf(in, sizeof in, "%s/report.html", dir);
    snprintf(log, sizeof log, "%s/soffice.log", dir);
    snprintf(profile, sizeof profile, "-env:UserInstallation=file://%s/profile", dir);
    snprintf(result, sizeof result, "%s/report.%s", dir, format);
    int rc = -1;
    if (write_file(in, html, n)) {
        snprintf(why, why_cap, "cannot write %s: %s", in, strerror(errno));
        goto done;
    }
    /* HTML opened as a Writer document (not Writer/Web), then exported. */
    char *argv[] = {(char *)soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault",
                    profile, "--infilter=HTML (StarWriter)", "--convert-to", (char *)filter,
                    "--outdir", dir, in, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int e = posix_spawnp(&pid, soffice, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e) {
        rc = e == ENOENT || e == EACCES ? -2 : -1;
        snprintf(why, why_cap,
                 "--format %s needs LibreOffice: %s: %s (Debian: apt-get install "
                 "libreoffice-writer-nogui fonts-noto-cjk; or set GONGKAI_SOFFICE)",
                 format, soffice, strerror(e));
        remove_tree(dir);
        return rc;
    }
    int st = wait_bounded(pid);
    size_t len = 0;
    char *data = buf_read_file(result, &len);
    if (st != 0 || !data) {
        size_t ln = 0;
        char *said = buf_read_file(log, &ln);
        if (said)
            said[strcspn(said, "\n")] = '\0';
        snprintf(why, why_cap, "%s %s (exit %d%s): %s", soffice, st < 0 ? "timed out" : "failed", st,
                 st < 0 ? ", killed" : "", said && *said ? said : "no output file");
        free(said);
        free(data);
        goto done;
    }
    buf_append(out, data, len);
    free(data);
    rc = 0;
done:
    remove_tree(dir);
    return rc;
}
