/*
 * fleetpatch audit: the server's audit log (docs/audit.md) — list entries, verify the whole log
 * on the server, export a period as a signed file, and verify such a file offline with the
 * public key only (no server: include/fleetpatch/audit_chain.h does the checking).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/audit_chain.h"
#include "fleetpatch/limits.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch audit ls [--account A] [--actor WHO] [--action NAME] [--from T]\n"
                "                           [--to T] [--before SEQ] [--limit N] [--json]\n"
                "       fleetpatch audit verify [--full] [--json]            (on the server)\n"
                "       fleetpatch audit verify --file EXPORT --key signing.pub [--full]\n"
                "                                                         (offline, no server)\n"
                "       fleetpatch audit export --from T --to T [--account A] [-o FILE]\n"
                "       fleetpatch audit key [--json]\n"
                "\n"
                "  T        seconds since the epoch, YYYY-MM-DD (UTC; as --to the end of that day)\n"
                "           or YYYY-MM-DDTHH:MM:SSZ\n"
                "  --action an action (change_request.approve) or a prefix ending with '.'\n"
                "  --full   check every entry's signature too (verify)\n"
                "verify exits 1 when the log or the file fails verification, naming the first bad\n"
                "entry. Connection options of every command: --server URL --token T --cacert FILE\n"
                "--timeout DUR (see 'fleetpatch login --help').\n");
}

/* T as seconds; end: a date alone means its last second. */
static bool parse_time(const char *s, bool end, long long *out)
{
        long long v;
        if (cli_parse_int(s, 0, 253402300799LL, &v)) {
                *out = v;
                return true;
        }
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        char tail[8] = "";
        int n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%7s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                       &tm.tm_hour, &tm.tm_min, &tm.tm_sec, tail);
        bool date_only = n == 3 && strlen(s) == 10;
        if (!(date_only || (n == 7 && !strcmp(tail, "Z"))))
                return false;
        if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
            tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1970)
                return false;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        if (t == (time_t)-1)
                return false;
        *out = (long long)t + (date_only && end ? 86399 : 0);
        return true;
}

static int bad_time(const char *opt, const char *v)
{
        fprintf(stderr, "fleetpatch: audit: %s '%s': seconds since the epoch, YYYY-MM-DD or "
                        "YYYY-MM-DDTHH:MM:SSZ\n",
                opt, v);
        return FP_EXIT_USAGE;
}

static int audit_ls(int argc, char **argv)
{
        const char *account = NULL, *actor = NULL, *action = NULL, *from = NULL, *to = NULL,
                   *before = NULL, *limit = NULL;
        const struct cli_opt opts[] = {
            {"--account", CLI_VALUE, &account}, {"--actor", CLI_VALUE, &actor},
            {"--action", CLI_VALUE, &action},   {"--from", CLI_VALUE, &from},
            {"--to", CLI_VALUE, &to},           {"--before", CLI_VALUE, &before},
            {"--limit", CLI_VALUE, &limit},     {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "audit ls", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        long long t;
        char num[32];
        struct fp_buf path;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        fp_buf_addstr(&path, "/v1/audit");
        if (account)
                cli_query_add(&path, "account", account);
        if (actor)
                cli_query_add(&path, "actor", actor);
        if (action)
                cli_query_add(&path, "action", action);
        if (from) {
                if (!parse_time(from, false, &t)) {
                        fp_buf_release(&path);
                        return bad_time("--from", from);
                }
                snprintf(num, sizeof(num), "%lld", t);
                cli_query_add(&path, "from", num);
        }
        if (to) {
                if (!parse_time(to, true, &t)) {
                        fp_buf_release(&path);
                        return bad_time("--to", to);
                }
                snprintf(num, sizeof(num), "%lld", t);
                cli_query_add(&path, "to", num);
        }
        if (before)
                cli_query_add(&path, "before", before);
        if (limit)
                cli_query_add(&path, "limit", limit);
        json_t *answer = NULL;
        rc = cli_request(&r, "GET", fp_buf_str(&path), NULL, &answer);
        fp_buf_release(&path);
        if (rc != FP_EXIT_OK)
                return rc;
        static const struct cli_col cols[] = {
            {"SEQ", "seq", false},       {"TIME", "time", true},     {"ACTOR", "actor", false},
            {"ACTION", "action", false}, {"ACCOUNT", "account", false},
            {"TARGET", "target", false}, {"SOURCE", "source", false},
        };
        const json_t *next = json_object_get(answer, "next_before");
        if (!r.json && json_is_integer(next))
                fprintf(stderr, "more: --before %lld\n", (long long)json_integer_value(next));
        return cli_show_list(&r, answer, "entries", cols, sizeof(cols) / sizeof(cols[0]));
}

/* ---- offline ---- */

static bool read_file(const char *path, size_t max, char **out, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "fleetpatch: audit verify: %s: %s\n", path, strerror(errno));
                return false;
        }
        struct fp_buf b;
        fp_buf_init(&b, max);
        char chunk[65536];
        size_t n;
        bool ok = true;
        while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                ok = fp_buf_add(&b, chunk, n) == FP_OK;
        ok = ok && !ferror(f);
        fclose(f);
        if (!ok) {
                fprintf(stderr, "fleetpatch: audit verify: %s: unreadable or larger than %zu "
                                "bytes\n",
                        path, max);
                fp_buf_release(&b);
                return false;
        }
        *len = b.len;
        *out = b.len ? fp_buf_take(&b) : calloc(1, 1);
        return *out != NULL;
}

