/*
 * Immutable groups (docs/orchestration.md "Immutable groups"): hosts tagged immutable=GROUP are
 * never patched in place. A change request records, per group, the approved updates and the
 * hosts to retire; once it is scheduled, fleetpatchd POSTs a signed webhook to the image
 * pipeline (retried each tick until a 2xx), then tracks the replacement: new hosts enrolled
 * with the tags immutable=GROUP and replaces=CR, old hosts decommissioned.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/audit.h"
#include "server/orch.h"

#define MAX_WEBHOOK_ATTEMPTS 20
#define MAX_GROUPS 256

bool fp_orch_host_immutable(const struct fp_host_rec *h, char group[256])
{
        fp_orch_host_tag(h, FP_IMMUTABLE_TAG, group);
        return group[0] != 0;
}

enum fp_err fp_replace_record(struct fp_tx *tx, const char *cr, const char *account,
                              const char *group, json_t *hosts, json_t *updates, int64_t now,
                              struct fp_diag *diag)
{
        char name[FP_MAX_IDENT * 2 + 2];
        snprintf(name, sizeof(name), "%s.%s", cr, group);
        json_t *doc = json_pack("{s:s, s:s, s:O, s:O, s:s, s:i, s:s, s:I}", "change_request", cr,
                                "group", group, "retire", hosts, "updates", updates, "state",
                                "waiting", "attempts", 0, "last_error", "", "sent_at",
                                (json_int_t)0);
        char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(doc);
        if (!text)
                return FP_ENOMEM;
        struct fp_doc_rec d = {.kind = FP_DOC_REPLACEMENT,
                               .account = account,
                               .name = name,
                               .document = text,
                               .created_by = cr,
                               .created = now,
                               .updated = now};
        enum fp_err err = fp_store_doc_put(tx, &d, true, diag);
        free(text);
        return err;
}

/* ---- the replacements of one change request ---- */

struct repl_ctx {
        const char *prefix; /* "CR." */
        json_t *arr;        /* [{"name", "doc"}] */
};
static bool repl_cb(void *ctx, const struct fp_doc_rec *d)
{
        struct repl_ctx *c = ctx;
        if (c->prefix && strncmp(d->name, c->prefix, strlen(c->prefix)))
                return true;
        json_array_append_new(c->arr, json_pack("{s:s, s:s, s:o}", "name", d->name, "account",
                                                d->account, "doc", fp_json_stored(d->document)));
        return json_array_size(c->arr) < MAX_GROUPS * 64;
}

static enum fp_err list_replacements(struct fp_tx *tx, const char *cr, json_t **out,
                                     struct fp_diag *diag)
{
        char prefix[40];
        snprintf(prefix, sizeof(prefix), "%s.", cr ? cr : "");
        struct repl_ctx c = {cr ? prefix : NULL, json_array()};
        enum fp_err err = fp_store_doc_list(tx, FP_DOC_REPLACEMENT, NULL, repl_cb, &c, diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                return err;
        }
        *out = c.arr;
        return FP_OK;
}

struct count_ctx {
        int64_t n;
};
static bool count_cb(void *ctx, const struct fp_host_rec *h)
{
        (void)h;
        ((struct count_ctx *)ctx)->n++;
        return true;
}

/* The tracking numbers: old hosts still enrolled, new hosts enrolled for this request. */
static void progress(struct fp_tx *tx, const char *account, const json_t *doc, int64_t *old_left,
                     int64_t *replacements)
{
        *old_left = 0;
        size_t i;
        const json_t *id;
        struct fp_diag d;
        fp_diag_clear(&d);
        json_array_foreach(json_object_get(doc, "retire"), i, id)
        {
                struct fp_host_rec h;
                if (fp_store_host_get(tx, json_string_value(id), &h, &d) == FP_OK)
                        (*old_left)++;
        }
        struct fp_tag_filter tf[2] = {
            {.key = FP_IMMUTABLE_TAG, .value = json_string_value(json_object_get(doc, "group"))},
            {.key = FP_REPLACES_TAG,
             .value = json_string_value(json_object_get(doc, "change_request"))}};
        struct fp_host_filter f = {.account = account, .tags = tf, .tag_count = 2, .compliance = -1};
        struct count_ctx c = {0};
        fp_store_host_list(tx, &f, count_cb, &c, &d);
        *replacements = c.n;
}

json_t *fp_replace_status(struct fp_tx *tx, const char *cr, struct fp_diag *diag)
{
        json_t *arr = NULL;
        if (list_replacements(tx, cr, &arr, diag) != FP_OK)
                return NULL;
        json_t *out = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(arr, i, r)
        {
                json_t *doc = json_object_get(r, "doc");
                int64_t old_left, repl;
                progress(tx, json_string_value(json_object_get(r, "account")), doc, &old_left,
                         &repl);
                json_t *o = json_deep_copy(doc);
                json_object_set_new(o, "old_hosts_left", json_integer(old_left));
                json_object_set_new(o, "replacement_hosts", json_integer(repl));
                json_array_append_new(out, o);
        }
        json_decref(arr);
        return out;
}

