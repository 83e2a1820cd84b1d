/* Installed packages, release and kernels of a host or image root (fleetpatch/inventory.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "agent/inventory/rpm_inventory.h"
#include "core/deb/packages.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/scan.h"
#include "fleetpatch/wire.h"

/* Debian release numbers as os-release and OSV give them ("Debian:7"). */
static const struct {
        const char *number, *codename;
} debian_releases[] = {
    {"1.1", "buzz"},    {"1.2", "rex"},     {"1.3", "bo"},    {"2.0", "hamm"},  {"2.1", "slink"},
    {"2.2", "potato"},  {"3.0", "woody"},   {"3.1", "sarge"}, {"4", "etch"},    {"5", "lenny"},
    {"6", "squeeze"},   {"7", "wheezy"},    {"8", "jessie"},  {"9", "stretch"}, {"10", "buster"},
    {"11", "bullseye"}, {"12", "bookworm"}, {"13", "trixie"}, {"14", "forky"},  {"15", "duke"},
};

const char *fp_debian_codename(const char *number)
{
        for (size_t i = 0; i < sizeof(debian_releases) / sizeof(debian_releases[0]); i++)
                if (number && strcmp(number, debian_releases[i].number) == 0)
                        return debian_releases[i].codename;
        return NULL;
}

/* os-release ID -> our distro name, its version scheme, and whether releases are majors. */
static const struct {
        const char *id, *distro;
        bool major_only;
} distros[] = {
    {"debian", "debian", false}, {"ubuntu", "ubuntu", false}, {"almalinux", "almalinux", true},
    {"rocky", "rocky", true},    {"rhel", "rhel", true},      {"ol", "oracle", true},
    {"amzn", "amazon", false},   {"centos", "centos", true},  {"fedora", "fedora", false},
    {"alpine", "alpine", false},
};

/* The first n bytes of s into out. */
static void copy_prefix(char *out, size_t outsz, const char *s, size_t n)
{
        if (n >= outsz)
                n = outsz - 1;
        memcpy(out, s, n);
        out[n] = '\0';
}

bool fp_release_normalize(const char *id, const char *version_id, const char *codename,
                          const char **distro, char *release, size_t relsz)
{
        *distro = NULL;
        release[0] = '\0';
        const char *v = version_id ? version_id : "";
        for (size_t i = 0; id && i < sizeof(distros) / sizeof(distros[0]); i++) {
                if (strcmp(id, distros[i].id) != 0)
                        continue;
                *distro = distros[i].distro;
                if (strcmp(id, "debian") == 0) {
                        /* testing/unstable have a code name but no VERSION_ID */
                        const char *c = codename && *codename ? codename : fp_debian_codename(v);
                        copy_prefix(release, relsz, c ? c : "", c ? strlen(c) : 0);
                } else if (strcmp(id, "alpine") == 0) {
                        /* "3.18.4" -> "3.18", the branch advisories name */
                        const char *dot = strchr(v, '.');
                        dot = dot ? strchr(dot + 1, '.') : NULL;
                        copy_prefix(release, relsz, v, dot ? (size_t)(dot - v) : strlen(v));
                } else if (distros[i].major_only) {
                        copy_prefix(release, relsz, v, strcspn(v, "."));
                } else {
                        copy_prefix(release, relsz, v, strlen(v));
                }
                return release[0] != '\0';
        }
        return false;
}

/* ---- os-release ---------------------------------------------------------------------------- */

struct os_release {
        char id[64], version_id[64], codename[64], pretty[256];
};

/* Value of one KEY=value line, unquoted ("..." with backslash escapes, or '...'). */
static void os_release_value(const char *v, char *out, size_t outsz)
{
        size_t n = 0;
        char quote = (*v == '"' || *v == '\'') ? *v++ : 0;
        for (; *v && *v != '\n' && n + 1 < outsz; v++) {
                if (quote && *v == quote)
                        break;
                if (quote == '"' && *v == '\\' && v[1])
                        v++;
                out[n++] = *v;
        }
        out[n] = '\0';
}

