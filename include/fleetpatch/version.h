/*
 * Version schemes: Debian (dpkg), RPM (epoch:version-release, rpmvercmp) and Alpine (apk).
 * Pure functions, no allocation on the compare paths. Comparison results are always the
 * sign only: -1 (a older), 0 (equal), 1 (a newer).
 */
#ifndef FLEETPATCH_VERSION_H
#define FLEETPATCH_VERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"

enum fp_scheme { FP_SCHEME_DEB, FP_SCHEME_RPM, FP_SCHEME_APK };

/* "deb", "rpm", "apk" -> scheme; false if unknown. */
bool fp_scheme_from_name(const char *name, enum fp_scheme *out);
const char *fp_scheme_name(enum fp_scheme scheme);

/* ---- Debian ------------------------------------------------------------------------------ */

/* How dpkg judges a version string (libdpkg parseversion()). */
enum fp_verdict {
        FP_VERSION_OK,      /* accepted silently */
        FP_VERSION_WARNING, /* accepted, dpkg warns (e.g. upstream does not start with a digit) */
        FP_VERSION_ERROR,   /* refused */
};

/* A parsed Debian version: views into the caller's string (not NUL-terminated). */
struct fp_debver {
        unsigned long epoch;
        const char *upstream;
        size_t upstream_len;
        const char *revision; /* "" (len 0) when absent; dpkg treats that as "0" */
        size_t revision_len;
};

/*
 * Parse like libdpkg's parseversion(): leading/trailing blanks trimmed, epoch, last '-' splits
 * the revision. On FP_VERSION_ERROR and FP_VERSION_WARNING, diag->msg holds dpkg's own English
 * message (e.g. "epoch in version is negative"); *out is written unless the verdict is ERROR.
 * Strings longer than FP_MAX_VERSION_LEN are an ERROR ("version string is too long").
 */
enum fp_verdict fp_deb_version_parse(const char *s, size_t len, struct fp_debver *out,
                                     struct fp_diag *diag);

/* dpkg_version_compare() on parsed versions. */
int fp_deb_version_cmp(const struct fp_debver *a, const struct fp_debver *b);

/*
 * Parse and compare two NUL-terminated strings in one go (the hot path of scans).
 * Strings that dpkg would refuse compare by their raw bytes after those dpkg accepts, so the
 * order is total and deterministic; callers that care validate first.
 */
int fp_deb_vercmp(const char *a, const char *b);

/* ---- RPM --------------------------------------------------------------------------------- */

/*
 * A parsed EVR like librpm's rpmverParse(): views into the caller's string. epoch is NULL when
 * absent (compares as "0"), release is NULL when absent.
 */
struct fp_rpmevr {
        const char *epoch;
        size_t epoch_len;
        const char *version;
        size_t version_len;
        const char *release;
        size_t release_len;
};

/* Split [epoch:]version[-release] exactly as rpmverParse() does. Fails only on length limits. */
enum fp_err fp_rpm_evr_parse(const char *s, size_t len, struct fp_rpmevr *out,
                             struct fp_diag *diag);

/* Raw rpmvercmp() segment comparison of two byte strings. */
int fp_rpmvercmp(const char *a, size_t alen, const char *b, size_t blen);

/*
 * labelCompare: epoch (missing = 0), then version, then release with rpmvercmp. A side
 * without release is older than one with a release when versions are equal (librpm 4.18).
 */
int fp_rpm_evr_cmp(const struct fp_rpmevr *a, const struct fp_rpmevr *b);

/* Parse and compare two NUL-terminated EVR strings. */
int fp_rpm_vercmp(const char *a, const char *b);

/*
 * Compare EVRs given as separate fields, as repository metadata carries them. epoch may be NULL
 * or "" (= 0); release may be NULL (absent).
 */
int fp_rpm_evr_cmp3(const char *e1, const char *v1, const char *r1, const char *e2,
                    const char *v2, const char *r2);

/* ---- Alpine (apk) ------------------------------------------------------------------------ */

/* True if apk-tools would accept the string as a version. */
bool fp_apk_version_valid(const char *s);
/* apk_version_compare() semantics. */
int fp_apk_vercmp(const char *a, const char *b);

/* ---- any scheme -------------------------------------------------------------------------- */

int fp_vercmp(enum fp_scheme scheme, const char *a, const char *b);

#endif
