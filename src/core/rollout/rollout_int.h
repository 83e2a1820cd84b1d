/* Internals shared by tick.c (the scheduler step) and plan.c (the preview runs the same step). */
#ifndef FP_ROLLOUT_INT_H
#define FP_ROLLOUT_INT_H

#include "fleetpatch/rollout.h"

/* Counters of one rollout, kept in step with every state change made through ro_set_state. */
struct ro_ctx {
        uint32_t *run_region, *run_zone, *run_group; /* RUNNING + ROLLING_BACK */
        uint32_t *wopen; /* per wave: PENDING + RUNNING + ROLLING_BACK */
        uint32_t *wpoff; /* per wave: PENDING and offline */
        uint32_t *wfail; /* per wave: FAILED + ROLLING_BACK + ROLLED_BACK */
        int64_t *until;  /* per tz: start_until of the occurrence open at the step's time, 0 */
        unsigned char *mark; /* per tz: scratch of ro_next_event */
        size_t run_total;
        size_t n_active; /* PENDING + RUNNING + ROLLING_BACK + DEFERRED */
        size_t n_failed, n_rolled_back;
        const uint32_t *cand; /* hosts a step looks at; NULL: all of them */
        size_t ncand;
        void *mem;
};

/* Allocates the counters and counts every host. -1 on ENOMEM. */
int ro_ctx_init(struct ro_ctx *c, const struct fp_rollout *ro);
void ro_ctx_free(struct ro_ctx *c);
/* State change of hosts[i] keeping c's counters (c may be NULL). */
void ro_set_state(struct fp_rollout *ro, struct ro_ctx *c, size_t i, enum fp_ro_hstate s);
void ro_finished(struct fp_rollout *ro, struct ro_ctx *c, size_t i, bool ok, int64_t now);
void ro_rolled_back(struct fp_rollout *ro, struct ro_ctx *c, size_t i, bool ok, int64_t now);
size_t ro_step(struct fp_rollout *ro, struct ro_ctx *c, int64_t now, struct fp_ro_action *out,
               size_t max);
int64_t ro_next_event(const struct fp_rollout *ro, struct ro_ctx *c, int64_t now);
/* The current wave may start (wave 0, or the bake after the previous one has passed). */
bool ro_wave_open(const struct fp_rollout *ro, int64_t now);

#endif
