/*
 * The apt backend: exact-version transactions with apt-get and dpkg on "/" or a sandbox root,
 * the plan read from apt's own simulation, and apt's and dpkg's messages mapped to the job's
 * failure reasons (docs/jobs.md).
 *
 * Policies, chosen once for every host:
 * - Noninteractive: DEBIAN_FRONTEND=noninteractive, APT_LISTCHANGES_FRONTEND=none, -y.
 * - Conffiles: --force-confdef --force-confold. A conffile the admin never touched takes the
 *   package's new default; one changed locally is kept, and dpkg leaves the package's version
 *   beside it as FILE.dpkg-dist. Patching must never overwrite local configuration.
 * - --no-install-recommends: a job installs exactly the pairs it names plus what their hard
 *   Depends/Pre-Depends pull in; Recommends would add packages no one approved.
 * - Never --allow-change-held-packages, --allow-unauthenticated or any trust override: a held
 *   package or an untrusted repository fails the job (held, untrusted). --allow-downgrades
 *   only when the request allows downgrades; the simulation always passes it so that the
 *   plan is computed and refused by us with a clear reason rather than by apt's prompt logic.
 * - A sandbox root is reached with APT_CONFIG pointing at a small file of ours that sets
 *   Dir "ROOT/": apt then reads ROOT/etc/apt (apt.conf.d, sources, preferences, trusted keys)
 *   and never the host's /etc/apt/apt.conf.d, whose hooks (Post-Invoke, docker-clean, ...)
 *   must not run for a sandbox. dpkg gets --root=ROOT and --log=ROOT/var/log/dpkg.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/backend/apt.h"
#include "agent/backend/run.h"
#include "fleetpatch/version.h"

/* Whole output of one apt-get/dpkg run kept for parsing and error messages. */
#define APT_MAX_OUTPUT (32 * 1024 * 1024)
/* How often the lock wait looks again. */
#define APT_LOCK_POLL_NS (100 * 1000 * 1000L)

struct apt {
        bool host;              /* root is "/": plain apt-get and dpkg */
        char root[PATH_MAX];    /* absolute, without a trailing '/' (unless host) */
        char aptconf[PATH_MAX]; /* our APT_CONFIG file for a sandbox root */
        char aptconf_env[PATH_MAX + 16];
};

/* ---- argv building ------------------------------------------------------------------------ */

struct args {
        const char **v;
        size_t n, cap;
        bool oom;
        struct fp_arena *arena; /* formatted arguments */
};

static void args_add(struct args *a, const char *s)
{
        if (a->oom)
                return;
        if (a->n + 2 > a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 64;
                const char **v = realloc(a->v, cap * sizeof(*v));
                if (!v) {
                        a->oom = true;
                        return;
                }
                a->v = v;
                a->cap = cap;
        }
        if (!s) {
                a->oom = true;
                return;
        }
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
}

static void args_addf(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void args_addf(struct args *a, const char *fmt, ...)
{
        char tmp[PATH_MAX + 128];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(tmp)) {
                a->oom = true;
                return;
        }
        args_add(a, fp_arena_strdup(a->arena, tmp));
}

static void args_release(struct args *a)
{
        free(a->v);
        a->v = NULL;
        a->n = a->cap = 0;
}

/* apt-get with the options every call shares (sandbox root, locks, conffiles, quiet). */
static void apt_get_base(const struct backend *b, struct args *a)
{
        const struct apt *p = b->priv;
        args_add(a, "apt-get");
        args_add(a, "-q");
        if (!p->host) {
                /* Dir is set by APT_CONFIG too; repeated here so the command line in the job
                 * log says which root it acted on. */
                args_add(a, "-o");
                args_addf(a, "Dir=%s/", p->root);
                args_add(a, "-o");
                args_addf(a, "Dir::State::status=%s/var/lib/dpkg/status", p->root);
                args_add(a, "-o");
                args_addf(a, "DPkg::Options::=--root=%s", p->root);
                args_add(a, "-o");
                args_addf(a, "DPkg::Options::=--log=%s/var/log/dpkg.log", p->root);
        }
        args_add(a, "-o");
        args_add(a, "DPkg::Options::=--force-confdef");
        args_add(a, "-o");
        args_add(a, "DPkg::Options::=--force-confold");
        args_add(a, "-o");
        args_addf(a, "DPkg::Lock::Timeout=%ld", b->opts.lock_wait > 0 ? b->opts.lock_wait : 0);
}

static void dpkg_base(const struct backend *b, struct args *a)
{
        const struct apt *p = b->priv;
        args_add(a, "dpkg");
        if (!p->host) {
                args_addf(a, "--root=%s", p->root);
                args_addf(a, "--log=%s/var/log/dpkg.log", p->root);
        }
}

/* ---- running ------------------------------------------------------------------------------ */

struct apt_run {
        struct fp_buf out;
        struct run_result res;
};

static enum fp_err apt_run(struct backend *b, struct args *a, const char *cwd, bool log,
                           struct apt_run *r, enum be_fail *why, struct fp_diag *d)
{
        const struct apt *p = b->priv;
        const char *env[] = {"DEBIAN_FRONTEND=noninteractive", "APT_LISTCHANGES_FRONTEND=none",
                             "DEBCONF_NONINTERACTIVE_SEEN=true", p->host ? NULL : p->aptconf_env,
                             NULL};
        fp_buf_init(&r->out, APT_MAX_OUTPUT);
        memset(&r->res, 0, sizeof(r->res));
        if (a->oom) {
                *why = BE_FAIL_OTHER;
                fp_diag_set(d, NULL, 0, "apt", "out of memory building the %s command line",
                            a->n ? a->v[0] : "apt");
                return FP_ENOMEM;
        }
        struct run_opts o = {
            .argv = a->v,
            .env = env,
            .cwd = cwd,
            .timeout = b->opts.timeout,
            .log = log ? b->opts.log : NULL,
            .log_ctx = b->opts.log_ctx,
            .out = &r->out,
        };
        enum fp_err err = run_program(&o, &r->res, d);
        if (err != FP_OK) {
                *why = BE_FAIL_OTHER;
                return err;
        }
        if (r->res.timed_out) {
                *why = BE_FAIL_OTHER;
                fp_diag_set(d, NULL, 0, a->v[0], "killed after the timeout of %ld s",
                            b->opts.timeout);
                return FP_EEXEC;
        }
        return FP_OK;
}

