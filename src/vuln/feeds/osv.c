/*
 * OSV records (ossf.github.io/osv-schema) into the advisory model (fleetpatch/vuln.h).
 *
 * Input: one record, an array of records, or the osv.dev query answer {"vulns": [...]} ({} is
 * that answer with no results). Each record is checked as a whole first, the way the OSV schema
 * and osv-linter's offline checks see it, for every affected entry whatever its ecosystem: a
 * broken record is rejected with the JSON path of the fault ("affected[2].ranges[0].events[1]").
 * Only then are the affected entries of OS distributions kept (ecosystem table below) and the
 * rest dropped; a record left with none is skipped with the ecosystems it had.
 *
 * Decisions where the format leaves room (see also the ecosystem table):
 * - Ranges: only type ECOSYSTEM describes distribution package versions; SEMVER and GIT ranges
 *   are checked and then ignored. The events are sorted by version in the distribution's scheme
 *   (the OSV evaluation algorithm does that too; real records are already sorted) and walked:
 *   introduced opens a range ("0" = NULL, from the beginning), fixed or last_affected closes it,
 *   limit is ignored (it only narrows GIT ranges in practice; ignoring it errs on "affected").
 *   [introduced "0", fixed "0") is empty: Chainguard/Wolfi's "not affected"; an entry with only
 *   such ranges becomes FP_VS_NOT_AFFECTED.
 *   A single [0, fixed) range also sets affected.fixed. An OS entry whose ranges are all
 *   non-ECOSYSTEM and that has no `versions` is dropped: "every version" would be wrong.
 * - Identical affected entries after normalization (Red Hat's rhel_aus/rhel_e4s/rhel_tus
 *   streams of one minor release all become rhel/8) are emitted once.
 * - Aliases: `aliases` and `upstream` (Debian, Ubuntu and Red Hat put the CVE ids there), the
 *   CVE ids of Ubuntu's per-entry database_specific.cves_map (a USN names its CVEs only there),
 *   and, for records of RPM distributions, the CVE ids of `related` (AlmaLinux, Rocky, SUSE and
 *   Red Hat errata list the CVEs they fix only there). Deduplicated, never the record's own id.
 * - Severity: CVSS_V3 beats CVSS_V2 beats CVSS_V4, the highest score within a version. CVSS v4
 *   vectors are kept without a score (fp_cvss_base_score does not compute v4). The vendor word
 *   is the "Ubuntu" severity entry, the "Low:/Moderate:/Important:/Critical:" prefix of
 *   AlmaLinux/Rocky summaries, or database_specific.severity; per entry, the highest Ubuntu
 *   priority of its cves_map. Advisory severity = the vendor word, else the highest entry
 *   priority, else the CVSS rating. A malformed CVSS vector rejects the record.
 * - Module: no real OSV record of AlmaLinux, Rocky or Red Hat carries the module stream in a
 *   structured field (only in the summary text and the ".module+el8" release), so `module` is
 *   left NULL rather than guessed.
 * - Withdrawn records are emitted with withdrawn = true; one withdrawn before it was published
 *   is skipped.
 *
 * Memory: each record is built in one arena, released after its callbacks.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/inventory.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"
#include "vuln/json.h"

/* Bytes of summary (or first line of details) kept, cut at a UTF-8 character boundary. */
#define SUMMARY_MAX 1024
/* A reference URL or a purl. */
#define URL_MAX 4096
/* Ranges of one affected entry (real: 1-3; each range has at least one event). */
#define MAX_RANGES FP_MAX_RANGE_EVENTS
/* Severity entries of a record or of one cves_map CVE (real: <= 3). */
#define MAX_SEVERITIES 64
/* The ecosystems named in a skip reason. */
#define REASON_MAX 160

/* ---- ecosystems ------------------------------------------------------------------------- */

/* An ecosystem normalized to our distro/release. */
struct eco {
        const char *distro;
        char release[64];
        bool source; /* OSV names source packages (Debian, Ubuntu, Alpine, Wolfi) */
        bool rpm;    /* RPM family: arch from the purl, `related` CVEs as aliases */
        enum fp_scheme scheme;
};

/* "12" -> "bookworm", "4.0" -> "etch", "sid" stays; an unknown number is kept as it is. */
static void debian_release(const char *rel, struct eco *e)
{
        char num[16];
        size_t n = strcspn(rel, ".");
        /* Debian 4 and later are named by the major number; 1.1 .. 3.1 keep their minor. */
        if (n < sizeof(num) && n > 0 && atoi(rel) >= 4) {
                memcpy(num, rel, n);
                num[n] = '\0';
                rel = num;
        }
        const char *code = fp_debian_codename(rel);
        snprintf(e->release, sizeof(e->release), "%s", code ? code : rel);
}

static bool is_ubuntu_version(const char *s, size_t n)
{
        return n == 5 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
               s[2] == '.' && isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]);
}

/*
 * "Ubuntu:22.04:LTS" -> ubuntu/22.04, "Ubuntu:25.10" -> ubuntu/25.10, and every stream with
 * another tag ("Ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:FIPS:16.04:LTS", "Ubuntu:Pro:FIPS-updates:...")
 * -> ubuntu-pro/<version>. false without a YY.MM version.
 */
static bool ubuntu_release(const char *rest, struct eco *e)
{
        bool pro = false, found = false;
        while (*rest) {
                size_t n = strcspn(rest, ":");
                if (is_ubuntu_version(rest, n)) {
                        snprintf(e->release, sizeof(e->release), "%.*s", (int)n, rest);
                        found = true;
                } else if (!(n == 3 && memcmp(rest, "LTS", 3) == 0)) {
                        pro = true;
                }
                rest += n + (rest[n] == ':');
        }
        e->distro = pro ? "ubuntu-pro" : "ubuntu";
        return found;
}

/* First run of digits in s as the major release ("8.6" -> "8"); false when s has none first. */
static bool major_release(const char *s, struct eco *e)
{
        size_t n = strspn(s, "0123456789");
        if (n == 0 || n >= sizeof(e->release))
                return false;
        snprintf(e->release, sizeof(e->release), "%.*s", (int)n, s);
        return true;
}

