/*
 * Compliance summaries, series and reports (docs/compliance.md): query times and ranges,
 * summaries of the states at a date grouped by a dimension, series from the daily rollup, the
 * report as JSON, CSV and one self-contained HTML file, and the scheduled reports.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "server/comply.h"
#include "server/notify.h"

/* ---- one host as JSON ---- */

static const char *const sev_keys[6] = {"unknown", "negligible", "low",
                                        "medium",  "high",       "critical"};
static const char *const slot_keys[FP_COMPLY_LEVELS] = {
    "none", "unspecified", "informational", "low", "medium", "high", "critical"};

json_t *fp_comply_rec_json(const struct fp_comply_rec *r, int64_t at, bool tags)
{
        int64_t by;
        const char *sla = fp_comply_sla_status(r, at, &by);
        json_t *missing = json_object(), *findings = json_object();
        for (int i = 0; i < FP_COMPLY_LEVELS; i++)
                json_object_set_new(missing, slot_keys[i], json_integer(r->missing[i]));
        for (int i = 0; i < 6; i++)
                json_object_set_new(findings, sev_keys[i], json_integer(r->sev[i]));
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:s, s:I, s:o, s:I,"
            " s:o, s:I, s:I, s:b, s:b}",
            "host", r->host, "hostname", r->hostname, "account", r->account, "region", r->region,
            "os", r->os, "baseline", r->baseline, "service", r->service, "service_model",
            r->service_model, "version", r->version, "tags",
            tags ? fp_json_stored(r->tags_json) : json_null(),
            "state", fp_comply_state_name(r->state), "since", (json_int_t)r->since, "level",
            fp_comply_level_name(r->level), "gaps", (json_int_t)r->gaps, "missing", missing, "excepted",
            (json_int_t)r->excepted, "findings", findings, "kev", (json_int_t)r->kev, "overdue",
            (json_int_t)r->overdue, "catchup", r->catchup, "reboot", r->reboot);
        if (o && !tags)
                json_object_del(o, "tags");
        if (o)
                json_object_set_new(o, "sla",
                                    json_pack("{s:s, s:I, s:I}", "status", sla, "deadline",
                                              (json_int_t)r->sla_min,
                                              !strcmp(sla, "breached") ? "breached_for" : "due_in",
                                              (json_int_t)by));
        return o;
}

/* ---- summaries ---- */

/* Percent with one decimal, truncated in integers so the HTML shows the same digits. */
static double rate_of(int64_t ok, int64_t known)
{
        if (!known)
                return 100.0;
        int64_t permille = ok * 1000 / known;
        return (double)permille / 10.0;
}

struct agg {
        int64_t hosts, state[FP_CS_COUNT], gaps, missing[FP_COMPLY_LEVELS], excepted;
        int64_t sev[6], kev, kev_hosts, overdue;
        int64_t sla_breached, sla_due_7d, breach_max, breach_sum;
};

static void agg_add(struct agg *a, const struct fp_comply_rec *r, int64_t at)
{
        a->hosts++;
        if ((unsigned)r->state < FP_CS_COUNT)
                a->state[r->state]++;
        a->gaps += r->gaps;
        for (int i = 0; i < FP_COMPLY_LEVELS; i++)
                a->missing[i] += r->missing[i];
        a->excepted += r->excepted;
        for (int i = 0; i < 6; i++)
                a->sev[i] += r->sev[i];
        a->kev += r->kev;
        a->kev_hosts += r->kev > 0;
        a->overdue += r->overdue;
        int64_t by;
        const char *sla = fp_comply_sla_status(r, at, &by);
        if (r->state == FP_CS_PROVIDER)
                return; /* the provider's SLA, not ours */
        if (!strcmp(sla, "breached")) {
                a->sla_breached++;
                a->breach_sum += by;
                if (by > a->breach_max)
                        a->breach_max = by;
        } else if (!strcmp(sla, "due") && by <= 7 * 86400) {
                a->sla_due_7d++;
        }
}

