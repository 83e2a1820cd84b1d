/*
 * Time zones against glibc as the oracle: fp_tz_offset / fp_tz_to_local against localtime_r
 * for 36 zones every hour of 2024-2030 and at far-future instants (the footer rule, which glibc
 * uses too); fp_tz_to_utc against mktime(tm_isdst = -1) for exact local times and against a
 * search over glibc's offsets for gaps and repeated times (RFC 5545 3.3.5); the footer rule
 * parser against glibc with TZ set to the rule itself; every TZif file of the system's tzdata;
 * corrupt and over-limit TZif files; the cache from several threads; civil text forms.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fleetpatch/schedule.h"
#include "../test.h"

static const char *const zones[] = {
        "Asia/Kolkata", "Asia/Kathmandu", "Australia/Eucla", "Pacific/Chatham",
        "Australia/Lord_Howe", "America/St_Johns", "Australia/Adelaide", "Europe/London",
        "America/New_York", "Pacific/Apia", "America/Sao_Paulo", "Africa/Casablanca", "UTC",
        "Europe/Berlin", "Europe/Dublin", "Europe/Moscow", "America/Los_Angeles", "America/Chicago",
        "America/Denver", "America/Phoenix", "America/Santiago", "America/Asuncion",
        "America/Havana", "America/Nuuk", "America/Scoresbysund", "Asia/Tehran", "Asia/Jerusalem",
        "Asia/Gaza", "Africa/Cairo", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
        "Pacific/Kiritimati", "Pacific/Pago_Pago", "Antarctica/Troll", "Europe/Lisbon",
        "America/Caracas", "Asia/Dhaka", "Pacific/Norfolk", "America/Godthab"};
#define NZONES (sizeof(zones) / sizeof(zones[0]))

static const char *zoneinfo_dir(void)
{
        const char *d = getenv("FP_ZONEINFO");
        return d && *d ? d : "/usr/share/zoneinfo";
}

static void glibc_zone(const char *name)
{
        char tz[600];
        if (strcmp(name, "UTC") == 0)
                snprintf(tz, sizeof(tz), "UTC0");
        else
                snprintf(tz, sizeof(tz), ":%s/%s", zoneinfo_dir(), name);
        setenv("TZ", tz, 1);
        tzset();
}

static long glibc_off(time_t t)
{
        struct tm tm;
        if (!localtime_r(&t, &tm))
                return LONG_MIN;
        return tm.tm_gmtoff;
}

#define Y2024 1704067200LL /* 2024-01-01T00:00:00Z */
#define Y2031 1924992000LL /* 2031-01-01T00:00:00Z */
#define HOURS ((Y2031 - Y2024) / 3600)

static void test_name_ok(void)
{
        CHECK(fp_tz_name_ok("UTC"));
        CHECK(fp_tz_name_ok("America/Argentina/Buenos_Aires"));
        CHECK(fp_tz_name_ok("Etc/GMT+5"));
        CHECK(fp_tz_name_ok("Etc/GMT-14"));
        CHECK(!fp_tz_name_ok(""));
        CHECK(!fp_tz_name_ok(NULL));
        CHECK(!fp_tz_name_ok("/etc/passwd"));
        CHECK(!fp_tz_name_ok("../etc/passwd"));
        CHECK(!fp_tz_name_ok("America/../../etc"));
        CHECK(!fp_tz_name_ok("America/./New_York"));
        CHECK(!fp_tz_name_ok("America//New_York"));
        CHECK(!fp_tz_name_ok("America/"));
        CHECK(!fp_tz_name_ok("America/New York"));
        CHECK(!fp_tz_name_ok("Europe/Zürich"));
        char n[80];
        memset(n, 'a', 64);
        n[64] = '\0';
        CHECK(fp_tz_name_ok(n)); /* at the limit */
        n[64] = 'a';
        n[65] = '\0';
        CHECK(!fp_tz_name_ok(n)); /* one past */
}

