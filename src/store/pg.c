/*
 * The PostgreSQL engine of the store (libpq): the statement driver the shared operations
 * (sql_*.c) run on, the schema of schema.c translated to PostgreSQL's types, and the
 * scheduler's leadership as a session advisory lock.
 *
 * Concurrency: a pool of connections, one per concurrently running transaction. Write
 * transactions take one transaction advisory lock (WRITE_LOCK) first, shared by every
 * replica on the database, and then run in READ COMMITTED: each statement sees everything
 * committed before it, and writers follow one another, exactly the single-writer model of
 * SQLite the operations were written for (they read and then write: a check-in's sequence
 * number, a rollout's state machine, the audit chain). Without the lock, READ COMMITTED
 * loses updates (store_test's eight threads checking in one host kept 421 of 1600), and
 * SERIALIZABLE would need a retry around every transaction's body, which callers do not
 * have. Readers take no lock and run in REPEATABLE READ: one snapshot per transaction, as
 * under SQLite's WAL, concurrently with the writer and with each other.
 *
 * Statements: the SQL text is rewritten once per connection and statement (pg_rewrite) and,
 * when the caller caches it, prepared under a name on that connection. Parameters go as text
 * with their type (text or int8) fixed by the binding. Results are read whole (PGresult), so
 * a caller may run other statements while it walks the rows, as it may under SQLite.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "store/engine.h"
#include "store/pg_signal.h"
#include "store/pg_sql.h"
#include "store/sql_int.h"

#define STMT_CACHE 160
#define OID_INT8 20
#define OID_TEXT 25
/* pg_advisory_lock keys: migrations, then one per lease name (hashed). */
#define MIGRATE_LOCK 0x66700001LL
#define WRITE_LOCK 0x66700002LL

struct pg_stmt;

/* A connection of the pool with its prepared statements (keyed by the SQL's address). */
struct pg_conn {
        struct sq_conn link;
        PGconn *db;
        struct pg_stmt *cache[STMT_CACHE];
        size_t cached;
        unsigned next_name;
        char err[512];      /* the last statement's error */
        char sqlstate[6];
};

struct pg_param {
        char *text;      /* owned copy, or points into num */
        char num[24];
        Oid type;
        bool null;
};

struct pg_stmt {
        struct sq_stmt base;
        struct pg_conn *c;
        const char *key;  /* the caller's SQL (its address keys the cache) */
        char *sql;        /* rewritten for PostgreSQL */
        int nparams;
        struct pg_param *p;
        char name[16];    /* prepared statement's name; "" until prepared */
        Oid *prep_types;  /* the types it was prepared with */
        bool cached, conflict_ok, executed;
        PGresult *res;
        int rc, row, nrows, changes;
};

/* What the store keeps besides the shared part. */
struct pg_engine {
        char *conninfo;
        pthread_mutex_t lease_mu;
        PGconn *lease_db; /* the session holding the advisory locks of leases */
        char lease_held[8][64];
        size_t leases;
        char nonce[24];                /* names this process's signals (pg_signal.c) */
        pthread_mutex_t listen_mu;
        struct pg_listener *listener;
};

static const struct sq_driver pg_driver;

static struct pg_conn *conn_of(struct fp_tx *tx)
{
        return (struct pg_conn *)(void *)tx->c;
}

static struct pg_engine *eng(struct fp_store *s)
{
        return s->engine_data;
}

/* The code of a SQLSTATE: what the caller can do about it. */
static enum fp_err state_err(const char *state)
{
        if (!strncmp(state, "23", 2))
                return FP_EEXIST;
        if (!strcmp(state, "53200"))
                return FP_ENOMEM;
        if (!strcmp(state, "42501") || !strncmp(state, "28", 2))
                return FP_EACCES;
        if (!strcmp(state, "22P02") || !strcmp(state, "22001"))
                return FP_EINVAL;
        return FP_EIO;
}

static void trim_newline(char *s)
{
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
                s[--n] = 0;
}

