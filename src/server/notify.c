/*
 * Notifications, the part without I/O (docs/notifications.md): queueing an event in the
 * caller's transaction, the closed list of event types, subject/body templates, the retry
 * schedule and the RFC 5322 message. notify_deliver.c sends; api_notify.c is the API.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/store_notify.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/server.h"

const char *const fp_notify_types[] = {
    "exposure.critical", "exposure.kev",  "change.approval",     "window.starting",
    "rollout.halted",    "sla.breach",    "host.catchup",        "maintenance.planned",
    "report.ready",      "tracking.opened", "tracking.closed",
};
const size_t fp_notify_type_count = sizeof(fp_notify_types) / sizeof(fp_notify_types[0]);

bool fp_notify_type_valid(const char *type)
{
        for (size_t i = 0; type && i < fp_notify_type_count; i++)
                if (!strcmp(type, fp_notify_types[i]))
                        return true;
        return false;
}

enum fp_err fp_notify_event(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                            const char *account, const char *type, const char *key,
                            const char *subject, const json_t *data, struct fp_diag *diag)
{
        if (!fp_notify_type_valid(type)) {
                fp_diag_set(diag, NULL, 0, "type", "unknown event type '%.64s'",
                            type ? type : "(null)");
                return FP_EINVAL;
        }
        if (!account || !*account || !key || !*key) {
                fp_diag_set(diag, NULL, 0, !key || !*key ? "key" : "account",
                            "an event needs an account and a key");
                return FP_EINVAL;
        }
        if (strlen(key) > FP_MAX_NOTIFY_KEY) {
                fp_diag_set(diag, NULL, 0, "key", "event key longer than %d bytes",
                            FP_MAX_NOTIFY_KEY);
                return FP_ELIMIT;
        }
        if (data && !json_is_object(data)) {
                fp_diag_set(diag, NULL, 0, "data", "event data must be a JSON object");
                return FP_EINVAL;
        }
        char *text = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
        if (!text)
                return FP_ENOMEM;
        enum fp_err err = FP_OK;
        if (strlen(text) > FP_MAX_NOTIFY_EVENT_DATA) {
                fp_diag_set(diag, NULL, 0, "data", "event data longer than %d bytes",
                            FP_MAX_NOTIFY_EVENT_DATA);
                err = FP_ELIMIT;
                goto out;
        }
        const char *group = json_string_value(json_object_get(data, "group"));
        struct fp_notify_event_rec ev = {.account = account,
                                         .type = type,
                                         .key = key,
                                         .subject = subject ? subject : type,
                                         .data = text,
                                         .created = now};
        bool queued = false;
        int64_t n = 0;
        err = fp_store_notify_event_queue(tx, &ev, group, NULL, &queued, &n, diag);
        if (err == FP_OK && queued && n > 0 && srv)
                fp_notifier_kick(srv->notifier); /* its claim waits for this commit */
out:
        free(text);
        return err;
}

/* ---- templates ---- */

static const char *const tpl_names[] = {"type", "account", "key", "subject", "created", "event"};

static bool data_name(const char *s, size_t n)
{
        if (n <= 5 || memcmp(s, "data.", 5) != 0)
                return false;
        for (size_t i = 5; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                        return false;
        }
        return true;
}

static bool known_name(const char *s, size_t n)
{
        for (size_t i = 0; i < sizeof(tpl_names) / sizeof(tpl_names[0]); i++)
                if (strlen(tpl_names[i]) == n && !memcmp(tpl_names[i], s, n))
                        return true;
        return data_name(s, n);
}

/* The name between "{{" and "}}" without surrounding spaces. */
static void trim(const char **s, size_t *n)
{
        while (*n && (**s == ' ' || **s == '\t')) {
                (*s)++;
                (*n)--;
        }
        while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
                (*n)--;
}

/* Find "}}" at or after from; len when there is none. */
static size_t find_close(const char *t, size_t len, size_t from)
{
        for (size_t j = from; j + 1 < len; j++)
                if (t[j] == '}' && t[j + 1] == '}')
                        return j;
        return len;
}

