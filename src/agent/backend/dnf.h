/*
 * The dnf backend's parsers, exposed for the unit tests and the fuzz target: dnf 4's
 * transaction table (as printed before "Operation aborted." under --assumeno) and the mapping
 * of dnf's and rpm's error messages to a job's failure reason.
 */
#ifndef FP_AGENT_BACKEND_DNF_H
#define FP_AGENT_BACKEND_DNF_H

#include <stddef.h>

#include "agent/backend/backend.h"
#include "fleetpatch/error.h"

/* Limits of the summary parser: the output of one transaction of FP_MAX_JOB_PACKAGES pairs
 * with their dependencies stays far below them. */
#define DNF_SIM_MAX_LINES 200000L /* lines of output */
#define DNF_SIM_MAX_LINE 4096     /* bytes of one line (run.h cuts longer ones the same way) */
#define DNF_SIM_MAX_PKGS 50000    /* rows of the transaction table */

/*
 * Parse dnf's transaction table from text (the whole merged output of a `dnf --assumeno`
 * run; lines outside the table are ignored). Each row becomes one change: Installing,
 * Installing dependencies/weak dependencies/group packages -> BE_INSTALL (to = the EVR);
 * Upgrading -> BE_UPGRADE, Downgrading -> BE_DOWNGRADE, Reinstalling -> BE_REINSTALL (to = the
 * EVR, from left NULL: the table does not show it); Removing, Removing dependent packages,
 * Removing unused dependencies and "replacing" (obsoleted) lines -> BE_REMOVE (from = the EVR).
 * Rows wrapped by dnf (a long name alone on its line) are joined. Module stream sections carry
 * no packages and are skipped. The plan is not sorted. name is used in diagnostics.
 * FP_EPARSE/FP_ELIMIT name the line.
 */
enum fp_err dnf_sim_parse(const char *text, size_t len, const char *name, struct be_plan *plan,
                          struct fp_diag *d);

/* Why dnf (or rpm under it) failed, from its output; BE_FAIL_NONE when nothing in the output
 * says. *line (may be NULL) points at the start of the line that decided it, in text. */
enum be_fail dnf_classify(const char *text, size_t len, const char **line);

#endif
