/* dpkg status and Packages records: field extraction and validation. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/deb/packages.h"
#include "core/deb/util.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"

bool fp_deb_pkg_installed(const struct fp_deb_pkg *p)
{
        return p->state != FP_STATE_NOT_INSTALLED && p->state != FP_STATE_CONFIG_FILES;
}

static bool word_is(const char *s, size_t n, const char *w)
{
        return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* "want flag status" as dpkg writes it (lib/dpkg/parsehelp.c names). */
static enum fp_err parse_status(const struct fp_deb822_field *f, const char *file,
                                struct fp_deb_pkg *out, struct fp_diag *diag)
{
        static const char *const wants[] = {"unknown", "install", "hold", "deinstall", "purge"};
        static const char *const states[] = {
                "not-installed",   "config-files",     "half-installed",   "unpacked",
                "half-configured", "triggers-awaited", "triggers-pending", "installed"};
        const char *w[3];
        size_t wl[3];
        int nw = 0;
        const char *p = f->value, *end = f->value + f->value_len;

        while (p < end) {
                while (p < end && (*p == ' ' || *p == '\t'))
                        p++;
                if (p >= end)
                        break;
                if (nw == 3)
                        goto bad;
                w[nw] = p;
                while (p < end && *p != ' ' && *p != '\t')
                        p++;
                wl[nw] = (size_t)(p - w[nw]);
                nw++;
        }
        if (nw != 3)
                goto bad;
        int want = -1, state = -1;
        for (int i = 0; i < 5; i++)
                if (word_is(w[0], wl[0], wants[i]))
                        want = i;
        for (int i = 0; i < 8; i++)
                if (word_is(w[2], wl[2], states[i]))
                        state = i;
        if (want < 0) {
                fp_diag_set(diag, file, f->line, "Status", "unknown want state '%.*s'",
                            (int)(wl[0] > 64 ? 64 : wl[0]), w[0]);
                return FP_EPARSE;
        }
        if (!word_is(w[1], wl[1], "ok") && !word_is(w[1], wl[1], "reinstreq") &&
            !word_is(w[1], wl[1], "hold") && !word_is(w[1], wl[1], "hold-reinstreq")) {
                fp_diag_set(diag, file, f->line, "Status", "unknown error flag '%.*s'",
                            (int)(wl[1] > 64 ? 64 : wl[1]), w[1]);
                return FP_EPARSE;
        }
        if (state < 0) {
                fp_diag_set(diag, file, f->line, "Status", "unknown package status '%.*s'",
                            (int)(wl[2] > 64 ? 64 : wl[2]), w[2]);
                return FP_EPARSE;
        }
        out->want = (enum fp_dpkg_want)want;
        out->state = (enum fp_dpkg_state)state;
        return FP_OK;
bad:
        fp_diag_set(diag, file, f->line, "Status", "not 'want flag status' (three words)");
        return FP_EPARSE;
}

static enum fp_err copy_field(const struct fp_deb822_field *f, struct fp_arena *arena,
                              const char **dst)
{
        *dst = fp_arena_strndup(arena, f->value, f->value_len);
        return *dst ? FP_OK : FP_ENOMEM;
}

/* "src" or "src (version)"; the version in parentheses overrides the binary's version. */
static enum fp_err parse_source(const struct fp_deb822_field *f, const char *file,
                                struct fp_arena *arena, struct fp_deb_pkg *out,
                                struct fp_diag *diag)
{
        const char *p = f->value, *end = f->value + f->value_len;
        const char *n = p;
        while (p < end && *p != ' ' && *p != '\t' && *p != '(')
                p++;
        size_t nl = (size_t)(p - n);
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (nl == 0 || nl > FP_MAX_NAME_LEN)
                goto bad;
        out->source = fp_arena_strndup(arena, n, nl);
        if (!out->source)
                return FP_ENOMEM;
        if (p == end)
                return FP_OK;
        if (*p != '(' || end[-1] != ')')
                goto bad;
        p++;
        end--;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
        if (p == end)
                goto bad;
        out->source_version = fp_arena_strndup(arena, p, (size_t)(end - p));
        return out->source_version ? FP_OK : FP_ENOMEM;
bad:
        fp_diag_set(diag, file, f->line, "Source", "not 'name' or 'name (version)'");
        return FP_EPARSE;
}

enum fp_err fp_deb_pkg_from_stanza(const struct fp_deb822_stanza *st, bool status,
                                   const char *file, struct fp_arena *arena,
                                   struct fp_deb_pkg *out, struct fp_diag *diag)
{
        struct fp_deb_pkg r;
        const struct fp_deb822_field *pkg = NULL, *ver = NULL, *stf = NULL, *src = NULL;
        enum fp_err err = FP_OK;

