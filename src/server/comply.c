/*
 * Compliance states (docs/compliance.md "States"): the rule, the evaluation of a host against
 * its baseline and findings, and the record of every change (history row plus the deltas of
 * the per-account daily rollup, in the transaction of the change).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/baseline.h"
#include "fleetpatch/vuln.h"
#include "fleetpatch/wire.h"
#include "server/comply.h"
#include "server/orch.h"

bool fp_comply_state_ok(enum fp_comply_state s)
{
        return s == FP_CS_COMPLIANT || s == FP_CS_EXCEPTED || s == FP_CS_PROVIDER;
}

bool fp_comply_level_counts(int level, int slot)
{
        if (slot < 0 || slot >= FP_COMPLY_LEVELS)
                return false;
        if (level <= FP_SEV_UNKNOWN)
                return true; /* "unspecified": every missing approved update counts */
        return slot - 1 >= level;
}

enum fp_comply_state fp_comply_decide(const struct fp_comply_input *in, int64_t *gaps)
{
        int64_t g = 0;
        if (in->level == FP_COMPLY_NO_BASELINE) {
                g = in->security_updates;
        } else {
                for (int i = 0; i < FP_COMPLY_LEVELS; i++)
                        if (fp_comply_level_counts(in->level, i))
                                g += in->missing[i];
        }
        *gaps = in->inventory && !in->provider ? g : 0;
        if (in->provider)
                return FP_CS_PROVIDER;
        if (!in->inventory)
                return FP_CS_UNKNOWN;
        bool bad = g > 0 || in->overdue > 0;
        if (in->level == FP_COMPLY_NO_BASELINE)
                bad |= in->kev > 0; /* the fleet default rule of the host counts */
        if (bad)
                return FP_CS_NONCOMPLIANT;
        if (in->catchup)
                return FP_CS_CATCHUP;
        if (in->reboot)
                return FP_CS_PENDING_REBOOT;
        if (in->excepted > 0)
                return FP_CS_EXCEPTED;
        return FP_CS_COMPLIANT;
}

void fp_comply_metrics(const struct fp_comply_rec *r, int64_t out[FP_CM_COUNT])
{
        memset(out, 0, FP_CM_COUNT * sizeof(out[0]));
        if (!r || r->state == FP_CS_REMOVED || (unsigned)r->state >= FP_CS_COUNT)
                return;
        out[FP_CM_STATE0 + r->state] = 1;
        for (int i = 0; i < 6; i++)
                out[FP_CM_SEV0 + i] = r->sev[i];
        out[FP_CM_KEV] = r->kev;
        out[FP_CM_KEV_HOSTS] = r->kev > 0;
        out[FP_CM_OVERDUE] = r->overdue;
        out[FP_CM_GAPS] = r->gaps;
}

/* ---- recording a change ---- */

static bool same_str(const char *a, const char *b)
{
        return !strcmp(a ? a : "", b ? b : "");
}

/* Everything but `since` equal? */
static bool same_rec(const struct fp_comply_rec *a, const struct fp_comply_rec *b)
{
        if (a->state != b->state || a->level != b->level || a->gaps != b->gaps ||
            a->excepted != b->excepted || a->kev != b->kev || a->overdue != b->overdue ||
            a->sla_min != b->sla_min || a->catchup != b->catchup || a->reboot != b->reboot)
                return false;
        for (int i = 0; i < FP_COMPLY_LEVELS; i++)
                if (a->missing[i] != b->missing[i])
                        return false;
        for (int i = 0; i < 6; i++)
                if (a->sev[i] != b->sev[i])
                        return false;
        return same_str(a->account, b->account) && same_str(a->hostname, b->hostname) &&
               same_str(a->region, b->region) && same_str(a->os, b->os) &&
               same_str(a->baseline, b->baseline) && same_str(a->service, b->service) &&
               same_str(a->service_model, b->service_model) &&
               same_str(a->version, b->version) && same_str(a->tags_json, b->tags_json);
}

/* Write rec as the host's state: a history row and the rollup deltas when it differs from old
 * (NULL: the first state). */
