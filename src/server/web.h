/* The dashboard's static files, embedded at build time (web/gen_assets.py) and served by
 * web.c at / and /ui/{file} without authentication (docs/dashboard.md). */
#ifndef FP_SERVER_WEB_H
#define FP_SERVER_WEB_H

#include <stddef.h>

struct fp_web_asset {
        const char *name; /* served as /ui/NAME; index.html also at / */
        const char *type; /* Content-Type */
        const unsigned char *data;
        size_t len;
        const char *etag; /* strong, quoted */
};
extern const struct fp_web_asset fp_web_assets[];
extern const size_t fp_web_asset_count;

/* The asset of that name, NULL if there is none. */
const struct fp_web_asset *fp_web_find(const char *name);

/* Queue the answer of a request that fp_req.asset names (http.c): 200 with the bytes or 304
 * without, and the caching and security headers. Returns an enum MHD_Result. */
struct MHD_Connection;
int fp_web_send(struct MHD_Connection *conn, int status, const struct fp_web_asset *a);

#endif
