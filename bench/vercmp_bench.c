/*
 * Version comparison speed, ours against the reference libraries on the oracle pairs:
 * fleetpatch vs libdpkg (parse+compare, and compare-only on pre-parsed versions) and vs
 * librpm (rpmvercmp() on whole strings, and rpmverParse()+rpmverCmp()). Also checks that both
 * agree on every pair, a cheap second oracle.
 * Usage: vercmp_bench ORACLES_DIR [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <dpkg/dpkg-db.h>
#include <dpkg/dpkg.h>
#include <dpkg/version.h>
#include <rpm/rpmver.h>

#include "fleetpatch/version.h"

struct pair {
        char *a, *b;
        int want;
};

struct pairs {
        struct pair *v;
        size_t n, cap;
};

static volatile long sink;

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sgn(int v)
{
        return (v > 0) - (v < 0);
}

static int load(const char *path, struct pairs *out)
{
        gzFile gz = gzopen(path, "rb");
        char line[8192];

        if (!gz) {
                fprintf(stderr, "vercmp_bench: cannot open %s\n", path);
                return -1;
        }
        while (gzgets(gz, line, sizeof(line))) {
                char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

                if (!t2)
                        continue;
                *t1 = *t2 = '\0';
                if (out->n == out->cap) {
                        out->cap = out->cap ? out->cap * 2 : 1024;
                        out->v = realloc(out->v, out->cap * sizeof(*out->v));
                        if (!out->v)
                                abort();
                }
                out->v[out->n].a = strdup(line);
                out->v[out->n].b = strdup(t1 + 1);
                out->v[out->n].want = atoi(t2 + 1);
                out->n++;
        }
        gzclose(gz);
        return 0;
}

static void report(const char *what, size_t cmps, double ours, double theirs)
{
        printf("%-44s ours %7.2f M/s  theirs %7.2f M/s  ours/theirs %.2fx\n", what,
               (double)cmps / ours / 1e6, (double)cmps / theirs / 1e6, theirs / ours);
}

static unsigned long bench_deb(const struct pairs *p, int rounds)
{
        struct dpkg_version *pa = calloc(p->n, sizeof(*pa)), *pb = calloc(p->n, sizeof(*pb));
        struct fp_debver *fa = calloc(p->n, sizeof(*fa)), *fb = calloc(p->n, sizeof(*fb));
        struct dpkg_error err;
        unsigned long disagree = 0;
        double t0, ours, theirs;
        long acc = 0;

        if (!pa || !pb || !fa || !fb)
                abort();
        /* Agreement on every pair, and with the oracle. */
        for (size_t i = 0; i < p->n; i++) {
                struct dpkg_version x, y;
                int ref;

                parseversion(&x, p->v[i].a, &err);
                parseversion(&y, p->v[i].b, &err);
                ref = sgn(dpkg_version_compare(&x, &y));
                if (ref != fp_deb_vercmp(p->v[i].a, p->v[i].b) || ref != p->v[i].want)
                        if (++disagree <= 5)
                                fprintf(stderr, "deb disagree: '%s' '%s'\n", p->v[i].a, p->v[i].b);
        }
        nffreeall();

        t0 = now();
        for (int r = 0; r < rounds; r++)
                for (size_t i = 0; i < p->n; i++)
                        acc += fp_deb_vercmp(p->v[i].a, p->v[i].b);
        ours = now() - t0;
        t0 = now();
        for (int r = 0; r < rounds; r++) {
                for (size_t i = 0; i < p->n; i++) {
                        struct dpkg_version x, y;

                        parseversion(&x, p->v[i].a, &err);
                        parseversion(&y, p->v[i].b, &err);
                        acc += dpkg_version_compare(&x, &y);
                }
                /* libdpkg keeps parsed strings on its obstack until freed. */
                nffreeall();
        }
        theirs = now() - t0;
        report("deb parse+compare (libdpkg)", p->n * (size_t)rounds, ours, theirs);

        for (size_t i = 0; i < p->n; i++) {
                fp_deb_version_parse(p->v[i].a, strlen(p->v[i].a), &fa[i], NULL);
                fp_deb_version_parse(p->v[i].b, strlen(p->v[i].b), &fb[i], NULL);
                parseversion(&pa[i], p->v[i].a, &err);
                parseversion(&pb[i], p->v[i].b, &err);
        }
        t0 = now();
        for (int r = 0; r < rounds; r++)
                for (size_t i = 0; i < p->n; i++)
                        acc += fp_deb_version_cmp(&fa[i], &fb[i]);
        ours = now() - t0;
        t0 = now();
        for (int r = 0; r < rounds; r++)
                for (size_t i = 0; i < p->n; i++)
                        acc += dpkg_version_compare(&pa[i], &pb[i]);
        theirs = now() - t0;
        report("deb compare-only, pre-parsed (libdpkg)", p->n * (size_t)rounds, ours, theirs);
        nffreeall();
        sink = acc;
        free(pa);
        free(pb);
        free(fa);
        free(fb);
        return disagree;
}

