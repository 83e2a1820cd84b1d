/*
 * Baselines and maintenance windows of an account (docs/orchestration.md), the explanation
 * of a host's updates against its baseline, and the next window openings per host.
 * Both documents are validated by their core parsers and stored in canonical form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/orch.h"

#define MAX_NEXT_HOSTS 1000
#define MAX_NEXT_COUNT 52

static json_t *doc_json(const struct fp_doc_rec *d)
{
        json_t *o = fp_json_stored(d->document);
        json_object_set_new(o, "name", json_string(d->name));
        json_object_set_new(o, "account", json_string(d->account));
        json_object_set_new(o, "created", json_integer(d->created));
        json_object_set_new(o, "updated", json_integer(d->updated));
        json_object_set_new(o, "created_by", json_string(d->created_by));
        return o;
}

struct doc_list_ctx {
        json_t *arr;
};
static bool doc_list_cb(void *ctx, const struct fp_doc_rec *d)
{
        json_array_append_new(((struct doc_list_ctx *)ctx)->arr, doc_json(d));
        return true;
}

static void list_docs(struct fp_req *r, enum fp_doc_kind kind, const char *member)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, false) : NULL;
        if (!tx)
                return;
        struct doc_list_ctx c = {json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_doc_list(tx, kind, account, doc_list_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", member, c.arr));
}

static void get_doc(struct fp_req *r, enum fp_doc_kind kind)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, false) : NULL;
        if (!tx)
                return;
        struct fp_doc_rec d;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_doc_get(tx, kind, account, r->params[1], &d, &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no %s '%s'",
                          kind == FP_DOC_WINDOW ? "window" : "baseline", r->params[1]);
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, doc_json(&d));
}

static void delete_doc(struct fp_req *r, enum fp_doc_kind kind)
{
        const char *account = req_path_account(r, FP_ROLE_APPROVER);
        struct fp_tx *tx = account ? req_tx(r, true) : NULL;
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_doc_delete(tx, kind, account, r->params[1], &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no such %s",
                          kind == FP_DOC_WINDOW ? "window" : "baseline");
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s}", "deleted", r->params[1]));
}

/* The body's name/account: the path's account wins, a different one is refused; name from
 * the path (PUT) or the body (POST). */
static bool body_ids(struct fp_req *r, const char *account, const char *path_name,
                     const char **name)
{
        if (!json_is_object(r->json)) {
                req_error(r, 400, "invalid_request", NULL, "the body must be a JSON object");
                return false;
        }
        const char *a = json_string_value(json_object_get(r->json, "account"));
        if (a && strcmp(a, account)) {
                req_error(r, 400, "invalid_request", "account",
                          "the body names account '%s' but the path '%s'", a, account);
                return false;
        }
        json_object_set_new(r->json, "account", json_string(account));
        const char *n = json_string_value(json_object_get(r->json, "name"));
        if (path_name) {
                if (n && strcmp(n, path_name)) {
                        req_error(r, 400, "invalid_request", "name",
                                  "the body names '%s' but the path '%s'", n, path_name);
                        return false;
                }
                json_object_set_new(r->json, "name", json_string(path_name));
                n = path_name;
        }
        if (!n || !fp_valid_ident(n)) {
                req_error(r, 400, "invalid_request", "name",
                          "name: an identifier [a-z0-9._-] of at most %d characters",
                          FP_MAX_IDENT);
                return false;
        }
        *name = n;
        return true;
}

