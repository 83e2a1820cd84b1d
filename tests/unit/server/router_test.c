/* The route table against docs/openapi.json (both directions, with the credential kind), and
 * path matching: parameters, wrong methods, near misses, over-long segments. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"
#include "test.h"

static void lower(const char *in, char *out, size_t sz)
{
        size_t i = 0;
        for (; in[i] && i + 1 < sz; i++)
                out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
        out[i] = 0;
}

static const char *auth_scheme(enum fp_auth a)
{
        switch (a) {
        case FP_AUTH_USER:
                return "user";
        case FP_AUTH_ENROLL:
                return "enroll";
        case FP_AUTH_AGENT:
                return "agent";
        default:
                return NULL;
        }
}

static void openapi_matches_routes(void)
{
        const char *root = getenv("FP_SOURCE_ROOT");
        char path[1024];
        snprintf(path, sizeof(path), "%s/docs/openapi.json", root ? root : ".");
        json_error_t e;
        json_t *doc = json_load_file(path, 0, &e);
        CHECK_MSG(doc != NULL, "%s: %s", path, doc ? "" : e.text);
        if (!doc)
                return;
        json_t *paths = json_object_get(doc, "paths");
        /* Every route is documented, with its credential kind. */
        for (size_t i = 0; i < fp_route_count; i++) {
                char m[16];
                lower(fp_routes[i].method, m, sizeof(m));
                json_t *op = json_object_get(json_object_get(paths, fp_routes[i].pattern), m);
                CHECK_MSG(op != NULL, "route %s %s is not in docs/openapi.json",
                          fp_routes[i].method, fp_routes[i].pattern);
                if (!op)
                        continue;
                json_t *sec = json_object_get(op, "security");
                const char *want = auth_scheme(fp_routes[i].auth);
                const char *have = NULL;
                if (json_array_size(sec) == 1) {
                        const char *k;
                        json_t *v;
                        json_object_foreach(json_array_get(sec, 0), k, v) have = k;
                }
                CHECK_MSG((want == NULL && json_array_size(sec) == 0) ||
                                  (want && have && !strcmp(want, have)),
                          "%s %s: openapi security %s, route auth %s", fp_routes[i].method,
                          fp_routes[i].pattern, have ? have : "none", want ? want : "none");
                CHECK_MSG(!!json_object_get(op, "requestBody") == !!fp_routes[i].body_limit,
                          "%s %s: requestBody in openapi and body_limit of the route disagree",
                          fp_routes[i].method, fp_routes[i].pattern);
        }
        /* Nothing documented that the server lacks. */
        const char *p;
        json_t *item;
        json_object_foreach(paths, p, item) {
                const char *m;
                json_t *op;
                json_object_foreach(item, m, op) {
                        bool found = false;
                        for (size_t i = 0; i < fp_route_count; i++) {
                                char rm[16];
                                lower(fp_routes[i].method, rm, sizeof(rm));
                                if (!strcmp(fp_routes[i].pattern, p) && !strcmp(rm, m))
                                        found = true;
                        }
                        CHECK_MSG(found, "docs/openapi.json has %s %s, the server does not", m, p);
                }
        }
        json_decref(doc);
}

static int match(const char *method, const char *path, const char **params, size_t *n,
                 bool *known)
{
        static char scratch[512];
        return fp_route_match(method, path, params, n, scratch, sizeof(scratch), known);
}

/* Every route has its own metrics series (metrics.c counts routes past the table as unmatched). */
static void metrics_fit_routes(void)
{
        CHECK_MSG(fp_route_count <= FP_METRICS_MAX_ROUTES,
                  "%zu routes, metrics.c keeps series for %d: raise FP_METRICS_MAX_ROUTES",
                  fp_route_count, FP_METRICS_MAX_ROUTES);
}

static void matching(void)
{
        const char *params[FP_MAX_PATH_PARAMS];
        size_t n;
        bool known;
        int r = match("GET", "/v1/hosts/abc123/updates", params, &n, &known);
        CHECK(r >= 0);
        if (r >= 0) {
                CHECK_STR_EQ(fp_routes[r].pattern, "/v1/hosts/{id}/updates");
                CHECK_INT_EQ(n, 1);
                CHECK_STR_EQ(params[0], "abc123");
        }
        r = match("DELETE", "/v1/users/bob/grants/acme", params, &n, &known);
        CHECK(r >= 0 && n == 2 && !strcmp(params[0], "bob") && !strcmp(params[1], "acme"));
        /* The path exists, the method does not: known, no route (405). */
        r = match("PATCH", "/v1/hosts/x", params, &n, &known);
        CHECK(r < 0 && known);
        /* Near misses: no route and not known (404). */
        static const char *const misses[] = {"/v1/hosts/", "/v1/hosts//updates", "/v1/hostsx",
                                             "/v1/hosts/x/updates/", "/V1/hosts", "", "//",
                                             "/v1/agent/jobs/x/y", "/ui", "/ui/", "/ui/a/b"};
        for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
                r = match("GET", misses[i], params, &n, &known);
                CHECK_MSG(r < 0 && !known, "'%s' should match no route", misses[i]);
        }
        /* A segment longer than the scratch space is not matched (no overflow). */
        char longpath[2048] = "/v1/hosts/";
        memset(longpath + 10, 'a', 1500);
        longpath[1510] = 0;
        r = match("GET", longpath, params, &n, &known);
        CHECK(r < 0);
        /* Exact routes without parameters. */
        r = match("GET", "/v1/summary", params, &n, &known);
        CHECK(r >= 0 && n == 0);
        /* The dashboard: / and one file segment under /ui/ (docs/dashboard.md). */
        r = match("GET", "/", params, &n, &known);
        CHECK(r >= 0 && n == 0 && fp_routes[r].auth == FP_AUTH_NONE);
        r = match("GET", "/ui/app.js", params, &n, &known);
        CHECK(r >= 0 && n == 1 && !strcmp(params[0], "app.js") && fp_routes[r].auth == FP_AUTH_NONE);
        r = match("POST", "/", params, &n, &known);
        CHECK(r < 0 && known);
}

int main(void)
{
        openapi_matches_routes();
        matching();
        metrics_fit_routes();
        return fp_test_finish();
}
