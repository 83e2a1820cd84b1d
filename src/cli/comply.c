/*
 * fleetpatch compliance and fleetpatch report (docs/compliance.md): the compliance summary
 * now or on a past date grouped by a dimension, the compliance report as CSV, JSON or HTML
 * (fetched as JSON and rendered by the server's own renderer, so the bytes are the server's),
 * and the report schedules of an account.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/limits.h"
#include "server/comply.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch compliance [--at DATE] [--by DIM] [--account A] [--json]\n"
                "       fleetpatch report compliance [--format csv|json|html] [--from DATE]\n"
                "                 [--to DATE] [--step N] [--account A] [-o FILE]\n"
                "       fleetpatch report schedules ls --account A [--json]\n"
                "       fleetpatch report schedules show|rm --account A NAME [--json]\n"
                "       fleetpatch report schedules create|update --account A NAME\n"
                "                 [--format csv|json|html] [--every DAYS] [--range DAYS]\n"
                "                 [--start DATE] [--json]\n"
                "\n"
                "DATE: YYYY-MM-DD (compliance --at: the end of that day, UTC),\n"
                "YYYY-MM-DDTHH:MM:SSZ or UNIX seconds. DIM: account, region, tag:KEY, baseline,\n"
                "os, service. A report covers at most %d days with a step of at least a day;\n"
                "without --account it is organisation-wide (needs a grant on '*').\n"
                "Schedules deliver the report.ready notification (docs/notifications.md).\n",
                FP_REPORT_MAX_DAYS);
}

/* GET base with the query parameters of q that have a value (q[i][1] != NULL). */
static int get_query(const struct cli_remote *r, const char *base, const char *const (*q)[2],
                     size_t nq, json_t **answer)
{
        struct fp_buf path;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        enum fp_err err = fp_buf_addstr(&path, base);
        for (size_t i = 0; err == FP_OK && i < nq; i++)
                if (q[i][1])
                        err = cli_query_add(&path, q[i][0], q[i][1]);
        int rc =
            err == FP_OK ? cli_request(r, "GET", fp_buf_str(&path), NULL, answer) : FP_EXIT_USAGE;
        fp_buf_release(&path);
        return rc;
}

static int compliance(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"GROUP", "key", false},
            {"HOSTS", "hosts", false},
            {"COMPLIANT", "compliant_hosts", false},
            {"RATE%", "compliance_rate", false},
            {"NONCOMPLIANT", "states.noncompliant", false},
            {"REBOOT", "states.pending_reboot", false},
            {"CATCHUP", "states.catchup", false},
            {"EXCEPTED", "states.excepted", false},
            {"PROVIDER", "states.provider", false},
            {"UNKNOWN", "states.unknown", false},
            {"SLA BREACHED", "sla.breached_hosts", false},
        };
        const char *at = NULL, *by = NULL, *account = NULL;
        const struct cli_opt opts[] = {{"--at", CLI_VALUE, &at},
                                       {"--by", CLI_VALUE, &by},
                                       {"--account", CLI_VALUE, &account},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "compliance", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        int64_t t;
        if (at && !fp_comply_parse_time(at, true, &t)) {
                fprintf(stderr, "fleetpatch: compliance: --at '%s': expected YYYY-MM-DD, "
                                "YYYY-MM-DDTHH:MM:SSZ or UNIX seconds\n",
                        at);
                return FP_EXIT_USAGE;
        }
        enum fp_comply_dim dim;
        const char *key;
        if (!fp_comply_dim_parse(by, &dim, &key)) {
                fprintf(stderr, "fleetpatch: compliance: --by '%s': expected account, region, "
                                "tag:KEY, baseline, os or service\n",
                        by);
                return FP_EXIT_USAGE;
        }
        const char *const q[][2] = {{"at", at}, {"by", by}, {"account", account}};
        json_t *answer = NULL;
        rc = get_query(&r, "/v1/compliance", q, sizeof(q) / sizeof(q[0]), &answer);
        if (rc != FP_EXIT_OK)
                return rc;
        if (r.json)
                return cli_show_record(&r, answer);
        json_t *total = json_object_get(answer, "total");
        json_t *rows = json_array();
        json_t *all = json_deep_copy(total);
        json_object_set_new(all, "key", json_string("(all)"));
        json_array_append_new(rows, all);
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(answer, "groups"), i, g)
        {
                json_array_append(rows, g);
        }
        cli_print_table(rows, cols, sizeof(cols) / sizeof(cols[0]));
        json_decref(rows);
        json_decref(answer);
        return FP_EXIT_OK;
}

