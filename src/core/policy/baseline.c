/*
 * Baselines: the strict parser, the canonical JSON, selectors and update classification
 * (fleetpatch/baseline.h, docs/orchestration.md "Baselines"). Pure: no I/O, no clock.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/policy/baseline_int.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"

/* ---- names ------------------------------------------------------------------------------- */

static const char *const class_names[] = {
    [FP_UPD_SECURITY] = "security",
    [FP_UPD_BUGFIX] = "bugfix",
    [FP_UPD_OTHER] = "other",
};
#define CLASS_COUNT (sizeof(class_names) / sizeof(class_names[0]))

const char *fp_update_class_name(enum fp_update_class c)
{
        return (size_t)c < CLASS_COUNT ? class_names[c] : "?";
}

static const char *const sev_words[] = {
    [FP_SEV_UNKNOWN] = "unspecified", [FP_SEV_NEGLIGIBLE] = "informational",
    [FP_SEV_LOW] = "low",             [FP_SEV_MEDIUM] = "medium",
    [FP_SEV_HIGH] = "high",           [FP_SEV_CRITICAL] = "critical",
};
#define SEV_COUNT (sizeof(sev_words) / sizeof(sev_words[0]))

const char *fp_baseline_severity_name(int sev)
{
        if (sev == FP_BASELINE_SEV_NONE)
                return "none";
        return sev >= 0 && (size_t)sev < SEV_COUNT ? sev_words[sev] : "?";
}

bool fp_baseline_severity_parse(const char *word, int *out)
{
        for (size_t i = 0; word && i < SEV_COUNT; i++) {
                if (strcmp(word, sev_words[i]) == 0) {
                        *out = (int)i;
                        return true;
                }
        }
        return false;
}

/* ---- errors ------------------------------------------------------------------------------ */

static enum fp_err bad(struct fp_diag *diag, enum fp_err err, const char *path, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
static enum fp_err bad(struct fp_diag *diag, enum fp_err err, const char *path, const char *fmt,
                       ...)
{
        va_list ap;

        if (!diag)
                return err;
        fp_diag_set(diag, NULL, 0, path, "%s", "");
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
        return err;
}

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "?";
}

/* prefix + sep + tail into out, cut to fit (a hostile key may be long) */
static void path_join(char *out, size_t outsz, const char *prefix, const char *sep,
                      const char *tail)
{
        size_t n = 0;
        for (const char *const *part = (const char *const[]){prefix, sep, tail, NULL}; *part;
             part++)
                for (const char *p = *part; *p && n + 1 < outsz; p++)
                        out[n++] = *p;
        out[n] = '\0';
}

static void member_path(char *out, size_t outsz, const char *prefix, const char *key)
{
        path_join(out, outsz, prefix, ".", key);
}

static void index_path(char *out, size_t outsz, const char *prefix, size_t idx)
{
        char ix[32];
        snprintf(ix, sizeof(ix), "[%zu]", idx);
        path_join(out, outsz, prefix, "", ix);
}

/* ---- values ------------------------------------------------------------------------------ */

/* A JSON string of 1..max bytes (0..max when empty_ok) without control characters, copied. */
static enum fp_err get_str(struct fp_baseline *b, const json_t *v, const char *path, size_t max,
                           bool empty_ok, const char **out, struct fp_diag *diag)
{
        if (!json_is_string(v))
                return bad(diag, FP_EPARSE, path, "expected a string, got %s", type_name(v));
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len > max)
                return bad(diag, FP_ELIMIT, path, "string of %zu bytes exceeds the limit of %zu",
                           len, max);
        if (len == 0 && !empty_ok)
                return bad(diag, FP_EPARSE, path, "must not be empty");
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return bad(diag, FP_EPARSE, path, "control character 0x%02x at offset %zu",
                                   (unsigned char)s[i], i);
        *out = fp_arena_strndup(&b->arena, s, len);
        return *out ? FP_OK : bad(diag, FP_ENOMEM, path, "out of memory");
}

static bool ident_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > FP_BASELINE_MAX_IDENT || s[0] == '.' || s[0] == '-')
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool hook_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > FP_MAX_HOOK_NAME)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static enum fp_err get_ident(struct fp_baseline *b, const json_t *v, const char *path,
                             const char **out, struct fp_diag *diag)
{
        enum fp_err err = get_str(b, v, path, FP_BASELINE_MAX_IDENT, false, out, diag);
        if (err == FP_OK && !ident_ok(*out))
                return bad(diag, FP_EPARSE, path,
                           "expected 1..%d of [a-z0-9._-], not starting with . or -",
                           FP_BASELINE_MAX_IDENT);
        return err;
}