/*
 * "Red Hat:<CPE without cpe:/[oa]:redhat:>": the RHEL streams (enterprise_linux and the
 * extended-support rhel_aus/e4s/tus/eus/els) -> rhel/<major>, because hosts report the major
 * only; other Red Hat products (OpenShift, JBoss, ...) are not OS packages.
 */
static bool redhat_release(const char *cpe, struct eco *e)
{
        static const char *const streams[] = {"enterprise_linux", "rhel_aus", "rhel_e4s",
                                              "rhel_tus",         "rhel_eus", "rhel_els"};
        size_t n = strcspn(cpe, ":");
        for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
                if (strlen(streams[i]) == n && memcmp(cpe, streams[i], n) == 0 && cpe[n] == ':')
                        return major_release(cpe + n + 1, e);
        return false;
}

/*
 * SUSE ecosystems carry the os-release PRETTY_NAME of the product. We use os-release ID and
 * VERSION_ID: "SUSE:Linux Enterprise Server 15 SP4" (and the modules and variants of SLE 15 SP4:
 * "... Module for Basesystem 15 SP4", "... for SAP Applications 15 SP4") -> sles/15.4,
 * "SUSE:Linux Enterprise Micro 5.3" -> sle-micro/5.3, "openSUSE:Leap 15.4" ->
 * opensuse-leap/15.4, "openSUSE:Leap Micro 5.3" -> opensuse-leap-micro/5.3,
 * "openSUSE:Tumbleweed" -> opensuse-tumbleweed/"" (rolling). Other products are not ours.
 */
static bool suse_version(const char *s, struct eco *e)
{
        /* the first word that starts with a digit, then an optional "SP<n>" word */
        while (*s && !isdigit((unsigned char)*s)) {
                s += strcspn(s, " ");
                s += strspn(s, " ");
        }
        size_t n = strcspn(s, " ");
        if (n == 0 || n >= 16)
                return false;
        const char *next = s + n + strspn(s + n, " ");
        if (next[0] == 'S' && next[1] == 'P' && isdigit((unsigned char)next[2]))
                snprintf(e->release, sizeof(e->release), "%.*s.%d", (int)n, s, atoi(next + 2));
        else
                snprintf(e->release, sizeof(e->release), "%.*s", (int)n, s);
        return true;
}

static bool suse_release(const char *rest, bool open, struct eco *e)
{
        if (open) {
                if (strcmp(rest, "Tumbleweed") == 0) {
                        e->distro = "opensuse-tumbleweed";
                        return true;
                }
                if (strncmp(rest, "Leap Micro ", 11) == 0) {
                        e->distro = "opensuse-leap-micro";
                        return suse_version(rest + 11, e);
                }
                e->distro = "opensuse-leap";
                return strncmp(rest, "Leap ", 5) == 0 && suse_version(rest + 5, e);
        }
        if (strncmp(rest, "Linux Enterprise ", 17) != 0)
                return false;
        rest += 17;
        e->distro = strncmp(rest, "Micro ", 6) == 0 ? "sle-micro" : "sles";
        return suse_version(rest, e);
}

/*
 * The ecosystem string to our distro/release. false = not an OS distribution we handle:
 * language ecosystems, Bitnami, Chainguard (its OS images; match.c knows no scheme for them),
 * distributions our inventory does not recognize (Photon OS, Azure Linux, openEuler, ...).
 */
static bool map_ecosystem(const char *eco, struct eco *e)
{
        size_t n = strcspn(eco, ":");
        const char *rest = eco[n] == ':' ? eco + n + 1 : "";
        memset(e, 0, sizeof(*e));
        e->scheme = FP_SCHEME_RPM;
        e->rpm = true;
#define IS(s) (n == sizeof(s) - 1 && memcmp(eco, s, n) == 0)
        if (IS("Debian") || IS("Ubuntu") || IS("Alpine") || IS("Wolfi")) {
                e->rpm = false;
                e->source = true;
                e->scheme = IS("Alpine") || IS("Wolfi") ? FP_SCHEME_APK : FP_SCHEME_DEB;
        }
        if (IS("Debian")) {
                e->distro = "debian";
                debian_release(rest, e);
                return true;
        }
        if (IS("Ubuntu"))
                return ubuntu_release(rest, e);
        if (IS("Alpine")) {
                /* "v3.16" -> "3.16", the branch hosts report; "edge" stays */
                e->distro = "alpine";
                snprintf(e->release, sizeof(e->release), "%s", rest + (rest[0] == 'v'));
                return true;
        }
        if (IS("Wolfi")) {
                /* a rolling distribution: no release */
                e->distro = "wolfi";
                return rest[0] == '\0';
        }
        if (IS("AlmaLinux") || IS("Rocky Linux")) {
                e->distro = IS("AlmaLinux") ? "almalinux" : "rocky";
                return rest[0] == '\0' || major_release(rest, e);
        }
        if (IS("Red Hat")) {
                e->distro = "rhel";
                return redhat_release(rest, e);
        }
        if (IS("SUSE") || IS("openSUSE"))
                return suse_release(rest, IS("openSUSE"), e);
#undef IS
        return false;
}

/* ---- diagnostics ------------------------------------------------------------------------- */

/*
 * diag->field = prefix, then ".key" when a getter left its key in diag->field ("affected[2]"
 * + "package" -> "affected[2].package"). Paths longer than the field are cut; their head
 * still names the entry.
 */
