/*
 * The dnf backend (RHEL family): dnf 4 and rpm, on "/" or on an installroot.
 *
 * Every command is `dnf` with an argv built here. On an installroot dnf must see nothing of the
 * machine it runs on: --installroot, the root's own reposdir and dnf.conf, the root's
 * releasever, and cachedir=/var/cache/dnf, which dnf itself prefixes with the installroot (it
 * does so for cachedir, logdir and persistdir: giving ROOT/var/cache/dnf would end up as
 * ROOT/ROOT/var/cache/dnf). The scan (inventory/dnf_repos.c) reads the same cache directory.
 *
 * Plans: `dnf --assumeno` prints the transaction table, then "Operation aborted." and exits 1
 * without touching anything. It is preferred to --setopt=tsflags=test because the table is
 * what dnf's solver decided (the same code path as the real run, before any download), while
 * tsflags=test needs every package downloaded and only says whether rpm would accept it.
 *
 * One transaction: `dnf install` with exact NEVRA specs installs, upgrades and downgrades (dnf
 * 4.14 downgrades when an install spec names an older EVR than the installed one) and takes
 * local .rpm files (rollback). dnf 4 has no command that installs and removes in one
 * transaction other than `dnf shell`, whose exit status is 0 even when a command in its script
 * failed (checked with dnf 4.14: a "No match" line and it carries on), so a request with both
 * runs `dnf install` and then `dnf remove`. The removal half is simulated against the host as it
 * is, so packages that the install half changes are taken out of its plan.
 *
 * Locks: dnf 4 takes PERSISTDIR/rpmdb_lock.pid (ROOT/var/lib/dnf/rpmdb_lock.pid on an
 * installroot; a pid in the file, valid while that process lives), and rpm takes an fcntl lock
 * on DBPATH/.rpm.lock for the transaction itself. dnf waits for the first one forever unless
 * exit_on_lock is set, and rpm waits for the second one forever, so we look at both ourselves
 * until lock_wait is over and also run dnf with exit_on_lock=True, retrying while it reports
 * the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/backend/backend.h"
#include "agent/backend/dnf.h"
#include "agent/backend/run.h"
#include "agent/inventory/exec.h"
#include "agent/inventory/rpm_inventory.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"

/* Merged output kept from one dnf run for parsing (the log gets every line regardless). */
#define DNF_MAX_OUTPUT (16L * 1024 * 1024)
/* Extra argv entries beyond the packages. */
#define DNF_MAX_BASE_ARGS 32

struct dnf_priv {
        char releasever[64]; /* "" when the root does not say: dnf detects it */
        bool installroot;
        char home[1024]; /* HOME=... passed on: rpm reads ~/.rpmmacros (its _dbpath) */
        /* the installed set (inst_get), kept while the rpm database files are unchanged */
        struct inst *inst;
        char inst_key[1024];
};

/* ---- the transaction table ---------------------------------------------------------------- */

struct rows {
        struct be_change *v;
        size_t n, cap;
};

static enum fp_err rows_add(struct rows *r, struct fp_arena *a, enum be_action act,
                            const char *name, size_t nl, const char *arch, size_t al,
                            const char *evr, size_t el)
{
        if (r->n == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 16;
                struct be_change *v = realloc(r->v, cap * sizeof(*v));
                if (!v)
                        return FP_ENOMEM;
                r->v = v;
                r->cap = cap;
        }
        struct be_change *c = &r->v[r->n];
        char *s_name = fp_arena_strndup(a, name, nl);
        char *s_arch = fp_arena_strndup(a, arch, al);
        char *s_evr = fp_arena_strndup(a, evr, el);
        if (!s_name || !s_arch || !s_evr)
                return FP_ENOMEM;
        *c = (struct be_change){.action = act, .name = s_name, .arch = s_arch};
        if (act == BE_REMOVE)
                c->from = s_evr;
        else
                c->to = s_evr;
        r->n++;
        return FP_OK;
}

/* Section headers of dnf 4's list_transaction (output.py); -1: a section without packages. */
static int section_action(const char *s, size_t n)
{
        static const struct {
                const char *label;
                int action;
        } secs[] = {
            {"Installing", BE_INSTALL},
            {"Upgrading", BE_UPGRADE},
            {"Reinstalling", BE_REINSTALL},
            {"Installing group/module packages", BE_INSTALL},
            {"Installing group packages", BE_INSTALL},
            {"Installing dependencies", BE_INSTALL},
            {"Installing weak dependencies", BE_INSTALL},
            {"Removing", BE_REMOVE},
            {"Removing dependent packages", BE_REMOVE},
            {"Removing unused dependencies", BE_REMOVE},
            {"Downgrading", BE_DOWNGRADE},
        };
        for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
                if (strlen(secs[i].label) == n && memcmp(secs[i].label, s, n) == 0)
                        return secs[i].action;
        }
        return -1;
}

struct tok {
        const char *p;
        size_t n;
};

/* Whitespace-separated tokens of one line, at most max. */
static size_t tokenize(const char *s, size_t n, struct tok *t, size_t max)
{
        size_t k = 0, i = 0;
        while (i < n && k < max) {
                while (i < n && (s[i] == ' ' || s[i] == '\t'))
                        i++;
                if (i == n)
                        break;
                t[k].p = s + i;
                while (i < n && s[i] != ' ' && s[i] != '\t')
                        i++;
                t[k].n = (size_t)(s + i - t[k].p);
                k++;
        }
        return k;
}

/* A table row needs name, arch, EVR and repository; the size after them is not used. */
#define ROW_TOKENS 4

static bool tok_ok(const struct tok *t)
{
        for (size_t i = 0; i < t->n; i++) {
                unsigned char c = (unsigned char)t->p[i];
                if (c < 0x20 || c == 0x7f)
                        return false;
        }
        return t->n > 0;
}

enum fp_err dnf_sim_parse(const char *text, size_t len, const char *name, struct be_plan *plan,
                          struct fp_diag *d)
{
        enum fp_err err = FP_OK;
        struct rows rows = {0};
        struct tok pend[ROW_TOKENS];
        size_t npend = 0;
        unsigned long lineno = 0, pend_line = 0;
        int action = -1;
        bool in_table = false, seen_header = false;
        size_t pos = 0;

