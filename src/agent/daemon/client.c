/* HTTP with libcurl for the agent (client.h). */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/client.h"
#include "agent/daemon/log.h"

/* Connecting to the server must not take longer than this. */
#define HTTP_CONNECT_TIMEOUT_MS 10000L
/* Metadata services answer in microseconds when present; absent ones must not delay us. */
#define IMDS_TIMEOUT_MS 300L

bool http_global_init(void)
{
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

struct sink {
        char *data;
        size_t len, cap;
        bool too_big, oom;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct sink *s = ud;
        size_t n = size * nmemb;
        if (n > HTTP_MAX_ANSWER - s->len) {
                s->too_big = true;
                return 0;
        }
        if (s->len + n + 1 > s->cap) {
                size_t cap = s->cap ? s->cap : 4096;
                while (cap < s->len + n + 1)
                        cap *= 2;
                char *p = realloc(s->data, cap);
                if (!p) {
                        s->oom = true;
                        return 0;
                }
                s->data = p;
                s->cap = cap;
        }
        memcpy(s->data + s->len, ptr, n);
        s->len += n;
        s->data[s->len] = '\0';
        return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        volatile sig_atomic_t *cancel = ud;
        return cancel && *cancel ? 1 : 0;
}

/* The URL without its query, for messages. */
static void url_for_msg(const char *url, char *out, size_t outsz)
{
        snprintf(out, outsz, "%.*s", (int)strcspn(url, "?"), url);
}

enum fp_err http_perform(const struct http_request *r, struct http_response *out,
                         struct fp_diag *diag)
{
        char errbuf[CURL_ERROR_SIZE] = "", where[512], auth[256];
        struct sink s = {0};
        struct curl_slist *h = NULL, *n;
        enum fp_err err = FP_OK;
        CURLcode rc = CURLE_OK;

        memset(out, 0, sizeof(*out));
        url_for_msg(r->url, where, sizeof(where));
        CURL *c = curl_easy_init();
        if (!c) {
                fp_diag_set(diag, where, 0, NULL, "cannot create a libcurl handle");
                return FP_ENOMEM;
        }
        if (r->bearer) {
                snprintf(auth, sizeof(auth), "Authorization: Bearer %s", r->bearer);
                if ((n = curl_slist_append(h, auth)))
                        h = n;
                else
                        rc = CURLE_OUT_OF_MEMORY;
        }
        if (r->body && (n = curl_slist_append(h, "Content-Type: application/json")))
                h = n;
        for (size_t i = 0; r->headers && r->headers[i]; i++)
                if ((n = curl_slist_append(h, r->headers[i])))
                        h = n;
        /* no "Expect: 100-continue" round trip before a check-in body */
        if ((n = curl_slist_append(h, "Expect:")))
                h = n;

#define SET(opt, val)                                                                              \
        do {                                                                                       \
                if (rc == CURLE_OK)                                                                \
                        rc = curl_easy_setopt(c, opt, val);                                        \
        } while (0)
        SET(CURLOPT_ERRORBUFFER, errbuf);
        SET(CURLOPT_URL, r->url);
#if LIBCURL_VERSION_NUM >= 0x075500
        SET(CURLOPT_PROTOCOLS_STR, r->https_only ? "https" : "http,https");
#else
        SET(CURLOPT_PROTOCOLS,
            r->https_only ? (long)CURLPROTO_HTTPS : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        /* never off: the credential goes to whoever holds the server's certificate */
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (r->ca_file)
                SET(CURLOPT_CAINFO, r->ca_file);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_TIMEOUT_MS, r->timeout_ms);
        SET(CURLOPT_CONNECTTIMEOUT_MS,
            r->timeout_ms < HTTP_CONNECT_TIMEOUT_MS ? r->timeout_ms : HTTP_CONNECT_TIMEOUT_MS);
        SET(CURLOPT_NOPROXY, r->https_only ? NULL : "*"); /* metadata is never proxied */
        SET(CURLOPT_USERAGENT, "fleetpatch-agent");
        SET(CURLOPT_HTTPHEADER, h);
        SET(CURLOPT_CUSTOMREQUEST, r->method);
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_ANSWER);
        SET(CURLOPT_WRITEFUNCTION, on_body);
        SET(CURLOPT_WRITEDATA, &s);
        if (r->body) {
                SET(CURLOPT_POSTFIELDS, r->body);
                SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
        } else if (strcmp(r->method, "GET") == 0) {
                SET(CURLOPT_HTTPGET, 1L);
        }
        if (r->cancel) {
                SET(CURLOPT_XFERINFOFUNCTION, on_progress);
                SET(CURLOPT_XFERINFODATA, (void *)r->cancel);
                SET(CURLOPT_NOPROGRESS, 0L);
        }
#undef SET
        if (rc != CURLE_OK) {
                fp_diag_set(diag, where, 0, NULL, "libcurl refused an option: %s",
                            curl_easy_strerror(rc));
                err = rc == CURLE_OUT_OF_MEMORY ? FP_ENOMEM : FP_EUNSUPPORTED;
                goto out;
        }
        rc = curl_easy_perform(c);
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
                fp_diag_set(diag, where, 0, NULL, "cancelled");
                err = FP_EINVAL;
        } else if (rc == CURLE_WRITE_ERROR && s.too_big) {
                fp_diag_set(diag, where, 0, NULL, "answer larger than %d bytes", HTTP_MAX_ANSWER);
                err = FP_ELIMIT;
        } else if (rc == CURLE_FILESIZE_EXCEEDED) {
                fp_diag_set(diag, where, 0, NULL, "answer larger than %d bytes", HTTP_MAX_ANSWER);
                err = FP_ELIMIT;
        } else if (rc == CURLE_WRITE_ERROR && s.oom) {
                fp_diag_set(diag, where, 0, NULL, "out of memory");
                err = FP_ENOMEM;
        } else if (rc != CURLE_OK) {
                fp_diag_set(diag, where, 0, NULL, "%s",
                            errbuf[0] ? errbuf : curl_easy_strerror(rc));
                err = FP_EIO;
        } else {
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        }
out:
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (err == FP_OK && !s.data && !(s.data = calloc(1, 1)))
                err = FP_ENOMEM;
        if (err != FP_OK) {
                free(s.data);
                memset(out, 0, sizeof(*out));
                return err;
        }
        out->body = s.data;
        out->len = s.len;
        return FP_OK;
}

