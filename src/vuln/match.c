/* Matching inventories against the advisory index (fleetpatch/match.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/match.h"
#include "fleetpatch/version.h"
#include "vuln/feeds/common.h"

/* One advisory as the index keeps it: what findings need, nothing else. */
struct ix_adv {
        const char *feed, *id, *summary, *cvss_vector;
        enum fp_severity severity;
        double cvss;
        int64_t published;
        bool withdrawn;
        const char **vulns; /* the CVEs it fixes, or just its own id when it names none */
        size_t nvulns;
};

struct ix_aff {
        const struct ix_adv *adv;
        const char *distro, *arch, *module, *fixed, *note;
        enum fp_vuln_state state;
        enum fp_severity severity;
        struct fp_vuln_range *ranges;
        size_t nranges;
        const char **versions;
        size_t nversions;
        struct ix_aff *next; /* same (distro, release, kind, package) */
};

struct kev_rec {
        int64_t due;
        bool ransomware;
};
struct epss_rec {
        double epss, percentile;
};

struct tuple_match {
        const struct ix_aff *aff;
        const char *fixed;
        enum fp_finding_status status;
};
struct tuple_result {
        struct fp_finding *t; /* the findings this tuple yields, merged once (pkg unset) */
        size_t nt;
        size_t n;
        struct tuple_match m[];
};
static const struct tuple_result no_match = {0};

struct fp_vindex {
        struct fp_arena arena;
        struct fp_strmap chains; /* "distro\037release\037S|B\037package" -> ix_aff list */
        struct fp_strmap advs;   /* "feed\037id" -> ix_adv */
        struct fp_strmap kev;    /* CVE -> kev_rec */
        struct fp_strmap epss;   /* CVE -> epss_rec */
        /* tuple key (malloc'd) -> tuple_result (or &no_match). Hosts choose the versions they
         * report, so it is bounded: dropped whole at the next package past a limit. */
        struct fp_strmap tuples;
        size_t tuple_bytes, tuple_max, tuple_bytes_max;
        /* advisories strings of the tuples' findings, interned so that findings outlive a
         * drop of the tuples. Bounded by the index: the advisories matching a version change
         * only at the versions (and arches) the chain names. */
        struct fp_strmap advstrs;
        size_t entries;
        bool no_sharing;
};