/* ---- apt's and dpkg's messages -> reasons ------------------------------------------------- */

struct pattern {
        enum be_fail why;
        const char *text;
};

/* Most specific first: a failed postinst also makes apt say "Sub-process ... returned an
 * error code", a tampered index also "Failed to fetch". The texts are apt's and dpkg's own
 * English (LC_ALL=C), checked against apt 2.6 and dpkg 1.21. */
static const struct pattern patterns[] = {
    {BE_FAIL_LOCKED, "Could not get lock"},
    {BE_FAIL_LOCKED, "Unable to acquire the dpkg frontend lock"},
    {BE_FAIL_LOCKED, "Unable to lock the administration directory"},
    {BE_FAIL_LOCKED, "Unable to lock directory"},
    {BE_FAIL_LOCKED, "dpkg frontend lock was locked by another process"},
    {BE_FAIL_UNTRUSTED, "NO_PUBKEY"},
    {BE_FAIL_UNTRUSTED, "is not signed"},
    {BE_FAIL_UNTRUSTED, "Hash Sum mismatch"},
    {BE_FAIL_UNTRUSTED, "GPG error"},
    {BE_FAIL_UNTRUSTED, "The following signatures were invalid"},
    {BE_FAIL_UNTRUSTED, "The following signatures couldn't be verified"},
    {BE_FAIL_UNTRUSTED, "BADSIG"},
    {BE_FAIL_UNTRUSTED, "Clearsigned file isn't valid"},
    {BE_FAIL_UNTRUSTED, "File has unexpected size"},
    {BE_FAIL_UNTRUSTED, "cannot be authenticated"},
    {BE_FAIL_UNTRUSTED, "There were unauthenticated packages"},
    {BE_FAIL_UNTRUSTED, "is no longer signed"},
    {BE_FAIL_DISK_FULL, "No space left on device"},
    {BE_FAIL_DISK_FULL, "You don't have enough free space"},
    {BE_FAIL_INTERRUPTED, "dpkg was interrupted"},
    {BE_FAIL_HELD, "Held packages were changed"},
    {BE_FAIL_SCRIPT, "script subprocess returned error exit status"},
    {BE_FAIL_SCRIPT, "script subprocess was killed by signal"},
    {BE_FAIL_NOT_FOUND, "was not found"},
    {BE_FAIL_NOT_FOUND, "Unable to locate package"},
    {BE_FAIL_NOT_FOUND, "has no installation candidate"},
    {BE_FAIL_NOT_FOUND, "Couldn't find any package by"},
    {BE_FAIL_NOT_FOUND, "is not available, but is referred to"},
    {BE_FAIL_CONFLICT, "unmet dependencies"},
    {BE_FAIL_CONFLICT, "Unable to correct problems"},
    {BE_FAIL_CONFLICT, "Broken packages"},
    {BE_FAIL_CONFLICT, "dependency problems"},
    {BE_FAIL_CONFLICT, "trying to overwrite"},
};

/* The line of text holding the first match of pat: [*ls, *le). */
static bool find_line(const char *text, const char *pat, const char **ls, const char **le)
{
        const char *m = strstr(text, pat);
        if (!m)
                return false;
        const char *s = m;
        while (s > text && s[-1] != '\n')
                s--;
        const char *e = strchr(m, '\n');
        *ls = s;
        *le = e ? e : m + strlen(m);
        return true;
}

/* The first "E: " line, else the last non-empty line: what apt itself calls the error. */
static void error_line(const char *text, const char **ls, const char **le)
{
        const char *e;
        if (strncmp(text, "E: ", 3) == 0) {
                *ls = text;
        } else if ((e = strstr(text, "\nE: "))) {
                *ls = e + 1;
        } else {
                const char *end = text + strlen(text);
                while (end > text && (end[-1] == '\n' || end[-1] == ' '))
                        end--;
                const char *s = end;
                while (s > text && s[-1] != '\n')
                        s--;
                *ls = s;
                *le = end;
                return;
        }
        e = strchr(*ls, '\n');
        *le = e ? e : *ls + strlen(*ls);
}

/* The indented package list apt prints after header (e.g. the held packages). */
static void list_after(const char *text, const char *header, char *out, size_t cap)
{
        const char *h = strstr(text, header);
        out[0] = '\0';
        if (!h || !(h = strchr(h, '\n')))
                return;
        size_t n = 0;
        for (h++; *h == ' '; h = strchr(h, '\n') ? strchr(h, '\n') + 1 : h + strlen(h)) {
                const char *e = strchr(h, '\n');
                size_t len = e ? (size_t)(e - h) : strlen(h);
                while (len && *h == ' ') {
                        h++;
                        len--;
                }
                if (n + len + 2 >= cap)
                        break;
                if (n)
                        out[n++] = ' ';
                memcpy(out + n, h, len);
                n += len;
                out[n] = '\0';
                if (!e)
                        break;
        }
}

/* Why a run that failed (or printed errors) failed, with apt's words in d. */
static enum be_fail classify(const char *text, const char *what, struct fp_diag *d)
{
        const char *ls, *le;
        for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
                if (!find_line(text, patterns[i].text, &ls, &le))
                        continue;
                if (patterns[i].why == BE_FAIL_HELD) {
                        char held[160];
                        list_after(text, "The following held packages will be changed:", held,
                                   sizeof(held));
                        fp_diag_set(d, what, 0, NULL,
                                    "held packages would change (%s); a hold is never "
                                    "overridden: %.*s",
                                    held[0] ? held : "?", (int)(le - ls), ls);
                } else {
                        fp_diag_set(d, what, 0, NULL, "%.*s", (int)(le - ls), ls);
                }
                return patterns[i].why;
        }
        error_line(text, &ls, &le);
        fp_diag_set(d, what, 0, NULL, "%.*s", (int)(le - ls), ls);
        return BE_FAIL_OTHER;
}

