/*
 * The audit log's format (include/fleetpatch/audit_chain.h, docs/audit.md): canonical entry
 * text, the SHA-256 chain (nettle: the CPU's SHA instructions), the domain-separated signed
 * messages, a parser-free reader of an entry's top-level members, redaction of secrets, and the
 * offline verifier of an export file. No I/O: the callers read files and stores.
 */
#include <nettle/sha2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/audit_chain.h"

static const char entry_domain[] = "fleetpatch-audit-entry-v1";
static const char head_domain[] = "fleetpatch-audit-head-v1";

/* ---- values ---- */

void fp_audit_hex(const unsigned char *in, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = 0;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1; /* canonical hex is lowercase: anything else is not ours */
}

/* 0..15 for a lowercase hex digit, 0 for anything else too (told apart from '0' by the caller);
 * a table: the verifier decodes a million hashes. */
static const unsigned char hexdig[256] = {
    ['0'] = 0,  ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,
    ['7'] = 7,  ['8'] = 8,  ['9'] = 9,  ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13,
    ['e'] = 14, ['f'] = 15};

bool fp_audit_unhex(const char *s, size_t slen, unsigned char *out, size_t n)
{
        if (slen != 2 * n)
                return false;
        unsigned bad = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char a = (unsigned char)s[2 * i], b = (unsigned char)s[2 * i + 1];
                unsigned hi = hexdig[a], lo = hexdig[b];
                bad |= (hi == 0 && a != '0') | (lo == 0 && b != '0');
                out[i] = (unsigned char)(hi << 4 | lo);
        }
        return !bad;
}

