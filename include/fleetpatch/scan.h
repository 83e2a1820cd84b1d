/*
 * The answer of a local patch scan: which installed packages have an upgrade candidate, as the
 * distribution's own tool (apt policy / dnf check-update) would choose it.
 */
#ifndef FLEETPATCH_SCAN_H
#define FLEETPATCH_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

struct fp_update {
        const char *name;
        const char *arch;           /* "amd64", "all", "x86_64", "noarch" */
        const char *installed;      /* installed version / EVR */
        const char *candidate;      /* candidate version / EVR */
        const char *source_name;    /* Debian source package (or SRPM name); may equal name */
        const char *source_version; /* source version, may be NULL when it equals candidate */
        const char *origin;         /* Debian: Origin of the candidate's release; RPM: repo id */
        const char *suites;         /* Debian: comma-separated codenames/suites providing the
                                       candidate, e.g. "bookworm-security"; RPM: repo ids */
        bool security;              /* the candidate comes from a security source/advisory */
        /* Added by the Debian scan; RPM leaves them zero. */
        bool held;          /* Debian: dpkg selection "hold" (apt still lists it upgradable) */
        int phased_percent; /* Debian: Phased-Update-Percentage of the candidate (100 = none) */
};

struct fp_scan_opts {
        const char *root;   /* "/" or a sandbox root directory */
        bool security_only; /* keep only security updates */
        /* Debian only, for tests on captured files: NULL = under root. */
        const char *lists_dir;   /* apt lists (default ROOT/var/lib/apt/lists) */
        const char *status_file; /* dpkg status (default ROOT/var/lib/dpkg/status) */
};

/*
 * RPM only: an available package that obsoletes an installed one of another name or version,
 * as `dnf check-update` lists them under "Obsoleting Packages".
 */
struct fp_obsolete {
        const char *name, *arch, *candidate; /* the obsoleting package and its EVR */
        const char *origin;                  /* its repo id */
        const char *old_name, *old_arch, *old_installed; /* the installed package it replaces */
        bool security;
};

struct fp_scan_result {
        const char *family; /* "deb" or "rpm" */
        size_t installed_count;
        struct fp_update *updates; /* sorted by name, then arch */
        size_t count;
        struct fp_arena arena; /* owns every string above (and, for rpm, the arrays below) */
        /* RPM: obsoleting packages (zero-initialised by fp_scan_deb). */
        struct fp_obsolete *obsoletes;
        size_t obsolete_count;
        /* Things the answer does not cover, e.g. "repository 'x' ...: its updates are not
         * known". The scan still succeeds; the programs should print them. */
        const char **warnings;
        size_t warning_count;
};

/* Which package family a root holds: "deb", "rpm", or NULL if neither is found. */
const char *fp_scan_detect_family(const char *root);

enum fp_err fp_scan_deb(const struct fp_scan_opts *opts, struct fp_scan_result *out,
                        struct fp_diag *diag);
enum fp_err fp_scan_rpm(const struct fp_scan_opts *opts, struct fp_scan_result *out,
                        struct fp_diag *diag);
void fp_scan_result_release(struct fp_scan_result *res);

#endif
