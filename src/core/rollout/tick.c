/*
 * The scheduler step of a rollout (docs/orchestration.md, "Rollouts"): deterministic, the clock
 * is an argument, O(hosts) per tick with counters kept in a struct ro_ctx.
 */
#include <stdlib.h>
#include <string.h>

#include "core/rollout/rollout_int.h"

static bool is_run(enum fp_ro_hstate s)
{
        return s == FP_RH_RUNNING || s == FP_RH_ROLLING_BACK;
}

/* Adds d (+1/-1) to every counter hosts[i] belongs to. */
static void acc(const struct fp_rollout *ro, struct ro_ctx *c, const struct fp_ro_host *h, int d)
{
        enum fp_ro_hstate s = h->state;
        bool w = h->wave < ro->wave_count;

        if (is_run(s)) {
                c->run_total += (size_t)d;
                if (h->region < ro->region_count)
                        c->run_region[h->region] += (uint32_t)d;
                if (h->zone < ro->zone_count)
                        c->run_zone[h->zone] += (uint32_t)d;
                if (h->group < ro->group_count)
                        c->run_group[h->group] += (uint32_t)d;
        }
        if (s == FP_RH_PENDING || is_run(s) || s == FP_RH_DEFERRED)
                c->n_active += (size_t)d;
        if (w && (s == FP_RH_PENDING || is_run(s)))
                c->wopen[h->wave] += (uint32_t)d;
        if (w && s == FP_RH_PENDING && !h->online)
                c->wpoff[h->wave] += (uint32_t)d;
        if (w && (s == FP_RH_FAILED || s == FP_RH_ROLLING_BACK || s == FP_RH_ROLLED_BACK))
                c->wfail[h->wave] += (uint32_t)d;
        if (s == FP_RH_FAILED)
                c->n_failed += (size_t)d;
        if (s == FP_RH_ROLLED_BACK)
                c->n_rolled_back += (size_t)d;
}

int ro_ctx_init(struct ro_ctx *c, const struct fp_rollout *ro)
{
        size_t nw = ro->wave_count, nt = ro->window_count;
        size_t n32 = ro->region_count + ro->zone_count + ro->group_count + 3 * nw;
        size_t bytes = nt * sizeof(int64_t) + n32 * sizeof(uint32_t) + nt;

        memset(c, 0, sizeof(*c));
        c->mem = calloc(1, bytes ? bytes : 1);
        if (!c->mem)
                return -1;
        c->until = c->mem;
        uint32_t *p = (uint32_t *)(c->until + nt);
        c->run_region = p;
        p += ro->region_count;
        c->run_zone = p;
        p += ro->zone_count;
        c->run_group = p;
        p += ro->group_count;
        c->wopen = p;
        p += nw;
        c->wpoff = p;
        p += nw;
        c->wfail = p;
        p += nw;
        c->mark = (unsigned char *)p;
        for (size_t i = 0; i < ro->host_count; i++)
                acc(ro, c, &ro->hosts[i], 1);
        return 0;
}

void ro_ctx_free(struct ro_ctx *c)
{
        free(c->mem);
        memset(c, 0, sizeof(*c));
}

void ro_set_state(struct fp_rollout *ro, struct ro_ctx *c, size_t i, enum fp_ro_hstate s)
{
        struct fp_ro_host *h = &ro->hosts[i];

        if (c)
                acc(ro, c, h, -1);
        h->state = s;
        if (c)
                acc(ro, c, h, 1);
}

bool ro_wave_open(const struct fp_rollout *ro, int64_t now)
{
        if (ro->wave >= ro->wave_count)
                return false;
        return ro->wave == 0 || now >= ro->wave_done_at + ro->spec->bake;
}

