/* apt.conf tokenizer and scope tracking; see aptconf.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/deb/aptconf.h"
#include "fleetpatch/limits.h"

struct tok {
        const char *s;
        size_t n;
        bool quoted;
};

enum fp_err fp_aptconf_parse(const char *buf, size_t len, const char *file, fp_aptconf_cb cb,
                             void *ctx, struct fp_diag *diag)
{
        size_t scope_len[FP_MAX_APTCONF_DEPTH + 1];
        int depth = 0;
        char name[FP_MAX_APTCONF_NAME + 1];
        size_t name_len = 0; /* current scope prefix */
        struct tok t[2];
        int nt = 0;
        unsigned long line = 1;
        char *value = NULL;
        enum fp_err err = FP_OK;
        const char *p = buf, *end = buf + len;

        name[0] = '\0';
        scope_len[0] = 0;
        while (p < end) {
                char c = *p;
                if (c == '\n') {
                        line++;
                        p++;
                        continue;
                }
                if (c == ' ' || c == '\t' || c == '\r') {
                        p++;
                        continue;
                }
                if (c == '#' || (c == '/' && p + 1 < end && p[1] == '/')) {
                        while (p < end && *p != '\n')
                                p++;
                        continue;
                }
                if (c == '/' && p + 1 < end && p[1] == '*') {
                        const char *q = p + 2;
                        while (q + 1 < end && !(q[0] == '*' && q[1] == '/')) {
                                if (*q == '\n')
                                        line++;
                                q++;
                        }
                        if (q + 1 >= end) {
                                fp_diag_set(diag, file, line, "", "unterminated comment");
                                err = FP_EPARSE;
                                goto out;
                        }
                        p = q + 2;
                        continue;
                }
                if (c == '{') {
                        /* The scope is the token before the brace. */
                        if (nt != 1 || t[0].quoted) {
                                fp_diag_set(diag, file, line, "", "'{' without a scope name");
                                err = FP_EPARSE;
                                goto out;
                        }
                        if (depth >= FP_MAX_APTCONF_DEPTH) {
                                fp_diag_set(diag, file, line, "", "scopes nested deeper than %d",
                                            FP_MAX_APTCONF_DEPTH);
                                err = FP_ELIMIT;
                                goto out;
                        }
                        if (name_len + t[0].n + 2 > FP_MAX_APTCONF_NAME) {
                                fp_diag_set(diag, file, line, "", "option name too long");
                                err = FP_ELIMIT;
                                goto out;
                        }
                        memcpy(name + name_len, t[0].s, t[0].n);
                        name_len += t[0].n;
                        memcpy(name + name_len, "::", 2);
                        name_len += 2;
                        name[name_len] = '\0';
                        scope_len[++depth] = name_len;
                        nt = 0;
                        p++;
                        continue;
                }
                if (c == '}') {
                        if (depth == 0 || nt != 0) {
                                fp_diag_set(diag, file, line, "", "unbalanced '}'");
                                err = FP_EPARSE;
                                goto out;
                        }
                        depth--;
                        name_len = scope_len[depth];
                        name[name_len] = '\0';
                        p++;
                        continue;
                }
                if (c == ';') {
                        if (nt > 0) {
                                const struct tok *k = nt == 2 ? &t[0] : NULL;
                                const struct tok *v = nt == 2 ? &t[1] : &t[0];
                                char full[FP_MAX_APTCONF_NAME + 1];
                                size_t kn = k ? k->n : 0;
                                if (nt == 1 && !v->quoted) {
                                        /* "Name;" alone: nothing to assign. */
                                        nt = 0;
                                        p++;
                                        continue;
                                }
                                if (name_len + kn + 2 > FP_MAX_APTCONF_NAME) {
                                        fp_diag_set(diag, file, line, "", "option name too long");
                                        err = FP_ELIMIT;
                                        goto out;
                                }
                                memcpy(full, name, name_len);
                                if (k)
                                        memcpy(full + name_len, k->s, kn);
                                /* Inside "Name { ... }" a bare value is a list item:
                                   the scope prefix already ends in "::". */
                                full[name_len + kn] = '\0';
                                free(value);
                                value = strndup(v->s, v->n);
                                if (!value) {
                                        err = FP_ENOMEM;
                                        goto out;
                                }
                                cb(full, value, ctx);
                        }
                        nt = 0;
                        p++;
                        continue;
                }
                if (nt == 2) {
                        fp_diag_set(diag, file, line, "", "missing ';' after a value");
                        err = FP_EPARSE;
                        goto out;
                }
                if (c == '"') {
                        const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
                        if (!q) {
                                fp_diag_set(diag, file, line, "", "unterminated string");
                                err = FP_EPARSE;
                                goto out;
                        }
                        for (const char *r = p; r < q; r++)
                                if (*r == '\n')
                                        line++;
                        t[nt].s = p + 1;
                        t[nt].n = (size_t)(q - p - 1);
                        t[nt].quoted = true;
                        nt++;
                        p = q + 1;
                        continue;
                }
                const char *s = p;
                while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' &&
                       *p != ';' && *p != '{' && *p != '}' && *p != '"')
                        p++;
                t[nt].s = s;
                t[nt].n = (size_t)(p - s);
                t[nt].quoted = false;
                nt++;
        }
        if (depth != 0 || nt != 0) {
                fp_diag_set(diag, file, line, "", "unexpected end of file (missing '}' or ';')");
                err = FP_EPARSE;
        }
out:
        free(value);
        return err;
}
