/*
 * The audit log on its real store (SQLite, WAL, synchronous=NORMAL as fleetpatchd runs it):
 * append rate through fp_audit_append_fields (canonical text, SHA-256 chain, two Ed25519
 * signatures: entry and head) one entry per transaction (a request) and 1000 per transaction
 * (a scheduler tick), against plain inserts of the same rows into a table of the same shape
 * without hash or signature; then the verification of V entries (default 1,000,000) in chain
 * mode against one plain read of the same rows. Goals (issue 8): append >= 10,000 entries/s,
 * verify 1,000,000 entries <= 5 s. Usage: audit_bench [V] [APPEND]
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/audit.h"
#include "server/server.h"

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct fp_diag *d)
{
        fprintf(stderr, "audit_bench: %s: %s\n", what, d ? d->msg : "");
        exit(1);
}

static json_t *before_v, *after_v;

static void fields(struct fp_audit_fields *f, long i)
{
        static char target[32];
        snprintf(target, sizeof(target), "%016lx", (unsigned long)i * 2654435761UL);
        *f = (struct fp_audit_fields){.time = 1796000000 + i / 100,
                                      .actor = "user:alice",
                                      .token = "0123456789abcdef",
                                      .source = "10.20.30.40",
                                      .action = "change_request.approve",
                                      .account = "acme",
                                      .target = target,
                                      .before = before_v,
                                      .after = after_v};
}

/* n entries in transactions of batch; entries/s. */
static double append(struct fp_server *srv, long n, long batch, long *seq)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        double t0 = now_ms();
        for (long done = 0; done < n;) {
                struct fp_tx *tx;
                if (fp_store_begin(srv->store, true, &tx, &d) != FP_OK)
                        die("begin", &d);
                for (long k = 0; k < batch && done < n; k++, done++) {
                        struct fp_audit_fields f;
                        fields(&f, (*seq)++);
                        if (fp_audit_append_fields(srv, tx, &f, &d) != FP_OK)
                                die("append", &d);
                }
                if (fp_tx_commit(tx, &d) != FP_OK)
                        die("commit", &d);
        }
        return (double)n / ((now_ms() - t0) / 1e3);
}

/* The same rows, prepared once, inserted plainly (no chain, no signature); entries/s. */
static double plain(sqlite3 *db, const char *text, long n, long batch)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO plain (time, account, actor, action, target, entry, "
                               "hash, sig, key_id) VALUES (?,?,?,?,?,?,?,?,?)",
                               -1, &st, NULL) != SQLITE_OK)
                die("plain prepare", NULL);
        static const char hash[] = "9f2c1b0d5e6a7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708";
        static const char sig[] = "kq3v0Xx8Yw2Z1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789+/kq3v0Xx8Yw2Z1aBcDeFgHiJkLmNoPqRsTuVwQ==";
        double t0 = now_ms();
        for (long done = 0; done < n;) {
                sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
                for (long k = 0; k < batch && done < n; k++, done++) {
                        char target[32];
                        snprintf(target, sizeof(target), "%016lx", (unsigned long)done * 2654435761UL);
                        sqlite3_bind_int64(st, 1, 1796000000 + done / 100);
                        sqlite3_bind_text(st, 2, "acme", -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 3, "user:alice", -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 4, "change_request.approve", -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 5, target, -1, SQLITE_TRANSIENT);
                        sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 7, hash, -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 8, sig, -1, SQLITE_STATIC);
                        sqlite3_bind_text(st, 9, "0123456789abcdef", -1, SQLITE_STATIC);
                        if (sqlite3_step(st) != SQLITE_DONE)
                                die("plain insert", NULL);
                        sqlite3_reset(st);
                }
                if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                        die("plain commit", NULL);
        }
        sqlite3_finalize(st);
        return (double)n / ((now_ms() - t0) / 1e3);
}

/* One plain read of every audit row (every column touched); ms. */
static double plain_read(sqlite3 *db, long *rows)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT seq, time, account, actor, action, target, entry, hash, "
                               "sig, key_id FROM audit_log WHERE seq >= 1 ORDER BY seq",
                               -1, &st, NULL) != SQLITE_OK)
                die("read prepare", NULL);
        double t0 = now_ms();
        size_t bytes = 0;
        *rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                for (int c = 2; c < 10; c++)
                        bytes += (size_t)sqlite3_column_bytes(st, c) +
                                 (sqlite3_column_text(st, c) ? 1 : 0);
                (*rows)++;
        }
        double ms = now_ms() - t0;
        sqlite3_finalize(st);
        if (!bytes)
                die("read: no rows", NULL);
        return ms;
}