/* Records res's error (or the connection's) on c. */
static void note_error(struct pg_conn *c, const PGresult *res)
{
        const char *msg = res ? PQresultErrorMessage(res) : NULL;
        if (!msg || !*msg)
                msg = PQerrorMessage(c->db);
        snprintf(c->err, sizeof(c->err), "%s", msg && *msg ? msg : "PostgreSQL error");
        trim_newline(c->err);
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "08000");
}

static enum fp_err pg_fail(struct fp_tx *tx, struct fp_diag *diag, const char *what)
{
        struct pg_conn *c = conn_of(tx);
        if (!c->err[0])
                note_error(c, NULL);
        fp_diag_set(diag, tx->store->path, 0, NULL, "%s: %s", what, c->err);
        return state_err(c->sqlstate);
}

/* Runs sql (no parameters, maybe several statements); FP_OK when it did. */
static enum fp_err exec_sql(PGconn *db, const char *where, const char *sql, struct fp_diag *diag)
{
        PGresult *res = PQexec(db, sql);
        ExecStatusType rs = PQresultStatus(res);
        if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
                PQclear(res);
                return FP_OK;
        }
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                                     : PQerrorMessage(db));
        trim_newline(msg);
        enum fp_err err = state_err(state ? state : "08000");
        fp_diag_set(diag, where, 0, NULL, "%.120s: %s", sql, msg);
        PQclear(res);
        return err;
}

/* The first integer of a one-row answer, or -1. */
static long long query_int(PGconn *db, const char *sql)
{
        PGresult *res = PQexec(db, sql);
        long long v = -1;
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
                v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        return v;
}

/* ---- schema ---- */

/* What PostgreSQL needs before the first migration: the schema's version and the SQLite
 * functions the operations use. */
static const char prelude[] =
    "CREATE TABLE IF NOT EXISTS fp_schema_version (version BIGINT NOT NULL);"
    "INSERT INTO fp_schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM fp_schema_version);"
    /* json_extract(doc, '$.a.b'): the member as text, NULL when absent or not JSON */
    "CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text"
    "  LANGUAGE sql IMMUTABLE AS $$"
    "  SELECT CASE WHEN doc IS NULL OR doc = '' OR path NOT LIKE '$.%' THEN NULL"
    "  ELSE (doc::jsonb) #>> string_to_array(substr(path, 3), '.') END $$;";

static enum fp_err migrate(PGconn *db, const char *where, struct fp_diag *diag)
{
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", MIGRATE_LOCK);
        enum fp_err err = exec_sql(db, where, sql, diag); /* replicas starting together */
        if (err != FP_OK)
                return err;
        err = exec_sql(db, where, prelude, diag);
        long long version = err == FP_OK ? query_int(db, "SELECT version FROM fp_schema_version") : 0;
        long long latest = (long long)sq_migrations_n;
        if (err == FP_OK && version < 0) {
                fp_diag_set(diag, where, 0, NULL, "the schema version cannot be read");
                err = FP_ECORRUPT;
        }
        if (err == FP_OK && version > latest) {
                fp_diag_set(diag, where, 0, NULL,
                            "store schema version %lld is newer than this fleetpatchd (%lld)",
                            version, latest);
                err = FP_EUNSUPPORTED;
        }
        for (; err == FP_OK && version < latest; version++) {
                char *ddl = pg_ddl(sq_migrations[version]);
                if (!ddl) {
                        fp_diag_set(diag, where, 0, NULL,
                                    "migration %lld cannot be expressed for PostgreSQL"
                                    " (out of memory, or a trigger pg_sql.h does not know)",
                                    version + 1);
                        err = FP_EUNSUPPORTED;
                        break;
                }
                char bump[96];
                snprintf(bump, sizeof(bump), "UPDATE fp_schema_version SET version = %lld",
                         version + 1);
                err = exec_sql(db, where, "BEGIN", diag);
                if (err == FP_OK)
                        err = exec_sql(db, where, ddl, diag);
                if (err == FP_OK)
                        err = exec_sql(db, where, bump, diag);
                if (err == FP_OK)
                        err = exec_sql(db, where, "COMMIT", diag);
                if (err != FP_OK)
                        PQclear(PQexec(db, "ROLLBACK"));
                free(ddl);
        }
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", MIGRATE_LOCK);
        PQclear(PQexec(db, sql));
        return err;
}

/* ---- connections ---- */

