/*
 * Acceptance: findings for the real Debian 12 host inventory (shared/data/inventory) against the
 * real Debian tracker excerpts and DSA lists, case by case. The real tracker data for bookworm
 * only covers apparmor, so tests/data/vuln/tracker-bookworm-cases.json adds one tracker entry per
 * rule (backport, tilde, epoch, binNMU, release, no-dsa, ignored, postponed, undetermined) on
 * packages this host really has, at the versions it really has.
 */
#include "fleetpatch/reader.h"
#include "vtest.h"

static void import_file(struct fp_vulndb *db, const char *feed, const char *path,
                        enum fp_feed_kind kind)
{
        char *data;
        size_t len;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (fp_read_file(path, 64 << 20, &data, &len, &d) != FP_OK) {
                CHECK_MSG(0, "read %s: %s", path, d.msg);
                return;
        }
        struct fp_import *imp;
        CHECK_INT_EQ(fp_vulndb_import_begin(db, feed, kind, path, &imp, &d), FP_OK);
        enum fp_err err;
        if (kind == FP_FEED_DEBIAN_TRACKER)
                err = fp_feed_parse_debian_tracker(data, len, path, fp_import_sink(imp), &d);
        else
                err = fp_feed_parse_debian_list(data, len, path, kind, fp_import_sink(imp), &d);
        CHECK_MSG(err == FP_OK, "parse %s: %s", path, d.msg);
        CHECK_INT_EQ(fp_import_stats(imp)->rejected, 0);
        CHECK_INT_EQ(fp_import_commit(imp, NULL, NULL, NULL, &d), FP_OK);
        free(data);
}

static const struct fp_finding *find_src(const struct fp_host_findings *hf, const char *source,
                                         const char *vuln, size_t *count)
{
        const struct fp_finding *first = NULL;
        *count = 0;
        for (size_t i = 0; i < hf->count; i++) {
                if (strcmp(hf->items[i].pkg->source, source) == 0 &&
                    strcmp(hf->items[i].vuln, vuln) == 0) {
                        if (!first)
                                first = &hf->items[i];
                        (*count)++;
                }
        }
        return first;
}

static void expect(const struct fp_host_findings *hf, const char *source, const char *vuln,
                   int status, const char *fixed, const char *why)
{
        size_t n;
        const struct fp_finding *f = find_src(hf, source, vuln, &n);
        if (status < 0) {
                CHECK_MSG(f == NULL, "%s %s: expected no finding (%s), got %s", source, vuln, why,
                          f ? fp_finding_status_name(f->status) : "");
                return;
        }
        CHECK_MSG(f != NULL, "%s %s: expected %s (%s), got no finding", source, vuln,
                  fp_finding_status_name((enum fp_finding_status)status), why);
        if (!f)
                return;
        CHECK_MSG(f->status == (enum fp_finding_status)status, "%s %s: %s, expected %s (%s)",
                  source, vuln, fp_finding_status_name(f->status),
                  fp_finding_status_name((enum fp_finding_status)status), why);
        if (fixed)
                CHECK_STR_EQ(f->fixed, fixed);
        else
                CHECK(f->fixed == NULL);
}

