/*
 * The acceptance simulation of the rollout scheduler: 1,000 hosts over 26 IANA zones (with
 * +5:30, +5:45, +8:45, Chatham, Lord Howe, St John's, and zones whose offset changes during the
 * simulated days, 2026-10-24 .. 2026-11-03: the EU and US fall-backs) with real windows from
 * src/core/schedule (fp_window_parse + fp_window_occurrences), rings by tags, regions, cloud
 * zones and service groups. fp_ro_tick runs at every fp_ro_next_event and every simulated
 * outside event (a job finishing after a per-host duration from a fixed PRNG, a host coming
 * back online). After every tick, independently of the implementation:
 *   - a host starts at most once (no withdrawal happens here);
 *   - a start is inside an occurrence of its own zone's window computed here from the civil
 *     time with fp_tz_to_utc (open <= start < close - cutoff), except immediate catch-ups;
 *   - RUNNING hosts never exceed max_concurrent, max_per_region, max_per_zone, the group limit;
 *   - waves never overlap: a host of wave w starts only when each host of the earlier waves is
 *     finished or deferred, and not before the previous wave's completion + bake;
 * and at the end every host is patched exactly once. Runs: local window, absolute window,
 * injected failures (halt past the budget, no start while halted, resume continues), offline
 * hosts (deferred, caught up once; immediate and next-window).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleetpatch/rollout.h"
#include "fleetpatch/schedule.h"
#include "test.h"

#define NHOSTS 1000
#define NREG 4
#define NCZ 8
#define NGRP 50
#define MAXOCC 64

static const char *const zones[] = {
    "Asia/Kolkata",        "Asia/Kathmandu",     "Australia/Eucla",   "Pacific/Chatham",
    "Australia/Lord_Howe", "America/St_Johns",   "Europe/London",     "Europe/Berlin",
    "Europe/Helsinki",     "America/New_York",   "America/Chicago",   "America/Denver",
    "America/Los_Angeles", "America/Anchorage",  "Pacific/Honolulu",  "America/Sao_Paulo",
    "Africa/Johannesburg", "Asia/Tokyo",         "Asia/Shanghai",     "Australia/Sydney",
    "Pacific/Auckland",    "Asia/Dubai",         "Asia/Tehran",       "America/Caracas",
    "UTC",                 "Australia/Adelaide",
};
#define NZONES (sizeof(zones) / sizeof(zones[0]))

static const struct fp_tz *tzs[NZONES];
static struct fp_tz *tz_owned[NZONES];
static int64_t sim_from, sim_to;

static uint64_t rng(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

struct opts {
        const char *name;
        bool absolute;
        int fail_pct;        /* jobs failing */
        const char *budget;  /* error_budget */
        bool offline;        /* some hosts away at the start */
        bool immediate;      /* catchup policy */
};

/* The window's occurrences, independently: each day's civil opening in the zone, read with
 * fp_tz_to_utc (RFC 5545 gaps/folds), then duration in real seconds. */
struct indep {
        int64_t open[MAXOCC], until[MAXOCC];
        size_t n;
};

static void indep_occ(const char *start_civil, const struct fp_tz *z, int64_t dur, int64_t cutoff,
                      struct indep *out)
{
        int64_t civil;

        out->n = 0;
        CHECK(fp_civil_parse(start_civil, &civil));
        for (int d = 0; d < 40 && out->n < MAXOCC; d++) {
                int64_t open = fp_tz_to_utc(z, civil + (int64_t)d * 86400, NULL);
                if (open + dur <= sim_from || open >= sim_to)
                        continue;
                out->open[out->n] = open;
                out->until[out->n] = open + dur - cutoff;
                out->n++;
        }
}

static bool inside(const struct indep *o, int64_t t)
{
        for (size_t k = 0; k < o->n; k++)
                if (o->open[k] <= t && t < o->until[k])
                        return true;
        return false;
}

