/*
 * Exposures and tracking records (docs/tracking.md): the exposures history kept in sync at
 * check-in, tracking records opened per vulnerability × scope (the resolver group the rules
 * give), linked to the change requests that fix them, and closed only when every exposure of
 * the record's cycle is fixed and verified, excepted, or the provider's to patch.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/version.h"
#include "fleetpatch/wire.h"
#include "server/audit.h"
#include "server/notify.h"
#include "server/server.h"
#include "server/track.h"

/* ---- the exposure set ---- */

void fp_expo_set_init(struct fp_expo_set *s)
{
        memset(s, 0, sizeof(*s));
        fp_arena_init(&s->arena);
}

void fp_expo_set_release(struct fp_expo_set *s)
{
        free(s->items);
        fp_arena_release(&s->arena);
        memset(s, 0, sizeof(*s));
}

static const char *dup(struct fp_expo_set *s, const char *v, bool *ok)
{
        char *d = fp_arena_strdup(&s->arena, v ? v : "");
        *ok = *ok && d;
        return d ? d : "";
}

bool fp_expo_set_add(struct fp_expo_set *s, const struct fp_expo_item *it)
{
        if (s->count == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                struct fp_expo_item *n = realloc(s->items, cap * sizeof(*n));
                if (!n)
                        return false;
                s->items = n;
                s->cap = cap;
        }
        bool ok = true;
        struct fp_expo_item *d = &s->items[s->count];
        *d = *it;
        d->vuln = dup(s, it->vuln, &ok);
        d->package = dup(s, it->package, &ok);
        d->arch = dup(s, it->arch, &ok);
        d->installed = dup(s, it->installed, &ok);
        d->fixed = dup(s, it->fixed, &ok);
        d->advisories = dup(s, it->advisories, &ok);
        d->severity = dup(s, it->severity, &ok);
        if (ok)
                s->count++;
        return ok;
}

/* ---- resolver rules ---- */

static bool rule_bad(struct fp_diag *diag, size_t i, const char *member, const char *msg)
{
        char f[FP_DIAG_FIELD_MAX];
        if (member)
                snprintf(f, sizeof(f), "rules[%zu].%s", i, member);
        else
                snprintf(f, sizeof(f), "rules[%zu]", i);
        fp_diag_set(diag, NULL, 0, f, "%s", msg);
        return false;
}

static bool group_ok(const json_t *g)
{
        return json_is_string(g) && fp_valid_ident(json_string_value(g));
}

bool fp_rules_check(const json_t *doc, struct fp_diag *diag)
{
        if (!json_is_object(doc)) {
                fp_diag_set(diag, NULL, 0, NULL, "resolver rules: a JSON object");
                return false;
        }
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)doc, key, v)
        {
                if (strcmp(key, "rules") && strcmp(key, "default")) {
                        fp_diag_set(diag, NULL, 0, key, "unknown member (rules, default)");
                        return false;
                }
        }
        const json_t *def = json_object_get(doc, "default");
        if (def && !group_ok(def)) {
                fp_diag_set(diag, NULL, 0, "default",
                            "a group name ([a-z0-9._-], 1..%d characters)", FP_MAX_IDENT);
                return false;
        }
        const json_t *rules = json_object_get(doc, "rules");
        if (!rules)
                return true;
        if (!json_is_array(rules) || json_array_size(rules) > FP_MAX_TRACK_RULES) {
                fp_diag_set(diag, NULL, 0, "rules", "an array of at most %d rules",
                            FP_MAX_TRACK_RULES);
                return false;
        }
        size_t i;
        json_t *r;
        json_array_foreach(rules, i, r)
        {
                if (!json_is_object(r))
                        return rule_bad(diag, i, NULL, "a rule is an object");
                json_object_foreach(r, key, v)
                {
                        if (strcmp(key, "name") && strcmp(key, "tags") && strcmp(key, "packages") &&
                            strcmp(key, "group"))
                                return rule_bad(diag, i, key,
                                                "unknown member (name, tags, packages, group)");
                }
                const json_t *name = json_object_get(r, "name");
                if (name && (!json_is_string(name) || json_string_length(name) > FP_MAX_IDENT))
                        return rule_bad(diag, i, "name", "a string of at most 64 characters");
                if (!group_ok(json_object_get(r, "group")))
                        return rule_bad(diag, i, "group",
                                        "required: a group name ([a-z0-9._-], 1..64 characters)");
                const json_t *tags = json_object_get(r, "tags");
                if (tags) {
                        if (!json_is_object(tags) || json_object_size(tags) > FP_MAX_TAGS)
                                return rule_bad(diag, i, "tags",
                                                "an object of tag values (at most the host tag "
                                                "limit)");
                        const char *tk;
                        json_t *tv;
                        json_object_foreach((json_t *)tags, tk, tv) if (!json_is_string(tv) ||
                                                                        strlen(tk) > FP_MAX_TAG_KEY ||
                                                                        json_string_length(tv) >
                                                                            FP_MAX_TAG_VALUE)
                        {
                                return rule_bad(diag, i, "tags",
                                                "tag keys and values are strings of at most the "
                                                "tag length");
                        }
                }
                const json_t *pk = json_object_get(r, "packages");
                if (pk) {
                        if (!json_is_array(pk) || json_array_size(pk) > FP_MAX_TRACK_RULE_PATTERNS)
                                return rule_bad(diag, i, "packages",
                                                "an array of at most 32 package name patterns");
                        size_t k;
                        json_t *p;
                        json_array_foreach(pk, k, p) if (!json_is_string(p) ||
                                                         !json_string_length(p) ||
                                                         json_string_length(p) > 256)
                        {
                                return rule_bad(diag, i, "packages",
                                                "patterns are non-empty strings of at most 256 "
                                                "bytes (fnmatch: * ? [..])");
                        }
                }
        }
        return true;
}

static bool rule_matches(const json_t *rule, const json_t *host_tags, const char *package)
{
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)json_object_get(rule, "tags"), k, v)
        {
                const char *have = json_string_value(json_object_get(host_tags, k));
                if (!have || strcmp(have, json_string_value(v)))
                        return false;
        }
        const json_t *pk = json_object_get(rule, "packages");
        if (!json_array_size(pk))
                return true;
        size_t i;
        json_t *p;
        json_array_foreach(pk, i, p) if (fnmatch(json_string_value(p), package, 0) == 0) return true;
        return false;
}

