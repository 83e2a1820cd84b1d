/*
 * fleetpatch scan: the updates this host (or --root DIR) is missing, as a table or JSON.
 * Debian roots go through fp_scan_deb, RPM roots through fp_scan_rpm.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "fleetpatch/scan.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch scan [--root DIR] [--json] [--security-only]\n"
                   "                       [--lists-dir DIR] [--status FILE]\n"
                   "\n"
                   "  --root DIR       scan the system installed under DIR (default /)\n"
                   "  --json           print a JSON document instead of a table\n"
                   "  --security-only  only updates from a security archive\n"
                   "  --lists-dir DIR  Debian: apt lists to use (default ROOT/var/lib/apt/lists)\n"
                   "  --status FILE    Debian: dpkg status file (default ROOT/var/lib/dpkg/status)\n");
}

static int print_table(const struct fp_scan_result *r)
{
        size_t wn = 7, wa = 4, wi = 9, wc = 9, ws = 6, nsec = 0;

        for (size_t i = 0; i < r->count; i++) {
                const struct fp_update *u = &r->updates[i];
                size_t l = strlen(u->name);
                wn = l > wn ? l : wn;
                wa = strlen(u->arch) > wa ? strlen(u->arch) : wa;
                wi = strlen(u->installed) > wi ? strlen(u->installed) : wi;
                wc = strlen(u->candidate) > wc ? strlen(u->candidate) : wc;
                ws = u->suites && strlen(u->suites) > ws ? strlen(u->suites) : ws;
                nsec += u->security;
        }
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)wn, "PACKAGE", (int)wa, "ARCH",
               (int)wi, "INSTALLED", (int)wc, "CANDIDATE", (int)ws, "SUITES", "SECURITY");
        for (size_t i = 0; i < r->count; i++) {
                const struct fp_update *u = &r->updates[i];
                printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s%s\n", (int)wn,
                       u->name, (int)wa, u->arch, (int)wi,
                       u->installed, (int)wc, u->candidate, (int)ws, u->suites ? u->suites : "",
                       u->security ? "security" : "-", u->held ? " (held)" : "");
        }
        for (size_t i = 0; i < r->obsolete_count; i++) {
                const struct fp_obsolete *o = &r->obsoletes[i];
                printf("%s.%s %s (%s) obsoletes %s.%s %s%s\n", o->name, o->arch, o->candidate,
                       o->origin ? o->origin : "", o->old_name, o->old_arch, o->old_installed,
                       o->security ? " security" : "");
        }
        printf("%zu upgradable (%zu security) of %zu installed packages\n", r->count, nsec,
               r->installed_count);
        return fflush(stdout) == 0 ? FP_EXIT_OK : FP_EXIT_INPUT;
}

static int print_json(const struct fp_scan_result *r)
{
        json_t *doc = json_object(), *arr = json_array();
        size_t nsec = 0;
        int rc = FP_EXIT_OK;

        if (!doc || !arr)
                goto fail;
        for (size_t i = 0; i < r->count; i++) {
                const struct fp_update *u = &r->updates[i];
                json_t *o = json_object();
                if (!o)
                        goto fail;
                json_object_set_new(o, "name", json_string(u->name));
                json_object_set_new(o, "arch", json_string(u->arch));
                json_object_set_new(o, "installed", json_string(u->installed));
                json_object_set_new(o, "candidate", json_string(u->candidate));
                json_object_set_new(o, "source_name", cli_json_str(u->source_name));
                json_object_set_new(o, "source_version", cli_json_str(u->source_version));
                json_object_set_new(o, "origin", cli_json_str(u->origin));
                json_object_set_new(o, "suites", cli_json_str(u->suites));
                json_object_set_new(o, "security", json_boolean(u->security));
                json_object_set_new(o, "held", json_boolean(u->held));
                json_object_set_new(o, "phased_percent", json_integer(u->phased_percent));
                json_array_append_new(arr, o);
                nsec += u->security;
        }
        json_object_set_new(doc, "family", json_string(r->family ? r->family : ""));
        json_object_set_new(doc, "installed_count", json_integer((json_int_t)r->installed_count));
        json_object_set_new(doc, "count", json_integer((json_int_t)r->count));
        json_object_set_new(doc, "security_count", json_integer((json_int_t)nsec));
        json_object_set_new(doc, "updates", arr);
        arr = NULL;
        /* RPM: packages that replace installed ones ("Obsoleting Packages" of dnf). */
        json_t *obs = json_array();
        for (size_t i = 0; obs && i < r->obsolete_count; i++) {
                const struct fp_obsolete *ob = &r->obsoletes[i];
                json_t *o = json_object();
                if (!o)
                        break;
                json_object_set_new(o, "name", cli_json_str(ob->name));
                json_object_set_new(o, "arch", cli_json_str(ob->arch));
                json_object_set_new(o, "candidate", cli_json_str(ob->candidate));
                json_object_set_new(o, "origin", cli_json_str(ob->origin));
                json_object_set_new(o, "old_name", cli_json_str(ob->old_name));
                json_object_set_new(o, "old_arch", cli_json_str(ob->old_arch));
                json_object_set_new(o, "old_installed", cli_json_str(ob->old_installed));
                json_object_set_new(o, "security", json_boolean(ob->security));
                json_array_append_new(obs, o);
        }
        json_object_set_new(doc, "obsoletes", obs ? obs : json_array());
        json_t *warn = json_array();
        for (size_t i = 0; warn && i < r->warning_count; i++)
                json_array_append_new(warn, json_string(r->warnings[i]));
        json_object_set_new(doc, "warnings", warn ? warn : json_array());
        if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
                goto fail;
        putchar('\n');
        if (fflush(stdout) != 0)
                rc = FP_EXIT_INPUT;
        json_decref(doc);
        return rc;
