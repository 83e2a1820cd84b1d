/*
 * Vulnerability intelligence: the one normalized advisory model every feed parser produces,
 * the feed sink they hand records to, and the KEV/EPSS side tables.
 *
 * Parsers are pure (buffer in, callbacks out). A feed-level failure (not JSON at all, truncated
 * input, wrong top-level shape) is their return value; a broken *record* is reported through
 * sink->reject with the reason, and the parser goes on with the next record.
 *
 * Everything a parser hands to a callback is a view valid only during that callback; the
 * receiver copies what it keeps (the vulnerability database does).
 */
#ifndef FLEETPATCH_VULN_H
#define FLEETPATCH_VULN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

/* Ordered: a larger value is more severe. */
enum fp_severity {
        FP_SEV_UNKNOWN = 0, /* not rated ("not yet assigned", missing) */
        FP_SEV_NEGLIGIBLE,  /* Debian "unimportant", Ubuntu "negligible" */
        FP_SEV_LOW,
        FP_SEV_MEDIUM,      /* Red Hat "Moderate" */
        FP_SEV_HIGH,        /* Red Hat "Important" */
        FP_SEV_CRITICAL,
};

/* "unknown", "negligible", "low", "medium", "high", "critical". */
const char *fp_severity_name(enum fp_severity s);
/*
 * Vendor words to a severity, case-insensitive: the names above, "unimportant", "moderate",
 * "important", "none", "not yet assigned", Debian's trailing "**" (urgency "high**") and
 * "end-of-life". Unknown words give FP_SEV_UNKNOWN and return false.
 */
bool fp_severity_parse(const char *word, enum fp_severity *out);
/* CVSS v3/v4 qualitative rating of a base score: 0 none(unknown), <4 low, <7 medium, <9 high. */
enum fp_severity fp_severity_from_cvss(double score);

/*
 * Dates: "2024-07-16", "2024-07-16T12:34:56Z", "2024-07-16T12:34:56.123+02:00",
 * "2024-07-16 12:34:56" (UTC assumed) to Unix seconds. false on anything else.
 */
bool fp_parse_date(const char *s, int64_t *out);
/* Current time in Unix seconds; the environment variable FP_NOW=<date> pins it (tests). */
int64_t fp_now(void);
/* "2024-07-16T12:34:56Z" into out (at least 21 bytes); "" for 0. */
void fp_format_date(int64_t t, char out[32]);

/* ---- the model ---------------------------------------------------------------------------- */

/* Where a record came from; also the feed's format name on the command line. */
#define FP_FEED_KINDS(X)                                                                           \
        X(OSV, "osv")                       /* OSV JSON records */                                 \
        X(DEBIAN_TRACKER, "debian-tracker") /* security-tracker.debian.org/tracker/data/json */   \
        X(DSA, "dsa")                       /* data/DSA/list */                                    \
        X(DLA, "dla")                       /* data/DLA/list */                                    \
        X(RPM_ERRATA, "rpm-errata")         /* Alma/Rocky/Oracle/Amazon errata, vuln-list shape */ \
        X(CSAF, "csaf")                     /* Red Hat CSAF / VEX */                               \
        X(KEV, "kev")                       /* CISA KEV JSON or CSV */                             \
        X(EPSS, "epss")                     /* FIRST EPSS CSV */

enum fp_feed_kind {
#define FP_FEED_ENUM(name, str) FP_FEED_##name,
        FP_FEED_KINDS(FP_FEED_ENUM)
#undef FP_FEED_ENUM
                FP_FEED__COUNT
};
const char *fp_feed_kind_name(enum fp_feed_kind k);
bool fp_feed_kind_parse(const char *s, enum fp_feed_kind *out);

/* What the advisory says about one package in one distribution release. */
enum fp_vuln_state {
        FP_VS_AFFECTED,     /* vulnerable where the version is inside `ranges`/`versions`, or
                               below `fixed`; with neither, every version is (unfixed) */
        FP_VS_NOT_AFFECTED, /* never vulnerable in this release (Debian fixed_version "0",
                               VEX known_not_affected, "<not-affected>") */
        FP_VS_WONTFIX,      /* vulnerable, and the distribution will not fix it */
        FP_VS_NODSA,        /* vulnerable, minor: fixed through a point release, no DSA
                               (Debian "<no-dsa>"); `note` gives the reason */
        FP_VS_POSTPONED,    /* vulnerable, fix deferred (Debian "<postponed>") */
        FP_VS_UNDETERMINED, /* the distribution has not decided ("<undetermined>") */
};
const char *fp_vuln_state_name(enum fp_vuln_state s);

/* One OSV-style range in the ecosystem's own version order. Any member may be NULL:
 * introduced NULL = "0" (the beginning); fixed and last_affected NULL = open end. */
struct fp_vuln_range {
        const char *introduced;
        const char *fixed;         /* first version that is NOT affected */
        const char *last_affected; /* last version that IS affected */
};

