/*
 * Job types and parameters as they travel from fleetpatchd to the agent (docs/jobs.md). The
 * server checks them when a job is queued and the agent checks them again before it acts:
 * one strict parser for both, with every limit of limits.h and a JSON path in each error.
 */
#ifndef FLEETPATCH_JOBWIRE_H
#define FLEETPATCH_JOBWIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

enum fp_job_type {
        FP_JOBT_SCAN,
        FP_JOBT_INSTALL,
        FP_JOBT_UPGRADE_APPROVED,
        FP_JOBT_ROLLBACK,
        FP_JOBT_REBOOT,
        FP_JOBT_HOOK,
};
/* "scan", "install", "upgrade-approved", "rollback", "reboot", "hook". */
const char *fp_job_type_name(enum fp_job_type t);
/* Also accepts "rescan" (the issue-5 name of scan). false for anything else. */
bool fp_job_type_parse(const char *s, enum fp_job_type *out);

enum fp_reboot_policy { FP_REBOOT_NEVER, FP_REBOOT_IF_NEEDED, FP_REBOOT_ALWAYS };
const char *fp_reboot_policy_name(enum fp_reboot_policy p);

struct fp_job_pkg {
        const char *name, *arch, *version; /* arch may be NULL */
};

/* Name patterns of "blocked" (install, upgrade-approved): at most this many, each at most
 * FP_MAX_NAME_LEN bytes. */
#define FP_MAX_JOB_BLOCKED 256

struct fp_job_params {
        enum fp_job_type type;
        bool refresh;                  /* scan (default true) */
        struct fp_job_pkg *pkgs;       /* install, upgrade-approved, rollback by packages */
        size_t pkg_count;
        bool allow_remove, allow_downgrade, simulate;
        enum fp_reboot_policy reboot;  /* install, upgrade-approved, rollback */
        const char *rollback_job;      /* rollback {"job": id}: 16 hex */
        bool force;                    /* reboot */
        const char *hook;              /* hook: [a-z0-9][a-z0-9-]{0,31} */
        const char **blocked;          /* install, upgrade-approved: name patterns (* and ?) the
                                        * plan must not install or upgrade as a dependency */
        size_t blocked_count;
        struct fp_arena arena;         /* owns pkgs and every string */
};

/*
 * Check params (an object; NULL is taken as {}) for a job of type t, as the agent receives
 * it: install/upgrade-approved need 1..FP_MAX_JOB_PACKAGES exact pairs, no name twice with
 * the same arch; rollback needs exactly one of "job" and "packages". family ("deb", "rpm" or
 * NULL when unknown) selects the name and version rules. Unknown members, wrong types and bad
 * values are FP_EPARSE / FP_ELIMIT with diag->field = "params.packages[3].version" etc.
 * On error out holds nothing (releasing it again is harmless).
 */
enum fp_err fp_job_params_parse(enum fp_job_type t, const json_t *params, const char *family,
                                struct fp_job_params *out, struct fp_diag *diag);
/* The canonical params object (what the server stores and sends). NULL on ENOMEM. */
json_t *fp_job_params_build(const struct fp_job_params *p);
void fp_job_params_release(struct fp_job_params *p);

/* Package names of a family: Debian [a-z0-9][a-z0-9+.-]+ (policy 5.6.1; one letter is
 * accepted too), RPM: printable, no whitespace or '/', not starting with '-'. */
bool fp_job_pkg_name_ok(const char *family, const char *name);
bool fp_job_hook_name_ok(const char *name);
/* A "blocked" pattern: a package name of the family in which * and ? may stand for characters
 * (fnmatch without brackets, backslashes or FNM_PERIOD); no "=". */
bool fp_job_blocked_pattern_ok(const char *family, const char *pattern);
/* The first of p's blocked patterns that matches name (fnmatch as above), else NULL. */
const char *fp_job_blocked_match(const struct fp_job_params *p, const char *name);

#endif