/* Offsets every hour of 2024-2030 and at far-future instants, against glibc. */
static void test_offsets_vs_glibc(void)
{
        for (size_t i = 0; i < NZONES; i++) {
                struct fp_tz *z;
                struct fp_diag d;
                fp_diag_clear(&d);
                enum fp_err err = fp_tz_load(zones[i], &z, &d);
                CHECK_MSG(err == FP_OK, "load %s: %s", zones[i], d.msg);
                if (err != FP_OK)
                        continue;
                CHECK_STR_EQ(fp_tz_name(z), zones[i]);
                glibc_zone(zones[i]);
                unsigned long bad = 0;
                for (int64_t t = Y2024; t < Y2031; t += 3600) {
                        long g = glibc_off((time_t)t);
                        if (fp_tz_offset(z, t) != g || fp_tz_to_local(z, t) != t + g) {
                                if (bad++ < 3)
                                        CHECK_MSG(0, "%s at %lld: ours %d, glibc %ld", zones[i],
                                                  (long long)t, fp_tz_offset(z, t), g);
                        }
                }
                /* Past 2037 (beyond every transition in the table: the footer rule), at odd
                 * minutes, and a few far instants. */
                for (int64_t t = 2145916800LL; t < 2461449600LL; t += 7 * 3600 + 13 * 60) {
                        long g = glibc_off((time_t)t);
                        if (fp_tz_offset(z, t) != g && bad++ < 6)
                                CHECK_MSG(0, "%s at %lld (future): ours %d, glibc %ld", zones[i],
                                          (long long)t, fp_tz_offset(z, t), g);
                }
                static const int64_t far[] = {4102444800LL, 4118083200LL, 7258118400LL,
                                              32503680000LL, 32519318400LL, 253402300799LL};
                for (size_t k = 0; k < sizeof(far) / sizeof(far[0]); k++) {
                        long g = glibc_off((time_t)far[k]);
                        CHECK_MSG(fp_tz_offset(z, far[k]) == g, "%s at %lld: ours %d, glibc %ld",
                                  zones[i], (long long)far[k], fp_tz_offset(z, far[k]), g);
                }
                CHECK_MSG(bad == 0, "%s: %lu offsets differ from glibc", zones[i], bad);
                fp_tz_free(z);
        }
}

/*
 * Local -> UTC. For a local time L the solutions are u = L - o for the offsets o glibc reports
 * within 27 h of L, where glibc's offset at u is o. One: exact, and mktime(tm_isdst = -1) must
 * agree; several: repeated, the first; none: a gap, read with the offset before it.
 */