static void stmt_free(struct pg_stmt *st);

static void conn_free(struct pg_conn *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->cached; i++)
                stmt_free(c->cache[i]);
        PQfinish(c->db);
        free(c);
}

static PGconn *connect_db(const char *conninfo, const char *where, struct fp_diag *diag,
                          enum fp_err *err)
{
        PGconn *db = PQconnectdb(conninfo);
        if (!db) {
                *err = FP_ENOMEM;
                return NULL;
        }
        if (PQstatus(db) != CONNECTION_OK) {
                char msg[512];
                snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db));
                trim_newline(msg);
                fp_diag_set(diag, where, 0, NULL, "connect: %s", msg);
                PQfinish(db);
                *err = strstr(msg, "authentication") || strstr(msg, "password") ? FP_EACCES : FP_EIO;
                return NULL;
        }
        /* integers and text exactly as the operations expect them */
        *err = exec_sql(db, where,
                        "SET client_encoding = 'UTF8'; SET standard_conforming_strings = on;"
                        " SET client_min_messages = warning",
                        diag);
        if (*err != FP_OK) {
                PQfinish(db);
                return NULL;
        }
        return db;
}

static enum fp_err conn_open(struct fp_store *s, struct pg_conn **out, struct fp_diag *diag)
{
        *out = NULL;
        struct pg_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return FP_ENOMEM;
        enum fp_err err = FP_OK;
        c->db = connect_db(eng(s)->conninfo, s->path, diag, &err);
        if (!c->db) {
                free(c);
                return err;
        }
        *out = c;
        return FP_OK;
}

static void pg_close(struct fp_store *s)
{
        while (s->idle) {
                struct pg_conn *c = (struct pg_conn *)(void *)s->idle;
                s->idle = c->link.next;
                conn_free(c);
        }
        struct pg_engine *e = eng(s);
        if (e) {
                pg_listener_stop(e->listener); /* first: its callback may use the pool */
                if (e->lease_db)
                        PQfinish(e->lease_db);
                pthread_mutex_destroy(&e->lease_mu);
                pthread_mutex_destroy(&e->listen_mu);
                free(e->conninfo);
                free(e);
        }
        pthread_mutex_destroy(&s->pool_mu);
        pthread_mutex_destroy(&s->write_mu);
        free(s);
}

/* url without its password (user:PASSWORD@ or password=), for messages. */
static void redact(const char *url, char *out, size_t n)
{
        size_t o = 0;
        const char *auth = strstr(url, "://");
        const char *at = auth ? strchr(auth + 3, '@') : NULL;
        const char *slash = auth ? strchr(auth + 3, '/') : NULL;
        const char *colon = auth ? strchr(auth + 3, ':') : NULL;
        if (!(at && (!slash || at < slash) && colon && colon < at))
                colon = at = NULL;
        for (const char *p = url; *p && o + 1 < n;) {
                if (p == colon) {
                        o += (size_t)snprintf(out + o, n - o, ":***");
                        p = at;
                } else if (!strncmp(p, "password=", 9)) {
                        o += (size_t)snprintf(out + o, n - o, "password=***");
                        p += strcspn(p, "& ");
                } else {
                        out[o++] = *p++;
                }
                if (o >= n)
                        o = n - 1;
        }
        out[o] = 0;
}

