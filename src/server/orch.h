/*
 * What the orchestration handlers and the scheduler share (docs/orchestration.md): a host's
 * attributes for rollouts (zone, region, availability zone, group), its baseline and the
 * evaluation of its pending updates, windows from the store, queueing a job from the server,
 * and the in-memory image of a rollout built from its store rows.
 */
#ifndef FP_SERVER_ORCH_H
#define FP_SERVER_ORCH_H

#include <jansson.h>

#include "fleetpatch/baseline.h"
#include "fleetpatch/jobwire.h"
#include "fleetpatch/rollout.h"
#include "fleetpatch/schedule.h"
#include "fleetpatch/store.h"
#include "server/server.h"

/* Limits of orchestration requests. */
#define FP_MAX_CR_TITLE 200
#define FP_MAX_CR_COMMENT 2000
#define FP_MAX_CR_TARGET_HOSTS 10000
#define FP_MAX_CR_TARGET_REGIONS 64
#define FP_MAX_CR_HOSTS 1000000  /* hosts one change request may target */
#define FP_CR_PLAN_HORIZON (90 * 86400) /* the preview looks this far ahead */
#define FP_WINDOW_LOOKBACK (8 * 86400)  /* occurrences computed from now minus this */
#define FP_WINDOW_MAX_OCC 1024          /* occurrences per zone in one computation */
#define FP_HEALTH_TIMEOUT 10            /* seconds for a health_url check */

/* The host's IANA zone: API tag "tz", else the agent's timezone fact, else "UTC". */
const char *fp_orch_host_tz(const struct fp_host_rec *h, char out[FP_TZ_MAX_NAME + 1]);
/* The availability zone: the agent's cloud zone fact, else the tag "zone", else "". */
const char *fp_orch_host_zone(const struct fp_host_rec *h, char out[256]);
/* The value of one effective tag ("" when absent). */
const char *fp_orch_host_tag(const struct fp_host_rec *h, const char *key, char out[256]);
/* Effective tags as compact JSON text with sorted keys (malloc'd). */
char *fp_orch_host_tags_text(const struct fp_host_rec *h);

/* The baseline attached to a host: account and family match, selector matches, most specific
 * first, then by name. *out NULL (FP_OK) when none; *why says how it was chosen. */
enum fp_err fp_orch_host_baseline(struct fp_tx *tx, const struct fp_host_rec *h,
                                  const char *family, struct fp_baseline **out, char why[256],
                                  struct fp_diag *diag);
/* A stored baseline by name. */
enum fp_err fp_orch_baseline_get(struct fp_tx *tx, const char *account, const char *name,
                                 struct fp_baseline **out, struct fp_diag *diag);
/* A stored window by name. */
enum fp_err fp_orch_window_get(struct fp_tx *tx, const char *account, const char *name,
                               struct fp_window *out, struct fp_diag *diag);

/* The host's stored inventory, parsed (release it with fp_wire_inventory_release);
 * FP_ENOTFOUND when it has reported none, FP_ECORRUPT when what is stored is not JSON. */
enum fp_err fp_orch_host_inventory(struct fp_tx *tx, const char *host,
                                   struct fp_wire_inventory *out, struct fp_diag *diag);
/* The host's pending updates judged by the baseline: a JSON array of {name, arch, installed,
 * candidate, classification, severity, kev, released, approved, explain?}. only: one package
 * name or NULL; explain: add the explanation lines. *family receives the inventory's family
 * ("" without an inventory → FP_ENOTFOUND). judged: the inventory and findings as the caller has
 * them, or NULL (read from the store and judged here). */
enum fp_err fp_orch_host_updates(struct fp_server *srv, struct fp_tx *tx,
                                 const struct fp_host_rec *h, const struct fp_baseline *b,
                                 int64_t now, const char *only, bool explain, json_t **out,
                                 char family[8], const struct fp_host_judged *judged,
                                 struct fp_diag *diag);

/* Queue a job from the server side (scheduler, change requests): params checked by the
 * agent's parser for the host's family, stored canonical. id receives the job id. The caller
 * wakes the host's long-poll after its commit. */
enum fp_err fp_orch_queue_job(struct fp_tx *tx, const struct fp_host_rec *h, const char *family,
                              enum fp_job_type type, const json_t *params, const char *by,
                              int64_t now, char id[17], struct fp_diag *diag);

/* The change request of the path (params[0]) if the caller has role on its account;
 * answers 404 (no grant: existence is not leaked), 403 or the store's error otherwise. */
bool fp_orch_path_cr(struct fp_req *r, bool write, enum fp_role role, struct fp_cr_rec *c);
/* The OS family ("deb", "rpm") of the host's stored inventory, "" without one. */
const char *fp_orch_host_family(struct fp_tx *tx, const char *host, char out[8]);

/* One HTTP(S) request from the server (health checks, webhooks): GET when body is NULL,
 * else POST with the headers (NULL-terminated list, may be NULL). true on a 2xx within
 * timeout seconds; otherwise why says what happened. */
bool fp_orch_http(const char *url, const char *body, const char *const *headers, long timeout,
                  char *why, size_t whysz);

