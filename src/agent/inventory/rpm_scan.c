/*
 * fp_scan_rpm: the updates `dnf check-update` would list for an RPM root. Gathers the installed
 * packages (rpm), the enabled repos' metadata (dnf config + repodata), then lets the pure
 * selection in src/core/rpm decide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/inventory/rpm_inventory.h"
#include "fleetpatch/scan.h"

struct pkgvec {
        struct fp_rpm_pkg *v;
        size_t n, cap;
};

struct scan_ctx {
        struct fp_arena arena; /* package strings, freed after the scan */
        struct pkgvec installed, available, security;
        struct fp_strmap installed_names; /* name -> (void *)1 */
        struct fp_strmap available_names; /* names of the available packages kept */
        const struct fp_dnf_config *cfg;
        const struct fp_dnf_repo *repo; /* repo being loaded */
        size_t installed_total;         /* including excluded ones, for installed_count */
};

static enum fp_err vec_push(struct pkgvec *vec, struct fp_rpm_pkg **out)
{
        if (vec->n >= FP_MAX_PACKAGES)
                return FP_ELIMIT;
        if (vec->n == vec->cap) {
                size_t ncap = vec->cap ? vec->cap * 2 : 256;
                struct fp_rpm_pkg *n = realloc(vec->v, ncap * sizeof(*n));
                if (!n)
                        return FP_ENOMEM;
                vec->v = n;
                vec->cap = ncap;
        }
        *out = &vec->v[vec->n++];
        memset(*out, 0, sizeof(**out));
        return FP_OK;
}

static const char *dup(struct scan_ctx *c, const char *s)
{
        return s ? fp_arena_strdup(&c->arena, s) : NULL;
}

/* Copy a parser's transient package into the arena. */
static enum fp_err keep_pkg(struct scan_ctx *c, struct pkgvec *vec, const struct fp_rpm_pkg *p)
{
        struct fp_rpm_pkg *k;
        enum fp_err err = vec_push(vec, &k);

        if (err != FP_OK)
                return err;
        k->name = dup(c, p->name);
        k->arch = dup(c, p->arch);
        k->epoch = dup(c, p->epoch ? p->epoch : "0");
        k->version = dup(c, p->version);
        k->release = dup(c, p->release ? p->release : "");
        k->sourcerpm = dup(c, p->sourcerpm);
        k->repo = p->repo;
        k->priority = p->priority;
        if (!k->name || !k->arch || !k->epoch || !k->version || !k->release)
                return FP_ENOMEM;
        if (p->nobsoletes) {
                struct fp_rpm_dep *d = fp_arena_alloc(&c->arena, p->nobsoletes * sizeof(*d));
                if (!d)
                        return FP_ENOMEM;
                for (size_t i = 0; i < p->nobsoletes; i++) {
                        d[i].name = dup(c, p->obsoletes[i].name);
                        d[i].flags = p->obsoletes[i].flags;
                        d[i].epoch = dup(c, p->obsoletes[i].epoch);
                        d[i].version = dup(c, p->obsoletes[i].version);
                        d[i].release = dup(c, p->obsoletes[i].release);
                        if (!d[i].name)
                                return FP_ENOMEM;
                }
                k->obsoletes = d;
                k->nobsoletes = p->nobsoletes;
        }
        return FP_OK;
}

static bool name_installed(const struct scan_ctx *c, const char *name)
{
        return fp_strmap_get(&c->installed_names, name, strlen(name)) != NULL;
}

/* [main] excludes apply to every repo, a repo's own ones to its packages. */
static bool excluded(const struct scan_ctx *c, const struct fp_rpm_pkg *p,
                     const struct fp_dnf_repo *repo)
{
        if (c->cfg->exclude && fp_rpm_speclist_match(c->cfg->exclude, p))
                return true;
        if (c->cfg->includepkgs && !fp_rpm_speclist_match(c->cfg->includepkgs, p))
                return true;
        if (repo && repo->exclude && fp_rpm_speclist_match(repo->exclude, p))
                return true;
        if (repo && repo->includepkgs && !fp_rpm_speclist_match(repo->includepkgs, p))
                return true;
        return false;
}

static enum fp_err on_installed(void *ud, const struct fp_rpm_pkg *p, struct fp_diag *diag)
{
        struct scan_ctx *c = ud;
        enum fp_err err;
        const char *name;

        /* Excludes hide available packages only: dnf still upgrades an installed package that
         * an exclude= spec names (checked with exclude=alpha-1.0-1 in the sandbox test). */
        c->installed_total++;
        if ((err = keep_pkg(c, &c->installed, p)) != FP_OK)
                return err;
        name = c->installed.v[c->installed.n - 1].name;
        return fp_strmap_put(&c->installed_names, name, strlen(name), (void *)1);
}

