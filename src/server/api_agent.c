/* The agent protocol (docs/api.md "Agent protocol"): enrollment, check-in, jobs. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleetpatch/wire.h"
#include "fleetpatch/vuln.h"
#include "server/comply.h"
#include "server/notify.h"
#include "server/server.h"
#include "server/track.h"

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
        static const char *const allowed[] = {"hostname", "facts", "tags", "cloned_from", NULL};
        const char *hostname = NULL, *cloned_from = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "hostname", true, FP_MAX_FACT_LEN, &hostname) ||
            !req_str(r, r->json, "cloned_from", false, 16, &cloned_from))
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
        /* A clone names its original only with the token its clone detection issued. */
        if (cloned_from && strcmp(cloned_from, tok.clone_of)) {
                req_error(r, 400, "invalid_request", "cloned_from",
                          "this enrollment token was not issued for a clone of host '%.16s'",
                          cloned_from);
                goto out;
        }
        bool clone = *tok.clone_of != 0;
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
        /* A clone is a new host even when it kept the machine id (a cloud instance copy):
         * re-enrolling would take over the original's identity. */
        if (!clone && facts.machine_id && *facts.machine_id) {
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
                if (err == FP_OK)
                        err = fp_store_host_set_identity(tx, host_id, NULL, facts.boot_id,
                                                         facts.cloud_instance, NULL, &diag);
        } else {
                fp_new_id(host_id);
                struct fp_host_rec nh = {.id = host_id,
                                         .account = tok.account,
                                         .hostname = hostname,
                                         .region = region,
                                         .machine_id = facts.machine_id ? facts.machine_id : "",
                                         .facts_json = facts_text,
                                         .agent_tags_json = tags_text,
                                         .api_tags_json = "{}",
                                         .created = r->now,
                                         .last_seen = r->now,
                                         .boot_id = facts.boot_id,
                                         .instance_id = facts.cloud_instance,
                                         .cloned_from = tok.clone_of};
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
        if (clone)
                fp_metrics_count("clone_enrollments_total", 1);
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

/* What the check-in's "lifecycle" says happened (docs/jobs.md "Host lifecycle"). */
struct lifecycle {
        bool suspend, revert;
};

/* {"events": [{"kind", "at", "detail"}]}: at most FP_MAX_LIFECYCLE_EVENTS; answers 400. */
static bool read_lifecycle(struct fp_req *r, struct lifecycle *lc)
{
        static const char *const allowed[] = {"events", NULL};
        static const char *const ev_allowed[] = {"kind", "at", "detail", NULL};
        memset(lc, 0, sizeof(*lc));
        json_t *l = json_object_get(r->json, "lifecycle");
        if (!l || json_is_null(l))
                return true;
        if (!json_is_object(l)) {
                req_error(r, 400, "invalid_request", "lifecycle", "must be an object");
                return false;
        }
        if (!req_members(r, l, "lifecycle", allowed))
                return false;
        json_t *events = json_object_get(l, "events");
        if (!json_is_array(events) || json_array_size(events) > FP_MAX_LIFECYCLE_EVENTS) {
                req_error(r, 400, "invalid_request", "lifecycle.events",
                          "must be an array of at most %d events", FP_MAX_LIFECYCLE_EVENTS);
                return false;
        }
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
                char f[64];
                snprintf(f, sizeof(f), "lifecycle.events[%zu]", i);
                if (!json_is_object(e)) {
                        req_error(r, 400, "invalid_request", f, "must be an object");
                        return false;
                }
                if (!req_members(r, e, f, ev_allowed))
                        return false;
                json_t *kind = json_object_get(e, "kind"), *at = json_object_get(e, "at"),
                       *detail = json_object_get(e, "detail");
                const char *k = json_string_value(kind);
                if (!k || (strcmp(k, "reboot") && strcmp(k, "suspend") && strcmp(k, "revert") &&
                           strcmp(k, "restart"))) {
                        snprintf(f, sizeof(f), "lifecycle.events[%zu].kind", i);
                        req_error(r, 400, "invalid_request", f,
                                  "reboot, suspend, revert or restart");
                        return false;
                }
                if (!json_is_integer(at) || json_integer_value(at) < 0) {
                        snprintf(f, sizeof(f), "lifecycle.events[%zu].at", i);
                        req_error(r, 400, "invalid_request", f, "a UNIX time (integer >= 0)");
                        return false;
                }
                if (detail &&
                    (!json_is_string(detail) || json_string_length(detail) > FP_MAX_JOB_DETAIL ||
                     strlen(json_string_value(detail)) != json_string_length(detail))) {
                        snprintf(f, sizeof(f), "lifecycle.events[%zu].detail", i);
                        req_error(r, 400, "invalid_request", f, "a string of at most %d bytes",
                                  FP_MAX_JOB_DETAIL);
                        return false;
                }
                lc->suspend |= !strcmp(k, "suspend");
                lc->revert |= !strcmp(k, "revert");
                fp_metrics_count(!strcmp(k, "reboot")    ? "lifecycle_reboots_total"
                                 : !strcmp(k, "suspend") ? "lifecycle_suspends_total"
                                 : !strcmp(k, "revert")  ? "lifecycle_reverts_total"
                                                         : "lifecycle_restarts_total",
                                 1);
        }
        return true;
}