static void at(struct fp_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void at(struct fp_diag *d, const char *fmt, ...)
{
        char prefix[FP_DIAG_FIELD_MAX], path[2 * FP_DIAG_FIELD_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        if (d->field[0] && prefix[0])
                snprintf(path, sizeof(path), "%s.%s", prefix, d->field);
        else
                snprintf(path, sizeof(path), "%s", prefix[0] ? prefix : d->field);
        size_t n = strlen(path);
        if (n >= sizeof(d->field))
                n = sizeof(d->field) - 1;
        memcpy(d->field, path, n);
        d->field[n] = '\0';
}

/* ---- the record being built ---------------------------------------------------------------- */

struct rec {
        struct fp_arena arena;
        const char *id;
        const char **aliases;
        size_t naliases, aliases_cap;
        const char **refs;
        size_t nrefs;
        struct fp_vuln_affected *aff;
        size_t naff;
        /* duplicate detection: "distro/release/package" -> 1 + first entry index; next[i] =
         * 1 + the next entry with the same key (0 = none) */
        struct fp_strmap by_key;
        size_t *next;
        const char *summary;
        enum fp_severity vendor;    /* the record's own severity word */
        enum fp_severity entry_max; /* the highest per-entry priority */
        const char *vector;         /* chosen CVSS vector */
        double score;
        int vector_rank;      /* 3 = v3, 2 = v2, 1 = v4, 0 = none */
        bool rpm;             /* an RPM-distribution entry was kept */
        bool withdrawn_early; /* withdrawn before it was published: a stub */
        size_t os_entries;
        char foreign[REASON_MAX]; /* ecosystems not ours, for the skip reason */
        bool oom;
};

struct osv {
        const char *name;
        const struct fp_feed_sink *sink;
};

static const char *rdup(struct rec *r, const char *s, size_t n)
{
        const char *c = fp_arena_strndup(&r->arena, s, n);
        if (!c)
                r->oom = true;
        return c;
}

static void *ralloc(struct rec *r, size_t n, size_t size)
{
        if (n == 0)
                return NULL;
        void *p = n <= SIZE_MAX / size ? fp_arena_alloc(&r->arena, n * size) : NULL;
        if (!p)
                r->oom = true;
        return p;
}

/* A string element of an array: present, a string, within maxlen, non-empty. */
static bool array_str(const json_t *arr, size_t i, size_t maxlen, const char **out,
                      struct fp_diag *d)
{
        const json_t *v = json_array_get(arr, i);
        d->field[0] = '\0';
        if (!json_is_string(v)) {
                fp_diag_msg(d, "expected a string");
                return false;
        }
        if (json_string_length(v) == 0 || json_string_length(v) > maxlen) {
                fp_diag_msg(d, "string of %zu bytes (1..%zu allowed)", json_string_length(v),
                            maxlen);
                return false;
        }
        *out = json_string_value(v);
        if (strlen(*out) != json_string_length(v)) {
                fp_diag_msg(d, "NUL byte in string");
                return false;
        }
        return true;
}

/* ---- aliases and references -------------------------------------------------------------- */

static bool add_alias(struct rec *r, const char *a)
{
        if (strcmp(a, r->id) == 0)
                return true;
        for (size_t i = 0; i < r->naliases; i++)
                if (strcmp(r->aliases[i], a) == 0)
                        return true;
        if (r->naliases >= r->aliases_cap) {
                size_t cap = r->aliases_cap ? 2 * r->aliases_cap : 16;
                const char **p = ralloc(r, cap, sizeof(*p));
                if (!p)
                        return false;
                if (r->naliases)
                        memcpy(p, r->aliases, r->naliases * sizeof(*p));
                r->aliases = p;
                r->aliases_cap = cap;
        }
        r->aliases[r->naliases++] = a;
        return true;
}

enum alias_mode { ALIAS_ALL, ALIAS_CVES, ALIAS_NONE };

/* The strings of array member `key` as aliases: all, only "CVE-" ones, or none (checked). */
static bool alias_list(struct rec *r, const json_t *rec, const char *key, enum alias_mode mode,
                       struct fp_diag *d)
{
        json_t *arr;
        const char *s;
        if (!fp_json_get_array(rec, key, false, FP_MAX_ALIASES, &arr, d))
                return false;
        for (size_t i = 0; arr && i < json_array_size(arr); i++) {
                if (!array_str(arr, i, FP_MAX_ADVISORY_ID_LEN, &s, d)) {
                        at(d, "%s[%zu]", key, i);
                        return false;
                }
                if (mode == ALIAS_NONE || (mode == ALIAS_CVES && strncmp(s, "CVE-", 4) != 0))
                        continue;
                if (!add_alias(r, s))
                        return false;
                if (r->naliases > FP_MAX_ALIASES) {
                        fp_diag_where(d, NULL, 0, key);
                        fp_diag_msg(d, "more than %d aliases", FP_MAX_ALIASES);
                        return false;
                }
        }
        return true;
}

static bool references(struct rec *r, const json_t *rec, struct fp_diag *d)
{
        json_t *arr;
        const char *url;
        if (!fp_json_get_array(rec, "references", false, FP_MAX_REFS, &arr, d))
                return false;
        if (!arr)
                return true;
        r->refs = ralloc(r, json_array_size(arr), sizeof(*r->refs));
        for (size_t i = 0; i < json_array_size(arr); i++) {
                const json_t *ref = json_array_get(arr, i);
                d->field[0] = '\0';
                if (!json_is_object(ref)) {
                        fp_diag_msg(d, "reference is not an object");
                        at(d, "references[%zu]", i);
                        return false;
                }
                if (!fp_json_get_str(ref, "url", true, URL_MAX, &url, d)) {
                        at(d, "references[%zu]", i);
                        return false;
                }
                bool dup = false;
                for (size_t j = 0; j < r->nrefs && !dup; j++)
                        dup = strcmp(r->refs[j], url) == 0;
                if (!dup && r->refs)
                        r->refs[r->nrefs++] = url;
        }
        return true;
}

/* ---- severity ---------------------------------------------------------------------------- */

/* Consider one CVSS vector of the given type for the advisory. */
static bool consider_cvss(struct rec *r, const char *type, const char *vector, struct fp_diag *d)
{
        int rank;
        double score = -1.0;
        if (strcmp(type, "CVSS_V3") == 0)
                rank = 3;
        else if (strcmp(type, "CVSS_V2") == 0)
                rank = 2;
        else
                rank = 1; /* CVSS_V4: kept as the vector, no score (see the file comment) */
        if (rank > 1) {
                struct fp_diag cd;
                fp_diag_clear(&cd);
                if (!fp_cvss_base_score(vector, &score, &cd)) {
                        fp_diag_msg(d, "bad %s vector: %s", type, cd.msg);
                        return false;
                }
        } else if (strncmp(vector, "CVSS:4.", 7) != 0) {
                fp_diag_msg(d, "CVSS_V4 score is not a CVSS:4.x vector");
                return false;
        }
        if (rank > r->vector_rank || (rank == r->vector_rank && score > r->score)) {
                r->vector_rank = rank;
                r->vector = vector;
                r->score = score;
        }
        return true;
}

/*
 * A severity[] array (the record's or a cves_map CVE's): CVSS vectors into r, Ubuntu priority
 * words into *word (the highest). Other types are ignored.
 */
static bool severity_list(struct rec *r, const json_t *arr, enum fp_severity *word,
                          struct fp_diag *d)
{
        const char *type, *score;
        for (size_t i = 0; i < json_array_size(arr); i++) {
                const json_t *s = json_array_get(arr, i);
                d->field[0] = '\0';
                if (!json_is_object(s)) {
                        fp_diag_msg(d, "severity entry is not an object");
                        at(d, "severity[%zu]", i);
                        return false;
                }
                if (!fp_json_get_str(s, "type", true, 64, &type, d) ||
                    !fp_json_get_str(s, "score", true, 1024, &score, d)) {
                        at(d, "severity[%zu]", i);
                        return false;
                }
                if (strncmp(type, "CVSS_V", 6) == 0 && strchr("234", type[6]) && !type[7]) {
                        if (!consider_cvss(r, type, score, d)) {
                                fp_diag_where(d, NULL, 0, "");
                                at(d, "severity[%zu].score", i);
                                return false;
                        }
                } else if (strcmp(type, "Ubuntu") == 0) {
                        enum fp_severity sev;
                        if (fp_severity_parse(score, &sev) && sev > *word)
                                *word = sev;
                }
        }
        return true;
}

/* "Moderate: python-requests security update" (AlmaLinux, Rocky) -> MEDIUM. */
static enum fp_severity summary_word(const char *summary)
{
        static const char *const words[] = {"Low", "Moderate", "Important", "Critical"};
        enum fp_severity sev = FP_SEV_UNKNOWN;
        for (size_t i = 0; summary && i < sizeof(words) / sizeof(words[0]); i++) {
                size_t n = strlen(words[i]);
                if (strncmp(summary, words[i], n) == 0 && summary[n] == ':')
                        (void)fp_severity_parse(words[i], &sev);
        }
        return sev;
}

static bool record_severity(struct rec *r, const json_t *rec, struct fp_diag *d)
{
        json_t *arr, *dbs;
        const char *word;
        if (!fp_json_get_array(rec, "severity", false, MAX_SEVERITIES, &arr, d))
                return false;
        if (arr && !severity_list(r, arr, &r->vendor, d)) {
                /* severity_list's path starts with "severity[i]" already */
                return false;
        }
        /* database_specific is free-form: a severity word there is used, anything else not */
        dbs = json_object_get(rec, "database_specific");
        word = json_is_object(dbs) ? json_string_value(json_object_get(dbs, "severity")) : NULL;
        enum fp_severity sev;
        if (word && fp_severity_parse(word, &sev) && sev > r->vendor)
                r->vendor = sev;
        return true;
}

/*
 * Ubuntu's per-entry database_specific.cves_map.cves[]: {id, severity[]}. Free-form vendor
 * data, so shapes we do not know are ignored; CVSS vectors there are still checked.
 */
static bool cves_map(struct rec *r, const json_t *entry, struct fp_vuln_affected *a,
                     struct fp_diag *d)
{
        const json_t *dbs = json_object_get(entry, "database_specific");
        const json_t *map = json_is_object(dbs) ? json_object_get(dbs, "cves_map") : NULL;
        const json_t *cves = json_is_object(map) ? json_object_get(map, "cves") : NULL;
        if (!json_is_array(cves))
                return true;
        for (size_t i = 0; i < json_array_size(cves) && i < FP_MAX_ALIASES; i++) {
                const json_t *c = json_array_get(cves, i);
                const char *id = json_string_value(json_object_get(c, "id"));
                const json_t *sev = json_object_get(c, "severity");
                if (id && strncmp(id, "CVE-", 4) == 0 && strlen(id) <= FP_MAX_ADVISORY_ID_LEN &&
                    r->naliases < FP_MAX_ALIASES && !add_alias(r, id))
                        return false;
                if (json_is_array(sev) && json_array_size(sev) <= MAX_SEVERITIES &&
                    !severity_list(r, sev, &a->severity, d)) {
                        at(d, "database_specific.cves_map.cves[%zu]", i);
                        return false;
                }
        }
        if (a->severity > r->entry_max)
                r->entry_max = a->severity;
        return true;
}

/* ---- ranges ------------------------------------------------------------------------------ */

enum ev_kind { EV_INTRODUCED, EV_FIXED, EV_LAST_AFFECTED, EV_LIMIT };
static const char *const ev_names[] = {"introduced", "fixed", "last_affected", "limit"};

struct event {
        enum ev_kind kind;
        const char *v;
        size_t order;
};

/* One event object: exactly one of the four keys, a string. */
static bool parse_event(const json_t *ev, struct event *out, struct fp_diag *d)
{
        size_t found = 0;
        d->field[0] = '\0';
        if (!json_is_object(ev)) {
                fp_diag_msg(d, "event is not an object");
                return false;
        }
        for (int k = 0; k < 4; k++) {
                const char *v;
                if (!json_object_get(ev, ev_names[k]))
                        continue;
                if (!fp_json_get_str(ev, ev_names[k], true, FP_MAX_ADVISORY_ID_LEN, &v, d))
                        return false;
                out->kind = (enum ev_kind)k;
                out->v = v;
                found++;
        }
        if (found != 1 || json_object_size(ev) != 1) {
                fp_diag_msg(d, "an event has exactly one of introduced, fixed, last_affected, "
                               "limit");
                return false;
        }
        return true;
}

static bool valid_version(enum fp_scheme scheme, const char *v, struct fp_diag *d)
{
        struct fp_diag vd;
        fp_diag_clear(&vd);
        switch (scheme) {
        case FP_SCHEME_DEB: {
                struct fp_debver dv;
                if (fp_deb_version_parse(v, strlen(v), &dv, &vd) != FP_VERSION_ERROR)
                        return true;
                fp_diag_msg(d, "not a Debian version '%.64s': %s", v, vd.msg);
                return false;
        }
        case FP_SCHEME_APK:
                if (fp_apk_version_valid(v))
                        return true;
                fp_diag_msg(d, "not an apk version '%.64s'", v);
                return false;
        case FP_SCHEME_RPM:
                break;
        }
        /* rpmverParse() accepts anything; a blank inside is still not an EVR */
        for (const char *p = v; *p; p++) {
                if (isspace((unsigned char)*p)) {
                        fp_diag_msg(d, "not an RPM EVR '%.64s'", v);
                        return false;
                }
        }
        return true;
}

/* a before b in the OSV evaluation order: by version, introduced "0" first, then as given. */
static bool event_before(const struct event *a, const struct event *b, enum fp_scheme scheme)
{
        bool za = a->kind == EV_INTRODUCED && strcmp(a->v, "0") == 0;
        bool zb = b->kind == EV_INTRODUCED && strcmp(b->v, "0") == 0;
        int c = za != zb ? (za ? -1 : 1) : za ? 0 : fp_vercmp(scheme, a->v, b->v);
        return c ? c < 0 : a->order < b->order;
}

/* Stable bottom-up merge sort (qsort has no context argument for the scheme). */
static void sort_events(struct event *ev, struct event *tmp, size_t n, enum fp_scheme scheme)
{
        for (size_t w = 1; w < n; w *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * w) {
                        size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
                        size_t i = lo, j = mid, k = lo;
                        while (i < mid && j < hi)
                                tmp[k++] = event_before(&ev[j], &ev[i], scheme) ? ev[j++] : ev[i++];
                        while (i < mid)
                                tmp[k++] = ev[i++];
                        while (j < hi)
                                tmp[k++] = ev[j++];
                }
                memcpy(ev, tmp, n * sizeof(*ev));
        }
}

/* Sorted events -> fp_vuln_range list appended to out; see the file comment. */
static bool build_ranges(struct rec *r, struct event *ev, size_t n, enum fp_scheme scheme,
                         struct fp_vuln_range *out, size_t *nout)
{
        struct event *tmp = ralloc(r, n, sizeof(*tmp));
        if (!tmp)
                return false;
        sort_events(ev, tmp, n, scheme);
        bool open = false;
        for (size_t i = 0; i < n; i++) {
                switch (ev[i].kind) {
                case EV_INTRODUCED:
                        if (!open) {
                                out[*nout] = (struct fp_vuln_range){
                                    .introduced = strcmp(ev[i].v, "0") ? ev[i].v : NULL};
                                open = true;
                        }
                        break;
                case EV_FIXED:
                case EV_LAST_AFFECTED:
                        if (open) {
                                if (ev[i].kind == EV_FIXED)
                                        out[*nout].fixed = ev[i].v;
                                else
                                        out[*nout].last_affected = ev[i].v;
                                /* [0, fixed "0"): the empty range of "not affected" */
                                if (!(ev[i].kind == EV_FIXED && strcmp(ev[i].v, "0") == 0))
                                        (*nout)++;
                                open = false;
                        }
                        break;
                case EV_LIMIT:
                        break;
                }
        }
        if (open)
                (*nout)++;
        return true;
}

/*
 * One range: type, events (checked as osv-linter does: at least one introduced, no value both
 * opening and closing). For an OS entry's ECOSYSTEM range, versions are checked in the
 * distribution's scheme and the ranges appended to out.
 */
static bool parse_range(struct rec *r, const json_t *rng, const struct eco *e, bool has_pkg,
                        struct fp_vuln_range *out, size_t *nout, bool *ecosystem, struct fp_diag *d)
{
        const char *type;
        json_t *events;
        d->field[0] = '\0';
        if (!json_is_object(rng)) {
                fp_diag_msg(d, "range is not an object");
                return false;
        }
        if (!fp_json_get_str(rng, "type", true, 32, &type, d) ||
            !fp_json_get_array(rng, "events", true, FP_MAX_RANGE_EVENTS, &events, d))
                return false;
        if (strcmp(type, "ECOSYSTEM") != 0 && strcmp(type, "SEMVER") != 0 &&
            strcmp(type, "GIT") != 0) {
                fp_diag_where(d, NULL, 0, "type");
                fp_diag_msg(d, "unknown range type '%.32s'", type);
                return false;
        }
        if (!has_pkg && strcmp(type, "GIT") != 0) {
                fp_diag_where(d, NULL, 0, "type");
                fp_diag_msg(d,
                            "%s range in an entry without a package (only GIT ranges may "
                            "stand alone)",
                            type);
                return false;
        }
        size_t n = json_array_size(events);
        if (n == 0) {
                fp_diag_where(d, NULL, 0, "events");
                fp_diag_msg(d, "range without events");
                return false;
        }
        struct event *ev = ralloc(r, n, sizeof(*ev));
        if (!ev)
                return false;
        bool introduced = false;
        for (size_t i = 0; i < n; i++) {
                if (!parse_event(json_array_get(events, i), &ev[i], d)) {
                        at(d, "events[%zu]", i);
                        return false;
                }
                ev[i].order = i;
                introduced |= ev[i].kind == EV_INTRODUCED;
                if (e && strcmp(type, "ECOSYSTEM") == 0 && ev[i].kind != EV_LIMIT &&
                    strcmp(ev[i].v, "0") != 0 && !valid_version(e->scheme, ev[i].v, d)) {
                        at(d, "events[%zu]", i);
                        return false;
                }
        }
        if (!introduced) {
                fp_diag_where(d, NULL, 0, "events");
                fp_diag_msg(d, "range has no 'introduced' event");
                return false;
        }
        /*
         * osv-linter RNG:002: no value both introduced and fixed (last_affected may equal
         * introduced: that range is the one version). Unlike the linter, introduced "0" with
         * fixed "0" passes: Chainguard/Wolfi say "not affected" that way, an empty range.
         */
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; ev[i].kind == EV_INTRODUCED && j < n; j++) {
                        if (ev[j].kind == EV_FIXED && strcmp(ev[i].v, ev[j].v) == 0 &&
                            strcmp(ev[i].v, "0") != 0) {
                                fp_diag_where(d, NULL, 0, "");
                                fp_diag_msg(d,
                                            "range is not distinct: '%.64s' is both "
                                            "introduced and %s",
                                            ev[i].v, ev_names[ev[j].kind]);
                                at(d, "events[%zu]", j);
                                return false;
                        }
                }
        }
        if (e && strcmp(type, "ECOSYSTEM") == 0) {
                *ecosystem = true;
                return build_ranges(r, ev, n, e->scheme, out, nout);
        }
        return true;
}

