/* Subcommands of the fleetpatch CLI; each takes argv after the subcommand name's position. */
#ifndef FP_CLI_COMMANDS_H
#define FP_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Exit codes shared by all commands (documented in docs/cli.md):
 * 0 success / true, 1 false (vercmp), 2 usage error or bad argument, 3 bad or unreadable input,
 * 4 findings at or above --fail-on (vulns), 5 a feed failed to import (feeds import),
 * 6 the server answered with an error, 7 the server could not be reached (connection, TLS),
 * 8 not logged in or the credential was rejected (401).
 */
enum {
        FP_EXIT_OK = 0,
        FP_EXIT_FALSE = 1,
        FP_EXIT_USAGE = 2,
        FP_EXIT_INPUT = 3,
        FP_EXIT_FINDINGS = 4,
        FP_EXIT_FEED = 5,
        FP_EXIT_SERVER = 6,
        FP_EXIT_UNREACHABLE = 7,
        FP_EXIT_AUTH = 8,
};

int cmd_vercmp(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_vulns(int argc, char **argv);
int cmd_feeds(int argc, char **argv);
int cmd_exceptions(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
/* The server-facing commands (src/cli/client.h). */
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_tokens(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
/* jobs.c: fleetpatch jobs, and the host subcommands that queue or list jobs. */
int cmd_jobs(int argc, char **argv);
int cli_hosts_jobs(int argc, char **argv);
int cli_hosts_scan(int argc, char **argv);
int cli_hosts_install(int argc, char **argv);
int cli_hosts_upgrade(int argc, char **argv);
int cli_hosts_rollback(int argc, char **argv);
int cli_hosts_reboot(int argc, char **argv);
int cli_hosts_hook(int argc, char **argv);
int cmd_updates(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_agents(int argc, char **argv);
int cmd_accounts(int argc, char **argv);
int cmd_users(int argc, char **argv);
/* Orchestration (docs/orchestration.md): baselines.c, windows.c, changes.c (cr, rollout). */
int cmd_baseline(int argc, char **argv);
int cmd_windows(int argc, char **argv);
int cmd_compliance(int argc, char **argv); /* comply.c */
int cmd_report(int argc, char **argv);
int cmd_cr(int argc, char **argv);
int cmd_rollout(int argc, char **argv);
/* The audit log (docs/audit.md): ls, verify (server or --file offline), export, key. */
int cmd_audit(int argc, char **argv);
/* Notifications (notify.c; docs/notifications.md). */
int cmd_notify(int argc, char **argv);
/* Tracking records, assets, evidence bundles (tracking.c; docs/tracking.md). */
int cmd_tracking(int argc, char **argv);
int cmd_assets(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
/* An account's documents, kind "baselines" or "windows": create|update|ls|show|rm with argv
 * starting at the subcommand's name (baselines.c). */
int cli_doc_cmd(int argc, char **argv, const char *kind, void (*usage)(FILE *));
/* A JSON object from FILE, or stdin for "-"; NULL after a message (baselines.c). */
struct json_t *cli_read_json_arg(const char *file, const char *cmd);
/* vulns --host HOST_ID: the server's findings of one host (src/cli/updates.c). Remote when a
 * connection option is given, or --host names a host id (16 hex) with only --json besides;
 * otherwise vulns assesses this machine (--host then names it for exceptions). */
bool cli_vulns_is_remote(int argc, char **argv);
int cli_remote_vulns(int argc, char **argv);

#endif
