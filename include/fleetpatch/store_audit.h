/*
 * The store's part of the audit log (docs/audit.md): the append-only entries with their hash
 * and signature, and the signed head (the newest seq and hash, updated with every append).
 * fleetpatchd chains and signs (src/server/audit.c); the store keeps rows. Every call is inside
 * a transaction. Rows passed to a callback are valid during the callback only (a scan of a
 * million entries keeps none of them).
 */
#ifndef FLEETPATCH_STORE_AUDIT_H
#define FLEETPATCH_STORE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_tx;

/* One entry: the columns for filtering repeat members of entry (the signed canonical text). */
struct fp_audit_rec {
        int64_t seq, time;
        const char *account, *actor, *action, *target; /* "" when none */
        const char *entry;                             /* canonical JSON text */
        const char *hash;                              /* hex SHA-256 (chain) */
        const char *sig;                               /* base64 Ed25519 over seq and hash */
        const char *key_id;
        size_t entry_len;                              /* read: bytes of entry */
};
/* The newest entry as signed at its append (separate signature domain: docs/audit.md). */
struct fp_audit_head {
        int64_t seq, time;
        const char *hash, *sig, *key_id;
};
/* Filters of a listing; zero/NULL members do not filter. */
struct fp_audit_filter {
        const char *account;       /* exactly this account ("" = entries without one) */
        const char *accounts_json; /* JSON array: only these accounts (tenant isolation) */
        bool no_org;               /* leave out entries without an account */
        const char *actor;         /* exact */
        const char *action;        /* exact, or a prefix when it ends with '.' */
        int64_t from, to;          /* time, inclusive */
        int64_t seq_min, seq_max;  /* inclusive */
        bool ascending;            /* oldest first (default: newest first) */
        size_t limit;              /* 0 = all */
};
typedef bool (*fp_audit_cb)(void *ctx, const struct fp_audit_rec *r);

/* A function fp_tx_commit runs once, inside the transaction, before it commits (an error rolls
 * the transaction back and is returned). One per transaction: the audit log signs its head there,
 * once however many entries the transaction appended. Engine-independent (store.c). */
typedef enum fp_err (*fp_tx_hook)(struct fp_tx *tx, void *ctx, struct fp_diag *diag);
void fp_tx_before_commit(struct fp_tx *tx, fp_tx_hook hook, void *ctx);
/* The context given with hook, when hook is the transaction's (NULL otherwise). */
void *fp_tx_before_commit_ctx(struct fp_tx *tx, fp_tx_hook hook);

/* FP_ENOTFOUND when the log is empty. Strings live in the transaction's arena. */
enum fp_err fp_store_audit_head_get(struct fp_tx *tx, struct fp_audit_head *out,
                                    struct fp_diag *diag);
/* Insert r (r->seq = head seq + 1, the caller's job under the write lock); head, when not
 * NULL, becomes the new head (fp_store_audit_head_put). */
enum fp_err fp_store_audit_append(struct fp_tx *tx, const struct fp_audit_rec *r,
                                  const struct fp_audit_head *head, struct fp_diag *diag);
enum fp_err fp_store_audit_list(struct fp_tx *tx, const struct fp_audit_filter *f,
                                fp_audit_cb cb, void *ctx, struct fp_diag *diag);
/* Every row by seq from seq_min, with a statement made for it (the verifier's scan). */
enum fp_err fp_store_audit_scan(struct fp_tx *tx, int64_t seq_min, fp_audit_cb cb, void *ctx,
                                struct fp_diag *diag);
/* Write the head row (fleetpatchd does it once per transaction, signed, before the commit). */
enum fp_err fp_store_audit_head_put(struct fp_tx *tx, const struct fp_audit_head *head,
                                    struct fp_diag *diag);
/* One row (strings in the arena); FP_ENOTFOUND when there is none. */
enum fp_err fp_store_audit_get(struct fp_tx *tx, int64_t seq, struct fp_audit_rec *out,
                               struct fp_diag *diag);
/* The seq range of the entries with from <= time <= to (times never decrease with seq);
 * *first > *last when there is none. */
enum fp_err fp_store_audit_range(struct fp_tx *tx, int64_t from, int64_t to, int64_t *first,
                                 int64_t *last, struct fp_diag *diag);

#endif