/* ---- dates ------------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned)(y - era * 400);
        unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void fp_bl_format_time(int64_t t, char out[40])
{
        int64_t days = t / FP_BL_DAY, secs = t % FP_BL_DAY;
        if (secs < 0) {
                secs += FP_BL_DAY;
                days--;
        }
        int64_t y;
        unsigned m, d;
        civil_from_days(days, &y, &m, &d);
        if (secs == 0)
                snprintf(out, 40, "%04lld-%02u-%02u", (long long)y, m, d);
        else
                snprintf(out, 40, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
                         (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* "YYYY-MM-DD", a real calendar day of 1970..9999, to its 00:00 UTC. */
static bool parse_day(const char *s, int64_t *out)
{
        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return false;
        for (int i = 0; i < 10; i++)
                if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
                        return false;
        int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
        unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
        static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (y < 1970 || m < 1 || m > 12 || d < 1)
                return false;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (d > mdays[m - 1] + (m == 2 && leap))
                return false;
        *out = days_from_civil(y, m, d) * FP_BL_DAY;
        return true;
}

/* ---- list entries ------------------------------------------------------------------------ */

static bool deb_name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' ||
               c == '-';
}

/* A package name (wild: a pattern with * and ?) of the family. NULL when fine, else why not. */
static const char *name_problem(const struct fp_baseline *b, const char *s, bool wild)
{
        if (strpbrk(s, "[]"))
                return "brackets are not supported in patterns (only * and ?)";
        if (strchr(s, '\\'))
                return "backslashes are not supported in patterns (only * and ?)";
        if (!wild && strpbrk(s, "*?"))
                return "the name of a name=version entry takes no * or ?";
        if (b->scheme == FP_SCHEME_DEB) {
                for (const char *p = s; *p; p++)
                        if (!deb_name_char(*p) && *p != '*' && *p != '?')
                                return "not a Debian package name (or pattern): [a-z0-9+.-]";
                if (s[0] == '+' || s[0] == '.' || s[0] == '-')
                        return "a Debian package name starts with [a-z0-9]";
                return NULL;
        }
        if (s[0] == '-')
                return "an RPM package name does not start with -";
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '/')
                        return "not an RPM package name (or pattern): printable, no blank or /";
        return NULL;
}

/* The version is one the family's tools accept (what jobwire also requires of a job), so an
 * exact entry can ever match. NULL when fine, else why not. */
static const char *version_problem(const struct fp_baseline *b, const char *s, char *why,
                                   size_t whysz)
{
        static const char rpm_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789._+~^";
        if (strchr(s, ' '))
                return "blank in a version";
        if (b->scheme == FP_SCHEME_DEB) {
                struct fp_debver dv;
                struct fp_diag dd;
                fp_diag_clear(&dd);
                if (fp_deb_version_parse(s, strlen(s), &dv, &dd) == FP_VERSION_ERROR) {
                        snprintf(why, whysz, "not a Debian version: %.200s", dd.msg);
                        return why;
                }
                if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789.+-~:") != strlen(s))
                        return "not a Debian version: invalid character in version number";
                return NULL;
        }
        struct fp_rpmevr evr;
        if (fp_rpm_evr_parse(s, strlen(s), &evr, NULL) != FP_OK)
                return "not an RPM EVR: too long";
        if (evr.version_len == 0)
                return "not an RPM EVR: empty version";
        if (evr.epoch && evr.epoch_len == 0)
                return "not an RPM EVR: empty epoch";
        for (size_t i = 0; evr.epoch && i < evr.epoch_len; i++)
                if (evr.epoch[i] < '0' || evr.epoch[i] > '9')
                        return "not an RPM EVR: epoch is not a number";
        if (evr.release && evr.release_len == 0)
                return "not an RPM EVR: empty release";
        for (size_t i = 0; i < evr.version_len; i++)
                if (!strchr(rpm_chars, evr.version[i]))
                        return "not an RPM EVR: bad character in the version";
        for (size_t i = 0; evr.release && i < evr.release_len; i++)
                if (!strchr(rpm_chars, evr.release[i]))
                        return "not an RPM EVR: bad character in the release";
        return NULL;
}

