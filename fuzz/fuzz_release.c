/* Fuzz target: Release/InRelease parser (armour stripping, SHA256 list). */
#include <stdint.h>

#include "core/deb/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_arena a;
        struct fp_release r;
        struct fp_diag d;

        fp_arena_init(&a);
        if (fp_release_parse((const char *)data, size, "fuzz", &a, &r, &d) == FP_OK) {
                (void)fp_release_is_security(&r);
                (void)fp_release_find(&r, "main/binary-amd64/Packages");
        }
        fp_arena_release(&a);
        return 0;
}
