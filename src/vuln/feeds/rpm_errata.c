/*
 * RPM-distribution errata in the JSON shapes of aquasecurity/vuln-list:
 *
 *   AlmaLinux (errata API): {updateinfo_id, title, severity, issued_date: {$date: ms},
 *       updated_date, pkglist: {packages: [{name, epoch, version, release, arch, src, ...}],
 *       module: {name, stream, ...} or {}}, references: [{href, type, id}]}
 *   Rocky and Amazon: {id, title, issued: {date}, updated: {date}, severity,
 *       packages: [...], collections: [{module?: {name, stream}, packages: [...]}],
 *       references: [...], cveids: [...]}
 *   Oracle (vuln-list's OVAL rendering): {Title, Platform, References: [{Source, URI, ID}],
 *       Criteria: {Operator, Criterias, Criterions: [{Comment}]}, Severity, Cves, Issued}
 *
 * A feed is one record, an array of records, or {"data": [...]}; the AlmaLinux errata API
 * answers with a bare array. One advisory per erratum, one affected entry per binary package
 * x arch: state AFFECTED, fixed = the erratum's EVR.
 *
 * Decisions where the sources leave room:
 *  - fixed is "version-release" when the epoch is 0 or absent, "epoch:version-release"
 *    otherwise (rpm -q and the OSV AlmaLinux records spell it so; librpm compares a missing
 *    epoch as 0, so "0:1.2-3" and "1.2-3" are equal to fp_rpm_vercmp anyway).
 *  - Source RPMs (arch "src"/"nosrc") are not emitted: hosts are matched by binary packages.
 *  - The arch is kept as given ("x86_64_v2" of AlmaLinux 10 stays "x86_64_v2").
 *  - The distribution comes from the id prefix, the release from the package's RPM release:
 *    ".el9_4" -> "9", "module+el8.4.0+..." -> "8", "amzn2" -> "2", "amzn2023" -> "2023".
 *    A package whose release names none takes, in this order: the Oracle platform its
 *    criteria sit under ("Oracle Linux 7 is installed"), the most common release of the
 *    erratum's other packages, the Amazon id prefix (ALAS2- = 2). Else the record is rejected.
 *  - module = "name:stream" of the erratum's module (AlmaLinux pkglist.module, Rocky
 *    collections[].module, Oracle "Module x:y is enabled"), only for packages whose release is
 *    a module build (".module+el" / ".module_el"): the matcher pairs modular entries with
 *    modular installed versions only. A modular Rocky package listed at the top level outside
 *    its collection takes the record's module when the record has exactly one.
 *  - Duplicates (same release, name, arch and EVR; Rocky lists each package several times and
 *    both in collections and at the top level) are emitted once, the first one winning.
 *    Different builds of one package (AlmaLinux virt:rhel lists the el8.3 and el8.4 module
 *    builds) are distinct entries.
 *  - aliases = CVE ids only (references of type cve, cveids, Oracle Cves); RHSA cross
 *    references stay references. summary = the title.
 *  - Unknown severity words are FP_SEV_UNKNOWN, not a reject.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"
#include "vuln/feeds/common.h"
#include "vuln/json.h"

/* A distribution release ("8", "2023") is short; longer numbers are not a release. */
#define RELEASE_MAX 8

enum shape { SHAPE_ALMA, SHAPE_ROCKY, SHAPE_ORACLE };

/* One package of an erratum, before its distribution release is settled. */
struct pkg {
        const char *name, *arch, *fixed, *module;
        const char *rpmrel; /* RPM release: where the distribution release is read from */
        const char *hint;   /* release given by the record's structure (Oracle), or NULL */
        size_t index;       /* position, for diagnostics */
};

struct errata {
        const char *name;
        const struct fp_feed_sink *sink;
        /* The record being built; reset per record. */
        struct fp_arena arena;
        struct fp_strmap seen; /* 'A'alias, 'R'ref, 'P'release/name/arch/EVR: emitted once */
        const char *id, *distro;
        struct pkg *pkgs;
        size_t npkgs, pkgs_cap;
        struct fp_vuln_affected *aff;
        size_t naff, aff_cap;
        const char **aliases;
        size_t naliases, aliases_cap;
        const char **refs;
        size_t nrefs, refs_cap;
        bool majority_done; /* majority computed (see majority_release) */
        char majority[RELEASE_MAX + 1];
        bool oom; /* an allocation failed: the parse stops with FP_ENOMEM, not a reject */
};

/* ---- small helpers ------------------------------------------------------------------------ */

