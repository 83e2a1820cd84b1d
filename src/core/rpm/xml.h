/* Shared expat plumbing of the RPM metadata parsers: limits, DOCTYPE refusal, error mapping. */
#ifndef FP_CORE_RPM_XML_H
#define FP_CORE_RPM_XML_H

#include <expat.h>
#include <stdbool.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

struct fp_xml {
        XML_Parser parser;
        const char *name;     /* file name for diagnostics */
        enum fp_err err;      /* first error raised by a handler */
        struct fp_diag hdiag; /* its diagnostic, copied out by fp_xml_feed */
        unsigned depth;
        bool collect; /* character data goes into text while set */
        struct fp_buf text;
        void *ud; /* the owning parser */
};

/* Handlers get the fp_xml as user data; ud points back to the owner. */
enum fp_err fp_xml_init(struct fp_xml *x, const char *name, XML_StartElementHandler start,
                        XML_EndElementHandler end, void *ud);
void fp_xml_release(struct fp_xml *x);
enum fp_err fp_xml_feed(struct fp_xml *x, const void *data, size_t len, bool final,
                        struct fp_diag *diag);

/* Stop parsing with an error at the current line. */
void fp_xml_fail(struct fp_xml *x, enum fp_err err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Common start/end bookkeeping: depth limit and attribute length limit. false = stop. */
bool fp_xml_enter(struct fp_xml *x, const char *el, const char **attrs);
void fp_xml_leave(struct fp_xml *x);
/* Element name without its namespace prefix ("rpm:entry" -> "entry"). */
const char *fp_xml_local(const char *el);
/* Attribute value or NULL. */
const char *fp_xml_attr(const char **attrs, const char *name);

#endif