enum fp_err fp_notify_tpl_check(const char *tpl, size_t len, struct fp_diag *diag)
{
        if (len > FP_MAX_NOTIFY_TEMPLATE) {
                fp_diag_set(diag, NULL, 0, NULL, "template longer than %d bytes",
                            FP_MAX_NOTIFY_TEMPLATE);
                return FP_ELIMIT;
        }
        for (size_t i = 0; i < len; i++) {
                if (tpl[i] == 0) {
                        fp_diag_set(diag, NULL, i + 1, NULL, "NUL byte at position %zu", i + 1);
                        return FP_EPARSE;
                }
                if (tpl[i] == '}' && i + 1 < len && tpl[i + 1] == '}') {
                        fp_diag_set(diag, NULL, i + 1, NULL,
                                    "'}}' without '{{' at position %zu", i + 1);
                        return FP_EPARSE;
                }
                if (tpl[i] != '{' || i + 1 >= len || tpl[i + 1] != '{')
                        continue;
                size_t j = find_close(tpl, len, i + 2);
                if (j == len) {
                        fp_diag_set(diag, NULL, i + 1, NULL,
                                    "'{{' without '}}' at position %zu", i + 1);
                        return FP_EPARSE;
                }
                const char *name = tpl + i + 2;
                size_t n = j - i - 2;
                trim(&name, &n);
                if (n > FP_MAX_NOTIFY_PLACEHOLDER) {
                        fp_diag_set(diag, NULL, i + 1, NULL,
                                    "placeholder longer than %d bytes at position %zu",
                                    FP_MAX_NOTIFY_PLACEHOLDER, i + 1);
                        return FP_ELIMIT;
                }
                if (!n) {
                        fp_diag_set(diag, NULL, i + 1, NULL, "empty placeholder at position %zu",
                                    i + 1);
                        return FP_EPARSE;
                }
                if (!known_name(name, n)) {
                        char shown[FP_MAX_NOTIFY_PLACEHOLDER + 1];
                        size_t k = 0;
                        for (size_t m = 0; m < n; m++) /* printable only: it goes into JSON */
                                shown[k++] = (name[m] >= 0x20 && name[m] < 0x7f) ? name[m] : '?';
                        shown[k] = 0;
                        fp_diag_set(diag, NULL, i + 1, NULL,
                                    "unknown placeholder '{{%s}}' at position %zu (known: type, "
                                    "account, key, subject, created, event, data.NAME)",
                                    shown, i + 1);
                        return FP_EPARSE;
                }
                i = j + 1;
        }
        return FP_OK;
}

static void rfc3339(int64_t t, char out[32])
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(out, 32, "%lld", (long long)t);
}

static enum fp_err add_value(struct fp_buf *b, const json_t *v)
{
        if (!v || json_is_null(v))
                return FP_OK;
        if (json_is_string(v))
                return fp_buf_add(b, json_string_value(v), json_string_length(v));
        if (json_is_integer(v))
                return fp_buf_addf(b, "%lld", (long long)json_integer_value(v));
        if (json_is_real(v))
                return fp_buf_addf(b, "%g", json_real_value(v));
        if (json_is_boolean(v))
                return fp_buf_addstr(b, json_is_true(v) ? "true" : "false");
        char *t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!t)
                return FP_ENOMEM;
        enum fp_err err = fp_buf_addstr(b, t);
        free(t);
        return err;
}

static enum fp_err add_var(struct fp_buf *b, const char *name, size_t n,
                           const struct fp_notify_vars *v)
{
        char ts[32];
#define IS(lit) (n == sizeof(lit) - 1 && !memcmp(name, lit, n))
        if (IS("type"))
                return fp_buf_addstr(b, v->type ? v->type : "");
        if (IS("account"))
                return fp_buf_addstr(b, v->account ? v->account : "");
        if (IS("key"))
                return fp_buf_addstr(b, v->key ? v->key : "");
        if (IS("subject"))
                return fp_buf_addstr(b, v->subject ? v->subject : "");
        if (IS("event"))
                return fp_buf_addf(b, "%lld", (long long)v->event);
        if (IS("created")) {
                rfc3339(v->created, ts);
                return fp_buf_addstr(b, ts);
        }
#undef IS
        if (data_name(name, n) && v->data) {
                char key[FP_MAX_NOTIFY_PLACEHOLDER + 1];
                size_t k = n - 5 < sizeof(key) - 1 ? n - 5 : sizeof(key) - 1;
                memcpy(key, name + 5, k);
                key[k] = 0;
                return add_value(b, json_object_get(v->data, key));
        }
        return FP_OK;
}

