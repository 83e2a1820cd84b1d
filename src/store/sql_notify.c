/*
 * The SQLite engine's notification tables (include/fleetpatch/store_notify.h): groups,
 * subscriptions, the event outbox and its deliveries. Schema: migration 5 in sqlite.c.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sql_int.h"

/* Step st to the end, fill(tx, st, rec) then cb(ctx, rec) per row; finalizes st. */
typedef bool (*call_fn)(void *cb, void *ctx, const void *rec);

static enum fp_err each_row(struct fp_tx *tx, struct sq_stmt *st, sq_fill_fn fill, void *rec,
                            call_fn call, void *cb, void *ctx, struct fp_diag *diag,
                            const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc;
        while ((rc = sq_step(st)) == SQ_ROW) {
                fill(tx, st, rec);
                if (!call(cb, ctx, rec)) {
                        rc = SQ_DONE;
                        break;
                }
        }
        enum fp_err err = rc == SQ_DONE ? FP_OK : sq_fail(tx, diag, what);
        sq_done(tx, st);
        return err;
}

/* ---- groups ---- */

#define GROUP_COLS "account, name, members, emails, created, updated"

static void group_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_notify_group_rec *g = out;
        g->account = sq_col_str0(tx, st, 0);
        g->name = sq_col_str0(tx, st, 1);
        g->members = sq_col_str0(tx, st, 2);
        g->emails = sq_col_str0(tx, st, 3);
        g->created = sq_col_int(st, 4);
        g->updated = sq_col_int(st, 5);
}

static bool group_call(void *cb, void *ctx, const void *rec)
{
        return ((fp_notify_group_cb)cb)(ctx, rec);
}

enum fp_err sq_notify_notify_group_put(struct fp_tx *tx, const struct fp_notify_group_rec *g,
                                       bool create, struct fp_diag *diag)
{
        static const char ins[] = "INSERT INTO notify_groups (" GROUP_COLS ") VALUES (?,?,?,?,?,?)";
        static const char up[] = "UPDATE notify_groups SET members = ?, emails = ?, updated = ?"
                                 " WHERE account = ? AND name = ?";
        if (create)
                return sq_insert_new(tx,
                                     sq_stmt(tx, ins, true, "ssssii", g->account, g->name,
                                             g->members, g->emails, g->created, g->updated),
                                     diag, "group");
        int n = 0;
        enum fp_err err = sq_run(tx,
                                 sq_stmt(tx, up, true, "ssiss", g->members, g->emails, g->updated,
                                         g->account, g->name),
                                 &n, diag, "group");
        return sq_changed_one(err, n);
}

enum fp_err sq_notify_notify_group_get(struct fp_tx *tx, const char *account, const char *name,
                                       struct fp_notify_group_rec *out, struct fp_diag *diag)
{
        static const char sel[] =
            "SELECT " GROUP_COLS " FROM notify_groups WHERE account = ? AND name = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "ss", account, name), group_fill, out, diag,
                          "group");
}

enum fp_err sq_notify_notify_group_list(struct fp_tx *tx, const char *account,
                                        fp_notify_group_cb cb, void *ctx, struct fp_diag *diag)
{
        static const char sel[] =
            "SELECT " GROUP_COLS " FROM notify_groups WHERE account = ? ORDER BY name";
        struct fp_notify_group_rec g;
        return each_row(tx, sq_stmt(tx, sel, true, "s", account), group_fill, &g, group_call,
                        (void *)cb, ctx, diag, "groups");
}

enum fp_err sq_notify_notify_group_delete(struct fp_tx *tx, const char *account,
                                          const char *name, struct fp_diag *diag)
{
        static const char subs[] = "DELETE FROM notify_subs WHERE account = ? AND owner_group = ?";
        static const char del[] = "DELETE FROM notify_groups WHERE account = ? AND name = ?";
        enum fp_err err =
            sq_run(tx, sq_stmt(tx, subs, true, "ss", account, name), NULL, diag, "subscriptions");
        if (err != FP_OK)
                return err;
        int n = 0;
        err = sq_run(tx, sq_stmt(tx, del, true, "ss", account, name), &n, diag, "group");
        return sq_changed_one(err, n);
}

/* ---- subscriptions ---- */

