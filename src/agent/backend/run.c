/* Running a package manager or a hook for a job (run.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/backend/run.h"
#include "agent/inventory/exec.h"

/* Extra environment entries beyond PATH and LC_ALL. */
#define RUN_MAX_ENV 30

static uint64_t total_ns;

uint64_t run_total_ns(void)
{
        return total_ns;
}

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collects bytes into lines for the log callback; a line beyond RUN_MAX_LINE is cut. */
struct line_acc {
        char line[RUN_MAX_LINE + 1];
        size_t len;
        bool cut; /* the current line was cut: drop the rest of it */
        const struct run_opts *o;
};

static void line_flush(struct line_acc *l)
{
        l->line[l->len] = '\0';
        if (l->o->log)
                l->o->log(l->o->log_ctx, l->line);
        l->len = 0;
}

static void line_feed(struct line_acc *l, const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char c = p[i];
                if (c == '\n') {
                        if (!l->cut || l->len)
                                line_flush(l);
                        l->cut = false;
                        continue;
                }
                if (l->cut)
                        continue;
                if (l->len == RUN_MAX_LINE) {
                        line_flush(l);
                        l->cut = true;
                        continue;
                }
                /* control characters (apt's progress uses \r) would garble a log line */
                l->line[l->len++] =
                    (c == '\r' || c == '\t' || (unsigned char)c >= 0x20) && c != 0x7f
                        ? (c == '\r' || c == '\t' ? ' ' : c)
                        : '?';
        }
}

static void kill_group(pid_t pid)
{
        /* the child leads its own process group: its children (dpkg, maintainer scripts) go too */
        if (kill(-pid, SIGKILL) != 0)
                kill(pid, SIGKILL);
}

enum fp_err run_program(const struct run_opts *o, struct run_result *res, struct fp_diag *d)
{
        char prog[PATH_MAX], pathenv[PATH_MAX + 8];
        const char *envp[RUN_MAX_ENV + 3];
        size_t envc = 0;
        int pfd[2] = {-1, -1};
        const char *path = getenv("PATH");
        struct line_acc *acc;
        bool out_full = false;

        memset(res, 0, sizeof(*res));
        if (!o->argv || !o->argv[0]) {
                fp_diag_set(d, NULL, 0, NULL, "no program to run");
                return FP_EINVAL;
        }
        if (!fp_exec_resolve(o->argv[0], prog, sizeof(prog))) {
                fp_diag_set(d, o->argv[0], 0, NULL, "program not found or not executable");
                return FP_ENOENT;
        }
        snprintf(pathenv, sizeof(pathenv), "PATH=%s", path && *path ? path : FP_EXEC_DEFAULT_PATH);
        envp[envc++] = pathenv;
        envp[envc++] = "LC_ALL=C";
        for (size_t i = 0; o->env && o->env[i]; i++) {
                if (envc == RUN_MAX_ENV + 2) {
                        fp_diag_set(d, o->argv[0], 0, NULL, "more than %d environment entries",
                                    RUN_MAX_ENV);
                        return FP_ELIMIT;
                }
                envp[envc++] = o->env[i];
        }
        envp[envc] = NULL;

        acc = calloc(1, sizeof(*acc));
        if (!acc)
                return FP_ENOMEM;
        uint64_t started = now_ns();
        acc->o = o;
        if (pipe2(pfd, O_CLOEXEC) != 0) {
                fp_diag_set(d, o->argv[0], 0, NULL, "pipe: %s", strerror(errno));
                free(acc);
                return FP_EIO;
        }
        pid_t pid = fork();
        if (pid < 0) {
                fp_diag_set(d, o->argv[0], 0, NULL, "fork: %s", strerror(errno));
                close(pfd[0]);
                close(pfd[1]);
                free(acc);
                return FP_EEXEC;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY);
                (void)setpgid(0, 0);
                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pfd[1], 1) < 0 ||
                    dup2(pfd[1], 2) < 0)
                        _exit(127);
                if (o->cwd && chdir(o->cwd) != 0)
                        _exit(126);
                signal(SIGPIPE, SIG_DFL);
                /* argv/envp are const for callers; execve's prototype predates const */
                execve(prog, (char *const *)o->argv, (char *const *)envp);
                _exit(127);
        }
        (void)setpgid(pid, pid); /* also in the parent, so kill(-pid) works at once */
        close(pfd[1]);

        int64_t deadline = o->timeout > 0 ? now_ms() + o->timeout * 1000 : 0;
        for (;;) {
                struct pollfd fds = {pfd[0], POLLIN, 0};
                int wait_ms = -1;
                char chunk[16384];
                if (deadline) {
                        int64_t left = deadline - now_ms();
                        if (left <= 0) {
                                res->timed_out = true;
                                kill_group(pid);
                                break;
                        }
                        wait_ms = left > INT_MAX ? INT_MAX : (int)left;
                }
                int pr = poll(&fds, 1, wait_ms);
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr < 0) {
                        kill_group(pid);
                        break;
                }
                if (pr == 0)
                        continue; /* the deadline check above kills it */
                ssize_t n = read(pfd[0], chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                line_feed(acc, chunk, (size_t)n);
                if (o->out && !out_full) {
                        size_t room = o->out->max > o->out->len ? o->out->max - o->out->len : 0;
                        size_t k = (size_t)n < room ? (size_t)n : room;
                        if (k && fp_buf_add(o->out, chunk, k) != FP_OK)
                                out_full = true;
                        if (k < (size_t)n)
                                out_full = true;
                }
        }
        if (acc->len)
                line_flush(acc);
        close(pfd[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        fp_diag_set(d, o->argv[0], 0, NULL, "waitpid: %s", strerror(errno));
                        free(acc);
                        return FP_EEXEC;
                }
        }
        free(acc);
        total_ns += now_ns() - started;
        if (WIFEXITED(status))
                res->status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                res->status = 128 + WTERMSIG(status);
        if (res->timed_out)
                fp_diag_set(d, o->argv[0], 0, NULL, "killed after %ld s (timeout)", o->timeout);
        else if (res->status == 126 && o->cwd)
                fp_diag_set(d, o->argv[0], 0, NULL, "exited with status 126 (cannot enter %s?)",
                            o->cwd);
        return FP_OK;
}
