/*
 * The audit log of fleetpatchd (docs/audit.md): appending chained, signed entries in the
 * transaction of the change they record, the entry of a request (derived from its route and
 * enriched by its handler), failed logins in their own transaction, the anchor file
 * STATE/audit.head, verification of the whole log and the signed export.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "server/audit.h"
#include "server/http.h"
#include "server/server.h"

/* ---- appending ---- */

/* A before/after value larger than FP_AUDIT_MAX_VALUE is recorded as its size and SHA-256
 * (a host's whole inventory does not belong in every entry). Takes v. */
static json_t *bounded(json_t *v)
{
        char *t = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
        size_t n = t ? strlen(t) : 0;
        if (n > FP_AUDIT_MAX_VALUE) {
                unsigned char h[FP_AUDIT_HASH_BYTES];
                char hex[FP_AUDIT_HEX_LEN + 1];
                struct sha256_ctx c;
                sha256_init(&c);
                sha256_update(&c, n, (const uint8_t *)t);
                sha256_digest(&c, sizeof(h), h);
                fp_audit_hex(h, sizeof(h), hex);
                json_decref(v);
                v = json_pack("{s:I, s:s}", "omitted_bytes", (json_int_t)n, "sha256", hex);
        }
        free(t);
        return v;
}

/* s, or its copy in buf with bytes >= 0x80 as '?' when it is not UTF-8 (what the entry text
 * holds then); "" for NULL. A string longer than the field limit stays as it is (refused). */
