/*
 * Fuzz fp_tz_parse (TZif v1..v4 with the POSIX TZ footer) on arbitrary bytes; an input that
 * starts with "RULE:" is a POSIX TZ rule for fp_tzrule_parse instead. A parsed zone answers
 * offsets within the limit anywhere on the time line, and a local time that fp_tz_to_utc calls
 * exact or repeated maps back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int64_t probes[] = {INT64_MIN, -(INT64_C(1) << 40), -2208988800LL, -1, 0, 1,
                                 1000000000LL, 1800000000LL, 2147483647LL, 2147483648LL,
                                 4102444800LL, INT64_C(1) << 40, INT64_MAX};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

static void check_offset(int32_t off)
{
        if (off > FP_TZ_MAX_OFFSET || off < -FP_TZ_MAX_OFFSET)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size >= 5 && memcmp(data, "RULE:", 5) == 0) {
                struct fp_tzrule r;
                if (fp_tzrule_parse((const char *)data + 5, size - 5, &r, NULL) != FP_OK)
                        return 0;
                for (size_t i = 0; i < NPROBES; i++) {
                        (void)fp_tzrule_offset(&r, probes[i], NULL);
                        int64_t nx = fp_tzrule_next(&r, probes[i]);
                        if (nx <= probes[i] && nx != INT64_MAX)
                                abort();
                }
                return 0;
        }
        struct fp_tz *z;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_tz_parse("Fuzz/Zone", data, size, &z, &d) != FP_OK) {
                if (d.msg[0] == '\0')
                        abort(); /* every refusal says why */
                return 0;
        }
        for (size_t i = 0; i < NPROBES; i++) {
                check_offset(fp_tz_offset(z, probes[i]));
                (void)fp_tz_to_local(z, probes[i]);
                int64_t L = probes[i] > (INT64_C(1) << 41) || probes[i] < -(INT64_C(1) << 41) ? 0 : probes[i];
                int kind;
                int64_t u = fp_tz_to_utc(z, L, &kind);
                if (kind != FP_TZ_GAP && fp_tz_to_local(z, u) != L)
                        abort();
        }
        fp_tz_free(z);
        return 0;
}
