/*
 * fp_dnf_repodir_load on repositories written here: plain and gzip primary, updateinfo, and the
 * bad cases — checksum mismatch, repomd pointing to a missing file, truncated gzip, unknown
 * compression, malformed XML — each an error naming the file (and line or field).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/inventory/rpm_inventory.h"
#include "core/rpm/rpm.h"
#include "test.h"

static char dir[] = "/tmp/fp-repodir-XXXXXX";

static const char primary[] = "<?xml version=\"1.0\"?>\n<metadata packages=\"2\">\n"
                              "<package type=\"rpm\"><name>a</name><arch>noarch</arch>"
                              "<version epoch=\"0\" ver=\"1\" rel=\"1\"/></package>\n"
                              "<package type=\"rpm\"><name>b</name><arch>x86_64</arch>"
                              "<version epoch=\"2\" ver=\"1\" rel=\"1\"/></package>\n"
                              "</metadata>\n";
static const char updateinfo[] =
    "<updates><update type=\"security\"><id>S-1</id><pkglist><collection>"
    "<package name=\"b\" version=\"1\" release=\"1\" epoch=\"2\" arch=\"x86_64\"/>"
    "</collection></pkglist></update></updates>\n";

static void write_file(const char *name, const void *data, size_t len)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/repodata/%s", dir, name);
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (!f)
                return;
        fwrite(data, 1, len, f);
        fclose(f);
}

static void sha(const void *data, size_t len, char out[65])
{
        struct fp_sha256 s;
        fp_sha256_init(&s);
        fp_sha256_update(&s, data, len);
        fp_sha256_final_hex(&s, out);
}

/* gzip of data into *out (malloc'd). */
static size_t gzip(const char *data, size_t len, unsigned char **out)
{
        z_stream z = {0};
        size_t cap = len + 128;
        *out = malloc(cap);
        deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (unsigned char *)data;
        z.avail_in = (unsigned)len;
        z.next_out = *out;
        z.avail_out = (unsigned)cap;
        deflate(&z, Z_FINISH);
        size_t n = z.total_out;
        deflateEnd(&z);
        return n;
}

/* repomd.xml naming primary (and optionally updateinfo) with the given checksums. */
static void write_repomd(const char *phref, const char *psum, const char *uhref, const char *usum)
{
        char buf[2048];
        int n = snprintf(buf, sizeof(buf),
                         "<?xml version=\"1.0\"?>\n<repomd>\n"
                         "<data type=\"primary\">\n<checksum type=\"sha256\">%s</checksum>\n"
                         "<location href=\"repodata/%s\"/>\n</data>\n",
                         psum, phref);
        if (uhref)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n,
                              "<data type=\"updateinfo\"><checksum type=\"sha256\">%s</checksum>"
                              "<location href=\"repodata/%s\"/></data>\n",
                              usum, uhref);
        snprintf(buf + n, sizeof(buf) - (size_t)n, "</repomd>\n");
        write_file("repomd.xml", buf, strlen(buf));
}

struct counts {
        int pkgs, advs;
};

static enum fp_err on_pkg(void *ud, const struct fp_rpm_pkg *p, struct fp_diag *d)
{
        ((struct counts *)ud)->pkgs++;
        return FP_OK;
}

static enum fp_err on_adv(void *ud, const struct fp_advisory_pkg *a, struct fp_diag *d)
{
        ((struct counts *)ud)->advs++;
        return FP_OK;
}

static enum fp_err load(struct counts *c, struct fp_diag *d)
{
        memset(c, 0, sizeof(*c));
        fp_diag_clear(d);
        return fp_dnf_repodir_load(dir, on_pkg, on_adv, c, d);
}

