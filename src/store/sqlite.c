/*
 * The SQLite engine of the store: WAL, versioned migrations, foreign keys, busy handling.
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
#include "store/sqlite_int.h"

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

enum fp_err sq_fail(struct fp_tx *tx, struct fp_diag *diag, const char *what)
{
        return sql_err(tx->c->db, tx->store->path, diag, what);
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

static void conn_free(struct conn *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->cached; i++)
                sqlite3_finalize(c->cache[i].st);
        sqlite3_close(c->db);
        free(c);
}

static enum fp_err conn_open(struct fp_store *s, struct conn **out, struct fp_diag *diag)
{
        *out = NULL;
        struct conn *c = calloc(1, sizeof(*c));
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
                struct conn *c = s->idle;
                s->idle = c->next;
                conn_free(c);
        }
        pthread_mutex_destroy(&s->pool_mu);
        pthread_mutex_destroy(&s->write_mu);
        free(s);
}

static enum fp_err sqlite_open(const char *target, struct fp_store **out, struct fp_diag *diag)
{
        struct fp_store *s = calloc(1, sizeof(*s));
        if (!s)
                return FP_ENOMEM;
        s->base.engine = &fp_store_sqlite_engine;
        if (strlen(target) >= sizeof(s->path)) {
                free(s);
                fp_diag_set(diag, NULL, 0, NULL, "store path longer than %zu bytes",
                            sizeof(s->path) - 1);
                return FP_ELIMIT;
        }
        snprintf(s->path, sizeof(s->path), "%s", target);
        pthread_mutex_init(&s->pool_mu, NULL);
        pthread_mutex_init(&s->write_mu, NULL);
        struct conn *c = NULL;
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
        s->idle = c;
        *out = s;
        return FP_OK;
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
        if (!tx->c)
                err = conn_open(s, &tx->c, diag);
        if (err != FP_OK || !tx->c) {
                free(tx);
                return err != FP_OK ? err : FP_ENOMEM;
        }
        if (write)
                pthread_mutex_lock(&s->write_mu);
        err = exec_sql(tx->c->db, s->path, write ? "BEGIN IMMEDIATE" : "BEGIN", diag);
        if (err != FP_OK) {
                if (write)
                        pthread_mutex_unlock(&s->write_mu);
                pthread_mutex_lock(&s->pool_mu);
                tx->c->next = s->idle;
                s->idle = tx->c;
                pthread_mutex_unlock(&s->pool_mu);
                free(tx);
                return err;
        }
        *out = tx;
        return FP_OK;
}

static void tx_end(struct fp_tx *tx)
{
        struct fp_store *s = tx->store;
        for (size_t i = 0; i < tx->c->cached; i++)
                sqlite3_reset(tx->c->cache[i].st);
        if (tx->write)
                pthread_mutex_unlock(&s->write_mu);
        pthread_mutex_lock(&s->pool_mu);
        tx->c->next = s->idle;
        s->idle = tx->c;
        pthread_mutex_unlock(&s->pool_mu);
        fp_arena_release(&tx->base.arena);
        free(tx);
}

static void sqlite_rollback(struct fp_tx *tx)
{
        for (size_t i = 0; i < tx->c->cached; i++)
                sqlite3_reset(tx->c->cache[i].st);
        sqlite3_exec(tx->c->db, "ROLLBACK", NULL, NULL, NULL);
        tx_end(tx);
}

static enum fp_err sqlite_commit(struct fp_tx *tx, struct fp_diag *diag)
{
        for (size_t i = 0; i < tx->c->cached; i++)
                sqlite3_reset(tx->c->cache[i].st);
        if (sqlite3_exec(tx->c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
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
        err = exec_sql(tx->c->db, s->path, "SELECT count(*) FROM accounts", diag);
        sqlite_rollback(tx);
        return err;
}

/* ---- statements ---- */

/*
 * Prepare (cached) and bind: fmt has one letter per parameter: s = const char * (NULL binds
 * NULL), i = int64_t, u = int64_t where 0 binds NULL (an optional reference).
 */
