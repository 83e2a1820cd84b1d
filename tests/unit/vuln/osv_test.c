/*
 * fp_feed_parse_osv on every real OSV record of the shared data (each must be accepted, skipped
 * or rejected as expected, by name), field by field on a few, and on constructed feeds: arrays
 * with a broken record inside, {"vulns": [...]}, truncated JSON, limits.
 *
 * FP_OSV_DUMP=1 prints every record's outcome (handy when the data changes).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "test.h"

/* ---- a sink that renders what it gets as text ---------------------------------------------- */

struct col {
        size_t nadv, nskip, nrej;
        struct fp_buf text; /* every callback, one line each (affected: one line each) */
        char last_id[300];  /* id of the last callback */
        char last_field[FP_DIAG_FIELD_MAX];
        char last_msg[FP_DIAG_MSG_MAX + 32];
        size_t last_naff;
        enum fp_err fail_on_advisory; /* returned by the advisory callback when set */
};

static void render_adv(struct fp_buf *b, const struct fp_vuln_advisory *a)
{
        char pub[32], mod[32];
        fp_format_date(a->published, pub);
        fp_format_date(a->modified, mod);
        fp_buf_addf(b, "ADV %s kind=%s sev=%s score=%.1f vector=%s withdrawn=%d pub=%s mod=%s\n",
                    a->id, fp_feed_kind_name(a->kind), fp_severity_name(a->severity), a->cvss_score,
                    a->cvss_vector ? a->cvss_vector : "-", a->withdrawn, pub, mod);
        fp_buf_addf(b, "  summary=%s\n", a->summary ? a->summary : "-");
        fp_buf_addstr(b, "  aliases=");
        for (size_t i = 0; i < a->naliases; i++)
                fp_buf_addf(b, "%s%s", i ? "," : "", a->aliases[i]);
        fp_buf_addf(b, "\n  refs=%zu\n", a->nrefs);
        for (size_t i = 0; i < a->naffected; i++) {
                const struct fp_vuln_affected *f = &a->affected[i];
                fp_buf_addf(b,
                            "  AFF %s/%s %s src=%d arch=%s module=%s state=%s fixed=%s sev=%s "
                            "versions=%zu ranges=",
                            f->distro, f->release, f->package, f->source, f->arch ? f->arch : "-",
                            f->module ? f->module : "-", fp_vuln_state_name(f->state),
                            f->fixed ? f->fixed : "-", fp_severity_name(f->severity), f->nversions);
                for (size_t j = 0; j < f->nranges; j++) {
                        const struct fp_vuln_range *r = &f->ranges[j];
                        fp_buf_addf(b, "%s[%s,%s%s]", j ? "," : "",
                                    r->introduced ? r->introduced : "0",
                                    r->fixed ? r->fixed : (r->last_affected ? "" : "-"),
                                    r->last_affected ? r->last_affected : "");
                        if (r->last_affected)
                                fp_buf_addstr(b, "(last)");
                }
                fp_buf_addc(b, '\n');
        }
}

static enum fp_err on_adv(void *ud, const struct fp_vuln_advisory *a)
{
        struct col *c = ud;
        c->nadv++;
        snprintf(c->last_id, sizeof(c->last_id), "%s", a->id);
        c->last_naff = a->naffected;
        render_adv(&c->text, a);
        return c->fail_on_advisory;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct col *c = ud;
        c->nrej++;
        snprintf(c->last_id, sizeof(c->last_id), "%s", id);
        snprintf(c->last_field, sizeof(c->last_field), "%s", why->field);
        snprintf(c->last_msg, sizeof(c->last_msg), "%s", why->msg);
        fp_buf_addf(&c->text, "REJECT %s at %s: %s\n", id, why->field, why->msg);
}

static void on_skip(void *ud, const char *id, const char *reason)
{
        struct col *c = ud;
        c->nskip++;
        snprintf(c->last_id, sizeof(c->last_id), "%s", id);
        snprintf(c->last_msg, sizeof(c->last_msg), "%s", reason);
        fp_buf_addf(&c->text, "SKIP %s: %s\n", id, reason);
}

static void col_init(struct col *c)
{
        memset(c, 0, sizeof(*c));
        fp_buf_init(&c->text, (size_t)1 << 26);
}

static enum fp_err parse(const char *json, size_t len, struct col *c, struct fp_diag *d)
{
        const struct fp_feed_sink sink = {
            .ud = c, .advisory = on_adv, .reject = on_reject, .skip = on_skip};
        fp_buf_reset(&c->text);
        c->nadv = c->nskip = c->nrej = 0;
        c->last_id[0] = c->last_field[0] = c->last_msg[0] = '\0';
        return fp_feed_parse_osv(json, len, "test.json", &sink, d);
}

static enum fp_err parse_str(const char *json, struct col *c, struct fp_diag *d)
{
        return parse(json, strlen(json), c, d);
}

static bool has(const struct col *c, const char *needle)
{
        return strstr(fp_buf_str(&c->text), needle) != NULL;
}

#define CHECK_HAS(c, needle)                                                                       \
        CHECK_MSG(has(c, needle), "expected \"%s\" in:\n%s", needle, fp_buf_str(&(c)->text))

/* ---- every real record ----------------------------------------------------------------------- */

/* Expected outcome of each real record: A (accepted, with naff entries), S, R (with a word
 * of the reason and the path). */