static const char *keep(struct errata *e, const char *s, size_t len)
{
        char *r = fp_arena_strndup(&e->arena, s, len);
        if (!r)
                e->oom = true;
        return r;
}

/* True the first time `kind`+key is seen in this record. */
static bool first_time(struct errata *e, char kind, const char *key)
{
        size_t n = strlen(key);
        char *k = fp_arena_alloc(&e->arena, n + 2);
        if (!k) {
                e->oom = true;
                return false;
        }
        k[0] = kind;
        memcpy(k + 1, key, n + 1);
        if (fp_strmap_get(&e->seen, k, n + 1))
                return false;
        if (fp_strmap_put(&e->seen, k, n + 1, k) != FP_OK) {
                e->oom = true;
                return false;
        }
        return true;
}

static void reset(struct errata *e)
{
        fp_arena_release(&e->arena);
        fp_arena_init(&e->arena);
        fp_strmap_release(&e->seen);
        fp_strmap_init(&e->seen);
        e->id = e->distro = NULL;
        e->npkgs = e->naff = e->naliases = e->nrefs = 0;
        e->majority_done = false;
}

/* ---- aliases and references --------------------------------------------------------------- */

static bool add_alias(struct errata *e, const char *cve, struct fp_diag *d, const char *field)
{
        if (!cve || !*cve)
                return true;
        if (!fp_feed_valid_token(cve))
                return fp_feed_fail(d, field, "not an advisory id: '%.64s'", cve);
        if (!first_time(e, 'A', cve))
                return !e->oom;
        if (e->naliases >= FP_MAX_ALIASES)
                return fp_feed_fail(d, field, "more than %d aliases", FP_MAX_ALIASES);
        if (!fp_feed_grow((void **)&e->aliases, &e->aliases_cap, e->naliases + 1,
                          sizeof(*e->aliases))) {
                e->oom = true;
                return false;
        }
        e->aliases[e->naliases++] = cve;
        return true;
}

static bool add_ref(struct errata *e, const char *url, struct fp_diag *d, const char *field)
{
        if (!url || !*url || !first_time(e, 'R', url))
                return !e->oom;
        if (e->nrefs >= FP_MAX_REFS)
                return fp_feed_fail(d, field, "more than %d references", FP_MAX_REFS);
        if (!fp_feed_grow((void **)&e->refs, &e->refs_cap, e->nrefs + 1, sizeof(*e->refs))) {
                e->oom = true;
                return false;
        }
        e->refs[e->nrefs++] = url;
        return true;
}

/*
 * references[]: {href|URI, type|Source, id|ID}. Every URL is a reference; the ids of type
 * "cve" are aliases.
 */
static bool read_references(struct errata *e, const json_t *rec, const char *key, bool oracle,
                            struct fp_diag *d)
{
        json_t *arr;
        if (!fp_json_get_array(rec, key, false, FP_MAX_REFS, &arr, d))
                return false;
        size_t i;
        const json_t *r;
        json_array_foreach(arr, i, r)
        {
                const char *url, *type, *id;
                if (!json_is_object(r)) {
                        fp_feed_fail(d, "", "reference is not an object");
                        fp_feed_set_path(d, "%s/%zu", key, i);
                        return false;
                }
                if (!fp_json_get_str(r, oracle ? "URI" : "href", false, 4096, &url, d) ||
                    !fp_json_get_str(r, oracle ? "Source" : "type", false, 64, &type, d) ||
                    !fp_json_get_str(r, oracle ? "ID" : "id", false, FP_MAX_ADVISORY_ID_LEN, &id,
                                     d) ||
                    !add_ref(e, url, d, "") ||
                    (type && strcasecmp(type, "cve") == 0 && !add_alias(e, id, d, "id"))) {
                        fp_feed_set_path(d, "%s/%zu", key, i);
                        return false;
                }
        }
        return true;
}

/* An array of CVE id strings (Rocky/Amazon cveids) or of {ID} objects (Oracle Cves). */
static bool read_cve_list(struct errata *e, const json_t *rec, const char *key, struct fp_diag *d)
{
        json_t *arr;
        if (!fp_json_get_array(rec, key, false, FP_MAX_ALIASES, &arr, d))
                return false;
        size_t i;
        const json_t *c;
        json_array_foreach(arr, i, c)
        {
                const char *id = NULL;
                bool ok;
                if (json_is_string(c))
                        ok = (id = json_string_value(c)) != NULL;
                else if (json_is_object(c))
                        ok = fp_json_get_str(c, "ID", false, FP_MAX_ADVISORY_ID_LEN, &id, d);
                else
                        ok = fp_feed_fail(d, "", "expected a CVE id");
                if (!ok || !add_alias(e, id, d, "")) {
                        fp_feed_set_path(d, "%s/%zu", key, i);
                        return false;
                }
        }
        return true;
}