sqlite3_stmt *sq_stmt(struct fp_tx *tx, const char *sql, bool cache, const char *fmt, ...)
{
        struct conn *c = tx->c;
        sqlite3_stmt *st = NULL;
        if (cache) {
                for (size_t i = 0; i < c->cached; i++)
                        if (c->cache[i].sql == sql) {
                                st = c->cache[i].st;
                                sqlite3_reset(st);
                                sqlite3_clear_bindings(st);
                                break;
                        }
        }
        if (!st) {
                if (sqlite3_prepare_v3(c->db, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                                       NULL) != SQLITE_OK)
                        return NULL;
                if (cache && c->cached < STMT_CACHE) {
                        c->cache[c->cached].sql = sql;
                        c->cache[c->cached].st = st;
                        c->cached++;
                }
        }
        va_list ap;
        va_start(ap, fmt);
        for (int i = 0; fmt[i]; i++) {
                if (fmt[i] == 's') {
                        const char *v = va_arg(ap, const char *);
                        if (v)
                                sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
                        else
                                sqlite3_bind_null(st, i + 1);
                } else {
                        int64_t v = va_arg(ap, int64_t);
                        if (fmt[i] == 'u' && v == 0)
                                sqlite3_bind_null(st, i + 1);
                        else
                                sqlite3_bind_int64(st, i + 1, v);
                }
        }
        va_end(ap);
        return st;
}

/* A statement from sq_stmt(cache=false) is finalized; a cached one is reset. */
void sq_done(struct fp_tx *tx, sqlite3_stmt *st)
{
        for (size_t i = 0; i < tx->c->cached; i++)
                if (tx->c->cache[i].st == st) {
                        sqlite3_reset(st);
                        return;
                }
        sqlite3_finalize(st);
}

/* Run a statement that returns no rows; *changes = rows changed (may be NULL). */
enum fp_err sq_run(struct fp_tx *tx, sqlite3_stmt *st, int *changes, struct fp_diag *diag,
                       const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc = sqlite3_step(st);
        enum fp_err err = FP_OK;
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                err = sq_fail(tx, diag, what);
        if (changes)
                *changes = sqlite3_changes(tx->c->db);
        sq_done(tx, st);
        return err;
}

const char *sq_col_str(struct fp_tx *tx, sqlite3_stmt *st, int i)
{
        const unsigned char *v = sqlite3_column_text(st, i);
        if (!v)
                return NULL;
        return fp_arena_strndup(&tx->base.arena, (const char *)v,
                                (size_t)sqlite3_column_bytes(st, i));
}

const char *sq_col_str0(struct fp_tx *tx, sqlite3_stmt *st, int i)
{
        const char *v = sq_col_str(tx, st, i);
        return v ? v : "";
}

/* ---- accounts ---- */

static enum fp_err account_create(struct fp_tx *tx, const struct fp_account_rec *a,
                                  struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO accounts (name, display, created) VALUES (?,?,?)";
        int n = 0;
        sqlite3_stmt *st = sq_stmt(tx, ins, true, "ssi", a->name, a->display ? a->display : "",
                                a->created);
        if (!st)
                return sq_fail(tx, diag, "account insert");
        int rc = sqlite3_step(st);
        sq_done(tx, st);
        if (rc == SQLITE_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, "name", "account '%s' exists already", a->name);
                return FP_EEXIST;
        }
        if (rc != SQLITE_DONE)
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
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "s", a->name);
        if (!st)
                return sq_fail(tx, diag, "regions");
        size_t cap = 0;
        a->regions = NULL;
        a->region_count = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
        return rc == SQLITE_DONE ? FP_OK : sq_fail(tx, diag, "regions");
}

static enum fp_err account_get(struct fp_tx *tx, const char *name, struct fp_account_rec *out,
                               struct fp_diag *diag)
{
        static const char sel[] = "SELECT name, display, created FROM accounts WHERE name = ?";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "s", name);
        if (!st)
                return sq_fail(tx, diag, "account");
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sq_done(tx, st);
                if (rc != SQLITE_DONE)
                        return sq_fail(tx, diag, "account");
                fp_diag_set(diag, NULL, 0, NULL, "no account '%s'", name);
                return FP_ENOTFOUND;
        }
        memset(out, 0, sizeof(*out));
        out->name = sq_col_str0(tx, st, 0);
        out->display = sq_col_str0(tx, st, 1);
        out->created = sqlite3_column_int64(st, 2);
        sq_done(tx, st);
        return account_regions(tx, out, diag);
}

