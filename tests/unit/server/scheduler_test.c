/* The scheduler of fleetpatchd against a real SQLite store with a fake clock: change request
 * rows → rollout → ticks queue install jobs only inside the rules, outcomes come from the jobs
 * table, failures halt and roll back, a "restart" (everything reloaded from the store at every
 * tick) never starts a host twice, the lease keeps a second scheduler out, a queued job is
 * withdrawn at the window's cutoff, and a catch-up host is brought to its baseline. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fleetpatch/store.h"
#include "server/audit.h"
#include "server/orch.h"
#include "server/server.h"
#include "test.h"
#include "test_store.h"

static char dir[256], url[512];
static struct fp_server srv;
static const int64_t T0 = 1795000000; /* 2026-11-18 */

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
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
}

/* A Debian host with hello 1.0 installed and 1.1 pending. */
static void add_host(struct fp_tx *tx, const char *id, const char *tags, int64_t seen)
{
        struct fp_host_rec h = {.id = id,
                                .account = "prod",
                                .hostname = id,
                                .region = "eu",
                                .agent_tags_json = tags,
                                .created = 1,
                                .last_seen = seen};
        CHECK_INT_EQ(fp_store_host_create(tx, &h, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_checkin(tx, id, id, "eu", "{\"timezone\":\"Asia/Kathmandu\"}",
                                           1, seen, NULL),
                     FP_OK);
        static const char inv[] =
            "{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\","
            "\"packages\":[{\"name\":\"hello\",\"arch\":\"amd64\",\"version\":\"1.0\","
            "\"source\":\"hello\",\"source_version\":\"1.0\"}],"
            "\"updates\":[{\"name\":\"hello\",\"arch\":\"amd64\",\"installed\":\"1.0\","
            "\"candidate\":\"1.1\",\"origin\":\"Debian\",\"security\":false}]}";
        struct fp_host_counts c = {.compliance = FP_COMPL_COMPLIANT};
        CHECK_INT_EQ(fp_store_host_set_inventory(tx, id, "debian", "bookworm", "h", inv, &c, seen,
                                                 NULL),
                     FP_OK);
}

static void add_cr(struct fp_tx *tx, const char *id, const char *rollout, const char *window,
                   const char *const *hosts, size_t n)
{
        char doc[2048];
        snprintf(doc, sizeof(doc), "{\"rollout\":%s,\"risk\":\"low\"}", rollout);
        struct fp_cr_rec c = {.id = id,
                              .account = "prod",
                              .title = "t",
                              .author = "alice",
                              .state = "approved",
                              .baseline = "base",
                              .window = window,
                              .document = doc,
                              .reviewed_by = "",
                              .created = T0,
                              .updated = T0};
        CHECK_INT_EQ(fp_store_cr_create(tx, &c, NULL), FP_OK);
        for (size_t i = 0; i < n; i++) {
                struct fp_cr_update u = {
                    .cr = id, .host = hosts[i], .name = "hello", .arch = "amd64", .version = "1.1"};
                CHECK_INT_EQ(fp_store_cr_update_add(tx, &u, NULL), FP_OK);
        }
        struct fp_diag d;
        fp_diag_clear(&d);
        enum fp_err err = fp_orch_rollout_create(tx, &c, T0, &d);
        CHECK_MSG(err == FP_OK, "rollout create: %s", d.msg);
}

static void tick(int64_t now, const char *holder)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        enum fp_err err = fp_scheduler_tick(&srv, holder, now, &d);
        CHECK_MSG(err == FP_OK, "tick: %s", d.msg);
}

struct jobs_ctx {
        int install, rollback, hook, pending;
        char last[17], last_type[32];
};
static bool jobs_cb(void *ctx, const struct fp_job_rec *j)
{
        struct jobs_ctx *c = ctx;
        c->install += !strcmp(j->type, "install");
        c->rollback += !strcmp(j->type, "rollback");
        c->hook += !strcmp(j->type, "hook");
        c->pending += j->status < FP_JOB_SUCCEEDED;
        if (!c->last[0]) { /* newest first */
                snprintf(c->last, sizeof(c->last), "%s", j->id);
                snprintf(c->last_type, sizeof(c->last_type), "%s", j->type);
        }
        return true;
}

