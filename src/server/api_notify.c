/*
 * The notification API of an account (docs/notifications.md): subscriptions (a user manages
 * their own, an admin every one and those of groups), groups (admins), the deliveries with
 * their dead letters and a requeue, and a test send. Secrets are stored, never shown back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/store_notify.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/server.h"

static bool is_admin(struct fp_req *r, const char *account)
{
        return fp_principal_role(&r->who, account) >= FP_ROLE_ADMIN;
}

static bool store_ok(struct fp_req *r, enum fp_err err, const struct fp_diag *diag)
{
        if (err == FP_OK)
                return true;
        req_fail(r, err, diag);
        return false;
}

/* ---- subscriptions ---- */

static json_t *sub_json(const struct fp_notify_sub_rec *s)
{
        json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:I, s:s}", "id", s->id, "account",
                              s->account, "events", fp_json_stored(s->events), "channel",
                              s->channel, "created_by", s->created_by, "created",
                              (json_int_t)s->created, "owner",
                              s->owner_group[0] ? "group" : "user");
        if (!o)
                return NULL;
        if (s->owner_group[0])
                json_object_set_new(o, "group", json_string(s->owner_group));
        else
                json_object_set_new(o, "user", json_string(s->owner_user));
        if (!strcmp(s->channel, "webhook")) {
                json_object_set_new(o, "url", json_string(s->url));
                json_object_set_new(o, "secret_set", json_boolean(s->secret[0] != 0));
        } else {
                json_object_set_new(o, "to", fp_json_stored(s->to[0] ? s->to : "[]"));
        }
        if (s->subject_tpl[0])
                json_object_set_new(o, "subject", json_string(s->subject_tpl));
        if (s->body_tpl[0])
                json_object_set_new(o, "body", json_string(s->body_tpl));
        return o;
}

/* A list of distinct event types → compact JSON text (malloc'd). */
static char *check_events(struct fp_req *r, const json_t *events)
{
        if (!json_is_array(events) || !json_array_size(events) ||
            json_array_size(events) > fp_notify_type_count) {
                req_error(r, 400, "invalid_request", "events",
                          "a list of 1..%zu event types", fp_notify_type_count);
                return NULL;
        }
        size_t i, k;
        const json_t *v;
        json_array_foreach(events, i, v)
        {
                const char *t = json_string_value(v);
                if (!fp_notify_type_valid(t)) {
                        char list[400] = "";
                        for (k = 0; k < fp_notify_type_count; k++)
                                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                                         k ? ", " : "", fp_notify_types[k]);
                        req_error(r, 400, "invalid_request", "events",
                                  "events[%zu]: '%.64s' is not an event type (%s)", i,
                                  t ? t : "(not a string)", list);
                        return NULL;
                }
                for (k = 0; k < i; k++)
                        if (!strcmp(t, json_string_value(json_array_get(events, k)))) {
                                req_error(r, 400, "invalid_request", "events",
                                          "events[%zu]: '%s' is listed twice", i, t);
                                return NULL;
                        }
        }
        char *text = json_dumps(events, JSON_COMPACT);
        if (!text)
                req_error(r, 500, "internal", NULL, "out of memory");
        return text;
}

/* A list of email addresses (1..FP_MAX_NOTIFY_RECIPIENTS unless may_be_empty) → JSON text. */
static char *check_addresses(struct fp_req *r, const json_t *arr, const char *field,
                             bool may_be_empty)
{
        if (!arr && may_be_empty)
                return strdup("[]");
        if (!json_is_array(arr) || json_array_size(arr) > FP_MAX_NOTIFY_RECIPIENTS ||
            (!may_be_empty && !json_array_size(arr))) {
                req_error(r, 400, "invalid_request", field, "a list of %d..%d email addresses",
                          may_be_empty ? 0 : 1, FP_MAX_NOTIFY_RECIPIENTS);
                return NULL;
        }
        size_t i;
        const json_t *v;
        json_array_foreach(arr, i, v)
        {
                if (!fp_notify_address_valid(json_string_value(v))) {
                        req_error(r, 400, "invalid_request", field,
                                  "%s[%zu]: not an email address (local@domain, at most %d "
                                  "bytes, no spaces, quotes or angle brackets)",
                                  field, i, FP_MAX_NOTIFY_ADDRESS);
                        return NULL;
                }
        }
        char *text = json_dumps(arr, JSON_COMPACT);
        if (!text)
                req_error(r, 500, "internal", NULL, "out of memory");
        return text;
}

