/*
 * Tracking records, resolver rules, provider-managed assets, exposures and evidence bundles
 * over the API (docs/tracking.md, docs/api.md "Tracking"). Every route is tenant-isolated: a
 * record, rule set or asset of an account the caller has no role on is answered 404.
 */
#include <stdlib.h>
#include <string.h>

#include "server/orch.h"
#include "server/server.h"
#include "server/track.h"

/* ---- JSON of records ---- */

static json_t *track_json(const struct fp_track_rec *t)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:s, s:I, s:I, s:I,"
                         " s:I, s:I}",
                         "id", t->id, "account", t->account, "vuln", t->vuln, "scope", t->scope,
                         "group", t->grp, "assignee", t->assignee, "state", t->state, "severity",
                         t->severity, "kev", t->kev, "sla_due", (json_int_t)t->sla_due,
                         "advisories", t->advisories, "opened", (json_int_t)t->opened, "cycle",
                         (json_int_t)t->cycle, "closed", (json_int_t)t->closed, "risk_until",
                         (json_int_t)t->risk_until, "updated", (json_int_t)t->updated);
}

static json_t *expo_json(const struct fp_exposure_rec *e)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:s, s:I,"
                         " s:I, s:s}",
                         "host", e->host, "account", e->account, "vuln", e->vuln, "package",
                         e->package, "arch", e->arch, "installed", e->installed,
                         "fixed_version", e->fixed_version, "advisories", e->advisories,
                         "severity", e->severity, "kev", e->kev, "sla_due",
                         (json_int_t)e->sla_due, "exception", (json_int_t)e->exception, "track",
                         e->track, "first_seen", (json_int_t)e->first_seen, "fixed_at",
                         (json_int_t)e->fixed_at, "fixed_inventory", e->fixed_inventory);
}

/* ---- tracking records ---- */

struct list_ctx {
        struct fp_req *r;
        json_t *arr;
        const char *last;
        size_t limit;
};

static bool track_list_cb(void *ctx, const struct fp_track_rec *t)
{
        struct list_ctx *l = ctx;
        json_array_append_new(l->arr, track_json(t));
        l->last = t->id;
        return json_array_size(l->arr) < l->limit;
}

void api_track_list(struct fp_req *r)
{
        const char *account = req_query(r, "account");
        if (account && !req_allow(r, account, FP_ROLE_VIEWER))
                return;
        const char *limit_s = req_query(r, "limit");
        long limit = FP_MAX_PAGE;
        if (limit_s) {
                char *end;
                limit = strtol(limit_s, &end, 10);
                if (*end || end == limit_s || limit < 1 || limit > FP_MAX_PAGE) {
                        req_error(r, 400, "invalid_request", "limit", "1..%d", FP_MAX_PAGE);
                        return;
                }
        }
        const char *state = req_query(r, "state");
        static const char *const states[] = {"open",   "in_progress",   "resolved",
                                             "closed", "risk_accepted", NULL};
        bool known = !state;
        for (size_t i = 0; state && states[i]; i++)
                known |= !strcmp(state, states[i]);
        if (!known) {
                req_error(r, 400, "invalid_request", "state",
                          "open, in_progress, resolved, closed or risk_accepted");
                return;
        }
        const char *visible[FP_MAX_GRANTS];
        struct fp_track_filter f = {.account = account,
                                    .state = state,
                                    .grp = req_query(r, "group"),
                                    .vuln = req_query(r, "advisory"),
                                    .after_id = req_query(r, "after"),
                                    .limit = (size_t)limit};
        if (!fp_principal_org(&r->who, FP_ROLE_VIEWER)) {
                size_t n = 0;
                for (size_t i = 0; i < r->who.grant_count; i++)
                        if (strcmp(r->who.grants[i].account, "*"))
                                visible[n++] = r->who.grants[i].account;
                f.accounts = visible;
                f.account_count = n;
        }
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct list_ctx l = {r, json_array(), NULL, (size_t)limit};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_track_list(tx, &f, track_list_cb, &l, &diag);
        if (err != FP_OK) {
                json_decref(l.arr);
                req_fail(r, err, &diag);
                return;
        }
        json_t *ans = json_pack("{s:o}", "tracking", l.arr);
        if (ans && json_array_size(l.arr) == (size_t)limit && l.last)
                json_object_set_new(ans, "next", json_string(l.last));
        req_answer(r, 200, ans);
}

