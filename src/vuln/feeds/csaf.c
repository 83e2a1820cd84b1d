/*
 * One Red Hat CSAF 2.0 document: a security advisory (document.category
 * "csaf_security_advisory", tracking.id "RHSA-2024:4546") or a VEX document ("csaf_vex",
 * tracking.id = the CVE). One advisory per document: id = tracking.id, aliases = the CVEs of
 * vulnerabilities[] (other than the id), severity = aggregate_severity, cvss = the highest
 * cvss_v3 base score, published/modified = initial/current_release_date, summary = the title.
 *
 * Product resolution. A product id in product_status is a relationship's full product id
 * ("AppStream-9.4.0.Z.MAIN.EUS:kernel-0:5.14.0-427.26.1.el9_4.x86_64"): its
 * product_reference names a component (a product_version branch) and its
 * relates_to_product_reference a platform (a product_name branch).
 *  - component: the purl ("pkg:rpm/redhat/name@version-release?arch=x86_64&epoch=1&
 *    rpmmod=name:stream:version:context") gives name, EVR, arch and module; without a purl the
 *    product name is read as "[module:stream:version:context:]name-epoch:version-release.arch".
 *    Non-RPM purls (containers, Maven) are not OS packages: ignored.
 *  - platform: its CPE gives the release. "cpe:/a:redhat:<product>:<version>::elN" -> N for
 *    any Red Hat product (layered products ship RPMs for a RHEL release); else for
 *    enterprise_linux* and rhel_{aus,eus,e4s,tus,els,eus_long_life} the major of <version>
 *    ("8.6" -> "8"). A platform with another CPE is not RHEL: its products are ignored. A
 *    platform without a CPE falls back to the ".elN" tag of the package's release.
 *    Distribution is always "rhel".
 *
 * States: fixed/first_fixed -> AFFECTED with fixed = the component's EVR ("0:" left out as in
 * the errata parser); known_affected/first_affected/last_affected -> WONTFIX with a
 * no_fix_planned remediation, else AFFECTED without fix (a versioned component is then the one
 * explicit affected version); known_not_affected -> NOT_AFFECTED; under_investigation ->
 * UNDETERMINED. The remediation's details ("Will not fix", "Affected", "Deferred") is the note.
 *
 * Source packages: a versioned component of arch "src" is not emitted (hosts match binary
 * packages; the binaries are listed beside it). VEX files name unfixed components only by
 * their source package ("kernel", purl "?arch=src", no version): those are emitted with
 * source = true and arch NULL, because that is all the document says.
 *
 * Modules: rpmmod of the purl, or the "module:stream:version:context:" prefix of the product
 * name, gives "name:stream", set only on module builds (".module+el"). A module build whose
 * stream cannot be told keeps module NULL (the matcher pairs modular entries with modular
 * installed versions only, so such an entry does not match).
 *
 * Identical entries (release, package, arch, module, state, fixed) are emitted once: the
 * AppStream/BaseOS/CRB and AUS/E4S/TUS/EUS platforms of one release collapse. A product id
 * that the tree does not define rejects the document; a document whose products are all
 * non-RPM is skipped.
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

#define RELEASE_MAX 8

/* A product_name (platform) or product_version (component) of the tree. */
struct prod {
        bool platform;
        const char *release; /* platform: "9"; NULL = not a RHEL platform or no CPE */
        bool has_cpe;
        /* component */
        bool rpm;
        const char *name, *arch, *fixed, *module, *rpmrel; /* fixed NULL = unversioned */
};

/* A relationship: full product id -> component, platform. */
struct rel {
        const char *component, *platform;
};

struct csaf {
        const char *name;
        const struct fp_feed_sink *sink;
        struct fp_arena arena;
        struct fp_strmap prods, rels, seen, remed;
        const char *id;
        struct fp_vuln_affected *aff;
        size_t naff, aff_cap;
        const char **aliases;
        size_t naliases, aliases_cap;
        const char **refs;
        size_t nrefs, refs_cap;
        size_t nrpm; /* RPM components in the tree */
        bool oom;
};

/* ---- helpers ------------------------------------------------------------------------------ */

static char *keep(struct csaf *c, const char *s, size_t len)
{
        char *r = fp_arena_strndup(&c->arena, s, len);
        if (!r)
                c->oom = true;
        return r;
}

