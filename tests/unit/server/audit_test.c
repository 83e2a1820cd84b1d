/*
 * The audit log's format and chain (include/fleetpatch/audit_chain.h, src/server/audit.c) on a
 * real SQLite store: canonical entries read back without a parser, redaction, the field limit
 * at and past it, appends that roll back leave nothing, verification of the store (a deleted
 * row named), and the export: verified in both modes, refused after any single byte changes,
 * a line removed, two lines swapped, the trailer cut off, or another key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/audit.h"
#include "server/server.h"
#include "test.h"
#include "test_store.h"

static char dir[256];

static void peek_cases(void)
{
        unsigned char zero[FP_AUDIT_HASH_BYTES] = {0};
        json_t *after = json_pack("{s:s, s:i, s:{s:s}, s:s}", "prev", "not a hash", "seq", 99,
                                  "nested", "prev", "x\",\"prev\":\"", "quote", "\"\\\u00e9\n");
        struct fp_audit_fields f = {.time = 1796000000,
                                    .actor = "user:al\"ice",
                                    .token = "0123456789abcdef",
                                    .source = "::1",
                                    .action = "host.tags",
                                    .account = "acme",
                                    .target = "ab/cd",
                                    .after = after};
        char *text = fp_audit_entry_text(&f, 42, zero);
        CHECK(text != NULL);
        struct fp_audit_peek p;
        CHECK(text && fp_audit_entry_peek(text, strlen(text), &p));
        CHECK_INT_EQ(p.seq, 42);
        CHECK_INT_EQ(p.time, 1796000000);
        CHECK_STR_EQ(p.actor, "user:al\"ice");
        CHECK_STR_EQ(p.account, "acme");
        CHECK_STR_EQ(p.action, "host.tags");
        CHECK_STR_EQ(p.target, "ab/cd");
        CHECK_STR_EQ(p.source, "::1");
        CHECK_STR_EQ(p.token, "0123456789abcdef");
        CHECK(!memcmp(p.prev, zero, sizeof(zero)));
        /* sorted keys, compact: what jansson writes is what the chain hashes */
        CHECK(text && !strncmp(text, "{\"account\":\"acme\",\"action\":\"host.tags\",", 39));
        /* a changed byte in the fixed members, trailing bytes, a cut: not an entry */
        if (text) {
                size_t n = strlen(text);
                char *t = strdup(text);
                CHECK(!fp_audit_entry_peek(text, n - 1, &p));
                t[n - 1] = ' ';
                CHECK(!fp_audit_entry_peek(t, n, &p));
                memcpy(t, text, n);
                char *q = strstr(t, "\"seq\":42");
                if (q)
                        q[6] = 'x';
                CHECK(!fp_audit_entry_peek(t, n, &p));
                free(t);
        }
        free(text);
        /* the field limit: at it fine, one past refused */
        char big[FP_AUDIT_MAX_FIELD + 2];
        memset(big, 'a', sizeof(big));
        big[FP_AUDIT_MAX_FIELD] = 0;
        f.target = big;
        text = fp_audit_entry_text(&f, 1, zero);
        CHECK(text && fp_audit_entry_peek(text, strlen(text), &p) && strlen(p.target) == 255);
        free(text);
        big[FP_AUDIT_MAX_FIELD] = 'a';
        big[FP_AUDIT_MAX_FIELD + 1] = 0;
        CHECK(fp_audit_entry_text(&f, 1, zero) == NULL);
        json_decref(after);
}

static void redaction(void)
{
        const char *cred = "fpu_0123456789abcdef_0000000000000000000000000000000000000000000000000"
                           "000000000000000";
        json_t *v = json_pack("{s:s, s:s, s:s, s:[{s:s}], s:s, s:b, s:s, s:s}", "password", "pw",
                              "webhook_secret", "s3", "token", "t", "list", "Private_Key", "k",
                              "note", cred, "secret_set", 1, "name", "keep", "token_id", "keep");
        json_t *r = fp_audit_redact(v);
        CHECK_STR_EQ(json_string_value(json_object_get(r, "password")), "[redacted]");
        CHECK_STR_EQ(json_string_value(json_object_get(r, "webhook_secret")), "[redacted]");
        CHECK_STR_EQ(json_string_value(json_object_get(r, "token")), "[redacted]");
        CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(json_object_get(r, "list"), 0),
                                                       "Private_Key")),
                     "[redacted]");
        CHECK_STR_EQ(json_string_value(json_object_get(r, "note")), "[redacted]");
        CHECK(json_is_true(json_object_get(r, "secret_set"))); /* whether one is set: kept */
        CHECK_STR_EQ(json_string_value(json_object_get(r, "name")), "keep");
        CHECK_STR_EQ(json_string_value(json_object_get(r, "token_id")), "keep");
        CHECK(fp_audit_redact(NULL) == NULL);
        json_decref(v);
        json_decref(r);
}

