/*
 * Hooks in a temporary hooks_dir: a hook that succeeds (its environment and output lines reach
 * the log), one that is missing, one that fails, hooks refused for their ownership or mode
 * (or their directory's), a symlink, a bad name, and a hook killed by hook_timeout. Root-owned
 * files come naturally when the test runs as root; otherwise only the refusals are checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/daemon/hooks.h"
#include "test.h"

static char base[] = "/tmp/fp-hooks-XXXXXX";

struct logbuf {
        char text[4096];
        size_t lines;
};

static void collect(void *ctx, const char *line)
{
        struct logbuf *l = ctx;
        size_t n = strlen(l->text);
        snprintf(l->text + n, sizeof(l->text) - n, "%s\n", line);
        l->lines++;
}

static const char *at(const char *rel)
{
        static char path[4][4096];
        static int i;
        i = (i + 1) % 4;
        snprintf(path[i], sizeof(path[i]), "%s/%s", base, rel);
        return path[i];
}

static void hook(const char *dir, const char *name, const char *text, mode_t mode)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
        chmod(path, mode);
}

static void config(struct agent_config *cfg, const char *dir)
{
        struct fp_diag d;
        if (!agent_config_init(cfg))
                exit(1);
        CHECK_INT_EQ(agent_config_set(cfg, "hooks_dir", dir, NULL, 0, &d), FP_OK);
}

static void test_defaults(void)
{
        struct agent_config cfg;
        struct fp_diag d;
        CHECK(agent_config_init(&cfg));
        CHECK_STR_EQ(cfg.hooks_dir, "/etc/fleetpatch/hooks.d");
        CHECK_INT_EQ(cfg.hook_timeout, 600);
        CHECK_STR_EQ(cfg.reboot_command, "systemctl reboot");
        CHECK_INT_EQ(agent_config_set(&cfg, "hook_timeout", "0", NULL, 0, &d), FP_EINVAL);
        CHECK_INT_EQ(agent_config_set(&cfg, "hook_timeout", "30", NULL, 0, &d), FP_OK);
        CHECK_INT_EQ(cfg.hook_timeout, 30);
        CHECK_INT_EQ(agent_config_set(&cfg, "hooks_dir", "relative", NULL, 0, &d), FP_EINVAL);
        agent_config_release(&cfg);
}

static void test_runs(void)
{
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", at("ok"));
        mkdir(dir, 0755);
        hook(dir, "pre-patch",
             "#!/bin/sh\necho \"id=$FLEETPATCH_JOB_ID type=$FLEETPATCH_JOB_TYPE\"\n"
             "echo to-stderr >&2\necho \"cwd=$(pwd)\"\nexit 0\n",
             0755);
        hook(dir, "health-check", "#!/bin/sh\necho unhealthy\nexit 5\n", 0700);
        struct agent_config cfg;
        config(&cfg, dir);
        struct logbuf l = {0};
        struct fp_diag d;
        int status = -1;
        CHECK(hooks_exists(&cfg, "pre-patch"));
        CHECK(!hooks_exists(&cfg, "post-patch"));
        CHECK_INT_EQ(hooks_run(&cfg, "pre-patch", "0123456789abcdef", "install", collect, &l, &d),
                     FP_OK);
        CHECK_STR_EQ(l.text, "id=0123456789abcdef type=install\nto-stderr\ncwd=/\n");
        CHECK_INT_EQ(l.lines, 3);

        /* failing: its exit status is the answer, its output still in the log */
        memset(&l, 0, sizeof(l));
        CHECK_INT_EQ(hooks_run_status(&cfg, "health-check", "j", "hook", collect, &l, &status, &d),
                     FP_EEXEC);
        CHECK_INT_EQ(status, 5);
        CHECK(strstr(d.msg, "exit status 5") != NULL);
        CHECK_STR_EQ(l.text, "unhealthy\n");

        /* missing */
        CHECK_INT_EQ(hooks_run(&cfg, "post-patch", "j", "install", NULL, NULL, &d), FP_ENOENT);
        /* a missing hooks_dir: no hooks */
        struct agent_config none;
        config(&none, at("no-such-dir"));
        CHECK_INT_EQ(hooks_run(&none, "pre-patch", "j", "install", NULL, NULL, &d), FP_ENOENT);
        agent_config_release(&none);

        /* names are path components: nothing that leaves the directory */
        CHECK_INT_EQ(hooks_run(&cfg, "../ok/pre-patch", "j", "hook", NULL, NULL, &d), FP_EINVAL);
        CHECK_INT_EQ(hooks_run(&cfg, "Pre-patch", "j", "hook", NULL, NULL, &d), FP_EINVAL);
        CHECK_INT_EQ(hooks_run(&cfg, "-x", "j", "hook", NULL, NULL, &d), FP_EINVAL);
        CHECK_INT_EQ(hooks_run(&cfg, "", "j", "hook", NULL, NULL, &d), FP_EINVAL);
        CHECK_INT_EQ(
            hooks_run(&cfg, "a23456789012345678901234567890123", "j", "hook", NULL, NULL, &d),
            FP_EINVAL);
        agent_config_release(&cfg);
}

