/* Helpers of the strict wire parsers (wirecheck.h). */
#include <stdarg.h>
#include <stdio.h>

#include "agent/wirecheck.h"

enum fp_err fp_wire_bad(struct fp_diag *diag, enum fp_err err, const char *path, const char *fmt,
                        ...)
{
        va_list ap;

        if (!diag)
                return err;
        fp_diag_set(diag, NULL, 0, path, "%s", "");
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
        return err;
}

const char *fp_wire_type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "?";
}

void fp_wire_member_path(char *out, size_t outsz, const char *prefix, const char *key)
{
        size_t n = 0;

        for (const char *p = prefix; *p && n + 1 < outsz; p++)
                out[n++] = *p;
        if (n + 1 < outsz)
                out[n++] = '.';
        for (const char *p = key; *p && n + 1 < outsz; p++)
                out[n++] = *p;
        out[n] = '\0';
}