static enum fp_err record(struct fp_tx *tx, const struct fp_comply_rec *old,
                          struct fp_comply_rec *rec, const struct fp_comply_meta *meta,
                          int64_t now, struct fp_diag *diag)
{
        if (old && same_rec(old, rec)) {
                rec->since = old->since;
                return fp_store_comply_put(tx, rec, meta, false, diag);
        }
        rec->since = now;
        enum fp_err err = fp_store_comply_put(tx, rec, meta, true, diag);
        int64_t a[FP_CM_COUNT], b[FP_CM_COUNT];
        fp_comply_metrics(old, a);
        fp_comply_metrics(rec, b);
        int64_t day = now / 86400;
        for (int m = 0; err == FP_OK && m < FP_CM_COUNT; m++)
                err = fp_store_comply_rollup_add(tx, rec->account, day, m, b[m] - a[m], diag);
        bool old_live = old && old->state != FP_CS_REMOVED;
        bool new_live = rec->state != FP_CS_REMOVED;
        int64_t od = old_live && old->sla_min ? old->sla_min / 86400 : -1;
        int64_t nd = new_live && rec->sla_min ? rec->sla_min / 86400 : -1;
        if (err == FP_OK && od != nd) {
                if (od >= 0)
                        err = fp_store_comply_sla_add(tx, rec->account, day, od, -1, diag);
                if (err == FP_OK && nd >= 0)
                        err = fp_store_comply_sla_add(tx, rec->account, day, nd, 1, diag);
        }
        return err;
}

/* ---- evaluation ---- */

static char *dup_tag(const struct fp_host_rec *h, const char *key, struct fp_arena *a)
{
        char v[256];
        fp_orch_host_tag(h, key, v);
        return fp_arena_strdup(a, v);
}

/* What the findings say: excepted count, the earliest SLA deadline, a pending reboot. */
struct findings_facts {
        int64_t excepted, overdue, sla_min;
        bool reboot;
};

static void scan_findings(const json_t *findings, int64_t now, struct findings_facts *ff)
{
        memset(ff, 0, sizeof(*ff));
        size_t i;
        const json_t *f;
        json_array_foreach(findings, i, f)
        {
                const char *st = json_string_value(json_object_get(f, "status"));
                if (!st)
                        continue;
                if (!strcmp(st, "accepted") || !strcmp(st, "dismissed")) {
                        ff->excepted++;
                        continue;
                }
                if (!strcmp(st, "not-running"))
                        continue;
                if (!strcmp(st, "pending-reboot"))
                        ff->reboot = true;
                json_int_t due = json_integer_value(json_object_get(f, "sla_due"));
                if (due > 0) {
                        ff->overdue += due < now;
                        if (!ff->sla_min || due < ff->sla_min)
                                ff->sla_min = due;
                }
        }
}

/* Exposed and excepted findings of one package. */
static void package_findings(const json_t *findings, const char *pkg, int64_t *exposed,
                             int64_t *excepted)
{
        *exposed = *excepted = 0;
        size_t i;
        const json_t *f;
        json_array_foreach(findings, i, f)
        {
                const char *p = json_string_value(json_object_get(f, "package"));
                const char *st = json_string_value(json_object_get(f, "status"));
                if (!p || !st || strcmp(p, pkg) || !strcmp(st, "not-running"))
                        continue;
                if (!strcmp(st, "accepted") || !strcmp(st, "dismissed"))
                        (*excepted)++;
                else
                        (*exposed)++;
        }
}

/* Match the stored inventory: the findings (exceptions applied) and, with a baseline, the
 * missing approved updates by severity slot. */
