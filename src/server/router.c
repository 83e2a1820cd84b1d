/*
 * The route table of fleetpatchd and the life of a request: authenticate, begin the
 * transaction lazily (req_tx), run the handler, commit on success or roll back on any error,
 * so a failed request never leaves a partial write. docs/openapi.json lists exactly these
 * routes (tests/unit/server/router_test.c checks both directions).
 */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/vuln.h"
#include "server/audit.h"
#include "server/orch.h"
#include "server/server.h"

#define KB 1024
const struct fp_route fp_routes[] = {
    {"GET", "/healthz", api_healthz, FP_AUTH_NONE, 0},
    {"GET", "/readyz", api_readyz, FP_AUTH_NONE, 0},
    {"GET", "/metrics", api_metrics, FP_AUTH_NONE, 0},
    {"POST", "/v1/auth/login", api_login, FP_AUTH_NONE, 16 * KB},
    {"GET", "/v1/whoami", api_whoami, FP_AUTH_USER, 0},
    {"GET", "/v1/accounts", api_accounts_list, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts", api_accounts_create, FP_AUTH_USER, FP_MAX_API_BODY},
    {"GET", "/v1/accounts/{account}", api_accounts_get, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts/{account}/enroll-tokens", api_enroll_tokens_create, FP_AUTH_USER,
     FP_MAX_API_BODY},
    {"GET", "/v1/users", api_users_list, FP_AUTH_USER, 0},
    {"POST", "/v1/users", api_users_create, FP_AUTH_USER, FP_MAX_API_BODY},
    {"PUT", "/v1/users/{user}/grants", api_users_grant, FP_AUTH_USER, FP_MAX_API_BODY},
    {"DELETE", "/v1/users/{user}/grants/{account}", api_users_ungrant, FP_AUTH_USER, 0},
    {"GET", "/v1/tokens", api_tokens_list, FP_AUTH_USER, 0},
    {"POST", "/v1/tokens", api_tokens_create, FP_AUTH_USER, FP_MAX_API_BODY},
    {"DELETE", "/v1/tokens/{id}", api_tokens_revoke, FP_AUTH_USER, 0},
    {"GET", "/v1/hosts", api_hosts_list, FP_AUTH_USER, 0},
    {"GET", "/v1/hosts/{id}", api_hosts_get, FP_AUTH_USER, 0},
    {"DELETE", "/v1/hosts/{id}", api_hosts_delete, FP_AUTH_USER, 0},
    {"PUT", "/v1/hosts/{id}/tags", api_hosts_tags, FP_AUTH_USER, FP_MAX_API_BODY},
    {"GET", "/v1/hosts/{id}/updates", api_hosts_updates, FP_AUTH_USER, 0},
    {"GET", "/v1/hosts/{id}/vulns", api_hosts_vulns, FP_AUTH_USER, 0},
    {"POST", "/v1/hosts/{id}/jobs", api_hosts_jobs_create, FP_AUTH_USER, FP_MAX_JOB_BODY},
    {"GET", "/v1/hosts/{id}/jobs", api_hosts_jobs_list, FP_AUTH_USER, 0},
    {"GET", "/v1/jobs/{id}", api_jobs_get, FP_AUTH_USER, 0},
    {"GET", "/v1/summary", api_summary, FP_AUTH_USER, 0},
    /* the dashboard's files (web.c) and the fleet-wide findings it lists (api_vulns.c) */
    {"GET", "/", api_web_index, FP_AUTH_NONE, 0},
    {"GET", "/ui/{file}", api_web_asset, FP_AUTH_NONE, 0},
    {"GET", "/v1/vulns", api_vulns_list, FP_AUTH_USER, 0},
    {"GET", "/v1/hosts/{id}/packages", api_hosts_packages, FP_AUTH_USER, 0},
    {"GET", "/v1/accounts/{account}/baselines", api_baselines_list, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts/{account}/baselines", api_baselines_create, FP_AUTH_USER,
     FP_BASELINE_MAX_JSON},
    {"GET", "/v1/accounts/{account}/baselines/{name}", api_baselines_get, FP_AUTH_USER, 0},
    {"PUT", "/v1/accounts/{account}/baselines/{name}", api_baselines_put, FP_AUTH_USER,
     FP_BASELINE_MAX_JSON},
    {"DELETE", "/v1/accounts/{account}/baselines/{name}", api_baselines_delete, FP_AUTH_USER, 0},
    {"GET", "/v1/accounts/{account}/windows", api_windows_list, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts/{account}/windows", api_windows_create, FP_AUTH_USER,
     FP_MAX_WINDOW_JSON},
    {"GET", "/v1/accounts/{account}/windows/{name}", api_windows_get, FP_AUTH_USER, 0},
    {"PUT", "/v1/accounts/{account}/windows/{name}", api_windows_put, FP_AUTH_USER,
     FP_MAX_WINDOW_JSON},
    {"DELETE", "/v1/accounts/{account}/windows/{name}", api_windows_delete, FP_AUTH_USER, 0},
    {"GET", "/v1/accounts/{account}/windows/{name}/next", api_windows_next, FP_AUTH_USER, 0},
    {"GET", "/v1/hosts/{id}/baseline", api_hosts_baseline, FP_AUTH_USER, 0},
    {"GET", "/v1/change-requests", api_changes_list, FP_AUTH_USER, 0},
    {"POST", "/v1/change-requests", api_changes_create, FP_AUTH_USER, FP_RO_MAX_SPEC_JSON + 64 * KB},
    {"GET", "/v1/change-requests/{id}", api_changes_get, FP_AUTH_USER, 0},
    {"POST", "/v1/change-requests/{id}/submit", api_changes_submit, FP_AUTH_USER, 8 * KB},
    {"POST", "/v1/change-requests/{id}/approve", api_changes_approve, FP_AUTH_USER, 8 * KB},
    {"POST", "/v1/change-requests/{id}/reject", api_changes_reject, FP_AUTH_USER, 8 * KB},
    {"POST", "/v1/change-requests/{id}/review", api_changes_review, FP_AUTH_USER, 8 * KB},
    {"GET", "/v1/change-requests/{id}/plan", api_changes_plan, FP_AUTH_USER, 0},
    {"GET", "/v1/change-requests/{id}/rollout", api_changes_rollout, FP_AUTH_USER, 0},
    {"POST", "/v1/change-requests/{id}/pause", api_changes_pause, FP_AUTH_USER, 8 * KB},
    {"POST", "/v1/change-requests/{id}/resume", api_changes_resume, FP_AUTH_USER, 8 * KB},
    {"POST", "/v1/change-requests/{id}/cancel", api_changes_cancel, FP_AUTH_USER, 8 * KB},
    /* audit log and evidence signing key (api_audit.c) */
    {"GET", "/v1/audit", api_audit_list, FP_AUTH_USER, 0},
    {"GET", "/v1/audit/verify", api_audit_verify, FP_AUTH_USER, 0},
    {"GET", "/v1/audit/export", api_audit_export, FP_AUTH_USER, 0},
    {"GET", "/v1/audit/key", api_audit_key, FP_AUTH_USER, 0},
    /* notifications (api_notify.c) */
    {"GET", "/v1/accounts/{account}/subscriptions", api_notify_subs_list, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts/{account}/subscriptions", api_notify_subs_create, FP_AUTH_USER,
     FP_MAX_API_BODY},
    {"GET", "/v1/accounts/{account}/subscriptions/{id}", api_notify_subs_get, FP_AUTH_USER, 0},
    {"DELETE", "/v1/accounts/{account}/subscriptions/{id}", api_notify_subs_delete, FP_AUTH_USER,
     0},
    {"POST", "/v1/accounts/{account}/subscriptions/{id}/test", api_notify_subs_test,
     FP_AUTH_USER, 0},
    {"GET", "/v1/accounts/{account}/groups", api_notify_groups_list, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts/{account}/groups", api_notify_groups_create, FP_AUTH_USER,
     FP_MAX_API_BODY},
    {"PUT", "/v1/accounts/{account}/groups/{name}", api_notify_groups_put, FP_AUTH_USER,
     FP_MAX_API_BODY},
    {"DELETE", "/v1/accounts/{account}/groups/{name}", api_notify_groups_delete, FP_AUTH_USER, 0},
    {"GET", "/v1/accounts/{account}/deliveries", api_notify_deliveries_list, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts/{account}/deliveries/{id}/retry", api_notify_deliveries_retry,
     FP_AUTH_USER, 0},
    /* compliance and reports (api_comply.c) */
    {"GET", "/v1/compliance", api_comply_summary, FP_AUTH_USER, 0},
    {"GET", "/v1/compliance/hosts", api_comply_hosts, FP_AUTH_USER, 0},
    {"GET", "/v1/compliance/history", api_comply_history, FP_AUTH_USER, 0},
    {"GET", "/v1/reports/compliance", api_reports_compliance, FP_AUTH_USER, 0},
    {"GET", "/v1/accounts/{account}/report-schedules", api_report_schedules_list, FP_AUTH_USER,
     0},
    {"POST", "/v1/accounts/{account}/report-schedules", api_report_schedules_create,
     FP_AUTH_USER, 8 * KB},
    {"GET", "/v1/accounts/{account}/report-schedules/{name}", api_report_schedules_get,
     FP_AUTH_USER, 0},
    {"PUT", "/v1/accounts/{account}/report-schedules/{name}", api_report_schedules_put,
     FP_AUTH_USER, 8 * KB},
    {"DELETE", "/v1/accounts/{account}/report-schedules/{name}", api_report_schedules_delete,
     FP_AUTH_USER, 0},
    /* tracking records, shared responsibility, evidence bundles (api_track.c) */
    {"GET", "/v1/tracking", api_track_list, FP_AUTH_USER, 0},
    {"GET", "/v1/tracking/{id}", api_track_get, FP_AUTH_USER, 0},
    {"POST", "/v1/tracking/{id}/assign", api_track_assign, FP_AUTH_USER, 8 * KB},
    {"POST", "/v1/tracking/{id}/comment", api_track_comment, FP_AUTH_USER, 8 * KB},
    {"POST", "/v1/tracking/{id}/accept-risk", api_track_accept_risk, FP_AUTH_USER, 8 * KB},
    {"GET", "/v1/accounts/{account}/resolver-rules", api_rules_get, FP_AUTH_USER, 0},
    {"PUT", "/v1/accounts/{account}/resolver-rules", api_rules_put, FP_AUTH_USER,
     FP_MAX_API_BODY},
    {"DELETE", "/v1/accounts/{account}/resolver-rules", api_rules_delete, FP_AUTH_USER, 0},
    {"GET", "/v1/accounts/{account}/assets", api_assets_list, FP_AUTH_USER, 0},
    {"POST", "/v1/accounts/{account}/assets", api_assets_create, FP_AUTH_USER, 16 * KB},
    {"GET", "/v1/accounts/{account}/exposures", api_exposures_list, FP_AUTH_USER, 0},
    {"GET", "/v1/change-requests/{id}/evidence", api_changes_evidence, FP_AUTH_USER, 0},
    {"POST", "/v1/agent/enroll", api_agent_enroll, FP_AUTH_ENROLL, FP_MAX_AGENT_BODY},
    {"POST", "/v1/agent/checkin", api_agent_checkin, FP_AUTH_AGENT, FP_MAX_AGENT_BODY},
    {"GET", "/v1/agent/jobs", api_agent_jobs, FP_AUTH_AGENT, 0},
    {"POST", "/v1/agent/jobs/{id}", api_agent_job_finish, FP_AUTH_AGENT, FP_MAX_JOB_BODY},
    {"POST", "/v1/agent/jobs/{id}/progress", api_agent_job_progress, FP_AUTH_AGENT,
     FP_MAX_JOB_LOG_CHUNK * 6 + 4 * 1024}, /* a chunk of control characters escaped */
};
const size_t fp_route_count = sizeof(fp_routes) / sizeof(fp_routes[0]);

/* Does path match pattern? Path parameters are copied into scratch (NUL-separated). */
static bool match_one(const char *pattern, const char *path, const char **params, size_t *n,
                      char *scratch, size_t scratchsz)
{
        size_t used = 0;
        *n = 0;
        while (*pattern && *path) {
                if (*pattern == '{') {
                        const char *close = strchr(pattern, '}');
                        const char *end = strchr(path, '/');
                        size_t len = end ? (size_t)(end - path) : strlen(path);
                        if (!close || len == 0 || *n >= FP_MAX_PATH_PARAMS ||
                            used + len + 1 > scratchsz)
                                return false;
                        memcpy(scratch + used, path, len);
                        scratch[used + len] = 0;
                        params[(*n)++] = scratch + used;
                        used += len + 1;
                        pattern = close + 1;
                        path += len;
                        continue;
                }
                if (*pattern != *path)
                        return false;
                pattern++;
                path++;
        }
        return !*pattern && !*path;
}

int fp_route_match(const char *method, const char *path, const char **params, size_t *nparams,
                   char *scratch, size_t scratchsz, bool *path_known)
{
        *path_known = false;
        for (size_t i = 0; i < fp_route_count; i++) {
                if (!match_one(fp_routes[i].pattern, path, params, nparams, scratch, scratchsz))
                        continue;
                *path_known = true;
                if (!strcmp(fp_routes[i].method, method))
                        return (int)i;
        }
        return -1;
}

/* ---- answers ---- */

void req_answer(struct fp_req *r, int status, json_t *body)
{
        json_decref(r->answer);
        r->status = status;
        r->answer = body;
}

void req_error(struct fp_req *r, int status, const char *code, const char *field,
               const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
        if (e && field && *field)
                json_object_set_new(e, "field", json_string(field));
        req_answer(r, status, json_pack("{s:o}", "error", e ? e : json_object()));
}

void req_fail(struct fp_req *r, enum fp_err err, const struct fp_diag *diag)
{
        char msg[600];
        fp_diag_format(diag, msg, sizeof(msg));
        const char *field = diag && diag->field[0] ? diag->field : NULL;
        switch (err) {
        case FP_ENOTFOUND:
                req_error(r, 404, "not_found", field, "%s", *msg ? msg : "not found");
                break;
        case FP_EEXIST:
                req_error(r, 409, "conflict", field, "%s", *msg ? msg : "exists already");
                break;
        case FP_EPARSE:
        case FP_EINVAL:
        case FP_ELIMIT:
        case FP_EUNSUPPORTED:
                req_error(r, 400, "invalid_request", field, "%s", *msg ? msg : fp_strerror(err));
                break;
        default:
                fprintf(stderr, "fleetpatchd: %s %s: %s: %s\n", r->method, r->path,
                        fp_strerror(err), msg);
                req_error(r, 500, "internal", NULL, "the server failed (%s); nothing was written",
                          fp_errname(err));
        }
}

struct fp_tx *req_tx(struct fp_req *r, bool write)
{
        if (r->tx && (r->tx_write || !write))
                return r->tx;
        if (r->tx) {
                fp_tx_rollback(r->tx); /* only reads so far: redo them under the write lock */
                r->tx = NULL;
                r->agent_host_tx = NULL; /* its strings went with it */
        }
        r->tx_write = write;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_begin(r->srv->store, write, &r->tx, &diag);
        if (err != FP_OK) {
                char msg[600];
                fp_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "fleetpatchd: store: %s\n", msg);
                req_error(r, 503, "unavailable", NULL, "the store is not available");
                r->tx = NULL;
        }
        return r->tx;
}

