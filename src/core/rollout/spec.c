/*
 * The "rollout" member of a change request: strict parse, canonical JSON, ring matching, and
 * the names of the states. See include/fleetpatch/rollout.h and docs/orchestration.md.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/rollout.h"

#define PATH_MAX_ 160 /* longer paths are cut to FP_DIAG_FIELD_MAX by fp_diag_set */

static enum fp_err bad(struct fp_diag *diag, enum fp_err err, const char *path, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

static enum fp_err bad(struct fp_diag *diag, enum fp_err err, const char *path, const char *fmt,
                       ...)
{
        char msg[FP_DIAG_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fp_diag_set(diag, NULL, 0, path, "%s", msg);
        return err;
}

/* out = a "." b, cut to n - 1 characters. */
static void join(char *out, size_t n, const char *a, const char *b)
{
        size_t la = strnlen(a, n - 1), lb;

        memcpy(out, a, la);
        if (la + 1 < n)
                out[la++] = '.';
        lb = strnlen(b, n - 1 - la);
        memcpy(out + la, b, lb);
        out[la + lb] = '\0';
}

static bool has_ctl(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static bool name_ok(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > FP_RO_MAX_NAME)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
                      *s == '_' || *s == '-'))
                        return false;
        return true;
}

/* A tag key: 1..FP_MAX_TAG_KEY characters, no control character, no '='. */
static bool tag_key_ok(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n <= FP_MAX_TAG_KEY && !has_ctl(s) && !strchr(s, '=');
}

/* "5", "25%" or an integer. min/max bound the count; percentages are 0..100 and >= pmin. */
static enum fp_err parse_amount(const json_t *v, const char *path, int64_t min, int64_t pmin,
                                bool allow_pct, struct fp_ro_amount *out, struct fp_diag *diag)
{
        const char *s;
        int64_t val = 0;
        bool pct = false;

        if (json_is_integer(v)) {
                json_int_t i = json_integer_value(v);
                if (i < 0)
                        return bad(diag, FP_EPARSE, path, "must not be negative");
                if (i > FP_RO_MAX_COUNT)
                        return bad(diag, FP_ELIMIT, path, "%" PRId64 " exceeds %d",
                                   (int64_t)i, FP_RO_MAX_COUNT);
                val = (int64_t)i;
        } else if (json_is_string(v)) {
                s = json_string_value(v);
                size_t n = json_string_length(v), k = 0;
                if (n == 0)
                        return bad(diag, FP_EPARSE, path, "empty amount (want \"N\" or \"P%%\")");
                if (s[n - 1] == '%') {
                        pct = true;
                        n--;
                }
                if (n == 0 || n > 9)
                        return bad(diag, n ? FP_ELIMIT : FP_EPARSE, path,
                                   "bad amount (want \"N\" or \"P%%\")");
                for (k = 0; k < n; k++) {
                        if (s[k] < '0' || s[k] > '9')
                                return bad(diag, FP_EPARSE, path,
                                           "bad amount (want \"N\" or \"P%%\")");
                        val = val * 10 + (s[k] - '0');
                }
                if (n > 1 && s[0] == '0')
                        return bad(diag, FP_EPARSE, path, "leading zero in amount");
                if (pct && !allow_pct)
                        return bad(diag, FP_EPARSE, path, "a percentage is not allowed here");
                if (pct && val > 100)
                        return bad(diag, FP_EPARSE, path, "%" PRId64 "%% exceeds 100%%", val);
                if (!pct && val > FP_RO_MAX_COUNT)
                        return bad(diag, FP_ELIMIT, path, "%" PRId64 " exceeds %d", val,
                                   FP_RO_MAX_COUNT);
        } else {
                return bad(diag, FP_EPARSE, path, "must be a string (\"N\" or \"P%%\")");
        }
        if (pct && val < pmin)
                return bad(diag, FP_EPARSE, path, "must be at least %" PRId64 "%%", pmin);
        if (!pct && val < min)
                return bad(diag, FP_EPARSE, path, "must be at least %" PRId64, min);
        out->value = val;
        out->percent = pct;
        return FP_OK;
}

