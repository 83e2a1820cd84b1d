/* Reboot truth, the reboot program and the post-reboot confirmation (reboot.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/backend/run.h"
#include "agent/daemon/reboot.h"
#include "agent/inventory/exec.h"
#include "fleetpatch/version.h"

/* Longest reboot_command argv; a reboot program takes a handful of arguments. */
#define REBOOT_MAX_ARGV 32
/* rpm -qa output: ~60 bytes a package, a few thousand packages. */
#define REBOOT_RPM_MAX_OUTPUT (8 * 1024 * 1024)
/* reboot_command normally returns at once (systemd schedules the reboot). */
#define REBOOT_COMMAND_TIMEOUT 120

/*
 * Packages whose update means a reboot on RPM hosts, as dnf needs-restarting -r decides it
 * (dnf-plugins-core, plugins/needs_restarting.py): NEED_REBOOT = ['kernel', 'kernel-rt',
 * 'glibc', 'linux-firmware', 'systemd', 'dbus', 'dbus-broker', 'dbus-daemon'], later releases
 * add 'kernel-core' and 'microcode_ctl', and NEED_REBOOT_DEPENDS_ON_DBUS adds the libraries the
 * D-Bus daemon links (zlib, openssl-libs, gnutls): the bus cannot be restarted without a
 * reboot, so neither can what it maps. 'udev' is RHEL 7's separate package (Red Hat solution
 * 27943). More names come from ROOT/etc/dnf/plugins/needs-restarting.d/ *.conf, as in dnf.
 */
static const char *const rpm_core[] = {
    "kernel",         "kernel-core",   "kernel-rt",    "kernel-rt-core", "glibc",
    "linux-firmware", "systemd",       "udev",         "dbus",           "dbus-broker",
    "dbus-daemon",    "microcode_ctl", "openssl-libs", "gnutls",         "zlib",
};

/* ---- a string list in the info's arena --------------------------------------------------- */

static enum fp_err slist_add(struct reboot_info *info, char ***v, size_t *n, const char *s,
                             size_t len)
{
        for (size_t i = 0; i < *n; i++)
                if (strlen((*v)[i]) == len && memcmp((*v)[i], s, len) == 0)
                        return FP_OK; /* a set: one reason or service once */
        /* powers of two: grow when n is one */
        if ((*n & (*n - 1)) == 0 || *n == 0) {
                size_t cap = *n ? *n * 2 : 4;
                char **nv = realloc(*v, cap * sizeof(*nv));
                if (!nv)
                        return FP_ENOMEM;
                *v = nv;
        }
        char *c = fp_arena_strndup(&info->arena, s, len);
        if (!c)
                return FP_ENOMEM;
        (*v)[(*n)++] = c;
        return FP_OK;
}

static enum fp_err add_reason(struct reboot_info *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum fp_err add_reason(struct reboot_info *info, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        info->required = true;
        return slist_add(info, &info->reasons, &info->reason_count, buf, strlen(buf));
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first max bytes of path (malloc(3)ed, NUL-terminated; *len without the NUL); NULL when
 * it cannot be read. /proc files have no size, so this reads until EOF or max. */
static char *read_head(const char *path, size_t max, size_t *len)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *buf = malloc(max + 1);
        size_t n = 0;
        while (buf && n < max) {
                size_t got = fread(buf + n, 1, max - n, f);
                if (got == 0)
                        break;
                n += got;
        }
        bool failed = ferror(f) != 0;
        fclose(f);
        if (!buf || failed) {
                free(buf);
                return NULL;
        }
        buf[n] = '\0';
        *len = n;
        return buf;
}

/* The next line of [*s, end): its start and length without the newline; false at the end. */
static bool next_line(const char **s, const char *end, const char **line, size_t *n)
{
        if (*s >= end)
                return false;
        const char *nl = memchr(*s, '\n', (size_t)(end - *s));
        *line = *s;
        *n = (size_t)((nl ? nl : end) - *s);
        *s = nl ? nl + 1 : end;
        return true;
}

enum fp_err reboot_pkgs_parse(const char *text, size_t len, struct reboot_info *info)
{
        const char *s = text, *end = text + len, *line;
        size_t n;
        while (info->pkg_count < REBOOT_PKGS_MAX && next_line(&s, end, &line, &n)) {
                if (n > REBOOT_PKGS_MAX_LINE)
                        continue;
                size_t w = 0;
                while (w < n && line[w] != ' ' && line[w] != '\t' && line[w] != '\r')
                        w++;
                bool ok = w > 0 && w <= FP_MAX_NAME_LEN;
                for (size_t i = 0; ok && i < w; i++)
                        ok = line[i] > 0x20 && line[i] < 0x7f;
                if (ok && slist_add(info, &info->pkgs, &info->pkg_count, line, w) != FP_OK)
                        return FP_ENOMEM;
        }
        return FP_OK;
}

/* ---- files of the root ------------------------------------------------------------------- */

static void under(char *out, size_t outsz, const char *root, const char *rel)
{
        if (strcmp(root, "/") == 0)
                snprintf(out, outsz, "%s", rel);
        else
                snprintf(out, outsz, "%s%s", root, rel);
}

/* The trimmed first line of path; false when unreadable or empty. */
static bool first_line(const char *path, char *out, size_t outsz)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        bool ok = fgets(out, (int)outsz, f) != NULL;
        fclose(f);
        if (!ok)
                return false;
        size_t n = strcspn(out, "\r\n");
        out[n] = '\0';
        while (n > 0 && isspace((unsigned char)out[n - 1]))
                out[--n] = '\0';
        return n > 0;
}

