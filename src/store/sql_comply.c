/*
 * The SQLite engine's compliance tables (include/fleetpatch/store_comply.h): current states,
 * state changes, the daily rollup of deltas, report schedules, and the mean time to remediate
 * read from the tracking part's exposures table. Schema: migration 6 in sqlite.c.
 */
#include <stdio.h>
#include <string.h>

#include "store/sql_int.h"

#define REC_COLS                                                                                   \
        "host, account, hostname, region, os, baseline, service, service_model, version, tags,"    \
        " since, state, level, m0, m1, m2, m3, m4, m5, m6, gaps, excepted, sev0, sev1, sev2,"      \
        " sev3, sev4, sev5, kev, overdue, sla_min, catchup, reboot"
#define REC_NCOLS 33
#define REC_QMARKS                                                                                 \
        "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"

static void rec_fill(struct fp_tx *tx, struct sq_stmt *st, struct fp_comply_rec *r)
{
        memset(r, 0, sizeof(*r));
        r->host = sq_col_str0(tx, st, 0);
        r->account = sq_col_str0(tx, st, 1);
        r->hostname = sq_col_str0(tx, st, 2);
        r->region = sq_col_str0(tx, st, 3);
        r->os = sq_col_str0(tx, st, 4);
        r->baseline = sq_col_str0(tx, st, 5);
        r->service = sq_col_str0(tx, st, 6);
        r->service_model = sq_col_str0(tx, st, 7);
        r->version = sq_col_str0(tx, st, 8);
        r->tags_json = sq_col_str0(tx, st, 9);
        r->since = sq_col_int(st, 10);
        r->state = (enum fp_comply_state)sq_col_int(st, 11);
        r->level = sq_col_int(st, 12);
        for (int i = 0; i < FP_COMPLY_LEVELS; i++)
                r->missing[i] = sq_col_int(st, 13 + i);
        r->gaps = sq_col_int(st, 20);
        r->excepted = sq_col_int(st, 21);
        for (int i = 0; i < 6; i++)
                r->sev[i] = sq_col_int(st, 22 + i);
        r->kev = sq_col_int(st, 28);
        r->overdue = sq_col_int(st, 29);
        r->sla_min = sq_col_int(st, 30);
        r->catchup = sq_col_int(st, 31) != 0;
        r->reboot = sq_col_int(st, 32) != 0;
}

/* Bind the record's columns as parameters 1..REC_NCOLS. */
static void rec_bind(struct sq_stmt *st, const struct fp_comply_rec *r)
{
        const char *texts[] = {r->host,    r->account, r->hostname,      r->region,
                               r->os,      r->baseline, r->service,      r->service_model,
                               r->version, r->tags_json};
        int i = 1;
        for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
                sq_bind_text(st, i++, texts[k] ? texts[k] : "");
        sq_bind_int(st, i++, r->since);
        sq_bind_int(st, i++, (int64_t)r->state);
        sq_bind_int(st, i++, r->level);
        for (int k = 0; k < FP_COMPLY_LEVELS; k++)
                sq_bind_int(st, i++, r->missing[k]);
        sq_bind_int(st, i++, r->gaps);
        sq_bind_int(st, i++, r->excepted);
        for (int k = 0; k < 6; k++)
                sq_bind_int(st, i++, r->sev[k]);
        sq_bind_int(st, i++, r->kev);
        sq_bind_int(st, i++, r->overdue);
        sq_bind_int(st, i++, r->sla_min);
        sq_bind_int(st, i++, r->catchup);
        sq_bind_int(st, i, r->reboot);
}

