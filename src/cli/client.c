/* The CLI's HTTPS JSON client of fleetpatchd and its connection settings (client.h). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/util.h"

#ifndef FP_VERSION_STRING
#define FP_VERSION_STRING "0.1.0"
#endif

/* --timeout above this is surely a mistake (the server's long-poll is at most 60 s). */
#define CLI_MAX_TIMEOUT_S 3600

int cli_remote_opt(struct cli_remote *r, int argc, char **argv, int *i, const char *cmd)
{
        const char *a = argv[*i], *v;
        long long secs;

        if (!strcmp(a, "--json")) {
                r->json = true;
                return 1;
        }
        if (!strcmp(a, "--timeout")) {
                if (!(v = cli_optarg(argc, argv, i, cmd)))
                        return -1;
                if (!cli_parse_duration(v, &secs) || secs > CLI_MAX_TIMEOUT_S) {
                        fprintf(stderr,
                                "fleetpatch: %s: --timeout '%s': expected a duration of 1s to 1h\n",
                                cmd, v);
                        return -1;
                }
                r->timeout_s = (long)secs;
                return 1;
        }
        const char **slot = !strcmp(a, "--server")   ? &r->server
                            : !strcmp(a, "--token")  ? &r->token
                            : !strcmp(a, "--cacert") ? &r->cacert
                                                     : NULL;
        if (!slot)
                return 0;
        if (!(v = cli_optarg(argc, argv, i, cmd)))
                return -1;
        *slot = v;
        return 1;
}

bool cli_config_path(char *out, size_t outsz)
{
        const char *env = getenv("FLEETPATCH_CLI_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
        const char *home = getenv("HOME");
        int n;

        if (env && *env)
                n = snprintf(out, outsz, "%s", env);
        else if (xdg && xdg[0] == '/') /* the XDG spec: a relative value is ignored */
                n = snprintf(out, outsz, "%s/fleetpatch/cli.json", xdg);
        else if (home && *home)
                n = snprintf(out, outsz, "%s/.config/fleetpatch/cli.json", home);
        else
                return false;
        return n > 0 && (size_t)n < outsz;
}

/* A string member of the config into dst; absent is fine, anything else is an error. */
static bool config_str(const json_t *obj, const char *key, char *dst, size_t dstsz,
                       const char *path, struct fp_diag *diag)
{
        const json_t *v = json_object_get(obj, key);
        if (!v)
                return true;
        if (!json_is_string(v) || json_string_length(v) >= dstsz ||
            strlen(json_string_value(v)) != json_string_length(v)) {
                fp_diag_set(diag, path, 0, key, "expected a string of at most %zu bytes",
                            dstsz - 1);
                return false;
        }
        memcpy(dst, json_string_value(v), json_string_length(v) + 1);
        return true;
}

enum fp_err cli_config_load(const char *path, struct cli_conn *out, struct fp_diag *diag)
{
        char buf[CLI_MAX_CONFIG_SIZE + 1];
        struct stat st;
        json_error_t jerr;
        enum fp_err err = FP_OK;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0) {
                if (errno == ENOENT)
                        return FP_ENOENT;
                fp_diag_set(diag, path, 0, "", "%s", strerror(errno));
                return errno == EACCES ? FP_EACCES : FP_EIO;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                fp_diag_set(diag, path, 0, "", "not a regular file");
                close(fd);
                return FP_EIO;
        }
        if (st.st_mode & 077)
                fprintf(stderr,
                        "fleetpatch: warning: %s is readable by others (mode %03o); it holds a "
                        "credential: chmod 600 it\n",
                        path, (unsigned)(st.st_mode & 0777));
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n < 0 || n > CLI_MAX_CONFIG_SIZE) {
                fp_diag_set(diag, path, 0, "", "%s",
                            n < 0 ? strerror(errno) : "larger than 64 KiB");
                return n < 0 ? FP_EIO : FP_ELIMIT;
        }
        json_t *doc = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(doc)) {
                fp_diag_set(diag, path, doc ? 0 : (unsigned long)jerr.line, "", "%s",
                            doc ? "not a JSON object" : jerr.text);
                json_decref(doc);
                return FP_EPARSE;
        }
        const json_t *session = json_object_get(doc, "session");
        if (!config_str(doc, "server", out->server, sizeof(out->server), path, diag) ||
            !config_str(doc, "token", out->token, sizeof(out->token), path, diag) ||
            !config_str(doc, "cacert", out->cacert, sizeof(out->cacert), path, diag))
                err = FP_EPARSE;
        else if (session && !json_is_boolean(session)) {
                fp_diag_set(diag, path, 0, "session", "expected true or false");
                err = FP_EPARSE;
        } else {
                out->session = json_is_true(session);
        }
        json_decref(doc);
        return err;
}

