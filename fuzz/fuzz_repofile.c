/* Fuzz the .repo/dnf.conf ini parser, and the spec matcher with the values it yields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum fp_err on_key(void *ud, const char *section, const char *key, const char *value,
                          unsigned long line, struct fp_diag *diag)
{
        static const struct fp_rpm_pkg pkg = {.name = "kernel-core",
                                              .arch = "x86_64",
                                              .epoch = "0",
                                              .version = "6.1",
                                              .release = "3.fc40"};
        bool b;

        if (!key[0] || line == 0)
                abort();
        fp_ini_bool(value, &b);
        fp_rpm_speclist_match(value, &pkg);
        return FP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_diag diag;

        fp_ini_parse((const char *)data, size, "fuzz", on_key, NULL, &diag);
        return 0;
}
