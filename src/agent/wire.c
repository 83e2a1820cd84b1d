/*
 * Facts and inventories on the wire (fleetpatch/wire.h, docs/api.md). The parsers run on the
 * server over untrusted bodies: every member is known, typed and bounded, or the whole object
 * is refused with the JSON path of the first bad value in diag->field.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/wirecheck.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/wire.h"

/* ---- shared checks ---------------------------------------------------------------------- */

/*
 * A string member: a JSON string of at most max bytes without control characters (not even
 * tab or newline: these values end up in tables, logs and file names), copied to the arena.
 * Empty strings are refused when nonempty is set.
 */
static enum fp_err get_str(const json_t *v, const char *path, size_t max, bool nonempty,
                           struct fp_arena *a, const char **out, struct fp_diag *diag)
{
        if (!json_is_string(v))
                return fp_wire_bad(diag, FP_EPARSE, path, "expected a string, got %s",
                                   fp_wire_type_name(v));
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len > max)
                return fp_wire_bad(diag, FP_ELIMIT, path,
                                   "string of %zu bytes exceeds the limit of %zu", len, max);
        if (nonempty && len == 0)
                return fp_wire_bad(diag, FP_EPARSE, path, "must not be empty");
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return fp_wire_bad(diag, FP_EPARSE, path,
                                           "control character 0x%02x at offset %zu",
                                           (unsigned char)s[i], i);
        *out = fp_arena_strndup(a, s, len);
        return *out ? FP_OK : fp_wire_bad(diag, FP_ENOMEM, path, "out of memory");
}

/* "prefix.key", truncated to the diag's field size (a hostile key may be long). */

/* The index of key in names, or -1. */
static int member_index(const char *const *names, size_t n, const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], key) == 0)
                        return (int)i;
        return -1;
}

/* ---- facts ------------------------------------------------------------------------------ */

enum fact_member {
        F_HOSTNAME,
        F_OS_ID,
        F_OS_VERSION,
        F_OS_CODENAME,
        F_OS_PRETTY,
        F_ARCH,
        F_KERNEL_RUNNING,
        F_KERNELS_INSTALLED,
        F_BOOT_ID,
        F_MACHINE_ID,
        F_TIMEZONE,
        F_AGENT_VERSION,
        F_CLOUD,
        F__COUNT
};
static const char *const fact_names[F__COUNT] = {
    [F_HOSTNAME] = "hostname",
    [F_OS_ID] = "os_id",
    [F_OS_VERSION] = "os_version",
    [F_OS_CODENAME] = "os_codename",
    [F_OS_PRETTY] = "os_pretty",
    [F_ARCH] = "arch",
    [F_KERNEL_RUNNING] = "kernel_running",
    [F_KERNELS_INSTALLED] = "kernels_installed",
    [F_BOOT_ID] = "boot_id",
    [F_MACHINE_ID] = "machine_id",
    [F_TIMEZONE] = "timezone",
    [F_AGENT_VERSION] = "agent_version",
    [F_CLOUD] = "cloud",
};

enum cloud_member { C_PROVIDER, C_ACCOUNT, C_REGION, C_ZONE, C_INSTANCE, C__COUNT };
static const char *const cloud_names[C__COUNT] = {
    [C_PROVIDER] = "provider", [C_ACCOUNT] = "account",      [C_REGION] = "region",
    [C_ZONE] = "zone",         [C_INSTANCE] = "instance_id",
};

/* The string slot of a facts member (NULL for the array and the object). */
static const char **fact_slot(struct fp_facts *f, enum fact_member m)
{
        switch (m) {
        case F_HOSTNAME:
                return &f->hostname;
        case F_OS_ID:
                return &f->os_id;
        case F_OS_VERSION:
                return &f->os_version;
        case F_OS_CODENAME:
                return &f->os_codename;
        case F_OS_PRETTY:
                return &f->os_pretty;
        case F_ARCH:
                return &f->arch;
        case F_KERNEL_RUNNING:
                return &f->kernel_running;
        case F_BOOT_ID:
                return &f->boot_id;
        case F_MACHINE_ID:
                return &f->machine_id;
        case F_TIMEZONE:
                return &f->timezone;
        case F_AGENT_VERSION:
                return &f->agent_version;
        default:
                return NULL;
        }
}