static bool check_template(struct fp_req *r, const char *field, const char *tpl)
{
        if (!tpl)
                return true;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_notify_tpl_check(tpl, strlen(tpl), &d) == FP_OK)
                return true;
        req_error(r, 400, "invalid_template", field, "%s: %s", field, d.msg);
        return false;
}

static bool check_url(struct fp_req *r, const char *url)
{
        size_t n = url ? strlen(url) : 0;
        bool ok = n && n <= FP_MAX_NOTIFY_URL &&
                  (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8));
        for (size_t i = 0; ok && i < n; i++)
                ok = (unsigned char)url[i] > 0x20 && (unsigned char)url[i] < 0x7f;
        if (!ok)
                req_error(r, 400, "invalid_request", "url",
                          "url: an http:// or https:// URL of at most %d bytes without spaces",
                          FP_MAX_NOTIFY_URL);
        return ok;
}

static bool check_secret(struct fp_req *r, const char *secret)
{
        size_t n = secret ? strlen(secret) : 0;
        bool ok = n >= 16 && n <= FP_MAX_NOTIFY_SECRET;
        for (size_t i = 0; ok && i < n; i++)
                ok = (unsigned char)secret[i] >= 0x20 && (unsigned char)secret[i] < 0x7f;
        if (!ok)
                req_error(r, 400, "invalid_request", "secret",
                          "secret: 16..%d printable ASCII bytes (the HMAC-SHA256 key)",
                          FP_MAX_NOTIFY_SECRET);
        return ok;
}