static json_t *agg_json(const struct agg *a)
{
        json_t *states = json_object(), *missing = json_object(), *findings = json_object();
        for (int i = 0; i < FP_CS_COUNT; i++)
                if (i != FP_CS_REMOVED)
                        json_object_set_new(states, fp_comply_state_name((enum fp_comply_state)i),
                                            json_integer(a->state[i]));
        for (int i = 0; i < FP_COMPLY_LEVELS; i++)
                json_object_set_new(missing, slot_keys[i], json_integer(a->missing[i]));
        for (int i = 0; i < 6; i++)
                json_object_set_new(findings, sev_keys[i], json_integer(a->sev[i]));
        int64_t ok = a->state[FP_CS_COMPLIANT] + a->state[FP_CS_EXCEPTED] +
                     a->state[FP_CS_PROVIDER];
        int64_t known = a->hosts - a->state[FP_CS_UNKNOWN];
        double rate = rate_of(ok, known);
        return json_pack("{s:I, s:I, s:f, s:o, s:I, s:o, s:I, s:o, s:I, s:I, s:I, s:{s:I, s:I,"
                         " s:I, s:I}}",
                         "hosts", (json_int_t)a->hosts, "compliant_hosts", (json_int_t)ok,
                         "compliance_rate", rate, "states", states, "gaps", (json_int_t)a->gaps,
                         "missing", missing, "excepted", (json_int_t)a->excepted, "findings",
                         findings, "kev_findings", (json_int_t)a->kev, "kev_hosts",
                         (json_int_t)a->kev_hosts, "overdue", (json_int_t)a->overdue, "sla",
                         "breached_hosts", (json_int_t)a->sla_breached, "due_7d_hosts",
                         (json_int_t)a->sla_due_7d, "max_breached_for",
                         (json_int_t)a->breach_max, "mean_breached_for",
                         (json_int_t)(a->sla_breached ? a->breach_sum / a->sla_breached : 0));
}

struct group {
        char *key;
        struct agg a;
};

struct summary_ctx {
        int64_t at;
        enum fp_comply_dim dim;
        const char *tag_key;
        struct agg total;
        struct group *groups;
        size_t n, cap;
        bool too_many;
        /* the report keeps the rows (records, strings in the transaction's arena) */
        bool keep_rows;
        struct fp_comply_rec *rows;
        size_t nrows, caprows;
};

static const char *group_key(const struct summary_ctx *c, const struct fp_comply_rec *r,
                             char *buf, size_t bufsz)
{
        switch (c->dim) {
        case FP_DIM_ACCOUNT:
                return r->account;
        case FP_DIM_REGION:
                return r->region;
        case FP_DIM_BASELINE:
                return r->baseline;
        case FP_DIM_OS:
                return r->os;
        case FP_DIM_SERVICE:
                return r->service;
        case FP_DIM_TAG: {
                json_t *t = json_loads(r->tags_json ? r->tags_json : "{}", 0, NULL);
                snprintf(buf, bufsz, "%s",
                         json_string_value(json_object_get(t, c->tag_key))
                             ? json_string_value(json_object_get(t, c->tag_key))
                             : "");
                json_decref(t);
                return buf;
        }
        default:
                return NULL;
        }
}

