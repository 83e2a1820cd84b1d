/* jansson with our limits (see json.h). */
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"
#include "vuln/json.h"

size_t fp_json_depth(const json_t *v, size_t max)
{
        if (max == 0)
                return 1;
        size_t deepest = 0;
        if (json_is_object(v)) {
                const char *k;
                const json_t *child;
                json_object_foreach ((json_t *)v, k, child) {
                        size_t d = fp_json_depth(child, max - 1);
                        if (d > deepest)
                                deepest = d;
                        if (deepest >= max)
                                break;
                }
        } else if (json_is_array(v)) {
                size_t i;
                const json_t *child;
                json_array_foreach (v, i, child) {
                        size_t d = fp_json_depth(child, max - 1);
                        if (d > deepest)
                                deepest = d;
                        if (deepest >= max)
                                break;
                }
        }
        return deepest + 1;
}

json_t *fp_json_load(const char *data, size_t len, const char *name, enum fp_err *err,
                     struct fp_diag *diag)
{
        if (len > (size_t)FP_MAX_FEED_SIZE) {
                *err = FP_ELIMIT;
                fp_diag_set(diag, name, 0, "", "JSON document of %zu bytes exceeds the limit of %ld",
                            len, (long)FP_MAX_FEED_SIZE);
                return NULL;
        }
        json_error_t jerr;
        json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (!root) {
                *err = json_error_code(&jerr) == json_error_out_of_memory ? FP_ENOMEM : FP_EPARSE;
                fp_diag_set(diag, name, jerr.line > 0 ? (unsigned long)jerr.line : 0, "",
                            "JSON: %s at column %d", jerr.text, jerr.column);
                return NULL;
        }
        if (fp_json_depth(root, FP_MAX_JSON_DEPTH + 1) > FP_MAX_JSON_DEPTH) {
                json_decref(root);
                *err = FP_ELIMIT;
                fp_diag_set(diag, name, 0, "", "JSON nesting deeper than %d", FP_MAX_JSON_DEPTH);
                return NULL;
        }
        *err = FP_OK;
        return root;
}

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        case JSON_NULL: return "null";
        }
        return "?";
}

bool fp_json_get_str(const json_t *obj, const char *key, bool required, size_t maxlen,
                     const char **out, struct fp_diag *diag)
{
        *out = NULL;
        const json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v)) {
                if (required) {
                        fp_diag_where(diag, NULL, 0, key);
                        fp_diag_msg(diag, "required string is missing");
                        return false;
                }
                return true;
        }
        if (!json_is_string(v)) {
                fp_diag_where(diag, NULL, 0, key);
                fp_diag_msg(diag, "expected a string, got %s", type_name(v));
                return false;
        }
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len > maxlen) {
                fp_diag_where(diag, NULL, 0, key);
                fp_diag_msg(diag, "string of %zu bytes exceeds the limit of %zu", len, maxlen);
                return false;
        }
        if (required && len == 0) {
                fp_diag_where(diag, NULL, 0, key);
                fp_diag_msg(diag, "required string is empty");
                return false;
        }
        for (size_t i = 0; i < len; i++) {
                if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t' && s[i] != '\r') {
                        fp_diag_where(diag, NULL, 0, key);
                        fp_diag_msg(diag, "control character 0x%02x at offset %zu", s[i], i);
                        return false;
                }
        }
        *out = s;
        return true;
}

static bool get_typed(const json_t *obj, const char *key, bool required, json_type type,
                      json_t **out, struct fp_diag *diag)
{
        *out = NULL;
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v)) {
                if (required) {
                        fp_diag_where(diag, NULL, 0, key);
                        fp_diag_msg(diag, "required %s is missing",
                                    type == JSON_ARRAY ? "array" : "object");
                        return false;
                }
                return true;
        }
        if (json_typeof(v) != type) {
                fp_diag_where(diag, NULL, 0, key);
                fp_diag_msg(diag, "expected %s, got %s", type == JSON_ARRAY ? "an array" : "an object",
                            type_name(v));
                return false;
        }
        *out = v;
        return true;
}

bool fp_json_get_array(const json_t *obj, const char *key, bool required, size_t maxitems,
                       json_t **out, struct fp_diag *diag)
{
        if (!get_typed(obj, key, required, JSON_ARRAY, out, diag))
                return false;
        if (*out && json_array_size(*out) > maxitems) {
                fp_diag_where(diag, NULL, 0, key);
                fp_diag_msg(diag, "%zu items exceed the limit of %zu", json_array_size(*out),
                            maxitems);
                *out = NULL;
                return false;
        }
        return true;
}

bool fp_json_get_object(const json_t *obj, const char *key, bool required, json_t **out,
                        struct fp_diag *diag)
{
        return get_typed(obj, key, required, JSON_OBJECT, out, diag);
}

bool fp_json_get_date(const json_t *obj, const char *key, bool required, int64_t *out,
                      struct fp_diag *diag)
{
        const char *s;
        *out = 0;
        if (!fp_json_get_str(obj, key, required, 64, &s, diag))
                return false;
        if (!s || (!required && *s == '\0'))
                return true;
        if (!fp_parse_date(s, out)) {
                fp_diag_where(diag, NULL, 0, key);
                fp_diag_msg(diag, "not a date: '%s'", s);
                return false;
        }
        return true;
}
