/*
 * Job types and parameters (fleetpatch/jobwire.h, docs/jobs.md). The server runs this parser
 * on what users queue and the agent runs it again on what it is told to do, so it is strict:
 * every member is known, typed and bounded, or the whole params object is refused with the
 * JSON path of the first bad value in diag->field.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/wirecheck.h"
#include "fleetpatch/jobwire.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"

static const char *const type_names[] = {
    [FP_JOBT_SCAN] = "scan",
    [FP_JOBT_INSTALL] = "install",
    [FP_JOBT_UPGRADE_APPROVED] = "upgrade-approved",
    [FP_JOBT_ROLLBACK] = "rollback",
    [FP_JOBT_REBOOT] = "reboot",
    [FP_JOBT_HOOK] = "hook",
};
#define TYPE_COUNT (sizeof(type_names) / sizeof(type_names[0]))

const char *fp_job_type_name(enum fp_job_type t)
{
        return (size_t)t < TYPE_COUNT ? type_names[t] : "?";
}

bool fp_job_type_parse(const char *s, enum fp_job_type *out)
{
        if (!s)
                return false;
        for (size_t i = 0; i < TYPE_COUNT; i++) {
                if (strcmp(s, type_names[i]) == 0) {
                        *out = (enum fp_job_type)i;
                        return true;
                }
        }
        /* the issue-5 name: servers and queued jobs from before issue 6 still use it */
        if (strcmp(s, "rescan") == 0) {
                *out = FP_JOBT_SCAN;
                return true;
        }
        return false;
}

static const char *const reboot_names[] = {
    [FP_REBOOT_NEVER] = "never",
    [FP_REBOOT_IF_NEEDED] = "if-needed",
    [FP_REBOOT_ALWAYS] = "always",
};

const char *fp_reboot_policy_name(enum fp_reboot_policy p)
{
        return (size_t)p < sizeof(reboot_names) / sizeof(reboot_names[0]) ? reboot_names[p] : "?";
}

/* ---- shared checks ---------------------------------------------------------------------- */

/*
 * A nonempty JSON string of at most max bytes without control characters (these values go
 * into argv of the package manager, the journal's file and the logs), copied to the arena.
 */
static enum fp_err get_str(const json_t *v, const char *path, size_t max, struct fp_arena *a,
                           const char **out, struct fp_diag *diag)
{
        if (!json_is_string(v))
                return fp_wire_bad(diag, FP_EPARSE, path, "expected a string, got %s",
                                   fp_wire_type_name(v));
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len > max)
                return fp_wire_bad(diag, FP_ELIMIT, path,
                                   "string of %zu bytes exceeds the limit of %zu", len, max);
        if (len == 0)
                return fp_wire_bad(diag, FP_EPARSE, path, "must not be empty");
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return fp_wire_bad(diag, FP_EPARSE, path,
                                           "control character 0x%02x at offset %zu",
                                           (unsigned char)s[i], i);
        *out = fp_arena_strndup(a, s, len);
        return *out ? FP_OK : fp_wire_bad(diag, FP_ENOMEM, path, "out of memory");
}

static enum fp_err get_bool(const json_t *v, const char *path, bool *out, struct fp_diag *diag)
{
        if (!json_is_boolean(v))
                return fp_wire_bad(diag, FP_EPARSE, path, "expected a boolean, got %s",
                                   fp_wire_type_name(v));
        *out = json_is_true(v);
        return FP_OK;
}

/* "prefix.key", truncated to the diag's field size (a hostile key may be long). */

static bool is_deb(const char *family)
{
        return family && strcmp(family, "deb") == 0;
}

bool fp_job_pkg_name_ok(const char *family, const char *name)
{
        size_t len = name ? strlen(name) : 0;

        if (len == 0 || len > FP_MAX_NAME_LEN)
                return false;
        if (is_deb(family)) {
                if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
                        return false;
                for (const char *p = name; *p; p++)
                        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
                              *p == '.' || *p == '-'))
                                return false;
                return true;
        }
        /* RPM, and a family not known yet: every Debian name passes these rules too, so
         * "valid in either" is the RPM rule. Printable ASCII only: a name is an argv word. */
        if (name[0] == '-')
                return false;
        for (const char *p = name; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '/')
                        return false;
        return true;
}

