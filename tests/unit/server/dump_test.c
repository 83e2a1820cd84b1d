/* The store's dump (include/fleetpatch/store_dump.h) on either engine (test_store.h: SQLite,
 * or PostgreSQL under tests/tools/with_pg.sh): a round trip gives the same dump byte for
 * byte; a non-empty target, a digest or count that does not match, another schema, malformed
 * lines, a truncated dump and the named limits are refused with the line number, and a
 * refused import writes nothing. On PostgreSQL, a copy to a SQLite file and back gives the
 * same dump again (only the header names the engine). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/store.h"
#include "fleetpatch/store_dump.h"
#include "test.h"
#include "test_store.h"

static char dir[256];
static int stores;

static struct fp_store *open_url(const char *url)
{
        struct fp_store *s = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_store_open(url, &s, &d) != FP_OK) {
                fprintf(stderr, "open %s: %s\n", url, d.msg);
                exit(1);
        }
        return s;
}

static struct fp_store *new_store(void)
{
        char url[512], name[32];
        snprintf(name, sizeof(name), "dump_s%d", stores++);
        test_store_reset(dir, name);
        if (!test_store_url(url, sizeof(url), dir, name))
                exit(1);
        return open_url(url);
}

static void fill(struct fp_store *s)
{
        struct fp_tx *tx = NULL;
        CHECK(fp_store_begin(s, true, &tx, NULL) == FP_OK);
        const char *regions[] = {"eu-west", "us-east"};
        struct fp_account_rec a = {.name = "acme", .display = "Acme \"quoted\"\n\xc3\xa9",
                                   .regions = regions, .region_count = 2, .created = 1700000000};
        CHECK(fp_store_account_create(tx, &a, NULL) == FP_OK);
        int64_t alice = 0, bob = 0;
        CHECK(fp_store_user_create(tx, "alice", "$argon2id$x", &alice, NULL) == FP_OK);
        CHECK(fp_store_user_create(tx, "bob", NULL, &bob, NULL) == FP_OK); /* a NULL */
        CHECK(fp_store_grant_set(tx, alice, "acme", FP_ROLE_ADMIN, NULL) == FP_OK);
        CHECK(fp_store_grant_set(tx, bob, "*", FP_ROLE_VIEWER, NULL) == FP_OK);
        struct fp_token_rec t = {.id = "0123456789abcdef", .kind = FP_TOKEN_ENROLL,
                                 .hash = "ab", .name = "enrol", .account = "acme",
                                 .tags_json = "{\"env\":\"prod\"}", .created = 5, .uses_left = 3,
                                 .clone_of = ""};
        CHECK(fp_store_token_create(tx, &t, NULL) == FP_OK);
        CHECK(fp_tx_commit(tx, NULL) == FP_OK);
}

/* The store's dump in memory (malloc'd). */
static char *dump_of(struct fp_store *s, struct fp_dump_summary *sum)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct fp_diag d;
        fp_diag_clear(&d);
        enum fp_err err = fp_store_export(s, f, sum, &d);
        fclose(f);
        CHECK_MSG(err == FP_OK, "export: %s", d.msg);
        return buf;
}

/* Imports text into s; the error, with *diag. */
static enum fp_err import_text(struct fp_store *s, const char *text, struct fp_diag *diag)
{
        static struct fp_dump_summary src, dst;
        FILE *f = fmemopen((void *)text, strlen(text), "r");
        if (!f)
                return FP_ENOMEM;
        fp_diag_clear(diag);
        enum fp_err err = fp_store_import(s, f, "test.dump", &src, &dst, diag);
        fclose(f);
        return err;
}

