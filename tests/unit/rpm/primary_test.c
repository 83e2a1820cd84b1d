/* fp_primary_parser: createrepo_c-shaped primary.xml, chunked feeding, bad input, limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "test.h"

static const char primary[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"3\">\n"
    "<package type=\"rpm\">\n"
    "  <name>golf</name>\n"
    "  <arch>noarch</arch>\n"
    "  <version epoch=\"0\" ver=\"2.0\" rel=\"1\"/>\n"
    "  <checksum type=\"sha256\" pkgid=\"YES\">00</checksum>\n"
    "  <summary>fleetpatch &amp; test</summary>\n"
    "  <description>long &lt;text&gt;</description>\n"
    "  <format>\n"
    "    <rpm:license>MIT</rpm:license>\n"
    "    <rpm:sourcerpm>golf-2.0-1.src.rpm</rpm:sourcerpm>\n"
    "    <rpm:provides><rpm:entry name=\"golf\" flags=\"EQ\" epoch=\"0\" ver=\"2.0\" "
    "rel=\"1\"/></rpm:provides>\n"
    "    <rpm:obsoletes>\n"
    "      <rpm:entry name=\"foxtrot\" flags=\"LT\" epoch=\"0\" ver=\"2.0\"/>\n"
    "      <rpm:entry name=\"oldgolf\"/>\n"
    "    </rpm:obsoletes>\n"
    "  </format>\n"
    "</package>\n"
    "<package type=\"rpm\"><name>bravo</name><arch>x86_64</arch>"
    "<version epoch=\"1\" ver=\"0.9\" rel=\"1\"/><format/></package>\n"
    "<package type=\"rpm\"><name>bravo</name><arch>src</arch>"
    "<version epoch=\"1\" ver=\"0.9\" rel=\"1\"/></package>\n"
    "</metadata>\n";

struct seen {
        int n;
        char all[2048];
};

static enum fp_err cb(void *ud, const struct fp_rpm_pkg *p, struct fp_diag *diag)
{
        struct seen *s = ud;
        size_t l = strlen(s->all);
        s->n++;
        l += (size_t)snprintf(s->all + l, sizeof(s->all) - l, "%s.%s %s:%s-%s src=%s obs=", p->name,
                              p->arch, p->epoch, p->version, p->release,
                              p->sourcerpm ? p->sourcerpm : "-");
        /* Big inputs only count packages; the text is for the small cases. */
        for (size_t i = 0; i < p->nobsoletes && l < sizeof(s->all) - 100; i++)
                l += (size_t)snprintf(s->all + l, sizeof(s->all) - l, "%s/%d/%s,",
                                      p->obsoletes[i].name, p->obsoletes[i].flags,
                                      p->obsoletes[i].version ? p->obsoletes[i].version : "-");
        if (l < sizeof(s->all))
                snprintf(s->all + l, sizeof(s->all) - l, ";");
        return FP_OK;
}

static enum fp_err parse_chunked(const char *s, size_t len, size_t step, struct seen *seen,
                                 struct fp_diag *d)
{
        struct fp_primary_parser *p = NULL;
        enum fp_err err;

        memset(seen, 0, sizeof(*seen));
        fp_diag_clear(d);
        err = fp_primary_parser_new("primary.xml", cb, seen, &p);
        for (size_t i = 0; err == FP_OK && i < len; i += step)
                err = fp_primary_parser_feed(p, s + i, len - i < step ? len - i : step, false, d);
        if (err == FP_OK)
                err = fp_primary_parser_feed(p, "", 0, true, d);
        fp_primary_parser_free(p);
        return err;
}

static enum fp_err parse(const char *s, struct seen *seen, struct fp_diag *d)
{
        return parse_chunked(s, strlen(s), strlen(s) + 1, seen, d);
}

