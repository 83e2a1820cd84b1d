/* Users, grants, API tokens and login (docs/api.md "User API"). */
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "server/http.h"
#include "fleetpatch/vuln.h"
#include "server/server.h"

#define MIN_PASSWORD 8
#define MAX_PASSWORD 1024
#define MAX_TOKEN_TTL (365LL * 86400)

/* ---- failed logins per address (a small table; the oldest slot is reused) ---- */
#define LOGIN_SLOTS 256
static pthread_mutex_t login_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
        char addr[64];
        int64_t window_start;
        long failures;
} login_slots[LOGIN_SLOTS];

static long *login_slot(const char *addr, int64_t now)
{
        size_t oldest = 0;
        for (size_t i = 0; i < LOGIN_SLOTS; i++) {
                if (!strcmp(login_slots[i].addr, addr)) {
                        if (now - login_slots[i].window_start >= 60) {
                                login_slots[i].window_start = now;
                                login_slots[i].failures = 0;
                        }
                        return &login_slots[i].failures;
                }
                if (login_slots[i].window_start < login_slots[oldest].window_start)
                        oldest = i;
        }
        snprintf(login_slots[oldest].addr, sizeof(login_slots[oldest].addr), "%s", addr);
        login_slots[oldest].window_start = now;
        login_slots[oldest].failures = 0;
        return &login_slots[oldest].failures;
}

static json_t *token_json(const struct fp_token_rec *t)
{
        return json_pack("{s:s, s:s, s:I, s:I, s:b}", "id", t->id, "name", t->name, "created",
                         (json_int_t)t->created, "expires", (json_int_t)t->expires, "revoked",
                         t->revoked);
}

/* Make a user token; answers 201 with the secret shown once. */
static void issue_token(struct fp_req *r, int64_t user, const char *name, int64_t ttl)
{
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        char id[17], token[88], hash[65];
        fp_new_token("fpu", id, token, hash);
        struct fp_token_rec t = {.id = id, .kind = FP_TOKEN_USER, .hash = hash, .name = name,
                                 .user = user, .created = r->now,
                                 .expires = ttl ? r->now + ttl : 0};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_token_create(tx, &t, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        json_t *o = token_json(&t);
        json_object_set_new(o, "token", json_string(token));
        sodium_memzero(token, sizeof(token));
        req_answer(r, 201, o);
}

void api_login(struct fp_req *r)
{
        static const char *const allowed[] = {"user", "password", NULL};
        const char *user = NULL, *password = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "user", true, FP_MAX_IDENT, &user) ||
            !req_str(r, r->json, "password", true, MAX_PASSWORD, &password))
                return;
        char addr[64];
        fp_client_address(r->conn, addr, sizeof(addr));
        pthread_mutex_lock(&login_mu);
        long *failures = login_slot(addr, r->now);
        bool limited = *failures >= r->srv->cfg.login_failures;
        pthread_mutex_unlock(&login_mu);
        if (limited) {
                req_error(r, 429, "too_many_requests", NULL,
                          "too many failed logins from %s; wait a minute", addr);
                return;
        }
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        struct fp_user_rec u;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_user_get(tx, user, &u, &diag);
        bool ok = err == FP_OK && u.pwhash &&
                  crypto_pwhash_str_verify(u.pwhash, password, strlen(password)) == 0;
        if (err != FP_OK && err != FP_ENOTFOUND) {
                req_fail(r, err, &diag);
                return;
        }
        if (!ok) {
                pthread_mutex_lock(&login_mu);
                (*login_slot(addr, r->now))++;
                pthread_mutex_unlock(&login_mu);
                req_error(r, 401, "unauthenticated", NULL, "wrong user or password");
                /* on record though the request rolls back (docs/audit.md) */
                r->audit.failure = true;
                r->audit.action = "user.login_failed";
                r->audit.target = user;
                return;
        }
        r->audit.log = true;
        r->audit.user = user;
        r->audit.target = user;
        issue_token(r, u.id, "login", r->srv->cfg.token_ttl);
}

static json_t *grants_json(const struct fp_grant *g, size_t n, const struct fp_principal *viewer)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
                /* Only grants on accounts the viewer may see (tenant isolation). */
                if (viewer && !fp_principal_org(viewer, FP_ROLE_VIEWER) &&
                    (!strcmp(g[i].account, "*") ||
                     fp_principal_role(viewer, g[i].account) == FP_ROLE_NONE))
                        continue;
                json_array_append_new(arr, json_pack("{s:s, s:s}", "account", g[i].account,
                                                     "role", fp_role_name(g[i].role)));
        }
        return arr;
}