static struct fp_server srv;
static struct fp_signkey key;

static void append_n(int n, const char *account, bool commit)
{
        struct fp_tx *tx;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK(fp_store_begin(srv.store, true, &tx, &d) == FP_OK);
        json_t *after = json_pack("{s:s, s:s}", "state", "approved", "password", "hunter2");
        for (int i = 0; i < n; i++) {
                char target[32];
                snprintf(target, sizeof(target), "cr-%d", i);
                CHECK(fp_audit_append(&srv, tx, 1796000000 + i, "user:alice", "10.0.0.1",
                                      "change_request.approve", account, target, NULL, after,
                                      &d) == FP_OK);
        }
        json_decref(after);
        if (commit) {
                CHECK(fp_tx_commit(tx, &d) == FP_OK);
                fp_audit_anchor(&srv);
        } else {
                fp_tx_rollback(tx);
        }
}

/* FP_AUDIT_MAX_VALUE: an after of exactly that many bytes is kept, one byte more is recorded
 * as its size and hash. */
static void value_limit(void)
{
        struct fp_tx *tx;
        struct fp_diag d;
        fp_diag_clear(&d);
        /* {"v":"xxx..."} is 8 bytes around the string */
        char *big = malloc(FP_AUDIT_MAX_VALUE);
        memset(big, 'x', FP_AUDIT_MAX_VALUE - 8);
        big[FP_AUDIT_MAX_VALUE - 8] = 0;
        json_t *at = json_pack("{s:s}", "v", big);
        big[FP_AUDIT_MAX_VALUE - 8] = 'x';
        big[FP_AUDIT_MAX_VALUE - 7] = 0;
        json_t *past = json_pack("{s:s}", "v", big);
        free(big);
        CHECK(fp_store_begin(srv.store, true, &tx, &d) == FP_OK);
        CHECK(fp_audit_append(&srv, tx, 1796000100, "user:alice", "", "x.at", "acme", "t", NULL,
                              at, &d) == FP_OK);
        CHECK(fp_audit_append(&srv, tx, 1796000100, "user:alice", "", "x.past", "acme", "t", NULL,
                              past, &d) == FP_OK);
        /* the log is empty before: they are seq 1 and 2 */
        struct fp_audit_rec r1, r2;
        CHECK(fp_store_audit_get(tx, 1, &r1, &d) == FP_OK);
        CHECK(fp_store_audit_get(tx, 2, &r2, &d) == FP_OK);
        CHECK(strstr(r1.entry, "\"omitted_bytes\"") == NULL && strlen(r1.entry) > 65536);
        CHECK(strstr(r2.entry, "\"omitted_bytes\":65537") != NULL && strlen(r2.entry) < 1024);
        fp_tx_rollback(tx);
        json_decref(at);
        json_decref(past);
}

static json_t *verify(void)
{
        json_t *rep = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK(fp_audit_verify(&srv, true, &rep, &d) == FP_OK);
        return rep;
}

static char *export(const char *account, size_t *len)
{
        struct fp_tx *tx;
        struct fp_diag d;
        fp_diag_clear(&d);
        char *out = NULL;
        CHECK(fp_store_begin(srv.store, false, &tx, &d) == FP_OK);
        CHECK(fp_audit_export(&srv, tx, 0, 1896000000, account, &out, len, &d) == FP_OK);
        fp_tx_rollback(tx);
        return out;
}

static enum fp_err check_export(const char *data, size_t len, bool full,
                                struct fp_audit_export_info *info, struct fp_diag *d)
{
        fp_diag_clear(d);
        return fp_audit_export_verify(data, len, key.pk, full, info, d);
}

