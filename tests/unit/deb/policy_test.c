/* apt policy: default priorities, pins, >=1000 downgrades, negative pins, Default-Release. */
#include <string.h>

#include "core/deb/policy.h"
#include "core/deb/preferences.h"
#include "core/deb/util.h"
#include "test.h"

static struct fp_arena arena;
static struct fp_release rel_main = {.origin = "Debian", .suite = "stable", .codename = "c",
                                     .label = "Debian", .version = "12"};
static struct fp_release rel_exp = {.origin = "Debian", .suite = "experimental",
                                    .codename = "rc", .not_automatic = true};
static struct fp_release rel_bpo = {.origin = "Debian", .suite = "stable-backports",
                                    .codename = "c-backports", .not_automatic = true,
                                    .but_automatic_upgrades = true};
/* 0 status, 1 main, 2 experimental, 3 backports */
static struct fp_apt_index ix[4] = {
        {.status = true, .site = "", .component = "now"},
        {.release = &rel_main, .site = "deb.debian.org", .component = "main", .arch = "amd64"},
        {.release = &rel_exp, .site = "deb.debian.org", .component = "main", .arch = "amd64"},
        {.release = &rel_bpo, .site = "other.example", .component = "main", .arch = "amd64"},
};

static void add(struct fp_apt_pkg *p, const char *ver, size_t index, bool inst)
{
        struct fp_deb_pkg r = {.name = p->name, .version = ver, .arch = "all",
                               .source = p->name, .phased = 100};
        CHECK_INT_EQ(fp_apt_pkg_add(&arena, p, &r, index, inst), FP_OK);
}

static const char *cand(const char *prefs, const char *defrel, struct fp_apt_pkg *p)
{
        struct fp_pins pins = {0};
        struct fp_apt_policy pol;
        struct fp_diag d;
        const struct fp_apt_ver *v;
        if (prefs)
                CHECK_INT_EQ(fp_preferences_parse(prefs, strlen(prefs), "prefs", &arena, &pins, &d),
                             FP_OK);
        CHECK_INT_EQ(fp_apt_policy_init(&pol, ix, 4, &pins, defrel, "amd64", &d), FP_OK);
        v = fp_apt_candidate(&pol, p);
        fp_apt_policy_release(&pol);
        fp_pins_release(&pins);
        return v ? v->version : "(none)";
}

