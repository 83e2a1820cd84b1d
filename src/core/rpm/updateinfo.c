/*
 * Streaming parser of repodata updateinfo.xml: reports every package named by an advisory,
 * with the advisory's id and type, so the selection can mark security updates.
 */
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "core/rpm/xml.h"

struct adv_pkg {
        const char *name, *arch, *epoch, *version, *release;
};

enum text_field { TF_NONE, TF_ID, TF_SEVERITY };

struct fp_updateinfo_parser {
        struct fp_xml xml;
        fp_advisory_cb cb;
        void *ud;
        size_t total;
        bool seen_root;
        bool in_update;
        unsigned long update_line;
        enum text_field tf;
        struct fp_arena arena; /* strings of the current advisory */
        const char *id, *type, *severity;
        struct adv_pkg *pkgs;
        size_t npkgs, cap;
};

static void upd_reset(struct fp_updateinfo_parser *p)
{
        fp_arena_release(&p->arena);
        fp_arena_init(&p->arena);
        p->id = p->type = p->severity = NULL;
        p->npkgs = 0;
        p->tf = TF_NONE;
}

static const char *keep(struct fp_updateinfo_parser *p, const char *s)
{
        const char *r = s ? fp_arena_strdup(&p->arena, s) : NULL;
        if (s && !r)
                fp_xml_fail(&p->xml, FP_ENOMEM, NULL, "out of memory");
        return r;
}

static void add_pkg(struct fp_updateinfo_parser *p, const char **attrs)
{
        struct fp_xml *x = &p->xml;
        struct adv_pkg a;
        const char *e;

        a.name = fp_xml_attr(attrs, "name");
        a.version = fp_xml_attr(attrs, "version");
        a.arch = fp_xml_attr(attrs, "arch");
        if (!a.name || !*a.name || !a.version || !*a.version || !a.arch || !*a.arch) {
                fp_xml_fail(x, FP_EPARSE,
                            !a.name || !*a.name         ? "package@name"
                            : !a.version || !*a.version ? "package@version"
                                                        : "package@arch",
                            "advisory package without it");
                return;
        }
        if (p->total >= FP_MAX_ADVISORY_PKGS) {
                fp_xml_fail(x, FP_ELIMIT, "package", "more than %d advisory packages",
                            FP_MAX_ADVISORY_PKGS);
                return;
        }
        if (p->npkgs == p->cap) {
                size_t ncap = p->cap ? p->cap * 2 : 16;
                struct adv_pkg *n = realloc(p->pkgs, ncap * sizeof(*n));
                if (!n) {
                        fp_xml_fail(x, FP_ENOMEM, NULL, "out of memory");
                        return;
                }
                p->pkgs = n;
                p->cap = ncap;
        }
        e = fp_xml_attr(attrs, "epoch");
        for (const char *c = e; c && *c; c++) {
                if (*c < '0' || *c > '9') {
                        fp_xml_fail(x, FP_EPARSE, "package@epoch", "not a number: \"%s\"", e);
                        return;
                }
        }
        a.name = keep(p, a.name);
        a.version = keep(p, a.version);
        a.arch = keep(p, a.arch);
        a.epoch = keep(p, e && *e ? e : "0");
        a.release = keep(p, fp_xml_attr(attrs, "release"));
        if (!a.release)
                a.release = "";
        p->pkgs[p->npkgs++] = a;
        p->total++;
}

static void XMLCALL ui_start(void *data, const XML_Char *el, const XML_Char **attrs)
{
        struct fp_xml *x = data;
        struct fp_updateinfo_parser *p = x->ud;
        const char *local = fp_xml_local(el);

        if (!fp_xml_enter(x, el, attrs))
                return;
        if (x->depth == 1) {
                if (strcmp(local, "updates") != 0)
                        fp_xml_fail(x, FP_EPARSE, el, "root element is not <updates>");
                p->seen_root = true;
                return;
        }
        if (x->depth == 2 && strcmp(local, "update") == 0) {
                const char *type = fp_xml_attr(attrs, "type");
                upd_reset(p);
                p->in_update = true;
                p->update_line = (unsigned long)XML_GetCurrentLineNumber(x->parser);
                p->type = keep(p, type ? type : "");
                return;
        }
        if (!p->in_update)
                return;
        if (x->depth == 3 && strcmp(local, "id") == 0)
                p->tf = TF_ID;
        else if (x->depth == 3 && strcmp(local, "severity") == 0)
                p->tf = TF_SEVERITY;
        else if (x->depth == 5 && strcmp(local, "package") == 0)
                add_pkg(p, attrs);
        if (p->tf != TF_NONE) {
                fp_buf_reset(&x->text);
                x->collect = true;
        }
}

static void finish_update(struct fp_updateinfo_parser *p)
{
        struct fp_xml *x = &p->xml;

        p->in_update = false;
        if (!p->id || !*p->id) {
                fp_xml_fail(x, FP_EPARSE, "id", "advisory starting at line %lu has no <id>",
                            p->update_line);
                return;
        }
        for (size_t i = 0; i < p->npkgs; i++) {
                struct fp_advisory_pkg a = {
                    .advisory = p->id,
                    .type = p->type,
                    .severity = p->severity ? p->severity : "",
                    .name = p->pkgs[i].name,
                    .arch = p->pkgs[i].arch,
                    .epoch = p->pkgs[i].epoch,
                    .version = p->pkgs[i].version,
                    .release = p->pkgs[i].release,
                };
                enum fp_err err = p->cb(p->ud, &a, &x->hdiag);
                if (err != FP_OK) {
                        struct fp_diag keepd = x->hdiag;
                        fp_xml_fail(x, err, keepd.field[0] ? keepd.field : NULL, "%s", keepd.msg);
                        return;
                }
        }
}

static void XMLCALL ui_end(void *data, const XML_Char *el)
{
        struct fp_xml *x = data;
        struct fp_updateinfo_parser *p = x->ud;

        if (x->err != FP_OK)
                return;
        if (p->tf != TF_NONE && x->collect) {
                const char *k = keep(p, fp_buf_str(&x->text));
                if (p->tf == TF_ID)
                        p->id = k;
                else
                        p->severity = k;
                p->tf = TF_NONE;
                x->collect = false;
        }
        if (x->depth == 2 && p->in_update)
                finish_update(p);
        fp_xml_leave(x);
}

enum fp_err fp_updateinfo_parser_new(const char *name, fp_advisory_cb cb, void *ud,
                                     struct fp_updateinfo_parser **out)
{
        struct fp_updateinfo_parser *p = calloc(1, sizeof(*p));
        enum fp_err err;

        if (!p)
                return FP_ENOMEM;
        p->cb = cb;
        p->ud = ud;
        fp_arena_init(&p->arena);
        err = fp_xml_init(&p->xml, name, ui_start, ui_end, p);
        if (err != FP_OK) {
                fp_updateinfo_parser_free(p);
                return err;
        }
        *out = p;
        return FP_OK;
}

enum fp_err fp_updateinfo_parser_feed(struct fp_updateinfo_parser *p, const void *data, size_t len,
                                      bool final, struct fp_diag *diag)
{
        enum fp_err err = fp_xml_feed(&p->xml, data, len, final, diag);

        if (err == FP_OK && final && !p->seen_root) {
                fp_diag_set(diag, p->xml.name, 0, NULL, "empty document");
                err = FP_EPARSE;
        }
        return err;
}

void fp_updateinfo_parser_free(struct fp_updateinfo_parser *p)
{
        if (!p)
                return;
        fp_xml_release(&p->xml);
        fp_arena_release(&p->arena);
        free(p->pkgs);
        free(p);
}