char *fp_notify_tpl_render(const char *tpl, const struct fp_notify_vars *v)
{
        struct fp_buf b;
        fp_buf_init(&b, FP_MAX_NOTIFY_EVENT_DATA + FP_MAX_NOTIFY_TEMPLATE);
        size_t len = tpl ? strlen(tpl) : 0;
        enum fp_err err = FP_OK;
        for (size_t i = 0; i < len && err == FP_OK; i++) {
                if (tpl[i] == '{' && i + 1 < len && tpl[i + 1] == '{') {
                        size_t j = find_close(tpl, len, i + 2);
                        if (j < len) {
                                const char *name = tpl + i + 2;
                                size_t n = j - i - 2;
                                trim(&name, &n);
                                err = add_var(&b, name, n, v);
                                i = j + 1;
                                continue;
                        }
                }
                err = fp_buf_addc(&b, tpl[i]);
        }
        if (err != FP_OK) {
                fp_buf_release(&b);
                return NULL;
        }
        return fp_buf_take(&b);
}

/* ---- retries ---- */

int64_t fp_notify_backoff(int64_t base, int64_t cap, int64_t attempt)
{
        if (base < 1)
                base = 1;
        int64_t wait = base;
        for (int64_t i = 1; i < attempt && wait < cap; i++)
                wait = wait > INT64_MAX / 2 ? INT64_MAX : wait * 2;
        return wait < cap ? wait : cap;
}

/* ---- email ---- */

bool fp_notify_address_valid(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n < 3 || n > FP_MAX_NOTIFY_ADDRESS)
                return false;
        const char *at = strchr(s, '@');
        if (!at || at == s || strchr(at + 1, '@') || !at[1] || at[1] == '.' || s[n - 1] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c))
                        return false;
        }
        return true;
}

/* Base64 in lines of 76 characters, each ended by CRLF. */
static enum fp_err add_base64(struct fp_buf *b, const char *data, size_t len)
{
        char line[80];
        for (size_t i = 0; i < len; i += 57) {
                size_t k = len - i < 57 ? len - i : 57;
                sodium_bin2base64(line, sizeof(line), (const unsigned char *)data + i, k,
                                  sodium_base64_VARIANT_ORIGINAL);
                enum fp_err err = fp_buf_addf(b, "%s\r\n", line);
                if (err != FP_OK)
                        return err;
        }
        return FP_OK;
}

/* The Subject header's value: one line; RFC 2047 encoded words when it is not ASCII. */
static enum fp_err add_subject(struct fp_buf *b, const char *subject)
{
        char clean[1000] = "";
        size_t n = 0;
        bool ascii = true;
        const char *p = subject ? subject : "";
        for (; *p && n < sizeof(clean) - 1; p++) {
                unsigned char c = (unsigned char)*p;
                clean[n++] = c == '\r' || c == '\n' || c == '\t' ? ' ' : (char)c;
                ascii = ascii && c < 0x80;
        }
        /* Cut short: do not end inside a UTF-8 sequence (drop its continuation bytes and its
         * lead byte). */
        if (*p && ((unsigned char)*p & 0xC0) == 0x80) {
                while (n && ((unsigned char)clean[n - 1] & 0xC0) == 0x80)
                        n--;
                if (n && (unsigned char)clean[n - 1] >= 0xC0)
                        n--;
        }
        clean[n] = 0;
        if (ascii)
                return fp_buf_addstr(b, clean);
        /* Words of at most 45 bytes (60 base64 characters), split between characters. */
        size_t i = 0;
        while (i < n) {
                size_t k = n - i < 45 ? n - i : 45;
                /* k stays >= 1: a run of stray continuation bytes (not UTF-8) is cut anywhere */
                while (k > 1 && i + k < n && ((unsigned char)clean[i + k] & 0xC0) == 0x80)
                        k--;
                char word[64];
                sodium_bin2base64(word, sizeof(word), (const unsigned char *)clean + i, k,
                                  sodium_base64_VARIANT_ORIGINAL);
                enum fp_err err = fp_buf_addf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", word);
                if (err != FP_OK)
                        return err;
                i += k;
        }
        return FP_OK;
}