const char *fp_rules_group(const json_t *doc, const json_t *host_tags, const char *package)
{
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(doc, "rules"), i, r)
        {
                if (rule_matches(r, host_tags, package ? package : ""))
                        return json_string_value(json_object_get(r, "group"));
        }
        const char *def = json_string_value(json_object_get(doc, "default"));
        return def ? def : "unassigned";
}

enum fp_close_verdict fp_close_decide(const struct fp_close_input *in, size_t n)
{
        if (n == 0)
                return FP_CLOSE_OPEN;
        bool unverified = false;
        for (size_t i = 0; i < n; i++) {
                if (in[i].provider || in[i].excepted)
                        continue;
                if (in[i].open)
                        return FP_CLOSE_OPEN;
                if (in[i].by_change && !in[i].job_verified)
                        unverified = true;
        }
        return unverified ? FP_CLOSE_RESOLVED : FP_CLOSE_CLOSED;
}

/* ---- helpers ---- */

static enum fp_err history(struct fp_tx *tx, const char *track, int64_t now, const char *actor,
                           const char *action, json_t *detail, struct fp_diag *diag)
{
        char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(detail);
        struct fp_track_event e = {
            .track = track, .at = now, .actor = actor, .action = action, .detail = text};
        enum fp_err err = fp_store_track_event_add(tx, &e, diag);
        free(text);
        return err;
}

static enum fp_err notify(struct fp_server *srv, struct fp_tx *tx, const struct fp_track_rec *t,
                          const char *type, int64_t now, struct fp_diag *diag)
{
        char key[128], subject[256];
        snprintf(key, sizeof(key), "track:%s:%lld", t->id, (long long)t->cycle);
        snprintf(subject, sizeof(subject), "tracking record %s %s: %.100s (%s, group %.64s)",
                 t->id, !strcmp(type, "tracking.closed") ? "closed" : "opened", t->vuln,
                 t->account, t->grp);
        json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", t->id, "account",
                                 t->account, "vuln", t->vuln, "group", t->grp, "state", t->state,
                                 "severity", t->severity);
        enum fp_err err = data ? fp_notify_event(srv, tx, now, t->account, type, key, subject,
                                                 data, diag)
                               : FP_ENOMEM;
        json_decref(data);
        return err;
}

/* The audit entry of a state the system gave a record (docs/audit.md): check-ins and job
 * results change records without a user request that the router would audit. */
static enum fp_err audit_state(struct fp_server *srv, struct fp_tx *tx, const struct fp_track_rec *t,
                               const char *was, int64_t now, struct fp_diag *diag)
{
        char action[64];
        snprintf(action, sizeof(action), "tracking.%s", !*was ? "opened"
                                                      : !strcmp(was, "closed") ? "reopened"
                                                                               : t->state);
        json_t *before = *was ? json_pack("{s:s}", "state", was) : NULL;
        json_t *after = json_pack("{s:s, s:s, s:s, s:I}", "state", t->state, "vuln", t->vuln,
                                  "group", t->grp, "cycle", (json_int_t)t->cycle);
        enum fp_err err = fp_audit_append(srv, tx, now, "system:tracking", "", action, t->account,
                                          t->id, before, after, diag);
        json_decref(before);
        json_decref(after);
        return err;
}

static int sev_rank(const char *s)
{
        static const char *const names[] = {"unknown", "negligible", "low",
                                            "medium",  "high",       "critical"};
        for (int i = 0; i < 6; i++)
                if (s && !strcmp(s, names[i]))
                        return i;
        return 0;
}

/* The record of (account, vuln, scope), opened if there is none and re-opened if closed. */
static enum fp_err record_for(struct fp_server *srv, struct fp_tx *tx, const char *account,
                              const char *vuln, const char *scope, const struct fp_expo_item *it,
                              const char *host, int64_t now, const char **id,
                              struct fp_diag *diag)
{
        struct fp_track_rec t;
        enum fp_err err = fp_store_track_find(tx, account, vuln, scope, &t, diag);
        if (err == FP_ENOTFOUND) {
                char nid[17];
                fp_new_id(nid);
                t = (struct fp_track_rec){.id = nid,
                                          .account = account,
                                          .vuln = vuln,
                                          .scope = scope,
                                          .grp = scope,
                                          .assignee = "",
                                          .state = "open",
                                          .severity = it->severity,
                                          .kev = it->kev,
                                          .sla_due = it->sla_due,
                                          .advisories = it->advisories,
                                          .opened = now,
                                          .cycle = now,
                                          .evidence = "",
                                          .updated = now};
                err = fp_store_track_put(tx, &t, diag);
                if (err == FP_OK)
                        err = history(tx, nid, now, "system", "opened",
                                      json_pack("{s:s, s:s, s:s, s:s}", "host", host, "package",
                                                it->package, "group", scope, "severity",
                                                it->severity),
                                      diag);
                if (err == FP_OK)
                        err = notify(srv, tx, &t, "tracking.opened", now, diag);
                if (err == FP_OK)
                        err = audit_state(srv, tx, &t, "", now, diag);
                *id = fp_arena_strdup(fp_tx_arena(tx), nid);
                return err != FP_OK ? err : *id ? FP_OK : FP_ENOMEM;
        }
        if (err != FP_OK)
                return err;
        *id = t.id;
        if (strcmp(t.state, "closed"))
                return FP_OK;
        t.state = "open";
        t.cycle = now;
        t.closed = 0;
        t.risk_until = 0;
        t.evidence = "";
        t.updated = now;
        err = fp_store_track_put(tx, &t, diag);
        if (err == FP_OK)
                err = history(tx, t.id, now, "system", "reopened",
                              json_pack("{s:s, s:s}", "host", host, "package", it->package), diag);
        if (err == FP_OK)
                err = notify(srv, tx, &t, "tracking.opened", now, diag);
        if (err == FP_OK)
                err = audit_state(srv, tx, &t, "closed", now, diag);
        return err;
}