static enum fp_err account_list(struct fp_tx *tx, fp_account_cb cb, void *ctx,
                                struct fp_diag *diag)
{
        static const char sel[] = "SELECT name FROM accounts ORDER BY name";
        sqlite3_stmt *st = sq_stmt(tx, sel, false, "");
        if (!st)
                return sq_fail(tx, diag, "accounts");
        /* Collect the names first: account_get uses cached statements of its own. */
        const char **names = NULL;
        size_t n = 0, cap = 0;
        int rc;
        enum fp_err err = FP_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
        if (err == FP_OK && rc != SQLITE_DONE)
                err = sq_fail(tx, diag, "accounts");
        sq_done(tx, st);
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                struct fp_account_rec a;
                err = account_get(tx, names[i], &a, diag);
                if (err == FP_OK && !cb(ctx, &a))
                        break;
        }
        return err;
}

/* ---- users ---- */

static enum fp_err user_create(struct fp_tx *tx, const char *name, const char *pwhash,
                               int64_t *id, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO users (name, pwhash, created) VALUES (?,?,?)";
        sqlite3_stmt *st = sq_stmt(tx, ins, true, "ssi", name, pwhash, fp_now());
        if (!st)
                return sq_fail(tx, diag, "user insert");
        int rc = sqlite3_step(st);
        sq_done(tx, st);
        if (rc == SQLITE_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, "name", "user '%s' exists already", name);
                return FP_EEXIST;
        }
        if (rc != SQLITE_DONE)
                return sq_fail(tx, diag, "user insert");
        if (id)
                *id = sqlite3_last_insert_rowid(tx->c->db);
        return FP_OK;
}

static enum fp_err user_grants(struct fp_tx *tx, struct fp_user_rec *u, struct fp_diag *diag)
{
        static const char sel[] =
                "SELECT account, role FROM grants WHERE user_id = ? ORDER BY account";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "i", u->id);
        if (!st)
                return sq_fail(tx, diag, "grants");
        size_t cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
                u->grants[u->grant_count].role = (enum fp_role)sqlite3_column_int(st, 1);
                u->grant_count++;
        }
        sq_done(tx, st);
        return rc == SQLITE_DONE ? FP_OK : sq_fail(tx, diag, "grants");
}

static enum fp_err user_row(struct fp_tx *tx, sqlite3_stmt *st, struct fp_user_rec *out,
                            const char *what, struct fp_diag *diag)
{
        if (!st)
                return sq_fail(tx, diag, "user");
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sq_done(tx, st);
                if (rc != SQLITE_DONE)
                        return sq_fail(tx, diag, "user");
                fp_diag_set(diag, NULL, 0, NULL, "no user %s", what);
                return FP_ENOTFOUND;
        }
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        out->name = sq_col_str0(tx, st, 1);
        out->pwhash = sq_col_str(tx, st, 2);
        out->created = sqlite3_column_int64(st, 3);
        sq_done(tx, st);
        return user_grants(tx, out, diag);
}

static enum fp_err user_get(struct fp_tx *tx, const char *name, struct fp_user_rec *out,
                            struct fp_diag *diag)
{
        static const char sel[] = "SELECT id, name, pwhash, created FROM users WHERE name = ?";
        return user_row(tx, sq_stmt(tx, sel, true, "s", name), out, name, diag);
}

static enum fp_err user_get_id(struct fp_tx *tx, int64_t id, struct fp_user_rec *out,
                               struct fp_diag *diag)
{
        static const char sel[] = "SELECT id, name, pwhash, created FROM users WHERE id = ?";
        return user_row(tx, sq_stmt(tx, sel, true, "i", id), out, "with that id", diag);
}

static enum fp_err user_list(struct fp_tx *tx, fp_user_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT id FROM users ORDER BY name";
        sqlite3_stmt *st = sq_stmt(tx, sel, false, "");
        if (!st)
                return sq_fail(tx, diag, "users");
        int64_t *ids = NULL;
        size_t n = 0, cap = 0;
        int rc;
        enum fp_err err = FP_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
                ids[n++] = sqlite3_column_int64(st, 0);
        }
        if (err == FP_OK && rc != SQLITE_DONE)
                err = sq_fail(tx, diag, "users");
        sq_done(tx, st);
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                struct fp_user_rec u;
                err = user_get_id(tx, ids[i], &u, diag);
                if (err == FP_OK && !cb(ctx, &u))
                        break;
        }
        return err;
}