/* ---- the lock ----------------------------------------------------------------------------- */

/* true when someone holds a lock on path (apt and dpkg use fcntl locks); *pid its process
 * when the kernel knows it (0 for an OFD lock, whose owner is an open file, not a process). */
static bool lock_taken(const char *path, long *pid)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return false; /* no lock file: nobody ever locked it */
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        bool taken = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
        *pid = taken && fl.l_pid > 0 ? fl.l_pid : 0;
        close(fd);
        return taken;
}

static double mono_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait up to lock_wait seconds until none of the root's lock files (rel, NULL-terminated)
 * is taken. apt takes them itself afterwards (with DPkg::Lock::Timeout for the race). */
static enum fp_err wait_locks(struct backend *b, const char *const *rel, enum be_fail *why,
                              struct fp_diag *d)
{
        const struct apt *p = b->priv;
        double deadline = mono_now() + (double)(b->opts.lock_wait > 0 ? b->opts.lock_wait : 0);
        char path[PATH_MAX + 64];
        for (;;) {
                bool busy = false;
                long pid = 0;
                for (size_t i = 0; rel[i] && !busy; i++) {
                        snprintf(path, sizeof(path), "%s/%s", p->host ? "" : p->root, rel[i]);
                        busy = lock_taken(path, &pid);
                }
                if (!busy)
                        return FP_OK;
                if (mono_now() >= deadline) {
                        *why = BE_FAIL_LOCKED;
                        if (pid > 0)
                                fp_diag_set(d, path, 0, "lock",
                                            "held by process %ld for more than %ld s", pid,
                                            b->opts.lock_wait);
                        else
                                fp_diag_set(d, path, 0, "lock",
                                            "held by another process for more than %ld s",
                                            b->opts.lock_wait);
                        return FP_EIO;
                }
                struct timespec ts = {0, APT_LOCK_POLL_NS};
                nanosleep(&ts, NULL);
        }
}

static const char *const dpkg_locks[] = {"var/lib/dpkg/lock-frontend", "var/lib/dpkg/lock", NULL};
static const char *const lists_locks[] = {"var/lib/apt/lists/lock", NULL};

/* ---- the simulation parser ---------------------------------------------------------------- */

struct sim_entry {
        struct be_change c;
        size_t order; /* line order, so a later line of the same package wins */
};

struct sim {
        struct sim_entry *v;
        size_t n, cap;
        struct fp_arena *arena;
};

/* A token of the line: [s, s+len) has no control characters or NUL. */
static bool clean(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f)
                        return false;
        return len > 0;
}

static enum fp_err sim_add(struct sim *s, enum be_action act, const char *name, size_t nlen,
                           const char *arch, size_t alen, const char *from, size_t flen,
                           const char *to, size_t tlen, unsigned long line, struct fp_diag *d)
{
        if (s->n >= APT_SIM_MAX_PACKAGES) {
                fp_diag_set(d, NULL, line, "simulation", "more than %d packages in the plan",
                            APT_SIM_MAX_PACKAGES);
                return FP_ELIMIT;
        }
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 32;
                struct sim_entry *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return FP_ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        struct sim_entry *e = &s->v[s->n];
        e->order = s->n;
        e->c.action = act;
        e->c.name = fp_arena_strndup(s->arena, name, nlen);
        e->c.arch = arch ? fp_arena_strndup(s->arena, arch, alen) : NULL;
        e->c.from = from ? fp_arena_strndup(s->arena, from, flen) : NULL;
        e->c.to = to ? fp_arena_strndup(s->arena, to, tlen) : NULL;
        if (!e->c.name || (arch && !e->c.arch) || (from && !e->c.from) || (to && !e->c.to))
                return FP_ENOMEM;
        if (act != BE_REMOVE && from) {
                int c = fp_deb_vercmp(e->c.to, e->c.from);
                e->c.action = c > 0 ? BE_UPGRADE : c < 0 ? BE_DOWNGRADE : BE_REINSTALL;
        }
        s->n++;
        return FP_OK;
}

static int cmp_opt(const char *a, const char *b)
{
        if (!a || !b)
                return a ? 1 : b ? -1 : 0;
        return strcmp(a, b);
}

static int cmp_entry(const void *x, const void *y)
{
        const struct sim_entry *a = x, *b = y;
        int c = strcmp(a->c.name, b->c.name);
        if (c == 0)
                c = cmp_opt(a->c.arch, b->c.arch);
        if (c == 0)
                c = a->order < b->order ? -1 : a->order > b->order ? 1 : 0;
        return c;
}

/* "name" or "name:arch" from [s, e). */
static void split_name(const char *s, size_t len, size_t *nlen, const char **arch, size_t *alen)
{
        const char *colon = memchr(s, ':', len);
        *arch = NULL;
        *alen = 0;
        *nlen = len;
        if (colon) {
                *nlen = (size_t)(colon - s);
                *arch = colon + 1;
                *alen = len - *nlen - 1;
        }
}

/*
 * One Inst/Conf/Remv/Purg line, after the keyword and its space: apt's pkgSimulate::Describe:
 *   NAME[:ARCH] [" [" CURRENT "]"] [" (" CANDIDATE " " RELEASES " [" ARCH "])"] [" [" ... "]"]
 */