static bool summary_cb(void *ctx, const struct fp_comply_rec *r)
{
        struct summary_ctx *c = ctx;
        agg_add(&c->total, r, c->at);
        if (c->keep_rows && c->nrows < FP_REPORT_MAX_HOST_ROWS) {
                if (c->nrows == c->caprows) {
                        size_t cap = c->caprows ? c->caprows * 2 : 1024;
                        struct fp_comply_rec *n = realloc(c->rows, cap * sizeof(*n));
                        if (!n)
                                return false;
                        c->rows = n;
                        c->caprows = cap;
                }
                c->rows[c->nrows++] = *r;
        }
        char buf[FP_MAX_TAG_VALUE + 1];
        const char *key = group_key(c, r, buf, sizeof(buf));
        if (!key)
                return true;
        /* groups are few (accounts, regions, OS releases); a linear search is enough below
         * FP_COMPLY_MAX_GROUPS */
        size_t i = 0;
        while (i < c->n && strcmp(c->groups[i].key, key))
                i++;
        if (i == c->n) {
                if (c->n == FP_COMPLY_MAX_GROUPS) {
                        c->too_many = true;
                        return true;
                }
                if (c->n == c->cap) {
                        size_t cap = c->cap ? c->cap * 2 : 16;
                        struct group *g = realloc(c->groups, cap * sizeof(*g));
                        if (!g)
                                return false;
                        c->groups = g;
                        c->cap = cap;
                }
                memset(&c->groups[c->n], 0, sizeof(c->groups[c->n]));
                c->groups[c->n].key = strdup(key);
                if (!c->groups[c->n].key)
                        return false;
                c->n++;
        }
        agg_add(&c->groups[i].a, r, c->at);
        return true;
}

static int group_cmp(const void *a, const void *b)
{
        return strcmp(((const struct group *)a)->key, ((const struct group *)b)->key);
}

static void summary_release(struct summary_ctx *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->groups[i].key);
        free(c->groups);
        free(c->rows);
}

/* The states at `at` (0 = now: the current ones) into c. */
static enum fp_err collect(struct fp_tx *tx, const struct fp_comply_filter *f, int64_t at,
                           struct summary_ctx *c, struct fp_diag *diag)
{
        struct fp_comply_filter all = *f;
        all.after = NULL;
        all.limit = 0;
        enum fp_err err = at ? fp_store_comply_at(tx, &all, at, summary_cb, c, diag)
                             : fp_store_comply_list(tx, &all, summary_cb, c, diag);
        if (err == FP_OK && c->too_many) {
                fp_diag_set(diag, NULL, 0, "by", "more than %d groups (FP_COMPLY_MAX_GROUPS)",
                            FP_COMPLY_MAX_GROUPS);
                err = FP_ELIMIT;
        }
        return err;
}

static json_t *groups_json(struct summary_ctx *c)
{
        qsort(c->groups, c->n, sizeof(c->groups[0]), group_cmp);
        json_t *arr = json_array();
        for (size_t i = 0; i < c->n; i++) {
                json_t *g = agg_json(&c->groups[i].a);
                json_object_set_new(g, "key", json_string(c->groups[i].key));
                json_array_append_new(arr, g);
        }
        return arr;
}

static const char *const dim_names[] = {"account", "region", "tag", "baseline", "os", "service"};

json_t *fp_comply_summary(struct fp_tx *tx, const struct fp_comply_filter *f, int64_t at,
                          int64_t now, enum fp_comply_dim dim, const char *tag_key,
                          struct fp_diag *diag, enum fp_err *err)
{
        struct summary_ctx c = {.at = at ? at : now, .dim = dim, .tag_key = tag_key};
        *err = collect(tx, f, at, &c, diag);
        if (*err != FP_OK) {
                summary_release(&c);
                return NULL;
        }
        json_t *o = json_pack("{s:I, s:o}", "at", (json_int_t)c.at, "total", agg_json(&c.total));
        if (o && dim != FP_DIM_NONE) {
                char by[80];
                snprintf(by, sizeof(by), "%s%s%s", dim_names[dim], tag_key ? ":" : "",
                         tag_key ? tag_key : "");
                json_object_set_new(o, "by", json_string(by));
                json_object_set_new(o, "groups", groups_json(&c));
        }
        summary_release(&c);
        if (!o)
                *err = FP_ENOMEM;
        return o;
}

/* ---- series from the rollup ---- */

struct delta {
        int64_t day;
        int metric; /* >= 0: a rollup metric; < 0: -1 - due_day of the SLA rollup */
        int64_t value;
};

struct series_ctx {
        struct delta *d;
        size_t n, cap;
};

