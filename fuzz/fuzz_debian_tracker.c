/*
 * Fuzz target: Debian security tracker JSON parser. Besides crashes it checks the invariants
 * every consumer relies on: one advisory per id with at least one affected entry, each with a
 * distro, release and source package, a state in range and a fixed version only where the
 * state allows one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRACKER_URL "https://security-tracker.debian.org/tracker/"

static void check_affected(const struct fp_vuln_advisory *adv, const struct fp_vuln_affected *a)
{
        if (!a->distro || strcmp(a->distro, "debian") != 0 || !a->release || !*a->release ||
            !a->package || !*a->package || !a->source)
                abort();
        if ((unsigned)a->state > FP_VS_UNDETERMINED || (unsigned)a->severity > FP_SEV_CRITICAL ||
            a->severity > adv->severity)
                abort();
        /* "0" is the never-affected sentinel, never a fixed version */
        if (a->fixed && (a->state != FP_VS_AFFECTED || !*a->fixed || strcmp(a->fixed, "0") == 0))
                abort();
        if (a->nranges || a->nversions || a->arch || a->module)
                abort();
}

static enum fp_err on_advisory(void *ud, const struct fp_vuln_advisory *adv)
{
        const char **last = ud;
        if (!adv->id || !*adv->id || adv->kind != FP_FEED_DEBIAN_TRACKER || adv->naffected == 0)
                abort();
        /* ids come out sorted and each exactly once */
        if (*last && strcmp(*last, adv->id) >= 0)
                abort();
        if (adv->nrefs == 0 || strncmp(adv->refs[0], TRACKER_URL, strlen(TRACKER_URL)) != 0 ||
            strcmp(adv->refs[0] + strlen(TRACKER_URL), adv->id) != 0)
                abort();
        if (adv->summary && (!*adv->summary || strchr(adv->summary, '\n')))
                abort();
        for (size_t i = 0; i < adv->naffected; i++)
                check_affected(adv, &adv->affected[i]);
        free((void *)*last);
        *last = strdup(adv->id);
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        (void)ud;
        if (!id || !why || !why->msg[0])
                abort();
}

static void on_skip(void *ud, const char *id, const char *reason)
{
        (void)ud;
        if (!id || !*id || !reason || !*reason)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *last = NULL;
        struct fp_feed_sink sink = {
            .ud = &last, .advisory = on_advisory, .reject = on_reject, .skip = on_skip};
        struct fp_diag d;

        enum fp_err err = fp_feed_parse_debian_tracker((const char *)data, size, "fuzz", &sink, &d);
        if (err != FP_OK && !d.msg[0])
                abort();
        free((void *)last);
        return 0;
}
