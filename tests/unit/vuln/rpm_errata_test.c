/*
 * fp_feed_parse_rpm_errata on every real erratum of the shared data (vuln-list and
 * vuln-list-update's golden files: AlmaLinux, Rocky, Oracle, Amazon shapes), the AlmaLinux
 * errata API answer, a cross-check against the OSV rendering of the same AlmaLinux advisory,
 * and broken input: rejected records, feed errors, limits.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"
#include "test.h"

/* ---- a sink that keeps a text rendering of everything it is given ------------------------ */

#define MAX_ADVS 64

struct adv {
        char *id, *summary;
        enum fp_severity severity;
        int64_t published, modified;
        size_t naliases, nrefs, naffected;
        /* "alias X\n" lines, then "pkg arch fixed module distro release\n" lines */
        char *dump;
};

struct got {
        struct adv advs[MAX_ADVS];
        size_t n;
        size_t nrejects;
        char rejects[4096];    /* "id|field|msg\n" */
        enum fp_err fail_with; /* returned by the advisory callback when != FP_OK */
};

static enum fp_err on_adv(void *ud, const struct fp_vuln_advisory *a)
{
        struct got *g = ud;
        struct fp_buf b;
        if (g->fail_with != FP_OK)
                return g->fail_with;
        if (g->n >= MAX_ADVS)
                return FP_ELIMIT;
        struct adv *r = &g->advs[g->n++];
        fp_buf_init(&b, 1 << 26);
        r->id = strdup(a->id);
        r->summary = a->summary ? strdup(a->summary) : NULL;
        r->severity = a->severity;
        r->published = a->published;
        r->modified = a->modified;
        r->naliases = a->naliases;
        r->nrefs = a->nrefs;
        r->naffected = a->naffected;
        CHECK_INT_EQ(a->kind, FP_FEED_RPM_ERRATA);
        fp_buf_addc(&b, '\n');
        for (size_t i = 0; i < a->naliases; i++)
                fp_buf_addf(&b, "alias %s\n", a->aliases[i]);
        for (size_t i = 0; i < a->naffected; i++) {
                const struct fp_vuln_affected *f = &a->affected[i];
                CHECK_INT_EQ(f->state, FP_VS_AFFECTED);
                CHECK(!f->source);
                fp_buf_addf(&b, "%s %s %s %s %s %s\n", f->package, f->arch ? f->arch : "-",
                            f->fixed, f->module ? f->module : "-", f->distro, f->release);
        }
        r->dump = fp_buf_take(&b);
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct got *g = ud;
        size_t used = strlen(g->rejects);
        g->nrejects++;
        snprintf(g->rejects + used, sizeof(g->rejects) - used, "%s|%s|%s\n", id, why->field,
                 why->msg);
}

static void got_free(struct got *g)
{
        for (size_t i = 0; i < g->n; i++) {
                free(g->advs[i].id);
                free(g->advs[i].summary);
                free(g->advs[i].dump);
        }
        memset(g, 0, sizeof(*g));
}

static enum fp_err parse(const char *data, size_t len, struct got *g, struct fp_diag *d)
{
        struct fp_feed_sink sink = {.ud = g, .advisory = on_adv, .reject = on_reject};
        fp_diag_clear(d);
        return fp_feed_parse_rpm_errata(data, len, "test", &sink, d);
}

static enum fp_err parse_str(const char *s, struct got *g, struct fp_diag *d)
{
        return parse(s, strlen(s), g, d);
}

