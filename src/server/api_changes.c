/*
 * Change requests (docs/orchestration.md "Change requests"): creation with the update set
 * frozen per host, the plan checked before anything runs, the states and the votes. Approval
 * never by the author; an emergency path for KEV/critical sets with a review afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/vuln.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/track.h"

static const char *const risks[] = {"low", "medium", "high", "critical", NULL};

static bool in_list(const char *s, const char *const *list)
{
        for (size_t i = 0; list[i]; i++)
                if (!strcmp(s, list[i]))
                        return true;
        return false;
}

/* ---- JSON of a change request ---- */

struct votes_ctx {
        json_t *arr;
        int approvals;
};
static bool votes_cb(void *ctx, const struct fp_cr_vote *v)
{
        struct votes_ctx *c = ctx;
        c->approvals += !strcmp(v->decision, "approve");
        json_array_append_new(c->arr, json_pack("{s:s, s:s, s:s, s:I}", "user", v->user,
                                                 "decision", v->decision, "comment", v->comment,
                                                 "at", (json_int_t)v->at));
        return true;
}

struct set_ctx {
        int64_t updates, hosts;
        const char *last;
};
static bool set_cb(void *ctx, const struct fp_cr_update *u)
{
        struct set_ctx *c = ctx;
        c->updates++;
        if (!c->last || strcmp(c->last, u->host))
                c->hosts++;
        c->last = u->host;
        return true;
}

static json_t *cr_json(struct fp_tx *tx, const struct fp_cr_rec *c, long required,
                       struct fp_diag *diag, enum fp_err *err)
{
        struct votes_ctx v = {json_array(), 0};
        struct set_ctx s = {0};
        *err = fp_store_cr_vote_list(tx, c->id, votes_cb, &v, diag);
        if (*err == FP_OK)
                *err = fp_store_cr_update_list(tx, c->id, NULL, set_cb, &s, diag);
        json_t *doc = fp_json_stored(c->document);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:b, s:b, s:s, s:I, s:I, "
                              "s:o, s:i, s:i, s:{s:I, s:I}}",
                              "id", c->id, "account", c->account, "title", c->title, "author",
                              c->author, "state", c->state, "baseline", c->baseline, "window",
                              c->window[0] ? c->window : NULL, "emergency", c->emergency,
                              "review_pending", c->review_pending, "reviewed_by", c->reviewed_by,
                              "created", (json_int_t)c->created, "updated",
                              (json_int_t)c->updated, "votes", v.arr, "approvals", v.approvals,
                              "approvals_required", (int)required, "update_set", "hosts",
                              (json_int_t)s.hosts, "updates", (json_int_t)s.updates);
        json_object_update_missing(o, doc);
        json_decref(doc);
        struct fp_rollout_rec ro;
        struct fp_diag d2;
        fp_diag_clear(&d2);
        json_t *repl = *err == FP_OK ? fp_replace_status(tx, c->id, &d2) : NULL;
        if (json_array_size(repl))
                json_object_set(o, "replacements", repl);
        json_decref(repl);
        if (*err == FP_OK && fp_store_rollout_get(tx, c->id, &ro, &d2) == FP_OK)
                json_object_set_new(o, "rollout",
                                    json_pack("{s:s, s:I, s:I, s:I}", "status", ro.status, "wave",
                                              (json_int_t)ro.wave, "waves",
                                              (json_int_t)ro.wave_count, "failures",
                                              (json_int_t)ro.failures));
        return o;
}

static void answer_cr(struct fp_req *r, const char *id, int status)
{
        struct fp_cr_rec c;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_cr_get(r->tx, id, &c, &diag);
        json_t *o = err == FP_OK ? cr_json(r->tx, &c, r->srv->cfg.approvals_required, &diag, &err)
                                 : NULL;
        if (err != FP_OK) {
                json_decref(o);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, status, o);
}

/* ---- creation ---- */

struct target_ctx {
        struct fp_req *r;
        const json_t *regions, *hosts;
        const char **ids;
        size_t n, cap;
        bool nomem;
};

static bool json_str_in(const json_t *arr, const char *s)
{
        size_t i;
        const json_t *v;
        json_array_foreach(arr, i, v)
        {
                if (!strcmp(json_string_value(v), s))
                        return true;
        }
        return false;
}

