/*
 * Fuzz the audit export verifier (fp_audit_export_verify, what `fleetpatch audit verify --file`
 * runs on a file from anywhere) and the entry reader (fp_audit_entry_peek). The key is fixed
 * (Ed25519 from a seed of 32 bytes 0x42) so the seed corpus, made with it, verifies and the
 * fuzzer mutates files that reach the trailer. Invariants: an accepted export has a trailer
 * whose counts agree (entries >= 0, last_seq >= first_seq - 1); a refusal names a line within
 * the file and a message; peek of an accepted entry has its strings within their limits.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/audit_chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        static int ready;
        if (!ready) {
                unsigned char seed[crypto_sign_SEEDBYTES];
                memset(seed, 0x42, sizeof(seed));
                if (sodium_init() < 0)
                        abort();
                crypto_sign_seed_keypair(pk, sk, seed);
                ready = 1;
        }
        if (size > 4 * 1024 * 1024)
                return 0;
        char *copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = 0;
        struct fp_audit_export_info info;
        struct fp_diag diag;
        for (int full = 0; full < 2; full++) {
                fp_diag_clear(&diag);
                enum fp_err err = fp_audit_export_verify(copy, size, pk, full, &info, &diag);
                if (err == FP_OK) {
                        if (info.entries < 0 || (info.entries && info.last_seq < info.first_seq) ||
                            info.bad_seq)
                                abort();
                } else {
                        if (!diag.msg[0])
                                abort();
                        size_t lines = 1;
                        for (size_t i = 0; i < size; i++)
                                lines += copy[i] == '\n';
                        if (info.bad_line > lines)
                                abort();
                }
                if (err != FP_OK || size > 64 * 1024)
                        break; /* signatures only on what passed the chain */
        }
        struct fp_audit_peek p;
        if (fp_audit_entry_peek(copy, size, &p))
                if (strlen(p.actor) > FP_AUDIT_MAX_FIELD || strlen(p.target) > FP_AUDIT_MAX_FIELD ||
                    strlen(p.token) > FP_AUDIT_MAX_FIELD)
                        abort();
        free(copy);
        return 0;
}
