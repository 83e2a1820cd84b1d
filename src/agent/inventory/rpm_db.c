/* Installed packages of an RPM root, read by running rpm itself (the database format is rpm's). */
#include <stdio.h>
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

enum fp_err fp_rpm_db_read(const char *root, fp_rpm_pkg_cb cb, void *ud, struct fp_diag *diag)
{
        enum fp_err err;
        struct fp_buf out;
        const char *db = fp_rpm_db_path(root);
        char name[4200];

        fp_buf_init(&out, FP_MAX_RPM_QA_OUTPUT);
        if (!db) {
                fp_diag_set(diag, root, 0, NULL,
                            "no rpm database (var/lib/rpm, usr/lib/sysimage/rpm, root/.rpmdb)");
                err = FP_ENOENT;
                goto out;
        }
        const char *const argv[] = {"rpm",  "--root",         root, "--dbpath", db, "-qa",
                                    "--qf", FP_RPM_QF_FORMAT, NULL};
        err = fp_exec_capture(argv, &out, diag);
        if (err != FP_OK)
                goto out;
        snprintf(name, sizeof(name), "rpm --root %s -qa", root);
        err = fp_rpm_qf_parse(out.ptr, out.len, name, cb, ud, diag);
out:
        fp_buf_release(&out);
        return err;
}