static enum fp_err pg_open(const char *url, struct fp_store **out, struct fp_diag *diag)
{
        *out = NULL;
        if (strlen(url) >= FP_DIAG_FILE_MAX * 4) {
                fp_diag_set(diag, NULL, 0, NULL, "store URL longer than %d bytes",
                            FP_DIAG_FILE_MAX * 4 - 1);
                return FP_ELIMIT;
        }
        struct fp_store *s = calloc(1, sizeof(*s));
        struct pg_engine *e = calloc(1, sizeof(*e));
        if (!s || !e || !(e->conninfo = strdup(url))) {
                free(s);
                free(e);
                return FP_ENOMEM;
        }
        s->base.engine = &fp_store_pg_engine;
        s->drv = &pg_driver;
        s->engine_data = e;
        redact(url, s->path, sizeof(s->path));
        pthread_mutex_init(&s->pool_mu, NULL);
        pthread_mutex_init(&s->write_mu, NULL);
        pthread_mutex_init(&e->lease_mu, NULL);
        pthread_mutex_init(&e->listen_mu, NULL);
        pg_signal_nonce(e->nonce);
        struct pg_conn *c = NULL;
        enum fp_err err = conn_open(s, &c, diag);
        if (err == FP_OK && PQserverVersion(c->db) < 120000) {
                fp_diag_set(diag, s->path, 0, NULL, "PostgreSQL %d is older than 12",
                            PQserverVersion(c->db) / 10000);
                err = FP_EUNSUPPORTED;
        }
        if (err == FP_OK)
                err = migrate(c->db, s->path, diag);
        if (err != FP_OK) {
                conn_free(c);
                pg_close(s);
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

/* A connection that broke (the server restarted, the network dropped) is reset before use;
 * its prepared statements went with it. */
static bool conn_usable(struct pg_conn *c)
{
        if (PQstatus(c->db) == CONNECTION_OK && PQtransactionStatus(c->db) == PQTRANS_IDLE)
                return true;
        if (PQstatus(c->db) == CONNECTION_OK) /* a transaction left open: end it */
                PQclear(PQexec(c->db, "ROLLBACK"));
        else
                PQreset(c->db);
        for (size_t i = 0; i < c->cached; i++)
                c->cache[i]->name[0] = 0;
        return PQstatus(c->db) == CONNECTION_OK;
}

/* An idle connection of the pool that still works, or a new one. */
static enum fp_err pool_take(struct fp_store *s, struct pg_conn **out, struct fp_diag *diag)
{
        pthread_mutex_lock(&s->pool_mu);
        struct sq_conn *l = s->idle;
        if (l)
                s->idle = l->next;
        pthread_mutex_unlock(&s->pool_mu);
        struct pg_conn *c = l ? (struct pg_conn *)(void *)l : NULL;
        if (c && !conn_usable(c)) {
                conn_free(c);
                c = NULL;
        }
        if (c) {
                *out = c;
                return FP_OK;
        }
        return conn_open(s, out, diag);
}

static enum fp_err pg_begin(struct fp_store *s, enum sq_tx_kind kind, struct fp_tx **out,
                            struct fp_diag *diag)
{
        bool write = kind != SQ_TX_READ;
        *out = NULL;
        struct fp_tx *tx = calloc(1, sizeof(*tx));
        if (!tx)
                return FP_ENOMEM;
        tx->base.engine = &fp_store_pg_engine;
        fp_arena_init(&tx->base.arena);
        tx->store = s;
        tx->write = write;
        struct pg_conn *c = NULL;
        enum fp_err err = pool_take(s, &c, diag);
        tx->c = c ? &c->link : NULL;
        if (err != FP_OK || !tx->c) {
                free(tx);
                return err != FP_OK ? err : FP_ENOMEM;
        }
        conn_of(tx)->err[0] = 0;
        if (kind == SQ_TX_ROWS) { /* no block: each statement commits on its own */
                tx->rows = true;
                *out = tx;
                return FP_OK;
        }
        /* one round trip: the BEGIN and, for a writer, the wait for its turn */
        char begin[128];
        snprintf(begin, sizeof(begin),
                 write ? "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(%lld)"
                       : "BEGIN ISOLATION LEVEL REPEATABLE READ",
                 WRITE_LOCK);
        err = exec_sql(conn_of(tx)->db, s->path, begin, diag);
        if (err != FP_OK) {
                pool_put(s, tx->c);
                free(tx);
                return err;
        }
        *out = tx;
        return FP_OK;
}

static void clear_results(struct pg_conn *c)
{
        for (size_t i = 0; i < c->cached; i++) {
                PQclear(c->cache[i]->res);
                c->cache[i]->res = NULL;
                c->cache[i]->executed = false;
        }
}

static void tx_end(struct fp_tx *tx)
{
        clear_results(conn_of(tx));
        pool_put(tx->store, tx->c);
        fp_arena_release(&tx->base.arena);
        free(tx);
}

static void pg_rollback(struct fp_tx *tx)
{
        if (!tx->rows)
                PQclear(PQexec(conn_of(tx)->db, "ROLLBACK"));
        tx_end(tx);
}

static enum fp_err pg_commit(struct fp_tx *tx, struct fp_diag *diag)
{
        struct pg_conn *c = conn_of(tx);
        if (tx->rows) { /* every statement committed already (or said why not) */
                tx_end(tx);
                return FP_OK;
        }
        PGresult *res = PQexec(c->db, "COMMIT");
        /* a transaction that failed earlier answers COMMIT with ROLLBACK: not committed */
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(res), "COMMIT");
        if (!ok) {
                if (PQresultStatus(res) != PGRES_COMMAND_OK)
                        note_error(c, res);
                else if (!c->err[0])
                        snprintf(c->err, sizeof(c->err), "the transaction failed earlier");
                PQclear(res);
                enum fp_err err = pg_fail(tx, diag, "commit");
                pg_rollback(tx);
                return err;
        }
        PQclear(res);
        tx_end(tx);
        return FP_OK;
}

static enum fp_err pg_ping(struct fp_store *s, struct fp_diag *diag)
{
        struct fp_tx *tx;
        enum fp_err err = pg_begin(s, SQ_TX_READ, &tx, diag);
        if (err != FP_OK)
                return err;
        err = exec_sql(conn_of(tx)->db, s->path, "SELECT count(*) FROM accounts", diag);
        pg_rollback(tx);
        return err;
}

/* ---- statements ---- */

static struct pg_stmt *pgs(struct sq_stmt *st)
{
        return (struct pg_stmt *)(void *)st;
}

static void params_clear(struct pg_stmt *st)
{
        for (int i = 0; i < st->nparams; i++) {
                if (st->p[i].text != st->p[i].num)
                        free(st->p[i].text);
                st->p[i].text = NULL;
                st->p[i].null = true;
                st->p[i].type = 0;
        }
}

static void stmt_free(struct pg_stmt *st)
{
        if (!st)
                return;
        params_clear(st);
        PQclear(st->res);
        free(st->p);
        free(st->prep_types);
        free(st->sql);
        free(st);
}

static struct pg_stmt *stmt_new(struct pg_conn *c, const char *key)
{
        struct pg_stmt *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        st->sql = pg_rewrite(key, &st->nparams);
        if (!st->sql) {
                free(st);
                snprintf(c->err, sizeof(c->err), "out of memory rewriting a statement");
                return NULL;
        }
        st->p = calloc((size_t)st->nparams + 1, sizeof(*st->p));
        st->prep_types = calloc((size_t)st->nparams + 1, sizeof(Oid));
        if (!st->p || !st->prep_types) {
                stmt_free(st);
                return NULL;
        }
        for (int i = 0; i < st->nparams; i++)
                st->p[i].null = true;
        st->base.drv = &pg_driver;
        st->c = c;
        st->key = key;
        return st;
}

static struct sq_stmt *pg_prepare(struct fp_tx *tx, const char *sql, bool cache)
{
        struct pg_conn *c = conn_of(tx);
        struct pg_stmt *st = NULL;
        if (cache)
                for (size_t i = 0; i < c->cached; i++)
                        if (c->cache[i]->key == sql) {
                                st = c->cache[i];
                                break;
                        }
        if (st) {
                PQclear(st->res);
                st->res = NULL;
                st->executed = false;
                params_clear(st);
        } else {
                st = stmt_new(c, sql);
                if (!st)
                        return NULL;
                if (cache && c->cached < STMT_CACHE) {
                        c->cache[c->cached++] = st;
                        st->cached = true;
                }
        }
        st->conflict_ok = false;
        st->base.tx = tx;
        return &st->base;
}

static struct pg_param *param(struct sq_stmt *s, int i)
{
        struct pg_stmt *st = pgs(s);
        if (i < 1 || i > st->nparams)
                return NULL; /* a parameter the statement does not have: as SQLite, ignored */
        struct pg_param *p = &st->p[i - 1];
        if (p->text != p->num)
                free(p->text);
        p->text = NULL;
        return p;
}

static void pg_bind_text(struct sq_stmt *s, int i, const char *v)
{
        struct pg_param *p = param(s, i);
        if (!p)
                return;
        p->type = OID_TEXT;
        p->null = !v;
        if (v && !(p->text = strdup(v)))
                p->null = true; /* out of memory: the statement fails on its NOT NULL */
}

static void pg_bind_int(struct sq_stmt *s, int i, int64_t v)
{
        struct pg_param *p = param(s, i);
        if (!p)
                return;
        p->type = OID_INT8;
        p->null = false;
        snprintf(p->num, sizeof(p->num), "%lld", (long long)v);
        p->text = p->num;
}

static void pg_bind_null_int(struct sq_stmt *s, int i)
{
        struct pg_param *p = param(s, i);
        if (!p)
                return;
        p->type = OID_INT8;
        p->null = true;
}

static void pg_expect_conflict(struct sq_stmt *s)
{
        pgs(s)->conflict_ok = true;
}

/* Runs the statement; its rows stay in st->res. */
static int stmt_exec(struct pg_stmt *st)
{
        struct pg_conn *c = st->c;
        int n = st->nparams;
        const char **vals = n ? calloc((size_t)n, sizeof(*vals)) : NULL;
        Oid *types = n ? calloc((size_t)n, sizeof(*types)) : NULL;
        if (n && (!vals || !types)) {
                free(vals);
                free(types);
                snprintf(c->err, sizeof(c->err), "out of memory");
                snprintf(c->sqlstate, sizeof(c->sqlstate), "53200");
                return SQ_ERROR;
        }
        for (int i = 0; i < n; i++) {
                vals[i] = st->p[i].null ? NULL : st->p[i].text;
                /* a number the statement skips (audit's optional clauses): text, unused */
                types[i] = st->p[i].type ? st->p[i].type : OID_TEXT;
        }
        if (st->conflict_ok)
                PQclear(PQexec(c->db, "SAVEPOINT sq_conflict"));
        PGresult *res = NULL;
        if (st->cached) {
                /* prepared once per connection; again if the bound types changed */
                bool same = st->name[0] && (!n || !memcmp(types, st->prep_types, (size_t)n * sizeof(Oid)));
                if (!same) {
                        if (st->name[0]) {
                                char dealloc[40];
                                snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", st->name);
                                PQclear(PQexec(c->db, dealloc));
                        }
                        snprintf(st->name, sizeof(st->name), "fp%u", c->next_name++);
                        PGresult *prep = PQprepare(c->db, st->name, st->sql, n, types);
                        if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
                                res = prep;
                                st->name[0] = 0;
                        } else {
                                PQclear(prep);
                                if (n)
                                        memcpy(st->prep_types, types, (size_t)n * sizeof(Oid));
                        }
                }
                if (!res)
                        res = PQexecPrepared(c->db, st->name, n, vals, NULL, NULL, 0);
        } else {
                res = PQexecParams(c->db, st->sql, n, types, vals, NULL, NULL, 0);
        }
        free(vals);
        free(types);
        ExecStatusType rs = PQresultStatus(res);
        int rc;
        if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
                st->res = res;
                st->nrows = rs == PGRES_TUPLES_OK ? PQntuples(res) : 0;
                st->row = 0;
                const char *t = PQcmdTuples(res);
                st->changes = t && *t ? atoi(t) : 0;
                rc = SQ_DONE;
        } else {
                note_error(c, res);
                PQclear(res);
                st->changes = 0;
                rc = !strncmp(c->sqlstate, "23", 2) ? SQ_CONSTRAINT : SQ_ERROR;
        }
        if (st->conflict_ok)
                PQclear(PQexec(c->db, rc == SQ_DONE ? "RELEASE SAVEPOINT sq_conflict"
                                                    : "ROLLBACK TO SAVEPOINT sq_conflict"));
        return rc;
}