static json_t *config_json(const struct cli_conn *c)
{
        json_t *doc = json_object();
        if (!doc)
                return NULL;
        if (json_object_set_new(doc, "server", json_string(c->server)) != 0 ||
            json_object_set_new(doc, "token", json_string(c->token)) != 0 ||
            (c->cacert[0] && json_object_set_new(doc, "cacert", json_string(c->cacert)) != 0) ||
            json_object_set_new(doc, "session", json_boolean(c->session)) != 0) {
                json_decref(doc);
                return NULL;
        }
        return doc;
}

static bool write_all(int fd, const char *s, size_t len)
{
        while (len > 0) {
                ssize_t w = write(fd, s, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                s += w;
                len -= (size_t)w;
        }
        return true;
}

enum fp_err cli_config_save(const char *path, const struct cli_conn *c, struct fp_diag *diag)
{
        char dir[CLI_MAX_PATH], tmp[CLI_MAX_PATH + 16];
        json_t *doc = config_json(c);
        char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        enum fp_err err = FP_OK;
        int fd = -1;

        json_decref(doc);
        if (!text) {
                fp_diag_set(diag, path, 0, "", "cannot encode the settings (not UTF-8?)");
                return FP_EINVAL;
        }
        int n = snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (n <= 0 || (size_t)n >= sizeof(dir) ||
            snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
                fp_diag_set(diag, path, 0, "", "path too long");
                err = FP_EINVAL;
                goto out;
        }
        if (slash && slash != dir) {
                *slash = '\0';
                if (cli_mkdirs(dir) != 0) {
                        fp_diag_set(diag, dir, 0, "", "%s", strerror(errno));
                        err = FP_EIO;
                        goto out;
                }
        }
        /* mkstemp makes the file 0600: the token is never readable by others, not even while
         * it is being written. The rename replaces the old file whole or not at all. */
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0 || fchmod(fd, 0600) != 0 || !write_all(fd, text, strlen(text)) ||
            !write_all(fd, "\n", 1) || fsync(fd) != 0) {
                fp_diag_set(diag, path, 0, "", "cannot write: %s", strerror(errno));
                err = FP_EIO;
        }
        if (fd >= 0 && close(fd) != 0 && err == FP_OK) {
                fp_diag_set(diag, path, 0, "", "cannot write: %s", strerror(errno));
                err = FP_EIO;
        }
        if (fd >= 0 && err == FP_OK && rename(tmp, path) != 0) {
                fp_diag_set(diag, path, 0, "", "cannot replace: %s", strerror(errno));
                err = FP_EIO;
        }
        if (fd >= 0 && err != FP_OK)
                unlink(tmp);
out:
        free(text);
        return err;
}

/* dst = the first of flag, $env, file that is set; false if it does not fit. */
static bool pick(char *dst, size_t dstsz, const char *flag, const char *env, const char *file,
                 bool *from_file)
{
        const char *e = getenv(env), *v = flag ? flag : e && *e ? e : file;
        *from_file = !flag && !(e && *e) && *file;
        int n = snprintf(dst, dstsz, "%s", v);
        return n >= 0 && (size_t)n < dstsz;
}

/* A token goes into an HTTP header: only the characters tokens are made of. */
static bool token_ok(const char *t)
{
        return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
               strlen(t);
}

