/*
 * The core tables' operations (accounts, users, grants, tokens, hosts, jobs, installed
 * versions), written once in the SQL both engines accept (src/store/sql_int.h says which
 * dialect rules hold). The engines (sqlite.c, pg.c) supply connections and statements.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"
#include "store/engine.h"
#include "store/sql_int.h"

/* ---- accounts ---- */

enum fp_err sq_core_account_create(struct fp_tx *tx, const struct fp_account_rec *a,
                                  struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO accounts (name, display, created) VALUES (?,?,?)";
        int n = 0;
        struct sq_stmt *st = sq_stmt(tx, ins, true, "ssi", a->name, a->display ? a->display : "",
                                a->created);
        if (!st)
                return sq_fail(tx, diag, "account insert");
        int rc = sq_step_new(st);
        sq_done(tx, st);
        if (rc == SQ_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, "name", "account '%s' exists already", a->name);
                return FP_EEXIST;
        }
        if (rc != SQ_DONE)
                return sq_fail(tx, diag, "account insert");
        static const char reg[] = "INSERT OR IGNORE INTO account_regions VALUES (?,?)";
        for (size_t i = 0; i < a->region_count; i++) {
                enum fp_err err = sq_run(tx, sq_stmt(tx, reg, true, "ss", a->name, a->regions[i]), &n,
                                      diag, "region insert");
                if (err != FP_OK)
                        return err;
        }
        return FP_OK;
}

static enum fp_err account_regions(struct fp_tx *tx, struct fp_account_rec *a,
                                   struct fp_diag *diag)
{
        static const char sel[] =
                "SELECT region FROM account_regions WHERE account = ? ORDER BY region";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", a->name);
        if (!st)
                return sq_fail(tx, diag, "regions");
        size_t cap = 0;
        a->regions = NULL;
        a->region_count = 0;
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                if (a->region_count == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        const char **n = fp_arena_alloc(&tx->base.arena, ncap * sizeof(*n));
                        if (!n) {
                                sq_done(tx, st);
                                return FP_ENOMEM;
                        }
                        if (a->region_count)
                                memcpy(n, a->regions, a->region_count * sizeof(*n));
                        a->regions = n;
                        cap = ncap;
                }
                a->regions[a->region_count++] = sq_col_str0(tx, st, 0);
        }
        sq_done(tx, st);
        return rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "regions");
}

enum fp_err sq_core_account_get(struct fp_tx *tx, const char *name, struct fp_account_rec *out,
                               struct fp_diag *diag)
{
        static const char sel[] = "SELECT name, display, created FROM accounts WHERE name = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", name);
        if (!st)
                return sq_fail(tx, diag, "account");
        int rc = sq_step(st);
        if (rc != SQ_ROW) {
                sq_done(tx, st);
                if (rc != SQ_DONE)
                        return sq_fail(tx, diag, "account");
                fp_diag_set(diag, NULL, 0, NULL, "no account '%s'", name);
                return FP_ENOTFOUND;
        }
        memset(out, 0, sizeof(*out));
        out->name = sq_col_str0(tx, st, 0);
        out->display = sq_col_str0(tx, st, 1);
        out->created = sq_col_int(st, 2);
        sq_done(tx, st);
        return account_regions(tx, out, diag);
}

enum fp_err sq_core_account_list(struct fp_tx *tx, fp_account_cb cb, void *ctx,
                                struct fp_diag *diag)
{
        static const char sel[] = "SELECT name FROM accounts ORDER BY name";
        struct sq_stmt *st = sq_stmt(tx, sel, false, "");
        if (!st)
                return sq_fail(tx, diag, "accounts");
        /* Collect the names first: account_get uses cached statements of its own. */
        const char **names = NULL;
        size_t n = 0, cap = 0;
        int rc;
        enum fp_err err = FP_OK;
        while ((rc = sq_step(st)) == SQ_ROW) {
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        const char **nn = fp_arena_alloc(&tx->base.arena, ncap * sizeof(*nn));
                        if (!nn) {
                                err = FP_ENOMEM;
                                break;
                        }
                        if (n)
                                memcpy(nn, names, n * sizeof(*nn));
                        names = nn;
                        cap = ncap;
                }
                names[n++] = sq_col_str0(tx, st, 0);
        }
        if (err == FP_OK && rc != SQ_DONE)
                err = sq_fail(tx, diag, "accounts");
        sq_done(tx, st);
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                struct fp_account_rec a;
                err = sq_core_account_get(tx, names[i], &a, diag);
                if (err == FP_OK && !cb(ctx, &a))
                        break;
        }
        return err;
}

/* ---- users ---- */

enum fp_err sq_core_user_create(struct fp_tx *tx, const char *name, const char *pwhash,
                               int64_t *id, struct fp_diag *diag)
{
        static const char ins[] =
                "INSERT INTO users (name, pwhash, created) VALUES (?,?,?) RETURNING id";
        struct sq_stmt *st = sq_stmt(tx, ins, true, "ssi", name, pwhash, fp_now());
        if (!st)
                return sq_fail(tx, diag, "user insert");
        int rc = sq_step_new(st);
        if (rc == SQ_ROW && id)
                *id = sq_col_int(st, 0);
        sq_done(tx, st);
        if (rc == SQ_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, "name", "user '%s' exists already", name);
                return FP_EEXIST;
        }
        return rc == SQ_ROW ? FP_OK : sq_fail(tx, diag, "user insert");
}