        memset(plan, 0, sizeof(*plan));
        fp_arena_init(&plan->arena);
        while (pos < len) {
                const char *l = text + pos;
                const char *nl = memchr(l, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - l) : len - pos;
                pos += n + (nl ? 1 : 0);
                if (++lineno > DNF_SIM_MAX_LINES) {
                        fp_diag_set(d, name, lineno, NULL, "more than %ld lines of dnf output",
                                    DNF_SIM_MAX_LINES);
                        err = FP_ELIMIT;
                        goto out;
                }
                if (n > DNF_SIM_MAX_LINE) {
                        fp_diag_set(d, name, lineno, NULL, "line longer than %d bytes",
                                    DNF_SIM_MAX_LINE);
                        err = FP_ELIMIT;
                        goto out;
                }
                if (n && l[n - 1] == '\r')
                        n--;
                /* The table: " Package  Architecture ..." then a '=' rule, rows, and the
                 * "Transaction Summary" that ends it. */
                if (!in_table) {
                        if (n > 9 && memcmp(l, " Package ", 9) == 0)
                                seen_header = true;
                        else if (seen_header && n > 0 && l[0] == '=')
                                in_table = true;
                        continue;
                }
                if (n >= 19 && memcmp(l, "Transaction Summary", 19) == 0)
                        break;
                if (n == 0)
                        continue;
                if (l[0] != ' ') {
                        /* "Upgrading:" and friends */
                        if (npend) {
                                fp_diag_set(d, name, pend_line, NULL,
                                            "table row has %zu of %d columns", npend, ROW_TOKENS);
                                err = FP_EPARSE;
                                goto out;
                        }
                        if (l[n - 1] != ':') {
                                fp_diag_set(d, name, lineno, NULL,
                                            "neither a table row nor a section header");
                                err = FP_EPARSE;
                                goto out;
                        }
                        action = section_action(l, n - 1);
                        continue;
                }
                struct tok t[ROW_TOKENS + 4];
                size_t k = tokenize(l, n, t, ROW_TOKENS + 4);
                if (k == 0)
                        continue;
                /* "     replacing  name.arch evr": an obsoleted package goes away */
                if (k == 3 && t[0].n == 9 && memcmp(t[0].p, "replacing", 9) == 0 && !npend) {
                        const char *dot = NULL;
                        for (size_t i = 0; i < t[1].n; i++)
                                if (t[1].p[i] == '.')
                                        dot = t[1].p + i;
                        if (action < 0)
                                continue;
                        /* control characters (a NUL cuts the name) in either token */
                        if (!dot || dot == t[1].p || dot == t[1].p + t[1].n - 1 || !tok_ok(&t[1]) ||
                            !tok_ok(&t[2])) {
                                fp_diag_set(d, name, lineno, NULL,
                                            "\"replacing\" without name.arch and EVR");
                                err = FP_EPARSE;
                                goto out;
                        }
                        /* an upgrade that obsoletes its own older version (Obsoletes:
                         * name < V) replaces it: one change, already in the plan */
                        size_t on = (size_t)(dot - t[1].p), oa = t[1].n - on - 1;
                        const struct be_change *prev = rows.n ? &rows.v[rows.n - 1] : NULL;
                        if (prev && strlen(prev->name) == on &&
                            memcmp(prev->name, t[1].p, on) == 0 && strlen(prev->arch) == oa &&
                            memcmp(prev->arch, dot + 1, oa) == 0)
                                continue;
                        if (rows.n >= DNF_SIM_MAX_PKGS) {
                                fp_diag_set(d, name, lineno, NULL, "more than %d packages",
                                            DNF_SIM_MAX_PKGS);
                                err = FP_ELIMIT;
                                goto out;
                        }
                        err =
                            rows_add(&rows, &plan->arena, BE_REMOVE, t[1].p, (size_t)(dot - t[1].p),
                                     dot + 1, (size_t)(t[1].p + t[1].n - dot - 1), t[2].p, t[2].n);
                        if (err != FP_OK)
                                goto out;
                        continue;
                }
                /* module stream sections: "name  stream" rows, no packages */
                if (action < 0)
                        continue;
                /* A row, or the rest of a row whose long name dnf put on a line of its own. */
                if (!npend)
                        pend_line = lineno;
                for (size_t i = 0; i < k && npend < ROW_TOKENS; i++)
                        pend[npend++] = t[i];
                if (npend < ROW_TOKENS)
                        continue;
                npend = 0;
                for (size_t i = 0; i < ROW_TOKENS; i++) {
                        if (!tok_ok(&pend[i])) {
                                fp_diag_set(d, name, pend_line, NULL,
                                            "control character in a table row");
                                err = FP_EPARSE;
                                goto out;
                        }
                }
                if (rows.n >= DNF_SIM_MAX_PKGS) {
                        fp_diag_set(d, name, lineno, NULL, "more than %d packages",
                                    DNF_SIM_MAX_PKGS);
                        err = FP_ELIMIT;
                        goto out;
                }
                err = rows_add(&rows, &plan->arena, (enum be_action)action, pend[0].p, pend[0].n,
                               pend[1].p, pend[1].n, pend[2].p, pend[2].n);
                if (err != FP_OK)
                        goto out;
        }
        if (npend) {
                fp_diag_set(d, name, pend_line, NULL, "table row has %zu of %d columns", npend,
                            ROW_TOKENS);
                err = FP_EPARSE;
                goto out;
        }
        if (rows.n) {
                plan->changes = fp_arena_alloc(&plan->arena, rows.n * sizeof(*plan->changes));
                if (!plan->changes) {
                        err = FP_ENOMEM;
                        goto out;
                }
                memcpy(plan->changes, rows.v, rows.n * sizeof(*plan->changes));
                plan->count = rows.n;
        }
out:
        free(rows.v);
        if (err != FP_OK)
                be_plan_release(plan);
        return err;
}

/* ---- failure reasons ---------------------------------------------------------------------- */

static bool has(const char *l, size_t n, const char *needle)
{
        size_t k = strlen(needle);
        return k <= n && memmem(l, n, needle, k) != NULL;
}

/* Checked in this order over every line: the first reason that any line gives wins, so a
 * lock or a signature problem is not hidden by the "No match"/solver lines that follow it. */
static const struct {
        enum be_fail why;
        const char *needle;
} patterns[] = {
    {BE_FAIL_LOCKED, "already locked by"},
    {BE_FAIL_LOCKED, "Waiting for process with pid"},
    {BE_FAIL_LOCKED, "waiting for transaction lock"},
    {BE_FAIL_LOCKED, "holding the dnf lock"},
    {BE_FAIL_UNTRUSTED, "GPG check FAILED"},
    {BE_FAIL_UNTRUSTED, "Public key for"},
    {BE_FAIL_UNTRUSTED, "GPG signature verification error"},
    {BE_FAIL_UNTRUSTED, "Bad GPG signature"},
    {BE_FAIL_UNTRUSTED, "is not signed"},
    {BE_FAIL_UNTRUSTED, "checksum doesn't match"},
    {BE_FAIL_UNTRUSTED, "Checksum mismatch"},
    {BE_FAIL_UNTRUSTED, "Signature verification failed"},
    {BE_FAIL_UNTRUSTED, "signature: BAD"},
    {BE_FAIL_DISK_FULL, "Disk Requirements"},
    {BE_FAIL_DISK_FULL, "more space needed"},
    {BE_FAIL_DISK_FULL, "No space left on device"},
    {BE_FAIL_HELD, "filtered out by exclude filtering"},
    {BE_FAIL_HELD, "filtered out by modular filtering"},
    {BE_FAIL_HELD, "versionlock"},
    {BE_FAIL_HELD, "is excluded"},
    {BE_FAIL_NOT_FOUND, "No match for argument"},
    {BE_FAIL_NOT_FOUND, "Unable to find a match"},
    {BE_FAIL_NOT_FOUND, "No package "},
    {BE_FAIL_NOT_FOUND, "No packages marked for"},
    {BE_FAIL_NOT_FOUND, "Can not load RPM file"},
    {BE_FAIL_NOT_FOUND, "Could not open"},
    {BE_FAIL_SCRIPT, "scriptlet failed"},
    {BE_FAIL_SCRIPT, "Error in PREIN scriptlet"},
    {BE_FAIL_SCRIPT, "Error in POSTIN scriptlet"},
    {BE_FAIL_SCRIPT, "Error in PREUN scriptlet"},
    {BE_FAIL_SCRIPT, "Error in POSTUN scriptlet"},
    {BE_FAIL_SCRIPT, "scriptlet in rpm package"},
    {BE_FAIL_CONFLICT, "Problem:"},
    {BE_FAIL_CONFLICT, "Problem 1:"},
    {BE_FAIL_CONFLICT, "conflicting requests"},
    {BE_FAIL_CONFLICT, "nothing provides"},
    {BE_FAIL_CONFLICT, "Depsolve Error"},
    {BE_FAIL_CONFLICT, "conflicts with file from package"},
    {BE_FAIL_CONFLICT, "is needed by"},
};