static void run(const struct opts *op)
{
        static struct fp_ro_host hosts[NHOSTS];
        static struct fp_window_occ occ[NZONES][MAXOCC];
        static struct fp_ro_windows win[NZONES];
        static struct indep ind[NZONES];
        static int64_t finish_at[NHOSTS], back_at[NHOSTS], dur[NHOSTS];
        static bool fails[NHOSTS], was_deferred[NHOSTS], catchup_start[NHOSTS];
        static int starts[NHOSTS];
        static struct fp_ro_action act[64];
        uint32_t gsize[NGRP] = {0}, glim[NGRP];
        int64_t wave_done[256];
        struct fp_ro_spec spec;
        struct fp_window w;
        struct fp_diag d;
        char sj[1024], wj[512];
        uint64_t seed = 0x5eed0000 + (uint64_t)op->fail_pct * 7 + op->absolute * 3 +
                        op->offline * 11 + op->immediate;
        const char *start_civil = op->absolute ? "2026-10-20T22:00:00" : "2026-10-20T01:30:00";
        const int64_t duration = op->absolute ? 6 * 3600 : 4 * 3600, cutoff = 3600;

        fprintf(stderr, "--- %s\n", op->name);
        snprintf(wj, sizeof(wj),
                 "{\"mode\":\"%s\",\"rrule\":\"FREQ=DAILY\",\"start\":\"%s\",\"tz\":\"%s\","
                 "\"duration\":%" PRId64 ",\"cutoff\":%" PRId64 "}",
                 op->absolute ? "absolute" : "local", start_civil,
                 op->absolute ? "America/New_York" : "UTC", duration, cutoff);
        if (fp_window_parse(wj, strlen(wj), &w, &d) != FP_OK) {
                CHECK_MSG(0, "window %s: %s: %s", wj, d.field, d.msg);
                return;
        }
        snprintf(sj, sizeof(sj),
                 "{\"rings\":[{\"name\":\"canary\",\"tags\":{\"ring\":\"canary\"}},"
                 "{\"name\":\"staging\",\"tags\":{\"env\":\"staging\"}},{\"name\":\"production\"}],"
                 "\"waves\":[\"10%%\",\"50%%\"],\"max_concurrent\":40,\"max_per_region\":15,"
                 "\"max_per_zone\":8,\"group_tag\":\"service\",\"max_group_down\":\"34%%\","
                 "\"bake\":1800,\"error_budget\":\"%s\",\"host_time\":1800,\"catchup\":\"%s\"}",
                 op->budget, op->immediate ? "immediate" : "next-window");
        if (fp_ro_spec_parse(sj, strlen(sj), &spec, &d) != FP_OK) {
                CHECK_MSG(0, "spec: %s: %s", d.field, d.msg);
                return;
        }

        /* windows per zone (absolute: one, in New York) */
        size_t nwin = op->absolute ? 1 : NZONES;
        const struct fp_tz *ny = NULL;
        for (size_t z = 0; z < NZONES; z++)
                if (strcmp(zones[z], "America/New_York") == 0)
                        ny = tzs[z];
        for (size_t z = 0; z < nwin; z++) {
                size_t n = 0;
                const struct fp_tz *zz = op->absolute ? ny : tzs[z];
                enum fp_err err = fp_window_occurrences(&w, zz, sim_from, sim_to, occ[z], MAXOCC,
                                                        &n, &d);
                CHECK_MSG(err == FP_OK && n > 0, "occurrences %s: %s", zones[z], d.msg);
                win[z].occ = occ[z];
                win[z].count = n;
                indep_occ(start_civil, zz, duration, cutoff, &ind[z]);
                /* the module and the independent computation agree */
                CHECK_INT_EQ(n, ind[z].n);
                for (size_t k = 0; k < n && k < ind[z].n; k++)
                        CHECK_MSG(occ[z][k].open == ind[z].open[k] &&
                                      occ[z][k].start_until == ind[z].until[k],
                                  "%s occurrence %zu: %" PRId64 " vs %" PRId64, zones[z], k,
                                  occ[z][k].open, ind[z].open[k]);
        }

        /* hosts */
        memset(hosts, 0, sizeof(hosts));
        for (size_t i = 0; i < NHOSTS; i++) {
                struct fp_ro_host *h = &hosts[i];
                uint64_t r = rng(&seed);
                const char *tags = (r % 100) < 2    ? "{\"ring\":\"canary\",\"service\":\"x\"}"
                                   : (r % 100) < 12 ? "{\"env\":\"staging\"}"
                                                    : "{\"env\":\"prod\"}";
                snprintf(h->id, sizeof(h->id), "%016" PRIx64, rng(&seed));
                int ring = fp_ro_ring_of(&spec, tags);
                CHECK(ring >= 0);
                h->ring = (uint32_t)ring;
                h->order = fp_ro_order_key("cr-sim", h->id);
                h->tz = op->absolute ? 0 : (uint32_t)(i % NZONES);
                h->region = (uint32_t)((r >> 8) % NREG);
                h->zone = (r >> 12) % 10 == 0 ? FP_RO_NONE : (uint32_t)((r >> 16) % NCZ);
                h->group = (r >> 20) % 5 == 0 ? FP_RO_NONE : (uint32_t)((r >> 24) % NGRP);
                h->online = true;
                if (h->group != FP_RO_NONE)
                        gsize[h->group]++;
        }
        for (size_t g = 0; g < NGRP; g++)
                gsize[g] += 3; /* the whole group in the account: untargeted hosts too */
        CHECK_INT_EQ(fp_ro_group_limits(&spec, gsize, NGRP, glim, &d), FP_OK);
        struct fp_rollout ro = {.spec = &spec, .windows = win, .window_count = nwin,
                                .hosts = hosts, .host_count = NHOSTS, .group_limit = glim,
                                .group_count = NGRP, .region_count = NREG, .zone_count = NCZ};
        CHECK_MSG(fp_ro_assign(&ro, &d) == FP_OK, "assign: %s", d.msg);
        CHECK(ro.wave_count >= 7 && ro.wave_count < 256);

        /* the preview, before anything runs: every host planned inside its window */
        int64_t *planned = calloc(NHOSTS, sizeof(*planned));
        CHECK_INT_EQ(fp_ro_plan(&ro, sim_from, sim_to, planned, &d), FP_OK);
        size_t nplanned = 0;
        for (size_t i = 0; i < NHOSTS; i++)
                if (planned[i]) {
                        nplanned++;
                        CHECK(inside(&ind[hosts[i].tz], planned[i]));
                }
        CHECK_MSG(nplanned == NHOSTS, "planned %zu of %d", nplanned, NHOSTS);
        free(planned);

        /* per-host behaviour after the assignment (indexes are final now) */
        for (size_t i = 0; i < NHOSTS; i++) {
                uint64_t r = rng(&seed);
                dur[i] = 300 + (int64_t)(r % 1500);
                fails[i] = (int)((r >> 20) % 100) < op->fail_pct;
                back_at[i] = 0;
                if (op->offline && (r >> 40) % 10 == 0 && hosts[i].wave >= 1) {
                        hosts[i].online = false;
                        back_at[i] = sim_from + (op->absolute ? 1 : 4) * 86400 + (int64_t)((r >> 48) % 86400);
                }
                finish_at[i] = 0;
                starts[i] = 0;
                was_deferred[i] = catchup_start[i] = false;
        }
        for (size_t k = 0; k < 256; k++)
                wave_done[k] = 0;

        int64_t t = sim_from, halted_at = 0, t_end = 0;
        size_t ticks = 0, halts = 0, resumes = 0, deferred = 0, catchups = 0, failed = 0;
        while (t < sim_to && !fp_ro_status_final(ro.status)) {
                /* outside events at t */
                for (size_t i = 0; i < NHOSTS; i++) {
                        if (finish_at[i] && finish_at[i] <= t) {
                                fp_ro_host_finished(&ro, i, !fails[i], finish_at[i]);
                                failed += fails[i];
                                finish_at[i] = 0;
                        }
                        if (back_at[i] && back_at[i] <= t) {
                                hosts[i].online = true;
                                back_at[i] = 0;
                        }
                }
                if (ro.status == FP_RO_HALTED && t >= halted_at + 7200) {
                        fp_ro_resume(&ro, t);
                        resumes++;
                }
                size_t n;
                do {
                        uint32_t wave_before = ro.wave;
                        enum fp_ro_status st_before = ro.status;
                        bool pre_deferred[NHOSTS];
                        for (size_t i = 0; i < NHOSTS; i++)
                                pre_deferred[i] = hosts[i].state == FP_RH_DEFERRED;
                        n = fp_ro_tick(&ro, t, act, 64);
                        ticks++;
                        for (size_t k = 0; k < n; k++) {
                                const struct fp_ro_action *a = &act[k];
                                if (a->kind == FP_RA_HALT) {
                                        halts++;
                                        halted_at = t;
                                        CHECK(ro.failures > 0);
                                } else if (a->kind == FP_RA_WAVE) {
                                        CHECK(a->wave < 256);
                                        wave_done[a->wave] = t;
                                } else if (a->kind == FP_RA_START) {
                                        size_t i = a->host;
                                        struct fp_ro_host *h = &hosts[i];
                                        starts[i]++;
                                        CHECK_MSG(starts[i] == 1, "host %zu started %d times", i,
                                                  starts[i]);
                                        CHECK(st_before == FP_RO_RUNNING ||
                                              st_before == FP_RO_SCHEDULED);
                                        CHECK(ro.status != FP_RO_HALTED ||
                                              k < n); /* never after the halt in one tick */
                                        CHECK(h->online);
                                        catchup_start[i] = pre_deferred[i];
                                        if (pre_deferred[i])
                                                catchups++;
                                        if (!(op->immediate && pre_deferred[i]))
                                                CHECK_MSG(inside(&ind[h->tz], t),
                                                          "%s: start %" PRId64 " outside %s", h->id,
                                                          t, zones[op->absolute ? 9 : h->tz]);
                                        else
                                                CHECK(a->until == INT64_MAX);
                                        if (!pre_deferred[i]) {
                                                /* waves never overlap; bake respected */
                                                CHECK(h->wave <= ro.wave);
                                                if (h->wave > 0)
                                                        CHECK_MSG(wave_done[h->wave - 1] &&
                                                                      t >= wave_done[h->wave - 1] +
                                                                               spec.bake,
                                                                  "wave %u at %" PRId64
                                                                  " before bake", h->wave, t);
                                                for (size_t j = 0; j < NHOSTS; j++)
                                                        if (hosts[j].wave < h->wave &&
                                                            !catchup_start[j])
                                                                CHECK(hosts[j].state !=
                                                                          FP_RH_PENDING &&
                                                                      (hosts[j].state !=
                                                                           FP_RH_RUNNING ||
                                                                       starts[j] == 0));
                                        }
                                        finish_at[i] = t + dur[i];
                                } else if (a->kind == FP_RA_FINISH) {
                                        CHECK(k == n - 1);
                                }
                        }
                        /* halted: nothing started after the HALT action */
                        bool after_halt = false;
                        for (size_t k = 0; k < n; k++) {
                                if (act[k].kind == FP_RA_HALT)
                                        after_halt = true;
                                else if (after_halt)
                                        CHECK(act[k].kind != FP_RA_START);
                        }
                        if (st_before == FP_RO_HALTED)
                                for (size_t k = 0; k < n; k++)
                                        CHECK(act[k].kind != FP_RA_START);
                        CHECK(ro.wave >= wave_before);
                        /* limits */
                        uint32_t reg[NREG] = {0}, cz[NCZ] = {0}, grp[NGRP] = {0}, tot = 0;
                        for (size_t i = 0; i < NHOSTS; i++) {
                                const struct fp_ro_host *h = &hosts[i];
                                if (h->state != FP_RH_RUNNING && h->state != FP_RH_ROLLING_BACK)
                                        continue;
                                tot++;
                                reg[h->region]++;
                                if (h->zone != FP_RO_NONE)
                                        cz[h->zone]++;
                                if (h->group != FP_RO_NONE)
                                        grp[h->group]++;
                                if (h->state == FP_RH_RUNNING && !catchup_start[i])
                                        CHECK(h->wave <= ro.wave);
                        }
                        CHECK(tot <= 40);
                        for (size_t r = 0; r < NREG; r++)
                                CHECK(reg[r] <= 15);
                        for (size_t z = 0; z < NCZ; z++)
                                CHECK(cz[z] <= 8);
                        for (size_t g = 0; g < NGRP; g++)
                                CHECK_MSG(grp[g] <= glim[g], "group %zu: %u > %u", g, grp[g],
                                          glim[g]);
                        for (size_t i = 0; i < NHOSTS; i++) {
                                CHECK(hosts[i].wave <= ro.wave || hosts[i].state == FP_RH_PENDING);
                                if (hosts[i].state == FP_RH_DEFERRED && !was_deferred[i]) {
                                        was_deferred[i] = true;
                                        deferred++;
                                        CHECK(!hosts[i].online);
                                }
                        }
                } while (n == 64);
                if (fp_ro_status_final(ro.status))
                        t_end = t;

                /* the next instant: the scheduler's next event, a job ending, a host returning */
                int64_t next = fp_ro_next_event(&ro, t);
                for (size_t i = 0; i < NHOSTS; i++) {
                        if (finish_at[i] && finish_at[i] < next)
                                next = finish_at[i];
                        if (back_at[i] && back_at[i] < next)
                                next = back_at[i];
                }
                if (ro.status == FP_RO_HALTED && halted_at + 7200 < next)
                        next = halted_at + 7200;
                CHECK(next > t);
                if (next <= t)
                        break;
                t = next;
        }

        /* the end: every host patched exactly once */
        size_t succeeded = 0, hfailed = 0;
        for (size_t i = 0; i < NHOSTS; i++) {
                CHECK_MSG(starts[i] == 1, "%s: host %zu (wave %u, tz %s, state %s) started %d "
                                          "times",
                          op->name, i, hosts[i].wave, zones[hosts[i].tz],
                          fp_ro_hstate_name(hosts[i].state), starts[i]);
                succeeded += hosts[i].state == FP_RH_SUCCEEDED;
                hfailed += hosts[i].state == FP_RH_FAILED;
                CHECK(hosts[i].state == (fails[i] ? FP_RH_FAILED : FP_RH_SUCCEEDED));
        }
        fprintf(stderr,
                "%s: status %s at +%.1f h, %zu ticks, %u waves, %zu succeeded, %zu failed, "
                "%zu halts, %zu resumes, %zu deferred, %zu catch-ups\n",
                op->name, fp_ro_status_name(ro.status), (double)(t_end - sim_from) / 3600.0, ticks,
                ro.wave_count, succeeded, hfailed, halts, resumes, deferred, catchups);
        if (op->fail_pct) {
                CHECK(halts >= 1 && resumes >= 1);
                CHECK_INT_EQ(ro.status, FP_RO_FAILED);
        } else {
                CHECK_INT_EQ(ro.status, FP_RO_DONE);
                CHECK_INT_EQ(halts, 0);
        }
        CHECK(t_end > 0);
        if (op->offline) {
                CHECK(deferred >= 10);
                CHECK_INT_EQ(catchups, deferred);
        }
        fp_ro_spec_free(&spec);
}