static const char *clean(const char *s, char *buf, size_t bufsz)
{
        if (!s)
                return "";
        json_t *v = json_string(s);
        json_decref(v);
        if (v || strlen(s) >= bufsz)
                return s;
        size_t i = 0;
        for (; s[i]; i++)
                buf[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
        buf[i] = 0;
        return buf;
}

/* The head a transaction leaves, kept in its arena (gone with it on a rollback) until the
 * commit signs and writes it: one signature and one head write per transaction, and the
 * appends after the first read the chain's tail from here instead of the store. */
struct pending_head {
        const struct fp_signkey *k;
        int64_t seq, time;
        unsigned char hash[FP_AUDIT_HASH_BYTES];
};

static enum fp_err sign_head(struct fp_tx *tx, void *ctx, struct fp_diag *diag)
{
        const struct pending_head *p = ctx;
        unsigned char msg[FP_AUDIT_MSG_MAX], sig[crypto_sign_BYTES];
        char b64[FP_AUDIT_SIG_B64_LEN + 1], hex[FP_AUDIT_HEX_LEN + 1];
        fp_signkey_sign(p->k, msg, fp_audit_head_msg(p->seq, p->hash, p->time, msg), sig);
        sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
        fp_audit_hex(p->hash, sizeof(p->hash), hex);
        struct fp_audit_head h = {
            .seq = p->seq, .time = p->time, .hash = hex, .sig = b64, .key_id = p->k->key_id};
        return fp_store_audit_head_put(tx, &h, diag);
}

enum fp_err fp_audit_append_fields(struct fp_server *srv, struct fp_tx *tx,
                                   const struct fp_audit_fields *f, struct fp_diag *diag)
{
        const struct fp_signkey *k = srv ? srv->signkey : NULL;
        if (!k)
                return FP_OK;
        struct fp_audit_head head = {0};
        unsigned char prev[FP_AUDIT_HASH_BYTES] = {0};
        struct pending_head *pend = fp_tx_before_commit_ctx(tx, sign_head);
        enum fp_err err = FP_OK;
        if (pend) { /* not the transaction's first entry */
                head.seq = pend->seq;
                head.time = pend->time;
                memcpy(prev, pend->hash, sizeof(prev));
        } else if ((err = fp_store_audit_head_get(tx, &head, diag)) == FP_ENOTFOUND) {
                fp_diag_clear(diag);
                head.seq = 0;
                head.time = 0;
        } else if (err != FP_OK) {
                return err;
        } else if (!fp_audit_unhex(head.hash, strlen(head.hash), prev, sizeof(prev))) {
                fp_diag_set(diag, NULL, 0, NULL, "the audit log's head is damaged (seq %lld); "
                            "run fleetpatch audit verify", (long long)head.seq);
                return FP_ECORRUPT;
        }
        if (!pend) {
                pend = fp_arena_alloc(fp_tx_arena(tx), sizeof(*pend));
                if (!pend)
                        return FP_ENOMEM;
                pend->k = k;
        }
        struct fp_audit_fields g = *f;
        /* the columns and the text agree even on bytes that are not UTF-8 (shown as '?') */
        char acc[FP_AUDIT_MAX_FIELD + 1], who[FP_AUDIT_MAX_FIELD + 1], act[FP_AUDIT_MAX_FIELD + 1],
            tgt[FP_AUDIT_MAX_FIELD + 1];
        g.account = clean(f->account, acc, sizeof(acc));
        g.actor = clean(f->actor, who, sizeof(who));
        g.action = clean(f->action, act, sizeof(act));
        g.target = clean(f->target, tgt, sizeof(tgt));
        /* times never go back along the chain, so a period is one seq range */
        if (g.time < head.time)
                g.time = head.time;
        json_t *before = bounded(fp_audit_redact(f->before)),
               *after = bounded(fp_audit_redact(f->after));
        g.before = before;
        g.after = after;
        int64_t seq = head.seq + 1;
        char *text = fp_audit_entry_text(&g, seq, prev);
        json_decref(before);
        json_decref(after);
        if (!text) {
                fp_diag_set(diag, NULL, 0, NULL, "audit entry: out of memory or a field longer "
                                                 "than %d bytes", FP_AUDIT_MAX_FIELD);
                return FP_ELIMIT;
        }
        unsigned char hash[FP_AUDIT_HASH_BYTES], msg[FP_AUDIT_MSG_MAX], sig[crypto_sign_BYTES];
        char hash_hex[FP_AUDIT_HEX_LEN + 1], sig_b64[FP_AUDIT_SIG_B64_LEN + 1];
        size_t len = strlen(text);
        fp_audit_chain_hash(prev, text, len, hash);
        fp_audit_hex(hash, sizeof(hash), hash_hex);
        fp_signkey_sign(k, msg, fp_audit_entry_msg(seq, hash, msg), sig);
        sodium_bin2base64(sig_b64, sizeof(sig_b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
        struct fp_audit_rec rec = {.seq = seq,
                                   .time = g.time,
                                   .account = g.account,
                                   .actor = g.actor,
                                   .action = g.action,
                                   .target = g.target,
                                   .entry = text,
                                   .hash = hash_hex,
                                   .sig = sig_b64,
                                   .key_id = k->key_id};
        err = fp_store_audit_append(tx, &rec, NULL, diag);
        free(text);
        if (err == FP_OK) { /* the head: signed and written once, when the transaction commits */
                pend->seq = seq;
                pend->time = g.time;
                memcpy(pend->hash, hash, sizeof(hash));
                fp_tx_before_commit(tx, sign_head, pend);
        }
        return err;
}

enum fp_err fp_audit_append(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                            const char *actor, const char *source, const char *action,
                            const char *account, const char *target, const json_t *before,
                            const json_t *after, struct fp_diag *diag)
{
        struct fp_audit_fields f = {.time = now,
                                    .actor = actor,
                                    .token = "",
                                    .source = source,
                                    .action = action,
                                    .account = account,
                                    .target = target,
                                    .before = before,
                                    .after = after};
        return fp_audit_append_fields(srv, tx, &f, diag);
}

/* ---- the entry of a request ---- */

/* Names of the routes whose derived name reads badly; every other route is named by rule. */
static const struct {
        const char *method, *pattern, *action;
} names[] = {
    {"POST", "/v1/auth/login", "user.login"},
    {"POST", "/v1/accounts", "account.create"},
    {"POST", "/v1/accounts/{account}/enroll-tokens", "enroll_token.create"},
    {"POST", "/v1/users", "user.create"},
    {"PUT", "/v1/users/{user}/grants", "user.grant"},
    {"DELETE", "/v1/users/{user}/grants/{account}", "user.ungrant"},
    {"POST", "/v1/tokens", "token.create"},
    {"DELETE", "/v1/tokens/{id}", "token.revoke"},
    {"DELETE", "/v1/hosts/{id}", "host.delete"},
    {"PUT", "/v1/hosts/{id}/tags", "host.tags"},
    {"POST", "/v1/hosts/{id}/jobs", "job.create"},
    {"POST", "/v1/accounts/{account}/baselines", "baseline.create"},
    {"PUT", "/v1/accounts/{account}/baselines/{name}", "baseline.update"},
    {"DELETE", "/v1/accounts/{account}/baselines/{name}", "baseline.delete"},
    {"POST", "/v1/accounts/{account}/windows", "window.create"},
    {"PUT", "/v1/accounts/{account}/windows/{name}", "window.update"},
    {"DELETE", "/v1/accounts/{account}/windows/{name}", "window.delete"},
    {"POST", "/v1/change-requests", "change_request.create"},
    {"POST", "/v1/agent/enroll", "agent.enroll"},
    {"POST", "/v1/agent/jobs/{id}", "job.finish"},
};

/*
 * By rule: the literal segments after /v1 joined with '.', then the verb: a POST whose last
 * segment is a literal after a parameter is that verb (".../{id}/approve" -> "...approve"),
 * otherwise POST create, PUT update, DELETE delete, PATCH update.
 */
static void action_name(const char *method, const char *pattern, char *out, size_t outsz)
{
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (!strcmp(names[i].method, method) && !strcmp(names[i].pattern, pattern)) {
                        snprintf(out, outsz, "%s", names[i].action);
                        return;
                }
        bool post = !strcmp(method, "POST");
        char noun[128] = "", verb[64];
        snprintf(verb, sizeof(verb), "%s",
                 !strcmp(method, "DELETE") ? "delete" : post ? "create" : "update");
        size_t o = 0;
        bool prev_param = false;
        const char *p = !strncmp(pattern, "/v1/", 4) ? pattern + 4 : pattern + 1;
        while (*p) {
                const char *e = strchr(p, '/');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                bool param = n && p[0] == '{';
                if (!param && n && !e && prev_param && post) {
                        snprintf(verb, sizeof(verb), "%.*s", (int)n, p);
                } else if (!param && n) {
                        if (o && o + 1 < sizeof(noun))
                                noun[o++] = '.';
                        for (size_t i = 0; i < n && o + 1 < sizeof(noun); i++)
                                noun[o++] = p[i] == '-' ? '_' : p[i];
                        noun[o] = 0;
                }
                prev_param = param;
                p += n;
                if (*p == '/')
                        p++;
        }
        for (char *c = verb; *c; c++)
                if (*c == '-')
                        *c = '_';
        snprintf(out, outsz, "%s.%s", noun[0] ? noun : "unknown", verb);
}

/* The value of the path parameter named name ("{account}") in pattern, or NULL. */
static const char *path_param(const struct fp_req *r, const char *pattern, const char *name)
{
        size_t i = 0;
        for (const char *p = strchr(pattern, '{'); p && i < r->nparams; p = strchr(p + 1, '{')) {
                size_t n = strlen(name);
                if (!strncmp(p + 1, name, n) && p[1 + n] == '}')
                        return r->params[i];
                i++;
        }
        return NULL;
}

enum fp_err fp_audit_request(struct fp_req *r, const char *pattern, struct fp_diag *diag)
{
        bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
        enum fp_principal_kind kind = r->who.kind;
        bool job_finish = kind == FP_PRINCIPAL_AGENT && !strcmp(r->method, "POST") &&
                          !strcmp(pattern, "/v1/agent/jobs/{id}");
        if (r->audit.skip || (get && !r->audit.log))
                return FP_OK;
        if (!r->audit.log && !job_finish && kind != FP_PRINCIPAL_USER &&
            kind != FP_PRINCIPAL_ENROLL)
                return FP_OK;
        if (!r->srv->signkey)
                return FP_OK;
        char action[128], target[FP_AUDIT_MAX_FIELD + 1] = "", actor[FP_AUDIT_MAX_FIELD + 1];
        char source[64] = "";
        action_name(r->method, pattern, action, sizeof(action));
        for (size_t i = 0, o = 0; i < r->nparams; i++) {
                int n = snprintf(target + o, sizeof(target) - o, "%s%s", i ? "/" : "", r->params[i]);
                if (n < 0 || (size_t)n >= sizeof(target) - o)
                        break;
                o += (size_t)n;
        }
        const char *host_id = json_string_value(json_object_get(r->answer, "host_id"));
        if (!strcmp(r->method, "POST") && json_is_object(r->answer)) {
                /* a creation: what it made ("HOST/JOB", "acme/web", "ACCOUNT"), unless the
                 * answer is the path's own object (".../{id}/approve") */
                const json_t *id = json_object_get(r->answer, "id");
                if (!json_is_string(id))
                        id = json_object_get(r->answer, "name");
                const char *made = json_string_value(id);
                const char *last = r->nparams ? r->params[r->nparams - 1] : NULL;
                size_t o = strlen(target);
                if (made && (!last || strcmp(made, last)))
                        snprintf(target + o, sizeof(target) - o, "%s%s", o ? "/" : "", made);
        }
        switch (kind) {
        case FP_PRINCIPAL_USER:
                snprintf(actor, sizeof(actor), "user:%s", r->who.user);
                break;
        case FP_PRINCIPAL_ENROLL:
                snprintf(actor, sizeof(actor), "agent:%s", host_id ? host_id : "?");
                if (host_id)
                        snprintf(target, sizeof(target), "%s", host_id);
                break;
        case FP_PRINCIPAL_AGENT:
                snprintf(actor, sizeof(actor), "agent:%s", r->who.host);
                break;
        default:
                if (r->audit.user)
                        snprintf(actor, sizeof(actor), "user:%s", r->audit.user);
                else
                        snprintf(actor, sizeof(actor), "anonymous");
        }
        if (r->conn)
                fp_client_address(r->conn, source, sizeof(source));
        const char *account = r->audit.account;
        if (!account)
                account = path_param(r, pattern, "account");
        if (!account && json_is_string(json_object_get(r->json, "account")))
                account = json_string_value(json_object_get(r->json, "account"));
        if (!account && (kind == FP_PRINCIPAL_ENROLL || kind == FP_PRINCIPAL_AGENT))
                account = r->who.account;
        if (account && !strcmp(account, "*"))
                account = ""; /* an org-wide grant is an org-wide entry */
        json_t *after = r->audit.after, *own = NULL;
        if (!after && kind == FP_PRINCIPAL_ENROLL) {
                /* not the enrollment's facts and inventory: who joined where */
                own = json_pack("{s:s?, s:s?, s:O?}", "host_id", host_id, "account",
                                r->who.account, "hostname",
                                json_object_get(r->json, "hostname"));
                after = own;
        } else if (!after && job_finish && r->json) {
                const json_t *res = json_object_get(r->json, "result");
                own = json_pack("{s:O?, s:O?, s:O?}", "status", json_object_get(r->json, "status"),
                                "verdict", json_object_get(res, "verdict"), "detail",
                                json_object_get(r->json, "detail"));
                after = own;
        } else if (!after && json_is_object(r->audit.before) && json_is_object(r->answer)) {
                /* the members the handler named in before, as the answer has them now */
                own = json_object();
                const char *k;
                json_t *v;
                json_object_foreach(r->audit.before, k, v) {
                        json_t *now = json_object_get(r->answer, k);
                        if (now)
                                json_object_set(own, k, now);
                }
                if (r->json && json_object_size(r->json))
                        json_object_set(own, "request", r->json);
                after = own;
        } else if (!after && strcmp(r->method, "DELETE")) {
                after = r->json; /* the request as accepted (redacted) */
        }
        struct fp_audit_fields f = {.time = r->now,
                                    .actor = r->audit.actor ? r->audit.actor : actor,
                                    .token = r->who.token_id,
                                    .source = source,
                                    .action = r->audit.action ? r->audit.action : action,
                                    .account = account ? account : "",
                                    .target = r->audit.target ? r->audit.target : target,
                                    .before = r->audit.before,
                                    .after = after};
        /* copies: a read transaction replaced by a write one takes its arena along */
        char acc[FP_AUDIT_MAX_FIELD + 1], act[FP_AUDIT_MAX_FIELD + 1], tgt[FP_AUDIT_MAX_FIELD + 1],
            who[FP_AUDIT_MAX_FIELD + 1];
        snprintf(acc, sizeof(acc), "%s", f.account);
        snprintf(act, sizeof(act), "%s", f.action);
        snprintf(tgt, sizeof(tgt), "%s", f.target);
        snprintf(who, sizeof(who), "%s", f.actor);
        f.account = acc;
        f.action = act;
        f.target = tgt;
        f.actor = who;
        struct fp_tx *tx = req_tx(r, true);
        enum fp_err err = tx ? fp_audit_append_fields(r->srv, tx, &f, diag) : FP_EIO;
        r->audit.appended = err == FP_OK;
        json_decref(own);
        return err;
}

void fp_audit_failure(struct fp_req *r)
{
        if (!r->srv->signkey)
                return;
        char source[64] = "";
        if (r->conn)
                fp_client_address(r->conn, source, sizeof(source));
        struct fp_audit_fields f = {.time = r->now,
                                    .actor = r->audit.actor ? r->audit.actor : "anonymous",
                                    .token = r->who.token_id,
                                    .source = source,
                                    .action = r->audit.action ? r->audit.action : "unknown",
                                    .account = r->audit.account ? r->audit.account : "",
                                    .target = r->audit.target ? r->audit.target : "",
                                    .before = r->audit.before,
                                    .after = r->audit.after};
        struct fp_tx *tx;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_begin(r->srv->store, true, &tx, &diag);
        if (err == FP_OK) {
                err = fp_audit_append_fields(r->srv, tx, &f, &diag);
                if (err == FP_OK)
                        err = fp_tx_commit(tx, &diag);
                else
                        fp_tx_rollback(tx);
        }
        if (err != FP_OK)
                fprintf(stderr, "fleetpatchd: audit: %s not logged: %s\n", f.action,
                        diag.msg[0] ? diag.msg : fp_strerror(err));
        else
                fp_audit_anchor(r->srv);
}

/* ---- the anchor file ---- */

static pthread_mutex_t anchor_mu = PTHREAD_MUTEX_INITIALIZER;

static void anchor_path(const struct fp_server *srv, char *out, size_t outsz)
{
        snprintf(out, outsz, "%s/audit.head", srv->cfg.state_dir);
}

/* The anchor file's head (strings copied into the caller's buffers): false when missing or
 * unreadable (*missing says which). */
struct anchor {
        int64_t seq, time;
        char hash[FP_AUDIT_HEX_LEN + 1], sig[FP_AUDIT_SIG_B64_LEN + 1];
};
static bool anchor_read(const char *path, struct anchor *a, bool *missing)
{
        *missing = false;
        json_error_t je;
        json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (!o) {
                *missing = access(path, F_OK) != 0 && errno == ENOENT;
                return false;
        }
        const char *h = json_string_value(json_object_get(o, "hash"));
        const char *s = json_string_value(json_object_get(o, "sig"));
        const json_t *seq = json_object_get(o, "seq"), *t = json_object_get(o, "time");
        bool ok = h && s && json_is_integer(seq) && json_is_integer(t) &&
                  strlen(h) == FP_AUDIT_HEX_LEN && strlen(s) == FP_AUDIT_SIG_B64_LEN;
        if (ok) {
                a->seq = json_integer_value(seq);
                a->time = json_integer_value(t);
                memcpy(a->hash, h, sizeof(a->hash));
                memcpy(a->sig, s, sizeof(a->sig));
        }
        json_decref(o);
        return ok;
}

void fp_audit_anchor(struct fp_server *srv)
{
        if (!srv->signkey)
                return;
        struct fp_tx *tx;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_store_begin(srv->store, false, &tx, &diag) != FP_OK)
                return;
        struct fp_audit_head h;
        enum fp_err err = fp_store_audit_head_get(tx, &h, &diag);
        char path[700], tmp[720];
        anchor_path(srv, path, sizeof(path));
        /* replicas may share a state directory: each writes its own temporary file */
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
        pthread_mutex_lock(&anchor_mu);
        struct anchor old;
        bool missing;
        /* what this process wrote last (the file is read only when that is not known) */
        static char written_path[sizeof(path)];
        static int64_t written_seq = -1;
        bool known = !strcmp(written_path, path) && written_seq >= 0;
        if (err == FP_OK && known && h.seq <= written_seq)
                err = FP_EEXIST; /* nothing new */
        /* forward only: a store rewound below the anchor keeps the evidence of it */
        if (err == FP_OK && (known || !anchor_read(path, &old, &missing) || old.seq < h.seq)) {
                json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s}", "seq", (json_int_t)h.seq, "time",
                                      (json_int_t)h.time, "hash", h.hash, "sig", h.sig, "key_id",
                                      h.key_id);
                char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
                json_decref(o);
                FILE *f = text ? fopen(tmp, "w") : NULL;
                bool ok = f && fprintf(f, "%s\n", text) > 0;
                if (f)
                        ok = fclose(f) == 0 && ok;
                if (!ok || rename(tmp, path) != 0) {
                        fprintf(stderr, "fleetpatchd: audit: cannot write %s: %s\n", path,
                                strerror(errno));
                        unlink(tmp);
                        written_seq = -1;
                } else {
                        snprintf(written_path, sizeof(written_path), "%s", path);
                        written_seq = h.seq;
                }
                free(text);
        }
        pthread_mutex_unlock(&anchor_mu);
        fp_tx_rollback(tx);
}

