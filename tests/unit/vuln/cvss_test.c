/*
 * fp_cvss_base_score against base scores NVD publishes for real CVEs, the vectors of the
 * shared OSV records, edge cases of the formulas, and malformed vectors (each named by metric).
 */
#include <stdio.h>
#include <string.h>

#include "fleetpatch/vuln.h"
#include "test.h"

static const struct {
        const char *what; /* the CVE, or where the vector comes from */
        const char *vector;
        double score;
} good[] = {
    /* v3.1, NVD base scores */
    {"CVE-2021-44228 log4shell", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
    {"CVE-2024-3094 xz", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
    {"CVE-2021-45046 log4j", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0},
    {"CVE-2021-45105 log4j", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9},
    {"CVE-2021-44832 log4j", "CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H", 6.6},
    {"CVE-2021-3156 sudo", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
    {"CVE-2021-4034 pwnkit", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
    {"CVE-2022-0847 dirty pipe", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
    {"CVE-2023-4863 libwebp", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8},
    {"CVE-2023-44487 HTTP/2 reset", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
    {"CVE-2023-45288 golang.org/x/net (RHSA-2024:4546)",
     "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
    {"CVE-2022-3602 OpenSSL", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
    {"CVE-2021-41773 Apache httpd", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5},
    {"CVE-2019-14287 sudo", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8},
    {"CVE-2020-1472 zerologon", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
    {"CVE-2022-22965 spring4shell", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
    {"CVE-2023-38545 curl SOCKS5", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
    {"CVE-2017-5715 spectre v2", "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:N/A:N", 5.6},
    {"CVE-2017-5754 meltdown", "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:N/A:N", 5.6},
    {"CVE-2018-5407 portsmash (linter record)", "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N",
     4.7},
    {"CVE-2023-41045 graylog (linter record)", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", 5.3},
    {"CVE-2021-3782 wayland (USN-5614-1)", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:H", 6.6},
    {"CVE-2022-24823 netty (Ubuntu ESM)", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5},
    {"CVE-2016-20013 glibc (Ubuntu)", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
    {"CVE-2014-2901 wolfssl (Ubuntu ESM)", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 7.5},
    /* v3.0, NVD base scores */
    {"CVE-2014-0160 heartbleed", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5},
    {"CVE-2014-6271 shellshock", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
    {"CVE-2019-0708 bluekeep", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
    {"CVE-2018-11776 struts", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1},
    /* v2, NVD base scores */
    {"CVE-2014-0160 heartbleed v2", "AV:N/AC:L/Au:N/C:P/I:N/A:N", 5.0},
    {"CVE-2014-6271 shellshock v2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0},
    {"CVE-2021-44228 log4shell v2", "AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3},
    {"CVE-2021-3156 sudo v2", "AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2},
    {"CVE-2021-4034 pwnkit v2", "AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2},
    {"CVE-2014-3616 nginx (DSA-3029-1) v2", "AV:N/AC:M/Au:N/C:P/I:N/A:N", 4.3},
    {"v2 AV:N/AC:L/Au:N/C:P/I:P/A:P", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5},
    {"v2 AV:N/AC:M/Au:N/C:P/I:P/A:P", "AV:N/AC:M/Au:N/C:P/I:P/A:P", 6.8},
    {"v2 AV:N/AC:L/Au:S/C:P/I:P/A:P", "AV:N/AC:L/Au:S/C:P/I:P/A:P", 6.5},
    {"v2 AV:N/AC:H/Au:N/C:P/I:P/A:P", "AV:N/AC:H/Au:N/C:P/I:P/A:P", 5.1},
    {"v2 AV:L/AC:L/Au:N/C:P/I:N/A:N", "AV:L/AC:L/Au:N/C:P/I:N/A:N", 2.1},
    {"v2 AV:L/AC:M/Au:N/C:C/I:C/A:C", "AV:L/AC:M/Au:N/C:C/I:C/A:C", 6.9},
    {"v2 AV:N/AC:L/Au:N/C:P/I:P/A:N", "AV:N/AC:L/Au:N/C:P/I:P/A:N", 6.4},
    /* vectors of the shared records whose published score we cannot cite: worked by hand from
     * the specification's formulas */
    {"UBUNTU-CVE-2014-9913 (v3.0)", "CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 4.0},
    {"RLSA-2021:3891 (Red Hat's vector)", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:N/A:N", 6.8},
    {"shared record", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", 5.9},
    {"shared record", "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:N/I:L/A:N", 3.1},
    {"shared record", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.5},
    {"shared record", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 6.5},
    {"CGA-224q-ccj5-2p53", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", 9.1},
    {"shared record", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3},
    /* temporal/environmental metrics accepted and ignored */
    {"GHSA-f5pg-7wfw-84q9 (temporal metrics and a trailing '/')",
     "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/", 9.8},
    {"every v3 environmental metric",
     "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X/CR:H/IR:M/AR:L/MAV:P/MAC:H/"
     "MPR:H/MUI:R/MS:C/MC:N/MI:N/MA:N",
     9.8},
    {"v2 temporal and environmental",
     "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:POC/RL:OF/RC:C/CDP:LM/TD:H/CR:M/IR:ND/AR:H", 7.5},
    {"metrics out of the table order", "CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 9.8},
    /* edge cases */
    {"scope changed, PR:L", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
    {"scope changed, PR:H", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1},
    {"scope unchanged, PR:H", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2},
    {"reflected XSS", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
    {"stored XSS", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4},
    {"scope changed, capped at 10", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
    {"no impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
    {"no impact, scope changed", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 0.0},
    {"no impact v2", "AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0},
    {"lowest non-zero v3", "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6},
};

static const struct {
        const char *vector, *field, *msg;
} bad[] = {
    {"", "", "empty vector"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "A", "missing base metric"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H", "S", "missing base metric"},
    {"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV", "given twice"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/E:P", "E", "given twice"},
    {"CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV", "bad value"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:", "A", "bad value"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Z", "E", "bad value"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y", "XX", "unknown metric"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/Au:N", "Au", "unknown metric"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H//", "", "expected METRIC:VALUE"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/AH", "AH", "expected METRIC:VALUE"},
    {"CVSS:3.1/", "", "expected METRIC:VALUE"},
    {"CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS", "has no base score"},
    {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CVSS",
     "has no base score"},
    {"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss", "unknown metric"},
    {"AV:N/AC:L/Au:N/C:P/I:P", "A", "missing base metric"},
    {"AV:N/AC:L/PR:N/C:P/I:P/A:P", "PR", "unknown metric"},
    {"AV:N/AC:L/Au:N/C:H/I:P/A:P", "C", "bad value"},
    {"(AV:N/AC:L/Au:N/C:P/I:P/A:P)", "(AV", "unknown metric"},
    {"AV:N/AC:L/Au:N/C:P/I:P/A:P/E:P", "E", "bad value"},
};

int main(void)
{
        struct fp_diag d;
        double score;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                fp_diag_clear(&d);
                bool ok = fp_cvss_base_score(good[i].vector, &score, &d);
                CHECK_MSG(ok, "%s: %s rejected: %s: %s", good[i].what, good[i].vector, d.field,
                          d.msg);
                /* scores are multiples of 0.1: compare in tenths */
                CHECK_MSG(ok && (long)(score * 10 + 0.5) == (long)(good[i].score * 10 + 0.5),
                          "%s: %s = %.1f, NVD says %.1f", good[i].what, good[i].vector, score,
                          good[i].score);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                fp_diag_clear(&d);
                score = 5.0;
                CHECK_MSG(!fp_cvss_base_score(bad[i].vector, &score, &d), "%s accepted",
                          bad[i].vector);
                CHECK_MSG(score < 0, "%s: score %.1f left behind", bad[i].vector, score);
                CHECK_MSG(strcmp(d.field, bad[i].field) == 0, "%s: field \"%s\", expected \"%s\"",
                          bad[i].vector, d.field, bad[i].field);
                CHECK_MSG(strstr(d.msg, bad[i].msg) != NULL, "%s: message \"%s\", expected \"%s\"",
                          bad[i].vector, d.msg, bad[i].msg);
        }
        /* NULL and over-long input */
        CHECK(!fp_cvss_base_score(NULL, &score, &d));
        char longv[1024];
        memset(longv, 'A', sizeof(longv) - 1);
        longv[sizeof(longv) - 1] = '\0';
        CHECK(!fp_cvss_base_score(longv, &score, &d));
        /* the qualitative rating of the scores */
        CHECK(fp_severity_from_cvss(0.0) == FP_SEV_UNKNOWN);
        CHECK(fp_severity_from_cvss(3.9) == FP_SEV_LOW);
        CHECK(fp_severity_from_cvss(6.6) == FP_SEV_MEDIUM);
        CHECK(fp_severity_from_cvss(9.0) == FP_SEV_CRITICAL);
        return fp_test_finish();
}