static enum fp_err user_grants(struct fp_tx *tx, struct fp_user_rec *u, struct fp_diag *diag)
{
        static const char sel[] =
                "SELECT account, role FROM grants WHERE user_id = ? ORDER BY account";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "i", u->id);
        if (!st)
                return sq_fail(tx, diag, "grants");
        size_t cap = 0;
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                if (u->grant_count == cap) {
                        size_t ncap = cap ? cap * 2 : 4;
                        struct fp_grant *n = fp_arena_alloc(&tx->base.arena, ncap * sizeof(*n));
                        if (!n) {
                                sq_done(tx, st);
                                return FP_ENOMEM;
                        }
                        if (u->grant_count)
                                memcpy(n, u->grants, u->grant_count * sizeof(*n));
                        u->grants = n;
                        cap = ncap;
                }
                u->grants[u->grant_count].account = sq_col_str0(tx, st, 0);
                u->grants[u->grant_count].role = (enum fp_role)sq_col_int(st, 1);
                u->grant_count++;
        }
        sq_done(tx, st);
        return rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "grants");
}

static enum fp_err user_row(struct fp_tx *tx, struct sq_stmt *st, struct fp_user_rec *out,
                            const char *what, struct fp_diag *diag)
{
        if (!st)
                return sq_fail(tx, diag, "user");
        int rc = sq_step(st);
        if (rc != SQ_ROW) {
                sq_done(tx, st);
                if (rc != SQ_DONE)
                        return sq_fail(tx, diag, "user");
                fp_diag_set(diag, NULL, 0, NULL, "no user %s", what);
                return FP_ENOTFOUND;
        }
        memset(out, 0, sizeof(*out));
        out->id = sq_col_int(st, 0);
        out->name = sq_col_str0(tx, st, 1);
        out->pwhash = sq_col_str(tx, st, 2);
        out->created = sq_col_int(st, 3);
        sq_done(tx, st);
        return user_grants(tx, out, diag);
}

enum fp_err sq_core_user_get(struct fp_tx *tx, const char *name, struct fp_user_rec *out,
                            struct fp_diag *diag)
{
        static const char sel[] = "SELECT id, name, pwhash, created FROM users WHERE name = ?";
        return user_row(tx, sq_stmt(tx, sel, true, "s", name), out, name, diag);
}

enum fp_err sq_core_user_get_id(struct fp_tx *tx, int64_t id, struct fp_user_rec *out,
                               struct fp_diag *diag)
{
        static const char sel[] = "SELECT id, name, pwhash, created FROM users WHERE id = ?";
        return user_row(tx, sq_stmt(tx, sel, true, "i", id), out, "with that id", diag);
}

enum fp_err sq_core_user_list(struct fp_tx *tx, fp_user_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT id FROM users ORDER BY name";
        struct sq_stmt *st = sq_stmt(tx, sel, false, "");
        if (!st)
                return sq_fail(tx, diag, "users");
        int64_t *ids = NULL;
        size_t n = 0, cap = 0;
        int rc;
        enum fp_err err = FP_OK;
        while ((rc = sq_step(st)) == SQ_ROW) {
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        int64_t *nn = fp_arena_alloc(&tx->base.arena, ncap * sizeof(*nn));
                        if (!nn) {
                                err = FP_ENOMEM;
                                break;
                        }
                        if (n)
                                memcpy(nn, ids, n * sizeof(*nn));
                        ids = nn;
                        cap = ncap;
                }
                ids[n++] = sq_col_int(st, 0);
        }
        if (err == FP_OK && rc != SQ_DONE)
                err = sq_fail(tx, diag, "users");
        sq_done(tx, st);
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                struct fp_user_rec u;
                err = sq_core_user_get_id(tx, ids[i], &u, diag);
                if (err == FP_OK && !cb(ctx, &u))
                        break;
        }
        return err;
}

enum fp_err sq_core_user_count(struct fp_tx *tx, int64_t *n, struct fp_diag *diag)
{
        static const char sel[] = "SELECT count(*) FROM users";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "");
        if (!st)
                return sq_fail(tx, diag, "users");
        int rc = sq_step(st);
        *n = rc == SQ_ROW ? sq_col_int(st, 0) : 0;
        sq_done(tx, st);
        return rc == SQ_ROW ? FP_OK : sq_fail(tx, diag, "users");
}

enum fp_err sq_core_grant_set(struct fp_tx *tx, int64_t user, const char *account,
                             enum fp_role role, struct fp_diag *diag)
{
        static const char up[] = "INSERT INTO grants (user_id, account, role) VALUES (?,?,?)"
                                 " ON CONFLICT (user_id, account) DO UPDATE SET role = excluded.role";
        return sq_run(tx, sq_stmt(tx, up, true, "isi", user, account, (int64_t)role), NULL, diag,
                   "grant");
}

enum fp_err sq_core_grant_delete(struct fp_tx *tx, int64_t user, const char *account,
                                struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM grants WHERE user_id = ? AND account = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, del, true, "is", user, account), &n, diag, "grant");
        if (err == FP_OK && n == 0) {
                fp_diag_set(diag, NULL, 0, NULL, "no grant on account '%s'", account);
                return FP_ENOTFOUND;
        }
        return err;
}

/* ---- tokens ---- */

enum fp_err sq_core_token_create(struct fp_tx *tx, const struct fp_token_rec *t,
                                struct fp_diag *diag)
{
        static const char ins[] =
            "INSERT INTO tokens (id, kind, hash, name, user_id, account, host, region, tags,"
            " created, expires, uses_left, revoked, clone_of)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,?)";
        struct sq_stmt *st =
            sq_stmt(tx, ins, true, "sissussssiiis", t->id, (int64_t)t->kind, t->hash,
                 t->name ? t->name : "", t->kind == FP_TOKEN_USER ? t->user : (int64_t)0,
                 t->account, t->host, t->region, t->tags_json ? t->tags_json : "{}", t->created,
                 t->expires, t->uses_left, t->clone_of ? t->clone_of : "");
        return sq_run(tx, st, NULL, diag, "token insert");
}

