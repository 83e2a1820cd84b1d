/* The agent protocol (docs/api.md "Agent protocol"): enrollment, check-in, jobs. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleetpatch/wire.h"
#include "fleetpatch/vuln.h"
#include "server/server.h"

static bool is_hex64(const char *s)
{
        if (!s || strlen(s) != 64)
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* docs/api.md: the timezone is a zone of the server's zoneinfo. The wire parser checked the
 * name's shape (a relative path without "." components); without a zoneinfo here, that is all
 * that can be checked. */
static bool zone_known(const char *tz)
{
        const char *dir = getenv("TZDIR");
        if (!dir || !*dir)
                dir = "/usr/share/zoneinfo";
        struct stat st;
        if (stat(dir, &st) != 0)
                return true;
        char path[512];
        if (snprintf(path, sizeof(path), "%s/%s", dir, tz) >= (int)sizeof(path))
                return false;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Validated facts as stored text (malloc'd) and parsed; answers 400 on bad facts. */
static bool read_facts(struct fp_req *r, struct fp_facts *facts, char **text)
{
        *text = NULL;
        memset(facts, 0, sizeof(*facts));
        json_t *f = json_object_get(r->json, "facts");
        if (!f)
                return true;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_wire_facts_parse(f, facts, &diag);
        if (err != FP_OK) {
                req_error(r, 400, "invalid_request", diag.field[0] ? diag.field : "facts", "%s",
                          diag.msg[0] ? diag.msg : fp_strerror(err));
                return false;
        }
        if (facts->timezone && !zone_known(facts->timezone)) {
                req_error(r, 400, "invalid_request", "facts.timezone",
                          "'%.64s' is not a time zone of the server's zoneinfo", facts->timezone);
                fp_facts_release(facts);
                return false;
        }
        *text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
        if (!*text) {
                fp_facts_release(facts);
                req_error(r, 500, "internal", NULL, "out of memory");
                return false;
        }
        return true;
}

void api_agent_enroll(struct fp_req *r)
{
        static const char *const allowed[] = {"hostname", "facts", "tags", NULL};
        const char *hostname = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "hostname", true, FP_MAX_FACT_LEN, &hostname))
                return;
        struct fp_facts facts;
        char *facts_text = NULL, *req_tags_text = NULL, *tags_text = NULL;
        json_t *t = json_object_get(r->json, "tags");
        if (t && !req_tags(r, t, "tags", &req_tags_text))
                return;
        if (!read_facts(r, &facts, &facts_text)) {
                free(req_tags_text);
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_tx *tx = req_tx(r, true);
        struct fp_token_rec tok;
        enum fp_err err = tx ? fp_store_token_get(tx, r->who.token_id, &tok, &diag) : FP_EIO;
        if (err == FP_OK)
                err = fp_store_token_use(tx, tok.id, &diag);
        if (err == FP_ELIMIT) {
                req_error(r, 410, "enrollment_exhausted", NULL,
                          "this enrollment token has been used up");
                goto out;
        }
        if (err != FP_OK) {
                if (tx)
                        req_fail(r, err, &diag);
                goto out;
        }
        /* The token's tags, overlaid with the agent's own. */
        json_t *tags = fp_json_stored(tok.tags_json);
        json_t *mine = fp_json_stored(req_tags_text);
        json_object_update(tags, mine);
        json_decref(mine);
        if (json_object_size(tags) > FP_MAX_TAGS) {
                json_decref(tags);
                req_error(r, 400, "invalid_request", "tags", "more than %d tags with the token's",
                          FP_MAX_TAGS);
                goto out;
        }
        tags_text = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(tags);
        const char *region = facts.cloud_region ? facts.cloud_region
                                                : tok.region ? tok.region : "";
        struct fp_host_rec h;
        memset(&h, 0, sizeof(h));
        bool reenroll = false;
        if (facts.machine_id && *facts.machine_id) {
                err = fp_store_host_by_machine(tx, tok.account, facts.machine_id, &h, &diag);
                if (err == FP_OK)
                        reenroll = true;
                else if (err != FP_ENOTFOUND)
                        goto fail;
        }
        char host_id[17];
        if (reenroll) {
                snprintf(host_id, sizeof(host_id), "%s", h.id);
                err = fp_store_token_revoke_host(tx, host_id, &diag);
                if (err == FP_OK)
                        err = fp_store_host_checkin(tx, host_id, hostname, region, facts_text, 0,
                                                    r->now, &diag);
                if (err == FP_OK)
                        err = fp_store_host_set_tags(tx, host_id, false,
                                                     tags_text ? tags_text : "{}", &diag);
        } else {
                fp_new_id(host_id);
                struct fp_host_rec nh = {.id = host_id, .account = tok.account,
                                         .hostname = hostname, .region = region,
                                         .machine_id = facts.machine_id ? facts.machine_id : "",
                                         .facts_json = facts_text, .agent_tags_json = tags_text,
                                         .api_tags_json = "{}", .created = r->now,
                                         .last_seen = r->now};
                err = fp_store_host_create(tx, &nh, &diag);
        }
        char id[17], cred[88], hash[65];
        fp_new_token("fpa", id, cred, hash);
        struct fp_token_rec at = {.id = id, .kind = FP_TOKEN_AGENT, .hash = hash, .name = "agent",
                                  .host = host_id, .created = r->now};
        if (err == FP_OK)
                err = fp_store_token_create(tx, &at, &diag);
        if (err != FP_OK)
                goto fail;
        fp_metrics_count("enrollments_total", 1);
        req_answer(r, 201,
                   json_pack("{s:s, s:s, s:s, s:I, s:f, s:b}", "host_id", host_id, "credential",
                             cred, "account", tok.account,
                             "checkin_interval", (json_int_t)r->srv->cfg.checkin_interval,
                             "jitter", (double)r->srv->cfg.jitter_percent / 100.0,
                             "reenrolled", reenroll));
        sodium_memzero(cred, sizeof(cred));
        goto out;
fail:
        req_fail(r, err, &diag);
out:
        fp_facts_release(&facts);
        free(facts_text);
        free(req_tags_text);
        free(tags_text);
}

struct jobs_ctx {
        json_t *arr;
        const char *ids[100];
        size_t n;
};

static bool jobs_cb(void *ctx, const struct fp_job_rec *j)
{
        struct jobs_ctx *c = ctx;
        json_array_append_new(c->arr, json_pack("{s:s, s:s, s:o, s:I}", "id", j->id, "type",
                                                j->type, "params", fp_json_stored(j->params_json),
                                                "created", (json_int_t)j->created));
        if (c->n < 100)
                c->ids[c->n++] = j->id;
        return true;
}

/* The host's unfinished jobs, marked delivered (needs the write transaction). */
static json_t *deliver_jobs(struct fp_req *r, struct fp_diag *diag, enum fp_err *err)
{
        struct jobs_ctx c = {.arr = json_array()};
        *err = fp_store_job_pending(r->tx, r->who.host, jobs_cb, &c, diag);
        for (size_t i = 0; *err == FP_OK && i < c.n; i++)
                *err = fp_store_job_mark_delivered(r->tx, c.ids[i], r->now, diag);
        if (*err != FP_OK) {
                json_decref(c.arr);
                return NULL;
        }
        return c.arr;
}

void api_agent_checkin(struct fp_req *r)
{
        static const char *const allowed[] = {"seq", "facts", "inventory_hash", "inventory", NULL};
        int64_t seq = 0;
        const char *hash = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_int(r, r->json, "seq", true, 1, (int64_t)1 << 53, &seq) ||
            !req_str(r, r->json, "inventory_hash", true, 64, &hash))
                return;
        if (!is_hex64(hash)) {
                req_error(r, 400, "invalid_request", "inventory_hash", "64 lowercase hex digits");
                return;
        }
        struct fp_facts facts;
        char *facts_text = NULL, *tags_text = NULL, *inv_text = NULL;
        if (!read_facts(r, &facts, &facts_text))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_host_rec h;
        struct fp_tx *tx = req_tx(r, false);
        enum fp_err err = tx ? fp_store_host_get(tx, r->who.host, &h, &diag) : FP_EIO;
        if (err != FP_OK) {
                if (tx)
                        req_fail(r, err, &diag);
                goto out;
        }
        /* The heavy part (parse, hash, match) before taking the write lock. */
        json_t *inv = json_object_get(r->json, "inventory");
        struct fp_wire_inventory w;
        bool have_inv = inv && !json_is_null(inv);
        struct fp_host_counts counts;
        if (have_inv) {
                char got[65];
                err = fp_wire_inventory_parse(inv, &w, &diag);
                if (err != FP_OK) {
                        req_error(r, 400, "invalid_request",
                                  diag.field[0] ? diag.field : "inventory", "%s",
                                  diag.msg[0] ? diag.msg : fp_strerror(err));
                        goto out;
                }
                if (!fp_wire_hash(inv, got) || strcmp(got, hash)) {
                        fp_wire_inventory_release(&w);
                        req_error(r, 400, "invalid_request", "inventory_hash",
                                  "does not match the inventory (SHA-256 of its compact, "
                                  "key-sorted JSON)");
                        goto out;
                }
                json_t *tags = fp_json_tags(&h);
                tags_text = json_dumps(tags, JSON_COMPACT);
                json_decref(tags);
                fp_findings_counts(r->srv->findings, &w, facts.hostname ? facts.hostname
                                                                        : h.hostname,
                                   tags_text, &counts);
                inv_text = json_dumps(inv, JSON_COMPACT | JSON_SORT_KEYS);
                if (!inv_text) {
                        fp_wire_inventory_release(&w);
                        req_error(r, 500, "internal", NULL, "out of memory");
                        goto out;
                }
        }
        tx = req_tx(r, true);
        if (!tx)
                goto release;
        err = fp_store_host_get(tx, r->who.host, &h, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                goto release;
        }
        if (seq <= h.last_seq) {
                /* Keep the count even though the request fails: commit it alone. */
                err = fp_store_host_seq_regressed(tx, h.id, &diag);
                if (err == FP_OK)
                        err = fp_tx_commit(tx, &diag);
                else
                        fp_tx_rollback(tx);
                r->tx = NULL;
                fp_metrics_count("checkin_sequence_regressions_total", 1);
                req_error(r, 409, "sequence_regressed", "seq",
                          "sequence %lld is not above the last one (%lld): a replayed request, "
                          "or a host reverted to a snapshot or cloned",
                          (long long)seq, (long long)h.last_seq);
                if (r->answer)
                        json_object_set_new(json_object_get(r->answer, "error"), "last_seq",
                                            json_integer(h.last_seq));
                goto release;
        }
        const char *region = facts.cloud_region && *facts.cloud_region ? facts.cloud_region : NULL;
        err = fp_store_host_checkin(tx, h.id, facts.hostname, region, facts_text, seq, r->now,
                                    &diag);
        const char *state = "unchanged";
        if (err == FP_OK && have_inv) {
                char release[128];
                snprintf(release, sizeof(release), "%s", w.inv.release ? w.inv.release : "");
                err = fp_store_host_set_inventory(tx, h.id, w.inv.distro ? w.inv.distro : "",
                                                  release, hash, inv_text, &counts, r->now,
                                                  &diag);
                state = "accepted";
                fp_metrics_count("inventories_total", 1);
        } else if (strcmp(hash, h.inventory_hash)) {
                state = "needed";
        }
        json_t *jobs = err == FP_OK ? deliver_jobs(r, &diag, &err) : NULL;
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                goto release;
        }
        fp_metrics_count("checkins_total", 1);
        req_answer(r, 200, json_pack("{s:s, s:I, s:f, s:o}", "inventory", state,
                                     "checkin_interval",
                                     (json_int_t)r->srv->cfg.checkin_interval, "jitter",
                                     (double)r->srv->cfg.jitter_percent / 100.0, "jobs", jobs));