static const struct expect {
        const char *file; /* path below the shared data directory */
        char outcome;
        size_t naff;        /* A */
        const char *reason; /* S and R: a substring of the reason */
        const char *field;  /* R: diag->field */
} expected[] = {
    {"osv/records/alpine/CVE-2022-27449.json", 'A', 5, NULL, NULL},
    {"osv/records/bitnami/BIT-brotli-2020-8927.json", 'S', 0,
     "no OS-distribution ecosystem (Bitnami)", NULL},
    {"osv/records/bitnami/BIT-consul-2021-37219.json", 'S', 0,
     "no OS-distribution ecosystem (Bitnami)", NULL},
    {"osv/records/chainguard/CGA-224q-ccj5-2p53.json", 'A', 2, NULL, NULL},
    {"osv/records/chainguard/CGA-22hv-wp9q-4779.json", 'A', 1, NULL, NULL},
    {"osv/records/chainguard/CGA-xcpc-gm23-prj9.json", 'A', 1, NULL, NULL},
    {"osv/records/debian/DSA-3029-1.json", 'A', 1, NULL, NULL},
    {"osv/records/ghsa/GHSA-266m-wp2v-x7mq.json", 'S', 0, "no OS-distribution ecosystem (NuGet)",
     NULL},
    {"osv/records/ghsa/GHSA-32qq-m9fh-f74w.json", 'S', 0, "no OS-distribution ecosystem (Maven)",
     NULL},
    {"osv/records/ghsa/GHSA-4v7x-pqxf-cx7m.json", 'S', 0, "no OS-distribution ecosystem (Go)",
     NULL},
    {"osv/records/ghsa/GHSA-75v8-2h7p-7m2m.json", 'S', 0, "no OS-distribution ecosystem (npm)",
     NULL},
    {"osv/records/ghsa/GHSA-f5pg-7wfw-84q9.json", 'S', 0, "no OS-distribution ecosystem (Go)",
     NULL},
    {"osv/records/ghsa/GHSA-mp6f-p9gp-vpj9.json", 'S', 0,
     "no OS-distribution ecosystem (crates.io)", NULL},
    {"osv/records/ghsa/GHSA-v778-237x-gjrc.json", 'S', 0, "no OS-distribution ecosystem (Go)",
     NULL},
    {"osv/records/ghsa/GHSA-wjx8-cgrm-hh8p.json", 'S', 0,
     "no OS-distribution ecosystem (Packagist)", NULL},
    {"osv/records/ghsa/GHSA-xx65-cc7g-9pfp.json", 'S', 0, "no OS-distribution ecosystem (Maven)",
     NULL},
    {"osv/records/go/GO-2023-1989.json", 'S', 0, "no OS-distribution ecosystem (Go)", NULL},
    {"osv/records/go/GO-2024-2611.json", 'S', 0, "no OS-distribution ecosystem (Go)", NULL},
    {"osv/records/go/GO-2024-2683.json", 'S', 0, "no OS-distribution ecosystem (Go)", NULL},
    {"osv/records/go/GO-2024-2687.json", 'S', 0, "no OS-distribution ecosystem (Go)", NULL},
    {"osv/records/go/GO-2025-3487.json", 'S', 0, "no OS-distribution ecosystem (Go)", NULL},
    {"osv/records/linter-testdata/CVE-2018-5407.json", 'A', 6, NULL, NULL},
    {"osv/records/linter-testdata/CVE-2023-41045.json", 'S', 0,
     "no OS-distribution ecosystem (GIT)", NULL},
    {"osv/records/linter-testdata/GHSA-9v2f-6vcg-3hgv.json", 'S', 0,
     "no OS-distribution ecosystem (PyPI)", NULL},
    {"osv/records/linter-testdata/GO-2020-0001.json", 'S', 0, "no OS-distribution ecosystem (Go)",
     NULL},
    {"osv/records/linter-testdata/GO-2024-2963.json", 'S', 0, "no OS-distribution ecosystem (Go)",
     NULL},
    {"osv/records/linter-testdata/MAL-2024-10238.json", 'S', 0,
     "no OS-distribution ecosystem (PyPI)", NULL},
    {"osv/records/linter-testdata/PYSEC-2023-74.json", 'S', 0,
     "no OS-distribution ecosystem (PyPI)", NULL},
    {"osv/records/linter-testdata/RHSA-2022_0216.json", 'S', 0, "no affected packages", NULL},
    {"osv/records/linter-testdata/SUSE-FU-2022_0444-1.json", 'S', 0, "no affected packages", NULL},
    {"osv/records/linter-testdata/invalid/nointroduced-CVE-2023-41045.json", 'R', 0,
     "range has no 'introduced' event", "affected[0].ranges[0].events"},
    {"osv/records/linter-testdata/invalid/nondistinct-CVE-2018-5407.json", 'R', 0,
     "range is not distinct", "affected[6].ranges[1].events[1]"},
    /* Broken only in that PyPI has no package "Gradi0": osv-linter's online PKG check finds
     * that, nothing offline can. Well-formed and PyPI-only, so skipped. */
    {"osv/records/linter-testdata/invalid/nopackage-GHSA-9v2f-6vcg-3hgv.json", 'S', 0,
     "no OS-distribution ecosystem (PyPI)", NULL},
    {"osv/records/pypi/PYSEC-2018-27.json", 'S', 0, "no OS-distribution ecosystem (PyPI)", NULL},
    {"osv/records/pypi/PYSEC-2023-120.json", 'S', 0, "no OS-distribution ecosystem (PyPI)", NULL},
    {"osv/records/pypi/PYSEC-2023-73.json", 'S', 0, "no OS-distribution ecosystem (PyPI)", NULL},
    {"osv/records/redhat/RHSA-2024_4546.json", 'A', 3, NULL, NULL},
    {"osv/records/redhat/RHSA-2024_6220.json", 'A', 76, NULL, NULL},
    {"osv/records/ubuntu/UBUNTU-CVE-2013-2208.json", 'A', 1, NULL, NULL},
    {"osv/records/ubuntu/UBUNTU-CVE-2016-20013.json", 'A', 30, NULL, NULL},
    {"osv/records/ubuntu/UBUNTU-CVE-2020-36325.json", 'A', 1, NULL, NULL},
    {"osv/records/ubuntu/UBUNTU-CVE-2021-3782.json", 'A', 4, NULL, NULL},
    {"osv/records/ubuntu/UBUNTU-CVE-2025-38094.json", 'A', 1, NULL, NULL},
    {"osv/records/ubuntu/UBUNTU-CVE-2026-1403.json", 'A', 1, NULL, NULL},
    {"osv/records/ubuntu/USN-5614-1.json", 'A', 3, NULL, NULL},
    {"osv/records/ubuntu/esm/UBUNTU-CVE-2014-2901.json", 'A', 1, NULL, NULL},
    {"osv/records/ubuntu/esm/UBUNTU-CVE-2014-9913.json", 'A', 2, NULL, NULL},
    {"osv/records/ubuntu/esm/UBUNTU-CVE-2022-24823.json", 'A', 8, NULL, NULL},
    {"rpm-advisories/osv-almalinux/almalinux8/ALBA-2021:4378.json", 'A', 7, NULL, NULL},
    {"rpm-advisories/osv-almalinux/almalinux8/ALSA-2023:4520.json", 'A', 1, NULL, NULL},
    {"rpm-advisories/osv-almalinux/almalinux8/ALSA-2023:5259.json", 'A', 2, NULL, NULL},
    {"rpm-advisories/osv-almalinux/almalinux9/ALSA-2022:8194.json", 'A', 3, NULL, NULL},
    {"rpm-advisories/osv-almalinux/almalinux9/ALSA-2024:2433.json", 'A', 10, NULL, NULL},
    {"rpm-advisories/osv-rocky/RLSA-2021_3891.json", 'A', 1, NULL, NULL},
    {"rpm-advisories/osv-rocky/RLSA-2023_3220.json", 'A', 1, NULL, NULL},
    {"rpm-advisories/osv-rocky/RLSA-2024_3671.json", 'A', 3, NULL, NULL},
};