static enum fp_err user_count(struct fp_tx *tx, int64_t *n, struct fp_diag *diag)
{
        static const char sel[] = "SELECT count(*) FROM users";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "");
        if (!st)
                return sq_fail(tx, diag, "users");
        int rc = sqlite3_step(st);
        *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sq_done(tx, st);
        return rc == SQLITE_ROW ? FP_OK : sq_fail(tx, diag, "users");
}

static enum fp_err grant_set(struct fp_tx *tx, int64_t user, const char *account,
                             enum fp_role role, struct fp_diag *diag)
{
        static const char up[] = "INSERT INTO grants (user_id, account, role) VALUES (?,?,?)"
                                 " ON CONFLICT (user_id, account) DO UPDATE SET role = excluded.role";
        return sq_run(tx, sq_stmt(tx, up, true, "isi", user, account, (int64_t)role), NULL, diag,
                   "grant");
}

static enum fp_err grant_delete(struct fp_tx *tx, int64_t user, const char *account,
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

static enum fp_err token_create(struct fp_tx *tx, const struct fp_token_rec *t,
                                struct fp_diag *diag)
{
        static const char ins[] =
            "INSERT INTO tokens (id, kind, hash, name, user_id, account, host, region, tags,"
            " created, expires, uses_left, revoked, clone_of)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,?)";
        sqlite3_stmt *st =
            sq_stmt(tx, ins, true, "sissussssiiis", t->id, (int64_t)t->kind, t->hash,
                 t->name ? t->name : "", t->kind == FP_TOKEN_USER ? t->user : (int64_t)0,
                 t->account, t->host, t->region, t->tags_json ? t->tags_json : "{}", t->created,
                 t->expires, t->uses_left, t->clone_of ? t->clone_of : "");
        return sq_run(tx, st, NULL, diag, "token insert");
}

static enum fp_err token_get(struct fp_tx *tx, const char *id, struct fp_token_rec *out,
                             struct fp_diag *diag)
{
        static const char sel[] =
            "SELECT id, kind, hash, name, user_id, account, host, region, tags, created,"
            " expires, uses_left, revoked, clone_of FROM tokens WHERE id = ?";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "token");
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sq_done(tx, st);
                if (rc != SQLITE_DONE)
                        return sq_fail(tx, diag, "token");
                return FP_ENOTFOUND;
        }
        memset(out, 0, sizeof(*out));
        out->id = sq_col_str0(tx, st, 0);
        out->kind = (enum fp_token_kind)sqlite3_column_int(st, 1);
        out->hash = sq_col_str0(tx, st, 2);
        out->name = sq_col_str0(tx, st, 3);
        out->user = sqlite3_column_int64(st, 4);
        out->account = sq_col_str(tx, st, 5);
        out->host = sq_col_str(tx, st, 6);
        out->region = sq_col_str(tx, st, 7);
        out->tags_json = sq_col_str0(tx, st, 8);
        out->created = sqlite3_column_int64(st, 9);
        out->expires = sqlite3_column_int64(st, 10);
        out->uses_left = sqlite3_column_int64(st, 11);
        out->revoked = sqlite3_column_int(st, 12) != 0;
        out->clone_of = sq_col_str0(tx, st, 13);
        sq_done(tx, st);
        return FP_OK;
}

static enum fp_err token_list_user(struct fp_tx *tx, int64_t user, fp_token_cb cb, void *ctx,
                                   struct fp_diag *diag)
{
        static const char sel[] = "SELECT id FROM tokens WHERE user_id = ? AND kind = 0"
                                  " ORDER BY created DESC, id";
        sqlite3_stmt *st = sq_stmt(tx, sel, false, "i", user);
        if (!st)
                return sq_fail(tx, diag, "tokens");
        const char **ids = NULL;
        size_t n = 0, cap = 0;
        int rc;
        enum fp_err err = FP_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < FP_MAX_PAGE) {
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
        if (err == FP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
                err = sq_fail(tx, diag, "tokens");
        sq_done(tx, st);
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                struct fp_token_rec t;
                err = token_get(tx, ids[i], &t, diag);
                if (err == FP_OK && !cb(ctx, &t))
                        break;
        }
        return err;
}