static int pg_step(struct sq_stmt *s)
{
        struct pg_stmt *st = pgs(s);
        if (!st->executed) {
                st->executed = true;
                st->rc = stmt_exec(st);
        }
        if (st->rc != SQ_DONE)
                return st->rc;
        if (st->row < st->nrows) {
                st->row++;
                return SQ_ROW;
        }
        return SQ_DONE;
}

static bool has_col(struct pg_stmt *st, int i)
{
        return st->res && st->row > 0 && i >= 0 && i < PQnfields(st->res) &&
               !PQgetisnull(st->res, st->row - 1, i);
}

static int64_t pg_col_int(struct sq_stmt *s, int i)
{
        struct pg_stmt *st = pgs(s);
        if (!has_col(st, i))
                return 0;
        const char *v = PQgetvalue(st->res, st->row - 1, i);
        if (v[0] == 't' && !v[1])
                return 1; /* a boolean */
        if (v[0] == 'f' && !v[1])
                return 0;
        return strtoll(v, NULL, 10);
}

static const char *pg_col_text(struct sq_stmt *s, int i)
{
        struct pg_stmt *st = pgs(s);
        return has_col(st, i) ? PQgetvalue(st->res, st->row - 1, i) : NULL;
}

static size_t pg_col_bytes(struct sq_stmt *s, int i)
{
        struct pg_stmt *st = pgs(s);
        return has_col(st, i) ? (size_t)PQgetlength(st->res, st->row - 1, i) : 0;
}