static unsigned long bench_rpm(const struct pairs *p, int rounds)
{
        unsigned long disagree = 0;
        double t0, ours, theirs;
        long acc = 0;

        for (size_t i = 0; i < p->n; i++) {
                rpmver x = rpmverParse(p->v[i].a), y = rpmverParse(p->v[i].b);
                int ref = sgn(rpmverCmp(x, y));

                if (ref != fp_rpm_vercmp(p->v[i].a, p->v[i].b) || ref != p->v[i].want)
                        if (++disagree <= 5)
                                fprintf(stderr, "rpm disagree: '%s' '%s'\n", p->v[i].a, p->v[i].b);
                rpmverFree(x);
                rpmverFree(y);
        }

        t0 = now();
        for (int r = 0; r < rounds; r++)
                for (size_t i = 0; i < p->n; i++)
                        acc += fp_rpm_vercmp(p->v[i].a, p->v[i].b);
        ours = now() - t0;
        t0 = now();
        for (int r = 0; r < rounds; r++) {
                for (size_t i = 0; i < p->n; i++) {
                        rpmver x = rpmverParse(p->v[i].a), y = rpmverParse(p->v[i].b);

                        acc += rpmverCmp(x, y);
                        rpmverFree(x);
                        rpmverFree(y);
                }
        }
        theirs = now() - t0;
        report("rpm EVR parse+compare (rpmverParse+Cmp)", p->n * (size_t)rounds, ours, theirs);

        t0 = now();
        for (int r = 0; r < rounds; r++)
                for (size_t i = 0; i < p->n; i++)
                        acc += fp_rpmvercmp(p->v[i].a, strlen(p->v[i].a), p->v[i].b,
                                            strlen(p->v[i].b));
        ours = now() - t0;
        t0 = now();
        for (int r = 0; r < rounds; r++)
                for (size_t i = 0; i < p->n; i++)
                        acc += rpmvercmp(p->v[i].a, p->v[i].b);
        theirs = now() - t0;
        report("rpm raw rpmvercmp() on whole strings", p->n * (size_t)rounds, ours, theirs);
        sink = acc;
        return disagree;
}

int main(int argc, char **argv)
{
        struct pairs deb = {0}, rpm = {0};
        char path[4096];
        int rounds = argc > 2 ? atoi(argv[2]) : 20;
        unsigned long bad;

        if (argc < 2) {
                fprintf(stderr, "usage: vercmp_bench ORACLES_DIR [ROUNDS]\n");
                return 2;
        }
        snprintf(path, sizeof(path), "%s/dpkg-vercmp.tsv.gz", argv[1]);
        if (load(path, &deb) != 0)
                return 77;
        snprintf(path, sizeof(path), "%s/rpm-vercmp.tsv.gz", argv[1]);
        if (load(path, &rpm) != 0)
                return 77;
        printf("%zu deb pairs, %zu rpm pairs, %d rounds each\n", deb.n, rpm.n, rounds);
        bad = bench_deb(&deb, rounds);
        bad += bench_rpm(&rpm, rounds);
        printf("disagreements with libdpkg/librpm/oracle: %lu\n", bad);
        return bad ? 1 : 0;
}
