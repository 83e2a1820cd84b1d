/*
 * A rollout in memory, between the store rows and the deterministic core
 * (include/fleetpatch/rollout.h): built from a change request when it is approved (or for the
 * preview), loaded for each scheduler tick, saved back with only the rows that changed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/orch.h"

/* Zones are read once per process: the cache is thread-safe and lives until exit. */
static struct fp_tz_cache *zones;
static pthread_once_t zones_once = PTHREAD_ONCE_INIT;
static void zones_init(void)
{
        zones = fp_tz_cache_new();
}

/* Name -> index tables for zones, regions, availability zones and groups. */
struct names {
        struct fp_strmap map;
        const char **list;
        size_t count, cap;
};

static uint32_t name_index(struct names *n, struct fp_arena *a, const char *name)
{
        if (!name || !*name)
                return FP_RO_NONE;
        void *v = fp_strmap_get(&n->map, name, strlen(name));
        if (v)
                return (uint32_t)((uintptr_t)v - 1);
        if (n->count == n->cap) {
                size_t cap = n->cap ? n->cap * 2 : 16;
                const char **l = realloc(n->list, cap * sizeof(*l));
                if (!l)
                        return FP_RO_NONE;
                n->list = l;
                n->cap = cap;
        }
        const char *key = fp_arena_strdup(a, name);
        if (!key || fp_strmap_put(&n->map, key, strlen(key), (void *)(uintptr_t)(n->count + 1)))
                return FP_RO_NONE;
        n->list[n->count] = key;
        return (uint32_t)n->count++;
}

static void names_release(struct names *n)
{
        fp_strmap_release(&n->map);
        free(n->list);
        memset(n, 0, sizeof(*n));
}

void fp_orch_rollout_free(struct fp_orch_rollout *o)
{
        fp_arena_release(&o->arena);
        fp_ro_spec_free(&o->spec);
        free(o->ro.hosts);
        free(o->rows);
        free(o->orig);
        free(o->row_of);
        free(o->wins);
        free(o->occ);
        free(o->tz_names);
        free(o->group_limit);
        json_decref(o->names);
        memset(o, 0, sizeof(*o));
}

struct fp_rollout_host_rec *fp_orch_row(struct fp_orch_rollout *o, size_t i)
{
        return &o->rows[o->row_of[i]];
}

enum fp_err fp_orch_rollout_windows(struct fp_orch_rollout *o, int64_t from, int64_t to,
                                    struct fp_diag *diag)
{
        free(o->wins);
        free(o->occ);
        o->wins = NULL;
        o->occ = NULL;
        o->ro.windows = NULL;
        o->ro.window_count = 0;
        if (!o->has_window)
                return FP_OK;
        pthread_once(&zones_once, zones_init);
        if (!zones)
                return FP_ENOMEM;
        size_t nz = o->tz_count ? o->tz_count : 1;
        o->wins = calloc(nz, sizeof(*o->wins));
        o->occ = calloc(nz * FP_WINDOW_MAX_OCC, sizeof(*o->occ));
        if (!o->wins || !o->occ)
                return FP_ENOMEM;
        for (size_t z = 0; z < nz; z++) {
                const char *name = o->window.mode == FP_WINDOW_ABSOLUTE || !o->tz_count
                                       ? o->window.tz
                                       : o->tz_names[z];
                const struct fp_tz *tz = NULL;
                enum fp_err err = fp_tz_cache_get(zones, name, &tz, diag);
                size_t n = 0;
                if (err == FP_OK)
                        err = fp_window_occurrences(&o->window, tz, from, to,
                                                    o->occ + z * FP_WINDOW_MAX_OCC,
                                                    FP_WINDOW_MAX_OCC, &n, diag);
                if (err != FP_OK)
                        return err;
                o->wins[z].occ = o->occ + z * FP_WINDOW_MAX_OCC;
                o->wins[z].count = n;
        }
        o->ro.windows = o->wins;
        o->ro.window_count = nz;
        return FP_OK;
}

