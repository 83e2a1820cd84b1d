/*
 * Release/InRelease parser. The clear-sign armour is removed (with dash-unescaping) into an
 * arena copy, then the body is an ordinary deb822 stanza.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/deb/deb822.h"
#include "core/deb/release.h"
#include "core/deb/util.h"
#include "fleetpatch/limits.h"

#define ARMOUR_BEGIN "-----BEGIN PGP SIGNED MESSAGE-----"
#define ARMOUR_SIG "-----BEGIN PGP SIGNATURE-----"

static bool line_equals(const char *s, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        return n == l && memcmp(s, lit, l) == 0;
}

/*
 * Copy the signed text out of a clear-signed message. *body_line is the line number of the
 * body's first line in the original file, so diagnostics point at the real line.
 */
static enum fp_err strip_armour(const char *buf, size_t len, const char *file,
                                struct fp_arena *arena, const char **body, size_t *body_len,
                                unsigned long *body_line, struct fp_diag *diag)
{
        const char *p = buf, *end = buf + len;
        unsigned long line = 1;
        bool in_headers = true, done = false;
        char *out = fp_arena_alloc(arena, len + 1);
        size_t o = 0;

        if (!out)
                return FP_ENOMEM;
        /* Skip the BEGIN line itself (the caller checked it). */
        p = memchr(p, '\n', len);
        p = p ? p + 1 : end;
        line++;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                if (in_headers) {
                        /* Armour headers ("Hash: SHA256") end at the first empty line. */
                        if (line_equals(p, n, "")) {
                                in_headers = false;
                                *body_line = line + 1;
                        }
                } else if (line_equals(p, n, ARMOUR_SIG)) {
                        done = true;
                        break;
                } else {
                        const char *s = p;
                        size_t m = n;
                        if (m >= 2 && s[0] == '-' && s[1] == ' ') {
                                s += 2;
                                m -= 2;
                        }
                        memcpy(out + o, s, m);
                        o += m;
                        out[o++] = '\n';
                }
                p = nl ? nl + 1 : end;
                line++;
        }
        if (!done) {
                fp_diag_set(diag, file, line, "", "clear-signed message has no %s line",
                            ARMOUR_SIG);
                return FP_EPARSE;
        }
        /* The newline before the signature belongs to the armour, not to the text. */
        if (o > 0)
                o--;
        out[o] = '\0';
        *body = out;
        *body_len = o;
        return FP_OK;
}

static enum fp_err parse_sha256(const struct fp_deb822_field *f, const char *file,
                                struct fp_arena *arena, struct fp_release *out,
                                struct fp_diag *diag)
{
        const char *p = f->value, *end = f->value + f->value_len;
        unsigned long line = f->line;
        size_t cap = 0, n = 0;
        struct fp_release_hash *v = NULL;
        enum fp_err err = FP_OK;

        /* Count lines first so the array is one arena allocation. */
        for (const char *q = p; q < end; q++)
                if (*q == '\n')
                        cap++;
        cap++;
        if (cap > FP_MAX_RELEASE_ENTRIES) {
                fp_diag_set(diag, file, f->line, "SHA256",
                            "more than FP_MAX_RELEASE_ENTRIES (%d) entries",
                            FP_MAX_RELEASE_ENTRIES);
                return FP_ELIMIT;
        }
        v = fp_arena_alloc(arena, cap * sizeof(*v));
        if (!v)
                return FP_ENOMEM;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                const char *tok[3];
                size_t tlen[3];
                int nt = 0;
                const char *q = p;
                while (q < le && nt < 3) {
                        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
                                q++;
                        if (q >= le)
                                break;
                        tok[nt] = q;
                        while (q < le && *q != ' ' && *q != '\t' && *q != '\r')
                                q++;
                        tlen[nt] = (size_t)(q - tok[nt]);
                        nt++;
                }
                if (nt == 0) {
                        /* the first (empty) line of the field */
                } else if (nt != 3) {
                        fp_diag_set(diag, file, line, "SHA256",
                                    "entry is not 'hash size path'");
                        err = FP_EPARSE;
                        goto out;
                } else {
                        unsigned long long size;
                        if (tlen[0] != 64 || !fp_deb_parse_ull(tok[1], tlen[1], &size)) {
                                fp_diag_set(diag, file, line, "SHA256",
                                            "bad hash or size in entry");
                                err = FP_EPARSE;
                                goto out;
                        }
                        v[n].sha256 = fp_arena_strndup(arena, tok[0], tlen[0]);
                        v[n].path = fp_arena_strndup(arena, tok[2], tlen[2]);
                        v[n].size = size;
                        if (!v[n].sha256 || !v[n].path) {
                                err = FP_ENOMEM;
                                goto out;
                        }
                        n++;
                }
                p = nl ? nl + 1 : end;
                line++;
        }
        out->sha256 = v;
        out->sha256_count = n;
