/* fp_rpm_select: the dnf check-update rules (see docs/scan-rpm.md), one case each. */
#include <stdio.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "test.h"

#define P(n, a, e, v, r)                                                                           \
        {                                                                                          \
                .name = n, .arch = a, .epoch = e, .version = v, .release = r                       \
        }
#define A(n, a, e, v, r, rp, prio)                                                                 \
        {                                                                                          \
                .name = n, .arch = a, .epoch = e, .version = v, .release = r, .repo = rp,          \
                .priority = prio                                                                   \
        }

static const struct fp_rpm_dep obs_fox[] = {
    {.name = "fox", .flags = FP_RPMDEP_LT, .epoch = "0", .version = "2.0"}};
static const struct fp_rpm_dep obs_any[] = {{.name = "yak"}};

static char out[4096];

static void render(const struct fp_rpm_selection *sel)
{
        size_t l = 0;
        out[0] = '\0';
        for (size_t i = 0; i < sel->nupgrades; i++) {
                const struct fp_rpm_upgrade *u = &sel->upgrades[i];
                l += (size_t)snprintf(out + l, sizeof(out) - l, "%s.%s %s-%s<-%s.%s %s-%s @%s%s\n",
                                      u->candidate->name, u->candidate->arch, u->candidate->version,
                                      u->candidate->release, u->installed->name, u->installed->arch,
                                      u->installed->version, u->installed->release, u->repos,
                                      u->security ? " SEC" : "");
        }
        for (size_t i = 0; i < sel->nobsoletes; i++) {
                const struct fp_rpm_obsolete *o = &sel->obsoletes[i];
                l += (size_t)snprintf(out + l, sizeof(out) - l, "OBS %s-%s obsoletes %s-%s%s\n",
                                      o->newpkg->name, o->newpkg->version, o->installed->name,
                                      o->installed->version, o->security ? " SEC" : "");
        }
}

