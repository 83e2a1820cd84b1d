/*
 * fleetpatchd internals: the configuration, the server object, a request as the handlers see
 * it, and the helpers every handler uses. One request = one store transaction (req_tx);
 * router.c commits it when the answer is a success and rolls it back otherwise.
 */
#ifndef FP_SERVER_H
#define FP_SERVER_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fleetpatch/error.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/store.h"

#define FP_MAX_IDENT_BUF (FP_MAX_IDENT + 1)
/* Lifetime of the enrollment token a clone detection hands out (docs/jobs.md "Clones"). */
#define FP_CLONE_TOKEN_TTL 600

/* ---- configuration (config.c): one table gives file keys, flags, env names and help ---- */
struct fp_srv_config {
        char listen[64];
        long port;
        char state_dir[512];
        char store[700];
        char vulndb[700];
        char tls_cert[700];
        char tls_key[700];
        char tls_names[512];
        char image_webhook_url[700];
        char image_webhook_secret_file[700];
        /* notifications (docs/notifications.md) */
        char smtp_url[700];
        char smtp_from[320];
        char smtp_user[256];
        char smtp_password_file[700];
        char smtp_ca_file[700];
        char smtp_starttls[16];
        long notify_retry_base;
        long notify_retry_max;
        long notify_max_attempts;
        long notify_timeout;
        long notify_window_lead;
        long notify_allow_private;
        long threads;
        long checkin_interval;
        long catchup_after; /* 0 = 3 x checkin_interval (fp_srv_catchup_after) */
        long scheduler_interval;
        long approvals_required;
        long jitter_percent;
        long stale_after;
        long max_connections;
        long connection_timeout;
        long login_failures;
        long token_ttl;
        char log_level[16];
};

/* Defaults, then the file (--config or $FLEETPATCHD_CONFIG), then $FLEETPATCHD_<NAME>, then
 * flags (--name VALUE or --name=VALUE). false with a message naming where on error. */
bool fp_srv_config_load(struct fp_srv_config *c, int argc, char **argv, char *err, size_t errsz);
void fp_srv_config_help(FILE *out);
void fp_srv_config_print(const struct fp_srv_config *c, FILE *out);
/* The config file's format from memory (name = value lines, # comments); where names the
 * source in messages. Options not named keep their values. */
bool fp_srv_config_parse_text(struct fp_srv_config *c, const char *text, size_t len,
                              const char *where, char *err, size_t errsz);
/* Set one option by name from text (used by the loader and the tests). */
bool fp_srv_config_set(struct fp_srv_config *c, const char *name, const char *value, char *err,
                       size_t errsz);

/* ---- TLS material (tls.c) ---- */
/* Load cert/key from the config, or create a CA and a server certificate under
 * STATE/tls/ on first start (names: localhost, 127.0.0.1, ::1, plus tls_names). */
bool fp_srv_tls_prepare(const struct fp_srv_config *c, char **cert_pem, char **key_pem,
                        char *err, size_t errsz);

/* ---- metrics (metrics.c) ---- */
/* Routes with their own series; router_test checks that fp_routes[] fits. */
#define FP_METRICS_MAX_ROUTES 256
void fp_metrics_observe(int route, int status, double seconds);
void fp_metrics_count(const char *name, long long delta);
/* Prometheus text exposition; caller frees. */
char *fp_metrics_render(void);

/* ---- the server ---- */
struct fp_findings_engine;
struct fp_longpoll;
struct fp_scheduler;
struct fp_notifier;
struct fp_sched_cache;
struct fp_signkey;

struct fp_server {
        struct fp_srv_config cfg;
        struct fp_store *store;
        struct fp_findings_engine *findings;
        struct fp_longpoll *longpoll;
        struct fp_scheduler *scheduler; /* NULL in tests that tick by hand */
        struct fp_notifier *notifier; /* the notification worker (notify.h); NULL in tests */
        struct fp_sched_cache *sched_cache; /* the leader's rollout images (scheduler.c) */
        struct MHD_Daemon *mhd;
        const struct fp_signkey *signkey; /* audit log and evidence (audit.h); NULL in some unit tests */
        int64_t started;
        volatile int stopping; /* set at shutdown: long-polls answer at once */
};

/* ---- who is calling (auth.c) ---- */
enum fp_principal_kind { FP_PRINCIPAL_NONE, FP_PRINCIPAL_USER, FP_PRINCIPAL_ENROLL,
                         FP_PRINCIPAL_AGENT };
