/* fp_rpm_qf_parse: our rpm -qa --qf output, good and bad lines, limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/limits.h"
#include "test.h"

struct seen {
        int n;
        char last[512];
};

static enum fp_err cb(void *ud, const struct fp_rpm_pkg *p, struct fp_diag *diag)
{
        struct seen *s = ud;
        s->n++;
        snprintf(s->last, sizeof(s->last), "%s|%s|%s|%s|%s|%s", p->name, p->epoch, p->version,
                 p->release, p->arch, p->sourcerpm ? p->sourcerpm : "-");
        return FP_OK;
}

static enum fp_err parse(const char *data, struct seen *s, struct fp_diag *d)
{
        memset(s, 0, sizeof(*s));
        fp_diag_clear(d);
        return fp_rpm_qf_parse(data, strlen(data), "qa", cb, s, d);
}

int main(void)
{
        struct seen s;
        struct fp_diag d;

        CHECK_INT_EQ(parse("bash\t(none)\t5.2.15\t3.fc39\tx86_64\tbash-5.2.15-3.fc39.src.rpm\n"
                           "gpg-pubkey\t(none)\tabc\tdef\t(none)\t(none)\n"
                           "tzdata\t2\t2024a\t1\tnoarch\t(none)",
                           &s, &d),
                     FP_OK);
        CHECK_INT_EQ(s.n, 2);
        CHECK_STR_EQ(s.last, "tzdata|2|2024a|1|noarch|-");

        CHECK_INT_EQ(parse("bash\t(none)\t5.2\n", &s, &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 1);
        CHECK_STR_EQ(d.field, "RELEASE");
        CHECK_INT_EQ(parse("ok\t0\t1\t1\tx86_64\t\nbad\tX\t1\t1\tx86_64\t\n", &s, &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 2);
        CHECK_STR_EQ(d.field, "EPOCH");
        CHECK_INT_EQ(parse("a\t0\t1\t1\tx\ty\tz\n", &s, &d), FP_EPARSE);
        CHECK_INT_EQ(parse("\t0\t1\t1\tx86_64\t\n", &s, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "NAME");

        /* Name at the limit and one past it. */
        char *big = malloc(FP_MAX_NAME_LEN + 64);
        memset(big, 'n', FP_MAX_NAME_LEN);
        strcpy(big + FP_MAX_NAME_LEN, "\t0\t1\t1\tx86_64\t\n");
        CHECK_INT_EQ(parse(big, &s, &d), FP_OK);
        memset(big, 'n', FP_MAX_NAME_LEN + 1);
        strcpy(big + FP_MAX_NAME_LEN + 1, "\t0\t1\t1\tx86_64\t\n");
        CHECK_INT_EQ(parse(big, &s, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "NAME");
        free(big);
        /* Version at the limit and one past it. */
        big = malloc(FP_MAX_VERSION_LEN + 64);
        strcpy(big, "v\t0\t");
        memset(big + 4, '1', FP_MAX_VERSION_LEN);
        strcpy(big + 4 + FP_MAX_VERSION_LEN, "\t1\tx86_64\t\n");
        CHECK_INT_EQ(parse(big, &s, &d), FP_OK);
        memset(big + 4, '1', FP_MAX_VERSION_LEN + 1);
        strcpy(big + 5 + FP_MAX_VERSION_LEN, "\t1\tx86_64\t\n");
        CHECK_INT_EQ(parse(big, &s, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "VERSION");
        free(big);
        /* An embedded NUL is an error, not a truncated name. */
        CHECK_INT_EQ(fp_rpm_qf_parse("a\0b\t0\t1\t1\tx\t\n", 14, "qa", cb, &s, &d), FP_EPARSE);
        return fp_test_finish();
}
