/* The agent's state directory (state.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/daemon/state.h"

static enum fp_err io_fail(struct fp_diag *diag, const char *path, const char *what)
{
        int e = errno;
        fp_diag_set(diag, path, 0, NULL, "%s: %s", what, strerror(e));
        return e == ENOENT ? FP_ENOENT : e == EACCES || e == EPERM ? FP_EACCES : FP_EIO;
}

enum fp_err state_open(const char *dir, struct fp_diag *diag)
{
        struct stat st;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                return io_fail(diag, dir, "cannot create the state directory");
        if (stat(dir, &st) != 0)
                return io_fail(diag, dir, "cannot stat the state directory");
        if (!S_ISDIR(st.st_mode)) {
                fp_diag_set(diag, dir, 0, NULL, "not a directory");
                return FP_EINVAL;
        }
        /* the credential lives here: nobody else may list or enter it */
        if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) != 0)
                return io_fail(diag, dir, "cannot set mode 0700");
        return FP_OK;
}

enum fp_err state_read(const char *dir, const char *name, char *out, size_t outsz,
                       struct fp_diag *diag)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        out[0] = '\0';
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return io_fail(diag, path, "cannot open");
        char buf[STATE_MAX_FILE + 1];
        ssize_t n = read(fd, buf, STATE_MAX_FILE);
        int e = errno;
        close(fd);
        if (n < 0) {
                errno = e;
                return io_fail(diag, path, "cannot read");
        }
        buf[n] = '\0';
        size_t len = strcspn(buf, "\r\n");
        while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
                len--;
        if (len >= outsz) {
                fp_diag_set(diag, path, 0, NULL, "longer than %zu bytes", outsz - 1);
                return FP_ELIMIT;
        }
        memcpy(out, buf, len);
        out[len] = '\0';
        return FP_OK;
}

enum fp_err state_write(const char *dir, const char *name, const char *data, struct fp_diag *diag)
{
        char path[4096], tmp[4200];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
        (void)unlink(tmp);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return io_fail(diag, tmp, "cannot create");
        size_t len = strlen(data);
        bool ok = write(fd, data, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
        ok = ok && fsync(fd) == 0;
        int e = errno;
        if (close(fd) != 0 && ok) {
                ok = false;
                e = errno;
        }
        if (!ok) {
                (void)unlink(tmp);
                errno = e;
                return io_fail(diag, tmp, "cannot write");
        }
        if (rename(tmp, path) != 0) {
                e = errno;
                (void)unlink(tmp);
                errno = e;
                return io_fail(diag, path, "cannot rename into place");
        }
        /* the rename itself must survive a crash too */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                ok = fsync(dfd) == 0;
                e = errno;
                close(dfd);
                if (!ok) {
                        errno = e;
                        return io_fail(diag, dir, "cannot sync the directory");
                }
        }
        return FP_OK;
}

enum fp_err state_read_seq(const char *dir, uint64_t *out, struct fp_diag *diag)
{
        char buf[32];
        *out = 0;
        enum fp_err err = state_read(dir, "seq", buf, sizeof(buf), diag);
        if (err == FP_ENOENT) {
                fp_diag_clear(diag);
                return FP_OK;
        }
        if (err != FP_OK)
                return err;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (errno || end == buf || *end || buf[0] == '-') {
                fp_diag_set(diag, dir, 0, "seq", "'%s' is not a sequence number", buf);
                return FP_ECORRUPT;
        }
        *out = (uint64_t)v;
        return FP_OK;
}

enum fp_err state_write_seq(const char *dir, uint64_t seq, struct fp_diag *diag)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu64, seq);
        return state_write(dir, "seq", buf, diag);
}

void state_remove(const char *dir, const char *name)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        (void)unlink(path);
}