static enum fp_err parse_int(const json_t *v, const char *path, int64_t min, int64_t max,
                             int64_t *out, struct fp_diag *diag)
{
        if (!json_is_integer(v))
                return bad(diag, FP_EPARSE, path, "must be an integer");
        json_int_t i = json_integer_value(v);
        if (i < min)
                return bad(diag, FP_EPARSE, path, "must be at least %" PRId64, min);
        if (i > max)
                return bad(diag, FP_ELIMIT, path, "%" PRId64 " exceeds %" PRId64, (int64_t)i,
                           max);
        *out = (int64_t)i;
        return FP_OK;
}

static enum fp_err parse_enum(const json_t *v, const char *path, const char *const *names,
                              int count, int *out, struct fp_diag *diag)
{
        if (!json_is_string(v))
                return bad(diag, FP_EPARSE, path, "must be a string");
        for (int i = 0; i < count; i++)
                if (strcmp(json_string_value(v), names[i]) == 0) {
                        *out = i;
                        return FP_OK;
                }
        char list[128] = "";
        for (int i = 0; i < count; i++) {
                strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
                strncat(list, names[i], sizeof(list) - strlen(list) - 1);
        }
        return bad(diag, FP_EPARSE, path, "unknown value (one of %s)", list);
}

static const char *const on_failure_names[] = {"rollback-host", "rollback-wave", "none"};
static const char *const catchup_names[] = {"next-window", "immediate"};

/* Compact text with sorted keys of a tags object (string values, limits). */
static enum fp_err parse_tags(const json_t *v, const char *path, char **out, struct fp_diag *diag)
{
        char p[PATH_MAX_];
        const char *k;
        json_t *val;

        if (!json_is_object(v))
                return bad(diag, FP_EPARSE, path, "must be an object of tag: \"value\"");
        if (json_object_size(v) > FP_MAX_TAGS)
                return bad(diag, FP_ELIMIT, path, "more than %d tags", FP_MAX_TAGS);
        json_object_foreach((json_t *)v, k, val) {
                join(p, sizeof(p), path, k);
                if (!tag_key_ok(k))
                        return bad(diag, strlen(k) > FP_MAX_TAG_KEY ? FP_ELIMIT : FP_EPARSE, p,
                                   "bad tag key (1..%d characters, no control character or '=')",
                                   FP_MAX_TAG_KEY);
                if (!json_is_string(val))
                        return bad(diag, FP_EPARSE, p, "a tag value must be a string");
                const char *s = json_string_value(val);
                if (json_string_length(val) != strlen(s) || has_ctl(s))
                        return bad(diag, FP_EPARSE, p, "control character in tag value");
                if (strlen(s) > FP_MAX_TAG_VALUE)
                        return bad(diag, FP_ELIMIT, p, "tag value longer than %d",
                                   FP_MAX_TAG_VALUE);
        }
        *out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        if (!*out)
                return bad(diag, FP_ENOMEM, path, "out of memory");
        return FP_OK;
}

static enum fp_err parse_rings(const json_t *v, struct fp_ro_spec *out, struct fp_diag *diag)
{
        char path[PATH_MAX_], p2[PATH_MAX_];
        enum fp_err err;

