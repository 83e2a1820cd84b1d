/*
 * Catch-up runs (docs/orchestration.md "Catch-up"): a host marked as needing catch-up (back
 * from off, suspend or a snapshot revert, or enrolled from an old image) whose baseline has a
 * catch-up policy is brought to the baseline's approved updates at once ("immediate") or
 * inside its next occurrence of the baseline's catch-up window ("next-window"), then the
 * optional hand-back hook runs. One run per episode (the mark's catchup_since); the record
 * keeps its state: waiting → patching → handback → done | failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/audit.h"
#include "server/orch.h"

struct marked {
        char id[17];
        int64_t since;
};
struct marked_list {
        struct marked *items;
        size_t n, cap;
};

static bool marked_cb(void *ctx, const struct fp_host_rec *h)
{
        struct marked_list *l = ctx;
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                struct marked *m = realloc(l->items, cap * sizeof(*m));
                if (!m)
                        return false;
                l->items = m;
                l->cap = cap;
        }
        snprintf(l->items[l->n].id, 17, "%s", h->id);
        l->items[l->n++].since = h->catchup_since;
        return true;
}

/* Is the baseline's catch-up window open for this host now? No window: always. */
static bool window_open(struct fp_tx *tx, const struct fp_host_rec *h, const char *window,
                        int64_t now)
{
        if (!window || !*window)
                return true;
        struct fp_window w;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_orch_window_get(tx, h->account, window, &w, &d) != FP_OK)
                return false; /* a missing window never opens: the run waits, visibly */
        char tzname[FP_TZ_MAX_NAME + 1];
        const char *zone = w.mode == FP_WINDOW_LOCAL ? fp_orch_host_tz(h, tzname) : w.tz;
        struct fp_tz *tz = NULL;
        if (fp_tz_load(zone, &tz, &d) != FP_OK)
                return false;
        struct fp_window_occ occ[4];
        size_t n = 0;
        bool open = false;
        if (fp_window_occurrences(&w, tz, now - w.duration, now + 1, occ, 4, &n, &d) == FP_OK)
                for (size_t i = 0; i < n; i++)
                        open |= occ[i].open <= now && now < occ[i].start_until;
        fp_tz_free(tz);
        return open;
}

static enum fp_err queue(struct fp_tx *tx, const struct fp_host_rec *h, const char *family,
                         enum fp_job_type t, json_t *params, int64_t now, const char **job,
                         struct wake_list *wake, struct fp_diag *diag)
{
        char id[17];
        enum fp_err err = fp_orch_queue_job(tx, h, family, t, params, "catch-up", now, id, diag);
        json_decref(params);
        if (err != FP_OK)
                return err;
        *job = fp_arena_strdup(fp_tx_arena(tx), id);
        if (wake->ids && wake->n < 4096)
                snprintf(wake->ids[wake->n++], 17, "%s", h->id);
        return *job ? FP_OK : FP_ENOMEM;
}

/* The approved pending updates as exact pairs; NULL params when there are none. */
static enum fp_err approved_pairs(struct fp_server *srv, struct fp_tx *tx,
                                  const struct fp_host_rec *h, const struct fp_baseline *b,
                                  int64_t now, json_t **params, char family[8],
                                  struct fp_diag *diag)
{
        *params = NULL;
        json_t *ups = NULL;
        enum fp_err err = fp_orch_host_updates(srv, tx, h, b, now, NULL, false, &ups, family, NULL, diag);
        if (err != FP_OK)
                return err;
        json_t *pkgs = json_array();
        size_t i;
        json_t *u;
        json_array_foreach(ups, i, u)
        {
                if (json_is_true(json_object_get(u, "approved")))
                        json_array_append_new(
                            pkgs, json_pack("{s:O, s:O, s:O}", "name", json_object_get(u, "name"),
                                            "arch", json_object_get(u, "arch"), "version",
                                            json_object_get(u, "candidate")));
        }
        json_decref(ups);
        if (!json_array_size(pkgs)) {
                json_decref(pkgs);
                return FP_OK;
        }
        *params = json_pack("{s:o}", "packages", pkgs);
        const char *const *blocked = NULL;
        size_t nb = fp_baseline_blocked(b, &blocked);
        if (nb && *params) {
                json_t *arr = json_array();
                for (size_t k = 0; k < nb; k++)
                        json_array_append_new(arr, json_string(blocked[k]));
                json_object_set_new(*params, "blocked", arr);
        }
        return *params ? FP_OK : FP_ENOMEM;
}

static bool job_done(struct fp_tx *tx, const char *id, bool *good)
{
        struct fp_job_rec j;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_job_get(tx, id, &j, &d) != FP_OK) {
                *good = false;
                return true;
        }
        if (j.status < FP_JOB_SUCCEEDED)
                return false;
        *good = j.status == FP_JOB_SUCCEEDED;
        return true;
}

