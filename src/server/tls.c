/*
 * TLS material of fleetpatchd. Given tls_cert/tls_key, those are used. Otherwise the first
 * start creates a private CA (STATE/tls/ca.pem, ca.key) and a server certificate signed by it
 * (server.pem = certificate + CA, server.key) for localhost, 127.0.0.1, ::1 and tls_names.
 * Agents and the CLI trust STATE/tls/ca.pem; keys are 0600, the directory 0700.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/server.h"

static char *read_file(const char *path, char *err, size_t errsz)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return NULL;
        }
        char *buf = malloc(1024 * 1024);
        size_t n = buf ? fread(buf, 1, 1024 * 1024 - 1, f) : 0;
        bool bad = ferror(f) || !feof(f);
        fclose(f);
        if (!buf || bad || n == 0) {
                free(buf);
                snprintf(err, errsz, "%s: unreadable, empty or larger than 1 MiB", path);
                return NULL;
        }
        buf[n] = 0;
        return buf;
}

static bool write_file(const char *path, const void *data, size_t len, mode_t mode, char *err,
                       size_t errsz)
{
        char tmp[800];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0) {
                snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
                return false;
        }
        bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (ok && rename(tmp, path) != 0)
                ok = false;
        if (!ok) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                unlink(tmp);
        }
        return ok;
}

#define TRY(call)                                                                                  \
        do {                                                                                       \
                int rc_ = (call);                                                                  \
                if (rc_ < 0) {                                                                     \
                        snprintf(err, errsz, "%s: %s", #call, gnutls_strerror(rc_));               \
                        goto out;                                                                  \
                }                                                                                  \
        } while (0)

static bool export_crt(gnutls_x509_crt_t c, gnutls_datum_t *d, char *err, size_t errsz)
{
        int rc = gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, d);
        if (rc < 0)
                snprintf(err, errsz, "certificate export: %s", gnutls_strerror(rc));
        return rc >= 0;
}

static bool set_common(gnutls_x509_crt_t c, gnutls_x509_privkey_t key, const char *cn,
                       char *err, size_t errsz)
{
        unsigned char serial[16];
        bool ok = false;
        TRY(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
        serial[0] &= 0x7f; /* a positive INTEGER */
        time_t now = time(NULL);
        TRY(gnutls_x509_crt_set_version(c, 3));
        TRY(gnutls_x509_crt_set_serial(c, serial, sizeof(serial)));
        TRY(gnutls_x509_crt_set_activation_time(c, now - 3600));
        TRY(gnutls_x509_crt_set_expiration_time(c, now + 10L * 365 * 86400));
        TRY(gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                          (unsigned)strlen(cn)));
        TRY(gnutls_x509_crt_set_key(c, key));
        unsigned char kid[64];
        size_t kidlen = sizeof(kid);
        TRY(gnutls_x509_crt_get_key_id(c, 0, kid, &kidlen));
        TRY(gnutls_x509_crt_set_subject_key_id(c, kid, kidlen));
        ok = true;
out:
        return ok;
}

static bool add_name(gnutls_x509_crt_t c, const char *name, char *err, size_t errsz)
{
        unsigned char addr[16];
        bool ok = false;
        if (inet_pton(AF_INET, name, addr) == 1)
                TRY(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_IPADDRESS, addr, 4,
                                                         GNUTLS_FSAN_APPEND));
        else if (inet_pton(AF_INET6, name, addr) == 1)
                TRY(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_IPADDRESS, addr, 16,
                                                         GNUTLS_FSAN_APPEND));
        else
                TRY(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, name,
                                                         (unsigned)strlen(name),
                                                         GNUTLS_FSAN_APPEND));
        ok = true;
out:
        return ok;
}

