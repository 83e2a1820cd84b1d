/* Running a helper program (rpm) without a shell, with bounded output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/inventory/exec.h"

#define STDERR_KEEP 400

bool fp_exec_resolve(const char *prog, char *out, size_t outsz)
{
        const char *path = getenv("PATH");

        if (strchr(prog, '/')) {
                snprintf(out, outsz, "%s", prog);
                return access(out, X_OK) == 0;
        }
        if (!path || !*path)
                path = FP_EXEC_DEFAULT_PATH;
        while (*path) {
                size_t n = strcspn(path, ":");
                if (n > 0 && (size_t)snprintf(out, outsz, "%.*s/%s", (int)n, path, prog) < outsz &&
                    access(out, X_OK) == 0)
                        return true;
                path += n;
                if (*path == ':')
                        path++;
        }
        return false;
}

enum fp_err fp_exec_capture(const char *const argv[], struct fp_buf *out, struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        char prog[4096], pathenv[4200];
        char errbuf[STDERR_KEEP + 1];
        size_t errlen = 0;
        int outp[2] = {-1, -1}, errp[2] = {-1, -1};
        pid_t pid = -1;
        int status = 0;
        const char *path = getenv("PATH");

        if (!fp_exec_resolve(argv[0], prog, sizeof(prog))) {
                fp_diag_set(diag, argv[0], 0, NULL, "program not found in PATH");
                return FP_ENOENT;
        }
        snprintf(pathenv, sizeof(pathenv), "PATH=%s", path && *path ? path : FP_EXEC_DEFAULT_PATH);
        char *const envp[] = {pathenv, "LC_ALL=C", NULL};
        if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
                fp_diag_set(diag, argv[0], 0, NULL, "pipe: %s", strerror(errno));
                err = FP_EIO;
                goto out;
        }
        pid = fork();
        if (pid < 0) {
                fp_diag_set(diag, argv[0], 0, NULL, "fork: %s", strerror(errno));
                err = FP_EEXEC;
                goto out;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY);
                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outp[1], 1) < 0 ||
                    dup2(errp[1], 2) < 0)
                        _exit(127);
                /* argv is const for callers; execve's prototype predates const. */
                execve(prog, (char *const *)argv, envp);
                _exit(127);
        }
        close(outp[1]);
        close(errp[1]);
        outp[1] = errp[1] = -1;
        for (;;) {
                struct pollfd fds[2] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
                char chunk[65536];
                int open_fds = (outp[0] >= 0) + (errp[0] >= 0);

                if (open_fds == 0)
                        break;
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        fp_diag_set(diag, argv[0], 0, NULL, "poll: %s", strerror(errno));
                        err = FP_EIO;
                        goto out;
                }
                for (int i = 0; i < 2; i++) {
                        int *fd = i == 0 ? &outp[0] : &errp[0];
                        ssize_t n;
                        if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        n = read(*fd, chunk, sizeof(chunk));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                close(*fd);
                                *fd = -1;
                                continue;
                        }
                        if (i == 1) {
                                size_t k = (size_t)n;
                                if (k > STDERR_KEEP - errlen)
                                        k = STDERR_KEEP - errlen;
                                memcpy(errbuf + errlen, chunk, k);
                                errlen += k;
                                continue;
                        }
                        err = fp_buf_add(out, chunk, (size_t)n);
                        if (err != FP_OK) {
                                if (err == FP_ELIMIT)
                                        fp_diag_set(diag, argv[0], 0, NULL,
                                                    "output larger than %zu bytes", out->max);
                                else
                                        fp_diag_set(diag, argv[0], 0, NULL, "%s", fp_strerror(err));
                                goto out;
                        }
                }
        }
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        fp_diag_set(diag, argv[0], 0, NULL, "waitpid: %s", strerror(errno));
                        err = FP_EEXEC;
                        goto out;
                }
        }
        pid = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                errbuf[errlen] = '\0';
                while (errlen && (errbuf[errlen - 1] == '\n' || errbuf[errlen - 1] == '\r'))
                        errbuf[--errlen] = '\0';
                fp_diag_set(diag, argv[0], 0, NULL, "%s %d%s%s",
                            WIFEXITED(status) ? "exited with status" : "killed by signal",
                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                            errlen ? ": " : "", errbuf);
                err = FP_EEXEC;
        }
out:
        if (pid > 0) {
                /* Our own child, stopped early (output limit or an I/O error). */
                kill(pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        }
        for (int i = 0; i < 2; i++) {
                if (outp[i] >= 0)
                        close(outp[i]);
                if (errp[i] >= 0)
                        close(errp[i]);
        }
        return err;
}
