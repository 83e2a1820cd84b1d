/* Fuzz the streaming updateinfo.xml parser, fed in two chunks. */
#include <stdint.h>
#include <stdlib.h>

#include "core/rpm/rpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum fp_err on_adv(void *ud, const struct fp_advisory_pkg *a, struct fp_diag *diag)
{
        if (!a->advisory || !a->type || !a->name || !a->arch || !a->epoch || !a->version ||
            !a->release || !a->severity)
                abort();
        return FP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_updateinfo_parser *p = NULL;
        struct fp_diag diag;
        size_t split = size ? data[0] % (size + 1) : 0;
        enum fp_err err = fp_updateinfo_parser_new("fuzz", on_adv, NULL, &p);

        if (err == FP_OK)
                err = fp_updateinfo_parser_feed(p, data, split, false, &diag);
        if (err == FP_OK)
                fp_updateinfo_parser_feed(p, data + split, size - split, true, &diag);
        fp_updateinfo_parser_free(p);
        return 0;
}
