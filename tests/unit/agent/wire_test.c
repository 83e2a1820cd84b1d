/*
 * The wire format of facts and inventories: a real inventory survives build -> parse with the
 * same hash, every limit holds at its value and refuses one past it, and every malformed
 * shape is refused with the JSON path of the bad value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/wire.h"
#include "test.h"

static json_t *parse(const char *text)
{
        json_error_t e;
        json_t *v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        if (!v)
                fprintf(stderr, "test JSON: %s: %s\n", text, e.text);
        return v;
}

/* Parse an inventory given as text; the error code, and the field into field. */
static enum fp_err inv_text(const char *text, char *field, size_t fieldsz)
{
        struct fp_wire_inventory w;
        struct fp_diag d;
        json_t *v = parse(text);
        enum fp_err err = fp_wire_inventory_parse(v, &w, &d);
        snprintf(field, fieldsz, "%s", err == FP_OK ? "" : d.field);
        if (err != FP_OK && d.msg[0] == '\0')
                fprintf(stderr, "no message for %s\n", text);
        fp_wire_inventory_release(&w);
        json_decref(v);
        return err;
}

static enum fp_err facts_text(const char *text, char *field, size_t fieldsz)
{
        struct fp_facts f;
        struct fp_diag d;
        json_t *v = parse(text);
        enum fp_err err = fp_wire_facts_parse(v, &f, &d);
        snprintf(field, fieldsz, "%s", err == FP_OK ? "" : d.field);
        fp_facts_release(&f);
        json_decref(v);
        return err;
}

#define INV_BAD(text, code, path)                                                                  \
        do {                                                                                       \
                char f_[FP_DIAG_FIELD_MAX];                                                        \
                CHECK_INT_EQ(inv_text(text, f_, sizeof(f_)), code);                                \
                CHECK_STR_EQ(f_, path);                                                            \
        } while (0)
#define FACTS_BAD(text, code, path)                                                                \
        do {                                                                                       \
                char f_[FP_DIAG_FIELD_MAX];                                                        \
                CHECK_INT_EQ(facts_text(text, f_, sizeof(f_)), code);                              \
                CHECK_STR_EQ(f_, path);                                                            \
        } while (0)

/* ---- round trip on a real host's dpkg status -------------------------------------------- */

