/*
 * fleetpatch-agent: enrolls the host with fleetpatchd, checks in with its facts and inventory,
 * and waits for jobs. See docs/agent.md.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/agent.h"
#include "agent/daemon/client.h"
#include "agent/daemon/config.h"
#include "agent/daemon/facts.h"
#include "agent/daemon/localjob.h"
#include "agent/daemon/log.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch-agent [--config FILE] [--once] [--foreground]\n"
                "                        [--server URL] [--ca-file FILE] [--state-dir DIR]\n"
                "                        [--root DIR] [--enroll-token-file FILE]\n"
                "       fleetpatch-agent [--config FILE] [--root DIR] [--state-dir DIR] "
                "[--timing] run-job FILE|-\n"
                "\n"
                "  run-job FILE|-            run one job ({\"id\", \"type\", \"params\"}) here, "
                "without a server;\n"
                "                            print the result, exit 0 when it succeeded\n"
                "  --timing                  with run-job: add \"timing\" (total_ms, "
                "package_manager_ms,\n"
                "                            overhead_ms) beside the result\n"
                "  --config FILE             configuration (default %s)\n"
                "  --once                    enroll if needed, check in once, run queued jobs, "
                "exit\n"
                "  --foreground              run the daemon loop attached (the default under "
                "systemd)\n"
                "  --server URL              https URL of fleetpatchd\n"
                "  --ca-file FILE            CA certificate(s) that verify the server\n"
                "  --state-dir DIR           credential and state (default %s)\n"
                "  --root DIR                the system to inventory (default /)\n"
                "  --enroll-token-file FILE  enrollment token for the first start\n"
                "  --version                 print the version\n",
                AGENT_DEFAULT_CONFIG, AGENT_DEFAULT_STATE_DIR);
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"config", required_argument, NULL, 'c'},
            {"once", no_argument, NULL, '1'},
            {"foreground", no_argument, NULL, 'f'},
            {"server", required_argument, NULL, 's'},
            {"ca-file", required_argument, NULL, 'a'},
            {"state-dir", required_argument, NULL, 'd'},
            {"root", required_argument, NULL, 'r'},
            {"enroll-token-file", required_argument, NULL, 'e'},
            {"timing", no_argument, NULL, 't'},
            {"version", no_argument, NULL, 'V'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        /* flags override the file: remember them, apply them after it */
        struct {
                const char *key, *value;
        } flags[16];
        size_t nflags = 0;
        const char *config = AGENT_DEFAULT_CONFIG;
        bool once = false, config_given = false, timing = false;
        int c;

        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                const char *key = NULL;
                switch (c) {
                case 'c':
                        config = optarg;
                        config_given = true;
                        break;
                case '1':
                        once = true;
                        break;
                case 't':
                        timing = true;
                        break;
                case 'f':
                        break; /* the agent never forks; accepted for unit files and habits */
                case 's':
                        key = "server";
                        break;
                case 'a':
                        key = "ca_file";
                        break;
                case 'd':
                        key = "state_dir";
                        break;
                case 'r':
                        key = "root";
                        break;
                case 'e':
                        key = "enroll_token_file";
                        break;
                case 'V':
                        printf("fleetpatch-agent %s\n", FP_AGENT_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return AGENT_EXIT_USAGE;
                }
                if (key && nflags < sizeof(flags) / sizeof(flags[0])) {
                        flags[nflags].key = key;
                        flags[nflags++].value = optarg;
                }
        }
        /* run-job: one job from a file, no server (docs/jobs.md, docs/agent.md) */
        const char *job_file = NULL;
        if (optind + 2 == argc && strcmp(argv[optind], "run-job") == 0) {
                job_file = argv[optind + 1];
                optind = argc;
        }
        if (timing && !job_file) {
                fprintf(stderr, "fleetpatch-agent: --timing goes with run-job\n");
                usage(stderr);
                return AGENT_EXIT_USAGE;
        }
        if (optind < argc) {
                fprintf(stderr, "fleetpatch-agent: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                return AGENT_EXIT_USAGE;
        }

        struct agent_config cfg;
        struct fp_diag d;
        char msg[1024];
        int rc = AGENT_EXIT_USAGE;
        fp_diag_clear(&d);
        if (!agent_config_init(&cfg)) {
                fprintf(stderr, "fleetpatch-agent: out of memory\n");
                return AGENT_EXIT_FAIL;
        }
        enum fp_err err = agent_config_load(&cfg, config, &d);
        /* without --config, flags alone may configure the agent */
        if (err == FP_ENOENT && !config_given) {
                fp_diag_clear(&d);
                err = FP_OK;
        }
        for (size_t i = 0; err == FP_OK && i < nflags; i++)
                err = agent_config_set(&cfg, flags[i].key, flags[i].value, "command line", 0, &d);
        if (err == FP_OK && !job_file)
                err = agent_config_check(&cfg, &d);
        if (err != FP_OK) {
                fp_diag_format(&d, msg, sizeof(msg));
                fprintf(stderr, "fleetpatch-agent: configuration: %s\n", msg);
                goto out;
        }
        agent_log_set_level(cfg.log_level);
        if (job_file) {
                rc = localjob_main(&cfg, job_file, timing);
                goto out;
        }
        if (sodium_init() < 0 || !http_global_init()) {
                fprintf(stderr, "fleetpatch-agent: cannot initialize libsodium or libcurl\n");
                rc = AGENT_EXIT_FAIL;
                goto out;
        }
        /* no SA_RESTART: a signal ends a sleep at once; a request in flight is finished */
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        struct agent a;
        if (agent_init(&a, &cfg, &stop_requested) != AGENT_OK) {
                rc = AGENT_EXIT_FAIL;
                goto out;
        }
        rc = once ? agent_once(&a) : agent_daemon(&a);
        curl_global_cleanup();
out:
        agent_config_release(&cfg);
        return rc;
}
