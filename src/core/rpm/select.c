/*
 * The updates `dnf check-update` lists, computed from the installed packages and the enabled
 * repositories' packages. Mirrors libdnf's upgrades_by_priority + latest_per_arch and
 * obsoletes_by_priority filters (see docs/scan-rpm.md for the rules and their sources).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"

int fp_rpm_pkg_evrcmp(const struct fp_rpm_pkg *a, const struct fp_rpm_pkg *b)
{
        return fp_rpm_evr_cmp3(a->epoch, a->version, a->release, b->epoch, b->version, b->release);
}

/*
 * libsolv's pool_match_nevr for rpm: the name must match; with a relation, the package's EVR
 * is compared to the dependency's, and a side without release (or epoch) ignores that part,
 * as rpmdsCompare does ("foo < 2.0" does not match foo-2.0-1).
 */
bool fp_rpm_dep_matches(const struct fp_rpm_dep *dep, const struct fp_rpm_pkg *pkg)
{
        int c;

        if (strcmp(dep->name, pkg->name) != 0)
                return false;
        if (!dep->flags)
                return true;
        c = fp_rpm_evr_cmp3(dep->epoch && *dep->epoch ? pkg->epoch : NULL, pkg->version,
                            dep->release && *dep->release ? pkg->release : NULL,
                            dep->epoch && *dep->epoch ? dep->epoch : NULL, dep->version,
                            dep->release && *dep->release ? dep->release : NULL);
        if (c < 0)
                return dep->flags & FP_RPMDEP_LT;
        if (c > 0)
                return dep->flags & FP_RPMDEP_GT;
        return dep->flags & FP_RPMDEP_EQ;
}

bool fp_rpm_spec_match(const char *pattern, const struct fp_rpm_pkg *pkg)
{
        char buf[FP_MAX_NAME_LEN + FP_MAX_VERSION_LEN + 64];
        const char *e = pkg->epoch ? pkg->epoch : "0";

        if (fnmatch(pattern, pkg->name, 0) == 0)
                return true;
        /* The NEVRA spellings dnf accepts as a package spec. */
        snprintf(buf, sizeof(buf), "%s.%s", pkg->name, pkg->arch);
        if (fnmatch(pattern, buf, 0) == 0)
                return true;
        snprintf(buf, sizeof(buf), "%s-%s", pkg->name, pkg->version);
        if (fnmatch(pattern, buf, 0) == 0)
                return true;
        snprintf(buf, sizeof(buf), "%s-%s-%s", pkg->name, pkg->version, pkg->release);
        if (fnmatch(pattern, buf, 0) == 0)
                return true;
        snprintf(buf, sizeof(buf), "%s-%s-%s.%s", pkg->name, pkg->version, pkg->release, pkg->arch);
        if (fnmatch(pattern, buf, 0) == 0)
                return true;
        snprintf(buf, sizeof(buf), "%s-%s:%s-%s.%s", pkg->name, e, pkg->version, pkg->release,
                 pkg->arch);
        if (fnmatch(pattern, buf, 0) == 0)
                return true;
        snprintf(buf, sizeof(buf), "%s-%s:%s-%s", pkg->name, e, pkg->version, pkg->release);
        return fnmatch(pattern, buf, 0) == 0;
}

bool fp_rpm_speclist_match(const char *list, const struct fp_rpm_pkg *pkg)
{
        char pat[FP_MAX_NAME_LEN + FP_MAX_VERSION_LEN + 64];
        const char *s = list;

        while (s && *s) {
                size_t n = strcspn(s, " \t\n,");
                if (n > 0 && n < sizeof(pat)) {
                        memcpy(pat, s, n);
                        pat[n] = '\0';
                        if (fp_rpm_spec_match(pat, pkg))
                                return true;
                }
                s += n;
                s += strspn(s, " \t\n,");
        }
        return false;
}

/* An available package of another arch may replace an installed one only via noarch. */
static bool arch_compatible(const char *installed, const char *avail)
{
        return strcmp(installed, avail) == 0 || strcmp(installed, "noarch") == 0 ||
               strcmp(avail, "noarch") == 0;
}

static int cmp_name(const void *a, const void *b)
{
        const struct fp_rpm_pkg *const *x = a, *const *y = b;
        return strcmp((*x)->name, (*y)->name);
}

