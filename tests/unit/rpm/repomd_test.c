/* fp_repomd_parse: real createrepo_c output, hostile hrefs, malformed XML, limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "test.h"

static const char good[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
    "  <revision>1700000000</revision>\n"
    "  <data type=\"primary\">\n"
    "    <checksum type=\"sha256\">AB12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34"
    "</checksum>\n"
    "    <open-checksum type=\"sha256\">00</open-checksum>\n"
    "    <location href=\"repodata/ab12-primary.xml.zst\"/>\n"
    "    <size>123</size>\n"
    "  </data>\n"
    "  <data type=\"updateinfo\">\n"
    "    <checksum type=\"sha\">0123</checksum>\n"
    "    <location href=\"repodata/updateinfo.xml.gz\"/>\n"
    "  </data>\n"
    "</repomd>\n";

static enum fp_err parse(const char *s, struct fp_repomd *md, struct fp_diag *d)
{
        fp_diag_clear(d);
        memset(md, 0, sizeof(*md));
        return fp_repomd_parse(s, strlen(s), "repomd.xml", md, d);
}

int main(void)
{
        struct fp_repomd md;
        struct fp_diag d;
        const struct fp_repomd_entry *e;
        char buf[4096];

        CHECK_INT_EQ(parse(good, &md, &d), FP_OK);
        CHECK_INT_EQ(md.count, 2);
        e = fp_repomd_find(&md, "primary");
        CHECK(e != NULL);
        if (e) {
                CHECK_STR_EQ(e->href, "repodata/ab12-primary.xml.zst");
                CHECK_STR_EQ(e->checksum_type, "sha256");
                CHECK_STR_EQ(e->checksum,
                             "ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34");
                CHECK_INT_EQ(e->line, 4);
        }
        e = fp_repomd_find(&md, "updateinfo");
        CHECK(e && strcmp(e->checksum_type, "sha1") == 0);
        CHECK(fp_repomd_find(&md, "filelists") == NULL);
        fp_repomd_release(&md);

        /* hrefs that leave the repository */
        const char *bad_hrefs[] = {"/etc/passwd", "../x.xml", "repodata/../../x", "http://evil/x",
                                   ""};
        for (size_t i = 0; i < sizeof(bad_hrefs) / sizeof(bad_hrefs[0]); i++) {
                snprintf(buf, sizeof(buf),
                         "<repomd><data type=\"primary\"><location href=\"%s\"/></data></repomd>",
                         bad_hrefs[i]);
                CHECK_INT_EQ(parse(buf, &md, &d), FP_EPARSE);
                CHECK_STR_EQ(d.field, "location@href");
        }
        /* malformed / truncated / wrong root / DOCTYPE */
        CHECK_INT_EQ(parse("<repomd><data type=\"primary\">\n<location href=\"a\"/>\n", &md, &d),
                     FP_EPARSE);
        CHECK(strstr(d.msg, "malformed XML") != NULL);
        CHECK_STR_EQ(d.file, "repomd.xml");
        CHECK_INT_EQ(parse("<repomd><data type=\"primary\"></data></repomd>", &md, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "location");
        CHECK_INT_EQ(parse("<metadata/>", &md, &d), FP_EPARSE);
        CHECK_INT_EQ(parse("", &md, &d), FP_EPARSE);
        CHECK_INT_EQ(parse("<!DOCTYPE r [<!ENTITY a \"aaaa\">]><repomd/>", &md, &d), FP_EPARSE);
        CHECK(strstr(d.msg, "DOCTYPE") != NULL);
        CHECK_INT_EQ(parse("<repomd><data type=\"primary\"><checksum type=\"sha256\">xyz"
                           "</checksum><location href=\"a\"/></data></repomd>",
                           &md, &d),
                     FP_EPARSE);
        CHECK_STR_EQ(d.field, "checksum");

        /* attribute at the limit and one past it */
        char *big = malloc(FP_MAX_XML_ATTR_LEN + 200);
        for (int past = 0; past < 2; past++) {
                size_t n = FP_MAX_XML_ATTR_LEN + (size_t)past;
                strcpy(big, "<repomd><data type=\"primary\"><location href=\"");
                size_t l = strlen(big);
                memset(big + l, 'a', n);
                strcpy(big + l + n, "\"/></data></repomd>");
                CHECK_INT_EQ(parse(big, &md, &d), past ? FP_ELIMIT : FP_OK);
                if (past)
                        CHECK_STR_EQ(d.field, "location@href");
                fp_repomd_release(&md);
        }
        free(big);
        /* depth at the limit and one past it */
        for (int past = 0; past < 2; past++) {
                struct fp_buf b;
                fp_buf_init(&b, 1 << 20);
                fp_buf_addstr(&b, "<repomd>");
                for (int i = 1; i < FP_MAX_XML_DEPTH + past; i++)
                        fp_buf_addstr(&b, "<x>");
                for (int i = 1; i < FP_MAX_XML_DEPTH + past; i++)
                        fp_buf_addstr(&b, "</x>");
                fp_buf_addstr(&b, "</repomd>");
                CHECK_INT_EQ(parse(fp_buf_str(&b), &md, &d), past ? FP_ELIMIT : FP_OK);
                fp_repomd_release(&md);
                fp_buf_release(&b);
        }
        /* entries at the limit and one past it */
        for (int past = 0; past < 2; past++) {
                struct fp_buf b;
                fp_buf_init(&b, 1 << 20);
                fp_buf_addstr(&b, "<repomd>");
                for (int i = 0; i < FP_MAX_REPOMD_ENTRIES + past; i++)
                        fp_buf_addf(&b, "<data type=\"t%d\"><location href=\"f%d\"/></data>", i, i);
                fp_buf_addstr(&b, "</repomd>");
                CHECK_INT_EQ(parse(fp_buf_str(&b), &md, &d), past ? FP_ELIMIT : FP_OK);
                fp_repomd_release(&md);
                fp_buf_release(&b);
        }
        /* size: a document of exactly the limit parses; one past is refused before parsing */
        {
                char *doc = malloc(FP_MAX_REPOMD_SIZE + 1);
                size_t l = strlen(good);
                memcpy(doc, good, l);
                memset(doc + l, ' ', FP_MAX_REPOMD_SIZE - l);
                doc[FP_MAX_REPOMD_SIZE] = '\0';
                CHECK_INT_EQ(fp_repomd_parse(doc, FP_MAX_REPOMD_SIZE, "r", &md, &d), FP_OK);
                fp_repomd_release(&md);
                free(doc);
        }
        CHECK_INT_EQ(fp_repomd_parse(good, FP_MAX_REPOMD_SIZE + 1, "r", &md, &d), FP_ELIMIT);
        return fp_test_finish();
}
