/* Fuzz the repomd.xml parser from memory; every accepted entry has a safe href. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_repomd md = {0};
        struct fp_diag diag;

        if (fp_repomd_parse((const char *)data, size, "fuzz", &md, &diag) == FP_OK) {
                for (size_t i = 0; i < md.count; i++) {
                        const char *h = md.entries[i].href;
                        if (!h || h[0] == '/' || strstr(h, "://"))
                                abort();
                }
                fp_repomd_release(&md);
        }
        return 0;
}
