/* Signals between processes on one PostgreSQL database (pg_signal.c): NOTIFY and LISTEN. */
#ifndef FP_STORE_PG_SIGNAL_H
#define FP_STORE_PG_SIGNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/store.h"

struct pg_listener;

/* A nonce naming this process's messages (so its own listener drops them). */
void pg_signal_nonce(char out[24]);
/* NOTIFY "nonce msg" on db (outside a transaction: delivered at once); false with err. */
bool pg_signal_send(PGconn *db, const char *nonce, const char *msg, char *err, size_t errsz);
/* A thread with its own session: cb(ctx, msg) for every message of other processes, until
 * pg_listener_stop; reconnects when the session is lost. NULL when out of memory. */
struct pg_listener *pg_listener_start(const char *conninfo, const char *nonce,
                                      fp_store_signal_cb cb, void *ctx);
void pg_listener_stop(struct pg_listener *l);

#endif
