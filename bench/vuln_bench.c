/*
 * Vulnerability matching at fleet scale, and feed ingestion.
 *
 * Feed: a Debian-tracker-format JSON generated at the real export's size (40,000 CVEs, each
 * with a bookworm and a bullseye entry) over the source packages of the real Debian 12 host in
 * shared/data, with fixed versions placed around the installed ones (newer, older, never
 * affected, open; in the proportions of a maintained release: 85% fixed long ago, 8% never
 * affected, 4% open, 3% newly fixed). It goes through the real parser into the real SQLite store.
 * Hosts: copies of the real inventory (823 packages) where each package's version varies
 * between three builds (80% installed, 10% an older, 10% a newer one), as a fleet does.
 *
 * Reference measured in the same run: the same hosts with tuple sharing turned off (every
 * package of every host evaluated against its advisories). Prints times, rates and the ratio.
 *
 * usage: vuln_bench SHARED_DATA_DIR [HOSTS [BIG_HOSTS]]   (defaults 10000 and 100000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleetpatch/inventory.h"
#include "fleetpatch/match.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vulndb.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned)(rng % n);
}

/* The distinct source packages of the inventory with their installed source versions. */
struct src {
        const char *name, *version;
};

static size_t sources(const struct fp_inventory *inv, struct src *out)
{
        size_t n = 0;
        for (size_t i = 0; i < inv->count; i++) {
                bool seen = false;
                for (size_t j = 0; j < n && !seen; j++)
                        seen = strcmp(out[j].name, inv->pkgs[i].source) == 0;
                if (!seen)
                        out[n++] = (struct src){inv->pkgs[i].source, inv->pkgs[i].source_version};
        }
        return n;
}

/* A tracker JSON with ncve CVEs spread over the sources (skewed: a few packages get many). */
static char *make_tracker(const struct src *s, size_t ns, size_t ncve, size_t *len)
{
        struct fp_buf b;
        fp_buf_init(&b, (size_t)1 << 31);
        fp_buf_addc(&b, '{');
        size_t per[4096] = {0};
        for (size_t c = 0; c < ncve; c++) {
                /* square of a uniform: ~skewed towards the first packages, like the tracker */
                unsigned u = rnd(1000);
                per[(size_t)u * u / 1000 * ns / 1000]++;
        }
        size_t cve = 0;
        bool first_pkg = true;
        for (size_t i = 0; i < ns; i++) {
                if (!per[i])
                        continue;
                fp_buf_addf(&b, "%s\"%s\":{", first_pkg ? "" : ",", s[i].name);
                first_pkg = false;
                for (size_t k = 0; k < per[i]; k++, cve++) {
                        const char *fix;
                        char fixbuf[300];
                        /* Like the real tracker for a maintained release: most CVEs fixed
                         * long ago, some never affected, a few open, a few newly fixed. */
                        unsigned r = rnd(100);
                        if (r < 3)
                                snprintf(fixbuf, sizeof(fixbuf), "%s+fix%zu", s[i].version, k);
                        else if (r < 88)
                                snprintf(fixbuf, sizeof(fixbuf), "%s~old%zu", s[i].version, k);
                        else if (r < 96)
                                snprintf(fixbuf, sizeof(fixbuf), "0");
                        else
                                fixbuf[0] = '\0';
                        fix = fixbuf;
                        fp_buf_addf(&b,
                                    "%s\"CVE-2030-%06zu\":{\"description\":\"generated\",\"scope\":"
                                    "\"remote\",\"releases\":{\"bookworm\":{",
                                    k ? "," : "", cve);
                        if (*fix)
                                fp_buf_addf(&b, "\"status\":\"resolved\",\"fixed_version\":\"%s\",", fix);
                        else
                                fp_buf_addstr(&b, "\"status\":\"open\",");
                        fp_buf_addf(&b,
                                    "\"repositories\":{\"bookworm\":\"%s\"},\"urgency\":\"%s\"},"
                                    "\"bullseye\":{\"status\":\"resolved\",\"fixed_version\":"
                                    "\"%s~deb11u1\",\"repositories\":{},\"urgency\":\"low\"}}}",
                                    s[i].version, rnd(2) ? "high" : "medium", s[i].version);
                }
                fp_buf_addc(&b, '}');
        }
        fp_buf_addc(&b, '}');
        *len = b.len;
        return fp_buf_take(&b);
}

