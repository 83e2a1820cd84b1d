/*
 * Jobs (docs/jobs.md): queueing them for a host, showing them, and the agent's progress and
 * finish reports. Parameters are checked by the same parser the agent runs (jobwire.h) and
 * stored in its canonical form, so what a user sees is exactly what the agent gets. A result
 * is checked strictly (jobresult.c) and only a verified, real (not simulated) transaction
 * records installed versions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/jobwire.h"
#include "fleetpatch/wire.h"
#include "server/comply.h"
#include "server/server.h"
#include "server/track.h"

static const char *const phases[] = {"planning",  "applying",   "downloading", "verifying",
                                     "rebooting", "recovering", NULL};

json_t *fp_json_job(const struct fp_job_rec *j, bool full)
{
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "id", j->id, "host",
            j->host, "account", j->account, "type", j->type, "params",
            fp_json_stored(j->params_json), "status", fp_job_status_name(j->status), "phase",
            j->phase ? j->phase : "", "created_by", j->created_by ? j->created_by : "", "created",
            (json_int_t)j->created, "delivered", (json_int_t)j->delivered, "updated",
            (json_int_t)j->updated, "finished", (json_int_t)j->finished);
        if (!o)
                return NULL;
        json_object_set_new(o, "detail", j->detail ? json_string(j->detail) : json_null());
        json_t *res = j->result_json ? json_loads(j->result_json, 0, NULL) : NULL;
        json_object_set_new(o, "result", res ? res : json_null());
        if (full) {
                json_object_set_new(o, "log", json_string(j->log ? j->log : ""));
                json_object_set_new(o, "log_truncated", json_boolean(j->log_truncated));
        }
        return o;
}

/* The family of the host's stored inventory ("deb", "rpm"), NULL when it has none; *inv is the
 * parsed document (the caller frees it) when there is one. */
static bool host_inventory(struct fp_req *r, const struct fp_host_rec *h, json_t **inv,
                           const char **family)
{
        *inv = NULL;
        *family = NULL;
        const char *doc = NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_host_inventory(r->tx, h->id, &doc, &diag);
        if (err == FP_ENOTFOUND)
                return true;
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        *inv = json_loads(doc, 0, NULL);
        if (!*inv) {
                req_error(r, 500, "internal", NULL, "the stored inventory does not parse");
                return false;
        }
        *family = json_string_value(json_object_get(*inv, "family"));
        return true;
}

/*
 * upgrade-approved as users queue it: {"security_only", "packages": [names], and the install
 * options}. The server expands it into exact pairs from the inventory's updates; the result is
 * the params the agent gets (checked by the shared parser afterwards). NULL when answered.
 */
static json_t *expand_upgrade(struct fp_req *r, const json_t *params, const json_t *inv,
                              const char *family)
{
        static const char *const allowed[] = {
            "security_only",   "packages", "simulate", "allow_remove",
            "allow_downgrade", "reboot",   NULL};
        if (params && !json_is_object(params)) {
                req_error(r, 400, "invalid_request", "params", "must be an object");
                return NULL;
        }
        json_t *empty = json_object();
        if (!params)
                params = empty;
        json_t *out = NULL;
        if (!req_members(r, params, "params", allowed))
                goto done;
        json_t *sec = json_object_get(params, "security_only");
        if (sec && !json_is_boolean(sec)) {
                req_error(r, 400, "invalid_request", "params.security_only",
                          "must be true or false");
                goto done;
        }
        json_t *names = json_object_get(params, "packages");
        if (names && (!json_is_array(names) || json_array_size(names) > FP_MAX_JOB_PACKAGES)) {
                req_error(r, 400, "invalid_request", "params.packages",
                          "must be an array of at most %d package names", FP_MAX_JOB_PACKAGES);
                goto done;
        }
        size_t i;
        json_t *v;
        json_array_foreach(names, i, v)
        {
                if (!json_is_string(v) || !fp_job_pkg_name_ok(family, json_string_value(v))) {
                        char f[64];
                        snprintf(f, sizeof(f), "params.packages[%zu]", i);
                        req_error(r, 400, "invalid_request", f, "must be a package name");
                        goto done;
                }
        }
        if (!inv) {
                req_error(r, 409, "no_inventory", NULL,
                          "the host has not reported an inventory: nothing to upgrade from");
                goto done;
        }
        json_t *pairs = json_array();
        json_t *u;
        json_array_foreach(json_object_get(inv, "updates"), i, u)
        {
                if (json_is_true(sec) && !json_is_true(json_object_get(u, "security")))
                        continue;
                const char *name = json_string_value(json_object_get(u, "name"));
                if (names && json_array_size(names) > 0) {
                        bool named = false;
                        size_t k;
                        json_t *n;
                        json_array_foreach(names, k, n) named |=
                            !strcmp(json_string_value(n), name ? name : "");
                        if (!named)
                                continue;
                }
                json_array_append_new(pairs, json_pack("{s:O, s:O, s:O}", "name",
                                                       json_object_get(u, "name"), "arch",
                                                       json_object_get(u, "arch"), "version",
                                                       json_object_get(u, "candidate")));
        }
        if (json_array_size(pairs) == 0) {
                json_decref(pairs);
                req_error(
                    r, 409, "nothing_to_do", NULL, "the host's last inventory has no %supdate%s%s",
                    json_is_true(sec) ? "security " : "",
                    names && json_array_size(names) ? " of the named packages" : "", " to install");
                goto done;
        }
        out = json_deep_copy(params);
        json_object_del(out, "security_only");
        json_object_set_new(out, "packages", pairs);
done:
        json_decref(empty);
        return out;
}

