/*
 * RPM EVRs against the librpm 4.18 oracles: every pair of rpm-vercmp.tsv.gz (also through
 * fp_rpm_evr_cmp3), the mixed-release pairs, raw rpmvercmp() on arbitrary strings, the
 * rpmverParse() split of odd EVRs, the real EVR corpus, antisymmetry and limits.
 */
#include <zlib.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"
#include "test.h"

#define LINE_MAX_ 16384
#define SHOW 5

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

/* Copies one parsed field into buf (NULL stays NULL). */
static const char *field(char *buf, size_t bufsz, const char *p, size_t len)
{
        if (!p)
                return NULL;
        if (len >= bufsz)
                len = bufsz - 1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        return buf;
}

enum mode { LABEL, RAW };

static void check_pairs(const char *rel, enum mode mode)
{
        const char *path = fp_test_shared_path(rel);
        gzFile gz = gzopen(path, "rb");
        static char line[LINE_MAX_];
        unsigned long pairs = 0, bad = 0, asym = 0, bad3 = 0;

        CHECK_MSG(gz != NULL, "cannot open %s", path);
        if (!gz)
                return;
        while (gzgets(gz, line, sizeof(line))) {
                char *f[4];
                int want, got, rev;

                if (split_tabs(line, f, 4) != 3) {
                        CHECK_MSG(0, "%s:%lu: not 3 fields", rel, pairs + 1);
                        continue;
                }
                pairs++;
                want = atoi(f[2]);
                if (mode == RAW) {
                        got = fp_rpmvercmp(f[0], strlen(f[0]), f[1], strlen(f[1]));
                        rev = fp_rpmvercmp(f[1], strlen(f[1]), f[0], strlen(f[0]));
                } else {
                        got = fp_rpm_vercmp(f[0], f[1]);
                        rev = fp_rpm_vercmp(f[1], f[0]);
                }
                if (got != want && ++bad <= SHOW)
                        fprintf(stderr, "  %s: '%s' vs '%s': want %d got %d\n", rel, f[0], f[1],
                                want, got);
                if (rev != -got && ++asym <= SHOW)
                        fprintf(stderr, "  %s: antisymmetry '%s' vs '%s': %d and %d\n", rel,
                                f[0], f[1], got, rev);
                if (mode == LABEL) {
                        /* The same pair as separate fields, as repository metadata has them. */
                        struct fp_rpmevr a, b;
                        char ea[64], va[1100], ra[1100], eb[64], vb[1100], rb[1100];
                        int got3;

                        fp_rpm_evr_parse(f[0], strlen(f[0]), &a, NULL);
                        fp_rpm_evr_parse(f[1], strlen(f[1]), &b, NULL);
                        got3 = fp_rpm_evr_cmp3(
                                field(ea, sizeof(ea), a.epoch, a.epoch_len),
                                field(va, sizeof(va), a.version, a.version_len),
                                field(ra, sizeof(ra), a.release, a.release_len),
                                field(eb, sizeof(eb), b.epoch, b.epoch_len),
                                field(vb, sizeof(vb), b.version, b.version_len),
                                field(rb, sizeof(rb), b.release, b.release_len));
                        if (got3 != want && ++bad3 <= SHOW)
                                fprintf(stderr, "  %s: cmp3 '%s' vs '%s': want %d got %d\n", rel,
                                        f[0], f[1], want, got3);
                }
        }
        gzclose(gz);
        fprintf(stderr, "%s: %lu pairs, %lu disagreements, %lu antisymmetry failures, "
                        "%lu evr_cmp3 disagreements\n",
                rel, pairs, bad, asym, bad3);
        CHECK(pairs > 0);
        CHECK_INT_EQ(bad, 0);
        CHECK_INT_EQ(asym, 0);
        CHECK_INT_EQ(bad3, 0);
}

static bool field_eq(const char *want, const char *p, size_t len)
{
        if (!strcmp(want, "(null)"))
                return p == NULL;
        return p && strlen(want) == len && !memcmp(want, p, len);
}

static void check_parse_edge(void)
{
        const char *path = fp_test_shared_path("oracles/rpm-evr-parse-edge.tsv");
        FILE *fp = fopen(path, "r");
        static char line[LINE_MAX_];
        unsigned long rows = 0, bad = 0;

        CHECK_MSG(fp != NULL, "cannot open %s", path);
        if (!fp)
                return;
        if (!fgets(line, sizeof(line), fp))
                line[0] = '\0';
        while (fgets(line, sizeof(line), fp)) {
                char *f[6];
                struct fp_rpmevr e;

                if (split_tabs(line, f, 6) != 5) {
                        CHECK_MSG(0, "rpm-evr-parse-edge.tsv:%lu: not 5 fields", rows + 2);
                        continue;
                }
                rows++;
                CHECK_INT_EQ(fp_rpm_evr_parse(f[0], strlen(f[0]), &e, NULL), FP_OK);
                int cmp = fp_rpm_vercmp(f[0], "1.0-1");
                if (!field_eq(f[1], e.epoch, e.epoch_len) ||
                    !field_eq(f[2], e.version, e.version_len) ||
                    !field_eq(f[3], e.release, e.release_len) || cmp != atoi(f[4])) {
                        if (++bad <= SHOW)
                                fprintf(stderr,
                                        "  parse-edge '%s': want %s|%s|%s cmp %s, got %.*s|%.*s|%.*s "
                                        "cmp %d\n",
                                        f[0], f[1], f[2], f[3], f[4], (int)e.epoch_len,
                                        e.epoch ? e.epoch : "(null)", (int)e.version_len, e.version,
                                        (int)e.release_len, e.release ? e.release : "(null)", cmp);
                }
        }
        fclose(fp);
        fprintf(stderr, "rpm-evr-parse-edge.tsv: %lu rows, %lu disagreements\n", rows, bad);
        CHECK(rows > 0);
        CHECK_INT_EQ(bad, 0);
}