static enum fp_err sandbox_file(const char *root, const char *name, char *out, size_t outsz,
                                struct fp_diag *d)
{
        char path[PATH_MAX];
        if (!root || strcmp(root, "/") == 0) {
                fp_diag_set(d, NULL, 0, NULL, "the sandbox files are never read for the root /");
                return FP_EINVAL;
        }
        snprintf(path, sizeof(path), "%s/%s/%s", root, REBOOT_SANDBOX_DIR, name);
        if (!first_line(path, out, outsz)) {
                fp_diag_set(d, path, 0, NULL, "no simulated %s", name);
                return FP_ENOENT;
        }
        return FP_OK;
}

enum fp_err reboot_sandbox_kernel(const char *root, char *out, size_t outsz, struct fp_diag *d)
{
        return sandbox_file(root, "kernel_running", out, outsz, d);
}

enum fp_err reboot_boot_id(const char *root, char *out, size_t outsz, struct fp_diag *d)
{
        if (root && strcmp(root, "/") != 0)
                return sandbox_file(root, "boot_id", out, outsz, d);
        if (!first_line("/proc/sys/kernel/random/boot_id", out, outsz)) {
                fp_diag_set(d, "/proc/sys/kernel/random/boot_id", 0, NULL, "no boot id");
                return FP_ENOENT;
        }
        return FP_OK;
}

/*
 * Debian's signal: a package's postinst touched reboot-required (and named itself in .pkgs).
 * /var/run is a symlink to /run on current systems; in a sandbox root an absolute symlink
 * would lead to the host's /run, so a symlinked var/run is left to the run/ check.
 */
static enum fp_err check_reboot_required(const char *root, struct reboot_info *info)
{
        static const char *const dirs[] = {"/run", "/var/run"};
        char path[PATH_MAX];
        bool found = false;
        for (size_t i = 0; i < 2; i++) {
                struct stat st;
                under(path, sizeof(path), root, dirs[i]);
                if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
                        continue;
                under(path, sizeof(path), root,
                      i == 0 ? "/run/reboot-required" : "/var/run/reboot-required");
                if (access(path, F_OK) == 0)
                        found = true;
                strncat(path, ".pkgs", sizeof(path) - strlen(path) - 1);
                size_t len;
                char *text = read_head(path, REBOOT_PKGS_MAX_FILE, &len);
                if (!text)
                        continue;
                enum fp_err err = reboot_pkgs_parse(text, len, info);
                free(text);
                if (err != FP_OK)
                        return err;
        }
        if (!found)
                return FP_OK;
        if (info->pkg_count == 0)
                return add_reason(info, "reboot-required file");
        char list[384] = "";
        for (size_t i = 0; i < info->pkg_count; i++) {
                size_t l = strlen(list);
                if (l + strlen(info->pkgs[i]) + 8 >= sizeof(list)) {
                        snprintf(list + l, sizeof(list) - l, "%s...", i ? ", " : "");
                        break;
                }
                snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", info->pkgs[i]);
        }
        return add_reason(info, "reboot-required file (%s)", list);
}

/* ---- kernels ----------------------------------------------------------------------------- */

