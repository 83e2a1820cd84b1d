/* The streaming reader: every compression round-trips line by line; damage is reported. */
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <stdbool.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"
#include <unistd.h>

#include "test.h"

/* Deterministic text with lines of many lengths, some longer than a reader chunk. */
static char *make_text(size_t *len)
{
        struct fp_buf b;
        unsigned seed = 12345;

        fp_buf_init(&b, 64 * 1024 * 1024);
        for (int i = 0; i < 20000; i++) {
                seed = seed * 1103515245u + 12345u;
                size_t n = (seed >> 16) % 200;
                if (i % 997 == 0)
                        n = 40000 + (seed % 20000); /* often spans a 64 KiB chunk */
                fp_buf_addf(&b, "%d:", i);
                for (size_t k = 0; k < n; k++)
                        fp_buf_addc(&b, (char)('a' + (k + i) % 26));
                fp_buf_addc(&b, '\n');
        }
        *len = b.len;
        return fp_buf_take(&b);
}

static unsigned char *gzip_buf(const char *in, size_t len, size_t *outlen)
{
        z_stream z;
        size_t cap = compressBound(len) + 64;
        unsigned char *out = malloc(cap);
        memset(&z, 0, sizeof(z));
        deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (unsigned char *)in;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        deflate(&z, Z_FINISH);
        *outlen = z.total_out;
        deflateEnd(&z);
        return out;
}

static unsigned char *xz_buf(const char *in, size_t len, size_t *outlen)
{
        size_t cap = lzma_stream_buffer_bound(len), pos = 0;
        unsigned char *out = malloc(cap);
        lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, (const uint8_t *)in, len, out, &pos,
                                cap);
        *outlen = pos;
        return out;
}

static unsigned char *lz4_buf(const char *in, size_t len, size_t *outlen)
{
        size_t cap = LZ4F_compressFrameBound(len, NULL);
        unsigned char *out = malloc(cap);
        *outlen = LZ4F_compressFrame(out, cap, in, len, NULL);
        return out;
}

static unsigned char *zstd_buf(const char *in, size_t len, size_t *outlen)
{
        size_t cap = ZSTD_compressBound(len);
        unsigned char *out = malloc(cap);
        *outlen = ZSTD_compress(out, cap, in, len, 3);
        return out;
}

/* Read all lines; compare with the original text. Returns the error of the read. */
static enum fp_err read_lines_equal(const void *data, size_t len, const char *name,
                                    const char *expect, size_t expect_len, bool *equal,
                                    struct fp_diag *diag)
{
        struct fp_reader *r = NULL;
        enum fp_err err = fp_reader_open_mem(data, len, name, &r, diag);
        size_t pos = 0;

        *equal = false;
        if (err)
                return err;
        for (;;) {
                const char *line;
                size_t n;
                err = fp_reader_getline(r, &line, &n, diag);
                if (err || !line)
                        break;
                if (pos + n > expect_len || memcmp(expect + pos, line, n) != 0)
                        goto out;
                pos += n;
                if (pos < expect_len && expect[pos] == '\n')
                        pos++;
        }
        *equal = !err && pos == expect_len;
out:
        fp_reader_free(r);
        return err;
}

typedef unsigned char *(*compress_fn)(const char *, size_t, size_t *);