enum fp_err sq_comply_comply_get(struct fp_tx *tx, const char *host, struct fp_comply_rec *out,
                                 struct fp_comply_meta *meta, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " REC_COLS ", evaluated, boot_id, reboot_since"
                                  " FROM comply_hosts WHERE host = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", host);
        if (!st)
                return sq_fail(tx, diag, "compliance state");
        int rc = sq_step(st);
        if (rc == SQ_ROW) {
                rec_fill(tx, st, out);
                if (meta) {
                        meta->evaluated = sq_col_int(st, REC_NCOLS);
                        meta->boot_id = sq_col_str0(tx, st, REC_NCOLS + 1);
                        meta->reboot_since = sq_col_int(st, REC_NCOLS + 2);
                }
        }
        sq_done(tx, st);
        if (rc == SQ_ROW)
                return FP_OK;
        return rc == SQ_DONE ? FP_ENOTFOUND : sq_fail(tx, diag, "compliance state");
}

enum fp_err sq_comply_comply_put(struct fp_tx *tx, const struct fp_comply_rec *r,
                                 const struct fp_comply_meta *meta, bool history,
                                 struct fp_diag *diag)
{
        static const char up[] = "INSERT OR REPLACE INTO comply_hosts (" REC_COLS
                                 ", evaluated, boot_id, reboot_since) VALUES (" REC_QMARKS
                                 ",?,?,?)";
        /* Two changes in one second: the later one is the state of that second. */
        static const char hist[] = "INSERT OR REPLACE INTO comply_history (" REC_COLS
                                   ") VALUES (" REC_QMARKS ")";
        struct sq_stmt *st = sq_stmt(tx, up, true, "");
        if (!st)
                return sq_fail(tx, diag, "compliance state");
        rec_bind(st, r);
        sq_bind_int(st, REC_NCOLS + 1, meta ? meta->evaluated : 0);
        sq_bind_text(st, REC_NCOLS + 2, meta && meta->boot_id ? meta->boot_id : "");
        sq_bind_int(st, REC_NCOLS + 3, meta ? meta->reboot_since : 0);
        enum fp_err err = sq_run(tx, st, NULL, diag, "compliance state");
        if (err != FP_OK || !history)
                return err;
        st = sq_stmt(tx, hist, true, "");
        if (!st)
                return sq_fail(tx, diag, "compliance history");
        rec_bind(st, r);
        return sq_run(tx, st, NULL, diag, "compliance history");
}

/* " AND <col> IN (?,?,...)" for the filter's accounts; false when it matches nothing. */
static bool accounts_sql(const struct fp_comply_filter *f, const char *col, char *out,
                         size_t outsz)
{
        out[0] = 0;
        if (!f || !f->accounts)
                return true;
        if (f->account_count == 0)
                return false;
        size_t n = (size_t)snprintf(out, outsz, " AND %s IN (", col);
        for (size_t i = 0; i < f->account_count && n + 3 < outsz; i++)
                n += (size_t)snprintf(out + n, outsz - n, i ? ",?" : "?");
        if (n + 2 < outsz)
                snprintf(out + n, outsz - n, ")");
        return true;
}

/* Bind the filter's accounts from parameter *i on. */
static void accounts_bind(struct sq_stmt *st, const struct fp_comply_filter *f, int *i)
{
        for (size_t k = 0; f && f->accounts && k < f->account_count; k++)
                sq_bind_text(st, (*i)++, f->accounts[k]);
}

/* The most accounts a filter may name (the grants of one user). */
#define MAX_FILTER_ACCOUNTS 256

static enum fp_err rec_rows(struct fp_tx *tx, struct sq_stmt *st, fp_comply_cb cb, void *ctx,
                            struct fp_diag *diag, const char *what)
{
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                struct fp_comply_rec r;
                rec_fill(tx, st, &r);
                if (!cb(ctx, &r)) {
                        rc = SQ_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, what);
        sq_done(tx, st);
        return err;
}

static enum fp_err prepare(struct fp_tx *tx, const char *sql, struct sq_stmt **st,
                           struct fp_diag *diag, const char *what)
{
        if (!(*st = sq_prepare(tx, sql, false)))
                return sq_fail(tx, diag, what);
        return FP_OK;
}

