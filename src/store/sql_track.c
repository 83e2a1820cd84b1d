/*
 * The SQLite engine's tracking tables (include/fleetpatch/store_track.h): exposures, tracking
 * records with their append-only history and links, resolver rules, job snapshots.
 * Schema: migration 7 in sqlite.c.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/util.h"
#include "store/sql_int.h"

typedef bool (*row_fn)(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx);

static enum fp_err each_row(struct fp_tx *tx, struct sq_stmt *st, row_fn row, void *cb, void *ctx,
                            struct fp_diag *diag, const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW)
                if (!row(tx, st, cb, ctx)) {
                        rc = SQ_DONE;
                        break;
                }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, what);
        sq_done(tx, st);
        return err;
}

typedef void (*fill_fn)(struct fp_tx *tx, struct sq_stmt *st, void *out);

static enum fp_err one_row(struct fp_tx *tx, struct sq_stmt *st, fill_fn fill, void *out,
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
        if (err == FP_ENOTFOUND)
                fp_diag_set(diag, NULL, 0, NULL, "%s not found", what);
        sq_done(tx, st);
        return err;
}

static enum fp_err changed_one(enum fp_err err, int n, struct fp_diag *diag, const char *what)
{
        if (err == FP_OK && n == 0) {
                fp_diag_set(diag, NULL, 0, NULL, "%s not found", what);
                return FP_ENOTFOUND;
        }
        return err;
}

static const char *s0(const char *s)
{
        return s ? s : "";
}

/* ---- exposures ---- */

#define EXPO_COLS                                                                                  \
        "host, account, vuln, package, arch, installed, fixed_version, advisories, severity,"      \
        " scheme, kev, sla_due, exception, track, first_seen, fixed_at, fixed_inventory"

static void expo_fill(struct fp_tx *tx, struct sq_stmt *st, struct fp_exposure_rec *e)
{
        e->host = sq_col_str0(tx, st, 0);
        e->account = sq_col_str0(tx, st, 1);
        e->vuln = sq_col_str0(tx, st, 2);
        e->package = sq_col_str0(tx, st, 3);
        e->arch = sq_col_str0(tx, st, 4);
        e->installed = sq_col_str0(tx, st, 5);
        e->fixed_version = sq_col_str0(tx, st, 6);
        e->advisories = sq_col_str0(tx, st, 7);
        e->severity = sq_col_str0(tx, st, 8);
        e->scheme = sq_col_str0(tx, st, 9);
        e->kev = sq_col_int(st, 10) != 0;
        e->sla_due = sq_col_int(st, 11);
        e->exception = sq_col_int(st, 12);
        e->track = sq_col_str0(tx, st, 13);
        e->first_seen = sq_col_int(st, 14);
        e->fixed_at = sq_col_int(st, 15);
        e->fixed_inventory = sq_col_str0(tx, st, 16);
}

static bool expo_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_exposure_rec e;
        expo_fill(tx, st, &e);
        return ((fp_exposure_cb)cb)(ctx, &e);
}

enum fp_err sq_track_exposure_list(struct fp_tx *tx, const char *account, int64_t since,
                                   fp_exposure_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " EXPO_COLS " FROM exposures"
                                  " WHERE (?1 IS NULL OR account = ?1)"
                                  " AND (fixed_at = 0 OR fixed_at >= ?2)"
                                  " ORDER BY first_seen, host, vuln, package, arch";
        return each_row(tx, sq_stmt(tx, sel, true, "si", account, since), expo_row, (void *)cb,
                        ctx, diag, "exposures");
}

enum fp_err sq_track_exposure_host(struct fp_tx *tx, const char *host, fp_exposure_cb cb,
                                   void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " EXPO_COLS " FROM exposures"
                                  " WHERE host = ? AND fixed_at = 0"
                                  " ORDER BY vuln, package, arch";
        return each_row(tx, sq_stmt(tx, sel, true, "s", host), expo_row, (void *)cb, ctx, diag,
                        "exposures");
}