static void test_round_trip(void)
{
        struct fp_inventory_opts o = {
            .root = "/nonexistent",
            .status_file = fp_test_shared_path("inventory/debian12-dpkg-status"),
            .release = "debian:bookworm",
            .running_kernel = "6.1.0-18-amd64",
        };
        struct fp_inventory inv;
        struct fp_diag d;
        CHECK_INT_EQ(fp_inventory_load(&o, &inv, &d), FP_OK);
        CHECK(inv.count > 100);

        /* with a scan: two pending updates */
        struct fp_update ups[2] = {
            {.name = "openssl",
             .arch = "amd64",
             .installed = "3.0.11-1~deb12u2",
             .candidate = "3.0.15-1~deb12u1",
             .origin = "Debian",
             .security = true},
            {.name = "tzdata",
             .arch = "all",
             .installed = "2024a-0+deb12u1",
             .candidate = "2025b-0+deb12u1"},
        };
        struct fp_scan_result scan = {.family = "deb", .updates = ups, .count = 2};
        json_t *j = fp_wire_inventory_build(&inv, &scan);
        CHECK(j != NULL);
        char h1[65], h2[65];
        CHECK(fp_wire_hash(j, h1));
        CHECK_INT_EQ(strlen(h1), 64);
        CHECK(strspn(h1, "0123456789abcdef") == 64);

        /* through text, as the server receives it */
        char *text = json_dumps(j, JSON_COMPACT);
        json_t *back = parse(text);
        struct fp_wire_inventory w;
        CHECK_INT_EQ(fp_wire_inventory_parse(back, &w, &d), FP_OK);
        CHECK_INT_EQ(w.inv.count, inv.count);
        CHECK_STR_EQ(w.inv.family, "deb");
        CHECK_INT_EQ(w.inv.scheme, FP_SCHEME_DEB);
        CHECK_STR_EQ(w.inv.distro, "debian");
        CHECK_STR_EQ(w.inv.release, "bookworm");
        CHECK_STR_EQ(w.inv.running_kernel, "6.1.0-18-amd64");
        size_t kernels = 0;
        for (size_t i = 0; i < inv.count && i < w.inv.count; i++) {
                const struct fp_inv_pkg *a = &inv.pkgs[i], *b = &w.inv.pkgs[i];
                CHECK_STR_EQ(a->name, b->name);
                CHECK_STR_EQ(a->arch, b->arch);
                CHECK_STR_EQ(a->version, b->version);
                CHECK_STR_EQ(a->source, b->source);
                CHECK_STR_EQ(a->source_version, b->source_version);
                CHECK_INT_EQ(a->kernel, b->kernel);
                if (a->kernel) {
                        CHECK_STR_EQ(a->kernel_release, b->kernel_release);
                        kernels++;
                }
                if (i > 0) {
                        int c = strcmp(b[-1].name, b->name);
                        CHECK(c < 0 || (c == 0 && strcmp(b[-1].arch, b->arch) < 0));
                }
        }
        /* this host's status has no kernel image (a container); test_kernels_and_order has */
        CHECK_INT_EQ(kernels, 0);
        CHECK_INT_EQ(w.update_count, 2);
        CHECK_STR_EQ(w.updates[0].candidate, "3.0.15-1~deb12u1");
        CHECK(w.updates[0].security);
        CHECK_STR_EQ(w.updates[1].name, "tzdata");
        CHECK(!w.updates[1].security);
        CHECK(w.updates[1].origin == NULL);

        /* the server rebuilds the same object and hash from what it parsed */
        struct fp_update rebuilt[2];
        for (size_t i = 0; i < 2; i++)
                rebuilt[i] = (struct fp_update){.name = w.updates[i].name,
                                                .arch = w.updates[i].arch,
                                                .installed = w.updates[i].installed,
                                                .candidate = w.updates[i].candidate,
                                                .origin = w.updates[i].origin,
                                                .security = w.updates[i].security};
        struct fp_scan_result scan2 = {.updates = rebuilt, .count = 2};
        json_t *j2 = fp_wire_inventory_build(&w.inv, &scan2);
        CHECK(fp_wire_hash(j2, h2));
        CHECK_STR_EQ(h1, h2);
        CHECK(fp_wire_hash(back, h2));
        CHECK_STR_EQ(h1, h2);

        /* a different inventory has a different hash; no scan means no "updates" member */
        json_t *j3 = fp_wire_inventory_build(&inv, NULL);
        CHECK(json_object_get(j3, "updates") == NULL);
        CHECK(fp_wire_hash(j3, h2));
        CHECK(strcmp(h1, h2) != 0);

        json_decref(j3);
        json_decref(j2);
        fp_wire_inventory_release(&w);
        json_decref(back);
        free(text);
        json_decref(j);
        fp_inventory_release(&inv);
}