enum be_fail dnf_classify(const char *text, size_t len, const char **line)
{
        for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
                size_t pos = 0;
                while (pos < len) {
                        const char *l = text + pos;
                        const char *nl = memchr(l, '\n', len - pos);
                        size_t n = nl ? (size_t)(nl - l) : len - pos;
                        pos += n + (nl ? 1 : 0);
                        if (has(l, n, patterns[p].needle)) {
                                if (line)
                                        *line = l;
                                return patterns[p].why;
                        }
                }
        }
        return BE_FAIL_NONE;
}

/* The line at l (up to its newline) into diag's message, after a prefix. */
static void diag_line(struct fp_diag *d, const char *root, const char *what, const char *l)
{
        size_t n = strcspn(l, "\n");
        while (n && (l[n - 1] == ' ' || l[n - 1] == '\r'))
                n--;
        fp_diag_set(d, root, 0, "dnf", "%s: %.*s", what, (int)(n > 200 ? 200 : n), l);
}

/* A failed run: reason from the output, message from the line that gave it (else the first
 * "Error" line, else the exit status). */
static void fail_from_output(struct backend *b, const char *what, const struct fp_buf *out,
                             int status, enum be_fail *why, struct fp_diag *d)
{
        const char *text = fp_buf_str(out), *line = NULL;
        *why = dnf_classify(text, out->len, &line);
        if (*why == BE_FAIL_NONE) {
                *why = BE_FAIL_OTHER;
                line = strstr(text, "Error");
        }
        if (line)
                diag_line(d, b->opts.root, what, line);
        else
                fp_diag_set(d, b->opts.root, 0, "dnf", "%s: dnf exited with status %d", what,
                            status);
}

/* ---- running dnf -------------------------------------------------------------------------- */

struct av {
        const char **v;
        size_t n, cap;
        struct fp_arena *a;
};

static enum fp_err av_init(struct av *a, struct fp_arena *ar, size_t extra)
{
        a->cap = DNF_MAX_BASE_ARGS + extra + 1;
        a->n = 0;
        a->a = ar;
        a->v = fp_arena_alloc(ar, a->cap * sizeof(*a->v));
        return a->v ? FP_OK : FP_ENOMEM;
}

static enum fp_err av_add(struct av *a, const char *s)
{
        if (!s)
                return FP_ENOMEM;
        if (a->n + 1 >= a->cap)
                return FP_ELIMIT;
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
        return FP_OK;
}

/* prefix + value + suffix as one argument */
static enum fp_err av_cat(struct av *a, const char *prefix, const char *value, const char *suffix)
{
        char buf[4200];
        int k = snprintf(buf, sizeof(buf), "%s%s%s", prefix, value, suffix);
        if (k < 0 || (size_t)k >= sizeof(buf))
                return FP_ELIMIT;
        return av_add(a, fp_arena_strdup(a->a, buf));
}

static bool is_root(const struct backend *b)
{
        return strcmp(b->opts.root, "/") == 0;
}

/* dnf, its options for the root, and the command (argv[after] onwards). */
static enum fp_err dnf_argv(struct backend *b, struct av *a, bool assumeno, const char *cmd)
{
        struct dnf_priv *p = b->priv;
        const char *r = b->opts.root;
        enum fp_err err;
        struct stat st;
        char path[4200];

        if ((err = av_add(a, "dnf")) != FP_OK ||
            (err = av_add(a, assumeno ? "--assumeno" : "-y")) != FP_OK ||
            /* exactly what the request names and what it needs, never recommendations */
            (err = av_add(a, "--setopt=install_weak_deps=False")) != FP_OK ||
            /* a removal removes only what depends on it, never "unused" leaves as well */
            (err = av_add(a, "--setopt=clean_requirements_on_remove=False")) != FP_OK ||
            (err = av_add(a, "--setopt=exit_on_lock=True")) != FP_OK)
                return err;
        if (p->installroot) {
                if ((err = av_cat(a, "--installroot=", r, "")) != FP_OK ||
                    (err = av_cat(a, "--setopt=reposdir=", r, "/etc/yum.repos.d")) != FP_OK ||
                    (err = av_add(a, "--setopt=cachedir=/var/cache/dnf")) != FP_OK)
                        return err;
                /* without --config, dnf would read the host's dnf.conf */
                snprintf(path, sizeof(path), "%s/etc/dnf/dnf.conf", r);
                if (stat(path, &st) == 0 && (err = av_cat(a, "--config=", path, "")) != FP_OK)
                        return err;
                if (p->releasever[0] &&
                    (err = av_cat(a, "--releasever=", p->releasever, "")) != FP_OK)
                        return err;
        }
        return av_add(a, cmd);
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

/* dnf's ProcessLock: a pid in the file, valid while that process lives (dnf/lock.py). */
static bool dnf_pid_lock_taken(const char *path)
{
        char buf[32];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return false;
        buf[k] = '\0';
        long pid = strtol(buf, NULL, 10);
        if (pid <= 0 || pid == (long)getpid())
                return false;
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/%ld/stat", pid);
        return access(proc, F_OK) == 0;
}

/* rpm's transaction lock: an fcntl write lock on DBPATH/.rpm.lock (rpmlock.c). */
static bool rpm_lock_taken(const char *path)
{
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return false;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        bool taken = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
        close(fd);
        return taken;
}

/* Which lock is taken now (its path into held), or false. */
static bool any_lock_taken(struct backend *b, char *held, size_t heldsz)
{
        const char *r = is_root(b) ? "" : b->opts.root;
        const char *db = fp_rpm_db_path(b->opts.root);
        char path[4200];

        static const char *const pids[] = {"/var/lib/dnf/rpmdb_lock.pid",
                                           "/var/cache/dnf/metadata_lock.pid",
                                           "/var/cache/dnf/download_lock.pid"};
        for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
                snprintf(path, sizeof(path), "%s%s", r, pids[i]);
                if (dnf_pid_lock_taken(path)) {
                        snprintf(held, heldsz, "%s", path);
                        return true;
                }
        }
        if (db) {
                snprintf(path, sizeof(path), "%s%s/.rpm.lock", r, db);
                if (rpm_lock_taken(path)) {
                        snprintf(held, heldsz, "%s", path);
                        return true;
                }
        }
        return false;
}

