/*
 * Fuzz the agent's lifecycle state files as lc_sample_load and lc_events_load read them: the
 * first byte picks the parser (even: the sample line, lc_sample_parse; odd: the pending
 * events, lc_events_parse), the rest is the file. Invariants: a refusal says why; a sample
 * keeps its limits and, written as lc_sample_save writes it, parses again to the same sample;
 * events are at most FP_MAX_LIFECYCLE_EVENTS with known kinds and bounded details, and always
 * serialise (lc_events_json, as lc_events_save does) to a document that parses again to the
 * same events.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/lifecycle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sample(const char *text, size_t len)
{
        struct lc_sample s, t;
        struct fp_diag diag;
        char line[256];

        fp_diag_clear(&diag);
        if (lc_sample_parse(text, len, &s, &diag) != FP_OK) {
                if (diag.msg[0] == '\0' || s.boot_id[0] || s.generation || s.realtime_ns)
                        abort();
                return;
        }
        size_t n = strnlen(s.boot_id, sizeof(s.boot_id));
        if (n >= LC_BOOT_ID_MAX)
                abort();
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s.boot_id[i] <= 0x20 || s.boot_id[i] == 0x7f)
                        abort();
        /* the format of lc_sample_save */
        int w = snprintf(line, sizeof(line), "%s %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64,
                         s.boot_id[0] ? s.boot_id : "-", s.realtime_ns, s.boottime_ns,
                         s.monotonic_ns, s.generation);
        if (w < 0 || (size_t)w > LC_SAMPLE_MAX_LINE)
                abort();
        if (lc_sample_parse(line, (size_t)w, &t, &diag) != FP_OK ||
            strcmp(s.boot_id, t.boot_id) != 0 || s.realtime_ns != t.realtime_ns ||
            s.boottime_ns != t.boottime_ns || s.monotonic_ns != t.monotonic_ns ||
            s.generation != t.generation)
                abort();
}

static void fuzz_events(const char *text, size_t len)
{
        static struct lc_events e, f;
        struct fp_diag diag;

        fp_diag_clear(&diag);
        enum fp_err err = lc_events_parse(text, len, &e, &diag);
        if (err != FP_OK) {
                if (diag.msg[0] == '\0' || e.count != 0)
                        abort();
                return;
        }
        if (e.count > FP_MAX_LIFECYCLE_EVENTS)
                abort();
        for (size_t i = 0; i < e.count; i++)
                if (strcmp(lc_kind_name(e.ev[i].kind), "?") == 0 ||
                    strnlen(e.ev[i].detail, LC_DETAIL_MAX) >= LC_DETAIL_MAX)
                        abort();
        json_t *j = lc_events_json(&e);
        char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!out)
                abort(); /* loaded events that cannot be saved again */
        if (lc_events_parse(out, strlen(out), &f, &diag) != FP_OK || f.count != e.count)
                abort();
        for (size_t i = 0; i < e.count; i++)
                if (e.ev[i].kind != f.ev[i].kind || e.ev[i].at != f.ev[i].at ||
                    strcmp(e.ev[i].detail, f.ev[i].detail) != 0)
                        abort();
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        if (data[0] % 2 == 0)
                fuzz_sample((const char *)data + 1, size - 1);
        else
                fuzz_events((const char *)data + 1, size - 1);
        return 0;
}
