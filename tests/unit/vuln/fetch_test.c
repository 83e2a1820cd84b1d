/*
 * fp_fetch against a tiny HTTP/1.1 server forked by the test on 127.0.0.1 (port chosen by the
 * kernel): canned answers per path, one process per connection. Never the outside network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "vuln/feeds/fetch.h"

#define LAST_MODIFIED "Sun, 25 Aug 2025 17:04:19 GMT"

static pid_t server_pid;
static int port;

/* ---- the server ------------------------------------------------------------------------------ */

static void send_all(int fd, const char *s, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, s, n);
                if (w <= 0)
                        return;
                s += w;
                n -= (size_t)w;
        }
}

static void sendf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sendf(int fd, const char *fmt, ...)
{
        char buf[8192];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        send_all(fd, buf, (size_t)n);
}

static void respond(int fd, int status, const char *extra, const char *body)
{
        sendf(fd, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s", status,
              strlen(body), extra, body);
}

static void redirect(int fd, int status, const char *to)
{
        char h[512];
        snprintf(h, sizeof(h), "Location: %s\r\n", to);
        respond(fd, status, h, "");
}

/* The value of request header `name`, or "" (in a static buffer). */
static const char *req_header(const char *req, const char *name)
{
        static char v[512];
        size_t n = strlen(name);
        v[0] = '\0';
        for (const char *l = strstr(req, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
                if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':') {
                        const char *s = l + 3 + n, *e = strstr(s, "\r\n");
                        while (*s == ' ')
                                s++;
                        snprintf(v, sizeof(v), "%.*s", (int)(e - s), s);
                        break;
                }
        }
        return v;
}

static void serve(int fd)
{
        char req[8192] = "", path[256], big[5001];
        size_t n = 0;
        while (n < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
                ssize_t r = read(fd, req + n, sizeof(req) - 1 - n);
                if (r <= 0)
                        return;
                n += (size_t)r;
                req[n] = '\0';
                if (req[0] == 0x16) /* a TLS ClientHello: hang up */
                        return;
        }
        if (sscanf(req, "GET %255s ", path) != 1) {
                respond(fd, 400, "", "bad request");
                return;
        }
        memset(big, 'x', 5000);
        big[5000] = '\0';
        if (strcmp(path, "/ok") == 0) {
                respond(fd, 200, "", "hello feed\n");
        } else if (strcmp(path, "/etag") == 0) {
                if (strcmp(req_header(req, "If-None-Match"), "\"v1\"") == 0)
                        respond(fd, 304, "ETag: \"v1\"\r\n", "");
                else
                        respond(fd, 200, "ETag: \"v1\"\r\nLast-Modified: " LAST_MODIFIED "\r\n",
                                "versioned\n");
        } else if (strcmp(path, "/lm") == 0) {
                if (strcmp(req_header(req, "If-Modified-Since"), LAST_MODIFIED) == 0)
                        respond(fd, 304, "", "");
                else
                        respond(fd, 200, "Last-Modified: " LAST_MODIFIED "\r\n", "dated\n");
        } else if (strcmp(path, "/always304") == 0) {
                respond(fd, 304, "", "");
        } else if (strcmp(path, "/missing") == 0) {
                respond(fd, 404, "", "not here\n");
        } else if (strcmp(path, "/gone") == 0) {
                respond(fd, 410, "", "");
        } else if (strcmp(path, "/error") == 0) {
                respond(fd, 500, "", "oops\n");
        } else if (strcmp(path, "/nocontent") == 0) {
                sendf(fd, "HTTP/1.1 204 X\r\nConnection: close\r\n\r\n");
        } else if (strncmp(path, "/r", 2) == 0 && path[2] >= '1' && path[2] <= '4') {
                /* /r1 -> /r2 -> /r3 -> /r4 -> /redir-etag -> /etag: five redirects. */
                char to[32];
                if (path[2] == '4')
                        snprintf(to, sizeof(to), "/redir-etag");
                else
                        snprintf(to, sizeof(to), "/r%c", path[2] + 1);
                redirect(fd, path[2] == '1' ? 301 : path[2] == '2' ? 302 : 307, to);
        } else if (strcmp(path, "/redir-etag") == 0) {
                respond(fd, 302, "Location: /etag\r\nETag: \"not-this\"\r\n", "");
        } else if (strcmp(path, "/loop") == 0) {
                redirect(fd, 302, "/loop");
        } else if (strcmp(path, "/nolocation") == 0) {
                respond(fd, 302, "", "");
        } else if (strcmp(path, "/tofile") == 0) {
                redirect(fd, 302, "file:///etc/hostname");
        } else if (strcmp(path, "/toftp") == 0) {
                redirect(fd, 302, "ftp://127.0.0.1/x");
        } else if (strcmp(path, "/big") == 0) {
                respond(fd, 200, "", big);
        } else if (strcmp(path, "/bigstream") == 0) {
                /* No Content-Length: the size is known only while it arrives. */
                sendf(fd, "HTTP/1.1 200 X\r\nConnection: close\r\n\r\n");
                send_all(fd, big, 5000);
        } else if (strcmp(path, "/truncated") == 0) {
                sendf(fd, "HTTP/1.1 200 X\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n");
                send_all(fd, big, 100);
        } else if (strcmp(path, "/stall") == 0) {
                pause(); /* until the test ends and kills us */
        } else if (strcmp(path, "/stallbody") == 0) {
                sendf(fd, "HTTP/1.1 200 X\r\nContent-Length: 1000\r\n\r\n");
                send_all(fd, big, 10);
                pause();
        } else {
                respond(fd, 404, "", "");
        }
}

