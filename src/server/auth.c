/*
 * Who is calling: the bearer token is split into kind, public id and secret; the record is
 * found by id and the secret's hash compared in constant time. Every failure is the same
 * 401 to the caller (which part failed is only logged at debug level).
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "server/server.h"

enum fp_role fp_principal_role(const struct fp_principal *p, const char *account)
{
        enum fp_role best = FP_ROLE_NONE;
        if (p->kind != FP_PRINCIPAL_USER || !account)
                return best;
        for (size_t i = 0; i < p->grant_count; i++)
                if ((!strcmp(p->grants[i].account, "*") || !strcmp(p->grants[i].account, account)) &&
                    p->grants[i].role > best)
                        best = p->grants[i].role;
        return best;
}

bool fp_principal_org(const struct fp_principal *p, enum fp_role role)
{
        for (size_t i = 0; p->kind == FP_PRINCIPAL_USER && i < p->grant_count; i++)
                if (!strcmp(p->grants[i].account, "*") && p->grants[i].role >= role)
                        return true;
        return false;
}

static bool deny(struct fp_req *r, const char *why)
{
        if (!strcmp(r->srv->cfg.log_level, "debug"))
                fprintf(stderr, "fleetpatchd: %s %s: unauthenticated: %s\n", r->method, r->path,
                        why);
        req_error(r, 401, "unauthenticated", NULL, "missing, malformed, unknown, expired or "
                                                   "revoked credential");
        return false;
}

bool fp_authenticate(struct fp_req *r, enum fp_auth need)
{
        static const char *const prefixes[] = {"", "fpu", "fpe", "fpa"};
        memset(&r->who, 0, sizeof(r->who));
        const char *h = r->conn ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                              MHD_HTTP_HEADER_AUTHORIZATION)
                                : NULL;
        if (!h || strncmp(h, "Bearer ", 7))
                return deny(r, "no bearer token");
        char prefix[4], id[17], hash[65];
        if (!fp_token_split(h + 7, prefix, id, hash))
                return deny(r, "malformed token");
        if (strcmp(prefix, prefixes[need]))
                return deny(r, "wrong kind of token for this route");
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return false;
        struct fp_token_rec t;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_token_get(tx, id, &t, &diag);
        if (err == FP_ENOTFOUND)
                return deny(r, "unknown token id");
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return false;
        }
        static const enum fp_token_kind kinds[] = {FP_TOKEN_USER, FP_TOKEN_USER, FP_TOKEN_ENROLL,
                                                   FP_TOKEN_AGENT};
        if (t.kind != kinds[need] || !fp_hash_equal(t.hash, hash))
                return deny(r, "secret does not match");
        if (t.revoked)
                return deny(r, "revoked");
        if (t.expires && t.expires <= r->now)
                return deny(r, "expired");
        snprintf(r->who.token_id, sizeof(r->who.token_id), "%s", t.id);
        switch (need) {
        case FP_AUTH_USER: {
                struct fp_user_rec u;
                err = fp_store_user_get_id(tx, t.user, &u, &diag);
                if (err == FP_ENOTFOUND)
                        return deny(r, "user gone");
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return false;
                }
                r->who.kind = FP_PRINCIPAL_USER;
                r->who.user_id = u.id;
                snprintf(r->who.user, sizeof(r->who.user), "%s", u.name);
                for (size_t i = 0; i < u.grant_count && i < FP_MAX_GRANTS; i++) {
                        snprintf(r->who.grants[i].account, sizeof(r->who.grants[i].account), "%s",
                                 u.grants[i].account);
                        r->who.grants[i].role = u.grants[i].role;
                        r->who.grant_count++;
                }
                break;
        }
        case FP_AUTH_ENROLL:
                if (t.uses_left <= 0) {
                        req_error(r, 410, "enrollment_exhausted", NULL,
                                  "this enrollment token has been used up");
                        return false;
                }
                r->who.kind = FP_PRINCIPAL_ENROLL;
                snprintf(r->who.account, sizeof(r->who.account), "%s", t.account ? t.account : "");
                break;
        case FP_AUTH_AGENT: {
                struct fp_host_rec host;
                if (!t.host)
                        return deny(r, "agent token without host");
                err = fp_store_host_get(tx, t.host, &host, &diag);
                if (err == FP_ENOTFOUND)
                        return deny(r, "host deleted");
                if (err != FP_OK) {
                        req_fail(r, err, &diag);
                        return false;
                }
                r->who.kind = FP_PRINCIPAL_AGENT;
                r->agent_host = host;
                r->agent_host_tx = tx;
                snprintf(r->who.host, sizeof(r->who.host), "%s", host.id);
                snprintf(r->who.account, sizeof(r->who.account), "%s", host.account);
                break;
        }
        default:
                return deny(r, "no such kind");
        }
        return true;
}