static void test_defaults(void)
{
        struct fp_apt_pkg p = {.name = "foo", .arch = "amd64"};
        struct fp_apt_policy pol;
        struct fp_diag d;

        add(&p, "1.0", 0, true);
        add(&p, "1.0", 1, false);
        add(&p, "1.1", 1, false);
        add(&p, "2.0", 2, false);
        add(&p, "1.5", 3, false);
        CHECK_INT_EQ(fp_apt_policy_init(&pol, ix, 4, NULL, NULL, "amd64", &d), FP_OK);
        CHECK_INT_EQ(fp_apt_index_priority(&pol, 0), 100);
        CHECK_INT_EQ(fp_apt_index_priority(&pol, 1), 500);
        CHECK_INT_EQ(fp_apt_index_priority(&pol, 2), 1);
        CHECK_INT_EQ(fp_apt_index_priority(&pol, 3), 100);
        fp_apt_policy_release(&pol);
        CHECK_STR_EQ(cand(NULL, NULL, &p), "1.1");
        /* Default-Release 990 */
        CHECK_STR_EQ(cand(NULL, "experimental", &p), "2.0");
        CHECK_STR_EQ(cand(NULL, "rc", &p), "2.0");
        /* release pins by codename, archive, origin (site), label */
        CHECK_STR_EQ(cand("Package: foo\nPin: release n=rc\nPin-Priority: 600\n", NULL, &p), "2.0");
        CHECK_STR_EQ(cand("Package: *\nPin: release a=experimental\nPin-Priority: 501\n", NULL, &p),
                     "2.0");
        CHECK_STR_EQ(cand("Package: f*\nPin: origin other.example\nPin-Priority: 700\n", NULL, &p),
                     "1.5");
        CHECK_STR_EQ(cand("Package: /^fo+$/\nPin: origin \"other.example\"\nPin-Priority: 700\n",
                          NULL, &p), "1.5");
        /* version pin with glob; >= 1000 allows a downgrade, < 1000 does not */
        CHECK_STR_EQ(cand("Package: foo\nPin: version 1.5*\nPin-Priority: 990\n", NULL, &p), "1.5");
        struct fp_apt_pkg q = {.name = "foo", .arch = "amd64"};
        add(&q, "1.5", 0, true);
        add(&q, "1.5", 3, false);
        add(&q, "1.1", 1, false);
        CHECK_STR_EQ(cand("Package: foo\nPin: version 1.1\nPin-Priority: 999\n", NULL, &q), "1.5");
        CHECK_STR_EQ(cand("Package: foo\nPin: version 1.1\nPin-Priority: 1001\n", NULL, &q), "1.1");
        /* negative pin: stable's versions (the installed 1.0 too) are never candidates,
           so backports' 1.5 (100) wins over experimental (1) */
        CHECK_STR_EQ(cand("Package: foo\nPin: release a=stable\nPin-Priority: -1\n", NULL, &p),
                     "1.5");
        /* pins on another arch do not apply to the native package */
        CHECK_STR_EQ(cand("Package: foo:i386\nPin: release n=rc\nPin-Priority: 600\n", NULL, &p),
                     "1.1");
        /* first matching pin wins */
        CHECK_STR_EQ(cand("Package: foo\nPin: release n=c\nPin-Priority: 50\n\n"
                          "Package: foo\nPin: release n=rc\nPin-Priority: 600\n", NULL, &p),
                     "2.0");
        CHECK(fp_apt_upgradable(&p, p.versions));
}

static void test_bad(void)
{
        struct fp_pins pins = {0};
        struct fp_apt_policy pol;
        struct fp_diag d;
        const char *bad[] = {"Pin: release a=x\nPin-Priority: 1\n",
                             "Package: x\nPin: release a=x\nPin-Priority: 0\n",
                             "Package: x\nPin: release a=x\nPin-Priority: 32768\n",
                             "Package: x\nPin: release a=x\nPin-Priority: never\n"};
        for (size_t i = 0; i < 4; i++) {
                CHECK_INT_EQ(fp_preferences_parse(bad[i], strlen(bad[i]), "p", &arena, &pins, &d),
                             FP_EPARSE);
        }
        const char *ok = "# comment\nPackage: x\nPin: release a=x\nPin-Priority: -32767\n\n"
                         "Package: y\nPin: frob\nPin-Priority: 5\n";
        CHECK_INT_EQ(fp_preferences_parse(ok, strlen(ok), "p", &arena, &pins, &d), FP_OK);
        CHECK_INT_EQ(pins.count, 1);
        fp_pins_release(&pins);
        CHECK_INT_EQ(fp_apt_policy_init(&pol, ix, 4, NULL, "nosuch", "amd64", &d), FP_EINVAL);
        CHECK(fp_preferences_name_ok("x.pref") && fp_preferences_name_ok("nodejs"));
        CHECK(!fp_preferences_name_ok("x.dpkg-old") && !fp_preferences_name_ok("a b"));
        /* The same rule with apt.conf.d's extension; a bare "." extension is not "conf". */
        CHECK(fp_deb_dir_entry_ok("20auto-upgrades", "conf") && fp_deb_dir_entry_ok("a.conf", "conf"));
        CHECK(!fp_deb_dir_entry_ok("a.conf.bak", "conf") && !fp_deb_dir_entry_ok("a.", "conf"));
        CHECK(!fp_deb_dir_entry_ok("", "conf") && !fp_deb_dir_entry_ok(NULL, "conf"));
}

int main(void)
{
        fp_arena_init(&arena);
        test_defaults();
        test_bad();
        fp_arena_release(&arena);
        return fp_test_finish();
}
