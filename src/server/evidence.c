/*
 * The evidence bundle of a change request (docs/tracking.md "Evidence bundles"): the request
 * and its frozen plan, the votes, the rollout and each host's jobs with their logs, results,
 * verification verdicts and before/after inventory snapshots, and the linked tracking records
 * with their history; sealed with the server's Ed25519 key (fleetpatch/evidence.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/evidence.h"
#include "server/audit.h"
#include "server/server.h"
#include "server/track.h"

struct arr_ctx {
        json_t *arr;
        bool oom;
};

static bool push(struct arr_ctx *c, json_t *v)
{
        if (!v || json_array_append_new(c->arr, v) != 0) {
                c->oom = true;
                return false;
        }
        return true;
}

static bool vote_cb(void *ctx, const struct fp_cr_vote *v)
{
        return push(ctx, json_pack("{s:s, s:s, s:s, s:I}", "user", v->user, "decision",
                                   v->decision, "comment", v->comment ? v->comment : "", "at",
                                   (json_int_t)v->at));
}

static bool update_cb(void *ctx, const struct fp_cr_update *u)
{
        return push(ctx, json_pack("{s:s, s:s, s:s, s:s}", "host", u->host, "name", u->name,
                                   "arch", u->arch, "version", u->version));
}

static bool rhost_cb(void *ctx, const struct fp_rollout_host_rec *h)
{
        return push(ctx, json_pack("{s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s}",
                                   "host", h->host, "ring", (json_int_t)h->ring, "wave",
                                   (json_int_t)h->wave, "state", h->state, "started",
                                   (json_int_t)h->started, "finished", (json_int_t)h->finished,
                                   "attempts", (json_int_t)h->attempts, "job", h->job,
                                   "rollback_job", h->rollback_job, "tz", h->tz, "group",
                                   h->grp));
}

static bool event_cb(void *ctx, const struct fp_track_event *e)
{
        return push(ctx, json_pack("{s:I, s:I, s:s, s:s, s:o}", "seq", (json_int_t)e->seq, "at",
                                   (json_int_t)e->at, "actor", e->actor, "action", e->action,
                                   "detail", fp_json_stored(e->detail)));
}

static bool link_cb(void *ctx, const char *track, const char *cr, int64_t at)
{
        return push(ctx, json_string(track));
}

/* A job with its snapshot, or NULL when it does not exist. */
static enum fp_err job_entry(struct fp_tx *tx, const char *id, json_t **out,
                             struct fp_diag *diag)
{
        *out = NULL;
        struct fp_job_rec j;
        enum fp_err err = fp_store_job_get(tx, id, &j, diag);
        if (err == FP_ENOTFOUND)
                return FP_OK;
        if (err != FP_OK)
                return err;
        json_t *o = fp_json_job(&j, true);
        if (!o)
                return FP_ENOMEM;
        struct fp_snap_rec s;
        err = fp_store_snap_get(tx, id, &s, diag);
        if (err == FP_OK)
                json_object_set_new(
                    o, "inventory",
                    json_pack("{s:{s:s, s:o}, s:{s:s, s:o, s:I}}", "before", "hash",
                              s.before_hash, "packages", fp_json_stored(s.before), "after",
                              "hash", s.after_hash, "packages",
                              *s.after ? fp_json_stored(s.after) : json_null(), "at",
                              (json_int_t)s.after_at));
        else if (err == FP_ENOTFOUND)
                json_object_set_new(o, "inventory", json_null());
        else {
                json_decref(o);
                return err;
        }
        json_t *res = json_object_get(o, "result");
        json_object_set_new(o, "verdict",
                            json_string(json_string_value(json_object_get(res, "verdict"))
                                            ?: "none"));
        *out = o;
        return FP_OK;
}

static enum fp_err track_entry(struct fp_tx *tx, const char *id, json_t **out,
                               struct fp_diag *diag)
{
        *out = NULL;
        struct fp_track_rec t;
        enum fp_err err = fp_store_track_get(tx, id, &t, diag);
        if (err == FP_ENOTFOUND)
                return FP_OK;
        if (err != FP_OK)
                return err;
        struct arr_ctx h = {json_array(), false};
        err = fp_store_track_event_list(tx, id, event_cb, &h, diag);
        if (err == FP_OK && h.oom)
                err = FP_ENOMEM;
        if (err != FP_OK) {
                json_decref(h.arr);
                return err;
        }
        *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o}", "id", t.id,
                         "vuln", t.vuln, "scope", t.scope, "group", t.grp, "state", t.state,
                         "severity", t.severity, "opened", (json_int_t)t.opened, "closed",
                         (json_int_t)t.closed, "evidence",
                         *t.evidence ? fp_json_stored(t.evidence) : json_null(), "history",
                         h.arr);
        return *out ? FP_OK : FP_ENOMEM;
}

