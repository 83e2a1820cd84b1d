/*
 * fleetpatch login / logout: check a credential against the server (or trade a user's password
 * for a 12 h token) and keep it, with the server URL and CA, in the CLI's config file.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/remote.h"

static void login_usage(FILE *f)
{
        fprintf(
            f,
            "usage: fleetpatch login --server URL [--cacert FILE]\n"
            "                        (--token TOKEN | --user NAME [--password-file FILE])\n"
            "\n"
            "  --server URL         https://HOST:PORT of fleetpatchd ($FLEETPATCH_SERVER)\n"
            "  --cacert FILE        CA certificate(s) the server's certificate chains to\n"
            "                       ($FLEETPATCH_CACERT; default: the system's CAs)\n"
            "  --token TOKEN        an API token (fpu_...), e.g. STATE/admin.token\n"
            "                       ($FLEETPATCH_TOKEN)\n"
            "  --user NAME          log in with a password: from --password-file (first\n"
            "                       line), else $FLEETPATCH_PASSWORD, else stdin; the server\n"
            "                       issues a 12 h token\n"
            "  --timeout DUR        give up after DUR (default 60s)\n"
            "  --json               print the server's whoami answer as JSON\n"
            "\n"
            "The settings are written to $FLEETPATCH_CLI_CONFIG, else\n"
            "$XDG_CONFIG_HOME/fleetpatch/cli.json (~/.config/fleetpatch/cli.json), mode 0600.\n");
}

static void logout_usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch logout\n\n"
                   "Forget the saved server and token; a token made by 'login --user' is also\n"
                   "revoked on the server.\n");
}

/* Flag, else the environment, else the saved config's value (for logging in again). */
static const char *setting(const char *flag, const char *env, const char *saved)
{
        const char *e = getenv(env);
        return flag ? flag : e && *e ? e : *saved ? saved : NULL;
}

static int set(char *dst, size_t dstsz, const char *v, const char *what)
{
        int n = snprintf(dst, dstsz, "%s", v ? v : "");
        if (n < 0 || (size_t)n >= dstsz) {
                fprintf(stderr, "fleetpatch: login: %s is too long\n", what);
                return FP_EXIT_USAGE;
        }
        return FP_EXIT_OK;
}

/* POST /v1/auth/login: the password for a token, into c->token. */
static int password_login(struct cli_conn *c, const char *user, const char *pwfile)
{
        char pw[CLI_MAX_PASSWORD], prompt[128];
        json_t *answer = NULL;
        int rc;

        snprintf(prompt, sizeof(prompt), "password for %.63s: ", user);
        if (!cli_read_password(pwfile, prompt, pw, sizeof(pw)))
                return FP_EXIT_USAGE;
        json_t *body = json_pack("{s:s, s:s}", "user", user, "password", pw);
        memset(pw, 0, sizeof(pw));
        if (!body) {
                fprintf(stderr, "fleetpatch: login: the user name or password is not UTF-8\n");
                return FP_EXIT_USAGE;
        }
        c->token[0] = '\0';
        rc = cli_call(c, "POST", "/v1/auth/login", body, &answer);
        json_decref(body);
        if (rc == FP_EXIT_OK) {
                const char *tok = json_string_value(json_object_get(answer, "token"));
                if (!tok) {
                        fprintf(stderr, "fleetpatch: login: the answer has no token\n");
                        rc = FP_EXIT_SERVER;
                } else {
                        rc = set(c->token, sizeof(c->token), tok, "the token");
                        c->session = true;
                }
        }
        json_decref(answer);
        return rc;
}

