/* The vulnerability database on SQLite (fleetpatch/vulndb.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/vulndb.h"

/* Versioned migrations: migration i brings the schema from version i to i + 1. Never edit a
 * released one; append. */
static const char *const migrations[] = {
        "CREATE TABLE feed ("
        "  name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT NOT NULL,"
        "  last_attempt INTEGER NOT NULL DEFAULT 0, last_good INTEGER NOT NULL DEFAULT 0,"
        "  last_error TEXT, etag TEXT, last_modified TEXT, content_sha256 TEXT,"
        "  advisories INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,"
        "  skipped INTEGER NOT NULL DEFAULT 0, meta TEXT);"
        "CREATE TABLE advisory ("
        "  id INTEGER PRIMARY KEY,"
        "  feed TEXT NOT NULL REFERENCES feed(name) ON DELETE CASCADE,"
        "  advisory_id TEXT NOT NULL, kind TEXT NOT NULL, aliases TEXT NOT NULL,"
        "  summary TEXT, severity INTEGER NOT NULL, cvss_score REAL, cvss_vector TEXT,"
        "  published INTEGER NOT NULL, modified INTEGER NOT NULL, withdrawn INTEGER NOT NULL,"
        "  refs TEXT NOT NULL, content_sha256 TEXT NOT NULL,"
        "  UNIQUE (feed, advisory_id));"
        "CREATE TABLE affected ("
        "  advisory INTEGER NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,"
        "  distro TEXT NOT NULL, release TEXT NOT NULL, package TEXT NOT NULL,"
        "  source INTEGER NOT NULL, arch TEXT, module TEXT, state INTEGER NOT NULL,"
        "  fixed TEXT, ranges TEXT, versions TEXT, severity INTEGER NOT NULL, note TEXT);"
        "CREATE INDEX affected_by_release ON affected (distro, release, package);"
        "CREATE INDEX affected_by_advisory ON affected (advisory);"
        "CREATE TABLE rejection (feed TEXT NOT NULL, record_id TEXT NOT NULL,"
        "  reason TEXT NOT NULL);"
        "CREATE INDEX rejection_by_feed ON rejection (feed);"
        "CREATE TABLE kev (cve TEXT PRIMARY KEY, vendor TEXT, product TEXT, name TEXT,"
        "  date_added INTEGER NOT NULL, due_date INTEGER NOT NULL, ransomware INTEGER NOT NULL);"
        "CREATE TABLE epss (cve TEXT PRIMARY KEY, epss REAL NOT NULL, percentile REAL NOT NULL);"
        "CREATE TABLE exception ("
        "  id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, vuln TEXT NOT NULL,"
        "  package TEXT NOT NULL, hosts TEXT NOT NULL, tag TEXT, owner TEXT NOT NULL,"
        "  reason TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,"
        "  created_by TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, revoked_by TEXT);"
        "CREATE TABLE exception_event ("
        "  exception INTEGER NOT NULL REFERENCES exception(id), at INTEGER NOT NULL,"
        "  action TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL);",
};

struct fp_vulndb {
        sqlite3 *sql;
        char path[FP_DIAG_FILE_MAX];
};

static enum fp_err sql_fail(struct fp_vulndb *db, struct fp_diag *diag, const char *what)
{
        int code = sqlite3_errcode(db->sql);
        fp_diag_set(diag, db->path, 0, NULL, "%s: %s", what, sqlite3_errmsg(db->sql));
        if (code == SQLITE_NOMEM)
                return FP_ENOMEM;
        if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
                return FP_ECORRUPT;
        if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN)
                return FP_EACCES;
        return FP_EIO;
}

static enum fp_err exec(struct fp_vulndb *db, const char *sql, struct fp_diag *diag)
{
        if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
                return sql_fail(db, diag, sql);
        return FP_OK;
}

static enum fp_err migrate(struct fp_vulndb *db, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        int version = 0;
        if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "schema version");
        if (sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
        if (version > latest) {
                fp_diag_set(diag, db->path, 0, NULL,
                            "database schema version %d is newer than this fleetpatch (%d)",
                            version, latest);
                return FP_EUNSUPPORTED;
        }
        for (; version < latest; version++) {
                char bump[64];
                snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", version + 1);
                enum fp_err err = exec(db, "BEGIN IMMEDIATE", diag);
                if (err == FP_OK)
                        err = exec(db, migrations[version], diag);
                if (err == FP_OK)
                        err = exec(db, bump, diag);
                if (err == FP_OK)
                        err = exec(db, "COMMIT", diag);
                if (err != FP_OK) {
                        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
                        return err;
                }
        }
        return FP_OK;
}

enum fp_err fp_vulndb_open(const char *path, struct fp_vulndb **out, struct fp_diag *diag)
{
        *out = NULL;
        struct fp_vulndb *db = calloc(1, sizeof(*db));
        if (!db)
                return FP_ENOMEM;
        snprintf(db->path, sizeof(db->path), "%s", path);
        if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK) {
                enum fp_err err = db->sql ? sql_fail(db, diag, "open") : FP_ENOMEM;
                fp_vulndb_close(db);
                return err;
        }
        sqlite3_busy_timeout(db->sql, 10000);
        enum fp_err err = exec(db, "PRAGMA journal_mode = WAL", diag);
        if (err == FP_OK)
                err = exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", diag);
        if (err == FP_OK)
                err = migrate(db, diag);
        if (err != FP_OK) {
                fp_vulndb_close(db);
                return err;
        }
        *out = db;
        return FP_OK;
}

void fp_vulndb_close(struct fp_vulndb *db)
{
        if (!db)
                return;
        sqlite3_close_v2(db->sql);
        free(db);
}

/* ---- binding helpers ------------------------------------------------------------------------ */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
        if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
        return (const char *)sqlite3_column_text(st, i);
}