void api_notify_subs_create(struct fp_req *r)
{
        static const char *const allowed[] = {"user", "group", "events", "channel", "url",
                                              "secret", "to", "subject", "body", NULL};
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        if (!account || !req_members(r, r->json, NULL, allowed))
                return;
        const char *user = NULL, *group = NULL, *channel = NULL, *url = NULL, *secret = NULL;
        const char *subject = NULL, *body = NULL;
        if (!req_str(r, r->json, "user", false, FP_MAX_IDENT, &user) ||
            !req_str(r, r->json, "group", false, FP_MAX_IDENT, &group) ||
            !req_str(r, r->json, "channel", true, 16, &channel) ||
            !req_str(r, r->json, "url", false, FP_MAX_NOTIFY_URL, &url) ||
            !req_str(r, r->json, "secret", false, FP_MAX_NOTIFY_SECRET, &secret) ||
            !req_str(r, r->json, "subject", false, FP_MAX_NOTIFY_TEMPLATE, &subject) ||
            !req_str(r, r->json, "body", false, FP_MAX_NOTIFY_TEMPLATE, &body))
                return;
        if (user && group) {
                req_error(r, 400, "invalid_request", "group",
                          "a subscription belongs to a user or a group, not both");
                return;
        }
        if (r->who.kind != FP_PRINCIPAL_USER) {
                req_error(r, 403, "forbidden", NULL, "subscriptions belong to users");
                return;
        }
        if (!user && !group)
                user = r->who.user;
        if ((group || strcmp(user, r->who.user)) && !is_admin(r, account)) {
                req_error(r, 403, "forbidden", NULL,
                          "only an admin of '%s' subscribes other users or groups", account);
                return;
        }
        bool webhook = !strcmp(channel, "webhook");
        if (!webhook && strcmp(channel, "email")) {
                req_error(r, 400, "invalid_request", "channel", "channel: webhook or email");
                return;
        }
        if (webhook ? json_object_get(r->json, "to") != NULL
                    : (url || secret)) {
                req_error(r, 400, "invalid_request", webhook ? "to" : "url",
                          webhook ? "a webhook has url and secret, not to"
                                  : "an email subscription has to, not url or secret");
                return;
        }
        if (webhook && (!check_url(r, url) || !check_secret(r, secret)))
                return;
        if (!webhook && !r->srv->cfg.smtp_url[0]) {
                req_error(r, 400, "invalid_request", "channel",
                          "this server sends no email: smtp_url is not configured");
                return;
        }
        if (!check_template(r, "subject", subject) || !check_template(r, "body", body))
                return;
        char *events = check_events(r, json_object_get(r->json, "events"));
        char *to = events && !webhook
                       ? check_addresses(r, json_object_get(r->json, "to"), "to", group != NULL)
                       : NULL;
        struct fp_tx *tx = events && (webhook || to) ? req_tx(r, true) : NULL;
        if (!tx)
                goto out;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        int64_t n = 0;
        if (!store_ok(r, fp_store_notify_sub_count(tx, account, &n, &diag), &diag))
                goto out;
        if (n >= FP_MAX_NOTIFY_SUBS) {
                req_error(r, 400, "limit", NULL, "account '%s' has %d subscriptions, the most "
                          "it may have", account, FP_MAX_NOTIFY_SUBS);
                goto out;
        }
        if (group) {
                struct fp_notify_group_rec g;
                enum fp_err err = fp_store_notify_group_get(tx, account, group, &g, &diag);
                if (err == FP_ENOTFOUND) {
                        req_error(r, 400, "invalid_request", "group",
                                  "account '%s' has no group '%s'", account, group);
                        goto out;
                }
                if (!store_ok(r, err, &diag))
                        goto out;
        } else if (strcmp(user, r->who.user)) {
                struct fp_user_rec u;
                enum fp_err err = fp_store_user_get(tx, user, &u, &diag);
                if (err == FP_ENOTFOUND) {
                        req_error(r, 400, "invalid_request", "user", "no user '%s'", user);
                        goto out;
                }
                if (!store_ok(r, err, &diag))
                        goto out;
                if (!fp_notify_user_may_read(&u, account)) {
                        req_error(r, 400, "invalid_request", "user",
                                  "user '%s' has no grant on account '%s': their subscription "
                                  "would send nothing",
                                  user, account);
                        goto out;
                }
        }
        char id[17];
        fp_new_id(id);
        struct fp_notify_sub_rec s = {.id = id, .account = account,
                                      .owner_user = group ? "" : user,
                                      .owner_group = group ? group : "", .events = events,
                                      .channel = channel, .url = webhook ? url : "",
                                      .secret = webhook ? secret : "", .to = webhook ? "[]" : to,
                                      .subject_tpl = subject ? subject : "",
                                      .body_tpl = body ? body : "", .created_by = r->who.user,
                                      .created = r->now};
        if (!store_ok(r, fp_store_notify_sub_create(tx, &s, &diag), &diag))
                goto out;
        req_answer(r, 201, sub_json(&s));
out:
        free(events);
        free(to);
}

struct list_ctx {
        json_t *arr;
};

static bool sub_list_cb(void *ctx, const struct fp_notify_sub_rec *s)
{
        json_array_append_new(((struct list_ctx *)ctx)->arr, sub_json(s));
        return true;
}

void api_notify_subs_list(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, false) : NULL;
        if (!tx)
                return;
        struct list_ctx c = {json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        /* Admins see every subscription of the account, others their own. */
        const char *owner = is_admin(r, account) ? NULL : r->who.user;
        enum fp_err err = fp_store_notify_sub_list(tx, account, owner, sub_list_cb, &c, &diag);
        if (!store_ok(r, err, &diag)) {
                json_decref(c.arr);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "subscriptions", c.arr));
}