        if (!json_is_array(v))
                return bad(diag, FP_EPARSE, "rollout.rings", "must be an array");
        size_t n = json_array_size(v);
        if (n == 0)
                return bad(diag, FP_EPARSE, "rollout.rings", "must not be empty");
        if (n > FP_RO_MAX_RINGS)
                return bad(diag, FP_ELIMIT, "rollout.rings", "more than %d rings",
                           FP_RO_MAX_RINGS);
        out->rings = calloc(n, sizeof(*out->rings));
        if (!out->rings)
                return bad(diag, FP_ENOMEM, "rollout.rings", "out of memory");
        for (size_t i = 0; i < n; i++) {
                const json_t *r = json_array_get(v, i);
                const char *k;
                json_t *m;
                const json_t *name = NULL, *tags = NULL;

                snprintf(path, sizeof(path), "rollout.rings[%zu]", i);
                if (!json_is_object(r))
                        return bad(diag, FP_EPARSE, path, "must be an object {\"name\", \"tags\"}");
                json_object_foreach((json_t *)r, k, m) {
                        if (strcmp(k, "name") == 0) {
                                name = m;
                        } else if (strcmp(k, "tags") == 0) {
                                tags = m;
                        } else {
                                join(p2, sizeof(p2), path, k);
                                return bad(diag, FP_EPARSE, p2, "unknown member");
                        }
                }
                join(p2, sizeof(p2), path, "name");
                if (!name)
                        return bad(diag, FP_EPARSE, p2, "missing");
                if (!json_is_string(name))
                        return bad(diag, FP_EPARSE, p2, "must be a string");
                if (!name_ok(json_string_value(name)) ||
                    json_string_length(name) != strlen(json_string_value(name)))
                        return bad(diag,
                                   json_string_length(name) > FP_RO_MAX_NAME ? FP_ELIMIT
                                                                              : FP_EPARSE,
                                   p2, "bad ring name (1..%d of [a-z0-9._-])", FP_RO_MAX_NAME);
                for (size_t j = 0; j < out->ring_count; j++)
                        if (strcmp(out->rings[j].name, json_string_value(name)) == 0)
                                return bad(diag, FP_EPARSE, p2, "duplicate ring name \"%s\"",
                                           json_string_value(name));
                snprintf(out->rings[i].name, sizeof(out->rings[i].name), "%s",
                         json_string_value(name));
                join(p2, sizeof(p2), path, "tags");
                if (tags) {
                        err = parse_tags(tags, p2, &out->rings[i].tags_json, diag);
                } else {
                        out->rings[i].tags_json = strdup("{}");
                        err = out->rings[i].tags_json ? FP_OK
                                                      : bad(diag, FP_ENOMEM, p2, "out of memory");
                }
                out->ring_count = i + 1; /* owns tags_json from here */
                if (err != FP_OK)
                        return err;
        }
        return FP_OK;
}

static enum fp_err parse_waves(const json_t *v, struct fp_ro_spec *out, struct fp_diag *diag)
{
        char path[PATH_MAX_];

        if (!json_is_array(v))
                return bad(diag, FP_EPARSE, "rollout.waves", "must be an array");
        size_t n = json_array_size(v);
        if (n > FP_RO_MAX_WAVES)
                return bad(diag, FP_ELIMIT, "rollout.waves", "more than %d waves",
                           FP_RO_MAX_WAVES);
        if (n == 0)
                return FP_OK;
        out->waves = calloc(n, sizeof(*out->waves));
        if (!out->waves)
                return bad(diag, FP_ENOMEM, "rollout.waves", "out of memory");
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "rollout.waves[%zu]", i);
                enum fp_err err =
                    parse_amount(json_array_get(v, i), path, 1, 1, true, &out->waves[i], diag);
                if (err != FP_OK)
                        return err;
                out->wave_count = i + 1;
        }
        return FP_OK;
}

static bool url_ok(const char *s)
{
        if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
                return false;
        const char *host = s + (s[4] == 's' ? 8 : 7);
        if (!*host || *host == '/')
                return false;
        for (; *s; s++)
                if ((unsigned char)*s <= 0x20 || *s == 0x7f)
                        return false;
        return true;
}