static const char *arena_col(struct fp_arena *a, sqlite3_stmt *st, int i)
{
        const char *s = col_text(st, i);
        return s ? fp_arena_strdup(a, s) : NULL;
}

/* ---- imports ------------------------------------------------------------------------------- */

enum { ST_FIND, ST_INS_ADV, ST_UPD_ADV, ST_DEL_AFF, ST_INS_AFF, ST_REJECT, ST_KEV, ST_EPSS, ST__N };

static const char *const import_sql[ST__N] = {
        [ST_FIND] = "SELECT id, modified, content_sha256 FROM advisory WHERE feed = ?1 AND "
                    "advisory_id = ?2",
        [ST_INS_ADV] = "INSERT INTO advisory (feed, advisory_id, kind, aliases, summary, severity,"
                       " cvss_score, cvss_vector, published, modified, withdrawn, refs,"
                       " content_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                       " ?13)",
        [ST_UPD_ADV] = "UPDATE advisory SET kind = ?3, aliases = ?4, summary = ?5, severity = ?6,"
                       " cvss_score = ?7, cvss_vector = ?8, published = ?9, modified = ?10,"
                       " withdrawn = ?11, refs = ?12, content_sha256 = ?13 WHERE feed = ?1 AND"
                       " advisory_id = ?2",
        [ST_DEL_AFF] = "DELETE FROM affected WHERE advisory = ?1",
        [ST_INS_AFF] = "INSERT INTO affected (advisory, distro, release, package, source, arch,"
                       " module, state, fixed, ranges, versions, severity, note) VALUES (?1, ?2,"
                       " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        [ST_REJECT] = "INSERT INTO rejection (feed, record_id, reason) VALUES (?1, ?2, ?3)",
        [ST_KEV] = "INSERT OR REPLACE INTO kev (cve, vendor, product, name, date_added, due_date,"
                   " ransomware) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        [ST_EPSS] = "INSERT OR REPLACE INTO epss (cve, epss, percentile) VALUES (?1, ?2, ?3)",
};

struct fp_import {
        struct fp_vulndb *db;
        char *name;
        enum fp_feed_kind kind;
        sqlite3_stmt *st[ST__N];
        struct fp_feed_sink sink;
        struct fp_import_stats stats;
        struct fp_buf meta;
        struct fp_buf scratch; /* serialization for hashes and list columns */
        enum fp_err err;       /* first store failure inside a callback */
        struct fp_diag err_diag;
};

/* Length-prefixed field, so that no two different advisories serialize the same. */
static void ser(struct fp_buf *b, const char *s)
{
        if (!s) {
                fp_buf_addstr(b, "-;");
                return;
        }
        fp_buf_addf(b, "%zu:", strlen(s));
        fp_buf_addstr(b, s);
}

static void serialize(struct fp_buf *b, const struct fp_vuln_advisory *a)
{
        fp_buf_reset(b);
        ser(b, a->id);
        fp_buf_addf(b, "%d;%zu;", (int)a->kind, a->naliases);
        for (size_t i = 0; i < a->naliases; i++)
                ser(b, a->aliases[i]);
        ser(b, a->summary);
        fp_buf_addf(b, "%d;%.3f;", (int)a->severity, a->cvss_score);
        ser(b, a->cvss_vector);
        fp_buf_addf(b, "%lld;%lld;%d;%zu;", (long long)a->published, (long long)a->modified,
                    (int)a->withdrawn, a->nrefs);
        for (size_t i = 0; i < a->nrefs; i++)
                ser(b, a->refs[i]);
        fp_buf_addf(b, "%zu;", a->naffected);
        for (size_t i = 0; i < a->naffected; i++) {
                const struct fp_vuln_affected *f = &a->affected[i];
                ser(b, f->distro);
                ser(b, f->release);
                ser(b, f->package);
                ser(b, f->arch);
                ser(b, f->module);
                ser(b, f->fixed);
                ser(b, f->note);
                fp_buf_addf(b, "%d;%d;%d;%zu;", (int)f->source, (int)f->state, (int)f->severity,
                            f->nranges);
                for (size_t r = 0; r < f->nranges; r++) {
                        ser(b, f->ranges[r].introduced);
                        ser(b, f->ranges[r].fixed);
                        ser(b, f->ranges[r].last_affected);
                }
                fp_buf_addf(b, "%zu;", f->nversions);
                for (size_t v = 0; v < f->nversions; v++)
                        ser(b, f->versions[v]);
        }
}

/* A list column: items joined by '\n'. Items must not contain '\n' or '\t'. */
static bool join_list(struct fp_buf *b, const char *const *items, size_t n)
{
        fp_buf_reset(b);
        for (size_t i = 0; i < n; i++) {
                if (!items[i] || strpbrk(items[i], "\n\t"))
                        return false;
                if (i)
                        fp_buf_addc(b, '\n');
                fp_buf_addstr(b, items[i]);
        }
        return true;
}

/* Ranges as "introduced\tfixed\tlast_affected" lines, absent members empty. */
static bool join_ranges(struct fp_buf *b, const struct fp_vuln_range *r, size_t n)
{
        fp_buf_reset(b);
        for (size_t i = 0; i < n; i++) {
                const char *m[3] = {r[i].introduced, r[i].fixed, r[i].last_affected};
                for (int k = 0; k < 3; k++) {
                        if (m[k] && strpbrk(m[k], "\n\t"))
                                return false;
                        if (k)
                                fp_buf_addc(b, '\t');
                        if (m[k])
                                fp_buf_addstr(b, m[k]);
                }
                fp_buf_addc(b, '\n');
        }
        return true;
}

static void imp_fail(struct fp_import *imp, const char *what)
{
        if (imp->err == FP_OK)
                imp->err = sql_fail(imp->db, &imp->err_diag, what);
}