/* ---- dates -------------------------------------------------------------------------------- */

/* AlmaLinux's Mongo export: {"$date": ms} or {"$date": {"$numberLong": "ms"}} or a string. */
static bool mongo_date(const json_t *v, int64_t *out)
{
        if (json_is_object(v))
                v = json_object_get(v, "$date");
        if (json_is_object(v))
                v = json_object_get(v, "$numberLong");
        if (json_is_string(v)) {
                const char *s = json_string_value(v);
                char *end;
                long long ms = strtoll(s, &end, 10);
                if (*s && *end == '\0' && ms >= 0) {
                        *out = ms / 1000;
                        return true;
                }
                return fp_parse_date(s, out);
        }
        if (json_is_number(v)) {
                double ms = json_number_value(v);
                /* beyond year 9999 is not a date */
                if (ms < 0 || ms > 253402300800000.0)
                        return false;
                *out = (int64_t)(ms / 1000);
                return true;
        }
        return false;
}

/* Member `key`: absent/null = 0; {inner: "date"} (Rocky, Amazon, Oracle) or a Mongo date. */
static bool read_date(const json_t *rec, const char *key, const char *inner, int64_t *out,
                      struct fp_diag *d)
{
        const json_t *v = json_object_get(rec, key);
        *out = 0;
        if (!v || json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0))
                return true;
        if (inner && json_is_object(v) && json_object_get(v, inner)) {
                if (!fp_json_get_date(v, inner, false, out, d)) {
                        fp_feed_set_path(d, "%s", key);
                        return false;
                }
                return true;
        }
        if (!mongo_date(v, out))
                return fp_feed_fail(d, key, "not a date");
        return true;
}

/* ---- packages ----------------------------------------------------------------------------- */

/* "epoch:version-release", "0:" left out; NULL (and diag) when a part is malformed. */
/* Private: unlike csaf.c, it names the bad part and also checks with fp_rpm_evr_parse. */
static const char *make_evr(struct errata *e, const char *epoch, const char *version,
                            const char *release, struct fp_diag *d)
{
        if (epoch) {
                size_t n = strlen(epoch);
                if (n > 10 || strspn(epoch, "0123456789") != n) {
                        fp_feed_fail(d, "epoch", "not a number: '%.32s'", epoch);
                        return NULL;
                }
                while (*epoch == '0')
                        epoch++;
        }
        if (!fp_feed_valid_vr(version) || !fp_feed_valid_vr(release)) {
                bool v = !fp_feed_valid_vr(version);
                fp_feed_fail(d, v ? "version" : "release", "not an RPM %s: '%.64s'",
                             v ? "version" : "release", v ? version : release);
                return NULL;
        }
        char *s;
        size_t n = strlen(version) + strlen(release) + (epoch ? strlen(epoch) : 0) + 3;
        s = fp_arena_alloc(&e->arena, n);
        if (!s) {
                e->oom = true;
                return NULL;
        }
        if (epoch && *epoch)
                snprintf(s, n, "%s:%s-%s", epoch, version, release);
        else
                snprintf(s, n, "%s-%s", version, release);
        struct fp_rpmevr evr;
        if (fp_rpm_evr_parse(s, strlen(s), &evr, d) != FP_OK)
                return NULL;
        return s;
}

static bool add_pkg(struct errata *e, const struct pkg *p, struct fp_diag *d)
{
        if (e->npkgs >= FP_MAX_AFFECTED)
                return fp_feed_fail(d, "", "more than %d packages", FP_MAX_AFFECTED);
        if (!fp_feed_grow((void **)&e->pkgs, &e->pkgs_cap, e->npkgs + 1, sizeof(*e->pkgs))) {
                e->oom = true;
                return false;
        }
        e->pkgs[e->npkgs] = *p;
        e->pkgs[e->npkgs].index = e->npkgs;
        e->npkgs++;
        return true;
}

/* The epoch member: a string, an integer, or absent. */
static bool get_epoch(struct errata *e, const json_t *o, const char **out, struct fp_diag *d)
{
        const json_t *v = json_object_get(o, "epoch");
        if (json_is_integer(v)) {
                char buf[24];
                snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
                *out = keep(e, buf, strlen(buf));
                return *out != NULL;
        }
        return fp_json_get_str(o, "epoch", false, 16, out, d);
}