static int pg_changes(struct sq_stmt *s)
{
        return pgs(s)->changes;
}

static void pg_done(struct sq_stmt *s)
{
        struct pg_stmt *st = pgs(s);
        if (st->cached) {
                PQclear(st->res);
                st->res = NULL;
                st->executed = false;
                params_clear(st);
                return;
        }
        stmt_free(st);
}

/* ---- generic reading and import (the dump, sql_dump.c) ---- */

static int pg_col_count(struct sq_stmt *s)
{
        struct pg_stmt *st = pgs(s);
        return st->res ? PQnfields(st->res) : 0;
}

static const char *pg_col_name(struct sq_stmt *s, int i)
{
        struct pg_stmt *st = pgs(s);
        return st->res && i >= 0 && i < PQnfields(st->res) ? PQfname(st->res, i) : NULL;
}

static int pg_col_type(struct sq_stmt *s, int i)
{
        struct pg_stmt *st = pgs(s);
        if (!st->res || i < 0 || i >= PQnfields(st->res))
                return SQ_T_NULL;
        if (st->row > 0 && PQgetisnull(st->res, st->row - 1, i))
                return SQ_T_NULL;
        switch (PQftype(st->res, i)) {
        case 20: /* int8 */
        case 21: /* int2 */
        case 23: /* int4 */
                return SQ_T_INT;
        case 700: /* float4, float8, numeric, bytea: not in the schema */
        case 701:
        case 1700:
        case 17:
                return SQ_T_OTHER;
        default:
                return SQ_T_TEXT;
        }
}