/* ---- affected entries -------------------------------------------------------------------- */

/* Note an ecosystem that is not ours for the skip reason ("npm, PyPI"). */
static void note_foreign(struct rec *r, const char *eco)
{
        size_t n = strcspn(eco, ":");
        char base[48];
        snprintf(base, sizeof(base), "%.*s", (int)(n < 47 ? n : 47), eco);
        /* already listed? (whole comma-separated items only) */
        for (const char *p = r->foreign; *p;) {
                size_t len = strcspn(p, ",");
                if (len == strlen(base) && memcmp(p, base, len) == 0)
                        return;
                p += len + (p[len] == ',') + (p[len] == ',' && p[len + 1] == ' ');
        }
        size_t used = strlen(r->foreign);
        if (used + strlen(base) + 3 < sizeof(r->foreign))
                snprintf(r->foreign + used, sizeof(r->foreign) - used, "%s%s", used ? ", " : "",
                         base);
}

/* "arch" qualifier of an RPM purl ("pkg:rpm/redhat/git-lfs?arch=x86_64&epoch=0"). */
static const char *purl_arch(struct rec *r, const char *purl)
{
        const char *q = purl ? strchr(purl, '?') : NULL;
        while (q) {
                q++;
                size_t n = strcspn(q, "&#");
                if (n > 5 && strncmp(q, "arch=", 5) == 0)
                        return rdup(r, q + 5, n - 5);
                q = q[n] == '&' ? q + n : NULL;
        }
        return NULL;
}