static enum fp_err sim_line(struct sim *s, const char *kw, const char *p, const char *end,
                            unsigned long line, struct fp_diag *d)
{
        bool inst = strcmp(kw, "Inst") == 0, conf = strcmp(kw, "Conf") == 0;
        const char *q = p;
        while (q < end && *q != ' ')
                q++;
        size_t nlen, alen;
        const char *arch;
        split_name(p, (size_t)(q - p), &nlen, &arch, &alen);
        if (!clean(p, nlen) || (arch && !clean(arch, alen))) {
                fp_diag_set(d, NULL, line, "simulation", "%s line without a package name", kw);
                return FP_EPARSE;
        }
        const char *name = p, *from = NULL, *to = NULL;
        size_t flen = 0, tlen = 0;
        if (q + 1 < end && q[0] == ' ' && q[1] == '[') {
                from = q + 2;
                const char *c = memchr(from, ']', (size_t)(end - from));
                if (!c || !clean(from, (size_t)(c - from))) {
                        fp_diag_set(d, NULL, line, "simulation",
                                    "%s %.*s: installed version not closed by ']'", kw, (int)nlen,
                                    name);
                        return FP_EPARSE;
                }
                flen = (size_t)(c - from);
                q = c + 1;
        }
        if (q + 1 < end && q[0] == ' ' && q[1] == '(') {
                to = q + 2;
                const char *sp = memchr(to, ' ', (size_t)(end - to));
                const char *close = NULL;
                /* the releases may hold spaces (origins do), so the candidate's arch is the
                 * last "[...]" before the first "])" */
                for (const char *c = to; c + 1 < end; c++)
                        if (c[0] == ']' && c[1] == ')') {
                                close = c;
                                break;
                        }
                const char *open = NULL;
                if (close)
                        for (const char *c = close; c > to; c--)
                                if (*c == '[') {
                                        open = c;
                                        break;
                                }
                if (!sp || !close || !open || sp > open || !clean(to, (size_t)(sp - to)) ||
                    !clean(open + 1, (size_t)(close - open - 1))) {
                        fp_diag_set(d, NULL, line, "simulation",
                                    "%s %.*s: candidate not in the form (VERSION RELEASE [ARCH])",
                                    kw, (int)nlen, name);
                        return FP_EPARSE;
                }
                tlen = (size_t)(sp - to);
                arch = open + 1;
                alen = (size_t)(close - open - 1);
                q = close + 2;
        }
        /* what may follow: apt's " [...]" list of packages broken at this step */
        if (q < end && (q + 1 >= end || q[0] != ' ' || q[1] != '[' || end[-1] != ']')) {
                fp_diag_set(d, NULL, line, "simulation",
                            "%s %.*s: unexpected text after the package", kw, (int)nlen, name);
                return FP_EPARSE;
        }
        if ((inst || conf) && !to) {
                fp_diag_set(d, NULL, line, "simulation", "%s %.*s: no candidate version", kw,
                            (int)nlen, name);
                return FP_EPARSE;
        }
        if (conf)
                return FP_OK;
        if (!inst && !from) {
                fp_diag_set(d, NULL, line, "simulation", "%s %.*s: no installed version", kw,
                            (int)nlen, name);
                return FP_EPARSE;
        }
        if (!inst && to) {
                fp_diag_set(d, NULL, line, "simulation", "%s %.*s: a removal with a candidate", kw,
                            (int)nlen, name);
                return FP_EPARSE;
        }
        return sim_add(s, inst ? BE_INSTALL : BE_REMOVE, name, nlen, arch, alen, from, flen, to,
                       tlen, line, d);
}

enum fp_err apt_parse_simulation(const char *text, size_t len, struct be_plan *out,
                                 struct fp_diag *d)
{
        struct sim s = {0};
        enum fp_err err = FP_OK;
        unsigned long line = 0;
        const char *p = text, *end = text + len;

        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        s.arena = &out->arena;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                if (++line > APT_SIM_MAX_LINES) {
                        fp_diag_set(d, NULL, line, "simulation", "more than %d lines",
                                    APT_SIM_MAX_LINES);
                        err = FP_ELIMIT;
                        goto out;
                }
                if ((size_t)(le - p) > APT_SIM_MAX_LINE) {
                        fp_diag_set(d, NULL, line, "simulation", "line longer than %d bytes",
                                    APT_SIM_MAX_LINE);
                        err = FP_ELIMIT;
                        goto out;
                }
                static const char *const kws[] = {"Inst", "Conf", "Remv", "Purg"};
                for (size_t k = 0; k < 4; k++) {
                        if (le - p > 5 && memcmp(p, kws[k], 4) == 0 && p[4] == ' ') {
                                err = sim_line(&s, kws[k], p + 5, le, line, d);
                                if (err != FP_OK)
                                        goto out;
                                break;
                        }
                }
                p = nl ? nl + 1 : end;
        }
        if (s.n) {
                qsort(s.v, s.n, sizeof(*s.v), cmp_entry);
                out->changes = fp_arena_alloc(&out->arena, s.n * sizeof(*out->changes));
                if (!out->changes) {
                        err = FP_ENOMEM;
                        goto out;
                }
                /* keep the last line of a package named twice (sorted by order within it) */
                for (size_t i = 0; i < s.n; i++) {
                        if (i + 1 < s.n && strcmp(s.v[i].c.name, s.v[i + 1].c.name) == 0 &&
                            cmp_opt(s.v[i].c.arch, s.v[i + 1].c.arch) == 0)
                                continue;
                        out->changes[out->count++] = s.v[i].c;
                }
        }
out:
        free(s.v);
        if (err == FP_ENOMEM)
                fp_diag_set(d, NULL, line, "simulation", "out of memory");
        if (err != FP_OK)
                be_plan_release(out);
        return err;
}

/* ---- requests ----------------------------------------------------------------------------- */

/* A token apt-get takes as a package argument and never as an option or a pattern. */
static bool valid_token(const char *s, const char *extra)
{
        if (!s || !*s || *s == '-')
                return false;
        for (const char *c = s; *c; c++) {
                bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                          (*c >= '0' && *c <= '9') || strchr(extra, *c);
                if (!ok)
                        return false;
        }
        return true;
}