static bool put(struct csaf *c, struct fp_strmap *m, const char *key, void *value)
{
        if (fp_strmap_put(m, key, strlen(key), value) != FP_OK) {
                c->oom = true;
                return false;
        }
        return true;
}

static void *get(const struct fp_strmap *m, const char *key)
{
        return fp_strmap_get(m, key, strlen(key));
}

/* True the first time key is seen (keys copied into the arena). */
static bool first_time(struct csaf *c, const char *key)
{
        if (get(&c->seen, key))
                return false;
        char *k = keep(c, key, strlen(key));
        return k && put(c, &c->seen, k, k);
}

static bool add_alias(struct csaf *c, const char *cve, struct fp_diag *d)
{
        char key[FP_MAX_ADVISORY_ID_LEN + 3];
        if (!fp_feed_valid_token(cve))
                return fp_feed_fail(d, "cve", "not a CVE id: '%.64s'", cve);
        snprintf(key, sizeof(key), "A\037%s", cve);
        if ((c->id && strcmp(cve, c->id) == 0) || !first_time(c, key))
                return !c->oom;
        if (c->naliases >= FP_MAX_ALIASES)
                return fp_feed_fail(d, "cve", "more than %d aliases", FP_MAX_ALIASES);
        if (!fp_feed_grow((void **)&c->aliases, &c->aliases_cap, c->naliases + 1,
                          sizeof(*c->aliases))) {
                c->oom = true;
                return false;
        }
        c->aliases[c->naliases++] = cve;
        return true;
}

/* references[].url of the document or a vulnerability. */
static bool read_refs(struct csaf *c, const json_t *o, struct fp_diag *d)
{
        json_t *arr;
        size_t i;
        const json_t *r;
        if (!fp_json_get_array(o, "references", false, FP_MAX_REFS, &arr, d))
                return false;
        json_array_foreach(arr, i, r)
        {
                const char *url;
                char key[4100];
                if (!json_is_object(r) || !fp_json_get_str(r, "url", false, 4000, &url, d)) {
                        if (!json_is_object(r))
                                fp_feed_fail(d, "", "reference is not an object");
                        fp_feed_set_path(d, "references/%zu", i);
                        return false;
                }
                if (!url || !*url)
                        continue;
                snprintf(key, sizeof(key), "R\037%s", url);
                if (!first_time(c, key)) {
                        if (c->oom)
                                return false;
                        continue;
                }
                if (c->nrefs >= FP_MAX_REFS)
                        return fp_feed_fail(d, "references", "more than %d references",
                                            FP_MAX_REFS);
                if (!fp_feed_grow((void **)&c->refs, &c->refs_cap, c->nrefs + 1,
                                  sizeof(*c->refs))) {
                        c->oom = true;
                        return false;
                }
                c->refs[c->nrefs++] = url;
        }
        return true;
}

/* ---- versions ----------------------------------------------------------------------------- */

/* "epoch:version-release" with "0:" left out; NULL and diag when malformed. */
/* Private: unlike rpm_errata.c, "" is no epoch, no fp_rpm_evr_parse check, one diag field. */
static const char *make_evr(struct csaf *c, const char *epoch, const char *version,
                            const char *release, struct fp_diag *d)
{
        if (epoch && *epoch) {
                size_t n = strlen(epoch);
                if (n > 10 || strspn(epoch, "0123456789") != n) {
                        fp_feed_fail(d, "", "epoch is not a number: '%.32s'", epoch);
                        return NULL;
                }
                while (*epoch == '0')
                        epoch++;
        }
        if (!fp_feed_valid_vr(version) || !fp_feed_valid_vr(release)) {
                fp_feed_fail(d, "", "not an RPM version-release: '%.64s-%.64s'", version, release);
                return NULL;
        }
        size_t n = strlen(version) + strlen(release) + (epoch ? strlen(epoch) : 0) + 3;
        char *s = fp_arena_alloc(&c->arena, n);
        if (!s) {
                c->oom = true;
                return NULL;
        }
        if (epoch && *epoch)
                snprintf(s, n, "%s:%s-%s", epoch, version, release);
        else
                snprintf(s, n, "%s-%s", version, release);
        return s;
}

/* "name:stream:version:context" -> "name:stream"; NULL if not that shape. */
static const char *module_of(struct csaf *c, const char *s, size_t len)
{
        const char *c1 = memchr(s, ':', len);
        const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s)) : NULL;
        if (!c1 || c1 == s || (c2 && c2 == c1 + 1) || (!c2 && c1 + 1 == s + len))
                return NULL;
        return keep(c, s, (size_t)((c2 ? c2 : s + len) - s));
}

