/*
 * Fuzz the inventory wire parser as the server runs it on a check-in body: bytes -> JSON
 * (fp_json_load) -> fp_wire_inventory_parse. Invariants: a refusal has a field and a message;
 * an accepted inventory is within every limit, sorted by name then arch, and survives
 * build -> parse with the same hash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/wire.h"
#include "vuln/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t max, bool may_be_null)
{
        if (!s) {
                if (!may_be_null)
                        abort();
                return;
        }
        if (strlen(s) > max)
                abort();
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20)
                        abort();
}

static json_t *rebuild(const struct fp_wire_inventory *w)
{
        struct fp_update *u = calloc(w->update_count ? w->update_count : 1, sizeof(*u));
        if (!u)
                return NULL;
        for (size_t i = 0; i < w->update_count; i++)
                u[i] = (struct fp_update){.name = w->updates[i].name,
                                          .arch = w->updates[i].arch,
                                          .installed = w->updates[i].installed,
                                          .candidate = w->updates[i].candidate,
                                          .origin = w->updates[i].origin,
                                          .security = w->updates[i].security};
        struct fp_scan_result scan = {.updates = u, .count = w->update_count};
        json_t *j = fp_wire_inventory_build(&w->inv, &scan);
        free(u);
        return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum fp_err err;
        struct fp_diag diag;
        json_t *v = fp_json_load((const char *)data, size, "fuzz", &err, &diag);
        if (!v)
                return 0;
        struct fp_wire_inventory w;
        err = fp_wire_inventory_parse(v, &w, &diag);
        if (err != FP_OK) {
                if (err != FP_ENOMEM && (diag.field[0] == '\0' || diag.msg[0] == '\0'))
                        abort();
                json_decref(v);
                return 0;
        }
        const struct fp_inventory *inv = &w.inv;
        if (inv->count > FP_MAX_WIRE_PACKAGES || w.update_count > FP_MAX_WIRE_UPDATES)
                abort();
        if (strcmp(inv->family, "deb") != 0 && strcmp(inv->family, "rpm") != 0)
                abort();
        for (size_t i = 0; i < inv->count; i++) {
                const struct fp_inv_pkg *p = &inv->pkgs[i];
                check_str(p->name, FP_MAX_NAME_LEN, false);
                check_str(p->arch, FP_MAX_NAME_LEN, false);
                check_str(p->version, FP_MAX_VERSION_LEN, false);
                check_str(p->source, FP_MAX_NAME_LEN, false);
                check_str(p->source_version, FP_MAX_VERSION_LEN, false);
                check_str(p->module, FP_MAX_NAME_LEN, true);
                if (p->kernel != (p->kernel_release != NULL))
                        abort();
                if (i > 0) {
                        int c = strcmp(p[-1].name, p->name);
                        if (c > 0 || (c == 0 && strcmp(p[-1].arch, p->arch) > 0))
                                abort();
                }
        }
        json_t *b1 = rebuild(&w);
        if (b1) {
                struct fp_wire_inventory w2;
                if (fp_wire_inventory_parse(b1, &w2, &diag) != FP_OK) {
                        if (diag.msg[0] && strcmp(diag.msg, "out of memory") != 0)
                                abort();
                } else {
                        json_t *b2 = rebuild(&w2);
                        char h1[65], h2[65];
                        if (b2 && fp_wire_hash(b1, h1) && fp_wire_hash(b2, h2) &&
                            strcmp(h1, h2) != 0)
                                abort();
                        json_decref(b2);
                        fp_wire_inventory_release(&w2);
                }
                json_decref(b1);
        }
        fp_wire_inventory_release(&w);
        json_decref(v);
        return 0;
}
