/*
 * Maintenance windows: parsing and refusals (each naming the member), the canonical JSON round
 * trip, and occurrences against independent oracles: the dates come from our own calendar
 * arithmetic (weekdays, month days) and each opening instant from glibc's mktime in the zone
 * (exact local times) or from fp_tz_to_utc's RFC 5545 rule (tested against glibc in tz_test)
 * for the gap days; skipping ahead equals iterating from DTSTART; four threads agree; timing.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/schedule.h"
#include "../test.h"

static enum fp_err parse(const char *json, struct fp_window *w, struct fp_diag *d)
{
        fp_diag_clear(d);
        return fp_window_parse(json, strlen(json), w, d);
}

static void refuse(const char *json, enum fp_err want, const char *field, const char *msg_part)
{
        struct fp_window w;
        struct fp_diag d;
        enum fp_err e = parse(json, &w, &d);
        CHECK_MSG(e == want && strcmp(d.field, field) == 0 && strstr(d.msg, msg_part),
                  "%s: got %s field '%s' msg '%s', want %s %s '%s'", json, fp_errname(e), d.field,
                  d.msg, fp_errname(want), field, msg_part);
}

static void test_parse(void)
{
        struct fp_window w, w2;
        struct fp_diag d;
        const char *doc = "{\"name\": \"sat-night\", \"account\": \"prod\", \"mode\": \"local\", "
                          "\"rrule\": \"FREQ=WEEKLY;BYDAY=SA\", \"start\": \"2026-11-28T02:00:00\", "
                          "\"tz\": \"UTC\", \"duration\": 14400, \"cutoff\": 3600}";
        CHECK_MSG(parse(doc, &w, &d) == FP_OK, "%s", d.msg);
        CHECK(w.mode == FP_WINDOW_LOCAL);
        CHECK_STR_EQ(w.rrule, "FREQ=WEEKLY;BYDAY=SA");
        CHECK_STR_EQ(w.tz, "UTC");
        CHECK_INT_EQ(w.duration, 14400);
        CHECK_INT_EQ(w.cutoff, 3600);
        char *j = fp_window_to_json(&w);
        CHECK_STR_EQ(j, "{\"cutoff\":3600,\"duration\":14400,\"mode\":\"local\",\"rrule\":"
                        "\"FREQ=WEEKLY;BYDAY=SA\",\"start\":\"2026-11-28T02:00:00\",\"tz\":\"UTC\"}");
        CHECK(j && parse(j, &w2, &d) == FP_OK && memcmp(&w, &w2, sizeof(w)) == 0);
        free(j);

        const char *abs = "{\"mode\":\"absolute\",\"rrule\":\"FREQ=MONTHLY;BYDAY=1SU\","
                          "\"start\":\"2026-01-04T22:00:00\",\"tz\":\"Asia/Kathmandu\",\"duration\":7200}";
        CHECK_MSG(parse(abs, &w, &d) == FP_OK, "%s", d.msg);
        CHECK(w.mode == FP_WINDOW_ABSOLUTE && w.cutoff == 0);
        CHECK_STR_EQ(w.tz, "Asia/Kathmandu");
        j = fp_window_to_json(&w);
        CHECK(j && parse(j, &w2, &d) == FP_OK && memcmp(&w, &w2, sizeof(w)) == 0);
        free(j);

        CHECK(parse("{\"rrule\":\"FREQ=DAILY;COUNT=3\",\"start\":\"2026-01-01T00:00:00\","
                    "\"duration\":300}", &w, &d) == FP_OK);
        CHECK(parse("{\"rrule\":\"FREQ=YEARLY;UNTIL=20300101T000000\",\"start\":\"2026-01-01T00:00:00\","
                    "\"duration\":604800,\"cutoff\":604799}", &w, &d) == FP_OK);

        /* refusals, each naming its member */
        refuse("{\"rrule\":\"FREQ=WEEKLY;BYDAY=XX\",\"start\":\"2026-01-01T00:00:00\",\"duration\":3600}",
               FP_EPARSE, "window.rrule", "window.rrule: not a valid");
        refuse("{\"rrule\":\"FREQ=SECONDLY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":3600}",
               FP_EINVAL, "window.rrule", "FREQ=SECONDLY is not allowed");
        refuse("{\"rrule\":\"FREQ=HOURLY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":3600}",
               FP_EINVAL, "window.rrule", "FREQ=HOURLY");
        refuse("{\"rrule\":\"FREQ=DAILY;COUNT=3;UNTIL=20270101\",\"start\":\"2026-01-01T00:00:00\","
               "\"duration\":3600}", FP_EPARSE, "window.rrule", "COUNT and UNTIL");
        refuse("{\"rrule\":\"FREQ=DAILY;UNTIL=20250101T000000\",\"start\":\"2026-01-01T00:00:00\","
               "\"duration\":3600}", FP_EINVAL, "window.rrule", "never occurs");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":172800}",
               FP_EINVAL, "window.rrule", "overlap");
        refuse("{\"rrule\":\"FREQ=WEEKLY;BYDAY=SA,SU\",\"start\":\"2026-01-01T00:00:00\","
               "\"duration\":90000}", FP_EINVAL, "window.rrule", "overlap");
        /* the leap day shows up within the first openings */
        refuse("{\"rrule\":\"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29\",\"start\":\"2025-01-01T00:00:00\","
               "\"duration\":90000}", FP_EINVAL, "window.rrule", "overlap");
        CHECK(parse("{\"rrule\":\"FREQ=WEEKLY;BYDAY=SA,SU\",\"start\":\"2026-01-01T00:00:00\","
                    "\"duration\":86400}", &w, &d) == FP_OK);
        refuse("{\"mode\":\"absolute\",\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\","
               "\"tz\":\"Mars/Olympus_Mons\",\"duration\":3600}", FP_ENOTFOUND, "window.tz",
               "unknown time zone 'Mars/Olympus_Mons'");
        refuse("{\"mode\":\"absolute\",\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\","
               "\"tz\":\"../etc\",\"duration\":3600}", FP_EINVAL, "window.tz", "invalid");
        refuse("{\"mode\":\"local\",\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\","
               "\"tz\":\"Europe/Paris\",\"duration\":3600}", FP_EINVAL, "window.tz", "absolute");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":3600,"
               "\"cutoff\":3600}", FP_EINVAL, "window.cutoff", "< duration");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":3600,"
               "\"cutoff\":-1}", FP_EINVAL, "window.cutoff", ">= 0");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":299}",
               FP_ELIMIT, "window.duration", "299");
        CHECK(parse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":300}",
                    &w, &d) == FP_OK);
        refuse("{\"rrule\":\"FREQ=WEEKLY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":604801}",
               FP_ELIMIT, "window.duration", "604801");
        CHECK(parse("{\"rrule\":\"FREQ=WEEKLY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":604800}",
                    &w, &d) == FP_OK);
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-02-30T00:00:00\",\"duration\":3600}",
               FP_EPARSE, "window.start", "YYYY");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"1960-01-01T00:00:00\",\"duration\":3600}",
               FP_ELIMIT, "window.start", "year");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"duration\":3600}", FP_EPARSE, "window.start", "missing");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":\"3600\"}",
               FP_EPARSE, "window.duration", "not an integer");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":3600,"
               "\"mode\":\"global\"}", FP_EINVAL, "window.mode", "global");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":3600,"
               "\"owner\":\"x\"}", FP_EPARSE, "window", "unknown member 'owner'");
        refuse("{\"rrule\":\"FREQ=DAILY\",\"rrule\":\"FREQ=WEEKLY\",\"start\":\"2026-01-01T00:00:00\","
               "\"duration\":3600}", FP_EPARSE, "window", "invalid JSON");
        refuse("[1]", FP_EPARSE, "window", "not a JSON object");
        refuse("{\"rrule\":\"FREQ=DAILY;RSCALE=HEBREW\",\"start\":\"2026-01-01T00:00:00\","
               "\"duration\":3600}", FP_EUNSUPPORTED, "window.rrule", "RSCALE");

        /* the RRULE at its limit and one past; the document at its limit and one past */
        char rr[FP_MAX_RRULE + 2], doc2[FP_MAX_WINDOW_JSON + 64];
        /* a long but valid rule: yearly on days 1, 2, 3, ... and -1 (Dec 31) padded with zeros */
        snprintf(rr, sizeof(rr), "FREQ=YEARLY;BYYEARDAY=1");
        for (int k = 2; strlen(rr) + 7 <= FP_MAX_RRULE; k++)
                snprintf(rr + strlen(rr), sizeof(rr) - strlen(rr), ",%d", k);
        strcat(rr, ",-");
        while (strlen(rr) + 1 < FP_MAX_RRULE)
                strcat(rr, "0");
        strcat(rr, "1");
        CHECK_INT_EQ(strlen(rr), FP_MAX_RRULE);
        snprintf(doc2, sizeof(doc2), "{\"rrule\":\"%s\",\"start\":\"2026-01-01T00:00:00\",\"duration\":300}", rr);
        CHECK_MSG(parse(doc2, &w, &d) == FP_OK, "rrule at the limit: %s", d.msg);
        strcat(rr, "1");
        snprintf(doc2, sizeof(doc2), "{\"rrule\":\"%s\",\"start\":\"2026-01-01T00:00:00\",\"duration\":300}", rr);
        refuse(doc2, FP_ELIMIT, "window.rrule", "longer than 512");
        size_t base = strlen("{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":300}");
        snprintf(doc2, sizeof(doc2), "{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T00:00:00\",\"duration\":300}%*s",
                 (int)(FP_MAX_WINDOW_JSON - base), "");
        CHECK_INT_EQ(strlen(doc2), FP_MAX_WINDOW_JSON);
        CHECK(parse(doc2, &w, &d) == FP_OK);
        strcat(doc2, " ");
        refuse(doc2, FP_ELIMIT, "window", "limit");
}