struct fp_principal {
        enum fp_principal_kind kind;
        char token_id[17];
        /* USER */
        int64_t user_id;
        char user[FP_MAX_IDENT_BUF];
        struct {
                char account[FP_MAX_IDENT_BUF]; /* copied: outlives the auth transaction */
                enum fp_role role;
        } grants[FP_MAX_GRANTS];
        size_t grant_count;
        /* ENROLL: the account; AGENT: the host and its account */
        char account[FP_MAX_IDENT_BUF];
        char host[17];
};

/* The strongest role the principal has on account ("*" grants count everywhere). */
enum fp_role fp_principal_role(const struct fp_principal *p, const char *account);
/* Is it granted role on every account ("*")? */
bool fp_principal_org(const struct fp_principal *p, enum fp_role role);

/* ---- a request ---- */
#define FP_MAX_PATH_PARAMS 4
struct fp_req {
        struct fp_server *srv;
        struct MHD_Connection *conn;
        const char *method;
        const char *path;
        const char *params[FP_MAX_PATH_PARAMS];
        size_t nparams;
        const char *body;
        size_t body_len;
        json_t *json; /* parsed body (routes with a body), owned by the request */
        struct fp_principal who;
        /* an agent's host as authentication read it, while tx is still agent_host_tx (its
         * strings live in that transaction) */
        struct fp_host_rec agent_host;
        const struct fp_tx *agent_host_tx;
        struct fp_tx *tx;
        bool tx_write;
        int64_t now;
        /* the answer */
        int status;
        json_t *answer;
        char *text; /* plain-text answer (metrics), freed by the router */
        const char *content_type;
        const struct fp_web_asset *asset; /* a dashboard file (web.c) instead of JSON */
        /* long-poll: set by the handler to suspend the connection until woken or timed out */
        bool suspend;
        int64_t suspend_until;
        /* The audit entry of this request (audit.c, docs/audit.md): what a handler knows beyond
         * the route. NULL members are derived (action from the route, target from the path,
         * account from the path or body); before/after are owned by the request (the router
         * frees them) and redacted when appended. */
        struct {
                const char *action, *account, *target, *actor;
                const char *user; /* a login's user name (actor "user:NAME" when it succeeds) */
                json_t *before, *after;
                bool skip;    /* nothing changed: no entry */
                bool log;     /* log this request though its principal is not logged by
                               * default (an agent's job result, a login) */
                bool failure; /* log even though the request fails (a failed login) */
                bool appended; /* set by the router: the entry is in the transaction */
                char account_buf[FP_MAX_IDENT_BUF]; /* fp_req_audit_account's copy */
        } audit;
};

/* The audit entry's account, copied (a record's strings end with the transaction that read
 * them, and a read transaction may be replaced by a write one before the entry is made). */
static inline void fp_req_audit_account(struct fp_req *r, const char *account)
{
        snprintf(r->audit.account_buf, sizeof(r->audit.account_buf), "%s", account ? account : "");
        r->audit.account = r->audit.account_buf;
}

