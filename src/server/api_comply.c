/*
 * Compliance and reports over the API (docs/compliance.md): the summary at a date grouped by
 * a dimension, the per-host states, the series over time, the report as JSON, CSV or HTML,
 * and the report schedules of an account. Tenant isolation: a caller sees the accounts it has
 * a grant on; an organisation-wide report needs a grant on every account ("*").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/comply.h"
#include "server/orch.h"

/* The accounts of the query: ?account=A (404 without a grant there), else every visible one.
 * accounts[] receives pointers into the principal; *f->accounts NULL = every account. */
static bool query_accounts(struct fp_req *r, struct fp_comply_filter *f, const char **buf)
{
        memset(f, 0, sizeof(*f));
        const char *account = req_query(r, "account");
        if (account) {
                if (!fp_valid_ident(account) || !req_allow(r, account, FP_ROLE_VIEWER)) {
                        if (!r->status)
                                req_error(r, 404, "not_found", NULL, "not found");
                        return false;
                }
                buf[0] = account;
                f->accounts = buf;
                f->account_count = 1;
                return true;
        }
        if (fp_principal_org(&r->who, FP_ROLE_VIEWER))
                return true;
        size_t n = 0;
        for (size_t i = 0; i < r->who.grant_count; i++)
                if (strcmp(r->who.grants[i].account, "*"))
                        buf[n++] = r->who.grants[i].account;
        f->accounts = buf;
        f->account_count = n;
        return true;
}

/* ?at=DATE: 0 (now) when absent; false (answered 400) when bad. */
static bool query_at(struct fp_req *r, int64_t *at)
{
        *at = 0;
        const char *s = req_query(r, "at");
        if (!s)
                return true;
        if (!fp_comply_parse_time(s, true, at)) {
                req_error(r, 400, "invalid_request", "at",
                          "'%.64s': expected YYYY-MM-DD (its end, UTC), YYYY-MM-DDTHH:MM:SSZ or "
                          "UNIX seconds",
                          s);
                return false;
        }
        if (*at >= r->now)
                *at = 0; /* now or later: the current states */
        return true;
}

/* ?from, ?to and ?step as a report range; false (answered 400) when bad or too large. */
static bool query_range(struct fp_req *r, struct fp_report_range *range)
{
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_report_range_parse(req_query(r, "from"), req_query(r, "to"),
                                                req_query(r, "step"), r->now, range, &diag);
        if (err == FP_OK)
                return true;
        req_error(r, 400, err == FP_ELIMIT ? "range_too_large" : "invalid_request",
                  diag.field[0] ? diag.field : NULL, "%s", diag.msg);
        return false;
}

void api_comply_summary(struct fp_req *r)
{
        const char *acct[FP_MAX_GRANTS];
        struct fp_comply_filter f;
        int64_t at;
        enum fp_comply_dim dim;
        const char *tag_key;
        const char *by = req_query(r, "by");
        if (!fp_comply_dim_parse(by, &dim, &tag_key)) {
                req_error(r, 400, "invalid_request", "by",
                          "account, region, tag:KEY, baseline, os or service");
                return;
        }
        if (!query_accounts(r, &f, acct) || !query_at(r, &at))
                return;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err;
        json_t *o = fp_comply_summary(tx, &f, at, r->now, dim, tag_key, &diag, &err);
        if (!o) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, o);
}

struct hosts_ctx {
        json_t *arr;
        int64_t at;
        int state;
        const char *last;
        size_t seen; /* rows the store gave (before the state filter) */
};

static bool hosts_cb(void *ctx, const struct fp_comply_rec *rec)
{
        struct hosts_ctx *c = ctx;
        c->last = rec->host;
        c->seen++;
        if (c->state >= 0 && (int)rec->state != c->state)
                return true;
        json_array_append_new(c->arr, fp_comply_rec_json(rec, c->at, true));
        return true;
}