static const char **cloud_slot(struct fp_facts *f, enum cloud_member m)
{
        switch (m) {
        case C_PROVIDER:
                return &f->cloud_provider;
        case C_ACCOUNT:
                return &f->cloud_account;
        case C_REGION:
                return &f->cloud_region;
        case C_ZONE:
                return &f->cloud_zone;
        default:
                return &f->cloud_instance;
        }
}

/*
 * An IANA zone name as a relative path of zoneinfo: "Europe/Berlin", "UTC", "Etc/GMT+1".
 * Whether the zone exists is the server's business (its zoneinfo); the shape keeps the name
 * safe to look up there.
 */
static bool tz_shape_ok(const char *s)
{
        if (!*s || *s == '/' || s[strlen(s) - 1] == '/')
                return false;
        for (const char *p = s; *p; p++) {
                bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                          (*p >= '0' && *p <= '9') || strchr("/_+-.", *p);
                if (!ok)
                        return false;
                if (*p == '/' && p[1] == '/')
                        return false;
                /* no "." or ".." component */
                if (*p == '.' && (p == s || p[-1] == '/'))
                        return false;
        }
        return true;
}

static enum fp_err parse_cloud(const json_t *obj, struct fp_facts *out, struct fp_diag *diag)
{
        const char *key;
        const json_t *v;
        char path[FP_DIAG_FIELD_MAX];

        if (!json_is_object(obj))
                return fp_wire_bad(diag, FP_EPARSE, "facts.cloud", "expected an object, got %s",
                                   fp_wire_type_name(obj));
        json_object_foreach((json_t *)obj, key, v)
        {
                fp_wire_member_path(path, sizeof(path), "facts.cloud", key);
                int m = member_index(cloud_names, C__COUNT, key);
                if (m < 0)
                        return fp_wire_bad(diag, FP_EPARSE, path, "unknown member");
                enum fp_err err = get_str(v, path, FP_MAX_FACT_LEN, false, &out->arena,
                                          cloud_slot(out, (enum cloud_member)m), diag);
                if (err != FP_OK)
                        return err;
        }
        return FP_OK;
}

static enum fp_err parse_kernels(const json_t *arr, struct fp_facts *out, struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];

        if (!json_is_array(arr))
                return fp_wire_bad(diag, FP_EPARSE, "facts.kernels_installed",
                                   "expected an array, got %s", fp_wire_type_name(arr));
        size_t n = json_array_size(arr);
        if (n > FP_MAX_FACT_KERNELS)
                return fp_wire_bad(diag, FP_ELIMIT, "facts.kernels_installed",
                                   "%zu items exceed the limit of %d", n, FP_MAX_FACT_KERNELS);
        const char **k = fp_arena_alloc(&out->arena, (n ? n : 1) * sizeof(*k));
        if (!k)
                return fp_wire_bad(diag, FP_ENOMEM, "facts.kernels_installed", "out of memory");
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "facts.kernels_installed[%zu]", i);
                enum fp_err err = get_str(json_array_get(arr, i), path, FP_MAX_FACT_LEN, true,
                                          &out->arena, &k[i], diag);
                if (err != FP_OK)
                        return err;
        }
        out->kernels_installed = k;
        out->kernel_count = n;
        return FP_OK;
}

enum fp_err fp_wire_facts_parse(const json_t *obj, struct fp_facts *out, struct fp_diag *diag)
{
        const char *key;
        const json_t *v;
        char path[FP_DIAG_FIELD_MAX];
        enum fp_err err = FP_OK;

        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        fp_diag_clear(diag);
        if (!json_is_object(obj)) {
                err = fp_wire_bad(diag, FP_EPARSE, "facts", "expected an object, got %s",
                                  obj ? fp_wire_type_name(obj) : "nothing");
                goto out;
        }
        json_object_foreach((json_t *)obj, key, v)
        {
                fp_wire_member_path(path, sizeof(path), "facts", key);
                int m = member_index(fact_names, F__COUNT, key);
                if (m < 0) {
                        err = fp_wire_bad(diag, FP_EPARSE, path, "unknown member");
                        goto out;
                }
                if (m == F_CLOUD)
                        err = parse_cloud(v, out, diag);
                else if (m == F_KERNELS_INSTALLED)
                        err = parse_kernels(v, out, diag);
                else
                        err = get_str(v, path, FP_MAX_FACT_LEN, m == F_HOSTNAME, &out->arena,
                                      fact_slot(out, (enum fact_member)m), diag);
                if (err != FP_OK)
                        goto out;
        }
        if (!out->hostname) {
                err = fp_wire_bad(diag, FP_EPARSE, "facts.hostname", "required member is missing");
                goto out;
        }
        if (out->timezone && !tz_shape_ok(out->timezone))
                err = fp_wire_bad(diag, FP_EPARSE, "facts.timezone",
                                  "'%s' is not an IANA zone name", out->timezone);
out:
        if (err != FP_OK)
                fp_facts_release(out);
        return err;
}

