/*
 * The SQLite engine's orchestration tables (include/fleetpatch/store_orch.h): named documents,
 * change requests, votes, frozen update sets, rollouts and their hosts, the scheduler lease,
 * first sightings of update versions, catch-up runs. Schema: migration 3 in sqlite.c.
 */
#include <string.h>

#include "store/sql_int.h"

/* Step st to the end: row(tx, st, rec) fills a record, cb takes it; finalizes st. */
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

/* ---- named documents ---- */

#define DOC_COLS "kind, account, name, document, created_by, created, updated"

static void doc_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_doc_rec *d = out;
        d->kind = (enum fp_doc_kind)sq_col_int(st, 0);
        d->account = sq_col_str0(tx, st, 1);
        d->name = sq_col_str0(tx, st, 2);
        d->document = sq_col_str0(tx, st, 3);
        d->created_by = sq_col_str0(tx, st, 4);
        d->created = sq_col_int(st, 5);
        d->updated = sq_col_int(st, 6);
}

static bool doc_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_doc_rec d;
        doc_fill(tx, st, &d);
        return ((fp_doc_cb)cb)(ctx, &d);
}

enum fp_err sq_orch_doc_put(struct fp_tx *tx, const struct fp_doc_rec *d, bool create,
                            struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO documents (" DOC_COLS ") VALUES (?,?,?,?,?,?,?)";
        static const char up[] =
            "INSERT INTO documents (" DOC_COLS ") VALUES (?,?,?,?,?,?,?)"
            " ON CONFLICT (kind, account, name) DO UPDATE SET document = excluded.document,"
            " updated = excluded.updated";
        struct sq_stmt *st = sq_stmt(tx, create ? ins : up, true, "issssii", (int64_t)d->kind,
                                   d->account, d->name, d->document,
                                   d->created_by ? d->created_by : "", d->created, d->updated);
        if (create)
                return sq_insert_new(tx, st, diag,
                                     d->kind == FP_DOC_WINDOW ? "window" : "baseline");
        return sq_run(tx, st, NULL, diag, "document");
}

enum fp_err sq_orch_doc_get(struct fp_tx *tx, enum fp_doc_kind kind, const char *account,
                            const char *name, struct fp_doc_rec *out, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " DOC_COLS " FROM documents"
                                  " WHERE kind = ? AND account = ? AND name = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "iss", (int64_t)kind, account, name), doc_fill,
                          out, diag, "document");
}

enum fp_err sq_orch_doc_list(struct fp_tx *tx, enum fp_doc_kind kind, const char *account,
                             fp_doc_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " DOC_COLS " FROM documents"
                                  " WHERE kind = ? AND (?2 IS NULL OR account = ?2)"
                                  " ORDER BY account, name";
        return each_row(tx, sq_stmt(tx, sel, true, "is", (int64_t)kind, account), doc_row,
                        (void *)cb, ctx, diag, "documents");
}

enum fp_err sq_orch_doc_delete(struct fp_tx *tx, enum fp_doc_kind kind, const char *account,
                               const char *name, struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM documents WHERE kind = ? AND account = ? AND name = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, del, true, "iss", (int64_t)kind, account, name),
                                 &n, diag, "document");
        return sq_changed_one(err, n);
}

/* ---- change requests ---- */

#define CR_COLS                                                                                    \
        "id, account, title, author, state, baseline, \"window\", document, emergency,"                \
        " review_pending, reviewed_by, created, updated"

static void cr_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_cr_rec *c = out;
        c->id = sq_col_str0(tx, st, 0);
        c->account = sq_col_str0(tx, st, 1);
        c->title = sq_col_str0(tx, st, 2);
        c->author = sq_col_str0(tx, st, 3);
        c->state = sq_col_str0(tx, st, 4);
        c->baseline = sq_col_str0(tx, st, 5);
        c->window = sq_col_str0(tx, st, 6);
        c->document = sq_col_str0(tx, st, 7);
        c->emergency = sq_col_int(st, 8) != 0;
        c->review_pending = sq_col_int(st, 9) != 0;
        c->reviewed_by = sq_col_str0(tx, st, 10);
        c->created = sq_col_int(st, 11);
        c->updated = sq_col_int(st, 12);
}