static void start_server(void)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
        socklen_t alen = sizeof(a);
        int s = socket(AF_INET, SOCK_STREAM, 0);

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 64) != 0 ||
            getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
                perror("server socket");
                exit(1);
        }
        port = ntohs(a.sin_port);
        server_pid = fork();
        if (server_pid < 0) {
                perror("fork");
                exit(1);
        }
        if (server_pid > 0) {
                setpgid(server_pid, server_pid); /* also here: no race with the child's own */
                close(s);
                return;
        }
        /* The server and its connection handlers form one process group the test kills at the
         * end; a crashed test leaves nothing running for long (alarm). */
        setpgid(0, 0);
        signal(SIGCHLD, SIG_IGN);
        alarm(120);
        for (;;) {
                int c = accept(s, NULL, NULL);
                if (c < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(1);
                }
                if (fork() == 0) {
                        close(s);
                        serve(c);
                        shutdown(c, SHUT_WR);
                        close(c);
                        _exit(0);
                }
                close(c);
        }
}

static void stop_server(void)
{
        kill(-server_pid, SIGKILL);
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
}

/* ---- the tests ------------------------------------------------------------------------------- */

static char url_buf[512];
static const char *url(const char *path)
{
        snprintf(url_buf, sizeof(url_buf), "http://127.0.0.1:%d%s", port, path);
        return url_buf;
}

static enum fp_err get(const char *u, struct fp_fetch_result *r, struct fp_diag *d)
{
        struct fp_fetch_opts o = {.url = u, .timeout_s = 10};
        return fp_fetch(&o, r, d);
}

static void test_basic(void)
{
        struct fp_fetch_result r;
        struct fp_diag d;

        CHECK_INT_EQ(get(url("/ok"), &r, &d), FP_OK);
        CHECK_STR_EQ(r.data, "hello feed\n");
        CHECK_INT_EQ(r.len, 11);
        CHECK_INT_EQ(r.status, 200);
        CHECK(!r.not_modified && !r.etag && !r.last_modified);
        fp_fetch_result_release(&r);
        CHECK(r.data == NULL);
        fp_fetch_result_release(&r); /* twice is fine */

        /* 404 / 410 / 500 / 204: the status in the message, the URL as the place. */
        CHECK_INT_EQ(get(url("/missing"), &r, &d), FP_ENOTFOUND);
        CHECK(strstr(d.msg, "404") != NULL);
        CHECK_STR_EQ(d.file, url("/missing"));
        CHECK(r.data == NULL);
        CHECK_INT_EQ(get(url("/gone"), &r, &d), FP_ENOTFOUND);
        CHECK_INT_EQ(get(url("/error"), &r, &d), FP_EIO);
        CHECK(strstr(d.msg, "HTTP status 500") != NULL);
        CHECK_INT_EQ(get(url("/nocontent"), &r, &d), FP_EIO);
        CHECK(strstr(d.msg, "204") != NULL);

        /* Credentials never reach a message. */
        char u[512];
        snprintf(u, sizeof(u), "http://user:s3cret@127.0.0.1:%d/missing", port);
        CHECK_INT_EQ(get(u, &r, &d), FP_ENOTFOUND);
        CHECK(strstr(d.file, "s3cret") == NULL && strstr(d.file, "127.0.0.1") != NULL);
}