/* ---- occurrences against oracles ---- */

static int64_t civil(const char *s)
{
        int64_t c = 0;
        CHECK_MSG(fp_civil_parse(s, &c), "civil %s", s);
        return c;
}

/* glibc: local civil time in zone -> UTC (exact local times only). */
static int64_t glibc_mktime(const char *zone, int64_t local)
{
        char tz[300];
        snprintf(tz, sizeof(tz), strcmp(zone, "UTC") ? ":%s/%s" : "UTC0",
                 getenv("FP_ZONEINFO") ? getenv("FP_ZONEINFO") : "/usr/share/zoneinfo", zone);
        setenv("TZ", tz, 1);
        tzset();
        time_t lt = (time_t)local;
        struct tm tm;
        gmtime_r(&lt, &tm);
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}

static int weekday(int64_t civil_secs) /* 0 = Sunday */
{
        int64_t days = civil_secs / 86400 - (civil_secs % 86400 < 0);
        return (int)(((days % 7) + 7 + 4) % 7);
}

static void window_of(struct fp_window *w, const char *json)
{
        struct fp_diag d;
        CHECK_MSG(parse(json, w, &d) == FP_OK, "%s: %s", json, d.msg);
}

/* Weekly on Saturdays at 02:00 local, all of 2026, in New York and Lord Howe: the dates from
 * weekday arithmetic, the instants from glibc. */
