/* data/DSA/list and data/DLA/list: the full real lists, excerpts, markers, rejects, limits. */
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
        const char *aliases, *refs; /* space-separated */
        size_t naliases;
        enum fp_feed_kind kind;
        int64_t published;
        struct ft_aff *aff;
        size_t naff;
};

struct coll {
        struct fp_arena arena;
        struct adv *advs;
        size_t nadv, cap, nrej, nskip;
        char rej_id[64], rej_msg[FP_DIAG_MSG_MAX];
        unsigned long rej_line;
};

static const char *dup(struct coll *c, const char *s)
{
        return s ? fp_arena_strdup(&c->arena, s) : NULL;
}

static const char *join(struct coll *c, const char *const *v, size_t n)
{
        struct fp_buf b;
        fp_buf_init(&b, 1 << 24);
        for (size_t i = 0; i < n; i++) {
                fp_buf_addstr(&b, i ? " " : "");
                fp_buf_addstr(&b, v[i]);
        }
        const char *s = dup(c, fp_buf_str(&b));
        fp_buf_release(&b);
        return s;
}

static enum fp_err on_adv(void *ud, const struct fp_vuln_advisory *a)
{
        struct coll *c = ud;
        if (c->nadv == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 256;
                c->advs = realloc(c->advs, c->cap * sizeof(*c->advs));
                if (!c->advs)
                        abort();
        }
        struct adv *d = &c->advs[c->nadv++];
        d->id = dup(c, a->id);
        d->summary = dup(c, a->summary);
        d->aliases = join(c, a->aliases, a->naliases);
        d->refs = join(c, a->refs, a->nrefs);
        d->naliases = a->naliases;
        d->kind = a->kind;
        d->published = a->published;
        d->naff = a->naffected;
        /* the huge limit tests keep only the count */
        size_t keep = a->naffected > 100 ? 0 : a->naffected;
        d->aff = fp_arena_alloc(&c->arena, (keep + 1) * sizeof(*d->aff));
        for (size_t i = 0; i < keep; i++) {
                d->aff[i] = ft_aff_copy(&c->arena, &a->affected[i]);
        }
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct coll *c = ud;
        c->nrej++;
        snprintf(c->rej_id, sizeof(c->rej_id), "%s", id);
        snprintf(c->rej_msg, sizeof(c->rej_msg), "%s", why->msg);
        c->rej_line = why->line;
}

static void on_skip(void *ud, const char *id, const char *reason)
{
        struct coll *c = ud;
        (void)id;
        (void)reason;
        c->nskip++;
}

static void reset(struct coll *c)
{
        fp_arena_release(&c->arena);
        free(c->advs);
        memset(c, 0, sizeof(*c));
        fp_arena_init(&c->arena);
}

static enum fp_err run(struct coll *c, const char *data, size_t len, enum fp_feed_kind kind,
                       struct fp_diag *d)
{
        struct fp_feed_sink sink = {
            .ud = c, .advisory = on_adv, .reject = on_reject, .skip = on_skip};
        reset(c);
        return fp_feed_parse_debian_list(data, len, "list", kind, &sink, d);
}

static enum fp_err run_str(struct coll *c, const char *s, struct fp_diag *d)
{
        return run(c, s, strlen(s), FP_FEED_DSA, d);
}

static const struct adv *find_adv(const struct coll *c, const char *id)
{
        for (size_t i = 0; i < c->nadv; i++)
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

/* The independent count: lines that start with '['. */
static size_t count_headers(const char *buf, size_t len)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                if (buf[i] == '[' && (i == 0 || buf[i - 1] == '\n'))
                        n++;
        return n;
}

static int64_t date(const char *s)
{
        int64_t t = 0;
        fp_parse_date(s, &t);
        return t;
}

/* ---- the real lists ------------------------------------------------------------------------ */

static void check_fixed(const struct coll *c, const char *id, const char *pkg, const char *rel,
                        const char *fixed)
{
        const struct ft_aff *a = find_aff(c, id, pkg, rel);
        CHECK_MSG(a && a->state == FP_VS_AFFECTED && a->fixed && strcmp(a->fixed, fixed) == 0 &&
                      a->source && strcmp(a->distro, "debian") == 0,
                  "%s %s %s: expected fixed in %s", id, rel, pkg, fixed);
}