struct walk {
        char **paths;
        size_t n, cap;
};

static void walk_dir(struct walk *w, const char *dir)
{
        DIR *dh = opendir(dir);
        struct dirent *de;
        CHECK_MSG(dh != NULL, "cannot open %s", dir);
        if (!dh)
                return;
        while ((de = readdir(dh)) != NULL) {
                char path[4096];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                size_t len = strlen(de->d_name);
                if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
                        if (w->n == w->cap) {
                                w->cap = w->cap ? 2 * w->cap : 64;
                                w->paths = realloc(w->paths, w->cap * sizeof(*w->paths));
                        }
                        w->paths[w->n++] = strdup(path);
                } else {
                        walk_dir(w, path); /* not a directory: opendir fails, checked */
                }
        }
        closedir(dh);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_all_records(void)
{
        static const char *const dirs[] = {"osv/records", "rpm-advisories/osv-almalinux",
                                           "rpm-advisories/osv-rocky"};
        struct walk w = {0};
        struct col c;
        size_t base = strlen(fp_test_shared_data()) + 1, seen = 0;
        size_t nadv = 0, nskip = 0, nrej = 0;
        bool dump = getenv("FP_OSV_DUMP") != NULL;

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                walk_dir(&w, fp_test_shared_path(dirs[i]));
        qsort(w.paths, w.n, sizeof(*w.paths), cmp_str);
        col_init(&c);
        for (size_t i = 0; i < w.n; i++) {
                const char *rel = w.paths[i] + base;
                char *data = NULL;
                size_t len;
                struct fp_diag d;
                CHECK(fp_read_file(w.paths[i], FP_MAX_RECORD_SIZE, &data, &len, &d) == FP_OK);
                enum fp_err err = parse(data, len, &c, &d);
                free(data);
                CHECK_MSG(err == FP_OK, "%s: %s", rel, d.msg);
                CHECK_MSG(c.nadv + c.nskip + c.nrej == 1, "%s: %zu callbacks", rel,
                          c.nadv + c.nskip + c.nrej);
                nadv += c.nadv;
                nskip += c.nskip;
                nrej += c.nrej;
                if (dump)
                        fprintf(stderr, "== %s\n%s", rel, fp_buf_str(&c.text));
                const struct expect *e = NULL;
                for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++)
                        if (strcmp(expected[k].file, rel) == 0)
                                e = &expected[k];
                CHECK_MSG(e != NULL, "%s: no expected outcome in the table", rel);
                if (!e)
                        continue;
                seen++;
                char got = c.nadv ? 'A' : c.nskip ? 'S' : 'R';
                CHECK_MSG(got == e->outcome, "%s: outcome %c, expected %c:\n%s", rel, got,
                          e->outcome, fp_buf_str(&c.text));
                if (got == 'A' && e->outcome == 'A')
                        CHECK_MSG(c.last_naff == e->naff, "%s: %zu affected, expected %zu", rel,
                                  c.last_naff, e->naff);
                if (got != 'A' && e->reason)
                        CHECK_MSG(strstr(c.last_msg, e->reason),
                                  "%s: reason \"%s\", expected \"%s\"", rel, c.last_msg, e->reason);
                if (got == 'R' && e->field)
                        CHECK_MSG(strcmp(c.last_field, e->field) == 0,
                                  "%s: field \"%s\", expected \"%s\"", rel, c.last_field, e->field);
        }
        CHECK_INT_EQ(seen, sizeof(expected) / sizeof(expected[0]));
        fprintf(stderr, "real records: %zu files, %zu accepted, %zu skipped, %zu rejected\n", w.n,
                nadv, nskip, nrej);
        for (size_t i = 0; i < w.n; i++)
                free(w.paths[i]);
        free(w.paths);
        fp_buf_release(&c.text);
}

