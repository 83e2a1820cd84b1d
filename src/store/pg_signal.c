/*
 * Signals between the fleetpatchd replicas on one PostgreSQL database (store.h's
 * fp_store_signal / fp_store_listen): NOTIFY on channel "fleetpatch", and one listening
 * session per process on a thread of its own.
 *
 * What they carry is a hint, never state: "a job is queued for host X" wakes the replica
 * holding X's long poll now instead of at the poll's deadline. A message lost while the
 * listening session reconnects costs that latency only; the store holds the truth.
 * A process hears its own messages too (PostgreSQL delivers to every listener): each
 * message starts with the sender's nonce, and the listener drops its own.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/pg_signal.h"

struct pg_listener {
        char *conninfo;
        char nonce[24];
        fp_store_signal_cb cb;
        void *ctx;
        atomic_bool stop;
        pthread_t th;
};

void pg_signal_nonce(char out[24])
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(out, 24, "%lx.%lx", (unsigned long)getpid(),
                 (unsigned long)(ts.tv_nsec ^ (ts.tv_sec << 20)) & 0xffffffffUL);
}

bool pg_signal_send(PGconn *db, const char *nonce, const char *msg, char *err, size_t errsz)
{
        char payload[FP_STORE_SIGNAL_MAX + 32];
        snprintf(payload, sizeof(payload), "%s %s", nonce, msg);
        const char *vals[1] = {payload};
        PGresult *res = PQexecParams(db, "SELECT pg_notify('fleetpatch', $1)", 1, NULL, vals,
                                     NULL, NULL, 0);
        bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
        if (!ok)
                snprintf(err, errsz, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return ok;
}

static PGconn *listen_connect(const char *conninfo)
{
        PGconn *db = PQconnectdb(conninfo);
        if (PQstatus(db) == CONNECTION_OK) {
                PGresult *res = PQexec(db, "LISTEN fleetpatch");
                bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
                PQclear(res);
                if (ok)
                        return db;
        }
        PQfinish(db);
        return NULL;
}

static void *listen_main(void *arg)
{
        struct pg_listener *l = arg;
        PGconn *db = NULL;
        size_t own = strlen(l->nonce);
        while (!atomic_load(&l->stop)) {
                if (!db && !(db = listen_connect(l->conninfo))) {
                        /* the database is away: try again soon, and meanwhile the long polls
                         * end at their deadlines as they would without signals */
                        struct timespec ts = {0, 500 * 1000 * 1000};
                        nanosleep(&ts, NULL);
                        continue;
                }
                /* a short timeout so that closing the store does not wait long */
                struct pollfd p = {.fd = PQsocket(db), .events = POLLIN};
                int r = poll(&p, 1, 200);
                if (r < 0 || (r > 0 && !PQconsumeInput(db)) || PQstatus(db) != CONNECTION_OK) {
                        PQfinish(db);
                        db = NULL;
                        continue;
                }
                PGnotify *n;
                while ((n = PQnotifies(db))) {
                        const char *m = n->extra;
                        bool mine = !strncmp(m, l->nonce, own) && m[own] == ' ';
                        const char *sp = strchr(m, ' ');
                        if (!mine && sp)
                                l->cb(l->ctx, sp + 1);
                        PQfreemem(n);
                }
        }
        PQfinish(db);
        return NULL;
}

struct pg_listener *pg_listener_start(const char *conninfo, const char *nonce,
                                      fp_store_signal_cb cb, void *ctx)
{
        struct pg_listener *l = calloc(1, sizeof(*l));
        if (!l || !(l->conninfo = strdup(conninfo))) {
                free(l);
                return NULL;
        }
        snprintf(l->nonce, sizeof(l->nonce), "%s", nonce);
        l->cb = cb;
        l->ctx = ctx;
        atomic_init(&l->stop, false);
        if (pthread_create(&l->th, NULL, listen_main, l) != 0) {
                free(l->conninfo);
                free(l);
                return NULL;
        }
        return l;
}

void pg_listener_stop(struct pg_listener *l)
{
        if (!l)
                return;
        atomic_store(&l->stop, true);
        pthread_join(l->th, NULL);
        free(l->conninfo);
        free(l);
}
