/* The vulnerability database: idempotent imports, revisions, failed imports keep the previous
 * data, KEV replacement, exceptions with history, schema versions. */
#include "vtest.h"

#include <sqlite3.h>

static const struct fp_vuln_range range_a[] = {{NULL, "1.2-4", NULL}};

static struct fp_vuln_affected aff(const char *release, const char *pkg, const char *fixed)
{
        return (struct fp_vuln_affected){
                .distro = "debian", .release = release, .package = pkg, .source = true,
                .state = FP_VS_AFFECTED, .fixed = fixed};
}

struct count_ctx {
        size_t n;
        const char *last_fixed;
        char fixed[64];
};

static enum fp_err count_cb(void *ud, const char *feed, const struct fp_vuln_advisory *adv,
                            const struct fp_vuln_affected *a)
{
        struct count_ctx *c = ud;
        (void)feed;
        (void)adv;
        c->n++;
        snprintf(c->fixed, sizeof(c->fixed), "%s", a->fixed ? a->fixed : "");
        return FP_OK;
}

static void test_idempotent_and_revisions(void)
{
        struct fp_vulndb *db = vt_db_open();
        const char *aliases[] = {"CVE-2024-0001"};
        struct fp_vuln_affected af[] = {aff("bookworm", "foo", "1.2-4")};
        struct fp_vuln_advisory a = {.id = "DSA-1-1", .kind = FP_FEED_DSA, .aliases = aliases,
                                     .naliases = 1, .cvss_score = -1, .modified = 1000,
                                     .affected = af, .naffected = 1};
        struct fp_import_stats st;
        CHECK_INT_EQ(vt_import(db, "f", &a, 1, NULL, 0, &st), FP_OK);
        CHECK_INT_EQ(st.added, 1);
        /* Same record again: nothing changes. */
        CHECK_INT_EQ(vt_import(db, "f", &a, 1, NULL, 0, &st), FP_OK);
        CHECK_INT_EQ(st.unchanged, 1);
        CHECK_INT_EQ(st.added + st.updated, 0);
        /* A newer revision replaces it, affected rows included. */
        af[0].fixed = "1.2-5";
        a.modified = 2000;
        CHECK_INT_EQ(vt_import(db, "f", &a, 1, NULL, 0, &st), FP_OK);
        CHECK_INT_EQ(st.updated, 1);
        struct count_ctx c = {0};
        CHECK_INT_EQ(fp_vulndb_each_affected(db, "debian", "bookworm", count_cb, &c, NULL), FP_OK);
        CHECK_INT_EQ(c.n, 1);
        CHECK_STR_EQ(c.fixed, "1.2-5");
        /* An older revision arriving late is ignored. */
        af[0].fixed = "1.2-3";
        a.modified = 1500;
        CHECK_INT_EQ(vt_import(db, "f", &a, 1, NULL, 0, &st), FP_OK);
        CHECK_INT_EQ(st.older, 1);
        memset(&c, 0, sizeof(c));
        fp_vulndb_each_affected(db, NULL, NULL, count_cb, &c, NULL);
        CHECK_STR_EQ(c.fixed, "1.2-5");
        /* The same id in another feed is another record. */
        CHECK_INT_EQ(vt_import(db, "g", &a, 1, NULL, 0, &st), FP_OK);
        CHECK_INT_EQ(st.added, 1);
        int64_t nadv, naff;
        CHECK_INT_EQ(fp_vulndb_count(db, &nadv, &naff, NULL), FP_OK);
        CHECK_INT_EQ(nadv, 2);
        CHECK_INT_EQ(naff, 2);
        /* Release filter. */
        memset(&c, 0, sizeof(c));
        fp_vulndb_each_affected(db, "debian", "bullseye", count_cb, &c, NULL);
        CHECK_INT_EQ(c.n, 0);
        vt_db_close(db);
}

