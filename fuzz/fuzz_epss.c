/* Fuzz the FIRST EPSS parser from memory; every score it hands out is a probability. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/vuln.h"
#include "vuln/feeds/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum fp_err on_epss(void *ud, const struct fp_epss_entry *e)
{
        (void)ud;
        if (!e->cve || strncmp(e->cve, "CVE-", 4) != 0 || !fp_feed_cve_valid(e->cve))
                abort();
        if (!isfinite(e->epss) || e->epss < 0 || e->epss > 1)
                abort();
        if (!isfinite(e->percentile) || e->percentile < 0 || e->percentile > 1)
                abort();
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        (void)ud;
        if (!id || (*id && !fp_feed_cve_valid(id)) || !why->msg[0] || why->line == 0)
                abort();
}

static void on_meta(void *ud, const char *key, const char *value)
{
        int64_t t;
        (void)ud;
        if (strcmp(key, "score_date") == 0 && !fp_parse_date(value, &t))
                abort();
        if (strcmp(key, "model_version") == 0 && !value[0])
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_feed_sink sink = {.epss = on_epss, .reject = on_reject, .meta = on_meta};
        struct fp_diag diag;

        if (fp_feed_parse_epss((const char *)data, size, "fuzz", &sink, &diag) != FP_OK &&
            !diag.msg[0])
                abort();
        return 0;
}