static enum fp_err parse_file(const char *rel, struct got *g)
{
        char *buf = NULL;
        size_t len = 0;
        struct fp_diag d;
        enum fp_err err = fp_read_file(fp_test_shared_path(rel), 1 << 26, &buf, &len, &d);
        CHECK_MSG(err == FP_OK, "%s: %s", rel, d.msg);
        if (err != FP_OK)
                return err;
        err = parse(buf, len, g, &d);
        CHECK_MSG(err == FP_OK, "%s: %s: %s", rel, d.field, d.msg);
        if (getenv("FP_DUMP")) {
                for (size_t i = 0; i < g->n; i++)
                        printf("== %s [%s] sev=%d %lld %lld aliases=%zu refs=%zu aff=%zu%s",
                               g->advs[i].id, g->advs[i].summary ? g->advs[i].summary : "",
                               g->advs[i].severity, (long long)g->advs[i].published,
                               (long long)g->advs[i].modified, g->advs[i].naliases,
                               g->advs[i].nrefs, g->advs[i].naffected, g->advs[i].dump);
                printf("rejects: %s\n", g->rejects);
        }
        free(buf);
        return err;
}

static bool has_line(const struct adv *a, const char *line)
{
        char pat[512];
        snprintf(pat, sizeof(pat), "\n%s\n", line);
        return strstr(a->dump, pat) != NULL;
}

#define CHECK_LINE(a, line)                                                                        \
        CHECK_MSG(has_line((a), (line)), "%s: missing line \"%s\"", (a)->id, (line))
#define CHECK_NO_LINE(a, line)                                                                     \
        CHECK_MSG(!has_line((a), (line)), "%s: unexpected \"%s\"", (a)->id, (line))

/* Lines of a->dump that start with `prefix`. */
static size_t count_lines(const struct adv *a, const char *prefix)
{
        size_t n = 0, plen = strlen(prefix);
        for (const char *p = a->dump; (p = strchr(p, '\n')) != NULL; p++)
                n += strncmp(p + 1, prefix, plen) == 0;
        return n;
}

/* Parse one file holding one erratum; checks id, entry count, reject count. */
static void one(const char *rel, const char *id, size_t naffected, size_t naliases, struct got *g)
{
        memset(g, 0, sizeof(*g));
        parse_file(rel, g);
        CHECK_MSG(g->n == 1, "%s: %zu advisories, rejects: %s", rel, g->n, g->rejects);
        CHECK_INT_EQ(g->nrejects, 0);
        if (g->n != 1) {
                g->advs[0].dump = g->advs[0].dump ? g->advs[0].dump : strdup("");
                g->advs[0].id = g->advs[0].id ? g->advs[0].id : strdup("");
                g->n = 1;
                return;
        }
        CHECK_STR_EQ(g->advs[0].id, id);
        CHECK_MSG(g->advs[0].naffected == naffected, "%s: %zu affected, want %zu", id,
                  g->advs[0].naffected, naffected);
        CHECK_MSG(g->advs[0].naliases == naliases, "%s: %zu aliases, want %zu", id,
                  g->advs[0].naliases, naliases);
        CHECK_MSG(count_lines(&g->advs[0], "alias CVE-") == naliases, "%s: non-CVE alias", id);
}

static int64_t date(const char *s)
{
        int64_t t = 0;
        CHECK(fp_parse_date(s, &t));
        return t;
}

/* ---- the real files ----------------------------------------------------------------------- */