static enum fp_err token_revoke(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char up[] = "UPDATE tokens SET revoked = 1 WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "s", id), &n, diag, "token revoke");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

static enum fp_err token_revoke_host(struct fp_tx *tx, const char *host, struct fp_diag *diag)
{
        static const char up[] = "UPDATE tokens SET revoked = 1 WHERE host = ? AND kind = 2";
        return sq_run(tx, sq_stmt(tx, up, true, "s", host), NULL, diag, "token revoke");
}

static enum fp_err token_use(struct fp_tx *tx, const char *id, struct fp_diag *diag)
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

static void host_row(struct fp_tx *tx, sqlite3_stmt *st, struct fp_host_rec *h)
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
        h->created = sqlite3_column_int64(st, 11);
        h->last_seen = sqlite3_column_int64(st, 12);
        h->inventory_at = sqlite3_column_int64(st, 13);
        h->last_seq = sqlite3_column_int64(st, 14);
        h->seq_regressions = sqlite3_column_int64(st, 15);
        h->counts.packages = sqlite3_column_int64(st, 16);
        h->counts.updates = sqlite3_column_int64(st, 17);
        h->counts.security_updates = sqlite3_column_int64(st, 18);
        for (int i = 0; i < 6; i++)
                h->counts.sev[i] = sqlite3_column_int64(st, 19 + i);
        h->counts.kev = sqlite3_column_int64(st, 25);
        h->counts.overdue = sqlite3_column_int64(st, 26);
        h->counts.compliance = (enum fp_compliance)sqlite3_column_int(st, 27);
        h->catchup_json = sq_col_str0(tx, st, 28);
        h->catchup_since = sqlite3_column_int64(st, 29);
        h->boot_id = sq_col_str0(tx, st, 30);
        h->instance_id = sq_col_str0(tx, st, 31);
        h->regress_boot = sq_col_str0(tx, st, 32);
        h->cloned_from = sq_col_str0(tx, st, 33);
        /* A host that needs catch-up is not compliant, whatever its last inventory said
         * (docs/orchestration.md "Catch-up"); the list filter below agrees. */
        if (h->counts.compliance == FP_COMPL_COMPLIANT && strcmp(h->catchup_json, "[]"))
                h->counts.compliance = FP_COMPL_NONCOMPLIANT;
}

static enum fp_err host_one(struct fp_tx *tx, sqlite3_stmt *st, struct fp_host_rec *out,
                            struct fp_diag *diag)
{
        if (!st)
                return sq_fail(tx, diag, "host");
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                host_row(tx, st, out);
        sq_done(tx, st);
        if (rc == SQLITE_ROW)
                return FP_OK;
        return rc == SQLITE_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "host");
}

static enum fp_err host_get(struct fp_tx *tx, const char *id, struct fp_host_rec *out,
                            struct fp_diag *diag)
{
        static const char sel[] = "SELECT " HOST_COLS " FROM hosts h WHERE h.id = ?";
        return host_one(tx, sq_stmt(tx, sel, true, "s", id), out, diag);
}

static enum fp_err host_by_machine(struct fp_tx *tx, const char *account, const char *machine_id,
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
        static const char ins[] = "INSERT OR REPLACE INTO host_tags VALUES (?,?,?)";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "tags");
        if (sqlite3_step(st) != SQLITE_ROW) {
                sq_done(tx, st);
                return FP_ENOTFOUND;
        }
        json_t *agent = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        json_t *api = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
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

