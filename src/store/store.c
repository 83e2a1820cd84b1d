/* The store's engine-independent part: opening by URL, dispatch, identifiers and secrets. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "store/engine.h"

enum fp_err fp_store_open(const char *url, struct fp_store **out, struct fp_diag *diag)
{
        *out = NULL;
        if (sodium_init() < 0) {
                fp_diag_set(diag, NULL, 0, NULL, "libsodium failed to initialise");
                return FP_EIO;
        }
        /* a libpq connection URI, passed as it is (host, port, user, sslmode, ...) */
        if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
                return fp_store_pg_engine.open(url, out, diag);
        if (!strncmp(url, "postgresql:", 11) || !strncmp(url, "postgres:", 9)) {
                fp_diag_set(diag, NULL, 0, NULL,
                            "a PostgreSQL store is postgresql://[user@]host[:port]/dbname[?...]");
                return FP_EINVAL;
        }
        const char *target = !strncmp(url, "sqlite:", 7) ? url + 7 : url;
        if (!*target) {
                fp_diag_set(diag, NULL, 0, NULL, "empty store path");
                return FP_EINVAL;
        }
        return fp_store_sqlite_engine.open(target, out, diag);
}

static const struct fp_store_engine *engine_of(const struct fp_store *s)
{
        return ((const struct fp_store_base *)(const void *)s)->engine;
}

void fp_store_close(struct fp_store *s)
{
        if (s)
                engine_of(s)->close(s);
}

const char *fp_store_engine(const struct fp_store *s)
{
        return engine_of(s)->name;
}

enum fp_err fp_store_ping(struct fp_store *s, struct fp_diag *diag)
{
        return engine_of(s)->ping(s, diag);
}

enum fp_err fp_store_signal(struct fp_store *s, const char *msg, struct fp_diag *diag)
{
        if (strlen(msg) > FP_STORE_SIGNAL_MAX) {
                fp_diag_set(diag, NULL, 0, NULL, "a signal of %zu bytes (at most %d)", strlen(msg),
                            FP_STORE_SIGNAL_MAX);
                return FP_ELIMIT;
        }
        return engine_of(s)->signal ? engine_of(s)->signal(s, msg, diag) : FP_OK;
}

enum fp_err fp_store_listen(struct fp_store *s, fp_store_signal_cb cb, void *ctx,
                            struct fp_diag *diag)
{
        return engine_of(s)->listen ? engine_of(s)->listen(s, cb, ctx, diag) : FP_OK;
}

enum fp_err fp_store_begin(struct fp_store *s, bool write, struct fp_tx **out,
                           struct fp_diag *diag)
{
        return engine_of(s)->begin(s, write ? SQ_TX_WRITE : SQ_TX_READ, out, diag);
}

enum fp_err fp_store_begin_rows(struct fp_store *s, struct fp_tx **out, struct fp_diag *diag)
{
        return engine_of(s)->begin(s, SQ_TX_ROWS, out, diag);
}

static struct fp_tx_base *tx_base(struct fp_tx *tx)
{
        return (struct fp_tx_base *)(void *)tx;
}

enum fp_err fp_tx_commit(struct fp_tx *tx, struct fp_diag *diag)
{
        struct fp_tx_base *b = tx_base(tx);
        if (b->before_commit) { /* the audit log signs its head once per transaction */
                fp_tx_hook hook = b->before_commit;
                b->before_commit = NULL;
                enum fp_err err = hook(tx, b->before_commit_ctx, diag);
                if (err != FP_OK) {
                        b->engine->rollback(tx);
                        return err;
                }
        }
        return b->engine->commit(tx, diag);
}

void fp_tx_before_commit(struct fp_tx *tx, fp_tx_hook hook, void *ctx)
{
        tx_base(tx)->before_commit = hook;
        tx_base(tx)->before_commit_ctx = ctx;
}

void *fp_tx_before_commit_ctx(struct fp_tx *tx, fp_tx_hook hook)
{
        return tx_base(tx)->before_commit == hook ? tx_base(tx)->before_commit_ctx : NULL;
}

void fp_tx_rollback(struct fp_tx *tx)
{
        if (tx)
                tx_base(tx)->engine->rollback(tx);
}

struct fp_arena *fp_tx_arena(struct fp_tx *tx)
{
        return &tx_base(tx)->arena;
}

#define FP_FORWARD(name, params, args)                                                             \
        enum fp_err fp_store_##name params                                                         \
        {                                                                                          \
                return tx_base(tx)->engine->name args;                                             \
        }
FP_STORE_TX_OPS(FP_FORWARD)
FP_STORE_ORCH_OPS(FP_FORWARD)
FP_STORE_AUDIT_OPS(FP_FORWARD)
FP_STORE_NOTIFY_OPS(FP_FORWARD)
FP_STORE_COMPLY_OPS(FP_FORWARD)
FP_STORE_TRACK_OPS(FP_FORWARD)
#undef FP_FORWARD

/* ---- names ---- */

static const char *const role_names[] = {"none", "viewer", "operator", "approver", "admin"};

const char *fp_role_name(enum fp_role r)
{
        return (unsigned)r < sizeof(role_names) / sizeof(role_names[0]) ? role_names[r] : "none";
}

enum fp_role fp_role_parse(const char *s)
{
        for (size_t i = 1; s && i < sizeof(role_names) / sizeof(role_names[0]); i++)
                if (!strcmp(s, role_names[i]))
                        return (enum fp_role)i;
        return FP_ROLE_NONE;
}

const char *fp_compliance_name(enum fp_compliance c)
{
        switch (c) {
        case FP_COMPL_COMPLIANT:
                return "compliant";
        case FP_COMPL_NONCOMPLIANT:
                return "noncompliant";
        default:
                return "unknown";
        }
}

const char *fp_job_status_name(enum fp_job_status s)
{
        static const char *const names[] = {"queued", "delivered", "running", "succeeded",
                                            "failed"};
        return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/* ---- identifiers and secrets ---- */

static void hex(const unsigned char *in, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = 0;
}

void fp_new_id(char out[17])
{
        unsigned char b[8];
        randombytes_buf(b, sizeof(b));
        hex(b, sizeof(b), out);
}

static void secret_hash(const char *secret_hex, char out[65])
{
        unsigned char h[32];
        crypto_generichash(h, sizeof(h), (const unsigned char *)secret_hex, 64, NULL, 0);
        hex(h, sizeof(h), out);
}

void fp_new_token(const char *prefix, char id[17], char token[88], char hash[65])
{
        unsigned char b[32];
        char secret[65];
        fp_new_id(id);
        randombytes_buf(b, sizeof(b));
        hex(b, sizeof(b), secret);
        snprintf(token, 88, "%.3s_%s_%s", prefix, id, secret);
        secret_hash(secret, hash);
        sodium_memzero(secret, sizeof(secret));
}

static bool all_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

bool fp_token_split(const char *token, char prefix[4], char id[17], char hash[65])
{
        /* "ppp_" + 16 + "_" + 64 = 85 characters exactly */
        if (!token || strlen(token) != 85 || token[3] != '_' || token[20] != '_')
                return false;
        if (!all_hex(token + 4, 16) || !all_hex(token + 21, 64))
                return false;
        memcpy(prefix, token, 3);
        prefix[3] = 0;
        memcpy(id, token + 4, 16);
        id[16] = 0;
        secret_hash(token + 21, hash);
        return true;
}

bool fp_hash_equal(const char *a, const char *b)
{
        if (!a || !b || strlen(a) != 64 || strlen(b) != 64)
                return false;
        return sodium_memcmp(a, b, 64) == 0;
}
