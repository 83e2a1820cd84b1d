/*
 * A compliance report over N hosts (default 100,000) and a year of history on fleetpatchd's
 * SQLite store (docs/compliance.md): every host changes state about once a month (12 history
 * rows each, with the rollup deltas the server writes) and has 2 exposures fixed during the
 * year. Measures the report as the API builds it (states at the end of the range, the 365-day
 * series from the rollup, MTTR, JSON) ending now and ending at a past date (one history seek
 * per host), plus the CSV and HTML renderings; as same-run references, one plain read of the
 * hosts table and one of the history rows, through the store. Goal: a report <= 2 s.
 * Usage: comply_bench [N]   ($COMPLY_BENCH_KEEP=DIR: build the store in DIR once and reuse it,
 * for profiling the report without the minute the fill takes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleetpatch/store.h"
#include "fleetpatch/store_track.h"
#include "server/comply.h"
#include "server/server.h"

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct fp_diag *d)
{
        fprintf(stderr, "comply_bench: %s: %s\n", what, d ? d->msg : "");
        exit(1);
}

static bool host_cb(void *ctx, const struct fp_host_rec *h)
{
        (void)h;
        (*(size_t *)ctx)++;
        return true;
}

static bool rec_cb(void *ctx, const struct fp_comply_rec *r)
{
        (void)r;
        (*(size_t *)ctx)++;
        return true;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static void commit(struct fp_tx *tx)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_tx_commit(tx, &d) != FP_OK)
                die("commit", &d);
}

static struct fp_tx *begin(struct fp_store *s)
{
        struct fp_tx *tx;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_begin(s, true, &tx, &d) != FP_OK)
                die("begin", &d);
        return tx;
}

int main(int argc, char **argv)
{
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
        if (n < 1 || n > 1000000)
                n = 100000;
        char tmp[] = "/tmp/fp-complybench-XXXXXX";
        const char *keep = getenv("COMPLY_BENCH_KEEP");
        const char *dir = keep && *keep ? keep : mkdtemp(tmp);
        if (!dir || strlen(dir) > 100)
                return 1;
        char url[128], done[128];
        snprintf(url, sizeof(url), "sqlite:%s/s.db", dir);
        snprintf(done, sizeof(done), "%s/filled", dir);
        bool reuse = keep && *keep && access(done, F_OK) == 0;
        struct fp_store *store;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_open(url, &store, &d) != FP_OK)
                die("open", &d);
        const int64_t now = (int64_t)time(NULL);
        const int64_t year = 365 * 86400, start = now - year;
        static const char *const accounts[] = {"prod", "staging", "corp", "lab"};
        static const char *const regions[] = {"eu-west-1", "us-east-1", "ap-south-1"};
        double fill = now_ms();
        size_t rows = 0;
        if (reuse)
                goto measure;
        struct fp_tx *tx = begin(store);
        for (size_t i = 0; i < 4; i++) {
                struct fp_account_rec a = {.name = accounts[i], .display = accounts[i],
                                           .created = 1};
                if (fp_store_account_create(tx, &a, &d) != FP_OK)
                        die("account", &d);
        }
        for (long i = 0; i < n; i++) {
                char id[17], name[32];
                snprintf(id, sizeof(id), "%016lx", (unsigned long)i + 1);
                snprintf(name, sizeof(name), "host-%06ld", i);
                const char *account = accounts[i % 4];
                struct fp_host_rec h = {.id = id, .account = account, .hostname = name,
                                        .region = regions[i % 3], .agent_tags_json = "{}",
                                        .api_tags_json = "{}", .created = start,
                                        .last_seen = now};
                if (fp_store_host_create(tx, &h, &d) != FP_OK)
                        die("host", &d);
                /* about monthly changes over the year */
                struct fp_comply_rec prev, rec;
                memset(&rec, 0, sizeof(rec));
                rec.host = id;
                rec.account = account;
                rec.hostname = name;
                rec.region = regions[i % 3];
                rec.os = "debian:12";
                rec.baseline = "deb-prod";
                rec.service = i % 5 ? "web" : "db";
                rec.service_model = "";
                rec.version = "12";
                rec.tags_json = "{}";
                rec.level = 4;
                bool have_prev = false;
                int64_t t = start + (int64_t)(next_rand() % (30 * 86400));
                for (int k = 0; k < 12 && t < now; k++) {
                        uint64_t r = next_rand();
                        static const enum fp_comply_state pick[] = {
                            FP_CS_COMPLIANT, FP_CS_COMPLIANT, FP_CS_NONCOMPLIANT,
                            FP_CS_PENDING_REBOOT, FP_CS_CATCHUP, FP_CS_EXCEPTED, FP_CS_COMPLIANT,
                            FP_CS_NONCOMPLIANT};
                        rec.state = pick[r % 8];
                        rec.gaps = rec.state == FP_CS_NONCOMPLIANT ? (int64_t)(r >> 8) % 5 + 1 : 0;
                        rec.missing[6] = rec.gaps;
                        rec.sev[4] = (int64_t)(r >> 16) % 4;
                        rec.sev[5] = (int64_t)(r >> 20) % 2;
                        rec.kev = (int64_t)(r >> 24) % 7 == 0;
                        rec.sla_min = rec.sev[5] ? t + (int64_t)((r >> 28) % (40 * 86400)) : 0;
                        rec.since = t;
                        struct fp_comply_meta meta = {.evaluated = t, .boot_id = ""};
                        if (fp_store_comply_put(tx, &rec, &meta, true, &d) != FP_OK)
                                die("history", &d);
                        int64_t a[FP_CM_COUNT], b[FP_CM_COUNT];
                        fp_comply_metrics(have_prev ? &prev : NULL, a);
                        fp_comply_metrics(&rec, b);
                        for (int m = 0; m < FP_CM_COUNT; m++)
                                if (fp_store_comply_rollup_add(tx, account, t / 86400, m,
                                                               b[m] - a[m], &d) != FP_OK)
                                        die("rollup", &d);
                        int64_t od = have_prev && prev.sla_min ? prev.sla_min / 86400 : -1;
                        int64_t nd = rec.sla_min ? rec.sla_min / 86400 : -1;
                        if (od != nd && od >= 0)
                                fp_store_comply_sla_add(tx, account, t / 86400, od, -1, &d);
                        if (od != nd && nd >= 0)
                                fp_store_comply_sla_add(tx, account, t / 86400, nd, 1, &d);
                        prev = rec;
                        have_prev = true;
                        rows++;
                        t += 20 * 86400 + (int64_t)(next_rand() % (20 * 86400));
                }
                for (int e = 0; e < 2; e++) {
                        int64_t first = start + (int64_t)(next_rand() % (300 * 86400));
                        char vuln[32];
                        snprintf(vuln, sizeof(vuln), "CVE-2026-%05d", (int)(next_rand() % 90000));
                        struct fp_exposure_rec x = {
                            .host = id, .account = account, .vuln = vuln, .package = "openssl",
                            .arch = "amd64", .installed = "3.0.1", .fixed_version = "3.0.2",
                            .advisories = "", .severity = e ? "high" : "critical",
                            .scheme = "deb", .first_seen = first, .track = "",
                            .fixed_inventory = ""};
                        if (fp_store_exposure_open(tx, &x, &d) != FP_OK ||
                            fp_store_exposure_fix(tx, id, vuln, "openssl", "amd64",
                                                  first + (int64_t)(next_rand() % (20 * 86400)),
                                                  "h", &d) != FP_OK)
                                die("exposure", &d);
                }
                if (i % 20000 == 19999) {
                        commit(tx);
                        tx = begin(store);
                }
        }
        commit(tx);
        if (keep && *keep) {
                FILE *mark = fopen(done, "w");
                if (mark)
                        fclose(mark);
        }
