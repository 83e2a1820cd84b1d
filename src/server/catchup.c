/*
 * Catch-up (docs/jobs.md "Host lifecycle and catch-up"): a host that was away, asleep, reverted
 * or downgraded may no longer have what succeeded jobs installed, so it is marked until a fresh
 * inventory shows every one of those versions again. The reasons are a JSON array of strings
 * on the host; the first mark's time stays until the mark is cleared.
 */
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/version.h"
#include "fleetpatch/wire.h"
#include "server/comply.h"
#include "server/notify.h"
#include "server/server.h"

struct installed_ctx {
        const struct fp_inventory *inv;
        bool downgraded, complete;
};

/* The packages of inv named name (and of arch, unless arch is ""): [*lo, *hi). */
static void find_name(const struct fp_inventory *inv, const char *name, size_t *lo, size_t *hi)
{
        size_t a = 0, b = inv->count;
        while (a < b) { /* the first package not before name (pkgs are sorted by name) */
                size_t m = a + (b - a) / 2;
                if (strcmp(inv->pkgs[m].name, name) < 0)
                        a = m + 1;
                else
                        b = m;
        }
        *lo = a;
        while (a < inv->count && !strcmp(inv->pkgs[a].name, name))
                a++;
        *hi = a;
}

static bool installed_cb(void *ctx, const struct fp_installed_rec *r)
{
        struct installed_ctx *c = ctx;
        size_t lo, hi;
        find_name(c->inv, r->name, &lo, &hi);
        bool present = false;
        for (size_t i = lo; i < hi; i++) {
                const struct fp_inv_pkg *p = &c->inv->pkgs[i];
                if (*r->arch && strcmp(p->arch, r->arch))
                        continue;
                if (fp_vercmp(c->inv->scheme, p->version, r->version) < 0)
                        c->downgraded = true; /* older than what a job installed */
                else
                        present = true;
        }
        if (!present)
                c->complete = false;
        return true;
}

enum fp_err fp_catchup_check_inventory(struct fp_tx *tx, const char *host,
                                       const struct fp_inventory *inv, bool *downgraded,
                                       bool *complete, struct fp_diag *diag)
{
        struct installed_ctx c = {.inv = inv, .downgraded = false, .complete = true};
        enum fp_err err = fp_store_installed_list(tx, host, installed_cb, &c, diag);
        *downgraded = c.downgraded;
        *complete = c.complete && !c.downgraded;
        return err;
}

enum fp_err fp_catchup_update(struct fp_tx *tx, const struct fp_host_rec *h, const char *const *add,
                              size_t nadd, bool clear, int64_t now, struct fp_diag *diag)
{
        json_t *reasons = json_loads(h->catchup_json ? h->catchup_json : "[]", 0, NULL);
        if (!json_is_array(reasons)) {
                json_decref(reasons);
                reasons = json_array();
        }
        bool had = json_array_size(reasons) > 0, changed = false;
        for (size_t i = 0; i < nadd; i++) {
                bool dup = false;
                size_t k;
                json_t *v;
                json_array_foreach(reasons, k, v) dup |= !strcmp(json_string_value(v), add[i]);
                if (!dup) {
                        json_array_append_new(reasons, json_string(add[i]));
                        changed = true;
                }
        }
        int64_t since = had ? h->catchup_since : now;
        if (nadd == 0 && clear && had) {
                json_array_clear(reasons);
                since = 0;
                changed = true;
        }
        enum fp_err err = FP_OK;
        if (changed) {
                char *text = json_dumps(reasons, JSON_COMPACT);
                err = text ? fp_store_host_set_catchup(tx, h->id, text, since, diag) : FP_ENOMEM;
                free(text);
                if (err == FP_OK) /* the compliance state follows the mark */
                        err = fp_comply_catchup_changed(tx, h->id, now, diag);
                if (err == FP_OK && nadd)
                        fp_metrics_count("catchup_marks_total", 1);
                if (err == FP_OK && nadd && !had) /* newly marked: host.catchup */
                        err = fp_notify_host_catchup(tx, h, reasons, now, diag);
        }
        json_decref(reasons);
        return err;
}

enum fp_err fp_catchup_after_scan(struct fp_tx *tx, const struct fp_host_rec *h, int64_t now,
                                  struct fp_diag *diag)
{
        if (!h->catchup_json || !strcmp(h->catchup_json, "[]"))
                return FP_OK;
        const char *doc = NULL;
        enum fp_err err = fp_store_host_inventory(tx, h->id, &doc, diag);
        if (err == FP_ENOTFOUND)
                return FP_OK; /* no inventory: nothing shows the host caught up */
        if (err != FP_OK)
                return err;
        json_t *j = json_loads(doc, 0, NULL);
        struct fp_wire_inventory w;
        err = j ? fp_wire_inventory_parse(j, &w, diag) : FP_EIO;
        json_decref(j);
        if (err != FP_OK)
                return err == FP_ENOMEM ? err : FP_EIO;
        bool downgraded, complete;
        err = fp_catchup_check_inventory(tx, h->id, &w.inv, &downgraded, &complete, diag);
        fp_wire_inventory_release(&w);
        if (err == FP_OK && complete)
                err = fp_catchup_update(tx, h, NULL, 0, true, now, diag);
        return err;
}
