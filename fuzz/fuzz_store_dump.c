/*
 * Fuzz the store dump's reader (fp_dump_check: the format, limits, counts and digests that
 * `fleetpatchd import` checks before it writes a row). Invariants: an accepted dump has every
 * table of the schema with a 64-hex digest and a count >= 0; a refusal has a message, and a
 * line number within the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/store_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0 || size > 4 * 1024 * 1024)
                return 0;
        FILE *f = fmemopen((void *)data, size, "r");
        if (!f)
                return 0;
        static struct fp_dump_summary sum;
        struct fp_diag d;
        fp_diag_clear(&d);
        enum fp_err err = fp_dump_check(f, "fuzz", &sum, &d);
        fclose(f);
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        if (err == FP_OK) {
                const char *tables[FP_DUMP_TABLES_MAX];
                if (sum.tables != fp_dump_tables(tables, FP_DUMP_TABLES_MAX))
                        abort();
                for (size_t i = 0; i < sum.tables; i++)
                        if (strlen(sum.t[i].sha256) != 64 || sum.t[i].rows < 0 ||
                            strcmp(sum.t[i].name, tables[i]))
                                abort();
        } else if (!d.msg[0] || d.line > lines) {
                abort();
        }
        return 0;
}