/* Answer helpers. req_error formats the message; field may be NULL. */
void req_error(struct fp_req *r, int status, const char *code, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void req_answer(struct fp_req *r, int status, json_t *body); /* steals body */
/* Map a store/diag failure to an answer (NOTFOUND → 404, EXIST → 409, ...). */
void req_fail(struct fp_req *r, enum fp_err err, const struct fp_diag *diag);
/* The request's transaction, begun on first use; a read transaction is replaced by a write
 * one when write is asked later (authentication reads first). NULL after answering 503. */
struct fp_tx *req_tx(struct fp_req *r, bool write);
/* Query parameter (NULL if absent). */
const char *req_query(struct fp_req *r, const char *name);
/* Role check on an account: answers 404 (no grant: existence is not leaked) or 403 (too weak)
 * and returns false. */
bool req_allow(struct fp_req *r, const char *account, enum fp_role role);

/* ---- validation of request JSON (request.c) ---- */
/* Object with exactly these members allowed (NULL-terminated); answers 400 on others. */
bool req_members(struct fp_req *r, const json_t *obj, const char *where,
                 const char *const *allowed);
/* Typed members; absent → *out unchanged and true unless required. Answers 400 on error. */
bool req_str(struct fp_req *r, const json_t *obj, const char *key, bool required, size_t maxlen,
             const char **out);
bool req_int(struct fp_req *r, const json_t *obj, const char *key, bool required, int64_t min,
             int64_t max, int64_t *out);
/* An identifier: [a-z0-9._-], 1..FP_MAX_IDENT, not starting with '.' or '-'. */
bool fp_valid_ident(const char *s);
/* The account of the path (params[0], routes /v1/accounts/{account}/...) when it is an
 * identifier and the caller has role on it; else answers 404/403 and returns NULL. */
const char *req_path_account(struct fp_req *r, enum fp_role role);
/* A tags object {"k":"v"} within the limits → compact JSON text (in *out, malloc'd). */
bool req_tags(struct fp_req *r, const json_t *tags, const char *field, char **out);
/* Parse a JSON body with limits; answers 400 invalid_json on error. */
bool req_parse_body(struct fp_req *r);

/* ---- findings (findings.c) ---- */
struct fp_wire_inventory;
enum fp_err fp_findings_engine_open(const char *vulndb_path, struct fp_findings_engine **out);
void fp_findings_engine_close(struct fp_findings_engine *e);
struct fp_expo_set;
/* The findings as a JSON array, risk first; NULL on failure (diag says why). */
json_t *fp_findings_list(struct fp_findings_engine *e, const struct fp_wire_inventory *w,
                         const char *hostname, const char *tags_json, struct fp_diag *diag);
/* Counts (tags_json: the host's effective tags, for the risk score), the host's exposed and
 * excepted findings into set (server/track.h; may be NULL; set->assessed stays false when there
 * is no database or the release is not covered) and the findings as fp_findings_list gives
 * them, from one assessment; NULL when the list could not be made (the counts and set are made
 * regardless). */
json_t *fp_findings_judge(struct fp_findings_engine *e, const struct fp_wire_inventory *w,
                          const char *hostname, const char *tags_json, struct fp_host_counts *c,
                          struct fp_expo_set *set, struct fp_diag *diag);
/* A host's stored inventory as parsed and its findings as judged (fp_findings_judge), handed by
 * the code that has them to the evaluations of the same transaction (compliance, the baseline's
 * updates), so that none of them reads, parses or matches the inventory again. */
struct fp_host_judged {
        const struct fp_wire_inventory *w;
        const json_t *findings;
};
/* Is a vulnerability database loaded? (for /readyz and summaries) */
bool fp_findings_available(struct fp_findings_engine *e);
/* What the vulnerability database holds, as 64 hex digits (the same content gives the same
 * version in every replica); false when there is none. */
bool fp_findings_version(struct fp_findings_engine *e, char out[65]);
/* The leader's scheduler tick: every host judged again after the database's version changed,
 * about a second of it per tick, the next tick kicked while more remains (refresh.c). */
enum fp_err fp_refresh_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag);

/* ---- long-poll (longpoll.c) ---- */
struct fp_longpoll *fp_longpoll_new(void);
void fp_longpoll_free(struct fp_longpoll *lp);
/* Suspend conn until fp_longpoll_wake(host) or the deadline; called by the router. */
void fp_longpoll_wait(struct fp_longpoll *lp, struct MHD_Connection *conn, const char *host,
                      int64_t deadline_ms);
void fp_longpoll_wake(struct fp_longpoll *lp, const char *host);
/* Resume every waiter whose deadline passed (the timer thread calls it). */
void fp_longpoll_tick(struct fp_longpoll *lp, int64_t now_ms);
/* Resume all (shutdown). */
void fp_longpoll_wake_all(struct fp_longpoll *lp);

/* ---- waking long polls on every replica (wake.c) ---- */
/* Wake the hosts' waiters here and signal the other replicas on the store to wake theirs. */
void fp_wake_hosts(struct fp_server *srv, const char *const *ids, size_t n);
void fp_wake_host(struct fp_server *srv, const char *id);
/* Wake the waiters of this replica for the other replicas' signals; fp_wake_stop ends it
 * (before the long-poll table is freed). */
enum fp_err fp_wake_listen(struct fp_server *srv, struct fp_diag *diag);
/* A signal's text: "wake ID ID ..."; each(ctx, id) for every well-formed id (lowercase hex,
 * 1..FP_WAKE_ID_MAX characters); other words and other kinds are ignored. The ids seen. */
#define FP_WAKE_ID_MAX 64
size_t fp_wake_parse(const char *msg, void (*each)(void *ctx, const char *id), void *ctx);
void fp_wake_stop(struct fp_server *srv);