/* One {name, epoch, version, release, arch} object of AlmaLinux, Rocky or Amazon. */
static bool read_pkg(struct errata *e, const json_t *o, const char *module, struct fp_diag *d)
{
        struct pkg p = {0};
        const char *epoch, *version, *release;
        if (!json_is_object(o))
                return fp_feed_fail(d, "", "package is not an object");
        if (!fp_json_get_str(o, "name", true, FP_MAX_ADVISORY_ID_LEN, &p.name, d) ||
            !get_epoch(e, o, &epoch, d) ||
            !fp_json_get_str(o, "version", true, FP_MAX_VERSION_LEN, &version, d) ||
            !fp_json_get_str(o, "release", true, FP_MAX_VERSION_LEN, &release, d) ||
            !fp_json_get_str(o, "arch", false, FP_MAX_ADVISORY_ID_LEN, &p.arch, d))
                return false;
        if (!fp_feed_valid_token(p.name))
                return fp_feed_fail(d, "name", "not a package name: '%.64s'", p.name);
        if (p.arch && !*p.arch)
                p.arch = NULL;
        if (p.arch && !fp_feed_valid_token(p.arch))
                return fp_feed_fail(d, "arch", "not an architecture: '%.64s'", p.arch);
        p.fixed = make_evr(e, epoch, version, release, d);
        if (!p.fixed)
                return false;
        p.rpmrel = release;
        p.module = module && fp_feed_modular_release(release) ? module : NULL;
        return add_pkg(e, &p, d);
}

static bool read_pkg_array(struct errata *e, const json_t *arr, const char *module,
                           const char *where, struct fp_diag *d)
{
        size_t i;
        const json_t *o;
        json_array_foreach(arr, i, o)
        {
                if (!read_pkg(e, o, module, d)) {
                        if (!e->oom)
                                fp_feed_set_path(d, "%s/%zu", where, i);
                        return false;
                }
        }
        return true;
}

/* {name, stream} of a module object as "name:stream"; NULL for {} (not modular). */
static bool read_module(struct errata *e, const json_t *o, const char **out, struct fp_diag *d)
{
        json_t *m;
        const char *name, *stream;
        *out = NULL;
        if (!fp_json_get_object(o, "module", false, &m, d))
                return false;
        if (!m || json_object_size(m) == 0)
                return true;
        if (!fp_json_get_str(m, "name", true, FP_MAX_ADVISORY_ID_LEN, &name, d) ||
            !fp_json_get_str(m, "stream", true, FP_MAX_ADVISORY_ID_LEN, &stream, d)) {
                fp_feed_set_path(d, "module");
                return false;
        }
        if (!fp_feed_valid_token(name) || !fp_feed_valid_token(stream) || strchr(name, ':') ||
            strchr(stream, ':'))
                return fp_feed_fail(d, "module", "not a module name:stream");
        char buf[2 * FP_MAX_ADVISORY_ID_LEN + 2];
        snprintf(buf, sizeof(buf), "%s:%s", name, stream);
        *out = keep(e, buf, strlen(buf));
        return *out != NULL;
}

static bool alma_packages(struct errata *e, const json_t *rec, struct fp_diag *d)
{
        json_t *pl, *arr;
        const char *module;
        if (!fp_json_get_object(rec, "pkglist", true, &pl, d))
                return false;
        if (!read_module(e, pl, &module, d) ||
            !fp_json_get_array(pl, "packages", false, FP_MAX_AFFECTED, &arr, d)) {
                fp_feed_set_path(d, "pkglist");
                return false;
        }
        return read_pkg_array(e, arr, module, "pkglist/packages", d);
}

/* Rocky: collections first (they carry the module), then the flat list (mostly repeats). */
static bool rocky_packages(struct errata *e, const json_t *rec, struct fp_diag *d)
{
        json_t *cols, *arr;
        const char *only_module = NULL;
        size_t nmodules = 0, i;
        const json_t *c;
        if (!fp_json_get_array(rec, "collections", false, FP_MAX_AFFECTED, &cols, d))
                return false;
        json_array_foreach(cols, i, c)
        {
                const char *module;
                char where[48];
                if (!json_is_object(c) || !read_module(e, c, &module, d) ||
                    !fp_json_get_array(c, "packages", false, FP_MAX_AFFECTED, &arr, d)) {
                        if (!json_is_object(c))
                                fp_feed_fail(d, "", "collection is not an object");
                        fp_feed_set_path(d, "collections/%zu", i);
                        return false;
                }
                if (module && (!only_module || strcmp(module, only_module) != 0)) {
                        only_module = module;
                        nmodules++;
                }
                snprintf(where, sizeof(where), "collections/%zu/packages", i);
                if (!read_pkg_array(e, arr, module, where, d))
                        return false;
        }
        if (!fp_json_get_array(rec, "packages", false, FP_MAX_AFFECTED, &arr, d))
                return false;
        return read_pkg_array(e, arr, nmodules == 1 ? only_module : NULL, "packages", d);
}

