/*
 * The HTTP side of fleetpatchd on libmicrohttpd: TLS, a thread pool, body accumulation with
 * the route's limit (a declared Content-Length over it is refused before reading), slow
 * clients cut by the connection timeout, long-polls suspended instead of holding a thread.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/util.h"
#include "server/http.h"
#include "server/server.h"
#include "server/web.h"

struct conn_ctx {
        int route;
        bool path_known;
        bool too_large;
        bool bad_type;
        struct fp_buf body;
        char scratch[512];
        const char *params[FP_MAX_PATH_PARAMS];
        size_t nparams;
        int64_t deadline_ms; /* of a suspended long-poll; 0 = none */
        struct timespec start;
};

int64_t fp_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double elapsed(const struct timespec *start)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, int status, char *text,
                                   const char *type)
{
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(text);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int route, struct conn_ctx *c,
                                  int status, const char *code, const char *msg)
{
        json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
        char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
        json_decref(e);
        if (!text)
                return MHD_NO;
        fp_metrics_observe(route, status, c ? elapsed(&c->start) : 0);
        return send_answer(conn, status, text, "application/json");
}

const char *fp_client_address(struct MHD_Connection *conn, char *buf, size_t sz)
{
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        snprintf(buf, sz, "?");
        if (!ci || !ci->client_addr)
                return buf;
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                          (socklen_t)sz);
        else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                          buf, (socklen_t)sz);
        return buf;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
        struct fp_server *s = cls;
        struct conn_ctx *c = *con_cls;
        if (!c) {
                c = calloc(1, sizeof(*c));
                if (!c)
                        return MHD_NO;
                *con_cls = c;
                clock_gettime(CLOCK_MONOTONIC, &c->start);
                c->route = fp_route_match(method, url, c->params, &c->nparams, c->scratch,
                                          sizeof(c->scratch), &c->path_known);
                size_t limit = c->route >= 0 ? fp_routes[c->route].body_limit : 0;
                fp_buf_init(&c->body, limit ? limit : 1);
                const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (c->route >= 0 && limit && cl && strtoull(cl, NULL, 10) > limit) {
                        char msg[128];
                        snprintf(msg, sizeof(msg), "the body is larger than this route's limit "
                                                   "of %zu bytes",
                                 limit);
                        return send_error(conn, c->route, c, 413, "body_too_large", msg);
                }
                /* Judged when a body arrived: a chunked body has no Content-Length. The type
                 * is application/json, optionally with parameters ("; charset=utf-8"). */
                const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                               MHD_HTTP_HEADER_CONTENT_TYPE);
                c->bad_type = !type || strncmp(type, "application/json", 16) ||
                              (type[16] && type[16] != ';' && type[16] != ' ');
                return MHD_YES;
        }
        if (*upload_size) {
                size_t limit = c->route >= 0 ? fp_routes[c->route].body_limit : 0;
                if (!c->too_large) {
                        if (c->body.len + *upload_size > (limit ? limit : 0))
                                c->too_large = true;
                        else if (fp_buf_add(&c->body, upload_data, *upload_size) != FP_OK)
                                c->too_large = true;
                }
                *upload_size = 0;
                return MHD_YES;
        }
        if (c->route < 0)
                return c->path_known
                               ? send_error(conn, -1, c, 405, "method_not_allowed",
                                            "this path does not take this method")
                               : send_error(conn, -1, c, 404, "not_found", "no such route");
        if (c->too_large) {
                size_t limit = fp_routes[c->route].body_limit;
                char msg[128];
                if (limit)
                        snprintf(msg, sizeof(msg), "the body is larger than %zu bytes", limit);
                else
                        snprintf(msg, sizeof(msg), "this route takes no request body");
                return send_error(conn, c->route, c, limit ? 413 : 400,
                                  limit ? "body_too_large" : "invalid_request", msg);
        }
        if (c->bad_type && c->body.len)
                return send_error(conn, c->route, c, 415, "unsupported_media_type",
                                  "the body must be application/json");

        struct fp_req r;
        memset(&r, 0, sizeof(r));
        r.srv = s;
        r.conn = conn;
        r.method = method;
        r.path = url;
        for (size_t i = 0; i < c->nparams; i++)
                r.params[i] = c->params[i];
        r.nparams = c->nparams;
        r.body = c->body.len ? fp_buf_str(&c->body) : NULL;
        r.body_len = c->body.len;
        r.suspend_until = c->deadline_ms;
        fp_route_run(&r, c->route);
        json_decref(r.json);
        if (r.suspend) {
                json_decref(r.answer);
                free(r.text);
                c->deadline_ms = r.suspend_until;
                fp_longpoll_wait(s->longpoll, conn, r.who.host, r.suspend_until);
                return MHD_YES;
        }
        fp_metrics_observe(c->route, r.status, elapsed(&c->start));
        if (r.asset) {
                json_decref(r.answer);
                return (enum MHD_Result)fp_web_send(conn, r.status, r.asset);
        }
        if (r.text) {
                json_decref(r.answer);
                return send_answer(conn, r.status, r.text,
                                   r.content_type ? r.content_type : "text/plain; charset=utf-8");
        }
        char *text = r.answer ? json_dumps(r.answer, JSON_COMPACT) : NULL;
        json_decref(r.answer);
        if (!text)
                return send_error(conn, c->route, c, 500, "internal", "out of memory");
        return send_answer(conn, r.status, text, "application/json");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct conn_ctx *c = *con_cls;
        if (!c)
                return;
        fp_buf_release(&c->body);
        free(c);
        *con_cls = NULL;
}

bool fp_http_start(struct fp_server *s, const char *cert, const char *key, char *err,
                   size_t errsz, unsigned *port_out)
{
        struct sockaddr_in a4;
        struct sockaddr_in6 a6;
        const struct sockaddr *sa;
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_ALLOW_SUSPEND_RESUME |
                         MHD_USE_ERROR_LOG;
        memset(&a4, 0, sizeof(a4));
        memset(&a6, 0, sizeof(a6));
        if (inet_pton(AF_INET, s->cfg.listen, &a4.sin_addr) == 1) {
                a4.sin_family = AF_INET;
                a4.sin_port = htons((uint16_t)s->cfg.port);
                sa = (const struct sockaddr *)&a4;
        } else if (inet_pton(AF_INET6, s->cfg.listen, &a6.sin6_addr) == 1) {
                a6.sin6_family = AF_INET6;
                a6.sin6_port = htons((uint16_t)s->cfg.port);
                sa = (const struct sockaddr *)&a6;
                flags |= MHD_USE_IPv6;
        } else {
                snprintf(err, errsz, "listen: '%s' is not an IPv4 or IPv6 address", s->cfg.listen);
                return false;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
                flags |= MHD_USE_EPOLL;
        s->mhd = MHD_start_daemon(
                flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, sa,
                MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
                MHD_OPTION_HTTPS_PRIORITIES, "SECURE:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0",
                MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.threads,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.connection_timeout,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
        if (!s->mhd) {
                snprintf(err, errsz, "cannot listen on %s port %ld (in use? TLS material bad?)",
                         s->cfg.listen, s->cfg.port);
                return false;
        }
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
        *port_out = di ? di->port : (unsigned)s->cfg.port;
        return true;
}

void fp_http_stop(struct fp_server *s)
{
        if (!s->mhd)
                return;
        fp_longpoll_wake_all(s->longpoll);
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
}