bool fp_job_hook_name_ok(const char *name)
{
        size_t len = name ? strlen(name) : 0;

        if (len == 0 || len > FP_MAX_HOOK_NAME)
                return false;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                        return false;
        return true;
}

bool fp_job_blocked_pattern_ok(const char *family, const char *pattern)
{
        size_t len = pattern ? strlen(pattern) : 0;
        char probe[FP_MAX_NAME_LEN + 1];

        if (len == 0 || len > FP_MAX_NAME_LEN || strpbrk(pattern, "[]\\="))
                return false;
        /* the wildcards stand for name characters: check the name rule with them as 'a' */
        for (size_t i = 0; i <= len; i++)
                probe[i] = pattern[i] == '*' || pattern[i] == '?' ? 'a' : pattern[i];
        return fp_job_pkg_name_ok(family, probe);
}

const char *fp_job_blocked_match(const struct fp_job_params *p, const char *name)
{
        for (size_t i = 0; name && i < p->blocked_count; i++)
                if (fnmatch(p->blocked[i], name, FNM_NOESCAPE) == 0)
                        return p->blocked[i];
        return NULL;
}

/* An RPM EVR as rpm itself would write it: a numeric epoch, version and release of rpm's
 * version characters. NULL when fine, else why not. */
static const char *rpm_evr_problem(const char *s)
{
        struct fp_rpmevr evr;
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789._+~^";

        if (fp_rpm_evr_parse(s, strlen(s), &evr, NULL) != FP_OK)
                return "EVR too long";
        if (evr.version_len == 0)
                return "empty version";
        if (evr.epoch && evr.epoch_len == 0)
                return "empty epoch";
        for (size_t i = 0; evr.epoch && i < evr.epoch_len; i++)
                if (evr.epoch[i] < '0' || evr.epoch[i] > '9')
                        return "epoch is not a number";
        if (evr.release && evr.release_len == 0)
                return "empty release";
        for (size_t i = 0; i < evr.version_len; i++)
                if (!strchr(allowed, evr.version[i]))
                        return "bad character in the version";
        for (size_t i = 0; evr.release && i < evr.release_len; i++)
                if (!strchr(allowed, evr.release[i]))
                        return "bad character in the release";
        return NULL;
}

/* The family's own tool would accept the version; no blanks at all, because the agent names
 * the exact version to the package manager and compares it with the database byte for byte
 * (dpkg would trim them, so " 1.0" would never verify). */
static enum fp_err check_version(const char *family, const char *s, const char *path,
                                 struct fp_diag *diag)
{
        if (strchr(s, ' '))
                return fp_wire_bad(diag, FP_EPARSE, path, "blank in a version");
        struct fp_debver dv;
        struct fp_diag dd;
        fp_diag_clear(&dd);
        bool deb_ok = fp_deb_version_parse(s, strlen(s), &dv, &dd) != FP_VERSION_ERROR;
        /* dpkg only warns about other characters, but dpkg-deb refuses to build such a
         * package, so no repository offers one: a job naming it is malformed. A version not
         * starting with a digit is only warned about too, and such packages do exist. */
        if (deb_ok && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789.+-~:") != strlen(s)) {
                deb_ok = false;
                snprintf(dd.msg, sizeof(dd.msg), "invalid character in version number");
        }
        const char *rpm_why = rpm_evr_problem(s);

        if (is_deb(family)) {
                if (!deb_ok)
                        return fp_wire_bad(diag, FP_EPARSE, path, "not a Debian version: %s",
                                           dd.msg);
        } else if (family) {
                if (rpm_why)
                        return fp_wire_bad(diag, FP_EPARSE, path, "not an RPM EVR: %s", rpm_why);
        } else if (!deb_ok && rpm_why) {
                return fp_wire_bad(diag, FP_EPARSE, path,
                                   "neither a Debian version (%s) nor an RPM EVR (%s)", dd.msg,
                                   rpm_why);
        }
        return FP_OK;
}

/* Architecture names of both families: "amd64", "all", "x86_64", "noarch", "armhf". */
static bool arch_ok(const char *s)
{
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
                        return false;
        return true;
}