/* The change request's document parts: the rollout spec and the window. */
static enum fp_err cr_spec(struct fp_tx *tx, const struct fp_cr_rec *cr, struct fp_orch_rollout *o,
                           struct fp_diag *diag)
{
        json_t *doc = fp_json_stored(cr->document);
        char *spec = json_dumps(json_object_get(doc, "rollout"), JSON_COMPACT);
        json_decref(doc);
        if (!spec)
                return FP_ENOMEM;
        enum fp_err err = fp_ro_spec_parse(spec, strlen(spec), &o->spec, diag);
        free(spec);
        if (err != FP_OK)
                return err;
        o->has_window = cr->window && cr->window[0];
        if (!o->has_window)
                return FP_OK;
        err = fp_orch_window_get(tx, cr->account, cr->window, &o->window, diag);
        if (err != FP_OK)
                return err;
        int64_t span = o->window.duration - o->window.cutoff;
        if (span < o->spec.host_time || o->window.cutoff < o->spec.host_time) {
                fp_diag_set(diag, NULL, 0, "window",
                            "window '%s' is too short for one host: hosts may start during %lld s "
                            "and the cutoff leaves %lld s, but rollout.host_time is %lld s",
                            cr->window, (long long)span, (long long)o->window.cutoff,
                            (long long)o->spec.host_time);
                return FP_EINVAL;
        }
        return FP_OK;
}

struct group_count_ctx {
        int64_t n;
};
static bool group_count_cb(void *ctx, const struct fp_host_rec *h)
{
        (void)h;
        ((struct group_count_ctx *)ctx)->n++;
        return true;
}

/* Group limits from the whole group in the account (targeted or not). strict: a limit of 0
 * is an error (creation); otherwise it blocks the group (a group that shrank later). */
static enum fp_err group_limits(struct fp_tx *tx, const char *account, struct fp_orch_rollout *o,
                                const struct names *groups, bool strict, struct fp_diag *diag)
{
        o->ro.group_count = groups->count;
        if (!groups->count)
                return FP_OK;
        uint32_t *size = calloc(groups->count, sizeof(*size));
        o->group_limit = calloc(groups->count, sizeof(*o->group_limit));
        if (!size || !o->group_limit) {
                free(size);
                return FP_ENOMEM;
        }
        enum fp_err err = FP_OK;
        for (size_t g = 0; err == FP_OK && g < groups->count; g++) {
                struct fp_tag_filter tf = {.key = o->spec.group_tag, .value = groups->list[g]};
                struct fp_host_filter f = {
                    .account = account, .tags = &tf, .tag_count = 1, .compliance = -1};
                struct group_count_ctx c = {0};
                err = fp_store_host_list(tx, &f, group_count_cb, &c, diag);
                size[g] = (uint32_t)c.n;
        }
        if (err == FP_OK)
                err = fp_ro_group_limits(&o->spec, size, groups->count, o->group_limit, diag);
        if (err != FP_OK && err != FP_ENOMEM && !strict) {
                fp_diag_clear(diag);
                err = FP_OK;
                for (size_t g = 0; g < groups->count; g++) {
                        const struct fp_ro_amount *a = &o->spec.max_group_down;
                        int64_t l = a->percent ? (int64_t)size[g] * a->value / 100 : a->value;
                        o->group_limit[g] = (uint32_t)(l < 0 ? 0 : l > size[g] ? size[g] : l);
                }
        }
        free(size);
        o->ro.group_limit = o->group_limit;
        return err;
}

static enum fp_err finish_tables(struct fp_orch_rollout *o, struct names *tzs,
                                 const struct names *regions, const struct names *zonesn,
                                 const struct names *groups)
{
        o->tz_count = tzs->count;
        if (tzs->count) {
                o->tz_names = calloc(tzs->count, sizeof(*o->tz_names));
                if (!o->tz_names)
                        return FP_ENOMEM;
                for (size_t i = 0; i < tzs->count; i++)
                        snprintf(o->tz_names[i], sizeof(o->tz_names[i]), "%s", tzs->list[i]);
        }
        o->ro.region_count = regions->count;
        o->ro.zone_count = zonesn->count;
        o->names = json_object();
        json_t *r = json_array(), *z = json_array(), *g = json_array();
        for (size_t i = 0; i < regions->count; i++)
                json_array_append_new(r, json_string(regions->list[i]));
        for (size_t i = 0; i < zonesn->count; i++)
                json_array_append_new(z, json_string(zonesn->list[i]));
        for (size_t i = 0; i < groups->count; i++)
                json_array_append_new(g, json_string(groups->list[i]));
        json_object_set_new(o->names, "regions", r);
        json_object_set_new(o->names, "zones", z);
        json_object_set_new(o->names, "groups", g);
        return FP_OK;
}

