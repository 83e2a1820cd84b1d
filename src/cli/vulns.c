/*
 * fleetpatch vulns: the vulnerabilities of this host (or an image root), highest risk first,
 * each with the installed and fixed versions, the advisories, the update that fixes it and
 * the reasons for its score.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "fleetpatch/assess.h"
#include "fleetpatch/limits.h"

#define MAX_TAGS 64

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch vulns [--root DIR] [--json|--csv] [--kev-only]\n"
                "                        [--min-severity S] [--all] [--reasons] [--fail-on S]\n"
                "                        [--db FILE] [--tag KEY=VALUE]... [--host NAME] [--sla SPEC]\n"
                "                        [--status FILE --release DISTRO:RELEASE] [--lists-dir DIR]\n"
                "                        [--kernel UNAME_R] [--no-scan]\n"
                "\n"
                "  --root DIR         assess the system installed under DIR (default /)\n"
                "  --json, --csv      machine-readable output (every finding with its reasons)\n"
                "  --kev-only         only CVEs in CISA's Known Exploited Vulnerabilities\n"
                "  --min-severity S   negligible, low, medium, high or critical\n"
                "  --all              also findings that are not exposure (kernels not running,\n"
                "                     accepted or dismissed by an exception)\n"
                "  --reasons          print the reasons of each score under the table row\n"
                "  --fail-on S        exit 4 when an exposed finding of severity S or more exists\n"
                "  --db FILE          vulnerability database (see 'fleetpatch feeds')\n"
                "  --tag KEY=VALUE    host tag; criticality=low|medium|high|critical and\n"
                "                     exposure=isolated|internal|internet weigh the score\n"
                "  --host NAME        host name exceptions are matched against\n"
                "  --sla SPEC         SLA days per severity, e.g. critical=7,high=30\n"
                "  --status FILE      Debian: a dpkg status file instead of ROOT's\n"
                "  --release D:R      distribution and release when ROOT has no os-release\n"
                "  --lists-dir DIR    Debian: apt lists for the fixing-update column\n"
                "  --kernel UNAME_R   the running kernel (default: uname -r for /, none for a root)\n"
                "  --no-scan          do not run the update scan (no update column)\n"
                "\n"
                "fleetpatch vulns --host HOST_ID [--json]: the server's findings of an enrolled\n"
                "host (a 16-hex host id and no local option; see 'fleetpatch login').\n");
}

struct filter {
        bool kev_only, all;
        enum fp_severity min;
};

static bool shown(const struct filter *flt, const struct fp_finding *f)
{
        if (!flt->all && !fp_finding_exposed(f->status))
                return false;
        if (flt->kev_only && !f->kev)
                return false;
        return f->severity >= flt->min;
}

static const char *or_dash(const char *s)
{
        return s && *s ? s : "-";
}

static void print_table(const struct fp_assessment *a, const struct filter *flt, bool reasons)
{
        printf("%-6s %-10s %-16s %-28s %-24s %-24s %-24s %-14s %s\n", "SCORE", "SEVERITY", "VULN",
               "PACKAGE", "INSTALLED", "FIXED", "UPDATE", "STATUS", "KEV");
        for (size_t i = 0; i < a->findings.count; i++) {
                const struct fp_finding *f = &a->findings.items[i];
                if (!shown(flt, f))
                        continue;
                char kev[32] = "-";
                if (f->kev) {
                        char due[32];
                        fp_format_date(f->kev_due, due);
                        snprintf(kev, sizeof(kev), "due %.10s", due);
                }
                printf("%-6.1f %-10s %-16s %-28s %-24s %-24s %-24s %-14s %s\n", f->score,
                       fp_severity_name(f->severity), f->vuln, f->pkg->name, f->pkg->version,
                       or_dash(f->fixed), or_dash(f->update), fp_finding_status_name(f->status),
                       kev);
                if (reasons) {
                        printf("       advisories: %s\n", f->advisories);
                        printf("       score: %s\n", f->reasons);
                        if (f->note)
                                printf("       note: %s\n", f->note);
                }
        }
}

static void summary(const struct fp_assessment *a, FILE *out)
{
        size_t by_sev[FP_SEV_CRITICAL + 1] = {0}, exposed = 0, kev = 0, hidden = 0, breached = 0;
        int64_t now = fp_now();
        for (size_t i = 0; i < a->findings.count; i++) {
                const struct fp_finding *f = &a->findings.items[i];
                if (!fp_finding_exposed(f->status)) {
                        hidden++;
                        continue;
                }
                exposed++;
                by_sev[f->severity]++;
                kev += f->kev;
                breached += f->sla_due && f->sla_due < now;
        }
        fprintf(out,
                "%zu findings on %s (%s %s, %zu packages): %zu critical, %zu high, %zu medium, %zu "
                "low, %zu negligible, %zu unknown; %zu in CISA KEV; %zu past their SLA; %zu not "
                "counted (--all shows them)\n",
                exposed, a->host, a->inv.distro, a->inv.release, a->inv.count,
                by_sev[FP_SEV_CRITICAL], by_sev[FP_SEV_HIGH], by_sev[FP_SEV_MEDIUM],
                by_sev[FP_SEV_LOW], by_sev[FP_SEV_NEGLIGIBLE], by_sev[FP_SEV_UNKNOWN], kev, breached,
                hidden);
        for (size_t i = 0; i < a->findings.note_count; i++)
                fprintf(out, "note: %s\n", a->findings.notes[i]);
}

static json_t *date_or_null(int64_t t)
{
        char buf[32];
        fp_format_date(t, buf);
        return t ? json_string(buf) : json_null();
}

static json_t *reasons_array(const char *reasons)
{
        json_t *arr = json_array();
        const char *p = reasons ? reasons : "";
        while (arr && *p) {
                const char *sep = strstr(p, "; ");
                size_t n = sep ? (size_t)(sep - p) : strlen(p);
                json_array_append_new(arr, json_stringn(p, n));
                p += n + (sep ? 2 : 0);
        }
        return arr ? arr : json_array();
}

static json_t *finding_json(const struct fp_finding *f, int64_t now)
{
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "vuln", cli_json_str(f->vuln));
        json_object_set_new(o, "package", cli_json_str(f->pkg->name));
        json_object_set_new(o, "arch", cli_json_str(f->pkg->arch));
        json_object_set_new(o, "installed", cli_json_str(f->pkg->version));
        json_object_set_new(o, "source", cli_json_str(f->pkg->source));
        json_object_set_new(o, "source_version", cli_json_str(f->pkg->source_version));
        json_object_set_new(o, "fixed", cli_json_str(f->fixed));
        json_object_set_new(o, "update", cli_json_str(f->update));
        json_object_set_new(o, "status", json_string(fp_finding_status_name(f->status)));
        json_object_set_new(o, "exposed", json_boolean(fp_finding_exposed(f->status)));
        json_object_set_new(o, "severity", json_string(fp_severity_name(f->severity)));
        json_object_set_new(o, "cvss", f->cvss >= 0 ? json_real(f->cvss) : json_null());
        json_object_set_new(o, "kev", json_boolean(f->kev));
        json_object_set_new(o, "kev_due", f->kev ? date_or_null(f->kev_due) : json_null());
        json_object_set_new(o, "ransomware", json_boolean(f->ransomware));
        json_object_set_new(o, "epss", f->epss >= 0 ? json_real(f->epss) : json_null());
        json_object_set_new(o, "epss_percentile",
                            f->epss >= 0 ? json_real(f->epss_percentile) : json_null());
        json_object_set_new(o, "score", json_real((double)(long long)(f->score * 10 + 0.5) / 10));
        json_object_set_new(o, "reasons", reasons_array(f->reasons));
        json_object_set_new(o, "sla_due", date_or_null(f->sla_due));
        json_object_set_new(o, "sla_breached", json_boolean(f->sla_due && f->sla_due < now));
        json_object_set_new(o, "published", date_or_null(f->published));
        json_object_set_new(o, "advisories", cli_json_str(f->advisories));
        json_object_set_new(o, "summary", cli_json_str(f->summary));
        json_object_set_new(o, "note", cli_json_str(f->note));
        json_object_set_new(o, "exception",
                            f->exception_id ? json_integer(f->exception_id) : json_null());
        return o;
}

static int print_json(const struct fp_assessment *a, const struct filter *flt)
{
        json_t *doc = json_object(), *arr = json_array(), *notes = json_array(),
               *warn = json_array();
        int64_t now = fp_now();
        if (!doc || !arr || !notes || !warn)
                goto fail;
        for (size_t i = 0; i < a->findings.count; i++) {
                if (!shown(flt, &a->findings.items[i]))
                        continue;
                json_t *o = finding_json(&a->findings.items[i], now);
                if (!o || json_array_append_new(arr, o) != 0)
                        goto fail;
        }
        for (size_t i = 0; i < a->findings.note_count; i++)
                json_array_append_new(notes, cli_json_str(a->findings.notes[i]));
        for (size_t i = 0; i < a->warning_count; i++)
                json_array_append_new(warn, cli_json_str(a->warnings[i]));
        json_object_set_new(doc, "host", cli_json_str(a->host));
        json_object_set_new(doc, "distro", cli_json_str(a->inv.distro));
        json_object_set_new(doc, "release", cli_json_str(a->inv.release));
        json_object_set_new(doc, "family", cli_json_str(a->inv.family));
        json_object_set_new(doc, "running_kernel", cli_json_str(a->inv.running_kernel));
        json_object_set_new(doc, "packages", json_integer((json_int_t)a->inv.count));
        json_object_set_new(doc, "findings", arr);
        json_object_set_new(doc, "notes", notes);
        json_object_set_new(doc, "warnings", warn);
        arr = notes = warn = NULL;
        if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
                goto fail;
        putchar('\n');
        json_decref(doc);
        return fflush(stdout) == 0 ? FP_EXIT_OK : FP_EXIT_INPUT;
fail:
        json_decref(arr);
        json_decref(notes);
        json_decref(warn);
        json_decref(doc);
        fprintf(stderr, "fleetpatch: cannot write JSON output\n");
        return FP_EXIT_INPUT;
}

static void print_csv(const struct fp_assessment *a, const struct filter *flt)
{
        printf("score,severity,vuln,package,arch,installed,source,fixed,update,status,kev,kev_due,"
               "epss,cvss,sla_due,advisories,reasons\n");
        for (size_t i = 0; i < a->findings.count; i++) {
                const struct fp_finding *f = &a->findings.items[i];
                if (!shown(flt, f))
                        continue;
                char due[32], sla[32], num[32];
                fp_format_date(f->kev ? f->kev_due : 0, due);
                fp_format_date(f->sla_due, sla);
                const char *cols[] = {fp_severity_name(f->severity), f->vuln, f->pkg->name,
                                      f->pkg->arch, f->pkg->version, f->pkg->source, f->fixed,
                                      f->update, fp_finding_status_name(f->status),
                                      f->kev ? "yes" : "no", due};
                printf("%.1f", f->score);
                for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
                        putchar(',');
                        cli_csv_field(stdout, cols[c]);
                }
                putchar(',');
                if (f->epss >= 0)
                        printf("%.5f", f->epss);
                putchar(',');
                if (f->cvss >= 0) {
                        snprintf(num, sizeof(num), "%.1f", f->cvss);
                        fputs(num, stdout);
                }
                putchar(',');
                cli_csv_field(stdout, sla);
                putchar(',');
                cli_csv_field(stdout, f->advisories);
                putchar(',');
                cli_csv_field(stdout, f->reasons);
                putchar('\n');
        }
}

int cmd_vulns(int argc, char **argv)
{
        struct fp_assess_opts o = {.inv = {.root = "/"}};
        struct filter flt = {.min = FP_SEV_UNKNOWN};
        const char *db_path = NULL, *tags[MAX_TAGS];
        bool json = false, csv = false, reasons = false, fail_on_set = false;
        enum fp_severity fail_on = FP_SEV_CRITICAL;
        size_t ntags = 0;

        if (cli_vulns_is_remote(argc, argv))
                return cli_remote_vulns(argc, argv);
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = "";
                bool takes = !strcmp(a, "--root") || !strcmp(a, "--db") || !strcmp(a, "--tag") ||
                             !strcmp(a, "--host") || !strcmp(a, "--sla") ||
                             !strcmp(a, "--status") || !strcmp(a, "--release") ||
                             !strcmp(a, "--lists-dir") || !strcmp(a, "--kernel") ||
                             !strcmp(a, "--min-severity") || !strcmp(a, "--fail-on");
                if (takes && !(v = cli_optarg(argc, argv, &i, "vulns")))
                        return FP_EXIT_USAGE;
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return FP_EXIT_OK;
                } else if (!strcmp(a, "--json")) {
                        json = true;
                } else if (!strcmp(a, "--csv")) {
                        csv = true;
                } else if (!strcmp(a, "--kev-only")) {
                        flt.kev_only = true;
                } else if (!strcmp(a, "--all")) {
                        flt.all = true;
                } else if (!strcmp(a, "--reasons")) {
                        reasons = true;
                } else if (!strcmp(a, "--no-scan")) {
                        o.no_scan = true;
                } else if (!strcmp(a, "--root")) {
                        o.inv.root = v;
                } else if (!strcmp(a, "--db")) {
                        db_path = v;
                } else if (!strcmp(a, "--tag")) {
                        if (ntags == MAX_TAGS || !strchr(v, '=')) {
                                fprintf(stderr, "fleetpatch: vulns: --tag '%s': expected KEY=VALUE "
                                                "(at most %d tags)\n", v, MAX_TAGS);
                                return FP_EXIT_USAGE;
                        }
                        tags[ntags++] = v;
                } else if (!strcmp(a, "--host")) {
                        o.host = v;
                } else if (!strcmp(a, "--sla")) {
                        o.sla = v;
                } else if (!strcmp(a, "--status")) {
                        o.inv.status_file = v;
                } else if (!strcmp(a, "--release")) {
                        o.inv.release = v;
                } else if (!strcmp(a, "--lists-dir")) {
                        o.lists_dir = v;
                } else if (!strcmp(a, "--kernel")) {
                        o.inv.running_kernel = v;
                } else if (!strcmp(a, "--min-severity") || !strcmp(a, "--fail-on")) {
                        enum fp_severity s;
                        if (!fp_severity_parse(v, &s)) {
                                fprintf(stderr, "fleetpatch: vulns: %s '%s': expected negligible, "
                                                "low, medium, high or critical\n", a, v);
                                return FP_EXIT_USAGE;
                        }
                        if (!strcmp(a, "--fail-on")) {
                                fail_on = s;
                                fail_on_set = true;
                        } else {
                                flt.min = s;
                        }
                } else {
                        fprintf(stderr, "fleetpatch: vulns: unknown option '%s'\n", a);
                        usage(stderr);
                        return FP_EXIT_USAGE;
                }
        }
        if (json && csv) {
                fprintf(stderr, "fleetpatch: vulns: --json and --csv exclude each other\n");
                return FP_EXIT_USAGE;
        }
        o.tags = tags;
        o.ntags = ntags;
        /* A status file alone has no apt lists to scan unless they are given too. */
        if (o.inv.status_file && !o.lists_dir)
                o.no_scan = true;

        struct fp_vulndb *db = cli_open_vulndb(db_path);
        if (!db)
                return FP_EXIT_INPUT;
        struct fp_assessment as;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_assess(db, &o, &as, &diag);
        fp_vulndb_close(db);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                return err == FP_EINVAL ? FP_EXIT_USAGE : FP_EXIT_INPUT;
        }
        for (size_t i = 0; i < as.warning_count; i++)
                fprintf(stderr, "fleetpatch: warning: %s\n", as.warnings[i]);
        int rc = FP_EXIT_OK;
        if (json) {
                rc = print_json(&as, &flt);
        } else if (csv) {
                print_csv(&as, &flt);
        } else {
                print_table(&as, &flt, reasons);
                summary(&as, stdout);
        }
        if (rc == FP_EXIT_OK && fail_on_set) {
                for (size_t i = 0; i < as.findings.count; i++) {
                        const struct fp_finding *f = &as.findings.items[i];
                        if (fp_finding_exposed(f->status) && f->severity >= fail_on) {
                                rc = FP_EXIT_FINDINGS;
                                break;
                        }
                }
        }
        fp_assessment_release(&as);
        return rc;
}
