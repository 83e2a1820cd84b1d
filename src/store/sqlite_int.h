/*
 * Internals shared by the SQLite engine's files (sqlite.c: connections, transactions and the
 * core tables; sqlite_orch.c: orchestration; sqlite_<area>.c: the later areas). Not part of
 * the store's interface.
 */
#ifndef FP_STORE_SQLITE_INT_H
#define FP_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store/engine.h"

#define STMT_CACHE 128

struct conn {
        sqlite3 *db;
        struct {
                const char *sql;
                sqlite3_stmt *st;
        } cache[STMT_CACHE];
        size_t cached;
        struct conn *next;
};

struct fp_store {
        struct fp_store_base base;
        char path[FP_DIAG_FILE_MAX];
        pthread_mutex_t pool_mu;
        pthread_mutex_t write_mu;
        struct conn *idle;
};

struct fp_tx {
        struct fp_tx_base base;
        struct fp_store *store;
        struct conn *c;
        bool write;
};

/* Prepare (cached) and bind: fmt has one letter per parameter: s = const char * (NULL binds
 * NULL), i = int64_t, u = int64_t where 0 binds NULL. NULL when preparing failed. */
sqlite3_stmt *sq_stmt(struct fp_tx *tx, const char *sql, bool cache, const char *fmt, ...);
/* A statement from sq_stmt(cache=false) is finalized; a cached one is reset. */
void sq_done(struct fp_tx *tx, sqlite3_stmt *st);
/* Run a statement that returns no rows; *changes = rows changed (may be NULL). */
enum fp_err sq_run(struct fp_tx *tx, sqlite3_stmt *st, int *changes, struct fp_diag *diag,
                   const char *what);
/* The connection's last error as a diag and an fp_err. */
enum fp_err sq_fail(struct fp_tx *tx, struct fp_diag *diag, const char *what);
/* Column text copied into the transaction's arena (NULL for NULL; sq_col_str0: ""). */
const char *sq_col_str(struct fp_tx *tx, sqlite3_stmt *st, int i);
const char *sq_col_str0(struct fp_tx *tx, sqlite3_stmt *st, int i);

/* Fills the record at out from the statement's current row. */
typedef void (*sq_fill_fn)(struct fp_tx *tx, sqlite3_stmt *st, void *out);

/* One row of st (NULL: preparing failed) into *out via fill; FP_ENOTFOUND when there is none.
 * Ends st (sq_done). */
static inline enum fp_err sq_one_row(struct fp_tx *tx, sqlite3_stmt *st, sq_fill_fn fill, void *out,
                                     struct fp_diag *diag, const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                fill(tx, st, out);
        enum fp_err err = rc == SQLITE_ROW    ? FP_OK
                          : rc == SQLITE_DONE ? FP_ENOTFOUND
                                              : sq_fail(tx, diag, what);
        sq_done(tx, st);
        return err;
}

/* An insert whose primary key may be taken: FP_EEXIST then, with "<what> exists already". */
static inline enum fp_err sq_insert_new(struct fp_tx *tx, sqlite3_stmt *st, struct fp_diag *diag,
                                        const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc = sqlite3_step(st);
        sq_done(tx, st);
        if (rc == SQLITE_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, NULL, "%s exists already", what);
                return FP_EEXIST;
        }
        return rc == SQLITE_DONE ? FP_OK : sq_fail(tx, diag, what);
}

/* An update or delete of one named row: FP_ENOTFOUND when it changed none. */
static inline enum fp_err sq_changed_one(enum fp_err err, int n)
{
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

/* The orchestration operations (sqlite_orch.c), named sq_orch_<op>. */
#define FP_SQ_ORCH_DECL(name, params, args) enum fp_err sq_orch_##name params;
FP_STORE_ORCH_OPS(FP_SQ_ORCH_DECL)
#undef FP_SQ_ORCH_DECL
/* The operations of the later areas (store/ops_*.h), named sq_<area>_<op>. */
#define FP_SQ_AUDIT_DECL(name, params, args) enum fp_err sq_audit_##name params;
FP_STORE_AUDIT_OPS(FP_SQ_AUDIT_DECL)
#undef FP_SQ_AUDIT_DECL
#define FP_SQ_NOTIFY_DECL(name, params, args) enum fp_err sq_notify_##name params;
FP_STORE_NOTIFY_OPS(FP_SQ_NOTIFY_DECL)
#undef FP_SQ_NOTIFY_DECL
#define FP_SQ_COMPLY_DECL(name, params, args) enum fp_err sq_comply_##name params;
FP_STORE_COMPLY_OPS(FP_SQ_COMPLY_DECL)
#undef FP_SQ_COMPLY_DECL
#define FP_SQ_TRACK_DECL(name, params, args) enum fp_err sq_track_##name params;
FP_STORE_TRACK_OPS(FP_SQ_TRACK_DECL)
#undef FP_SQ_TRACK_DECL

#endif
