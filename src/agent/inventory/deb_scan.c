/*
 * fp_scan_deb: the upgradable packages of a Debian root as `apt list --upgradable` shows
 * them. Reads the dpkg status, apt.conf(.d), preferences(.d) and the apt lists of the root,
 * then runs the pure apt policy of src/core/deb on them.
 */
#include <dirent.h>
#include <stdio.h>
#include <strings.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/inventory/deb_inventory.h"
#include "core/deb/aptconf.h"
#include "core/deb/packages.h"
#include "core/deb/policy.h"
#include "core/deb/preferences.h"
#include "core/deb/util.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/scan.h"
#include "fleetpatch/version.h"

/* Native architecture when neither apt.conf nor the status file tells (dpkg's build arch). */
#if defined(__x86_64__)
#define FP_BUILD_ARCH "amd64"
#elif defined(__aarch64__)
#define FP_BUILD_ARCH "arm64"
#elif defined(__i386__)
#define FP_BUILD_ARCH "i386"
#elif defined(__arm__)
#define FP_BUILD_ARCH "armhf"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FP_BUILD_ARCH "ppc64el"
#elif defined(__s390x__)
#define FP_BUILD_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define FP_BUILD_ARCH "riscv64"
#else
#define FP_BUILD_ARCH "unknown"
#endif

struct aptconf {
        char *default_release;
        char *native;
};

static void conf_cb(const char *name, const char *value, void *ctx)
{
        struct aptconf *c = ctx;
        char **dst = NULL;

        if (strcasecmp(name, "APT::Default-Release") == 0)
                dst = &c->default_release;
        else if (strcasecmp(name, "APT::Architecture") == 0)
                dst = &c->native;
        if (dst) {
                free(*dst);
                *dst = strdup(value);
        }
}

static void path_join(char *out, size_t cap, const char *root, const char *rel)
{
        size_t n = strlen(root);
        while (n > 1 && root[n - 1] == '/')
                n--;
        if (n == 1 && root[0] == '/')
                n = 0;
        snprintf(out, cap, "%.*s/%s", (int)n, root, rel);
}

/* A config file that may be absent; present but unreadable is an error, as in apt. */
static enum fp_err read_optional(const char *path, char **buf, size_t *len,
                                 struct fp_diag *diag)
{
        struct stat st;
        *buf = NULL;
        *len = 0;
        if (stat(path, &st) != 0 && errno == ENOENT)
                return FP_OK;
        return fp_read_file(path, FP_MAX_CONFIG_SIZE, buf, len, diag);
}

static int cmp_cstr(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a config directory that pass apt's filter for that kind of file. */
static enum fp_err list_dir(const char *dir, bool (*ok)(const char *), char ***out, size_t *n,
                            struct fp_diag *diag)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **v = NULL;
        size_t cnt = 0, cap = 0;
        enum fp_err err = FP_OK;

        *out = NULL;
        *n = 0;
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? FP_OK : FP_EACCES;
        while ((e = readdir(d))) {
                if (!ok(e->d_name))
                        continue;
                if (cnt >= FP_MAX_DIR_ENTRIES) {
                        fp_diag_set(diag, dir, 0, "", "more than FP_MAX_DIR_ENTRIES files");
                        err = FP_ELIMIT;
                        break;
                }
                if (cnt == cap) {
                        size_t nc = cap ? cap * 2 : 16;
                        char **nv = realloc(v, nc * sizeof(*nv));
                        if (!nv) {
                                err = FP_ENOMEM;
                                break;
                        }
                        v = nv;
                        cap = nc;
                }
                v[cnt] = strdup(e->d_name);
                if (!v[cnt]) {
                        err = FP_ENOMEM;
                        break;
                }
                cnt++;
        }
        closedir(d);
        if (err != FP_OK) {
                for (size_t i = 0; i < cnt; i++)
                        free(v[i]);
                free(v);
                return err;
        }
        if (cnt > 1)
                qsort(v, cnt, sizeof(*v), cmp_cstr);
        *out = v;
        *n = cnt;
        return FP_OK;
}