release:
        if (have_inv)
                fp_wire_inventory_release(&w);
out:
        fp_facts_release(&facts);
        free(facts_text);
        free(tags_text);
        free(inv_text);
}

struct any_ctx {
        bool any;
};

static bool any_cb(void *ctx, const struct fp_job_rec *j)
{
        ((struct any_ctx *)ctx)->any = true;
        return false;
}

void api_agent_jobs(struct fp_req *r)
{
        const char *w = req_query(r, "wait");
        long wait = 0;
        if (w) {
                char *end;
                wait = strtol(w, &end, 10);
                if (*end || end == w || wait < 0 || wait > FP_MAX_LONGPOLL) {
                        req_error(r, 400, "invalid_request", "wait", "0..%d seconds",
                                  FP_MAX_LONGPOLL);
                        return;
                }
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct any_ctx any = {false};
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        enum fp_err err = fp_store_job_pending(tx, r->who.host, any_cb, &any, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        int64_t now_ms = fp_now_ms();
        if (!any.any && !r->srv->stopping) {
                if (!r->suspend_until && wait > 0) {
                        r->suspend = true;
                        r->suspend_until = now_ms + wait * 1000;
                        return;
                }
                if (r->suspend_until && now_ms < r->suspend_until) {
                        r->suspend = true; /* woken early without a job (e.g. other host) */
                        return;
                }
        }
        json_t *jobs = json_array();
        if (any.any) {
                if (!req_tx(r, true))
                        return;
                json_decref(jobs);
                jobs = deliver_jobs(r, &diag, &err);
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return;
                }
        }
        req_answer(r, 200, json_pack("{s:o}", "jobs", jobs));
}

void api_agent_job_finish(struct fp_req *r)
{
        static const char *const allowed[] = {"status", "detail", NULL};
        const char *status = NULL, *detail = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "status", true, 16, &status) ||
            !req_str(r, r->json, "detail", false, FP_MAX_JOB_DETAIL, &detail))
                return;
        enum fp_job_status st;
        if (!strcmp(status, "succeeded"))
                st = FP_JOB_SUCCEEDED;
        else if (!strcmp(status, "failed"))
                st = FP_JOB_FAILED;
        else {
                req_error(r, 400, "invalid_request", "status", "succeeded or failed");
                return;
        }
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        struct fp_job_rec j;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_job_get(tx, r->params[0], &j, &diag);
        if (err == FP_OK && strcmp(j.host, r->who.host))
                err = FP_ENOTFOUND; /* another host's job */
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no such job for this host");
                return;
        }
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        if (j.status == FP_JOB_SUCCEEDED || j.status == FP_JOB_FAILED) {
                if (j.status != st) {
                        req_error(r, 409, "conflict", "status", "the job is already %s",
                                  fp_job_status_name(j.status));
                        return;
                }
        } else {
                err = fp_store_job_finish(tx, j.id, st, detail, NULL, r->now, &diag);
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return;
                }
        }
        req_answer(r, 200, json_pack("{s:s, s:s}", "id", j.id, "status", fp_job_status_name(st)));
}