/* Percent-decoded copy of s[0..len). */
static char *pct_decode(struct csaf *c, const char *s, size_t len)
{
        char *out = fp_arena_alloc(&c->arena, len + 1);
        size_t n = 0;
        if (!out) {
                c->oom = true;
                return NULL;
        }
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) &&
                    isxdigit((unsigned char)s[i + 2])) {
                        char hex[3] = {s[i + 1], s[i + 2], '\0'};
                        out[n++] = (char)strtol(hex, NULL, 16);
                        i += 2;
                } else {
                        out[n++] = s[i];
                }
        }
        out[n] = '\0';
        return out;
}

/* The value of qualifier `key` in "a=1&b=2" (decoded), or NULL. */
static const char *qualifier(struct csaf *c, const char *q, const char *key)
{
        size_t klen = strlen(key);
        for (const char *p = q; p && *p;) {
                const char *amp = strchr(p, '&');
                size_t len = amp ? (size_t)(amp - p) : strlen(p);
                if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
                        return pct_decode(c, p + klen + 1, len - klen - 1);
                p = amp ? amp + 1 : NULL;
        }
        return NULL;
}

/* A purl into the component; false (and diag) when it is an RPM purl that makes no sense. */
static bool parse_purl(struct csaf *c, const char *purl, struct prod *p, struct fp_diag *d)
{
        if (strncasecmp(purl, "pkg:rpm/", 8) != 0)
                return true; /* not an RPM: p->rpm stays false */
        p->rpm = true;
        const char *end = purl + strcspn(purl, "?#");
        const char *qs = *end == '?' ? end + 1 : NULL;
        char *quals = qs ? keep(c, qs, strcspn(qs, "#")) : NULL;
        const char *slash = purl + 8, *at, *name;
        for (const char *s; (s = memchr(slash, '/', (size_t)(end - slash))) != NULL;)
                slash = s + 1;
        at = memchr(slash, '@', (size_t)(end - slash));
        name = pct_decode(c, slash, (size_t)((at ? at : end) - slash));
        if (c->oom || (qs && !quals))
                return false;
        if (!fp_feed_valid_token(name))
                return fp_feed_fail(d, "purl", "no package name in '%.96s'", purl);
        p->name = name;
        p->arch = quals ? qualifier(c, quals, "arch") : NULL;
        if (p->arch && !fp_feed_valid_token(p->arch))
                return fp_feed_fail(d, "purl", "bad arch in '%.96s'", purl);
        const char *mod = quals ? qualifier(c, quals, "rpmmod") : NULL;
        if (at) {
                char *vr = pct_decode(c, at + 1, (size_t)(end - at - 1));
                char *dash = vr ? strrchr(vr, '-') : NULL;
                if (c->oom)
                        return false;
                if (!dash)
                        return fp_feed_fail(d, "purl", "no release in '%.96s'", purl);
                *dash = '\0';
                p->rpmrel = dash + 1;
                p->fixed =
                    make_evr(c, quals ? qualifier(c, quals, "epoch") : NULL, vr, dash + 1, d);
                if (!p->fixed) {
                        fp_feed_set_path(d, "purl");
                        return false;
                }
        }
        if (mod && p->rpmrel && fp_feed_modular_release(p->rpmrel))
                p->module = module_of(c, mod, strlen(mod));
        return !c->oom;
}

/*
 * No purl: "[mod:stream:ver:ctx:]name-epoch:version-release.arch" (versioned) or a bare
 * name (unversioned). Anything else is not an RPM we can use.
 */
