/*
 * Fuzz the PostgreSQL engine's rewrites (src/store/pg_sql.c) with arbitrary SQL text: no
 * crash or overread; a rewrite has no '?' left outside quotes, and its parameter count is
 * within PG_SQL_MAX_PARAMS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *sql = malloc(size + 1);
        if (!sql)
                return 0;
        memcpy(sql, data, size);
        sql[size] = 0;
        int n = -1;
        char *out = pg_rewrite(sql, &n);
        if (out) {
                if (n < 0 || n > PG_SQL_MAX_PARAMS)
                        abort();
                char q = 0;
                for (const char *p = out; *p; p++) {
                        if (q) {
                                if (*p == q)
                                        q = 0; /* a doubled quote closes and reopens: same */
                        } else if (*p == '\'' || *p == '"') {
                                q = *p;
                        } else if (*p == '?') {
                                abort();
                        }
                }
        }
        free(out);
        free(pg_ddl(sql));
        free(sql);
        return 0;
}
