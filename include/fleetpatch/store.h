/*
 * The control plane's store: one interface, engines behind it (SQLite now; PostgreSQL next).
 *
 * Everything goes through a transaction: fp_store_begin() → operations → fp_tx_commit() or
 * fp_tx_rollback(). A request of the API is one transaction, so a failed request writes
 * nothing. Nothing engine-specific leaks out: no SQL, no rowids, no engine error codes.
 * Identifiers are text (16 lowercase hex characters for hosts, tokens and jobs; names for
 * accounts and users), times are UTC seconds, JSON documents are text the server validated.
 * Strings returned by a read live in the transaction's arena until commit/rollback.
 * A store may be used from many threads; each transaction belongs to one thread.
 */
#ifndef FLEETPATCH_STORE_H
#define FLEETPATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

struct fp_store;
struct fp_tx;

/* "sqlite:PATH" or a plain path (SQLite); "postgresql://..." or "postgres://..." (a libpq
 * URI: PostgreSQL, docs/server.md). Opening creates or migrates the schema; a schema newer
 * than this program is refused. */
enum fp_err fp_store_open(const char *url, struct fp_store **out, struct fp_diag *diag);
void fp_store_close(struct fp_store *s);
const char *fp_store_engine(const struct fp_store *s); /* "sqlite" or "postgresql" */
/* A cheap round trip to the database (for /readyz). */
enum fp_err fp_store_ping(struct fp_store *s, struct fp_diag *diag);

/* Hints between the processes sharing one database (PostgreSQL: NOTIFY/LISTEN; SQLite has one
 * process: nothing to send, nothing to hear). fp_store_signal sends msg (at most
 * FP_STORE_SIGNAL_MAX bytes) to the other processes; fp_store_listen has cb(ctx, msg) called
 * on a thread of the store's for each message of another process, until the store closes or
 * fp_store_listen(s, NULL, NULL, NULL) stops it. A message may be lost (a reconnect): it is a
 * hint to act sooner, never the state itself. */
#define FP_STORE_SIGNAL_MAX 1000
typedef void (*fp_store_signal_cb)(void *ctx, const char *msg);
enum fp_err fp_store_signal(struct fp_store *s, const char *msg, struct fp_diag *diag);
enum fp_err fp_store_listen(struct fp_store *s, fp_store_signal_cb cb, void *ctx,
                            struct fp_diag *diag);

/* write = the transaction will write (the engine serialises writers up front, so a write
 * transaction never fails half-way because another writer came first). */
enum fp_err fp_store_begin(struct fp_store *s, bool write, struct fp_tx **out,
                           struct fp_diag *diag);
/* A writer that is not serialised with the others, for writes that are correct under row
 * locks alone: single statements that change one row by its key and carry their own condition
 * (fp_store_host_checkin_next). On PostgreSQL each statement commits on its own (one round
 * trip, no wait for the writers' lock: the steady check-in of a large fleet); on SQLite it is
 * a write transaction like any. Commit or roll back as usual; on PostgreSQL a rollback undoes
 * nothing. */
enum fp_err fp_store_begin_rows(struct fp_store *s, struct fp_tx **out, struct fp_diag *diag);
enum fp_err fp_tx_commit(struct fp_tx *tx, struct fp_diag *diag);
void fp_tx_rollback(struct fp_tx *tx);
/* The arena that owns the strings this transaction's reads return. */
struct fp_arena *fp_tx_arena(struct fp_tx *tx);

/* ---- roles ---- */
enum fp_role { FP_ROLE_NONE = 0, FP_ROLE_VIEWER, FP_ROLE_OPERATOR, FP_ROLE_APPROVER, FP_ROLE_ADMIN };
const char *fp_role_name(enum fp_role r);
enum fp_role fp_role_parse(const char *s); /* FP_ROLE_NONE if unknown */