void api_comply_hosts(struct fp_req *r)
{
        const char *acct[FP_MAX_GRANTS];
        struct fp_comply_filter f;
        int64_t at;
        if (!query_accounts(r, &f, acct) || !query_at(r, &at))
                return;
        f.limit = 100;
        const char *limit = req_query(r, "limit");
        if (limit) {
                char *end;
                long v = strtol(limit, &end, 10);
                if (*end || end == limit || v < 1 || v > FP_MAX_PAGE) {
                        req_error(r, 400, "invalid_request", "limit", "1..%d", FP_MAX_PAGE);
                        return;
                }
                f.limit = (size_t)v;
        }
        f.after = req_query(r, "after");
        if (f.after && strlen(f.after) > 16) {
                req_error(r, 400, "invalid_request", "after", "a host id");
                return;
        }
        struct hosts_ctx c = {json_array(), at ? at : r->now, -1, NULL, 0};
        const char *state = req_query(r, "state");
        if (state && (c.state = fp_comply_state_parse(state)) < 0) {
                json_decref(c.arr);
                req_error(r, 400, "invalid_request", "state",
                          "unknown, compliant, noncompliant, pending_reboot, catchup, excepted "
                          "or provider");
                return;
        }
        struct fp_tx *tx = req_tx(r, false);
        if (!tx) {
                json_decref(c.arr);
                return;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = at ? fp_store_comply_at(tx, &f, at, hosts_cb, &c, &diag)
                             : fp_store_comply_list(tx, &f, hosts_cb, &c, &diag);
        if (err != FP_OK) {
                json_decref(c.arr);
                req_fail(r, err, &diag);
                return;
        }
        /* more may follow when the store gave a full page (the state filter may have left
         * fewer rows in it) */
        json_t *o = json_pack("{s:I, s:o}", "at", (json_int_t)c.at, "hosts", c.arr);
        if (o && c.last && c.seen == f.limit)
                json_object_set_new(o, "next", json_string(c.last));
        req_answer(r, 200, o);
}

void api_comply_history(struct fp_req *r)
{
        const char *acct[FP_MAX_GRANTS];
        struct fp_comply_filter f;
        if (!query_accounts(r, &f, acct))
                return;
        struct fp_report_range range;
        if (!query_range(r, &range))
                return;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = FP_OK;
        json_t *points = fp_comply_series(tx, &f, &range, &diag, &err);
        if (!points) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:I, s:I, s:I, s:o}", "from", (json_int_t)range.from,
                                     "to", (json_int_t)range.to, "step", (json_int_t)range.step,
                                     "points", points));
}

void api_reports_compliance(struct fp_req *r)
{
        const char *fmt = req_query(r, "format");
        if (!fmt)
                fmt = "json";
        if (strcmp(fmt, "json") && strcmp(fmt, "csv") && strcmp(fmt, "html")) {
                req_error(r, 400, "invalid_request", "format", "json, csv or html");
                return;
        }
        const char *acct[FP_MAX_GRANTS];
        struct fp_comply_filter f;
        const char *account = req_query(r, "account");
        if (!account && !fp_principal_org(&r->who, FP_ROLE_VIEWER)) {
                req_error(r, 403, "forbidden", "account",
                          "an organisation-wide report needs a grant on every account ('*'); "
                          "name one with ?account=");
                return;
        }
        if (!query_accounts(r, &f, acct))
                return;
        struct fp_report_range range;
        if (!query_range(r, &range))
                return;
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        char scope[96];
        snprintf(scope, sizeof(scope), account ? "account %s" : "organisation",
                 account ? account : "");
        struct fp_report rep;
        enum fp_err err = fp_report_build(tx, &f, &range, r->now, scope, &rep, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        /* rendered before the transaction ends: the rows' strings live in its arena */
        char *text = !strcmp(fmt, "csv")    ? fp_report_csv(&rep)
                     : !strcmp(fmt, "html") ? fp_report_html(&rep)
                                            : fp_report_json(&rep, FP_REPORT_MAX_HOST_ROWS);
        fp_report_release(&rep);
        if (!text) {
                req_error(r, 500, "internal", NULL, "out of memory building the report");
                return;
        }
        r->text = text;
        r->status = 200;
        r->content_type = !strcmp(fmt, "csv")    ? "text/csv; charset=utf-8"
                          : !strcmp(fmt, "html") ? "text/html; charset=utf-8"
                                                 : "application/json";
}

/* ---- report schedules ---- */

static json_t *schedule_json(const struct fp_report_schedule *s)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I}", "account",
                         s->account, "name", s->name, "report", s->report, "format", s->format,
                         "every_days", (json_int_t)s->every_days, "range_days",
                         (json_int_t)s->range_days, "next_run", (json_int_t)s->next_run,
                         "last_run", (json_int_t)s->last_run, "last_error", s->last_error,
                         "created_by", s->created_by, "created", (json_int_t)s->created,
                         "updated", (json_int_t)s->updated);
}

static bool sched_list_cb(void *ctx, const struct fp_report_schedule *s)
{
        json_array_append_new(ctx, schedule_json(s));
        return true;
}

void api_report_schedules_list(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, false) : NULL;
        if (!tx)
                return;
        json_t *arr = json_array();
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_report_schedule_list(tx, account, 0, sched_list_cb, arr, &diag);
        if (err != FP_OK) {
                json_decref(arr);
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "schedules", arr));
}

static bool count_cb(void *ctx, const struct fp_report_schedule *s)
{
        (void)s;
        (*(size_t *)ctx)++;
        return true;
}

