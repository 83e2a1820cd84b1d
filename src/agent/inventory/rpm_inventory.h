/* I/O half of the RPM scan: the rpm database and dnf's repository configuration and metadata. */
#ifndef FP_AGENT_RPM_INVENTORY_H
#define FP_AGENT_RPM_INVENTORY_H

#include <stdbool.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/error.h"

/* The rpm database directory of root relative to it ("/var/lib/rpm", ...), or NULL. */
const char *fp_rpm_db_path(const char *root);

/* What identifies the state of ROOT's rpm database: inode, size and mtime of its files, into
 * out; "none" without a database, "" when it does not fit (never equal to another key). */
void fp_rpm_db_key(const char *root, char *out, size_t n);

/* Installed packages from `rpm --root ROOT --dbpath DB -qa --qf ...`. */
enum fp_err fp_rpm_db_read(const char *root, fp_rpm_pkg_cb cb, void *ud, struct fp_diag *diag);

struct fp_dnf_repo {
        char *id;
        char *file; /* the .repo file that defines it, for messages */
        unsigned long line;
        bool enabled;
        bool skip_if_unavailable;
        int priority;
        char *baseurl; /* expanded, newline-separated list as written */
        char *metalink, *mirrorlist;
        char *exclude;     /* exclude= and excludepkgs=, space-joined, may be NULL */
        char *includepkgs; /* may be NULL */
};

struct fp_dnf_config {
        char *exclude;     /* [main] exclude/excludepkgs */
        char *includepkgs; /* [main] includepkgs */
        bool obsoletes;    /* [main] obsoletes (default true) */
        struct fp_dnf_repo *repos;
        size_t nrepos;
};

/*
 * Read ROOT/etc/dnf/dnf.conf (or yum.conf), then every *.repo in reposdir (default
 * /etc/yum.repos.d, /etc/yum/repos.d, /etc/distro.repos.d, all inside root), expanding
 * $releasever, $basearch, $arch and ROOT/etc/dnf/vars/<name>.
 */
enum fp_err fp_dnf_config_load(const char *root, struct fp_dnf_config *out, struct fp_diag *diag);
void fp_dnf_config_release(struct fp_dnf_config *cfg);

/*
 * Load one enabled repo's metadata: primary packages to pkg_cb, updateinfo packages to adv_cb
 * (either may be NULL to skip that file).
 * Returns FP_ENOTFOUND (with the reason in diag) when there is no local copy to read: a remote
 * repo without a dnf cache. Corrupt or inconsistent metadata is an error naming the file.
 */
enum fp_err fp_dnf_repo_load(const char *root, const struct fp_dnf_repo *repo, fp_rpm_pkg_cb pkg_cb,
                             fp_advisory_cb adv_cb, void *ud, struct fp_diag *diag);

/* Same, for a repository directory (the one holding repodata/), as used by tests and fuzzing. */
enum fp_err fp_dnf_repodir_load(const char *dir, fp_rpm_pkg_cb pkg_cb, fp_advisory_cb adv_cb,
                                void *ud, struct fp_diag *diag);

#endif