static int verify_offline(const char *file, const char *keyfile, bool full, bool json)
{
        char *key = NULL, *data = NULL;
        size_t klen = 0, len = 0;
        unsigned char pk[FP_AUDIT_PK_BYTES];
        if (sodium_init() < 0) {
                fprintf(stderr, "fleetpatch: audit verify: libsodium failed to initialise\n");
                return FP_EXIT_INPUT;
        }
        if (!read_file(keyfile, 1024, &key, &klen))
                return FP_EXIT_INPUT;
        while (klen && (key[klen - 1] == '\n' || key[klen - 1] == '\r' || key[klen - 1] == ' '))
                key[--klen] = 0;
        size_t n = 0;
        bool key_ok = sodium_base642bin(pk, sizeof(pk), key, klen, NULL, &n, NULL,
                                        sodium_base64_VARIANT_ORIGINAL) == 0 &&
                      n == sizeof(pk);
        free(key);
        if (!key_ok) {
                fprintf(stderr, "fleetpatch: audit verify: %s: not a base64 Ed25519 public key "
                                "(signing.pub)\n",
                        keyfile);
                return FP_EXIT_INPUT;
        }
        if (!read_file(file, FP_AUDIT_EXPORT_MAX_BYTES, &data, &len))
                return FP_EXIT_INPUT;
        struct fp_audit_export_info info;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_audit_export_verify(data, len, pk, full, &info, &diag);
        free(data);
        if (json) {
                json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:s, s:s?}", "ok", err == FP_OK,
                                      "entries", (json_int_t)info.entries, "first_seq",
                                      (json_int_t)info.first_seq, "last_seq",
                                      (json_int_t)info.last_seq, "key_id", info.key_id, "error",
                                      err == FP_OK ? NULL : diag.msg);
                if (o && err != FP_OK)
                        json_object_set_new(o, "line", json_integer((json_int_t)info.bad_line));
                if (o && err != FP_OK && info.bad_seq)
                        json_object_set_new(o, "seq", json_integer(info.bad_seq));
                cli_print_json(o);
                json_decref(o);
        }
        if (err != FP_OK) {
                fprintf(stderr, "fleetpatch: audit verify: %s: line %lu: %s\n", file,
                        info.bad_line, diag.msg);
                return err == FP_ENOMEM ? FP_EXIT_INPUT : FP_EXIT_FALSE;
        }
        if (!json && !info.entries)
                printf("ok: no entries in the period (the log's head was seq %lld), key %s\n",
                       (long long)info.head_seq, info.key_id);
        else if (!json)
                printf("ok: %lld entries (seq %lld..%lld%s%s), key %s, %s\n",
                       (long long)info.entries, (long long)info.first_seq,
                       (long long)info.last_seq, info.account[0] ? ", account " : "",
                       info.account, info.key_id,
                       full ? "every signature checked" : "chain and trailer signature checked");
        return FP_EXIT_OK;
}

