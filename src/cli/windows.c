/*
 * fleetpatch windows (docs/orchestration.md "Maintenance windows"): create, update, list,
 * show and remove the maintenance windows of an account (shared with baselines.c), and the
 * next openings of a window per host, in the host's local time and in UTC.
 */
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/limits.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch windows create --account A FILE|- [--json]\n"
                   "       fleetpatch windows update --account A FILE|- [--json]\n"
                   "       fleetpatch windows ls [--account A] [--json]\n"
                   "       fleetpatch windows show A/NAME [--json]\n"
                   "       fleetpatch windows rm A/NAME [--json]\n"
                   "       fleetpatch windows next A/NAME [--host H | --tag K=V] [--count N] "
                   "[--json]\n"
                   "\n"
                   "FILE is a window as JSON (docs/orchestration.md); '-' reads stdin. update\n"
                   "replaces the window named by the file's \"name\". create, update and rm need\n"
                   "the approver role on the account. next lists the next N (default 3, at most\n"
                   "52) openings for each host of the account (--host: one host id; --tag: the\n"
                   "hosts with that tag): the host's zone, the opening in its local time and in\n"
                   "UTC, and the cutoff (UTC) after which no host starts.\n");
}

static int windows_doc(int argc, char **argv)
{
        return cli_doc_cmd(argc, argv, "windows", usage);
}

/* One row per (host, opening), for the table. */
static json_t *next_rows(const json_t *answer)
{
        json_t *rows = json_array();
        size_t i, k;
        const json_t *h, *o;
        json_array_foreach(json_object_get(answer, "hosts"), i, h)
        {
                const json_t *hn = json_object_get(h, "hostname");
                json_array_foreach(json_object_get(h, "next"), k, o)
                {
                        json_array_append_new(
                            rows, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "host",
                                            hn ? hn : json_object_get(h, "host"), "tz",
                                            json_object_get(h, "tz"), "open_local",
                                            json_object_get(o, "open_local"), "open_utc",
                                            json_object_get(o, "open_utc"), "cutoff_utc",
                                            json_object_get(o, "start_until_utc")));
                }
                if (!json_array_size(json_object_get(h, "next")))
                        json_array_append_new(rows, json_pack("{s:O?, s:O?}", "host",
                                                              hn ? hn : json_object_get(h, "host"),
                                                              "tz", json_object_get(h, "tz")));
        }
        return rows;
}

static int windows_next(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"HOST", "host", false},
            {"TZ", "tz", false},
            {"OPENS (LOCAL)", "open_local", false},
            {"OPENS (UTC)", "open_utc", false},
            {"CUTOFF (UTC)", "cutoff_utc", false},
        };
        const char *host = NULL, *tag = NULL, *count = NULL, *ref = NULL;
        const struct cli_opt opts[] = {{"--host", CLI_VALUE, &host},
                                       {"--tag", CLI_VALUE, &tag},
                                       {"--count", CLI_VALUE, &count},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "windows next", opts, &r, &ref, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        const char *slash = strchr(ref, '/');
        if (!slash || slash == ref || !slash[1] || strchr(slash + 1, '/') ||
            (size_t)(slash - ref) > FP_MAX_IDENT) {
                fprintf(stderr, "fleetpatch: windows next: '%s': expected ACCOUNT/NAME\n", ref);
                return FP_EXIT_USAGE;
        }
        if (host && tag) {
                fprintf(stderr, "fleetpatch: windows next: give --host or --tag, not both\n");
                return FP_EXIT_USAGE;
        }
        if (tag && (!strchr(tag, '=') || tag[0] == '=')) {
                fprintf(stderr, "fleetpatch: windows next: --tag '%s': expected KEY=VALUE\n", tag);
                return FP_EXIT_USAGE;
        }
        long long n = 0;
        if (count && !cli_parse_int(count, 1, 52, &n)) {
                fprintf(stderr, "fleetpatch: windows next: --count '%s': expected 1..52\n", count);
                return FP_EXIT_USAGE;
        }
        char account[FP_MAX_IDENT + 1];
        memcpy(account, ref, (size_t)(slash - ref));
        account[slash - ref] = '\0';
        struct fp_buf path;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        enum fp_err err = cli_pathf(&path, "/v1/accounts/%s/windows/%s/next", account, slash + 1);
        if (err == FP_OK && host)
                err = cli_query_add(&path, "host", host);
        if (err == FP_OK && tag)
                err = cli_query_add(&path, "tag", tag);
        if (err == FP_OK && count)
                err = cli_query_add(&path, "count", count);
        json_t *answer = NULL;
        if (err != FP_OK) {
                fprintf(stderr, "fleetpatch: windows next: bad ACCOUNT/NAME or too long an "
                                "argument\n");
                rc = FP_EXIT_USAGE;
        } else {
                rc = cli_request(&r, "GET", fp_buf_str(&path), NULL, &answer);
        }
        fp_buf_release(&path);
        if (rc != FP_EXIT_OK)
                return rc;
        if (r.json)
                return cli_show_record(&r, answer);
        if (host && !json_array_size(json_object_get(answer, "hosts"))) {
                fprintf(stderr, "fleetpatch: windows next: no host '%s' in account %s\n", host,
                        account);
                json_decref(answer);
                return FP_EXIT_SERVER;
        }
        json_t *rows = next_rows(answer);
        cli_print_table(rows, cols, sizeof(cols) / sizeof(cols[0]));
        json_decref(rows);
        json_decref(answer);
        return FP_EXIT_OK;
}

int cmd_windows(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"create", windows_doc}, {"update", windows_doc}, {"ls", windows_doc},
            {"show", windows_doc},   {"rm", windows_doc},     {"next", windows_next},
        };
        return cli_dispatch(argc, argv, "windows", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