#define SUB_COLS                                                                                   \
        "id, account, owner_user, owner_group, events, channel, url, secret, recipients,"          \
        " subject_tpl, body_tpl, created_by, created"

static void sub_fill_at(struct fp_tx *tx, struct sq_stmt *st, int c, struct fp_notify_sub_rec *s)
{
        s->id = sq_col_str0(tx, st, c + 0);
        s->account = sq_col_str0(tx, st, c + 1);
        s->owner_user = sq_col_str0(tx, st, c + 2);
        s->owner_group = sq_col_str0(tx, st, c + 3);
        s->events = sq_col_str0(tx, st, c + 4);
        s->channel = sq_col_str0(tx, st, c + 5);
        s->url = sq_col_str0(tx, st, c + 6);
        s->secret = sq_col_str0(tx, st, c + 7);
        s->to = sq_col_str0(tx, st, c + 8);
        s->subject_tpl = sq_col_str0(tx, st, c + 9);
        s->body_tpl = sq_col_str0(tx, st, c + 10);
        s->created_by = sq_col_str0(tx, st, c + 11);
        s->created = sq_col_int(st, c + 12);
}

static void sub_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        sub_fill_at(tx, st, 0, out);
}

static bool sub_call(void *cb, void *ctx, const void *rec)
{
        return ((fp_notify_sub_cb)cb)(ctx, rec);
}

static const char *or_empty(const char *s)
{
        return s ? s : "";
}

enum fp_err sq_notify_notify_sub_create(struct fp_tx *tx, const struct fp_notify_sub_rec *s,
                                        struct fp_diag *diag)
{
        static const char ins[] =
            "INSERT INTO notify_subs (" SUB_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
        return sq_insert_new(tx,
                             sq_stmt(tx, ins, true, "ssssssssssssi", s->id, s->account,
                                     or_empty(s->owner_user), or_empty(s->owner_group), s->events,
                                     s->channel, or_empty(s->url), or_empty(s->secret),
                                     s->to ? s->to : "[]", or_empty(s->subject_tpl),
                                     or_empty(s->body_tpl), or_empty(s->created_by), s->created),
                             diag, "subscription");
}

enum fp_err sq_notify_notify_sub_get(struct fp_tx *tx, const char *id,
                                     struct fp_notify_sub_rec *out, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " SUB_COLS " FROM notify_subs WHERE id = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "s", id), sub_fill, out, diag, "subscription");
}

enum fp_err sq_notify_notify_sub_list(struct fp_tx *tx, const char *account,
                                      const char *owner_user, fp_notify_sub_cb cb, void *ctx,
                                      struct fp_diag *diag)
{
        static const char sel[] = "SELECT " SUB_COLS " FROM notify_subs WHERE account = ?1"
                                  " AND (?2 IS NULL OR owner_user = ?2) ORDER BY created, id";
        struct fp_notify_sub_rec s;
        return each_row(tx, sq_stmt(tx, sel, true, "ss", account, owner_user), sub_fill, &s,
                        sub_call, (void *)cb, ctx, diag, "subscriptions");
}

enum fp_err sq_notify_notify_sub_delete(struct fp_tx *tx, const char *id, struct fp_diag *diag)
{
        static const char del[] = "DELETE FROM notify_subs WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, del, true, "s", id), &n, diag, "subscription");
        return sq_changed_one(err, n);
}

enum fp_err sq_notify_notify_sub_count(struct fp_tx *tx, const char *account, int64_t *n,
                                       struct fp_diag *diag)
{
        static const char sel[] = "SELECT count(*) FROM notify_subs WHERE account = ?";
        struct sq_stmt *st = sq_stmt(tx, sel, true, "s", account);
        if (!st)
                return sq_fail(tx, diag, "subscriptions");
        int rc = sq_step(st);
        if (rc == SQ_ROW)
                *n = sq_col_int(st, 0);
        enum fp_err err = rc == SQ_ROW ? FP_OK : sq_fail(tx, diag, "subscriptions");
        sq_done(tx, st);
        return err;
}

/* ---- the outbox ---- */