enum fp_err fp_ro_spec_default(struct fp_ro_spec *out)
{
        memset(out, 0, sizeof(*out));
        out->rings = calloc(1, sizeof(*out->rings));
        if (!out->rings)
                return FP_ENOMEM;
        out->ring_count = 1;
        snprintf(out->rings[0].name, sizeof(out->rings[0].name), "all");
        out->rings[0].tags_json = strdup("{}");
        if (!out->rings[0].tags_json) {
                fp_ro_spec_free(out);
                return FP_ENOMEM;
        }
        out->max_group_down = (struct fp_ro_amount){1, false};
        out->error_budget = (struct fp_ro_amount){0, false};
        out->on_failure = FP_RO_FAIL_NONE;
        out->host_time = FP_RO_DEFAULT_HOST_TIME;
        out->catchup = FP_RO_CATCHUP_NEXT_WINDOW;
        return FP_OK;
}

static enum fp_err parse_members(const json_t *root, struct fp_ro_spec *out, struct fp_diag *diag)
{
        const char *k;
        json_t *v;
        enum fp_err err = FP_OK;
        char path[PATH_MAX_];
        bool have_mgd = false;
        int e = 0;

        json_object_foreach((json_t *)root, k, v) {
                snprintf(path, sizeof(path), "rollout.%s", k);
                if (strcmp(k, "rings") == 0) {
                        /* replace the default ring */
                        for (size_t i = 0; i < out->ring_count; i++)
                                free(out->rings[i].tags_json);
                        free(out->rings);
                        out->rings = NULL;
                        out->ring_count = 0;
                        err = parse_rings(v, out, diag);
                } else if (strcmp(k, "waves") == 0) {
                        err = parse_waves(v, out, diag);
                } else if (strcmp(k, "max_concurrent") == 0) {
                        err = parse_int(v, path, 0, FP_RO_MAX_COUNT, &out->max_concurrent, diag);
                } else if (strcmp(k, "max_per_region") == 0) {
                        err = parse_int(v, path, 0, FP_RO_MAX_COUNT, &out->max_per_region, diag);
                } else if (strcmp(k, "max_per_zone") == 0) {
                        err = parse_int(v, path, 0, FP_RO_MAX_COUNT, &out->max_per_zone, diag);
                } else if (strcmp(k, "group_tag") == 0) {
                        if (!json_is_string(v))
                                return bad(diag, FP_EPARSE, path, "must be a string");
                        const char *s = json_string_value(v);
                        if (json_string_length(v) > FP_MAX_TAG_KEY)
                                return bad(diag, FP_ELIMIT, path, "longer than %d",
                                           FP_MAX_TAG_KEY);
                        if (*s && (!tag_key_ok(s) || json_string_length(v) != strlen(s)))
                                return bad(diag, FP_EPARSE, path, "bad tag key");
                        snprintf(out->group_tag, sizeof(out->group_tag), "%s", s);
                } else if (strcmp(k, "max_group_down") == 0) {
                        have_mgd = true;
                        err = parse_amount(v, path, 1, 1, true, &out->max_group_down, diag);
                } else if (strcmp(k, "bake") == 0) {
                        err = parse_int(v, path, 0, FP_RO_MAX_BAKE, &out->bake, diag);
                } else if (strcmp(k, "error_budget") == 0) {
                        err = parse_amount(v, path, 0, 0, true, &out->error_budget, diag);
                } else if (strcmp(k, "on_failure") == 0) {
                        err = parse_enum(v, path, on_failure_names, 3, &e, diag);
                        out->on_failure = (enum fp_ro_on_failure)e;
                } else if (strcmp(k, "host_time") == 0) {
                        err = parse_int(v, path, FP_RO_MIN_HOST_TIME, FP_RO_MAX_HOST_TIME,
                                        &out->host_time, diag);
                } else if (strcmp(k, "health_url") == 0) {
                        if (!json_is_string(v))
                                return bad(diag, FP_EPARSE, path, "must be a string");
                        const char *s = json_string_value(v);
                        if (json_string_length(v) > FP_RO_MAX_URL)
                                return bad(diag, FP_ELIMIT, path, "longer than %d", FP_RO_MAX_URL);
                        if (*s && (!url_ok(s) || json_string_length(v) != strlen(s)))
                                return bad(diag, FP_EPARSE, path,
                                           "must be an http:// or https:// URL without spaces");
                        snprintf(out->health_url, sizeof(out->health_url), "%s", s);
                } else if (strcmp(k, "catchup") == 0) {
                        err = parse_enum(v, path, catchup_names, 2, &e, diag);
                        out->catchup = (enum fp_ro_catchup)e;
                } else {
                        return bad(diag, FP_EPARSE, path, "unknown member");
                }
                if (err != FP_OK)
                        return err;
        }
        if (have_mgd && !out->group_tag[0])
                return bad(diag, FP_EPARSE, "rollout.max_group_down", "needs group_tag");
        return FP_OK;
}

