/*
 * Acceptance: the distributions' OSV records give the same answer as their native feeds for
 * the same advisory and package. Pairs from shared/data: DSA-3029-1 (OSV Debian:7 vs the DSA
 * list), ALSA-2022:8194 (OSV AlmaLinux:9 vs the AlmaLinux errata) and RHSA-2024:4546 (OSV Red
 * Hat vs the CSAF document). For every package either side names, a host with an older build
 * and a host with the fixed build must get the same findings with the same fixed version.
 */
#include "fleetpatch/feeds.h"
#include "fleetpatch/version.h"
#include "vtest.h"

struct entry {
        char distro[32], release[16], name[128], arch[32], fixed[256];
        bool source;
};
struct side {
        struct entry e[2048];
        size_t n;
        const char *id; /* only this advisory's entries */
};

static enum fp_err collect(void *ud, const char *feed, const struct fp_vuln_advisory *adv,
                           const struct fp_vuln_affected *a)
{
        struct side *s = ud;
        (void)feed;
        if (strcmp(adv->id, s->id) != 0 || s->n == sizeof(s->e) / sizeof(s->e[0]) || !a->fixed ||
            (a->arch && !strcmp(a->arch, "src")))
                return FP_OK;
        struct entry *e = &s->e[s->n++];
        snprintf(e->distro, sizeof(e->distro), "%s", a->distro);
        snprintf(e->release, sizeof(e->release), "%s", a->release);
        snprintf(e->name, sizeof(e->name), "%s", a->package);
        snprintf(e->arch, sizeof(e->arch), "%s", a->arch ? a->arch : "");
        snprintf(e->fixed, sizeof(e->fixed), "%s", a->fixed);
        e->source = a->source;
        return FP_OK;
}

static struct fp_vulndb *load_one(const char *rel, const char *id, struct side *s)
{
        struct fp_vulndb *db = vt_db_open();
        struct fp_feed_import_opts o = {.location = fp_test_shared_path(rel), .name = "f"};
        struct fp_feed_import_result r;
        struct fp_diag d;
        CHECK_MSG(fp_feed_import(db, &o, &r, &d) == FP_OK && r.stats.added >= 1, "%s: %s", rel,
                  d.msg);
        s->n = 0;
        s->id = id;
        CHECK_INT_EQ(fp_vulndb_each_affected(db, NULL, NULL, collect, s, NULL), FP_OK);
        CHECK_MSG(s->n > 0, "%s: no affected entries", rel);
        return db;
}

/* The host's answer for one package at one version: "vuln=fixed;..." in out. */
static void answer(struct fp_vulndb *db, const char *id, const struct entry *e,
                   const char *version, char *out, size_t outsz)
{
        struct fp_inventory inv;
        vt_inv_init(&inv, e->source ? "deb" : "rpm", e->distro, e->release);
        vt_pkg(&inv, e->name, e->arch[0] ? e->arch : "x86_64", version, e->name, NULL);
        struct fp_vindex *ix;
        struct fp_host_findings hf;
        out[0] = '\0';
        if (fp_vindex_load(db, e->distro, e->release, &ix, NULL) == FP_OK) {
                if (fp_match_host(ix, &inv, &hf, NULL) == FP_OK) {
                        for (size_t i = 0; i < hf.count; i++) {
                                if (!strstr(hf.items[i].advisories, id))
                                        continue; /* other advisories of the native feed */
                                size_t l = strlen(out);
                                const char *fx = hf.items[i].fixed ? hf.items[i].fixed : "-";
                                /* "0:1.2-3" and "1.2-3" are the same EVR (labelCompare: a
                                 * missing epoch is 0); Red Hat's OSV spells the zero epoch,
                                 * its CSAF product ids do too but the errata drop it. */
                                if (!e->source && !strncmp(fx, "0:", 2))
                                        fx += 2;
                                snprintf(out + l, outsz - l, "%s=%s;", hf.items[i].vuln, fx);
                        }
                        fp_host_findings_release(&hf);
                }
                fp_vindex_free(ix);
        }
        free(inv.pkgs);
}

static void older(const struct entry *e, char *out, size_t outsz)
{
        /* a build older than the fix in either scheme: keep epoch and release tag */
        const char *colon = strchr(e->fixed, ':'), *dash = strrchr(e->fixed, '-');
        int elen = colon ? (int)(colon - e->fixed + 1) : 0;
        snprintf(out, outsz, "%.*s0.0.1%s", elen, e->fixed, dash ? dash : "-1");
}

static void compare(const char *osv, const char *native, const char *id)
{
        static struct side a, b;
        const char *what = id;
        struct fp_vulndb *da = load_one(osv, id, &a), *dn = load_one(native, id, &b);
        size_t compared = 0;
        for (int side = 0; side < 2; side++) {
                const struct side *s = side ? &b : &a;
                for (size_t i = 0; i < s->n; i++) {
                        const struct entry *e = &s->e[i];
                        char v[2][300], ra[4096], rb[4096];
                        older(e, v[0], sizeof(v[0]));
                        snprintf(v[1], sizeof(v[1]), "%s", e->fixed);
                        for (int k = 0; k < 2; k++) {
                                answer(da, id, e, v[k], ra, sizeof(ra));
                                answer(dn, id, e, v[k], rb, sizeof(rb));
                                CHECK_MSG(!strcmp(ra, rb), "%s: %s %s.%s %s: OSV '%s' vs native '%s'",
                                          what, e->release, e->name, e->arch, v[k], ra, rb);
                                if (k == 0)
                                        CHECK_MSG(ra[0] != '\0', "%s: %s %s older build not found",
                                                  what, e->name, v[k]);
                                compared++;
                        }
                }
        }
        CHECK(compared > 0);
        vt_db_close(da);
        vt_db_close(dn);
}

int main(void)
{
        /* Debian: the OSV record names the source package nginx for Debian:7 (wheezy), the
         * DSA list the same source, release and fixed version. */
        compare("osv/records/debian/DSA-3029-1.json", "debian/dsa-list/DSA-list", "DSA-3029-1");
        /* AlmaLinux: OSV AlmaLinux:9 record vs the errata API record of the same advisory. */
        compare("rpm-advisories/osv-almalinux/almalinux9/ALSA-2022:8194.json",
                "rpm-advisories/vuln-list/alma/9/2022/ALSA-2022:8194.json", "ALSA-2022:8194");
        /* Red Hat: the OSV conversion of RHSA-2024:4546 vs its CSAF document. */
        compare("osv/records/redhat/RHSA-2024_4546.json",
                "rpm-advisories/redhat-csaf/rhsa-2024_4546.json", "RHSA-2024:4546");
        return fp_test_finish();
}