int cli_connect(const struct cli_remote *r, struct cli_conn *out)
{
        struct cli_conn file = {0};
        char path[CLI_MAX_PATH];
        struct fp_diag diag;
        bool server_file, token_file, ca_file;

        memset(out, 0, sizeof(*out));
        fp_diag_clear(&diag);
        if (cli_config_path(path, sizeof(path))) {
                enum fp_err err = cli_config_load(path, &file, &diag);
                if (err != FP_OK && err != FP_ENOENT) {
                        cli_print_error(&diag, err);
                        return FP_EXIT_INPUT;
                }
        }
        if (!pick(out->server, sizeof(out->server), r->server, "FLEETPATCH_SERVER", file.server,
                  &server_file)) {
                fprintf(stderr, "fleetpatch: the server URL is longer than %d bytes\n",
                        CLI_MAX_URL - 1);
                return FP_EXIT_USAGE;
        }
        /* The saved token and CA belong to the saved server: never send that token to another
         * server named by a flag or the environment. */
        if (strcmp(out->server, file.server) != 0) {
                file.token[0] = '\0';
                file.cacert[0] = '\0';
        }
        if (!pick(out->token, sizeof(out->token), r->token, "FLEETPATCH_TOKEN", file.token,
                  &token_file) ||
            !token_ok(out->token)) {
                fprintf(stderr, "fleetpatch: the token is not one (letters, digits, '_', '-')\n");
                return FP_EXIT_USAGE;
        }
        if (!pick(out->cacert, sizeof(out->cacert), r->cacert, "FLEETPATCH_CACERT", file.cacert,
                  &ca_file)) {
                fprintf(stderr, "fleetpatch: the CA file path is too long\n");
                return FP_EXIT_USAGE;
        }
        out->session = token_file && file.session;
        out->timeout_s = r->timeout_s > 0 ? r->timeout_s : CLI_DEFAULT_TIMEOUT_S;
        if (!out->server[0] || !out->token[0]) {
                fprintf(stderr, "fleetpatch: not logged in: run 'fleetpatch login --server URL "
                                "...', or set FLEETPATCH_SERVER and FLEETPATCH_TOKEN\n");
                return FP_EXIT_AUTH;
        }
        return FP_EXIT_OK;
}

int cli_status_exit(long status)
{
        return status == 401 ? FP_EXIT_AUTH : FP_EXIT_SERVER;
}

/* Copy s into out (cut to fit) with control characters as '?': a server's text never drives
 * the terminal. */
static void printable(const char *s, char *out, size_t outsz)
{
        size_t j = 0;
        for (; *s && j + 1 < outsz; s++)
                out[j++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
        out[j] = '\0';
}

void cli_error_text(long status, const char *body, char *out, size_t outsz)
{
        json_t *doc = body && *body ? json_loads(body, 0, NULL) : NULL;
        const json_t *e = json_object_get(doc, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        const char *field = json_string_value(json_object_get(e, "field"));
        char c[64], m[512], f[128], start[201];

        if (code || msg) {
                printable(code ? code : "error", c, sizeof(c));
                printable(msg ? msg : "", m, sizeof(m));
                printable(field ? field : "", f, sizeof(f));
                /* Said once: some messages name their field already. */
                bool named = !*f || strstr(m, f);
                snprintf(out, outsz, "%ld %s: %s%s%s%s", status, c, m, named ? "" : " (field ",
                         named ? "" : f, named ? "" : ")");
        } else {
                printable(body ? body : "", start, sizeof(start));
                snprintf(out, outsz, "HTTP status %ld%s%s", status, *start ? ": " : "", start);
        }
        json_decref(doc);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
        size_t n = size * nmemb;
        return fp_buf_add(ud, ptr, n) == FP_OK ? n : 0;
}

static struct curl_slist *headers(const struct cli_conn *c, bool body, bool *oom)
{
        struct curl_slist *h = NULL, *n;
        char auth[CLI_MAX_TOKEN + 32];
        const char *lines[3] = {"Accept: application/json",
                                body ? "Content-Type: application/json" : NULL, auth};

        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
        *oom = false;
        for (size_t i = 0; i < 3; i++) {
                if (!lines[i] || (lines[i] == auth && !c->token[0]))
                        continue;
                if (!(n = curl_slist_append(h, lines[i]))) {
                        curl_slist_free_all(h);
                        *oom = true;
                        return NULL;
                }
                h = n;
        }
        return h;
}

static CURLcode configure(CURL *h, const struct cli_conn *c, const char *url, const char *method,
                          const char *payload, struct curl_slist *hdrs, struct fp_buf *resp,
                          char *errbuf)
{
        CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
        do {                                                                                       \
                if (rc == CURLE_OK)                                                                \
                        rc = curl_easy_setopt(h, opt, val);                                        \
        } while (0)
        SET(CURLOPT_ERRORBUFFER, errbuf);
        SET(CURLOPT_URL, url);
        /* HTTPS only, verified, and no redirects: the bearer token goes to this server alone. */
#if LIBCURL_VERSION_NUM >= 0x075500
        SET(CURLOPT_PROTOCOLS_STR, "https");
#else
        SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
        if (c->cacert[0])
                SET(CURLOPT_CAINFO, c->cacert);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_TIMEOUT, c->timeout_s);
        SET(CURLOPT_CONNECTTIMEOUT,
            c->timeout_s < CLI_CONNECT_TIMEOUT_S ? c->timeout_s : CLI_CONNECT_TIMEOUT_S);
        SET(CURLOPT_USERAGENT, "fleetpatch-cli/" FP_VERSION_STRING);
        SET(CURLOPT_CUSTOMREQUEST, method);
        if (payload)
                SET(CURLOPT_POSTFIELDS, payload);
        SET(CURLOPT_HTTPHEADER, hdrs);
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLI_MAX_RESPONSE);
        SET(CURLOPT_WRITEFUNCTION, on_body);
        SET(CURLOPT_WRITEDATA, resp);
#undef SET
        return rc;
}

