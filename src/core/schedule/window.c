/*
 * Maintenance windows: the window JSON of docs/orchestration.md and its occurrences. The
 * recurrence is libical's (RFC 5545 RRULE) on a floating DTSTART; each local opening is turned
 * into an instant with fp_tz_to_utc (RFC 5545 3.3.5 for gaps and repeated times), and a window
 * lasts its duration in real seconds.
 *
 * Thread safety of libical 3.0: an icalrecur_iterator is private to its caller; the parser
 * (icalrecurrencetype_from_string) and the iterator touch no shared state except icalerrno,
 * which is thread-local in 3.0 (pthread key, HAVE_PTHREAD, as Debian builds it), and the
 * "errors are fatal" switch, which we only read (it is off in release builds; if a program
 * turned it on, libical would abort on a bad RRULE instead of returning an error). Floating
 * times never reach libical's time-zone code, the part with shared caches. No lock is taken, so
 * scheduler threads do not serialise; tests/unit/schedule/window_test.c runs four threads.
 */
#include <jansson.h>
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/schedule.h"

/* DTSTART years accepted: libical's iterator handles years up to 2582 on 32-bit time_t logic;
 * windows far in the past or future are mistakes. */
#define START_YEAR_MIN 1970
#define START_YEAR_MAX 2199
/* Openings compared by fp_window_parse to find overlaps: enough for every pattern of a
 * Gregorian rule to show up (a leap day, a fifth weekday...) in practice. */
#define OVERLAP_CHECK_OCCURRENCES 1000

#define WERR(code, member, ...)                                                                    \
        do {                                                                                       \
                char m_[FP_DIAG_MSG_MAX];                                                          \
                snprintf(m_, sizeof(m_), __VA_ARGS__);                                             \
                fp_diag_set(diag, NULL, 0, "window." member, "window.%s: %s", member, m_);         \
                return code;                                                                       \
        } while (0)

static struct icaltimetype civil_to_ical(int64_t civil)
{
        struct icaltimetype t = icaltime_null_time();
        int64_t days = civil / 86400, secs = civil % 86400, y;
        int m, d;
        if (secs < 0) {
                secs += 86400;
                days--;
        }
        fp_civil_from_days(days, &y, &m, &d);
        t.year = (int)y;
        t.month = m;
        t.day = d;
        t.hour = (int)(secs / 3600);
        t.minute = (int)(secs / 60 % 60);
        t.second = (int)(secs % 60);
        return t;
}

static int64_t ical_to_civil(struct icaltimetype t)
{
        return fp_days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 +
               t.second;
}

static bool rrule_has(const char *rrule, const char *part)
{
        size_t n = strlen(part);
        for (const char *p = rrule; p && *p; p = strchr(p, ';'), p = p ? p + 1 : NULL)
                if (strncasecmp(p, part, n) == 0)
                        return true;
        return false;
}

/* Parses and checks the RRULE text; *rt is the parsed rule. */
static enum fp_err check_rrule(const char *s, struct icalrecurrencetype *rt, struct fp_diag *diag)
{
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
                        WERR(FP_EPARSE, "rrule", "character 0x%02x at %zu", (unsigned char)*p,
                             (size_t)(p - s));
        if (s[0] == '\0')
                WERR(FP_EPARSE, "rrule", "empty");
        if (rrule_has(s, "RSCALE=") || rrule_has(s, "SKIP="))
                WERR(FP_EUNSUPPORTED, "rrule", "RSCALE/SKIP (non-Gregorian calendars) are not supported");
        if (rrule_has(s, "COUNT=") && rrule_has(s, "UNTIL="))
                WERR(FP_EPARSE, "rrule", "COUNT and UNTIL together (RFC 5545 3.3.10)");
        icalerror_clear_errno();
        *rt = icalrecurrencetype_from_string(s);
        if (icalerrno != ICAL_NO_ERROR || rt->freq == ICAL_NO_RECURRENCE) {
                icalerror_clear_errno();
                WERR(FP_EPARSE, "rrule", "not a valid RFC 5545 RRULE: '%.100s'", s);
        }
        switch (rt->freq) {
        case ICAL_DAILY_RECURRENCE:
        case ICAL_WEEKLY_RECURRENCE:
        case ICAL_MONTHLY_RECURRENCE:
        case ICAL_YEARLY_RECURRENCE:
                break;
        default:
                WERR(FP_EINVAL, "rrule", "FREQ=%s is not allowed (DAILY, WEEKLY, MONTHLY or YEARLY)",
                     icalrecur_freq_to_string(rt->freq));
        }
        return FP_OK;
}

