/*
 * The store operations of compliance history and reports (src/store/sqlite_comply.c, include/fleetpatch/store_comply.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_comply_<name>.
 */
#ifndef FP_STORE_OPS_COMPLY_H
#define FP_STORE_OPS_COMPLY_H

#define FP_STORE_COMPLY_OPS(X)

#endif
