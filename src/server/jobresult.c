/*
 * The result an agent reports with a finished job (docs/jobs.md "What the agent reports"),
 * checked strictly before it is stored: the server shows it to people and decides from it
 * whether a host counts as patched, so nothing in it is taken on trust. Every list and string
 * has a named limit, every member a closed set of values, and an error names its JSON path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "server/server.h"

static const char *const reasons[] = {"not-found", "locked",      "held",       "untrusted",
                                      "disk-full", "removals",    "downgrades", "conflict",
                                      "script",    "interrupted", "verify",     "hook",
                                      "reboot",    "invalid",     "blocked",    "other",
                                      NULL};
static const char *const verdicts[] = {"verified", "mismatch", "not-run", NULL};
static const char *const rollbacks[] = {"available", "partial", "none", NULL};
static const char *const actions[] = {"install",   "upgrade", "downgrade",
                                      "reinstall", "remove",  NULL};

static bool bad(struct fp_diag *diag, const char *field, const char *msg)
{
        fp_diag_set(diag, NULL, 0, field, "%s", msg);
        return false;
}

/* bad() for the top-level check, which answers an error code. */
static enum fp_err refuse(struct fp_diag *diag, const char *field, const char *msg)
{
        bad(diag, field, msg);
        return FP_EPARSE;
}

static bool one_of(const char *s, const char *const *list)
{
        for (size_t i = 0; list[i]; i++)
                if (!strcmp(s, list[i]))
                        return true;
        return false;
}

/* A string without control characters, 1..max bytes (0..max when empty_ok). */
static bool text_ok(const json_t *v, size_t max, bool empty_ok)
{
        if (!json_is_string(v))
                return false;
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (n > max || (n == 0 && !empty_ok) || strlen(s) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

/* Members of obj must be among allowed; field names the object. */
static bool members(const json_t *obj, const char *const *allowed, const char *field,
                    struct fp_diag *diag)
{
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)obj, key, v)
        {
                if (!one_of(key, allowed)) {
                        char f[FP_DIAG_FIELD_MAX];
                        snprintf(f, sizeof(f), "%s.%.40s", field, key);
                        return bad(diag, f, "unknown member");
                }
        }
        return true;
}

/* A version member: a version string, or null when nullable. */
static bool version_ok(const json_t *obj, const char *key, bool nullable, const char *field,
                       struct fp_diag *diag)
{
        json_t *v = json_object_get(obj, key);
        char f[FP_DIAG_FIELD_MAX];
        snprintf(f, sizeof(f), "%s.%s", field, key);
        if (!v)
                return bad(diag, f, "required");
        if (json_is_null(v)) {
                if (nullable)
                        return true;
                return bad(diag, f, "must be a version here, not null");
        }
        if (!text_ok(v, FP_MAX_VERSION_LEN, false))
                return bad(diag, f, "must be a version string without control characters");
        return true;
}

static bool name_arch_ok(const json_t *e, const char *field, struct fp_diag *diag)
{
        char f[FP_DIAG_FIELD_MAX];
        snprintf(f, sizeof(f), "%s.name", field);
        if (!text_ok(json_object_get(e, "name"), FP_MAX_NAME_LEN, false))
                return bad(diag, f, "must be a package name without control characters");
        snprintf(f, sizeof(f), "%s.arch", field);
        json_t *a = json_object_get(e, "arch");
        if (!a)
                return bad(diag, f, "required");
        /* null: a requested pair that named no arch (missing[] reports the request) */
        if (json_is_null(a))
                return true;
        if (!text_ok(a, FP_MAX_NAME_LEN, true))
                return bad(diag, f, "must be an architecture string");
        return true;
}

/* plan[] and unexpected[]: {"action","name","arch","from","to"}; from is null only for a new
 * package (install), to only for a removal. */
static bool change_ok(const json_t *e, const char *field, struct fp_diag *diag)
{
        static const char *const allowed[] = {"action", "name", "arch", "from", "to", NULL};
        if (!json_is_object(e))
                return bad(diag, field, "must be an object");
        if (!members(e, allowed, field, diag) || !name_arch_ok(e, field, diag))
                return false;
        char f[FP_DIAG_FIELD_MAX];
        snprintf(f, sizeof(f), "%s.action", field);
        json_t *a = json_object_get(e, "action");
        if (!json_is_string(a) || !one_of(json_string_value(a), actions))
                return bad(diag, f, "must be install, upgrade, downgrade, reinstall or remove");
        const char *act = json_string_value(a);
        bool install = !strcmp(act, "install"), remove = !strcmp(act, "remove");
        return version_ok(e, "from", install, field, diag) &&
               version_ok(e, "to", remove, field, diag);
}

/* missing[]: {"name","arch","want","have"}; have is null when the package is absent. */
static bool missing_ok(const json_t *e, const char *field, struct fp_diag *diag)
{
        static const char *const allowed[] = {"name", "arch", "want", "have", NULL};
        if (!json_is_object(e))
                return bad(diag, field, "must be an object");
        return members(e, allowed, field, diag) && name_arch_ok(e, field, diag) &&
               version_ok(e, "want", false, field, diag) &&
               version_ok(e, "have", true, field, diag);
}

typedef bool (*item_check)(const json_t *e, const char *field, struct fp_diag *diag);

