/*
 * Running one job on the host (docs/jobs.md): the transaction flow of install,
 * upgrade-approved and rollback (inventory, plan, keep, apply, verify, hooks, reboot policy)
 * and the other types, each step written to the job's journal first. The same code serves the
 * daemon (jobs.c, reporting to the server) and `fleetpatch-agent run-job` (localjob.c).
 */
#ifndef FP_AGENT_TXN_H
#define FP_AGENT_TXN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/backend/backend.h"
#include "agent/daemon/config.h"
#include "fleetpatch/error.h"

struct job_env {
        const struct agent_config *cfg; /* root, state_dir, backend, hooks, timeouts */
        /* The progress phase ("planning", "applying", ...); may be NULL. */
        void (*phase)(void *ctx, const char *phase);
        be_log_fn log; /* every log line of the job; may be NULL */
        void *ctx;
        /* A scan job's check-in with a fresh inventory (the daemon's); NULL: a local scan only
         * reads the inventory. FP_OK when the server took it. */
        enum fp_err (*checkin)(void *ctx, struct fp_diag *d);
        /* UNIX time for the journal; NULL: time(2). */
        int64_t (*now)(void *ctx);
};

/*
 * Run one job given by id (16 hex), type and params, to its end, and return what is reported
 * to the server: {"status": "succeeded" | "failed", "detail", "result"}; "status" is
 * "running" when the job goes on after a reboot (nothing to report yet). A job whose journal
 * says it finished is re-reported from it, never run again; one left in a transaction is
 * resumed (job_resume). NULL only when out of memory.
 */
json_t *job_execute(const struct job_env *env, const char *id, const char *type,
                    const json_t *params);

/* Finish a job whose journal is not finished (at agent start): a transaction is recovered by
 * the backend and verified against its recorded plan ("resumed": true); a reboot is
 * confirmed. Same report as job_execute. */
json_t *job_resume(const struct job_env *env, const char *id);

#endif