static enum fp_err get_string(json_t *root, const char *key, char *out, size_t outsz, bool required,
                              struct fp_diag *diag)
{
        json_t *v = json_object_get(root, key);
        if (!v) {
                if (required) {
                        fp_diag_set(diag, NULL, 0, "window", "window.%s: missing", key);
                        return FP_EPARSE;
                }
                return FP_OK;
        }
        if (!json_is_string(v)) {
                fp_diag_set(diag, NULL, 0, "window", "window.%s: not a string", key);
                return FP_EPARSE;
        }
        if (json_string_length(v) >= outsz) {
                fp_diag_set(diag, NULL, 0, "window", "window.%s: longer than %zu bytes", key,
                            outsz - 1);
                return FP_ELIMIT;
        }
        memcpy(out, json_string_value(v), json_string_length(v) + 1);
        return FP_OK;
}

static enum fp_err get_int(json_t *root, const char *key, int64_t *out, bool required,
                           struct fp_diag *diag)
{
        json_t *v = json_object_get(root, key);
        if (!v) {
                if (required) {
                        fp_diag_set(diag, NULL, 0, "window", "window.%s: missing", key);
                        return FP_EPARSE;
                }
                return FP_OK;
        }
        if (!json_is_integer(v)) {
                fp_diag_set(diag, NULL, 0, "window", "window.%s: not an integer", key);
                return FP_EPARSE;
        }
        *out = json_integer_value(v);
        return FP_OK;
}

/* The member name of the last fp_diag_set by get_*: put it into diag->field. */
static void fix_field(struct fp_diag *diag)
{
        if (!diag || strncmp(diag->msg, "window.", 7) != 0)
                return;
        size_t n = strcspn(diag->msg, ":");
        if (n < sizeof(diag->field))
                snprintf(diag->field, sizeof(diag->field), "%.*s", (int)n, diag->msg);
}

static enum fp_err check_window(const struct fp_window *w, const struct icalrecurrencetype *rt,
                                struct fp_diag *diag)
{
        if (w->duration < FP_WINDOW_MIN_DURATION || w->duration > FP_WINDOW_MAX_DURATION)
                WERR(FP_ELIMIT, "duration", "%lld seconds (%d .. %d)", (long long)w->duration,
                     FP_WINDOW_MIN_DURATION, FP_WINDOW_MAX_DURATION);
        if (w->cutoff < 0 || w->cutoff >= w->duration)
                WERR(FP_EINVAL, "cutoff", "%lld seconds: must be >= 0 and < duration (%lld)",
                     (long long)w->cutoff, (long long)w->duration);