enum fp_err sq_core_token_get(struct fp_tx *tx, const char *id, struct fp_token_rec *out,
                             struct fp_diag *diag)
{
        static const char sel[] =
            "SELECT id, kind, hash, name, user_id, account, host, region, tags, created,"
            " expires, uses_left, revoked, clone_of FROM tokens WHERE id = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "token");
        int rc = sq_step(st);
        if (rc != SQ_ROW) {
                sq_done(tx, st);
                if (rc != SQ_DONE)
                        return sq_fail(tx, diag, "token");
                return FP_ENOTFOUND;
        }
        memset(out, 0, sizeof(*out));
        out->id = sq_col_str0(tx, st, 0);
        out->kind = (enum fp_token_kind)sq_col_int(st, 1);
        out->hash = sq_col_str0(tx, st, 2);
        out->name = sq_col_str0(tx, st, 3);
        out->user = sq_col_int(st, 4);
        out->account = sq_col_str(tx, st, 5);
        out->host = sq_col_str(tx, st, 6);
        out->region = sq_col_str(tx, st, 7);
        out->tags_json = sq_col_str0(tx, st, 8);
        out->created = sq_col_int(st, 9);
        out->expires = sq_col_int(st, 10);
        out->uses_left = sq_col_int(st, 11);
        out->revoked = sq_col_int(st, 12) != 0;
        out->clone_of = sq_col_str0(tx, st, 13);
        sq_done(tx, st);
        return FP_OK;
}

enum fp_err sq_core_token_list_user(struct fp_tx *tx, int64_t user, fp_token_cb cb, void *ctx,
                                   struct fp_diag *diag)
{
        static const char sel[] = "SELECT id FROM tokens WHERE user_id = ? AND kind = 0"
                                  " ORDER BY created DESC, id";
        struct sq_stmt *st = sq_stmt(tx, sel, false, "i", user);
        if (!st)
                return sq_fail(tx, diag, "tokens");
        const char **ids = NULL;
        size_t n = 0, cap = 0;
        int rc;
        enum fp_err err = FP_OK;
        while ((rc = sq_step(st)) == SQ_ROW && n < FP_MAX_PAGE) {
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        const char **nn = fp_arena_alloc(&tx->base.arena, ncap * sizeof(*nn));
                        if (!nn) {
                                err = FP_ENOMEM;
                                break;
                        }
                        if (n)
                                memcpy(nn, ids, n * sizeof(*nn));
                        ids = nn;
                        cap = ncap;
                }
                ids[n++] = sq_col_str0(tx, st, 0);
        }
        if (err == FP_OK && rc != SQ_DONE && rc != SQ_ROW)
                err = sq_fail(tx, diag, "tokens");
        sq_done(tx, st);
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                struct fp_token_rec t;
                err = sq_core_token_get(tx, ids[i], &t, diag);
                if (err == FP_OK && !cb(ctx, &t))
                        break;
        }
        return err;
}

enum fp_err sq_core_token_revoke(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char up[] = "UPDATE tokens SET revoked = 1 WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "s", id), &n, diag, "token revoke");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

enum fp_err sq_core_token_revoke_host(struct fp_tx *tx, const char *host, struct fp_diag *diag)
{
        static const char up[] = "UPDATE tokens SET revoked = 1 WHERE host = ? AND kind = 2";
        return sq_run(tx, sq_stmt(tx, up, true, "s", host), NULL, diag, "token revoke");
}

enum fp_err sq_core_token_use(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE tokens SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "s", id), &n, diag, "token use");
        if (err == FP_OK && n == 0) {
                fp_diag_set(diag, NULL, 0, NULL, "the enrollment token has no uses left");
                return FP_ELIMIT;
        }
        return err;
}

/* ---- hosts ---- */

#define HOST_COLS                                                                                  \
        "h.id, h.account, h.hostname, h.region, h.machine_id, h.os_id, h.os_release, h.facts,"     \
        " h.agent_tags, h.api_tags, h.inventory_hash, h.created, h.last_seen, h.inventory_at,"     \
        " h.last_seq, h.seq_regressions, h.packages, h.updates, h.security_updates, h.sev0,"       \
        " h.sev1, h.sev2, h.sev3, h.sev4, h.sev5, h.kev, h.overdue, h.compliance, h.catchup,"      \
        " h.catchup_since, h.boot_id, h.instance_id, h.regress_boot, h.cloned_from"

static void host_row(struct fp_tx *tx, struct sq_stmt *st, struct fp_host_rec *h)
{
        memset(h, 0, sizeof(*h));
        h->id = sq_col_str0(tx, st, 0);
        h->account = sq_col_str0(tx, st, 1);
        h->hostname = sq_col_str0(tx, st, 2);
        h->region = sq_col_str0(tx, st, 3);
        h->machine_id = sq_col_str0(tx, st, 4);
        h->os_id = sq_col_str0(tx, st, 5);
        h->os_release = sq_col_str0(tx, st, 6);
        h->facts_json = sq_col_str0(tx, st, 7);
        h->agent_tags_json = sq_col_str0(tx, st, 8);
        h->api_tags_json = sq_col_str0(tx, st, 9);
        h->inventory_hash = sq_col_str0(tx, st, 10);
        h->created = sq_col_int(st, 11);
        h->last_seen = sq_col_int(st, 12);
        h->inventory_at = sq_col_int(st, 13);
        h->last_seq = sq_col_int(st, 14);
        h->seq_regressions = sq_col_int(st, 15);
        h->counts.packages = sq_col_int(st, 16);
        h->counts.updates = sq_col_int(st, 17);
        h->counts.security_updates = sq_col_int(st, 18);
        for (int i = 0; i < 6; i++)
                h->counts.sev[i] = sq_col_int(st, 19 + i);
        h->counts.kev = sq_col_int(st, 25);
        h->counts.overdue = sq_col_int(st, 26);
        h->counts.compliance = (enum fp_compliance)sq_col_int(st, 27);
        h->catchup_json = sq_col_str0(tx, st, 28);
        h->catchup_since = sq_col_int(st, 29);
        h->boot_id = sq_col_str0(tx, st, 30);
        h->instance_id = sq_col_str0(tx, st, 31);
        h->regress_boot = sq_col_str0(tx, st, 32);
        h->cloned_from = sq_col_str0(tx, st, 33);
        /* A host that needs catch-up is not compliant, whatever its last inventory said
         * (docs/orchestration.md "Catch-up"); the list filter below agrees. */
        if (h->counts.compliance == FP_COMPL_COMPLIANT && strcmp(h->catchup_json, "[]"))
                h->counts.compliance = FP_COMPL_NONCOMPLIANT;
}