static void record_rejection(struct fp_import *imp, const char *id, const char *reason)
{
        sqlite3_stmt *st = imp->st[ST_REJECT];
        sqlite3_reset(st);
        bind_text(st, 1, imp->name);
        bind_text(st, 2, id ? id : "");
        bind_text(st, 3, reason);
        if (sqlite3_step(st) != SQLITE_DONE)
                imp_fail(imp, "store rejection");
        imp->stats.rejected++;
}

static enum fp_err insert_affected(struct fp_import *imp, sqlite3_int64 adv_id,
                                   const struct fp_vuln_affected *f, const char **bad)
{
        sqlite3_stmt *st = imp->st[ST_INS_AFF];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, adv_id);
        bind_text(st, 2, f->distro);
        bind_text(st, 3, f->release);
        bind_text(st, 4, f->package);
        sqlite3_bind_int(st, 5, f->source);
        bind_text(st, 6, f->arch);
        bind_text(st, 7, f->module);
        sqlite3_bind_int(st, 8, (int)f->state);
        bind_text(st, 9, f->fixed);
        if (!join_ranges(&imp->scratch, f->ranges, f->nranges)) {
                *bad = "a range version contains a TAB or newline";
                return FP_EPARSE;
        }
        bind_text(st, 10, f->nranges ? fp_buf_str(&imp->scratch) : NULL);
        if (!join_list(&imp->scratch, f->versions, f->nversions)) {
                *bad = "an affected version contains a TAB or newline";
                return FP_EPARSE;
        }
        bind_text(st, 11, f->nversions ? fp_buf_str(&imp->scratch) : NULL);
        sqlite3_bind_int(st, 12, (int)f->severity);
        bind_text(st, 13, f->note);
        if (sqlite3_step(st) != SQLITE_DONE) {
                imp_fail(imp, "store affected");
                return imp->err;
        }
        return FP_OK;
}

/* A rolling distribution (Wolfi, openSUSE Tumbleweed) has an empty release. */
static bool affected_ok(const struct fp_vuln_affected *f)
{
        return f->distro && *f->distro && f->release && f->package && *f->package;
}

static enum fp_err sink_advisory(void *ud, const struct fp_vuln_advisory *a)
{
        struct fp_import *imp = ud;
        if (imp->err != FP_OK)
                return imp->err;
        for (size_t i = 0; i < a->naffected; i++) {
                if (!affected_ok(&a->affected[i])) {
                        record_rejection(imp, a->id, "affected entry without distro or package");
                        return imp->err;
                }
        }
        char hash[65];
        struct fp_sha256 sha;
        serialize(&imp->scratch, a);
        fp_sha256_init(&sha);
        fp_sha256_update(&sha, fp_buf_str(&imp->scratch), imp->scratch.len);
        fp_sha256_final_hex(&sha, hash);

        sqlite3_stmt *find = imp->st[ST_FIND];
        sqlite3_reset(find);
        bind_text(find, 1, imp->name);
        bind_text(find, 2, a->id);
        sqlite3_int64 row = 0;
        int rc = sqlite3_step(find);
        if (rc == SQLITE_ROW) {
                row = sqlite3_column_int64(find, 0);
                int64_t old_modified = sqlite3_column_int64(find, 1);
                if (strcmp(col_text(find, 2), hash) == 0) {
                        imp->stats.unchanged++;
                        return FP_OK;
                }
                if (a->modified && old_modified && a->modified < old_modified) {
                        imp->stats.older++;
                        return FP_OK;
                }
        } else if (rc != SQLITE_DONE) {
                imp_fail(imp, "look up advisory");
                return imp->err;
        }

        if (!join_list(&imp->scratch, a->aliases, a->naliases)) {
                record_rejection(imp, a->id, "an alias is missing or contains a TAB or newline");
                return imp->err;
        }
        char *aliases = fp_buf_take(&imp->scratch);
        if (!join_list(&imp->scratch, a->refs, a->nrefs)) {
                free(aliases);
                record_rejection(imp, a->id, "a reference contains a TAB or newline");
                return imp->err;
        }
        char *refs = fp_buf_take(&imp->scratch);
        if (!aliases || !refs) {
                free(aliases);
                free(refs);
                return FP_ENOMEM;
        }

        bool existed = row != 0;
        sqlite3_exec(imp->db->sql, "SAVEPOINT record", NULL, NULL, NULL);
        sqlite3_stmt *st = imp->st[existed ? ST_UPD_ADV : ST_INS_ADV];
        sqlite3_reset(st);
        bind_text(st, 1, imp->name);
        bind_text(st, 2, a->id);
        bind_text(st, 3, fp_feed_kind_name(a->kind));
        bind_text(st, 4, aliases);
        bind_text(st, 5, a->summary);
        sqlite3_bind_int(st, 6, (int)a->severity);
        if (a->cvss_score >= 0)
                sqlite3_bind_double(st, 7, a->cvss_score);
        else
                sqlite3_bind_null(st, 7);
        bind_text(st, 8, a->cvss_vector);
        sqlite3_bind_int64(st, 9, a->published);
        sqlite3_bind_int64(st, 10, a->modified);
        sqlite3_bind_int(st, 11, a->withdrawn);
        bind_text(st, 12, refs);
        bind_text(st, 13, hash);
        rc = sqlite3_step(st);
        free(aliases);
        free(refs);
        if (rc != SQLITE_DONE) {
                imp_fail(imp, "store advisory");
                return imp->err;
        }
        if (existed) {
                sqlite3_stmt *del = imp->st[ST_DEL_AFF];
                sqlite3_reset(del);
                sqlite3_bind_int64(del, 1, row);
                if (sqlite3_step(del) != SQLITE_DONE) {
                        imp_fail(imp, "replace affected");
                        return imp->err;
                }
        } else {
                row = sqlite3_last_insert_rowid(imp->db->sql);
        }
        for (size_t i = 0; i < a->naffected; i++) {
                const char *bad = NULL;
                enum fp_err err = insert_affected(imp, row, &a->affected[i], &bad);
                if (err == FP_EPARSE) {
                        /* Undo this record only; the stored revision (if any) stays. */
                        sqlite3_exec(imp->db->sql, "ROLLBACK TO record; RELEASE record", NULL, NULL,
                                     NULL);
                        record_rejection(imp, a->id, bad);
                        return imp->err;
                }
                if (err != FP_OK)
                        return err;
        }
        sqlite3_exec(imp->db->sql, "RELEASE record", NULL, NULL, NULL);
        if (existed)
                imp->stats.updated++;
        else
                imp->stats.added++;
        return FP_OK;
}