static enum fp_err check_filter(const struct fp_comply_filter *f, struct fp_diag *diag)
{
        if (f && f->accounts && f->account_count > MAX_FILTER_ACCOUNTS) {
                fp_diag_set(diag, NULL, 0, "accounts", "at most %d accounts in one query",
                            MAX_FILTER_ACCOUNTS);
                return FP_ELIMIT;
        }
        return FP_OK;
}

enum fp_err sq_comply_comply_list(struct fp_tx *tx, const struct fp_comply_filter *f,
                                  fp_comply_cb cb, void *ctx, struct fp_diag *diag)
{
        char acc[MAX_FILTER_ACCOUNTS * 2 + 64], sql[sizeof(acc) + 512];
        enum fp_err err = check_filter(f, diag);
        if (err != FP_OK)
                return err;
        if (!accounts_sql(f, "account", acc, sizeof(acc)))
                return FP_OK;
        snprintf(sql, sizeof(sql),
                 "SELECT " REC_COLS " FROM comply_hosts WHERE state != %d%s%s ORDER BY host%s",
                 (int)FP_CS_REMOVED, acc, f && f->after ? " AND host > ?" : "",
                 f && f->limit ? " LIMIT ?" : "");
        struct sq_stmt *st;
        err = prepare(tx, sql, &st, diag, "compliance states");
        if (err != FP_OK)
                return err;
        int i = 1;
        accounts_bind(st, f, &i);
        if (f && f->after)
                sq_bind_text(st, i++, f->after);
        if (f && f->limit)
                sq_bind_int(st, i, (int64_t)f->limit);
        return rec_rows(tx, st, cb, ctx, diag, "compliance states");
}

enum fp_err sq_comply_comply_at(struct fp_tx *tx, const struct fp_comply_filter *f, int64_t at,
                                fp_comply_cb cb, void *ctx, struct fp_diag *diag)
{
        char acc[MAX_FILTER_ACCOUNTS * 2 + 64], sql[sizeof(acc) + 1024];
        enum fp_err err = check_filter(f, diag);
        if (err != FP_OK)
                return err;
        if (!accounts_sql(f, "c.account", acc, sizeof(acc)))
                return FP_OK;
        /* One index seek per host that ever had a state (comply_hosts keeps removed ones). */
        snprintf(sql, sizeof(sql),
                 "SELECT h.host, h.account, h.hostname, h.region, h.os, h.baseline, h.service,"
                 " h.service_model, h.version, h.tags, h.since, h.state, h.level, h.m0, h.m1,"
                 " h.m2, h.m3, h.m4, h.m5, h.m6, h.gaps, h.excepted, h.sev0, h.sev1, h.sev2,"
                 " h.sev3, h.sev4, h.sev5, h.kev, h.overdue, h.sla_min, h.catchup, h.reboot"
                 " FROM comply_hosts c JOIN comply_history h ON h.host = c.host AND h.since ="
                 " (SELECT max(x.since) FROM comply_history x WHERE x.host = c.host"
                 " AND x.since <= ?1)"
                 " WHERE h.state != %d%s%s ORDER BY c.host%s",
                 (int)FP_CS_REMOVED, acc, f && f->after ? " AND c.host > ?" : "",
                 f && f->limit ? " LIMIT ?" : "");
        struct sq_stmt *st;
        err = prepare(tx, sql, &st, diag, "compliance history");
        if (err != FP_OK)
                return err;
        sq_bind_int(st, 1, at);
        int i = 2;
        accounts_bind(st, f, &i);
        if (f && f->after)
                sq_bind_text(st, i++, f->after);
        if (f && f->limit)
                sq_bind_int(st, i, (int64_t)f->limit);
        return rec_rows(tx, st, cb, ctx, diag, "compliance history");
}

