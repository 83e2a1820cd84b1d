/*
 * Fuzz the facts wire parser as the server runs it on enrollment and check-in bodies: bytes ->
 * JSON (fp_json_load) -> fp_wire_facts_parse. Invariants: a refusal has a field and a message;
 * accepted facts have a hostname, strings within FP_MAX_FACT_LEN without control characters,
 * at most FP_MAX_FACT_KERNELS kernels, and build -> parse gives an equal object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/wire.h"
#include "vuln/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s)
{
        if (!s)
                return;
        if (strlen(s) > FP_MAX_FACT_LEN)
                abort();
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum fp_err err;
        struct fp_diag diag;
        json_t *v = fp_json_load((const char *)data, size, "fuzz", &err, &diag);
        if (!v)
                return 0;
        struct fp_facts f;
        err = fp_wire_facts_parse(v, &f, &diag);
        if (err != FP_OK) {
                if (err != FP_ENOMEM && (diag.field[0] == '\0' || diag.msg[0] == '\0'))
                        abort();
                json_decref(v);
                return 0;
        }
        if (!f.hostname || !*f.hostname || f.kernel_count > FP_MAX_FACT_KERNELS)
                abort();
        const char *all[] = {f.hostname,      f.os_id,        f.os_version,     f.os_codename,
                             f.os_pretty,     f.arch,         f.kernel_running, f.boot_id,
                             f.machine_id,    f.timezone,     f.agent_version,  f.cloud_provider,
                             f.cloud_account, f.cloud_region, f.cloud_zone,     f.cloud_instance};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                check_str(all[i]);
        for (size_t i = 0; i < f.kernel_count; i++)
                check_str(f.kernels_installed[i]);
        /* a zone name is a path below zoneinfo: never absolute, no "." or ".." component */
        if (f.timezone && (f.timezone[0] == '/' || strcmp(f.timezone, "..") == 0 ||
                           strncmp(f.timezone, "../", 3) == 0 || strstr(f.timezone, "/../") ||
                           strstr(f.timezone, "/./") || strncmp(f.timezone, "./", 2) == 0))
                abort();
        if (f.timezone && strlen(f.timezone) >= 3 &&
            strcmp(f.timezone + strlen(f.timezone) - 3, "/..") == 0)
                abort();
        json_t *b = fp_wire_facts_build(&f);
        if (b) {
                struct fp_facts f2;
                if (fp_wire_facts_parse(b, &f2, &diag) == FP_OK) {
                        json_t *b2 = fp_wire_facts_build(&f2);
                        if (b2 && !json_equal(b, b2))
                                abort();
                        json_decref(b2);
                        fp_facts_release(&f2);
                } else if (strcmp(diag.msg, "out of memory") != 0) {
                        abort();
                }
                json_decref(b);
        }
        fp_facts_release(&f);
        json_decref(v);
        return 0;
}