/* A small set of record ids (strings in the transaction's arena). */
struct idset {
        const char **ids;
        size_t n, cap;
};

static bool idset_add(struct idset *s, const char *id)
{
        if (!id || !*id)
                return true;
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->ids[i], id))
                        return true;
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                const char **n = realloc(s->ids, cap * sizeof(*n));
                if (!n)
                        return false;
                s->ids = n;
                s->cap = cap;
        }
        s->ids[s->n++] = id;
        return true;
}

struct expo_list {
        struct fp_exposure_rec *v;
        size_t n, cap;
        bool oom;
        size_t limit; /* 0 = every row; else stop after limit rows, more set when one was left */
        bool more;
};

static bool expo_collect(void *ctx, const struct fp_exposure_rec *e)
{
        struct expo_list *l = ctx;
        if (l->limit && l->n == l->limit) {
                l->more = true;
                return false;
        }
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 32;
                struct fp_exposure_rec *n = realloc(l->v, cap * sizeof(*n));
                if (!n) {
                        l->oom = true;
                        return false;
                }
                l->v = n;
                l->cap = cap;
        }
        l->v[l->n++] = *e;
        return true;
}

static int key_cmp(const char *va, const char *pa, const char *aa, const char *vb, const char *pb,
                   const char *ab)
{
        int c = strcmp(va, vb);
        if (!c)
                c = strcmp(pa, pb);
        return c ? c : strcmp(aa, ab);
}

static int item_cmp(const void *a, const void *b)
{
        const struct fp_expo_item *x = a, *y = b;
        return key_cmp(x->vuln, x->package, x->arch, y->vuln, y->package, y->arch);
}

/* {"name/arch": version} of the named packages in an inventory (absent ones as null). */
static json_t *versions_of(const struct fp_inventory *inv, const json_t *keys)
{
        json_t *out = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)keys, k, v)
        {
                const char *slash = strrchr(k, '/');
                size_t nlen = slash ? (size_t)(slash - k) : strlen(k);
                const char *ver = NULL;
                for (size_t i = 0; inv && i < inv->count; i++) {
                        const struct fp_inv_pkg *p = &inv->pkgs[i];
                        if (strlen(p->name) == nlen && !strncmp(p->name, k, nlen) &&
                            (!slash || !strcmp(p->arch, slash + 1))) {
                                ver = p->version;
                                break;
                        }
                }
                json_object_set_new(out, k, ver ? json_string(ver) : json_null());
        }
        return out;
}

struct snap_list {
        struct fp_snap_rec *v;
        size_t n, cap;
        bool oom;
};

static bool snap_collect(void *ctx, const struct fp_snap_rec *s)
{
        struct snap_list *l = ctx;
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                struct fp_snap_rec *n = realloc(l->v, cap * sizeof(*n));
                if (!n) {
                        l->oom = true;
                        return false;
                }
                l->v = n;
                l->cap = cap;
        }
        l->v[l->n++] = *s;
        return true;
}

/* The "after" half of the host's pending job snapshots: this inventory. */
static enum fp_err snaps_after(struct fp_tx *tx, const char *host, const char *hash,
                               const struct fp_inventory *inv, int64_t now, struct fp_diag *diag)
{
        struct snap_list l = {0};
        enum fp_err err = fp_store_snap_pending(tx, host, snap_collect, &l, diag);
        if (err == FP_OK && l.oom)
                err = FP_ENOMEM;
        for (size_t i = 0; err == FP_OK && i < l.n; i++) {
                json_t *before = fp_json_stored(l.v[i].before);
                json_t *after = versions_of(inv, before);
                char *text = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
                json_decref(before);
                json_decref(after);
                if (!text) {
                        err = FP_ENOMEM;
                        break;
                }
                struct fp_snap_rec s = l.v[i];
                s.after_hash = hash;
                s.after = text;
                s.after_at = now;
                err = fp_store_snap_put(tx, &s, diag);
                free(text);
        }
        free(l.v);
        return err;
}

/* The resolved records of an account (waiting for a job's verification). */
struct resolved_ctx {
        struct idset *set;
        bool oom;
};

static bool resolved_cb(void *ctx, const struct fp_track_rec *t)
{
        struct resolved_ctx *c = ctx;
        if (!idset_add(c->set, t->id)) {
                c->oom = true;
                return false;
        }
        return true;
}

static enum fp_err add_resolved(struct fp_tx *tx, const char *account, struct idset *set,
                                struct fp_diag *diag)
{
        struct fp_track_filter f = {.account = account, .state = "resolved"};
        struct resolved_ctx c = {set, false};
        enum fp_err err = fp_store_track_list(tx, &f, resolved_cb, &c, diag);
        return err == FP_OK && c.oom ? FP_ENOMEM : err;
}

static enum fp_err eval_all(struct fp_server *srv, struct fp_tx *tx, const struct idset *set,
                            int64_t now, struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        for (size_t i = 0; err == FP_OK && i < set->n; i++)
                err = fp_track_eval(srv, tx, set->ids[i], now, diag);
        return err;
}

/* ---- check-in ---- */

enum fp_err fp_track_sync_host(struct fp_server *srv, struct fp_tx *tx,
                               const struct fp_host_rec *h, const char *hash,
                               const struct fp_inventory *inv, const struct fp_expo_set *set,
                               int64_t now, struct fp_diag *diag)
{
        enum fp_err err = snaps_after(tx, h->id, hash, inv, now, diag);
        return err == FP_OK ? fp_track_sync_exposures(srv, tx, h, hash, set, now, diag) : err;
}