static void test_to_utc_vs_glibc(void)
{
        long *goff = malloc(sizeof(long) * (size_t)HOURS);
        unsigned long exact = 0, gaps = 0, repeats = 0;

        for (size_t i = 0; i < NZONES; i++) {
                struct fp_tz *z;
                if (fp_tz_load(zones[i], &z, NULL) != FP_OK)
                        continue;
                glibc_zone(zones[i]);
                for (int64_t h = 0; h < HOURS; h++)
                        goff[h] = glibc_off((time_t)(Y2024 + h * 3600));
                unsigned long bad = 0;
                /* every local hour and half past, two days in from the ends of the table */
                for (int64_t L = Y2024 + 2 * 86400; L < Y2031 - 2 * 86400; L += 1800) {
                        long cand[8];
                        int nc = 0;
                        int64_t hi = (L - Y2024) / 3600;
                        int64_t before_gap = LONG_MIN;
                        for (int64_t k = hi - 27; k <= hi + 27; k++) {
                                int j;
                                for (j = 0; j < nc && cand[j] != goff[k]; j++)
                                        ;
                                if (j == nc && nc < 8)
                                        cand[nc++] = goff[k];
                        }
                        int64_t sol[8];
                        int ns = 0;
                        for (int j = 0; j < nc; j++) {
                                int64_t u = L - cand[j];
                                if (glibc_off((time_t)u) == cand[j])
                                        sol[ns++] = u;
                        }
                        int kind = -1;
                        int64_t got = fp_tz_to_utc(z, L, &kind);
                        if (ns == 1) {
                                exact++;
                                time_t lt = (time_t)L;
                                struct tm tm;
                                gmtime_r(&lt, &tm);
                                tm.tm_isdst = -1;
                                time_t m = mktime(&tm);
                                if ((got != sol[0] || kind != FP_TZ_EXACT || m != (time_t)got) &&
                                    bad++ < 3)
                                        CHECK_MSG(0, "%s local %lld: ours %lld kind %d, expected %lld, mktime %lld",
                                                  zones[i], (long long)L, (long long)got, kind,
                                                  (long long)sol[0], (long long)m);
                        } else if (ns > 1) {
                                repeats++;
                                int64_t first = sol[0];
                                for (int j = 1; j < ns; j++)
                                        first = sol[j] < first ? sol[j] : first;
                                if ((got != first || kind != FP_TZ_REPEATED) && bad++ < 3)
                                        CHECK_MSG(0, "%s local %lld repeated: ours %lld kind %d, first %lld",
                                                  zones[i], (long long)L, (long long)got, kind,
                                                  (long long)first);
                        } else {
                                gaps++;
                                /* with one transition near L (true for real zones): the
                                 * instant L - (the larger offset) is before it */
                                long omax = cand[0];
                                for (int j = 1; j < nc; j++)
                                        omax = cand[j] > omax ? cand[j] : omax;
                                before_gap = glibc_off((time_t)(L - omax));
                                if ((before_gap == LONG_MIN || got != L - before_gap ||
                                     kind != FP_TZ_GAP) && bad++ < 3)
                                        CHECK_MSG(0, "%s local %lld gap: ours %lld kind %d, offset before %ld",
                                                  zones[i], (long long)L, (long long)got, kind,
                                                  (long)before_gap);
                        }
                }
                CHECK_MSG(bad == 0, "%s: %lu local times wrong", zones[i], bad);
                fp_tz_free(z);
        }
        fprintf(stderr, "to_utc: %lu exact, %lu repeated, %lu in gaps\n", exact, repeats, gaps);
        CHECK(repeats > 100 && gaps > 100);
        free(goff);
}

static int64_t civil(const char *s)
{
        int64_t c = 0;
        CHECK_MSG(fp_civil_parse(s, &c), "civil %s", s);
        return c;
}

static void check_local(const char *zone, const char *local, int want_kind, const char *want)
{
        struct fp_tz *z;
        char buf[32];
        if (fp_tz_load(zone, &z, NULL) != FP_OK) {
                CHECK_MSG(0, "load %s", zone);
                return;
        }
        int kind = -1;
        int64_t u = fp_tz_to_utc(z, civil(local), &kind);
        fp_time_format_offset(u, fp_tz_offset(z, u), buf);
        CHECK_MSG(kind == want_kind && strcmp(buf, want) == 0, "%s %s: %s kind %d, want %s kind %d",
                  zone, local, buf, kind, want, want_kind);
        fp_tz_free(z);
}

/* The cases of docs/orchestration.md. */
static void test_rfc5545_cases(void)
{
        check_local("America/New_York", "2026-03-08T02:30:00", FP_TZ_GAP, "2026-03-08T03:30:00-04:00");
        check_local("America/New_York", "2026-11-01T01:30:00", FP_TZ_REPEATED,
                    "2026-11-01T01:30:00-04:00");
        check_local("America/New_York", "2026-11-01T02:30:00", FP_TZ_EXACT,
                    "2026-11-01T02:30:00-05:00");
        check_local("Australia/Lord_Howe", "2026-10-04T02:15:00", FP_TZ_GAP,
                    "2026-10-04T02:45:00+11:00");
        check_local("Australia/Lord_Howe", "2026-04-05T01:45:00", FP_TZ_REPEATED,
                    "2026-04-05T01:45:00+11:00");
        check_local("Asia/Kathmandu", "2026-11-28T02:00:00", FP_TZ_EXACT, "2026-11-28T02:00:00+05:45");
        check_local("UTC", "2026-11-28T02:00:00", FP_TZ_EXACT, "2026-11-28T02:00:00Z");
        /* in UTC terms */
        struct fp_tz *z;
        if (fp_tz_load("America/New_York", &z, NULL) == FP_OK) {
                char b[20];
                fp_civil_format(fp_tz_to_utc(z, civil("2026-03-08T02:30:00"), NULL), b);
                CHECK_STR_EQ(b, "2026-03-08T07:30:00");
                fp_civil_format(fp_tz_to_utc(z, civil("2026-11-01T01:30:00"), NULL), b);
                CHECK_STR_EQ(b, "2026-11-01T05:30:00");
                fp_tz_free(z);
        }
}