/* ro.hosts[] was reordered by the core: find each host's row again by id. */
static enum fp_err map_rows(struct fp_orch_rollout *o)
{
        struct fp_strmap m;
        fp_strmap_init(&m);
        enum fp_err err = FP_OK;
        o->row_of = calloc(o->ro.host_count ? o->ro.host_count : 1, sizeof(*o->row_of));
        if (!o->row_of)
                err = FP_ENOMEM;
        for (size_t k = 0; err == FP_OK && k < o->ro.host_count; k++)
                err = fp_strmap_put(&m, o->rows[k].host, strlen(o->rows[k].host),
                                    (void *)(uintptr_t)(k + 1));
        for (size_t i = 0; err == FP_OK && i < o->ro.host_count; i++) {
                void *v = fp_strmap_get(&m, o->ro.hosts[i].id, strlen(o->ro.hosts[i].id));
                if (!v)
                        err = FP_ECORRUPT;
                else
                        o->row_of[i] = (size_t)((uintptr_t)v - 1);
        }
        fp_strmap_release(&m);
        return err;
}

enum fp_err fp_orch_rollout_build(struct fp_tx *tx, const struct fp_cr_rec *cr,
                                  const char *const *hosts, size_t nhosts, int64_t now,
                                  struct fp_orch_rollout *o, struct fp_diag *diag)
{
        memset(o, 0, sizeof(*o));
        fp_arena_init(&o->arena);
        struct fp_arena *a = &o->arena;
        enum fp_err err = cr_spec(tx, cr, o, diag);
        if (err != FP_OK)
                return err;
        o->ro.spec = &o->spec;
        o->ro.status = FP_RO_SCHEDULED;
        o->rows = calloc(nhosts ? nhosts : 1, sizeof(*o->rows));
        o->ro.hosts = calloc(nhosts ? nhosts : 1, sizeof(*o->ro.hosts));
        if (!o->rows || !o->ro.hosts)
                return FP_ENOMEM;
        struct names tzs = {0}, regions = {0}, azs = {0}, groups = {0};
        fp_strmap_init(&tzs.map);
        fp_strmap_init(&regions.map);
        fp_strmap_init(&azs.map);
        fp_strmap_init(&groups.map);
        bool local = o->has_window && o->window.mode == FP_WINDOW_LOCAL;
        for (size_t i = 0; err == FP_OK && i < nhosts; i++) {
                struct fp_host_rec h;
                err = fp_store_host_get(tx, hosts[i], &h, diag);
                if (err != FP_OK)
                        break;
                char *tags = fp_orch_host_tags_text(&h);
                int ring = tags ? fp_ro_ring_of(&o->spec, tags) : -1;
                free(tags);
                if (ring < 0) {
                        fp_diag_set(diag, NULL, 0, "rollout.rings",
                                    "host %s (%s) matches no ring", h.id, h.hostname);
                        err = FP_EINVAL;
                        break;
                }
                char tz[FP_TZ_MAX_NAME + 1], zone[256], grp[256];
                fp_orch_host_tz(&h, tz);
                fp_orch_host_zone(&h, zone);
                grp[0] = 0;
                if (o->spec.group_tag[0])
                        fp_orch_host_tag(&h, o->spec.group_tag, grp);
                struct fp_ro_host *rh = &o->ro.hosts[i];
                snprintf(rh->id, sizeof(rh->id), "%s", h.id);
                rh->ring = (uint32_t)ring;
                rh->tz = local ? name_index(&tzs, a, tz) : 0;
                rh->region = name_index(&regions, a, h.region);
                rh->zone = name_index(&azs, a, zone);
                rh->group = name_index(&groups, a, grp);
                rh->order = fp_ro_order_key(cr->id, h.id);
                rh->state = FP_RH_PENDING;
                rh->online = true;
                o->rows[i] = (struct fp_rollout_host_rec){
                    .cr = fp_arena_strdup(a, cr->id),
                    .host = fp_arena_strdup(a, h.id),
                    .tz = fp_arena_strdup(a, local ? tz : o->has_window ? o->window.tz : ""),
                    .region = fp_arena_strdup(a, h.region),
                    .zone = fp_arena_strdup(a, zone),
                    .grp = fp_arena_strdup(a, grp),
                    .ring = ring,
                    .order = (int64_t)rh->order,
                    .state = "pending",
                    .job = "",
                    .rollback_job = ""};
                if (!o->rows[i].cr || !o->rows[i].host || !o->rows[i].tz || !o->rows[i].region ||
                    !o->rows[i].zone || !o->rows[i].grp)
                        err = FP_ENOMEM;
        }
        o->ro.host_count = nhosts;
        if (err == FP_OK)
                err = finish_tables(o, &tzs, &regions, &azs, &groups);
        if (err == FP_OK)
                err = group_limits(tx, cr->account, o, &groups, true, diag);
        if (err == FP_OK)
                err = fp_orch_rollout_windows(o, now - FP_WINDOW_LOOKBACK,
                                              now + FP_CR_PLAN_HORIZON, diag);
        if (err == FP_OK)
                err = fp_ro_assign(&o->ro, diag);
        if (err == FP_OK)
                err = map_rows(o);
        for (size_t i = 0; err == FP_OK && i < o->ro.host_count; i++)
                fp_orch_row(o, i)->wave = o->ro.hosts[i].wave;
        names_release(&tzs);
        names_release(&regions);
        names_release(&azs);
        names_release(&groups);
        return err;
}

