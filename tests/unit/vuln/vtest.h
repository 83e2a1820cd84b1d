/* Test scaffolding for the vulnerability engine: temporary databases, hand-built inventories
 * and advisories. */
#ifndef FP_VTEST_H
#define FP_VTEST_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/match.h"
#include "fleetpatch/vulndb.h"
#include "test.h"

/* A fresh database in a new temporary directory (removed by vt_db_close). */
static char vt_dir[256];
static inline struct fp_vulndb *vt_db_open(void)
{
        snprintf(vt_dir, sizeof(vt_dir), "%s/fpvt.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(vt_dir)) {
                perror("mkdtemp");
                exit(1);
        }
        char path[512];
        snprintf(path, sizeof(path), "%s/vuln.db", vt_dir);
        struct fp_vulndb *db = NULL;
        struct fp_diag d;
        if (fp_vulndb_open(path, &db, &d) != FP_OK) {
                fprintf(stderr, "open %s: %s\n", path, d.msg);
                exit(1);
        }
        return db;
}

static inline void vt_db_close(struct fp_vulndb *db)
{
        char cmd[600];
        fp_vulndb_close(db);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vt_dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", vt_dir);
}

/* Import advisories (and optionally KEV entries) as one feed; returns the commit's result. */
static inline enum fp_err vt_import(struct fp_vulndb *db, const char *feed,
                                    const struct fp_vuln_advisory *advs, size_t n,
                                    const struct fp_kev_entry *kev, size_t nkev,
                                    struct fp_import_stats *stats)
{
        struct fp_import *imp;
        struct fp_diag d;
        enum fp_err err = fp_vulndb_import_begin(db, feed, nkev ? FP_FEED_KEV : FP_FEED_OSV, "test",
                                                 &imp, &d);
        if (err != FP_OK)
                return err;
        const struct fp_feed_sink *s = fp_import_sink(imp);
        for (size_t i = 0; i < n && err == FP_OK; i++)
                err = s->advisory(s->ud, &advs[i]);
        for (size_t i = 0; i < nkev && err == FP_OK; i++)
                err = s->kev(s->ud, &kev[i]);
        if (stats)
                *stats = *fp_import_stats(imp);
        if (err != FP_OK) {
                fp_import_abort(imp, "test abort");
                return err;
        }
        return fp_import_commit(imp, NULL, NULL, NULL, &d);
}

/* An inventory built by hand: vt_pkg() appends packages. */
static inline void vt_inv_init(struct fp_inventory *inv, const char *family, const char *distro,
                               const char *release)
{
        memset(inv, 0, sizeof(*inv));
        fp_arena_init(&inv->arena);
        inv->family = family;
        inv->distro = distro;
        inv->release = release;
        inv->scheme = strcmp(family, "rpm") == 0 ? FP_SCHEME_RPM : FP_SCHEME_DEB;
}

static inline struct fp_inv_pkg *vt_pkg(struct fp_inventory *inv, const char *name,
                                        const char *arch, const char *version, const char *source,
                                        const char *source_version)
{
        inv->pkgs = realloc(inv->pkgs, (inv->count + 1) * sizeof(*inv->pkgs));
        if (!inv->pkgs)
                exit(1);
        struct fp_inv_pkg *p = &inv->pkgs[inv->count++];
        memset(p, 0, sizeof(*p));
        p->name = name;
        p->arch = arch;
        p->version = version;
        p->source = source ? source : name;
        p->source_version = source_version ? source_version : version;
        return p;
}

/* The finding for (package, vuln) or NULL. */
static inline const struct fp_finding *vt_find(const struct fp_host_findings *hf, const char *pkg,
                                               const char *vuln)
{
        for (size_t i = 0; i < hf->count; i++)
                if (strcmp(hf->items[i].pkg->name, pkg) == 0 && strcmp(hf->items[i].vuln, vuln) == 0)
                        return &hf->items[i];
        return NULL;
}

#endif
