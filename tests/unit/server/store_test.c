/* The store through its interface on the SQLite engine: rollback writes nothing, migrations
 * refuse a newer schema, filters and effective tags, tokens, jobs, writers from many threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/store.h"
#include "server/server.h"
#include "test.h"
#include "test_store.h"

static char dir[256], url[512];

static struct fp_store *open_store(void)
{
        struct fp_store *s = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_open(url, &s, &d) != FP_OK) {
                fprintf(stderr, "open %s: %s\n", url, d.msg);
                exit(1);
        }
        return s;
}

static struct fp_tx *begin(struct fp_store *s, bool write)
{
        struct fp_tx *tx = NULL;
        if (fp_store_begin(s, write, &tx, NULL) != FP_OK) {
                fprintf(stderr, "begin failed\n");
                exit(1);
        }
        return tx;
}

static bool count_cb(void *ctx, const struct fp_host_rec *h)
{
        (*(int *)ctx)++;
        return true;
}

static int count_hosts(struct fp_store *s, const struct fp_host_filter *f)
{
        struct fp_tx *tx = begin(s, false);
        int n = 0;
        CHECK(fp_store_host_list(tx, f, count_cb, &n, NULL) == FP_OK);
        fp_tx_rollback(tx);
        return n;
}

static void host(struct fp_tx *tx, const char *id, const char *account, const char *region,
                 const char *tags)
{
        struct fp_host_rec h = {.id = id, .account = account, .hostname = id, .region = region,
                                .agent_tags_json = tags, .created = 1, .last_seen = 100};
        CHECK_INT_EQ(fp_store_host_create(tx, &h, NULL), FP_OK);
}

static void basics(void)
{
        struct fp_store *s = open_store();
        CHECK_STR_EQ(fp_store_engine(s), test_store_pg() ? "postgresql" : "sqlite");
        CHECK_INT_EQ(fp_store_ping(s, NULL), FP_OK);
        struct fp_tx *tx = begin(s, true);
        const char *regions[] = {"eu-west-1", "us-east-1"};
        struct fp_account_rec a = {.name = "acme", .display = "Acme", .regions = regions,
                                   .region_count = 2, .created = 5};
        CHECK_INT_EQ(fp_store_account_create(tx, &a, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_account_create(tx, &a, NULL), FP_EEXIST);
        a.name = "beta";
        a.region_count = 0;
        CHECK_INT_EQ(fp_store_account_create(tx, &a, NULL), FP_OK);
        host(tx, "h1", "acme", "eu-west-1", "{\"env\":\"prod\",\"role\":\"web\"}");
        host(tx, "h2", "acme", "us-east-1", "{\"env\":\"dev\"}");
        host(tx, "h3", "beta", "", "{}");
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);

        /* A rolled-back transaction leaves nothing. */
        tx = begin(s, true);
        host(tx, "h4", "acme", "", "{}");
        CHECK_INT_EQ(fp_store_account_create(tx, &(struct fp_account_rec){.name = "gamma"}, NULL),
                     FP_OK);
        fp_tx_rollback(tx);
        struct fp_host_filter all = {.compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &all), 3);
        tx = begin(s, false);
        struct fp_account_rec got;
        CHECK_INT_EQ(fp_store_account_get(tx, "gamma", &got, NULL), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_account_get(tx, "acme", &got, NULL), FP_OK);
        CHECK_INT_EQ(got.region_count, 2);
        CHECK_STR_EQ(got.regions[1], "us-east-1");
        fp_tx_rollback(tx);

        /* Filters: visible accounts, account, region, tags (agent overlaid by API). */
        const char *only_beta[] = {"beta"};
        struct fp_host_filter f = {.accounts = only_beta, .account_count = 1, .compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &f), 1);
        f = (struct fp_host_filter){.accounts = only_beta, .account_count = 1,
                                    .account = "acme", .compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &f), 0); /* asking for a foreign account gives nothing */
        f = (struct fp_host_filter){.region = "eu-west-1", .compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &f), 1);
        struct fp_tag_filter prod = {"env", "prod"};
        f = (struct fp_host_filter){.tags = &prod, .tag_count = 1, .compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &f), 1);
        tx = begin(s, true);
        CHECK_INT_EQ(fp_store_host_set_tags(tx, "h1", true, "{\"env\":\"staging\"}", NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_set_tags(tx, "nope", true, "{}", NULL), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        CHECK_INT_EQ(count_hosts(s, &f), 0); /* the API tag wins over the agent's */
        struct fp_tag_filter web = {"role", "web"};
        f.tags = &web;
        CHECK_INT_EQ(count_hosts(s, &f), 1); /* the agent's other tags stay */
        f = (struct fp_host_filter){.after_id = "h1", .limit = 1, .compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &f), 1);
        f = (struct fp_host_filter){.seen_after = 101, .compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &f), 0);

        /* Check-in, inventory, counts, compliance filter. */
        tx = begin(s, true);
        CHECK_INT_EQ(fp_store_host_checkin(tx, "h2", NULL, NULL, "{\"hostname\":\"x\"}", 7, 200,
                                           NULL),
                     FP_OK);
        struct fp_host_counts c = {.packages = 10, .security_updates = 2,
                                   .compliance = FP_COMPL_NONCOMPLIANT};
        c.sev[5] = 3;
        CHECK_INT_EQ(fp_store_host_set_inventory(tx, "h2", "debian", "bookworm",
                                                 "ab", "{\"packages\":[]}", &c, 200, NULL),
                     FP_OK);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        tx = begin(s, false);
        struct fp_host_rec h;
        CHECK_INT_EQ(fp_store_host_get(tx, "h2", &h, NULL), FP_OK);
        CHECK_INT_EQ(h.last_seq, 7);
        CHECK_INT_EQ(h.counts.sev[5], 3);
        CHECK_STR_EQ(h.os_release, "bookworm");
        CHECK_STR_EQ(h.hostname, "h2"); /* NULL keeps the stored value */
        const char *doc;
        CHECK_INT_EQ(fp_store_host_inventory(tx, "h2", &doc, NULL), FP_OK);
        CHECK_STR_EQ(doc, "{\"packages\":[]}");
        CHECK_INT_EQ(fp_store_host_inventory(tx, "h1", &doc, NULL), FP_ENOTFOUND);
        fp_tx_rollback(tx);
        f = (struct fp_host_filter){.compliance = FP_COMPL_NONCOMPLIANT};
        CHECK_INT_EQ(count_hosts(s, &f), 1);
        f = (struct fp_host_filter){.os = "debian:bookworm", .compliance = -1};
        CHECK_INT_EQ(count_hosts(s, &f), 1);

        /* Tokens: hashed secrets, enrollment uses, revocation with the host. */
        char id[17], token[88], hash[65], prefix[4], id2[17], hash2[65];
        fp_new_token("fpe", id, token, hash);
        CHECK(fp_token_split(token, prefix, id2, hash2));
        CHECK_STR_EQ(prefix, "fpe");
        CHECK_STR_EQ(id2, id);
        CHECK(fp_hash_equal(hash, hash2));
        token[30] = token[30] == 'a' ? 'b' : 'a';
        CHECK(fp_token_split(token, prefix, id2, hash2));
        CHECK(!fp_hash_equal(hash, hash2));
        CHECK(!fp_token_split("fpe_short", prefix, id2, hash2));
        tx = begin(s, true);
        struct fp_token_rec t = {.id = id, .kind = FP_TOKEN_ENROLL, .hash = hash,
                                 .account = "acme", .created = 1, .uses_left = 1};
        CHECK_INT_EQ(fp_store_token_create(tx, &t, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_token_use(tx, id, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_token_use(tx, id, NULL), FP_ELIMIT);
        char aid[17], atok[88], ahash[65];
        fp_new_token("fpa", aid, atok, ahash);
        struct fp_token_rec at = {.id = aid, .kind = FP_TOKEN_AGENT, .hash = ahash, .host = "h3",
                                  .created = 1};
        CHECK_INT_EQ(fp_store_token_create(tx, &at, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_token_revoke_host(tx, "h3", NULL), FP_OK);
        struct fp_token_rec back;
        CHECK_INT_EQ(fp_store_token_get(tx, aid, &back, NULL), FP_OK);
        CHECK(back.revoked);
        CHECK_INT_EQ(fp_store_host_delete(tx, "h3", NULL), FP_OK);
        CHECK_INT_EQ(fp_store_token_get(tx, aid, &back, NULL), FP_ENOTFOUND); /* cascaded */
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);

        /* Users and grants. */
        tx = begin(s, true);
        int64_t uid;
        CHECK_INT_EQ(fp_store_user_create(tx, "ann", NULL, &uid, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_user_create(tx, "ann", NULL, NULL, NULL), FP_EEXIST);
        CHECK_INT_EQ(fp_store_grant_set(tx, uid, "acme", FP_ROLE_VIEWER, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_grant_set(tx, uid, "acme", FP_ROLE_OPERATOR, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_grant_set(tx, uid, "*", FP_ROLE_VIEWER, NULL), FP_OK);
        struct fp_user_rec u;
        CHECK_INT_EQ(fp_store_user_get(tx, "ann", &u, NULL), FP_OK);
        CHECK_INT_EQ(u.grant_count, 2);
        CHECK_STR_EQ(u.grants[0].account, "*");
        CHECK_INT_EQ(u.grants[1].role, FP_ROLE_OPERATOR);
        CHECK_INT_EQ(fp_store_grant_delete(tx, uid, "beta", NULL), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);

        /* Jobs: queued → delivered → finished once. */
        tx = begin(s, true);
        struct fp_job_rec j = {.id = "j1", .host = "h1", .account = "acme", .type = "rescan",
                               .created = 3};
        CHECK_INT_EQ(fp_store_job_create(tx, &j, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_mark_delivered(tx, "j1", 4, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_finish(tx, "j1", FP_JOB_SUCCEEDED, "ok", NULL, 5, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_finish(tx, "j1", FP_JOB_FAILED, "again", NULL, 6, NULL),
                     FP_ENOTFOUND);
        struct fp_job_rec jb;
        CHECK_INT_EQ(fp_store_job_get(tx, "j1", &jb, NULL), FP_OK);
        CHECK_INT_EQ(jb.status, FP_JOB_SUCCEEDED);
        CHECK_INT_EQ(jb.delivered, 4);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        fp_store_close(s);
}

static bool job_ids_cb(void *ctx, const struct fp_job_rec *j)
{
        char *out = ctx;
        if (*out)
                strcat(out, " ");
        strcat(out, j->id);
        CHECK_STR_EQ(j->log, ""); /* lists never carry logs */
        return true;
}

/* Jobs of issue 6: running with a phase, a log bounded at FP_MAX_JOB_LOG that keeps its start,
 * a result kept with the finished job, lists newest first with paging. */
static void jobs(void)
{
        struct fp_store *s = open_store();
        struct fp_tx *tx = begin(s, true);
        host(tx, "jh1", "acme", "", "{}");
        host(tx, "jh2", "acme", "", "{}");
        /* created times: j-a oldest, j-c and j-d the same second (the id orders them) */
        const char *ids[] = {"ja", "jb", "jc", "jd"};
        const int64_t at[] = {10, 20, 30, 30};
        for (int i = 0; i < 4; i++) {
                struct fp_job_rec j = {.id = ids[i],
                                       .host = "jh1",
                                       .account = "acme",
                                       .type = "install",
                                       .params_json = "{}",
                                       .created = at[i]};
                CHECK_INT_EQ(fp_store_job_create(tx, &j, NULL), FP_OK);
        }
        struct fp_job_rec other = {
            .id = "jx", .host = "jh2", .account = "acme", .type = "scan", .created = 40};
        CHECK_INT_EQ(fp_store_job_create(tx, &other, NULL), FP_OK);
        char got[256] = "";
        CHECK_INT_EQ(fp_store_job_list_host(tx, "jh1", NULL, 0, job_ids_cb, got, NULL), FP_OK);
        CHECK_STR_EQ(got, "jd jc jb ja");
        got[0] = 0;
        CHECK_INT_EQ(fp_store_job_list_host(tx, "jh1", NULL, 2, job_ids_cb, got, NULL), FP_OK);
        CHECK_STR_EQ(got, "jd jc");
        got[0] = 0;
        CHECK_INT_EQ(fp_store_job_list_host(tx, "jh1", "jc", 2, job_ids_cb, got, NULL), FP_OK);
        CHECK_STR_EQ(got, "jb ja");
        got[0] = 0;
        CHECK_INT_EQ(fp_store_job_list_host(tx, "jh1", "ja", 2, job_ids_cb, got, NULL), FP_OK);
        CHECK_STR_EQ(got, "");
        /* a cursor of another host's job is not a page of this host */
        CHECK_INT_EQ(fp_store_job_list_host(tx, "jh1", "jx", 2, job_ids_cb, got, NULL),
                     FP_ENOTFOUND);

        /* progress: running, phase, log appended */
        CHECK_INT_EQ(fp_store_job_progress(tx, "ja", "planning", "line 1\n", 50, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_progress(tx, "ja", NULL, "line 2\n", 51, NULL), FP_OK);
        struct fp_job_rec j;
        CHECK_INT_EQ(fp_store_job_get(tx, "ja", &j, NULL), FP_OK);
        CHECK_INT_EQ(j.status, FP_JOB_RUNNING);
        CHECK_STR_EQ(j.phase, "planning");
        CHECK_STR_EQ(j.log, "line 1\nline 2\n");
        CHECK_INT_EQ(j.updated, 51);
        CHECK(!j.log_truncated);
        CHECK(j.result_json == NULL);
        CHECK_STR_EQ(fp_job_status_name(j.status), "running");
        CHECK_INT_EQ(fp_store_job_progress(tx, "nope", "planning", "x", 52, NULL), FP_ENOTFOUND);

        /* the log: fill it to the limit in chunks; the start stays, the marker ends it */
        size_t chunk = 64 * 1024;
        char *big = malloc(chunk + 1);
        memset(big, 'a', chunk);
        big[chunk] = 0;
        big[0] = 'S'; /* the start of every chunk, to see which were kept */
        for (int i = 0; i < 20; i++)
                CHECK_INT_EQ(fp_store_job_progress(tx, "jb", "applying", big, 60 + i, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_get(tx, "jb", &j, NULL), FP_OK);
        size_t len = strlen(j.log);
        CHECK_MSG(len <= FP_MAX_JOB_LOG, "log of %zu bytes", len);
        CHECK_MSG(len > FP_MAX_JOB_LOG - 2 * sizeof(FP_JOB_LOG_MARKER), "log of %zu bytes", len);
        CHECK(j.log_truncated);
        CHECK(!strncmp(j.log, big, 100));
        CHECK_STR_EQ(j.log + len - (sizeof(FP_JOB_LOG_MARKER) - 1), FP_JOB_LOG_MARKER);
        /* later chunks are dropped, the phase still moves */
        CHECK_INT_EQ(fp_store_job_progress(tx, "jb", "verifying", "late\n", 90, NULL), FP_OK);
        struct fp_job_rec j2;
        CHECK_INT_EQ(fp_store_job_get(tx, "jb", &j2, NULL), FP_OK);
        CHECK_INT_EQ(strlen(j2.log), len);
        CHECK_STR_EQ(j2.phase, "verifying");
        /* a cut never splits a UTF-8 character: fill with 3-byte characters */
        size_t n3 = (FP_MAX_JOB_LOG / 3 + 10) * 3;
        char *u = malloc(n3 + 1);
        for (size_t i = 0; i < n3; i += 3)
                memcpy(u + i, "\xe2\x82\xac", 3); /* € */
        u[n3] = 0;
        CHECK_INT_EQ(fp_store_job_progress(tx, "jc", "applying", u, 91, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_get(tx, "jc", &j, NULL), FP_OK);
        len = strlen(j.log) - (sizeof(FP_JOB_LOG_MARKER) - 1);
        CHECK_INT_EQ(len % 3, 0);
        CHECK(!memcmp(j.log + len - 3, "\xe2\x82\xac", 3));
        free(u);
        free(big);

        /* finish keeps the result; a finished job takes no progress and no second finish */
        CHECK_INT_EQ(fp_store_job_finish(tx, "ja", FP_JOB_SUCCEEDED, "done",
                                         "{\"verdict\":\"verified\"}", 95, NULL),
                     FP_OK);
        CHECK_INT_EQ(fp_store_job_progress(tx, "ja", "applying", "x", 96, NULL), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_job_finish(tx, "ja", FP_JOB_FAILED, "x", NULL, 97, NULL),
                     FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_job_get(tx, "ja", &j, NULL), FP_OK);
        CHECK_INT_EQ(j.status, FP_JOB_SUCCEEDED);
        CHECK_STR_EQ(j.result_json, "{\"verdict\":\"verified\"}");
        CHECK_STR_EQ(j.log, "line 1\nline 2\n");
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        fp_store_close(s);
}

static bool installed_cb(void *ctx, const struct fp_installed_rec *r)
{
        char *out = ctx;
        char one[128];
        snprintf(one, sizeof(one), "%s%s/%s=%s@%s", *out ? " " : "", r->name, r->arch, r->version,
                 r->job);
        strcat(out, one);
        return true;
}

/* Catch-up state, identity, and what jobs installed (the rollback replaces a job's records). */
static void catchup_and_installed(void)
{
        struct fp_store *s = open_store();
        struct fp_tx *tx = begin(s, true);
        struct fp_host_rec nh = {.id = "ch1",
                                 .account = "acme",
                                 .hostname = "ch1",
                                 .machine_id = "m1",
                                 .instance_id = "i-1",
                                 .cloned_from = "h1",
                                 .created = 1,
                                 .last_seen = 1};
        CHECK_INT_EQ(fp_store_host_create(tx, &nh, NULL), FP_OK);
        struct fp_host_rec h;
        CHECK_INT_EQ(fp_store_host_get(tx, "ch1", &h, NULL), FP_OK);
        CHECK_STR_EQ(h.catchup_json, "[]");
        CHECK_INT_EQ(h.catchup_since, 0);
        CHECK_STR_EQ(h.instance_id, "i-1");
        CHECK_STR_EQ(h.cloned_from, "h1");
        CHECK_STR_EQ(h.boot_id, "");
        CHECK_INT_EQ(fp_store_host_set_identity(tx, "ch1", NULL, "b1", NULL, "b0", NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_set_catchup(tx, "ch1", "[\"offline\"]", 77, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_set_catchup(tx, "nope", "[]", 0, NULL), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_host_get(tx, "ch1", &h, NULL), FP_OK);
        CHECK_STR_EQ(h.machine_id, "m1");
        CHECK_STR_EQ(h.boot_id, "b1");
        CHECK_STR_EQ(h.regress_boot, "b0");
        CHECK_STR_EQ(h.catchup_json, "[\"offline\"]");
        CHECK_INT_EQ(h.catchup_since, 77);
        struct fp_host_filter f = {.compliance = -1, .catchup = 1};
        int n = 0;
        CHECK_INT_EQ(fp_store_host_list(tx, &f, count_cb, &n, NULL), FP_OK);
        CHECK_INT_EQ(n, 1);
        f.catchup = 2;
        int m = 0;
        CHECK_INT_EQ(fp_store_host_list(tx, &f, count_cb, &m, NULL), FP_OK);
        f.catchup = 0;
        int all = 0;
        CHECK_INT_EQ(fp_store_host_list(tx, &f, count_cb, &all, NULL), FP_OK);
        CHECK_INT_EQ(m + n, all);

        struct fp_installed_rec r = {.host = "ch1",
                                     .name = "openssl",
                                     .arch = "amd64",
                                     .version = "3.0.15",
                                     .job = "j1",
                                     .at = 5};
        CHECK_INT_EQ(fp_store_installed_put(tx, &r, NULL), FP_OK);
        r.name = "curl";
        r.version = "7.88";
        CHECK_INT_EQ(fp_store_installed_put(tx, &r, NULL), FP_OK);
        r.name = "zlib";
        r.job = "j2";
        CHECK_INT_EQ(fp_store_installed_put(tx, &r, NULL), FP_OK);
        char got[256] = "";
        CHECK_INT_EQ(fp_store_installed_list(tx, "ch1", installed_cb, got, NULL), FP_OK);
        CHECK_STR_EQ(got, "curl/amd64=7.88@j1 openssl/amd64=3.0.15@j1 zlib/amd64=7.88@j2");
        /* a newer job's version replaces the record of the same package */
        r.name = "openssl";
        r.version = "3.0.16";
        r.job = "j3";
        CHECK_INT_EQ(fp_store_installed_put(tx, &r, NULL), FP_OK);
        /* a rollback of j1 drops what j1 installed, and nothing else */
        CHECK_INT_EQ(fp_store_installed_drop_job(tx, "ch1", "j1", NULL), FP_OK);
        got[0] = 0;
        CHECK_INT_EQ(fp_store_installed_list(tx, "ch1", installed_cb, got, NULL), FP_OK);
        CHECK_STR_EQ(got, "openssl/amd64=3.0.16@j3 zlib/amd64=7.88@j2");
        /* the records go with the host */
        CHECK_INT_EQ(fp_store_host_delete(tx, "ch1", NULL), FP_OK);
        got[0] = 0;
        CHECK_INT_EQ(fp_store_installed_list(tx, "ch1", installed_cb, got, NULL), FP_OK);
        CHECK_STR_EQ(got, "");

        /* an enrollment token issued by a clone detection names the original */
        struct fp_token_rec t = {.id = "t1",
                                 .kind = FP_TOKEN_ENROLL,
                                 .hash = "x",
                                 .account = "acme",
                                 .created = 1,
                                 .uses_left = 1,
                                 .clone_of = "h1"};
        CHECK_INT_EQ(fp_store_token_create(tx, &t, NULL), FP_OK);
        t.id = "t2";
        t.clone_of = NULL;
        CHECK_INT_EQ(fp_store_token_create(tx, &t, NULL), FP_OK);
        struct fp_token_rec tg;
        CHECK_INT_EQ(fp_store_token_get(tx, "t1", &tg, NULL), FP_OK);
        CHECK_STR_EQ(tg.clone_of, "h1");
        CHECK_INT_EQ(fp_store_token_get(tx, "t2", &tg, NULL), FP_OK);
        CHECK_STR_EQ(tg.clone_of, "");
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        fp_store_close(s);
}

/* The catch-up rule (src/server/catchup.c over the store): an inventory with a package older
 * than a version jobs installed marks "downgraded"; the mark is cleared only by an inventory in
 * which every such version is present (equal or newer), and reasons accumulate meanwhile. */
static void catchup_rule(void)
{
        struct fp_store *s = open_store();
        struct fp_tx *tx = begin(s, true);
        struct fp_host_rec nh = {
            .id = "cu1", .account = "acme", .hostname = "cu1", .created = 1, .last_seen = 1};
        CHECK_INT_EQ(fp_store_host_create(tx, &nh, NULL), FP_OK);
        struct fp_installed_rec r = {.host = "cu1",
                                     .name = "openssl",
                                     .arch = "amd64",
                                     .version = "3.0.15-1~deb12u1",
                                     .job = "j1",
                                     .at = 5};
        CHECK_INT_EQ(fp_store_installed_put(tx, &r, NULL), FP_OK);
        r.name = "tzdata";
        r.arch = ""; /* any architecture */
        r.version = "2024a-0+deb12u1";
        CHECK_INT_EQ(fp_store_installed_put(tx, &r, NULL), FP_OK);
        struct fp_inv_pkg pk[3] = {{.name = "curl", .arch = "amd64", .version = "7.88.1-10"},
                                   {.name = "openssl", .arch = "amd64", .version = "3.0.11-1"},
                                   {.name = "tzdata", .arch = "all", .version = "2024a-0+deb12u1"}};
        struct fp_inventory inv = {
            .family = "deb", .scheme = FP_SCHEME_DEB, .pkgs = pk, .count = 3};
        bool down, complete;
        CHECK_INT_EQ(fp_catchup_check_inventory(tx, "cu1", &inv, &down, &complete, NULL), FP_OK);
        CHECK(down && !complete);
        struct fp_host_rec h;
        CHECK_INT_EQ(fp_store_host_get(tx, "cu1", &h, NULL), FP_OK);
        const char *reasons[] = {"downgraded"};
        CHECK_INT_EQ(fp_catchup_update(tx, &h, reasons, 1, false, 100, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_get(tx, "cu1", &h, NULL), FP_OK);
        CHECK_STR_EQ(h.catchup_json, "[\"downgraded\"]");
        CHECK_INT_EQ(h.catchup_since, 100);
        /* a second reason keeps the first time; a reason given twice is kept once */
        const char *more[] = {"offline", "downgraded"};
        CHECK_INT_EQ(fp_catchup_update(tx, &h, more, 2, true, 200, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_get(tx, "cu1", &h, NULL), FP_OK);
        CHECK_STR_EQ(h.catchup_json, "[\"downgraded\",\"offline\"]");
        CHECK_INT_EQ(h.catchup_since, 100);
        /* openssl back but tzdata gone: not complete, nothing to clear */
        pk[1].version = "3.0.15-1~deb12u1";
        inv.count = 2;
        CHECK_INT_EQ(fp_catchup_check_inventory(tx, "cu1", &inv, &down, &complete, NULL), FP_OK);
        CHECK(!down && !complete);
        /* every version present, one newer: complete; the clear empties the mark */
        pk[1].version = "3.0.16-1";
        inv.count = 3;
        CHECK_INT_EQ(fp_catchup_check_inventory(tx, "cu1", &inv, &down, &complete, NULL), FP_OK);
        CHECK(!down && complete);
        CHECK_INT_EQ(fp_catchup_update(tx, &h, NULL, 0, true, 300, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_get(tx, "cu1", &h, NULL), FP_OK);
        CHECK_STR_EQ(h.catchup_json, "[]");
        CHECK_INT_EQ(h.catchup_since, 0);
        /* another architecture of the same name does not stand in for a recorded one */
        pk[1].arch = "i386";
        CHECK_INT_EQ(fp_catchup_check_inventory(tx, "cu1", &inv, &down, &complete, NULL), FP_OK);
        CHECK(!down && !complete);
        fp_tx_rollback(tx);
        fp_store_close(s);
}

/* A store of schema 1 (before RUNNING) keeps its finished jobs finished after migration 2. */
static void migration_renumbers_jobs(void)
{
        char db[600], cmd[2000];
        snprintf(db, sizeof(db), "%s/v1.db", dir);
        snprintf(cmd, sizeof(cmd),
                 "sqlite3 '%s' \"CREATE TABLE jobs (id TEXT PRIMARY KEY, host TEXT, account TEXT,"
                 " type TEXT, params TEXT, status INTEGER, detail TEXT, created_by TEXT,"
                 " created INTEGER, delivered INTEGER, finished INTEGER);"
                 " INSERT INTO jobs VALUES ('q','h','a','rescan','{}',0,NULL,'',1,0,0),"
                 " ('s','h','a','rescan','{}',2,'ok','',1,1,1),"
                 " ('f','h','a','rescan','{}',3,'no','',1,1,1);"
                 " PRAGMA user_version = 1;\"",
                 db);
        if (system(cmd) != 0) {
                fprintf(stderr, "sqlite3 not available; skipping the migration check\n");
                return;
        }
        /* Only the jobs part of schema 1 exists: migration 2 needs the other tables too. */
        snprintf(cmd, sizeof(cmd),
                 "sqlite3 '%s' \"CREATE TABLE hosts (id TEXT PRIMARY KEY);"
                 " CREATE TABLE tokens (id TEXT PRIMARY KEY);\"",
                 db);
        CHECK(system(cmd) == 0);
        char u[700];
        snprintf(u, sizeof(u), "sqlite:%s", db);
        struct fp_store *st = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_MSG(fp_store_open(u, &st, &d) == FP_OK, "%s", d.msg);
        if (!st)
                return;
        struct fp_tx *tx = begin(st, false);
        struct fp_job_rec j;
        CHECK_INT_EQ(fp_store_job_get(tx, "q", &j, NULL), FP_OK);
        CHECK_INT_EQ(j.status, FP_JOB_QUEUED);
        CHECK_INT_EQ(fp_store_job_get(tx, "s", &j, NULL), FP_OK);
        CHECK_INT_EQ(j.status, FP_JOB_SUCCEEDED);
        CHECK_INT_EQ(fp_store_job_get(tx, "f", &j, NULL), FP_OK);
        CHECK_INT_EQ(j.status, FP_JOB_FAILED);
        fp_tx_rollback(tx);
        fp_store_close(st);
}

/* Many threads checking in at once: every write lands, none fails with "busy". */
struct worker {
        struct fp_store *s;
        int n, failures;
};

static void *worker_run(void *arg)
{
        struct worker *w = arg;
        for (int i = 0; i < w->n; i++) {
                struct fp_tx *tx = NULL;
                if (fp_store_begin(w->s, true, &tx, NULL) != FP_OK) {
                        w->failures++;
                        continue;
                }
                struct fp_host_rec h;
                if (fp_store_host_get(tx, "h1", &h, NULL) != FP_OK ||
                    fp_store_host_checkin(tx, "h1", NULL, NULL, NULL, h.last_seq + 1, 1000,
                                          NULL) != FP_OK ||
                    fp_tx_commit(tx, NULL) != FP_OK) {
                        w->failures++;
                        if (tx)
                                fp_tx_rollback(tx);
                }
        }
        return NULL;
}

static void concurrency(void)
{
        struct fp_store *s = open_store();
        struct fp_tx *tx = begin(s, false);
        struct fp_host_rec h;
        CHECK_INT_EQ(fp_store_host_get(tx, "h1", &h, NULL), FP_OK);
        int64_t before = h.last_seq;
        fp_tx_rollback(tx);
        enum { THREADS = 8, EACH = 200 };
        pthread_t th[THREADS];
        struct worker w[THREADS];
        for (int i = 0; i < THREADS; i++) {
                w[i] = (struct worker){s, EACH, 0};
                pthread_create(&th[i], NULL, worker_run, &w[i]);
        }
        int failures = 0;
        for (int i = 0; i < THREADS; i++) {
                pthread_join(th[i], NULL);
                failures += w[i].failures;
        }
        CHECK_INT_EQ(failures, 0);
        tx = begin(s, false);
        CHECK_INT_EQ(fp_store_host_get(tx, "h1", &h, NULL), FP_OK);
        CHECK_INT_EQ(h.last_seq, before + THREADS * EACH); /* no lost update */
        fp_tx_rollback(tx);
        fp_store_close(s);
}

/* Settings: unset is FP_ENOTFOUND, a put replaces, the limit is refused and changes nothing. */
static void settings(void)
{
        struct fp_store *s = open_store();
        struct fp_tx *tx = begin(s, true);
        const char *v = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_store_setting_get(tx, "t.one", &v, &d), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_setting_put(tx, "t.one", "a b", 10, &d), FP_OK);
        CHECK_INT_EQ(fp_store_setting_put(tx, "t.one", "c d", 11, &d), FP_OK);
        static char big[FP_STORE_SETTING_MAX + 2];
        memset(big, 'x', FP_STORE_SETTING_MAX + 1);
        CHECK_INT_EQ(fp_store_setting_put(tx, "t.one", big, 12, &d), FP_ELIMIT);
        CHECK_MSG(strstr(d.msg, "more than 1024 bytes"), "msg: %s", d.msg);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        tx = begin(s, false);
        CHECK_INT_EQ(fp_store_setting_get(tx, "t.one", &v, NULL), FP_OK);
        CHECK_STR_EQ(v, "c d");
        fp_tx_rollback(tx);
        fp_store_close(s);
}

static int64_t last_seq_of(struct fp_store *s, const char *host)
{
        struct fp_tx *tx = begin(s, false);
        struct fp_host_rec h = {0};
        CHECK_INT_EQ(fp_store_host_get(tx, host, &h, NULL), FP_OK);
        int64_t seq = h.last_seq;
        fp_tx_rollback(tx);
        return seq;
}

/* The steady check-in's write (fp_store_begin_rows, fp_store_host_checkin_next): the sequence
 * condition is the statement's, and on PostgreSQL it does not wait for the writers' turn. */
static void checkin_rows(void)
{
        struct fp_store *s = open_store();
        int64_t seq = last_seq_of(s, "h1");
        struct fp_tx *tx = NULL;
        CHECK_INT_EQ(fp_store_begin_rows(s, &tx, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_checkin_next(tx, "h1", NULL, NULL, "{\"k\":1}", seq + 5, 5000,
                                                NULL),
                     FP_OK);
        /* the same or a lower sequence: refused, nothing changed */
        CHECK_INT_EQ(fp_store_host_checkin_next(tx, "h1", "other", NULL, NULL, seq + 5, 6000, NULL),
                     FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_host_checkin_next(tx, "h1", "other", NULL, NULL, seq + 1, 6000, NULL),
                     FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_host_checkin_next(tx, "nope", NULL, NULL, NULL, 1, 6000, NULL),
                     FP_ENOTFOUND);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        tx = begin(s, false);
        struct fp_host_rec h;
        CHECK_INT_EQ(fp_store_host_get(tx, "h1", &h, NULL), FP_OK);
        CHECK_INT_EQ(h.last_seq, seq + 5);
        CHECK_INT_EQ(h.last_seen, 5000);
        CHECK_STR_EQ(h.hostname, "h1");
        fp_tx_rollback(tx);
        if (test_store_pg()) {
                /* a writer holds the writers' lock: the row update goes ahead of it (were it
                 * serialised, this would wait for ever and the test time out) */
                struct fp_tx *w = begin(s, true);
                CHECK_INT_EQ(fp_store_begin_rows(s, &tx, NULL), FP_OK);
                CHECK_INT_EQ(fp_store_host_checkin_next(tx, "h1", NULL, NULL, NULL, seq + 6, 7000,
                                                        NULL),
                             FP_OK);
                CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
                CHECK_INT_EQ(last_seq_of(s, "h1"), seq + 6); /* committed on its own */
                fp_tx_rollback(w);
        }
        fp_store_close(s);
}

/* The ids fp_store_job_pending gives host "kh" in a write (a delivery) or read transaction. */
static const char *pending_ids(struct fp_store *s, bool write)
{
        static char got[256];
        got[0] = 0;
        struct fp_tx *tx = begin(s, write);
        CHECK_INT_EQ(fp_store_job_pending(tx, "kh", job_ids_cb, got, NULL), FP_OK);
        fp_tx_rollback(tx);
        return got;
}

/* PostgreSQL: an agent's delivery claims its jobs FOR UPDATE SKIP LOCKED. A job row another
 * session holds (here a plain libpq session, as another replica's delivery would) is skipped
 * by a delivery, not waited for; a read still lists it; released, it is delivered. */
static void job_claim_skips_locked(void)
{
        struct fp_store *s = open_store();
        struct fp_tx *tx = begin(s, true);
        host(tx, "kh", "acme", "", "{}");
        const char *ids[] = {"k1", "k2"};
        for (int i = 0; i < 2; i++) {
                struct fp_job_rec j = {.id = ids[i], .host = "kh", .account = "acme",
                                       .type = "rescan", .params_json = "{}", .created = 10 + i};
                CHECK_INT_EQ(fp_store_job_create(tx, &j, NULL), FP_OK);
        }
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        PGconn *other = PQconnectdb(url);
        CHECK_MSG(PQstatus(other) == CONNECTION_OK, "%s", PQerrorMessage(other));
        PGresult *r = PQexec(other, "BEGIN; SELECT id FROM jobs WHERE id = 'k1' FOR UPDATE");
        CHECK_MSG(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(other));
        PQclear(r);
        CHECK_STR_EQ(pending_ids(s, true), "k2");     /* a delivery skips the held row */
        CHECK_STR_EQ(pending_ids(s, false), "k1 k2"); /* a read lists it */
        PQclear(PQexec(other, "COMMIT"));
        PQfinish(other);
        CHECK_STR_EQ(pending_ids(s, true), "k1 k2");
        fp_store_close(s);
}

/* Signals between the processes of one database. The limit holds on both engines; on
 * PostgreSQL a second store (another replica's connection) hears what the first sends, and the
 * sender does not hear itself. */
struct heard {
        pthread_mutex_t mu;
        int n;
        size_t longest;
        char last[FP_STORE_SIGNAL_MAX + 1];
};

static void on_signal(void *ctx, const char *msg)
{
        struct heard *h = ctx;
        pthread_mutex_lock(&h->mu);
        h->n++;
        if (strlen(msg) > h->longest)
                h->longest = strlen(msg);
        snprintf(h->last, sizeof(h->last), "%s", msg);
        pthread_mutex_unlock(&h->mu);
}

static int heard_count(struct heard *h, char *last, size_t n)
{
        pthread_mutex_lock(&h->mu);
        int c = h->n;
        snprintf(last, n, "%s", h->last);
        pthread_mutex_unlock(&h->mu);
        return c;
}

static void signals(void)
{
        struct fp_store *a = open_store(), *b = open_store();
        static struct heard ha = {PTHREAD_MUTEX_INITIALIZER, 0, 0, ""};
        static struct heard hb = {PTHREAD_MUTEX_INITIALIZER, 0, 0, ""};
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_store_listen(a, on_signal, &ha, &d), FP_OK);
        CHECK_INT_EQ(fp_store_listen(b, on_signal, &hb, &d), FP_OK);
        static char big[FP_STORE_SIGNAL_MAX + 2];
        memset(big, 'x', FP_STORE_SIGNAL_MAX + 1);
        CHECK_INT_EQ(fp_store_signal(a, big, &d), FP_ELIMIT);
        CHECK_MSG(strstr(d.msg, "at most 1000"), "msg: %s", d.msg);
        big[FP_STORE_SIGNAL_MAX] = 0; /* exactly the limit: sent */
        char last[FP_STORE_SIGNAL_MAX + 1] = "";
        /* b's listening session connects on its own thread, and a signal sent before it
         * listens is lost (a hint, by design): send until b has heard the pair, a deadlock
         * guard and not a time bound. SQLite has no other process: nothing to hear. */
        int tries = 0;
        do {
                CHECK_INT_EQ(fp_store_signal(a, big, &d), FP_OK);
                CHECK_INT_EQ(fp_store_signal(a, "host h1", &d), FP_OK);
                usleep(50 * 1000);
        } while (test_store_pg() && ++tries < 600 &&
                 !(heard_count(&hb, last, sizeof(last)) >= 2 && !strcmp(last, "host h1")));
        int got = heard_count(&hb, last, sizeof(last));
        pthread_mutex_lock(&hb.mu);
        size_t longest = hb.longest;
        pthread_mutex_unlock(&hb.mu);
        if (test_store_pg()) {
                CHECK_MSG(got >= 2, "b heard %d signals", got);
                CHECK_STR_EQ(last, "host h1");
                CHECK_INT_EQ((long long)longest, FP_STORE_SIGNAL_MAX); /* whole, not cut */
        } else {
                CHECK_INT_EQ(got, 0);
        }
        CHECK_INT_EQ(heard_count(&ha, last, sizeof(last)), 0); /* never its own */
        CHECK_INT_EQ(fp_store_listen(a, NULL, NULL, NULL), FP_OK);
        fp_store_close(b);
        fp_store_close(a);
}

static void newer_schema_refused(void)
{
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "sqlite3 '%s/store.db' 'PRAGMA user_version = 999'", dir);
        if (system(cmd) != 0) {
                fprintf(stderr, "sqlite3 not available; skipping the schema check\n");
                return;
        }
        struct fp_store *s = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_store_open(url, &s, &d), FP_EUNSUPPORTED);
        CHECK_MSG(strstr(d.msg, "newer"), "msg: %s", d.msg);
        /* A PostgreSQL URL is an engine now: an unreachable one fails with the reason, and
         * the message names the server without any password of the URL. */
        fp_diag_clear(&d);
        CHECK(fp_store_open("postgresql://u:hunter2@127.0.0.1:1/y?connect_timeout=2", &s, &d) != FP_OK);
        CHECK(s == NULL);
        CHECK_MSG(d.msg[0] != '\0', "empty message");
        CHECK_MSG(strstr(d.msg, "hunter2") == NULL, "password in message: %s", d.msg);
        CHECK_INT_EQ(fp_store_open("sqlite:", &s, &d), FP_EINVAL);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "%s/fpstore.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir))
                return 1;
        CHECK(test_store_url(url, sizeof(url), dir, "store"));
        basics();
        jobs();
        catchup_and_installed();
        catchup_rule();
        if (!test_store_pg()) { /* both write SQLite files with the sqlite3 tool */
                migration_renumbers_jobs();
        }
        concurrency();
        signals();
        settings();
        checkin_rows();
        if (test_store_pg())
                job_claim_skips_locked();
        if (!test_store_pg())
                newer_schema_refused();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return fp_test_finish();
}