static enum fp_err full_inputs(struct fp_server *srv, struct fp_tx *tx,
                               const struct fp_host_rec *h, int64_t now,
                               struct fp_comply_input *in, struct fp_comply_rec *rec,
                               const struct fp_host_judged *judged, struct fp_diag *diag)
{
        struct fp_wire_inventory own;
        const struct fp_wire_inventory *w = judged ? judged->w : NULL;
        json_t *findings = judged ? json_incref((json_t *)judged->findings) : NULL;
        enum fp_err err = FP_OK;
        if (!w) {
                err = fp_orch_host_inventory(tx, h->id, &own, diag);
                if (err == FP_ENOTFOUND) {
                        fp_diag_clear(diag);
                        in->inventory = false;
                        return FP_OK;
                }
                if (err != FP_OK)
                        return err == FP_ENOMEM ? err : FP_EIO;
                w = &own;
        }
        in->inventory = true;
        char family[8];
        snprintf(family, sizeof(family), "%s", w->inv.family ? w->inv.family : "");
        if (!findings) {
                json_t *tagobj = fp_json_tags(h);
                char *tags = json_dumps(tagobj, JSON_COMPACT);
                json_decref(tagobj);
                findings = tags ? fp_findings_list(srv->findings, w, h->hostname, tags, diag)
                                : NULL;
                free(tags);
        }
        /* the updates below judge the same inventory: handed on, not parsed again */
        const struct fp_host_judged given = {w, findings};
        if (!findings) {
                if (w == &own)
                        fp_wire_inventory_release(&own);
                return FP_ENOMEM;
        }
        struct findings_facts ff;
        scan_findings(findings, now, &ff);
        in->excepted = ff.excepted;
        in->overdue = ff.overdue;
        in->reboot |= ff.reboot;
        rec->sla_min = ff.sla_min;
        rec->overdue = ff.overdue;
        struct fp_baseline *b = NULL;
        char why[256];
        err = fp_orch_host_baseline(tx, h, family, &b, why, diag);
        json_t *ups = NULL;
        if (err == FP_OK && b)
                err = fp_orch_host_updates(srv, tx, h, b, now, NULL, false, &ups, family, &given,
                                           diag);
        if (err == FP_OK && b) {
                in->level = fp_baseline_compliance_level(b);
                rec->baseline = fp_arena_strdup(fp_tx_arena(tx), fp_baseline_name(b));
                size_t i;
                const json_t *u;
                json_array_foreach(ups, i, u)
                {
                        if (!json_is_true(json_object_get(u, "approved")))
                                continue;
                        const char *name = json_string_value(json_object_get(u, "name"));
                        int64_t exposed, excepted;
                        package_findings(findings, name ? name : "", &exposed, &excepted);
                        if (!exposed && excepted)
                                continue; /* fixes only what exceptions cover */
                        int sev = FP_BASELINE_SEV_NONE;
                        const char *word = json_string_value(json_object_get(u, "severity"));
                        if (!word || !fp_baseline_severity_parse(word, &sev))
                                sev = FP_BASELINE_SEV_NONE;
                        int slot = sev + 1;
                        if (slot >= 0 && slot < FP_COMPLY_LEVELS)
                                in->missing[slot]++;
                }
        }
        json_decref(ups);
        json_decref(findings);
        fp_baseline_free(b);
        if (w == &own)
                fp_wire_inventory_release(&own);
        return err;
}

/* hr: the host as read in tx, or NULL (read here). needed: a dry run (nothing written), set to
 * whether the evaluation would write (a full one always would). */