int main(void)
{
        struct seen s;
        struct fp_diag d;
        const char *want =
            "golf.noarch 0:2.0-1 src=golf-2.0-1.src.rpm obs=foxtrot/1/2.0,oldgolf/0/-,;"
            "bravo.x86_64 1:0.9-1 src=- obs=;";

        CHECK_INT_EQ(parse(primary, &s, &d), FP_OK);
        CHECK_INT_EQ(s.n, 2);
        CHECK_STR_EQ(s.all, want);
        /* Any chunking gives the same answer (the parser is fed from a decompressor). */
        for (size_t step = 1; step < 64; step += 7) {
                CHECK_INT_EQ(parse_chunked(primary, strlen(primary), step, &s, &d), FP_OK);
                CHECK_STR_EQ(s.all, want);
        }
        /* truncated document */
        CHECK_INT_EQ(parse_chunked(primary, strlen(primary) / 2, 100, &s, &d), FP_EPARSE);
        CHECK(strstr(d.msg, "malformed XML") != NULL);
        CHECK(d.line > 1);
        /* missing fields name the field and the package's line */
        CHECK_INT_EQ(parse("<metadata>\n<package><name>a</name><version ver=\"1\"/></package>"
                           "</metadata>",
                           &s, &d),
                     FP_EPARSE);
        CHECK_STR_EQ(d.field, "arch");
        CHECK_INT_EQ(d.line, 2);
        CHECK_INT_EQ(parse("<metadata><package><name>a</name><arch>x</arch>"
                           "<version epoch=\"x\" ver=\"1\"/></package></metadata>",
                           &s, &d),
                     FP_EPARSE);
        CHECK_STR_EQ(d.field, "version@epoch");
        CHECK_INT_EQ(parse("<metadata><package><name>a</name><arch>x</arch><version ver=\"1\"/>"
                           "<format><rpm:obsoletes><rpm:entry name=\"b\" flags=\"XX\"/>"
                           "</rpm:obsoletes></format></package></metadata>",
                           &s, &d),
                     FP_EPARSE);
        CHECK_STR_EQ(d.field, "entry@flags");
        CHECK_INT_EQ(parse("<repomd/>", &s, &d), FP_EPARSE);
        CHECK_INT_EQ(parse("<metadata><package><name>a</name></metadata>", &s, &d), FP_EPARSE);
        CHECK_INT_EQ(parse("\x1f\x8b\x08\x00garbage", &s, &d), FP_EPARSE);

        /* Element text at the limit and one past it. */
        for (int past = 0; past < 2; past++) {
                size_t n = FP_MAX_XML_TEXT_LEN + (size_t)past;
                char *big = malloc(n + 256);
                strcpy(big, "<metadata><package><name>");
                size_t l = strlen(big);
                memset(big + l, 'n', n);
                strcpy(big + l + n,
                       "</name><arch>x</arch><version ver=\"1\"/></package></metadata>");
                /* At the text limit the name is still longer than a package name may be. */
                CHECK_INT_EQ(parse(big, &s, &d), FP_ELIMIT);
                CHECK_STR_EQ(d.field, past ? "" : "name");
                free(big);
        }
        /* Name at the limit and one past it. */
        for (int past = 0; past < 2; past++) {
                size_t n = FP_MAX_NAME_LEN + (size_t)past;
                char *big = malloc(n + 256);
                strcpy(big, "<metadata><package><name>");
                size_t l = strlen(big);
                memset(big + l, 'n', n);
                strcpy(big + l + n,
                       "</name><arch>x</arch><version ver=\"1\"/></package></metadata>");
                CHECK_INT_EQ(parse(big, &s, &d), past ? FP_ELIMIT : FP_OK);
                free(big);
        }
        /* Obsoletes at the limit and one past it. */
        for (int past = 0; past < 2; past++) {
                struct fp_buf b;
                fp_buf_init(&b, 1 << 24);
                fp_buf_addstr(&b,
                              "<metadata><package><name>a</name><arch>x</arch><version ver=\"1\"/>"
                              "<format><rpm:obsoletes>");
                for (int i = 0; i < FP_MAX_OBSOLETES + past; i++)
                        fp_buf_addf(&b, "<rpm:entry name=\"o%d\"/>", i);
                fp_buf_addstr(&b, "</rpm:obsoletes></format></package></metadata>");
                CHECK_INT_EQ(parse(fp_buf_str(&b), &s, &d), past ? FP_ELIMIT : FP_OK);
                if (past)
                        CHECK_STR_EQ(d.field, "obsoletes");
                fp_buf_release(&b);
        }
        /* An enormous attribute is refused by name. */
        {
                size_t n = FP_MAX_XML_ATTR_LEN + 1;
                char *big = malloc(n + 256);
                strcpy(big, "<metadata><package><name>a</name><arch>x</arch><version ver=\"");
                size_t l = strlen(big);
                memset(big + l, '1', n);
                strcpy(big + l + n, "\"/></package></metadata>");
                CHECK_INT_EQ(parse(big, &s, &d), FP_ELIMIT);
                CHECK_STR_EQ(d.field, "version@ver");
                free(big);
        }
        return fp_test_finish();
}