/* One marked host: advance its run by at most one step. */
static enum fp_err step(struct fp_server *srv, struct fp_tx *tx, const struct marked *m,
                        int64_t now, struct wake_list *wake, struct fp_diag *diag)
{
        struct fp_host_rec h;
        enum fp_err err = fp_store_host_get(tx, m->id, &h, diag);
        if (err != FP_OK)
                return err == FP_ENOTFOUND ? FP_OK : err;
        struct fp_catchup_rec run;
        err = fp_store_catchup_get(tx, h.id, &run, diag);
        if (err != FP_OK && err != FP_ENOTFOUND)
                return err;
        bool fresh = err == FP_ENOTFOUND || run.since != m->since;
        fp_diag_clear(diag);
        char family[8];
        if (!fp_orch_host_family(tx, h.id, family)[0])
                return FP_OK; /* nothing known about the host yet */
        struct fp_baseline *b = NULL;
        char why[256];
        err = fp_orch_host_baseline(tx, &h, family, &b, why, diag);
        if (err != FP_OK)
                return err;
        int policy = 0;
        const char *window = "", *hook = "";
        if (b)
                fp_baseline_catchup(b, &policy, &window, &hook);
        if (!b || policy == 0) {
                fp_baseline_free(b);
                return FP_OK; /* no catch-up policy: the mark is only reported */
        }
        if (fresh)
                run = (struct fp_catchup_rec){.host = h.id,
                                              .baseline = fp_baseline_name(b),
                                              .state = "waiting",
                                              .job = "",
                                              .hook_job = "",
                                              .since = m->since,
                                              .updated = now};
        const char *before = run.state;
        bool good = false;
        if (!strcmp(run.state, "waiting")) {
                bool online = h.last_seen >= now - fp_srv_catchup_after(&srv->cfg);
                if (online && (policy == 1 || window_open(tx, &h, window, now))) {
                        json_t *params = NULL;
                        err = approved_pairs(srv, tx, &h, b, now, &params, family, diag);
                        if (err == FP_OK && params) {
                                err = queue(tx, &h, family, FP_JOBT_INSTALL, params, now, &run.job,
                                            wake, diag);
                                run.state = "patching";
                        } else if (err == FP_OK) {
                                run.state = hook[0] ? "handback" : "done";
                                if (hook[0])
                                        err = queue(tx, &h, family, FP_JOBT_HOOK,
                                                    json_pack("{s:s}", "name", hook), now,
                                                    &run.hook_job, wake, diag);
                        }
                }
        } else if (!strcmp(run.state, "patching") && job_done(tx, run.job, &good)) {
                if (!good) {
                        run.state = "failed";
                } else if (hook[0]) {
                        run.state = "handback";
                        err = queue(tx, &h, family, FP_JOBT_HOOK, json_pack("{s:s}", "name", hook),
                                    now, &run.hook_job, wake, diag);
                } else {
                        run.state = "done";
                }
        } else if (!strcmp(run.state, "handback") && job_done(tx, run.hook_job, &good)) {
                run.state = good ? "done" : "failed";
        }
        if (err == FP_OK && (fresh || strcmp(before, run.state))) {
                run.updated = now;
                err = fp_store_catchup_put(tx, &run, diag);
        }
        if (err == FP_OK && strcmp(before, run.state)) { /* the jobs it queued, its outcome */
                json_t *was = json_pack("{s:s}", "state", before);
                json_t *is = json_pack("{s:s, s:s, s:s, s:s}", "state", run.state, "baseline",
                                       run.baseline, "job", run.job, "hook_job", run.hook_job);
                err = fp_audit_append(srv, tx, now, "system:scheduler", "", "catchup.state",
                                      h.account, h.id, was, is, diag);
                json_decref(was);
                json_decref(is);
        }
        fp_baseline_free(b);
        return err;
}

enum fp_err fp_catchup_runs_tick(struct fp_server *srv, int64_t now, struct wake_list *wake,
                                 struct fp_diag *diag)
{
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK)
                return err;
        struct marked_list l = {0};
        struct fp_host_filter f = {.compliance = -1, .catchup = 1};
        err = fp_store_host_list(tx, &f, marked_cb, &l, diag);
        size_t wake_mark = wake->n;
        for (size_t i = 0; err == FP_OK && i < l.n; i++) {
                err = step(srv, tx, &l.items[i], now, wake, diag);
                if (err == FP_EPARSE || err == FP_EINVAL) {
                        /* this host's run cannot be queued (say why, go on with the others) */
                        fprintf(stderr, "fleetpatchd: catch-up of %s: %s\n", l.items[i].id,
                                diag->msg);
                        fp_diag_clear(diag);
                        err = FP_OK;
                }
        }
        free(l.items);
        if (err == FP_OK)
                err = fp_tx_commit(tx, diag);
        else
                fp_tx_rollback(tx);
        if (err != FP_OK)
                wake->n = wake_mark;
        return err;
}
