/*
 * fp_dnf_config_load on roots written here: dnf.conf [main], reposdir, variables from
 * etc/dnf/vars and os-release, disabled repos, errors with file and line, FP_MAX_REPOS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/inventory/rpm_inventory.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "test.h"

static char root[] = "/tmp/fp-dnfconf-XXXXXX";

static void put(const char *rel, const char *content)
{
        char path[512], cmd[600];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        CHECK(system(cmd) == 0);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) {
                fputs(content, f);
                fclose(f);
        }
}

static const struct fp_dnf_repo *repo(const struct fp_dnf_config *c, const char *id)
{
        for (size_t i = 0; i < c->nrepos; i++)
                if (strcmp(c->repos[i].id, id) == 0)
                        return &c->repos[i];
        return NULL;
}

int main(void)
{
        struct fp_dnf_config cfg;
        struct fp_diag d;
        const struct fp_dnf_repo *r;
        char cmd[600];

        CHECK(mkdtemp(root) != NULL);
        put("etc/os-release", "NAME=\"Fedora Linux\"\nVERSION_ID=40\n");
        put("etc/dnf/vars/stream", "9-stream\n");
        put("etc/dnf/dnf.conf", "[main]\nreposdir=/etc/myrepos, /etc/more\nexclude=kernel*\n"
                                "obsoletes=False\n[inline]\nbaseurl=file:///srv/$releasever\n");
        put("etc/myrepos/a.repo", "[fedora]\nname=Fedora $releasever\n"
                                  "baseurl=http://x/$releasever/${basearch}/$stream/$nope/\n"
                                  "priority=5\nexclude=foo\nexcludepkgs=bar\n"
                                  "[off]\nenabled=0\n");
        put("etc/more/b.repo", "[main]\nexclude=ignored\n[b]\nmetalink=https://m/?r=$releasever\n");
        put("etc/yum.repos.d/notread.repo", "[notread]\nbaseurl=file:///x\n");

        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_dnf_config_load(root, &cfg, &d), FP_OK);
        CHECK_INT_EQ(cfg.nrepos, 4);
        CHECK_STR_EQ(cfg.exclude, "kernel*");
        CHECK(!cfg.obsoletes);
        r = repo(&cfg, "inline");
        CHECK(r && strcmp(r->baseurl, "file:///srv/40") == 0);
        r = repo(&cfg, "fedora");
        CHECK(r != NULL);
        if (r) {
                CHECK(strncmp(r->baseurl, "http://x/40/", 12) == 0);
                CHECK(strstr(r->baseurl, "/9-stream/$nope/") != NULL);
                CHECK_INT_EQ(r->priority, 5);
                CHECK_STR_EQ(r->exclude, "foo bar");
                CHECK(r->enabled);
        }
        r = repo(&cfg, "off");
        CHECK(r && !r->enabled && r->priority == 99);
        r = repo(&cfg, "b");
        CHECK(r && r->metalink && strcmp(r->metalink, "https://m/?r=40") == 0);
        CHECK(repo(&cfg, "notread") == NULL);
        fp_dnf_config_release(&cfg);

        /* etc/dnf/vars/releasever wins over os-release */
        put("etc/dnf/vars/releasever", "39\n");
        CHECK_INT_EQ(fp_dnf_config_load(root, &cfg, &d), FP_OK);
        r = repo(&cfg, "inline");
        CHECK(r && strcmp(r->baseurl, "file:///srv/39") == 0);
        fp_dnf_config_release(&cfg);

        /* a remote repo without a cache is FP_ENOTFOUND naming the repo file and line */
        CHECK_INT_EQ(fp_dnf_config_load(root, &cfg, &d), FP_OK);
        r = repo(&cfg, "b");
        if (r) {
                fp_diag_clear(&d);
                CHECK_INT_EQ(fp_dnf_repo_load(root, r, NULL, NULL, NULL, &d), FP_ENOTFOUND);
                CHECK(strstr(d.file, "b.repo") != NULL);
                CHECK_INT_EQ(d.line, 4); /* the first key of [b]: its metalink */
                CHECK(strstr(d.msg, "var/cache/dnf/b-*") != NULL);
        }
        fp_dnf_config_release(&cfg);

        /* bad values name file, line and key */
        put("etc/more/b.repo", "[b]\n\npriority=high\n");
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_dnf_config_load(root, &cfg, &d), FP_EPARSE);
        CHECK(strstr(d.file, "b.repo") != NULL);
        CHECK_INT_EQ(d.line, 3);
        CHECK_STR_EQ(d.field, "priority");
        put("etc/more/b.repo", "[b]\nenabled=perhaps\n");
        CHECK_INT_EQ(fp_dnf_config_load(root, &cfg, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "enabled");

        /* FP_MAX_REPOS: at the limit and one past it (3 repos come from the other files) */
        for (int past = 0; past < 2; past++) {
                struct fp_buf b;
                fp_buf_init(&b, 1 << 24);
                for (int i = 0; i < FP_MAX_REPOS - 3 + past; i++)
                        fp_buf_addf(&b, "[r%d]\nbaseurl=file:///r%d\n", i, i);
                put("etc/more/b.repo", fp_buf_str(&b));
                fp_buf_release(&b);
                fp_diag_clear(&d);
                CHECK_INT_EQ(fp_dnf_config_load(root, &cfg, &d), past ? FP_ELIMIT : FP_OK);
                if (!past)
                        CHECK_INT_EQ(cfg.nrepos, FP_MAX_REPOS);
                else
                        CHECK(strstr(d.file, "b.repo") != NULL);
                fp_dnf_config_release(&cfg);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
        return fp_test_finish();
}