/* ---- routes (router.c) ---- */
typedef void (*fp_handler)(struct fp_req *r);
enum fp_auth { FP_AUTH_NONE, FP_AUTH_USER, FP_AUTH_ENROLL, FP_AUTH_AGENT };
struct fp_route {
        const char *method;
        const char *pattern; /* "/v1/hosts/{id}/tags": {x} matches one segment */
        fp_handler handler;
        enum fp_auth auth;
        size_t body_limit; /* 0 = no body accepted */
};
extern const struct fp_route fp_routes[];
extern const size_t fp_route_count;
/* Find the route; *method_ok false when the path matches with another method only. */
int fp_route_match(const char *method, const char *path, const char **params, size_t *nparams,
                   char *scratch, size_t scratchsz, bool *path_known);
/* Authenticate the bearer token for a route's kind (auth.c); answers 401 and false. */
bool fp_authenticate(struct fp_req *r, enum fp_auth need);
/* Run a request end to end (auth, transaction, handler, commit/rollback). */
void fp_route_run(struct fp_req *r, int route);

/* Handlers (api_*.c). */
void api_healthz(struct fp_req *r);
void api_readyz(struct fp_req *r);
void api_metrics(struct fp_req *r);
void api_login(struct fp_req *r);
void api_whoami(struct fp_req *r);
void api_accounts_list(struct fp_req *r);
void api_accounts_create(struct fp_req *r);
void api_accounts_get(struct fp_req *r);
void api_users_list(struct fp_req *r);
void api_users_create(struct fp_req *r);
void api_users_grant(struct fp_req *r);
void api_users_ungrant(struct fp_req *r);
void api_tokens_list(struct fp_req *r);
void api_tokens_create(struct fp_req *r);
void api_tokens_revoke(struct fp_req *r);
void api_enroll_tokens_create(struct fp_req *r);
void api_hosts_list(struct fp_req *r);
void api_hosts_get(struct fp_req *r);
void api_hosts_tags(struct fp_req *r);
void api_hosts_delete(struct fp_req *r);
void api_hosts_updates(struct fp_req *r);
void api_hosts_vulns(struct fp_req *r);
void api_hosts_jobs_create(struct fp_req *r);
void api_summary(struct fp_req *r);
void api_agent_enroll(struct fp_req *r);
void api_agent_checkin(struct fp_req *r);
void api_agent_jobs(struct fp_req *r);
void api_agent_job_finish(struct fp_req *r);
void api_agent_job_progress(struct fp_req *r);
void api_hosts_jobs_list(struct fp_req *r);
void api_jobs_get(struct fp_req *r);
/* Orchestration (api_baselines.c, api_changes.c, api_rollouts.c; docs/orchestration.md). */
void api_baselines_list(struct fp_req *r);
void api_baselines_create(struct fp_req *r);
void api_baselines_get(struct fp_req *r);
void api_baselines_put(struct fp_req *r);
void api_baselines_delete(struct fp_req *r);
void api_windows_list(struct fp_req *r);
void api_windows_create(struct fp_req *r);
void api_windows_get(struct fp_req *r);
void api_windows_put(struct fp_req *r);
void api_windows_delete(struct fp_req *r);
void api_windows_next(struct fp_req *r);
void api_hosts_baseline(struct fp_req *r);
void api_changes_list(struct fp_req *r);
void api_changes_create(struct fp_req *r);
void api_changes_get(struct fp_req *r);
void api_changes_submit(struct fp_req *r);
void api_changes_approve(struct fp_req *r);
void api_changes_reject(struct fp_req *r);
void api_changes_review(struct fp_req *r);
void api_changes_plan(struct fp_req *r);
void api_changes_rollout(struct fp_req *r);
void api_changes_pause(struct fp_req *r);
void api_changes_resume(struct fp_req *r);
void api_changes_cancel(struct fp_req *r);

/* The dashboard (web.c, web.h; docs/dashboard.md) and the fleet-wide findings (api_vulns.c). */
void api_web_index(struct fp_req *r);
void api_web_asset(struct fp_req *r);
void api_vulns_list(struct fp_req *r);
void api_hosts_packages(struct fp_req *r);
/* The host filter of GET /v1/hosts from the query (account, region, zone, os, q, tag, ...), for
 * other handlers; answers 400 and false on a bad one. acctbuf: FP_MAX_GRANTS entries. */
bool req_host_filter(struct fp_req *r, struct fp_host_filter *f, const char **acctbuf);