static bool same_str(const char *a, const char *b)
{
        return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_entry(const struct fp_vuln_affected *a, const struct fp_vuln_affected *b)
{
        if (!same_str(a->distro, b->distro) || !same_str(a->release, b->release) ||
            !same_str(a->package, b->package) || !same_str(a->arch, b->arch) ||
            !same_str(a->fixed, b->fixed) || a->nranges != b->nranges ||
            a->nversions != b->nversions || a->severity != b->severity)
                return false;
        for (size_t i = 0; i < a->nranges; i++)
                if (!same_str(a->ranges[i].introduced, b->ranges[i].introduced) ||
                    !same_str(a->ranges[i].fixed, b->ranges[i].fixed) ||
                    !same_str(a->ranges[i].last_affected, b->ranges[i].last_affected))
                        return false;
        for (size_t i = 0; i < a->nversions; i++)
                if (strcmp(a->versions[i], b->versions[i]) != 0)
                        return false;
        return true;
}

/* Append a unless an identical entry is there already (a hash chain per package). */
static bool add_entry(struct rec *r, const struct fp_vuln_affected *a)
{
        char buf[3 * FP_MAX_ADVISORY_ID_LEN + 80];
        int n = snprintf(buf, sizeof(buf), "%s/%s/%s", a->distro, a->release, a->package);
        const char *key = n > 0 && (size_t)n < sizeof(buf) ? rdup(r, buf, (size_t)n) : NULL;
        if (!key) {
                r->oom = true;
                return false;
        }
        size_t head = (size_t)(uintptr_t)fp_strmap_get(&r->by_key, key, (size_t)n);
        for (size_t i = head; i; i = r->next[i - 1])
                if (same_entry(&r->aff[i - 1], a))
                        return true;
        /* the new entry becomes the head of its chain */
        r->next[r->naff] = head;
        r->aff[r->naff++] = *a;
        if (fp_strmap_put(&r->by_key, key, (size_t)n, (void *)(uintptr_t)r->naff) != FP_OK) {
                r->oom = true;
                return false;
        }
        return true;
}

/* package {ecosystem, name, purl}: *ours says whether the ecosystem is one of ours. */
static bool parse_package(struct rec *r, const json_t *pkg, struct eco *e, bool *ours,
                          struct fp_vuln_affected *a, struct fp_diag *d)
{
        const char *eco, *name, *purl;
        d->field[0] = '\0';
        if (!json_is_object(pkg)) {
                fp_diag_msg(d, "package is not an object");
                return false;
        }
        if (!fp_json_get_str(pkg, "ecosystem", true, FP_MAX_ADVISORY_ID_LEN, &eco, d) ||
            !fp_json_get_str(pkg, "name", true, FP_MAX_ADVISORY_ID_LEN, &name, d) ||
            !fp_json_get_str(pkg, "purl", false, URL_MAX, &purl, d))
                return false;
        *ours = map_ecosystem(eco, e);
        if (!*ours) {
                note_foreign(r, eco);
                return true;
        }
        a->distro = e->distro;
        a->release = rdup(r, e->release, strlen(e->release));
        a->package = name;
        a->source = e->source;
        a->arch = e->rpm ? purl_arch(r, purl) : NULL;
        return a->release != NULL;
}

static bool parse_versions(struct rec *r, const json_t *entry, const struct eco *e, bool ours,
                           struct fp_vuln_affected *a, struct fp_diag *d)
{
        json_t *arr;
        if (!fp_json_get_array(entry, "versions", false, FP_MAX_AFFECTED_VERSIONS, &arr, d))
                return false;
        size_t n = arr ? json_array_size(arr) : 0;
        const char **v = ours ? ralloc(r, n, sizeof(*v)) : NULL;
        if (ours && n && !v)
                return false;
        for (size_t i = 0; i < n; i++) {
                const char *s;
                if (!array_str(arr, i, FP_MAX_ADVISORY_ID_LEN, &s, d) ||
                    (ours && !valid_version(e->scheme, s, d))) {
                        at(d, "versions[%zu]", i);
                        return false;
                }
                if (v)
                        v[i] = s;
        }
        a->versions = v;
        a->nversions = ours ? n : 0;
        return true;
}

/* affected[i]: checked whatever its ecosystem; appended to r->aff when it is ours. */
static bool parse_affected(struct rec *r, const json_t *entry, struct fp_diag *d)
{
        json_t *pkg, *ranges;
        struct eco e = {0};
        bool ours = false, has_ecosystem = false;
        struct fp_vuln_affected a = {.state = FP_VS_AFFECTED};

        d->field[0] = '\0';
        if (!json_is_object(entry)) {
                fp_diag_msg(d, "affected entry is not an object");
                return false;
        }
        if (!fp_json_get_object(entry, "package", false, &pkg, d) ||
            !fp_json_get_array(entry, "ranges", false, MAX_RANGES, &ranges, d))
                return false;
        if (pkg && !parse_package(r, pkg, &e, &ours, &a, d)) {
                at(d, "package");
                return false;
        }
        if (!pkg) {
                if (!ranges || json_array_size(ranges) == 0) {
                        fp_diag_where(d, NULL, 0, "package");
                        fp_diag_msg(d, "affected entry has neither a package nor GIT ranges");
                        return false;
                }
                note_foreign(r, "GIT");
        }
        if (!parse_versions(r, entry, &e, ours, &a, d))
                return false;
        size_t nr = ranges ? json_array_size(ranges) : 0;
        struct fp_vuln_range *out = NULL;
        if (ours && nr) {
                /* each event opens at most one range: events / 1 bounds the count */
                size_t cap = 0;
                for (size_t i = 0; i < nr; i++) {
                        const json_t *evs = json_object_get(json_array_get(ranges, i), "events");
                        cap += json_is_array(evs) ? json_array_size(evs) : 0;
                }
                out = ralloc(r, cap ? cap : 1, sizeof(*out));
                if (!out)
                        return false;
        }
        for (size_t i = 0; i < nr; i++) {
                if (!parse_range(r, json_array_get(ranges, i), ours ? &e : NULL, pkg != NULL, out,
                                 &a.nranges, &has_ecosystem, d)) {
                        if (!r->oom)
                                at(d, "ranges[%zu]", i);
                        return false;
                }
        }
        if (!ours)
                return true;
        r->os_entries++;
        if (nr && !has_ecosystem && a.nversions == 0)
                return true; /* only GIT/SEMVER ranges: nothing we can match */
        a.ranges = a.nranges ? out : NULL;
        if (has_ecosystem && a.nranges == 0 && a.nversions == 0)
                a.state = FP_VS_NOT_AFFECTED; /* only empty [0, 0) ranges */
        if (out && a.nranges == 1 && !out[0].introduced && out[0].fixed)
                a.fixed = out[0].fixed;
        if (!cves_map(r, entry, &a, d))
                return false;
        r->rpm |= e.rpm;
        return add_entry(r, &a);
}

/* ---- one record -------------------------------------------------------------------------- */

/* "1.7.0": only major version 1 exists; a later major may change meanings under us. */
static bool check_schema_version(const json_t *rec, struct fp_diag *d)
{
        const char *sv;
        if (!fp_json_get_str(rec, "schema_version", false, 32, &sv, d))
                return false;
        if (!sv)
                return true;
        size_t n = strspn(sv, "0123456789");
        if (n == 0 || (sv[n] != '.' && sv[n] != '\0')) {
                fp_diag_where(d, NULL, 0, "schema_version");
                fp_diag_msg(d, "not a version: '%s'", sv);
                return false;
        }
        if (n > 1 || sv[0] != '1') {
                fp_diag_where(d, NULL, 0, "schema_version");
                fp_diag_msg(d, "schema_version %s: only major version 1 is understood", sv);
                return false;
        }
        return true;
}

/* An id: 1..FP_MAX_ADVISORY_ID_LEN bytes, no blanks or control characters. */
static bool check_id(const json_t *rec, const char **id, struct fp_diag *d)
{
        if (!fp_json_get_str(rec, "id", true, FP_MAX_ADVISORY_ID_LEN, id, d))
                return false;
        for (const char *p = *id; *p; p++) {
                if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
                        fp_diag_where(d, NULL, 0, "id");
                        fp_diag_msg(d, "blank or control character in id");
                        *id = NULL;
                        return false;
                }
        }
        return true;
}