static void test_alma(void)
{
        struct got g;

        /* AlmaLinux 8 firefox: 4 arches, "1.el8_9.alma" release, 11 CVEs + bugzilla/rhsa refs */
        one("rpm-advisories/vuln-list/alma/8/2024/ALSA-2024:0012.json", "ALSA-2024:0012", 4, 11,
            &g);
        CHECK_LINE(&g.advs[0], "firefox x86_64 115.6.0-1.el8_9.alma - almalinux 8");
        CHECK_LINE(&g.advs[0], "firefox aarch64 115.6.0-1.el8_9.alma - almalinux 8");
        CHECK_LINE(&g.advs[0], "alias CVE-2023-6856");
        CHECK_LINE(&g.advs[0], "alias CVE-2023-6867");
        CHECK_NO_LINE(&g.advs[0], "alias RHSA-2024:0012");
        CHECK_INT_EQ(g.advs[0].severity, FP_SEV_HIGH);
        CHECK_STR_EQ(g.advs[0].summary, "Important: firefox security update");
        CHECK_INT_EQ(g.advs[0].published, 1704153600);
        CHECK_INT_EQ(g.advs[0].modified, 1704378564);
        CHECK_INT_EQ(g.advs[0].nrefs, 24);
        got_free(&g);

        /* AlmaLinux 10 firefox: the x86_64_v2 build keeps its arch */
        one("rpm-advisories/vuln-list/alma/10/2025/ALSA-2025:10073.json", "ALSA-2025:10073", 5, 4,
            &g);
        CHECK_LINE(&g.advs[0], "firefox x86_64_v2 128.12.0-1.el10_0 - almalinux 10");
        CHECK_LINE(&g.advs[0], "firefox x86_64 128.12.0-1.el10_0 - almalinux 10");
        CHECK_LINE(&g.advs[0], "firefox s390x 128.12.0-1.el10_0 - almalinux 10");
        got_free(&g);

        /* AlmaLinux 9 libtiff: 3 packages x 5 arches minus the ones not built */
        one("rpm-advisories/vuln-list/alma/9/2022/ALSA-2022:8194.json", "ALSA-2022:8194", 14, 10,
            &g);
        CHECK_LINE(&g.advs[0], "libtiff i686 4.4.0-2.el9 - almalinux 9");
        CHECK_LINE(&g.advs[0], "libtiff-tools x86_64 4.4.0-2.el9 - almalinux 9");
        CHECK_NO_LINE(&g.advs[0], "libtiff-tools i686 4.4.0-2.el9 - almalinux 9");
        CHECK_INT_EQ(g.advs[0].severity, FP_SEV_MEDIUM);
        got_free(&g);

        /* virt:rhel module stream: two module builds (el8.3 and el8.4) of every package; epoch 1 */
        one("rpm-advisories/vuln-list-update-golden/alma/8/2020/ALSA-2020:0279.json",
            "ALSA-2020:0279", 23, 1, &g);
        CHECK_LINE(&g.advs[0], "libiscsi x86_64 1.18.0-8.module_el8.4.0+2523+3300d70f virt:rhel "
                               "almalinux 8");
        CHECK_LINE(&g.advs[0], "libiscsi x86_64 1.18.0-8.module_el8.3.0+2048+e7a0a3ea virt:rhel "
                               "almalinux 8");
        CHECK_LINE(&g.advs[0], "sgabios-bin noarch 1:0.20170427git-3.module_el8.4.0+2523+3300d70f "
                               "virt:rhel almalinux 8");
        CHECK_LINE(&g.advs[0], "alias CVE-2019-11135");
        got_free(&g);

        one("rpm-advisories/vuln-list-update-golden/alma/8/2021/ALSA-2021:3152.json",
            "ALSA-2021:3152", 4, 1, &g);
        got_free(&g);
        one("rpm-advisories/vuln-list-update-golden/alma/8/2021/ALSA-2021:3253.json",
            "ALSA-2021:3253", 2, 1, &g);
        got_free(&g);
}

/* The errata API answer is a bare array of four records. */
static void test_alma_api(void)
{
        struct got g;
        memset(&g, 0, sizeof(g));
        parse_file("rpm-advisories/vuln-list-update-golden/alma/errata-api-response.json", &g);
        CHECK_INT_EQ(g.n, 4);
        CHECK_INT_EQ(g.nrejects, 0);
        if (g.n == 4) {
                CHECK_STR_EQ(g.advs[0].id, "ALSA-2021:3253");
                CHECK_STR_EQ(g.advs[1].id, "ALBA-2021:3240");
                CHECK_STR_EQ(g.advs[2].id, "ALSA-2021:3152");
                CHECK_STR_EQ(g.advs[3].id, "ALSA-2020:0279");
                /* severity "None" of a bug-fix erratum: unknown */
                CHECK_INT_EQ(g.advs[1].severity, FP_SEV_UNKNOWN);
                CHECK_INT_EQ(g.advs[1].naliases, 0);
                CHECK_INT_EQ(g.advs[3].naffected, 23);
        }
        got_free(&g);
}