/* obj[key] = s when s is set; false on ENOMEM. */
static bool set_str(json_t *obj, const char *key, const char *s)
{
        if (!s)
                return true;
        return json_object_set_new(obj, key, json_string(s)) == 0;
}

json_t *fp_wire_facts_build(const struct fp_facts *f)
{
        json_t *o = json_object();
        bool ok = o != NULL;
        struct fp_facts *mf = (struct fp_facts *)f; /* the slot accessors only read here */

        for (int m = 0; ok && m < F__COUNT; m++) {
                const char **slot = fact_slot(mf, (enum fact_member)m);
                if (slot)
                        ok = set_str(o, fact_names[m], *slot);
        }
        if (ok && f->kernel_count) {
                json_t *k = json_array();
                ok = k && json_object_set_new(o, "kernels_installed", k) == 0;
                for (size_t i = 0; ok && i < f->kernel_count; i++)
                        ok = json_array_append_new(k, json_string(f->kernels_installed[i])) == 0;
        }
        if (ok && (f->cloud_provider || f->cloud_account || f->cloud_region || f->cloud_zone ||
                   f->cloud_instance)) {
                json_t *c = json_object();
                ok = c && json_object_set_new(o, "cloud", c) == 0;
                for (int m = 0; ok && m < C__COUNT; m++)
                        ok = set_str(c, cloud_names[m], *cloud_slot(mf, (enum cloud_member)m));
        }
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

void fp_facts_release(struct fp_facts *f)
{
        if (!f)
                return;
        fp_arena_release(&f->arena);
        memset(f, 0, sizeof(*f));
}

/* ---- inventory -------------------------------------------------------------------------- */

/* A version the family's own tool would accept. */
static enum fp_err check_version(enum fp_scheme scheme, const char *s, const char *path,
                                 struct fp_diag *diag)
{
        size_t len = strlen(s);

        if (scheme == FP_SCHEME_DEB) {
                struct fp_debver v;
                struct fp_diag d;
                fp_diag_clear(&d);
                if (fp_deb_version_parse(s, len, &v, &d) == FP_VERSION_ERROR)
                        return fp_wire_bad(diag, FP_EPARSE, path, "not a Debian version: %s",
                                           d.msg);
                return FP_OK;
        }
        /* RPM: [epoch:]version[-release]; rpm itself allows only these characters in version
         * and release, and the epoch is a number. */
        struct fp_rpmevr evr;
        if (fp_rpm_evr_parse(s, len, &evr, NULL) != FP_OK)
                return fp_wire_bad(diag, FP_ELIMIT, path, "EVR too long");
        if (evr.version_len == 0)
                return fp_wire_bad(diag, FP_EPARSE, path, "not an RPM EVR: empty version");
        for (size_t i = 0; evr.epoch && i < evr.epoch_len; i++)
                if (evr.epoch[i] < '0' || evr.epoch[i] > '9')
                        return fp_wire_bad(diag, FP_EPARSE, path,
                                           "not an RPM EVR: epoch is not a number");
        if (evr.epoch && evr.epoch_len == 0)
                return fp_wire_bad(diag, FP_EPARSE, path, "not an RPM EVR: empty epoch");
        if (evr.release && evr.release_len == 0)
                return fp_wire_bad(diag, FP_EPARSE, path, "not an RPM EVR: empty release");
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789._+~^";
        for (size_t i = 0; i < evr.version_len; i++)
                if (!strchr(allowed, evr.version[i]))
                        return fp_wire_bad(diag, FP_EPARSE, path,
                                           "not an RPM EVR: character '%c' in the version",
                                           evr.version[i]);
        for (size_t i = 0; evr.release && i < evr.release_len; i++)
                if (!strchr(allowed, evr.release[i]))
                        return fp_wire_bad(diag, FP_EPARSE, path,
                                           "not an RPM EVR: character '%c' in the release",
                                           evr.release[i]);
        return FP_OK;
}

enum pkg_member { P_NAME, P_ARCH, P_VERSION, P_SOURCE, P_SOURCE_VERSION, P_MODULE, P_KREL, P__N };
static const char *const pkg_names[P__N] = {
    [P_NAME] = "name",
    [P_ARCH] = "arch",
    [P_VERSION] = "version",
    [P_SOURCE] = "source",
    [P_SOURCE_VERSION] = "source_version",
    [P_MODULE] = "module",
    [P_KREL] = "kernel_release",
};
static const size_t pkg_limits[P__N] = {
    [P_NAME] = FP_MAX_NAME_LEN,
    [P_ARCH] = FP_MAX_NAME_LEN,
    [P_VERSION] = FP_MAX_VERSION_LEN,
    [P_SOURCE] = FP_MAX_NAME_LEN,
    [P_SOURCE_VERSION] = FP_MAX_VERSION_LEN,
    [P_MODULE] = FP_MAX_NAME_LEN,
    [P_KREL] = FP_MAX_FACT_LEN,
};

/* A package with its index in the request, so errors found after sorting name it. */
struct indexed_pkg {
        struct fp_inv_pkg p;
        size_t at;
};

static enum fp_err parse_pkg(const json_t *obj, size_t idx, const char *family,
                             enum fp_scheme scheme, struct fp_arena *a, struct fp_inv_pkg *p,
                             struct fp_diag *diag)
{
        char base[FP_DIAG_FIELD_MAX], path[FP_DIAG_FIELD_MAX];
        const char *v[P__N] = {0};
        const char *key;
        const json_t *val;
        enum fp_err err;

        snprintf(base, sizeof(base), "inventory.packages[%zu]", idx);
        if (!json_is_object(obj))
                return fp_wire_bad(diag, FP_EPARSE, base, "expected an object, got %s",
                                   fp_wire_type_name(obj));
        json_object_foreach((json_t *)obj, key, val)
        {
                fp_wire_member_path(path, sizeof(path), base, key);
                int m = member_index(pkg_names, P__N, key);
                if (m < 0)
                        return fp_wire_bad(diag, FP_EPARSE, path, "unknown member");
                /* arch may be empty: dpkg status entries without Architecture exist */
                err = get_str(val, path, pkg_limits[m], m != P_ARCH, a, &v[m], diag);
                if (err != FP_OK)
                        return err;
        }
        static const enum pkg_member required[] = {P_NAME, P_ARCH, P_VERSION};
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
                if (!v[required[i]]) {
                        fp_wire_member_path(path, sizeof(path), base, pkg_names[required[i]]);
                        return fp_wire_bad(diag, FP_EPARSE, path, "required member is missing");
                }
        }
        static const enum pkg_member versions[] = {P_VERSION, P_SOURCE_VERSION};
        for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
                enum pkg_member m = versions[i];
                if (!v[m])
                        continue;
                fp_wire_member_path(path, sizeof(path), base, pkg_names[m]);
                if ((err = check_version(scheme, v[m], path, diag)) != FP_OK)
                        return err;
        }
        *p = (struct fp_inv_pkg){
            .name = v[P_NAME],
            .arch = v[P_ARCH],
            .version = v[P_VERSION],
            .source = v[P_SOURCE] ? v[P_SOURCE] : v[P_NAME],
            .source_version = v[P_SOURCE_VERSION] ? v[P_SOURCE_VERSION] : v[P_VERSION],
            .module = v[P_MODULE],
        };
        /* Which packages are kernels is ours to say, not the sender's: the same rule as
         * fp_inventory_load, and a stated kernel_release must agree with it. */
        if (!fp_inv_kernel_release(family, p->name, p->arch, p->version, a, &p->kernel_release))
                return fp_wire_bad(diag, FP_ENOMEM, base, "out of memory");
        p->kernel = p->kernel_release != NULL;
        if (v[P_KREL] && (!p->kernel_release || strcmp(v[P_KREL], p->kernel_release) != 0)) {
                fp_wire_member_path(path, sizeof(path), base, "kernel_release");
                if (!p->kernel_release)
                        return fp_wire_bad(diag, FP_EPARSE, path, "'%s' is not a kernel package",
                                           p->name);
                return fp_wire_bad(diag, FP_EPARSE, path, "'%s' does not match the package ('%s')",
                                   v[P_KREL], p->kernel_release);
        }
        return FP_OK;
}

