/*
 * Fuzz fp_window_parse (the window JSON: libical RRULE, zone, limits). A parsed window
 * serialises (fp_window_to_json) to JSON that parses back to the same window, and its
 * occurrences over a year in UTC are ascending, with close = open + duration.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_window w, back;
        struct fp_diag d;

        fp_diag_clear(&d);
        if (fp_window_parse((const char *)data, size, &w, &d) != FP_OK) {
                if (strncmp(d.msg, "window", 6) != 0)
                        abort(); /* every refusal names the member */
                return 0;
        }
        char *j = fp_window_to_json(&w);
        if (!j)
                return 0;
        if (fp_window_parse(j, strlen(j), &back, NULL) != FP_OK || memcmp(&w, &back, sizeof(w)) != 0)
                abort();
        free(j);
        struct fp_tz *z;
        if (fp_tz_fixed("UTC", 0, &z, NULL) != FP_OK)
                return 0;
        struct fp_window_occ occ[64];
        size_t n;
        if (fp_window_occurrences(&w, z, w.start, w.start + 366 * 86400LL, occ, 64, &n, NULL) == FP_OK)
                for (size_t i = 0; i < n; i++)
                        if (occ[i].close != occ[i].open + w.duration ||
                            occ[i].start_until != occ[i].close - w.cutoff ||
                            (i > 0 && occ[i].open < occ[i - 1].open))
                                abort();
        fp_tz_free(z);
        return 0;
}
