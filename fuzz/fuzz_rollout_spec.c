/*
 * Fuzz the "rollout" member parser: bytes -> fp_ro_spec_parse. Invariants: a refusal has a
 * field starting with "rollout" and a message; an accepted spec keeps every limit, and
 * to_json -> parse -> to_json gives the same text (canonical). Ring matching of the input
 * itself as host tags must not crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/rollout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_ro_spec s, t;
        struct fp_diag diag;
        enum fp_err err = fp_ro_spec_parse((const char *)data, size, &s, &diag);

        if (err != FP_OK) {
                if (err != FP_ENOMEM &&
                    (strncmp(diag.field, "rollout", 7) != 0 || diag.msg[0] == '\0'))
                        abort();
                fp_ro_spec_free(&s);
                return 0;
        }
        if (s.ring_count < 1 || s.ring_count > FP_RO_MAX_RINGS || s.wave_count > FP_RO_MAX_WAVES)
                abort();
        for (size_t i = 0; i < s.wave_count; i++)
                if (s.waves[i].value < 1 || (s.waves[i].percent && s.waves[i].value > 100) ||
                    s.waves[i].value > FP_RO_MAX_COUNT)
                        abort();
        for (size_t i = 0; i < s.ring_count; i++)
                if (!s.rings[i].tags_json || s.rings[i].tags_json[0] != '{' || !s.rings[i].name[0])
                        abort();
        if (s.host_time < FP_RO_MIN_HOST_TIME || s.host_time > FP_RO_MAX_HOST_TIME ||
            s.bake < 0 || s.bake > FP_RO_MAX_BAKE || s.max_concurrent < 0 ||
            s.error_budget.value < 0)
                abort();
        char *a = fp_ro_spec_to_json(&s);
        if (a) {
                if (fp_ro_spec_parse(a, strlen(a), &t, &diag) != FP_OK) {
                        if (strcmp(diag.msg, "out of memory") != 0)
                                abort();
                } else {
                        char *b = fp_ro_spec_to_json(&t);
                        if (b && strcmp(a, b) != 0)
                                abort();
                        free(b);
                }
                fp_ro_spec_free(&t);
                free(a);
        }
        char *tags = malloc(size + 1);
        if (tags) {
                memcpy(tags, data, size);
                tags[size] = '\0';
                int r = fp_ro_ring_of(&s, tags);
                if (r < -1 || r >= (int)s.ring_count)
                        abort();
                free(tags);
        }
        fp_ro_spec_free(&s);
        return 0;
}
