/*
 * Jobs from the server (docs/jobs.md): a closed list of types, each a fixed action of the
 * agent (txn.c). Nothing in a job is ever run as a command. Progress goes to the server while
 * the job runs; the end is reported once, from the journal when the job was done before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/daemon/agent.h"
#include "agent/daemon/journal.h"
#include "agent/daemon/log.h"
#include "agent/daemon/txn.h"
#include "fleetpatch/limits.h"

/* Log lines are sent in batches: at FP_MAX_JOB_LOG_CHUNK bytes or after this many seconds. */
#define PROGRESS_FLUSH_SECONDS 2

static bool job_id_ok(const char *id)
{
        return id && strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16;
}

/* POST /v1/agent/jobs/{id} with the report ({"status", "detail", "result"}). */
static enum agent_rc job_report(struct agent *a, const char *id, const json_t *report)
{
        char path[64];
        long status;
        json_t *ans = NULL;
        json_t *body = json_deep_copy(report);
        if (!body)
                return AGENT_RETRY;
        const char *detail = json_string_value(json_object_get(body, "detail"));
        if (detail)
                json_object_set_new(body, "detail",
                                    json_stringn(detail, strnlen(detail, FP_MAX_JOB_DETAIL)));
        snprintf(path, sizeof(path), "/v1/agent/jobs/%s", id);
        enum agent_rc rc = agent_request(a, "POST", path, body, 60000L, false, &status, &ans);
        json_decref(body);
        if (rc == AGENT_OK && status != 200) {
                const json_t *e = json_object_get(ans, "error");
                const char *code = json_string_value(json_object_get(e, "code"));
                const char *field = json_string_value(json_object_get(e, "field"));
                const char *msg = json_string_value(json_object_get(e, "message"));
                log_warn("job %s: finishing it: HTTP %ld %s%s%s%s%s", id, status, code ? code : "",
                         field ? " " : "", field ? field : "", msg ? ": " : "", msg ? msg : "");
                /* 409: finished already with another status; nothing to retry */
                rc = status == 409 || status == 404 ? AGENT_OK : AGENT_RETRY;
                if (status == 400 && json_object_get(report, "result")) {
                        /* The server refused the report itself: sending it again cannot
                         * help, and the job must not hang. Report the job failed, without
                         * the proof the server would not take. */
                        char why[512];
                        snprintf(why, sizeof(why), "the server refused the agent's report: %s%s%s",
                                 field ? field : "", field && msg ? ": " : "", msg ? msg : "");
                        json_t *minimal = json_pack("{s:s, s:s, s:{s:s}}", "status", "failed",
                                                    "detail", why, "result", "reason", "other");
                        json_decref(ans);
                        if (!minimal)
                                return AGENT_RETRY;
                        rc = job_report(a, id, minimal);
                        json_decref(minimal);
                        return rc;
                }
        }
        json_decref(ans);
        return rc;
}

enum agent_rc agent_job_finish(struct agent *a, const char *id, bool ok, const char *detail)
{
        json_t *rep = json_pack("{s:s,s:s}", "status", ok ? "succeeded" : "failed", "detail",
                                detail ? detail : "");
        if (!rep)
                return AGENT_RETRY;
        enum agent_rc rc = job_report(a, id, rep);
        json_decref(rep);
        return rc;
}

/* Progress of one running job. */
struct progress {
        struct agent *a;
        const char *id;
        const char *phase;
        struct fp_buf log;
        struct timespec last;
};

static double since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Send the phase and the lines gathered so far. A failed post never fails the job: the log
 * is a courtesy, the final report is what counts. */
static void progress_flush(struct progress *p)
{
        char path[80];
        long status;
        json_t *ans = NULL;
        json_t *body = json_pack("{s:s,s:s}", "phase", p->phase ? p->phase : "planning", "log",
                                 fp_buf_str(&p->log));
        snprintf(path, sizeof(path), "/v1/agent/jobs/%s/progress", p->id);
        if (body &&
            (agent_request(p->a, "POST", path, body, 30000L, false, &status, &ans) != AGENT_OK ||
             status != 200))
                log_debug("job %s: progress not taken", p->id);
        json_decref(body);
        json_decref(ans);
        fp_buf_reset(&p->log);
        clock_gettime(CLOCK_MONOTONIC, &p->last);
}

