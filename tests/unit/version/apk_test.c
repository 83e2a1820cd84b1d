/*
 * Alpine versions against osv-scalibr's fixtures (alpine-versions*.txt: `a OP b`, `#`
 * comments), the only apk ordering oracle we have, plus apk-tools' validity rules.
 */
#include "fleetpatch/version.h"
#include "test.h"

#define SHOW 5

static int op_value(const char *op)
{
        return !strcmp(op, "<") ? -1 : !strcmp(op, ">") ? 1 : !strcmp(op, "=") ? 0 : 2;
}

static void check_file(const char *rel)
{
        const char *path = fp_test_shared_path(rel);
        FILE *fp = fopen(path, "r");
        char line[4096];
        unsigned long pairs = 0, bad = 0, asym = 0;

        CHECK_MSG(fp != NULL, "cannot open %s", path);
        if (!fp)
                return;
        while (fgets(line, sizeof(line), fp)) {
                char a[2048], op[8], b[2048], extra[2];
                int want, got, rev;

                if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
                        continue;
                if (sscanf(line, "%2047s %7s %2047s %1s", a, op, b, extra) != 3 ||
                    (want = op_value(op)) == 2) {
                        CHECK_MSG(0, "%s: bad line '%s'", rel, line);
                        continue;
                }
                pairs++;
                got = fp_apk_vercmp(a, b);
                rev = fp_apk_vercmp(b, a);
                if (got != want && ++bad <= SHOW)
                        fprintf(stderr, "  %s: '%s' vs '%s': want %d got %d\n", rel, a, b, want,
                                got);
                if (rev != -got && ++asym <= SHOW)
                        fprintf(stderr, "  %s: antisymmetry '%s' vs '%s': %d and %d\n", rel, a, b,
                                got, rev);
        }
        fclose(fp);
        fprintf(stderr, "%s: %lu pairs, %lu disagreements, %lu antisymmetry failures\n", rel,
                pairs, bad, asym);
        CHECK(pairs > 0);
        CHECK_INT_EQ(bad, 0);
        CHECK_INT_EQ(asym, 0);
}

static void check_validity(void)
{
        static const char *valid[] = {"1", "1.2.3", "1.2.3a", "1.2_alpha1", "1.2_rc1_p2",
                                      "1.2~abc12-r3", "1.2-r0", "0.1.0_alpha_pre2", "006",
                                      "2.0.1a-r10", "1.2_p"};
        static const char *invalid[] = {"", "a", ".1", "1..2", "1.2_blah", "1.0bc", "1.2.0A",
                                        "1-r", "1-r0-1", "1-ruff", "1.2~", "1.2~ABC", "1_",
                                        "1.2a.3", "1-r1_p1", "1 2", "v1.0"};

        for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
                CHECK_MSG(fp_apk_version_valid(valid[i]), "'%s' should be valid", valid[i]);
        for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
                CHECK_MSG(!fp_apk_version_valid(invalid[i]), "'%s' should be invalid",
                          invalid[i]);
        CHECK(!fp_apk_version_valid(NULL));
}

static void check_cases(void)
{
        CHECK_INT_EQ(fp_apk_vercmp("1.2_rc1", "1.2"), -1);
        CHECK_INT_EQ(fp_apk_vercmp("1.2_p1", "1.2"), 1);
        CHECK_INT_EQ(fp_apk_vercmp("1.2-r1", "1.2-r0"), 1);
        CHECK_INT_EQ(fp_apk_vercmp("1.2.10", "1.2.9"), 1);
        /* A later component with a leading zero compares as text. */
        CHECK_INT_EQ(fp_apk_vercmp("1.05", "1.1"), -1);
        CHECK_INT_EQ(fp_apk_vercmp("", ""), 0);
        CHECK_INT_EQ(fp_apk_vercmp("a", "b"), -1);
}

int main(void)
{
        check_validity();
        check_cases();
        check_file("oracles/third-party/osv-scalibr-semantic/alpine-versions.txt");
        check_file("oracles/third-party/osv-scalibr-semantic/alpine-versions-generated.txt");
        return fp_test_finish();
}