static bool parse_nevra(struct csaf *c, const char *s, struct prod *p, struct fp_diag *d)
{
        const char *colons[4] = {0}, *q = s;
        size_t ncolons = 0;
        if (fp_feed_valid_token(s) && !strchr(s, ':')) {
                const char *dot = strrchr(s, '.'), *d2 = strrchr(s, '-');
                if (!dot || !d2 || d2 > dot || d2 == strchr(s, '-')) {
                        p->rpm = true;
                        p->name = s; /* an unversioned component */
                        return true;
                }
        }
        /* the module prefix has four ':'-separated fields before the NEVRA's epoch colon */
        for (const char *x = s; *x && ncolons < 4; x++)
                if (*x == ':')
                        colons[ncolons++] = x;
        const char *module = NULL;
        if (ncolons == 4 && strchr(colons[3] + 1, ':')) {
                module = module_of(c, s, (size_t)(colons[3] - s));
                q = colons[3] + 1;
        }
        const char *dot = strrchr(q, '.');
        char *nev = dot ? keep(c, q, (size_t)(dot - q)) : NULL;
        char *rdash = nev ? strrchr(nev, '-') : NULL;
        if (c->oom)
                return false;
        if (!rdash)
                return true;
        *rdash = '\0';
        char *vdash = strrchr(nev, '-');
        if (!vdash)
                return true;
        *vdash = '\0';
        char *ev = vdash + 1, *colon = strchr(ev, ':');
        if (colon)
                *colon = '\0';
        p->rpm = true;
        p->name = nev;
        p->arch = dot + 1;
        p->rpmrel = rdash + 1;
        if (!fp_feed_valid_token(p->name) || !fp_feed_valid_token(p->arch))
                return fp_feed_fail(d, "name", "not a package NEVRA: '%.96s'", s);
        p->fixed = make_evr(c, colon ? ev : NULL, colon ? colon + 1 : ev, rdash + 1, d);
        if (!p->fixed)
                return false;
        p->module = module && fp_feed_modular_release(p->rpmrel) ? module : NULL;
        return true;
}

/* RHEL release of a platform CPE, or NULL (not RHEL). See the header comment. */
static const char *cpe_release(struct csaf *c, const char *cpe)
{
        static const char *const rhel[] = {"rhel_aus", "rhel_eus", "rhel_e4s",
                                           "rhel_tus", "rhel_els", "rhel_eus_long_life"};
        char buf[512], *f[8] = {0};
        size_t nf = 0;
        if (strncmp(cpe, "cpe:/", 5) != 0 || strlen(cpe) >= sizeof(buf))
                return NULL;
        strcpy(buf, cpe + 5);
        for (char *p = buf; p && nf < 8;) {
                f[nf++] = p;
                p = strchr(p, ':');
                if (p)
                        *p++ = '\0';
        }
        /* f: part, vendor, product, version, update, edition */
        if (nf < 3 || strcmp(f[1], "redhat") != 0)
                return NULL;
        for (size_t i = 4; i < nf; i++) {
                size_t n = strspn(f[i] + 2, "0123456789");
                if (strncmp(f[i], "el", 2) == 0 && n > 0 && n <= RELEASE_MAX && !f[i][2 + n])
                        return keep(c, f[i] + 2, n);
        }
        bool is_rhel = strncmp(f[2], "enterprise_linux", 16) == 0;
        for (size_t i = 0; i < sizeof(rhel) / sizeof(rhel[0]); i++)
                is_rhel = is_rhel || strcmp(f[2], rhel[i]) == 0;
        if (!is_rhel || nf < 4)
                return NULL;
        size_t n = strspn(f[3], "0123456789");
        if (n == 0 || n > RELEASE_MAX || f[3][0] == '0')
                return NULL;
        return keep(c, f[3], n);
}

/* ".elN" of an RPM release, as the errata parser reads it. */
static const char *tag_release(struct csaf *c, const char *rel)
{
        for (const char *p = rel; (p = strstr(p, "el")) != NULL; p += 2) {
                size_t n = strspn(p + 2, "0123456789");
                if (p > rel && strchr("._+", p[-1]) && n > 0 && n <= RELEASE_MAX && p[2] != '0')
                        return keep(c, p + 2, n);
        }
        return NULL;
}

/* ---- the product tree --------------------------------------------------------------------- */

/*
 * One {product_id, name, product_identification_helper} into c->prods. A platform is a
 * "product_name" branch or any product with a CPE.
 */