static void test_failed_import_keeps_data(void)
{
        struct fp_vulndb *db = vt_db_open();
        struct fp_vuln_affected af[] = {aff("bookworm", "foo", "1.0-1")};
        struct fp_vuln_advisory a = {.id = "CVE-2024-0002", .cvss_score = -1, .affected = af,
                                     .naffected = 1};
        CHECK_INT_EQ(vt_import(db, "f", &a, 1, NULL, 0, NULL), FP_OK);

        /* A second import that fails half-way: its records are rolled back. */
        struct fp_import *imp;
        CHECK_INT_EQ(fp_vulndb_import_begin(db, "f", FP_FEED_OSV, "test", &imp, NULL), FP_OK);
        const struct fp_feed_sink *s = fp_import_sink(imp);
        struct fp_vuln_advisory b = a;
        b.id = "CVE-2024-0003";
        CHECK_INT_EQ(s->advisory(s->ud, &b), FP_OK);
        fp_import_abort(imp, "feed truncated at line 7");

        int64_t nadv, naff;
        fp_vulndb_count(db, &nadv, &naff, NULL);
        CHECK_INT_EQ(nadv, 1);
        struct fp_arena ar;
        fp_arena_init(&ar);
        struct fp_feed_status fs;
        CHECK_INT_EQ(fp_vulndb_feed(db, "f", &ar, &fs, NULL), FP_OK);
        CHECK_STR_EQ(fs.last_error, "feed truncated at line 7");
        CHECK(fs.last_good > 0);
        CHECK(fs.last_attempt >= fs.last_good);
        CHECK_INT_EQ(fs.advisories, 1);

        /* A feed that never imported still gets a status saying why. */
        CHECK_INT_EQ(fp_vulndb_import_begin(db, "new", FP_FEED_OSV, "x", &imp, NULL), FP_OK);
        fp_import_abort(imp, "not JSON");
        CHECK_INT_EQ(fp_vulndb_feed(db, "new", &ar, &fs, NULL), FP_OK);
        CHECK_INT_EQ(fs.last_good, 0);
        CHECK_STR_EQ(fs.last_error, "not JSON");
        fp_arena_release(&ar);
        vt_db_close(db);
}

static void note_reject(void *ud, const char *id, const char *reason)
{
        int *n = ud;
        (void)reason;
        if (strcmp(id, "CVE-2024-0004") == 0)
                (*n)++;
}

static void test_bad_record_rejected_alone(void)
{
        struct fp_vulndb *db = vt_db_open();
        const char *bad_versions[] = {"1.0\t2"};
        struct fp_vuln_affected good[] = {aff("bookworm", "foo", "1.0-1")};
        struct fp_vuln_affected bad[] = {aff("bookworm", "bar", NULL)};
        bad[0].versions = bad_versions;
        bad[0].nversions = 1;
        struct fp_vuln_affected nameless[] = {aff("bookworm", "", "1")};
        struct fp_vuln_advisory advs[] = {
                {.id = "CVE-2024-0004", .cvss_score = -1, .affected = bad, .naffected = 1},
                {.id = "CVE-2024-0005", .cvss_score = -1, .affected = good, .naffected = 1},
                {.id = "CVE-2024-0006", .cvss_score = -1, .affected = nameless, .naffected = 1},
        };
        struct fp_import_stats st;
        CHECK_INT_EQ(vt_import(db, "f", advs, 3, NULL, 0, &st), FP_OK);
        CHECK_INT_EQ(st.added, 1);
        CHECK_INT_EQ(st.rejected, 2);
        int n = 0;
        CHECK_INT_EQ(fp_vulndb_rejections(db, "f", note_reject, &n, NULL), FP_OK);
        CHECK_INT_EQ(n, 1);
        int64_t nadv, naff;
        fp_vulndb_count(db, &nadv, &naff, NULL);
        CHECK_INT_EQ(nadv, 1);
        CHECK_INT_EQ(naff, 1);
        vt_db_close(db);
}

static enum fp_err count_kev(void *ud, const struct fp_kev_entry *e)
{
        (void)e;
        (*(size_t *)ud)++;
        return FP_OK;
}

static void test_kev_replaced(void)
{
        struct fp_vulndb *db = vt_db_open();
        struct fp_kev_entry k[] = {{.cve = "CVE-2021-44228", .due_date = 1}, {.cve = "CVE-2014-0160"}};
        CHECK_INT_EQ(vt_import(db, "kev", NULL, 0, k, 2, NULL), FP_OK);
        CHECK_INT_EQ(vt_import(db, "kev", NULL, 0, k, 1, NULL), FP_OK);
        size_t n = 0;
        CHECK_INT_EQ(fp_vulndb_each_kev(db, count_kev, &n, NULL), FP_OK);
        CHECK_INT_EQ(n, 1); /* a catalog is whole: the entry dropped from it is gone */
        vt_db_close(db);
}