static void test_roundtrips(void)
{
        size_t len;
        char *text = make_text(&len);
        struct {
                const char *name;
                compress_fn fn;
                enum fp_compression comp;
        } kinds[] = {
                {"Packages.gz", gzip_buf, FP_COMP_GZIP},
                {"Packages.xz", xz_buf, FP_COMP_XZ},
                {"Packages.lz4", lz4_buf, FP_COMP_LZ4},
                {"Packages.zst", zstd_buf, FP_COMP_ZSTD},
        };
        bool eq;
        struct fp_diag diag;

        CHECK_INT_EQ(read_lines_equal(text, len, "Packages", text, len, &eq, &diag), FP_OK);
        CHECK(eq);
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                size_t clen;
                unsigned char *c = kinds[i].fn(text, len, &clen);
                struct fp_reader *r = NULL;

                CHECK_INT_EQ(fp_reader_open_mem(c, clen, kinds[i].name, &r, &diag), FP_OK);
                if (r)
                        CHECK_INT_EQ(fp_reader_compression(r), kinds[i].comp);
                fp_reader_free(r);
                CHECK_INT_EQ(read_lines_equal(c, clen, kinds[i].name, text, len, &eq, &diag),
                             FP_OK);
                CHECK_MSG(eq, "%s: content differs", kinds[i].name);

                /* Truncated anywhere: an error, never a silent short answer. */
                size_t cuts[] = {clen - 1, clen / 2, 20};
                for (size_t k = 0; k < 3; k++) {
                        fp_diag_clear(&diag);
                        enum fp_err err = read_lines_equal(c, cuts[k], kinds[i].name, text, len,
                                                           &eq, &diag);
                        CHECK_MSG(err == FP_ECORRUPT, "%s cut at %zu: got %s (%s)", kinds[i].name,
                                  cuts[k], fp_errname(err), diag.msg);
                        CHECK(strstr(diag.file, kinds[i].name) != NULL);
                }
                /* A flipped byte in the middle: corrupt (gzip/xz/lz4/zstd all carry checks). */
                unsigned char *bad = malloc(clen);
                memcpy(bad, c, clen);
                bad[clen / 2] ^= 0x55;
                enum fp_err err = read_lines_equal(bad, clen, kinds[i].name, text, len, &eq, &diag);
                CHECK_MSG(err != FP_OK || !eq, "%s: corruption went unnoticed", kinds[i].name);
                free(bad);

                /* Two concatenated streams read as one, like zcat/xzcat do. */
                unsigned char *two = malloc(2 * clen);
                memcpy(two, c, clen);
                memcpy(two + clen, c, clen);
                char *text2 = malloc(2 * len);
                memcpy(text2, text, len);
                memcpy(text2 + len, text, len);
                CHECK_INT_EQ(read_lines_equal(two, 2 * clen, kinds[i].name, text2, 2 * len, &eq,
                                              &diag),
                             FP_OK);
                CHECK_MSG(eq, "%s: concatenated streams differ", kinds[i].name);
                free(two);
                free(text2);
                free(c);
        }
        free(text);
}

