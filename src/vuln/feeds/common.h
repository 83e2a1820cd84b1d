/*
 * Small helpers shared by the vulnerability feed parsers (internal to src/vuln/feeds/).
 * Only what is the same in every parser that uses it lives here; a parser whose rules differ
 * keeps its own helper and says why.
 */
#ifndef FP_VULN_FEEDS_COMMON_H
#define FP_VULN_FEEDS_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"

/*
 * Make room for `need` elements of `elsize` bytes in *arr (capacity *cap, doubling from 16);
 * false on overflow or out of memory, leaving *arr and *cap as they were.
 */
bool fp_feed_grow(void **arr, size_t *cap, size_t need, size_t elsize);

/*
 * An id, package, arch, release name or alias: 1..FP_MAX_ADVISORY_ID_LEN printable ASCII, no
 * blanks or '/'. NULL is not a token.
 */
bool fp_feed_valid_token(const char *s);

/* An RPM version or release: what rpmbuild accepts (no '-' or ':' that would move the split). */
bool fp_feed_valid_vr(const char *s);

/* A module build's release ("...module+el8..." or "...module_el8..."). */
bool fp_feed_modular_release(const char *rel);

/* diag->field = the formatted prefix + "/" + what a getter left in diag->field (or nothing). */
void fp_feed_set_path(struct fp_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* diag->field = field, diag->msg = the formatted message; returns false (for `return fail(...)`).
 */
bool fp_feed_fail(struct fp_diag *d, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