char *fp_notify_email_build(const struct fp_notify_email *m)
{
        static const char boundary[] = "=_fleetpatch_part_boundary";
        struct fp_buf b;
        fp_buf_init(&b, 3 * (size_t)FP_MAX_NOTIFY_EVENT_DATA);
        char date[64];
        time_t tt = (time_t)m->date;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || !strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm))
                snprintf(date, sizeof(date), "Thu, 01 Jan 1970 00:00:00 +0000");
        enum fp_err err = fp_buf_addf(&b, "Date: %s\r\nFrom: %s\r\nTo: ", date, m->from);
        for (size_t i = 0; err == FP_OK && i < m->n_to; i++)
                err = fp_buf_addf(&b, "%s%s", i ? ",\r\n " : "", m->to[i]);
        if (err == FP_OK)
                err = fp_buf_addstr(&b, "\r\nSubject: ");
        if (err == FP_OK)
                err = add_subject(&b, m->subject);
        if (err == FP_OK)
                err = fp_buf_addf(&b,
                                  "\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
                                  "Auto-Submitted: auto-generated\r\nX-Fleetpatch-Event: %s\r\n",
                                  m->message_id, m->event_type ? m->event_type : "");
        const char *text = m->text ? m->text : "";
        if (err == FP_OK && !m->html && !m->csv) {
                err = fp_buf_addstr(&b, "Content-Type: text/plain; charset=utf-8\r\n"
                                        "Content-Transfer-Encoding: base64\r\n\r\n");
                if (err == FP_OK)
                        err = add_base64(&b, text, strlen(text));
        } else if (err == FP_OK) {
                err = fp_buf_addf(&b,
                                  "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                                  "This is a MIME message.\r\n\r\n--%s\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n"
                                  "Content-Transfer-Encoding: base64\r\n\r\n",
                                  boundary, boundary);
                if (err == FP_OK)
                        err = add_base64(&b, text, strlen(text));
                const struct {
                        const char *data, *name, *type;
                } att[] = {{m->html, m->html_name ? m->html_name : "report.html", "text/html"},
                           {m->csv, m->csv_name ? m->csv_name : "report.csv", "text/csv"}};
                for (size_t i = 0; err == FP_OK && i < 2; i++) {
                        if (!att[i].data)
                                continue;
                        err = fp_buf_addf(&b,
                                          "\r\n--%s\r\nContent-Type: %s; charset=utf-8\r\n"
                                          "Content-Disposition: attachment; filename=\"%s\"\r\n"
                                          "Content-Transfer-Encoding: base64\r\n\r\n",
                                          boundary, att[i].type, att[i].name);
                        if (err == FP_OK)
                                err = add_base64(&b, att[i].data, strlen(att[i].data));
                }
                if (err == FP_OK)
                        err = fp_buf_addf(&b, "\r\n--%s--\r\n", boundary);
        }
        if (err != FP_OK) {
                fp_buf_release(&b);
                return NULL;
        }
        return fp_buf_take(&b);
}

/* ---- producers: the events of the other parts, queued in their transactions ---- */

static void fmt_utc(int64_t t, char out[40])
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || !strftime(out, 40, "%Y-%m-%d %H:%M UTC", &tm))
                snprintf(out, 40, "%lld", (long long)t);
}

/* "2026-12-07 02:00 +0100 (Europe/Berlin)"; the UTC form without the zone (z NULL). */
static void fmt_local(const struct fp_tz *z, const char *zone, int64_t t, char out[128])
{
        if (!z) {
                char u[40];
                fmt_utc(t, u);
                snprintf(out, 128, "%s", u);
                return;
        }
        int32_t off = fp_tz_offset(z, t);
        time_t tt = (time_t)(t + off);
        struct tm tm;
        char base[40] = "";
        if (gmtime_r(&tt, &tm))
                strftime(base, sizeof(base), "%Y-%m-%d %H:%M", &tm);
        int32_t a = off < 0 ? -off : off;
        snprintf(out, 128, "%s %c%02d%02d (%.64s)", base, off < 0 ? '-' : '+', (int)(a / 3600),
                 (int)(a % 3600 / 60), zone);
}

/* An opening in UTC and in its zone's time; *local_open (may be NULL) gets the local opening
 * for a subject line. The zone is read once. */
