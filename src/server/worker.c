/*
 * The background thread shared by the scheduler and the notification deliverer (worker.h):
 * a tick, then a wait on a condition variable for the interval or a kick.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "server/worker.h"

struct fp_worker {
        fp_worker_tick_fn tick;
        void *arg;
        long interval;
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool stop, kicked;
};

static void *worker_main(void *arg)
{
        struct fp_worker *w = arg;
        pthread_mutex_lock(&w->mu);
        while (!w->stop) {
                /* cleared before the tick: a kick during it is served by the next one */
                w->kicked = false;
                pthread_mutex_unlock(&w->mu);
                w->tick(w->arg);
                pthread_mutex_lock(&w->mu);
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += w->interval;
                while (!w->stop && !w->kicked &&
                       pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
                        ;
        }
        pthread_mutex_unlock(&w->mu);
        return NULL;
}

struct fp_worker *fp_worker_start(long interval, fp_worker_tick_fn tick, void *arg)
{
        struct fp_worker *w = calloc(1, sizeof(*w));
        if (!w)
                return NULL;
        w->tick = tick;
        w->arg = arg;
        w->interval = interval > 0 ? interval : 5;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        if (pthread_create(&w->thread, NULL, worker_main, w)) {
                pthread_mutex_destroy(&w->mu);
                pthread_cond_destroy(&w->cv);
                free(w);
                return NULL;
        }
        return w;
}

void fp_worker_kick(struct fp_worker *w)
{
        if (!w)
                return;
        pthread_mutex_lock(&w->mu);
        w->kicked = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
}

void fp_worker_stop(struct fp_worker *w)
{
        if (!w)
                return;
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
}
