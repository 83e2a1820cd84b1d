/*
 * Fuzz the check of a finished job's result (fp_job_result_check, as POST /v1/agent/jobs/{id}
 * runs it on what an agent sends). Input: one byte choosing succeeded/failed, then JSON text.
 * Invariants: a refusal names a field under "result" and says why; an accepted result keeps
 * every documented rule: a closed set of members, a verdict of the fixed list, no "verified"
 * with missing or unexpected entries, a reason exactly when the job failed, every plan entry a
 * known action with from/to as that action needs them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const json_t *r, bool succeeded)
{
        const char *verdict = json_string_value(json_object_get(r, "verdict"));
        if (json_object_get(r, "verdict") && !verdict)
                abort();
        if (verdict && strcmp(verdict, "verified") && strcmp(verdict, "mismatch") &&
            strcmp(verdict, "not-run"))
                abort();
        size_t nm = json_array_size(json_object_get(r, "missing"));
        size_t nu = json_array_size(json_object_get(r, "unexpected"));
        if (verdict && !strcmp(verdict, "verified") && (nm || nu))
                abort();
        json_t *reason = json_object_get(r, "reason");
        const char *rs = reason ? json_string_value(reason) : "";
        if (!rs || (succeeded && *rs) || (!succeeded && !*rs))
                abort();
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(r, "plan"), i, e) {
                const char *a = json_string_value(json_object_get(e, "action"));
                if (!a || !json_is_string(json_object_get(e, "name")))
                        abort();
                bool from_null = json_is_null(json_object_get(e, "from"));
                bool to_null = json_is_null(json_object_get(e, "to"));
                if (from_null && strcmp(a, "install"))
                        abort();
                if (to_null && strcmp(a, "remove"))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        bool succeeded = data[0] & 1;
        json_error_t e;
        json_t *r = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, &e);
        if (!r)
                return 0;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_job_result_check(r, succeeded, &diag);
        if (err == FP_OK)
                check_accepted(r, succeeded);
        else if (err != FP_ENOMEM &&
                 (strncmp(diag.field, "result", 6) || !diag.msg[0] ||
                  (err != FP_EPARSE && err != FP_ELIMIT)))
                abort();
        json_decref(r);
        return 0;
}