/* Audit log (api_audit.c; docs/audit.md). */
void api_audit_list(struct fp_req *r);
void api_audit_verify(struct fp_req *r);
void api_audit_export(struct fp_req *r);
void api_audit_key(struct fp_req *r);
/* Notifications (api_notify.c; docs/notifications.md). */
void api_notify_subs_list(struct fp_req *r);
void api_notify_subs_create(struct fp_req *r);
void api_notify_subs_get(struct fp_req *r);
void api_notify_subs_delete(struct fp_req *r);
void api_notify_subs_test(struct fp_req *r);
void api_notify_groups_list(struct fp_req *r);
void api_notify_groups_create(struct fp_req *r);
void api_notify_groups_put(struct fp_req *r);
void api_notify_groups_delete(struct fp_req *r);
void api_notify_deliveries_list(struct fp_req *r);
void api_notify_deliveries_retry(struct fp_req *r);
/* Compliance and reports (api_comply.c; docs/compliance.md). */
void api_comply_summary(struct fp_req *r);
void api_comply_hosts(struct fp_req *r);
void api_comply_history(struct fp_req *r);
void api_reports_compliance(struct fp_req *r);
void api_report_schedules_list(struct fp_req *r);
void api_report_schedules_create(struct fp_req *r);
void api_report_schedules_get(struct fp_req *r);
void api_report_schedules_put(struct fp_req *r);
void api_report_schedules_delete(struct fp_req *r);
/* Tracking records, shared responsibility, evidence (api_track.c; docs/tracking.md). */
void api_track_list(struct fp_req *r);
void api_track_get(struct fp_req *r);
void api_track_assign(struct fp_req *r);
void api_track_comment(struct fp_req *r);
void api_track_accept_risk(struct fp_req *r);
void api_rules_get(struct fp_req *r);
void api_rules_put(struct fp_req *r);
void api_rules_delete(struct fp_req *r);
void api_assets_create(struct fp_req *r);
void api_assets_list(struct fp_req *r);
void api_exposures_list(struct fp_req *r);
void api_changes_evidence(struct fp_req *r);

/* The host of the path if the caller has role on its account; answers 404/403 otherwise. */
bool req_path_host(struct fp_req *r, bool write, enum fp_role role, struct fp_host_rec *h);

/* ---- jobs (api_jobs.c, jobresult.c) ---- */
/* A job as the user API shows it; full adds the log. */
json_t *fp_json_job(const struct fp_job_rec *j, bool full);
/* Check a finished job's result (docs/jobs.md) strictly: closed members and values, limits
 * FP_MAX_JOB_RESULT, FP_MAX_JOB_RESULT_ITEMS, FP_MAX_JOB_REBOOT_REASONS; a failed job names a
 * reason, a succeeded one none. FP_EPARSE/FP_ELIMIT with diag->field "result.plan[3].to". */
enum fp_err fp_job_result_check(const json_t *result, bool succeeded, struct fp_diag *diag);

/* ---- catch-up (catchup.c) ---- */
struct fp_inventory;
/* The seconds after which a host that did not check in needs catch-up. */
long fp_srv_catchup_after(const struct fp_srv_config *c);
/* Compare an inventory with what succeeded jobs installed on the host: *downgraded when a
 * package is older than such a version, *complete when every one is present (equal or newer). */
enum fp_err fp_catchup_check_inventory(struct fp_tx *tx, const char *host,
                                       const struct fp_inventory *inv, bool *downgraded,
                                       bool *complete, struct fp_diag *diag);
/* Add reasons to the host's mark (since = now when it had none); with no reasons to add and
 * clear set, clear the mark. Writes only on a change. */
enum fp_err fp_catchup_update(struct fp_tx *tx, const struct fp_host_rec *h, const char *const *add,
                              size_t nadd, bool clear, int64_t now, struct fp_diag *diag);
/* After a succeeded scan: clear the mark when the stored inventory has every installed version. */
enum fp_err fp_catchup_after_scan(struct fp_tx *tx, const struct fp_host_rec *h, int64_t now,
                                  struct fp_diag *diag);

/* Bootstrap: the first admin and its token file, the default account. */
bool fp_server_bootstrap(struct fp_server *s, char *err, size_t errsz);

/* JSON of records, shared by handlers. */
json_t *fp_json_host(const struct fp_host_rec *h, int64_t now, int64_t stale_after, bool full);
/* Effective tags: agent tags overlaid with API tags (new reference). */
json_t *fp_json_tags(const struct fp_host_rec *h);
/* Parse stored JSON text we wrote ourselves (never fails on our own data; {} if it does). */
json_t *fp_json_stored(const char *text);

/* Milliseconds since the epoch (monotonic enough for deadlines). */
int64_t fp_now_ms(void);

#endif
