/*
 * fleetpatch notify (docs/notifications.md): subscriptions (webhook or email, per user or
 * group), groups, the deliveries with their dead-letter list, requeue and a test send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/limits.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch notify subscribe [--account A] --event TYPE [--event TYPE]...\n"
                "           (--webhook URL --secret-file FILE | --email ADDR [--email ADDR]...)\n"
                "           [--user U | --group G] [--subject TEMPLATE] [--body TEMPLATE] [--json]\n"
                "       fleetpatch notify ls [--account A] [--json]\n"
                "       fleetpatch notify show|rm|test [--account A] ID [--json]\n"
                "       fleetpatch notify groups [ls] [--account A] [--json]\n"
                "       fleetpatch notify groups set [--account A] NAME [--member USER]...\n"
                "           [--email ADDR]... [--json]\n"
                "       fleetpatch notify groups rm [--account A] NAME [--json]\n"
                "       fleetpatch notify deliveries [--account A] [--dead | --state S] "
                "[--limit N] [--json]\n"
                "       fleetpatch notify retry [--account A] ID [--json]\n"
                "\n"
                "The account defaults to 'default'. Event types: exposure.critical exposure.kev\n"
                "change.approval window.starting rollout.halted sla.breach host.catchup\n"
                "maintenance.planned report.ready tracking.opened tracking.closed.\n"
                "A webhook's secret (16..256 bytes, the HMAC-SHA256 key) is read from FILE and\n"
                "never shown again. Templates use {{type}} {{account}} {{key}} {{subject}}\n"
                "{{created}} {{event}} {{data.NAME}}. Subscribing another user or a group and\n"
                "the groups commands need the admin role; deliveries --dead is the dead-letter\n"
                "list, retry requeues a dead delivery, test queues a test notification.\n");
}

/* The secret file's first line. */
static bool read_secret(const char *path, char *out, size_t outsz)
{
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "fleetpatch: notify subscribe: --secret-file %s: cannot read\n",
                        path);
                return false;
        }
        size_t n = fread(out, 1, outsz - 1, f);
        fclose(f);
        out[n] = 0;
        out[strcspn(out, "\r\n")] = 0;
        if (!out[0]) {
                fprintf(stderr, "fleetpatch: notify subscribe: --secret-file %s is empty\n", path);
                return false;
        }
        return true;
}

static json_t *strings(const struct cli_list *l)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < l->n; i++)
                json_array_append_new(a, json_string(l->v[i]));
        return a;
}

static int subscribe(int argc, char **argv)
{
        const char *account = "default", *webhook = NULL, *secret_file = NULL, *user = NULL;
        const char *group = NULL, *subject = NULL, *body = NULL;
        struct cli_list events = {0}, emails = {0};
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account},
                                       {"--event", CLI_REPEAT, &events},
                                       {"--webhook", CLI_VALUE, &webhook},
                                       {"--secret-file", CLI_VALUE, &secret_file},
                                       {"--email", CLI_REPEAT, &emails},
                                       {"--user", CLI_VALUE, &user},
                                       {"--group", CLI_VALUE, &group},
                                       {"--subject", CLI_VALUE, &subject},
                                       {"--body", CLI_VALUE, &body},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "notify subscribe", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!events.n || (!webhook == !emails.n) || (webhook && !secret_file) ||
            (!webhook && secret_file)) {
                fprintf(stderr, "fleetpatch: notify subscribe: give --event, and --webhook URL "
                                "with --secret-file FILE or --email ADDR\n");
                return FP_EXIT_USAGE;
        }
        char secret[FP_MAX_NOTIFY_SECRET + 2];
        if (webhook && !read_secret(secret_file, secret, sizeof(secret)))
                return FP_EXIT_USAGE;
        json_t *doc = json_pack("{s:o, s:s}", "events", strings(&events), "channel",
                                webhook ? "webhook" : "email");
        if (webhook) {
                json_object_set_new(doc, "url", json_string(webhook));
                json_object_set_new(doc, "secret", json_string(secret));
        } else {
                json_object_set_new(doc, "to", strings(&emails));
        }
        if (user)
                json_object_set_new(doc, "user", json_string(user));
        if (group)
                json_object_set_new(doc, "group", json_string(group));
        if (subject)
                json_object_set_new(doc, "subject", json_string(subject));
        if (body)
                json_object_set_new(doc, "body", json_string(body));
        json_t *answer = NULL;
        rc = cli_requestf(&r, "POST", doc, &answer, "/v1/accounts/%s/subscriptions", account);
        json_decref(doc);
        explicit_bzero(secret, sizeof(secret)); /* memset of a dead buffer may be removed */
        if (rc != FP_EXIT_OK)
                return rc;
        if (r.json)
                return cli_show_record(&r, answer);
        printf("%s\n", json_string_value(json_object_get(answer, "id")));
        json_decref(answer);
        return FP_EXIT_OK;
}

static int list(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"ID", "id", false},        {"OWNER", "owner", false}, {"USER", "user", false},
            {"GROUP", "group", false},  {"CHANNEL", "channel", false},
            {"TARGET", "url", false},   {"TO", "to", false},       {"EVENTS", "events", false},
        };
        const char *account = "default";
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "notify ls", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *answer = NULL;
        rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/accounts/%s/subscriptions", account);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, "subscriptions", cols, sizeof(cols) / sizeof(cols[0]));
}