enum fp_err sq_comply_comply_stale(struct fp_tx *tx, int64_t before, size_t limit,
                                   fp_comply_id_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char missing[] = "SELECT h.id FROM hosts h WHERE NOT EXISTS"
                                      " (SELECT 1 FROM comply_hosts c WHERE c.host = h.id)"
                                      " ORDER BY h.id LIMIT ?";
        static const char stale[] = "SELECT host FROM comply_hosts WHERE evaluated < ?"
                                    " AND state != ? ORDER BY evaluated LIMIT ?";
        size_t n = 0;
        for (int pass = 0; pass < 2 && n < limit; pass++) {
                struct sq_stmt *st =
                    pass ? sq_stmt(tx, stale, true, "iii", before, (int64_t)FP_CS_REMOVED,
                                   (int64_t)(limit - n))
                         : sq_stmt(tx, missing, true, "i", (int64_t)limit);
                if (!st)
                        return sq_fail(tx, diag, "compliance");
                int rc;
                while ((rc = sq_step(st)) == SQ_ROW) {
                        n++;
                        const char *id = sq_col_text(st, 0);
                        if (!cb(ctx, id ? id : "")) {
                                rc = SQ_DONE;
                                break;
                        }
                }
                sq_done(tx, st);
                if (rc != SQ_DONE)
                        return sq_fail(tx, diag, "compliance");
        }
        return FP_OK;
}

enum fp_err sq_comply_comply_baselines_since(struct fp_tx *tx, const char *account, int64_t since,
                                            bool *out, struct fp_diag *diag)
{
        /* kind 1: FP_DOC_BASELINE (store_orch.h); the primary key starts (kind, account) */
        static const char sel[] = "SELECT 1 FROM documents WHERE kind = 1 AND account = ?"
                                  " AND (updated >= ? OR created >= ?) LIMIT 1";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "sii", account, since, since);
        if (!st)
                return sq_fail(tx, diag, "baselines");
        int rc = sq_step(st);
        sq_done(tx, st);
        if (rc != SQ_ROW && rc != SQ_DONE)
                return sq_fail(tx, diag, "baselines");
        *out = rc == SQ_ROW;
        return FP_OK;
}

enum fp_err sq_comply_comply_history(struct fp_tx *tx, const char *host, fp_comply_cb cb,
                                     void *ctx, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " REC_COLS " FROM comply_history WHERE host = ?"
                                  " ORDER BY since";
        struct sq_stmt *st = sq_stmt(tx, sel, false, "s", host);
        if (!st)
                return sq_fail(tx, diag, "compliance history");
        return rec_rows(tx, st, cb, ctx, diag, "compliance history");
}

enum fp_err sq_comply_comply_rollup_add(struct fp_tx *tx, const char *account, int64_t day,
                                        int metric, int64_t delta, struct fp_diag *diag)
{
        static const char up[] = "INSERT INTO comply_rollup (account, day, metric, value)"
                                 " VALUES (?,?,?,?) ON CONFLICT (account, day, metric)"
                                 " DO UPDATE SET value = comply_rollup.value + excluded.value";
        if (delta == 0)
                return FP_OK;
        return sq_run(tx, sq_stmt(tx, up, true, "siii", account, day, (int64_t)metric, delta),
                      NULL, diag, "compliance rollup");
}

enum fp_err sq_comply_comply_sla_add(struct fp_tx *tx, const char *account, int64_t day,
                                     int64_t due_day, int64_t delta, struct fp_diag *diag)
{
        static const char up[] = "INSERT INTO comply_sla (account, day, due_day, value)"
                                 " VALUES (?,?,?,?) ON CONFLICT (account, day, due_day)"
                                 " DO UPDATE SET value = comply_sla.value + excluded.value";
        if (delta == 0)
                return FP_OK;
        return sq_run(tx, sq_stmt(tx, up, true, "siii", account, day, due_day, delta), NULL,
                      diag, "compliance SLA rollup");
}

