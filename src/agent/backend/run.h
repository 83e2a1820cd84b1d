/*
 * Running a package manager (or a local hook) for a transaction: argv only, never a shell;
 * stdin from /dev/null; environment reduced to PATH, LC_ALL=C and the caller's extra
 * variables; standard output and error merged and handed over line by line (progress and the
 * job log); its own process group, killed whole on timeout.
 */
#ifndef FP_AGENT_RUN_H
#define FP_AGENT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/backend/backend.h"
#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

/* A longer line is cut (and the rest of it dropped) before it reaches the log callback. */
#define RUN_MAX_LINE 4096

struct run_opts {
        const char *const *argv; /* argv[0] is searched in PATH when it has no '/' */
        const char *const *env;  /* extra "NAME=value" entries, NULL-terminated; may be NULL */
        const char *cwd;         /* working directory of the child; NULL = ours */
        long timeout;            /* seconds; 0 = no limit */
        be_log_fn log;           /* every output line, without its newline; may be NULL */
        void *log_ctx;
        struct fp_buf *out; /* may be NULL: the whole merged output; when it would exceed
                               out->max, the start is kept and the rest is dropped */
};

struct run_result {
        int status;     /* exit status; 128 + signal number when killed */
        bool timed_out; /* killed because of the timeout */
};

/* FP_OK when the program ran, whatever its exit status (in res); FP_ENOENT when it is not
 * found, FP_EEXEC when it could not be started; diag says which program and why. */
enum fp_err run_program(const struct run_opts *o, struct run_result *res, struct fp_diag *d);

/* Nanoseconds spent inside run_program since the process started: the package manager's (and
 * hooks') own time, which the agent's overhead measurement (bench/agent_jobs) subtracts. */
uint64_t run_total_ns(void);

#endif