static enum fp_err parse_entry(struct fp_baseline *b, const json_t *v, const char *path,
                               struct fp_bl_entry *e, struct fp_diag *diag)
{
        char why[FP_DIAG_MSG_MAX];
        const char *text;
        enum fp_err err = get_str(b, v, path, FP_BASELINE_MAX_PATTERN + 1 + FP_BASELINE_MAX_VERSION,
                                  false, &text, diag);
        if (err != FP_OK)
                return err;
        const char *eq = strchr(text, '=');
        size_t nlen = eq ? (size_t)(eq - text) : strlen(text);
        if (nlen > FP_BASELINE_MAX_PATTERN)
                return bad(diag, FP_ELIMIT, path, "name of %zu bytes exceeds the limit of %d", nlen,
                           FP_BASELINE_MAX_PATTERN);
        if (nlen == 0)
                return bad(diag, FP_EPARSE, path, "empty name");
        e->text = text;
        if (!eq) {
                e->name = text;
                e->version = NULL;
        } else {
                if (strlen(eq + 1) > FP_BASELINE_MAX_VERSION)
                        return bad(diag, FP_ELIMIT, path,
                                   "version of %zu bytes exceeds the limit of %d", strlen(eq + 1),
                                   FP_BASELINE_MAX_VERSION);
                if (!eq[1])
                        return bad(diag, FP_EPARSE, path, "empty version after =");
                e->name = fp_arena_strndup(&b->arena, text, nlen);
                e->version = eq + 1;
                if (!e->name)
                        return bad(diag, FP_ENOMEM, path, "out of memory");
        }
        const char *p = name_problem(b, e->name, !eq);
        if (p)
                return bad(diag, FP_EPARSE, path, "'%.64s': %s", e->name, p);
        if (e->version && (p = version_problem(b, e->version, why, sizeof(why))) != NULL)
                return bad(diag, FP_EPARSE, path, "'%.64s': %s", e->version, p);
        return FP_OK;
}

static enum fp_err parse_list(struct fp_baseline *b, const json_t *arr, const char *path,
                              struct fp_bl_entry **out, size_t *count, struct fp_diag *diag)
{
        char epath[FP_DIAG_FIELD_MAX];
        if (!json_is_array(arr))
                return bad(diag, FP_EPARSE, path, "expected an array, got %s", type_name(arr));
        size_t n = json_array_size(arr);
        if (n > FP_BASELINE_MAX_ENTRIES)
                return bad(diag, FP_ELIMIT, path, "%zu entries exceed the limit of %d", n,
                           FP_BASELINE_MAX_ENTRIES);
        *out = fp_arena_alloc(&b->arena, (n ? n : 1) * sizeof(**out));
        if (!*out)
                return bad(diag, FP_ENOMEM, path, "out of memory");
        struct fp_strmap seen;
        fp_strmap_init(&seen);
        enum fp_err err = FP_OK;
        for (size_t i = 0; i < n && err == FP_OK; i++) {
                index_path(epath, sizeof(epath), path, i);
                err = parse_entry(b, json_array_get(arr, i), epath, &(*out)[i], diag);
                if (err != FP_OK)
                        break;
                const char *t = (*out)[i].text;
                void *prev = fp_strmap_get(&seen, t, strlen(t));
                if (prev) {
                        err = bad(diag, FP_EPARSE, epath, "'%.64s' is also %s[%zu]", t, path,
                                  (size_t)(uintptr_t)prev - 1);
                        break;
                }
                if (fp_strmap_put(&seen, t, strlen(t), (void *)(uintptr_t)(i + 1)) != FP_OK)
                        err = bad(diag, FP_ENOMEM, path, "out of memory");
        }
        fp_strmap_release(&seen);
        if (err == FP_OK)
                *count = n;
        return err;
}

/* ---- rules ------------------------------------------------------------------------------- */