static int indexed_order(const void *a, const void *b)
{
        const struct indexed_pkg *x = a, *y = b;
        int c = strcmp(x->p.name, y->p.name);
        if (c)
                return c;
        c = strcmp(x->p.arch, y->p.arch);
        if (c)
                return c;
        c = strcmp(x->p.version, y->p.version);
        if (c)
                return c;
        return x->at < y->at ? -1 : x->at > y->at;
}

static enum fp_err parse_packages(const json_t *arr, struct fp_inventory *inv, struct fp_diag *diag)
{
        size_t n = json_array_size(arr);
        enum fp_err err = FP_OK;

        if (n > FP_MAX_WIRE_PACKAGES)
                return fp_wire_bad(diag, FP_ELIMIT, "inventory.packages",
                                   "%zu packages exceed the limit of %d", n, FP_MAX_WIRE_PACKAGES);
        struct indexed_pkg *tmp = calloc(n ? n : 1, sizeof(*tmp));
        inv->pkgs = calloc(n ? n : 1, sizeof(*inv->pkgs));
        if (!tmp || !inv->pkgs) {
                err = fp_wire_bad(diag, FP_ENOMEM, "inventory.packages", "out of memory");
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                tmp[i].at = i;
                err = parse_pkg(json_array_get(arr, i), i, inv->family, inv->scheme, &inv->arena,
                                &tmp[i].p, diag);
                if (err != FP_OK)
                        goto out;
        }
        qsort(tmp, n, sizeof(*tmp), indexed_order);
        /* dpkg holds one version per name:arch; rpm installs several kernels of one name and
         * arch side by side, but never the same EVR twice. */
        bool deb = inv->scheme == FP_SCHEME_DEB;
        for (size_t i = 1; i < n; i++) {
                const struct indexed_pkg *x = &tmp[i - 1], *y = &tmp[i];
                if (strcmp(x->p.name, y->p.name) != 0 || strcmp(x->p.arch, y->p.arch) != 0)
                        continue;
                if (!deb && strcmp(x->p.version, y->p.version) != 0)
                        continue;
                size_t first = x->at < y->at ? x->at : y->at, second = x->at ^ y->at ^ first;
                char path[FP_DIAG_FIELD_MAX];
                snprintf(path, sizeof(path), "inventory.packages[%zu]", second);
                err = fp_wire_bad(diag, FP_EPARSE, path, "duplicate of packages[%zu] (%s %s%s%s)",
                                  first, y->p.name, y->p.arch, deb ? "" : " ",
                                  deb ? "" : y->p.version);
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                inv->pkgs[i] = tmp[i].p;
        inv->count = n;
out:
        free(tmp);
        return err;
}

enum upd_member { U_NAME, U_ARCH, U_INSTALLED, U_CANDIDATE, U_ORIGIN, U_SECURITY, U__N };
static const char *const upd_names[U__N] = {
    [U_NAME] = "name",           [U_ARCH] = "arch",     [U_INSTALLED] = "installed",
    [U_CANDIDATE] = "candidate", [U_ORIGIN] = "origin", [U_SECURITY] = "security",
};

static enum fp_err parse_update(const json_t *obj, size_t idx, enum fp_scheme scheme,
                                struct fp_arena *a, struct fp_wire_update *u, struct fp_diag *diag)
{
        char base[FP_DIAG_FIELD_MAX], path[FP_DIAG_FIELD_MAX];
        const char *v[U__N] = {0};
        const char *key;
        const json_t *val;
        enum fp_err err;