static struct jobs_ctx jobs_of(const char *host)
{
        struct jobs_ctx c = {0};
        struct fp_tx *tx = begin(false);
        CHECK_INT_EQ(fp_store_job_list_host(tx, host, NULL, 0, jobs_cb, &c, NULL), FP_OK);
        fp_tx_rollback(tx);
        return c;
}

/* The agent's answer to the host's newest job. */
static void finish(const char *host, bool ok, int64_t now)
{
        struct jobs_ctx c = jobs_of(host);
        CHECK_MSG(c.last[0], "%s has no job", host);
        struct fp_tx *tx = begin(true);
        CHECK_INT_EQ(fp_store_job_mark_delivered(tx, c.last, now, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_job_finish(tx, c.last, ok ? FP_JOB_SUCCEEDED : FP_JOB_FAILED,
                                         ok ? "" : "health-check failed",
                                         ok ? "{\"verdict\":\"verified\"}" : NULL, now, NULL),
                     FP_OK);
        commit(tx);
}

static void seen(const char *host, int64_t now)
{
        struct fp_tx *tx = begin(true);
        CHECK_INT_EQ(fp_store_host_checkin(tx, host, host, "eu", "{\"timezone\":\"Asia/Kathmandu\"}",
                                           2, now, NULL),
                     FP_OK);
        commit(tx);
}

static const char *state_of(const char *cr, const char *host)
{
        static char out[32];
        out[0] = 0;
        struct fp_tx *tx = begin(false);
        struct fp_orch_rollout o;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_orch_rollout_load(tx, cr, T0, &o, &d), FP_OK);
        for (size_t i = 0; i < o.ro.host_count; i++)
                if (!strcmp(o.ro.hosts[i].id, host))
                        snprintf(out, sizeof(out), "%s", fp_ro_hstate_name(o.ro.hosts[i].state));
        fp_orch_rollout_free(&o);
        fp_tx_rollback(tx);
        return out;
}

static const char *status_of(const char *cr)
{
        static char out[32];
        struct fp_tx *tx = begin(false);
        struct fp_rollout_rec r;
        CHECK_INT_EQ(fp_store_rollout_get(tx, cr, &r, NULL), FP_OK);
        snprintf(out, sizeof(out), "%s", r.status);
        fp_tx_rollback(tx);
        return out;
}

static const char *cr_state(const char *cr)
{
        static char out[32];
        struct fp_tx *tx = begin(false);
        struct fp_cr_rec c;
        CHECK_INT_EQ(fp_store_cr_get(tx, cr, &c, NULL), FP_OK);
        snprintf(out, sizeof(out), "%s", c.state);
        fp_tx_rollback(tx);
        return out;
}