/* Create (POST, name in the body) or replace (PUT, name in the path). */
static void schedule_put(struct fp_req *r, bool create)
{
        static const char *const allowed[] = {"name",       "report", "format", "every_days",
                                              "range_days", "start",  NULL};
        const char *account = req_path_account(r, FP_ROLE_OPERATOR);
        if (!account)
                return;
        const char *name = create ? NULL : r->params[1];
        const char *report = "compliance", *format = "html", *start = NULL;
        int64_t every = 7, range = 30;
        if (!req_members(r, r->json, NULL, allowed) ||
            (create && !req_str(r, r->json, "name", true, FP_MAX_IDENT, &name)) ||
            !req_str(r, r->json, "report", false, 32, &report) ||
            !req_str(r, r->json, "format", false, 8, &format) ||
            !req_str(r, r->json, "start", false, FP_REPORT_MAX_PARAM, &start) ||
            !req_int(r, r->json, "every_days", false, 1, FP_REPORT_MAX_EVERY_DAYS, &every) ||
            !req_int(r, r->json, "range_days", false, 1, FP_REPORT_MAX_DAYS, &range))
                return;
        const char *body_name = NULL;
        if (!create && !req_str(r, r->json, "name", false, FP_MAX_IDENT, &body_name))
                return;
        if (body_name && strcmp(body_name, name)) {
                req_error(r, 400, "invalid_request", "name", "the body names another schedule");
                return;
        }
        if (!fp_valid_ident(name)) {
                req_error(r, 400, "invalid_request", "name",
                          "[a-z0-9._-], 1..%d, not starting with '.' or '-'", FP_MAX_IDENT);
                return;
        }
        if (strcmp(report, "compliance")) {
                req_error(r, 400, "invalid_request", "report", "compliance (the one report)");
                return;
        }
        if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html")) {
                req_error(r, 400, "invalid_request", "format", "json, csv or html");
                return;
        }
        int64_t next = r->now + every * 86400;
        if (start && !fp_comply_parse_time(start, false, &next)) {
                req_error(r, 400, "invalid_request", "start",
                          "YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or UNIX seconds");
                return;
        }
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_report_schedule old;
        enum fp_err err = fp_store_report_schedule_get(tx, account, name, &old, &diag);
        bool exists = err == FP_OK;
        if (err == FP_ENOTFOUND) {
                fp_diag_clear(&diag);
                err = FP_OK;
        }
        if (err == FP_OK && !create && !exists) {
                req_error(r, 404, "not_found", NULL, "no report schedule '%s' in account '%s'",
                          name, account);
                return;
        }
        if (err == FP_OK && create && !exists) {
                size_t n = 0;
                err = fp_store_report_schedule_list(tx, account, 0, count_cb, &n, &diag);
                if (err == FP_OK && n >= FP_REPORT_MAX_SCHEDULES) {
                        req_error(r, 400, "invalid_request", "name",
                                  "account '%s' has %d report schedules, the most allowed "
                                  "(FP_REPORT_MAX_SCHEDULES)",
                                  account, FP_REPORT_MAX_SCHEDULES);
                        return;
                }
        }
        struct fp_report_schedule s = {.account = account,
                                       .name = name,
                                       .report = report,
                                       .format = format,
                                       .every_days = every,
                                       .range_days = range,
                                       .next_run = next,
                                       .last_error = "",
                                       .created_by = r->who.user,
                                       .created = r->now,
                                       .updated = r->now};
        if (err == FP_OK)
                err = fp_store_report_schedule_put(tx, &s, create, &diag);
        if (err == FP_OK)
                err = fp_store_report_schedule_get(tx, account, name, &s, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        fp_scheduler_kick(r->srv->scheduler);
        req_answer(r, create ? 201 : 200, schedule_json(&s));
}

void api_report_schedules_create(struct fp_req *r)
{
        schedule_put(r, true);
}

void api_report_schedules_put(struct fp_req *r)
{
        schedule_put(r, false);
}

void api_report_schedules_get(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, false) : NULL;
        if (!tx)
                return;
        struct fp_report_schedule s;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_report_schedule_get(tx, account, r->params[1], &s, &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, schedule_json(&s));
}

void api_report_schedules_delete(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_OPERATOR);
        struct fp_tx *tx = account ? req_tx(r, true) : NULL;
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_report_schedule_delete(tx, account, r->params[1], &diag);
        if (err != FP_OK) {
                req_fail(r, err, &diag);
                return;
        }
        req_answer(r, 200, json_pack("{s:s, s:s, s:b}", "account", account, "name", r->params[1],
                                     "deleted", 1));
}
