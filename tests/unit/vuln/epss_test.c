/* fp_feed_parse_epss: the FIRST EPSS scores CSV. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "feedtest.h"
#include "test.h"

struct col {
        size_t n;
        char first_cve[32], last_cve[32];
        double sum_epss;
        double epss_44228, pct_44228;
        size_t rejects;
        char reject_id[64];
        struct fp_diag reject;
        char meta[256];
        bool in_range; /* every score so far was in [0, 1] */
};

static enum fp_err on_epss(void *ud, const struct fp_epss_entry *e)
{
        struct col *c = ud;
        if (c->n == 0)
                snprintf(c->first_cve, sizeof(c->first_cve), "%s", e->cve);
        snprintf(c->last_cve, sizeof(c->last_cve), "%s", e->cve);
        c->n++;
        c->sum_epss += e->epss;
        if (strcmp(e->cve, "CVE-2021-44228") == 0) {
                c->epss_44228 = e->epss;
                c->pct_44228 = e->percentile;
        }
        if (!(e->epss >= 0 && e->epss <= 1 && e->percentile >= 0 && e->percentile <= 1))
                c->in_range = false;
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct col *c = ud;
        c->rejects++;
        snprintf(c->reject_id, sizeof(c->reject_id), "%s", id);
        c->reject = *why;
}

static void on_meta(void *ud, const char *key, const char *value)
{
        struct col *c = ud;
        ft_meta_append(c->meta, sizeof(c->meta), key, value);
}

static enum fp_err parse_n(struct col *c, const char *data, size_t len, struct fp_diag *d)
{
        struct fp_feed_sink sink = {.ud = c, .epss = on_epss, .reject = on_reject, .meta = on_meta};
        memset(c, 0, sizeof(*c));
        c->in_range = true;
        return fp_feed_parse_epss(data, len, "epss-test", &sink, d);
}

static enum fp_err parse(struct col *c, const char *s, struct fp_diag *d)
{
        return parse_n(c, s, strlen(s), d);
}

static void check_sample(const struct col *c)
{
        CHECK_INT_EQ(c->n, 48);
        CHECK_INT_EQ(c->rejects, 0);
        CHECK(c->in_range);
        CHECK_STR_EQ(c->meta, "model_version=v2023.03.01;score_date=2024-05-01T00:00:00Z;");
        CHECK_STR_EQ(c->first_cve, "CVE-2010-0840");
        CHECK(fabs(c->epss_44228 - 0.97565) < 1e-12);
        CHECK(fabs(c->pct_44228 - 0.99996) < 1e-12);
}

static unsigned char *gzip_buf(const char *in, size_t len, size_t *outlen)
{
        z_stream z;
        size_t cap = compressBound((uLong)len) + 64;
        unsigned char *out = malloc(cap);
        memset(&z, 0, sizeof(z));
        CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        z.next_in = (unsigned char *)in;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
        *outlen = z.total_out;
        deflateEnd(&z);
        return out;
}

/* The sample file, and the same bytes gzip'd, written out and read back through fp_reader. */
static void test_sample(void)
{
        struct col c;
        struct fp_diag d;
        char *data, *back;
        size_t len, backlen, gzlen;

        CHECK_INT_EQ(fp_read_file(fp_test_data_path("epss/epss_scores-2024-05-01.csv"),
                                  FP_MAX_FEED_SIZE, &data, &len, &d),
                     FP_OK);
        CHECK_INT_EQ(parse_n(&c, data, len, &d), FP_OK);
        check_sample(&c);

        unsigned char *gz = gzip_buf(data, len, &gzlen);
        char path[] = "/tmp/fp-epss-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0 && write(fd, gz, gzlen) == (ssize_t)gzlen);
        close(fd);
        CHECK_INT_EQ(fp_read_file(path, FP_MAX_FEED_SIZE, &back, &backlen, &d), FP_OK);
        unlink(path);
        CHECK(backlen == len && memcmp(back, data, len) == 0);
        CHECK_INT_EQ(parse_n(&c, back, backlen, &d), FP_OK);
        check_sample(&c);
        /* Handed the compressed bytes by mistake: refused, not misread. */
        CHECK(parse_n(&c, (const char *)gz, gzlen, &d) != FP_OK);
        CHECK_INT_EQ(c.n, 0);
        free(back);
        free(gz);

        /* Truncated: the last row cut before its percentile. */
        const char *last = data + len - 2;
        while (*last != ',')
                last--;
        CHECK_INT_EQ(parse_n(&c, data, (size_t)(last - data), &d), FP_ECORRUPT);
        CHECK_INT_EQ(d.line, 50);
        CHECK(strstr(d.msg, "truncated") != NULL);
        /* Cut at a line end: undetectable, a shorter list. */
        CHECK_INT_EQ(parse_n(&c, data, len - 1, &d), FP_OK);
        CHECK_INT_EQ(c.n, 48);
        free(data);
}