bool fp_audit_b64_sig(const char *s, size_t slen, unsigned char sig[FP_AUDIT_SIG_BYTES])
{
        size_t n = 0;
        char again[FP_AUDIT_SIG_B64_LEN + 1];
        if (slen != FP_AUDIT_SIG_B64_LEN ||
            sodium_base642bin(sig, FP_AUDIT_SIG_BYTES, s, slen, NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            n != FP_AUDIT_SIG_BYTES)
                return false;
        /* only the canonical spelling: the unused bits of the last character must be zero, or
         * a changed byte of an export could leave its signature the same */
        sodium_bin2base64(again, sizeof(again), sig, FP_AUDIT_SIG_BYTES,
                          sodium_base64_VARIANT_ORIGINAL);
        return !memcmp(again, s, FP_AUDIT_SIG_B64_LEN);
}

void fp_audit_key_id(const unsigned char pk[FP_AUDIT_PK_BYTES], char out[17])
{
        unsigned char h[SHA256_DIGEST_SIZE];
        struct sha256_ctx c;
        sha256_init(&c);
        sha256_update(&c, FP_AUDIT_PK_BYTES, pk);
        sha256_digest(&c, sizeof(h), h);
        fp_audit_hex(h, 8, out);
}

void fp_audit_chain_hash(const unsigned char prev[FP_AUDIT_HASH_BYTES], const char *text,
                         size_t len, unsigned char out[FP_AUDIT_HASH_BYTES])
{
        struct sha256_ctx c;
        sha256_init(&c);
        sha256_update(&c, FP_AUDIT_HASH_BYTES, prev);
        sha256_update(&c, len, (const uint8_t *)text);
        sha256_digest(&c, FP_AUDIT_HASH_BYTES, out);
}

static size_t put_be64(unsigned char *p, int64_t v)
{
        uint64_t u = (uint64_t)v;
        for (int i = 7; i >= 0; i--) {
                p[i] = (unsigned char)(u & 0xff);
                u >>= 8;
        }
        return 8;
}

size_t fp_audit_entry_msg(int64_t seq, const unsigned char hash[FP_AUDIT_HASH_BYTES],
                          unsigned char msg[FP_AUDIT_MSG_MAX])
{
        size_t n = sizeof(entry_domain); /* with its NUL: the domain separator */
        memcpy(msg, entry_domain, n);
        n += put_be64(msg + n, seq);
        memcpy(msg + n, hash, FP_AUDIT_HASH_BYTES);
        return n + FP_AUDIT_HASH_BYTES;
}

size_t fp_audit_head_msg(int64_t seq, const unsigned char hash[FP_AUDIT_HASH_BYTES], int64_t time,
                         unsigned char msg[FP_AUDIT_MSG_MAX])
{
        size_t n = sizeof(head_domain);
        memcpy(msg, head_domain, n);
        n += put_be64(msg + n, seq);
        memcpy(msg + n, hash, FP_AUDIT_HASH_BYTES);
        n += FP_AUDIT_HASH_BYTES;
        return n + put_be64(msg + n, time);
}

static bool sig_ok(const unsigned char *pk, const unsigned char *msg, size_t len,
                   const char *sig_b64)
{
        unsigned char sig[FP_AUDIT_SIG_BYTES];
        return sig_b64 && fp_audit_b64_sig(sig_b64, strlen(sig_b64), sig) &&
               crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

bool fp_audit_entry_sig_ok(const unsigned char pk[FP_AUDIT_PK_BYTES], int64_t seq,
                           const unsigned char hash[FP_AUDIT_HASH_BYTES], const char *sig_b64)
{
        unsigned char msg[FP_AUDIT_MSG_MAX];
        return sig_ok(pk, msg, fp_audit_entry_msg(seq, hash, msg), sig_b64);
}

bool fp_audit_head_sig_ok(const unsigned char pk[FP_AUDIT_PK_BYTES], int64_t seq,
                          const unsigned char hash[FP_AUDIT_HASH_BYTES], int64_t time,
                          const char *sig_b64)
{
        unsigned char msg[FP_AUDIT_MSG_MAX];
        return sig_ok(pk, msg, fp_audit_head_msg(seq, hash, time, msg), sig_b64);
}

/* ---- the entry ---- */

/* A string member: text that is not UTF-8 has its bytes >= 0x80 shown as '?' (jansson takes
 * only UTF-8; an address or name from outside must not make the append fail). */
static json_t *str_value(const char *s)
{
        json_t *v = json_string(s ? s : "");
        if (v || !s)
                return v;
        char *copy = strdup(s);
        if (!copy)
                return NULL;
        for (char *p = copy; *p; p++)
                if ((unsigned char)*p >= 0x80)
                        *p = '?';
        v = json_string(copy);
        free(copy);
        return v;
}

char *fp_audit_entry_text(const struct fp_audit_fields *f, int64_t seq,
                          const unsigned char prev[FP_AUDIT_HASH_BYTES])
{
        const char *strs[] = {f->actor, f->token, f->source, f->action, f->account, f->target};
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
                if (strs[i] && strlen(strs[i]) > FP_AUDIT_MAX_FIELD)
                        return NULL;
        char prev_hex[FP_AUDIT_HEX_LEN + 1];
        fp_audit_hex(prev, FP_AUDIT_HASH_BYTES, prev_hex);
        json_t *o = json_object();
        if (!o)
                return NULL;
        bool ok = !json_object_set_new(o, "account", str_value(f->account)) &&
                  !json_object_set_new(o, "action", str_value(f->action)) &&
                  !json_object_set_new(o, "actor", str_value(f->actor)) &&
                  /* borrowed for the dump (a reference, not a copy) */
                  !json_object_set_new(o, "after",
                                       f->after ? json_incref((json_t *)f->after) : json_null()) &&
                  !json_object_set_new(o, "before",
                                       f->before ? json_incref((json_t *)f->before)
                                                 : json_null()) &&
                  !json_object_set_new(o, "prev", json_string(prev_hex)) &&
                  !json_object_set_new(o, "seq", json_integer(seq)) &&
                  !json_object_set_new(o, "source", str_value(f->source)) &&
                  !json_object_set_new(o, "target", str_value(f->target)) &&
                  !json_object_set_new(o, "time", json_integer(f->time)) &&
                  !json_object_set_new(o, "token", str_value(f->token));
        char *text = ok ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        return text;
}

/* ---- reading an entry without a parser ---- */

static const char *lit(const char *p, const char *end, const char *s)
{
        size_t n = strlen(s);
        return (size_t)(end - p) >= n && !memcmp(p, s, n) ? p + n : NULL;
}

static void put_utf8(char *out, size_t *o, size_t max, unsigned cp, bool *ok)
{
        unsigned char b[4];
        size_t n;
        if (cp < 0x80) {
                b[0] = (unsigned char)cp;
                n = 1;
        } else if (cp < 0x800) {
                b[0] = (unsigned char)(0xc0 | cp >> 6);
                b[1] = (unsigned char)(0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                b[0] = (unsigned char)(0xe0 | cp >> 12);
                b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
                b[2] = (unsigned char)(0x80 | (cp & 0x3f));
                n = 3;
        } else {
                b[0] = (unsigned char)(0xf0 | cp >> 18);
                b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
                b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
                b[3] = (unsigned char)(0x80 | (cp & 0x3f));
                n = 4;
        }
        if (*o + n > max) {
                *ok = false;
                return;
        }
        memcpy(out + *o, b, n);
        *o += n;
}

static bool hex4(const char *p, const char *end, unsigned *out)
{
        unsigned v = 0;
        if (end - p < 4)
                return false;
        for (int i = 0; i < 4; i++) {
                char c = p[i];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0)
                        return false;
                v = v << 4 | (unsigned)d;
        }
        *out = v;
        return true;
}

/* A JSON string at p (at its opening quote) unescaped into out (at most max bytes + NUL);
 * returns the position after the closing quote or NULL. */
static const char *jstr(const char *p, const char *end, char *out, size_t max)
{
        if (p >= end || *p != '"')
                return NULL;
        p++;
        size_t o = 0;
        bool ok = true;
        while (p < end && *p != '"') {
                unsigned char c = (unsigned char)*p;
                if (c < 0x20)
                        return NULL;
                if (c != '\\') {
                        if (o + 1 > max)
                                return NULL;
                        out[o++] = (char)c;
                        p++;
                        continue;
                }
                if (++p >= end)
                        return NULL;
                static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
                const char *e = *p ? strchr(esc, *p) : NULL;
                if (e) {
                        put_utf8(out, &o, max, (unsigned char)val[e - esc], &ok);
                        p++;
                } else if (*p == 'u') {
                        unsigned cp, lo;
                        if (!hex4(p + 1, end, &cp))
                                return NULL;
                        p += 5;
                        if (cp >= 0xd800 && cp < 0xdc00) {
                                if (!lit(p, end, "\\u") || !hex4(p + 2, end, &lo) || lo < 0xdc00 ||
                                    lo > 0xdfff)
                                        return NULL;
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                p += 6;
                        } else if (cp >= 0xdc00 && cp < 0xe000) {
                                return NULL;
                        }
                        if (cp == 0)
                                return NULL;
                        put_utf8(out, &o, max, cp, &ok);
                } else {
                        return NULL;
                }
                if (!ok)
                        return NULL;
        }
        if (p >= end)
                return NULL;
        out[o] = 0;
        return p + 1;
}

static const char *jint(const char *p, const char *end, int64_t *out)
{
        bool neg = p < end && *p == '-';
        if (neg)
                p++;
        const char *start = p;
        uint64_t v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
                if (v > (UINT64_C(1) << 62) / 10 * 2)
                        return NULL; /* beyond any time or seq we write */
                v = v * 10 + (uint64_t)(*p - '0');
                p++;
        }
        if (p == start || (p - start > 1 && *start == '0') || v > INT64_MAX)
                return NULL;
        *out = neg ? -(int64_t)v : (int64_t)v;
        return p;
}

bool fp_audit_entry_peek(const char *text, size_t len, struct fp_audit_peek *out)
{
        const char *end = text + len, *p = text;
        if (!(p = lit(p, end, "{\"account\":")) ||
            !(p = jstr(p, end, out->account, FP_AUDIT_MAX_FIELD)) ||
            !(p = lit(p, end, ",\"action\":")) ||
            !(p = jstr(p, end, out->action, FP_AUDIT_MAX_FIELD)) ||
            !(p = lit(p, end, ",\"actor\":")) ||
            !(p = jstr(p, end, out->actor, FP_AUDIT_MAX_FIELD)) || !lit(p, end, ",\"after\":"))
                return false;
        /* the last structural ,"prev":" is the top-level one: a quote inside a string is
         * always escaped, and before/after (the only nested values) come first */
        static const char key[] = ",\"prev\":\"";
        const size_t klen = sizeof(key) - 1;
        const char *q = NULL;
        for (const char *s = end - klen; s >= p; s--)
                if (*s == ',' && !memcmp(s, key, klen)) {
                        q = s;
                        break;
                }
        if (!q)
                return false;
        p = q + klen;
        if (end - p < FP_AUDIT_HEX_LEN + 1 ||
            !fp_audit_unhex(p, FP_AUDIT_HEX_LEN, out->prev, FP_AUDIT_HASH_BYTES))
                return false;
        p += FP_AUDIT_HEX_LEN;
        if (!(p = lit(p, end, "\",\"seq\":")) || !(p = jint(p, end, &out->seq)) ||
            !(p = lit(p, end, ",\"source\":")) ||
            !(p = jstr(p, end, out->source, FP_AUDIT_MAX_FIELD)) ||
            !(p = lit(p, end, ",\"target\":")) ||
            !(p = jstr(p, end, out->target, FP_AUDIT_MAX_FIELD)) ||
            !(p = lit(p, end, ",\"time\":")) || !(p = jint(p, end, &out->time)) ||
            !(p = lit(p, end, ",\"token\":")) ||
            !(p = jstr(p, end, out->token, FP_AUDIT_MAX_FIELD)) || !(p = lit(p, end, "}")))
                return false;
        return p == end;
}

/* ---- redaction ---- */

static bool secret_key(const char *k)
{
        static const char *const parts[] = {"password", "passwd", "secret", "pwhash", "private",
                                            "authorization", "credential", "api_key", "apikey"};
        static const char *const whole[] = {"token", "key", "hash", "signature"};
        char low[64];
        size_t n = strlen(k);
        if (n >= sizeof(low))
                n = sizeof(low) - 1;
        for (size_t i = 0; i < n; i++)
                low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' : k[i]);
        low[n] = 0;
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
                if (strstr(low, parts[i]))
                        return true;
        for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
                if (!strcmp(low, whole[i]))
                        return true;
        return false;
}

/* "ppp_<16 hex>_<64 hex>": a bearer token of any kind. */
static bool credential_shaped(const char *s)
{
        if (strlen(s) != 85 || s[3] != '_' || s[20] != '_')
                return false;
        for (size_t i = 4; i < 85; i++)
                if (i != 20 && hexval(s[i]) < 0)
                        return false;
        return true;
}

json_t *fp_audit_redact(const json_t *v)
{
        if (!v)
                return NULL;
        if (json_is_object(v)) {
                json_t *o = json_object();
                const char *k;
                json_t *m;
                json_object_foreach((json_t *)v, k, m) {
                        json_t *c = secret_key(k) && !json_is_null(m) && !json_is_boolean(m)
                                            ? json_string("[redacted]")
                                            : fp_audit_redact(m);
                        if (!o || json_object_set_new(o, k, c)) {
                                json_decref(o);
                                return NULL;
                        }
                }
                return o;
        }
        if (json_is_array(v)) {
                json_t *a = json_array();
                size_t i;
                json_t *m;
                json_array_foreach(v, i, m) {
                        if (!a || json_array_append_new(a, fp_audit_redact(m))) {
                                json_decref(a);
                                return NULL;
                        }
                }
                return a;
        }
        if (json_is_string(v) && credential_shaped(json_string_value(v)))
                return json_string("[redacted]");
        return json_deep_copy(v);
}

/* ---- the export ---- */

#define ENTRY_PREFIX "{\"entry\":"
#define ENTRY_SUFFIX_LEN (9 + FP_AUDIT_HEX_LEN + 9 + FP_AUDIT_SIG_B64_LEN + 2)
#define TRAILER_PREFIX_LEN (8 + FP_AUDIT_SIG_B64_LEN + 12)

static enum fp_err bad(struct fp_diag *diag, struct fp_audit_export_info *info,
                       unsigned long line, int64_t seq, enum fp_err err, const char *what)
{
        info->bad_line = line;
        info->bad_seq = seq;
        if (seq > 0)
                fp_diag_set(diag, NULL, line, NULL, "seq %lld: %s", (long long)seq, what);
        else
                fp_diag_set(diag, NULL, line, NULL, "%s", what);
        return err;
}

static bool get_i64(const json_t *o, const char *k, int64_t *out)
{
        const json_t *v = json_object_get(o, k);
        if (!json_is_integer(v))
                return false;
        *out = json_integer_value(v);
        return true;
}

static bool get_hash(const json_t *o, const char *k, unsigned char out[FP_AUDIT_HASH_BYTES])
{
        const char *s = json_string_value(json_object_get(o, k));
        return s && fp_audit_unhex(s, strlen(s), out, FP_AUDIT_HASH_BYTES);
}

static enum fp_err check_header(const char *line, size_t n, const unsigned char *pk,
                                struct fp_audit_export_info *info,
                                unsigned char prev[FP_AUDIT_HASH_BYTES], struct fp_diag *diag)
{
        json_error_t je;
        json_t *h = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
        const char *fmt = json_string_value(json_object_get(h, "format"));
        const char *kid = json_string_value(json_object_get(h, "key_id"));
        const json_t *acc = json_object_get(h, "account");
        int64_t version = 0;
        enum fp_err err = FP_OK;
        char want[17];
        fp_audit_key_id(pk, want);
        if (!h || !fmt || strcmp(fmt, FP_AUDIT_EXPORT_FORMAT))
                err = bad(diag, info, 1, 0, FP_EPARSE, "not a fleetpatch audit export (header)");
        else if (!get_i64(h, "version", &version) || version != 1)
                err = bad(diag, info, 1, 0, FP_EPARSE, "unsupported export version");
        else if (!get_i64(h, "first_seq", &info->first_seq) || !get_i64(h, "from", &info->from) ||
                 !get_i64(h, "to", &info->to) || !get_hash(h, "prev", prev) || !kid ||
                 strlen(kid) != 16 || (!json_is_null(acc) && !json_is_string(acc)) ||
                 (json_is_string(acc) && strlen(json_string_value(acc)) > FP_AUDIT_MAX_FIELD) ||
                 info->first_seq < 1)
                err = bad(diag, info, 1, 0, FP_ECORRUPT, "the header is incomplete or altered");
        else if (strcmp(kid, want))
                err = bad(diag, info, 1, 0, FP_ECORRUPT,
                          "the export is signed by another key (its key id differs from the "
                          "given public key's)");
        if (err == FP_OK) {
                snprintf(info->key_id, sizeof(info->key_id), "%s", kid ? kid : "");
                snprintf(info->account, sizeof(info->account), "%s",
                         json_is_string(acc) ? json_string_value(acc) : "");
        }
        json_decref(h);
        return err;
}

struct entry_state {
        unsigned char prev[FP_AUDIT_HASH_BYTES]; /* hash of the previous line (or header prev) */
        int64_t prev_seq;                        /* its seq (first_seq - 1 for the header) */
        int64_t prev_time;                       /* times never go back (the store keeps them so) */
        struct fp_audit_peek peek;
};

static enum fp_err check_entry(const char *line, size_t n, unsigned long lineno,
                               const unsigned char *pk, bool full, bool whole,
                               struct entry_state *st, struct fp_audit_export_info *info,
                               struct fp_diag *diag)
{
        size_t plen = sizeof(ENTRY_PREFIX) - 1;
        if (n < plen + ENTRY_SUFFIX_LEN + 2 || memcmp(line, ENTRY_PREFIX, plen))
                return bad(diag, info, lineno, 0, FP_ECORRUPT, "not an entry line");
        const char *suf = line + n - ENTRY_SUFFIX_LEN;
        const char *text = line + plen;
        size_t tlen = (size_t)(suf - text);
        unsigned char hash[FP_AUDIT_HASH_BYTES], calc[FP_AUDIT_HASH_BYTES];
        char sig[FP_AUDIT_SIG_B64_LEN + 1];
        if (memcmp(suf, ",\"hash\":\"", 9) ||
            !fp_audit_unhex(suf + 9, FP_AUDIT_HEX_LEN, hash, sizeof(hash)) ||
            memcmp(suf + 9 + FP_AUDIT_HEX_LEN, "\",\"sig\":\"", 9) ||
            memcmp(line + n - 2, "\"}", 2))
                return bad(diag, info, lineno, 0, FP_ECORRUPT, "the entry's hash or signature "
                                                              "member is altered");
        memcpy(sig, suf + 18 + FP_AUDIT_HEX_LEN, FP_AUDIT_SIG_B64_LEN);
        sig[FP_AUDIT_SIG_B64_LEN] = 0;
        if (!fp_audit_entry_peek(text, tlen, &st->peek))
                return bad(diag, info, lineno, 0, FP_ECORRUPT,
                           "the entry is not a well-formed audit entry (edited)");
        int64_t seq = st->peek.seq;
        if (seq <= st->prev_seq)
                return bad(diag, info, lineno, seq, FP_ECORRUPT,
                           "out of order (reordered or duplicated)");
        if (whole && seq != st->prev_seq + 1) {
                char msg[128];
                snprintf(msg, sizeof(msg), "entries %lld..%lld are missing (removed)",
                         (long long)st->prev_seq + 1, (long long)seq - 1);
                return bad(diag, info, lineno, st->prev_seq + 1, FP_ECORRUPT, msg);
        }
        if (st->peek.time < info->from || st->peek.time > info->to ||
            st->peek.time < st->prev_time)
                return bad(diag, info, lineno, seq, FP_ECORRUPT,
                           "its time is outside the export's period or before the entry before it");
        if (info->account[0] && strcmp(st->peek.account, info->account))
                return bad(diag, info, lineno, seq, FP_ECORRUPT,
                           "an entry of another account in an account's export");
        fp_audit_chain_hash(st->peek.prev, text, tlen, calc);
        if (sodium_memcmp(calc, hash, sizeof(hash)))
                return bad(diag, info, lineno, seq, FP_ECORRUPT,
                           "the entry does not match its hash (edited)");
        if (seq == st->prev_seq + 1 && sodium_memcmp(st->peek.prev, st->prev, sizeof(hash)))
                return bad(diag, info, lineno, seq, FP_ECORRUPT,
                           "does not follow the entry before it (its prev hash differs)");
        if (full) {
                if (!fp_audit_entry_sig_ok(pk, seq, hash, sig))
                        return bad(diag, info, lineno, seq, FP_ECORRUPT,
                                   "the signature does not match");
                info->signatures++;
        }
        memcpy(st->prev, hash, sizeof(hash));
        st->prev_seq = seq;
        st->prev_time = st->peek.time;
        if (!info->entries && whole && seq != info->first_seq)
                return bad(diag, info, lineno, seq, FP_ECORRUPT,
                           "the first entry is not the header's first_seq");
        info->entries++;
        info->last_seq = seq;
        return FP_OK;
}

static enum fp_err check_trailer(const char *data, const char *line, size_t n,
                                 unsigned long lineno, const unsigned char *pk,
                                 const struct entry_state *st, struct fp_audit_export_info *info,
                                 struct fp_diag *diag)
{
        if (n < TRAILER_PREFIX_LEN + 3 || memcmp(line, "{\"sig\":\"", 8) ||
            memcmp(line + 8 + FP_AUDIT_SIG_B64_LEN, "\",\"trailer\":", 12) || line[n - 1] != '}')
                return bad(diag, info, lineno, 0, FP_ECORRUPT,
                           "the signed trailer is missing or altered (truncated?)");
        char sig[FP_AUDIT_SIG_B64_LEN + 1];
        memcpy(sig, line + 8, FP_AUDIT_SIG_B64_LEN);
        sig[FP_AUDIT_SIG_B64_LEN] = 0;
        const char *text = line + TRAILER_PREFIX_LEN;
        size_t tlen = n - TRAILER_PREFIX_LEN - 1;
        unsigned char sigb[FP_AUDIT_SIG_BYTES];
        size_t dlen = sizeof(FP_AUDIT_EXPORT_DOMAIN);
        unsigned char *msg = malloc(dlen + tlen);
        if (!msg)
                return FP_ENOMEM;
        memcpy(msg, FP_AUDIT_EXPORT_DOMAIN, dlen);
        memcpy(msg + dlen, text, tlen);
        bool ok = fp_audit_b64_sig(sig, FP_AUDIT_SIG_B64_LEN, sigb) &&
                  crypto_sign_verify_detached(sigb, msg, dlen + tlen, pk) == 0;
        free(msg);
        if (!ok)
                return bad(diag, info, lineno, 0, FP_ECORRUPT,
                           "the trailer's signature does not match");
        json_error_t je;
        json_t *t = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, &je);
        int64_t count = -1, first = -1, last = -1;
        unsigned char digest[FP_AUDIT_HASH_BYTES], last_hash[FP_AUDIT_HASH_BYTES],
            calc[FP_AUDIT_HASH_BYTES], head_hash[FP_AUDIT_HASH_BYTES];
        enum fp_err err = FP_OK;
        if (!t || !get_i64(t, "count", &count) || !get_i64(t, "first_seq", &first) ||
            !get_i64(t, "last_seq", &last) || !get_i64(t, "head_seq", &info->head_seq) ||
            !get_hash(t, "digest", digest) || !get_hash(t, "last_hash", last_hash) ||
            !get_hash(t, "head_hash", head_hash)) {
                err = bad(diag, info, lineno, 0, FP_ECORRUPT, "the trailer is incomplete");
                goto out;
        }
        struct sha256_ctx c;
        sha256_init(&c);
        sha256_update(&c, (size_t)(line - data), (const uint8_t *)data);
        sha256_digest(&c, sizeof(calc), calc);
        if (sodium_memcmp(calc, digest, sizeof(calc)))
                err = bad(diag, info, lineno, 0, FP_ECORRUPT,
                          "the lines before the trailer are not the ones it signed");
        else if (count != info->entries || first != info->first_seq ||
                 (count > 0 && (last != info->last_seq ||
                                sodium_memcmp(last_hash, st->prev, sizeof(last_hash)))))
                err = bad(diag, info, lineno, 0, FP_ECORRUPT,
                          "the trailer's count or last entry differ from the entries");
out:
        json_decref(t);
        return err;
}