out:
        return err;
}

enum fp_err fp_release_parse(const char *buf, size_t len, const char *file,
                             struct fp_arena *arena, struct fp_release *out,
                             struct fp_diag *diag)
{
        struct fp_deb822_parser p;
        struct fp_deb822_stanza *st = NULL;
        struct fp_release rel;
        const char *body = buf;
        size_t body_len = len, lead = 0;
        unsigned long first_line = 1;
        enum fp_err err = FP_OK;

        memset(&rel, 0, sizeof(rel));
        if (!buf || !arena || !out)
                return FP_EINVAL;
        /* Blank lines before the armour are allowed by apt. */
        while (lead < len && (buf[lead] == '\n' || buf[lead] == '\r'))
                lead++;
        if (len - lead >= strlen(ARMOUR_BEGIN) &&
            memcmp(buf + lead, ARMOUR_BEGIN, strlen(ARMOUR_BEGIN)) == 0) {
                unsigned long lead_lines = 0, body_line = 1;
                for (size_t i = 0; i < lead; i++)
                        if (buf[i] == '\n')
                                lead_lines++;
                err = strip_armour(buf + lead, len - lead, file, arena, &body, &body_len,
                                   &body_line, diag);
                if (err != FP_OK)
                        goto out;
                /* strip_armour counts from the BEGIN line as line 1 */
                first_line = lead_lines + body_line;
                rel.signed_armour = true;
        }
        st = malloc(sizeof(*st));
        if (!st) {
                err = FP_ENOMEM;
                goto out;
        }
        fp_deb822_init(&p, body, body_len, file, first_line, false);
        err = fp_deb822_next(&p, st, diag);
        if (err != FP_OK)
                goto out;
        if (st->count == 0) {
                fp_diag_set(diag, file, 1, "", "Release file has no fields");
                err = FP_EPARSE;
                goto out;
        }
        for (size_t i = 0; i < st->count; i++) {
                const struct fp_deb822_field *f = &st->fields[i];
                const char **dst = NULL;
                if (fp_deb822_name_is(f, "Origin"))
                        dst = &rel.origin;
                else if (fp_deb822_name_is(f, "Label"))
                        dst = &rel.label;
                else if (fp_deb822_name_is(f, "Suite"))
                        dst = &rel.suite;
                else if (fp_deb822_name_is(f, "Codename"))
                        dst = &rel.codename;
                else if (fp_deb822_name_is(f, "Version"))
                        dst = &rel.version;
                else if (fp_deb822_name_is(f, "Components"))
                        dst = &rel.components;
                else if (fp_deb822_name_is(f, "Architectures"))
                        dst = &rel.architectures;
                else if (fp_deb822_name_is(f, "NotAutomatic"))
                        rel.not_automatic = fp_deb_string_to_bool(f->value, f->value_len);
                else if (fp_deb822_name_is(f, "ButAutomaticUpgrades"))
                        rel.but_automatic_upgrades =
                                fp_deb_string_to_bool(f->value, f->value_len);
                else if (fp_deb822_name_is(f, "SHA256")) {
                        err = parse_sha256(f, file, arena, &rel, diag);
                        if (err != FP_OK)
                                goto out;
                }
                if (dst && !*dst) {
                        *dst = fp_arena_strndup(arena, f->value, f->value_len);
                        if (!*dst) {
                                err = FP_ENOMEM;
                                goto out;
                        }
                }
        }
        *out = rel;
out:
        free(st);
        return err;
}

const struct fp_release_hash *fp_release_find(const struct fp_release *rel, const char *path)
{
        for (size_t i = 0; rel && i < rel->sha256_count; i++)
                if (strcmp(rel->sha256[i].path, path) == 0)
                        return &rel->sha256[i];
        return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n, m;
        if (!s)
                return false;
        n = strlen(s);
        m = strlen(suffix);
        return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

bool fp_release_is_security(const struct fp_release *rel)
{
        if (!rel)
                return false;
        if (rel->label && strcasecmp(rel->label, "Debian-Security") == 0)
                return true;
        return ends_with(rel->suite, "-security") || ends_with(rel->codename, "-security");
}