/* rollback {"job": ID}: that job must be an install or upgrade-approved job of this host. */
static bool rollback_target_ok(struct fp_req *r, const struct fp_host_rec *h, const char *job_id)
{
        struct fp_job_rec t;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_job_get(r->tx, job_id, &t, &diag);
        if (err == FP_OK && strcmp(t.host, h->id))
                err = FP_ENOTFOUND;
        if (err == FP_OK && strcmp(t.type, "install") && strcmp(t.type, "upgrade-approved"))
                err = FP_ENOTFOUND;
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", "params.job",
                          "no install or upgrade-approved job '%.16s' on this host", job_id);
                return false;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        return true;
}

void api_hosts_jobs_create(struct fp_req *r)
{
        static const char *const allowed[] = {"type", "params", NULL};
        const char *type = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "type", true, 32, &type))
                return;
        enum fp_job_type t;
        if (!fp_job_type_parse(type, &t)) {
                req_error(r, 400, "invalid_request", "type",
                          "unknown job type (known: scan, rescan, install, upgrade-approved, "
                          "rollback, reboot, hook)");
                return;
        }
        struct fp_host_rec h;
        if (!req_path_host(r, true, FP_ROLE_OPERATOR, &h))
                return;
        json_t *inv = NULL, *expanded = NULL, *canon = NULL;
        const char *family = NULL;
        char *params_text = NULL;
        struct fp_job_params p;
        bool parsed = false;
        if (!host_inventory(r, &h, &inv, &family))
                return;
        json_t *params = json_object_get(r->json, "params");
        if (t == FP_JOBT_UPGRADE_APPROVED) {
                expanded = expand_upgrade(r, params, inv, family);
                if (!expanded)
                        goto out;
                params = expanded;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err =
            fp_job_params_parse(t, json_is_null(params) ? NULL : params, family, &p, &diag);
        if (err != FP_OK) {
                if (err == FP_ENOMEM)
                        req_fail(r, err, &diag);
                else
                        req_error(r, 400, "invalid_request", diag.field[0] ? diag.field : "params",
                                  "%s", diag.msg[0] ? diag.msg : fp_strerror(err));
                goto out;
        }
        parsed = true;
        if (t == FP_JOBT_ROLLBACK && p.rollback_job && !rollback_target_ok(r, &h, p.rollback_job))
                goto out;
        canon = fp_job_params_build(&p);
        params_text = canon ? json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (!params_text) {
                req_error(r, 500, "internal", NULL, "out of memory");
                goto out;
        }
        char id[17];
        fp_new_id(id);
        struct fp_job_rec j = {.id = id,
                               .host = h.id,
                               .account = h.account,
                               .type = type,
                               .params_json = params_text,
                               .created_by = r->who.user,
                               .status = FP_JOB_QUEUED,
                               .created = r->now,
                               .phase = ""};
        err = fp_store_job_create(r->tx, &j, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                goto out;
        }
        json_t *answer = fp_json_job(&j, false);
        /* Commit before waking the agent, so its long-poll finds the job. The host's strings
         * live in the transaction's arena: copy the id before the commit frees them. */
        char host[17];
        snprintf(host, sizeof(host), "%s", h.id);
        err = fp_tx_commit(r->tx, &diag);
        r->tx = NULL;
        if (err != FP_OK) {
                json_decref(answer);
                req_fail(r, err, &diag);
                goto out;
        }
        fp_wake_host(r->srv, host);
        fp_metrics_count("jobs_queued_total", 1);
        req_answer(r, 201, answer);
out:
        if (parsed)
                fp_job_params_release(&p);
        free(params_text);
        json_decref(canon);
        json_decref(expanded);
        json_decref(inv);
}