static bool series_cb(void *ctx, const char *account, int64_t day, int metric, int64_t value)
{
        (void)account;
        struct series_ctx *c = ctx;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 1024;
                struct delta *d = realloc(c->d, cap * sizeof(*d));
                if (!d)
                        return false;
                c->d = d;
                c->cap = cap;
        }
        c->d[c->n++] = (struct delta){day, metric, value};
        return true;
}

/* Live hosts per earliest-deadline day (the SLA rollup folded up to a day). */
struct due {
        int64_t due_day, count;
};

json_t *fp_comply_series(struct fp_tx *tx, const struct fp_comply_filter *f,
                         const struct fp_report_range *range, struct fp_diag *diag,
                         enum fp_err *err)
{
        struct series_ctx c = {0};
        int64_t last_day = range->to / 86400;
        *err = fp_store_comply_rollup_list(tx, f, last_day, series_cb, &c, diag);
        if (*err != FP_OK) {
                free(c.d);
                return NULL;
        }
        int64_t sum[FP_CM_COUNT] = {0};
        struct due *dues = NULL;
        size_t ndue = 0, capdue = 0;
        json_t *points = json_array();
        size_t k = 0;
        for (int64_t t = range->from; t <= range->to && *err == FP_OK; t += range->step) {
                int64_t day = t / 86400;
                for (; k < c.n && c.d[k].day <= day; k++) {
                        if (c.d[k].metric >= 0) {
                                if (c.d[k].metric < FP_CM_COUNT)
                                        sum[c.d[k].metric] += c.d[k].value;
                                continue;
                        }
                        int64_t dd = -1 - (int64_t)c.d[k].metric;
                        size_t j = 0;
                        while (j < ndue && dues[j].due_day != dd)
                                j++;
                        if (j == ndue) {
                                if (ndue == capdue) {
                                        size_t cap = capdue ? capdue * 2 : 256;
                                        struct due *nd = realloc(dues, cap * sizeof(*nd));
                                        if (!nd) {
                                                *err = FP_ENOMEM;
                                                break;
                                        }
                                        dues = nd;
                                        capdue = cap;
                                }
                                dues[ndue++] = (struct due){dd, 0};
                        }
                        dues[j].count += c.d[k].value;
                }
                int64_t breached = 0;
                for (size_t j = 0; j < ndue; j++)
                        if (dues[j].due_day <= day)
                                breached += dues[j].count;
                struct agg a = {0};
                for (int s = 0; s < FP_CS_COUNT; s++)
                        a.state[s] = sum[FP_CM_STATE0 + s];
                for (int s = 0; s < FP_CS_COUNT; s++)
                        if (s != FP_CS_REMOVED)
                                a.hosts += a.state[s];
                for (int s = 0; s < 6; s++)
                        a.sev[s] = sum[FP_CM_SEV0 + s];
                a.kev = sum[FP_CM_KEV];
                a.kev_hosts = sum[FP_CM_KEV_HOSTS];
                a.overdue = sum[FP_CM_OVERDUE];
                a.gaps = sum[FP_CM_GAPS];
                int64_t ok = a.state[FP_CS_COMPLIANT] + a.state[FP_CS_EXCEPTED] +
                             a.state[FP_CS_PROVIDER];
                int64_t known = a.hosts - a.state[FP_CS_UNKNOWN];
                json_t *states = json_object(), *findings = json_object();
                for (int s = 0; s < FP_CS_COUNT; s++)
                        if (s != FP_CS_REMOVED)
                                json_object_set_new(states,
                                                    fp_comply_state_name((enum fp_comply_state)s),
                                                    json_integer(a.state[s]));
                for (int s = 0; s < 6; s++)
                        json_object_set_new(findings, sev_keys[s], json_integer(a.sev[s]));
                char date[32];
                fp_format_date(day * 86400, date);
                date[10] = 0;
                json_array_append_new(
                    points,
                    json_pack("{s:s, s:I, s:I, s:I, s:f, s:o, s:o, s:I, s:I, s:I, s:I, s:I}",
                              "date", date, "at", (json_int_t)day * 86400 + 86399, "hosts",
                              (json_int_t)a.hosts, "compliant_hosts", (json_int_t)ok,
                              "compliance_rate",
                              rate_of(ok, known), "states",
                              states, "findings", findings, "kev_findings", (json_int_t)a.kev,
                              "kev_hosts", (json_int_t)a.kev_hosts, "overdue",
                              (json_int_t)a.overdue, "gaps", (json_int_t)a.gaps,
                              "sla_breached_hosts", (json_int_t)breached));
        }
        free(dues);
        free(c.d);
        if (*err != FP_OK) {
                json_decref(points);
                return NULL;
        }
        return points;
}