static void on_log(void *ctx, const char *line)
{
        struct progress *p = ctx;
        size_t len = strnlen(line, FP_MAX_JOB_LOG_CHUNK - 1);
        log_debug("job %s: %s", p->id, line);
        if (p->log.len + len + 1 > FP_MAX_JOB_LOG_CHUNK)
                progress_flush(p);
        if (fp_buf_add(&p->log, line, len) == FP_OK)
                (void)fp_buf_addc(&p->log, '\n');
        if (since(&p->last) >= PROGRESS_FLUSH_SECONDS)
                progress_flush(p);
}

static void on_phase(void *ctx, const char *phase)
{
        struct progress *p = ctx;
        p->phase = phase;
        progress_flush(p);
}

static enum fp_err on_checkin(void *ctx, struct fp_diag *d)
{
        struct progress *p = ctx;
        /* jobs listed in this check-in's answer are this one and its queue-mates; the
         * caller's list or the next poll gets them */
        enum agent_rc rc = agent_checkin(p->a, NULL);
        if (rc != AGENT_OK) {
                fp_diag_set(d, NULL, 0, NULL, "the check-in failed");
                return FP_EIO;
        }
        return FP_OK;
}

/* Run (or resume, when id is given without type) one job and report its end. */
static enum agent_rc run_and_report(struct agent *a, const char *id, const char *type,
                                    const json_t *params, bool resume)
{
        struct progress p = {.a = a, .id = id};
        fp_buf_init(&p.log, FP_MAX_JOB_LOG_CHUNK);
        clock_gettime(CLOCK_MONOTONIC, &p.last);
        struct job_env env = {
            .cfg = a->cfg,
            .phase = on_phase,
            .log = on_log,
            .ctx = &p,
            .checkin = on_checkin,
        };
        json_t *rep = resume ? job_resume(&env, id) : job_execute(&env, id, type, params);
        if (p.log.len > 0)
                progress_flush(&p);
        fp_buf_release(&p.log);
        if (!rep) {
                log_error("job %s: out of memory or no journal", id);
                return AGENT_RETRY;
        }
        const char *status = json_string_value(json_object_get(rep, "status"));
        const char *detail = json_string_value(json_object_get(rep, "detail"));
        enum agent_rc rc = AGENT_OK;
        if (status && strcmp(status, "running") == 0) {
                /* waits for the reboot; the next start finishes it */
                log_info("job %s: %s", id, detail ? detail : "");
        } else {
                bool ok = status && strcmp(status, "succeeded") == 0;
                log_info("job %s: %s: %s", id, ok ? "succeeded" : "failed", detail ? detail : "");
                rc = job_report(a, id, rep);
                if (rc == AGENT_OK) {
                        if (ok)
                                a->jobs_ok++;
                        else
                                a->jobs_failed++;
                }
                /* A transaction (or a resumed one) changed the packages, or may have: the
                 * server gets the new inventory now rather than at the next interval, after
                 * the report, so it holds the host to what the job installed. */
                bool changes = resume || (type && (strcmp(type, "install") == 0 ||
                                                   strcmp(type, "upgrade-approved") == 0 ||
                                                   strcmp(type, "rollback") == 0));
                if (rc == AGENT_OK && changes &&
                    !json_is_true(json_object_get(json_object_get(rep, "result"), "simulated")))
                        rc = agent_checkin(a, NULL);
        }
        json_decref(rep);
        return rc;
}

enum agent_rc agent_job_run(struct agent *a, const json_t *job)
{
        const char *id = json_string_value(json_object_get(job, "id"));
        const char *type = json_string_value(json_object_get(job, "type"));

        if (!job_id_ok(id)) {
                /* it cannot even be reported: its id would go into a URL */
                log_warn("ignoring a job without a valid id");
                return AGENT_OK;
        }
        log_info("job %s: %s", id, type ? type : "(no type)");
        return run_and_report(a, id, type, json_object_get(job, "params"), false);
}

enum agent_rc agent_jobs_resume(struct agent *a)
{
        char(*ids)[17];
        size_t n;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (journal_unfinished(a->cfg->state_dir, &ids, &n, &d) != FP_OK) {
                log_warn("job journals: %s", d.msg);
                return AGENT_OK;
        }
        enum agent_rc rc = AGENT_OK;
        for (size_t i = 0; i < n && rc == AGENT_OK; i++) {
                log_info("job %s: unfinished at start: resuming", ids[i]);
                rc = run_and_report(a, ids[i], NULL, NULL, true);
        }
        free(ids);
        return rc;
}