enum fp_err fp_track_sync_exposures(struct fp_server *srv, struct fp_tx *tx,
                                    const struct fp_host_rec *h, const char *hash,
                                    const struct fp_expo_set *set, int64_t now,
                                    struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        if (!set || !set->assessed)
                return err;
        struct expo_list old = {0};
        struct idset touched = {0};
        json_t *tags = fp_json_tags(h), *rules = NULL;
        struct fp_expo_item *items = NULL;
        err = fp_store_exposure_host(tx, h->id, expo_collect, &old, diag);
        if (err == FP_OK && old.oom)
                err = FP_ENOMEM;
        if (err != FP_OK)
                goto out;
        const char *rules_text = NULL;
        err = fp_store_rules_get(tx, h->account, &rules_text, diag);
        if (err == FP_ENOTFOUND)
                err = FP_OK;
        else if (err == FP_OK)
                rules = fp_json_stored(rules_text);
        if (err != FP_OK)
                goto out;
        items = set->count ? malloc(set->count * sizeof(*items)) : NULL;
        if (set->count && !items) {
                err = FP_ENOMEM;
                goto out;
        }
        if (items) {
                memcpy(items, set->items, set->count * sizeof(*items));
                qsort(items, set->count, sizeof(*items), item_cmp);
        }
        /* Merge the sorted findings with the open rows (ordered the same way by the store). */
        size_t i = 0, k = 0;
        while (err == FP_OK && (i < set->count || k < old.n)) {
                const struct fp_expo_item *it = i < set->count ? &items[i] : NULL;
                const struct fp_exposure_rec *o = k < old.n ? &old.v[k] : NULL;
                int c = !it  ? 1
                        : !o ? -1
                             : key_cmp(it->vuln, it->package, it->arch, o->vuln, o->package,
                                       o->arch);
                if (c > 0) { /* open before, gone now: fixed */
                        err = fp_store_exposure_fix(tx, h->id, o->vuln, o->package, o->arch, now,
                                                    hash, diag);
                        if (err == FP_OK && !idset_add(&touched, o->track))
                                err = FP_ENOMEM;
                        k++;
                        continue;
                }
                if (i + 1 < set->count && !item_cmp(it, &items[i + 1])) {
                        i++; /* a duplicate finding: the later one counts */
                        continue;
                }
                struct fp_exposure_rec e = {.host = h->id,
                                            .account = h->account,
                                            .vuln = it->vuln,
                                            .package = it->package,
                                            .arch = it->arch,
                                            .installed = it->installed,
                                            .fixed_version = it->fixed,
                                            .advisories = it->advisories,
                                            .severity = it->severity,
                                            .scheme = set->scheme,
                                            .kev = it->kev,
                                            .sla_due = it->sla_due,
                                            .exception = it->exception,
                                            .first_seen = now};
                if (c < 0) { /* new */
                        const char *scope = fp_rules_group(rules, tags, it->package);
                        err = record_for(srv, tx, h->account, it->vuln, scope, it, h->id, now,
                                         &e.track, diag);
                        if (err == FP_OK)
                                err = fp_store_exposure_open(tx, &e, diag);
                        if (err == FP_OK && !idset_add(&touched, e.track))
                                err = FP_ENOMEM;
                        i++;
                        continue;
                }
                /* still open: update what changed */
                e.track = o->track;
                bool changed = strcmp(o->installed, e.installed) ||
                               strcmp(o->fixed_version, e.fixed_version) ||
                               strcmp(o->advisories, e.advisories) ||
                               strcmp(o->severity, e.severity) || o->kev != e.kev ||
                               o->sla_due != e.sla_due || o->exception != e.exception;
                if (changed)
                        err = fp_store_exposure_update(tx, &e, diag);
                if (err == FP_OK && changed && !idset_add(&touched, o->track))
                        err = FP_ENOMEM;
                i++;
                k++;
        }
        if (err == FP_OK)
                err = add_resolved(tx, h->account, &touched, diag);
        if (err == FP_OK)
                err = eval_all(srv, tx, &touched, now, diag);
out:
        free(items);
        free(old.v);
        free(touched.ids);
        json_decref(tags);
        json_decref(rules);
        return err;
}

/* ---- jobs ---- */

enum fp_err fp_track_job_finished(struct fp_server *srv, struct fp_tx *tx,
                                  const struct fp_job_rec *j, const json_t *result, int64_t now,
                                  struct fp_diag *diag)
{
        if (strcmp(j->type, "install") && strcmp(j->type, "upgrade-approved") &&
            strcmp(j->type, "rollback"))
                return FP_OK;
        struct fp_host_rec h;
        enum fp_err err = fp_store_host_get(tx, j->host, &h, diag);
        if (err != FP_OK)
                return err;
        /* The packages the job touched or was asked for. */
        json_t *keys = json_object();
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(result, "plan"), i, e)
        {
                char key[600];
                snprintf(key, sizeof(key), "%s/%s",
                         json_string_value(json_object_get(e, "name")) ?: "",
                         json_string_value(json_object_get(e, "arch")) ?: "");
                json_object_set_new(keys, key, json_null());
        }
        json_t *params = fp_json_stored(j->params_json);
        json_array_foreach(json_object_get(params, "packages"), i, e)
        {
                const char *name = json_string_value(json_object_get(e, "name"));
                const char *arch = json_string_value(json_object_get(e, "arch"));
                if (!name)
                        continue;
                bool have = false;
                const char *k;
                json_t *v;
                json_object_foreach(keys, k, v) have |=
                    !strncmp(k, name, strlen(name)) && k[strlen(name)] == '/';
                if (have)
                        continue;
                char key[600];
                snprintf(key, sizeof(key), "%s/%s", name, arch ? arch : "");
                json_object_set_new(keys, key, json_null());
        }
        json_decref(params);
        /* The stored inventory is the one before the change (the agent reports the job, then
         * checks in with what it has now). */
        const char *inv_text = NULL;
        struct fp_wire_inventory w;
        bool parsed = false;
        err = *h.inventory_hash ? fp_store_host_inventory(tx, h.id, &inv_text, diag) : FP_OK;
        if (err == FP_OK && inv_text && *inv_text) {
                json_t *inv = fp_json_stored(inv_text);
                struct fp_diag d2;
                fp_diag_clear(&d2);
                parsed = fp_wire_inventory_parse(inv, &w, &d2) == FP_OK;
                json_decref(inv);
        }
        json_t *before = versions_of(parsed ? &w.inv : NULL, keys);
        char *text = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(before);
        json_decref(keys);
        if (parsed)
                fp_wire_inventory_release(&w);
        if (err == FP_OK && !text)
                err = FP_ENOMEM;
        struct fp_snap_rec s = {.job = j->id,
                                .host = h.id,
                                .before_hash = h.inventory_hash,
                                .before = text,
                                .finished = now,
                                .after_hash = "",
                                .after = "",
                                .after_at = 0};
        if (err == FP_OK)
                err = fp_store_snap_put(tx, &s, diag);
        free(text);
        return err == FP_OK ? fp_track_host_changed(srv, tx, &h, now, diag) : err;
}

