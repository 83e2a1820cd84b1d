/*
 * The store's tracking part (docs/tracking.md): the exposures history (host × vulnerability ×
 * package, opened and fixed at check-in), tracking records per vulnerability × scope with
 * their history and linked change requests, resolver rules, and the before/after snapshots of
 * patch jobs that evidence bundles carry. Same rules as store.h: every call is inside a
 * transaction, strings of reads live in the transaction's arena.
 */
#ifndef FLEETPATCH_STORE_TRACK_H
#define FLEETPATCH_STORE_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_tx;

/* ---- exposures ---- */
/* One exposure of a host to a vulnerability (vuln: "CVE-...", or the advisory id when the
 * advisory names no CVE) through one package. A row is open while fixed_at is 0; when the
 * finding disappears from the host's findings it is fixed (fixed_at, fixed_inventory: the
 * inventory hash that showed it gone). The same finding coming back later is a new row. */
struct fp_exposure_rec {
        const char *host, *account, *vuln, *package, *arch;
        const char *installed;     /* the version installed when last seen */
        const char *fixed_version; /* the version that fixes it, "" when none is known */
        const char *advisories;    /* "DSA-5380-1 (dsa), ..." */
        const char *severity;      /* fp_severity_name */
        const char *scheme;        /* "deb" | "rpm" | "apk" */
        bool kev;
        int64_t sla_due;   /* 0 = none */
        int64_t exception; /* the exception that covers it (accepted/dismissed), 0 = none */
        const char *track; /* the tracking record it belongs to, "" = none */
        int64_t first_seen, fixed_at;
        const char *fixed_inventory; /* "" while open */
};
typedef bool (*fp_exposure_cb)(void *ctx, const struct fp_exposure_rec *e);
/* Exposures of account (NULL = every account) open at or after since: open ones and those
 * fixed at or after since (0 = the whole history), ordered by first_seen, host. */
enum fp_err fp_store_exposure_list(struct fp_tx *tx, const char *account, int64_t since,
                                   fp_exposure_cb cb, void *ctx, struct fp_diag *diag);
/* The open exposures of a host, ordered by vuln, package, arch. */
enum fp_err fp_store_exposure_host(struct fp_tx *tx, const char *host, fp_exposure_cb cb,
                                   void *ctx, struct fp_diag *diag);
/* Insert a new open exposure (FP_EEXIST when it is open already). */
enum fp_err fp_store_exposure_open(struct fp_tx *tx, const struct fp_exposure_rec *e,
                                   struct fp_diag *diag);
/* Update the open row of (host, vuln, package, arch): installed, fixed_version, advisories,
 * severity, kev, sla_due, exception, track. */
enum fp_err fp_store_exposure_update(struct fp_tx *tx, const struct fp_exposure_rec *e,
                                     struct fp_diag *diag);
/* Mark the open row fixed. */
enum fp_err fp_store_exposure_fix(struct fp_tx *tx, const char *host, const char *vuln,
                                  const char *package, const char *arch, int64_t at,
                                  const char *inventory_hash, struct fp_diag *diag);
/* The exposures of a tracking record in its current cycle: open ones, and those fixed at or
 * after since; ordered by host, package, arch. */
enum fp_err fp_store_exposure_of_track(struct fp_tx *tx, const char *track, int64_t since,
                                       fp_exposure_cb cb, void *ctx, struct fp_diag *diag);

/* Only the open ones, by host (an index of open rows: the first few are cheap to find however
 * many of the record's exposures were fixed). */
enum fp_err fp_store_exposure_open_of_track(struct fp_tx *tx, const char *track,
                                            fp_exposure_cb cb, void *ctx, struct fp_diag *diag);

/* The exposures of a tracking record on one host in its current cycle (open ones, and those
 * fixed at or after since), ordered by package, arch, first_seen (the (track, host) index:
 * the cost is the host's rows of the record, not the record's scope). */
enum fp_err fp_store_exposure_of_track_host(struct fp_tx *tx, const char *track,
                                            const char *host, int64_t since, fp_exposure_cb cb,
                                            void *ctx, struct fp_diag *diag);

