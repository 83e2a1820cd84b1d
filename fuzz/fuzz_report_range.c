/*
 * Fuzz the query parser of compliance reports (fp_report_range_parse, fp_comply_parse_time,
 * fp_comply_dim_parse; src/server/report_render.c) on arbitrary bytes. Input: from, to, step
 * and by separated by '\n' (a missing part is NULL). Invariants: a range that parses lies within
 * the limits (from <= to <= now, at most FP_REPORT_MAX_DAYS, step >= FP_REPORT_MIN_STEP, at most
 * FP_REPORT_MAX_POINTS points); a refusal names the field; a parsed tag dimension has a key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/comply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size + 1);
        if (!buf)
                abort();
        memcpy(buf, data, size);
        buf[size] = 0;
        char *part[4] = {NULL, NULL, NULL, NULL};
        char *p = buf;
        for (int i = 0; i < 4 && p; i++) {
                part[i] = p;
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                p = nl ? nl + 1 : NULL;
        }
        for (int i = 0; i < 4; i++)
                if (part[i] && !strcmp(part[i], "-"))
                        part[i] = NULL;
        const int64_t now = 1800000000;
        struct fp_report_range r;
        struct fp_diag d;
        fp_diag_clear(&d);
        enum fp_err err = fp_report_range_parse(part[0], part[1], part[2], now, &r, &d);
        if (err == FP_OK) {
                if (r.from > r.to || r.to > now || r.to - r.from > (int64_t)FP_REPORT_MAX_DAYS * 86400 ||
                    r.step < FP_REPORT_MIN_STEP || (r.to - r.from) / r.step + 1 > FP_REPORT_MAX_POINTS)
                        abort();
        } else if (!d.field[0] || !d.msg[0]) {
                abort();
        }
        int64_t t;
        if (part[0] && fp_comply_parse_time(part[0], true, &t) && t < 0)
                abort();
        enum fp_comply_dim dim;
        const char *key;
        if (fp_comply_dim_parse(part[3], &dim, &key) && dim == FP_DIM_TAG && (!key || !*key))
                abort();
        free(buf);
        return 0;
}