/* n generated rows; the time taken (CPU seconds) through *secs. */
static char *generate(size_t n, size_t *len)
{
        struct fp_buf b;
        fp_buf_init(&b, SIZE_MAX);
        fp_buf_addstr(&b, "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00+0000\n"
                          "cve,epss,percentile\n");
        for (size_t i = 0; i < n; i++)
                fp_buf_addf(&b, "CVE-%zu-%05zu,%.5f,%.5f\n", 1999 + i / 100000, i % 100000,
                            (double)(i % 1000) / 1000.0, (double)i / (double)n);
        *len = b.len;
        return fp_buf_take(&b);
}

static double timed_parse(const char *data, size_t len, size_t want)
{
        struct col c;
        struct fp_diag d;
        clock_t t0 = clock();
        CHECK_INT_EQ(parse_n(&c, data, len, &d), FP_OK);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK_INT_EQ(c.n, want);
        CHECK_INT_EQ(c.rejects, 0);
        CHECK_STR_EQ(c.meta, "model_version=v2025.03.14;score_date=2025-08-25T12:55:00Z;");
        return secs;
}

static void test_large(void)
{
        size_t small_len, big_len, gzlen;
        char *small = generate(30000, &small_len);
        char *big = generate(300000, &big_len);
        struct fp_diag d;

        double ts = timed_parse(small, small_len, 30000);
        double tb = timed_parse(big, big_len, 300000);
        fprintf(stderr, "30k rows: %.3f s, 300k rows: %.3f s\n", ts, tb);
        /* Ten times the rows: linear is ~10x; allow noise, but not n log n gone wrong or n^2. */
        CHECK_MSG(tb < 0.05 || tb < 25 * (ts > 0.002 ? ts : 0.002), "not linear: %.3f vs %.3f", tb,
                  ts);

        /* The normal path: the .gz decompressed with the streaming reader. */
        unsigned char *gz = gzip_buf(big, big_len, &gzlen);
        struct fp_reader *r;
        struct fp_buf out;
        char chunk[65536];
        size_t got;
        fp_buf_init(&out, FP_MAX_FEED_SIZE);
        CHECK_INT_EQ(fp_reader_open_mem(gz, gzlen, "epss.csv.gz", &r, &d), FP_OK);
        CHECK_INT_EQ(fp_reader_compression(r), FP_COMP_GZIP);
        while (fp_reader_read(r, chunk, sizeof(chunk), &got, &d) == FP_OK && got > 0)
                CHECK(fp_buf_add(&out, chunk, got) == FP_OK);
        fp_reader_free(r);
        CHECK(out.len == big_len);
        timed_parse(fp_buf_str(&out), out.len, 300000);
        fp_buf_release(&out);
        free(gz);
        free(small);
        free(big);
}

