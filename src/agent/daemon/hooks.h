/*
 * Hooks (docs/jobs.md "Hooks"): executables in hooks_dir that the job runner calls around a
 * transaction (pre-patch, post-patch, health-check) or through a `hook` job. A hook runs only
 * when it and its directory are owned by root and writable by nobody else, because the agent
 * runs it as root: anyone who could change it would own the host.
 */
#ifndef FP_AGENT_HOOKS_H
#define FP_AGENT_HOOKS_H

#include <stdbool.h>

#include "agent/backend/backend.h"
#include "agent/daemon/config.h"
#include "fleetpatch/error.h"

#define HOOKS_DEFAULT_DIR "/etc/fleetpatch/hooks.d"
#define HOOKS_DEFAULT_TIMEOUT 600

/*
 * Run hook `name` of cfg->hooks_dir with FLEETPATCH_JOB_ID and FLEETPATCH_JOB_TYPE set (either
 * may be NULL: not set), every output line to log, killed after cfg->hook_timeout seconds.
 * FP_OK when it exited 0; FP_ENOENT when it does not exist; FP_EINVAL for a bad name;
 * FP_EACCES when it (or hooks_dir) is not owned by root or is group/other-writable, or it is
 * not a regular executable file; FP_EEXEC when it failed, diag says the exit status or that
 * it timed out (and *status gets it when status is not NULL: 128 + signal when killed).
 */
enum fp_err hooks_run(const struct agent_config *cfg, const char *name, const char *job_id,
                      const char *job_type, be_log_fn log, void *log_ctx, struct fp_diag *d);

/* Same, with the exit status returned (status may be NULL). */
enum fp_err hooks_run_status(const struct agent_config *cfg, const char *name, const char *job_id,
                             const char *job_type, be_log_fn log, void *log_ctx, int *status,
                             struct fp_diag *d);

/* Whether hook `name` exists in cfg->hooks_dir (whatever its permissions). */
bool hooks_exists(const struct agent_config *cfg, const char *name);

#endif