enum fp_err sq_track_exposure_open(struct fp_tx *tx, const struct fp_exposure_rec *e,
                                   struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO exposures (" EXPO_COLS ")"
                                  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,'')";
        return sq_insert_new(tx,
                             sq_stmt(tx, ins, true, "ssssssssssiiisi", e->host, e->account, e->vuln,
                                     e->package, e->arch, s0(e->installed), s0(e->fixed_version),
                                     s0(e->advisories), s0(e->severity), s0(e->scheme),
                                     (int64_t)e->kev, e->sla_due, e->exception, s0(e->track),
                                     e->first_seen),
                             diag, "open exposure");
}

enum fp_err sq_track_exposure_update(struct fp_tx *tx, const struct fp_exposure_rec *e,
                                     struct fp_diag *diag)
{
        static const char up[] =
            "UPDATE exposures SET installed = ?, fixed_version = ?, advisories = ?,"
            " severity = ?, kev = ?, sla_due = ?, exception = ?, track = ?"
            " WHERE host = ? AND vuln = ? AND package = ? AND arch = ? AND fixed_at = 0";
        int n = 0;
        enum fp_err err = sq_run(
            tx,
            sq_stmt(tx, up, true, "ssssiiisssss", s0(e->installed), s0(e->fixed_version),
                    s0(e->advisories), s0(e->severity), (int64_t)e->kev, e->sla_due,
                    e->exception, s0(e->track), e->host, e->vuln, e->package, e->arch),
            &n, diag, "exposure");
        return changed_one(err, n, diag, "open exposure");
}

enum fp_err sq_track_exposure_fix(struct fp_tx *tx, const char *host, const char *vuln,
                                  const char *package, const char *arch, int64_t at,
                                  const char *inventory_hash, struct fp_diag *diag)
{
        static const char up[] = "UPDATE exposures SET fixed_at = ?, fixed_inventory = ?"
                                 " WHERE host = ? AND vuln = ? AND package = ? AND arch = ?"
                                 " AND fixed_at = 0";
        int n = 0;
        enum fp_err err = sq_run(tx,
                                 sq_stmt(tx, up, true, "isssss", at, s0(inventory_hash), host,
                                         vuln, package, arch),
                                 &n, diag, "exposure");
        return changed_one(err, n, diag, "open exposure");
}

enum fp_err sq_track_exposure_of_track(struct fp_tx *tx, const char *track, int64_t since,
                                       fp_exposure_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " EXPO_COLS " FROM exposures"
                                  " WHERE track = ? AND (fixed_at = 0 OR fixed_at >= ?)"
                                  " ORDER BY host, package, arch, first_seen";
        return each_row(tx, sq_stmt(tx, sel, true, "si", track, since), expo_row, (void *)cb,
                        ctx, diag, "exposures");
}

/* The open rows of a record, read a page at a time: the callers (the closing rule's gap
 * search) usually stop at the first row, and a record of a fleet-wide advisory has a row per
 * host; PostgreSQL answers a statement whole, so one unbounded SELECT moved every open row of
 * the record to the server at every check-in that synced it (under the write lock: O(hosts)
 * per enrollment, O(hosts^2) for a fleet's). Keyset pages on the open rows' unique key. */
#define EXPO_PAGE 64
#define EXPO_STR_(x) #x
#define EXPO_STR(x) EXPO_STR_(x)

struct expo_page {
        fp_exposure_cb cb;
        void *ctx;
        size_t n;
        bool stopped;
        const char *host, *vuln, *package, *arch; /* the last row's key (in the tx arena) */
};

static bool expo_page_row(void *ctx, const struct fp_exposure_rec *e)
{
        struct expo_page *p = ctx;
        p->n++;
        p->host = e->host;
        p->vuln = e->vuln;
        p->package = e->package;
        p->arch = e->arch;
        if (!p->cb(p->ctx, e)) {
                p->stopped = true;
                return false;
        }
        return true;
}