/* ---- the report ---- */

struct mttr_ctx {
        int64_t count[6], seconds[6];
        json_t *by_account;
};

static bool mttr_cb(void *ctx, const char *account, const char *severity, int64_t count,
                    int64_t seconds)
{
        struct mttr_ctx *c = ctx;
        enum fp_severity s = FP_SEV_UNKNOWN;
        fp_severity_parse(severity, &s);
        if ((unsigned)s < 6) {
                c->count[s] += count;
                c->seconds[s] += seconds;
        }
        json_t *a = json_object_get(c->by_account, account);
        if (!a) {
                a = json_pack("{s:I, s:I}", "remediated", (json_int_t)0, "seconds", (json_int_t)0);
                json_object_set_new(c->by_account, account, a);
        }
        json_object_set_new(a, "remediated",
                            json_integer(json_integer_value(json_object_get(a, "remediated")) +
                                         count));
        json_object_set_new(a, "seconds",
                            json_integer(json_integer_value(json_object_get(a, "seconds")) +
                                         seconds));
        return true;
}

static json_t *mttr_json(struct mttr_ctx *c)
{
        json_t *by = json_object();
        int64_t n = 0, sec = 0;
        for (int i = 0; i < 6; i++) {
                n += c->count[i];
                sec += c->seconds[i];
                json_object_set_new(
                    by, sev_keys[i],
                    json_pack("{s:I, s:I}", "remediated", (json_int_t)c->count[i], "mean_seconds",
                              (json_int_t)(c->count[i] ? c->seconds[i] / c->count[i] : 0)));
        }
        const char *k;
        json_t *v;
        json_object_foreach(c->by_account, k, v)
        {
                json_int_t r = json_integer_value(json_object_get(v, "remediated"));
                json_int_t s = json_integer_value(json_object_get(v, "seconds"));
                json_object_set_new(v, "mean_seconds", json_integer(r ? s / r : 0));
                json_object_del(v, "seconds");
        }
        return json_pack("{s:I, s:I, s:o, s:O}", "remediated", (json_int_t)n, "mean_seconds",
                         (json_int_t)(n ? sec / n : 0), "by_severity", by, "by_account",
                         c->by_account);
}

static int breach_cmp(const void *a, const void *b)
{
        const struct fp_comply_rec *x = *(const struct fp_comply_rec *const *)a;
        const struct fp_comply_rec *y = *(const struct fp_comply_rec *const *)b;
        /* the earliest deadline is the longest breach; then by host for a stable order */
        if (x->sla_min != y->sla_min)
                return x->sla_min < y->sla_min ? -1 : 1;
        return strcmp(x->host, y->host);
}

/* The rows whose SLA is breached at `at`, longest first, at most max. */
static json_t *breaches(const struct fp_comply_rec *rows, size_t nrows, int64_t at, size_t max)
{
        const struct fp_comply_rec **list = calloc(nrows + 1, sizeof(const struct fp_comply_rec *));
        json_t *out = json_array();
        if (!list || !out) {
                free(list);
                return out;
        }
        size_t n = 0;
        for (size_t i = 0; i < nrows; i++)
                if (rows[i].sla_min && rows[i].sla_min < at && rows[i].state != FP_CS_PROVIDER)
                        list[n++] = &rows[i];
        qsort(list, n, sizeof(const struct fp_comply_rec *), breach_cmp);
        for (size_t i = 0; i < n && i < max; i++)
                json_array_append_new(
                    out, json_pack("{s:s, s:s, s:s, s:I, s:I}", "host", list[i]->host, "hostname",
                                   list[i]->hostname, "account", list[i]->account, "deadline",
                                   (json_int_t)list[i]->sla_min, "breached_for",
                                   (json_int_t)(at - list[i]->sla_min)));
        free(list);
        return out;
}

