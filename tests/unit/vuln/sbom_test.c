/* CycloneDX SBOM: purls per the purl spec, one vulnerability per id, analysis states. */
#include "fleetpatch/sbom.h"
#include "vtest.h"

static void test_purls(void)
{
        struct fp_inventory inv;
        char out[512];
        vt_inv_init(&inv, "deb", "debian", "bookworm");
        struct fp_inv_pkg *p = vt_pkg(&inv, "git", "amd64", "1:2.39.5-0+deb12u3", "git", NULL);
        CHECK(fp_purl(&inv, p, out, sizeof(out)));
        CHECK_STR_EQ(out, "pkg:deb/debian/git@1%3A2.39.5-0%2Bdeb12u3?arch=amd64&distro=debian-bookworm");
        p = vt_pkg(&inv, "libssl3", "amd64", "3.0.19-1~deb12u2", "openssl", NULL);
        CHECK(fp_purl(&inv, p, out, sizeof(out)));
        CHECK_STR_EQ(out, "pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64&distro=debian-bookworm&upstream=openssl");
        CHECK(!fp_purl(&inv, p, out, 20)); /* too small: refused, not truncated */
        free(inv.pkgs);

        vt_inv_init(&inv, "rpm", "almalinux", "9");
        p = vt_pkg(&inv, "openssl-libs", "x86_64", "1:3.0.7-27.el9", "openssl", NULL);
        CHECK(fp_purl(&inv, p, out, sizeof(out)));
        CHECK_STR_EQ(out, "pkg:rpm/almalinux/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&distro=almalinux-9&source=openssl");
        free(inv.pkgs);
}

static void test_bom(void)
{
        struct fp_inventory inv;
        vt_inv_init(&inv, "deb", "debian", "bookworm");
        vt_pkg(&inv, "libssl3", "amd64", "3.0.19-1~deb12u2", "openssl", NULL);
        vt_pkg(&inv, "openssl", "amd64", "3.0.19-1~deb12u2", "openssl", NULL);
        struct fp_finding items[3] = {
                {.pkg = &inv.pkgs[0], .vuln = "CVE-2099-1", .advisories = "DSA-1-1 (dsa), CVE-2099-1 (t)",
                 .fixed = "3.0.20-1", .status = FP_FIND_VULNERABLE, .severity = FP_SEV_HIGH,
                 .cvss = 7.5, .cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                 .epss = -1, .score = 37.5, .kev = true, .kev_due = 86400},
                {.pkg = &inv.pkgs[1], .vuln = "CVE-2099-1", .advisories = "CVE-2099-1 (t)",
                 .status = FP_FIND_VULNERABLE, .severity = FP_SEV_HIGH, .cvss = 7.5, .epss = -1},
                {.pkg = &inv.pkgs[1], .vuln = "CVE-2099-2", .advisories = "CVE-2099-2 (t)",
                 .status = FP_FIND_NOT_RUNNING, .severity = FP_SEV_LOW, .cvss = -1, .epss = -1},
        };
        struct fp_host_findings hf = {.items = items, .count = 3};
        json_t *bom = fp_sbom_cyclonedx(&inv, &hf, "web-1", "0.1.0");
        CHECK(bom != NULL);
        CHECK_STR_EQ(json_string_value(json_object_get(bom, "specVersion")), "1.5");
        CHECK_INT_EQ(json_array_size(json_object_get(bom, "components")), 2);
        json_t *vulns = json_object_get(bom, "vulnerabilities");
        CHECK_INT_EQ(json_array_size(vulns), 2);
        json_t *v1 = json_array_get(vulns, 0);
        CHECK_STR_EQ(json_string_value(json_object_get(v1, "id")), "CVE-2099-1");
        CHECK_INT_EQ(json_array_size(json_object_get(v1, "affects")), 2);
        CHECK_INT_EQ(json_array_size(json_object_get(v1, "advisories")), 2);
        json_t *rating = json_array_get(json_object_get(v1, "ratings"), 0);
        CHECK_STR_EQ(json_string_value(json_object_get(rating, "method")), "CVSSv31");
        CHECK_STR_EQ(json_string_value(json_object_get(rating, "severity")), "high");
        json_t *an = json_object_get(v1, "analysis");
        CHECK_STR_EQ(json_string_value(json_object_get(an, "state")), "exploitable");
        CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(an, "response"), 0)), "update");
        json_t *v2 = json_array_get(vulns, 1);
        an = json_object_get(v2, "analysis");
        CHECK_STR_EQ(json_string_value(json_object_get(an, "state")), "not_affected");
        CHECK_STR_EQ(json_string_value(json_object_get(an, "justification")), "code_not_reachable");
        /* Every affects ref names a component's bom-ref. */
        json_t *comps = json_object_get(bom, "components");
        size_t i, j;
        json_t *v, *a;
        json_array_foreach (vulns, i, v) {
                json_array_foreach (json_object_get(v, "affects"), j, a) {
                        bool found = false;
                        size_t k;
                        json_t *c;
                        json_array_foreach (comps, k, c)
                                found |= json_equal(json_object_get(c, "bom-ref"), json_object_get(a, "ref"));
                        CHECK(found);
                }
        }
        json_decref(bom);
        free(inv.pkgs);
}

int main(void)
{
        test_purls();
        test_bom();
        return fp_test_finish();
}