/* The path's subscription if the caller may see it (its owner or an admin); answers 404. */
static bool path_sub(struct fp_req *r, bool write, struct fp_notify_sub_rec *s)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, write) : NULL;
        if (!tx)
                return false;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_notify_sub_get(tx, r->params[1], s, &diag);
        if (err == FP_OK && (strcmp(s->account, account) ||
                             (!is_admin(r, account) && strcmp(s->owner_user, r->who.user))))
                err = FP_ENOTFOUND;
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no subscription '%.32s'", r->params[1]);
                return false;
        }
        return store_ok(r, err, &diag);
}

void api_notify_subs_get(struct fp_req *r)
{
        struct fp_notify_sub_rec s;
        if (path_sub(r, false, &s))
                req_answer(r, 200, sub_json(&s));
}

void api_notify_subs_delete(struct fp_req *r)
{
        struct fp_notify_sub_rec s;
        if (!path_sub(r, true, &s))
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (store_ok(r, fp_store_notify_sub_delete(r->tx, s.id, &diag), &diag))
                req_answer(r, 200, json_pack("{s:s}", "deleted", s.id));
}

void api_notify_subs_test(struct fp_req *r)
{
        struct fp_notify_sub_rec s;
        if (!path_sub(r, true, &s))
                return;
        json_t *events = fp_json_stored(s.events);
        const char *type = json_string_value(json_array_get(events, 0));
        char key[96], subject[160];
        char nonce[17];
        fp_new_id(nonce);
        snprintf(key, sizeof(key), "test:%s:%lld:%s", s.id, (long long)r->now, nonce);
        snprintf(subject, sizeof(subject), "fleetpatch test notification (subscription %s)",
                 s.id);
        json_t *facts = json_pack("{s:b, s:s, s:s}", "test", 1, "subscription", s.id,
                                  "requested_by", r->who.user);
        char *data = facts ? json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(facts);
        struct fp_notify_event_rec ev = {.account = s.account, .type = type ? type : "",
                                         .key = key, .subject = subject,
                                         .data = data ? data : "{}", .created = r->now};
        bool queued = false;
        int64_t n = 0;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_notify_event_queue(r->tx, &ev, s.owner_group, s.id, &queued,
                                                      &n, &diag);
        if (store_ok(r, err, &diag)) {
                fp_notifier_kick(r->srv->notifier);
                req_answer(r, 202, json_pack("{s:s, s:s, s:I}", "subscription", s.id, "type",
                                             ev.type, "queued", (json_int_t)n));
        }
        free(data);
        json_decref(events);
}

/* ---- groups ---- */

static json_t *group_json(const struct fp_notify_group_rec *g)
{
        return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I}", "account", g->account, "name", g->name,
                         "members", fp_json_stored(g->members), "emails",
                         fp_json_stored(g->emails), "created", (json_int_t)g->created,
                         "updated", (json_int_t)g->updated);
}

static bool group_list_cb(void *ctx, const struct fp_notify_group_rec *g)
{
        json_array_append_new(((struct list_ctx *)ctx)->arr, group_json(g));
        return true;
}

void api_notify_groups_list(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        struct fp_tx *tx = account ? req_tx(r, false) : NULL;
        if (!tx)
                return;
        struct list_ctx c = {json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (!store_ok(r, fp_store_notify_group_list(tx, account, group_list_cb, &c, &diag),
                      &diag)) {
                json_decref(c.arr);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "groups", c.arr));
}

struct count_ctx {
        size_t n;
};
static bool group_count_cb(void *ctx, const struct fp_notify_group_rec *g)
{
        (void)g;
        ((struct count_ctx *)ctx)->n++;
        return true;
}