/*
 * Oracle criteria: "<name> is earlier than <E:V-R>" under an AND that may say "Oracle Linux N
 * is installed", "Oracle Linux arch is <arch>" or "Module <name:stream> is enabled"; those
 * hold for the whole subtree.
 */
struct oval_ctx {
        const char *release, *arch, *module;
};

static bool oracle_comment(struct errata *e, const char *c, struct oval_ctx *ctx, bool packages,
                           struct fp_diag *d)
{
        static const char earlier[] = " is earlier than ";
        const char *p;
        size_t n = strlen(c);
        if (!packages) {
                if (strncmp(c, "Oracle Linux arch is ", 21) == 0 && fp_feed_valid_token(c + 21)) {
                        ctx->arch = c + 21;
                } else if (strncmp(c, "Oracle Linux ", 13) == 0 && n > 26 &&
                           strcmp(c + n - 13, " is installed") == 0) {
                        size_t len = n - 26;
                        if (len <= RELEASE_MAX && strspn(c + 13, "0123456789") == len)
                                ctx->release = keep(e, c + 13, len);
                } else if (strncmp(c, "Module ", 7) == 0 && n > 18 &&
                           strcmp(c + n - 11, " is enabled") == 0) {
                        ctx->module = keep(e, c + 7, n - 18);
                }
                return !e->oom;
        }
        if (!(p = strstr(c, earlier)))
                return true;
        const char *name = keep(e, c, (size_t)(p - c));
        const char *evr = p + sizeof(earlier) - 1;
        const char *colon = strchr(evr, ':'), *dash = strrchr(evr, '-');
        if (!name)
                return false;
        if (!fp_feed_valid_token(name))
                return fp_feed_fail(d, "Comment", "not a package name: '%.64s'", name);
        if (!dash || (colon && colon > dash))
                return fp_feed_fail(d, "Comment", "not an EVR: '%.64s'", evr);
        const char *epoch = colon ? keep(e, evr, (size_t)(colon - evr)) : NULL;
        const char *ver =
            keep(e, colon ? colon + 1 : evr, (size_t)(dash - (colon ? colon + 1 : evr)));
        struct pkg pk = {.name = name, .arch = ctx->arch, .hint = ctx->release, .rpmrel = dash + 1};
        if (e->oom || (colon && !epoch) || !ver)
                return false;
        pk.fixed = make_evr(e, epoch, ver, dash + 1, d);
        if (!pk.fixed) {
                fp_feed_set_path(d, "Comment");
                return false;
        }
        pk.module = ctx->module && fp_feed_modular_release(pk.rpmrel) ? ctx->module : NULL;
        return add_pkg(e, &pk, d);
}

static bool oracle_walk(struct errata *e, const json_t *node, struct oval_ctx ctx,
                        struct fp_diag *d)
{
        json_t *crits, *subs;
        size_t i;
        const json_t *c;
        if (!json_is_object(node))
                return fp_feed_fail(d, "", "criteria is not an object");
        if (!fp_json_get_array(node, "Criterions", false, FP_MAX_AFFECTED, &crits, d) ||
            !fp_json_get_array(node, "Criterias", false, FP_MAX_AFFECTED, &subs, d))
                return false;
        /* Two passes: the context criterions of this node apply to its own packages too. */
        for (int pass = 0; pass < 2; pass++) {
                json_array_foreach(crits, i, c)
                {
                        const char *comment;
                        if (!json_is_object(c))
                                return fp_feed_fail(d, "Criterions", "criterion is not an object");
                        if (!fp_json_get_str(c, "Comment", false, 4096, &comment, d) ||
                            (comment && !oracle_comment(e, comment, &ctx, pass == 1, d))) {
                                if (!e->oom)
                                        fp_feed_set_path(d, "Criterions/%zu", i);
                                return false;
                        }
                }
        }
        json_array_foreach(subs, i, c)
        {
                if (!oracle_walk(e, c, ctx, d)) {
                        if (!e->oom)
                                fp_feed_set_path(d, "Criterias/%zu", i);
                        return false;
                }
        }
        return true;
}

