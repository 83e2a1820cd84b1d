/* One job run locally, without a server (localjob.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/backend/run.h"
#include "agent/daemon/agent.h"
#include "agent/daemon/localjob.h"
#include "agent/daemon/state.h"
#include "agent/daemon/txn.h"
#include "fleetpatch/limits.h"

struct local {
        FILE *log;
};

static void local_log(void *ctx, const char *line)
{
        struct local *l = ctx;
        if (l->log)
                fprintf(l->log, "%s\n", line);
}

static void local_phase(void *ctx, const char *phase)
{
        struct local *l = ctx;
        if (l->log)
                fprintf(l->log, "phase: %s\n", phase);
}

enum fp_err localjob_run(const struct agent_config *cfg, const json_t *job, FILE *log,
                         json_t **report, struct fp_diag *diag)
{
        *report = NULL;
        const char *id = json_string_value(json_object_get(job, "id"));
        const char *type = json_string_value(json_object_get(job, "type"));
        if (!json_is_object(job) || !id || strlen(id) != 16 ||
            strspn(id, "0123456789abcdef") != 16) {
                fp_diag_set(diag, NULL, 0, "id", "a job needs an id of 16 hex digits");
                return FP_EPARSE;
        }
        if (!type) {
                fp_diag_set(diag, NULL, 0, "type", "a job needs a type");
                return FP_EPARSE;
        }
        enum fp_err err = state_open(cfg->state_dir, diag);
        if (err != FP_OK)
                return err;
        struct local l = {log};
        struct job_env env = {
            .cfg = cfg,
            .phase = local_phase,
            .log = local_log,
            .ctx = &l,
        };
        *report = job_execute(&env, id, type, json_object_get(job, "params"));
        if (!*report) {
                fp_diag_set(diag, NULL, 0, NULL, "out of memory");
                return FP_ENOMEM;
        }
        return FP_OK;
}

static uint64_t mono_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

json_t *localjob_timing(uint64_t total_ns, uint64_t pm_ns)
{
        if (pm_ns > total_ns)
                pm_ns = total_ns;
        return json_pack("{s:f,s:f,s:f}", "total_ms", (double)total_ns / 1e6,
                         "package_manager_ms", (double)pm_ns / 1e6, "overhead_ms",
                         (double)(total_ns - pm_ns) / 1e6);
}

int localjob_main(const struct agent_config *cfg, const char *path, bool timing)
{
        /* the job's time, from reading it to its result; what run_program spent in the
         * package manager and hooks is theirs, the rest (inventory included) is ours */
        uint64_t t0 = mono_ns(), pm0 = run_total_ns();
        json_error_t e;
        struct fp_diag d;
        char msg[1024];
        fp_diag_clear(&d);
        json_t *job = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &e)
                                             : json_load_file(path, JSON_REJECT_DUPLICATES, &e);
        if (!job) {
                fprintf(stderr, "fleetpatch-agent: run-job: %s:%d: %s\n", path, e.line, e.text);
                return AGENT_EXIT_USAGE;
        }
        json_t *rep;
        enum fp_err err = localjob_run(cfg, job, stderr, &rep, &d);
        json_decref(job);
        uint64_t t1 = mono_ns(), pm1 = run_total_ns();
        if (err != FP_OK) {
                fp_diag_format(&d, msg, sizeof(msg));
                fprintf(stderr, "fleetpatch-agent: run-job: %s\n", msg);
                return err == FP_EPARSE ? AGENT_EXIT_USAGE : AGENT_EXIT_FAIL;
        }
        /* beside the report, never in it: the result stays what docs/jobs.md says */
        if (timing)
                json_object_set_new(rep, "timing", localjob_timing(t1 - t0, pm1 - pm0));
        /* nine significant digits: microseconds up to 1000 s, without a binary tail */
        char *text = json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS |
                                         (timing ? JSON_REAL_PRECISION(9) : 0));
        if (text)
                printf("%s\n", text);
        free(text);
        const char *status = json_string_value(json_object_get(rep, "status"));
        int rc = status && strcmp(status, "succeeded") == 0 ? AGENT_EXIT_OK : AGENT_EXIT_FAIL;
        json_decref(rep);
        return rc;
}