/* POST (name in the body) and PUT (name in the path): members and emails replace. */
static void group_put(struct fp_req *r, bool create)
{
        static const char *const allowed[] = {"name", "members", "emails", NULL};
        const char *account = req_path_account(r, FP_ROLE_ADMIN);
        if (!account || !req_members(r, r->json, NULL, allowed))
                return;
        const char *name = create ? NULL : r->params[1];
        const char *body_name = NULL;
        if (!req_str(r, r->json, "name", create, FP_MAX_IDENT, &body_name))
                return;
        if (body_name && name && strcmp(body_name, name)) {
                req_error(r, 400, "invalid_request", "name",
                          "the body names '%s' but the path '%s'", body_name, name);
                return;
        }
        name = name ? name : body_name;
        if (!fp_valid_ident(name)) {
                req_error(r, 400, "invalid_request", "name",
                          "name: an identifier [a-z0-9._-] of at most %d characters",
                          FP_MAX_IDENT);
                return;
        }
        json_t *members = json_object_get(r->json, "members");
        if (members && (!json_is_array(members) ||
                        json_array_size(members) > FP_MAX_NOTIFY_MEMBERS)) {
                req_error(r, 400, "invalid_request", "members", "a list of at most %d user names",
                          FP_MAX_NOTIFY_MEMBERS);
                return;
        }
        struct fp_tx *tx = req_tx(r, true);
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        size_t i;
        const json_t *v;
        json_array_foreach(members, i, v)
        {
                struct fp_user_rec u;
                const char *m = json_string_value(v);
                enum fp_err err = m ? fp_store_user_get(tx, m, &u, &diag) : FP_ENOTFOUND;
                if (err == FP_ENOTFOUND) {
                        req_error(r, 400, "invalid_request", "members",
                                  "members[%zu]: no user '%.64s'", i, m ? m : "(not a string)");
                        return;
                }
                if (!store_ok(r, err, &diag))
                        return;
        }
        if (create) {
                struct count_ctx c = {0};
                if (!store_ok(r, fp_store_notify_group_list(tx, account, group_count_cb, &c, &diag),
                              &diag))
                        return;
                if (c.n >= FP_MAX_NOTIFY_GROUPS) {
                        req_error(r, 400, "limit", NULL,
                                  "account '%s' has %d groups, the most it may have", account,
                                  FP_MAX_NOTIFY_GROUPS);
                        return;
                }
        }
        char *emails = check_addresses(r, json_object_get(r->json, "emails"), "emails", true);
        char *mtext = members ? json_dumps(members, JSON_COMPACT) : strdup("[]");
        if (!emails || !mtext) {
                if (emails && !mtext)
                        req_error(r, 500, "internal", NULL, "out of memory");
                free(emails);
                free(mtext);
                return;
        }
        struct fp_notify_group_rec g = {.account = account, .name = name, .members = mtext,
                                        .emails = emails, .created = r->now, .updated = r->now};
        enum fp_err err = fp_store_notify_group_put(tx, &g, create, &diag);
        if (err == FP_ENOTFOUND)
                req_error(r, 404, "not_found", NULL, "no group '%s'", name);
        else if (err == FP_EEXIST)
                req_error(r, 409, "conflict", "name", "group '%s' exists already", name);
        else if (store_ok(r, err, &diag) &&
                 store_ok(r, fp_store_notify_group_get(tx, account, name, &g, &diag), &diag))
                req_answer(r, create ? 201 : 200, group_json(&g));
        free(emails);
        free(mtext);
}

void api_notify_groups_create(struct fp_req *r)
{
        group_put(r, true);
}

void api_notify_groups_put(struct fp_req *r)
{
        group_put(r, false);
}

void api_notify_groups_delete(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_ADMIN);
        struct fp_tx *tx = account ? req_tx(r, true) : NULL;
        if (!tx)
                return;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_notify_group_delete(tx, account, r->params[1], &diag);
        if (err == FP_ENOTFOUND)
                req_error(r, 404, "not_found", NULL, "no group '%.64s'", r->params[1]);
        else if (store_ok(r, err, &diag))
                req_answer(r, 200, json_pack("{s:s}", "deleted", r->params[1]));
}

