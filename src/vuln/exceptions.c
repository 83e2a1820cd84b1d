/*
 * Exceptions applied to one host's findings. An exception matches a finding when its vuln
 * ("*" or the CVE/advisory id), package ("*", the binary or the source name), host glob and
 * optional tag all match. Revoked exceptions never apply; expired ones stop applying (the
 * finding reappears) and the expiry is written once into the exception's history.
 */
#include <fnmatch.h>
#include <string.h>

#include "fleetpatch/match.h"

static bool exception_matches(const struct fp_exception *e, const struct fp_finding *f,
                              const char *host, const char *const *tags, size_t ntags)
{
        if (strcmp(e->vuln, "*") != 0 && strcmp(e->vuln, f->vuln) != 0 &&
            !strstr(f->advisories, e->vuln))
                return false;
        if (strcmp(e->package, "*") != 0 && strcmp(e->package, f->pkg->name) != 0 &&
            strcmp(e->package, f->pkg->source) != 0)
                return false;
        if (fnmatch(e->hosts, host ? host : "", 0) != 0)
                return false;
        if (e->tag) {
                bool found = false;
                for (size_t i = 0; i < ntags && !found; i++)
                        found = strcmp(tags[i], e->tag) == 0;
                if (!found)
                        return false;
        }
        return true;
}

enum fp_err fp_apply_exceptions(struct fp_vulndb *db, struct fp_host_findings *hf,
                                const char *host, const char *const *tags, size_t ntags,
                                struct fp_diag *diag)
{
        struct fp_arena arena;
        fp_arena_init(&arena);
        struct fp_exception *ex;
        size_t n;
        enum fp_err err = fp_vulndb_exceptions(db, &arena, &ex, &n, diag);
        int64_t now = fp_now();
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                const struct fp_exception *e = &ex[i];
                if (e->revoked)
                        continue;
                bool expired = e->expires <= now;
                for (size_t j = 0; j < hf->count; j++) {
                        struct fp_finding *f = &hf->items[j];
                        if (!exception_matches(e, f, host, tags, ntags))
                                continue;
                        if (expired) {
                                err = fp_vulndb_exception_note_expired(db, e->id, e->expires, diag);
                                if (err != FP_OK)
                                        break;
                                continue;
                        }
                        if (!fp_finding_exposed(f->status) && f->exception_id == 0)
                                continue; /* not-running kernels stay what they are */
                        f->status = e->kind == FP_EXC_ACCEPT ? FP_FIND_ACCEPTED : FP_FIND_DISMISSED;
                        f->exception_id = e->id;
                }
        }
        fp_arena_release(&arena);
        return err;
}
