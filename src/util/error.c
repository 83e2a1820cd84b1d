/* Error names/messages from the FP_ERRORS table, and the diagnostic setters. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fleetpatch/error.h"

static const char *const err_msgs[] = {
#define FP_ERR_MSG(name, msg) msg,
        FP_ERRORS(FP_ERR_MSG)
#undef FP_ERR_MSG
};

static const char *const err_names[] = {
#define FP_ERR_NAME(name, msg) #name,
        FP_ERRORS(FP_ERR_NAME)
#undef FP_ERR_NAME
};

const char *fp_strerror(enum fp_err err)
{
        if ((unsigned)err >= FP_ERR__COUNT)
                return "unknown error";
        return err_msgs[err];
}

const char *fp_errname(enum fp_err err)
{
        if ((unsigned)err >= FP_ERR__COUNT)
                return "UNKNOWN";
        return err_names[err];
}

void fp_diag_clear(struct fp_diag *diag)
{
        if (diag)
                memset(diag, 0, sizeof(*diag));
}

void fp_diag_where(struct fp_diag *diag, const char *file, unsigned long line, const char *field)
{
        if (!diag)
                return;
        if (file)
                snprintf(diag->file, sizeof(diag->file), "%s", file);
        if (line)
                diag->line = line;
        if (field)
                snprintf(diag->field, sizeof(diag->field), "%s", field);
}

void fp_diag_msg(struct fp_diag *diag, const char *fmt, ...)
{
        va_list ap;

        if (!diag)
                return;
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
}

void fp_diag_set(struct fp_diag *diag, const char *file, unsigned long line, const char *field,
                 const char *fmt, ...)
{
        va_list ap;

        if (!diag)
                return;
        fp_diag_clear(diag);
        fp_diag_where(diag, file, line, field);
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
}

size_t fp_diag_format(const struct fp_diag *diag, char *out, size_t outsz)
{
        int n = 0;

        if (!out || outsz == 0)
                return 0;
        out[0] = '\0';
        if (!diag)
                return 0;
        if (diag->file[0] && diag->line)
                n = snprintf(out, outsz, "%s:%lu: ", diag->file, diag->line);
        else if (diag->file[0])
                n = snprintf(out, outsz, "%s: ", diag->file);
        if (n >= 0 && (size_t)n < outsz && diag->field[0])
                n += snprintf(out + n, outsz - (size_t)n, "field %s: ", diag->field);
        if (n >= 0 && (size_t)n < outsz)
                n += snprintf(out + n, outsz - (size_t)n, "%s", diag->msg[0] ? diag->msg : "error");
        return n < 0 ? 0 : ((size_t)n < outsz ? (size_t)n : outsz - 1);
}
