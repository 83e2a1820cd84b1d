/* Validation of request bodies: strict members, typed getters with limits, identifiers, tags.
 * Each failure answers 400 with the JSON path of what was wrong. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "server/server.h"
#include "vuln/json.h"

bool req_parse_body(struct fp_req *r)
{
        if (!r->body_len) {
                req_error(r, 400, "invalid_json", NULL, "this route needs a JSON body");
                return false;
        }
        enum fp_err err;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        r->json = fp_json_load(r->body, r->body_len, "body", &err, &diag);
        if (!r->json) {
                char msg[600];
                fp_diag_format(&diag, msg, sizeof(msg));
                req_error(r, 400, "invalid_json", NULL, "%s", msg);
                return false;
        }
        if (!json_is_object(r->json)) {
                req_error(r, 400, "invalid_request", NULL, "the body must be a JSON object");
                return false;
        }
        return true;
}

bool req_members(struct fp_req *r, const json_t *obj, const char *where,
                 const char *const *allowed)
{
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)obj, key, v) {
                bool ok = false;
                for (size_t i = 0; allowed[i]; i++)
                        if (!strcmp(key, allowed[i]))
                                ok = true;
                if (!ok) {
                        char field[FP_DIAG_FIELD_MAX];
                        snprintf(field, sizeof(field), "%s%s%.40s", where ? where : "",
                                 where ? "." : "", key);
                        req_error(r, 400, "invalid_request", field, "unknown member");
                        return false;
                }
        }
        return true;
}

bool req_str(struct fp_req *r, const json_t *obj, const char *key, bool required, size_t maxlen,
             const char **out)
{
        struct fp_diag diag;
        fp_diag_clear(&diag);
        const char *v = NULL;
        if (!fp_json_get_str(obj, key, required, maxlen, &v, &diag)) {
                req_error(r, 400, "invalid_request", key, "%s", diag.msg);
                return false;
        }
        if (v)
                *out = v;
        return true;
}

bool req_int(struct fp_req *r, const json_t *obj, const char *key, bool required, int64_t min,
             int64_t max, int64_t *out)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v)) {
                if (required)
                        req_error(r, 400, "invalid_request", key, "required");
                return !required;
        }
        if (!json_is_integer(v)) {
                req_error(r, 400, "invalid_request", key, "must be an integer");
                return false;
        }
        json_int_t n = json_integer_value(v);
        if (n < min || n > max) {
                req_error(r, 400, "invalid_request", key, "must be within %lld..%lld",
                          (long long)min, (long long)max);
                return false;
        }
        *out = n;
        return true;
}

bool fp_valid_ident(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > FP_MAX_IDENT || s[0] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '.' &&
                    s[i] != '_' && s[i] != '-')
                        return false;
        return true;
}

const char *req_path_account(struct fp_req *r, enum fp_role role)
{
        const char *account = r->params[0];
        if (!fp_valid_ident(account)) {
                req_error(r, 404, "not_found", NULL, "no such account");
                return NULL;
        }
        return req_allow(r, account, role) ? account : NULL;
}

static bool valid_tag_text(const char *s, size_t max, bool key)
{
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return key ? false : n <= max;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x20 || c == 0x7f)
                        return false;
                if (key && !isalnum(c) && c != '.' && c != '_' && c != '-' && c != '/' && c != ':')
                        return false;
        }
        return true;
}

bool req_tags(struct fp_req *r, const json_t *tags, const char *field, char **out)
{
        *out = NULL;
        if (!json_is_object(tags)) {
                req_error(r, 400, "invalid_request", field, "must be an object of strings");
                return false;
        }
        if (json_object_size(tags) > FP_MAX_TAGS) {
                req_error(r, 400, "invalid_request", field, "more than %d tags", FP_MAX_TAGS);
                return false;
        }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)tags, k, v) {
                if (!valid_tag_text(k, FP_MAX_TAG_KEY, true)) {
                        req_error(r, 400, "invalid_request", field,
                                  "tag key '%.63s' must be 1..%d of [A-Za-z0-9._-/:]", k,
                                  FP_MAX_TAG_KEY);
                        return false;
                }
                if (!json_is_string(v) ||
                    !valid_tag_text(json_string_value(v), FP_MAX_TAG_VALUE, false)) {
                        req_error(r, 400, "invalid_request", field,
                                  "tag '%.63s': the value must be a string of at most %d "
                                  "characters without control characters",
                                  k, FP_MAX_TAG_VALUE);
                        return false;
                }
        }
        *out = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
        if (!*out) {
                req_error(r, 500, "internal", NULL, "out of memory");
                return false;
        }
        return true;
}