static bool read_product(struct csaf *c, const json_t *prod, bool platform, struct fp_diag *d)
{
        const char *id, *name, *purl = NULL, *cpe = NULL;
        json_t *helper;
        struct prod *p = fp_arena_alloc(&c->arena, sizeof(*p));
        if (!p) {
                c->oom = true;
                return false;
        }
        memset(p, 0, sizeof(*p));
        if (!fp_json_get_str(prod, "product_id", true, 4096, &id, d) ||
            !fp_json_get_str(prod, "name", false, 4096, &name, d) ||
            !fp_json_get_object(prod, "product_identification_helper", false, &helper, d) ||
            (helper && (!fp_json_get_str(helper, "purl", false, 4096, &purl, d) ||
                        !fp_json_get_str(helper, "cpe", false, 512, &cpe, d))))
                return false;
        if (cpe || platform) {
                p->platform = true;
                p->has_cpe = cpe != NULL;
                p->release = cpe ? cpe_release(c, cpe) : NULL;
        } else if (purl) {
                if (!parse_purl(c, purl, p, d))
                        return false;
        } else if (!parse_nevra(c, name ? name : id, p, d)) {
                return false;
        }
        if (p->rpm && !p->platform)
                c->nrpm++;
        return !c->oom && put(c, &c->prods, id, p);
}

/*
 * Branches, recursively. A "product_name" product is a platform even without a CPE (then the
 * release comes from each package's release tag).
 */
static bool read_branches(struct csaf *c, const json_t *o, struct fp_diag *d)
{
        json_t *arr, *prod;
        size_t i;
        const json_t *b;
        if (!fp_json_get_array(o, "branches", false, FP_MAX_AFFECTED, &arr, d))
                return false;
        json_array_foreach(arr, i, b)
        {
                const char *cat;
                if (!json_is_object(b) || !fp_json_get_str(b, "category", false, 64, &cat, d) ||
                    !fp_json_get_object(b, "product", false, &prod, d) ||
                    (prod && !read_product(c, prod, cat && !strcmp(cat, "product_name"), d)) ||
                    !read_branches(c, b, d)) {
                        if (c->oom)
                                return false;
                        if (!json_is_object(b))
                                fp_feed_fail(d, "", "branch is not an object");
                        fp_feed_set_path(d, "branches/%zu", i);
                        return false;
                }
        }
        return true;
}

static bool read_tree(struct csaf *c, const json_t *root, struct fp_diag *d)
{
        json_t *tree, *arr;
        size_t i;
        const json_t *r;
        if (!fp_json_get_object(root, "product_tree", false, &tree, d))
                return false;
        if (!tree)
                return true;
        if (!read_branches(c, tree, d) ||
            !fp_json_get_array(tree, "full_product_names", false, FP_MAX_AFFECTED, &arr, d)) {
                fp_feed_set_path(d, "product_tree");
                return false;
        }
        json_array_foreach(arr, i, r)
        {
                if (!json_is_object(r) || !read_product(c, r, false, d)) {
                        if (!json_is_object(r))
                                fp_feed_fail(d, "", "not an object");
                        fp_feed_set_path(d, "product_tree/full_product_names/%zu", i);
                        return false;
                }
        }
        if (!fp_json_get_array(tree, "relationships", false, FP_MAX_AFFECTED, &arr, d)) {
                fp_feed_set_path(d, "product_tree");
                return false;
        }
        json_array_foreach(arr, i, r)
        {
                json_t *full;
                const char *id;
                struct rel *rl = fp_arena_alloc(&c->arena, sizeof(*rl));
                if (!rl) {
                        c->oom = true;
                        return false;
                }
                if (!json_is_object(r) ||
                    !fp_json_get_object(r, "full_product_name", true, &full, d) ||
                    !fp_json_get_str(full, "product_id", true, 4096, &id, d) ||
                    !fp_json_get_str(r, "product_reference", true, 4096, &rl->component, d) ||
                    !fp_json_get_str(r, "relates_to_product_reference", true, 4096, &rl->platform,
                                     d)) {
                        if (!json_is_object(r))
                                fp_feed_fail(d, "", "not an object");
                        fp_feed_set_path(d, "product_tree/relationships/%zu", i);
                        return false;
                }
                if (!put(c, &c->rels, id, rl))
                        return false;
        }
        return true;
}

/* ---- vulnerabilities ---------------------------------------------------------------------- */

struct remedy {
        const char *category, *details;
};