static enum fp_err parse_classification(const json_t *arr, const char *path, unsigned *classes,
                                        struct fp_diag *diag)
{
        char epath[FP_DIAG_FIELD_MAX];
        if (!json_is_array(arr))
                return bad(diag, FP_EPARSE, path, "expected an array, got %s", type_name(arr));
        if (json_array_size(arr) == 0)
                return bad(diag, FP_EPARSE, path,
                           "must not be empty (security, bugfix and/or other)");
        if (json_array_size(arr) > CLASS_COUNT)
                return bad(diag, FP_ELIMIT, path, "more than %zu classes", CLASS_COUNT);
        *classes = 0;
        for (size_t i = 0; i < json_array_size(arr); i++) {
                const json_t *v = json_array_get(arr, i);
                index_path(epath, sizeof(epath), path, i);
                if (!json_is_string(v))
                        return bad(diag, FP_EPARSE, epath, "expected a string, got %s",
                                   type_name(v));
                size_t c = 0;
                while (c < CLASS_COUNT && strcmp(json_string_value(v), class_names[c]) != 0)
                        c++;
                if (c == CLASS_COUNT)
                        return bad(diag, FP_EPARSE, epath,
                                   "unknown classification (security, bugfix or other)");
                if (*classes & 1u << c)
                        return bad(diag, FP_EPARSE, epath, "%s named twice", class_names[c]);
                *classes |= 1u << c;
        }
        return FP_OK;
}

static enum fp_err parse_rule(struct fp_baseline *b, const json_t *obj, const char *base,
                              struct fp_bl_rule *r, struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];
        const char *key, *s;
        const json_t *v;
        enum fp_err err;
        bool has_class = false, has_until = false;

        if (!json_is_object(obj))
                return bad(diag, FP_EPARSE, base, "expected an object, got %s", type_name(obj));
        memset(r, 0, sizeof(*r));
        r->min_sev = FP_BL_NO_MIN;
        json_object_foreach((json_t *)obj, key, v)
        {
                member_path(path, sizeof(path), base, key);
                if (strcmp(key, "classification") == 0) {
                        err = parse_classification(v, path, &r->classes, diag);
                        if (err != FP_OK)
                                return err;
                        has_class = true;
                } else if (strcmp(key, "severity") == 0) {
                        err = get_str(b, v, path, 32, false, &s, diag);
                        if (err != FP_OK)
                                return err;
                        if (!fp_baseline_severity_parse(s, &r->min_sev))
                                return bad(diag, FP_EPARSE, path,
                                           "unknown severity '%.32s' (critical, high, medium, "
                                           "low, informational or unspecified)",
                                           s);
                } else if (strcmp(key, "after_days") == 0) {
                        if (!json_is_integer(v))
                                return bad(diag, FP_EPARSE, path, "expected an integer, got %s",
                                           type_name(v));
                        json_int_t d = json_integer_value(v);
                        if (d < 0 || d > FP_BASELINE_MAX_AFTER_DAYS)
                                return bad(diag, d < 0 ? FP_EPARSE : FP_ELIMIT, path,
                                           "%lld days: expected 0..%d", (long long)d,
                                           FP_BASELINE_MAX_AFTER_DAYS);
                        r->has_after = true;
                        r->after_days = (int)d;
                } else if (strcmp(key, "until") == 0) {
                        err = get_str(b, v, path, 32, false, &s, diag);
                        if (err != FP_OK)
                                return err;
                        if (!parse_day(s, &r->until))
                                return bad(diag, FP_EPARSE, path,
                                           "'%s': expected a date YYYY-MM-DD (1970..9999)", s);
                        has_until = true;
                } else {
                        return bad(diag, FP_EPARSE, path, "unknown member");
                }
        }
        if (!has_class)
                return bad(diag, FP_EPARSE, base, "missing member \"classification\"");
        if (r->has_after && has_until)
                return bad(diag, FP_EPARSE, base, "takes after_days or until, not both");
        if (!r->has_after && !has_until)
                return bad(diag, FP_EPARSE, base, "needs after_days or until");
        return FP_OK;
}

static enum fp_err parse_rules(struct fp_baseline *b, const json_t *arr, struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];
        if (!json_is_array(arr))
                return bad(diag, FP_EPARSE, "baseline.rules", "expected an array, got %s",
                           type_name(arr));
        size_t n = json_array_size(arr);
        if (n > FP_BASELINE_MAX_RULES)
                return bad(diag, FP_ELIMIT, "baseline.rules", "%zu rules exceed the limit of %d", n,
                           FP_BASELINE_MAX_RULES);
        b->rules = fp_arena_alloc(&b->arena, (n ? n : 1) * sizeof(*b->rules));
        if (!b->rules)
                return bad(diag, FP_ENOMEM, "baseline.rules", "out of memory");
        for (size_t i = 0; i < n; i++) {
                index_path(path, sizeof(path), "baseline.rules", i);
                enum fp_err err = parse_rule(b, json_array_get(arr, i), path, &b->rules[i], diag);
                if (err != FP_OK)
                        return err;
        }
        b->nrules = n;
        return FP_OK;
}

