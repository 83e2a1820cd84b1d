/* Running a helper program (rpm) without a shell, with bounded output. */
#ifndef FP_AGENT_EXEC_H
#define FP_AGENT_EXEC_H

#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

/*
 * Run argv[0] (searched in PATH when it has no '/') with argv via fork/execve, stdin from
 * /dev/null, environment reduced to PATH and LC_ALL=C. Standard output goes into out (whose
 * max bounds it: more is FP_ELIMIT and the child is killed). A non-zero exit status is
 * FP_EEXEC with the start of its standard error in diag.
 */
enum fp_err fp_exec_capture(const char *const argv[], struct fp_buf *out, struct fp_diag *diag);

#endif
