/*
 * The store's orchestration part (docs/orchestration.md): named documents (baselines and
 * maintenance windows), change requests with their votes and frozen update sets, rollouts
 * and their hosts, the scheduler lease, first sightings of update versions and catch-up runs.
 * Same rules as store.h: every call is inside a transaction, strings of reads live in the
 * transaction's arena, documents are JSON text the server validated.
 */
#ifndef FLEETPATCH_STORE_ORCH_H
#define FLEETPATCH_STORE_ORCH_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_tx;

/* ---- named documents ---- */
/* REPLACEMENT: an immutable group's replacement for a change request, named "CR.GROUP". */
enum fp_doc_kind { FP_DOC_BASELINE = 1, FP_DOC_WINDOW = 2, FP_DOC_REPLACEMENT = 3 };
struct fp_doc_rec {
        enum fp_doc_kind kind;
        const char *account, *name, *document, *created_by;
        int64_t created, updated;
};
/* create: FP_EEXIST when the name is taken; otherwise insert or replace (created kept). */
enum fp_err fp_store_doc_put(struct fp_tx *tx, const struct fp_doc_rec *d, bool create,
                             struct fp_diag *diag);
enum fp_err fp_store_doc_get(struct fp_tx *tx, enum fp_doc_kind kind, const char *account,
                             const char *name, struct fp_doc_rec *out, struct fp_diag *diag);
typedef bool (*fp_doc_cb)(void *ctx, const struct fp_doc_rec *d);
/* By account, then name; account NULL = every account. */
enum fp_err fp_store_doc_list(struct fp_tx *tx, enum fp_doc_kind kind, const char *account,
                              fp_doc_cb cb, void *ctx, struct fp_diag *diag);
enum fp_err fp_store_doc_delete(struct fp_tx *tx, enum fp_doc_kind kind, const char *account,
                                const char *name, struct fp_diag *diag);

/* ---- change requests ---- */
struct fp_cr_rec {
        const char *id, *account, *title, *author, *state, *baseline, *window;
        const char *document; /* the request as created (targets, rollout, risk, ...) */
        bool emergency, review_pending;
        const char *reviewed_by; /* "" until reviewed */
        int64_t created, updated;
};
enum fp_err fp_store_cr_create(struct fp_tx *tx, const struct fp_cr_rec *c, struct fp_diag *diag);
enum fp_err fp_store_cr_get(struct fp_tx *tx, const char *id, struct fp_cr_rec *out,
                            struct fp_diag *diag);
typedef bool (*fp_cr_cb)(void *ctx, const struct fp_cr_rec *c);
/* Newest first; account and state NULL = any. */
enum fp_err fp_store_cr_list(struct fp_tx *tx, const char *account, const char *state,
                             fp_cr_cb cb, void *ctx, struct fp_diag *diag);
enum fp_err fp_store_cr_set_state(struct fp_tx *tx, const char *id, const char *state,
                                  bool review_pending, const char *reviewed_by, int64_t now,
                                  struct fp_diag *diag);
/* Votes: decision "approve" | "reject" | "review"; one per (request, user, decision):
 * FP_EEXIST for a second one. */
struct fp_cr_vote {
        const char *cr, *user, *decision, *comment;
        int64_t at;
};
enum fp_err fp_store_cr_vote_add(struct fp_tx *tx, const struct fp_cr_vote *v,
                                 struct fp_diag *diag);
typedef bool (*fp_cr_vote_cb)(void *ctx, const struct fp_cr_vote *v);
enum fp_err fp_store_cr_vote_list(struct fp_tx *tx, const char *cr, fp_cr_vote_cb cb, void *ctx,
                                  struct fp_diag *diag);
/* The frozen update set: exact versions per host. */
struct fp_cr_update {
        const char *cr, *host, *name, *arch, *version;
};
enum fp_err fp_store_cr_update_add(struct fp_tx *tx, const struct fp_cr_update *u,
                                   struct fp_diag *diag);
typedef bool (*fp_cr_update_cb)(void *ctx, const struct fp_cr_update *u);
/* Ordered by host, name, arch; host NULL = every host. */
enum fp_err fp_store_cr_update_list(struct fp_tx *tx, const char *cr, const char *host,
                                    fp_cr_update_cb cb, void *ctx, struct fp_diag *diag);

