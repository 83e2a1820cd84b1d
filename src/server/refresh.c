/*
 * Every host judged again after the vulnerability database changed (docs/server.md
 * "Vulnerability data"). A host's stored counts, exposures (the fleet view, GET /v1/vulns),
 * tracking records and compliance are derived at the check-in that brings its inventory; a new
 * or changed advisory changes them for hosts whose inventory did not change. The scheduler's
 * leader re-derives them from each host's stored inventory whenever the database's content
 * (fp_findings_version) is not the one the store records as done: a page of hosts at a time in
 * host id order, the position kept in the store (setting "exposure_refresh": "VERSION NEXT",
 * NEXT the last host done or "*" when every host is), so a new leader carries on where the
 * last one stopped and every replica sees the same progress.
 *
 * The heavy part (parse, match) of a page runs in a read transaction; the writes of each host
 * (counts, exposures and tracking, notifications of counts that rose, compliance, the position)
 * in a write transaction of its own, where a host whose inventory changed in between is left
 * alone (its check-in judged it against the current database already). Job snapshots are not
 * touched: the inventory is not new. The inventory is read, parsed and matched once per host:
 * compliance is handed what the read transaction made (fp_comply_evaluate_judged).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/store.h"
#include "fleetpatch/wire.h"
#include "server/comply.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/server.h"
#include "server/track.h"

#define REFRESH_SETTING "exposure_refresh"
#define REFRESH_PAGE 25
#define ID_MAX 64 /* a host id (16 hex digits today) */
/* Work per scheduler tick at most, so that rollouts and the tick's other work are not held up
 * (a host takes milliseconds): when more remains, the tick asks for the next one at once. */
#define REFRESH_TICK_MS 1000

struct item {
        struct fp_host_rec h; /* strings in the read transaction's arena: copied below */
        char id[ID_MAX + 1], hash[65];
        struct fp_host_counts counts;
        struct fp_expo_set expo;
        /* kept for the host's write transaction: compliance judges the same inventory */
        struct fp_wire_inventory w;
        json_t *findings;        /* fp_findings_judge's list, or NULL (compliance judges) */
        bool judged;
};

static void item_release(struct item *it)
{
        fp_expo_set_release(&it->expo);
        if (it->judged)
                fp_wire_inventory_release(&it->w);
        json_decref(it->findings);
}

struct page {
        struct item *v;
        size_t n;
};

static bool page_cb(void *ctx, const struct fp_host_rec *h)
{
        struct page *p = ctx;
        if (p->n >= REFRESH_PAGE)
                return false;
        struct item *it = &p->v[p->n++];
        snprintf(it->id, sizeof(it->id), "%s", h->id);
        snprintf(it->hash, sizeof(it->hash), "%s", h->inventory_hash ? h->inventory_hash : "");
        it->h = *h;
        return true;
}

/* Judge one host of the page from its stored inventory (read transaction). */
static void judge(struct fp_server *srv, struct fp_tx *tx, struct item *it)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        if (!*it->hash)
                return;
        enum fp_err err = fp_orch_host_inventory(tx, it->id, &it->w, &d);
        if (err != FP_OK) {
                if (err != FP_ENOTFOUND) /* none: nothing to judge (deleted meanwhile) */
                        fprintf(stderr, "fleetpatchd: refresh: host %s: its stored inventory: %s\n",
                                it->id, d.msg[0] ? d.msg : fp_strerror(err));
                return;
        }
        json_t *tags = fp_json_tags(&it->h);
        char *tags_text = tags ? json_dumps(tags, JSON_COMPACT) : NULL;
        it->findings = fp_findings_judge(srv->findings, &it->w, it->h.hostname, tags_text,
                                         &it->counts, &it->expo, &d);
        it->judged = true;
        free(tags_text);
        json_decref(tags);
}

/* The writes of one judged host (write transaction). */
static enum fp_err apply(struct fp_server *srv, struct fp_tx *tx, const struct item *it,
                         int64_t now, struct fp_diag *diag)
{
        struct fp_host_rec h;
        enum fp_err err = fp_store_host_get(tx, it->id, &h, diag);
        if (err == FP_ENOTFOUND) { /* deleted meanwhile */
                fp_diag_clear(diag);
                return FP_OK;
        }
        if (err != FP_OK || strcmp(h.inventory_hash ? h.inventory_hash : "", it->hash))
                return err; /* a new inventory meanwhile: judged at its check-in */
        struct fp_host_counts c = it->counts;
        c.compliance = h.counts.compliance;
        err = fp_store_host_set_counts(tx, h.id, &c, diag);
        if (err == FP_OK)
                err = fp_notify_host_counts(srv, tx, &h, &c, it->hash, now, diag);
        if (err == FP_OK)
                err = fp_track_sync_exposures(srv, tx, &h, it->hash, &it->expo, now, diag);
        const struct fp_host_judged j = {&it->w, it->findings};
        if (err == FP_OK)
                err = fp_comply_evaluate_judged(srv, tx, h.id, &j, now, diag);
        return err;
}