/* ---- selected records field by field ----------------------------------------------------------
 */

static void parse_file(const char *rel, struct col *c)
{
        char *data = NULL;
        size_t len;
        struct fp_diag d;
        CHECK(fp_read_file(fp_test_shared_path(rel), FP_MAX_RECORD_SIZE, &data, &len, &d) == FP_OK);
        CHECK(parse(data, len, c, &d) == FP_OK);
        free(data);
}

static void test_fields(void)
{
        struct col c;
        col_init(&c);

        parse_file("osv/records/debian/DSA-3029-1.json", &c);
        CHECK_HAS(&c, "ADV DSA-3029-1 kind=osv sev=unknown score=-1.0 vector=- withdrawn=0 "
                      "pub=2014-09-20T00:00:00Z mod=2014-09-20T08:18:07Z");
        CHECK_HAS(&c, "summary=nginx - security update\n");
        CHECK_HAS(&c, "aliases=CVE-2014-3616\n");
        CHECK_HAS(&c,
                  "AFF debian/wheezy nginx src=1 arch=- module=- state=affected "
                  "fixed=1.2.1-2.2+wheezy3 sev=unknown versions=0 ranges=[0,1.2.1-2.2+wheezy3]");

        parse_file("osv/records/alpine/CVE-2022-27449.json", &c);
        CHECK_HAS(&c, "ADV CVE-2022-27449 ");
        CHECK_HAS(&c, "aliases=\n"); /* the id is the CVE; nothing else */
        CHECK_HAS(&c, "refs=3\n");   /* 7 references, 3 distinct URLs */
        CHECK_HAS(&c, "summary=MariaDB Server v10.9 and below was discovered");
        CHECK_HAS(&c, "AFF alpine/3.12 mariadb src=1 arch=- module=- state=affected "
                      "fixed=10.4.25-r0 ");
        CHECK_HAS(&c,
                  "AFF alpine/3.16 mariadb src=1 arch=- module=- state=affected fixed=10.6.8-r0 ");

        parse_file("osv/records/ubuntu/USN-5614-1.json", &c);
        /* no record severity: the Ubuntu priority of the cves_map, CVSS from there too */
        CHECK_HAS(&c, "ADV USN-5614-1 kind=osv sev=medium score=6.6 "
                      "vector=CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:H");
        CHECK_HAS(&c, "aliases=UBUNTU-CVE-2021-3782,CVE-2021-3782\n");
        CHECK_HAS(&c, "AFF ubuntu/18.04 wayland src=1 arch=- module=- state=affected "
                      "fixed=1.16.0-1ubuntu1.1~18.04.4 sev=medium versions=4 ");
        CHECK_HAS(&c, "AFF ubuntu/22.04 wayland src=1 arch=- module=- state=affected "
                      "fixed=1.20.0-1ubuntu0.1 sev=medium versions=2 ");

        /* ESM: Pro streams become ubuntu-pro; open ranges with long versions lists */
        parse_file("osv/records/ubuntu/esm/UBUNTU-CVE-2022-24823.json", &c);
        CHECK_HAS(&c, "ADV UBUNTU-CVE-2022-24823 kind=osv sev=low score=5.5 ");
        CHECK_HAS(&c, "aliases=CVE-2022-24823\n");
        CHECK_HAS(&c, "AFF ubuntu-pro/14.04 netty src=1 arch=- module=- state=affected fixed=- "
                      "sev=unknown versions=3 ranges=[0,-]");
        CHECK_HAS(&c, "AFF ubuntu-pro/18.04 netty src=1 arch=- module=- state=affected "
                      "fixed=1:4.1.7-4ubuntu0.1+esm3 ");
        CHECK_HAS(&c, "AFF ubuntu/25.10 netty ");

        /* withdrawn, kept as such */
        parse_file("osv/records/ubuntu/UBUNTU-CVE-2013-2208.json", &c);
        CHECK_HAS(&c, "ADV UBUNTU-CVE-2013-2208 kind=osv sev=medium score=-1.0 vector=- "
                      "withdrawn=1 ");

        /* Red Hat: three EUS-type streams of 8.6 are one rhel/8 entry per package */
        parse_file("osv/records/redhat/RHSA-2024_4546.json", &c);
        CHECK_HAS(&c, "ADV RHSA-2024:4546 kind=osv sev=high score=7.5 "
                      "vector=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
        CHECK_HAS(&c, "aliases=CVE-2023-45288\n"); /* related GO-2024-2687 is not a CVE */
        CHECK_HAS(&c, "AFF rhel/8 git-lfs src=0 arch=- module=- state=affected "
                      "fixed=0:2.13.3-3.el8_6.1 ");
        CHECK_HAS(&c, "AFF rhel/8 git-lfs-debugsource src=0 ");

        parse_file("rpm-advisories/osv-almalinux/almalinux8/ALSA-2023:5259.json", &c);
        CHECK_HAS(&c, "ADV ALSA-2023:5259 kind=osv sev=medium score=-1.0 ");
        CHECK_HAS(&c, "AFF almalinux/8 mariadb src=0 arch=- module=- state=affected "
                      "fixed=3:10.3.39-1.module_el8.8.0+3609+204d4ab0 ");
        CHECK(has(&c, "aliases=CVE-"));

        parse_file("rpm-advisories/osv-rocky/RLSA-2021_3891.json", &c);
        CHECK_HAS(&c, "ADV RLSA-2021:3891 kind=osv sev=high score=6.8 "
                      "vector=CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:N/A:N");
        CHECK_HAS(&c, "aliases=CVE-2021-35550,CVE-2021-35556,CVE-2021-35559,CVE-2021-35561,"
                      "CVE-2021-35564,CVE-2021-35565,CVE-2021-35567,CVE-2021-35578,"
                      "CVE-2021-35586,CVE-2021-35603\n");
        CHECK_HAS(&c, "AFF rocky/8 java-11-openjdk src=0 arch=- module=- state=affected "
                      "fixed=1:11.0.13.0.8-1.el8_4 ");

        /* Wolfi kept (rolling, no release), Chainguard entries dropped */
        parse_file("osv/records/chainguard/CGA-224q-ccj5-2p53.json", &c);
        CHECK_HAS(&c, "AFF wolfi/ haproxy-3.0 src=1 arch=- ");
        CHECK(!has(&c, "haproxy-2.2"));
        CHECK_HAS(&c, "aliases=CVE-2025-32464,GHSA-frg5-h47x-75j9\n");

        fp_buf_release(&c.text);
}

/* ---- constructed feeds ------------------------------------------------------------------------
 */

#define REC(id, extra)                                                                             \
        "{\"id\":\"" id "\",\"modified\":\"2024-01-02T00:00:00Z\",\"affected\":[{\"package\":"     \
        "{\"ecosystem\":\"Debian:12\",\"name\":\"openssl\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","  \
        "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"3.0.11-1~deb12u2\"}]}]}]" extra "}"

static void test_feeds(void)
{
        struct col c;
        struct fp_diag d;
        col_init(&c);

        /* an array with a broken record in the middle still yields the others */
        CHECK(parse_str("[" REC("DSA-1-1", "") ",{\"id\":\"DSA-2-1\"}," REC("DSA-3-1", "") "]", &c,
                        &d) == FP_OK);
        CHECK_INT_EQ(c.nadv, 2);
        CHECK_INT_EQ(c.nrej, 1);
        CHECK_HAS(&c, "ADV DSA-1-1 ");
        CHECK_HAS(&c, "REJECT DSA-2-1 at modified: required string is missing");
        CHECK_HAS(&c, "ADV DSA-3-1 ");
        CHECK_HAS(&c, "AFF debian/bookworm openssl src=1 ");

        /* a non-object record without an id: named by its position */
        CHECK(parse_str("[" REC("DSA-1-1", "") ",42]", &c, &d) == FP_OK);
        CHECK_HAS(&c, "REJECT  at : record 1: record is not an object");

        /* osv.dev query answers */
        CHECK(parse_str("{\"vulns\":[" REC("DSA-1-1", "") "," REC("DSA-2-1", "") "]}", &c, &d) ==
              FP_OK);
        CHECK_INT_EQ(c.nadv, 2);
        CHECK(parse_str("{}", &c, &d) == FP_OK);
        CHECK_INT_EQ(c.nadv + c.nrej + c.nskip, 0);
        CHECK(parse_str("{\"vulns\":{}}", &c, &d) == FP_EPARSE);
        CHECK(parse_str("\"x\"", &c, &d) == FP_EPARSE);

        /* truncated JSON is a feed-level error with a line number, nothing emitted */
        const char *trunc = "[\n" REC("DSA-1-1", "") ",\n{\"id\": \"DSA-2";
        CHECK(parse_str(trunc, &c, &d) == FP_EPARSE);
        CHECK_INT_EQ(d.line, 3);
        CHECK_INT_EQ(c.nadv, 0);
        CHECK(parse_str("", &c, &d) == FP_EPARSE);

        /* the sink's error stops the parse and is returned */
        c.fail_on_advisory = FP_EIO;
        CHECK(parse_str("[" REC("DSA-1-1", "") "," REC("DSA-2-1", "") "]", &c, &d) == FP_EIO);
        CHECK_INT_EQ(c.nadv, 1);
        c.fail_on_advisory = FP_OK;

        fp_buf_release(&c.text);
}

/* One record with `body` spliced into REC's place of extras; expect a reject at field. */
static void expect_reject(const char *json, const char *field, const char *msg)
{
        struct col c;
        struct fp_diag d;
        col_init(&c);
        CHECK(parse_str(json, &c, &d) == FP_OK);
        CHECK_MSG(c.nrej == 1, "expected a reject (%s) of:\n%s\ngot:\n%s", msg, json,
                  fp_buf_str(&c.text));
        CHECK_MSG(strcmp(c.last_field, field) == 0, "field \"%s\", expected \"%s\" (%s)",
                  c.last_field, field, c.last_msg);
        CHECK_MSG(strstr(c.last_msg, msg) != NULL, "message \"%s\", expected \"%s\"", c.last_msg,
                  msg);
        fp_buf_release(&c.text);
}

#define AFF(eco, name, events, more)                                                               \
        "{\"package\":{\"ecosystem\":\"" eco "\",\"name\":\"" name "\"},\"ranges\":[{\"type\":"    \
        "\"ECOSYSTEM\",\"events\":[" events "]}]" more "}"
#define ONE(affected, extra)                                                                       \
        "{\"id\":\"X-1\",\"modified\":\"2024-01-02T00:00:00Z\",\"affected\":[" affected "]" extra  \
        "}"

static void test_rejects(void)
{
        expect_reject("{\"modified\":\"2024-01-02T00:00:00Z\"}", "id",
                      "required string is missing");
        expect_reject("{\"id\":\"X-1\",\"modified\":\"yesterday\"}", "modified", "not a date");
        expect_reject("{\"id\":\"X-1\"}", "modified", "required string is missing");
        expect_reject(ONE("", ",\"schema_version\":\"2.0.0\""), "schema_version",
                      "only major version 1");
        expect_reject(ONE("", ",\"schema_version\":\"x\""), "schema_version", "not a version");
        expect_reject(ONE(AFF("Debian:12", "a", "", ""), ""), "affected[0].ranges[0].events",
                      "range without events");
        expect_reject(ONE(AFF("Debian:12", "", "{\"introduced\":\"0\"}", ""), ""),
                      "affected[0].package.name", "required string is empty");
        expect_reject(ONE(AFF("Debian:12", "a", "{\"fixed\":\"1.0-1\"}", ""), ""),
                      "affected[0].ranges[0].events", "no 'introduced' event");
        expect_reject(
            ONE(AFF("Debian:12", "a", "{\"introduced\":\"1.0-1\"},{\"fixed\":\"1.0-1\"}", ""), ""),
            "affected[0].ranges[0].events[1]", "not distinct");
        expect_reject(ONE(AFF("Debian:12", "a", "{\"introduced\":\"0\",\"fixed\":\"1\"}", ""), ""),
                      "affected[0].ranges[0].events[0]", "exactly one of");
        expect_reject(
            ONE(AFF("Debian:12", "a", "{\"introduced\":\"0\"},{\"fixed\":\"1:\"}", ""), ""),
            "affected[0].ranges[0].events[1]", "not a Debian version");
        expect_reject(
            ONE(AFF("Alpine:v3.18", "a", "{\"introduced\":\"0\"},{\"fixed\":\"1.0-x\"}", ""), ""),
            "affected[0].ranges[0].events[1]", "not an apk version");
        expect_reject(ONE(AFF("Debian:12", "a", "{\"introduced\":\"0\"}", ",\"versions\":[1]"), ""),
                      "affected[0].versions[0]", "expected a string");
        expect_reject(ONE(AFF("Debian:12", "a", "{\"introduced\":\"0\"}", ""),
                          ",\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N\"}]"),
                      "severity[0].score", "missing base metric");
        expect_reject(ONE(AFF("npm", "a", "{\"introduced\":\"0\"}", ""), ",\"aliases\":[\"\"]"),
                      "aliases[0]", "string of 0 bytes");
        expect_reject(
            ONE("{\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}"
                "]}",
                ""),
            "affected[0].ranges[0].type", "only GIT ranges may stand alone");
        expect_reject(ONE("{}", ""), "affected[0].package", "neither a package nor GIT ranges");
        expect_reject(ONE("{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"a\"},\"ranges\":"
                          "[{\"type\":\"BOGUS\",\"events\":[{\"introduced\":\"0\"}]}]}",
                          ""),
                      "affected[0].ranges[0].type", "unknown range type");
        expect_reject(ONE("", ",\"references\":[{\"type\":\"WEB\"}]"), "references[0].url",
                      "required string is missing");
}

static void test_skips_and_shapes(void)
{
        struct col c;
        struct fp_diag d;
        col_init(&c);

        /* language ecosystems only: skipped with the ecosystems named */
        CHECK(parse_str(ONE(AFF("npm", "a", "{\"introduced\":\"0\"}",
                                "") "," AFF("PyPI", "b", "{\"introduced\":\"0\"}",
                                            "") "," AFF("npm", "c", "{\"introduced\":\"0\"}", ""),
                            ""),
                        &c, &d) == FP_OK);
        CHECK_HAS(&c, "SKIP X-1: no OS-distribution ecosystem (npm, PyPI)");
        /* a foreign entry inside an OS record is dropped silently */
        CHECK(parse_str(ONE(AFF("npm", "a", "{\"introduced\":\"0\"}",
                                "") "," AFF("Debian:13", "b", "{\"introduced\":\"0\"}", ""),
                            ""),
                        &c, &d) == FP_OK);
        CHECK_INT_EQ(c.nadv, 1);
        CHECK_INT_EQ(c.last_naff, 1);
        CHECK_HAS(&c,
                  "AFF debian/trixie b src=1 arch=- module=- state=affected fixed=- sev=unknown "
                  "versions=0 ranges=[0,-]");

        /* ecosystem normalization */
        static const struct {
                const char *eco, *want;
        } ecos[] = {
            {"Debian:7", "debian/wheezy"},
            {"Debian:3.0", "debian/woody"},
            {"Debian:3.1", "debian/sarge"},
            {"Debian:4.0", "debian/etch"},
            {"Debian:14", "debian/forky"},
            {"Debian:sid", "debian/sid"},
            {"Ubuntu:22.04:LTS", "ubuntu/22.04"},
            {"Ubuntu:Pro:18.04:LTS", "ubuntu-pro/18.04"},
            {"Ubuntu:Pro:FIPS-updates:20.04:LTS", "ubuntu-pro/20.04"},
            {"Ubuntu:24.10", "ubuntu/24.10"},
            {"Alpine:v3.16", "alpine/3.16"},
            {"AlmaLinux:8", "almalinux/8"},
            {"Rocky Linux:9", "rocky/9"},
            {"Red Hat:enterprise_linux:9::appstream", "rhel/9"},
            {"Red Hat:rhel_eus:9.2::baseos", "rhel/9"},
            {"SUSE:Linux Enterprise Server 15 SP4", "sles/15.4"},
            {"SUSE:Linux Enterprise Module for Basesystem 15 SP5", "sles/15.5"},
            {"SUSE:Linux Enterprise Server 12", "sles/12"},
            {"SUSE:Linux Enterprise Micro 5.3", "sle-micro/5.3"},
            {"openSUSE:Leap 15.4", "opensuse-leap/15.4"},
            {"openSUSE:Tumbleweed", "opensuse-tumbleweed/"},
            {"Wolfi", "wolfi/"},
        };
        for (size_t i = 0; i < sizeof(ecos) / sizeof(ecos[0]); i++) {
                char json[1024], want[128];
                snprintf(json, sizeof(json),
                         "{\"id\":\"X-1\",\"modified\":\"2024-01-02T00:00:00Z\",\"affected\":[{"
                         "\"package\":{\"ecosystem\":\"%s\",\"name\":\"p\"}}]}",
                         ecos[i].eco);
                snprintf(want, sizeof(want), "AFF %s p ", ecos[i].want);
                CHECK(parse_str(json, &c, &d) == FP_OK);
                CHECK_MSG(has(&c, want), "%s: expected %s, got:\n%s", ecos[i].eco, want,
                          fp_buf_str(&c.text));
        }
        static const char *const foreign[] = {
            "Bitnami", "Chainguard",   "Red Hat:openshift:4.14::el9", "SUSE:CaaS Platform 4.0",
            "Go",      "Photon OS:5.0"};
        for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
                char json[1024];
                snprintf(json, sizeof(json),
                         "{\"id\":\"X-1\",\"modified\":\"2024-01-02T00:00:00Z\",\"affected\":[{"
                         "\"package\":{\"ecosystem\":\"%s\",\"name\":\"p\"}}]}",
                         foreign[i]);
                CHECK(parse_str(json, &c, &d) == FP_OK);
                CHECK_MSG(c.nskip == 1, "%s not skipped:\n%s", foreign[i], fp_buf_str(&c.text));
        }

        /* ranges: several per entry, last_affected, limit ignored, out-of-order events sorted */
        CHECK(parse_str(ONE(AFF("Debian:12", "a",
                                "{\"introduced\":\"2.0-1\"},{\"fixed\":\"2.5-1\"},"
                                "{\"introduced\":\"0\"},{\"last_affected\":\"1.2-3\"},"
                                "{\"limit\":\"3.0\"}",
                                ""),
                            ""),
                        &c, &d) == FP_OK);
        CHECK_HAS(&c, "fixed=- sev=unknown versions=0 ranges=[0,1.2-3](last),[2.0-1,2.5-1]\n");
        /* SEMVER/GIT ranges of an OS entry are ignored; with nothing else the entry goes */
        CHECK(parse_str(ONE("{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"a\"},\"ranges\":"
                            "[{\"type\":\"GIT\",\"repo\":\"r\",\"events\":[{\"introduced\":\"0\"}]}"
                            "]}",
                            ""),
                        &c, &d) == FP_OK);
        CHECK_HAS(&c, "SKIP X-1: OS packages without ECOSYSTEM ranges or versions");
        /* RPM arch from the purl */
        CHECK(parse_str(ONE("{\"package\":{\"ecosystem\":\"AlmaLinux:9\",\"name\":\"a\",\"purl\":"
                            "\"pkg:rpm/almalinux/a?epoch=0&arch=x86_64\"}}",
                            ""),
                        &c, &d) == FP_OK);
        CHECK_HAS(&c, "AFF almalinux/9 a src=0 arch=x86_64 ");
        /* aliases: dedup, the id itself left out, v4 vector kept without a score */
        CHECK(parse_str("{\"id\":\"CVE-1\",\"modified\":\"2024-01-02T00:00:00Z\",\"aliases\":"
                        "[\"CVE-1\",\"GHSA-x\"],\"upstream\":[\"GHSA-x\",\"CVE-2\"],\"severity\":"
                        "[{\"type\":\"CVSS_V4\",\"score\":\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/"
                        "VI:H/VA:H/SC:N/SI:N/SA:N\"}],\"affected\":[" AFF(
                            "Debian:12", "a", "{\"introduced\":\"0\"}", "") "]}",
                        &c, &d) == FP_OK);
        CHECK_HAS(&c, "ADV CVE-1 kind=osv sev=unknown score=-1.0 vector=CVSS:4.0/AV:N/");
        CHECK_HAS(&c, "aliases=GHSA-x,CVE-2\n");
        /* withdrawn before published: a stub, skipped */
        CHECK(parse_str(ONE(AFF("Debian:12", "a", "{\"introduced\":\"0\"}", ""),
                            ",\"published\":\"2024-01-02T00:00:00Z\",\"withdrawn\":\"2023-01-01\""),
                        &c, &d) == FP_OK);
        CHECK_HAS(&c, "SKIP X-1: withdrawn before it was published");
        /* no affected at all */
        CHECK(parse_str("{\"id\":\"X-1\",\"modified\":\"2024-01-02T00:00:00Z\"}", &c, &d) == FP_OK);
        CHECK_HAS(&c, "SKIP X-1: no affected packages");
        fp_buf_release(&c.text);
}

