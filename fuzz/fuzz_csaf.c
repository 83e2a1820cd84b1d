/*
 * Fuzz the CSAF/VEX parser from memory. Every advisory it hands out must be complete: an id,
 * kind csaf, aliases without duplicates or the id itself, a CVSS score in range, and "rhel"
 * entries with a release and package; fixed entries carry an RPM EVR and are not source
 * builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum fp_err check_adv(void *ud, const struct fp_vuln_advisory *a)
{
        (void)ud;
        if (!a->id || !*a->id || a->kind != FP_FEED_CSAF || a->naliases > FP_MAX_ALIASES ||
            a->cvss_score > 10 || a->naffected > FP_MAX_AFFECTED)
                abort();
        for (size_t i = 0; i < a->naliases; i++) {
                if (strcmp(a->aliases[i], a->id) == 0)
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(a->aliases[i], a->aliases[j]) == 0)
                                abort();
        }
        for (size_t i = 0; i < a->naffected; i++) {
                const struct fp_vuln_affected *f = &a->affected[i];
                if (!f->distro || strcmp(f->distro, "rhel") != 0 || !f->release || !*f->release ||
                    !f->package || !*f->package)
                        abort();
                if (f->fixed) {
                        struct fp_rpmevr evr;
                        if (f->state != FP_VS_AFFECTED || f->source ||
                            fp_rpm_evr_parse(f->fixed, strlen(f->fixed), &evr, NULL) != FP_OK ||
                            (f->arch && strcmp(f->arch, "src") == 0))
                                abort();
                }
        }
        return FP_OK;
}

static void check_reject(void *ud, const char *id, const struct fp_diag *why)
{
        (void)ud;
        if (!id || !why || !why->msg[0])
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_feed_sink sink = {.advisory = check_adv, .reject = check_reject};
        struct fp_diag diag;
        enum fp_err err = fp_feed_parse_csaf((const char *)data, size, "fuzz", &sink, &diag);
        if (err != FP_OK && !diag.msg[0])
                abort();
        return 0;
}
