/*
 * The scheduler of fleetpatchd (docs/orchestration.md "The scheduler"): one tick every
 * scheduler_interval seconds by the holder of the "scheduler" lease. Each rollout is one
 * write transaction: load its rows, learn the outcomes of its jobs, run the deterministic
 * core (fp_ro_tick) at the given clock, queue the jobs it starts and save the rows that
 * changed, together, so a crash between two ticks neither forgets a host nor starts one twice.
 * Health checks over HTTP run between transactions (never while holding the writer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/audit.h"
#include "server/comply.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/worker.h"

#define TICK_ACTIONS 1024    /* actions taken from one fp_ro_tick call */
#define TICK_ROUNDS 64       /* fp_ro_tick calls per rollout and tick */
#define LEASE_MIN_TTL 30     /* seconds */
#define MAX_WAKE 4096        /* hosts whose long-poll is woken after a tick */

static void wake_add(struct wake_list *w, const char *id)
{
        if (w->ids && w->n < MAX_WAKE)
                snprintf(w->ids[w->n++], 17, "%s", id);
}

/* The audit entry of a scheduler action (docs/audit.md), in the tick's transaction. Takes
 * before and after. */
static enum fp_err sched_audit(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                               const char *action, const char *account, const char *target,
                               json_t *before, json_t *after, struct fp_diag *diag)
{
        enum fp_err err = fp_audit_append(srv, tx, now, "system:scheduler", "", action, account,
                                          target, before, after, diag);
        json_decref(before);
        json_decref(after);
        return err;
}

/* ---- health checks (outside any transaction) ---- */

/* GET the URL with {hostname} and {host} substituted: 2xx within FP_HEALTH_TIMEOUT is healthy. */
static bool health_ok(const char *tmpl, const char *host, const char *hostname, char *why,
                      size_t whysz)
{
        char url[2048];
        size_t o = 0;
        for (const char *p = tmpl; *p && o + 1 < sizeof(url);) {
                const char *sub = NULL;
                size_t skip = 1;
                if (!strncmp(p, "{hostname}", 10)) {
                        sub = hostname;
                        skip = 10;
                } else if (!strncmp(p, "{host}", 6)) {
                        sub = host;
                        skip = 6;
                }
                if (sub) {
                        size_t n = strlen(sub);
                        if (o + n >= sizeof(url))
                                break;
                        memcpy(url + o, sub, n);
                        o += n;
                } else {
                        url[o++] = *p;
                }
                p += skip;
        }
        url[o] = 0;
        char msg[224];
        bool ok = fp_orch_http(url, NULL, NULL, FP_HEALTH_TIMEOUT, msg, sizeof(msg));
        if (!ok)
                snprintf(why, whysz, "health check %s", msg);
        return ok;
}

/* Results of the health checks of one rollout, by host id. */
struct health {
        char host[17];
        bool ok;
        char why[256];
};
struct health_list {
        struct health *items;
        size_t n;
};

static const struct health *health_find(const struct health_list *l, const char *host)
{
        for (size_t i = 0; i < l->n; i++)
                if (!strcmp(l->items[i].host, host))
                        return &l->items[i];
        return NULL;
}

/* Phase 1 (read transaction): which running hosts' jobs succeeded and need the check;
 * then check them with no transaction open. */
