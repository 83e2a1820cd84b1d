/*
 * Fuzz fp_parse_date: it is deterministic, and a parsed date formats back (fp_format_date)
 * to a string that parses to the same instant.
 *
 * The round trip is checked for instants in years 1000..9999 only: fp_format_date prints
 * shorter years without zero padding ("999-01-01T00:00:00Z") and an offset can move
 * "0000-01-01" or "9999-12-31" out of four-digit years, and neither form parses again. Dates
 * that far out never occur in feeds; see the report on model.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1000-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define YEAR_1000 (-30610224000LL)
#define YEAR_9999_END 253402300799LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char in[80], out[32];
        int64_t t, again, back;

        if (size >= sizeof(in))
                return 0;
        memcpy(in, data, size);
        in[size] = '\0';
        if (!fp_parse_date(in, &t))
                return 0;
        if (!fp_parse_date(in, &again) || again != t)
                abort();
        fp_format_date(t, out);
        if (t == 0) {
                if (out[0] != '\0') /* documented: "" for 0 */
                        abort();
                return 0;
        }
        if (t < YEAR_1000 || t > YEAR_9999_END)
                return 0;
        if (strlen(out) != 20 || !fp_parse_date(out, &back) || back != t)
                abort();
        return 0;
}
