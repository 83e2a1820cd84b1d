/*
 * Fuzz target: Debian version parse and compare. The input splits at the first two NUL or
 * newline bytes into versions a, b, c; any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exact-size copy (no terminator) for the length-based parser, and a C-string copy. */
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

static void check_parse(const char *s, size_t n)
{
        struct fp_debver v;
        struct fp_diag d;
        enum fp_verdict r;

        fp_diag_clear(&d);
        r = fp_deb_version_parse(s, n, &v, &d);
        if (r != FP_VERSION_OK && !d.msg[0])
                abort(); /* every complaint has a reason */
        if (r == FP_VERSION_ERROR)
                return;
        /* The views lie inside the input. */
        if (v.upstream < s || v.upstream + v.upstream_len > s + n || v.upstream_len == 0)
                abort();
        if (v.revision < s || v.revision + v.revision_len > s + n)
                abort();
        if (fp_deb_version_cmp(&v, &v) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t e1 = next_sep(data, 0, size);
        size_t s2 = e1 < size ? e1 + 1 : size;
        size_t e2 = next_sep(data, s2, size);
        size_t s3 = e2 < size ? e2 + 1 : size;
        char *ax, *a, *bx, *b, *cx, *c;
        int ab, ba, bc, ac;

        take(data, e1, &ax, &a);
        take(data + s2, e2 - s2, &bx, &b);
        take(data + s3, size - s3, &cx, &c);
        check_parse(ax, e1);
        check_parse(bx, e2 - s2);
        check_parse(cx, size - s3);

        ab = fp_deb_vercmp(a, b);
        ba = fp_deb_vercmp(b, a);
        bc = fp_deb_vercmp(b, c);
        ac = fp_deb_vercmp(a, c);
        if (ab < -1 || ab > 1 || ab != -ba)
                abort();
        if (fp_deb_vercmp(a, a) != 0 || fp_deb_vercmp(c, c) != 0)
                abort();
        /* A total preorder is transitive. */
        if (ab <= 0 && bc <= 0 && ac > 0)
                abort();
        if (ab >= 0 && bc >= 0 && ac < 0)
                abort();
        free(ax);
        free(a);
        free(bx);
        free(b);
        free(cx);
        free(c);
        return 0;
}