static void test_weekly_local(const char *zone)
{
        struct fp_window w;
        struct fp_tz *z;
        struct fp_window_occ occ[80];
        size_t n;
        window_of(&w, "{\"rrule\":\"FREQ=WEEKLY;BYDAY=SA\",\"start\":\"2025-06-07T02:00:00\","
                      "\"duration\":14400,\"cutoff\":3600}");
        if (fp_tz_load(zone, &z, NULL) != FP_OK) {
                CHECK_MSG(0, "load %s", zone);
                return;
        }
        int64_t from = glibc_mktime(zone, civil("2026-01-01T00:00:00"));
        int64_t to = glibc_mktime(zone, civil("2027-01-01T00:00:00"));
        CHECK(fp_window_occurrences(&w, z, from, to, occ, 80, &n, NULL) == FP_OK);
        size_t k = 0;
        for (int64_t day = civil("2026-01-01T00:00:00"); day < civil("2027-01-01T00:00:00"); day += 86400) {
                if (weekday(day) != 6)
                        continue;
                int64_t open = glibc_mktime(zone, day + 7200);
                CHECK_MSG(k < n && occ[k].open == open && occ[k].close == open + 14400 &&
                                  occ[k].start_until == open + 14400 - 3600,
                          "%s occurrence %zu: %lld want %lld", zone, k, k < n ? (long long)occ[k].open : 0LL,
                          (long long)open);
                k++;
        }
        CHECK_INT_EQ(n, k);
        CHECK_INT_EQ(n, 52);
        fp_tz_free(z);
}