enum fp_err sq_notify_notify_event_queue(struct fp_tx *tx, const struct fp_notify_event_rec *ev,
                                         const char *group, const char *only_sub, bool *queued,
                                         int64_t *deliveries, struct fp_diag *diag)
{
        static const char ins[] =
            "INSERT INTO notify_events (account, type, key, subject, data, created)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT (account, type, key) DO NOTHING RETURNING id";
        /* A subscription gets the event when it names the type and belongs to no group or to
         * the event's group. */
        static const char fan[] =
            "INSERT INTO notify_deliveries (event, sub, account, state, next_at, created, updated)"
            " SELECT ?1, s.id, s.account, 'pending', ?2, ?2, ?2 FROM notify_subs s"
            " WHERE s.account = ?3 AND (?4 IS NULL OR s.id = ?4)"
            " AND EXISTS (SELECT 1 FROM json_each(s.events) WHERE value = ?5)"
            " AND (s.owner_group = '' OR s.owner_group = ?6)";
        *queued = false;
        *deliveries = 0;
        struct sq_stmt *st = sq_stmt(tx, ins, true, "sssssi", ev->account, ev->type, ev->key,
                                     or_empty(ev->subject), ev->data ? ev->data : "{}",
                                     ev->created);
        if (!st)
                return sq_fail(tx, diag, "event");
        int rc = sq_step(st);
        int64_t id = rc == SQ_ROW ? sq_col_int(st, 0) : 0;
        sq_done(tx, st);
        if (rc != SQ_ROW && rc != SQ_DONE)
                return sq_fail(tx, diag, "event");
        if (rc == SQ_DONE) /* queued before: once per (account, type, key) */
                return FP_OK;
        *queued = true;
        int n = 0;
        enum fp_err err;
        err = sq_run(tx,
                     sq_stmt(tx, fan, true, "iisss" "s", id, ev->created, ev->account, only_sub,
                             ev->type, group ? group : ""),
                     &n, diag, "deliveries");
        *deliveries = n;
        return err;
}

#define DELIVERY_COLS                                                                              \
        "d.id, d.sub, d.state, d.error, d.attempts, d.next_at, d.status, d.created, d.updated,"    \
        " e.id, e.account, e.type, e.key, e.subject, e.data, e.created,"                           \
        " s.id, s.account, s.owner_user, s.owner_group, s.events, s.channel, s.url, s.secret,"     \
        " s.recipients, s.subject_tpl, s.body_tpl, s.created_by, s.created"
#define DELIVERY_FROM                                                                              \
        " FROM notify_deliveries d JOIN notify_events e ON e.id = d.event"                         \
        " LEFT JOIN notify_subs s ON s.id = d.sub"

static void delivery_fill(struct fp_tx *tx, struct sq_stmt *st, void *out)
{
        struct fp_notify_delivery_rec *d = out;
        d->id = sq_col_int(st, 0);
        d->sub = sq_col_str0(tx, st, 1);
        d->state = sq_col_str0(tx, st, 2);
        d->error = sq_col_str0(tx, st, 3);
        d->attempts = sq_col_int(st, 4);
        d->next_at = sq_col_int(st, 5);
        d->status = sq_col_int(st, 6);
        d->created = sq_col_int(st, 7);
        d->updated = sq_col_int(st, 8);
        d->ev.id = sq_col_int(st, 9);
        d->ev.account = sq_col_str0(tx, st, 10);
        d->ev.type = sq_col_str0(tx, st, 11);
        d->ev.key = sq_col_str0(tx, st, 12);
        d->ev.subject = sq_col_str0(tx, st, 13);
        d->ev.data = sq_col_str0(tx, st, 14);
        d->ev.created = sq_col_int(st, 15);
        sub_fill_at(tx, st, 16, &d->s);
}

static bool delivery_call(void *cb, void *ctx, const void *rec)
{
        return ((fp_notify_delivery_cb)cb)(ctx, rec);
}

struct claimed {
        struct fp_notify_delivery_rec *v;
        size_t n, cap;
};

static bool claim_collect(void *ctx, const struct fp_notify_delivery_rec *d)
{
        struct claimed *c = ctx;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                struct fp_notify_delivery_rec *v = realloc(c->v, cap * sizeof(*v));
                if (!v)
                        return false;
                c->v = v;
                c->cap = cap;
        }
        c->v[c->n++] = *d;
        return true;
}