/*
 * Run dnf once the locks are free, waiting for them at most lock_wait seconds. FP_OK when dnf
 * ran (status in *status, output in out); a lock still taken at the end is FP_EEXEC with
 * *why = BE_FAIL_LOCKED.
 */
static enum fp_err dnf_run(struct backend *b, const char *const *argv, struct fp_buf *out,
                           int *status, enum be_fail *why, struct fp_diag *d)
{
        struct dnf_priv *p = b->priv;
        long long deadline = now_ms() + b->opts.lock_wait * 1000;
        const char *env[] = {p->home[0] ? p->home : NULL, NULL};
        char held[4200];

        for (;;) {
                while (any_lock_taken(b, held, sizeof(held))) {
                        if (now_ms() >= deadline) {
                                *why = BE_FAIL_LOCKED;
                                fp_diag_set(d, held, 0, "lock",
                                            "still taken by another process after %ld s",
                                            b->opts.lock_wait);
                                return FP_EEXEC;
                        }
                        nap_ms(200);
                }
                struct run_opts ro = {.argv = argv,
                                      .env = env,
                                      .timeout = b->opts.timeout,
                                      .log = b->opts.log,
                                      .log_ctx = b->opts.log_ctx,
                                      .out = out};
                struct run_result res = {0};
                fp_buf_reset(out);
                enum fp_err err = run_program(&ro, &res, d);
                if (err != FP_OK) {
                        *why = BE_FAIL_OTHER;
                        return err;
                }
                if (res.timed_out) {
                        *why = BE_FAIL_OTHER;
                        fp_diag_set(d, b->opts.root, 0, "dnf", "%s %s killed after %ld s", argv[0],
                                    argv[1], b->opts.timeout);
                        return FP_EEXEC;
                }
                *status = res.status;
                const char *line = NULL;
                /* another dnf took the lock between our look and its start: dnf refused
                 * (exit_on_lock) before it changed anything */
                if (res.status != 0 &&
                    dnf_classify(fp_buf_str(out), out->len, &line) == BE_FAIL_LOCKED) {
                        if (now_ms() < deadline) {
                                nap_ms(500);
                                continue;
                        }
                        *why = BE_FAIL_LOCKED;
                        diag_line(d, b->opts.root, "locked", line);
                        return FP_EEXEC;
                }
                return FP_OK;
        }
}

/* ---- the installed packages --------------------------------------------------------------- */

struct inst {
        struct fp_arena arena;
        struct fp_strmap by_na;   /* "name.arch" -> EVR */
        struct fp_strmap by_name; /* "name" -> struct inst_name */
};

struct inst_name {
        const char *arch, *evr;
        size_t count; /* installed name.arch pairs with this name */
};

static char *evr_of(struct fp_arena *a, const char *e, const char *v, const char *r)
{
        char buf[1024];
        bool epoch = e && *e && strcmp(e, "0") != 0;
        snprintf(buf, sizeof(buf), "%s%s%s%s%s", epoch ? e : "", epoch ? ":" : "", v ? v : "",
                 r ? "-" : "", r ? r : "");
        return fp_arena_strdup(a, buf);
}

static enum fp_err inst_cb(void *ud, const struct fp_rpm_pkg *pkg, struct fp_diag *diag)
{
        struct inst *in = ud;
        char *evr = evr_of(&in->arena, pkg->epoch, pkg->version, pkg->release);
        size_t nl = strlen(pkg->name), al = strlen(pkg->arch);
        char *na = fp_arena_alloc(&in->arena, nl + al + 2);
        char *name = fp_arena_strdup(&in->arena, pkg->name);
        char *arch = fp_arena_strdup(&in->arena, pkg->arch);
        if (!evr || !na || !name || !arch)
                return FP_ENOMEM;
        memcpy(na, pkg->name, nl);
        na[nl] = '.';
        memcpy(na + nl + 1, pkg->arch, al + 1);
        /* installonly packages (kernels) have several EVRs; the newest is the "from" */
        const char *old = fp_strmap_get(&in->by_na, na, nl + al + 1);
        enum fp_err err = FP_OK;
        if (!old || fp_rpm_vercmp(evr, old) > 0)
                err = fp_strmap_put(&in->by_na, na, nl + al + 1, evr);
        if (err != FP_OK)
                return err;
        struct inst_name *n = fp_strmap_get(&in->by_name, name, nl);
        if (!n) {
                n = fp_arena_alloc(&in->arena, sizeof(*n));
                if (!n)
                        return FP_ENOMEM;
                *n = (struct inst_name){.arch = arch, .evr = evr, .count = 0};
                err = fp_strmap_put(&in->by_name, name, nl, n);
        }
        if (!old)
                n->count++;
        (void)diag;
        return err;
}

static void inst_release(struct inst *in)
{
        fp_strmap_release(&in->by_na);
        fp_strmap_release(&in->by_name);
        fp_arena_release(&in->arena);
}

static enum fp_err inst_load(struct backend *b, struct inst *in, struct fp_diag *d)
{
        fp_arena_init(&in->arena);
        fp_strmap_init(&in->by_na);
        fp_strmap_init(&in->by_name);
        if (!fp_rpm_db_path(b->opts.root))
                return FP_OK; /* a root where nothing is installed yet */
        return fp_rpm_db_read(b->opts.root, inst_cb, in, d);
}

static void inst_key(const struct backend *b, char *out, size_t n)
{
        fp_rpm_db_key(b->opts.root, out, n);
}

/*
 * The installed set, owned by the backend. Running `rpm -qa` costs tens of milliseconds and
 * one transaction needs the set four times (simulate, keep, apply's plan and specs): it is
 * read again only when the database files changed since (a transaction, or anyone else).
 */
static enum fp_err inst_get(struct backend *b, struct inst **out, struct fp_diag *d)
{
        struct dnf_priv *p = b->priv;
        char key[sizeof(p->inst_key)];
        inst_key(b, key, sizeof(key));
        if (p->inst && key[0] && strcmp(key, p->inst_key) == 0) {
                *out = p->inst;
                return FP_OK;
        }
        if (p->inst) {
                inst_release(p->inst);
                free(p->inst);
                p->inst = NULL;
        }
        struct inst *in = malloc(sizeof(*in));
        if (!in)
                return FP_ENOMEM;
        enum fp_err err = inst_load(b, in, d);
        if (err != FP_OK) {
                inst_release(in);
                free(in);
                return err;
        }
        /* the key of before the read: a change during it makes the next call read again */
        snprintf(p->inst_key, sizeof(p->inst_key), "%s", key);
        p->inst = in;
        *out = in;
        return FP_OK;
}