static enum fp_err health_phase(struct fp_server *srv, const char *cr, int64_t now,
                                struct health_list *out, struct fp_diag *diag)
{
        out->items = NULL;
        out->n = 0;
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, false, &tx, diag);
        if (err != FP_OK)
                return err;
        /* Most rollouts have no health URL: read only the spec to find out. */
        struct fp_rollout_rec rec;
        struct fp_ro_spec spec;
        bool wanted = false;
        err = fp_store_rollout_get(tx, cr, &rec, diag);
        if (err == FP_OK &&
            fp_ro_spec_parse(rec.spec_json, strlen(rec.spec_json), &spec, diag) == FP_OK) {
                wanted = spec.health_url[0] != 0;
                fp_ro_spec_free(&spec);
        }
        fp_diag_clear(diag);
        if (err != FP_OK || !wanted) {
                fp_tx_rollback(tx);
                return err;
        }
        struct fp_orch_rollout o;
        err = fp_orch_rollout_load(tx, cr, now, &o, diag);
        struct {
                char host[17], hostname[256];
        } *todo = NULL;
        size_t n = 0;
        char url[FP_RO_MAX_URL + 1] = "";
        if (err == FP_OK && o.spec.health_url[0]) {
                snprintf(url, sizeof(url), "%s", o.spec.health_url);
                todo = calloc(o.ro.host_count ? o.ro.host_count : 1, sizeof(*todo));
                if (!todo)
                        err = FP_ENOMEM;
                for (size_t i = 0; err == FP_OK && i < o.ro.host_count; i++) {
                        struct fp_rollout_host_rec *r = fp_orch_row(&o, i);
                        struct fp_job_rec j;
                        struct fp_host_rec h;
                        if (o.ro.hosts[i].state != FP_RH_RUNNING || !r->job[0] ||
                            fp_store_job_get(tx, r->job, &j, diag) != FP_OK ||
                            j.status != FP_JOB_SUCCEEDED ||
                            fp_store_host_get(tx, r->host, &h, diag) != FP_OK)
                                continue;
                        snprintf(todo[n].host, 17, "%s", r->host);
                        snprintf(todo[n].hostname, 256, "%s", h.hostname);
                        n++;
                }
        }
        fp_orch_rollout_free(&o);
        fp_tx_rollback(tx);
        if (err != FP_OK || !n) {
                free(todo);
                return err;
        }
        out->items = calloc(n, sizeof(*out->items));
        if (!out->items) {
                free(todo);
                return FP_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                snprintf(out->items[i].host, 17, "%s", todo[i].host);
                out->items[i].ok = health_ok(url, todo[i].host, todo[i].hostname,
                                             out->items[i].why, sizeof(out->items[i].why));
        }
        out->n = n;
        free(todo);
        return FP_OK;
}

/* ---- one rollout ---- */

struct online_ctx {
        struct fp_strmap *seen; /* host id -> last_seen + 1 */
        struct fp_arena *a;
};

static bool online_cb(void *ctx, const char *host, int64_t last_seen)
{
        struct online_ctx *c = ctx;
        const char *id = fp_arena_strdup(c->a, host);
        if (id)
                fp_strmap_put(c->seen, id, strlen(id), (void *)(intptr_t)(last_seen + 1));
        return true;
}

/* ---- the leader's cache of rollout images ----
 * Reloading 100,000 rows every tick would cost more than the tick (bench/scheduler_bench.c).
 * The leader keeps each rollout's image between ticks and reloads it when the rollout row's
 * generation is not the one it wrote last (another writer: pause, resume, cancel, another
 * replica), at least every CACHE_MAX_AGE seconds, and after any failed tick. */
#define CACHE_MAX_AGE 60
/* Who is online is read again at most this often (a host is offline after catchup_after,
 * 15 minutes by default: this adds at most half a minute to noticing it). */
#define ONLINE_REFRESH 30

struct cached {
        char cr[17];
        struct fp_orch_rollout o;
        int64_t loaded_at, seen_at;
        struct cached *next;
};
struct fp_sched_cache {
        struct cached *head;
};

static void cached_free(struct cached *c)
{
        if (c) {
                fp_orch_rollout_free(&c->o);
                free(c);
        }
}

static struct cached *cache_take(struct fp_server *srv, const char *cr)
{
        if (!srv->sched_cache)
                return NULL;
        for (struct cached **p = &srv->sched_cache->head; *p; p = &(*p)->next)
                if (!strcmp((*p)->cr, cr)) {
                        struct cached *c = *p;
                        *p = c->next;
                        c->next = NULL;
                        return c;
                }
        return NULL;
}

static void cache_put(struct fp_server *srv, struct cached *c)
{
        if (!srv->sched_cache && !(srv->sched_cache = calloc(1, sizeof(*srv->sched_cache)))) {
                cached_free(c);
                return;
        }
        c->next = srv->sched_cache->head;
        srv->sched_cache->head = c;
}

