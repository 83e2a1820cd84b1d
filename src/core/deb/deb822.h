/*
 * deb822 control-file stanzas (dpkg status, Packages, Release, apt preferences): a zero-copy
 * parser over a caller's buffer. Fields point into the buffer; nothing is allocated.
 */
#ifndef FP_CORE_DEB_DEB822_H
#define FP_CORE_DEB_DEB822_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/limits.h"

struct fp_deb822_field {
        const char *name;
        size_t name_len;
        /* First-line value without surrounding blanks, continuation lines included raw. */
        const char *value;
        size_t value_len;
        unsigned long line; /* line of the field name, counted from the parser's first line */
};

struct fp_deb822_stanza {
        struct fp_deb822_field fields[FP_MAX_FIELDS];
        size_t count;
        unsigned long line; /* first line of the stanza */
};

struct fp_deb822_parser {
        const char *buf;
        size_t len;
        size_t pos;
        unsigned long line; /* number of the line at pos */
        const char *file;   /* for diagnostics; may be NULL */
        bool comments;      /* '#' lines are comments (apt preferences, not dpkg files) */
};

/* file names the input in diagnostics; first_line is the number of buf's first line. */
void fp_deb822_init(struct fp_deb822_parser *p, const char *buf, size_t len, const char *file,
                    unsigned long first_line, bool comments);

/*
 * Next stanza. At end of input FP_OK with st->count == 0. Errors: FP_EPARSE (a line that is
 * neither "Name: value" nor a continuation, a NUL byte, an empty field name), FP_ELIMIT (more
 * than FP_MAX_FIELDS fields, a field over FP_MAX_FIELD_LEN, a stanza over FP_MAX_STANZA_LEN);
 * diag names file, line and field.
 */
enum fp_err fp_deb822_next(struct fp_deb822_parser *p, struct fp_deb822_stanza *st,
                           struct fp_diag *diag);

/* First field of that name (ASCII case-insensitive, as dpkg and apt match them), or NULL. */
const struct fp_deb822_field *fp_deb822_get(const struct fp_deb822_stanza *st, const char *name);

/* True if the field's name equals name (case-insensitive). */
bool fp_deb822_name_is(const struct fp_deb822_field *f, const char *name);

/*
 * Where the stanza starting at buf ends: the offset just past its terminating blank line, or
 * 0 when buf holds no complete stanza yet. Used by streaming readers to cut chunks into whole
 * stanzas without parsing them.
 */
size_t fp_deb822_stanza_end(const char *buf, size_t len);

/* The Package field of a raw stanza, found without a full parse (fast skip of Packages). */
bool fp_deb822_peek(const char *stanza, size_t len, const char *name, const char **value,
                    size_t *value_len);

#endif
