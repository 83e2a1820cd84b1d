/*
 * A change request's rollout as the API shows it: the preview (who is patched when, before
 * anything runs), the live view (waves, hosts, jobs), and pause / resume / cancel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/orch.h"

static const char *tz_of(const struct fp_orch_rollout *o, const struct fp_ro_host *h)
{
        if (!o->has_window)
                return "UTC";
        if (o->window.mode == FP_WINDOW_ABSOLUTE || !o->tz_count)
                return o->window.tz;
        return o->tz_names[h->tz];
}

static json_t *name_at(const struct fp_orch_rollout *o, const char *table, uint32_t i)
{
        if (i == FP_RO_NONE)
                return json_null();
        return json_incref(json_array_get(json_object_get(o->names, table), i));
}

/* One host of a rollout, with planned (0 = none) and its zone's local time. */
static json_t *host_json(struct fp_orch_rollout *o, size_t i, int64_t planned)
{
        const struct fp_ro_host *h = &o->ro.hosts[i];
        const struct fp_rollout_host_rec *r = fp_orch_row(o, i);
        json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:o, s:s, s:I, s:I, s:I}",
                              "host", h->id, "ring", o->spec.rings[h->ring].name, "wave",
                              (json_int_t)h->wave, "order", (json_int_t)i, "tz", tz_of(o, h),
                              "region", name_at(o, "regions", h->region), "zone",
                              name_at(o, "zones", h->zone), "group",
                              name_at(o, "groups", h->group), "state", fp_ro_hstate_name(h->state),
                              "started", (json_int_t)h->started, "finished",
                              (json_int_t)h->finished, "attempts", (json_int_t)h->attempts);
        if (r->job[0])
                json_object_set_new(j, "job", json_string(r->job));
        if (r->rollback_job[0])
                json_object_set_new(j, "rollback_job", json_string(r->rollback_job));
        int64_t at = planned ? planned : h->started;
        if (at) {
                const struct fp_tz *z = NULL;
                struct fp_tz *own = NULL;
                struct fp_diag d;
                fp_diag_clear(&d);
                if (fp_tz_load(tz_of(o, h), &own, &d) == FP_OK)
                        z = own;
                char utc[32], local[32];
                fp_time_format_offset(at, 0, utc);
                fp_time_format_offset(at, z ? fp_tz_offset(z, at) : 0, local);
                json_object_set_new(j, planned ? "planned" : "started_utc",
                                    planned ? json_integer(planned) : json_string(utc));
                if (planned)
                        json_object_set_new(j, "planned_utc", json_string(utc));
                json_object_set_new(j, planned ? "planned_local" : "started_local",
                                    json_string(local));
                fp_tz_free(own);
        }
        return j;
}

static json_t *waves_json(const struct fp_orch_rollout *o, const int64_t *planned)
{
        json_t *arr = json_array();
        for (uint32_t w = 0; w < o->ro.wave_count; w++) {
                int64_t n = 0, done = 0, failed = 0, running = 0, first = 0, last = 0;
                uint32_t ring = 0;
                for (size_t i = 0; i < o->ro.host_count; i++) {
                        const struct fp_ro_host *h = &o->ro.hosts[i];
                        if (h->wave != w)
                                continue;
                        ring = h->ring;
                        n++;
                        done += h->state == FP_RH_SUCCEEDED;
                        failed += h->state == FP_RH_FAILED || h->state == FP_RH_ROLLED_BACK ||
                                  h->state == FP_RH_ROLLING_BACK;
                        running += h->state == FP_RH_RUNNING;
                        int64_t p = planned ? planned[i] : 0;
                        if (p && (!first || p < first))
                                first = p;
                        if (p > last)
                                last = p;
                }
                json_t *wj = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I}", "wave", (int)w, "ring",
                                       o->spec.rings[ring].name, "hosts", (json_int_t)n,
                                       "succeeded", (json_int_t)done, "failed", (json_int_t)failed,
                                       "running", (json_int_t)running);
                if (planned) {
                        json_object_set_new(wj, "first_start", json_integer(first));
                        json_object_set_new(wj, "last_start", json_integer(last));
                }
                json_array_append_new(arr, wj);
        }
        return arr;
}

