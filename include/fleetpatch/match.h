/*
 * Matching installed packages against advisories, and the risk score of what matched.
 *
 * An fp_vindex holds the advisories of some releases in memory together with KEV and EPSS.
 * Each distinct (distro, release, package, version[, arch]) is evaluated once and the answer
 * is shared by every host that has it, so a fleet costs one hash lookup per installed
 * package once the tuples are warm.
 *
 * A finding is one vulnerability (a CVE, or an advisory id when the advisory names no CVE) on
 * one installed package; every advisory that says so is listed in it.
 */
#ifndef FLEETPATCH_MATCH_H
#define FLEETPATCH_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "fleetpatch/vulndb.h"

struct fp_vindex;

/* Load the advisories of (distro, release) — both NULL: every release — with KEV and EPSS. */
enum fp_err fp_vindex_load(struct fp_vulndb *db, const char *distro, const char *release,
                           struct fp_vindex **out, struct fp_diag *diag);
void fp_vindex_free(struct fp_vindex *ix);
/* Affected entries and distinct tuples evaluated so far (for benchmarks and status). */
size_t fp_vindex_entries(const struct fp_vindex *ix);
size_t fp_vindex_tuples(const struct fp_vindex *ix);
/* Sharing evaluated tuples between hosts is on by default; off re-evaluates every package of
 * every host (the reference the benchmark measures sharing against). */
void fp_vindex_share_tuples(struct fp_vindex *ix, bool share);
/* Bound the tuple cache (defaults FP_VINDEX_TUPLES_MAX and FP_VINDEX_TUPLE_BYTES_MAX; SIZE_MAX:
 * unbounded). Reaching either drops the whole cache; results are the same, only slower. At
 * least 2 tuples (one package's source and binary lookups). */
void fp_vindex_set_tuple_limit(struct fp_vindex *ix, size_t max_tuples, size_t max_bytes);

enum fp_finding_status {
        FP_FIND_VULNERABLE,     /* a fixed version exists and is newer than what is installed */
        FP_FIND_UNFIXED,        /* affected, no fix published yet */
        FP_FIND_NODSA,          /* affected, minor: fixed through a point release (Debian) */
        FP_FIND_POSTPONED,      /* affected, fix deferred */
        FP_FIND_WONTFIX,        /* affected, the distribution will not fix it */
        FP_FIND_UNDETERMINED,   /* the distribution has not decided yet */
        FP_FIND_PENDING_REBOOT, /* the running kernel is affected; a fixed one is installed */
        FP_FIND_NOT_RUNNING,    /* an installed kernel that is not running: not exposure */
        FP_FIND_ACCEPTED,       /* an exception accepts the risk until its expiry */
        FP_FIND_DISMISSED,      /* an exception dismisses it (not applicable) until its expiry */
};
const char *fp_finding_status_name(enum fp_finding_status s);
/* Does the status count as the host's exposure? (not for NOT_RUNNING, ACCEPTED, DISMISSED) */
bool fp_finding_exposed(enum fp_finding_status s);

struct fp_finding {
        const struct fp_inv_pkg *pkg;
        const char *vuln;       /* "CVE-2024-1234", or the advisory id */
        const char *advisories; /* "DSA-5380-1 (dsa), CVE-2023-1393 (debian-tracker)" */
        const char *fixed;      /* the version that fixes it (source version for Debian source
                                   advisories), NULL when none is known */
        enum fp_finding_status status;
        enum fp_severity severity; /* the distribution's rating if it gave one, else the
                                      advisory's, else from CVSS */
        double cvss;               /* negative = unknown */
        const char *cvss_vector;   /* of the highest CVSS score, or NULL */
        int64_t published;         /* earliest publication among the advisories; 0 unknown */
        const char *summary;
        const char *note; /* why the status (no-dsa reason, kernel reasoning), may be NULL */
        bool kev;
        int64_t kev_due;
        bool ransomware;
        double epss, epss_percentile; /* negative = unknown */
        /* Filled by fp_score_findings. */
        double score;
        const char *reasons; /* "; "-separated */
        int64_t sla_due;     /* 0 = no SLA for this severity */
        /* Filled by the caller when a scan is available. */
        const char *update; /* candidate version that fixes it */
        /* Filled by fp_apply_exceptions. */
        int64_t exception_id;
};

struct fp_host_findings {
        struct fp_finding *items; /* sorted by package name, then vuln */
        size_t count;
        const char **notes; /* host-level remarks: kernel reasoning, ... */
        size_t note_count;
        struct fp_arena arena;
};

/* Match one host's inventory. The findings point into the inventory (pkg) and into the index
 * (advisory strings, shared by every host): both must outlive them. */
enum fp_err fp_match_host(struct fp_vindex *ix, const struct fp_inventory *inv,
                          struct fp_host_findings *out, struct fp_diag *diag);
void fp_host_findings_release(struct fp_host_findings *hf);

/* ---- risk score and SLA (score.c) --------------------------------------------------------- */

enum fp_criticality { FP_CRIT_LOW, FP_CRIT_MEDIUM, FP_CRIT_HIGH, FP_CRIT_CRITICAL };
enum fp_exposure { FP_EXPO_ISOLATED, FP_EXPO_INTERNAL, FP_EXPO_INTERNET };

struct fp_score_policy {
        /* SLA days per severity (index enum fp_severity); 0 = no deadline. */
        int sla_days[FP_SEV_CRITICAL + 1];
        enum fp_criticality criticality; /* host tag criticality=... (default medium) */
        enum fp_exposure exposure;       /* host tag exposure=... (default internal) */
        int64_t now;
};

/* Defaults: SLA critical 15, high 30, medium 90, low 180 days, negligible/unknown none
 * (unknown: 90); criticality medium, exposure internal, now = fp_now(). */
void fp_score_policy_default(struct fp_score_policy *p);
/* "critical=7,high=30" over the defaults; false with diag on a bad spec. */
bool fp_score_policy_parse_sla(struct fp_score_policy *p, const char *spec, struct fp_diag *diag);
/* Host tags "criticality=high", "exposure=internet" (others ignored); false if a value is bad. */
bool fp_score_policy_tag(struct fp_score_policy *p, const char *tag, struct fp_diag *diag);

/* Score every finding (docs/vulns.md gives the formula) and sort by score, highest first. */
void fp_score_findings(struct fp_host_findings *hf, const struct fp_score_policy *p);

/* Apply active exceptions for this host (name, tags) and note expired ones in the database. */
enum fp_err fp_apply_exceptions(struct fp_vulndb *db, struct fp_host_findings *hf,
                                const char *host, const char *const *tags, size_t ntags,
                                struct fp_diag *diag);

#endif
