/*
 * Debian versions against the libdpkg oracles: every pair of dpkg-vercmp.tsv.gz and the
 * constructed subset, every row of dpkg-invalid.tsv (verdict and message), antisymmetry, limits.
 */
#include <zlib.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"
#include "test.h"

#define LINE_MAX_ 16384
#define SHOW 5

/* Splits line (newline stripped) on TAB only; returns the number of fields. */
static int split_tabs(char *line, char **f, int max)
{
        int n = 0;
        char *p = line, *nl = strchr(line, '\n');

        if (nl)
                *nl = '\0';
        f[n++] = p;
        while (n < max && (p = strchr(p, '\t'))) {
                *p++ = '\0';
                f[n++] = p;
        }
        return n;
}

/* Every pair of a `a TAB b TAB cmp` file (plain or gzip). */
static void check_vercmp_file(const char *rel)
{
        const char *path = fp_test_shared_path(rel);
        gzFile gz = gzopen(path, "rb");
        static char line[LINE_MAX_];
        unsigned long pairs = 0, bad = 0, asym = 0, badparse = 0;

        CHECK_MSG(gz != NULL, "cannot open %s", path);
        if (!gz)
                return;
        while (gzgets(gz, line, sizeof(line))) {
                char *f[4];
                struct fp_debver va, vb;
                struct fp_diag d;

                if (split_tabs(line, f, 4) != 3) {
                        CHECK_MSG(0, "%s:%lu: not 3 fields", rel, pairs + 1);
                        continue;
                }
                pairs++;
                int want = atoi(f[2]);
                int got = fp_deb_vercmp(f[0], f[1]);
                int rev = fp_deb_vercmp(f[1], f[0]);

                if (got != want && ++bad <= SHOW)
                        fprintf(stderr, "  %s: '%s' vs '%s': want %d got %d\n", rel, f[0], f[1],
                                want, got);
                if (rev != -got && ++asym <= SHOW)
                        fprintf(stderr, "  %s: antisymmetry '%s' vs '%s': %d and %d\n", rel,
                                f[0], f[1], got, rev);
                /* The oracle says every string parses silently; the parsed compare agrees. */
                fp_diag_clear(&d);
                if (fp_deb_version_parse(f[0], strlen(f[0]), &va, &d) != FP_VERSION_OK ||
                    fp_deb_version_parse(f[1], strlen(f[1]), &vb, &d) != FP_VERSION_OK ||
                    fp_deb_version_cmp(&va, &vb) != want) {
                        if (++badparse <= SHOW)
                                fprintf(stderr, "  %s: parse/cmp '%s' vs '%s': %s\n", rel, f[0],
                                        f[1], d.msg);
                }
        }
        gzclose(gz);
        fprintf(stderr, "%s: %lu pairs, %lu disagreements, %lu antisymmetry failures, "
                        "%lu parse disagreements\n",
                rel, pairs, bad, asym, badparse);
        CHECK(pairs > 0);
        CHECK_INT_EQ(bad, 0);
        CHECK_INT_EQ(asym, 0);
        CHECK_INT_EQ(badparse, 0);
}

static const char *verdict_name(enum fp_verdict v)
{
        return v == FP_VERSION_OK ? "ok" : v == FP_VERSION_WARNING ? "warning" : "error";
}

static void check_invalid_file(void)
{
        const char *path = fp_test_shared_path("oracles/dpkg-invalid.tsv");
        FILE *fp = fopen(path, "r");
        static char line[LINE_MAX_];
        unsigned long rows = 0, bad = 0;

        CHECK_MSG(fp != NULL, "cannot open %s", path);
        if (!fp)
                return;
        if (!fgets(line, sizeof(line), fp)) /* header */
                line[0] = '\0';
        while (fgets(line, sizeof(line), fp)) {
                char *f[7];
                struct fp_debver v;
                struct fp_diag d;

                if (split_tabs(line, f, 7) != 6) {
                        CHECK_MSG(0, "dpkg-invalid.tsv:%lu: not 6 fields", rows + 2);
                        continue;
                }
                rows++;
                fp_diag_clear(&d);
                enum fp_verdict got = fp_deb_version_parse(f[0], strlen(f[0]), &v, &d);
                const char *msg = got == FP_VERSION_OK ? "" : d.msg;
                bool ok = !strcmp(verdict_name(got), f[1]) && !strcmp(msg, f[2]);

                /* Rows with a normal spelling that dpkg considers equal. */
                if (ok && f[5][0] && fp_deb_vercmp(f[0], f[5]) != 0)
                        ok = false;
                if (!ok && ++bad <= SHOW)
                        fprintf(stderr, "  dpkg-invalid: '%s': want %s '%s' (= '%s'), got %s '%s'\n",
                                f[0], f[1], f[2], f[5], verdict_name(got), msg);
        }
        fclose(fp);
        fprintf(stderr, "dpkg-invalid.tsv: %lu rows, %lu disagreements\n", rows, bad);
        CHECK(rows > 0);
        CHECK_INT_EQ(bad, 0);
}

static enum fp_verdict parse_str(const char *s, const char **msg)
{
        static struct fp_diag d;
        struct fp_debver v;
        enum fp_verdict r;

