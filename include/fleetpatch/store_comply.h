/*
 * The store's compliance part (docs/compliance.md): each host's current compliance state and
 * its history as state changes (one row per change, not per day), a per-account daily rollup
 * of deltas that makes series over time cheap, the mean time to remediate and report schedules.
 * Same rules as store.h: every call is inside a transaction, strings of reads live in the
 * transaction's arena.
 */
#ifndef FLEETPATCH_STORE_COMPLY_H
#define FLEETPATCH_STORE_COMPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_tx;

/* A host's compliance state (docs/compliance.md "States"); REMOVED ends a deleted host's
 * history. The numbers are stored: never reorder. */
enum fp_comply_state {
        FP_CS_UNKNOWN = 0,   /* no inventory yet */
        FP_CS_COMPLIANT,     /* nothing missing */
        FP_CS_NONCOMPLIANT,  /* approved updates missing at the baseline's level, or SLA breach */
        FP_CS_PENDING_REBOOT, /* patched, the new code not running until a reboot */
        FP_CS_CATCHUP,       /* marked as needing catch-up (was away, reverted, downgraded) */
        FP_CS_EXCEPTED,      /* its gaps are all covered by exceptions */
        FP_CS_PROVIDER,      /* patched by its provider (tag patched_by=provider): not a gap */
        FP_CS_REMOVED,       /* deleted (history only) */
};
#define FP_CS_COUNT 8

/* Missing approved updates by the severity of what they fix: [0] none (fixes no finding),
 * [1 + enum fp_severity] unknown .. critical. */
#define FP_COMPLY_LEVELS 7
/* The baseline level of a host without a baseline. */
#define FP_COMPLY_NO_BASELINE (-2)

struct fp_comply_rec {
        const char *host, *account, *hostname;
        /* Dimensions as of this state (a past-date summary groups by what was true then). */
        const char *region, *os, *baseline, *service, *service_model, *version;
        const char *tags_json; /* effective tags, compact JSON */
        int64_t since;         /* when this state began */
        enum fp_comply_state state;
        int level; /* the baseline's compliance level (enum fp_severity), FP_COMPLY_NO_BASELINE */
        int64_t missing[FP_COMPLY_LEVELS];
        int64_t gaps;     /* missing approved updates that count against compliance */
        int64_t excepted; /* findings (and the updates fixing only them) covered by exceptions */
        int64_t sev[6], kev, overdue; /* exposed findings by severity, KEV, past their SLA */
        int64_t sla_min;  /* the earliest SLA deadline of an exposed finding, 0 = none */
        bool catchup, reboot;
};

/* What the current row keeps besides the state (inputs of the next evaluation). */
struct fp_comply_meta {
        int64_t evaluated;    /* the last full evaluation */
        const char *boot_id;  /* the boot id when the reboot became pending */
        int64_t reboot_since; /* 0 = no reboot pending from a job */
};

/* The current state of a host; FP_ENOTFOUND when it was never evaluated. */
enum fp_err fp_store_comply_get(struct fp_tx *tx, const char *host, struct fp_comply_rec *out,
                                struct fp_comply_meta *meta, struct fp_diag *diag);
/* Write the current state; history: also append it to the history (a change). */
enum fp_err fp_store_comply_put(struct fp_tx *tx, const struct fp_comply_rec *r,
                                const struct fp_comply_meta *meta, bool history,
                                struct fp_diag *diag);

/* Which hosts: accounts NULL = every account; after/limit page by host id (limit 0 = all). */
struct fp_comply_filter {
        const char *const *accounts;
        size_t account_count;
        const char *after;
        size_t limit;
};
typedef bool (*fp_comply_cb)(void *ctx, const struct fp_comply_rec *r);
/* Current states by host id (REMOVED hosts left out). */
enum fp_err fp_store_comply_list(struct fp_tx *tx, const struct fp_comply_filter *f,
                                 fp_comply_cb cb, void *ctx, struct fp_diag *diag);
/* The state each host had at `at` (its last change at or before it), by host id; hosts that
 * did not exist yet or were removed by then are left out. */
enum fp_err fp_store_comply_at(struct fp_tx *tx, const struct fp_comply_filter *f, int64_t at,
                               fp_comply_cb cb, void *ctx, struct fp_diag *diag);
/* Hosts to evaluate from the scheduler: those without a state yet (agentless assets that
 * never check in, hosts from before this part), then those whose last full evaluation is
 * before `before` (SLA deadlines and approvals move with time), at most limit, stalest first. */