static enum fp_err check_request(const struct be_request *req, struct fp_diag *d)
{
        for (size_t i = 0; i < req->install_count; i++) {
                const struct be_pkg *k = &req->install[i];
                if (!valid_token(k->name, "+.-") || !valid_token(k->version, "+.~:-") ||
                    (k->arch && !valid_token(k->arch, "-_"))) {
                        fp_diag_set(d, NULL, 0, "install",
                                    "package %zu is not a Debian name=version[:arch] pair", i);
                        return FP_EINVAL;
                }
        }
        for (size_t i = 0; i < req->remove_count; i++) {
                const struct be_pkg *k = &req->remove[i];
                if (!valid_token(k->name, "+.-") || (k->arch && !valid_token(k->arch, "-_"))) {
                        fp_diag_set(d, NULL, 0, "remove", "package %zu is not a Debian name", i);
                        return FP_EINVAL;
                }
        }
        for (size_t i = 0; i < req->file_count; i++) {
                const char *f = req->files[i];
                size_t n = f ? strlen(f) : 0;
                if (n < 5 || f[0] != '/' || strcmp(f + n - 4, ".deb") != 0 || strchr(f, '\n')) {
                        fp_diag_set(d, NULL, 0, "files",
                                    "file %zu is not an absolute path to a .deb", i);
                        return FP_EINVAL;
                }
        }
        if (req->install_count + req->remove_count + req->file_count > APT_SIM_MAX_PACKAGES) {
                fp_diag_set(d, NULL, 0, "install", "more than %d packages in one request",
                            APT_SIM_MAX_PACKAGES);
                return FP_ELIMIT;
        }
        return FP_OK;
}

static void add_request(struct args *a, const struct be_request *req)
{
        args_add(a, "--no-install-recommends");
        args_add(a, "install");
        for (size_t i = 0; i < req->install_count; i++) {
                const struct be_pkg *k = &req->install[i];
                if (k->arch)
                        args_addf(a, "%s:%s=%s", k->name, k->arch, k->version);
                else
                        args_addf(a, "%s=%s", k->name, k->version);
        }
        for (size_t i = 0; i < req->remove_count; i++) {
                const struct be_pkg *k = &req->remove[i];
                if (k->arch)
                        args_addf(a, "%s:%s-", k->name, k->arch);
                else
                        args_addf(a, "%s-", k->name);
        }
        for (size_t i = 0; i < req->file_count; i++)
                args_add(a, req->files[i]);
}

/* The arch of every installed package, for removals apt names without one. */
static enum fp_err fill_remove_arch(struct backend *b, struct be_plan *plan, struct fp_diag *d)
{
        const struct apt *p = b->priv;
        bool need = false;
        for (size_t i = 0; i < plan->count; i++)
                need |= plan->changes[i].arch == NULL;
        if (!need)
                return FP_OK;
        struct fp_arena ar;
        fp_arena_init(&ar);
        struct args a = {.arena = &ar};
        args_add(&a, "dpkg-query");
        if (!p->host)
                args_addf(&a, "--admindir=%s/var/lib/dpkg", p->root);
        args_add(&a, "-W");
        args_add(&a, "-f=${Package} ${Architecture} ${Version}\\n");
        for (size_t i = 0; i < plan->count; i++)
                if (!plan->changes[i].arch)
                        args_add(&a, plan->changes[i].name);
        struct apt_run r;
        enum be_fail why;
        enum fp_err err = apt_run(b, &a, NULL, false, &r, &why, d);
        const char *text = fp_buf_str(&r.out);
        for (size_t i = 0; err == FP_OK && i < plan->count; i++) {
                struct be_change *c = &plan->changes[i];
                size_t n = strlen(c->name);
                for (const char *l = text; c->arch == NULL && l && *l;) {
                        const char *e = strchr(l, '\n');
                        if (strncmp(l, c->name, n) == 0 && l[n] == ' ') {
                                const char *sp = strchr(l + n + 1, ' ');
                                if (sp && (!e || sp < e) &&
                                    strncmp(sp + 1, c->from, strlen(c->from)) == 0)
                                        c->arch = fp_arena_strndup(&plan->arena, l + n + 1,
                                                                   (size_t)(sp - l - n - 1));
                        }
                        l = e ? e + 1 : NULL;
                }
        }
        fp_buf_release(&r.out);
        args_release(&a);
        fp_arena_release(&ar);
        return err;
}

/* The request's permissions against the plan. */
static enum fp_err check_plan(const struct be_request *req, const struct be_plan *plan,
                              enum be_fail *why, struct fp_diag *d)
{
        for (size_t i = 0; i < plan->count; i++) {
                const struct be_change *c = &plan->changes[i];
                if (c->action == BE_REMOVE && !req->allow_remove) {
                        bool named = false;
                        for (size_t j = 0; j < req->remove_count && !named; j++)
                                named = strcmp(req->remove[j].name, c->name) == 0 &&
                                        (!req->remove[j].arch || !c->arch ||
                                         strcmp(req->remove[j].arch, c->arch) == 0);
                        if (!named) {
                                *why = BE_FAIL_REMOVALS;
                                fp_diag_set(d, NULL, 0, "plan",
                                            "the plan removes %s %s, which the request does "
                                            "not name, and removals are not allowed",
                                            c->name, c->from ? c->from : "");
                                return FP_EINVAL;
                        }
                }
                if (c->action == BE_DOWNGRADE && !req->allow_downgrade) {
                        *why = BE_FAIL_DOWNGRADES;
                        fp_diag_set(d, NULL, 0, "plan",
                                    "the plan downgrades %s from %s to %s and downgrades are "
                                    "not allowed",
                                    c->name, c->from, c->to);
                        return FP_EINVAL;
                }
        }
        return FP_OK;
}