static enum fp_err host_one(struct fp_tx *tx, struct sq_stmt *st, struct fp_host_rec *out,
                            struct fp_diag *diag)
{
        if (!st)
                return sq_fail(tx, diag, "host");
        int rc = sq_step(st);
        if (rc == SQ_ROW)
                host_row(tx, st, out);
        sq_done(tx, st);
        if (rc == SQ_ROW)
                return FP_OK;
        return rc == SQ_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "host");
}

enum fp_err sq_core_host_get(struct fp_tx *tx, const char *id, struct fp_host_rec *out,
                            struct fp_diag *diag)
{
        static const char sel[] = "SELECT " HOST_COLS " FROM hosts h WHERE h.id = ?";
        return host_one(tx, sq_stmt(tx, sel, true, "s", id), out, diag);
}

enum fp_err sq_core_host_by_machine(struct fp_tx *tx, const char *account, const char *machine_id,
                                   struct fp_host_rec *out, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " HOST_COLS " FROM hosts h"
                                  " WHERE h.account = ? AND h.machine_id = ? ORDER BY h.id LIMIT 1";
        return host_one(tx, sq_stmt(tx, sel, true, "ss", account, machine_id), out, diag);
}

/* Rewrite host_tags from agent_tags overlaid with api_tags. */
static enum fp_err host_effective_tags(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char sel[] = "SELECT agent_tags, api_tags FROM hosts WHERE id = ?";
        static const char del[] = "DELETE FROM host_tags WHERE host = ?";
        static const char ins[] = "INSERT OR REPLACE INTO host_tags (host, key, value) VALUES (?,?,?)";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "tags");
        if (sq_step(st) != SQ_ROW) {
                sq_done(tx, st);
                return FP_ENOTFOUND;
        }
        json_t *agent = json_loads(sq_col_text(st, 0), 0, NULL);
        json_t *api = json_loads(sq_col_text(st, 1), 0, NULL);
        sq_done(tx, st);
        enum fp_err err = sq_run(tx, sq_stmt(tx, del, true, "s", id), NULL, diag, "tags");
        json_t *sets[2] = {agent, api};
        for (int k = 0; k < 2 && err == FP_OK; k++) {
                const char *key;
                json_t *v;
                if (!json_is_object(sets[k]))
                        continue;
                json_object_foreach(sets[k], key, v) {
                        if (!json_is_string(v))
                                continue;
                        err = sq_run(tx, sq_stmt(tx, ins, true, "sss", id, key, json_string_value(v)),
                                  NULL, diag, "tags");
                        if (err != FP_OK)
                                break;
                }
        }
        json_decref(agent);
        json_decref(api);
        return err;
}

enum fp_err sq_core_host_create(struct fp_tx *tx, const struct fp_host_rec *h,
                               struct fp_diag *diag)
{
        static const char ins[] =
            "INSERT INTO hosts (id, account, hostname, region, machine_id, facts, agent_tags,"
            " api_tags, created, last_seen, boot_id, instance_id, cloned_from)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
        struct sq_stmt *st = sq_stmt(
            tx, ins, true, "ssssssssiisss", h->id, h->account, h->hostname,
            h->region ? h->region : "", h->machine_id ? h->machine_id : "",
            h->facts_json ? h->facts_json : "{}", h->agent_tags_json ? h->agent_tags_json : "{}",
            h->api_tags_json ? h->api_tags_json : "{}", h->created, h->last_seen,
            h->boot_id ? h->boot_id : "", h->instance_id ? h->instance_id : "",
            h->cloned_from ? h->cloned_from : "");
        enum fp_err err = sq_run(tx, st, NULL, diag, "host insert");
        if (err == FP_OK)
                err = host_effective_tags(tx, h->id, diag);
        return err;
}

enum fp_err sq_core_host_checkin(struct fp_tx *tx, const char *id, const char *hostname,
                                const char *region, const char *facts_json, int64_t seq,
                                int64_t now, struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE hosts SET hostname = coalesce(?, hostname), region = coalesce(?, region),"
                " facts = coalesce(?, facts), last_seq = ?, last_seen = ? WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "sssiis", hostname, region, facts_json, seq,
                                       now, id),
                              &n, diag, "check-in");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

enum fp_err sq_core_host_checkin_next(struct fp_tx *tx, const char *id, const char *hostname,
                                     const char *region, const char *facts_json, int64_t seq,
                                     int64_t now, struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE hosts SET hostname = coalesce(?, hostname), region = coalesce(?, region),"
                " facts = coalesce(?, facts), last_seq = ?, last_seen = ? WHERE id = ?"
                " AND last_seq < ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "sssiisi", hostname, region, facts_json,
                                       seq, now, id, seq),
                              &n, diag, "check-in");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