static enum fp_err put_state(struct fp_server *srv, const char *version, const char *next,
                             int64_t now, struct fp_diag *diag)
{
        char v[200];
        snprintf(v, sizeof(v), "%s %s", version, next);
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK)
                return err;
        err = fp_store_setting_put(tx, REFRESH_SETTING, v, now, diag);
        return err == FP_OK ? fp_tx_commit(tx, diag) : (fp_tx_rollback(tx), err);
}

/* One page after `after` ("" = from the start): *last = its last host, *more = a full page. */
static enum fp_err refresh_page(struct fp_server *srv, const char *version, const char *after,
                                int64_t now, char *last, size_t lastsz, bool *more,
                                size_t *done, struct fp_diag *diag)
{
        struct item *v = calloc(REFRESH_PAGE, sizeof(*v));
        if (!v)
                return FP_ENOMEM;
        for (size_t i = 0; i < REFRESH_PAGE; i++)
                fp_expo_set_init(&v[i].expo);
        struct page p = {v, 0};
        struct fp_tx *tx = NULL;
        enum fp_err err = fp_store_begin(srv->store, false, &tx, diag);
        if (err == FP_OK) {
                struct fp_host_filter f = {.compliance = -1,
                                           .after_id = *after ? after : NULL,
                                           .limit = REFRESH_PAGE};
                err = fp_store_host_list(tx, &f, page_cb, &p, diag);
                for (size_t i = 0; err == FP_OK && i < p.n; i++)
                        judge(srv, tx, &v[i]);
                /* the host records' strings live in this transaction: the writes below read
                 * each host again */
                fp_tx_rollback(tx);
        }
        /* one write transaction per host, the position with it: a check-in on any replica
         * waits behind one host's writes at most, never a page's */
        for (size_t i = 0; err == FP_OK && i < p.n; i++) {
                tx = NULL;
                err = fp_store_begin(srv->store, true, &tx, diag);
                if (err == FP_OK && v[i].judged)
                        err = apply(srv, tx, &v[i], now, diag);
                if (err != FP_OK && err != FP_ENOMEM && tx) {
                        /* one host whose writes fail does not hold up the fleet: said, and
                         * passed (its next inventory judges it again) */
                        fprintf(stderr, "fleetpatchd: refresh: host %s: %s\n", v[i].id,
                                diag->msg[0] ? diag->msg : fp_strerror(err));
                        fp_diag_clear(diag);
                        fp_tx_rollback(tx);
                        tx = NULL;
                        err = fp_store_begin(srv->store, true, &tx, diag);
                }
                char state[200];
                snprintf(state, sizeof(state), "%s %s", version,
                         i + 1 == p.n && p.n < REFRESH_PAGE ? "*" : v[i].id);
                if (err == FP_OK)
                        err = fp_store_setting_put(tx, REFRESH_SETTING, state, now, diag);
                if (tx)
                        err = err == FP_OK ? fp_tx_commit(tx, diag) : (fp_tx_rollback(tx), err);
        }
        if (err == FP_OK && !p.n)
                err = put_state(srv, version, "*", now, diag);
        *more = p.n == REFRESH_PAGE;
        snprintf(last, lastsz, "%s", p.n ? v[p.n - 1].id : "");
        *done += p.n;
        for (size_t i = 0; i < REFRESH_PAGE; i++)
                item_release(&v[i]);
        free(v);
        return err;
}

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum fp_err fp_refresh_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag)
{
        char version[65];
        if (!srv->findings || !fp_findings_version(srv->findings, version))
                return FP_OK; /* no database: nothing to judge by */
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(srv->store, false, &tx, diag);
        if (err != FP_OK)
                return err;
        const char *state = NULL;
        err = fp_store_setting_get(tx, REFRESH_SETTING, &state, diag);
        char done_version[65] = "", next[ID_MAX + 2] = "";
        bool first = err == FP_ENOTFOUND;
        if (err == FP_OK && state &&
            sscanf(state, "%64s %65s", done_version, next) != 2) /* unreadable: start over */
                done_version[0] = 0;
        fp_tx_rollback(tx);
        if (first) {
                /* the first start of a store (no host yet, or hosts from before this state
                 * existed): judge every host once */
                fp_diag_clear(diag);
                err = FP_OK;
        }
        if (err != FP_OK)
                return err;
        if (!strcmp(done_version, version) && !strcmp(next, "*"))
                return FP_OK; /* every host judged against this database */
        char after[ID_MAX + 2] = "";
        if (!strcmp(done_version, version))
                snprintf(after, sizeof(after), "%s", next); /* carry on */
        size_t done = 0;
        bool more = true;
        int64_t until = mono_ms() + REFRESH_TICK_MS;
        while (err == FP_OK && more && mono_ms() < until) {
                char last[ID_MAX + 2];
                err = refresh_page(srv, version, after, now, last, sizeof(last), &more, &done,
                                   diag);
                snprintf(after, sizeof(after), "%s", last);
        }
        if (done)
                fp_metrics_count("exposure_refresh_hosts_total", (long long)done);
        if (err == FP_OK && more)
                fp_scheduler_kick(srv->scheduler); /* the next tick at once: more to do */
        return err;
}