static void test_refused(void)
{
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", at("perm"));
        mkdir(dir, 0755);
        struct agent_config cfg;
        config(&cfg, dir);
        struct fp_diag d;
        int ran = 0;
        char marker[4096], text[8192];
        snprintf(marker, sizeof(marker), "%s/ran", base);
        snprintf(text, sizeof(text), "#!/bin/sh\ntouch %s\n", marker);

        hook(dir, "group-w", text, 0775);
        CHECK_INT_EQ(hooks_run(&cfg, "group-w", "j", "hook", NULL, NULL, &d), FP_EACCES);
        CHECK(strstr(d.msg, "writable by group or others") != NULL);
        hook(dir, "other-w", text, 0757);
        CHECK_INT_EQ(hooks_run(&cfg, "other-w", "j", "hook", NULL, NULL, &d), FP_EACCES);
        hook(dir, "not-exec", text, 0644);
        CHECK_INT_EQ(hooks_run(&cfg, "not-exec", "j", "hook", NULL, NULL, &d), FP_EACCES);
        hook(dir, "owned", text, 0755);
        if (chown(at("perm/owned"), 4321, 4321) == 0) {
                CHECK_INT_EQ(hooks_run(&cfg, "owned", "j", "hook", NULL, NULL, &d), FP_EACCES);
                CHECK(strstr(d.msg, "not owned by root") != NULL);
        }
        /* a symlink to a good hook moves the trust elsewhere: refused */
        hook(dir, "target", text, 0755);
        CHECK(symlink(at("perm/target"), at("perm/link")) == 0);
        CHECK_INT_EQ(hooks_run(&cfg, "link", "j", "hook", NULL, NULL, &d), FP_EACCES);
        CHECK(mkdir(at("perm/subdir"), 0755) == 0);
        CHECK_INT_EQ(hooks_run(&cfg, "subdir", "j", "hook", NULL, NULL, &d), FP_EACCES);

        /* a good hook in a group-writable directory: anyone in the group could replace it */
        if (geteuid() == 0) {
                CHECK_INT_EQ(hooks_run(&cfg, "target", "j", "hook", NULL, NULL, &d), FP_OK);
                CHECK(access(marker, F_OK) == 0);
                unlink(marker);
        }
        chmod(dir, 0775);
        CHECK_INT_EQ(hooks_run(&cfg, "target", "j", "hook", NULL, NULL, &d), FP_EACCES);
        CHECK(strstr(d.msg, "writable by group or others") != NULL);
        chmod(dir, 0755);
        if (chown(dir, 4321, 4321) == 0) {
                CHECK_INT_EQ(hooks_run(&cfg, "target", "j", "hook", NULL, NULL, &d), FP_EACCES);
                CHECK(strstr(d.msg, "not owned by root") != NULL);
        }
        /* none of the refused hooks ran */
        ran = access(marker, F_OK) == 0;
        CHECK(!ran);
        agent_config_release(&cfg);
}

static void test_timeout(void)
{
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", at("slow"));
        mkdir(dir, 0755);
        /* sleep is a child of the shell: the whole process group must go, or the pipe stays
         * open and run_program would wait for the sleep */
        hook(dir, "drain", "#!/bin/sh\necho draining\nsleep 1000\necho never\n", 0755);
        struct agent_config cfg;
        config(&cfg, dir);
        struct fp_diag d;
        CHECK_INT_EQ(agent_config_set(&cfg, "hook_timeout", "1", NULL, 0, &d), FP_OK);
        struct logbuf l = {0};
        int status = 0;
        CHECK_INT_EQ(hooks_run_status(&cfg, "drain", "j", "hook", collect, &l, &status, &d),
                     FP_EEXEC);
        CHECK(strstr(d.msg, "timed out") != NULL);
        CHECK_INT_EQ(status, 128 + 9);
        CHECK_STR_EQ(l.text, "draining\n");
        agent_config_release(&cfg);
}

int main(void)
{
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                return 1;
        }
        chmod(base, 0755);
        test_defaults();
        if (geteuid() == 0) {
                test_runs();
                test_timeout();
        } else {
                fprintf(stderr, "not root: hooks cannot be root-owned, only refusals checked\n");
        }
        test_refused();
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", base);
        return fp_test_finish();
}
