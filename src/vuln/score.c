/*
 * Risk score and SLA deadline of findings (docs/vulns.md documents the formula):
 *
 *   base   = 5 x CVSS base score (0..50); without CVSS, 5 x the severity's typical score
 *            (critical 9.5, high 8.0, medium 5.5, low 2.5, negligible 0.5, unknown 5.0)
 *   KEV    = +35 when the CVE is in CISA KEV, +5 more once its due date has passed
 *   EPSS   = +10 x the EPSS probability (0..10)
 *   host   = x criticality (low 0.8, medium 1.0, high 1.15, critical 1.3)
 *            x exposure (isolated 0.8, internal 1.0, internet 1.2)
 *
 * The KEV weight is larger than the widest severity band (low: CVSS 0.1..3.9 = 19 points)
 * plus the whole EPSS range (10), so on one host a KEV CVE always outranks a non-KEV CVE of
 * the same severity. Findings that are not exposure (not-running kernels, accepted,
 * dismissed) score 0 and keep their reasons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/match.h"

static const double typical_cvss[] = {
        [FP_SEV_UNKNOWN] = 5.0, [FP_SEV_NEGLIGIBLE] = 0.5, [FP_SEV_LOW] = 2.5,
        [FP_SEV_MEDIUM] = 5.5,  [FP_SEV_HIGH] = 8.0,       [FP_SEV_CRITICAL] = 9.5,
};
static const double criticality_factor[] = {0.8, 1.0, 1.15, 1.3};
static const char *const criticality_names[] = {"low", "medium", "high", "critical"};
static const double exposure_factor[] = {0.8, 1.0, 1.2};
static const char *const exposure_names[] = {"isolated", "internal", "internet"};

#define DAY 86400

void fp_score_policy_default(struct fp_score_policy *p)
{
        memset(p, 0, sizeof(*p));
        p->sla_days[FP_SEV_CRITICAL] = 15;
        p->sla_days[FP_SEV_HIGH] = 30;
        p->sla_days[FP_SEV_MEDIUM] = 90;
        p->sla_days[FP_SEV_LOW] = 180;
        p->sla_days[FP_SEV_UNKNOWN] = 90;
        p->sla_days[FP_SEV_NEGLIGIBLE] = 0;
        p->criticality = FP_CRIT_MEDIUM;
        p->exposure = FP_EXPO_INTERNAL;
        p->now = fp_now();
}

bool fp_score_policy_parse_sla(struct fp_score_policy *p, const char *spec, struct fp_diag *diag)
{
        char buf[256];
        if (strlen(spec) >= sizeof(buf)) {
                fp_diag_set(diag, NULL, 0, "sla", "too long");
                return false;
        }
        snprintf(buf, sizeof(buf), "%s", spec);
        char *save = NULL;
        for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(item, '=');
                enum fp_severity sev;
                if (!eq) {
                        fp_diag_set(diag, NULL, 0, "sla", "'%s' is not SEVERITY=DAYS", item);
                        return false;
                }
                *eq = '\0';
                char *end;
                long days = strtol(eq + 1, &end, 10);
                if (!fp_severity_parse(item, &sev) || *end || end == eq + 1 || days < 0 ||
                    days > 3650) {
                        fp_diag_set(diag, NULL, 0, "sla",
                                    "'%s=%s': expected a severity and 0..3650 days", item, eq + 1);
                        return false;
                }
                p->sla_days[sev] = (int)days;
        }
        return true;
}

bool fp_score_policy_tag(struct fp_score_policy *p, const char *tag, struct fp_diag *diag)
{
        const char *eq = strchr(tag, '=');
        if (!eq)
                return true;
        size_t klen = (size_t)(eq - tag);
        const char *v = eq + 1;
        if (klen == 11 && strncmp(tag, "criticality", 11) == 0) {
                for (int i = 0; i < 4; i++) {
                        if (strcmp(v, criticality_names[i]) == 0) {
                                p->criticality = (enum fp_criticality)i;
                                return true;
                        }
                }
                fp_diag_set(diag, NULL, 0, "criticality",
                            "'%s': expected low, medium, high or critical", v);
                return false;
        }
        if (klen == 8 && strncmp(tag, "exposure", 8) == 0) {
                for (int i = 0; i < 3; i++) {
                        if (strcmp(v, exposure_names[i]) == 0) {
                                p->exposure = (enum fp_exposure)i;
                                return true;
                        }
                }
                fp_diag_set(diag, NULL, 0, "exposure", "'%s': expected isolated, internal or internet",
                            v);
                return false;
        }
        return true;
}

static void score_one(struct fp_finding *f, const struct fp_score_policy *p, struct fp_arena *a)
{
        char reasons[1024];
        size_t n = 0;
#define REASON(...)                                                                                \
        do {                                                                                       \
                if (n < sizeof(reasons))                                                           \
                        n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, "%s",              \
                                              n ? "; " : "");                                      \
                if (n < sizeof(reasons))                                                           \
                        n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, __VA_ARGS__);      \
        } while (0)

        double base;
        if (f->cvss >= 0) {
                base = 5.0 * f->cvss;
                REASON("CVSS %.1f: +%.1f", f->cvss, base);
        } else {
                base = 5.0 * typical_cvss[f->severity];
                REASON("severity %s (no CVSS): +%.1f", fp_severity_name(f->severity), base);
        }
        double score = base;
        if (f->kev) {
                char due[32];
                fp_format_date(f->kev_due, due);
                score += 35.0;
                REASON("CISA KEV, due %.10s: +35", due);
                if (f->kev_due && f->kev_due < p->now) {
                        score += 5.0;
                        REASON("KEV due date passed: +5");
                }
                if (f->ransomware)
                        REASON("known ransomware use");
        }
        if (f->epss >= 0) {
                score += 10.0 * f->epss;
                REASON("EPSS %.3f (percentile %.0f): +%.1f", f->epss, 100.0 * f->epss_percentile,
                       10.0 * f->epss);
        }
        double factor = criticality_factor[p->criticality] * exposure_factor[p->exposure];
        if (p->criticality != FP_CRIT_MEDIUM)
                REASON("host criticality %s: x%.2f", criticality_names[p->criticality],
                       criticality_factor[p->criticality]);
        if (p->exposure != FP_EXPO_INTERNAL)
                REASON("host exposure %s: x%.2f", exposure_names[p->exposure],
                       exposure_factor[p->exposure]);
        score *= factor;
        if (!fp_finding_exposed(f->status)) {
                REASON("%s: not counted", fp_finding_status_name(f->status));
                score = 0;
        }
        f->score = score;
        f->reasons = fp_arena_strdup(a, reasons);

        /* The SLA clock starts at publication; KEV's due date wins when it is earlier. */
        int days = p->sla_days[f->severity];
        f->sla_due = days > 0 && f->published ? f->published + (int64_t)days * DAY : 0;
        if (f->kev && f->kev_due && (!f->sla_due || f->kev_due < f->sla_due))
                f->sla_due = f->kev_due;
#undef REASON
}

static int by_score(const void *a, const void *b)
{
        const struct fp_finding *x = a, *y = b;
        if (x->score != y->score)
                return x->score < y->score ? 1 : -1;
        int c = strcmp(x->pkg->name, y->pkg->name);
        if (c)
                return c;
        c = strcmp(x->pkg->arch, y->pkg->arch);
        return c ? c : strcmp(x->vuln, y->vuln);
}

void fp_score_findings(struct fp_host_findings *hf, const struct fp_score_policy *p)
{
        for (size_t i = 0; i < hf->count; i++)
                score_one(&hf->items[i], p, &hf->arena);
        if (hf->count > 1) /* a host without findings has no items array (UBSan: qsort(NULL)) */
                qsort(hf->items, hf->count, sizeof(*hf->items), by_score);
}