void http_response_release(struct http_response *r)
{
        if (!r)
                return;
        free(r->body);
        memset(r, 0, sizeof(*r));
}

/* ---- cloud metadata --------------------------------------------------------------------- */

static json_t *imds_json(const char *method, const char *url, const char *const *headers,
                         char **text)
{
        struct http_request r = {
            .method = method, .url = url, .headers = headers, .timeout_ms = IMDS_TIMEOUT_MS};
        struct http_response res;
        if (http_perform(&r, &res, NULL) != FP_OK)
                return NULL;
        json_t *v = NULL;
        if (res.status == 200) {
                if (text) {
                        *text = res.body;
                        res.body = NULL;
                } else {
                        v = json_loadb(res.body, res.len, 0, NULL);
                }
        }
        http_response_release(&res);
        return v;
}

static void copy(char *dst, size_t dstsz, const json_t *v)
{
        if (json_is_string(v))
                snprintf(dst, dstsz, "%s", json_string_value(v));
        else if (json_is_integer(v))
                snprintf(dst, dstsz, "%lld", (long long)json_integer_value(v));
}

static bool try_aws(const char *base, struct cloud_info *out)
{
        char url[1024], hdr[1200], *token = NULL;
        static const char *const ttl[] = {"X-aws-ec2-metadata-token-ttl-seconds: 60", NULL};
        snprintf(url, sizeof(url), "%s/latest/api/token", base);
        imds_json("PUT", url, ttl, &token);
        if (!token)
                return false;
        token[strcspn(token, "\r\n")] = '\0';
        snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %.1024s", token);
        free(token);
        const char *const h[] = {hdr, NULL};
        snprintf(url, sizeof(url), "%s/latest/dynamic/instance-identity/document", base);
        json_t *doc = imds_json("GET", url, h, NULL);
        if (!json_is_object(doc)) {
                json_decref(doc);
                return false;
        }
        snprintf(out->provider, sizeof(out->provider), "aws");
        copy(out->account, sizeof(out->account), json_object_get(doc, "accountId"));
        copy(out->region, sizeof(out->region), json_object_get(doc, "region"));
        copy(out->zone, sizeof(out->zone), json_object_get(doc, "availabilityZone"));
        copy(out->instance_id, sizeof(out->instance_id), json_object_get(doc, "instanceId"));
        json_decref(doc);
        return true;
}

static bool try_azure(const char *base, struct cloud_info *out)
{
        char url[1024];
        static const char *const h[] = {"Metadata: true", NULL};
        snprintf(url, sizeof(url), "%s/metadata/instance/compute?api-version=2021-02-01", base);
        json_t *doc = imds_json("GET", url, h, NULL);
        if (!json_is_object(doc)) {
                json_decref(doc);
                return false;
        }
        snprintf(out->provider, sizeof(out->provider), "azure");
        copy(out->account, sizeof(out->account), json_object_get(doc, "subscriptionId"));
        copy(out->region, sizeof(out->region), json_object_get(doc, "location"));
        copy(out->zone, sizeof(out->zone), json_object_get(doc, "zone"));
        copy(out->instance_id, sizeof(out->instance_id), json_object_get(doc, "vmId"));
        json_decref(doc);
        return true;
}

static bool try_gcp(const char *base, struct cloud_info *out)
{
        char url[1024], zone[256] = "";
        static const char *const h[] = {"Metadata-Flavor: Google", NULL};
        snprintf(url, sizeof(url), "%s/computeMetadata/v1/instance/?recursive=true", base);
        json_t *doc = imds_json("GET", url, h, NULL);
        if (!json_is_object(doc)) {
                json_decref(doc);
                return false;
        }
        snprintf(out->provider, sizeof(out->provider), "gcp");
        copy(out->instance_id, sizeof(out->instance_id), json_object_get(doc, "id"));
        /* "projects/123456/zones/europe-west3-a": the project number, the zone, its region */
        copy(zone, sizeof(zone), json_object_get(doc, "zone"));
        const char *z = strstr(zone, "/zones/");
        if (strncmp(zone, "projects/", 9) == 0 && z) {
                snprintf(out->account, sizeof(out->account), "%.*s", (int)(z - zone - 9), zone + 9);
                snprintf(out->zone, sizeof(out->zone), "%s", z + 7);
                const char *dash = strrchr(out->zone, '-');
                if (dash)
                        snprintf(out->region, sizeof(out->region), "%.*s", (int)(dash - out->zone),
                                 out->zone);
        }
        json_decref(doc);
        return true;
}

void cloud_detect(const char *base, struct cloud_info *out)
{
        memset(out, 0, sizeof(*out));
        if (try_aws(base ? base : "http://169.254.169.254", out) ||
            try_azure(base ? base : "http://169.254.169.254", out) ||
            try_gcp(base ? base : "http://metadata.google.internal", out))
                log_info("cloud: %s instance %s in %s", out->provider, out->instance_id,
                         out->region[0] ? out->region : "an unknown region");
        else
                log_debug("cloud: no instance metadata service answered");
}
