/*
 * The dashboard's static files (docs/dashboard.md): index.html at / and every file at
 * /ui/{file}, unauthenticated, with a strong ETag (304 on If-None-Match), revalidated on every
 * use (no-cache: the files change with the binary, not with their names) and a strict
 * Content-Security-Policy: scripts only from this origin, no inline script or style, no
 * framing. Everything the pages show comes from the authenticated REST API.
 */
#include <microhttpd.h>
#include <string.h>

#include "server/server.h"
#include "server/web.h"

#define CSP                                                                                        \
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"          \
        " connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self';"              \
        " frame-ancestors 'none'"

const struct fp_web_asset *fp_web_find(const char *name)
{
        for (size_t i = 0; name && i < fp_web_asset_count; i++)
                if (!strcmp(fp_web_assets[i].name, name))
                        return &fp_web_assets[i];
        return NULL;
}

/* Does an If-None-Match list name the etag (or "*")? Weak validators compare weakly. */
static bool etag_matches(const char *inm, const char *etag)
{
        size_t n = strlen(etag);
        for (const char *p = inm; p && *p;) {
                while (*p == ' ' || *p == ',')
                        p++;
                if (*p == '*')
                        return true;
                if (!strncmp(p, "W/", 2))
                        p += 2;
                if (!strncmp(p, etag, n) && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
                        return true;
                p = strchr(p, ',');
        }
        return false;
}

static void serve(struct fp_req *r, const struct fp_web_asset *a)
{
        if (!a) {
                req_error(r, 404, "not_found", NULL, "no such file");
                return;
        }
        const char *inm = r->conn ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                                MHD_HTTP_HEADER_IF_NONE_MATCH)
                                  : NULL;
        r->status = inm && etag_matches(inm, a->etag) ? 304 : 200;
        r->asset = a;
}

void api_web_index(struct fp_req *r)
{
        serve(r, fp_web_find("index.html"));
}

void api_web_asset(struct fp_req *r)
{
        serve(r, fp_web_find(r->params[0]));
}

int fp_web_send(struct MHD_Connection *conn, int status, const struct fp_web_asset *a)
{
        /* The bytes are static: MHD_RESPMEM_PERSISTENT neither copies nor frees them. */
        struct MHD_Response *resp = MHD_create_response_from_buffer(
                status == 304 ? 0 : a->len, (void *)(uintptr_t)a->data, MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(resp, "Content-Security-Policy", CSP);
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
        MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
        enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
        MHD_destroy_response(resp);
        return ret;
}
