/* Tracking (docs/tracking.md): resolver rules, the closing decision, the exposures history and
 * a record's life on a real SQLite store (open, link, resolve, close with evidence, re-open),
 * and evidence bundles (canonical form, sealing, offline verification, every byte guarded). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/evidence.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/store.h"
#include "server/server.h"
#include "server/track.h"
#include "test.h"
#include "test_store.h"

static char dir[256], url[512];

static json_t *J(const char *text)
{
        json_t *v = json_loads(text, 0, NULL);
        if (!v) {
                fprintf(stderr, "bad test JSON: %s\n", text);
                exit(1);
        }
        return v;
}

/* ---- rules ---- */

static void rules(void)
{
        struct fp_diag d;
        json_t *doc = J("{\"rules\": [{\"name\": \"db\", \"packages\": [\"postgresql*\"],"
                        " \"group\": \"dba\"}, {\"tags\": {\"role\": \"web\"}, \"group\": \"web\"},"
                        " {\"tags\": {\"role\": \"web\"}, \"packages\": [\"openssl\"],"
                        " \"group\": \"never\"}], \"default\": \"ops\"}");
        fp_diag_clear(&d);
        CHECK(fp_rules_check(doc, &d));
        json_t *web = J("{\"role\": \"web\", \"env\": \"prod\"}"), *none = J("{}");
        CHECK_STR_EQ(fp_rules_group(doc, web, "postgresql-15"), "dba"); /* first match wins */
        CHECK_STR_EQ(fp_rules_group(doc, web, "openssl"), "web");
        CHECK_STR_EQ(fp_rules_group(doc, none, "openssl"), "ops");
        CHECK_STR_EQ(fp_rules_group(NULL, none, "openssl"), "unassigned");
        json_decref(doc);

        static const char *const bad[][2] = {
            {"[]", ""},
            {"{\"rule\": []}", "rule"},
            {"{\"rules\": [{\"tags\": {}}]}", "rules[0].group"},
            {"{\"rules\": [{\"group\": \"Web Team\"}]}", "rules[0].group"},
            {"{\"rules\": [{\"group\": \"w\", \"packages\": \"openssl\"}]}", "rules[0].packages"},
            {"{\"rules\": [{\"group\": \"w\", \"tags\": {\"a\": 1}}]}", "rules[0].tags"},
            {"{\"rules\": [{\"group\": \"w\", \"extra\": 1}]}", "rules[0].extra"},
            {"{\"default\": \"\"}", "default"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_t *b = J(bad[i][0]);
                fp_diag_clear(&d);
                CHECK_MSG(!fp_rules_check(b, &d), "accepted %s", bad[i][0]);
                CHECK_STR_EQ(d.field, bad[i][1]);
                json_decref(b);
        }
        /* FP_MAX_TRACK_RULES rules: accepted; one more: refused. */
        json_t *many = json_pack("{s:[]}", "rules");
        for (int i = 0; i < FP_MAX_TRACK_RULES; i++)
                json_array_append_new(json_object_get(many, "rules"),
                                      json_pack("{s:s}", "group", "g"));
        CHECK(fp_rules_check(many, &d));
        json_array_append_new(json_object_get(many, "rules"), json_pack("{s:s}", "group", "g"));
        fp_diag_clear(&d);
        CHECK(!fp_rules_check(many, &d));
        CHECK_STR_EQ(d.field, "rules");
        json_decref(many);
        /* FP_MAX_TRACK_RULE_PATTERNS patterns in a rule: accepted; one more: refused. */
        json_t *pats = json_pack("{s:[{s:s, s:[]}]}", "rules", "group", "g", "packages");
        json_t *list = json_object_get(json_array_get(json_object_get(pats, "rules"), 0),
                                       "packages");
        for (int i = 0; i < FP_MAX_TRACK_RULE_PATTERNS; i++)
                json_array_append_new(list, json_string("lib*"));
        fp_diag_clear(&d);
        CHECK_MSG(fp_rules_check(pats, &d), "%s", d.msg);
        json_array_append_new(list, json_string("lib*"));
        fp_diag_clear(&d);
        CHECK(!fp_rules_check(pats, &d));
        CHECK_STR_EQ(d.field, "rules[0].packages");
        json_decref(pats);
        json_decref(web);
        json_decref(none);
}

/* ---- the closing decision ---- */

static void closing(void)
{
        struct fp_close_input fixed = {0}, open = {.open = true},
                              excepted = {.open = true, .excepted = true},
                              provider = {.open = true, .provider = true},
                              unverified = {.by_change = true},
                              verified = {.by_change = true, .job_verified = true};
        CHECK_INT_EQ(fp_close_decide(NULL, 0), FP_CLOSE_OPEN);
        CHECK_INT_EQ(fp_close_decide(&fixed, 1), FP_CLOSE_CLOSED);
        CHECK_INT_EQ(fp_close_decide(&open, 1), FP_CLOSE_OPEN);
        CHECK_INT_EQ(fp_close_decide(&excepted, 1), FP_CLOSE_CLOSED);
        CHECK_INT_EQ(fp_close_decide(&provider, 1), FP_CLOSE_CLOSED);
        CHECK_INT_EQ(fp_close_decide(&unverified, 1), FP_CLOSE_RESOLVED);
        CHECK_INT_EQ(fp_close_decide(&verified, 1), FP_CLOSE_CLOSED);
        struct fp_close_input mix[] = {verified, excepted, provider, open};
        CHECK_INT_EQ(fp_close_decide(mix, 4), FP_CLOSE_OPEN); /* one unpatched host keeps it open */
        CHECK_INT_EQ(fp_close_decide(mix, 3), FP_CLOSE_CLOSED);
        struct fp_close_input mix2[] = {verified, unverified};
        CHECK_INT_EQ(fp_close_decide(mix2, 2), FP_CLOSE_RESOLVED);
}

/* ---- a record's life on the store ---- */

static struct fp_tx *begin(struct fp_store *s)
{
        struct fp_tx *tx = NULL;
        if (fp_store_begin(s, true, &tx, NULL) != FP_OK)
                exit(1);
        return tx;
}

static void set_of(struct fp_expo_set *set, const char *vuln, int64_t exception)
{
        fp_expo_set_init(set);
        set->assessed = true;
        set->scheme = "deb";
        if (!vuln)
                return;
        struct fp_expo_item it = {.vuln = vuln,
                                  .package = "openssl",
                                  .arch = "amd64",
                                  .installed = "3.0.1-1",
                                  .fixed = "3.0.2-1",
                                  .advisories = "DSA-1-1 (dsa)",
                                  .severity = "high",
                                  .kev = true,
                                  .sla_due = 5000,
                                  .exception = exception};
        CHECK(fp_expo_set_add(set, &it));
}

static void host_sync(struct fp_server *srv, struct fp_store *s, const char *host, const char *vuln,
                 int64_t exception, int64_t now)
{
        struct fp_tx *tx = begin(s);
        struct fp_host_rec h;
        CHECK_INT_EQ(fp_store_host_get(tx, host, &h, NULL), FP_OK);
        struct fp_expo_set set;
        set_of(&set, vuln, exception);
        struct fp_diag d;
        fp_diag_clear(&d);
        enum fp_err err = fp_track_sync_host(srv, tx, &h, "00ff", NULL, &set, now, &d);
        CHECK_MSG(err == FP_OK, "sync %s: %s", host, d.msg);
        fp_expo_set_release(&set);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
}

static bool one_track(void *ctx, const struct fp_track_rec *t)
{
        struct fp_track_rec *out = ctx;
        *out = *t;
        out->id = strdup(t->id); /* leaked-safe: freed by the caller */
        out->state = strdup(t->state);
        out->grp = strdup(t->grp);
        out->evidence = strdup(t->evidence);
        return true;
}

static void track_free(struct fp_track_rec *t)
{
        free((char *)t->id);
        free((char *)t->state);
        free((char *)t->grp);
        free((char *)t->evidence);
        memset(t, 0, sizeof(*t));
}

static void the_record(struct fp_store *s, struct fp_track_rec *t)
{
        struct fp_tx *tx = begin(s);
        struct fp_track_filter f = {.account = "acme"};
        memset(t, 0, sizeof(*t));
        CHECK_INT_EQ(fp_store_track_list(tx, &f, one_track, t, NULL), FP_OK);
        fp_tx_rollback(tx);
}

static void verified_install(struct fp_server *srv, struct fp_store *s, const char *job,
                             const char *host, int64_t now)
{
        struct fp_tx *tx = begin(s);
        struct fp_job_rec j = {.id = job,
                               .host = host,
                               .account = "acme",
                               .type = "install",
                               .params_json = "{\"packages\":[{\"name\":\"openssl\","
                                              "\"arch\":\"amd64\",\"version\":\"3.0.2-1\"}]}",
                               .created = now};
        CHECK_INT_EQ(fp_store_job_create(tx, &j, NULL), FP_OK);
        const char *res = "{\"plan\":[{\"name\":\"openssl\",\"arch\":\"amd64\",\"from\":"
                          "\"3.0.1-1\",\"to\":\"3.0.2-1\"}],\"verdict\":\"verified\"}";
        CHECK_INT_EQ(fp_store_job_finish(tx, job, FP_JOB_SUCCEEDED, "ok", res, now, NULL), FP_OK);
        struct fp_installed_rec r = {.host = host,
                                     .name = "openssl",
                                     .arch = "amd64",
                                     .version = "3.0.2-1",
                                     .job = job,
                                     .at = now};
        CHECK_INT_EQ(fp_store_installed_put(tx, &r, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_get(tx, job, &j, NULL), FP_OK);
        json_t *result = J(res);
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_MSG(fp_track_job_finished(srv, tx, &j, result, now, &d) == FP_OK, "%s", d.msg);
        json_decref(result);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
}

struct count_ctx {
        int open, fixed;
};

static bool count_expo(void *ctx, const struct fp_exposure_rec *e)
{
        struct count_ctx *c = ctx;
        if (e->fixed_at)
                c->fixed++;
        else
                c->open++;
        CHECK_STR_EQ(e->severity, "high");
        CHECK(e->kev);
        CHECK_INT_EQ(e->sla_due, 5000);
        return true;
}

static void lifecycle(void)
{
        struct fp_store *s = NULL;
        CHECK_INT_EQ(fp_store_open(url, &s, NULL), FP_OK);
        if (!s)
                return;
        struct fp_server srv;
        memset(&srv, 0, sizeof(srv));
        srv.store = s;
        struct fp_tx *tx = begin(s);
        CHECK_INT_EQ(fp_store_account_create(tx, &(struct fp_account_rec){.name = "acme"}, NULL),
                     FP_OK);
        const char *hosts[] = {"h1", "h2", "h3"};
        for (int i = 0; i < 3; i++) {
                struct fp_host_rec h = {.id = hosts[i],
                                        .account = "acme",
                                        .hostname = hosts[i],
                                        .region = "",
                                        .agent_tags_json = i == 2 ? "{\"role\":\"web\","
                                                                    "\"patched_by\":\"provider\"}"
                                                                  : "{\"role\":\"web\"}",
                                        .created = 1,
                                        .last_seen = 1};
                CHECK_INT_EQ(fp_store_host_create(tx, &h, NULL), FP_OK);
        }
        CHECK_INT_EQ(fp_store_rules_put(tx, "acme",
                                        "{\"rules\":[{\"tags\":{\"role\":\"web\"},"
                                        "\"group\":\"web\"}],\"default\":\"ops\"}",
                                        "admin", 1, NULL),
                     FP_OK);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);

        /* Opened by the first host, one record for the scope (group web) of all three. */
        host_sync(&srv, s, "h1", "CVE-2024-0001", 0, 100);
        host_sync(&srv, s, "h2", "CVE-2024-0001", 0, 101);
        host_sync(&srv, s, "h3", "CVE-2024-0001", 0, 102);
        struct fp_track_rec t;
        the_record(s, &t);
        CHECK_STR_EQ(t.state, "open");
        CHECK_STR_EQ(t.grp, "web");
        /* Without an inventory change nothing happens (the same set again). */
        host_sync(&srv, s, "h1", "CVE-2024-0001", 0, 103);

        /* A change request freezing the fixed version on h1 and h2: linked, in progress. */
        tx = begin(s);
        struct fp_cr_rec c = {.id = "cr1", .account = "acme", .title = "fix", .author = "op",
                              .state = "approved", .baseline = "b", .window = "",
                              .document = "{}", .reviewed_by = "", .created = 104,
                              .updated = 104};
        CHECK_INT_EQ(fp_store_cr_create(tx, &c, NULL), FP_OK);
        for (int i = 0; i < 2; i++) {
                struct fp_cr_update u = {.cr = "cr1", .host = hosts[i], .name = "openssl",
                                         .arch = "amd64", .version = "3.0.2-1"};
                CHECK_INT_EQ(fp_store_cr_update_add(tx, &u, NULL), FP_OK);
        }
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_MSG(fp_track_cr_frozen(&srv, tx, "cr1", 104, &d) == FP_OK, "%s", d.msg);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        track_free(&t);
        the_record(s, &t);
        CHECK_STR_EQ(t.state, "in_progress");

        /* h1 patched by the change and verified; h2 still exposed: stays open. */
        verified_install(&srv, s, "j1", "h1", 110);
        host_sync(&srv, s, "h1", NULL, 0, 111);
        track_free(&t);
        the_record(s, &t);
        CHECK_STR_EQ(t.state, "in_progress");
        /* h2's inventory shows the fix before its job's result: resolved, not closed. */
        host_sync(&srv, s, "h2", NULL, 0, 112);
        track_free(&t);
        the_record(s, &t);
        CHECK_STR_EQ(t.state, "resolved");
        CHECK_STR_EQ(t.evidence, "");
        /* The verified job of h2 closes it; h3 (its provider's) never counted as a gap. */
        verified_install(&srv, s, "j2", "h2", 113);
        track_free(&t);
        the_record(s, &t);
        CHECK_STR_EQ(t.state, "closed");
        CHECK_INT_EQ(t.closed, 113);
        json_t *ev = J(*t.evidence ? t.evidence : "{}");
        CHECK_INT_EQ(json_array_size(json_object_get(ev, "hosts")), 3);
        CHECK_INT_EQ(json_integer_value(json_object_get(ev, "provider_patched")), 1);
        size_t i;
        json_t *hv;
        int jobs = 0;
        json_array_foreach(json_object_get(ev, "hosts"), i, hv)
        {
                const char *job = json_string_value(json_object_get(hv, "job"));
                if (job) {
                        jobs++;
                        CHECK_STR_EQ(json_string_value(json_object_get(hv, "job_verdict")),
                                     "verified");
                }
        }
        CHECK_INT_EQ(jobs, 2);
        json_decref(ev);

        /* The exposures history: two fixed, h3 still open (the provider's). */
        tx = begin(s);
        struct count_ctx cc = {0, 0};
        CHECK_INT_EQ(fp_store_exposure_list(tx, "acme", 0, count_expo, &cc, NULL), FP_OK);
        CHECK_INT_EQ(cc.open, 1);
        CHECK_INT_EQ(cc.fixed, 2);
        struct count_ctx later = {0, 0};
        CHECK_INT_EQ(fp_store_exposure_list(tx, "acme", 112, count_expo, &later, NULL), FP_OK);
        CHECK_INT_EQ(later.fixed, 1); /* h1 was fixed at 111 */
        fp_tx_rollback(tx);

        /* It applies again to h1: re-opened, in a new cycle; an exception covers it. */
        host_sync(&srv, s, "h1", "CVE-2024-0001", 0, 200);
        track_free(&t);
        the_record(s, &t);
        CHECK_STR_EQ(t.state, "open");
        CHECK_INT_EQ(t.cycle, 200);
        host_sync(&srv, s, "h1", "CVE-2024-0001", 7, 201);
        track_free(&t);
        the_record(s, &t);
        CHECK_STR_EQ(t.state, "closed");
        track_free(&t);

        /* The history takes appends only (seq counts on). */
        the_record(s, &t);
        tx = begin(s);
        struct fp_track_event e = {.track = t.id, .at = 300, .actor = "user:x",
                                   .action = "comment", .detail = "{\"text\":\"hi\"}"};
        CHECK_INT_EQ(fp_store_track_event_add(tx, &e, NULL), FP_OK);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        track_free(&t);
        fp_store_close(s);
}

/* The closing decision fp_track_eval takes from the blocking rows only equals the one over
 * every exposure of the cycle, after each event of random sequences (open, fix, except,
 * re-tag, link a change, verify a job) on a real SQLite store. */
static void random_events(void)
{
        char rurl[600];
        CHECK(test_store_url(rurl, sizeof(rurl), dir, "random"));
        struct fp_store *s = NULL;
        CHECK_INT_EQ(fp_store_open(rurl, &s, NULL), FP_OK);
        if (!s)
                return;
        struct fp_server srv;
        memset(&srv, 0, sizeof(srv));
        srv.store = s;
        struct fp_tx *tx = begin(s);
        CHECK_INT_EQ(fp_store_account_create(tx, &(struct fp_account_rec){.name = "acme"}, NULL),
                     FP_OK);
        static const char *const hosts[] = {"r0", "r1", "r2", "r3", "r4"};
        enum { NH = 5 };
        for (int i = 0; i < NH; i++) {
                struct fp_host_rec h = {.id = hosts[i], .account = "acme", .hostname = hosts[i],
                                        .region = "", .agent_tags_json = "{}", .created = 1,
                                        .last_seen = 1};
                CHECK_INT_EQ(fp_store_host_create(tx, &h, NULL), FP_OK);
        }
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        unsigned seed = 20261206;
        int seen[3] = {0, 0, 0}, crs = 0, jobs = 0;
        for (int step = 0; step < 600; step++) {
                int64_t now = 1000 + (int64_t)step * 10;
                const char *host = hosts[rand_r(&seed) % NH];
                int what = (int)(rand_r(&seed) % 6);
                if (what == 0)
                        host_sync(&srv, s, host, "CVE-2024-0009", 0, now);
                else if (what == 1)
                        host_sync(&srv, s, host, NULL, 0, now);
                else if (what == 2)
                        host_sync(&srv, s, host, "CVE-2024-0009", 7, now);
                else if (what == 3) {
                        tx = begin(s);
                        CHECK_INT_EQ(fp_store_host_set_tags(tx, host, true,
                                                            rand_r(&seed) % 2
                                                                ? "{\"patched_by\":\"provider\"}"
                                                                : "{}",
                                                            NULL),
                                     FP_OK);
                        struct fp_host_rec h;
                        CHECK_INT_EQ(fp_store_host_get(tx, host, &h, NULL), FP_OK);
                        struct fp_diag d;
                        fp_diag_clear(&d);
                        CHECK_MSG(fp_track_host_changed(&srv, tx, &h, now, &d) == FP_OK, "%s",
                                  d.msg);
                        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
                } else if (what == 4) {
                        char job[32];
                        snprintf(job, sizeof(job), "rj%d", jobs++);
                        verified_install(&srv, s, job, host, now);
                } else {
                        char cr[32];
                        snprintf(cr, sizeof(cr), "rcr%d", crs++);
                        tx = begin(s);
                        struct fp_cr_rec c = {.id = cr, .account = "acme", .title = "fix",
                                              .author = "op",
                                              .state = rand_r(&seed) % 4 ? "approved"
                                                                         : "cancelled",
                                              .baseline = "b", .window = "", .document = "{}",
                                              .reviewed_by = "", .created = now, .updated = now};
                        CHECK_INT_EQ(fp_store_cr_create(tx, &c, NULL), FP_OK);
                        for (int i = 0; i < NH; i++) {
                                if (rand_r(&seed) % 2)
                                        continue;
                                struct fp_cr_update u = {
                                    .cr = cr, .host = hosts[i], .name = "openssl",
                                    .arch = "amd64",
                                    .version = rand_r(&seed) % 3 ? "3.0.2-1" : "3.0.3-1"};
                                CHECK_INT_EQ(fp_store_cr_update_add(tx, &u, NULL), FP_OK);
                        }
                        struct fp_diag d;
                        fp_diag_clear(&d);
                        CHECK_MSG(fp_track_cr_frozen(&srv, tx, cr, now, &d) == FP_OK, "%s",
                                  d.msg);
                        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
                }
                struct fp_track_rec t;
                the_record(s, &t);
                if (!t.id)
                        continue;
                tx = begin(s);
                enum fp_close_verdict fast = FP_CLOSE_OPEN, full = FP_CLOSE_OPEN;
                CHECK_INT_EQ(fp_track_decide(tx, t.id, false, &fast, NULL), FP_OK);
                CHECK_INT_EQ(fp_track_decide(tx, t.id, true, &full, NULL), FP_OK);
                CHECK_MSG(fast == full, "step %d (event %d on %s): fast %d, full %d", step, what,
                          host, (int)fast, (int)full);
                seen[full]++;
                fp_tx_rollback(tx);
                track_free(&t);
        }
        /* Every verdict occurred, so each part of the rule was exercised. */
        CHECK(seen[FP_CLOSE_OPEN] > 0);
        CHECK(seen[FP_CLOSE_RESOLVED] > 0);
        CHECK(seen[FP_CLOSE_CLOSED] > 0);
        fp_store_close(s);
}

/* A record of more exposures than FP_MAX_TRACK_EVIDENCE_HOSTS closes with that many listed
 * and hosts_truncated set; one at the bound lists all of them. */
static void evidence_bound(void)
{
        char burl[600];
        CHECK(test_store_url(burl, sizeof(burl), dir, "bound"));
        struct fp_store *s = NULL;
        CHECK_INT_EQ(fp_store_open(burl, &s, NULL), FP_OK);
        if (!s)
                return;
        struct fp_server srv;
        memset(&srv, 0, sizeof(srv));
        srv.store = s;
        enum { N = FP_MAX_TRACK_EVIDENCE_HOSTS + 1 };
        char ids[N][16];
        struct fp_tx *tx = begin(s);
        CHECK_INT_EQ(fp_store_account_create(tx, &(struct fp_account_rec){.name = "acme"}, NULL),
                     FP_OK);
        for (int i = 0; i < N; i++) {
                snprintf(ids[i], sizeof(ids[i]), "b%04d", i);
                struct fp_host_rec h = {.id = ids[i], .account = "acme", .hostname = ids[i],
                                        .region = "", .agent_tags_json = "{}", .created = 1,
                                        .last_seen = 1};
                CHECK_INT_EQ(fp_store_host_create(tx, &h, NULL), FP_OK);
        }
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        for (int round = 0; round < 2; round++) {
                int n = round ? N : N - 1; /* at the bound, then one past it */
                int64_t at = 1000 + round * 1000;
                for (int i = 0; i < n; i++)
                        host_sync(&srv, s, ids[i], "CVE-2024-0010", 0, at + 1);
                for (int i = 0; i < n; i++)
                        host_sync(&srv, s, ids[i], NULL, 0, at + 2);
                struct fp_track_rec t;
                the_record(s, &t);
                CHECK_STR_EQ(t.state, "closed");
                json_t *ev = J(t.evidence && *t.evidence ? t.evidence : "{}");
                CHECK_INT_EQ(json_array_size(json_object_get(ev, "hosts")),
                             FP_MAX_TRACK_EVIDENCE_HOSTS);
                CHECK(json_is_true(json_object_get(ev, "hosts_truncated")) == (round == 1));
                CHECK_INT_EQ(json_integer_value(json_object_get(ev, "hosts_max")),
                             FP_MAX_TRACK_EVIDENCE_HOSTS);
                json_decref(ev);
                track_free(&t);
        }
        fp_store_close(s);
}

/* ---- evidence bundles ---- */

static void evidence(void)
{
        unsigned char pk[32], sk[64], pk2[32], sk2[64];
        crypto_sign_keypair(pk, sk);
        crypto_sign_keypair(pk2, sk2);
        char kid[17];
        fp_evidence_key_id(pk, kid);
        json_t *body = J("{\"format\": \"fleetpatch-evidence/1\", \"change_request\": {\"id\":"
                         " \"cr1\", \"title\": \"caf\\u00e9 \\u2713\"}, \"approvals\": [{\"user\":"
                         " \"bob\", \"decision\": \"approve\"}], \"hosts\": [], \"n\": 12}");
        json_object_set_new(body, "key_id", json_string(kid));
        char *canon = fp_evidence_canonical(body);
        CHECK(canon && !strstr(canon, "\": ") && !strstr(canon, ", ") && strstr(canon, "\\u00E9"));
        unsigned char sig[64];
        crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), sk);
        free(canon);
        char *file = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_evidence_seal(body, kid, sig, &file, &d), FP_OK);
        CHECK(file && file[strlen(file) - 1] == '\n');
        json_t *signed_already = J("{\"signature\": 1}");
        char *none = NULL;
        CHECK_INT_EQ(fp_evidence_seal(signed_already, kid, sig, &none, &d), FP_EINVAL);
        CHECK(none == NULL);
        json_decref(signed_already);
        size_t n = file ? strlen(file) : 0;
        json_t *doc = NULL;
        fp_diag_clear(&d);
        CHECK_MSG(fp_evidence_verify(file, n, pk, &doc, &d) == FP_OK, "%s", d.msg);
        CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(doc, "change_request"),
                                                       "id")),
                     "cr1");
        json_decref(doc);
        /* Every byte changed, in every position: refused. */
        char *copy = malloc(n + 1);
        size_t accepted = 0;
        for (size_t i = 0; copy && i < n; i++) {
                memcpy(copy, file, n + 1);
                copy[i] ^= 0x01;
                if (fp_evidence_verify(copy, n, pk, NULL, &d) == FP_OK)
                        accepted++;
                memcpy(copy, file, n + 1);
                copy[i] = copy[i] == 'A' ? 'B' : 'A';
                if (fp_evidence_verify(copy, n, pk, NULL, &d) == FP_OK)
                        accepted++;
        }
        CHECK_INT_EQ(accepted, 0);
        free(copy);
        /* Truncated, without its newline, with one more, with another key. */
        CHECK(fp_evidence_verify(file, n - 1, pk, NULL, &d) != FP_OK);
        CHECK(fp_evidence_verify(file, n / 2, pk, NULL, &d) != FP_OK);
        char *more = malloc(n + 2);
        memcpy(more, file, n);
        more[n] = '\n';
        more[n + 1] = 0;
        CHECK(fp_evidence_verify(more, n + 1, pk, NULL, &d) != FP_OK);
        free(more);
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_evidence_verify(file, n, pk2, NULL, &d), FP_ECORRUPT);
        CHECK_STR_EQ(d.field, "signature.key_id");
        /* The same content, pretty-printed: not the canonical bytes. */
        json_t *v = json_loadb(file, n, 0, NULL);
        char *pretty = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
        CHECK(fp_evidence_verify(pretty, strlen(pretty), pk, NULL, &d) == FP_ECORRUPT);
        free(pretty);
        /* A re-signed body with a changed value and the old signature: does not verify. */
        json_object_set_new(v, "n", json_integer(13));
        char *forged = fp_evidence_canonical(v);
        size_t fl = strlen(forged);
        char *ff = malloc(fl + 2);
        memcpy(ff, forged, fl);
        ff[fl] = '\n';
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_evidence_verify(ff, fl + 1, pk, NULL, &d), FP_ECORRUPT);
        CHECK_STR_EQ(d.field, "signature");
        free(ff);
        free(forged);
        json_decref(v);
        /* Duplicate keys and non-JSON: refused as unparseable. */
        const char *dup = "{\"a\":1,\"a\":1}\n";
        CHECK_INT_EQ(fp_evidence_verify(dup, strlen(dup), pk, NULL, &d), FP_EPARSE);
        /* One byte past the limit is refused before it is read. */
        CHECK_INT_EQ(fp_evidence_verify(file, (size_t)FP_MAX_EVIDENCE_BYTES + 1, pk, NULL, &d),
                     FP_ELIMIT);
        /* Keys: the public key file's base64. */
        char b64[64];
        sodium_bin2base64(b64, sizeof(b64), pk, 32, sodium_base64_VARIANT_ORIGINAL);
        strcat(b64, "\n");
        unsigned char back[32];
        CHECK_INT_EQ(fp_evidence_parse_key(b64, strlen(b64), back, &d), FP_OK);
        CHECK(!memcmp(back, pk, 32));
        CHECK_INT_EQ(fp_evidence_parse_key("abc", 3, back, &d), FP_EPARSE);
        free(file);
        json_decref(body);
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        snprintf(dir, sizeof(dir), "%s/fptrack.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir))
                return 1;
        CHECK(test_store_url(url, sizeof(url), dir, "store"));
        rules();
        closing();
        lifecycle();
        random_events();
        evidence_bound();
        evidence();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                return 1;
        return fp_test_finish();
}