/* Kernel images only: headers or modules of a newer build do not make it bootable. */
static bool kernel_image(const struct fp_inv_pkg *p)
{
        return strncmp(p->name, "linux-image-", 12) == 0 || strcmp(p->name, "kernel") == 0 ||
               strcmp(p->name, "kernel-core") == 0 || strcmp(p->name, "kernel-uek") == 0 ||
               strcmp(p->name, "kernel-uek-core") == 0 || strcmp(p->name, "kernel-rt-core") == 0 ||
               strcmp(p->name, "kernel-64k-core") == 0;
}

const char *reboot_newest_kernel(const struct fp_inventory *inv)
{
        const struct fp_inv_pkg *best = NULL;
        if (!inv)
                return NULL;
        for (size_t i = 0; i < inv->count; i++) {
                const struct fp_inv_pkg *p = &inv->pkgs[i];
                if (!p->kernel || !p->kernel_release || !*p->kernel_release || !kernel_image(p))
                        continue;
                /* package versions order the builds (Debian's ABI names do not: 6.1.0-9 is
                 * older than 6.1.0-18); equal versions fall back to the release string */
                int c = best ? fp_vercmp(inv->scheme, p->version, best->version) : 1;
                if (c == 0)
                        c = fp_vercmp(inv->scheme, p->kernel_release, best->kernel_release);
                if (c > 0)
                        best = p;
        }
        return best ? best->kernel_release : NULL;
}

static enum fp_err check_kernel(const struct reboot_opts *o, struct reboot_info *info)
{
        const char *root = o->root ? o->root : "/";
        char running[REBOOT_ID_MAX] = "";
        const char *newest = reboot_newest_kernel(o->inv);
        if (o->inv && o->inv->running_kernel && *o->inv->running_kernel) {
                snprintf(running, sizeof(running), "%s", o->inv->running_kernel);
        } else if (strcmp(root, "/") != 0) {
                if (reboot_sandbox_kernel(root, running, sizeof(running), NULL) != FP_OK)
                        running[0] = '\0';
        } else {
                struct utsname u;
                if (uname(&u) == 0)
                        snprintf(running, sizeof(running), "%s", u.release);
        }
        if (newest && !(info->newest_kernel = fp_arena_strdup(&info->arena, newest)))
                return FP_ENOMEM;
        if (running[0] && !(info->running_kernel = fp_arena_strdup(&info->arena, running)))
                return FP_ENOMEM;
        /* an image root without a simulated kernel runs nothing: nothing to compare */
        if (!newest || !running[0] || strcmp(newest, running) == 0)
                return FP_OK;
        return add_reason(info, "kernel %s installed, %s running", newest, running);
}

/* ---- processes mapping deleted files ----------------------------------------------------- */

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
        size_t l = strlen(prefix);
        return n >= l && memcmp(s, prefix, l) == 0;
}

/*
 * Whether one maps line names a deleted shared object or executable that a restart would
 * replace. As needrestart does, kernel-made and anonymous-file mappings (memfd, SysV shared
 * memory, DRM buffers, /dev) are not files a package replaced. path gets the file.
 */
bool reboot_maps_line(const char *line, size_t len, char *path, size_t pathsz)
{
        /* address perms offset dev inode path */
        if (len > 0 && line[len - 1] == '\n')
                len--;
        if (len > REBOOT_MAPS_MAX_LINE || memchr(line, '\0', len))
                return false;
        const char *p = line, *end = line + len;
        bool exec = false;
        for (int field = 0; field < 5; field++) {
                while (p < end && *p == ' ')
                        p++;
                const char *start = p;
                while (p < end && *p != ' ')
                        p++;
                if (p == start)
                        return false;
                if (field == 1)
                        exec = memchr(start, 'x', (size_t)(p - start)) != NULL;
        }
        while (p < end && *p == ' ')
                p++;
        size_t n = (size_t)(end - p);
        static const char suffix[] = " (deleted)";
        if (n < sizeof(suffix) || *p != '/' ||
            memcmp(p + n - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) != 0)
                return false;
        n -= sizeof(suffix) - 1;
        if (has_prefix(p, n, "/dev/") || has_prefix(p, n, "/memfd:") || has_prefix(p, n, "/SYSV") ||
            has_prefix(p, n, "/drm") || has_prefix(p, n, "/[aio]"))
                return false;
        bool so = false;
        for (size_t i = 0; !so && i + 3 <= n; i++)
                so = memcmp(p + i, ".so", 3) == 0;
        /* a shared object (libc.so.6, libssl.so.3) or code mapped executable (the program) */
        if (!so && !exec)
                return false;
        if (pathsz > 0)
                snprintf(path, pathsz, "%.*s", (int)n, p);
        return true;
}

