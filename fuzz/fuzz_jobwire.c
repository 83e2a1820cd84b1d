/*
 * Fuzz the job params parser as the server runs it on queued jobs and the agent on received
 * ones: bytes -> JSON (fp_json_load) -> fp_job_params_parse for every type and family. The
 * first byte picks the type and the family. Invariants: a refusal has a field and a message;
 * accepted params keep every limit (package count, name and version lengths, no control
 * characters, names of the family, hook names, 16-hex job ids) and build -> parse gives an
 * equal object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/jobwire.h"
#include "fleetpatch/limits.h"
#include "vuln/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t max)
{
        if (!s)
                return;
        if (strlen(s) == 0 || strlen(s) > max)
                abort();
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const families[] = {NULL, "deb", "rpm"};
        enum fp_err err;
        struct fp_diag diag;

        if (size < 1)
                return 0;
        enum fp_job_type t = (enum fp_job_type)(data[0] % 6);
        const char *family = families[(data[0] / 6) % 3];
        json_t *v = fp_json_load((const char *)data + 1, size - 1, "fuzz", &err, &diag);
        if (!v)
                return 0;
        struct fp_job_params p;
        err = fp_job_params_parse(t, v, family, &p, &diag);
        if (err != FP_OK) {
                if (err != FP_ENOMEM && (diag.field[0] == '\0' || diag.msg[0] == '\0'))
                        abort();
                fp_job_params_release(&p);
                json_decref(v);
                return 0;
        }
        if (p.type != t || p.pkg_count > FP_MAX_JOB_PACKAGES)
                abort();
        if ((t == FP_JOBT_INSTALL || t == FP_JOBT_UPGRADE_APPROVED) && p.pkg_count == 0)
                abort();
        if (t == FP_JOBT_ROLLBACK && !p.rollback_job == (p.pkg_count == 0))
                abort();
        for (size_t i = 0; i < p.pkg_count; i++) {
                check_str(p.pkgs[i].name, FP_MAX_NAME_LEN);
                check_str(p.pkgs[i].version, FP_MAX_VERSION_LEN);
                check_str(p.pkgs[i].arch, FP_MAX_NAME_LEN);
                if (!fp_job_pkg_name_ok(family, p.pkgs[i].name) || !p.pkgs[i].version)
                        abort();
        }
        if (p.rollback_job &&
            (strlen(p.rollback_job) != 16 || strspn(p.rollback_job, "0123456789abcdef") != 16))
                abort();
        if ((t == FP_JOBT_HOOK) != (p.hook != NULL) || (p.hook && !fp_job_hook_name_ok(p.hook)))
                abort();
        json_t *b = fp_job_params_build(&p);
        if (b) {
                struct fp_job_params q;
                if (fp_job_params_parse(t, b, family, &q, &diag) == FP_OK) {
                        json_t *b2 = fp_job_params_build(&q);
                        if (b2 && !json_equal(b, b2))
                                abort();
                        json_decref(b2);
                } else if (strcmp(diag.msg, "out of memory") != 0) {
                        abort();
                }
                fp_job_params_release(&q);
                json_decref(b);
        }
        fp_job_params_release(&p);
        json_decref(v);
        return 0;
}
