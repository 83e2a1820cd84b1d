/* The statement helpers every SQL engine shares (src/store/sql_int.h), over its driver. */
#include <stdarg.h>

#include "fleetpatch/util.h"
#include "store/sql_int.h"

struct sq_stmt *sq_stmt(struct fp_tx *tx, const char *sql, bool cache, const char *fmt, ...)
{
        struct sq_stmt *st = sq_prepare(tx, sql, cache);
        if (!st)
                return NULL;
        va_list ap;
        va_start(ap, fmt);
        for (int i = 0; fmt[i]; i++) {
                if (fmt[i] == 's') {
                        sq_bind_text(st, i + 1, va_arg(ap, const char *));
                } else {
                        int64_t v = va_arg(ap, int64_t);
                        if (fmt[i] == 'u' && v == 0)
                                st->drv->bind_null_int(st, i + 1);
                        else
                                sq_bind_int(st, i + 1, v);
                }
        }
        va_end(ap);
        return st;
}

void sq_done(struct fp_tx *tx, struct sq_stmt *st)
{
        (void)tx;
        if (st)
                st->drv->done(st);
}

enum fp_err sq_run(struct fp_tx *tx, struct sq_stmt *st, int *changes, struct fp_diag *diag,
                   const char *what)
{
        if (!st)
                return sq_fail(tx, diag, what);
        int rc = sq_step(st);
        enum fp_err err = FP_OK;
        if (rc != SQ_DONE && rc != SQ_ROW)
                err = sq_fail(tx, diag, what);
        if (changes)
                *changes = sq_changes(st);
        sq_done(tx, st);
        return err;
}

const char *sq_col_str(struct fp_tx *tx, struct sq_stmt *st, int i)
{
        const char *v = sq_col_text(st, i);
        if (!v)
                return NULL;
        return fp_arena_strndup(&tx->base.arena, v, sq_col_bytes(st, i));
}

const char *sq_col_str0(struct fp_tx *tx, struct sq_stmt *st, int i)
{
        const char *v = sq_col_str(tx, st, i);
        return v ? v : "";
}
