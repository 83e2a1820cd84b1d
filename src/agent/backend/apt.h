/* The apt backend's parser of `apt-get -s` output, public so tests and the fuzzer reach it. */
#ifndef FP_AGENT_BACKEND_APT_H
#define FP_AGENT_BACKEND_APT_H

#include <stddef.h>

#include "agent/backend/backend.h"
#include "fleetpatch/error.h"
#include "fleetpatch/limits.h"

/* Longest line of a simulation we read (apt's own lines are far shorter). */
#define APT_SIM_MAX_LINE 4096
/* Packages one plan may change: a request's pairs plus what dependencies pull in or remove. */
#define APT_SIM_MAX_PACKAGES (FP_MAX_JOB_PACKAGES * 4)
/* Lines of one simulation: Inst + Conf per package, Remv, and apt's summaries around them. */
#define APT_SIM_MAX_LINES (APT_SIM_MAX_PACKAGES * 4 + 1000)

/*
 * The plan in the Inst/Remv/Purg lines of `apt-get -s` output (Conf lines are checked, other
 * lines ignored): install, upgrade, downgrade or reinstall by comparing the installed version
 * "[from]" with the candidate "(to ... [arch])", remove for Remv/Purg. arch is NULL for a
 * removal of a package apt names without ":arch" (native or "all"; the caller knows which).
 * A package named twice keeps its last line. out is initialised here and owns every string;
 * on failure it is empty and d names the line (d->line) and what is wrong with it.
 */
enum fp_err apt_parse_simulation(const char *text, size_t len, struct be_plan *out,
                                 struct fp_diag *d);

#endif
