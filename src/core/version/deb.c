/*
 * Debian version strings, exactly as libdpkg 1.21 parses (parseversion()) and orders them
 * (dpkg_version_compare()), without allocation so that scans over a whole archive stay cheap.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"

/* dpkg's c_isblank(): only space and tab are trimmed or count as "embedded spaces". */
static inline bool deb_isblank(unsigned char c)
{
        return c == ' ' || c == '\t';
}

static inline bool deb_isdigit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static inline bool deb_isalpha(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* strtol() skips isspace() in the C locale before the number, not just blanks. */
static inline bool deb_isspace(unsigned char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * Sort weight of one byte in a non-digit run (dpkg's order()): '~' before the end of the
 * string, the end before letters, letters before everything else. libdpkg passes a plain
 * `char`, which is signed on amd64 (the platform of the oracles), so a byte >= 0x80 weighs
 * (byte - 256) + 256 = byte: after the letters but before ASCII punctuation (c + 256).
 * Digits weigh 0 like the end, which verrevcmp never compares against each other.
 */
static const int16_t deb_weight[256] = {
#define W4(c) W1(c), W1((c) + 1), W1((c) + 2), W1((c) + 3)
#define W16(c) W4(c), W4((c) + 4), W4((c) + 8), W4((c) + 12)
#define W64(c) W16(c), W16((c) + 16), W16((c) + 32), W16((c) + 48)
#define W1(c)                                                                                      \
        ((c) == 0                               ? 0                                                \
         : ((c) >= '0' && (c) <= '9')           ? 0                                                \
         : (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')) ? (c)                       \
         : (c) == '~'                           ? -1                                               \
         : (c) >= 0x80                          ? (c)                                              \
                                                : (c) + 256)
        W64(0), W64(64), W64(128), W64(192)
#undef W1
#undef W4
#undef W16
#undef W64
};

/*
 * dpkg's verrevcmp() on two byte ranges. Returns the sign only. A position at the end of its
 * range reads as weight 0, like the terminating NUL in libdpkg.
 */
static int deb_verrevcmp(const unsigned char *a, size_t alen, const unsigned char *b,
                         size_t blen)
{
        size_t i = 0, j = 0;

        while (i < alen || j < blen) {
                int first_diff = 0;

                while ((i < alen && !deb_isdigit(a[i])) || (j < blen && !deb_isdigit(b[j]))) {
                        int ac = i < alen ? deb_weight[a[i]] : 0;
                        int bc = j < blen ? deb_weight[b[j]] : 0;

                        if (ac != bc)
                                return ac < bc ? -1 : 1;
                        /* Equal weights are never 0 here, so neither side is at its end. */
                        i++;
                        j++;
                }
                while (i < alen && a[i] == '0')
                        i++;
                while (j < blen && b[j] == '0')
                        j++;
                while (i < alen && j < blen && deb_isdigit(a[i]) && deb_isdigit(b[j])) {
                        if (!first_diff)
                                first_diff = (int)a[i] - (int)b[j];
                        i++;
                        j++;
                }
                if (i < alen && deb_isdigit(a[i]))
                        return 1;
                if (j < blen && deb_isdigit(b[j]))
                        return -1;
                if (first_diff)
                        return first_diff < 0 ? -1 : 1;
        }
        return 0;
}

int fp_deb_version_cmp(const struct fp_debver *a, const struct fp_debver *b)
{
        int rc;

        if (a->epoch != b->epoch)
                return a->epoch < b->epoch ? -1 : 1;
        rc = deb_verrevcmp((const unsigned char *)a->upstream, a->upstream_len,
                           (const unsigned char *)b->upstream, b->upstream_len);
        if (rc)
                return rc;
        return deb_verrevcmp((const unsigned char *)a->revision, a->revision_len,
                             (const unsigned char *)b->revision, b->revision_len);
}

/*
 * Epoch like parseversion(): strtol() from the start of the string, which must stop exactly at
 * the first colon. Returns NULL on success or dpkg's message.
 */
static const char *deb_parse_epoch(const unsigned char *s, const unsigned char *colon,
                                   unsigned long *out)
{
        const unsigned char *p = s;
        bool neg = false, overflow = false;
        unsigned long val = 0;

        while (p < colon && deb_isspace(*p))
                p++;
        if (p < colon && (*p == '+' || *p == '-'))
                neg = *p++ == '-';
        if (p == colon || !deb_isdigit(*p))
                /* strtol() consumed nothing: endptr is the start of the string. */
                return "epoch in version is empty";
        for (; p < colon && deb_isdigit(*p); p++) {
                if (val > (ULONG_MAX - 9) / 10)
                        overflow = true;
                else
                        val = val * 10 + (unsigned long)(*p - '0');
        }
        if (p != colon)
                return "epoch in version is not number";
        /* strtol() clamps to LONG_MIN/LONG_MAX; dpkg checks "negative" before "too big". */
        if (neg && (val != 0 || overflow))
                return "epoch in version is negative";
        if (overflow || val > INT_MAX)
                return "epoch in version is too big";
        *out = val;
        return NULL;
}

/*
 * The whole of parseversion(). check_chars selects the character checks that can only give
 * warnings; the compare path skips them because warnings do not change the order.
 */
static enum fp_verdict deb_parse(const char *str, size_t len, struct fp_debver *out,
                                 const char **msg, bool check_chars)
{
        const unsigned char *s = (const unsigned char *)str;
        const unsigned char *start, *end, *p, *colon, *hyphen, *vstart;
        unsigned long epoch = 0;
        const char *m;

        if (len > FP_MAX_VERSION_LEN) {
                *msg = "version string is too long";
                return FP_VERSION_ERROR;
        }
        start = s;
        end = s + len;
        while (start < end && deb_isblank(*start))
                start++;
        if (start == end) {
                *msg = "version string is empty";
                return FP_VERSION_ERROR;
        }
        p = start;
        colon = NULL;
        while (p < end && !deb_isblank(*p)) {
                if (*p == ':' && !colon)
                        colon = p;
                p++;
        }
        vstart = start;
        {
                const unsigned char *word_end = p;

                while (p < end && deb_isblank(*p))
                        p++;
                if (p != end) {
                        *msg = "version string has embedded spaces";
                        return FP_VERSION_ERROR;
                }
                end = word_end;
        }
        if (colon) {
                m = deb_parse_epoch(start, colon, &epoch);
                if (m) {
                        *msg = m;
                        return FP_VERSION_ERROR;
                }
                /*
                 * dpkg tests the byte after the colon in the untrimmed string: "1: " passes
                 * this test and fails later as an empty version.
                 */
                if (colon + 1 == s + len) {
                        *msg = "nothing after colon in version number";
                        return FP_VERSION_ERROR;
                }
                vstart = colon + 1;
        }
        hyphen = NULL;
        if (vstart < end)
                hyphen = memrchr(vstart, '-', (size_t)(end - vstart));
        if (hyphen && hyphen + 1 == end) {
                *msg = "revision number is empty";
                return FP_VERSION_ERROR;
        }
        {
                const unsigned char *vend = hyphen ? hyphen : end;

                if (vstart >= vend) {
                        *msg = "version number is empty";
                        return FP_VERSION_ERROR;
                }
                out->epoch = epoch;
                out->upstream = (const char *)vstart;
                out->upstream_len = (size_t)(vend - vstart);
                out->revision = hyphen ? (const char *)hyphen + 1 : (const char *)vend;
                out->revision_len = hyphen ? (size_t)(end - hyphen - 1) : 0;
        }
        *msg = NULL;
        if (!check_chars)
                return FP_VERSION_OK;

        p = (const unsigned char *)out->upstream;
        if (!deb_isdigit(*p)) {
                *msg = "version number does not start with digit";
                return FP_VERSION_WARNING;
        }
        for (p++; p < (const unsigned char *)out->upstream + out->upstream_len; p++) {
                if (!deb_isdigit(*p) && !deb_isalpha(*p) && !strchr(".-+~:", *p)) {
                        *msg = "invalid character in version number";
                        return FP_VERSION_WARNING;
                }
        }
        for (p = (const unsigned char *)out->revision;
             p < (const unsigned char *)out->revision + out->revision_len; p++) {
                if (!deb_isdigit(*p) && !deb_isalpha(*p) && !strchr(".+~", *p)) {
                        *msg = "invalid character in revision number";
                        return FP_VERSION_WARNING;
                }
        }
        return FP_VERSION_OK;
}

enum fp_verdict fp_deb_version_parse(const char *s, size_t len, struct fp_debver *out,
                                     struct fp_diag *diag)
{
        struct fp_debver v;
        const char *msg = NULL;
        enum fp_verdict verdict;

        /* dpkg sees a C string: an embedded NUL ends it. */
        if (s) {
                const char *nul = memchr(s, '\0', len);
                if (nul)
                        len = (size_t)(nul - s);
        } else {
                len = 0;
        }
        verdict = deb_parse(s ? s : "", len, &v, &msg, true);
        if (verdict != FP_VERSION_OK)
                fp_diag_msg(diag, "%s", msg);
        if (verdict != FP_VERSION_ERROR && out)
                *out = v;
        return verdict;
}

int fp_deb_vercmp(const char *a, const char *b)
{
        struct fp_debver va, vb;
        const char *msg;
        size_t alen = strnlen(a, FP_MAX_VERSION_LEN + 1);
        size_t blen = strnlen(b, FP_MAX_VERSION_LEN + 1);
        bool aok = deb_parse(a, alen, &va, &msg, false) != FP_VERSION_ERROR;
        bool bok = deb_parse(b, blen, &vb, &msg, false) != FP_VERSION_ERROR;

        /*
         * Refused strings have no dpkg order. Put them after every accepted version and order
         * them among themselves by their bytes, so that sorting stays total and stable.
         */
        if (aok && bok)
                return fp_deb_version_cmp(&va, &vb);
        if (aok != bok)
                return aok ? -1 : 1;
        {
                int rc = strcmp(a, b);
                return (rc > 0) - (rc < 0);
        }
}