static const char *inst_evr(const struct inst *in, const char *name, const char *arch)
{
        char na[1024];
        int k = snprintf(na, sizeof(na), "%s.%s", name, arch);
        if (k > 0 && (size_t)k < sizeof(na)) {
                const char *e = fp_strmap_get(&in->by_na, na, (size_t)k);
                if (e)
                        return e;
        }
        /* an upgrade may change the arch (noarch <-> x86_64) */
        const struct inst_name *n = fp_strmap_get(&in->by_name, name, strlen(name));
        return n ? n->evr : NULL;
}

/* ---- requests ----------------------------------------------------------------------------- */

/* RPM names: no whitespace, '/' or control characters (docs/jobs.md). */
static bool name_ok(const char *s)
{
        if (!s || !*s || strlen(s) > 255)
                return false;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c <= ' ' || c == '/' || c == 0x7f)
                        return false;
        }
        return true;
}

static bool arch_ok(const char *s)
{
        if (!s)
                return true;
        if (!*s || strlen(s) > 32)
                return false;
        for (; *s; s++) {
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_'))
                        return false;
        }
        return true;
}

static enum fp_err check_request(const struct be_request *req, struct fp_diag *d)
{
        for (size_t i = 0; i < req->install_count; i++) {
                const struct be_pkg *p = &req->install[i];
                struct fp_rpmevr evr;
                if (!name_ok(p->name)) {
                        fp_diag_set(d, NULL, 0, "name", "not an RPM package name: \"%.64s\"",
                                    p->name ? p->name : "");
                        return FP_EINVAL;
                }
                if (!p->version || !*p->version || !name_ok(p->version) ||
                    fp_rpm_evr_parse(p->version, strlen(p->version), &evr, d) != FP_OK) {
                        fp_diag_set(d, NULL, 0, "version", "%s: not an RPM EVR: \"%.64s\"", p->name,
                                    p->version ? p->version : "");
                        return FP_EINVAL;
                }
                if (!arch_ok(p->arch)) {
                        fp_diag_set(d, NULL, 0, "arch", "%s: not an RPM arch: \"%.32s\"", p->name,
                                    p->arch);
                        return FP_EINVAL;
                }
        }
        for (size_t i = 0; i < req->remove_count; i++) {
                const struct be_pkg *p = &req->remove[i];
                if (!name_ok(p->name) || (p->version && !name_ok(p->version)) ||
                    !arch_ok(p->arch)) {
                        fp_diag_set(d, NULL, 0, "remove", "not an RPM package: \"%.64s\"",
                                    p->name ? p->name : "");
                        return FP_EINVAL;
                }
        }
        for (size_t i = 0; i < req->file_count; i++) {
                struct stat st;
                if (!req->files[i] || req->files[i][0] != '/' || stat(req->files[i], &st) != 0 ||
                    !S_ISREG(st.st_mode)) {
                        fp_diag_set(d, req->files[i], 0, "file",
                                    "not an absolute path of a package file");
                        return FP_EINVAL;
                }
        }
        return FP_OK;
}

/* name-[epoch:]version-release[.arch]: dnf's NEVRA form, so no other version can match. */
static const char *spec_of(struct fp_arena *a, const struct be_pkg *p, const struct inst *in)
{
        const char *arch = p->arch;
        char buf[2048];
        if (!arch) {
                /* "the installed one, else the native one": dnf picks the native one */
                const struct inst_name *n = fp_strmap_get(&in->by_name, p->name, strlen(p->name));
                if (n && n->count == 1)
                        arch = n->arch;
        }
        int k = snprintf(buf, sizeof(buf), "%s%s%s%s%s", p->name, p->version ? "-" : "",
                         p->version ? p->version : "", arch ? "." : "", arch ? arch : "");
        if (k < 0 || (size_t)k >= sizeof(buf))
                return NULL;
        return fp_arena_strdup(a, buf);
}

static bool name_in(const struct be_pkg *v, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i].name, name) == 0)
                        return true;
        return false;
}

static int cmp_change(const void *x, const void *y)
{
        const struct be_change *a = x, *b = y;
        int c = strcmp(a->name, b->name);
        return c ? c : strcmp(a->arch, b->arch);
}

/* One `dnf --assumeno CMD specs...` and its table. An empty plan when dnf has nothing to do. */
static enum fp_err sim_one(struct backend *b, const char *cmd, const char *const *specs, size_t n,
                           struct be_plan *plan, enum be_fail *why, struct fp_diag *d)
{
        struct fp_arena ar;
        struct av a;
        struct fp_buf out;
        int status = 0;
        enum fp_err err;

        fp_arena_init(&ar);
        fp_buf_init(&out, DNF_MAX_OUTPUT);
        memset(plan, 0, sizeof(*plan));
        fp_arena_init(&plan->arena);
        if ((err = av_init(&a, &ar, n)) != FP_OK || (err = dnf_argv(b, &a, true, cmd)) != FP_OK)
                goto out;
        for (size_t i = 0; i < n; i++)
                if ((err = av_add(&a, specs[i])) != FP_OK)
                        goto out;
        if ((err = dnf_run(b, a.v, &out, &status, why, d)) != FP_OK)
                goto out;
        const char *text = fp_buf_str(&out);
        /* --assumeno: exit 1 and "Operation aborted." after a table; 0 with "Nothing to do." */
        bool aborted = strstr(text, "Operation aborted.") != NULL;
        if (!(status == 0 || (status == 1 && aborted))) {
                fail_from_output(b, cmd, &out, status, why, d);
                err = FP_EEXEC;
                goto out;
        }
        /* dnf 4 prints "No match for argument" and still exits 0 when strict=False is set in
         * the root's dnf.conf: a named package that is not there is never "nothing to do" */
        const char *line = NULL;
        enum be_fail f = dnf_classify(text, out.len, &line);
        if (f == BE_FAIL_NOT_FOUND || f == BE_FAIL_HELD) {
                *why = f;
                diag_line(d, b->opts.root, cmd, line);
                err = FP_EEXEC;
                goto out;
        }
        be_plan_release(plan);
        err = dnf_sim_parse(text, out.len, "dnf --assumeno output", plan, d);
        if (err == FP_OK && aborted && plan->count == 0) {
                fp_diag_set(d, b->opts.root, 0, "dnf",
                            "%s: dnf aborted a transaction without a table to read", cmd);
                *why = BE_FAIL_OTHER;
                err = FP_EPARSE;
        }
out:
        if (err != FP_OK && *why == BE_FAIL_NONE)
                *why = BE_FAIL_OTHER;
        fp_buf_release(&out);
        fp_arena_release(&ar);
        return err;
}

/* Specs of a request: installs (and files) in one list, removals of installed packages in
 * another. */
