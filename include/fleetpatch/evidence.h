/*
 * Evidence bundles (docs/tracking.md "Evidence bundles"): one JSON document per change request,
 * signed with the server's Ed25519 key and verifiable offline with its public key alone.
 *
 * The file is the canonical text of the bundle followed by one "\n": compact JSON, object keys
 * sorted bytewise, every non-ASCII character escaped (jansson JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENSURE_ASCII). The signature member {"alg": "ed25519", "key_id", "value": base64} signs
 * the canonical text of the bundle without it. Verification accepts only a file that is exactly
 * that: any changed byte breaks either the canonical form or the signature.
 */
#ifndef FLEETPATCH_EVIDENCE_H
#define FLEETPATCH_EVIDENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"

#define FP_EVIDENCE_FORMAT "fleetpatch-evidence/1"
#define FP_EVIDENCE_PK_BYTES 32
#define FP_EVIDENCE_SIG_BYTES 64

/* The canonical text of v (malloc'd), NULL when out of memory. */
char *fp_evidence_canonical(const json_t *v);
/* The key id of a public key: hex of the first 8 bytes of its SHA-256 (17 bytes with NUL). */
void fp_evidence_key_id(const unsigned char pk[FP_EVIDENCE_PK_BYTES], char out[17]);
/* Parse a public key file's text (base64 of 32 bytes, surrounding white space ignored). */
enum fp_err fp_evidence_parse_key(const char *text, size_t len,
                                  unsigned char pk[FP_EVIDENCE_PK_BYTES], struct fp_diag *diag);
/* Add the signature member to body (which must not have one) and return the file's bytes
 * (canonical text + "\n", malloc'd). */
enum fp_err fp_evidence_seal(json_t *body, const char *key_id,
                             const unsigned char sig[FP_EVIDENCE_SIG_BYTES], char **out,
                             struct fp_diag *diag);
/* Verify a file's bytes with pk: FP_OK, or FP_ECORRUPT with diag saying what is wrong (not
 * canonical at byte N, no or malformed signature, another key, a signature that does not
 * verify), FP_ELIMIT past FP_MAX_EVIDENCE_BYTES, FP_EPARSE for bytes that are not JSON. On
 * success *doc (when not NULL) is the parsed bundle (caller decrefs). */
enum fp_err fp_evidence_verify(const char *data, size_t len,
                               const unsigned char pk[FP_EVIDENCE_PK_BYTES], json_t **doc,
                               struct fp_diag *diag);

#endif
