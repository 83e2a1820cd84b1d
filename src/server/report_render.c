/*
 * The pure parts of compliance reports (docs/compliance.md), shared by fleetpatchd and the CLI:
 * state names, query times, ranges and dimensions, and the report rendered as CSV (one row per
 * host) and as one self-contained HTML file (inline CSS and SVG charts, no script, nothing
 * fetched). The CLI renders the JSON it got with these, so both give the same bytes.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "server/comply.h"

static const char *const state_names[FP_CS_COUNT] = {
    "unknown", "compliant", "noncompliant", "pending_reboot",
    "catchup", "excepted",  "provider",     "removed"};

const char *fp_comply_state_name(enum fp_comply_state s)
{
        return (unsigned)s < FP_CS_COUNT ? state_names[s] : "unknown";
}

int fp_comply_state_parse(const char *s)
{
        for (int i = 0; s && i < FP_CS_COUNT; i++)
                if (!strcmp(s, state_names[i]))
                        return i;
        return -1;
}

static const char *const sev_keys[6] = {"unknown", "negligible", "low",
                                        "medium",  "high",       "critical"};
static const char *const slot_keys[FP_COMPLY_LEVELS] = {
    "none", "unspecified", "informational", "low", "medium", "high", "critical"};

const char *fp_comply_level_name(int level)
{
        if (level == FP_COMPLY_NO_BASELINE)
                return "";
        return level + 1 >= 0 && level + 1 < FP_COMPLY_LEVELS ? slot_keys[level + 1] : "";
}

bool fp_comply_level_parse(const char *s, int *level)
{
        if (!s)
                return false;
        if (!*s) {
                *level = FP_COMPLY_NO_BASELINE;
                return true;
        }
        for (int i = 1; i < FP_COMPLY_LEVELS; i++)
                if (!strcmp(s, slot_keys[i])) {
                        *level = i - 1;
                        return true;
                }
        return false;
}

const char *fp_comply_sla_status(const struct fp_comply_rec *r, int64_t at, int64_t *by)
{
        *by = 0;
        if (!r->sla_min)
                return "none";
        if (r->sla_min < at) {
                *by = at - r->sla_min;
                return "breached";
        }
        *by = r->sla_min - at;
        return "due";
}

/* ---- times and ranges ---- */

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char)*s))
                        return false;
        return true;
}

bool fp_comply_parse_time(const char *s, bool end_of_day, int64_t *out)
{
        if (!s || !*s || strlen(s) > FP_REPORT_MAX_PARAM)
                return false;
        if (all_digits(s)) {
                if (strlen(s) > 11)
                        return false;
                long long v = strtoll(s, NULL, 10);
                if (v > 253402300799LL) /* 9999-12-31T23:59:59Z */
                        return false;
                *out = (int64_t)v;
                return true;
        }
        int64_t t;
        if (!fp_parse_date(s, &t) || t < 0)
                return false;
        /* a bare date: the end of that day (what "compliance on that date" means) */
        if (end_of_day && strlen(s) == 10)
                t += 86399;
        *out = t;
        return true;
}

/* "1d", "7d", "86400", "2w". */
static bool parse_step(const char *s, int64_t *out)
{
        if (!s || !*s || strlen(s) > FP_REPORT_MAX_PARAM)
                return false;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v <= 0 || v > 100000000LL)
                return false;
        int64_t mul = 1;
        if (*end == 'd')
                mul = 86400;
        else if (*end == 'w')
                mul = 7 * 86400;
        else if (*end == 'h')
                mul = 3600;
        else if (*end && *end != 's')
                return false;
        if (*end && end[1])
                return false;
        *out = (int64_t)v * mul;
        return true;
}