/* The identity columns (INTEGER PRIMARY KEY in schema.c) got explicit values: each sequence
 * goes past the column's largest value, so the next insert does not collide. */
static enum fp_err pg_after_import(struct fp_tx *tx, struct fp_diag *diag)
{
        return exec_sql(conn_of(tx)->db, tx->store->path,
                        "DO $$ DECLARE r record; BEGIN"
                        " FOR r IN SELECT table_name, column_name FROM information_schema.columns"
                        "  WHERE is_identity = 'YES' AND table_schema = current_schema() LOOP"
                        "  EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L),"
                        "   COALESCE(max(%I), 0) + 1, false) FROM %I',"
                        "   quote_ident(r.table_name), r.column_name, r.column_name, r.table_name);"
                        " END LOOP; END $$",
                        diag);
}

/* ---- leadership ---- */

/* Holds the session advisory lock of lease name on a connection of its own for as long as
 * this store lives: when the process dies, its session ends and PostgreSQL frees the lock at
 * once, so another replica leads from its next tick. FP_EEXIST while another session holds it.
 * *fresh: this call took the lock (whoever held the lease before is gone); false when this
 * store held it already (holders inside one process then share it by the leases row). */
static enum fp_err pg_lease(struct fp_tx *tx, const char *name, bool *fresh,
                            struct fp_diag *diag)
{
        struct fp_store *s = tx->store;
        struct pg_engine *e = eng(s);
        enum fp_err err = FP_OK;
        *fresh = false;
        pthread_mutex_lock(&e->lease_mu);
        if (e->lease_db && PQstatus(e->lease_db) != CONNECTION_OK) {
                PQfinish(e->lease_db); /* its locks went with the session */
                e->lease_db = NULL;
                e->leases = 0;
        }
        if (!e->lease_db)
                e->lease_db = connect_db(e->conninfo, s->path, diag, &err);
        bool held = false;
        for (size_t i = 0; i < e->leases; i++)
                held |= !strcmp(e->lease_held[i], name);
        if (e->lease_db && held) {
                /* still ours, if the session is still alive */
                if (query_int(e->lease_db, "SELECT 1") != 1) {
                        PQfinish(e->lease_db);
                        e->lease_db = NULL;
                        e->leases = 0;
                        fp_diag_set(diag, s->path, 0, NULL, "lease '%s': session lost", name);
                        err = FP_EIO;
                }
        } else if (e->lease_db) {
                const char *vals[1] = {name};
                PGresult *res = PQexecParams(
                    e->lease_db, "SELECT pg_try_advisory_lock(hashtextextended($1::text, 0))", 1,
                    NULL, vals, NULL, NULL, 0);
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        fp_diag_set(diag, s->path, 0, NULL, "lease '%s': %s", name,
                                    PQresultErrorMessage(res));
                        err = FP_EIO;
                } else if (strcmp(PQgetvalue(res, 0, 0), "t")) {
                        fp_diag_set(diag, NULL, 0, NULL, "lease '%s' is held by another process",
                                    name);
                        err = FP_EEXIST;
                } else {
                        *fresh = true;
                        if (e->leases < sizeof(e->lease_held) / sizeof(e->lease_held[0]))
                                snprintf(e->lease_held[e->leases++], sizeof(e->lease_held[0]),
                                         "%s", name);
                }
                PQclear(res);
        }
        pthread_mutex_unlock(&e->lease_mu);
        return err;
}