        fp_diag_clear(&d);
        r = fp_deb_version_parse(s, strlen(s), &v, &d);
        *msg = d.msg;
        return r;
}

static void check_cases(void)
{
        const char *msg;
        struct fp_debver v;

        /* dpkg checks the byte after the colon before trimming. */
        CHECK_INT_EQ(parse_str("1: ", &msg), FP_VERSION_ERROR);
        CHECK_STR_EQ(msg, "version number is empty");
        CHECK_INT_EQ(parse_str("1:", &msg), FP_VERSION_ERROR);
        CHECK_STR_EQ(msg, "nothing after colon in version number");
        /* strtol() skips newlines and friends, not only blanks. */
        CHECK_INT_EQ(parse_str("\n1:1.0", &msg), FP_VERSION_OK);
        CHECK_INT_EQ(parse_str("-99999999999999999999:1", &msg), FP_VERSION_ERROR);
        CHECK_STR_EQ(msg, "epoch in version is negative");
        CHECK_INT_EQ(parse_str("2147483647:1", &msg), FP_VERSION_OK);
        CHECK_INT_EQ(parse_str("   ", &msg), FP_VERSION_ERROR);
        CHECK_STR_EQ(msg, "version string is empty");
        CHECK_INT_EQ(parse_str("1:1.0-1:1", &msg), FP_VERSION_WARNING);
        CHECK_STR_EQ(msg, "invalid character in revision number");
        /* Only the first character check of the upstream part is reported. */
        CHECK_INT_EQ(parse_str("a_b", &msg), FP_VERSION_WARNING);
        CHECK_STR_EQ(msg, "version number does not start with digit");

        /* An embedded NUL ends the string, as for dpkg. */
        CHECK_INT_EQ(fp_deb_version_parse("1.0\0junk", 8, &v, NULL), FP_VERSION_OK);
        CHECK_INT_EQ(v.upstream_len, 3);

        /* Ordering basics of Debian policy. */
        CHECK_INT_EQ(fp_deb_vercmp("1.0~rc1", "1.0"), -1);
        CHECK_INT_EQ(fp_deb_vercmp("1.0", "1.0-0"), 0);
        CHECK_INT_EQ(fp_deb_vercmp("1:0.1", "2.0"), 1);
        CHECK_INT_EQ(fp_deb_vercmp("1.0+deb12u1", "1.0~deb12u1"), 1);
        CHECK_INT_EQ(fp_deb_vercmp("1.9", "1.9-~~"), 1);
        /* Non-ASCII bytes weigh like signed chars on amd64: after letters, before '+'. */
        CHECK_INT_EQ(fp_deb_vercmp("1.0\xc3\xa9", "1.0z"), 1);
        CHECK_INT_EQ(fp_deb_vercmp("1.0\xc3\xa9", "1.0+"), -1);

        /* Refused strings: after every accepted version, among themselves by bytes. */
        CHECK_INT_EQ(fp_deb_vercmp("1.0-", "99:9"), 1);
        CHECK_INT_EQ(fp_deb_vercmp("99:9", "1.0-"), -1);
        CHECK_INT_EQ(fp_deb_vercmp("1.0-", "2.0-"), -1);
        CHECK_INT_EQ(fp_deb_vercmp("", ""), 0);
        CHECK_INT_EQ(fp_deb_vercmp("", "1"), 1);
}

static void check_limits(void)
{
        static char s[FP_MAX_VERSION_LEN + 2], t[FP_MAX_VERSION_LEN + 2];
        struct fp_debver v;
        struct fp_diag d;

        memset(s, '1', FP_MAX_VERSION_LEN);
        s[FP_MAX_VERSION_LEN] = '\0';
        memcpy(t, s, sizeof(t));
        t[FP_MAX_VERSION_LEN - 1] = '2';
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_deb_version_parse(s, FP_MAX_VERSION_LEN, &v, &d), FP_VERSION_OK);
        CHECK_INT_EQ(fp_deb_vercmp(s, s), 0);
        CHECK_INT_EQ(fp_deb_vercmp(s, t), -1);
        CHECK_INT_EQ(fp_deb_vercmp(s, "2"), 1);

        /* One past the limit: refused with a reason, sorted after accepted versions. */
        memset(s, '1', FP_MAX_VERSION_LEN + 1);
        s[FP_MAX_VERSION_LEN + 1] = '\0';
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_deb_version_parse(s, FP_MAX_VERSION_LEN + 1, &v, &d), FP_VERSION_ERROR);
        CHECK_STR_EQ(d.msg, "version string is too long");
        CHECK_INT_EQ(fp_deb_vercmp(s, "2"), 1);
        CHECK_INT_EQ(fp_deb_vercmp("2", s), -1);
        CHECK_INT_EQ(fp_deb_vercmp(s, s), 0);
}

int main(void)
{
        check_cases();
        check_limits();
        check_invalid_file();
        check_vercmp_file("oracles/dpkg-vercmp-constructed.tsv");
        check_vercmp_file("oracles/dpkg-vercmp.tsv.gz");
        return fp_test_finish();
}
