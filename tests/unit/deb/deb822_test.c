/* deb822 stanza parser: fields, continuations, comments, and each limit at and past it. */
#include <stdlib.h>
#include <string.h>

#include "core/deb/deb822.h"
#include "test.h"

static struct fp_deb822_stanza st;

static enum fp_err parse1(const char *buf, size_t len, bool comments, struct fp_diag *d)
{
        struct fp_deb822_parser p;
        fp_deb822_init(&p, buf, len, "t", 1, comments);
        return fp_deb822_next(&p, &st, d);
}

static void test_basic(void)
{
        const char *in = "\n\nPackage: foo\nDescription: short\n more\n .\nVersion:  1.0 \n\n"
                         "Package: bar\r\nVersion: 2\n";
        struct fp_deb822_parser p;
        struct fp_diag d;
        const struct fp_deb822_field *f;

        fp_deb822_init(&p, in, strlen(in), "t", 1, false);
        CHECK_INT_EQ(fp_deb822_next(&p, &st, &d), FP_OK);
        CHECK_INT_EQ(st.count, 3);
        CHECK_INT_EQ(st.line, 3);
        f = fp_deb822_get(&st, "version");
        CHECK(f && f->value_len == 3 && memcmp(f->value, "1.0", 3) == 0);
        f = fp_deb822_get(&st, "Description");
        CHECK(f && f->value_len == strlen("short\n more\n .") && f->line == 4);
        CHECK_INT_EQ(fp_deb822_next(&p, &st, &d), FP_OK);
        CHECK_INT_EQ(st.count, 2);
        f = fp_deb822_get(&st, "Package");
        CHECK(f && f->value_len == 3);
        CHECK_INT_EQ(fp_deb822_next(&p, &st, &d), FP_OK);
        CHECK_INT_EQ(st.count, 0);
}

static void test_errors(void)
{
        struct fp_diag d;
        CHECK_INT_EQ(parse1(" cont\n", 6, false, &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 1);
        CHECK_INT_EQ(parse1("A: b\nnot a field\n", 17, false, &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 2);
        CHECK_INT_EQ(parse1(": x\n", 4, false, &d), FP_EPARSE);
        CHECK_INT_EQ(parse1("A: b\0c\n", 7, false, &d), FP_EPARSE);
        CHECK_INT_EQ(parse1("# c\nA: b\n", 9, false, &d), FP_EPARSE);
        CHECK_INT_EQ(parse1("# c\nA: b\n", 9, true, &d), FP_OK);
        CHECK_INT_EQ(st.count, 1);
}

static void test_limits(void)
{
        struct fp_diag d;
        char *buf = malloc((size_t)FP_MAX_FIELDS * 16 + 64);
        size_t n = 0;

        /* FP_MAX_FIELDS fields parse, one more is FP_ELIMIT */
        for (int i = 0; i < FP_MAX_FIELDS; i++)
                n += (size_t)sprintf(buf + n, "F%d: v\n", i);
        CHECK_INT_EQ(parse1(buf, n, false, &d), FP_OK);
        CHECK_INT_EQ(st.count, FP_MAX_FIELDS);
        n += (size_t)sprintf(buf + n, "Extra: v\n");
        CHECK_INT_EQ(parse1(buf, n, false, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "Extra");
        free(buf);

        /* a field of exactly FP_MAX_FIELD_LEN bytes, and one byte more */
        size_t cap = (size_t)FP_MAX_FIELD_LEN + 64;
        buf = malloc(cap);
        memcpy(buf, "Big: ", 5);
        memset(buf + 5, 'x', FP_MAX_FIELD_LEN);
        buf[5 + FP_MAX_FIELD_LEN] = '\n';
        CHECK_INT_EQ(parse1(buf, 6 + (size_t)FP_MAX_FIELD_LEN, false, &d), FP_OK);
        CHECK_INT_EQ(st.fields[0].value_len, FP_MAX_FIELD_LEN);
        memset(buf + 5, 'x', FP_MAX_FIELD_LEN + 1);
        buf[6 + FP_MAX_FIELD_LEN] = '\n';
        CHECK_INT_EQ(parse1(buf, 7 + (size_t)FP_MAX_FIELD_LEN, false, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "Big");
        free(buf);
}

static void test_stanza_end(void)
{
        CHECK_INT_EQ(fp_deb822_stanza_end("A: b\n\nC: d\n\n", 12), 6);
        CHECK_INT_EQ(fp_deb822_stanza_end("A: b\n", 5), 0);
        CHECK_INT_EQ(fp_deb822_stanza_end("A: b\r\n\r\nC", 9), 8);
        CHECK_INT_EQ(fp_deb822_stanza_end("\n\nA: b\n\n", 8), 8);
        const char *v;
        size_t vl;
        CHECK(fp_deb822_peek("Version: 1\nPackage:  foo \n", 26, "Package", &v, &vl));
        CHECK(vl == 3 && memcmp(v, "foo", 3) == 0);
        CHECK(!fp_deb822_peek("Packages: x\n", 12, "Package", &v, &vl));
}

int main(void)
{
        test_basic();
        test_errors();
        test_limits();
        test_stanza_end();
        return fp_test_finish();
}
