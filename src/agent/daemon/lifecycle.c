/* Host lifecycle events (lifecycle.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/daemon/lifecycle.h"
#include "agent/daemon/state.h"
#include "fleetpatch/reader.h"

#define LC_SAMPLE_FILE "lifecycle"
#define LC_EVENTS_FILE "lifecycle-events"
#define NS 1000000000LL

static const char *const kind_names[] = {"reboot", "suspend", "revert", "restart"};

const char *lc_kind_name(enum lc_kind k)
{
        return (unsigned)k < 4 ? kind_names[k] : "?";
}

bool lc_kind_parse(const char *s, enum lc_kind *out)
{
        for (unsigned i = 0; i < 4; i++)
                if (s && strcmp(s, kind_names[i]) == 0) {
                        *out = (enum lc_kind)i;
                        return true;
                }
        return false;
}

static int64_t clock_ns(clockid_t c)
{
        struct timespec ts;
        if (clock_gettime(c, &ts) != 0)
                return 0;
        return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

void lc_sample_now(struct lc_sample *s, const char *boot_id)
{
        memset(s, 0, sizeof(*s));
        snprintf(s->boot_id, sizeof(s->boot_id), "%s", boot_id ? boot_id : "");
        /* read close together: the differences between them are what is measured */
        s->monotonic_ns = clock_ns(CLOCK_MONOTONIC);
        s->boottime_ns = clock_ns(CLOCK_BOOTTIME);
        s->realtime_ns = clock_ns(CLOCK_REALTIME);
}

void lc_add(struct lc_events *e, enum lc_kind kind, int64_t at, const char *fmt, ...)
{
        if (e->count == FP_MAX_LIFECYCLE_EVENTS) {
                memmove(&e->ev[0], &e->ev[1], (e->count - 1) * sizeof(e->ev[0]));
                e->count--;
                e->dropped++;
        }
        struct lc_event *ev = &e->ev[e->count++];
        ev->kind = kind;
        ev->at = at;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(ev->detail, sizeof(ev->detail), fmt, ap);
        va_end(ap);
        /* cut at a character boundary: half a UTF-8 sequence is not JSON text, and the events
         * could no longer be saved or sent */
        if (n >= (int)sizeof(ev->detail)) {
                size_t end = sizeof(ev->detail) - 1, lead = end;
                while (lead > 0 && ((unsigned char)ev->detail[lead - 1] & 0xC0) == 0x80)
                        lead--;
                if (lead > 0) {
                        unsigned char c = (unsigned char)ev->detail[lead - 1];
                        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                        if (lead - 1 + need > end)
                                ev->detail[lead - 1] = '\0'; /* the last character is cut */
                }
        }
}

static int64_t secs(int64_t ns)
{
        return ns / NS;
}

void lc_compute(const struct lc_sample *prev, const struct lc_sample *now, long interval,
                uint64_t seen_generation, struct lc_events *out)
{
        int64_t at = secs(now->realtime_ns);
        if (!prev) {
                if (seen_generation > 0)
                        lc_add(out, LC_REVERT, at,
                               "lifecycle state missing; this agent wrote generation %" PRIu64,
                               seen_generation);
                return;
        }
        if (prev->generation < seen_generation)
                lc_add(out, LC_REVERT, at,
                       "state directory went back: generation %" PRIu64
                       " on disk, this agent wrote %" PRIu64,
                       prev->generation, seen_generation);
        bool known = prev->boot_id[0] && now->boot_id[0];
        if (known && strcmp(prev->boot_id, now->boot_id) != 0) {
                /* when the new boot began, by the wall clock now */
                lc_add(out, LC_REBOOT, secs(now->realtime_ns - now->boottime_ns),
                       "boot id %s -> %s", prev->boot_id, now->boot_id);
                return; /* the clocks of two boots cannot be compared */
        }
        /* an unknown boot id: a boot-time clock that went back is a new boot too */
        if (now->boottime_ns < prev->boottime_ns || now->monotonic_ns < prev->monotonic_ns) {
                lc_add(out, LC_REBOOT, secs(now->realtime_ns - now->boottime_ns),
                       "boot clock went back (boot id unknown)");
                return;
        }
        int64_t limit = (int64_t)(interval > 0 ? interval : 1) * NS;
        int64_t slept =
            (now->boottime_ns - now->monotonic_ns) - (prev->boottime_ns - prev->monotonic_ns);
        if (slept > limit)
                lc_add(out, LC_SUSPEND, at, "suspended %" PRId64 " s", secs(slept));
        /* the wall clock should move as the boot clock does (both count suspended time) */
        int64_t jump =
            (now->realtime_ns - prev->realtime_ns) - (now->boottime_ns - prev->boottime_ns);
        if (jump > limit || jump < -limit)
                lc_add(out, LC_SUSPEND, at,
                       "wall clock jumped %+" PRId64 " s against the boot clock (clock set or "
                       "snapshot restored)",
                       secs(jump));
}