/* Summary, or the first non-empty line of details, bounded. */
static bool make_summary(struct rec *r, const json_t *rec, struct fp_diag *d)
{
        const char *summary, *details;
        if (!fp_json_get_str(rec, "summary", false, FP_MAX_RECORD_SIZE, &summary, d) ||
            !fp_json_get_str(rec, "details", false, FP_MAX_RECORD_SIZE, &details, d))
                return false;
        const char *s = summary && *summary ? summary : details;
        if (!s)
                return true;
        s += strspn(s, " \t\r\n");
        size_t n = strcspn(s, "\r\n");
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        if (n > SUMMARY_MAX) {
                n = SUMMARY_MAX;
                while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                        n--;
        }
        if (n)
                r->summary = rdup(r, s, n);
        return n == 0 || r->summary;
}

/* Everything but `affected` and `related`. */
static bool parse_head(struct rec *r, const json_t *rec, struct fp_vuln_advisory *adv,
                       struct fp_diag *d)
{
        int64_t withdrawn;
        if (!check_schema_version(rec, d) ||
            !fp_json_get_date(rec, "modified", true, &adv->modified, d) ||
            !fp_json_get_date(rec, "published", false, &adv->published, d) ||
            !fp_json_get_date(rec, "withdrawn", false, &withdrawn, d) || !make_summary(r, rec, d) ||
            !alias_list(r, rec, "aliases", ALIAS_ALL, d) ||
            !alias_list(r, rec, "upstream", ALIAS_ALL, d) || !references(r, rec, d) ||
            !record_severity(r, rec, d))
                return false;
        adv->withdrawn = withdrawn != 0;
        r->withdrawn_early = withdrawn && adv->published && withdrawn < adv->published;
        return true;
}