static int audit_verify(int argc, char **argv)
{
        const char *file = NULL, *keyfile = NULL;
        bool full = false;
        const struct cli_opt opts[] = {{"--file", CLI_VALUE, &file},
                                       {"--key", CLI_VALUE, &keyfile},
                                       {"--full", CLI_FLAG, &full},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "audit verify", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (file || keyfile) {
                if (!file || !keyfile) {
                        fprintf(stderr, "fleetpatch: audit verify: --file and --key go together "
                                        "(offline verification of an export)\n");
                        return FP_EXIT_USAGE;
                }
                return verify_offline(file, keyfile, full, r.json);
        }
        json_t *answer = NULL;
        rc = cli_request(&r, "GET", full ? "/v1/audit/verify?full=true" : "/v1/audit/verify",
                         NULL, &answer);
        if (rc != FP_EXIT_OK)
                return rc;
        bool ok = json_is_true(json_object_get(answer, "ok"));
        if (r.json) {
                cli_print_json(answer);
        } else {
                size_t i;
                const json_t *p;
                json_array_foreach(json_object_get(answer, "problems"), i, p) {
                        long long seq = (long long)json_integer_value(json_object_get(p, "seq"));
                        const char *what = json_string_value(json_object_get(p, "what"));
                        if (seq > 0)
                                printf("seq %lld: %s\n", seq, what ? what : "?");
                        else
                                printf("%s\n", what ? what : "?");
                }
                printf("%s: %lld entries, %lld problem(s), %s mode\n", ok ? "ok" : "FAILED",
                       (long long)json_integer_value(json_object_get(answer, "entries")),
                       (long long)json_integer_value(json_object_get(answer, "problems_total")),
                       json_string_value(json_object_get(answer, "mode")));
        }
        json_decref(answer);
        return ok ? FP_EXIT_OK : FP_EXIT_FALSE;
}

static int audit_export(int argc, char **argv)
{
        const char *from = NULL, *to = NULL, *account = NULL, *out = NULL;
        const struct cli_opt opts[] = {{"--from", CLI_VALUE, &from},
                                       {"--to", CLI_VALUE, &to},
                                       {"--account", CLI_VALUE, &account},
                                       {"-o", CLI_VALUE, &out},
                                       {"--output", CLI_VALUE, &out},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "audit export", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        long long f, t;
        if (!from || !to) {
                fprintf(stderr, "fleetpatch: audit export: --from and --to are required\n");
                return FP_EXIT_USAGE;
        }
        if (!parse_time(from, false, &f))
                return bad_time("--from", from);
        if (!parse_time(to, true, &t))
                return bad_time("--to", to);
        char num[32];
        struct fp_buf path, body;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        fp_buf_addstr(&path, "/v1/audit/export");
        snprintf(num, sizeof(num), "%lld", f);
        cli_query_add(&path, "from", num);
        snprintf(num, sizeof(num), "%lld", t);
        cli_query_add(&path, "to", num);
        if (account)
                cli_query_add(&path, "account", account);
        struct cli_conn c;
        fp_buf_init(&body, FP_AUDIT_EXPORT_MAX_BYTES);
        rc = cli_connect(&r, &c);
        if (rc == FP_EXIT_OK)
                rc = cli_call_raw(&c, fp_buf_str(&path), &body);
        memset(c.token, 0, sizeof(c.token));
        fp_buf_release(&path);
        if (rc == FP_EXIT_OK) {
                FILE *o = out && strcmp(out, "-") ? fopen(out, "wb") : stdout;
                bool ok = o && fwrite(body.ptr ? body.ptr : "", 1, body.len, o) == body.len;
                if (o && o != stdout)
                        ok = fclose(o) == 0 && ok;
                else if (o)
                        ok = fflush(o) == 0 && ok;
                if (!ok) {
                        fprintf(stderr, "fleetpatch: audit export: %s: %s\n", out ? out : "stdout",
                                strerror(errno));
                        rc = FP_EXIT_INPUT;
                } else if (out && strcmp(out, "-")) {
                        fprintf(stderr, "wrote %s (%zu bytes); check it with: fleetpatch audit "
                                        "verify --file %s --key signing.pub\n",
                                out, body.len, out);
                }
        }
        fp_buf_release(&body);
        return rc;
}

static int audit_key(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "audit key", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *answer = NULL;
        rc = cli_request(&r, "GET", "/v1/audit/key", NULL, &answer);
        return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
}

int cmd_audit(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"ls", audit_ls},
                                              {"verify", audit_verify},
                                              {"export", audit_export},
                                              {"key", audit_key}};
        return cli_dispatch(argc, argv, "audit", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
