/*
 * Time zones (our own TZif reader + POSIX TZ footer rules) and maintenance windows (RFC 5545
 * recurrences through libical). See docs/orchestration.md, "Time zones" and "Maintenance
 * windows". Everything is pure and deterministic: instants are int64 UTC seconds since the
 * epoch, "civil" times are floating local seconds since 1970-01-01T00:00 (no zone), and the
 * clock is always an argument. A loaded zone is immutable and may be shared between threads.
 */
#ifndef FLEETPATCH_SCHEDULE_H
#define FLEETPATCH_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

/* ---- limits on a TZif file (the largest real zone has < 250 transitions, < 20 types) ---- */
#define FP_TZ_MAX_NAME 64            /* an IANA zone name */
#define FP_TZ_MAX_FILE (256 * 1024)  /* a TZif file; real ones are < 4 KiB */
#define FP_TZ_MAX_TRANSITIONS 10000  /* timecnt of one section */
#define FP_TZ_MAX_TYPES 256          /* typecnt (TZif itself allows at most 256) */
#define FP_TZ_MAX_ABBR_CHARS 512     /* charcnt */
#define FP_TZ_MAX_LEAPS 1000         /* leapcnt (skipped: we use POSIX time, like glibc's "posix/") */
#define FP_TZ_MAX_FOOTER 128         /* the POSIX TZ string of the footer */
#define FP_TZ_MAX_OFFSET (25 * 3600) /* |UTC offset| of any type or rule (RFC 9636: < 25 h) */

struct fp_tz;

/* [A-Za-z0-9_+-] segments joined by '/', 1..64 chars, no empty, '.' or '..' segment. */
bool fp_tz_name_ok(const char *name);
/* Reads $FP_ZONEINFO/NAME (default /usr/share/zoneinfo/NAME). "UTC" always works, even
 * without zoneinfo. FP_EINVAL for a bad name, FP_ENOTFOUND "unknown time zone 'X'", or the
 * errors of fp_tz_parse. The only function of src/core/schedule that does I/O. */
enum fp_err fp_tz_load(const char *name, struct fp_tz **out, struct fp_diag *diag);
/* Parses a TZif file (v1..v4; the 64-bit section when present; the footer's POSIX TZ rule for
 * instants after the last transition). FP_ECORRUPT/FP_EPARSE/FP_ELIMIT with the byte offset
 * in the message. name is kept (fp_tz_name) and must pass fp_tz_name_ok. */
enum fp_err fp_tz_parse(const char *name, const void *data, size_t len, struct fp_tz **out,
                        struct fp_diag *diag);
/* A fixed-offset zone without transitions (offset in seconds, |offset| <= FP_TZ_MAX_OFFSET). */
enum fp_err fp_tz_fixed(const char *name, int32_t offset, struct fp_tz **out, struct fp_diag *diag);
void fp_tz_free(struct fp_tz *z);
const char *fp_tz_name(const struct fp_tz *z);
/* UTC offset in seconds at that instant. */
int32_t fp_tz_offset(const struct fp_tz *z, int64_t utc);
/* utc + offset: civil (floating) seconds. */
int64_t fp_tz_to_local(const struct fp_tz *z, int64_t utc);
/* Local civil time -> UTC, RFC 5545 3.3.5: a time in a gap is read with the offset before
 * the gap; a repeated time is its first occurrence. *kind (may be NULL): FP_TZ_EXACT,
 * FP_TZ_GAP, FP_TZ_REPEATED. */
#define FP_TZ_EXACT 0
#define FP_TZ_GAP 1
#define FP_TZ_REPEATED 2
int64_t fp_tz_to_utc(const struct fp_tz *z, int64_t local, int *kind);

/* ---- POSIX TZ rules (the TZif footer, RFC 9636 3.3; tzrule.c) ---- */
struct fp_tzrule_date {
        char kind;    /* 'J' (Jn, 1..365, no Feb 29), 'D' (n, 0..365), 'M' (Mm.w.d) */
        int16_t m, w, d;
        int32_t n;
        int32_t time; /* seconds after local midnight, -167h .. 167h */
};
struct fp_tzrule {
        int32_t std_off, dst_off; /* UTC offsets, east positive */
        bool has_dst;
        struct fp_tzrule_date start, end;
};
/* Parses "EST5EDT,M3.2.0,M11.1.0", "<+0545>-5:45", "IST-2IDT,M3.4.4/26,M10.5.0" ...; DST
 * without a rule uses the US rule ",M3.2.0,M11.1.0" like glibc. FP_EPARSE saying where. */