static void free_names(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/* apt.conf.d: no extension or ".conf". */
static bool conf_name_ok(const char *name)
{
        return fp_deb_dir_entry_ok(name, "conf");
}

static enum fp_err read_aptconf(const char *root, struct aptconf *conf, struct fp_diag *diag)
{
        char dir[FP_DIAG_FILE_MAX], path[FP_DIAG_FILE_MAX * 2];
        char **names = NULL;
        size_t n = 0;
        enum fp_err err;

        /* apt reads the parts directory first, then apt.conf, later values win. */
        path_join(dir, sizeof(dir), root, "etc/apt/apt.conf.d");
        err = list_dir(dir, conf_name_ok, &names, &n, diag);
        for (size_t i = 0; err == FP_OK && i <= n; i++) {
                char *buf;
                size_t len;
                if (i < n)
                        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                else
                        path_join(path, sizeof(path), root, "etc/apt/apt.conf");
                err = read_optional(path, &buf, &len, diag);
                if (err == FP_OK && buf)
                        err = fp_aptconf_parse(buf, len, path, conf_cb, conf, diag);
                free(buf);
        }
        free_names(names, n);
        return err;
}

static enum fp_err read_prefs(const char *root, struct fp_arena *arena, struct fp_pins *pins,
                              struct fp_diag *diag)
{
        char dir[FP_DIAG_FILE_MAX], path[FP_DIAG_FILE_MAX * 2];
        char **names = NULL;
        size_t n = 0;
        enum fp_err err;

        /* apt reads etc/apt/preferences first, then preferences.d in name order. */
        path_join(dir, sizeof(dir), root, "etc/apt/preferences.d");
        err = list_dir(dir, fp_preferences_name_ok, &names, &n, diag);
        for (size_t i = 0; err == FP_OK && i <= n; i++) {
                char *buf;
                size_t len;
                const char *fname;
                if (i == 0)
                        path_join(path, sizeof(path), root, "etc/apt/preferences");
                else
                        snprintf(path, sizeof(path), "%s/%s", dir, names[i - 1]);
                err = read_optional(path, &buf, &len, diag);
                fname = fp_arena_strdup(arena, path);
                if (err == FP_OK && buf)
                        err = fname ? fp_preferences_parse(buf, len, fname, arena, pins, diag)
                                    : FP_ENOMEM;
                free(buf);
        }
        free_names(names, n);
        return err;
}

struct scan_ctx {
        struct fp_arena *arena;
        struct fp_strmap pkgs;  /* "name:arch" -> struct fp_apt_pkg */
        struct fp_strmap names; /* installed names, for the fast skip */
        const char *native;
        const char *file;
        size_t index;
        char key[FP_MAX_NAME_LEN + 80];
};

/* apt's package key: Architecture "all" belongs to the native architecture. */
static size_t pkg_key(struct scan_ctx *c, const char *name, const char *arch)
{
        const char *a = !arch || strcmp(arch, "all") == 0 ? c->native : arch;
        int n = snprintf(c->key, sizeof(c->key), "%s:%s", name, a);
        return n < 0 || (size_t)n >= sizeof(c->key) ? sizeof(c->key) - 1 : (size_t)n;
}

static enum fp_err on_stanza(const struct fp_deb822_stanza *st, void *ctx, struct fp_diag *diag)
{
        struct scan_ctx *c = ctx;
        struct fp_deb_pkg rec;
        struct fp_apt_pkg *pkg;
        enum fp_err err;

        err = fp_deb_pkg_from_stanza(st, false, c->file, c->arena, &rec, diag);
        if (err != FP_OK)
                return err;
        pkg = fp_strmap_get(&c->pkgs, c->key, pkg_key(c, rec.name, rec.arch));
        if (!pkg)
                return FP_OK; /* same name, other architecture: not installed */
        err = fp_apt_pkg_add(c->arena, pkg, &rec, c->index, false);
        if (err == FP_ELIMIT)
                fp_diag_set(diag, c->file, st->line, "Version",
                            "more than FP_MAX_PKG_VERSIONS versions of '%s'", rec.name);
        return err;
}

static int cmp_update(const void *a, const void *b)
{
        const struct fp_update *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : strcmp(x->arch, y->arch);
}

/* Comma-separated codenames (Suite when there is none) of the indexes providing ver. */
static const char *suites_of(struct fp_arena *arena, const struct fp_apt_lists *lists,
                             const struct fp_apt_ver *ver, const char **origin, bool *security)
{
        const char *names[64] = {0}; /* more than 64 distinct suites: the rest are left out */
        size_t n = 0, total = 1;
        char *out;

        *origin = NULL;
        *security = false;
        for (const struct fp_apt_vfile *f = ver->files; f; f = f->next) {
                const struct fp_apt_index *ix = &lists->indexes[f->index];
                const char *s;
                if (ix->status)
                        continue;
                if (fp_release_is_security(ix->release))
                        *security = true;
                if (!*origin && ix->release && ix->release->origin)
                        *origin = ix->release->origin;
                s = ix->release ? (ix->release->codename ? ix->release->codename
                                                         : ix->release->suite)
                                : NULL;
                if (!s)
                        s = "now";
                bool dup = false;
                for (size_t i = 0; i < n; i++)
                        dup = dup || strcmp(names[i], s) == 0;
                if (!dup && n < sizeof(names) / sizeof(names[0])) {
                        names[n++] = s;
                        total += strlen(s) + 1;
                }
        }
        qsort(names, n, sizeof(names[0]), cmp_cstr);
        out = fp_arena_alloc(arena, total);
        if (!out)
                return NULL;
        out[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (i)
                        strcat(out, ",");
                strcat(out, names[i]);
        }
        return out;
}

enum fp_err fp_scan_deb(const struct fp_scan_opts *opts, struct fp_scan_result *out,
                        struct fp_diag *diag)
{
        const char *root = opts && opts->root ? opts->root : "/";
        char status_path[FP_DIAG_FILE_MAX], lists_path[FP_DIAG_FILE_MAX];
        struct fp_scan_result res;
        struct scan_ctx c;
        struct aptconf conf = {0};
        struct fp_pins pins = {0};
        struct fp_dpkg_status status = {0};
        struct fp_apt_lists lists = {0};
        struct fp_apt_policy pol = {0};
        char *status_buf = NULL;
        size_t status_len = 0, cap = 0;
        enum fp_err err;

        memset(&res, 0, sizeof(res));
        memset(&c, 0, sizeof(c));
        fp_arena_init(&res.arena);
        fp_strmap_init(&c.pkgs);
        fp_strmap_init(&c.names);
        c.arena = &res.arena;
        res.family = "deb";
        if (!out) {
                err = FP_EINVAL;
                goto out;
        }
        if (opts && opts->status_file)
                snprintf(status_path, sizeof(status_path), "%s", opts->status_file);
        else
                path_join(status_path, sizeof(status_path), root, "var/lib/dpkg/status");
        if (opts && opts->lists_dir)
                snprintf(lists_path, sizeof(lists_path), "%s", opts->lists_dir);
        else
                path_join(lists_path, sizeof(lists_path), root, "var/lib/apt/lists");

        err = read_aptconf(root, &conf, diag);
        if (err != FP_OK)
                goto out;
        err = read_prefs(root, &res.arena, &pins, diag);
        if (err != FP_OK)
                goto out;
        err = fp_read_file(status_path, FP_MAX_INDEX_SIZE, &status_buf, &status_len, diag);
        if (err != FP_OK)
                goto out;
        err = fp_dpkg_status_parse(status_buf, status_len, status_path, &res.arena, &status,
                                   diag);
        if (err != FP_OK)
                goto out;

        /* Native architecture: APT::Architecture, else the one dpkg itself is built for. */
        c.native = conf.native;
        for (size_t i = 0; !c.native && i < status.count; i++)
                if (strcmp(status.pkgs[i].name, "dpkg") == 0 &&
                    fp_deb_pkg_installed(&status.pkgs[i]) && status.pkgs[i].arch)
                        c.native = status.pkgs[i].arch;
        if (!c.native)
                c.native = FP_BUILD_ARCH;

        err = fp_apt_lists_find(lists_path, &res.arena, &lists, diag);
        if (err != FP_OK)
                goto out;
        lists.indexes[0].status = true;
        lists.indexes[0].site = "";
        lists.indexes[0].component = "now";
        lists.indexes[0].name = status_path;

        for (size_t i = 0; i < status.count; i++) {
                const struct fp_deb_pkg *p = &status.pkgs[i];
                struct fp_apt_pkg *pkg;
                size_t kl;
                if (!fp_deb_pkg_installed(p))
                        continue;
                kl = pkg_key(&c, p->name, p->arch);
                pkg = fp_strmap_get(&c.pkgs, c.key, kl);
                if (!pkg) {
                        char *key = fp_arena_strndup(&res.arena, c.key, kl);
                        pkg = fp_arena_alloc(&res.arena, sizeof(*pkg));
                        if (!key || !pkg) {
                                err = FP_ENOMEM;
                                goto out;
                        }
                        memset(pkg, 0, sizeof(*pkg));
                        pkg->name = p->name;
                        pkg->arch = key + strlen(p->name) + 1;
                        err = fp_strmap_put(&c.pkgs, key, kl, pkg);
                        if (err == FP_OK)
                                err = fp_strmap_put(&c.names, p->name, strlen(p->name), pkg);
                        if (err != FP_OK)
                                goto out;
                        res.installed_count++;
                }
                pkg->held = p->want == FP_WANT_HOLD;
                err = fp_apt_pkg_add(&res.arena, pkg, p, 0, true);
                if (err != FP_OK)
                        goto out;
        }

        for (size_t i = 1; i < lists.count; i++) {
                c.file = lists.paths[i];
                c.index = i;
                err = fp_apt_packages_stream(lists.paths[i], &c.names, on_stanza, &c, diag);
                if (err != FP_OK)
                        goto out;
        }

        err = fp_apt_policy_init(&pol, lists.indexes, lists.count, &pins, conf.default_release,
                                 c.native, diag);
        if (err != FP_OK)
                goto out;

        size_t pos = 0;
        const char *key;
        size_t keylen;
        void *val;
        while (fp_strmap_next(&c.pkgs, &pos, &key, &keylen, &val)) {
                const struct fp_apt_pkg *pkg = val;
                const struct fp_apt_ver *cand = fp_apt_candidate(&pol, pkg);
                struct fp_update u;
                if (!fp_apt_upgradable(pkg, cand))
                        continue;
                memset(&u, 0, sizeof(u));
                u.name = pkg->name;
                u.arch = cand->arch ? cand->arch : pkg->arch;
                u.installed = pkg->installed->version;
                u.candidate = cand->version;
                u.source_name = cand->source;
                u.source_version = cand->source_version;
                u.suites = suites_of(&res.arena, &lists, cand, &u.origin, &u.security);
                u.held = pkg->held;
                u.phased_percent = cand->phased;
                if (!u.suites) {
                        err = FP_ENOMEM;
                        goto out;
                }
                if (opts && opts->security_only && !u.security)
                        continue;
                if (res.count == cap) {
                        size_t nc = cap ? cap * 2 : 64;
                        struct fp_update *nu = fp_arena_alloc(&res.arena, nc * sizeof(*nu));
                        if (!nu) {
                                err = FP_ENOMEM;
                                goto out;
                        }
                        if (res.count)
                                memcpy(nu, res.updates, res.count * sizeof(*nu));
                        res.updates = nu;
                        cap = nc;
                }
                res.updates[res.count++] = u;
        }
        if (res.count)
                qsort(res.updates, res.count, sizeof(*res.updates), cmp_update);
        *out = res;
        memset(&res, 0, sizeof(res)); /* ownership moved to out */
out:
        fp_apt_policy_release(&pol);
        fp_apt_lists_release(&lists);
        fp_dpkg_status_release(&status);
        fp_pins_release(&pins);
        fp_strmap_release(&c.pkgs);
        fp_strmap_release(&c.names);
        free(status_buf);
        free(conf.default_release);
        free(conf.native);
        fp_arena_release(&res.arena);
        return err;
}
