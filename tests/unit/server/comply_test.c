/* Compliance states (server/comply.c) and their history (the store's comply ops, report.c):
 * the state rule and its precedence, levels, evaluation against a real baseline and
 * inventory on the SQLite store, past-date answers, the daily series, ranges and limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/store_orch.h"
#include "fleetpatch/vuln.h"
#include "server/comply.h"
#include "test.h"
#include "test_store.h"

static void rule(void)
{
        struct fp_comply_input in = {.inventory = true, .level = FP_SEV_UNKNOWN};
        int64_t gaps = -1;
        CHECK_INT_EQ(fp_comply_decide(&in, &gaps), FP_CS_COMPLIANT);
        CHECK_INT_EQ(gaps, 0);
        in.excepted = 2;
        CHECK_INT_EQ(fp_comply_decide(&in, &gaps), FP_CS_EXCEPTED);
        in.reboot = true;
        CHECK_INT_EQ(fp_comply_decide(&in, &gaps), FP_CS_PENDING_REBOOT);
        in.catchup = true;
        CHECK_INT_EQ(fp_comply_decide(&in, &gaps), FP_CS_CATCHUP);
        in.missing[0] = 1; /* an approved update that fixes no finding: counts at "unspecified" */
        CHECK_INT_EQ(fp_comply_decide(&in, &gaps), FP_CS_NONCOMPLIANT);
        CHECK_INT_EQ(gaps, 1);
        in.provider = true; /* provider-patched wins over everything: never a gap */
        CHECK_INT_EQ(fp_comply_decide(&in, &gaps), FP_CS_PROVIDER);
        CHECK_INT_EQ(gaps, 0);
        in.provider = false;
        in.inventory = false;
        CHECK_INT_EQ(fp_comply_decide(&in, &gaps), FP_CS_UNKNOWN);
        /* levels: a "high" baseline counts high and critical only */
        struct fp_comply_input h = {.inventory = true, .level = FP_SEV_HIGH};
        h.missing[0] = 3;                  /* none */
        h.missing[1 + FP_SEV_MEDIUM] = 2;  /* medium */
        CHECK_INT_EQ(fp_comply_decide(&h, &gaps), FP_CS_COMPLIANT);
        CHECK_INT_EQ(gaps, 0);
        h.missing[1 + FP_SEV_HIGH] = 1;
        CHECK_INT_EQ(fp_comply_decide(&h, &gaps), FP_CS_NONCOMPLIANT);
        CHECK_INT_EQ(gaps, 1);
        h.missing[1 + FP_SEV_CRITICAL] = 4;
        fp_comply_decide(&h, &gaps);
        CHECK_INT_EQ(gaps, 5);
        CHECK(fp_comply_level_counts(FP_SEV_CRITICAL, 1 + FP_SEV_CRITICAL));
        CHECK(!fp_comply_level_counts(FP_SEV_CRITICAL, 1 + FP_SEV_HIGH));
        CHECK(!fp_comply_level_counts(FP_SEV_LOW, 0));
        CHECK(fp_comply_level_counts(FP_SEV_UNKNOWN, 0));
        CHECK(!fp_comply_level_counts(FP_SEV_UNKNOWN, FP_COMPLY_LEVELS));
        /* an SLA breach is a gap even with nothing missing */
        struct fp_comply_input o = {.inventory = true, .level = FP_SEV_HIGH, .overdue = 1};
        CHECK_INT_EQ(fp_comply_decide(&o, &gaps), FP_CS_NONCOMPLIANT);
        /* no baseline: the fleet default rule (security updates, KEV, SLA) */
        struct fp_comply_input n = {.inventory = true, .level = FP_COMPLY_NO_BASELINE};
        CHECK_INT_EQ(fp_comply_decide(&n, &gaps), FP_CS_COMPLIANT);
        n.kev = 1;
        CHECK_INT_EQ(fp_comply_decide(&n, &gaps), FP_CS_NONCOMPLIANT);
        n.kev = 0;
        n.security_updates = 3;
        CHECK_INT_EQ(fp_comply_decide(&n, &gaps), FP_CS_NONCOMPLIANT);
        CHECK_INT_EQ(gaps, 3);
        for (int s = 0; s < FP_CS_COUNT; s++)
                CHECK_INT_EQ(fp_comply_state_parse(fp_comply_state_name((enum fp_comply_state)s)),
                             s);
        CHECK_INT_EQ(fp_comply_state_parse("bogus"), -1);
}