/* The record of the path if the caller has role on its account (404 for another tenant). */
static bool path_track(struct fp_req *r, bool write, enum fp_role role, struct fp_track_rec *t)
{
        struct fp_tx *tx = req_tx(r, write);
        if (!tx)
                return false;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_track_get(tx, r->params[0], t, &diag);
        if (err == FP_ENOTFOUND ||
            (err == FP_OK && fp_principal_role(&r->who, t->account) == FP_ROLE_NONE)) {
                req_error(r, 404, "not_found", NULL, "no such tracking record");
                return false;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        return req_allow(r, t->account, role);
}

struct arr {
        json_t *a;
};

static bool event_cb(void *ctx, const struct fp_track_event *e)
{
        json_array_append_new(((struct arr *)ctx)->a,
                              json_pack("{s:I, s:I, s:s, s:s, s:o}", "seq", (json_int_t)e->seq,
                                        "at", (json_int_t)e->at, "actor", e->actor, "action",
                                        e->action, "detail", fp_json_stored(e->detail)));
        return true;
}

static bool link_cb(void *ctx, const char *track, const char *cr, int64_t at)
{
        json_array_append_new(((struct arr *)ctx)->a,
                              json_pack("{s:s, s:I}", "id", cr, "linked", (json_int_t)at));
        return true;
}

struct members_ctx {
        struct fp_tx *tx;
        json_t *gaps, *provider, *covered;
        enum fp_err err;
        struct fp_diag *diag;
};

static bool member_cb(void *ctx, const struct fp_exposure_rec *e)
{
        struct members_ctx *m = ctx;
        struct fp_host_rec h;
        m->err = fp_store_host_get(m->tx, e->host, &h, m->diag);
        if (m->err != FP_OK)
                return false;
        json_t *tags = fp_json_tags(&h);
        const char *pb = json_string_value(json_object_get(tags, "patched_by"));
        bool provider = pb && !strcmp(pb, "provider");
        json_decref(tags);
        json_t *o = expo_json(e);
        json_object_set_new(o, "hostname", json_string(h.hostname));
        json_array_append_new(provider                          ? m->provider
                              : e->fixed_at == 0 && !e->exception ? m->gaps
                                                                  : m->covered,
                              o);
        return true;
}

static void answer_track(struct fp_req *r, const char *id, int status)
{
        struct fp_track_rec t;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_track_get(r->tx, id, &t, &diag);
        struct arr hist = {json_array()}, links = {json_array()};
        struct members_ctx m = {r->tx, json_array(), json_array(), json_array(), FP_OK, &diag};
        if (err == FP_OK)
                err = fp_store_track_event_list(r->tx, id, event_cb, &hist, &diag);
        if (err == FP_OK)
                err = fp_store_track_link_list(r->tx, id, NULL, link_cb, &links, &diag);
        if (err == FP_OK)
                err = fp_store_exposure_of_track(r->tx, id, t.cycle, member_cb, &m, &diag);
        if (err == FP_OK)
                err = m.err;
        if (err != FP_OK) {
                json_decref(hist.a);
                json_decref(links.a);
                json_decref(m.gaps);
                json_decref(m.provider);
                json_decref(m.covered);
                req_fail(r, err, &diag);
                return;
        }
        json_t *o = track_json(&t);
        json_object_set_new(o, "history", hist.a);
        json_object_set_new(o, "change_requests", links.a);
        json_object_set_new(o, "open_hosts", json_integer((json_int_t)json_array_size(m.gaps)));
        json_object_set_new(o, "exposures", m.gaps);
        json_object_set_new(o, "covered", m.covered);
        json_object_set_new(o, "provider_responsibility", m.provider);
        json_object_set_new(o, "evidence", *t.evidence ? fp_json_stored(t.evidence) : json_null());
        req_answer(r, status, o);
}

void api_track_get(struct fp_req *r)
{
        struct fp_track_rec t;
        if (path_track(r, false, FP_ROLE_VIEWER, &t))
                answer_track(r, t.id, 200);
}

static char *actor_of(struct fp_req *r, char *buf, size_t n)
{
        snprintf(buf, n, "user:%s", r->who.user);
        return buf;
}

static enum fp_err add_event(struct fp_req *r, const char *id, const char *action, json_t *detail,
                             struct fp_diag *diag)
{
        char actor[FP_MAX_IDENT_BUF + 8];
        char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(detail);
        struct fp_track_event e = {.track = id,
                                   .at = r->now,
                                   .actor = actor_of(r, actor, sizeof(actor)),
                                   .action = action,
                                   .detail = text};
        enum fp_err err = text ? fp_store_track_event_add(r->tx, &e, diag) : FP_ENOMEM;
        free(text);
        return err;
}

void api_track_assign(struct fp_req *r)
{
        static const char *const allowed[] = {"group", "assignee", NULL};
        const char *group = NULL, *assignee = "";
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "group", true, FP_MAX_IDENT, &group) ||
            !req_str(r, r->json, "assignee", false, FP_MAX_IDENT, &assignee))
                return;
        if (!fp_valid_ident(group)) {
                req_error(r, 400, "invalid_request", "group", "[a-z0-9._-], 1..%d characters",
                          FP_MAX_IDENT);
                return;
        }
        if (*assignee && !fp_valid_ident(assignee)) {
                req_error(r, 400, "invalid_request", "assignee", "a user name or empty");
                return;
        }
        struct fp_track_rec t;
        if (!path_track(r, true, FP_ROLE_OPERATOR, &t))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        json_t *detail = json_pack("{s:s, s:s, s:s}", "from", t.grp, "group", group, "assignee",
                                   assignee);
        t.grp = group;
        t.assignee = assignee;
        t.updated = r->now;
        enum fp_err err = fp_store_track_put(r->tx, &t, &diag);
        if (err == FP_OK)
                err = add_event(r, t.id, "assigned", detail, &diag);
        else
                json_decref(detail);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        answer_track(r, t.id, 200);
}

