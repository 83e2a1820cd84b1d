/* Fuzz target: dpkg status parser (Status, Version via dpkg's rules, Source) and apt.conf. */
#include <stdint.h>

#include "core/deb/aptconf.h"
#include "core/deb/packages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(const char *name, const char *value, void *ctx)
{
        (void)name;
        (void)value;
        (void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_arena a;
        struct fp_dpkg_status st;
        struct fp_diag d;

        fp_arena_init(&a);
        if (fp_dpkg_status_parse((const char *)data, size, "fuzz", &a, &st, &d) == FP_OK)
                fp_dpkg_status_release(&st);
        fp_arena_release(&a);
        (void)fp_aptconf_parse((const char *)data, size, "fuzz", ignore, NULL, &d);
        return 0;
}
