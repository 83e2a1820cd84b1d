/* Matching rules on hand-built advisories: every case is named after what it proves. */
#include "vtest.h"

#define AFF(rel, pkg, src, st, fix)                                                                \
        {.distro = "debian", .release = rel, .package = pkg, .source = src, .state = st,          \
         .fixed = fix}

static struct fp_vindex *load(struct fp_vulndb *db, const char *distro, const char *release)
{
        struct fp_vindex *ix = NULL;
        struct fp_diag d;
        CHECK_INT_EQ(fp_vindex_load(db, distro, release, &ix, &d), FP_OK);
        return ix;
}

static void test_debian_states(void)
{
        struct fp_vulndb *db = vt_db_open();
        const char *cve1[] = {"CVE-2024-1001"};
        struct fp_vuln_affected a_fixed[] = {AFF("bookworm", "foo", true, FP_VS_AFFECTED, "1.2-4"),
                                             AFF("bullseye", "foo", true, FP_VS_AFFECTED, "1.0-9")};
        struct fp_vuln_affected a_old_fix[] = {AFF("bookworm", "foo", true, FP_VS_AFFECTED, "1.1-1")};
        struct fp_vuln_affected a_never[] = {AFF("bookworm", "foo", true, FP_VS_NOT_AFFECTED, NULL)};
        struct fp_vuln_affected a_open[] = {AFF("bookworm", "foo", true, FP_VS_AFFECTED, NULL)};
        struct fp_vuln_affected a_nodsa[] = {AFF("bookworm", "foo", true, FP_VS_NODSA, NULL)};
        a_nodsa[0].note = "Minor issue";
        struct fp_vuln_affected a_wontfix[] = {AFF("bookworm", "foo", true, FP_VS_WONTFIX, NULL)};
        struct fp_vuln_affected a_bullseye[] = {AFF("bullseye", "foo", true, FP_VS_AFFECTED, "9.9-9")};
        struct fp_vuln_affected a_binnmu[] = {AFF("bookworm", "bar", true, FP_VS_AFFECTED, "2.0-1")};
        struct fp_vuln_affected a_binary[] = {AFF("bookworm", "libfoo1", false, FP_VS_AFFECTED, "1.2-5")};
        struct fp_vuln_affected a_epoch[] = {AFF("bookworm", "baz", true, FP_VS_AFFECTED, "1:0.9-1")};
        struct fp_vuln_advisory advs[] = {
                {.id = "CVE-2024-1001", .cvss_score = -1, .affected = a_fixed, .naffected = 2},
                {.id = "CVE-2024-1002", .cvss_score = -1, .affected = a_old_fix, .naffected = 1},
                {.id = "CVE-2024-1003", .cvss_score = -1, .affected = a_never, .naffected = 1},
                {.id = "CVE-2024-1004", .cvss_score = -1, .affected = a_open, .naffected = 1},
                {.id = "CVE-2024-1005", .cvss_score = -1, .affected = a_nodsa, .naffected = 1},
                {.id = "CVE-2024-1006", .cvss_score = -1, .affected = a_wontfix, .naffected = 1},
                {.id = "CVE-2024-1007", .cvss_score = -1, .affected = a_bullseye, .naffected = 1},
                {.id = "CVE-2024-1008", .cvss_score = -1, .affected = a_binnmu, .naffected = 1},
                {.id = "CVE-2024-1009", .cvss_score = -1, .affected = a_binary, .naffected = 1},
                {.id = "CVE-2024-1010", .cvss_score = -1, .affected = a_epoch, .naffected = 1},
                /* A DSA for the same CVE as the tracker entry: one finding, both named. */
                {.id = "DSA-9999-1", .kind = FP_FEED_DSA, .aliases = cve1, .naliases = 1,
                 .cvss_score = -1, .affected = a_fixed, .naffected = 1},
        };
        CHECK_INT_EQ(vt_import(db, "t", advs, sizeof(advs) / sizeof(advs[0]), NULL, 0, NULL), FP_OK);

        struct fp_inventory inv;
        vt_inv_init(&inv, "deb", "debian", "bookworm");
        vt_pkg(&inv, "libfoo1", "amd64", "1.2-3", "foo", "1.2-3");
        /* binNMU: the binary is 2.0-1+b1, its source 2.0-1 is the fixed version */
        vt_pkg(&inv, "bar", "amd64", "2.0-1+b1", "bar", "2.0-1");
        vt_pkg(&inv, "baz", "amd64", "0.9-1", "baz", "0.9-1"); /* no epoch: older than 1:0.9-1 */
        struct fp_vindex *ix = load(db, "debian", "bookworm");
        struct fp_host_findings hf;
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);

        const struct fp_finding *f = vt_find(&hf, "libfoo1", "CVE-2024-1001");
        CHECK_MSG(f != NULL, "source package fix newer than installed source version");
        if (f) {
                CHECK_INT_EQ(f->status, FP_FIND_VULNERABLE);
                CHECK_STR_EQ(f->fixed, "1.2-4"); /* the bookworm entry, not bullseye's */
                CHECK(strstr(f->advisories, "DSA-9999-1") && strstr(f->advisories, "CVE-2024-1001"));
        }
        CHECK_MSG(!vt_find(&hf, "libfoo1", "CVE-2024-1002"), "fix older than installed: backport");
        CHECK_MSG(!vt_find(&hf, "libfoo1", "CVE-2024-1003"), "not affected in this release");
        f = vt_find(&hf, "libfoo1", "CVE-2024-1004");
        CHECK_MSG(f && f->status == FP_FIND_UNFIXED && !f->fixed, "open without fix: unfixed");
        f = vt_find(&hf, "libfoo1", "CVE-2024-1005");
        CHECK_MSG(f && f->status == FP_FIND_NODSA && f->note && !strcmp(f->note, "Minor issue"),
                  "no-dsa keeps its reason");
        f = vt_find(&hf, "libfoo1", "CVE-2024-1006");
        CHECK_MSG(f && f->status == FP_FIND_WONTFIX, "ignored: will not fix");
        CHECK_MSG(!vt_find(&hf, "libfoo1", "CVE-2024-1007"), "bullseye fix does not apply");
        CHECK_MSG(!vt_find(&hf, "bar", "CVE-2024-1008"), "binNMU compared by source version");
        f = vt_find(&hf, "libfoo1", "CVE-2024-1009");
        CHECK_MSG(f && !strcmp(f->fixed, "1.2-5"), "binary-name advisory matches the binary");
        CHECK_MSG(vt_find(&hf, "baz", "CVE-2024-1010") != NULL, "epoch makes the fix newer");

        /* A second identical host evaluates no new tuple. */
        size_t tuples = fp_vindex_tuples(ix);
        struct fp_host_findings hf2;
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf2, NULL), FP_OK);
        CHECK_INT_EQ(fp_vindex_tuples(ix), tuples);
        CHECK_INT_EQ(hf2.count, hf.count);
        fp_host_findings_release(&hf2);
        fp_host_findings_release(&hf);

        /* A bullseye host sees only the bullseye entries. */
        struct fp_inventory old;
        vt_inv_init(&old, "deb", "debian", "bullseye");
        vt_pkg(&old, "libfoo1", "amd64", "1.0-8", "foo", "1.0-8");
        fp_vindex_free(ix);
        ix = load(db, NULL, NULL); /* every release in one index */
        CHECK_INT_EQ(fp_match_host(ix, &old, &hf, NULL), FP_OK);
        f = vt_find(&hf, "libfoo1", "CVE-2024-1001");
        CHECK_MSG(f && !strcmp(f->fixed, "1.0-9"), "bullseye fixed version");
        CHECK_MSG(vt_find(&hf, "libfoo1", "CVE-2024-1007") != NULL, "bullseye-only entry");
        CHECK_MSG(!vt_find(&hf, "libfoo1", "CVE-2024-1004"), "bookworm-only entry");
        fp_host_findings_release(&hf);
        fp_vindex_free(ix);
        free(old.pkgs);
        free(inv.pkgs);
        vt_db_close(db);
}

