/*
 * fp_feed_parse_csaf on the real Red Hat CSAF advisories of the shared data, a cross-check of
 * RHSA-2024:4546 against its OSV rendering, a VEX document in Red Hat's shape (every product
 * status and remediation, modules, source-only unfixed components), and broken input.
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

struct got {
        size_t n, nrejects, nskips;
        char *id, *summary, *vector;
        enum fp_severity severity;
        double cvss;
        int64_t published, modified;
        size_t naliases, nrefs, naffected;
        char *dump; /* "\nalias X\n...pkg arch fixed module distro release state source note\n" */
        char reject[512];
};

static enum fp_err on_adv(void *ud, const struct fp_vuln_advisory *a)
{
        struct got *g = ud;
        struct fp_buf b;
        fp_buf_init(&b, 1 << 26);
        g->n++;
        free(g->id);
        free(g->summary);
        free(g->vector);
        free(g->dump);
        g->id = strdup(a->id);
        g->summary = a->summary ? strdup(a->summary) : NULL;
        g->vector = a->cvss_vector ? strdup(a->cvss_vector) : NULL;
        g->severity = a->severity;
        g->cvss = a->cvss_score;
        g->published = a->published;
        g->modified = a->modified;
        g->naliases = a->naliases;
        g->nrefs = a->nrefs;
        g->naffected = a->naffected;
        CHECK_INT_EQ(a->kind, FP_FEED_CSAF);
        fp_buf_addc(&b, '\n');
        for (size_t i = 0; i < a->naliases; i++)
                fp_buf_addf(&b, "alias %s\n", a->aliases[i]);
        for (size_t i = 0; i < a->naffected; i++) {
                const struct fp_vuln_affected *f = &a->affected[i];
                fp_buf_addf(&b, "%s %s %s %s %s %s %s%s%s%s%s\n", f->package,
                            f->arch ? f->arch : "-", f->fixed ? f->fixed : "-",
                            f->module ? f->module : "-", f->distro, f->release,
                            fp_vuln_state_name(f->state), f->source ? " source" : "",
                            f->nversions ? " =" : "", f->nversions ? f->versions[0] : "",
                            f->note ? " note" : "");
                if (f->note)
                        fp_buf_addf(&b, "note %s\n", f->note);
        }
        g->dump = fp_buf_take(&b);
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct got *g = ud;
        g->nrejects++;
        snprintf(g->reject, sizeof(g->reject), "%s|%s|%s", id, why->field, why->msg);
}

static void on_skip(void *ud, const char *id, const char *reason)
{
        struct got *g = ud;
        (void)id;
        (void)reason;
        g->nskips++;
}

static void got_free(struct got *g)
{
        free(g->id);
        free(g->summary);
        free(g->vector);
        free(g->dump);
        memset(g, 0, sizeof(*g));
}

static enum fp_err parse(const char *data, size_t len, struct got *g, struct fp_diag *d)
{
        struct fp_feed_sink sink = {
            .ud = g, .advisory = on_adv, .reject = on_reject, .skip = on_skip};
        got_free(g);
        fp_diag_clear(d);
        return fp_feed_parse_csaf(data, len, "test", &sink, d);
}

static char *slurp(const char *rel, size_t *len)
{
        char *buf = NULL;
        struct fp_diag d;
        if (fp_read_file(fp_test_shared_path(rel), 1 << 26, &buf, len, &d) != FP_OK) {
                CHECK_MSG(0, "%s: %s", rel, d.msg);
                return NULL;
        }
        return buf;
}

static void parse_file(const char *rel, struct got *g)
{
        size_t len;
        struct fp_diag d;
        char *buf = slurp(rel, &len);
        if (!buf)
                return;
        enum fp_err err = parse(buf, len, g, &d);
        CHECK_MSG(err == FP_OK, "%s: %s", rel, d.msg);
        CHECK_MSG(g->n == 1 && g->nrejects == 0, "%s: %zu advisories, reject %s", rel, g->n,
                  g->reject);
        if (getenv("FP_DUMP"))
                printf("== %s [%s] sev=%d cvss=%.1f %s aliases=%zu refs=%zu aff=%zu%s", g->id,
                       g->summary, g->severity, g->cvss, g->vector, g->naliases, g->nrefs,
                       g->naffected, g->dump);
        free(buf);
}

