/*
 * The server's Ed25519 signing key (audit log, evidence bundles). STATE/keys/signing.key holds
 * the 64-byte secret key in base64 (0600, directory 0700); signing.pub the 32-byte public key
 * in base64, for offline verification. Created on first start; a file that does not decode
 * to a key, or whose public half does not belong to it, stops the server with a message
 * instead of being replaced (a new key would silently break every earlier signature).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/audit.h"
#include "server/server.h"

#define KEY_FILE_MAX 256

static bool read_small(const char *path, char *buf, size_t bufsz, bool *missing, char *err,
                       size_t errsz)
{
        *missing = false;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *missing = true;
                        return false;
                }
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return false;
        }
        ssize_t n = read(fd, buf, bufsz - 1);
        close(fd);
        if (n <= 0 || (size_t)n >= bufsz - 1) {
                snprintf(err, errsz, "%s: empty or longer than %zu bytes", path, bufsz - 2);
                return false;
        }
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
                buf[--n] = 0;
        return true;
}

static bool write_new(const char *path, const char *text, mode_t mode, char *err, size_t errsz)
{
        char tmp[1100];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0) {
                snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
                return false;
        }
        size_t len = strlen(text);
        bool ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (ok && rename(tmp, path) != 0)
                ok = false;
        if (!ok) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                unlink(tmp);
        }
        return ok;
}

static void key_id(struct fp_signkey *k)
{
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, k->pk, sizeof(k->pk));
        sodium_bin2hex(k->key_id, sizeof(k->key_id), h, 8);
}

bool fp_signkey_load(const char *state_dir, struct fp_signkey *k, char *err, size_t errsz)
{
        char dir[600], path[700], pubpath[700], text[KEY_FILE_MAX];
        if (sodium_init() < 0) {
                snprintf(err, errsz, "libsodium failed to initialise");
                return false;
        }
        snprintf(dir, sizeof(dir), "%s/keys", state_dir);
        snprintf(path, sizeof(path), "%s/signing.key", dir);
        snprintf(pubpath, sizeof(pubpath), "%s/signing.pub", dir);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                snprintf(err, errsz, "%s: %s", dir, strerror(errno));
                return false;
        }
        bool missing;
        char b64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES,
                                           sodium_base64_VARIANT_ORIGINAL)];
        if (!read_small(path, text, sizeof(text), &missing, err, errsz)) {
                if (!missing)
                        return false;
                crypto_sign_keypair(k->pk, k->sk);
                sodium_bin2base64(b64, sizeof(b64), k->sk, sizeof(k->sk),
                                  sodium_base64_VARIANT_ORIGINAL);
                if (!write_new(path, b64, 0600, err, errsz))
                        return false;
        } else {
                size_t n = 0;
                if (sodium_base642bin(k->sk, sizeof(k->sk), text, strlen(text), NULL, &n, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
                    n != sizeof(k->sk)) {
                        snprintf(err, errsz, "%s: not a base64 Ed25519 secret key (%zu bytes)",
                                 path, sizeof(k->sk));
                        return false;
                }
                crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
        }
        key_id(k);
        char pub[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES,
                                           sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(pub, sizeof(pub), k->pk, sizeof(k->pk), sodium_base64_VARIANT_ORIGINAL);
        if (read_small(pubpath, text, sizeof(text), &missing, err, errsz)) {
                if (strcmp(text, pub) != 0) {
                        snprintf(err, errsz, "%s: does not belong to %s (remove it to rewrite it)",
                                 pubpath, path);
                        return false;
                }
                return true;
        }
        if (!missing)
                return false;
        return write_new(pubpath, pub, 0644, err, errsz);
}

void fp_signkey_sign(const struct fp_signkey *k, const void *msg, size_t len,
                     unsigned char sig[crypto_sign_BYTES])
{
        crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

bool fp_sig_verify(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], const void *msg, size_t len,
                   const unsigned char sig[crypto_sign_BYTES])
{
        return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

const struct fp_signkey *fp_server_signkey(const struct fp_server *srv)
{
        return srv->signkey;
}
