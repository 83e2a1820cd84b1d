/*
 * The plan of a rollout: waves inside rings, group limits, and the preview (the same scheduler
 * step run on a copy with every host online and succeeding after host_time).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rollout/rollout_int.h"

static int host_cmp(const void *a, const void *b)
{
        const struct fp_ro_host *x = a, *y = b;

        if (x->wave != y->wave)
                return x->wave < y->wave ? -1 : 1;
        if (x->order != y->order)
                return x->order < y->order ? -1 : 1;
        return strcmp(x->id, y->id);
}

void fp_ro_prepare(struct fp_rollout *ro)
{
        if (ro->host_count > 1)
                qsort(ro->hosts, ro->host_count, sizeof(*ro->hosts), host_cmp);
}

static int64_t wave_size(struct fp_ro_amount a, int64_t ring_size)
{
        if (!a.percent)
                return a.value;
        return (a.value * ring_size + 99) / 100;
}

enum fp_err fp_ro_assign(struct fp_rollout *ro, struct fp_diag *diag)
{
        const struct fp_ro_spec *s = ro->spec;
        int64_t ring_size[FP_RO_MAX_RINGS] = {0};
        uint32_t base[FP_RO_MAX_RINGS + 1];

        fp_diag_clear(diag);
        if (s->ring_count == 0 || s->ring_count > FP_RO_MAX_RINGS) {
                fp_diag_set(diag, NULL, 0, "rollout.rings", "no ring or more than %d",
                            FP_RO_MAX_RINGS);
                return FP_EINVAL;
        }
        if (ro->host_count == 0) {
                fp_diag_set(diag, NULL, 0, "rollout", "no hosts to patch");
                return FP_EINVAL;
        }
        if (ro->host_count > FP_RO_MAX_HOSTS) {
                fp_diag_set(diag, NULL, 0, "rollout", "%zu hosts exceed %d", ro->host_count,
                            FP_RO_MAX_HOSTS);
                return FP_EINVAL;
        }
        for (size_t i = 0; i < ro->host_count; i++) {
                const struct fp_ro_host *h = &ro->hosts[i];
                const char *what = NULL;

                if (h->ring >= s->ring_count)
                        what = "matches no ring";
                else if (ro->windows && h->tz >= ro->window_count)
                        what = "has a time zone index without windows";
                else if (h->region != FP_RO_NONE && h->region >= ro->region_count)
                        what = "has a region index out of range";
                else if (h->zone != FP_RO_NONE && h->zone >= ro->zone_count)
                        what = "has a zone index out of range";
                else if (h->group != FP_RO_NONE && h->group >= ro->group_count)
                        what = "has a group index out of range";
                else if (h->group != FP_RO_NONE && ro->group_limit && ro->group_limit[h->group] == 0)
                        what = "is in a group whose max_group_down rounds to 0";
                if (what) {
                        fp_diag_set(diag, NULL, 0, "rollout", "host %s %s", h->id, what);
                        return FP_EINVAL;
                }
                ring_size[h->ring]++;
        }
        for (size_t r = 0; r < s->ring_count; r++)
                if (ring_size[r] == 0 && s->rings[r].tags_json &&
                    strcmp(s->rings[r].tags_json, "{}") != 0) {
                        char field[FP_DIAG_FIELD_MAX];
                        snprintf(field, sizeof(field), "rollout.rings[%zu]", r);
                        fp_diag_set(diag, NULL, 0, field, "ring \"%s\": no host matches its tags %s",
                                    s->rings[r].name, s->rings[r].tags_json);
                        return FP_EINVAL;
                }

        /* wave sizes per ring: waves[] entries cut at what is left, then the remainder */
        int64_t *sizes = calloc(s->ring_count * (s->wave_count + 1), sizeof(*sizes));
        uint32_t *nw = calloc(s->ring_count, sizeof(*nw));
        if (!sizes || !nw) {
                free(sizes);
                free(nw);
                fp_diag_set(diag, NULL, 0, "rollout", "out of memory");
                return FP_ENOMEM;
        }
        base[0] = 0;
        for (size_t r = 0; r < s->ring_count; r++) {
                int64_t left = ring_size[r];
                int64_t *sz = sizes + r * (s->wave_count + 1);
                for (size_t w = 0; w < s->wave_count && left > 0; w++) {
                        int64_t k = wave_size(s->waves[w], ring_size[r]);
                        if (k > left)
                                k = left;
                        if (k <= 0)
                                continue;
                        sz[nw[r]++] = k;
                        left -= k;
                }
                if (left > 0)
                        sz[nw[r]++] = left;
                base[r + 1] = base[r] + nw[r];
        }

        /* order inside each ring, then cut into waves */
        for (size_t i = 0; i < ro->host_count; i++)
                ro->hosts[i].wave = ro->hosts[i].ring; /* sort key: (ring, order, id) */
        fp_ro_prepare(ro);
        size_t i = 0;
        for (size_t r = 0; r < s->ring_count; r++) {
                const int64_t *sz = sizes + r * (s->wave_count + 1);
                for (uint32_t w = 0; w < nw[r]; w++)
                        for (int64_t k = 0; k < sz[w]; k++, i++)
                                ro->hosts[i].wave = base[r] + w;
        }
        ro->wave_count = base[s->ring_count];
        free(sizes);
        free(nw);

        for (i = 0; i < ro->host_count; i++) {
                struct fp_ro_host *h = &ro->hosts[i];
                h->state = FP_RH_PENDING;
                h->started = h->finished = h->start_until = 0;
                h->attempts = h->rollbacks = 0;
        }
        ro->status = FP_RO_SCHEDULED;
        ro->wave = 0;
        ro->wave_done_at = 0;
        ro->failures = 0;
        ro->started_total = 0;
        return FP_OK;
}

