/* The fleet view: hosts with filters, one host, its updates and findings, tags, jobs, and the
 * fleet summary. Every host is checked against the caller's accounts (404 when not visible). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/wire.h"
#include "fleetpatch/vuln.h"
#include "server/comply.h"
#include "server/orch.h"
#include "server/server.h"
#include "server/track.h"
#include "vuln/json.h"

json_t *fp_json_stored(const char *text)
{
        json_t *v = text ? json_loads(text, 0, NULL) : NULL;
        if (!v)
                v = json_object();
        return v;
}

json_t *fp_json_tags(const struct fp_host_rec *h)
{
        json_t *tags = fp_json_stored(h->agent_tags_json);
        json_t *api = fp_json_stored(h->api_tags_json);
        json_object_update(tags, api);
        json_decref(api);
        return tags;
}

json_t *fp_json_host(const struct fp_host_rec *h, int64_t now, int64_t stale_after, bool full)
{
        const struct fp_host_counts *c = &h->counts;
        json_t *o = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:b, s:s, s:I, s:I, s:I,"
                " s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:I}",
                "id", h->id, "account", h->account, "hostname", h->hostname, "region", h->region,
                "os", h->os_id, "os_release", h->os_release, "tags", fp_json_tags(h), "created",
                (json_int_t)h->created, "last_seen", (json_int_t)h->last_seen, "stale",
                h->last_seen < now - stale_after, "compliance",
                fp_compliance_name(c->compliance), "packages", (json_int_t)c->packages,
                "updates", (json_int_t)c->updates, "security_updates",
                (json_int_t)c->security_updates, "findings", "critical",
                (json_int_t)c->sev[5], "high", (json_int_t)c->sev[4], "medium",
                (json_int_t)c->sev[3], "low", (json_int_t)c->sev[2] + (json_int_t)c->sev[1], "unknown",
                (json_int_t)c->sev[0], "kev", (json_int_t)c->kev, "overdue",
                (json_int_t)c->overdue);
        if (o) {
                /* Catch-up (docs/jobs.md): the reasons, [] when the host needs none. */
                json_t *reasons = h->catchup_json ? json_loads(h->catchup_json, 0, NULL) : NULL;
                json_object_set_new(o, "catchup", json_is_array(reasons) ? reasons : json_array());
                if (reasons && !json_is_array(reasons))
                        json_decref(reasons);
                json_object_set_new(o, "catchup_since", json_integer(h->catchup_since));
                json_object_set_new(o, "cloned_from",
                                    h->cloned_from && *h->cloned_from ? json_string(h->cloned_from)
                                                                      : json_null());
        }
        if (o && full) {
                json_object_set_new(o, "boot_id", json_string(h->boot_id ? h->boot_id : ""));
                json_object_set_new(o, "instance_id",
                                    json_string(h->instance_id ? h->instance_id : ""));
                json_object_set_new(o, "facts", fp_json_stored(h->facts_json));
                json_object_set_new(o, "agent_tags", fp_json_stored(h->agent_tags_json));
                json_object_set_new(o, "api_tags", fp_json_stored(h->api_tags_json));
                json_object_set_new(o, "machine_id", json_string(h->machine_id));
                json_object_set_new(o, "inventory_hash", json_string(h->inventory_hash));
                json_object_set_new(o, "inventory_at", json_integer(h->inventory_at));
                json_object_set_new(o, "last_seq", json_integer(h->last_seq));
                json_object_set_new(o, "seq_regressions", json_integer(h->seq_regressions));
        }
        return o;
}

/* "300", "30s", "15m", "2h", "7d" → seconds; -1 if malformed. */
static int64_t duration(const char *s)
{
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || v > 100LL * 365 * 86400)
                return -1;
        int64_t mul = 1;
        if (*end == 'm')
                mul = 60;
        else if (*end == 'h')
                mul = 3600;
        else if (*end == 'd')
                mul = 86400;
        else if (*end && *end != 's')
                return -1;
        if (*end && end[1])
                return -1;
        return (int64_t)v * mul;
}