/* GET /v1/change-requests/{id}/plan: the scheduler run on a copy, every host succeeding
 * after host_time, from the rollout's current state (or from the request before approval). */
void api_changes_plan(struct fp_req *r)
{
        struct fp_cr_rec c;
        if (!fp_orch_path_cr(r, false, FP_ROLE_VIEWER, &c))
                return;
        struct fp_orch_rollout o;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_rollout_rec rec;
        enum fp_err err = fp_store_rollout_get(r->tx, c.id, &rec, &diag);
        if (err == FP_OK) {
                err = fp_orch_rollout_load(r->tx, c.id, r->now, &o, &diag);
        } else if (err == FP_ENOTFOUND) {
                const char **ids = NULL;
                size_t n = 0;
                fp_diag_clear(&diag);
                err = fp_orch_cr_hosts(r->tx, c.id, &ids, &n, &diag);
                if (err == FP_OK)
                        err = fp_orch_rollout_build(r->tx, &c, ids, n, r->now, &o, &diag);
                free(ids);
        }
        int64_t *planned = NULL;
        if (err == FP_OK) {
                planned = calloc(o.ro.host_count ? o.ro.host_count : 1, sizeof(*planned));
                err = planned ? fp_ro_plan(&o.ro, r->now, r->now + FP_CR_PLAN_HORIZON, planned,
                                           &diag)
                              : FP_ENOMEM;
        }
        if (err == FP_EINVAL || err == FP_EPARSE) {
                free(planned);
                fp_orch_rollout_free(&o);
                req_error(r, 409, "invalid_plan", diag.field[0] ? diag.field : NULL, "%s",
                          diag.msg);
                return;
        }
        if (err != FP_OK) {
                free(planned);
                fp_orch_rollout_free(&o);
                req_fail(r, err, &diag);
                return;
        }
        json_t *hosts = json_array();
        int64_t unplanned = 0, end = 0;
        for (size_t i = 0; i < o.ro.host_count && json_array_size(hosts) < FP_MAX_PAGE * 10;
             i++) {
                unplanned += planned[i] == 0 && o.ro.hosts[i].state == FP_RH_PENDING;
                if (planned[i] > end)
                        end = planned[i];
                json_array_append_new(hosts, host_json(&o, i, planned[i]));
        }
        char *spec = fp_ro_spec_to_json(&o.spec);
        json_t *ans = json_pack("{s:s, s:s, s:I, s:o, s:I, s:I, s:I, s:o, s:o}", "change_request",
                                c.id, "mode",
                                !o.has_window                        ? "none"
                                : o.window.mode == FP_WINDOW_LOCAL ? "local"
                                                                     : "absolute",
                                "from", (json_int_t)r->now, "rollout",
                                fp_json_stored(spec ? spec : "{}"), "hosts_total",
                                (json_int_t)o.ro.host_count, "not_before_horizon",
                                (json_int_t)unplanned, "last_start", (json_int_t)end, "waves",
                                waves_json(&o, planned), "hosts", hosts);
        free(spec);
        free(planned);
        fp_orch_rollout_free(&o);
        req_answer(r, 200, ans);
}

/* GET /v1/change-requests/{id}/rollout */
void api_changes_rollout(struct fp_req *r)
{
        struct fp_cr_rec c;
        if (!fp_orch_path_cr(r, false, FP_ROLE_VIEWER, &c))
                return;
        struct fp_orch_rollout o;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_orch_rollout_load(r->tx, c.id, r->now, &o, &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL,
                          "the change request has no rollout yet (state %s)", c.state);
                return;
        }
        if (err != FP_OK) {
                fp_orch_rollout_free(&o);
                req_fail(r, err, &diag);
                return;
        }
        json_t *hosts = json_array();
        for (size_t i = 0; i < o.ro.host_count && json_array_size(hosts) < FP_MAX_PAGE * 10; i++)
                json_array_append_new(hosts, host_json(&o, i, 0));
        json_t *ans = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
                                "change_request", c.id, "status", fp_ro_status_name(o.ro.status),
                                "wave", (json_int_t)o.ro.wave, "waves",
                                (json_int_t)o.ro.wave_count, "wave_done_at",
                                (json_int_t)o.ro.wave_done_at, "failures",
                                (json_int_t)o.ro.failures, "started_total",
                                (json_int_t)o.ro.started_total, "wave_list",
                                waves_json(&o, NULL), "hosts", hosts);
        fp_orch_rollout_free(&o);
        req_answer(r, 200, ans);
}

