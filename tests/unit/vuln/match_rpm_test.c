/*
 * Acceptance: RPM hosts built from the real Alma/Rocky/Oracle/Amazon errata's own package lists
 * get exactly the advisories whose fixed EVR is newer than what is installed. The expected set
 * is computed here directly (labelCompare per package), independently of the matcher.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "fleetpatch/feeds.h"
#include "fleetpatch/version.h"
#include "vtest.h"

/* Every affected entry, copied. */
struct entry {
        char adv[64], distro[32], release[16], name[128], arch[32], fixed[256];
        bool modular;
        bool bugfix; /* no CVE and an ALBA/RLBA/ELBA/..EA id */
};
static struct entry entries[4096];
static size_t nentries;

static enum fp_err collect(void *ud, const char *feed, const struct fp_vuln_advisory *adv,
                           const struct fp_vuln_affected *a)
{
        (void)ud;
        (void)feed;
        if (nentries == sizeof(entries) / sizeof(entries[0]) || !a->fixed)
                return FP_OK;
        struct entry *e = &entries[nentries++];
        snprintf(e->adv, sizeof(e->adv), "%s", adv->id);
        snprintf(e->distro, sizeof(e->distro), "%s", a->distro);
        snprintf(e->release, sizeof(e->release), "%s", a->release);
        snprintf(e->name, sizeof(e->name), "%s", a->package);
        snprintf(e->arch, sizeof(e->arch), "%s", a->arch ? a->arch : "");
        snprintf(e->fixed, sizeof(e->fixed), "%s", a->fixed);
        e->modular = a->module != NULL;
        e->bugfix = adv->naliases == 0 && strlen(adv->id) > 5 &&
                    (!strncmp(adv->id + 2, "BA-", 3) || !strncmp(adv->id + 2, "EA-", 3));
        return FP_OK;
}

/* "[E:]V-R" -> an older build of the same package: version "0.0.1", same epoch and release
 * (the release keeps the module tag, so a modular fix still applies to it). */
static void older(const char *fixed, char *out, size_t outsz)
{
        const char *colon = strchr(fixed, ':');
        const char *dash = strrchr(fixed, '-');
        int elen = colon ? (int)(colon - fixed + 1) : 0;
        snprintf(out, outsz, "%.*s0.0.1%s", elen, fixed, dash ? dash : "-1");
}

static bool listed(const char *advisories, const char *id)
{
        size_t n = strlen(id);
        for (const char *p = advisories; (p = strstr(p, id)) != NULL; p += n)
                if ((p == advisories || p[-1] == ' ') && p[n] == ' ')
                        return true;
        return false;
}

/* One host per (distro, release); mode 0: everything older, 1: everything fixed, 2: mixed. */
static void check_release(struct fp_vulndb *db, const char *distro, const char *release, int mode)
{
        struct fp_inventory inv;
        vt_inv_init(&inv, "rpm", distro, release);
        static char versions[4096][300];
        size_t nv = 0;
        for (size_t i = 0; i < nentries; i++) {
                struct entry *e = &entries[i];
                if (strcmp(e->distro, distro) || strcmp(e->release, release))
                        continue;
                bool seen = false; /* one installed build per (name, arch) */
                for (size_t j = 0; j < inv.count && !seen; j++)
                        seen = !strcmp(inv.pkgs[j].name, e->name) && !strcmp(inv.pkgs[j].arch, e->arch);
                if (seen)
                        continue;
                bool old = mode == 0 || (mode == 2 && inv.count % 2 == 0);
                if (old)
                        older(e->fixed, versions[nv], sizeof(versions[nv]));
                else
                        snprintf(versions[nv], sizeof(versions[nv]), "%s", e->fixed);
                vt_pkg(&inv, e->name, e->arch, versions[nv], e->name, NULL);
                nv++;
        }
        struct fp_vindex *ix;
        CHECK_INT_EQ(fp_vindex_load(db, distro, release, &ix, NULL), FP_OK);
        struct fp_host_findings hf;
        CHECK_INT_EQ(fp_match_host(ix, &inv, &hf, NULL), FP_OK);
        size_t expected_n = 0;
        for (size_t i = 0; i < nentries; i++) {
                struct entry *e = &entries[i];
                if (strcmp(e->distro, distro) || strcmp(e->release, release))
                        continue;
                /* expected: the installed build of (name, arch) is older than every build of it
                 * the erratum lists (an erratum may list one build per minor release); bug-fix
                 * and enhancement errata (no CVE, ALBA/RLBA/ALEA... ids) are not vulnerabilities */
                const char *installed = NULL;
                for (size_t j = 0; j < inv.count; j++)
                        if (!strcmp(inv.pkgs[j].name, e->name) && !strcmp(inv.pkgs[j].arch, e->arch))
                                installed = inv.pkgs[j].version;
                bool expect = installed && !e->bugfix;
                for (size_t j = 0; expect && j < nentries; j++) {
                        const struct entry *o = &entries[j];
                        if (!strcmp(o->adv, e->adv) && !strcmp(o->name, e->name) &&
                            !strcmp(o->arch, e->arch) && !strcmp(o->release, e->release) &&
                            o->modular == e->modular)
                                expect = fp_rpm_vercmp(installed, o->fixed) < 0;
                }
                bool got = false;
                for (size_t j = 0; j < hf.count && !got; j++)
                        got = !strcmp(hf.items[j].pkg->name, e->name) &&
                              !strcmp(hf.items[j].pkg->arch, e->arch) &&
                              listed(hf.items[j].advisories, e->adv);
                CHECK_MSG(got == expect, "%s %s/%s %s.%s fixed %s: expected %s", e->adv, distro,
                          release, e->name, e->arch, e->fixed, expect ? "a finding" : "none");
                expected_n += expect;
        }
        if (mode == 0)
                CHECK_MSG(expected_n > 0, "%s %s: no entries", distro, release);
        if (mode == 1)
                CHECK_INT_EQ(hf.count, 0);
        fp_host_findings_release(&hf);
        fp_vindex_free(ix);
        free(inv.pkgs);
}

int main(void)
{
        struct fp_vulndb *db = vt_db_open();
        const char *dirs[] = {"rpm-advisories/vuln-list", "rpm-advisories/vuln-list-update-golden",
                              "rpm-advisories/redhat-csaf"};
        for (size_t i = 0; i < 3; i++) {
                struct fp_feed_import_opts o = {.location = fp_test_shared_path(dirs[i])};
                char name[32];
                snprintf(name, sizeof(name), "feed%zu", i);
                o.name = name;
                struct fp_feed_import_result r;
                struct fp_diag d;
                CHECK_INT_EQ(fp_feed_import(db, &o, &r, &d), FP_OK);
                CHECK_MSG(r.stats.added > 0, "%s: nothing imported", dirs[i]);
        }
        CHECK_INT_EQ(fp_vulndb_each_affected(db, NULL, NULL, collect, NULL, NULL), FP_OK);
        CHECK(nentries > 50);
        /* Every (distro, release) present, each in three fleets. */
        for (size_t i = 0; i < nentries; i++) {
                bool first = true;
                for (size_t j = 0; j < i && first; j++)
                        first = strcmp(entries[j].distro, entries[i].distro) ||
                                strcmp(entries[j].release, entries[i].release);
                if (!first)
                        continue;
                for (int mode = 0; mode < 3; mode++)
                        check_release(db, entries[i].distro, entries[i].release, mode);
        }
        vt_db_close(db);
        return fp_test_finish();
}