static void test_osv_ranges(void)
{
        struct fp_vulndb *db = vt_db_open();
        struct fp_vuln_range r1[] = {{"1.0", "1.5", NULL}, {"2.0", NULL, "2.3"}};
        struct fp_vuln_range r_open[] = {{"3.0", NULL, NULL}};
        const char *versions[] = {"0.9.1"};
        struct fp_vuln_affected a[] = {{.distro = "alpine", .release = "3.18", .package = "p",
                                        .source = true, .ranges = r1, .nranges = 2,
                                        .versions = versions, .nversions = 1}};
        struct fp_vuln_affected b[] = {{.distro = "alpine", .release = "3.18", .package = "p",
                                        .source = true, .ranges = r_open, .nranges = 1}};
        struct fp_vuln_advisory advs[] = {
                {.id = "CVE-2024-2001", .cvss_score = -1, .affected = a, .naffected = 1},
                {.id = "CVE-2024-2002", .cvss_score = -1, .affected = b, .naffected = 1},
        };
        CHECK_INT_EQ(vt_import(db, "o", advs, 2, NULL, 0, NULL), FP_OK);
        struct fp_vindex *ix = load(db, "alpine", "3.18");
        static const struct {
                const char *version;
                bool hit1, hit2;
                const char *fixed;
        } cases[] = {
                {"0.9", false, false, NULL},  {"0.9.1", true, false, NULL}, {"1.0", true, false, "1.5"},
                {"1.4.9", true, false, "1.5"}, {"1.5", false, false, NULL}, {"2.3", true, false, NULL},
                {"2.3.1", false, false, NULL}, {"3.1", false, true, NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct fp_inventory inv;
                vt_inv_init(&inv, "deb", "alpine", "3.18");
                inv.scheme = FP_SCHEME_APK;
                inv.family = "apk";
                vt_pkg(&inv, "p", "x86_64", cases[i].version, "p", cases[i].version);
                struct fp_host_findings hf;
                CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
                const struct fp_finding *f1 = vt_find(&hf, "p", "CVE-2024-2001");
                CHECK_MSG((f1 != NULL) == cases[i].hit1, "range case %s", cases[i].version);
                CHECK_MSG((vt_find(&hf, "p", "CVE-2024-2002") != NULL) == cases[i].hit2,
                          "open range case %s", cases[i].version);
                if (f1 && cases[i].fixed)
                        CHECK_STR_EQ(f1->fixed, cases[i].fixed);
                fp_host_findings_release(&hf);
                free(inv.pkgs);
        }
        fp_vindex_free(ix);
        vt_db_close(db);
}

static void test_rpm_arch_module_epoch(void)
{
        struct fp_vulndb *db = vt_db_open();
        struct fp_vuln_affected a[] = {
                {.distro = "almalinux", .release = "8", .package = "openssl-libs", .arch = "x86_64",
                 .fixed = "1:1.1.1k-12.el8_9"},
                {.distro = "almalinux", .release = "8", .package = "openssl-libs", .arch = "i686",
                 .fixed = "1:1.1.1k-99.el8_9"},
                {.distro = "almalinux", .release = "8", .package = "mariadb", .arch = "x86_64",
                 .module = "mariadb:10.3", .fixed = "3:10.3.39-1.module+el8.8.0+1452+2a7eab68"},
                /* OSV records name no module: the fixed build's release says it */
                {.distro = "almalinux", .release = "8", .package = "nodejs", .arch = "x86_64",
                 .fixed = "1:18.20.2-1.module+el8.9.0+39+2a5b6a1d"},
        };
        struct fp_vuln_advisory adv = {.id = "ALSA-2024:0001", .cvss_score = -1, .affected = a,
                                       .naffected = 4};
        CHECK_INT_EQ(vt_import(db, "e", &adv, 1, NULL, 0, NULL), FP_OK);
        struct fp_vindex *ix = load(db, "almalinux", "8");
        struct fp_inventory inv;
        vt_inv_init(&inv, "rpm", "almalinux", "8");
        vt_pkg(&inv, "openssl-libs", "x86_64", "1:1.1.1k-9.el8_7", "openssl", NULL);
        vt_pkg(&inv, "mariadb", "x86_64", "3:10.3.28-1.module+el8.3.0+2177+7adc332a", "mariadb", NULL);
        vt_pkg(&inv, "nodejs", "x86_64", "1:18.19.0-1.module+el8.9.0+36+0f5a2b0e", "nodejs", NULL);
        struct fp_host_findings hf;
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
        const struct fp_finding *f = vt_find(&hf, "openssl-libs", "ALSA-2024:0001");
        CHECK_MSG(f && !strcmp(f->fixed, "1:1.1.1k-12.el8_9"), "the x86_64 entry, not i686's");
        CHECK_MSG(vt_find(&hf, "mariadb", "ALSA-2024:0001") != NULL, "modular fix, modular build");
        CHECK_MSG(vt_find(&hf, "nodejs", "ALSA-2024:0001") != NULL, "module seen in the fixed release");
        fp_host_findings_release(&hf);
        free(inv.pkgs);

        /* A non-modular mariadb build is not fixed by a module erratum. */
        vt_inv_init(&inv, "rpm", "almalinux", "8");
        vt_pkg(&inv, "mariadb", "x86_64", "3:10.3.28-1.el8", "mariadb", NULL);
        vt_pkg(&inv, "nodejs", "x86_64", "1:10.24.0-1.el8", "nodejs", NULL);
        vt_pkg(&inv, "openssl-libs", "x86_64", "1:1.1.1k-12.el8_9", "openssl", NULL);
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
        CHECK_INT_EQ(hf.count, 0);
        fp_host_findings_release(&hf);
        free(inv.pkgs);
        fp_vindex_free(ix);
        vt_db_close(db);
}

static void test_kernels(void)
{
        struct fp_vulndb *db = vt_db_open();
        struct fp_vuln_affected a1[] = {AFF("bookworm", "linux", true, FP_VS_AFFECTED, "6.1.76-1")};
        struct fp_vuln_affected a2[] = {AFF("bookworm", "linux", true, FP_VS_AFFECTED, "6.1.99-1")};
        struct fp_vuln_advisory advs[] = {
                {.id = "CVE-2024-3001", .cvss_score = 7.8, .affected = a1, .naffected = 1},
                {.id = "CVE-2024-3002", .cvss_score = 7.8, .affected = a2, .naffected = 1},
        };
        CHECK_INT_EQ(vt_import(db, "k", advs, 2, NULL, 0, NULL), FP_OK);
        struct fp_vindex *ix = load(db, "debian", "bookworm");
        struct fp_inventory inv;
        vt_inv_init(&inv, "deb", "debian", "bookworm");
        struct fp_inv_pkg *old = vt_pkg(&inv, "linux-image-6.1.0-13-amd64", "amd64", "6.1.55-1",
                                        "linux", "6.1.55-1");
        old->kernel = true;
        old->kernel_release = "6.1.0-13-amd64";
        struct fp_inv_pkg *new = vt_pkg(&inv, "linux-image-6.1.0-18-amd64", "amd64", "6.1.76-1",
                                        "linux", "6.1.76-1");
        new->kernel = true;
        new->kernel_release = "6.1.0-18-amd64";

        /* Running the old kernel: CVE-1 is fixed in the installed new one -> pending reboot;
         * CVE-2 affects both -> vulnerable on the running one; the new kernel is not running. */
        inv.running_kernel = "6.1.0-13-amd64";
        struct fp_host_findings hf;
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
        const struct fp_finding *f = vt_find(&hf, "linux-image-6.1.0-13-amd64", "CVE-2024-3001");
        CHECK_MSG(f && f->status == FP_FIND_PENDING_REBOOT, "fix installed, not booted");
        f = vt_find(&hf, "linux-image-6.1.0-13-amd64", "CVE-2024-3002");
        CHECK_MSG(f && f->status == FP_FIND_VULNERABLE, "running kernel still affected");
        f = vt_find(&hf, "linux-image-6.1.0-18-amd64", "CVE-2024-3002");
        CHECK_MSG(f && f->status == FP_FIND_NOT_RUNNING && !fp_finding_exposed(f->status),
                  "installed, not running: not counted");
        fp_host_findings_release(&hf);

        /* Running the new kernel: the old kernel's findings are not exposure. */
        inv.running_kernel = "6.1.0-18-amd64";
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
        f = vt_find(&hf, "linux-image-6.1.0-13-amd64", "CVE-2024-3001");
        CHECK_MSG(f && f->status == FP_FIND_NOT_RUNNING, "old kernel not running");
        f = vt_find(&hf, "linux-image-6.1.0-18-amd64", "CVE-2024-3002");
        CHECK_MSG(f && f->status == FP_FIND_VULNERABLE, "new running kernel affected");
        CHECK_MSG(!vt_find(&hf, "linux-image-6.1.0-18-amd64", "CVE-2024-3001"), "new kernel fixed");
        fp_host_findings_release(&hf);

        /* An image (no running kernel): the newest installed kernel is the one that boots. */
        inv.running_kernel = NULL;
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
        f = vt_find(&hf, "linux-image-6.1.0-13-amd64", "CVE-2024-3002");
        CHECK_MSG(f && f->status == FP_FIND_NOT_RUNNING, "older kernel in an image");
        f = vt_find(&hf, "linux-image-6.1.0-18-amd64", "CVE-2024-3002");
        CHECK_MSG(f && f->status == FP_FIND_VULNERABLE, "newest kernel in an image counts");
        CHECK_INT_EQ(hf.note_count, 1);
        fp_host_findings_release(&hf);

        /* A running kernel from no installed package: installed kernels are not counted. */
        inv.running_kernel = "6.18.44-custom";
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
        for (size_t i = 0; i < hf.count; i++)
                CHECK_INT_EQ(hf.items[i].status, FP_FIND_NOT_RUNNING);
        CHECK(hf.note_count == 1 && strstr(hf.notes[0], "6.18.44-custom"));
        fp_host_findings_release(&hf);
        free(inv.pkgs);
        fp_vindex_free(ix);
        vt_db_close(db);
}

/* Two findings are the same answer (same package, same strings and fields). */
static bool same_finding(const struct fp_finding *a, const struct fp_finding *b)
{
        return a->pkg == b->pkg && strcmp(a->vuln, b->vuln) == 0 &&
               strcmp(a->advisories, b->advisories) == 0 &&
               (a->fixed && b->fixed ? strcmp(a->fixed, b->fixed) == 0 : a->fixed == b->fixed) &&
               a->status == b->status && a->severity == b->severity && a->cvss == b->cvss &&
               a->published == b->published && a->kev == b->kev &&
               (a->note && b->note ? strcmp(a->note, b->note) == 0 : a->note == b->note);
}

static bool same_findings(const struct fp_host_findings *a, const struct fp_host_findings *b)
{
        if (a->count != b->count)
                return false;
        for (size_t i = 0; i < a->count; i++)
                if (!same_finding(&a->items[i], &b->items[i]))
                        return false;
        return true;
}

/*
 * Hosts report versions of their choosing: the tuple cache stays within its limit (dropped
 * whole) and the findings are those of an unbounded cache, also for findings made before a
 * drop and read after it.
 */
static void test_tuple_limit(void)
{
        enum { HOSTS = 300, LIMIT = 8 };
        struct fp_vulndb *db = vt_db_open();
        const char *cve1[] = {"CVE-2024-4001"};
        struct fp_vuln_affected a1[] = {AFF("bookworm", "foo", true, FP_VS_AFFECTED, "1.20-1")};
        struct fp_vuln_affected a2[] = {AFF("bookworm", "foo", true, FP_VS_AFFECTED, "1.40-1")};
        struct fp_vuln_affected a3[] = {AFF("bookworm", "foo", true, FP_VS_AFFECTED, NULL)};
        struct fp_vuln_affected a4[] = {
            AFF("bookworm", "libfoo1", false, FP_VS_AFFECTED, "1.30-1")};
        struct fp_vuln_advisory advs[] = {
                {.id = "CVE-2024-4001", .cvss_score = 7.5, .affected = a1, .naffected = 1},
                {.id = "CVE-2024-4002", .cvss_score = -1, .affected = a2, .naffected = 1},
                {.id = "CVE-2024-4003", .cvss_score = 4.0, .affected = a3, .naffected = 1},
                {.id = "CVE-2024-4004", .cvss_score = -1, .affected = a4, .naffected = 1},
                {.id = "DSA-9998-1", .kind = FP_FEED_DSA, .aliases = cve1, .naliases = 1,
                 .cvss_score = -1, .affected = a1, .naffected = 1},
        };
        CHECK_INT_EQ(vt_import(db, "t", advs, sizeof(advs) / sizeof(advs[0]), NULL, 0, NULL),
                     FP_OK);
        struct fp_vindex *lim = load(db, "debian", "bookworm");
        struct fp_vindex *bytes = load(db, "debian", "bookworm");
        struct fp_vindex *unshared = load(db, "debian", "bookworm");
        struct fp_vindex *ref = load(db, "debian", "bookworm");
        fp_vindex_set_tuple_limit(lim, LIMIT, SIZE_MAX);
        fp_vindex_set_tuple_limit(bytes, SIZE_MAX, 1); /* past the bytes at every package */
        fp_vindex_share_tuples(unshared, false);
        fp_vindex_set_tuple_limit(ref, SIZE_MAX, SIZE_MAX);

        static struct fp_inventory inv[HOSTS];
        static struct fp_host_findings hl[HOSTS];
        size_t max_lim = 0, max_bytes = 0, findings = 0, merged = 0, equal = 0;
        for (size_t h = 0; h < HOSTS; h++) {
                vt_inv_init(&inv[h], "deb", "debian", "bookworm");
                char v1[32], v2[32];
                snprintf(v1, sizeof(v1), "1.%zu-%zu", h % 50, h); /* distinct for every host */
                snprintf(v2, sizeof(v2), "1.%zu-%zu", (h * 7) % 50, h + 1000);
                const char *s1 = fp_arena_strdup(&inv[h].arena, v1);
                const char *s2 = fp_arena_strdup(&inv[h].arena, v2);
                vt_pkg(&inv[h], "libfoo1", "amd64", s1, "foo", s1);
                vt_pkg(&inv[h], "foo-utils", "amd64", s2, "foo", s2);
                vt_pkg(&inv[h], "bar", "amd64", s1, "bar", s1); /* in no advisory */
                struct fp_host_findings hb, hu, hr;
                CHECK_INT_EQ(fp_match_host(lim, &inv[h], &hl[h], NULL), FP_OK);
                CHECK_INT_EQ(fp_match_host(bytes, &inv[h], &hb, NULL), FP_OK);
                CHECK_INT_EQ(fp_match_host(unshared, &inv[h], &hu, NULL), FP_OK);
                CHECK_INT_EQ(fp_match_host(ref, &inv[h], &hr, NULL), FP_OK);
                if (fp_vindex_tuples(lim) > max_lim)
                        max_lim = fp_vindex_tuples(lim);
                if (fp_vindex_tuples(bytes) > max_bytes)
                        max_bytes = fp_vindex_tuples(bytes);
                equal += same_findings(&hl[h], &hr) && same_findings(&hb, &hr) &&
                         same_findings(&hu, &hr);
                findings += hr.count;
                merged += vt_find(&hr, "libfoo1", "CVE-2024-4004") != NULL;
                fp_host_findings_release(&hb);
                fp_host_findings_release(&hu);
                fp_host_findings_release(&hr);
        }
        CHECK_INT_EQ(equal, HOSTS);
        CHECK_MSG(max_lim <= LIMIT, "tuple cache %zu past its limit %d", max_lim, LIMIT);
        CHECK_MSG(max_bytes <= 2, "byte limit: only the last package's tuples (%zu)", max_bytes);
        CHECK_MSG(fp_vindex_tuples(ref) > 10 * LIMIT, "the hosts have many distinct tuples (%zu)",
                  fp_vindex_tuples(ref));
        CHECK_MSG(findings > 2 * HOSTS && merged > 0, "findings %zu, merged src+bin %zu", findings,
                  merged);

        /* Findings of the first hosts were made before many drops: still valid and right. */
        equal = 0;
        for (size_t h = 0; h < HOSTS; h++) {
                struct fp_host_findings hr;
                CHECK_INT_EQ(fp_match_host(ref, &inv[h], &hr, NULL), FP_OK);
                equal += same_findings(&hl[h], &hr);
                fp_host_findings_release(&hr);
                fp_host_findings_release(&hl[h]);
                free(inv[h].pkgs);
                fp_arena_release(&inv[h].arena);
        }
        CHECK_INT_EQ(equal, HOSTS);
        fp_vindex_free(lim);
        fp_vindex_free(bytes);
        fp_vindex_free(unshared);
        fp_vindex_free(ref);
        vt_db_close(db);
}

int main(void)
{
        test_debian_states();
        test_osv_ranges();
        test_rpm_arch_module_epoch();
        test_kernels();
        test_tuple_limit();
        return fp_test_finish();
}