/* Two rings, one host per wave, budget 0: a failure halts, is rolled back, resume goes on. */
static void waves_halt_resume(void)
{
        static const char *const hosts[] = {"a000000000000001", "a000000000000002",
                                            "a000000000000003"};
        struct fp_tx *tx = begin(true);
        add_host(tx, hosts[0], "{\"ring\":\"canary\"}", T0);
        add_host(tx, hosts[1], "{}", T0);
        add_host(tx, hosts[2], "{}", T0);
        add_cr(tx, "c000000000000001",
               "{\"rings\":[{\"name\":\"canary\",\"tags\":{\"ring\":\"canary\"}},"
               "{\"name\":\"production\",\"tags\":{}}],\"waves\":[\"1\"],\"bake\":60,"
               "\"error_budget\":\"0\",\"on_failure\":\"rollback-host\",\"host_time\":60}",
               "", hosts, 3);
        commit(tx);
        const char *cr = "c000000000000001";
        int64_t now = T0;
        tick(now, "A");
        CHECK_STR_EQ(state_of(cr, hosts[0]), "running");
        CHECK_INT_EQ(jobs_of(hosts[0]).install, 1);
        CHECK_INT_EQ(jobs_of(hosts[1]).install, 0);
        CHECK_STR_EQ(cr_state(cr), "running");
        /* the same tick again (a restart): nothing new */
        tick(now, "A");
        CHECK_INT_EQ(jobs_of(hosts[0]).install, 1);
        finish(hosts[0], true, now + 10);
        now += 20;
        tick(now, "A");
        CHECK_STR_EQ(state_of(cr, hosts[0]), "succeeded");
        CHECK_INT_EQ(jobs_of(hosts[1]).install, 0); /* baking */
        now += 61;
        tick(now, "A");
        /* production: which host comes first is the stable hash order; find it */
        const char *first = jobs_of(hosts[1]).install ? hosts[1] : hosts[2];
        const char *second = first == hosts[1] ? hosts[2] : hosts[1];
        CHECK_INT_EQ(jobs_of(first).install, 1);
        CHECK_INT_EQ(jobs_of(second).install, 0);
        finish(first, false, now + 5);
        now += 10;
        tick(now, "A");
        CHECK_STR_EQ(status_of(cr), "halted");
        CHECK_STR_EQ(state_of(cr, first), "rolling_back");
        struct jobs_ctx fj = jobs_of(first);
        CHECK_INT_EQ(fj.rollback, 1);
        finish(first, true, now + 5); /* the rollback succeeds */
        now += 100;
        tick(now, "A");
        CHECK_STR_EQ(state_of(cr, first), "rolled_back");
        CHECK_INT_EQ(jobs_of(second).install, 0); /* halted: nothing starts */
        /* resume through the store, as the API does */
        tx = begin(true);
        struct fp_orch_rollout o;
        CHECK_INT_EQ(fp_orch_rollout_load(tx, cr, now, &o, NULL), FP_OK);
        fp_ro_resume(&o.ro, now);
        CHECK_INT_EQ(fp_orch_rollout_save(tx, &o, now, NULL), FP_OK);
        fp_orch_rollout_free(&o);
        commit(tx);
        now += 1;
        tick(now, "A"); /* the halted wave completes now: the next one bakes first */
        now += 61;
        tick(now, "A");
        CHECK_INT_EQ(jobs_of(second).install, 1);
        finish(second, true, now + 5);
        now += 10;
        tick(now, "A");
        CHECK_STR_EQ(status_of(cr), "rolled_back");
        CHECK_STR_EQ(cr_state(cr), "rolled_back");
        for (int i = 0; i < 3; i++)
                CHECK_INT_EQ(jobs_of(hosts[i]).install, 1); /* exactly one each */
}

/* The audit log of the rollout above (docs/audit.md): every job the scheduler queued and every
 * status change, as system:scheduler, in the ticks' transactions; the log verifies. */
struct sched_audit {
        int installs, rollbacks, halted, rolled_back;
};
static bool sched_audit_cb(void *ctx, const struct fp_audit_rec *r)
{
        struct sched_audit *c = ctx;
        json_t *e = json_loadb(r->entry, r->entry_len, 0, NULL);
        const char *type = json_string_value(json_object_get(json_object_get(e, "after"), "type"));
        const char *st = json_string_value(json_object_get(json_object_get(e, "after"), "status"));
        if (!strcmp(r->action, "job.create") && type) {
                c->installs += !strcmp(type, "install");
                c->rollbacks += !strcmp(type, "rollback");
        }
        if (!strcmp(r->action, "rollout.status") && st && !strcmp(r->target, "c000000000000001")) {
                c->halted += !strcmp(st, "halted");
                c->rolled_back += !strcmp(st, "rolled_back");
        }
        CHECK_STR_EQ(r->account, "prod");
        json_decref(e);
        return true;
}