static enum fp_err sink_kev(void *ud, const struct fp_kev_entry *e)
{
        struct fp_import *imp = ud;
        sqlite3_stmt *st = imp->st[ST_KEV];
        sqlite3_reset(st);
        bind_text(st, 1, e->cve);
        bind_text(st, 2, e->vendor);
        bind_text(st, 3, e->product);
        bind_text(st, 4, e->name);
        sqlite3_bind_int64(st, 5, e->date_added);
        sqlite3_bind_int64(st, 6, e->due_date);
        sqlite3_bind_int(st, 7, e->ransomware);
        if (sqlite3_step(st) != SQLITE_DONE) {
                imp_fail(imp, "store KEV entry");
                return imp->err;
        }
        imp->stats.kev++;
        return FP_OK;
}

static enum fp_err sink_epss(void *ud, const struct fp_epss_entry *e)
{
        struct fp_import *imp = ud;
        sqlite3_stmt *st = imp->st[ST_EPSS];
        sqlite3_reset(st);
        bind_text(st, 1, e->cve);
        sqlite3_bind_double(st, 2, e->epss);
        sqlite3_bind_double(st, 3, e->percentile);
        if (sqlite3_step(st) != SQLITE_DONE) {
                imp_fail(imp, "store EPSS score");
                return imp->err;
        }
        imp->stats.epss++;
        return FP_OK;
}

static void sink_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct fp_import *imp = ud;
        char msg[FP_DIAG_FILE_MAX + FP_DIAG_MSG_MAX + 128];
        fp_diag_format(why, msg, sizeof(msg));
        record_rejection(imp, id, msg);
}

static void sink_skip(void *ud, const char *id, const char *reason)
{
        struct fp_import *imp = ud;
        (void)id;
        (void)reason;
        imp->stats.skipped++;
}

static void sink_meta(void *ud, const char *key, const char *value)
{
        struct fp_import *imp = ud;
        if (key && value && !strpbrk(key, "\n=") && !strchr(value, '\n'))
                fp_buf_addf(&imp->meta, "%s=%s\n", key, value);
}

static void import_free(struct fp_import *imp)
{
        for (int i = 0; i < ST__N; i++)
                sqlite3_finalize(imp->st[i]);
        fp_buf_release(&imp->meta);
        fp_buf_release(&imp->scratch);
        free(imp->name);
        free(imp);
}

enum fp_err fp_vulndb_import_begin(struct fp_vulndb *db, const char *name, enum fp_feed_kind kind,
                                   const char *location, struct fp_import **out,
                                   struct fp_diag *diag)
{
        *out = NULL;
        if (!name || !*name || strlen(name) > FP_MAX_ADVISORY_ID_LEN || strpbrk(name, "\n\t")) {
                fp_diag_set(diag, NULL, 0, "feed", "a feed name is 1 to %d printable characters",
                            FP_MAX_ADVISORY_ID_LEN);
                return FP_EINVAL;
        }
        struct fp_import *imp = calloc(1, sizeof(*imp));
        if (!imp || !(imp->name = strdup(name))) {
                free(imp);
                return FP_ENOMEM;
        }
        imp->db = db;
        imp->kind = kind;
        fp_buf_init(&imp->meta, 64 * 1024);
        fp_buf_init(&imp->scratch, (size_t)FP_MAX_RECORD_SIZE * 4);
        imp->sink = (struct fp_feed_sink){
                .ud = imp,
                .advisory = sink_advisory,
                .kev = sink_kev,
                .epss = sink_epss,
                .reject = sink_reject,
                .skip = sink_skip,
                .meta = sink_meta,
        };
        enum fp_err err = exec(db, "BEGIN IMMEDIATE", diag);
        if (err != FP_OK) {
                import_free(imp);
                return err;
        }
        for (int i = 0; i < ST__N && err == FP_OK; i++)
                if (sqlite3_prepare_v2(db->sql, import_sql[i], -1, &imp->st[i], NULL) != SQLITE_OK)
                        err = sql_fail(db, diag, "prepare");
        sqlite3_stmt *st = NULL;
        if (err == FP_OK &&
            sqlite3_prepare_v2(db->sql,
                               "INSERT INTO feed (name, kind, location) VALUES (?1, ?2, ?3) "
                               "ON CONFLICT (name) DO UPDATE SET kind = ?2, location = ?3",
                               -1, &st, NULL) == SQLITE_OK) {
                bind_text(st, 1, name);
                bind_text(st, 2, fp_feed_kind_name(kind));
                bind_text(st, 3, location);
                if (sqlite3_step(st) != SQLITE_DONE)
                        err = sql_fail(db, diag, "register feed");
        } else if (err == FP_OK) {
                err = sql_fail(db, diag, "register feed");
        }
        sqlite3_finalize(st);
        /* Rejections describe the last import only; whole catalogs are replaced. */
        const char *clear = kind == FP_FEED_KEV    ? "DELETE FROM kev"
                            : kind == FP_FEED_EPSS ? "DELETE FROM epss"
                                                   : NULL;
        if (err == FP_OK && clear)
                err = exec(db, clear, diag);
        if (err == FP_OK && sqlite3_prepare_v2(db->sql, "DELETE FROM rejection WHERE feed = ?1",
                                               -1, &st, NULL) == SQLITE_OK) {
                bind_text(st, 1, name);
                if (sqlite3_step(st) != SQLITE_DONE)
                        err = sql_fail(db, diag, "clear rejections");
                sqlite3_finalize(st);
        }
        if (err != FP_OK) {
                sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
                import_free(imp);
                return err;
        }
        *out = imp;
        return FP_OK;
}