/* The transfer failed before an answer: why, and whether the server is to blame. */
static int transfer_failed(CURLcode rc, const char *errbuf, const struct fp_buf *resp,
                           const char *what)
{
        const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);

        if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && resp->len > 0)) {
                fprintf(stderr, "fleetpatch: %s: the answer is larger than %ld bytes\n", what,
                        CLI_MAX_RESPONSE);
                return FP_EXIT_SERVER;
        }
        if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
                fprintf(stderr, "fleetpatch: %s: the server URL must be https://HOST[:PORT]: %s\n",
                        what, detail);
                return FP_EXIT_USAGE;
        }
        fprintf(stderr, "fleetpatch: %s: cannot reach the server: %s\n", what, detail);
        return FP_EXIT_UNREACHABLE;
}

/* One request; the answer parsed into *out, or (raw) its bytes moved into *raw. */
static int call(const struct cli_conn *c, const char *method, const char *path, const json_t *body,
                json_t **out, struct fp_buf *raw)
{
        static bool curl_ready;
        char errbuf[CURL_ERROR_SIZE] = "", url[CLI_MAX_URL + CLI_MAX_REQUEST_PATH], what[512];
        struct fp_buf resp;
        struct curl_slist *hdrs = NULL;
        char *payload = NULL;
        CURL *h = NULL;
        long status = 0;
        bool oom;
        int rc = FP_EXIT_SERVER;
        size_t slen = strlen(c->server);

        *out = NULL;
        fp_buf_init(&resp, raw && raw->max ? raw->max : CLI_MAX_RESPONSE);
        while (slen > 0 && c->server[slen - 1] == '/')
                slen--;
        snprintf(what, sizeof(what), "%s %.*s%s", method, (int)slen, c->server, path);
        if (snprintf(url, sizeof(url), "%.*s%s", (int)slen, c->server, path) >= (int)sizeof(url)) {
                fprintf(stderr, "fleetpatch: the request URL is too long\n");
                return FP_EXIT_USAGE;
        }
        if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "fleetpatch: libcurl initialization failed\n");
                return FP_EXIT_UNREACHABLE;
        }
        curl_ready = true;
        if ((body && !(payload = json_dumps(body, JSON_COMPACT))) ||
            !(hdrs = headers(c, body != NULL, &oom)) || !(h = curl_easy_init())) {
                fprintf(stderr, "fleetpatch: out of memory\n");
                goto out;
        }
        CURLcode crc = configure(h, c, url, method, payload, hdrs, &resp, errbuf);
        if (crc != CURLE_OK) {
                fprintf(stderr, "fleetpatch: libcurl refused an option: %s\n",
                        curl_easy_strerror(crc));
                goto out;
        }
        if ((crc = curl_easy_perform(h)) != CURLE_OK) {
                rc = transfer_failed(crc, errbuf, &resp, what);
                goto out;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299) {
                char text[1024];
                cli_error_text(status, fp_buf_str(&resp), text, sizeof(text));
                fprintf(stderr, "fleetpatch: %s: %s%s\n", what, text,
                        status == 401 ? " (log in again: fleetpatch login)" : "");
                rc = cli_status_exit(status);
                goto out;
        }
        if (raw) {
                fp_buf_release(raw);
                *raw = resp;
                fp_buf_init(&resp, 1);
        } else if (resp.len == 0) {
                *out = json_null();
        } else {
                json_error_t jerr;
                *out = json_loadb(resp.ptr, resp.len, JSON_REJECT_DUPLICATES, &jerr);
                if (!*out) {
                        fprintf(stderr, "fleetpatch: %s: the answer is not JSON: line %d: %s\n",
                                what, jerr.line, jerr.text);
                        goto out;
                }
        }
        rc = FP_EXIT_OK;
out:
        curl_easy_cleanup(h);
        curl_slist_free_all(hdrs);
        free(payload);
        fp_buf_release(&resp);
        return rc;
}

int cli_call(const struct cli_conn *c, const char *method, const char *path, const json_t *body,
             json_t **out)
{
        return call(c, method, path, body, out, NULL);
}

int cli_call_raw(const struct cli_conn *c, const char *path, struct fp_buf *out)
{
        json_t *unused = NULL;
        return call(c, "GET", path, NULL, &unused, out);
}
