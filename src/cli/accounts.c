/* fleetpatch accounts: the accounts the caller sees (list, show with host counts, create). */
#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch accounts ls [--json]\n"
                   "       fleetpatch accounts show ACCOUNT [--json]\n"
                   "       fleetpatch accounts create ACCOUNT [--display TEXT] [--region R]... "
                   "[--json]\n"
                   "\n"
                   "create needs the admin role on every account ('*'). Names: [a-z0-9._-],\n"
                   "at most 63.\n");
}

static int accounts_ls(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"NAME", "name", false},
            {"DISPLAY", "display", false},
            {"REGIONS", "regions", false},
            {"CREATED", "created", true},
        };
        return cli_list_cmd(argc, argv, "accounts ls", "/v1/accounts", cols,
                            sizeof(cols) / sizeof(cols[0]), usage);
}

static int accounts_show(int argc, char **argv)
{
        return cli_show_cmd(argc, argv, "accounts show", "/v1/accounts/%s", usage);
}

static int accounts_create(int argc, char **argv)
{
        const char *name = NULL, *display = NULL;
        struct cli_list regions = {0};
        const struct cli_opt opts[] = {{"--display", CLI_VALUE, &display},
                                       {"--region", CLI_REPEAT, &regions},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        json_t *answer;

        int rc = cli_parse(argc, argv, "accounts create", opts, &r, &name, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *body = json_pack("{s:s, s:[]}", "name", name, "regions");
        json_t *arr = json_object_get(body, "regions");
        for (size_t i = 0; arr && i < regions.n; i++)
                json_array_append_new(arr, json_string(regions.v[i]));
        if (body && display)
                json_object_set_new(body, "display", json_string(display));
        if (!body) {
                fprintf(stderr, "fleetpatch: accounts create: the name is not UTF-8\n");
                return FP_EXIT_USAGE;
        }
        rc = cli_request(&r, "POST", "/v1/accounts", body, &answer);
        json_decref(body);
        if (rc == FP_EXIT_OK && !r.json) {
                printf("account %s created\n", name);
                json_decref(answer);
                return rc;
        }
        return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
}

int cmd_accounts(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"ls", accounts_ls}, {"show", accounts_show}, {"create", accounts_create}};
        return cli_dispatch(argc, argv, "accounts", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