static void test_rows(void)
{
        struct col c;
        struct fp_diag d;

        /* Scores must be plain decimals within [0, 1]. */
        static const char *const bad[] = {"1.5",  "-0.1", "nan", "inf", "0x1p-1", "",    "0.5abc",
                                          " 0.5", "1e5",  "+",   ".",   "1.0.0",  "NaN", "1e999"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char doc[256];
                snprintf(doc, sizeof(doc),
                         "cve,epss,percentile\nCVE-2024-0001,%s,0.5\n"
                         "CVE-2024-0002,0.5,%s\nCVE-2024-0003,0.1,0.2\n",
                         bad[i], bad[i]);
                CHECK_INT_EQ(parse(&c, doc, &d), FP_OK);
                CHECK_MSG(c.n == 1 && c.rejects == 2, "'%s': %zu rows, %zu rejects", bad[i], c.n,
                          c.rejects);
                CHECK_STR_EQ(c.reject.field, "percentile");
                CHECK_STR_EQ(c.reject_id, "CVE-2024-0002");
                CHECK_INT_EQ(c.reject.line, 3);
        }
        CHECK_INT_EQ(parse(&c,
                           "cve,epss,percentile\nCVE-2024-0001,1,0\nCVE-2024-0002,1e-3,"
                           "1.000\nCVE-2024-0003,0.00000,-0\n",
                           &d),
                     FP_OK);
        CHECK_INT_EQ(c.n, 3);
        CHECK(fabs(c.sum_epss - 1.001) < 1e-12);

        /* Bad ids, a short row in the middle, a duplicate (the first wins). */
        CHECK_INT_EQ(parse(&c,
                           "cve,epss,percentile\r\nCVE-2024-0001,0.1,0.2\r\ncve-2024-0002,"
                           "0.1,0.2\r\nCVE-2024-0003,0.1\r\nCVE-2024-0001,0.9,0.9\r\n"
                           "CVE-2024-0004,0.2,0.3",
                           &d),
                     FP_OK);
        CHECK_INT_EQ(c.n, 2);
        CHECK(fabs(c.sum_epss - 0.3) < 1e-12);
        CHECK_INT_EQ(c.rejects, 3);
        CHECK_STR_EQ(c.reject_id, "CVE-2024-0001");
        CHECK_INT_EQ(c.reject.line, 5);
        CHECK(strstr(c.reject.msg, "line 2") != NULL);
        CHECK_STR_EQ(c.meta, "");

        /* Columns in another order and case, an extra column. */
        CHECK_INT_EQ(parse(&c, "Percentile,extra,CVE,EPSS\n0.99996,x,CVE-2021-44228,0.97565\n", &d),
                     FP_OK);
        CHECK(c.n == 1 && c.epss_44228 == 0.97565 && c.pct_44228 == 0.99996);
}

static void test_feed_errors(void)
{
        struct col c;
        struct fp_diag d;

        CHECK_INT_EQ(parse(&c, "", &d), FP_ECORRUPT);
        CHECK_INT_EQ(parse(&c, "cve,epss,percentile\n", &d), FP_ECORRUPT);
        CHECK_INT_EQ(parse(&c, "#model_version:v1,score_date:2024-05-01T00:00:00+0000\n", &d),
                     FP_ECORRUPT);
        CHECK_INT_EQ(parse(&c, "cve,score\nCVE-2024-0001,0.1\n", &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 1);
        CHECK_STR_EQ(d.file, "epss-test");
        CHECK_INT_EQ(parse(&c,
                           "#model_version:v1,score_date:2024-13-01\ncve,epss,percentile\n"
                           "CVE-2024-0001,0.1,0.2\n",
                           &d),
                     FP_EPARSE);
        CHECK_STR_EQ(d.field, "score_date");
        CHECK_INT_EQ(parse(&c,
                           "#score_date:0001-01-01T00:00:00+0100\ncve,epss,percentile\n"
                           "CVE-2024-0001,0.1,0.2\n",
                           &d),
                     FP_EPARSE);
        /* Other score_date forms, unknown keys ignored. */
        CHECK_INT_EQ(parse(&c,
                           "#score_date:2024-05-01,foo:bar,model_version:v2\n"
                           "cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n",
                           &d),
                     FP_OK);
        CHECK_STR_EQ(c.meta, "score_date=2024-05-01T00:00:00Z;model_version=v2;");
        CHECK_INT_EQ(parse(&c,
                           "#score_date:2024-05-01T02:00:00+0200\ncve,epss,percentile\n"
                           "CVE-2024-0001,0.1,0.2\n",
                           &d),
                     FP_OK);
        CHECK_STR_EQ(c.meta, "score_date=2024-05-01T00:00:00Z;");
        /* CSV syntax errors are feed errors with line and column. */
        CHECK_INT_EQ(parse(&c,
                           "cve,epss,percentile\nCVE-2024-0001,0.1,0.2\nCVE-2024-0002,\"0.1\"x,"
                           "0.2\n",
                           &d),
                     FP_EPARSE);
        CHECK_INT_EQ(d.line, 3);
        CHECK(strstr(d.msg, "column 20") != NULL);
        CHECK_INT_EQ(parse(&c, "cve,epss,percentile\nCVE-2024-0001,\"0.1,0.2\n", &d), FP_ECORRUPT);
}

int main(void)
{
        test_rows();
        test_feed_errors();
        test_sample();
        test_large();
        return fp_test_finish();
}