static bool list_ok(const json_t *result, const char *key, item_check check, size_t *count,
                    struct fp_diag *diag)
{
        json_t *arr = json_object_get(result, key);
        char f[FP_DIAG_FIELD_MAX];
        snprintf(f, sizeof(f), "result.%s", key);
        *count = 0;
        if (!arr)
                return true;
        if (!json_is_array(arr))
                return bad(diag, f, "must be an array");
        if (json_array_size(arr) > FP_MAX_JOB_RESULT_ITEMS) {
                fp_diag_set(diag, NULL, 0, f, "more than %d entries", FP_MAX_JOB_RESULT_ITEMS);
                return false;
        }
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
                snprintf(f, sizeof(f), "result.%s[%zu]", key, i);
                if (!check(e, f, diag))
                        return false;
        }
        *count = json_array_size(arr);
        return true;
}

static bool enum_member(const json_t *result, const char *key, const char *const *list,
                        const char *what, const char **out, struct fp_diag *diag)
{
        json_t *v = json_object_get(result, key);
        char f[FP_DIAG_FIELD_MAX];
        snprintf(f, sizeof(f), "result.%s", key);
        *out = NULL;
        if (!v)
                return true;
        if (!json_is_string(v) || !one_of(json_string_value(v), list))
                return bad(diag, f, what);
        *out = json_string_value(v);
        return true;
}

static bool bool_member(const json_t *result, const char *key, struct fp_diag *diag)
{
        json_t *v = json_object_get(result, key);
        char f[FP_DIAG_FIELD_MAX];
        snprintf(f, sizeof(f), "result.%s", key);
        if (v && !json_is_boolean(v))
                return bad(diag, f, "must be true or false");
        return true;
}

enum fp_err fp_job_result_check(const json_t *result, bool succeeded, struct fp_diag *diag)
{
        static const char *const allowed[] = {
            "reason",          "simulated",      "plan",     "verdict", "missing",  "unexpected",
            "reboot_required", "reboot_reasons", "rollback", "resumed", "restored", NULL};
        if (!json_is_object(result)) {
                bad(diag, "result", "must be an object");
                return FP_EPARSE;
        }
        /* The size first: the members below are walked only for a result of bounded size. */
        char *text = json_dumps(result, JSON_COMPACT);
        size_t size = text ? strlen(text) : 0;
        free(text);
        if (!text)
                return FP_ENOMEM;
        if (size > FP_MAX_JOB_RESULT) {
                fp_diag_set(diag, NULL, 0, "result", "%zu bytes, more than %d", size,
                            FP_MAX_JOB_RESULT);
                return FP_ELIMIT;
        }
        if (!members(result, allowed, "result", diag))
                return FP_EPARSE;
        const char *reason = NULL, *verdict = NULL, *rollback = NULL;
        json_t *rv = json_object_get(result, "reason");
        if (rv && !(json_is_string(rv) &&
                    (!*json_string_value(rv) || one_of(json_string_value(rv), reasons))))
                return refuse(diag, "result.reason",
                              "must be empty or one of not-found, locked, held, untrusted, "
                              "disk-full, removals, downgrades, conflict, script, interrupted, "
                              "verify, hook, reboot, invalid, other");
        reason = rv ? json_string_value(rv) : "";
        if (succeeded && *reason)
                return refuse(diag, "result.reason", "a succeeded job has no failure reason");
        if (!succeeded && !*reason)
                return refuse(diag, "result.reason", "a failed job says why");
        size_t nplan, nmissing, nunexpected;
        if (!enum_member(result, "verdict", verdicts, "must be verified, mismatch or not-run",
                         &verdict, diag) ||
            !enum_member(result, "rollback", rollbacks, "must be available, partial or none",
                         &rollback, diag) ||
            !bool_member(result, "simulated", diag) ||
            !bool_member(result, "reboot_required", diag) ||
            !bool_member(result, "resumed", diag) || !bool_member(result, "restored", diag) ||
            !list_ok(result, "plan", change_ok, &nplan, diag) ||
            !list_ok(result, "missing", missing_ok, &nmissing, diag) ||
            !list_ok(result, "unexpected", change_ok, &nunexpected, diag))
                return FP_EPARSE;
        if (verdict && !strcmp(verdict, "verified") && (nmissing || nunexpected))
                return refuse(diag, "result.verdict",
                              "verified means nothing is missing and nothing unexpected changed");
        json_t *rr = json_object_get(result, "reboot_reasons");
        if (rr) {
                if (!json_is_array(rr))
                        return refuse(diag, "result.reboot_reasons", "must be an array of strings");
                if (json_array_size(rr) > FP_MAX_JOB_REBOOT_REASONS) {
                        fp_diag_set(diag, NULL, 0, "result.reboot_reasons", "more than %d reasons",
                                    FP_MAX_JOB_REBOOT_REASONS);
                        return FP_ELIMIT;
                }
                size_t i;
                json_t *e;
                json_array_foreach(rr, i, e)
                {
                        if (!text_ok(e, FP_MAX_JOB_DETAIL, false)) {
                                char f[FP_DIAG_FIELD_MAX];
                                snprintf(f, sizeof(f), "result.reboot_reasons[%zu]", i);
                                fp_diag_set(diag, NULL, 0, f,
                                            "must be 1..%d characters without control "
                                            "characters",
                                            FP_MAX_JOB_DETAIL);
                                return FP_EPARSE;
                        }
                }
        }
        return FP_OK;
}