static enum fp_err request_specs(const struct be_request *req, const struct inst *in,
                                 struct fp_arena *ar, const char ***ins, size_t *nins,
                                 const char ***rem, size_t *nrem)
{
        *ins = fp_arena_alloc(ar, (req->install_count + req->file_count + 1) * sizeof(**ins));
        *rem = fp_arena_alloc(ar, (req->remove_count + 1) * sizeof(**rem));
        if (!*ins || !*rem)
                return FP_ENOMEM;
        *nins = *nrem = 0;
        for (size_t i = 0; i < req->install_count; i++)
                if (!((*ins)[(*nins)++] = spec_of(ar, &req->install[i], in)))
                        return FP_ENOMEM;
        for (size_t i = 0; i < req->file_count; i++)
                (*ins)[(*nins)++] = req->files[i];
        for (size_t i = 0; i < req->remove_count; i++) {
                const struct be_pkg *p = &req->remove[i];
                /* removing what is already gone is nothing to do (a rollback after a partial
                 * transaction) */
                if (!fp_strmap_get(&in->by_name, p->name, strlen(p->name)))
                        continue;
                if (!((*rem)[(*nrem)++] = spec_of(ar, p, in)))
                        return FP_ENOMEM;
        }
        return FP_OK;
}

/*
 * The whole plan: the install half, plus the removal half without the packages the install
 * half already changes; from filled in from the rpmdb; sorted. Refuses what needs a
 * permission the request lacks (the plan is still returned).
 */
static enum fp_err plan_request(struct backend *b, const struct be_request *req,
                                struct be_plan *plan, enum be_fail *why, struct fp_diag *d)
{
        struct inst *in = NULL;
        struct fp_arena ar;
        struct be_plan pi = {0}, pr = {0};
        const char **ins, **rem;
        size_t nins, nrem;
        enum fp_err err;

        *why = BE_FAIL_NONE;
        memset(plan, 0, sizeof(*plan));
        fp_arena_init(&plan->arena);
        fp_arena_init(&pi.arena);
        fp_arena_init(&pr.arena);
        fp_arena_init(&ar);
        if ((err = check_request(req, d)) != FP_OK) {
                *why = BE_FAIL_OTHER;
                goto out;
        }
        if ((err = inst_get(b, &in, d)) != FP_OK) {
                *why = BE_FAIL_OTHER;
                goto out;
        }
        if ((err = request_specs(req, in, &ar, &ins, &nins, &rem, &nrem)) != FP_OK)
                goto out;
        if (nins && (err = sim_one(b, "install", ins, nins, &pi, why, d)) != FP_OK)
                goto out;
        if (nrem && (err = sim_one(b, "remove", rem, nrem, &pr, why, d)) != FP_OK)
                goto out;
        size_t total = pi.count + pr.count;
        plan->changes = fp_arena_alloc(&plan->arena, (total + 1) * sizeof(*plan->changes));
        if (!plan->changes) {
                err = FP_ENOMEM;
                goto out;
        }
        for (size_t h = 0; h < 2; h++) {
                const struct be_plan *src = h == 0 ? &pi : &pr;
                for (size_t i = 0; i < src->count; i++) {
                        const struct be_change *c = &src->changes[i];
                        bool dup = false;
                        for (size_t j = 0; h == 1 && j < pi.count; j++)
                                if (strcmp(pi.changes[j].name, c->name) == 0)
                                        dup = true;
                        if (dup)
                                continue;
                        struct be_change *o = &plan->changes[plan->count++];
                        *o = (struct be_change){.action = c->action};
                        o->name = fp_arena_strdup(&plan->arena, c->name);
                        o->arch = fp_arena_strdup(&plan->arena, c->arch);
                        const char *from = c->from;
                        if (c->action == BE_UPGRADE || c->action == BE_DOWNGRADE ||
                            c->action == BE_REINSTALL)
                                from = inst_evr(in, c->name, c->arch);
                        o->from = from ? fp_arena_strdup(&plan->arena, from) : NULL;
                        o->to = c->to ? fp_arena_strdup(&plan->arena, c->to) : NULL;
                        if (!o->name || !o->arch || (from && !o->from) || (c->to && !o->to)) {
                                err = FP_ENOMEM;
                                goto out;
                        }
                }
        }
        if (plan->count > 1)
                qsort(plan->changes, plan->count, sizeof(*plan->changes), cmp_change);
        for (size_t i = 0; i < plan->count; i++) {
                const struct be_change *c = &plan->changes[i];
                if (c->action == BE_REMOVE && !req->allow_remove &&
                    !name_in(req->remove, req->remove_count, c->name)) {
                        *why = BE_FAIL_REMOVALS;
                        fp_diag_set(d, b->opts.root, 0, c->name,
                                    "the plan removes %s.%s %s, which the request does not allow",
                                    c->name, c->arch, c->from ? c->from : "");
                        err = FP_EINVAL;
                        goto out;
                }
        }
        for (size_t i = 0; i < plan->count; i++) {
                const struct be_change *c = &plan->changes[i];
                if (c->action == BE_DOWNGRADE && !req->allow_downgrade) {
                        *why = BE_FAIL_DOWNGRADES;
                        fp_diag_set(d, b->opts.root, 0, c->name,
                                    "the plan downgrades %s.%s from %s to %s, which the request "
                                    "does not allow",
                                    c->name, c->arch, c->from ? c->from : "?", c->to);
                        err = FP_EINVAL;
                        goto out;
                }
        }
out:
        if (err != FP_OK && *why == BE_FAIL_NONE)
                *why = BE_FAIL_OTHER;
        be_plan_release(&pi);
        be_plan_release(&pr);
        fp_arena_release(&ar);
        return err;
}

/* ---- the operations ----------------------------------------------------------------------- */

static enum fp_err dnf_simulate(struct backend *b, const struct be_request *req,
                                struct be_plan *plan, enum be_fail *why, struct fp_diag *d)
{
        return plan_request(b, req, plan, why, d);
}

/* One real `dnf -y CMD specs...`; a scriptlet failure is a failure even when dnf exits 0 (rpm
 * keeps the package installed when %post fails, and dnf says "Complete!"). */
static enum fp_err run_one(struct backend *b, const char *cmd, const char *const *specs, size_t n,
                           enum be_fail *why, struct fp_diag *d)
{
        struct fp_arena ar;
        struct av a;
        struct fp_buf out;
        int status = 0;
        enum fp_err err;

        fp_arena_init(&ar);
        fp_buf_init(&out, DNF_MAX_OUTPUT);
        if ((err = av_init(&a, &ar, n)) != FP_OK || (err = dnf_argv(b, &a, false, cmd)) != FP_OK)
                goto out;
        for (size_t i = 0; i < n; i++)
                if ((err = av_add(&a, specs[i])) != FP_OK)
                        goto out;
        if ((err = dnf_run(b, a.v, &out, &status, why, d)) != FP_OK)
                goto out;
        if (status != 0) {
                fail_from_output(b, cmd, &out, status, why, d);
                err = FP_EEXEC;
                goto out;
        }
        const char *line = NULL;
        if (dnf_classify(fp_buf_str(&out), out.len, &line) == BE_FAIL_SCRIPT) {
                *why = BE_FAIL_SCRIPT;
                diag_line(d, b->opts.root, "scriptlet failed (the package stays installed)", line);
                err = FP_EEXEC;
        }
out:
        if (err != FP_OK && *why == BE_FAIL_NONE)
                *why = BE_FAIL_OTHER;
        fp_buf_release(&out);
        fp_arena_release(&ar);
        return err;
}