/* ---- persistence ------------------------------------------------------------------------ */

/* A decimal integer of the whole token: optional '-' when negative is allowed, digits only. */
static bool parse_i64(const char *tok, size_t n, bool negative_ok, int64_t *out)
{
        bool neg = n > 0 && tok[0] == '-';
        size_t i = neg ? 1 : 0;
        uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if ((neg && !negative_ok) || i == n)
                return false;
        for (; i < n; i++) {
                if (tok[i] < '0' || tok[i] > '9')
                        return false;
                unsigned digit = (unsigned)(tok[i] - '0');
                if (v > (limit - digit) / 10)
                        return false; /* out of range */
                v = v * 10 + digit;
        }
        /* -2^63 has no positive counterpart: negate in unsigned, convert via the limit */
        *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
        return true;
}

static bool parse_u64(const char *tok, size_t n, uint64_t *out)
{
        uint64_t v = 0;
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (tok[i] < '0' || tok[i] > '9')
                        return false;
                unsigned digit = (unsigned)(tok[i] - '0');
                if (v > (UINT64_MAX - digit) / 10)
                        return false;
                v = v * 10 + digit;
        }
        *out = v;
        return true;
}

enum fp_err lc_sample_parse(const char *text, size_t len, struct lc_sample *out,
                            struct fp_diag *d)
{
        const char *tok[5];
        size_t tlen[5], nt = 0, i = 0;
        bool ok = len <= LC_SAMPLE_MAX_LINE;
        memset(out, 0, sizeof(*out));
        while (ok && i < len) {
                if (text[i] == ' ' || text[i] == '\t') {
                        i++;
                        continue;
                }
                size_t start = i;
                while (i < len && text[i] != ' ' && text[i] != '\t') {
                        /* control characters (a NUL, a second line) and DEL are not a sample */
                        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
                                ok = false;
                        i++;
                }
                if (nt == 5) {
                        ok = false;
                        break;
                }
                tok[nt] = text + start;
                tlen[nt++] = i - start;
        }
        ok = ok && nt == 5 && tlen[0] < LC_BOOT_ID_MAX &&
             parse_i64(tok[1], tlen[1], true, &out->realtime_ns) &&
             parse_i64(tok[2], tlen[2], true, &out->boottime_ns) &&
             parse_i64(tok[3], tlen[3], true, &out->monotonic_ns) &&
             parse_u64(tok[4], tlen[4], &out->generation);
        if (!ok) {
                fp_diag_set(d, NULL, 0, LC_SAMPLE_FILE, "not a lifecycle sample: '%.*s'",
                            (int)strnlen(text, len < 64 ? len : 64), text);
                memset(out, 0, sizeof(*out));
                return FP_ECORRUPT;
        }
        if (!(tlen[0] == 1 && tok[0][0] == '-'))
                snprintf(out->boot_id, sizeof(out->boot_id), "%.*s", (int)tlen[0], tok[0]);
        return FP_OK;
}

enum fp_err lc_sample_load(const char *state_dir, struct lc_sample *out, struct fp_diag *d)
{
        char buf[STATE_MAX_FILE];
        memset(out, 0, sizeof(*out));
        enum fp_err err = state_read(state_dir, LC_SAMPLE_FILE, buf, sizeof(buf), d);
        if (err != FP_OK)
                return err;
        err = lc_sample_parse(buf, strlen(buf), out, d);
        if (err != FP_OK)
                fp_diag_where(d, state_dir, 0, NULL);
        return err;
}

