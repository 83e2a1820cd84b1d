/* Fuzz the streaming reader: any bytes, any compression, read as lines and as raw chunks. */
#include <stdint.h>
#include <stdlib.h>

#include "fleetpatch/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_reader *r = NULL;
        struct fp_diag diag;
        const char *line;
        size_t len;

        if (fp_reader_open_mem(data, size, "fuzz", &r, &diag) == FP_OK) {
                while (fp_reader_getline(r, &line, &len, &diag) == FP_OK && line)
                        if (len && line[len] != '\0')
                                abort(); /* lines are NUL-terminated at their length */
                fp_reader_free(r);
        }
        if (fp_reader_open_mem(data, size, "fuzz.gz", &r, &diag) == FP_OK) {
                char buf[4096];
                size_t got;
                while (fp_reader_read(r, buf, sizeof(buf), &got, &diag) == FP_OK && got)
                        ;
                fp_reader_free(r);
        }
        return 0;
}
