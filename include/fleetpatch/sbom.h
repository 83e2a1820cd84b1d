/* CycloneDX 1.5 JSON SBOM of a host or image root, with the findings as vulnerabilities. */
#ifndef FLEETPATCH_SBOM_H
#define FLEETPATCH_SBOM_H

#include <jansson.h>

#include "fleetpatch/inventory.h"
#include "fleetpatch/match.h"

/* Package URL of an installed package (purl spec: deb, rpm, apk types), into out. */
bool fp_purl(const struct fp_inventory *inv, const struct fp_inv_pkg *p, char *out, size_t outsz);

/*
 * The BOM: metadata (tool, the operating system as the described component, host name),
 * one component per installed package (bom-ref = purl) and, when findings is not NULL, one
 * vulnerability per CVE/advisory id listing every affected component, its ratings, the
 * advisories, an analysis state and fleetpatch's score as properties. NULL on out of memory.
 */
json_t *fp_sbom_cyclonedx(const struct fp_inventory *inv, const struct fp_host_findings *findings,
                          const char *host, const char *tool_version);

#endif
