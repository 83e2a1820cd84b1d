/*
 * POSIX TZ rules as found in the footer of TZif v2+ files (RFC 9636 3.3, with the v3
 * extensions: rule times from -167h to 167h). Used for instants after a zone's last
 * transition. Also the proleptic Gregorian calendar helpers of src/core/schedule.
 */
#include <stdio.h>
#include <string.h>

#include "fleetpatch/schedule.h"

/* Instants are clamped to +-2^50 s (~35 million years) before any calendar arithmetic, so
 * nothing can overflow; no real schedule comes near. */
#define TIME_LIMIT (INT64_C(1) << 50)

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t fp_days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

void fp_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
        days += 719468;
        int64_t era = (days >= 0 ? days : days - 146096) / 146097;
        int64_t doe = days - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
        int64_t q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t clamp_time(int64_t t)
{
        return t > TIME_LIMIT ? TIME_LIMIT : t < -TIME_LIMIT ? -TIME_LIMIT : t;
}

static bool is_leap(int64_t y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
        static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* ---- parsing ---- */

struct cur {
        const char *s;
        size_t len, pos;
};

static int peek(const struct cur *c)
{
        return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static bool is_digit(int ch)
{
        return ch >= '0' && ch <= '9';
}

static bool is_alpha(int ch)
{
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* std or dst designation: 3+ letters, or <...> with [A-Za-z0-9+-], 3+ characters. */
static bool parse_name(struct cur *c)
{
        size_t n = 0;
        if (peek(c) == '<') {
                c->pos++;
                while (peek(c) >= 0 && peek(c) != '>') {
                        int ch = peek(c);
                        if (!is_alpha(ch) && !is_digit(ch) && ch != '+' && ch != '-')
                                return false;
                        c->pos++;
                        n++;
                }
                if (peek(c) != '>')
                        return false;
                c->pos++;
                return n >= 3;
        }
        while (is_alpha(peek(c))) {
                c->pos++;
                n++;
        }
        return n >= 3;
}

/* [+-]hh[:mm[:ss]] with hh <= maxh; seconds into *out. */
static bool parse_hms(struct cur *c, int maxh, bool sign_ok, int32_t *out)
{
        int sign = 1;
        if (sign_ok && (peek(c) == '+' || peek(c) == '-')) {
                sign = peek(c) == '-' ? -1 : 1;
                c->pos++;
        }
        int v[3] = {0, 0, 0};
        for (int i = 0; i < 3; i++) {
                if (i > 0) {
                        if (peek(c) != ':')
                                break;
                        c->pos++;
                }
                int digits = 0, x = 0;
                while (is_digit(peek(c)) && digits < 3) {
                        x = x * 10 + (peek(c) - '0');
                        c->pos++;
                        digits++;
                }
                if (digits == 0 || (i > 0 && digits != 2) || (i == 0 && digits > 3))
                        return false;
                if (is_digit(peek(c)))
                        return false;
                v[i] = x;
        }
        if (v[0] > maxh || v[1] > 59 || v[2] > 59)
                return false;
        *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
        return true;
}

static bool parse_num(struct cur *c, int lo, int hi, int32_t *out)
{
        int digits = 0;
        int32_t x = 0;
        while (is_digit(peek(c)) && digits < 4) {
                x = x * 10 + (peek(c) - '0');
                c->pos++;
                digits++;
        }
        if (digits == 0 || is_digit(peek(c)) || x < lo || x > hi)
                return false;
        *out = x;
        return true;
}

static bool parse_date(struct cur *c, struct fp_tzrule_date *d)
{
        int32_t a, b, e;
        memset(d, 0, sizeof(*d));
        if (peek(c) == 'J') {
                c->pos++;
                if (!parse_num(c, 1, 365, &a))
                        return false;
                d->kind = 'J';
                d->n = a;
        } else if (peek(c) == 'M') {
                c->pos++;
                if (!parse_num(c, 1, 12, &a) || peek(c) != '.')
                        return false;
                c->pos++;
                if (!parse_num(c, 1, 5, &b) || peek(c) != '.')
                        return false;
                c->pos++;
                if (!parse_num(c, 0, 6, &e))
                        return false;
                d->kind = 'M';
                d->m = (int16_t)a;
                d->w = (int16_t)b;
                d->d = (int16_t)e;
        } else if (is_digit(peek(c))) {
                if (!parse_num(c, 0, 365, &a))
                        return false;
                d->kind = 'D';
                d->n = a;
        } else {
                return false;
        }
        d->time = 7200;
        if (peek(c) == '/') {
                c->pos++;
                if (!parse_hms(c, 167, true, &d->time))
                        return false;
        }
        return true;
}

enum fp_err fp_tzrule_parse(const char *s, size_t len, struct fp_tzrule *out, struct fp_diag *diag)
{
        struct cur c = {s, len, 0};
        int32_t off;
        const char *what = "standard time name";

        memset(out, 0, sizeof(*out));
        if (!parse_name(&c))
                goto bad;
        what = "standard time offset";
        if (!parse_hms(&c, 24, true, &off))
                goto bad;
        out->std_off = -off;
        out->dst_off = out->std_off;
        if (c.pos == len)
                return FP_OK;
        what = "DST name";
        if (!parse_name(&c))
                goto bad;
        out->has_dst = true;
        out->dst_off = out->std_off + 3600;
        if (peek(&c) != ',' && c.pos < len) {
                what = "DST offset";
                if (!parse_hms(&c, 24, true, &off))
                        goto bad;
                out->dst_off = -off;
        }
        if (c.pos == len) {
                /* No rule: glibc's default, the US rule since 2007. */
                out->start = (struct fp_tzrule_date){'M', 3, 2, 0, 0, 7200};
                out->end = (struct fp_tzrule_date){'M', 11, 1, 0, 0, 7200};
                return FP_OK;
        }
        what = "DST start rule";
        if (peek(&c) != ',')
                goto bad;
        c.pos++;
        if (!parse_date(&c, &out->start))
                goto bad;
        what = "DST end rule";
        if (peek(&c) != ',')
                goto bad;
        c.pos++;
        if (!parse_date(&c, &out->end))
                goto bad;
        what = "trailing characters";
        if (c.pos != len)
                goto bad;
        return FP_OK;
bad:
        fp_diag_msg(diag, "POSIX TZ rule '%.*s': bad %s at character %zu", (int)(len > 64 ? 64 : len),
                    s, what, c.pos);
        return FP_EPARSE;
}

/* ---- evaluation ---- */

/* Local midnight of the rule's day in year y, as days since the epoch. */
static int64_t rule_day(const struct fp_tzrule_date *d, int64_t y)
{
        int64_t jan1 = fp_days_from_civil(y, 1, 1);
        switch (d->kind) {
        case 'J':
                return jan1 + d->n - 1 + (is_leap(y) && d->n >= 60 ? 1 : 0);
        case 'D':
                return jan1 + d->n;
        default: {
                int64_t first = fp_days_from_civil(y, d->m, 1);
                int wday1 = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
                int mday = 1 + (d->d - wday1 + 7) % 7 + (d->w - 1) * 7;
                while (mday > month_days(y, d->m))
                        mday -= 7;
                return first + mday - 1;
        }
        }
}

/* DST start and end instants (UTC) of year y. The start is given in standard time, the end in
 * daylight time. */
static void year_transitions(const struct fp_tzrule *r, int64_t y, int64_t *start, int64_t *end)
{
        *start = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
        *end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
}

static int64_t year_of(int64_t t)
{
        int64_t y;
        int m, d;
        fp_civil_from_days(floor_div(t, 86400), &y, &m, &d);
        return y;
}

int32_t fp_tzrule_offset(const struct fp_tzrule *r, int64_t utc, bool *isdst)
{
        bool dst = false;
        if (r->has_dst) {
                int64_t t = clamp_time(utc), s, e;
                year_transitions(r, year_of(t + r->std_off), &s, &e);
                if (s < e)
                        dst = t >= s && t < e;
                else
                        dst = !(t >= e && t < s);
        }
        if (isdst)
                *isdst = dst;
        return dst ? r->dst_off : r->std_off;
}

int64_t fp_tzrule_next(const struct fp_tzrule *r, int64_t utc)
{
        if (!r->has_dst || utc >= TIME_LIMIT)
                return INT64_MAX;
        int64_t t = clamp_time(utc), y = year_of(t + r->std_off), best = INT64_MAX;
        for (int64_t yy = y - 1; yy <= y + 1; yy++) {
                int64_t s, e;
                year_transitions(r, yy, &s, &e);
                if (s > t && s < best)
                        best = s;
                if (e > t && e < best)
                        best = e;
        }
        return best;
}
