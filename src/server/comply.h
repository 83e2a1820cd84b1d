/*
 * Compliance over time (docs/compliance.md): each host's state against its baseline, kept as
 * state changes with a per-account daily rollup, and the reports built from them (report.c).
 */
#ifndef FP_SERVER_COMPLY_H
#define FP_SERVER_COMPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fleetpatch/store_comply.h"
#include "server/server.h"

/* ---- limits (docs/compliance.md "Limits") ---- */
#define FP_COMPLY_REEVAL 3600            /* a check-in without inventory re-evaluates after this */
#define FP_REPORT_MAX_DAYS 400           /* the longest report or history range */
#define FP_REPORT_MIN_STEP 86400         /* the shortest step of a series (a day) */
#define FP_REPORT_MAX_POINTS (FP_REPORT_MAX_DAYS + 1) /* points of one series: daily over the longest */
#define FP_REPORT_MAX_PARAM 64           /* bytes of a from/to/at/step value */
#define FP_REPORT_MAX_SCHEDULES 50       /* report schedules of one account */
#define FP_REPORT_MAX_EVERY_DAYS 31      /* a schedule runs at least monthly */
#define FP_REPORT_MAX_HOST_ROWS 100000   /* host rows in one report (CSV/JSON/HTML) */
#define FP_REPORT_HTML_HOST_ROWS 500     /* of them shown in the HTML file (the rest counted) */
#define FP_COMPLY_MAX_GROUPS 10000       /* groups of one summary (by=tag:KEY of many values) */

/* The tags of shared responsibility (docs/compliance.md "Provider-patched"). */
#define FP_COMPLY_PROVIDER_TAG "patched_by"
#define FP_COMPLY_SERVICE_MODEL_TAG "service_model"
#define FP_COMPLY_SERVICE_TAG "service"

const char *fp_comply_state_name(enum fp_comply_state s);
/* -1 when unknown. */
int fp_comply_state_parse(const char *s);
/* COMPLIANT, EXCEPTED, PROVIDER: not a gap. */
bool fp_comply_state_ok(enum fp_comply_state s);

/* ---- the state rule (pure; tests/unit/server/comply_test.c) ---- */
struct fp_comply_input {
        bool provider;  /* tag patched_by=provider */
        bool inventory; /* has reported one */
        bool catchup, reboot;
        int level;      /* the baseline's compliance level, FP_COMPLY_NO_BASELINE */
        int64_t missing[FP_COMPLY_LEVELS]; /* approved updates missing, by severity slot */
        int64_t excepted;        /* findings covered by exceptions */
        int64_t overdue;         /* exposed findings past their SLA deadline */
        int64_t security_updates, kev; /* without a baseline: the fleet default rule */
};
/* The state and the gaps (missing approved updates that count at the level; without a
 * baseline the pending security updates). */
enum fp_comply_state fp_comply_decide(const struct fp_comply_input *in, int64_t *gaps);
/* Does a missing approved update of severity slot (0 none, 1 + enum fp_severity) count
 * against a baseline of this level? "unspecified" (the default) counts every one. */
bool fp_comply_level_counts(int level, int slot);
/* The rollup measures of a record (FP_CM_COUNT values; zeros for NULL or REMOVED). */
void fp_comply_metrics(const struct fp_comply_rec *r, int64_t out[FP_CM_COUNT]);

/* ---- keeping the states (hooks) ---- */
/* Re-evaluate a host (check-in, job finished, scheduler): full = match its inventory against
 * its baseline and the findings again, else recompute from the stored inputs (catch-up mark,
 * reboot), unless FP_COMPLY_REEVAL passed since the last full evaluation. Writes a history
 * row and rollup deltas only on a change. */
enum fp_err fp_comply_evaluate(struct fp_server *srv, struct fp_tx *tx, const char *host,
                               bool full, int64_t now, struct fp_diag *diag);
/* A full evaluation with the host's stored inventory and its findings as the caller has them
 * (judged->w must be the stored inventory: a check-in that stored it, the refresh that read it);
 * NULL judged->findings: judged here. */
enum fp_err fp_comply_evaluate_judged(struct fp_server *srv, struct fp_tx *tx, const char *host,
                                      const struct fp_host_judged *judged, int64_t now,
                                      struct fp_diag *diag);
/* Whether fp_comply_evaluate(srv, tx, h->id, false, now) would write anything, judged without
 * writing from h as read in tx (which may be a read transaction): a check-in without
 * inventory that leaves the stored state as it is needs no serialised write (api_agent.c). */
enum fp_err fp_comply_checkin_needed(struct fp_server *srv, struct fp_tx *tx,
                                     const struct fp_host_rec *h, int64_t now, bool *needed,
                                     struct fp_diag *diag);
/* A finished job's result: reboot_required marks a pending reboot until the boot id changes. */
enum fp_err fp_comply_job_finished(struct fp_server *srv, struct fp_tx *tx, const char *host,
                                   const json_t *result, int64_t now, struct fp_diag *diag);