static void put_doc(struct fp_req *r, enum fp_doc_kind kind, bool create)
{
        const char *account = req_path_account(r, FP_ROLE_APPROVER);
        const char *name = NULL;
        if (!account || !body_ids(r, account, create ? NULL : r->params[1], &name))
                return;
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        char *text = json_dumps(r->json, JSON_COMPACT);
        char *canon = NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = text ? FP_OK : FP_ENOMEM;
        if (err == FP_OK && kind == FP_DOC_BASELINE) {
                struct fp_baseline *b = NULL;
                err = fp_baseline_parse(text, strlen(text), &b, &diag);
                int policy = 0;
                const char *window = "", *hook = "";
                if (err == FP_OK) {
                        fp_baseline_catchup(b, &policy, &window, &hook);
                        struct fp_doc_rec w;
                        if (window[0] &&
                            fp_store_doc_get(tx, FP_DOC_WINDOW, account, window, &w, &diag) != FP_OK) {
                                fp_diag_set(&diag, NULL, 0, "baseline.catchup.window",
                                            "no window '%s' in account '%s'", window, account);
                                err = FP_EINVAL;
                        }
                }
                if (err == FP_OK)
                        canon = fp_baseline_to_json(b);
                fp_baseline_free(b);
        } else if (err == FP_OK) {
                struct fp_window w;
                err = fp_window_parse(text, strlen(text), &w, &diag);
                if (err == FP_OK)
                        canon = fp_window_to_json(&w);
        }
        free(text);
        if (err == FP_OK && !canon)
                err = FP_ENOMEM;
        if (err != FP_OK) {
                if (err == FP_ENOMEM || err == FP_EIO)
                        req_fail(r, err, &diag);
                else
                        req_error(r, 400, "invalid_request", diag.field[0] ? diag.field : NULL,
                                  "%s", diag.msg[0] ? diag.msg : fp_strerror(err));
                free(canon);
                return;
        }
        struct fp_doc_rec d = {.kind = kind,
                               .account = account,
                               .name = name,
                               .document = canon,
                               .created_by = r->who.user,
                               .created = r->now,
                               .updated = r->now};
        if (!create) {
                struct fp_doc_rec old;
                err = fp_store_doc_get(tx, kind, account, name, &old, &diag);
                if (err == FP_ENOTFOUND) {
                        req_error(r, 404, "not_found", NULL, "no such %s; create it with POST",
                                  kind == FP_DOC_WINDOW ? "window" : "baseline");
                        free(canon);
                        return;
                }
        }
        if (err == FP_OK)
                err = fp_store_doc_put(tx, &d, create, &diag);
        free(canon);
        if (err == FP_OK)
                err = fp_store_doc_get(tx, kind, account, name, &d, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, create ? 201 : 200, doc_json(&d));
}

void api_baselines_list(struct fp_req *r)
{
        list_docs(r, FP_DOC_BASELINE, "baselines");
}
void api_baselines_get(struct fp_req *r)
{
        get_doc(r, FP_DOC_BASELINE);
}
void api_baselines_create(struct fp_req *r)
{
        put_doc(r, FP_DOC_BASELINE, true);
}
void api_baselines_put(struct fp_req *r)
{
        put_doc(r, FP_DOC_BASELINE, false);
}
void api_baselines_delete(struct fp_req *r)
{
        delete_doc(r, FP_DOC_BASELINE);
}
void api_windows_list(struct fp_req *r)
{
        list_docs(r, FP_DOC_WINDOW, "windows");
}
void api_windows_get(struct fp_req *r)
{
        get_doc(r, FP_DOC_WINDOW);
}
void api_windows_create(struct fp_req *r)
{
        put_doc(r, FP_DOC_WINDOW, true);
}
void api_windows_put(struct fp_req *r)
{
        put_doc(r, FP_DOC_WINDOW, false);
}
void api_windows_delete(struct fp_req *r)
{
        delete_doc(r, FP_DOC_WINDOW);
}

/* ---- GET /v1/hosts/{id}/baseline?package=NAME ---- */

void api_hosts_baseline(struct fp_req *r)
{
        struct fp_host_rec h;
        /* A write transaction: first sightings of update versions are recorded. */
        if (!req_path_host(r, true, FP_ROLE_VIEWER, &h))
                return;
        const char *pkg = req_query(r, "package");
        if (pkg && (!*pkg || strlen(pkg) > 256)) {
                req_error(r, 400, "invalid_request", "package", "package: 1..256 characters");
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        /* The family comes from the inventory: read it once with no baseline. */
        json_t *ups = NULL;
        char family[8];
        enum fp_err err = fp_orch_host_updates(r->srv, r->tx, &h, NULL, r->now, pkg, false, &ups,
                                               family, NULL, &diag);
        json_decref(ups);
        ups = NULL;
        if (err == FP_ENOTFOUND) {
                req_error(r, 409, "no_inventory", NULL, "%s", diag.msg);
                return;
        }
        struct fp_baseline *b = NULL;
        char why[256] = "";
        if (err == FP_OK)
                err = fp_orch_host_baseline(r->tx, &h, family, &b, why, &diag);
        if (err == FP_OK)
                err = fp_orch_host_updates(r->srv, r->tx, &h, b, r->now, pkg, true, &ups, family, NULL,
                                           &diag);
        if (err != FP_OK) {
                fp_baseline_free(b);
                req_fail(r, err, &diag);
                return;
        }
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:o}", "host", h.id, "hostname", h.hostname,
                              "baseline", b ? fp_baseline_name(b) : NULL, "attached_by", why,
                              "updates", ups);
        if (b) {
                json_object_set_new(o, "compliance_level",
                                    json_string(fp_baseline_severity_name(
                                        fp_baseline_compliance_level(b))));
        }
        fp_baseline_free(b);
        req_answer(r, 200, o);
}

