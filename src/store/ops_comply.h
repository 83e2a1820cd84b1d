/*
 * The store operations of compliance history and reports (src/store/sql_comply.c, include/fleetpatch/store_comply.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_comply_<name>.
 */
#ifndef FP_STORE_OPS_COMPLY_H
#define FP_STORE_OPS_COMPLY_H

#include "fleetpatch/store_comply.h"

#define FP_STORE_COMPLY_OPS(X) \
        X(comply_get, (struct fp_tx * tx, const char *host, struct fp_comply_rec *out, struct fp_comply_meta *meta, struct fp_diag *diag), (tx, host, out, meta, diag)) \
        X(comply_put, (struct fp_tx * tx, const struct fp_comply_rec *r, const struct fp_comply_meta *meta, bool history, struct fp_diag *diag), (tx, r, meta, history, diag)) \
        X(comply_list, (struct fp_tx * tx, const struct fp_comply_filter *f, fp_comply_cb cb, void *ctx, struct fp_diag *diag), (tx, f, cb, ctx, diag)) \
        X(comply_at, (struct fp_tx * tx, const struct fp_comply_filter *f, int64_t at, fp_comply_cb cb, void *ctx, struct fp_diag *diag), (tx, f, at, cb, ctx, diag)) \
        X(comply_stale, (struct fp_tx * tx, int64_t before, size_t limit, fp_comply_id_cb cb, void *ctx, struct fp_diag *diag), (tx, before, limit, cb, ctx, diag)) \
        X(comply_baselines_since, (struct fp_tx * tx, const char *account, int64_t since, bool *out, struct fp_diag *diag), (tx, account, since, out, diag)) \
        X(comply_history, (struct fp_tx * tx, const char *host, fp_comply_cb cb, void *ctx, struct fp_diag *diag), (tx, host, cb, ctx, diag)) \
        X(comply_rollup_add, (struct fp_tx * tx, const char *account, int64_t day, int metric, int64_t delta, struct fp_diag *diag), (tx, account, day, metric, delta, diag)) \
        X(comply_sla_add, (struct fp_tx * tx, const char *account, int64_t day, int64_t due_day, int64_t delta, struct fp_diag *diag), (tx, account, day, due_day, delta, diag)) \
        X(comply_rollup_list, (struct fp_tx * tx, const struct fp_comply_filter *f, int64_t to_day, fp_comply_rollup_cb cb, void *ctx, struct fp_diag *diag), (tx, f, to_day, cb, ctx, diag)) \
        X(comply_mttr, (struct fp_tx * tx, const struct fp_comply_filter *f, int64_t from, int64_t to, fp_mttr_cb cb, void *ctx, struct fp_diag *diag), (tx, f, from, to, cb, ctx, diag)) \
        X(report_schedule_put, (struct fp_tx * tx, const struct fp_report_schedule *s, bool create, struct fp_diag *diag), (tx, s, create, diag)) \
        X(report_schedule_get, (struct fp_tx * tx, const char *account, const char *name, struct fp_report_schedule *out, struct fp_diag *diag), (tx, account, name, out, diag)) \
        X(report_schedule_list, (struct fp_tx * tx, const char *account, int64_t due, fp_report_schedule_cb cb, void *ctx, struct fp_diag *diag), (tx, account, due, cb, ctx, diag)) \
        X(report_schedule_delete, (struct fp_tx * tx, const char *account, const char *name, struct fp_diag *diag), (tx, account, name, diag)) \
        X(report_schedule_ran, (struct fp_tx * tx, const char *account, const char *name, int64_t last_run, int64_t next_run, const char *error, struct fp_diag *diag), (tx, account, name, last_run, next_run, error, diag))

#endif
