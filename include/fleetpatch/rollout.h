/*
 * Rollouts (docs/orchestration.md, "Change requests" and "Rollouts"): the "rollout" member of a
 * change request (the spec), the plan (rings, waves, group limits) and the deterministic
 * scheduler step (fp_ro_tick). Pure: no I/O, no store, the clock is always an argument; the
 * caller persists the state members and refreshes host.online before each tick.
 *
 * Window occurrences are the schedule module's struct fp_window_occ (UTC open, start_until,
 * close); rollout code uses only that shape, never the functions of src/core/schedule.
 */
#ifndef FLEETPATCH_ROLLOUT_H
#define FLEETPATCH_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/schedule.h"

/* ---- limits on the spec (each has a test at the limit and one past it) ---- */
#define FP_RO_MAX_SPEC_JSON (64 * 1024)  /* the "rollout" member as JSON text */
#define FP_RO_MAX_RINGS 16               /* rings of one spec */
#define FP_RO_MAX_WAVES 64               /* entries of "waves" */
#define FP_RO_MAX_NAME 64                /* a ring name: [a-z0-9._-], 1..64 */
#define FP_RO_MAX_COUNT 1000000          /* any count: wave size, max_*, error budget */
#define FP_RO_MAX_BAKE (30 * 86400)      /* bake, seconds */
#define FP_RO_MIN_HOST_TIME 60           /* host_time, seconds */
#define FP_RO_MAX_HOST_TIME (7 * 86400)
#define FP_RO_MAX_URL 1023               /* health_url */
#define FP_RO_DEFAULT_HOST_TIME 900
/* Hosts of one rollout (the plan is refused past it). */
#define FP_RO_MAX_HOSTS 1000000

/* ---- spec: the "rollout" member of a change request ---- */
enum fp_ro_on_failure { FP_RO_FAIL_ROLLBACK_HOST, FP_RO_FAIL_ROLLBACK_WAVE, FP_RO_FAIL_NONE };
enum fp_ro_catchup { FP_RO_CATCHUP_NEXT_WINDOW, FP_RO_CATCHUP_IMMEDIATE };
struct fp_ro_amount {
        int64_t value; /* a count, or a percentage 0..100 when percent */
        bool percent;  /* "5" or "25%" */
};
struct fp_ro_ring {
        char name[FP_RO_MAX_NAME + 1];
        char *tags_json; /* compact object text with sorted keys, "{}" matches any host */
};
/*
 * Members and defaults (absent = default; any other member is refused):
 *   rings          [{"name", "tags": {k: "v"}}]  default: one ring "all" with tags {}
 *   waves          ["5", "25%", ...]             default: none (one wave = the whole ring)
 *   max_concurrent, max_per_region, max_per_zone  integers, 0 = unlimited (default 0)
 *   group_tag      a tag key, "" = no group limit (default "")
 *   max_group_down "N" | "P%"   default "1" when group_tag is set; refused without group_tag
 *   bake           seconds between waves (default 0)
 *   error_budget   "N" | "P%" of the hosts started (default "0": the first failure halts)
 *   on_failure     "rollback-host" | "rollback-wave" | "none" (default "none")
 *   host_time      seconds one host may take (default 900)
 *   health_url     "http(s)://..." with {hostname}/{host} placeholders (default "")
 *   catchup        "next-window" | "immediate" (default "next-window")
 * Amounts may be given as JSON strings ("5", "25%") or non-negative integers (5).
 */
struct fp_ro_spec {
        struct fp_ro_ring *rings;
        size_t ring_count; /* >= 1 after a successful parse */
        struct fp_ro_amount *waves;
        size_t wave_count; /* 0 = one wave per ring */
        int64_t max_concurrent, max_per_region, max_per_zone; /* 0 = unlimited */
        char group_tag[65];
        struct fp_ro_amount max_group_down; /* group_tag "" = no group limit */
        int64_t bake;
        struct fp_ro_amount error_budget;
        enum fp_ro_on_failure on_failure;
        int64_t host_time;
        char health_url[FP_RO_MAX_URL + 1];
        enum fp_ro_catchup catchup;
};