enum fp_err sq_track_exposure_open_of_track(struct fp_tx *tx, const char *track,
                                            fp_exposure_cb cb, void *ctx, struct fp_diag *diag)
{
#define EXPO_PAGE_ORDER " ORDER BY host, vuln, package, arch LIMIT " EXPO_STR(EXPO_PAGE)
        static const char first[] = "SELECT " EXPO_COLS " FROM exposures"
                                    " WHERE track = ? AND fixed_at = 0" EXPO_PAGE_ORDER;
        static const char next[] =
            "SELECT " EXPO_COLS " FROM exposures"
            " WHERE track = ?1 AND fixed_at = 0 AND host >= ?2"
            " AND (host > ?2 OR vuln > ?3 OR (vuln = ?3 AND (package > ?4"
            " OR (package = ?4 AND arch > ?5))))" EXPO_PAGE_ORDER;
#undef EXPO_PAGE_ORDER
        struct expo_page p = {.cb = cb, .ctx = ctx};
        enum fp_err err = each_row(tx, sq_stmt(tx, first, true, "s", track), expo_row,
                                   (void *)expo_page_row, &p, diag, "exposures");
        while (err == FP_OK && !p.stopped && p.n == EXPO_PAGE) {
                p.n = 0;
                err = each_row(tx,
                               sq_stmt(tx, next, true, "sssss", track, p.host, p.vuln,
                                       p.package, p.arch),
                               expo_row, (void *)expo_page_row, &p, diag, "exposures");
        }
        return err;
}

enum fp_err sq_track_exposure_of_track_host(struct fp_tx *tx, const char *track,
                                            const char *host, int64_t since, fp_exposure_cb cb,
                                            void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " EXPO_COLS " FROM exposures"
                                  " WHERE track = ? AND host = ? AND (fixed_at = 0 OR fixed_at >= ?)"
                                  " ORDER BY package, arch, first_seen";
        return each_row(tx, sq_stmt(tx, sel, true, "ssi", track, host, since), expo_row,
                        (void *)cb, ctx, diag, "exposures");
}

/* ---- tracking records ---- */

#define TRACK_COLS                                                                                 \
        "id, account, vuln, scope, grp, assignee, state, severity, kev, sla_due, advisories,"      \
        " opened, cycle, closed, risk_until, evidence, updated"

static void track_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_track_rec *t = out;
        t->id = sq_col_str0(tx, st, 0);
        t->account = sq_col_str0(tx, st, 1);
        t->vuln = sq_col_str0(tx, st, 2);
        t->scope = sq_col_str0(tx, st, 3);
        t->grp = sq_col_str0(tx, st, 4);
        t->assignee = sq_col_str0(tx, st, 5);
        t->state = sq_col_str0(tx, st, 6);
        t->severity = sq_col_str0(tx, st, 7);
        t->kev = sq_col_int(st, 8) != 0;
        t->sla_due = sq_col_int(st, 9);
        t->advisories = sq_col_str0(tx, st, 10);
        t->opened = sq_col_int(st, 11);
        t->cycle = sq_col_int(st, 12);
        t->closed = sq_col_int(st, 13);
        t->risk_until = sq_col_int(st, 14);
        t->evidence = sq_col_str0(tx, st, 15);
        t->updated = sq_col_int(st, 16);
}

static bool track_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_track_rec t;
        track_fill(tx, st, &t);
        return ((fp_track_cb)cb)(ctx, &t);
}

enum fp_err sq_track_track_put(struct fp_tx *tx, const struct fp_track_rec *t,
                               struct fp_diag *diag)
{
        static const char up[] =
            "INSERT INTO track_records (" TRACK_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (id) DO UPDATE SET grp = excluded.grp, assignee = excluded.assignee,"
            " state = excluded.state, severity = excluded.severity, kev = excluded.kev,"
            " sla_due = excluded.sla_due, advisories = excluded.advisories,"
            " cycle = excluded.cycle, closed = excluded.closed,"
            " risk_until = excluded.risk_until, evidence = excluded.evidence,"
            " updated = excluded.updated";
        struct sq_stmt *st = sq_stmt(tx, up, true, "ssssssssiisiiiisi", t->id, t->account, t->vuln,
                                   t->scope, t->grp, s0(t->assignee), t->state, s0(t->severity),
                                   (int64_t)t->kev, t->sla_due, s0(t->advisories), t->opened,
                                   t->cycle, t->closed, t->risk_until, s0(t->evidence),
                                   t->updated);
        return sq_insert_new(tx, st, diag, "tracking record of this vulnerability and scope");
}