static void test_edges(void)
{
        struct fp_reader *r = NULL;
        struct fp_diag diag;
        const char *line;
        size_t n;

        /* Empty input: no lines. */
        CHECK_INT_EQ(fp_reader_open_mem("", 0, "empty", &r, &diag), FP_OK);
        CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_OK);
        CHECK(line == NULL);
        fp_reader_free(r);

        /* Last line without newline; CR kept; line numbers count. */
        const char *t = "a\r\n\nlast";
        CHECK_INT_EQ(fp_reader_open_mem(t, strlen(t), "t", &r, &diag), FP_OK);
        CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_OK);
        CHECK(n == 2 && memcmp(line, "a\r", 2) == 0);
        CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_OK);
        CHECK(line && n == 0);
        CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_OK);
        CHECK(line && n == 4 && strcmp(line, "last") == 0);
        CHECK_INT_EQ(fp_reader_lineno(r), 3);
        CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_OK);
        CHECK(line == NULL);
        fp_reader_free(r);

        /* NUL inside a line is an error with the line number. */
        const char nul[] = "ok\nba\0d\n";
        CHECK_INT_EQ(fp_reader_open_mem(nul, sizeof(nul) - 1, "nul", &r, &diag), FP_OK);
        CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_OK);
        CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_EPARSE);
        CHECK_INT_EQ(diag.line, 2);
        fp_reader_free(r);

        /* A line of exactly FP_MAX_LINE_LEN bytes is fine, one more is a limit error. */
        for (int extra = 0; extra <= 1; extra++) {
                size_t len = FP_MAX_LINE_LEN + (size_t)extra;
                char *big = malloc(len + 2);
                memset(big, 'x', len);
                big[len] = '\n';
                /* Offset the line so it spans a chunk boundary, the slow path. */
                char *buf = malloc(len + 100);
                memset(buf, 'y', 99);
                buf[99] = '\n';
                memcpy(buf + 100, big, len);
                CHECK_INT_EQ(fp_reader_open_mem(buf, len + 100, "big", &r, &diag), FP_OK);
                CHECK_INT_EQ(fp_reader_getline(r, &line, &n, &diag), FP_OK);
                enum fp_err err = fp_reader_getline(r, &line, &n, &diag);
                CHECK_INT_EQ(err, extra ? FP_ELIMIT : FP_OK);
                if (!extra)
                        CHECK_INT_EQ(n, FP_MAX_LINE_LEN);
                else
                        CHECK(strstr(diag.msg, "FP_MAX_LINE_LEN") != NULL);
                fp_reader_free(r);
                free(buf);
                free(big);
        }

        /* Unsupported and mislabelled compression. */
        CHECK_INT_EQ(fp_reader_open_mem("BZh91AY&SY", 10, "Packages.bz2", &r, &diag),
                     FP_EUNSUPPORTED);
        CHECK(strstr(diag.msg, "bzip2") != NULL);
        CHECK_INT_EQ(fp_reader_open_mem("Package: a\n", 11, "Packages.gz", &r, &diag),
                     FP_EUNSUPPORTED);
        CHECK(strstr(diag.file, "Packages.gz") != NULL);

        /* Missing file. */
        CHECK_INT_EQ(fp_reader_open("/nonexistent/fleetpatch/Packages", &r, &diag), FP_ENOENT);
        CHECK(strstr(diag.msg, "cannot open") != NULL);
}

static void test_read_file(void)
{
        char path[] = "/tmp/fp-reader-test-XXXXXX";
        int fd = mkstemp(path);
        char *data = NULL;
        size_t len = 0;
        struct fp_diag diag;

        CHECK(fd >= 0);
        CHECK(write(fd, "hello\nworld\n", 12) == 12);
        close(fd);
        CHECK_INT_EQ(fp_read_file(path, 12, &data, &len, &diag), FP_OK);
        CHECK(data && len == 12 && strcmp(data, "hello\nworld\n") == 0);
        free(data);
        data = NULL;
        CHECK_INT_EQ(fp_read_file(path, 11, &data, &len, &diag), FP_ELIMIT);
        CHECK(data == NULL);
        unlink(path);
}

/* The real Debian 12 main index (gzip, 50 MB plain, a 75,649-byte line) reads without error. */
static void test_real_packages(void)
{
        const char *d = getenv("FP_SHARED_DATA");
        char path[4096];
        struct fp_reader *r = NULL;
        struct fp_diag diag;
        const char *line;
        size_t n, longest = 0, stanzas = 0;
        enum fp_err err;

        if (!d || access(d, R_OK) != 0) {
                fprintf(stderr, "note: shared data missing, real Packages check not run\n");
                return;
        }
        snprintf(path, sizeof(path), "%s/apt/Packages_bookworm_main_binary-amd64.gz", d);
        CHECK_INT_EQ(fp_reader_open(path, &r, &diag), FP_OK);
        if (!r)
                return;
        while ((err = fp_reader_getline(r, &line, &n, &diag)) == FP_OK && line) {
                if (n > longest)
                        longest = n;
                stanzas += strncmp(line, "Package: ", 9) == 0;
        }
        CHECK_MSG(err == FP_OK, "%s:%lu: %s", diag.file, diag.line, diag.msg);
        CHECK_INT_EQ(stanzas, 63440); /* the count the data README gives */
        CHECK(longest > 64 * 1024 && longest <= FP_MAX_LINE_LEN);
        fp_reader_free(r);
}

int main(void)
{
        test_real_packages();
        test_roundtrips();
        test_edges();
        test_read_file();
        return fp_test_finish();
}