static enum fp_err evaluate(struct fp_server *srv, struct fp_tx *tx, const char *host,
                            const struct fp_host_rec *hr, bool full, int64_t now, bool *needed,
                            const struct fp_host_judged *judged, struct fp_diag *diag)
{
        struct fp_host_rec h;
        enum fp_err err = FP_OK;
        if (hr)
                h = *hr;
        else
                err = fp_store_host_get(tx, host, &h, diag);
        if (err != FP_OK)
                return err;
        struct fp_comply_rec old;
        struct fp_comply_meta meta = {0};
        err = fp_store_comply_get(tx, host, &old, &meta, diag);
        bool have_old = err == FP_OK;
        const struct fp_comply_meta meta0 = meta;
        if (err == FP_ENOTFOUND) {
                fp_diag_clear(diag);
                err = FP_OK;
        }
        if (err != FP_OK)
                return err;
        if (!have_old || old.state == FP_CS_REMOVED || now - meta.evaluated >= FP_COMPLY_REEVAL)
                full = true;
        if (!full) { /* a baseline of the account written since: judge the host by it now */
                err = fp_store_comply_baselines_since(tx, h.account, meta.evaluated, &full, diag);
                if (err != FP_OK)
                        return err;
        }
        if (full && needed) {
                *needed = true;
                return FP_OK;
        }
        /* A reboot pending from a job ends when the host comes back with another boot id. */
        bool rebooted = false;
        if (meta.reboot_since && h.boot_id && *h.boot_id && strcmp(h.boot_id, meta.boot_id)) {
                meta.reboot_since = 0;
                meta.boot_id = "";
                rebooted = true;
        }
        struct fp_arena *a = fp_tx_arena(tx);
        struct fp_comply_rec rec;
        memset(&rec, 0, sizeof(rec));
        rec.host = h.id;
        rec.account = h.account;
        rec.hostname = h.hostname;
        rec.region = h.region;
        char os[300];
        snprintf(os, sizeof(os), "%s%s%s", h.os_id ? h.os_id : "",
                 h.os_release && *h.os_release ? ":" : "", h.os_release ? h.os_release : "");
        rec.os = fp_arena_strdup(a, os);
        rec.service = dup_tag(&h, FP_COMPLY_SERVICE_TAG, a);
        rec.service_model = dup_tag(&h, FP_COMPLY_SERVICE_MODEL_TAG, a);
        /* the asset's version: the tag version, a registered asset's product_version, else
         * the OS release */
        const char *version = dup_tag(&h, "version", a);
        if (!version || !*version)
                version = dup_tag(&h, "product_version", a);
        rec.version = version && *version ? version : h.os_release;
        char *tags = fp_orch_host_tags_text(&h);
        rec.tags_json = tags ? fp_arena_strdup(a, tags) : "{}";
        free(tags);
        const char *pb = dup_tag(&h, FP_COMPLY_PROVIDER_TAG, a);
        struct fp_comply_input in = {.level = FP_COMPLY_NO_BASELINE};
        in.provider = pb && !strcmp(pb, "provider");
        in.catchup = h.catchup_json && strcmp(h.catchup_json, "[]");
        in.security_updates = h.counts.security_updates;
        in.kev = h.counts.kev;
        rec.baseline = "";
        if (full) {
                err = full_inputs(srv, tx, &h, now, &in, &rec, judged, diag);
                if (err != FP_OK)
                        return err;
                meta.evaluated = now;
        } else {
                in.inventory = old.state != FP_CS_UNKNOWN || *h.inventory_hash;
                in.level = old.level;
                memcpy(in.missing, old.missing, sizeof(in.missing));
                in.excepted = old.excepted;
                /* the deadlines passed since: overdue is judged now */
                in.overdue = old.overdue;
                if (old.sla_min && old.sla_min < now && !old.overdue)
                        in.overdue = 1;
                rec.baseline = old.baseline;
                rec.sla_min = old.sla_min;
                rec.overdue = in.overdue;
                in.reboot = old.reboot && !rebooted;
        }
        in.reboot |= meta.reboot_since != 0;
        rec.reboot = in.reboot;
        rec.catchup = in.catchup;
        rec.level = in.level;
        memcpy(rec.missing, in.missing, sizeof(rec.missing));
        rec.excepted = in.excepted;
        for (int i = 0; i < 6; i++)
                rec.sev[i] = h.counts.sev[i];
        rec.kev = h.counts.kev;
        rec.state = fp_comply_decide(&in, &rec.gaps);
        if (rec.state == FP_CS_PROVIDER) {
                /* tracked with its version, not a gap: no missing updates counted */
                memset(rec.missing, 0, sizeof(rec.missing));
        }
        /* the usual check-in: nothing changed, nothing to write (no row rewritten, one round
         * trip less under the write lock) */
        bool same = have_old && same_rec(&old, &rec) && meta.evaluated == meta0.evaluated &&
                    meta.reboot_since == meta0.reboot_since && same_str(meta.boot_id, meta0.boot_id);
        if (needed) {
                *needed = !same;
                return FP_OK;
        }
        if (same)
                return FP_OK;
        return record(tx, have_old ? &old : NULL, &rec, &meta, now, diag);
}

enum fp_err fp_comply_evaluate(struct fp_server *srv, struct fp_tx *tx, const char *host,
                               bool full, int64_t now, struct fp_diag *diag)
{
        return evaluate(srv, tx, host, NULL, full, now, NULL, NULL, diag);
}

enum fp_err fp_comply_evaluate_judged(struct fp_server *srv, struct fp_tx *tx, const char *host,
                                      const struct fp_host_judged *judged, int64_t now,
                                      struct fp_diag *diag)
{
        return evaluate(srv, tx, host, NULL, true, now, NULL, judged, diag);
}

enum fp_err fp_comply_checkin_needed(struct fp_server *srv, struct fp_tx *tx,
                                     const struct fp_host_rec *h, int64_t now, bool *needed,
                                     struct fp_diag *diag)
{
        *needed = true;
        return evaluate(srv, tx, h->id, h, false, now, needed, NULL, diag);
}

enum fp_err fp_comply_job_finished(struct fp_server *srv, struct fp_tx *tx, const char *host,
                                   const json_t *result, int64_t now, struct fp_diag *diag)
{
        if (!json_is_true(json_object_get(result, "reboot_required")))
                return FP_OK;
        struct fp_host_rec h;
        enum fp_err err = fp_store_host_get(tx, host, &h, diag);
        if (err != FP_OK)
                return err;
        struct fp_comply_rec old;
        struct fp_comply_meta meta = {0};
        err = fp_store_comply_get(tx, host, &old, &meta, diag);
        if (err == FP_ENOTFOUND) {
                fp_diag_clear(diag);
                err = fp_comply_evaluate(srv, tx, host, true, now, diag);
                if (err == FP_OK)
                        err = fp_store_comply_get(tx, host, &old, &meta, diag);
        }
        if (err != FP_OK)
                return err;
        meta.reboot_since = now;
        meta.boot_id = h.boot_id ? h.boot_id : "";
        err = fp_store_comply_put(tx, &old, &meta, false, diag);
        return err == FP_OK ? fp_comply_evaluate(srv, tx, host, false, now, diag) : err;
}