void api_whoami(struct fp_req *r)
{
        json_t *grants = json_array();
        for (size_t i = 0; i < r->who.grant_count; i++)
                json_array_append_new(grants, json_pack("{s:s, s:s}", "account",
                                                        r->who.grants[i].account, "role",
                                                        fp_role_name(r->who.grants[i].role)));
        req_answer(r, 200, json_pack("{s:s, s:o}", "user", r->who.user, "grants", grants));
}

/* Is the caller admin of some account (any grant with role admin)? */
static bool admin_somewhere(const struct fp_principal *p)
{
        for (size_t i = 0; i < p->grant_count; i++)
                if (p->grants[i].role >= FP_ROLE_ADMIN)
                        return true;
        return false;
}

/* Does a user share an account with the caller's admin grants? */
static bool user_visible(const struct fp_principal *p, const struct fp_user_rec *u)
{
        if (fp_principal_org(p, FP_ROLE_ADMIN) || u->id == p->user_id)
                return true;
        for (size_t i = 0; i < u->grant_count; i++)
                if (strcmp(u->grants[i].account, "*") &&
                    fp_principal_role(p, u->grants[i].account) >= FP_ROLE_ADMIN)
                        return true;
        return false;
}

struct user_list_ctx {
        struct fp_req *r;
        json_t *arr;
};

static bool user_list_cb(void *ctx, const struct fp_user_rec *u)
{
        struct user_list_ctx *c = ctx;
        if (!user_visible(&c->r->who, u))
                return true;
        json_array_append_new(c->arr, json_pack("{s:s, s:I, s:o}", "name", u->name, "created",
                                                (json_int_t)u->created, "grants",
                                                grants_json(u->grants, u->grant_count,
                                                            &c->r->who)));
        return json_array_size(c->arr) < FP_MAX_PAGE;
}

void api_users_list(struct fp_req *r)
{
        if (!admin_somewhere(&r->who)) {
                req_error(r, 403, "forbidden", NULL, "listing users needs the role admin");
                return;
        }
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct user_list_ctx c = {r, json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_user_list(tx, user_list_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "users", c.arr));
}

/* May the caller give `role` on `account`? Checks the account exists. Answers on failure. */
static bool may_grant(struct fp_req *r, struct fp_tx *tx, const char *account, const char *role,
                      enum fp_role *out)
{
        *out = fp_role_parse(role);
        if (*out == FP_ROLE_NONE) {
                req_error(r, 400, "invalid_request", "role",
                          "role must be viewer, operator, approver or admin");
                return false;
        }
        if (!strcmp(account, "*")) {
                if (!fp_principal_org(&r->who, FP_ROLE_ADMIN)) {
                        req_error(r, 403, "forbidden", "account",
                                  "only an admin of every account can grant on '*'");
                        return false;
                }
                return true;
        }
        if (!fp_valid_ident(account)) {
                req_error(r, 400, "invalid_request", "account", "not a valid account name");
                return false;
        }
        if (!req_allow(r, account, FP_ROLE_ADMIN))
                return false;
        struct fp_account_rec a;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_account_get(tx, account, &a, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        return true;
}

void api_users_create(struct fp_req *r)
{
        static const char *const allowed[] = {"name", "password", "grants", NULL};
        static const char *const grant_members[] = {"account", "role", NULL};
        const char *name = NULL, *password = NULL;
        if (!admin_somewhere(&r->who)) {
                req_error(r, 403, "forbidden", NULL, "creating users needs the role admin");
                return;
        }
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "name", true, FP_MAX_IDENT, &name) ||
            !req_str(r, r->json, "password", false, MAX_PASSWORD, &password))
                return;
        if (!fp_valid_ident(name)) {
                req_error(r, 400, "invalid_request", "name", "1..%d of [a-z0-9._-]", FP_MAX_IDENT);
                return;
        }
        if (password && strlen(password) < MIN_PASSWORD) {
                req_error(r, 400, "invalid_request", "password", "at least %d characters",
                          MIN_PASSWORD);
                return;
        }
        json_t *grants = json_object_get(r->json, "grants");
        if (grants && (!json_is_array(grants) || json_array_size(grants) > FP_MAX_GRANTS)) {
                req_error(r, 400, "invalid_request", "grants", "an array of at most %d grants",
                          FP_MAX_GRANTS);
                return;
        }
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        char hash[crypto_pwhash_STRBYTES];
        if (password && crypto_pwhash_str(hash, password, strlen(password),
                                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
                req_error(r, 500, "internal", NULL, "password hashing failed (memory)");
                return;
        }
        int64_t id;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_user_create(tx, name, password ? hash : NULL, &id, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        size_t i;
        json_t *g;
        json_array_foreach(grants, i, g) {
                const char *account = NULL, *role = NULL;
                enum fp_role rl;
                if (!json_is_object(g) || !req_members(r, g, "grants[]", grant_members) ||
                    !req_str(r, g, "account", true, FP_MAX_IDENT, &account) ||
                    !req_str(r, g, "role", true, 16, &role)) {
                        if (!r->status)
                                req_error(r, 400, "invalid_request", "grants",
                                          "each grant is {\"account\", \"role\"}");
                        return;
                }
                if (!may_grant(r, tx, account, role, &rl))
                        return;
                err = fp_store_grant_set(tx, id, account, rl, &diag);
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return;
                }
        }
        struct fp_user_rec u;
        err = fp_store_user_get_id(tx, id, &u, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 201, json_pack("{s:s, s:I, s:o}", "name", u.name, "created",
                                     (json_int_t)u.created, "grants",
                                     grants_json(u.grants, u.grant_count, &r->who)));
}