struct list_ctx {
        json_t *arr;
        char last[17];
};

static bool list_cb(void *ctx, const struct fp_job_rec *j)
{
        struct list_ctx *c = ctx;
        json_array_append_new(c->arr, fp_json_job(j, false));
        snprintf(c->last, sizeof(c->last), "%s", j->id);
        return true;
}

void api_hosts_jobs_list(struct fp_req *r)
{
        size_t limit = 100;
        const char *l = req_query(r, "limit");
        if (l) {
                char *end;
                long v = strtol(l, &end, 10);
                if (*end || end == l || v < 1 || v > FP_MAX_PAGE) {
                        req_error(r, 400, "invalid_request", "limit", "1..%d", FP_MAX_PAGE);
                        return;
                }
                limit = (size_t)v;
        }
        struct fp_host_rec h;
        if (!req_path_host(r, false, FP_ROLE_VIEWER, &h))
                return;
        struct list_ctx c = {.arr = json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err =
            fp_store_job_list_host(r->tx, h.id, req_query(r, "after"), limit, list_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                if (err == FP_ENOTFOUND) /* a cursor that is not a job of this host */
                        req_error(r, 400, "invalid_request", "after", "not a job of this host");
                else
                        req_fail(r, err, &diag);
                return;
        }
        json_t *o = json_pack("{s:s, s:o}", "host", h.id, "jobs", c.arr);
        if (json_array_size(c.arr) == limit)
                json_object_set_new(o, "next", json_string(c.last));
        req_answer(r, 200, o);
}

void api_jobs_get(struct fp_req *r)
{
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct fp_job_rec j;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_job_get(tx, r->params[0], &j, &diag);
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "not found");
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        if (req_allow(r, j.account, FP_ROLE_VIEWER))
                req_answer(r, 200, fp_json_job(&j, true));
}

/* The job of the path if it belongs to the calling agent's host (404 otherwise, like a job
 * that does not exist: an agent learns nothing about other hosts). */
static bool agent_job(struct fp_req *r, struct fp_job_rec *j)
{
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return false;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_job_get(tx, r->params[0], j, &diag);
        if (err == FP_OK && strcmp(j->host, r->who.host))
                err = FP_ENOTFOUND;
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no such job for this host");
                return false;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        return true;
}

void api_agent_job_progress(struct fp_req *r)
{
        static const char *const allowed[] = {"phase", "log", NULL};
        const char *phase = NULL, *log = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "phase", false, 32, &phase) ||
            !req_str(r, r->json, "log", false, FP_MAX_JOB_LOG_CHUNK, &log))
                return;
        if (phase) {
                bool known = false;
                for (size_t i = 0; phases[i]; i++)
                        known |= !strcmp(phase, phases[i]);
                if (!known) {
                        req_error(r, 400, "invalid_request", "phase",
                                  "planning, downloading, applying, verifying, rebooting or "
                                  "recovering");
                        return;
                }
        }
        if (log && strlen(log) != json_string_length(json_object_get(r->json, "log"))) {
                req_error(r, 400, "invalid_request", "log", "a NUL character in the log");
                return;
        }
        struct fp_job_rec j;
        if (!agent_job(r, &j))
                return;
        if (j.status >= FP_JOB_SUCCEEDED) {
                req_error(r, 409, "conflict", NULL, "the job is already %s",
                          fp_job_status_name(j.status));
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_job_progress(r->tx, j.id, phase, log, r->now, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200,
                   json_pack("{s:s, s:s, s:s}", "id", j.id, "status", "running", "phase",
                             phase ? phase : j.phase));
}

/* Record the versions a verified, real transaction installed (docs/jobs.md): the plan's new
 * versions, and the requested pairs the plan did not need to touch (already there). A
 * rollback replaces the records of the job it rolled back. */