/* ---- deliveries ---- */

static json_t *delivery_json(const struct fp_notify_delivery_rec *d)
{
        json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:I,"
                              " s:{s:I, s:s, s:s, s:s, s:I}}",
                              "id", (json_int_t)d->id, "subscription", d->sub, "state", d->state,
                              "attempts", (json_int_t)d->attempts, "next_at",
                              (json_int_t)d->next_at, "status", (json_int_t)d->status, "error",
                              d->error, "created", (json_int_t)d->created, "updated",
                              (json_int_t)d->updated, "event", "id", (json_int_t)d->ev.id, "type",
                              d->ev.type, "key", d->ev.key, "subject", d->ev.subject, "created",
                              (json_int_t)d->ev.created);
        if (o && d->s.channel && d->s.channel[0])
                json_object_set_new(o, "channel", json_string(d->s.channel));
        return o;
}

static bool delivery_list_cb(void *ctx, const struct fp_notify_delivery_rec *d)
{
        json_array_append_new(((struct list_ctx *)ctx)->arr, delivery_json(d));
        return true;
}

void api_notify_deliveries_list(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        if (!account)
                return;
        const char *state = req_query(r, "state");
        if (state && strcmp(state, "pending") && strcmp(state, "sending") &&
            strcmp(state, "sent") && strcmp(state, "dead")) {
                req_error(r, 400, "invalid_request", "state",
                          "state: pending, sending, sent or dead");
                return;
        }
        const char *lim = req_query(r, "limit");
        char *end = NULL;
        long limit = lim ? strtol(lim, &end, 10) : 100;
        if (limit < 1 || limit > FP_MAX_PAGE || (lim && (end == lim || *end))) {
                req_error(r, 400, "invalid_request", "limit", "limit: 1..%d", FP_MAX_PAGE);
                return;
        }
        struct fp_tx *tx = req_tx(r, false);
        if (!tx)
                return;
        struct list_ctx c = {json_array()};
        struct fp_diag diag;
        fp_diag_clear(&diag);
        const char *owner = is_admin(r, account) ? NULL : r->who.user;
        if (!store_ok(r,
                      fp_store_notify_delivery_list(tx, account, state, owner, limit,
                                                    delivery_list_cb, &c, &diag),
                      &diag)) {
                json_decref(c.arr);
                return;
        }
        req_answer(r, 200, json_pack("{s:o}", "deliveries", c.arr));
}

void api_notify_deliveries_retry(struct fp_req *r)
{
        const char *account = req_path_account(r, FP_ROLE_VIEWER);
        if (!account)
                return;
        char *end;
        long long id = strtoll(r->params[1], &end, 10);
        struct fp_tx *tx = id > 0 && !*end ? req_tx(r, true) : NULL;
        if (!tx) {
                if (!r->status)
                        req_error(r, 404, "not_found", NULL, "no delivery '%.32s'", r->params[1]);
                return;
        }
        struct fp_notify_delivery_rec d;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_store_notify_delivery_get(tx, id, &d, &diag);
        if (err == FP_OK && (strcmp(d.ev.account, account) ||
                             (!is_admin(r, account) && strcmp(d.s.owner_user, r->who.user))))
                err = FP_ENOTFOUND;
        if (err == FP_ENOTFOUND) {
                req_error(r, 404, "not_found", NULL, "no delivery %lld", id);
                return;
        }
        if (!store_ok(r, err, &diag))
                return;
        if (strcmp(d.state, "dead")) {
                req_error(r, 409, "conflict", "state",
                          "delivery %lld is %s; only a dead one is requeued", id, d.state);
                return;
        }
        if (!store_ok(r, fp_store_notify_delivery_requeue(tx, id, r->now, &diag), &diag))
                return;
        fp_notifier_kick(r->srv->notifier);
        req_answer(r, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", "pending"));
}
