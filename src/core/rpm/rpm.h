/*
 * RPM metadata parsers (repomd.xml, primary.xml, updateinfo.xml, .repo files, our `rpm -qa --qf`
 * output) and the update selection that mirrors `dnf check-update`. Pure: buffers and callbacks
 * in, fp_err + fp_diag out; no file or process I/O here (that is src/agent/inventory).
 */
#ifndef FP_CORE_RPM_H
#define FP_CORE_RPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/limits.h"

/* ---- packages ---------------------------------------------------------------------------- */

/* Relation flags of a dependency (as in primary.xml's flags="LT|GT|EQ|LE|GE"). 0 = any version. */
enum { FP_RPMDEP_LT = 1, FP_RPMDEP_GT = 2, FP_RPMDEP_EQ = 4 };

struct fp_rpm_dep {
        const char *name;
        int flags;
        const char *epoch; /* NULL = absent */
        const char *version;
        const char *release; /* NULL = absent */
};

/*
 * One package: installed (repo == NULL) or available from a repository. Strings are owned by
 * whoever built the struct (parsers hand out views valid only during their callback).
 * epoch is "0" or a number string; never NULL once normalised by the parsers.
 */
struct fp_rpm_pkg {
        const char *name;
        const char *arch;
        const char *epoch;
        const char *version;
        const char *release;
        const char *sourcerpm; /* may be NULL */
        const char *repo;      /* repo id; NULL for installed packages */
        int priority;          /* dnf repo priority (lower wins); 99 by default */
        const struct fp_rpm_dep *obsoletes;
        size_t nobsoletes;
};

/* labelCompare of two packages' EVRs. */
int fp_rpm_pkg_evrcmp(const struct fp_rpm_pkg *a, const struct fp_rpm_pkg *b);
/* Does an obsoletes/provides dependency match a package's name and EVR (libsolv pool_match_nevr)?
 */
bool fp_rpm_dep_matches(const struct fp_rpm_dep *dep, const struct fp_rpm_pkg *pkg);
/* dnf-style package spec match (exclude=, includepkgs=): globs against name, name.arch,
 * name-version, name-version-release, name-version-release.arch, name-epoch:version-release.arch */
bool fp_rpm_spec_match(const char *pattern, const struct fp_rpm_pkg *pkg);
/* Any of a whitespace/comma separated list of specs matches. */
bool fp_rpm_speclist_match(const char *list, const struct fp_rpm_pkg *pkg);

/* ---- `rpm -qa --qf` output ---------------------------------------------------------------- */

/* The query format whose output fp_rpm_qf_parse reads: one package per line, TAB separated. */
#define FP_RPM_QF_FORMAT "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n"

typedef enum fp_err (*fp_rpm_pkg_cb)(void *ud, const struct fp_rpm_pkg *pkg, struct fp_diag *diag);

/*
 * Parse the output of `rpm -qa --qf FP_RPM_QF_FORMAT`. gpg-pubkey pseudo-packages are skipped
 * (dnf does not offer updates for them). name is used in diagnostics.
 */
enum fp_err fp_rpm_qf_parse(const char *data, size_t len, const char *name, fp_rpm_pkg_cb cb,
                            void *ud, struct fp_diag *diag);

/* ---- .repo / dnf.conf ini files ------------------------------------------------------------ */

/* Called for each key (section may be "" before any [section]); line is 1-based. */
typedef enum fp_err (*fp_ini_cb)(void *ud, const char *section, const char *key, const char *value,
                                 unsigned long line, struct fp_diag *diag);

/*
 * dnf's (libdnf ConfigParser) ini dialect: [section], key=value (or key: value), '#' and ';'
 * comments, indented lines continue the previous value (joined with '\n'). Errors name the
 * file and line.
 */
enum fp_err fp_ini_parse(const char *data, size_t len, const char *name, fp_ini_cb cb, void *ud,
                         struct fp_diag *diag);
/* dnf's boolean spellings: 1/yes/true/on and 0/no/false/off. false for anything else. */
bool fp_ini_bool(const char *value, bool *out);

/* ---- repomd.xml ----------------------------------------------------------------------------- */