int main(void)
{
        struct stat st;
        struct fp_diag d;

        if (stat("/usr/share/zoneinfo/Asia/Kolkata", &st) != 0 && !getenv("FP_ZONEINFO")) {
                fprintf(stderr, "SKIP: no zoneinfo\n");
                return 77;
        }
        CHECK(fp_civil_parse("2026-10-24T00:00:00", &sim_from));
        /* civil seconds of a UTC date are its UTC instant */
        sim_to = sim_from + 10 * 86400; /* to 2026-11-03: EU 10-25 and US 11-01 fall-backs */
        size_t changed = 0;
        for (size_t z = 0; z < NZONES; z++) {
                enum fp_err err = fp_tz_load(zones[z], &tz_owned[z], &d);
                CHECK_MSG(err == FP_OK, "%s: %s", zones[z], d.msg);
                if (err != FP_OK)
                        return fp_test_finish();
                tzs[z] = tz_owned[z];
                if (fp_tz_offset(tzs[z], sim_from) != fp_tz_offset(tzs[z], sim_to))
                        changed++;
        }
        CHECK_MSG(changed >= 2, "only %zu zones change offset in the simulated days", changed);
        CHECK_INT_EQ(fp_tz_offset(tzs[0], sim_from), 19800);  /* Kolkata +5:30 */
        CHECK_INT_EQ(fp_tz_offset(tzs[1], sim_from), 20700);  /* Kathmandu +5:45 */
        CHECK_INT_EQ(fp_tz_offset(tzs[2], sim_from), 31500);  /* Eucla +8:45 */
        CHECK_INT_EQ(fp_tz_offset(tzs[3], sim_from), 49500);  /* Chatham +13:45 (DST) */
        CHECK_INT_EQ(fp_tz_offset(tzs[4], sim_from), 39600);  /* Lord Howe +11 (DST) */
        fprintf(stderr, "%zu zones, %zu change offset between %" PRId64 " and %" PRId64 "\n",
                (size_t)NZONES, changed, sim_from, sim_to);

        static const struct opts runs[] = {
            {"local", false, 0, "0", false, false},
            {"absolute", true, 0, "0", false, false},
            {"failures", false, 2, "2", false, false},
            {"catch-up next-window", false, 0, "0", true, false},
            {"catch-up immediate", false, 0, "0", true, true},
            {"absolute catch-up immediate", true, 0, "0", true, true},
        };
        for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++)
                run(&runs[k]);
        for (size_t z = 0; z < NZONES; z++)
                fp_tz_free(tz_owned[z]);
        return fp_test_finish();
}
