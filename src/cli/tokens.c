/* fleetpatch tokens: the caller's API tokens (list, create one, revoke one). */
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch tokens ls [--json]\n"
                   "       fleetpatch tokens create --name NAME [--ttl DUR] [--json]\n"
                   "       fleetpatch tokens revoke ID\n"
                   "\n"
                   "  --name NAME   what the token is for ([a-z0-9._-], at most 63)\n"
                   "  --ttl DUR     lifetime: seconds or 30s, 15m, 2h, 7d, 1w (default: the\n"
                   "                server's)\n"
                   "create prints only the new token on stdout (it is shown once).\n"
                   "Connection options of every command: --server URL --token T --cacert FILE\n"
                   "--timeout DUR (see 'fleetpatch login --help').\n");
}

static int tokens_ls(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"ID", "id", false},           {"NAME", "name", false},
            {"CREATED", "created", true},  {"EXPIRES", "expires", true},
            {"REVOKED", "revoked", false},
        };
        return cli_list_cmd(argc, argv, "tokens ls", "/v1/tokens", cols,
                            sizeof(cols) / sizeof(cols[0]), usage);
}

static int tokens_create(int argc, char **argv)
{
        const char *name = NULL, *ttl = NULL;
        const struct cli_opt opts[] = {
            {"--name", CLI_VALUE, &name}, {"--ttl", CLI_VALUE, &ttl}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        json_t *answer;
        long long secs = 0;

        int rc = cli_parse(argc, argv, "tokens create", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!name) {
                fprintf(stderr, "fleetpatch: tokens create: --name is required\n");
                return FP_EXIT_USAGE;
        }
        if (ttl && !cli_parse_duration(ttl, &secs))
                return cli_bad_duration("tokens create", "--ttl", ttl);
        json_t *body = json_pack("{s:s}", "name", name);
        if (body && ttl)
                json_object_set_new(body, "ttl", json_integer(secs));
        rc = cli_request(&r, "POST", "/v1/tokens", body, &answer);
        json_decref(body);
        return rc == FP_EXIT_OK ? cli_print_secret(&r, answer, "token") : rc;
}

static int tokens_revoke(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *id = NULL;
        struct cli_remote r = {0};

        int rc = cli_parse(argc, argv, "tokens revoke", opts, &r, &id, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        rc = cli_simple(&r, "DELETE", NULL, "/v1/tokens/%s", id);
        if (rc == FP_EXIT_OK && !r.json)
                printf("token %s revoked\n", id);
        return rc;
}

int cmd_tokens(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"ls", tokens_ls}, {"create", tokens_create}, {"revoke", tokens_revoke}};
        return cli_dispatch(argc, argv, "tokens", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
