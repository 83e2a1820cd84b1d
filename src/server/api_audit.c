/*
 * The audit log's routes (docs/audit.md, docs/api.md): listing with filters (tenant-isolated:
 * a viewer of an account sees that account's entries, org-wide entries are for org admins),
 * verification of the whole log and exports of a period (org admins; an account's export for
 * its viewers), and the public half of the signing key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "server/audit.h"
#include "server/server.h"

/* An integer query parameter in [min, max]; absent leaves *out. Answers 400 and false. */
static bool query_int(struct fp_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
        const char *s = req_query(r, name);
        if (!s)
                return true;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (!*s || *end || v < min || v > max) {
                req_error(r, 400, "invalid_request", name, "must be an integer in %lld..%lld",
                          (long long)min, (long long)max);
                return false;
        }
        *out = v;
        return true;
}

static const char *query_text(struct fp_req *r, const char *name, bool *ok)
{
        const char *s = req_query(r, name);
        if (s && (strlen(s) > FP_AUDIT_MAX_FIELD || !*s)) {
                req_error(r, 400, "invalid_request", name, "must be 1..%d bytes",
                          FP_AUDIT_MAX_FIELD);
                *ok = false;
        }
        return s;
}

/* The accounts the caller may read, as a JSON array text (malloc'd), or NULL for every account
 * (a grant on "*"). */
static char *visible_accounts(const struct fp_principal *p)
{
        if (fp_principal_org(p, FP_ROLE_VIEWER))
                return NULL;
        json_t *a = json_array();
        for (size_t i = 0; i < p->grant_count; i++)
                if (p->grants[i].role >= FP_ROLE_VIEWER)
                        json_array_append_new(a, json_string(p->grants[i].account));
        char *t = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        return t ? t : strdup("[]");
}

struct list_ctx {
        json_t *arr;
        int64_t last;
        bool nomem;
};
static bool list_row(void *ctx, const struct fp_audit_rec *rec)
{
        struct list_ctx *c = ctx;
        json_error_t je;
        json_t *e = json_loadb(rec->entry, rec->entry_len, 0, &je);
        if (!json_is_object(e)) {
                /* a row edited into something else still shows, marked: verify names it */
                json_decref(e);
                e = json_pack("{s:I, s:b}", "seq", (json_int_t)rec->seq, "malformed", 1);
        }
        if (!e || json_object_set_new(e, "hash", json_string(rec->hash)) ||
            json_array_append_new(c->arr, e)) {
                c->nomem = true;
                return false;
        }
        c->last = rec->seq;
        return true;
}

void api_audit_list(struct fp_req *r)
{
        bool ok = true;
        struct fp_audit_filter f = {.limit = 100};
        int64_t limit = 100, before = 0;
        f.account = query_text(r, "account", &ok);
        f.actor = ok ? query_text(r, "actor", &ok) : NULL;
        f.action = ok ? query_text(r, "action", &ok) : NULL;
        if (!ok || !query_int(r, "from", 0, INT64_MAX / 2, &f.from) ||
            !query_int(r, "to", 0, INT64_MAX / 2, &f.to) ||
            !query_int(r, "before", 1, INT64_MAX / 2, &before) ||
            !query_int(r, "limit", 1, FP_AUDIT_LIST_MAX, &limit))
                return;
        f.limit = (size_t)limit;
        if (before)
                f.seq_max = before - 1;
        char *accounts = NULL;
        if (f.account) {
                if (!req_allow(r, f.account, FP_ROLE_VIEWER))
                        return;
        } else if (!fp_principal_org(&r->who, FP_ROLE_ADMIN)) {
                accounts = visible_accounts(&r->who);
                /* NULL reads every account: only for a viewer of '*', never after a failed
                 * allocation */
                if (!accounts && !fp_principal_org(&r->who, FP_ROLE_VIEWER)) {
                        req_error(r, 500, "internal", NULL, "out of memory");
                        return;
                }
                f.accounts_json = accounts;
                f.no_org = true; /* org-wide entries are for org admins */
        }
        struct fp_tx *tx = req_tx(r, false);
        if (!tx) {
                free(accounts);
                return;
        }
        struct list_ctx c = {.arr = json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_audit_list(tx, &f, list_row, &c, &diag);
        free(accounts);
        if (err == FP_OK && c.nomem)
                err = FP_ENOMEM;
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        bool more = json_array_size(c.arr) == f.limit && c.last > 1;
        json_t *o = json_pack("{s:o}", "entries", c.arr);
        if (o)
                json_object_set_new(o, "next_before", more ? json_integer(c.last) : json_null());
        req_answer(r, 200, o);
}

static bool org_admin(struct fp_req *r, const char *what)
{
        if (fp_principal_org(&r->who, FP_ROLE_ADMIN))
                return true;
        req_error(r, 403, "forbidden", NULL, "%s needs the role admin on every account ('*')",
                  what);
        return false;
}

void api_audit_verify(struct fp_req *r)
{
        if (!org_admin(r, "verifying the whole audit log"))
                return;
        const char *full = req_query(r, "full");
        if (full && strcmp(full, "true") && strcmp(full, "false")) {
                req_error(r, 400, "invalid_request", "full", "must be true or false");
                return;
        }
        json_t *report = NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        int64_t t0 = fp_now_ms();
        enum fp_err err = fp_audit_verify(r->srv, full && !strcmp(full, "true"), &report, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        json_object_set_new(report, "milliseconds", json_integer(fp_now_ms() - t0));
        req_answer(r, 200, report);
}

void api_audit_export(struct fp_req *r)
{
        int64_t from = -1, to = -1;
        if (!query_int(r, "from", 0, INT64_MAX / 2, &from) ||
            !query_int(r, "to", 0, INT64_MAX / 2, &to))
                return;
        if (from < 0 || to < 0) {
                req_error(r, 400, "invalid_request", from < 0 ? "from" : "to",
                          "from and to (seconds since the epoch, UTC) are required");
                return;
        }
        if (to < from) {
                req_error(r, 400, "invalid_request", "to", "to is before from");
                return;
        }
        if (to - from > (int64_t)FP_AUDIT_EXPORT_MAX_DAYS * 86400) {
                req_error(r, 400, "invalid_request", "to",
                          "the period is longer than %d days (FP_AUDIT_EXPORT_MAX_DAYS): export "
                          "it in parts",
                          FP_AUDIT_EXPORT_MAX_DAYS);
                return;
        }
        bool ok = true;
        const char *account = query_text(r, "account", &ok);
        if (!ok)
                return;
        if (account ? !req_allow(r, account, FP_ROLE_VIEWER)
                    : !org_admin(r, "exporting the whole audit log"))
                return;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        char *text = NULL;
        size_t len = 0;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_audit_export(r->srv, tx, from, to, account, &text, &len, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        free(r->text);
        r->text = text;
        r->content_type = "application/x-ndjson";
        r->status = 200;
}

void api_audit_key(struct fp_req *r)
{
        const struct fp_signkey *k = fp_server_signkey(r->srv);
        if (!k) {
                req_error(r, 503, "unavailable", NULL, "the server has no signing key");
                return;
        }
        char pub[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES,
                                           sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(pub, sizeof(pub), k->pk, sizeof(k->pk), sodium_base64_VARIANT_ORIGINAL);
        req_answer(r, 200, json_pack("{s:s, s:s, s:s}", "algorithm", "ed25519", "key_id",
                                     k->key_id, "public_key", pub));
}
