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
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_server;
struct fp_tx;

/* Queue an event of type for account in tx. key makes it idempotent: an event with the same
 * (account, type, key) is queued once ("host:ID:CVE-..." for an exposure). data: a JSON
 * object (borrowed) with the event's facts; subject: one line for humans. */
enum fp_err fp_notify_event(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                            const char *account, const char *type, const char *key,
                            const char *subject, const json_t *data, struct fp_diag *diag);

#endif
