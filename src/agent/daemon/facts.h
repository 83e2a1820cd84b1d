/*
 * What the agent tells the server about its host (docs/api.md, "Facts"): os-release, kernels,
 * boot and machine ids, time zone and host name, read under the configured root.
 */
#ifndef FP_AGENT_FACTS_H
#define FP_AGENT_FACTS_H

#include "fleetpatch/inventory.h"
#include "fleetpatch/wire.h"

#ifndef FP_AGENT_VERSION
#define FP_AGENT_VERSION "0.1.0"
#endif

struct agent_facts_opts {
        const char *root;     /* "/" or a sandbox/image root */
        const char *hostname; /* NULL: gethostname(2) */
        const char *proc_dir; /* NULL: "/proc" (read only when root is "/") */
        /* installed kernels come from here; may be NULL */
        const struct fp_inventory *inv;
};

/*
 * Collect the facts. A fact that cannot be read (or that the server would refuse: too long,
 * control characters, not an IANA zone) is left out, never invented; only the host name is
 * required. out owns its strings (out->arena).
 */
enum fp_err agent_facts_collect(const struct agent_facts_opts *o, struct fp_facts *out,
                                struct fp_diag *diag);

#endif