static bool oracle_packages(struct errata *e, const json_t *rec, struct fp_diag *d)
{
        json_t *crit;
        struct oval_ctx ctx = {0};
        if (!fp_json_get_object(rec, "Criteria", false, &crit, d))
                return false;
        if (crit && !oracle_walk(e, crit, ctx, d)) {
                if (!e->oom)
                        fp_feed_set_path(d, "Criteria");
                return false;
        }
        return true;
}

/* ---- distribution and release ------------------------------------------------------------- */

static const char *distro_of(const char *id)
{
        static const struct {
                const char *prefix, *distro;
        } map[] = {
            {"ALSA-", "almalinux"}, {"ALBA-", "almalinux"}, {"ALEA-", "almalinux"},
            {"RLSA-", "rocky"},     {"RLBA-", "rocky"},     {"RLEA-", "rocky"},
            {"ELSA-", "oracle"},    {"ELBA-", "oracle"},    {"ELEA-", "oracle"},
            {"ALAS", "amazon"},
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strncmp(id, map[i].prefix, strlen(map[i].prefix)) == 0)
                        return map[i].distro;
        return NULL;
}

/*
 * The distribution release an RPM release names: "amzn<N>" for Amazon, else "el<N>" after
 * '.', '_' or '+' and not followed by another digit. false if it names none.
 */
static bool release_of(const char *distro, const char *rel, char out[RELEASE_MAX + 1])
{
        bool amazon = strcmp(distro, "amazon") == 0;
        const char *tag = amazon ? "amzn" : "el";
        size_t tlen = strlen(tag);
        for (const char *p = rel; (p = strstr(p, tag)) != NULL; p += tlen) {
                if (!amazon && (p == rel || !strchr("._+", p[-1])))
                        continue;
                size_t n = strspn(p + tlen, "0123456789");
                if (n == 0 || n > RELEASE_MAX || p[tlen] == '0')
                        continue;
                memcpy(out, p + tlen, n);
                out[n] = '\0';
                return true;
        }
        return false;
}

/* Amazon Linux release from the id: ALAS2023-… = 2023, ALAS2-… = 2, ALAS-… = 1. */
static bool amazon_release_of_id(const char *id, char out[RELEASE_MAX + 1])
{
        size_t n = strspn(id + 4, "0123456789");
        if (n > RELEASE_MAX || id[4 + n] != '-')
                return false;
        if (n == 0) {
                strcpy(out, "1");
        } else {
                memcpy(out, id + 4, n);
                out[n] = '\0';
        }
        return true;
}

static int cmp_release(const void *a, const void *b)
{
        return strcmp(a, b);
}

/*
 * The most common release named by the erratum's packages (ties: the lowest), computed once
 * per record; false if no package names one.
 */
static bool majority_release(struct errata *e, char out[RELEASE_MAX + 1])
{
        if (e->majority_done) {
                memcpy(out, e->majority, sizeof(e->majority));
                return e->majority[0] != '\0';
        }
        e->majority_done = true;
        e->majority[0] = '\0';
        char(*rels)[RELEASE_MAX + 1] = malloc((e->npkgs ? e->npkgs : 1) * sizeof(*rels));
        size_t n = 0, best = 0;
        if (!rels) {
                e->oom = true;
                return false;
        }
        for (size_t i = 0; i < e->npkgs; i++)
                n += release_of(e->distro, e->pkgs[i].rpmrel, rels[n]);
        qsort(rels, n, sizeof(*rels), cmp_release);
        for (size_t i = 0, j; i < n; i = j) {
                for (j = i + 1; j < n && strcmp(rels[i], rels[j]) == 0; j++)
                        ;
                if (j - i > best) {
                        best = j - i;
                        memcpy(e->majority, rels[i], sizeof(e->majority));
                }
        }
        free(rels);
        memcpy(out, e->majority, sizeof(e->majority));
        return best > 0;
}

static const char *settle_release(struct errata *e, const struct pkg *p, struct fp_diag *d)
{
        char r[RELEASE_MAX + 1];
        if (release_of(e->distro, p->rpmrel, r))
                return keep(e, r, strlen(r));
        if (p->hint)
                return p->hint;
        if (majority_release(e, r) ||
            (!e->oom && strcmp(e->distro, "amazon") == 0 && amazon_release_of_id(e->id, r)))
                return keep(e, r, strlen(r));
        if (e->oom)
                return NULL;
        fp_feed_fail(d, "", "cannot tell the %s release of %s-%s", e->distro, p->name, p->fixed);
        return NULL;
}