/* ---- accounts ---- */
struct fp_account_rec {
        const char *name, *display;
        const char **regions;
        size_t region_count;
        int64_t created;
};
/* FP_EEXIST when the name is taken. */
enum fp_err fp_store_account_create(struct fp_tx *tx, const struct fp_account_rec *a,
                                    struct fp_diag *diag);
/* FP_ENOTFOUND when absent. */
enum fp_err fp_store_account_get(struct fp_tx *tx, const char *name, struct fp_account_rec *out,
                                 struct fp_diag *diag);
typedef bool (*fp_account_cb)(void *ctx, const struct fp_account_rec *a);
enum fp_err fp_store_account_list(struct fp_tx *tx, fp_account_cb cb, void *ctx,
                                  struct fp_diag *diag);

/* ---- users, grants ---- */
struct fp_grant {
        const char *account; /* "*" = every account */
        enum fp_role role;
};
struct fp_user_rec {
        int64_t id;
        const char *name;
        const char *pwhash; /* crypto_pwhash_str, or NULL (token-only user) */
        int64_t created;
        struct fp_grant *grants;
        size_t grant_count;
};
enum fp_err fp_store_user_create(struct fp_tx *tx, const char *name, const char *pwhash,
                                 int64_t *id, struct fp_diag *diag);
enum fp_err fp_store_user_get(struct fp_tx *tx, const char *name, struct fp_user_rec *out,
                              struct fp_diag *diag);
enum fp_err fp_store_user_get_id(struct fp_tx *tx, int64_t id, struct fp_user_rec *out,
                                 struct fp_diag *diag);
typedef bool (*fp_user_cb)(void *ctx, const struct fp_user_rec *u);
enum fp_err fp_store_user_list(struct fp_tx *tx, fp_user_cb cb, void *ctx, struct fp_diag *diag);
enum fp_err fp_store_user_count(struct fp_tx *tx, int64_t *n, struct fp_diag *diag);
/* Sets (insert or replace) the user's role on the account. */
enum fp_err fp_store_grant_set(struct fp_tx *tx, int64_t user, const char *account,
                               enum fp_role role, struct fp_diag *diag);
/* FP_ENOTFOUND when the user had no grant there. */
enum fp_err fp_store_grant_delete(struct fp_tx *tx, int64_t user, const char *account,
                                  struct fp_diag *diag);

/* ---- credentials ----
 * Three kinds of bearer tokens (docs/api.md); the store keeps the public id and a hash of
 * the secret, never the secret. */
enum fp_token_kind { FP_TOKEN_USER, FP_TOKEN_ENROLL, FP_TOKEN_AGENT };
struct fp_token_rec {
        const char *id; /* 16 hex */
        enum fp_token_kind kind;
        const char *hash; /* 64 hex: BLAKE2b-256 of the secret */
        const char *name;
        int64_t user;        /* USER: owner */
        const char *account; /* ENROLL: the account hosts join */
        const char *host;    /* AGENT: the host */
        const char *region;  /* ENROLL: default region, may be NULL */
        const char *tags_json; /* ENROLL: tags given to enrolled hosts, "{}" when none */
        int64_t created, expires; /* expires 0 = never */
        int64_t uses_left;        /* ENROLL */
        bool revoked;
        const char *clone_of; /* ENROLL made by a clone detection: the original host, else "" */
};
enum fp_err fp_store_token_create(struct fp_tx *tx, const struct fp_token_rec *t,
                                  struct fp_diag *diag);
enum fp_err fp_store_token_get(struct fp_tx *tx, const char *id, struct fp_token_rec *out,
                               struct fp_diag *diag);
/* A user's tokens (USER kind), newest first. */
typedef bool (*fp_token_cb)(void *ctx, const struct fp_token_rec *t);
enum fp_err fp_store_token_list_user(struct fp_tx *tx, int64_t user, fp_token_cb cb, void *ctx,
                                     struct fp_diag *diag);
