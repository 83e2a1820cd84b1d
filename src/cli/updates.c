/*
 * fleetpatch updates HOST_ID and vulns --host HOST_ID: what the server knows of one host, its
 * pending updates (as the host's agent computed them) and its findings, risk first.
 */
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void updates_usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch updates HOST_ID [--security-only] [--json]\n"
                   "\n"
                   "  --security-only   only updates from a security origin\n");
}

static void vulns_usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch vulns --host HOST_ID [--json]\n"
                "       (the server's findings of an enrolled host; without a host id, or with\n"
                "       local options, 'vulns' assesses this machine: fleetpatch vulns --help)\n");
}

/* Keep only the items whose "security" is true, in the answer's list itself. */
static void security_only(json_t *answer)
{
        json_t *items = cli_list_items(answer, "updates");
        for (size_t i = json_array_size(items); i-- > 0;)
                if (!json_is_true(json_object_get(json_array_get(items, i), "security")))
                        json_array_remove(items, i);
}

int cmd_updates(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"PACKAGE", "name", false},        {"ARCH", "arch", false},
            {"INSTALLED", "installed", false}, {"CANDIDATE", "candidate", false},
            {"ORIGIN", "origin", false},       {"SECURITY", "security", false},
        };
        bool sec = false;
        const struct cli_opt opts[] = {{"--security-only", CLI_FLAG, &sec}, {NULL, CLI_FLAG, NULL}};
        const char *id = NULL;
        struct cli_remote r = {0};
        json_t *answer;

        int rc = cli_parse(argc, argv, "updates", opts, &r, &id, 1, 1, updates_usage);
        if (rc != CLI_GO_ON)
                return rc;
        if ((rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/hosts/%s/updates", id)) != FP_EXIT_OK)
                return rc;
        if (sec)
                security_only(answer);
        return cli_show_list(&r, answer, "updates", cols, sizeof(cols) / sizeof(cols[0]));
}

int cli_remote_vulns(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"SCORE", "score", false},         {"SEVERITY", "severity", false},
            {"VULN", "vuln", false},           {"PACKAGE", "package", false},
            {"INSTALLED", "installed", false}, {"FIXED", "fixed", false},
            {"STATUS", "status", false},       {"KEV", "kev", false},
        };
        const char *id = NULL;
        const struct cli_opt opts[] = {{"--host", CLI_VALUE, &id}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        json_t *answer;

        int rc = cli_parse(argc, argv, "vulns", opts, &r, NULL, 0, 0, vulns_usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!id) {
                fprintf(stderr,
                        "fleetpatch: vulns: --server/--token/--cacert need --host HOST_ID\n");
                return FP_EXIT_USAGE;
        }
        if ((rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/hosts/%s/vulns", id)) != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, "findings", cols, sizeof(cols) / sizeof(cols[0]));
}

/* The server's host ids: 16 lowercase hex characters. */
static bool host_id(const char *s)
{
        return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

bool cli_vulns_is_remote(int argc, char **argv)
{
        bool conn = false, other = false;
        const char *host = NULL;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                bool value = i + 1 < argc;
                if (!strcmp(a, "--server") || !strcmp(a, "--token") || !strcmp(a, "--cacert") ||
                    !strcmp(a, "--timeout")) {
                        conn = true;
                        i += value;
                } else if (!strcmp(a, "--host") && value) {
                        host = argv[++i];
                } else if (strcmp(a, "--json") != 0) {
                        other = true;
                }
        }
        return conn || (host && host_id(host) && !other);
}