/* A credential presented by another machine than the host's (docs/jobs.md "Clones"): answer
 * 409 clone_detected with a single-use enrollment token for the copy, made in a transaction
 * of its own that touches nothing of the original host. */
static void clone_detected(struct fp_req *r, const struct fp_host_rec *h, const char *what)
{
        char id[17], token[88], hash[65];
        fp_new_token("fpe", id, token, hash);
        char name[64];
        snprintf(name, sizeof(name), "clone of %s", h->id);
        struct fp_token_rec t = {.id = id,
                                 .kind = FP_TOKEN_ENROLL,
                                 .hash = hash,
                                 .name = name,
                                 .account = h->account,
                                 .region = h->region,
                                 .tags_json = h->agent_tags_json,
                                 .created = r->now,
                                 .expires = r->now + FP_CLONE_TOKEN_TTL,
                                 .uses_left = 1,
                                 .clone_of = h->id};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        char host[17];
        snprintf(host, sizeof(host), "%s", h->id);
        enum fp_err err = fp_store_token_create(r->tx, &t, &diag);
        if (err == FP_OK)
                err = fp_tx_commit(r->tx, &diag);
        else
                fp_tx_rollback(r->tx);
        r->tx = NULL;
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        fp_metrics_count("clones_detected_total", 1);
        req_error(r, 409, "clone_detected", "facts",
                  "this credential belongs to host %s, and "
                  "this machine has another %s: enroll as a new host with enroll_token",
                  host, what);
        json_t *e = json_object_get(r->answer, "error");
        json_object_set_new(e, "enroll_token", json_string(token));
        json_object_set_new(e, "cloned_from", json_string(host));
        json_object_set_new(e, "expires", json_integer(t.expires));
        sodium_memzero(token, sizeof(token));
}

struct any_ctx {
        bool any;    /* an unfinished job: the answer lists the host's unfinished jobs */
        bool queued; /* one not delivered yet: a long poll answers at once */
};

static bool any_cb(void *ctx, const struct fp_job_rec *j);

static bool differs(const char *reported, const char *stored)
{
        return reported && strcmp(reported, stored ? stored : "");
}

/* The steady check-in of a fleet (no inventory, nothing new): when the read transaction shows
 * that the serialised path below would only record the sequence, facts and time (no clone, no
 * replay, no identity, catch-up, compliance or job to change or deliver), that one row update
 * is made alone, outside the writers' turn (fp_store_begin_rows), the sequence condition in the
 * statement: two check-ins of one host at once cannot both pass it. Anything else, or a race
 * the condition catches, goes the serialised way (false: r->tx is gone then, h's strings with
 * it). What changed between the read and the update (a baseline, a new job) is the next
 * check-in's, as it would be had the update come first. */
