/* Fuzz target: the deb822 stanza parser, with and without comments, and the stream cutter. */
#include <stdint.h>
#include <stdlib.h>

#include "core/deb/deb822.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct fp_deb822_stanza st;
        const char *buf = (const char *)data;

        for (int comments = 0; comments < 2; comments++) {
                struct fp_deb822_parser p;
                struct fp_diag d;
                fp_deb822_init(&p, buf, size, "fuzz", 1, comments);
                while (fp_deb822_next(&p, &st, &d) == FP_OK && st.count > 0)
                        (void)fp_deb822_get(&st, "Package");
        }
        size_t pos = 0, end;
        while (pos < size && (end = fp_deb822_stanza_end(buf + pos, size - pos)) > 0) {
                const char *v;
                size_t vl;
                (void)fp_deb822_peek(buf + pos, end, "Package", &v, &vl);
                pos += end;
        }
        return 0;
}