static void store_and_export(void)
{
        char url[400], err[256];
        CHECK(test_store_url(url, sizeof(url), dir, "audit"));
        snprintf(srv.cfg.state_dir, sizeof(srv.cfg.state_dir), "%s", dir);
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_open(url, &srv.store, &d) != FP_OK || !fp_signkey_load(dir, &key, err,
                                                                            sizeof(err))) {
                fprintf(stderr, "setup: %s %s\n", d.msg, err);
                exit(1);
        }
        srv.signkey = &key;
        value_limit(); /* rolled back: the log starts empty below */
        append_n(10, "acme", true);
        append_n(5, "other", false); /* rolled back: nothing */
        append_n(5, "", true);
        append_n(5, "acme", true);
        json_t *rep = verify();
        CHECK(json_is_true(json_object_get(rep, "ok")));
        CHECK_INT_EQ(json_integer_value(json_object_get(rep, "entries")), 20);
        CHECK_INT_EQ(json_integer_value(json_object_get(rep, "signatures_checked")), 22);
        json_decref(rep);

        size_t len = 0;
        char *exp = export(NULL, &len);
        struct fp_audit_export_info info;
        CHECK(exp && check_export(exp, len, false, &info, &d) == FP_OK);
        CHECK_INT_EQ(info.entries, 20);
        CHECK(exp && check_export(exp, len, true, &info, &d) == FP_OK);
        CHECK_INT_EQ(info.signatures, 20);
        CHECK(exp && !strstr(exp, "hunter2"));
        /* every single byte changed: refused */
        size_t survived = 0;
        for (size_t i = 0; exp && i < len; i++) {
                exp[i] ^= 0x01;
                if (check_export(exp, len, false, &info, &d) == FP_OK)
                        survived++;
                exp[i] ^= 0x01;
        }
        CHECK_INT_EQ(survived, 0);
        /* a line removed (entry seq 5 on line 6), two swapped, the trailer cut */
        if (exp) {
                const char *l6 = exp;
                for (int k = 0; k < 5; k++)
                        l6 = strchr(l6, '\n') + 1;
                const char *l7 = strchr(l6, '\n') + 1;
                const char *l8 = strchr(l7, '\n') + 1;
                char *cut = malloc(len);
                size_t a = (size_t)(l6 - exp), b = (size_t)(l7 - exp);
                memcpy(cut, exp, a);
                memcpy(cut + a, l7, len - b);
                CHECK(check_export(cut, len - (b - a), false, &info, &d) == FP_ECORRUPT);
                CHECK_INT_EQ(info.bad_seq, 5);
                CHECK_INT_EQ(info.bad_line, 6);
                /* swap lines 6 and 7 */
                size_t c = (size_t)(l8 - exp);
                memcpy(cut, exp, a);
                memcpy(cut + a, l7, c - b);
                memcpy(cut + a + (c - b), l6, b - a);
                memcpy(cut + c, exp + c, len - c);
                CHECK(check_export(cut, len, false, &info, &d) == FP_ECORRUPT);
                CHECK_INT_EQ(info.bad_line, 6);
                const char *last = exp + len - 2;
                while (last > exp && *last != '\n')
                        last--;
                CHECK(check_export(exp, (size_t)(last - exp) + 1, false, &info, &d) ==
                      FP_ECORRUPT);
                CHECK(strstr(d.msg, "truncated") != NULL);
                unsigned char other_pk[32], other_sk[64];
                crypto_sign_keypair(other_pk, other_sk);
                fp_diag_clear(&d);
                CHECK(fp_audit_export_verify(exp, len, other_pk, false, &info, &d) == FP_ECORRUPT);
                CHECK(strstr(d.msg, "another key") != NULL);
                free(cut);
        }
        free(exp);
        /* an account's export: its 15 entries only */
        exp = export("acme", &len);
        CHECK(exp && check_export(exp, len, true, &info, &d) == FP_OK);
        CHECK_INT_EQ(info.entries, 15);
        CHECK_STR_EQ(info.account, "acme");
        free(exp);
        CHECK(check_export("", 0, false, &info, &d) == FP_EPARSE);
        CHECK(check_export("{}\n", 3, false, &info, &d) == FP_EPARSE);

        /* the store tampered: a middle row deleted is named */
        CHECK(test_store_exec(url, "DELETE FROM audit_log WHERE seq = 7"));
        rep = verify();
        CHECK(json_is_false(json_object_get(rep, "ok")));
        const json_t *p0 = json_array_get(json_object_get(rep, "problems"), 0);
        CHECK_INT_EQ(json_integer_value(json_object_get(p0, "seq")), 7);
        CHECK(strstr(json_string_value(json_object_get(p0, "what")), "missing") != NULL);
        json_decref(rep);
        fp_store_close(srv.store);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "/tmp/fp-audit-test-XXXXXX");
        if (!mkdtemp(dir) || sodium_init() < 0)
                return 1;
        peek_cases();
        redaction();
        store_and_export();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return fp_test_finish();
}