/* ---- tracking records ---- */
/* state: open | in_progress | resolved | closed | risk_accepted (docs/tracking.md). */
struct fp_track_rec {
        const char *id, *account, *vuln;
        const char *scope;    /* the resolver group the rules gave when it was opened */
        const char *grp;      /* the resolver group it is assigned to now */
        const char *assignee; /* a user, "" = the group */
        const char *state;
        const char *severity; /* the highest among its exposures */
        bool kev;
        int64_t sla_due; /* the earliest among its open exposures, 0 = none */
        const char *advisories;
        int64_t opened;    /* first opened */
        int64_t cycle;     /* when it (re)opened last: the exposures of this cycle count */
        int64_t closed;    /* 0 unless closed */
        int64_t risk_until; /* risk_accepted until then (0 = no acceptance) */
        const char *evidence; /* JSON of the closing evidence, "" until closed */
        int64_t updated;
};
enum fp_err fp_store_track_put(struct fp_tx *tx, const struct fp_track_rec *t,
                               struct fp_diag *diag);
enum fp_err fp_store_track_get(struct fp_tx *tx, const char *id, struct fp_track_rec *out,
                               struct fp_diag *diag);
/* The record of (account, vuln, scope); FP_ENOTFOUND when there is none. */
enum fp_err fp_store_track_find(struct fp_tx *tx, const char *account, const char *vuln,
                                const char *scope, struct fp_track_rec *out,
                                struct fp_diag *diag);
struct fp_track_filter {
        const char *const *accounts; /* visible accounts; NULL = every account */
        size_t account_count;
        const char *account, *state, *grp, *vuln; /* exact; NULL = any */
        const char *after_id;                     /* paging: ids greater than this */
        size_t limit;                             /* 0 = no limit */
};
typedef bool (*fp_track_cb)(void *ctx, const struct fp_track_rec *t);
/* Ordered by id. */
enum fp_err fp_store_track_list(struct fp_tx *tx, const struct fp_track_filter *f,
                                fp_track_cb cb, void *ctx, struct fp_diag *diag);
/* History: append-only (no update or delete exists); seq counts from 1 per record. */
struct fp_track_event {
        const char *track;
        int64_t seq, at;
        const char *actor;  /* "user:NAME", "system" */
        const char *action; /* opened, assigned, comment, linked, resolved, closed, ... */
        const char *detail; /* JSON object text */
};
enum fp_err fp_store_track_event_add(struct fp_tx *tx, const struct fp_track_event *e,
                                     struct fp_diag *diag);
typedef bool (*fp_track_event_cb)(void *ctx, const struct fp_track_event *e);
enum fp_err fp_store_track_event_list(struct fp_tx *tx, const char *track, fp_track_event_cb cb,
                                      void *ctx, struct fp_diag *diag);
/* Links of records and change requests: FP_EEXIST when linked already. */
enum fp_err fp_store_track_link_add(struct fp_tx *tx, const char *track, const char *cr,
                                    int64_t at, struct fp_diag *diag);
typedef bool (*fp_track_link_cb)(void *ctx, const char *track, const char *cr, int64_t at);
/* By record (cr NULL) or by change request (track NULL). */
enum fp_err fp_store_track_link_list(struct fp_tx *tx, const char *track, const char *cr,
                                     fp_track_link_cb cb, void *ctx, struct fp_diag *diag);

/* ---- resolver rules: one validated JSON document per account ---- */
enum fp_err fp_store_rules_put(struct fp_tx *tx, const char *account, const char *document,
                               const char *by, int64_t at, struct fp_diag *diag);
/* FP_ENOTFOUND when the account has none. */
enum fp_err fp_store_rules_get(struct fp_tx *tx, const char *account, const char **document,
                               struct fp_diag *diag);
enum fp_err fp_store_rules_delete(struct fp_tx *tx, const char *account, struct fp_diag *diag);

/* ---- before/after snapshots of patch jobs (evidence bundles) ---- */
struct fp_snap_rec {
        const char *job, *host;
        const char *before_hash, *before; /* inventory hash, JSON {"name/arch": version} */
        int64_t finished;
        const char *after_hash, *after; /* "" until the first inventory after the job */
        int64_t after_at;
};
/* Insert or replace the snapshot of a job. */
enum fp_err fp_store_snap_put(struct fp_tx *tx, const struct fp_snap_rec *s,
                              struct fp_diag *diag);
enum fp_err fp_store_snap_get(struct fp_tx *tx, const char *job, struct fp_snap_rec *out,
                              struct fp_diag *diag);
typedef bool (*fp_snap_cb)(void *ctx, const struct fp_snap_rec *s);
/* A host's snapshots still waiting for their "after" inventory. */
enum fp_err fp_store_snap_pending(struct fp_tx *tx, const char *host, fp_snap_cb cb, void *ctx,
                                  struct fp_diag *diag);

#endif