static bool checkin_steady(struct fp_req *r, const struct fp_host_rec *h,
                           const struct fp_facts *facts, const char *facts_text, int64_t seq,
                           const struct lifecycle *lc, const char *hash)
{
        const char *region = facts->cloud_region && *facts->cloud_region ? facts->cloud_region
                                                                         : NULL;
        if (lc->suspend || lc->revert || seq <= h->last_seq ||
            (facts->machine_id && (!*h->machine_id || strcmp(facts->machine_id, h->machine_id))) ||
            (facts->cloud_instance &&
             (!*h->instance_id || strcmp(facts->cloud_instance, h->instance_id))) ||
            differs(facts->boot_id, h->boot_id) || differs(facts->hostname, h->hostname) ||
            differs(region, h->region) ||
            (h->last_seen > 0 && r->now - h->last_seen > fp_srv_catchup_after(&r->srv->cfg)))
                return false;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        bool needed = true;
        struct any_ctx jobs = {false, false};
        enum fp_err err = fp_comply_checkin_needed(r->srv, r->tx, h, r->now, &needed, &diag);
        if (err == FP_OK && !needed)
                err = fp_store_job_pending(r->tx, h->id, any_cb, &jobs, &diag);
        if (err != FP_OK || needed || jobs.any)
                return false; /* an error is the serialised path's to report */
        const char *state = strcmp(hash, h->inventory_hash) ? "needed" : "unchanged";
        fp_tx_rollback(r->tx);
        r->tx = NULL;
        struct fp_tx *tx;
        err = fp_store_begin_rows(r->srv->store, &tx, &diag);
        if (err == FP_OK) {
                err = fp_store_host_checkin_next(tx, r->who.host, facts->hostname, region,
                                                 facts_text, seq, r->now, &diag);
                err = err == FP_OK ? fp_tx_commit(tx, &diag) : (fp_tx_rollback(tx), err);
        }
        if (err == FP_ENOTFOUND)
                return false; /* a replay or another check-in came first: judged below */
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return true;
        }
        fp_metrics_count("checkins_total", 1);
        fp_metrics_count("checkins_steady_total", 1);
        req_answer(r, 200, json_pack("{s:s, s:I, s:f, s:[]}", "inventory", state,
                                     "checkin_interval",
                                     (json_int_t)r->srv->cfg.checkin_interval, "jitter",
                                     (double)r->srv->cfg.jitter_percent / 100.0, "jobs"));
        return true;
}