int main(void)
{
        struct counts c;
        struct fp_diag d;
        char psum[65], usum[65], path[512];
        unsigned char *gz;
        size_t gzlen;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/repodata", dir);
        mkdir(path, 0755);

        /* plain primary + updateinfo */
        write_file("p.xml", primary, strlen(primary));
        write_file("u.xml", updateinfo, strlen(updateinfo));
        sha(primary, strlen(primary), psum);
        sha(updateinfo, strlen(updateinfo), usum);
        write_repomd("p.xml", psum, "u.xml", usum);
        CHECK_INT_EQ(load(&c, &d), FP_OK);
        CHECK_INT_EQ(c.pkgs, 2);
        CHECK_INT_EQ(c.advs, 1);

        /* gzip primary */
        gzlen = gzip(primary, strlen(primary), &gz);
        write_file("p.xml.gz", gz, gzlen);
        sha(gz, gzlen, psum);
        write_repomd("p.xml.gz", psum, NULL, NULL);
        CHECK_INT_EQ(load(&c, &d), FP_OK);
        CHECK_INT_EQ(c.pkgs, 2);

        /* checksum mismatch: names the file, the field and repomd's line */
        write_repomd("p.xml.gz", usum, NULL, NULL);
        CHECK_INT_EQ(load(&c, &d), FP_ECORRUPT);
        CHECK(strstr(d.file, "p.xml.gz") != NULL);
        CHECK_STR_EQ(d.field, "checksum");
        CHECK(strstr(d.msg, "repomd.xml line 3") != NULL);
        CHECK_INT_EQ(c.pkgs, 0); /* nothing reported from unverified data */

        /* truncated gzip (its checksum matches, so the decompressor must notice) */
        write_file("t.xml.gz", gz, gzlen / 2);
        sha(gz, gzlen / 2, psum);
        write_repomd("t.xml.gz", psum, NULL, NULL);
        CHECK(load(&c, &d) != FP_OK);
        CHECK(strstr(d.file, "t.xml.gz") != NULL);

        /* corrupt gzip body */
        gz[gzlen / 2] ^= 0xff;
        gz[gzlen / 2 + 1] ^= 0xff;
        write_file("c.xml.gz", gz, gzlen);
        sha(gz, gzlen, psum);
        write_repomd("c.xml.gz", psum, NULL, NULL);
        CHECK(load(&c, &d) != FP_OK);
        CHECK(strstr(d.file, "c.xml.gz") != NULL);
        free(gz);

        /* unknown compression (bzip2 magic) */
        write_file("p.xml.bz2", "BZh91AY&SY garbage", 18);
        sha("BZh91AY&SY garbage", 18, psum);
        write_repomd("p.xml.bz2", psum, NULL, NULL);
        CHECK_INT_EQ(load(&c, &d), FP_EUNSUPPORTED);
        CHECK(strstr(d.file, "p.xml.bz2") != NULL);

        /* repomd pointing to a missing file */
        write_repomd("missing.xml.gz", psum, NULL, NULL);
        CHECK_INT_EQ(load(&c, &d), FP_ENOENT);
        CHECK(strstr(d.file, "missing.xml.gz") != NULL);
        CHECK(strstr(d.msg, "repomd.xml line 3") != NULL);

        /* malformed XML in the primary: file and line */
        const char *bad = "<metadata>\n<package><name>a</name>\n<arch>x</arch\n</metadata>";
        write_file("bad.xml", bad, strlen(bad));
        sha(bad, strlen(bad), psum);
        write_repomd("bad.xml", psum, NULL, NULL);
        CHECK_INT_EQ(load(&c, &d), FP_EPARSE);
        CHECK(strstr(d.file, "bad.xml") != NULL);
        CHECK_INT_EQ(d.line, 4);

        /* no primary at all */
        write_file("repomd.xml", "<repomd/>", 9);
        CHECK_INT_EQ(load(&c, &d), FP_EPARSE);
        CHECK(strstr(d.file, "repomd.xml") != NULL);

        /* no repodata */
        snprintf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
        unlink(path);
        CHECK_INT_EQ(load(&c, &d), FP_ENOENT);

        const char *names[] = {"p.xml",    "u.xml",     "p.xml.gz", "t.xml.gz",
                               "c.xml.gz", "p.xml.bz2", "bad.xml"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/repodata/%s", dir, names[i]);
                unlink(path);
        }
        snprintf(path, sizeof(path), "%s/repodata", dir);
        rmdir(path);
        rmdir(dir);
        return fp_test_finish();
}
