/* test_store.h: the store URL a server test opens, so one test source runs on both engines.
 *
 * Without FP_TEST_PG: "sqlite:DIR/NAME.db". With FP_TEST_PG (set by tests/tools/with_pg.sh):
 * a database "fpt_NAME" on that PostgreSQL cluster, created when missing, and the libpq URI
 * naming it. The same NAME gives the same database again (a test that closes and reopens a
 * store sees its data); test_store_reset drops it for a test that wants a fresh one.
 */
#ifndef FP_TEST_STORE_H
#define FP_TEST_STORE_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool test_store_pg(void)
{
        const char *pg = getenv("FP_TEST_PG");
        return pg && *pg;
}

/* Run one statement on the cluster's "postgres" database; false (with the reason on
 * stderr) when it failed, unless its SQLSTATE is ok_state. */
static inline bool test_store_pg_exec(const char *sql, const char *ok_state)
{
        PGconn *c = PQconnectdb(getenv("FP_TEST_PG"));
        bool ok = PQstatus(c) == CONNECTION_OK;
        if (ok) {
                PGresult *r = PQexec(c, sql);
                const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
                ok = PQresultStatus(r) == PGRES_COMMAND_OK || (ok_state && st && !strcmp(st, ok_state));
                if (!ok)
                        fprintf(stderr, "test_store: %s: %s", sql, PQerrorMessage(c));
                PQclear(r);
        } else {
                fprintf(stderr, "test_store: %s", PQerrorMessage(c));
        }
        PQfinish(c);
        return ok;
}

/* The URL of store NAME (letters, digits, '_') into out; false when the database could not
 * be created. */
static inline bool test_store_url(char *out, size_t n, const char *dir, const char *name)
{
        if (!test_store_pg()) {
                snprintf(out, n, "sqlite:%s/%s.db", dir, name);
                return true;
        }
        const char *pg = getenv("FP_TEST_PG");
        const char *q = strchr(pg, '?');
        char sql[200];
        snprintf(sql, sizeof(sql), "CREATE DATABASE fpt_%s", name);
        if (!test_store_pg_exec(sql, "42P04")) /* 42P04: it exists already */
                return false;
        snprintf(out, n, "postgresql:///fpt_%s%s", name, q ? q : "");
        return true;
}

/* Run sql on the store at url behind the engine's back (a test tampering with rows). */
static inline bool test_store_exec(const char *url, const char *sql)
{
        if (!strncmp(url, "sqlite:", 7)) {
                sqlite3 *db = NULL;
                bool ok = sqlite3_open(url + 7, &db) == SQLITE_OK &&
                          sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
                if (!ok)
                        fprintf(stderr, "test_store: %s: %s\n", sql, db ? sqlite3_errmsg(db) : "");
                sqlite3_close(db);
                return ok;
        }
        PGconn *c = PQconnectdb(url);
        PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
                fprintf(stderr, "test_store: %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return ok;
}

/* Drop store NAME's database (PostgreSQL) or file (SQLite), for a fresh start. */
static inline void test_store_reset(const char *dir, const char *name)
{
        char buf[400];
        if (!test_store_pg()) {
                snprintf(buf, sizeof(buf), "%s/%s.db", dir, name);
                remove(buf);
                return;
        }
        snprintf(buf, sizeof(buf), "DROP DATABASE IF EXISTS fpt_%s WITH (FORCE)", name);
        test_store_pg_exec(buf, NULL);
}

#endif
