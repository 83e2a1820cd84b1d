/*
 * Fuzz fleetpatchd's route matching on arbitrary method and path bytes (fp_route_match, as
 * http.c calls it on every request). Input: one byte of scratch size, the method up to the
 * first '\n', the path after it; both are copied into buffers of their exact size so a read
 * past the end is caught. Invariants: a match names a route of that method whose pattern,
 * with the parameters put back, is the path; parameters are non-empty, hold no '/', and lie
 * inside the scratch buffer; a match implies path_known.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dup_n(const uint8_t *p, size_t n)
{
        char *s = malloc(n + 1);
        if (!s)
                abort();
        memcpy(s, p, n);
        s[n] = 0;
        return s;
}

/* The pattern with the parameters put back in; equal to the path for a real match. */
static void check_rebuild(const char *pattern, const char *path, const char *const *params,
                          size_t n)
{
        size_t k = 0;
        const char *p = path;
        for (const char *q = pattern; *q;) {
                if (*q == '{') {
                        if (k >= n)
                                abort();
                        size_t len = strlen(params[k]);
                        if (strncmp(p, params[k], len))
                                abort();
                        p += len;
                        k++;
                        q = strchr(q, '}');
                        if (!q)
                                abort();
                        q++;
                        continue;
                }
                if (*p++ != *q++)
                        abort();
        }
        if (*p || k != n)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        size_t scratchsz = data[0] * 2u; /* 0..510: small ones exercise the bound */
        data++;
        size--;
        const uint8_t *nl = memchr(data, '\n', size);
        size_t mlen = nl ? (size_t)(nl - data) : 0;
        char *method = dup_n(data, mlen);
        char *path = nl ? dup_n(nl + 1, size - mlen - 1) : dup_n(data, size);
        char *scratch = malloc(scratchsz ? scratchsz : 1);
        if (!scratch)
                abort();
        const char *params[FP_MAX_PATH_PARAMS];
        size_t n = 99;
        bool known = true;
        int route = fp_route_match(method, path, params, &n, scratch, scratchsz, &known);
        if (route >= 0) {
                if ((size_t)route >= fp_route_count || !known || n > FP_MAX_PATH_PARAMS ||
                    strcmp(fp_routes[route].method, method))
                        abort();
                for (size_t i = 0; i < n; i++) {
                        if (params[i] < scratch || params[i] >= scratch + scratchsz ||
                            !*params[i] || strchr(params[i], '/') ||
                            params[i] + strlen(params[i]) >= scratch + scratchsz)
                                abort();
                }
                check_rebuild(fp_routes[route].pattern, path, params, n);
        } else if (route != -1) {
                abort();
        }
        free(scratch);
        free(method);
        free(path);
        return 0;
}