static bool read_os_release(const char *root, struct os_release *os)
{
        static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
        memset(os, 0, sizeof(*os));
        for (size_t i = 0; i < 2; i++) {
                char path[4096];
                char *data = NULL;
                size_t len;
                snprintf(path, sizeof(path), "%s%s", strcmp(root, "/") == 0 ? "" : root, paths[i]);
                if (fp_read_file(path, FP_MAX_CONFIG_SIZE, &data, &len, NULL) != FP_OK)
                        continue;
                for (char *line = data; line && *line; line = strchr(line, '\n'), line += !!line) {
                        if (strncmp(line, "ID=", 3) == 0)
                                os_release_value(line + 3, os->id, sizeof(os->id));
                        else if (strncmp(line, "VERSION_ID=", 11) == 0)
                                os_release_value(line + 11, os->version_id, sizeof(os->version_id));
                        else if (strncmp(line, "VERSION_CODENAME=", 17) == 0)
                                os_release_value(line + 17, os->codename, sizeof(os->codename));
                        else if (strncmp(line, "PRETTY_NAME=", 12) == 0)
                                os_release_value(line + 12, os->pretty, sizeof(os->pretty));
                }
                free(data);
                return os->id[0] != '\0';
        }
        return false;
}

/* ---- packages ------------------------------------------------------------------------------- */

struct pkg_list {
        struct fp_inventory *inv;
        size_t cap;
};

static enum fp_err push_pkg(struct pkg_list *l, const struct fp_inv_pkg *p)
{
        struct fp_inventory *inv = l->inv;
        if (inv->count == l->cap) {
                if (l->cap >= FP_MAX_PACKAGES)
                        return FP_ELIMIT;
                size_t cap = l->cap ? l->cap * 2 : 1024;
                struct fp_inv_pkg *n = realloc(inv->pkgs, cap * sizeof(*n));
                if (!n)
                        return FP_ENOMEM;
                inv->pkgs = n;
                l->cap = cap;
        }
        inv->pkgs[inv->count++] = *p;
        return FP_OK;
}

/*
 * Debian: a package built for one kernel ABI ("linux-image-6.1.0-13-amd64") runs only when
 * that ABI is `uname -r`. Meta packages ("linux-image-amd64") carry no ABI (no leading digit)
 * and are ordinary packages.
 */
static const char *deb_kernel_abi(const char *name)
{
        static const char *const prefixes[] = {"linux-image-", "linux-modules-extra-",
                                               "linux-modules-", "linux-headers-"};
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                size_t n = strlen(prefixes[i]);
                if (strncmp(name, prefixes[i], n) == 0 && name[n] >= '0' && name[n] <= '9')
                        return name + n;
        }
        return NULL;
}

/* RPM installonly kernel packages whose code runs only when booted. */
static bool rpm_kernel_package(const char *name)
{
        static const char *const names[] = {"kernel",
                                            "kernel-core",
                                            "kernel-modules",
                                            "kernel-modules-core",
                                            "kernel-modules-extra",
                                            "kernel-uek",
                                            "kernel-uek-core",
                                            "kernel-uek-modules",
                                            "kernel-rt",
                                            "kernel-rt-core",
                                            "kernel-rt-modules",
                                            "kernel-64k",
                                            "kernel-64k-core",
                                            "kernel-64k-modules"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(name, names[i]) == 0)
                        return true;
        return false;
}

