/* Parser of dnf's ini dialect (.repo files and dnf.conf), reporting each key to a callback. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/util.h"

static void trim(const char **s, const char **e)
{
        while (*s < *e && isspace((unsigned char)**s))
                (*s)++;
        while (*e > *s && isspace((unsigned char)(*e)[-1]))
                (*e)--;
}

bool fp_ini_bool(const char *value, bool *out)
{
        static const char *const yes[] = {"1", "yes", "true", "on"};
        static const char *const no[] = {"0", "no", "false", "off"};

        if (!value)
                return false;
        for (size_t i = 0; i < 4; i++) {
                if (strcasecmp(value, yes[i]) == 0) {
                        *out = true;
                        return true;
                }
                if (strcasecmp(value, no[i]) == 0) {
                        *out = false;
                        return true;
                }
        }
        return false;
}

/* The pending key: reported once we know no continuation line follows. */
struct pending {
        struct fp_buf key;
        struct fp_buf value;
        unsigned long line;
        bool active;
};

static enum fp_err flush(struct pending *p, const char *section, fp_ini_cb cb, void *ud,
                         struct fp_diag *diag)
{
        enum fp_err err = FP_OK;

        if (!p->active)
                return FP_OK;
        err = cb(ud, section, fp_buf_str(&p->key), fp_buf_str(&p->value), p->line, diag);
        p->active = false;
        fp_buf_reset(&p->key);
        fp_buf_reset(&p->value);
        return err;
}

enum fp_err fp_ini_parse(const char *data, size_t len, const char *name, fp_ini_cb cb, void *ud,
                         struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        struct pending p = {.active = false};
        struct fp_buf section;
        unsigned long lineno = 0;
        size_t pos = 0;

        fp_buf_init(&section, FP_MAX_INI_LINE_LEN);
        fp_buf_init(&p.key, FP_MAX_INI_LINE_LEN);
        fp_buf_init(&p.value, FP_MAX_REPOFILE_SIZE);
        if (len > FP_MAX_REPOFILE_SIZE) {
                fp_diag_set(diag, name, 0, NULL, "file larger than %d bytes", FP_MAX_REPOFILE_SIZE);
                err = FP_ELIMIT;
                goto out;
        }
        while (pos < len) {
                const char *line = data + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t linelen = nl ? (size_t)(nl - line) : len - pos;
                const char *s = line, *e = line + linelen;

                pos += linelen + (nl ? 1 : 0);
                lineno++;
                if (linelen > FP_MAX_INI_LINE_LEN) {
                        fp_diag_set(diag, name, lineno, NULL, "line longer than %d bytes",
                                    FP_MAX_INI_LINE_LEN);
                        err = FP_ELIMIT;
                        goto out;
                }
                if (memchr(line, '\0', linelen)) {
                        fp_diag_set(diag, name, lineno, NULL, "NUL byte");
                        err = FP_EPARSE;
                        goto out;
                }
                bool indented = linelen > 0 && (line[0] == ' ' || line[0] == '\t');
                trim(&s, &e);
                if (s == e || *s == '#' || *s == ';')
                        continue;
                /* An indented line after a key continues its value (baseurl lists do this). */
                if (indented && p.active) {
                        if ((err = fp_buf_addc(&p.value, '\n')) != FP_OK ||
                            (err = fp_buf_add(&p.value, s, (size_t)(e - s))) != FP_OK) {
                                fp_diag_set(diag, name, lineno, fp_buf_str(&p.key),
                                            "value too long");
                                goto out;
                        }
                        continue;
                }
                if ((err = flush(&p, fp_buf_str(&section), cb, ud, diag)) != FP_OK) {
                        fp_diag_where(diag, name, 0, NULL);
                        goto out;
                }
                if (*s == '[') {
                        if (e[-1] != ']' || e - s < 3) {
                                fp_diag_set(diag, name, lineno, NULL,
                                            "section header without closing ']' or name");
                                err = FP_EPARSE;
                                goto out;
                        }
                        fp_buf_reset(&section);
                        const char *ss = s + 1, *se = e - 1;
                        trim(&ss, &se);
                        if ((err = fp_buf_add(&section, ss, (size_t)(se - ss))) != FP_OK)
                                goto out;
                        continue;
                }
                const char *eq = NULL;
                for (const char *c = s; c < e; c++) {
                        if (*c == '=' || *c == ':') {
                                eq = c;
                                break;
                        }
                }
                if (!eq) {
                        fp_diag_set(diag, name, lineno, NULL, "expected key=value or [section]");
                        err = FP_EPARSE;
                        goto out;
                }
                const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
                trim(&ks, &ke);
                trim(&vs, &ve);
                if (ks == ke) {
                        fp_diag_set(diag, name, lineno, NULL, "empty key");
                        err = FP_EPARSE;
                        goto out;
                }
                if ((err = fp_buf_add(&p.key, ks, (size_t)(ke - ks))) != FP_OK ||
                    (err = fp_buf_add(&p.value, vs, (size_t)(ve - vs))) != FP_OK)
                        goto out;
                /* fp_buf stays NULL until the first append; an empty value must still be "". */
                p.line = lineno;
                p.active = true;
        }
        if ((err = flush(&p, fp_buf_str(&section), cb, ud, diag)) != FP_OK)
                fp_diag_where(diag, name, 0, NULL);
out:
        fp_buf_release(&section);
        fp_buf_release(&p.key);
        fp_buf_release(&p.value);
        return err;
}
