/*
 * A background thread that calls tick every interval seconds and at once when kicked, until
 * stopped: fleetpatchd's scheduler (scheduler.c) and notification deliverer (notify_deliver.c).
 */
#ifndef FP_SERVER_WORKER_H
#define FP_SERVER_WORKER_H

struct fp_worker;

/* tick(arg) runs on the thread, without the worker's lock; it prints its own failures. */
typedef void (*fp_worker_tick_fn)(void *arg);

/* interval <= 0: 5 seconds. NULL when the thread cannot be started (or out of memory). */
struct fp_worker *fp_worker_start(long interval, fp_worker_tick_fn tick, void *arg);
/* Ask for a tick now; a kick during a tick gives one more right after it. NULL-safe. */
void fp_worker_kick(struct fp_worker *w);
/* Wait for the running tick to end, join the thread and free the worker. NULL-safe. */
void fp_worker_stop(struct fp_worker *w);

#endif
