/*
 * HTTP for the agent (libcurl): the server's API over verified TLS, and the cloud metadata
 * services. Nothing received is ever executed; answers are bounded in size and time.
 */
#ifndef FP_AGENT_CLIENT_H
#define FP_AGENT_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"

/* Answers of the server are small (a job list, an enrollment); more is not a sane server. */
#define HTTP_MAX_ANSWER (1024 * 1024)

struct http_request {
        const char *method; /* "GET", "POST", "PUT" */
        const char *url;
        const char *ca_file;        /* NULL: the system's CA bundle */
        const char *bearer;         /* Authorization: Bearer ..., or NULL */
        const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
        const char *body;           /* JSON text, or NULL */
        long timeout_ms;
        bool https_only; /* the server: https, verified; metadata services: http */
        /* Give up as soon as this becomes nonzero (a long poll while the agent stops). */
        volatile sig_atomic_t *cancel;
};

struct http_response {
        long status;
        char *body; /* NUL-terminated, never NULL on success */
        size_t len;
};

/* libcurl's global state; once, before any thread. */
bool http_global_init(void);

/*
 * One request. Any HTTP status is FP_OK (the caller reads out->status); FP_EIO for a
 * connection, TLS or timeout failure, FP_ELIMIT for an answer above HTTP_MAX_ANSWER,
 * FP_EINVAL for a cancelled request, with diag saying which.
 */
enum fp_err http_perform(const struct http_request *r, struct http_response *out,
                         struct fp_diag *diag);
void http_response_release(struct http_response *r);

/* ---- cloud instance metadata ---- */
struct cloud_info {
        char provider[16]; /* "aws", "azure", "gcp"; "" when none answered */
        char account[256], region[256], zone[256], instance_id[256];
};

/*
 * Ask AWS IMDSv2, Azure IMDS and the GCE metadata server in turn (each with a 300 ms
 * timeout). base overrides the metadata address of all three (tests); NULL = the real ones.
 */
void cloud_detect(const char *base, struct cloud_info *out);

#endif