/* Index of the first occurrence with open > t. */
static size_t occ_after(const struct fp_ro_windows *w, int64_t t)
{
        size_t lo = 0, hi = w->count;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (w->occ[mid].open <= t)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static void compute_until(const struct fp_rollout *ro, struct ro_ctx *c, int64_t now)
{
        if (!ro->windows)
                return;
        for (size_t z = 0; z < ro->window_count; z++) {
                const struct fp_ro_windows *w = &ro->windows[z];
                size_t k = occ_after(w, now);
                c->until[z] = 0;
                if (k > 0 && now < w->occ[k - 1].start_until)
                        c->until[z] = w->occ[k - 1].start_until;
        }
}

/* start_until of the occurrence of the host's tz open now; 0 when none. */
static int64_t host_until(const struct fp_rollout *ro, const struct ro_ctx *c,
                          const struct fp_ro_host *h)
{
        if (!ro->windows)
                return INT64_MAX;
        return h->tz < ro->window_count ? c->until[h->tz] : 0;
}

static bool limits_ok(const struct fp_rollout *ro, const struct ro_ctx *c,
                      const struct fp_ro_host *h)
{
        const struct fp_ro_spec *s = ro->spec;

        if (s->max_concurrent > 0 && (int64_t)c->run_total >= s->max_concurrent)
                return false;
        if (s->max_per_region > 0 && h->region < ro->region_count &&
            (int64_t)c->run_region[h->region] >= s->max_per_region)
                return false;
        if (s->max_per_zone > 0 && h->zone < ro->zone_count &&
            (int64_t)c->run_zone[h->zone] >= s->max_per_zone)
                return false;
        if (ro->group_limit && h->group < ro->group_count &&
            c->run_group[h->group] >= ro->group_limit[h->group])
                return false;
        return true;
}

static int64_t budget(const struct fp_rollout *ro)
{
        const struct fp_ro_amount *b = &ro->spec->error_budget;

        if (!b->percent)
                return b->value;
        return (b->value * ro->started_total + 99) / 100;
}

#define FOR_CAND(c, ro, k, i)                                                                      \
        for (size_t k = 0, i = 0, n_ = (c)->cand ? (c)->ncand : (ro)->host_count;                 \
             k < n_ && ((i = (c)->cand ? (c)->cand[k] : k), 1); k++)

size_t ro_step(struct fp_rollout *ro, struct ro_ctx *c, int64_t now, struct fp_ro_action *out,
               size_t max)
{
        const struct fp_ro_spec *s = ro->spec;
        size_t n = 0;

        if (ro->status == FP_RO_SCHEDULED)
                ro->status = FP_RO_RUNNING;
        if (fp_ro_status_final(ro->status))
                return 0;

        /* rollbacks */
        if (s->on_failure != FP_RO_FAIL_NONE) {
                bool wave = s->on_failure == FP_RO_FAIL_ROLLBACK_WAVE;
                FOR_CAND(c, ro, k, i) {
                        struct fp_ro_host *h = &ro->hosts[i];
                        if (h->rollbacks)
                                continue;
                        if (h->state != FP_RH_FAILED &&
                            !(wave && h->state == FP_RH_SUCCEEDED && h->wave < ro->wave_count &&
                              c->wfail[h->wave] > 0))
                                continue;
                        if (n == max)
                                return n;
                        ro_set_state(ro, c, i, FP_RH_ROLLING_BACK);
                        h->rollbacks++;
                        out[n++] = (struct fp_ro_action){.kind = FP_RA_ROLLBACK, .host = i,
                                                         .wave = h->wave};
                }
        }

        /* error budget */
        if (ro->status == FP_RO_RUNNING && ro->failures > budget(ro)) {
                if (n == max)
                        return n;
                ro->status = FP_RO_HALTED;
                out[n++] = (struct fp_ro_action){.kind = FP_RA_HALT, .wave = ro->wave};
        }

        /* wave completion */
        while (ro->wave < ro->wave_count && ro_wave_open(ro, now)) {
                uint32_t w = ro->wave;
                uint32_t left = c->wopen[w] - (ro->status == FP_RO_RUNNING ? c->wpoff[w] : 0);
                if (left)
                        break;
                if (n == max)
                        return n;
                out[n++] = (struct fp_ro_action){.kind = FP_RA_WAVE, .wave = w};
                ro->wave_done_at = now;
                ro->wave++;
        }

        /* deferrals and starts */
        if (ro->status == FP_RO_RUNNING) {
                bool open = ro_wave_open(ro, now);
                bool immediate = s->catchup == FP_RO_CATCHUP_IMMEDIATE;

                compute_until(ro, c, now);
                FOR_CAND(c, ro, k, i) {
                        struct fp_ro_host *h = &ro->hosts[i];
                        int64_t until;

                        if (h->state == FP_RH_PENDING) {
                                if (h->wave > ro->wave || (h->wave == ro->wave && !open))
                                        continue;
                                if (!h->online) {
                                        ro_set_state(ro, c, i, FP_RH_DEFERRED);
                                        continue;
                                }
                                until = host_until(ro, c, h);
                        } else if (h->state == FP_RH_DEFERRED && h->online) {
                                until = immediate ? INT64_MAX : host_until(ro, c, h);
                        } else {
                                continue;
                        }
                        if (until == 0 || n == max || !limits_ok(ro, c, h))
                                continue;
                        ro_set_state(ro, c, i, FP_RH_RUNNING);
                        h->started = now;
                        h->start_until = until;
                        h->attempts++;
                        ro->started_total++;
                        out[n++] = (struct fp_ro_action){.kind = FP_RA_START, .host = i,
                                                         .until = until, .wave = h->wave};
                }
        }

        /* the end */
        if (ro->wave >= ro->wave_count && c->n_active == 0 &&
            (ro->status == FP_RO_RUNNING || ro->status == FP_RO_PAUSED ||
             ro->status == FP_RO_HALTED)) {
                if (n == max)
                        return n;
                ro->status = c->n_failed        ? FP_RO_FAILED
                             : c->n_rolled_back ? FP_RO_ROLLED_BACK
                                                : FP_RO_DONE;
                out[n++] = (struct fp_ro_action){.kind = FP_RA_FINISH, .wave = ro->wave};
        }
        return n;
}

int64_t ro_next_event(const struct fp_rollout *ro, struct ro_ctx *c, int64_t now)
{
        int64_t t = INT64_MAX;

        if (ro->status == FP_RO_SCHEDULED)
                return now;
        if (ro->status != FP_RO_RUNNING)
                return INT64_MAX;
        bool open = ro_wave_open(ro, now);
        if (ro->wave < ro->wave_count && !open)
                t = ro->wave_done_at + ro->spec->bake;
        if (!ro->windows)
                return t;
        bool next_window = ro->spec->catchup == FP_RO_CATCHUP_NEXT_WINDOW;
        memset(c->mark, 0, ro->window_count);
        FOR_CAND(c, ro, k, i) {
                const struct fp_ro_host *h = &ro->hosts[i];
                if (!h->online || h->tz >= ro->window_count)
                        continue;
                if ((h->state == FP_RH_PENDING &&
                     (h->wave < ro->wave || (h->wave == ro->wave && open))) ||
                    (h->state == FP_RH_DEFERRED && next_window))
                        c->mark[h->tz] = 1;
        }
        for (size_t z = 0; z < ro->window_count; z++) {
                const struct fp_ro_windows *w = &ro->windows[z];
                if (!c->mark[z])
                        continue;
                size_t k = occ_after(w, now);
                if (k < w->count && w->occ[k].open < t)
                        t = w->occ[k].open;
                if (k > 0 && w->occ[k - 1].start_until > now && w->occ[k - 1].start_until < t)
                        t = w->occ[k - 1].start_until;
        }
        return t;
}

/* ---- the public API ---- */

void ro_finished(struct fp_rollout *ro, struct ro_ctx *c, size_t i, bool ok, int64_t now)
{
        if (i >= ro->host_count || ro->hosts[i].state != FP_RH_RUNNING)
                return;
        ro_set_state(ro, c, i, ok ? FP_RH_SUCCEEDED : FP_RH_FAILED);
        ro->hosts[i].finished = now;
        if (!ok)
                ro->failures++;
}

void ro_rolled_back(struct fp_rollout *ro, struct ro_ctx *c, size_t i, bool ok, int64_t now)
{
        if (i >= ro->host_count || ro->hosts[i].state != FP_RH_ROLLING_BACK)
                return;
        ro_set_state(ro, c, i, ok ? FP_RH_ROLLED_BACK : FP_RH_FAILED);
        ro->hosts[i].finished = now;
}

void fp_ro_host_finished(struct fp_rollout *ro, size_t i, bool ok, int64_t now)
{
        ro_finished(ro, NULL, i, ok, now);
}

void fp_ro_host_rolled_back(struct fp_rollout *ro, size_t i, bool ok, int64_t now)
{
        ro_rolled_back(ro, NULL, i, ok, now);
}

void fp_ro_host_withdrawn(struct fp_rollout *ro, size_t i, int64_t now)
{
        struct fp_ro_host *h;

        if (i >= ro->host_count || ro->hosts[i].state != FP_RH_RUNNING)
                return;
        h = &ro->hosts[i];
        h->state = (!h->online || h->wave < ro->wave) ? FP_RH_DEFERRED : FP_RH_PENDING;
        h->started = 0;
        h->start_until = 0;
        if (ro->started_total > 0)
                ro->started_total--;
}

void fp_ro_pause(struct fp_rollout *ro)
{
        if (ro->status == FP_RO_RUNNING || ro->status == FP_RO_SCHEDULED)
                ro->status = FP_RO_PAUSED;
}

void fp_ro_resume(struct fp_rollout *ro, int64_t now)
{
        if (ro->status != FP_RO_PAUSED && ro->status != FP_RO_HALTED)
                return;
        ro->status = FP_RO_RUNNING;
        ro->failures = 0;
        ro->started_total = 0;
}

void fp_ro_cancel(struct fp_rollout *ro)
{
        if (fp_ro_status_final(ro->status))
                return;
        ro->status = FP_RO_CANCELLED;
        for (size_t i = 0; i < ro->host_count; i++)
                if (ro->hosts[i].state == FP_RH_PENDING || ro->hosts[i].state == FP_RH_DEFERRED)
                        ro->hosts[i].state = FP_RH_CANCELLED;
}

size_t fp_ro_tick(struct fp_rollout *ro, int64_t now, struct fp_ro_action *out, size_t max)
{
        struct ro_ctx c;

        if (fp_ro_status_final(ro->status))
                return 0;
        if (ro_ctx_init(&c, ro) != 0)
                return 0;
        size_t n = ro_step(ro, &c, now, out, max);
        ro_ctx_free(&c);
        return n;
}

int64_t fp_ro_next_event(const struct fp_rollout *ro, int64_t now)
{
        struct ro_ctx c;

        if (ro->status != FP_RO_RUNNING)
                return ro->status == FP_RO_SCHEDULED ? now : INT64_MAX;
        /* only the per-tz scratch is needed: count nothing */
        struct fp_rollout bare = *ro;
        bare.host_count = 0;
        if (ro_ctx_init(&c, &bare) != 0)
                return now; /* cannot tell: tick again */
        int64_t t = ro_next_event(ro, &c, now);
        ro_ctx_free(&c);
        return t;
}