static enum fp_err host_create(struct fp_tx *tx, const struct fp_host_rec *h,
                               struct fp_diag *diag)
{
        static const char ins[] =
            "INSERT INTO hosts (id, account, hostname, region, machine_id, facts, agent_tags,"
            " api_tags, created, last_seen, boot_id, instance_id, cloned_from)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
        sqlite3_stmt *st = sq_stmt(
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

static enum fp_err host_checkin(struct fp_tx *tx, const char *id, const char *hostname,
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

static enum fp_err host_set_identity(struct fp_tx *tx, const char *id, const char *machine_id,
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

static enum fp_err host_set_catchup(struct fp_tx *tx, const char *id, const char *catchup_json,
                                    int64_t since, struct fp_diag *diag)
{
        static const char up[] = "UPDATE hosts SET catchup = ?, catchup_since = ? WHERE id = ?";
        int n = 0;
        enum fp_err err =
            sq_run(tx, sq_stmt(tx, up, true, "sis", catchup_json ? catchup_json : "[]", since, id), &n,
                diag, "host catch-up");
        return err == FP_OK && n == 0 ? FP_ENOTFOUND : err;
}

static enum fp_err installed_put(struct fp_tx *tx, const struct fp_installed_rec *r,
                                 struct fp_diag *diag)
{
        static const char ins[] = "INSERT OR REPLACE INTO host_installed"
                                  " (host, name, arch, version, job, at) VALUES (?,?,?,?,?,?)";
        return sq_run(tx,
                   sq_stmt(tx, ins, true, "sssssi", r->host, r->name, r->arch ? r->arch : "",
                        r->version, r->job ? r->job : "", r->at),
                   NULL, diag, "installed versions");
}

static enum fp_err installed_drop_job(struct fp_tx *tx, const char *host, const char *job,
                                      struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM host_installed WHERE host = ? AND job = ?";
        return sq_run(tx, sq_stmt(tx, del, true, "ss", host, job), NULL, diag, "installed versions");
}

static enum fp_err installed_list(struct fp_tx *tx, const char *host, fp_installed_cb cb, void *ctx,
                                  struct fp_diag *diag)
{
        static const char sel[] = "SELECT host, name, arch, version, job, at FROM host_installed"
                                  " WHERE host = ? ORDER BY name, arch";
        sqlite3_stmt *st = sq_stmt(tx, sel, false, "s", host);
        if (!st)
                return sq_fail(tx, diag, "installed versions");
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct fp_installed_rec r = {.host = sq_col_str0(tx, st, 0),
                                             .name = sq_col_str0(tx, st, 1),
                                             .arch = sq_col_str0(tx, st, 2),
                                             .version = sq_col_str0(tx, st, 3),
                                             .job = sq_col_str0(tx, st, 4),
                                             .at = sqlite3_column_int64(st, 5)};
                if (!cb(ctx, &r)) {
                        rc = SQLITE_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQLITE_DONE ? FP_OK : sq_fail(tx, diag, "installed versions");
        sqlite3_finalize(st);
        return err;
}

static enum fp_err host_seq_regressed(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE hosts SET seq_regressions = seq_regressions + 1 WHERE id = ?";
        return sq_run(tx, sq_stmt(tx, up, true, "s", id), NULL, diag, "check-in");
}

static enum fp_err host_set_counts(struct fp_tx *tx, const char *id,
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

static enum fp_err host_set_inventory(struct fp_tx *tx, const char *id, const char *os_id,
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
                err = host_set_counts(tx, id, c, diag);
        return err;
}

static enum fp_err host_inventory(struct fp_tx *tx, const char *id, const char **json,
                                  struct fp_diag *diag)
{
        static const char sel[] = "SELECT document FROM host_inventory WHERE host = ?";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "inventory");
        int rc = sqlite3_step(st);
        *json = rc == SQLITE_ROW ? sq_col_str(tx, st, 0) : NULL;
        sq_done(tx, st);
        if (rc == SQLITE_ROW)
                return *json ? FP_OK : FP_ENOMEM;
        return rc == SQLITE_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "inventory");
}

static enum fp_err host_set_tags(struct fp_tx *tx, const char *id, bool api, const char *tags_json,
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

static enum fp_err host_delete(struct fp_tx *tx, const char *id, struct fp_diag *diag)
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
                err = fp_buf_addstr(&q, where ? where : " FROM hosts h WHERE 0");
        sqlite3_stmt *st = NULL;
        if (err == FP_OK && sqlite3_prepare_v2(tx->c->db, fp_buf_str(&q), -1, &st, NULL) != SQLITE_OK)
                err = sq_fail(tx, diag, "host count");
        fp_buf_release(&q);
        if (err != FP_OK)
                return err;
        for (size_t i = 0; i < n; i++)
                sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
                *out = sqlite3_column_int64(st, 0);
        else
                err = sq_fail(tx, diag, "host count");
        sqlite3_finalize(st);
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

static enum fp_err host_list(struct fp_tx *tx, const struct fp_host_filter *f, fp_host_cb cb,
                             void *ctx, struct fp_diag *diag)
{
        struct fp_buf q;
        fp_buf_init(&q, 64 * 1024);
        enum fp_err err = fp_buf_addstr(&q, "SELECT " HOST_COLS " FROM hosts h WHERE 1");
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
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(tx->c->db, fp_buf_str(&q), -1, &st, NULL) != SQLITE_OK) {
                fp_buf_release(&q);
                return sq_fail(tx, diag, "host list");
        }
        fp_buf_release(&q);
        for (size_t i = 0; i < ns; i++)
                sqlite3_bind_text(st, (int)i + 1, sparams[i], -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct fp_host_rec h;
                host_row(tx, st, &h);
                if (!cb(ctx, &h)) {
                        rc = SQLITE_DONE;
                        break;
                }
        }
        err = rc == SQLITE_DONE ? FP_OK : sq_fail(tx, diag, "host list");
        sqlite3_finalize(st);
        return err;
}

/* ---- jobs ---- */

/* Lists leave the log out (up to FP_MAX_JOB_LOG per job): JOB_COLS_LIST selects '' for it. */
#define JOB_COLS_BASE                                                                              \
        "id, host, account, type, params, detail, created_by, status, created, delivered,"         \
        " finished, updated, phase, result, log_truncated"
#define JOB_COLS JOB_COLS_BASE ", log"
#define JOB_COLS_LIST JOB_COLS_BASE ", ''"

static void job_row(struct fp_tx *tx, sqlite3_stmt *st, struct fp_job_rec *j)
{
        memset(j, 0, sizeof(*j));
        j->id = sq_col_str0(tx, st, 0);
        j->host = sq_col_str0(tx, st, 1);
        j->account = sq_col_str0(tx, st, 2);
        j->type = sq_col_str0(tx, st, 3);
        j->params_json = sq_col_str0(tx, st, 4);
        j->detail = sq_col_str(tx, st, 5);
        j->created_by = sq_col_str0(tx, st, 6);
        j->status = (enum fp_job_status)sqlite3_column_int(st, 7);
        j->created = sqlite3_column_int64(st, 8);
        j->delivered = sqlite3_column_int64(st, 9);
        j->finished = sqlite3_column_int64(st, 10);
        j->updated = sqlite3_column_int64(st, 11);
        j->phase = sq_col_str0(tx, st, 12);
        j->result_json = sq_col_str(tx, st, 13);
        j->log_truncated = sqlite3_column_int(st, 14) != 0;
        j->log = sq_col_str0(tx, st, 15);
}

static enum fp_err job_create(struct fp_tx *tx, const struct fp_job_rec *j, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO jobs (id, host, account, type, params, status,"
                                  " created_by, created) VALUES (?,?,?,?,?,0,?,?)";
        return sq_run(tx, sq_stmt(tx, ins, true, "ssssssi", j->id, j->host, j->account, j->type,
                            j->params_json ? j->params_json : "{}",
                            j->created_by ? j->created_by : "", j->created),
                   NULL, diag, "job insert");
}

static enum fp_err job_get(struct fp_tx *tx, const char *id, struct fp_job_rec *out,
                           struct fp_diag *diag)
{
        static const char sel[] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "job");
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                job_row(tx, st, out);
        sq_done(tx, st);
        if (rc == SQLITE_ROW)
                return FP_OK;
        return rc == SQLITE_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "job");
}

/* Step st to the end, one job record per row to cb; finalizes st. */
static enum fp_err job_rows(struct fp_tx *tx, sqlite3_stmt *st, fp_job_cb cb, void *ctx,
                            struct fp_diag *diag)
{
        if (!st)
                return sq_fail(tx, diag, "jobs");
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct fp_job_rec j;
                job_row(tx, st, &j);
                if (!cb(ctx, &j)) {
                        rc = SQLITE_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQLITE_DONE ? FP_OK : sq_fail(tx, diag, "jobs");
        sqlite3_finalize(st);
        return err;
}

static enum fp_err job_pending(struct fp_tx *tx, const char *host, fp_job_cb cb, void *ctx,
                               struct fp_diag *diag)
{
        static const char sel[] = "SELECT " JOB_COLS_LIST " FROM jobs WHERE host = ? AND status < 3"
                                  " ORDER BY created, id LIMIT 100";
        return job_rows(tx, sq_stmt(tx, sel, false, "s", host), cb, ctx, diag);
}

static enum fp_err job_list_host(struct fp_tx *tx, const char *host, const char *after_id,
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
        sqlite3_stmt *st = sq_stmt(tx, known, true, "ss", after_id, host);
        if (!st)
                return sq_fail(tx, diag, "jobs");
        int rc = sqlite3_step(st);
        sq_done(tx, st);
        if (rc == SQLITE_DONE) {
                fp_diag_set(diag, NULL, 0, "after", "no job '%.16s' on this host", after_id);
                return FP_ENOTFOUND;
        }
        if (rc != SQLITE_ROW)
                return sq_fail(tx, diag, "jobs");
        return job_rows(tx, sq_stmt(tx, next, false, "ssi", host, after_id, (int64_t)limit), cb, ctx,
                        diag);
}

static enum fp_err job_mark_delivered(struct fp_tx *tx, const char *id, int64_t now,
                                      struct fp_diag *diag)
{
        static const char up[] =
                "UPDATE jobs SET status = 1, delivered = ? WHERE id = ? AND status = 0";
        return sq_run(tx, sq_stmt(tx, up, true, "is", now, id), NULL, diag, "job");
}

static enum fp_err job_finish(struct fp_tx *tx, const char *id, enum fp_job_status s,
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

static enum fp_err job_progress(struct fp_tx *tx, const char *id, const char *phase,
                                const char *log_chunk, int64_t now, struct fp_diag *diag)
{
        static const char sel[] = "SELECT length(CAST(log AS BLOB)), log_truncated FROM jobs"
                                  " WHERE id = ? AND status < 3";
        static const char up[] = "UPDATE jobs SET status = 2, phase = coalesce(?, phase),"
                                 " updated = ?, log = log || ?, log_truncated = ? WHERE id = ?";
        sqlite3_stmt *st = sq_stmt(tx, sel, true, "s", id);
        if (!st)
                return sq_fail(tx, diag, "job");
        int rc = sqlite3_step(st);
        int64_t have = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        bool truncated = rc == SQLITE_ROW && sqlite3_column_int(st, 1) != 0;
        sq_done(tx, st);
        if (rc == SQLITE_DONE)
                return FP_ENOTFOUND;
        if (rc != SQLITE_ROW)
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

const struct fp_store_engine fp_store_sqlite_engine = {
        .name = "sqlite",
        .open = sqlite_open,
        .close = sqlite_close,
        .ping = sqlite_ping,
        .begin = sqlite_begin,
        .commit = sqlite_commit,
        .rollback = sqlite_rollback,
#define FP_ENGINE_INIT(name, params, args) .name = name,
        FP_STORE_TX_OPS(FP_ENGINE_INIT)
#undef FP_ENGINE_INIT
#define FP_ENGINE_ORCH_INIT(name, params, args) .name = sq_orch_##name,
        FP_STORE_ORCH_OPS(FP_ENGINE_ORCH_INIT)
#undef FP_ENGINE_ORCH_INIT
#define FP_ENGINE_AUDIT_INIT(name, params, args) .name = sq_audit_##name,
        FP_STORE_AUDIT_OPS(FP_ENGINE_AUDIT_INIT)
#undef FP_ENGINE_AUDIT_INIT
#define FP_ENGINE_NOTIFY_INIT(name, params, args) .name = sq_notify_##name,
        FP_STORE_NOTIFY_OPS(FP_ENGINE_NOTIFY_INIT)
#undef FP_ENGINE_NOTIFY_INIT
#define FP_ENGINE_COMPLY_INIT(name, params, args) .name = sq_comply_##name,
        FP_STORE_COMPLY_OPS(FP_ENGINE_COMPLY_INIT)
#undef FP_ENGINE_COMPLY_INIT
#define FP_ENGINE_TRACK_INIT(name, params, args) .name = sq_track_##name,
        FP_STORE_TRACK_OPS(FP_ENGINE_TRACK_INIT)
#undef FP_ENGINE_TRACK_INIT
};
