/*
 * Orchestration helpers shared by the handlers and the scheduler: host attributes, the
 * attached baseline, pending updates judged by it, and queueing server-side jobs.
 * The rollout image (load, build, save) is in orch_rollout.c.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/match.h"
#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"
#include "fleetpatch/wire.h"
#include "server/orch.h"

/* Copy v (NULL = "") into out, cut to fit. */
static const char *copy_out(const char *v, char *out, size_t outsz)
{
        size_t n = v ? strlen(v) : 0;
        if (n >= outsz)
                n = outsz - 1;
        if (n)
                memcpy(out, v, n);
        out[n] = 0;
        return out;
}

const char *fp_orch_host_tag(const struct fp_host_rec *h, const char *key, char out[256])
{
        json_t *tags = fp_json_tags(h);
        const char *v = json_string_value(json_object_get(tags, key));
        copy_out(v, out, 256);
        json_decref(tags);
        return out;
}

char *fp_orch_host_tags_text(const struct fp_host_rec *h)
{
        json_t *tags = fp_json_tags(h);
        char *text = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(tags);
        return text;
}

const char *fp_orch_host_tz(const struct fp_host_rec *h, char out[FP_TZ_MAX_NAME + 1])
{
        char tag[256];
        fp_orch_host_tag(h, "tz", tag);
        if (tag[0] && fp_tz_name_ok(tag))
                return copy_out(tag, out, FP_TZ_MAX_NAME + 1);
        json_t *facts = fp_json_stored(h->facts_json);
        const char *tz = json_string_value(json_object_get(facts, "timezone"));
        copy_out(tz && fp_tz_name_ok(tz) ? tz : "UTC", out, FP_TZ_MAX_NAME + 1);
        json_decref(facts);
        return out;
}

const char *fp_orch_host_zone(const struct fp_host_rec *h, char out[256])
{
        json_t *facts = fp_json_stored(h->facts_json);
        const char *z = json_string_value(json_object_get(json_object_get(facts, "cloud"), "zone"));
        copy_out(z, out, 256);
        json_decref(facts);
        if (!out[0])
                fp_orch_host_tag(h, "zone", out);
        return out;
}

/* ---- baselines and windows from the store ---- */

enum fp_err fp_orch_baseline_get(struct fp_tx *tx, const char *account, const char *name,
                                 struct fp_baseline **out, struct fp_diag *diag)
{
        *out = NULL;
        struct fp_doc_rec d;
        enum fp_err err = fp_store_doc_get(tx, FP_DOC_BASELINE, account, name, &d, diag);
        if (err == FP_ENOTFOUND)
                fp_diag_set(diag, NULL, 0, "baseline", "no baseline '%s' in account '%s'", name,
                            account);
        if (err != FP_OK)
                return err;
        return fp_baseline_parse(d.document, strlen(d.document), out, diag);
}

enum fp_err fp_orch_window_get(struct fp_tx *tx, const char *account, const char *name,
                               struct fp_window *out, struct fp_diag *diag)
{
        struct fp_doc_rec d;
        enum fp_err err = fp_store_doc_get(tx, FP_DOC_WINDOW, account, name, &d, diag);
        if (err == FP_ENOTFOUND)
                fp_diag_set(diag, NULL, 0, "window", "no window '%s' in account '%s'", name,
                            account);
        if (err != FP_OK)
                return err;
        return fp_window_parse(d.document, strlen(d.document), out, diag);
}

struct attach_ctx {
        const char *family, *tags;
        struct fp_baseline *best;
        int best_score;
        enum fp_err err;
        struct fp_diag *diag;
};

static bool attach_cb(void *ctx, const struct fp_doc_rec *d)
{
        struct attach_ctx *a = ctx;
        struct fp_baseline *b = NULL;
        /* Stored baselines were validated when written; one that no longer parses (a newer
         * rule, say) is skipped rather than failing every host. */
        if (fp_baseline_parse(d->document, strlen(d->document), &b, a->diag) != FP_OK)
                return true;
        int score = strcmp(fp_baseline_family(b), a->family) ? -1 : fp_baseline_selects(b, a->tags);
        /* The list comes ordered by name: a later one wins only when strictly more specific. */
        if (score > a->best_score) {
                fp_baseline_free(a->best);
                a->best = b;
                a->best_score = score;
        } else {
                fp_baseline_free(b);
        }
        return true;
}

enum fp_err fp_orch_host_baseline(struct fp_tx *tx, const struct fp_host_rec *h,
                                  const char *family, struct fp_baseline **out, char why[256],
                                  struct fp_diag *diag)
{
        *out = NULL;
        char *tags = fp_orch_host_tags_text(h);
        if (!tags)
                return FP_ENOMEM;
        struct fp_diag scratch;
        fp_diag_clear(&scratch);
        struct attach_ctx a = {.family = family, .tags = tags, .best_score = -1, .diag = &scratch};
        enum fp_err err = fp_store_doc_list(tx, FP_DOC_BASELINE, h->account, attach_cb, &a, diag);
        free(tags);
        if (err != FP_OK) {
                fp_baseline_free(a.best);
                return err;
        }
        *out = a.best;
        if (a.best)
                snprintf(why, 256, "account %s, family %s, selector with %d matching tag(s)",
                         h->account, family, a.best_score);
        else
                snprintf(why, 256, "no baseline of account %s for family %s selects this host",
                         h->account, family);
        return FP_OK;
}