/* ---- verification ---- */

struct verify {
        const unsigned char *pk;
        bool full;
        int64_t expect, n, last_seq, sigs, total;
        unsigned char prev[FP_AUDIT_HASH_BYTES];
        char prev_sig[FP_AUDIT_SIG_B64_LEN + 1];
        bool prev_bad;
        bool have_anchor;
        struct anchor anchor;
        bool anchor_seen, anchor_match;
        json_t *problems;
        struct fp_audit_peek peek;
};

static void problem(struct verify *v, int64_t seq, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void problem(struct verify *v, int64_t seq, const char *fmt, ...)
{
        v->total++;
        if (json_array_size(v->problems) >= FP_AUDIT_MAX_PROBLEMS)
                return;
        char msg[300];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_array_append_new(v->problems,
                              json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "what", msg));
}

static bool verify_row(void *ctx, const struct fp_audit_rec *r)
{
        struct verify *v = ctx;
        struct fp_audit_peek *p = &v->peek;
        unsigned char hash[FP_AUDIT_HASH_BYTES], calc[FP_AUDIT_HASH_BYTES];
        bool gap = r->seq != v->expect, bad = false;
        if (gap)
                problem(v, v->expect, "entries %lld..%lld are missing (removed)",
                        (long long)v->expect, (long long)r->seq - 1);
        bool hash_ok = fp_audit_unhex(r->hash, strlen(r->hash), hash, sizeof(hash));
        if (!hash_ok) {
                memset(hash, 0, sizeof(hash));
                problem(v, r->seq, "its hash column is not a hash (edited)");
                bad = true;
        } else if (!fp_audit_entry_peek(r->entry, r->entry_len, p)) {
                problem(v, r->seq, "its entry is not a well-formed audit entry (edited)");
                bad = true;
        } else if (p->seq != r->seq) {
                problem(v, r->seq, "holds the entry signed as seq %lld (reordered or moved)",
                        (long long)p->seq);
                bad = true;
        } else {
                const char *col = p->time != r->time                ? "time"
                                  : strcmp(p->account, r->account) ? "account"
                                  : strcmp(p->actor, r->actor)     ? "actor"
                                  : strcmp(p->action, r->action)   ? "action"
                                  : strcmp(p->target, r->target)   ? "target"
                                                                   : NULL;
                fp_audit_chain_hash(p->prev, r->entry, r->entry_len, calc);
                if (sodium_memcmp(calc, hash, sizeof(calc))) {
                        problem(v, r->seq, "the entry does not match its hash (edited)");
                        bad = true;
                } else if (col) {
                        problem(v, r->seq, "the %s column differs from the signed entry (edited)",
                                col);
                        bad = true;
                } else if (!gap && sodium_memcmp(p->prev, v->prev, sizeof(calc))) {
                        /* this entry is whole but does not follow the one before: which of
                         * the two was rewritten tells the signature */
                        bad = true;
                        if (!v->prev_bad && v->n && !fp_audit_entry_sig_ok(v->pk, r->seq - 1,
                                                                          v->prev, v->prev_sig))
                                problem(v, r->seq - 1, "its hash was recomputed after an edit: "
                                                       "the signature does not match (edited)");
                        else if (!v->prev_bad)
                                problem(v, r->seq, "does not follow seq %lld (its prev hash "
                                                   "differs: reordered or replaced)",
                                        (long long)r->seq - 1);
                }
        }
        if (!bad && v->full) {
                v->sigs++;
                if (!fp_audit_entry_sig_ok(v->pk, r->seq, hash, r->sig)) {
                        problem(v, r->seq, "the signature does not match (edited, or signed by "
                                           "another key: %s)",
                                r->key_id);
                        bad = true;
                }
        }
        if (v->have_anchor && r->seq == v->anchor.seq) {
                v->anchor_seen = true;
                v->anchor_match = !strcmp(r->hash, v->anchor.hash);
        }
        memcpy(v->prev, hash, sizeof(hash));
        size_t sl = strnlen(r->sig, FP_AUDIT_SIG_B64_LEN);
        memcpy(v->prev_sig, r->sig, sl);
        v->prev_sig[sl] = 0;
        v->prev_bad = bad;
        v->expect = r->seq + 1;
        v->last_seq = r->seq;
        v->n++;
        return true;
}