enum fp_err fp_ro_spec_parse(const char *json, size_t len, struct fp_ro_spec *out,
                             struct fp_diag *diag)
{
        json_error_t jerr;
        enum fp_err err;

        memset(out, 0, sizeof(*out));
        fp_diag_clear(diag);
        if (len > FP_RO_MAX_SPEC_JSON)
                return bad(diag, FP_ELIMIT, "rollout", "longer than %d bytes",
                           FP_RO_MAX_SPEC_JSON);
        json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return bad(diag, FP_EPARSE, "rollout", "JSON: %s at line %d column %d", jerr.text,
                           jerr.line, jerr.column);
        if (!json_is_object(root)) {
                json_decref(root);
                return bad(diag, FP_EPARSE, "rollout", "must be an object");
        }
        err = fp_ro_spec_default(out);
        if (err != FP_OK) {
                json_decref(root);
                return bad(diag, err, "rollout", "out of memory");
        }
        err = parse_members(root, out, diag);
        json_decref(root);
        if (err != FP_OK)
                fp_ro_spec_free(out);
        return err;
}

void fp_ro_spec_free(struct fp_ro_spec *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->ring_count; i++)
                free(s->rings[i].tags_json);
        free(s->rings);
        free(s->waves);
        memset(s, 0, sizeof(*s));
}

void fp_ro_amount_format(struct fp_ro_amount a, char out[24])
{
        snprintf(out, 24, "%" PRId64 "%s", a.value, a.percent ? "%" : "");
}

static json_t *amount_json(struct fp_ro_amount a)
{
        char b[24];

        fp_ro_amount_format(a, b);
        return json_string(b);
}

char *fp_ro_spec_to_json(const struct fp_ro_spec *s)
{
        json_t *o = json_object(), *rings = json_array(), *waves = json_array();
        char *txt = NULL;
        bool ok = o && rings && waves;

        for (size_t i = 0; ok && i < s->ring_count; i++) {
                json_t *r = json_object();
                json_t *tags = json_loads(s->rings[i].tags_json ? s->rings[i].tags_json : "{}", 0,
                                          NULL);
                if (!r || !tags) {
                        json_decref(r);
                        json_decref(tags);
                        ok = false;
                        break;
                }
                /* set_new steals the value even when it fails */
                int e1 = json_object_set_new(r, "name", json_string(s->rings[i].name));
                int e2 = json_object_set_new(r, "tags", tags);
                int e3 = json_array_append_new(rings, r);
                ok = e1 == 0 && e2 == 0 && e3 == 0;
        }
        for (size_t i = 0; ok && i < s->wave_count; i++)
                ok = json_array_append_new(waves, amount_json(s->waves[i])) == 0;
        if (ok) {
                json_object_set_new(o, "rings", rings);
                rings = NULL;
                json_object_set_new(o, "waves", waves);
                waves = NULL;
                ok = json_object_set_new(o, "max_concurrent", json_integer(s->max_concurrent)) == 0 &&
                     json_object_set_new(o, "max_per_region", json_integer(s->max_per_region)) == 0 &&
                     json_object_set_new(o, "max_per_zone", json_integer(s->max_per_zone)) == 0 &&
                     json_object_set_new(o, "group_tag", json_string(s->group_tag)) == 0 &&
                     json_object_set_new(o, "bake", json_integer(s->bake)) == 0 &&
                     json_object_set_new(o, "error_budget", amount_json(s->error_budget)) == 0 &&
                     json_object_set_new(o, "on_failure",
                                         json_string(on_failure_names[s->on_failure])) == 0 &&
                     json_object_set_new(o, "host_time", json_integer(s->host_time)) == 0 &&
                     json_object_set_new(o, "health_url", json_string(s->health_url)) == 0 &&
                     json_object_set_new(o, "catchup", json_string(catchup_names[s->catchup])) == 0;
                if (ok && s->group_tag[0])
                        ok = json_object_set_new(o, "max_group_down",
                                                 amount_json(s->max_group_down)) == 0;
        }
        if (ok)
                txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(rings);
        json_decref(waves);
        json_decref(o);
        return txt;
}