enum fp_err sq_track_track_get(struct fp_tx *tx, const char *id, struct fp_track_rec *out,
                               struct fp_diag *diag)
{
        static const char sel[] = "SELECT " TRACK_COLS " FROM track_records WHERE id = ?";
        return one_row(tx, sq_stmt(tx, sel, true, "s", id), track_fill, out, diag,
                       "tracking record");
}

enum fp_err sq_track_track_find(struct fp_tx *tx, const char *account, const char *vuln,
                                const char *scope, struct fp_track_rec *out,
                                struct fp_diag *diag)
{
        static const char sel[] = "SELECT " TRACK_COLS " FROM track_records"
                                  " WHERE account = ? AND vuln = ? AND scope = ?";
        return one_row(tx, sq_stmt(tx, sel, true, "sss", account, vuln, scope), track_fill, out,
                       diag, "tracking record");
}

enum fp_err sq_track_track_list(struct fp_tx *tx, const struct fp_track_filter *f,
                                fp_track_cb cb, void *ctx, struct fp_diag *diag)
{
        /* The visible accounts as a JSON array: one statement whatever their number. */
        char *accounts = NULL;
        if (f->accounts) {
                json_t *a = json_array();
                for (size_t i = 0; a && i < f->account_count; i++)
                        json_array_append_new(a, json_string(f->accounts[i]));
                accounts = a ? json_dumps(a, JSON_COMPACT) : NULL;
                json_decref(a);
                if (!accounts)
                        return FP_ENOMEM;
        }
        static const char sel[] =
            "SELECT " TRACK_COLS " FROM track_records"
            " WHERE (?1 IS NULL OR account IN (SELECT value FROM json_each(?1)))"
            " AND (?2 IS NULL OR account = ?2) AND (?3 IS NULL OR state = ?3)"
            " AND (?4 IS NULL OR grp = ?4) AND (?5 IS NULL OR vuln = ?5)"
            " AND (?6 IS NULL OR id > ?6) ORDER BY id LIMIT ?7";
        enum fp_err err = each_row(
            tx,
            sq_stmt(tx, sel, true, "ssssssi", accounts, f->account, f->state, f->grp, f->vuln,
                    f->after_id, f->limit ? (int64_t)f->limit : INT64_MAX),
            track_row, (void *)cb, ctx, diag, "tracking records");
        free(accounts);
        return err;
}

static void event_fill(struct fp_tx *tx, struct sq_stmt *st, struct fp_track_event *e)
{
        e->track = sq_col_str0(tx, st, 0);
        e->seq = sq_col_int(st, 1);
        e->at = sq_col_int(st, 2);
        e->actor = sq_col_str0(tx, st, 3);
        e->action = sq_col_str0(tx, st, 4);
        e->detail = sq_col_str0(tx, st, 5);
}

static bool event_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_track_event e;
        event_fill(tx, st, &e);
        return ((fp_track_event_cb)cb)(ctx, &e);
}

enum fp_err sq_track_track_event_add(struct fp_tx *tx, const struct fp_track_event *e,
                                     struct fp_diag *diag)
{
        static const char ins[] =
            "INSERT INTO track_events (track, seq, at, actor, action, detail)"
            " VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM track_events WHERE track = ?1),"
            " ?2, ?3, ?4, ?5)";
        return sq_run(tx,
                      sq_stmt(tx, ins, true, "sisss", e->track, e->at, e->actor, e->action,
                              e->detail && *e->detail ? e->detail : "{}"),
                      NULL, diag, "tracking history");
}

enum fp_err sq_track_track_event_list(struct fp_tx *tx, const char *track, fp_track_event_cb cb,
                                      void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT track, seq, at, actor, action, detail FROM track_events"
                                  " WHERE track = ? ORDER BY seq";
        return each_row(tx, sq_stmt(tx, sel, true, "s", track), event_row, (void *)cb, ctx, diag,
                        "tracking history");
}

enum fp_err sq_track_track_link_add(struct fp_tx *tx, const char *track, const char *cr,
                                    int64_t at, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO track_links (track, cr, at) VALUES (?,?,?)";
        return sq_insert_new(tx, sq_stmt(tx, ins, true, "ssi", track, cr, at), diag, "link");
}

