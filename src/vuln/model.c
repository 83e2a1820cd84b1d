/* Names and small conversions of the advisory model (fleetpatch/vuln.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fleetpatch/vuln.h"

static const char *const severity_names[] = {"unknown", "negligible", "low",
                                             "medium",  "high",       "critical"};

const char *fp_severity_name(enum fp_severity s)
{
        if ((unsigned)s >= sizeof(severity_names) / sizeof(severity_names[0]))
                return "unknown";
        return severity_names[s];
}

bool fp_severity_parse(const char *word, enum fp_severity *out)
{
        static const struct {
                const char *word;
                enum fp_severity sev;
        } words[] = {
                {"unknown", FP_SEV_UNKNOWN},       {"not yet assigned", FP_SEV_UNKNOWN},
                {"none", FP_SEV_UNKNOWN},          {"end-of-life", FP_SEV_UNKNOWN},
                {"negligible", FP_SEV_NEGLIGIBLE}, {"unimportant", FP_SEV_NEGLIGIBLE},
                {"low", FP_SEV_LOW},               {"medium", FP_SEV_MEDIUM},
                {"moderate", FP_SEV_MEDIUM},       {"high", FP_SEV_HIGH},
                {"important", FP_SEV_HIGH},        {"critical", FP_SEV_CRITICAL},
        };
        *out = FP_SEV_UNKNOWN;
        if (!word)
                return false;
        size_t len = strlen(word);
        /* Debian marks urgencies set without a full analysis with "*" or "**". */
        while (len > 0 && (word[len - 1] == '*' || word[len - 1] == ' '))
                len--;
        while (len > 0 && *word == ' ') {
                word++;
                len--;
        }
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
                if (strlen(words[i].word) == len && strncasecmp(words[i].word, word, len) == 0) {
                        *out = words[i].sev;
                        return true;
                }
        }
        return false;
}

enum fp_severity fp_severity_from_cvss(double score)
{
        if (!(score > 0.0))
                return FP_SEV_UNKNOWN;
        if (score < 4.0)
                return FP_SEV_LOW;
        if (score < 7.0)
                return FP_SEV_MEDIUM;
        if (score < 9.0)
                return FP_SEV_HIGH;
        return FP_SEV_CRITICAL;
}

static const char *const feed_names[] = {
#define FP_FEED_NAME(name, str) str,
        FP_FEED_KINDS(FP_FEED_NAME)
#undef FP_FEED_NAME
};

const char *fp_feed_kind_name(enum fp_feed_kind k)
{
        if ((unsigned)k >= FP_FEED__COUNT)
                return "unknown";
        return feed_names[k];
}

bool fp_feed_kind_parse(const char *s, enum fp_feed_kind *out)
{
        for (int i = 0; i < FP_FEED__COUNT; i++) {
                if (s && strcmp(s, feed_names[i]) == 0) {
                        *out = (enum fp_feed_kind)i;
                        return true;
                }
        }
        return false;
}

const char *fp_vuln_state_name(enum fp_vuln_state s)
{
        switch (s) {
        case FP_VS_AFFECTED: return "affected";
        case FP_VS_NOT_AFFECTED: return "not-affected";
        case FP_VS_WONTFIX: return "will-not-fix";
        case FP_VS_NODSA: return "no-dsa";
        case FP_VS_POSTPONED: return "postponed";
        case FP_VS_UNDETERMINED: return "undetermined";
        }
        return "unknown";
}

/* n digits at *p into *v; advances *p. */
static bool digits(const char **p, int n, int *v)
{
        int x = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return false;
                x = x * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *v = x;
        return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool fp_parse_date(const char *s, int64_t *out)
{
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int y, mo, d, h = 0, mi = 0, sec = 0;
        const char *p = s;
        if (!s || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
            !digits(&p, 2, &d))
                return false;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
                return false;
        int64_t offset = 0;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
                        return false;
                if (*p == ':') {
                        p++;
                        if (!digits(&p, 2, &sec))
                                return false;
                        if (*p == '.') {
                                p++;
                                if (!isdigit((unsigned char)*p))
                                        return false;
                                while (isdigit((unsigned char)*p))
                                        p++;
                        }
                }
                if (h > 23 || mi > 59 || sec > 60)
                        return false;
                if (*p == 'Z' || *p == 'z') {
                        p++;
                } else if (*p == '+' || *p == '-') {
                        int sign = *p++ == '-' ? -1 : 1, oh, om;
                        if (!digits(&p, 2, &oh))
                                return false;
                        if (*p == ':')
                                p++;
                        if (!digits(&p, 2, &om) || oh > 23 || om > 59)
                                return false;
                        offset = sign * (oh * 3600 + om * 60);
                }
        }
        if (*p != '\0')
                return false;
        *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
        return true;
}

void fp_format_date(int64_t t, char out[32])
{
        if (t == 0) {
                out[0] = '\0';
                return;
        }
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                out[0] = '\0';
}

int64_t fp_now(void)
{
        /* Tests pin the clock (exception expiry, SLA deadlines) with FP_NOW=<date>. */
        const char *pinned = getenv("FP_NOW");
        int64_t t;
        if (pinned && *pinned && fp_parse_date(pinned, &t))
                return t;
        return (int64_t)time(NULL);
}
