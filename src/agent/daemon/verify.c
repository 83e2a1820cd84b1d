/* Verify a transaction against the host's package database (verify.h). */
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/verify.h"

/* The first package called name (with arch when not NULL, with version when not NULL). The
 * arrays are sorted by name, so the search starts at the first entry of that name. */
static const struct fp_inv_pkg *inv_find(const struct fp_inventory *inv, const char *name,
                                         const char *arch, const char *version)
{
        size_t lo = 0, hi = inv ? inv->count : 0;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(inv->pkgs[mid].name, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; inv && i < inv->count && strcmp(inv->pkgs[i].name, name) == 0; i++) {
                if (arch && strcmp(inv->pkgs[i].arch, arch) != 0)
                        continue;
                if (version && strcmp(inv->pkgs[i].version, version) != 0)
                        continue;
                return &inv->pkgs[i];
        }
        return NULL;
}

static const struct be_change *plan_find(const struct be_plan *plan, const char *name,
                                         const char *arch)
{
        for (size_t i = 0; plan && i < plan->count; i++)
                if (strcmp(plan->changes[i].name, name) == 0 &&
                    (!plan->changes[i].arch || strcmp(plan->changes[i].arch, arch) == 0))
                        return &plan->changes[i];
        return NULL;
}

static bool same(const char *a, const char *b)
{
        return a == b || (a && b && strcmp(a, b) == 0);
}

static enum fp_err add_missing(struct verify_result *r, size_t cap, const char *name,
                               const char *arch, const char *want, const char *have)
{
        if (r->missing_count == cap)
                return FP_ENOMEM;
        struct verify_missing *m = &r->missing[r->missing_count++];
        m->name = name;
        m->arch = arch;
        m->want = want;
        m->have = have;
        return FP_OK;
}

static enum fp_err add_unexpected(struct verify_result *r, size_t cap, enum fp_scheme scheme,
                                  const char *name, const char *arch, const char *from,
                                  const char *to)
{
        if (r->unexpected_count == cap)
                return FP_ENOMEM;
        struct verify_unexpected *u = &r->unexpected[r->unexpected_count++];
        u->name = name;
        u->arch = arch;
        u->from = from;
        u->to = to;
        if (!from)
                u->action = BE_INSTALL;
        else if (!to)
                u->action = BE_REMOVE;
        else
                u->action = fp_vercmp(scheme, to, from) > 0 ? BE_UPGRADE : BE_DOWNGRADE;
        return FP_OK;
}

enum fp_err verify_run(const struct verify_input *in, struct verify_result *out)
{
        memset(out, 0, sizeof(*out));
        fp_arena_init(&out->arena);
        const struct fp_inventory *b = in->before, *a = in->after;
        size_t nplan = in->plan ? in->plan->count : 0;
        size_t mcap = in->want_count + in->gone_count + (in->plan_complete ? nplan : 0);
        size_t ucap = (b ? b->count : 0) + (a ? a->count : 0);
        out->missing = fp_arena_alloc(&out->arena, (mcap + 1) * sizeof(*out->missing));
        out->unexpected = fp_arena_alloc(&out->arena, (ucap + 1) * sizeof(*out->unexpected));
        if (!out->missing || !out->unexpected)
                return FP_ENOMEM;
        enum fp_scheme scheme = a ? a->scheme : b ? b->scheme : FP_SCHEME_DEB;
        enum fp_err err = FP_OK;

        for (size_t i = 0; i < in->want_count && err == FP_OK; i++) {
                const struct be_pkg *w = &in->want[i];
                if (inv_find(a, w->name, w->arch, w->version))
                        continue;
                const struct fp_inv_pkg *h = inv_find(a, w->name, w->arch, NULL);
                err = add_missing(out, mcap, w->name,
                                  w->arch ? w->arch
                                  : h     ? h->arch
                                          : NULL,
                                  w->version, h ? h->version : NULL);
        }
        for (size_t i = 0; i < in->gone_count && err == FP_OK; i++) {
                const struct be_pkg *g = &in->gone[i];
                const struct fp_inv_pkg *h = inv_find(a, g->name, g->arch, NULL);
                if (h)
                        err = add_missing(out, mcap, g->name, h->arch, NULL, h->version);
        }
        /* planned changes that did not happen (a resumed job must find its plan complete) */
        for (size_t i = 0; in->plan_complete && i < nplan && err == FP_OK; i++) {
                const struct be_change *c = &in->plan->changes[i];
                const struct fp_inv_pkg *h = inv_find(a, c->name, c->arch, NULL);
                if (same(h ? h->version : NULL, c->to))
                        continue;
                bool listed = false;
                for (size_t k = 0; k < out->missing_count; k++)
                        listed |= strcmp(out->missing[k].name, c->name) == 0 &&
                                  same(out->missing[k].arch, c->arch);
                if (!listed)
                        err =
                            add_missing(out, mcap, c->name, c->arch, c->to, h ? h->version : NULL);
        }

        /* every package that changed must be in the plan, with the version it announced */
        for (size_t i = 0; b && i < b->count && err == FP_OK; i++) {
                const struct fp_inv_pkg *p = &b->pkgs[i];
                const struct fp_inv_pkg *h = inv_find(a, p->name, p->arch, NULL);
                const char *to = h ? h->version : NULL;
                if (same(to, p->version))
                        continue;
                const struct be_change *c = plan_find(in->plan, p->name, p->arch);
                if (c && same(c->to, to))
                        continue;
                err = add_unexpected(out, ucap, scheme, p->name, p->arch, p->version, to);
        }
        /* without a before-inventory (a resumed job) only the plan and the pairs can be
         * checked */
        for (size_t i = 0; a && b && i < a->count && err == FP_OK; i++) {
                const struct fp_inv_pkg *p = &a->pkgs[i];
                if (inv_find(b, p->name, p->arch, NULL))
                        continue;
                const struct be_change *c = plan_find(in->plan, p->name, p->arch);
                if (c && same(c->to, p->version))
                        continue;
                err = add_unexpected(out, ucap, scheme, p->name, p->arch, NULL, p->version);
        }
        out->verified = err == FP_OK && out->missing_count == 0 && out->unexpected_count == 0;
        return err;
}

void verify_result_release(struct verify_result *r)
{
        if (!r)
                return;
        fp_arena_release(&r->arena);
        memset(r, 0, sizeof(*r));
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

json_t *verify_missing_json(const struct verify_result *r)
{
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < r->missing_count; i++) {
                const struct verify_missing *m = &r->missing[i];
                json_t *o = json_object();
                if (!o || json_array_append_new(arr, o) != 0) {
                        json_decref(arr);
                        return NULL;
                }
                json_object_set_new(o, "name", json_string(m->name));
                json_object_set_new(o, "arch", str_or_null(m->arch));
                json_object_set_new(o, "want", str_or_null(m->want));
                json_object_set_new(o, "have", str_or_null(m->have));
        }
        return arr;
}

json_t *verify_unexpected_json(const struct verify_result *r)
{
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < r->unexpected_count; i++) {
                const struct verify_unexpected *u = &r->unexpected[i];
                json_t *o = json_object();
                if (!o || json_array_append_new(arr, o) != 0) {
                        json_decref(arr);
                        return NULL;
                }
                json_object_set_new(o, "action", json_string(be_action_name(u->action)));
                json_object_set_new(o, "name", json_string(u->name));
                json_object_set_new(o, "arch", str_or_null(u->arch));
                json_object_set_new(o, "from", str_or_null(u->from));
                json_object_set_new(o, "to", str_or_null(u->to));
        }
        return arr;
}
