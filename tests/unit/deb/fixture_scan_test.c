/* fp_scan_deb on the shared host snapshot equals expected-upgradable.tsv, row for row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/scan.h"
#include "test.h"

int main(void)
{
        char lists[4096], status[4096], root[] = "/tmp/fp-fixture-XXXXXX", line[4096];
        struct fp_scan_opts o = {0};
        struct fp_scan_result r;
        struct fp_diag d;
        FILE *f;
        size_t row = 0, sec = 0;

        snprintf(lists, sizeof(lists), "%s", fp_test_shared_path("apt"));
        snprintf(status, sizeof(status), "%s", fp_test_shared_path("inventory/debian12-dpkg-status"));
        if (!mkdtemp(root))
                return 1;
        o.root = root;
        o.lists_dir = lists;
        o.status_file = status;
        CHECK_INT_EQ(fp_scan_deb(&o, &r, &d), FP_OK);
        f = fopen(fp_test_shared_path("apt/expected-upgradable.tsv"), "r");
        CHECK(f != NULL);
        if (f && fgets(line, sizeof(line), f)) {
                while (fgets(line, sizeof(line), f)) {
                        char want[4096];
                        line[strcspn(line, "\n")] = '\0';
                        if (row < r.count) {
                                const struct fp_update *u = &r.updates[row];
                                snprintf(want, sizeof(want), "%s\t%s\t%s\t%s\t%s", u->name, u->arch,
                                         u->installed, u->candidate, u->suites);
                                CHECK_STR_EQ(want, line);
                                CHECK_INT_EQ(u->security, strstr(line, "bookworm-security") != NULL);
                                CHECK(strcmp(u->name, "nodejs") != 0);
                                sec += u->security;
                        }
                        row++;
                }
                fclose(f);
        }
        CHECK_INT_EQ(row, 131);
        CHECK_INT_EQ(r.count, 131);
        fp_scan_result_release(&r);
        o.security_only = true;
        CHECK_INT_EQ(fp_scan_deb(&o, &r, &d), FP_OK);
        CHECK_INT_EQ(r.count, sec);
        for (size_t i = 0; i < r.count; i++)
                CHECK(r.updates[i].security);
        fp_scan_result_release(&r);
        rmdir(root);
        return fp_test_finish();
}
