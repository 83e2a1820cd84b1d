/*
 * fleetpatch jobs and the job-queueing host commands (docs/jobs.md): show a job (with its log),
 * list a host's jobs, queue scan, install, upgrade-approved, rollback, reboot and hook jobs.
 * The server checks every parameter again; the CLI only builds the request. --wait polls the
 * job until it is finished, so a script can act on the outcome (exit 0 succeeded, 1 failed).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/limits.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch jobs show ID [--log] [--json]\n"
                "       fleetpatch hosts jobs HOST [--json]\n"
                "       fleetpatch hosts scan HOST [--wait] [--json]\n"
                "       fleetpatch hosts install HOST NAME=VERSION[:ARCH]... [--simulate]\n"
                "                 [--allow-remove] [--allow-downgrade]\n"
                "                 [--reboot never|if-needed|always] [--wait] [--json]\n"
                "       fleetpatch hosts upgrade HOST [NAME...] [--security-only] [--simulate]\n"
                "                 [--wait] [--json]\n"
                "       fleetpatch hosts rollback HOST JOB_ID [--simulate] [--wait] [--json]\n"
                "       fleetpatch hosts reboot HOST [--force] [--wait] [--json]\n"
                "       fleetpatch hosts hook HOST NAME [--wait] [--json]\n"
                "\n"
                "The queueing commands print the job id. --wait polls the job until it is\n"
                "finished and exits 0 when it succeeded, 1 when it failed. upgrade installs the\n"
                "host's pending updates (--security-only: security updates; NAME...: only\n"
                "those packages) as exact versions the server takes from its last inventory.\n"
                "ARCH in install is the part after the last ':' when it is an architecture\n"
                "name ([a-z][a-z0-9_]*), so epochs (1:2.3-4) stay in the version.\n");
}

static const struct cli_col job_cols[] = {
    {"ID", "id", false},         {"TYPE", "type", false},      {"STATUS", "status", false},
    {"PHASE", "phase", false},   {"CREATED", "created", true}, {"FINISHED", "finished", true},
    {"BY", "created_by", false}, {"DETAIL", "detail", false},
};

/* Poll GET /v1/jobs/ID until it is finished; FP_EXIT_OK when it succeeded, FP_EXIT_FALSE when
 * it failed (no time limit: a job may wait for its host to come back). */
static int wait_job(const struct cli_remote *r, const char *id)
{
        for (unsigned delay = 1;; delay = delay < 10 ? delay + 1 : 10) {
                json_t *job;
                int rc = cli_requestf(r, "GET", NULL, &job, "/v1/jobs/%s", id);
                if (rc != FP_EXIT_OK)
                        return rc;
                const char *st = json_string_value(json_object_get(job, "status"));
                if (st && (!strcmp(st, "succeeded") || !strcmp(st, "failed"))) {
                        bool ok = !strcmp(st, "succeeded");
                        if (r->json) {
                                rc = cli_print_json(job);
                        } else {
                                const char *d = json_string_value(json_object_get(job, "detail"));
                                printf("job %s %s%s%s\n", id, st, d ? ": " : "", d ? d : "");
                        }
                        json_decref(job);
                        return rc != FP_EXIT_OK ? rc : ok ? FP_EXIT_OK : FP_EXIT_FALSE;
                }
                json_decref(job);
                sleep(delay);
        }
}

/* POST the job; print its id (or the job with --json); with wait, follow it to the end. */
static int queue(const struct cli_remote *r, const char *host, json_t *body, bool wait)
{
        json_t *job;
        if (!body) {
                fprintf(stderr, "fleetpatch: out of memory\n");
                return FP_EXIT_INPUT;
        }
        int rc = cli_requestf(r, "POST", body, &job, "/v1/hosts/%s/jobs", host);
        json_decref(body);
        if (rc != FP_EXIT_OK)
                return rc;
        char id[32];
        snprintf(id, sizeof(id), "%s",
                 json_string_value(json_object_get(job, "id"))
                     ? json_string_value(json_object_get(job, "id"))
                     : "");
        if (r->json && !wait)
                return cli_show_record(r, job);
        if (!r->json)
                printf("%s\n", id);
        fflush(stdout);
        json_decref(job);
        return wait ? wait_job(r, id) : FP_EXIT_OK;
}