        memset(&r, 0, sizeof(r));
        r.phased = 100;
        r.state = FP_STATE_INSTALLED;
        r.want = FP_WANT_INSTALL;
        r.line = st->line;
        for (size_t i = 0; i < st->count; i++) {
                const struct fp_deb822_field *f = &st->fields[i];
                /* Dispatch on the first letter: most fields of a stanza are not ours. */
                switch (f->name[0] | 0x20) {
                case 'p':
                        if (!pkg && fp_deb822_name_is(f, "Package"))
                                pkg = f;
                        else if (fp_deb822_name_is(f, "Phased-Update-Percentage")) {
                                long v;
                                /* apt reads it as a number and caps it at 100 */
                                if (fp_deb_parse_long(f->value, f->value_len, 0, 1000000, &v))
                                        r.phased = v > 100 ? 100 : (int)v;
                        }
                        break;
                case 'v':
                        if (!ver && fp_deb822_name_is(f, "Version"))
                                ver = f;
                        break;
                case 'a':
                        if (!r.arch && fp_deb822_name_is(f, "Architecture")) {
                                err = copy_field(f, arena, &r.arch);
                                if (err != FP_OK)
                                        goto out;
                        }
                        break;
                case 's':
                        if (!stf && fp_deb822_name_is(f, "Status"))
                                stf = f;
                        else if (!src && fp_deb822_name_is(f, "Source"))
                                src = f;
                        break;
                case 'm':
                        if (!r.multi_arch && fp_deb822_name_is(f, "Multi-Arch")) {
                                err = copy_field(f, arena, &r.multi_arch);
                                if (err != FP_OK)
                                        goto out;
                        }
                        break;
                default:
                        break;
                }
        }
        if (!pkg || pkg->value_len == 0) {
                fp_diag_set(diag, file, st->line, "Package", "stanza has no Package field");
                err = FP_EPARSE;
                goto out;
        }
        if (pkg->value_len > FP_MAX_NAME_LEN) {
                fp_diag_set(diag, file, pkg->line, "Package",
                            "name longer than FP_MAX_NAME_LEN (%d)", FP_MAX_NAME_LEN);
                err = FP_ELIMIT;
                goto out;
        }
        err = copy_field(pkg, arena, &r.name);
        if (err != FP_OK)
                goto out;
        if (status) {
                if (!stf) {
                        fp_diag_set(diag, file, st->line, "Status",
                                    "package '%s' has no Status field", r.name);
                        err = FP_EPARSE;
                        goto out;
                }
                err = parse_status(stf, file, &r, diag);
                if (err != FP_OK)
                        goto out;
        }
        if (ver) {
                struct fp_debver dv;
                struct fp_diag vd;
                fp_diag_clear(&vd);
                if (ver->value_len > FP_MAX_VERSION_LEN) {
                        fp_diag_set(diag, file, ver->line, "Version",
                                    "version longer than FP_MAX_VERSION_LEN (%d)",
                                    FP_MAX_VERSION_LEN);
                        err = FP_ELIMIT;
                        goto out;
                }
                if (fp_deb_version_parse(ver->value, ver->value_len, &dv, &vd) ==
                    FP_VERSION_ERROR) {
                        fp_diag_set(diag, file, ver->line, "Version", "%s of package '%s'",
                                    vd.msg[0] ? vd.msg : "invalid version", r.name);
                        err = FP_EPARSE;
                        goto out;
                }
                err = copy_field(ver, arena, &r.version);
                if (err != FP_OK)
                        goto out;
        } else if (!status || fp_deb_pkg_installed(&r)) {
                fp_diag_set(diag, file, st->line, "Version", "package '%s' has no Version",
                            r.name);
                err = FP_EPARSE;
                goto out;
        }
        if (src) {
                err = parse_source(src, file, arena, &r, diag);
                if (err != FP_OK)
                        goto out;
        } else {
                r.source = r.name;
        }
        *out = r;
out:
        return err;
}

void fp_dpkg_status_release(struct fp_dpkg_status *st)
{
        if (!st)
                return;
        free(st->pkgs);
        st->pkgs = NULL;
        st->count = st->cap = 0;
}

enum fp_err fp_dpkg_status_parse(const char *buf, size_t len, const char *file,
                                 struct fp_arena *arena, struct fp_dpkg_status *out,
                                 struct fp_diag *diag)
{
        struct fp_deb822_parser p;
        struct fp_deb822_stanza *st = malloc(sizeof(*st));
        struct fp_dpkg_status res = {0};
        enum fp_err err = FP_OK;

        if (!st)
                return FP_ENOMEM;
        fp_deb822_init(&p, buf, len, file, 1, false);
        for (;;) {
                err = fp_deb822_next(&p, st, diag);
                if (err != FP_OK || st->count == 0)
                        break;
                if (res.count >= FP_MAX_PACKAGES) {
                        fp_diag_set(diag, file, st->line, "Package",
                                    "more than FP_MAX_PACKAGES (%d) stanzas", FP_MAX_PACKAGES);
                        err = FP_ELIMIT;
                        break;
                }
                if (res.count == res.cap) {
                        size_t ncap = res.cap ? res.cap * 2 : 256;
                        struct fp_deb_pkg *n = realloc(res.pkgs, ncap * sizeof(*n));
                        if (!n) {
                                err = FP_ENOMEM;
                                break;
                        }
                        res.pkgs = n;
                        res.cap = ncap;
                }
                err = fp_deb_pkg_from_stanza(st, true, file, arena, &res.pkgs[res.count], diag);
                if (err != FP_OK)
                        break;
                res.count++;
        }
        free(st);
        if (err != FP_OK) {
                fp_dpkg_status_release(&res);
                return err;
        }
        *out = res;
        return FP_OK;
}
