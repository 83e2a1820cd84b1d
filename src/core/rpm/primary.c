/*
 * Streaming parser of repodata primary.xml: reports each binary package (name, arch, EVR,
 * source rpm, obsoletes) to a callback, so a 100 MB primary never sits in memory whole.
 */
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "core/rpm/xml.h"

enum text_field { TF_NONE, TF_NAME, TF_ARCH, TF_SOURCERPM };

struct fp_primary_parser {
        struct fp_xml xml;
        fp_rpm_pkg_cb cb;
        void *ud;
        size_t count;
        bool seen_root;
        /* the package being read */
        bool in_pkg, in_obsoletes;
        unsigned long pkg_line;
        enum text_field tf;
        struct fp_arena arena; /* strings of the current package, dropped after the callback */
        const char *name, *arch, *epoch, *ver, *rel, *sourcerpm;
        struct fp_rpm_dep *obs;
        size_t nobs, obscap;
};

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return false;
        }
        return true;
}

static void pkg_reset(struct fp_primary_parser *p)
{
        fp_arena_release(&p->arena);
        fp_arena_init(&p->arena);
        p->name = p->arch = p->epoch = p->ver = p->rel = p->sourcerpm = NULL;
        p->nobs = 0;
        p->in_obsoletes = false;
        p->tf = TF_NONE;
}

static const char *keep(struct fp_primary_parser *p, const char *s)
{
        const char *r = s ? fp_arena_strdup(&p->arena, s) : NULL;
        if (s && !r)
                fp_xml_fail(&p->xml, FP_ENOMEM, NULL, "out of memory");
        return r;
}

/* Flags of an rpm:entry; unknown spellings are an error rather than a silent "any version". */
static bool parse_flags(const char *f, int *out)
{
        static const struct {
                const char *name;
                int flags;
        } map[] = {{"EQ", FP_RPMDEP_EQ},
                   {"LT", FP_RPMDEP_LT},
                   {"GT", FP_RPMDEP_GT},
                   {"LE", FP_RPMDEP_LT | FP_RPMDEP_EQ},
                   {"GE", FP_RPMDEP_GT | FP_RPMDEP_EQ}};
        if (!f) {
                *out = 0;
                return true;
        }
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                if (strcmp(f, map[i].name) == 0) {
                        *out = map[i].flags;
                        return true;
                }
        }
        return false;
}

static void add_obsolete(struct fp_primary_parser *p, const char **attrs)
{
        struct fp_xml *x = &p->xml;
        const char *name = fp_xml_attr(attrs, "name");
        const char *flags = fp_xml_attr(attrs, "flags");
        struct fp_rpm_dep d;

        if (!name || !*name) {
                fp_xml_fail(x, FP_EPARSE, "entry@name", "obsoletes entry without a name");
                return;
        }
        if (!parse_flags(flags, &d.flags)) {
                fp_xml_fail(x, FP_EPARSE, "entry@flags", "unknown relation \"%s\"", flags);
                return;
        }
        if (p->nobs >= FP_MAX_OBSOLETES) {
                fp_xml_fail(x, FP_ELIMIT, "obsoletes", "more than %d obsoletes in one package",
                            FP_MAX_OBSOLETES);
                return;
        }
        if (p->nobs == p->obscap) {
                size_t ncap = p->obscap ? p->obscap * 2 : 8;
                struct fp_rpm_dep *n = realloc(p->obs, ncap * sizeof(*n));
                if (!n) {
                        fp_xml_fail(x, FP_ENOMEM, NULL, "out of memory");
                        return;
                }
                p->obs = n;
                p->obscap = ncap;
        }
        d.name = keep(p, name);
        d.epoch = keep(p, fp_xml_attr(attrs, "epoch"));
        d.version = keep(p, fp_xml_attr(attrs, "ver"));
        d.release = keep(p, fp_xml_attr(attrs, "rel"));
        if (d.flags && !d.version) {
                fp_xml_fail(x, FP_EPARSE, "entry@ver", "relation \"%s\" without a version", flags);
                return;
        }
        p->obs[p->nobs++] = d;
}

static void XMLCALL pr_start(void *data, const XML_Char *el, const XML_Char **attrs)
{
        struct fp_xml *x = data;
        struct fp_primary_parser *p = x->ud;
        const char *local = fp_xml_local(el);

        if (!fp_xml_enter(x, el, attrs))
                return;
        if (x->depth == 1) {
                if (strcmp(local, "metadata") != 0)
                        fp_xml_fail(x, FP_EPARSE, el, "root element is not <metadata>");
                p->seen_root = true;
                return;
        }
        if (x->depth == 2 && strcmp(local, "package") == 0) {
                pkg_reset(p);
                p->in_pkg = true;
                p->pkg_line = (unsigned long)XML_GetCurrentLineNumber(x->parser);
                return;
        }
        if (!p->in_pkg)
                return;
        if (x->depth == 3) {
                if (strcmp(local, "name") == 0)
                        p->tf = TF_NAME;
                else if (strcmp(local, "arch") == 0)
                        p->tf = TF_ARCH;
                else if (strcmp(local, "version") == 0) {
                        const char *e = fp_xml_attr(attrs, "epoch");
                        if (e && *e && !all_digits(e)) {
                                fp_xml_fail(x, FP_EPARSE, "version@epoch", "not a number: \"%s\"",
                                            e);
                                return;
                        }
                        p->epoch = keep(p, e && *e ? e : "0");
                        p->ver = keep(p, fp_xml_attr(attrs, "ver"));
                        p->rel = keep(p, fp_xml_attr(attrs, "rel"));
                }
        } else if (x->depth == 4) {
                if (strcmp(local, "sourcerpm") == 0)
                        p->tf = TF_SOURCERPM;
                else if (strcmp(local, "obsoletes") == 0)
                        p->in_obsoletes = true;
        } else if (x->depth == 5 && p->in_obsoletes && strcmp(local, "entry") == 0) {
                add_obsolete(p, attrs);
        }
        if (p->tf != TF_NONE) {
                fp_buf_reset(&x->text);
                x->collect = true;
        }
}

