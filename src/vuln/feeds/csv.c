/* RFC 4180 CSV record splitter (see csv.h). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"
#include "vuln/feeds/csv.h"

enum fp_err fp_csv_init(struct fp_csv *c, const char *data, size_t len, const char *name)
{
        memset(c, 0, sizeof(*c));
        /* Spreadsheet exports start with a byte order mark; it is not part of the header. */
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
                data += 3;
                len -= 3;
        }
        c->data = data;
        c->len = len;
        c->name = name;
        c->lineno = 1;
        /* Unquoted content is never longer than the record, plus one NUL per field. */
        c->buf = malloc((size_t)FP_MAX_CSV_LINE_LEN + FP_CSV_MAX_FIELDS + 1);
        return c->buf ? FP_OK : FP_ENOMEM;
}

void fp_csv_release(struct fp_csv *c)
{
        free(c->buf);
        c->buf = NULL;
        c->nfields = 0;
}

/* Where the record being split is: its first byte, and the start of the current line for
 * column numbers in diagnostics. */
struct cursor {
        size_t start;
        size_t line_start;
        size_t out;
};

static enum fp_err fail(struct fp_csv *c, const struct cursor *k, enum fp_err err,
                        struct fp_diag *diag, const char *what)
{
        fp_diag_set(diag, c->name, c->lineno, "", "CSV: %s at column %zu", what,
                    c->pos - k->line_start + 1);
        c->nfields = 0;
        return err;
}

static bool too_long(const struct fp_csv *c, const struct cursor *k)
{
        return c->pos - k->start >= (size_t)FP_MAX_CSV_LINE_LEN;
}

/* A line end at pos: "\n" or "\r\n"; its length, or 0. */
static size_t eol_at(const struct fp_csv *c, size_t pos)
{
        if (pos < c->len && c->data[pos] == '\n')
                return 1;
        if (pos + 1 < c->len && c->data[pos] == '\r' && c->data[pos + 1] == '\n')
                return 2;
        return 0;
}

static enum fp_err quoted_field(struct fp_csv *c, struct cursor *k, struct fp_diag *diag)
{
        c->pos++; /* the opening quote */
        for (;;) {
                if (c->pos >= c->len)
                        return fail(c, k, FP_ECORRUPT, diag,
                                    "quoted field not closed before the end of data");
                if (too_long(c, k))
                        return fail(c, k, FP_ELIMIT, diag, "record longer than the limit");
                char ch = c->data[c->pos];
                if (ch == '"') {
                        if (c->pos + 1 < c->len && c->data[c->pos + 1] == '"') {
                                c->buf[k->out++] = '"';
                                c->pos += 2;
                                continue;
                        }
                        c->pos++;
                        break;
                }
                if (ch == '\0')
                        return fail(c, k, FP_EPARSE, diag, "NUL byte");
                c->buf[k->out++] = ch;
                c->pos++;
                if (ch == '\n') {
                        c->lineno++;
                        k->line_start = c->pos;
                }
        }
        if (c->pos < c->len && c->data[c->pos] != ',' && eol_at(c, c->pos) == 0)
                return fail(c, k, FP_EPARSE, diag, "text after a closing quote");
        return FP_OK;
}

static enum fp_err plain_field(struct fp_csv *c, struct cursor *k, struct fp_diag *diag)
{
        while (c->pos < c->len && c->data[c->pos] != ',' && eol_at(c, c->pos) == 0) {
                if (too_long(c, k))
                        return fail(c, k, FP_ELIMIT, diag, "record longer than the limit");
                char ch = c->data[c->pos];
                if (ch == '"')
                        return fail(c, k, FP_EPARSE, diag, "quote inside an unquoted field");
                if (ch == '\0')
                        return fail(c, k, FP_EPARSE, diag, "NUL byte");
                c->buf[k->out++] = ch;
                c->pos++;
        }
        return FP_OK;
}

enum fp_err fp_csv_next(struct fp_csv *c, struct fp_diag *diag)
{
        size_t n;

        c->nfields = 0;
        while ((n = eol_at(c, c->pos)) > 0) {
                c->pos += n;
                c->lineno++;
        }
        if (c->pos >= c->len)
                return FP_OK;
        struct cursor k = {.start = c->pos, .line_start = c->pos, .out = 0};
        c->rec_line = c->lineno;
        for (;;) {
                if (c->nfields == FP_CSV_MAX_FIELDS)
                        return fail(c, &k, FP_ELIMIT, diag, "more fields than the limit");
                c->fields[c->nfields++] = c->buf + k.out;
                enum fp_err err = c->pos < c->len && c->data[c->pos] == '"'
                                      ? quoted_field(c, &k, diag)
                                      : plain_field(c, &k, diag);
                if (err != FP_OK)
                        return err;
                c->buf[k.out++] = '\0';
                if (c->pos < c->len && c->data[c->pos] == ',') {
                        c->pos++;
                        continue;
                }
                n = eol_at(c, c->pos);
                c->rec_terminated = n > 0;
                c->pos += n;
                if (n > 0)
                        c->lineno++;
                return FP_OK;
        }
}

int fp_csv_column(const struct fp_csv *c, const char *name)
{
        size_t want = strlen(name);

        for (size_t i = 0; i < c->nfields; i++) {
                const char *s = c->fields[i], *e = s + strlen(s);
                while (s < e && isspace((unsigned char)*s))
                        s++;
                while (e > s && isspace((unsigned char)e[-1]))
                        e--;
                if ((size_t)(e - s) == want && strncasecmp(s, name, want) == 0)
                        return (int)i;
        }
        return -1;
}

bool fp_feed_cve_valid(const char *s)
{
        size_t n = 0;

        if (!s || strncmp(s, "CVE-", 4) != 0)
                return false;
        s += 4;
        for (n = 0; n < 4; n++)
                if (!isdigit((unsigned char)s[n]))
                        return false;
        if (s[4] != '-')
                return false;
        s += 5;
        for (n = 0; isdigit((unsigned char)s[n]); n++)
                ;
        return s[n] == '\0' && n >= 4 && n <= 19;
}

bool fp_feed_meta_date(const char *s, char out[32])
{
        int64_t t, back;

        if (!fp_parse_date(s, &t))
                return false;
        fp_format_date(t, out);
        return fp_parse_date(out, &back) && back == t;
}

void fp_cve_seen_init(struct fp_cve_seen *s)
{
        fp_strmap_init(&s->map);
        fp_arena_init(&s->keys);
}

void fp_cve_seen_release(struct fp_cve_seen *s)
{
        fp_strmap_release(&s->map);
        fp_arena_release(&s->keys);
}

enum fp_err fp_cve_seen_add(struct fp_cve_seen *s, const char *cve, size_t where, bool *dup,
                            size_t *first)
{
        size_t len = strlen(cve);
        void *v = fp_strmap_get(&s->map, cve, len);

        *dup = v != NULL;
        if (v) {
                *first = (size_t)(uintptr_t)v - 1;
                return FP_OK;
        }
        const char *key = fp_arena_strndup(&s->keys, cve, len);
        if (!key)
                return FP_ENOMEM;
        return fp_strmap_put(&s->map, key, len, (void *)(uintptr_t)(where + 1));
}