enum fp_err fp_report_range_parse(const char *from, const char *to, const char *step, int64_t now,
                                  struct fp_report_range *out, struct fp_diag *diag)
{
        struct fp_report_range r = {.to = now, .step = 86400};
        if (to && !fp_comply_parse_time(to, true, &r.to)) {
                fp_diag_set(diag, NULL, 0, "to",
                            "'%.64s': expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or UNIX seconds",
                            to);
                return FP_EPARSE;
        }
        if (r.to > now)
                r.to = now; /* "until today": the end of today is not there yet */
        r.from = r.to - 30 * 86400;
        if (from && !fp_comply_parse_time(from, false, &r.from)) {
                fp_diag_set(diag, NULL, 0, "from",
                            "'%.64s': expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or UNIX seconds",
                            from);
                return FP_EPARSE;
        }
        if (step && !parse_step(step, &r.step)) {
                fp_diag_set(diag, NULL, 0, "step", "'%.64s': expected N (seconds), Nh, Nd or Nw",
                            step);
                return FP_EPARSE;
        }
        if (r.from > r.to) {
                fp_diag_set(diag, NULL, 0, "from", "from is after to");
                return FP_EINVAL;
        }
        if (r.to - r.from > (int64_t)FP_REPORT_MAX_DAYS * 86400) {
                fp_diag_set(diag, NULL, 0, "from",
                            "the range is %lld days; at most %d days (FP_REPORT_MAX_DAYS)",
                            (long long)((r.to - r.from + 86399) / 86400), FP_REPORT_MAX_DAYS);
                return FP_ELIMIT;
        }
        if (r.step < FP_REPORT_MIN_STEP) {
                fp_diag_set(diag, NULL, 0, "step",
                            "a step of %lld s; at least %d s (a day, FP_REPORT_MIN_STEP)",
                            (long long)r.step, FP_REPORT_MIN_STEP);
                return FP_ELIMIT;
        }
        if ((r.to - r.from) / r.step + 1 > FP_REPORT_MAX_POINTS) {
                fp_diag_set(diag, NULL, 0, "step", "more than %d points (FP_REPORT_MAX_POINTS)",
                            FP_REPORT_MAX_POINTS);
                return FP_ELIMIT;
        }
        *out = r;
        return FP_OK;
}

bool fp_comply_dim_parse(const char *s, enum fp_comply_dim *dim, const char **tag_key)
{
        static const char *const names[] = {"account", "region", "tag", "baseline", "os",
                                            "service"};
        *tag_key = NULL;
        if (!s) {
                *dim = FP_DIM_NONE;
                return true;
        }
        if (!strncmp(s, "tag:", 4)) {
                size_t n = strlen(s + 4);
                if (n == 0 || n > FP_MAX_TAG_KEY)
                        return false;
                *dim = FP_DIM_TAG;
                *tag_key = s + 4;
                return true;
        }
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (i != FP_DIM_TAG && !strcmp(s, names[i])) {
                        *dim = (enum fp_comply_dim)i;
                        return true;
                }
        return false;
}

/* ---- output buffers: the first failed append (limit, memory) sticks ---- */

struct obuf {
        struct fp_buf b;
        enum fp_err err;
};

static void o_str(struct obuf *o, const char *s)
{
        if (o->err == FP_OK)
                o->err = fp_buf_addstr(&o->b, s);
}