static bool cr_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_cr_rec c;
        cr_fill(tx, st, &c);
        return ((fp_cr_cb)cb)(ctx, &c);
}

enum fp_err sq_orch_cr_create(struct fp_tx *tx, const struct fp_cr_rec *c, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO change_requests (" CR_COLS ")"
                                  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
        return sq_insert_new(tx,
                             sq_stmt(tx, ins, true, "ssssssssiisii", c->id, c->account, c->title,
                                     c->author, c->state, c->baseline, c->window, c->document,
                                     (int64_t)c->emergency, (int64_t)c->review_pending,
                                     c->reviewed_by ? c->reviewed_by : "", c->created, c->updated),
                             diag, "change request");
}

enum fp_err sq_orch_cr_get(struct fp_tx *tx, const char *id, struct fp_cr_rec *out,
                           struct fp_diag *diag)
{
        static const char sel[] = "SELECT " CR_COLS " FROM change_requests WHERE id = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "s", id), cr_fill, out, diag,
                          "change request");
}

enum fp_err sq_orch_cr_list(struct fp_tx *tx, const char *account, const char *state,
                            fp_cr_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " CR_COLS " FROM change_requests"
                                  " WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR state = ?2)"
                                  " ORDER BY created DESC, id DESC";
        return each_row(tx, sq_stmt(tx, sel, true, "ss", account, state), cr_row, (void *)cb, ctx,
                        diag, "change requests");
}

enum fp_err sq_orch_cr_set_state(struct fp_tx *tx, const char *id, const char *state,
                                 bool review_pending, const char *reviewed_by, int64_t now,
                                 struct fp_diag *diag)
{
        static const char up[] = "UPDATE change_requests SET state = ?, review_pending = ?,"
                                 " reviewed_by = coalesce(?, reviewed_by), updated = ? WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx,
                                 sq_stmt(tx, up, true, "sisis", state, (int64_t)review_pending,
                                         reviewed_by, now, id),
                                 &n, diag, "change request");
        return sq_changed_one(err, n);
}

static void vote_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_cr_vote *v = out;
        v->cr = sq_col_str0(tx, st, 0);
        v->user = sq_col_str0(tx, st, 1);
        v->decision = sq_col_str0(tx, st, 2);
        v->comment = sq_col_str0(tx, st, 3);
        v->at = sq_col_int(st, 4);
}

static bool vote_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_cr_vote v;
        vote_fill(tx, st, &v);
        return ((fp_cr_vote_cb)cb)(ctx, &v);
}

enum fp_err sq_orch_cr_vote_add(struct fp_tx *tx, const struct fp_cr_vote *v,
                                struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO cr_votes (cr, \"user\", decision, comment, at)"
                                  " VALUES (?,?,?,?,?)";
        return sq_insert_new(tx,
                             sq_stmt(tx, ins, true, "ssssi", v->cr, v->user, v->decision,
                                     v->comment ? v->comment : "", v->at),
                             diag, "vote");
}

enum fp_err sq_orch_cr_vote_list(struct fp_tx *tx, const char *cr, fp_cr_vote_cb cb, void *ctx,
                                 struct fp_diag *diag)
{
        static const char sel[] = "SELECT cr, \"user\", decision, comment, at FROM cr_votes"
                                  " WHERE cr = ? ORDER BY at, \"user\", decision";
        return each_row(tx, sq_stmt(tx, sel, true, "s", cr), vote_row, (void *)cb, ctx, diag,
                        "votes");
}

static bool update_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_cr_update u = {
            .cr = sq_col_str0(tx, st, 0),
            .host = sq_col_str0(tx, st, 1),
            .name = sq_col_str0(tx, st, 2),
            .arch = sq_col_str0(tx, st, 3),
            .version = sq_col_str0(tx, st, 4),
        };
        return ((fp_cr_update_cb)cb)(ctx, &u);
}

