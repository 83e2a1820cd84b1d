/*
 * The SQLite engine's audit tables (include/fleetpatch/store_audit.h): audit_log (append-only
 * rows) and audit_head (one row, the signed newest entry). Schema: migration 4 in sqlite.c.
 * Scans hand out column pointers, not arena copies: a verification reads a million rows.
 */
#include <stdio.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "store/sql_int.h"

#define AUDIT_COLS "seq, time, account, actor, action, target, entry, hash, sig, key_id"

static const char *col(struct sq_stmt *st, int i)
{
        const char *v = sq_col_text(st, i);
        return v ? v : "";
}

static void fill_raw(struct sq_stmt *st, struct fp_audit_rec *r)
{
        r->seq = sq_col_int(st, 0);
        r->time = sq_col_int(st, 1);
        r->account = col(st, 2);
        r->actor = col(st, 3);
        r->action = col(st, 4);
        r->target = col(st, 5);
        r->entry = col(st, 6);
        r->entry_len = (size_t)sq_col_bytes(st, 6);
        r->hash = col(st, 7);
        r->sig = col(st, 8);
        r->key_id = col(st, 9);
}

enum fp_err sq_audit_audit_head_get(struct fp_tx *tx, struct fp_audit_head *out, struct fp_diag *diag)
{
        static const char sel[] = "SELECT seq, time, hash, sig, key_id FROM audit_head WHERE id = 1";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "");
        if (!st)
                return sq_fail(tx, diag, "audit head");
        int rc = sq_step(st);
        enum fp_err err = FP_OK;
        if (rc == SQ_ROW) {
                out->seq = sq_col_int(st, 0);
                out->time = sq_col_int(st, 1);
                out->hash = sq_col_str0(tx, st, 2);
                out->sig = sq_col_str0(tx, st, 3);
                out->key_id = sq_col_str0(tx, st, 4);
        } else {
                err = rc == SQ_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "audit head");
        }
        sq_done(tx, st);
        return err;
}

enum fp_err sq_audit_audit_append(struct fp_tx *tx, const struct fp_audit_rec *r,
                            const struct fp_audit_head *head, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO audit_log (" AUDIT_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?)";
        struct sq_stmt *st = sq_stmt(tx, ins, true, "iissssssss", r->seq, r->time, r->account,
                                   r->actor, r->action, r->target, r->entry, r->hash, r->sig,
                                   r->key_id);
        if (!st)
                return sq_fail(tx, diag, "audit insert");
        int rc = sq_step_new(st);
        sq_done(tx, st);
        if (rc == SQ_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, NULL, "audit entry %lld exists already",
                            (long long)r->seq);
                return FP_EEXIST;
        }
        if (rc != SQ_DONE)
                return sq_fail(tx, diag, "audit insert");
        return head ? sq_audit_audit_head_put(tx, head, diag) : FP_OK;
}

enum fp_err sq_audit_audit_head_put(struct fp_tx *tx, const struct fp_audit_head *head,
                                    struct fp_diag *diag)
{
        static const char up[] =
                "INSERT INTO audit_head (id, seq, time, hash, sig, key_id) VALUES (1,?,?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, time = excluded.time,"
                " hash = excluded.hash, sig = excluded.sig, key_id = excluded.key_id";
        return sq_run(tx, sq_stmt(tx, up, true, "iisss", head->seq, head->time, head->hash,
                                  head->sig, head->key_id),
                      NULL, diag, "audit head");
}

