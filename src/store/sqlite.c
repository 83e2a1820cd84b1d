/*
 * The SQLite engine of the store: WAL, versioned migrations, foreign keys, busy handling, and
 * the statement driver the shared operations (sql_*.c) run on.
 *
 * Concurrency: a pool of connections (one per concurrently running transaction, reused).
 * Readers run in parallel under WAL. Writers are serialised by a mutex taken before
 * BEGIN IMMEDIATE, so a writer waits in our process instead of sleeping in SQLite's busy
 * handler (which stays on, 10 s, for other processes such as the CLI). Prepared statements
 * are cached per connection, keyed by the address of the SQL text (static strings).
 */
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"
#include "store/engine.h"
#include "store/sql_int.h"


#define STMT_CACHE 128

/* A connection of the pool, with its prepared statements (keyed by the SQL's address). */
struct lite_conn {
        struct sq_conn link;
        sqlite3 *db;
        struct {
                const char *sql;
                struct lite_stmt *st;
        } cache[STMT_CACHE];
        size_t cached;
};

struct lite_stmt {
        struct sq_stmt base;
        sqlite3_stmt *st;
        bool cached;
};

static struct lite_conn *conn_of(struct fp_tx *tx)
{
        return (struct lite_conn *)(void *)tx->c;
}

static enum fp_err sql_err(sqlite3 *db, const char *path, struct fp_diag *diag, const char *what)
{
        int code = sqlite3_errcode(db);
        fp_diag_set(diag, path, 0, NULL, "%s: %s", what, sqlite3_errmsg(db));
        if (code == SQLITE_NOMEM)
                return FP_ENOMEM;
        if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
                return FP_ECORRUPT;
        if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN)
                return FP_EACCES;
        if (code == SQLITE_CONSTRAINT)
                return FP_EEXIST;
        return FP_EIO;
}

static enum fp_err lite_fail(struct fp_tx *tx, struct fp_diag *diag, const char *what)
{
        return sql_err(conn_of(tx)->db, tx->store->path, diag, what);
}

static enum fp_err exec_sql(sqlite3 *db, const char *path, const char *sql, struct fp_diag *diag)
{
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
                return sql_err(db, path, diag, sql);
        return FP_OK;
}

static enum fp_err migrate(sqlite3 *db, const char *path, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        int version = 0;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
                return sql_err(db, path, diag, "schema version");
        if (sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        int latest = (int)sq_migrations_n;
        if (version > latest) {
                fp_diag_set(diag, path, 0, NULL,
                            "store schema version %d is newer than this fleetpatchd (%d)",
                            version, latest);
                return FP_EUNSUPPORTED;
        }
        for (; version < latest; version++) {
                char bump[64];
                snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", version + 1);
                enum fp_err err = exec_sql(db, path, "BEGIN IMMEDIATE", diag);
                if (err == FP_OK)
                        err = exec_sql(db, path, sq_migrations[version], diag);
                if (err == FP_OK)
                        err = exec_sql(db, path, bump, diag);
                if (err == FP_OK)
                        err = exec_sql(db, path, "COMMIT", diag);
                if (err != FP_OK) {
                        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
                        return err;
                }
        }
        return FP_OK;
}

static void conn_free(struct lite_conn *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->cached; i++) {
                sqlite3_finalize(c->cache[i].st->st);
                free(c->cache[i].st);
        }
        sqlite3_close(c->db);
        free(c);
}