/* Version variants of every package: [0] installed, [1] older, [2] newer. */
struct variants {
        char *v[3], *sv[3];
};

static void make_hosts(const struct fp_inventory *base, struct variants *var, size_t nhosts,
                       struct fp_inventory *hosts)
{
        for (size_t h = 0; h < nhosts; h++) {
                struct fp_inventory *inv = &hosts[h];
                *inv = *base;
                memset(&inv->arena, 0, sizeof(inv->arena));
                inv->pkgs = malloc(base->count * sizeof(*inv->pkgs));
                if (!inv->pkgs)
                        exit(1);
                for (size_t i = 0; i < base->count; i++) {
                        unsigned r = rnd(10), k = r < 8 ? 0 : r == 8 ? 1 : 2;
                        inv->pkgs[i] = base->pkgs[i];
                        inv->pkgs[i].version = var[i].v[k];
                        inv->pkgs[i].source_version = var[i].sv[k];
                }
        }
}

static double match_all(struct fp_vindex *ix, struct fp_inventory *hosts, size_t n,
                        size_t *findings)
{
        double t0 = now_s();
        *findings = 0;
        for (size_t h = 0; h < n; h++) {
                struct fp_host_findings hf;
                struct fp_diag d;
                if (fp_match_host(ix, &hosts[h], &hf, &d) != FP_OK) {
                        fprintf(stderr, "match failed: %s\n", d.msg);
                        exit(1);
                }
                *findings += hf.count;
                fp_host_findings_release(&hf);
        }
        return now_s() - t0;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: vuln_bench SHARED_DATA_DIR [HOSTS [BIG_HOSTS]]\n");
                return 2;
        }
        size_t nhosts = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
        size_t nbig = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
        char path[4096];
        snprintf(path, sizeof(path), "%s/inventory/debian12-dpkg-status", argv[1]);
        struct fp_inventory base;
        struct fp_inventory_opts io = {.root = "/nonexistent", .status_file = path,
                                       .release = "debian:bookworm", .running_kernel = ""};
        struct fp_diag d;
        if (fp_inventory_load(&io, &base, &d) != FP_OK) {
                fprintf(stderr, "inventory: %s\n", d.msg);
                return 77;
        }

        /* ---- ingest ---- */
        struct src *s = calloc(base.count, sizeof(*s));
        size_t ns = sources(&base, s), len;
        char *json = make_tracker(s, ns, 40000, &len);
        char dir[] = "/tmp/fpbench.XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof(path), "%s/vuln.db", dir);
        struct fp_vulndb *db;
        if (fp_vulndb_open(path, &db, &d) != FP_OK)
                return 1;
        struct fp_import *imp;
        double t0 = now_s();
        fp_vulndb_import_begin(db, "tracker", FP_FEED_DEBIAN_TRACKER, "generated", &imp, &d);
        if (fp_feed_parse_debian_tracker(json, len, "generated", fp_import_sink(imp), &d) != FP_OK ||
            fp_import_commit(imp, NULL, NULL, NULL, &d) != FP_OK) {
                fprintf(stderr, "ingest: %s\n", d.msg);
                return 1;
        }
        double t_ingest = now_s() - t0;
        /* Re-ingesting the same feed is a no-op per record (hash compare). */
        t0 = now_s();
        fp_vulndb_import_begin(db, "tracker", FP_FEED_DEBIAN_TRACKER, "generated", &imp, &d);
        fp_feed_parse_debian_tracker(json, len, "generated", fp_import_sink(imp), &d);
        size_t unchanged = fp_import_stats(imp)->unchanged;
        fp_import_commit(imp, NULL, NULL, NULL, &d);
        double t_reingest = now_s() - t0;
        int64_t nadv, naff;
        fp_vulndb_count(db, &nadv, &naff, &d);
        printf("ingest: %lld advisories, %lld affected entries (%.1f MB tracker JSON over %zu "
               "source packages): %.2f s (%.0f records/s); re-ingest %.2f s, %zu unchanged\n",
               (long long)nadv, (long long)naff, (double)len / 1e6, ns, t_ingest,
               (double)nadv / t_ingest, t_reingest, unchanged);

        /* ---- matching ---- */
        struct variants *var = calloc(base.count, sizeof(*var));
        for (size_t i = 0; i < base.count; i++) {
                char b[600];
                var[i].v[0] = (char *)base.pkgs[i].version;
                var[i].sv[0] = (char *)base.pkgs[i].source_version;
                snprintf(b, sizeof(b), "%s~pre1", base.pkgs[i].version);
                var[i].v[1] = strdup(b);
                snprintf(b, sizeof(b), "%s~pre1", base.pkgs[i].source_version);
                var[i].sv[1] = strdup(b);
                snprintf(b, sizeof(b), "%s+up1", base.pkgs[i].version);
                var[i].v[2] = strdup(b);
                snprintf(b, sizeof(b), "%s+up1", base.pkgs[i].source_version);
                var[i].sv[2] = strdup(b);
        }
        struct fp_vindex *ix;
        t0 = now_s();
        if (fp_vindex_load(db, "debian", "bookworm", &ix, &d) != FP_OK)
                return 1;
        double t_load = now_s() - t0;
        size_t nmax = nbig > nhosts ? nbig : nhosts;
        struct fp_inventory *hosts = calloc(nmax, sizeof(*hosts));
        make_hosts(&base, var, nmax, hosts);
        printf("index: %zu affected entries for bookworm loaded in %.3f s\n", fp_vindex_entries(ix),
               t_load);

        size_t nref = nhosts < 1000 ? nhosts : 1000, f_ref, f1, f2;
        fp_vindex_share_tuples(ix, false);
        double t_ref = match_all(ix, hosts, nref, &f_ref);
        fp_vindex_share_tuples(ix, true);
        double t1 = match_all(ix, hosts, nhosts, &f1);
        printf("match %zu hosts x %zu packages: %.3f s (%.0f hosts/s), %zu findings, %zu distinct "
               "tuples evaluated\n",
               nhosts, base.count, t1, (double)nhosts / t1, f1, fp_vindex_tuples(ix));
        printf("reference, no tuple sharing: %zu hosts in %.3f s (%.0f hosts/s); sharing is %.1fx "
               "faster per host\n",
               nref, t_ref, (double)nref / t_ref, ((double)nhosts / t1) / ((double)nref / t_ref));
        double t2 = match_all(ix, hosts, nbig, &f2);
        printf("match %zu hosts: %.3f s (%.0f hosts/s), %zu findings\n", nbig, t2,
               (double)nbig / t2, f2);

        /* One host's re-evaluation after one package changed to a never-seen version. */
        size_t reps = 1000;
        struct fp_inventory one = hosts[0];
        one.pkgs = malloc(base.count * sizeof(*one.pkgs));
        memcpy(one.pkgs, hosts[0].pkgs, base.count * sizeof(*one.pkgs));
        char (*vers)[64] = calloc(reps, 64);
        t0 = now_s();
        for (size_t r = 0; r < reps; r++) {
                size_t i = rnd((unsigned)base.count);
                snprintf(vers[r], 64, "99:%zu", r);
                one.pkgs[i].version = one.pkgs[i].source_version = vers[r];
                struct fp_host_findings hf;
                fp_match_host(ix, &one, &hf, &d);
                fp_host_findings_release(&hf);
        }
        double t_one = (now_s() - t0) / (double)reps;
        printf("one host re-evaluated after a package change: %.3f ms\n", t_one * 1e3);

        fp_vindex_free(ix);
        fp_vulndb_close(db);
        snprintf(path, sizeof(path), "rm -rf %s", dir);
        if (system(path) != 0)
                return 1;
        return 0;
}