static enum fp_err dnf_apply(struct backend *b, const struct be_request *req, struct be_plan *plan,
                             enum be_fail *why, struct fp_diag *d)
{
        struct be_plan local = {0};
        struct be_plan *pl = plan ? plan : &local;
        struct inst *in = NULL;
        struct fp_arena ar;
        const char **ins, **rem;
        size_t nins, nrem;
        enum fp_err err;

        err = plan_request(b, req, pl, why, d);
        if (err != FP_OK) {
                be_plan_release(&local);
                return err;
        }
        fp_arena_init(&ar);
        if ((err = inst_get(b, &in, d)) != FP_OK) {
                *why = BE_FAIL_OTHER;
                goto out;
        }
        if ((err = request_specs(req, in, &ar, &ins, &nins, &rem, &nrem)) != FP_OK)
                goto out;
        bool installs = false, removes = false;
        for (size_t i = 0; i < pl->count; i++) {
                if (pl->changes[i].action == BE_REMOVE &&
                    name_in(req->remove, req->remove_count, pl->changes[i].name))
                        removes = true;
                else
                        installs = true;
        }
        if (nins && installs && (err = run_one(b, "install", ins, nins, why, d)) != FP_OK)
                goto out;
        if (nrem && removes) {
                /* the second half, planned again on the host the first half left */
                struct be_request rr = {.remove = req->remove,
                                        .remove_count = req->remove_count,
                                        .allow_remove = req->allow_remove};
                struct be_plan p2;
                err = plan_request(b, &rr, &p2, why, d);
                be_plan_release(&p2);
                if (err != FP_OK)
                        goto out;
                if ((err = run_one(b, "remove", rem, nrem, why, d)) != FP_OK)
                        goto out;
        }
out:
        fp_arena_release(&ar);
        be_plan_release(&local);
        return err;
}

static enum fp_err dnf_refresh(struct backend *b, enum be_fail *why, struct fp_diag *d)
{
        struct fp_arena ar;
        struct av a;
        struct fp_buf out;
        int status = 0;
        enum fp_err err;

        *why = BE_FAIL_NONE;
        fp_arena_init(&ar);
        fp_buf_init(&out, DNF_MAX_OUTPUT);
        /* --refresh: metadata downloaded again and checked against repomd.xml, even when the
         * cache has not expired, so a tampered repository is noticed now */
        if ((err = av_init(&a, &ar, 1)) != FP_OK ||
            (err = dnf_argv(b, &a, false, "makecache")) != FP_OK ||
            (err = av_add(&a, "--refresh")) != FP_OK)
                goto out;
        if ((err = dnf_run(b, a.v, &out, &status, why, d)) != FP_OK)
                goto out;
        /* skip_if_unavailable=True turns a bad repository into a warning and exit 0 */
        const char *line = NULL;
        enum be_fail f = dnf_classify(fp_buf_str(&out), out.len, &line);
        if (status != 0 || f == BE_FAIL_UNTRUSTED) {
                fail_from_output(b, "makecache", &out, status, why, d);
                err = FP_EEXEC;
        }
out:
        if (err != FP_OK && *why == BE_FAIL_NONE)
                *why = BE_FAIL_OTHER;
        fp_buf_release(&out);
        fp_arena_release(&ar);
        return err;
}

/* rpm or rpmdb with --root and the database the root has. */
static enum fp_err rpm_run(struct backend *b, const char *prog, const char *op, struct fp_buf *out,
                           int *status, struct fp_diag *d)
{
        struct dnf_priv *p = b->priv;
        const char *db = fp_rpm_db_path(b->opts.root);
        const char *argv[] = {prog, "--root", b->opts.root, op, NULL, NULL, NULL};
        if (db) {
                argv[4] = "--dbpath";
                argv[5] = db;
        }
        const char *env[] = {p->home[0] ? p->home : NULL, NULL};
        struct run_opts ro = {.argv = argv,
                              .env = env,
                              .timeout = b->opts.timeout,
                              .log = b->opts.log,
                              .log_ctx = b->opts.log_ctx,
                              .out = out};
        struct run_result res = {0};
        fp_buf_reset(out);
        enum fp_err err = run_program(&ro, &res, d);
        *status = res.status;
        return err;
}

/*
 * rpm has no half-configured state: a transaction killed midway leaves an rpmdb that may need
 * its indexes rebuilt (rpm --verifydb fails) and, when it died between installing a new
 * version and erasing the old one, both versions of a package in the database (the old one's
 * files partly replaced). dnf 4 keeps no journal to replay; `dnf check --duplicates` finds the
 * second case and `dnf remove --duplicates` removes the older copies.
 */
static enum fp_err dnf_recover(struct backend *b, enum be_fail *why, struct fp_diag *d)
{
        struct fp_buf out;
        int status = 0;
        enum fp_err err;

        *why = BE_FAIL_NONE;
        fp_buf_init(&out, DNF_MAX_OUTPUT);
        if (!fp_rpm_db_path(b->opts.root))
                goto out; /* nothing installed: nothing to recover */
        if ((err = rpm_run(b, "rpmdb", "--verifydb", &out, &status, d)) != FP_OK)
                goto fail;
        if (status != 0) {
                if ((err = rpm_run(b, "rpmdb", "--rebuilddb", &out, &status, d)) != FP_OK)
                        goto fail;
                if (status != 0) {
                        fp_diag_set(d, b->opts.root, 0, "rpmdb",
                                    "rpmdb --rebuilddb failed (status %d)", status);
                        err = FP_EEXEC;
                        goto fail;
                }
        }
        if ((err = rpm_run(b, "rpm", "-qa", &out, &status, d)) != FP_OK)
                goto fail;
        if (status != 0) {
                fp_diag_set(d, b->opts.root, 0, "rpmdb",
                            "rpm -qa fails after a rebuild (status %d)", status);
                err = FP_EEXEC;
                goto fail;
        }
        {
                struct fp_arena ar;
                struct av a;
                fp_arena_init(&ar);
                if ((err = av_init(&a, &ar, 1)) == FP_OK &&
                    (err = dnf_argv(b, &a, false, "check")) == FP_OK &&
                    (err = av_add(&a, "--duplicates")) == FP_OK)
                        err = dnf_run(b, a.v, &out, &status, why, d);
                bool dups =
                    err == FP_OK && status != 0 && strstr(fp_buf_str(&out), "is a duplicate with");
                if (dups) {
                        struct av r;
                        if ((err = av_init(&r, &ar, 1)) == FP_OK &&
                            (err = dnf_argv(b, &r, false, "remove")) == FP_OK &&
                            (err = av_add(&r, "--duplicates")) == FP_OK)
                                err = dnf_run(b, r.v, &out, &status, why, d);
                        if (err == FP_OK && status != 0) {
                                fail_from_output(b, "remove --duplicates", &out, status, why, d);
                                err = FP_EEXEC;
                        }
                }
                fp_arena_release(&ar);
                if (err != FP_OK)
                        goto fail;
        }
out:
        fp_buf_release(&out);
        return FP_OK;
fail:
        if (*why == BE_FAIL_NONE || *why == BE_FAIL_OTHER)
                *why = BE_FAIL_INTERRUPTED;
        fp_buf_release(&out);
        return err != FP_OK ? err : FP_EEXEC;
}