/* After a head mismatch with every row whole: the first row whose signature fails is where
 * the chain was rewritten (only on this failure path: a signature costs ~60 us). */
struct sigscan {
        const unsigned char *pk;
        int64_t bad_seq;
};
static bool sigscan_row(void *ctx, const struct fp_audit_rec *r)
{
        struct sigscan *s = ctx;
        unsigned char hash[FP_AUDIT_HASH_BYTES];
        if (!fp_audit_unhex(r->hash, strlen(r->hash), hash, sizeof(hash)) ||
            !fp_audit_entry_sig_ok(s->pk, r->seq, hash, r->sig)) {
                s->bad_seq = r->seq;
                return false;
        }
        return true;
}

enum fp_err fp_audit_verify(struct fp_server *srv, bool full, json_t **out, struct fp_diag *diag)
{
        *out = NULL;
        if (!srv->signkey) {
                fp_diag_set(diag, NULL, 0, NULL, "the server has no signing key");
                return FP_EINVAL;
        }
        struct verify *v = calloc(1, sizeof(*v));
        if (!v)
                return FP_ENOMEM;
        v->pk = srv->signkey->pk;
        v->full = full;
        v->expect = 1;
        v->problems = json_array();
        char path[700];
        anchor_path(srv, path, sizeof(path));
        bool missing;
        pthread_mutex_lock(&anchor_mu);
        v->have_anchor = anchor_read(path, &v->anchor, &missing);
        pthread_mutex_unlock(&anchor_mu);
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, false, &tx, diag);
        if (err != FP_OK) {
                json_decref(v->problems);
                free(v);
                return err;
        }
        struct fp_audit_head h;
        bool have_head = false;
        err = fp_store_audit_head_get(tx, &h, diag);
        if (err == FP_OK)
                have_head = true;
        else if (err == FP_ENOTFOUND) {
                fp_diag_clear(diag);
                err = FP_OK;
        }
        if (err == FP_OK)
                err = fp_store_audit_scan(tx, 1, verify_row, v, diag);
        int64_t row_problems = v->total;
        bool head_bad = false;
        if (err == FP_OK && !have_head && v->n)
                problem(v, 0, "the signed head is missing (the audit_head row was removed)");
        if (err == FP_OK && have_head) {
                unsigned char hh[FP_AUDIT_HASH_BYTES];
                if (!fp_audit_unhex(h.hash, strlen(h.hash), hh, sizeof(hh)) ||
                    !fp_audit_head_sig_ok(v->pk, h.seq, hh, h.time, h.sig)) {
                        problem(v, h.seq, "the signed head's signature does not match (the head "
                                          "row was edited)");
                        head_bad = true;
                } else if (v->last_seq < h.seq) {
                        problem(v, v->last_seq + 1,
                                "entries %lld..%lld are missing at the end (truncated: the "
                                "signed head is seq %lld)",
                                (long long)v->last_seq + 1, (long long)h.seq, (long long)h.seq);
                } else if (v->last_seq > h.seq) {
                        problem(v, h.seq + 1, "entries after the signed head (seq %lld) were "
                                              "added outside fleetpatchd",
                                (long long)h.seq);
                } else {
                        char hex[FP_AUDIT_HEX_LEN + 1];
                        fp_audit_hex(v->prev, sizeof(v->prev), hex);
                        if (strcmp(hex, h.hash)) {
                                problem(v, h.seq, "the newest entry is not the one the head "
                                                  "signed (edited)");
                                head_bad = true;
                        }
                }
        }
        if (err == FP_OK && head_bad && !row_problems) {
                struct sigscan s = {.pk = v->pk};
                err = fp_store_audit_scan(tx, 1, sigscan_row, &s, diag);
                if (s.bad_seq)
                        problem(v, s.bad_seq, "the chain was recomputed from here without the "
                                              "key: the signature does not match (edited)");
        }
        if (err == FP_OK && !v->have_anchor && v->n)
                problem(v, 0, "%s is %s: the anchor outside the store is gone", path,
                        missing ? "missing" : "unreadable or altered");
        if (err == FP_OK && v->have_anchor) {
                unsigned char ah[FP_AUDIT_HASH_BYTES];
                if (!fp_audit_unhex(v->anchor.hash, FP_AUDIT_HEX_LEN, ah, sizeof(ah)) ||
                    !fp_audit_head_sig_ok(v->pk, v->anchor.seq, ah, v->anchor.time, v->anchor.sig))
                        problem(v, v->anchor.seq, "%s: the signature does not match (edited)",
                                path);
                else if (!v->anchor_seen && v->anchor.seq > v->last_seq)
                        problem(v, v->last_seq + 1,
                                "the log ends at seq %lld but %s records seq %lld: entries "
                                "%lld..%lld were removed (truncated)",
                                (long long)v->last_seq, path, (long long)v->anchor.seq,
                                (long long)v->last_seq + 1, (long long)v->anchor.seq);
                else if (v->anchor_seen && !v->anchor_match)
                        problem(v, v->anchor.seq, "differs from the entry %s recorded (edited)",
                                path);
        }
        if (err == FP_OK) {
                json_t *o = json_pack(
                    "{s:b, s:s, s:I, s:I, s:I, s:s, s:I, s:o, s:I}", "ok", v->total == 0, "mode",
                    full ? "full" : "chain", "entries", (json_int_t)v->n, "first_seq",
                    (json_int_t)(v->n ? 1 : 0), "last_seq", (json_int_t)v->last_seq, "key_id",
                    srv->signkey->key_id, "signatures_checked",
                    (json_int_t)v->sigs + (have_head ? 1 : 0) + (v->have_anchor ? 1 : 0),
                    "problems", v->problems, "problems_total", (json_int_t)v->total);
                v->problems = NULL;
                if (o && have_head)
                        json_object_set_new(o, "head",
                                            json_pack("{s:I, s:I, s:s}", "seq", (json_int_t)h.seq,
                                                      "time", (json_int_t)h.time, "hash", h.hash));
                if (o && v->have_anchor)
                        json_object_set_new(o, "anchor",
                                            json_pack("{s:s, s:I, s:s}", "file", path, "seq",
                                                      (json_int_t)v->anchor.seq, "hash",
                                                      v->anchor.hash));
                *out = o;
                if (!o)
                        err = FP_ENOMEM;
        }
        fp_tx_rollback(tx); /* after the report: h's strings live in its arena */
        json_decref(v->problems);
        free(v);
        return err;
}

