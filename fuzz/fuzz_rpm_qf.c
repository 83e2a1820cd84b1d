/* Fuzz the parser of our `rpm -qa --qf` output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum fp_err on_pkg(void *ud, const struct fp_rpm_pkg *p, struct fp_diag *diag)
{
        if (!p->name[0] || !p->version[0] || !p->arch[0] || !p->epoch[0] || strchr(p->name, '\t'))
                abort();
        return FP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_diag diag;

        fp_rpm_qf_parse((const char *)data, size, "fuzz", on_pkg, NULL, &diag);
        return 0;
}
