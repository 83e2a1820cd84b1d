/*
 * What a store engine implements (include/fleetpatch/store.h is the contract). Every
 * transaction-scoped operation is listed once here; store.c generates the public functions
 * that forward to the engine of the transaction's store. A PostgreSQL engine fills the same
 * table.
 */
#ifndef FP_STORE_ENGINE_H
#define FP_STORE_ENGINE_H

#include "fleetpatch/store.h"
#include "fleetpatch/store_orch.h"
#include "store/ops_audit.h"
#include "store/ops_comply.h"
#include "store/ops_notify.h"
#include "store/ops_track.h"

/* What a transaction may do (fp_store_begin, fp_store_begin_rows). */
enum sq_tx_kind {
        SQ_TX_READ,
        SQ_TX_WRITE, /* serialised with every other writer */
        SQ_TX_ROWS,  /* one-statement writes by key, not serialised (fp_store_begin_rows) */
};

/* X(name, parameters, arguments): fp_store_<name> forwards to engine->name. */
#define FP_STORE_TX_OPS(X)                                                                         \
        X(account_create, (struct fp_tx * tx, const struct fp_account_rec *a, struct fp_diag *diag),  \
          (tx, a, diag))                                                                           \
        X(account_get,                                                                             \
          (struct fp_tx * tx, const char *name, struct fp_account_rec *out, struct fp_diag *diag),   \
          (tx, name, out, diag))                                                                   \
        X(account_list, (struct fp_tx * tx, fp_account_cb cb, void *ctx, struct fp_diag *diag),     \
          (tx, cb, ctx, diag))                                                                     \
        X(user_create,                                                                             \
          (struct fp_tx * tx, const char *name, const char *pwhash, int64_t *id,                   \
           struct fp_diag *diag),                                                                  \
          (tx, name, pwhash, id, diag))                                                            \
        X(user_get, (struct fp_tx * tx, const char *name, struct fp_user_rec *out,                 \
                     struct fp_diag *diag),                                                        \
          (tx, name, out, diag))                                                                   \
        X(user_get_id, (struct fp_tx * tx, int64_t id, struct fp_user_rec *out,                    \
                        struct fp_diag *diag),                                                     \
          (tx, id, out, diag))                                                                     \
        X(user_list, (struct fp_tx * tx, fp_user_cb cb, void *ctx, struct fp_diag *diag),          \
          (tx, cb, ctx, diag))                                                                     \
        X(user_count, (struct fp_tx * tx, int64_t *n, struct fp_diag *diag), (tx, n, diag))        \
        X(grant_set, (struct fp_tx * tx, int64_t user, const char *account, enum fp_role role,     \
                      struct fp_diag *diag),                                                       \
          (tx, user, account, role, diag))                                                         \
        X(grant_delete,                                                                            \
          (struct fp_tx * tx, int64_t user, const char *account, struct fp_diag *diag),            \
          (tx, user, account, diag))                                                               \
        X(token_create, (struct fp_tx * tx, const struct fp_token_rec *t, struct fp_diag *diag),   \
          (tx, t, diag))                                                                           \
        X(token_get, (struct fp_tx * tx, const char *id, struct fp_token_rec *out,                 \
                      struct fp_diag *diag),                                                       \
          (tx, id, out, diag))                                                                     \
        X(token_list_user, (struct fp_tx * tx, int64_t user, fp_token_cb cb, void *ctx,            \
                            struct fp_diag *diag),                                                 \
          (tx, user, cb, ctx, diag))                                                               \
        X(token_revoke, (struct fp_tx * tx, const char *id, struct fp_diag *diag), (tx, id, diag)) \
        X(token_revoke_host, (struct fp_tx * tx, const char *host, struct fp_diag *diag),          \
          (tx, host, diag))                                                                        \
        X(token_use, (struct fp_tx * tx, const char *id, struct fp_diag *diag), (tx, id, diag))    \
        X(host_create, (struct fp_tx * tx, const struct fp_host_rec *h, struct fp_diag *diag),     \
          (tx, h, diag))                                                                           \
        X(host_get, (struct fp_tx * tx, const char *id, struct fp_host_rec *out,                   \
                     struct fp_diag *diag),                                                        \
          (tx, id, out, diag))                                                                     \
        X(host_by_machine, (struct fp_tx * tx, const char *account, const char *machine_id,        \
                            struct fp_host_rec *out, struct fp_diag *diag),                        \
          (tx, account, machine_id, out, diag))                                                    \
        X(host_checkin, (struct fp_tx * tx, const char *id, const char *hostname,                  \
                         const char *region, const char *facts_json, int64_t seq, int64_t now,     \
                         struct fp_diag *diag),                                                    \
          (tx, id, hostname, region, facts_json, seq, now, diag))                                  \
        X(host_checkin_next, (struct fp_tx * tx, const char *id, const char *hostname,             \
                              const char *region, const char *facts_json, int64_t seq,             \
                              int64_t now, struct fp_diag *diag),                                  \
          (tx, id, hostname, region, facts_json, seq, now, diag))                                  \
        X(host_seq_regressed, (struct fp_tx * tx, const char *id, struct fp_diag *diag),           \
          (tx, id, diag))                                                                          \
        X(host_set_inventory,                                                                      \
          (struct fp_tx * tx, const char *id, const char *os_id, const char *os_release,           \
           const char *hash, const char *inventory_json, const struct fp_host_counts *c,           \
           int64_t now, struct fp_diag *diag),                                                     \
          (tx, id, os_id, os_release, hash, inventory_json, c, now, diag))                         \
        X(host_set_counts, (struct fp_tx * tx, const char *id, const struct fp_host_counts *c,     \
                            struct fp_diag *diag),                                                 \
          (tx, id, c, diag))                                                                       \
        X(setting_get, (struct fp_tx * tx, const char *name, const char **value,                   \
                        struct fp_diag *diag),                                                     \
          (tx, name, value, diag))                                                                 \
        X(setting_put, (struct fp_tx * tx, const char *name, const char *value, int64_t now,       \
                        struct fp_diag *diag),                                                     \
          (tx, name, value, now, diag))                                                            \
        X(host_inventory, (struct fp_tx * tx, const char *id, const char **json,                   \
                           struct fp_diag *diag),                                                  \
          (tx, id, json, diag))                                                                    \
        X(host_set_tags, (struct fp_tx * tx, const char *id, bool api, const char *tags_json,      \
                          struct fp_diag *diag),                                                   \
          (tx, id, api, tags_json, diag))                                                          \
        X(host_delete, (struct fp_tx * tx, const char *id, struct fp_diag *diag), (tx, id, diag))  \
        X(host_list, (struct fp_tx * tx, const struct fp_host_filter *f, fp_host_cb cb, void *ctx, \
                      struct fp_diag *diag),                                                       \
          (tx, f, cb, ctx, diag))                                                                  \
        X(job_create, (struct fp_tx * tx, const struct fp_job_rec *j, struct fp_diag *diag),       \
          (tx, j, diag))                                                                           \
        X(job_get, (struct fp_tx * tx, const char *id, struct fp_job_rec *out,                     \
                    struct fp_diag *diag),                                                         \
          (tx, id, out, diag))                                                                     \
        X(job_pending, (struct fp_tx * tx, const char *host, fp_job_cb cb, void *ctx,              \
                        struct fp_diag *diag),                                                     \
          (tx, host, cb, ctx, diag))                                                               \
        X(job_mark_delivered, (struct fp_tx * tx, const char *id, int64_t now,                     \
                               struct fp_diag *diag),                                              \
          (tx, id, now, diag))                                                                     \
        X(job_finish, (struct fp_tx * tx, const char *id, enum fp_job_status st,                   \
                       const char *detail, const char *result_json, int64_t now,                   \
                       struct fp_diag *diag),                                                      \
          (tx, id, st, detail, result_json, now, diag))                                            \
        X(job_progress, (struct fp_tx * tx, const char *id, const char *phase,                     \
                         const char *log_chunk, int64_t now, struct fp_diag *diag),                \
          (tx, id, phase, log_chunk, now, diag))                                                   \
        X(job_list_host, (struct fp_tx * tx, const char *host, const char *after_id, size_t limit, \
                          fp_job_cb cb, void *ctx, struct fp_diag *diag),                          \
          (tx, host, after_id, limit, cb, ctx, diag))                                              \
        X(host_set_identity, (struct fp_tx * tx, const char *id, const char *machine_id,           \
                              const char *boot_id, const char *instance_id,                        \
                              const char *regress_boot, struct fp_diag *diag),                     \
          (tx, id, machine_id, boot_id, instance_id, regress_boot, diag))                          \
        X(host_set_catchup, (struct fp_tx * tx, const char *id, const char *catchup_json,          \
                             int64_t since, struct fp_diag *diag),                                 \
          (tx, id, catchup_json, since, diag))                                                     \
        X(installed_put, (struct fp_tx * tx, const struct fp_installed_rec *r,                     \
                          struct fp_diag *diag),                                                   \
          (tx, r, diag))                                                                           \
        X(installed_drop_job, (struct fp_tx * tx, const char *host, const char *job,               \
                               struct fp_diag *diag),                                              \
          (tx, host, job, diag))                                                                   \
        X(installed_list, (struct fp_tx * tx, const char *host, fp_installed_cb cb, void *ctx,     \
                           struct fp_diag *diag),                                                  \
          (tx, host, cb, ctx, diag))