/* The distinct hosts of a frozen update set (ordered by host). */
struct hosts_ctx {
        const char **ids;
        size_t n, cap;
        const char *last;
};

static bool add_host(void *ctx, const struct fp_cr_update *u)
{
        struct hosts_ctx *hc = ctx;
        if (hc->last && !strcmp(hc->last, u->host))
                return true;
        if (hc->n == hc->cap) {
                size_t cap = hc->cap ? hc->cap * 2 : 64;
                const char **ids = realloc(hc->ids, cap * sizeof(*ids));
                if (!ids)
                        return false;
                hc->ids = ids;
                hc->cap = cap;
        }
        hc->ids[hc->n++] = u->host;
        hc->last = u->host;
        return true;
}

enum fp_err fp_orch_cr_hosts(struct fp_tx *tx, const char *cr, const char ***ids, size_t *n,
                             struct fp_diag *diag)
{
        struct hosts_ctx hc = {0};
        enum fp_err err = fp_store_cr_update_list(tx, cr, NULL, add_host, &hc, diag);
        if (err != FP_OK) {
                free(hc.ids);
                hc.ids = NULL;
                hc.n = 0;
        }
        *ids = hc.ids;
        *n = hc.n;
        return err;
}

enum fp_err fp_orch_rollout_create(struct fp_tx *tx, const struct fp_cr_rec *cr, int64_t now,
                                   struct fp_diag *diag)
{
        const char **ids = NULL;
        size_t n = 0;
        enum fp_err err = fp_orch_cr_hosts(tx, cr->id, &ids, &n, diag);
        if (err == FP_OK && n == 0) { /* only immutable groups: replaced, not patched */
                free(ids);
                return FP_OK;
        }
        struct fp_orch_rollout o;
        memset(&o, 0, sizeof(o));
        if (err == FP_OK)
                err = fp_orch_rollout_build(tx, cr, ids, n, now, &o, diag);
        free(ids);
        if (err != FP_OK) {
                fp_orch_rollout_free(&o);
                return err;
        }
        struct fp_arena *a = &o.arena;
        char *spec = fp_ro_spec_to_json(&o.spec);
        char *win = o.has_window ? fp_window_to_json(&o.window) : NULL;
        o.rec = (struct fp_rollout_rec){.cr = cr->id,
                                        .status = fp_ro_status_name(FP_RO_SCHEDULED),
                                        .spec_json = spec ? fp_arena_strdup(a, spec) : NULL,
                                        .window_json = win ? fp_arena_strdup(a, win) : "",
                                        .wave_count = o.ro.wave_count,
                                        .created = now,
                                        .updated = now};
        free(spec);
        free(win);
        err = o.rec.spec_json && o.rec.window_json ? fp_store_rollout_put(tx, &o.rec, diag)
                                                   : FP_ENOMEM;
        for (size_t i = 0; err == FP_OK && i < o.ro.host_count; i++)
                err = fp_store_rollout_host_put(tx, &o.rows[i], diag);
        fp_orch_rollout_free(&o);
        return err;
}