bool fp_inv_kernel_release(const char *family, const char *name, const char *arch,
                           const char *version, struct fp_arena *a, const char **out)
{
        *out = NULL;
        if (!family || !name)
                return true;
        if (strcmp(family, "deb") == 0) {
                *out = deb_kernel_abi(name);
                return true;
        }
        if (strcmp(family, "rpm") != 0 || !rpm_kernel_package(name) || !version)
                return true;
        /* `uname -r` of an RPM kernel is version-release.arch, without the epoch */
        struct fp_rpmevr evr;
        if (fp_rpm_evr_parse(version, strlen(version), &evr, NULL) != FP_OK)
                return true;
        char buf[3 * FP_MAX_VERSION_LEN + 8];
        if (evr.release)
                snprintf(buf, sizeof(buf), "%.*s-%.*s.%s", (int)evr.version_len, evr.version,
                         (int)evr.release_len, evr.release, arch ? arch : "");
        else
                snprintf(buf, sizeof(buf), "%.*s.%s", (int)evr.version_len, evr.version,
                         arch ? arch : "");
        *out = fp_arena_strdup(a, buf);
        return *out != NULL;
}

static enum fp_err load_deb(const struct fp_inventory_opts *opts, struct fp_inventory *inv,
                            struct fp_diag *diag)
{
        char path[4096];
        const char *file = opts->status_file;
        if (!file) {
                snprintf(path, sizeof(path), "%s/var/lib/dpkg/status",
                         strcmp(opts->root, "/") == 0 ? "" : opts->root);
                file = path;
        }
        char *data = NULL;
        size_t len;
        enum fp_err err = fp_read_file(file, FP_MAX_INDEX_SIZE, &data, &len, diag);
        if (err != FP_OK)
                return err;
        struct fp_dpkg_status st = {0};
        err = fp_dpkg_status_parse(data, len, file, &inv->arena, &st, diag);
        struct pkg_list l = {inv, 0};
        for (size_t i = 0; err == FP_OK && i < st.count; i++) {
                const struct fp_deb_pkg *d = &st.pkgs[i];
                if (!fp_deb_pkg_installed(d))
                        continue;
                struct fp_inv_pkg p = {
                    .name = d->name,
                    .arch = d->arch ? d->arch : "",
                    .version = d->version,
                    .source = d->source ? d->source : d->name,
                    .source_version = d->source_version ? d->source_version : d->version,
                };
                /* Signed kernel images are rebuilt from linux-signed-<arch> with a "+N" source
                 * version; advisories speak of the source "linux" and the image's version. */
                if (strncmp(p.source, "linux-signed-", 13) == 0) {
                        p.source = "linux";
                        p.source_version = p.version;
                }
                /* a view into the name: cannot fail */
                (void)fp_inv_kernel_release("deb", p.name, p.arch, p.version, &inv->arena,
                                            &p.kernel_release);
                p.kernel = p.kernel_release != NULL;
                err = push_pkg(&l, &p);
        }
        fp_dpkg_status_release(&st);
        free(data);
        return err;
}

/* "openssl-3.0.7-27.el9.src.rpm" -> "openssl" */
static const char *srpm_name(struct fp_arena *a, const char *srpm, const char *fallback)
{
        if (!srpm || !*srpm || strcmp(srpm, "(none)") == 0)
                return fallback;
        const char *end = srpm + strlen(srpm);
        for (int dashes = 0; end > srpm && dashes < 2;) {
                end--;
                if (*end == '-')
                        dashes++;
        }
        return end > srpm ? fp_arena_strndup(a, srpm, (size_t)(end - srpm)) : fallback;
}

struct rpm_ctx {
        struct pkg_list l;
};

static enum fp_err rpm_pkg(void *ud, const struct fp_rpm_pkg *r, struct fp_diag *diag)
{
        struct rpm_ctx *c = ud;
        struct fp_arena *a = &c->l.inv->arena;
        char buf[3 * FP_MAX_VERSION_LEN + 8];
        if (strcmp(r->epoch, "0") == 0)
                snprintf(buf, sizeof(buf), "%s-%s", r->version, r->release);
        else
                snprintf(buf, sizeof(buf), "%s:%s-%s", r->epoch, r->version, r->release);
        struct fp_inv_pkg p = {
            .name = fp_arena_strdup(a, r->name),
            .arch = fp_arena_strdup(a, r->arch),
            .version = fp_arena_strdup(a, buf),
        };
        if (!p.name || !p.arch || !p.version)
                return FP_ENOMEM;
        p.source = srpm_name(a, r->sourcerpm, p.name);
        p.source_version = p.version;
        if (!fp_inv_kernel_release("rpm", p.name, p.arch, p.version, a, &p.kernel_release))
                return FP_ENOMEM;
        p.kernel = p.kernel_release != NULL;
        return push_pkg(&c->l, &p);
}