static bool generate(const char *dir, const char *names, char *err, size_t errsz)
{
        gnutls_x509_privkey_t ca_key = NULL, key = NULL;
        gnutls_x509_crt_t ca = NULL, crt = NULL;
        gnutls_datum_t ca_pem = {0}, ca_key_pem = {0}, pem = {0}, key_pem = {0};
        bool ok = false;
        char path[800];
        TRY(gnutls_x509_privkey_init(&ca_key));
        TRY(gnutls_x509_privkey_init(&key));
        TRY(gnutls_x509_crt_init(&ca));
        TRY(gnutls_x509_crt_init(&crt));
        TRY(gnutls_x509_privkey_generate(
                ca_key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
        TRY(gnutls_x509_privkey_generate(
                key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
        if (!set_common(ca, ca_key, "fleetpatchd CA", err, errsz))
                goto out;
        TRY(gnutls_x509_crt_set_basic_constraints(ca, 1, 0));
        TRY(gnutls_x509_crt_set_key_usage(ca, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
        TRY(gnutls_x509_crt_sign2(ca, ca, ca_key, GNUTLS_DIG_SHA256, 0));

        if (!set_common(crt, key, "fleetpatchd", err, errsz))
                goto out;
        TRY(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
        TRY(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
        TRY(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
        unsigned char kid[64];
        size_t kidlen = sizeof(kid);
        TRY(gnutls_x509_crt_get_subject_key_id(ca, kid, &kidlen, NULL));
        TRY(gnutls_x509_crt_set_authority_key_id(crt, kid, kidlen));
        if (!add_name(crt, "localhost", err, errsz) || !add_name(crt, "127.0.0.1", err, errsz) ||
            !add_name(crt, "::1", err, errsz))
                goto out;
        char list[512];
        snprintf(list, sizeof(list), "%s", names);
        for (char *save = NULL, *n = strtok_r(list, ", ", &save); n;
             n = strtok_r(NULL, ", ", &save))
                if (!add_name(crt, n, err, errsz))
                        goto out;
        TRY(gnutls_x509_crt_sign2(crt, ca, ca_key, GNUTLS_DIG_SHA256, 0));

        if (!export_crt(ca, &ca_pem, err, errsz) || !export_crt(crt, &pem, err, errsz))
                goto out;
        TRY(gnutls_x509_privkey_export2(ca_key, GNUTLS_X509_FMT_PEM, &ca_key_pem));
        TRY(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem));
        snprintf(path, sizeof(path), "%s/ca.key", dir);
        if (!write_file(path, ca_key_pem.data, ca_key_pem.size, 0600, err, errsz))
                goto out;
        snprintf(path, sizeof(path), "%s/server.key", dir);
        if (!write_file(path, key_pem.data, key_pem.size, 0600, err, errsz))
                goto out;
        /* The chain: the server certificate, then the CA. */
        size_t chain_len = pem.size + ca_pem.size;
        char *chain = malloc(chain_len);
        if (!chain) {
                snprintf(err, errsz, "out of memory");
                goto out;
        }
        memcpy(chain, pem.data, pem.size);
        memcpy(chain + pem.size, ca_pem.data, ca_pem.size);
        snprintf(path, sizeof(path), "%s/server.pem", dir);
        ok = write_file(path, chain, chain_len, 0644, err, errsz);
        free(chain);
        snprintf(path, sizeof(path), "%s/ca.pem", dir);
        ok = ok && write_file(path, ca_pem.data, ca_pem.size, 0644, err, errsz);
out:
        gnutls_free(ca_pem.data);
        gnutls_free(pem.data);
        if (ca_key_pem.data) {
                memset(ca_key_pem.data, 0, ca_key_pem.size);
                gnutls_free(ca_key_pem.data);
        }
        if (key_pem.data) {
                memset(key_pem.data, 0, key_pem.size);
                gnutls_free(key_pem.data);
        }
        if (crt)
                gnutls_x509_crt_deinit(crt);
        if (ca)
                gnutls_x509_crt_deinit(ca);
        if (key)
                gnutls_x509_privkey_deinit(key);
        if (ca_key)
                gnutls_x509_privkey_deinit(ca_key);
        return ok;
}

bool fp_srv_tls_prepare(const struct fp_srv_config *c, char **cert_pem, char **key_pem,
                        char *err, size_t errsz)
{
        *cert_pem = *key_pem = NULL;
        char cert[800], key[800];
        if (*c->tls_cert) {
                snprintf(cert, sizeof(cert), "%s", c->tls_cert);
                snprintf(key, sizeof(key), "%s", c->tls_key);
        } else {
                char dir[700];
                snprintf(dir, sizeof(dir), "%s/tls", c->state_dir);
                if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                        snprintf(err, errsz, "%s: %s", dir, strerror(errno));
                        return false;
                }
                snprintf(cert, sizeof(cert), "%s/server.pem", dir);
                snprintf(key, sizeof(key), "%s/server.key", dir);
                if (access(cert, F_OK) != 0 && !generate(dir, c->tls_names, err, errsz))
                        return false;
        }
        *cert_pem = read_file(cert, err, errsz);
        if (*cert_pem)
                *key_pem = read_file(key, err, errsz);
        if (!*key_pem) {
                free(*cert_pem);
                *cert_pem = NULL;
                return false;
        }
        return true;
}
