/* Hooks around and inside jobs (hooks.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/backend/run.h"
#include "agent/daemon/hooks.h"
#include "fleetpatch/limits.h"

/*
 * [a-z0-9][a-z0-9-]{0,31} (docs/jobs.md), the rule fp_job_hook_name_ok applies to hook jobs;
 * checked here again because the job runner also calls fixed names and a name is a path
 * component: no '/', no "..", nothing hidden.
 */
static bool name_ok(const char *name)
{
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > FP_MAX_HOOK_NAME || name[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
                      name[i] == '-'))
                        return false;
        return true;
}

static const char *hooks_dir(const struct agent_config *cfg)
{
        return cfg->hooks_dir && *cfg->hooks_dir ? cfg->hooks_dir : HOOKS_DEFAULT_DIR;
}

bool hooks_exists(const struct agent_config *cfg, const char *name)
{
        char path[PATH_MAX];
        struct stat st;
        if (!name_ok(name))
                return false;
        snprintf(path, sizeof(path), "%s/%s", hooks_dir(cfg), name);
        return lstat(path, &st) == 0;
}

/* The agent runs hooks as root: whoever may write the file or replace it in its directory
 * could run anything as root, so both must be root's alone. */
static enum fp_err trusted(const char *path, const struct stat *st, bool dir, struct fp_diag *d)
{
        if (st->st_uid != 0) {
                fp_diag_set(d, path, 0, NULL, "not owned by root (uid %u): not run",
                            (unsigned)st->st_uid);
                return FP_EACCES;
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                fp_diag_set(d, path, 0, NULL, "writable by group or others (mode %04o): not run",
                            (unsigned)(st->st_mode & 07777));
                return FP_EACCES;
        }
        if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
                fp_diag_set(d, path, 0, NULL, dir ? "not a directory" : "not a regular file");
                return FP_EACCES;
        }
        if (!dir && !(st->st_mode & S_IXUSR)) {
                fp_diag_set(d, path, 0, NULL, "not executable (mode %04o)",
                            (unsigned)(st->st_mode & 07777));
                return FP_EACCES;
        }
        return FP_OK;
}

enum fp_err hooks_run_status(const struct agent_config *cfg, const char *name, const char *job_id,
                             const char *job_type, be_log_fn log, void *log_ctx, int *status,
                             struct fp_diag *d)
{
        const char *dir = hooks_dir(cfg);
        char path[PATH_MAX], env_id[128], env_type[64];
        struct stat st;

        if (status)
                *status = 0;
        if (!name_ok(name)) {
                fp_diag_set(d, NULL, 0, "hook", "'%s' is not a hook name ([a-z0-9][a-z0-9-]{0,31})",
                            name ? name : "");
                return FP_EINVAL;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
                fp_diag_set(d, dir, 0, NULL, "hooks_dir path too long");
                return FP_EINVAL;
        }
        /* lstat: a symlink would move the trust to wherever it points */
        if (lstat(path, &st) != 0) {
                int e = errno;
                fp_diag_set(d, path, 0, NULL, "%s", strerror(e));
                return e == ENOENT || e == ENOTDIR ? FP_ENOENT : FP_EACCES;
        }
        if (S_ISLNK(st.st_mode)) {
                fp_diag_set(d, path, 0, NULL, "a symbolic link: not run");
                return FP_EACCES;
        }
        enum fp_err err = trusted(path, &st, false, d);
        if (err != FP_OK)
                return err;
        if (stat(dir, &st) != 0) {
                fp_diag_set(d, dir, 0, NULL, "%s", strerror(errno));
                return FP_EACCES;
        }
        if ((err = trusted(dir, &st, true, d)) != FP_OK)
                return err;

        const char *env[3];
        size_t envc = 0;
        if (job_id) {
                snprintf(env_id, sizeof(env_id), "FLEETPATCH_JOB_ID=%s", job_id);
                env[envc++] = env_id;
        }
        if (job_type) {
                snprintf(env_type, sizeof(env_type), "FLEETPATCH_JOB_TYPE=%s", job_type);
                env[envc++] = env_type;
        }
        env[envc] = NULL;
        const char *argv[] = {path, NULL};
        long timeout = cfg->hook_timeout > 0 ? cfg->hook_timeout : HOOKS_DEFAULT_TIMEOUT;
        struct run_opts ro = {.argv = argv,
                              .env = env,
                              .cwd = "/",
                              .timeout = timeout,
                              .log = log,
                              .log_ctx = log_ctx};
        struct run_result res = {0};
        err = run_program(&ro, &res, d);
        if (err != FP_OK)
                return err == FP_ENOENT ? FP_EEXEC : err; /* it existed a moment ago */
        if (status)
                *status = res.status;
        if (res.timed_out) {
                fp_diag_set(d, path, 0, "hook", "hook %s timed out after %ld s and was killed",
                            name, timeout);
                return FP_EEXEC;
        }
        if (res.status != 0) {
                fp_diag_set(d, path, 0, "hook", "hook %s failed with exit status %d", name,
                            res.status);
                return FP_EEXEC;
        }
        return FP_OK;
}

enum fp_err hooks_run(const struct agent_config *cfg, const char *name, const char *job_id,
                      const char *job_type, be_log_fn log, void *log_ctx, struct fp_diag *d)
{
        return hooks_run_status(cfg, name, job_id, job_type, log, log_ctx, NULL, d);
}