static enum fp_err on_available(void *ud, const struct fp_rpm_pkg *p, struct fp_diag *diag)
{
        struct scan_ctx *c = ud;
        struct fp_rpm_pkg q = *p;
        bool relevant = name_installed(c, p->name);

        /* Only packages that can upgrade or obsolete something installed matter; dropping the
         * rest early keeps memory proportional to the host, not to the repositories. */
        for (size_t i = 0; !relevant && i < p->nobsoletes; i++)
                relevant = name_installed(c, p->obsoletes[i].name);
        if (!relevant || excluded(c, p, c->repo))
                return FP_OK;
        q.repo = c->repo->id;
        q.priority = c->repo->priority;
        enum fp_err err = keep_pkg(c, &c->available, &q);
        if (err != FP_OK)
                return err;
        const char *name = c->available.v[c->available.n - 1].name;
        return fp_strmap_put(&c->available_names, name, strlen(name), (void *)1);
}

static enum fp_err on_advisory(void *ud, const struct fp_advisory_pkg *a, struct fp_diag *diag)
{
        struct scan_ctx *c = ud;
        struct fp_rpm_pkg p = {.name = a->name,
                               .arch = a->arch,
                               .epoch = a->epoch,
                               .version = a->version,
                               .release = a->release};

        /* Advisories about installed names, or about packages that may obsolete one. */
        if (strcmp(a->type, "security") != 0 ||
            (!name_installed(c, a->name) &&
             !fp_strmap_get(&c->available_names, a->name, strlen(a->name))))
                return FP_OK;
        return keep_pkg(c, &c->security, &p);
}

/* "epoch:version-release" with a zero epoch left out, as dnf prints EVRs. */
static const char *evr_str(struct fp_arena *a, const struct fp_rpm_pkg *p)
{
        char buf[FP_MAX_VERSION_LEN * 2 + 8];
        bool epoch = p->epoch && *p->epoch && strcmp(p->epoch, "0") != 0;

        snprintf(buf, sizeof(buf), "%s%s%s%s%s", epoch ? p->epoch : "", epoch ? ":" : "",
                 p->version, p->release && *p->release ? "-" : "", p->release ? p->release : "");
        return fp_arena_strdup(a, buf);
}

/* The name part of a source rpm file name ("bash-5.2.15-3.fc39.src.rpm" -> "bash"). */
static const char *srpm_name(struct fp_arena *a, const char *srpm)
{
        const char *end;
        size_t n;
        int dashes = 0;

        if (!srpm)
                return NULL;
        n = strlen(srpm);
        end = srpm + n;
        while (end > srpm && dashes < 2) {
                end--;
                if (*end == '-')
                        dashes++;
        }
        if (dashes < 2)
                return NULL;
        return fp_arena_strndup(a, srpm, (size_t)(end - srpm));
}

static enum fp_err add_warning(struct fp_scan_result *res, size_t *cap, const struct fp_diag *d)
{
        char msg[1024];

        fp_diag_format(d, msg, sizeof(msg));
        if (res->warning_count == *cap) {
                size_t ncap = *cap ? *cap * 2 : 8;
                const char **n = fp_arena_alloc(&res->arena, ncap * sizeof(*n));
                if (!n)
                        return FP_ENOMEM;
                if (res->warning_count)
                        memcpy(n, res->warnings, res->warning_count * sizeof(*n));
                res->warnings = n;
                *cap = ncap;
        }
        res->warnings[res->warning_count] = fp_arena_strdup(&res->arena, msg);
        if (!res->warnings[res->warning_count])
                return FP_ENOMEM;
        res->warning_count++;
        return FP_OK;
}