static void scheduler_audit(void)
{
        struct fp_tx *tx = begin(false);
        struct sched_audit c = {0};
        struct fp_audit_filter f = {.actor = "system:scheduler", .ascending = true};
        CHECK_INT_EQ(fp_store_audit_list(tx, &f, sched_audit_cb, &c, NULL), FP_OK);
        fp_tx_rollback(tx);
        CHECK_INT_EQ(c.installs, 3);
        CHECK_INT_EQ(c.rollbacks, 1);
        CHECK_INT_EQ(c.halted, 1);
        CHECK_INT_EQ(c.rolled_back, 1);
        json_t *rep = NULL;
        CHECK_INT_EQ(fp_audit_verify(&srv, true, &rep, NULL), FP_OK);
        char *text = json_dumps(rep, JSON_COMPACT);
        CHECK_MSG(json_is_true(json_object_get(rep, "ok")), "verify: %s", text ? text : "");
        free(text);
        json_decref(rep);
}

/* Another holder of the lease does nothing; an expired lease is taken over. */
static void lease(void)
{
        static const char *const hosts[] = {"b000000000000001"};
        struct fp_tx *tx = begin(true);
        add_host(tx, hosts[0], "{}", T0 + 5000);
        add_cr(tx, "c000000000000002", "{\"host_time\":60}", "", hosts, 1);
        commit(tx);
        int64_t now = T0 + 5000;
        tick(now, "A");
        CHECK_INT_EQ(jobs_of(hosts[0]).install, 1);
        finish(hosts[0], true, now + 1);
        tick(now + 2, "B"); /* A's lease (>= 30 s) has not expired */
        CHECK_STR_EQ(state_of("c000000000000002", hosts[0]), "running");
        tick(now + 200, "B"); /* expired: B leads */
        CHECK_STR_EQ(state_of("c000000000000002", hosts[0]), "succeeded");
        CHECK_STR_EQ(cr_state("c000000000000002"), "done");
}

/* A host-local window: the job is queued inside the window; still queued at the cutoff, it
 * is withdrawn and the host waits for the next occurrence, then starts again. Offline hosts
 * are deferred and picked up when they return. */
static void window_withdraw_and_offline(void)
{
        static const char *const hosts[] = {"d000000000000001", "d000000000000002"};
        int64_t now = T0 + 100000;
        struct fp_tx *tx = begin(true);
        add_host(tx, hosts[0], "{}", now);
        add_host(tx, hosts[1], "{}", now - 100000); /* offline */
        /* daily at 02:00 local (Asia/Kathmandu, +05:45), 2 h, no start in the last hour */
        struct fp_doc_rec w = {.kind = FP_DOC_WINDOW,
                               .account = "prod",
                               .name = "nightly",
                               .document = "{\"mode\":\"local\",\"rrule\":\"FREQ=DAILY\","
                                           "\"start\":\"2026-11-01T02:00:00\",\"tz\":\"UTC\","
                                           "\"duration\":7200,\"cutoff\":3600}",
                               .created = 1,
                               .updated = 1};
        CHECK_INT_EQ(fp_store_doc_put(tx, &w, true, NULL), FP_OK);
        add_cr(tx, "c000000000000003", "{\"host_time\":600}", "nightly", hosts, 2);
        commit(tx);
        /* the next 02:00 Kathmandu after now, in UTC */
        struct fp_tz *ktm = NULL;
        CHECK_INT_EQ(fp_tz_load("Asia/Kathmandu", &ktm, NULL), FP_OK);
        int64_t local = fp_tz_to_local(ktm, now);
        int64_t day = local - (local % 86400 + 86400) % 86400;
        int64_t open = fp_tz_to_utc(ktm, day + 86400 + 2 * 3600, NULL);
        fp_tz_free(ktm);
        seen(hosts[0], open - 60);
        tick(open - 60, "A");
        CHECK_INT_EQ(jobs_of(hosts[0]).install, 0); /* not open yet */
        CHECK_STR_EQ(state_of("c000000000000003", hosts[0]), "pending");
        seen(hosts[0], open + 10);
        tick(open + 10, "A");
        CHECK_INT_EQ(jobs_of(hosts[0]).install, 1);
        CHECK_STR_EQ(state_of("c000000000000003", hosts[1]), "deferred");
        /* never picked up: withdrawn at the cutoff (open + 3600) */
        seen(hosts[0], open + 3601);
        tick(open + 3601, "A");
        CHECK_STR_EQ(state_of("c000000000000003", hosts[0]), "pending");
        CHECK_INT_EQ(jobs_of(hosts[0]).pending, 0);
        /* the next night it starts again (a second attempt, the first never ran) */
        seen(hosts[0], open + 86400 + 5);
        seen(hosts[1], open + 86400 + 5); /* back online */
        tick(open + 86400 + 5, "A");
        CHECK_INT_EQ(jobs_of(hosts[0]).install, 2);
        CHECK_INT_EQ(jobs_of(hosts[1]).install, 1); /* next-window catch-up, inside it */
        finish(hosts[0], true, open + 86400 + 100);
        finish(hosts[1], true, open + 86400 + 100);
        tick(open + 86400 + 200, "A");
        CHECK_STR_EQ(status_of("c000000000000003"), "done");
}

