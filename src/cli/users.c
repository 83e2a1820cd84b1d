/* fleetpatch users: users and their roles per account (list, create, grant, revoke). */
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void usage(FILE *f)
{
        fprintf(
            f, "usage: fleetpatch users ls [--json]\n"
               "       fleetpatch users create NAME [--password-file F] [--grant ACCOUNT=ROLE]...\n"
               "       fleetpatch users grant NAME ACCOUNT ROLE\n"
               "       fleetpatch users revoke NAME ACCOUNT\n"
               "\n"
               "Roles: viewer, operator, approver, admin; the account '*' means every account.\n"
               "Without --password-file the user logs in only with tokens made for it.\n"
               "The caller must be admin of the accounts it grants.\n");
}

/* "acme=admin; *=viewer" as the member "grants_text" of each user, for the table. */
static void grants_text(json_t *users)
{
        size_t i;
        json_t *u;

        json_array_foreach(users, i, u)
        {
                struct fp_buf b;
                size_t j;
                json_t *g;
                fp_buf_init(&b, 64 * 1024);
                json_array_foreach(json_object_get(u, "grants"), j, g)
                {
                        const char *acc = json_string_value(json_object_get(g, "account"));
                        const char *role = json_string_value(json_object_get(g, "role"));
                        fp_buf_addf(&b, "%s%s=%s", j ? "," : "", acc ? acc : "?",
                                    role ? role : "?");
                }
                json_object_set_new(u, "grants_text", json_string(fp_buf_str(&b)));
                fp_buf_release(&b);
        }
}

static int users_ls(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"NAME", "name", false},
            {"GRANTS", "grants_text", false},
            {"CREATED", "created", true},
        };
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        json_t *answer;

        int rc = cli_parse(argc, argv, "users ls", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if ((rc = cli_request(&r, "GET", "/v1/users", NULL, &answer)) != FP_EXIT_OK)
                return rc;
        if (!r.json)
                grants_text(cli_list_items(answer, "users"));
        return cli_show_list(&r, answer, "users", cols, sizeof(cols) / sizeof(cols[0]));
}

/* {"account": A, "role": R} from "A=R" (the account may be "*"). */
static json_t *grant(const char *spec)
{
        const char *eq = strrchr(spec, '=');
        if (!eq || eq == spec || !eq[1]) {
                fprintf(stderr, "fleetpatch: users create: --grant '%s': expected ACCOUNT=ROLE\n",
                        spec);
                return NULL;
        }
        return json_pack("{s:s%, s:s}", "account", spec, (size_t)(eq - spec), "role", eq + 1);
}

static int users_create(int argc, char **argv)
{
        const char *name = NULL, *pwfile = NULL;
        struct cli_list grants = {0};
        const struct cli_opt opts[] = {{"--password-file", CLI_VALUE, &pwfile},
                                       {"--grant", CLI_REPEAT, &grants},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        char pw[CLI_MAX_PASSWORD];
        json_t *answer;

        int rc = cli_parse(argc, argv, "users create", opts, &r, &name, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *body = json_pack("{s:s, s:[]}", "name", name, "grants");
        json_t *arr = json_object_get(body, "grants");
        if (!body) {
                fprintf(stderr, "fleetpatch: users create: the name is not UTF-8\n");
                return FP_EXIT_USAGE;
        }
        for (size_t i = 0; i < grants.n; i++) {
                json_t *g = grant(grants.v[i]);
                if (!g || json_array_append_new(arr, g) != 0) {
                        json_decref(body);
                        return FP_EXIT_USAGE;
                }
        }
        if (pwfile) {
                if (!cli_read_password(pwfile, "", pw, sizeof(pw))) {
                        json_decref(body);
                        return FP_EXIT_USAGE;
                }
                json_object_set_new(body, "password", json_string(pw));
                memset(pw, 0, sizeof(pw));
        }
        rc = cli_request(&r, "POST", "/v1/users", body, &answer);
        json_decref(body);
        if (rc == FP_EXIT_OK && !r.json) {
                printf("user %s created\n", name);
                json_decref(answer);
                return rc;
        }
        return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
}

static int users_grant(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *pos[3] = {NULL};
        struct cli_remote r = {0};

        int rc = cli_parse(argc, argv, "users grant", opts, &r, pos, 3, 3, usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *body = json_pack("{s:s, s:s}", "account", pos[1], "role", pos[2]);
        rc = cli_simple(&r, "PUT", body, "/v1/users/%s/grants", pos[0]);
        json_decref(body);
        if (rc == FP_EXIT_OK && !r.json)
                printf("%s is %s on %s\n", pos[0], pos[2], pos[1]);
        return rc;
}

static int users_revoke(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *pos[2] = {NULL};
        struct cli_remote r = {0};

        int rc = cli_parse(argc, argv, "users revoke", opts, &r, pos, 2, 2, usage);
        if (rc != CLI_GO_ON)
                return rc;
        rc = cli_simple(&r, "DELETE", NULL, "/v1/users/%s/grants/%s", pos[0], pos[1]);
        if (rc == FP_EXIT_OK && !r.json)
                printf("%s has no role on %s any more\n", pos[0], pos[1]);
        return rc;
}

int cmd_users(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"ls", users_ls},
                                              {"create", users_create},
                                              {"grant", users_grant},
                                              {"revoke", users_revoke}};
        return cli_dispatch(argc, argv, "users", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
