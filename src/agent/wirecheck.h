/*
 * Helpers shared by the strict JSON parsers of the wire formats (wire.c: facts and inventory;
 * jobwire.c: job params): the error with its JSON path, the name of a JSON type for messages,
 * and member paths. Internal to libfleetpatch.
 */
#ifndef FP_AGENT_WIRECHECK_H
#define FP_AGENT_WIRECHECK_H

#include <jansson.h>
#include <stddef.h>

#include "fleetpatch/error.h"

/* Fill diag (may be NULL) with path as its field and the formatted message; returns err. */
enum fp_err fp_wire_bad(struct fp_diag *diag, enum fp_err err, const char *path, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/* "an object", "a string", ... for "must be X, not Y" messages. */
const char *fp_wire_type_name(const json_t *v);

/* prefix + "." + key into out, cut to fit. */
void fp_wire_member_path(char *out, size_t outsz, const char *prefix, const char *key);

#endif
