/*
 * The store operations of tracking records, shared responsibility, evidence (src/store/sql_track.c, include/fleetpatch/store_track.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_track_<name>.
 */
#ifndef FP_STORE_OPS_TRACK_H
#define FP_STORE_OPS_TRACK_H

#include "fleetpatch/store_track.h"

#define FP_STORE_TRACK_OPS(X) \
        X(exposure_list, (struct fp_tx * tx, const char *account, int64_t since, fp_exposure_cb cb, void *ctx, struct fp_diag *diag), (tx, account, since, cb, ctx, diag)) \
        X(exposure_host, (struct fp_tx * tx, const char *host, fp_exposure_cb cb, void *ctx, struct fp_diag *diag), (tx, host, cb, ctx, diag)) \
        X(exposure_open, (struct fp_tx * tx, const struct fp_exposure_rec *e, struct fp_diag *diag), (tx, e, diag)) \
        X(exposure_update, (struct fp_tx * tx, const struct fp_exposure_rec *e, struct fp_diag *diag), (tx, e, diag)) \
        X(exposure_fix, (struct fp_tx * tx, const char *host, const char *vuln, const char *package, const char *arch, int64_t at, const char *inventory_hash, struct fp_diag *diag), (tx, host, vuln, package, arch, at, inventory_hash, diag)) \
        X(exposure_open_of_track, (struct fp_tx * tx, const char *track, fp_exposure_cb cb, void *ctx, struct fp_diag *diag), (tx, track, cb, ctx, diag)) \
        X(exposure_of_track_host, (struct fp_tx * tx, const char *track, const char *host, int64_t since, fp_exposure_cb cb, void *ctx, struct fp_diag *diag), (tx, track, host, since, cb, ctx, diag)) \
        X(exposure_of_track, (struct fp_tx * tx, const char *track, int64_t since, fp_exposure_cb cb, void *ctx, struct fp_diag *diag), (tx, track, since, cb, ctx, diag)) \
        X(track_put, (struct fp_tx * tx, const struct fp_track_rec *t, struct fp_diag *diag), (tx, t, diag)) \
        X(track_get, (struct fp_tx * tx, const char *id, struct fp_track_rec *out, struct fp_diag *diag), (tx, id, out, diag)) \
        X(track_find, (struct fp_tx * tx, const char *account, const char *vuln, const char *scope, struct fp_track_rec *out, struct fp_diag *diag), (tx, account, vuln, scope, out, diag)) \
        X(track_list, (struct fp_tx * tx, const struct fp_track_filter *f, fp_track_cb cb, void *ctx, struct fp_diag *diag), (tx, f, cb, ctx, diag)) \
        X(track_event_add, (struct fp_tx * tx, const struct fp_track_event *e, struct fp_diag *diag), (tx, e, diag)) \
        X(track_event_list, (struct fp_tx * tx, const char *track, fp_track_event_cb cb, void *ctx, struct fp_diag *diag), (tx, track, cb, ctx, diag)) \
        X(track_link_add, (struct fp_tx * tx, const char *track, const char *cr, int64_t at, struct fp_diag *diag), (tx, track, cr, at, diag)) \
        X(track_link_list, (struct fp_tx * tx, const char *track, const char *cr, fp_track_link_cb cb, void *ctx, struct fp_diag *diag), (tx, track, cr, cb, ctx, diag)) \
        X(rules_put, (struct fp_tx * tx, const char *account, const char *document, const char *by, int64_t at, struct fp_diag *diag), (tx, account, document, by, at, diag)) \
        X(rules_get, (struct fp_tx * tx, const char *account, const char **document, struct fp_diag *diag), (tx, account, document, diag)) \
        X(rules_delete, (struct fp_tx * tx, const char *account, struct fp_diag *diag), (tx, account, diag)) \
        X(snap_put, (struct fp_tx * tx, const struct fp_snap_rec *s, struct fp_diag *diag), (tx, s, diag)) \
        X(snap_get, (struct fp_tx * tx, const char *job, struct fp_snap_rec *out, struct fp_diag *diag), (tx, job, out, diag)) \
        X(snap_pending, (struct fp_tx * tx, const char *host, fp_snap_cb cb, void *ctx, struct fp_diag *diag), (tx, host, cb, ctx, diag))

#endif