/* show, rm, test: one subscription by id. */
static int one(int argc, char **argv)
{
        const char *account = "default", *id = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        char cmd[32];
        snprintf(cmd, sizeof(cmd), "notify %s", argv[0]);
        int rc = cli_parse(argc, argv, cmd, opts, &r, &id, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        const char *method = !strcmp(argv[0], "rm") ? "DELETE" : !strcmp(argv[0], "test") ? "POST" : "GET";
        const char *fmt = !strcmp(argv[0], "test") ? "/v1/accounts/%s/subscriptions/%s/test"
                                                   : "/v1/accounts/%s/subscriptions/%s";
        json_t *answer = NULL;
        rc = cli_requestf(&r, method, NULL, &answer, fmt, account, id);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_record(&r, answer);
}

static int groups(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"NAME", "name", false},
            {"MEMBERS", "members", false},
            {"EMAILS", "emails", false},
        };
        const char *what = argc > 1 && argv[1][0] != '-' ? argv[1] : "ls";
        if (argc > 1 && argv[1][0] != '-') {
                argc--;
                argv++;
        }
        const char *account = "default", *name = NULL;
        struct cli_list members = {0}, emails = {0};
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account},
                                       {"--member", CLI_REPEAT, &members},
                                       {"--email", CLI_REPEAT, &emails},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        bool ls = !strcmp(what, "ls");
        if (!ls && strcmp(what, "set") && strcmp(what, "rm")) {
                fprintf(stderr, "fleetpatch: notify groups: unknown subcommand '%s'\n", what);
                usage(stderr);
                return FP_EXIT_USAGE;
        }
        int rc = cli_parse(argc, argv, "notify groups", opts, &r, &name, ls ? 0 : 1, ls ? 0 : 1,
                           usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *answer = NULL;
        if (ls) {
                rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/accounts/%s/groups", account);
                return rc != FP_EXIT_OK ? rc
                                        : cli_show_list(&r, answer, "groups", cols,
                                                        sizeof(cols) / sizeof(cols[0]));
        }
        if (!strcmp(what, "rm")) {
                rc = cli_requestf(&r, "DELETE", NULL, &answer, "/v1/accounts/%s/groups/%s",
                                  account, name);
                return rc != FP_EXIT_OK ? rc : cli_show_record(&r, answer);
        }
        /* set: replace the group, or make it when it does not exist */
        json_t *doc = json_pack("{s:o, s:o}", "members", strings(&members), "emails",
                                strings(&emails));
        json_t *have = NULL;
        rc = cli_requestf(&r, "GET", NULL, &have, "/v1/accounts/%s/groups", account);
        bool exists = false;
        size_t i;
        const json_t *g;
        json_array_foreach(json_object_get(have, "groups"), i, g)
        {
                const char *gn = json_string_value(json_object_get(g, "name"));
                exists |= gn && !strcmp(gn, name);
        }
        json_decref(have);
        if (rc == FP_EXIT_OK && exists) {
                rc = cli_requestf(&r, "PUT", doc, &answer, "/v1/accounts/%s/groups/%s", account,
                                  name);
        } else if (rc == FP_EXIT_OK) {
                json_object_set_new(doc, "name", json_string(name));
                rc = cli_requestf(&r, "POST", doc, &answer, "/v1/accounts/%s/groups", account);
        }
        json_decref(doc);
        return rc != FP_EXIT_OK ? rc : cli_show_record(&r, answer);
}

static int deliveries(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"ID", "id", false},           {"STATE", "state", false},
            {"EVENT", "event.type", false}, {"SUBSCRIPTION", "subscription", false},
            {"ATTEMPTS", "attempts", false}, {"NEXT", "next_at", true},
            {"STATUS", "status", false},   {"ERROR", "error", false},
        };
        const char *account = "default", *state = NULL, *limit = NULL;
        bool dead = false;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account},
                                       {"--state", CLI_VALUE, &state},
                                       {"--dead", CLI_FLAG, &dead},
                                       {"--limit", CLI_VALUE, &limit},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "notify deliveries", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (dead && state) {
                fprintf(stderr, "fleetpatch: notify deliveries: give --dead or --state, not both\n");
                return FP_EXIT_USAGE;
        }
        struct fp_buf path;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        enum fp_err err = cli_pathf(&path, "/v1/accounts/%s/deliveries", account);
        if (err == FP_OK && (dead || state))
                err = cli_query_add(&path, "state", dead ? "dead" : state);
        if (err == FP_OK && limit)
                err = cli_query_add(&path, "limit", limit);
        json_t *answer = NULL;
        if (err != FP_OK) {
                fprintf(stderr, "fleetpatch: notify deliveries: bad account or argument\n");
                rc = FP_EXIT_USAGE;
        } else {
                rc = cli_request(&r, "GET", fp_buf_str(&path), NULL, &answer);
        }
        fp_buf_release(&path);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, "deliveries", cols, sizeof(cols) / sizeof(cols[0]));
}

static int retry(int argc, char **argv)
{
        const char *account = "default", *id = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "notify retry", opts, &r, &id, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *answer = NULL;
        rc = cli_requestf(&r, "POST", NULL, &answer, "/v1/accounts/%s/deliveries/%s/retry",
                          account, id);
        return rc != FP_EXIT_OK ? rc : cli_show_record(&r, answer);
}

int cmd_notify(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"subscribe", subscribe}, {"ls", list},          {"show", one},
            {"rm", one},              {"test", one},          {"groups", groups},
            {"deliveries", deliveries}, {"retry", retry},
        };
        return cli_dispatch(argc, argv, "notify", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