static bool empty_request(const struct be_request *req)
{
        return req->install_count + req->remove_count + req->file_count == 0;
}

/* apt-get -s: the plan, or why there is none. */
static enum fp_err simulate_raw(struct backend *b, const struct be_request *req,
                                struct be_plan *plan, enum be_fail *why, struct fp_diag *d)
{
        struct fp_arena ar;
        struct apt_run r = {0};
        enum fp_err err;

        memset(plan, 0, sizeof(*plan));
        fp_arena_init(&plan->arena);
        if (empty_request(req))
                return FP_OK;
        fp_arena_init(&ar);
        struct args a = {.arena = &ar};
        apt_get_base(b, &a);
        args_add(&a, "-s");
        args_add(&a, "-y");
        args_add(&a, "--allow-downgrades");
        add_request(&a, req);
        err = apt_run(b, &a, NULL, true, &r, why, d);
        if (err == FP_OK && r.res.status != 0) {
                *why = classify(fp_buf_str(&r.out), "apt-get -s install", d);
                err = FP_EEXEC;
        }
        if (err == FP_OK) {
                be_plan_release(plan);
                err = apt_parse_simulation(r.out.ptr ? r.out.ptr : "", r.out.len, plan, d);
                if (err != FP_OK)
                        *why = BE_FAIL_OTHER;
        }
        if (err == FP_OK)
                err = fill_remove_arch(b, plan, d);
        fp_buf_release(&r.out);
        args_release(&a);
        fp_arena_release(&ar);
        return err;
}

static enum fp_err apt_simulate(struct backend *b, const struct be_request *req,
                                struct be_plan *plan, enum be_fail *why, struct fp_diag *d)
{
        *why = BE_FAIL_NONE;
        enum fp_err err = check_request(req, d);
        if (err != FP_OK) {
                memset(plan, 0, sizeof(*plan));
                *why = BE_FAIL_OTHER;
                return err;
        }
        err = simulate_raw(b, req, plan, why, d);
        if (err == FP_OK)
                err = check_plan(req, plan, why, d);
        return err;
}

/* ---- recover ------------------------------------------------------------------------------ */

/*
 * dpkg --configure -a finishes what was unpacked and not configured. apt-get -f install runs
 * only when dpkg says dependencies are what stops it (the "dependency problems" case): it is
 * the one tool that fixes those, and in every other case it would act on a solver's guess
 * (possibly removing packages) where a failing maintainer script is the real problem.
 * FP_OK when dpkg --audit is clean afterwards.
 */
static enum fp_err apt_recover(struct backend *b, enum be_fail *why, struct fp_diag *d)
{
        struct fp_arena ar;
        struct apt_run r = {0}, audit = {0};
        enum fp_err err;
        bool script = false;

        *why = BE_FAIL_NONE;
        err = wait_locks(b, dpkg_locks, why, d);
        if (err != FP_OK)
                return err;
        fp_arena_init(&ar);
        struct args a = {.arena = &ar};
        dpkg_base(b, &a);
        args_add(&a, "--force-confdef");
        args_add(&a, "--force-confold");
        args_add(&a, "--configure");
        args_add(&a, "-a");
        err = apt_run(b, &a, NULL, true, &r, why, d);
        if (err != FP_OK)
                goto out;
        const char *text = fp_buf_str(&r.out);
        if (r.res.status != 0) {
                struct fp_diag tmp;
                enum be_fail w = classify(text, "dpkg --configure -a", &tmp);
                if (w == BE_FAIL_LOCKED) {
                        *why = w;
                        *d = tmp;
                        err = FP_EIO;
                        goto out;
                }
                script = w == BE_FAIL_SCRIPT;
                if (strstr(text, "dependency problems")) {
                        struct apt_run f = {0};
                        struct args fa = {.arena = &ar};
                        apt_get_base(b, &fa);
                        args_add(&fa, "-y");
                        args_add(&fa, "-f");
                        args_add(&fa, "install");
                        err = apt_run(b, &fa, NULL, true, &f, why, d);
                        if (err == FP_OK && f.res.status != 0 &&
                            classify(fp_buf_str(&f.out), "apt-get -f install", &tmp) ==
                                BE_FAIL_SCRIPT)
                                script = true;
                        fp_buf_release(&f.out);
                        args_release(&fa);
                        if (err != FP_OK)
                                goto out;
                }
        }
        struct args aa = {.arena = &ar};
        dpkg_base(b, &aa);
        args_add(&aa, "--audit");
        err = apt_run(b, &aa, NULL, true, &audit, why, d);
        args_release(&aa);
        if (err != FP_OK)
                goto out;
        if (audit.res.status != 0 || audit.out.len > 0) {
                const char *t = fp_buf_str(&audit.out);
                size_t n = strcspn(t, "\n");
                const char *next = t[n] ? t + n + 1 : t + n;
                *why = script ? BE_FAIL_SCRIPT : BE_FAIL_INTERRUPTED;
                fp_diag_set(d, NULL, 0, "dpkg --audit",
                            "not consistent after dpkg --configure -a%s: %.*s %.120s",
                            script ? " (a maintainer script failed)" : "", (int)n, t, next);
                err = FP_EIO;
        }
out:
        fp_buf_release(&r.out);
        fp_buf_release(&audit.out);
        args_release(&a);
        fp_arena_release(&ar);
        return err;
}

/* ---- apply -------------------------------------------------------------------------------- */

static enum fp_err apt_apply(struct backend *b, const struct be_request *req,
                             struct be_plan *plan_out, enum be_fail *why, struct fp_diag *d)
{
        struct be_plan plan = {0};
        struct fp_arena ar;
        struct apt_run r = {0};
        enum fp_err err;

