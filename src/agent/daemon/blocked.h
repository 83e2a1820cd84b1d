/*
 * Blocked dependencies (docs/jobs.md "Simulate and permissions"): a baseline's rejected
 * patterns travel with install and upgrade-approved jobs as params "blocked", and the agent
 * fails the job (reason "blocked") before anything changes when the simulated plan would
 * install or upgrade a package they match that the job did not ask for. A pure function over
 * the plan, so it is unit-tested on its own.
 */
#ifndef FP_AGENT_BLOCKED_H
#define FP_AGENT_BLOCKED_H

#include "agent/backend/backend.h"
#include "fleetpatch/jobwire.h"

/*
 * The first change of plan (in its order) that installs or upgrades a package whose name
 * matches one of p's blocked patterns and that p's packages do not name; NULL when there is
 * none. *pattern receives the pattern it matched.
 */
const struct be_change *blocked_change(const struct fp_job_params *p, const struct be_plan *plan,
                                       const char **pattern);

#endif