enum fp_err sq_orch_cr_update_add(struct fp_tx *tx, const struct fp_cr_update *u,
                                  struct fp_diag *diag)
{
        static const char ins[] = "INSERT OR REPLACE INTO cr_updates (cr, host, name, arch, version)"
                                  " VALUES (?,?,?,?,?)";
        return sq_run(tx, sq_stmt(tx, ins, true, "sssss", u->cr, u->host, u->name, u->arch,
                                  u->version),
                      NULL, diag, "update set");
}

enum fp_err sq_orch_cr_update_list(struct fp_tx *tx, const char *cr, const char *host,
                                   fp_cr_update_cb cb, void *ctx, struct fp_diag *diag)
{
        /* Two statements: "(? IS NULL OR host = ?)" would scan the whole set per host. */
        static const char all[] = "SELECT cr, host, name, arch, version FROM cr_updates"
                                  " WHERE cr = ? ORDER BY host, name, arch";
        static const char one[] = "SELECT cr, host, name, arch, version FROM cr_updates"
                                  " WHERE cr = ? AND host = ? ORDER BY name, arch";
        struct sq_stmt *st = host ? sq_stmt(tx, one, true, "ss", cr, host)
                                : sq_stmt(tx, all, true, "s", cr);
        return each_row(tx, st, update_row, (void *)cb, ctx, diag, "update set");
}

/* ---- rollouts ---- */

#define RO_COLS                                                                                    \
        "cr, status, spec, \"window\", wave, wave_count, wave_done_at, failures, started_total,"       \
        " created, updated, gen"

static void rollout_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_rollout_rec *r = out;
        r->cr = sq_col_str0(tx, st, 0);
        r->status = sq_col_str0(tx, st, 1);
        r->spec_json = sq_col_str0(tx, st, 2);
        r->window_json = sq_col_str0(tx, st, 3);
        r->wave = sq_col_int(st, 4);
        r->wave_count = sq_col_int(st, 5);
        r->wave_done_at = sq_col_int(st, 6);
        r->failures = sq_col_int(st, 7);
        r->started_total = sq_col_int(st, 8);
        r->created = sq_col_int(st, 9);
        r->updated = sq_col_int(st, 10);
        r->gen = sq_col_int(st, 11);
}

static bool rollout_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_rollout_rec r;
        rollout_fill(tx, st, &r);
        return ((fp_rollout_cb)cb)(ctx, &r);
}

enum fp_err sq_orch_rollout_put(struct fp_tx *tx, const struct fp_rollout_rec *r,
                                struct fp_diag *diag)
{
        static const char up[] =
            "INSERT INTO rollouts (" RO_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,0)"
            " ON CONFLICT (cr) DO UPDATE SET status = excluded.status, wave = excluded.wave,"
            " wave_count = excluded.wave_count, wave_done_at = excluded.wave_done_at,"
            " failures = excluded.failures, started_total = excluded.started_total,"
            " updated = excluded.updated, gen = rollouts.gen + 1";
        return sq_run(tx,
                      sq_stmt(tx, up, true, "ssssiiiiiii", r->cr, r->status, r->spec_json,
                              r->window_json, r->wave, r->wave_count, r->wave_done_at,
                              r->failures, r->started_total, r->created, r->updated),
                      NULL, diag, "rollout");
}

enum fp_err sq_orch_rollout_get(struct fp_tx *tx, const char *cr, struct fp_rollout_rec *out,
                                struct fp_diag *diag)
{
        static const char sel[] = "SELECT " RO_COLS " FROM rollouts WHERE cr = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "s", cr), rollout_fill, out, diag, "rollout");
}

enum fp_err sq_orch_rollout_list(struct fp_tx *tx, bool active, fp_rollout_cb cb, void *ctx,
                                 struct fp_diag *diag)
{
        static const char sel[] =
            "SELECT " RO_COLS " FROM rollouts WHERE ?1 = 0 OR status IN"
            " ('scheduled', 'running', 'paused', 'halted') ORDER BY created, cr";
        return each_row(tx, sq_stmt(tx, sel, true, "i", (int64_t)active), rollout_row,
                        (void *)cb, ctx, diag, "rollouts");
}