enum fp_err fp_comply_catchup_changed(struct fp_tx *tx, const char *host, int64_t now,
                                      struct fp_diag *diag)
{
        struct fp_comply_rec old;
        struct fp_comply_meta meta;
        enum fp_err err = fp_store_comply_get(tx, host, &old, &meta, diag);
        if (err == FP_ENOTFOUND) {
                /* never evaluated: the next check-in does it */
                fp_diag_clear(diag);
                return FP_OK;
        }
        if (err != FP_OK || old.state == FP_CS_REMOVED)
                return err;
        struct fp_host_rec h;
        err = fp_store_host_get(tx, host, &h, diag);
        if (err != FP_OK)
                return err;
        bool catchup = h.catchup_json && strcmp(h.catchup_json, "[]");
        if (catchup == old.catchup)
                return FP_OK;
        struct fp_comply_input in = {.provider = old.state == FP_CS_PROVIDER,
                                     .inventory = old.state != FP_CS_UNKNOWN,
                                     .catchup = catchup,
                                     .reboot = old.reboot,
                                     .level = old.level,
                                     .excepted = old.excepted,
                                     .overdue = old.overdue,
                                     .security_updates = h.counts.security_updates,
                                     .kev = old.kev};
        memcpy(in.missing, old.missing, sizeof(in.missing));
        struct fp_comply_rec rec = old;
        rec.catchup = catchup;
        rec.state = fp_comply_decide(&in, &rec.gaps);
        return record(tx, &old, &rec, &meta, now, diag);
}

enum fp_err fp_comply_host_removed(struct fp_tx *tx, const char *host, int64_t now,
                                   struct fp_diag *diag)
{
        struct fp_comply_rec old;
        struct fp_comply_meta meta;
        enum fp_err err = fp_store_comply_get(tx, host, &old, &meta, diag);
        if (err == FP_ENOTFOUND) {
                fp_diag_clear(diag);
                return FP_OK;
        }
        if (err != FP_OK || old.state == FP_CS_REMOVED)
                return err;
        struct fp_comply_rec rec = old;
        rec.state = FP_CS_REMOVED;
        return record(tx, &old, &rec, &meta, now, diag);
}

struct ids_ctx {
        char (*ids)[17];
        size_t n;
};

static bool ids_cb(void *ctx, const char *host)
{
        struct ids_ctx *c = ctx;
        if (c->n < FP_COMPLY_TICK_HOSTS && strlen(host) == 16)
                snprintf(c->ids[c->n++], 17, "%s", host);
        return c->n < FP_COMPLY_TICK_HOSTS;
}

enum fp_err fp_comply_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag)
{
        struct ids_ctx c = {.ids = calloc(FP_COMPLY_TICK_HOSTS, 17), .n = 0};
        if (!c.ids)
                return FP_ENOMEM;
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, false, &tx, diag);
        if (err == FP_OK) {
                err = fp_store_comply_stale(tx, now - FP_COMPLY_REEVAL, FP_COMPLY_TICK_HOSTS,
                                            ids_cb, &c, diag);
                fp_tx_rollback(tx);
        }
        /* one write transaction per host: a check-in waits for one evaluation at most */
        for (size_t i = 0; err == FP_OK && i < c.n; i++) {
                err = fp_store_begin(srv->store, true, &tx, diag);
                if (err != FP_OK)
                        break;
                enum fp_err e = fp_comply_evaluate(srv, tx, c.ids[i], true, now, diag);
                if (e == FP_OK)
                        e = fp_tx_commit(tx, diag);
                else
                        fp_tx_rollback(tx);
                if (e != FP_OK && e != FP_ENOTFOUND) { /* deleted meanwhile: nothing to do */
                        fprintf(stderr, "fleetpatchd: compliance of host %s: %s\n", c.ids[i],
                                diag->msg[0] ? diag->msg : fp_strerror(e));
                }
                fp_diag_clear(diag);
        }
        free(c.ids);
        return err == FP_OK ? fp_report_schedules_tick(srv, now, diag) : err;
}