/* Visible accounts of the caller for a filter: NULL = all (organisation-wide viewer). */
static void visible_accounts(const struct fp_principal *p, struct fp_host_filter *f,
                             const char **buf)
{
        if (fp_principal_org(p, FP_ROLE_VIEWER)) {
                f->accounts = NULL;
                return;
        }
        size_t n = 0;
        for (size_t i = 0; i < p->grant_count; i++)
                if (strcmp(p->grants[i].account, "*"))
                        buf[n++] = p->grants[i].account;
        f->accounts = buf;
        f->account_count = n;
}

struct tag_args {
        struct fp_tag_filter tags[FP_MAX_TAGS];
        char text[FP_MAX_TAGS][FP_MAX_TAG_KEY + FP_MAX_TAG_VALUE + 2];
        size_t n;
        bool bad;
};

static enum MHD_Result tag_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
        struct tag_args *t = cls;
        if (strcmp(key, "tag"))
                return MHD_YES;
        if (!value || t->n == FP_MAX_TAGS || strlen(value) >= sizeof(t->text[0]) ||
            !strchr(value, '=')) {
                t->bad = true;
                return MHD_NO;
        }
        snprintf(t->text[t->n], sizeof(t->text[0]), "%s", value);
        char *eq = strchr(t->text[t->n], '=');
        *eq = 0;
        t->tags[t->n].key = t->text[t->n];
        t->tags[t->n].value = eq + 1;
        t->n++;
        return MHD_YES;
}

/* The filter of /v1/hosts and /v1/summary from the query; answers 400 on a bad one. */
static bool host_filter(struct fp_req *r, struct fp_host_filter *f, const char **acctbuf,
                        struct tag_args *tags)
{
        memset(f, 0, sizeof(*f));
        f->compliance = -1;
        visible_accounts(&r->who, f, acctbuf);
        f->account = req_query(r, "account");
        f->region = req_query(r, "region");
        f->os = req_query(r, "os");
        f->zone = req_query(r, "zone");
        f->search = req_query(r, "q");
        if (f->search && strlen(f->search) > FP_MAX_HOSTS_SEARCH) {
                req_error(r, 400, "invalid_request", "q", "at most %d bytes", FP_MAX_HOSTS_SEARCH);
                return false;
        }
        if (f->account && fp_principal_role(&r->who, f->account) == FP_ROLE_NONE) {
                f->account_count = 0; /* a foreign account: an empty answer, nothing leaked */
                f->accounts = acctbuf;
        }
        memset(tags, 0, sizeof(*tags));
        if (r->conn)
                MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, tag_arg, tags);
        if (tags->bad) {
                req_error(r, 400, "invalid_request", "tag",
                          "tag filters are key=value, at most %d", FP_MAX_TAGS);
                return false;
        }
        f->tags = tags->tags;
        f->tag_count = tags->n;
        const char *seen = req_query(r, "seen_within");
        if (seen) {
                int64_t d = duration(seen);
                if (d < 0) {
                        req_error(r, 400, "invalid_request", "seen_within",
                                  "a duration: 300, 30s, 15m, 2h or 7d");
                        return false;
                }
                f->seen_after = r->now - d;
        }
        const char *cu = req_query(r, "catchup");
        if (cu) {
                if (!strcmp(cu, "true") || !strcmp(cu, "1"))
                        f->catchup = 1;
                else if (!strcmp(cu, "false") || !strcmp(cu, "0"))
                        f->catchup = 2;
                else {
                        req_error(r, 400, "invalid_request", "catchup", "true or false");
                        return false;
                }
        }
        const char *compl = req_query(r, "compliance");
        if (compl) {
                if (!strcmp(compl, "compliant"))
                        f->compliance = FP_COMPL_COMPLIANT;
                else if (!strcmp(compl, "noncompliant"))
                        f->compliance = FP_COMPL_NONCOMPLIANT;
                else if (!strcmp(compl, "unknown"))
                        f->compliance = FP_COMPL_UNKNOWN;
                else {
                        req_error(r, 400, "invalid_request", "compliance",
                                  "compliant, noncompliant or unknown");
                        return false;
                }
        }
        return true;
}

