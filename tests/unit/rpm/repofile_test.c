/* fp_ini_parse: dnf's .repo/dnf.conf dialect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/limits.h"
#include "test.h"

static char out[4096];

static enum fp_err cb(void *ud, const char *section, const char *key, const char *value,
                      unsigned long line, struct fp_diag *diag)
{
        size_t n = strlen(out);
        snprintf(out + n, sizeof(out) - n, "[%s]%s=%s@%lu;", section, key, value, line);
        return FP_OK;
}

static enum fp_err parse(const char *s, struct fp_diag *d)
{
        out[0] = '\0';
        fp_diag_clear(d);
        return fp_ini_parse(s, strlen(s), "x.repo", cb, NULL, d);
}

int main(void)
{
        struct fp_diag d;
        bool b;

        CHECK_INT_EQ(parse("# comment\n[main]\ngpgcheck = 1\n\n[fedora]\nname=Fedora $releasever\n"
                           "baseurl=http://a/\n  http://b/\n; c\nenabled: 0\nempty=\n",
                           &d),
                     FP_OK);
        CHECK_STR_EQ(out, "[main]gpgcheck=1@3;[fedora]name=Fedora $releasever@6;"
                          "[fedora]baseurl=http://a/\nhttp://b/@7;[fedora]enabled=0@10;"
                          "[fedora]empty=@11;");
        CHECK_INT_EQ(parse("[x]\njunk line\n", &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 2);
        CHECK_STR_EQ(d.file, "x.repo");
        CHECK_INT_EQ(parse("[x\n", &d), FP_EPARSE);
        CHECK_INT_EQ(parse("[x]\n=v\n", &d), FP_EPARSE);
        CHECK(fp_ini_bool("Yes", &b) && b);
        CHECK(fp_ini_bool("off", &b) && !b);
        CHECK(!fp_ini_bool("maybe", &b));

        /* A line at the limit and one past it. */
        char *big = malloc(FP_MAX_INI_LINE_LEN + 16);
        memcpy(big, "k=", 2);
        memset(big + 2, 'v', FP_MAX_INI_LINE_LEN - 2);
        big[FP_MAX_INI_LINE_LEN] = '\0';
        CHECK_INT_EQ(parse(big, &d), FP_OK);
        big[FP_MAX_INI_LINE_LEN] = 'v';
        big[FP_MAX_INI_LINE_LEN + 1] = '\0';
        CHECK_INT_EQ(parse(big, &d), FP_ELIMIT);
        CHECK_INT_EQ(d.line, 1);
        free(big);
        /* Whole file at the limit and one past it. */
        big = malloc(FP_MAX_REPOFILE_SIZE + 2);
        memset(big, '\n', FP_MAX_REPOFILE_SIZE + 1);
        big[FP_MAX_REPOFILE_SIZE + 1] = '\0';
        CHECK_INT_EQ(fp_ini_parse(big, FP_MAX_REPOFILE_SIZE, "x", cb, NULL, &d), FP_OK);
        CHECK_INT_EQ(fp_ini_parse(big, FP_MAX_REPOFILE_SIZE + 1, "x", cb, NULL, &d), FP_ELIMIT);
        free(big);
        return fp_test_finish();
}
