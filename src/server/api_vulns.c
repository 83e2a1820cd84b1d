/*
 * GET /v1/vulns: the fleet's open exposures by vulnerability, highest risk first, for the
 * dashboard (docs/dashboard.md). The hosts come from the filter of /v1/hosts (tenant
 * isolation: the caller's visible accounts), their open rows of the exposures table
 * (docs/tracking.md, synced at check-in, exceptions applied) are read through the index of
 * open rows by host and grouped by vulnerability: affected and excepted host counts, findings,
 * packages, fixed versions, advisories, the highest severity, KEV, the earliest SLA deadline.
 * No inventory is parsed for that, so the answer covers every matching host (never partial).
 * The score and its reasons are per host (tags weigh in): they are taken, for the listed
 * vulnerabilities only, from one evaluation of a representative host each (the first host
 * by id exposed to it; hosts are shared between rows), so at most `limit` hosts are
 * evaluated, usually a few.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/store_track.h"
#include "fleetpatch/wire.h"
#include "server/server.h"

#define MAX_LIST 8 /* packages and fixed versions named per vulnerability */

struct agg {
        char *vuln;
        json_t *packages, *fixed, *advisories;
        int sev;
        bool kev;
        int64_t sla_due;                   /* earliest, 0 = none */
        int64_t hosts, excepted, findings; /* hosts counted once each */
        size_t last_host;                  /* index + 1 of the host counted last */
        bool last_exposed;
        size_t rep;                        /* index + 1 of the representative host */
        bool rep_exposed;
};

struct vagg {
        char (*ids)[17];
        size_t n, cap, matched, clean;
        struct agg *a;
        size_t an, acap;
        json_t *index; /* vuln -> index into a */
        size_t cur;    /* the host being read */
        bool nomem;
};

static bool collect_cb(void *ctx, const struct fp_host_rec *h)
{
        struct vagg *c = ctx;
        const struct fp_host_counts *k = &h->counts;
        c->matched++;
        int64_t findings = k->kev;
        for (int i = 0; i < 6; i++)
                findings += k->sev[i];
        if (!h->inventory_at || findings == 0) {
                c->clean++;
                return true;
        }
        if (c->n == c->cap) {
                size_t cap = c->cap ? 2 * c->cap : 1024;
                void *p = realloc(c->ids, cap * sizeof(*c->ids));
                if (!p) {
                        c->nomem = true;
                        return false;
                }
                c->ids = p;
                c->cap = cap;
        }
        snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", h->id);
        c->n++;
        return true;
}

/* Add s to the array unless present or full. */
static void add_unique(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;
        if (!s || !*s)
                return;
        json_array_foreach(arr, i, v) {
                if (!strcmp(json_string_value(v), s))
                        return;
        }
        if (json_array_size(arr) < MAX_LIST)
                json_array_append_new(arr, json_string(s));
}

static const char *const sev_order[] = {"unknown", "negligible", "low", "medium", "high",
                                        "critical"};
static int sev_rank(const char *s)
{
        for (int i = 0; s && i < 6; i++)
                if (!strcmp(s, sev_order[i]))
                        return i;
        return 0;
}

static struct agg *agg_of(struct vagg *c, const char *vuln)
{
        json_t *ix = json_object_get(c->index, vuln);
        if (ix)
                return &c->a[json_integer_value(ix)];
        if (c->an == c->acap) {
                size_t cap = c->acap ? 2 * c->acap : 256;
                void *p = realloc(c->a, cap * sizeof(*c->a));
                if (!p)
                        return NULL;
                c->a = p;
                c->acap = cap;
        }
        struct agg *a = &c->a[c->an];
        memset(a, 0, sizeof(*a));
        a->vuln = strdup(vuln);
        a->packages = json_array();
        a->fixed = json_array();
        a->advisories = json_array();
        if (!a->vuln || !a->packages || !a->fixed || !a->advisories ||
            json_object_set_new(c->index, vuln, json_integer((json_int_t)c->an))) {
                json_decref(a->packages);
                json_decref(a->fixed);
                json_decref(a->advisories);
                free(a->vuln);
                return NULL;
        }
        c->an++;
        return a;
}

