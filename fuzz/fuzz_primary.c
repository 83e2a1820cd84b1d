/*
 * Fuzz the streaming primary.xml parser, fed in two chunks split where the first byte says, and
 * check the selection on what it accepts: every upgrade is newer than what it replaces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_KEEP 64

struct keep {
        struct fp_arena arena;
        struct fp_rpm_pkg pkgs[MAX_KEEP];
        size_t n;
};

static enum fp_err on_pkg(void *ud, const struct fp_rpm_pkg *p, struct fp_diag *diag)
{
        struct keep *k = ud;
        struct fp_rpm_pkg *q;

        if (!p->name || !p->arch || !p->epoch || !p->version || !p->release)
                abort();
        if (k->n == MAX_KEEP)
                return FP_OK;
        q = &k->pkgs[k->n++];
        *q = *p;
        q->name = fp_arena_strdup(&k->arena, p->name);
        q->arch = fp_arena_strdup(&k->arena, p->arch);
        q->epoch = fp_arena_strdup(&k->arena, p->epoch);
        q->version = fp_arena_strdup(&k->arena, p->version);
        q->release = fp_arena_strdup(&k->arena, p->release);
        q->repo = "fuzz";
        q->priority = 99;
        if (p->nobsoletes) {
                struct fp_rpm_dep *d = fp_arena_alloc(&k->arena, p->nobsoletes * sizeof(*d));
                if (!d)
                        return FP_ENOMEM;
                for (size_t i = 0; i < p->nobsoletes; i++) {
                        d[i] = p->obsoletes[i];
                        d[i].name = fp_arena_strdup(&k->arena, p->obsoletes[i].name);
                        d[i].epoch = p->obsoletes[i].epoch
                                         ? fp_arena_strdup(&k->arena, p->obsoletes[i].epoch)
                                         : NULL;
                        d[i].version = p->obsoletes[i].version
                                           ? fp_arena_strdup(&k->arena, p->obsoletes[i].version)
                                           : NULL;
                        d[i].release = p->obsoletes[i].release
                                           ? fp_arena_strdup(&k->arena, p->obsoletes[i].release)
                                           : NULL;
                }
                q->obsoletes = d;
        }
        if (!q->name || !q->arch || !q->epoch || !q->version || !q->release)
                return FP_ENOMEM;
        return FP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_primary_parser *p = NULL;
        struct fp_diag diag;
        struct keep *k = calloc(1, sizeof(*k));
        size_t split = size ? data[0] % (size + 1) : 0;
        enum fp_err err;

        if (!k)
                return 0;
        fp_arena_init(&k->arena);
        err = fp_primary_parser_new("fuzz", on_pkg, k, &p);
        if (err == FP_OK)
                err = fp_primary_parser_feed(p, data, split, false, &diag);
        if (err == FP_OK)
                err = fp_primary_parser_feed(p, data + split, size - split, true, &diag);
        fp_primary_parser_free(p);
        if (err == FP_OK && k->n > 0) {
                /* The first half "installed", everything "available". */
                struct fp_rpm_pkg inst[MAX_KEEP];
                size_t ni = (k->n + 1) / 2;
                struct fp_rpm_selection sel;
                memcpy(inst, k->pkgs, ni * sizeof(*inst));
                for (size_t i = 0; i < ni; i++) {
                        inst[i].repo = NULL;
                        inst[i].obsoletes = NULL;
                        inst[i].nobsoletes = 0;
                }
                struct fp_rpm_select_in in = {inst, ni, k->pkgs, k->n, k->pkgs, k->n};
                if (fp_rpm_select(&in, &sel, &diag) == FP_OK) {
                        for (size_t i = 0; i < sel.nupgrades; i++) {
                                if (fp_rpm_pkg_evrcmp(sel.upgrades[i].candidate,
                                                      sel.upgrades[i].installed) <= 0)
                                        abort();
                        }
                        fp_rpm_selection_release(&sel);
                }
        }
        fp_arena_release(&k->arena);
        free(k);
        return 0;
}