struct fp_repomd_entry {
        char type[64];          /* "primary", "updateinfo", ... */
        char *href;             /* <location href=...>, malloc'd */
        char checksum_type[16]; /* "sha256", ... ("" = none) */
        char checksum[129];     /* lowercase hex */
        unsigned long line;     /* line of the <data> element, for diagnostics */
};

struct fp_repomd {
        struct fp_repomd_entry *entries;
        size_t count;
};

/* Parse repomd.xml from memory. Hrefs with "..", absolute paths or schemes are refused. */
enum fp_err fp_repomd_parse(const char *data, size_t len, const char *name, struct fp_repomd *out,
                            struct fp_diag *diag);
const struct fp_repomd_entry *fp_repomd_find(const struct fp_repomd *md, const char *type);
void fp_repomd_release(struct fp_repomd *md);

/* ---- primary.xml and updateinfo.xml: push parsers fed in chunks --------------------------- */

struct fp_primary_parser;

/* cb gets every binary package (src/nosrc are skipped); strings valid during the call only. */
enum fp_err fp_primary_parser_new(const char *name, fp_rpm_pkg_cb cb, void *ud,
                                  struct fp_primary_parser **out);
/* Feed the next chunk; final=true on the last one (which may be empty). */
enum fp_err fp_primary_parser_feed(struct fp_primary_parser *p, const void *data, size_t len,
                                   bool final, struct fp_diag *diag);
/* Packages reported so far. */
size_t fp_primary_parser_count(const struct fp_primary_parser *p);
void fp_primary_parser_free(struct fp_primary_parser *p);

/* A package named by an advisory; strings valid during the call only. */
struct fp_advisory_pkg {
        const char *advisory; /* id, e.g. "FEDORA-2024-1234" */
        const char *type;     /* "security", "bugfix", "enhancement", "newpackage" */
        const char *severity; /* may be "" */
        const char *name, *arch, *epoch, *version, *release;
};
typedef enum fp_err (*fp_advisory_cb)(void *ud, const struct fp_advisory_pkg *pkg,
                                      struct fp_diag *diag);

struct fp_updateinfo_parser;
enum fp_err fp_updateinfo_parser_new(const char *name, fp_advisory_cb cb, void *ud,
                                     struct fp_updateinfo_parser **out);
enum fp_err fp_updateinfo_parser_feed(struct fp_updateinfo_parser *p, const void *data, size_t len,
                                      bool final, struct fp_diag *diag);
void fp_updateinfo_parser_free(struct fp_updateinfo_parser *p);

/* ---- SHA-256 (repomd checksums) ----------------------------------------------------------- */

struct fp_sha256 {
        uint32_t h[8];
        uint64_t len;
        unsigned char buf[64];
        size_t buflen;
};
void fp_sha256_init(struct fp_sha256 *s);
void fp_sha256_update(struct fp_sha256 *s, const void *data, size_t len);
/* 65 bytes: lowercase hex and NUL. */
void fp_sha256_final_hex(struct fp_sha256 *s, char out[65]);

/* ---- update selection (dnf check-update) ------------------------------------------------- */

struct fp_rpm_select_in {
        const struct fp_rpm_pkg *installed;
        size_t ninstalled;
        const struct fp_rpm_pkg *available; /* already filtered by excludes */
        size_t navailable;
        const struct fp_rpm_pkg *security; /* packages named by "security" advisories */
        size_t nsecurity;
};

struct fp_rpm_upgrade {
        const struct fp_rpm_pkg *installed; /* newest installed of the name with a matching arch */
        const struct fp_rpm_pkg *candidate; /* highest EVR; first repo in repo-id order */
        char *repos;                        /* every repo offering that EVR, comma-separated */
        bool security;
};

struct fp_rpm_obsolete {
        const struct fp_rpm_pkg *newpkg;    /* the available obsoleting package */
        const struct fp_rpm_pkg *installed; /* the installed package it obsoletes */
        bool security;
};

struct fp_rpm_selection {
        struct fp_rpm_upgrade *upgrades; /* sorted by name, arch */
        size_t nupgrades;
        struct fp_rpm_obsolete *obsoletes; /* sorted by new name, arch, EVR, then old name */
        size_t nobsoletes;
};

enum fp_err fp_rpm_select(const struct fp_rpm_select_in *in, struct fp_rpm_selection *out,
                          struct fp_diag *diag);
void fp_rpm_selection_release(struct fp_rpm_selection *sel);

#endif