/* ---- pending updates judged by a baseline ---- */

/* The findings an update fixes: highest severity, KEV, earliest publication. */
static void fixes_of(const json_t *findings, const struct fp_wire_update *u, enum fp_scheme sch,
                     int *sev, bool *kev, int64_t *published, int64_t *sla_due, bool *fixes)
{
        *sla_due = 0;
        *sev = FP_BASELINE_SEV_NONE;
        *kev = false;
        *published = 0;
        *fixes = false;
        size_t i;
        const json_t *f;
        json_array_foreach(findings, i, f)
        {
                const char *pkg = json_string_value(json_object_get(f, "package"));
                const char *arch = json_string_value(json_object_get(f, "arch"));
                const char *fixed = json_string_value(json_object_get(f, "fixed"));
                const char *update = json_string_value(json_object_get(f, "update"));
                if (!pkg || strcmp(pkg, u->name) || (arch && strcmp(arch, u->arch)))
                        continue;
                /* "update": the pending version that fixes it (exact, binary versions);
                 * "fixed" may be a source version, compared as a fallback. */
                bool by_update = update && !strcmp(update, u->candidate);
                if (!by_update && (!fixed || fp_vercmp(sch, u->candidate, fixed) < 0))
                        continue;
                *fixes = true;
                enum fp_severity s = FP_SEV_UNKNOWN;
                fp_severity_parse(json_string_value(json_object_get(f, "severity")), &s);
                if ((int)s > *sev)
                        *sev = (int)s;
                *kev |= json_is_true(json_object_get(f, "kev"));
                json_int_t p = json_integer_value(json_object_get(f, "published"));
                if (p > 0 && (*published == 0 || p < *published))
                        *published = p;
                json_int_t due = json_integer_value(json_object_get(f, "sla_due"));
                if (due > 0 && (*sla_due == 0 || due < *sla_due))
                        *sla_due = due;
        }
}

enum fp_err fp_orch_host_inventory(struct fp_tx *tx, const char *host,
                                   struct fp_wire_inventory *out, struct fp_diag *diag)
{
        const char *doc = NULL;
        enum fp_err err = fp_store_host_inventory(tx, host, &doc, diag);
        if (err == FP_ENOTFOUND)
                fp_diag_set(diag, NULL, 0, NULL, "host %s has not reported an inventory", host);
        if (err != FP_OK)
                return err;
        json_t *inv = json_loads(doc, 0, NULL);
        err = inv ? fp_wire_inventory_parse(inv, out, diag) : FP_ECORRUPT;
        json_decref(inv); /* the result owns its strings */
        return err;
}

enum fp_err fp_orch_host_updates(struct fp_server *srv, struct fp_tx *tx,
                                 const struct fp_host_rec *h, const struct fp_baseline *b,
                                 int64_t now, const char *only, bool explain, json_t **out,
                                 char family[8], const struct fp_host_judged *judged,
                                 struct fp_diag *diag)
{
        *out = NULL;
        family[0] = 0;
        struct fp_wire_inventory own;
        const struct fp_wire_inventory *wp = judged ? judged->w : NULL;
        json_t *findings = judged ? json_incref((json_t *)judged->findings) : NULL;
        enum fp_err err = FP_OK;
        if (!wp) {
                err = fp_orch_host_inventory(tx, h->id, &own, diag);
                if (err != FP_OK)
                        return err;
                wp = &own;
        }
        const struct fp_wire_inventory *const w = wp;
        snprintf(family, 8, "%s", w->inv.family);
        enum fp_scheme sch = strcmp(w->inv.family, "rpm") ? FP_SCHEME_DEB : FP_SCHEME_RPM;
        if (!findings) {
                char *tags = fp_orch_host_tags_text(h);
                findings = tags ? fp_findings_list(srv->findings, w, h->hostname, tags, diag)
                                : NULL;
                free(tags);
        }
        json_t *arr = json_array();
        struct fp_buf ex;
        fp_buf_init(&ex, 64 * 1024);
        err = findings && arr ? FP_OK : FP_ENOMEM;
        for (size_t i = 0; err == FP_OK && i < w->update_count; i++) {
                const struct fp_wire_update *u = &w->updates[i];
                if (only && strcmp(only, u->name))
                        continue;
                int sev;
                bool kev, fixes;
                int64_t published, first = 0, sla_due;
                fixes_of(findings, u, sch, &sev, &kev, &published, &sla_due, &fixes);
                err = fp_store_first_seen(tx, w->inv.family, u->name, u->arch, u->candidate, now,
                                          &first, diag);
                if (err != FP_OK)
                        break;
                struct fp_update_facts facts = {
                    .name = u->name,
                    .arch = u->arch,
                    .installed = u->installed,
                    .candidate = u->candidate,
                    .cls = fp_update_classify(w->inv.family, u->origin, u->security, fixes),
                    .severity = sev,
                    .kev = kev,
                    .released = published ? published : first,
                };
                fp_buf_reset(&ex);
                bool ok = b && fp_baseline_evaluate(b, &facts, now, explain ? &ex : NULL);
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:s, s:b}", "name",
                                      u->name, "arch", u->arch, "installed", u->installed,
                                      "candidate", u->candidate, "classification",
                                      fp_update_class_name(facts.cls), "severity",
                                      fp_baseline_severity_name(sev), "kev", kev, "released",
                                      (json_int_t)facts.released, "released_from",
                                      published ? "advisory" : "first-seen", "approved", ok);
                /* the SLA deadline of the most urgent finding it fixes (docs/vulns.md) */
                if (o && sla_due)
                        json_object_set_new(o, "sla_due", json_integer(sla_due));
                if (o && explain)
                        json_object_set_new(o, "explain",
                                            json_string(b ? fp_buf_str(&ex) : "no baseline"));
                if (!o || json_array_append_new(arr, o))
                        err = FP_ENOMEM;
        }
        fp_buf_release(&ex);
        json_decref(findings);
        if (w == &own)
                fp_wire_inventory_release(&own);
        if (err != FP_OK) {
                json_decref(arr);
                return err;
        }
        *out = arr;
        return FP_OK;
}

