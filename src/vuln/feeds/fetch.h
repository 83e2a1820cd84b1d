/*
 * Downloading a feed with libcurl: http, https and file URLs only, TLS always verified,
 * bounded in size and time, with a conditional GET (ETag / Last-Modified) so an unchanged
 * feed costs one round trip. The whole body lands in memory (the caller decompresses it).
 */
#ifndef FP_VULN_FETCH_H
#define FP_VULN_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"

/* Total time of a transfer when the caller gives none. */
#define FP_FETCH_DEFAULT_TIMEOUT_S 300L
/* Redirects followed (only to http/https, and never from https down to http). */
#define FP_FETCH_MAX_REDIRECTS 5L

struct fp_fetch_opts {
        const char *url;           /* http://, https:// or file:// */
        const char *etag;          /* sent as If-None-Match; NULL = none */
        const char *last_modified; /* sent as If-Modified-Since, as the server gave it; NULL */
        long timeout_s;            /* whole transfer; 0 = FP_FETCH_DEFAULT_TIMEOUT_S. Connecting
                                      gets at most 30 s of it, and a transfer that moves no byte
                                      for min(timeout, 30) s fails (a stalled server). */
        size_t max_bytes;          /* body limit; 0 or above FP_MAX_DOWNLOAD_SIZE = that */
        const char *ca_file;       /* CA bundle (PEM) instead of the system's; NULL */
};

struct fp_fetch_result {
        char *data; /* the body, malloc'd and NUL-terminated ("" for 304) */
        size_t len;
        long status;         /* HTTP status of the final response; 0 for file:// */
        bool not_modified;   /* 304: the feed did not change; data is "" */
        char *etag;          /* ETag of the final response, as sent (quotes kept); or NULL */
        char *last_modified; /* Last-Modified of the final response; or NULL */
};

/*
 * Fetch opts->url into *res (zeroed first). FP_OK for a 200 (or a 304 when a validator was
 * sent); otherwise *res holds nothing and diag names the URL (credentials removed) and the
 * cause:
 *   FP_EINVAL       bad options (no URL, CR/LF in a validator), malformed URL
 *   FP_EUNSUPPORTED a scheme other than http/https/file, or a redirect to one
 *   FP_ENOTFOUND    HTTP 404/410
 *   FP_ENOENT       file:// that cannot be read
 *   FP_ELIMIT       body larger than max_bytes (the transfer is aborted)
 *   FP_ECORRUPT     the connection closed before Content-Length bytes arrived
 *   FP_EIO          DNS, connection refused, TLS, timeout, other HTTP status, too many
 *                   redirects
 *   FP_ENOMEM
 * Thread-safe: libcurl is initialized once; each call uses its own handle.
 */
enum fp_err fp_fetch(const struct fp_fetch_opts *opts, struct fp_fetch_result *res,
                     struct fp_diag *diag);

/* Free what fp_fetch stored in res; res can be reused. NULL-safe. */
void fp_fetch_result_release(struct fp_fetch_result *res);

#endif
