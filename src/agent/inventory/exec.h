/* Running a helper program (rpm) without a shell, with bounded output. */
#ifndef FP_AGENT_EXEC_H
#define FP_AGENT_EXEC_H

#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

#include <stdbool.h>

/* PATH for children when ours has none. */
#define FP_EXEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The program's full path into out: prog itself if it has a '/', else the first executable
 * hit in PATH (FP_EXEC_DEFAULT_PATH when unset). false when there is none. */
bool fp_exec_resolve(const char *prog, char *out, size_t outsz);

/*
 * Run argv[0] (searched in PATH when it has no '/') with argv via fork/execve, stdin from
 * /dev/null, environment reduced to PATH and LC_ALL=C. Standard output goes into out (whose
 * max bounds it: more is FP_ELIMIT and the child is killed). A non-zero exit status is
 * FP_EEXEC with the start of its standard error in diag.
 */
enum fp_err fp_exec_capture(const char *const argv[], struct fp_buf *out, struct fp_diag *diag);

#endif
