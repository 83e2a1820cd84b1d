/*
 * fp_scan_rpm end to end. Run by the suite without arguments it checks the error paths that need
 * no rpm database; with --root DIR [--security-only] it is the driver the dnf sandbox test uses
 * until the CLI's scan can do RPM roots: one line per update, then per obsoleting pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/scan.h"
#include "test.h"

static int dump(const char *root, bool security_only)
{
        struct fp_scan_opts opts = {.root = root, .security_only = security_only};
        struct fp_scan_result res;
        struct fp_diag diag;
        enum fp_err err;
        char msg[1024];

        fp_diag_clear(&diag);
        err = fp_scan_rpm(&opts, &res, &diag);
        if (err != FP_OK) {
                fp_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "scan failed: %s: %s\n", fp_strerror(err), msg);
                return 3;
        }
        for (size_t i = 0; i < res.count; i++) {
                const struct fp_update *u = &res.updates[i];
                /* dnf prints one row per repo offering the candidate; suites lists them. */
                const char *s = u->suites && *u->suites ? u->suites : u->origin;
                while (*s) {
                        size_t n = strcspn(s, ",");
                        printf("update\t%s.%s\t%s\t%s\t%.*s\t%s\n", u->name, u->arch, u->installed,
                               u->candidate, (int)n, s, u->security ? "security" : "-");
                        s += n + (s[n] == ',');
                }
        }
        for (size_t i = 0; i < res.obsolete_count; i++) {
                const struct fp_obsolete *o = &res.obsoletes[i];
                printf("obsoletes\t%s.%s\t%s\t%s\t%s.%s\t%s\n", o->name, o->arch, o->candidate,
                       o->origin, o->old_name, o->old_arch, o->old_installed);
        }
        for (size_t i = 0; i < res.warning_count; i++)
                fprintf(stderr, "warning: %s\n", res.warnings[i]);
        fp_arena_release(&res.arena);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 3 && strcmp(argv[1], "--root") == 0)
                return dump(argv[2], argc >= 4 && strcmp(argv[3], "--security-only") == 0);

        /* A root without an rpm database is an error that names it, not an empty answer. */
        {
                char dir[] = "/tmp/fp-rpm-scan-XXXXXX";
                struct fp_scan_opts opts = {.root = dir};
                struct fp_scan_result res;
                struct fp_diag diag;
                CHECK(mkdtemp(dir) != NULL);
                fp_diag_clear(&diag);
                enum fp_err err = fp_scan_rpm(&opts, &res, &diag);
                CHECK_INT_EQ(err, FP_ENOENT);
                CHECK(strstr(diag.msg, "no rpm database") != NULL);
                rmdir(dir);
        }
        return fp_test_finish();
}