fail:
        json_decref(arr);
        json_decref(doc);
        fprintf(stderr, "fleetpatch: cannot write JSON output\n");
        return FP_EXIT_INPUT;
}

int cmd_scan(int argc, char **argv)
{
        struct fp_scan_opts opts = {0};
        struct fp_scan_result res;
        struct fp_diag diag;
        bool json = false;
        const char *family;
        enum fp_err err;
        int rc;

        memset(&res, 0, sizeof(res));
        fp_diag_clear(&diag);
        opts.root = "/";
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char **dst = NULL;
                if (!strcmp(a, "--json"))
                        json = true;
                else if (!strcmp(a, "--security-only"))
                        opts.security_only = true;
                else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return FP_EXIT_OK;
                } else if (!strcmp(a, "--root"))
                        dst = &opts.root;
                else if (!strcmp(a, "--lists-dir"))
                        dst = &opts.lists_dir;
                else if (!strcmp(a, "--status"))
                        dst = &opts.status_file;
                else {
                        fprintf(stderr, "fleetpatch: scan: unknown option '%s'\n", a);
                        usage(stderr);
                        return FP_EXIT_USAGE;
                }
                if (dst) {
                        if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                                fprintf(stderr, "fleetpatch: scan: %s needs a value\n", a);
                                usage(stderr);
                                return FP_EXIT_USAGE;
                        }
                        *dst = argv[++i];
                }
        }
        /* Explicit Debian inputs decide the family; otherwise look at the root. */
        family = opts.lists_dir || opts.status_file ? "deb" : fp_scan_detect_family(opts.root);
        if (!family) {
                fprintf(stderr,
                        "fleetpatch: %s: no package database found (neither "
                        "var/lib/dpkg/status nor var/lib/rpm)\n",
                        opts.root);
                return FP_EXIT_INPUT;
        }
        if (!strcmp(family, "rpm")) {
                err = fp_scan_rpm(&opts, &res, &diag);
        } else {
                err = fp_scan_deb(&opts, &res, &diag);
        }
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                rc = err == FP_EINVAL ? FP_EXIT_USAGE : FP_EXIT_INPUT;
                goto out;
        }
        for (size_t i = 0; i < res.warning_count; i++)
                fprintf(stderr, "fleetpatch: warning: %s\n", res.warnings[i]);
        rc = json ? print_json(&res) : print_table(&res);
out:
        fp_scan_result_release(&res);
        return rc;
}
