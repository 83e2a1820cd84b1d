/* The error table and diagnostic formatting. */
#include "fleetpatch/error.h"
#include "test.h"

int main(void)
{
        struct fp_diag d;
        char out[1024];

        CHECK_STR_EQ(fp_errname(FP_EPARSE), "PARSE");
        CHECK_STR_EQ(fp_strerror(FP_OK), "success");
        CHECK_STR_EQ(fp_strerror((enum fp_err)9999), "unknown error");
        for (int e = 0; e < FP_ERR__COUNT; e++)
                CHECK(fp_strerror((enum fp_err)e)[0] != '\0');
        fp_diag_set(&d, "Packages", 12, "Version", "bad %s", "thing");
        fp_diag_format(&d, out, sizeof(out));
        CHECK_STR_EQ(out, "Packages:12: field Version: bad thing");
        fp_diag_set(&d, NULL, 0, NULL, "only a message");
        fp_diag_format(&d, out, sizeof(out));
        CHECK_STR_EQ(out, "only a message");
        fp_diag_where(&d, "f", 0, NULL);
        fp_diag_format(&d, out, sizeof(out));
        CHECK_STR_EQ(out, "f: only a message");
        /* Truncation is safe. */
        fp_diag_format(&d, out, 5);
        CHECK_INT_EQ(strlen(out), 4);
        fp_diag_set(NULL, "x", 1, "y", "z"); /* NULL-safe */
        return fp_test_finish();
}