enum fp_err fp_store_token_revoke(struct fp_tx *tx, const char *id, struct fp_diag *diag);
/* Revoke every AGENT token of a host (re-enrollment, decommission). */
enum fp_err fp_store_token_revoke_host(struct fp_tx *tx, const char *host, struct fp_diag *diag);
/* ENROLL: one use; FP_ELIMIT when none was left. */
enum fp_err fp_store_token_use(struct fp_tx *tx, const char *id, struct fp_diag *diag);

/* ---- hosts ---- */
enum fp_compliance { FP_COMPL_UNKNOWN = 0, FP_COMPL_COMPLIANT, FP_COMPL_NONCOMPLIANT };
const char *fp_compliance_name(enum fp_compliance c);

/* Per-host counts the server derives from an inventory (kept for lists and summaries). */
struct fp_host_counts {
        int64_t packages, updates, security_updates;
        int64_t sev[6]; /* exposed findings by enum fp_severity (unknown .. critical) */
        int64_t kev, overdue;
        enum fp_compliance compliance;
};

struct fp_host_rec {
        const char *id, *account, *hostname, *region, *machine_id;
        const char *os_id, *os_release;  /* normalised distro and release, may be "" */
        const char *facts_json;          /* validated facts document */
        const char *agent_tags_json;     /* tags the agent/enrollment set */
        const char *api_tags_json;       /* tags set through the API (win over agent tags) */
        const char *inventory_hash;      /* "" until the first inventory */
        int64_t created, last_seen, inventory_at, last_seq, seq_regressions;
        struct fp_host_counts counts;
        /* Catch-up (docs/jobs.md): a JSON array of reason strings, "[]" = none, and when the
         * first of them was set (0 = none). */
        const char *catchup_json;
        int64_t catchup_since;
        /* Identity as last reported (clone and reboot detection), "" when unknown. */
        const char *boot_id, *instance_id;
        const char *regress_boot; /* boot id of the last check-in that regressed its seq */
        const char *cloned_from;  /* the host this one was enrolled as a clone of, or "" */
};
enum fp_err fp_store_host_create(struct fp_tx *tx, const struct fp_host_rec *h,
                                 struct fp_diag *diag);
enum fp_err fp_store_host_get(struct fp_tx *tx, const char *id, struct fp_host_rec *out,
                              struct fp_diag *diag);
/* The host of an account with this machine id, if any (re-enrollment). */
enum fp_err fp_store_host_by_machine(struct fp_tx *tx, const char *account,
                                     const char *machine_id, struct fp_host_rec *out,
                                     struct fp_diag *diag);
/* Identity as reported; NULL keeps a value. */
enum fp_err fp_store_host_set_identity(struct fp_tx *tx, const char *id, const char *machine_id,
                                       const char *boot_id, const char *instance_id,
                                       const char *regress_boot, struct fp_diag *diag);
/* The catch-up reasons (a JSON array, "[]" clears) and since when (0 with "[]"). */
enum fp_err fp_store_host_set_catchup(struct fp_tx *tx, const char *id, const char *catchup_json,
                                      int64_t since, struct fp_diag *diag);
/* Versions that succeeded, verified jobs installed on a host (catch-up checks them). */
struct fp_installed_rec {
        const char *host, *name, *arch, *version, *job;
        int64_t at;
};
/* Insert or replace the record of (host, name, arch). */
enum fp_err fp_store_installed_put(struct fp_tx *tx, const struct fp_installed_rec *r,
                                   struct fp_diag *diag);
/* Forget what one job installed (a rollback replaces those records). */
enum fp_err fp_store_installed_drop_job(struct fp_tx *tx, const char *host, const char *job,
                                        struct fp_diag *diag);
typedef bool (*fp_installed_cb)(void *ctx, const struct fp_installed_rec *r);
/* A host's records ordered by name, arch. */
enum fp_err fp_store_installed_list(struct fp_tx *tx, const char *host, fp_installed_cb cb,
                                    void *ctx, struct fp_diag *diag);