/* Every real EVR splits into version and release, and re-joins to itself. */
static void check_real_evrs(void)
{
        const char *path = fp_test_shared_path("oracles/rpm-real-evrs.txt");
        FILE *fp = fopen(path, "r");
        static char line[LINE_MAX_];
        unsigned long rows = 0, bad = 0;

        CHECK_MSG(fp != NULL, "cannot open %s", path);
        if (!fp)
                return;
        while (fgets(line, sizeof(line), fp)) {
                char *nl = strchr(line, '\n'), joined[LINE_MAX_];
                struct fp_rpmevr e;

                if (nl)
                        *nl = '\0';
                if (!line[0])
                        continue;
                rows++;
                if (fp_rpm_evr_parse(line, strlen(line), &e, NULL) != FP_OK || !e.release ||
                    !e.version_len || !e.release_len) {
                        if (++bad <= SHOW)
                                fprintf(stderr, "  real EVR '%s' does not split\n", line);
                        continue;
                }
                snprintf(joined, sizeof(joined), "%.*s%s%.*s-%.*s", (int)e.epoch_len,
                         e.epoch ? e.epoch : "", e.epoch ? ":" : "", (int)e.version_len,
                         e.version, (int)e.release_len, e.release);
                if (strcmp(joined, line) || fp_rpm_vercmp(line, line) != 0)
                        if (++bad <= SHOW)
                                fprintf(stderr, "  real EVR '%s' re-joins as '%s'\n", line,
                                        joined);
        }
        fclose(fp);
        fprintf(stderr, "rpm-real-evrs.txt: %lu EVRs, %lu failures\n", rows, bad);
        CHECK(rows > 2000);
        CHECK_INT_EQ(bad, 0);
}

static void check_cases(void)
{
        CHECK_INT_EQ(fp_rpmvercmp("", 0, "", 0), 0);
        CHECK_INT_EQ(fp_rpmvercmp("", 0, "~", 1), 1);
        CHECK_INT_EQ(fp_rpmvercmp("", 0, "^", 1), -1);
        CHECK_INT_EQ(fp_rpmvercmp("1.0^", 4, "1.0", 3), 1);
        CHECK_INT_EQ(fp_rpmvercmp("1.0~rc1", 7, "1.0", 3), -1);
        /* An embedded NUL ends the string, as in librpm. */
        CHECK_INT_EQ(fp_rpmvercmp("1.0\0002", 5, "1.0", 3), 0);
        CHECK_INT_EQ(fp_rpm_vercmp("1:1.0-1", "2.0-1"), 1);
        CHECK_INT_EQ(fp_rpm_vercmp("0:1.0-1", "1.0-1"), 0);
        CHECK_INT_EQ(fp_rpm_vercmp("1.16", "0:1.16-14.el8"), -1);
        CHECK_INT_EQ(fp_rpm_evr_cmp3(NULL, "1.0", "1", "", "1.0", "1"), 0);
        CHECK_INT_EQ(fp_rpm_evr_cmp3("0", "1.0", NULL, NULL, "1.0", "1"), -1);
        CHECK_INT_EQ(fp_rpm_evr_cmp3("01", "1.0", "1", "1", "1.0", "1"), 0);
        CHECK_INT_EQ(fp_rpm_evr_cmp3("2", "0.1", "1", "1", "9.0", "1"), 1);
        CHECK_INT_EQ(fp_rpm_vercmp("", ""), 0);
}

static void check_limits(void)
{
        static char s[FP_MAX_VERSION_LEN + 2], t[FP_MAX_VERSION_LEN + 2];
        struct fp_rpmevr e;
        struct fp_diag d;

        memset(s, '1', FP_MAX_VERSION_LEN);
        s[FP_MAX_VERSION_LEN] = '\0';
        memcpy(t, s, sizeof(t));
        t[FP_MAX_VERSION_LEN - 1] = '2';
        CHECK_INT_EQ(fp_rpm_evr_parse(s, FP_MAX_VERSION_LEN, &e, NULL), FP_OK);
        CHECK_INT_EQ(fp_rpm_vercmp(s, t), -1);
        CHECK_INT_EQ(fp_rpm_vercmp(s, "2"), 1);

        memset(s, '1', FP_MAX_VERSION_LEN + 1);
        s[FP_MAX_VERSION_LEN + 1] = '\0';
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_rpm_evr_parse(s, FP_MAX_VERSION_LEN + 1, &e, &d), FP_ELIMIT);
        CHECK(d.msg[0] != '\0');
        /* Over-long EVRs sort after all others, so the order stays total. */
        CHECK_INT_EQ(fp_rpm_vercmp(s, "2"), 1);
        CHECK_INT_EQ(fp_rpm_vercmp("2", s), -1);
        CHECK_INT_EQ(fp_rpm_vercmp(s, s), 0);
        /* Raw rpmvercmp() has no limit of its own. */
        CHECK_INT_EQ(fp_rpmvercmp(s, strlen(s), "2", 1), 1);
}

int main(void)
{
        check_cases();
        check_limits();
        check_parse_edge();
        check_real_evrs();
        check_pairs("oracles/rpm-vercmp-mixed-release.tsv", LABEL);
        check_pairs("oracles/rpm-rpmvercmp-raw.tsv.gz", RAW);
        check_pairs("oracles/rpm-vercmp.tsv.gz", LABEL);
        return fp_test_finish();
}
