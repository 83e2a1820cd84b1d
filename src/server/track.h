/*
 * Exposures, tracking records and evidence inside fleetpatchd (docs/tracking.md): what the
 * check-in, the job finish and the change-request freeze call, and what the handlers share.
 */
#ifndef FP_SERVER_TRACK_H
#define FP_SERVER_TRACK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/store.h"
#include "fleetpatch/store_track.h"
#include "fleetpatch/util.h"

struct fp_server;
struct fp_tx;

/* One exposed or excepted finding of a host, as the findings engine saw it (copied out of the
 * engine's lock into the set's arena). */
struct fp_expo_item {
        const char *vuln, *package, *arch, *installed, *fixed, *advisories;
        const char *severity;
        bool kev;
        int64_t sla_due, exception;
};
struct fp_expo_set {
        bool assessed; /* false: no database, or the release is not covered (nothing to sync) */
        const char *scheme;
        struct fp_expo_item *items;
        size_t count, cap;
        struct fp_arena arena;
};
void fp_expo_set_init(struct fp_expo_set *s);
void fp_expo_set_release(struct fp_expo_set *s);
/* Append one item (strings copied); false when out of memory. */
bool fp_expo_set_add(struct fp_expo_set *s, const struct fp_expo_item *it);

/* ---- check-in and jobs (track.c) ---- */
/* A new inventory of host h (hash) was accepted with these findings: open new exposures, fix
 * the ones that disappeared, update the rest, open/re-open tracking records of new ones,
 * re-evaluate the host's records, and fill the "after" snapshots of its finished jobs (inv). */
enum fp_err fp_track_sync_host(struct fp_server *srv, struct fp_tx *tx,
                               const struct fp_host_rec *h, const char *hash,
                               const struct fp_inventory *inv, const struct fp_expo_set *set,
                               int64_t now, struct fp_diag *diag);
/* The exposures part of that alone (hash: the inventory that shows a fix), also for the same
 * inventory judged against a changed vulnerability database (src/server/refresh.c): no job
 * snapshot is touched. */
enum fp_err fp_track_sync_exposures(struct fp_server *srv, struct fp_tx *tx,
                                    const struct fp_host_rec *h, const char *hash,
                                    const struct fp_expo_set *set, int64_t now,
                                    struct fp_diag *diag);
/* A patch job finished: snapshot the host's stored inventory ("before") for its packages, and
 * re-evaluate the tracking records of the host. */
enum fp_err fp_track_job_finished(struct fp_server *srv, struct fp_tx *tx,
                                  const struct fp_job_rec *j, const json_t *result, int64_t now,
                                  struct fp_diag *diag);
/* Something that decides a record changed on the host (its tags: patched_by; a job): re-evaluate
 * the records of its open exposures and the account's resolved ones. */
enum fp_err fp_track_host_changed(struct fp_server *srv, struct fp_tx *tx,
                                  const struct fp_host_rec *h, int64_t now, struct fp_diag *diag);
/* A change request's update set was frozen: link the records it fixes. */
enum fp_err fp_track_cr_frozen(struct fp_server *srv, struct fp_tx *tx, const char *cr,
                               int64_t now, struct fp_diag *diag);
/* Evaluate one record's state (linking, resolving, closing with evidence, expiry of an
 * accepted risk); writes only on a change. Resolved/closed is decided from the rows that can
 * block closing (fp_track_decide, not full), and the closing evidence lists at most
 * FP_MAX_TRACK_EVIDENCE_HOSTS exposures (docs/tracking.md "States", "Closing"). */
enum fp_err fp_track_eval(struct fp_server *srv, struct fp_tx *tx, const char *id, int64_t now,
                          struct fp_diag *diag);

/* ---- resolver rules (track_rules.c; pure, unit-tested) ---- */
/* Validate a rules document ({"rules": [...], "default": "GROUP"}); false with diag (field). */
bool fp_rules_check(const json_t *doc, struct fp_diag *diag);
/* The group of an exposure: the first rule whose tags all equal the host's tags and whose
 * package patterns (fnmatch) match, else the default, else "unassigned". doc may be NULL. */
const char *fp_rules_group(const json_t *doc, const json_t *host_tags, const char *package);

/* What a closing decision looks at, per exposure of the record's current cycle. */
struct fp_close_input {
        bool open;          /* the exposure is still open */
        bool excepted;      /* an exception covers it */
        bool provider;      /* the host is patched by its provider */
        bool by_change;     /* a linked change request updates this package on this host */
        bool job_verified;  /* ... and a verified, succeeded job installed its version */
};
enum fp_close_verdict {
        FP_CLOSE_OPEN,     /* a customer-patched exposure is still open */
        FP_CLOSE_RESOLVED, /* nothing open, but a change's job is not verified yet */
        FP_CLOSE_CLOSED,   /* every one fixed and verified, excepted, or the provider's */
};
/* The verdict over n exposures (n == 0 is OPEN: nothing proves anything). */
enum fp_close_verdict fp_close_decide(const struct fp_close_input *in, size_t n);

/* The closing verdict of record id over its current cycle: full reads every exposure
 * (the reference), else only the rows that can block closing (what fp_track_eval uses). */
enum fp_err fp_track_decide(struct fp_tx *tx, const char *id, bool full,
                            enum fp_close_verdict *v, struct fp_diag *diag);

/* ---- evidence bundles (evidence.c) ---- */
/* The signed bundle of a change request (canonical JSON, malloc'd, ends with "\n"). */
enum fp_err fp_evidence_build(struct fp_server *srv, struct fp_tx *tx, const char *cr,
                              int64_t now, char **out, struct fp_diag *diag);

#endif
