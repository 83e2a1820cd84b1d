/* fleetpatchd: the control-plane server. See docs/server.md. */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

int main(int argc, char **argv)
{
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
        fp_longpoll_free(srv.longpoll);
        fp_findings_engine_close(srv.findings);
        fp_store_close(srv.store);
        return 0;
}