static bool target_cb(void *ctx, const struct fp_host_rec *h)
{
        struct target_ctx *t = ctx;
        if (json_array_size(t->regions) && !json_str_in(t->regions, h->region))
                return true;
        if (json_array_size(t->hosts) && !json_str_in(t->hosts, h->id))
                return true;
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 64;
                const char **ids = realloc(t->ids, cap * sizeof(*ids));
                if (!ids) {
                        t->nomem = true;
                        return false;
                }
                t->ids = ids;
                t->cap = cap;
        }
        t->ids[t->n++] = fp_arena_strdup(fp_tx_arena(t->r->tx), h->id);
        return t->n < FP_MAX_CR_HOSTS;
}

/* targets: {"tags": {k: v}, "regions": [..], "hosts": [..]}, all optional. */
static bool check_targets(struct fp_req *r, const json_t *t)
{
        static const char *const allowed[] = {"tags", "regions", "hosts", NULL};
        if (!t)
                return true;
        if (!json_is_object(t)) {
                req_error(r, 400, "invalid_request", "targets", "targets: an object");
                return false;
        }
        if (!req_members(r, t, "targets", allowed))
                return false;
        const json_t *tags = json_object_get(t, "tags");
        char *text = NULL;
        if (tags && !req_tags(r, tags, "targets.tags", &text))
                return false;
        free(text);
        const char *names[] = {"regions", "hosts"};
        size_t max[] = {FP_MAX_CR_TARGET_REGIONS, FP_MAX_CR_TARGET_HOSTS};
        for (int k = 0; k < 2; k++) {
                const json_t *a = json_object_get(t, names[k]);
                if (!a)
                        continue;
                if (!json_is_array(a) || json_array_size(a) > max[k]) {
                        req_error(r, 400, "invalid_request", names[k],
                                  "targets.%s: an array of at most %zu strings", names[k], max[k]);
                        return false;
                }
                size_t i;
                const json_t *v;
                json_array_foreach(a, i, v)
                {
                        const char *s = json_string_value(v);
                        if (!s || !*s || strlen(s) > FP_MAX_IDENT) {
                                req_error(r, 400, "invalid_request", names[k],
                                          "targets.%s[%zu]: a non-empty string of at most %d "
                                          "characters",
                                          names[k], i, FP_MAX_IDENT);
                                return false;
                        }
                }
        }
        return true;
}

/* Freeze the approved updates of each target host; counts what froze and why hosts were
 * skipped. */