enum fp_err sq_comply_comply_rollup_list(struct fp_tx *tx, const struct fp_comply_filter *f,
                                         int64_t to_day, fp_comply_rollup_cb cb, void *ctx,
                                         struct fp_diag *diag)
{
        char acc[MAX_FILTER_ACCOUNTS * 2 + 64], sql[2 * sizeof(acc) + 512];
        enum fp_err err = check_filter(f, diag);
        if (err != FP_OK)
                return err;
        if (!accounts_sql(f, "account", acc, sizeof(acc)))
                return FP_OK;
        snprintf(sql, sizeof(sql),
                 "SELECT account, day, metric, value FROM comply_rollup WHERE day <= ?1%s"
                 " UNION ALL SELECT account, day, -1 - due_day, value FROM comply_sla"
                 " WHERE day <= ?1%s ORDER BY 2",
                 acc, acc);
        struct sq_stmt *st;
        err = prepare(tx, sql, &st, diag, "compliance rollup");
        if (err != FP_OK)
                return err;
        sq_bind_int(st, 1, to_day);
        int i = 2;
        accounts_bind(st, f, &i);
        accounts_bind(st, f, &i);
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                const char *account = sq_col_text(st, 0);
                if (!cb(ctx, account ? account : "", sq_col_int(st, 1),
                        sq_col_int(st, 2), sq_col_int(st, 3))) {
                        rc = SQ_DONE;
                        break;
                }
        }
        err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "compliance rollup");
        sq_done(tx, st);
        return err;
}

enum fp_err sq_comply_comply_mttr(struct fp_tx *tx, const struct fp_comply_filter *f,
                                  int64_t from, int64_t to, fp_mttr_cb cb, void *ctx,
                                  struct fp_diag *diag)
{
        char acc[MAX_FILTER_ACCOUNTS * 2 + 64], sql[sizeof(acc) + 512];
        enum fp_err err = check_filter(f, diag);
        if (err != FP_OK)
                return err;
        if (!accounts_sql(f, "account", acc, sizeof(acc)))
                return FP_OK;
        snprintf(sql, sizeof(sql),
                 "SELECT account, severity, count(*), sum(fixed_at - first_seen) FROM exposures"
                 " WHERE fixed_at >= ?1 AND fixed_at <= ?2 AND fixed_at > 0%s"
                 " GROUP BY account, severity ORDER BY account, severity",
                 acc);
        struct sq_stmt *st;
        err = prepare(tx, sql, &st, diag, "exposures");
        if (err != FP_OK)
                return err;
        sq_bind_int(st, 1, from);
        sq_bind_int(st, 2, to);
        int i = 3;
        accounts_bind(st, f, &i);
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                const char *account = sq_col_text(st, 0);
                const char *sev = sq_col_text(st, 1);
                if (!cb(ctx, account ? account : "", sev ? sev : "unknown",
                        sq_col_int(st, 2), sq_col_int(st, 3))) {
                        rc = SQ_DONE;
                        break;
                }
        }
        err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "exposures");
        sq_done(tx, st);
        return err;
}

/* ---- report schedules ---- */

#define SCHED_COLS                                                                                 \
        "account, name, report, format, every_days, range_days, next_run, last_run, last_error,"   \
        " created_by, created, updated"

static void sched_fill(struct fp_tx *tx, struct sq_stmt *st, struct fp_report_schedule *s)
{
        s->account = sq_col_str0(tx, st, 0);
        s->name = sq_col_str0(tx, st, 1);
        s->report = sq_col_str0(tx, st, 2);
        s->format = sq_col_str0(tx, st, 3);
        s->every_days = sq_col_int(st, 4);
        s->range_days = sq_col_int(st, 5);
        s->next_run = sq_col_int(st, 6);
        s->last_run = sq_col_int(st, 7);
        s->last_error = sq_col_str0(tx, st, 8);
        s->created_by = sq_col_str0(tx, st, 9);
        s->created = sq_col_int(st, 10);
        s->updated = sq_col_int(st, 11);
}

