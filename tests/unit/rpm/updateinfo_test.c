/*
 * fp_updateinfo_parser: advisories as dnf reads them. The real AlmaLinux errata records of the
 * shared data (vuln-list JSON) are rendered as updateinfo.xml and must come back package for
 * package; plus malformed input and limits.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "test.h"

struct seen {
        size_t n;
        struct fp_buf all;
};

static enum fp_err cb(void *ud, const struct fp_advisory_pkg *a, struct fp_diag *diag)
{
        struct seen *s = ud;
        s->n++;
        return fp_buf_addf(&s->all, "%s %s %s %s-%s:%s-%s.%s\n", a->advisory, a->type, a->severity,
                           a->name, a->epoch, a->version, a->release, a->arch);
}

static enum fp_err parse(const char *xml, size_t len, struct seen *s, struct fp_diag *d)
{
        struct fp_updateinfo_parser *p = NULL;
        enum fp_err err;

        s->n = 0;
        fp_buf_reset(&s->all);
        fp_diag_clear(d);
        err = fp_updateinfo_parser_new("updateinfo.xml", cb, s, &p);
        if (err == FP_OK)
                err = fp_updateinfo_parser_feed(p, xml, len, true, d);
        fp_updateinfo_parser_free(p);
        return err;
}

/* A vuln-list AlmaLinux record -> updateinfo.xml (as AlmaLinux's repos publish it) and the
 * lines the parser must report. */
static void check_alma(const char *rel)
{
        json_error_t je;
        json_t *j = json_load_file(fp_test_shared_path(rel), 0, &je);
        struct fp_buf xml, want;
        struct seen s;
        struct fp_diag d;
        size_t i;
        json_t *pkg;

        CHECK_MSG(j != NULL, "%s: %s", rel, je.text);
        if (!j)
                return;
        fp_buf_init(&xml, 1 << 24);
        fp_buf_init(&want, 1 << 24);
        fp_buf_init(&s.all, 1 << 24);
        const char *id = json_string_value(json_object_get(j, "updateinfo_id"));
        const char *type = json_string_value(json_object_get(j, "type"));
        const char *sev = json_string_value(json_object_get(j, "severity"));
        fp_buf_addf(&xml,
                    "<?xml version=\"1.0\"?>\n<updates>\n<update type=\"%s\" status=\"final\">"
                    "<id>%s</id><severity>%s</severity><pkglist><collection><name>c</name>\n",
                    type, id, sev ? sev : "");
        json_array_foreach(json_object_get(json_object_get(j, "pkglist"), "packages"), i, pkg)
        {
                const char *n = json_string_value(json_object_get(pkg, "name"));
                const char *e = json_string_value(json_object_get(pkg, "epoch"));
                const char *v = json_string_value(json_object_get(pkg, "version"));
                const char *r = json_string_value(json_object_get(pkg, "release"));
                const char *a = json_string_value(json_object_get(pkg, "arch"));
                fp_buf_addf(&xml,
                            "<package name=\"%s\" epoch=\"%s\" version=\"%s\" release=\"%s\" "
                            "arch=\"%s\"><filename>f</filename></package>\n",
                            n, e, v, r, a);
                fp_buf_addf(&want, "%s %s %s %s-%s:%s-%s.%s\n", id, type, sev ? sev : "", n, e, v,
                            r, a);
        }
        fp_buf_addstr(&xml, "</collection></pkglist></update>\n</updates>\n");
        CHECK_INT_EQ(parse(xml.ptr, xml.len, &s, &d), FP_OK);
        CHECK_MSG(s.n > 0, "%s: no packages", rel);
        CHECK_STR_EQ(fp_buf_str(&s.all), fp_buf_str(&want));
        fp_buf_release(&xml);
        fp_buf_release(&want);
        fp_buf_release(&s.all);
        json_decref(j);
}

int main(void)
{
        struct seen s;
        struct fp_diag d;
        const char *ui =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<updates>\n"
            "<update from=\"x\" status=\"stable\" type=\"security\" version=\"2.0\">\n"
            "<id>FEDORA-2024-1</id><title>t</title><severity>Important</severity>\n"
            "<references><reference href=\"h\" id=\"CVE-1\" type=\"cve\"/></references>\n"
            "<description>d &amp; d</description>\n"
            "<pkglist><collection short=\"F40\"><name>Fedora 40</name>\n"
            "<module name=\"m\" stream=\"s\" version=\"1\" context=\"c\" arch=\"x86_64\"/>\n"
            "<package name=\"bash\" version=\"5.2\" release=\"1.fc40\" epoch=\"0\" arch=\"x86_64\""
            " src=\"bash.src.rpm\"><filename>bash.rpm</filename><sum type=\"sha256\">0</sum>"
            "</package>\n"
            "<package name=\"tzdata\" version=\"2024a\" release=\"1\" arch=\"noarch\"/>\n"
            "</collection></pkglist></update>\n"
            "<update type=\"bugfix\"><pkglist><collection><package name=\"x\" version=\"1\" "
            "release=\"1\" arch=\"x86_64\"/></collection></pkglist><id>B-1</id></update>\n"
            "</updates>\n";

        fp_buf_init(&s.all, 1 << 20);
        CHECK_INT_EQ(parse(ui, strlen(ui), &s, &d), FP_OK);
        CHECK_STR_EQ(fp_buf_str(&s.all),
                     "FEDORA-2024-1 security Important bash-0:5.2-1.fc40.x86_64\n"
                     "FEDORA-2024-1 security Important tzdata-0:2024a-1.noarch\n"
                     "B-1 bugfix  x-0:1-1.x86_64\n");

        /* bad input names the line and field */
        const char *noid = "<updates>\n<update type=\"security\"><pkglist/></update></updates>";
        CHECK_INT_EQ(parse(noid, strlen(noid), &s, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "id");
        const char *noarch = "<updates><update type=\"security\"><id>a</id><pkglist><collection>\n"
                             "<package name=\"a\" version=\"1\"/></collection></pkglist></update>"
                             "</updates>";
        CHECK_INT_EQ(parse(noarch, strlen(noarch), &s, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "package@arch");
        CHECK_INT_EQ(d.line, 2);
        CHECK_INT_EQ(parse(ui, strlen(ui) - 40, &s, &d), FP_EPARSE);
        CHECK_INT_EQ(parse("<updates><update>", 17, &s, &d), FP_EPARSE);
        CHECK_INT_EQ(parse("<metadata/>", 11, &s, &d), FP_EPARSE);

        check_alma("rpm-advisories/vuln-list/alma/9/2022/ALSA-2022:8194.json");
        check_alma("rpm-advisories/vuln-list/alma/8/2024/ALSA-2024:0012.json");
        check_alma("rpm-advisories/vuln-list/alma/10/2025/ALSA-2025:10073.json");
        fp_buf_release(&s.all);
        return fp_test_finish();
}