enum fp_err fp_track_host_changed(struct fp_server *srv, struct fp_tx *tx,
                                  const struct fp_host_rec *h, int64_t now, struct fp_diag *diag)
{
        /* The records of the host's open exposures and those waiting for a verification. */
        struct expo_list open = {0};
        struct idset set = {0};
        enum fp_err err = fp_store_exposure_host(tx, h->id, expo_collect, &open, diag);
        if (err == FP_OK && open.oom)
                err = FP_ENOMEM;
        for (size_t n = 0; err == FP_OK && n < open.n; n++)
                if (!idset_add(&set, open.v[n].track))
                        err = FP_ENOMEM;
        if (err == FP_OK)
                err = add_resolved(tx, h->account, &set, diag);
        if (err == FP_OK)
                err = eval_all(srv, tx, &set, now, diag);
        free(open.v);
        free(set.ids);
        return err;
}

/* ---- change requests ---- */

struct upd_list {
        struct fp_cr_update *v;
        size_t n, cap;
        bool oom;
};

static bool upd_collect(void *ctx, const struct fp_cr_update *u)
{
        struct upd_list *l = ctx;
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 32;
                struct fp_cr_update *n = realloc(l->v, cap * sizeof(*n));
                if (!n) {
                        l->oom = true;
                        return false;
                }
                l->v = n;
                l->cap = cap;
        }
        l->v[l->n++] = *u;
        return true;
}

/* Does version v fix an exposure whose fixing version is fixed ("" = unknown: any update of
 * the package counts)? */
static bool fixes(const char *scheme, const char *v, const char *fixed)
{
        enum fp_scheme sc;
        if (!*fixed || !fp_scheme_from_name(scheme, &sc))
                return true;
        return fp_vercmp(sc, v, fixed) >= 0;
}

enum fp_err fp_track_cr_frozen(struct fp_server *srv, struct fp_tx *tx, const char *cr,
                               int64_t now, struct fp_diag *diag)
{
        struct upd_list ups = {0};
        struct expo_list ex = {0};
        struct idset linked = {0};
        enum fp_err err = fp_store_cr_update_list(tx, cr, NULL, upd_collect, &ups, diag);
        if (err == FP_OK && ups.oom)
                err = FP_ENOMEM;
        const char *host = NULL;
        for (size_t i = 0; err == FP_OK && i < ups.n; i++) {
                const struct fp_cr_update *u = &ups.v[i];
                if (!host || strcmp(host, u->host)) { /* the list is ordered by host */
                        host = u->host;
                        ex.n = 0;
                        err = fp_store_exposure_host(tx, host, expo_collect, &ex, diag);
                        if (err == FP_OK && ex.oom)
                                err = FP_ENOMEM;
                }
                for (size_t k = 0; err == FP_OK && k < ex.n; k++) {
                        const struct fp_exposure_rec *e = &ex.v[k];
                        if (!*e->track || strcmp(e->package, u->name) || strcmp(e->arch, u->arch) ||
                            !fixes(e->scheme, u->version, e->fixed_version))
                                continue;
                        err = fp_store_track_link_add(tx, e->track, cr, now, diag);
                        if (err == FP_EEXIST) {
                                err = FP_OK;
                                continue;
                        }
                        if (err == FP_OK)
                                err = history(tx, e->track, now, "system", "linked",
                                              json_pack("{s:s}", "change_request", cr), diag);
                        if (err == FP_OK && !idset_add(&linked, e->track))
                                err = FP_ENOMEM;
                }
        }
        if (err == FP_OK)
                err = eval_all(srv, tx, &linked, now, diag);
        free(ups.v);
        free(ex.v);
        free(linked.ids);
        return err;
}

/* ---- evaluation ---- */

struct link_list {
        const char **cr;
        size_t n, cap;
        bool oom;
        int64_t since;
};

static bool link_collect(void *ctx, const char *track, const char *cr, int64_t at)
{
        struct link_list *l = ctx;
        if (at < l->since)
                return true; /* linked in an earlier cycle: fixed what was exposed then */
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                const char **n = realloc(l->cr, cap * sizeof(*n));
                if (!n) {
                        l->oom = true;
                        return false;
                }
                l->cr = n;
                l->cap = cap;
        }
        l->cr[l->n++] = cr;
        return true;
}

/* A change request that will not patch anything (rejected, cancelled) does not make its hosts
 * "patched by a change"; a draft is work under way. */
static bool cr_live(const char *state)
{
        return strcmp(state, "rejected") && strcmp(state, "cancelled");
}

struct inst_find {
        const char *name, *arch;
        struct fp_installed_rec found;
        bool have;
};

static bool inst_cb(void *ctx, const struct fp_installed_rec *r)
{
        struct inst_find *f = ctx;
        if (strcmp(r->name, f->name) || strcmp(r->arch, f->arch))
                return true;
        f->found = *r;
        f->have = true;
        return false;
}

/* The job that installed (host, package, arch) at version, verified: its id, else NULL. */
static enum fp_err verified_job(struct fp_tx *tx, const char *host, const char *name,
                                const char *arch, const char *version, const char **job,
                                const char **verdict, struct fp_diag *diag)
{
        *job = NULL;
        *verdict = NULL;
        struct inst_find f = {.name = name, .arch = arch};
        enum fp_err err = fp_store_installed_list(tx, host, inst_cb, &f, diag);
        if (err != FP_OK || !f.have || strcmp(f.found.version, version))
                return err;
        struct fp_job_rec j;
        err = fp_store_job_get(tx, f.found.job, &j, diag);
        if (err == FP_ENOTFOUND)
                return FP_OK;
        if (err != FP_OK)
                return err;
        json_t *res = j.result_json ? fp_json_stored(j.result_json) : NULL;
        const char *v = json_string_value(json_object_get(res, "verdict"));
        if (j.status == FP_JOB_SUCCEEDED && v && !strcmp(v, "verified")) {
                *job = j.id;
                *verdict = "verified";
        }
        json_decref(res);
        return FP_OK;
}