/* remediations[] of one vulnerability: product id -> the one that decides its state. */
static bool read_remediations(struct csaf *c, const json_t *v, struct fp_diag *d)
{
        json_t *arr, *ids;
        size_t i, j;
        const json_t *r, *pid;
        fp_strmap_release(&c->remed);
        fp_strmap_init(&c->remed);
        if (!fp_json_get_array(v, "remediations", false, FP_MAX_AFFECTED, &arr, d))
                return false;
        json_array_foreach(arr, i, r)
        {
                struct remedy *m = fp_arena_alloc(&c->arena, sizeof(*m));
                if (!m) {
                        c->oom = true;
                        return false;
                }
                if (!json_is_object(r) ||
                    !fp_json_get_str(r, "category", true, 64, &m->category, d) ||
                    !fp_json_get_str(r, "details", false, 1 << 16, &m->details, d) ||
                    !fp_json_get_array(r, "product_ids", false, FP_MAX_AFFECTED, &ids, d)) {
                        if (!json_is_object(r))
                                fp_feed_fail(d, "", "not an object");
                        fp_feed_set_path(d, "remediations/%zu", i);
                        return false;
                }
                /* workarounds and mitigations say nothing about the fix state */
                if (strcmp(m->category, "no_fix_planned") != 0 &&
                    strcmp(m->category, "none_available") != 0)
                        continue;
                json_array_foreach(ids, j, pid)
                {
                        if (json_is_string(pid) && !put(c, &c->remed, json_string_value(pid), m))
                                return false;
                }
        }
        return true;
}

/* The product id -> (component, release); NULL component = ignore it (not RPM, not RHEL). */
static bool resolve(struct csaf *c, const char *pid, const struct prod **comp, const char **release,
                    struct fp_diag *d)
{
        const struct rel *rl = get(&c->rels, pid);
        const struct prod *plat = NULL;
        *comp = NULL;
        *release = NULL;
        if (rl) {
                *comp = get(&c->prods, rl->component);
                plat = get(&c->prods, rl->platform);
                if (!*comp || !plat)
                        return fp_feed_fail(d, "", "product '%.96s' refers to an undefined product",
                                            pid);
        } else {
                *comp = get(&c->prods, pid);
                if (!*comp)
                        return fp_feed_fail(d, "", "undefined product '%.96s'", pid);
        }
        if ((*comp)->platform || !(*comp)->rpm) {
                *comp = NULL;
                return true;
        }
        if (plat && plat->has_cpe)
                *release = plat->release;
        else if ((*comp)->rpmrel)
                *release = tag_release(c, (*comp)->rpmrel);
        if (!*release)
                *comp = NULL;
        return !c->oom;
}

static bool add_entry(struct csaf *c, const struct fp_vuln_affected *a)
{
        char key[3 * FP_MAX_ADVISORY_ID_LEN + FP_MAX_VERSION_LEN * 3];
        snprintf(key, sizeof(key), "P\037%s\037%s\037%s\037%s\037%d\037%d\037%s", a->release,
                 a->package, a->arch ? a->arch : "", a->module ? a->module : "", (int)a->state,
                 (int)a->source,
                 a->fixed       ? a->fixed
                 : a->nversions ? a->versions[0]
                                : "");
        if (!first_time(c, key))
                return !c->oom;
        if (c->naff >= FP_MAX_AFFECTED)
                return false;
        if (!fp_feed_grow((void **)&c->aff, &c->aff_cap, c->naff + 1, sizeof(*c->aff))) {
                c->oom = true;
                return false;
        }
        c->aff[c->naff++] = *a;
        return true;
}

enum status { ST_FIXED, ST_AFFECTED, ST_NOT_AFFECTED, ST_INVESTIGATING };

static bool status_entry(struct csaf *c, const char *pid, enum status st, struct fp_diag *d)
{
        const struct prod *p;
        const char *release;
        if (!resolve(c, pid, &p, &release, d))
                return false;
        if (!p)
                return true;
        struct fp_vuln_affected a = {
            .distro = "rhel",
            .release = release,
            .package = p->name,
            .arch = p->fixed ? p->arch : NULL,
            .module = p->module,
        };
        /* a fixed source build: its binaries are listed beside it */
        if (p->fixed && p->arch && (!strcmp(p->arch, "src") || !strcmp(p->arch, "nosrc")))
                return true;
        a.source = !p->fixed && p->arch && strcmp(p->arch, "src") == 0;
        switch (st) {
        case ST_FIXED:
                if (!p->fixed)
                        return true; /* "fixed" without a version says nothing to compare */
                a.state = FP_VS_AFFECTED;
                a.fixed = p->fixed;
                break;
        case ST_AFFECTED: {
                const struct remedy *m = get(&c->remed, pid);
                a.state = m && strcmp(m->category, "no_fix_planned") == 0 ? FP_VS_WONTFIX
                                                                          : FP_VS_AFFECTED;
                a.note = m ? m->details : NULL;
                if (p->fixed) {
                        const char **v = fp_arena_alloc(&c->arena, sizeof(*v));
                        if (!v) {
                                c->oom = true;
                                return false;
                        }
                        v[0] = p->fixed;
                        a.versions = v;
                        a.nversions = 1;
                }
                break;
        }
        case ST_NOT_AFFECTED:
                a.state = FP_VS_NOT_AFFECTED;
                break;
        case ST_INVESTIGATING:
                a.state = FP_VS_UNDETERMINED;
                break;
        }
        if (!add_entry(c, &a))
                return c->oom ? false
                              : fp_feed_fail(d, "", "more than %d entries", FP_MAX_AFFECTED);
        return true;
}

