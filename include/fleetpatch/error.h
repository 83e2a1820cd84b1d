/* Error codes of libfleetpatch: one X-macro table gives the enum, the name and the message. */
#ifndef FLEETPATCH_ERROR_H
#define FLEETPATCH_ERROR_H

#include <stddef.h>

#define FP_ERRORS(X)                                                                               \
        X(OK, "success")                                                                           \
        X(NOMEM, "out of memory")                                                                  \
        X(INVAL, "invalid argument")                                                               \
        X(PARSE, "malformed input")                                                                \
        X(LIMIT, "input exceeds a limit")                                                          \
        X(IO, "input/output error")                                                                \
        X(NOENT, "no such file or directory")                                                      \
        X(ACCES, "permission denied")                                                              \
        X(UNSUPPORTED, "unsupported format")                                                       \
        X(CORRUPT, "corrupt or truncated data")                                                    \
        X(EXEC, "external command failed")                                                         \
        X(NOTFOUND, "not found")                                                                   \
        X(EXIST, "already exists")

enum fp_err {
#define FP_ERR_ENUM(name, msg) FP_E##name,
        FP_ERRORS(FP_ERR_ENUM)
#undef FP_ERR_ENUM
                FP_ERR__COUNT
};
#define FP_OK FP_EOK

/* Human message and symbolic name ("PARSE") of an error code; never NULL. */
const char *fp_strerror(enum fp_err err);
const char *fp_errname(enum fp_err err);

/*
 * Why an input was rejected: where (file, line, field) and what. Library code fills it,
 * the programs print it. All members are optional; empty strings mean "unknown".
 */
#define FP_DIAG_FILE_MAX 512
#define FP_DIAG_FIELD_MAX 64
#define FP_DIAG_MSG_MAX 256
struct fp_diag {
        char file[FP_DIAG_FILE_MAX];
        unsigned long line; /* 1-based; 0 = not applicable */
        char field[FP_DIAG_FIELD_MAX];
        char msg[FP_DIAG_MSG_MAX];
};

/* Each setter is NULL-safe on diag, so callers that don't care pass NULL. */
void fp_diag_clear(struct fp_diag *diag);
void fp_diag_set(struct fp_diag *diag, const char *file, unsigned long line, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Only the message; keeps file/line/field that an outer layer may fill in. */
void fp_diag_msg(struct fp_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fp_diag_where(struct fp_diag *diag, const char *file, unsigned long line, const char *field);
/* "file:line: field: msg" with the unknown parts left out. */
size_t fp_diag_format(const struct fp_diag *diag, char *out, size_t outsz);

#endif