measure:
        fill = now_ms() - fill;
        printf("comply_bench: %ld hosts, %zu history rows over a year, %ld exposures (fill %.1f s)\n",
               n, rows, 2 * n, fill / 1e3);

        /* references: one plain read of the hosts and of the history rows */
        struct fp_tx *rt;
        if (fp_store_begin(store, false, &rt, &d) != FP_OK)
                die("begin", &d);
        struct fp_host_filter hf = {.compliance = -1};
        size_t nh = 0;
        double t_hosts = now_ms();
        if (fp_store_host_list(rt, &hf, host_cb, &nh, &d) != FP_OK)
                die("host list", &d);
        t_hosts = now_ms() - t_hosts;
        struct fp_comply_filter f = {0};
        size_t nc = 0;
        double t_cur = now_ms();
        if (fp_store_comply_list(rt, &f, rec_cb, &nc, &d) != FP_OK)
                die("states", &d);
        t_cur = now_ms() - t_cur;
        fp_tx_rollback(rt);

        struct fp_report_range range = {.from = start, .to = now, .step = 86400};
        double best_now = 1e12, best_past = 1e12, csv_ms = 0, html_ms = 0;
        size_t csv_len = 0, html_len = 0, json_len = 0;
        for (int round = 0; round < 3; round++) {
                if (fp_store_begin(store, false, &rt, &d) != FP_OK)
                        die("begin", &d);
                /* the report as the API answers format=json: built and its JSON text */
                double t0 = now_ms();
                struct fp_report rep;
                if (fp_report_build(rt, &f, &range, now, "organisation", &rep, &d) != FP_OK)
                        die("report", &d);
                char *json = fp_report_json(&rep, FP_REPORT_MAX_HOST_ROWS);
                double t1 = now_ms() - t0;
                if (!json)
                        die("report json", NULL);
                if (t1 < best_now)
                        best_now = t1;
                if (round == 0) {
                        json_len = strlen(json);
                        double c0 = now_ms();
                        char *csv = fp_report_csv(&rep);
                        csv_ms = now_ms() - c0;
                        c0 = now_ms();
                        char *html = fp_report_html(&rep);
                        html_ms = now_ms() - c0;
                        csv_len = csv ? strlen(csv) : 0;
                        html_len = html ? strlen(html) : 0;
                        free(csv);
                        free(html);
                }
                free(json);
                fp_report_release(&rep);
                /* ending 30 days ago: the states come from the history, one seek per host */
                struct fp_report_range past = {.from = start, .to = now - 30 * 86400,
                                               .step = 86400};
                t0 = now_ms();
                if (fp_report_build(rt, &f, &past, now, "organisation", &rep, &d) != FP_OK)
                        die("report (past)", &d);
                json = fp_report_json(&rep, FP_REPORT_MAX_HOST_ROWS);
                t1 = now_ms() - t0;
                if (!json)
                        die("report json (past)", NULL);
                if (t1 < best_past)
                        best_past = t1;
                free(json);
                fp_report_release(&rep);
                fp_tx_rollback(rt);
        }
        if (fp_store_begin(store, false, &rt, &d) != FP_OK)
                die("begin", &d);
        size_t nhist = 0;
        double t_hist = now_ms();
        /* the history rows of every host through the store */
        for (long i = 0; i < n; i++) {
                char id[17];
                snprintf(id, sizeof(id), "%016lx", (unsigned long)i + 1);
                if (fp_store_comply_history(rt, id, rec_cb, &nhist, &d) != FP_OK)
                        die("history", &d);
        }
        t_hist = now_ms() - t_hist;
        fp_tx_rollback(rt);

        printf("reference: read of the hosts table (%zu rows) %.1f ms; of the current states "
               "(%zu) %.1f ms; of the history rows (%zu) %.1f ms\n",
               nh, t_hosts, nc, t_cur, nhist, t_hist);
        printf("report ending now (365 daily points, %ld host rows, MTTR, its JSON text of %zu "
               "bytes): %.1f ms = %.2fx the hosts read, %.3fx the goal of 2 s\n",
               n, json_len, best_now, best_now / t_hosts, best_now / 2000.0);
        printf("report ending 30 days ago (states from the history): %.1f ms = %.2fx the hosts "
               "read, %.2fx the history read, %.3fx the goal\n",
               best_past, best_past / t_hosts, best_past / t_hist, best_past / 2000.0);
        printf("rendering: CSV %.1f ms (%zu bytes), HTML %.1f ms (%zu bytes, %d host rows)\n",
               csv_ms, csv_len, html_ms, html_len, FP_REPORT_HTML_HOST_ROWS);
        fp_store_close(store);
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (!keep && system(cmd) != 0)
                fprintf(stderr, "comply_bench: could not remove %s\n", dir);
        return best_now <= 2000.0 && best_past <= 2000.0 ? 0 : 1;
}
