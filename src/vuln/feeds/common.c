/* Small helpers shared by the vulnerability feed parsers; see common.h. */
#include "vuln/feeds/common.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"

bool fp_feed_grow(void **arr, size_t *cap, size_t need, size_t elsize)
{
        if (need <= *cap)
                return true;
        size_t ncap = *cap ? *cap : 16;
        while (ncap < need)
                ncap *= 2;
        if (ncap > SIZE_MAX / elsize)
                return false;
        void *p = realloc(*arr, ncap * elsize);
        if (!p)
                return false;
        *arr = p;
        *cap = ncap;
        return true;
}

bool fp_feed_valid_token(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > FP_MAX_ADVISORY_ID_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '/')
                        return false;
        return true;
}

bool fp_feed_valid_vr(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > FP_MAX_VERSION_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr("._+~^", s[i]))
                        return false;
        return true;
}

bool fp_feed_modular_release(const char *rel)
{
        return strstr(rel, ".module+") || strstr(rel, ".module_");
}

void fp_feed_set_path(struct fp_diag *d, const char *fmt, ...)
{
        char prefix[FP_DIAG_FIELD_MAX], path[2 * FP_DIAG_FIELD_MAX + 2];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] && d->field[0] ? "/" : "",
                 d->field);
        fp_diag_where(d, NULL, 0, path);
}

bool fp_feed_fail(struct fp_diag *d, const char *field, const char *fmt, ...)
{
        va_list ap;
        fp_diag_where(d, NULL, 0, field);
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
        va_end(ap);
        return false;
}