/* ---- limits ------------------------------------------------------------------------------------
 */

/* A record whose id has n bytes. */
static void test_limits(void)
{
        struct col c;
        struct fp_diag d;
        struct fp_buf b;
        col_init(&c);
        fp_buf_init(&b, (size_t)1 << 26);

        for (size_t n = FP_MAX_ADVISORY_ID_LEN; n <= FP_MAX_ADVISORY_ID_LEN + 1; n++) {
                fp_buf_reset(&b);
                fp_buf_addstr(&b, "{\"id\":\"");
                for (size_t i = 0; i < n; i++)
                        fp_buf_addc(&b, 'A');
                fp_buf_addstr(&b, "\",\"modified\":\"2024-01-02T00:00:00Z\",\"affected\":[" AFF(
                                      "Debian:12", "a", "{\"introduced\":\"0\"}", "") "]}");
                CHECK(parse_str(fp_buf_str(&b), &c, &d) == FP_OK);
                CHECK_INT_EQ(c.nadv, n <= FP_MAX_ADVISORY_ID_LEN);
                CHECK_INT_EQ(c.nrej, n > FP_MAX_ADVISORY_ID_LEN);
                if (c.nrej)
                        CHECK_STR_EQ(c.last_field, "id");
        }
        /* a package name and a version at and past the limit */
        for (size_t n = FP_MAX_ADVISORY_ID_LEN; n <= FP_MAX_ADVISORY_ID_LEN + 1; n++) {
                fp_buf_reset(&b);
                fp_buf_addstr(&b, "{\"id\":\"X-1\",\"modified\":\"2024-01-02T00:00:00Z\","
                                  "\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\","
                                  "\"name\":\"");
                for (size_t i = 0; i < n; i++)
                        fp_buf_addc(&b, 'a');
                fp_buf_addstr(&b, "\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{"
                                  "\"introduced\":\"0\"},{\"fixed\":\"1");
                for (size_t i = 1; i < n; i++)
                        fp_buf_addc(&b, '0');
                fp_buf_addstr(&b, "\"}]}]}]}");
                CHECK(parse_str(fp_buf_str(&b), &c, &d) == FP_OK);
                CHECK_INT_EQ(c.nadv, n <= FP_MAX_ADVISORY_ID_LEN);
                if (c.nrej)
                        CHECK_STR_EQ(c.last_field, "affected[0].package.name");
        }
        /* aliases and affected arrays at and past their limits */
        static const struct {
                const char *key;
                size_t max;
        } arrays[] = {
            {"aliases", FP_MAX_ALIASES},
            {"references", FP_MAX_REFS},
            {"affected", FP_MAX_AFFECTED},
        };
        for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) {
                for (size_t n = arrays[a].max; n <= arrays[a].max + 1; n++) {
                        fp_buf_reset(&b);
                        fp_buf_addf(&b, "{\"id\":\"X-1\",\"modified\":\"2024-01-02T00:00:00Z\"");
                        if (strcmp(arrays[a].key, "affected") != 0)
                                fp_buf_addstr(&b, ",\"affected\":[" AFF("Debian:12", "a",
                                                                        "{\"introduced\":\"0\"}",
                                                                        "") "]");
                        fp_buf_addf(&b, ",\"%s\":[", arrays[a].key);
                        for (size_t i = 0; i < n; i++) {
                                if (i)
                                        fp_buf_addc(&b, ',');
                                if (a == 0)
                                        fp_buf_addf(&b, "\"CVE-%zu\"", i);
                                else if (a == 1)
                                        fp_buf_addf(
                                            &b, "{\"type\":\"WEB\",\"url\":\"https://x/%zu\"}", i);
                                else
                                        fp_buf_addf(&b,
                                                    "{\"package\":{\"ecosystem\":\"Debian:12\","
                                                    "\"name\":\"p%zu\"}}",
                                                    i);
                        }
                        fp_buf_addstr(&b, "]}");
                        CHECK(parse_str(fp_buf_str(&b), &c, &d) == FP_OK);
                        CHECK_MSG(c.nadv == (n <= arrays[a].max), "%s with %zu items: %.300s",
                                  arrays[a].key, n, fp_buf_str(&c.text));
                        if (c.nrej)
                                CHECK_STR_EQ(c.last_field, arrays[a].key);
                }
        }
        /* range events at and past the limit */
        for (size_t n = FP_MAX_RANGE_EVENTS; n <= FP_MAX_RANGE_EVENTS + 1; n++) {
                fp_buf_reset(&b);
                fp_buf_addstr(&b, "{\"id\":\"X-1\",\"modified\":\"2024-01-02T00:00:00Z\","
                                  "\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\","
                                  "\"name\":\"a\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":"
                                  "[{\"introduced\":\"0\"}");
                for (size_t i = 1; i < n; i++)
                        fp_buf_addf(&b, ",{\"%s\":\"%zu.%zu\"}", i % 2 ? "fixed" : "introduced",
                                    i / 100 + 1, i % 100);
                fp_buf_addstr(&b, "]}]}]}");
                CHECK(parse_str(fp_buf_str(&b), &c, &d) == FP_OK);
                CHECK_MSG(c.nadv == (n <= FP_MAX_RANGE_EVENTS), "%zu events: %.300s", n,
                          fp_buf_str(&c.text));
                if (c.nrej)
                        CHECK_STR_EQ(c.last_field, "affected[0].ranges[0].events");
        }
        fp_buf_release(&b);
        fp_buf_release(&c.text);
}

int main(void)
{
        test_all_records();
        test_fields();
        test_feeds();
        test_rejects();
        test_skips_and_shapes();
        test_limits();
        return fp_test_finish();
}
