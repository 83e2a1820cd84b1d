/*
 * Notifications (docs/notifications.md): events queued in the transaction of the change that
 * caused them (queued only if it commits), matched to subscriptions, delivered by webhook
 * (HMAC-SHA256 with a timestamp) or email (SMTP with STARTTLS through libcurl) with retries
 * and backoff, and kept in a dead-letter list when they cannot be delivered.
 *
 * Event types (the closed list; subscriptions name them):
 *   exposure.critical   a host newly exposed to a critical finding
 *   exposure.kev        a host newly exposed to a known-exploited (CISA KEV) vulnerability
 *   change.approval     a change request was submitted and needs approval
 *   window.starting     a rollout's maintenance window opens soon
 *   rollout.halted      a rollout halted (error budget, health gate)
 *   sla.breach          a finding passed its SLA deadline on a host
 *   host.catchup        a host was marked as needing catch-up
 *   maintenance.planned customer-facing notice of planned maintenance for an account
 *   report.ready        a scheduled report is ready (data.report; data.html is attached to email)
 *   tracking.opened / tracking.closed   a tracking record opened or closed
 */
#ifndef FP_SERVER_NOTIFY_H
#define FP_SERVER_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_server;
struct fp_srv_config;
struct fp_tx;

/* Queue an event of type for account in tx. key makes it idempotent: an event with the same
 * (account, type, key) is queued once ("host:ID:CVE-..." for an exposure). data: a JSON
 * object (borrowed) with the event's facts; subject: one line for humans. */
enum fp_err fp_notify_event(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                            const char *account, const char *type, const char *key,
                            const char *subject, const json_t *data, struct fp_diag *diag);

/* ---- the closed list of event types ---- */
extern const char *const fp_notify_types[];
extern const size_t fp_notify_type_count;
bool fp_notify_type_valid(const char *type);

/* ---- templates: text with {{name}} placeholders (docs/notifications.md "Templates") ----
 * Names: type, account, key, subject, created (UTC, RFC 3339), event (the event's id) and
 * data.NAME (a member of the event's data; "" when absent). Single braces are text. */
/* FP_EPARSE with the byte offset in diag->line (1-based column) and the reason: an unknown
 * placeholder, a "{{" without "}}", a "}}" without "{{", an empty name; FP_ELIMIT past
 * FP_MAX_NOTIFY_TEMPLATE or FP_MAX_NOTIFY_PLACEHOLDER. */
enum fp_err fp_notify_tpl_check(const char *tpl, size_t len, struct fp_diag *diag);
struct fp_notify_vars {
        const char *type, *account, *key, *subject;
        int64_t created, event;
        const json_t *data; /* may be NULL */
};
/* Render a checked template (NULL or "" renders as ""); malloc'd, NULL on out of memory. */
char *fp_notify_tpl_render(const char *tpl, const struct fp_notify_vars *v);

/* ---- retries ---- */
/* Seconds to wait after failed attempt number attempt (1-based): base * 2^(attempt-1), at most
 * cap. */
int64_t fp_notify_backoff(int64_t base, int64_t cap, int64_t attempt);

/* ---- email ---- */
struct fp_notify_email {
        const char *from;
        const char *const *to; /* n_to addresses */
        size_t n_to;
        const char *subject; /* CR/LF become spaces; non-ASCII is RFC 2047 encoded */
        const char *text;    /* the text/plain part */
        const char *html;    /* NULL or an HTML attachment */
        const char *html_name; /* its file name ("report.html") */
        const char *csv;     /* NULL or a CSV attachment (text/csv) */
        const char *csv_name;
        int64_t date;        /* the Date header */
        const char *message_id; /* "<...@...>" */
        const char *event_type; /* X-Fleetpatch-Event */
};
/* The RFC 5322 message with CRLF line ends (MIME multipart/mixed with the attachments when
 * html or csv is set); malloc'd; NULL on out of memory. */
char *fp_notify_email_build(const struct fp_notify_email *m);
/* Is it a plausible mailbox (local@domain, printable ASCII without spaces, <>, quotes)? */
bool fp_notify_address_valid(const char *s);

/* ---- producers (each in the transaction of the change it reports) ---- */
struct fp_cr_rec;
struct fp_host_rec;
struct fp_host_counts;
struct fp_orch_rollout;
/* change.approval: a change request was submitted. */
enum fp_err fp_notify_cr_submitted(struct fp_server *srv, struct fp_tx *tx,
                                   const struct fp_cr_rec *c, int64_t now, struct fp_diag *diag);
/* maintenance.planned: a change request was scheduled; data.openings has the first opening
 * of its window in each zone of its hosts, UTC and local. Call after its rollout exists. */
enum fp_err fp_notify_cr_planned(struct fp_server *srv, struct fp_tx *tx,
                                 const struct fp_cr_rec *c, int64_t now, struct fp_diag *diag);
/* rollout.halted when the status became halted (before: the enum fp_ro_status at the start of
 * the tick), window.starting for each opening within notify_window_lead (once per opening
 * and zone). */
enum fp_err fp_notify_rollout(struct fp_server *srv, struct fp_tx *tx,
                              const struct fp_orch_rollout *o, int before, int64_t now,
                              struct fp_diag *diag);
/* host.catchup: the host was just marked (reasons: the JSON array of its reasons). */
enum fp_err fp_notify_host_catchup(struct fp_tx *tx, const struct fp_host_rec *h,
                                   const json_t *reasons, int64_t now, struct fp_diag *diag);
/* exposure.kev, exposure.critical, sla.breach: the host's count rose over h->counts (the
 * counts before this inventory); keyed by the inventory and the check-in's time. */
enum fp_err fp_notify_host_counts(struct fp_server *srv, struct fp_tx *tx,
                                  const struct fp_host_rec *h, const struct fp_host_counts *now_c,
                                  const char *inventory_hash, int64_t now, struct fp_diag *diag);
/* The due deliveries at now: fp_notify_deliver until a pass claims less than a batch. */
enum fp_err fp_notify_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag);
/* Has the user a grant (viewer or more) on the account or on '*'? A user-owned subscription
 * is created and sends only while its owner has. */
struct fp_user_rec;
bool fp_notify_user_may_read(const struct fp_user_rec *u, const char *account);

/* The worker thread (main.c): fp_notify_tick every interval seconds and when kicked (an
 * event was queued, a delivery requeued). Stop waits for a send in flight. NULL-safe. */
struct fp_notifier;
struct fp_notifier *fp_notifier_start(struct fp_server *srv, long interval);
void fp_notifier_kick(struct fp_notifier *n);
void fp_notifier_stop(struct fp_notifier *n);

/* ---- the delivery worker (notify_deliver.c) ---- */
/* Is a numeric address one webhooks may not reach unless notify_allow_private is set:
 * loopback, RFC 1918, CGNAT, link-local, unspecified, multicast, IPv6 ULA and their
 * IPv4-mapped forms? (Anything unparsable counts as private.) */
bool fp_notify_private_address(const char *ip);
/* Check the smtp_* and notify_* options together (at start); false with a message. */
bool fp_notify_config_check(const struct fp_srv_config *c, char *err, size_t errsz);
/* One pass at now: claim the due deliveries (a short transaction), send each outside any
 * transaction, record the outcomes. *sent and *failed (may be NULL) count this pass. Part of
 * each scheduler tick; the tests call it by hand with their own clock. */
enum fp_err fp_notify_deliver(struct fp_server *srv, int64_t now, size_t *sent, size_t *failed,
                              struct fp_diag *diag);

#endif