typedef bool (*fp_comply_id_cb)(void *ctx, const char *host);
enum fp_err fp_store_comply_stale(struct fp_tx *tx, int64_t before, size_t limit,
                                  fp_comply_id_cb cb, void *ctx, struct fp_diag *diag);
/* Was a baseline of the account written at or after since? (a check-in re-judges its host) */
enum fp_err fp_store_comply_baselines_since(struct fp_tx *tx, const char *account, int64_t since,
                                            bool *out, struct fp_diag *diag);
/* A host's state changes, oldest first. */
enum fp_err fp_store_comply_history(struct fp_tx *tx, const char *host, fp_comply_cb cb,
                                    void *ctx, struct fp_diag *diag);

/* ---- the daily rollup: deltas of per-account measures (docs/compliance.md "History") ---- */
/* Measures: hosts per state, then these. */
enum fp_comply_metric {
        FP_CM_STATE0 = 0, /* + enum fp_comply_state */
        FP_CM_SEV0 = FP_CS_COUNT, /* + enum fp_severity: exposed findings */
        FP_CM_KEV = FP_CM_SEV0 + 6,
        FP_CM_KEV_HOSTS,
        FP_CM_OVERDUE,
        FP_CM_GAPS,
        FP_CM_COUNT
};
/* Add delta to (account, day, metric); a day is UTC seconds / 86400. */
enum fp_err fp_store_comply_rollup_add(struct fp_tx *tx, const char *account, int64_t day,
                                       int metric, int64_t delta, struct fp_diag *diag);
/* Hosts whose earliest SLA deadline falls on due_day, from day on: delta (+1 / -1). */
enum fp_err fp_store_comply_sla_add(struct fp_tx *tx, const char *account, int64_t day,
                                    int64_t due_day, int64_t delta, struct fp_diag *diag);
typedef bool (*fp_comply_rollup_cb)(void *ctx, const char *account, int64_t day, int metric,
                                    int64_t value);
/* Rollup deltas up to and including to_day, by day (metric -1 - due_day: SLA deltas). */
enum fp_err fp_store_comply_rollup_list(struct fp_tx *tx, const struct fp_comply_filter *f,
                                        int64_t to_day, fp_comply_rollup_cb cb, void *ctx,
                                        struct fp_diag *diag);

/* ---- mean time to remediate, from the exposures history (the tracking part's table:
 * one row per host x vulnerability x package with first_seen and fixed_at) ---- */
/* Remediations fixed in [from, to]: per account and severity word the count and the summed
 * seconds from first sighting to fix. */
typedef bool (*fp_mttr_cb)(void *ctx, const char *account, const char *severity, int64_t count,
                           int64_t seconds);
enum fp_err fp_store_comply_mttr(struct fp_tx *tx, const struct fp_comply_filter *f,
                                 int64_t from, int64_t to, fp_mttr_cb cb, void *ctx,
                                 struct fp_diag *diag);

/* ---- report schedules ---- */
struct fp_report_schedule {
        const char *account, *name;
        const char *report;  /* "compliance" */
        const char *format;  /* "json" | "csv" | "html" */
        int64_t every_days;  /* 1 .. FP_REPORT_MAX_EVERY_DAYS */
        int64_t range_days;  /* the report covers the last range_days days */
        int64_t next_run, last_run;
        const char *last_error; /* "" when the last run succeeded */
        const char *created_by;
        int64_t created, updated;
};
/* create: FP_EEXIST when the name is taken; else insert or replace. */
enum fp_err fp_store_report_schedule_put(struct fp_tx *tx, const struct fp_report_schedule *s,
                                         bool create, struct fp_diag *diag);
enum fp_err fp_store_report_schedule_get(struct fp_tx *tx, const char *account, const char *name,
                                         struct fp_report_schedule *out, struct fp_diag *diag);
typedef bool (*fp_report_schedule_cb)(void *ctx, const struct fp_report_schedule *s);
/* account NULL = every account; due > 0: only those with next_run <= due. */
enum fp_err fp_store_report_schedule_list(struct fp_tx *tx, const char *account, int64_t due,
                                          fp_report_schedule_cb cb, void *ctx,
                                          struct fp_diag *diag);
enum fp_err fp_store_report_schedule_delete(struct fp_tx *tx, const char *account,
                                            const char *name, struct fp_diag *diag);
/* After a run: next_run, last_run and the error ("" = none). */
enum fp_err fp_store_report_schedule_ran(struct fp_tx *tx, const char *account, const char *name,
                                         int64_t last_run, int64_t next_run, const char *error,
                                         struct fp_diag *diag);

#endif