/* pause / resume / cancel */
static void control(struct fp_req *r, const char *what)
{
        struct fp_cr_rec c;
        if (!fp_orch_path_cr(r, true, FP_ROLE_OPERATOR, &c))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        bool cancel = !strcmp(what, "cancel");
        static const char *const final[] = {"done", "failed", "rolled_back", "cancelled",
                                            "rejected"};
        for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
                if (!strcmp(c.state, final[i])) {
                        req_error(r, 409, "conflict", "state", "the change request is %s",
                                  c.state);
                        return;
                }
        struct fp_orch_rollout o;
        enum fp_err err = fp_orch_rollout_load(r->tx, c.id, r->now, &o, &diag);
        if (err == FP_ENOTFOUND && cancel) {
                /* not scheduled yet: just the request */
                fp_diag_clear(&diag);
                err = fp_store_cr_set_state(r->tx, c.id, "cancelled", c.review_pending, NULL,
                                            r->now, &diag);
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return;
                }
                req_answer(r, 200, json_pack("{s:s, s:s}", "change_request", c.id, "state",
                                             "cancelled"));
                return;
        }
        if (err == FP_ENOTFOUND) {
                req_error(r, 409, "conflict", NULL, "the change request has no rollout (state %s)",
                          c.state);
                return;
        }
        if (err == FP_OK) {
                enum fp_ro_status before = o.ro.status;
                if (!strcmp(what, "pause")) {
                        fp_ro_pause(&o.ro);
                } else if (!strcmp(what, "resume")) {
                        fp_ro_resume(&o.ro, r->now);
                } else {
                        fp_ro_cancel(&o.ro);
                        /* jobs not yet picked up are withdrawn; running ones finish */
                        for (size_t i = 0; err == FP_OK && i < o.ro.host_count; i++) {
                                struct fp_rollout_host_rec *row = fp_orch_row(&o, i);
                                if (row->job[0] && o.ro.hosts[i].state == FP_RH_RUNNING) {
                                        err = fp_store_job_withdraw(r->tx, row->job,
                                                                    "withdrawn: the change "
                                                                    "request was cancelled",
                                                                    r->now, &diag);
                                        if (err == FP_ENOTFOUND)
                                                err = FP_OK;
                                }
                        }
                }
                if (err == FP_OK && before == o.ro.status && !cancel) {
                        fp_orch_rollout_free(&o);
                        req_error(r, 409, "conflict", "status", "the rollout is %s; %s changes "
                                  "nothing", fp_ro_status_name(before), what);
                        return;
                }
        }
        if (err == FP_OK)
                err = fp_orch_rollout_save(r->tx, &o, r->now, &diag);
        if (err == FP_OK && cancel)
                err = fp_store_cr_set_state(r->tx, c.id, "cancelled", c.review_pending, NULL,
                                            r->now, &diag);
        enum fp_ro_status st = o.ro.status;
        fp_orch_rollout_free(&o);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:s}", "change_request", c.id, "status",
                                     fp_ro_status_name(st)));
        fp_scheduler_kick(r->srv->scheduler);
}

void api_changes_pause(struct fp_req *r)
{
        control(r, "pause");
}
void api_changes_resume(struct fp_req *r)
{
        control(r, "resume");
}
void api_changes_cancel(struct fp_req *r)
{
        control(r, "cancel");
}