#define RH_COLS                                                                                    \
        "cr, host, tz, region, zone, grp, ring, wave, ord, state, started, finished,"              \
        " start_until, attempts, job, rollback_job"

static bool rollout_host_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_rollout_host_rec h = {
            .cr = sq_col_str0(tx, st, 0),
            .host = sq_col_str0(tx, st, 1),
            .tz = sq_col_str0(tx, st, 2),
            .region = sq_col_str0(tx, st, 3),
            .zone = sq_col_str0(tx, st, 4),
            .grp = sq_col_str0(tx, st, 5),
            .ring = sq_col_int(st, 6),
            .wave = sq_col_int(st, 7),
            .order = sq_col_int(st, 8),
            .state = sq_col_str0(tx, st, 9),
            .started = sq_col_int(st, 10),
            .finished = sq_col_int(st, 11),
            .start_until = sq_col_int(st, 12),
            .attempts = sq_col_int(st, 13),
            .job = sq_col_str0(tx, st, 14),
            .rollback_job = sq_col_str0(tx, st, 15),
        };
        return ((fp_rollout_host_cb)cb)(ctx, &h);
}

enum fp_err sq_orch_rollout_host_put(struct fp_tx *tx, const struct fp_rollout_host_rec *h,
                                     struct fp_diag *diag)
{
        static const char up[] = "INSERT OR REPLACE INTO rollout_hosts (" RH_COLS ")"
                                 " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        return sq_run(tx,
                      sq_stmt(tx, up, true, "ssssssiiisiiiiss", h->cr, h->host, h->tz, h->region,
                              h->zone, h->grp, h->ring, h->wave, h->order, h->state, h->started,
                              h->finished, h->start_until, h->attempts, h->job ? h->job : "",
                              h->rollback_job ? h->rollback_job : ""),
                      NULL, diag, "rollout host");
}

enum fp_err sq_orch_rollout_host_list(struct fp_tx *tx, const char *cr, fp_rollout_host_cb cb,
                                      void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " RH_COLS " FROM rollout_hosts WHERE cr = ?"
                                  " ORDER BY wave, ord, host";
        return each_row(tx, sq_stmt(tx, sel, true, "s", cr), rollout_host_row, (void *)cb, ctx,
                        diag, "rollout hosts");
}

/* ---- hosts, lightly ---- */

enum fp_err sq_orch_host_seen(struct fp_tx *tx, const char *account, fp_host_seen_cb cb,
                              void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT id, last_seen FROM hosts WHERE account = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", account);
        if (!st)
                return sq_fail(tx, diag, "hosts");
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW)
                if (!cb(ctx, sq_col_text(st, 0), sq_col_int(st, 1))) {
                        rc = SQ_DONE;
                        break;
                }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "hosts");
        sq_done(tx, st);
        return err;
}

/* ---- the lease ---- */

enum fp_err sq_orch_lease_acquire(struct fp_tx *tx, const char *name, const char *holder,
                                  int64_t now, int64_t ttl, struct fp_diag *diag)
{
        static const char up[] =
            "INSERT INTO leases (name, holder, expires) VALUES (?1, ?2, ?3 + ?4)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires = excluded.expires WHERE leases.holder = ?2 OR leases.expires <= ?3";
        /* The engine's own lock, when it has one (PostgreSQL: a session advisory lock),
         * decides between processes: taken just now, the previous holder's session has
         * ended, so the row is claimed whatever its expiry says; a replica killed while
         * leading is replaced on the next tick, not a lease period later. Held already,
         * the row decides between holders inside this process, as under SQLite. */
        static const char claim[] =
            "INSERT INTO leases (name, holder, expires) VALUES (?1, ?2, ?3 + ?4)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires = excluded.expires";
        const struct sq_driver *drv = tx->store->drv;
        bool fresh = false;
        if (drv->lease) {
                enum fp_err err = drv->lease(tx, name, &fresh, diag);
                if (err != FP_OK)
                        return err;
        }
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, fresh ? claim : up, true, "ssii", name, holder,
                                             now, ttl),
                                 &n, diag, "lease");
        if (err == FP_OK && n == 0) {
                fp_diag_set(diag, NULL, 0, NULL, "lease '%s' is held by another process", name);
                return FP_EEXIST;
        }
        return err;
}

