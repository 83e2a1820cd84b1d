/*
 * What is installed on a host or an image root, in the shape vulnerability matching needs:
 * every installed package with its source package, the distribution release, and the kernels
 * (installed, and the one running when that can be known).
 */
#ifndef FLEETPATCH_INVENTORY_H
#define FLEETPATCH_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"

struct fp_inv_pkg {
        const char *name;
        const char *arch;
        const char *version;        /* Debian version / RPM "[epoch:]version-release" */
        const char *source;         /* Debian source package / SRPM name; never NULL */
        const char *source_version; /* the source's version (Debian "Source: x (v)"), or version */
        const char *module;         /* RPM: "name:stream" from the release tag when modular */
        bool kernel;                /* a package tied to one kernel build (see inventory.c) */
        const char *kernel_release; /* for kernel packages: the `uname -r` it would run as */
};

struct fp_inventory {
        const char *family;  /* "deb" or "rpm" */
        const char *distro;  /* "debian", "ubuntu", "almalinux", "rocky", "rhel", ... */
        const char *release; /* as in fp_vuln_affected: "bookworm", "22.04", "9" */
        const char *pretty;  /* PRETTY_NAME, may be NULL */
        enum fp_scheme scheme;
        /* `uname -r` of the running kernel; NULL for an image root (nothing runs there). */
        const char *running_kernel;
        struct fp_inv_pkg *pkgs; /* sorted by name, then arch */
        size_t count;
        struct fp_arena arena; /* owns every string */
};

struct fp_inventory_opts {
        const char *root;        /* "/" or an image/sandbox root */
        const char *status_file; /* Debian: dpkg status to read instead of ROOT/var/lib/dpkg/status */
        const char *release;     /* "distro:release" overriding ROOT/etc/os-release */
        const char *running_kernel; /* overrides uname(2); "" = none (an image) */
};

/*
 * Read the installed packages (dpkg status or `rpm -qa`), os-release and kernels. The running
 * kernel comes from uname(2) only when root is "/" (an image root has none).
 */
enum fp_err fp_inventory_load(const struct fp_inventory_opts *opts, struct fp_inventory *out,
                              struct fp_diag *diag);
void fp_inventory_release(struct fp_inventory *inv);

/*
 * Normalize a distribution id and version as os-release gives them (ID, VERSION_ID,
 * VERSION_CODENAME) into the distro/release pair advisories use. Debian numbers become code
 * names; RPM distributions keep the major version. *distro is static; the release is
 * written to release (relsz bytes). false when the distribution is not one we know.
 */
bool fp_release_normalize(const char *id, const char *version_id, const char *codename,
                          const char **distro, char *release, size_t relsz);
/* Debian release number ("12", "3.1") to code name ("bookworm"); NULL if unknown. */
const char *fp_debian_codename(const char *number);

#endif