static int report_compliance(int argc, char **argv)
{
        const char *format = "json", *from = NULL, *to = NULL, *step = NULL, *account = NULL,
                   *out = NULL;
        const struct cli_opt opts[] = {{"--format", CLI_VALUE, &format},
                                       {"--from", CLI_VALUE, &from},
                                       {"--to", CLI_VALUE, &to},
                                       {"--step", CLI_VALUE, &step},
                                       {"--account", CLI_VALUE, &account},
                                       {"-o", CLI_VALUE, &out},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "report compliance", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html")) {
                fprintf(stderr, "fleetpatch: report compliance: --format '%s': expected csv, "
                                "json or html\n",
                        format);
                return FP_EXIT_USAGE;
        }
        const char *const q[][2] = {
            {"from", from}, {"to", to}, {"step", step}, {"account", account}};
        json_t *answer = NULL;
        rc = get_query(&r, "/v1/reports/compliance?format=json", q, sizeof(q) / sizeof(q[0]),
                       &answer);
        if (rc != FP_EXIT_OK)
                return rc;
        char *text = NULL;
        if (!strcmp(format, "json")) {
                text = json_dumps(answer, JSON_INDENT(2) | JSON_SORT_KEYS);
        } else {
                struct fp_arena arena;
                fp_arena_init(&arena);
                struct fp_report rep;
                if (fp_report_from_json(answer, &arena, &rep) == FP_OK)
                        text = !strcmp(format, "csv") ? fp_report_csv(&rep) : fp_report_html(&rep);
                else
                        fprintf(stderr, "fleetpatch: report compliance: the answer is not a "
                                        "compliance report\n");
                fp_report_release(&rep);
                fp_arena_release(&arena);
        }
        json_decref(answer);
        if (!text) {
                fprintf(stderr, "fleetpatch: report compliance: out of memory\n");
                return FP_EXIT_INPUT;
        }
        FILE *f = out && strcmp(out, "-") ? fopen(out, "w") : stdout;
        if (!f) {
                fprintf(stderr, "fleetpatch: report compliance: -o %s: cannot write\n", out);
                free(text);
                return FP_EXIT_INPUT;
        }
        size_t n = strlen(text);
        bool ok = fwrite(text, 1, n, f) == n;
        if (!strcmp(format, "json"))
                ok &= fputc('\n', f) != EOF;
        if (f != stdout)
                ok &= fclose(f) == 0;
        free(text);
        if (!ok) {
                fprintf(stderr, "fleetpatch: report compliance: writing %s failed\n",
                        out ? out : "stdout");
                return FP_EXIT_INPUT;
        }
        return FP_EXIT_OK;
}

static int schedules(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"NAME", "name", false},         {"FORMAT", "format", false},
            {"EVERY (DAYS)", "every_days", false}, {"RANGE (DAYS)", "range_days", false},
            {"NEXT RUN", "next_run", true},  {"LAST RUN", "last_run", true},
            {"LAST ERROR", "last_error", false},
        };
        const char *account = NULL, *format = NULL, *every = NULL, *range = NULL, *start = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account},
                                       {"--format", CLI_VALUE, &format},
                                       {"--every", CLI_VALUE, &every},
                                       {"--range", CLI_VALUE, &range},
                                       {"--start", CLI_VALUE, &start},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        const char *pos[2] = {NULL, NULL};
        int rc = cli_parse(argc, argv, "report schedules", opts, &r, pos, 1, 2, usage);
        if (rc != CLI_GO_ON)
                return rc;
        const char *verb = pos[0], *name = pos[1];
        if (!account) {
                fprintf(stderr, "fleetpatch: report schedules: --account is required\n");
                return FP_EXIT_USAGE;
        }
        json_t *answer = NULL;
        if (!strcmp(verb, "ls")) {
                rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/accounts/%s/report-schedules",
                                  account);
                return rc == FP_EXIT_OK ? cli_show_list(&r, answer, "schedules", cols,
                                                        sizeof(cols) / sizeof(cols[0]))
                                        : rc;
        }
        if (!name) {
                fprintf(stderr, "fleetpatch: report schedules %s: a NAME is required\n", verb);
                return FP_EXIT_USAGE;
        }
        if (!strcmp(verb, "show") || !strcmp(verb, "rm")) {
                rc = cli_requestf(&r, !strcmp(verb, "rm") ? "DELETE" : "GET", NULL, &answer,
                                  "/v1/accounts/%s/report-schedules/%s", account, name);
                return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
        }
        if (strcmp(verb, "create") && strcmp(verb, "update")) {
                fprintf(stderr, "fleetpatch: report schedules: '%s': expected ls, show, create, "
                                "update or rm\n",
                        verb);
                return FP_EXIT_USAGE;
        }
        bool create = !strcmp(verb, "create");
        json_t *body = json_object();
        if (create)
                json_object_set_new(body, "name", json_string(name));
        if (format)
                json_object_set_new(body, "format", json_string(format));
        if (start)
                json_object_set_new(body, "start", json_string(start));
        const char *nums[2][2] = {{"every_days", every}, {"range_days", range}};
        /* the server's bounds (api_comply.c), so the CLI refuses what it would refuse */
        const long long max[2] = {FP_REPORT_MAX_EVERY_DAYS, FP_REPORT_MAX_DAYS};
        for (int i = 0; i < 2; i++) {
                long long v;
                if (!nums[i][1])
                        continue;
                if (!cli_parse_int(nums[i][1], 1, max[i], &v)) {
                        fprintf(stderr, "fleetpatch: report schedules: --%s '%s': expected a "
                                        "number of days, 1..%lld\n",
                                i ? "range" : "every", nums[i][1], max[i]);
                        json_decref(body);
                        return FP_EXIT_USAGE;
                }
                json_object_set_new(body, nums[i][0], json_integer(v));
        }
        rc = create ? cli_requestf(&r, "POST", body, &answer, "/v1/accounts/%s/report-schedules",
                                   account)
                    : cli_requestf(&r, "PUT", body, &answer,
                                   "/v1/accounts/%s/report-schedules/%s", account, name);
        json_decref(body);
        return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
}

int cmd_report(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"compliance", report_compliance},
                                              {"schedules", schedules}};
        return cli_dispatch(argc, argv, "report", subs, sizeof(subs) / sizeof(subs[0]), usage);
}

int cmd_compliance(int argc, char **argv)
{
        return compliance(argc, argv);
}
