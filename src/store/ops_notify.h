/*
 * The store operations of notifications: subscriptions, outbox, deliveries, dead letters (src/store/sql_notify.c, include/fleetpatch/store_notify.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_notify_<name>.
 */
#ifndef FP_STORE_OPS_NOTIFY_H
#define FP_STORE_OPS_NOTIFY_H

#include "fleetpatch/store_notify.h"

#define FP_STORE_NOTIFY_OPS(X) \
        X(notify_group_put, (struct fp_tx * tx, const struct fp_notify_group_rec *g, bool create, struct fp_diag *diag), (tx, g, create, diag)) \
        X(notify_group_get, (struct fp_tx * tx, const char *account, const char *name, struct fp_notify_group_rec *out, struct fp_diag *diag), (tx, account, name, out, diag)) \
        X(notify_group_list, (struct fp_tx * tx, const char *account, fp_notify_group_cb cb, void *ctx, struct fp_diag *diag), (tx, account, cb, ctx, diag)) \
        X(notify_group_delete, (struct fp_tx * tx, const char *account, const char *name, struct fp_diag *diag), (tx, account, name, diag)) \
        X(notify_sub_create, (struct fp_tx * tx, const struct fp_notify_sub_rec *s, struct fp_diag *diag), (tx, s, diag)) \
        X(notify_sub_get, (struct fp_tx * tx, const char *id, struct fp_notify_sub_rec *out, struct fp_diag *diag), (tx, id, out, diag)) \
        X(notify_sub_list, (struct fp_tx * tx, const char *account, const char *owner_user, fp_notify_sub_cb cb, void *ctx, struct fp_diag *diag), (tx, account, owner_user, cb, ctx, diag)) \
        X(notify_sub_delete, (struct fp_tx * tx, const char *id, struct fp_diag *diag), (tx, id, diag)) \
        X(notify_sub_count, (struct fp_tx * tx, const char *account, int64_t *n, struct fp_diag *diag), (tx, account, n, diag)) \
        X(notify_event_queue, (struct fp_tx * tx, const struct fp_notify_event_rec *ev, const char *group, const char *only_sub, bool *queued, int64_t *deliveries, struct fp_diag *diag), (tx, ev, group, only_sub, queued, deliveries, diag)) \
        X(notify_delivery_claim, (struct fp_tx * tx, int64_t now, int64_t lease_until, int64_t limit, fp_notify_delivery_cb cb, void *ctx, struct fp_diag *diag), (tx, now, lease_until, limit, cb, ctx, diag)) \
        X(notify_delivery_finish, (struct fp_tx * tx, int64_t id, const char *state, int64_t status, const char *error, int64_t next_at, int64_t now, struct fp_diag *diag), (tx, id, state, status, error, next_at, now, diag)) \
        X(notify_delivery_list, (struct fp_tx * tx, const char *account, const char *state, const char *owner_user, int64_t limit, fp_notify_delivery_cb cb, void *ctx, struct fp_diag *diag), (tx, account, state, owner_user, limit, cb, ctx, diag)) \
        X(notify_delivery_get, (struct fp_tx * tx, int64_t id, struct fp_notify_delivery_rec *out, struct fp_diag *diag), (tx, id, out, diag)) \
        X(notify_delivery_requeue, (struct fp_tx * tx, int64_t id, int64_t now, struct fp_diag *diag), (tx, id, now, diag))

#endif