/* Strict parse of the JSON object text (duplicate members refused). On error: FP_EPARSE (not
 * JSON / wrong type / bad value), FP_ELIMIT (a named limit), FP_ENOMEM; diag->field is the path
 * ("rollout.waves[2]", "rollout.rings[0].tags.k") and diag->msg says what ("must be at least
 * 1"), so fp_diag_format gives "rollout.waves[2]: must be at least 1". *out is zeroed on entry;
 * after a failure it holds nothing (fp_ro_spec_free is harmless). */
enum fp_err fp_ro_spec_parse(const char *json, size_t len, struct fp_ro_spec *out,
                             struct fp_diag *diag);
/* The default spec (what "{}" parses to). */
enum fp_err fp_ro_spec_default(struct fp_ro_spec *out);
/* Canonical compact JSON with every member and sorted keys (malloc'd; NULL on ENOMEM); it
 * parses back to an equal spec. */
char *fp_ro_spec_to_json(const struct fp_ro_spec *s);
void fp_ro_spec_free(struct fp_ro_spec *s);
/* "25%" / "5" into out[24]. */
void fp_ro_amount_format(struct fp_ro_amount a, char out[24]);
/* Ring index of a host from its effective tags (JSON object text: string values; anything
 * else never matches), the first ring whose tags all match; -1 when no ring matches or the
 * text is not a JSON object. */
int fp_ro_ring_of(const struct fp_ro_spec *s, const char *tags_json);
/* The stable position key of a host inside its ring: a 64-bit hash (FNV-1a + a final mix) of
 * rollout_id, a NUL byte and host_id. Never changes between versions (it is persisted). */
uint64_t fp_ro_order_key(const char *rollout_id, const char *host_id);

/* ---- the rollout state ---- */
enum fp_ro_hstate {
        FP_RH_PENDING,
        FP_RH_RUNNING,
        FP_RH_SUCCEEDED,
        FP_RH_FAILED,
        FP_RH_ROLLING_BACK,
        FP_RH_ROLLED_BACK,
        FP_RH_DEFERRED,
        FP_RH_CANCELLED
};
/* "pending", "running", "succeeded", "failed", "rolling_back", "rolled_back", "deferred",
 * "cancelled"; "?" for a value out of range. */
const char *fp_ro_hstate_name(enum fp_ro_hstate s);
bool fp_ro_hstate_parse(const char *s, enum fp_ro_hstate *out);
enum fp_ro_status {
        FP_RO_SCHEDULED,
        FP_RO_RUNNING,
        FP_RO_PAUSED,
        FP_RO_HALTED,
        FP_RO_DONE,
        FP_RO_FAILED,
        FP_RO_ROLLED_BACK,
        FP_RO_CANCELLED
};
/* "scheduled", "running", "paused", "halted", "done", "failed", "rolled_back", "cancelled". */
const char *fp_ro_status_name(enum fp_ro_status s);
bool fp_ro_status_parse(const char *s, enum fp_ro_status *out);
/* DONE, FAILED, ROLLED_BACK, CANCELLED. */
bool fp_ro_status_final(enum fp_ro_status s);