void api_track_comment(struct fp_req *r)
{
        static const char *const allowed[] = {"text", NULL};
        const char *text = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "text", true, FP_MAX_TRACK_COMMENT, &text))
                return;
        if (!*text) {
                req_error(r, 400, "invalid_request", "text", "a comment is not empty");
                return;
        }
        struct fp_track_rec t;
        if (!path_track(r, true, FP_ROLE_OPERATOR, &t))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = add_event(r, t.id, "comment", json_pack("{s:s}", "text", text), &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        answer_track(r, t.id, 200);
}

void api_track_accept_risk(struct fp_req *r)
{
        static const char *const allowed[] = {"reason", "expires", NULL};
        const char *reason = NULL;
        int64_t expires = 0;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "reason", true, FP_MAX_TRACK_COMMENT, &reason) ||
            !req_int(r, r->json, "expires", true, 1, (int64_t)1 << 40, &expires))
                return;
        if (!*reason) {
                req_error(r, 400, "invalid_request", "reason", "say why the risk is accepted");
                return;
        }
        if (expires <= r->now || expires > r->now + 366LL * 86400) {
                req_error(r, 400, "invalid_request", "expires",
                          "a UNIX time in the future, at most 366 days from now");
                return;
        }
        struct fp_track_rec t;
        if (!path_track(r, true, FP_ROLE_APPROVER, &t))
                return;
        if (!strcmp(t.state, "closed")) {
                req_error(r, 409, "conflict", "state", "the record is closed");
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        json_t *detail = json_pack("{s:s, s:s, s:I}", "from", t.state, "reason", reason,
                                   "expires", (json_int_t)expires);
        t.state = "risk_accepted";
        t.risk_until = expires;
        t.updated = r->now;
        enum fp_err err = fp_store_track_put(r->tx, &t, &diag);
        if (err == FP_OK)
                err = add_event(r, t.id, "risk_accepted", detail, &diag);
        else
                json_decref(detail);
        /* A record whose exposures are all fixed closes anyway: acceptance never hides that. */
        if (err == FP_OK)
                err = fp_track_eval(r->srv, r->tx, t.id, r->now, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        answer_track(r, t.id, 200);
}

/* ---- resolver rules ---- */

static bool path_account(struct fp_req *r, bool write, enum fp_role role)
{
        if (!req_allow(r, r->params[0], role))
                return false;
        struct fp_tx *tx = req_tx(r, write);
        if (!tx)
                return false;
        struct fp_account_rec a;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_account_get(tx, r->params[0], &a, &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no such account");
                return false;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        return true;
}

void api_rules_get(struct fp_req *r)
{
        if (!path_account(r, false, FP_ROLE_VIEWER))
                return;
        const char *doc = NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_rules_get(r->tx, r->params[0], &doc, &diag);
        if (err == FP_ENOTFOUND) {
                req_answer(r, 200, json_pack("{s:s, s:[], s:s}", "account", r->params[0],
                                             "rules", "default", "unassigned"));
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        json_t *o = fp_json_stored(doc);
        json_object_set_new(o, "account", json_string(r->params[0]));
        if (!json_object_get(o, "rules"))
                json_object_set_new(o, "rules", json_array());
        if (!json_object_get(o, "default"))
                json_object_set_new(o, "default", json_string("unassigned"));
        req_answer(r, 200, o);
}

void api_rules_put(struct fp_req *r)
{
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (!fp_rules_check(r->json, &diag)) {
                req_error(r, 400, "invalid_request", diag.field[0] ? diag.field : NULL, "%s",
                          diag.msg);
                return;
        }
        if (!path_account(r, true, FP_ROLE_ADMIN))
                return;
        char *text = json_dumps(r->json, JSON_COMPACT | JSON_SORT_KEYS);
        enum fp_err err = text ? fp_store_rules_put(r->tx, r->params[0], text, r->who.user, r->now,
                                                    &diag)
                               : FP_ENOMEM;
        free(text);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        api_rules_get(r);
}

void api_rules_delete(struct fp_req *r)
{
        if (!path_account(r, true, FP_ROLE_ADMIN))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_rules_delete(r->tx, r->params[0], &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "account '%s' has no resolver rules",
                          r->params[0]);
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:b}", "account", r->params[0], "deleted", 1));
}

/* ---- provider-managed assets (shared responsibility) ---- */

static bool one_of(const char *s, const char *const *list)
{
        for (size_t i = 0; list[i]; i++)
                if (!strcmp(s, list[i]))
                        return true;
        return false;
}

/* Who patches a layer by default for a service model (docs/tracking.md). */
static const char *layer_default(const char *model, const char *layer)
{
        if (!strcmp(model, "saas"))
                return "provider";
        if (!strcmp(model, "paas"))
                return strcmp(layer, "application") ? "provider" : "customer";
        return "customer";
}

static bool text_ok(struct fp_req *r, const char *field, const char *v)
{
        for (const char *p = v; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                        req_error(r, 400, "invalid_request", field, "no control characters");
                        return false;
                }
        return true;
}

void api_assets_create(struct fp_req *r)
{
        static const char *const allowed[] = {"name",    "service_model", "provider", "product",
                                              "version", "layers",        "region",   "tags",
                                              NULL};
        static const char *const models[] = {"iaas", "paas", "saas", NULL};
        static const char *const who[] = {"customer", "provider", NULL};
        static const char *const layers[] = {"os", "runtime", "application", NULL};
        const char *name = NULL, *model = NULL, *provider = NULL, *product = NULL,
                   *version = NULL, *region = "";
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "name", true, FP_MAX_FACT_LEN, &name) ||
            !req_str(r, r->json, "service_model", true, 8, &model) ||
            !req_str(r, r->json, "provider", true, FP_MAX_ASSET_TEXT, &provider) ||
            !req_str(r, r->json, "product", true, FP_MAX_ASSET_TEXT, &product) ||
            !req_str(r, r->json, "version", true, FP_MAX_ASSET_TEXT, &version) ||
            !req_str(r, r->json, "region", false, FP_MAX_IDENT, &region))
                return;
        if (!*name || !text_ok(r, "name", name) || !text_ok(r, "provider", provider) ||
            !text_ok(r, "product", product) || !text_ok(r, "version", version))
                return;
        if (!*name || !*provider || !*product || !*version) {
                req_error(r, 400, "invalid_request", NULL,
                          "name, provider, product and version are not empty");
                return;
        }
        if (!one_of(model, models)) {
                req_error(r, 400, "invalid_request", "service_model", "iaas, paas or saas");
                return;
        }
        json_t *extra = json_object_get(r->json, "tags");
        char *extra_text = NULL;
        if (extra && !req_tags(r, extra, "tags", &extra_text))
                return;
        json_t *tags = fp_json_stored(extra_text);
        free(extra_text);
        const json_t *given = json_object_get(r->json, "layers");
        if (given && !json_is_object(given)) {
                json_decref(tags);
                req_error(r, 400, "invalid_request", "layers",
                          "an object: {\"os\"|\"runtime\"|\"application\": \"customer\"|"
                          "\"provider\"}");
                return;
        }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)given, k, v)
        {
                if (!one_of(k, layers) || !json_is_string(v) || !one_of(json_string_value(v), who)) {
                        char f[80];
                        snprintf(f, sizeof(f), "layers.%.40s", k);
                        json_decref(tags);
                        req_error(r, 400, "invalid_request", f,
                                  "layers are os, runtime, application; each customer or "
                                  "provider");
                        return;
                }
        }
        for (size_t i = 0; layers[i]; i++) {
                const char *w = json_string_value(json_object_get(given, layers[i]));
                char key[32];
                snprintf(key, sizeof(key), "patch_%s", layers[i]);
                json_object_set_new(tags, key, json_string(w ? w : layer_default(model, layers[i])));
        }
        /* Registered without an agent: nobody here patches it, its provider does. */
        json_object_set_new(tags, "service_model", json_string(model));
        json_object_set_new(tags, "patched_by", json_string("provider"));
        json_object_set_new(tags, "provider", json_string(provider));
        json_object_set_new(tags, "product", json_string(product));
        json_object_set_new(tags, "product_version", json_string(version));
        json_object_set_new(tags, "agentless", json_string("true"));
        if (json_object_size(tags) > FP_MAX_TAGS) {
                json_decref(tags);
                req_error(r, 400, "invalid_request", "tags", "more than %d tags with the asset's",
                          FP_MAX_TAGS);
                return;
        }
        char *tags_text = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(tags);
        if (!tags_text || !path_account(r, true, FP_ROLE_OPERATOR)) {
                if (!tags_text)
                        req_error(r, 500, "internal", NULL, "out of memory");
                free(tags_text);
                return;
        }
        /* The asset's name is its identity in the account: the machine id "asset:NAME". */
        char machine[FP_MAX_FACT_LEN + 8];
        snprintf(machine, sizeof(machine), "asset:%s", name);
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_host_rec old;
        enum fp_err err = fp_store_host_by_machine(r->tx, r->params[0], machine, &old, &diag);
        if (err == FP_OK) {
                free(tags_text);
                req_error(r, 409, "conflict", "name", "account '%s' has an asset named '%.64s'",
                          r->params[0], name);
                return;
        }
        char id[17];
        fp_new_id(id);
        json_t *facts = json_pack("{s:s}", "hostname", name);
        char *facts_text = facts ? json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(facts);
        struct fp_host_rec h = {.id = id,
                                .account = r->params[0],
                                .hostname = name,
                                .region = region,
                                .machine_id = machine,
                                .facts_json = facts_text ? facts_text : "{}",
                                .agent_tags_json = "{}",
                                .api_tags_json = tags_text,
                                .created = r->now,
                                .last_seen = r->now,
                                .boot_id = "",
                                .instance_id = "",
                                .cloned_from = ""};
        err = err == FP_ENOTFOUND ? fp_store_host_create(r->tx, &h, &diag) : err;
        if (err == FP_OK)
                err = fp_store_host_get(r->tx, id, &h, &diag);
        free(facts_text);
        free(tags_text);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 201, fp_json_host(&h, r->now, r->srv->cfg.stale_after, true));
}