/* ---- packages --------------------------------------------------------------------------- */

static enum fp_err parse_pkg(const json_t *obj, size_t idx, const char *family,
                             struct fp_job_params *out, struct fp_job_pkg *pkg,
                             struct fp_diag *diag)
{
        char base[FP_DIAG_FIELD_MAX], path[FP_DIAG_FIELD_MAX];
        const char *key;
        const json_t *v;
        enum fp_err err;

        snprintf(base, sizeof(base), "params.packages[%zu]", idx);
        if (!json_is_object(obj))
                return fp_wire_bad(diag, FP_EPARSE, base, "expected an object, got %s",
                                   fp_wire_type_name(obj));
        memset(pkg, 0, sizeof(*pkg));
        json_object_foreach((json_t *)obj, key, v)
        {
                fp_wire_member_path(path, sizeof(path), base, key);
                if (strcmp(key, "name") == 0) {
                        err = get_str(v, path, FP_MAX_NAME_LEN, &out->arena, &pkg->name, diag);
                        if (err != FP_OK)
                                return err;
                        if (!fp_job_pkg_name_ok(family, pkg->name))
                                return fp_wire_bad(diag, FP_EPARSE, path, "not a %s package name",
                                                   is_deb(family) ? "Debian" : "valid");
                } else if (strcmp(key, "version") == 0) {
                        err =
                            get_str(v, path, FP_MAX_VERSION_LEN, &out->arena, &pkg->version, diag);
                        if (err != FP_OK)
                                return err;
                        err = check_version(family, pkg->version, path, diag);
                        if (err != FP_OK)
                                return err;
                } else if (strcmp(key, "arch") == 0) {
                        err = get_str(v, path, FP_MAX_NAME_LEN, &out->arena, &pkg->arch, diag);
                        if (err != FP_OK)
                                return err;
                        if (!arch_ok(pkg->arch))
                                return fp_wire_bad(diag, FP_EPARSE, path,
                                                   "not an architecture name");
                } else {
                        return fp_wire_bad(diag, FP_EPARSE, path, "unknown member");
                }
        }
        if (!pkg->name)
                return fp_wire_bad(diag, FP_EPARSE, base, "missing member \"name\"");
        if (!pkg->version)
                return fp_wire_bad(diag, FP_EPARSE, base, "missing member \"version\"");
        return FP_OK;
}

struct indexed {
        const struct fp_job_pkg *p;
        size_t idx;
};