static enum fp_err freeze(struct fp_req *r, const char *cr_id, const struct fp_baseline *b,
                          struct target_ctx *t, json_t *skipped, json_t *groups, int64_t max_age,
                          int64_t *updates, bool *urgent, const char ***frozen, size_t *nfrozen,
                          struct fp_diag *diag)
{
        *updates = 0;
        *urgent = false;
        *frozen = calloc(t->n ? t->n : 1, sizeof(**frozen));
        *nfrozen = 0;
        if (!*frozen)
                return FP_ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                struct fp_host_rec h;
                enum fp_err err = fp_store_host_get(r->tx, t->ids[i], &h, diag);
                if (err != FP_OK)
                        return err;
                json_t *ups = NULL;
                char family[8];
                err = fp_orch_host_updates(r->srv, r->tx, &h, b, r->now, NULL, false, &ups, family, NULL,
                                           diag);
                if (err == FP_ENOTFOUND) {
                        fp_diag_clear(diag);
                        json_array_append_new(skipped, json_pack("{s:s, s:s}", "host", h.id,
                                                                 "reason", "no inventory yet"));
                        continue;
                }
                if (err != FP_OK)
                        return err;
                if (strcmp(family, fp_baseline_family(b))) {
                        json_decref(ups);
                        json_array_append_new(
                            skipped, json_pack("{s:s, s:s}", "host", h.id, "reason",
                                               "the baseline is for another OS family"));
                        continue;
                }
                /* An immutable group's host is replaced from a rebuilt image, never patched:
                 * its approved updates go into the group's image request. */
                char group[256];
                json_t *g = NULL;
                if (fp_orch_host_immutable(&h, group)) {
                        if (!fp_valid_ident(group)) {
                                json_decref(ups);
                                json_array_append_new(
                                    skipped, json_pack("{s:s, s:s}", "host", h.id, "reason",
                                                       "its immutable group name is not an "
                                                       "identifier"));
                                continue;
                        }
                        g = json_object_get(groups, group);
                        if (!g) {
                                g = json_pack("{s:[], s:{}}", "hosts", "updates");
                                json_object_set_new(groups, group, g);
                        }
                        json_array_append_new(json_object_get(g, "hosts"), json_string(h.id));
                        /* lifecycle rule: an instance older than max_age is replaced even
                         * with nothing to patch */
                        if (max_age && h.created < r->now - max_age)
                                json_object_set_new(g, "aged", json_true());
                }
                size_t k, mine = 0;
                json_t *u;
                json_array_foreach(ups, k, u)
                {
                        if (!json_is_true(json_object_get(u, "approved")))
                                continue;
                        if (g) {
                                char key[600];
                                snprintf(key, sizeof(key), "%s/%s",
                                         json_string_value(json_object_get(u, "name")),
                                         json_string_value(json_object_get(u, "arch")));
                                json_object_set(json_object_get(g, "updates"), key,
                                                json_object_get(u, "candidate"));
                                const char *sv = json_string_value(json_object_get(u, "severity"));
                                *urgent |= json_is_true(json_object_get(u, "kev")) ||
                                           (sv && !strcmp(sv, "critical"));
                                continue;
                        }
                        struct fp_cr_update cu = {
                            .cr = cr_id,
                            .host = h.id,
                            .name = json_string_value(json_object_get(u, "name")),
                            .arch = json_string_value(json_object_get(u, "arch")),
                            .version = json_string_value(json_object_get(u, "candidate"))};
                        const char *sev = json_string_value(json_object_get(u, "severity"));
                        *urgent |= json_is_true(json_object_get(u, "kev")) ||
                                   (sev && !strcmp(sev, "critical"));
                        err = fp_store_cr_update_add(r->tx, &cu, diag);
                        if (err != FP_OK)
                                break;
                        mine++;
                }
                json_decref(ups);
                if (err != FP_OK)
                        return err;
                if (g)
                        continue;
                if (mine) {
                        (*frozen)[(*nfrozen)++] = t->ids[i];
                        *updates += (int64_t)mine;
                } else {
                        json_array_append_new(skipped,
                                              json_pack("{s:s, s:s}", "host", h.id, "reason",
                                                        "no approved pending update"));
                }
        }
        return FP_OK;
}