/* Check-in: facts, region, hostname, seq, last_seen. */
enum fp_err fp_store_host_checkin(struct fp_tx *tx, const char *id, const char *hostname,
                                  const char *region, const char *facts_json, int64_t seq,
                                  int64_t now, struct fp_diag *diag);
/* The same when seq is above the stored one, in the same statement; FP_ENOTFOUND when it is
 * not (a replay or a concurrent check-in) or the host is gone: the caller judges why. */
enum fp_err fp_store_host_checkin_next(struct fp_tx *tx, const char *id, const char *hostname,
                                       const char *region, const char *facts_json, int64_t seq,
                                       int64_t now, struct fp_diag *diag);
enum fp_err fp_store_host_seq_regressed(struct fp_tx *tx, const char *id, struct fp_diag *diag);
/* A new inventory with what the server derived from it. */
enum fp_err fp_store_host_set_inventory(struct fp_tx *tx, const char *id, const char *os_id,
                                        const char *os_release, const char *hash,
                                        const char *inventory_json,
                                        const struct fp_host_counts *c, int64_t now,
                                        struct fp_diag *diag);
/* Re-derived counts (feeds changed) without a new inventory. */
enum fp_err fp_store_host_set_counts(struct fp_tx *tx, const char *id,
                                     const struct fp_host_counts *c, struct fp_diag *diag);
enum fp_err fp_store_host_inventory(struct fp_tx *tx, const char *id, const char **json,
                                    struct fp_diag *diag);
/* The server's named state shared by every replica (value: at most FP_STORE_SETTING_MAX bytes;
 * get: FP_ENOTFOUND when unset, the value valid for the transaction). */
#define FP_STORE_SETTING_MAX 1024
enum fp_err fp_store_setting_get(struct fp_tx *tx, const char *name, const char **value,
                                 struct fp_diag *diag);
enum fp_err fp_store_setting_put(struct fp_tx *tx, const char *name, const char *value,
                                 int64_t now, struct fp_diag *diag);
enum fp_err fp_store_host_set_tags(struct fp_tx *tx, const char *id, bool api,
                                   const char *tags_json, struct fp_diag *diag);
/* Delete the host, its credentials and jobs. */
enum fp_err fp_store_host_delete(struct fp_tx *tx, const char *id, struct fp_diag *diag);

struct fp_tag_filter {
        const char *key, *value;
};
struct fp_host_filter {
        const char *const *accounts; /* visible accounts; NULL = every account */
        size_t account_count;
        const char *account, *region, *os; /* exact; os matches os_id or os_id:os_release */
        const struct fp_tag_filter *tags;   /* all must match the effective tags */
        size_t tag_count;
        int64_t seen_after;   /* 0 = any */
        int compliance;       /* -1 = any, else enum fp_compliance */
        int catchup;          /* 0 = any, 1 = needs catch-up, 2 = does not */
        const char *after_id; /* paging: ids greater than this */
        size_t limit;         /* 0 = no limit */
        /* The dashboard's table (docs/dashboard.md): a hostname substring (case-insensitive,
         * NULL = any), the cloud zone (facts cloud.zone, exact), the order and an offset into it
         * (after_id is for the id order), and when count_out is set the number of matching
         * hosts regardless of after_id, offset and limit. */
        const char *search, *zone;
        enum fp_host_sort { FP_HOST_SORT_ID, FP_HOST_SORT_HOSTNAME, FP_HOST_SORT_ACCOUNT,
                            FP_HOST_SORT_REGION, FP_HOST_SORT_ZONE, FP_HOST_SORT_OS,
                            FP_HOST_SORT_LAST_SEEN, FP_HOST_SORT_COMPLIANCE,
                            FP_HOST_SORT_RISK } sort;
        bool desc;
        size_t offset;
        int64_t *count_out;
};
typedef bool (*fp_host_cb)(void *ctx, const struct fp_host_rec *h);
/* Hosts matching the filter, ordered by id. */
enum fp_err fp_store_host_list(struct fp_tx *tx, const struct fp_host_filter *f, fp_host_cb cb,
                               void *ctx, struct fp_diag *diag);