/* ---- jobs from the server ---- */

enum fp_err fp_orch_queue_job(struct fp_tx *tx, const struct fp_host_rec *h, const char *family,
                              enum fp_job_type type, const json_t *params, const char *by,
                              int64_t now, char id[17], struct fp_diag *diag)
{
        struct fp_job_params p;
        enum fp_err err = fp_job_params_parse(type, params, family, &p, diag);
        if (err != FP_OK)
                return err;
        json_t *canon = fp_job_params_build(&p);
        fp_job_params_release(&p);
        char *text = canon ? json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(canon);
        if (!text)
                return FP_ENOMEM;
        fp_new_id(id);
        struct fp_job_rec j = {.id = id,
                               .host = h->id,
                               .account = h->account,
                               .type = fp_job_type_name(type),
                               .params_json = text,
                               .created_by = by,
                               .status = FP_JOB_QUEUED,
                               .created = now,
                               .phase = ""};
        err = fp_store_job_create(tx, &j, diag);
        free(text);
        return err;
}

/* ---- shared by handlers and the scheduler ---- */

bool fp_orch_path_cr(struct fp_req *r, bool write, enum fp_role role, struct fp_cr_rec *c)
{
        struct fp_tx *tx = req_tx(r, write);
        if (!tx)
                return false;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_cr_get(tx, r->params[0], c, &diag);
        if (err == FP_ENOTFOUND ||
            (err == FP_OK && fp_principal_role(&r->who, c->account) == FP_ROLE_NONE)) {
                req_error(r, 404, "not_found", NULL, "no such change request");
                return false;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        fp_req_audit_account(r, c->account); /* the audit entry's (docs/audit.md) */
        if (write && !r->audit.before) /* after: the same members of the answer (audit.c) */
                r->audit.before = json_pack("{s:s, s:b}", "state", c->state, "review_pending",
                                            c->review_pending);
        return req_allow(r, c->account, role);
}

const char *fp_orch_host_family(struct fp_tx *tx, const char *host, char out[8])
{
        const char *doc = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        out[0] = 0;
        if (fp_store_host_inventory(tx, host, &doc, &d) != FP_OK)
                return out;
        json_t *inv = json_loads(doc, 0, NULL);
        copy_out(json_string_value(json_object_get(inv, "family")), out, 8);
        json_decref(inv);
        return out;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
        (void)p;
        (void)ud;
        return size * n;
}

bool fp_orch_http(const char *url, const char *body, const char *const *headers, long timeout,
                  char *why, size_t whysz)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        bool nomem = !c;
        for (size_t i = 0; headers && headers[i] && !nomem; i++) {
                struct curl_slist *n = curl_slist_append(h, headers[i]);
                nomem = !n;
                h = n ? n : h;
        }
        if (nomem) {
                curl_slist_free_all(h);
                if (c)
                        curl_easy_cleanup(c);
                snprintf(why, whysz, "out of memory");
                return false;
        }
        curl_easy_setopt(c, CURLOPT_URL, url);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (h)
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK)
                snprintf(why, whysz, "%.160s: %s", url, curl_easy_strerror(rc));
        else if (status < 200 || status > 299)
                snprintf(why, whysz, "%.160s: HTTP %ld", url, status);
        return rc == CURLE_OK && status >= 200 && status <= 299;
}