static void test_conditional(void)
{
        struct fp_fetch_result r;
        struct fp_diag d;
        struct fp_fetch_opts o = {.url = url("/etag"), .timeout_s = 10};

        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_OK);
        CHECK_STR_EQ(r.data, "versioned\n");
        CHECK_STR_EQ(r.etag, "\"v1\"");
        CHECK_STR_EQ(r.last_modified, LAST_MODIFIED);
        char etag[64];
        snprintf(etag, sizeof(etag), "%s", r.etag ? r.etag : "");
        fp_fetch_result_release(&r);

        o.etag = etag;
        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_OK);
        CHECK(r.not_modified);
        CHECK_INT_EQ(r.status, 304);
        CHECK(r.data && r.len == 0 && r.data[0] == '\0');
        CHECK_STR_EQ(r.etag, "\"v1\"");
        fp_fetch_result_release(&r);

        o.etag = "\"v0\""; /* stale validator: the full body again */
        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_OK);
        CHECK(!r.not_modified && r.status == 200 && strcmp(r.data, "versioned\n") == 0);
        fp_fetch_result_release(&r);

        struct fp_fetch_opts lm = {.url = url("/lm"), .last_modified = LAST_MODIFIED};
        CHECK_INT_EQ(fp_fetch(&lm, &r, &d), FP_OK);
        CHECK(r.not_modified);
        fp_fetch_result_release(&r);
        lm.last_modified = NULL;
        CHECK_INT_EQ(fp_fetch(&lm, &r, &d), FP_OK);
        CHECK(!r.not_modified && strcmp(r.data, "dated\n") == 0);
        CHECK_STR_EQ(r.last_modified, LAST_MODIFIED);
        fp_fetch_result_release(&r);

        /* A 304 we did not ask for is not "unchanged". */
        CHECK_INT_EQ(get(url("/always304"), &r, &d), FP_EIO);
        /* Header injection through a validator. */
        o.etag = "\"v1\"\r\nX-Evil: 1";
        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_EINVAL);
}

static void test_redirects(void)
{
        struct fp_fetch_result r;
        struct fp_diag d;

        /* Five redirects (301, 302, 307, ...): allowed; validators of the last response only. */
        CHECK_INT_EQ(get(url("/r1"), &r, &d), FP_OK);
        CHECK_STR_EQ(r.data, "versioned\n");
        CHECK_STR_EQ(r.etag, "\"v1\"");
        CHECK_INT_EQ(r.status, 200);
        fp_fetch_result_release(&r);
        CHECK_INT_EQ(get(url("/loop"), &r, &d), FP_EIO);
        CHECK(strstr(d.msg, "redirects") != NULL);
        CHECK_INT_EQ(get(url("/nolocation"), &r, &d), FP_EIO);
        CHECK(strstr(d.msg, "302") != NULL);
        /* A server cannot send us to a local file or another protocol. */
        CHECK_INT_EQ(get(url("/tofile"), &r, &d), FP_EUNSUPPORTED);
        CHECK(r.data == NULL);
        CHECK_INT_EQ(get(url("/toftp"), &r, &d), FP_EUNSUPPORTED);
}

static void test_limits(void)
{
        struct fp_fetch_result r;
        struct fp_diag d;
        struct fp_fetch_opts o = {.url = url("/big"), .max_bytes = 1000, .timeout_s = 10};

        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_ELIMIT);
        CHECK(strstr(d.msg, "1000 bytes") != NULL);
        CHECK(r.data == NULL);
        o.max_bytes = 5000; /* exactly the size */
        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_OK);
        CHECK_INT_EQ(r.len, 5000);
        fp_fetch_result_release(&r);
        o.url = url("/bigstream");
        o.max_bytes = 4999;
        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_ELIMIT);
        CHECK(strstr(d.msg, "aborted") != NULL);
        o.max_bytes = 0; /* the default limit */
        CHECK_INT_EQ(fp_fetch(&o, &r, &d), FP_OK);
        CHECK_INT_EQ(r.len, 5000);
        fp_fetch_result_release(&r);

        CHECK_INT_EQ(get(url("/truncated"), &r, &d), FP_ECORRUPT);
        CHECK(strstr(d.msg, "truncated") != NULL);
        CHECK(r.data == NULL);

        /* A server that never answers, and one that stops half-way. */
        struct fp_fetch_opts s = {.url = url("/stall"), .timeout_s = 1};
        time_t t0 = time(NULL);
        CHECK_INT_EQ(fp_fetch(&s, &r, &d), FP_EIO);
        CHECK(strstr(d.msg, "timed out") != NULL);
        s.url = url("/stallbody");
        s.timeout_s = 2;
        CHECK_INT_EQ(fp_fetch(&s, &r, &d), FP_EIO);
        CHECK(strstr(d.msg, "timed out") != NULL);
        CHECK_MSG(time(NULL) - t0 <= 8, "timeouts took %ld s", (long)(time(NULL) - t0));
}

