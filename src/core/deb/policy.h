/*
 * apt's candidate selection (pkgPolicy): priorities of index files, pins on versions, and
 * the candidate version of each installed package. Pure: the caller supplies the indexes,
 * the versions found in them and the pins.
 */
#ifndef FP_CORE_DEB_POLICY_H
#define FP_CORE_DEB_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/deb/packages.h"
#include "core/deb/preferences.h"
#include "core/deb/release.h"
#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

/* One Packages index (apt's PkgFile) or the dpkg status file. */
struct fp_apt_index {
        const struct fp_release *release; /* NULL: no Release file, or the status file */
        const char *site;                 /* repository host; "" for file: URIs and status */
        const char *component;            /* "main"; NULL if unknown */
        const char *arch;                 /* "amd64" of binary-amd64; NULL if unknown */
        const char *name;                 /* file name, for reports */
        bool status;                      /* the dpkg status file (apt's "now") */
};

struct fp_apt_vfile {
        size_t index; /* into the policy's index array */
        struct fp_apt_vfile *next;
};

struct fp_apt_ver {
        const char *version;
        const char *arch; /* the stanza's Architecture ("all" or the package's arch) */
        const char *source;
        const char *source_version; /* NULL: same as version */
        int phased;                 /* Phased-Update-Percentage */
        struct fp_apt_vfile *files;
        struct fp_apt_ver *next; /* newest first, like apt's VersionList */
};

/* A package as apt sees it: a name and an architecture ("all" is the native one). */
struct fp_apt_pkg {
        const char *name;
        const char *arch;
        struct fp_apt_ver *versions;
        struct fp_apt_ver *installed; /* NULL if not installed */
        bool held;                    /* dpkg want state "hold" */
};

struct fp_apt_policy {
        const struct fp_apt_index *indexes;
        size_t nindexes;
        int *prio; /* per index, malloc'd */
        const struct fp_pins *pins;
        const char *native_arch;
};

/*
 * Compute each index's priority as apt does: 500, 100 for the status file and for
 * ButAutomaticUpgrades, 1 for NotAutomatic; then APT::Default-Release (990, if given)
 * and the "Package: *" pins, first match wins. A Default-Release that names no
 * available release is FP_EINVAL (apt refuses it too).
 */
enum fp_err fp_apt_policy_init(struct fp_apt_policy *pol, const struct fp_apt_index *indexes,
                               size_t nindexes, const struct fp_pins *pins,
                               const char *default_release, const char *native_arch,
                               struct fp_diag *diag);
void fp_apt_policy_release(struct fp_apt_policy *pol);

int fp_apt_index_priority(const struct fp_apt_policy *pol, size_t index);

/* Priority of one version of pkg (apt's GetPriority(Ver, true)). */
int fp_apt_version_priority(const struct fp_apt_policy *pol, const struct fp_apt_pkg *pkg,
                            const struct fp_apt_ver *ver);

/* The candidate (apt's GetCandidateVer), or NULL. */
const struct fp_apt_ver *fp_apt_candidate(const struct fp_apt_policy *pol,
                                          const struct fp_apt_pkg *pkg);

/* True if cand is an upgrade of the installed version (apt's Upgradable()). */
bool fp_apt_upgradable(const struct fp_apt_pkg *pkg, const struct fp_apt_ver *cand);

/*
 * Add one version found in index (status: the installed one) to pkg, merging equal version
 * strings and keeping the list newest first. The record's strings must outlive pkg.
 */
enum fp_err fp_apt_pkg_add(struct fp_arena *arena, struct fp_apt_pkg *pkg,
                           const struct fp_deb_pkg *rec, size_t index, bool installed);

/* apt's pkgVersionMatch::ExpressionMatches: /regex/ (extended, no case) or a glob. */
bool fp_apt_expression_matches(const char *pattern, const char *s);

#endif
