/* fleetpatch summary: the fleet at a glance (hosts, stale hosts, findings by severity, KEV). */
#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch summary [--account A] [--json]\n");
}

int cmd_summary(int argc, char **argv)
{
        const char *account = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        struct fp_buf path;
        json_t *answer;

        int rc = cli_parse(argc, argv, "summary", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        fp_buf_addstr(&path, "/v1/summary");
        if (account)
                cli_query_add(&path, "account", account);
        rc = cli_request(&r, "GET", fp_buf_str(&path), NULL, &answer);
        fp_buf_release(&path);
        return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
}