static void finish_pkg(struct fp_primary_parser *p)
{
        struct fp_xml *x = &p->xml;
        struct fp_rpm_pkg pkg;
        enum fp_err err;
        const char *missing = !p->name   ? "name"
                              : !p->arch ? "arch"
                              : !p->ver  ? "version@ver"
                                         : NULL;

        p->in_pkg = false;
        if (missing) {
                fp_xml_fail(x, FP_EPARSE, missing, "package starting at line %lu has no %s",
                            p->pkg_line, missing);
                return;
        }
        if (strlen(p->name) > FP_MAX_NAME_LEN) {
                fp_xml_fail(x, FP_ELIMIT, "name", "package name longer than %d bytes",
                            FP_MAX_NAME_LEN);
                return;
        }
        if (strlen(p->ver) + (p->rel ? strlen(p->rel) : 0) + strlen(p->epoch) >
            FP_MAX_VERSION_LEN) {
                fp_xml_fail(x, FP_ELIMIT, "version", "EVR longer than %d bytes",
                            FP_MAX_VERSION_LEN);
                return;
        }
        /* Source packages are never upgrade candidates of installed binaries. */
        if (strcmp(p->arch, "src") == 0 || strcmp(p->arch, "nosrc") == 0)
                return;
        if (p->count >= FP_MAX_PACKAGES) {
                fp_xml_fail(x, FP_ELIMIT, "package", "more than %d packages", FP_MAX_PACKAGES);
                return;
        }
        memset(&pkg, 0, sizeof(pkg));
        pkg.name = p->name;
        pkg.arch = p->arch;
        pkg.epoch = p->epoch;
        pkg.version = p->ver;
        pkg.release = p->rel ? p->rel : "";
        pkg.sourcerpm = p->sourcerpm;
        pkg.obsoletes = p->obs;
        pkg.nobsoletes = p->nobs;
        p->count++;
        err = p->cb(p->ud, &pkg, &x->hdiag);
        if (err != FP_OK) {
                /* Keep the callback's message, add where we are. */
                struct fp_diag keepd = x->hdiag;
                fp_xml_fail(x, err, keepd.field[0] ? keepd.field : NULL, "%s", keepd.msg);
        }
}

static void XMLCALL pr_end(void *data, const XML_Char *el)
{
        struct fp_xml *x = data;
        struct fp_primary_parser *p = x->ud;

        if (x->err != FP_OK)
                return;
        if (p->tf != TF_NONE && x->collect) {
                const char *t = fp_buf_str(&x->text);
                const char *k = keep(p, t);
                if (p->tf == TF_NAME)
                        p->name = k;
                else if (p->tf == TF_ARCH)
                        p->arch = k;
                else
                        p->sourcerpm = k;
                if ((p->tf == TF_NAME || p->tf == TF_ARCH) && !*t)
                        fp_xml_fail(x, FP_EPARSE, p->tf == TF_NAME ? "name" : "arch", "empty");
                p->tf = TF_NONE;
                x->collect = false;
        }
        if (x->depth == 4 && p->in_obsoletes && strcmp(fp_xml_local(el), "obsoletes") == 0)
                p->in_obsoletes = false;
        if (x->depth == 2 && p->in_pkg)
                finish_pkg(p);
        fp_xml_leave(x);
}

enum fp_err fp_primary_parser_new(const char *name, fp_rpm_pkg_cb cb, void *ud,
                                  struct fp_primary_parser **out)
{
        struct fp_primary_parser *p = calloc(1, sizeof(*p));
        enum fp_err err;

        if (!p)
                return FP_ENOMEM;
        p->cb = cb;
        p->ud = ud;
        fp_arena_init(&p->arena);
        err = fp_xml_init(&p->xml, name, pr_start, pr_end, p);
        if (err != FP_OK) {
                fp_primary_parser_free(p);
                return err;
        }
        *out = p;
        return FP_OK;
}

enum fp_err fp_primary_parser_feed(struct fp_primary_parser *p, const void *data, size_t len,
                                   bool final, struct fp_diag *diag)
{
        enum fp_err err = fp_xml_feed(&p->xml, data, len, final, diag);

        if (err == FP_OK && final && !p->seen_root) {
                fp_diag_set(diag, p->xml.name, 0, NULL, "empty document");
                err = FP_EPARSE;
        }
        return err;
}

size_t fp_primary_parser_count(const struct fp_primary_parser *p)
{
        return p ? p->count : 0;
}

void fp_primary_parser_free(struct fp_primary_parser *p)
{
        if (!p)
                return;
        fp_xml_release(&p->xml);
        fp_arena_release(&p->arena);
        free(p->obs);
        free(p);
}
