/* fleetpatch whoami: the user the saved (or given) credential belongs to, and its grants. */
#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch whoami [--json] [--server URL --token T --cacert FILE]\n");
}

int cmd_whoami(int argc, char **argv)
{
        static const struct cli_col cols[] = {{"ACCOUNT", "account", false},
                                              {"ROLE", "role", false}};
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        struct cli_conn c;
        json_t *who = NULL;

        int rc = cli_parse(argc, argv, "whoami", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if ((rc = cli_connect(&r, &c)) != FP_EXIT_OK ||
            (rc = cli_call(&c, "GET", "/v1/whoami", NULL, &who)) != FP_EXIT_OK)
                return rc;
        if (!r.json) {
                const char *user = json_string_value(json_object_get(who, "user"));
                printf("user:   %s\nserver: %s\n\n", user ? user : "?", c.server);
        }
        return cli_show_list(&r, who, "grants", cols, 2);
}