enum fp_err fp_tzrule_parse(const char *s, size_t len, struct fp_tzrule *out, struct fp_diag *diag);
int32_t fp_tzrule_offset(const struct fp_tzrule *r, int64_t utc, bool *isdst);
/* The first transition strictly after utc, INT64_MAX when there is none. */
int64_t fp_tzrule_next(const struct fp_tzrule *r, int64_t utc);

/* Proleptic Gregorian calendar: days since 1970-01-01 <-> (year, month 1..12, day 1..31). */
int64_t fp_days_from_civil(int64_t y, int m, int d);
void fp_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* name -> loaded zone, mutex-protected; zones live until the cache is freed. Thread-safe. */
struct fp_tz_cache;
struct fp_tz_cache *fp_tz_cache_new(void);
void fp_tz_cache_free(struct fp_tz_cache *c);
/* Loads (fp_tz_load) on the first request; a failure is not cached. */
enum fp_err fp_tz_cache_get(struct fp_tz_cache *c, const char *name, const struct fp_tz **out,
                            struct fp_diag *diag);

/* "YYYY-MM-DDTHH:MM:SS" (years 0001..9999, exact format) <-> civil seconds. */
bool fp_civil_parse(const char *s, int64_t *out);
/* Years outside 0..9999 are clamped to "0000-01-01T00:00:00" / "9999-12-31T23:59:59". */
void fp_civil_format(int64_t civil, char out[20]);
/* "2026-11-28T02:00:00+05:45" (the local time utc+offset and the offset); "Z" when offset is
 * 0 ("2026-11-28T02:00:00Z"); seconds of an offset are dropped (no real zone uses them today). */
void fp_time_format_offset(int64_t utc, int32_t offset, char out[32]);

/* ---- maintenance windows ---- */
enum fp_window_mode { FP_WINDOW_LOCAL, FP_WINDOW_ABSOLUTE };
#define FP_MAX_RRULE 512
#define FP_WINDOW_MIN_DURATION 300
#define FP_WINDOW_MAX_DURATION (7 * 86400)
#define FP_MAX_WINDOW_JSON 4096 /* the window JSON document */
/* Recurrence steps fp_window_occurrences takes before it gives up (FP_ELIMIT); a daily window
 * reaches 270 years with it. */
#define FP_WINDOW_MAX_STEPS 100000

struct fp_window {
        enum fp_window_mode mode;
        char rrule[FP_MAX_RRULE + 1];
        int64_t start;    /* DTSTART, civil seconds */
        char tz[65];      /* absolute mode: the zone start is read in (default "UTC"); local: "UTC" */
        int64_t duration; /* FP_WINDOW_MIN_DURATION .. FP_WINDOW_MAX_DURATION */
        int64_t cutoff;   /* 0 <= cutoff < duration */
};

/* Parses the window JSON of docs/orchestration.md: members mode, rrule, start, tz, duration,
 * cutoff ("name" and "account" are accepted and ignored; any other member is refused).
 * Required: rrule, start, duration. Defaults: mode "local", tz "UTC", cutoff 0.
 * Validates the RRULE with libical (FREQ DAILY/WEEKLY/MONTHLY/YEARLY only, parse errors, never
 * occurs at or after start, openings closer than duration = overlap), the zone (fp_tz_load),
 * limits. diag->field names the member ("window.rrule") and the message says what. */
enum fp_err fp_window_parse(const char *json, size_t len, struct fp_window *out,
                            struct fp_diag *diag);
/* Canonical compact JSON, sorted keys (malloc'd; NULL on ENOMEM); parses back to the same. */
char *fp_window_to_json(const struct fp_window *w);

struct fp_window_occ {
        int64_t open, start_until, close; /* UTC; start_until = close - cutoff */
};
/* Occurrences with close > from and open < to, ascending, at most max (*n = how many written).
 * z: local mode -> the host's zone; absolute mode -> the zone of w->tz (the caller passes it).
 * Each occurrence's local opening is converted with fp_tz_to_utc; close = open + duration in
 * real seconds. Skips ahead cheaply to `from` (icalrecur_iterator_set_start where libical
 * supports it). FP_ELIMIT after FP_WINDOW_MAX_STEPS recurrence steps. Thread-safe. */
enum fp_err fp_window_occurrences(const struct fp_window *w, const struct fp_tz *z, int64_t from,
                                  int64_t to, struct fp_window_occ *out, size_t max, size_t *n,
                                  struct fp_diag *diag);

#endif
