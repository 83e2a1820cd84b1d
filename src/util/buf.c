/* fp_buf: one bounded growable buffer used instead of ad-hoc realloc (after curl's dynbuf). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/util.h"

void fp_buf_init(struct fp_buf *b, size_t max)
{
        b->ptr = NULL;
        b->len = 0;
        b->cap = 0;
        b->max = max;
}

/* Make room for extra more bytes plus the terminating NUL. */
static enum fp_err buf_grow(struct fp_buf *b, size_t extra)
{
        size_t need, ncap;
        char *p;

        if (extra > b->max || b->len > b->max - extra)
                return FP_ELIMIT;
        need = b->len + extra + 1;
        if (need <= b->cap)
                return FP_OK;
        ncap = b->cap ? b->cap : 64;
        while (ncap < need)
                ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
        p = realloc(b->ptr, ncap);
        if (!p)
                return FP_ENOMEM;
        b->ptr = p;
        b->cap = ncap;
        return FP_OK;
}

enum fp_err fp_buf_add(struct fp_buf *b, const void *data, size_t len)
{
        enum fp_err err = buf_grow(b, len);

        if (err)
                return err;
        if (len)
                memcpy(b->ptr + b->len, data, len);
        b->len += len;
        b->ptr[b->len] = '\0';
        return FP_OK;
}

enum fp_err fp_buf_addstr(struct fp_buf *b, const char *s)
{
        return fp_buf_add(b, s, strlen(s));
}

enum fp_err fp_buf_addc(struct fp_buf *b, char c)
{
        return fp_buf_add(b, &c, 1);
}

enum fp_err fp_buf_addf(struct fp_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;
        enum fp_err err;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return FP_EINVAL;
        err = buf_grow(b, (size_t)n);
        if (err)
                return err;
        va_start(ap, fmt);
        vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return FP_OK;
}

void fp_buf_reset(struct fp_buf *b)
{
        b->len = 0;
        if (b->ptr)
                b->ptr[0] = '\0';
}

void fp_buf_release(struct fp_buf *b)
{
        free(b->ptr);
        b->ptr = NULL;
        b->len = 0;
        b->cap = 0;
}

char *fp_buf_take(struct fp_buf *b)
{
        char *p = b->ptr;

        if (!p)
                p = calloc(1, 1);
        b->ptr = NULL;
        b->len = 0;
        b->cap = 0;
        return p;
}

const char *fp_buf_str(const struct fp_buf *b)
{
        return b->ptr ? b->ptr : "";
}
