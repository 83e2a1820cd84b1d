/* Shared expat plumbing of the RPM metadata parsers: limits, DOCTYPE refusal, error mapping. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/rpm/xml.h"
#include "fleetpatch/limits.h"

void fp_xml_fail(struct fp_xml *x, enum fp_err err, const char *field, const char *fmt, ...)
{
        va_list ap;

        if (x->err != FP_OK)
                return;
        x->err = err;
        fp_diag_clear(&x->hdiag);
        fp_diag_where(&x->hdiag, x->name, (unsigned long)XML_GetCurrentLineNumber(x->parser),
                      field);
        va_start(ap, fmt);
        vsnprintf(x->hdiag.msg, sizeof(x->hdiag.msg), fmt, ap);
        va_end(ap);
        XML_StopParser(x->parser, XML_FALSE);
}

const char *fp_xml_local(const char *el)
{
        const char *c = strrchr(el, ':');
        return c ? c + 1 : el;
}

const char *fp_xml_attr(const char **attrs, const char *name)
{
        for (size_t i = 0; attrs[i]; i += 2) {
                if (strcmp(attrs[i], name) == 0)
                        return attrs[i + 1];
        }
        return NULL;
}

bool fp_xml_enter(struct fp_xml *x, const char *el, const char **attrs)
{
        if (x->err != FP_OK)
                return false;
        if (++x->depth > FP_MAX_XML_DEPTH) {
                fp_xml_fail(x, FP_ELIMIT, el, "elements nested deeper than %d", FP_MAX_XML_DEPTH);
                return false;
        }
        for (size_t i = 0; attrs[i]; i += 2) {
                if (strlen(attrs[i + 1]) > FP_MAX_XML_ATTR_LEN) {
                        char field[FP_DIAG_FIELD_MAX];
                        snprintf(field, sizeof(field), "%s@%s", fp_xml_local(el), attrs[i]);
                        fp_xml_fail(x, FP_ELIMIT, field, "attribute longer than %d bytes",
                                    FP_MAX_XML_ATTR_LEN);
                        return false;
                }
        }
        return true;
}

void fp_xml_leave(struct fp_xml *x)
{
        if (x->depth)
                x->depth--;
}

static void on_text(void *data, const XML_Char *s, int len)
{
        struct fp_xml *x = data;

        if (!x->collect || x->err != FP_OK)
                return;
        if (fp_buf_add(&x->text, s, (size_t)len) != FP_OK)
                fp_xml_fail(x, FP_ELIMIT, NULL, "element text longer than %d bytes",
                            FP_MAX_XML_TEXT_LEN);
}

/* Metadata never needs a DTD; refusing it rules out entity expansion attacks altogether. */
static void on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int has_internal_subset)
{
        fp_xml_fail(data, FP_EPARSE, NULL, "DOCTYPE declarations are not allowed");
}

enum fp_err fp_xml_init(struct fp_xml *x, const char *name, XML_StartElementHandler start,
                        XML_EndElementHandler end, void *ud)
{
        memset(x, 0, sizeof(*x));
        x->name = name ? name : "";
        x->ud = ud;
        fp_buf_init(&x->text, FP_MAX_XML_TEXT_LEN);
        x->parser = XML_ParserCreate(NULL);
        if (!x->parser)
                return FP_ENOMEM;
        XML_SetUserData(x->parser, x);
        XML_SetElementHandler(x->parser, start, end);
        XML_SetCharacterDataHandler(x->parser, on_text);
        XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
        return FP_OK;
}

void fp_xml_release(struct fp_xml *x)
{
        if (!x)
                return;
        if (x->parser)
                XML_ParserFree(x->parser);
        x->parser = NULL;
        fp_buf_release(&x->text);
}

enum fp_err fp_xml_feed(struct fp_xml *x, const void *data, size_t len, bool final,
                        struct fp_diag *diag)
{
        /* expat takes an int length; feed big chunks in pieces. */
        const char *p = data;
        const size_t step = 1 << 20;

        if (x->err != FP_OK)
                goto failed;
        do {
                size_t n = len > step ? step : len;
                bool last = final && n == len;
                if (XML_Parse(x->parser, p, (int)n, last) == XML_STATUS_ERROR) {
                        if (x->err != FP_OK)
                                goto failed;
                        x->err = FP_EPARSE;
                        fp_diag_clear(&x->hdiag);
                        fp_diag_set(&x->hdiag, x->name,
                                    (unsigned long)XML_GetCurrentLineNumber(x->parser), NULL,
                                    "malformed XML: %s (column %lu)",
                                    XML_ErrorString(XML_GetErrorCode(x->parser)),
                                    (unsigned long)XML_GetCurrentColumnNumber(x->parser) + 1);
                        goto failed;
                }
                if (x->err != FP_OK)
                        goto failed;
                p += n;
                len -= n;
        } while (len > 0);
        return FP_OK;
failed:
        if (diag)
                *diag = x->hdiag;
        return x->err;
}