static enum fp_err conn_open(struct fp_store *s, struct lite_conn **out, struct fp_diag *diag)
{
        *out = NULL;
        struct lite_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return FP_ENOMEM;
        if (sqlite3_open_v2(s->path, &c->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
                enum fp_err err = c->db ? sql_err(c->db, s->path, diag, "open") : FP_ENOMEM;
                conn_free(c);
                return err;
        }
        sqlite3_busy_timeout(c->db, 10000);
        enum fp_err err = exec_sql(c->db, s->path,
                                   "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", diag);
        if (err != FP_OK) {
                conn_free(c);
                return err;
        }
        *out = c;
        return FP_OK;
}

static void sqlite_close(struct fp_store *s)
{
        while (s->idle) {
                struct lite_conn *c = (struct lite_conn *)(void *)s->idle;
                s->idle = c->link.next;
                conn_free(c);
        }
        pthread_mutex_destroy(&s->pool_mu);
        pthread_mutex_destroy(&s->write_mu);
        free(s);
}

static const struct sq_driver lite_driver;

static enum fp_err sqlite_open(const char *target, struct fp_store **out, struct fp_diag *diag)
{
        struct fp_store *s = calloc(1, sizeof(*s));
        if (!s)
                return FP_ENOMEM;
        s->base.engine = &fp_store_sqlite_engine;
        s->drv = &lite_driver;
        if (strlen(target) >= sizeof(s->path)) {
                free(s);
                fp_diag_set(diag, NULL, 0, NULL, "store path longer than %zu bytes",
                            sizeof(s->path) - 1);
                return FP_ELIMIT;
        }
        snprintf(s->path, sizeof(s->path), "%s", target);
        pthread_mutex_init(&s->pool_mu, NULL);
        pthread_mutex_init(&s->write_mu, NULL);
        struct lite_conn *c = NULL;
        enum fp_err err = conn_open(s, &c, diag);
        if (err != FP_OK || !c) {
                sqlite_close(s);
                return err != FP_OK ? err : FP_ENOMEM;
        }
        err = exec_sql(c->db, s->path, "PRAGMA journal_mode = WAL", diag);
        if (err == FP_OK)
                err = migrate(c->db, s->path, diag);
        if (err != FP_OK) {
                conn_free(c);
                sqlite_close(s);
                return err;
        }
        s->idle = &c->link;
        *out = s;
        return FP_OK;
}

static void pool_put(struct fp_store *s, struct sq_conn *c)
{
        pthread_mutex_lock(&s->pool_mu);
        c->next = s->idle;
        s->idle = c;
        pthread_mutex_unlock(&s->pool_mu);
}

/* SQ_TX_ROWS is a write transaction like any: SQLite serialises every writer anyway. */
static enum fp_err sqlite_begin(struct fp_store *s, enum sq_tx_kind kind, struct fp_tx **out,
                                struct fp_diag *diag)
{
        bool write = kind != SQ_TX_READ;
        *out = NULL;
        struct fp_tx *tx = calloc(1, sizeof(*tx));
        if (!tx)
                return FP_ENOMEM;
        tx->base.engine = &fp_store_sqlite_engine;
        fp_arena_init(&tx->base.arena);
        tx->store = s;
        tx->write = write;
        pthread_mutex_lock(&s->pool_mu);
        tx->c = s->idle;
        if (tx->c)
                s->idle = tx->c->next;
        pthread_mutex_unlock(&s->pool_mu);
        enum fp_err err = FP_OK;
        if (!tx->c) {
                struct lite_conn *c = NULL;
                err = conn_open(s, &c, diag);
                tx->c = c ? &c->link : NULL;
        }
        if (err != FP_OK || !tx->c) {
                free(tx);
                return err != FP_OK ? err : FP_ENOMEM;
        }
        if (write)
                pthread_mutex_lock(&s->write_mu);
        err = exec_sql(conn_of(tx)->db, s->path, write ? "BEGIN IMMEDIATE" : "BEGIN", diag);
        if (err != FP_OK) {
                if (write)
                        pthread_mutex_unlock(&s->write_mu);
                pool_put(s, tx->c);
                free(tx);
                return err;
        }
        *out = tx;
        return FP_OK;
}

static void reset_cached(struct lite_conn *c)
{
        for (size_t i = 0; i < c->cached; i++)
                sqlite3_reset(c->cache[i].st->st);
}

static void tx_end(struct fp_tx *tx)
{
        struct fp_store *s = tx->store;
        reset_cached(conn_of(tx));
        if (tx->write)
                pthread_mutex_unlock(&s->write_mu);
        pool_put(s, tx->c);
        fp_arena_release(&tx->base.arena);
        free(tx);
}

static void sqlite_rollback(struct fp_tx *tx)
{
        reset_cached(conn_of(tx));
        sqlite3_exec(conn_of(tx)->db, "ROLLBACK", NULL, NULL, NULL);
        tx_end(tx);
}

static enum fp_err sqlite_commit(struct fp_tx *tx, struct fp_diag *diag)
{
        reset_cached(conn_of(tx));
        if (sqlite3_exec(conn_of(tx)->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                enum fp_err err = sq_fail(tx, diag, "commit");
                sqlite_rollback(tx);
                return err;
        }
        tx_end(tx);
        return FP_OK;
}

static enum fp_err sqlite_ping(struct fp_store *s, struct fp_diag *diag)
{
        struct fp_tx *tx;
        enum fp_err err = sqlite_begin(s, SQ_TX_READ, &tx, diag);
        if (err != FP_OK)
                return err;
        err = exec_sql(conn_of(tx)->db, s->path, "SELECT count(*) FROM accounts", diag);
        sqlite_rollback(tx);
        return err;
}

/* ---- statements ---- */

static struct lite_stmt *lite(struct sq_stmt *st)
{
        return (struct lite_stmt *)(void *)st;
}

static struct sq_stmt *lite_prepare(struct fp_tx *tx, const char *sql, bool cache)
{
        struct lite_conn *c = conn_of(tx);
        if (cache) {
                for (size_t i = 0; i < c->cached; i++)
                        if (c->cache[i].sql == sql) {
                                struct lite_stmt *st = c->cache[i].st;
                                sqlite3_reset(st->st);
                                sqlite3_clear_bindings(st->st);
                                st->base.tx = tx;
                                return &st->base;
                        }
        }
        struct lite_stmt *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        if (sqlite3_prepare_v3(c->db, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &st->st,
                               NULL) != SQLITE_OK) {
                free(st);
                return NULL;
        }
        st->base.drv = &lite_driver;
        st->base.tx = tx;
        if (cache && c->cached < STMT_CACHE) {
                c->cache[c->cached].sql = sql;
                c->cache[c->cached].st = st;
                c->cached++;
                st->cached = true;
        }
        return &st->base;
}

static void lite_bind_text(struct sq_stmt *st, int i, const char *v)
{
        if (v)
                sqlite3_bind_text(lite(st)->st, i, v, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(lite(st)->st, i);
}

static void lite_bind_int(struct sq_stmt *st, int i, int64_t v)
{
        sqlite3_bind_int64(lite(st)->st, i, v);
}

static void lite_bind_null_int(struct sq_stmt *st, int i)
{
        sqlite3_bind_null(lite(st)->st, i);
}

static void lite_expect_conflict(struct sq_stmt *st)
{
        (void)st; /* a failed statement leaves an SQLite transaction as it was */
}

static int lite_step(struct sq_stmt *st)
{
        int rc = sqlite3_step(lite(st)->st);
        return rc == SQLITE_ROW          ? SQ_ROW
               : rc == SQLITE_DONE       ? SQ_DONE
               : rc == SQLITE_CONSTRAINT ? SQ_CONSTRAINT
                                         : SQ_ERROR;
}

static int64_t lite_col_int(struct sq_stmt *st, int i)
{
        return sqlite3_column_int64(lite(st)->st, i);
}

static const char *lite_col_text(struct sq_stmt *st, int i)
{
        return (const char *)sqlite3_column_text(lite(st)->st, i);
}

static size_t lite_col_bytes(struct sq_stmt *st, int i)
{
        return (size_t)sqlite3_column_bytes(lite(st)->st, i);
}

static int lite_changes(struct sq_stmt *st)
{
        return sqlite3_changes(conn_of(st->tx)->db);
}

static void lite_done(struct sq_stmt *st)
{
        if (lite(st)->cached) {
                sqlite3_reset(lite(st)->st);
                return;
        }
        sqlite3_finalize(lite(st)->st);
        free(st);
}

static int lite_col_count(struct sq_stmt *st)
{
        return sqlite3_column_count(lite(st)->st);
}

static const char *lite_col_name(struct sq_stmt *st, int i)
{
        return sqlite3_column_name(lite(st)->st, i);
}

static int lite_col_type(struct sq_stmt *st, int i)
{
        switch (sqlite3_column_type(lite(st)->st, i)) {
        case SQLITE_INTEGER:
                return SQ_T_INT;
        case SQLITE_TEXT:
                return SQ_T_TEXT;
        case SQLITE_NULL:
                return SQ_T_NULL;
        default:
                return SQ_T_OTHER; /* REAL, BLOB: not in the schema */
        }
}

static const struct sq_driver lite_driver = {
        .pg = false,
        .prepare = lite_prepare,
        .bind_text = lite_bind_text,
        .bind_int = lite_bind_int,
        .bind_null_int = lite_bind_null_int,
        .expect_conflict = lite_expect_conflict,
        .step = lite_step,
        .col_int = lite_col_int,
        .col_text = lite_col_text,
        .col_bytes = lite_col_bytes,
        .changes = lite_changes,
        .done = lite_done,
        .fail = lite_fail,
        .col_count = lite_col_count,
        .col_name = lite_col_name,
        .col_type = lite_col_type,
};

const struct fp_store_engine fp_store_sqlite_engine = {
        .name = "sqlite",
        .open = sqlite_open,
        .close = sqlite_close,
        .ping = sqlite_ping,
        .begin = sqlite_begin,
        .commit = sqlite_commit,
        .rollback = sqlite_rollback,
        SQ_ENGINE_OPS
};