void api_changes_create(struct fp_req *r)
{
        static const char *const allowed[] = {"account",  "title",     "baseline",    "targets",
                                              "window",   "risk",      "emergency",   "rollout",
                                              "description", "max_host_age_days", NULL};
        const char *account = NULL, *title = NULL, *baseline = NULL, *window = NULL,
                   *risk = "medium", *description = "";
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "account", true, FP_MAX_IDENT, &account) ||
            !req_str(r, r->json, "title", true, FP_MAX_CR_TITLE, &title) ||
            !req_str(r, r->json, "baseline", true, FP_MAX_IDENT, &baseline) ||
            !req_str(r, r->json, "risk", false, 16, &risk) ||
            !req_str(r, r->json, "description", false, FP_MAX_CR_COMMENT, &description))
                return;
        int64_t max_age_days = 0;
        if (!req_int(r, r->json, "max_host_age_days", false, 0, 3650, &max_age_days))
                return;
        const json_t *wj = json_object_get(r->json, "window");
        if (wj && !json_is_null(wj) && !req_str(r, r->json, "window", false, FP_MAX_IDENT, &window))
                return;
        const json_t *em = json_object_get(r->json, "emergency");
        if (em && !json_is_boolean(em)) {
                req_error(r, 400, "invalid_request", "emergency", "emergency: a boolean");
                return;
        }
        bool emergency = json_is_true(em);
        if (!in_list(risk, risks)) {
                req_error(r, 400, "invalid_request", "risk", "risk: low, medium, high or critical");
                return;
        }
        if (!*title) {
                req_error(r, 400, "invalid_request", "title", "title: must not be empty");
                return;
        }
        const json_t *targets = json_object_get(r->json, "targets");
        if (!fp_valid_ident(account)) {
                req_error(r, 404, "not_found", NULL, "no such account");
                return;
        }
        if (!req_allow(r, account, FP_ROLE_OPERATOR) || !check_targets(r, targets))
                return;
        /* The rollout spec: checked here, stored canonical. */
        const json_t *rj = json_object_get(r->json, "rollout");
        char *rtext = rj ? json_dumps(rj, JSON_COMPACT) : strdup("{}");
        struct fp_ro_spec spec;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = rtext ? fp_ro_spec_parse(rtext, strlen(rtext), &spec, &diag) : FP_ENOMEM;
        free(rtext);
        if (err != FP_OK) {
                req_error(r, 400, "invalid_request", diag.field[0] ? diag.field : "rollout", "%s",
                          diag.msg[0] ? diag.msg : fp_strerror(err));
                return;
        }
        char *spec_canon = fp_ro_spec_to_json(&spec);
        fp_ro_spec_free(&spec);
        struct fp_tx *tx = req_tx(r, true);
        struct fp_baseline *b = NULL;
        if (!tx || !spec_canon) {
                free(spec_canon);
                if (tx)
                        req_error(r, 500, "internal", NULL, "out of memory");
                return;
        }
        err = fp_orch_baseline_get(tx, account, baseline, &b, &diag);
        if (err == FP_ENOTFOUND) {
                free(spec_canon);
                req_error(r, 400, "invalid_request", "baseline", "%s", diag.msg);
                return;
        }
        struct fp_window w;
        if (err == FP_OK && window) {
                err = fp_orch_window_get(tx, account, window, &w, &diag);
                if (err == FP_ENOTFOUND) {
                        free(spec_canon);
                        fp_baseline_free(b);
                        req_error(r, 400, "invalid_request", "window", "%s", diag.msg);
                        return;
                }
        }
        /* Targets → hosts. */
        struct fp_tag_filter tf[FP_MAX_TAGS];
        size_t ntf = 0;
        const json_t *tags = json_object_get(targets, "tags");
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)tags, k, v)
        {
                if (ntf < FP_MAX_TAGS)
                        tf[ntf++] = (struct fp_tag_filter){.key = k, .value = json_string_value(v)};
        }
        struct fp_host_filter f = {
            .account = account, .tags = tf, .tag_count = ntf, .compliance = -1};
        struct target_ctx t = {.r = r,
                               .regions = json_object_get(targets, "regions"),
                               .hosts = json_object_get(targets, "hosts")};
        if (err == FP_OK)
                err = fp_store_host_list(tx, &f, target_cb, &t, &diag);
        if (err == FP_OK && t.nomem)
                err = FP_ENOMEM;
        char id[17];
        fp_new_id(id);
        json_t *skipped = json_array();
        int64_t nupdates = 0;
        bool urgent = false;
        const char **frozen = NULL;
        size_t nfrozen = 0;
        if (err == FP_OK && t.n == 0) {
                req_error(r, 409, "nothing_to_do", "targets", "the targets select no host");
                goto out;
        }
        /* The request row first: the frozen set refers to it. */
        json_t *doc = json_pack("{s:O?, s:o, s:s, s:s, s:I}", "targets", targets,
                                "rollout", fp_json_stored(spec_canon), "risk", risk,
                                "description", description, "max_host_age_days",
                                (json_int_t)max_age_days);
        char *doc_text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(doc);
        struct fp_cr_rec c = {.id = id,
                              .account = account,
                              .title = title,
                              .author = r->who.user,
                              .state = "draft",
                              .baseline = baseline,
                              .window = window ? window : "",
                              .document = doc_text,
                              .emergency = emergency,
                              .reviewed_by = "",
                              .created = r->now,
                              .updated = r->now};
        if (err == FP_OK)
                err = doc_text ? fp_store_cr_create(tx, &c, &diag) : FP_ENOMEM;
        json_t *groups = json_object();
        if (err == FP_OK)
                err = freeze(r, id, b, &t, skipped, groups, max_age_days * 86400, &nupdates,
                             &urgent, &frozen, &nfrozen,
                             &diag);
        /* Link the tracking records whose exposures this update set fixes (docs/tracking.md). */
        if (err == FP_OK)
                err = fp_track_cr_frozen(r->srv, tx, id, r->now, &diag);
        /* Each immutable group with something approved becomes a replacement request. */
        size_t ngroups = 0;
        const char *gname;
        json_t *g;
        json_object_foreach(groups, gname, g)
        {
                if (err != FP_OK || (!json_object_size(json_object_get(g, "updates")) &&
                                     !json_is_true(json_object_get(g, "aged"))))
                        continue;
                json_t *list = json_array();
                const char *key;
                json_t *ver;
                json_object_foreach(json_object_get(g, "updates"), key, ver)
                {
                        const char *slash = strrchr(key, '/');
                        json_array_append_new(
                            list, json_pack("{s:s%, s:s, s:O}", "name", key,
                                            (size_t)(slash ? slash - key : 0), "arch",
                                            slash ? slash + 1 : "", "version", ver));
                }
                err = fp_replace_record(tx, id, account, gname, json_object_get(g, "hosts"), list,
                                        r->now, &diag);
                json_decref(list);
                ngroups++;
        }
        json_decref(groups);
        if (err == FP_OK && nupdates == 0 && ngroups == 0) {
                free(doc_text);
                req_error(r, 409, "nothing_to_do", NULL,
                          "baseline '%s' approves no pending update on the %zu targeted host(s)",
                          baseline, t.n);
                goto out;
        }
        if (err == FP_OK && emergency && !urgent) {
                free(doc_text);
                req_error(r, 400, "invalid_request", "emergency",
                          "an emergency change needs a KEV or critical update in its set");
                goto out;
        }
        /* The plan is checked now, before anyone approves it. */
        struct fp_orch_rollout o;
        if (err == FP_OK && nfrozen) {
                err = fp_orch_rollout_build(tx, &c, frozen, nfrozen, r->now, &o, &diag);
                fp_orch_rollout_free(&o);
                if (err == FP_EINVAL || err == FP_EPARSE) {
                        free(doc_text);
                        req_error(r, 400, "invalid_plan", diag.field[0] ? diag.field : NULL, "%s",
                                  diag.msg);
                        goto out;
                }
        }
        free(doc_text);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                goto out;
        }
        {
                struct fp_cr_rec back;
                err = fp_store_cr_get(tx, id, &back, &diag);
                json_t *o2 = err == FP_OK ? cr_json(tx, &back, r->srv->cfg.approvals_required,
                                                    &diag, &err)
                                          : NULL;
                if (err != FP_OK) {
                        json_decref(o2);
                        req_fail(r, err, &diag);
                        goto out;
                }
                json_object_set(o2, "skipped", skipped);
                req_answer(r, 201, o2);
        }
