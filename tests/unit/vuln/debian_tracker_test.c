/* Debian security tracker JSON: real excerpts, state mapping, grouping, rejects, limits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "feedtest.h"
#include "test.h"

/* ---- a sink that keeps copies of everything ------------------------------------------------ */

struct adv {
        const char *id, *summary;
        const char *refs; /* space-separated */
        size_t naliases;
        enum fp_feed_kind kind;
        enum fp_severity severity;
        struct ft_aff *aff;
        size_t naff;
};

struct coll {
        struct fp_arena arena;
        struct adv advs[64];
        size_t nadv, nrej, nskip;
        char rej_id[64], rej_field[FP_DIAG_FIELD_MAX], rej_msg[FP_DIAG_MSG_MAX];
        char skip_id[64];
        enum fp_err fail_with; /* the advisory callback's answer */
};

static const char *dup(struct coll *c, const char *s)
{
        return s ? fp_arena_strdup(&c->arena, s) : NULL;
}

static enum fp_err on_adv(void *ud, const struct fp_vuln_advisory *a)
{
        struct coll *c = ud;
        if (c->fail_with != FP_OK)
                return c->fail_with;
        if (c->nadv >= sizeof(c->advs) / sizeof(c->advs[0])) {
                c->nadv++;
                return FP_OK;
        }
        struct adv *d = &c->advs[c->nadv++];
        struct fp_buf refs;
        fp_buf_init(&refs, 1 << 20);
        for (size_t i = 0; i < a->nrefs; i++) {
                fp_buf_addstr(&refs, a->refs[i]);
                fp_buf_addc(&refs, ' ');
        }
        d->id = dup(c, a->id);
        d->summary = dup(c, a->summary);
        d->refs = dup(c, fp_buf_str(&refs));
        fp_buf_release(&refs);
        d->naliases = a->naliases;
        d->kind = a->kind;
        d->severity = a->severity;
        d->naff = a->naffected;
        d->aff = fp_arena_alloc(&c->arena, (a->naffected + 1) * sizeof(*d->aff));
        for (size_t i = 0; i < a->naffected; i++) {
                d->aff[i] = ft_aff_copy(&c->arena, &a->affected[i]);
        }
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct coll *c = ud;
        c->nrej++;
        snprintf(c->rej_id, sizeof(c->rej_id), "%s", id);
        snprintf(c->rej_field, sizeof(c->rej_field), "%s", why->field);
        snprintf(c->rej_msg, sizeof(c->rej_msg), "%s", why->msg);
}

static void on_skip(void *ud, const char *id, const char *reason)
{
        struct coll *c = ud;
        (void)reason;
        c->nskip++;
        snprintf(c->skip_id, sizeof(c->skip_id), "%s", id);
}

static enum fp_err run(struct coll *c, const char *data, size_t len, struct fp_diag *d)
{
        struct fp_feed_sink sink = {
            .ud = c, .advisory = on_adv, .reject = on_reject, .skip = on_skip};
        enum fp_err fail = c->fail_with;
        fp_arena_release(&c->arena);
        memset(c, 0, sizeof(*c));
        fp_arena_init(&c->arena);
        c->fail_with = fail;
        return fp_feed_parse_debian_tracker(data, len, "test.json", &sink, d);
}

static enum fp_err run_str(struct coll *c, const char *json, struct fp_diag *d)
{
        return run(c, json, strlen(json), d);
}

static const struct adv *find_adv(const struct coll *c, const char *id)
{
        for (size_t i = 0; i < c->nadv && i < 64; i++)
                if (strcmp(c->advs[i].id, id) == 0)
                        return &c->advs[i];
        return NULL;
}

static const struct ft_aff *find_aff(const struct coll *c, const char *id, const char *pkg,
                                     const char *rel)
{
        const struct adv *a = find_adv(c, id);
        return a ? ft_aff_find(a->aff, a->naff, pkg, rel) : NULL;
}

/* ---- the real excerpts --------------------------------------------------------------------- */

