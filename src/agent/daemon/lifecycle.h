/*
 * Host lifecycle (docs/jobs.md "Host lifecycle and catch-up"): what happened to the host
 * since the last check-in, found by comparing a persisted sample (boot id, the three clocks,
 * the state generation) with now. Events are kept in the state directory until a check-in
 * that carried them was accepted, so an agent that crashes or cannot reach the server does
 * not lose them.
 */
#ifndef FP_AGENT_LIFECYCLE_H
#define FP_AGENT_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/limits.h"

enum lc_kind { LC_REBOOT, LC_SUSPEND, LC_REVERT, LC_RESTART };
/* "reboot", "suspend", "revert", "restart". */
const char *lc_kind_name(enum lc_kind k);
bool lc_kind_parse(const char *s, enum lc_kind *out);

#define LC_DETAIL_MAX 160
#define LC_BOOT_ID_MAX 64

struct lc_event {
        enum lc_kind kind;
        int64_t at; /* UNIX seconds */
        char detail[LC_DETAIL_MAX];
};

/* At most FP_MAX_LIFECYCLE_EVENTS; when full, the oldest events are dropped (the newest say
 * most about the host now) and `dropped` counts them. */
struct lc_events {
        struct lc_event ev[FP_MAX_LIFECYCLE_EVENTS];
        size_t count;
        size_t dropped;
};

/* One observation of the host; times in nanoseconds except realtime's seconds in `at`. */
struct lc_sample {
        char boot_id[LC_BOOT_ID_MAX]; /* "" unknown */
        int64_t realtime_ns;          /* CLOCK_REALTIME */
        int64_t boottime_ns;          /* CLOCK_BOOTTIME: counts suspended time */
        int64_t monotonic_ns;         /* CLOCK_MONOTONIC: stops while suspended */
        uint64_t generation;          /* state generation, +1 per sample saved */
};

/* Now, with boot_id (may be NULL: unknown) and generation 0. */
void lc_sample_now(struct lc_sample *s, const char *boot_id);

/* Append an event (drops the oldest when full). */
void lc_add(struct lc_events *e, enum lc_kind kind, int64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The events between prev (NULL: no sample on disk) and now, appended to out; pure.
 * reboot: the boot ids differ (both known), at the new boot's time. suspend (same boot only):
 * boottime - monotonic grew by more than interval seconds (the machine slept), or the wall
 * clock moved more than interval seconds away from the boot-time clock (a clock set, or a
 * memory snapshot restored and its clock corrected). revert: prev's generation is below
 * seen_generation, the highest generation this process wrote (0: none), or prev is missing
 * although this process wrote one: the state directory went back under a running agent.
 */
void lc_compute(const struct lc_sample *prev, const struct lc_sample *now, long interval,
                uint64_t seen_generation, struct lc_events *out);

/* The sample file's line, "BOOTID REALTIME BOOTTIME MONOTONIC GENERATION" ("-" for an
 * unknown boot id), is at most this long. */
#define LC_SAMPLE_MAX_LINE 255
/* The pending-events file is at most this long (16 events of ~200 bytes of JSON each). */
#define LC_EVENTS_MAX_FILE (64 * 1024)

/*
 * The parsers behind the loaders, on a buffer. lc_sample_parse: one line of at most
 * LC_SAMPLE_MAX_LINE bytes, five blank-separated fields: a boot id of at most
 * LC_BOOT_ID_MAX - 1 printable characters, three signed decimal int64 and an unsigned decimal
 * uint64 (no sign), nothing else; FP_ECORRUPT otherwise (out zeroed). lc_events_parse:
 * {"events": [...]} of at most LC_EVENTS_MAX_FILE bytes, FP_ECORRUPT for anything else; an
 * event with an unknown kind or a non-integer "at" is skipped, details are cut to
 * LC_DETAIL_MAX - 1 bytes (at a character boundary) and only the newest
 * FP_MAX_LIFECYCLE_EVENTS are kept.
 */
enum fp_err lc_sample_parse(const char *text, size_t len, struct lc_sample *out,
                            struct fp_diag *d);
enum fp_err lc_events_parse(const char *text, size_t len, struct lc_events *out,
                            struct fp_diag *d);

/* State directory: file "lifecycle" holds the last sample, "lifecycle-events" the pending
 * events (JSON). Loading a missing file is FP_ENOENT (sample) or an empty list (events). */
enum fp_err lc_sample_load(const char *state_dir, struct lc_sample *out, struct fp_diag *d);
enum fp_err lc_sample_save(const char *state_dir, const struct lc_sample *s, struct fp_diag *d);
enum fp_err lc_events_load(const char *state_dir, struct lc_events *out, struct fp_diag *d);
enum fp_err lc_events_save(const char *state_dir, const struct lc_events *e, struct fp_diag *d);
/* Drop the first n pending events (those a check-in carried and the server accepted). */
enum fp_err lc_events_ack(const char *state_dir, size_t n, struct fp_diag *d);

/* {"events": [{"kind", "at", "detail"}...]}; NULL on ENOMEM. */
json_t *lc_events_json(const struct lc_events *e);

#endif
