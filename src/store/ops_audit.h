/*
 * The store operations of the audit log (src/store/sql_audit.c, include/fleetpatch/store_audit.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_audit_<name>.
 */
#ifndef FP_STORE_OPS_AUDIT_H
#define FP_STORE_OPS_AUDIT_H

#include "fleetpatch/store_audit.h"

#define FP_STORE_AUDIT_OPS(X) \
        X(audit_head_get, (struct fp_tx * tx, struct fp_audit_head *out, struct fp_diag *diag), (tx, out, diag)) \
        X(audit_append, (struct fp_tx * tx, const struct fp_audit_rec *r, const struct fp_audit_head *head, struct fp_diag *diag), (tx, r, head, diag)) \
        X(audit_list, (struct fp_tx * tx, const struct fp_audit_filter *f, fp_audit_cb cb, void *ctx, struct fp_diag *diag), (tx, f, cb, ctx, diag)) \
        X(audit_scan, (struct fp_tx * tx, int64_t seq_min, fp_audit_cb cb, void *ctx, struct fp_diag *diag), (tx, seq_min, cb, ctx, diag)) \
        X(audit_head_put, (struct fp_tx * tx, const struct fp_audit_head *head, struct fp_diag *diag), (tx, head, diag)) \
        X(audit_get, (struct fp_tx * tx, int64_t seq, struct fp_audit_rec *out, struct fp_diag *diag), (tx, seq, out, diag)) \
        X(audit_range, (struct fp_tx * tx, int64_t from, int64_t to, int64_t *first, int64_t *last, struct fp_diag *diag), (tx, from, to, first, last, diag))

#endif
