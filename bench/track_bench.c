/*
 * The exposures sync a check-in adds (docs/tracking.md), on the SQLite store: one host with N
 * exposed findings (default 500) — the first inventory (opens N exposures and their records),
 * the same findings again (a merge that writes nothing), one finding fixed, and every finding
 * fixed — against the reference every accepted inventory already pays in the same run: the
 * store's host_set_inventory of an inventory with N packages. Prints milliseconds and ratios.
 * Then a fleet of H hosts (default 1000) sharing 20 records (fleet()).
 * usage: track_bench [N] [ROUNDS] [H]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleetpatch/store.h"
#include "server/server.h"
#include "server/track.h"

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
        fprintf(stderr, "track_bench: %s\n", what);
        exit(1);
}

static char names[100000][32];

static void fill(struct fp_expo_set *s, int n, int skip_first)
{
        fp_expo_set_init(s);
        s->assessed = true;
        s->scheme = "deb";
        for (int i = skip_first; i < n; i++) {
                struct fp_expo_item it = {.vuln = names[i], .package = "pkg", .arch = "amd64",
                                          .installed = "1.0", .fixed = "1.1",
                                          .advisories = "DSA-1 (dsa)", .severity = "high",
                                          .sla_due = 99999};
                if (!fp_expo_set_add(s, &it))
                        die("out of memory");
        }
}

static double sync_host(struct fp_server *srv, const char *host, int n, int skip, int64_t at)
{
        struct fp_tx *tx = NULL;
        if (fp_store_begin(srv->store, true, &tx, NULL) != FP_OK)
                die("begin");
        struct fp_host_rec h;
        if (fp_store_host_get(tx, host, &h, NULL) != FP_OK)
                die("host");
        struct fp_expo_set s;
        fill(&s, n, skip);
        struct fp_diag d;
        fp_diag_clear(&d);
        double t0 = now_ms();
        if (fp_track_sync_host(srv, tx, &h, "ab", NULL, &s, at, &d) != FP_OK)
                die(d.msg);
        if (fp_tx_commit(tx, NULL) != FP_OK)
                die("commit");
        double t = now_ms() - t0;
        fp_expo_set_release(&s);
        return t;
}

static double sync_once(struct fp_server *srv, int n, int skip, int64_t at)
{
        return sync_host(srv, "bench-host", n, skip, at);
}

/* A fleet sharing its records: H hosts with the same F findings report one after the other,
 * then are fixed one after the other; the mean per host of the first and the last tenth shows
 * whether a check-in's cost grows with the hosts already in a record's scope. */