enum fp_err fp_ro_group_limits(const struct fp_ro_spec *s, const uint32_t *group_size, size_t n,
                               uint32_t *limit_out, struct fp_diag *diag)
{
        char a[24];

        fp_diag_clear(diag);
        for (size_t g = 0; g < n; g++) {
                if (!s->group_tag[0]) {
                        limit_out[g] = UINT32_MAX;
                        continue;
                }
                int64_t v = s->max_group_down.percent
                                ? s->max_group_down.value * (int64_t)group_size[g] / 100
                                : s->max_group_down.value;
                limit_out[g] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
                if (v == 0 && group_size[g] > 0) {
                        fp_ro_amount_format(s->max_group_down, a);
                        fp_diag_set(diag, NULL, 0, "rollout.max_group_down",
                                    "%s of group %zu (%" PRIu32 " hosts) rounds to 0", a, g,
                                    group_size[g]);
                        return FP_EINVAL;
                }
        }
        return FP_OK;
}

/* ---- the preview ---- */

struct fin {
        int64_t at;
        uint32_t host;
        bool rollback;
};

static int fin_cmp(const void *a, const void *b)
{
        const struct fin *x = a, *y = b;

        if (x->at != y->at)
                return x->at < y->at ? -1 : 1;
        return x->host < y->host ? -1 : x->host > y->host;
}

/* Hosts a step of the preview must look at (all others are running or finished). */
static bool plan_cand(const struct fp_rollout *ro, const struct ro_ctx *c,
                      const struct fp_ro_host *h)
{
        switch (h->state) {
        case FP_RH_PENDING:
                return h->wave <= ro->wave;
        case FP_RH_DEFERRED:
                return true;
        case FP_RH_FAILED:
                return ro->spec->on_failure != FP_RO_FAIL_NONE && !h->rollbacks;
        case FP_RH_SUCCEEDED:
                return ro->spec->on_failure == FP_RO_FAIL_ROLLBACK_WAVE && !h->rollbacks &&
                       h->wave < ro->wave_count && c->wfail[h->wave] > 0;
        default:
                return false;
        }
}

#define PLAN_ACTIONS 1024

