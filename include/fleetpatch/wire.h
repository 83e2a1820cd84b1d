/*
 * The agent <-> server wire format of facts and inventories (docs/api.md, "Facts" and
 * "Inventory"). The agent builds these JSON objects; the server parses them with every limit
 * of include/fleetpatch/limits.h and never trusts them further than the parser checked.
 */
#ifndef FLEETPATCH_WIRE_H
#define FLEETPATCH_WIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/scan.h"

/* ---- facts ---- */
struct fp_facts {
        const char *hostname; /* required */
        const char *os_id, *os_version, *os_codename, *os_pretty, *arch;
        const char *kernel_running;
        const char **kernels_installed;
        size_t kernel_count;
        const char *boot_id, *machine_id, *timezone, *agent_version;
        const char *cloud_provider, *cloud_account, *cloud_region, *cloud_zone, *cloud_instance;
        struct fp_arena arena; /* owns every string */
};

/* Parse a facts object; unknown members, wrong types, over-long or control-character strings
 * are FP_EPARSE/FP_ELIMIT with diag->field = "facts.<member>". */
enum fp_err fp_wire_facts_parse(const json_t *obj, struct fp_facts *out, struct fp_diag *diag);
json_t *fp_wire_facts_build(const struct fp_facts *f);
void fp_facts_release(struct fp_facts *f);

/* ---- inventory ---- */
struct fp_wire_update {
        const char *name, *arch, *installed, *candidate, *origin; /* origin may be NULL */
        bool security;
};

struct fp_wire_inventory {
        struct fp_inventory inv; /* packages sorted by name, then arch (as matching needs) */
        struct fp_wire_update *updates;
        size_t update_count;
};

/* Parse an inventory object (limits FP_MAX_WIRE_PACKAGES / FP_MAX_WIRE_UPDATES, versions
 * checked by the family's scheme). The result owns its strings (out->inv.arena). */
enum fp_err fp_wire_inventory_parse(const json_t *obj, struct fp_wire_inventory *out,
                                    struct fp_diag *diag);
void fp_wire_inventory_release(struct fp_wire_inventory *w);

/* Build the inventory object from what the host has; scan may be NULL (no updates known). */
json_t *fp_wire_inventory_build(const struct fp_inventory *inv, const struct fp_scan_result *scan);

/*
 * The `uname -r` a package runs as when it is tied to one kernel build, else *out = NULL:
 * Debian linux-image-<abi> (and -modules/-headers) give <abi> (a view into name); RPM
 * installonly kernels give version-release.arch (allocated from a). The one rule shared by
 * fp_inventory_load and the wire parser (defined in src/vuln/inventory.c). false on ENOMEM.
 */
bool fp_inv_kernel_release(const char *family, const char *name, const char *arch,
                           const char *version, struct fp_arena *a, const char **out);

/* Lowercase hex SHA-256 of json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS). false on ENOMEM. */
bool fp_wire_hash(const json_t *v, char out[65]);

#endif
