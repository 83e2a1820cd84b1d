/*
 * be_cli: drive one package backend (apt, dnf, fake) from a test script and print what it
 * answered as one JSON object, so shell tests can assert on the reason and the plan.
 *
 *   be_cli BACKEND ROOT CACHE_DIR CMD [--allow-remove] [--allow-downgrade] [--remove NAME]
 *          [--file PATH] [--lock-wait N] [--timeout N] [NAME=VERSION[:ARCH]...]
 *
 * CMD is refresh|simulate|apply|recover|keep. Output on stdout:
 *   {"ok":bool,"reason":"...","message":"...","plan":[{action,name,arch,from,to}],"paths":[...]}
 * (paths only for keep: one entry per NAME=VERSION, null when no copy could be had). The
 * package manager's own output goes to stderr, one line each, prefixed with "| ".
 * Exit status: 0 when ok, 1 when the backend failed, 2 on a usage error.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/backend/backend.h"

#define BE_CLI_MAX_ARGS 4096

static void usage(void)
{
        fprintf(stderr, "usage: be_cli BACKEND ROOT CACHE_DIR refresh|simulate|apply|recover|keep"
                        " [--allow-remove] [--allow-downgrade] [--remove NAME] [--file PATH]"
                        " [--lock-wait N] [--timeout N] [NAME=VERSION[:ARCH]...]\n");
        exit(2);
}

static void log_line(void *ctx, const char *line)
{
        (void)ctx;
        fprintf(stderr, "| %s\n", line);
}

static long num_arg(const char *s)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (!*s || *end || v < 0)
                usage();
        return v;
}

/*
 * NAME=VERSION[:ARCH]. A version may itself hold ':' (the Debian epoch "1:2.0"), so the last
 * ':' starts an arch only when what follows looks like one: letters, digits and '_', with at
 * least one letter ("amd64", "all", "x86_64", "noarch"); an upstream version after an epoch
 * starts with a digit and holds '.', '~', '+' or '-' in practice ("1:2.0-1").
 */
static void parse_pair(char *s, struct be_pkg *p)
{
        char *eq = strchr(s, '=');
        if (!eq || eq == s || !eq[1])
                usage();
        *eq = '\0';
        p->name = s;
        p->version = eq + 1;
        p->arch = NULL;
        char *colon = strrchr(eq + 1, ':');
        if (!colon || colon == eq + 1 || !colon[1])
                return;
        bool letter = false;
        for (const char *c = colon + 1; *c; c++) {
                if ((*c >= 'a' && *c <= 'z') || *c == '_')
                        letter = true;
                else if (!(*c >= '0' && *c <= '9'))
                        return;
        }
        if (!letter)
                return;
        *colon = '\0';
        p->arch = colon + 1;
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

int main(int argc, char **argv)
{
        static struct be_pkg install[BE_CLI_MAX_ARGS], remove[BE_CLI_MAX_ARGS];
        static const char *files[BE_CLI_MAX_ARGS], *paths[BE_CLI_MAX_ARGS];
        struct be_request req = {.install = install, .remove = remove, .files = files};
        struct be_opts opts = {.lock_wait = 5, .timeout = 0, .log = log_line};
        struct be_plan plan = {0};
        struct backend b = {0};
        struct fp_diag diag;
        enum be_fail why = BE_FAIL_NONE;
        enum fp_err err;
        bool have_plan = false, have_paths = false, opened = false;

        if (argc < 5)
                usage();
        const char *name = argv[1];
        opts.root = argv[2];
        opts.cache_dir = argv[3];
        const char *cmd = argv[4];
        if (strcmp(cmd, "refresh") != 0 && strcmp(cmd, "simulate") != 0 &&
            strcmp(cmd, "apply") != 0 && strcmp(cmd, "recover") != 0 && strcmp(cmd, "keep") != 0)
                usage();
        for (int i = 5; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--allow-remove") == 0) {
                        req.allow_remove = true;
                } else if (strcmp(a, "--allow-downgrade") == 0) {
                        req.allow_downgrade = true;
                } else if (strcmp(a, "--remove") == 0 && i + 1 < argc &&
                           req.remove_count < BE_CLI_MAX_ARGS) {
                        remove[req.remove_count++] = (struct be_pkg){.name = argv[++i]};
                } else if (strcmp(a, "--file") == 0 && i + 1 < argc &&
                           req.file_count < BE_CLI_MAX_ARGS) {
                        files[req.file_count++] = argv[++i];
                } else if (strcmp(a, "--lock-wait") == 0 && i + 1 < argc) {
                        opts.lock_wait = num_arg(argv[++i]);
                } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
                        opts.timeout = num_arg(argv[++i]);
                } else if (a[0] != '-' && req.install_count < BE_CLI_MAX_ARGS) {
                        parse_pair(argv[i], &install[req.install_count++]);
                } else {
                        usage();
                }
        }

        fp_diag_clear(&diag);
        err = backend_open(strcmp(name, "auto") == 0 ? NULL : name, &opts, &b, &diag);
        if (err == FP_OK) {
                opened = true;
                if (strcmp(cmd, "refresh") == 0) {
                        err = b.ops->refresh(&b, &why, &diag);
                } else if (strcmp(cmd, "simulate") == 0) {
                        err = b.ops->simulate(&b, &req, &plan, &why, &diag);
                        have_plan =
                            err == FP_OK || why == BE_FAIL_REMOVALS || why == BE_FAIL_DOWNGRADES;
                } else if (strcmp(cmd, "apply") == 0) {
                        err = b.ops->apply(&b, &req, &plan, &why, &diag);
                        have_plan = err == FP_OK || why == BE_FAIL_REMOVALS ||
                                    why == BE_FAIL_DOWNGRADES || plan.count > 0;
                } else if (strcmp(cmd, "recover") == 0) {
                        err = b.ops->recover(&b, &why, &diag);
                } else {
                        err = b.ops->keep(&b, install, req.install_count, paths, &diag);
                        have_paths = err == FP_OK;
                }
        }
        if (err != FP_OK && why == BE_FAIL_NONE)
                why = BE_FAIL_OTHER;

        char msg[FP_DIAG_FILE_MAX + FP_DIAG_MSG_MAX + FP_DIAG_FIELD_MAX + 32] = "";
        if (err != FP_OK)
                fp_diag_format(&diag, msg, sizeof(msg));
        json_t *o = json_object();
        json_object_set_new(o, "ok", json_boolean(err == FP_OK));
        json_object_set_new(o, "reason", json_string(err == FP_OK ? "" : be_fail_name(why)));
        json_object_set_new(o, "message", json_string(msg));
        json_t *jplan = json_array();
        for (size_t i = 0; have_plan && i < plan.count; i++) {
                const struct be_change *c = &plan.changes[i];
                json_t *e = json_object();
                json_object_set_new(e, "action", json_string(be_action_name(c->action)));
                json_object_set_new(e, "name", str_or_null(c->name));
                json_object_set_new(e, "arch", str_or_null(c->arch));
                json_object_set_new(e, "from", str_or_null(c->from));
                json_object_set_new(e, "to", str_or_null(c->to));
                json_array_append_new(jplan, e);
        }
        json_object_set_new(o, "plan", jplan);
        json_t *jpaths = json_array();
        for (size_t i = 0; have_paths && i < req.install_count; i++)
                json_array_append_new(jpaths, str_or_null(paths[i]));
        json_object_set_new(o, "paths", jpaths);
        char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (text)
                printf("%s\n", text);
        free(text);
        json_decref(o);
        be_plan_release(&plan);
        if (opened)
                backend_close(&b);
        return err == FP_OK ? 0 : 1;
}