bool fp_replace_pending(struct fp_tx *tx, const char *cr)
{
        json_t *arr = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (list_replacements(tx, cr, &arr, &d) != FP_OK)
                return false;
        bool pending = false;
        size_t i;
        json_t *r;
        json_array_foreach(arr, i, r)
        {
                const char *st = json_string_value(json_object_get(json_object_get(r, "doc"), "state"));
                pending |= !st || (strcmp(st, "done") && strcmp(st, "failed"));
        }
        json_decref(arr);
        return pending;
}

/* ---- the webhook ---- */

/* "t=TS,v1=HEX": HMAC-SHA256 over "TS.BODY" with the key file's bytes. */
bool fp_webhook_sign(const unsigned char *key, size_t keylen, int64_t ts, const char *body,
                     char out[128])
{
        crypto_auth_hmacsha256_state st;
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char tsbuf[32];
        int n = snprintf(tsbuf, sizeof(tsbuf), "%lld.", (long long)ts);
        if (crypto_auth_hmacsha256_init(&st, key, keylen) != 0)
                return false;
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)tsbuf, (unsigned long long)n);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
        crypto_auth_hmacsha256_final(&st, mac);
        char hex[2 * sizeof(mac) + 1];
        sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
        snprintf(out, 128, "t=%lld,v1=%s", (long long)ts, hex);
        return true;
}

/* POST the body; true on a 2xx. why says what went wrong. */
static bool post_signed(const struct fp_srv_config *cfg, const char *body, int64_t now, char *why,
                        size_t whysz)
{
        FILE *f = fopen(cfg->image_webhook_secret_file, "rb");
        unsigned char key[256];
        size_t keylen = f ? fread(key, 1, sizeof(key), f) : 0;
        if (f)
                fclose(f);
        while (keylen && (key[keylen - 1] == '\n' || key[keylen - 1] == '\r'))
                keylen--;
        if (keylen < 16) {
                snprintf(why, whysz, "image_webhook_secret_file: missing or shorter than 16 bytes");
                return false;
        }
        char sig[128], hdr[160];
        bool ok = fp_webhook_sign(key, keylen, now, body, sig);
        sodium_memzero(key, sizeof(key));
        if (!ok) {
                snprintf(why, whysz, "cannot sign");
                return false;
        }
        snprintf(hdr, sizeof(hdr), "X-Fleetpatch-Signature: %s", sig);
        const char *const headers[] = {"Content-Type: application/json",
                                       "X-Fleetpatch-Event: image.rebuild", hdr, NULL};
        return fp_orch_http(cfg->image_webhook_url, body, headers, 10, why, whysz);
}

static bool cr_live(struct fp_tx *tx, const char *cr, const char **account)
{
        struct fp_cr_rec c;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_cr_get(tx, cr, &c, &d) != FP_OK)
                return false;
        *account = c.account;
        return !strcmp(c.state, "scheduled") || !strcmp(c.state, "running") ||
               !strcmp(c.state, "done");
}

static enum fp_err sync_replacement_only(struct fp_tx *tx, const char *cr, int64_t now,
                                         struct fp_diag *diag)
{
        struct fp_rollout_rec ro;
        struct fp_cr_rec c;
        if (fp_store_rollout_get(tx, cr, &ro, diag) == FP_OK ||
            fp_store_cr_get(tx, cr, &c, diag) != FP_OK ||
            (strcmp(c.state, "scheduled") && strcmp(c.state, "running"))) {
                fp_diag_clear(diag);
                return FP_OK;
        }
        json_t *arr = NULL;
        enum fp_err err = list_replacements(tx, cr, &arr, diag);
        if (err != FP_OK)
                return err;
        size_t i, done = 0, failed = 0, moving = 0;
        json_t *r;
        json_array_foreach(arr, i, r)
        {
                const char *st = json_string_value(json_object_get(json_object_get(r, "doc"), "state"));
                done += st && !strcmp(st, "done");
                failed += st && !strcmp(st, "failed");
                moving += st && !strcmp(st, "replacing");
        }
        size_t n = json_array_size(arr);
        json_decref(arr);
        const char *want = failed && done + failed == n ? "failed"
                           : done == n                 ? "done"
                           : moving || done || failed  ? "running"
                                                       : c.state;
        if (!strcmp(want, c.state))
                return FP_OK;
        return fp_store_cr_set_state(tx, cr, want, c.review_pending, NULL, now, diag);
}