/* Footer rules against glibc, which reads the same POSIX TZ strings. */
static void test_rules_vs_glibc(void)
{
        static const char *const rules[] = {
                "EST5EDT,M3.2.0,M11.1.0", "<+0545>-5:45", "IST-2IDT,M3.4.4/26,M10.5.0",
                "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "AEST-10AEDT,M10.1.0,M4.1.0/3",
                "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "XXX3YYY,J60/0,J300/1",
                "XXX3YYY,59/0,299/1", "GMT0BST,M3.5.0/1,M10.5.0", "NZST-12NZDT,M9.5.0,M4.1.0/3",
                "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "EST5EDT", "CET-1CEST,M3.5.0,M10.5.0/3",
                "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "NST3:30NDT,M3.2.0,M11.1.0"};
        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
                struct fp_tzrule r;
                struct fp_diag d;
                fp_diag_clear(&d);
                enum fp_err err = fp_tzrule_parse(rules[i], strlen(rules[i]), &r, &d);
                CHECK_MSG(err == FP_OK, "rule %s: %s", rules[i], d.msg);
                if (err != FP_OK)
                        continue;
                setenv("TZ", rules[i], 1);
                tzset();
                unsigned long bad = 0;
                for (int64_t t = Y2024; t < Y2031 + 30LL * 365 * 86400; t += 3 * 3600 + 17 * 60) {
                        long g = glibc_off((time_t)t);
                        if (fp_tzrule_offset(&r, t, NULL) != g && bad++ < 3)
                                CHECK_MSG(0, "rule %s at %lld: ours %d glibc %ld", rules[i],
                                          (long long)t, fp_tzrule_offset(&r, t, NULL), g);
                }
                /* fp_tzrule_next finds exactly the instants where the offset changes */
                int64_t t = Y2024;
                for (int k = 0; k < 20 && r.has_dst; k++) {
                        int64_t nx = fp_tzrule_next(&r, t);
                        CHECK(nx > t && nx < t + 367LL * 86400);
                        CHECK(fp_tzrule_offset(&r, nx - 1, NULL) != fp_tzrule_offset(&r, nx, NULL) ||
                              r.std_off == r.dst_off);
                        t = nx;
                }
        }
        static const char *const badr[] = {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0",
                                           "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
                                           "EST5EDT,J0,J100", "EST5EDT,366,1", "EST5EDT,M3.2.0",
                                           "EST5EDT,M3.2.0,M11.1.0x", "<AB>5", "<+05", "EST25",
                                           "EST5EDT,M3.2.0/168,M11.1.0", "EST5:6"};
        for (size_t i = 0; i < sizeof(badr) / sizeof(badr[0]); i++) {
                struct fp_tzrule r;
                struct fp_diag d;
                fp_diag_clear(&d);
                CHECK_MSG(fp_tzrule_parse(badr[i], strlen(badr[i]), &r, &d) == FP_EPARSE,
                          "rule '%s' accepted", badr[i]);
                CHECK(strstr(d.msg, "character") != NULL);
        }
}

static unsigned char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        unsigned char *buf = malloc(512 * 1024);
        *len = fread(buf, 1, 512 * 1024, f);
        fclose(f);
        return buf;
}