static void test_dsa_list(struct coll *c)
{
        size_t len;
        char *buf = ft_slurp("debian/dsa-list/DSA-list", &len);
        struct fp_diag d;
        CHECK_INT_EQ(run(c, buf, len, FP_FEED_DSA, &d), FP_OK);
        CHECK_INT_EQ(count_headers(buf, len), 5406);
        CHECK_INT_EQ(c->nadv + c->nskip + c->nrej, count_headers(buf, len));
        CHECK_INT_EQ(c->nadv, 5383);
        CHECK_INT_EQ(c->nskip, 23); /* end-of-life, key change and other notices */
        CHECK_INT_EQ(c->nrej, 0);

        const struct adv *a = find_adv(c, "DSA-5380-1");
        CHECK(a && a->kind == FP_FEED_DSA && a->naff == 1);
        check_fixed(c, "DSA-5380-1", "xorg-server", "bullseye", "2:1.20.11-1+deb11u6");
        CHECK_STR_EQ(a ? a->aliases : NULL, "CVE-2023-1393");
        CHECK_STR_EQ(a ? a->summary : NULL, "security update");
        CHECK_STR_EQ(a ? a->refs : NULL, "https://security-tracker.debian.org/tracker/DSA-5380-1");
        CHECK(a && a->published == date("2023-03-29"));

        /* several release lines */
        check_fixed(c, "DSA-5196-1", "libpgjava", "buster", "42.2.5-2+deb10u1");
        check_fixed(c, "DSA-5196-1", "libpgjava", "bullseye", "42.2.15-1+deb11u1");
        CHECK_STR_EQ(find_adv(c, "DSA-5196-1")->aliases, "CVE-2022-21724 CVE-2022-26520");
        /* <not-affected> with its reason */
        const struct ft_aff *f = find_aff(c, "DSA-2275-1", "openoffice.org", "lenny");
        CHECK(f && f->state == FP_VS_NOT_AFFECTED && !f->fixed);
        CHECK_STR_EQ(f ? f->note : NULL, "Vulnerable code not present");
        check_fixed(c, "DSA-2275-1", "openoffice.org", "squeeze", "1:3.2.1-11+squeeze3");
        /* <end-of-life> */
        f = find_aff(c, "DSA-3699-1", "virtualbox", "jessie");
        CHECK(f && f->state == FP_VS_WONTFIX);
        /* "(bug #N; ...; medium)" after the version: references and urgency */
        f = find_aff(c, "DSA-892-1", "awstats", "sarge");
        CHECK(f && f->severity == FP_SEV_MEDIUM && f->note == NULL);
        CHECK_STR_EQ(find_adv(c, "DSA-892-1")->refs,
                     "https://security-tracker.debian.org/tracker/DSA-892-1 "
                     "https://bugs.debian.org/322591 https://bugs.debian.org/334833 "
                     "https://bugs.debian.org/336137");
        /* pre-2007 ids without revision, " -- " titles, space-indented lines */
        check_fixed(c, "DSA-135", "libapache-mod-ssl", "woody", "2.8.9-2");
        CHECK_STR_EQ(find_adv(c, "DSA-135")->summary, "buffer overflow / DoS");
        CHECK_STR_EQ(find_adv(c, "DSA-1099-1")->summary, "missing input sanitising");
        CHECK_STR_EQ(find_adv(c, "DSA-1452-1")->summary, "wzdftpd denial of service");
        check_fixed(c, "DSA-4480-1", "redis", "buster", "5:5.0.3-4+deb10u1");
        CHECK(find_adv(c, "DSA-4205-1") == NULL); /* jessie end-of-life: skipped */
        free(buf);
}

static void test_dla_list(struct coll *c)
{
        size_t len;
        char *buf = ft_slurp("debian/dsa-list/DLA-list", &len);
        struct fp_diag d;
        CHECK_INT_EQ(run(c, buf, len, FP_FEED_DLA, &d), FP_OK);
        CHECK_INT_EQ(count_headers(buf, len), 3534);
        CHECK_INT_EQ(c->nadv + c->nskip + c->nrej, count_headers(buf, len));
        CHECK_INT_EQ(c->nadv, 3530);
        CHECK_INT_EQ(c->nskip, 4);
        CHECK_INT_EQ(c->nrej, 0);
        const struct adv *a = find_adv(c, "DLA-3380-1");
        CHECK(a && a->kind == FP_FEED_DLA && a->naliases == 11);
        CHECK(a && a->published == date("2023-04-01"));
        check_fixed(c, "DLA-3380-1", "firmware-nonfree", "buster",
                    "20190114+really20220913-0+deb10u1");
        check_fixed(c, "DLA-179-1", "tzdata", "squeeze", "2015b-0squeeze1"); /* trailing blank */
        CHECK(find_aff(c, "DLA-3374-1", "libmicrohttpd", "buster") != NULL);

        /* the same file read as a DSA list: every id is foreign */
        CHECK_INT_EQ(run(c, buf, len, FP_FEED_DSA, &d), FP_EPARSE);
        CHECK_INT_EQ(c->nadv, 0);
        CHECK_INT_EQ(c->nrej, 3534);
        free(buf);
}