/* ---- load and save ---- */

struct load_ctx {
        struct fp_orch_rollout *o;
        struct fp_arena *a;
        size_t cap;
        bool nomem;
};

/* A copy of s in the image's own arena (NULL on ENOMEM). */
static const char *own(struct load_ctx *l, const char *s)
{
        const char *c = fp_arena_strdup(l->a, s ? s : "");
        l->nomem |= !c;
        return c;
}

static bool load_row(void *ctx, const struct fp_rollout_host_rec *h)
{
        struct load_ctx *l = ctx;
        struct fp_orch_rollout *o = l->o;
        if (o->ro.host_count == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 256;
                struct fp_rollout_host_rec *rows = realloc(o->rows, cap * sizeof(*rows));
                if (!rows) {
                        l->nomem = true;
                        return false;
                }
                o->rows = rows;
                l->cap = cap;
        }
        struct fp_rollout_host_rec *r = &o->rows[o->ro.host_count++];
        *r = *h;
        r->cr = own(l, h->cr);
        r->host = own(l, h->host);
        r->tz = own(l, h->tz);
        r->region = own(l, h->region);
        r->zone = own(l, h->zone);
        r->grp = own(l, h->grp);
        r->state = own(l, h->state);
        r->job = own(l, h->job);
        r->rollback_job = own(l, h->rollback_job);
        return !l->nomem;
}