/* ---- GET /v1/accounts/{account}/windows/{name}/next ---- */

struct next_ctx {
        const struct fp_window *w;
        int64_t now;
        size_t count;
        json_t *arr;
        const char *only;
        enum fp_err err;
        struct fp_diag *diag;
};

static bool next_cb(void *ctx, const struct fp_host_rec *h)
{
        struct next_ctx *c = ctx;
        if (c->only && strcmp(c->only, h->id))
                return true;
        char tzname[FP_TZ_MAX_NAME + 1];
        fp_orch_host_tz(h, tzname);
        const char *zone = c->w->mode == FP_WINDOW_LOCAL ? tzname : c->w->tz;
        struct fp_tz *tz = NULL, *host_tz = NULL;
        struct fp_window_occ occ[MAX_NEXT_COUNT];
        size_t n = 0;
        c->err = fp_tz_load(zone, &tz, c->diag);
        if (c->err == FP_OK)
                c->err = fp_tz_load(tzname, &host_tz, c->diag);
        if (c->err == FP_OK)
                c->err = fp_window_occurrences(c->w, tz, c->now, c->now + 400LL * 86400, occ,
                                               c->count, &n, c->diag);
        json_t *list = json_array();
        for (size_t i = 0; c->err == FP_OK && i < n; i++) {
                char lo[32], uo[32], lc[32], su[32];
                fp_time_format_offset(occ[i].open, fp_tz_offset(host_tz, occ[i].open), lo);
                fp_time_format_offset(occ[i].open, 0, uo);
                fp_time_format_offset(occ[i].close, fp_tz_offset(host_tz, occ[i].close), lc);
                fp_time_format_offset(occ[i].start_until, 0, su);
                json_array_append_new(
                    list, json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s}", "open",
                                    (json_int_t)occ[i].open, "start_until",
                                    (json_int_t)occ[i].start_until, "close",
                                    (json_int_t)occ[i].close, "open_local", lo, "open_utc", uo,
                                    "close_local", lc, "start_until_utc", su));
        }
        fp_tz_free(tz);
        fp_tz_free(host_tz);
        if (c->err != FP_OK) {
                json_decref(list);
                return false;
        }
        json_array_append_new(c->arr, json_pack("{s:s, s:s, s:s, s:o}", "host", h->id, "hostname",
                                                h->hostname, "tz", tzname, "next", list));
        return json_array_size(c->arr) < MAX_NEXT_HOSTS;
}

void api_windows_next(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, false) : NULL;
        if (!tx)
                return;
        struct fp_window w;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_orch_window_get(tx, account, r->params[1], &w, &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no window '%s'", r->params[1]);
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        int64_t count = 3;
        const char *cs = req_query(r, "count");
        if (cs) {
                char *end;
                count = strtoll(cs, &end, 10);
                if (*end || count < 1 || count > MAX_NEXT_COUNT) {
                        req_error(r, 400, "invalid_request", "count", "count: 1..%d",
                                  MAX_NEXT_COUNT);
                        return;
                }
        }
        struct fp_tag_filter tf = {0};
        struct fp_host_filter f = {.account = account, .compliance = -1};
        const char *tag = req_query(r, "tag");
        char tagbuf[512];
        if (tag) {
                snprintf(tagbuf, sizeof(tagbuf), "%s", tag);
                char *eq = strchr(tagbuf, '=');
                if (!eq) {
                        req_error(r, 400, "invalid_request", "tag", "tag: KEY=VALUE");
                        return;
                }
                *eq = 0;
                tf = (struct fp_tag_filter){.key = tagbuf, .value = eq + 1};
                f.tags = &tf;
                f.tag_count = 1;
        }
        struct next_ctx c = {.w = &w,
                             .now = r->now,
                             .count = (size_t)count,
                             .arr = json_array(),
                             .only = req_query(r, "host"),
                             .diag = &diag};
        err = fp_store_host_list(tx, &f, next_cb, &c, &diag);
        if (err == FP_OK)
                err = c.err;
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        char *wj = fp_window_to_json(&w);
        req_answer(r, 200, json_pack("{s:s, s:o, s:o}", "window", r->params[1], "definition",
                                     fp_json_stored(wj ? wj : "{}"), "hosts", c.arr));
        free(wj);
}
