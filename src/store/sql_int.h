/*
 * Internals shared by the SQL engines' files: the operations are written once (sql_core.c:
 * the core tables; sql_orch.c: orchestration; sql_<area>.c: the later areas) against the
 * statement interface below, which sqlite.c and pg.c implement. Not part of the store's
 * interface.
 */
#ifndef FP_STORE_SQL_INT_H
#define FP_STORE_SQL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/engine.h"

/*
 * The SQL the operations are written in is the subset both engines accept:
 *   - parameters are ? or ?N (the PostgreSQL engine rewrites them to $N);
 *   - INSERT OR IGNORE (rewritten to ON CONFLICT DO NOTHING), never INSERT OR REPLACE
 *     (write ON CONFLICT (key) DO UPDATE SET ... = excluded....);
 *   - json_each(X) yields the members of a JSON array as value (rewritten to
 *     json_array_elements_text); json_extract(doc, '$.a.b') for one member (a function the
 *     PostgreSQL schema defines); LIMIT -1 for no limit;
 *   - integers are 64-bit; a comparison is not an integer (write CASE WHEN ... THEN 1 ELSE 0);
 *   - words reserved in PostgreSQL (user, window) are written in double quotes.
 * Text sorts bytewise in both (PostgreSQL columns are COLLATE "C").
 */

/* The schema, one migration per element (schema.c). */
extern const char *const sq_migrations[];
extern const size_t sq_migrations_n;

/* What sq_step answers. */
enum { SQ_ERROR = 1, SQ_CONSTRAINT = 19, SQ_ROW = 100, SQ_DONE = 101 };

struct sq_stmt;

/* One engine's statements: sqlite.c and pg.c each fill one. */
struct sq_driver {
        bool pg; /* the dialect, for the few statements written twice */
        struct sq_stmt *(*prepare)(struct fp_tx *tx, const char *sql, bool cache);
        void (*bind_text)(struct sq_stmt *st, int i, const char *v); /* NULL binds NULL */
        void (*bind_int)(struct sq_stmt *st, int i, int64_t v);
        void (*bind_null_int)(struct sq_stmt *st, int i);
        void (*expect_conflict)(struct sq_stmt *st);
        int (*step)(struct sq_stmt *st);
        int64_t (*col_int)(struct sq_stmt *st, int i);
        const char *(*col_text)(struct sq_stmt *st, int i); /* NULL for NULL */
        size_t (*col_bytes)(struct sq_stmt *st, int i);
        int (*changes)(struct sq_stmt *st);
        void (*done)(struct sq_stmt *st);
        enum fp_err (*fail)(struct fp_tx *tx, struct fp_diag *diag, const char *what);
        /* Leadership beyond the leases table (PostgreSQL: a session advisory lock); FP_OK
         * while this store holds name (*fresh: taken by this call), FP_EEXIST while another
         * does. NULL: the table alone. */
        enum fp_err (*lease)(struct fp_tx *tx, const char *name, bool *fresh,
                             struct fp_diag *diag);
        /* Generic reading, for the dump (sql_dump.c): the statement's columns (valid once it
         * was stepped), a column's name, and the type of a value of the current row (SQ_T_*;
         * with no current row, the column's declared type where the engine knows it, i.e.
         * PostgreSQL, else SQ_T_NULL). */
        int (*col_count)(struct sq_stmt *st);
        const char *(*col_name)(struct sq_stmt *st, int i);
        int (*col_type)(struct sq_stmt *st, int i);
        /* After an import wrote explicit ids, in the import's transaction (PostgreSQL: the
         * identity sequences move past the largest id). NULL: nothing to do. */
        enum fp_err (*after_import)(struct fp_tx *tx, struct fp_diag *diag);
};

/* What col_type answers. */
enum { SQ_T_NULL = 0, SQ_T_INT = 1, SQ_T_TEXT = 2, SQ_T_OTHER = 3 };

/* Every engine's statement starts with this. */
struct sq_stmt {
        const struct sq_driver *drv;
        struct fp_tx *tx;
};

/* A pooled connection; an engine's own connection starts with this. */
struct sq_conn {
        struct sq_conn *next;
};

struct fp_store {
        struct fp_store_base base;
        const struct sq_driver *drv;
        char path[FP_DIAG_FILE_MAX]; /* the SQLite file, or the PostgreSQL URL without secrets */
        pthread_mutex_t pool_mu;
        pthread_mutex_t write_mu; /* SQLite: one writer at a time in this process */
        struct sq_conn *idle;
        void *engine_data; /* what the engine keeps besides (pg.c: its connection string) */
};

struct fp_tx {
        struct fp_tx_base base;
        struct fp_store *store;
        struct sq_conn *c;
        bool write;
        bool rows; /* fp_store_begin_rows: on PostgreSQL no transaction block (autocommit) */
};

static inline bool sq_pg(const struct fp_tx *tx)
{
        return tx->store->drv->pg;
}

/* Prepare (cached when cache: sql must then be a static string) without binding; NULL when
 * preparing failed (sq_fail says why). */