enum fp_err fp_orch_rollout_load(struct fp_tx *tx, const char *cr, int64_t now,
                                 struct fp_orch_rollout *o, struct fp_diag *diag)
{
        memset(o, 0, sizeof(*o));
        fp_arena_init(&o->arena);
        struct fp_arena *a = &o->arena;
        struct fp_cr_rec c;
        enum fp_err err = fp_store_cr_get(tx, cr, &c, diag);
        if (err == FP_OK)
                err = fp_store_rollout_get(tx, cr, &o->rec, diag);
        if (err != FP_OK)
                return err;
        o->account = fp_arena_strdup(a, c.account);
        o->rec.cr = fp_arena_strdup(a, o->rec.cr);
        o->rec.spec_json = fp_arena_strdup(a, o->rec.spec_json);
        o->rec.window_json = fp_arena_strdup(a, o->rec.window_json);
        if (!o->account || !o->rec.cr || !o->rec.spec_json || !o->rec.window_json)
                return FP_ENOMEM;
        err = fp_ro_spec_parse(o->rec.spec_json, strlen(o->rec.spec_json), &o->spec, diag);
        if (err != FP_OK)
                return err;
        o->ro.spec = &o->spec;
        o->has_window = o->rec.window_json[0] != 0;
        if (o->has_window)
                err = fp_window_parse(o->rec.window_json, strlen(o->rec.window_json), &o->window,
                                      diag);
        struct load_ctx l = {.o = o, .a = a};
        if (err == FP_OK)
                err = fp_store_rollout_host_list(tx, cr, load_row, &l, diag);
        if (err == FP_OK && l.nomem)
                err = FP_ENOMEM;
        if (err != FP_OK)
                return err;
        size_t n = o->ro.host_count;
        o->ro.hosts = calloc(n ? n : 1, sizeof(*o->ro.hosts));
        o->orig = malloc((n ? n : 1) * sizeof(*o->orig));
        if (!o->ro.hosts || !o->orig)
                return FP_ENOMEM;
        if (n)
                memcpy(o->orig, o->rows, n * sizeof(*o->orig));
        struct names tzs = {0}, regions = {0}, azs = {0}, groups = {0};
        fp_strmap_init(&tzs.map);
        fp_strmap_init(&regions.map);
        fp_strmap_init(&azs.map);
        fp_strmap_init(&groups.map);
        bool local = o->has_window && o->window.mode == FP_WINDOW_LOCAL;
        for (size_t i = 0; i < n; i++) {
                const struct fp_rollout_host_rec *r = &o->rows[i];
                struct fp_ro_host *h = &o->ro.hosts[i];
                snprintf(h->id, sizeof(h->id), "%s", r->host);
                h->ring = (uint32_t)r->ring;
                h->wave = (uint32_t)r->wave;
                h->tz = local ? name_index(&tzs, a, r->tz) : 0;
                h->region = name_index(&regions, a, r->region);
                h->zone = name_index(&azs, a, r->zone);
                h->group = name_index(&groups, a, r->grp);
                h->order = (uint64_t)r->order;
                if (!fp_ro_hstate_parse(r->state, &h->state))
                        h->state = FP_RH_PENDING;
                h->started = r->started;
                h->finished = r->finished;
                h->start_until = r->start_until;
                h->attempts = (uint32_t)r->attempts;
                h->rollbacks = r->rollback_job[0] ? 1 : 0;
                h->online = true;
        }
        err = finish_tables(o, &tzs, &regions, &azs, &groups);
        if (err == FP_OK)
                err = group_limits(tx, c.account, o, &groups, false, diag);
        if (err == FP_OK)
                err = fp_orch_rollout_windows(o, now - FP_WINDOW_LOOKBACK,
                                              now + FP_CR_PLAN_HORIZON, diag);
        names_release(&tzs);
        names_release(&regions);
        names_release(&azs);
        names_release(&groups);
        if (err != FP_OK)
                return err;
        if (!fp_ro_status_parse(o->rec.status, &o->ro.status))
                o->ro.status = FP_RO_SCHEDULED;
        o->ro.wave_count = (uint32_t)o->rec.wave_count;
        o->ro.wave = (uint32_t)o->rec.wave;
        o->ro.wave_done_at = o->rec.wave_done_at;
        o->ro.failures = o->rec.failures;
        o->ro.started_total = o->rec.started_total;
        fp_ro_prepare(&o->ro);
        return map_rows(o);
}

static bool row_changed(const struct fp_rollout_host_rec *a, const struct fp_rollout_host_rec *b)
{
        return strcmp(a->state, b->state) || a->started != b->started ||
               a->finished != b->finished || a->start_until != b->start_until ||
               a->attempts != b->attempts || strcmp(a->job, b->job) ||
               strcmp(a->rollback_job, b->rollback_job);
}

enum fp_err fp_orch_rollout_save(struct fp_tx *tx, struct fp_orch_rollout *o, int64_t now,
                                 struct fp_diag *diag)
{
        const struct fp_rollout *ro = &o->ro;
        o->rec.status = fp_ro_status_name(ro->status);
        o->rec.wave = ro->wave;
        o->rec.wave_count = ro->wave_count;
        o->rec.wave_done_at = ro->wave_done_at;
        o->rec.failures = ro->failures;
        o->rec.started_total = ro->started_total;
        o->rec.updated = now;
        enum fp_err err = fp_store_rollout_put(tx, &o->rec, diag);
        for (size_t i = 0; err == FP_OK && i < ro->host_count; i++) {
                const struct fp_ro_host *h = &ro->hosts[i];
                struct fp_rollout_host_rec *r = fp_orch_row(o, i);
                r->state = fp_ro_hstate_name(h->state);
                r->started = h->started;
                r->finished = h->finished;
                r->start_until = h->start_until;
                r->attempts = h->attempts;
                if (row_changed(r, &o->orig[o->row_of[i]]))
                        err = fp_store_rollout_host_put(tx, r, diag);
        }
        return err;
}