static int indexed_order(const void *a, const void *b)
{
        const struct indexed *x = a, *y = b;
        int c = strcmp(x->p->name, y->p->name);
        if (c)
                return c;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static enum fp_err parse_packages(const json_t *arr, const char *family, struct fp_job_params *out,
                                  struct fp_diag *diag)
{
        if (!json_is_array(arr))
                return fp_wire_bad(diag, FP_EPARSE, "params.packages", "expected an array, got %s",
                                   fp_wire_type_name(arr));
        size_t n = json_array_size(arr);
        if (n == 0)
                return fp_wire_bad(diag, FP_EPARSE, "params.packages", "must not be empty");
        if (n > FP_MAX_JOB_PACKAGES)
                return fp_wire_bad(diag, FP_ELIMIT, "params.packages",
                                   "%zu packages exceed the limit of %d", n, FP_MAX_JOB_PACKAGES);
        out->pkgs = fp_arena_alloc(&out->arena, n * sizeof(*out->pkgs));
        if (!out->pkgs)
                return fp_wire_bad(diag, FP_ENOMEM, "params.packages", "out of memory");
        for (size_t i = 0; i < n; i++) {
                enum fp_err err =
                    parse_pkg(json_array_get(arr, i), i, family, out, &out->pkgs[i], diag);
                if (err != FP_OK)
                        return err;
        }
        out->pkg_count = n;

        /* A name twice with the same arch (or once without an arch, which means "the one
         * installed") asks for two versions of one package: refused, it cannot be verified. */
        struct indexed *ix = malloc(n * sizeof(*ix));
        if (!ix)
                return fp_wire_bad(diag, FP_ENOMEM, "params.packages", "out of memory");
        for (size_t i = 0; i < n; i++)
                ix[i] = (struct indexed){&out->pkgs[i], i};
        qsort(ix, n, sizeof(*ix), indexed_order);
        enum fp_err err = FP_OK;
        for (size_t i = 0; i < n && err == FP_OK; i++) {
                for (size_t j = i + 1; j < n && strcmp(ix[i].p->name, ix[j].p->name) == 0; j++) {
                        const char *a = ix[i].p->arch, *b = ix[j].p->arch;
                        if (!a || !b || strcmp(a, b) == 0) {
                                char path[FP_DIAG_FIELD_MAX];
                                size_t later = ix[i].idx > ix[j].idx ? ix[i].idx : ix[j].idx;
                                size_t first = ix[i].idx < ix[j].idx ? ix[i].idx : ix[j].idx;
                                snprintf(path, sizeof(path), "params.packages[%zu]", later);
                                err = fp_wire_bad(
                                    diag, FP_EPARSE, path,
                                    "package %s named twice (also params.packages[%zu])",
                                    ix[i].p->name, first);
                                break;
                        }
                }
        }
        free(ix);
        return err;
}

/* ---- blocked ---------------------------------------------------------------------------- */

static enum fp_err parse_blocked(const json_t *arr, const char *family, struct fp_job_params *out,
                                 struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];
        if (!json_is_array(arr))
                return fp_wire_bad(diag, FP_EPARSE, "params.blocked", "expected an array, got %s",
                                   fp_wire_type_name(arr));
        size_t n = json_array_size(arr);
        if (n > FP_MAX_JOB_BLOCKED)
                return fp_wire_bad(diag, FP_ELIMIT, "params.blocked",
                                   "%zu patterns exceed the limit of %d", n, FP_MAX_JOB_BLOCKED);
        out->blocked = fp_arena_alloc(&out->arena, (n ? n : 1) * sizeof(*out->blocked));
        if (!out->blocked)
                return fp_wire_bad(diag, FP_ENOMEM, "params.blocked", "out of memory");
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "params.blocked[%zu]", i);
                const char *s = NULL;
                enum fp_err err =
                    get_str(json_array_get(arr, i), path, FP_MAX_NAME_LEN, &out->arena, &s, diag);
                if (err != FP_OK)
                        return err;
                if (!fp_job_blocked_pattern_ok(family, s))
                        return fp_wire_bad(diag, FP_EPARSE, path,
                                           "not a %s package name pattern (* and ? only)",
                                           is_deb(family) ? "Debian" : "valid");
                for (size_t j = 0; j < i; j++)
                        if (strcmp(out->blocked[j], s) == 0)
                                return fp_wire_bad(diag, FP_EPARSE, path,
                                                   "pattern %s named twice (also "
                                                   "params.blocked[%zu])",
                                                   s, j);
                out->blocked[i] = s;
                out->blocked_count = i + 1;
        }
        return FP_OK;
}

/* ---- params ----------------------------------------------------------------------------- */

enum member {
        M_REFRESH,
        M_PACKAGES,
        M_ALLOW_REMOVE,
        M_ALLOW_DOWNGRADE,
        M_SIMULATE,
        M_REBOOT,
        M_JOB,
        M_FORCE,
        M_NAME,
        M_BLOCKED,
        M__COUNT
};
static const char *const member_names[M__COUNT] = {
    [M_REFRESH] = "refresh",
    [M_PACKAGES] = "packages",
    [M_ALLOW_REMOVE] = "allow_remove",
    [M_ALLOW_DOWNGRADE] = "allow_downgrade",
    [M_SIMULATE] = "simulate",
    [M_REBOOT] = "reboot",
    [M_JOB] = "job",
    [M_FORCE] = "force",
    [M_NAME] = "name",
    [M_BLOCKED] = "blocked",
};

/* The members each type takes (bit per enum member). A rollback takes allow_* too: a rollback
 * by packages may need them when dependencies moved since. */