const struct fp_feed_sink *fp_import_sink(struct fp_import *imp)
{
        return &imp->sink;
}

const struct fp_import_stats *fp_import_stats(const struct fp_import *imp)
{
        return &imp->stats;
}

enum fp_err fp_import_error(const struct fp_import *imp, struct fp_diag *diag)
{
        if (imp->err != FP_OK && diag)
                *diag = imp->err_diag;
        return imp->err;
}

enum fp_err fp_import_commit(struct fp_import *imp, const char *etag, const char *last_modified,
                             const char *content_sha256, struct fp_diag *diag)
{
        struct fp_vulndb *db = imp->db;
        enum fp_err err = fp_import_error(imp, diag);
        sqlite3_stmt *st = NULL;
        if (err == FP_OK &&
            sqlite3_prepare_v2(db->sql,
                               "UPDATE feed SET last_attempt = ?2, last_good = ?2, last_error = NULL,"
                               " etag = ?3, last_modified = ?4, content_sha256 = ?5,"
                               " advisories = CASE WHEN ?9 >= 0 THEN ?9 ELSE"
                               " (SELECT count(*) FROM advisory WHERE feed = ?1) END,"
                               " rejected = ?6, skipped = ?7, meta = ?8 WHERE name = ?1",
                               -1, &st, NULL) != SQLITE_OK)
                err = sql_fail(db, diag, "update feed status");
        if (err == FP_OK) {
                bind_text(st, 1, imp->name);
                sqlite3_bind_int64(st, 2, fp_now());
                bind_text(st, 3, etag);
                bind_text(st, 4, last_modified);
                bind_text(st, 5, content_sha256);
                sqlite3_bind_int64(st, 6, (sqlite3_int64)imp->stats.rejected);
                sqlite3_bind_int64(st, 7, (sqlite3_int64)imp->stats.skipped);
                bind_text(st, 8, imp->meta.len ? fp_buf_str(&imp->meta) : NULL);
                /* KEV and EPSS: their entries are what the feed holds */
                sqlite3_bind_int64(st, 9, imp->kind == FP_FEED_KEV    ? (sqlite3_int64)imp->stats.kev
                                          : imp->kind == FP_FEED_EPSS ? (sqlite3_int64)imp->stats.epss
                                                                      : -1);
                if (sqlite3_step(st) != SQLITE_DONE)
                        err = sql_fail(db, diag, "update feed status");
        }
        sqlite3_finalize(st);
        for (int i = 0; i < ST__N; i++) {
                sqlite3_finalize(imp->st[i]);
                imp->st[i] = NULL;
        }
        if (err == FP_OK)
                err = exec(db, "COMMIT", diag);
        if (err != FP_OK) {
                char msg[FP_DIAG_MSG_MAX + 16];
                snprintf(msg, sizeof(msg), "store: %s", diag ? diag->msg : fp_strerror(err));
                fp_import_abort(imp, msg);
                return err;
        }
        import_free(imp);
        return FP_OK;
}

static void note_attempt(struct fp_vulndb *db, const char *name, const char *error)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "UPDATE feed SET last_attempt = ?2, last_error = ?3 WHERE name = ?1",
                               -1, &st, NULL) != SQLITE_OK)
                return;
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, fp_now());
        bind_text(st, 3, error);
        sqlite3_step(st);
        sqlite3_finalize(st);
}

void fp_import_abort(struct fp_import *imp, const char *message)
{
        struct fp_vulndb *db = imp->db;
        for (int i = 0; i < ST__N; i++) {
                sqlite3_finalize(imp->st[i]);
                imp->st[i] = NULL;
        }
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        /* The feed row may be new (rolled back with the rest): record the failure anyway, so
         * `feeds status` says when this feed last failed and why. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "INSERT INTO feed (name, kind, location) VALUES (?1, ?2, '') "
                               "ON CONFLICT (name) DO NOTHING",
                               -1, &st, NULL) == SQLITE_OK) {
                bind_text(st, 1, imp->name);
                bind_text(st, 2, fp_feed_kind_name(imp->kind));
                sqlite3_step(st);
                sqlite3_finalize(st);
        }
        note_attempt(db, imp->name, message ? message : "import failed");
        import_free(imp);
}

enum fp_err fp_vulndb_feed_unchanged(struct fp_vulndb *db, const char *name, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "UPDATE feed SET last_attempt = ?2, last_good = ?2, last_error = NULL"
                               " WHERE name = ?1",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "update feed status");
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, fp_now());
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? FP_OK : sql_fail(db, diag, "update feed status");
}

/* Room for one more element in an arena-backed array (*arr, *count used, *cap slots). */
static bool arena_array_room(struct fp_arena *arena, void **arr, size_t count, size_t *cap,
                             size_t elsize)
{
        if (count < *cap)
                return true;
        size_t ncap = *cap ? *cap * 2 : 16;
        void *n = fp_arena_alloc(arena, ncap * elsize);
        if (!n)
                return false;
        if (count)
                memcpy(n, *arr, count * elsize);
        *arr = n;
        *cap = ncap;
        return true;
}

/* ---- feed status ----------------------------------------------------------------------------- */

#define FEED_COLUMNS                                                                               \
        "name, kind, location, last_attempt, last_good, last_error, etag, last_modified,"          \
        " content_sha256, advisories, rejected, skipped, meta"

static bool feed_row(sqlite3_stmt *st, struct fp_arena *a, struct fp_feed_status *f)
{
        f->name = arena_col(a, st, 0);
        f->kind = arena_col(a, st, 1);
        f->location = arena_col(a, st, 2);
        f->last_attempt = sqlite3_column_int64(st, 3);
        f->last_good = sqlite3_column_int64(st, 4);
        f->last_error = arena_col(a, st, 5);
        f->etag = arena_col(a, st, 6);
        f->last_modified = arena_col(a, st, 7);
        f->content_sha256 = arena_col(a, st, 8);
        f->advisories = sqlite3_column_int64(st, 9);
        f->rejected = sqlite3_column_int64(st, 10);
        f->skipped = sqlite3_column_int64(st, 11);
        f->meta = arena_col(a, st, 12);
        return f->name && f->kind && f->location;
}

enum fp_err fp_vulndb_feeds(struct fp_vulndb *db, struct fp_arena *arena,
                            struct fp_feed_status **out, size_t *count, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        *out = NULL;
        *count = 0;
        if (sqlite3_prepare_v2(db->sql, "SELECT " FEED_COLUMNS " FROM feed ORDER BY name", -1, &st,
                               NULL) != SQLITE_OK)
                return sql_fail(db, diag, "list feeds");
        size_t cap = 0;
        enum fp_err err = FP_OK;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (!arena_array_room(arena, (void **)out, *count, &cap, sizeof(**out))) {
                        err = FP_ENOMEM;
                        break;
                }
                if (!feed_row(st, arena, &(*out)[*count])) {
                        err = FP_ENOMEM;
                        break;
                }
                (*count)++;
        }
        if (err == FP_OK && rc != SQLITE_DONE)
                err = sql_fail(db, diag, "list feeds");
        sqlite3_finalize(st);
        return err;
}