/* ---- rollouts ---- */
struct fp_rollout_rec {
        const char *cr, *status;
        const char *spec_json, *window_json; /* frozen at approval */
        int64_t wave, wave_count, wave_done_at, failures, started_total;
        int64_t created, updated;
        int64_t gen; /* read: bumped by every put (a scheduler's cache sees others' writes) */
};
enum fp_err fp_store_rollout_put(struct fp_tx *tx, const struct fp_rollout_rec *r,
                                 struct fp_diag *diag);
enum fp_err fp_store_rollout_get(struct fp_tx *tx, const char *cr, struct fp_rollout_rec *out,
                                 struct fp_diag *diag);
typedef bool (*fp_rollout_cb)(void *ctx, const struct fp_rollout_rec *r);
/* active: only those not finished (status scheduled, running, paused, halted). */
enum fp_err fp_store_rollout_list(struct fp_tx *tx, bool active, fp_rollout_cb cb, void *ctx,
                                  struct fp_diag *diag);
struct fp_rollout_host_rec {
        const char *cr, *host;
        const char *tz, *region, *zone, *grp; /* "" when none */
        int64_t ring, wave;
        int64_t order; /* the stable position key inside the ring */
        const char *state;
        int64_t started, finished, start_until, attempts;
        const char *job, *rollback_job; /* "" when none */
};
enum fp_err fp_store_rollout_host_put(struct fp_tx *tx, const struct fp_rollout_host_rec *h,
                                      struct fp_diag *diag);
typedef bool (*fp_rollout_host_cb)(void *ctx, const struct fp_rollout_host_rec *h);
/* Ordered by wave, order. */
enum fp_err fp_store_rollout_host_list(struct fp_tx *tx, const char *cr, fp_rollout_host_cb cb,
                                       void *ctx, struct fp_diag *diag);

/* Every host of an account with when it was last seen (cheaper than a host list). */
typedef bool (*fp_host_seen_cb)(void *ctx, const char *id, int64_t last_seen);
enum fp_err fp_store_host_seen(struct fp_tx *tx, const char *account, fp_host_seen_cb cb,
                               void *ctx, struct fp_diag *diag);

/* ---- the scheduler lease ---- */
/* Take or renew the named lease for holder until now + ttl. FP_EEXIST when another holder has
 * it and it has not expired. */
enum fp_err fp_store_lease_acquire(struct fp_tx *tx, const char *name, const char *holder,
                                   int64_t now, int64_t ttl, struct fp_diag *diag);

/* ---- when an update version was first seen (a baseline's "released" fallback) ---- */
/* Records now if the tuple is new; *first = the first sighting. */
enum fp_err fp_store_first_seen(struct fp_tx *tx, const char *family, const char *name,
                                const char *arch, const char *version, int64_t now,
                                int64_t *first, struct fp_diag *diag);

/* ---- jobs ---- */
/* Withdraw a job that is still queued (never delivered): it finishes FAILED with detail.
 * FP_ENOTFOUND when it is not queued any more. */
enum fp_err fp_store_job_withdraw(struct fp_tx *tx, const char *id, const char *detail,
                                  int64_t now, struct fp_diag *diag);

/* ---- catch-up runs (baseline catch-up of hosts that were away) ---- */
struct fp_catchup_rec {
        const char *host, *baseline, *state; /* state: waiting, patching, handback, done, failed */
        const char *job, *hook_job;         /* "" when none */
        int64_t since, updated;
};
enum fp_err fp_store_catchup_put(struct fp_tx *tx, const struct fp_catchup_rec *c,
                                 struct fp_diag *diag);
enum fp_err fp_store_catchup_get(struct fp_tx *tx, const char *host, struct fp_catchup_rec *out,
                                 struct fp_diag *diag);
typedef bool (*fp_catchup_cb)(void *ctx, const struct fp_catchup_rec *c);
enum fp_err fp_store_catchup_list(struct fp_tx *tx, fp_catchup_cb cb, void *ctx,
                                  struct fp_diag *diag);

#endif