static void test_excerpts(struct coll *c)
{
        size_t len;
        struct fp_diag d;
        char *buf = ft_slurp("debian/dsa-list/vunnel-DSA-excerpt", &len);
        CHECK_INT_EQ(run(c, buf, len, FP_FEED_DSA, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 7);
        CHECK_INT_EQ(c->nskip, 3); /* DSA-2819-1 (no lines), DSA-3281-1, DSA-4205-1 */
        CHECK_INT_EQ(c->nrej, 0);
        check_fixed(c, "DSA-5970-1", "sope", "bookworm", "5.8.0-1+deb12u1");
        CHECK_STR_EQ(find_adv(c, "DSA-5970-1")->aliases, "CVE-2025-53603");
        check_fixed(c, "DSA-140", "libpng3", "woody", "1.2.1-1.1.woody.2");
        free(buf);

        buf = ft_slurp("debian/cve-list/vuln-list-update-DSA-list", &len);
        CHECK_INT_EQ(run(c, buf, len, FP_FEED_DSA, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 1);
        check_fixed(c, "DSA-4480-1", "redis", "stretch", "3:3.2.6-3+deb9u3");
        free(buf);

        /* a good DLA, then "[19 Jul 2021] MALFORMED HEADER" at line 4 with its CVE line */
        buf = ft_slurp("debian/cve-list/vuln-list-update-DLA-list", &len);
        CHECK_INT_EQ(run(c, buf, len, FP_FEED_DLA, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 1);
        CHECK_INT_EQ(c->nrej, 1);
        CHECK_INT_EQ(c->rej_line, 4);
        check_fixed(c, "DLA-2711-1", "thunderbird", "stretch", "1:78.12.0-1~deb9u1");
        free(buf);

        /* data/CVE/list is a different format: refused as a whole */
        buf = ft_slurp("debian/cve-list/vuln-list-update-CVE-list", &len);
        CHECK_INT_EQ(run(c, buf, len, FP_FEED_DSA, &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 1);
        free(buf);
}

/* ---- inline cases -------------------------------------------------------------------------- */

static void test_markers(struct coll *c)
{
        const char *in = "[01 Feb 2024] DSA-9000-1 foo - security update\r\n"
                         "\t{CVE-2024-1 CVE-2024-2}\r\n"
                         "  {CVE-2024-2 CVE-2024-3 }\r\n"
                         "\t[bookworm] - foo <no-dsa> (Minor issue)\r\n"
                         "\t[bullseye] - foo <postponed>\r\n"
                         " \t[buster] - foo <ignored> (Not worth it)\r\n"
                         "\t[stretch] - foo <undetermined>\r\n"
                         "\t[jessie] - foo <unfixed> (high)\r\n"
                         "\t[trixie] - foo  1.0-1   (bug #42; low)\r\n"
                         "\t[sid] - foo 1.0-1 (fixed in unstable first)\r\n"
                         "\tNOTE: anything <at all>\r\n"
                         "[1 Mar 2024] DSA-9001 bar\n"
                         "\t[bookworm] - bar 2.0";
        struct fp_diag d;
        CHECK_INT_EQ(run_str(c, in, &d), FP_OK);
        CHECK_INT_EQ(c->nadv, 2);
        CHECK_INT_EQ(c->nrej, 0);
        const struct adv *a = find_adv(c, "DSA-9000-1");
        CHECK(a && a->naff == 7);
        CHECK_STR_EQ(a ? a->aliases : NULL, "CVE-2024-1 CVE-2024-2 CVE-2024-3");
        const struct ft_aff *f = find_aff(c, "DSA-9000-1", "foo", "bookworm");
        CHECK(f && f->state == FP_VS_NODSA);
        CHECK_STR_EQ(f ? f->note : NULL, "Minor issue");
        f = find_aff(c, "DSA-9000-1", "foo", "bullseye");
        CHECK(f && f->state == FP_VS_POSTPONED);
        f = find_aff(c, "DSA-9000-1", "foo", "buster");
        CHECK(f && f->state == FP_VS_WONTFIX);
        CHECK_STR_EQ(f ? f->note : NULL, "Not worth it");
        f = find_aff(c, "DSA-9000-1", "foo", "stretch");
        CHECK(f && f->state == FP_VS_UNDETERMINED);
        f = find_aff(c, "DSA-9000-1", "foo", "jessie");
        CHECK(f && f->state == FP_VS_AFFECTED && !f->fixed && f->severity == FP_SEV_HIGH);
        check_fixed(c, "DSA-9000-1", "foo", "trixie", "1.0-1");
        f = find_aff(c, "DSA-9000-1", "foo", "trixie");
        CHECK(f && f->severity == FP_SEV_LOW && !f->note);
        f = find_aff(c, "DSA-9000-1", "foo", "sid");
        CHECK_STR_EQ(f ? f->note : NULL, "fixed in unstable first");
        CHECK(a && strstr(a->refs, "https://bugs.debian.org/42") != NULL);
        CHECK(find_adv(c, "DSA-9001") && find_adv(c, "DSA-9001")->published == date("2024-03-01"));
        CHECK_STR_EQ(find_adv(c, "DSA-9001")->summary, "bar");
}

/* Entry 2 of 3 is broken on line `line`; entries 1 and 3 survive. */
static void check_reject(struct coll *c, const char *bad, unsigned long line, const char *id)
{
        char in[2048];
        snprintf(in, sizeof(in),
                 "[01 Feb 2024] DSA-1-1 a - x\n\t[bookworm] - a 1.0\n"
                 "%s"
                 "[03 Feb 2024] DSA-3-1 c - x\n\t[bookworm] - c 1.0\n",
                 bad);
        struct fp_diag d;
        CHECK_INT_EQ(run_str(c, in, &d), FP_OK);
        CHECK_MSG(c->nadv == 2 && c->nrej == 1, "%s: %zu advisories, %zu rejects", bad, c->nadv,
                  c->nrej);
        CHECK_MSG(c->rej_line == line, "%s: rejected at line %lu", bad, c->rej_line);
        CHECK_STR_EQ(c->rej_id, id);
        CHECK(find_adv(c, "DSA-1-1") && find_adv(c, "DSA-3-1"));
        CHECK(find_adv(c, "DSA-2-1") == NULL);
}

static void test_rejects(struct coll *c)
{
        const char *rest = "\t{CVE-2024-9}\n\t[bookworm] - b 1.0\n";
        char bad[512];
        static const struct {
                const char *line;
                bool header;
        } cases[] = {
            {"[31 Feb 2024] DSA-2-1 b - x", true}, /* no such day */
            {"[01 Foo 2024] DSA-2-1 b - x", true},
            {"[01 Feb 24] DSA-2-1 b - x", true},
            {"[01 Feb 2024 DSA-2-1 b - x", true},
            {"[01 Feb 2024] DLA-2-1 b - x", true},   /* foreign id */
            {"[01 Feb 2024] DSA-2-1-1 b - x", true}, /* not an id */
            {"[01 Feb 2024] DSA-2-1 b\x01 - x", true},
            {"\t[bookworm] - b <removed>", false},
            {"\t[bookworm] - b 1:", false}, /* dpkg refuses the version */
            {"\t[bookworm] b 1.0", false},
            {"\t[bookworm] - b", false},
            {"\t[bookworm - b 1.0", false},
            {"\t[bookworm] - b 1.0 trailing", false},
            {"\t[bookworm] - b 1.0 (unclosed", false},
            {"\t{CVE-2024-1", false},
            {"\tTODO: check", false},
            {"\tsome text \xff\xfe", false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (cases[i].header)
                        snprintf(bad, sizeof(bad), "%s\n%s", cases[i].line, rest);
                else
                        snprintf(bad, sizeof(bad), "[02 Feb 2024] DSA-2-1 b - x\n%s\n%s",
                                 cases[i].line, rest);
                /* bad headers: line 3, no id unless the id itself was fine; body: line 4 */
                const char *id = "DSA-2-1";
                if (cases[i].header &&
                    (strstr(cases[i].line, "DLA") || strstr(cases[i].line, "-1-1") ||
                     strstr(cases[i].line, "2024 DSA") || strchr(cases[i].line, '\x01')))
                        id = "";
                check_reject(c, bad, cases[i].header ? 3 : 4, id);
        }
}

static void test_feed_errors(struct coll *c)
{
        struct fp_diag d;
        CHECK_INT_EQ(run_str(c, "", &d), FP_EPARSE);
        CHECK_INT_EQ(run_str(c, "\n \n", &d), FP_EPARSE);
        CHECK_INT_EQ(run_str(c, "\n{\"not\": \"a list\"}\n", &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 2);
        CHECK_INT_EQ(run_str(c, "[x] y\n", &d), FP_EPARSE); /* no good header at all */
        CHECK_INT_EQ(c->nrej, 1);
        const char *ok = "[01 Feb 2024] DSA-1-1 a - x\n\t[bookworm] - a 1.0\n";
        CHECK_INT_EQ(run(c, ok, strlen(ok), FP_FEED_OSV, &d), FP_EINVAL);
        CHECK_INT_EQ(run(c, ok, strlen(ok), FP_FEED_DSA, &d), FP_OK);
        /* NUL bytes are control characters: the line is malformed */
        const char nul[] = "[01 Feb 2024] DSA-1-1 a - x\n\t[bookworm] - a 1.0\0\n";
        CHECK_INT_EQ(run(c, nul, sizeof(nul) - 1, FP_FEED_DSA, &d), FP_OK);
        CHECK_INT_EQ(c->nrej, 1);
}

/* ---- limits -------------------------------------------------------------------------------- */

static void test_limits(struct coll *c)
{
        struct fp_diag d;
        struct fp_buf b;

        for (size_t n = FP_MAX_ALIASES; n <= FP_MAX_ALIASES + 1; n++) {
                fp_buf_init(&b, 1 << 24);
                fp_buf_addstr(&b, "[01 Feb 2024] DSA-1-1 a - x\n\t{");
                for (size_t i = 0; i < n; i++)
                        fp_buf_addf(&b, " CVE-2024-%zu", i);
                fp_buf_addstr(&b, "}\n\t[sid] - a 1.0\n");
                CHECK_INT_EQ(run(c, b.ptr, b.len, FP_FEED_DSA, &d), FP_OK);
                CHECK_MSG(c->nadv == (n == FP_MAX_ALIASES) && c->nrej == (n > FP_MAX_ALIASES),
                          "%zu aliases", n);
                fp_buf_release(&b);
        }
        for (size_t n = FP_MAX_AFFECTED; n <= FP_MAX_AFFECTED + 1; n++) {
                fp_buf_init(&b, 1 << 26);
                fp_buf_addstr(&b, "[01 Feb 2024] DSA-1-1 a - x\n");
                for (size_t i = 0; i < n; i++)
                        fp_buf_addf(&b, "\t[r%zu] - a 1.0\n", i);
                CHECK_INT_EQ(run(c, b.ptr, b.len, FP_FEED_DSA, &d), FP_OK);
                CHECK_MSG(c->nadv == (n == FP_MAX_AFFECTED) && c->nrej == (n > FP_MAX_AFFECTED),
                          "%zu release lines", n);
                CHECK(c->nadv == 0 || c->advs[0].naff == FP_MAX_AFFECTED);
                fp_buf_release(&b);
        }
        for (size_t n = FP_MAX_ADVISORY_ID_LEN; n <= FP_MAX_ADVISORY_ID_LEN + 1; n++) {
                fp_buf_init(&b, 1 << 20);
                fp_buf_addstr(&b, "[01 Feb 2024] DSA-1-1 a - x\n\t[sid] - ");
                for (size_t i = 0; i < n; i++)
                        fp_buf_addc(&b, 'p');
                fp_buf_addstr(&b, " 1.0\n");
                CHECK_INT_EQ(run(c, b.ptr, b.len, FP_FEED_DSA, &d), FP_OK);
                CHECK_MSG(c->nadv == (n == FP_MAX_ADVISORY_ID_LEN) &&
                              c->nrej == (n > FP_MAX_ADVISORY_ID_LEN),
                          "package name of %zu bytes", n);
                fp_buf_release(&b);
        }
        size_t big = (size_t)FP_MAX_FEED_SIZE + 1;
        void *m = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m != MAP_FAILED) {
                CHECK_INT_EQ(run(c, m, big, FP_FEED_DLA, &d), FP_ELIMIT);
                munmap(m, big);
        }
}

int main(void)
{
        static struct coll c;
        fp_arena_init(&c.arena);
        test_dsa_list(&c);
        test_dla_list(&c);
        test_excerpts(&c);
        test_markers(&c);
        test_rejects(&c);
        test_feed_errors(&c);
        test_limits(&c);
        reset(&c);
        fp_arena_release(&c.arena);
        return fp_test_finish();
}