enum fp_err sq_notify_notify_delivery_claim(struct fp_tx *tx, int64_t now, int64_t lease_until,
                                            int64_t limit, fp_notify_delivery_cb cb, void *ctx,
                                            struct fp_diag *diag)
{
#define CLAIM_SQL                                                                                  \
        "SELECT " DELIVERY_COLS DELIVERY_FROM                                                      \
        " WHERE d.state IN ('pending', 'sending') AND d.next_at <= ?"                              \
        " ORDER BY d.next_at, d.id LIMIT ?"
        /* PostgreSQL: rows another replica's claim holds are skipped, not waited for (writers
         * follow one another there today, so this is the claim's own guarantee, not a need) */
        static const char sel_sqlite[] = CLAIM_SQL;
        static const char sel_pg[] = CLAIM_SQL " FOR UPDATE OF d SKIP LOCKED";
#undef CLAIM_SQL
        const char *sel = sq_pg(tx) ? sel_pg : sel_sqlite;
        static const char up[] = "UPDATE notify_deliveries SET state = 'sending',"
                                 " attempts = attempts + 1, next_at = ?, updated = ? WHERE id = ?";
        struct claimed c = {0};
        struct fp_notify_delivery_rec rec;
        enum fp_err err = each_row(tx, sq_stmt(tx, sel, true, "ii", now, limit), delivery_fill,
                                   &rec, delivery_call, (void *)claim_collect, &c, diag,
                                   "deliveries");
        for (size_t i = 0; err == FP_OK && i < c.n; i++) {
                err = sq_run(tx, sq_stmt(tx, up, true, "iii", lease_until, now, c.v[i].id), NULL,
                             diag, "delivery");
                c.v[i].state = "sending";
                c.v[i].attempts++;
                c.v[i].next_at = lease_until;
        }
        for (size_t i = 0; err == FP_OK && i < c.n; i++)
                if (!cb(ctx, &c.v[i]))
                        break;
        free(c.v);
        return err;
}

enum fp_err sq_notify_notify_delivery_finish(struct fp_tx *tx, int64_t id, const char *state,
                                             int64_t status, const char *error, int64_t next_at,
                                             int64_t now, struct fp_diag *diag)
{
        static const char up[] = "UPDATE notify_deliveries SET state = ?, status = ?, error = ?,"
                                 " next_at = ?, updated = ? WHERE id = ?";
        int n = 0;
        enum fp_err err = sq_run(tx,
                                 sq_stmt(tx, up, true, "sisiii", state, status, or_empty(error),
                                         next_at, now, id),
                                 &n, diag, "delivery");
        return sq_changed_one(err, n);
}

enum fp_err sq_notify_notify_delivery_list(struct fp_tx *tx, const char *account,
                                           const char *state, const char *owner_user,
                                           int64_t limit, fp_notify_delivery_cb cb, void *ctx,
                                           struct fp_diag *diag)
{
        static const char sel[] = "SELECT " DELIVERY_COLS DELIVERY_FROM
                                  " WHERE d.account = ?1 AND (?2 IS NULL OR d.state = ?2)"
                                  " AND (?3 IS NULL OR s.owner_user = ?3)"
                                  " ORDER BY d.id DESC LIMIT ?4";
        struct fp_notify_delivery_rec rec;
        return each_row(tx, sq_stmt(tx, sel, true, "sssi", account, state, owner_user, limit),
                        delivery_fill, &rec, delivery_call, (void *)cb, ctx, diag, "deliveries");
}

enum fp_err sq_notify_notify_delivery_get(struct fp_tx *tx, int64_t id,
                                          struct fp_notify_delivery_rec *out, struct fp_diag *diag)
{
        static const char sel[] = "SELECT " DELIVERY_COLS DELIVERY_FROM " WHERE d.id = ?";
        return sq_one_row(tx, sq_stmt(tx, sel, true, "i", id), delivery_fill, out, diag,
                          "delivery");
}

enum fp_err sq_notify_notify_delivery_requeue(struct fp_tx *tx, int64_t id, int64_t now,
                                              struct fp_diag *diag)
{
        static const char up[] = "UPDATE notify_deliveries SET state = 'pending', attempts = 0,"
                                 " next_at = ?1, updated = ?1 WHERE id = ?2 AND state = 'dead'";
        int n = 0;
        enum fp_err err = sq_run(tx, sq_stmt(tx, up, true, "ii", now, id), &n, diag, "delivery");
        return sq_changed_one(err, n);
}