        snprintf(base, sizeof(base), "inventory.updates[%zu]", idx);
        if (!json_is_object(obj))
                return fp_wire_bad(diag, FP_EPARSE, base, "expected an object, got %s",
                                   fp_wire_type_name(obj));
        memset(u, 0, sizeof(*u));
        json_object_foreach((json_t *)obj, key, val)
        {
                fp_wire_member_path(path, sizeof(path), base, key);
                int m = member_index(upd_names, U__N, key);
                if (m < 0)
                        return fp_wire_bad(diag, FP_EPARSE, path, "unknown member");
                if (m == U_SECURITY) {
                        if (!json_is_boolean(val))
                                return fp_wire_bad(diag, FP_EPARSE, path,
                                                   "expected a boolean, got %s",
                                                   fp_wire_type_name(val));
                        u->security = json_is_true(val);
                        continue;
                }
                size_t max =
                    m == U_INSTALLED || m == U_CANDIDATE ? FP_MAX_VERSION_LEN : FP_MAX_NAME_LEN;
                err = get_str(val, path, max, m != U_ARCH && m != U_ORIGIN, a, &v[m], diag);
                if (err != FP_OK)
                        return err;
        }
        for (int m = U_NAME; m <= U_CANDIDATE; m++) {
                fp_wire_member_path(path, sizeof(path), base, upd_names[m]);
                if (!v[m])
                        return fp_wire_bad(diag, FP_EPARSE, path, "required member is missing");
                if ((m == U_INSTALLED || m == U_CANDIDATE) &&
                    (err = check_version(scheme, v[m], path, diag)) != FP_OK)
                        return err;
        }
        u->name = v[U_NAME];
        u->arch = v[U_ARCH];
        u->installed = v[U_INSTALLED];
        u->candidate = v[U_CANDIDATE];
        u->origin = v[U_ORIGIN];
        return FP_OK;
}

static enum fp_err parse_updates(const json_t *arr, struct fp_wire_inventory *w,
                                 struct fp_diag *diag)
{
        size_t n = json_array_size(arr);