enum fp_err fp_audit_export_verify(const char *data, size_t len,
                                   const unsigned char pk[FP_AUDIT_PK_BYTES], bool full,
                                   struct fp_audit_export_info *info, struct fp_diag *diag)
{
        memset(info, 0, sizeof(*info));
        struct entry_state *st = calloc(1, sizeof(*st));
        if (!st)
                return FP_ENOMEM;
        enum fp_err err = FP_OK;
        const char *p = data, *end = data + len;
        unsigned long lineno = 0;
        bool trailer = false;
        while (err == FP_OK && p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                lineno++;
                if (!nl) {
                        err = bad(diag, info, lineno, 0, FP_ECORRUPT,
                                  "the last line has no newline (truncated)");
                        break;
                }
                size_t n = (size_t)(nl - p);
                if (n > FP_AUDIT_MAX_LINE) {
                        err = bad(diag, info, lineno, 0, FP_ELIMIT, "line longer than "
                                                                     "FP_AUDIT_MAX_LINE");
                        break;
                }
                if (trailer) {
                        err = bad(diag, info, lineno, 0, FP_ECORRUPT,
                                  "lines after the signed trailer");
                } else if (lineno == 1) {
                        err = check_header(p, n, pk, info, st->prev, diag);
                        st->prev_seq = info->first_seq - 1;
                } else if (n >= 8 && !memcmp(p, "{\"sig\":\"", 8)) {
                        err = check_trailer(data, p, n, lineno, pk, st, info, diag);
                        trailer = true;
                } else {
                        err = check_entry(p, n, lineno, pk, full, !info->account[0], st, info,
                                          diag);
                }
                p = nl + 1;
        }
        if (err == FP_OK && !lineno)
                err = bad(diag, info, 0, 0, FP_EPARSE, "empty file: not an audit export");
        else if (err == FP_OK && !trailer)
                err = bad(diag, info, lineno, 0, FP_ECORRUPT,
                          "no signed trailer (the export is truncated)");
        free(st);
        return err;
}