static void test_schemes(void)
{
        struct fp_fetch_result r;
        struct fp_diag d;
        char path[] = "/tmp/fp-fetch-XXXXXX", u[600];
        int fd = mkstemp(path);

        CHECK(fd >= 0 && write(fd, "local feed\n", 11) == 11);
        close(fd);
        snprintf(u, sizeof(u), "file://%s", path);
        CHECK_INT_EQ(get(u, &r, &d), FP_OK);
        CHECK_STR_EQ(r.data, "local feed\n");
        CHECK_INT_EQ(r.status, 0);
        fp_fetch_result_release(&r);
        struct fp_fetch_opts small = {.url = u, .max_bytes = 5};
        CHECK_INT_EQ(fp_fetch(&small, &r, &d), FP_ELIMIT);
        unlink(path);
        CHECK_INT_EQ(get(u, &r, &d), FP_ENOENT);

        snprintf(u, sizeof(u), "ftp://127.0.0.1:%d/x", port);
        CHECK_INT_EQ(get(u, &r, &d), FP_EUNSUPPORTED);
        CHECK(strstr(d.msg, "scheme") != NULL);
        CHECK_INT_EQ(get("gopher://127.0.0.1/1", &r, &d), FP_EUNSUPPORTED);
        CHECK_INT_EQ(get("127.0.0.1/ok", &r, &d), FP_EUNSUPPORTED); /* no guessing */
        CHECK_INT_EQ(get("", &r, &d), FP_EINVAL);
        CHECK_INT_EQ(fp_fetch(&(struct fp_fetch_opts){0}, &r, &d), FP_EINVAL);
        CHECK_INT_EQ(get("http://127.0.0.1:99999999/", &r, &d), FP_EINVAL);

        /* https to a plain-HTTP server: the TLS handshake fails, nothing is downloaded. */
        snprintf(u, sizeof(u), "https://127.0.0.1:%d/ok", port);
        CHECK_INT_EQ(get(u, &r, &d), FP_EIO);
        CHECK(r.data == NULL);

        /* Connection refused: a port that was free a moment ago. */
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
        socklen_t alen = sizeof(a);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
              getsockname(s, (struct sockaddr *)&a, &alen) == 0);
        close(s);
        snprintf(u, sizeof(u), "http://127.0.0.1:%d/ok", ntohs(a.sin_port));
        CHECK_INT_EQ(get(u, &r, &d), FP_EIO);
        CHECK(strstr(d.msg, "cannot connect") != NULL);
}

static void *fetch_thread(void *arg)
{
        struct fp_fetch_result r;
        struct fp_diag d;
        struct fp_fetch_opts o = {.url = arg, .timeout_s = 10};
        long ok = fp_fetch(&o, &r, &d) == FP_OK && strcmp(r.data, "hello feed\n") == 0;
        fp_fetch_result_release(&r);
        return (void *)ok;
}

/* The first fetches of a process may race on the global libcurl setup. */
static void test_threads(void)
{
        pthread_t t[4];
        char u[128];
        snprintf(u, sizeof(u), "http://127.0.0.1:%d/ok", port);
        for (int i = 0; i < 4; i++)
                CHECK(pthread_create(&t[i], NULL, fetch_thread, u) == 0);
        for (int i = 0; i < 4; i++) {
                void *ok;
                pthread_join(t[i], &ok);
                CHECK(ok == (void *)1);
        }
}

int main(void)
{
        /* Loopback only: no proxy from the environment may get in between. */
        static const char *const proxies[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
                                              "all_proxy", "ALL_PROXY"};
        for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
                unsetenv(proxies[i]);
        setenv("no_proxy", "*", 1);
        signal(SIGPIPE, SIG_IGN);
        start_server();
        test_threads();
        test_basic();
        test_conditional();
        test_redirects();
        test_schemes();
        test_limits();
        stop_server();
        return fp_test_finish();
}