enum fp_err sq_core_host_set_identity(struct fp_tx *tx, const char *id, const char *machine_id,
                                     const char *boot_id, const char *instance_id,
                                     const char *regress_boot, struct fp_diag *diag)
{
        static const char up[] =
            "UPDATE hosts SET machine_id = coalesce(?, machine_id), boot_id = coalesce(?, boot_id),"
            " instance_id = coalesce(?, instance_id),"
            " regress_boot = coalesce(?, regress_boot) WHERE id = ?";
        int n = 0;
        enum fp_err err =
            sq_run(tx, sq_stmt(tx, up, true, "sssss", machine_id, boot_id, instance_id, regress_boot, id),
                &n, diag, "host identity");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

enum fp_err sq_core_host_set_catchup(struct fp_tx *tx, const char *id, const char *catchup_json,
                                    int64_t since, struct fp_diag *diag)
{
        static const char up[] = "UPDATE hosts SET catchup = ?, catchup_since = ? WHERE id = ?";
        int n = 0;
        enum fp_err err =
            sq_run(tx, sq_stmt(tx, up, true, "sis", catchup_json ? catchup_json : "[]", since, id), &n,
                diag, "host catch-up");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

enum fp_err sq_core_installed_put(struct fp_tx *tx, const struct fp_installed_rec *r,
                                 struct fp_diag *diag)
{
        static const char ins[] = "INSERT OR REPLACE INTO host_installed"
                                  " (host, name, arch, version, job, at) VALUES (?,?,?,?,?,?)";
        return sq_run(tx,
                   sq_stmt(tx, ins, true, "sssssi", r->host, r->name, r->arch ? r->arch : "",
                        r->version, r->job ? r->job : "", r->at),
                   NULL, diag, "installed versions");
}

enum fp_err sq_core_installed_drop_job(struct fp_tx *tx, const char *host, const char *job,
                                      struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM host_installed WHERE host = ? AND job = ?";
        return sq_run(tx, sq_stmt(tx, del, true, "ss", host, job), NULL, diag, "installed versions");
}

enum fp_err sq_core_installed_list(struct fp_tx *tx, const char *host, fp_installed_cb cb, void *ctx,
                                  struct fp_diag *diag)
{
        static const char sel[] = "SELECT host, name, arch, version, job, at FROM host_installed"
                                  " WHERE host = ? ORDER BY name, arch";
        struct sq_stmt *st = sq_stmt(tx, sel, false, "s", host);
        if (!st)
                return sq_fail(tx, diag, "installed versions");
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                struct fp_installed_rec r = {.host = sq_col_str0(tx, st, 0),
                                             .name = sq_col_str0(tx, st, 1),
                                             .arch = sq_col_str0(tx, st, 2),
                                             .version = sq_col_str0(tx, st, 3),
                                             .job = sq_col_str0(tx, st, 4),
                                             .at = sq_col_int(st, 5)};
                if (!cb(ctx, &r)) {
                        rc = SQ_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "installed versions");
        sq_done(tx, st);
        return err;
}

enum fp_err sq_core_host_seq_regressed(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE hosts SET seq_regressions = seq_regressions + 1 WHERE id = ?";
        return sq_run(tx, sq_stmt(tx, up, true, "s", id), NULL, diag, "check-in");
}

enum fp_err sq_core_host_set_counts(struct fp_tx *tx, const char *id,
                                   const struct fp_host_counts *c, struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE hosts SET packages = ?, updates = ?, security_updates = ?, sev0 = ?,"
                " sev1 = ?, sev2 = ?, sev3 = ?, sev4 = ?, sev5 = ?, kev = ?, overdue = ?,"
                " compliance = ?"
                " WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "iiiiiiiiiiiis", c->packages, c->updates,
                                       c->security_updates, c->sev[0], c->sev[1], c->sev[2],
                                       c->sev[3], c->sev[4], c->sev[5], c->kev, c->overdue,
                                       (int64_t)c->compliance, id),
                              &n, diag, "host counts");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

/* ---- settings ---- */

static void value_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        *(const char **)out = sq_col_str0(tx, st, 0);
}

enum fp_err sq_core_setting_get(struct fp_tx *tx, const char *name, const char **value,
                                struct fp_diag *diag)
{
        static const char sel[] = "SELECT value FROM settings WHERE name = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "s", name), value_fill, (void *)value, diag,
                          "setting");
}

enum fp_err sq_core_setting_put(struct fp_tx *tx, const char *name, const char *value,
                                int64_t now, struct fp_diag *diag)
{
        static const char up[] = "INSERT INTO settings (name, value, updated) VALUES (?, ?, ?)"
                                 " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                                 " updated = excluded.updated";
        size_t len = strnlen(value, FP_STORE_SETTING_MAX + 1);
        if (len > FP_STORE_SETTING_MAX) {
                fp_diag_set(diag, NULL, 0, "value", "setting %s: more than %d bytes", name,
                            FP_STORE_SETTING_MAX);
                return FP_ELIMIT;
        }
        return sq_run(tx, sq_stmt(tx, up, true, "ssi", name, value, now), NULL, diag, "setting");
}

enum fp_err sq_core_host_set_inventory(struct fp_tx *tx, const char *id, const char *os_id,
                                      const char *os_release, const char *hash,
                                      const char *inventory_json, const struct fp_host_counts *c,
                                      int64_t now, struct fp_diag *diag)
{
        static const char up[] = "UPDATE hosts SET os_id = ?, os_release = ?, inventory_hash = ?,"
                                 " inventory_at = ? WHERE id = ?";
        static const char doc[] = "INSERT INTO host_inventory (host, document) VALUES (?,?)"
                                  " ON CONFLICT (host) DO UPDATE SET document = excluded.document";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "sssis", os_id, os_release, hash, now, id),
                              &n, diag, "inventory");
        if (err == FP_OK && n == 0)
                return FP_ENOTFOUND;
        if (err == FP_OK)
                err = sq_run(tx, sq_stmt(tx, doc, true, "ss", id, inventory_json), NULL, diag,
                          "inventory");
        if (err == FP_OK)
                err = sq_core_host_set_counts(tx, id, c, diag);
        return err;
}

enum fp_err sq_core_host_inventory(struct fp_tx *tx, const char *id, const char **json,
                                  struct fp_diag *diag)
{
        static const char sel[] = "SELECT document FROM host_inventory WHERE host = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "inventory");
        int rc = sq_step(st);
        *json = rc == SQ_ROW ? sq_col_str(tx, st, 0) : NULL;
        sq_done(tx, st);
        if (rc == SQ_ROW)
                return *json ? FP_OK : FP_ENOMEM;
        return rc == SQ_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "inventory");
}