static bool source_arch(const char *arch)
{
        return arch && (strcmp(arch, "src") == 0 || strcmp(arch, "nosrc") == 0);
}

/* pkgs -> affected entries: binary packages only, release settled, duplicates dropped. */
static bool build_affected(struct errata *e, struct fp_diag *d)
{
        for (size_t i = 0; i < e->npkgs; i++) {
                const struct pkg *p = &e->pkgs[i];
                if (source_arch(p->arch))
                        continue;
                const char *rel = settle_release(e, p, d);
                if (!rel) {
                        if (!e->oom)
                                fp_feed_set_path(d, "packages/%zu", p->index);
                        return false;
                }
                char key[4 * FP_MAX_ADVISORY_ID_LEN + 2 * FP_MAX_VERSION_LEN + 8];
                snprintf(key, sizeof(key), "%s/%s/%s/%s", rel, p->name, p->arch ? p->arch : "",
                         p->fixed);
                if (!first_time(e, 'P', key)) {
                        if (e->oom)
                                return false;
                        continue;
                }
                if (!fp_feed_grow((void **)&e->aff, &e->aff_cap, e->naff + 1, sizeof(*e->aff))) {
                        e->oom = true;
                        return false;
                }
                e->aff[e->naff++] = (struct fp_vuln_affected){
                    .distro = e->distro,
                    .release = rel,
                    .package = p->name,
                    .arch = p->arch,
                    .module = p->module,
                    .state = FP_VS_AFFECTED,
                    .fixed = p->fixed,
                };
        }
        return true;
}

/* ---- records ------------------------------------------------------------------------------ */

static bool detect(const json_t *rec, enum shape *out)
{
        if (json_object_get(rec, "updateinfo_id"))
                *out = SHAPE_ALMA;
        else if (json_object_get(rec, "Title") || json_object_get(rec, "Criteria"))
                *out = SHAPE_ORACLE;
        else if (json_object_get(rec, "id"))
                *out = SHAPE_ROCKY;
        else
                return false;
        return true;
}

/* Oracle's id: the "elsa" reference, else the Title up to its ':'. */
static bool oracle_id(struct errata *e, const json_t *rec, const char **id, struct fp_diag *d)
{
        json_t *refs;
        const char *title;
        size_t i;
        const json_t *r;
        *id = NULL;
        if (!fp_json_get_array(rec, "References", false, FP_MAX_REFS, &refs, d))
                return false;
        json_array_foreach(refs, i, r)
        {
                const json_t *src = json_object_get(r, "Source");
                const json_t *rid = json_object_get(r, "ID");
                if (json_is_string(src) && json_is_string(rid) &&
                    strcasecmp(json_string_value(src), "elsa") == 0) {
                        *id = json_string_value(rid);
                        return true;
                }
        }
        if (!fp_json_get_str(rec, "Title", true, 4096, &title, d))
                return false;
        const char *colon = strchr(title, ':');
        if (!colon || colon == title)
                return fp_feed_fail(d, "Title", "no advisory id");
        *id = keep(e, title, (size_t)(colon - title));
        return *id != NULL;
}

static bool record_id(struct errata *e, const json_t *rec, enum shape s, struct fp_diag *d)
{
        const char *id;
        bool ok = s == SHAPE_ORACLE ? oracle_id(e, rec, &id, d)
                                    : fp_json_get_str(rec, s == SHAPE_ALMA ? "updateinfo_id" : "id",
                                                      true, FP_MAX_ADVISORY_ID_LEN, &id, d);
        if (!ok)
                return false;
        if (!id || !fp_feed_valid_token(id)) /* also tells the analyzer */
                return fp_feed_fail(d, "id", "not an advisory id: '%.64s'", id);
        e->id = id;
        e->distro = distro_of(id);
        if (!e->distro)
                return fp_feed_fail(d, "id",
                                    "not an AlmaLinux, Rocky, Oracle or Amazon erratum id");
        return true;
}