struct hist {
        char actions[256];
};
static void on_event(void *ud, int64_t at, const char *action, const char *actor,
                     const char *detail)
{
        struct hist *h = ud;
        (void)at;
        (void)actor;
        (void)detail;
        strncat(h->actions, action, sizeof(h->actions) - strlen(h->actions) - 2);
        strcat(h->actions, ",");
}

static void test_exceptions(void)
{
        struct fp_vulndb *db = vt_db_open();
        setenv("FP_NOW", "2026-01-01", 1);
        struct fp_exception ex = {.vuln = "CVE-2024-0001", .package = "*", .hosts = "web-*",
                                  .owner = "alice", .reason = "mitigated by WAF",
                                  .created_by = "bob"};
        fp_parse_date("2026-02-01", &ex.expires);
        struct fp_diag d;
        CHECK_INT_EQ(fp_vulndb_exception_add(db, &ex, &d), FP_OK);
        CHECK(ex.id > 0);
        /* Missing owner, past expiry, bad tag: refused with the field named. */
        struct fp_exception bad = ex;
        bad.owner = "";
        CHECK_INT_EQ(fp_vulndb_exception_add(db, &bad, &d), FP_EINVAL);
        CHECK_STR_EQ(d.field, "owner");
        bad = ex;
        fp_parse_date("2025-12-31", &bad.expires);
        CHECK_INT_EQ(fp_vulndb_exception_add(db, &bad, &d), FP_EINVAL);
        CHECK_STR_EQ(d.field, "expires");
        bad = ex;
        bad.tag = "no-equals";
        CHECK_INT_EQ(fp_vulndb_exception_add(db, &bad, &d), FP_EINVAL);
        CHECK_STR_EQ(d.field, "tag");

        CHECK_INT_EQ(fp_vulndb_exception_revoke(db, ex.id, "carol", "WAF removed", &d), FP_OK);
        CHECK_INT_EQ(fp_vulndb_exception_revoke(db, ex.id, "carol", "again", &d), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_vulndb_exception_note_expired(db, ex.id, 5, &d), FP_OK);
        CHECK_INT_EQ(fp_vulndb_exception_note_expired(db, ex.id, 6, &d), FP_OK);
        struct hist h = {{0}};
        CHECK_INT_EQ(fp_vulndb_exception_history(db, ex.id, on_event, &h, &d), FP_OK);
        CHECK_STR_EQ(h.actions, "created,revoked,expired,");

        struct fp_arena ar;
        fp_arena_init(&ar);
        struct fp_exception *all;
        size_t n;
        CHECK_INT_EQ(fp_vulndb_exceptions(db, &ar, &all, &n, &d), FP_OK);
        CHECK_INT_EQ(n, 1); /* refused ones were never stored; revoked ones are kept */
        CHECK(all[0].revoked > 0);
        CHECK_STR_EQ(all[0].revoked_by, "carol");
        fp_arena_release(&ar);
        unsetenv("FP_NOW");
        vt_db_close(db);
}

static void test_newer_schema_refused(void)
{
        struct fp_vulndb *db = vt_db_open();
        char path[512];
        snprintf(path, sizeof(path), "%s/vuln.db", vt_dir);
        fp_vulndb_close(db);
        sqlite3 *s;
        CHECK_INT_EQ(sqlite3_open(path, &s), SQLITE_OK);
        CHECK_INT_EQ(sqlite3_exec(s, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(s);
        struct fp_diag d;
        CHECK_INT_EQ(fp_vulndb_open(path, &db, &d), FP_EUNSUPPORTED);
        CHECK(strstr(d.msg, "newer") != NULL);
        /* Not a database at all. */
        FILE *f = fopen(path, "w");
        fputs("this is not sqlite, just text long enough to be read as a header............", f);
        fclose(f);
        CHECK(fp_vulndb_open(path, &db, &d) != FP_OK);
        db = vt_db_open(); /* for the cleanup of both directories */
        vt_db_close(db);
}

int main(void)
{
        (void)range_a;
        test_idempotent_and_revisions();
        test_failed_import_keeps_data();
        test_bad_record_rejected_alone();
        test_kev_replaced();
        test_exceptions();
        test_newer_schema_refused();
        return fp_test_finish();
}
