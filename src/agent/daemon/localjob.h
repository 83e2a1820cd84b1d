/*
 * `fleetpatch-agent run-job FILE|-`: one job given as JSON ({"id", "type", "params"}) run on
 * this host without a server (operators, integration tests). The journal, hooks and reboot
 * policy are the daemon's; the log goes to stderr and the report to the caller.
 */
#ifndef FP_AGENT_LOCALJOB_H
#define FP_AGENT_LOCALJOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/daemon/config.h"
#include "fleetpatch/error.h"

/* Run job (an object) and set *report ({"status", "detail", "result"}). log may be NULL.
 * FP_EPARSE with diag for a job without a valid id or type. */
enum fp_err localjob_run(const struct agent_config *cfg, const json_t *job, FILE *log,
                         json_t **report, struct fp_diag *diag);

/* {"total_ms", "package_manager_ms", "overhead_ms"} (reals, milliseconds): overhead is the
 * total less the package manager's (and hooks') own time; pm_ns above total_ns is cut. */
json_t *localjob_timing(uint64_t total_ns, uint64_t pm_ns);

/* The run-job command: read path ("-": stdin), run, print the report on stdout; with timing,
 * a "timing" member (localjob_timing) beside status, detail and result. Exit code 0 when the
 * job succeeded, 1 when it failed, 2 for a malformed job. */
int localjob_main(const struct agent_config *cfg, const char *path, bool timing);

#endif
