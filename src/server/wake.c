/*
 * Waking the agents' long polls across replicas. An agent waits on whichever fleetpatchd
 * replica its connection reached; the job for it may be queued by another (the scheduler's
 * leader, or an operator's request on a third). fp_wake_hosts wakes the local waiters and
 * signals the other replicas through the store (PostgreSQL NOTIFY; with SQLite there is
 * one process and nothing is sent); fp_wake_listen has this replica wake its own waiters
 * for what the others signal. A lost signal (the listening session reconnecting) costs
 * only latency: the poll ends at its deadline and the agent asks again.
 *
 * Message: "wake ID ID ..." (host ids, space-separated, at most FP_STORE_SIGNAL_MAX bytes).
 */
#include <stdio.h>
#include <string.h>

#include "server/server.h"

static void signal_batch(struct fp_server *srv, const char *msg)
{
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_store_signal(srv->store, msg, &diag) != FP_OK)
                fprintf(stderr, "fleetpatchd: wake signal: %s\n", diag.msg);
}

void fp_wake_hosts(struct fp_server *srv, const char *const *ids, size_t n)
{
        char msg[FP_STORE_SIGNAL_MAX + 1];
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
                fp_longpoll_wake(srv->longpoll, ids[i]);
                size_t idn = strlen(ids[i]);
                if (!idn || idn > FP_WAKE_ID_MAX)
                        continue;
                if (len && len + 1 + idn > FP_STORE_SIGNAL_MAX) {
                        signal_batch(srv, msg);
                        len = 0;
                }
                len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", len ? " " : "wake ",
                                        ids[i]);
        }
        if (len)
                signal_batch(srv, msg);
}

void fp_wake_host(struct fp_server *srv, const char *id)
{
        fp_wake_hosts(srv, &id, 1);
}

size_t fp_wake_parse(const char *msg, void (*each)(void *ctx, const char *id), void *ctx)
{
        if (strncmp(msg, "wake ", 5))
                return 0; /* a kind this version does not know: a newer replica's */
        size_t ids = 0;
        for (const char *p = msg + 5; *p;) {
                size_t n = strspn(p, "0123456789abcdef");
                char id[FP_WAKE_ID_MAX + 1];
                if (n && n <= FP_WAKE_ID_MAX && (p[n] == ' ' || !p[n])) {
                        memcpy(id, p, n);
                        id[n] = 0;
                        each(ctx, id);
                        ids++;
                }
                p += n + strcspn(p + n, " "); /* a malformed word is skipped whole */
                p += *p == ' ';
        }
        return ids;
}

static void wake_one(void *ctx, const char *id)
{
        fp_longpoll_wake(((struct fp_server *)ctx)->longpoll, id);
}

static void on_signal(void *ctx, const char *msg)
{
        if (fp_wake_parse(msg, wake_one, ctx))
                fp_metrics_count("replica_wake_signals_total", 1);
}

enum fp_err fp_wake_listen(struct fp_server *srv, struct fp_diag *diag)
{
        return fp_store_listen(srv->store, on_signal, srv, diag);
}

void fp_wake_stop(struct fp_server *srv)
{
        fp_store_listen(srv->store, NULL, NULL, NULL);
}