        *why = BE_FAIL_NONE;
        fp_arena_init(&ar);
        struct args a = {.arena = &ar};
        err = check_request(req, d);
        if (err != FP_OK) {
                *why = BE_FAIL_OTHER;
                goto out;
        }
        err = wait_locks(b, dpkg_locks, why, d);
        if (err != FP_OK)
                goto out;
        err = simulate_raw(b, req, &plan, why, d);
        if (err != FP_OK && *why == BE_FAIL_INTERRUPTED) {
                /* apt refuses everything until dpkg finished the interrupted run */
                be_plan_release(&plan);
                err = apt_recover(b, why, d);
                if (err == FP_OK)
                        err = simulate_raw(b, req, &plan, why, d);
        }
        if (err == FP_OK)
                err = check_plan(req, &plan, why, d);
        if (err != FP_OK || plan.count == 0)
                goto out; /* refused, or nothing to change: apt is not run */
        apt_get_base(b, &a);
        args_add(&a, "-y");
        if (req->allow_downgrade)
                args_add(&a, "--allow-downgrades");
        add_request(&a, req);
        err = apt_run(b, &a, NULL, true, &r, why, d);
        if (err == FP_OK && r.res.status != 0) {
                *why = classify(fp_buf_str(&r.out), "apt-get install", d);
                err = FP_EEXEC;
        }
out:
        if (plan_out)
                *plan_out = plan;
        else
                be_plan_release(&plan);
        fp_buf_release(&r.out);
        args_release(&a);
        fp_arena_release(&ar);
        return err;
}

/* ---- refresh ------------------------------------------------------------------------------ */

/* apt-get update. Old apt exits 0 on some signature problems and reports them as "W: GPG
 * error", so the output decides too: any trust problem, or an "E:" line, is a failure. */
static enum fp_err apt_refresh(struct backend *b, enum be_fail *why, struct fp_diag *d)
{
        struct fp_arena ar;
        struct apt_run r = {0};

        *why = BE_FAIL_NONE;
        enum fp_err err = wait_locks(b, lists_locks, why, d);
        if (err != FP_OK)
                return err;
        fp_arena_init(&ar);
        struct args a = {.arena = &ar};
        apt_get_base(b, &a);
        args_add(&a, "update");
        err = apt_run(b, &a, NULL, true, &r, why, d);
        if (err == FP_OK) {
                const char *text = fp_buf_str(&r.out);
                struct fp_diag tmp;
                enum be_fail w = classify(text, "apt-get update", &tmp);
                bool errline = strncmp(text, "E: ", 3) == 0 || strstr(text, "\nE: ");
                if (w == BE_FAIL_UNTRUSTED || r.res.status != 0 || errline) {
                        *why = w;
                        *d = tmp;
                        err = FP_EEXEC;
                }
        }
        fp_buf_release(&r.out);
        args_release(&a);
        fp_arena_release(&ar);
        return err;
}

/* ---- keep --------------------------------------------------------------------------------- */

/* apt's file name for a version: NAME_VERSION_ARCH.deb with ':' as "%3a". */
static bool deb_file_name(char *out, size_t cap, const struct be_pkg *k, const char *arch)
{
        size_t n = 0;
        int w = snprintf(out, cap, "%s_", k->name);
        if (w < 0 || (size_t)w >= cap)
                return false;
        n = (size_t)w;
        for (const char *c = k->version; *c; c++) {
                const char *s = *c == ':' ? "%3a" : NULL;
                size_t l = s ? 3 : 1;
                if (n + l + 1 >= cap)
                        return false;
                if (s)
                        memcpy(out + n, s, 3);
                else
                        out[n] = *c;
                n += l;
        }
        w = snprintf(out + n, cap - n, "_%s.deb", arch);
        return w >= 0 && (size_t)w < cap - n;
}

static bool copy_file(const char *from, const char *to)
{
        char tmp[PATH_MAX + 16], buf[65536];
        bool ok = false;
        int in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return false;
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", to) >= sizeof(tmp)) {
                close(in);
                return false;
        }
        int out = mkostemp(tmp, O_CLOEXEC);
        if (out < 0) {
                close(in);
                return false;
        }
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n == 0) {
                        ok = true;
                        break;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 || write(out, buf, (size_t)n) != n)
                        break;
        }
        ok = ok && fsync(out) == 0;
        ok = close(out) == 0 && ok;
        close(in);
        ok = ok && rename(tmp, to) == 0;
        if (!ok)
                unlink(tmp);
        return ok;
}

static bool is_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* The installed arch of name, else the native one (dpkg --print-architecture). */
static const char *pkg_arch(struct backend *b, const struct be_pkg *k, struct fp_arena *ar)
{
        const struct apt *p = b->priv;
        struct args a = {.arena = ar};
        struct apt_run r = {0};
        enum be_fail why;
        struct fp_diag tmp;
        const char *arch = NULL;

        args_add(&a, "dpkg-query");
        if (!p->host)
                args_addf(&a, "--admindir=%s/var/lib/dpkg", p->root);
        args_add(&a, "-W");
        args_add(&a, "-f=${Architecture}\\n");
        args_add(&a, k->name);
        if (apt_run(b, &a, NULL, false, &r, &why, &tmp) != FP_OK || r.res.status != 0 ||
            r.out.len == 0) {
                fp_buf_release(&r.out);
                args_release(&a);
                a = (struct args){.arena = ar};
                args_add(&a, "dpkg");
                args_add(&a, "--print-architecture");
                if (apt_run(b, &a, NULL, false, &r, &why, &tmp) != FP_OK || r.res.status != 0)
                        goto out;
        }
        const char *t = fp_buf_str(&r.out);
        size_t n = strcspn(t, "\n");
        if (n > 0 && n < 32)
                arch = fp_arena_strndup(ar, t, n);
out:
        fp_buf_release(&r.out);
        args_release(&a);
        return arch;
}

/* One package: the cache_dir copy if we have it, else apt's archive cache, else the
 * repository (apt-get download into cache_dir). NULL when none has it. */