bool reboot_maps_scan(const char *text, size_t len, char *path, size_t pathsz)
{
        const char *s = text, *end = text + len, *line;
        size_t n;
        for (size_t i = 0; i < REBOOT_MAPS_MAX_LINES && next_line(&s, end, &line, &n); i++)
                if (reboot_maps_line(line, n, path, pathsz))
                        return true;
        return false;
}

/* systemd's unit name characters (unit-name.c VALID_CHARS plus '@' and '.'). */
static bool unit_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr(":-_.\\@", c) != NULL); /* strchr finds the NUL too */
}

bool reboot_cgroup_service(const char *text, size_t len, char *unit, size_t unitsz)
{
        const char *s = text, *end = text + len, *line;
        size_t n;
        for (size_t l = 0; l < REBOOT_CGROUP_MAX_LINES && next_line(&s, end, &line, &n); l++) {
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                if (n > REBOOT_CGROUP_MAX_LINE)
                        continue;
                /* "ID:CONTROLLERS:PATH": the path follows the last colon */
                const char *p = line;
                for (size_t i = 0; i < n; i++)
                        if (line[i] == ':')
                                p = line + i + 1;
                const char *lend = line + n, *found = NULL;
                size_t flen = 0;
                /* the innermost *.service component: a service's own sub-cgroups are below it */
                while (p < lend) {
                        const char *slash = memchr(p, '/', (size_t)(lend - p));
                        const char *tend = slash ? slash : lend;
                        size_t tl = (size_t)(tend - p);
                        bool ok = tl > 8 && tl < REBOOT_UNIT_MAX && tl < unitsz &&
                                  memcmp(tend - 8, ".service", 8) == 0;
                        for (size_t i = 0; ok && i < tl; i++)
                                ok = unit_char(p[i]);
                        if (ok) {
                                found = p;
                                flen = tl;
                        }
                        p = slash ? slash + 1 : lend;
                }
                if (found) {
                        memcpy(unit, found, flen);
                        unit[flen] = '\0';
                        return true;
                }
        }
        return false;
}

/* The systemd service a process belongs to, from its cgroup path ("0::/system.slice/x.service"). */
static bool pid_service(const char *proc_dir, const char *pid, char *out, size_t outsz)
{
        char path[PATH_MAX];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s/cgroup", proc_dir, pid);
        char *text = read_head(path, REBOOT_CGROUP_MAX_FILE, &len);
        if (!text)
                return false;
        bool found = reboot_cgroup_service(text, len, out, outsz);
        free(text);
        return found;
}

static enum fp_err scan_pid(const char *proc_dir, const char *pid, struct reboot_info *info)
{
        char path[PATH_MAX], file[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s/maps", proc_dir, pid);
        /* a process may exit (ENOENT, ESRCH) or hide its maps from us (EACCES) at any time:
         * each is one process less to report, not a failure of the check */
        FILE *f = fopen(path, "re");
        if (!f)
                return FP_OK;
        char *line = NULL;
        size_t cap = 0;
        bool hit = false;
        ssize_t got;
        /* line by line: the maps of a large process run to megabytes */
        for (size_t i = 0;
             !hit && i < REBOOT_MAPS_MAX_LINES && (got = getline(&line, &cap, f)) > 0; i++)
                hit = reboot_maps_line(line, (size_t)got, file, sizeof(file));
        free(line);
        fclose(f);
        if (!hit)
                return FP_OK;
        if (strcmp(pid, "1") == 0)
                return add_reason(info, "PID 1 maps deleted %s", file);
        char unit[REBOOT_UNIT_MAX];
        if (!pid_service(proc_dir, pid, unit, sizeof(unit)))
                return FP_OK; /* a user's process: not ours to restart */
        return slist_add(info, &info->services, &info->service_count, unit, strlen(unit));
}

static enum fp_err check_processes(const char *proc_dir, struct reboot_info *info,
                                   struct fp_diag *d)
{
        DIR *dir = opendir(proc_dir);
        if (!dir) {
                if (errno == ENOENT)
                        return FP_OK;
                fp_diag_set(d, proc_dir, 0, NULL, "cannot list: %s", strerror(errno));
                return FP_EIO;
        }
        enum fp_err err = FP_OK;
        struct dirent *de;
        while (err == FP_OK && (de = readdir(dir)))
                if (all_digits(de->d_name))
                        err = scan_pid(proc_dir, de->d_name, info);
        closedir(dir);
        if (info->service_count > 1)
                qsort(info->services, info->service_count, sizeof(char *), cmp_str);
        return err;
}

/* ---- RPM: core packages installed after the boot ----------------------------------------- */

static int64_t proc_btime(const char *proc_dir)
{
        char path[PATH_MAX], line[256];
        int64_t bt = 0;
        snprintf(path, sizeof(path), "%s/stat", proc_dir);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "btime %" SCNd64, &bt) == 1)
                        break;
        fclose(f);
        return bt;
}