/* ---- selector, catch-up ------------------------------------------------------------------- */

static bool tag_key_ok(const char *k)
{
        size_t n = strlen(k);
        if (n == 0 || n > FP_MAX_TAG_KEY)
                return false;
        return strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:") ==
               n;
}

static int strptr_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum fp_err parse_selector(struct fp_baseline *b, const json_t *obj, struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];
        const char *key;
        const json_t *v;

        if (!json_is_object(obj))
                return bad(diag, FP_EPARSE, "baseline.selector", "expected an object, got %s",
                           type_name(obj));
        size_t n = json_object_size(obj);
        if (n > FP_BASELINE_MAX_SELECTOR)
                return bad(diag, FP_ELIMIT, "baseline.selector", "%zu tags exceed the limit of %d",
                           n, FP_BASELINE_MAX_SELECTOR);
        b->sel_keys = fp_arena_alloc(&b->arena, (n ? n : 1) * sizeof(*b->sel_keys));
        b->sel_vals = fp_arena_alloc(&b->arena, (n ? n : 1) * sizeof(*b->sel_vals));
        if (!b->sel_keys || !b->sel_vals)
                return bad(diag, FP_ENOMEM, "baseline.selector", "out of memory");
        size_t i = 0;
        json_object_foreach((json_t *)obj, key, v)
        {
                member_path(path, sizeof(path), "baseline.selector", key);
                if (!tag_key_ok(key))
                        return bad(diag, FP_EPARSE, path,
                                   "a tag key is 1..%d of [A-Za-z0-9._-/:]", FP_MAX_TAG_KEY);
                /* keys first in a block of [key, value] pairs so one sort keeps them together */
                const char *kc = fp_arena_strdup(&b->arena, key), *vc;
                if (!kc)
                        return bad(diag, FP_ENOMEM, path, "out of memory");
                enum fp_err err = get_str(b, v, path, FP_MAX_TAG_VALUE, true, &vc, diag);
                if (err != FP_OK)
                        return err;
                b->sel_keys[i] = kc;
                b->sel_vals[i] = vc;
                i++;
        }
        b->nsel = n;
        /* sort the keys and carry the values: sort pairs through an index */
        if (n > 1) {
                const char **pairs = malloc(2 * n * sizeof(*pairs));
                if (!pairs)
                        return bad(diag, FP_ENOMEM, "baseline.selector", "out of memory");
                for (i = 0; i < n; i++) {
                        pairs[2 * i] = b->sel_keys[i];
                        pairs[2 * i + 1] = b->sel_vals[i];
                }
                qsort(pairs, n, 2 * sizeof(*pairs), strptr_cmp);
                for (i = 0; i < n; i++) {
                        b->sel_keys[i] = pairs[2 * i];
                        b->sel_vals[i] = pairs[2 * i + 1];
                }
                free(pairs);
        }
        return FP_OK;
}

static enum fp_err parse_catchup(struct fp_baseline *b, const json_t *obj, struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];
        const char *key, *s;
        const json_t *v;
        enum fp_err err;

        if (!json_is_object(obj))
                return bad(diag, FP_EPARSE, "baseline.catchup", "expected an object, got %s",
                           type_name(obj));
        json_object_foreach((json_t *)obj, key, v)
        {
                member_path(path, sizeof(path), "baseline.catchup", key);
                if (strcmp(key, "policy") == 0) {
                        err = get_str(b, v, path, 16, false, &s, diag);
                        if (err != FP_OK)
                                return err;
                        if (strcmp(s, "immediate") == 0)
                                b->catchup_policy = 1;
                        else if (strcmp(s, "next-window") == 0)
                                b->catchup_policy = 2;
                        else
                                return bad(diag, FP_EPARSE, path,
                                           "expected immediate or next-window");
                } else if (strcmp(key, "window") == 0) {
                        err = get_ident(b, v, path, &b->window, diag);
                        if (err != FP_OK)
                                return err;
                } else if (strcmp(key, "handback_hook") == 0) {
                        err = get_str(b, v, path, FP_MAX_HOOK_NAME, false, &b->hook, diag);
                        if (err != FP_OK)
                                return err;
                        if (!hook_ok(b->hook))
                                return bad(diag, FP_EPARSE, path,
                                           "not a hook name ([a-z0-9][a-z0-9-]{0,31})");
                } else {
                        return bad(diag, FP_EPARSE, path, "unknown member");
                }
        }
        if (b->catchup_policy == 0)
                return bad(diag, FP_EPARSE, "baseline.catchup.policy", "missing member");
        if (b->window[0] && b->catchup_policy != 2)
                return bad(diag, FP_EPARSE, "baseline.catchup.window",
                           "a window goes with the policy next-window only");
        return FP_OK;
}

