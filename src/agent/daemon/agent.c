/* Enrollment, check-in, long poll and the daemon loop (agent.h). */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/daemon/agent.h"
#include "agent/daemon/lifecycle.h"
#include "agent/daemon/reboot.h"
#include "agent/daemon/facts.h"
#include "agent/daemon/journal.h"
#include "agent/daemon/log.h"
#include "agent/daemon/state.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/scan.h"
#include "fleetpatch/wire.h"

/* Until the server says otherwise. */
#define DEFAULT_INTERVAL 300L
#define DEFAULT_JITTER 0.2
/* A check-in carries up to FP_MAX_AGENT_BODY; give a slow link time for it. */
#define CHECKIN_TIMEOUT_MS 300000L
#define REQUEST_TIMEOUT_MS 60000L

/* src into dst, cut to fit (the callers checked the shape of what matters). */
static void set_str(char *dst, size_t dstsz, const char *src)
{
        size_t n = strnlen(src, dstsz - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static bool is_hex(const char *s, size_t n)
{
        return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* fpa_<16 hex>_<64 hex> */
static bool credential_ok(const char *s)
{
        return strlen(s) == 4 + 16 + 1 + 64 && strncmp(s, "fpa_", 4) == 0 && s[20] == '_' &&
               strspn(s + 4, "0123456789abcdef") == 16 && strspn(s + 21, "0123456789abcdef") == 64;
}

/* ---- lifecycle (docs/jobs.md "Host lifecycle and catch-up") ------------------------------ */

/*
 * Compare the host now with the last sample, queue what happened and keep the new sample.
 * Lifecycle events are reports, never a reason to stop: a state directory that cannot take
 * them costs the events (logged), not the check-in.
 */
static void lifecycle_observe(struct agent *a, bool started)
{
        const char *dir = a->cfg->state_dir;
        char boot[REBOOT_ID_MAX] = "";
        struct lc_sample prev, now;
        struct lc_events ev;
        struct fp_diag d;

        fp_diag_clear(&d);
        if (reboot_boot_id(a->cfg->root, boot, sizeof(boot), NULL) != FP_OK)
                boot[0] = '\0';
        lc_sample_now(&now, boot);
        enum fp_err perr = lc_sample_load(dir, &prev, &d);
        if (perr != FP_OK && perr != FP_ENOENT)
                log_warn("lifecycle: %s; starting over", d.msg);
        if (lc_events_load(dir, &ev, &d) != FP_OK) {
                log_warn("lifecycle: %s; pending events dropped", d.msg);
                memset(&ev, 0, sizeof(ev));
        }
        size_t before = ev.count;
        lc_compute(perr == FP_OK ? &prev : NULL, &now, a->interval, a->lc_generation, &ev);
        if (started)
                lc_add(&ev, LC_RESTART, now.realtime_ns / 1000000000LL, "agent %s started",
                       FP_AGENT_VERSION);
        for (size_t i = before; i < ev.count; i++)
                log_info("lifecycle: %s: %s", lc_kind_name(ev.ev[i].kind), ev.ev[i].detail);
        uint64_t gen = perr == FP_OK ? prev.generation : 0;
        now.generation = (gen > a->lc_generation ? gen : a->lc_generation) + 1;
        fp_diag_clear(&d);
        if (lc_sample_save(dir, &now, &d) != FP_OK ||
            (ev.count != before && lc_events_save(dir, &ev, &d) != FP_OK))
                log_warn("lifecycle: cannot store: %s", d.msg);
        else
                a->lc_generation = now.generation;
}

/* Queue one event found during a check-in (the revert a 409 shows). */
static void lifecycle_queue(struct agent *a, enum lc_kind kind, const char *detail)
{
        struct lc_events ev;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (lc_events_load(a->cfg->state_dir, &ev, &d) != FP_OK)
                memset(&ev, 0, sizeof(ev));
        lc_add(&ev, kind, (int64_t)time(NULL), "%s", detail);
        log_info("lifecycle: %s: %s", lc_kind_name(kind), detail);
        if (lc_events_save(a->cfg->state_dir, &ev, &d) != FP_OK)
                log_warn("lifecycle: cannot store: %s", d.msg);
}

enum agent_rc agent_init(struct agent *a, const struct agent_config *cfg,
                         volatile sig_atomic_t *stop)
{
        struct fp_diag d;
        char buf[STATE_MAX_FILE];

        memset(a, 0, sizeof(*a));
        a->cfg = cfg;
        a->stop = stop;
        a->interval = cfg->checkin_interval ? cfg->checkin_interval : DEFAULT_INTERVAL;
        a->jitter = DEFAULT_JITTER;
        fp_diag_clear(&d);
        if (state_open(cfg->state_dir, &d) != FP_OK)
                goto fatal;
        if (state_read(cfg->state_dir, "credential", buf, sizeof(buf), &d) == FP_OK) {
                if (!credential_ok(buf)) {
                        log_error("%s/credential is not an agent credential (fpa_...); remove it "
                                  "to enroll again",
                                  cfg->state_dir);
                        return AGENT_FATAL;
                }
                set_str(a->credential, sizeof(a->credential), buf);
                if (state_read(cfg->state_dir, "host_id", buf, sizeof(buf), NULL) == FP_OK &&
                    is_hex(buf, 16))
                        set_str(a->host_id, sizeof(a->host_id), buf);
        }
        if (state_read(cfg->state_dir, "inventory_hash", buf, sizeof(buf), NULL) == FP_OK &&
            is_hex(buf, 64))
                set_str(a->inventory_hash, sizeof(a->inventory_hash), buf);
        fp_diag_clear(&d);
        if (state_read_seq(cfg->state_dir, &a->seq, &d) != FP_OK)
                goto fatal;
        lifecycle_observe(a, true);
        return AGENT_OK;
fatal : {
        char msg[1024];
        fp_diag_format(&d, msg, sizeof(msg));
        log_error("state directory: %s", msg);
        return AGENT_FATAL;
}
}

bool agent_enrolled(const struct agent *a)
{
        return a->credential[0] != '\0';
}

/* ---- requests --------------------------------------------------------------------------- */

/* The server's error object: code, message, and last_seq for sequence_regressed. */
static void error_of(const json_t *answer, const char **code, const char **message,
                     json_int_t *last_seq)
{
        const json_t *e = json_object_get(answer, "error");
        *code = json_string_value(json_object_get(e, "code"));
        *message = json_string_value(json_object_get(e, "message"));
        if (last_seq) {
                const json_t *l = json_object_get(e, "last_seq");
                *last_seq = json_is_integer(l) ? json_integer_value(l) : -1;
        }
        if (!*code)
                *code = "?";
        if (!*message)
                *message = "";
}

static enum agent_rc request_as(struct agent *a, const char *bearer, const char *method,
                                const char *path, const json_t *body, long timeout_ms,
                                bool cancellable, long *status, json_t **answer)
{
        char url[2048];
        struct fp_diag d;
        struct http_response res;
        char *text = NULL;

        *status = 0;
        *answer = NULL;
        snprintf(url, sizeof(url), "%s%s", a->cfg->server, path);
        if (body && !(text = json_dumps(body, JSON_COMPACT))) {
                log_error("out of memory serializing a request");
                return AGENT_RETRY;
        }
        struct http_request r = {
            .method = method,
            .url = url,
            .ca_file = a->cfg->ca_file,
            .bearer = bearer,
            .body = text,
            .timeout_ms = timeout_ms,
            .https_only = true,
            .cancel = cancellable ? a->stop : NULL,
        };
        fp_diag_clear(&d);
        enum fp_err err = http_perform(&r, &res, &d);
        free(text);
        if (err != FP_OK) {
                char msg[1024];
                fp_diag_format(&d, msg, sizeof(msg));
                if (!(cancellable && *a->stop))
                        log_warn("%s %s: %s", method, path, msg);
                return AGENT_RETRY;
        }
        *status = res.status;
        if (res.len > 0) {
                json_error_t je;
                *answer = json_loadb(res.body, res.len, JSON_REJECT_DUPLICATES, &je);
                if (!*answer)
                        log_warn("%s %s: HTTP %ld with a body that is not JSON: %s", method, path,
                                 res.status, je.text);
        }
        http_response_release(&res);
        if (*status == 401 || *status == 410)
                return AGENT_AUTH;
        return AGENT_OK;
}

enum agent_rc agent_request(struct agent *a, const char *method, const char *path,
                            const json_t *body, long timeout_ms, bool cancellable, long *status,
                            json_t **answer)
{
        return request_as(a, a->credential, method, path, body, timeout_ms, cancellable, status,
                          answer);
}

/* Adopt the server's pace unless the configuration fixes it. */
static void take_pace(struct agent *a, const json_t *answer)
{
        const json_t *i = json_object_get(answer, "checkin_interval");
        const json_t *j = json_object_get(answer, "jitter");
        if (!a->cfg->checkin_interval && json_is_integer(i) &&
            json_integer_value(i) >= AGENT_MIN_INTERVAL &&
            json_integer_value(i) <= AGENT_MAX_INTERVAL)
                a->interval = (long)json_integer_value(i);
        if (json_is_number(j) && json_number_value(j) >= 0 && json_number_value(j) <= 1)
                a->jitter = json_number_value(j);
}

static void log_http_error(const char *what, long status, const json_t *answer)
{
        const char *code, *message;
        error_of(answer, &code, &message, NULL);
        log_warn("%s: HTTP %ld %s: %s", what, status, code, message);
}

/* ---- enrollment ------------------------------------------------------------------------- */

static bool read_token(const char *path, char *out, size_t outsz)
{
        char *slash = strrchr(path, '/');
        char dir[4096];
        snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        struct fp_diag d;
        fp_diag_clear(&d);
        if (state_read(dir[0] ? dir : "/", slash ? slash + 1 : path, out, outsz, &d) != FP_OK) {
                char msg[1024];
                fp_diag_format(&d, msg, sizeof(msg));
                log_error("enrollment token: %s", msg);
                return false;
        }
        if (strncmp(out, "fpe_", 4) != 0) {
                log_error("%s does not hold an enrollment token (fpe_...)", path);
                return false;
        }
        return true;
}

static void ensure_cloud(struct agent *a)
{
        if (a->cfg->imds && !a->cloud_known) {
                cloud_detect(a->cfg->imds_url, &a->cloud);
                a->cloud_known = true;
        }
}

/* Facts with the cloud's, as a JSON object (NULL when they cannot be collected). */
static json_t *facts_json(struct agent *a, const struct fp_inventory *inv)
{
        struct fp_facts f;
        struct fp_diag d;
        struct agent_facts_opts o = {
            .root = a->cfg->root, .hostname = a->cfg->hostname, .inv = inv};
        fp_diag_clear(&d);
        if (agent_facts_collect(&o, &f, &d) != FP_OK) {
                char msg[1024];
                fp_diag_format(&d, msg, sizeof(msg));
                log_error("facts: %s", msg);
                return NULL;
        }
        ensure_cloud(a);
        if (a->cloud.provider[0]) {
                f.cloud_provider = a->cloud.provider;
                f.cloud_account = a->cloud.account[0] ? a->cloud.account : NULL;
                f.cloud_region = a->cloud.region[0] ? a->cloud.region : NULL;
                f.cloud_zone = a->cloud.zone[0] ? a->cloud.zone : NULL;
                f.cloud_instance = a->cloud.instance_id[0] ? a->cloud.instance_id : NULL;
        }
        json_t *j = fp_wire_facts_build(&f);
        fp_facts_release(&f);
        return j;
}

static enum agent_rc enroll_with(struct agent *a, char *token, const char *where,
                                 const char *cloned_from);

enum agent_rc agent_enroll(struct agent *a)
{
        const struct agent_config *cfg = a->cfg;
        char token[STATE_MAX_FILE];

        if (!cfg->enroll_token_file) {
                log_error("not enrolled (%s/credential is missing) and no enroll_token_file "
                          "configured",
                          cfg->state_dir);
                return AGENT_FATAL;
        }
        if (!read_token(cfg->enroll_token_file, token, sizeof(token)))
                return AGENT_FATAL;
        return enroll_with(a, token, cfg->enroll_token_file, NULL);
}

/* Enroll with token (wiped here); where says where it came from; cloned_from (may be NULL)
 * names the host whose disk this one is a copy of (docs/jobs.md "Clones"). */
static enum agent_rc enroll_with(struct agent *a, char *token, const char *where,
                                 const char *cloned_from)
{
        const struct agent_config *cfg = a->cfg;
        struct fp_diag d;
        json_t *facts = facts_json(a, NULL);
        json_t *tags = agent_config_tags(cfg);
        json_t *body = json_object();
        if (!facts || !tags || !body) {
                sodium_memzero(token, strlen(token));
                json_decref(facts);
                json_decref(tags);
                json_decref(body);
                return AGENT_FATAL;
        }
        json_object_set(body, "hostname", json_object_get(facts, "hostname"));
        json_object_set_new(body, "facts", facts);
        json_object_set_new(body, "tags", tags);
        if (cloned_from)
                json_object_set_new(body, "cloned_from", json_string(cloned_from));
        long status;
        json_t *ans;
        enum agent_rc rc = request_as(a, token, "POST", "/v1/agent/enroll", body,
                                      REQUEST_TIMEOUT_MS, false, &status, &ans);
        sodium_memzero(token, strlen(token));
        json_decref(body);
        if (rc == AGENT_AUTH) {
                const char *code, *message;
                error_of(ans, &code, &message, NULL);
                log_error("enrollment refused (HTTP %ld %s: %s): the token in %s is expired, "
                          "used up or revoked",
                          status, code, message, where);
                json_decref(ans);
                return AGENT_AUTH;
        }
        if (rc != AGENT_OK || (status != 201 && status != 200)) {
                if (rc == AGENT_OK)
                        log_http_error("enrollment", status, ans);
                json_decref(ans);
                return rc == AGENT_OK && status >= 400 && status < 500 ? AGENT_FATAL : AGENT_RETRY;
        }
        const char *cred = json_string_value(json_object_get(ans, "credential"));
        const char *host = json_string_value(json_object_get(ans, "host_id"));
        const char *account = json_string_value(json_object_get(ans, "account"));
        if (!cred || !credential_ok(cred) || !host || !is_hex(host, 16)) {
                log_error("enrollment: the server's answer has no valid credential and host_id");
                json_decref(ans);
                return AGENT_RETRY;
        }
        fp_diag_clear(&d);
        /* the host id first: a credential without its host id is still usable */
        if (state_write(cfg->state_dir, "host_id", host, &d) != FP_OK ||
            state_write(cfg->state_dir, "credential", cred, &d) != FP_OK) {
                char msg[1024];
                fp_diag_format(&d, msg, sizeof(msg));
                log_error("enrollment succeeded but the credential cannot be stored: %s", msg);
                json_decref(ans);
                return AGENT_FATAL;
        }
        set_str(a->credential, sizeof(a->credential), cred);
        set_str(a->host_id, sizeof(a->host_id), host);
        set_str(a->account, sizeof(a->account), account ? account : "");
        /* a new (or re-enrolled) host record: send the whole inventory on the first check-in */
        a->inventory_hash[0] = '\0';
        state_remove(cfg->state_dir, "inventory_hash");
        take_pace(a, ans);
        log_info("enrolled as host %s of account %s", a->host_id, a->account[0] ? a->account : "?");
        json_decref(ans);
        return AGENT_OK;
}

/* ---- inventory and check-in ------------------------------------------------------------- */

struct gathered {
        json_t *facts, *inventory;
        char hash[65];
        size_t packages;
};

static void gathered_release(struct gathered *g)
{
        json_decref(g->facts);
        json_decref(g->inventory);
        memset(g, 0, sizeof(*g));
}

/* Inventory, pending updates and facts of the root. Nothing of it is kept afterwards. */
static bool gather(struct agent *a, struct gathered *g)
{
        const char *root = a->cfg->root;
        bool live = strcmp(root, "/") == 0;
        struct fp_inventory inv;
        struct fp_scan_result scan;
        struct fp_diag d;
        char msg[1024];

        memset(g, 0, sizeof(*g));
        struct fp_inventory_opts io = {.root = root, .running_kernel = live ? NULL : ""};
        fp_diag_clear(&d);
        if (fp_inventory_load(&io, &inv, &d) != FP_OK) {
                fp_diag_format(&d, msg, sizeof(msg));
                log_error("inventory of %s: %s", root, msg);
                return false;
        }
        struct fp_scan_opts so = {.root = root};
        fp_diag_clear(&d);
        enum fp_err err = strcmp(inv.family, "rpm") == 0 ? fp_scan_rpm(&so, &scan, &d)
                                                         : fp_scan_deb(&so, &scan, &d);
        if (err != FP_OK) {
                fp_diag_format(&d, msg, sizeof(msg));
                log_warn("pending updates of %s are not known: %s", root, msg);
        } else {
                for (size_t i = 0; i < scan.warning_count; i++)
                        log_warn("scan: %s", scan.warnings[i]);
        }
        g->inventory = fp_wire_inventory_build(&inv, err == FP_OK ? &scan : NULL);
        g->packages = inv.count;
        g->facts = facts_json(a, &inv);
        if (err == FP_OK)
                fp_scan_result_release(&scan);
        fp_inventory_release(&inv);
        if (!g->inventory || !g->facts || !fp_wire_hash(g->inventory, g->hash)) {
                log_error("out of memory building the inventory");
                gathered_release(g);
                return false;
        }
        return true;
}

/* The next sequence number, on disk before it is used: a crash never reuses one. */
static bool next_seq(struct agent *a)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        if (state_write_seq(a->cfg->state_dir, a->seq + 1, &d) != FP_OK) {
                char msg[1024];
                fp_diag_format(&d, msg, sizeof(msg));
                log_error("cannot persist the sequence number: %s", msg);
                return false;
        }
        a->seq++;
        return true;
}

/*
 * 409 clone_detected (docs/jobs.md "Clones"): this disk is a copy of another host's, whose
 * credential the server will not let two machines share. Keep the old credential for the
 * record, forget the identity and enroll with the single-use token the answer carries.
 * Returns ans (for the caller to release); a->credential is empty when it failed.
 */
static json_t *ans_clone_token(struct agent *a, json_t *ans)
{
        const struct agent_config *cfg = a->cfg;
        const json_t *e = json_object_get(ans, "error");
        const char *tok = json_string_value(json_object_get(e, "enroll_token"));
        char token[STATE_MAX_FILE], old[sizeof(a->host_id)], keep[64], cred[sizeof(a->credential)];
        struct fp_diag d;

        if (!tok)
                tok = json_string_value(json_object_get(ans, "enroll_token"));
        log_error("CLONE DETECTED: the server says host %s's credential is used by another "
                  "machine; this machine enrolls as a new host (cloned from %s)",
                  a->host_id, a->host_id);
        if (!tok || strncmp(tok, "fpe_", 4) != 0 || strlen(tok) >= sizeof(token)) {
                log_error("clone_detected without a usable enroll_token; keeping the credential");
                return ans;
        }
        set_str(token, sizeof(token), tok);
        set_str(old, sizeof(old), a->host_id);
        set_str(cred, sizeof(cred), a->credential);
        snprintf(keep, sizeof(keep), "credential.clone-of-%s", old[0] ? old : "unknown");
        fp_diag_clear(&d);
        /* the record first: whatever happens next, the old identity is not lost */
        if (state_write(cfg->state_dir, keep, cred, &d) != FP_OK) {
                log_error("cannot keep the old credential as %s: %s; not enrolling again", keep,
                          d.msg);
                sodium_memzero(token, sizeof(token));
                sodium_memzero(cred, sizeof(cred));
                return ans;
        }
        sodium_memzero(cred, sizeof(cred));
        state_remove(cfg->state_dir, "credential");
        state_remove(cfg->state_dir, "host_id");
        state_remove(cfg->state_dir, "inventory_hash");
        state_write_seq(cfg->state_dir, 0, NULL);
        sodium_memzero(a->credential, sizeof(a->credential));
        a->host_id[0] = '\0';
        a->inventory_hash[0] = '\0';
        a->seq = 0;
        if (enroll_with(a, token, "the clone_detected answer", old[0] ? old : NULL) != AGENT_OK) {
                sodium_memzero(token, sizeof(token));
                log_error("CLONE: enrollment as a new host failed; the old credential is in "
                          "%s/%s",
                          cfg->state_dir, keep);
                return ans;
        }
        sodium_memzero(token, sizeof(token));
        log_error("CLONE: now host %s (cloned from %s); the old credential is kept as %s/%s",
                  a->host_id, old, cfg->state_dir, keep);
        return ans;
}

enum agent_rc agent_checkin(struct agent *a, json_t **jobs)
{
        struct gathered g;
        enum agent_rc rc = AGENT_RETRY;
        bool with_inventory;
        int regressions = 0, resends = 0, clones = 0;

        if (jobs)
                *jobs = NULL;
        if (!gather(a, &g))
                return AGENT_FATAL;
        lifecycle_observe(a, false);
        with_inventory = strcmp(g.hash, a->inventory_hash) != 0;
        for (;;) {
                if (!next_seq(a)) {
                        rc = AGENT_FATAL;
                        break;
                }
                json_t *body = json_pack("{s:I,s:O,s:s}", "seq", (json_int_t)a->seq, "facts",
                                         g.facts, "inventory_hash", g.hash);
                if (body && with_inventory)
                        json_object_set(body, "inventory", g.inventory);
                /* what happened to the host since the last accepted check-in */
                struct lc_events lev;
                struct fp_diag ld;
                fp_diag_clear(&ld);
                if (lc_events_load(a->cfg->state_dir, &lev, &ld) != FP_OK)
                        memset(&lev, 0, sizeof(lev));
                if (body && lev.count)
                        json_object_set_new(body, "lifecycle", lc_events_json(&lev));
                if (!body) {
                        rc = AGENT_FATAL;
                        break;
                }
                long status;
                json_t *ans;
                rc = agent_request(a, "POST", "/v1/agent/checkin", body, CHECKIN_TIMEOUT_MS, false,
                                   &status, &ans);
                json_decref(body);
                if (rc == AGENT_AUTH) {
                        const char *code, *message;
                        error_of(ans, &code, &message, NULL);
                        log_error("check-in refused (HTTP %ld %s: %s): this host was deleted or "
                                  "its credential revoked; to enroll again remove %s/credential "
                                  "and provide an enrollment token",
                                  status, code, message, a->cfg->state_dir);
                        json_decref(ans);
                        break;
                }
                if (rc != AGENT_OK) {
                        json_decref(ans);
                        break;
                }
                const char *code, *message;
                json_int_t last_seq;
                error_of(ans, &code, &message, &last_seq);
                if (status == 409 && strcmp(code, "sequence_regressed") == 0 && last_seq >= 0 &&
                    regressions++ == 0) {
                        /* a restored snapshot or a clone: continue after the server's number */
                        log_warn("check-in %" PRIu64 " refused as sequence_regressed; the server "
                                 "has seen %" PRId64 ", continuing from %" PRId64,
                                 a->seq, (int64_t)last_seq, (int64_t)last_seq + 1);
                        char why[LC_DETAIL_MAX];
                        snprintf(why, sizeof(why),
                                 "sequence went back: the server has seen %" PRId64
                                 ", the agent was at %" PRIu64,
                                 (int64_t)last_seq, a->seq);
                        lifecycle_queue(a, LC_REVERT, why);
                        a->seq = (uint64_t)last_seq;
                        json_decref(ans);
                        continue;
                }
                if (status == 409 && strcmp(code, "clone_detected") == 0 && clones++ == 0) {
                        json_decref(ans_clone_token(a, ans));
                        if (!agent_enrolled(a)) {
                                rc = AGENT_RETRY;
                                break;
                        }
                        with_inventory = true;
                        continue;
                }
                if (status != 200) {
                        log_http_error("check-in", status, ans);
                        json_decref(ans);
                        rc = status >= 500 || status == 409 || status == 429 ? AGENT_RETRY
                                                                             : AGENT_FATAL;
                        break;
                }
                take_pace(a, ans);
                const char *inv = json_string_value(json_object_get(ans, "inventory"));
                if (inv && strcmp(inv, "needed") == 0 && !with_inventory && resends++ == 0) {
                        log_info("the server does not hold inventory %.12s; sending it", g.hash);
                        with_inventory = true;
                        json_decref(ans);
                        continue;
                }
                if (!inv || (strcmp(inv, "accepted") != 0 && strcmp(inv, "unchanged") != 0)) {
                        log_warn("check-in: unexpected inventory answer '%s'", inv ? inv : "");
                        json_decref(ans);
                        rc = AGENT_RETRY;
                        break;
                }
                if (lev.count && lc_events_ack(a->cfg->state_dir, lev.count, &ld) != FP_OK)
                        log_warn("lifecycle: cannot clear the reported events: %s", ld.msg);
                a->last_inventory = strcmp(inv, "accepted") == 0 ? "accepted" : "unchanged";
                a->last_packages = g.packages;
                if (strcmp(g.hash, a->inventory_hash) != 0) {
                        struct fp_diag d;
                        fp_diag_clear(&d);
                        if (state_write(a->cfg->state_dir, "inventory_hash", g.hash, &d) != FP_OK)
                                log_warn("cannot store the inventory hash: %s", d.msg);
                        set_str(a->inventory_hash, sizeof(a->inventory_hash), g.hash);
                }
                log_info("check-in %" PRIu64 ": inventory %s (%zu packages%s)", a->seq, inv,
                         g.packages, with_inventory ? ", sent" : "");
                json_t *j = json_object_get(ans, "jobs");
                if (jobs && json_is_array(j))
                        *jobs = json_incref(j);
                json_decref(ans);
                rc = AGENT_OK;
                break;
        }
        gathered_release(&g);
        return rc;
}

enum agent_rc agent_poll_jobs(struct agent *a, long wait, json_t **jobs)
{
        char path[64];
        long status;
        json_t *ans;

        *jobs = NULL;
        if (wait > FP_MAX_LONGPOLL)
                wait = FP_MAX_LONGPOLL;
        snprintf(path, sizeof(path), "/v1/agent/jobs?wait=%ld", wait);
        enum agent_rc rc =
            agent_request(a, "GET", path, NULL, (wait + 30) * 1000L, true, &status, &ans);
        if (rc == AGENT_OK && status != 200) {
                log_http_error("jobs", status, ans);
                rc = AGENT_RETRY;
        }
        const json_t *j = json_object_get(ans, "jobs");
        if (rc == AGENT_OK && json_is_array(j))
                *jobs = json_incref((json_t *)j);
        json_decref(ans);
        return rc;
}

static bool recently_done(const struct agent *a, const char *id)
{
        for (unsigned i = 0; i < AGENT_RECENT_JOBS; i++)
                if (strcmp(a->recent[i], id) == 0)
                        return true;
        return false;
}

enum agent_rc agent_run_jobs(struct agent *a, const json_t *jobs)
{
        size_t i;
        const json_t *job;

        json_array_foreach(jobs, i, job)
        {
                const char *id = json_string_value(json_object_get(job, "id"));
                if (id && recently_done(a, id))
                        continue;
                enum agent_rc rc = agent_job_run(a, job);
                if (rc != AGENT_OK)
                        return rc;
                if (id && strlen(id) < sizeof(a->recent[0])) {
                        snprintf(a->recent[a->recent_next], sizeof(a->recent[0]), "%s", id);
                        a->recent_next = (a->recent_next + 1) % AGENT_RECENT_JOBS;
                }
        }
        return AGENT_OK;
}

/* ---- modes ------------------------------------------------------------------------------ */

static int exit_code(enum agent_rc rc)
{
        switch (rc) {
        case AGENT_OK:
                return AGENT_EXIT_OK;
        case AGENT_AUTH:
                return AGENT_EXIT_AUTH;
        default:
                return AGENT_EXIT_FAIL;
        }
}

int agent_once(struct agent *a)
{
        enum agent_rc rc = AGENT_OK;
        json_t *jobs = NULL;

        if (!agent_enrolled(a))
                rc = agent_enroll(a);
        /* jobs a crash or a reboot interrupted are finished before new ones (jobs.c) */
        if (rc == AGENT_OK)
                rc = agent_jobs_resume(a);
        if (rc == AGENT_OK)
                rc = agent_checkin(a, &jobs);
        if (rc == AGENT_OK)
                rc = agent_run_jobs(a, jobs);
        json_decref(jobs);
        jobs = NULL;
        if (rc == AGENT_OK)
                rc = agent_poll_jobs(a, 0, &jobs);
        if (rc == AGENT_OK)
                rc = agent_run_jobs(a, jobs);
        json_decref(jobs);
        if (rc == AGENT_OK)
                printf("fleetpatch-agent: host %s: check-in %" PRIu64
                       ": inventory %s (%zu packages), %u job(s) done, %u failed\n",
                       a->host_id[0] ? a->host_id : "?", a->seq,
                       a->last_inventory ? a->last_inventory : "?", a->last_packages, a->jobs_ok,
                       a->jobs_failed);
        else
                printf("fleetpatch-agent: host %s: failed (%s)\n", a->host_id[0] ? a->host_id : "?",
                       rc == AGENT_AUTH ? "credential refused" : "see the log above");
        fflush(stdout);
        return exit_code(rc);
}

/* Sleep up to s seconds; false when asked to stop. */
static bool nap(struct agent *a, double s)
{
        while (s > 0 && !*a->stop) {
                double chunk = s < 1.0 ? s : 1.0;
                struct timespec ts = {(time_t)chunk, (long)((chunk - (double)(time_t)chunk) * 1e9)};
                nanosleep(&ts, NULL);
                s -= chunk;
        }
        return !*a->stop;
}

/* base scaled by a random factor in [1 - f, 1 + f]. */
static double jittered(double base, double f)
{
        double r = (double)randombytes_uniform(1000001) / 1000000.0; /* [0, 1] */
        return base * (1.0 + f * (2.0 * r - 1.0));
}

static double monotonic(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Exponential backoff with jitter, capped at the check-in interval. */
static bool back_off(struct agent *a, unsigned *failures)
{
        double delay = 1.0;
        for (unsigned i = 0; i < *failures && delay < (double)a->interval; i++)
                delay *= 2;
        if (delay > (double)a->interval)
                delay = (double)a->interval;
        (*failures)++;
        delay = jittered(delay, 0.2);
        log_info("retrying in %.1f s", delay);
        return nap(a, delay);
}

int agent_daemon(struct agent *a)
{
        unsigned failures = 0;
        bool resumed = false;  /* unfinished journals (jobs.c), once per start */
        double next_prune = 0; /* journals and kept packages: at start, then once a day */

        while (!*a->stop) {
                enum agent_rc rc = AGENT_OK;
                json_t *jobs = NULL;
                if (!agent_enrolled(a))
                        rc = agent_enroll(a);
                if (rc == AGENT_FATAL && !agent_enrolled(a))
                        return AGENT_EXIT_FAIL; /* no token: nothing will change by waiting */
                if (rc == AGENT_OK && !resumed) {
                        rc = agent_jobs_resume(a);
                        resumed = rc == AGENT_OK;
                }
                if (rc == AGENT_OK)
                        rc = agent_checkin(a, &jobs);
                if (rc == AGENT_OK)
                        rc = agent_run_jobs(a, jobs);
                json_decref(jobs);
                if (rc == AGENT_AUTH && agent_enrolled(a)) {
                        /* an operator may have removed the credential to enroll again */
                        char buf[STATE_MAX_FILE];
                        if (state_read(a->cfg->state_dir, "credential", buf, sizeof(buf), NULL) ==
                            FP_ENOENT)
                                a->credential[0] = '\0';
                }
                if (rc != AGENT_OK) {
                        if (!back_off(a, &failures))
                                break;
                        continue;
                }
                failures = 0;
                if (monotonic() >= next_prune) {
                        size_t gone = 0;
                        struct fp_diag d;
                        fp_diag_clear(&d);
                        if (journal_prune(a->cfg->state_dir, JOURNAL_MAX_AGE, (int64_t)time(NULL),
                                          &gone, &d) != FP_OK)
                                log_warn("pruning job journals: %s", d.msg);
                        else if (gone)
                                log_info("pruned %zu old job journal(s)", gone);
                        next_prune = monotonic() + 86400.0;
                }
                /* between check-ins: wait for jobs */
                double until = monotonic() + jittered((double)a->interval, a->jitter);
                while (!*a->stop) {
                        double left = until - monotonic();
                        if (left < 1)
                                break;
                        rc = agent_poll_jobs(a, (long)left, &jobs);
                        if (rc == AGENT_OK)
                                rc = agent_run_jobs(a, jobs);
                        json_decref(jobs);
                        jobs = NULL;
                        if (rc != AGENT_OK) {
                                /* the server went away: the next check-in re-syncs */
                                if (!*a->stop)
                                        back_off(a, &failures);
                                break;
                        }
                }
        }
        log_info("stopping");
        return AGENT_EXIT_OK;
}
