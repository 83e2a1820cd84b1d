/* One host's assessment: inventory -> matching -> exceptions -> fixing updates -> score. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/assess.h"
#include "fleetpatch/scan.h"
#include "fleetpatch/version.h"

static enum fp_err add_warning(struct fp_assessment *a, const char *msg)
{
        const char **w = realloc(a->warnings, (a->warning_count + 1) * sizeof(*w));
        if (!w)
                return FP_ENOMEM;
        a->warnings = w;
        if (!(w[a->warning_count] = fp_arena_strdup(&a->arena, msg)))
                return FP_ENOMEM;
        a->warning_count++;
        return FP_OK;
}

/* The update scan's candidates, matched to findings whose fixed version they reach. */
static enum fp_err attach_updates(struct fp_assessment *a, const struct fp_assess_opts *o)
{
        struct fp_scan_opts so = {
                .root = o->inv.root ? o->inv.root : "/",
                .lists_dir = o->lists_dir,
                .status_file = o->inv.status_file,
        };
        struct fp_scan_result res;
        struct fp_diag diag;
        memset(&res, 0, sizeof(res));
        fp_diag_clear(&diag);
        enum fp_err err = strcmp(a->inv.family, "rpm") == 0 ? fp_scan_rpm(&so, &res, &diag)
                                                           : fp_scan_deb(&so, &res, &diag);
        if (err != FP_OK) {
                char msg[1200], d[1024];
                fp_diag_format(&diag, d, sizeof(d));
                snprintf(msg, sizeof(msg), "update scan failed, fixing updates not shown: %s", d);
                fp_scan_result_release(&res);
                return add_warning(a, msg);
        }
        for (size_t i = 0; i < res.warning_count; i++)
                if ((err = add_warning(a, res.warnings[i])) != FP_OK)
                        break;
        struct fp_strmap by_pkg;
        fp_strmap_init(&by_pkg);
        for (size_t i = 0; err == FP_OK && i < res.count; i++) {
                struct fp_update *u = &res.updates[i];
                char key[1024];
                int n = snprintf(key, sizeof(key), "%s\037%s", u->name, u->arch);
                const char *k = n > 0 && (size_t)n < sizeof(key)
                                        ? fp_arena_strndup(&res.arena, key, (size_t)n)
                                        : NULL;
                if (k)
                        err = fp_strmap_put(&by_pkg, k, (size_t)n, u);
        }
        for (size_t i = 0; err == FP_OK && i < a->findings.count; i++) {
                struct fp_finding *f = &a->findings.items[i];
                char key[1024];
                int n = snprintf(key, sizeof(key), "%s\037%s", f->pkg->name, f->pkg->arch);
                const struct fp_update *u =
                        n > 0 && (size_t)n < sizeof(key) ? fp_strmap_get(&by_pkg, key, (size_t)n)
                                                         : NULL;
                if (!u || !f->fixed)
                        continue;
                /* Debian source advisories name source versions. */
                const char *have = u->source_version ? u->source_version : u->candidate;
                if (fp_vercmp(a->inv.scheme, have, f->fixed) >= 0 ||
                    fp_vercmp(a->inv.scheme, u->candidate, f->fixed) >= 0) {
                        f->update = fp_arena_strdup(&a->findings.arena, u->candidate);
                        if (!f->update)
                                err = FP_ENOMEM;
                }
        }
        fp_strmap_release(&by_pkg);
        fp_scan_result_release(&res);
        return err;
}

enum fp_err fp_assess(struct fp_vulndb *db, const struct fp_assess_opts *o,
                      struct fp_assessment *out, struct fp_diag *diag)
{
        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        if (o->host)
                snprintf(out->host, sizeof(out->host), "%s", o->host);
        else if (gethostname(out->host, sizeof(out->host) - 1) != 0)
                snprintf(out->host, sizeof(out->host), "localhost");

        struct fp_score_policy policy;
        fp_score_policy_default(&policy);
        if (o->sla && !fp_score_policy_parse_sla(&policy, o->sla, diag))
                return FP_EINVAL;
        for (size_t i = 0; i < o->ntags; i++)
                if (!fp_score_policy_tag(&policy, o->tags[i], diag))
                        return FP_EINVAL;

        enum fp_err err = fp_inventory_load(&o->inv, &out->inv, diag);
        if (err != FP_OK)
                return err;
        err = fp_vindex_load(db, out->inv.distro, out->inv.release, &out->index, diag);
        if (err == FP_OK)
                err = fp_match_host(out->index, &out->inv, &out->findings, diag);
        if (err == FP_OK)
                err = fp_apply_exceptions(db, &out->findings, out->host, o->tags, o->ntags, diag);
        if (err == FP_OK && !o->no_scan)
                err = attach_updates(out, o);
        if (err == FP_OK)
                fp_score_findings(&out->findings, &policy);
        if (err != FP_OK)
                fp_assessment_release(out);
        return err;
}

void fp_assessment_release(struct fp_assessment *a)
{
        fp_host_findings_release(&a->findings);
        fp_vindex_free(a->index);
        a->index = NULL;
        fp_inventory_release(&a->inv);
        free(a->warnings);
        a->warnings = NULL;
        a->warning_count = 0;
        fp_arena_release(&a->arena);
}