/* The first open exposure of a record that is a customer's gap (not excepted, its host not
 * patched by its provider): the rows stream in order and the walk stops there. */
struct gap_ctx {
        struct fp_tx *tx;
        bool found;
        enum fp_err err;
        struct fp_diag *diag;
        bool any; /* an open row was seen at all */
};

static bool gap_cb(void *ctx, const struct fp_exposure_rec *e)
{
        struct gap_ctx *g = ctx;
        g->any = true;
        if (e->exception)
                return true;
        struct fp_host_rec h;
        g->err = fp_store_host_get(g->tx, e->host, &h, g->diag);
        if (g->err != FP_OK)
                return false;
        json_t *tags = fp_json_tags(&h);
        const char *pb = json_string_value(json_object_get(tags, "patched_by"));
        g->found = !(pb && !strcmp(pb, "provider"));
        json_decref(tags);
        return !g->found;
}

/* With a customer's gap open, an open or in-progress record stays what it is unless its live
 * links changed: decided without reading every exposure of the record (a fleet's check-ins
 * would otherwise each read the whole scope). *same true then. */
static enum fp_err still_open(struct fp_tx *tx, const struct fp_track_rec *t, bool *same,
                              struct fp_diag *diag)
{
        *same = false;
        if (strcmp(t->state, "open") && strcmp(t->state, "in_progress"))
                return FP_OK;
        struct gap_ctx g = {tx, false, FP_OK, diag, false};
        enum fp_err err = fp_store_exposure_open_of_track(tx, t->id, gap_cb, &g, diag);
        if (err == FP_OK)
                err = g.err;
        if (err != FP_OK || !g.found)
                return err;
        struct link_list links = {.since = t->cycle};
        err = fp_store_track_link_list(tx, t->id, NULL, link_collect, &links, diag);
        if (err == FP_OK && links.oom)
                err = FP_ENOMEM;
        size_t live = 0;
        for (size_t i = 0; err == FP_OK && i < links.n; i++) {
                struct fp_cr_rec c;
                err = fp_store_cr_get(tx, links.cr[i], &c, diag);
                if (err == FP_ENOTFOUND)
                        err = FP_OK;
                else if (err == FP_OK)
                        live += cr_live(c.state);
        }
        free(links.cr);
        *same = err == FP_OK && !strcmp(t->state, live ? "in_progress" : "open");
        return err;
}

/* The updates of the live change requests linked in the record's cycle, in link order
 * (at, cr) then each request's order: for one host/package/arch the last one counts. */
static enum fp_err live_updates(struct fp_tx *tx, const struct fp_track_rec *t,
                                struct link_list *links, struct upd_list *ups, size_t *live,
                                struct fp_diag *diag)
{
        *live = 0;
        links->since = t->cycle;
        enum fp_err err = fp_store_track_link_list(tx, t->id, NULL, link_collect, links, diag);
        if (err == FP_OK && links->oom)
                err = FP_ENOMEM;
        for (size_t i = 0; err == FP_OK && i < links->n; i++) {
                struct fp_cr_rec c;
                err = fp_store_cr_get(tx, links->cr[i], &c, diag);
                if (err == FP_ENOTFOUND) {
                        err = FP_OK;
                        continue;
                }
                if (err != FP_OK || !cr_live(c.state))
                        continue;
                (*live)++;
                err = fp_store_cr_update_list(tx, links->cr[i], NULL, upd_collect, ups, diag);
                if (err == FP_OK && ups->oom)
                        err = FP_ENOMEM;
        }
        return err;
}

static enum fp_err host_provider(struct fp_tx *tx, const char *host, bool *provider,
                                 const char **hostname, struct fp_diag *diag)
{
        struct fp_host_rec h;
        *provider = false;
        enum fp_err err = fp_store_host_get(tx, host, &h, diag);
        if (err != FP_OK)
                return err;
        if (hostname)
                *hostname = h.hostname;
        json_t *tags = fp_json_tags(&h);
        const char *pb = json_string_value(json_object_get(tags, "patched_by"));
        *provider = pb && !strcmp(pb, "provider");
        json_decref(tags);
        return FP_OK;
}

/* The version the cycle's live links install on (host, package, arch), NULL for none. */
static const char *change_version(const struct upd_list *ups, const char *host,
                                  const char *package, const char *arch)
{
        const char *version = NULL;
        for (size_t u = 0; u < ups->n; u++)
                if (!strcmp(ups->v[u].host, host) && !strcmp(ups->v[u].name, package) &&
                    !strcmp(ups->v[u].arch, arch))
                        version = ups->v[u].version;
        return version;
}

static bool first_cb(void *ctx, const struct fp_exposure_rec *e)
{
        (void)e;
        *(bool *)ctx = true;
        return false;
}

struct pick {
        const struct fp_cr_update *u;
        size_t at;
};

static int pick_cmp(const void *a, const void *b)
{
        const struct pick *x = a, *y = b;
        int c = strcmp(x->u->host, y->u->host);
        if (!c)
                c = key_cmp("", x->u->name, x->u->arch, "", y->u->name, y->u->arch);
        if (!c) /* the later update first: it is the one that counts */
                c = x->at < y->at ? 1 : x->at > y->at ? -1 : 0;
        return c;
}

/* The closing rule (fp_close_decide) decided from the rows that can block it, not from the
 * record's scope: an open row that is a customer's gap (the index of open rows, stopping at
 * the first; the open rows passed over are excepted or the provider's), whether the cycle has
 * a row at all (the first one), and the rows patched by a live linked change (one lookup of
 * the record's rows per host the changes update, stopping at the first unverified one). Rows
 * fixed by other means are verified by their inventory and never block, so they are not read.
 * tests/unit/server/track_test.c checks it against full_verdict on random event sequences. */
