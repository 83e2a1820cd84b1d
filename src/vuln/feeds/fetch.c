/* Feed downloads with libcurl (see fetch.h). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetpatch/limits.h"
#include "vuln/feeds/fetch.h"

/* Validators longer than this are not from a sane server; they are ignored. */
#define FETCH_MAX_VALIDATOR 1024
/* Connecting, and a transfer without progress, fail after at most this long. */
#define FETCH_MAX_IDLE_S 30L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* curl_global_init is not thread-safe in older libcurl; run it exactly once. */
static void curl_init(void)
{
        curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct transfer {
        char *data;
        size_t len, cap, max;
        bool too_big, oom;
        char *etag, *last_modified;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct transfer *t = ud;
        size_t n = size * nmemb;

        /* Without a Content-Length, curl cannot refuse in advance: stop at the limit. */
        if (n > t->max - t->len) {
                t->too_big = true;
                return 0;
        }
        if (t->len + n + 1 > t->cap) {
                size_t cap = t->cap ? t->cap : 64 * 1024;
                while (cap < t->len + n + 1)
                        cap *= 2;
                if (cap > t->max + 1)
                        cap = t->max + 1;
                char *p = realloc(t->data, cap);
                if (!p) {
                        t->oom = true;
                        return 0;
                }
                t->data = p;
                t->cap = cap;
        }
        memcpy(t->data + t->len, ptr, n);
        t->len += n;
        t->data[t->len] = '\0';
        return n;
}

/* The value of header line `line` if it is `name`, trimmed and copied; else NULL. */
static char *header_value(const char *line, size_t n, const char *name)
{
        size_t nl = strlen(name);

        if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return NULL;
        const char *s = line + nl + 1, *e = line + n;
        while (s < e && (*s == ' ' || *s == '\t'))
                s++;
        while (e > s && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
        if (s == e || (size_t)(e - s) > FETCH_MAX_VALIDATOR)
                return NULL;
        return strndup(s, (size_t)(e - s));
}

static void replace(char **slot, char *value)
{
        free(*slot);
        *slot = value;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct transfer *t = ud;
        size_t n = size * nmemb;
        char *v;

        /* Each response of a redirect chain starts with its status line; only the last
         * response's validators describe the body we keep. */
        if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
                replace(&t->etag, NULL);
                replace(&t->last_modified, NULL);
        } else if ((v = header_value(ptr, n, "ETag"))) {
                replace(&t->etag, v);
        } else if ((v = header_value(ptr, n, "Last-Modified"))) {
                replace(&t->last_modified, v);
        }
        return n;
}

/* url without "user:password@", for messages. */
static void redact(const char *url, char *out, size_t outsz)
{
        const char *auth = strstr(url, "://");
        const char *at = NULL;

        if (auth) {
                auth += 3;
                size_t alen = strcspn(auth, "/?#");
                for (const char *p = auth; p < auth + alen; p++)
                        if (*p == '@')
                                at = p;
        }
        if (at)
                snprintf(out, outsz, "%.*s%s", (int)(auth - url), url, at + 1);
        else
                snprintf(out, outsz, "%s", url);
}

static enum fp_err fail(struct fp_diag *diag, const char *url, enum fp_err err, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static enum fp_err fail(struct fp_diag *diag, const char *url, enum fp_err err, const char *fmt,
                        ...)
{
        char where[FP_DIAG_FILE_MAX];
        va_list ap;

        if (!diag)
                return err;
        redact(url ? url : "", where, sizeof(where));
        fp_diag_set(diag, where, 0, "", "%s", "");
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
        return err;
}

static bool has_crlf(const char *s)
{
        return s && strpbrk(s, "\r\n") != NULL;
}

static struct curl_slist *conditional_headers(const struct fp_fetch_opts *o, bool *oom)
{
        struct curl_slist *h = NULL, *n;
        char line[FETCH_MAX_VALIDATOR + 32];

        *oom = false;
        if (o->etag && *o->etag) {
                snprintf(line, sizeof(line), "If-None-Match: %s", o->etag);
                if (!(n = curl_slist_append(h, line)))
                        goto oom;
                h = n;
        }
        if (o->last_modified && *o->last_modified) {
                snprintf(line, sizeof(line), "If-Modified-Since: %s", o->last_modified);
                if (!(n = curl_slist_append(h, line)))
                        goto oom;
                h = n;
        }
        return h;
oom:
        curl_slist_free_all(h);
        *oom = true;
        return NULL;
}

static long min_long(long a, long b)
{
        return a < b ? a : b;
}

/* Everything about the handle except the per-call buffers. */
static CURLcode configure(CURL *c, const struct fp_fetch_opts *o, long timeout,
                          struct curl_slist *hdrs, char *errbuf)
{
        CURLcode rc = CURLE_OK;
        /* A redirect may not leave http(s), and never downgrades https to plain http. */
        const char *redir = strncasecmp(o->url, "https:", 6) == 0 ? "https" : "http,https";

#define SET(opt, val)                                                                              \
        do {                                                                                       \
                if (rc == CURLE_OK)                                                                \
                        rc = curl_easy_setopt(c, opt, val);                                        \
        } while (0)
        SET(CURLOPT_ERRORBUFFER, errbuf);
        SET(CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500
        SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
        SET(CURLOPT_REDIR_PROTOCOLS_STR, redir);
#else
        SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
        SET(CURLOPT_REDIR_PROTOCOLS,
            (long)(redir[4] == ',' ? CURLPROTO_HTTP | CURLPROTO_HTTPS : CURLPROTO_HTTPS));
#endif
        SET(CURLOPT_FOLLOWLOCATION, 1L);
        SET(CURLOPT_MAXREDIRS, FP_FETCH_MAX_REDIRECTS);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (o->ca_file)
                SET(CURLOPT_CAINFO, o->ca_file);
        SET(CURLOPT_FAILONERROR, 1L);
        SET(CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: safe in threads */
        SET(CURLOPT_TIMEOUT, timeout);
        SET(CURLOPT_CONNECTTIMEOUT, min_long(timeout, FETCH_MAX_IDLE_S));
        SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
        SET(CURLOPT_LOW_SPEED_TIME, min_long(timeout, FETCH_MAX_IDLE_S));
        SET(CURLOPT_USERAGENT, "fleetpatch");
        SET(CURLOPT_HTTPHEADER, hdrs);
#undef SET
        return rc;
}

/* A failed transfer as an error code and message. */
static enum fp_err classify(CURL *c, CURLcode rc, const struct transfer *t,
                            const struct fp_fetch_opts *o, long timeout, const char *errbuf,
                            struct fp_diag *diag)
{
        const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        const char *url = o->url;
        long status = 0;

        switch (rc) {
        case CURLE_HTTP_RETURNED_ERROR:
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
                return fail(diag, url, status == 404 || status == 410 ? FP_ENOTFOUND : FP_EIO,
                            "HTTP status %ld", status);
        case CURLE_UNSUPPORTED_PROTOCOL:
                return fail(diag, url, FP_EUNSUPPORTED,
                            "scheme not allowed (only http, https, file; redirects only to "
                            "http(s)): %s",
                            detail);
        case CURLE_URL_MALFORMAT:
                return fail(diag, url, FP_EINVAL, "malformed URL: %s", detail);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return fail(diag, url, FP_EIO, "DNS: cannot resolve host: %s", detail);
        case CURLE_COULDNT_CONNECT:
                return fail(diag, url, FP_EIO, "cannot connect: %s", detail);
        case CURLE_OPERATION_TIMEDOUT:
                return fail(diag, url, FP_EIO, "timed out (limit %ld s, or %ld s without data): %s",
                            timeout, min_long(timeout, FETCH_MAX_IDLE_S), detail);
        case CURLE_FILESIZE_EXCEEDED:
                return fail(diag, url, FP_ELIMIT, "body larger than the limit of %zu bytes",
                            t->max);
        case CURLE_WRITE_ERROR:
                if (t->too_big)
                        return fail(diag, url, FP_ELIMIT,
                                    "body larger than the limit of %zu bytes (transfer aborted)",
                                    t->max);
                if (t->oom)
                        return fail(diag, url, FP_ENOMEM, "out of memory after %zu bytes", t->len);
                break;
        case CURLE_PARTIAL_FILE:
                return fail(diag, url, FP_ECORRUPT,
                            "truncated: connection closed after %zu bytes, before the announced "
                            "Content-Length (%s)",
                            t->len, detail);
        case CURLE_TOO_MANY_REDIRECTS:
                return fail(diag, url, FP_EIO, "more than %ld redirects", FP_FETCH_MAX_REDIRECTS);
        case CURLE_FILE_COULDNT_READ_FILE:
                return fail(diag, url, FP_ENOENT, "cannot read the file: %s", detail);
        case CURLE_OUT_OF_MEMORY:
                return fail(diag, url, FP_ENOMEM, "out of memory");
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
                return fail(diag, url, FP_EIO, "TLS: %s", detail);
        default:
                break;
        }
        return fail(diag, url, FP_EIO, "%s", detail);
}

/* A finished transfer: 200, or 304 when we asked conditionally; file:// has no status. */
static enum fp_err check_status(CURL *c, const struct fp_fetch_opts *o, struct transfer *t,
                                struct fp_fetch_result *res, struct fp_diag *diag)
{
        const char *scheme = NULL;
        bool conditional = (o->etag && *o->etag) || (o->last_modified && *o->last_modified);

        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
        curl_easy_getinfo(c, CURLINFO_SCHEME, &scheme);
        if (scheme && strcasecmp(scheme, "file") == 0)
                return FP_OK;
        if (res->status == 200)
                return FP_OK;
        if (res->status == 304 && conditional) {
                res->not_modified = true;
                t->len = 0;
                return FP_OK;
        }
        if (res->status == 304)
                return fail(diag, o->url, FP_EIO,
                            "HTTP status 304 (not modified) to a request "
                            "without ETag or Last-Modified");
        if (res->status >= 300 && res->status < 400)
                return fail(diag, o->url, FP_EIO, "HTTP status %ld without a usable Location",
                            res->status);
        return fail(diag, o->url, FP_EIO, "unexpected HTTP status %ld", res->status);
}

static enum fp_err transfer(CURL *c, const struct fp_fetch_opts *o, struct transfer *t,
                            struct fp_fetch_result *res, struct fp_diag *diag)
{
        char errbuf[CURL_ERROR_SIZE] = "";
        long timeout = o->timeout_s > 0 ? o->timeout_s : FP_FETCH_DEFAULT_TIMEOUT_S;
        bool oom;
        struct curl_slist *hdrs = conditional_headers(o, &oom);
        enum fp_err err;

        if (oom)
                return fail(diag, o->url, FP_ENOMEM, "out of memory");
        CURLcode rc = configure(c, o, timeout, hdrs, errbuf);
        if (rc == CURLE_OK)
                rc = curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max);
        if (rc == CURLE_OK)
                rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        if (rc == CURLE_OK)
                rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
        if (rc == CURLE_OK)
                rc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        if (rc == CURLE_OK)
                rc = curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
        if (rc != CURLE_OK) {
                /* The installed libcurl lacks the protocol or TLS support we insist on. */
                err = fail(diag, o->url, rc == CURLE_OUT_OF_MEMORY ? FP_ENOMEM : FP_EUNSUPPORTED,
                           "libcurl refused an option: %s", curl_easy_strerror(rc));
        } else if ((rc = curl_easy_perform(c)) != CURLE_OK) {
                err = classify(c, rc, t, o, timeout, errbuf, diag);
        } else {
                err = check_status(c, o, t, res, diag);
        }
        curl_slist_free_all(hdrs);
        return err;
}

enum fp_err fp_fetch(const struct fp_fetch_opts *opts, struct fp_fetch_result *res,
                     struct fp_diag *diag)
{
        struct transfer t = {0};
        enum fp_err err;

        memset(res, 0, sizeof(*res));
        fp_diag_clear(diag);
        if (!opts || !opts->url || !*opts->url)
                return fail(diag, "", FP_EINVAL, "no URL given");
        if (has_crlf(opts->etag) || has_crlf(opts->last_modified) || has_crlf(opts->url))
                return fail(diag, opts->url, FP_EINVAL, "line break in the URL or a validator");
        if ((opts->etag && strlen(opts->etag) > FETCH_MAX_VALIDATOR) ||
            (opts->last_modified && strlen(opts->last_modified) > FETCH_MAX_VALIDATOR))
                return fail(diag, opts->url, FP_EINVAL, "validator longer than %d bytes",
                            FETCH_MAX_VALIDATOR);
        /* Checked here, not only by libcurl: a URL without a scheme would be guessed as
         * http and looked up in DNS. */
        if (strncasecmp(opts->url, "http://", 7) != 0 &&
            strncasecmp(opts->url, "https://", 8) != 0 && strncasecmp(opts->url, "file://", 7) != 0)
                return fail(diag, opts->url, FP_EUNSUPPORTED,
                            "scheme not allowed (only http, https, file)");
        t.max = opts->max_bytes > 0 && opts->max_bytes < (size_t)FP_MAX_DOWNLOAD_SIZE
                    ? opts->max_bytes
                    : (size_t)FP_MAX_DOWNLOAD_SIZE;
        pthread_once(&curl_once, curl_init);
        if (curl_init_rc != CURLE_OK)
                return fail(diag, opts->url, FP_EIO, "libcurl initialization failed: %s",
                            curl_easy_strerror(curl_init_rc));
        CURL *c = curl_easy_init();
        if (!c)
                return fail(diag, opts->url, FP_ENOMEM, "cannot create a libcurl handle");
        err = transfer(c, opts, &t, res, diag);
        curl_easy_cleanup(c);
        if (err == FP_OK && !t.data && !(t.data = calloc(1, 1))) {
                fail(diag, opts->url, FP_ENOMEM, "out of memory");
                err = FP_ENOMEM;
        }
        if (err != FP_OK) {
                free(t.data);
                free(t.etag);
                free(t.last_modified);
                memset(res, 0, sizeof(*res));
                return err;
        }
        t.data[t.len] = '\0';
        res->data = t.data;
        res->len = t.len;
        res->etag = t.etag;
        res->last_modified = t.last_modified;
        return FP_OK;
}

void fp_fetch_result_release(struct fp_fetch_result *res)
{
        if (!res)
                return;
        free(res->data);
        free(res->etag);
        free(res->last_modified);
        memset(res, 0, sizeof(*res));
}
