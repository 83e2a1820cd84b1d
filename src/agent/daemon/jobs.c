/*
 * Jobs from the server (docs/api.md, "Jobs"): a closed list of types, each a fixed action of
 * the agent. Nothing in a job is ever run as a command; an unknown type is reported failed.
 */
#include <stdio.h>
#include <string.h>

#include "agent/daemon/agent.h"
#include "agent/daemon/log.h"
#include "fleetpatch/limits.h"

static bool job_id_ok(const char *id)
{
        return id && strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16;
}

enum agent_rc agent_job_finish(struct agent *a, const char *id, bool ok, const char *detail)
{
        char path[64];
        long status;
        json_t *ans;
        json_t *body = json_pack("{s:s}", "status", ok ? "succeeded" : "failed");
        if (!body)
                return AGENT_RETRY;
        if (detail)
                json_object_set_new(body, "detail",
                                    json_stringn(detail, strnlen(detail, FP_MAX_JOB_DETAIL)));
        snprintf(path, sizeof(path), "/v1/agent/jobs/%s", id);
        enum agent_rc rc = agent_request(a, "POST", path, body, 60000L, false, &status, &ans);
        json_decref(body);
        if (rc == AGENT_OK && status != 200) {
                const json_t *e = json_object_get(ans, "error");
                log_warn("job %s: finishing it: HTTP %ld %s", id, status,
                         json_string_value(json_object_get(e, "code"))
                             ? json_string_value(json_object_get(e, "code"))
                             : "");
                /* 409: finished already with another status; nothing to retry */
                rc = status == 409 || status == 404 ? AGENT_OK : AGENT_RETRY;
        }
        json_decref(ans);
        return rc;
}

enum agent_rc agent_job_run(struct agent *a, const json_t *job)
{
        const char *id = json_string_value(json_object_get(job, "id"));
        const char *type = json_string_value(json_object_get(job, "type"));
        char detail[256];

        if (!job_id_ok(id)) {
                /* it cannot even be reported: its id would go into a URL */
                log_warn("ignoring a job without a valid id");
                return AGENT_OK;
        }
        if (type && strcmp(type, "rescan") == 0) {
                log_info("job %s: rescan", id);
                /* jobs listed in this check-in's answer are this one and its queue-mates; the
                 * caller's list or the next poll gets them */
                enum agent_rc rc = agent_checkin(a, NULL);
                if (rc == AGENT_AUTH || rc == AGENT_RETRY)
                        return rc;
                bool ok = rc == AGENT_OK;
                rc = agent_job_finish(a, id, ok, ok ? NULL : "the inventory could not be read");
                if (rc == AGENT_OK) {
                        if (ok)
                                a->jobs_ok++;
                        else
                                a->jobs_failed++;
                }
                return rc;
        }
        snprintf(detail, sizeof(detail), "unknown job type '%.64s': this agent runs only rescan",
                 type ? type : "(none)");
        log_warn("job %s: %s", id, detail);
        enum agent_rc rc = agent_job_finish(a, id, false, detail);
        if (rc == AGENT_OK)
                a->jobs_failed++;
        return rc;
}