enum fp_err fp_vulndb_feed(struct fp_vulndb *db, const char *name, struct fp_arena *arena,
                           struct fp_feed_status *out, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql, "SELECT " FEED_COLUMNS " FROM feed WHERE name = ?1", -1,
                               &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "read feed");
        bind_text(st, 1, name);
        int rc = sqlite3_step(st);
        enum fp_err err = FP_ENOTFOUND;
        if (rc == SQLITE_ROW)
                err = feed_row(st, arena, out) ? FP_OK : FP_ENOMEM;
        else if (rc != SQLITE_DONE)
                err = sql_fail(db, diag, "read feed");
        sqlite3_finalize(st);
        return err;
}

enum fp_err fp_vulndb_rejections(struct fp_vulndb *db, const char *feed,
                                 void (*cb)(void *ud, const char *record_id, const char *reason),
                                 void *ud, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "SELECT record_id, reason FROM rejection WHERE feed = ?1 ORDER BY rowid",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "list rejections");
        bind_text(st, 1, feed);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                cb(ud, col_text(st, 0), col_text(st, 1));
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? FP_OK : sql_fail(db, diag, "list rejections");
}

/* ---- reading for matching ------------------------------------------------------------------ */

/* Split a '\n'-joined column in place into an array of at most max items (arena). */
static const char **split_lines(struct fp_arena *a, char *s, size_t max, size_t *n)
{
        *n = 0;
        if (!s || !*s)
                return NULL;
        size_t items = 1;
        for (const char *p = s; *p; p++)
                items += *p == '\n';
        if (items > max)
                items = max;
        const char **v = fp_arena_alloc(a, items * sizeof(*v));
        if (!v)
                return NULL;
        while (s && *n < items) {
                char *nl = strchr(s, '\n');
                if (nl)
                        *nl = '\0';
                if (*s)
                        v[(*n)++] = s;
                s = nl ? nl + 1 : NULL;
        }
        return v;
}

static struct fp_vuln_range *split_ranges(struct fp_arena *a, char *s, size_t *n)
{
        size_t lines;
        const char **l = split_lines(a, s, FP_MAX_RANGE_EVENTS, &lines);
        *n = 0;
        if (!l)
                return NULL;
        struct fp_vuln_range *r = fp_arena_alloc(a, lines * sizeof(*r));
        if (!r)
                return NULL;
        for (size_t i = 0; i < lines; i++) {
                char *m[3] = {(char *)l[i], NULL, NULL};
                for (int k = 1; k < 3; k++) {
                        char *tab = m[k - 1] ? strchr(m[k - 1], '\t') : NULL;
                        if (tab) {
                                *tab = '\0';
                                m[k] = tab + 1;
                        }
                }
                r[i].introduced = m[0] && *m[0] ? m[0] : NULL;
                r[i].fixed = m[1] && *m[1] ? m[1] : NULL;
                r[i].last_affected = m[2] && *m[2] ? m[2] : NULL;
        }
        *n = lines;
        return r;
}

static char *dup_col(struct fp_arena *a, sqlite3_stmt *st, int i)
{
        const char *s = col_text(st, i);
        return s ? fp_arena_strdup(a, s) : NULL;
}