/* By name, then priority (best first), then repo id so ties are deterministic. */
static int cmp_name_prio(const void *a, const void *b)
{
        const struct fp_rpm_pkg *const *x = a, *const *y = b;
        int c = strcmp((*x)->name, (*y)->name);
        if (c)
                return c;
        if ((*x)->priority != (*y)->priority)
                return (*x)->priority < (*y)->priority ? -1 : 1;
        return strcmp((*x)->repo ? (*x)->repo : "", (*y)->repo ? (*y)->repo : "");
}

static int cmp_name_arch(const void *a, const void *b)
{
        const struct fp_rpm_pkg *const *x = a, *const *y = b;
        int c = strcmp((*x)->name, (*y)->name);
        return c ? c : strcmp((*x)->arch, (*y)->arch);
}

/* [first, last) of sorted pointers whose name equals name. */
static void name_range(const struct fp_rpm_pkg **v, size_t n, const char *name, size_t *first,
                       size_t *last)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(v[mid]->name, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *first = lo;
        while (lo < n && strcmp(v[lo]->name, name) == 0)
                lo++;
        *last = lo;
}

static const struct fp_rpm_pkg **sorted_ptrs(const struct fp_rpm_pkg *v, size_t n,
                                             int (*cmp)(const void *, const void *))
{
        /* An array of pointers: sizeof(*p) is a pointer's size on purpose. */
        const struct fp_rpm_pkg **p = malloc((n ? n : 1) * sizeof(*p)); // NOLINT(bugprone-sizeof-expression)
        if (!p)
                return NULL;
        for (size_t i = 0; i < n; i++)
                p[i] = &v[i];
        qsort(p, n, sizeof(*p), cmp); // NOLINT(bugprone-sizeof-expression)
        return p;
}

/*
 * libdnf what_upgrades(): an available package upgrades the installed ones of its name with a
 * compatible arch only if it is newer than every one of them (so an installonly package like
 * the kernel compares with its newest installed version). Returns that newest one, or NULL.
 */
static const struct fp_rpm_pkg *what_upgrades(const struct fp_rpm_pkg *avail,
                                              const struct fp_rpm_pkg **inst, size_t first,
                                              size_t last)
{
        const struct fp_rpm_pkg *newest = NULL;

        for (size_t i = first; i < last; i++) {
                if (!arch_compatible(inst[i]->arch, avail->arch))
                        continue;
                if (fp_rpm_pkg_evrcmp(inst[i], avail) >= 0)
                        return NULL;
                if (!newest || fp_rpm_pkg_evrcmp(inst[i], newest) > 0)
                        newest = inst[i];
        }
        return newest;
}

/* Newest installed package of exactly this name and arch, or NULL. */
static const struct fp_rpm_pkg *newest_installed(const struct fp_rpm_pkg **inst, size_t ninst,
                                                 const char *name, const char *arch)
{
        const struct fp_rpm_pkg *newest = NULL;
        size_t first, last;

        name_range(inst, ninst, name, &first, &last);
        for (size_t i = first; i < last; i++) {
                if (strcmp(inst[i]->arch, arch) == 0 &&
                    (!newest || fp_rpm_pkg_evrcmp(inst[i], newest) > 0))
                        newest = inst[i];
        }
        return newest;
}

/* Does some package of A's name and arch obsolete an installed one? (Any version: dnf marks
 * golf-2.0 obsoleting foxtrot as security for an advisory naming golf-1.0, a version that does
 * not even exist.) */
static bool obsoletes_installed(const struct fp_rpm_pkg *a, const struct fp_rpm_obsolete *obs,
                                size_t nobs)
{
        for (size_t i = 0; i < nobs; i++) {
                const struct fp_rpm_pkg *p = obs[i].newpkg;
                if (strcmp(p->name, a->name) == 0 && strcmp(p->arch, a->arch) == 0)
                        return true;
        }
        return false;
}

/*
 * libdnf's advisory filter with the upgrade flag (dnf check-update --security). An advisory
 * package A of a "security" advisory applies when the newest installed package of exactly A's
 * name and arch is older than A, or when the available package A obsoletes an installed one.
 * A candidate (or obsoleting package) C is then a security update if such an A has C's name
 * and arch and is not newer than C — so an advisory for 1.1 marks the candidate 1.2 that
 * supersedes it. Each part was checked against dnf 4.14 on a sandbox (docs/scan-rpm.md).
 */
