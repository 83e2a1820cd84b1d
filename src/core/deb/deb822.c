/*
 * deb822 stanza parser shared by the dpkg status, Packages, Release and preferences readers.
 * Zero-copy: fields are views into the caller's buffer, so a 50 MB Packages file costs no
 * per-field allocation.
 */
#include <string.h>
#include <strings.h>

#include "core/deb/deb822.h"

void fp_deb822_init(struct fp_deb822_parser *p, const char *buf, size_t len, const char *file,
                    unsigned long first_line, bool comments)
{
        p->buf = buf;
        p->len = buf ? len : 0;
        p->pos = 0;
        p->line = first_line ? first_line : 1;
        p->file = file;
        p->comments = comments;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* A line with nothing but blanks separates stanzas (dpkg and apt both accept that). */
static bool line_is_empty(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!is_blank(s[i]))
                        return false;
        return true;
}

static enum fp_err fail(struct fp_deb822_parser *p, struct fp_diag *diag, enum fp_err err,
                        unsigned long line, const char *field, size_t field_len, const char *msg)
{
        char fname[FP_DIAG_FIELD_MAX];
        size_t n = field_len < sizeof(fname) - 1 ? field_len : sizeof(fname) - 1;

        if (field)
                memcpy(fname, field, n);
        fname[field ? n : 0] = '\0';
        fp_diag_set(diag, p->file, line, fname, "%s", msg);
        return err;
}

enum fp_err fp_deb822_next(struct fp_deb822_parser *p, struct fp_deb822_stanza *st,
                           struct fp_diag *diag)
{
        struct fp_deb822_field *cur = NULL;
        size_t start = 0;
        enum fp_err err = FP_OK;

        st->count = 0;
        st->line = 0;
        while (p->pos < p->len) {
                const char *line = p->buf + p->pos;
                const char *nl = memchr(line, '\n', p->len - p->pos);
                size_t n = nl ? (size_t)(nl - line) : p->len - p->pos;
                unsigned long lineno = p->line;

                p->pos += n + (nl ? 1 : 0);
                p->line++;
                if (memchr(line, '\0', n)) {
                        err = fail(p, diag, FP_EPARSE, lineno, cur ? cur->name : NULL,
                                   cur ? cur->name_len : 0, "NUL byte in control data");
                        goto out;
                }
                if (p->comments && n > 0 && line[0] == '#')
                        continue;
                if (line_is_empty(line, n)) {
                        if (st->count > 0)
                                goto out;
                        continue;
                }
                if (st->count == 0)
                        start = (size_t)(line - p->buf);
                if ((size_t)(line + n - (p->buf + start)) > FP_MAX_STANZA_LEN) {
                        err = fail(p, diag, FP_ELIMIT, lineno, NULL, 0,
                                   "stanza exceeds FP_MAX_STANZA_LEN");
                        goto out;
                }
                if (line[0] == ' ' || line[0] == '\t') {
                        if (!cur) {
                                err = fail(p, diag, FP_EPARSE, lineno, NULL, 0,
                                           "continuation line before any field");
                                goto out;
                        }
                        /* Extend the value to the end of this line, trailing blanks cut. */
                        size_t end = (size_t)(line + n - cur->value);
                        while (end > 0 && is_blank(cur->value[end - 1]))
                                end--;
                        cur->value_len = end;
                        if (cur->value_len > FP_MAX_FIELD_LEN) {
                                err = fail(p, diag, FP_ELIMIT, cur->line, cur->name,
                                           cur->name_len, "field exceeds FP_MAX_FIELD_LEN");
                                goto out;
                        }
                        continue;
                }
                const char *colon = memchr(line, ':', n);
                if (!colon) {
                        err = fail(p, diag, FP_EPARSE, lineno, NULL, 0,
                                   "line is not 'Field: value' (no colon)");
                        goto out;
                }
                size_t name_len = (size_t)(colon - line);
                while (name_len > 0 && is_blank(line[name_len - 1]))
                        name_len--;
                if (name_len == 0) {
                        err = fail(p, diag, FP_EPARSE, lineno, NULL, 0, "empty field name");
                        goto out;
                }
                if (st->count >= FP_MAX_FIELDS) {
                        err = fail(p, diag, FP_ELIMIT, lineno, line, name_len,
                                   "stanza has more than FP_MAX_FIELDS fields");
                        goto out;
                }
                cur = &st->fields[st->count++];
                if (st->count == 1)
                        st->line = lineno;
                cur->name = line;
                cur->name_len = name_len;
                cur->line = lineno;
                const char *v = colon + 1, *e = line + n;
                while (v < e && is_blank(*v))
                        v++;
                while (e > v && is_blank(e[-1]))
                        e--;
                cur->value = v;
                cur->value_len = (size_t)(e - v);
                if (cur->value_len > FP_MAX_FIELD_LEN) {
                        err = fail(p, diag, FP_ELIMIT, lineno, cur->name, cur->name_len,
                                   "field exceeds FP_MAX_FIELD_LEN");
                        goto out;
                }
        }
out:
        if (err != FP_OK)
                st->count = 0;
        return err;
}

bool fp_deb822_name_is(const struct fp_deb822_field *f, const char *name)
{
        size_t n = strlen(name);
        return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

const struct fp_deb822_field *fp_deb822_get(const struct fp_deb822_stanza *st, const char *name)
{
        for (size_t i = 0; i < st->count; i++)
                if (fp_deb822_name_is(&st->fields[i], name))
                        return &st->fields[i];
        return NULL;
}

size_t fp_deb822_stanza_end(const char *buf, size_t len)
{
        const char *p = buf, *end = buf + len;

        /* Skip leading separators so an empty stanza never ends at offset 0. */
        while (p < end && (*p == '\n' || *p == '\r'))
                p++;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl || nl + 1 >= end)
                        return 0;
                if (nl[1] == '\n')
                        return (size_t)(nl + 2 - buf);
                if (nl[1] == '\r' && nl + 2 < end && nl[2] == '\n')
                        return (size_t)(nl + 3 - buf);
                p = nl + 1;
        }
        return 0;
}

bool fp_deb822_peek(const char *stanza, size_t len, const char *name, const char **value,
                    size_t *value_len)
{
        size_t n = strlen(name);
        const char *p = stanza, *end = stanza + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                if ((size_t)(le - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
                        const char *v = p + n + 1;
                        while (v < le && is_blank(*v))
                                v++;
                        while (le > v && is_blank(le[-1]))
                                le--;
                        *value = v;
                        *value_len = (size_t)(le - v);
                        return true;
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        return false;
}