void fp_scheduler_forget(struct fp_server *srv)
{
        if (!srv->sched_cache)
                return;
        while (srv->sched_cache->head) {
                struct cached *c = srv->sched_cache->head;
                srv->sched_cache->head = c->next;
                cached_free(c);
        }
        free(srv->sched_cache);
        srv->sched_cache = NULL;
}

struct pkgs_ctx {
        json_t *arr;
};
static bool pkgs_cb(void *ctx, const struct fp_cr_update *u)
{
        json_array_append_new(((struct pkgs_ctx *)ctx)->arr,
                              json_pack("{s:s, s:s, s:s}", "name", u->name, "arch", u->arch,
                                        "version", u->version));
        return true;
}

/* START: the host's frozen update set as an install job. */
static enum fp_err start_host(struct fp_tx *tx, struct fp_orch_rollout *o, size_t i,
                              const struct fp_baseline *b, int64_t now, struct wake_list *wake,
                              struct fp_diag *diag)
{
        struct fp_rollout_host_rec *r = fp_orch_row(o, i);
        struct fp_host_rec h;
        enum fp_err err = fp_store_host_get(tx, r->host, &h, diag);
        if (err != FP_OK)
                return err;
        struct pkgs_ctx pc = {.arr = json_array()};
        err = fp_store_cr_update_list(tx, o->rec.cr, r->host, pkgs_cb, &pc, diag);
        json_t *params = json_pack("{s:o}", "packages", pc.arr);
        const char *const *blocked = NULL;
        size_t nb = b ? fp_baseline_blocked(b, &blocked) : 0;
        if (nb) {
                json_t *arr = json_array();
                for (size_t k = 0; k < nb; k++)
                        json_array_append_new(arr, json_string(blocked[k]));
                json_object_set_new(params, "blocked", arr);
        }
        char family[8], id[17];
        fp_orch_host_family(tx, r->host, family);
        if (err == FP_OK)
                err = fp_orch_queue_job(tx, &h, family, FP_JOBT_INSTALL, params, "scheduler", now,
                                        id, diag);
        json_decref(params);
        if (err != FP_OK)
                return err;
        r->job = fp_arena_strdup(&o->arena, id);
        wake_add(wake, r->host);
        return r->job ? FP_OK : FP_ENOMEM;
}

static enum fp_err rollback_host(struct fp_tx *tx, struct fp_orch_rollout *o, size_t i,
                                 int64_t now, struct wake_list *wake, struct fp_diag *diag)
{
        struct fp_rollout_host_rec *r = fp_orch_row(o, i);
        if (!r->job[0]) { /* nothing was queued: nothing to put back */
                fp_ro_host_rolled_back(&o->ro, i, true, now);
                return FP_OK;
        }
        struct fp_host_rec h;
        enum fp_err err = fp_store_host_get(tx, r->host, &h, diag);
        if (err != FP_OK)
                return err;
        char family[8], id[17];
        fp_orch_host_family(tx, r->host, family);
        json_t *params = json_pack("{s:s}", "job", r->job);
        err = fp_orch_queue_job(tx, &h, family, FP_JOBT_ROLLBACK, params, "scheduler", now, id,
                                diag);
        json_decref(params);
        if (err != FP_OK)
                return err;
        r->rollback_job = fp_arena_strdup(&o->arena, id);
        wake_add(wake, r->host);
        return r->rollback_job ? FP_OK : FP_ENOMEM;
}

/* A job ended well: succeeded, and verified unless it had nothing to verify. */
static bool job_good(const struct fp_job_rec *j)
{
        if (j->status != FP_JOB_SUCCEEDED)
                return false;
        json_t *res = j->result_json ? json_loads(j->result_json, 0, NULL) : NULL;
        const char *v = json_string_value(json_object_get(res, "verdict"));
        bool ok = !v || strcmp(v, "mismatch");
        json_decref(res);
        return ok;
}

/* Learn what happened to the jobs of running and rolling-back hosts; with seen (host id →
 * last_seen + 1), also who is online and who was decommissioned. */