static bool is_security(const struct fp_rpm_pkg *cand, const struct fp_rpm_pkg **inst, size_t ninst,
                        const struct fp_rpm_pkg **sec, size_t nsec,
                        const struct fp_rpm_obsolete *obs, size_t nobs)
{
        size_t first, last;

        name_range(sec, nsec, cand->name, &first, &last);
        for (size_t i = first; i < last; i++) {
                const struct fp_rpm_pkg *a = sec[i], *newest;
                if (strcmp(a->arch, cand->arch) != 0 || fp_rpm_pkg_evrcmp(a, cand) > 0)
                        continue;
                newest = newest_installed(inst, ninst, a->name, a->arch);
                if (newest && fp_rpm_pkg_evrcmp(newest, a) < 0)
                        return true;
                if (obsoletes_installed(a, obs, nobs))
                        return true;
        }
        return false;
}

struct upg {
        const struct fp_rpm_pkg *cand, *inst;
};

static int cmp_upg(const void *a, const void *b)
{
        const struct upg *x = a, *y = b;
        int c = strcmp(x->cand->name, y->cand->name);
        if (c)
                return c;
        c = strcmp(x->cand->arch, y->cand->arch);
        if (c)
                return c;
        c = fp_rpm_pkg_evrcmp(y->cand, x->cand); /* newest first */
        if (c)
                return c;
        return strcmp(x->cand->repo ? x->cand->repo : "", y->cand->repo ? y->cand->repo : "");
}

static int cmp_obs(const void *a, const void *b)
{
        const struct fp_rpm_obsolete *x = a, *y = b;
        int c = strcmp(x->newpkg->name, y->newpkg->name);
        if (c)
                return c;
        c = strcmp(x->newpkg->arch, y->newpkg->arch);
        if (c)
                return c;
        c = fp_rpm_pkg_evrcmp(x->newpkg, y->newpkg);
        if (c)
                return c;
        c = strcmp(x->newpkg->repo ? x->newpkg->repo : "", y->newpkg->repo ? y->newpkg->repo : "");
        if (c)
                return c;
        c = strcmp(x->installed->name, y->installed->name);
        return c ? c : strcmp(x->installed->arch, y->installed->arch);
}

/* Grow *v (of elem-sized items) to hold one more; false on out of memory. */
static bool grow(void **v, size_t n, size_t *cap, size_t elem)
{
        void *p;
        size_t ncap;

        if (n < *cap)
                return true;
        ncap = *cap ? *cap * 2 : 64;
        p = realloc(*v, ncap * elem);
        if (!p)
                return false;
        *v = p;
        *cap = ncap;
        return true;
}