static void test_rocky(void)
{
        struct got g;

        /* noarch java package listed four times in one collection: one entry */
        one("rpm-advisories/vuln-list/rocky/8.10/AppStream/x86_64/2020/RLSA-2020:4807.json",
            "RLSA-2020:4807", 1, 1, &g);
        CHECK_LINE(&g.advs[0], "prometheus-jmx-exporter noarch 0.12.0-6.el8 - rocky 8");
        CHECK_LINE(&g.advs[0], "alias CVE-2017-18640");
        CHECK_INT_EQ(g.advs[0].published, date("2020-11-03 12:37:53"));
        CHECK_INT_EQ(g.advs[0].modified, date("2023-02-02 14:10:11"));
        got_free(&g);

        /* mariadb:10.3 module stream; packages repeated in the collection and at the top level */
        one("rpm-advisories/vuln-list/rocky/8.10/AppStream/x86_64/2020/RLSA-2020:5500.json",
            "RLSA-2020:5500", 1, 17, &g);
        CHECK_LINE(&g.advs[0], "Judy x86_64 1.0.5-18.module+el8.4.0+427+adf35707 mariadb:10.3 "
                               "rocky 8");
        got_free(&g);

        /* kernel 9.4: bpftool has its own version but the kernel's release */
        one("rpm-advisories/vuln-list/rocky/9.4/BaseOS/x86_64/2024/RLSA-2024:4583.json",
            "RLSA-2024:4583", 17, 17, &g);
        CHECK_LINE(&g.advs[0], "bpftool x86_64 7.3.0-427.26.1.el9_4 - rocky 9");
        CHECK_LINE(&g.advs[0], "kernel x86_64 5.14.0-427.26.1.el9_4 - rocky 9");
        got_free(&g);

        one("rpm-advisories/vuln-list/rocky/9.4/BaseOS/x86_64/2024/RLSA-2024:2679.json",
            "RLSA-2024:2679", 2, 1, &g);
        CHECK_LINE(&g.advs[0], "python3-libxml2 x86_64 2.9.13-6.el9_4 - rocky 9");
        got_free(&g);
        one("rpm-advisories/vuln-list/rocky/9.4/BaseOS/x86_64/2024/RLSA-2024:3501.json",
            "RLSA-2024:3501", 1, 1, &g);
        CHECK_LINE(&g.advs[0], "libnghttp2 x86_64 1.43.0-5.el9_4.3 - rocky 9");
        got_free(&g);
        one("rpm-advisories/vuln-list/rocky/9.4/AppStream/x86_64/2024/RLSA-2024:4077.json",
            "RLSA-2024:4077", 4, 1, &g);
        CHECK_LINE(&g.advs[0], "python3.11 x86_64 3.11.7-1.el9_4.1 - rocky 9");
        CHECK_INT_EQ(g.advs[0].severity, FP_SEV_HIGH);
        got_free(&g);
}

static void test_oracle(void)
{
        struct got g;

        /* UEK for Oracle Linux 5 and 6: the same packages under two platforms */
        one("rpm-advisories/vuln-list-update-golden/oracle/ELSA-2016-3646.json", "ELSA-2016-3646",
            12, 7, &g);
        CHECK_LINE(&g.advs[0], "kernel-uek - 2.6.39-400.290.2.el5uek - oracle 5");
        CHECK_LINE(&g.advs[0], "kernel-uek - 2.6.39-400.290.2.el6uek - oracle 6");
        CHECK_INT_EQ(g.advs[0].severity, FP_SEV_HIGH);
        CHECK_INT_EQ(g.advs[0].published, date("2016-11-20"));
        got_free(&g);

        /* kernel-version-named ocfs2/oracleasm packages: the name holds "el5", the release too */
        one("rpm-advisories/vuln-list-update-golden/oracle/ELSA-2018-1196-1.json",
            "ELSA-2018-1196-1", 18, 1, &g);
        CHECK_LINE(&g.advs[0], "ocfs2-2.6.18-419.0.0.0.10.el5PAE - 1.4.11-1.el5 - oracle 5");
        CHECK_LINE(&g.advs[0], "kernel-headers - 2.6.18-419.0.0.0.10.el5 - oracle 5");
        got_free(&g);

        one("rpm-advisories/vuln-list-update-golden/oracle/ELSA-2019-4820.json", "ELSA-2019-4820",
            11, 7, &g);
        CHECK_LINE(&g.advs[0], "python-perf - 4.14.35-1902.6.6.el7uek - oracle 7");
        got_free(&g);
}