enum fp_err fp_ro_plan(const struct fp_rollout *ro, int64_t from, int64_t horizon,
                       int64_t *planned, struct fp_diag *diag)
{
        struct fp_rollout sim = *ro;
        struct ro_ctx c;
        size_t nh = ro->host_count, nfin = 0, fhead = 0, ncand = 0;
        enum fp_err err = FP_OK;

        fp_diag_clear(diag);
        if (from > horizon) {
                fp_diag_set(diag, NULL, 0, "plan", "from is after horizon");
                return FP_EINVAL;
        }
        struct fp_ro_host *hosts = malloc((nh ? nh : 1) * sizeof(*hosts));
        struct fin *fins = malloc((2 * nh + 1) * sizeof(*fins)); /* a start and a rollback each */
        uint32_t *cand = malloc((nh ? nh : 1) * sizeof(*cand));
        uint32_t *byw = malloc((nh ? nh : 1) * sizeof(*byw));    /* hosts by wave */
        size_t *wfirst = calloc((size_t)ro->wave_count + 2, sizeof(*wfirst));
        struct fp_ro_action *acts = malloc(PLAN_ACTIONS * sizeof(*acts));
        if (!hosts || !fins || !cand || !byw || !wfirst || !acts)
                goto nomem;
        if (nh)
                memcpy(hosts, ro->hosts, nh * sizeof(*hosts));
        sim.hosts = hosts;
        for (size_t i = 0; i < nh; i++) {
                hosts[i].online = true;
                bool started = hosts[i].state != FP_RH_PENDING &&
                               hosts[i].state != FP_RH_DEFERRED &&
                               hosts[i].state != FP_RH_CANCELLED;
                planned[i] = started ? hosts[i].started : 0;
                if (hosts[i].state == FP_RH_RUNNING || hosts[i].state == FP_RH_ROLLING_BACK) {
                        int64_t at = hosts[i].state == FP_RH_RUNNING
                                         ? hosts[i].started + ro->spec->host_time
                                         : from + ro->spec->host_time;
                        fins[nfin++] = (struct fin){at < from ? from : at, (uint32_t)i,
                                                    hosts[i].state == FP_RH_ROLLING_BACK};
                }
        }
        if (nfin > 1)
                qsort(fins, nfin, sizeof(*fins), fin_cmp);
        if (ro_ctx_init(&c, &sim) != 0)
                goto nomem;
        /* counting sort of the hosts by wave (hosts beyond wave_count are never looked at) */
        for (size_t i = 0; i < nh; i++)
                if (hosts[i].wave < sim.wave_count)
                        wfirst[hosts[i].wave + 1]++;
        for (uint32_t w = 0; w < sim.wave_count; w++)
                wfirst[w + 1] += wfirst[w];
        {
                size_t *pos = calloc((size_t)sim.wave_count + 1, sizeof(*pos));
                if (!pos) {
                        ro_ctx_free(&c);
                        goto nomem;
                }
                memcpy(pos, wfirst, ((size_t)sim.wave_count + 1) * sizeof(*pos));
                for (size_t i = 0; i < nh; i++)
                        if (hosts[i].wave < sim.wave_count)
                                byw[pos[hosts[i].wave]++] = (uint32_t)i;
                free(pos);
        }
        /* first candidates: every host that needs a look now (the array order is kept) */
        for (size_t i = 0; i < nh; i++)
                if (plan_cand(&sim, &c, &hosts[i]))
                        cand[ncand++] = (uint32_t)i;
        uint32_t added = sim.wave; /* waves <= added are in cand */
        c.cand = cand;
        c.ncand = ncand;

        int64_t t = from;
        for (;;) {
                while (fhead < nfin && fins[fhead].at <= t) {
                        const struct fin *f = &fins[fhead++];
                        if (f->rollback)
                                ro_rolled_back(&sim, &c, f->host, true, f->at);
                        else
                                ro_finished(&sim, &c, f->host, true, f->at);
                }
                for (;;) {
                        size_t n = ro_step(&sim, &c, t, acts, PLAN_ACTIONS);
                        for (size_t k = 0; k < n && nfin < 2 * nh + 1; k++) {
                                size_t i = acts[k].host;
                                if (acts[k].kind == FP_RA_START) {
                                        planned[i] = t;
                                        fins[nfin++] = (struct fin){t + ro->spec->host_time,
                                                                    (uint32_t)i, false};
                                } else if (acts[k].kind == FP_RA_ROLLBACK) {
                                        fins[nfin++] = (struct fin){t + ro->spec->host_time,
                                                                    (uint32_t)i, true};
                                }
                        }
                        /* keep only hosts that still need a look, add the waves now open */
                        size_t m = 0;
                        for (size_t k = 0; k < c.ncand; k++)
                                if (plan_cand(&sim, &c, &hosts[cand[k]]))
                                        cand[m++] = cand[k];
                        bool grew = false;
                        while (added < sim.wave) {
                                added++;
                                if (added >= sim.wave_count)
                                        continue;
                                for (size_t k = wfirst[added]; k < wfirst[added + 1]; k++)
                                        if (plan_cand(&sim, &c, &hosts[byw[k]])) {
                                                cand[m++] = byw[k];
                                                grew = true;
                                        }
                        }
                        c.ncand = m;
                        if (n < PLAN_ACTIONS && !grew)
                                break;
                }
                if (fp_ro_status_final(sim.status))
                        break;
                int64_t next = ro_next_event(&sim, &c, t);
                if (fhead < nfin && fins[fhead].at < next)
                        next = fins[fhead].at;
                if (next == INT64_MAX || next >= horizon)
                        break;
                t = next > t ? next : t + 1;
        }
        for (size_t i = 0; i < nh; i++)
                if (planned[i] >= horizon)
                        planned[i] = 0;
        ro_ctx_free(&c);
        goto out;
nomem:
        fp_diag_set(diag, NULL, 0, "plan", "out of memory");
        err = FP_ENOMEM;
out:
        free(hosts);
        free(fins);
        free(cand);
        free(byw);
        free(wfirst);
        free(acts);
        return err;
}
