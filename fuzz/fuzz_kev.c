/* Fuzz the CISA KEV parser (JSON and CSV) from memory; every entry it hands out is sound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/vuln.h"
#include "vuln/feeds/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool text_ok(const char *s)
{
        return !s || (*s && strlen(s) <= 4096);
}

static enum fp_err on_kev(void *ud, const struct fp_kev_entry *e)
{
        (void)ud;
        if (!e->cve || strncmp(e->cve, "CVE-", 4) != 0 || !fp_feed_cve_valid(e->cve))
                abort();
        if (!text_ok(e->vendor) || !text_ok(e->product) || !text_ok(e->name))
                abort();
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        (void)ud;
        /* A rejected entry is named only by a valid id, and always says why. */
        if (!id || (*id && !fp_feed_cve_valid(id)) || !why->msg[0])
                abort();
}

static void on_meta(void *ud, const char *key, const char *value)
{
        int64_t t;
        (void)ud;
        if (strcmp(key, "dateReleased") == 0 && !fp_parse_date(value, &t))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_feed_sink sink = {.kev = on_kev, .reject = on_reject, .meta = on_meta};
        struct fp_diag diag;

        if (fp_feed_parse_kev((const char *)data, size, "fuzz", &sink, &diag) != FP_OK &&
            !diag.msg[0])
                abort(); /* a feed error always explains itself */
        return 0;
}