static unsigned allowed_members(enum fp_job_type t)
{
        const unsigned txn = 1u << M_PACKAGES | 1u << M_ALLOW_REMOVE | 1u << M_ALLOW_DOWNGRADE |
                             1u << M_SIMULATE | 1u << M_REBOOT;
        switch (t) {
        case FP_JOBT_SCAN:
                return 1u << M_REFRESH;
        case FP_JOBT_INSTALL:
        case FP_JOBT_UPGRADE_APPROVED:
                return txn | 1u << M_BLOCKED;
        case FP_JOBT_ROLLBACK:
                return txn | 1u << M_JOB;
        case FP_JOBT_REBOOT:
                return 1u << M_FORCE;
        case FP_JOBT_HOOK:
                return 1u << M_NAME;
        }
        return 0;
}

static bool hex16(const char *s)
{
        return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

static enum fp_err parse_member(enum member m, const json_t *v, const char *path,
                                const char *family, struct fp_job_params *out, struct fp_diag *diag)
{
        enum fp_err err;
        const char *s = NULL;

        switch (m) {
        case M_REFRESH:
                return get_bool(v, path, &out->refresh, diag);
        case M_PACKAGES:
                return parse_packages(v, family, out, diag);
        case M_ALLOW_REMOVE:
                return get_bool(v, path, &out->allow_remove, diag);
        case M_ALLOW_DOWNGRADE:
                return get_bool(v, path, &out->allow_downgrade, diag);
        case M_SIMULATE:
                return get_bool(v, path, &out->simulate, diag);
        case M_FORCE:
                return get_bool(v, path, &out->force, diag);
        case M_REBOOT:
                err = get_str(v, path, 16, &out->arena, &s, diag);
                if (err != FP_OK || !s)
                        return err != FP_OK ? err : FP_ENOMEM;
                for (size_t i = 0; i < sizeof(reboot_names) / sizeof(reboot_names[0]); i++) {
                        if (strcmp(s, reboot_names[i]) == 0) {
                                out->reboot = (enum fp_reboot_policy)i;
                                return FP_OK;
                        }
                }
                return fp_wire_bad(diag, FP_EPARSE, path, "expected never, if-needed or always");
        case M_JOB:
                err = get_str(v, path, 16, &out->arena, &out->rollback_job, diag);
                if (err != FP_OK)
                        return err;
                if (!hex16(out->rollback_job))
                        return fp_wire_bad(diag, FP_EPARSE, path, "not a job id (16 hex digits)");
                return FP_OK;
        case M_NAME:
                err = get_str(v, path, FP_MAX_HOOK_NAME, &out->arena, &out->hook, diag);
                if (err != FP_OK)
                        return err;
                if (!fp_job_hook_name_ok(out->hook))
                        return fp_wire_bad(diag, FP_EPARSE, path,
                                           "not a hook name ([a-z0-9][a-z0-9-]*)");
                return FP_OK;
        case M_BLOCKED:
                return parse_blocked(v, family, out, diag);
        case M__COUNT:
                break;
        }
        return fp_wire_bad(diag, FP_EPARSE, path, "unknown member");
}

static enum fp_err params_parse(enum fp_job_type t, const json_t *params, const char *family,
                                struct fp_job_params *out, struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];
        const char *key;
        const json_t *v;
        enum fp_err err;

        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        out->type = t;
        out->refresh = true;
        out->reboot = FP_REBOOT_NEVER;
        if (family && strcmp(family, "deb") != 0 && strcmp(family, "rpm") != 0)
                return fp_wire_bad(diag, FP_EINVAL, "params", "unknown package family \"%s\"",
                                   family);
        if ((size_t)t >= TYPE_COUNT)
                return fp_wire_bad(diag, FP_EINVAL, "type", "unknown job type %d", (int)t);
        /* JSON null is {} too: jobs queued before issue 6 (rescan) carried no params */
        if (params && !json_is_null(params) && !json_is_object(params))
                return fp_wire_bad(diag, FP_EPARSE, "params", "expected an object, got %s",
                                   fp_wire_type_name(params));
        unsigned allowed = allowed_members(t);
        unsigned seen = 0;
        if (params && json_is_object(params)) {
                json_object_foreach((json_t *)params, key, v)
                {
                        fp_wire_member_path(path, sizeof(path), "params", key);
                        int m = -1;
                        for (int i = 0; i < M__COUNT; i++)
                                if (strcmp(key, member_names[i]) == 0)
                                        m = i;
                        if (m < 0 || !(allowed & 1u << m))
                                return fp_wire_bad(diag, FP_EPARSE, path,
                                                   "unknown member for a %s job",
                                                   fp_job_type_name(t));
                        seen |= 1u << m;
                        err = parse_member((enum member)m, v, path, family, out, diag);
                        if (err != FP_OK)
                                return err;
                }
        }
        switch (t) {
        case FP_JOBT_INSTALL:
        case FP_JOBT_UPGRADE_APPROVED:
                if (!(seen & 1u << M_PACKAGES))
                        return fp_wire_bad(diag, FP_EPARSE, "params.packages", "missing member");
                break;
        case FP_JOBT_ROLLBACK:
                if (!(seen & (1u << M_PACKAGES | 1u << M_JOB)))
                        return fp_wire_bad(
                            diag, FP_EPARSE, "params.job",
                            "missing member (a rollback needs \"job\" or \"packages\")");
                if ((seen & 1u << M_PACKAGES) && (seen & 1u << M_JOB))
                        return fp_wire_bad(diag, FP_EPARSE, "params.packages",
                                           "a rollback takes \"job\" or \"packages\", not both");
                break;
        case FP_JOBT_HOOK:
                if (!out->hook)
                        return fp_wire_bad(diag, FP_EPARSE, "params.name", "missing member");
                break;
        default:
                break;
        }
        return FP_OK;
}