/* ---- first sightings ---- */

static void int_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        *(int64_t *)out = sq_col_int(st, 0);
}

enum fp_err sq_orch_first_seen(struct fp_tx *tx, const char *family, const char *name,
                               const char *arch, const char *version, int64_t now,
                               int64_t *first, struct fp_diag *diag)
{
        static const char ins[] = "INSERT OR IGNORE INTO update_first_seen"
                                  " (family, name, arch, version, first_seen) VALUES (?,?,?,?,?)";
        static const char sel[] = "SELECT first_seen FROM update_first_seen"
                                  " WHERE family = ? AND name = ? AND arch = ? AND version = ?";
        enum fp_err err = FP_OK;
        if (tx->write)
                err = sq_run(tx, sq_stmt(tx, ins, true, "ssssi", family, name, arch, version, now),
                             NULL, diag, "first seen");
        if (err != FP_OK)
                return err;
        *first = now;
        err = sq_one_row(tx, sq_stmt(tx, sel, true, "ssss", family, name, arch, version), int_fill,
                         first, diag, "first seen");
        return err == FP_ENOTFOUND ? FP_OK : err;
}

/* ---- jobs ---- */

enum fp_err sq_orch_job_withdraw(struct fp_tx *tx, const char *id, const char *detail,
                                 int64_t now, struct fp_diag *diag)
{
        static const char up[] = "UPDATE jobs SET status = ?, detail = ?, finished = ?"
                                 " WHERE id = ? AND status = ?";
        int n = 0;
        enum fp_err err = sq_run(tx,
                                 sq_stmt(tx, up, true, "isisi", (int64_t)FP_JOB_FAILED, detail, now,
                                         id, (int64_t)FP_JOB_QUEUED),
                                 &n, diag, "job");
        return sq_changed_one(err, n);
}

/* ---- catch-up runs ---- */

#define CU_COLS "host, baseline, state, job, hook_job, since, updated"

static void catchup_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_catchup_rec *c = out;
        c->host = sq_col_str0(tx, st, 0);
        c->baseline = sq_col_str0(tx, st, 1);
        c->state = sq_col_str0(tx, st, 2);
        c->job = sq_col_str0(tx, st, 3);
        c->hook_job = sq_col_str0(tx, st, 4);
        c->since = sq_col_int(st, 5);
        c->updated = sq_col_int(st, 6);
}

static bool catchup_row(struct fp_tx *tx, struct sq_stmt *st, void *cb, void *ctx)
{
        struct fp_catchup_rec c;
        catchup_fill(tx, st, &c);
        return ((fp_catchup_cb)cb)(ctx, &c);
}

enum fp_err sq_orch_catchup_put(struct fp_tx *tx, const struct fp_catchup_rec *c,
                                struct fp_diag *diag)
{
        static const char up[] = "INSERT OR REPLACE INTO catchup_runs (" CU_COLS ")"
                                 " VALUES (?,?,?,?,?,?,?)";
        return sq_run(tx,
                      sq_stmt(tx, up, true, "sssssii", c->host, c->baseline, c->state,
                              c->job ? c->job : "", c->hook_job ? c->hook_job : "", c->since,
                              c->updated),
                      NULL, diag, "catch-up run");
}

enum fp_err sq_orch_catchup_get(struct fp_tx *tx, const char *host, struct fp_catchup_rec *out,
                                struct fp_diag *diag)
{
        static const char sel[] = "SELECT " CU_COLS " FROM catchup_runs WHERE host = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "s", host), catchup_fill, out, diag,
                          "catch-up run");
}

enum fp_err sq_orch_catchup_list(struct fp_tx *tx, fp_catchup_cb cb, void *ctx,
                                 struct fp_diag *diag)
{
        static const char sel[] = "SELECT " CU_COLS " FROM catchup_runs ORDER BY host";
        return each_row(tx, sq_stmt(tx, sel, true, ""), catchup_row, (void *)cb, ctx, diag,
                        "catch-up runs");
}
