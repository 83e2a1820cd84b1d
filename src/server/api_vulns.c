/*
 * GET /v1/vulns: the fleet's findings by vulnerability, highest risk first, for the dashboard
 * (docs/dashboard.md). Each host's findings are evaluated from its stored inventory exactly as
 * GET /v1/hosts/{id}/vulns does (current database, exceptions applied); the answer groups them
 * by vulnerability with the affected host count, packages and fixed versions, and the reasons
 * of the highest-scored finding. Cost is one inventory parse and match per host, so a request
 * evaluates at most FP_MAX_VULNS_HOSTS hosts (the filter of /v1/hosts narrows it) and says how
 * many it skipped; hosts whose counted findings are zero are not evaluated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/wire.h"
#include "server/server.h"

#define MAX_LIST 8 /* packages and fixed versions named per vulnerability */

struct vhost {
        char id[17];
        char *hostname;
        char *tags;
};

struct collect {
        struct vhost *v;
        size_t n, matched, clean;
        bool nomem;
};

static bool collect_cb(void *ctx, const struct fp_host_rec *h)
{
        struct collect *c = ctx;
        const struct fp_host_counts *k = &h->counts;
        c->matched++;
        int64_t findings = k->kev;
        for (int i = 0; i < 6; i++)
                findings += k->sev[i];
        if (!h->inventory_at || findings == 0) {
                c->clean++;
                return true;
        }
        if (c->n == FP_MAX_VULNS_HOSTS)
                return true; /* counted in matched, not evaluated */
        struct vhost *v = &c->v[c->n];
        snprintf(v->id, sizeof(v->id), "%s", h->id);
        json_t *tags = fp_json_tags(h);
        v->tags = json_dumps(tags, JSON_COMPACT);
        json_decref(tags);
        v->hostname = strdup(h->hostname);
        if (!v->tags || !v->hostname) {
                free(v->tags);
                free(v->hostname);
                c->nomem = true;
                return false;
        }
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

/* Merge one host's findings into by_vuln (vuln id -> aggregate). */
static void merge(json_t *by_vuln, const json_t *findings)
{
        size_t i;
        json_t *f;
        json_array_foreach(findings, i, f) {
                const char *id = json_string_value(json_object_get(f, "vuln"));
                const char *status = json_string_value(json_object_get(f, "status"));
                if (!id || !status)
                        continue;
                bool exposed = strcmp(status, "accepted") && strcmp(status, "dismissed") &&
                               strcmp(status, "not-running");
                double score = json_number_value(json_object_get(f, "score"));
                json_t *a = json_object_get(by_vuln, id);
                if (!a) {
                        a = json_pack("{s:s, s:s, s:b, s:f, s:O, s:I, s:I, s:I, s:[], s:[], s:[]}",
                                      "vuln", id, "severity", "unknown", "kev", 0, "score", -1.0,
                                      "reasons", json_null(), "hosts", (json_int_t)0,
                                      "hosts_excepted", (json_int_t)0, "findings",
                                      (json_int_t)0, "packages", "fixed", "advisories");
                        if (!a || json_object_set_new(by_vuln, id, a))
                                continue;
                }
                /* one host counts once per vulnerability: the last host id seen is kept */
                const char *host = json_string_value(json_object_get(f, "_host"));
                const char *last = json_string_value(json_object_get(a, "_last"));
                if (!last || strcmp(last, host)) {
                        json_object_set_new(a, "_last", json_string(host));
                        const char *key = exposed ? "hosts" : "hosts_excepted";
                        json_object_set_new(a, key, json_integer(json_integer_value(
                                                            json_object_get(a, key)) + 1));
                }
                json_object_set_new(a, "findings", json_integer(json_integer_value(
                                                           json_object_get(a, "findings")) + 1));
                const char *sev = json_string_value(json_object_get(f, "severity"));
                if (sev_rank(sev) > sev_rank(json_string_value(json_object_get(a, "severity"))))
                        json_object_set_new(a, "severity", json_string(sev));
                if (json_is_true(json_object_get(f, "kev")))
                        json_object_set_new(a, "kev", json_true());
                if (score > json_number_value(json_object_get(a, "score"))) {
                        json_object_set_new(a, "score", json_real(score));
                        json_object_set(a, "reasons", json_object_get(f, "reasons"));
                        json_t *e = json_object_get(f, "epss");
                        if (e)
                                json_object_set(a, "epss", e);
                        json_t *cv = json_object_get(f, "cvss");
                        if (cv)
                                json_object_set(a, "cvss", cv);
                }
                const char *pkg = json_string_value(json_object_get(f, "package"));
                add_unique(json_object_get(a, "packages"), pkg);
                const char *fixed = json_string_value(json_object_get(f, "fixed"));
                if (fixed && pkg) {
                        char buf[512];
                        snprintf(buf, sizeof(buf), "%s %s", pkg, fixed);
                        add_unique(json_object_get(a, "fixed"), buf);
                }
                const char *adv = json_string_value(json_object_get(f, "advisories"));
                add_unique(json_object_get(a, "advisories"), adv);
        }
}

static int by_risk(const void *pa, const void *pb)
{
        const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
        int ka = json_is_true(json_object_get(a, "kev")), kb = json_is_true(json_object_get(b, "kev"));
        double sa = json_number_value(json_object_get(a, "score"));
        double sb = json_number_value(json_object_get(b, "score"));
        if (sa != sb)
                return sa < sb ? 1 : -1;
        if (ka != kb)
                return kb - ka;
        int64_t ha = json_integer_value(json_object_get(a, "hosts"));
        int64_t hb = json_integer_value(json_object_get(b, "hosts"));
        if (ha != hb)
                return ha < hb ? 1 : -1;
        return strcmp(json_string_value(json_object_get(a, "vuln")),
                      json_string_value(json_object_get(b, "vuln")));
}

/* One host's findings as JSON (each tagged with "_host"), NULL when it has no inventory. */
static json_t *host_findings(struct fp_req *r, const struct vhost *v, struct fp_diag *diag,
                             enum fp_err *err)
{
        const char *doc = NULL;
        *err = fp_store_host_inventory(r->tx, v->id, &doc, diag);
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
        json_t *list = fp_findings_list(r->srv->findings, &w, v->hostname, v->tags, diag);
        fp_wire_inventory_release(&w);
        if (!list) {
                *err = FP_EIO;
                return NULL;
        }
        size_t i;
        json_t *f;
        json_array_foreach(list, i, f) {
                json_object_set_new(f, "_host", json_string(v->id));
        }
        return list;
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
        struct collect c = {.v = calloc(FP_MAX_VULNS_HOSTS, sizeof(struct vhost))};
        json_t *by_vuln = json_object();
        json_t *arr = NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = c.v && by_vuln ? FP_OK : FP_ENOMEM;
        if (err == FP_OK)
                err = fp_store_host_list(tx, &f, collect_cb, &c, &diag);
        if (err == FP_OK && c.nomem)
                err = FP_ENOMEM;
        for (size_t i = 0; err == FP_OK && i < c.n; i++) {
                json_t *list = host_findings(r, &c.v[i], &diag, &err);
                if (list)
                        merge(by_vuln, list);
                json_decref(list);
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                goto out;
        }
        size_t n = json_object_size(by_vuln), k = 0;
        json_t **rows = calloc(n ? n : 1, sizeof(json_t *));
        if (!rows) {
                req_fail(r, FP_ENOMEM, NULL);
                goto out;
        }
        const char *key;
        json_t *a;
        json_object_foreach(by_vuln, key, a) {
                json_object_del(a, "_last");
                if (kev_only && !json_is_true(json_object_get(a, "kev")))
                        continue;
                if (minsev && sev_rank(json_string_value(json_object_get(a, "severity"))) <
                                      sev_rank(minsev))
                        continue;
                rows[k++] = a;
        }
        qsort(rows, k, sizeof(json_t *), by_risk);
        arr = json_array();
        for (size_t i = 0; arr && i < k && i < limit; i++)
                json_array_append(arr, rows[i]);
        free(rows);
        json_t *o = json_pack("{s:o, s:I, s:I, s:I, s:I, s:b, s:b}", "vulns", arr, "total",
                              (json_int_t)k, "hosts_matched", (json_int_t)c.matched,
                              "hosts_evaluated", (json_int_t)c.n, "hosts_without_findings",
                              (json_int_t)c.clean, "partial",
                              c.matched - c.clean > c.n, "vulnerability_database",
                              fp_findings_available(r->srv->findings));
        arr = NULL;
        req_answer(r, 200, o);
out:
        json_decref(arr);
        json_decref(by_vuln);
        for (size_t i = 0; c.v && i < c.n; i++) {
                free(c.v[i].hostname);
                free(c.v[i].tags);
        }
        free(c.v);
}