enum fp_err fp_report_build(struct fp_tx *tx, const struct fp_comply_filter *f,
                            const struct fp_report_range *range, int64_t now, const char *scope,
                            struct fp_report *out, struct fp_diag *diag)
{
        memset(out, 0, sizeof(*out));
        /* the states at the end of the range: the current ones when it ends now */
        int64_t at = range->to >= now ? 0 : range->to;
        struct summary_ctx c = {.at = at ? at : now, .dim = FP_DIM_ACCOUNT, .keep_rows = true};
        enum fp_err err = collect(tx, f, at, &c, diag);
        json_t *series = err == FP_OK ? fp_comply_series(tx, f, range, diag, &err) : NULL;
        struct mttr_ctx m = {.by_account = json_object()};
        if (err == FP_OK)
                err = fp_store_comply_mttr(tx, f, range->from, range->to, mttr_cb, &m, diag);
        if (err != FP_OK) {
                json_decref(series);
                json_decref(m.by_account);
                summary_release(&c);
                return err;
        }
        json_t *total = agg_json(&c.total);
        char from[32], to[32], gen[32];
        fp_format_date(range->from, from);
        fp_format_date(range->to, to);
        fp_format_date(now, gen);
        json_t *exposure = json_object();
        for (int i = 0; i < 6; i++)
                json_object_set_new(exposure, sev_keys[i], json_integer(c.total.sev[i]));
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:I, s:{s:s, s:s, s:I, s:I, s:I}, s:o, s:o, s:o, s:{s:I, s:I},"
            " s:{s:I, s:I, s:I, s:o}, s:o, s:o, s:I, s:b}",
            "report", "compliance", "scope", scope, "generated", gen, "at", (json_int_t)c.at,
            "range", "from", from, "to", to, "from_ts", (json_int_t)range->from, "to_ts",
            (json_int_t)range->to, "step", (json_int_t)range->step, "summary", total,
            "by_account", groups_json(&c), "series", series, "kev", "findings",
            (json_int_t)c.total.kev, "hosts", (json_int_t)c.total.kev_hosts, "sla",
            "breached_hosts", (json_int_t)c.total.sla_breached, "due_7d_hosts",
            (json_int_t)c.total.sla_due_7d, "max_breached_for", (json_int_t)c.total.breach_max,
            "breaches", breaches(c.rows, c.nrows, c.at, FP_REPORT_HTML_HOST_ROWS), "mttr",
            mttr_json(&m), "exposure", exposure, "hosts_total", (json_int_t)c.total.hosts,
            "hosts_truncated", c.total.hosts > (int64_t)c.nrows);
        json_decref(m.by_account);
        if (!o) {
                summary_release(&c);
                return FP_ENOMEM;
        }
        out->doc = o;
        out->rows = c.rows; /* taken */
        out->nrows = c.nrows;
        out->at = c.at;
        c.rows = NULL;
        summary_release(&c);
        return FP_OK;
}

/* ---- scheduled reports ---- */

struct due_ctx {
        struct fp_report_schedule *s;
        size_t n, cap;
        struct fp_arena *arena;
};

static bool due_cb(void *ctx, const struct fp_report_schedule *s)
{
        struct due_ctx *c = ctx;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                struct fp_report_schedule *n = realloc(c->s, cap * sizeof(*n));
                if (!n)
                        return false;
                c->s = n;
                c->cap = cap;
        }
        struct fp_report_schedule *d = &c->s[c->n++];
        *d = *s;
        d->account = fp_arena_strdup(c->arena, s->account);
        d->name = fp_arena_strdup(c->arena, s->name);
        d->format = fp_arena_strdup(c->arena, s->format);
        d->report = fp_arena_strdup(c->arena, s->report);
        return d->account && d->name && d->format && d->report;
}

