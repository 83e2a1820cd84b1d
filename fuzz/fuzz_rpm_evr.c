/*
 * Fuzz target: RPM EVR split and rpmvercmp/labelCompare. The input splits at the first two NUL
 * or newline bytes into EVRs a, b, c; any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void take(const uint8_t *p, size_t n, char **exact, char **cstr)
{
        *exact = malloc(n ? n : 1);
        *cstr = malloc(n + 1);
        if (!*exact || !*cstr)
                abort();
        memcpy(*exact, p, n);
        memcpy(*cstr, p, n);
        (*cstr)[n] = '\0';
}

static size_t next_sep(const uint8_t *d, size_t from, size_t size)
{
        while (from < size && d[from] != '\0' && d[from] != '\n')
                from++;
        return from;
}

static bool inside(const char *p, size_t len, const char *s, size_t n)
{
        return !p || (p >= s && p + len <= s + n);
}

static void check_parse(const char *s, size_t n)
{
        struct fp_rpmevr e;

        if (fp_rpm_evr_parse(s, n, &e, NULL) != FP_OK)
                return;
        /* Views inside the input (an empty epoch reads as the static "0"). */
        if (!inside(e.version, e.version_len, s, n) || !inside(e.release, e.release_len, s, n))
                abort();
        if (e.epoch && !inside(e.epoch, e.epoch_len, s, n) && strcmp(e.epoch, "0") != 0)
                abort();
        if (fp_rpm_evr_cmp(&e, &e) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t e1 = next_sep(data, 0, size);
        size_t s2 = e1 < size ? e1 + 1 : size;
        size_t e2 = next_sep(data, s2, size);
        size_t s3 = e2 < size ? e2 + 1 : size;
        char *ax, *a, *bx, *b, *cx, *c;
        int ab, ba, bc, ac, raw, rawr;

        take(data, e1, &ax, &a);
        take(data + s2, e2 - s2, &bx, &b);
        take(data + s3, size - s3, &cx, &c);
        check_parse(ax, e1);
        check_parse(bx, e2 - s2);
        check_parse(cx, size - s3);

        /* Raw rpmvercmp() on exact-size buffers: antisymmetric and reflexive. */
        raw = fp_rpmvercmp(ax, e1, bx, e2 - s2);
        rawr = fp_rpmvercmp(bx, e2 - s2, ax, e1);
        if (raw < -1 || raw > 1 || raw != -rawr || fp_rpmvercmp(ax, e1, ax, e1) != 0)
                abort();

        ab = fp_rpm_vercmp(a, b);
        ba = fp_rpm_vercmp(b, a);
        bc = fp_rpm_vercmp(b, c);
        ac = fp_rpm_vercmp(a, c);
        if (ab < -1 || ab > 1 || ab != -ba || fp_rpm_vercmp(a, a) != 0)
                abort();
        /*
         * No transitivity check: rpmvercmp() itself is not transitive on arbitrary strings
         * (separators of different lengths compare equal but leave different remainders).
         */
        (void)bc;
        (void)ac;
        free(ax);
        free(a);
        free(bx);
        free(b);
        free(cx);
        free(c);
        return 0;
}