enum fp_err fp_scan_rpm(const struct fp_scan_opts *opts, struct fp_scan_result *out,
                        struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        struct scan_ctx c;
        struct fp_dnf_config cfg = {0};
        struct fp_rpm_selection sel = {0};
        struct fp_scan_result res;
        const char *root = opts && opts->root && *opts->root ? opts->root : "/";
        size_t wcap = 0;
        bool *loaded = NULL;

        memset(&c, 0, sizeof(c));
        memset(&res, 0, sizeof(res));
        fp_arena_init(&c.arena);
        fp_arena_init(&res.arena);
        fp_strmap_init(&c.installed_names);
        fp_strmap_init(&c.available_names);
        res.family = "rpm";

        if ((err = fp_dnf_config_load(root, &cfg, diag)) != FP_OK)
                goto out;
        c.cfg = &cfg;
        if ((err = fp_rpm_db_read(root, on_installed, &c, diag)) != FP_OK)
                goto out;
        loaded = calloc(cfg.nrepos + 1, sizeof(*loaded));
        if (!loaded) {
                err = FP_ENOMEM;
                goto out;
        }
        /* Two passes: every primary first, so advisories about any package that may obsolete
         * an installed one are kept in the second. */
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < cfg.nrepos; i++) {
                        struct fp_diag rd;
                        if (!cfg.repos[i].enabled || (pass == 1 && !loaded[i]))
                                continue;
                        c.repo = &cfg.repos[i];
                        fp_diag_clear(&rd);
                        err = fp_dnf_repo_load(root, c.repo, pass == 0 ? on_available : NULL,
                                               pass == 1 ? on_advisory : NULL, &c, &rd);
                        if (err == FP_ENOTFOUND || (err != FP_OK && c.repo->skip_if_unavailable)) {
                                /* Not readable here: say so rather than pretend it has no
                                 * updates. */
                                if ((err = add_warning(&res, &wcap, &rd)) != FP_OK)
                                        goto out;
                                continue;
                        }
                        if (err != FP_OK) {
                                if (diag)
                                        *diag = rd;
                                goto out;
                        }
                        loaded[i] = true;
                }
        }
        struct fp_rpm_select_in in = {
            .installed = c.installed.v,
            .ninstalled = c.installed.n,
            .available = c.available.v,
            .navailable = c.available.n,
            .security = c.security.v,
            .nsecurity = c.security.n,
        };
        if ((err = fp_rpm_select(&in, &sel, diag)) != FP_OK)
                goto out;

        res.installed_count = c.installed_total;
        res.updates = fp_arena_alloc(&res.arena, (sel.nupgrades + 1) * sizeof(*res.updates));
        res.obsoletes = fp_arena_alloc(&res.arena, (sel.nobsoletes + 1) * sizeof(*res.obsoletes));
        if (!res.updates || !res.obsoletes) {
                err = FP_ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < sel.nupgrades; i++) {
                const struct fp_rpm_upgrade *u = &sel.upgrades[i];
                struct fp_update *r = &res.updates[res.count];
                if (opts && opts->security_only && !u->security)
                        continue;
                memset(r, 0, sizeof(*r));
                r->name = fp_arena_strdup(&res.arena, u->candidate->name);
                r->arch = fp_arena_strdup(&res.arena, u->candidate->arch);
                r->installed = evr_str(&res.arena, u->installed);
                r->candidate = evr_str(&res.arena, u->candidate);
                r->source_name = srpm_name(&res.arena, u->candidate->sourcerpm);
                r->origin = fp_arena_strdup(&res.arena, u->candidate->repo);
                r->suites = fp_arena_strdup(&res.arena, u->repos);
                r->security = u->security;
                if (!r->name || !r->arch || !r->installed || !r->candidate || !r->origin ||
                    !r->suites) {
                        err = FP_ENOMEM;
                        goto out;
                }
                res.count++;
        }
        for (size_t i = 0; cfg.obsoletes && i < sel.nobsoletes; i++) {
                const struct fp_rpm_obsolete *o = &sel.obsoletes[i];
                struct fp_obsolete *r = &res.obsoletes[res.obsolete_count];
                if (opts && opts->security_only && !o->security)
                        continue;
                r->name = fp_arena_strdup(&res.arena, o->newpkg->name);
                r->arch = fp_arena_strdup(&res.arena, o->newpkg->arch);
                r->candidate = evr_str(&res.arena, o->newpkg);
                r->origin = fp_arena_strdup(&res.arena, o->newpkg->repo);
                r->old_name = fp_arena_strdup(&res.arena, o->installed->name);
                r->old_arch = fp_arena_strdup(&res.arena, o->installed->arch);
                r->old_installed = evr_str(&res.arena, o->installed);
                r->security = o->security;
                if (!r->name || !r->arch || !r->candidate || !r->origin || !r->old_name ||
                    !r->old_arch || !r->old_installed) {
                        err = FP_ENOMEM;
                        goto out;
                }
                res.obsolete_count++;
        }
        *out = res;
        memset(&res, 0, sizeof(res));
out:
        fp_arena_release(&res.arena);
        fp_rpm_selection_release(&sel);
        fp_dnf_config_release(&cfg);
        fp_strmap_release(&c.installed_names);
        fp_strmap_release(&c.available_names);
        free(loaded);
        fp_arena_release(&c.arena);
        free(c.installed.v);
        free(c.available.v);
        free(c.security.v);
        return err;
}