static inline struct sq_stmt *sq_prepare(struct fp_tx *tx, const char *sql, bool cache)
{
        return tx->store->drv->prepare(tx, sql, cache);
}
static inline void sq_bind_text(struct sq_stmt *st, int i, const char *v)
{
        st->drv->bind_text(st, i, v);
}
static inline void sq_bind_int(struct sq_stmt *st, int i, int64_t v)
{
        st->drv->bind_int(st, i, v);
}
static inline int sq_step(struct sq_stmt *st)
{
        return st->drv->step(st);
}
/* Step an insert whose key may be taken: SQ_CONSTRAINT then, and the transaction goes on
 * (PostgreSQL: under a savepoint). */
static inline int sq_step_new(struct sq_stmt *st)
{
        st->drv->expect_conflict(st);
        return st->drv->step(st);
}
static inline int64_t sq_col_int(struct sq_stmt *st, int i)
{
        return st->drv->col_int(st, i);
}
static inline const char *sq_col_text(struct sq_stmt *st, int i)
{
        return st->drv->col_text(st, i);
}
static inline size_t sq_col_bytes(struct sq_stmt *st, int i)
{
        return st->drv->col_bytes(st, i);
}
static inline int sq_changes(struct sq_stmt *st)
{
        return st->drv->changes(st);
}

/* Prepare (cached) and bind: fmt has one letter per parameter: s = const char * (NULL binds
 * NULL), i = int64_t, u = int64_t where 0 binds NULL. NULL when preparing failed. */
struct sq_stmt *sq_stmt(struct fp_tx *tx, const char *sql, bool cache, const char *fmt, ...);
/* Ends a statement: a cached one is reset, another one freed. NULL is ignored. */
void sq_done(struct fp_tx *tx, struct sq_stmt *st);
/* Run a statement that returns no rows; *changes = rows changed (may be NULL). */
enum fp_err sq_run(struct fp_tx *tx, struct sq_stmt *st, int *changes, struct fp_diag *diag,
                   const char *what);
/* The connection's last error as a diag and an fp_err. */
static inline enum fp_err sq_fail(struct fp_tx *tx, struct fp_diag *diag, const char *what)
{
        return tx->store->drv->fail(tx, diag, what);
}
/* Column text copied into the transaction's arena (NULL for NULL; sq_col_str0: ""). */
const char *sq_col_str(struct fp_tx *tx, struct sq_stmt *st, int i);
const char *sq_col_str0(struct fp_tx *tx, struct sq_stmt *st, int i);

/* Fills the record at out from the statement's current row. */
typedef void (*sq_fill_fn)(struct fp_tx *tx, struct sq_stmt *st, void *out);

/* One row of st (NULL: preparing failed) into *out via fill; FP_ENOTFOUND when there is none.
 * Ends st (sq_done). */
static inline enum fp_err sq_one_row(struct fp_tx *tx, struct sq_stmt *st, sq_fill_fn fill, void *out,
                                     struct fp_diag *diag, const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc = sq_step(st);
        if (rc == SQ_ROW)
                fill(tx, st, out);
        enum fp_err err = rc == SQ_ROW    ? FP_OK
                          : rc == SQ_DONE ? FP_ENOTFOUND
                                              : sq_fail(tx, diag, what);
        sq_done(tx, st);
        return err;
}

/* An insert whose primary key may be taken: FP_EEXIST then, with "<what> exists already". */
static inline enum fp_err sq_insert_new(struct fp_tx *tx, struct sq_stmt *st, struct fp_diag *diag,
                                        const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc = sq_step_new(st);
        sq_done(tx, st);
        if (rc == SQ_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, NULL, "%s exists already", what);
                return FP_EEXIST;
        }
        return rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, what);
}

/* An update or delete of one named row: FP_ENOTFOUND when it changed none. */
static inline enum fp_err sq_changed_one(enum fp_err err, int n)
{
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

/* The orchestration operations (sql_orch.c), named sq_orch_<op>. */
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

/* The core operations (sql_core.c), named sq_core_<op>. */
#define FP_SQ_CORE_DECL(name, params, args) enum fp_err sq_core_##name params;
FP_STORE_TX_OPS(FP_SQ_CORE_DECL)
#undef FP_SQ_CORE_DECL

/* The operation members of an engine table: the same for every SQL engine. */
#define SQ_ENGINE_OP_INIT(name, params, args) .name = sq_core_##name,
#define SQ_ORCH_OP_INIT(name, params, args) .name = sq_orch_##name,
#define SQ_AUDIT_OP_INIT(name, params, args) .name = sq_audit_##name,
#define SQ_NOTIFY_OP_INIT(name, params, args) .name = sq_notify_##name,
#define SQ_COMPLY_OP_INIT(name, params, args) .name = sq_comply_##name,
#define SQ_TRACK_OP_INIT(name, params, args) .name = sq_track_##name,
#define SQ_ENGINE_OPS                                                                              \
        FP_STORE_TX_OPS(SQ_ENGINE_OP_INIT)                                                         \
        FP_STORE_ORCH_OPS(SQ_ORCH_OP_INIT)                                                         \
        FP_STORE_AUDIT_OPS(SQ_AUDIT_OP_INIT)                                                       \
        FP_STORE_NOTIFY_OPS(SQ_NOTIFY_OP_INIT)                                                     \
        FP_STORE_COMPLY_OPS(SQ_COMPLY_OP_INIT)                                                     \
        FP_STORE_TRACK_OPS(SQ_TRACK_OP_INIT)

#endif
