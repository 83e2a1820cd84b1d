/* Parser of repodata/repomd.xml: which metadata files a repository has and their checksums. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "core/rpm/xml.h"

struct repomd_ctx {
        struct fp_xml xml;
        struct fp_repomd md;
        struct fp_repomd_entry *cur; /* <data> being read */
        bool in_checksum;
        bool seen_root;
};

/* A metadata path must stay inside the repository: no scheme, no absolute path, no "..". */
static bool href_safe(const char *href)
{
        if (href[0] == '\0' || href[0] == '/' || strstr(href, "://"))
                return false;
        for (const char *s = href; *s;) {
                const char *e = strchr(s, '/');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                if (n == 2 && s[0] == '.' && s[1] == '.')
                        return false;
                if (!e)
                        break;
                s = e + 1;
        }
        return true;
}

static void XMLCALL md_start(void *data, const XML_Char *el, const XML_Char **attrs)
{
        struct fp_xml *x = data;
        struct repomd_ctx *c = x->ud;
        const char *local = fp_xml_local(el);

        if (!fp_xml_enter(x, el, attrs))
                return;
        if (x->depth == 1) {
                if (strcmp(local, "repomd") != 0)
                        fp_xml_fail(x, FP_EPARSE, el, "root element is not <repomd>");
                c->seen_root = true;
                return;
        }
        if (x->depth == 2 && strcmp(local, "data") == 0) {
                const char *type = fp_xml_attr(attrs, "type");
                struct fp_repomd_entry *n;
                if (!type || !*type || strlen(type) >= sizeof(c->cur->type)) {
                        fp_xml_fail(x, FP_EPARSE, "data@type", "missing or longer than %zu",
                                    sizeof(c->cur->type) - 1);
                        return;
                }
                if (c->md.count >= FP_MAX_REPOMD_ENTRIES) {
                        fp_xml_fail(x, FP_ELIMIT, "data", "more than %d <data> entries",
                                    FP_MAX_REPOMD_ENTRIES);
                        return;
                }
                n = realloc(c->md.entries, (c->md.count + 1) * sizeof(*n));
                if (!n) {
                        fp_xml_fail(x, FP_ENOMEM, NULL, "out of memory");
                        return;
                }
                c->md.entries = n;
                c->cur = &n[c->md.count++];
                memset(c->cur, 0, sizeof(*c->cur));
                snprintf(c->cur->type, sizeof(c->cur->type), "%s", type);
                c->cur->line = (unsigned long)XML_GetCurrentLineNumber(x->parser);
                return;
        }
        if (x->depth == 3 && c->cur) {
                if (strcmp(local, "location") == 0) {
                        const char *href = fp_xml_attr(attrs, "href");
                        if (!href || !href_safe(href)) {
                                fp_xml_fail(x, FP_EPARSE, "location@href",
                                            "missing, absolute or outside the repository: \"%s\"",
                                            href ? href : "");
                                return;
                        }
                        free(c->cur->href);
                        c->cur->href = strdup(href);
                        if (!c->cur->href)
                                fp_xml_fail(x, FP_ENOMEM, NULL, "out of memory");
                } else if (strcmp(local, "checksum") == 0) {
                        const char *t = fp_xml_attr(attrs, "type");
                        if (!t || strlen(t) >= sizeof(c->cur->checksum_type)) {
                                fp_xml_fail(x, FP_EPARSE, "checksum@type", "missing or too long");
                                return;
                        }
                        snprintf(c->cur->checksum_type, sizeof(c->cur->checksum_type), "%s", t);
                        /* "sha" is an old yum alias of sha1. */
                        if (strcmp(t, "sha") == 0)
                                snprintf(c->cur->checksum_type, sizeof(c->cur->checksum_type),
                                         "sha1");
                        c->in_checksum = true;
                        fp_buf_reset(&x->text);
                        x->collect = true;
                }
        }
}

static void XMLCALL md_end(void *data, const XML_Char *el)
{
        struct fp_xml *x = data;
        struct repomd_ctx *c = x->ud;
        const char *local = fp_xml_local(el);

        if (x->err != FP_OK)
                return;
        if (x->depth == 3 && c->in_checksum && strcmp(local, "checksum") == 0) {
                const char *s = fp_buf_str(&x->text);
                size_t n;
                while (isspace((unsigned char)*s))
                        s++;
                n = strlen(s);
                while (n && isspace((unsigned char)s[n - 1]))
                        n--;
                if (n == 0 || n >= sizeof(c->cur->checksum)) {
                        fp_xml_fail(x, FP_EPARSE, "checksum", "empty or longer than %zu",
                                    sizeof(c->cur->checksum) - 1);
                        return;
                }
                for (size_t i = 0; i < n; i++) {
                        if (!isxdigit((unsigned char)s[i])) {
                                fp_xml_fail(x, FP_EPARSE, "checksum", "not hexadecimal");
                                return;
                        }
                        c->cur->checksum[i] = (char)tolower((unsigned char)s[i]);
                }
                c->cur->checksum[n] = '\0';
                c->in_checksum = false;
                x->collect = false;
        }
        if (x->depth == 2 && c->cur && strcmp(local, "data") == 0) {
                if (!c->cur->href) {
                        fp_xml_fail(x, FP_EPARSE, "location",
                                    "<data type=\"%s\"> has no <location href>", c->cur->type);
                        return;
                }
                c->cur = NULL;
        }
        fp_xml_leave(x);
}

enum fp_err fp_repomd_parse(const char *data, size_t len, const char *name, struct fp_repomd *out,
                            struct fp_diag *diag)
{
        struct repomd_ctx c;
        enum fp_err err;

        memset(&c, 0, sizeof(c));
        if (len > FP_MAX_REPOMD_SIZE) {
                fp_diag_set(diag, name, 0, NULL, "larger than %d bytes", FP_MAX_REPOMD_SIZE);
                return FP_ELIMIT;
        }
        err = fp_xml_init(&c.xml, name, md_start, md_end, &c);
        if (err != FP_OK)
                goto out;
        err = fp_xml_feed(&c.xml, data, len, true, diag);
        if (err != FP_OK)
                goto out;
        if (!c.seen_root) {
                fp_diag_set(diag, name, 0, NULL, "empty document");
                err = FP_EPARSE;
                goto out;
        }
        *out = c.md;
        c.md.entries = NULL;
        c.md.count = 0;
out:
        fp_repomd_release(&c.md);
        fp_xml_release(&c.xml);
        return err;
}

const struct fp_repomd_entry *fp_repomd_find(const struct fp_repomd *md, const char *type)
{
        for (size_t i = 0; md && i < md->count; i++) {
                if (strcmp(md->entries[i].type, type) == 0)
                        return &md->entries[i];
        }
        return NULL;
}

void fp_repomd_release(struct fp_repomd *md)
{
        if (!md)
                return;
        for (size_t i = 0; i < md->count; i++)
                free(md->entries[i].href);
        free(md->entries);
        md->entries = NULL;
        md->count = 0;
}