/* The orchestration operations (include/fleetpatch/store_orch.h), same pattern. */
#define FP_STORE_ORCH_OPS(X) \
        X(doc_put, (struct fp_tx * tx, const struct fp_doc_rec *d, bool create, struct fp_diag *diag), (tx, d, create, diag)) \
        X(doc_get, (struct fp_tx * tx, enum fp_doc_kind kind, const char *account, const char *name, struct fp_doc_rec *out, struct fp_diag *diag), (tx, kind, account, name, out, diag)) \
        X(doc_list, (struct fp_tx * tx, enum fp_doc_kind kind, const char *account, fp_doc_cb cb, void *ctx, struct fp_diag *diag), (tx, kind, account, cb, ctx, diag)) \
        X(doc_delete, (struct fp_tx * tx, enum fp_doc_kind kind, const char *account, const char *name, struct fp_diag *diag), (tx, kind, account, name, diag)) \
        X(cr_create, (struct fp_tx * tx, const struct fp_cr_rec *c, struct fp_diag *diag), (tx, c, diag)) \
        X(cr_get, (struct fp_tx * tx, const char *id, struct fp_cr_rec *out, struct fp_diag *diag), (tx, id, out, diag)) \
        X(cr_list, (struct fp_tx * tx, const char *account, const char *state, fp_cr_cb cb, void *ctx, struct fp_diag *diag), (tx, account, state, cb, ctx, diag)) \
        X(cr_set_state, (struct fp_tx * tx, const char *id, const char *state, bool review_pending, const char *reviewed_by, int64_t now, struct fp_diag *diag), (tx, id, state, review_pending, reviewed_by, now, diag)) \
        X(cr_vote_add, (struct fp_tx * tx, const struct fp_cr_vote *v, struct fp_diag *diag), (tx, v, diag)) \
        X(cr_vote_list, (struct fp_tx * tx, const char *cr, fp_cr_vote_cb cb, void *ctx, struct fp_diag *diag), (tx, cr, cb, ctx, diag)) \
        X(cr_update_add, (struct fp_tx * tx, const struct fp_cr_update *u, struct fp_diag *diag), (tx, u, diag)) \
        X(cr_update_list, (struct fp_tx * tx, const char *cr, const char *host, fp_cr_update_cb cb, void *ctx, struct fp_diag *diag), (tx, cr, host, cb, ctx, diag)) \
        X(rollout_put, (struct fp_tx * tx, const struct fp_rollout_rec *r, struct fp_diag *diag), (tx, r, diag)) \
        X(rollout_get, (struct fp_tx * tx, const char *cr, struct fp_rollout_rec *out, struct fp_diag *diag), (tx, cr, out, diag)) \
        X(rollout_list, (struct fp_tx * tx, bool active, fp_rollout_cb cb, void *ctx, struct fp_diag *diag), (tx, active, cb, ctx, diag)) \
        X(rollout_host_put, (struct fp_tx * tx, const struct fp_rollout_host_rec *h, struct fp_diag *diag), (tx, h, diag)) \
        X(rollout_host_list, (struct fp_tx * tx, const char *cr, fp_rollout_host_cb cb, void *ctx, struct fp_diag *diag), (tx, cr, cb, ctx, diag)) \
        X(host_seen, (struct fp_tx * tx, const char *account, fp_host_seen_cb cb, void *ctx, struct fp_diag *diag), (tx, account, cb, ctx, diag)) \
        X(lease_acquire, (struct fp_tx * tx, const char *name, const char *holder, int64_t now, int64_t ttl, struct fp_diag *diag), (tx, name, holder, now, ttl, diag)) \
        X(first_seen, (struct fp_tx * tx, const char *family, const char *name, const char *arch, const char *version, int64_t now, int64_t *first, struct fp_diag *diag), (tx, family, name, arch, version, now, first, diag)) \
        X(job_withdraw, (struct fp_tx * tx, const char *id, const char *detail, int64_t now, struct fp_diag *diag), (tx, id, detail, now, diag)) \
        X(catchup_put, (struct fp_tx * tx, const struct fp_catchup_rec *c, struct fp_diag *diag), (tx, c, diag)) \
        X(catchup_get, (struct fp_tx * tx, const char *host, struct fp_catchup_rec *out, struct fp_diag *diag), (tx, host, out, diag)) \
        X(catchup_list, (struct fp_tx * tx, fp_catchup_cb cb, void *ctx, struct fp_diag *diag), (tx, cb, ctx, diag))