static void test_hash_known(void)
{
        /* sha256("{}") and key order not mattering */
        json_t *e = json_object();
        char h[65];
        CHECK(fp_wire_hash(e, h));
        CHECK_STR_EQ(h, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
        json_t *a = parse("{\"b\":1,\"a\":[true,\"x\"]}");
        json_t *b = parse("{\"a\":[true,\"x\"],\"b\":1}");
        char ha[65], hb[65];
        CHECK(fp_wire_hash(a, ha) && fp_wire_hash(b, hb));
        CHECK_STR_EQ(ha, hb);
        json_decref(a);
        json_decref(b);
        json_decref(e);
}

/* ---- kernels, sorting, duplicates -------------------------------------------------------- */

static void test_kernels_and_order(void)
{
        struct fp_wire_inventory w;
        struct fp_diag d;
        json_t *v = parse(
            "{\"family\":\"rpm\",\"distro\":\"almalinux\",\"release\":\"9\",\"packages\":["
            "{\"name\":\"kernel-core\",\"arch\":\"x86_64\",\"version\":\"5.14.0-427.13.1.el9_4\"},"
            "{\"name\":\"bash\",\"arch\":\"x86_64\",\"version\":\"5.1.8-9.el9\"},"
            "{\"name\":\"kernel-core\",\"arch\":\"x86_64\",\"version\":\"5.14.0-362.8.1.el9_3\","
            "\"kernel_release\":\"5.14.0-362.8.1.el9_3.x86_64\"},"
            "{\"name\":\"nodejs\",\"arch\":\"x86_64\",\"version\":\"1:18.19.0-1.module_el9.3.0+1\","
            "\"module\":\"nodejs:18\"},"
            "{\"name\":\"bash\",\"arch\":\"i686\",\"version\":\"5.1.8-9.el9\"}]}");
        CHECK_INT_EQ(fp_wire_inventory_parse(v, &w, &d), FP_OK);
        CHECK_INT_EQ(w.inv.count, 5);
        if (w.inv.count == 5) {
                CHECK_STR_EQ(w.inv.pkgs[0].arch, "i686");
                CHECK_STR_EQ(w.inv.pkgs[1].arch, "x86_64");
                CHECK_STR_EQ(w.inv.pkgs[2].version, "5.14.0-362.8.1.el9_3");
                CHECK(w.inv.pkgs[2].kernel);
                CHECK_STR_EQ(w.inv.pkgs[3].kernel_release, "5.14.0-427.13.1.el9_4.x86_64");
                CHECK_STR_EQ(w.inv.pkgs[4].module, "nodejs:18");
                CHECK(!w.inv.pkgs[4].kernel);
                CHECK_STR_EQ(w.inv.pkgs[4].source, "nodejs");
                CHECK_STR_EQ(w.inv.pkgs[4].source_version, "1:18.19.0-1.module_el9.3.0+1");
        }
        CHECK(w.updates != NULL || w.update_count == 0);
        fp_wire_inventory_release(&w);
        json_decref(v);

        /* Debian: the ABI from the name; meta packages are not kernels */
        v = parse(
            "{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\",\"packages\":["
            "{\"name\":\"linux-image-6.1.0-18-amd64\",\"arch\":\"amd64\",\"version\":\"6.1.76-1\"},"
            "{\"name\":\"linux-image-amd64\",\"arch\":\"amd64\",\"version\":\"6.1.76-1\"}]}");
        CHECK_INT_EQ(fp_wire_inventory_parse(v, &w, &d), FP_OK);
        if (w.inv.count == 2) {
                CHECK(w.inv.pkgs[0].kernel);
                CHECK_STR_EQ(w.inv.pkgs[0].kernel_release, "6.1.0-18-amd64");
                CHECK(!w.inv.pkgs[1].kernel);
        }
        fp_wire_inventory_release(&w);
        json_decref(v);

        /* duplicates: dpkg has one per name:arch, rpm never the same EVR twice */
        INV_BAD("{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\",\"packages\":["
                "{\"name\":\"a\",\"arch\":\"amd64\",\"version\":\"1\"},"
                "{\"name\":\"b\",\"arch\":\"amd64\",\"version\":\"1\"},"
                "{\"name\":\"a\",\"arch\":\"amd64\",\"version\":\"2\"}]}",
                FP_EPARSE, "inventory.packages[2]");
        char f[FP_DIAG_FIELD_MAX];
        CHECK_INT_EQ(inv_text("{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\","
                              "\"packages\":[{\"name\":\"a\",\"arch\":\"amd64\",\"version\":\"1\"},"
                              "{\"name\":\"a\",\"arch\":\"i386\",\"version\":\"1\"}]}",
                              f, sizeof(f)),
                     FP_OK);
        INV_BAD("{\"family\":\"rpm\",\"distro\":\"rhel\",\"release\":\"9\",\"packages\":["
                "{\"name\":\"kernel\",\"arch\":\"x86_64\",\"version\":\"5.14.0-1.el9\"},"
                "{\"name\":\"kernel\",\"arch\":\"x86_64\",\"version\":\"5.14.0-1.el9\"}]}",
                FP_EPARSE, "inventory.packages[1]");
        /* a kernel_release that does not follow from the package */
        INV_BAD("{\"family\":\"rpm\",\"distro\":\"rhel\",\"release\":\"9\",\"packages\":["
                "{\"name\":\"kernel\",\"arch\":\"x86_64\",\"version\":\"5.14.0-1.el9\","
                "\"kernel_release\":\"6.0\"}]}",
                FP_EPARSE, "inventory.packages[0].kernel_release");
        INV_BAD("{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\",\"packages\":["
                "{\"name\":\"bash\",\"arch\":\"amd64\",\"version\":\"5.2-1\","
                "\"kernel_release\":\"6.1.0-18-amd64\"}]}",
                FP_EPARSE, "inventory.packages[0].kernel_release");
}

/* ---- malformed shapes -------------------------------------------------------------------- */

#define HEAD "{\"family\":\"deb\",\"distro\":\"debian\",\"release\":\"bookworm\","
#define PKG "{\"name\":\"a\",\"arch\":\"amd64\",\"version\":\"1.0-1\"}"

static void test_inventory_malformed(void)
{
        char f[FP_DIAG_FIELD_MAX];

        INV_BAD("[]", FP_EPARSE, "inventory");
        INV_BAD("\"x\"", FP_EPARSE, "inventory");
        INV_BAD("{}", FP_EPARSE, "inventory.family");
        INV_BAD(HEAD "\"packages\":[],\"extra\":1}", FP_EPARSE, "inventory.extra");
        INV_BAD(HEAD "\"packages\":{}}", FP_EPARSE, "inventory.packages");
        INV_BAD(HEAD "\"packages\":[],\"updates\":{}}", FP_EPARSE, "inventory.updates");
        INV_BAD(HEAD "\"packages\":[],\"pretty\":5}", FP_EPARSE, "inventory.pretty");
        INV_BAD(HEAD "\"packages\":[],\"running_kernel\":null}", FP_EPARSE,
                "inventory.running_kernel");
        INV_BAD(HEAD "\"packages\":[],\"running_kernel\":\"\"}", FP_EPARSE,
                "inventory.running_kernel");
        INV_BAD("{\"family\":\"apk\",\"distro\":\"alpine\",\"release\":\"3.18\",\"packages\":[]}",
                FP_EPARSE, "inventory.family");
        INV_BAD("{\"family\":\"deb\",\"release\":\"bookworm\",\"packages\":[]}", FP_EPARSE,
                "inventory.distro");
        INV_BAD("{\"family\":\"deb\",\"distro\":\"debian\",\"packages\":[]}", FP_EPARSE,
                "inventory.release");
        INV_BAD(HEAD "\"pretty\":\"x\"}", FP_EPARSE, "inventory.packages");
        INV_BAD("{\"family\":\"deb\",\"distro\":\"deb\\nian\",\"release\":\"bookworm\","
                "\"packages\":[]}",
                FP_EPARSE, "inventory.distro");
        CHECK_INT_EQ(inv_text(HEAD "\"packages\":[],\"pretty\":\"\"}", f, sizeof(f)), FP_OK);

        /* packages */
        INV_BAD(HEAD "\"packages\":[" PKG ",5]}", FP_EPARSE, "inventory.packages[1]");
        INV_BAD(HEAD "\"packages\":[" PKG ",{\"name\":\"b\",\"arch\":\"all\"}]}", FP_EPARSE,
                "inventory.packages[1].version");
        INV_BAD(HEAD "\"packages\":[{\"arch\":\"all\",\"version\":\"1\"}]}", FP_EPARSE,
                "inventory.packages[0].name");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"version\":\"1\"}]}", FP_EPARSE,
                "inventory.packages[0].arch");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"\",\"arch\":\"all\",\"version\":\"1\"}]}",
                FP_EPARSE, "inventory.packages[0].name");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"all\",\"version\":\"1\",\"x\":1}]}",
                FP_EPARSE, "inventory.packages[0].x");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"all\",\"version\":1}]}", FP_EPARSE,
                "inventory.packages[0].version");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"all\",\"version\":\"1\","
                     "\"source\":[]}]}",
                FP_EPARSE, "inventory.packages[0].source");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\\u0001\",\"arch\":\"all\",\"version\":\"1\"}]}",
                FP_EPARSE, "inventory.packages[0].name");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\\u0000b\",\"arch\":\"all\",\"version\":\"1\"}]}",
                FP_EPARSE, "inventory.packages[0].name");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\\u007f\",\"arch\":\"all\",\"version\":\"1\"}]}",
                FP_EPARSE, "inventory.packages[0].name");
        /* Debian versions by dpkg's rules; RPM EVRs by rpm's */
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"all\",\"version\":\"-1:1\"}]}",
                FP_EPARSE, "inventory.packages[0].version");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"all\",\"version\":\"1 2\"}]}",
                FP_EPARSE, "inventory.packages[0].version");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"all\",\"version\":\"1\","
                     "\"source_version\":\"\"}]}",
                FP_EPARSE, "inventory.packages[0].source_version");
        INV_BAD(HEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"all\",\"version\":\"1\","
                     "\"source_version\":\"a:b\"}]}",
                FP_EPARSE, "inventory.packages[0].source_version");