        /* The first openings: at least one, none closer than duration. Local mode compares
         * wall-clock openings (each host's own DST shift can shorten one real gap by that
         * shift); absolute mode compares real instants in tz. */
        struct fp_tz *z = NULL;
        if (w->mode == FP_WINDOW_ABSOLUTE) {
                struct fp_diag zd;
                fp_diag_clear(&zd);
                enum fp_err err = fp_tz_load(w->tz, &z, &zd);
                if (err != FP_OK)
                        WERR(err, "tz", "%s", zd.msg);
        }
        icalrecur_iterator *it = icalrecur_iterator_new(*rt, civil_to_ical(w->start));
        if (!it) {
                fp_tz_free(z);
                icalerror_clear_errno();
                WERR(FP_EPARSE, "rrule", "libical refuses it with this start ('%.100s')", w->rrule);
        }
        enum fp_err err = FP_OK;
        int64_t prev = 0;
        int count = 0;
        for (; count < OVERLAP_CHECK_OCCURRENCES; count++) {
                struct icaltimetype t = icalrecur_iterator_next(it);
                if (icaltime_is_null_time(t))
                        break;
                int64_t c = ical_to_civil(t);
                int64_t open = z ? fp_tz_to_utc(z, c, NULL) : c;
                if (count > 0 && open - prev < w->duration) {
                        char a[20], b[20];
                        fp_civil_format(prev, a);
                        fp_civil_format(open, b);
                        fp_diag_set(diag, NULL, 0, "window.rrule",
                                    "window.rrule: occurrences overlap: openings %s and %s%s are "
                                    "%lld s apart, duration is %lld s",
                                    a, b, z ? " (UTC)" : "", (long long)(open - prev),
                                    (long long)w->duration);
                        err = FP_EINVAL;
                        break;
                }
                prev = open;
        }
        icalrecur_iterator_free(it);
        fp_tz_free(z);
        if (err == FP_OK && count == 0)
                WERR(FP_EINVAL, "rrule", "never occurs at or after start");
        return err;
}

enum fp_err fp_window_parse(const char *json, size_t len, struct fp_window *out, struct fp_diag *diag)
{
        json_error_t jerr;
        enum fp_err err;
        char mode[16] = "local", start[32] = "";

        memset(out, 0, sizeof(*out));
        snprintf(out->tz, sizeof(out->tz), "UTC");
        if (len > FP_MAX_WINDOW_JSON) {
                fp_diag_set(diag, NULL, 0, "window", "window: %zu bytes (limit %d)", len,
                            FP_MAX_WINDOW_JSON);
                return FP_ELIMIT;
        }
        json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                fp_diag_set(diag, NULL, 0, "window", "window: invalid JSON at byte %d: %s",
                            jerr.position, jerr.text);
                return FP_EPARSE;
        }
        if (!json_is_object(root)) {
                json_decref(root);
                fp_diag_set(diag, NULL, 0, "window", "window: not a JSON object");
                return FP_EPARSE;
        }
        const char *key;
        json_t *val;
        json_object_foreach(root, key, val) {
                static const char *const known[] = {"mode", "rrule",  "start", "tz",
                                                    "duration", "cutoff", "name", "account"};
                bool ok = false;
                for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                        ok = ok || strcmp(key, known[i]) == 0;
                if (!ok) {
                        fp_diag_set(diag, NULL, 0, "window", "window: unknown member '%.64s'", key);
                        json_decref(root);
                        return FP_EPARSE;
                }
        }
        if ((err = get_string(root, "mode", mode, sizeof(mode), false, diag)) != FP_OK ||
            (err = get_string(root, "rrule", out->rrule, sizeof(out->rrule), true, diag)) != FP_OK ||
            (err = get_string(root, "start", start, sizeof(start), true, diag)) != FP_OK ||
            (err = get_string(root, "tz", out->tz, sizeof(out->tz), false, diag)) != FP_OK ||
            (err = get_int(root, "duration", &out->duration, true, diag)) != FP_OK ||
            (err = get_int(root, "cutoff", &out->cutoff, false, diag)) != FP_OK) {
                json_decref(root);
                fix_field(diag);
                return err;
        }
        json_decref(root);

        if (strcmp(mode, "local") == 0)
                out->mode = FP_WINDOW_LOCAL;
        else if (strcmp(mode, "absolute") == 0)
                out->mode = FP_WINDOW_ABSOLUTE;
        else
                WERR(FP_EINVAL, "mode", "'%.15s' is not \"local\" or \"absolute\"", mode);
        if (!fp_civil_parse(start, &out->start))
                WERR(FP_EPARSE, "start", "'%.31s' is not YYYY-MM-DDTHH:MM:SS", start);
        int64_t y;
        int m, d;
        fp_civil_from_days(out->start / 86400, &y, &m, &d);
        if (y < START_YEAR_MIN || y > START_YEAR_MAX)
                WERR(FP_ELIMIT, "start", "year %lld out of range (%d .. %d)", (long long)y,
                     START_YEAR_MIN, START_YEAR_MAX);
        if (!fp_tz_name_ok(out->tz))
                WERR(FP_EINVAL, "tz", "invalid time zone name '%.64s'", out->tz);
        if (out->mode == FP_WINDOW_LOCAL && strcmp(out->tz, "UTC") != 0)
                WERR(FP_EINVAL, "tz", "only for mode \"absolute\" (a local window opens in each "
                                      "host's zone)");
        struct icalrecurrencetype rt;
        if ((err = check_rrule(out->rrule, &rt, diag)) != FP_OK)
                return err;
        return check_window(out, &rt, diag);
}

