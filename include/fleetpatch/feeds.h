/*
 * Importing a vulnerability feed into the vulnerability database: from a file (any
 * compression), a directory of records, or a URL (http, https, file) with conditional GET.
 * One import is one transaction: a feed that cannot be read leaves the stored data as it was
 * and its status says why and when it was last good.
 */
#ifndef FLEETPATCH_FEEDS_H
#define FLEETPATCH_FEEDS_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/vuln.h"
#include "fleetpatch/vulndb.h"

struct fp_feed_import_opts {
        const char *location; /* file, directory, or http(s)/file URL */
        const char *name;     /* feed name; NULL = "<kind>:<last path component>" */
        bool kind_given;      /* else detected from the content */
        enum fp_feed_kind kind;
        bool force;           /* import even when the content is unchanged */
        const char *ca_file;  /* URL imports: CA bundle instead of the system's */
        long timeout_s;       /* URL imports: 0 = 300 s */
        /* Each rejected record, as it happens (may be NULL). */
        void (*on_reject)(void *ud, const char *feed, const char *record_id, const char *reason);
        void *ud;
};

struct fp_feed_import_result {
        char name[FP_DIAG_FIELD_MAX * 4];
        enum fp_feed_kind kind;
        bool unchanged; /* same content as the last good import (or HTTP 304): nothing done */
        struct fp_import_stats stats;
        size_t files; /* records files read (directories) */
};

enum fp_err fp_feed_import(struct fp_vulndb *db, const struct fp_feed_import_opts *opts,
                           struct fp_feed_import_result *res, struct fp_diag *diag);

/* Guess a feed's kind from its first bytes; false if it looks like none we read. */
bool fp_feed_detect(const char *data, size_t len, enum fp_feed_kind *out);

#endif