static void o_f(struct obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void o_f(struct obuf *o, const char *fmt, ...)
{
        char small[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (o->err != FP_OK || n < 0) {
                o->err = o->err != FP_OK ? o->err : FP_EINVAL;
                return;
        }
        if ((size_t)n < sizeof(small)) {
                o->err = fp_buf_add(&o->b, small, (size_t)n);
                return;
        }
        char *big = malloc((size_t)n + 1);
        if (!big) {
                o->err = FP_ENOMEM;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        o->err = fp_buf_add(&o->b, big, (size_t)n);
        free(big);
}

static char *o_take(struct obuf *o)
{
        if (o->err != FP_OK) {
                fp_buf_release(&o->b);
                return NULL;
        }
        char *s = fp_buf_take(&o->b);
        if (!s) /* an empty buffer */
                s = strdup("");
        return s;
}

/* ---- CSV ---- */

/* A CSV field: quoted when needed; a leading = + - @ TAB CR is neutralised (spreadsheet
 * formulas, OWASP's list). */
static void csv_field(struct obuf *b, const char *s, bool last)
{
        s = s ? s : "";
        bool quote = strpbrk(s, ",\"\r\n") != NULL;
        bool formula = *s && strchr("=+-@\t\r", *s) != NULL;
        if (quote || formula) {
                o_str(b, "\"");
                if (formula)
                        o_str(b, "'");
                for (const char *p = s; *p; p++)
                        o_f(b, *p == '"' ? "\"\"" : "%c", *p);
                o_str(b, "\"");
        } else {
                o_str(b, s);
        }
        o_str(b, last ? "\r\n" : ",");
}

static void csv_int(struct obuf *b, json_int_t v, bool last)
{
        o_f(b, last ? "%lld\r\n" : "%lld,", (long long)v);
}

/* One host as a CSV row (the server from its records, the CLI from the JSON it got: the same
 * bytes). */
static void csv_row(struct obuf *b, const struct fp_comply_rec *r, int64_t at)
{
        const char *texts[] = {r->host,    r->hostname, r->account,       r->region,
                               r->os,      r->baseline, r->service,       r->service_model,
                               r->version, fp_comply_state_name(r->state)};
        for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
                csv_field(b, texts[k], false);
        csv_int(b, r->since, false);
        csv_field(b, fp_comply_level_name(r->level), false);
        csv_int(b, r->gaps, false);
        for (int k = 0; k < FP_COMPLY_LEVELS; k++)
                csv_int(b, r->missing[k], false);
        csv_int(b, r->excepted, false);
        for (int k = 5; k >= 0; k--)
                csv_int(b, r->sev[k], false);
        csv_int(b, r->kev, false);
        csv_int(b, r->overdue, false);
        int64_t by;
        csv_field(b, fp_comply_sla_status(r, at, &by), false);
        csv_int(b, r->sla_min, false);
        csv_int(b, by, false);
        csv_field(b, r->catchup ? "true" : "false", false);
        csv_field(b, r->reboot ? "true" : "false", true);
}

char *fp_report_csv(const struct fp_report *rep)
{
        struct obuf b = {.err = FP_OK};
        fp_buf_init(&b.b, (size_t)FP_REPORT_MAX_HOST_ROWS * 1024);
        o_str(&b, "host,hostname,account,region,os,baseline,service,service_model,"
                  "version,state,since,level,gaps");
        for (int i = 0; i < FP_COMPLY_LEVELS; i++)
                o_f(&b, ",missing_%s", slot_keys[i]);
        o_str(&b, ",excepted");
        for (int i = 5; i >= 0; i--)
                o_f(&b, ",%s", sev_keys[i]);
        o_str(&b, ",kev,overdue,sla_status,sla_deadline,sla_seconds,catchup,reboot\r\n");
        for (size_t i = 0; i < rep->nrows; i++)
                csv_row(&b, &rep->rows[i], rep->at);
        return o_take(&b);
}

/* ---- JSON text of the report ---- */

/* A JSON string: our own validated UTF-8 text, so only quotes, backslashes and control
 * characters need escaping. */
static void json_str(struct obuf *b, const char *s)
{
        o_str(b, "\"");
        const char *run = s ? s : "";
        for (const char *p = run; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                if (p > run && b->err == FP_OK)
                        b->err = fp_buf_add(&b->b, run, (size_t)(p - run));
                if (c == '"' || c == '\\')
                        o_f(b, "\\%c", c);
                else
                        o_f(b, "\\u%04x", c);
                run = p + 1;
        }
        if (*run)
                o_str(b, run);
        o_str(b, "\"");
}

/* One host row, the members of fp_comply_rec_json without the tags. */
static void json_row(struct obuf *b, const struct fp_comply_rec *r, int64_t at)
{
        static const char *const keys[] = {"host",     "hostname", "account", "region", "os",
                                           "baseline", "service",  "service_model", "version"};
        const char *vals[] = {r->host,     r->hostname, r->account, r->region,       r->os,
                              r->baseline, r->service,  r->service_model, r->version};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                o_f(b, k ? ",\"%s\":" : "{\"%s\":", keys[k]);
                json_str(b, vals[k]);
        }
        o_f(b, ",\"state\":\"%s\",\"since\":%lld,\"level\":\"%s\",\"gaps\":%lld,\"missing\":{",
            fp_comply_state_name(r->state), (long long)r->since, fp_comply_level_name(r->level),
            (long long)r->gaps);
        for (int k = 0; k < FP_COMPLY_LEVELS; k++)
                o_f(b, "%s\"%s\":%lld", k ? "," : "", slot_keys[k], (long long)r->missing[k]);
        o_f(b, "},\"excepted\":%lld,\"findings\":{", (long long)r->excepted);
        for (int k = 0; k < 6; k++)
                o_f(b, "%s\"%s\":%lld", k ? "," : "", sev_keys[k], (long long)r->sev[k]);
        int64_t by;
        const char *sla = fp_comply_sla_status(r, at, &by);
        o_f(b,
            "},\"kev\":%lld,\"overdue\":%lld,\"catchup\":%s,\"reboot\":%s,\"sla\":{\"status\":"
            "\"%s\",\"deadline\":%lld,\"%s\":%lld}}",
            (long long)r->kev, (long long)r->overdue, r->catchup ? "true" : "false",
            r->reboot ? "true" : "false", sla, (long long)r->sla_min,
            !strcmp(sla, "breached") ? "breached_for" : "due_in", (long long)by);
}

char *fp_report_json(const struct fp_report *rep, size_t max_rows)
{
        json_t *doc = json_copy(rep->doc); /* shallow: only "hosts" is left out */
        if (!doc)
                return NULL;
        json_object_del(doc, "hosts");
        char *head = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        size_t hl = head ? strlen(head) : 0;
        if (hl < 2) {
                free(head);
                return NULL;
        }
        struct obuf b = {.err = FP_OK};
        fp_buf_init(&b.b, (size_t)FP_REPORT_MAX_HOST_ROWS * 2048);
        if (fp_buf_add(&b.b, head, hl - 1) != FP_OK) /* without its closing brace */
                b.err = FP_ENOMEM;
        free(head);
        o_str(&b, hl > 2 ? ",\"hosts\":[" : "\"hosts\":[");
        for (size_t i = 0; i < rep->nrows && i < max_rows; i++) {
                if (i)
                        o_str(&b, ",");
                json_row(&b, &rep->rows[i], rep->at);
        }
        o_str(&b, "]}");
        return o_take(&b);
}

/* ---- a JSON report back into records (the CLI) ---- */

void fp_report_release(struct fp_report *r)
{
        if (!r)
                return;
        json_decref(r->doc);
        free(r->rows);
        memset(r, 0, sizeof(*r));
}


static const char *jstr(const json_t *o, const char *k, struct fp_arena *a)
{
        const char *v = json_string_value(json_object_get(o, k));
        return fp_arena_strdup(a, v ? v : "");
}

enum fp_err fp_report_from_json(json_t *report, struct fp_arena *a, struct fp_report *out)
{
        memset(out, 0, sizeof(*out));
        const json_t *hosts = json_object_get(report, "hosts");
        if (!json_is_object(report) || !json_is_array(hosts) ||
            !json_is_integer(json_object_get(report, "at")))
                return FP_EPARSE;
        out->at = json_integer_value(json_object_get(report, "at"));
        out->nrows = json_array_size(hosts);
        out->rows = calloc(out->nrows + 1, sizeof(*out->rows));
        if (!out->rows)
                return FP_ENOMEM;
        size_t i;
        const json_t *h;
        json_array_foreach(hosts, i, h)
        {
                struct fp_comply_rec *r = &out->rows[i];
                r->host = jstr(h, "host", a);
                r->hostname = jstr(h, "hostname", a);
                r->account = jstr(h, "account", a);
                r->region = jstr(h, "region", a);
                r->os = jstr(h, "os", a);
                r->baseline = jstr(h, "baseline", a);
                r->service = jstr(h, "service", a);
                r->service_model = jstr(h, "service_model", a);
                r->version = jstr(h, "version", a);
                r->tags_json = "{}";
                int st = fp_comply_state_parse(json_string_value(json_object_get(h, "state")));
                r->state = st < 0 ? FP_CS_UNKNOWN : (enum fp_comply_state)st;
                r->since = json_integer_value(json_object_get(h, "since"));
                if (!fp_comply_level_parse(json_string_value(json_object_get(h, "level")),
                                           &r->level))
                        r->level = FP_COMPLY_NO_BASELINE;
                r->gaps = json_integer_value(json_object_get(h, "gaps"));
                for (int k = 0; k < FP_COMPLY_LEVELS; k++)
                        r->missing[k] = json_integer_value(
                            json_object_get(json_object_get(h, "missing"), slot_keys[k]));
                r->excepted = json_integer_value(json_object_get(h, "excepted"));
                for (int k = 0; k < 6; k++)
                        r->sev[k] = json_integer_value(
                            json_object_get(json_object_get(h, "findings"), sev_keys[k]));
                r->kev = json_integer_value(json_object_get(h, "kev"));
                r->overdue = json_integer_value(json_object_get(h, "overdue"));
                r->sla_min =
                    json_integer_value(json_object_get(json_object_get(h, "sla"), "deadline"));
                r->catchup = json_is_true(json_object_get(h, "catchup"));
                r->reboot = json_is_true(json_object_get(h, "reboot"));
                if (!r->host || !r->version)
                        return FP_ENOMEM; /* the caller releases out */
        }
        out->doc = json_incref(report);
        return FP_OK;
}

/* ---- HTML ---- */

static void html_text(struct obuf *b, const char *s)
{
        for (const char *p = s ? s : ""; *p; p++) {
                switch (*p) {
                case '<':
                        o_str(b, "&lt;");
                        break;
                case '>':
                        o_str(b, "&gt;");
                        break;
                case '&':
                        o_str(b, "&amp;");
                        break;
                case '"':
                        o_str(b, "&quot;");
                        break;
                case '\'':
                        o_str(b, "&#39;");
                        break;
                default:
                        o_f(b, "%c", *p);
                }
        }
}

static json_int_t jint(const json_t *o, const char *path1, const char *path2)
{
        const json_t *v = json_object_get(o, path1);
        if (path2)
                v = json_object_get(v, path2);
        return json_integer_value(v);
}

/* A number box: the value is also in data-value (the browser test reads it). */
static void stat_box(struct obuf *b, const char *id, const char *label, const char *value)
{
        o_f(b, "<div class=\"stat\"><div class=\"v\" id=\"%s\" data-value=\"", id);
        html_text(b, value);
        o_str(b, "\">");
        html_text(b, value);
        o_str(b, "</div><div class=\"l\">");
        html_text(b, label);
        o_str(b, "</div></div>");
}

static void stat_int(struct obuf *b, const char *id, const char *label, json_int_t v)
{
        char s[32];
        snprintf(s, sizeof(s), "%lld", (long long)v);
        stat_box(b, id, label, s);
}

static const char *duration_text(int64_t s, char *out, size_t outsz)
{
        if (s >= 86400)
                snprintf(out, outsz, "%.1f d", (double)s / 86400.0);
        else if (s >= 3600)
                snprintf(out, outsz, "%.1f h", (double)s / 3600.0);
        else
                snprintf(out, outsz, "%lld s", (long long)s);
        return out;
}

/* The compliance-over-time chart: lines of the rate and of the non-compliant hosts. */
static void series_svg(struct obuf *b, const json_t *series)
{
        const double w = 720, h = 220, pad = 36;
        size_t n = json_array_size(series);
        json_int_t maxh = 1;
        size_t i;
        const json_t *p;
        json_array_foreach(series, i, p)
        {
                if (jint(p, "hosts", NULL) > maxh)
                        maxh = jint(p, "hosts", NULL);
        }
        o_f(b,
                    "<svg id=\"chart-compliance\" xmlns=\"http://www.w3.org/2000/svg\" "
                    "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                    "aria-label=\"compliance over time\">",
                    w, h, w, h);
        o_f(b,
                    "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>"
                    "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>",
                    pad, h - pad, w - 8, h - pad, pad, 8.0, pad, h - pad);
        o_f(b, "<text x=\"2\" y=\"16\" class=\"t\">100%%</text>"
                       "<text x=\"2\" y=\"%.0f\" class=\"t\">0</text>",
                    h - pad);
        const char *lines[2] = {"rate", "noncompliant"};
        for (int l = 0; l < 2; l++) {
                o_f(b, "<polyline class=\"%s\" fill=\"none\" points=\"", lines[l]);
                json_array_foreach(series, i, p)
                {
                        if (!jint(p, "hosts", NULL))
                                continue; /* before the fleet existed: no line (not "100%") */
                        double x = pad + (n > 1 ? (w - pad - 8) * (double)i / (double)(n - 1) : 0);
                        double v = l == 0
                                       ? json_real_value(json_object_get(p, "compliance_rate")) / 100.0
                                       : (double)(json_integer_value(json_object_get(
                                                      json_object_get(p, "states"), "noncompliant")) +
                                                  json_integer_value(json_object_get(
                                                      json_object_get(p, "states"), "pending_reboot")) +
                                                  json_integer_value(json_object_get(
                                                      json_object_get(p, "states"), "catchup"))) /
                                             (double)maxh;
                        o_f(b, "%.1f,%.1f ", x, (h - pad) - v * (h - pad - 8));
                }
                o_str(b, "\"/>");
        }
        /* one mark per point with its numbers, for readers and the tests; days before the fleet
         * existed keep theirs hidden (no hosts: no rate to show, not "100%") */
        json_array_foreach(series, i, p)
        {
                o_f(b,
                            "<circle class=\"pt%s\" r=\"2\" cx=\"%.1f\" cy=\"%.1f\" data-date=\"%s\" "
                            "data-rate=\"%.1f\" data-hosts=\"%lld\" data-compliant=\"%lld\"/>",
                            jint(p, "hosts", NULL) ? "" : " none", pad + (n > 1 ? (w - pad - 8) * (double)i / (double)(n - 1) : 0),
                            (h - pad) - json_real_value(json_object_get(p, "compliance_rate")) /
                                            100.0 * (h - pad - 8),
                            json_string_value(json_object_get(p, "date")),
                            json_real_value(json_object_get(p, "compliance_rate")),
                            (long long)jint(p, "hosts", NULL),
                            (long long)jint(p, "compliant_hosts", NULL));
        }
        if (n) {
                o_f(b, "<text x=\"%.0f\" y=\"%.0f\" class=\"t\">", pad, h - 12);
                html_text(b, json_string_value(json_object_get(json_array_get(series, 0), "date")));
                o_f(b, "</text><text x=\"%.0f\" y=\"%.0f\" class=\"t\" "
                               "text-anchor=\"end\">",
                            w - 8, h - 12);
                html_text(b,
                          json_string_value(json_object_get(json_array_get(series, n - 1), "date")));
                o_str(b, "</text>");
        }
        o_str(b, "</svg>");
}

/* Horizontal bars: one per key of obj (in the order of keys), id prefix-KEY. */
static void bars_svg(struct obuf *b, const char *id, const json_t *values,
                     const char *const *keys, size_t nkeys, const char *valkey)
{
        json_int_t max = 1;
        for (size_t i = 0; i < nkeys; i++) {
                const json_t *v = json_object_get(values, keys[i]);
                json_int_t x = valkey ? jint(v, valkey, NULL) : json_integer_value(v);
                if (x > max)
                        max = x;
        }
        o_f(b,
                    "<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 480 %zu\" "
                    "width=\"480\" height=\"%zu\">",
                    id, nkeys * 26 + 4, nkeys * 26 + 4);
        for (size_t i = 0; i < nkeys; i++) {
                const json_t *v = json_object_get(values, keys[i]);
                json_int_t x = valkey ? jint(v, valkey, NULL) : json_integer_value(v);
                double len = 300.0 * (double)x / (double)max;
                o_f(b,
                            "<text x=\"0\" y=\"%zu\" class=\"t\">%s</text><rect class=\"bar b%zu\" "
                            "x=\"100\" y=\"%zu\" width=\"%.1f\" height=\"18\"/><text x=\"%.1f\" "
                            "y=\"%zu\" class=\"t\" id=\"%s-%s\" data-value=\"%lld\">%lld</text>",
                            i * 26 + 17, keys[i], i, i * 26 + 4, len, 106 + len, i * 26 + 17, id,
                            keys[i], (long long)x, (long long)x);
        }
        o_str(b, "</svg>");
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2733;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px "
    "solid #dde3ea;padding-bottom:4px}.meta{color:#5b6876}.stats{display:flex;flex-wrap:wrap;"
    "gap:10px}.stat{border:1px solid #dde3ea;border-radius:6px;padding:8px 12px;min-width:110px}"
    ".stat .v{font-size:20px;font-weight:600}.stat .l{color:#5b6876;font-size:12px}"
    "table{border-collapse:collapse;margin-top:6px}td,th{border:1px solid #dde3ea;padding:3px "
    "8px;text-align:left}th{background:#f3f6f9}td.n{text-align:right}.axis{stroke:#8a96a3}"
    ".t{font-size:11px;fill:#3b4653}polyline.rate{stroke:#1f7a3f;stroke-width:2}"
    "polyline.noncompliant{stroke:#c0392b;stroke-width:2}.pt{fill:#1f7a3f}.pt.none{display:none}"
    ".bar{fill:#4a78b5}.b5{fill:#8e1b10}.b4{fill:#c0392b}.b3{fill:#e67e22}.b2{fill:#f1c40f}"
    ".state-noncompliant{color:#c0392b}.state-compliant{color:#1f7a3f}"
    "@media print{body{margin:0}}";

char *fp_report_html(const struct fp_report *rep)
{
        const json_t *report = rep->doc;
        struct obuf b = {.err = FP_OK};
        fp_buf_init(&b.b, 64 * 1024 * 1024);
        const json_t *sum = json_object_get(report, "summary");
        const json_t *range = json_object_get(report, "range");
        o_str(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                          "<meta name=\"viewport\" content=\"width=device-width\">"
                          "<title>fleetpatch compliance report</title><style>");
        o_str(&b, css);
        o_str(&b, "</style></head><body><h1>Compliance report</h1><p class=\"meta\">");
        html_text(&b, json_string_value(json_object_get(report, "scope")));
        o_str(&b, " &middot; <span id=\"range-from\">");
        html_text(&b, json_string_value(json_object_get(range, "from")));
        o_str(&b, "</span> to <span id=\"range-to\">");
        html_text(&b, json_string_value(json_object_get(range, "to")));
        o_str(&b, "</span> &middot; generated ");
        html_text(&b, json_string_value(json_object_get(report, "generated")));
        o_str(&b, "</p>");

        /* the state at the end of the range */
        o_str(&b, "<h2>Compliance at the end of the range</h2><div class=\"stats\">");
        char rate[32];
        snprintf(rate, sizeof(rate), "%.1f", json_real_value(json_object_get(sum, "compliance_rate")));
        stat_box(&b, "compliance-rate", "compliance rate (%)", rate);
        stat_int(&b, "hosts", "hosts", jint(sum, "hosts", NULL));
        stat_int(&b, "compliant-hosts", "compliant (incl. excepted, provider)",
                 jint(sum, "compliant_hosts", NULL));
        for (int s = 0; s < FP_CS_COUNT; s++) {
                if (s == FP_CS_REMOVED)
                        continue;
                const char *name = fp_comply_state_name((enum fp_comply_state)s);
                char id[48];
                snprintf(id, sizeof(id), "state-%s", name);
                stat_int(&b, id, name, jint(sum, "states", name));
        }
        stat_int(&b, "gaps", "missing approved updates (counted)", jint(sum, "gaps", NULL));
        o_str(&b, "</div>");

        o_str(&b, "<h2>Compliance over time</h2>");
        series_svg(&b, json_object_get(report, "series"));
        o_str(&b, "<p class=\"meta\">green: compliance rate; red: hosts with a gap "
                          "(non-compliant, pending reboot, catch-up)</p>");

        o_str(&b, "<h2>Exposure by severity</h2>");
        static const char *const sevs[] = {"critical", "high", "medium", "low", "negligible",
                                           "unknown"};
        bars_svg(&b, "exposure", json_object_get(report, "exposure"), sevs, 6, NULL);

        o_str(&b, "<h2>Known exploited (CISA KEV)</h2><div class=\"stats\">");
        stat_int(&b, "kev-findings", "KEV findings", jint(report, "kev", "findings"));
        stat_int(&b, "kev-hosts", "hosts exposed to KEV", jint(report, "kev", "hosts"));
        o_str(&b, "</div>");

        const json_t *sla = json_object_get(report, "sla");
        char d[32];
        o_str(&b, "<h2>SLA</h2><div class=\"stats\">");
        stat_int(&b, "sla-breached", "hosts past an SLA deadline", jint(sla, "breached_hosts", NULL));
        stat_int(&b, "sla-due-7d", "hosts due within 7 days", jint(sla, "due_7d_hosts", NULL));
        stat_box(&b, "sla-max", "longest breach",
                 duration_text(jint(sla, "max_breached_for", NULL), d, sizeof(d)));
        o_str(&b, "</div>");
        size_t i;
        const json_t *r;
        if (json_array_size(json_object_get(sla, "breaches"))) {
                o_str(&b, "<table id=\"breaches\"><tr><th>host</th><th>account</th>"
                                  "<th>deadline</th><th>breached for</th></tr>");
                json_array_foreach(json_object_get(sla, "breaches"), i, r)
                {
                        char dl[32];
                        fp_format_date(jint(r, "deadline", NULL), dl);
                        o_f(&b, "<tr data-host=\"%s\"><td>",
                                    json_string_value(json_object_get(r, "host")));
                        html_text(&b, json_string_value(json_object_get(r, "hostname")));
                        o_str(&b, "</td><td>");
                        html_text(&b, json_string_value(json_object_get(r, "account")));
                        o_f(&b, "</td><td>%s</td><td class=\"n\" data-value=\"%lld\">%s"
                                        "</td></tr>",
                                    dl, (long long)jint(r, "breached_for", NULL),
                                    duration_text(jint(r, "breached_for", NULL), d, sizeof(d)));
                }
                o_str(&b, "</table>");
        }

        const json_t *mttr = json_object_get(report, "mttr");
        o_str(&b, "<h2>Mean time to remediate</h2><div class=\"stats\">");
        stat_int(&b, "mttr-remediated", "remediated in the range", jint(mttr, "remediated", NULL));
        stat_box(&b, "mttr-mean", "mean time to remediate",
                 duration_text(jint(mttr, "mean_seconds", NULL), d, sizeof(d)));
        o_f(&b, "<span hidden id=\"mttr-mean-seconds\" data-value=\"%lld\"></span>",
                    (long long)jint(mttr, "mean_seconds", NULL));
        o_str(&b, "</div>");
        bars_svg(&b, "mttr", json_object_get(mttr, "by_severity"), sevs, 6, "mean_seconds");

        o_str(&b, "<h2>By account</h2><table id=\"accounts\"><tr><th>account</th>"
                          "<th>hosts</th><th>compliant</th><th>rate (%)</th><th>non-compliant</th>"
                          "<th>KEV hosts</th><th>SLA breached</th></tr>");
        json_array_foreach(json_object_get(report, "by_account"), i, r)
        {
                o_str(&b, "<tr data-account=\"");
                html_text(&b, json_string_value(json_object_get(r, "key")));
                o_str(&b, "\"><td>");
                html_text(&b, json_string_value(json_object_get(r, "key")));
                o_f(&b,
                            "</td><td class=\"n\" data-k=\"hosts\">%lld</td><td class=\"n\" "
                            "data-k=\"compliant_hosts\">%lld</td><td class=\"n\" "
                            "data-k=\"compliance_rate\">%.1f</td><td class=\"n\" "
                            "data-k=\"noncompliant\">%lld</td><td class=\"n\" "
                            "data-k=\"kev_hosts\">%lld</td><td class=\"n\" "
                            "data-k=\"sla_breached\">%lld</td></tr>",
                            (long long)jint(r, "hosts", NULL),
                            (long long)jint(r, "compliant_hosts", NULL),
                            json_real_value(json_object_get(r, "compliance_rate")),
                            (long long)jint(r, "states", "noncompliant"),
                            (long long)jint(r, "kev_hosts", NULL),
                            (long long)jint(r, "sla", "breached_hosts"));
        }
        o_str(&b, "</table>");

        size_t shown = rep->nrows < FP_REPORT_HTML_HOST_ROWS ? rep->nrows : FP_REPORT_HTML_HOST_ROWS;
        o_f(&b, "<h2>Hosts</h2><p class=\"meta\" id=\"hosts-shown\" data-value=\"%zu\" "
                "data-total=\"%lld\">%zu of %lld hosts shown (the CSV and JSON reports list "
                "every one)</p>",
            shown, (long long)jint(report, "hosts_total", NULL), shown,
            (long long)jint(report, "hosts_total", NULL));
        o_str(&b, "<table id=\"hosts-table\"><tr><th>host</th><th>account</th><th>state"
                  "</th><th>baseline</th><th>gaps</th><th>critical</th><th>high</th>"
                  "<th>KEV</th><th>SLA</th><th>version</th></tr>");
        for (i = 0; i < shown; i++) {
                const struct fp_comply_rec *h = &rep->rows[i];
                const char *state = fp_comply_state_name(h->state);
                int64_t by;
                o_str(&b, "<tr data-host=\"");
                html_text(&b, h->host);
                o_f(&b, "\" data-state=\"%s\"><td>", state);
                html_text(&b, h->hostname);
                o_str(&b, "</td><td>");
                html_text(&b, h->account);
                o_f(&b, "</td><td class=\"state-%s\">%s</td><td>", state, state);
                html_text(&b, h->baseline);
                o_f(&b,
                    "</td><td class=\"n\" data-k=\"gaps\">%lld</td><td class=\"n\">%lld"
                    "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>%s</td><td>",
                    (long long)h->gaps, (long long)h->sev[5], (long long)h->sev[4],
                    (long long)h->kev, fp_comply_sla_status(h, rep->at, &by));
                html_text(&b, h->version);
                o_str(&b, "</td></tr>");
        }
        o_str(&b, "</table></body></html>\n");
        return o_take(&b);
}