/* A host marked for catch-up whose baseline says "immediate" with a hand-back hook: its
 * approved updates are installed at the next tick, then the hook runs, once per episode. */
static void catchup_run(void)
{
        const char *h = "e000000000000001";
        int64_t now = T0 + 900000;
        struct fp_tx *tx = begin(true);
        add_host(tx, h, "{\"env\":\"prod\"}", now);
        struct fp_doc_rec b = {
            .kind = FP_DOC_BASELINE,
            .account = "prod",
            .name = "base",
            .document = "{\"name\":\"base\",\"account\":\"prod\",\"family\":\"deb\","
                        "\"selector\":{\"env\":\"prod\"},\"rules\":[{\"classification\":"
                        "[\"security\",\"bugfix\",\"other\"],\"after_days\":0}],"
                        "\"catchup\":{\"policy\":\"immediate\",\"handback_hook\":\"rejoin\"}}",
            .created = 1,
            .updated = 1};
        CHECK_INT_EQ(fp_store_doc_put(tx, &b, true, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_host_set_catchup(tx, h, "[\"offline\"]", now - 10, NULL), FP_OK);
        commit(tx);
        tick(now, "A");
        struct jobs_ctx j = jobs_of(h);
        CHECK_INT_EQ(j.install, 1);
        CHECK_INT_EQ(j.hook, 0);
        tick(now + 1, "A"); /* still patching: nothing new */
        CHECK_INT_EQ(jobs_of(h).install, 1);
        finish(h, true, now + 2);
        tick(now + 3, "A");
        j = jobs_of(h);
        CHECK_INT_EQ(j.hook, 1);
        CHECK_STR_EQ(j.last_type, "hook");
        finish(h, true, now + 4);
        tick(now + 5, "A");
        tx = begin(false);
        struct fp_catchup_rec run;
        CHECK_INT_EQ(fp_store_catchup_get(tx, h, &run, NULL), FP_OK);
        CHECK_STR_EQ(run.state, "done");
        fp_tx_rollback(tx);
        tick(now + 6, "A"); /* same episode: never again */
        CHECK_INT_EQ(jobs_of(h).install, 1);
        /* the host is not compliant while it is marked */
        tx = begin(false);
        struct fp_host_rec hr;
        CHECK_INT_EQ(fp_store_host_get(tx, h, &hr, NULL), FP_OK);
        CHECK_INT_EQ(hr.counts.compliance, FP_COMPL_NONCOMPLIANT);
        fp_tx_rollback(tx);
}

/* A tiny HTTP server on loopback for the health URL: 503 for paths naming the sick host,
 * 200 otherwise; it counts the requests. */
struct health_srv {
        int fd, port, requests;
        const char *sick;
        pthread_t th;
};

static void *health_main(void *arg)
{
        struct health_srv *h = arg;
        for (;;) {
                int c = accept(h->fd, NULL, NULL);
                if (c < 0)
                        return NULL;
                char buf[2048];
                ssize_t n = recv(c, buf, sizeof(buf) - 1, 0);
                buf[n > 0 ? n : 0] = 0;
                h->requests++;
                const char *ans = strstr(buf, h->sick)
                                      ? "HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n"
                                        "Connection: close\r\n\r\n"
                                      : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                                        "Connection: close\r\n\r\n";
                if (send(c, ans, strlen(ans), 0) < 0)
                        perror("send");
                close(c);
        }
}

/* health_url: the job succeeded on both hosts, the server-side check fails one. */
static void health_url(void)
{
        static const char *const hosts[] = {"f000000000000001", "f000000000000002"};
        struct health_srv hs = {.sick = hosts[1]};
        hs.fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof(a);
        CHECK(bind(hs.fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(hs.fd, 8) == 0 &&
              getsockname(hs.fd, (struct sockaddr *)&a, &al) == 0);
        hs.port = ntohs(a.sin_port);
        CHECK(pthread_create(&hs.th, NULL, health_main, &hs) == 0);
        int64_t now = T0 + 2000000;
        struct fp_tx *tx = begin(true);
        add_host(tx, hosts[0], "{}", now);
        add_host(tx, hosts[1], "{}", now);
        char spec[512];
        snprintf(spec, sizeof(spec),
                 "{\"host_time\":60,\"error_budget\":\"1\",\"health_url\":"
                 "\"http://127.0.0.1:%d/{hostname}/health\"}",
                 hs.port);
        add_cr(tx, "c000000000000005", spec, "", hosts, 2);
        commit(tx);
        tick(now, "A");
        CHECK_INT_EQ(jobs_of(hosts[0]).install, 1);
        CHECK_INT_EQ(jobs_of(hosts[1]).install, 1);
        finish(hosts[0], true, now + 1);
        finish(hosts[1], true, now + 1);
        tick(now + 2, "A");
        CHECK_STR_EQ(state_of("c000000000000005", hosts[0]), "succeeded");
        CHECK_STR_EQ(state_of("c000000000000005", hosts[1]), "failed");
        CHECK_INT_EQ(hs.requests, 2);
        CHECK_STR_EQ(status_of("c000000000000005"), "failed");
        shutdown(hs.fd, SHUT_RDWR);
        close(hs.fd);
        pthread_join(hs.th, NULL);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "/tmp/fp-sched-XXXXXX");
        if (!mkdtemp(dir))
                return 1;
        CHECK(test_store_url(url, sizeof(url), dir, "s"));
        char *argv[] = {"scheduler_test", NULL};
        char err[256];
        CHECK(fp_srv_config_load(&srv.cfg, 1, argv, err, sizeof(err)));
        srv.cfg.checkin_interval = 300; /* online = seen within 900 s */
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_store_open(url, &srv.store, &d), FP_OK);
        char vdb[300];
        snprintf(vdb, sizeof(vdb), "%s/none.db", dir);
        CHECK_INT_EQ(fp_findings_engine_open(vdb, &srv.findings), FP_OK);
        srv.longpoll = fp_longpoll_new();
        snprintf(srv.cfg.state_dir, sizeof(srv.cfg.state_dir), "%s", dir); /* audit.head */
        static struct fp_signkey key; /* the scheduler's audit entries are signed */
        CHECK(fp_signkey_load(dir, &key, err, sizeof(err)));
        srv.signkey = &key;
        struct fp_tx *tx = begin(true);
        struct fp_account_rec a = {.name = "prod", .display = "Prod", .created = 1};
        CHECK_INT_EQ(fp_store_account_create(tx, &a, NULL), FP_OK);
        commit(tx);
        waves_halt_resume();
        scheduler_audit();
        lease();
        window_withdraw_and_offline();
        catchup_run();
        health_url();
        fp_scheduler_forget(&srv);
        fp_longpoll_free(srv.longpoll);
        fp_findings_engine_close(srv.findings);
        fp_store_close(srv.store);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                return 1;
        return fp_test_finish();
}
