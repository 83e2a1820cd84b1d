/*
 * The store's notification part (docs/notifications.md): groups, subscriptions, the event
 * outbox and its deliveries with their dead-letter state. Same rules as store.h: every call is
 * inside a transaction, strings of reads live in the transaction's arena, JSON members are
 * text the server validated.
 */
#ifndef FLEETPATCH_STORE_NOTIFY_H
#define FLEETPATCH_STORE_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_tx;

/* A named group of an account: members (JSON array of user names) and emails (JSON array of
 * addresses). Tracking records are assigned to these groups by name ("resolver groups"). */
struct fp_notify_group_rec {
        const char *account, *name, *members, *emails;
        int64_t created, updated;
};
typedef bool (*fp_notify_group_cb)(void *ctx, const struct fp_notify_group_rec *g);

/* A subscription: owned by a user (owner_user, owner_group "") or a group of the account
 * (owner_group, owner_user ""); events is a JSON array of event types. channel "webhook" uses
 * url and secret, "email" uses to (JSON array; for a group, empty means the group's emails). */
struct fp_notify_sub_rec {
        const char *id, *account, *owner_user, *owner_group, *events, *channel;
        const char *url, *secret, *to, *subject_tpl, *body_tpl, *created_by;
        int64_t created;
};
typedef bool (*fp_notify_sub_cb)(void *ctx, const struct fp_notify_sub_rec *s);

/* An event of the outbox; (account, type, key) is unique. */
struct fp_notify_event_rec {
        int64_t id;
        const char *account, *type, *key, *subject, *data; /* data: JSON object */
        int64_t created;
};

/* One event to one subscription. state: "pending" (due at next_at), "sending" (claimed by a
 * worker until next_at; due again after that if the worker died), "sent", "dead". */
struct fp_notify_delivery_rec {
        int64_t id;
        const char *sub, *state, *error;
        int64_t attempts, next_at, status, created, updated;
        struct fp_notify_event_rec ev;
        struct fp_notify_sub_rec s; /* the subscription (id "" when it was removed) */
};
typedef bool (*fp_notify_delivery_cb)(void *ctx, const struct fp_notify_delivery_rec *d);

/* create: FP_EEXIST when the name is taken; otherwise FP_ENOTFOUND when it does not exist. */
enum fp_err fp_store_notify_group_put(struct fp_tx *tx, const struct fp_notify_group_rec *g,
                                      bool create, struct fp_diag *diag);
enum fp_err fp_store_notify_group_get(struct fp_tx *tx, const char *account, const char *name,
                                      struct fp_notify_group_rec *out, struct fp_diag *diag);
enum fp_err fp_store_notify_group_list(struct fp_tx *tx, const char *account,
                                       fp_notify_group_cb cb, void *ctx, struct fp_diag *diag);
/* Also removes the group's subscriptions (and their queued deliveries). */
enum fp_err fp_store_notify_group_delete(struct fp_tx *tx, const char *account, const char *name,
                                         struct fp_diag *diag);

enum fp_err fp_store_notify_sub_create(struct fp_tx *tx, const struct fp_notify_sub_rec *s,
                                       struct fp_diag *diag);
enum fp_err fp_store_notify_sub_get(struct fp_tx *tx, const char *id,
                                    struct fp_notify_sub_rec *out, struct fp_diag *diag);
/* Oldest first; owner_user NULL = every subscription of the account. */
enum fp_err fp_store_notify_sub_list(struct fp_tx *tx, const char *account,
                                     const char *owner_user, fp_notify_sub_cb cb, void *ctx,
                                     struct fp_diag *diag);
enum fp_err fp_store_notify_sub_delete(struct fp_tx *tx, const char *id, struct fp_diag *diag);
/* How many subscriptions the account has (the limit FP_MAX_NOTIFY_SUBS). */
enum fp_err fp_store_notify_sub_count(struct fp_tx *tx, const char *account, int64_t *n,
                                      struct fp_diag *diag);

/* Queue an event: *queued false when (account, type, key) was queued before (nothing
 * written). Deliveries are made, due at ev->created, for each subscription of the account
 * that names the type and is not owned by a group, or is owned by group (may be NULL);
 * only_sub (may be NULL) restricts them to that one subscription. *deliveries: how many. */
enum fp_err fp_store_notify_event_queue(struct fp_tx *tx, const struct fp_notify_event_rec *ev,
                                        const char *group, const char *only_sub, bool *queued,
                                        int64_t *deliveries, struct fp_diag *diag);

/* Claim up to limit deliveries due at now ("pending", or "sending" whose claim ran out):
 * each becomes "sending" until lease_until with attempts + 1, then cb sees it (with the
 * attempt it is on). */
enum fp_err fp_store_notify_delivery_claim(struct fp_tx *tx, int64_t now, int64_t lease_until,
                                           int64_t limit, fp_notify_delivery_cb cb, void *ctx,
                                           struct fp_diag *diag);
/* Record an attempt: state "sent", "pending" (again at next_at) or "dead"; status is the HTTP
 * or SMTP status (0 when none), error "" on success. */
enum fp_err fp_store_notify_delivery_finish(struct fp_tx *tx, int64_t id, const char *state,
                                            int64_t status, const char *error, int64_t next_at,
                                            int64_t now, struct fp_diag *diag);
/* Newest first; state NULL = any; owner_user non-NULL = only that user's subscriptions. */
enum fp_err fp_store_notify_delivery_list(struct fp_tx *tx, const char *account,
                                          const char *state, const char *owner_user,
                                          int64_t limit, fp_notify_delivery_cb cb, void *ctx,
                                          struct fp_diag *diag);
enum fp_err fp_store_notify_delivery_get(struct fp_tx *tx, int64_t id,
                                         struct fp_notify_delivery_rec *out, struct fp_diag *diag);
/* A dead delivery back to "pending" at now with its attempts reset; FP_ENOTFOUND when it is
 * not dead. */
enum fp_err fp_store_notify_delivery_requeue(struct fp_tx *tx, int64_t id, int64_t now,
                                             struct fp_diag *diag);

#endif
