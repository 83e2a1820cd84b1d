/*
 * Fuzz evidence bundles: bytes -> fp_evidence_verify with a fixed key. Invariants: a refusal
 * says why; nothing but a bundle the key signed verifies. And when the bytes parse as a JSON
 * object without a signature, sealing it with the fixed key gives a file that verifies, and
 * that fails again after any one byte of it is changed (sampled positions).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/evidence.h"
#include "fleetpatch/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static char kid[17];

static void keys(void)
{
        static int ready;
        if (ready)
                return;
        if (sodium_init() < 0)
                abort();
        unsigned char seed[crypto_sign_SEEDBYTES] = {7};
        crypto_sign_seed_keypair(pk, sk, seed);
        fp_evidence_key_id(pk, kid);
        ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        keys();
        struct fp_diag d;
        fp_diag_clear(&d);
        json_t *doc = NULL;
        enum fp_err err = fp_evidence_verify((const char *)data, size, pk, &doc, &d);
        if (err != FP_OK && !d.msg[0] && err != FP_ENOMEM)
                abort(); /* a refusal says why */
        if (err == FP_OK && !json_is_object(doc))
                abort();
        json_decref(doc);

        /* Seal what parses as an object (its own signature member dropped) and verify it. */
        json_t *v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(v)) {
                json_decref(v);
                return 0;
        }
        json_object_del(v, "signature");
        char *canon = fp_evidence_canonical(v);
        if (!canon)
                abort();
        unsigned char sig[crypto_sign_BYTES];
        crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), sk);
        free(canon);
        char *file = NULL;
        if (fp_evidence_seal(v, kid, sig, &file, &d) != FP_OK)
                abort();
        size_t n = strlen(file);
        fp_diag_clear(&d);
        if (fp_evidence_verify(file, n, pk, NULL, &d) != FP_OK) {
                fprintf(stderr, "a sealed bundle does not verify: %s\n", d.msg);
                abort();
        }
        for (size_t k = 0; k < 16 && n; k++) {
                size_t at = (k * 2654435761u) % n;
                char was = file[at];
                file[at] = (char)(was ^ (1 << (k % 7)));
                if (fp_evidence_verify(file, n, pk, NULL, &d) == FP_OK) {
                        fprintf(stderr, "byte %zu changed and the bundle still verifies\n", at);
                        abort();
                }
                file[at] = was;
        }
        free(file);
        json_decref(v);
        return 0;
}
