/* fleetpatchd: the control-plane server. See docs/server.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fleetpatch/store_dump.h"
#include "fleetpatch/vuln.h"
#include "server/http.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/audit.h"
#include "server/server.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
        stop_signal = sig;
}

static int fail(const char *msg)
{
        fprintf(stderr, "fleetpatchd: %s\n", msg);
        return 1;
}

/* ---- store subcommands: migrate, export, import, copy (docs/server.md) ----
 * Exit status: 0 done; 1 failed (a store cannot be opened, the dump is refused, the target is
 * not empty; nothing was written); 2 usage; 3 the imported store differs from its source
 * (nothing was committed). */

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int store_usage(const char *msg)
{
        fprintf(stderr,
                "fleetpatchd: %s\n"
                "usage: fleetpatchd migrate --store URL\n"
                "       fleetpatchd export --store URL [--out FILE]\n"
                "       fleetpatchd import --store URL --in FILE|-\n"
                "       fleetpatchd copy --from URL --to URL\n",
                msg);
        return 2;
}

static int store_err(const char *what, const char *url, const struct fp_diag *diag)
{
        char msg[1024];
        fp_diag_format(diag, msg, sizeof(msg));
        fprintf(stderr, "fleetpatchd: %s %s: %s\n", what, url, msg);
        return 1;
}

static int64_t total_rows(const struct fp_dump_summary *s)
{
        int64_t n = 0;
        for (size_t i = 0; i < s->tables; i++)
                n += s->t[i].rows;
        return n;
}

static int store_cmd(int argc, char **argv)
{
        const char *cmd = argv[1];
        const char *store = NULL, *out = NULL, *in = NULL, *from = NULL, *to = NULL;
        for (int i = 2; i < argc; i++) {
                const char *names[] = {"--store", "--out", "--in", "--from", "--to"};
                const char **vals[] = {&store, &out, &in, &from, &to};
                bool found = false;
                for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && !found; k++) {
                        size_t n = strlen(names[k]);
                        if (!strcmp(argv[i], names[k])) {
                                if (i + 1 >= argc) {
                                        char m[80];
                                        snprintf(m, sizeof(m), "%s needs a value", names[k]);
                                        return store_usage(m);
                                }
                                *vals[k] = argv[++i];
                                found = true;
                        } else if (!strncmp(argv[i], names[k], n) && argv[i][n] == '=') {
                                *vals[k] = argv[i] + n + 1;
                                found = true;
                        }
                }
                if (!found) {
                        char m[300];
                        snprintf(m, sizeof(m), "%s: unknown option %.200s", cmd, argv[i]);
                        return store_usage(m);
                }
        }
        bool is_copy = !strcmp(cmd, "copy");
        if (is_copy ? (!from || !to || store || in || out) : (!store || from || to))
                return store_usage(is_copy ? "copy takes --from URL and --to URL"
                                           : "--store URL is required (and --from/--to belong to copy)");
        if ((!strcmp(cmd, "migrate") && (in || out)) || (!strcmp(cmd, "export") && in) ||
            (!strcmp(cmd, "import") && (out || !in)))
                return store_usage(!strcmp(cmd, "import") ? "import takes --store URL --in FILE"
                                                          : "an option this command does not take");
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_store *s = NULL, *t = NULL;
        const char *url = is_copy ? from : store;
        if (fp_store_open(url, &s, &diag) != FP_OK)
                return store_err("store", url, &diag);
        int rc = 0;
        static struct fp_dump_summary src, dst;
        double t0 = now_ms();
        if (!strcmp(cmd, "migrate")) {
                printf("store %s (%s): schema version %lld\n", url, fp_store_engine(s),
                       (long long)fp_store_schema_version());
        } else if (!strcmp(cmd, "export")) {
                FILE *f = stdout;
                if (out) {
                        /* the dump holds password and token hashes: the owner only */
                        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                        f = fd >= 0 ? fdopen(fd, "w") : NULL;
                        if (!f) {
                                fprintf(stderr, "fleetpatchd: %s: %s\n", out, strerror(errno));
                                if (fd >= 0)
                                        close(fd);
                                fp_store_close(s);
                                return 1;
                        }
                }
                enum fp_err err = fp_store_export(s, f, &src, &diag);
                if (out && fclose(f) != 0 && err == FP_OK) {
                        fp_diag_set(&diag, out, 0, NULL, "%s", strerror(errno));
                        err = FP_EIO;
                }
                if (err != FP_OK) {
                        rc = store_err("export of", url, &diag);
                        if (out)
                                unlink(out);
                } else {
                        fprintf(stderr, "fleetpatchd: exported %zu tables, %lld rows in %.0f ms\n",
                                src.tables, (long long)total_rows(&src), now_ms() - t0);
                }
        } else if (!strcmp(cmd, "import") || is_copy) {
                enum fp_err err;
                if (is_copy) {
                        if (fp_store_open(to, &t, &diag) != FP_OK) {
                                fp_store_close(s);
                                return store_err("store", to, &diag);
                        }
                        err = fp_store_copy(s, t, &src, &dst, &diag);
                } else {
                        if (!in)
                                in = "-"; /* not reached: import requires --in */
                        FILE *f = strcmp(in, "-") ? fopen(in, "r") : stdin;
                        if (!f) {
                                fprintf(stderr, "fleetpatchd: %s: %s\n", in, strerror(errno));
                                fp_store_close(s);
                                return 1;
                        }
                        err = fp_store_import(s, f, strcmp(in, "-") ? in : "<stdin>", &src, &dst,
                                              &diag);
                        if (f != stdin)
                                fclose(f);
                }
                const char *target = is_copy ? to : store;
                if (dst.tables)
                        fp_dump_report(stdout, &src, &dst);
                if (err == FP_ECORRUPT && dst.tables) {
                        rc = 3;
                        store_err(is_copy ? "copy to" : "import into", target, &diag);
                } else if (err != FP_OK) {
                        rc = store_err(is_copy ? "copy to" : "import into", target, &diag);
                } else {
                        fprintf(stderr, "fleetpatchd: %s %zu tables, %lld rows into %s in %.0f ms,"
                                        " verified\n",
                                is_copy ? "copied" : "imported", src.tables,
                                (long long)total_rows(&src), fp_store_engine(is_copy ? t : s),
                                now_ms() - t0);
                }
        } else {
                rc = store_usage("unknown command");
        }
        fflush(stdout);
        if (t)
                fp_store_close(t);
        fp_store_close(s);
        return rc;
}

