/* Subcommands of the fleetpatch CLI; each takes argv after the subcommand name's position. */
#ifndef FP_CLI_COMMANDS_H
#define FP_CLI_COMMANDS_H

/*
 * Exit codes shared by all commands (documented in docs/cli.md):
 * 0 success / true, 1 false (vercmp), 2 usage error or bad argument, 3 bad or unreadable input,
 * 4 findings at or above --fail-on (vulns), 5 a feed failed to import (feeds import).
 */
enum {
        FP_EXIT_OK = 0,
        FP_EXIT_FALSE = 1,
        FP_EXIT_USAGE = 2,
        FP_EXIT_INPUT = 3,
        FP_EXIT_FINDINGS = 4,
        FP_EXIT_FEED = 5,
};

int cmd_vercmp(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_vulns(int argc, char **argv);
int cmd_feeds(int argc, char **argv);
int cmd_exceptions(int argc, char **argv);
int cmd_sbom(int argc, char **argv);

#endif