enum fp_err sq_core_host_set_tags(struct fp_tx *tx, const char *id, bool api, const char *tags_json,
                                 struct fp_diag *diag)
{
        static const char up_api[] = "UPDATE hosts SET api_tags = ? WHERE id = ?";
        static const char up_agent[] = "UPDATE hosts SET agent_tags = ? WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, api ? up_api : up_agent, true, "ss", tags_json, id), &n,
                              diag, "tags");
        if (err == FP_OK && n == 0)
                return FP_ENOTFOUND;
        return err == FP_OK ? host_effective_tags(tx, id, diag) : err;
}

enum fp_err sq_core_host_delete(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM hosts WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, del, true, "s", id), &n, diag, "host delete");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

/* The host's cloud zone as fp_orch_host_zone reads it first (the facts' cloud.zone). */
#define HOST_ZONE_SQL "coalesce(json_extract(h.facts, '$.cloud.zone'), '')"

/* COUNT(*) of the host list whose query (SELECT cols FROM hosts h WHERE ...) is sql. */
static enum fp_err host_count(struct fp_tx *tx, const char *sql, const char *const *params,
                              size_t n, int64_t *out, struct fp_diag *diag)
{
        const char *where = strstr(sql, " FROM hosts h WHERE ");
        struct fp_buf q;
        fp_buf_init(&q, 64 * 1024);
        enum fp_err err = fp_buf_addstr(&q, "SELECT COUNT(*)");
        if (err == FP_OK)
                err = fp_buf_addstr(&q, where ? where : " FROM hosts h WHERE 1 = 0");
        struct sq_stmt *st = NULL;
        if (err == FP_OK && !(st = sq_prepare(tx, fp_buf_str(&q), false)))
                err = sq_fail(tx, diag, "host count");
        fp_buf_release(&q);
        if (err != FP_OK || !st)
                return err != FP_OK ? err : FP_EIO;
        for (size_t i = 0; i < n; i++)
                sq_bind_text(st, (int)i + 1, params[i]);
        if (sq_step(st) == SQ_ROW)
                *out = sq_col_int(st, 0);
        else
                err = sq_fail(tx, diag, "host count");
        sq_done(tx, st);
        return err;
}

/* Compliance as lists show it: a compliant host marked for catch-up counts as noncompliant. */
#define HOST_COMPL_SQL "(CASE WHEN h.compliance = 1 AND h.catchup != '[]' THEN 2 ELSE h.compliance END)"

/* ORDER BY of the host list: the chosen column, then the id (a total order for paging). */
static enum fp_err host_order(struct fp_buf *q, const struct fp_host_filter *f)
{
        static const char *const cols[] = {
            [FP_HOST_SORT_ID] = "h.id", [FP_HOST_SORT_HOSTNAME] = "h.hostname",
            [FP_HOST_SORT_ACCOUNT] = "h.account", [FP_HOST_SORT_REGION] = "h.region",
            [FP_HOST_SORT_ZONE] = HOST_ZONE_SQL, [FP_HOST_SORT_OS] = "h.os_id || ':' || h.os_release",
            [FP_HOST_SORT_LAST_SEEN] = "h.last_seen",
            [FP_HOST_SORT_COMPLIANCE] = HOST_COMPL_SQL,
            [FP_HOST_SORT_RISK] = "(h.kev * 1000000 + h.overdue * 10000 + h.sev5 * 100 + h.sev4)"};
        unsigned s = (unsigned)f->sort < sizeof(cols) / sizeof(cols[0]) ? (unsigned)f->sort : 0;
        const char *dir = f->desc ? " DESC" : "";
        if (s == FP_HOST_SORT_ID)
                return fp_buf_addf(q, " ORDER BY h.id%s", dir);
        return fp_buf_addf(q, " ORDER BY %s%s, h.id%s", cols[s], dir, dir);
}

