/*
 * Long-poll waiters: an agent waiting for jobs is a suspended connection, not a blocked
 * thread. A job for the host resumes it at once; the timer resumes it at its deadline.
 * Suspending and resuming happen under one lock so a wake-up cannot be lost between the
 * handler finding no job and the connection being suspended.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

struct waiter {
        struct MHD_Connection *conn;
        char host[17];
        int64_t deadline_ms;
        struct waiter *next;
};

struct fp_longpoll {
        pthread_mutex_t mu;
        struct waiter *head;
};

struct fp_longpoll *fp_longpoll_new(void)
{
        struct fp_longpoll *lp = calloc(1, sizeof(*lp));
        if (lp)
                pthread_mutex_init(&lp->mu, NULL);
        return lp;
}

void fp_longpoll_free(struct fp_longpoll *lp)
{
        if (!lp)
                return;
        while (lp->head) {
                struct waiter *w = lp->head;
                lp->head = w->next;
                free(w);
        }
        pthread_mutex_destroy(&lp->mu);
        free(lp);
}

void fp_longpoll_wait(struct fp_longpoll *lp, struct MHD_Connection *conn, const char *host,
                      int64_t deadline_ms)
{
        struct waiter *w = calloc(1, sizeof(*w));
        pthread_mutex_lock(&lp->mu);
        MHD_suspend_connection(conn);
        if (!w) {
                /* No memory to wait: answer at once (the handler sees the deadline passed). */
                MHD_resume_connection(conn);
                pthread_mutex_unlock(&lp->mu);
                return;
        }
        w->conn = conn;
        memcpy(w->host, host, sizeof(w->host) - 1);
        w->deadline_ms = deadline_ms;
        w->next = lp->head;
        lp->head = w;
        pthread_mutex_unlock(&lp->mu);
}

/* Resume and drop the waiters for which pred is true. */
static void resume_if(struct fp_longpoll *lp, const char *host, int64_t now_ms, bool all)
{
        pthread_mutex_lock(&lp->mu);
        struct waiter **pp = &lp->head;
        while (*pp) {
                struct waiter *w = *pp;
                bool go = all || (host && !strcmp(w->host, host)) ||
                          (!host && w->deadline_ms <= now_ms);
                if (go) {
                        *pp = w->next;
                        MHD_resume_connection(w->conn);
                        free(w);
                } else {
                        pp = &w->next;
                }
        }
        pthread_mutex_unlock(&lp->mu);
}

void fp_longpoll_wake(struct fp_longpoll *lp, const char *host)
{
        resume_if(lp, host, 0, false);
}

void fp_longpoll_tick(struct fp_longpoll *lp, int64_t now_ms)
{
        resume_if(lp, NULL, now_ms, false);
}

void fp_longpoll_wake_all(struct fp_longpoll *lp)
{
        resume_if(lp, NULL, 0, true);
}
