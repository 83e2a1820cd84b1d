/*
 * Rollout scheduler cost at fleet scale: the plan (fp_ro_assign + fp_ro_plan) of 100,000 hosts
 * over 24 zones with a daily 4-hour local window (goal <= 1 s) and one fp_ro_tick over 100,000
 * hosts (goal <= 100 ms). The same-run reference is a plain pass over the 100,000 host records
 * (reading each state), what any O(hosts) tick must at least cost. Prints the times, the ratio
 * to the goal and to the reference.
 * Usage: rollout_bench [HOSTS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/rollout.h"

#define ZONES 24
#define DAYS 14
#define T0 1792800000LL /* 2026-10-24T00:00:00Z */

static volatile uint64_t sink;

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static void setup(struct fp_rollout *ro, struct fp_ro_host *hosts, size_t n, uint64_t seed)
{
        uint64_t s = seed;

        for (size_t i = 0; i < n; i++) {
                struct fp_ro_host *h = &hosts[i];
                memset(h, 0, sizeof(*h));
                snprintf(h->id, sizeof(h->id), "%016zx", i);
                h->order = fp_ro_order_key("bench", h->id);
                uint64_t r = rng(&s);
                h->ring = (r % 100) < 1 ? 0 : (r % 100) < 10 ? 1 : 2;
                h->tz = (uint32_t)(i % ZONES);
                h->region = (uint32_t)((r >> 8) % 8);
                h->zone = (uint32_t)((r >> 16) % 24);
                h->group = (uint32_t)((r >> 24) % 1000);
                h->online = true;
        }
        ro->hosts = hosts;
        ro->host_count = n;
}