enum fp_err fp_vulndb_each_affected(struct fp_vulndb *db, const char *distro, const char *release,
                                    fp_vulndb_affected_cb cb, void *ud, struct fp_diag *diag)
{
        static const char sql[] =
                "SELECT a.feed, a.advisory_id, a.kind, a.aliases, a.summary, a.severity,"
                " a.cvss_score, a.cvss_vector, a.published, a.modified, a.withdrawn,"
                " f.distro, f.release, f.package, f.source, f.arch, f.module, f.state, f.fixed,"
                " f.ranges, f.versions, f.severity, f.note"
                " FROM affected f JOIN advisory a ON a.id = f.advisory"
                " WHERE (?1 IS NULL OR f.distro = ?1) AND (?2 IS NULL OR f.release = ?2)";
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "read advisories");
        bind_text(st, 1, distro);
        bind_text(st, 2, release);
        struct fp_arena row;
        fp_arena_init(&row);
        enum fp_err err = FP_OK;
        int rc;
        while (err == FP_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct fp_vuln_advisory adv = {0};
                struct fp_vuln_affected aff = {0};
                adv.id = col_text(st, 1);
                fp_feed_kind_parse(col_text(st, 2), &adv.kind);
                adv.aliases = split_lines(&row, dup_col(&row, st, 3), FP_MAX_ALIASES, &adv.naliases);
                adv.summary = col_text(st, 4);
                adv.severity = (enum fp_severity)sqlite3_column_int(st, 5);
                adv.cvss_score = sqlite3_column_type(st, 6) == SQLITE_NULL
                                         ? -1.0
                                         : sqlite3_column_double(st, 6);
                adv.cvss_vector = col_text(st, 7);
                adv.published = sqlite3_column_int64(st, 8);
                adv.modified = sqlite3_column_int64(st, 9);
                adv.withdrawn = sqlite3_column_int(st, 10) != 0;
                aff.distro = col_text(st, 11);
                aff.release = col_text(st, 12);
                aff.package = col_text(st, 13);
                aff.source = sqlite3_column_int(st, 14) != 0;
                aff.arch = col_text(st, 15);
                aff.module = col_text(st, 16);
                aff.state = (enum fp_vuln_state)sqlite3_column_int(st, 17);
                aff.fixed = col_text(st, 18);
                aff.ranges = split_ranges(&row, dup_col(&row, st, 19), &aff.nranges);
                aff.versions = split_lines(&row, dup_col(&row, st, 20), FP_MAX_AFFECTED_VERSIONS,
                                           &aff.nversions);
                aff.severity = (enum fp_severity)sqlite3_column_int(st, 21);
                aff.note = col_text(st, 22);
                err = cb(ud, col_text(st, 0), &adv, &aff);
                fp_arena_release(&row);
                fp_arena_init(&row);
        }
        if (err == FP_OK && rc != SQLITE_DONE)
                err = sql_fail(db, diag, "read advisories");
        fp_arena_release(&row);
        sqlite3_finalize(st);
        return err;
}

enum fp_err fp_vulndb_each_kev(struct fp_vulndb *db,
                               enum fp_err (*cb)(void *ud, const struct fp_kev_entry *e), void *ud,
                               struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "SELECT cve, vendor, product, name, date_added, due_date, ransomware"
                               " FROM kev",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "read KEV");
        enum fp_err err = FP_OK;
        int rc;
        while (err == FP_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct fp_kev_entry e = {
                        .cve = col_text(st, 0),
                        .vendor = col_text(st, 1),
                        .product = col_text(st, 2),
                        .name = col_text(st, 3),
                        .date_added = sqlite3_column_int64(st, 4),
                        .due_date = sqlite3_column_int64(st, 5),
                        .ransomware = sqlite3_column_int(st, 6) != 0,
                };
                err = cb(ud, &e);
        }
        if (err == FP_OK && rc != SQLITE_DONE)
                err = sql_fail(db, diag, "read KEV");
        sqlite3_finalize(st);
        return err;
}

enum fp_err fp_vulndb_each_epss(struct fp_vulndb *db,
                                enum fp_err (*cb)(void *ud, const struct fp_epss_entry *e),
                                void *ud, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql, "SELECT cve, epss, percentile FROM epss", -1, &st, NULL) !=
            SQLITE_OK)
                return sql_fail(db, diag, "read EPSS");
        enum fp_err err = FP_OK;
        int rc;
        while (err == FP_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct fp_epss_entry e = {
                        .cve = col_text(st, 0),
                        .epss = sqlite3_column_double(st, 1),
                        .percentile = sqlite3_column_double(st, 2),
                };
                err = cb(ud, &e);
        }
        if (err == FP_OK && rc != SQLITE_DONE)
                err = sql_fail(db, diag, "read EPSS");
        sqlite3_finalize(st);
        return err;
}

enum fp_err fp_vulndb_count(struct fp_vulndb *db, int64_t *advisories, int64_t *affected,
                            struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "SELECT (SELECT count(*) FROM advisory), (SELECT count(*) FROM affected)",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "count");
        enum fp_err err = FP_OK;
        if (sqlite3_step(st) == SQLITE_ROW) {
                *advisories = sqlite3_column_int64(st, 0);
                *affected = sqlite3_column_int64(st, 1);
        } else {
                err = sql_fail(db, diag, "count");
        }
        sqlite3_finalize(st);
        return err;
}

/* ---- exceptions ----------------------------------------------------------------------------- */

static enum fp_err add_event(struct fp_vulndb *db, int64_t id, int64_t at, const char *action,
                             const char *actor, const char *detail, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "INSERT INTO exception_event (exception, at, action, actor, detail)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "exception history");
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, at);
        bind_text(st, 3, action);
        bind_text(st, 4, actor);
        bind_text(st, 5, detail ? detail : "");
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? FP_OK : sql_fail(db, diag, "exception history");
}

static bool text_ok(const char *s, size_t max)
{
        if (!s || !*s || strlen(s) > max)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < 0x20)
                        return false;
        return true;
}

