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

static const char *const migrations[] = {
    "CREATE TABLE accounts (name TEXT PRIMARY KEY, display TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE account_regions ("
    "  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
    "  region TEXT NOT NULL, PRIMARY KEY (account, region));"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pwhash TEXT,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE grants ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  account TEXT NOT NULL, role INTEGER NOT NULL, PRIMARY KEY (user_id, account));"
    "CREATE TABLE hosts ("
    "  id TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES accounts(name),"
    "  hostname TEXT NOT NULL, region TEXT NOT NULL DEFAULT '',"
    "  machine_id TEXT NOT NULL DEFAULT '', os_id TEXT NOT NULL DEFAULT '',"
    "  os_release TEXT NOT NULL DEFAULT '', facts TEXT NOT NULL DEFAULT '{}',"
    "  agent_tags TEXT NOT NULL DEFAULT '{}', api_tags TEXT NOT NULL DEFAULT '{}',"
    "  inventory_hash TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL DEFAULT 0, inventory_at INTEGER NOT NULL DEFAULT 0,"
    "  last_seq INTEGER NOT NULL DEFAULT 0, seq_regressions INTEGER NOT NULL DEFAULT 0,"
    "  packages INTEGER NOT NULL DEFAULT 0, updates INTEGER NOT NULL DEFAULT 0,"
    "  security_updates INTEGER NOT NULL DEFAULT 0,"
    "  sev0 INTEGER NOT NULL DEFAULT 0, sev1 INTEGER NOT NULL DEFAULT 0,"
    "  sev2 INTEGER NOT NULL DEFAULT 0, sev3 INTEGER NOT NULL DEFAULT 0,"
    "  sev4 INTEGER NOT NULL DEFAULT 0, sev5 INTEGER NOT NULL DEFAULT 0,"
    "  kev INTEGER NOT NULL DEFAULT 0,"
    "  overdue INTEGER NOT NULL DEFAULT 0, compliance INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX hosts_by_account ON hosts (account, id);"
    "CREATE INDEX hosts_by_machine ON hosts (account, machine_id);"
    /* The inventory apart from the host row: a check-in rewrites the row, not this. */
    "CREATE TABLE host_inventory ("
    "  host TEXT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,"
    "  document TEXT NOT NULL);"
    /* Effective tags (agent tags overlaid with API tags), for filtering. */
    "CREATE TABLE host_tags ("
    "  host TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (host, key));"
    "CREATE INDEX host_tags_by_kv ON host_tags (key, value);"
    "CREATE TABLE tokens ("
    "  id TEXT PRIMARY KEY, kind INTEGER NOT NULL, hash TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,"
    "  account TEXT REFERENCES accounts(name),"
    "  host TEXT REFERENCES hosts(id) ON DELETE CASCADE,"
    "  region TEXT, tags TEXT NOT NULL DEFAULT '{}', created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL DEFAULT 0, uses_left INTEGER NOT NULL DEFAULT 0,"
    "  revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX tokens_by_user ON tokens (user_id);"
    "CREATE INDEX tokens_by_host ON tokens (host);"
    "CREATE TABLE jobs ("
    "  id TEXT PRIMARY KEY, host TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
    "  account TEXT NOT NULL, type TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}',"
    "  status INTEGER NOT NULL, detail TEXT, created_by TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL, delivered INTEGER NOT NULL DEFAULT 0,"
    "  finished INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX jobs_by_host ON jobs (host, status, created);",
    /* 2: patch execution (docs/jobs.md). RUNNING comes between delivered and succeeded, so
     * the finished states move up by one. */
    "UPDATE jobs SET status = status + 1 WHERE status >= 2;"
    "ALTER TABLE jobs ADD COLUMN phase TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE jobs ADD COLUMN result TEXT;"
    "ALTER TABLE jobs ADD COLUMN log TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE jobs ADD COLUMN log_truncated INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX jobs_by_host_newest ON jobs (host, created DESC, id DESC);"
    "ALTER TABLE hosts ADD COLUMN catchup TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE hosts ADD COLUMN catchup_since INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE hosts ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE hosts ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE hosts ADD COLUMN regress_boot TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE hosts ADD COLUMN cloned_from TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE tokens ADD COLUMN clone_of TEXT NOT NULL DEFAULT '';"
    /* What succeeded, verified jobs installed: catch-up checks inventories against it. */
    "CREATE TABLE host_installed ("
    "  host TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, arch TEXT NOT NULL, version TEXT NOT NULL, job TEXT NOT NULL,"
    "  at INTEGER NOT NULL, PRIMARY KEY (host, name, arch));"
    "CREATE INDEX host_installed_by_job ON host_installed (host, job);",
    /* 3: orchestration (docs/orchestration.md). */
    "CREATE TABLE documents ("
    "  kind INTEGER NOT NULL, account TEXT NOT NULL, name TEXT NOT NULL,"
    "  document TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (kind, account, name));"
    "CREATE TABLE change_requests ("
    "  id TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES accounts(name),"
    "  title TEXT NOT NULL, author TEXT NOT NULL, state TEXT NOT NULL,"
    "  baseline TEXT NOT NULL, window TEXT NOT NULL, document TEXT NOT NULL,"
    "  emergency INTEGER NOT NULL DEFAULT 0, review_pending INTEGER NOT NULL DEFAULT 0,"
    "  reviewed_by TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE INDEX change_requests_by_account ON change_requests (account, created DESC);"
    "CREATE TABLE cr_votes ("
    "  cr TEXT NOT NULL REFERENCES change_requests(id) ON DELETE CASCADE,"
    "  user TEXT NOT NULL, decision TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '',"
    "  at INTEGER NOT NULL, PRIMARY KEY (cr, user, decision));"
    "CREATE TABLE cr_updates ("
    "  cr TEXT NOT NULL REFERENCES change_requests(id) ON DELETE CASCADE,"
    "  host TEXT NOT NULL, name TEXT NOT NULL, arch TEXT NOT NULL, version TEXT NOT NULL,"
    "  PRIMARY KEY (cr, host, name, arch));"
    "CREATE TABLE rollouts ("
    "  cr TEXT PRIMARY KEY REFERENCES change_requests(id) ON DELETE CASCADE,"
    "  status TEXT NOT NULL, spec TEXT NOT NULL, window TEXT NOT NULL,"
    "  wave INTEGER NOT NULL, wave_count INTEGER NOT NULL, wave_done_at INTEGER NOT NULL,"
    "  failures INTEGER NOT NULL, started_total INTEGER NOT NULL,"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL, gen INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE rollout_hosts ("
    "  cr TEXT NOT NULL REFERENCES rollouts(cr) ON DELETE CASCADE, host TEXT NOT NULL,"
    "  tz TEXT NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL, grp TEXT NOT NULL,"
    "  ring INTEGER NOT NULL, wave INTEGER NOT NULL, ord INTEGER NOT NULL,"
    "  state TEXT NOT NULL, started INTEGER NOT NULL, finished INTEGER NOT NULL,"
    "  start_until INTEGER NOT NULL, attempts INTEGER NOT NULL,"
    "  job TEXT NOT NULL, rollback_job TEXT NOT NULL, PRIMARY KEY (cr, host));"
    "CREATE INDEX rollout_hosts_by_wave ON rollout_hosts (cr, wave, ord);"
    "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
    "  expires INTEGER NOT NULL);"
    "CREATE TABLE update_first_seen ("
    "  family TEXT NOT NULL, name TEXT NOT NULL, arch TEXT NOT NULL, version TEXT NOT NULL,"
    "  first_seen INTEGER NOT NULL, PRIMARY KEY (family, name, arch, version));"
    "CREATE TABLE catchup_runs ("
    "  host TEXT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,"
    "  baseline TEXT NOT NULL, state TEXT NOT NULL, job TEXT NOT NULL,"
    "  hook_job TEXT NOT NULL, since INTEGER NOT NULL, updated INTEGER NOT NULL);",
    /* 4: the audit log (docs/audit.md). The filter columns repeat members of the signed
     * entry text; the verifier checks they agree. audit_head: the newest seq and hash with
     * their own signature (an anchor for truncation, beside STATE/audit.head). */
    "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
    "  account TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,"
    "  entry TEXT NOT NULL, hash TEXT NOT NULL, sig TEXT NOT NULL, key_id TEXT NOT NULL);"
    "CREATE INDEX audit_by_account ON audit_log (account, seq);"
    "CREATE INDEX audit_by_time ON audit_log (time);"
    "CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
    "  time INTEGER NOT NULL, hash TEXT NOT NULL, sig TEXT NOT NULL, key_id TEXT NOT NULL);",
    /* 5: notifications (docs/notifications.md). */
    "CREATE TABLE notify_groups ("
    "  account TEXT NOT NULL, name TEXT NOT NULL, members TEXT NOT NULL DEFAULT '[]',"
    "  emails TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL, updated INTEGER NOT NULL,"
    "  PRIMARY KEY (account, name));"
    "CREATE TABLE notify_subs ("
    "  id TEXT PRIMARY KEY, account TEXT NOT NULL, owner_user TEXT NOT NULL,"
    "  owner_group TEXT NOT NULL, events TEXT NOT NULL, channel TEXT NOT NULL,"
    "  url TEXT NOT NULL, secret TEXT NOT NULL, recipients TEXT NOT NULL,"
    "  subject_tpl TEXT NOT NULL, body_tpl TEXT NOT NULL, created_by TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX notify_subs_by_account ON notify_subs (account, created);"
    "CREATE TABLE notify_events ("
    "  id INTEGER PRIMARY KEY, account TEXT NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL,"
    "  subject TEXT NOT NULL, data TEXT NOT NULL, created INTEGER NOT NULL,"
    "  UNIQUE (account, type, key));"
    "CREATE TABLE notify_deliveries ("
    "  id INTEGER PRIMARY KEY, event INTEGER NOT NULL REFERENCES notify_events(id),"
    "  sub TEXT NOT NULL REFERENCES notify_subs(id) ON DELETE CASCADE,"
    "  account TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    /* The worker's claim reads this partial index in order: O(batch), not O(queue). */
    "CREATE INDEX notify_deliveries_due ON notify_deliveries (next_at, id)"
    "  WHERE state IN ('pending', 'sending');"
    "CREATE INDEX notify_deliveries_by_account ON notify_deliveries (account, id DESC);",
    /* 6: compliance history and reports (docs/compliance.md): the current state per host,
     * one history row per state change (no foreign key: a deleted host's past stays), the
     * per-account daily rollup of deltas, report schedules. */
    "CREATE TABLE comply_hosts ("
    "  host TEXT PRIMARY KEY, account TEXT NOT NULL, hostname TEXT NOT NULL,"
    "  region TEXT NOT NULL, os TEXT NOT NULL, baseline TEXT NOT NULL, service TEXT NOT NULL,"
    "  service_model TEXT NOT NULL, version TEXT NOT NULL, tags TEXT NOT NULL,"
    "  since INTEGER NOT NULL, state INTEGER NOT NULL, level INTEGER NOT NULL,"
    "  m0 INTEGER NOT NULL, m1 INTEGER NOT NULL, m2 INTEGER NOT NULL, m3 INTEGER NOT NULL,"
    "  m4 INTEGER NOT NULL, m5 INTEGER NOT NULL, m6 INTEGER NOT NULL, gaps INTEGER NOT NULL,"
    "  excepted INTEGER NOT NULL, sev0 INTEGER NOT NULL, sev1 INTEGER NOT NULL,"
    "  sev2 INTEGER NOT NULL, sev3 INTEGER NOT NULL, sev4 INTEGER NOT NULL,"
    "  sev5 INTEGER NOT NULL, kev INTEGER NOT NULL, overdue INTEGER NOT NULL,"
    "  sla_min INTEGER NOT NULL, catchup INTEGER NOT NULL, reboot INTEGER NOT NULL,"
    "  evaluated INTEGER NOT NULL, boot_id TEXT NOT NULL, reboot_since INTEGER NOT NULL)"
    "  WITHOUT ROWID;" /* clustered by host: a report reads it in host order, sequentially */
    "CREATE INDEX comply_hosts_by_account ON comply_hosts (account, host);"
    "CREATE INDEX comply_hosts_by_evaluated ON comply_hosts (evaluated);"
    "CREATE TABLE comply_history ("
    "  host TEXT NOT NULL, account TEXT NOT NULL, hostname TEXT NOT NULL,"
    "  region TEXT NOT NULL, os TEXT NOT NULL, baseline TEXT NOT NULL, service TEXT NOT NULL,"
    "  service_model TEXT NOT NULL, version TEXT NOT NULL, tags TEXT NOT NULL,"
    "  since INTEGER NOT NULL, state INTEGER NOT NULL, level INTEGER NOT NULL,"
    "  m0 INTEGER NOT NULL, m1 INTEGER NOT NULL, m2 INTEGER NOT NULL, m3 INTEGER NOT NULL,"
    "  m4 INTEGER NOT NULL, m5 INTEGER NOT NULL, m6 INTEGER NOT NULL, gaps INTEGER NOT NULL,"
    "  excepted INTEGER NOT NULL, sev0 INTEGER NOT NULL, sev1 INTEGER NOT NULL,"
    "  sev2 INTEGER NOT NULL, sev3 INTEGER NOT NULL, sev4 INTEGER NOT NULL,"
    "  sev5 INTEGER NOT NULL, kev INTEGER NOT NULL, overdue INTEGER NOT NULL,"
    "  sla_min INTEGER NOT NULL, catchup INTEGER NOT NULL, reboot INTEGER NOT NULL,"
    "  PRIMARY KEY (host, since)) WITHOUT ROWID;"
    "CREATE TABLE comply_rollup ("
    "  account TEXT NOT NULL, day INTEGER NOT NULL, metric INTEGER NOT NULL,"
    "  value INTEGER NOT NULL, PRIMARY KEY (account, day, metric)) WITHOUT ROWID;"
    "CREATE TABLE comply_sla ("
    "  account TEXT NOT NULL, day INTEGER NOT NULL, due_day INTEGER NOT NULL,"
    "  value INTEGER NOT NULL, PRIMARY KEY (account, day, due_day)) WITHOUT ROWID;"
    "CREATE TABLE report_schedules ("
    "  account TEXT NOT NULL, name TEXT NOT NULL, report TEXT NOT NULL, format TEXT NOT NULL,"
    "  every_days INTEGER NOT NULL, range_days INTEGER NOT NULL, next_run INTEGER NOT NULL,"
    "  last_run INTEGER NOT NULL, last_error TEXT NOT NULL, created_by TEXT NOT NULL,"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (account, name));"
    "CREATE INDEX report_schedules_due ON report_schedules (next_run);",
    /* 7: tracking records, shared responsibility, evidence (docs/tracking.md). */
    "CREATE TABLE exposures ("
    "  host TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE, account TEXT NOT NULL,"
    "  vuln TEXT NOT NULL, package TEXT NOT NULL, arch TEXT NOT NULL,"
    "  installed TEXT NOT NULL, fixed_version TEXT NOT NULL, advisories TEXT NOT NULL,"
    "  severity TEXT NOT NULL, scheme TEXT NOT NULL, kev INTEGER NOT NULL,"
    "  sla_due INTEGER NOT NULL, exception INTEGER NOT NULL, track TEXT NOT NULL,"
    "  first_seen INTEGER NOT NULL, fixed_at INTEGER NOT NULL DEFAULT 0,"
    "  fixed_inventory TEXT NOT NULL DEFAULT '');"
    "CREATE UNIQUE INDEX exposures_open ON exposures (host, vuln, package, arch)"
    "  WHERE fixed_at = 0;"
    "CREATE INDEX exposures_by_account ON exposures (account, first_seen);"
    "CREATE INDEX exposures_by_track ON exposures (track, host);"
    "CREATE INDEX exposures_open_by_track ON exposures (track, host) WHERE fixed_at = 0;"
    "CREATE TABLE track_records ("
    "  id TEXT PRIMARY KEY, account TEXT NOT NULL, vuln TEXT NOT NULL, scope TEXT NOT NULL,"
    "  grp TEXT NOT NULL, assignee TEXT NOT NULL, state TEXT NOT NULL,"
    "  severity TEXT NOT NULL, kev INTEGER NOT NULL, sla_due INTEGER NOT NULL,"
    "  advisories TEXT NOT NULL, opened INTEGER NOT NULL, cycle INTEGER NOT NULL,"
    "  closed INTEGER NOT NULL, risk_until INTEGER NOT NULL, evidence TEXT NOT NULL,"
    "  updated INTEGER NOT NULL, UNIQUE (account, vuln, scope));"
    "CREATE TABLE track_events ("
    "  track TEXT NOT NULL REFERENCES track_records(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (track, seq));"
    "CREATE TRIGGER track_events_append_only BEFORE UPDATE ON track_events"
    "  BEGIN SELECT RAISE(ABORT, 'tracking history is append-only'); END;"
    "CREATE TABLE track_links ("
    "  track TEXT NOT NULL REFERENCES track_records(id) ON DELETE CASCADE,"
    "  cr TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (track, cr));"
    "CREATE INDEX track_links_by_cr ON track_links (cr);"
    "CREATE TABLE resolver_rules ("
    "  account TEXT PRIMARY KEY, document TEXT NOT NULL, updated_by TEXT NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE TABLE job_snapshots ("
    "  job TEXT PRIMARY KEY, host TEXT NOT NULL, before_hash TEXT NOT NULL,"
    "  before TEXT NOT NULL, finished INTEGER NOT NULL, after_hash TEXT NOT NULL,"
    "  after TEXT NOT NULL, after_at INTEGER NOT NULL);"
    "CREATE INDEX job_snapshots_pending ON job_snapshots (host) WHERE after_hash = '';",
};

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
        int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
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
                        err = exec_sql(db, path, migrations[version], diag);
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

static enum fp_err sqlite_begin(struct fp_store *s, bool write, struct fp_tx **out,
                                struct fp_diag *diag)
{
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
        enum fp_err err = sqlite_begin(s, false, &tx, diag);
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