/* Daily at 02:15 local through Lord Howe's 30-minute spring-forward day and New York's. */
static void test_daily_gap(const char *zone, const char *from_s, const char *gapday)
{
        struct fp_window w;
        struct fp_tz *z;
        struct fp_window_occ occ[16];
        size_t n;
        window_of(&w, "{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T02:15:00\",\"duration\":3600}");
        if (fp_tz_load(zone, &z, NULL) != FP_OK)
                return;
        int64_t c0 = civil(from_s);
        CHECK(fp_window_occurrences(&w, z, glibc_mktime(zone, c0), glibc_mktime(zone, c0 + 7 * 86400),
                                    occ, 16, &n, NULL) == FP_OK);
        CHECK_INT_EQ(n, 7);
        int64_t gd = civil(gapday);
        for (size_t i = 0; i < n; i++) {
                int64_t local = c0 + (int64_t)i * 86400 + 8100;
                int kind;
                int64_t want = fp_tz_to_utc(z, local, &kind);
                if (local / 86400 != gd / 86400) {
                        CHECK(kind == FP_TZ_EXACT);
                        want = glibc_mktime(zone, local);
                } else {
                        CHECK(kind == FP_TZ_GAP);
                }
                CHECK_MSG(occ[i].open == want && occ[i].close - occ[i].open == 3600,
                          "%s day %zu: %lld want %lld", zone, i, (long long)occ[i].open, (long long)want);
        }
        fp_tz_free(z);
}

/* Absolute mode: one instant everywhere, start read in tz. */
static void test_absolute(void)
{
        struct fp_window w;
        struct fp_tz *z;
        struct fp_window_occ occ[20];
        size_t n;
        window_of(&w, "{\"mode\":\"absolute\",\"rrule\":\"FREQ=MONTHLY;BYDAY=1SU\","
                      "\"start\":\"2026-01-04T22:00:00\",\"tz\":\"America/New_York\",\"duration\":7200}");
        if (fp_tz_load(w.tz, &z, NULL) != FP_OK)
                return;
        CHECK(fp_window_occurrences(&w, z, 0, INT64_MAX, occ, 12, &n, NULL) == FP_OK);
        CHECK_INT_EQ(n, 12);
        for (int m = 1; m <= 12 && (size_t)(m - 1) < n; m++) {
                char s[20];
                snprintf(s, sizeof(s), "2026-%02d-01T22:00:00", m);
                int64_t day = civil(s);
                while (weekday(day) != 0)
                        day += 86400;
                CHECK_INT_EQ(occ[m - 1].open, glibc_mktime("America/New_York", day));
        }
        fp_tz_free(z);
}