static enum fp_err outcomes(struct fp_tx *tx, struct fp_orch_rollout *o,
                            const struct health_list *hl, const struct fp_strmap *seen,
                            long offline_after, int64_t now, struct fp_diag *diag)
{
        for (size_t i = 0; i < o->ro.host_count; i++) {
                struct fp_ro_host *h = &o->ro.hosts[i];
                struct fp_rollout_host_rec *r = fp_orch_row(o, i);
                void *ls = seen ? fp_strmap_get(seen, h->id, strlen(h->id)) : NULL;
                if (seen && !ls) { /* decommissioned */
                        h->online = false;
                        if (h->state == FP_RH_PENDING || h->state == FP_RH_DEFERRED)
                                h->state = FP_RH_CANCELLED;
                        continue;
                }
                if (seen)
                        h->online = (int64_t)(intptr_t)ls - 1 >= now - offline_after;
                struct fp_job_rec j;
                if (h->state == FP_RH_RUNNING && r->job[0]) {
                        enum fp_err err = fp_store_job_get(tx, r->job, &j, diag);
                        if (err == FP_ENOTFOUND) {
                                fp_ro_host_finished(&o->ro, i, false, now);
                                continue;
                        }
                        if (err != FP_OK)
                                return err;
                        if (j.status == FP_JOB_QUEUED && now >= h->start_until) {
                                err = fp_store_job_withdraw(tx, j.id,
                                                            "withdrawn: the window's cutoff passed "
                                                            "before the host picked it up",
                                                            now, diag);
                                if (err != FP_OK && err != FP_ENOTFOUND)
                                        return err;
                                if (err == FP_OK) {
                                        fp_ro_host_withdrawn(&o->ro, i, now);
                                        r->job = "";
                                }
                                continue;
                        }
                        if (j.status < FP_JOB_SUCCEEDED)
                                continue;
                        bool ok = job_good(&j);
                        const struct health *hc = ok ? health_find(hl, h->id) : NULL;
                        if (ok && o->spec.health_url[0] && !hc)
                                continue; /* checked at the next tick */
                        if (hc && !hc->ok) {
                                ok = false;
                                fprintf(stderr, "fleetpatchd: rollout %s: host %s: %s\n",
                                        o->rec.cr, h->id, hc->why);
                        }
                        fp_ro_host_finished(&o->ro, i, ok, now);
                } else if (h->state == FP_RH_ROLLING_BACK && r->rollback_job[0]) {
                        enum fp_err err = fp_store_job_get(tx, r->rollback_job, &j, diag);
                        if (err == FP_ENOTFOUND) {
                                fp_ro_host_rolled_back(&o->ro, i, false, now);
                                continue;
                        }
                        if (err != FP_OK)
                                return err;
                        if (j.status >= FP_JOB_SUCCEEDED)
                                fp_ro_host_rolled_back(&o->ro, i, job_good(&j), now);
                }
        }
        return FP_OK;
}

static const char *cr_state_of(enum fp_ro_status s)
{
        switch (s) {
        case FP_RO_SCHEDULED:
                return "scheduled";
        case FP_RO_DONE:
                return "done";
        case FP_RO_FAILED:
                return "failed";
        case FP_RO_ROLLED_BACK:
                return "rolled_back";
        case FP_RO_CANCELLED:
                return "cancelled";
        default:
                return "running";
        }
}

/* Keep the change request's state in step with its rollout. */
static enum fp_err sync_cr(struct fp_tx *tx, const char *cr_id, enum fp_ro_status s, int64_t now,
                           struct fp_diag *diag)
{
        struct fp_cr_rec cr;
        enum fp_err err = fp_store_cr_get(tx, cr_id, &cr, diag);
        if (err != FP_OK)
                return err;
        const char *want = cr_state_of(s);
        /* done only when the immutable groups' replacements are over too */
        if (!strcmp(want, "done") && fp_replace_pending(tx, cr_id))
                want = "running";
        if (!strcmp(cr.state, want))
                return FP_OK;
        return fp_store_cr_set_state(tx, cr_id, want, cr.review_pending, NULL, now, diag);
}