/* A host's catch-up mark changed (catchup.c): cheap re-evaluation from the stored inputs. */
enum fp_err fp_comply_catchup_changed(struct fp_tx *tx, const char *host, int64_t now,
                                      struct fp_diag *diag);
/* A host is being deleted: its history ends with REMOVED. */
enum fp_err fp_comply_host_removed(struct fp_tx *tx, const char *host, int64_t now,
                                   struct fp_diag *diag);

/* ---- ranges and times of queries (report.c; fuzz/fuzz_report_range.c) ---- */
/* "2026-12-01" (end of that UTC day when end_of_day), "2026-12-01T10:00:00Z", or UNIX seconds. */
bool fp_comply_parse_time(const char *s, bool end_of_day, int64_t *out);
struct fp_report_range {
        int64_t from, to, step;
};
/* from/to/step as given (NULL = defaults: to now, from to - 30 days, step 1 day): FP_EPARSE
 * (bad value) or FP_ELIMIT (range over FP_REPORT_MAX_DAYS, step under FP_REPORT_MIN_STEP, more
 * than FP_REPORT_MAX_POINTS points, from after to, to in the future) with diag->field. */
enum fp_err fp_report_range_parse(const char *from, const char *to, const char *step, int64_t now,
                                  struct fp_report_range *out, struct fp_diag *diag);

/* ---- summaries, series, reports (report.c) ---- */
/* Dimensions of a summary. */
enum fp_comply_dim { FP_DIM_ACCOUNT, FP_DIM_REGION, FP_DIM_TAG, FP_DIM_BASELINE, FP_DIM_OS,
                     FP_DIM_SERVICE, FP_DIM_NONE };
/* "account", "region", "tag:KEY", "baseline", "os", "service"; false otherwise. */
bool fp_comply_dim_parse(const char *s, enum fp_comply_dim *dim, const char **tag_key);
/* Summary at `at` (0 = now: the current states) of the hosts of f, grouped by dim. */
json_t *fp_comply_summary(struct fp_tx *tx, const struct fp_comply_filter *f, int64_t at,
                          int64_t now, enum fp_comply_dim dim, const char *tag_key,
                          struct fp_diag *diag, enum fp_err *err);
/* One host's record as JSON (SLA status judged at `at`); tags: with its tags object (the
 * report leaves them out: parsing 100,000 tag documents would double its time). */
json_t *fp_comply_rec_json(const struct fp_comply_rec *r, int64_t at, bool tags);
/* The series of the range from the rollup: one point per step (end of each day). */
json_t *fp_comply_series(struct fp_tx *tx, const struct fp_comply_filter *f,
                         const struct fp_report_range *range, struct fp_diag *diag,
                         enum fp_err *err);
/* SLA status of a record at `at`: "none", "due" (in *by seconds) or "breached" (for *by). */
const char *fp_comply_sla_status(const struct fp_comply_rec *r, int64_t at, int64_t *by);
/* The level word of a record ("" without a baseline) and back (false when unknown). */
const char *fp_comply_level_name(int level);
bool fp_comply_level_parse(const char *s, int *level);

/* A built report: the document (everything but the host rows) and the host rows as records,
 * whose strings live in the transaction's arena (fp_report_build) or in the arena given to
 * fp_report_from_json: render it before that ends. Host rows stay records until rendered:
 * 100,000 of them as JSON objects cost more than the rest of the report. */
struct fp_report {
        json_t *doc;
        struct fp_comply_rec *rows;
        size_t nrows;
        int64_t at; /* when the rows' SLA status is judged */
};
void fp_report_release(struct fp_report *r);
/* The compliance report (docs/compliance.md "Reports"): scope names what it covers
 * ("account a" or "organisation"). */
enum fp_err fp_report_build(struct fp_tx *tx, const struct fp_comply_filter *f,
                            const struct fp_report_range *range, int64_t now, const char *scope,
                            struct fp_report *out, struct fp_diag *diag);
/* The report as JSON text (the document with "hosts": the first max_rows rows), as CSV (one
 * row per host, a header) and as one self-contained HTML file; NULL on ENOMEM. */
char *fp_report_json(const struct fp_report *r, size_t max_rows);
char *fp_report_csv(const struct fp_report *r);
char *fp_report_html(const struct fp_report *r);
/* A JSON report as the API answers it back into a report (the CLI renders with it): the
 * document referenced, the rows' strings in a. FP_EPARSE when it is not a report. */
enum fp_err fp_report_from_json(json_t *report, struct fp_arena *a, struct fp_report *out);

/* ---- the scheduler's part (comply.c, report.c) ---- */
#define FP_COMPLY_TICK_HOSTS 200 /* hosts evaluated by one tick (unevaluated, then stalest) */
/* Evaluate hosts that have no state yet or whose last full evaluation is older than
 * FP_COMPLY_REEVAL (an offline host's SLA deadline passes without a check-in), then run the
 * due report schedules. */
enum fp_err fp_comply_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag);
/* Run the due report schedules. */
enum fp_err fp_report_schedules_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag);

#endif