enum fp_err sq_core_host_list(struct fp_tx *tx, const struct fp_host_filter *f, fp_host_cb cb,
                             void *ctx, struct fp_diag *diag)
{
        struct fp_buf q;
        fp_buf_init(&q, 64 * 1024);
        enum fp_err err = fp_buf_addstr(&q, "SELECT " HOST_COLS " FROM hosts h WHERE 1 = 1");
        /* Parameters in order; all text except the integers noted. */
        const char *sparams[FP_MAX_PAGE + 2 * FP_MAX_TAGS + 8];
        size_t ns = 0;
        if (f->accounts) {
                if (f->account_count == 0 || f->account_count > FP_MAX_PAGE) {
                        fp_buf_release(&q);
                        return f->account_count == 0 ? FP_OK : FP_ELIMIT;
                }
                err = fp_buf_addstr(&q, " AND h.account IN (");
                for (size_t i = 0; err == FP_OK && i < f->account_count; i++) {
                        err = fp_buf_addstr(&q, i ? ",?" : "?");
                        sparams[ns++] = f->accounts[i];
                }
                if (err == FP_OK)
                        err = fp_buf_addstr(&q, ")");
        }
        if (err == FP_OK && f->account) {
                err = fp_buf_addstr(&q, " AND h.account = ?");
                sparams[ns++] = f->account;
        }
        if (err == FP_OK && f->region) {
                err = fp_buf_addstr(&q, " AND h.region = ?");
                sparams[ns++] = f->region;
        }
        if (err == FP_OK && f->os) {
                err = fp_buf_addstr(&q, " AND (h.os_id = ? OR h.os_id || ':' || h.os_release = ?)");
                sparams[ns++] = f->os;
                sparams[ns++] = f->os;
        }
        for (size_t i = 0; err == FP_OK && i < f->tag_count && i < FP_MAX_TAGS; i++) {
                err = fp_buf_addstr(&q, " AND EXISTS (SELECT 1 FROM host_tags t WHERE"
                                        " t.host = h.id AND t.key = ? AND t.value = ?)");
                sparams[ns++] = f->tags[i].key;
                sparams[ns++] = f->tags[i].value;
        }
        /* instr(lower()) rather than LIKE: the search text needs no escaping of % and _ */
        if (err == FP_OK && f->search && *f->search) {
                err = fp_buf_addstr(&q, " AND instr(lower(h.hostname), lower(?)) > 0");
                sparams[ns++] = f->search;
        }
        if (err == FP_OK && f->zone) {
                err = fp_buf_addstr(&q, " AND " HOST_ZONE_SQL " = ?");
                sparams[ns++] = f->zone;
        }
        if (err == FP_OK && f->seen_after > 0)
                err = fp_buf_addf(&q, " AND h.last_seen >= %lld", (long long)f->seen_after);
        if (err == FP_OK && f->compliance >= 0)
                err = fp_buf_addf(&q,
                                  " AND (CASE WHEN h.compliance = %d AND h.catchup != '[]'"
                                  " THEN %d ELSE h.compliance END) = %d",
                                  (int)FP_COMPL_COMPLIANT, (int)FP_COMPL_NONCOMPLIANT,
                                  f->compliance);
        if (err == FP_OK && f->catchup)
                err = fp_buf_addstr(&q, f->catchup == 1 ? " AND h.catchup <> '[]'"
                                                        : " AND h.catchup = '[]'");
        if (err == FP_OK && f->count_out)
                err = host_count(tx, fp_buf_str(&q), sparams, ns, f->count_out, diag);
        if (err == FP_OK && f->after_id) {
                err = fp_buf_addstr(&q, " AND h.id > ?");
                sparams[ns++] = f->after_id;
        }
        if (err == FP_OK)
                err = host_order(&q, f);
        if (err == FP_OK && f->limit > 0)
                err = fp_buf_addf(&q, " LIMIT %zu", f->limit);
        if (err == FP_OK && f->offset > 0)
                err = fp_buf_addf(&q, "%s OFFSET %zu", f->limit > 0 ? "" : " LIMIT -1", f->offset);
        if (err != FP_OK) {
                fp_buf_release(&q);
                return err;
        }
        struct sq_stmt *st = NULL;
        if (!(st = sq_prepare(tx, fp_buf_str(&q), false))) {
                fp_buf_release(&q);
                return sq_fail(tx, diag, "host list");
        }
        fp_buf_release(&q);
        for (size_t i = 0; i < ns; i++)
                sq_bind_text(st, (int)i + 1, sparams[i]);
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                struct fp_host_rec h;
                host_row(tx, st, &h);
                if (!cb(ctx, &h)) {
                        rc = SQ_DONE;
                        break;
                }
        }
        err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "host list");
        sq_done(tx, st);
        return err;
}

/* ---- jobs ---- */

/* Lists leave the log out (up to FP_MAX_JOB_LOG per job): JOB_COLS_LIST selects '' for it. */
#define JOB_COLS_BASE                                                                              \
        "id, host, account, type, params, detail, created_by, status, created, delivered,"         \
        " finished, updated, phase, result, log_truncated"
#define JOB_COLS JOB_COLS_BASE ", log"
#define JOB_COLS_LIST JOB_COLS_BASE ", ''"

static void job_row(struct fp_tx *tx, struct sq_stmt *st, struct fp_job_rec *j)
{
        memset(j, 0, sizeof(*j));
        j->id = sq_col_str0(tx, st, 0);
        j->host = sq_col_str0(tx, st, 1);
        j->account = sq_col_str0(tx, st, 2);
        j->type = sq_col_str0(tx, st, 3);
        j->params_json = sq_col_str0(tx, st, 4);
        j->detail = sq_col_str(tx, st, 5);
        j->created_by = sq_col_str0(tx, st, 6);
        j->status = (enum fp_job_status)sq_col_int(st, 7);
        j->created = sq_col_int(st, 8);
        j->delivered = sq_col_int(st, 9);
        j->finished = sq_col_int(st, 10);
        j->updated = sq_col_int(st, 11);
        j->phase = sq_col_str0(tx, st, 12);
        j->result_json = sq_col_str(tx, st, 13);
        j->log_truncated = sq_col_int(st, 14) != 0;
        j->log = sq_col_str0(tx, st, 15);
}

enum fp_err sq_core_job_create(struct fp_tx *tx, const struct fp_job_rec *j, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO jobs (id, host, account, type, params, status,"
                                  " created_by, created) VALUES (?,?,?,?,?,0,?,?)";
        return sq_run(tx, sq_stmt(tx, ins, true, "ssssssi", j->id, j->host, j->account, j->type,
                            j->params_json ? j->params_json : "{}",
                            j->created_by ? j->created_by : "", j->created),
                   NULL, diag, "job insert");
}

enum fp_err sq_core_job_get(struct fp_tx *tx, const char *id, struct fp_job_rec *out,
                           struct fp_diag *diag)
{
        static const char sel[] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "job");
        int rc = sq_step(st);
        if (rc == SQ_ROW)
                job_row(tx, st, out);
        sq_done(tx, st);
        if (rc == SQ_ROW)
                return FP_OK;
        return rc == SQ_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "job");
}

/* Step st to the end, one job record per row to cb; finalizes st. */
static enum fp_err job_rows(struct fp_tx *tx, struct sq_stmt *st, fp_job_cb cb, void *ctx,
                            struct fp_diag *diag)
{
        if (!st)
                return sq_fail(tx, diag, "jobs");
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                struct fp_job_rec j;
                job_row(tx, st, &j);
                if (!cb(ctx, &j)) {
                        rc = SQ_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "jobs");
        sq_done(tx, st);
        return err;
}