struct fp_vuln_affected {
        /* Distribution and release, normalized: "debian"/"bookworm" (numbers become code names),
         * "ubuntu"/"22.04" (":LTS" dropped; "ubuntu-pro"/"22.04" for Pro/ESM streams),
         * "alpine"/"3.18", "almalinux"/"9", "rocky"/"9", "rhel"/"9", "oracle"/"8",
         * "amazon"/"2" or "2023". The version scheme follows from the distro. */
        const char *distro;
        const char *release;
        const char *package;
        bool source;      /* package is a source package name (Debian tracker, DSA, OSV Debian) */
        const char *arch; /* RPM: "x86_64", "noarch", ...; NULL = every architecture */
        const char *module; /* RPM module "name:stream" the fix belongs to; NULL = not modular */
        enum fp_vuln_state state;
        const char *fixed; /* for FP_VS_AFFECTED: shorthand for one range [introduced=0, fixed) */
        const struct fp_vuln_range *ranges;
        size_t nranges;
        const char *const *versions; /* explicit affected versions (OSV `versions`) */
        size_t nversions;
        enum fp_severity severity; /* per-release rating (Debian urgency); UNKNOWN = advisory's */
        const char *note;          /* e.g. the no-dsa reason */
};

struct fp_vuln_advisory {
        const char *id;       /* "DSA-5380-1", "CVE-2023-1393", "ALSA-2024:0012", "RHSA-2024:4546" */
        enum fp_feed_kind kind;
        const char *const *aliases; /* CVE ids and other names of the same issue; no duplicates */
        size_t naliases;
        const char *summary; /* may be NULL */
        enum fp_severity severity;
        double cvss_score;       /* base score 0..10; negative = not given */
        const char *cvss_vector; /* "CVSS:3.1/AV:N/..." or NULL */
        int64_t published;       /* Unix seconds; 0 = unknown */
        int64_t modified;        /* revision time; 0 = unknown (then the content hash decides) */
        bool withdrawn;
        const char *const *refs; /* URLs */
        size_t nrefs;
        const struct fp_vuln_affected *affected;
        size_t naffected;
};

/* ---- KEV and EPSS ------------------------------------------------------------------------- */

struct fp_kev_entry {
        const char *cve;
        const char *vendor, *product, *name; /* may be NULL */
        int64_t date_added;
        int64_t due_date;
        bool ransomware; /* knownRansomwareCampaignUse == "Known" */
};

struct fp_epss_entry {
        const char *cve;
        double epss;       /* probability 0..1 */
        double percentile; /* 0..1 */
};

/* ---- the sink every parser writes to -------------------------------------------------------- */

struct fp_feed_sink {
        void *ud;
        /* One good record. An error return stops the parse and is returned by it. */
        enum fp_err (*advisory)(void *ud, const struct fp_vuln_advisory *adv);
        enum fp_err (*kev)(void *ud, const struct fp_kev_entry *e);
        enum fp_err (*epss)(void *ud, const struct fp_epss_entry *e);
        /* One broken record, skipped: its id when known ("" otherwise) and why (with the
         * line or JSON path in diag->field / diag->line). May be NULL. */
        void (*reject)(void *ud, const char *record_id, const struct fp_diag *why);
        /* One well-formed record that is not for us (only npm/PyPI/Go packages, a
         * withdrawn-before-published stub, ...), skipped on purpose. May be NULL. */
        void (*skip)(void *ud, const char *record_id, const char *reason);
        /* Feed-wide facts worth keeping: "catalogVersion", "score_date", "model_version". May
         * be NULL. */
        void (*meta)(void *ud, const char *key, const char *value);
};

/*
 * Parsers. `name` names the input in diagnostics (a file path or URL). Each returns FP_OK when
 * the feed as a whole was readable, even if some records were rejected; an error (with diag)
 * when it was not: then the caller must keep its previous data.
 */
/* OSV: one record, a JSON array of records, or {"vulns": [...]} (the osv.dev query answer). */
enum fp_err fp_feed_parse_osv(const char *data, size_t len, const char *name,
                              const struct fp_feed_sink *sink, struct fp_diag *diag);
/* Debian security tracker JSON export. */
enum fp_err fp_feed_parse_debian_tracker(const char *data, size_t len, const char *name,
                                         const struct fp_feed_sink *sink, struct fp_diag *diag);
/* data/DSA/list or data/DLA/list (kind FP_FEED_DSA or FP_FEED_DLA). */
enum fp_err fp_feed_parse_debian_list(const char *data, size_t len, const char *name,
                                      enum fp_feed_kind kind, const struct fp_feed_sink *sink,
                                      struct fp_diag *diag);
/* Alma/Rocky/Oracle/Amazon errata in vuln-list JSON shape: one record, an array, or the
 * AlmaLinux errata API answer ({"data": [...]}). */
enum fp_err fp_feed_parse_rpm_errata(const char *data, size_t len, const char *name,
                                     const struct fp_feed_sink *sink, struct fp_diag *diag);
/* One Red Hat CSAF 2.0 advisory or VEX document. */
enum fp_err fp_feed_parse_csaf(const char *data, size_t len, const char *name,
                               const struct fp_feed_sink *sink, struct fp_diag *diag);
/* CISA KEV catalog, JSON or CSV (detected). */
enum fp_err fp_feed_parse_kev(const char *data, size_t len, const char *name,
                              const struct fp_feed_sink *sink, struct fp_diag *diag);
/* FIRST EPSS CSV: optional "#model_version:...,score_date:..." line, header cve,epss,percentile. */
enum fp_err fp_feed_parse_epss(const char *data, size_t len, const char *name,
                               const struct fp_feed_sink *sink, struct fp_diag *diag);

/* CVSS base score of a v3.0/v3.1 vector ("CVSS:3.1/AV:N/AC:L/..."); v2 vectors
 * ("AV:N/AC:L/Au:N/C:P/I:P/A:P") too. false (and diag) when malformed. */
bool fp_cvss_base_score(const char *vector, double *score, struct fp_diag *diag);

#endif
