/*
 * fleetpatchd's scheduler tick on its real store (SQLite): N hosts (default 100,000) in one
 * rollout, max_concurrent 1000. Measures the tick that starts 1000 hosts (1000 jobs queued),
 * a steady tick (jobs running, nothing to decide), and, as the same-run reference, one plain
 * read of the rollout's N host rows through the store. The goal of the orchestration issue is
 * a tick with 100,000 hosts in <= 100 ms; the core alone is bench/rollout_bench.c.
 * Usage: scheduler_bench [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleetpatch/store.h"
#include "server/orch.h"
#include "server/server.h"

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct fp_diag *d)
{
        fprintf(stderr, "scheduler_bench: %s: %s\n", what, d ? d->msg : "");
        exit(1);
}

static bool count_cb(void *ctx, const struct fp_rollout_host_rec *h)
{
        (void)h;
        (*(size_t *)ctx)++;
        return true;
}

int main(int argc, char **argv)
{
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
        if (n < 1 || n > 1000000)
                n = 100000;
        char dir[] = "/tmp/fp-schedbench-XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        char url[128], vdb[128];
        snprintf(url, sizeof(url), "sqlite:%s/s.db", dir);
        snprintf(vdb, sizeof(vdb), "%s/none.db", dir);
        struct fp_server srv;
        memset(&srv, 0, sizeof(srv));
        char *args[] = {"scheduler_bench", NULL};
        char err[256];
        struct fp_diag d;
        fp_diag_clear(&d);
        if (!fp_srv_config_load(&srv.cfg, 1, args, err, sizeof(err)) ||
            fp_store_open(url, &srv.store, &d) != FP_OK ||
            fp_findings_engine_open(vdb, &srv.findings) != FP_OK ||
            !(srv.longpoll = fp_longpoll_new()))
                die("setup", &d);
        const int64_t t0 = (int64_t)time(NULL);
        static const char inv[] =
            "{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\",\"packages\":[],"
            "\"updates\":[]}";
        double fill = now_ms();
        struct fp_tx *tx;
        if (fp_store_begin(srv.store, true, &tx, &d) != FP_OK)
                die("begin", &d);
        struct fp_account_rec a = {.name = "prod", .display = "Prod", .created = 1};
        struct fp_cr_rec c = {.id = "c000000000000001",
                              .account = "prod",
                              .title = "bench",
                              .author = "alice",
                              .state = "approved",
                              .baseline = "base",
                              .window = "",
                              .document = "{\"rollout\":{\"max_concurrent\":1000,\"host_time\":60}}",
                              .reviewed_by = "",
                              .created = t0,
                              .updated = t0};
        if (fp_store_account_create(tx, &a, &d) != FP_OK || fp_store_cr_create(tx, &c, &d) != FP_OK)
                die("account", &d);
        struct fp_host_counts counts = {0};
        for (long i = 0; i < n; i++) {
                char id[17];
                snprintf(id, sizeof(id), "%016lx", 0x1000000000000000UL + (unsigned long)i);
                struct fp_host_rec h = {.id = id,
                                        .account = "prod",
                                        .hostname = id,
                                        .region = i % 2 ? "eu" : "us",
                                        .agent_tags_json = "{}",
                                        .created = 1,
                                        .last_seen = t0};
                struct fp_cr_update u = {
                    .cr = c.id, .host = id, .name = "hello", .arch = "amd64", .version = "1.1"};
                if (fp_store_host_create(tx, &h, &d) != FP_OK ||
                    fp_store_host_checkin(tx, id, id, h.region, "{}", 1, t0, &d) != FP_OK ||
                    fp_store_host_set_inventory(tx, id, "debian", "bookworm", "h", inv, &counts, t0,
                                                &d) != FP_OK ||
                    fp_store_cr_update_add(tx, &u, &d) != FP_OK)
                        die("host", &d);
        }
        if (fp_orch_rollout_create(tx, &c, t0, &d) != FP_OK || fp_tx_commit(tx, &d) != FP_OK)
                die("rollout", &d);
        fill = now_ms() - fill;

        double start = now_ms();
        if (fp_scheduler_tick(&srv, "bench", t0, &d) != FP_OK)
                die("tick", &d);
        start = now_ms() - start;
        double steady = 1e18;
        for (int k = 0; k < 3; k++) {
                double s = now_ms();
                if (fp_scheduler_tick(&srv, "bench", t0 + 1 + k, &d) != FP_OK)
                        die("tick", &d);
                s = now_ms() - s;
                if (s < steady)
                        steady = s;
        }
        double ref = 1e18;
        for (int k = 0; k < 3; k++) {
                double s = now_ms();
                size_t rows = 0;
                if (fp_store_begin(srv.store, false, &tx, &d) != FP_OK ||
                    fp_store_rollout_host_list(tx, c.id, count_cb, &rows, &d) != FP_OK)
                        die("read", &d);
                fp_tx_rollback(tx);
                s = now_ms() - s;
                if (s < ref)
                        ref = s;
        }
        printf("scheduler tick on SQLite, %ld hosts in one rollout (store filled in %.0f ms)\n", n,
               fill);
        printf("  tick starting 1000 hosts: %8.1f ms\n", start);
        printf("  steady tick:              %8.1f ms  (goal 100 ms: %.2fx the goal)\n", steady,
               steady / 100.0);
        printf("  reference, one read of the %ld rollout rows: %.1f ms (tick = %.1fx the read)\n",
               n, ref, steady / ref);
        fp_scheduler_forget(&srv);
        fp_longpoll_free(srv.longpoll);
        fp_findings_engine_close(srv.findings);
        fp_store_close(srv.store);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? 0 : 1;
}
