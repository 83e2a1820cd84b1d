/* Blocked dependencies in a simulated plan (blocked.h). */
#include <string.h>

#include "agent/daemon/blocked.h"

static bool requested(const struct fp_job_params *p, const char *name)
{
        for (size_t i = 0; i < p->pkg_count; i++)
                if (strcmp(p->pkgs[i].name, name) == 0)
                        return true;
        return false;
}

const struct be_change *blocked_change(const struct fp_job_params *p, const struct be_plan *plan,
                                       const char **pattern)
{
        *pattern = NULL;
        if (p->blocked_count == 0)
                return NULL;
        for (size_t i = 0; i < plan->count; i++) {
                const struct be_change *c = &plan->changes[i];
                /* a removal or downgrade brings nothing new in (and needs its own allow_*) */
                if ((c->action != BE_INSTALL && c->action != BE_UPGRADE) || !c->name ||
                    requested(p, c->name))
                        continue;
                const char *pat = fp_job_blocked_match(p, c->name);
                if (pat) {
                        *pattern = pat;
                        return c;
                }
        }
        return NULL;
}
