/* Risk score, SLA deadlines and exceptions on findings. */
#include "vtest.h"

static struct fp_inv_pkg pkg = {.name = "p", .arch = "amd64", .version = "1", .source = "p",
                                .source_version = "1"};

static struct fp_finding finding(const char *vuln, double cvss, enum fp_severity sev, bool kev,
                                 double epss)
{
        return (struct fp_finding){.pkg = &pkg, .vuln = vuln, .advisories = vuln, .cvss = cvss,
                                   .severity = sev, .kev = kev, .epss = epss,
                                   .epss_percentile = epss, .status = FP_FIND_VULNERABLE};
}

/* The reasons of every scored finding live here until the end of the test. */
static struct fp_arena reasons_arena;

static void score(struct fp_finding *items, size_t n, const struct fp_score_policy *p)
{
        struct fp_host_findings hf = {.items = items, .count = n, .arena = reasons_arena};
        fp_score_findings(&hf, p);
        reasons_arena = hf.arena;
}

/* Within every severity band, the weakest KEV CVE outranks the strongest non-KEV one. */
static void test_kev_outranks_same_severity(void)
{
        static const struct {
                enum fp_severity sev;
                double lo, hi;
        } bands[] = {{FP_SEV_LOW, 0.1, 3.9},
                     {FP_SEV_MEDIUM, 4.0, 6.9},
                     {FP_SEV_HIGH, 7.0, 8.9},
                     {FP_SEV_CRITICAL, 9.0, 10.0}};
        struct fp_score_policy p;
        fp_score_policy_default(&p);
        for (size_t b = 0; b < sizeof(bands) / sizeof(bands[0]); b++) {
                for (int crit = 0; crit < 4; crit++) {
                        p.criticality = (enum fp_criticality)crit;
                        struct fp_finding f[2] = {
                                finding("CVE-NOT-KEV", bands[b].hi, bands[b].sev, false, 1.0),
                                finding("CVE-KEV", bands[b].lo, bands[b].sev, true, 0.0),
                        };
                        f[1].kev_due = p.now + 86400;
                        score(f, 2, &p);
                        CHECK_MSG(strcmp(f[0].vuln, "CVE-KEV") == 0 && f[0].score > f[1].score,
                                  "band %s: KEV %.1f vs non-KEV %.1f",
                                  fp_severity_name(bands[b].sev), f[0].score, f[1].score);
                        CHECK(strstr(f[0].reasons, "CISA KEV") != NULL);
                }
        }
        /* Without CVSS the severity decides, and KEV still wins. */
        struct fp_finding g[2] = {finding("A", -1, FP_SEV_HIGH, false, 0.9),
                                  finding("B", -1, FP_SEV_HIGH, true, -1)};
        score(g, 2, &p);
        CHECK_STR_EQ(g[0].vuln, "B");
        CHECK(strstr(g[1].reasons, "severity high (no CVSS)") != NULL);
}

static void test_reasons_and_host_factors(void)
{
        struct fp_score_policy p;
        fp_score_policy_default(&p);
        struct fp_diag d;
        CHECK(fp_score_policy_tag(&p, "criticality=critical", &d));
        CHECK(fp_score_policy_tag(&p, "exposure=internet", &d));
        CHECK(fp_score_policy_tag(&p, "team=web", &d)); /* other tags are not score inputs */
        CHECK(!fp_score_policy_tag(&p, "exposure=moon", &d));
        CHECK_STR_EQ(d.field, "exposure");
        struct fp_finding f = finding("CVE-1", 9.8, FP_SEV_CRITICAL, true, 0.5);
        f.kev_due = p.now - 86400; /* overdue */
        score(&f, 1, &p);
        /* (49 + 35 + 5 + 5) x 1.3 x 1.2 */
        CHECK_MSG(f.score > 146.63 && f.score < 146.65, "score %.3f", f.score);
        CHECK(strstr(f.reasons, "CVSS 9.8: +49.0") != NULL);
        CHECK(strstr(f.reasons, "KEV due date passed: +5") != NULL);
        CHECK(strstr(f.reasons, "EPSS 0.500") != NULL);
        CHECK(strstr(f.reasons, "host criticality critical: x1.30") != NULL);
        CHECK(strstr(f.reasons, "host exposure internet: x1.20") != NULL);
        /* Not exposure: score 0, reason kept. */
        struct fp_finding n = finding("CVE-2", 9.8, FP_SEV_CRITICAL, false, -1);
        n.status = FP_FIND_NOT_RUNNING;
        score(&n, 1, &p);
        CHECK(n.score == 0);
        CHECK(strstr(n.reasons, "not-running: not counted") != NULL);
}