static void test_osvdev(struct coll *c)
{
        size_t len;
        char *buf = ft_slurp("debian/tracker-json/osvdev-debian_security_tracker_mock.json", &len);
        struct fp_diag d;
        CHECK_INT_EQ(run(c, buf, len, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 3);
        CHECK_INT_EQ(c->nrej, 0);
        CHECK_INT_EQ(c->nskip, 0);
        /* Sorted by id, one advisory per CVE, five releases each. */
        CHECK_STR_EQ(c->advs[0].id, "CVE-2014-1424");
        CHECK_STR_EQ(c->advs[1].id, "CVE-2016-1585");
        CHECK_STR_EQ(c->advs[2].id, "CVE-2017-6507");
        for (size_t i = 0; i < 3; i++) {
                CHECK_INT_EQ(c->advs[i].kind, FP_FEED_DEBIAN_TRACKER);
                CHECK_INT_EQ(c->advs[i].naff, 5);
                CHECK_INT_EQ(c->advs[i].naliases, 0);
                for (size_t k = 0; k < c->advs[i].naff; k++) {
                        CHECK_STR_EQ(c->advs[i].aff[k].distro, "debian");
                        CHECK_STR_EQ(c->advs[i].aff[k].package, "apparmor");
                        CHECK(c->advs[i].aff[k].source);
                }
        }

        const struct ft_aff *a = find_aff(c, "CVE-2014-1424", "apparmor", "bookworm");
        CHECK(a && a->state == FP_VS_NOT_AFFECTED && !a->fixed);
        CHECK(a && a->severity == FP_SEV_NEGLIGIBLE);
        CHECK_INT_EQ(find_adv(c, "CVE-2014-1424")->severity, FP_SEV_NEGLIGIBLE);
        CHECK(strncmp(find_adv(c, "CVE-2014-1424")->summary, "apparmor_parser in the apparmor",
                      31) == 0);

        /* open, no nodsa, urgency unimportant: affected, unfixed, negligible */
        a = find_aff(c, "CVE-2016-1585", "apparmor", "bookworm");
        CHECK(a && a->state == FP_VS_AFFECTED && !a->fixed && !a->note);
        CHECK(a && a->severity == FP_SEV_NEGLIGIBLE);
        a = find_aff(c, "CVE-2016-1585", "apparmor", "sid");
        CHECK(a && a->state == FP_VS_AFFECTED);
        CHECK_STR_EQ(a ? a->fixed : NULL, "3.0.12-1");
        CHECK_STR_EQ(find_adv(c, "CVE-2016-1585")->refs,
                     "https://security-tracker.debian.org/tracker/CVE-2016-1585 "
                     "https://bugs.debian.org/929990 ");
        CHECK_STR_EQ(find_adv(c, "CVE-2016-1585")->summary,
                     "In all versions of AppArmor mount rules are accidentally widened when "
                     "compiled.");

        a = find_aff(c, "CVE-2017-6507", "apparmor", "bookworm");
        CHECK(a && a->state == FP_VS_AFFECTED);
        CHECK_STR_EQ(a ? a->fixed : NULL, "2.11.0-3");
        CHECK(a && a->severity == FP_SEV_UNKNOWN); /* "not yet assigned" */
        CHECK_INT_EQ(find_adv(c, "CVE-2017-6507")->severity, FP_SEV_UNKNOWN);
        free(buf);
}

static void test_vunnel(struct coll *c)
{
        size_t len;
        char *buf = ft_slurp("debian/tracker-json/vunnel-debian.json", &len);
        struct fp_diag d;
        CHECK_INT_EQ(run(c, buf, len, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 6);
        CHECK_INT_EQ(c->nrej, 0);
        /* chromium-browser CVE-2022-0358 has "releases": [] */
        CHECK_INT_EQ(c->nskip, 1);
        CHECK_STR_EQ(c->skip_id, "CVE-2022-0358");

        static const char *const old[] = {"stretch", "jessie", "buster", "sid"};
        for (size_t i = 0; i < 4; i++) {
                const struct ft_aff *a = find_aff(c, "CVE-2008-7220", "prototypejs", old[i]);
                CHECK_MSG(a && a->state == FP_VS_AFFECTED && a->severity == FP_SEV_HIGH,
                          "CVE-2008-7220 %s", old[i]);
                CHECK_STR_EQ(a ? a->fixed : NULL, "1.6.0.2-1");
                a = find_aff(c, "CVE-2007-2383", "prototypejs", old[i]);
                CHECK(a && a->state == FP_VS_NOT_AFFECTED);
                a = find_aff(c, "CVE-2013-1444", "txt2man", old[i]);
                CHECK(a && a->severity == FP_SEV_LOW);
                CHECK_STR_EQ(a ? a->fixed : NULL, "1.5.5-4.1");
        }
        CHECK_INT_EQ(find_adv(c, "CVE-2008-7220")->severity, FP_SEV_HIGH); /* "high**" */
        CHECK_INT_EQ(find_adv(c, "CVE-2005-3111")->severity, FP_SEV_MEDIUM);
        CHECK_STR_EQ(find_adv(c, "CVE-2005-3111")->refs,
                     "https://security-tracker.debian.org/tracker/CVE-2005-3111 ");

        /* chromium: no description; urgency "end-of-life" on the open releases */
        const struct adv *chr = find_adv(c, "CVE-2022-0456");
        CHECK(chr && chr->summary == NULL && chr->naff == 5);
        const struct ft_aff *a = find_aff(c, "CVE-2022-0456", "chromium", "buster");
        CHECK(a && a->state == FP_VS_WONTFIX);
        CHECK_STR_EQ(a ? a->note : NULL, "end-of-life");
        a = find_aff(c, "CVE-2022-0456", "chromium", "bullseye");
        CHECK_STR_EQ(a ? a->fixed : NULL, "98.0.4758.80-1~deb11u1");

        a = find_aff(c, "CVE-2025-53603", "sope", "bookworm");
        CHECK(a && a->state == FP_VS_AFFECTED);
        CHECK_STR_EQ(a ? a->fixed : NULL, "5.8.0-1+deb12u1");
        CHECK_INT_EQ(find_adv(c, "CVE-2025-53603")->naff, 4);
        free(buf);
}

/* ---- mapping and grouping ------------------------------------------------------------------ */

#define REL(status, extra) "{\"status\": \"" status "\", \"repositories\": {}" extra "}"

static void test_states(struct coll *c)
{
        const char *json =
            "{\"pkg\": {\"CVE-2024-0001\": {\"description\": \"first line\\nsecond\","
            "\"releases\": {"
            "\"a\": " REL(
                "open",
                ", \"nodsa\": \"Minor issue\", \"nodsa_reason\": \"\", "
                "\"urgency\": \"low\"") ","
                                        "\"b\": " REL(
                                            "open",
                                            ", \"nodsa\": \"Fix later\", \"nodsa_reason\": "
                                            "\"postponed\"") ","
                                                             "\"c\": " REL(
                                                                 "open",
                                                                 ", \"nodsa\": \"\", "
                                                                 "\"nodsa_reason\": "
                                                                 "\"ignored\"") ","
                                                                                "\"d\": " REL(
                                                                                    "undetermin"
                                                                                    "ed",
                                                                                    ", "
                                                                                    "\"urgency"
                                                                                    "\": "
                                                                                    "\"whatever"
                                                                                    "\"") ","
                                                                                          "\"e"
                                                                                          "\":"
                                                                                          " " REL(
                                                                                              "reso"
                                                                                              "lve"
                                                                                              "d",
                                                                                              ", "
                                                                                              "\"fi"
                                                                                              "xed_"
                                                                                              "vers"
                                                                                              "ion"
                                                                                              "\": "
                                                                                              "\"1:"
                                                                                              "2.0-"
                                                                                              "1\","
                                                                                              " "
                                                                                              "\"ur"
                                                                                              "genc"
                                                                                              "y\":"
                                                                                              " \"c"
                                                                                              "riti"
                                                                                              "cal"
                                                                                              "\"") ","
                                                                                                    "\"f\": " REL(
                                                                                                        "resolved",
                                                                                                        ", \"fixed_version\": \"2.0-1\", \"nodsa\": \"x\"") "}}}}";
        struct fp_diag d;
        CHECK_INT_EQ(run_str(c, json, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 1);
        CHECK_INT_EQ(c->nrej, 0);
        const struct ft_aff *a = find_aff(c, "CVE-2024-0001", "pkg", "a");
        CHECK(a && a->state == FP_VS_NODSA && a->severity == FP_SEV_LOW);
        CHECK_STR_EQ(a ? a->note : NULL, "Minor issue");
        a = find_aff(c, "CVE-2024-0001", "pkg", "b");
        CHECK(a && a->state == FP_VS_POSTPONED);
        CHECK_STR_EQ(a ? a->note : NULL, "Fix later");
        a = find_aff(c, "CVE-2024-0001", "pkg", "c");
        CHECK(a && a->state == FP_VS_WONTFIX && a->note == NULL);
        a = find_aff(c, "CVE-2024-0001", "pkg", "d");
        CHECK(a && a->state == FP_VS_UNDETERMINED && a->severity == FP_SEV_UNKNOWN);
        a = find_aff(c, "CVE-2024-0001", "pkg", "e");
        CHECK_STR_EQ(a ? a->fixed : NULL, "1:2.0-1");
        a = find_aff(c, "CVE-2024-0001", "pkg", "f"); /* resolved wins over a stale nodsa */
        CHECK(a && a->state == FP_VS_AFFECTED && a->note == NULL);
        CHECK_INT_EQ(c->advs[0].severity, FP_SEV_CRITICAL);
        CHECK_STR_EQ(c->advs[0].summary, "first line");
}

static void test_grouping(struct coll *c)
{
        /* package-major in, CVE-major out; TEMP ids are ids too */
        const char *json =
            "{\"zlib\": {\"CVE-2024-0002\": {\"debianbug\": 11, \"releases\": {\"sid\": " REL(
                "open",
                "") "}},"
                    "             \"TEMP-0000000-ABCDEF\": {\"releases\": {\"sid\": " REL(
                        "open",
                        "") "}}},"
                            " \"apt\": {\"CVE-2024-0002\": {\"debianbug\": 12, \"releases\": "
                            "{\"sid\": " REL("open", "") ", \"bookworm\": " REL(
                                "resolved", ", \"fixed_version\": "
                                            "\"0\"") "}}},"
                                                     " \"empty\": {}}";
        struct fp_diag d;
        CHECK_INT_EQ(run_str(c, json, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 2);
        CHECK_INT_EQ(c->nrej, 0);
        const struct adv *a = find_adv(c, "CVE-2024-0002");
        CHECK(a && a->naff == 3);
        if (a && a->naff == 3) {
                CHECK_STR_EQ(a->aff[0].package, "apt"); /* packages in name order */
                CHECK_STR_EQ(a->aff[0].release, "sid");
                CHECK_STR_EQ(a->aff[1].release, "bookworm");
                CHECK_STR_EQ(a->aff[2].package, "zlib");
                CHECK_STR_EQ(a->refs, "https://security-tracker.debian.org/tracker/CVE-2024-0002 "
                                      "https://bugs.debian.org/12 https://bugs.debian.org/11 ");
        }
        CHECK(find_adv(c, "TEMP-0000000-ABCDEF") != NULL);
}

/* ---- rejects and feed errors --------------------------------------------------------------- */

static void check_reject(struct coll *c, const char *bad_rel, const char *id, const char *field)
{
        char json[2048];
        snprintf(json, sizeof(json),
                 "{\"apparmor\": {"
                 "\"CVE-2016-0001\": {\"releases\": {\"bookworm\": " REL(
                     "open", "") "}},"
                                 "\"CVE-2016-1585\": {\"releases\": {\"bookworm\": %s}},"
                                 "\"CVE-2016-0003\": {\"releases\": {\"bookworm\": " REL("open",
                                                                                         "") "}}}}",
                 bad_rel);
        struct fp_diag d;
        CHECK_INT_EQ(run_str(c, json, &d), FP_OK);
        CHECK_MSG(c->nadv == 2 && c->nrej == 1, "%s: %zu advisories, %zu rejects", bad_rel, c->nadv,
                  c->nrej);
        CHECK_STR_EQ(c->rej_id, id);
        CHECK_STR_EQ(c->rej_field, field);
        CHECK(c->rej_msg[0] != '\0');
        CHECK(find_adv(c, "CVE-2016-0001") && find_adv(c, "CVE-2016-0003"));
}

static void test_rejects(struct coll *c)
{
        const char *p = "apparmor/CVE-2016-1585/releases/bookworm/";
        char f[128];
        snprintf(f, sizeof(f), "%sstatus", p);
        check_reject(c, "{\"status\": 42}", "CVE-2016-1585", f);
        check_reject(c, "{\"status\": \"fixed\"}", "CVE-2016-1585", f);
        check_reject(c, "{\"repositories\": {}}", "CVE-2016-1585", f);
        snprintf(f, sizeof(f), "%sfixed_version", p);
        check_reject(c, "{\"status\": \"resolved\", \"fixed_version\": \"a:1\"}", "CVE-2016-1585",
                     f);
        check_reject(c, "{\"status\": \"resolved\"}", "CVE-2016-1585", f);
        snprintf(f, sizeof(f), "%surgency", p);
        check_reject(c, "{\"status\": \"open\", \"urgency\": [1]}", "CVE-2016-1585", f);
        check_reject(c, "\"open\"", "CVE-2016-1585", "apparmor/CVE-2016-1585/releases/bookworm");

        /* a bad entry under one package rejects the whole CVE, not only that package */
        const char *json = "{\"a\": {\"CVE-1\": {\"releases\": {\"sid\": " REL(
            "open", "") "}}},"
                        " \"b\": {\"CVE-1\": {\"debianbug\": \"x\", \"releases\": {}}},"
                        " \"c\": {\"CVE-1\": {\"releases\": 5}, \"CVE-2\": []},"
                        " \"d\": 5, \"e e\": {}}";
        struct fp_diag d;
        CHECK_INT_EQ(run_str(c, json, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 0);
        CHECK_INT_EQ(c->nrej, 4); /* CVE-1, CVE-2 (not an object), "d", "e e" */
}

static void test_feed_errors(struct coll *c)
{
        size_t len;
        char *buf = ft_slurp("debian/tracker-json/osvdev-debian_security_tracker_mock.json", &len);
        struct fp_diag d;
        /* truncated in the middle of CVE-2016-1585 */
        CHECK_INT_EQ(run(c, buf, len / 2, &d), FP_EPARSE);
        CHECK(d.line > 50 && d.line < 90);
        CHECK(strstr(d.msg, "JSON") != NULL);
        CHECK_INT_EQ(c->nadv, 0);
        free(buf);

        CHECK_INT_EQ(run_str(c, "[{\"apparmor\": {}}]", &d), FP_EPARSE);
        CHECK(strstr(d.msg, "top level") != NULL);
        CHECK_INT_EQ(run_str(c, "", &d), FP_EPARSE);
        CHECK_INT_EQ(run_str(c, "{}", &d), FP_OK);
        CHECK_INT_EQ(c->nadv + c->nrej + c->nskip, 0);
        CHECK_INT_EQ(run_str(c, "{\"a\": {}, \"a\": {}}", &d), FP_EPARSE); /* duplicate key */

        /* the sink's error stops the parse and is returned */
        c->fail_with = FP_EIO;
        CHECK_INT_EQ(run_str(c,
                             "{\"p\": {\"CVE-1\": {\"releases\": {\"sid\": " REL(
                                 "open", "") "}}, \"CVE-2\": {}}}",
                             &d),
                     FP_EIO);
        c->fail_with = FP_OK;
}

/* ---- limits -------------------------------------------------------------------------------- */

static char *name_of(size_t n, char fill)
{
        char *s = malloc(n + 1);
        memset(s, fill, n);
        s[n] = '\0';
        return s;
}

static void test_limits(struct coll *c)
{
        struct fp_diag d;
        char json[4096];
        for (size_t n = FP_MAX_ADVISORY_ID_LEN; n <= FP_MAX_ADVISORY_ID_LEN + 1; n++) {
                char *id = name_of(n, 'C'), *rel = name_of(n, 'r'), *pkg = name_of(n, 'p');
                bool ok = n <= FP_MAX_ADVISORY_ID_LEN;
                snprintf(json, sizeof(json),
                         "{\"p\": {\"%s\": {\"releases\": {\"sid\": " REL("open", "") "}}}}", id);
                CHECK_INT_EQ(run_str(c, json, &d), FP_OK);
                CHECK_MSG(c->nadv == ok && c->nrej == !ok, "id of %zu bytes", n);
                snprintf(json, sizeof(json),
                         "{\"p\": {\"CVE-1\": {\"releases\": {\"%s\": " REL("open", "") "}}}}",
                         rel);
                CHECK_INT_EQ(run_str(c, json, &d), FP_OK);
                CHECK_MSG(c->nadv == ok && c->nrej == !ok, "release of %zu bytes", n);
                snprintf(json, sizeof(json),
                         "{\"%s\": {\"CVE-1\": {\"releases\": {\"sid\": " REL("open", "") "}}}}",
                         pkg);
                CHECK_INT_EQ(run_str(c, json, &d), FP_OK);
                CHECK_MSG(c->nadv == ok && c->nrej == !ok, "package of %zu bytes", n);
                free(id);
                free(rel);
                free(pkg);
        }

        /* a long description: the summary stops at SUMMARY_MAX (1024) on a character boundary */
        struct fp_buf b;
        fp_buf_init(&b, 1 << 20);
        fp_buf_addstr(&b, "{\"p\": {\"CVE-1\": {\"description\": \"");
        fp_buf_addstr(&b, "x");
        for (int i = 0; i < 2000; i++)
                fp_buf_addstr(&b, "\xc3\xa9"); /* é */
        fp_buf_addstr(&b, "\", \"releases\": {\"sid\": " REL("open", "") "}}}}");
        CHECK_INT_EQ(run(c, b.ptr, b.len, &d), FP_OK);
        CHECK(c->nadv == 1 && strlen(c->advs[0].summary) == 1023);
        fp_buf_release(&b);

        /* FP_MAX_AFFECTED releases are fine; one more rejects the advisory */
        for (size_t n = FP_MAX_AFFECTED; n <= FP_MAX_AFFECTED + 1; n++) {
                fp_buf_init(&b, 64 << 20);
                fp_buf_addstr(&b, "{\"p\": {\"CVE-1\": {\"releases\": {");
                for (size_t i = 0; i < n; i++)
                        fp_buf_addf(&b, "%s\"r%zu\": {\"status\": \"open\"}", i ? "," : "", i);
                fp_buf_addstr(&b, "}}}}");
                CHECK_INT_EQ(run(c, b.ptr, b.len, &d), FP_OK);
                CHECK_MSG(c->nadv == (n == FP_MAX_AFFECTED) && c->nrej == (n > FP_MAX_AFFECTED),
                          "%zu releases: %zu advisories, %zu rejects", n, c->nadv, c->nrej);
                fp_buf_release(&b);
        }

        /* a feed larger than FP_MAX_FEED_SIZE is refused before it is read */
        size_t big = (size_t)FP_MAX_FEED_SIZE + 1;
        void *m = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m != MAP_FAILED) {
                CHECK_INT_EQ(run(c, m, big, &d), FP_ELIMIT);
                munmap(m, big);
        }
}

int main(void)
{
        static struct coll c;
        fp_arena_init(&c.arena);
        test_osvdev(&c);
        test_vunnel(&c);
        test_states(&c);
        test_grouping(&c);
        test_rejects(&c);
        test_feed_errors(&c);
        test_limits(&c);
        fp_arena_release(&c.arena);
        return fp_test_finish();
}
