/* Installed packages of an RPM root, read by running rpm itself (the database format is rpm's). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/inventory/exec.h"
#include "agent/inventory/rpm_inventory.h"

const char *fp_rpm_db_path(const char *root)
{
        /* Distribution defaults first; /root/.rpmdb is Debian's rpm default (_dbpath ~/.rpmdb),
         * which is where Debian's dnf puts an installroot's database. */
        static const char *const cands[] = {"/var/lib/rpm", "/usr/lib/sysimage/rpm",
                                            "/root/.rpmdb"};
        static const char *const files[] = {"rpmdb.sqlite", "Packages", "Packages.db"};
        char path[4096];
        struct stat st;

        for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
                for (size_t j = 0; j < sizeof(files) / sizeof(files[0]); j++) {
                        snprintf(path, sizeof(path), "%s%s/%s", root, cands[i], files[j]);
                        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                                return cands[i];
                }
        }
        return NULL;
}

/*
 * The last `rpm -qa` output, kept while the database files are unchanged: running rpm costs
 * tens of milliseconds, and one agent job reads the same database several times in a row
 * (the inventory before, the dnf backend's plan) with nothing changing in between. A
 * transaction, or anyone else's change, alters a file's inode, size or mtime and so the key.
 */
static struct {
        pthread_mutex_t lock;
        char key[1024];
        char root[4096];
        char *text;
        size_t len;
} qa_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void db_key(const char *root, const char *db, char *out, size_t n)
{
        static const char *const files[] = {"rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages",
                                            "Packages.db"};
        size_t len = 0;
        out[0] = '\0';
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char path[4200];
                struct stat st;
                snprintf(path, sizeof(path), "%s%s/%s", root, db, files[i]);
                if (stat(path, &st) != 0)
                        continue;
                int k = snprintf(out + len, n - len, "%s:%lu:%lld:%lld.%09ld;", files[i],
                                 (unsigned long)st.st_ino, (long long)st.st_size,
                                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
                if (k < 0 || (size_t)k >= n - len) {
                        out[0] = '\0'; /* no key: never reused */
                        return;
                }
                len += (size_t)k;
        }
}

void fp_rpm_db_key(const char *root, char *out, size_t n)
{
        const char *db = fp_rpm_db_path(root);
        if (!db) {
                snprintf(out, n, "none");
                return;
        }
        db_key(root, db, out, n);
}

enum fp_err fp_rpm_db_read(const char *root, fp_rpm_pkg_cb cb, void *ud, struct fp_diag *diag)
{
        enum fp_err err;
        struct fp_buf out;
        const char *db = fp_rpm_db_path(root);
        char name[4200], key[sizeof(qa_cache.key)];

        fp_buf_init(&out, FP_MAX_RPM_QA_OUTPUT);
        if (!db) {
                fp_diag_set(diag, root, 0, NULL,
                            "no rpm database (var/lib/rpm, usr/lib/sysimage/rpm, root/.rpmdb)");
                return FP_ENOENT;
        }
        snprintf(name, sizeof(name), "rpm --root %s -qa", root);
        /* the key of before the run: a change during it makes the next call run rpm again */
        db_key(root, db, key, sizeof(key));
        pthread_mutex_lock(&qa_cache.lock);
        if (key[0] && qa_cache.text && strcmp(key, qa_cache.key) == 0 &&
            strcmp(root, qa_cache.root) == 0) {
                err = fp_buf_add(&out, qa_cache.text, qa_cache.len);
                pthread_mutex_unlock(&qa_cache.lock);
                if (err == FP_OK)
                        err = fp_rpm_qf_parse(out.ptr, out.len, name, cb, ud, diag);
                fp_buf_release(&out);
                return err;
        }
        pthread_mutex_unlock(&qa_cache.lock);

        const char *const argv[] = {"rpm",  "--root",         root, "--dbpath", db, "-qa",
                                    "--qf", FP_RPM_QF_FORMAT, NULL};
        err = fp_exec_capture(argv, &out, diag);
        if (err == FP_OK && key[0] && strlen(root) < sizeof(qa_cache.root)) {
                char *copy = malloc(out.len + 1);
                if (copy) {
                        memcpy(copy, out.ptr ? out.ptr : "", out.len);
                        copy[out.len] = '\0';
                        pthread_mutex_lock(&qa_cache.lock);
                        free(qa_cache.text);
                        qa_cache.text = copy;
                        qa_cache.len = out.len;
                        snprintf(qa_cache.key, sizeof(qa_cache.key), "%s", key);
                        snprintf(qa_cache.root, sizeof(qa_cache.root), "%s", root);
                        pthread_mutex_unlock(&qa_cache.lock);
                }
        }
        if (err == FP_OK)
                err = fp_rpm_qf_parse(out.ptr, out.len, name, cb, ud, diag);
        fp_buf_release(&out);
        return err;
}