enum fp_err lc_sample_save(const char *state_dir, const struct lc_sample *s, struct fp_diag *d)
{
        char buf[256];
        /* a boot id is a UUID; anything with blanks would break the line, so it is not kept */
        const char *id = s->boot_id[0] && !strpbrk(s->boot_id, " \t\r\n") ? s->boot_id : "-";
        snprintf(buf, sizeof(buf), "%s %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64, id,
                 s->realtime_ns, s->boottime_ns, s->monotonic_ns, s->generation);
        return state_write(state_dir, LC_SAMPLE_FILE, buf, d);
}

json_t *lc_events_json(const struct lc_events *e)
{
        json_t *arr = json_array();
        json_t *o = json_pack("{s:o}", "events", arr);
        if (!o)
                return NULL;
        for (size_t i = 0; i < e->count; i++) {
                json_t *ev = json_pack("{s:s,s:I,s:s}", "kind", lc_kind_name(e->ev[i].kind), "at",
                                       (json_int_t)e->ev[i].at, "detail", e->ev[i].detail);
                if (!ev || json_array_append_new(arr, ev) != 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

enum fp_err lc_events_parse(const char *text, size_t len, struct lc_events *out,
                            struct fp_diag *d)
{
        memset(out, 0, sizeof(*out));
        if (len > LC_EVENTS_MAX_FILE) {
                fp_diag_set(d, NULL, 0, LC_EVENTS_FILE, "more than %d bytes", LC_EVENTS_MAX_FILE);
                return FP_ECORRUPT;
        }
        json_error_t je;
        json_t *root = json_loadb(text, len, 0, &je);
        const json_t *arr = json_object_get(root, "events");
        if (!json_is_array(arr)) {
                json_decref(root);
                fp_diag_set(d, NULL, root ? 0 : (unsigned long)je.line, LC_EVENTS_FILE,
                            "not a list of lifecycle events%s%s", root ? "" : ": ",
                            root ? "" : je.text);
                return FP_ECORRUPT;
        }
        size_t i;
        const json_t *ev;
        json_array_foreach(arr, i, ev)
        {
                enum lc_kind k;
                const json_t *at = json_object_get(ev, "at");
                const char *detail = json_string_value(json_object_get(ev, "detail"));
                if (!lc_kind_parse(json_string_value(json_object_get(ev, "kind")), &k) ||
                    !json_is_integer(at))
                        continue; /* one bad entry does not lose the others */
                lc_add(out, k, (int64_t)json_integer_value(at), "%s", detail ? detail : "");
        }
        json_decref(root);
        return FP_OK;
}

enum fp_err lc_events_load(const char *state_dir, struct lc_events *out, struct fp_diag *d)
{
        char path[4096];
        char *data = NULL;
        size_t len;
        memset(out, 0, sizeof(*out));
        snprintf(path, sizeof(path), "%s/%s", state_dir, LC_EVENTS_FILE);
        enum fp_err err = fp_read_file(path, LC_EVENTS_MAX_FILE, &data, &len, d);
        if (err == FP_ENOENT) {
                fp_diag_clear(d);
                return FP_OK;
        }
        if (err != FP_OK)
                return err;
        err = lc_events_parse(data, len, out, d);
        free(data);
        if (err != FP_OK)
                fp_diag_where(d, path, 0, NULL);
        return err;
}

enum fp_err lc_events_save(const char *state_dir, const struct lc_events *e, struct fp_diag *d)
{
        json_t *j = lc_events_json(e);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!text) {
                fp_diag_set(d, state_dir, 0, LC_EVENTS_FILE, "out of memory");
                return FP_ENOMEM;
        }
        enum fp_err err = state_write(state_dir, LC_EVENTS_FILE, text, d);
        free(text);
        return err;
}

enum fp_err lc_events_ack(const char *state_dir, size_t n, struct fp_diag *d)
{
        struct lc_events e;
        enum fp_err err = lc_events_load(state_dir, &e, d);
        if (err != FP_OK)
                return err;
        if (n >= e.count) {
                state_remove(state_dir, LC_EVENTS_FILE);
                return FP_OK;
        }
        memmove(&e.ev[0], &e.ev[n], (e.count - n) * sizeof(e.ev[0]));
        e.count -= n;
        return lc_events_save(state_dir, &e, d);
}