char *fp_window_to_json(const struct fp_window *w)
{
        char start[20];
        fp_civil_format(w->start, start);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "mode",
                              w->mode == FP_WINDOW_ABSOLUTE ? "absolute" : "local", "rrule",
                              w->rrule, "start", start, "tz", w->tz, "duration",
                              (json_int_t)w->duration, "cutoff", (json_int_t)w->cutoff);
        if (!o)
                return NULL;
        char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        return s;
}

enum fp_err fp_window_occurrences(const struct fp_window *w, const struct fp_tz *z, int64_t from,
                                  int64_t to, struct fp_window_occ *out, size_t max, size_t *n,
                                  struct fp_diag *diag)
{
        struct icalrecurrencetype rt;
        enum fp_err err;

        *n = 0;
        if ((err = check_rrule(w->rrule, &rt, diag)) != FP_OK)
                return err;
        if (from >= to || max == 0)
                return FP_OK;
        icalrecur_iterator *it = icalrecur_iterator_new(rt, civil_to_ical(w->start));
        if (!it) {
                icalerror_clear_errno();
                WERR(FP_EPARSE, "rrule", "libical refuses it with this start");
        }
        /* Skip ahead: an opening that matters has close > from, so its local time is later
         * than from - duration - 26 h (no offset reaches 26 h); start two days earlier still.
         * libical 3.0 cannot skip a COUNT rule (it must count from DTSTART). */
        int64_t skip = from - w->duration - 2 * 86400;
        if (rt.count == 0 && skip > w->start && skip < (INT64_C(1) << 40)) {
                if (!icalrecur_iterator_set_start(it, civil_to_ical(skip))) {
                        icalerror_clear_errno();
                        icalrecur_iterator_free(it);
                        it = icalrecur_iterator_new(rt, civil_to_ical(w->start));
                        if (!it) {
                                icalerror_clear_errno();
                                WERR(FP_EPARSE, "rrule", "libical refuses it with this start");
                        }
                }
        }
        for (long steps = 0;; steps++) {
                if (steps >= FP_WINDOW_MAX_STEPS) {
                        fp_diag_set(diag, NULL, 0, "window.rrule",
                                    "window.rrule: more than %d recurrence steps to reach the range",
                                    FP_WINDOW_MAX_STEPS);
                        err = FP_ELIMIT;
                        break;
                }
                struct icaltimetype t = icalrecur_iterator_next(it);
                if (icaltime_is_null_time(t))
                        break;
                int64_t open = fp_tz_to_utc(z, ical_to_civil(t), NULL);
                if (open >= to)
                        break;
                int64_t close = open + w->duration;
                if (close <= from)
                        continue;
                if (*n > 0 && open < out[*n - 1].open) /* a fold can reorder; keep ascending */
                        continue;
                out[*n] = (struct fp_window_occ){open, close - w->cutoff, close};
                if (++*n == max)
                        break;
        }
        icalrecur_iterator_free(it);
        return err;
}