enum outcome { OUT_EMIT, OUT_REJECT, OUT_SKIP };

/* Why a checked record has nothing for us, or NULL. */
static const char *skip_reason(const struct rec *r, size_t naffected, char *buf, size_t bufsz)
{
        if (naffected == 0)
                return "no affected packages";
        if (r->os_entries == 0) {
                snprintf(buf, bufsz, "no OS-distribution ecosystem (%s)", r->foreign);
                return buf;
        }
        if (r->naff == 0)
                return "OS packages without ECOSYSTEM ranges or versions";
        if (r->withdrawn_early)
                return "withdrawn before it was published";
        return NULL;
}

/*
 * Check and build one record into adv. Returns false only when out of memory; otherwise
 * *out says what to do, with d (reject) or reason (skip).
 */
static bool build(struct rec *r, const json_t *rec, struct fp_vuln_advisory *adv, enum outcome *out,
                  char *reason, size_t reasonsz, struct fp_diag *d)
{
        json_t *affected;
        *out = OUT_REJECT;
        d->field[0] = '\0';
        if (!json_is_object(rec)) {
                fp_diag_msg(d, "record is not an object");
                return true;
        }
        if (!check_id(rec, &r->id, d))
                return true;
        adv->id = r->id;
        if (!parse_head(r, rec, adv, d) ||
            !fp_json_get_array(rec, "affected", false, FP_MAX_AFFECTED, &affected, d))
                return !r->oom;
        size_t n = affected ? json_array_size(affected) : 0;
        r->aff = ralloc(r, n, sizeof(*r->aff));
        r->next = ralloc(r, n, sizeof(*r->next));
        for (size_t i = 0; i < n && !r->oom; i++) {
                if (!parse_affected(r, json_array_get(affected, i), d)) {
                        at(d, "affected[%zu]", i);
                        return !r->oom;
                }
        }
        /* errata of RPM distributions list the CVEs they fix in `related` only */
        if (r->oom || !alias_list(r, rec, "related", r->rpm ? ALIAS_CVES : ALIAS_NONE, d))
                return !r->oom;
        if (r->rpm && r->vendor == FP_SEV_UNKNOWN)
                r->vendor = summary_word(r->summary);
        const char *why = skip_reason(r, n, reason, reasonsz);
        if (why) {
                if (why != reason)
                        snprintf(reason, reasonsz, "%s", why);
                *out = OUT_SKIP;
                return true;
        }
        adv->kind = FP_FEED_OSV;
        adv->aliases = r->aliases;
        adv->naliases = r->naliases;
        adv->summary = r->summary;
        adv->cvss_score = r->vector_rank > 1 ? r->score : -1.0;
        adv->cvss_vector = r->vector;
        adv->severity = r->vendor      ? r->vendor
                        : r->entry_max ? r->entry_max
                                       : fp_severity_from_cvss(adv->cvss_score);
        adv->refs = r->refs;
        adv->nrefs = r->nrefs;
        adv->affected = r->aff;
        adv->naffected = r->naff;
        *out = OUT_EMIT;
        return true;
}