static bool has_line(const struct got *g, const char *line)
{
        char pat[512];
        snprintf(pat, sizeof(pat), "\n%s\n", line);
        return g->dump && strstr(g->dump, pat) != NULL;
}

#define CHECK_LINE(g, line) CHECK_MSG(has_line((g), (line)), "%s: missing \"%s\"", (g)->id, (line))

static int64_t date(const char *s)
{
        int64_t t = 0;
        CHECK(fp_parse_date(s, &t));
        return t;
}

/* ---- the real advisories ------------------------------------------------------------------ */

static void test_rhsa_4546(void)
{
        struct got g = {0};
        parse_file("rpm-advisories/redhat-csaf/rhsa-2024_4546.json", &g);
        if (g.n != 1)
                return;
        CHECK_STR_EQ(g.id, "RHSA-2024:4546");
        CHECK_STR_EQ(g.summary, "Red Hat Security Advisory: git-lfs security update");
        CHECK_INT_EQ(g.severity, FP_SEV_HIGH);
        CHECK(g.cvss == 7.5);
        CHECK_STR_EQ(g.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
        CHECK_INT_EQ(g.published, date("2024-07-15T16:12:25+00:00"));
        CHECK_INT_EQ(g.modified, date("2024-07-16T13:38:03+00:00"));
        CHECK_INT_EQ(g.naliases, 1);
        CHECK_LINE(&g, "alias CVE-2023-45288");
        /* AUS/E4S/TUS 8.6 collapse to rhel 8; 3 packages x (x86_64, ppc64le); src not emitted */
        CHECK_INT_EQ(g.naffected, 6);
        CHECK_LINE(&g, "git-lfs x86_64 2.13.3-3.el8_6.1 - rhel 8 affected");
        CHECK_LINE(&g, "git-lfs ppc64le 2.13.3-3.el8_6.1 - rhel 8 affected");
        CHECK_LINE(&g, "git-lfs-debuginfo x86_64 2.13.3-3.el8_6.1 - rhel 8 affected");
        CHECK_LINE(&g, "git-lfs-debugsource ppc64le 2.13.3-3.el8_6.1 - rhel 8 affected");
        CHECK(strstr(g.dump, " src ") == NULL);
        got_free(&g);
}

/*
 * The shared copies of RHSA-2024:6163 and RHSA-2024:9371 were trimmed to their source RPM
 * (product tree: only "python3.9-0:...src"): a valid advisory without binary packages, so
 * zero affected entries, but id, CVE, severity and score are kept.
 */
static void test_rhsa_source_only(void)
{
        struct got g = {0};
        parse_file("rpm-advisories/redhat-csaf/rhsa-2024_6163.json", &g);
        CHECK_STR_EQ(g.id, "RHSA-2024:6163");
        CHECK_INT_EQ(g.naffected, 0);
        CHECK_INT_EQ(g.naliases, 1);
        CHECK_LINE(&g, "alias CVE-2024-8088");
        CHECK_INT_EQ(g.severity, FP_SEV_MEDIUM);
        CHECK(g.cvss == 5.3);
        CHECK_INT_EQ(g.modified, date("2026-03-26T18:50:03+00:00"));
        got_free(&g);
        parse_file("rpm-advisories/redhat-csaf/rhsa-2024_9371.json", &g);
        CHECK_STR_EQ(g.id, "RHSA-2024:9371");
        CHECK_INT_EQ(g.naffected, 0);
        CHECK_LINE(&g, "alias CVE-2024-8088");
        CHECK_INT_EQ(g.published, date("2024-11-12T09:38:54+00:00"));
        got_free(&g);
}

/*
 * OSV's RHSA-2024:4546 lists (package, fixed) per platform (rhel_aus/e4s/tus 8.6) without
 * arch: 3 packages x 3 platforms. Ours lists per (release, package, arch): the same 3 names,
 * each with the same EVR (OSV writes "0:2.13.3-3.el8_6.1", we leave the 0 epoch out: equal
 * under RPM rules). The one difference: OSV lists git-lfs-debugsource etc. for every platform
 * while the CSAF tree has ppc64le only in E4S; after collapsing to release 8 both say the same.
 */
static void test_cross_osv(void)
{
        struct got g = {0};
        json_error_t je;
        json_t *osv =
            json_load_file(fp_test_shared_path("osv/records/redhat/RHSA-2024_4546.json"), 0, &je);
        CHECK_MSG(osv != NULL, "OSV: %s", je.text);
        if (!osv)
                return;
        parse_file("rpm-advisories/redhat-csaf/rhsa-2024_4546.json", &g);
        size_t i, n = 0;
        json_t *aff;
        json_array_foreach(json_object_get(osv, "affected"), i, aff)
        {
                const char *name =
                    json_string_value(json_object_get(json_object_get(aff, "package"), "name"));
                json_t *ev =
                    json_object_get(json_array_get(json_object_get(aff, "ranges"), 0), "events");
                const char *fixed =
                    json_string_value(json_object_get(json_array_get(ev, 1), "fixed"));
                if (!name || !fixed)
                        continue;
                n++;
                bool found = false;
                char pat[256];
                snprintf(pat, sizeof(pat), "\n%s ", name);
                for (const char *p = g.dump; p && (p = strstr(p, pat)) != NULL; p++) {
                        char arch[64], evr[128];
                        if (sscanf(p + strlen(pat), "%63s %127s", arch, evr) == 2 &&
                            fp_rpm_vercmp(evr, fixed) == 0)
                                found = true;
                }
                CHECK_MSG(found, "OSV %s %s not in the CSAF parse", name, fixed);
        }
        CHECK_INT_EQ(n, 9);
        /* and each of our entries names one of OSV's packages */
        for (const char *p = g.dump; p && (p = strchr(p, '\n')) != NULL && p[1]; p++) {
                char name[128];
                if (strncmp(p + 1, "alias ", 6) == 0 || sscanf(p + 1, "%127s", name) != 1)
                        continue;
                bool in_osv = false;
                json_array_foreach(json_object_get(osv, "affected"), i, aff)
                {
                        const char *on = json_string_value(
                            json_object_get(json_object_get(aff, "package"), "name"));
                        in_osv = in_osv || (on && strcmp(on, name) == 0);
                }
                CHECK_MSG(in_osv, "%s not in OSV", name);
        }
        json_decref(osv);
        got_free(&g);
}

/* ---- a VEX document ----------------------------------------------------------------------- */

#define PV(name, id, purl)                                                                         \
        "{\"category\":\"product_version\",\"name\":\"" name "\",\"product\":{\"name\":\"" name    \
        "\",\"product_id\":\"" id "\",\"product_identification_helper\":{\"purl\":\"" purl "\"}}}"
#define PN(name, id, cpe)                                                                          \
        "{\"category\":\"product_name\",\"name\":\"" name "\",\"product\":{\"name\":\"" name       \
        "\",\"product_id\":\"" id "\",\"product_identification_helper\":{\"cpe\":\"" cpe "\"}}}"
#define REL(comp, plat)                                                                            \
        "{\"category\":\"default_component_of\",\"full_product_name\":{\"name\":\"x\","            \
        "\"product_id\":\"" plat ":" comp "\"},\"product_reference\":\"" comp                      \
        "\",\"relates_to_product_reference\":\"" plat "\"}"

static const char vex[] =
    "{\"document\":{\"category\":\"csaf_vex\",\"title\":\"kernel: a flaw\","
    "\"aggregate_severity\":{\"text\":\"Moderate\"},"
    "\"references\":[{\"category\":\"self\",\"url\":\"https://access.redhat.com/security/cve/"
    "CVE-2024-1\"}],"
    "\"tracking\":{\"id\":\"CVE-2024-1\",\"initial_release_date\":\"2024-01-02T00:00:00+00:00\","
    "\"current_release_date\":\"2024-03-04T00:00:00+00:00\"}},"
    "\"product_tree\":{\"branches\":[{\"category\":\"vendor\",\"name\":\"Red Hat\",\"branches\":["
    "{\"category\":\"product_family\",\"name\":\"RHEL\",\"branches\":[" PN("RHEL 9 BaseOS", "BaseOS-9.4.0.Z.EUS", "cpe:/o:redhat:rhel_eus:9.4::baseos") "," PN(
        "RHEL 8", "red_hat_enterprise_linux_8",
        "cpe:/o:redhat:enterprise_linux:8") "," PN("RHEL 7", "red_hat_enterprise_linux_7", "cpe:/o:redhat:enterprise_linux:7") "," PN("RHEL 6", "red_hat_enterprise_linux_6", "cpe:/o:redhat:enterprise_linux:6") "," PN("OpenShift 4",
                                                                                                                                                                                                                         "openshift_4", "cpe:/a:redhat:openshift:4") "," PN("Satellite",
                                                                                                                                                                                                                                                                            "sat-6.15-el8", "cpe:/a:redhat:satellite:6.15::el8") ","
                                                                                                                                                                                                                                                                                                                                 "{\"category\":\"product_name\",\"name\":\"no cpe\",\"product\":{\"name\":\"no cpe\",\"product_id\":\"nocpe\"}}"
                                                                                                                                                                                                                                                                                                                                 "]},"
                                                                                                                                                                                                                                                                                                                                 "{\"category\":\"architecture\",\"name\":\"x86_64\",\"branches\":[" PV(
                                                                                                                                                                                                                                                                                                                                     "kernel-1:5.14.0-427.13.1.el9_4.x86_64",
                                                                                                                                                                                                                                                                                                                                     "kernel-1:5.14.0-427.13.1.el9_4.x86_64",
                                                                                                                                                                                                                                                                                                                                     "pkg:rpm/redhat/kernel@5.14.0-427.13.1.el9_4?arch=x86_64&epoch=1") "," PV("kernel-0:5.14.0-427.13.1.el9_4.src", "kernel-0:5.14.0-427.13.1.el9_4.src", "pkg:rpm/redhat/kernel@5.14.0-427.13.1.el9_4?arch=src") "," PV("mariadb",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                          "mariadb-3:10.3.35-1.module+el8.6.0+15949+4ba4ec26.x86_64", "pkg:rpm/redhat/mariadb@10.3.35-1.module%2Bel8.6.0%2B15949%2B4ba4ec26?arch=x86_64&epoch=3&rpmmod=mariadb:10.3:8060020220913075833:ad008a3a") ","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "{\"category\":\"product_version\",\"name\":\"n\",\"product\":{\"name\":"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "\"perl:5.30:8030020200901105555:466ea64f:perl-IO-1:1.40-1.module+el8.3.0+1+2.noarch\","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "\"product_id\":\"perlio\"}}," PV("sat", "foreman-0:3.9.1-1.el8sat.noarch", "pkg:rpm/redhat/foreman@3.9.1-1.el8sat?arch=noarch") "," PV(
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                       "img", "ubi9", "pkg:oci/ubi9@sha256:abc?repository_url=registry.access.redhat.com") "," PV("nocpepkg",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                  "nocpepkg-0:1.0-1.el9.x86_64", "pkg:rpm/redhat/nocpepkg@1.0-1.el9?arch=x86_64") "]}," PV("kernel", "kernel", "pkg:rpm/redhat/kernel?arch=src") "," PV("kernel-rt", "kernel-rt", "pkg:rpm/redhat/kernel-rt?arch=src") "," PV("microcode_ctl",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                              "microcode_ctl",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                              "pkg:rpm/redhat/microcode_ctl?arch=src") "]}],"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                       "\"relationships\":[" REL(
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "kernel-1:5.14.0-427.13.1.el9_4.x86_64", "BaseOS-9.4.0.Z.EUS") "," REL("kernel-0:5.14.0-427.13.1.el9_4.src", "BaseOS-9.4.0.Z.EUS") "," REL("mariadb-3:10.3.35-1.module+el8.6.0+15949+4ba4ec26.x86_64", "red_hat_enterprise_linux_8") "," REL("perlio", "red_hat_enterprise_linux_8") "," REL("kernel",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                        "red_hat_enterprise_linux_8") "," REL("kernel-rt", "red_hat_enterprise_linux_8") "," REL("kernel", "red_hat_enterprise_linux_7") "," REL("kernel",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "red_hat_enterprise_linux_6") "," REL("microcode_ctl", "red_hat_enterprise_linux_6") "," REL("kernel",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                              "openshift_4") "," REL("foreman-0:3.9.1-1.el8sat.noarch",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                     "sat-6.15-el8") "," REL("ubi9",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                             "red_hat_enterprise_linux_8") "," REL("nocpepkg-0:1.0-1.el9.x86_64", "nocpe") "]},"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"vulnerabilities\":[{\"cve\":\"CVE-2024-1\","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"scores\":[{\"cvss_v3\":{\"baseScore\":5.5,\"vectorString\":\"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H\"}},"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "{\"cvss_v3\":{\"baseScore\":6.1,\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N\"}}],"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"product_status\":{"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"fixed\":[\"BaseOS-9.4.0.Z.EUS:kernel-1:5.14.0-427.13.1.el9_4.x86_64\","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"BaseOS-9.4.0.Z.EUS:kernel-0:5.14.0-427.13.1.el9_4.src\","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"red_hat_enterprise_linux_8:mariadb-3:10.3.35-1.module+el8.6.0+15949+4ba4ec26.x86_64\","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"red_hat_enterprise_linux_8:perlio\",\"sat-6.15-el8:foreman-0:3.9.1-1.el8sat.noarch\","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"red_hat_enterprise_linux_8:ubi9\",\"nocpe:nocpepkg-0:1.0-1.el9.x86_64\"],"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"known_affected\":[\"red_hat_enterprise_linux_8:kernel\",\"red_hat_enterprise_linux_8:kernel-rt\","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"red_hat_enterprise_linux_7:kernel\",\"openshift_4:kernel\"],"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"known_not_affected\":[\"red_hat_enterprise_linux_6:kernel\"],"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"under_investigation\":[\"red_hat_enterprise_linux_6:microcode_ctl\"]},"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"remediations\":["
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "{\"category\":\"vendor_fix\",\"details\":\"fixed\",\"product_ids\":[\"BaseOS-9.4.0.Z.EUS:kernel-1:5.14.0-427.13.1.el9_4.x86_64\"]},"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "{\"category\":\"no_fix_planned\",\"details\":\"Out of support scope\",\"product_ids\":[\"red_hat_enterprise_linux_7:kernel\"]},"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "{\"category\":\"none_available\",\"details\":\"Deferred\",\"product_ids\":[\"red_hat_enterprise_linux_8:kernel-rt\"]},"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "{\"category\":\"workaround\",\"details\":\"blacklist the module\",\"product_ids\":[\"red_hat_enterprise_linux_8:kernel\"]}]}]}";

static void test_vex(void)
{
        struct got g = {0};
        struct fp_diag d;
        CHECK_INT_EQ(parse(vex, sizeof(vex) - 1, &g, &d), FP_OK);
        CHECK_MSG(g.n == 1 && g.nrejects == 0, "reject %s", g.reject);
        if (getenv("FP_DUMP"))
                printf("== VEX %s%s\n", g.id, g.dump);
        if (g.n != 1)
                return;
        /* the VEX id is the CVE: not repeated as an alias */
        CHECK_STR_EQ(g.id, "CVE-2024-1");
        CHECK_INT_EQ(g.naliases, 0);
        CHECK(g.cvss == 6.1);
        CHECK_STR_EQ(g.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N");
        CHECK_INT_EQ(g.severity, FP_SEV_MEDIUM);
        CHECK_INT_EQ(g.nrefs, 1);
        /* fixed, epoch kept; rhel_eus:9.4 -> 9; the src build not emitted */
        CHECK_LINE(&g, "kernel x86_64 1:5.14.0-427.13.1.el9_4 - rhel 9 affected");
        /* module from rpmmod, %2B decoded */
        CHECK_LINE(&g, "mariadb x86_64 3:10.3.35-1.module+el8.6.0+15949+4ba4ec26 mariadb:10.3 "
                       "rhel 8 affected");
        /* module from the product name's prefix (no purl) */
        CHECK_LINE(&g, "perl-IO noarch 1:1.40-1.module+el8.3.0+1+2 perl:5.30 rhel 8 affected");
        /* layered product: the release from the CPE's "el8" */
        CHECK_LINE(&g, "foreman noarch 3.9.1-1.el8sat - rhel 8 affected");
        /* platform without a CPE: the release tag */
        CHECK_LINE(&g, "nocpepkg x86_64 1.0-1.el9 - rhel 9 affected");
        /* unfixed components: source package names */
        CHECK_LINE(&g, "kernel - - - rhel 8 affected source");
        CHECK_LINE(&g, "kernel-rt - - - rhel 8 affected source note");
        CHECK_LINE(&g, "note Deferred");
        CHECK_LINE(&g, "kernel - - - rhel 7 will-not-fix source note");
        CHECK_LINE(&g, "note Out of support scope");
        CHECK_LINE(&g, "kernel - - - rhel 6 not-affected source");
        CHECK_LINE(&g, "microcode_ctl - - - rhel 6 undetermined source");
        /* OpenShift's CPE has no elN and is not RHEL; the OCI image is not an RPM */
        CHECK(strstr(g.dump, "ubi9") == NULL);
        CHECK_INT_EQ(g.naffected, 10);
        got_free(&g);
}

/* ---- broken input ------------------------------------------------------------------------- */

static void test_broken(void)
{
        struct got g = {0};
        struct fp_diag d;
        size_t len;
        char *buf = slurp("rpm-advisories/redhat-csaf/rhsa-2024_4546.json", &len);
        if (!buf)
                return;
        /* truncated */
        CHECK_INT_EQ(parse(buf, len - 10, &g, &d), FP_EPARSE);
        CHECK_INT_EQ(g.n + g.nrejects, 0);
        CHECK(d.msg[0] != '\0');
        /* wrong top level */
        static const char *const tops[] = {"[]",    "[{\"document\":{}}]", "{\"a\":1}",
                                           "\"x\"", "{\"document\":[]}",   ""};
        for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
                CHECK_MSG(parse(tops[i], strlen(tops[i]), &g, &d) == FP_EPARSE, "case %zu", i);
                CHECK_INT_EQ(g.n + g.nrejects, 0);
        }
        /* a product id the tree does not define: the document is rejected with the path */
        char *bad = strdup(buf);
        char *p = strstr(bad, "\"fixed\"");
        p = p ? strstr(p, "AppStream-8.6.0.Z.AUS:git-lfs-0:2.13.3-3.el8_6.1.x86_64") : NULL;
        CHECK(p != NULL);
        if (p) {
                memcpy(p, "AppStream-0", 11);
                CHECK_INT_EQ(parse(bad, len, &g, &d), FP_OK);
                CHECK_INT_EQ(g.n, 0);
                CHECK_INT_EQ(g.nrejects, 1);
                const char *want = "RHSA-2024:4546|vulnerabilities/0/product_status/fixed/1|";
                CHECK_MSG(strncmp(g.reject, want, strlen(want)) == 0, "%s", g.reject);
        }
        free(bad);
        /* no tracking id; a bad date; a bad score */
        static const struct {
                const char *json, *want;
        } recs[] = {
            {"{\"document\":{\"tracking\":{}}}", "|document/tracking/id|"},
            {"{\"document\":{\"tracking\":{\"id\":\"RHSA-1\",\"initial_release_date\":\"x\"}}}",
             "RHSA-1|document/tracking/initial_release_date|"},
            {"{\"document\":{\"tracking\":{\"id\":\"RHSA-1\"}},\"vulnerabilities\":[{\"scores\":"
             "[{\"cvss_v3\":{\"baseScore\":11}}]}]}",
             "RHSA-1|vulnerabilities/0/scores/0/cvss_v3/baseScore|"},
            {"{\"document\":{\"tracking\":{\"id\":\"RHSA-1\"}},\"product_tree\":{\"branches\":"
             "[" PV("x", "x-0:1-1.el9.x86_64", "pkg:rpm/redhat/x@1?arch=x86_64") "]}}",
             "RHSA-1|product_tree/branches/0/purl|"},
            {"{\"document\":{\"tracking\":{\"id\":\"RHSA-1\"}},\"vulnerabilities\":[{\"product_"
             "status\":"
             "{\"fixed\":[7]}}]}",
             "RHSA-1|vulnerabilities/0/product_status/fixed/0|"},
        };
        for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
                CHECK_INT_EQ(parse(recs[i].json, strlen(recs[i].json), &g, &d), FP_OK);
                CHECK_MSG(g.n == 0 && g.nrejects == 1, "case %zu: %zu/%zu", i, g.n, g.nrejects);
                CHECK_MSG(strncmp(g.reject, recs[i].want, strlen(recs[i].want)) == 0,
                          "case %zu: \"%s\", want \"%s\"", i, g.reject, recs[i].want);
        }
        /* only non-RPM products: skipped, not an advisory */
        const char *oci = "{\"document\":{\"tracking\":{\"id\":\"CVE-2024-2\"}},\"product_tree\":"
                          "{\"branches\":[" PV("img", "ubi9", "pkg:oci/ubi9") "]}}";
        CHECK_INT_EQ(parse(oci, strlen(oci), &g, &d), FP_OK);
        CHECK_INT_EQ(g.n, 0);
        CHECK_INT_EQ(g.nskips, 1);
        got_free(&g);
        free(buf);
}

