/*
 * The audit log's format (docs/audit.md), shared by fleetpatchd (appending, verifying the
 * store) and the CLI (verifying an export offline, without a server): the canonical entry
 * text, the hash chain, the signed messages, and the export file with its signed trailer.
 *
 *   text_i = canonical JSON (sorted keys, compact) with seq, time and prev = hex(hash_{i-1})
 *   hash_i = SHA-256(hash_{i-1} || text_i)            hash_0 = 32 zero bytes
 *   sig_i  = Ed25519("fleetpatch-audit-entry-v1\0" || seq_i (8 bytes, big endian) || hash_i)
 *   head   = Ed25519("fleetpatch-audit-head-v1\0" || seq || hash || time (8 bytes, big endian))
 */
#ifndef FLEETPATCH_AUDIT_CHAIN_H
#define FLEETPATCH_AUDIT_CHAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

#define FP_AUDIT_HASH_BYTES 32
#define FP_AUDIT_SIG_BYTES 64
#define FP_AUDIT_PK_BYTES 32
#define FP_AUDIT_HEX_LEN 64   /* a hash as lowercase hex */
#define FP_AUDIT_SIG_B64_LEN 88 /* a signature as standard base64 with padding */
#define FP_AUDIT_MSG_MAX 96   /* the longest signed message of an entry or head */
/* Longest actor, action, account, target, source or token id inside an entry. */
#define FP_AUDIT_MAX_FIELD 255
/* Bytes of a before or after value kept in an entry; a larger one is recorded as its size and
 * hash. */
#define FP_AUDIT_MAX_VALUE (64 * 1024)

/* The fields of one entry before it is chained. before/after are borrowed (NULL = absent);
 * they are redacted copies (fp_audit_redact) in everything the server appends. */
struct fp_audit_fields {
        int64_t time;
        const char *actor, *token, *source, *action, *account, *target;
        const json_t *before, *after;
};

/* The canonical text of entry seq chained to prev (malloc'd; NULL when out of memory or a field
 * is longer than FP_AUDIT_MAX_FIELD). */
char *fp_audit_entry_text(const struct fp_audit_fields *f, int64_t seq,
                          const unsigned char prev[FP_AUDIT_HASH_BYTES]);
/* hash = SHA-256(prev || text). */
void fp_audit_chain_hash(const unsigned char prev[FP_AUDIT_HASH_BYTES], const char *text,
                         size_t len, unsigned char out[FP_AUDIT_HASH_BYTES]);
/* The signed messages (domain-separated); return their length (<= FP_AUDIT_MSG_MAX). */
size_t fp_audit_entry_msg(int64_t seq, const unsigned char hash[FP_AUDIT_HASH_BYTES],
                          unsigned char msg[FP_AUDIT_MSG_MAX]);
size_t fp_audit_head_msg(int64_t seq, const unsigned char hash[FP_AUDIT_HASH_BYTES], int64_t time,
                         unsigned char msg[FP_AUDIT_MSG_MAX]);
/* Verify an entry's signature (sig_b64: FP_AUDIT_SIG_B64_LEN characters). */
bool fp_audit_entry_sig_ok(const unsigned char pk[FP_AUDIT_PK_BYTES], int64_t seq,
                           const unsigned char hash[FP_AUDIT_HASH_BYTES], const char *sig_b64);
bool fp_audit_head_sig_ok(const unsigned char pk[FP_AUDIT_PK_BYTES], int64_t seq,
                          const unsigned char hash[FP_AUDIT_HASH_BYTES], int64_t time,
                          const char *sig_b64);

/* Hex and base64 of the chain's values. */
void fp_audit_hex(const unsigned char *in, size_t n, char *out); /* out: 2n + 1 */
bool fp_audit_unhex(const char *s, size_t slen, unsigned char *out, size_t n);
bool fp_audit_b64_sig(const char *s, size_t slen, unsigned char sig[FP_AUDIT_SIG_BYTES]);
/* The key id of a public key: hex of the first 8 bytes of SHA-256(pk). */
void fp_audit_key_id(const unsigned char pk[FP_AUDIT_PK_BYTES], char out[17]);

/*
 * The top-level members of a canonical entry, read without a JSON parser (the server's verify
 * reads a million of them): account, action and actor open the text, prev..token close it (the
 * only nested values, before and after, sort before prev). Strings are unescaped into the
 * caller's buffers. false when the text is not an entry of that shape (edited by hand).
 */
struct fp_audit_peek {
        char account[FP_AUDIT_MAX_FIELD + 1], action[FP_AUDIT_MAX_FIELD + 1],
            actor[FP_AUDIT_MAX_FIELD + 1], source[FP_AUDIT_MAX_FIELD + 1],
            target[FP_AUDIT_MAX_FIELD + 1], token[FP_AUDIT_MAX_FIELD + 1];
        unsigned char prev[FP_AUDIT_HASH_BYTES];
        int64_t seq, time;
};
bool fp_audit_entry_peek(const char *text, size_t len, struct fp_audit_peek *out);

/* A copy of v with secrets replaced by "[redacted]": members named like password, secret,
 * token, pwhash, private key or authorization, and any string shaped like a fleetpatch
 * credential (ppp_<16 hex>_<64 hex>). NULL for NULL. */
json_t *fp_audit_redact(const json_t *v);

/* ---- the export file (JSON lines) ----
 *   {"account":A|null,"first_seq":N,"format":"fleetpatch-audit-export","from":T,"key_id":K,
 *    "prev":HEX,"public_key":B64,"to":T,"version":1}
 *   {"entry":TEXT,"hash":HEX,"sig":B64}                      one per entry, seq ascending
 *   {"sig":B64,"trailer":TRAILER}
 * TRAILER = canonical {"count","digest","first_seq","head_hash","head_seq","last_hash",
 * "last_seq"}; digest = hex SHA-256 of every byte before the trailer line; its signature is
 * Ed25519("fleetpatch-audit-export-v1\0" || TRAILER). Every line ends with "\n".
 */
#define FP_AUDIT_EXPORT_FORMAT "fleetpatch-audit-export"
#define FP_AUDIT_EXPORT_DOMAIN "fleetpatch-audit-export-v1"
/* Longest line of an export (an entry with its before/after). */
#define FP_AUDIT_MAX_LINE (1024 * 1024)

struct fp_audit_export_info {
        int64_t entries, first_seq, last_seq, head_seq;
        char key_id[17];
        char account[FP_AUDIT_MAX_FIELD + 1]; /* "" for a whole-log export */
        int64_t from, to;
        int64_t signatures; /* entry signatures checked (full) */
        /* on failure: the line (1-based) and the seq of the first bad entry (0 if none) */
        unsigned long bad_line;
        int64_t bad_seq;
};
/*
 * Verify an export with the public key pk: the header names pk's key id, every entry's text
 * matches its hash, consecutive entries are chained (a whole-log export has no gap), the
 * trailer's digest, count and last hash match what precedes it and its signature is pk's.
 * full: every entry's signature too. FP_OK, or FP_ECORRUPT (tampered: diag->line and
 * info->bad_seq name the first bad place) / FP_EPARSE (not an export) / FP_ELIMIT.
 */
enum fp_err fp_audit_export_verify(const char *data, size_t len,
                                   const unsigned char pk[FP_AUDIT_PK_BYTES], bool full,
                                   struct fp_audit_export_info *info, struct fp_diag *diag);

#endif