static bool is_core(const char *name, size_t n, char *const *extra, size_t extra_count)
{
        for (size_t i = 0; i < sizeof(rpm_core) / sizeof(rpm_core[0]); i++)
                if (strlen(rpm_core[i]) == n && memcmp(rpm_core[i], name, n) == 0)
                        return true;
        for (size_t i = 0; i < extra_count; i++)
                if (strlen(extra[i]) == n && memcmp(extra[i], name, n) == 0)
                        return true;
        return false;
}

/* dnf's needs-restarting.d: one package name a line, in files named *.conf. */
static void read_extra_core(const char *root, char ***v, size_t *n)
{
        char dirpath[PATH_MAX];
        under(dirpath, sizeof(dirpath), root, "/etc/dnf/plugins/needs-restarting.d");
        DIR *dir = opendir(dirpath);
        if (!dir)
                return;
        struct dirent *de;
        while ((de = readdir(dir))) {
                size_t l = strlen(de->d_name);
                if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
                        continue;
                char path[PATH_MAX + 256], line[256];
                snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f)) {
                        char *s = line + strspn(line, " \t");
                        s[strcspn(s, " \t\r\n#")] = '\0';
                        char **nv = *s ? realloc(*v, (*n + 1) * sizeof(*nv)) : NULL;
                        char *c = nv ? strdup(s) : NULL;
                        if (nv)
                                *v = nv;
                        if (c)
                                (*v)[(*n)++] = c;
                }
                fclose(f);
        }
        closedir(dir);
}

enum fp_err reboot_rpm_parse(const char *text, size_t len, int64_t boot_time, char *const *extra,
                             size_t extra_count, struct reboot_info *info)
{
        const char *s = text, *end = text + len, *line;
        size_t n;
        for (size_t l = 0; l < REBOOT_RPM_MAX_LINES && next_line(&s, end, &line, &n); l++) {
                if (n > REBOOT_RPM_MAX_LINE)
                        continue;
                const char *sp = memchr(line, ' ', n);
                if (!sp || sp == line || !is_core(line, (size_t)(sp - line), extra, extra_count))
                        continue;
                /* the install time: decimal seconds, the whole rest of the line */
                const char *t = sp + 1, *tend = line + n;
                int64_t v = 0;
                bool ok = t < tend;
                for (; ok && t < tend; t++) {
                        ok = *t >= '0' && *t <= '9' && v <= (INT64_MAX - (*t - '0')) / 10;
                        if (ok)
                                v = v * 10 + (*t - '0');
                }
                if (!ok || v <= boot_time)
                        continue;
                size_t name = (size_t)(sp - line);
                enum fp_err err = slist_add(info, &info->pkgs, &info->pkg_count, line, name);
                if (err == FP_OK)
                        err = add_reason(info, "%.*s installed after boot", (int)name, line);
                if (err != FP_OK)
                        return err;
        }
        return FP_OK;
}

static enum fp_err check_rpm(const struct reboot_opts *o, int64_t boot_time,
                             struct reboot_info *info, struct fp_diag *d)
{
        const char *root = o->root ? o->root : "/";
        const char *argv[] = {o->rpm ? o->rpm : "rpm",     "--root", root, "-qa", "--qf",
                              "%{NAME} %{INSTALLTIME}\\n", NULL};
        struct fp_buf out;
        fp_buf_init(&out, REBOOT_RPM_MAX_OUTPUT);
        enum fp_err err = fp_exec_capture(argv, &out, d);
        if (err != FP_OK) {
                fp_buf_release(&out);
                return err;
        }
        char **extra = NULL;
        size_t extra_count = 0;
        read_extra_core(root, &extra, &extra_count);
        err = reboot_rpm_parse(out.ptr ? out.ptr : "", out.len, boot_time, extra, extra_count,
                               info);
        for (size_t i = 0; i < extra_count; i++)
                free(extra[i]);
        free(extra);
        fp_buf_release(&out);
        return err;
}