/* One rollout, one write transaction. */
static enum fp_err tick_rollout(struct fp_server *srv, const char *cr, int64_t now,
                                struct wake_list *wake, struct fp_diag *diag)
{
        struct health_list hl = {0};
        enum fp_err err = health_phase(srv, cr, now, &hl, diag);
        if (err != FP_OK)
                return err;
        struct fp_tx *tx;
        err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK) {
                free(hl.items);
                return err;
        }
        struct fp_baseline *b = NULL;
        struct fp_strmap seen;
        fp_strmap_init(&seen);
        struct fp_arena scratch;
        fp_arena_init(&scratch);
        size_t wake_mark = wake->n;
        struct fp_rollout_rec rec;
        err = fp_store_rollout_get(tx, cr, &rec, diag);
        struct cached *c = cache_take(srv, cr);
        if (c && (err != FP_OK || rec.gen != c->o.rec.gen || now < c->loaded_at ||
                  now - c->loaded_at >= CACHE_MAX_AGE)) {
                cached_free(c);
                c = NULL;
        }
        if (err == FP_OK && !c) {
                c = calloc(1, sizeof(*c));
                err = c ? fp_orch_rollout_load(tx, cr, now, &c->o, diag) : FP_ENOMEM;
                if (c) {
                        snprintf(c->cr, sizeof(c->cr), "%s", cr);
                        c->loaded_at = now;
                }
        }
        struct fp_orch_rollout *op = c ? &c->o : NULL;
        enum fp_ro_status status_before = op ? op->ro.status : FP_RO_SCHEDULED;
        if (err == FP_OK) {
                struct fp_cr_rec cr_rec;
                err = fp_store_cr_get(tx, cr, &cr_rec, diag);
                if (err == FP_OK &&
                    fp_orch_baseline_get(tx, cr_rec.account, cr_rec.baseline, &b, diag) != FP_OK)
                        b = NULL; /* a deleted baseline: the frozen set still applies */
                fp_diag_clear(diag);
        }
        bool refresh = c && (!c->seen_at || now < c->seen_at || now - c->seen_at >= ONLINE_REFRESH);
        if (err == FP_OK && refresh) {
                struct online_ctx oc = {.seen = &seen, .a = &scratch};
                err = fp_store_host_seen(tx, op->account, online_cb, &oc, diag);
        }
        if (err == FP_OK)
                err = outcomes(tx, op, &hl, refresh ? &seen : NULL,
                               fp_srv_catchup_after(&srv->cfg), now, diag);
        struct fp_ro_action *acts = calloc(TICK_ACTIONS, sizeof(*acts));
        if (!acts && err == FP_OK)
                err = FP_ENOMEM;
        for (int round = 0; err == FP_OK && round < TICK_ROUNDS; round++) {
                size_t n = fp_ro_tick(&op->ro, now, acts, TICK_ACTIONS);
                for (size_t k = 0; err == FP_OK && k < n; k++) {
                        const struct fp_ro_action *a = &acts[k];
                        if (a->kind == FP_RA_START) {
                                err = start_host(tx, op, a->host, b, now, wake, diag);
                                if (err == FP_OK)
                                        err = sched_audit(
                                            srv, tx, now, "job.create", op->account,
                                            fp_orch_row(op, a->host)->job, NULL,
                                            json_pack("{s:s, s:s, s:s}", "type", "install", "host",
                                                      op->ro.hosts[a->host].id, "change_request",
                                                      cr),
                                            diag);
                                if (err == FP_EPARSE || err == FP_EINVAL || err == FP_ENOTFOUND) {
                                        /* the host cannot take this job (its family changed,
                                         * it was deleted): it fails, the rollout goes on */
                                        fprintf(stderr, "fleetpatchd: rollout %s: host %s: %s\n",
                                                cr, op->ro.hosts[a->host].id, diag->msg);
                                        fp_diag_clear(diag);
                                        fp_ro_host_finished(&op->ro, a->host, false, now);
                                        err = FP_OK;
                                }
                        } else if (a->kind == FP_RA_ROLLBACK) {
                                err = rollback_host(tx, op, a->host, now, wake, diag);
                                if (err == FP_OK && fp_orch_row(op, a->host)->rollback_job[0])
                                        err = sched_audit(
                                            srv, tx, now, "job.create", op->account,
                                            fp_orch_row(op, a->host)->rollback_job, NULL,
                                            json_pack("{s:s, s:s, s:s}", "type", "rollback",
                                                      "host", op->ro.hosts[a->host].id,
                                                      "change_request", cr),
                                            diag);
                                if (err == FP_EPARSE || err == FP_EINVAL || err == FP_ENOTFOUND) {
                                        fp_diag_clear(diag);
                                        fp_ro_host_rolled_back(&op->ro, a->host, false, now);
                                        err = FP_OK;
                                }
                        } else if (a->kind == FP_RA_HALT) {
                                fprintf(stderr,
                                        "fleetpatchd: rollout %s halted: %lld failure(s) exceed "
                                        "the error budget\n",
                                        cr, (long long)op->ro.failures);
                        }
                }
                if (n < TICK_ACTIONS)
                        break;
        }
        free(acts);
        if (err == FP_OK) /* rollout.halted, window.starting (docs/notifications.md) */
                err = fp_notify_rollout(srv, tx, op, (int)status_before, now, diag);
        if (err == FP_OK)
                err = fp_orch_rollout_save(tx, op, now, diag);
        if (err == FP_OK && strcmp(rec.status, op->rec.status)) /* halted, rolled_back, done, ... */
                err = sched_audit(srv, tx, now, "rollout.status", op->account, cr,
                                  json_pack("{s:s}", "status", rec.status),
                                  json_pack("{s:s, s:I, s:I}", "status", op->rec.status, "wave",
                                            (json_int_t)op->rec.wave, "failures",
                                            (json_int_t)op->rec.failures),
                                  diag);
        if (err == FP_OK)
                err = sync_cr(tx, cr, op->ro.status, now, diag);
        fp_strmap_release(&seen);
        fp_arena_release(&scratch);
        fp_baseline_free(b);
        free(hl.items);
        if (err == FP_OK)
                err = fp_tx_commit(tx, diag);
        else
                fp_tx_rollback(tx);
        if (err != FP_OK) {
                wake->n = wake_mark; /* nothing was queued */
                cached_free(c);      /* the image may be ahead of the store */
                return err;
        }
        /* The image is now what the store holds: the row's generation moved by one, and
         * the rows as saved are the base of the next comparison. */
        c->o.rec.gen = rec.gen + 1;
        if (refresh)
                c->seen_at = now;
        if (c->o.ro.host_count)
                memcpy(c->o.orig, c->o.rows, c->o.ro.host_count * sizeof(*c->o.orig));
        if (fp_ro_status_final(c->o.ro.status))
                cached_free(c);
        else
                cache_put(srv, c);
        return FP_OK;
}