enum fp_err fp_rpm_select(const struct fp_rpm_select_in *in, struct fp_rpm_selection *out,
                          struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        const struct fp_rpm_pkg **inst = NULL, **avail = NULL, **sec = NULL;
        struct upg *ups = NULL;
        size_t nups = 0, upscap = 0;
        struct fp_rpm_selection sel = {0};
        size_t obscap = 0, upgcap = 0;

        inst = sorted_ptrs(in->installed, in->ninstalled, cmp_name);
        avail = sorted_ptrs(in->available, in->navailable, cmp_name_prio);
        sec = sorted_ptrs(in->security, in->nsecurity, cmp_name_arch);
        if (!inst || !avail || !sec) {
                err = FP_ENOMEM;
                goto out;
        }
        for (size_t g = 0; g < in->navailable;) {
                size_t gend = g, ifirst, ilast;
                /* Only the best-priority repos' packages of a name count (upgrades_by_priority). */
                int best = avail[g]->priority;

                while (gend < in->navailable && strcmp(avail[gend]->name, avail[g]->name) == 0)
                        gend++;
                name_range(inst, in->ninstalled, avail[g]->name, &ifirst, &ilast);
                for (size_t i = g; i < gend && avail[i]->priority == best; i++) {
                        const struct fp_rpm_pkg *p = avail[i];
                        const struct fp_rpm_pkg *old = what_upgrades(p, inst, ifirst, ilast);
                        if (old) {
                                if (!grow((void **)&ups, nups, &upscap, sizeof(*ups))) {
                                        err = FP_ENOMEM;
                                        goto out;
                                }
                                ups[nups].cand = p;
                                ups[nups].inst = old;
                                nups++;
                        }
                        for (size_t o = 0; o < p->nobsoletes; o++) {
                                size_t of, ol;
                                name_range(inst, in->ninstalled, p->obsoletes[o].name, &of, &ol);
                                for (size_t k = of; k < ol; k++) {
                                        if (!fp_rpm_dep_matches(&p->obsoletes[o], inst[k]))
                                                continue;
                                        /* The same pair named by two entries is listed once. */
                                        bool dup = false;
                                        for (size_t d = 0; d < sel.nobsoletes; d++)
                                                dup |= sel.obsoletes[d].newpkg == p &&
                                                       sel.obsoletes[d].installed == inst[k];
                                        if (dup)
                                                continue;
                                        if (!grow((void **)&sel.obsoletes, sel.nobsoletes, &obscap,
                                                  sizeof(*sel.obsoletes))) {
                                                err = FP_ENOMEM;
                                                goto out;
                                        }
                                        struct fp_rpm_obsolete *ob =
                                            &sel.obsoletes[sel.nobsoletes++];
                                        ob->newpkg = p;
                                        ob->installed = inst[k];
                                        ob->security = false; /* set below */
                                }
                        }
                }
                g = gend;
        }
        /* latest_per_arch: the highest EVR of each name.arch; equal EVRs from several repos
         * are one update offered by all of them. */
        /* qsort's pointer must be non-NULL even for zero elements. */
        if (nups)
                qsort(ups, nups, sizeof(*ups), cmp_upg);
        for (size_t i = 0; i < nups;) {
                size_t j = i + 1;
                struct fp_buf repos;
                struct fp_rpm_upgrade *u;

                while (j < nups && strcmp(ups[j].cand->name, ups[i].cand->name) == 0 &&
                       strcmp(ups[j].cand->arch, ups[i].cand->arch) == 0)
                        j++;
                if (!grow((void **)&sel.upgrades, sel.nupgrades, &upgcap, sizeof(*sel.upgrades))) {
                        err = FP_ENOMEM;
                        goto out;
                }
                u = &sel.upgrades[sel.nupgrades];
                memset(u, 0, sizeof(*u));
                u->candidate = ups[i].cand;
                u->installed = ups[i].inst;
                fp_buf_init(&repos, FP_MAX_LINE_LEN);
                for (size_t k = i; k < j && fp_rpm_pkg_evrcmp(ups[k].cand, ups[i].cand) == 0; k++) {
                        if (k > i && ups[k].cand->repo && ups[k - 1].cand->repo &&
                            strcmp(ups[k].cand->repo, ups[k - 1].cand->repo) == 0)
                                continue;
                        if ((k > i && fp_buf_addc(&repos, ',') != FP_OK) ||
                            fp_buf_addstr(&repos, ups[k].cand->repo ? ups[k].cand->repo : "") !=
                                FP_OK) {
                                fp_buf_release(&repos);
                                err = FP_ELIMIT;
                                fp_diag_set(diag, NULL, 0, "repo", "too many repositories");
                                goto out;
                        }
                }
                u->repos = fp_buf_take(&repos);
                if (!u->repos) {
                        err = FP_ENOMEM;
                        goto out;
                }
                sel.nupgrades++;
                /* security is set below, once every obsoleting pair is known */
                i = j;
        }
        for (size_t i = 0; i < sel.nupgrades; i++)
                sel.upgrades[i].security =
                    is_security(sel.upgrades[i].candidate, inst, in->ninstalled, sec, in->nsecurity,
                                sel.obsoletes, sel.nobsoletes);
        for (size_t i = 0; i < sel.nobsoletes; i++)
                sel.obsoletes[i].security =
                    is_security(sel.obsoletes[i].newpkg, inst, in->ninstalled, sec, in->nsecurity,
                                sel.obsoletes, sel.nobsoletes);
        if (sel.nobsoletes)
                qsort(sel.obsoletes, sel.nobsoletes, sizeof(*sel.obsoletes), cmp_obs);
        *out = sel;
        memset(&sel, 0, sizeof(sel));
out:
        fp_rpm_selection_release(&sel);
        free(inst);
        free(avail);
        free(sec);
        free(ups);
        return err;
}

void fp_rpm_selection_release(struct fp_rpm_selection *sel)
{
        if (!sel)
                return;
        for (size_t i = 0; i < sel->nupgrades; i++)
                free(sel->upgrades[i].repos);
        free(sel->upgrades);
        free(sel->obsoletes);
        memset(sel, 0, sizeof(*sel));
}
