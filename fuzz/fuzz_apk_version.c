/*
 * Fuzz target: apk version validity and order. The input splits at the first two NUL or
 * newline bytes into versions a, b, c; any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *take(const uint8_t *p, size_t n)
{
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memcpy(s, p, n);
        s[n] = '\0';
        return s;
}

static size_t next_sep(const uint8_t *d, size_t from, size_t size)
{
        while (from < size && d[from] != '\0' && d[from] != '\n')
                from++;
        return from;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t e1 = next_sep(data, 0, size);
        size_t s2 = e1 < size ? e1 + 1 : size;
        size_t e2 = next_sep(data, s2, size);
        size_t s3 = e2 < size ? e2 + 1 : size;
        char *a = take(data, e1), *b = take(data + s2, e2 - s2), *c = take(data + s3, size - s3);
        int ab, ba;

        (void)fp_apk_version_valid(a);
        (void)fp_apk_version_valid(b);
        (void)fp_apk_version_valid(c);
        ab = fp_apk_vercmp(a, b);
        ba = fp_apk_vercmp(b, a);
        if (ab < -1 || ab > 1 || ab != -ba)
                abort();
        if (fp_apk_vercmp(a, a) != 0)
                abort();
        /* On valid versions apk's order is transitive. */
        if (fp_apk_version_valid(a) && fp_apk_version_valid(b) && fp_apk_version_valid(c)) {
                int bc = fp_apk_vercmp(b, c), ac = fp_apk_vercmp(a, c);

                if ((ab <= 0 && bc <= 0 && ac > 0) || (ab >= 0 && bc >= 0 && ac < 0))
                        abort();
        }
        free(a);
        free(b);
        free(c);
        return 0;
}
