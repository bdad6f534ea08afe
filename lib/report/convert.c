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

/* Runs argv (argv[0] looked up on PATH), stdin /dev/null, stdout and
 * stderr to log, bounded by CONVERT_TIMEOUT_S; then reads result. 0 with
 * the result in out; else its posix_spawn error in *spawn_err (nonzero: it
 * never ran) or why says how it failed, with the first line it printed. */
static int run_tool(char *const argv[], const char *log, const char *result, struct buf *out, int *spawn_err,
                    char *why, size_t why_cap)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    *spawn_err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (*spawn_err)
        return -1;
    int st = wait_bounded(pid);
    size_t len = 0;
    char *data = buf_read_file(result, &len);
    if (st != 0 || !data) {
        size_t ln = 0;
        char *said = buf_read_file(log, &ln);
        if (said)
            said[strcspn(said, "\n")] = '\0';
        snprintf(why, why_cap, "%s %s (exit %d%s): %s", argv[0], st < 0 ? "timed out" : "failed", st,
                 st < 0 ? ", killed" : "", said && *said ? said : "no output");
        free(said);
        free(data);
        return -1;
    }
    buf_append(out, data, len);
    free(data);
    return 0;
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
    int e = 0;
    rc = run_tool(argv, log, result, out, &e, why, why_cap);
    if (e) {
        rc = e == ENOENT || e == EACCES ? -2 : -1;
        snprintf(why, why_cap,
                 "--format %s needs LibreOffice: %s: %s (Debian: apt-get install "
                 "libreoffice-writer-nogui fonts-noto-cjk; or set GONGKAI_SOFFICE)",
                 format, soffice, strerror(e));
    }
done:
    remove_tree(dir);
    return rc;
}

int convert_is_pdf(const char *data, size_t n)
{
    return n >= 5 && memcmp(data, "%PDF-", 5) == 0;
}

int convert_pdf_text(const char *pdf, size_t n, struct buf *out, char *why, size_t why_cap)
{
    const char *tool = getenv("GONGKAI_PDFTOTEXT");
    if (!tool || !*tool)
        tool = "pdftotext";
    char dir[] = "/tmp/gongkai-pdf.XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(why, why_cap, "cannot make a temporary directory: %s", strerror(errno));
        return -1;
    }
    char in[128], txt[128], log[128];
    snprintf(in, sizeof in, "%s/report.pdf", dir);
    snprintf(txt, sizeof txt, "%s/report.txt", dir);
    snprintf(log, sizeof log, "%s/pdftotext.log", dir);
    int rc = -1;
    if (write_file(in, pdf, n)) {
        snprintf(why, why_cap, "cannot write %s: %s", in, strerror(errno));
        remove_tree(dir);
        return -1;
    }
    char *argv[] = {(char *)tool, "-raw", "-enc", "UTF-8", "-nopgbrk", in, txt, NULL};
    int e = 0;
    rc = run_tool(argv, log, txt, out, &e, why, why_cap);
    if (e) {
        rc = e == ENOENT || e == EACCES ? -2 : -1;
        snprintf(why, why_cap, "reading a PDF needs poppler's pdftotext: %s: %s (Debian: apt-get install "
                               "poppler-utils; or set GONGKAI_PDFTOTEXT)", tool, strerror(e));
    }
    remove_tree(dir);
    return rc;
}
