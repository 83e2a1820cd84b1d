/*
 * Fuzz the CVSS base score. Invariants: a score is in [0, 10] and a multiple of 0.1; a refusal
 * leaves a negative score and a message; a v3.1 vector and its v3.0 twin both parse or both
 * fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char vec[1024];
        struct fp_diag diag;
        double score;

        if (size >= sizeof(vec))
                return 0;
        memcpy(vec, data, size);
        vec[size] = '\0';
        fp_diag_clear(&diag);
        bool ok = fp_cvss_base_score(vec, &score, &diag);
        if (ok) {
                double tenths = score * 10.0;
                long rounded = (long)(tenths + 0.5);
                if (score < 0.0 || score > 10.0 || (double)rounded - tenths > 1e-6 ||
                    tenths - (double)rounded > 1e-6)
                        abort();
        } else if (score >= 0.0 || diag.msg[0] == '\0') {
                abort();
        }
        if (strncmp(vec, "CVSS:3.1/", 9) == 0) {
                double other;
                vec[7] = '0';
                if (fp_cvss_base_score(vec, &other, &diag) != ok)
                        abort();
        }
        return 0;
}