enum fp_err sq_core_job_pending(struct fp_tx *tx, const char *host, fp_job_cb cb, void *ctx,
                               struct fp_diag *diag)
{
#define PENDING_SQL                                                                                \
        "SELECT " JOB_COLS_LIST " FROM jobs WHERE host = ? AND status < 3 ORDER BY created, id LIMIT 100"
        static const char sel[] = PENDING_SQL;
        /* PostgreSQL, in a write transaction (a delivery): the jobs are claimed row by row,
         * and a row another replica's delivery holds is skipped, not waited for nor delivered
         * twice (writers follow one another today: this is the claim's own guarantee) */
        static const char claim_pg[] = PENDING_SQL " FOR UPDATE SKIP LOCKED";
#undef PENDING_SQL
        return job_rows(tx, sq_stmt(tx, sq_pg(tx) && tx->write ? claim_pg : sel, true, "s", host),
                        cb, ctx, diag);
}

enum fp_err sq_core_job_list_host(struct fp_tx *tx, const char *host, const char *after_id,
                                 size_t limit, fp_job_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char first[] = "SELECT " JOB_COLS_LIST " FROM jobs WHERE host = ?"
                                    " ORDER BY created DESC, id DESC LIMIT ?";
        static const char next[] =
            "SELECT " JOB_COLS_LIST " FROM jobs j WHERE host = ?1 AND (created, id) <"
            " (SELECT created, id FROM jobs WHERE id = ?2 AND host = ?1)"
            " ORDER BY created DESC, id DESC LIMIT ?3";
        static const char known[] = "SELECT 1 FROM jobs WHERE id = ? AND host = ?";
        if (limit == 0 || limit > FP_MAX_PAGE)
                limit = limit ? FP_MAX_PAGE : 100;
        if (!after_id)
                return job_rows(tx, sq_stmt(tx, first, false, "si", host, (int64_t)limit), cb, ctx,
                                diag);
        struct sq_stmt *st = sq_stmt(tx, known, true, "ss", after_id, host);
        if (!st)
                return sq_fail(tx, diag, "jobs");
        int rc = sq_step(st);
        sq_done(tx, st);
        if (rc == SQ_DONE) {
                fp_diag_set(diag, NULL, 0, "after", "no job '%.16s' on this host", after_id);
                return FP_ENOTFOUND;
        }
        if (rc != SQ_ROW)
                return sq_fail(tx, diag, "jobs");
        return job_rows(tx, sq_stmt(tx, next, false, "ssi", host, after_id, (int64_t)limit), cb, ctx,
                        diag);
}

enum fp_err sq_core_job_mark_delivered(struct fp_tx *tx, const char *id, int64_t now,
                                      struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE jobs SET status = 1, delivered = ? WHERE id = ? AND status = 0";
        return sq_run(tx, sq_stmt(tx, up, true, "is", now, id), NULL, diag, "job");
}

enum fp_err sq_core_job_finish(struct fp_tx *tx, const char *id, enum fp_job_status s,
                              const char *detail, const char *result_json, int64_t now,
                              struct fp_diag *diag)
{
        static const char up[] = "UPDATE jobs SET status = ?, detail = ?, result = ?, finished = ?"
                                 " WHERE id = ? AND status < 3";
        int n = 0;
        enum fp_err err =
            sq_run(tx, sq_stmt(tx, up, true, "issis", (int64_t)s, detail, result_json, now, id), &n, diag,
                "job");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

/* Bytes of s[0..n) that end on a UTF-8 character boundary (a log is JSON text: a cut inside
 * a character would make it invalid). */
static size_t utf8_cut(const char *s, size_t n)
{
        size_t i = n;
        while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
                i--;
        if (i == 0)
                return 0;
        unsigned char lead = (unsigned char)s[i - 1];
        size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return n - (i - 1) >= want ? n : i - 1;
}

enum fp_err sq_core_job_progress(struct fp_tx *tx, const char *id, const char *phase,
                                const char *log_chunk, int64_t now, struct fp_diag *diag)
{
        static const char sel[] = "SELECT length(CAST(log AS BLOB)), log_truncated FROM jobs"
                                  " WHERE id = ? AND status < 3";
        static const char up[] = "UPDATE jobs SET status = 2, phase = coalesce(?, phase),"
                                 " updated = ?, log = log || ?, log_truncated = ? WHERE id = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "job");
        int rc = sq_step(st);
        int64_t have = rc == SQ_ROW ? sq_col_int(st, 0) : 0;
        bool truncated = rc == SQ_ROW && sq_col_int(st, 1) != 0;
        sq_done(tx, st);
        if (rc == SQ_DONE)
                return FP_ENOTFOUND;
        if (rc != SQ_ROW)
                return sq_fail(tx, diag, "job");
        size_t len = log_chunk ? strlen(log_chunk) : 0;
        const size_t marker = sizeof(FP_JOB_LOG_MARKER) - 1;
        char *add = NULL;
        if (!truncated && len > 0) {
                /* An untruncated log stays below FP_MAX_JOB_LOG - marker, so the log with
                 * its marker never exceeds FP_MAX_JOB_LOG. */
                size_t room = FP_MAX_JOB_LOG - marker > (size_t)have
                                  ? FP_MAX_JOB_LOG - marker - (size_t)have
                                  : 0;
                if (len <= room) {
                        add = strdup(log_chunk);
                } else {
                        /* Keep the start: what fits before the marker, then the marker. */
                        room = utf8_cut(log_chunk, room);
                        add = malloc(room + marker + 1);
                        if (add) {
                                memcpy(add, log_chunk, room);
                                memcpy(add + room, FP_JOB_LOG_MARKER, marker + 1);
                        }
                        truncated = true;
                }
                if (!add)
                        return FP_ENOMEM;
        }
        enum fp_err err =
            sq_run(tx, sq_stmt(tx, up, true, "sisis", phase, now, add ? add : "", (int64_t)truncated, id),
                NULL, diag, "job progress");
        free(add);
        return err;
}