out:
        free((void *)frozen);
        free(t.ids);
        json_decref(skipped);
        free(spec_canon);
        fp_baseline_free(b);
}

/* ---- lists ---- */

struct cr_list_ctx {
        struct fp_req *r;
        json_t *arr;
};
static bool cr_list_cb(void *ctx, const struct fp_cr_rec *c)
{
        struct cr_list_ctx *l = ctx;
        if (fp_principal_role(&l->r->who, c->account) == FP_ROLE_NONE)
                return true;
        json_array_append_new(
            l->arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:I}", "id", c->id,
                              "account", c->account, "title", c->title, "author", c->author,
                              "state", c->state, "baseline", c->baseline, "emergency",
                              c->emergency, "review_pending", c->review_pending, "created",
                              (json_int_t)c->created));
        return json_array_size(l->arr) < FP_MAX_PAGE;
}

void api_changes_list(struct fp_req *r)
{
        const char *account = req_query(r, "account"), *state = req_query(r, "state");
        if (account && !req_allow(r, account, FP_ROLE_VIEWER))
                return;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct cr_list_ctx l = {r, json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_cr_list(tx, account, state, cr_list_cb, &l, &diag);
        if (err != FP_OK) {
                json_decref(l.arr);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "change_requests", l.arr));
}

void api_changes_get(struct fp_req *r)
{
        struct fp_cr_rec c;
        if (fp_orch_path_cr(r, false, FP_ROLE_VIEWER, &c))
                answer_cr(r, c.id, 200);
}

/* ---- transitions ---- */

static bool comment_of(struct fp_req *r, const char **comment)
{
        static const char *const allowed[] = {"comment", NULL};
        *comment = "";
        if (!r->json)
                return true;
        return req_members(r, r->json, NULL, allowed) &&
               req_str(r, r->json, "comment", false, FP_MAX_CR_COMMENT, comment);
}