enum fp_err fp_job_params_parse(enum fp_job_type t, const json_t *params, const char *family,
                                struct fp_job_params *out, struct fp_diag *diag)
{
        enum fp_err err = params_parse(t, params, family, out, diag);
        /* what was parsed before the error is freed here: callers release only a success */
        if (err != FP_OK)
                fp_job_params_release(out);
        return err;
}

/* ---- build ------------------------------------------------------------------------------ */

static bool set(json_t *obj, const char *key, json_t *v)
{
        return v && json_object_set_new(obj, key, v) == 0;
}

json_t *fp_job_params_build(const struct fp_job_params *p)
{
        json_t *o = json_object();
        if (!o)
                return NULL;
        bool ok = true;
        bool txn = false;

        switch (p->type) {
        case FP_JOBT_SCAN:
                ok = set(o, "refresh", json_boolean(p->refresh));
                break;
        case FP_JOBT_ROLLBACK:
                if (p->rollback_job)
                        ok = set(o, "job", json_string(p->rollback_job));
                txn = true;
                break;
        case FP_JOBT_INSTALL:
        case FP_JOBT_UPGRADE_APPROVED:
                txn = true;
                break;
        case FP_JOBT_REBOOT:
                ok = set(o, "force", json_boolean(p->force));
                break;
        case FP_JOBT_HOOK:
                ok = set(o, "name", json_string(p->hook ? p->hook : ""));
                break;
        }
        if (ok && txn && (p->type != FP_JOBT_ROLLBACK || !p->rollback_job)) {
                json_t *arr = json_array();
                ok = set(o, "packages", arr);
                for (size_t i = 0; ok && i < p->pkg_count; i++) {
                        const struct fp_job_pkg *k = &p->pkgs[i];
                        json_t *e = json_object();
                        ok = e && json_array_append_new(arr, e) == 0 &&
                             set(e, "name", json_string(k->name)) &&
                             set(e, "version", json_string(k->version)) &&
                             (!k->arch || set(e, "arch", json_string(k->arch)));
                }
        }
        if (ok && txn)
                ok = set(o, "allow_remove", json_boolean(p->allow_remove)) &&
                     set(o, "allow_downgrade", json_boolean(p->allow_downgrade)) &&
                     set(o, "simulate", json_boolean(p->simulate)) &&
                     set(o, "reboot", json_string(fp_reboot_policy_name(p->reboot)));
        /* only when there are some: params of jobs without any stay as they were */
        if (ok && txn && p->blocked_count > 0) {
                json_t *arr = json_array();
                ok = set(o, "blocked", arr);
                for (size_t i = 0; ok && i < p->blocked_count; i++)
                        ok = json_array_append_new(arr, json_string(p->blocked[i])) == 0;
        }
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

void fp_job_params_release(struct fp_job_params *p)
{
        if (!p)
                return;
        fp_arena_release(&p->arena);
        memset(p, 0, sizeof(*p));
}
