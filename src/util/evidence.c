/* Evidence bundles: the canonical text, sealing and offline verification (fleetpatch/evidence.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/evidence.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"

#define CANON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

char *fp_evidence_canonical(const json_t *v)
{
        return json_dumps(v, CANON_FLAGS | JSON_ENCODE_ANY);
}

void fp_evidence_key_id(const unsigned char pk[FP_EVIDENCE_PK_BYTES], char out[17])
{
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, pk, FP_EVIDENCE_PK_BYTES);
        sodium_bin2hex(out, 17, h, 8);
}

enum fp_err fp_evidence_parse_key(const char *text, size_t len,
                                  unsigned char pk[FP_EVIDENCE_PK_BYTES], struct fp_diag *diag)
{
        while (len && (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')) {
                text++;
                len--;
        }
        while (len && (text[len - 1] == ' ' || text[len - 1] == '\n' || text[len - 1] == '\r' ||
                       text[len - 1] == '\t'))
                len--;
        size_t n = 0;
        if (len == 0 || len > 128 ||
            sodium_base642bin(pk, FP_EVIDENCE_PK_BYTES, text, len, NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            n != FP_EVIDENCE_PK_BYTES) {
                fp_diag_set(diag, NULL, 0, "key",
                            "not an Ed25519 public key (base64 of 32 bytes, as in "
                            "STATE/keys/signing.pub)");
                return FP_EPARSE;
        }
        return FP_OK;
}

enum fp_err fp_evidence_seal(json_t *body, const char *key_id,
                             const unsigned char sig[FP_EVIDENCE_SIG_BYTES], char **out,
                             struct fp_diag *diag)
{
        *out = NULL;
        if (!json_is_object(body) || json_object_get(body, "signature")) {
                fp_diag_set(diag, NULL, 0, "signature", "the bundle is signed already");
                return FP_EINVAL;
        }
        char b64[sodium_base64_ENCODED_LEN(FP_EVIDENCE_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof(b64), sig, FP_EVIDENCE_SIG_BYTES,
                          sodium_base64_VARIANT_ORIGINAL);
        json_t *s = json_pack("{s:s, s:s, s:s}", "alg", "ed25519", "key_id", key_id, "value", b64);
        if (!s || json_object_set_new(body, "signature", s) != 0)
                return FP_ENOMEM;
        char *text = fp_evidence_canonical(body);
        json_object_del(body, "signature");
        if (!text)
                return FP_ENOMEM;
        size_t n = strlen(text);
        char *file = realloc(text, n + 2);
        if (!file) {
                free(text);
                return FP_ENOMEM;
        }
        file[n] = '\n';
        file[n + 1] = 0;
        *out = file;
        return FP_OK;
}

static enum fp_err corrupt(struct fp_diag *diag, const char *field, const char *msg)
{
        fp_diag_set(diag, NULL, 0, field, "%s", msg);
        return FP_ECORRUPT;
}

enum fp_err fp_evidence_verify(const char *data, size_t len,
                               const unsigned char pk[FP_EVIDENCE_PK_BYTES], json_t **doc,
                               struct fp_diag *diag)
{
        if (doc)
                *doc = NULL;
        if (len > FP_MAX_EVIDENCE_BYTES) {
                fp_diag_set(diag, NULL, 0, NULL, "%zu bytes, more than FP_MAX_EVIDENCE_BYTES (%d)",
                            len, FP_MAX_EVIDENCE_BYTES);
                return FP_ELIMIT;
        }
        json_error_t je;
        json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!v) {
                fp_diag_set(diag, NULL, je.line > 0 ? je.line : 0, NULL, "not JSON: %s", je.text);
                return FP_EPARSE;
        }
        enum fp_err err = FP_OK;
        char *canon = NULL, *body = NULL;
        if (!json_is_object(v)) {
                err = corrupt(diag, NULL, "a bundle is a JSON object");
                goto out;
        }
        canon = fp_evidence_canonical(v);
        if (!canon) {
                err = FP_ENOMEM;
                goto out;
        }
        size_t n = strlen(canon);
        if (len != n + 1 || memcmp(canon, data, n) != 0 || data[n] != '\n') {
                size_t at = 0;
                while (at < n && at < len && canon[at] == data[at])
                        at++;
                fp_diag_set(diag, NULL, 0, NULL,
                            "not in canonical form (compact, sorted keys, ASCII, one final "
                            "newline): byte %zu differs",
                            at);
                err = FP_ECORRUPT;
                goto out;
        }
        json_t *sig = json_object_get(v, "signature");
        const char *alg = json_string_value(json_object_get(sig, "alg"));
        const char *kid = json_string_value(json_object_get(sig, "key_id"));
        const char *val = json_string_value(json_object_get(sig, "value"));
        if (!json_is_object(sig) || json_object_size(sig) != 3 || !alg || !kid || !val) {
                err = corrupt(diag, "signature", "missing or malformed (alg, key_id, value)");
                goto out;
        }
        if (strcmp(alg, "ed25519")) {
                err = corrupt(diag, "signature.alg", "not ed25519");
                goto out;
        }
        char want[17];
        fp_evidence_key_id(pk, want);
        if (strcmp(kid, want)) {
                fp_diag_set(diag, NULL, 0, "signature.key_id",
                            "signed with key %.16s, not with this key (%s)", kid, want);
                err = FP_ECORRUPT;
                goto out;
        }
        unsigned char raw[FP_EVIDENCE_SIG_BYTES];
        size_t rawlen = 0;
        if (sodium_base642bin(raw, sizeof(raw), val, strlen(val), NULL, &rawlen, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            rawlen != sizeof(raw)) {
                err = corrupt(diag, "signature.value", "not a base64 Ed25519 signature");
                goto out;
        }
        json_incref(sig);
        json_object_del(v, "signature");
        body = fp_evidence_canonical(v);
        json_object_set_new(v, "signature", sig);
        if (!body) {
                err = FP_ENOMEM;
                goto out;
        }
        if (crypto_sign_verify_detached(raw, (const unsigned char *)body, strlen(body), pk) != 0) {
                err = corrupt(diag, "signature", "does not verify: the bundle was changed");
                goto out;
        }
        if (doc) {
                *doc = v;
                v = NULL;
        }
out:
        free(canon);
        free(body);
        json_decref(v);
        return err;
}