enum fp_err sq_comply_report_schedule_put(struct fp_tx *tx, const struct fp_report_schedule *s,
                                          bool create, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO report_schedules (" SCHED_COLS ")"
                                  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
        static const char up[] =
            "INSERT INTO report_schedules (" SCHED_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (account, name) DO UPDATE SET report = excluded.report,"
            " format = excluded.format, every_days = excluded.every_days,"
            " range_days = excluded.range_days, next_run = excluded.next_run,"
            " updated = excluded.updated";
        struct sq_stmt *st =
            sq_stmt(tx, create ? ins : up, true, "ssssiiiissii", s->account, s->name,
                    s->report, s->format, s->every_days, s->range_days, s->next_run, s->last_run,
                    s->last_error ? s->last_error : "", s->created_by ? s->created_by : "",
                    s->created, s->updated);
        if (!st)
                return sq_fail(tx, diag, "report schedule");
        int rc = sq_step_new(st);
        sq_done(tx, st);
        if (rc == SQ_CONSTRAINT) {
                fp_diag_set(diag, NULL, 0, "name", "report schedule '%s' exists already",
                            s->name);
                return FP_EEXIST;
        }
        return rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "report schedule");
}

enum fp_err sq_comply_report_schedule_get(struct fp_tx *tx, const char *account,
                                          const char *name, struct fp_report_schedule *out,
                                          struct fp_diag *diag)
{
        static const char sel[] = "SELECT " SCHED_COLS " FROM report_schedules"
                                  " WHERE account = ? AND name = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "ss", account, name);
        if (!st)
                return sq_fail(tx, diag, "report schedule");
        int rc = sq_step(st);
        if (rc == SQ_ROW)
                sched_fill(tx, st, out);
        sq_done(tx, st);
        if (rc == SQ_ROW)
                return FP_OK;
        if (rc == SQ_DONE) {
                fp_diag_set(diag, NULL, 0, NULL, "no report schedule '%s' in account '%s'", name,
                            account);
                return FP_ENOTFOUND;
        }
        return sq_fail(tx, diag, "report schedule");
}

enum fp_err sq_comply_report_schedule_list(struct fp_tx *tx, const char *account, int64_t due,
                                           fp_report_schedule_cb cb, void *ctx,
                                           struct fp_diag *diag)
{
        static const char sel[] = "SELECT " SCHED_COLS " FROM report_schedules"
                                  " WHERE (?1 IS NULL OR account = ?1) AND (?2 = 0 OR next_run <= ?2)"
                                  " ORDER BY account, name";
        struct sq_stmt *st = sq_stmt(tx, sel, false, "si", account, due);
        if (!st)
                return sq_fail(tx, diag, "report schedules");
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                struct fp_report_schedule s;
                sched_fill(tx, st, &s);
                if (!cb(ctx, &s)) {
                        rc = SQ_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, "report schedules");
        sq_done(tx, st);
        return err;
}

enum fp_err sq_comply_report_schedule_delete(struct fp_tx *tx, const char *account,
                                             const char *name, struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM report_schedules WHERE account = ? AND name = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, del, true, "ss", account, name), &n, diag,
                                 "report schedule");
        if (err == FP_OK && n == 0) {
                fp_diag_set(diag, NULL, 0, NULL, "no report schedule '%s' in account '%s'", name,
                            account);
                return FP_ENOTFOUND;
        }
        return err;
}

enum fp_err sq_comply_report_schedule_ran(struct fp_tx *tx, const char *account,
                                          const char *name, int64_t last_run, int64_t next_run,
                                          const char *error, struct fp_diag *diag)
{
        static const char up[] = "UPDATE report_schedules SET last_run = ?, next_run = ?,"
                                 " last_error = ? WHERE account = ? AND name = ?";
        return sq_run(tx,
                      sq_stmt(tx, up, true, "iisss", last_run, next_run, error ? error : "",
                              account, name),
                      NULL, diag, "report schedule");
}