struct asset_ctx {
        json_t *arr;
};

static bool asset_cb(void *ctx, const struct fp_host_rec *h)
{
        struct asset_ctx *a = ctx;
        json_t *tags = fp_json_tags(h);
        const char *model = json_string_value(json_object_get(tags, "service_model"));
        if (model) {
                json_t *o = json_pack(
                    "{s:s, s:s, s:s, s:s*, s:s*, s:s*, s:s*, s:{s:s*, s:s*, s:s*}, s:b, s:s, s:I}",
                    "id", h->id, "name", h->hostname, "service_model", model, "patched_by",
                    json_string_value(json_object_get(tags, "patched_by")), "provider",
                    json_string_value(json_object_get(tags, "provider")), "product",
                    json_string_value(json_object_get(tags, "product")), "version",
                    json_string_value(json_object_get(tags, "product_version")), "layers", "os",
                    json_string_value(json_object_get(tags, "patch_os")), "runtime",
                    json_string_value(json_object_get(tags, "patch_runtime")), "application",
                    json_string_value(json_object_get(tags, "patch_application")), "agent",
                    *h->inventory_hash != 0 || !json_object_get(tags, "agentless"), "os",
                    h->os_id, "created", (json_int_t)h->created);
                json_array_append_new(a->arr, o);
        }
        json_decref(tags);
        return json_array_size(a->arr) < FP_MAX_PAGE;
}