enum fp_err fp_evidence_build(struct fp_server *srv, struct fp_tx *tx, const char *cr,
                              int64_t now, char **out, struct fp_diag *diag)
{
        *out = NULL;
        const struct fp_signkey *key = fp_server_signkey(srv);
        if (!key) {
                fp_diag_set(diag, NULL, 0, NULL, "the server has no signing key");
                return FP_EUNSUPPORTED;
        }
        struct fp_cr_rec c;
        enum fp_err err = fp_store_cr_get(tx, cr, &c, diag);
        if (err != FP_OK)
                return err;
        struct arr_ctx votes = {json_array(), false}, ups = {json_array(), false},
                       rhosts = {json_array(), false}, links = {json_array(), false};
        json_t *body = NULL, *rollout = json_null(), *hosts = json_array(),
               *tracking = json_array();
        err = fp_store_cr_vote_list(tx, cr, vote_cb, &votes, diag);
        if (err == FP_OK)
                err = fp_store_cr_update_list(tx, cr, NULL, update_cb, &ups, diag);
        struct fp_rollout_rec ro;
        enum fp_err rerr = err == FP_OK ? fp_store_rollout_get(tx, cr, &ro, diag) : err;
        if (rerr == FP_OK) {
                json_decref(rollout);
                rollout = json_pack("{s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I}", "status",
                                    ro.status, "spec", fp_json_stored(ro.spec_json), "window",
                                    fp_json_stored(ro.window_json), "wave", (json_int_t)ro.wave,
                                    "waves", (json_int_t)ro.wave_count, "failures",
                                    (json_int_t)ro.failures, "created", (json_int_t)ro.created,
                                    "updated", (json_int_t)ro.updated);
                err = fp_store_rollout_host_list(tx, cr, rhost_cb, &rhosts, diag);
        } else if (rerr != FP_ENOTFOUND) {
                err = rerr;
        }
        if (err == FP_OK)
                err = fp_store_track_link_list(tx, NULL, cr, link_cb, &links, diag);
        if (err == FP_OK && (votes.oom || ups.oom || rhosts.oom || links.oom || !rollout))
                err = FP_ENOMEM;
        /* Each host of the rollout: its jobs (install, rollback) with their snapshots. */
        size_t i;
        json_t *rh;
        json_array_foreach(rhosts.arr, i, rh)
        {
                if (err != FP_OK)
                        break;
                const char *hid = json_string_value(json_object_get(rh, "host"));
                struct fp_host_rec h;
                enum fp_err herr = fp_store_host_get(tx, hid, &h, diag);
                if (herr != FP_OK && herr != FP_ENOTFOUND) {
                        err = herr;
                        break;
                }
                json_t *jobs = json_array();
                const char *ids[2] = {json_string_value(json_object_get(rh, "job")),
                                      json_string_value(json_object_get(rh, "rollback_job"))};
                for (size_t k = 0; err == FP_OK && k < 2; k++) {
                        json_t *je = NULL;
                        if (ids[k] && *ids[k])
                                err = job_entry(tx, ids[k], &je, diag);
                        if (je)
                                json_array_append_new(jobs, je);
                }
                json_array_append_new(
                    hosts, json_pack("{s:s, s:s, s:s, s:o}", "host", hid, "hostname",
                                     herr == FP_OK ? h.hostname : "", "inventory_hash",
                                     herr == FP_OK ? h.inventory_hash : "", "jobs", jobs));
        }
        json_t *tid;
        json_array_foreach(links.arr, i, tid)
        {
                json_t *te = NULL;
                if (err == FP_OK)
                        err = track_entry(tx, json_string_value(tid), &te, diag);
                if (te)
                        json_array_append_new(tracking, te);
        }
        if (err != FP_OK)
                goto out;
        body = json_pack(
            "{s:s, s:I, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:I, s:I, s:o},"
            " s:O, s:O, s:o, s:O, s:O}",
            "format", FP_EVIDENCE_FORMAT, "generated", (json_int_t)now, "key_id", key->key_id,
            "change_request", "id", c.id, "account", c.account, "title", c.title, "author",
            c.author, "state", c.state, "baseline", c.baseline, "window", c.window, "emergency",
            c.emergency, "review_pending", c.review_pending, "reviewed_by", c.reviewed_by,
            "created", (json_int_t)c.created, "updated", (json_int_t)c.updated, "document",
            fp_json_stored(c.document), "approvals", votes.arr, "update_set", ups.arr, "rollout",
            rollout, "hosts", hosts, "tracking", tracking);
        rollout = NULL; /* stolen */
        if (!body) {
                err = FP_ENOMEM;
                goto out;
        }
        json_object_set(body, "rollout_hosts", rhosts.arr);
        char *canon = fp_evidence_canonical(body);
        if (!canon) {
                err = FP_ENOMEM;
                goto out;
        }
        unsigned char sig[crypto_sign_BYTES];
        fp_signkey_sign(key, canon, strlen(canon), sig);
        free(canon);
        err = fp_evidence_seal(body, key->key_id, sig, out, diag);
out:
        json_decref(body);
        json_decref(rollout);
        json_decref(votes.arr);
        json_decref(ups.arr);
        json_decref(rhosts.arr);
        json_decref(links.arr);
        json_decref(hosts);
        json_decref(tracking);
        return err;
}
