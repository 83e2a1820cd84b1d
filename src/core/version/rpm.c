/*
 * RPM EVRs: the split of librpm 4.18 rpmverParse(), the segment order of rpmvercmp() and the
 * labelCompare/rpmverCmp rules on top, on byte ranges and without allocation.
 */
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"

/* rpm's rctype helpers are ASCII-only: every byte >= 0x80 is a separator. */
static inline bool rpm_isdigit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static inline bool rpm_isalpha(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool rpm_issep(unsigned char c)
{
        return !rpm_isdigit(c) && !rpm_isalpha(c) && c != '~' && c != '^';
}

/* librpm sees C strings: an embedded NUL ends the string. */
static size_t rpm_cstrlen(const char *s, size_t len)
{
        const char *nul = s ? memchr(s, '\0', len) : NULL;

        if (!s)
                return 0;
        return nul ? (size_t)(nul - s) : len;
}

static int rpm_segcmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
        size_t n = alen < blen ? alen : blen;
        int rc = memcmp(a, b, n);

        if (rc)
                return rc < 0 ? -1 : 1;
        return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

int fp_rpmvercmp(const char *as, size_t alen, const char *bs, size_t blen)
{
        const unsigned char *a = (const unsigned char *)as, *b = (const unsigned char *)bs;
        size_t i = 0, j = 0;

        alen = rpm_cstrlen(as, alen);
        blen = rpm_cstrlen(bs, blen);
        if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
                return 0;

        while (i < alen || j < blen) {
                int ca, cb;
                size_t si, sj;
                bool isnum;

                while (i < alen && rpm_issep(a[i]))
                        i++;
                while (j < blen && rpm_issep(b[j]))
                        j++;
                ca = i < alen ? a[i] : 0;
                cb = j < blen ? b[j] : 0;

                /* '~' sorts before everything, even the end of the string. */
                if (ca == '~' || cb == '~') {
                        if (ca != '~')
                                return 1;
                        if (cb != '~')
                                return -1;
                        i++;
                        j++;
                        continue;
                }
                /* '^' sorts after the end of the string but before anything else. */
                if (ca == '^' || cb == '^') {
                        if (i >= alen)
                                return -1;
                        if (j >= blen)
                                return 1;
                        if (ca != '^')
                                return 1;
                        if (cb != '^')
                                return -1;
                        i++;
                        j++;
                        continue;
                }
                if (i >= alen || j >= blen)
                        break;

                si = i;
                sj = j;
                isnum = rpm_isdigit(a[i]);
                if (isnum) {
                        while (i < alen && rpm_isdigit(a[i]))
                                i++;
                        while (j < blen && rpm_isdigit(b[j]))
                                j++;
                } else {
                        while (i < alen && rpm_isalpha(a[i]))
                                i++;
                        while (j < blen && rpm_isalpha(b[j]))
                                j++;
                }
                /* Segments of different kinds: the numeric one is newer. */
                if (sj == j)
                        return isnum ? 1 : -1;
                if (isnum) {
                        while (si < i && a[si] == '0')
                                si++;
                        while (sj < j && b[sj] == '0')
                                sj++;
                        if (i - si != j - sj)
                                return i - si > j - sj ? 1 : -1;
                }
                {
                        int rc = rpm_segcmp(a + si, i - si, b + sj, j - sj);
                        if (rc)
                                return rc;
                }
        }
        if (i >= alen && j >= blen)
                return 0;
        return i >= alen ? -1 : 1;
}

enum fp_err fp_rpm_evr_parse(const char *s, size_t len, struct fp_rpmevr *out,
                             struct fp_diag *diag)
{
        const char *p, *end, *hyphen;

        len = rpm_cstrlen(s, len);
        if (len > FP_MAX_VERSION_LEN) {
                fp_diag_msg(diag, "EVR is longer than %d bytes", FP_MAX_VERSION_LEN);
                return FP_ELIMIT;
        }
        if (!s)
                s = "";
        end = s + len;
        p = s;
        while (p < end && rpm_isdigit((unsigned char)*p))
                p++;
        /* rpmverParse() looks for the release from the end of the leading digits on. */
        hyphen = p < end ? memrchr(p, '-', (size_t)(end - p)) : NULL;
        if (p < end && *p == ':') {
                /* ":1.0" has an empty epoch, which librpm turns into "0". */
                out->epoch = p == s ? "0" : s;
                out->epoch_len = p == s ? 1 : (size_t)(p - s);
                out->version = p + 1;
        } else {
                out->epoch = NULL;
                out->epoch_len = 0;
                out->version = s;
        }
        if (hyphen) {
                out->version_len = (size_t)(hyphen - out->version);
                out->release = hyphen + 1;
                out->release_len = (size_t)(end - hyphen - 1);
        } else {
                out->version_len = (size_t)(end - out->version);
                out->release = NULL;
                out->release_len = 0;
        }
        return FP_OK;
}

int fp_rpm_evr_cmp(const struct fp_rpmevr *a, const struct fp_rpmevr *b)
{
        int rc;

        rc = fp_rpmvercmp(a->epoch ? a->epoch : "0", a->epoch ? a->epoch_len : 1,
                          b->epoch ? b->epoch : "0", b->epoch ? b->epoch_len : 1);
        if (rc)
                return rc;
        rc = fp_rpmvercmp(a->version, a->version_len, b->version, b->version_len);
        if (rc)
                return rc;
        if (a->release && b->release)
                return fp_rpmvercmp(a->release, a->release_len, b->release, b->release_len);
        /* librpm 4.18: a build without release is older than the same version with one. */
        if (a->release)
                return 1;
        if (b->release)
                return -1;
        return 0;
}

int fp_rpm_vercmp(const char *a, const char *b)
{
        struct fp_rpmevr ea, eb;
        bool aok = fp_rpm_evr_parse(a, strnlen(a, FP_MAX_VERSION_LEN + 1), &ea, NULL) == FP_OK;
        bool bok = fp_rpm_evr_parse(b, strnlen(b, FP_MAX_VERSION_LEN + 1), &eb, NULL) == FP_OK;

        /* Over-long EVRs sort after all others, by their bytes, to keep the order total. */
        if (aok && bok)
                return fp_rpm_evr_cmp(&ea, &eb);
        if (aok != bok)
                return aok ? -1 : 1;
        {
                int rc = strcmp(a, b);
                return (rc > 0) - (rc < 0);
        }
}

int fp_rpm_evr_cmp3(const char *e1, const char *v1, const char *r1, const char *e2,
                    const char *v2, const char *r2)
{
        struct fp_rpmevr a, b;

        /* Repository metadata writes epoch="" or leaves it out for epoch 0. */
        a.epoch = e1 && *e1 ? e1 : NULL;
        a.epoch_len = a.epoch ? strlen(e1) : 0;
        a.version = v1 ? v1 : "";
        a.version_len = strlen(a.version);
        a.release = r1;
        a.release_len = r1 ? strlen(r1) : 0;
        b.epoch = e2 && *e2 ? e2 : NULL;
        b.epoch_len = b.epoch ? strlen(e2) : 0;
        b.version = v2 ? v2 : "";
        b.version_len = strlen(b.version);
        b.release = r2;
        b.release_len = r2 ? strlen(r2) : 0;
        return fp_rpm_evr_cmp(&a, &b);
}
