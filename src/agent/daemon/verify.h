/*
 * Verify (docs/jobs.md "Verify"): after a transaction, the package database read again is
 * compared with the inventory taken before, the requested pairs and the plan the package
 * manager announced. A pure function over inventories, so every case is unit-tested.
 */
#ifndef FP_AGENT_VERIFY_H
#define FP_AGENT_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/backend/backend.h"
#include "fleetpatch/inventory.h"

/* A requested pair not installed as requested. want is NULL for a requested removal; have is
 * NULL when the package is not installed. */
struct verify_missing {
        const char *name, *arch, *want, *have;
};

/* A change of the host that the plan did not announce (to NULL: removed). */
struct verify_unexpected {
        enum be_action action;
        const char *name, *arch, *from, *to;
};

struct verify_result {
        bool verified; /* both lists empty */
        struct verify_missing *missing;
        size_t missing_count;
        struct verify_unexpected *unexpected;
        size_t unexpected_count;
        struct fp_arena arena;
};

struct verify_input {
        const struct fp_inventory *before; /* NULL: no unexpected check (a resumed job) */
        const struct fp_inventory *after;
        const struct be_pkg *want; /* requested pairs (arch NULL: any installed arch) */
        size_t want_count;
        const struct be_pkg *gone; /* requested removals (rollback of new packages) */
        size_t gone_count;
        const struct be_plan *plan; /* what the package manager announced; may be NULL */
        /* also count every planned change that did not happen as missing (a resumed job:
         * the plan must be complete) */
        bool plan_complete;
};

/* FP_OK or FP_ENOMEM; out is always initialised (release it). */
enum fp_err verify_run(const struct verify_input *in, struct verify_result *out);
void verify_result_release(struct verify_result *r);

/* The "missing" and "unexpected" arrays of a job result (NULL on ENOMEM). */
json_t *verify_missing_json(const struct verify_result *r);
json_t *verify_unexpected_json(const struct verify_result *r);

#endif