/* COUNT and UNTIL (inclusive), and monthly on the 31st (skips short months). */
static void test_count_until(void)
{
        struct fp_window w;
        struct fp_tz *z;
        struct fp_window_occ occ[40];
        size_t n;
        fp_tz_load("UTC", &z, NULL);
        window_of(&w, "{\"rrule\":\"FREQ=DAILY;COUNT=5\",\"start\":\"2026-03-01T10:00:00\",\"duration\":600}");
        CHECK(fp_window_occurrences(&w, z, 0, INT64_MAX, occ, 40, &n, NULL) == FP_OK);
        CHECK_INT_EQ(n, 5);
        CHECK_INT_EQ(occ[4].open, civil("2026-03-05T10:00:00"));
        window_of(&w, "{\"rrule\":\"FREQ=WEEKLY;UNTIL=20260322T100000\",\"start\":\"2026-03-01T10:00:00\","
                      "\"duration\":600}");
        CHECK(fp_window_occurrences(&w, z, 0, INT64_MAX, occ, 40, &n, NULL) == FP_OK);
        CHECK_INT_EQ(n, 4);
        window_of(&w, "{\"rrule\":\"FREQ=MONTHLY;BYMONTHDAY=31\",\"start\":\"2026-01-01T10:00:00\","
                      "\"duration\":600}");
        CHECK(fp_window_occurrences(&w, z, 0, civil("2027-01-01T00:00:00"), occ, 40, &n, NULL) == FP_OK);
        CHECK_INT_EQ(n, 7);
        /* from/to bounds: an occurrence open at `from` is included (close > from) */
        window_of(&w, "{\"rrule\":\"FREQ=DAILY\",\"start\":\"2026-01-01T10:00:00\",\"duration\":3600}");
        int64_t f = civil("2026-06-10T10:30:00");
        CHECK(fp_window_occurrences(&w, z, f, f + 86400, occ, 40, &n, NULL) == FP_OK);
        CHECK(n == 2 && occ[0].open == civil("2026-06-10T10:00:00"));
        CHECK(fp_window_occurrences(&w, z, f, f + 86400, occ, 1, &n, NULL) == FP_OK && n == 1);
        fp_tz_free(z);
}

/* Skipping ahead (icalrecur_iterator_set_start) gives what iterating from DTSTART gives. */
static void test_skip_equals_full(void)
{
        static const char *const rules[] = {
                "FREQ=WEEKLY;BYDAY=SA", "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SA", "FREQ=DAILY;INTERVAL=5",
                "FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=2",
                "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU", "FREQ=MONTHLY;BYMONTHDAY=-1",
                "FREQ=YEARLY;INTERVAL=2;BYYEARDAY=100", "FREQ=DAILY;BYHOUR=1,13"};
        struct fp_tz *z;
        if (fp_tz_load("Australia/Lord_Howe", &z, NULL) != FP_OK)
                return;
        static struct fp_window_occ all[8000], part[200];
        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
                char json[300];
                struct fp_window w;
                size_t na, np;
                snprintf(json, sizeof(json), "{\"rrule\":\"%s\",\"start\":\"2023-02-17T02:15:00\",\"duration\":1800}",
                         rules[i]);
                window_of(&w, json);
                CHECK(fp_window_occurrences(&w, z, 0, civil("2031-01-01T00:00:00"), all, 8000, &na, NULL) == FP_OK);
                for (int64_t from = civil("2024-01-01T00:00:00"); from < civil("2030-01-01T00:00:00");
                     from += 86400 * 37 + 3333) {
                        int64_t to = from + 86400 * 200;
                        CHECK(fp_window_occurrences(&w, z, from, to, part, 200, &np, NULL) == FP_OK);
                        size_t k = 0, bad = 0;
                        for (size_t j = 0; j < na && k < np + 1; j++) {
                                if (all[j].close <= from || all[j].open >= to)
                                        continue;
                                if (k == np && np == 200)
                                        break; /* part is full */
                                if (k >= np || memcmp(&all[j], &part[k], sizeof(all[j])) != 0)
                                        bad++;
                                k++;
                        }
                        CHECK_MSG(bad == 0 && k == np, "%s from %lld: %zu of %zu differ (%zu)", rules[i],
                                  (long long)from, bad, k, np);
                        if (bad)
                                break;
                }
        }
        fp_tz_free(z);
}

