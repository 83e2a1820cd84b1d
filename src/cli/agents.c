/* fleetpatch agents enroll-token: a short-lived token with which agents join an account. */
#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch agents enroll-token --account A [--ttl DUR] [--uses N]\n"
                "                                      [--region R] [--tag KEY=VALUE]... [--json]\n"
                "\n"
                "  --account A      the account the enrolled hosts belong to\n"
                "  --ttl DUR        lifetime: seconds or 30s, 15m, 2h, 7d (default: the server's)\n"
                "  --uses N         how many hosts may enroll with it (default: the server's)\n"
                "  --region R       region of hosts whose facts name none\n"
                "  --tag KEY=VALUE  tags given to the enrolled hosts\n"
                "Prints only the token on stdout: TOKEN=$(fleetpatch agents enroll-token ...).\n");
}

static int enroll_token(int argc, char **argv)
{
        const char *account = NULL, *ttl = NULL, *uses = NULL, *region = NULL;
        struct cli_list tags = {0};
        const struct cli_opt opts[] = {
            {"--account", CLI_VALUE, &account}, {"--ttl", CLI_VALUE, &ttl},
            {"--uses", CLI_VALUE, &uses},       {"--region", CLI_VALUE, &region},
            {"--tag", CLI_REPEAT, &tags},       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        long long secs = 0, n = 0;
        json_t *answer;

        int rc = cli_parse(argc, argv, "agents enroll-token", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!account) {
                fprintf(stderr, "fleetpatch: agents enroll-token: --account is required\n");
                return FP_EXIT_USAGE;
        }
        if (ttl && !cli_parse_duration(ttl, &secs))
                return cli_bad_duration("agents enroll-token", "--ttl", ttl);
        if (uses && !cli_parse_int(uses, 1, 1000000000, &n)) {
                fprintf(stderr,
                        "fleetpatch: agents enroll-token: --uses '%s': expected a "
                        "positive number\n",
                        uses);
                return FP_EXIT_USAGE;
        }
        json_t *body = json_object(), *t = json_object();
        if (!body || !t || json_object_set_new(body, "tags", t) != 0) {
                json_decref(body);
                fprintf(stderr, "fleetpatch: out of memory\n");
                return FP_EXIT_INPUT;
        }
        for (size_t i = 0; i < tags.n; i++)
                if (!cli_tag_set(t, tags.v[i], "agents enroll-token")) {
                        json_decref(body);
                        return FP_EXIT_USAGE;
                }
        if (ttl)
                json_object_set_new(body, "ttl", json_integer(secs));
        if (uses)
                json_object_set_new(body, "uses", json_integer(n));
        if (region)
                json_object_set_new(body, "region", json_string(region));
        rc = cli_requestf(&r, "POST", body, &answer, "/v1/accounts/%s/enroll-tokens", account);
        json_decref(body);
        return rc == FP_EXIT_OK ? cli_print_secret(&r, answer, "enrollment token") : rc;
}

int cmd_agents(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"enroll-token", enroll_token}};
        return cli_dispatch(argc, argv, "agents", subs, 1, usage);
}