/* ---- export ---- */

struct export_ctx {
        struct fp_buf *b;
        int64_t n, last_seq;
        char last_hash[FP_AUDIT_HEX_LEN + 1];
        enum fp_err err;
};
static bool export_row(void *ctx, const struct fp_audit_rec *r)
{
        struct export_ctx *c = ctx;
        if (++c->n > FP_AUDIT_EXPORT_MAX_ENTRIES) {
                c->err = FP_ELIMIT;
                return false;
        }
        enum fp_err err = fp_buf_addstr(c->b, "{\"entry\":");
        if (err == FP_OK)
                err = fp_buf_add(c->b, r->entry, r->entry_len);
        if (err == FP_OK)
                err = fp_buf_addf(c->b, ",\"hash\":\"%s\",\"sig\":\"%s\"}\n", r->hash, r->sig);
        c->last_seq = r->seq;
        snprintf(c->last_hash, sizeof(c->last_hash), "%s", r->hash);
        c->err = err;
        return err == FP_OK;
}

static char *canonical(json_t *o)
{
        char *t = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        return t;
}

enum fp_err fp_audit_export(struct fp_server *srv, struct fp_tx *tx, int64_t from, int64_t to,
                            const char *account, char **out, size_t *len, struct fp_diag *diag)
{
        *out = NULL;
        *len = 0;
        const struct fp_signkey *k = srv->signkey;
        if (!k) {
                fp_diag_set(diag, NULL, 0, NULL, "the server has no signing key");
                return FP_EINVAL;
        }
        struct fp_audit_head h = {.hash = NULL};
        enum fp_err err = fp_store_audit_head_get(tx, &h, diag);
        static const char zeros[FP_AUDIT_HEX_LEN + 1] =
            "0000000000000000000000000000000000000000000000000000000000000000";
        if (err == FP_ENOTFOUND) {
                fp_diag_clear(diag);
                h.seq = 0;
                h.hash = zeros;
                err = FP_OK;
        }
        int64_t first = 1, last = 0;
        if (err == FP_OK)
                err = fp_store_audit_range(tx, from, to, &first, &last, diag);
        if (err != FP_OK)
                return err;
        if (first > last) /* nothing in the period: the export binds the head it saw */
                first = h.seq + 1;
        const char *prev = zeros;
        struct fp_audit_rec pr;
        if (err == FP_OK && first > 1) {
                err = fp_store_audit_get(tx, first - 1, &pr, diag);
                if (err == FP_OK)
                        prev = pr.hash;
                else if (err == FP_ENOTFOUND) {
                        fp_diag_set(diag, NULL, 0, NULL, "audit entry %lld is missing: run "
                                                         "fleetpatch audit verify",
                                    (long long)first - 1);
                        err = FP_ECORRUPT;
                }
        }
        if (err != FP_OK)
                return err;
        char pub[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES,
                                           sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(pub, sizeof(pub), k->pk, sizeof(k->pk), sodium_base64_VARIANT_ORIGINAL);
        char *header = canonical(json_pack(
            "{s:s?, s:I, s:s, s:I, s:s, s:s, s:s, s:I, s:i}", "account", account, "first_seq",
            (json_int_t)first, "format", FP_AUDIT_EXPORT_FORMAT, "from", (json_int_t)from,
            "key_id", k->key_id, "prev", prev, "public_key", pub, "to", (json_int_t)to, "version",
            1));
        if (header && !account) {
                /* s:s? leaves the member out; the format wants it present as null */
                json_t *o = json_loads(header, 0, NULL);
                free(header);
                if (o)
                        json_object_set_new(o, "account", json_null());
                header = canonical(o);
        }
        if (!header)
                return FP_ENOMEM;
        struct fp_buf b;
        fp_buf_init(&b, FP_AUDIT_EXPORT_MAX_BYTES);
        struct export_ctx c = {.b = &b};
        err = fp_buf_addf(&b, "%s\n", header);
        free(header);
        struct fp_audit_filter f = {.account = account,
                                    .seq_min = first,
                                    .seq_max = last,
                                    .ascending = true,
                                    .limit = FP_AUDIT_EXPORT_MAX_ENTRIES + 1};
        if (err == FP_OK && last >= first)
                err = fp_store_audit_list(tx, &f, export_row, &c, diag);
        if (err == FP_OK)
                err = c.err;
        if (err == FP_ELIMIT)
                fp_diag_set(diag, NULL, 0, "to",
                            "more than %d entries in the period (FP_AUDIT_EXPORT_MAX_ENTRIES): "
                            "export it in parts",
                            FP_AUDIT_EXPORT_MAX_ENTRIES);
        unsigned char digest[SHA256_DIGEST_SIZE];
        char digest_hex[FP_AUDIT_HEX_LEN + 1];
        if (err == FP_OK) {
                struct sha256_ctx sc;
                sha256_init(&sc);
                sha256_update(&sc, b.len, (const uint8_t *)b.ptr);
                sha256_digest(&sc, sizeof(digest), digest);
                fp_audit_hex(digest, sizeof(digest), digest_hex);
        }
        char *trailer = err == FP_OK ? canonical(json_pack(
                                           "{s:I, s:s, s:I, s:s, s:I, s:s, s:I}", "count",
                                           (json_int_t)c.n, "digest", digest_hex, "first_seq",
                                           (json_int_t)first, "head_hash", h.hash, "head_seq",
                                           (json_int_t)h.seq, "last_hash",
                                           c.n ? c.last_hash : prev, "last_seq",
                                           (json_int_t)(c.n ? c.last_seq : first - 1)))
                                     : NULL;
        if (err == FP_OK && !trailer)
                err = FP_ENOMEM;
        if (err == FP_OK) {
                size_t dlen = sizeof(FP_AUDIT_EXPORT_DOMAIN), tlen = strlen(trailer);
                unsigned char *msg = malloc(dlen + tlen), sig[crypto_sign_BYTES];
                char sig_b64[FP_AUDIT_SIG_B64_LEN + 1];
                if (!msg) {
                        err = FP_ENOMEM;
                } else {
                        memcpy(msg, FP_AUDIT_EXPORT_DOMAIN, dlen);
                        memcpy(msg + dlen, trailer, tlen);
                        fp_signkey_sign(k, msg, dlen + tlen, sig);
                        free(msg);
                        sodium_bin2base64(sig_b64, sizeof(sig_b64), sig, sizeof(sig),
                                          sodium_base64_VARIANT_ORIGINAL);
                        err = fp_buf_addf(&b, "{\"sig\":\"%s\",\"trailer\":%s}\n", sig_b64, trailer);
                }
        }
        free(trailer);
        if (err != FP_OK) {
                if (err == FP_ENOMEM && b.len)
                        fp_diag_set(diag, NULL, 0, NULL, "the export is larger than %ld bytes",
                                    (long)FP_AUDIT_EXPORT_MAX_BYTES);
                fp_buf_release(&b);
                return err;
        }
        *len = b.len;
        *out = fp_buf_take(&b);
        return *out ? FP_OK : FP_ENOMEM;
}