const char *fp_finding_status_name(enum fp_finding_status s)
{
        static const char *const names[] = {
            "vulnerable",   "unfixed",        "no-dsa",      "postponed", "will-not-fix",
            "undetermined", "pending-reboot", "not-running", "accepted",  "dismissed",
        };
        return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

bool fp_finding_exposed(enum fp_finding_status s)
{
        return s != FP_FIND_NOT_RUNNING && s != FP_FIND_ACCEPTED && s != FP_FIND_DISMISSED;
}

static enum fp_scheme scheme_of(const char *distro)
{
        if (strcmp(distro, "debian") == 0 || strncmp(distro, "ubuntu", 6) == 0)
                return FP_SCHEME_DEB;
        if (strcmp(distro, "alpine") == 0 || strcmp(distro, "wolfi") == 0)
                return FP_SCHEME_APK;
        return FP_SCHEME_RPM;
}

/* ---- loading ------------------------------------------------------------------------------ */

static char *keyf(struct fp_arena *a, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *keyf(struct fp_arena *a, size_t *len, const char *fmt, ...)
{
        char buf[4 * FP_MAX_ADVISORY_ID_LEN + 64];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return NULL;
        *len = (size_t)n;
        return a ? fp_arena_strndup(a, buf, (size_t)n) : NULL;
}

static const char *adup(struct fp_arena *a, const char *s)
{
        return s ? fp_arena_strdup(a, s) : NULL;
}

static struct ix_adv *intern_adv(struct fp_vindex *ix, const char *feed,
                                 const struct fp_vuln_advisory *adv)
{
        size_t klen;
        char *key = keyf(&ix->arena, &klen, "%s\037%s", feed, adv->id);
        if (!key)
                return NULL;
        struct ix_adv *a = fp_strmap_get(&ix->advs, key, klen);
        if (a)
                return a;
        a = fp_arena_alloc(&ix->arena, sizeof(*a));
        if (!a)
                return NULL;
        *a = (struct ix_adv){
            .feed = adup(&ix->arena, feed),
            .id = adup(&ix->arena, adv->id),
            .summary = adup(&ix->arena, adv->summary),
            .cvss_vector = adup(&ix->arena, adv->cvss_vector),
            .severity = adv->severity,
            .cvss = adv->cvss_score,
            .published = adv->published,
            .withdrawn = adv->withdrawn,
        };
        size_t n = strncmp(adv->id, "CVE-", 4) == 0 ? 1 : 0;
        for (size_t i = 0; i < adv->naliases; i++)
                n += strncmp(adv->aliases[i], "CVE-", 4) == 0;
        a->vulns = fp_arena_alloc(&ix->arena, (n ? n : 1) * sizeof(*a->vulns));
        if (!a->vulns)
                return NULL;
        if (strncmp(adv->id, "CVE-", 4) == 0)
                a->vulns[a->nvulns++] = a->id;
        for (size_t i = 0; i < adv->naliases; i++) {
                if (strncmp(adv->aliases[i], "CVE-", 4) != 0 ||
                    strcmp(adv->aliases[i], adv->id) == 0)
                        continue;
                a->vulns[a->nvulns++] = adup(&ix->arena, adv->aliases[i]);
        }
        if (a->nvulns == 0)
                a->vulns[a->nvulns++] = a->id;
        if (fp_strmap_put(&ix->advs, key, klen, a) != FP_OK)
                return NULL;
        return a;
}

static const char **copy_list(struct fp_arena *a, const char *const *v, size_t n)
{
        if (!n)
                return NULL;
        const char **out = fp_arena_alloc(a, n * sizeof(*out));
        for (size_t i = 0; out && i < n; i++)
                out[i] = adup(a, v[i]);
        return out;
}

/*
 * Bug-fix and enhancement errata (ALBA, RLBA, ELBA, ALEA, ...) fix no vulnerability: they are
 * updates, not findings.
 */
static bool non_security_erratum(const struct fp_vuln_advisory *adv)
{
        const char *id = adv->id;
        return adv->kind == FP_FEED_RPM_ERRATA && adv->naliases == 0 && strlen(id) > 5 &&
               (strncmp(id + 2, "BA-", 3) == 0 || strncmp(id + 2, "EA-", 3) == 0);
}

static enum fp_err load_affected(void *ud, const char *feed, const struct fp_vuln_advisory *adv,
                                 const struct fp_vuln_affected *aff)
{
        struct fp_vindex *ix = ud;
        if (adv->withdrawn || non_security_erratum(adv))
                return FP_OK;
        struct ix_adv *a = intern_adv(ix, feed, adv);
        struct ix_aff *f = fp_arena_alloc(&ix->arena, sizeof(*f));
        if (!a || !f)
                return FP_ENOMEM;
        *f = (struct ix_aff){
            .adv = a,
            .arch = adup(&ix->arena, aff->arch),
            .module = adup(&ix->arena, aff->module),
            .fixed = adup(&ix->arena, aff->fixed),
            .note = adup(&ix->arena, aff->note),
            .state = aff->state,
            .severity = aff->severity,
            .nranges = aff->nranges,
            .versions = copy_list(&ix->arena, aff->versions, aff->nversions),
            .nversions = aff->nversions,
        };
        if (aff->nranges) {
                f->ranges = fp_arena_alloc(&ix->arena, aff->nranges * sizeof(*f->ranges));
                if (!f->ranges)
                        return FP_ENOMEM;
                for (size_t i = 0; i < aff->nranges; i++) {
                        f->ranges[i].introduced = adup(&ix->arena, aff->ranges[i].introduced);
                        f->ranges[i].fixed = adup(&ix->arena, aff->ranges[i].fixed);
                        f->ranges[i].last_affected = adup(&ix->arena, aff->ranges[i].last_affected);
                }
        }
        size_t klen;
        char *key = keyf(&ix->arena, &klen, "%s\037%s\037%c\037%s", aff->distro, aff->release,
                         aff->source ? 'S' : 'B', aff->package);
        if (!key)
                return FP_ENOMEM;
        f->distro = adup(&ix->arena, aff->distro);
        if (!f->distro)
                return FP_ENOMEM;
        struct ix_aff *head = fp_strmap_get(&ix->chains, key, klen);
        f->next = head;
        ix->entries++;
        return fp_strmap_put(&ix->chains, key, klen, f);
}

static enum fp_err load_kev(void *ud, const struct fp_kev_entry *e)
{
        struct fp_vindex *ix = ud;
        struct kev_rec *r = fp_arena_alloc(&ix->arena, sizeof(*r));
        const char *cve = adup(&ix->arena, e->cve);
        if (!r || !cve)
                return FP_ENOMEM;
        r->due = e->due_date;
        r->ransomware = e->ransomware;
        return fp_strmap_put(&ix->kev, cve, strlen(cve), r);
}

static enum fp_err load_epss(void *ud, const struct fp_epss_entry *e)
{
        struct fp_vindex *ix = ud;
        struct epss_rec *r = fp_arena_alloc(&ix->arena, sizeof(*r));
        const char *cve = adup(&ix->arena, e->cve);
        if (!r || !cve)
                return FP_ENOMEM;
        r->epss = e->epss;
        r->percentile = e->percentile;
        return fp_strmap_put(&ix->epss, cve, strlen(cve), r);
}

enum fp_err fp_vindex_load(struct fp_vulndb *db, const char *distro, const char *release,
                           struct fp_vindex **out, struct fp_diag *diag)
{
        struct fp_vindex *ix = calloc(1, sizeof(*ix));
        if (!ix)
                return FP_ENOMEM;
        fp_arena_init(&ix->arena);
        fp_strmap_init(&ix->chains);
        fp_strmap_init(&ix->advs);
        fp_strmap_init(&ix->kev);
        fp_strmap_init(&ix->epss);
        fp_strmap_init(&ix->tuples);
        fp_strmap_init(&ix->advstrs);
        ix->tuple_max = FP_VINDEX_TUPLES_MAX;
        ix->tuple_bytes_max = FP_VINDEX_TUPLE_BYTES_MAX;
        enum fp_err err = fp_vulndb_each_affected(db, distro, release, load_affected, ix, diag);
        /* KEV and EPSS only enrich findings: an index without entries (a release the database
         * knows nothing of) never reads them, so it is not made to hold a copy of them */
        if (err == FP_OK && ix->entries)
                err = fp_vulndb_each_kev(db, load_kev, ix, diag);
        if (err == FP_OK && ix->entries)
                err = fp_vulndb_each_epss(db, load_epss, ix, diag);
        if (err != FP_OK) {
                fp_vindex_free(ix);
                return err;
        }
        *out = ix;
        return FP_OK;
}

static void free_result(const struct tuple_result *r)
{
        if (r && r != &no_match) {
                free(r->t);
                free((void *)r);
        }
}

/* Forget every evaluated tuple. Only between packages: no caller holds a result then. */
static void drop_tuples(struct fp_vindex *ix)
{
        size_t pos = 0;
        const char *k;
        size_t kl;
        void *v;
        while (fp_strmap_next(&ix->tuples, &pos, &k, &kl, &v)) {
                free_result(v);
                free((void *)k);
        }
        fp_strmap_release(&ix->tuples);
        fp_strmap_init(&ix->tuples);
        ix->tuple_bytes = 0;
}

void fp_vindex_free(struct fp_vindex *ix)
{
        if (!ix)
                return;
        drop_tuples(ix);
        fp_strmap_release(&ix->chains);
        fp_strmap_release(&ix->advs);
        fp_strmap_release(&ix->kev);
        fp_strmap_release(&ix->epss);
        fp_strmap_release(&ix->tuples); /* empty now */
        fp_strmap_release(&ix->advstrs);
        fp_arena_release(&ix->arena);
        free(ix);
}

size_t fp_vindex_entries(const struct fp_vindex *ix)
{
        return ix->entries;
}

size_t fp_vindex_tuples(const struct fp_vindex *ix)
{
        return ix->tuples.count;
}

void fp_vindex_share_tuples(struct fp_vindex *ix, bool share)
{
        ix->no_sharing = !share;
}

void fp_vindex_set_tuple_limit(struct fp_vindex *ix, size_t max_tuples, size_t max_bytes)
{
        ix->tuple_max = max_tuples < 2 ? 2 : max_tuples;
        ix->tuple_bytes_max = max_bytes;
}

/* ---- one tuple ----------------------------------------------------------------------------- */

/* A fix for a module build: named by the feed, or (OSV records name no module) seen in the
 * fixed build's release. */
static bool modular_entry(const struct ix_aff *f)
{
        return f->module != NULL || (f->fixed && fp_feed_modular_release(f->fixed));
}

/*
 * Is `version` affected by this entry? *fixed = the version that fixes it (NULL if none).
 * Ranges follow OSV: introduced <= v < fixed, or introduced <= v <= last_affected.
 */
static bool entry_affects(const struct ix_aff *f, enum fp_scheme sch, const char *version,
                          const char **fixed)
{
        *fixed = NULL;
        if (f->state == FP_VS_NOT_AFFECTED)
                return false;
        if (!f->fixed && !f->nranges && !f->nversions)
                return true; /* unfixed: every version */
        if (f->fixed && fp_vercmp(sch, version, f->fixed) < 0) {
                *fixed = f->fixed;
                return true;
        }
        for (size_t i = 0; i < f->nranges; i++) {
                const struct fp_vuln_range *r = &f->ranges[i];
                if (r->introduced && fp_vercmp(sch, version, r->introduced) < 0)
                        continue;
                if (r->fixed) {
                        if (fp_vercmp(sch, version, r->fixed) < 0) {
                                *fixed = r->fixed;
                                return true;
                        }
                } else if (r->last_affected) {
                        if (fp_vercmp(sch, version, r->last_affected) <= 0)
                                return true;
                } else {
                        return true;
                }
        }
        for (size_t i = 0; i < f->nversions; i++)
                if (strcmp(version, f->versions[i]) == 0 ||
                    fp_vercmp(sch, version, f->versions[i]) == 0)
                        return true;
        return false;
}

static enum fp_finding_status status_of(const struct ix_aff *f, const char *fixed)
{
        switch (f->state) {
        case FP_VS_WONTFIX:
                return FP_FIND_WONTFIX;
        case FP_VS_NODSA:
                return FP_FIND_NODSA;
        case FP_VS_POSTPONED:
                return FP_FIND_POSTPONED;
        case FP_VS_UNDETERMINED:
                return FP_FIND_UNDETERMINED;
        default:
                return fixed ? FP_FIND_VULNERABLE : FP_FIND_UNFIXED;
        }
}

/*
 * An erratum may list several fixed builds of one package (module builds for two minor
 * releases: ...module+el8.3... and ...module+el8.4...). Having any of them installed, or a
 * newer build, means the erratum is applied: the older build's host is not vulnerable just
 * because the newer build also exists.
 */
static bool fixed_by_sibling(const struct ix_aff *chain, const struct ix_aff *f,
                             const char *version, const char *arch)
{
        for (const struct ix_aff *g = chain; g; g = g->next) {
                if (g == f || g->adv != f->adv || !g->fixed || g->state != FP_VS_AFFECTED)
                        continue;
                if (g->arch && arch && strcmp(g->arch, arch) != 0)
                        continue;
                if (modular_entry(g) != fp_feed_modular_release(version))
                        continue;
                if (fp_vercmp(FP_SCHEME_RPM, version, g->fixed) >= 0)
                        return true;
        }
        return false;
}

/* Matches of one chain for one installed version; the result is cached by the caller. */
static const struct tuple_result *evaluate(const struct ix_aff *chain, const char *version,
                                           const char *arch)
{
        size_t n = 0;
        for (const struct ix_aff *f = chain; f; f = f->next)
                n++;
        struct tuple_result *r = malloc(sizeof(*r) + n * sizeof(r->m[0]));
        if (!r)
                return NULL;
        r->n = 0;
        r->t = NULL;
        r->nt = 0;
        for (const struct ix_aff *f = chain; f; f = f->next) {
                enum fp_scheme sch = scheme_of(f->distro);
                if (sch == FP_SCHEME_RPM) {
                        if (f->arch && arch && strcmp(f->arch, arch) != 0)
                                continue;
                        /* A modular build is fixed by its module's errata and vice versa. */
                        if (modular_entry(f) != fp_feed_modular_release(version))
                                continue;
                }
                const char *fixed;
                if (!entry_affects(f, sch, version, &fixed))
                        continue;
                if (sch == FP_SCHEME_RPM && fixed && fixed_by_sibling(chain, f, version, arch))
                        continue;
                r->m[r->n++] = (struct tuple_match){f, fixed, status_of(f, fixed)};
        }
        if (r->n == 0) {
                free(r);
                return &no_match;
        }
        /* the chain may be long and the matches few: keep (and count) only the matches */
        struct tuple_result *fit = realloc(r, sizeof(*r) + r->n * sizeof(r->m[0]));
        return fit ? fit : r;
}

struct hit {
        const char *vuln;
        const struct tuple_match *m;
};

static int hit_order(const void *a, const void *b)
{
        const struct hit *x = a, *y = b;
        int c = strcmp(x->vuln, y->vuln);
        if (c)
                return c;
        return strcmp(x->m->aff->adv->id, y->m->aff->adv->id);
}

/* s as a string of the index that no drop of the tuples frees. */
static const char *intern_str(struct fp_vindex *ix, const char *s)
{
        size_t len = strlen(s);
        char *d = fp_strmap_get(&ix->advstrs, s, len);
        if (d)
                return d;
        d = fp_arena_strndup(&ix->arena, s, len);
        if (!d || fp_strmap_put(&ix->advstrs, d, len, d) != FP_OK)
                return NULL;
        return d;
}

/* One finding from n hits that share a vuln id (pkg left unset). The advisories string goes
 * into arena a, or is interned in the index when a is NULL (a tuple's template). */
static enum fp_err merge_into(struct fp_vindex *ix, enum fp_scheme sch, struct fp_arena *a,
                              const struct hit *h, size_t n, struct fp_finding *f)
{
        memset(f, 0, sizeof(*f));
        f->vuln = h[0].vuln;
        f->status = h[0].m->status;
        f->cvss = -1.0;
        f->epss = f->epss_percentile = -1.0;
        enum fp_severity distro_sev = FP_SEV_UNKNOWN, adv_sev = FP_SEV_UNKNOWN;
        struct fp_buf advs;
        fp_buf_init(&advs, 64 * 1024);
        for (size_t i = 0; i < n; i++) {
                const struct tuple_match *m = h[i].m;
                const struct ix_adv *ad = m->aff->adv;
                if (m->status < f->status)
                        f->status = m->status;
                if (m->fixed && (!f->fixed || fp_vercmp(sch, m->fixed, f->fixed) > 0))
                        f->fixed = m->fixed;
                if (m->aff->severity > distro_sev)
                        distro_sev = m->aff->severity;
                if (ad->severity > adv_sev)
                        adv_sev = ad->severity;
                if (ad->cvss > f->cvss) {
                        f->cvss = ad->cvss;
                        f->cvss_vector = ad->cvss_vector;
                }
                if (ad->published && (!f->published || ad->published < f->published))
                        f->published = ad->published;
                if (!f->summary)
                        f->summary = ad->summary;
                if (!f->note)
                        f->note = m->aff->note;
                /* hits are sorted by advisory id within a vuln: skip repeats (several ranges) */
                if (i == 0 || strcmp(h[i - 1].m->aff->adv->id, ad->id) != 0 ||
                    strcmp(h[i - 1].m->aff->adv->feed, ad->feed) != 0)
                        fp_buf_addf(&advs, "%s%s (%s)", advs.len ? ", " : "", ad->id, ad->feed);
        }
        /* A fix exists once any advisory names one: the finding is then plainly fixable. */
        if (f->fixed && f->status != FP_FIND_VULNERABLE && f->status != FP_FIND_WONTFIX)
                f->status = FP_FIND_VULNERABLE;
        f->severity = distro_sev != FP_SEV_UNKNOWN ? distro_sev
                      : adv_sev != FP_SEV_UNKNOWN  ? adv_sev
                                                   : fp_severity_from_cvss(f->cvss);
        const char *list = fp_buf_str(&advs);
        f->advisories = a ? fp_arena_strdup(a, list) : intern_str(ix, list);
        fp_buf_release(&advs);
        if (!f->advisories)
                return FP_ENOMEM;
        const struct kev_rec *k = fp_strmap_get(&ix->kev, f->vuln, strlen(f->vuln));
        if (k) {
                f->kev = true;
                f->kev_due = k->due;
                f->ransomware = k->ransomware;
        }
        const struct epss_rec *e = fp_strmap_get(&ix->epss, f->vuln, strlen(f->vuln));
        if (e) {
                f->epss = e->epss;
                f->epss_percentile = e->percentile;
        }
        return FP_OK;
}

/* Hits of one tuple result, sorted by vuln then advisory, into a caller-owned array. */
static struct hit *collect_hits(const struct tuple_result *r, size_t *n)
{
        size_t total = 0;
        for (size_t i = 0; i < r->n; i++)
                total += r->m[i].aff->adv->nvulns;
        struct hit *h = malloc((total ? total : 1) * sizeof(*h));
        if (!h)
                return NULL;
        *n = 0;
        for (size_t i = 0; i < r->n; i++) {
                const struct ix_adv *a = r->m[i].aff->adv;
                for (size_t v = 0; v < a->nvulns; v++)
                        h[(*n)++] = (struct hit){a->vulns[v], &r->m[i]};
        }
        qsort(h, *n, sizeof(*h), hit_order);
        return h;
}

/* Merge a tuple's matches into its findings once; every host with the tuple copies them. */
static enum fp_err build_templates(struct fp_vindex *ix, enum fp_scheme sch, struct tuple_result *r)
{
        size_t n;
        struct hit *h = collect_hits(r, &n);
        if (!h)
                return FP_ENOMEM;
        r->t = malloc((n ? n : 1) * sizeof(*r->t));
        enum fp_err err = r->t ? FP_OK : FP_ENOMEM;
        for (size_t i = 0; err == FP_OK && i < n;) {
                size_t j = i + 1;
                while (j < n && strcmp(h[j].vuln, h[i].vuln) == 0)
                        j++;
                err = merge_into(ix, sch, NULL, &h[i], j - i, &r->t[r->nt++]);
                i = j;
        }
        free(h);
        if (err == FP_OK && r->nt) {
                struct fp_finding *fit = realloc(r->t, r->nt * sizeof(*fit));
                if (fit)
                        r->t = fit;
        }
        return err;
}

static const struct tuple_result *lookup(struct fp_vindex *ix, const struct fp_inventory *inv,
                                         char kind, const char *package, const char *version,
                                         const char *arch)
{
        size_t clen, tlen;
        char ckey[2 * FP_MAX_NAME_LEN + 128];
        int n = snprintf(ckey, sizeof(ckey), "%s\037%s\037%c\037%s", inv->distro, inv->release,
                         kind, package);
        if (n < 0 || (size_t)n >= sizeof(ckey))
                return &no_match;
        clen = (size_t)n;
        const struct ix_aff *chain = fp_strmap_get(&ix->chains, ckey, clen);
        if (!chain)
                return &no_match;
        char tkey[sizeof(ckey) + 2 * FP_MAX_VERSION_LEN + 64];
        n = snprintf(tkey, sizeof(tkey), "%s\037%s\037%s", ckey, version, kind == 'B' ? arch : "");
        if (n < 0 || (size_t)n >= sizeof(tkey))
                return &no_match;
        tlen = (size_t)n;
        const struct tuple_result *r =
            ix->no_sharing ? NULL : fp_strmap_get(&ix->tuples, tkey, tlen);
        if (r)
                return r;
        r = evaluate(chain, version, arch);
        if (r && r != &no_match &&
            build_templates(ix, scheme_of(chain->distro), (struct tuple_result *)r) != FP_OK) {
                free(r->t);
                free((void *)r);
                return NULL;
        }
        if (ix->no_sharing || !r)
                return r; /* not sharing: match_pkg frees it */
        char *k = malloc(tlen + 1);
        if (k)
                memcpy(k, tkey, tlen + 1);
        if (!k || fp_strmap_put(&ix->tuples, k, tlen, (void *)r) != FP_OK) {
                free(k);
                free_result(r);
                return NULL;
        }
        ix->tuple_bytes += tlen + 1;
        if (r != &no_match)
                ix->tuple_bytes += sizeof(*r) + r->n * sizeof(r->m[0]) + r->nt * sizeof(*r->t);
        return r;
}

/* ---- one host ------------------------------------------------------------------------------ */

struct host_ctx {
        struct fp_vindex *ix;
        const struct fp_inventory *inv;
        struct fp_host_findings *out;
        size_t cap;
};

static struct fp_finding *new_finding(struct host_ctx *c)
{
        struct fp_host_findings *o = c->out;
        if (o->count == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 64;
                struct fp_finding *n = realloc(o->items, cap * sizeof(*n));
                if (!n)
                        return NULL;
                o->items = n;
                c->cap = cap;
        }
        struct fp_finding *f = &o->items[o->count++];
        memset(f, 0, sizeof(*f));
        return f;
}

/* Findings of one package from its source and binary tuples (findings point into neither). */
static enum fp_err pkg_findings(struct host_ctx *c, const struct fp_inv_pkg *p,
                                const struct tuple_result *src, const struct tuple_result *bin)
{
        if (!src || !bin)
                return FP_ENOMEM;
        if (!src->nt || !bin->nt) {
                /* The common case: copy the tuple's merged findings. */
                const struct tuple_result *r = src->nt ? src : bin;
                for (size_t i = 0; i < r->nt; i++) {
                        struct fp_finding *f = new_finding(c);
                        if (!f)
                                return FP_ENOMEM;
                        *f = r->t[i];
                        f->pkg = p;
                }
                return FP_OK;
        }
        /* Advisories by source and by binary name for one package: merge them together. */
        size_t ns, nb;
        struct hit *hs = collect_hits(src, &ns), *hb = collect_hits(bin, &nb);
        /* both tuples have findings, so ns + nb > 0 */
        struct hit *h = hs && hb ? realloc(hs, (ns + nb ? ns + nb : 1) * sizeof(*h)) : NULL;
        enum fp_err err = h ? FP_OK : FP_ENOMEM;
        if (h) {
                memcpy(h + ns, hb, nb * sizeof(*h));
                qsort(h, ns + nb, sizeof(*h), hit_order);
        } else {
                free(hs);
        }
        free(hb);
        for (size_t i = 0; err == FP_OK && i < ns + nb;) {
                size_t j = i + 1;
                while (j < ns + nb && strcmp(h[j].vuln, h[i].vuln) == 0)
                        j++;
                struct fp_finding *f = new_finding(c);
                err = f ? merge_into(c->ix, c->inv->scheme, &c->out->arena, &h[i], j - i, f)
                        : FP_ENOMEM;
                if (f)
                        f->pkg = p;
                i = j;
        }
        free(h);
        return err;
}

static enum fp_err match_pkg(struct host_ctx *c, const struct fp_inv_pkg *p)
{
        struct fp_vindex *ix = c->ix;
        /* Between packages nothing points into the cache (findings are copies whose strings
         * belong to the index): the place to drop it, before this package's two lookups
         * would pass the limit. */
        if (ix->tuples.count + 2 > ix->tuple_max || ix->tuple_bytes >= ix->tuple_bytes_max)
                drop_tuples(ix);
        /* Debian, Ubuntu and Alpine advisories mostly name source packages. */
        const struct tuple_result *src =
            lookup(ix, c->inv, 'S', p->source, p->source_version, NULL);
        const struct tuple_result *bin = lookup(ix, c->inv, 'B', p->name, p->version, p->arch);
        enum fp_err err = pkg_findings(c, p, src, bin);
        if (ix->no_sharing) {
                free_result(src);
                free_result(bin);
        }
        return err;
}

static enum fp_err add_note(struct fp_host_findings *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum fp_err add_note(struct fp_host_findings *o, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        const char **n = realloc(o->notes, (o->note_count + 1) * sizeof(*n));
        if (!n)
                return FP_ENOMEM;
        o->notes = n;
        if (!(n[o->note_count] = fp_arena_strdup(&o->arena, buf)))
                return FP_ENOMEM;
        o->note_count++;
        return FP_OK;
}

/* The part of a kernel package name shared by all its builds ("linux-image-", "kernel-core"). */
static size_t kernel_flavor_len(const struct fp_inv_pkg *p)
{
        const char *abi = strstr(p->name, p->kernel_release);
        return abi && abi != p->name ? (size_t)(abi - p->name) : strlen(p->name);
}

static bool same_flavor(const struct fp_inv_pkg *a, const struct fp_inv_pkg *b)
{
        size_t la = kernel_flavor_len(a), lb = kernel_flavor_len(b);
        return la == lb && strncmp(a->name, b->name, la) == 0;
}

/* Does a finding for vuln exist on pkg? Findings are in inventory order, then by vuln. */
static bool has_finding(const struct fp_host_findings *o, const struct fp_inv_pkg *pkg,
                        const char *vuln)
{
        size_t lo = 0, hi = o->count;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct fp_finding *f = &o->items[mid];
                int c = f->pkg < pkg ? -1 : f->pkg > pkg ? 1 : strcmp(f->vuln, vuln);
                if (c == 0)
                        return true;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

/*
 * Only the running kernel is exposure. Without a running kernel (an image root), the newest
 * installed kernel of each flavor is the one that boots. A running kernel that has a finding
 * which a newer installed kernel of the same flavor does not have is "pending reboot".
 */
static enum fp_err kernel_pass(struct host_ctx *c)
{
        const struct fp_inventory *inv = c->inv;
        struct fp_host_findings *o = c->out;
        const char *running = inv->running_kernel;
        size_t kernels = 0, running_found = 0;
        for (size_t i = 0; i < inv->count; i++) {
                const struct fp_inv_pkg *p = &inv->pkgs[i];
                if (!p->kernel)
                        continue;
                kernels++;
                if (running && strcmp(p->kernel_release, running) == 0)
                        running_found++;
        }
        if (kernels == 0)
                return FP_OK;
        enum fp_err err = FP_OK;
        if (!running)
                err = add_note(o, "no running kernel (image root): the newest installed kernel of "
                                  "each kind is counted as the one that boots");
        else if (!running_found)
                err = add_note(o,
                               "the running kernel %s is not from an installed package: findings "
                               "on installed kernels are not counted",
                               running);
        for (size_t i = 0; err == FP_OK && i < o->count; i++) {
                struct fp_finding *f = &o->items[i];
                const struct fp_inv_pkg *p = f->pkg;
                if (!p->kernel)
                        continue;
                bool active;
                if (running) {
                        active = strcmp(p->kernel_release, running) == 0;
                } else {
                        active = true;
                        for (size_t j = 0; j < inv->count && active; j++) {
                                const struct fp_inv_pkg *q = &inv->pkgs[j];
                                if (q != p && q->kernel && same_flavor(p, q) &&
                                    fp_vercmp(inv->scheme, q->version, p->version) > 0)
                                        active = false;
                        }
                }
                if (!active) {
                        f->status = FP_FIND_NOT_RUNNING;
                        f->note = running ? "installed kernel, not running: not counted"
                                          : "older installed kernel, not the one that boots: not "
                                            "counted";
                        continue;
                }
                /* A newer kernel of the same flavor without this finding is installed? */
                for (size_t j = 0; j < inv->count; j++) {
                        const struct fp_inv_pkg *q = &inv->pkgs[j];
                        if (q == p || !q->kernel || !same_flavor(p, q) ||
                            fp_vercmp(inv->scheme, q->version, p->version) <= 0 ||
                            has_finding(o, q, f->vuln))
                                continue;
                        char buf[512];
                        snprintf(buf, sizeof(buf), "fixed in installed %s %s; reboot to run it",
                                 q->name, q->version);
                        f->status = FP_FIND_PENDING_REBOOT;
                        f->note = fp_arena_strdup(&o->arena, buf);
                        if (!f->note)
                                return FP_ENOMEM;
                        break;
                }
        }
        return err;
}

enum fp_err fp_match_host(struct fp_vindex *ix, const struct fp_inventory *inv,
                          struct fp_host_findings *out, struct fp_diag *diag)
{
        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        struct host_ctx c = {.ix = ix, .inv = inv, .out = out};
        enum fp_err err = FP_OK;
        for (size_t i = 0; i < inv->count && err == FP_OK; i++)
                err = match_pkg(&c, &inv->pkgs[i]);
        if (err == FP_OK)
                err = kernel_pass(&c);
        if (err != FP_OK) {
                fp_diag_set(diag, NULL, 0, NULL, "matching: %s", fp_strerror(err));
                fp_host_findings_release(out);
        }
        return err;
}

void fp_host_findings_release(struct fp_host_findings *hf)
{
        free(hf->items);
        free(hf->notes);
        fp_arena_release(&hf->arena);
        memset(hf, 0, sizeof(*hf));
}