struct fp_store_engine {
        const char *name;
        enum fp_err (*open)(const char *target, struct fp_store **out, struct fp_diag *diag);
        void (*close)(struct fp_store *s);
        enum fp_err (*ping)(struct fp_store *s, struct fp_diag *diag);
        /* NULL: one process per database (nothing to signal) */
        enum fp_err (*signal)(struct fp_store *s, const char *msg, struct fp_diag *diag);
        enum fp_err (*listen)(struct fp_store *s, fp_store_signal_cb cb, void *ctx,
                              struct fp_diag *diag);
        enum fp_err (*begin)(struct fp_store *s, enum sq_tx_kind kind, struct fp_tx **out,
                             struct fp_diag *diag);
        enum fp_err (*commit)(struct fp_tx *tx, struct fp_diag *diag);
        void (*rollback)(struct fp_tx *tx);
#define FP_ENGINE_MEMBER(name, params, args) enum fp_err(*name) params;
        FP_STORE_TX_OPS(FP_ENGINE_MEMBER)
        FP_STORE_ORCH_OPS(FP_ENGINE_MEMBER)
        FP_STORE_AUDIT_OPS(FP_ENGINE_MEMBER)
        FP_STORE_NOTIFY_OPS(FP_ENGINE_MEMBER)
        FP_STORE_COMPLY_OPS(FP_ENGINE_MEMBER)
        FP_STORE_TRACK_OPS(FP_ENGINE_MEMBER)
#undef FP_ENGINE_MEMBER
};

/* Every engine's store and transaction start with these, so store.c can dispatch. */
struct fp_store_base {
        const struct fp_store_engine *engine;
};
struct fp_tx_base {
        const struct fp_store_engine *engine;
        struct fp_arena arena;
        /* fp_tx_before_commit (store_audit.h): run once by fp_tx_commit, inside the transaction */
        fp_tx_hook before_commit;
        void *before_commit_ctx;
};

extern const struct fp_store_engine fp_store_sqlite_engine;
extern const struct fp_store_engine fp_store_pg_engine;

#endif
