/*
 * The vulnerability database: normalized advisories from every feed, KEV, EPSS, feed status
 * and risk exceptions, in one SQLite file (WAL). Imports are one transaction each: a feed that
 * fails half-way leaves the previous good data untouched and records why it failed.
 *
 * Identity of an advisory is (feed name, advisory id). Re-importing the same record changes
 * nothing; a record whose `modified` is newer (or, without dates, whose content differs)
 * replaces the stored revision; an older revision is ignored. Records absent from a later
 * import are kept (feeds are often incremental); KEV and EPSS are whole catalogs and are
 * replaced by each good import.
 */
#ifndef FLEETPATCH_VULNDB_H
#define FLEETPATCH_VULNDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"

struct fp_vulndb;

/* Open (creating and migrating when needed) the database at path. */
enum fp_err fp_vulndb_open(const char *path, struct fp_vulndb **out, struct fp_diag *diag);
void fp_vulndb_close(struct fp_vulndb *db);

/* ---- imports ----------------------------------------------------------------------------- */

struct fp_import_stats {
        size_t added, updated, unchanged, older; /* advisories */
        size_t rejected, skipped;
        size_t kev, epss;
};

struct fp_import;

/* Start importing feed `name` (created on first use) of the given kind from location. */
enum fp_err fp_vulndb_import_begin(struct fp_vulndb *db, const char *name, enum fp_feed_kind kind,
                                   const char *location, struct fp_import **out,
                                   struct fp_diag *diag);
/* The sink a parser writes into; valid until commit/abort. */
const struct fp_feed_sink *fp_import_sink(struct fp_import *imp);
const struct fp_import_stats *fp_import_stats(const struct fp_import *imp);
/* The first error a sink callback hit (store failure), FP_OK if none. */
enum fp_err fp_import_error(const struct fp_import *imp, struct fp_diag *diag);
/* Commit: the feed's status becomes "good at <now>" with the counts and cache validators. */
enum fp_err fp_import_commit(struct fp_import *imp, const char *etag, const char *last_modified,
                             const char *content_sha256, struct fp_diag *diag);
/* Roll everything back and record the failure (message) in the feed's status. */
void fp_import_abort(struct fp_import *imp, const char *message);
/* The download for this feed was unchanged (HTTP 304 / same content hash): note the attempt. */
enum fp_err fp_vulndb_feed_unchanged(struct fp_vulndb *db, const char *name, struct fp_diag *diag);

struct fp_feed_status {
        const char *name, *kind, *location;
        int64_t last_attempt, last_good; /* 0 = never */
        const char *last_error;          /* NULL when the last attempt was good */
        const char *etag, *last_modified, *content_sha256;
        int64_t advisories, rejected, skipped;
        const char *meta; /* "key=value" lines the feed reported (catalogVersion, ...) */
};
/* Every feed, by name; strings in arena. */
enum fp_err fp_vulndb_feeds(struct fp_vulndb *db, struct fp_arena *arena,
                            struct fp_feed_status **out, size_t *count, struct fp_diag *diag);
/* One feed's stored validators (etag...) or FP_ENOTFOUND. */
enum fp_err fp_vulndb_feed(struct fp_vulndb *db, const char *name, struct fp_arena *arena,
                           struct fp_feed_status *out, struct fp_diag *diag);
/* Rejections of the feed's last import: callback per record. */
enum fp_err fp_vulndb_rejections(struct fp_vulndb *db, const char *feed,
                                 void (*cb)(void *ud, const char *record_id, const char *reason),
                                 void *ud, struct fp_diag *diag);

/* ---- reading for matching --------------------------------------------------------------- */

/*
 * Every affected entry for (distro, release) — both NULL: every one — with its advisory (the
 * advisory's `affected` is empty here). Views valid during the callback only.
 */
typedef enum fp_err (*fp_vulndb_affected_cb)(void *ud, const char *feed,
                                             const struct fp_vuln_advisory *adv,
                                             const struct fp_vuln_affected *aff);
enum fp_err fp_vulndb_each_affected(struct fp_vulndb *db, const char *distro, const char *release,
                                    fp_vulndb_affected_cb cb, void *ud, struct fp_diag *diag);
enum fp_err fp_vulndb_each_kev(struct fp_vulndb *db,
                               enum fp_err (*cb)(void *ud, const struct fp_kev_entry *e), void *ud,
                               struct fp_diag *diag);
enum fp_err fp_vulndb_each_epss(struct fp_vulndb *db,
                                enum fp_err (*cb)(void *ud, const struct fp_epss_entry *e),
                                void *ud, struct fp_diag *diag);

/* Number of stored advisories (all feeds). */
enum fp_err fp_vulndb_count(struct fp_vulndb *db, int64_t *advisories, int64_t *affected,
                            struct fp_diag *diag);

/* ---- exceptions (risk acceptance) -------------------------------------------------------- */

enum fp_exception_kind {
        FP_EXC_ACCEPT,  /* risk accepted: the finding is real, the owner accepts it until expiry */
        FP_EXC_DISMISS, /* not applicable here (false positive, mitigated): hidden until expiry */
};

struct fp_exception {
        int64_t id;
        enum fp_exception_kind kind;
        const char *vuln;    /* "CVE-2024-1234" or an advisory id; "*" = any */
        const char *package; /* package (binary or source) name; "*" = any */
        const char *hosts;   /* glob on host names; "*" = any */
        const char *tag;     /* "key=value" the host must carry, or NULL */
        const char *owner, *reason;
        int64_t created, expires; /* expires is mandatory */
        const char *created_by;
        int64_t revoked; /* 0 = not revoked */
        const char *revoked_by;
};

/* Adds one; fills ex->id. Owner, reason and a future expiry are required. */
enum fp_err fp_vulndb_exception_add(struct fp_vulndb *db, struct fp_exception *ex,
                                    struct fp_diag *diag);
enum fp_err fp_vulndb_exception_revoke(struct fp_vulndb *db, int64_t id, const char *who,
                                       const char *why, struct fp_diag *diag);
/* All exceptions (revoked and expired too), by id. */
enum fp_err fp_vulndb_exceptions(struct fp_vulndb *db, struct fp_arena *arena,
                                 struct fp_exception **out, size_t *count, struct fp_diag *diag);
/* History lines of one exception: "time action actor detail". */
enum fp_err fp_vulndb_exception_history(struct fp_vulndb *db, int64_t id,
                                        void (*cb)(void *ud, int64_t at, const char *action,
                                                   const char *actor, const char *detail),
                                        void *ud, struct fp_diag *diag);
/* Note an exception seen expired (once, in its history). */
enum fp_err fp_vulndb_exception_note_expired(struct fp_vulndb *db, int64_t id, int64_t at,
                                             struct fp_diag *diag);

#endif