/* Every TZif file of the installed tzdata parses (except right/: leap seconds). */
static unsigned long walk_ok, walk_bad;
static void walk(const char *dir, const char *rel)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        if (!d)
                return;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.' || strcmp(e->d_name, "right") == 0)
                        continue;
                char path[1024], name[600];
                struct stat st;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                /* zone names are short: a longer path is not a zone */
                size_t rl = strlen(rel), nl = strlen(e->d_name), k = rl;
                if (rl + nl + 2 > sizeof(name))
                        continue;
                memcpy(name, rel, rl);
                if (rl)
                        name[k++] = '/';
                memcpy(name + k, e->d_name, nl + 1);
                if (stat(path, &st) != 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        walk(path, name);
                        continue;
                }
                size_t len;
                unsigned char *buf = slurp(path, &len);
                if (!buf)
                        continue;
                if (len >= 4 && memcmp(buf, "TZif", 4) == 0 && fp_tz_name_ok(name)) {
                        struct fp_tz *z;
                        struct fp_diag dg;
                        fp_diag_clear(&dg);
                        if (fp_tz_parse(name, buf, len, &z, &dg) == FP_OK) {
                                walk_ok++;
                                fp_tz_free(z);
                        } else {
                                walk_bad++;
                                CHECK_MSG(0, "%s: %s", name, dg.msg);
                        }
                }
                free(buf);
        }
        closedir(d);
}

/* ---- crafted TZif files ---- */
struct tzb {
        unsigned char b[300000];
        size_t n;
};
static void put32(struct tzb *t, uint32_t v)
{
        t->b[t->n++] = (unsigned char)(v >> 24);
        t->b[t->n++] = (unsigned char)(v >> 16);
        t->b[t->n++] = (unsigned char)(v >> 8);
        t->b[t->n++] = (unsigned char)v;
}
static void put64(struct tzb *t, int64_t v)
{
        put32(t, (uint32_t)((uint64_t)v >> 32));
        put32(t, (uint32_t)v);
}
static void header(struct tzb *t, char ver, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
        memcpy(t->b + t->n, "TZif", 4);
        t->n += 4;
        t->b[t->n++] = (unsigned char)ver;
        memset(t->b + t->n, 0, 15);
        t->n += 15;
        put32(t, 0);
        put32(t, 0);
        put32(t, 0);
        put32(t, timecnt);
        put32(t, typecnt);
        put32(t, charcnt);
}
/* A v2 file: n transitions alternating between +1h and +2h, then the footer. */
static void build_v2(struct tzb *t, uint32_t n, const char *footer)
{
        t->n = 0;
        header(t, '2', 0, 1, 4);
        put32(t, 0);
        t->b[t->n++] = 0;
        t->b[t->n++] = 0;
        memcpy(t->b + t->n, "UTC", 4);
        t->n += 4;
        header(t, '2', n, 2, 8);
        for (uint32_t i = 0; i < n; i++)
                put64(t, 1000000000LL + (int64_t)i * 3600);
        for (uint32_t i = 0; i < n; i++)
                t->b[t->n++] = (unsigned char)(i % 2);
        put32(t, 3600);
        t->b[t->n++] = 0;
        t->b[t->n++] = 0;
        put32(t, 7200);
        t->b[t->n++] = 1;
        t->b[t->n++] = 4;
        memcpy(t->b + t->n, "AAA\0BBB", 8);
        t->n += 8;
        t->b[t->n++] = '\n';
        memcpy(t->b + t->n, footer, strlen(footer));
        t->n += strlen(footer);
        t->b[t->n++] = '\n';
}

