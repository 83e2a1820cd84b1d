/*
 * jansson with our limits, shared by the JSON feed parsers: a bounded load with a clear
 * diagnostic, and typed member getters that say which member was wrong and why.
 */
#ifndef FP_VULN_JSON_H
#define FP_VULN_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"

/*
 * Parse a whole JSON document (size <= FP_MAX_FEED_SIZE, nesting <= FP_MAX_JSON_DEPTH).
 * NULL with diag ("name:line: JSON: <jansson's message> at column N") on failure; *err says
 * whether it was FP_EPARSE, FP_ELIMIT or FP_ENOMEM.
 */
json_t *fp_json_load(const char *data, size_t len, const char *name, enum fp_err *err,
                     struct fp_diag *diag);

/* Nesting depth of a value (a scalar is 1), stopping once it exceeds max. */
size_t fp_json_depth(const json_t *v, size_t max);

/*
 * String member `key` of obj into *out (a view into obj). Absent or JSON null: *out = NULL and
 * true unless required. Present but not a string, empty when required, longer than maxlen or
 * holding a control character: false, with diag->field = key and a message.
 */
bool fp_json_get_str(const json_t *obj, const char *key, bool required, size_t maxlen,
                     const char **out, struct fp_diag *diag);

/* Array member (absent/null = NULL and true unless required); false if not an array or longer
 * than maxitems. */
bool fp_json_get_array(const json_t *obj, const char *key, bool required, size_t maxitems,
                       json_t **out, struct fp_diag *diag);

/* Object member, same rules. */
bool fp_json_get_object(const json_t *obj, const char *key, bool required, json_t **out,
                        struct fp_diag *diag);

/* Date member (fp_parse_date); absent = 0. */
bool fp_json_get_date(const json_t *obj, const char *key, bool required, int64_t *out,
                      struct fp_diag *diag);

#endif