/* ---- the check ----------------------------------------------------------------------------- */

enum fp_err reboot_check(const struct reboot_opts *o, struct reboot_info *out, struct fp_diag *d)
{
        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        const char *root = o->root ? o->root : "/";
        enum fp_err err = check_reboot_required(root, out);
        if (err == FP_OK)
                err = check_kernel(o, out);
        if (err == FP_OK && o->proc_dir)
                err = check_processes(o->proc_dir, out, d);
        if (err == FP_OK && o->inv && o->inv->family && strcmp(o->inv->family, "rpm") == 0) {
                int64_t bt = o->boot_time  ? o->boot_time
                             : o->proc_dir ? proc_btime(o->proc_dir)
                                           : 0;
                /* without a boot time every package would look newer than the boot */
                if (bt > 0)
                        err = check_rpm(o, bt, out, d);
        }
        if (err == FP_ENOMEM)
                fp_diag_set(d, NULL, 0, NULL, "out of memory");
        return err;
}

void reboot_info_release(struct reboot_info *info)
{
        if (!info)
                return;
        free(info->reasons);
        free(info->services);
        free(info->pkgs);
        fp_arena_release(&info->arena);
        memset(info, 0, sizeof(*info));
}

/* ---- the reboot and its confirmation ------------------------------------------------------- */

enum fp_err reboot_request(const struct agent_config *cfg, struct fp_diag *d)
{
        const char *cmd =
            cfg->reboot_command && *cfg->reboot_command ? cfg->reboot_command : "systemctl reboot";
        char copy[1024];
        const char *argv[REBOOT_MAX_ARGV + 1];
        size_t argc = 0;
        if (strlen(cmd) >= sizeof(copy)) {
                fp_diag_set(d, NULL, 0, "reboot_command", "too long");
                return FP_EINVAL;
        }
        snprintf(copy, sizeof(copy), "%s", cmd);
        char *save = NULL;
        for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                if (argc == REBOOT_MAX_ARGV) {
                        fp_diag_set(d, NULL, 0, "reboot_command", "more than %d words",
                                    REBOOT_MAX_ARGV);
                        return FP_EINVAL;
                }
                argv[argc++] = tok;
        }
        argv[argc] = NULL;
        if (argc == 0) {
                fp_diag_set(d, NULL, 0, "reboot_command", "empty");
                return FP_EINVAL;
        }
        struct run_opts ro = {.argv = argv, .timeout = REBOOT_COMMAND_TIMEOUT};
        struct run_result res = {0};
        enum fp_err err = run_program(&ro, &res, d);
        if (err != FP_OK)
                return err;
        if (res.timed_out || res.status != 0) {
                fp_diag_set(d, NULL, 0, "reboot_command", "%s %s %d", argv[0],
                            res.timed_out ? "timed out, killed, status" : "failed with status",
                            res.status);
                return FP_EEXEC;
        }
        return FP_OK;
}

enum fp_err reboot_confirm(const char *expected_kernel, const char *running_kernel,
                           const char *old_boot_id, const char *new_boot_id, char *why,
                           size_t whysz)
{
        if (!old_boot_id || !*old_boot_id || !new_boot_id || !*new_boot_id) {
                snprintf(why, whysz, "boot id unknown (before: %s, now: %s)",
                         old_boot_id && *old_boot_id ? old_boot_id : "none",
                         new_boot_id && *new_boot_id ? new_boot_id : "none");
                return FP_EINVAL;
        }
        if (strcmp(old_boot_id, new_boot_id) == 0) {
                snprintf(why, whysz, "no reboot happened (boot id %s unchanged)", new_boot_id);
                return FP_EEXEC;
        }
        if (expected_kernel && *expected_kernel &&
            (!running_kernel || strcmp(expected_kernel, running_kernel) != 0)) {
                snprintf(why, whysz, "rebooted, but kernel %s runs, expected %s",
                         running_kernel && *running_kernel ? running_kernel : "(unknown)",
                         expected_kernel);
                return FP_EEXEC;
        }
        snprintf(why, whysz, "rebooted (boot id %s)%s%s", new_boot_id,
                 expected_kernel && *expected_kernel ? ", running kernel " : "",
                 expected_kernel && *expected_kernel ? expected_kernel : "");
        return FP_OK;
}