static void test_crafted(void)
{
        static struct tzb t;
        struct fp_tz *z;
        struct fp_diag d;

        build_v2(&t, 3, "<+01>-1");
        CHECK(fp_tz_parse("X/Y", t.b, t.n, &z, NULL) == FP_OK);
        if (z) {
                CHECK_INT_EQ(fp_tz_offset(z, 0), 3600);
                CHECK_INT_EQ(fp_tz_offset(z, 1000000000LL + 3600), 7200);
                CHECK_INT_EQ(fp_tz_offset(z, 1000000000LL + 7200 + 5), 3600);
                fp_tz_free(z);
        }
        build_v2(&t, FP_TZ_MAX_TRANSITIONS, "");
        CHECK(fp_tz_parse("X", t.b, t.n, &z, NULL) == FP_OK); /* at the limit */
        fp_tz_free(z);
        build_v2(&t, FP_TZ_MAX_TRANSITIONS + 1, "");
        fp_diag_clear(&d);
        CHECK(fp_tz_parse("X", t.b, t.n, &z, &d) == FP_ELIMIT); /* one past */
        CHECK_MSG(strstr(d.msg, "transitions") && strstr(d.msg, "at byte"), "%s", d.msg);

        /* every truncation of a valid file fails cleanly with an offset */
        build_v2(&t, 3, "<+01>-1");
        for (size_t len = 0; len < t.n; len++) {
                fp_diag_clear(&d);
                enum fp_err e = fp_tz_parse("X", t.b, len, &z, &d);
                CHECK_MSG(e != FP_OK && strstr(d.msg, "byte"), "truncated to %zu: %d %s", len, e, d.msg);
        }
        /* trailing data, bad footer, bad magic, bad version, unsorted, bad type index */
        build_v2(&t, 3, "<+01>-1");
        t.b[t.n++] = 'x';
        CHECK(fp_tz_parse("X", t.b, t.n, &z, NULL) == FP_ECORRUPT);
        build_v2(&t, 3, "<+01>-1,M13");
        fp_diag_clear(&d);
        CHECK(fp_tz_parse("X", t.b, t.n, &z, &d) == FP_EPARSE);
        CHECK_MSG(strstr(d.msg, "byte"), "%s", d.msg);
        build_v2(&t, 3, "");
        t.b[0] = 'X';
        CHECK(fp_tz_parse("X", t.b, t.n, &z, NULL) == FP_EPARSE);
        build_v2(&t, 3, "");
        t.b[4] = '9';
        CHECK(fp_tz_parse("X", t.b, t.n, &z, NULL) == FP_EUNSUPPORTED);
        build_v2(&t, 3, "");
        size_t h2 = 44 + 6 + 4; /* second header: after the v1 type and abbreviations */
        memcpy(t.b + h2 + 44 + 8, t.b + h2 + 44, 8); /* transition 1 = transition 0 */
        fp_diag_clear(&d);
        CHECK(fp_tz_parse("X", t.b, t.n, &z, &d) == FP_ECORRUPT);
        CHECK_MSG(strstr(d.msg, "not after"), "%s", d.msg);
        build_v2(&t, 3, "");
        t.b[h2 + 44 + 24 + 1] = 2; /* type index past typecnt */
        CHECK(fp_tz_parse("X", t.b, t.n, &z, NULL) == FP_ECORRUPT);
        CHECK(fp_tz_parse("../x", t.b, t.n, &z, NULL) == FP_EINVAL);

        /* a real file with leap seconds is refused, not misread */
        size_t len;
        char path[600];
        snprintf(path, sizeof(path), "%s/right/UTC", zoneinfo_dir());
        unsigned char *buf = slurp(path, &len);
        if (buf) {
                CHECK(fp_tz_parse("right/UTC", buf, len, &z, NULL) == FP_EUNSUPPORTED);
                free(buf);
        }
        /* a v1-only rendering: the 32-bit block of a real file with a zeroed version */
        snprintf(path, sizeof(path), "%s/Europe/Paris", zoneinfo_dir());
        buf = slurp(path, &len);
        if (buf) {
                uint32_t c[6];
                for (int i = 0; i < 6; i++)
                        c[i] = (uint32_t)buf[20 + 4 * i] << 24 | (uint32_t)buf[21 + 4 * i] << 16 |
                               (uint32_t)buf[22 + 4 * i] << 8 | buf[23 + 4 * i];
                size_t v1 = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
                buf[4] = 0;
                CHECK(fp_tz_parse("Europe/Paris", buf, v1, &z, NULL) == FP_OK);
                if (z) {
                        glibc_zone("Europe/Paris");
                        for (int64_t tt = 0; tt < 2000000000LL; tt += 86400 * 7 + 3600)
                                if (fp_tz_offset(z, tt) != glibc_off((time_t)tt)) {
                                        CHECK_MSG(0, "v1 Paris at %lld", (long long)tt);
                                        break;
                                }
                        fp_tz_free(z);
                }
                free(buf);
        }
}