/* Approved: create the rollout (the plan is checked again against today's fleet). */
static bool schedule(struct fp_req *r, struct fp_cr_rec *c, bool review_pending)
{
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_cr_set_state(r->tx, c->id, "approved", review_pending, NULL,
                                                r->now, &diag);
        if (err == FP_OK)
                err = fp_orch_rollout_create(r->tx, c, r->now, &diag);
        if (err == FP_EINVAL || err == FP_EPARSE) {
                req_error(r, 409, "invalid_plan", diag.field[0] ? diag.field : NULL,
                          "the plan no longer holds: %s", diag.msg);
                return false;
        }
        if (err == FP_OK)
                err = fp_store_cr_set_state(r->tx, c->id, "scheduled", review_pending, NULL,
                                            r->now, &diag);
        if (err == FP_OK) /* the customer-facing notice (docs/notifications.md) */
                err = fp_notify_cr_planned(r->srv, r->tx, c, r->now, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        return true;
}

static bool commit_and_kick(struct fp_req *r, const char *id)
{
        char cid[17];
        snprintf(cid, sizeof(cid), "%s", id);
        answer_cr(r, cid, 200);
        if (r->status != 200)
                return false;
        fp_scheduler_kick(r->srv->scheduler);
        return true;
}

void api_changes_submit(struct fp_req *r)
{
        struct fp_cr_rec c;
        const char *comment;
        if (!comment_of(r, &comment) || !fp_orch_path_cr(r, true, FP_ROLE_OPERATOR, &c))
                return;
        if (strcmp(c.author, r->who.user)) {
                req_error(r, 403, "forbidden", NULL, "only the author (%s) submits a change request",
                          c.author);
                return;
        }
        if (strcmp(c.state, "draft")) {
                req_error(r, 409, "conflict", "state", "the change request is %s, not draft",
                          c.state);
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_cr_set_state(r->tx, c.id, "submitted", false, NULL, r->now,
                                                &diag);
        if (err == FP_OK) /* approvers are told (docs/notifications.md) */
                err = fp_notify_cr_submitted(r->srv, r->tx, &c, r->now, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        /* Emergency: approved by its submission, reviewed by another approver afterwards. */
        if (c.emergency) {
                struct fp_cr_vote v = {.cr = c.id,
                                       .user = r->who.user,
                                       .decision = "emergency",
                                       .comment = comment,
                                       .at = r->now};
                err = fp_store_cr_vote_add(r->tx, &v, &diag);
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return;
                }
                if (!schedule(r, &c, true))
                        return;
        }
        commit_and_kick(r, c.id);
}

static void vote(struct fp_req *r, const char *decision)
{
        struct fp_cr_rec c;
        const char *comment;
        if (!comment_of(r, &comment) || !fp_orch_path_cr(r, true, FP_ROLE_APPROVER, &c))
                return;
        if (!strcmp(c.author, r->who.user)) {
                req_error(r, 403, "self_approval", NULL,
                          "the author of a change request cannot %s it", decision);
                return;
        }
        bool review = !strcmp(decision, "review");
        if (review ? !c.review_pending : strcmp(c.state, "submitted")) {
                req_error(r, 409, "conflict", "state",
                          review ? "the change request has no review pending"
                                 : "the change request is %s, not submitted",
                          c.state);
                return;
        }
        struct fp_cr_vote v = {
            .cr = c.id, .user = r->who.user, .decision = decision, .comment = comment, .at = r->now};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_cr_vote_add(r->tx, &v, &diag);
        if (err == FP_EEXIST) {
                req_error(r, 409, "already_voted", NULL, "%s already voted '%s'", r->who.user,
                          decision);
                return;
        }
        if (err == FP_OK && review)
                err = fp_store_cr_set_state(r->tx, c.id, c.state, false, r->who.user, r->now,
                                            &diag);
        if (err == FP_OK && !strcmp(decision, "reject"))
                err = fp_store_cr_set_state(r->tx, c.id, "rejected", false, NULL, r->now, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        if (!strcmp(decision, "approve")) {
                struct votes_ctx vc = {json_array(), 0};
                err = fp_store_cr_vote_list(r->tx, c.id, votes_cb, &vc, &diag);
                json_decref(vc.arr);
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return;
                }
                if (vc.approvals >= r->srv->cfg.approvals_required && !schedule(r, &c, false))
                        return;
        }
        commit_and_kick(r, c.id);
}

void api_changes_approve(struct fp_req *r)
{
        vote(r, "approve");
}
void api_changes_reject(struct fp_req *r)
{
        vote(r, "reject");
}
void api_changes_review(struct fp_req *r)
{
        vote(r, "review");
}