/* The user of the path. Users are organisation-wide; what an admin may do to one is decided
 * by the account of the grant (may_grant / req_allow), checked before this. */
static bool path_user(struct fp_req *r, struct fp_tx *tx, struct fp_user_rec *u)
{
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_user_get(tx, r->params[0], u, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        return true;
}

void api_users_grant(struct fp_req *r)
{
        static const char *const allowed[] = {"account", "role", NULL};
        const char *account = NULL, *role = NULL;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "account", true, FP_MAX_IDENT, &account) ||
            !req_str(r, r->json, "role", true, 16, &role))
                return;
        struct fp_tx *tx = req_tx(r, true);
        struct fp_user_rec u;
        enum fp_role rl;
        if (!tx || !may_grant(r, tx, account, role, &rl) || !path_user(r, tx, &u))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_grant_set(tx, u.id, account, rl, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:s, s:s}", "user", u.name, "account", account,
                                     "role", fp_role_name(rl)));
}

void api_users_ungrant(struct fp_req *r)
{
        const char *account = r->params[1];
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        if (!strcmp(account, "*")) {
                if (!fp_principal_org(&r->who, FP_ROLE_ADMIN)) {
                        req_error(r, 403, "forbidden", NULL,
                                  "only an admin of every account can revoke '*'");
                        return;
                }
        } else if (!req_allow(r, account, FP_ROLE_ADMIN)) {
                return;
        }
        struct fp_user_rec u;
        if (!path_user(r, tx, &u))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_grant_delete(tx, u.id, account, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:s}", "user", u.name, "revoked", account));
}

struct token_list_ctx {
        json_t *arr;
};

static bool token_list_cb(void *ctx, const struct fp_token_rec *t)
{
        struct token_list_ctx *c = ctx;
        json_array_append_new(c->arr, token_json(t));
        return true;
}

void api_tokens_list(struct fp_req *r)
{
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct token_list_ctx c = {json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_token_list_user(tx, r->who.user_id, token_list_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "tokens", c.arr));
}

void api_tokens_create(struct fp_req *r)
{
        static const char *const allowed[] = {"name", "ttl", NULL};
        const char *name = "api";
        int64_t ttl = r->srv->cfg.token_ttl;
        if (!req_members(r, r->json, NULL, allowed) ||
            !req_str(r, r->json, "name", false, FP_MAX_IDENT, &name) ||
            !req_int(r, r->json, "ttl", false, 60, MAX_TOKEN_TTL, &ttl))
                return;
        issue_token(r, r->who.user_id, name, ttl);
}

void api_tokens_revoke(struct fp_req *r)
{
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        struct fp_token_rec t;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_token_get(tx, r->params[0], &t, &diag);
        if (err == FP_OK && (t.kind != FP_TOKEN_USER || t.user != r->who.user_id))
                err = FP_ENOTFOUND; /* someone else's token: as if it did not exist */
        if (err == FP_OK)
                err = fp_store_token_revoke(tx, t.id, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:b}", "id", t.id, "revoked", 1));
}