#define RPMHEAD "{\"family\":\"rpm\",\"distro\":\"rhel\",\"release\":\"9\","
        INV_BAD(RPMHEAD
                "\"packages\":[{\"name\":\"a\",\"arch\":\"noarch\",\"version\":\"x:1-1\"}]}",
                FP_EPARSE, "inventory.packages[0].version");
        INV_BAD(RPMHEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"noarch\",\"version\":\"1-\"}]}",
                FP_EPARSE, "inventory.packages[0].version");
        INV_BAD(RPMHEAD
                "\"packages\":[{\"name\":\"a\",\"arch\":\"noarch\",\"version\":\"1 0-1\"}]}",
                FP_EPARSE, "inventory.packages[0].version");
        CHECK_INT_EQ(inv_text(RPMHEAD "\"packages\":[{\"name\":\"a\",\"arch\":\"noarch\","
                                      "\"version\":\"2:1.0~rc1^git1-3.el9\"}]}",
                              f, sizeof(f)),
                     FP_OK);

        /* updates */
        INV_BAD(HEAD "\"packages\":[],\"updates\":[1]}", FP_EPARSE, "inventory.updates[0]");
        INV_BAD(HEAD "\"packages\":[],\"updates\":[{\"name\":\"a\",\"arch\":\"all\","
                     "\"installed\":\"1\"}]}",
                FP_EPARSE, "inventory.updates[0].candidate");
        INV_BAD(HEAD "\"packages\":[],\"updates\":[{\"name\":\"a\",\"arch\":\"all\","
                     "\"installed\":\"1\",\"candidate\":\"2\",\"security\":\"yes\"}]}",
                FP_EPARSE, "inventory.updates[0].security");
        INV_BAD(HEAD "\"packages\":[],\"updates\":[{\"name\":\"a\",\"arch\":\"all\","
                     "\"installed\":\"1\",\"candidate\":\"2\",\"why\":\"\"}]}",
                FP_EPARSE, "inventory.updates[0].why");
        INV_BAD(HEAD "\"packages\":[],\"updates\":[{\"name\":\"a\",\"arch\":\"all\","
                     "\"installed\":\"1\",\"candidate\":\"2:\"}]}",
                FP_EPARSE, "inventory.updates[0].candidate");
        CHECK_INT_EQ(inv_text(HEAD "\"packages\":[],\"updates\":[{\"name\":\"a\",\"arch\":\"all\","
                                   "\"installed\":\"1\",\"candidate\":\"2\",\"origin\":\"Debian\","
                                   "\"security\":false}]}",
                              f, sizeof(f)),
                     FP_OK);
        /* a long unknown key is cut to the field size, never overflows it */
        char big[512];
        snprintf(big, sizeof(big), HEAD "\"packages\":[],\"%0200d\":1}", 0);
        CHECK_INT_EQ(inv_text(big, f, sizeof(f)), FP_EPARSE);
        CHECK(strncmp(f, "inventory.000", 13) == 0);
        /* NULL in, nothing out */
        struct fp_wire_inventory w;
        CHECK_INT_EQ(fp_wire_inventory_parse(NULL, &w, NULL), FP_EPARSE);
        fp_wire_inventory_release(&w);
}