static json_t *opening_json(const char *zone, const struct fp_window_occ *occ,
                            char local_open[128])
{
        struct fp_tz *z = NULL;
        if (fp_tz_load(zone, &z, NULL) != FP_OK)
                z = NULL;
        char ou[40], cu[40], ol[128], cl[128];
        fmt_utc(occ->open, ou);
        fmt_utc(occ->close, cu);
        fmt_local(z, zone, occ->open, ol);
        fmt_local(z, zone, occ->close, cl);
        fp_tz_free(z);
        if (local_open)
                snprintf(local_open, 128, "%s", ol);
        return json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "zone", zone, "opens",
                         (json_int_t)occ->open, "closes", (json_int_t)occ->close, "opens_utc", ou,
                         "closes_utc", cu, "opens_local", ol, "closes_local", cl);
}

static const char *zone_of(const struct fp_orch_rollout *o, size_t z)
{
        return o->window.mode == FP_WINDOW_ABSOLUTE || !o->tz_count ? o->window.tz
                                                                    : o->tz_names[z];
}

/* Queue with a subject made by printf; data is stolen. */
static enum fp_err queue(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                         const char *account, const char *type, const char *key, json_t *data,
                         struct fp_diag *diag, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));
static enum fp_err queue(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                         const char *account, const char *type, const char *key, json_t *data,
                         struct fp_diag *diag, const char *fmt, ...)
{
        if (!data)
                return FP_ENOMEM;
        char subject[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(subject, sizeof(subject), fmt, ap);
        va_end(ap);
        enum fp_err err = fp_notify_event(srv, tx, now, account, type, key, subject, data, diag);
        json_decref(data);
        return err;
}

enum fp_err fp_notify_cr_submitted(struct fp_server *srv, struct fp_tx *tx,
                                   const struct fp_cr_rec *c, int64_t now, struct fp_diag *diag)
{
        char key[64];
        snprintf(key, sizeof(key), "cr:%s:submitted", c->id);
        return queue(srv, tx, now, c->account, "change.approval", key,
                     json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:b}", "change_request", c->id, "title",
                               c->title, "author", c->author, "baseline", c->baseline, "window",
                               c->window, "emergency", c->emergency),
                     diag, "Change request %s needs approval: %.200s", c->id, c->title);
}

enum fp_err fp_notify_cr_planned(struct fp_server *srv, struct fp_tx *tx,
                                 const struct fp_cr_rec *c, int64_t now, struct fp_diag *diag)
{
        struct fp_orch_rollout o;
        memset(&o, 0, sizeof(o));
        enum fp_err err = fp_orch_rollout_load(tx, c->id, now, &o, diag);
        if (err == FP_ENOTFOUND) { /* replaced groups only: no rollout of its own */
                fp_diag_clear(diag);
                fp_orch_rollout_free(&o);
                return FP_OK;
        }
        json_t *openings = json_array();
        int64_t first = 0;
        for (size_t z = 0; err == FP_OK && o.ro.windows && z < o.ro.window_count && z < 64; z++) {
                const struct fp_ro_windows *w = &o.ro.windows[z];
                for (size_t k = 0; k < w->count; k++) {
                        if (w->occ[k].close <= now)
                                continue;
                        json_array_append_new(openings,
                                              opening_json(zone_of(&o, z), &w->occ[k], NULL));
                        if (!first || w->occ[k].open < first)
                                first = w->occ[k].open;
                        break;
                }
        }
        char key[64], when[40] = "now (no window)";
        snprintf(key, sizeof(key), "cr:%s:planned", c->id);
        if (first)
                fmt_utc(first > now ? first : now, when);
        if (err == FP_OK)
                err = queue(srv, tx, now, c->account, "maintenance.planned", key,
                            json_pack("{s:s?, s:s?, s:s?, s:I, s:I, s:O}", "change_request", c->id,
                                      "title", c->title, "window", c->window, "hosts",
                                      (json_int_t)o.ro.host_count, "opens", (json_int_t)first,
                                      "openings", openings),
                            diag, "Planned maintenance for %s: %.200s, from %s", c->account,
                            c->title, when);
        json_decref(openings);
        fp_orch_rollout_free(&o);
        return err;
}