int main(void)
{
        const struct fp_rpm_pkg inst[] = {
            P("same", "x86_64", "0", "1.0", "1"),       P("tonoarch", "x86_64", "0", "1.0", "1"),
            P("fromnoarch", "noarch", "0", "1.0", "1"), P("kern", "x86_64", "0", "5.0", "1"),
            P("kern", "x86_64", "0", "6.0", "1"),       P("kern2", "x86_64", "0", "5.0", "1"),
            P("kern2", "x86_64", "0", "6.0", "1"),      P("prio", "x86_64", "0", "1.0", "1"),
            P("dup", "x86_64", "0", "1.0", "1"),        P("sec", "x86_64", "0", "1.0", "1"),
            P("secold", "x86_64", "0", "1.0", "1"),     P("secnew", "x86_64", "0", "1.0", "1"),
            P("fox", "noarch", "0", "1.0", "1"),        P("yak", "x86_64", "0", "9", "1"),
            P("tilde", "x86_64", "0", "2.0~rc1", "1"),  P("multi", "i686", "0", "1.0", "1"),
            P("multi", "x86_64", "0", "1.0", "1"),      P("epoch", "x86_64", "1", "1.0", "1"),
            P("uptodate", "x86_64", "0", "1.0", "1"),
        };
        const struct fp_rpm_pkg avail[] = {
            A("same", "x86_64", "0", "1.1", "1", "r", 99),
            A("same", "x86_64", "0", "1.2", "1", "r", 99),
            A("same", "i686", "0", "9.0", "1", "r", 99), /* other arch: never */
            A("tonoarch", "noarch", "0", "2.0", "1", "r", 99),
            A("fromnoarch", "x86_64", "0", "2.0", "1", "r", 99),
            A("kern", "x86_64", "0", "5.5", "1", "r", 99), /* older than the newest */
            A("kern2", "x86_64", "0", "5.5", "1", "r", 99),
            A("kern2", "x86_64", "0", "7.0", "1", "r", 99),
            A("prio", "x86_64", "0", "1.1", "1", "good", 10),
            A("prio", "x86_64", "0", "3.0", "1", "bad", 99), /* hidden by priority */
            A("dup", "x86_64", "0", "2.0", "1", "b", 99),
            A("dup", "x86_64", "0", "2.0", "1", "a", 99),
            A("sec", "x86_64", "0", "1.2", "1", "r", 99),
            A("secold", "x86_64", "0", "1.2", "1", "r", 99),
            A("secnew", "x86_64", "0", "1.2", "1", "r", 99),
            {.name = "hound",
             .arch = "noarch",
             .epoch = "0",
             .version = "2.0",
             .release = "1",
             .repo = "r",
             .priority = 99,
             .obsoletes = obs_fox,
             .nobsoletes = 1},
            {.name = "zebra",
             .arch = "noarch",
             .epoch = "0",
             .version = "1",
             .release = "1",
             .repo = "r",
             .priority = 99,
             .obsoletes = obs_any,
             .nobsoletes = 1},
            A("tilde", "x86_64", "0", "2.0~rc2", "1", "r", 99),
            A("tilde", "x86_64", "0", "2.0", "1", "r", 99),
            A("multi", "i686", "0", "1.1", "1", "r", 99),
            A("multi", "x86_64", "0", "1.1", "1", "r", 99),
            A("epoch", "x86_64", "0", "9.0", "1", "r", 99), /* epoch 0 < 1 */
            A("uptodate", "x86_64", "0", "1.0", "1", "r", 99),
        };
        const struct fp_rpm_pkg sec[] = {
            P("sec", "x86_64", "0", "1.1", "1"),        /* superseded by the candidate 1.2 */
            P("secold", "x86_64", "0", "0.9", "1"),     /* not newer than installed */
            P("secnew", "x86_64", "0", "1.3", "1"),     /* newer than the candidate */
            P("same", "i686", "0", "1.1", "1"),         /* other arch */
            P("fromnoarch", "x86_64", "0", "2.0", "1"), /* no fromnoarch.x86_64 installed */
            P("kern2", "x86_64", "0", "5.5", "1"),      /* newest installed kern2 is 6.0 */
            P("hound", "noarch", "0", "1.0", "1"),      /* hound obsoletes fox: applies */
        };
        struct fp_rpm_select_in in = {inst,  sizeof(inst) / sizeof(inst[0]),
                                      avail, sizeof(avail) / sizeof(avail[0]),
                                      sec,   sizeof(sec) / sizeof(sec[0])};
        struct fp_rpm_selection sel;
        struct fp_diag d;

        CHECK_INT_EQ(fp_rpm_select(&in, &sel, &d), FP_OK);
        render(&sel);
        CHECK_STR_EQ(out, "dup.x86_64 2.0-1<-dup.x86_64 1.0-1 @a,b\n"
                          "fromnoarch.x86_64 2.0-1<-fromnoarch.noarch 1.0-1 @r\n"
                          "kern2.x86_64 7.0-1<-kern2.x86_64 6.0-1 @r\n"
                          "multi.i686 1.1-1<-multi.i686 1.0-1 @r\n"
                          "multi.x86_64 1.1-1<-multi.x86_64 1.0-1 @r\n"
                          "prio.x86_64 1.1-1<-prio.x86_64 1.0-1 @good\n"
                          "same.x86_64 1.2-1<-same.x86_64 1.0-1 @r\n"
                          "sec.x86_64 1.2-1<-sec.x86_64 1.0-1 @r SEC\n"
                          "secnew.x86_64 1.2-1<-secnew.x86_64 1.0-1 @r\n"
                          "secold.x86_64 1.2-1<-secold.x86_64 1.0-1 @r\n"
                          "tilde.x86_64 2.0-1<-tilde.x86_64 2.0~rc1-1 @r\n"
                          "tonoarch.noarch 2.0-1<-tonoarch.x86_64 1.0-1 @r\n"
                          "OBS hound-2.0 obsoletes fox-1.0 SEC\n"
                          "OBS zebra-1 obsoletes yak-9\n");
        fp_rpm_selection_release(&sel);
        fp_rpm_selection_release(&sel); /* NULL-safe and idempotent */

        /* Obsoletes ranges: "fox < 2.0" leaves fox-2.0-1 alone (no release in the dep). */
        const struct fp_rpm_pkg fox2 = P("fox", "noarch", "0", "2.0", "1");
        const struct fp_rpm_pkg fox1 = P("fox", "noarch", "0", "1.9", "9");
        CHECK(!fp_rpm_dep_matches(&obs_fox[0], &fox2));
        CHECK(fp_rpm_dep_matches(&obs_fox[0], &fox1));
        struct fp_rpm_dep le = {
            .name = "fox", .flags = FP_RPMDEP_LT | FP_RPMDEP_EQ, .version = "2.0", .release = "1"};
        CHECK(fp_rpm_dep_matches(&le, &fox2));
        le.release = "0";
        CHECK(!fp_rpm_dep_matches(&le, &fox2));

        /* Package specs as exclude= takes them. */
        const struct fp_rpm_pkg k = P("kernel-core", "x86_64", "0", "6.1", "3.fc40");
        CHECK(fp_rpm_spec_match("kernel*", &k));
        CHECK(fp_rpm_spec_match("kernel-core.x86_64", &k));
        CHECK(fp_rpm_spec_match("kernel-core-6.1-3.fc40", &k));
        CHECK(fp_rpm_spec_match("kernel-core-0:6.1-3.fc40.x86_64", &k));
        CHECK(!fp_rpm_spec_match("kernel", &k));
        CHECK(!fp_rpm_spec_match("kernel-core.i686", &k));
        CHECK(fp_rpm_speclist_match("foo, bar kernel-c*", &k));
        CHECK(!fp_rpm_speclist_match("foo,bar", &k));
        CHECK(!fp_rpm_speclist_match("", &k));

        /* Empty input. */
        struct fp_rpm_select_in none = {0};
        CHECK_INT_EQ(fp_rpm_select(&none, &sel, &d), FP_OK);
        CHECK_INT_EQ(sel.nupgrades + sel.nobsoletes, 0);
        fp_rpm_selection_release(&sel);
        return fp_test_finish();
}