/* ---- the baseline ------------------------------------------------------------------------ */

static enum fp_err parse_top(struct fp_baseline *b, const json_t *root, struct fp_diag *diag)
{
        char path[FP_DIAG_FIELD_MAX];
        const char *key, *s;
        const json_t *v;
        enum fp_err err = FP_OK;
        const json_t *family;

        if (!json_is_object(root))
                return bad(diag, FP_EPARSE, "baseline", "expected an object, got %s",
                           type_name(root));
        /* family first: the lists' name and version rules depend on it */
        family = json_object_get(root, "family");
        if (!family)
                return bad(diag, FP_EPARSE, "baseline.family", "missing member");
        err = get_str(b, family, "baseline.family", 8, false, &b->family, diag);
        if (err != FP_OK)
                return err;
        if (strcmp(b->family, "deb") == 0)
                b->scheme = FP_SCHEME_DEB;
        else if (strcmp(b->family, "rpm") == 0)
                b->scheme = FP_SCHEME_RPM;
        else
                return bad(diag, FP_EPARSE, "baseline.family", "expected deb or rpm");

        json_object_foreach((json_t *)root, key, v)
        {
                member_path(path, sizeof(path), "baseline", key);
                if (strcmp(key, "name") == 0) {
                        err = get_ident(b, v, path, &b->name, diag);
                } else if (strcmp(key, "account") == 0) {
                        err = get_ident(b, v, path, &b->account, diag);
                } else if (strcmp(key, "family") == 0) {
                        continue;
                } else if (strcmp(key, "selector") == 0) {
                        err = parse_selector(b, v, diag);
                } else if (strcmp(key, "rules") == 0) {
                        err = parse_rules(b, v, diag);
                } else if (strcmp(key, "approved") == 0) {
                        err = parse_list(b, v, path, &b->approved, &b->napproved, diag);
                } else if (strcmp(key, "rejected") == 0) {
                        err = parse_list(b, v, path, &b->rejected, &b->nrejected, diag);
                } else if (strcmp(key, "rejected_dependency") == 0) {
                        err = get_str(b, v, path, 16, false, &s, diag);
                        if (err == FP_OK && strcmp(s, "block") == 0)
                                b->block_deps = true;
                        else if (err == FP_OK && strcmp(s, "allow") == 0)
                                b->block_deps = false;
                        else if (err == FP_OK)
                                err = bad(diag, FP_EPARSE, path, "expected block or allow");
                } else if (strcmp(key, "compliance_level") == 0) {
                        err = get_str(b, v, path, 32, false, &s, diag);
                        if (err == FP_OK && !fp_baseline_severity_parse(s, &b->compliance))
                                err = bad(diag, FP_EPARSE, path,
                                          "unknown severity '%.32s' (critical, high, medium, low, "
                                          "informational or unspecified)",
                                          s);
                } else if (strcmp(key, "catchup") == 0) {
                        err = parse_catchup(b, v, diag);
                } else {
                        err = bad(diag, FP_EPARSE, path, "unknown member");
                }
                if (err != FP_OK)
                        return err;
        }
        if (!b->name)
                return bad(diag, FP_EPARSE, "baseline.name", "missing member");
        if (!b->account)
                return bad(diag, FP_EPARSE, "baseline.account", "missing member");
        if (b->nrules == 0 && b->napproved == 0)
                return bad(diag, FP_EPARSE, "baseline",
                           "approves nothing: it needs rules or approved entries");

        /* the patterns jobs carry (rejected_dependency block) */
        b->blocked = fp_arena_alloc(&b->arena, (b->nrejected ? b->nrejected : 1) *
                                                   sizeof(*b->blocked));
        if (!b->blocked)
                return bad(diag, FP_ENOMEM, "baseline.rejected", "out of memory");
        for (size_t i = 0; i < b->nrejected; i++)
                if (!b->rejected[i].version)
                        b->blocked[b->nblocked++] = b->rejected[i].name;
        return FP_OK;
}