struct hosts_ctx {
        struct fp_req *r;
        json_t *arr;
        const char *last;
};

static bool hosts_cb(void *ctx, const struct fp_host_rec *h)
{
        struct hosts_ctx *c = ctx;
        json_t *o = fp_json_host(h, c->r->now, c->r->srv->cfg.stale_after, false);
        char zone[256];
        if (o)
                json_object_set_new(o, "zone", json_string(fp_orch_host_zone(h, zone)));
        json_array_append_new(c->arr, o);
        c->last = h->id;
        return true;
}

bool req_host_filter(struct fp_req *r, struct fp_host_filter *f, const char **acctbuf)
{
        static __thread struct tag_args tags;
        return host_filter(r, f, acctbuf, &tags);
}

/* sort=[-]hostname|account|region|zone|os|last_seen|compliance|risk|id and offset=N of the
 * dashboard's table; answers 400 on a bad one. */
static bool host_sort(struct fp_req *r, struct fp_host_filter *f)
{
        static const char *const names[] = {
            [FP_HOST_SORT_ID] = "id", [FP_HOST_SORT_HOSTNAME] = "hostname",
            [FP_HOST_SORT_ACCOUNT] = "account", [FP_HOST_SORT_REGION] = "region",
            [FP_HOST_SORT_ZONE] = "zone", [FP_HOST_SORT_OS] = "os",
            [FP_HOST_SORT_LAST_SEEN] = "last_seen", [FP_HOST_SORT_COMPLIANCE] = "compliance",
            [FP_HOST_SORT_RISK] = "risk"};
        const char *s = req_query(r, "sort");
        if (s) {
                f->desc = *s == '-';
                s += f->desc;
                size_t i = 0;
                while (i < sizeof(names) / sizeof(names[0]) && strcmp(names[i], s))
                        i++;
                if (i == sizeof(names) / sizeof(names[0])) {
                        req_error(r, 400, "invalid_request", "sort",
                                  "[-]hostname, account, region, zone, os, last_seen, compliance,"
                                  " risk or id");
                        return false;
                }
                f->sort = (enum fp_host_sort)i;
        }
        const char *off = req_query(r, "offset");
        if (off) {
                char *end;
                long v = strtol(off, &end, 10);
                if (*end || end == off || v < 0 || v > FP_MAX_HOSTS_OFFSET) {
                        req_error(r, 400, "invalid_request", "offset", "0..%d",
                                  FP_MAX_HOSTS_OFFSET);
                        return false;
                }
                f->offset = (size_t)v;
        }
        const char *after = req_query(r, "after");
        if (after && (f->sort != FP_HOST_SORT_ID || f->desc || f->offset)) {
                req_error(r, 400, "invalid_request", "after",
                          "after pages the id order; with sort or offset use offset");
                return false;
        }
        return true;
}