/* One schedule's run in its own transaction: build, queue report.ready, advance. */
static enum fp_err run_schedule(struct fp_server *srv, const struct fp_report_schedule *s,
                                int64_t now, struct fp_diag *diag)
{
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK)
                return err;
        const char *accounts[1] = {s->account};
        struct fp_comply_filter f = {.accounts = accounts, .account_count = 1};
        struct fp_report_range range = {.from = now - s->range_days * 86400, .to = now,
                                        .step = 86400};
        char scope[96];
        snprintf(scope, sizeof(scope), "account %s", s->account);
        struct fp_report rep;
        err = fp_report_build(tx, &f, &range, now, scope, &rep, diag);
        char *html = err == FP_OK ? fp_report_html(&rep) : NULL;
        char *csv = err == FP_OK && !strcmp(s->format, "csv") ? fp_report_csv(&rep) : NULL;
        /* the event carries the summary and the first host rows; every row stays in the
         * report the API serves (an event has FP_MAX_NOTIFY_EVENT_DATA bytes) */
        char *text = err == FP_OK ? fp_report_json(&rep, FP_REPORT_HTML_HOST_ROWS) : NULL;
        json_t *report = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (err == FP_OK && (!html || !report || (!strcmp(s->format, "csv") && !csv)))
                err = FP_ENOMEM;
        if (err == FP_OK) {
                json_t *data = json_pack("{s:O, s:s, s:s, s:s}", "report", report, "html", html,
                                         "format", s->format, "schedule", s->name);
                if (data && csv)
                        json_object_set_new(data, "csv", json_string(csv));
                char key[160], subject[200];
                snprintf(key, sizeof(key), "schedule:%s:%lld", s->name, (long long)s->next_run);
                snprintf(subject, sizeof(subject), "Compliance report of account %s (%s)",
                         s->account, s->name);
                err = data ? fp_notify_event(srv, tx, now, s->account, "report.ready", key,
                                             subject, data, diag)
                           : FP_ENOMEM;
                json_decref(data);
        }
        fp_report_release(&rep);
        char why[300] = "";
        if (err != FP_OK)
                snprintf(why, sizeof(why), "%s: %s", fp_errname(err),
                         diag->msg[0] ? diag->msg : fp_strerror(err));
        json_decref(report);
        free(html);
        free(csv);
        if (err != FP_OK) {
                /* the failure is kept on the schedule, in a transaction of its own */
                fp_tx_rollback(tx);
                fp_diag_clear(diag);
                if (fp_store_begin(srv->store, true, &tx, diag) != FP_OK)
                        return FP_OK;
        }
        int64_t next = s->next_run + s->every_days * 86400;
        while (next <= now) /* a server that was down runs a missed schedule once */
                next += s->every_days * 86400;
        enum fp_err e2 = fp_store_report_schedule_ran(tx, s->account, s->name, now, next, why, diag);
        if (e2 == FP_OK)
                e2 = fp_tx_commit(tx, diag);
        else
                fp_tx_rollback(tx);
        return e2;
}

enum fp_err fp_report_schedules_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag)
{
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, false, &tx, diag);
        if (err != FP_OK)
                return err;
        struct fp_arena arena;
        fp_arena_init(&arena);
        struct due_ctx c = {.arena = &arena};
        err = fp_store_report_schedule_list(tx, NULL, now, due_cb, &c, diag);
        fp_tx_rollback(tx);
        for (size_t i = 0; err == FP_OK && i < c.n; i++) {
                enum fp_err e = run_schedule(srv, &c.s[i], now, diag);
                if (e != FP_OK) {
                        fprintf(stderr, "fleetpatchd: report schedule %s/%s: %s\n",
                                c.s[i].account, c.s[i].name,
                                diag->msg[0] ? diag->msg : fp_strerror(e));
                        fp_diag_clear(diag);
                }
        }
        free(c.s);
        fp_arena_release(&arena);
        return err;
}
