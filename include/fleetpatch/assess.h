/*
 * One host's vulnerability assessment end to end: inventory, matching, exceptions, the
 * updates that fix each finding (from the patch scan), and the risk score.
 */
#ifndef FLEETPATCH_ASSESS_H
#define FLEETPATCH_ASSESS_H

#include "fleetpatch/inventory.h"
#include "fleetpatch/match.h"
#include "fleetpatch/vulndb.h"

struct fp_assess_opts {
        struct fp_inventory_opts inv;
        const char *lists_dir; /* Debian: apt lists for the update scan (NULL = under root) */
        bool no_scan;          /* skip the update scan (no "update" column) */
        const char *host;      /* host name for exceptions (NULL = this machine's) */
        const char *const *tags; /* "key=value" host tags (criticality, exposure, ...) */
        size_t ntags;
        const char *sla; /* "critical=7,high=30" over the defaults, or NULL */
};

struct fp_assessment {
        struct fp_inventory inv;
        struct fp_host_findings findings; /* sorted by score, highest first */
        struct fp_vindex *index;          /* the findings point into it */
        char host[256];
        const char **warnings; /* e.g. why the update scan did not run */
        size_t warning_count;
        struct fp_arena arena;
};

enum fp_err fp_assess(struct fp_vulndb *db, const struct fp_assess_opts *opts,
                      struct fp_assessment *out, struct fp_diag *diag);
void fp_assessment_release(struct fp_assessment *a);

#endif