/* ---- signals between replicas (pg_signal.c) ---- */

static enum fp_err pg_signal(struct fp_store *s, const char *msg, struct fp_diag *diag)
{
        struct pg_conn *c = NULL;
        enum fp_err err = pool_take(s, &c, diag);
        if (err != FP_OK)
                return err;
        char why[256];
        if (!pg_signal_send(c->db, eng(s)->nonce, msg, why, sizeof(why))) {
                trim_newline(why);
                fp_diag_set(diag, s->path, 0, NULL, "signal: %s", why);
                err = FP_EIO;
        }
        pool_put(s, &c->link);
        return err;
}

static enum fp_err pg_listen(struct fp_store *s, fp_store_signal_cb cb, void *ctx,
                             struct fp_diag *diag)
{
        struct pg_engine *e = eng(s);
        pthread_mutex_lock(&e->listen_mu);
        pg_listener_stop(e->listener);
        e->listener = cb ? pg_listener_start(e->conninfo, e->nonce, cb, ctx) : NULL;
        bool ok = !cb || e->listener;
        pthread_mutex_unlock(&e->listen_mu);
        if (!ok)
                fp_diag_set(diag, s->path, 0, NULL, "cannot start the listener");
        return ok ? FP_OK : FP_ENOMEM;
}

static const struct sq_driver pg_driver = {
        .pg = true,
        .prepare = pg_prepare,
        .bind_text = pg_bind_text,
        .bind_int = pg_bind_int,
        .bind_null_int = pg_bind_null_int,
        .expect_conflict = pg_expect_conflict,
        .step = pg_step,
        .col_int = pg_col_int,
        .col_text = pg_col_text,
        .col_bytes = pg_col_bytes,
        .changes = pg_changes,
        .done = pg_done,
        .fail = pg_fail,
        .lease = pg_lease,
        .col_count = pg_col_count,
        .col_name = pg_col_name,
        .col_type = pg_col_type,
        .after_import = pg_after_import,
};

const struct fp_store_engine fp_store_pg_engine = {
        .name = "postgresql",
        .open = pg_open,
        .close = pg_close,
        .ping = pg_ping,
        .signal = pg_signal,
        .listen = pg_listen,
        .begin = pg_begin,
        .commit = pg_commit,
        .rollback = pg_rollback,
        SQ_ENGINE_OPS
};
