/* fleetpatchd's option table: defaults, file, environment, flags (in that order of strength),
 * bounds, unknown names, malformed lines with file:line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server.h"
#include "test.h"

static char tmpdir[256];

static const char *write_conf(const char *name, const char *text)
{
        static char path[512];
        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        FILE *f = fopen(path, "w");
        if (!f)
                return NULL;
        fputs(text, f);
        fclose(f);
        return path;
}

static bool load(struct fp_srv_config *c, char *err, size_t errsz, int argc, ...)
{
        char *argv[16] = {"fleetpatchd"};
        va_list ap;
        va_start(ap, argc);
        for (int i = 1; i < argc && i < 16; i++)
                argv[i] = va_arg(ap, char *);
        va_end(ap);
        return fp_srv_config_load(c, argc, argv, err, errsz);
}

int main(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/fpconf.XXXXXX");
        if (!mkdtemp(tmpdir))
                return 1;
        unsetenv("FLEETPATCHD_CONFIG");
        unsetenv("FLEETPATCHD_PORT");
        struct fp_srv_config c;
        char err[1024];

        /* Defaults and derived paths. */
        CHECK(load(&c, err, sizeof(err), 1));
        CHECK_INT_EQ(c.port, 8443);
        CHECK_STR_EQ(c.listen, "127.0.0.1");
        CHECK_STR_EQ(c.store, "sqlite:/var/lib/fleetpatchd/fleetpatch.db");
        CHECK_STR_EQ(c.vulndb, "/var/lib/fleetpatchd/vuln.db");

        /* File < environment < flag. */
        const char *file = write_conf("a.conf", "# comment\n\nport = 9000\nstate_dir = /srv/fp\n"
                                                "threads=8\n");
        CHECK(load(&c, err, sizeof(err), 3, "--config", file));
        CHECK_INT_EQ(c.port, 9000);
        CHECK_INT_EQ(c.threads, 8);
        CHECK_STR_EQ(c.store, "sqlite:/srv/fp/fleetpatch.db");
        setenv("FLEETPATCHD_PORT", "9100", 1);
        CHECK(load(&c, err, sizeof(err), 3, "--config", file));
        CHECK_INT_EQ(c.port, 9100);
        CHECK(load(&c, err, sizeof(err), 5, "--config", file, "--port", "9200"));
        CHECK_INT_EQ(c.port, 9200);
        CHECK(load(&c, err, sizeof(err), 4, "--config", file, "--port=9300"));
        CHECK_INT_EQ(c.port, 9300);
        CHECK(load(&c, err, sizeof(err), 3, "--state-dir", "/x"));
        CHECK_STR_EQ(c.state_dir, "/x");
        unsetenv("FLEETPATCHD_PORT");

        /* Bounds, types, names: each error says what and where. */
        CHECK(!load(&c, err, sizeof(err), 3, "--port", "65536"));
        CHECK_MSG(strstr(err, "port") && strstr(err, "0..65535"), "err: %s", err);
        CHECK(!load(&c, err, sizeof(err), 3, "--threads", "0"));
        CHECK(!load(&c, err, sizeof(err), 3, "--port", "12ab"));
        CHECK_MSG(strstr(err, "not an integer"), "err: %s", err);
        CHECK(!load(&c, err, sizeof(err), 3, "--nonsense", "1"));
        CHECK_MSG(strstr(err, "unknown option"), "err: %s", err);
        CHECK(!load(&c, err, sizeof(err), 2, "--port"));
        CHECK_MSG(strstr(err, "needs a value"), "err: %s", err);
        CHECK(!load(&c, err, sizeof(err), 2, "stray"));
        CHECK(!load(&c, err, sizeof(err), 3, "--log-level", "loud"));
        CHECK(!load(&c, err, sizeof(err), 3, "--tls-cert", "/a.pem"));
        CHECK_MSG(strstr(err, "tls_key"), "err: %s", err);
        file = write_conf("b.conf", "port = 1\nthis line has no equals\n");
        CHECK(!load(&c, err, sizeof(err), 3, "--config", file));
        CHECK_MSG(strstr(err, "b.conf:2:"), "err: %s", err);
        file = write_conf("c.conf", "bogus = 1\n");
        CHECK(!load(&c, err, sizeof(err), 3, "--config", file));
        CHECK_MSG(strstr(err, "c.conf:1:") && strstr(err, "bogus"), "err: %s", err);
        CHECK(!load(&c, err, sizeof(err), 3, "--config", "/nonexistent/x.conf"));
        setenv("FLEETPATCHD_THREADS", "-3", 1);
        CHECK(!load(&c, err, sizeof(err), 1));
        CHECK_MSG(strstr(err, "$FLEETPATCHD_THREADS"), "err: %s", err);
        unsetenv("FLEETPATCHD_THREADS");
        /* A string at its limit and one past it. */
        char big[800];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        CHECK(!fp_srv_config_set(&c, "listen", big, err, sizeof(err)));
        big[63] = 0;
        CHECK(fp_srv_config_set(&c, "listen", big, err, sizeof(err)));
        big[63] = 'a'; /* 64 characters: one past */
        big[64] = 0;
        CHECK(!fp_srv_config_set(&c, "listen", big, err, sizeof(err)));
        CHECK(!fp_srv_config_set(&c, "log_level", "in\nfo", err, sizeof(err)));

        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", tmpdir);
        return fp_test_finish();
}