const char *req_query(struct fp_req *r, const char *name)
{
        return r->conn ? MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

bool req_allow(struct fp_req *r, const char *account, enum fp_role role)
{
        enum fp_role have = fp_principal_role(&r->who, account);
        if (have == FP_ROLE_NONE) {
                req_error(r, 404, "not_found", NULL, "not found");
                return false;
        }
        if (have < role) {
                req_error(r, 403, "forbidden", NULL, "this needs the role %s on account '%s'",
                          fp_role_name(role), account);
                return false;
        }
        return true;
}

void fp_route_run(struct fp_req *r, int route)
{
        const struct fp_route *rt = &fp_routes[route];
        r->status = 0;
        r->now = fp_now();
        if (rt->auth != FP_AUTH_NONE && !fp_authenticate(r, rt->auth))
                goto finish;
        if (rt->body_limit && !req_parse_body(r))
                goto finish;
        if (!rt->body_limit && r->body_len) {
                req_error(r, 400, "invalid_request", NULL, "this route takes no request body");
                goto finish;
        }
        rt->handler(r);
        if (!r->status && !r->suspend)
                req_error(r, 500, "internal", NULL, "the handler gave no answer");
finish:
        /* the audit entry joins the request's transaction: it commits or rolls back with the
         * change (docs/audit.md) */
        if (r->status >= 200 && r->status < 400 && !r->suspend) {
                struct fp_diag ad;
                fp_diag_clear(&ad);
                enum fp_err aerr = fp_audit_request(r, rt->pattern, &ad);
                if (aerr != FP_OK && r->status < 400) {
                        fprintf(stderr, "fleetpatchd: %s %s: audit: %s\n", r->method, r->path,
                                ad.msg[0] ? ad.msg : fp_strerror(aerr));
                        req_error(r, 500, "internal", NULL,
                                  "the audit log could not record this change; nothing was "
                                  "written");
                }
        }
        bool audited = false;
        if (r->tx) {
                struct fp_diag diag;
                fp_diag_clear(&diag);
                if (r->status >= 200 && r->status < 400 && !r->suspend) {
                        enum fp_err err = fp_tx_commit(r->tx, &diag);
                        r->tx = NULL;
                        if (err != FP_OK)
                                req_fail(r, err, &diag);
                        audited = err == FP_OK && r->audit.appended;
                } else {
                        fp_tx_rollback(r->tx);
                        r->tx = NULL;
                }
        }
        if (audited)
                fp_audit_anchor(r->srv);
        else if (r->audit.failure && r->status >= 400)
                fp_audit_failure(r); /* after the rollback, in its own transaction */
        json_decref(r->audit.before);
        json_decref(r->audit.after);
        r->audit.before = r->audit.after = NULL;
}