static bool expo_cb(void *ctx, const struct fp_exposure_rec *e)
{
        struct vagg *c = ctx;
        struct agg *a = agg_of(c, e->vuln);
        if (!a) {
                c->nomem = true;
                return false;
        }
        bool exposed = e->exception == 0;
        size_t host = c->cur + 1;
        if (a->last_host != host) { /* one host counts once per vulnerability */
                a->last_host = host;
                a->last_exposed = exposed;
                if (exposed)
                        a->hosts++;
                else
                        a->excepted++;
        } else if (exposed && !a->last_exposed) { /* exposed through another package */
                a->last_exposed = true;
                a->excepted--;
                a->hosts++;
        }
        if (!a->rep || (exposed && !a->rep_exposed)) {
                a->rep = host;
                a->rep_exposed = exposed;
        }
        a->findings++;
        int sev = sev_rank(e->severity);
        if (sev > a->sev)
                a->sev = sev;
        if (e->kev)
                a->kev = true;
        if (e->sla_due > 0 && (!a->sla_due || e->sla_due < a->sla_due))
                a->sla_due = e->sla_due;
        add_unique(a->packages, e->package);
        if (e->fixed_version && *e->fixed_version) {
                char buf[512];
                snprintf(buf, sizeof(buf), "%s %s", e->package, e->fixed_version);
                add_unique(a->fixed, buf);
        }
        add_unique(a->advisories, e->advisories);
        return true;
}

/* Highest risk first: KEV, severity, affected hosts, then the id. */
static int by_risk(const void *pa, const void *pb)
{
        const struct agg *a = *(struct agg *const *)pa, *b = *(struct agg *const *)pb;
        if (a->kev != b->kev)
                return a->kev ? -1 : 1;
        if (a->sev != b->sev)
                return b->sev - a->sev;
        if (a->hosts != b->hosts)
                return a->hosts < b->hosts ? 1 : -1;
        return strcmp(a->vuln, b->vuln);
}

/* One host's findings as JSON, NULL when it has no inventory (or it does not parse). */
static json_t *host_findings(struct fp_req *r, const char *id, struct fp_diag *diag,
                             enum fp_err *err)
{
        struct fp_host_rec h;
        *err = fp_store_host_get(r->tx, id, &h, diag);
        const char *doc = NULL;
        if (*err == FP_OK)
                *err = fp_store_host_inventory(r->tx, id, &doc, diag);
        if (*err == FP_ENOTFOUND) {
                *err = FP_OK;
                return NULL;
        }
        if (*err != FP_OK)
                return NULL;
        json_t *inv = json_loads(doc, 0, NULL);
        if (!inv)
                return NULL; /* not ours to judge here: GET /v1/hosts/{id}/vulns says 500 */
        struct fp_wire_inventory w;
        enum fp_err perr = fp_wire_inventory_parse(inv, &w, diag);
        json_decref(inv);
        if (perr != FP_OK) {
                if (perr == FP_ENOMEM)
                        *err = perr;
                return NULL;
        }
        json_t *tags = fp_json_tags(&h);
        char *tags_text = tags ? json_dumps(tags, JSON_COMPACT) : NULL;
        json_decref(tags);
        json_t *list = tags_text ? fp_findings_list(r->srv->findings, &w, h.hostname, tags_text,
                                                    diag)
                                 : NULL;
        free(tags_text);
        fp_wire_inventory_release(&w);
        if (!list)
                *err = FP_EIO;
        return list;
}

struct rep_cache {
        size_t host; /* index + 1 */
        json_t *findings;
};

/* The row of one listed vulnerability, the score and reasons of its highest-scored finding
 * on its representative host (-1 and null when there is none, e.g. no database). */
static json_t *vuln_row(struct fp_req *r, const struct vagg *c, const struct agg *a,
                        struct rep_cache *cache, size_t *cached, struct fp_diag *diag,
                        enum fp_err *err)
{
        json_t *findings = NULL;
        for (size_t i = 0; i < *cached; i++)
                if (cache[i].host == a->rep)
                        findings = cache[i].findings;
        if (!findings && a->rep && fp_findings_available(r->srv->findings)) {
                findings = host_findings(r, c->ids[a->rep - 1], diag, err);
                if (*err != FP_OK)
                        return NULL;
                cache[*cached].host = a->rep;
                cache[*cached].findings = findings;
                (*cached)++;
        }
        json_t *o = json_pack("{s:s, s:s, s:b, s:f, s:n, s:I, s:I, s:I, s:O, s:O, s:O}", "vuln",
                              a->vuln, "severity", sev_order[a->sev], "kev", a->kev, "score",
                              -1.0, "reasons", "hosts", (json_int_t)a->hosts, "hosts_excepted",
                              (json_int_t)a->excepted, "findings", (json_int_t)a->findings,
                              "packages", a->packages, "fixed", a->fixed, "advisories",
                              a->advisories);
        if (!o) {
                *err = FP_ENOMEM;
                return NULL;
        }
        json_object_set_new(o, "sla_due", a->sla_due ? json_integer(a->sla_due) : json_null());
        size_t i;
        json_t *f;
        double best = -1.0;
        json_array_foreach(findings, i, f) {
                const char *id = json_string_value(json_object_get(f, "vuln"));
                double score = json_number_value(json_object_get(f, "score"));
                if (!id || strcmp(id, a->vuln) || score <= best)
                        continue;
                best = score;
                json_object_set_new(o, "score", json_real(score));
                json_object_set(o, "reasons", json_object_get(f, "reasons"));
                json_t *e = json_object_get(f, "epss");
                if (e)
                        json_object_set(o, "epss", e);
                json_t *cv = json_object_get(f, "cvss");
                if (cv)
                        json_object_set(o, "cvss", cv);
        }
        return o;
}