/* ---- the tick ---- */

struct ids_ctx {
        char (*ids)[17];
        size_t n, cap;
};
static bool ids_cb(void *ctx, const struct fp_rollout_rec *r)
{
        struct ids_ctx *c = ctx;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                char(*ids)[17] = realloc(c->ids, cap * sizeof(*ids));
                if (!ids)
                        return false;
                c->ids = ids;
                c->cap = cap;
        }
        snprintf(c->ids[c->n++], 17, "%s", r->cr);
        return true;
}

enum fp_err fp_scheduler_tick(struct fp_server *srv, const char *holder, int64_t now,
                              struct fp_diag *diag)
{
        long interval = srv->cfg.scheduler_interval > 0 ? srv->cfg.scheduler_interval : 5;
        int64_t ttl = interval * 3 > LEASE_MIN_TTL ? interval * 3 : LEASE_MIN_TTL;
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK)
                return err;
        err = fp_store_lease_acquire(tx, "scheduler", holder, now, ttl, diag);
        if (err == FP_EEXIST) { /* another fleetpatchd leads: what we cached may go stale */
                fp_tx_rollback(tx);
                fp_diag_clear(diag);
                fp_scheduler_forget(srv);
                return FP_OK;
        }
        struct ids_ctx ids = {0};
        if (err == FP_OK)
                err = fp_store_rollout_list(tx, true, ids_cb, &ids, diag);
        if (err == FP_OK)
                err = fp_tx_commit(tx, diag);
        else
                fp_tx_rollback(tx);
        struct wake_list wake = {.ids = calloc(MAX_WAKE, 17)};
        for (size_t i = 0; err == FP_OK && i < ids.n; i++) {
                err = tick_rollout(srv, ids.ids[i], now, &wake, diag);
                if (err != FP_OK && err != FP_ENOMEM) {
                        /* one broken rollout does not stop the others */
                        fprintf(stderr, "fleetpatchd: rollout %s: %s\n", ids.ids[i],
                                diag->msg[0] ? diag->msg : fp_strerror(err));
                        fp_diag_clear(diag);
                        err = FP_OK;
                }
        }
        if (err == FP_OK)
                err = fp_catchup_runs_tick(srv, now, &wake, diag);
        if (err == FP_OK)
                err = fp_replace_tick(srv, now, diag);
        if (err == FP_OK) { /* a new or changed advisory: the stored exposures of every host */
                enum fp_err e = fp_refresh_tick(srv, now, diag);
                if (e == FP_ENOMEM) {
                        err = e;
                } else if (e != FP_OK) { /* said; compliance and reports still run */
                        fprintf(stderr, "fleetpatchd: refresh: %s\n",
                                diag->msg[0] ? diag->msg : fp_strerror(e));
                        fp_diag_clear(diag);
                }
        }
        if (err == FP_OK) /* compliance of unevaluated and stale hosts, then scheduled reports
                           * (comply.c), queued before the deliveries run */
                err = fp_comply_tick(srv, now, diag);
        fp_audit_anchor(srv); /* the entries this tick committed (docs/audit.md) */
        const char *wake_ids[MAX_WAKE];
        for (size_t i = 0; i < wake.n && i < MAX_WAKE; i++)
                wake_ids[i] = wake.ids[i];
        fp_wake_hosts(srv, wake_ids, wake.n < MAX_WAKE ? wake.n : MAX_WAKE);
        free(wake.ids);
        free(ids.ids);
        return err;
}