static bool read_status(struct csaf *c, const json_t *v, struct fp_diag *d)
{
        static const struct {
                const char *key;
                enum status st;
        } lists[] = {
            {"fixed", ST_FIXED},
            {"first_fixed", ST_FIXED},
            {"known_affected", ST_AFFECTED},
            {"first_affected", ST_AFFECTED},
            {"last_affected", ST_AFFECTED},
            {"known_not_affected", ST_NOT_AFFECTED},
            {"under_investigation", ST_INVESTIGATING},
        };
        json_t *ps, *arr;
        if (!fp_json_get_object(v, "product_status", false, &ps, d))
                return false;
        for (size_t k = 0; ps && k < sizeof(lists) / sizeof(lists[0]); k++) {
                size_t i;
                const json_t *pid;
                if (!fp_json_get_array(ps, lists[k].key, false, FP_MAX_AFFECTED, &arr, d)) {
                        fp_feed_set_path(d, "product_status");
                        return false;
                }
                json_array_foreach(arr, i, pid)
                {
                        bool ok = json_is_string(pid)
                                      ? status_entry(c, json_string_value(pid), lists[k].st, d)
                                      : fp_feed_fail(d, "", "product id is not a string");
                        if (!ok) {
                                if (!c->oom)
                                        fp_feed_set_path(d, "product_status/%s/%zu", lists[k].key,
                                                         i);
                                return false;
                        }
                }
        }
        return true;
}

/* The highest cvss_v3 base score of the vulnerability into adv. */
static bool read_scores(const json_t *v, struct fp_vuln_advisory *adv, struct fp_diag *d)
{
        json_t *arr, *cv;
        size_t i;
        const json_t *s;
        if (!fp_json_get_array(v, "scores", false, FP_MAX_REFS, &arr, d))
                return false;
        json_array_foreach(arr, i, s)
        {
                const char *vec;
                if (!json_is_object(s) || !fp_json_get_object(s, "cvss_v3", false, &cv, d) ||
                    (cv && !fp_json_get_str(cv, "vectorString", false, 256, &vec, d))) {
                        if (!json_is_object(s))
                                fp_feed_fail(d, "", "not an object");
                        fp_feed_set_path(d, "scores/%zu", i);
                        return false;
                }
                if (!cv)
                        continue;
                const json_t *bs = json_object_get(cv, "baseScore");
                double score = json_is_number(bs) ? json_number_value(bs) : -1;
                if (!json_is_number(bs) || score < 0 || score > 10) {
                        fp_feed_fail(d, "baseScore", "not a CVSS base score");
                        fp_feed_set_path(d, "scores/%zu/cvss_v3", i);
                        return false;
                }
                if (score > adv->cvss_score) {
                        adv->cvss_score = score;
                        adv->cvss_vector = vec;
                }
        }
        return true;
}

static bool read_vulns(struct csaf *c, const json_t *root, struct fp_vuln_advisory *adv,
                       struct fp_diag *d)
{
        json_t *arr;
        size_t i;
        const json_t *v;
        if (!fp_json_get_array(root, "vulnerabilities", false, FP_MAX_ALIASES, &arr, d))
                return false;
        json_array_foreach(arr, i, v)
        {
                const char *cve;
                if (!json_is_object(v) ||
                    !fp_json_get_str(v, "cve", false, FP_MAX_ADVISORY_ID_LEN, &cve, d) ||
                    (cve && !add_alias(c, cve, d)) || !read_scores(v, adv, d) ||
                    !read_refs(c, v, d) || !read_remediations(c, v, d) || !read_status(c, v, d)) {
                        if (c->oom)
                                return false;
                        if (!json_is_object(v))
                                fp_feed_fail(d, "", "not an object");
                        fp_feed_set_path(d, "vulnerabilities/%zu", i);
                        return false;
                }
        }
        return true;
}