static void ranges(void)
{
        const int64_t now = 1800000000;
        struct fp_report_range r;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_report_range_parse(NULL, NULL, NULL, now, &r, &d), FP_OK);
        CHECK_INT_EQ(r.to, now);
        CHECK_INT_EQ(r.from, now - 30 * 86400);
        CHECK_INT_EQ(r.step, 86400);
        /* at the limit: 400 days; one past it refused, naming the field */
        char from[32];
        snprintf(from, sizeof(from), "%lld", (long long)(now - 400LL * 86400));
        CHECK_INT_EQ(fp_report_range_parse(from, NULL, "1d", now, &r, &d), FP_OK);
        snprintf(from, sizeof(from), "%lld", (long long)(now - 400LL * 86400 - 1));
        CHECK_INT_EQ(fp_report_range_parse(from, NULL, "1d", now, &r, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "from");
        CHECK(strstr(d.msg, "at most 400 days") != NULL);
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_report_range_parse(NULL, NULL, "86400", now, &r, &d), FP_OK);
        CHECK_INT_EQ(fp_report_range_parse(NULL, NULL, "86399", now, &r, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "step");
        CHECK_INT_EQ(fp_report_range_parse(NULL, NULL, "23h", now, &r, &d), FP_ELIMIT);
        CHECK_INT_EQ(fp_report_range_parse(NULL, NULL, "1w", now, &r, &d), FP_OK);
        CHECK_INT_EQ(r.step, 7 * 86400);
        CHECK_INT_EQ(fp_report_range_parse(NULL, NULL, "0d", now, &r, &d), FP_EPARSE);
        CHECK_INT_EQ(fp_report_range_parse(NULL, NULL, "1y", now, &r, &d), FP_EPARSE);
        CHECK_INT_EQ(fp_report_range_parse("2026-13-01", NULL, NULL, now, &r, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "from");
        CHECK_INT_EQ(fp_report_range_parse(NULL, "yesterday", NULL, now, &r, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "to");
        CHECK_INT_EQ(fp_report_range_parse("2027-01-02", "2027-01-01", NULL, now, &r, &d),
                     FP_EINVAL);
        /* a date: from its start, to its end */
        CHECK_INT_EQ(fp_report_range_parse("2027-01-01", "2027-01-01", NULL, now, &r, &d), FP_OK);
        CHECK_INT_EQ(r.to - r.from, 86399);
        /* to in the future is now */
        CHECK_INT_EQ(fp_report_range_parse(NULL, "2100-01-01", NULL, now, &r, &d), FP_OK);
        CHECK_INT_EQ(r.to, now);
        int64_t t;
        CHECK(fp_comply_parse_time("2027-01-01T10:00:00Z", true, &t) && t == 1798797600);
        CHECK(fp_comply_parse_time("1798797600", true, &t) && t == 1798797600);
        CHECK(!fp_comply_parse_time("", true, &t));
        CHECK(!fp_comply_parse_time("-5", true, &t));
        CHECK(!fp_comply_parse_time("999999999999", true, &t));
        /* FP_REPORT_MAX_PARAM: 64 bytes at most (a padded date is still refused as a date) */
        char longv[FP_REPORT_MAX_PARAM + 2];
        memset(longv, '0', sizeof(longv) - 1);
        longv[sizeof(longv) - 1] = 0;
        CHECK_INT_EQ(fp_report_range_parse(longv, NULL, NULL, now, &r, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "from");
        longv[FP_REPORT_MAX_PARAM - 1] = 0;
        CHECK_INT_EQ(strlen(longv), FP_REPORT_MAX_PARAM - 1);
        CHECK(!fp_comply_parse_time(longv, true, &t)); /* 63 digits: too many for seconds */
        enum fp_comply_dim dim;
        const char *key;
        CHECK(fp_comply_dim_parse("tag:env", &dim, &key) && dim == FP_DIM_TAG && !strcmp(key, "env"));
        CHECK(fp_comply_dim_parse("service", &dim, &key) && dim == FP_DIM_SERVICE);
        CHECK(!fp_comply_dim_parse("tag", &dim, &key));
        CHECK(!fp_comply_dim_parse("tag:", &dim, &key));
        CHECK(!fp_comply_dim_parse("color", &dim, &key));
}

/* ---- evaluation and history on a real store ---- */

static char dir[256], url[512];
static struct fp_server srv;

static struct fp_tx *begin(bool write)
{
        struct fp_tx *tx = NULL;
        if (fp_store_begin(srv.store, write, &tx, NULL) != FP_OK) {
                fprintf(stderr, "begin failed\n");
                exit(1);
        }
        return tx;
}

static void commit(struct fp_tx *tx)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_MSG(fp_tx_commit(tx, &d) == FP_OK, "commit: %s", d.msg);
}

/* An inventory with hello 1.0 installed and `updates` pending (0 or 1: hello 1.1). */
static void inventory(const char *host, bool pending, int64_t now)
{
        const char *doc =
            pending ? "{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\","
                      "\"packages\":[{\"name\":\"hello\",\"arch\":\"amd64\",\"version\":\"1.0\","
                      "\"source\":\"hello\",\"source_version\":\"1.0\"}],\"updates\":[{\"name\":"
                      "\"hello\",\"arch\":\"amd64\",\"installed\":\"1.0\",\"candidate\":\"1.1\","
                      "\"origin\":\"Debian\",\"security\":false}]}"
                    : "{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\","
                      "\"packages\":[{\"name\":\"hello\",\"arch\":\"amd64\",\"version\":\"1.1\","
                      "\"source\":\"hello\",\"source_version\":\"1.1\"}],\"updates\":[]}";
        struct fp_tx *tx = begin(true);
        struct fp_host_counts c = {.packages = 1, .updates = pending,
                                   .compliance = FP_COMPL_COMPLIANT};
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_MSG(fp_store_host_set_inventory(tx, host, "debian", "bookworm",
                                              pending ? "a" : "b", doc, &c, now, &d) == FP_OK,
                  "inventory: %s", d.msg);
        CHECK_MSG(fp_comply_evaluate(&srv, tx, host, true, now, &d) == FP_OK, "evaluate: %s",
                  d.msg);
        commit(tx);
}

struct states {
        char host[8][17];
        int state[8];
        int n;
};

static bool states_cb(void *ctx, const struct fp_comply_rec *r)
{
        struct states *s = ctx;
        if (s->n < 8) {
                snprintf(s->host[s->n], 17, "%s", r->host);
                s->state[s->n++] = (int)r->state;
        }
        return true;
}

/* The state of host at `at` (0 = now), -1 when it had none. */
static int state_at(const char *host, int64_t at)
{
        struct fp_tx *tx = begin(false);
        struct states s = {.n = 0};
        struct fp_comply_filter f = {0};
        CHECK_INT_EQ(at ? fp_store_comply_at(tx, &f, at, states_cb, &s, NULL)
                        : fp_store_comply_list(tx, &f, states_cb, &s, NULL),
                     FP_OK);
        fp_tx_rollback(tx);
        for (int i = 0; i < s.n; i++)
                if (!strcmp(s.host[i], host))
                        return s.state[i];
        return -1;
}

static void history(void)
{
        snprintf(dir, sizeof(dir), "/tmp/fp-comply-test-XXXXXX");
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                exit(1);
        }
        CHECK(test_store_url(url, sizeof(url), dir, "store"));
        char vdb[300];
        snprintf(vdb, sizeof(vdb), "%s/none.db", dir); /* no vulnerability database */
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_open(url, &srv.store, &d) != FP_OK ||
            fp_findings_engine_open(vdb, &srv.findings) != FP_OK) {
                fprintf(stderr, "open: %s\n", d.msg);
                exit(1);
        }
        const int64_t day = 20000; /* 2024-10-04 */
        const int64_t t1 = day * 86400 + 3600, t2 = (day + 2) * 86400 + 60,
                      t3 = (day + 4) * 86400 + 60, t4 = (day + 6) * 86400 + 60;
        struct fp_tx *tx = begin(true);
        struct fp_account_rec a = {.name = "a", .display = "A", .created = 1};
        CHECK_INT_EQ(fp_store_account_create(tx, &a, NULL), FP_OK);
        const char *ids[3] = {"00000000000000a1", "00000000000000a2", "00000000000000a3"};
        const char *tags[3] = {"{\"service\":\"web\"}", "{\"service\":\"db\"}",
                               "{\"patched_by\":\"provider\",\"service_model\":\"paas\","
                               "\"version\":\"15.4\"}"};
        for (int i = 0; i < 3; i++) {
                struct fp_host_rec h = {.id = ids[i], .account = "a", .hostname = ids[i],
                                        .region = i ? "eu" : "us", .agent_tags_json = tags[i],
                                        .api_tags_json = "{}", .created = t1, .last_seen = t1};
                CHECK_INT_EQ(fp_store_host_create(tx, &h, NULL), FP_OK);
        }
        const char *bl = "{\"name\":\"all\",\"account\":\"a\",\"family\":\"deb\",\"rules\":"
                         "[{\"classification\":[\"security\",\"bugfix\",\"other\"],"
                         "\"after_days\":0}]}";
        struct fp_doc_rec doc = {.kind = FP_DOC_BASELINE, .account = "a", .name = "all",
                                 .document = bl, .created = 1, .updated = 1};
        CHECK_INT_EQ(fp_store_doc_put(tx, &doc, true, NULL), FP_OK);
        commit(tx);

        /* t1: a1 and a2 miss the approved hello 1.1; a3 is provider-patched */
        for (int i = 0; i < 3; i++)
                inventory(ids[i], true, t1);
        CHECK_INT_EQ(state_at(ids[0], 0), FP_CS_NONCOMPLIANT);
        CHECK_INT_EQ(state_at(ids[2], 0), FP_CS_PROVIDER);
        tx = begin(false);
        struct fp_comply_rec rec;
        CHECK_INT_EQ(fp_store_comply_get(tx, ids[0], &rec, NULL, NULL), FP_OK);
        CHECK_INT_EQ(rec.gaps, 1);
        CHECK_INT_EQ(rec.missing[0], 1); /* fixes no finding: severity "none" */
        CHECK_STR_EQ(rec.baseline, "all");
        CHECK_STR_EQ(rec.service, "web");
        CHECK_INT_EQ(fp_store_comply_get(tx, ids[2], &rec, NULL, NULL), FP_OK);
        CHECK_STR_EQ(rec.service_model, "paas");
        CHECK_STR_EQ(rec.version, "15.4");
        CHECK_INT_EQ(rec.gaps, 0);
        fp_tx_rollback(tx);

        /* t2: a1 patched; re-evaluating with nothing new writes no history row */
        inventory(ids[0], false, t2);
        tx = begin(true);
        CHECK_INT_EQ(fp_comply_evaluate(&srv, tx, ids[1], true, t2, &d), FP_OK);
        commit(tx);
        /* t3: a1 needs catch-up (the mark's hook) */
        tx = begin(true);
        struct fp_host_rec h;
        CHECK_INT_EQ(fp_store_host_get(tx, ids[0], &h, NULL), FP_OK);
        const char *why[] = {"offline"};
        CHECK_INT_EQ(fp_catchup_update(tx, &h, why, 1, false, t3, &d), FP_OK);
        commit(tx);
        /* t4: a2 is deleted */
        tx = begin(true);
        CHECK_INT_EQ(fp_comply_host_removed(tx, ids[1], t4, &d), FP_OK);
        CHECK_INT_EQ(fp_store_host_delete(tx, ids[1], &d), FP_OK);
        commit(tx);

        /* past dates */
        CHECK_INT_EQ(state_at(ids[0], t1 - 1), -1); /* before its first state */
        CHECK_INT_EQ(state_at(ids[0], t1), FP_CS_NONCOMPLIANT);
        CHECK_INT_EQ(state_at(ids[0], t2 - 1), FP_CS_NONCOMPLIANT);
        CHECK_INT_EQ(state_at(ids[0], t2), FP_CS_COMPLIANT);
        CHECK_INT_EQ(state_at(ids[0], t3 + 5), FP_CS_CATCHUP);
        CHECK_INT_EQ(state_at(ids[0], 0), FP_CS_CATCHUP);
        CHECK_INT_EQ(state_at(ids[1], t3), FP_CS_NONCOMPLIANT); /* deleted later: still there */
        CHECK_INT_EQ(state_at(ids[1], t4), -1);
        CHECK_INT_EQ(state_at(ids[1], 0), -1);
        int rows = 0;
        tx = begin(false);
        struct states hs = {.n = 0};
        CHECK_INT_EQ(fp_store_comply_history(tx, ids[1], states_cb, &hs, NULL), FP_OK);
        rows = hs.n;
        fp_tx_rollback(tx);
        CHECK_INT_EQ(rows, 2); /* noncompliant, removed: the unchanged t2 evaluation added none */

        /* summary at a past date, by service */
        tx = begin(false);
        struct fp_comply_filter f = {0};
        enum fp_err err;
        json_t *s = fp_comply_summary(tx, &f, t2 + 10, t4 + 100, FP_DIM_SERVICE, NULL, &d, &err);
        CHECK(s != NULL);
        json_t *tot = json_object_get(s, "total");
        CHECK_INT_EQ(json_integer_value(json_object_get(tot, "hosts")), 3);
        CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(tot, "states"),
                                                        "compliant")), 1);
        CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(tot, "states"),
                                                        "noncompliant")), 1);
        CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(tot, "states"),
                                                        "provider")), 1);
        CHECK_INT_EQ(json_integer_value(json_object_get(tot, "compliant_hosts")), 2);
        CHECK_INT_EQ(json_array_size(json_object_get(s, "groups")), 3); /* "", db, web */
        json_decref(s);

        /* the daily series agrees with the per-host states at each day's end */
        struct fp_report_range r = {.from = day * 86400, .to = (day + 6) * 86400 + 100,
                                    .step = 86400};
        json_t *pts = fp_comply_series(tx, &f, &r, &d, &err);
        CHECK_INT_EQ(json_array_size(pts), 7);
        for (size_t i = 0; i < json_array_size(pts); i++) {
                json_t *p = json_array_get(pts, i);
                int64_t end = json_integer_value(json_object_get(p, "at"));
                json_t *ps = fp_comply_summary(tx, &f, end, t4 + 100000, FP_DIM_NONE, NULL, &d,
                                               &err);
                json_t *pt = json_object_get(ps, "total");
                CHECK_MSG(json_integer_value(json_object_get(p, "hosts")) ==
                                  json_integer_value(json_object_get(pt, "hosts")),
                          "day %zu: series %lld hosts, states %lld", i,
                          (long long)json_integer_value(json_object_get(p, "hosts")),
                          (long long)json_integer_value(json_object_get(pt, "hosts")));
                const char *names[] = {"compliant", "noncompliant", "catchup", "provider"};
                for (int k = 0; k < 4; k++)
                        CHECK_MSG(json_integer_value(json_object_get(
                                      json_object_get(p, "states"), names[k])) ==
                                      json_integer_value(
                                          json_object_get(json_object_get(pt, "states"), names[k])),
                                  "day %zu: %s differs", i, names[k]);
                json_decref(ps);
        }
        CHECK_INT_EQ(json_integer_value(json_object_get(json_array_get(pts, 0), "hosts")), 3);
        CHECK_INT_EQ(json_integer_value(json_object_get(json_array_get(pts, 6), "hosts")), 2);
        json_decref(pts);

        /* the report: its CSV has a row per host of the JSON */
        struct fp_report_range rr = {.from = t1, .to = t4 + 100, .step = 86400};
        struct fp_report rep;
        CHECK_INT_EQ(fp_report_build(tx, &f, &rr, t4 + 100, "organisation", &rep, &d), FP_OK);
        char *csv = fp_report_csv(&rep);
        char *html = fp_report_html(&rep);
        char *text = fp_report_json(&rep, FP_REPORT_MAX_HOST_ROWS);
        size_t lines = 0;
        for (const char *p = csv; p && *p; p++)
                lines += *p == '\n';
        CHECK_INT_EQ(rep.nrows, 2);
        CHECK_INT_EQ(lines, rep.nrows + 1);
        CHECK(html && strstr(html, "id=\"state-catchup\" data-value=\"1\"") != NULL);
        CHECK(html && !strstr(html, "<script") && !strstr(html, " src=") && !strstr(html, "<link"));
        /* the JSON text parses, and rendered back from it (the CLI's way) gives the same bytes */
        json_t *parsed = text ? json_loads(text, 0, NULL) : NULL;
        CHECK(parsed != NULL);
        CHECK_INT_EQ(json_array_size(json_object_get(parsed, "hosts")), 2);
        struct fp_arena arena;
        fp_arena_init(&arena);
        struct fp_report back;
        CHECK_INT_EQ(fp_report_from_json(parsed, &arena, &back), FP_OK);
        char *csv2 = fp_report_csv(&back), *html2 = fp_report_html(&back);
        CHECK(csv && csv2 && !strcmp(csv, csv2));
        CHECK(html && html2 && !strcmp(html, html2));
        free(csv2);
        free(html2);
        fp_report_release(&back);
        fp_arena_release(&arena);
        json_decref(parsed);
        free(text);
        free(csv);
        free(html);
        fp_report_release(&rep);
        fp_tx_rollback(tx);

        fp_findings_engine_close(srv.findings);
        fp_store_close(srv.store);
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

/* A host name or tag that starts like a spreadsheet formula (= + - @, a tab or a carriage
 * return) is quoted and prefixed with ' in the CSV, so a spreadsheet shows it as text. */
static void csv_formulas(void)
{
        const char *names[] = {"=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                struct fp_comply_rec row = {.host = "h1", .hostname = names[i]};
                struct fp_report rep = {.rows = &row, .nrows = 1};
                char *csv = fp_report_csv(&rep);
                char want[64];
                snprintf(want, sizeof(want), "h1,\"'%s\",", names[i]);
                CHECK_MSG(csv && strstr(csv, want) != NULL, "name %zu not neutralised: %s", i,
                          csv ? csv : "(null)");
                free(csv);
        }
        struct fp_comply_rec plain = {.host = "h1", .hostname = "web-1"};
        struct fp_report rep = {.rows = &plain, .nrows = 1};
        char *csv = fp_report_csv(&rep);
        CHECK(csv && strstr(csv, "\r\nh1,web-1,") != NULL);
        free(csv);
}

int main(void)
{
        setenv("FP_NOW", "2024-10-10", 1);
        csv_formulas();
        rule();
        ranges();
        history();
        return fp_test_finish();
}
