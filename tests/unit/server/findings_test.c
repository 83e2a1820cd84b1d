/* The server's findings engine (src/server/findings.c) against a real vulnerability database:
 * what agents name cannot crowd out the releases the database knows. */
#include "fleetpatch/wire.h"
#include "server/server.h"
#include "vuln/vtest.h"

/* The findings of a one-package host ("foo" at version) of debian/release; NULL on failure. */
static json_t *judge(struct fp_findings_engine *e, const char *release, const char *version)
{
        struct fp_inventory inv;
        vt_inv_init(&inv, "deb", "debian", release);
        vt_pkg(&inv, "foo", "amd64", version, "foo", version);
        json_t *doc = fp_wire_inventory_build(&inv, NULL);
        fp_inventory_release(&inv);
        struct fp_wire_inventory w;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (!doc || fp_wire_inventory_parse(doc, &w, &d) != FP_OK) {
                CHECK_MSG(false, "inventory of %s: %s", release, d.msg);
                json_decref(doc);
                return NULL;
        }
        json_decref(doc);
        struct fp_host_counts c;
        json_t *list = fp_findings_judge(e, &w, "h1", "{}", &c, NULL, &d);
        fp_wire_inventory_release(&w);
        return list;
}

int main(void)
{
        struct fp_vulndb *db = vt_db_open();
        struct fp_vuln_affected aff[] = {{.distro = "debian",
                                          .release = "bookworm",
                                          .package = "foo",
                                          .source = true,
                                          .state = FP_VS_AFFECTED,
                                          .fixed = "1.2-4"}};
        struct fp_vuln_advisory adv[] = {
            {.id = "CVE-2024-2001", .cvss_score = -1, .affected = aff, .naffected = 1}};
        CHECK_INT_EQ(vt_import(db, "t", adv, 1, NULL, 0, NULL), FP_OK);
        char path[512];
        snprintf(path, sizeof(path), "%s/vuln.db", vt_dir);
        struct fp_findings_engine *e = NULL;
        CHECK_INT_EQ(fp_findings_engine_open(path, &e), FP_OK);
        if (!e)
                return fp_test_finish();

        /* Far more made-up releases than the engine keeps indexes for (64), as an agent of
         * any account could send: each has no findings... */
        for (int i = 0; i < 100; i++) {
                char rel[32];
                snprintf(rel, sizeof(rel), "made-up-%d", i);
                json_t *list = judge(e, rel, "1.2-3");
                CHECK_MSG(list && json_array_size(list) == 0, "%s: %zu findings", rel,
                          list ? json_array_size(list) : (size_t)0);
                json_decref(list);
        }
        /* ...and the release the database knows, seen only now, is still judged by it. */
        json_t *list = judge(e, "bookworm", "1.2-3");
        CHECK_MSG(list && json_array_size(list) == 1, "bookworm after made-up releases: %zu findings",
                  list ? json_array_size(list) : (size_t)0);
        CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(list, 0), "vuln")),
                     "CVE-2024-2001");
        json_decref(list);
        list = judge(e, "bookworm", "1.2-4"); /* the fixed version: none */
        CHECK_MSG(list && json_array_size(list) == 0, "fixed version still listed");
        json_decref(list);

        fp_findings_engine_close(e);
        vt_db_close(db);
        return fp_test_finish();
}