static void fleet(int hosts, int f)
{
        char dir[] = "/tmp/track_bench.XXXXXX", url[64];
        if (!mkdtemp(dir))
                die("mkdtemp");
        snprintf(url, sizeof(url), "sqlite:%s/s.db", dir);
        struct fp_server srv;
        memset(&srv, 0, sizeof(srv));
        if (fp_store_open(url, &srv.store, NULL) != FP_OK)
                die("open");
        struct fp_tx *tx = NULL;
        fp_store_begin(srv.store, true, &tx, NULL);
        fp_store_account_create(tx, &(struct fp_account_rec){.name = "acme"}, NULL);
        char id[32];
        for (int i = 0; i < hosts; i++) {
                snprintf(id, sizeof(id), "h%06d", i);
                struct fp_host_rec h = {.id = id, .account = "acme", .hostname = id,
                                        .region = "", .agent_tags_json = "{}", .created = 1,
                                        .last_seen = 1};
                if (fp_store_host_create(tx, &h, NULL) != FP_OK)
                        die("host");
        }
        if (fp_tx_commit(tx, NULL) != FP_OK)
                die("setup");
        int tenth = hosts / 10 ? hosts / 10 : 1;
        double open_first = 0, open_last = 0, fix_first = 0, fix_last = 0;
        for (int i = 0; i < hosts; i++) {
                snprintf(id, sizeof(id), "h%06d", i);
                double t = sync_host(&srv, id, f, 0, 100 + i);
                open_first += i < tenth ? t : 0;
                open_last += i >= hosts - tenth ? t : 0;
        }
        double closing = 0;
        for (int i = 0; i < hosts; i++) {
                snprintf(id, sizeof(id), "h%06d", i);
                double t = sync_host(&srv, id, 0, 0, 100000 + i);
                fix_first += i < tenth ? t : 0;
                fix_last += i >= hosts - 1 - tenth && i < hosts - 1 ? t : 0;
                closing = i == hosts - 1 ? t : closing;
        }
        printf("fleet: %d hosts sharing %d records, ms per host check-in (first / last tenth):\n",
               hosts, f);
        printf("  findings reported  %8.2f / %8.2f\n", open_first / tenth, open_last / tenth);
        printf("  findings fixed     %8.2f / %8.2f\n", fix_first / tenth, fix_last / tenth);
        printf("  the last host's fix, which closes the %d records (evidence: at most 200 exposures each)"
               " %8.2f ms\n",
               f, closing);
        fp_store_close(srv.store);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                die("cleanup");
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 500, rounds = argc > 2 ? atoi(argv[2]) : 5;
        if (n < 1 || n > 100000 || rounds < 1)
                die("usage: track_bench [N 1..100000] [ROUNDS]");
        for (int i = 0; i < n; i++)
                snprintf(names[i], sizeof(names[i]), "CVE-2024-%05d", i);
        double first = 0, same = 0, one = 0, all = 0, ref = 0;
        for (int r = 0; r < rounds; r++) {
                char dir[] = "/tmp/track_bench.XXXXXX", url[64];
                if (!mkdtemp(dir))
                        die("mkdtemp");
                snprintf(url, sizeof(url), "sqlite:%s/s.db", dir);
                struct fp_server srv;
                memset(&srv, 0, sizeof(srv));
                if (fp_store_open(url, &srv.store, NULL) != FP_OK)
                        die("open");
                struct fp_tx *tx = NULL;
                fp_store_begin(srv.store, true, &tx, NULL);
                fp_store_account_create(tx, &(struct fp_account_rec){.name = "acme"}, NULL);
                struct fp_host_rec h = {.id = "bench-host", .account = "acme",
                                        .hostname = "bench", .region = "",
                                        .agent_tags_json = "{}", .created = 1, .last_seen = 1};
                if (fp_store_host_create(tx, &h, NULL) != FP_OK || fp_tx_commit(tx, NULL) != FP_OK)
                        die("setup");
                /* the reference: storing an inventory of n packages */
                char *inv = malloc((size_t)n * 100 + 64);
                size_t len = (size_t)sprintf(inv, "{\"packages\":[");
                for (int i = 0; i < n; i++)
                        len += (size_t)sprintf(inv + len, "%s{\"name\":\"p%d\",\"version\":\"1.0\"}",
                                               i ? "," : "", i);
                sprintf(inv + len, "]}");
                struct fp_host_counts c;
                memset(&c, 0, sizeof(c));
                fp_store_begin(srv.store, true, &tx, NULL);
                double t0 = now_ms();
                if (fp_store_host_set_inventory(tx, "bench-host", "debian", "12", "ab", inv, &c,
                                                5, NULL) != FP_OK ||
                    fp_tx_commit(tx, NULL) != FP_OK)
                        die("host_set_inventory");
                ref += now_ms() - t0;
                free(inv);
                first += sync_once(&srv, n, 0, 10);
                same += sync_once(&srv, n, 0, 11);
                one += sync_once(&srv, n, 1, 12);
                all += sync_once(&srv, 0, 0, 13);
                fp_store_close(srv.store);
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
                if (system(cmd) != 0)
                        die("cleanup");
        }
        ref /= rounds;
        printf("exposures sync, %d findings on one host, mean of %d rounds (SQLite):\n", n, rounds);
        printf("  reference: host_set_inventory of %d packages  %8.2f ms\n", n, ref);
        printf("  first inventory (open %d + their records)   %8.2f ms  %6.2fx\n", n,
               first / rounds, first / rounds / ref);
        printf("  same findings again (merge, no write)       %8.2f ms  %6.2fx\n", same / rounds,
               same / rounds / ref);
        printf("  one finding fixed                           %8.2f ms  %6.2fx\n", one / rounds,
               one / rounds / ref);
        printf("  every finding fixed                         %8.2f ms  %6.2fx\n", all / rounds,
               all / rounds / ref);
        fleet(argc > 3 ? atoi(argv[3]) : 1000, 20);
        return 0;
}