/* vulnerabilities: FP_MAX_ALIASES CVEs pass, one more is a reject. */
static void test_limits(void)
{
        for (int extra = 0; extra <= 1; extra++) {
                struct fp_buf b;
                struct got g = {0};
                struct fp_diag d;
                fp_buf_init(&b, 1 << 26);
                fp_buf_addstr(
                    &b, "{\"document\":{\"tracking\":{\"id\":\"RHSA-1\"}},\"vulnerabilities\":[");
                for (int i = 0; i < FP_MAX_ALIASES + extra; i++)
                        fp_buf_addf(&b, "%s{\"cve\":\"CVE-2024-%d\"}", i ? "," : "", 10000 + i);
                fp_buf_addstr(&b, "]}");
                CHECK_INT_EQ(parse(fp_buf_str(&b), b.len, &g, &d), FP_OK);
                CHECK_INT_EQ(g.n, extra ? 0 : 1);
                CHECK_INT_EQ(g.nrejects, extra ? 1 : 0);
                if (!extra)
                        CHECK_INT_EQ(g.naliases, FP_MAX_ALIASES);
                got_free(&g);
                fp_buf_release(&b);
        }
}

int main(void)
{
        fp_test_shared_data();
        test_rhsa_4546();
        test_rhsa_source_only();
        test_cross_osv();
        test_vex();
        test_broken();
        test_limits();
        return fp_test_finish();
}