static bool record_meta(struct errata *e, const json_t *rec, enum shape s,
                        struct fp_vuln_advisory *adv, struct fp_diag *d)
{
        bool oracle = s == SHAPE_ORACLE;
        const char *sev;
        if (!fp_json_get_str(rec, oracle ? "Title" : "title", false, 4096, &adv->summary, d) ||
            !fp_json_get_str(rec, oracle ? "Severity" : "severity", false, 64, &sev, d))
                return false;
        if (!adv->summary && s == SHAPE_ALMA &&
            !fp_json_get_str(rec, "summary", false, 4096, &adv->summary, d))
                return false;
        fp_severity_parse(sev, &adv->severity);
        switch (s) {
        case SHAPE_ALMA:
                return read_date(rec, "issued_date", NULL, &adv->published, d) &&
                       read_date(rec, "updated_date", NULL, &adv->modified, d) &&
                       read_references(e, rec, "references", false, d);
        case SHAPE_ROCKY:
                return read_date(rec, "issued", "date", &adv->published, d) &&
                       read_date(rec, "updated", "date", &adv->modified, d) &&
                       read_references(e, rec, "references", false, d) &&
                       read_cve_list(e, rec, "cveids", d);
        case SHAPE_ORACLE:
                return read_date(rec, "Issued", "Date", &adv->published, d) &&
                       read_references(e, rec, "References", true, d) &&
                       read_cve_list(e, rec, "Cves", d);
        }
        return false;
}

static enum fp_err parse_record(struct errata *e, const json_t *rec, size_t index,
                                struct fp_diag *d)
{
        struct fp_vuln_advisory adv = {.kind = FP_FEED_RPM_ERRATA, .cvss_score = -1};
        enum shape s;
        bool ok;

        reset(e);
        fp_diag_clear(d);
        if (!json_is_object(rec))
                ok = fp_feed_fail(d, "", "record %zu is not an object", index);
        else if (!detect(rec, &s))
                ok = fp_feed_fail(d, "", "record %zu is none of the errata shapes", index);
        else
                ok = record_id(e, rec, s, d) && record_meta(e, rec, s, &adv, d) &&
                     (s == SHAPE_ALMA    ? alma_packages(e, rec, d)
                      : s == SHAPE_ROCKY ? rocky_packages(e, rec, d)
                                         : oracle_packages(e, rec, d)) &&
                     build_affected(e, d);
        if (e->oom)
                return FP_ENOMEM;
        if (!ok) {
                fp_diag_where(d, e->name, 0, NULL);
                if (e->sink->reject)
                        e->sink->reject(e->sink->ud, e->id ? e->id : "", d);
                return FP_OK;
        }
        adv.id = e->id;
        adv.aliases = e->aliases;
        adv.naliases = e->naliases;
        adv.refs = e->refs;
        adv.nrefs = e->nrefs;
        adv.affected = e->aff;
        adv.naffected = e->naff;
        return e->sink->advisory(e->sink->ud, &adv);
}

enum fp_err fp_feed_parse_rpm_errata(const char *data, size_t len, const char *name,
                                     const struct fp_feed_sink *sink, struct fp_diag *diag)
{
        enum fp_err err;
        json_t *root = fp_json_load(data, len, name, &err, diag);
        if (!root)
                return err;
        const json_t *records = root;
        if (json_is_object(root) && json_is_array(json_object_get(root, "data")))
                records = json_object_get(root, "data");
        if (!json_is_array(records) && !json_is_object(records)) {
                json_decref(root);
                fp_diag_set(diag, name, 0, "",
                            "expected an erratum, an array of errata or "
                            "{\"data\": [...]}");
                return FP_EPARSE;
        }
        if (json_is_array(records) && json_array_size(records) > FP_MAX_FEED_RECORDS) {
                json_decref(root);
                fp_diag_set(diag, name, 0, "", "%zu records exceed the limit of %d",
                            json_array_size(records), FP_MAX_FEED_RECORDS);
                return FP_ELIMIT;
        }

        struct errata e = {.name = name, .sink = sink};
        struct fp_diag rd;
        fp_arena_init(&e.arena);
        fp_strmap_init(&e.seen);
        err = FP_OK;
        if (json_is_object(records)) {
                err = parse_record(&e, records, 0, &rd);
        } else {
                size_t i;
                const json_t *rec;
                json_array_foreach(records, i, rec)
                {
                        err = parse_record(&e, rec, i, &rd);
                        if (err != FP_OK)
                                break;
                }
        }
        if (err != FP_OK)
                fp_diag_set(diag, name, 0, e.id ? e.id : "",
                            err == FP_ENOMEM ? "out of memory" : "stopped by the receiver");
        fp_arena_release(&e.arena);
        fp_strmap_release(&e.seen);
        free(e.pkgs);
        free(e.aff);
        free(e.aliases);
        free(e.refs);
        json_decref(root);
        return err;
}
