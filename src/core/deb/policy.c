/*
 * apt's pkgPolicy, rewritten from its documented behaviour (apt_preferences(5)) and checked
 * against apt itself by tests/integration/scan_sandbox_apt.sh:
 *  - index priorities: 500; 100 for the status file and ButAutomaticUpgrades; 1 for
 *    NotAutomatic; then Default-Release (990) and "Package: *" pins, first match wins;
 *  - a version's priority: the first matching package pin, else the highest of its
 *    indexes (the status file counts only for the installed version);
 *  - candidate: walking versions newest first, the first with the highest priority > 0,
 *    never older than the installed version unless its priority is >= 1000.
 * Phased updates do not change the candidate: apt 2.6 applies them only when
 * APT::Get::Phase-Policy is set, and otherwise only while upgrading (not in "apt list").
 */
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/deb/policy.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/version.h"

bool fp_apt_expression_matches(const char *pattern, const char *s)
{
        size_t n;

        if (!pattern || !s)
                return false;
        n = strlen(pattern);
        if (n >= 2 && pattern[0] == '/' && pattern[n - 1] == '/') {
                regex_t re;
                char *expr = strndup(pattern + 1, n - 2);
                bool res = false;
                if (!expr)
                        return false;
                if (regcomp(&re, expr, REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0) {
                        res = regexec(&re, s, 0, NULL, 0) == 0;
                        regfree(&re);
                }
                free(expr);
                return res;
        }
        return fnmatch(pattern, s, FNM_CASEFOLD) == 0;
}

/* apt's MatchVer: equal (no case), or a prefix when the pattern ended in '*'. */
static bool match_ver(const char *s, const char *pat, size_t patlen, bool prefix)
{
        size_t n;
        if (!s)
                return false;
        n = strlen(s);
        if ((n != patlen && !prefix) || n < patlen)
                return false;
        return strncasecmp(s, pat, patlen) == 0;
}

/* A release pin ("release a=stable,c=main", "release bookworm", "release 12*") parsed. */
struct relspec {
        bool all;
        char ver[300], origin[300], archive[300], codename[300], release[300], label[300],
                component[300], arch[300];
        bool ver_prefix;
};

static void copy_trim(char *dst, size_t cap, const char *s, size_t n)
{
        while (n > 0 && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        if (n >= cap)
                n = cap - 1;
        memcpy(dst, s, n);
        dst[n] = '\0';
}

static void relspec_parse(const char *data, struct relspec *r)
{
        memset(r, 0, sizeof(*r));
        if (!data || !*data)
                return;
        if (strcmp(data, "*") == 0) {
                r->all = true;
                return;
        }
        if (!strchr(data, '=')) {
                /* A bare word: a version if it starts with a digit, else suite or codename. */
                if (data[0] >= '0' && data[0] <= '9')
                        copy_trim(r->ver, sizeof(r->ver), data, strlen(data));
                else
                        copy_trim(r->release, sizeof(r->release), data, strlen(data));
        } else {
                const char *p = data;
                /* apt copies the spec into a 300-byte buffer first: longer specs are cut. */
                size_t total = strlen(data) > 299 ? 299 : strlen(data);
                const char *end = data + total;
                while (p < end) {
                        const char *c = memchr(p, ',', (size_t)(end - p));
                        const char *fe = c ? c : end;
                        const char *f = p;
                        size_t fl;
                        while (f < fe && (*f == ' ' || *f == '\t'))
                                f++;
                        fl = (size_t)(fe - f);
                        if (fl >= 3 && f[1] == '=') {
                                char *dst = NULL;
                                switch (f[0] | 0x20) {
                                case 'v': dst = r->ver; break;
                                case 'o': dst = r->origin; break;
                                case 'a': dst = r->archive; break;
                                case 'n': dst = r->codename; break;
                                case 'l': dst = r->label; break;
                                case 'c': dst = r->component; break;
                                case 'b': dst = r->arch; break;
                                default: break;
                                }
                                if (dst)
                                        copy_trim(dst, 300, f + 2, fl - 2);
                        }
                        p = c ? c + 1 : end;
                }
        }
        size_t vl = strlen(r->ver);
        if (vl > 0 && r->ver[vl - 1] == '*') {
                r->ver_prefix = true;
                r->ver[vl - 1] = '\0';
        }
}

static bool relspec_empty(const struct relspec *r)
{
        return !r->ver[0] && !r->origin[0] && !r->archive[0] && !r->codename[0] &&
               !r->release[0] && !r->label[0] && !r->component[0] && !r->arch[0];
}

/* pkgVersionMatch::FileMatch for release pins. */
static bool release_matches(const struct relspec *r, const struct fp_apt_index *ix)
{
        const struct fp_release *rel = ix->release;

        if (r->all)
                return true;
        if (relspec_empty(r))
                return false;
        if (rel) {
                if (r->ver[0] && !match_ver(rel->version, r->ver, strlen(r->ver), r->ver_prefix) &&
                    !fp_apt_expression_matches(r->ver, rel->version))
                        return false;
                if (r->origin[0] && !fp_apt_expression_matches(r->origin, rel->origin))
                        return false;
                if (r->archive[0] && !fp_apt_expression_matches(r->archive, rel->suite))
                        return false;
                if (r->codename[0] && !fp_apt_expression_matches(r->codename, rel->codename))
                        return false;
                if (r->release[0] && !fp_apt_expression_matches(r->release, rel->suite) &&
                    !fp_apt_expression_matches(r->release, rel->codename))
                        return false;
                if (r->label[0] && !fp_apt_expression_matches(r->label, rel->label))
                        return false;
        } else {
                /* No Release file: only the archive "now" (the status file) can match. */
                const char *comp = ix->status ? "now" : ix->component;
                if (r->archive[0] && !fp_apt_expression_matches(r->archive, comp))
                        return false;
                if (r->release[0] && !fp_apt_expression_matches(r->release, comp))
                        return false;
                if (r->origin[0] || r->label[0] || r->ver[0] || r->codename[0])
                        return false;
        }
        if (r->component[0] &&
            !fp_apt_expression_matches(r->component, ix->status ? "now" : ix->component))
                return false;
        if (r->arch[0] && !fp_apt_expression_matches(r->arch, ix->arch))
                return false;
        return true;
}

static bool origin_matches(const char *data, const struct fp_apt_index *ix)
{
        char site[300];
        size_t n = strlen(data);

        /* Files without a Release (the status file) have no origin in apt's cache. */
        if (!ix->release && ix->status)
                return false;
        if (n >= 2 && data[0] == '"' && data[n - 1] == '"')
                copy_trim(site, sizeof(site), data + 1, n - 2);
        else
                copy_trim(site, sizeof(site), data, n);
        return fp_apt_expression_matches(site, ix->site ? ix->site : "");
}

static bool file_matches(const struct fp_pin *pin, const struct fp_apt_index *ix)
{
        if (pin->type == FP_PIN_RELEASE) {
                struct relspec r;
                relspec_parse(pin->data, &r);
                return release_matches(&r, ix);
        }
        if (pin->type == FP_PIN_ORIGIN)
                return origin_matches(pin->data, ix);
        return false;
}

enum fp_err fp_apt_policy_init(struct fp_apt_policy *pol, const struct fp_apt_index *indexes,
                               size_t nindexes, const struct fp_pins *pins,
                               const char *default_release, const char *native_arch,
                               struct fp_diag *diag)
{
        bool *fixed = NULL;
        enum fp_err err = FP_OK;

        memset(pol, 0, sizeof(*pol));
        pol->indexes = indexes;
        pol->nindexes = nindexes;
        pol->pins = pins;
        pol->native_arch = native_arch;
        pol->prio = calloc(nindexes ? nindexes : 1, sizeof(*pol->prio));
        fixed = calloc(nindexes ? nindexes : 1, sizeof(*fixed));
        if (!pol->prio || !fixed) {
                err = FP_ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < nindexes; i++) {
                const struct fp_release *rel = indexes[i].release;
                pol->prio[i] = 500;
                if (indexes[i].status)
                        pol->prio[i] = 100;
                else if (rel && rel->but_automatic_upgrades)
                        pol->prio[i] = 100;
                else if (rel && rel->not_automatic)
                        pol->prio[i] = 1;
        }
        if (default_release && *default_release) {
                struct fp_pin dr = {.type = FP_PIN_RELEASE, .data = default_release,
                                    .priority = 990};
                bool found = strlen(default_release) > 2 && default_release[1] == '=';
                for (size_t i = 0; i < nindexes && !found; i++) {
                        const struct fp_release *rel = indexes[i].release;
                        if (rel && (fp_apt_expression_matches(default_release, rel->suite) ||
                                    fp_apt_expression_matches(default_release, rel->codename) ||
                                    fp_apt_expression_matches(default_release, rel->version)))
                                found = true;
                }
                if (!found && fp_apt_expression_matches(default_release, "now"))
                        found = true;
                if (!found) {
                        fp_diag_set(diag, NULL, 0, "APT::Default-Release",
                                    "the value '%s' names no release available in the lists",
                                    default_release);
                        err = FP_EINVAL;
                        goto out;
                }
                for (size_t i = 0; i < nindexes; i++)
                        if (file_matches(&dr, &indexes[i])) {
                                pol->prio[i] = 990;
                                fixed[i] = true;
                        }
        }
        for (size_t p = 0; pins && p < pins->count; p++) {
                const struct fp_pin *pin = &pins->v[p];
                if (pin->package)
                        continue;
                for (size_t i = 0; i < nindexes; i++) {
                        if ((fixed[i] && pin->priority != FP_PIN_NEVER) ||
                            pol->prio[i] == FP_PIN_NEVER || !file_matches(pin, &indexes[i]))
                                continue;
                        pol->prio[i] = pin->priority;
                        fixed[i] = true;
                }
        }
out:
        free(fixed);
        if (err != FP_OK)
                fp_apt_policy_release(pol);
        return err;
}

void fp_apt_policy_release(struct fp_apt_policy *pol)
{
        if (!pol)
                return;
        free(pol->prio);
        pol->prio = NULL;
}

int fp_apt_index_priority(const struct fp_apt_policy *pol, size_t index)
{
        return index < pol->nindexes ? pol->prio[index] : 0;
}

static bool arch_matches(const char *spec, const char *arch)
{
        if (!arch)
                return false;
        if (strcmp(spec, "any") == 0 || strcmp(spec, arch) == 0)
                return true;
        /* dpkg wildcards like linux-any: a glob is close enough for pins. */
        return fnmatch(spec, arch, 0) == 0;
}

static bool is_pattern(const char *name)
{
        size_t n = strlen(name);
        return (n >= 2 && name[0] == '/' && name[n - 1] == '/') || strpbrk(name, "*[?");
}

static bool pin_applies(const struct fp_apt_policy *pol, const struct fp_pin *pin,
                        const struct fp_apt_pkg *pkg, const struct fp_apt_ver *ver)
{
        const char *subject = pin->source ? ver->source : pkg->name;
        const char *arch_spec = pin->arch ? pin->arch : pol->native_arch;

        if (!subject)
                return false;
        if (strcmp(pin->package, subject) != 0 &&
            !(is_pattern(pin->package) && fp_apt_expression_matches(pin->package, subject)))
                return false;
        if (!arch_spec || !arch_matches(arch_spec, pkg->arch))
                return false;
        switch (pin->type) {
        case FP_PIN_VERSION:
        case FP_PIN_SOURCE_VERSION: {
                const char *v = ver->version;
                if (pin->type == FP_PIN_SOURCE_VERSION && ver->source_version)
                        v = ver->source_version;
                size_t n = strlen(pin->data);
                bool prefix = n > 0 && pin->data[n - 1] == '*';
                return match_ver(v, pin->data, prefix ? n - 1 : n, prefix) ||
                       fp_apt_expression_matches(pin->data, v);
        }
        case FP_PIN_RELEASE:
        case FP_PIN_ORIGIN:
                for (const struct fp_apt_vfile *f = ver->files; f; f = f->next)
                        if (file_matches(pin, &pol->indexes[f->index]))
                                return true;
                return false;
        }
        return false;
}

int fp_apt_version_priority(const struct fp_apt_policy *pol, const struct fp_apt_pkg *pkg,
                            const struct fp_apt_ver *ver)
{
        bool found = false;
        int prio = 0;

        for (size_t p = 0; pol->pins && p < pol->pins->count; p++) {
                const struct fp_pin *pin = &pol->pins->v[p];
                if (!pin->package || !pin_applies(pol, pin, pkg, ver))
                        continue;
                /* A version only in "never" files stays never, whatever the package pin. */
                for (const struct fp_apt_vfile *f = ver->files; f; f = f->next)
                        if (pol->prio[f->index] != FP_PIN_NEVER)
                                return pin->priority;
                return FP_PIN_NEVER;
        }
        for (const struct fp_apt_vfile *f = ver->files; f; f = f->next) {
                int fp;
                if (pol->indexes[f->index].status && pkg->installed != ver)
                        fp = -1;
                else
                        fp = pol->prio[f->index];
                if (!found || fp > prio)
                        prio = fp;
                found = true;
        }
        return found ? prio : 0;
}

const struct fp_apt_ver *fp_apt_candidate(const struct fp_apt_policy *pol,
                                          const struct fp_apt_pkg *pkg)
{
        const struct fp_apt_ver *cand = NULL;
        int cand_prio = -1;

        for (const struct fp_apt_ver *v = pkg->versions; v; v = v->next) {
                int prio = fp_apt_version_priority(pol, pkg, v);
                if (prio == 0 || prio <= cand_prio)
                        continue;
                /* Below 1000 a version older than the installed one is never chosen. */
                if (pkg->installed && prio < 1000 &&
                    fp_deb_vercmp(v->version, pkg->installed->version) < 0)
                        continue;
                cand_prio = prio;
                cand = v;
        }
        return cand;
}

bool fp_apt_upgradable(const struct fp_apt_pkg *pkg, const struct fp_apt_ver *cand)
{
        return pkg->installed && cand && cand != pkg->installed &&
               fp_deb_vercmp(cand->version, pkg->installed->version) > 0;
}

enum fp_err fp_apt_pkg_add(struct fp_arena *arena, struct fp_apt_pkg *pkg,
                           const struct fp_deb_pkg *rec, size_t index, bool installed)
{
        struct fp_apt_ver **pp = &pkg->versions, *v = NULL;
        struct fp_apt_vfile *vf;
        size_t n = 0;

        for (; *pp; pp = &(*pp)->next, n++) {
                int c = fp_deb_vercmp(rec->version, (*pp)->version);
                if (c == 0 && strcmp(rec->version, (*pp)->version) == 0) {
                        v = *pp;
                        break;
                }
                if (c > 0)
                        break;
        }
        if (!v) {
                if (n >= FP_MAX_PKG_VERSIONS)
                        return FP_ELIMIT;
                v = fp_arena_alloc(arena, sizeof(*v));
                if (!v)
                        return FP_ENOMEM;
                memset(v, 0, sizeof(*v));
                v->version = rec->version;
                v->arch = rec->arch;
                v->source = rec->source;
                v->source_version = rec->source_version;
                v->phased = rec->phased;
                v->next = *pp;
                *pp = v;
        }
        /* Keep index order in the file list (apt lists them in cache order). */
        vf = fp_arena_alloc(arena, sizeof(*vf));
        if (!vf)
                return FP_ENOMEM;
        vf->index = index;
        vf->next = NULL;
        struct fp_apt_vfile **fl = &v->files;
        while (*fl)
                fl = &(*fl)->next;
        *fl = vf;
        if (installed)
                pkg->installed = v;
        return FP_OK;
}