void api_assets_list(struct fp_req *r)
{
        if (!path_account(r, false, FP_ROLE_VIEWER))
                return;
        struct fp_host_filter f = {.account = r->params[0], .compliance = -1};
        struct asset_ctx a = {json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_host_list(r->tx, &f, asset_cb, &a, &diag);
        if (err != FP_OK) {
                json_decref(a.arr);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:o}", "account", r->params[0], "assets", a.arr));
}

/* ---- exposures ---- */

struct expo_ctx {
        json_t *arr;
        size_t max;
        bool more;
};

static bool expo_cb(void *ctx, const struct fp_exposure_rec *e)
{
        struct expo_ctx *c = ctx;
        if (json_array_size(c->arr) == c->max) {
                c->more = true;
                return false;
        }
        json_array_append_new(c->arr, expo_json(e));
        return true;
}

void api_exposures_list(struct fp_req *r)
{
        const char *since_s = req_query(r, "since");
        long long since = 0;
        if (since_s) {
                char *end;
                since = strtoll(since_s, &end, 10);
                if (*end || end == since_s || since < 0) {
                        req_error(r, 400, "invalid_request", "since", "a UNIX time >= 0");
                        return;
                }
        }
        if (!path_account(r, false, FP_ROLE_VIEWER))
                return;
        struct expo_ctx c = {json_array(), FP_MAX_EXPOSURES_PAGE, false};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_exposure_list(r->tx, r->params[0], since, expo_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        if (c.more) {
                json_decref(c.arr);
                req_error(r, 413, "too_large", "since",
                          "more than %d exposures since %lld: ask for a later since",
                          FP_MAX_EXPOSURES_PAGE, since);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:I, s:o}", "account", r->params[0], "since",
                                     (json_int_t)since, "exposures", c.arr));
}

/* ---- evidence ---- */

void api_changes_evidence(struct fp_req *r)
{
        struct fp_cr_rec c;
        if (!fp_orch_path_cr(r, false, FP_ROLE_VIEWER, &c))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        char *bundle = NULL;
        enum fp_err err = fp_evidence_build(r->srv, r->tx, c.id, r->now, &bundle, &diag);
        if (err == FP_EUNSUPPORTED) {
                req_error(r, 503, "unavailable", NULL, "%s", diag.msg);
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        r->text = bundle;
        r->status = 200;
        r->content_type = "application/json";
}