/* ---- the thread ---- */

struct fp_scheduler {
        struct fp_server *srv;
        struct fp_worker *w;
        char holder[48];
};

static void scheduler_tick(void *arg)
{
        struct fp_scheduler *s = arg;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_scheduler_tick(s->srv, s->holder, (int64_t)time(NULL), &diag) != FP_OK)
                fprintf(stderr, "fleetpatchd: scheduler: %s\n", diag.msg);
}

struct fp_scheduler *fp_scheduler_start(struct fp_server *srv, long interval)
{
        struct fp_scheduler *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->srv = srv;
        /* The lease holder is this state directory's scheduler id (kept in STATE/scheduler.id):
         * a fleetpatchd restarted after a crash takes its own lease back at once instead of
         * waiting for it to expire; another replica has another state directory and id. */
        char host[32] = "", id[17] = "", path[700];
        gethostname(host, sizeof(host) - 1);
        snprintf(path, sizeof(path), "%s/scheduler.id", srv->cfg.state_dir);
        FILE *f = fopen(path, "r");
        if (!f || fscanf(f, "%16[0-9a-f]", id) != 1 || strlen(id) != 16) {
                fp_new_id(id);
                if (f)
                        fclose(f);
                f = fopen(path, "w");
                if (f)
                        fprintf(f, "%s\n", id);
        }
        if (f)
                fclose(f);
        snprintf(s->holder, sizeof(s->holder), "%.20s-%s", host, id);
        s->w = fp_worker_start(interval, scheduler_tick, s);
        if (!s->w) {
                free(s);
                return NULL;
        }
        return s;
}

void fp_scheduler_kick(struct fp_scheduler *s)
{
        if (s)
                fp_worker_kick(s->w);
}

void fp_scheduler_stop(struct fp_scheduler *s)
{
        if (!s)
                return;
        fp_worker_stop(s->w);
        fp_scheduler_forget(s->srv);
        free(s);
}
