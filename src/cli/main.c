/* fleetpatch: the command-line entry point; dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

#ifndef FP_VERSION_STRING
#define FP_VERSION_STRING "0.1.0"
#endif

struct command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *help;
};

static const struct command commands[] = {
#ifdef FP_HAVE_CMD_SCAN
    {"scan", cmd_scan, "list the updates this host (or --root DIR) is missing"},
#endif
#ifdef FP_HAVE_CMD_VULNS
    {"vulns", cmd_vulns, "vulnerabilities of this host (or --root DIR), risk first"},
#endif
#ifdef FP_HAVE_CMD_FEEDS
    {"feeds", cmd_feeds, "import vulnerability feeds, show their status"},
#endif
#ifdef FP_HAVE_CMD_EXCEPTIONS
    {"exceptions", cmd_exceptions, "accept or dismiss findings with owner, reason, expiry"},
#endif
#ifdef FP_HAVE_CMD_SBOM
    {"sbom", cmd_sbom, "CycloneDX 1.5 SBOM of this host (or --root DIR) with findings"},
#endif
#ifdef FP_HAVE_CMD_LOGIN
    {"login", cmd_login, "log in to a fleetpatchd server (saves URL, CA and token)"},
    {"logout", cmd_logout, "forget the saved credential (revoking a password session)"},
#endif
#ifdef FP_HAVE_CMD_WHOAMI
    {"whoami", cmd_whoami, "the user and grants of the credential in use"},
#endif
#ifdef FP_HAVE_CMD_TOKENS
    {"tokens", cmd_tokens, "your API tokens: ls | create --name N | revoke ID"},
#endif
#ifdef FP_HAVE_CMD_HOSTS
    {"hosts", cmd_hosts,
     "the server's hosts: ls | show | tag | rm | jobs | scan | install | upgrade | rollback"
     " | reboot | hook"},
#endif
#ifdef FP_HAVE_CMD_JOBS
    {"jobs", cmd_jobs, "jobs: show ID [--log]"},
#endif
#ifdef FP_HAVE_CMD_UPDATES
    {"updates", cmd_updates, "pending updates of an enrolled host"},
#endif
#ifdef FP_HAVE_CMD_SUMMARY
    {"summary", cmd_summary, "the fleet at a glance (hosts, stale, findings, KEV)"},
#endif
#ifdef FP_HAVE_CMD_AGENTS
    {"agents", cmd_agents, "enroll-token: a token with which agents join an account"},
#endif
#ifdef FP_HAVE_CMD_ACCOUNTS
    {"accounts", cmd_accounts, "accounts: ls | show | create"},
#endif
#ifdef FP_HAVE_CMD_USERS
    {"users", cmd_users, "users and roles: ls | create | grant | revoke"},
#endif
#ifdef FP_HAVE_CMD_BASELINES
    {"baseline", cmd_baseline, "baselines: create | update | ls | show | rm | explain HOST PKG"},
#endif
#ifdef FP_HAVE_CMD_WINDOWS
    {"windows", cmd_windows, "maintenance windows: create | update | ls | show | rm | next"},
#endif
#ifdef FP_HAVE_CMD_CHANGES
    {"cr", cmd_cr, "change requests: create | ls | show | submit | approve | reject | review"},
    {"rollout", cmd_rollout, "rollouts: plan | show | pause | resume | cancel CR"},
#endif
#ifdef FP_HAVE_CMD_TRACKING
    {"tracking", cmd_tracking, "tracking records: ls | show | assign | comment | accept-risk"},
    {"assets", cmd_assets, "provider-managed assets: add ACCOUNT ... | ls ACCOUNT"},
    {"evidence", cmd_evidence, "evidence bundles: get CR -o FILE | verify FILE --key PUB"},
#endif
#ifdef FP_HAVE_CMD_COMPLY
    {"compliance", cmd_compliance, "compliance now or on a past date: [--at DATE] [--by DIM]"},
    {"report", cmd_report, "reports: compliance --format csv|json|html | schedules ..."},
#endif
#ifdef FP_HAVE_CMD_AUDIT
    {"audit", cmd_audit, "audit log: ls | verify [--file EXPORT --key PUB] | export | key"},
#endif
#ifdef FP_HAVE_CMD_NOTIFY
    {"notify", cmd_notify, "notifications: subscribe | ls | rm | test | groups | deliveries | retry"},
#endif
#ifdef FP_HAVE_CMD_VERCMP
    {"vercmp", cmd_vercmp, "compare two versions: vercmp [--scheme deb|rpm|apk] A OP B"},
#endif
};

static void usage(FILE *out)
{
        fprintf(out, "usage: fleetpatch COMMAND [ARGS]\n\ncommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].help);
        fprintf(out, "\nRun 'fleetpatch COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return FP_EXIT_USAGE;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
                usage(stdout);
                return FP_EXIT_OK;
        }
        if (!strcmp(argv[1], "--version")) {
                printf("fleetpatch %s\n", FP_VERSION_STRING);
                return FP_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "fleetpatch: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return FP_EXIT_USAGE;
}