/* ---- jobs ---- */
/* Finished is SUCCEEDED or FAILED (>= FP_JOB_SUCCEEDED); the others are still pending. */
enum fp_job_status {
        FP_JOB_QUEUED,
        FP_JOB_DELIVERED,
        FP_JOB_RUNNING,
        FP_JOB_SUCCEEDED,
        FP_JOB_FAILED
};
const char *fp_job_status_name(enum fp_job_status s);
struct fp_job_rec {
        const char *id, *host, *account, *type, *params_json, *detail, *created_by;
        enum fp_job_status status;
        int64_t created, delivered, finished;
        int64_t updated;         /* last progress report, 0 = none */
        const char *phase;       /* "" until the agent reports one */
        const char *result_json; /* NULL until finished with a result */
        const char *log;         /* "" when none; lists leave it "" (get reads it) */
        bool log_truncated;      /* the log reached FP_MAX_JOB_LOG and ends with the marker */
};
/* What a truncated log ends with; the log with it is at most FP_MAX_JOB_LOG bytes. */
#define FP_JOB_LOG_MARKER "\n[fleetpatchd: log truncated, the first part is kept]\n"
enum fp_err fp_store_job_create(struct fp_tx *tx, const struct fp_job_rec *j,
                                struct fp_diag *diag);
enum fp_err fp_store_job_get(struct fp_tx *tx, const char *id, struct fp_job_rec *out,
                             struct fp_diag *diag);
typedef bool (*fp_job_cb)(void *ctx, const struct fp_job_rec *j);
/* Jobs of a host that are queued or delivered but not finished, oldest first. */
enum fp_err fp_store_job_pending(struct fp_tx *tx, const char *host, fp_job_cb cb, void *ctx,
                                 struct fp_diag *diag);
enum fp_err fp_store_job_mark_delivered(struct fp_tx *tx, const char *id, int64_t now,
                                        struct fp_diag *diag);
/* Finish a pending job (result_json may be NULL); FP_ENOTFOUND when absent or finished. */
enum fp_err fp_store_job_finish(struct fp_tx *tx, const char *id, enum fp_job_status st,
                                const char *detail, const char *result_json, int64_t now,
                                struct fp_diag *diag);
/* A progress report: the job becomes RUNNING with this phase (NULL keeps it) and the chunk is
 * appended to its log, which keeps its first FP_MAX_JOB_LOG bytes and then the marker.
 * FP_ENOTFOUND when absent or finished. */
enum fp_err fp_store_job_progress(struct fp_tx *tx, const char *id, const char *phase,
                                  const char *log_chunk, int64_t now, struct fp_diag *diag);
/* A host's jobs, newest first (created, then id), without their logs; after_id: the page
 * starts below that job (FP_ENOTFOUND when it is not a job of the host); limit 0 = 100. */
enum fp_err fp_store_job_list_host(struct fp_tx *tx, const char *host, const char *after_id,
                                   size_t limit, fp_job_cb cb, void *ctx, struct fp_diag *diag);

/* ---- identifiers and secrets (store.c) ---- */
/* 16 lowercase hex characters from the CSPRNG. */
void fp_new_id(char out[17]);
/* A new bearer token "<kind>_<id>_<secret>" (fpu/fpe/fpa) and the hash of its secret. */
void fp_new_token(const char *prefix, char id[17], char token[88], char hash[65]);
/* Split a bearer token into prefix/id/secret hash; false when malformed. */
bool fp_token_split(const char *token, char prefix[4], char id[17], char hash[65]);
/* Constant-time comparison of two 64-hex hashes. */
bool fp_hash_equal(const char *a, const char *b);

/* Orchestration: baselines, windows, change requests, rollouts (store_orch.h). */
#include "fleetpatch/store_orch.h"

#endif