/* One record through the sink; FP_OK unless out of memory or the sink said stop. */
static enum fp_err one_record(const struct osv *o, const json_t *rec, size_t index,
                              struct fp_diag *diag)
{
        struct rec r;
        struct fp_vuln_advisory adv;
        struct fp_diag d;
        enum outcome out;
        char reason[REASON_MAX + 64];
        enum fp_err err = FP_OK;

        memset(&r, 0, sizeof(r));
        memset(&adv, 0, sizeof(adv));
        fp_diag_clear(&d);
        fp_arena_init(&r.arena);
        fp_strmap_init(&r.by_key);
        r.score = -1.0;
        if (!build(&r, rec, &adv, &out, reason, sizeof(reason), &d)) {
                fp_diag_set(diag, o->name, 0, "", "out of memory in record %zu", index);
                err = FP_ENOMEM;
        } else if (out == OUT_REJECT) {
                snprintf(d.file, sizeof(d.file), "%s", o->name);
                if (!r.id) {
                        /* no id to name it by: say which record of the feed it was */
                        char msg[FP_DIAG_MSG_MAX];
                        snprintf(msg, sizeof(msg), "record %zu: %.200s", index, d.msg);
                        snprintf(d.msg, sizeof(d.msg), "%s", msg);
                }
                if (o->sink->reject)
                        o->sink->reject(o->sink->ud, r.id ? r.id : "", &d);
        } else if (out == OUT_SKIP) {
                if (o->sink->skip)
                        o->sink->skip(o->sink->ud, r.id, reason);
        } else if (o->sink->advisory) {
                err = o->sink->advisory(o->sink->ud, &adv);
                if (err != FP_OK)
                        fp_diag_set(diag, o->name, 0, "", "advisory %s not taken: %s", r.id,
                                    fp_strerror(err));
        }
        fp_strmap_release(&r.by_key);
        fp_arena_release(&r.arena);
        return err;
}

enum fp_err fp_feed_parse_osv(const char *data, size_t len, const char *name,
                              const struct fp_feed_sink *sink, struct fp_diag *diag)
{
        struct osv o = {name ? name : "osv", sink};
        enum fp_err err;
        const json_t *list = NULL;

        fp_diag_clear(diag);
        json_t *root = fp_json_load(data, len, o.name, &err, diag);
        if (!root)
                return err;
        if (json_is_array(root)) {
                list = root;
        } else if (json_is_object(root) && json_object_get(root, "vulns")) {
                list = json_object_get(root, "vulns");
                if (!json_is_array(list)) {
                        fp_diag_set(diag, o.name, 0, "vulns", "expected an array of records");
                        json_decref(root);
                        return FP_EPARSE;
                }
        } else if (!json_is_object(root)) {
                fp_diag_set(diag, o.name, 0, "",
                            "not an OSV record, an array of records or {\"vulns\": [...]}");
                json_decref(root);
                return FP_EPARSE;
        }
        if (list && json_array_size(list) > FP_MAX_FEED_RECORDS) {
                fp_diag_set(diag, o.name, 0, "", "%zu records exceed the limit of %d",
                            json_array_size(list), FP_MAX_FEED_RECORDS);
                json_decref(root);
                return FP_ELIMIT;
        }
        err = FP_OK;
        if (!list) {
                /* {} is osv.dev's answer without results; any other object is one record */
                if (json_object_size(root) > 0)
                        err = one_record(&o, root, 0, diag);
        } else {
                for (size_t i = 0; i < json_array_size(list) && err == FP_OK; i++)
                        err = one_record(&o, json_array_get(list, i), i, diag);
        }
        json_decref(root);
        return err;
}