static void test_amazon(void)
{
        struct got g;

        /* Amazon Linux 2: epoch 1 */
        one("rpm-advisories/vuln-list-update-golden/amazon/ALAS2-2018-949.json", "ALAS2-2018-949",
            17, 15, &g);
        CHECK_LINE(&g.advs[0], "java-1.8.0-openjdk x86_64 1:1.8.0.161-0.b14.amzn2 - amazon 2");
        CHECK_LINE(&g.advs[0], "java-1.8.0-openjdk-javadoc noarch 1:1.8.0.161-0.b14.amzn2 - "
                               "amazon 2");
        CHECK_INT_EQ(g.advs[0].severity, FP_SEV_HIGH);
        CHECK_INT_EQ(g.advs[0].published, date("2018-02-07T17:47:00Z"));
        got_free(&g);

        /* Amazon Linux 2023: three arches */
        one("rpm-advisories/vuln-list-update-golden/amazon/ALAS2023-2023-001.json",
            "ALAS2023-2023-001", 61, 2, &g);
        CHECK_LINE(&g.advs[0], "rsyslog i686 8.2204.0-3.amzn2023.0.2 - amazon 2023");
        CHECK_LINE(&g.advs[0], "rsyslog-doc noarch 8.2204.0-3.amzn2023.0.2 - amazon 2023");
        got_free(&g);
}

/*
 * vuln-list's ALSA-2022:8194 and the OSV AlmaLinux rendering of it must name the same
 * (package, fixed EVR) pairs; OSV has no arch, so ours are reduced to distinct pairs. OSV's
 * fixed has no epoch when it is 0, ours neither, but compare with the RPM rules anyway.
 */
static void test_cross_osv(void)
{
        struct got g;
        json_error_t je;
        json_t *osv = json_load_file(
            fp_test_shared_path("rpm-advisories/osv-almalinux/almalinux9/ALSA-2022:8194.json"), 0,
            &je);
        CHECK_MSG(osv != NULL, "OSV: %s", je.text);
        if (!osv)
                return;
        one("rpm-advisories/vuln-list/alma/9/2022/ALSA-2022:8194.json", "ALSA-2022:8194", 14, 10,
            &g);
        size_t i, nosv = 0;
        json_t *aff;
        json_array_foreach(json_object_get(osv, "affected"), i, aff)
        {
                const char *name =
                    json_string_value(json_object_get(json_object_get(aff, "package"), "name"));
                const char *eco = json_string_value(
                    json_object_get(json_object_get(aff, "package"), "ecosystem"));
                json_t *ev =
                    json_object_get(json_array_get(json_object_get(aff, "ranges"), 0), "events");
                const char *fixed =
                    json_string_value(json_object_get(json_array_get(ev, 1), "fixed"));
                CHECK_STR_EQ(eco, "AlmaLinux:9");
                if (!name || !fixed)
                        continue;
                nosv++;
                /* some arch of ours has this package with an equal EVR */
                bool found = false;
                char pat[256];
                snprintf(pat, sizeof(pat), "\n%s ", name);
                for (const char *p = g.advs[0].dump; (p = strstr(p, pat)) != NULL; p++) {
                        char arch[64], evr[128];
                        if (sscanf(p + strlen(pat), "%63s %127s", arch, evr) == 2 &&
                            fp_rpm_vercmp(evr, fixed) == 0)
                                found = true;
                }
                CHECK_MSG(found, "OSV %s %s not in the vuln-list parse", name, fixed);
        }
        CHECK_INT_EQ(nosv, 3);
        /* and every package of ours is in OSV: 3 distinct names */
        const char *names[] = {"libtiff ", "libtiff-devel ", "libtiff-tools "};
        size_t total = 0;
        for (size_t k = 0; k < 3; k++) {
                char pre[64];
                snprintf(pre, sizeof(pre), "%s", names[k]);
                total += count_lines(&g.advs[0], pre);
        }
        CHECK_INT_EQ(total, 14);
        json_decref(osv);
        got_free(&g);
}

