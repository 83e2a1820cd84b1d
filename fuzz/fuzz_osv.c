/*
 * Fuzz the OSV feed parser from memory. Invariants: every advisory has an id within the limit,
 * kind OSV, a known severity, a score in [0, 10] or negative, at least one affected entry, each
 * with distro, release (possibly ""), package and ranges that are never empty pairs; every
 * reject has a reason; the callbacks see each record exactly once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t callbacks;

static void check_str(const char *s, size_t max)
{
        if (!s || strlen(s) > max)
                abort();
}

static enum fp_err on_adv(void *ud, const struct fp_vuln_advisory *a)
{
        (void)ud;
        callbacks++;
        check_str(a->id, FP_MAX_ADVISORY_ID_LEN);
        if (a->kind != FP_FEED_OSV || a->severity > FP_SEV_CRITICAL || a->cvss_score > 10.0 ||
            a->naffected == 0 || !a->affected || (a->naliases && !a->aliases) ||
            (a->nrefs && !a->refs) || (a->cvss_score >= 0 && !a->cvss_vector))
                abort();
        for (size_t i = 0; i < a->naliases; i++) {
                check_str(a->aliases[i], FP_MAX_ADVISORY_ID_LEN);
                if (strcmp(a->aliases[i], a->id) == 0)
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(a->aliases[i], a->aliases[j]) == 0)
                                abort();
        }
        for (size_t i = 0; i < a->nrefs; i++)
                check_str(a->refs[i], 1 << 20);
        for (size_t i = 0; i < a->naffected; i++) {
                const struct fp_vuln_affected *f = &a->affected[i];
                check_str(f->distro, 64);
                check_str(f->release, 64);
                check_str(f->package, FP_MAX_ADVISORY_ID_LEN);
                if ((f->nranges && !f->ranges) || (f->nversions && !f->versions))
                        abort();
                for (size_t j = 0; j < f->nranges; j++)
                        if (f->ranges[j].fixed && f->ranges[j].last_affected)
                                abort();
                for (size_t j = 0; j < f->nversions; j++)
                        check_str(f->versions[j], FP_MAX_ADVISORY_ID_LEN);
        }
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        (void)ud;
        callbacks++;
        if (!id || !why || why->msg[0] == '\0')
                abort();
}

static void on_skip(void *ud, const char *id, const char *reason)
{
        (void)ud;
        callbacks++;
        if (!id || !reason || !*reason)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct fp_feed_sink sink = {.advisory = on_adv, .reject = on_reject, .skip = on_skip};
        struct fp_diag diag;

        callbacks = 0;
        enum fp_err err = fp_feed_parse_osv((const char *)data, size, "fuzz", &sink, &diag);
        /* a feed-level failure is decided before any record is looked at */
        if (err != FP_OK && err != FP_ENOMEM && callbacks != 0)
                abort();
        return 0;
}