static json_t *job_body(const char *type, json_t *params)
{
        return params ? json_pack("{s:s, s:o}", "type", type, "params", params) : NULL;
}

int cli_hosts_scan(int argc, char **argv)
{
        bool wait = false;
        const struct cli_opt opts[] = {{"--wait", CLI_FLAG, &wait}, {NULL, CLI_FLAG, NULL}};
        const char *host = NULL;
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "hosts scan", opts, &r, &host, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        return queue(&r, host, job_body("scan", json_object()), wait);
}

/* NAME=VERSION[:ARCH] → {"name","version"[,"arch"]}; NULL after a message. */
static json_t *parse_pair(const char *s)
{
        const char *eq = strchr(s, '=');
        if (!eq || eq == s || !eq[1]) {
                fprintf(stderr, "fleetpatch: hosts install: '%s' is not NAME=VERSION[:ARCH]\n", s);
                return NULL;
        }
        char name[FP_MAX_NAME_LEN + 1], ver[FP_MAX_VERSION_LEN + 1];
        size_t nlen = (size_t)(eq - s);
        if (nlen > FP_MAX_NAME_LEN || strlen(eq + 1) > FP_MAX_VERSION_LEN) {
                fprintf(stderr, "fleetpatch: hosts install: '%.64s...' is too long\n", s);
                return NULL;
        }
        memcpy(name, s, nlen);
        name[nlen] = 0;
        snprintf(ver, sizeof(ver), "%s", eq + 1);
        const char *arch = NULL;
        char *colon = strrchr(ver, ':');
        if (colon && colon[1] >= 'a' && colon[1] <= 'z' &&
            strspn(colon + 1, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(colon + 1)) {
                *colon = 0;
                arch = colon + 1;
        }
        json_t *p = json_pack("{s:s, s:s}", "name", name, "version", ver);
        if (p && arch)
                json_object_set_new(p, "arch", json_string(arch));
        return p;
}

int cli_hosts_install(int argc, char **argv)
{
        bool wait = false, simulate = false, allow_remove = false, allow_downgrade = false;
        const char *reboot = NULL;
        const struct cli_opt opts[] = {{"--wait", CLI_FLAG, &wait},
                                       {"--simulate", CLI_FLAG, &simulate},
                                       {"--allow-remove", CLI_FLAG, &allow_remove},
                                       {"--allow-downgrade", CLI_FLAG, &allow_downgrade},
                                       {"--reboot", CLI_VALUE, &reboot},
                                       {NULL, CLI_FLAG, NULL}};
        static const char *pos[1 + FP_MAX_JOB_PACKAGES + 1];
        struct cli_remote r = {0};
        memset(pos, 0, sizeof(pos));
        int rc = cli_parse(argc, argv, "hosts install", opts, &r, pos, 2, 1 + FP_MAX_JOB_PACKAGES,
                           usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (reboot && strcmp(reboot, "never") && strcmp(reboot, "if-needed") &&
            strcmp(reboot, "always")) {
                fprintf(stderr, "fleetpatch: hosts install: --reboot is never, if-needed or "
                                "always\n");
                return FP_EXIT_USAGE;
        }
        json_t *pkgs = json_array();
        for (size_t i = 1; pos[i]; i++) {
                json_t *p = parse_pair(pos[i]);
                if (!p) {
                        json_decref(pkgs);
                        return FP_EXIT_USAGE;
                }
                json_array_append_new(pkgs, p);
        }
        json_t *params = json_pack("{s:o, s:b, s:b, s:b, s:s}", "packages", pkgs, "simulate",
                                   simulate, "allow_remove", allow_remove, "allow_downgrade",
                                   allow_downgrade, "reboot", reboot ? reboot : "never");
        return queue(&r, pos[0], job_body("install", params), wait);
}

int cli_hosts_upgrade(int argc, char **argv)
{
        bool wait = false, simulate = false, security = false;
        const struct cli_opt opts[] = {{"--wait", CLI_FLAG, &wait},
                                       {"--simulate", CLI_FLAG, &simulate},
                                       {"--security-only", CLI_FLAG, &security},
                                       {NULL, CLI_FLAG, NULL}};
        static const char *pos[1 + FP_MAX_JOB_PACKAGES + 1];
        struct cli_remote r = {0};
        memset(pos, 0, sizeof(pos));
        int rc = cli_parse(argc, argv, "hosts upgrade", opts, &r, pos, 1, 1 + FP_MAX_JOB_PACKAGES,
                           usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *params = json_pack("{s:b, s:b}", "security_only", security, "simulate", simulate);
        if (params && pos[1]) {
                json_t *names = json_array();
                for (size_t i = 1; pos[i]; i++)
                        json_array_append_new(names, json_string(pos[i]));
                json_object_set_new(params, "packages", names);
        }
        return queue(&r, pos[0], job_body("upgrade-approved", params), wait);
}

int cli_hosts_rollback(int argc, char **argv)
{
        bool wait = false, simulate = false;
        const struct cli_opt opts[] = {{"--wait", CLI_FLAG, &wait},
                                       {"--simulate", CLI_FLAG, &simulate},
                                       {NULL, CLI_FLAG, NULL}};
        const char *pos[3] = {NULL};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "hosts rollback", opts, &r, pos, 2, 2, usage);
        if (rc != CLI_GO_ON)
                return rc;
        return queue(
            &r, pos[0],
            job_body("rollback", json_pack("{s:s, s:b}", "job", pos[1], "simulate", simulate)),
            wait);
}

int cli_hosts_reboot(int argc, char **argv)
{
        bool wait = false, force = false;
        const struct cli_opt opts[] = {
            {"--wait", CLI_FLAG, &wait}, {"--force", CLI_FLAG, &force}, {NULL, CLI_FLAG, NULL}};
        const char *host = NULL;
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "hosts reboot", opts, &r, &host, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        return queue(&r, host, job_body("reboot", json_pack("{s:b}", "force", force)), wait);
}

int cli_hosts_hook(int argc, char **argv)
{
        bool wait = false;
        const struct cli_opt opts[] = {{"--wait", CLI_FLAG, &wait}, {NULL, CLI_FLAG, NULL}};
        const char *pos[3] = {NULL};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "hosts hook", opts, &r, pos, 2, 2, usage);
        if (rc != CLI_GO_ON)
                return rc;
        return queue(&r, pos[0], job_body("hook", json_pack("{s:s}", "name", pos[1])), wait);
}

int cli_hosts_jobs(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *host = NULL;
        struct cli_remote r = {0};
        json_t *answer;
        int rc = cli_parse(argc, argv, "hosts jobs", opts, &r, &host, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/hosts/%s/jobs", host);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, "jobs", job_cols, sizeof(job_cols) / sizeof(job_cols[0]));
}

static int jobs_show(int argc, char **argv)
{
        bool log = false;
        const struct cli_opt opts[] = {{"--log", CLI_FLAG, &log}, {NULL, CLI_FLAG, NULL}};
        const char *id = NULL;
        struct cli_remote r = {0};
        json_t *job;
        int rc = cli_parse(argc, argv, "jobs show", opts, &r, &id, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        rc = cli_requestf(&r, "GET", NULL, &job, "/v1/jobs/%s", id);
        if (rc != FP_EXIT_OK)
                return rc;
        if (r.json)
                return cli_show_record(&r, job);
        /* The log apart, as it was written (the record view would fold it into one line). */
        json_t *text = json_incref(json_object_get(job, "log"));
        json_object_del(job, "log");
        cli_print_record(job);
        if (log && json_string_length(text)) {
                printf("--- log\n");
                fwrite(json_string_value(text), 1, json_string_length(text), stdout);
        }
        json_decref(text);
        json_decref(job);
        return FP_EXIT_OK;
}

int cmd_jobs(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"show", jobs_show}};
        return cli_dispatch(argc, argv, "jobs", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