enum fp_err fp_vulndb_exception_add(struct fp_vulndb *db, struct fp_exception *ex,
                                    struct fp_diag *diag)
{
        const struct {
                const char *field, *value;
                size_t max;
        } checks[] = {
                {"vuln", ex->vuln, FP_MAX_ADVISORY_ID_LEN},
                {"package", ex->package, FP_MAX_NAME_LEN},
                {"hosts", ex->hosts, FP_MAX_NAME_LEN},
                {"owner", ex->owner, FP_MAX_NAME_LEN},
                {"reason", ex->reason, 4096},
                {"created_by", ex->created_by, FP_MAX_NAME_LEN},
        };
        for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
                if (!text_ok(checks[i].value, checks[i].max)) {
                        fp_diag_set(diag, NULL, 0, checks[i].field,
                                    "required, 1 to %zu printable characters", checks[i].max);
                        return FP_EINVAL;
                }
        }
        if (ex->tag && (!text_ok(ex->tag, FP_MAX_NAME_LEN) || !strchr(ex->tag, '='))) {
                fp_diag_set(diag, NULL, 0, "tag", "expected key=value");
                return FP_EINVAL;
        }
        int64_t now = fp_now();
        if (ex->expires <= now) {
                fp_diag_set(diag, NULL, 0, "expires", "the expiry must be in the future");
                return FP_EINVAL;
        }
        ex->created = now;
        ex->revoked = 0;
        enum fp_err err = exec(db, "BEGIN IMMEDIATE", diag);
        if (err != FP_OK)
                return err;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "INSERT INTO exception (kind, vuln, package, hosts, tag, owner, reason,"
                               " created, expires, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                               " ?8, ?9, ?10)",
                               -1, &st, NULL) != SQLITE_OK) {
                err = sql_fail(db, diag, "add exception");
        } else {
                sqlite3_bind_int(st, 1, (int)ex->kind);
                bind_text(st, 2, ex->vuln);
                bind_text(st, 3, ex->package);
                bind_text(st, 4, ex->hosts);
                bind_text(st, 5, ex->tag);
                bind_text(st, 6, ex->owner);
                bind_text(st, 7, ex->reason);
                sqlite3_bind_int64(st, 8, now);
                sqlite3_bind_int64(st, 9, ex->expires);
                bind_text(st, 10, ex->created_by);
                if (sqlite3_step(st) != SQLITE_DONE)
                        err = sql_fail(db, diag, "add exception");
                sqlite3_finalize(st);
        }
        if (err == FP_OK) {
                ex->id = sqlite3_last_insert_rowid(db->sql);
                char detail[64];
                fp_format_date(ex->expires, detail);
                err = add_event(db, ex->id, now, "created", ex->created_by, detail, diag);
        }
        if (err == FP_OK)
                err = exec(db, "COMMIT", diag);
        if (err != FP_OK)
                sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        return err;
}

enum fp_err fp_vulndb_exception_revoke(struct fp_vulndb *db, int64_t id, const char *who,
                                       const char *why, struct fp_diag *diag)
{
        if (!text_ok(who, FP_MAX_NAME_LEN)) {
                fp_diag_set(diag, NULL, 0, "by", "who revokes it is required");
                return FP_EINVAL;
        }
        int64_t now = fp_now();
        enum fp_err err = exec(db, "BEGIN IMMEDIATE", diag);
        if (err != FP_OK)
                return err;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "UPDATE exception SET revoked = ?2, revoked_by = ?3 WHERE id = ?1"
                               " AND revoked = 0",
                               -1, &st, NULL) != SQLITE_OK) {
                err = sql_fail(db, diag, "revoke exception");
        } else {
                sqlite3_bind_int64(st, 1, id);
                sqlite3_bind_int64(st, 2, now);
                bind_text(st, 3, who);
                if (sqlite3_step(st) != SQLITE_DONE)
                        err = sql_fail(db, diag, "revoke exception");
                else if (sqlite3_changes(db->sql) == 0) {
                        fp_diag_set(diag, NULL, 0, "id", "no active exception %lld", (long long)id);
                        err = FP_ENOTFOUND;
                }
                sqlite3_finalize(st);
        }
        if (err == FP_OK)
                err = add_event(db, id, now, "revoked", who, why, diag);
        if (err == FP_OK)
                err = exec(db, "COMMIT", diag);
        if (err != FP_OK)
                sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        return err;
}

enum fp_err fp_vulndb_exceptions(struct fp_vulndb *db, struct fp_arena *arena,
                                 struct fp_exception **out, size_t *count, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        *out = NULL;
        *count = 0;
        if (sqlite3_prepare_v2(db->sql,
                               "SELECT id, kind, vuln, package, hosts, tag, owner, reason, created,"
                               " expires, created_by, revoked, revoked_by FROM exception ORDER BY id",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "list exceptions");
        size_t cap = 0;
        enum fp_err err = FP_OK;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (!arena_array_room(arena, (void **)out, *count, &cap, sizeof(**out))) {
                        err = FP_ENOMEM;
                        break;
                }
                struct fp_exception *e = &(*out)[(*count)++];
                e->id = sqlite3_column_int64(st, 0);
                e->kind = (enum fp_exception_kind)sqlite3_column_int(st, 1);
                e->vuln = arena_col(arena, st, 2);
                e->package = arena_col(arena, st, 3);
                e->hosts = arena_col(arena, st, 4);
                e->tag = arena_col(arena, st, 5);
                e->owner = arena_col(arena, st, 6);
                e->reason = arena_col(arena, st, 7);
                e->created = sqlite3_column_int64(st, 8);
                e->expires = sqlite3_column_int64(st, 9);
                e->created_by = arena_col(arena, st, 10);
                e->revoked = sqlite3_column_int64(st, 11);
                e->revoked_by = arena_col(arena, st, 12);
        }
        if (err == FP_OK && rc != SQLITE_DONE)
                err = sql_fail(db, diag, "list exceptions");
        sqlite3_finalize(st);
        return err;
}

enum fp_err fp_vulndb_exception_history(struct fp_vulndb *db, int64_t id,
                                        void (*cb)(void *ud, int64_t at, const char *action,
                                                   const char *actor, const char *detail),
                                        void *ud, struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "SELECT at, action, actor, detail FROM exception_event WHERE"
                               " exception = ?1 ORDER BY rowid",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "exception history");
        sqlite3_bind_int64(st, 1, id);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                cb(ud, sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
                   col_text(st, 3));
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? FP_OK : sql_fail(db, diag, "exception history");
}

enum fp_err fp_vulndb_exception_note_expired(struct fp_vulndb *db, int64_t id, int64_t at,
                                             struct fp_diag *diag)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->sql,
                               "SELECT 1 FROM exception_event WHERE exception = ?1 AND action ="
                               " 'expired'",
                               -1, &st, NULL) != SQLITE_OK)
                return sql_fail(db, diag, "exception history");
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_ROW)
                return FP_OK;
        return add_event(db, id, at, "expired", "fleetpatch", "", diag);
}