void api_agent_checkin(struct fp_req *r)
{
        static const char *const allowed[] = {"seq",       "facts",     "inventory_hash",
                                              "inventory", "lifecycle", NULL};
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
        struct lifecycle lc;
        if (!read_lifecycle(r, &lc))
                return;
        struct fp_facts facts;
        char *facts_text = NULL, *tags_text = NULL, *inv_text = NULL;
        if (!read_facts(r, &facts, &facts_text))
                return;
        json_t *findings = NULL; /* the inventory's, for compliance */
        struct fp_expo_set expo; /* the exposures history (track.c) */
        fp_expo_set_init(&expo);
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_host_rec h;
        struct fp_tx *tx = req_tx(r, false);
        enum fp_err err = FP_OK;
        if (tx && tx == r->agent_host_tx)
                h = r->agent_host; /* as authentication read it, in this transaction */
        else
                err = tx ? fp_store_host_get(tx, r->who.host, &h, &diag) : FP_EIO;
        if (err != FP_OK) {
                if (tx)
                        req_fail(r, err, &diag);
                goto out;
        }
        json_t *inv = json_object_get(r->json, "inventory");
        bool have_inv = inv && !json_is_null(inv);
        r->agent_host_tx = NULL; /* used: not to be taken for a later transaction's */
        if (!have_inv && checkin_steady(r, &h, &facts, facts_text, seq, &lc, hash))
                goto out;
        /* The heavy part (parse, hash, match) before taking the write lock. */
        struct fp_wire_inventory w;
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
                findings = fp_findings_judge(r->srv->findings, &w,
                                             facts.hostname ? facts.hostname : h.hostname,
                                             tags_text, &counts, &expo, &diag);
                fp_diag_clear(&diag); /* no list: compliance judges for itself */
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
        /* Another machine with this credential: a clone (before the sequence check, since a
         * copy usually regresses it too). */
        if (facts.machine_id && *facts.machine_id && *h.machine_id &&
            strcmp(facts.machine_id, h.machine_id)) {
                clone_detected(r, &h, "machine_id");
                goto release;
        }
        if (facts.cloud_instance && *facts.cloud_instance && *h.instance_id &&
            strcmp(facts.cloud_instance, h.instance_id)) {
                clone_detected(r, &h, "cloud instance id");
                goto release;
        }
        if (seq <= h.last_seq) {
                /* A regression means a revert (snapshot) or a clone. Two boot ids taking turns
                 * at regressing (this one differs from the accepted one, which regressed
                 * before) is a clone that kept the machine id. Keep the count and the mark
                 * even though the request fails: commit them alone. */
                const char *reasons[2] = {"revert", NULL};
                size_t nr = 1;
                const char *boot = facts.boot_id && *facts.boot_id ? facts.boot_id : NULL;
                if (boot && *h.boot_id && strcmp(boot, h.boot_id) &&
                    !strcmp(h.regress_boot, h.boot_id))
                        reasons[nr++] = "possible-clone";
                err = fp_catchup_update(tx, &h, reasons, nr, false, r->now, &diag);
                if (err == FP_OK && boot)
                        err = fp_store_host_set_identity(tx, h.id, NULL, NULL, NULL, boot, &diag);
                if (err == FP_OK)
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
        /* Identity: the boot id as reported; machine and instance ids stored the first time
         * they are seen (a change of either is answered as a clone above). */
        const char *set_machine = *h.machine_id ? NULL : facts.machine_id;
        const char *set_instance = *h.instance_id ? NULL : facts.cloud_instance;
        const char *set_boot =
            facts.boot_id && !(h.boot_id && !strcmp(facts.boot_id, h.boot_id)) ? facts.boot_id
                                                                                : NULL;
        /* nothing new (the usual check-in): no write, one round trip less under the lock */
        if (err == FP_OK && (set_machine || set_boot || set_instance))
                err = fp_store_host_set_identity(tx, h.id, set_machine, set_boot, set_instance,
                                                 NULL, &diag);
        /* Catch-up: reasons this check-in brings, or a clear when an inventory that arrived
         * after the mark shows every version jobs installed. */
        const char *reasons[4];
        size_t nr = 0;
        if (h.last_seen > 0 && r->now - h.last_seen > fp_srv_catchup_after(&r->srv->cfg))
                reasons[nr++] = "offline";
        if (lc.suspend)
                reasons[nr++] = "suspend";
        if (lc.revert)
                reasons[nr++] = "revert";
        bool complete = false;
        if (err == FP_OK && have_inv) {
                bool downgraded = false;
                err = fp_catchup_check_inventory(tx, h.id, &w.inv, &downgraded, &complete, &diag);
                if (downgraded)
                        reasons[nr++] = "downgraded";
        }
        if (err == FP_OK)
                err = fp_catchup_update(tx, &h, reasons, nr, have_inv && complete, r->now, &diag);
        const char *state = "unchanged";
        if (err == FP_OK && have_inv) {
                char release[128];
                snprintf(release, sizeof(release), "%s", w.inv.release ? w.inv.release : "");
                err = fp_store_host_set_inventory(tx, h.id, w.inv.distro ? w.inv.distro : "",
                                                  release, hash, inv_text, &counts, r->now,
                                                  &diag);
                if (err == FP_OK) /* KEV, critical and overdue counts that rose: notify */
                        err = fp_notify_host_counts(r->srv, tx, &h, &counts, hash, r->now, &diag);
                if (err == FP_OK)
                        err = fp_track_sync_host(r->srv, tx, &h, hash, &w.inv, &expo, r->now,
                                                 &diag);
                state = "accepted";
                fp_metrics_count("inventories_total", 1);
        } else if (strcmp(hash, h.inventory_hash)) {
                state = "needed";
        }
        /* Compliance (docs/compliance.md): the host's state after this check-in. */
        if (err == FP_OK && have_inv) {
                /* the inventory just stored, as parsed and judged above */
                const struct fp_host_judged j = {&w, findings};
                err = fp_comply_evaluate_judged(r->srv, tx, h.id, &j, r->now, &diag);
        } else if (err == FP_OK) {
                err = fp_comply_evaluate(r->srv, tx, h.id, false, r->now, &diag);
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
        json_decref(findings);
        fp_expo_set_release(&expo);
        fp_facts_release(&facts);
        free(facts_text);
        free(tags_text);
        free(inv_text);
}

static bool any_cb(void *ctx, const struct fp_job_rec *j)
{
        struct any_ctx *c = ctx;
        c->any = true;
        c->queued |= j->status == FP_JOB_QUEUED;
        return !c->queued;
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
        struct any_ctx any = {false, false};
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        enum fp_err err = fp_store_job_pending(tx, r->who.host, any_cb, &any, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        int64_t now_ms = fp_now_ms();
        /* Only a job the agent has not been given ends the wait: a delivered or running one
         * (a reboot job waits for its host's reboot) would answer every poll at once, and the
         * agent, which skips what it already runs, would poll again in a tight loop. */
        if (!any.queued && !r->srv->stopping) {
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