        if (n > FP_MAX_WIRE_UPDATES)
                return fp_wire_bad(diag, FP_ELIMIT, "inventory.updates",
                                   "%zu updates exceed the limit of %d", n, FP_MAX_WIRE_UPDATES);
        w->updates = calloc(n ? n : 1, sizeof(*w->updates));
        if (!w->updates)
                return fp_wire_bad(diag, FP_ENOMEM, "inventory.updates", "out of memory");
        for (size_t i = 0; i < n; i++) {
                enum fp_err err = parse_update(json_array_get(arr, i), i, w->inv.scheme,
                                               &w->inv.arena, &w->updates[i], diag);
                if (err != FP_OK)
                        return err;
                w->update_count = i + 1;
        }
        return FP_OK;
}

enum inv_member { I_FAMILY, I_DISTRO, I_RELEASE, I_PRETTY, I_RUNNING, I_PACKAGES, I_UPDATES, I__N };
static const char *const inv_names[I__N] = {
    [I_FAMILY] = "family",   [I_DISTRO] = "distro",          [I_RELEASE] = "release",
    [I_PRETTY] = "pretty",   [I_RUNNING] = "running_kernel", [I_PACKAGES] = "packages",
    [I_UPDATES] = "updates",
};

enum fp_err fp_wire_inventory_parse(const json_t *obj, struct fp_wire_inventory *out,
                                    struct fp_diag *diag)
{
        const json_t *member[I__N] = {0};
        const char *s[I__N] = {0};
        char path[FP_DIAG_FIELD_MAX];
        const char *key;
        const json_t *v;
        enum fp_err err = FP_OK;
        struct fp_inventory *inv = &out->inv;

