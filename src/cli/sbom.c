/* fleetpatch sbom: a CycloneDX 1.5 JSON SBOM of this host (or --root DIR), with findings. */
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "fleetpatch/assess.h"
#include "fleetpatch/sbom.h"

#ifndef FP_VERSION_STRING
#define FP_VERSION_STRING "0.1.0"
#endif

static void usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch sbom [--root DIR] [--db FILE] [--no-vulns] [-o FILE]\n"
                   "                       [--status FILE --release DISTRO:RELEASE] [--host NAME]\n"
                   "                       [--kernel UNAME_R]\n"
                   "\n"
                   "Every installed package as a CycloneDX component with its purl; unless\n"
                   "--no-vulns, the findings of 'fleetpatch vulns' as the vulnerabilities section.\n");
}

int cmd_sbom(int argc, char **argv)
{
        struct fp_assess_opts o = {.inv = {.root = "/"}, .no_scan = true};
        const char *db_path = NULL, *out_path = NULL;
        bool vulns = true;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = NULL;
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return FP_EXIT_OK;
                }
                if (!strcmp(a, "--no-vulns")) {
                        vulns = false;
                        continue;
                }
                if (!(v = cli_optarg(argc, argv, &i, "sbom")))
                        return FP_EXIT_USAGE;
                if (!strcmp(a, "--root"))
                        o.inv.root = v;
                else if (!strcmp(a, "--db"))
                        db_path = v;
                else if (!strcmp(a, "-o"))
                        out_path = v;
                else if (!strcmp(a, "--status"))
                        o.inv.status_file = v;
                else if (!strcmp(a, "--release"))
                        o.inv.release = v;
                else if (!strcmp(a, "--host"))
                        o.host = v;
                else if (!strcmp(a, "--kernel"))
                        o.inv.running_kernel = v;
                else {
                        fprintf(stderr, "fleetpatch: sbom: unknown option '%s'\n", a);
                        usage(stderr);
                        return FP_EXIT_USAGE;
                }
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_assessment as;
        enum fp_err err;
        if (vulns) {
                struct fp_vulndb *db = cli_open_vulndb(db_path);
                if (!db)
                        return FP_EXIT_INPUT;
                err = fp_assess(db, &o, &as, &diag);
                fp_vulndb_close(db);
        } else {
                memset(&as, 0, sizeof(as));
                fp_arena_init(&as.arena);
                err = fp_inventory_load(&o.inv, &as.inv, &diag);
                snprintf(as.host, sizeof(as.host), "%s", o.host ? o.host : "");
        }
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                return err == FP_EINVAL ? FP_EXIT_USAGE : FP_EXIT_INPUT;
        }
        json_t *bom = fp_sbom_cyclonedx(&as.inv, vulns ? &as.findings : NULL, as.host,
                                        FP_VERSION_STRING);
        int rc = FP_EXIT_OK;
        FILE *out = out_path ? fopen(out_path, "w") : stdout;
        bool ok = bom && out && json_dumpf(bom, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
                  fputc('\n', out) != EOF;
        if (out && out != stdout)
                ok = fclose(out) == 0 && ok;
        else if (out)
                ok = fflush(out) == 0 && ok;
        if (!ok) {
                fprintf(stderr, "fleetpatch: sbom: cannot write %s\n", out_path ? out_path : "output");
                rc = FP_EXIT_INPUT;
        }
        json_decref(bom);
        fp_assessment_release(&as);
        return rc;
}
