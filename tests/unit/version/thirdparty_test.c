/*
 * Third-party vectors: rpm's own rpmvercmp tests (librpm 4.18 column) and osv-scalibr's
 * Debian and Red Hat ordering fixtures (`a OP b`, `#` comments), with antisymmetry.
 */
#include "fleetpatch/version.h"
#include "test.h"

#define SHOW 5
#define OSV "oracles/third-party/osv-scalibr-semantic/"

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

static int raw_cmp(const char *a, const char *b)
{
        return fp_rpmvercmp(a, strlen(a), b, strlen(b));
}

static void check_rpm_upstream(void)
{
        const char *rel = "oracles/third-party/rpm-upstream-rpmvercmp-vectors.tsv";
        FILE *fp = fopen(fp_test_shared_path(rel), "r");
        char line[4096];
        unsigned long rows = 0, bad = 0, asym = 0;

        CHECK_MSG(fp != NULL, "cannot open %s", rel);
        if (!fp)
                return;
        if (!fgets(line, sizeof(line), fp))
                line[0] = '\0';
        while (fgets(line, sizeof(line), fp)) {
                char *f[6];
                int want, got;

                if (split_tabs(line, f, 6) != 5) {
                        CHECK_MSG(0, "%s:%lu: not 5 fields", rel, rows + 2);
                        continue;
                }
                rows++;
                want = atoi(f[4]);
                got = raw_cmp(f[0], f[1]);
                if (got != want && ++bad <= SHOW)
                        fprintf(stderr, "  %s: '%s' vs '%s': want %d got %d\n", rel, f[0], f[1],
                                want, got);
                if (raw_cmp(f[1], f[0]) != -got && ++asym <= SHOW)
                        fprintf(stderr, "  %s: antisymmetry '%s' vs '%s'\n", rel, f[0], f[1]);
        }
        fclose(fp);
        fprintf(stderr, "%s: %lu rows, %lu disagreements, %lu antisymmetry failures\n", rel, rows,
                bad, asym);
        CHECK(rows > 0);
        CHECK_INT_EQ(bad, 0);
        CHECK_INT_EQ(asym, 0);
}

static void check_osv(const char *rel, enum fp_scheme scheme)
{
        FILE *fp = fopen(fp_test_shared_path(rel), "r");
        char line[4096];
        unsigned long pairs = 0, bad = 0, asym = 0;

        CHECK_MSG(fp != NULL, "cannot open %s", rel);
        if (!fp)
                return;
        while (fgets(line, sizeof(line), fp)) {
                char a[2048], op[8], b[2048], extra[2];
                int want, got, rev;

                if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
                        continue;
                if (sscanf(line, "%2047s %7s %2047s %1s", a, op, b, extra) != 3 ||
                    strlen(op) != 1 || !strchr("<=>", op[0])) {
                        CHECK_MSG(0, "%s: bad line '%s'", rel, line);
                        continue;
                }
                pairs++;
                want = op[0] == '<' ? -1 : op[0] == '>' ? 1 : 0;
                got = fp_vercmp(scheme, a, b);
                rev = fp_vercmp(scheme, b, a);
                if (got != want && ++bad <= SHOW)
                        fprintf(stderr, "  %s: '%s' vs '%s': want %d got %d\n", rel, a, b, want,
                                got);
                if (rev != -got && ++asym <= SHOW)
                        fprintf(stderr, "  %s: antisymmetry '%s' vs '%s'\n", rel, a, b);
        }
        fclose(fp);
        fprintf(stderr, "%s: %lu pairs, %lu disagreements, %lu antisymmetry failures\n", rel,
                pairs, bad, asym);
        CHECK(pairs > 0);
        CHECK_INT_EQ(bad, 0);
        CHECK_INT_EQ(asym, 0);
}

static void check_scheme_names(void)
{
        enum fp_scheme s;

        CHECK(fp_scheme_from_name("deb", &s) && s == FP_SCHEME_DEB);
        CHECK(fp_scheme_from_name("rpm", &s) && s == FP_SCHEME_RPM);
        CHECK(fp_scheme_from_name("apk", &s) && s == FP_SCHEME_APK);
        CHECK(!fp_scheme_from_name("dpkg", &s));
        CHECK(!fp_scheme_from_name(NULL, &s));
        CHECK_STR_EQ(fp_scheme_name(FP_SCHEME_RPM), "rpm");
}

int main(void)
{
        check_scheme_names();
        check_rpm_upstream();
        check_osv(OSV "debian-versions.txt", FP_SCHEME_DEB);
        check_osv(OSV "debian-versions-generated.txt", FP_SCHEME_DEB);
        check_osv(OSV "redhat-versions.txt", FP_SCHEME_RPM);
        check_osv(OSV "alpine-versions.txt", FP_SCHEME_APK);
        check_osv(OSV "alpine-versions-generated.txt", FP_SCHEME_APK);
        return fp_test_finish();
}