int cmd_login(int argc, char **argv)
{
        struct cli_remote r = {0};
        const char *user = NULL, *pwfile = NULL;
        const struct cli_opt opts[] = {{"--user", CLI_VALUE, &user},
                                       {"--password-file", CLI_VALUE, &pwfile},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_conn c = {0}, saved = {0};
        char path[CLI_MAX_PATH], ca[PATH_MAX];
        struct fp_diag diag;
        json_t *who = NULL;

        int rc = cli_parse(argc, argv, "login", opts, &r, NULL, 0, 0, login_usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!cli_config_path(path, sizeof(path))) {
                fprintf(stderr, "fleetpatch: login: no config file path: set HOME or "
                                "FLEETPATCH_CLI_CONFIG\n");
                return FP_EXIT_USAGE;
        }
        fp_diag_clear(&diag);
        if (cli_config_load(path, &saved, &diag) != FP_OK)
                memset(&saved, 0, sizeof(saved));
        const char *server = setting(r.server, "FLEETPATCH_SERVER", saved.server);
        const char *cacert = setting(r.cacert, "FLEETPATCH_CACERT",
                                     server && !strcmp(server, saved.server) ? saved.cacert : "");
        const char *token = user ? NULL : setting(r.token, "FLEETPATCH_TOKEN", "");
        if (!server || (!user && !token) || (user && r.token)) {
                fprintf(stderr, "fleetpatch: login: give --server and one of --token or --user\n");
                login_usage(stderr);
                return FP_EXIT_USAGE;
        }
        if (pwfile && !user) {
                fprintf(stderr, "fleetpatch: login: --password-file goes with --user\n");
                return FP_EXIT_USAGE;
        }
        /* Saved absolute: later commands run from other directories. */
        if (cacert && !realpath(cacert, ca)) {
                fprintf(stderr, "fleetpatch: login: %s: %s\n", cacert, strerror(errno));
                return FP_EXIT_INPUT;
        }
        if ((rc = set(c.server, sizeof(c.server), server, "the server URL")) != FP_EXIT_OK ||
            (rc = set(c.cacert, sizeof(c.cacert), cacert ? ca : NULL, "the CA path")) !=
                FP_EXIT_OK ||
            (rc = set(c.token, sizeof(c.token), token, "the token")) != FP_EXIT_OK)
                return rc;
        c.timeout_s = r.timeout_s > 0 ? r.timeout_s : CLI_DEFAULT_TIMEOUT_S;
        if (user && (rc = password_login(&c, user, pwfile)) != FP_EXIT_OK)
                return rc;
        if ((rc = cli_call(&c, "GET", "/v1/whoami", NULL, &who)) != FP_EXIT_OK)
                goto out;
        enum fp_err err = cli_config_save(path, &c, &diag);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                rc = FP_EXIT_INPUT;
                goto out;
        }
        if (r.json) {
                rc = cli_print_json(who);
        } else {
                const char *name = json_string_value(json_object_get(who, "user"));
                printf("logged in to %s as %s (settings in %s)\n", c.server, name ? name : "?",
                       path);
        }
out:
        memset(c.token, 0, sizeof(c.token));
        json_decref(who);
        return rc;
}

int cmd_logout(int argc, char **argv)
{
        struct cli_remote r = {0};
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        struct cli_conn c = {0};
        char path[CLI_MAX_PATH], id[17];
        struct fp_diag diag;

        int rc = cli_parse(argc, argv, "logout", opts, &r, NULL, 0, 0, logout_usage);
        if (rc != CLI_GO_ON)
                return rc;
        fp_diag_clear(&diag);
        enum fp_err err =
            cli_config_path(path, sizeof(path)) ? cli_config_load(path, &c, &diag) : FP_ENOENT;
        if (err == FP_ENOENT) {
                printf("not logged in\n");
                return FP_EXIT_OK;
        }
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                return FP_EXIT_INPUT;
        }
        /* fpu_<16 hex id>_<secret>: the id names the token in DELETE /v1/tokens/{id}. */
        const char *us = strchr(c.token, '_');
        if (c.session && us && strlen(us) > 17 && us[17] == '_') {
                struct fp_buf p;
                json_t *answer = NULL;
                memcpy(id, us + 1, 16);
                id[16] = '\0';
                fp_buf_init(&p, CLI_MAX_REQUEST_PATH);
                c.timeout_s = r.timeout_s > 0 ? r.timeout_s : CLI_DEFAULT_TIMEOUT_S;
                if (cli_pathf(&p, "/v1/tokens/%s", id) != FP_OK ||
                    cli_call(&c, "DELETE", fp_buf_str(&p), NULL, &answer) != FP_EXIT_OK)
                        fprintf(stderr, "fleetpatch: warning: the session token was not revoked "
                                        "on the server (it expires by itself)\n");
                json_decref(answer);
                fp_buf_release(&p);
        }
        memset(c.token, 0, sizeof(c.token));
        if (unlink(path) != 0) {
                fprintf(stderr, "fleetpatch: %s: %s\n", path, strerror(errno));
                return FP_EXIT_INPUT;
        }
        printf("logged out of %s\n", c.server);
        return FP_EXIT_OK;
}