enum fp_err fp_replace_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag)
{
        /* 1: what is due (read), 2: send (no transaction), 3: record (write). */
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, false, &tx, diag);
        if (err != FP_OK)
                return err;
        json_t *all = NULL;
        err = list_replacements(tx, NULL, &all, diag);
        json_t *due = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(all, i, r)
        {
                json_t *doc = json_object_get(r, "doc");
                const char *st = json_string_value(json_object_get(doc, "state"));
                const char *account = NULL;
                if (st && !strcmp(st, "waiting") &&
                    cr_live(tx, json_string_value(json_object_get(doc, "change_request")),
                            &account))
                        json_array_append(due, r);
        }
        fp_tx_rollback(tx);
        json_t *sent = json_object();
        json_array_foreach(due, i, r)
        {
                json_t *doc = json_object_get(r, "doc");
                json_t *body = json_pack(
                    "{s:s, s:O, s:O, s:O, s:O, s:{s:O, s:O}, s:I}", "event", "image.rebuild",
                    "account", json_object_get(r, "account"), "change_request",
                    json_object_get(doc, "change_request"), "group", json_object_get(doc, "group"),
                    "updates", json_object_get(doc, "updates"), "enroll_tags", FP_IMMUTABLE_TAG,
                    json_object_get(doc, "group"), FP_REPLACES_TAG,
                    json_object_get(doc, "change_request"), "sent_at", (json_int_t)now);
                json_object_set(body, "retire", json_object_get(doc, "retire"));
                char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
                json_decref(body);
                char why[256] = "";
                bool ok = false;
                if (!srv->cfg.image_webhook_url[0])
                        snprintf(why, sizeof(why), "no image_webhook_url is configured");
                else if (text)
                        ok = post_signed(&srv->cfg, text, now, why, sizeof(why));
                free(text);
                json_object_set_new(sent, json_string_value(json_object_get(r, "name")),
                                    json_pack("{s:b, s:s}", "ok", ok, "why", why));
        }
        json_decref(due);
        /* 3: record the sends and the tracking states */
        if (err == FP_OK)
                err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK) {
                json_decref(all);
                json_decref(sent);
                return err;
        }
        json_array_foreach(all, i, r)
        {
                if (err != FP_OK)
                        break;
                const char *name = json_string_value(json_object_get(r, "name"));
                const char *account = json_string_value(json_object_get(r, "account"));
                json_t *doc = json_object_get(r, "doc");
                const char *st = json_string_value(json_object_get(doc, "state"));
                const char *want = st;
                json_t *s = json_object_get(sent, name);
                if (s && json_is_true(json_object_get(s, "ok"))) {
                        want = "replacing";
                        json_object_set_new(doc, "sent_at", json_integer(now));
                } else if (s) {
                        json_int_t att = json_integer_value(json_object_get(doc, "attempts")) + 1;
                        json_object_set_new(doc, "attempts", json_integer(att));
                        json_object_set(doc, "last_error", json_object_get(s, "why"));
                        if (att >= MAX_WEBHOOK_ATTEMPTS)
                                want = "failed";
                }
                if (want && !strcmp(want, "replacing")) {
                        int64_t old_left, repl;
                        progress(tx, account, doc, &old_left, &repl);
                        if (old_left == 0 &&
                            repl >= (int64_t)json_array_size(json_object_get(doc, "retire")))
                                want = "done";
                }
                if (!s && want == st)
                        continue;
                if (!st || !want || strcmp(st, want)) { /* the audit log (docs/audit.md) */
                        json_t *was = json_pack("{s:s?}", "state", st);
                        json_t *is = json_pack("{s:s, s:O?}", "state", want ? want : "failed",
                                               "last_error", json_object_get(doc, "last_error"));
                        err = fp_audit_append(srv, tx, now, "system:scheduler", "",
                                              "replacement.state", account, name, was, is, diag);
                        json_decref(was);
                        json_decref(is);
                        if (err != FP_OK)
                                break;
                }
                json_object_set_new(doc, "state", json_string(want ? want : "failed"));
                char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
                struct fp_doc_rec d = {.kind = FP_DOC_REPLACEMENT,
                                       .account = account,
                                       .name = name,
                                       .document = text,
                                       .created = now,
                                       .updated = now};
                err = text ? fp_store_doc_put(tx, &d, false, diag) : FP_ENOMEM;
                free(text);
        }
        /* A request that only replaces (no host patched in place) follows its groups. */
        json_array_foreach(all, i, r)
        {
                if (err != FP_OK)
                        break;
                const char *cr = json_string_value(
                    json_object_get(json_object_get(r, "doc"), "change_request"));
                err = sync_replacement_only(tx, cr, now, diag);
        }
        json_decref(all);
        json_decref(sent);
        if (err == FP_OK)
                err = fp_tx_commit(tx, diag);
        else
                fp_tx_rollback(tx);
        return err;
}
