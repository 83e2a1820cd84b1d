/* Accounts (tenants) with their regions, and enrollment tokens for their hosts. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/vuln.h"
#include "server/server.h"

#define MAX_ENROLL_TTL (7LL * 86400)
#define MAX_ENROLL_USES 100000

static json_t *account_json(const struct fp_account_rec *a)
{
        json_t *regions = json_array();
        for (size_t i = 0; i < a->region_count; i++)
                json_array_append_new(regions, json_string(a->regions[i]));
        return json_pack("{s:s, s:s, s:o, s:I}", "name", a->name, "display", a->display,
                         "regions", regions, "created", (json_int_t)a->created);
}

struct list_ctx {
        struct fp_req *r;
        json_t *arr;
};

static bool account_cb(void *ctx, const struct fp_account_rec *a)
{
        struct list_ctx *c = ctx;
        if (fp_principal_role(&c->r->who, a->name) != FP_ROLE_NONE)
                json_array_append_new(c->arr, account_json(a));
        return json_array_size(c->arr) < FP_MAX_PAGE;
}

void api_accounts_list(struct fp_req *r)
{
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct list_ctx c = {r, json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_account_list(tx, account_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "accounts", c.arr));
}

void api_accounts_create(struct fp_req *r)
{
        static const char *const allowed[] = {"name", "display", "regions", NULL};
        if (!fp_principal_org(&r->who, FP_ROLE_ADMIN)) {
                req_error(r, 403, "forbidden", NULL,
                          "creating accounts needs the role admin on every account ('*')");
                return;
        }
        const char *name = NULL, *display = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "name", true, FP_MAX_IDENT, &name) ||
            !req_str(r, r->json, "display", false, 255, &display))
                return;
        if (!fp_valid_ident(name) || !strcmp(name, "*")) {
                req_error(r, 400, "invalid_request", "name", "1..%d of [a-z0-9._-]", FP_MAX_IDENT);
                return;
        }
        json_t *regions = json_object_get(r->json, "regions");
        if (regions && (!json_is_array(regions) || json_array_size(regions) > FP_MAX_REGIONS)) {
                req_error(r, 400, "invalid_request", "regions",
                          "an array of at most %d region names", FP_MAX_REGIONS);
                return;
        }
        const char *list[FP_MAX_REGIONS];
        struct fp_account_rec a = {.name = name, .display = display ? display : name,
                                   .regions = list, .created = r->now};
        size_t i;
        json_t *v;
        json_array_foreach(regions, i, v) {
                if (!json_is_string(v) || !fp_valid_ident(json_string_value(v))) {
                        req_error(r, 400, "invalid_request", "regions",
                                  "region %zu: 1..%d of [a-z0-9._-]", i, FP_MAX_IDENT);
                        return;
                }
                list[a.region_count++] = json_string_value(v);
        }
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_account_create(tx, &a, &diag);
        struct fp_account_rec got;
        if (err == FP_OK)
                err = fp_store_account_get(tx, name, &got, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 201, account_json(&got));
}

static bool count_cb(void *ctx, const struct fp_host_rec *h)
{
        (*(int64_t *)ctx)++;
        return true;
}

void api_accounts_get(struct fp_req *r)
{
        const char *name = r->params[0];
        if (!req_allow(r, name, FP_ROLE_VIEWER))
                return;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct fp_account_rec a;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_account_get(tx, name, &a, &diag);
        int64_t hosts = 0;
        struct fp_host_filter f = {.account = name, .compliance = -1};
        if (err == FP_OK)
                err = fp_store_host_list(tx, &f, count_cb, &hosts, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        json_t *o = account_json(&a);
        json_object_set_new(o, "hosts", json_integer(hosts));
        req_answer(r, 200, o);
}

void api_enroll_tokens_create(struct fp_req *r)
{
        static const char *const allowed[] = {"ttl", "uses", "region", "tags", NULL};
        const char *account = r->params[0];
        if (!req_allow(r, account, FP_ROLE_OPERATOR))
                return;
        int64_t ttl = 3600, uses = 1;
        const char *region = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_int(r, r->json, "ttl", false, 60, MAX_ENROLL_TTL, &ttl) ||
            !req_int(r, r->json, "uses", false, 1, MAX_ENROLL_USES, &uses) ||
            !req_str(r, r->json, "region", false, FP_MAX_IDENT, &region))
                return;
        if (region && !fp_valid_ident(region)) {
                req_error(r, 400, "invalid_request", "region", "1..%d of [a-z0-9._-]",
                          FP_MAX_IDENT);
                return;
        }
        char *tags = NULL;
        json_t *t = json_object_get(r->json, "tags");
        if (t && !req_tags(r, t, "tags", &tags))
                return;
        struct fp_tx *tx = req_tx(r, true);
        if (!tx) {
                free(tags);
                return;
        }
        struct fp_account_rec a;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_account_get(tx, account, &a, &diag);
        char id[17], token[88], hash[65];
        fp_new_token("fpe", id, token, hash);
        struct fp_token_rec rec = {.id = id, .kind = FP_TOKEN_ENROLL, .hash = hash,
                                   .name = "enroll", .account = account, .region = region,
                                   .tags_json = tags ? tags : "{}", .created = r->now,
                                   .expires = r->now + ttl, .uses_left = uses};
        if (err == FP_OK)
                err = fp_store_token_create(tx, &rec, &diag);
        free(tags);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 201, json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", id, "token", token,
                                     "account", account, "expires", (json_int_t)rec.expires,
                                     "uses", (json_int_t)uses));
        sodium_memzero(token, sizeof(token));
}
