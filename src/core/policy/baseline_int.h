/*
 * The parsed baseline, shared by the parser (baseline.c) and the evaluation (baseline_eval.c).
 * Internal to libfleetpatch.
 */
#ifndef FP_CORE_POLICY_BASELINE_INT_H
#define FP_CORE_POLICY_BASELINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/baseline.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"

/* rule.min_sev when the rule has no severity member */
#define FP_BL_NO_MIN (-2)
#define FP_BL_DAY 86400

struct fp_bl_rule {
        unsigned classes; /* bit (1u << enum fp_update_class) */
        int min_sev;      /* enum fp_severity, or FP_BL_NO_MIN */
        bool has_after;   /* after_days, else until */
        int after_days;
        int64_t until;    /* 00:00 UTC of the until date; the rule covers that whole day */
};

struct fp_bl_entry {
        const char *text;    /* as written: "nginx*", "openssl=3.0.15-1~deb12u1" */
        const char *name;    /* the pattern, or the exact name */
        const char *version; /* NULL for a pattern */
};

struct fp_baseline {
        struct fp_arena arena; /* every string and array */
        const char *name, *account, *family;
        enum fp_scheme scheme;
        size_t nsel; /* sorted by key */
        const char **sel_keys, **sel_vals;
        size_t nrules;
        struct fp_bl_rule *rules;
        size_t napproved, nrejected;
        struct fp_bl_entry *approved, *rejected;
        size_t nblocked; /* the rejected patterns (not exact entries) */
        const char **blocked;
        bool block_deps;
        int compliance;     /* enum fp_severity */
        int catchup_policy; /* 0 none, 1 immediate, 2 next-window */
        const char *window, *hook; /* "" when absent */
};

/* "2026-11-17" at 00:00:00 UTC, else "2026-11-17T13:05:00Z"; out needs 40 bytes. */
void fp_bl_format_time(int64_t t, char out[40]);

#endif
