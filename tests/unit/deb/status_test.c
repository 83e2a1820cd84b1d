/* dpkg status: the shared host snapshot, Source with version, holds, bad versions. */
#include <stdlib.h>
#include <string.h>

#include "core/deb/packages.h"
#include "fleetpatch/reader.h"
#include "test.h"

int main(void)
{
        const char *path = fp_test_shared_path("inventory/debian12-dpkg-status");
        char *buf = NULL;
        size_t len, installed = 0;
        struct fp_arena a;
        struct fp_dpkg_status st;
        struct fp_diag d;

        fp_arena_init(&a);
        CHECK_INT_EQ(fp_read_file(path, 1 << 26, &buf, &len, &d), FP_OK);
        CHECK_INT_EQ(fp_dpkg_status_parse(buf, len, path, &a, &st, &d), FP_OK);
        for (size_t i = 0; i < st.count; i++)
                installed += fp_deb_pkg_installed(&st.pkgs[i]);
        CHECK_INT_EQ(installed, 823);
        fp_dpkg_status_release(&st);
        free(buf);

        const char *in = "Package: libfoo1\nStatus: hold ok installed\nArchitecture: i386\n"
                         "Multi-Arch: same\nSource: foo (1:2.0-1)\nVersion: 1:2.0-1+b1\n\n"
                         "Package: gone\nStatus: deinstall ok config-files\n";
        CHECK_INT_EQ(fp_dpkg_status_parse(in, strlen(in), "s", &a, &st, &d), FP_OK);
        CHECK_INT_EQ(st.count, 2);
        CHECK_STR_EQ(st.pkgs[0].source, "foo");
        CHECK_STR_EQ(st.pkgs[0].source_version, "1:2.0-1");
        CHECK_STR_EQ(st.pkgs[0].multi_arch, "same");
        CHECK_INT_EQ(st.pkgs[0].want, FP_WANT_HOLD);
        CHECK(!fp_deb_pkg_installed(&st.pkgs[1]));
        fp_dpkg_status_release(&st);

        const char *bad = "Package: x\nStatus: install ok installed\nVersion: 1:\n";
        CHECK_INT_EQ(fp_dpkg_status_parse(bad, strlen(bad), "s", &a, &st, &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 3);
        CHECK_STR_EQ(d.field, "Version");
        CHECK(strstr(d.msg, "nothing after colon in version number") != NULL);
        const char *nover = "Package: x\nStatus: install ok installed\n";
        CHECK_INT_EQ(fp_dpkg_status_parse(nover, strlen(nover), "s", &a, &st, &d), FP_EPARSE);
        const char *badsrc = "Package: x\nStatus: install ok installed\nVersion: 1\nSource: a (b\n";
        CHECK_INT_EQ(fp_dpkg_status_parse(badsrc, strlen(badsrc), "s", &a, &st, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "Source");
        /* name at FP_MAX_NAME_LEN and one past it */
        char big[FP_MAX_NAME_LEN + 128];
        for (int extra = 0; extra < 2; extra++) {
                int n = snprintf(big, sizeof(big), "Package: %0*d\nStatus: install ok installed\n"
                                 "Version: 1\n", FP_MAX_NAME_LEN + extra, 0);
                CHECK_INT_EQ(fp_dpkg_status_parse(big, (size_t)n, "s", &a, &st, &d),
                             extra ? FP_ELIMIT : FP_OK);
                fp_dpkg_status_release(&st);
        }
        fp_arena_release(&a);
        return fp_test_finish();
}