int main(int argc, char **argv)
{
        long v = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
        long n_append = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
        if (v < 1000 || v > 10000000)
                v = 1000000;
        if (n_append < 1000 || n_append > v)
                n_append = v < 100000 ? v : 100000;
        char dir[] = "/tmp/fp-auditbench-XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        char url[160], path[128], err[256];
        snprintf(path, sizeof(path), "%s/a.db", dir);
        snprintf(url, sizeof(url), "sqlite:%s", path);
        static struct fp_server srv;
        static struct fp_signkey key;
        struct fp_diag d;
        fp_diag_clear(&d);
        snprintf(srv.cfg.state_dir, sizeof(srv.cfg.state_dir), "%s", dir);
        if (fp_store_open(url, &srv.store, &d) != FP_OK)
                die("store", &d);
        if (!fp_signkey_load(dir, &key, err, sizeof(err)))
                die(err, NULL);
        srv.signkey = &key;
        before_v = json_pack("{s:s, s:b}", "state", "submitted", "review_pending", 0);
        after_v = json_pack("{s:s, s:b, s:{s:s}}", "state", "approved", "review_pending", 0,
                            "request", "comment", "ok after the CAB meeting");

        /* the reference rows: the same canonical text as a real entry */
        struct fp_audit_fields f;
        fields(&f, 0);
        unsigned char zero[FP_AUDIT_HASH_BYTES] = {0};
        char *text = fp_audit_entry_text(&f, 1, zero);
        sqlite3 *db;
        if (!text || sqlite3_open(path, &db) != SQLITE_OK)
                die("reference", NULL);
        sqlite3_busy_timeout(db, 10000);
        sqlite3_exec(db,
                     "PRAGMA synchronous = NORMAL;"
                     "CREATE TABLE plain (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
                     " account TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
                     " target TEXT NOT NULL, entry TEXT NOT NULL, hash TEXT NOT NULL,"
                     " sig TEXT NOT NULL, key_id TEXT NOT NULL);"
                     "CREATE INDEX plain_by_account ON plain (account, seq);"
                     "CREATE INDEX plain_by_time ON plain (time);",
                     NULL, NULL, NULL);
        printf("entry: %zu bytes of canonical JSON; %ld appends, %ld entries verified\n",
               strlen(text), n_append, v);

        long seq = 0, one = n_append / 10;
        double a1 = append(&srv, one, 1, &seq);
        double p1 = plain(db, text, one, 1);
        printf("append, 1 per transaction:    %8.0f entries/s   plain insert %8.0f/s   ratio "
               "%.2fx of plain (goal >= 10000/s: %s)\n",
               a1, p1, a1 / p1, a1 >= 10000 ? "met" : "NOT met");
        double ab = append(&srv, n_append, 1000, &seq);
        double pb = plain(db, text, n_append, 1000);
        printf("append, 1000 per transaction: %8.0f entries/s   plain insert %8.0f/s   ratio "
               "%.2fx of plain (goal >= 10000/s: %s)\n",
               ab, pb, ab / pb, ab >= 10000 ? "met" : "NOT met");
        sqlite3_exec(db, "DROP TABLE plain", NULL, NULL, NULL);
        double t0 = now_ms();
        if (seq < v)
                append(&srv, v - seq, 1000, &seq);
        printf("filled to %ld entries in %.1f s\n", seq, (now_ms() - t0) / 1e3);
        fp_audit_anchor(&srv);
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);

        long rows = 0;
        double read_ms = plain_read(db, &rows);
        json_t *report = NULL;
        t0 = now_ms();
        if (fp_audit_verify(&srv, false, &report, &d) != FP_OK)
                die("verify", &d);
        double ver_ms = now_ms() - t0;
        bool ok = json_is_true(json_object_get(report, "ok"));
        long entries = (long)json_integer_value(json_object_get(report, "entries"));
        double read2 = plain_read(db, &rows);
        if (read2 < read_ms)
                read_ms = read2;
        printf("verify (chain mode) of %ld entries: %.0f ms, %s   plain read of the rows %.0f ms"
               "   ratio %.2fx of the read (goal <= 5000 ms: %s)\n",
               entries, ver_ms, ok ? "ok" : "FAILED", read_ms, ver_ms / read_ms,
               ver_ms <= 5000 && entries >= 1000000 ? "met" : entries < 1000000 ? "n/a" : "NOT met");
        if (!ok) {
                char *t = json_dumps(report, JSON_COMPACT);
                fprintf(stderr, "%s\n", t ? t : "");
                free(t);
        }
        json_decref(report);
        sqlite3_close(db);
        free(text);
        json_decref(before_v);
        json_decref(after_v);
        fp_store_close(srv.store);
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "audit_bench: could not remove %s\n", dir);
        return ok ? 0 : 1;
}