static struct fp_window g_w;
static const struct fp_tz *g_z;
static struct fp_window_occ g_ref[60];
static size_t g_nref;
static int g_bad;
static void *occ_thread(void *arg)
{
        (void)arg;
        struct fp_window_occ o[60];
        size_t n;
        for (int i = 0; i < 300; i++) {
                if (fp_window_occurrences(&g_w, g_z, 1790000000LL, 1790000000LL + 86400 * 365, o, 60,
                                          &n, NULL) != FP_OK ||
                    n != g_nref || memcmp(o, g_ref, n * sizeof(o[0])) != 0)
                        __atomic_add_fetch(&g_bad, 1, __ATOMIC_RELAXED);
        }
        return NULL;
}

static void test_threads(void)
{
        struct fp_tz_cache *c = fp_tz_cache_new();
        window_of(&g_w, "{\"rrule\":\"FREQ=WEEKLY;BYDAY=SA\",\"start\":\"2025-06-07T02:00:00\",\"duration\":3600}");
        if (fp_tz_cache_get(c, "Pacific/Chatham", &g_z, NULL) != FP_OK)
                return;
        CHECK(fp_window_occurrences(&g_w, g_z, 1790000000LL, 1790000000LL + 86400 * 365, g_ref, 60,
                                    &g_nref, NULL) == FP_OK);
        pthread_t th[4];
        for (int i = 0; i < 4; i++)
                pthread_create(&th[i], NULL, occ_thread, NULL);
        for (int i = 0; i < 4; i++)
                pthread_join(th[i], NULL);
        CHECK_INT_EQ(g_bad, 0);
        fp_tz_cache_free(c);
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Not a pass/fail check: the cost the scheduler pays per zone and tick. */
static void test_timing(void)
{
        struct fp_tz *z;
        struct fp_window w;
        struct fp_window_occ o[8];
        size_t n;
        if (fp_tz_load("Europe/London", &z, NULL) != FP_OK)
                return;
        static const char *const rules[] = {"FREQ=WEEKLY;BYDAY=SA", "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SA;COUNT=1000"};
        for (size_t r = 0; r < 3; r++) {
                char json[200];
                snprintf(json, sizeof(json), "{\"rrule\":\"%s\",\"start\":\"2025-11-22T02:00:00\",\"duration\":3600}", rules[r]);
                window_of(&w, json);
                int64_t now = civil("2026-11-23T12:00:00");
                int reps = 2000;
                double t0 = now_s();
                for (int i = 0; i < reps; i++)
                        CHECK(fp_window_occurrences(&w, z, now, now + 14 * 86400, o, 8, &n, NULL) == FP_OK);
                double per = (now_s() - t0) / reps;
                fprintf(stderr, "timing: %s, start a year back, next 14 days (%zu occurrences): %.1f us per call\n",
                        rules[r], n, per * 1e6);
        }
        fp_tz_free(z);
}

int main(void)
{
        test_parse();
        test_weekly_local("America/New_York");
        test_weekly_local("Australia/Lord_Howe");
        test_weekly_local("Asia/Kathmandu");
        test_daily_gap("America/New_York", "2026-03-05T00:00:00", "2026-03-08T00:00:00");
        test_daily_gap("Australia/Lord_Howe", "2026-10-01T00:00:00", "2026-10-04T00:00:00");
        test_absolute();
        test_count_until();
        test_skip_equals_full();
        test_threads();
        test_timing();
        return fp_test_finish();
}