void api_hosts_list(struct fp_req *r)
{
        struct fp_host_filter f;
        const char *acct[FP_MAX_GRANTS];
        static __thread struct tag_args tags;
        if (!host_filter(r, &f, acct, &tags))
                return;
        f.limit = 100;
        const char *limit = req_query(r, "limit");
        if (limit) {
                char *end;
                long v = strtol(limit, &end, 10);
                if (*end || v < 1 || v > FP_MAX_PAGE) {
                        req_error(r, 400, "invalid_request", "limit", "1..%d", FP_MAX_PAGE);
                        return;
                }
                f.limit = (size_t)v;
        }
        f.after_id = req_query(r, "after");
        if (!host_sort(r, &f))
                return;
        int64_t total = 0; /* stays 0 when the filter names no visible account */
        const char *count = req_query(r, "count");
        if (count && (!strcmp(count, "true") || !strcmp(count, "1")))
                f.count_out = &total;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct hosts_ctx c = {r, json_array(), NULL};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_host_list(tx, &f, hosts_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        json_t *o = json_pack("{s:o}", "hosts", c.arr);
        if (c.last && json_array_size(c.arr) == f.limit && f.sort == FP_HOST_SORT_ID && !f.desc &&
            !f.offset)
                json_object_set_new(o, "next", json_string(c.last));
        if (o && f.count_out)
                json_object_set_new(o, "total", json_integer(total));
        req_answer(r, 200, o);
}

bool req_path_host(struct fp_req *r, bool write, enum fp_role role, struct fp_host_rec *h)
{
        struct fp_tx *tx = req_tx(r, write);
        if (!tx)
                return false;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_host_get(tx, r->params[0], h, &diag);
        if (err == FP_ENOTFOUND) {
                /* the same answer as req_allow's for another account's host */
                req_error(r, 404, "not_found", NULL, "not found");
                return false;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        fp_req_audit_account(r, h->account); /* the audit entry's (docs/audit.md) */
        return req_allow(r, h->account, role);
}

void api_hosts_get(struct fp_req *r)
{
        struct fp_host_rec h;
        if (req_path_host(r, false, FP_ROLE_VIEWER, &h))
                req_answer(r, 200, fp_json_host(&h, r->now, r->srv->cfg.stale_after, true));
}

void api_hosts_tags(struct fp_req *r)
{
        static const char *const allowed[] = {"tags", NULL};
        struct fp_host_rec h;
        char *tags = NULL;
        json_t *t = json_object_get(r->json, "tags");
        if (!req_members(r, r->json, NULL, allowed))
                return;
        if (!t) {
                req_error(r, 400, "invalid_request", "tags", "required");
                return;
        }
        if (!req_tags(r, t, "tags", &tags) || !req_path_host(r, true, FP_ROLE_OPERATOR, &h)) {
                free(tags);
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        r->audit.before = json_pack("{s:o}", "tags", fp_json_stored(h.api_tags_json));
        enum fp_err err = fp_store_host_set_tags(r->tx, h.id, true, tags, &diag);
        free(tags);
        if (err == FP_OK)
                err = fp_store_host_get(r->tx, h.id, &h, &diag);
        /* patched_by decides whether its exposures are gaps (docs/tracking.md) */
        if (err == FP_OK)
                err = fp_track_host_changed(r->srv, r->tx, &h, r->now, &diag);
        /* and its compliance state (patched_by, service, the dimensions) at once */
        if (err == FP_OK)
                err = fp_comply_evaluate(r->srv, r->tx, h.id, false, r->now, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        r->audit.after = json_pack("{s:o}", "tags", fp_json_stored(h.api_tags_json));
        req_answer(r, 200, fp_json_host(&h, r->now, r->srv->cfg.stale_after, true));
}

void api_hosts_delete(struct fp_req *r)
{
        struct fp_host_rec h;
        if (!req_path_host(r, true, FP_ROLE_ADMIN, &h))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        r->audit.before = json_pack("{s:s, s:s, s:o}", "hostname", h.hostname, "account",
                                    h.account, "tags", fp_json_tags(&h));
        enum fp_err err = fp_store_token_revoke_host(r->tx, h.id, &diag);
        if (err == FP_OK) /* its compliance history ends here (and stays) */
                err = fp_comply_host_removed(r->tx, h.id, r->now, &diag);
        if (err == FP_OK)
                err = fp_store_host_delete(r->tx, h.id, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        fp_wake_host(r->srv, h.id);
        req_answer(r, 200, json_pack("{s:s, s:b}", "id", h.id, "deleted", 1));
}

/* The stored inventory document of a host; NULL (answered) when there is none. */
static json_t *stored_inventory(struct fp_req *r, const struct fp_host_rec *h)
{
        const char *doc = NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_host_inventory(r->tx, h->id, &doc, &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "the host has not reported an inventory yet");
                return NULL;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return NULL;
        }
        json_t *inv = json_loads(doc, 0, NULL);
        if (!inv)
                req_error(r, 500, "internal", NULL, "the stored inventory does not parse");
        return inv;
}

void api_hosts_updates(struct fp_req *r)
{
        struct fp_host_rec h;
        if (!req_path_host(r, false, FP_ROLE_VIEWER, &h))
                return;
        json_t *inv = stored_inventory(r, &h);
        if (!inv)
                return;
        const char *sec = req_query(r, "security");
        bool security_only = sec && (!strcmp(sec, "1") || !strcmp(sec, "true"));
        json_t *out = json_array();
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(inv, "updates"), i, u) {
                if (!security_only || json_is_true(json_object_get(u, "security")))
                        json_array_append(out, u);
        }
        json_decref(inv);
        req_answer(r, 200, json_pack("{s:s, s:I, s:o}", "host", h.id, "inventory_at",
                                     (json_int_t)h.inventory_at, "updates", out));
}

/* The installed packages of the stored inventory, by name: q (a name substring), limit (1..
 * FP_MAX_PAGE, default 100), offset; total is the count that matches q. */
void api_hosts_packages(struct fp_req *r)
{
        struct fp_host_rec h;
        if (!req_path_host(r, false, FP_ROLE_VIEWER, &h))
                return;
        size_t limit = 100, offset = 0;
        const char *ls = req_query(r, "limit"), *os = req_query(r, "offset"), *q = req_query(r, "q");
        char *end;
        if (ls) {
                long v = strtol(ls, &end, 10);
                if (*end || end == ls || v < 1 || v > FP_MAX_PAGE) {
                        req_error(r, 400, "invalid_request", "limit", "1..%d", FP_MAX_PAGE);
                        return;
                }
                limit = (size_t)v;
        }
        if (os) {
                long v = strtol(os, &end, 10);
                if (*end || end == os || v < 0 || v > FP_MAX_WIRE_PACKAGES) {
                        req_error(r, 400, "invalid_request", "offset", "0..%d",
                                  FP_MAX_WIRE_PACKAGES);
                        return;
                }
                offset = (size_t)v;
        }
        if (q && strlen(q) > FP_MAX_HOSTS_SEARCH) {
                req_error(r, 400, "invalid_request", "q", "at most %d bytes", FP_MAX_HOSTS_SEARCH);
                return;
        }
        json_t *inv = stored_inventory(r, &h);
        if (!inv)
                return;
        json_t *out = json_array();
        size_t i, total = 0;
        json_t *p;
        json_array_foreach(json_object_get(inv, "packages"), i, p) {
                const char *name = json_string_value(json_object_get(p, "name"));
                if (q && *q && (!name || !strstr(name, q)))
                        continue;
                if (total >= offset && json_array_size(out) < limit)
                        json_array_append(out, p);
                total++;
        }
        json_decref(inv);
        req_answer(r, 200, json_pack("{s:s, s:I, s:I, s:o}", "host", h.id, "inventory_at",
                                     (json_int_t)h.inventory_at, "total", (json_int_t)total,
                                     "packages", out));
}

void api_hosts_vulns(struct fp_req *r)
{
        struct fp_host_rec h;
        if (!req_path_host(r, false, FP_ROLE_VIEWER, &h))
                return;
        json_t *inv = stored_inventory(r, &h);
        if (!inv)
                return;
        struct fp_wire_inventory w;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_wire_inventory_parse(inv, &w, &diag);
        json_decref(inv);
        if (err != FP_OK) {
                req_fail(r, err == FP_ENOMEM ? err : FP_EIO, &diag);
                return;
        }
        json_t *tagobj = fp_json_tags(&h);
        char *tags = json_dumps(tagobj, JSON_COMPACT);
        json_decref(tagobj);
        json_t *list = fp_findings_list(r->srv->findings, &w, h.hostname, tags, &diag);
        free(tags);
        fp_wire_inventory_release(&w);
        if (!list) {
                req_fail(r, FP_EIO, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:b, s:o}", "host", h.id, "vulnerability_database",
                                     fp_findings_available(r->srv->findings), "findings", list));
}

struct summary_ctx {
        struct fp_req *r;
        int64_t hosts, stale, compl[3], sev[6], kev_hosts, kev, security_updates, overdue;
        int64_t catchup;
        json_t *by_account;
};

static bool summary_cb(void *ctx, const struct fp_host_rec *h)
{
        struct summary_ctx *s = ctx;
        const struct fp_host_counts *c = &h->counts;
        s->hosts++;
        s->stale += h->last_seen < s->r->now - s->r->srv->cfg.stale_after;
        if ((unsigned)c->compliance < 3)
                s->compl[c->compliance]++;
        for (int i = 0; i < 6; i++)
                s->sev[i] += c->sev[i];
        s->kev += c->kev;
        s->kev_hosts += c->kev > 0;
        s->security_updates += c->security_updates;
        s->overdue += c->overdue;
        s->catchup += h->catchup_json && strcmp(h->catchup_json, "[]");
        json_t *a = json_object_get(s->by_account, h->account);
        if (!a) {
                a = json_pack("{s:I, s:I, s:I, s:I, s:I}", "hosts", (json_int_t)0, "noncompliant",
                              (json_int_t)0, "critical", (json_int_t)0, "high", (json_int_t)0,
                              "kev_hosts", (json_int_t)0);
                json_object_set_new(s->by_account, h->account, a);
        }
        static const char *const keys[] = {"hosts", "noncompliant", "critical", "high",
                                           "kev_hosts"};
        int64_t add[] = {1, c->compliance == FP_COMPL_NONCOMPLIANT, c->sev[5], c->sev[4],
                         c->kev > 0};
        for (int i = 0; i < 5; i++) {
                json_t *v = json_object_get(a, keys[i]);
                json_integer_set(v, json_integer_value(v) + add[i]);
        }
        return true;
}

void api_summary(struct fp_req *r)
{
        struct fp_host_filter f;
        const char *acct[FP_MAX_GRANTS];
        static __thread struct tag_args tags;
        if (!host_filter(r, &f, acct, &tags))
                return;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct summary_ctx s = {.r = r, .by_account = json_object()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_host_list(tx, &f, summary_cb, &s, &diag);
        if (err != FP_OK) {
                json_decref(s.by_account);
                req_fail(r, err, &diag);
                return;
        }
        json_t *o = json_pack(
            "{s:I, s:I, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I}, s:I,"
            " s:I, s:I, s:I, s:o, s:b}",
            "hosts", (json_int_t)s.hosts, "stale", (json_int_t)s.stale, "compliance", "compliant",
            (json_int_t)s.compl [FP_COMPL_COMPLIANT], "noncompliant",
            (json_int_t)s.compl [FP_COMPL_NONCOMPLIANT], "unknown",
            (json_int_t)s.compl [FP_COMPL_UNKNOWN], "findings", "critical", (json_int_t)s.sev[5],
            "high", (json_int_t)s.sev[4], "medium", (json_int_t)s.sev[3], "low",
            (json_int_t)s.sev[2] + (json_int_t)s.sev[1], "unknown", (json_int_t)s.sev[0],
            "kev_findings", (json_int_t)s.kev, "kev_hosts", (json_int_t)s.kev_hosts,
            "security_updates", (json_int_t)s.security_updates, "overdue", (json_int_t)s.overdue,
            "by_account", s.by_account, "vulnerability_database",
            fp_findings_available(r->srv->findings));
        if (o)
                json_object_set_new(o, "catchup", json_integer(s.catchup));
        req_answer(r, 200, o);
}