enum fp_err fp_baseline_parse(const char *json, size_t len, struct fp_baseline **out,
                              struct fp_diag *diag)
{
        json_error_t jerr;

        *out = NULL;
        fp_diag_clear(diag);
        if (!json)
                return bad(diag, FP_EINVAL, "baseline", "no input");
        if (len > FP_BASELINE_MAX_JSON)
                return bad(diag, FP_ELIMIT, "baseline", "%zu bytes exceed the limit of %d", len,
                           FP_BASELINE_MAX_JSON);
        json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return bad(diag, FP_EPARSE, "baseline", "not JSON: line %d column %d: %s",
                           jerr.line, jerr.column, jerr.text);
        struct fp_baseline *b = calloc(1, sizeof(*b));
        if (!b) {
                json_decref(root);
                return bad(diag, FP_ENOMEM, "baseline", "out of memory");
        }
        fp_arena_init(&b->arena);
        b->block_deps = true;
        b->compliance = FP_SEV_UNKNOWN;
        b->window = "";
        b->hook = "";
        enum fp_err err = parse_top(b, root, diag);
        json_decref(root);
        if (err != FP_OK) {
                fp_baseline_free(b);
                return err;
        }
        *out = b;
        return FP_OK;
}

void fp_baseline_free(struct fp_baseline *b)
{
        if (!b)
                return;
        fp_arena_release(&b->arena);
        free(b);
}

/* ---- canonical JSON ---------------------------------------------------------------------- */

static bool set(json_t *obj, const char *key, json_t *v)
{
        return v && json_object_set_new(obj, key, v) == 0;
}

static bool add(json_t *arr, json_t *v)
{
        return v && json_array_append_new(arr, v) == 0;
}

static json_t *list_json(const struct fp_bl_entry *e, size_t n)
{
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++) {
                if (!add(arr, json_string(e[i].text))) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return arr;
}

static json_t *rule_json(const struct fp_bl_rule *r)
{
        char day[40];
        json_t *o = json_object(), *cls = json_array();
        bool ok = o && cls;
        for (size_t c = 0; ok && c < CLASS_COUNT; c++)
                if (r->classes & 1u << c)
                        ok = add(cls, json_string(class_names[c]));
        if (ok) {
                ok = set(o, "classification", cls);
                cls = NULL;
        }
        if (ok && r->min_sev != FP_BL_NO_MIN)
                ok = set(o, "severity", json_string(fp_baseline_severity_name(r->min_sev)));
        if (ok && r->has_after)
                ok = set(o, "after_days", json_integer(r->after_days));
        if (ok && !r->has_after) {
                fp_bl_format_time(r->until, day);
                ok = set(o, "until", json_string(day));
        }
        if (!ok) {
                json_decref(cls);
                json_decref(o);
                return NULL;
        }
        return o;
}

char *fp_baseline_to_json(const struct fp_baseline *b)
{
        json_t *o = json_object(), *sel = json_object(), *rules = json_array();
        bool ok = o && sel && rules;

        ok = ok && set(o, "name", json_string(b->name)) &&
             set(o, "account", json_string(b->account)) &&
             set(o, "family", json_string(b->family));
        for (size_t i = 0; ok && i < b->nsel; i++)
                ok = set(sel, b->sel_keys[i], json_string(b->sel_vals[i]));
        if (ok) {
                ok = set(o, "selector", sel);
                sel = NULL;
        }
        for (size_t i = 0; ok && i < b->nrules; i++)
                ok = add(rules, rule_json(&b->rules[i]));
        if (ok) {
                ok = set(o, "rules", rules);
                rules = NULL;
        }
        ok = ok && set(o, "approved", list_json(b->approved, b->napproved)) &&
             set(o, "rejected", list_json(b->rejected, b->nrejected)) &&
             set(o, "rejected_dependency", json_string(b->block_deps ? "block" : "allow")) &&
             set(o, "compliance_level", json_string(fp_baseline_severity_name(b->compliance)));
        if (ok && b->catchup_policy) {
                json_t *c = json_object();
                ok = set(o, "catchup", c) &&
                     set(c, "policy",
                         json_string(b->catchup_policy == 1 ? "immediate" : "next-window")) &&
                     (!b->window[0] || set(c, "window", json_string(b->window))) &&
                     (!b->hook[0] || set(c, "handback_hook", json_string(b->hook)));
        }
        char *text = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(sel);
        json_decref(rules);
        json_decref(o);
        return text;
}