/* ---- epoch spelling ----------------------------------------------------------------------- */

static void test_epoch(void)
{
        /* the matcher compares with rpmvercmp rules: a missing epoch is 0 */
        CHECK_INT_EQ(fp_rpm_vercmp("0:1.2-3", "1.2-3"), 0);
        CHECK_INT_EQ(fp_rpm_vercmp("1:1.2-3", "1.2-3"), 1);
        struct got g;
        struct fp_diag d;
        memset(&g, 0, sizeof(g));
        CHECK_INT_EQ(
            parse_str("{\"id\":\"RLSA-2024:1\",\"packages\":["
                      "{\"name\":\"a\",\"epoch\":\"0\",\"version\":\"1\",\"release\":\"1.el9\","
                      "\"arch\":\"x86_64\"},"
                      "{\"name\":\"b\",\"epoch\":\"00\",\"version\":\"1\",\"release\":\"1.el9\","
                      "\"arch\":\"x86_64\"},"
                      "{\"name\":\"c\",\"epoch\":2,\"version\":\"1\",\"release\":\"1.el9\","
                      "\"arch\":\"x86_64\"},"
                      "{\"name\":\"d\",\"version\":\"1\",\"release\":\"1.el9\",\"arch\":\"src\"},"
                      "{\"name\":\"e\",\"version\":\"1\",\"release\":\"1\",\"arch\":\"x86_64\"}]}",
                      &g, &d),
            FP_OK);
        CHECK_INT_EQ(g.n, 1);
        if (g.n == 1) {
                CHECK_INT_EQ(g.advs[0].naffected, 4);
                CHECK_LINE(&g.advs[0], "a x86_64 1-1.el9 - rocky 9");
                CHECK_LINE(&g.advs[0], "b x86_64 1-1.el9 - rocky 9");
                CHECK_LINE(&g.advs[0], "c x86_64 2:1-1.el9 - rocky 9");
                /* no release tag: the majority of the erratum's packages */
                CHECK_LINE(&g.advs[0], "e x86_64 1-1 - rocky 9");
        }
        got_free(&g);
}

/* ---- broken input ------------------------------------------------------------------------- */

#define PKG(n, v, r)                                                                               \
        "{\"name\":\"" n "\",\"epoch\":\"0\",\"version\":\"" v "\",\"release\":\"" r               \
        "\",\"arch\":\"x86_64\"}"