int main(int argc, char **argv)
{
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
        struct fp_ro_spec spec;
        struct fp_diag d;
        const char *sj = "{\"rings\":[{\"name\":\"canary\",\"tags\":{\"ring\":\"canary\"}},"
                         "{\"name\":\"staging\",\"tags\":{\"ring\":\"staging\"}},"
                         "{\"name\":\"production\"}],\"waves\":[\"1%\",\"10%\",\"25%\"],"
                         "\"max_concurrent\":2000,\"max_per_region\":500,\"max_per_zone\":200,"
                         "\"group_tag\":\"service\",\"max_group_down\":\"25%\",\"bake\":600,"
                         "\"host_time\":900}";

        if (fp_ro_spec_parse(sj, strlen(sj), &spec, &d) != FP_OK) {
                fprintf(stderr, "spec: %s: %s\n", d.field, d.msg);
                return 1;
        }
        /* windows: daily 02:00-06:00 local, cutoff 900, zones at offsets -11h..+12h */
        static struct fp_window_occ occ[ZONES][DAYS];
        static struct fp_ro_windows win[ZONES];
        for (int z = 0; z < ZONES; z++) {
                int64_t off = (int64_t)(z - 11) * 3600;
                for (int k = 0; k < DAYS; k++) {
                        int64_t open = T0 + k * 86400 + 2 * 3600 - off;
                        occ[z][k] = (struct fp_window_occ){open, open + 4 * 3600 - 900,
                                                          open + 4 * 3600};
                }
                win[z].occ = occ[z];
                win[z].count = DAYS;
        }
        uint32_t *gsize = calloc(1000, sizeof(*gsize)), *glim = calloc(1000, sizeof(*glim));
        struct fp_ro_host *hosts = malloc(n * sizeof(*hosts));
        int64_t *planned = malloc(n * sizeof(*planned));
        struct fp_ro_action *acts = malloc((n + 64) * sizeof(*acts));
        if (!gsize || !glim || !hosts || !planned || !acts)
                return 1;
        struct fp_rollout ro = {.spec = &spec, .windows = win, .window_count = ZONES,
                                .region_count = 8, .zone_count = 24, .group_count = 1000};
        setup(&ro, hosts, n, 42);
        for (size_t i = 0; i < n; i++)
                gsize[hosts[i].group]++;
        if (fp_ro_group_limits(&spec, gsize, 1000, glim, &d) != FP_OK) {
                fprintf(stderr, "group limits: %s\n", d.msg);
                return 1;
        }
        ro.group_limit = glim;

        /* reference: a plain pass over the host records */
        double best_ref = 1e9;
        for (int r = 0; r < 5; r++) {
                double t = now();
                uint64_t acc = 0;
                for (size_t i = 0; i < n; i++)
                        acc += (uint64_t)hosts[i].state + hosts[i].online + hosts[i].wave;
                sink += acc;
                t = now() - t;
                if (t < best_ref)
                        best_ref = t;
        }

        /* the plan */
        double t_plan = 1e9, t_assign = 0;
        size_t started = 0;
        for (int r = 0; r < 3; r++) {
                setup(&ro, hosts, n, 42);
                double t = now();
                if (fp_ro_assign(&ro, &d) != FP_OK) {
                        fprintf(stderr, "assign: %s: %s\n", d.field, d.msg);
                        return 1;
                }
                double ta = now() - t;
                if (fp_ro_plan(&ro, T0, T0 + DAYS * 86400, planned, &d) != FP_OK) {
                        fprintf(stderr, "plan: %s\n", d.msg);
                        return 1;
                }
                t = now() - t;
                if (t < t_plan) {
                        t_plan = t;
                        t_assign = ta;
                }
        }
        int64_t last = 0;
        for (size_t i = 0; i < n; i++)
                if (planned[i]) {
                        started++;
                        if (planned[i] > last)
                                last = planned[i];
                }

        /* one tick where every host may start (no window, all waves open, 2% offline): the
         * worst case, max_concurrent starts and the limits checked for every host */
        double t_tick = 1e9;
        size_t nact = 0;
        for (int r = 0; r < 5; r++) {
                struct fp_rollout c = ro;
                for (size_t i = 0; i < n; i++) {
                        hosts[i].state = FP_RH_PENDING;
                        hosts[i].online = (i % 50) != 0;
                }
                c.status = FP_RO_RUNNING;
                c.windows = NULL;
                c.wave = ro.wave_count - 1;
                c.wave_done_at = T0;
                double t = now();
                nact = fp_ro_tick(&c, T0 + 86400, acts, n + 64);
                t = now() - t;
                if (t < t_tick)
                        t_tick = t;
        }
        /* and a steady-state tick: a late wave, most hosts done, nothing to start */
        double t_tick2 = 1e9;
        for (int r = 0; r < 5; r++) {
                struct fp_rollout c = ro;
                for (size_t i = 0; i < n; i++) {
                        hosts[i].online = true;
                        hosts[i].state = hosts[i].wave + 1 < ro.wave_count ? FP_RH_SUCCEEDED
                                                                           : FP_RH_PENDING;
                }
                c.status = FP_RO_RUNNING;
                c.wave = ro.wave_count - 1;
                c.wave_done_at = T0;
                double t = now();
                fp_ro_tick(&c, T0 + 12 * 3600, acts, n + 64);
                sink += (uint64_t)fp_ro_next_event(&c, T0 + 12 * 3600);
                t = now() - t;
                if (t < t_tick2)
                        t_tick2 = t;
        }

        printf("hosts %zu, zones %d, waves %u, %d days of windows\n", n, ZONES, ro.wave_count, DAYS);
        printf("reference: plain pass over %zu host records: %.3f ms\n", n, best_ref * 1e3);
        printf("plan (assign %.1f ms + preview): %.1f ms, %zu hosts planned, last start +%.1f h; "
               "goal 1000 ms: %.3fx of goal; %.0fx the reference pass\n",
               t_assign * 1e3, t_plan * 1e3, started, (double)(last - T0) / 3600.0,
               t_plan / 1.0, t_plan / best_ref);
        printf("tick (%zu actions): %.3f ms; goal 100 ms: %.4fx of goal; %.1fx the reference "
               "pass\n",
               nact, t_tick * 1e3, t_tick / 0.1, t_tick / best_ref);
        printf("tick + next_event, steady state: %.3f ms; goal 100 ms: %.4fx of goal; %.1fx the "
               "reference pass\n",
               t_tick2 * 1e3, t_tick2 / 0.1, t_tick2 / best_ref);
        free(gsize);
        free(glim);
        free(hosts);
        free(planned);
        free(acts);
        fp_ro_spec_free(&spec);
        return 0;
}