int main(int argc, char **argv)
{
        if (argc > 1 && (!strcmp(argv[1], "migrate") || !strcmp(argv[1], "export") ||
                         !strcmp(argv[1], "import") || !strcmp(argv[1], "copy")))
                return store_cmd(argc, argv);
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        fp_srv_config_help(stdout);
                        return 0;
                }
                if (!strcmp(argv[i], "--version")) {
                        printf("fleetpatchd 0.1.0\n");
                        return 0;
                }
        }
        bool print_config = false;
        int n = 1;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--print-config"))
                        print_config = true;
                else
                        argv[n++] = argv[i];
        }
        argc = n;
        static struct fp_server srv;
        char err[2048];
        if (!fp_srv_config_load(&srv.cfg, argc, argv, err, sizeof(err)) ||
            !fp_notify_config_check(&srv.cfg, err, sizeof(err))) {
                fprintf(stderr, "fleetpatchd: %s\n", err);
                return 2;
        }
        if (print_config) {
                fp_srv_config_print(&srv.cfg, stdout);
                return 0;
        }
        if (sodium_init() < 0)
                return fail("libsodium failed to initialise");
        if (mkdir(srv.cfg.state_dir, 0700) != 0 && errno != EEXIST) {
                snprintf(err, sizeof(err), "%s: %s", srv.cfg.state_dir, strerror(errno));
                return fail(err);
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_store_open(srv.cfg.store, &srv.store, &diag) != FP_OK) {
                char msg[600];
                fp_diag_format(&diag, msg, sizeof(msg));
                snprintf(err, sizeof(err), "store %s: %s", srv.cfg.store, msg);
                return fail(err);
        }
        static struct fp_signkey signkey;
        if (!fp_signkey_load(srv.cfg.state_dir, &signkey, err, sizeof(err)))
                return fail(err);
        srv.signkey = &signkey;
        if (!fp_server_bootstrap(&srv, err, sizeof(err)))
                return fail(err);
        if (fp_findings_engine_open(srv.cfg.vulndb, &srv.findings) != FP_OK ||
            !(srv.longpoll = fp_longpoll_new()))
                return fail("out of memory");
        char *cert, *key;
        if (!fp_srv_tls_prepare(&srv.cfg, &cert, &key, err, sizeof(err)))
                return fail(err);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        srv.started = fp_now();
        unsigned port;
        if (!fp_http_start(&srv, cert, key, err, sizeof(err), &port))
                return fail(err);
        sodium_memzero(key, strlen(key));
        free(key);
        free(cert);
        char url[128], path[700];
        snprintf(url, sizeof(url), strchr(srv.cfg.listen, ':') ? "https://[%s]:%u"
                                                               : "https://%s:%u",
                 srv.cfg.listen, port);
        /* The address for scripts and tests that asked for port 0. */
        snprintf(path, sizeof(path), "%s/fleetpatchd.url", srv.cfg.state_dir);
        FILE *f = fopen(path, "w");
        if (f) {
                fprintf(f, "%s\n", url);
                fclose(f);
        }
        printf("fleetpatchd: listening on %s (store %s, CA %s/tls/ca.pem)\n", url,
               fp_store_engine(srv.store), srv.cfg.state_dir);
        fflush(stdout);
        if (fp_wake_listen(&srv, &diag) != FP_OK) /* the other replicas' wake-ups */
                return fail("cannot listen for the other replicas' signals");
        srv.scheduler = fp_scheduler_start(&srv, srv.cfg.scheduler_interval);
        if (!srv.scheduler)
                return fail("cannot start the scheduler");
        srv.notifier = fp_notifier_start(&srv, srv.cfg.scheduler_interval);
        if (!srv.notifier)
                return fail("cannot start the notification worker");
        while (!stop_signal) {
                struct timespec ts = {0, 200 * 1000 * 1000};
                nanosleep(&ts, NULL);
                fp_longpoll_tick(srv.longpoll, fp_now_ms());
        }
        fprintf(stderr, "fleetpatchd: signal %d, stopping\n", (int)stop_signal);
        srv.stopping = 1;
        fp_http_stop(&srv);
        fp_scheduler_stop(srv.scheduler);
        fp_notifier_stop(srv.notifier); /* a send in flight is recorded first */
        fp_wake_stop(&srv);
        fp_longpoll_free(srv.longpoll);
        fp_findings_engine_close(srv.findings);
        fp_store_close(srv.store);
        return 0;
}