static enum fp_err fast_verdict(struct fp_tx *tx, const struct fp_track_rec *t,
                                enum fp_close_verdict *v, struct fp_diag *diag)
{
        *v = FP_CLOSE_OPEN;
        struct gap_ctx g = {tx, false, FP_OK, diag, false};
        enum fp_err err = fp_store_exposure_open_of_track(tx, t->id, gap_cb, &g, diag);
        if (err == FP_OK)
                err = g.err;
        if (err != FP_OK || g.found)
                return err;
        bool any = g.any;
        if (!any)
                err = fp_store_exposure_of_track(tx, t->id, t->cycle, first_cb, &any, diag);
        if (err != FP_OK || !any)
                return err; /* nothing in the cycle proves anything */
        struct link_list links = {0};
        struct upd_list ups = {0};
        struct expo_list rows = {0};
        size_t live = 0;
        err = live_updates(tx, t, &links, &ups, &live, diag);
        struct pick *picks = err == FP_OK && ups.n ? calloc(ups.n, sizeof(*picks)) : NULL;
        if (err == FP_OK && ups.n && !picks)
                err = FP_ENOMEM;
        for (size_t i = 0; picks && i < ups.n; i++)
                picks[i] = (struct pick){&ups.v[i], i};
        if (picks)
                qsort(picks, ups.n, sizeof(*picks), pick_cmp);
        bool unverified = false;
        const char *host = NULL;
        bool provider = false;
        for (size_t i = 0; err == FP_OK && !unverified && i < ups.n; i++) {
                const struct fp_cr_update *u = picks[i].u;
                if (i && !pick_cmp(&(struct pick){picks[i - 1].u, 0}, &(struct pick){u, 0}))
                        continue; /* an earlier update of the same package: the later counts */
                if (!host || strcmp(host, u->host)) {
                        host = u->host;
                        rows.n = 0;
                        err = fp_store_exposure_of_track_host(tx, t->id, host, t->cycle,
                                                              expo_collect, &rows, diag);
                        if (err == FP_OK && rows.oom)
                                err = FP_ENOMEM;
                        if (err == FP_OK && rows.n)
                                err = host_provider(tx, host, &provider, NULL, diag);
                }
                bool fixed = false;
                for (size_t k = 0; err == FP_OK && k < rows.n; k++)
                        fixed |= rows.v[k].fixed_at != 0 && !strcmp(rows.v[k].package, u->name) &&
                                 !strcmp(rows.v[k].arch, u->arch);
                if (err != FP_OK || !fixed || provider)
                        continue;
                const char *job = NULL, *verdict = NULL;
                err = verified_job(tx, u->host, u->name, u->arch, u->version, &job, &verdict,
                                   diag);
                unverified = err == FP_OK && !job;
        }
        if (err == FP_OK)
                *v = unverified ? FP_CLOSE_RESOLVED : FP_CLOSE_CLOSED;
        free(picks);
        free(rows.v);
        free(links.cr);
        free(ups.v);
        return err;
}

/* The closing rule over every exposure of the cycle, as fp_track_eval decided it before
 * fast_verdict: the reference the unit test compares with. */
static enum fp_err full_verdict(struct fp_tx *tx, const struct fp_track_rec *t,
                                enum fp_close_verdict *v, struct fp_diag *diag)
{
        struct expo_list m = {0};
        struct link_list links = {0};
        struct upd_list ups = {0};
        size_t live = 0;
        enum fp_err err = fp_store_exposure_of_track(tx, t->id, t->cycle, expo_collect, &m, diag);
        if (err == FP_OK && m.oom)
                err = FP_ENOMEM;
        if (err == FP_OK)
                err = live_updates(tx, t, &links, &ups, &live, diag);
        struct fp_close_input *in = err == FP_OK && m.n ? calloc(m.n, sizeof(*in)) : NULL;
        if (err == FP_OK && m.n && !in)
                err = FP_ENOMEM;
        for (size_t i = 0; err == FP_OK && i < m.n; i++) {
                const struct fp_exposure_rec *e = &m.v[i];
                err = host_provider(tx, e->host, &in[i].provider, NULL, diag);
                in[i].open = e->fixed_at == 0;
                in[i].excepted = e->fixed_at == 0 && e->exception > 0;
                const char *version = change_version(&ups, e->host, e->package, e->arch);
                in[i].by_change = version != NULL;
                const char *job = NULL, *verdict = NULL;
                if (err == FP_OK && version)
                        err = verified_job(tx, e->host, e->package, e->arch, version, &job,
                                           &verdict, diag);
                in[i].job_verified = job != NULL;
        }
        if (err == FP_OK)
                *v = fp_close_decide(in, m.n);
        free(in);
        free(m.v);
        free(links.cr);
        free(ups.v);
        return err;
}

enum fp_err fp_track_decide(struct fp_tx *tx, const char *id, bool full,
                            enum fp_close_verdict *v, struct fp_diag *diag)
{
        struct fp_track_rec t;
        enum fp_err err = fp_store_track_get(tx, id, &t, diag);
        if (err != FP_OK)
                return err;
        return full ? full_verdict(tx, &t, v, diag) : fast_verdict(tx, &t, v, diag);
}