static void test_rejects(void)
{
        struct got g;
        struct fp_diag d;

        /* the middle record has a package without a version: rejected, the others kept */
        memset(&g, 0, sizeof(g));
        CHECK_INT_EQ(
            parse_str("[{\"id\":\"RLSA-1:1\",\"packages\":[" PKG(
                          "a", "1", "1.el9") "]},"
                                             "{\"id\":\"RLSA-1:2\",\"packages\":[" PKG(
                                                 "a", "1",
                                                 "1.el9") ","
                                                          "{\"name\":\"b\",\"release\":\"1.el9\","
                                                          "\"arch\":\"x86_64\"}]},"
                                                          "{\"id\":\"RLSA-1:3\",\"packages\":[" PKG(
                                                              "a", "1", "1.el8") "]}]",
                      &g, &d),
            FP_OK);
        CHECK_INT_EQ(g.n, 2);
        CHECK_INT_EQ(g.nrejects, 1);
        CHECK_MSG(strstr(g.rejects, "RLSA-1:2|packages/1/version|") != NULL, "%s", g.rejects);
        got_free(&g);

        static const struct {
                const char *json, *want; /* want: "id|field|" prefix of the reject */
        } bad[] = {
            {"{\"packages\":[]}", "|"}, /* no id at all: not an erratum shape */
            {"{\"id\":\"\",\"packages\":[]}", "|id|"},
            {"{\"id\":\"XYZ-1\",\"packages\":[]}", "XYZ-1|id|"},
            {"{\"id\":\"RLSA-1\",\"packages\":[" PKG("", "1", "1.el9") "]}",
             "RLSA-1|packages/0/name|"},
            {"{\"id\":\"RLSA-1\",\"packages\":[" PKG("a", "1-2", "1.el9") "]}",
             "RLSA-1|packages/0/version|"},
            {"{\"id\":\"RLSA-1\",\"packages\":[" PKG("a", "1", "1:el9") "]}",
             "RLSA-1|packages/0/release|"},
            {"{\"id\":\"RLSA-1\",\"packages\":[{\"name\":\"a\",\"epoch\":\"x\",\"version\":\"1\","
             "\"release\":\"1.el9\"}]}",
             "RLSA-1|packages/0/epoch|"},
            {"{\"id\":\"RLSA-1\",\"packages\":[" PKG("a", "1", "1") "]}", "RLSA-1|packages/0|"},
            {"{\"id\":\"RLSA-1\",\"issued\":{\"date\":\"2024-13-01\"}}", "RLSA-1|issued/date|"},
            {"{\"updateinfo_id\":\"ALSA-1\",\"issued_date\":{\"$date\":\"yesterday\"},\"pkglist\":{"
             "}}",
             "ALSA-1|issued_date|"},
            {"{\"updateinfo_id\":\"ALSA-1\"}", "ALSA-1|pkglist|"},
            {"{\"id\":\"RLSA-1\",\"cveids\":[\"CVE-1\",3]}", "RLSA-1|cveids/1|"},
            {"{\"id\":\"RLSA-1\",\"packages\":\"x\"}", "RLSA-1|packages|"},
            {"{\"id\":\"RLSA-1\",\"collections\":[{\"module\":{\"name\":\"m\"},\"packages\":[]}]}",
             "RLSA-1|collections/0/module/stream|"},
            {"{\"Title\":\"no id here\"}", "|Title|"},
            {"[1]", "|"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&g, 0, sizeof(g));
                CHECK_INT_EQ(parse_str(bad[i].json, &g, &d), FP_OK);
                CHECK_MSG(g.n == 0 && g.nrejects == 1, "case %zu: %zu advisories, %zu rejects", i,
                          g.n, g.nrejects);
                CHECK_MSG(strncmp(g.rejects, bad[i].want, strlen(bad[i].want)) == 0,
                          "case %zu: reject \"%s\", want \"%s\"", i, g.rejects, bad[i].want);
                got_free(&g);
        }
}