/* ---- the document ------------------------------------------------------------------------- */

static bool read_document(struct csaf *c, const json_t *doc, struct fp_vuln_advisory *adv,
                          struct fp_diag *d)
{
        json_t *tracking, *agg;
        const char *sev = NULL;
        if (!fp_json_get_object(doc, "tracking", true, &tracking, d) ||
            !fp_json_get_str(tracking, "id", true, FP_MAX_ADVISORY_ID_LEN, &c->id, d)) {
                fp_feed_set_path(d, "document/tracking");
                return false;
        }
        if (!fp_feed_valid_token(c->id)) {
                const char *bad = c->id;
                c->id = NULL;
                return fp_feed_fail(d, "document/tracking/id", "not an advisory id: '%.64s'", bad);
        }
        if (!fp_json_get_date(tracking, "initial_release_date", false, &adv->published, d) ||
            !fp_json_get_date(tracking, "current_release_date", false, &adv->modified, d)) {
                fp_feed_set_path(d, "document/tracking");
                return false;
        }
        if (!fp_json_get_str(doc, "title", false, 4096, &adv->summary, d) ||
            !fp_json_get_object(doc, "aggregate_severity", false, &agg, d) ||
            (agg && !fp_json_get_str(agg, "text", false, 64, &sev, d)) || !read_refs(c, doc, d)) {
                fp_feed_set_path(d, "document");
                return false;
        }
        fp_severity_parse(sev, &adv->severity);
        return true;
}

static enum fp_err parse_doc(struct csaf *c, const json_t *root, const json_t *doc,
                             struct fp_diag *d)
{
        struct fp_vuln_advisory adv = {.kind = FP_FEED_CSAF, .cvss_score = -1};
        bool ok =
            read_document(c, doc, &adv, d) && read_tree(c, root, d) && read_vulns(c, root, &adv, d);
        if (c->oom)
                return FP_ENOMEM;
        if (!ok) {
                fp_diag_where(d, c->name, 0, NULL);
                if (c->sink->reject)
                        c->sink->reject(c->sink->ud, c->id ? c->id : "", d);
                return FP_OK;
        }
        if (c->naff == 0 && c->nrpm == 0 && c->prods.count > 0) {
                if (c->sink->skip)
                        c->sink->skip(c->sink->ud, c->id, "no RPM packages in the product tree");
                return FP_OK;
        }
        adv.id = c->id;
        adv.aliases = c->aliases;
        adv.naliases = c->naliases;
        adv.refs = c->refs;
        adv.nrefs = c->nrefs;
        adv.affected = c->aff;
        adv.naffected = c->naff;
        return c->sink->advisory(c->sink->ud, &adv);
}

enum fp_err fp_feed_parse_csaf(const char *data, size_t len, const char *name,
                               const struct fp_feed_sink *sink, struct fp_diag *diag)
{
        enum fp_err err;
        json_t *root = fp_json_load(data, len, name, &err, diag);
        if (!root)
                return err;
        const json_t *doc = json_object_get(root, "document");
        if (!json_is_object(root) || !json_is_object(doc)) {
                json_decref(root);
                fp_diag_set(diag, name, 0, "", "not a CSAF document (no \"document\" object)");
                return FP_EPARSE;
        }
        struct csaf c = {.name = name, .sink = sink};
        struct fp_diag rd;
        fp_diag_clear(&rd);
        fp_arena_init(&c.arena);
        fp_strmap_init(&c.prods);
        fp_strmap_init(&c.rels);
        fp_strmap_init(&c.seen);
        fp_strmap_init(&c.remed);
        err = parse_doc(&c, root, doc, &rd);
        if (err != FP_OK)
                fp_diag_set(diag, name, 0, c.id ? c.id : "",
                            err == FP_ENOMEM ? "out of memory" : "stopped by the receiver");
        fp_strmap_release(&c.prods);
        fp_strmap_release(&c.rels);
        fp_strmap_release(&c.seen);
        fp_strmap_release(&c.remed);
        fp_arena_release(&c.arena);
        free(c.aff);
        free(c.aliases);
        free(c.refs);
        json_decref(root);
        return err;
}