static bool link_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        return ((fp_track_link_cb)cb)(ctx, sq_col_str0(tx, st, 0), sq_col_str0(tx, st, 1),
                                      sq_col_int(st, 2));
}

enum fp_err sq_track_track_link_list(struct fp_tx *tx, const char *track, const char *cr,
                                     fp_track_link_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT track, cr, at FROM track_links"
                                  " WHERE (?1 IS NULL OR track = ?1) AND (?2 IS NULL OR cr = ?2)"
                                  " ORDER BY at, track, cr";
        return each_row(tx, sq_stmt(tx, sel, true, "ss", track, cr), link_row, (void *)cb, ctx,
                        diag, "tracking links");
}

/* ---- resolver rules ---- */

enum fp_err sq_track_rules_put(struct fp_tx *tx, const char *account, const char *document,
                               const char *by, int64_t at, struct fp_diag *diag)
{
        static const char up[] = "INSERT OR REPLACE INTO resolver_rules"
                                 " (account, document, updated_by, updated) VALUES (?,?,?,?)";
        return sq_run(tx, sq_stmt(tx, up, true, "sssi", account, document, s0(by), at), NULL,
                      diag, "resolver rules");
}

static void doc_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        *(const char **)out = sq_col_str0(tx, st, 0);
}

enum fp_err sq_track_rules_get(struct fp_tx *tx, const char *account, const char **document,
                               struct fp_diag *diag)
{
        static const char sel[] = "SELECT document FROM resolver_rules WHERE account = ?";
        return one_row(tx, sq_stmt(tx, sel, true, "s", account), doc_fill, (void *)document,
                       diag, "resolver rules");
}

enum fp_err sq_track_rules_delete(struct fp_tx *tx, const char *account, struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM resolver_rules WHERE account = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, del, true, "s", account), &n, diag,
                                 "resolver rules");
        return changed_one(err, n, diag, "resolver rules");
}

/* ---- job snapshots ---- */

#define SNAP_COLS "job, host, before_hash, before, finished, after_hash, after, after_at"

static void snap_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_snap_rec *s = out;
        s->job = sq_col_str0(tx, st, 0);
        s->host = sq_col_str0(tx, st, 1);
        s->before_hash = sq_col_str0(tx, st, 2);
        s->before = sq_col_str0(tx, st, 3);
        s->finished = sq_col_int(st, 4);
        s->after_hash = sq_col_str0(tx, st, 5);
        s->after = sq_col_str0(tx, st, 6);
        s->after_at = sq_col_int(st, 7);
}

static bool snap_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_snap_rec s;
        snap_fill(tx, st, &s);
        return ((fp_snap_cb)cb)(ctx, &s);
}

enum fp_err sq_track_snap_put(struct fp_tx *tx, const struct fp_snap_rec *s,
                              struct fp_diag *diag)
{
        static const char up[] = "INSERT OR REPLACE INTO job_snapshots (" SNAP_COLS ")"
                                 " VALUES (?,?,?,?,?,?,?,?)";
        return sq_run(tx,
                      sq_stmt(tx, up, true, "ssssissi", s->job, s->host, s0(s->before_hash),
                              s->before && *s->before ? s->before : "{}", s->finished,
                              s0(s->after_hash), s0(s->after), s->after_at),
                      NULL, diag, "job snapshot");
}

enum fp_err sq_track_snap_get(struct fp_tx *tx, const char *job, struct fp_snap_rec *out,
                              struct fp_diag *diag)
{
        static const char sel[] = "SELECT " SNAP_COLS " FROM job_snapshots WHERE job = ?";
        return one_row(tx, sq_stmt(tx, sel, true, "s", job), snap_fill, out, diag,
                       "job snapshot");
}

enum fp_err sq_track_snap_pending(struct fp_tx *tx, const char *host, fp_snap_cb cb, void *ctx,
                                  struct fp_diag *diag)
{
        static const char sel[] = "SELECT " SNAP_COLS " FROM job_snapshots"
                                  " WHERE host = ? AND after_hash = '' ORDER BY finished, job";
        return each_row(tx, sq_stmt(tx, sel, true, "s", host), snap_row, (void *)cb, ctx, diag,
                        "job snapshots");
}