void api_vulns_list(struct fp_req *r)
{
        struct fp_host_filter f;
        const char *acct[FP_MAX_GRANTS];
        if (!req_host_filter(r, &f, acct))
                return;
        size_t limit = 100;
        const char *ls = req_query(r, "limit");
        if (ls) {
                char *end;
                long v = strtol(ls, &end, 10);
                if (*end || v < 1 || v > FP_MAX_PAGE) {
                        req_error(r, 400, "invalid_request", "limit", "1..%d", FP_MAX_PAGE);
                        return;
                }
                limit = (size_t)v;
        }
        const char *kev = req_query(r, "kev");
        bool kev_only = kev && (!strcmp(kev, "true") || !strcmp(kev, "1"));
        if (kev && !kev_only && strcmp(kev, "false") && strcmp(kev, "0")) {
                req_error(r, 400, "invalid_request", "kev", "true or false");
                return;
        }
        const char *minsev = req_query(r, "severity");
        if (minsev && sev_rank(minsev) == 0 && strcmp(minsev, "unknown")) {
                req_error(r, 400, "invalid_request", "severity",
                          "unknown, negligible, low, medium, high or critical (the minimum)");
                return;
        }
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct vagg c = {.index = json_object()};
        struct agg **rows = NULL;
        struct rep_cache *cache = NULL;
        size_t cached = 0;
        json_t *arr = NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = c.index ? FP_OK : FP_ENOMEM;
        if (err == FP_OK)
                err = fp_store_host_list(tx, &f, collect_cb, &c, &diag);
        if (err == FP_OK && c.nomem)
                err = FP_ENOMEM;
        for (c.cur = 0; err == FP_OK && c.cur < c.n; c.cur++) {
                err = fp_store_exposure_host(tx, c.ids[c.cur], expo_cb, &c, &diag);
                if (err == FP_OK && c.nomem)
                        err = FP_ENOMEM;
        }
        size_t k = 0;
        if (err == FP_OK) {
                rows = calloc(c.an ? c.an : 1, sizeof(struct agg *));
                cache = calloc(limit, sizeof(*cache));
                arr = json_array();
                if (!rows || !cache || !arr)
                        err = FP_ENOMEM;
        }
        for (size_t i = 0; err == FP_OK && i < c.an; i++) {
                struct agg *a = &c.a[i];
                if (kev_only && !a->kev)
                        continue;
                if (minsev && a->sev < sev_rank(minsev))
                        continue;
                rows[k++] = a;
        }
        if (err == FP_OK)
                qsort(rows, k, sizeof(struct agg *), by_risk);
        for (size_t i = 0; err == FP_OK && i < k && i < limit; i++) {
                json_t *o = vuln_row(r, &c, rows[i], cache, &cached, &diag, &err);
                if (o && json_array_append_new(arr, o))
                        err = FP_ENOMEM;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                goto out;
        }
        json_t *o = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "vulns", arr, "total",
                              (json_int_t)k, "hosts_matched", (json_int_t)c.matched,
                              "hosts_evaluated", (json_int_t)c.n, "hosts_without_findings",
                              (json_int_t)c.clean, "hosts_scored", (json_int_t)cached,
                              "partial", false, "vulnerability_database",
                              fp_findings_available(r->srv->findings));
        arr = NULL;
        req_answer(r, 200, o);
out:
        json_decref(arr);
        for (size_t i = 0; cache && i < cached; i++)
                json_decref(cache[i].findings);
        free(cache);
        free(rows);
        for (size_t i = 0; i < c.an; i++) {
                json_decref(c.a[i].packages);
                json_decref(c.a[i].fixed);
                json_decref(c.a[i].advisories);
                free(c.a[i].vuln);
        }
        free(c.a);
        json_decref(c.index);
        free(c.ids);
}