/* ---- a rollout in memory ---- */
struct fp_orch_rollout {
        struct fp_arena arena;          /* owns every string below: the image outlives the
                                           transaction it was loaded in (the scheduler keeps
                                           it between ticks) */
        struct fp_rollout_rec rec;
        struct fp_ro_spec spec;
        struct fp_window window;
        bool has_window;
        struct fp_rollout ro;
        struct fp_rollout_host_rec *rows; /* [ro.host_count], same order as ro.hosts at load */
        struct fp_rollout_host_rec *orig; /* the rows as loaded (save writes what differs) */
        size_t *row_of;                   /* ro.hosts[i] came from rows[row_of[i]] */
        struct fp_ro_windows *wins;
        struct fp_window_occ *occ;
        char (*tz_names)[FP_TZ_MAX_NAME + 1];
        size_t tz_count;
        uint32_t *group_limit;
        json_t *names; /* region/zone/group name tables */
        const char *account; /* the change request's account */
};
/* Load a rollout and its hosts, compute the window occurrences around now. */
enum fp_err fp_orch_rollout_load(struct fp_tx *tx, const char *cr, int64_t now,
                                 struct fp_orch_rollout *out, struct fp_diag *diag);
void fp_orch_rollout_free(struct fp_orch_rollout *o);
/* Window occurrences of every zone of the rollout for [from, to): fills o->wins. */
enum fp_err fp_orch_rollout_windows(struct fp_orch_rollout *o, int64_t from, int64_t to,
                                    struct fp_diag *diag);
/* Write back the rollout row and every host row whose state changed. */
enum fp_err fp_orch_rollout_save(struct fp_tx *tx, struct fp_orch_rollout *o, int64_t now,
                                 struct fp_diag *diag);
/* The row of ro.hosts[i]. */
struct fp_rollout_host_rec *fp_orch_row(struct fp_orch_rollout *o, size_t i);

/* The distinct hosts of a change request's frozen update set (ids in the tx arena; *ids
 * malloc'd). */
enum fp_err fp_orch_cr_hosts(struct fp_tx *tx, const char *cr, const char ***ids, size_t *n,
                             struct fp_diag *diag);
/* Create the rollout of an approved change request: hosts from the frozen update set,
 * rings, waves and group limits checked. */
enum fp_err fp_orch_rollout_create(struct fp_tx *tx, const struct fp_cr_rec *cr, int64_t now,
                                   struct fp_diag *diag);
/* Check a rollout spec and window against targets without writing (creation and the
 * preview): builds the in-memory rollout for the given hosts. */
enum fp_err fp_orch_rollout_build(struct fp_tx *tx, const struct fp_cr_rec *cr,
                                  const char *const *hosts, size_t nhosts, int64_t now,
                                  struct fp_orch_rollout *out, struct fp_diag *diag);

/* ---- immutable groups (replace.c) ---- */
#define FP_IMMUTABLE_TAG "immutable" /* its value names the group */
#define FP_REPLACES_TAG "replaces"   /* replacement hosts carry the change request's id */
/* Is the host in an immutable group? group receives its name. */
bool fp_orch_host_immutable(const struct fp_host_rec *h, char group[256]);
/* Record a group's replacement for a change request (hosts to retire, approved updates). */
enum fp_err fp_replace_record(struct fp_tx *tx, const char *cr, const char *account,
                              const char *group, json_t *hosts, json_t *updates, int64_t now,
                              struct fp_diag *diag);
/* The replacements of a change request with their progress (a JSON array), NULL on error. */
json_t *fp_replace_status(struct fp_tx *tx, const char *cr, struct fp_diag *diag);
/* Has the change request a replacement that is neither done nor failed? */
bool fp_replace_pending(struct fp_tx *tx, const char *cr);
/* "t=TS,v1=HEX": HMAC-SHA256 of "TS.BODY" (what a receiver recomputes). */
bool fp_webhook_sign(const unsigned char *key, size_t keylen, int64_t ts, const char *body,
                     char out[128]);
/* Send due webhooks (outside transactions) and track replacements; part of each tick. */
enum fp_err fp_replace_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag);

/* ---- the scheduler (scheduler.c) ---- */
struct fp_scheduler;
/* Hosts whose long-poll is woken once the tick's transactions are committed. */
struct wake_list {
        char (*ids)[17];
        size_t n;
};
/* Ask for a tick now (a change request was approved, a rollout resumed). NULL is fine. */
void fp_scheduler_kick(struct fp_scheduler *s);
/* Catch-up runs (catchup_runs.c): hosts marked as needing catch-up brought to their baseline
 * by its catch-up policy, then the hand-back hook. */
enum fp_err fp_catchup_runs_tick(struct fp_server *srv, int64_t now, struct wake_list *wake,
                                 struct fp_diag *diag);
/* Start the scheduler thread (one tick every interval seconds while it holds the lease). */
struct fp_scheduler *fp_scheduler_start(struct fp_server *srv, long interval);
void fp_scheduler_stop(struct fp_scheduler *s);
/* Drop the leader's cached rollout images (at shutdown; tests that tick by hand). */
void fp_scheduler_forget(struct fp_server *srv);
/* One tick at now (the tests and the thread): every active rollout and catch-up run. */
enum fp_err fp_scheduler_tick(struct fp_server *srv, const char *holder, int64_t now,
                              struct fp_diag *diag);

#endif