/* text with the first occurrence of from replaced by to (malloc'd). */
static char *replaced(const char *text, const char *from, const char *to)
{
        const char *p = strstr(text, from);
        if (!p) {
                FP_TEST_FAIL_("\"%s\" not in the dump", from);
                return strdup(text);
        }
        size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
        char *out = malloc(n);
        snprintf(out, n, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
        return out;
}

/* text without its line number line (1-based), or cut after line keep when cut. */
static char *line_edit(const char *text, unsigned line, bool cut)
{
        char *out = strdup(text), *o = out;
        unsigned n = 1;
        for (const char *p = text; *p; p++) {
                if (cut ? n <= line : n != line)
                        *o++ = *p;
                if (*p == '\n')
                        n++;
        }
        *o = 0;
        return out;
}

static bool still_empty(struct fp_store *s)
{
        static struct fp_dump_summary sum;
        free(dump_of(s, &sum));
        for (size_t i = 0; i < sum.tables; i++)
                if (sum.t[i].rows)
                        return false;
        return sum.tables > 0;
}

/* Imports bad into a fresh store: refused with err at line, message containing what, and
 * nothing written. */
static void refused(const char *bad, enum fp_err err, unsigned long line, const char *what)
{
        struct fp_store *s = new_store();
        struct fp_diag d;
        enum fp_err got = import_text(s, bad, &d);
        CHECK_MSG(got == err, "%s: got %s (%s), want %s", what, fp_errname(got), d.msg,
                  fp_errname(err));
        CHECK_MSG(d.line == line, "%s: line %lu, want %lu (%s)", what, d.line, line, d.msg);
        CHECK_MSG(strstr(d.msg, what) != NULL, "message \"%s\" lacks \"%s\"", d.msg, what);
        CHECK(still_empty(s));
        /* the same check without a store */
        FILE *f = fmemopen((void *)bad, strlen(bad), "r");
        static struct fp_dump_summary sum;
        struct fp_diag d2;
        fp_diag_clear(&d2);
        enum fp_err chk = fp_dump_check(f, "test.dump", &sum, &d2);
        fclose(f);
        CHECK_MSG(chk != FP_OK, "%s: fp_dump_check accepted it", what);
        fp_store_close(s);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "%s/fpdump.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir))
                return 1;
        static struct fp_dump_summary sa, sb, src, dst;
        struct fp_diag d;

        /* the tables in creation order: a referenced table before its references */
        const char *tables[FP_DUMP_TABLES_MAX];
        size_t nt = fp_dump_tables(tables, FP_DUMP_TABLES_MAX);
        CHECK(nt > 20);
        CHECK_STR_EQ(tables[0], "accounts");
        size_t users = 0, grants = 0;
        for (size_t i = 0; i < nt; i++) {
                users = !strcmp(tables[i], "users") ? i : users;
                grants = !strcmp(tables[i], "grants") ? i : grants;
        }
        CHECK(users > 0 && grants > users);

        /* a round trip: the same dump byte for byte, every table equal */
        struct fp_store *a = new_store();
        fill(a);
        char *text = dump_of(a, &sa);
        CHECK(strstr(text, "{\"fleetpatch_dump\":1,\"schema\":") == text);
        CHECK(strstr(text, "[2,\"bob\",null,") != NULL);
        CHECK(strstr(text, "{\"table\":\"accounts\",\"columns\":[\"name\",\"display\",\"created\"]}") !=
              NULL);
        struct fp_store *b = new_store();
        enum fp_err err = import_text(b, text, &d);
        CHECK_MSG(err == FP_OK, "import: %s", d.msg);
        char *again = dump_of(b, &sb);
        CHECK_STR_EQ(again, text);
        FILE *devnull = fopen("/dev/null", "w");
        CHECK_INT_EQ(fp_dump_report(devnull, &sa, &sb), 0);
        sb.t[2].rows++;
        CHECK_INT_EQ(fp_dump_report(devnull, &sa, &sb), 1);
        fclose(devnull);
        /* the imported users keep their ids, and new ones come after them */
        struct fp_tx *tx = NULL;
        int64_t id = 0;
        CHECK(fp_store_begin(b, true, &tx, NULL) == FP_OK);
        CHECK(fp_store_user_create(tx, "carol", NULL, &id, NULL) == FP_OK);
        CHECK_INT_EQ(id, 3);
        fp_tx_rollback(tx);

        /* a store with rows is refused, whatever the table */
        err = import_text(b, text, &d);
        CHECK_MSG(err == FP_EEXIST && strstr(d.msg, "not empty"), "non-empty: %s", d.msg);
        err = import_text(a, text, &d);
        CHECK(err == FP_EEXIST);

        /* copy: the same as export + import */
        struct fp_store *c = new_store();
        err = fp_store_copy(a, c, &src, &dst, &d);
        CHECK_MSG(err == FP_OK, "copy: %s", d.msg);
        char *copied = dump_of(c, &sb);
        CHECK_STR_EQ(copied, text);
        free(copied);
        CHECK(fp_store_copy(a, c, &src, &dst, &d) == FP_EEXIST);

        /* the line numbers below: 1 header, 2 accounts' header, 3 its row, 4 its end */
        char *bad;
        bad = replaced(text, "Acme", "Acmf");
        refused(bad, FP_ECORRUPT, 4, "sha256 mismatch");
        free(bad);
        bad = line_edit(text, 3, false);
        refused(bad, FP_ECORRUPT, 3, "says 1 rows, it holds 0");
        free(bad);
        char schema[64];
        snprintf(schema, sizeof(schema), "\"schema\":%lld,", (long long)fp_store_schema_version());
        bad = replaced(text, schema, "\"schema\":999,");
        refused(bad, FP_EUNSUPPORTED, 1, "schema 999");
        free(bad);
        bad = replaced(text, "\"fleetpatch_dump\":1", "\"fleetpatch_dump\":2");
        refused(bad, FP_EUNSUPPORTED, 1, "dump format");
        free(bad);
        refused("{\"hello\":1}\n", FP_EPARSE, 1, "not a fleetpatch dump");
        refused("", FP_ECORRUPT, 0, "empty");
        bad = replaced(text, "[\"acme\",", "{not json");
        refused(bad, FP_EPARSE, 3, "not JSON");
        free(bad);
        bad = replaced(text, ",1700000000]", ",1700000000,7]");
        refused(bad, FP_EPARSE, 3, "a row of 4 values");
        free(bad);
        bad = replaced(text, ",1700000000]", ",1.5]");
        refused(bad, FP_EPARSE, 3, "neither an integer");
        free(bad);
        bad = replaced(text, "{\"table\":\"accounts\"", "{\"table\":\"users\"");
        refused(bad, FP_EPARSE, 2, "table users where the schema has accounts");
        free(bad);
        bad = replaced(text, "{\"end\":\"accounts\"", "{\"end\":\"users\"");
        refused(bad, FP_EPARSE, 4, "the end of users inside table accounts");
        free(bad);
        /* 5 account_regions' header, 6 and 7 its rows, 8 its end */
        bad = line_edit(text, 8, true);
        refused(bad, FP_ECORRUPT, 8, "ends before table users (truncated)");
        free(bad);
        bad = line_edit(text, 5, true);
        refused(bad, FP_ECORRUPT, 5, "ends inside table account_regions");
        free(bad);
        {
                size_t n = strlen(text) + 64;
                bad = malloc(n);
                snprintf(bad, n, "%s[1]\n", text);
                unsigned long lines = 0;
                for (const char *p = text; *p; p++)
                        lines += *p == '\n';
                refused(bad, FP_EPARSE, lines + 1, "more after the last table");
                free(bad);
        }
        {
                /* more columns than FP_DUMP_COLUMNS_MAX */
                size_t n = strlen(text) + 16 * (FP_DUMP_COLUMNS_MAX + 2);
                char *cols = malloc(n);
                size_t o = (size_t)snprintf(cols, n, "{\"table\":\"accounts\",\"columns\":[\"c0\"");
                for (int i = 1; i <= FP_DUMP_COLUMNS_MAX; i++)
                        o += (size_t)snprintf(cols + o, n - o, ",\"c%d\"", i);
                snprintf(cols + o, n - o, "]}");
                bad = replaced(text, "{\"table\":\"accounts\",\"columns\":[\"name\",\"display\",\"created\"]}",
                               cols);
                refused(bad, FP_EPARSE, 2, "FP_DUMP_COLUMNS_MAX");
                free(bad);
                free(cols);
        }
        {
                /* a line longer than FP_DUMP_LINE_MAX */
                size_t n = FP_DUMP_LINE_MAX + 16;
                bad = malloc(n + 200);
                size_t o = (size_t)snprintf(bad, 200, "%.*s", (int)strcspn(text, "\n") + 1, text);
                memset(bad + o, ' ', n);
                bad[o + n] = '\n';
                bad[o + n + 1] = 0;
                refused(bad, FP_EPARSE, 2, "FP_DUMP_LINE_MAX");
                free(bad);
        }
        if (test_store_pg()) {
                /* PostgreSQL -> SQLite -> PostgreSQL: the same rows, digests and order */
                char url[512];
                snprintf(url, sizeof(url), "sqlite:%s/cross.db", dir);
                struct fp_store *q = open_url(url), *p2 = new_store();
                err = fp_store_copy(a, q, &src, &dst, &d);
                CHECK_MSG(err == FP_OK, "copy to SQLite: %s", d.msg);
                err = fp_store_copy(q, p2, &src, &dst, &d);
                CHECK_MSG(err == FP_OK, "copy back: %s", d.msg);
                char *sq = dump_of(q, &sb), *back = dump_of(p2, &sb);
                CHECK(strstr(sq, "\"engine\":\"sqlite\"") != NULL);
                CHECK_STR_EQ(strchr(sq, '\n'), strchr(text, '\n'));
                CHECK_STR_EQ(back, text);
                free(sq);
                free(back);
                fp_store_close(p2);
                fp_store_close(q);
        }
        /* after all the refusals the good dump still imports into a fresh store */
        struct fp_store *e = new_store();
        CHECK(import_text(e, text, &d) == FP_OK);
        fp_store_close(e);

        free(again);
        free(text);
        fp_store_close(a);
        fp_store_close(b);
        fp_store_close(c);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return fp_test_finish();
}