static void test_load(void)
{
        struct fp_tz *z;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK(fp_tz_load("Mars/Olympus_Mons", &z, &d) == FP_ENOTFOUND);
        CHECK_STR_EQ(d.msg, "unknown time zone 'Mars/Olympus_Mons'");
        CHECK(fp_tz_load("America", &z, NULL) == FP_ENOTFOUND); /* a directory */
        CHECK(fp_tz_load("../../etc/passwd", &z, NULL) == FP_EINVAL);
        /* UTC without any zoneinfo */
        char *old = getenv("FP_ZONEINFO") ? strdup(getenv("FP_ZONEINFO")) : NULL;
        setenv("FP_ZONEINFO", "/nonexistent", 1);
        CHECK(fp_tz_load("UTC", &z, NULL) == FP_OK);
        if (z) {
                CHECK_INT_EQ(fp_tz_offset(z, 1800000000), 0);
                fp_tz_free(z);
        }
        CHECK(fp_tz_load("Europe/Paris", &z, NULL) == FP_ENOTFOUND);
        /* FP_ZONEINFO points at another directory */
        char dir[] = "/tmp/fp_tz_test_XXXXXX";
        if (mkdtemp(dir)) {
                static struct tzb t;
                char p[600];
                snprintf(p, sizeof(p), "%s/Test", dir);
                mkdir(p, 0700);
                snprintf(p, sizeof(p), "%s/Test/Zone", dir);
                build_v2(&t, 3, "<+01>-1");
                FILE *f = fopen(p, "wb");
                fwrite(t.b, 1, t.n, f);
                fclose(f);
                setenv("FP_ZONEINFO", dir, 1);
                CHECK(fp_tz_load("Test/Zone", &z, NULL) == FP_OK);
                if (z) {
                        CHECK_INT_EQ(fp_tz_offset(z, 0), 3600);
                        fp_tz_free(z);
                }
                remove(p);
                snprintf(p, sizeof(p), "%s/Test", dir);
                rmdir(p);
                rmdir(dir);
        }
        if (old) {
                setenv("FP_ZONEINFO", old, 1);
                free(old);
        } else {
                unsetenv("FP_ZONEINFO");
        }
        CHECK(fp_tz_fixed("Fixed/Plus", 5 * 3600 + 1800, &z, NULL) == FP_OK);
        if (z) {
                CHECK_INT_EQ(fp_tz_to_utc(z, 5 * 3600 + 1800, NULL), 0);
                fp_tz_free(z);
        }
}

static struct fp_tz_cache *g_cache;
static const struct fp_tz *g_seen[4][NZONES];
static void *cache_thread(void *arg)
{
        size_t k = (size_t)(uintptr_t)arg;
        for (int rep = 0; rep < 50; rep++)
                for (size_t i = 0; i < NZONES; i++) {
                        const struct fp_tz *z = NULL;
                        size_t j = (i + k * 7) % NZONES;
                        if (fp_tz_cache_get(g_cache, zones[j], &z, NULL) != FP_OK)
                                continue;
                        if (rep == 0)
                                g_seen[k][j] = z;
                        else if (g_seen[k][j] != z)
                                g_seen[k][j] = NULL;
                        (void)fp_tz_to_utc(z, 1800000000LL + rep * 3600, NULL);
                }
        return NULL;
}