enum fp_err fp_notify_rollout(struct fp_server *srv, struct fp_tx *tx,
                              const struct fp_orch_rollout *o, int before, int64_t now,
                              struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        const char *cr = o->rec.cr;
        char key[160];
        if (o->ro.status == FP_RO_HALTED && before != FP_RO_HALTED) {
                snprintf(key, sizeof(key), "rollout:%s:halted:%lld", cr, (long long)now);
                err = queue(srv, tx, now, o->account, "rollout.halted", key,
                            json_pack("{s:s?, s:I, s:I, s:I, s:s?}", "change_request", cr,
                                      "failures", (json_int_t)o->ro.failures, "wave",
                                      (json_int_t)o->ro.wave, "waves",
                                      (json_int_t)o->ro.wave_count, "status", "halted"),
                            diag, "Rollout of %s halted after %lld failure(s)", cr,
                            (long long)o->ro.failures);
        }
        int64_t lead = srv ? srv->cfg.notify_window_lead : 0;
        if (err != FP_OK || lead <= 0 || !o->ro.windows ||
            (o->ro.status != FP_RO_SCHEDULED && o->ro.status != FP_RO_RUNNING))
                return err;
        for (size_t z = 0; err == FP_OK && z < o->ro.window_count; z++) {
                const struct fp_ro_windows *w = &o->ro.windows[z];
                for (size_t k = 0; err == FP_OK && k < w->count; k++) {
                        const struct fp_window_occ *occ = &w->occ[k];
                        if (occ->open <= now)
                                continue;
                        if (occ->open - now > lead)
                                break; /* ascending */
                        const char *zone = zone_of(o, z);
                        snprintf(key, sizeof(key), "window:%s:%lld:%.64s", cr,
                                 (long long)occ->open, zone);
                        char when[128] = "";
                        json_t *data = json_pack("{s:s?, s:o}", "change_request", cr, "opening",
                                                 opening_json(zone, occ, when));
                        err = queue(srv, tx, now, o->account, "window.starting", key, data, diag,
                                    "Maintenance window of %s opens %s", cr, when);
                }
        }
        return err;
}

enum fp_err fp_notify_host_catchup(struct fp_tx *tx, const struct fp_host_rec *h,
                                   const json_t *reasons, int64_t now, struct fp_diag *diag)
{
        char key[96], list[256] = "";
        snprintf(key, sizeof(key), "host:%s:catchup:%lld", h->id, (long long)now);
        size_t i;
        const json_t *v;
        json_array_foreach(reasons, i, v)
        {
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                         json_string_value(v));
        }
        return queue(NULL, tx, now, h->account, "host.catchup", key,
                     json_pack("{s:s?, s:s?, s:O, s:I}", "host", h->id, "hostname", h->hostname,
                               "reasons", reasons, "since", (json_int_t)now),
                     diag, "Host %.100s needs catch-up (%s)", h->hostname, list);
}

enum fp_err fp_notify_host_counts(struct fp_server *srv, struct fp_tx *tx,
                                  const struct fp_host_rec *h, const struct fp_host_counts *now_c,
                                  const char *inventory_hash, int64_t now, struct fp_diag *diag)
{
        const struct fp_host_counts *was = &h->counts;
        struct {
                const char *type, *what;
                int64_t before, after;
        } rises[] = {
            {"exposure.kev", "known-exploited (KEV) findings", was->kev, now_c->kev},
            {"exposure.critical", "critical findings", was->sev[FP_SEV_CRITICAL],
             now_c->sev[FP_SEV_CRITICAL]},
            {"sla.breach", "findings past their SLA", was->overdue, now_c->overdue},
        };
        enum fp_err err = FP_OK;
        for (size_t i = 0; err == FP_OK && i < sizeof(rises) / sizeof(rises[0]); i++) {
                if (rises[i].after <= rises[i].before)
                        continue;
                /* One per accepted check-in (a replay is refused before this): the inventory
                 * and the time, so a host exposed again with an inventory it had before is
                 * told again. */
                char key[192];
                snprintf(key, sizeof(key), "host:%s:%s:%.70s:%lld", h->id, rises[i].type,
                         inventory_hash ? inventory_hash : "", (long long)now);
                err = queue(srv, tx, now, h->account, rises[i].type, key,
                            json_pack("{s:s?, s:s?, s:I, s:I, s:I, s:I, s:I}", "host", h->id,
                                      "hostname", h->hostname, "before", (json_int_t)rises[i].before,
                                      "count", (json_int_t)rises[i].after, "kev",
                                      (json_int_t)now_c->kev, "critical",
                                      (json_int_t)now_c->sev[FP_SEV_CRITICAL], "overdue",
                                      (json_int_t)now_c->overdue),
                            diag, "Host %.100s: %lld %s (was %lld)", h->hostname,
                            (long long)rises[i].after, rises[i].what, (long long)rises[i].before);
        }
        return err;
}