/* ---- ring matching ---- */

static bool tags_match(const json_t *want, const json_t *have)
{
        const char *k;
        json_t *v;

        json_object_foreach((json_t *)want, k, v) {
                const json_t *h = json_object_get(have, k);
                if (!json_is_string(h) || !json_is_string(v) ||
                    strcmp(json_string_value(h), json_string_value(v)) != 0)
                        return false;
        }
        return true;
}

int fp_ro_ring_of(const struct fp_ro_spec *s, const char *tags_json)
{
        json_t *have = tags_json ? json_loads(tags_json, JSON_REJECT_DUPLICATES, NULL) : NULL;
        int ring = -1;

        if (!json_is_object(have)) {
                json_decref(have);
                return -1;
        }
        for (size_t i = 0; i < s->ring_count && ring < 0; i++) {
                const char *t = s->rings[i].tags_json;
                if (!t || strcmp(t, "{}") == 0) {
                        ring = (int)i;
                        break;
                }
                json_t *want = json_loads(t, 0, NULL);
                if (json_is_object(want) && tags_match(want, have))
                        ring = (int)i;
                json_decref(want);
        }
        json_decref(have);
        return ring;
}

uint64_t fp_ro_order_key(const char *rollout_id, const char *host_id)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (const unsigned char *p = (const unsigned char *)rollout_id; p && *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        h = (h ^ 0) * 0x100000001b3ULL;
        for (const unsigned char *p = (const unsigned char *)host_id; p && *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        /* splitmix64 finaliser: spreads FNV's weak low bits */
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebULL;
        h ^= h >> 31;
        return h;
}

/* ---- names ---- */

static const char *const hstate_names[] = {"pending",      "running",     "succeeded",
                                           "failed",       "rolling_back", "rolled_back",
                                           "deferred",     "cancelled"};
static const char *const status_names[] = {"scheduled", "running", "paused",      "halted",
                                           "done",      "failed",  "rolled_back", "cancelled"};

const char *fp_ro_hstate_name(enum fp_ro_hstate s)
{
        return (unsigned)s < 8 ? hstate_names[s] : "?";
}

bool fp_ro_hstate_parse(const char *s, enum fp_ro_hstate *out)
{
        for (unsigned i = 0; s && i < 8; i++)
                if (strcmp(s, hstate_names[i]) == 0) {
                        *out = (enum fp_ro_hstate)i;
                        return true;
                }
        return false;
}

const char *fp_ro_status_name(enum fp_ro_status s)
{
        return (unsigned)s < 8 ? status_names[s] : "?";
}

bool fp_ro_status_parse(const char *s, enum fp_ro_status *out)
{
        for (unsigned i = 0; s && i < 8; i++)
                if (strcmp(s, status_names[i]) == 0) {
                        *out = (enum fp_ro_status)i;
                        return true;
                }
        return false;
}

bool fp_ro_status_final(enum fp_ro_status s)
{
        return s == FP_RO_DONE || s == FP_RO_FAILED || s == FP_RO_ROLLED_BACK ||
               s == FP_RO_CANCELLED;
}