        memset(out, 0, sizeof(*out));
        fp_arena_init(&inv->arena);
        fp_diag_clear(diag);
        if (!json_is_object(obj)) {
                err = fp_wire_bad(diag, FP_EPARSE, "inventory", "expected an object, got %s",
                                  obj ? fp_wire_type_name(obj) : "nothing");
                goto out;
        }
        /* Every member is looked at before the packages, whose checks need the family. */
        json_object_foreach((json_t *)obj, key, v)
        {
                fp_wire_member_path(path, sizeof(path), "inventory", key);
                int m = member_index(inv_names, I__N, key);
                if (m < 0) {
                        err = fp_wire_bad(diag, FP_EPARSE, path, "unknown member");
                        goto out;
                }
                member[m] = v;
                if (m == I_PACKAGES || m == I_UPDATES) {
                        if (!json_is_array(v)) {
                                err =
                                    fp_wire_bad(diag, FP_EPARSE, path, "expected an array, got %s",
                                                fp_wire_type_name(v));
                                goto out;
                        }
                        continue;
                }
                err = get_str(v, path, FP_MAX_FACT_LEN, m != I_PRETTY, &inv->arena, &s[m], diag);
                if (err != FP_OK)
                        goto out;
        }
        static const enum inv_member required[] = {I_FAMILY, I_DISTRO, I_RELEASE, I_PACKAGES};
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
                if (!member[required[i]]) {
                        fp_wire_member_path(path, sizeof(path), "inventory",
                                            inv_names[required[i]]);
                        err = fp_wire_bad(diag, FP_EPARSE, path, "required member is missing");
                        goto out;
                }
        }
        if (strcmp(s[I_FAMILY], "deb") == 0) {
                inv->family = "deb";
                inv->scheme = FP_SCHEME_DEB;
        } else if (strcmp(s[I_FAMILY], "rpm") == 0) {
                inv->family = "rpm";
                inv->scheme = FP_SCHEME_RPM;
        } else {
                err = fp_wire_bad(diag, FP_EPARSE, "inventory.family",
                                  "'%s' is neither deb nor rpm", s[I_FAMILY]);
                goto out;
        }
        inv->distro = s[I_DISTRO];
        inv->release = s[I_RELEASE];
        inv->pretty = s[I_PRETTY];
        inv->running_kernel = s[I_RUNNING];
        if ((err = parse_packages(member[I_PACKAGES], inv, diag)) != FP_OK)
                goto out;
        if (member[I_UPDATES])
                err = parse_updates(member[I_UPDATES], out, diag);
out:
        if (err != FP_OK)
                fp_wire_inventory_release(out);
        return err;
}

void fp_wire_inventory_release(struct fp_wire_inventory *w)
{
        if (!w)
                return;
        free(w->updates);
        fp_inventory_release(&w->inv);
        memset(w, 0, sizeof(*w));
}

static json_t *build_pkg(const struct fp_inv_pkg *p)
{
        json_t *o = json_object();
        bool ok = o && set_str(o, "name", p->name) && set_str(o, "arch", p->arch ? p->arch : "") &&
                  set_str(o, "version", p->version) && set_str(o, "source", p->source) &&
                  set_str(o, "source_version", p->source_version) &&
                  set_str(o, "module", p->module) &&
                  set_str(o, "kernel_release", p->kernel ? p->kernel_release : NULL);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *build_update(const struct fp_update *u)
{
        json_t *o = json_object();
        bool ok = o && set_str(o, "name", u->name) && set_str(o, "arch", u->arch ? u->arch : "") &&
                  set_str(o, "installed", u->installed) && set_str(o, "candidate", u->candidate) &&
                  set_str(o, "origin", u->origin) &&
                  json_object_set_new(o, "security", json_boolean(u->security)) == 0;
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *fp_wire_inventory_build(const struct fp_inventory *inv, const struct fp_scan_result *scan)
{
        json_t *o = json_object(), *pkgs = json_array();
        bool ok = o && pkgs && set_str(o, "family", inv->family) &&
                  set_str(o, "distro", inv->distro) && set_str(o, "release", inv->release) &&
                  set_str(o, "pretty", inv->pretty) &&
                  set_str(o, "running_kernel", inv->running_kernel) &&
                  json_object_set(o, "packages", pkgs) == 0;
        for (size_t i = 0; ok && i < inv->count; i++)
                ok = json_array_append_new(pkgs, build_pkg(&inv->pkgs[i])) == 0;
        if (ok && scan) {
                json_t *upd = json_array();
                ok = upd && json_object_set_new(o, "updates", upd) == 0;
                for (size_t i = 0; ok && i < scan->count; i++)
                        ok = json_array_append_new(upd, build_update(&scan->updates[i])) == 0;
        }
        json_decref(pkgs);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

bool fp_wire_hash(const json_t *v, char out[65])
{
        unsigned char h[crypto_hash_sha256_BYTES];

        out[0] = '\0';
        if (sodium_init() < 0)
                return false;
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        if (!s)
                return false;
        crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
        free(s);
        sodium_bin2hex(out, 65, h, sizeof(h));
        return true;
}
