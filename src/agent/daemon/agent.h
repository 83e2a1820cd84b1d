/*
 * The agent's protocol with fleetpatchd (docs/api.md, "Agent protocol"): enrollment, check-in
 * with the sequence number and the inventory hash, jobs, and the daemon loop around them.
 */
#ifndef FP_AGENT_AGENT_H
#define FP_AGENT_AGENT_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/daemon/client.h"
#include "agent/daemon/config.h"

/* Exit codes of fleetpatch-agent (docs/agent.md). */
enum {
        AGENT_EXIT_OK = 0,
        AGENT_EXIT_FAIL = 1,  /* the server failed or could not be reached, local I/O */
        AGENT_EXIT_USAGE = 2, /* bad flags or configuration */
        AGENT_EXIT_AUTH = 3,  /* credential or enrollment token refused (401/410) */
};

/* How one exchange ended. */
enum agent_rc {
        AGENT_OK,
        AGENT_RETRY, /* network, 5xx, unexpected answer: try again later */
        AGENT_AUTH,  /* 401/410: the credential or token is no longer valid */
        AGENT_FATAL, /* local state cannot be written, no enrollment token: a person must act */
};

/* Job ids finished recently, so a job listed twice is not run twice. */
#define AGENT_RECENT_JOBS 32

struct agent {
        const struct agent_config *cfg;
        volatile sig_atomic_t *stop;
        char credential[160];
        char host_id[32];
        char account[80];
        uint64_t seq;
        char inventory_hash[65]; /* the last one the server accepted */
        long interval;           /* seconds between check-ins */
        double jitter;           /* fraction of the interval */
        struct cloud_info cloud;
        bool cloud_known;
        char recent[AGENT_RECENT_JOBS][17];
        unsigned recent_next;
        /* for the --once summary */
        const char *last_inventory; /* "accepted", "unchanged", ... */
        size_t last_packages;
        unsigned jobs_ok, jobs_failed;
        /* lifecycle.h: the highest state generation this process wrote */
        uint64_t lc_generation;
};

enum agent_rc agent_init(struct agent *a, const struct agent_config *cfg,
                         volatile sig_atomic_t *stop);
bool agent_enrolled(const struct agent *a);
enum agent_rc agent_enroll(struct agent *a);
/* One check-in (plus the resend the server asks for); *jobs (may be NULL) gets the jobs. */
enum agent_rc agent_checkin(struct agent *a, json_t **jobs);
/* GET /v1/agent/jobs?wait=... */
enum agent_rc agent_poll_jobs(struct agent *a, long wait, json_t **jobs);
/* Run every job of a list (never anything but the known types) and report each. */
enum agent_rc agent_run_jobs(struct agent *a, const json_t *jobs);

/* The two modes; each returns an exit code. */
int agent_once(struct agent *a);
int agent_daemon(struct agent *a);

/* ---- jobs.c ---- */
/* Run one job and report its end to the server. */
enum agent_rc agent_job_run(struct agent *a, const json_t *job);
/* POST /v1/agent/jobs/{id}. */
enum agent_rc agent_job_finish(struct agent *a, const char *id, bool ok, const char *detail);
/* At start: finish every job whose journal is not finished (a crash, a reboot) and report
 * it. Call once the agent can reach the server (after enrollment). */
enum agent_rc agent_jobs_resume(struct agent *a);

/* ---- agent.c, used by jobs.c ---- */
/* A request to the server with the agent's credential; body may be NULL. */
enum agent_rc agent_request(struct agent *a, const char *method, const char *path,
                            const json_t *body, long timeout_ms, bool cancellable, long *status,
                            json_t **answer);

#endif