static void test_sla(void)
{
        struct fp_score_policy p;
        fp_score_policy_default(&p);
        struct fp_diag d;
        CHECK(fp_score_policy_parse_sla(&p, "critical=7,high=14", &d));
        CHECK(!fp_score_policy_parse_sla(&p, "critical", &d));
        CHECK(!fp_score_policy_parse_sla(&p, "urgent=3", &d));
        CHECK(!fp_score_policy_parse_sla(&p, "high=-1", &d));
        CHECK(!fp_score_policy_parse_sla(&p, "high=9999", &d));
        struct fp_finding f[3] = {finding("C", 9.1, FP_SEV_CRITICAL, false, -1),
                                  finding("K", 9.1, FP_SEV_CRITICAL, true, -1),
                                  finding("N", -1, FP_SEV_NEGLIGIBLE, false, -1)};
        int64_t pub;
        fp_parse_date("2024-01-01", &pub);
        for (int i = 0; i < 3; i++)
                f[i].published = pub;
        fp_parse_date("2024-01-03", &f[1].kev_due); /* earlier than the 7-day SLA */
        score(f, 3, &p);
        for (int i = 0; i < 3; i++) {
                if (!strcmp(f[i].vuln, "C"))
                        CHECK_INT_EQ(f[i].sla_due, pub + 7 * 86400);
                if (!strcmp(f[i].vuln, "K"))
                        CHECK_INT_EQ(f[i].sla_due, pub + 2 * 86400);
                if (!strcmp(f[i].vuln, "N"))
                        CHECK_INT_EQ(f[i].sla_due, 0); /* negligible: no deadline by default */
        }
}

static void test_exceptions_apply_and_expire(void)
{
        struct fp_vulndb *db = vt_db_open();
        setenv("FP_NOW", "2026-01-01", 1);
        struct fp_exception ex = {.vuln = "CVE-9", .package = "p", .hosts = "web-*", .owner = "o",
                                  .reason = "r", .created_by = "c", .kind = FP_EXC_ACCEPT};
        fp_parse_date("2026-03-01", &ex.expires);
        CHECK_INT_EQ(fp_vulndb_exception_add(db, &ex, NULL), FP_OK);
        struct fp_exception tagged = ex;
        tagged.vuln = "CVE-10";
        tagged.hosts = "*";
        tagged.tag = "env=lab";
        tagged.kind = FP_EXC_DISMISS;
        CHECK_INT_EQ(fp_vulndb_exception_add(db, &tagged, NULL), FP_OK);

        struct fp_finding f[2] = {finding("CVE-9", 5, FP_SEV_MEDIUM, false, -1),
                                  finding("CVE-10", 5, FP_SEV_MEDIUM, false, -1)};
        struct fp_host_findings hf = {.items = f, .count = 2};
        const char *tags[] = {"env=lab"};
        CHECK_INT_EQ(fp_apply_exceptions(db, &hf, "web-1", tags, 1, NULL), FP_OK);
        CHECK_INT_EQ(f[0].status, FP_FIND_ACCEPTED);
        CHECK_INT_EQ(f[0].exception_id, ex.id);
        CHECK_INT_EQ(f[1].status, FP_FIND_DISMISSED);

        /* Another host, no tag: both stay. */
        f[0].status = f[1].status = FP_FIND_VULNERABLE;
        f[0].exception_id = f[1].exception_id = 0;
        CHECK_INT_EQ(fp_apply_exceptions(db, &hf, "db-1", NULL, 0, NULL), FP_OK);
        CHECK_INT_EQ(f[0].status, FP_FIND_VULNERABLE);
        CHECK_INT_EQ(f[1].status, FP_FIND_VULNERABLE);

        /* After the expiry the finding reappears and the history says it expired. */
        setenv("FP_NOW", "2026-03-02", 1);
        CHECK_INT_EQ(fp_apply_exceptions(db, &hf, "web-1", tags, 1, NULL), FP_OK);
        CHECK_INT_EQ(f[0].status, FP_FIND_VULNERABLE);
        CHECK_INT_EQ(f[1].status, FP_FIND_VULNERABLE);
        unsetenv("FP_NOW");
        vt_db_close(db);
}

int main(void)
{
        fp_arena_init(&reasons_arena);
        test_kev_outranks_same_severity();
        test_reasons_and_host_factors();
        test_sla();
        test_exceptions_apply_and_expire();
        fp_arena_release(&reasons_arena);
        return fp_test_finish();
}