static enum fp_err each(struct fp_tx *tx, struct sq_stmt *st, fp_audit_cb cb, void *ctx,
                        struct fp_diag *diag, const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc;
        struct fp_audit_rec r;
        while ((rc = sq_step(st)) == SQ_ROW) {
                fill_raw(st, &r);
                if (!cb(ctx, &r)) {
                        rc = SQ_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, what);
        sq_done(tx, st);
        return err;
}

enum fp_err sq_audit_audit_list(struct fp_tx *tx, const struct fp_audit_filter *f, fp_audit_cb cb,
                          void *ctx, struct fp_diag *diag)
{
        /* Only the clauses in use: a "? IS NULL OR" form would keep SQLite off the indexes. */
        char sql[1024];
        size_t n = (size_t)snprintf(sql, sizeof(sql), "SELECT " AUDIT_COLS " FROM audit_log WHERE 1 = 1");
        size_t alen = f->action ? strlen(f->action) : 0;
        bool prefix = alen && f->action[alen - 1] == '.';
#define ADD(cond, text)                                                                            \
        if (cond)                                                                                  \
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s", text)
        ADD(f->account, " AND account = ?1");
        ADD(f->accounts_json, " AND (account = '' OR account IN (SELECT value FROM json_each(?2)))");
        ADD(f->no_org, " AND account <> ''");
        ADD(f->actor, " AND actor = ?3");
        ADD(f->action && !prefix, " AND action = ?4");
        ADD(f->action && prefix, " AND substr(action, 1, CAST(?5 AS INTEGER)) = ?4");
        ADD(f->from, " AND time >= ?6");
        ADD(f->to, " AND time <= ?7");
        ADD(f->seq_min, " AND seq >= ?8");
        ADD(f->seq_max, " AND seq <= ?9");
        ADD(true, f->ascending ? " ORDER BY seq ASC" : " ORDER BY seq DESC");
        ADD(f->limit, " LIMIT ?10");
#undef ADD
        struct sq_stmt *st = NULL;
        if (!(st = sq_prepare(tx, sql, false)))
                return sq_fail(tx, diag, "audit list");
        if (f->account)
                sq_bind_text(st, 1, f->account);
        if (f->accounts_json)
                sq_bind_text(st, 2, f->accounts_json);
        if (f->actor)
                sq_bind_text(st, 3, f->actor);
        if (f->action)
                sq_bind_text(st, 4, f->action);
        if (prefix)
                sq_bind_int(st, 5, (int64_t)alen);
        if (f->from)
                sq_bind_int(st, 6, f->from);
        if (f->to)
                sq_bind_int(st, 7, f->to);
        if (f->seq_min)
                sq_bind_int(st, 8, f->seq_min);
        if (f->seq_max)
                sq_bind_int(st, 9, f->seq_max);
        if (f->limit)
                sq_bind_int(st, 10, (int64_t)f->limit);
        return each(tx, st, cb, ctx, diag, "audit list");
}

enum fp_err sq_audit_audit_scan(struct fp_tx *tx, int64_t seq_min, fp_audit_cb cb, void *ctx,
                          struct fp_diag *diag)
{
        static const char sel[] = "SELECT " AUDIT_COLS " FROM audit_log WHERE seq >= ? ORDER BY seq";
        return each(tx, sq_stmt(tx, sel, true, "i", seq_min), cb, ctx, diag, "audit scan");
}

enum fp_err sq_audit_audit_get(struct fp_tx *tx, int64_t seq, struct fp_audit_rec *out,
                         struct fp_diag *diag)
{
        static const char sel[] = "SELECT " AUDIT_COLS " FROM audit_log WHERE seq = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "i", seq);
        if (!st)
                return sq_fail(tx, diag, "audit get");
        int rc = sq_step(st);
        enum fp_err err = FP_OK;
        if (rc == SQ_ROW) {
                fill_raw(st, out);
                out->account = sq_col_str0(tx, st, 2);
                out->actor = sq_col_str0(tx, st, 3);
                out->action = sq_col_str0(tx, st, 4);
                out->target = sq_col_str0(tx, st, 5);
                out->entry = sq_col_str0(tx, st, 6);
                out->hash = sq_col_str0(tx, st, 7);
                out->sig = sq_col_str0(tx, st, 8);
                out->key_id = sq_col_str0(tx, st, 9);
        } else {
                err = rc == SQ_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "audit get");
        }
        sq_done(tx, st);
        return err;
}

enum fp_err sq_audit_audit_range(struct fp_tx *tx, int64_t from, int64_t to, int64_t *first,
                           int64_t *last, struct fp_diag *diag)
{
        static const char sel[] = "SELECT coalesce(min(seq), 1), coalesce(max(seq), 0)"
                                  " FROM audit_log WHERE time >= ? AND time <= ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "ii", from, to);
        if (!st)
                return sq_fail(tx, diag, "audit range");
        int rc = sq_step(st);
        if (rc == SQ_ROW) {
                *first = sq_col_int(st, 0);
                *last = sq_col_int(st, 1);
        }
        enum fp_err err = rc == SQ_ROW ? FP_OK : sq_fail(tx, diag, "audit range");
        sq_done(tx, st);
        return err;
}