/*
 * Copies of installed versions: `dnf reinstall --downloadonly --downloaddir=CACHE` fetches
 * exactly the installed NEVRA from the repositories (dnf download would need dnf-plugins-core);
 * versions that are not installed go through `install --downloadonly`. strict=False lets the
 * others through when one is not offered any more; which files arrived decides paths[i].
 */
static enum fp_err dnf_keep(struct backend *b, const struct be_pkg *pkgs, size_t n,
                            const char **paths, struct fp_diag *d)
{
        struct inst *in = NULL;
        struct fp_arena ar;
        struct fp_buf out;
        enum fp_err err;
        enum be_fail why = BE_FAIL_NONE;

        for (size_t i = 0; i < n; i++)
                paths[i] = NULL;
        struct be_request req = {.install = pkgs, .install_count = n};
        if ((err = check_request(&req, d)) != FP_OK)
                return err;
        fp_arena_init(&ar);
        fp_buf_init(&out, DNF_MAX_OUTPUT);
        if ((err = inst_get(b, &in, d)) != FP_OK)
                goto out;
        for (int pass = 0; pass < 2; pass++) {
                struct av a;
                size_t k = 0;
                if ((err = av_init(&a, &ar, n + 3)) != FP_OK ||
                    (err = dnf_argv(b, &a, false, pass == 0 ? "reinstall" : "install")) != FP_OK ||
                    (err = av_add(&a, "--downloadonly")) != FP_OK ||
                    (err = av_cat(&a, "--downloaddir=", b->opts.cache_dir, "")) != FP_OK ||
                    (err = av_add(&a, "--setopt=strict=False")) != FP_OK)
                        goto out;
                for (size_t i = 0; i < n; i++) {
                        const struct be_pkg *p = &pkgs[i];
                        const char *arch = p->arch;
                        const struct inst_name *nm =
                            fp_strmap_get(&in->by_name, p->name, strlen(p->name));
                        if (!arch && nm)
                                arch = nm->arch;
                        const char *have = arch ? inst_evr(in, p->name, arch) : NULL;
                        bool installed = have && fp_rpm_vercmp(have, p->version) == 0;
                        if (installed != (pass == 0))
                                continue;
                        if ((err = av_add(&a, spec_of(&ar, p, in))) != FP_OK)
                                goto out;
                        k++;
                }
                if (!k)
                        continue;
                int status = 0;
                if ((err = dnf_run(b, a.v, &out, &status, &why, d)) != FP_OK)
                        goto out;
                /* a failure here only means fewer copies: paths say which */
        }
        for (size_t i = 0; i < n; i++) {
                const struct be_pkg *p = &pkgs[i];
                const char *arch = p->arch;
                const struct inst_name *nm = fp_strmap_get(&in->by_name, p->name, strlen(p->name));
                if (!arch && nm)
                        arch = nm->arch;
                /* the file name has no epoch: name-version-release.arch.rpm */
                const char *v = strchr(p->version, ':');
                v = v ? v + 1 : p->version;
                static const char *const natives[] = {"noarch", "x86_64",  "aarch64",
                                                      "i686",   "ppc64le", "s390x"};
                for (size_t j = 0; j < (arch ? 1 : sizeof(natives) / sizeof(natives[0])); j++) {
                        char path[4200];
                        struct stat st;
                        snprintf(path, sizeof(path), "%s/%s-%s.%s.rpm", b->opts.cache_dir, p->name,
                                 v, arch ? arch : natives[j]);
                        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                                paths[i] = fp_arena_strdup(&b->arena, path);
                                if (!paths[i]) {
                                        err = FP_ENOMEM;
                                        goto out;
                                }
                                break;
                        }
                }
        }
out:
        fp_buf_release(&out);
        fp_arena_release(&ar);
        return err;
}

static void dnf_release(struct backend *b)
{
        struct dnf_priv *p = b->priv;
        if (p && p->inst) {
                inst_release(p->inst);
                free(p->inst);
        }
        free(b->priv);
        b->priv = NULL;
}

static const struct backend_ops dnf_ops = {
    .name = "dnf",
    .refresh = dnf_refresh,
    .simulate = dnf_simulate,
    .apply = dnf_apply,
    .recover = dnf_recover,
    .keep = dnf_keep,
    .release = dnf_release,
};

/* releasever as dnf_repos.c takes it: VERSION_ID of ROOT/etc/os-release, its major part
 * ("9.4" -> "9", what system-release(releasever) says on RHEL 9 and its rebuilds). */
static void read_releasever(const char *root, char *out, size_t outsz)
{
        char path[4200], line[1024];
        out[0] = '\0';
        snprintf(path, sizeof(path), "%s/etc/os-release", root);
        FILE *f = fopen(path, "r");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "VERSION_ID=", 11) != 0)
                        continue;
                char *s = line + 11;
                s += strspn(s, "\"'");
                s[strcspn(s, "\"'.\r\n")] = '\0';
                bool ok = *s != '\0';
                for (char *c = s; *c; c++)
                        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                              (*c >= 'A' && *c <= 'Z') || *c == '_' || *c == '-'))
                                ok = false;
                if (ok)
                        snprintf(out, outsz, "%s", s);
                break;
        }
        fclose(f);
}

enum fp_err backend_dnf_open(struct backend *b, struct fp_diag *d)
{
        char dnf[4096];
        if (!fp_exec_resolve("dnf", dnf, sizeof(dnf))) {
                fp_diag_set(d, NULL, 0, "backend", "dnf is not installed (not found in PATH)");
                return FP_ENOENT;
        }
        if (!b->opts.root || b->opts.root[0] != '/') {
                fp_diag_set(d, b->opts.root, 0, "root", "the root must be an absolute path");
                return FP_EINVAL;
        }
        if (!b->opts.cache_dir || b->opts.cache_dir[0] != '/') {
                fp_diag_set(d, b->opts.cache_dir, 0, "cache_dir",
                            "the package store must be an absolute path");
                return FP_EINVAL;
        }
        struct dnf_priv *p = calloc(1, sizeof(*p));
        if (!p)
                return FP_ENOMEM;
        p->installroot = strcmp(b->opts.root, "/") != 0;
        if (p->installroot)
                read_releasever(b->opts.root, p->releasever, sizeof(p->releasever));
        /* rpm's _dbpath comes from its macro files, ~/.rpmmacros included: dnf and rpm run
         * with the caller's HOME so they use the database the operator's rpm uses */
        const char *home = getenv("HOME");
        if (home && *home && strlen(home) < sizeof(p->home) - 6)
                snprintf(p->home, sizeof(p->home), "HOME=%s", home);
        b->priv = p;
        b->ops = &dnf_ops;
        return FP_OK;
}
