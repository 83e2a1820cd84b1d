/*
 * The audit log and the server's signing key (docs/audit.md).
 *
 * Every state-changing action is one entry, appended in the transaction of the change it
 * records (so an entry commits or rolls back with its change): who (actor), what (action,
 * target, before/after), when, from where. Entries form a SHA-256 hash chain and are signed
 * with the server's Ed25519 key (libsodium); `fleetpatch audit verify` detects an edited,
 * removed, reordered or truncated entry.
 *
 * The same key signs evidence bundles (docs/tracking.md); its public half is served at
 * GET /v1/audit/key and written to STATE/keys/signing.pub so bundles verify offline.
 */
#ifndef FP_SERVER_AUDIT_H
#define FP_SERVER_AUDIT_H

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

#include "fleetpatch/error.h"

struct fp_server;
struct fp_tx;
struct fp_req;

/* ---- the signing key (signkey.c) ---- */
struct fp_signkey {
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        unsigned char sk[crypto_sign_SECRETKEYBYTES];
        char key_id[17]; /* first 8 bytes of SHA-256(pk), hex: names the key in signatures */
};
/* Load STATE/keys/signing.key (0600, created with a new key pair on first start, the public
 * half beside it as signing.pub, both base64). false with a message on a bad or foreign file. */
bool fp_signkey_load(const char *state_dir, struct fp_signkey *k, char *err, size_t errsz);
/* Detached Ed25519 signature of msg. */
void fp_signkey_sign(const struct fp_signkey *k, const void *msg, size_t len,
                     unsigned char sig[crypto_sign_BYTES]);
/* Verify with a public key (offline tools too). */
bool fp_sig_verify(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], const void *msg, size_t len,
                   const unsigned char sig[crypto_sign_BYTES]);
/* The server's key (loaded at start; NULL in unit tests that made none). */
const struct fp_signkey *fp_server_signkey(const struct fp_server *srv);

/* ---- appending (audit.c) ---- */
/* One entry in tx. actor: "user:NAME", "agent:HOST", "system:scheduler", ...; source: the
 * client address or ""; action: "change_request.approve", ...; account/target may be "";
 * before/after: JSON values or NULL (borrowed, secrets never included). */
enum fp_err fp_audit_append(struct fp_server *srv, struct fp_tx *tx, int64_t now,
                            const char *actor, const char *source, const char *action,
                            const char *account, const char *target, const json_t *before,
                            const json_t *after, struct fp_diag *diag);

/* ---- the rest of the log (audit.c, api_audit.c; docs/audit.md) ---- */
#include "fleetpatch/audit_chain.h"
#include "fleetpatch/store_audit.h"

/* fp_audit_append with every field (the token id too). before/after are redacted here. With no
 * signing key (some unit tests) nothing is appended and FP_OK returned. */
enum fp_err fp_audit_append_fields(struct fp_server *srv, struct fp_tx *tx,
                                   const struct fp_audit_fields *f, struct fp_diag *diag);
/* The entry of a finished request (router.c, before its commit): every successful non-GET
 * request of a user or enrollment principal, and the agent requests and logins a handler
 * marked; the fields the handler set in r->audit win over those derived from the route. An
 * error fails the request (it rolls back: nothing changes unlogged). */
enum fp_err fp_audit_request(struct fp_req *r, const char *pattern, struct fp_diag *diag);
/* A failed login (r->audit.failure): its own small write transaction after the request's
 * rollback, so the attempt is on record though nothing else of the request is. */
void fp_audit_failure(struct fp_req *r);
/* After a commit that appended: write the store's signed head to STATE/audit.head (the anchor
 * outside the rows; only ever moves forward). Errors are printed, not returned. */
void fp_audit_anchor(struct fp_server *srv);
/* Verify the whole log in one read transaction (docs/audit.md "Verification"): every entry's
 * text against its hash and columns, the chain, no gap, the signed head, STATE/audit.head.
 * full: every entry's signature too. *out: the report {"ok", "entries", "problems": [...], ...}. */
#define FP_AUDIT_MAX_PROBLEMS 50
enum fp_err fp_audit_verify(struct fp_server *srv, bool full, json_t **out, struct fp_diag *diag);
/* The export of [from, to] (account NULL = the whole log) as JSON lines (audit_chain.h) into
 * *out (malloc'd, *len bytes). FP_ELIMIT past FP_AUDIT_EXPORT_MAX_ENTRIES. */
enum fp_err fp_audit_export(struct fp_server *srv, struct fp_tx *tx, int64_t from, int64_t to,
                            const char *account, char **out, size_t *len, struct fp_diag *diag);

#endif
