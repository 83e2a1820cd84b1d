/*
 * The store operations of tracking records, shared responsibility, evidence (src/store/sqlite_track.c, include/fleetpatch/store_track.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_track_<name>.
 */
#ifndef FP_STORE_OPS_TRACK_H
#define FP_STORE_OPS_TRACK_H

#define FP_STORE_TRACK_OPS(X)

#endif
