/*
 * Fuzz fleetpatchd's configuration parsing: the config file format from memory
 * (fp_srv_config_parse_text) and, on the input's first line taken as "name\tvalue", one
 * option set by name (fp_srv_config_set). Invariants: a refusal has a message; every string
 * option stays NUL-terminated inside its buffer without control characters; every integer
 * option stays within the bounds --help prints.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t bufsz)
{
        size_t n = strnlen(s, bufsz);
        if (n >= bufsz)
                abort();
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20)
                        abort();
}

static void check_int(long v, long lo, long hi)
{
        if (v < lo || v > hi)
                abort();
}

static void check_config(const struct fp_srv_config *c)
{
        check_str(c->listen, sizeof(c->listen));
        check_str(c->state_dir, sizeof(c->state_dir));
        check_str(c->store, sizeof(c->store));
        check_str(c->vulndb, sizeof(c->vulndb));
        check_str(c->tls_cert, sizeof(c->tls_cert));
        check_str(c->tls_key, sizeof(c->tls_key));
        check_str(c->tls_names, sizeof(c->tls_names));
        check_str(c->log_level, sizeof(c->log_level));
        check_int(c->port, 0, 65535);
        check_int(c->threads, 1, 256);
        check_int(c->checkin_interval, 5, 86400);
        check_int(c->jitter_percent, 0, 100);
        check_int(c->stale_after, 60, 31536000);
        check_int(c->max_connections, 16, 1000000);
        check_int(c->connection_timeout, 5, 3600);
        check_int(c->login_failures, 1, 1000);
        check_int(c->token_ttl, 60, 31536000);
}

static void defaults(struct fp_srv_config *c)
{
        char arg0[] = "fleetpatchd";
        char *argv[] = {arg0, NULL};
        char err[512];
        if (!fp_srv_config_load(c, 1, argv, err, sizeof(err)))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_srv_config c;
        char err[600];

        defaults(&c);
        err[0] = 0;
        if (!fp_srv_config_parse_text(&c, (const char *)data, size, "fuzz", err, sizeof(err)) &&
            !err[0])
                abort();
        check_config(&c);

        /* The first line as name TAB value. */
        const uint8_t *nl = memchr(data, '\n', size);
        size_t line = nl ? (size_t)(nl - data) : size;
        char *buf = malloc(line + 1);
        if (!buf)
                abort();
        memcpy(buf, data, line);
        buf[line] = 0;
        char *tab = strchr(buf, '\t');
        if (tab) {
                *tab = 0;
                defaults(&c);
                err[0] = 0;
                if (!fp_srv_config_set(&c, buf, tab + 1, err, sizeof(err)) && !err[0])
                        abort();
                check_config(&c);
        }
        free(buf);
        return 0;
}