static void test_cache(void)
{
        pthread_t th[4];
        g_cache = fp_tz_cache_new();
        CHECK(g_cache != NULL);
        for (size_t k = 0; k < 4; k++)
                pthread_create(&th[k], NULL, cache_thread, (void *)(uintptr_t)k);
        for (size_t k = 0; k < 4; k++)
                pthread_join(th[k], NULL);
        for (size_t i = 0; i < NZONES; i++)
                for (size_t k = 1; k < 4; k++)
                        CHECK_MSG(g_seen[k][i] && g_seen[k][i] == g_seen[0][i], "cache %s", zones[i]);
        const struct fp_tz *z;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK(fp_tz_cache_get(g_cache, "Nowhere/Land", &z, &d) == FP_ENOTFOUND);
        CHECK_STR_EQ(d.msg, "unknown time zone 'Nowhere/Land'");
        CHECK(fp_tz_cache_get(g_cache, "a/../b", &z, NULL) == FP_EINVAL);
        fp_tz_cache_free(g_cache);
}

static void test_civil(void)
{
        int64_t c;
        char b[20], o[32];
        CHECK(fp_civil_parse("1970-01-01T00:00:00", &c) && c == 0);
        CHECK(fp_civil_parse("2026-11-28T02:00:00", &c) && c == 1795831200LL);
        fp_civil_format(c, b);
        CHECK_STR_EQ(b, "2026-11-28T02:00:00");
        CHECK(fp_civil_parse("1969-12-31T23:59:59", &c) && c == -1);
        fp_civil_format(-1, b);
        CHECK_STR_EQ(b, "1969-12-31T23:59:59");
        CHECK(fp_civil_parse("2024-02-29T12:00:00", &c));
        CHECK(!fp_civil_parse("2026-02-29T12:00:00", &c));
        CHECK(!fp_civil_parse("2026-02-30T12:00:00", &c));
        CHECK(!fp_civil_parse("2026-13-01T12:00:00", &c));
        CHECK(!fp_civil_parse("2026-11-28T24:00:00", &c));
        CHECK(!fp_civil_parse("2026-11-28T02:00:00Z", &c));
        CHECK(!fp_civil_parse("2026-11-28 02:00:00", &c));
        CHECK(!fp_civil_parse("0000-01-01T00:00:00", &c));
        CHECK(!fp_civil_parse("+026-11-28T02:00:00", &c));
        /* round trip against timegm for a sweep of instants */
        for (int64_t t = -30610224000LL; t < 253402300799LL; t += 86400LL * 97 + 3671) {
                time_t tt = (time_t)t;
                struct tm tm;
                char g[32];
                gmtime_r(&tt, &tm);
                strftime(g, sizeof(g), "%Y-%m-%dT%H:%M:%S", &tm);
                fp_civil_format(t, b);
                if (strcmp(b, g) != 0 || !fp_civil_parse(b, &c) || c != t) {
                        CHECK_MSG(0, "civil %lld: %s vs %s", (long long)t, b, g);
                        break;
                }
        }
        fp_time_format_offset(1795831200LL - 20700, 20700, o);
        CHECK_STR_EQ(o, "2026-11-28T02:00:00+05:45");
        fp_time_format_offset(1795831200LL, 0, o);
        CHECK_STR_EQ(o, "2026-11-28T02:00:00Z");
        fp_time_format_offset(1795831200LL + 12600, -12600, o);
        CHECK_STR_EQ(o, "2026-11-28T02:00:00-03:30");
}

int main(void)
{
        test_name_ok();
        test_civil();
        test_offsets_vs_glibc();
        test_to_utc_vs_glibc();
        test_rfc5545_cases();
        test_rules_vs_glibc();
        walk(zoneinfo_dir(), "");
        fprintf(stderr, "tzdata: %lu TZif files parsed, %lu refused\n", walk_ok, walk_bad);
        CHECK(walk_ok > 300 && walk_bad == 0);
        test_crafted();
        test_load();
        test_cache();
        return fp_test_finish();
}
