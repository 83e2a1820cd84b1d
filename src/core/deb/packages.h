/*
 * Binary package records as dpkg's status file and apt's Packages indexes carry them: only
 * the fields a patch scan needs (name, version, architecture, source, Multi-Arch, phasing,
 * and for the status file the want/state pair).
 */
#ifndef FP_CORE_DEB_PACKAGES_H
#define FP_CORE_DEB_PACKAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/deb/deb822.h"
#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

enum fp_dpkg_want { FP_WANT_UNKNOWN, FP_WANT_INSTALL, FP_WANT_HOLD, FP_WANT_DEINSTALL,
                    FP_WANT_PURGE };

enum fp_dpkg_state {
        FP_STATE_NOT_INSTALLED,
        FP_STATE_CONFIG_FILES,
        FP_STATE_HALF_INSTALLED,
        FP_STATE_UNPACKED,
        FP_STATE_HALF_CONFIGURED,
        FP_STATE_TRIGGERS_AWAITED,
        FP_STATE_TRIGGERS_PENDING,
        FP_STATE_INSTALLED,
};

struct fp_deb_pkg {
        /* NUL-terminated copies in the caller's arena. */
        const char *name;
        const char *version;        /* NULL only for status stanzas that are not installed */
        const char *arch;           /* "amd64", "all", ...; NULL if absent */
        const char *source;         /* Source: name, or the package name when absent */
        const char *source_version; /* version in "Source: src (ver)", else NULL */
        const char *multi_arch;     /* "same", "foreign", "allowed" or NULL */
        int phased;                 /* Phased-Update-Percentage, 100 when absent */
        enum fp_dpkg_want want;     /* status file only */
        enum fp_dpkg_state state;   /* status file only */
        unsigned long line;         /* first line of the stanza */
};

/* The version apt and dpkg consider installed: every state but not-installed/config-files. */
bool fp_deb_pkg_installed(const struct fp_deb_pkg *p);

/*
 * Fill a record from a parsed stanza. status selects the dpkg status rules (Status field
 * required). A missing Package, a missing or refused Version (dpkg's own reason), a bad
 * Status or Source field are FP_EPARSE with diag naming file, line and field.
 */
enum fp_err fp_deb_pkg_from_stanza(const struct fp_deb822_stanza *st, bool status,
                                   const char *file, struct fp_arena *arena,
                                   struct fp_deb_pkg *out, struct fp_diag *diag);

struct fp_dpkg_status {
        struct fp_deb_pkg *pkgs; /* malloc'd; strings in the arena given to the parser */
        size_t count;
        size_t cap;
};

/* Parse a whole dpkg status file (every stanza, installed or not). */
enum fp_err fp_dpkg_status_parse(const char *buf, size_t len, const char *file,
                                 struct fp_arena *arena, struct fp_dpkg_status *out,
                                 struct fp_diag *diag);
void fp_dpkg_status_release(struct fp_dpkg_status *st);

#endif