/* ---- limits: at the limit and one past ---------------------------------------------------- */

static char *repeat(char c, size_t n)
{
        char *s = malloc(n + 1);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

/* One package whose member `key` is value (and the others plain). */
static enum fp_err one_pkg(const char *key, const char *value, char *field, size_t fieldsz)
{
        json_t *p = json_pack("{s:s,s:s,s:s}", "name", "a", "arch", "all", "version", "1");
        json_object_set_new(p, key, json_string(value));
        json_t *inv = json_pack("{s:s,s:s,s:s,s:[o]}", "family", "deb", "distro", "debian",
                                "release", "bookworm", "packages", p);
        struct fp_wire_inventory w;
        struct fp_diag d;
        enum fp_err err = fp_wire_inventory_parse(inv, &w, &d);
        snprintf(field, fieldsz, "%s", err == FP_OK ? "" : d.field);
        fp_wire_inventory_release(&w);
        json_decref(inv);
        return err;
}

static void test_string_limits(void)
{
        char f[FP_DIAG_FIELD_MAX];
        char *s;

        s = repeat('n', FP_MAX_NAME_LEN);
        CHECK_INT_EQ(one_pkg("name", s, f, sizeof(f)), FP_OK);
        free(s);
        s = repeat('n', FP_MAX_NAME_LEN + 1);
        CHECK_INT_EQ(one_pkg("name", s, f, sizeof(f)), FP_ELIMIT);
        CHECK_STR_EQ(f, "inventory.packages[0].name");
        free(s);
        s = repeat('a', FP_MAX_NAME_LEN);
        CHECK_INT_EQ(one_pkg("arch", s, f, sizeof(f)), FP_OK);
        free(s);
        s = repeat('a', FP_MAX_NAME_LEN + 1);
        CHECK_INT_EQ(one_pkg("source", s, f, sizeof(f)), FP_ELIMIT);
        CHECK_STR_EQ(f, "inventory.packages[0].source");
        free(s);

        s = repeat('1', FP_MAX_VERSION_LEN);
        CHECK_INT_EQ(one_pkg("version", s, f, sizeof(f)), FP_OK);
        CHECK_INT_EQ(one_pkg("source_version", s, f, sizeof(f)), FP_OK);
        free(s);
        s = repeat('1', FP_MAX_VERSION_LEN + 1);
        CHECK_INT_EQ(one_pkg("version", s, f, sizeof(f)), FP_ELIMIT);
        CHECK_STR_EQ(f, "inventory.packages[0].version");
        CHECK_INT_EQ(one_pkg("source_version", s, f, sizeof(f)), FP_ELIMIT);
        CHECK_STR_EQ(f, "inventory.packages[0].source_version");
        free(s);

        /* inventory strings and facts strings: FP_MAX_FACT_LEN */
        s = repeat('p', FP_MAX_FACT_LEN);
        json_t *inv = json_pack("{s:s,s:s,s:s,s:s,s:[]}", "family", "deb", "distro", "debian",
                                "release", "bookworm", "pretty", s, "packages");
        struct fp_wire_inventory w;
        struct fp_diag d;
        CHECK_INT_EQ(fp_wire_inventory_parse(inv, &w, &d), FP_OK);
        fp_wire_inventory_release(&w);
        json_decref(inv);
        free(s);
        s = repeat('p', FP_MAX_FACT_LEN + 1);
        inv = json_pack("{s:s,s:s,s:s,s:s,s:[]}", "family", "deb", "distro", "debian", "release",
                        "bookworm", "pretty", s, "packages");
        CHECK_INT_EQ(fp_wire_inventory_parse(inv, &w, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "inventory.pretty");
        json_decref(inv);
        free(s);

        static const char *const fact_members[] = {
            "hostname", "os_id",          "os_version", "os_codename", "os_pretty",
            "arch",     "kernel_running", "boot_id",    "machine_id",  "agent_version"};
        for (size_t i = 0; i < sizeof(fact_members) / sizeof(fact_members[0]); i++) {
                for (int past = 0; past <= 1; past++) {
                        s = repeat('h', FP_MAX_FACT_LEN + (size_t)past);
                        json_t *fj = json_pack("{s:s}", "hostname", "h");
                        json_object_set_new(fj, fact_members[i], json_string(s));
                        struct fp_facts fa;
                        enum fp_err err = fp_wire_facts_parse(fj, &fa, &d);
                        CHECK_INT_EQ(err, past ? FP_ELIMIT : FP_OK);
                        if (past) {
                                char want[FP_DIAG_FIELD_MAX];
                                snprintf(want, sizeof(want), "facts.%s", fact_members[i]);
                                CHECK_STR_EQ(d.field, want);
                        }
                        fp_facts_release(&fa);
                        json_decref(fj);
                        free(s);
                }
        }
        s = repeat('z', FP_MAX_FACT_LEN + 1);
        json_t *fj = json_pack("{s:s,s:{s:s}}", "hostname", "h", "cloud", "region", s);
        struct fp_facts fa;
        CHECK_INT_EQ(fp_wire_facts_parse(fj, &fa, &d), FP_ELIMIT);
        CHECK_STR_EQ(d.field, "facts.cloud.region");
        json_decref(fj);
        free(s);
}

static void test_count_limits(void)
{
        struct fp_wire_inventory w;
        struct fp_diag d;

        for (int past = 0; past <= 1; past++) {
                size_t n = FP_MAX_WIRE_PACKAGES + (size_t)past;
                json_t *pk = json_array();
                for (size_t i = 0; i < n; i++) {
                        char name[32];
                        snprintf(name, sizeof(name), "p%zu", n - i);
                        json_array_append_new(pk, json_pack("{s:s,s:s,s:s}", "name", name, "arch",
                                                            "amd64", "version", "1.0-1"));
                }
                json_t *inv = json_pack("{s:s,s:s,s:s,s:o}", "family", "deb", "distro", "debian",
                                        "release", "bookworm", "packages", pk);
                CHECK_INT_EQ(fp_wire_inventory_parse(inv, &w, &d), past ? FP_ELIMIT : FP_OK);
                if (past)
                        CHECK_STR_EQ(d.field, "inventory.packages");
                else
                        CHECK_INT_EQ(w.inv.count, n);
                fp_wire_inventory_release(&w);
                json_decref(inv);
        }
        for (int past = 0; past <= 1; past++) {
                size_t n = FP_MAX_WIRE_UPDATES + (size_t)past;
                json_t *up = json_array();
                json_t *one = json_pack("{s:s,s:s,s:s,s:s}", "name", "a", "arch", "all",
                                        "installed", "1", "candidate", "2");
                for (size_t i = 0; i < n; i++)
                        json_array_append(up, one);
                json_decref(one);
                json_t *inv = json_pack("{s:s,s:s,s:s,s:[],s:o}", "family", "deb", "distro",
                                        "debian", "release", "bookworm", "packages", "updates", up);
                CHECK_INT_EQ(fp_wire_inventory_parse(inv, &w, &d), past ? FP_ELIMIT : FP_OK);
                if (past)
                        CHECK_STR_EQ(d.field, "inventory.updates");
                else
                        CHECK_INT_EQ(w.update_count, n);
                fp_wire_inventory_release(&w);
                json_decref(inv);
        }
        for (int past = 0; past <= 1; past++) {
                size_t n = FP_MAX_FACT_KERNELS + (size_t)past;
                json_t *k = json_array();
                for (size_t i = 0; i < n; i++) {
                        char r[32];
                        snprintf(r, sizeof(r), "6.1.0-%zu-amd64", i);
                        json_array_append_new(k, json_string(r));
                }
                json_t *fj = json_pack("{s:s,s:o}", "hostname", "h", "kernels_installed", k);
                struct fp_facts f;
                CHECK_INT_EQ(fp_wire_facts_parse(fj, &f, &d), past ? FP_ELIMIT : FP_OK);
                if (past)
                        CHECK_STR_EQ(d.field, "facts.kernels_installed");
                else
                        CHECK_INT_EQ(f.kernel_count, n);
                fp_facts_release(&f);
                json_decref(fj);
        }
}

/* ---- facts ------------------------------------------------------------------------------ */

static void test_facts(void)
{
        static const char full[] =
            "{\"hostname\": \"web-1\", \"os_id\": \"debian\", \"os_version\": \"12\", "
            "\"os_codename\": \"bookworm\", \"os_pretty\": \"Debian GNU/Linux 12 (bookworm)\", "
            "\"arch\": \"x86_64\", \"kernel_running\": \"6.1.0-18-amd64\", "
            "\"kernels_installed\": [\"6.1.0-17-amd64\", \"6.1.0-18-amd64\"], "
            "\"boot_id\": \"0b8c5a3e-6f5e-4a53-9f0e-1f4a0c2d7e11\", "
            "\"machine_id\": \"4f1c3c9b2a7d4e5f8a9b0c1d2e3f4a5b\", \"timezone\": "
            "\"Europe/Berlin\", \"agent_version\": \"0.1.0\", \"cloud\": {\"provider\": "
            "\"aws\", \"account\": \"123456789012\", \"region\": \"eu-central-1\", \"zone\": "
            "\"eu-central-1a\", \"instance_id\": \"i-0abc\"}}";
        json_t *v = parse(full);
        struct fp_facts f;
        struct fp_diag d;
        CHECK_INT_EQ(fp_wire_facts_parse(v, &f, &d), FP_OK);
        CHECK_STR_EQ(f.hostname, "web-1");
        CHECK_STR_EQ(f.os_codename, "bookworm");
        CHECK_INT_EQ(f.kernel_count, 2);
        CHECK_STR_EQ(f.kernels_installed[1], "6.1.0-18-amd64");
        CHECK_STR_EQ(f.cloud_zone, "eu-central-1a");
        CHECK_STR_EQ(f.cloud_instance, "i-0abc");
        CHECK_STR_EQ(f.timezone, "Europe/Berlin");
        /* build gives back the same object */
        json_t *b = fp_wire_facts_build(&f);
        CHECK(json_equal(b, v));
        json_decref(b);
        fp_facts_release(&f);
        json_decref(v);

        /* only the hostname is required */
        char fld[FP_DIAG_FIELD_MAX];
        CHECK_INT_EQ(facts_text("{\"hostname\":\"h\"}", fld, sizeof(fld)), FP_OK);
        FACTS_BAD("{}", FP_EPARSE, "facts.hostname");
        FACTS_BAD("{\"hostname\":\"\"}", FP_EPARSE, "facts.hostname");
        FACTS_BAD("[]", FP_EPARSE, "facts");
        FACTS_BAD("{\"hostname\":\"h\",\"shell\":\"rm -rf /\"}", FP_EPARSE, "facts.shell");
        FACTS_BAD("{\"hostname\":\"h\",\"os_id\":1}", FP_EPARSE, "facts.os_id");
        FACTS_BAD("{\"hostname\":\"h\",\"os_id\":null}", FP_EPARSE, "facts.os_id");
        FACTS_BAD("{\"hostname\":\"a\\tb\"}", FP_EPARSE, "facts.hostname");
        FACTS_BAD("{\"hostname\":\"a\\nb\"}", FP_EPARSE, "facts.hostname");
        FACTS_BAD("{\"hostname\":\"h\",\"kernels_installed\":\"6.1\"}", FP_EPARSE,
                  "facts.kernels_installed");
        FACTS_BAD("{\"hostname\":\"h\",\"kernels_installed\":[\"6.1\",2]}", FP_EPARSE,
                  "facts.kernels_installed[1]");
        FACTS_BAD("{\"hostname\":\"h\",\"kernels_installed\":[\"\"]}", FP_EPARSE,
                  "facts.kernels_installed[0]");
        FACTS_BAD("{\"hostname\":\"h\",\"cloud\":[]}", FP_EPARSE, "facts.cloud");
        FACTS_BAD("{\"hostname\":\"h\",\"cloud\":{\"provider\":\"aws\",\"secret\":\"x\"}}",
                  FP_EPARSE, "facts.cloud.secret");
        FACTS_BAD("{\"hostname\":\"h\",\"cloud\":{\"zone\":false}}", FP_EPARSE, "facts.cloud.zone");
        /* time zones: IANA names only, never a path out of zoneinfo */
        static const char *const good_tz[] = {"UTC", "Europe/Berlin", "Etc/GMT+1",
                                              "America/Argentina/Buenos_Aires", "EST5EDT"};
        static const char *const bad_tz[] = {"/etc/passwd",
                                             "../../etc/passwd",
                                             "Europe/../x",
                                             "Europe//Berlin",
                                             "Europe/",
                                             "Europe/Ber lin",
                                             "",
                                             ".hidden"};
        for (size_t i = 0; i < sizeof(good_tz) / sizeof(good_tz[0]); i++) {
                json_t *fj = json_pack("{s:s,s:s}", "hostname", "h", "timezone", good_tz[i]);
                CHECK_MSG(fp_wire_facts_parse(fj, &f, &d) == FP_OK, "tz %s refused", good_tz[i]);
                fp_facts_release(&f);
                json_decref(fj);
        }
        for (size_t i = 0; i < sizeof(bad_tz) / sizeof(bad_tz[0]); i++) {
                json_t *fj = json_pack("{s:s,s:s}", "hostname", "h", "timezone", bad_tz[i]);
                CHECK_MSG(fp_wire_facts_parse(fj, &f, &d) == FP_EPARSE, "tz %s accepted",
                          bad_tz[i]);
                CHECK_STR_EQ(d.field, "facts.timezone");
                fp_facts_release(&f);
                json_decref(fj);
        }
        CHECK_INT_EQ(fp_wire_facts_parse(NULL, &f, NULL), FP_EPARSE);
        fp_facts_release(&f);

        /* a facts struct filled by hand (as the agent does) builds without NULL members */
        struct fp_facts mine = {.hostname = "x", .arch = "aarch64", .cloud_region = "r"};
        b = fp_wire_facts_build(&mine);
        CHECK(json_object_size(b) == 3);
        CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(b, "cloud"), "region")),
                     "r");
        json_decref(b);
}

int main(void)
{
        test_hash_known();
        test_round_trip();
        test_kernels_and_order();
        test_inventory_malformed();
        test_string_limits();
        test_count_limits();
        test_facts();
        return fp_test_finish();
}