static int pkg_order(const void *a, const void *b)
{
        const struct fp_inv_pkg *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        if (c)
                return c;
        c = strcmp(x->arch, y->arch);
        return c ? c : strcmp(x->version, y->version);
}

enum fp_err fp_inventory_load(const struct fp_inventory_opts *opts, struct fp_inventory *out,
                              struct fp_diag *diag)
{
        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        const char *root = opts->root ? opts->root : "/";
        struct fp_inventory_opts o = *opts;
        o.root = root;

        struct os_release os;
        bool have_os = read_os_release(root, &os);
        if (opts->release) {
                const char *colon = strchr(opts->release, ':');
                if (!colon || colon == opts->release || !colon[1]) {
                        fp_diag_set(diag, NULL, 0, "release",
                                    "'%s' is not DISTRO:RELEASE (e.g. debian:bookworm)",
                                    opts->release);
                        return FP_EINVAL;
                }
                out->distro =
                    fp_arena_strndup(&out->arena, opts->release, (size_t)(colon - opts->release));
                out->release = fp_arena_strdup(&out->arena, colon + 1);
        } else if (have_os) {
                const char *d;
                char r[64];
                if (!fp_release_normalize(os.id, os.version_id, os.codename, &d, r, sizeof(r))) {
                        fp_diag_set(diag, root, 0, "os-release",
                                    "distribution '%s' version '%s' is not one fleetpatch knows",
                                    os.id, os.version_id);
                        return FP_EUNSUPPORTED;
                }
                out->distro = d;
                out->release = fp_arena_strdup(&out->arena, r);
                out->pretty = fp_arena_strdup(&out->arena, os.pretty);
        } else {
                fp_diag_set(
                    diag, root, 0, "os-release",
                    "no etc/os-release or usr/lib/os-release; say --release DISTRO:RELEASE");
                return FP_ENOENT;
        }

        const char *family = opts->status_file ? "deb" : fp_scan_detect_family(root);
        enum fp_err err;
        if (family && strcmp(family, "deb") == 0) {
                out->family = "deb";
                out->scheme = FP_SCHEME_DEB;
                err = load_deb(&o, out, diag);
        } else if (family && strcmp(family, "rpm") == 0) {
                out->family = "rpm";
                out->scheme = FP_SCHEME_RPM;
                struct rpm_ctx c = {{out, 0}};
                err = fp_rpm_db_read(root, rpm_pkg, &c, diag);
        } else {
                fp_diag_set(diag, root, 0, NULL, "neither a dpkg status nor an rpm database found");
                err = FP_ENOENT;
        }
        if (err != FP_OK) {
                fp_inventory_release(out);
                return err;
        }
        if (out->count > 1) /* an empty database has no array (qsort wants one) */
                qsort(out->pkgs, out->count, sizeof(*out->pkgs), pkg_order);

        if (opts->running_kernel) {
                out->running_kernel = *opts->running_kernel
                                          ? fp_arena_strdup(&out->arena, opts->running_kernel)
                                          : NULL;
        } else if (strcmp(root, "/") == 0) {
                struct utsname u;
                if (uname(&u) == 0)
                        out->running_kernel = fp_arena_strdup(&out->arena, u.release);
        }
        return FP_OK;
}

void fp_inventory_release(struct fp_inventory *inv)
{
        free(inv->pkgs);
        inv->pkgs = NULL;
        inv->count = 0;
        fp_arena_release(&inv->arena);
}