static enum fp_err record_installed(struct fp_req *r, const struct fp_job_rec *j,
                                    const json_t *result, struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        json_t *params = fp_json_stored(j->params_json);
        if (!strcmp(j->type, "rollback")) {
                const char *of = json_string_value(json_object_get(params, "job"));
                if (of)
                        err = fp_store_installed_drop_job(r->tx, j->host, of, diag);
        }
        size_t i;
        json_t *e;
        json_t *plan = json_object_get(result, "plan");
        json_array_foreach(plan, i, e)
        {
                json_t *to = json_object_get(e, "to");
                if (err != FP_OK || !json_is_string(to))
                        continue;
                struct fp_installed_rec rec = {
                    .host = j->host,
                    .name = json_string_value(json_object_get(e, "name")),
                    .arch = json_string_value(json_object_get(e, "arch")),
                    .version = json_string_value(to),
                    .job = j->id,
                    .at = r->now};
                err = fp_store_installed_put(r->tx, &rec, diag);
        }
        json_array_foreach(json_object_get(params, "packages"), i, e)
        {
                const char *name = json_string_value(json_object_get(e, "name"));
                const char *arch = json_string_value(json_object_get(e, "arch"));
                bool in_plan = false;
                size_t k;
                json_t *pe;
                json_array_foreach(plan, k, pe) in_plan |=
                    !strcmp(json_string_value(json_object_get(pe, "name")), name ? name : "");
                if (err != FP_OK || in_plan || !name)
                        continue;
                struct fp_installed_rec rec = {.host = j->host,
                                               .name = name,
                                               .arch = arch ? arch : "",
                                               .version =
                                                   json_string_value(json_object_get(e, "version")),
                                               .job = j->id,
                                               .at = r->now};
                if (rec.version)
                        err = fp_store_installed_put(r->tx, &rec, diag);
        }
        json_decref(params);
        return err;
}

void api_agent_job_finish(struct fp_req *r)
{
        static const char *const allowed[] = {"status", "detail", "result", NULL};
        const char *status = NULL, *detail = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "status", true, 16, &status) ||
            !req_str(r, r->json, "detail", false, FP_MAX_JOB_DETAIL, &detail))
                return;
        enum fp_job_status st;
        if (!strcmp(status, "succeeded"))
                st = FP_JOB_SUCCEEDED;
        else if (!strcmp(status, "failed"))
                st = FP_JOB_FAILED;
        else {
                req_error(r, 400, "invalid_request", "status", "succeeded or failed");
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        json_t *result = json_object_get(r->json, "result");
        if (result && json_is_null(result))
                result = NULL;
        if (result) {
                enum fp_err err = fp_job_result_check(result, st == FP_JOB_SUCCEEDED, &diag);
                if (err != FP_OK) {
                        if (err == FP_ENOMEM)
                                req_fail(r, err, &diag);
                        else
                                req_error(r, 400, "invalid_request",
                                          diag.field[0] ? diag.field : "result", "%s", diag.msg);
                        return;
                }
        }
        struct fp_job_rec j;
        if (!agent_job(r, &j))
                return;
        if (j.status >= FP_JOB_SUCCEEDED) {
                /* Idempotent: the agent may report a finished job again (journal replay). */
                if (j.status != st)
                        req_error(r, 409, "conflict", "status", "the job is already %s",
                                  fp_job_status_name(j.status));
                else
                        req_answer(
                            r, 200,
                            json_pack("{s:s, s:s}", "id", j.id, "status", fp_job_status_name(st)));
                return;
        }
        char *text = result ? json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (result && !text) {
                req_error(r, 500, "internal", NULL, "out of memory");
                return;
        }
        enum fp_err err = fp_store_job_finish(r->tx, j.id, st, detail, text, r->now, &diag);
        free(text);
        bool transaction = !strcmp(j.type, "install") || !strcmp(j.type, "upgrade-approved") ||
                           !strcmp(j.type, "rollback");
        const char *verdict = json_string_value(json_object_get(result, "verdict"));
        /* Never patched on the agent's word alone: only a verified, real transaction. */
        if (err == FP_OK && st == FP_JOB_SUCCEEDED && transaction && verdict &&
            !strcmp(verdict, "verified") && !json_is_true(json_object_get(result, "simulated")))
                err = record_installed(r, &j, result, &diag);
        /* Tracking records and evidence (docs/tracking.md): the job's before snapshot, and
         * the records its verification may close. */
        if (err == FP_OK)
                err = fp_track_job_finished(r->srv, r->tx, &j, result, r->now, &diag);
        /* A succeeded scan picked up after a catch-up mark reported what the host has now. */
        if (err == FP_OK && st == FP_JOB_SUCCEEDED &&
            (!strcmp(j.type, "scan") || !strcmp(j.type, "rescan"))) {
                struct fp_host_rec h;
                err = fp_store_host_get(r->tx, j.host, &h, &diag);
                if (err == FP_OK && j.delivered >= h.catchup_since)
                        err = fp_catchup_after_scan(r->tx, &h, r->now, &diag);
        }
        /* A result that needs a reboot: the host is pending reboot until its boot id changes. */
        if (err == FP_OK && result)
                err = fp_comply_job_finished(r->srv, r->tx, j.host, result, r->now, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        fp_metrics_count(st == FP_JOB_SUCCEEDED ? "jobs_succeeded_total" : "jobs_failed_total", 1);
        req_answer(r, 200, json_pack("{s:s, s:s}", "id", j.id, "status", fp_job_status_name(st)));
}