static void test_feed_errors(void)
{
        struct got g;
        struct fp_diag d;
        static const char *const notjson[] = {
            "", "{\"id\":\"RLSA-1\",\"packages\":[", "nope", "\"a string\"", "42", "null", "true"};
        for (size_t i = 0; i < sizeof(notjson) / sizeof(notjson[0]); i++) {
                memset(&g, 0, sizeof(g));
                CHECK_MSG(parse_str(notjson[i], &g, &d) == FP_EPARSE, "case %zu", i);
                CHECK(d.msg[0] != '\0');
                CHECK_INT_EQ(g.n + g.nrejects, 0);
        }
        /* truncated real file */
        char *buf = NULL;
        size_t len = 0;
        CHECK_INT_EQ(fp_read_file(fp_test_shared_path("rpm-advisories/vuln-list-update-golden/alma/"
                                                      "errata-api-response.json"),
                                  1 << 24, &buf, &len, &d),
                     FP_OK);
        memset(&g, 0, sizeof(g));
        CHECK_INT_EQ(parse(buf, len / 2, &g, &d), FP_EPARSE);
        CHECK_INT_EQ(g.n, 0);
        free(buf);
        /* {"data": [...]} and an empty array */
        memset(&g, 0, sizeof(g));
        CHECK_INT_EQ(parse_str("{\"data\":[{\"id\":\"ALAS-2020-1\",\"packages\":[" PKG(
                                   "a", "1", "1.amzn1") "]}]}",
                               &g, &d),
                     FP_OK);
        CHECK_INT_EQ(g.n, 1);
        if (g.n == 1)
                CHECK_LINE(&g.advs[0], "a x86_64 1-1.amzn1 - amazon 1");
        got_free(&g);
        CHECK_INT_EQ(parse_str("[]", &g, &d), FP_OK);
        CHECK_INT_EQ(g.n + g.nrejects, 0);
        /* the receiver's error stops the parse */
        memset(&g, 0, sizeof(g));
        g.fail_with = FP_EIO;
        CHECK_INT_EQ(parse_str("[{\"id\":\"RLSA-1\"},{\"id\":\"RLSA-2\"}]", &g, &d), FP_EIO);
        /* nesting past FP_MAX_JSON_DEPTH */
        char deep[200];
        memset(deep, '[', 100);
        memset(deep + 100, ']', 100);
        CHECK_INT_EQ(parse(deep, sizeof(deep), &g, &d), FP_ELIMIT);
}

/* cveids of exactly FP_MAX_ALIASES distinct ids pass; one more is a reject. */
static void test_limits(void)
{
        for (int extra = 0; extra <= 1; extra++) {
                struct fp_buf b;
                struct got g;
                struct fp_diag d;
                fp_buf_init(&b, 1 << 26);
                fp_buf_addstr(&b, "{\"id\":\"RLSA-1\",\"packages\":[" PKG(
                                      "a", "1", "1.el9") "],\"cveids\":[");
                for (int i = 0; i < FP_MAX_ALIASES + extra; i++)
                        fp_buf_addf(&b, "%s\"CVE-2024-%d\"", i ? "," : "", 10000 + i);
                fp_buf_addstr(&b, "]}");
                memset(&g, 0, sizeof(g));
                CHECK_INT_EQ(parse(fp_buf_str(&b), b.len, &g, &d), FP_OK);
                CHECK_INT_EQ(g.n, extra ? 0 : 1);
                CHECK_INT_EQ(g.nrejects, extra ? 1 : 0);
                if (!extra && g.n == 1)
                        CHECK_INT_EQ(g.advs[0].naliases, FP_MAX_ALIASES);
                got_free(&g);
                fp_buf_release(&b);
        }
        /* an id of FP_MAX_ADVISORY_ID_LEN bytes passes, one more is a reject */
        for (int extra = 0; extra <= 1; extra++) {
                char id[FP_MAX_ADVISORY_ID_LEN + 2], json[FP_MAX_ADVISORY_ID_LEN + 64];
                struct got g;
                struct fp_diag d;
                memset(id, '1', sizeof(id));
                memcpy(id, "RLSA-", 5);
                id[FP_MAX_ADVISORY_ID_LEN + extra] = '\0';
                snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
                memset(&g, 0, sizeof(g));
                CHECK_INT_EQ(parse_str(json, &g, &d), FP_OK);
                CHECK_INT_EQ(g.n, extra ? 0 : 1);
                CHECK_INT_EQ(g.nrejects, extra ? 1 : 0);
                got_free(&g);
        }
}

int main(void)
{
        fp_test_shared_data();
        test_alma();
        test_alma_api();
        test_rocky();
        test_oracle();
        test_amazon();
        test_cross_osv();
        test_epoch();
        test_rejects();
        test_feed_errors();
        test_limits();
        return fp_test_finish();
}