/* ---- accessors --------------------------------------------------------------------------- */

const char *fp_baseline_name(const struct fp_baseline *b)
{
        return b->name;
}

const char *fp_baseline_account(const struct fp_baseline *b)
{
        return b->account;
}

const char *fp_baseline_family(const struct fp_baseline *b)
{
        return b->family;
}

size_t fp_baseline_rule_count(const struct fp_baseline *b)
{
        return b->nrules;
}

int fp_baseline_selects(const struct fp_baseline *b, const char *tags_json)
{
        if (b->nsel == 0)
                return 0;
        json_t *tags = tags_json ? json_loads(tags_json, JSON_REJECT_DUPLICATES, NULL) : NULL;
        int n = json_is_object(tags) ? (int)b->nsel : -1;
        for (size_t i = 0; n >= 0 && i < b->nsel; i++) {
                const json_t *v = json_object_get(tags, b->sel_keys[i]);
                if (!json_is_string(v) || strcmp(json_string_value(v), b->sel_vals[i]) != 0)
                        n = -1;
        }
        json_decref(tags);
        return n;
}

size_t fp_baseline_blocked(const struct fp_baseline *b, const char *const **patterns)
{
        *patterns = (const char *const *)b->blocked;
        return b->block_deps ? b->nblocked : 0;
}

bool fp_baseline_blocks_dependencies(const struct fp_baseline *b)
{
        return b->block_deps;
}

int fp_baseline_compliance_level(const struct fp_baseline *b)
{
        return b->compliance;
}

void fp_baseline_catchup(const struct fp_baseline *b, int *policy, const char **window,
                         const char **hook)
{
        if (policy)
                *policy = b->catchup_policy;
        if (window)
                *window = b->window;
        if (hook)
                *hook = b->hook;
}

/* ---- classification ---------------------------------------------------------------------- */

/* The distribution's own archive; the rule is documented in fleetpatch/baseline.h and in
 * docs/orchestration.md ("Classification"). */
static bool own_archive(const char *family, const char *origin)
{
        static const char *const deb_origins[] = {
            "Debian", "Debian-Security", "Debian Backports", "Ubuntu", "UbuntuESM", "UbuntuESMApps",
        };
        static const char *const rpm_ids[] = {
            "baseos", "appstream",   "crb",     "powertools", "extras", "highavailability",
            "resilientstorage", "nfv", "rt",  "sap",        "saphana", "fedora",
            "updates", "amazonlinux", "centosplus",
        };
        static const char *const rpm_prefixes[] = {
            "rhel-", "amzn", "almalinux-", "rocky-", "fedora-", "updates-",
        };
        if (!family || !origin || !*origin)
                return false;
        if (strcmp(family, "deb") == 0) {
                for (size_t i = 0; i < sizeof(deb_origins) / sizeof(deb_origins[0]); i++)
                        if (strcasecmp(origin, deb_origins[i]) == 0)
                                return true;
                return false;
        }
        if (strcmp(family, "rpm") != 0)
                return false;
        size_t n = strlen(origin);
        if (n >= 8 && strcasecmp(origin + n - 8, "-testing") == 0)
                return false;
        for (size_t i = 0; i < sizeof(rpm_ids) / sizeof(rpm_ids[0]); i++)
                if (strcasecmp(origin, rpm_ids[i]) == 0)
                        return true;
        for (size_t i = 0; i < sizeof(rpm_prefixes) / sizeof(rpm_prefixes[0]); i++)
                if (strncasecmp(origin, rpm_prefixes[i], strlen(rpm_prefixes[i])) == 0)
                        return true;
        /* Oracle Linux: ol8_baseos_latest, ol9_appstream, ... */
        return (origin[0] == 'o' || origin[0] == 'O') && (origin[1] == 'l' || origin[1] == 'L') &&
               origin[2] >= '0' && origin[2] <= '9';
}

enum fp_update_class fp_update_classify(const char *family, const char *origin,
                                        bool security_flag, bool fixes_finding)
{
        if (security_flag || fixes_finding)
                return FP_UPD_SECURITY;
        return own_archive(family, origin) ? FP_UPD_BUGFIX : FP_UPD_OTHER;
}