enum fp_err fp_track_eval(struct fp_server *srv, struct fp_tx *tx, const char *id, int64_t now,
                          struct fp_diag *diag)
{
        struct fp_track_rec t;
        enum fp_err err = fp_store_track_get(tx, id, &t, diag);
        if (err != FP_OK || !strcmp(t.state, "closed"))
                return err;
        bool same = false;
        err = still_open(tx, &t, &same, diag);
        if (err != FP_OK || same)
                return err;
        /* Resolved or closed is decided from the blocking rows only; then nothing is open, so
         * KEV and SLA are off and the severity stays: a record that stays resolved costs no
         * listing, and one that closes lists at most FP_MAX_TRACK_EVIDENCE_HOSTS rows. */
        enum fp_close_verdict fast = FP_CLOSE_OPEN;
        err = fast_verdict(tx, &t, &fast, diag);
        if (err != FP_OK)
                return err;
        if (fast != FP_CLOSE_OPEN &&
            !strcmp(t.state, fast == FP_CLOSE_CLOSED ? "closed" : "resolved") && !t.kev &&
            !t.sla_due)
                return FP_OK;
        struct expo_list m = {.limit = fast != FP_CLOSE_OPEN ? FP_MAX_TRACK_EVIDENCE_HOSTS : 0};
        struct link_list links = {0};
        struct upd_list ups = {0};
        struct fp_close_input *in = NULL;
        json_t *hosts = json_array();
        err = fp_store_exposure_of_track(tx, id, t.cycle, expo_collect, &m, diag);
        if (err == FP_OK && m.oom)
                err = FP_ENOMEM;
        size_t live = 0;
        if (err == FP_OK)
                err = live_updates(tx, &t, &links, &ups, &live, diag);
        in = m.n ? calloc(m.n, sizeof(*in)) : NULL;
        if (err == FP_OK && m.n && !in)
                err = FP_ENOMEM;
        int top = 0;
        bool kev = false;
        int64_t due = 0;
        size_t open_gaps = 0, provider = 0;
        for (size_t i = 0; err == FP_OK && i < m.n; i++) {
                const struct fp_exposure_rec *e = &m.v[i];
                struct fp_host_rec h;
                err = fp_store_host_get(tx, e->host, &h, diag);
                if (err != FP_OK)
                        break;
                json_t *tags = fp_json_tags(&h);
                const char *pb = json_string_value(json_object_get(tags, "patched_by"));
                in[i].provider = pb && !strcmp(pb, "provider");
                json_decref(tags);
                in[i].open = e->fixed_at == 0;
                in[i].excepted = e->fixed_at == 0 && e->exception > 0;
                const char *version = change_version(&ups, e->host, e->package, e->arch);
                in[i].by_change = version != NULL;
                const char *job = NULL, *verdict = NULL;
                if (version)
                        err = verified_job(tx, e->host, e->package, e->arch, version, &job,
                                           &verdict, diag);
                in[i].job_verified = job != NULL;
                const char *what = in[i].provider   ? "provider"
                                   : in[i].excepted ? "excepted"
                                   : in[i].open     ? "open"
                                   : in[i].by_change && !job ? "fixed-unverified"
                                                             : "fixed";
                open_gaps += !strcmp(what, "open");
                provider += in[i].provider;
                if (in[i].open && !in[i].excepted && !in[i].provider) {
                        if (sev_rank(e->severity) > top)
                                top = sev_rank(e->severity);
                        kev |= e->kev;
                        if (e->sla_due && (!due || e->sla_due < due))
                                due = e->sla_due;
                }
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:I}", "host",
                                      e->host, "hostname", h.hostname, "package", e->package,
                                      "arch", e->arch, "installed", e->installed, "verdict", what,
                                      "first_seen", (json_int_t)e->first_seen, "fixed_at",
                                      (json_int_t)e->fixed_at, "inventory_hash",
                                      *e->fixed_inventory ? e->fixed_inventory : h.inventory_hash,
                                      "exception", (json_int_t)e->exception);
                if (o && job)
                        json_object_set_new(o, "job", json_string(job));
                if (o && verdict)
                        json_object_set_new(o, "job_verdict", json_string(verdict));
                if (o && version)
                        json_object_set_new(o, "change_version", json_string(version));
                json_array_append_new(hosts, o);
        }
        if (err != FP_OK)
                goto out;
        enum fp_close_verdict v = fast != FP_CLOSE_OPEN ? fast : fp_close_decide(in, m.n);
        bool was_risk = !strcmp(t.state, "risk_accepted");
        bool keep_risk = v == FP_CLOSE_OPEN && was_risk && t.risk_until > now;
        const char *state = v == FP_CLOSE_CLOSED     ? "closed"
                            : v == FP_CLOSE_RESOLVED ? "resolved"
                            : keep_risk              ? "risk_accepted"
                            : live                   ? "in_progress"
                                                     : "open";
        bool expired = was_risk && !keep_risk;
        static const char *const sevs[] = {"unknown", "negligible", "low",
                                           "medium",  "high",       "critical"};
        const char *sev = top ? sevs[top] : t.severity;
        bool changed = strcmp(state, t.state) || t.kev != kev || t.sla_due != due ||
                       (top && strcmp(sev, t.severity));
        if (!changed)
                goto out;
        char *evidence = NULL;
        if (v == FP_CLOSE_CLOSED) {
                json_t *crs = json_array();
                for (size_t i = 0; i < links.n; i++)
                        json_array_append_new(crs, json_string(links.cr[i]));
                json_t *ev = json_pack("{s:I, s:I, s:O, s:o, s:I, s:b, s:I}", "closed",
                                       (json_int_t)now, "cycle", (json_int_t)t.cycle, "hosts",
                                       hosts, "change_requests", crs, "provider_patched",
                                       (json_int_t)provider, "hosts_truncated", (int)m.more,
                                       "hosts_max", (json_int_t)FP_MAX_TRACK_EVIDENCE_HOSTS);
                evidence = ev ? json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
                json_decref(ev);
                if (!evidence) {
                        err = FP_ENOMEM;
                        goto out;
                }
                t.closed = now;
                t.evidence = evidence;
        }
        const char *was = t.state;
        t.state = state;
        t.kev = kev;
        t.sla_due = due;
        t.severity = sev;
        if (expired)
                t.risk_until = 0;
        t.updated = now;
        err = fp_store_track_put(tx, &t, diag);
        if (err == FP_OK && strcmp(state, was))
                err = history(tx, id, now, "system",
                              expired && v == FP_CLOSE_OPEN ? "risk_expired" : state,
                              json_pack("{s:s, s:I, s:I, s:O}", "from", was, "open_hosts",
                                        (json_int_t)open_gaps, "provider_hosts",
                                        (json_int_t)provider, "hosts", hosts),
                              diag);
        if (err == FP_OK && strcmp(state, was))
                err = audit_state(srv, tx, &t, was, now, diag);
        if (err == FP_OK && v == FP_CLOSE_CLOSED)
                err = notify(srv, tx, &t, "tracking.closed", now, diag);
        free(evidence);
out:
        json_decref(hosts);
        free(in);
        free(m.v);
        free(links.cr);
        free(ups.v);
        return err;
}
