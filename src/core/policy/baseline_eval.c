/*
 * Is a pending update approved by a baseline at a given instant, and why
 * (fleetpatch/baseline.h, docs/orchestration.md "Baselines"). Pure: the clock is an argument.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "core/policy/baseline_int.h"
#include "fleetpatch/vuln.h"

/* An entry matches the update: a pattern by name (fnmatch, no FNM_PERIOD; brackets and
 * backslashes were refused at parse), an exact entry by name and the candidate's version in
 * the family's order (fp_vercmp == 0, so "1:2.0" and "1:2.0-0"... compare as dpkg does). */
enum entry_verdict { E_NO_MATCH, E_OTHER_VERSION, E_NO_CANDIDATE, E_MATCH };

static enum entry_verdict entry_match(const struct fp_baseline *b, const struct fp_bl_entry *e,
                                      const struct fp_update_facts *u)
{
        const char *name = u->name ? u->name : "";
        if (!e->version)
                return fnmatch(e->name, name, FNM_NOESCAPE) == 0 ? E_MATCH : E_NO_MATCH;
        if (strcmp(e->name, name) != 0)
                return E_NO_MATCH;
        if (!u->candidate || !*u->candidate)
                return E_NO_CANDIDATE;
        return fp_vercmp(b->scheme, u->candidate, e->version) == 0 ? E_MATCH : E_OTHER_VERSION;
}

static void line(struct fp_buf *ex, const char *list, const struct fp_bl_entry *e,
                 enum entry_verdict v, const struct fp_update_facts *u, const char *verdict)
{
        if (!ex)
                return;
        switch (v) {
        case E_NO_MATCH:
                fp_buf_addf(ex, "%s '%s': no match\n", list, e->text);
                break;
        case E_NO_CANDIDATE:
                fp_buf_addf(ex, "%s '%s': no candidate version -> no\n", list, e->text);
                break;
        case E_OTHER_VERSION:
                fp_buf_addf(ex, "%s '%s': candidate %s is another version -> no\n", list, e->text,
                            u->candidate);
                break;
        case E_MATCH:
                fp_buf_addf(ex, "%s '%s': matches%s -> %s\n", list, e->text,
                            e->version ? " exactly" : "", verdict);
                break;
        }
}

static void describe_rule(struct fp_buf *ex, size_t idx, const struct fp_bl_rule *r)
{
        const char *sep = "";
        fp_buf_addf(ex, "rule %zu (", idx + 1);
        for (int c = FP_UPD_SECURITY; c <= FP_UPD_OTHER; c++) {
                if (r->classes & 1u << c) {
                        fp_buf_addf(ex, "%s%s", sep, fp_update_class_name((enum fp_update_class)c));
                        sep = ",";
                }
        }
        if (r->min_sev != FP_BL_NO_MIN)
                fp_buf_addf(ex, "; severity >= %s", fp_baseline_severity_name(r->min_sev));
        if (r->has_after) {
                fp_buf_addf(ex, "; %d day%s after release", r->after_days,
                            r->after_days == 1 ? "" : "s");
        } else {
                char day[40];
                fp_bl_format_time(r->until, day);
                fp_buf_addf(ex, "; released until %s", day);
        }
        fp_buf_addstr(ex, "): ");
}

/* Does rule r approve u at now? Writes the reason (after the description) to ex. */
static bool rule_approves(const struct fp_bl_rule *r, const struct fp_update_facts *u, int64_t now,
                          struct fp_buf *ex)
{
        char t1[40], t2[40];
        bool class_ok = (size_t)u->cls <= FP_UPD_OTHER && (r->classes & 1u << u->cls);

        if (!class_ok) {
                if (ex)
                        fp_buf_addf(ex, "class %s not in the rule's classification -> no\n",
                                    fp_update_class_name(u->cls));
                return false;
        }
        if (r->min_sev != FP_BL_NO_MIN) {
                const char *us = fp_baseline_severity_name(u->severity);
                if (u->severity < r->min_sev) {
                        if (ex)
                                fp_buf_addf(ex, "severity %s < %s -> no\n", us,
                                            fp_baseline_severity_name(r->min_sev));
                        return false;
                }
                if (ex)
                        fp_buf_addf(ex, "severity %s >= %s, ", us,
                                    fp_baseline_severity_name(r->min_sev));
        }
        if (u->released == 0) {
                if (ex)
                        fp_buf_addstr(ex, "release date unknown, so no age rule can approve -> no\n");
                return false;
        }
        fp_bl_format_time(u->released, t1);
        if (r->has_after) {
                int64_t add = (int64_t)r->after_days * FP_BL_DAY;
                if (u->released > INT64_MAX - add) {
                        if (ex)
                                fp_buf_addf(ex, "released %s, approvable after the end of time "
                                                "-> not yet\n",
                                            t1);
                        return false;
                }
                int64_t from = u->released + add;
                fp_bl_format_time(from, t2);
                bool ok = now >= from;
                if (ex)
                        fp_buf_addf(ex, "released %s, approvable from %s -> %s\n", t1, t2,
                                    ok ? "approves" : "not yet");
                return ok;
        }
        fp_bl_format_time(r->until, t2);
        /* until is a whole UTC day: released at 23:59:59 of that day still counts */
        bool ok = u->released < r->until || u->released - r->until < FP_BL_DAY;
        if (ex)
                fp_buf_addf(ex, "released %s, %s %s -> %s\n", t1, ok ? "until" : "after", t2,
                            ok ? "approves" : "no");
        return ok;
}

bool fp_baseline_evaluate(const struct fp_baseline *b, const struct fp_update_facts *u,
                          int64_t now, struct fp_buf *explain)
{
        const struct fp_bl_entry *rejected_by = NULL, *approved_by = NULL;
        size_t rule_by = 0;
        bool by_rule = false;

        for (size_t i = 0; i < b->nrejected; i++) {
                enum entry_verdict v = entry_match(b, &b->rejected[i], u);
                if (v == E_MATCH && !rejected_by)
                        rejected_by = &b->rejected[i];
                line(explain, "rejected", &b->rejected[i], v, u, "rejected");
        }
        for (size_t i = 0; i < b->napproved; i++) {
                enum entry_verdict v = entry_match(b, &b->approved[i], u);
                if (v == E_MATCH && !approved_by)
                        approved_by = &b->approved[i];
                line(explain, "approved", &b->approved[i], v, u, "approved");
        }
        for (size_t i = 0; i < b->nrules; i++) {
                if (explain)
                        describe_rule(explain, i, &b->rules[i]);
                if (rule_approves(&b->rules[i], u, now, explain) && !by_rule) {
                        by_rule = true;
                        rule_by = i;
                }
        }
        if (rejected_by) {
                if (explain)
                        fp_buf_addf(explain, "=> not approved (rejected '%s')\n", rejected_by->text);
                return false;
        }
        if (approved_by) {
                if (explain)
                        fp_buf_addf(explain, "=> approved (by approved '%s')\n", approved_by->text);
                return true;
        }
        if (by_rule) {
                if (explain)
                        fp_buf_addf(explain, "=> approved (by rule %zu)\n", rule_by + 1);
                return true;
        }
        if (explain)
                fp_buf_addstr(explain, "=> not approved\n");
        return false;
}
