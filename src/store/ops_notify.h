/*
 * The store operations of notifications: subscriptions, outbox, deliveries, dead letters (src/store/sqlite_notify.c, include/fleetpatch/store_notify.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_notify_<name>.
 */
#ifndef FP_STORE_OPS_NOTIFY_H
#define FP_STORE_OPS_NOTIFY_H

#define FP_STORE_NOTIFY_OPS(X)

#endif