#define FP_RO_NONE UINT32_MAX
struct fp_ro_host {
        char id[17];
        uint32_t ring, wave;          /* wave: global index over all rings' waves, in order */
        uint32_t tz;                  /* index into windows[] (absolute mode: all 0) */
        uint32_t region, zone, group; /* indexes, FP_RO_NONE when none */
        uint64_t order;               /* position key inside its ring (fp_ro_order_key) */
        /* state (persisted by the caller) */
        enum fp_ro_hstate state;
        int64_t started, finished, start_until; /* start_until: the cutoff of the occurrence it
                                                   started in (INT64_MAX: none, see START) */
        uint32_t attempts;  /* START actions given to this host */
        uint32_t rollbacks; /* ROLLBACK actions given to this host (at most one is ever given) */
        /* refreshed by the caller before each tick */
        bool online;
};
struct fp_ro_windows {
        const struct fp_window_occ *occ; /* ascending, UTC, not overlapping */
        size_t count;
};
struct fp_rollout {
        const struct fp_ro_spec *spec;
        /* One per tz index. windows == NULL: no window at all (hosts may start at any time,
         * START.until = INT64_MAX); a tz with count 0 never opens. */
        const struct fp_ro_windows *windows;
        size_t window_count;
        struct fp_ro_host *hosts; /* any order; fp_ro_assign/fp_ro_prepare sort by (wave, order) */
        size_t host_count;
        const uint32_t *group_limit; /* [group_count]: max hosts of the group running at once */
        size_t group_count;
        size_t region_count, zone_count;
        uint32_t wave_count;
        /* state (persisted by the caller) */
        enum fp_ro_status status;
        uint32_t wave;        /* current wave; == wave_count once every wave is complete */
        int64_t wave_done_at; /* when the previous wave completed (bake counts from here), 0 = none */
        int64_t failures;     /* since the start or the last resume */
        int64_t started_total; /* hosts started since the start or the last resume (% budgets) */
};

/*
 * The plan. Given each host's ring (host.ring, < spec->ring_count) and order key, sets
 * host.wave and ro->wave_count from spec->waves: per ring, each entry is the size of one wave
 * (a count, or a share of the ring's host count rounded up), cut at what is left of the ring;
 * the hosts left after the last entry form one more wave; empty waves are skipped, never
 * created. Global wave indexes follow the rings in order. Then sorts hosts by (wave, order,
 * id) (fp_ro_prepare) and resets the state (every host PENDING, status SCHEDULED, wave 0).
 * FP_EINVAL with diag->field "rollout.rings[i]" / "rollout" and a reason for: no hosts,
 * more than FP_RO_MAX_HOSTS, a host whose ring is out of range, a ring with no hosts whose
 * tags are not {} (named), a group with hosts whose limit is 0, an index out of range
 * (tz >= window_count when windows != NULL, region/zone/group beyond their counts).
 */
enum fp_err fp_ro_assign(struct fp_rollout *ro, struct fp_diag *diag);
/* Sorts hosts by (wave, order, id) only; for a caller that reloads persisted hosts. */
void fp_ro_prepare(struct fp_rollout *ro);
/* Group limits from the sizes of the groups (the whole group in the account, targeted or not):
 * floor(share * size) for a percentage, else the count (no group_tag: UINT32_MAX each). A
 * group of size > 0 whose limit is 0 is refused: FP_EINVAL, diag->field
 * "rollout.max_group_down", the message names the group index and its size. */
enum fp_err fp_ro_group_limits(const struct fp_ro_spec *s, const uint32_t *group_size, size_t n,
                               uint32_t *limit_out, struct fp_diag *diag);

enum fp_ro_act { FP_RA_START, FP_RA_ROLLBACK, FP_RA_HALT, FP_RA_WAVE, FP_RA_FINISH };
struct fp_ro_action {
        enum fp_ro_act kind;
        size_t host;   /* START/ROLLBACK: index into hosts[] */
        int64_t until; /* START: the start_until of the occurrence (INT64_MAX: no cutoff, i.e.
                          no windows or an immediate catch-up) */
        uint32_t wave; /* START/ROLLBACK: the host's wave; WAVE: the wave that completed */
};

/* Outcomes, told by the caller when it learns them; a call in any other state is ignored. */
/* RUNNING -> SUCCEEDED | FAILED (failures++), finished = now. */
void fp_ro_host_finished(struct fp_rollout *ro, size_t i, bool ok, int64_t now);
/* ROLLING_BACK -> ROLLED_BACK (ok) | FAILED (not counted again; never rolled back again). */
void fp_ro_host_rolled_back(struct fp_rollout *ro, size_t i, bool ok, int64_t now);
/* Its queued job was withdrawn undelivered at the cutoff: RUNNING -> PENDING, or DEFERRED when
 * offline or when its wave is already complete (a catch-up). attempts is kept. */