int main(void)
{
        struct fp_vulndb *db = vt_db_open();
        import_file(db, "tracker", fp_test_shared_path("debian/tracker-json/osvdev-debian_security_tracker_mock.json"),
                    FP_FEED_DEBIAN_TRACKER);
        import_file(db, "tracker-vunnel", fp_test_shared_path("debian/tracker-json/vunnel-debian.json"),
                    FP_FEED_DEBIAN_TRACKER);
        import_file(db, "dsa", fp_test_shared_path("debian/dsa-list/DSA-list"), FP_FEED_DSA);
        import_file(db, "dsa-excerpt", fp_test_shared_path("debian/dsa-list/vunnel-DSA-excerpt"),
                    FP_FEED_DSA);
        import_file(db, "cases", fp_test_data_path("vuln/tracker-bookworm-cases.json"),
                    FP_FEED_DEBIAN_TRACKER);

        struct fp_inventory inv;
        struct fp_inventory_opts io = {
                .root = "/nonexistent-root",
                .status_file = fp_test_shared_path("inventory/debian12-dpkg-status"),
                .release = "debian:bookworm",
                .running_kernel = "",
        };
        struct fp_diag d;
        CHECK_INT_EQ(fp_inventory_load(&io, &inv, &d), FP_OK);
        CHECK_INT_EQ(inv.count, 823);
        struct fp_vindex *ix;
        CHECK_INT_EQ(fp_vindex_load(db, inv.distro, inv.release, &ix, &d), FP_OK);
        struct fp_host_findings hf;
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, &d), FP_OK);

        /* Real tracker data: apparmor 3.0.8-3 (installed as libapparmor1). */
        expect(&hf, "apparmor", "CVE-2014-1424", -1, NULL, "fixed_version 0: never affected");
        expect(&hf, "apparmor", "CVE-2016-1585", FP_FIND_UNFIXED, NULL, "open in bookworm, no fix");
        size_t n;
        const struct fp_finding *f = find_src(&hf, "apparmor", "CVE-2016-1585", &n);
        CHECK(f && f->severity == FP_SEV_NEGLIGIBLE); /* urgency "unimportant" */
        CHECK(f && !strcmp(f->pkg->name, "libapparmor1"));
        expect(&hf, "apparmor", "CVE-2017-6507", -1, NULL,
               "fixed in 2.11.0-3, older than the installed 3.0.8-3");
        /* The vunnel excerpt and the DSA lists: nothing of bookworm applies to this host
         * (sope is not installed; the DSA list stops at bullseye). */
        expect(&hf, "sope", "CVE-2025-53603", -1, NULL, "DSA-5970-1: sope not installed");
        expect(&hf, "xorg-server", "CVE-2023-1393", -1, NULL, "DSA-5380-1 is for bullseye");

        /* Project cases on real installed versions. */
        expect(&hf, "openssl", "CVE-2099-0001", FP_FIND_VULNERABLE, "3.0.20-1~deb12u1",
               "fix newer than installed");
        find_src(&hf, "openssl", "CVE-2099-0001", &n);
        CHECK_MSG(n >= 2, "every installed binary of source openssl (%zu)", n);
        expect(&hf, "glibc", "CVE-2099-0002", -1, NULL, "backported fix older than installed");
        expect(&hf, "libxml2", "CVE-2099-0003", -1, NULL, "fixed version installed");
        expect(&hf, "libxml2", "CVE-2099-0004", FP_FIND_VULNERABLE, "2.9.14+dfsg-1.3~deb12u7",
               "~deb12u7 newer than ~deb12u6");
        expect(&hf, "curl", "CVE-2099-0005", -1, NULL, "bullseye fix, bookworm never affected");
        expect(&hf, "tar", "CVE-2099-0006", FP_FIND_NODSA, NULL, "no-dsa minor issue");
        expect(&hf, "sqlite3", "CVE-2099-0007", FP_FIND_WONTFIX, NULL, "ignored");
        expect(&hf, "gnutls28", "CVE-2099-0008", FP_FIND_POSTPONED, NULL, "postponed");
        expect(&hf, "zlib", "CVE-2099-0009", FP_FIND_VULNERABLE, "1:1.2.13.dfsg-1+deb12u1",
               "epoch 1 fix newer");
        expect(&hf, "zlib", "CVE-2099-0010", -1, NULL, "fix without epoch is older");
        expect(&hf, "bash", "CVE-2099-0011", -1, NULL, "binNMU compared by source version");
        expect(&hf, "bash", "CVE-2099-0012", FP_FIND_VULNERABLE, "5.2.15-3", "binNMU, newer fix");
        expect(&hf, "expat", "CVE-2099-0013", FP_FIND_UNDETERMINED, NULL, "undetermined");
        f = find_src(&hf, "zlib", "CVE-2099-0009", &n);
        CHECK(f && f->severity == FP_SEV_HIGH); /* urgency "high**" */

        /* Nothing else: every finding is one of the cases above. */
        size_t expected = 0;
        for (size_t i = 0; i < hf.count; i++) {
                const char *v = hf.items[i].vuln;
                bool known = !strncmp(v, "CVE-2099-", 9) || !strcmp(v, "CVE-2016-1585");
                CHECK_MSG(known, "unexpected finding %s on %s", v, hf.items[i].pkg->name);
                expected += known;
        }
        CHECK(expected == hf.count);

        fp_host_findings_release(&hf);
        fp_vindex_free(ix);
        fp_inventory_release(&inv);
        vt_db_close(db);
        return fp_test_finish();
}