static const char *keep_one(struct backend *b, const struct be_pkg *k, struct fp_arena *ar)
{
        const struct apt *p = b->priv;
        char file[NAME_MAX + 1], dest[PATH_MAX], src[PATH_MAX + NAME_MAX + 32];
        if (!valid_token(k->name, "+.-") || !valid_token(k->version, "+.~:-") ||
            (k->arch && !valid_token(k->arch, "-_")))
                return NULL;
        const char *arch = k->arch ? k->arch : pkg_arch(b, k, ar);
        if (!arch || !deb_file_name(file, sizeof(file), k, arch))
                return NULL;
        if ((size_t)snprintf(dest, sizeof(dest), "%s/%s", b->opts.cache_dir, file) >= sizeof(dest))
                return NULL;
        if (is_file(dest))
                return fp_arena_strdup(&b->arena, dest);
        int n = snprintf(src, sizeof(src), "%s/var/cache/apt/archives/%s", p->host ? "" : p->root,
                         file);
        if (n > 0 && (size_t)n < sizeof(src) && is_file(src) && copy_file(src, dest))
                return fp_arena_strdup(&b->arena, dest);
        struct args a = {.arena = ar};
        struct apt_run r = {0};
        enum be_fail why;
        struct fp_diag tmp;
        apt_get_base(b, &a);
        args_add(&a, "download");
        args_addf(&a, "%s:%s=%s", k->name, arch, k->version);
        /* apt-get download writes into its working directory, under apt's own file name */
        bool ok = apt_run(b, &a, b->opts.cache_dir, true, &r, &why, &tmp) == FP_OK &&
                  r.res.status == 0 && is_file(dest);
        fp_buf_release(&r.out);
        args_release(&a);
        return ok ? fp_arena_strdup(&b->arena, dest) : NULL;
}

static enum fp_err apt_keep(struct backend *b, const struct be_pkg *pkgs, size_t n,
                            const char **paths, struct fp_diag *d)
{
        struct fp_arena ar;
        if (!b->opts.cache_dir || !*b->opts.cache_dir) {
                fp_diag_set(d, NULL, 0, "cache_dir", "no package store to keep packages in");
                return FP_EINVAL;
        }
        fp_arena_init(&ar);
        for (size_t i = 0; i < n; i++)
                paths[i] = keep_one(b, &pkgs[i], &ar);
        fp_arena_release(&ar);
        return FP_OK;
}

/* ---- open / release ----------------------------------------------------------------------- */

static void apt_release(struct backend *b)
{
        struct apt *p = b->priv;
        if (!p)
                return;
        if (p->aptconf[0])
                unlink(p->aptconf);
        free(p);
        b->priv = NULL;
}

static const struct backend_ops apt_ops = {
    .name = "apt",
    .refresh = apt_refresh,
    .simulate = apt_simulate,
    .apply = apt_apply,
    .recover = apt_recover,
    .keep = apt_keep,
    .release = apt_release,
};

/* Our APT_CONFIG for a sandbox root: Dir first, so apt reads ROOT/etc/apt/apt.conf.d and
 * ROOT/etc/apt/apt.conf afterwards and never the host's. */
static enum fp_err write_aptconf(struct apt *p, struct fp_diag *d)
{
        const char *tmpdir = getenv("TMPDIR");
        if (!tmpdir || tmpdir[0] != '/')
                tmpdir = "/tmp";
        if ((size_t)snprintf(p->aptconf, sizeof(p->aptconf), "%s/fleetpatch-apt-XXXXXX", tmpdir) >=
            sizeof(p->aptconf)) {
                p->aptconf[0] = '\0';
                fp_diag_set(d, tmpdir, 0, "apt", "temporary directory path too long");
                return FP_EINVAL;
        }
        int fd = mkostemp(p->aptconf, O_CLOEXEC);
        if (fd < 0) {
                fp_diag_set(d, p->aptconf, 0, "apt", "cannot create apt configuration: %s",
                            strerror(errno));
                p->aptconf[0] = '\0';
                return FP_EIO;
        }
        char text[PATH_MAX + 256];
        int n = snprintf(text, sizeof(text),
                         "// fleetpatch: apt on the sandbox root %s\nDir \"%s/\";\n"
                         "Dir::State::status \"%s/var/lib/dpkg/status\";\n",
                         p->root, p->root, p->root);
        bool ok = n > 0 && (size_t)n < sizeof(text) && write(fd, text, (size_t)n) == n;
        ok = close(fd) == 0 && ok;
        if (!ok) {
                fp_diag_set(d, p->aptconf, 0, "apt", "cannot write apt configuration");
                unlink(p->aptconf);
                p->aptconf[0] = '\0';
                return FP_EIO;
        }
        snprintf(p->aptconf_env, sizeof(p->aptconf_env), "APT_CONFIG=%s", p->aptconf);
        return FP_OK;
}

enum fp_err backend_apt_open(struct backend *b, struct fp_diag *d)
{
        const char *root = b->opts.root ? b->opts.root : "/";
        struct apt *p = calloc(1, sizeof(*p));
        if (!p) {
                fp_diag_set(d, NULL, 0, "backend", "out of memory");
                return FP_ENOMEM;
        }
        if (!realpath(root, p->root)) {
                fp_diag_set(d, root, 0, "root", "cannot use this root: %s", strerror(errno));
                free(p);
                return FP_EINVAL;
        }
        p->host = strcmp(p->root, "/") == 0;
        if (!p->host && strpbrk(p->root, "\"\n\\{};")) {
                /* the root goes into an apt configuration file as a quoted string */
                fp_diag_set(d, p->root, 0, "root",
                            "characters apt's configuration cannot quote in the root path");
                free(p);
                return FP_EINVAL;
        }
        if (!p->host) {
                enum fp_err err = write_aptconf(p, d);
                if (err != FP_OK) {
                        free(p);
                        return err;
                }
        }
        b->ops = &apt_ops;
        b->priv = p;
        return FP_OK;
}