void fp_ro_host_withdrawn(struct fp_rollout *ro, size_t i, int64_t now);
/* RUNNING (or SCHEDULED) -> PAUSED. */
void fp_ro_pause(struct fp_rollout *ro);
/* PAUSED | HALTED -> RUNNING; failures and started_total count from zero again. */
void fp_ro_resume(struct fp_rollout *ro, int64_t now);
/* Any non-final status -> CANCELLED; PENDING and DEFERRED hosts -> CANCELLED (running ones
 * keep running and their outcomes are still recorded). */
void fp_ro_cancel(struct fp_rollout *ro);

/*
 * One scheduler step at `now`. Mutates the state and writes at most max actions; when more
 * would be needed it stops, and the next tick continues (a state change is only made together
 * with its action, so none is lost). In order:
 *  1. SCHEDULED -> RUNNING. Final statuses do nothing (return 0).
 *  2. Rollbacks (any non-final status): on_failure rollback-host: each FAILED host never rolled
 *     back gets ROLLBACK (-> ROLLING_BACK); rollback-wave: also each SUCCEEDED host of a wave
 *     that has a host FAILED, ROLLING_BACK or ROLLED_BACK.
 *  3. RUNNING and failures > budget (the count, or ceil(pct * started_total / 100)): HALTED
 *     and one HALT.
 *  4. Wave completion (RUNNING, PAUSED, HALTED): while the current wave is open (wave 0, or
 *     now >= wave_done_at + bake) and each of its hosts is SUCCEEDED, FAILED, ROLLED_BACK,
 *     DEFERRED or CANCELLED (RUNNING: PENDING + offline counts as deferred): WAVE, wave_done_at
 *     = now, wave++.
 *  5. Starts (RUNNING only), hosts in array order: a PENDING host of an open wave <= the
 *     current one that is offline -> DEFERRED (no action); PENDING + online + inside an open
 *     occurrence of its tz (open <= now < start_until) + within max_concurrent, max_per_region,
 *     max_per_zone and its group limit (RUNNING and ROLLING_BACK hosts count) -> START (state
 *     RUNNING, started = now, start_until = until, attempts++, started_total++). A DEFERRED
 *     host that is online again, whatever the current wave: catchup immediate -> START now
 *     (limits apply, windows do not: until INT64_MAX); next-window -> START inside an open
 *     occurrence of its tz (limits apply).
 *  6. Every wave complete and no host PENDING, RUNNING, ROLLING_BACK or DEFERRED (status
 *     RUNNING, PAUSED or HALTED): DONE (no host FAILED or ROLLED_BACK), ROLLED_BACK (none
 *     FAILED), else FAILED; one FINISH.
 * Cost: O(hosts + waves + tz * log occurrences); allocates only counters (0 on ENOMEM, no
 * change).
 */
size_t fp_ro_tick(struct fp_rollout *ro, int64_t now, struct fp_ro_action *out, size_t max);
/* The earliest instant > now at which a tick could do something without an outside event
 * (host outcome, online change, pause/resume): the end of the bake, the next opening or cutoff
 * (start_until) of an occurrence of a tz with a host that could start. INT64_MAX if none.
 * SCHEDULED: now (tick at once). A tick that returned max actions wants another tick at once. */
int64_t fp_ro_next_event(const struct fp_rollout *ro, int64_t now);
/*
 * The preview: runs the same scheduler on a copy of ro (from its current state) starting at
 * `from`, with every host online and each job (and rollback) succeeding host_time after it
 * starts, until nothing is left or `horizon`. planned[i] (by host index of ro->hosts as they are
 * now, i.e. after fp_ro_assign) = the planned start of hosts[i]: its recorded `started` when it
 * already started (RUNNING, SUCCEEDED, ...), else the simulated start, 0 when it would not
 * start before horizon. ro is not modified. FP_ENOMEM, FP_EINVAL (from > horizon).
 */
enum fp_err fp_ro_plan(const struct fp_rollout *ro, int64_t from, int64_t horizon,
                       int64_t *planned, struct fp_diag *diag);

#endif
