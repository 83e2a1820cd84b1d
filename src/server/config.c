/*
 * fleetpatchd's configuration: every option is one row of `options` (name, type, default,
 * bounds, help). The same row serves the config file key, the --flag, the
 * FLEETPATCHD_<NAME> environment variable, --help and --print-config.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

enum opt_type { OPT_STR, OPT_INT };

struct option_row {
        const char *name;
        enum opt_type type;
        const char *def;
        long min, max; /* OPT_INT bounds; OPT_STR: max = buffer size */
        size_t offset;
        const char *help;
};

#define STR(field, def, help)                                                                      \
        {#field, OPT_STR, def, 0, sizeof(((struct fp_srv_config *)0)->field),                      \
         offsetof(struct fp_srv_config, field), help}
#define INT(field, def, lo, hi, help)                                                              \
        {#field, OPT_INT, #def, lo, hi, offsetof(struct fp_srv_config, field), help}

static const struct option_row options[] = {
    STR(listen, "127.0.0.1", "address to listen on (IPv4 or IPv6 literal)"),
    INT(port, 8443, 0, 65535, "TCP port (0 = any free port, printed at start)"),
    STR(state_dir, "/var/lib/fleetpatchd", "directory for the store, TLS material, tokens"),
    STR(store, "", "store URL: sqlite:PATH (default sqlite:STATE_DIR/fleetpatch.db) or a PostgreSQL libpq URI postgresql://..."),
    STR(vulndb, "", "vulnerability database (default STATE_DIR/vuln.db; see fleetpatch feeds)"),
    STR(tls_cert, "", "PEM certificate chain (default: generated under STATE_DIR/tls)"),
    STR(tls_key, "", "PEM private key of tls_cert"),
    STR(tls_names, "",
        "extra DNS names / IP addresses of the generated certificate, comma-separated"),
    STR(image_webhook_url, "",
        "where change requests for immutable groups ask for a rebuilt image (POST, signed)"),
    STR(image_webhook_secret_file, "",
        "file holding the HMAC-SHA256 key that signs image webhooks (required with the URL)"),
    STR(smtp_url, "", "SMTP server for email notifications: smtp://HOST:PORT or smtps://HOST:PORT"),
    STR(smtp_from, "", "From address of notification emails (required with smtp_url)"),
    STR(smtp_user, "", "SMTP login user (empty = no authentication)"),
    STR(smtp_password_file, "", "file holding the SMTP password of smtp_user"),
    STR(smtp_ca_file, "", "PEM CA bundle that verifies the SMTP server (default: the system's)"),
    STR(smtp_starttls, "required", "STARTTLS on smtp:// URLs: required | optional | none"),
    INT(notify_retry_base, 60, 1, 86400,
        "seconds before the first retry of a notification; doubled per attempt"),
    INT(notify_retry_max, 21600, 1, 604800, "longest wait between notification retries, seconds"),
    INT(notify_max_attempts, 8, 1, 100,
        "attempts of a notification before it goes to the dead-letter list"),
    INT(notify_timeout, 20, 1, 600, "seconds one webhook POST or SMTP session may take"),
    INT(notify_window_lead, 3600, 0, 604800,
        "window.starting is sent this many seconds before a rollout's window opens"),
    INT(notify_allow_private, 0, 0, 1,
        "1 = webhooks may reach loopback, private and link-local addresses (refused by default)"),
    INT(threads, 4, 1, 256, "request threads"),
    INT(checkin_interval, 300, 5, 86400, "seconds between agent check-ins"),
    INT(catchup_after, 0, 0, 31536000,
        "a host that comes back after this many seconds without a check-in needs catch-up "
        "(0 = 3 check-in intervals)"),
    INT(scheduler_interval, 5, 1, 3600,
        "seconds between scheduler ticks (rollouts, catch-up; docs/orchestration.md)"),
    INT(approvals_required, 1, 1, 10,
        "distinct approvals a change request needs (never its author's)"),
    INT(jitter_percent, 20, 0, 100, "random spread of check-ins, percent of the interval"),
    INT(stale_after, 3600, 60, 31536000, "a host not seen for this many seconds is stale"),
    INT(max_connections, 20000, 16, 1000000, "concurrent connections"),
    INT(connection_timeout, 75, 5, 3600, "idle/slow connection timeout, seconds (> long-poll)"),
    INT(login_failures, 10, 1, 1000, "failed logins per address per minute before 429"),
    INT(token_ttl, 43200, 60, 31536000, "lifetime of tokens made by login, seconds"),
    STR(log_level, "info", "error | warn | info | debug"),
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const struct option_row *find(const char *name, size_t len)
{
        for (size_t i = 0; i < NOPTIONS; i++)
                if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len))
                        return &options[i];
        /* Accept dashes for underscores in flags (--state-dir). */
        char buf[64];
        if (len >= sizeof(buf))
                return NULL;
        for (size_t i = 0; i < len; i++)
                buf[i] = name[i] == '-' ? '_' : name[i];
        buf[len] = 0;
        for (size_t i = 0; i < NOPTIONS; i++)
                if (!strcmp(options[i].name, buf))
                        return &options[i];
        return NULL;
}

static bool set_row(struct fp_srv_config *c, const struct option_row *o, const char *value,
                    char *err, size_t errsz)
{
        char *field = (char *)c + o->offset;
        if (o->type == OPT_STR) {
                size_t len = strlen(value);
                if (len >= (size_t)o->max) {
                        snprintf(err, errsz, "option '%s': value longer than %ld bytes", o->name,
                                 o->max - 1);
                        return false;
                }
                for (size_t i = 0; i < len; i++)
                        if ((unsigned char)value[i] < 0x20) {
                                snprintf(err, errsz, "option '%s': control character in value",
                                         o->name);
                                return false;
                        }
                memcpy(field, value, len + 1);
                return true;
        }
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end) {
                snprintf(err, errsz, "option '%s': '%s' is not an integer", o->name, value);
                return false;
        }
        if (v < o->min || v > o->max) {
                snprintf(err, errsz, "option '%s': %ld is outside %ld..%ld", o->name, v, o->min,
                         o->max);
                return false;
        }
        memcpy(field, &v, sizeof(v));
        return true;
}

bool fp_srv_config_set(struct fp_srv_config *c, const char *name, const char *value, char *err,
                       size_t errsz)
{
        const struct option_row *o = find(name, strlen(name));
        if (!o) {
                snprintf(err, errsz, "unknown option '%s'", name);
                return false;
        }
        return set_row(c, o, value, err, errsz);
}

static char *trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
                s[--n] = 0;
        return s;
}

/* One line of a config file (comments, blanks, name = value); where names the source. */
static bool parse_line(struct fp_srv_config *c, char *line, const char *where,
                       unsigned long lineno, char *err, size_t errsz)
{
        char *s = trim(line);
        if (!*s || *s == '#')
                return true;
        char *eq = strchr(s, '=');
        if (!eq) {
                snprintf(err, errsz, "%s:%lu: expected 'name = value'", where, lineno);
                return false;
        }
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        char inner[512];
        if (!fp_srv_config_set(c, key, value, inner, sizeof(inner))) {
                snprintf(err, errsz, "%s:%lu: %s", where, lineno, inner);
                return false;
        }
        return true;
}

#define MAX_LINE 2048

static bool load_file(struct fp_srv_config *c, const char *path, char *err, size_t errsz)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return false;
        }
        char line[MAX_LINE];
        unsigned long lineno = 0;
        bool ok = true;
        while (ok && fgets(line, sizeof(line), f)) {
                lineno++;
                if (!strchr(line, '\n') && !feof(f)) {
                        snprintf(err, errsz, "%s:%lu: line longer than %zu bytes", path, lineno,
                                 sizeof(line) - 2);
                        ok = false;
                        break;
                }
                ok = parse_line(c, line, path, lineno, err, errsz);
        }
        if (ok && ferror(f)) {
                snprintf(err, errsz, "%s: read error", path);
                ok = false;
        }
        fclose(f);
        return ok;
}

bool fp_srv_config_parse_text(struct fp_srv_config *c, const char *text, size_t len,
                              const char *where, char *err, size_t errsz)
{
        char line[MAX_LINE];
        unsigned long lineno = 0;
        size_t i = 0;
        while (i < len) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
                lineno++;
                if (n > sizeof(line) - 2) {
                        snprintf(err, errsz, "%s:%lu: line longer than %zu bytes", where, lineno,
                                 sizeof(line) - 2);
                        return false;
                }
                memcpy(line, text + i, n);
                line[n] = 0; /* a NUL inside the line ends it, as with fgets */
                if (!parse_line(c, line, where, lineno, err, errsz))
                        return false;
                i += n + 1;
        }
        return true;
}

bool fp_srv_config_load(struct fp_srv_config *c, int argc, char **argv, char *err, size_t errsz)
{
        memset(c, 0, sizeof(*c));
        char inner[512];
        for (size_t i = 0; i < NOPTIONS; i++)
                if (!set_row(c, &options[i], options[i].def, err, errsz))
                        return false;
        /* The file first: --config in argv, else $FLEETPATCHD_CONFIG. */
        const char *file = getenv("FLEETPATCHD_CONFIG");
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--config") && i + 1 < argc)
                        file = argv[i + 1];
                else if (!strncmp(argv[i], "--config=", 9))
                        file = argv[i] + 9;
        }
        if (file && *file && !load_file(c, file, err, errsz))
                return false;
        for (size_t i = 0; i < NOPTIONS; i++) {
                char env[80] = "FLEETPATCHD_";
                size_t n = strlen(env);
                for (const char *p = options[i].name; *p && n + 1 < sizeof(env); p++)
                        env[n++] = (char)toupper((unsigned char)*p);
                env[n] = 0;
                const char *v = getenv(env);
                if (v && !set_row(c, &options[i], v, inner, sizeof(inner))) {
                        snprintf(err, errsz, "$%s: %s", env, inner);
                        return false;
                }
        }
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (strncmp(a, "--", 2)) {
                        snprintf(err, errsz, "unexpected argument '%s'", a);
                        return false;
                }
                a += 2;
                const char *eq = strchr(a, '=');
                size_t len = eq ? (size_t)(eq - a) : strlen(a);
                const char *value = eq ? eq + 1 : NULL;
                if (len == 6 && !strncmp(a, "config", 6)) {
                        if (!eq)
                                i++;
                        continue;
                }
                const struct option_row *o = find(a, len);
                if (!o) {
                        snprintf(err, errsz, "unknown option '--%.*s' (see --help)", (int)len, a);
                        return false;
                }
                if (!value) {
                        if (i + 1 >= argc) {
                                snprintf(err, errsz, "option '--%s' needs a value", o->name);
                                return false;
                        }
                        value = argv[++i];
                }
                if (!set_row(c, o, value, err, errsz))
                        return false;
        }
        /* Derived defaults. */
        if (!*c->store &&
            snprintf(c->store, sizeof(c->store), "sqlite:%s/fleetpatch.db", c->state_dir) >=
                    (int)sizeof(c->store)) {
                snprintf(err, errsz, "state_dir too long");
                return false;
        }
        if (!*c->vulndb &&
            snprintf(c->vulndb, sizeof(c->vulndb), "%s/vuln.db", c->state_dir) >=
                    (int)sizeof(c->vulndb)) {
                snprintf(err, errsz, "state_dir too long");
                return false;
        }
        if (!!*c->tls_cert != !!*c->tls_key) {
                snprintf(err, errsz, "tls_cert and tls_key go together");
                return false;
        }
        if (strcmp(c->log_level, "error") && strcmp(c->log_level, "warn") &&
            strcmp(c->log_level, "info") && strcmp(c->log_level, "debug")) {
                snprintf(err, errsz, "option 'log_level': '%s' is not error|warn|info|debug",
                         c->log_level);
                return false;
        }
        return true;
}

void fp_srv_config_help(FILE *out)
{
        fprintf(out, "usage: fleetpatchd [--config FILE] [--OPTION VALUE]...\n\n"
                     "Each option is also a config file key (name = value) and an environment\n"
                     "variable FLEETPATCHD_<NAME>; flags win over the environment, which wins\n"
                     "over the file.\n\n");
        for (size_t i = 0; i < NOPTIONS; i++) {
                const struct option_row *o = &options[i];
                if (o->type == OPT_INT)
                        fprintf(out, "  --%-20s %s (default %s, %ld..%ld)\n", o->name, o->help,
                                o->def, o->min, o->max);
                else
                        fprintf(out, "  --%-20s %s%s%s%s\n", o->name, o->help,
                                *o->def ? " (default " : "", o->def, *o->def ? ")" : "");
        }
}

void fp_srv_config_print(const struct fp_srv_config *c, FILE *out)
{
        for (size_t i = 0; i < NOPTIONS; i++) {
                const char *field = (const char *)c + options[i].offset;
                if (options[i].type == OPT_INT) {
                        long v;
                        memcpy(&v, field, sizeof(v));
                        fprintf(out, "%s = %ld\n", options[i].name, v);
                } else {
                        fprintf(out, "%s = %s\n", options[i].name, field);
                }
        }
}

long fp_srv_catchup_after(const struct fp_srv_config *c)
{
        return c->catchup_after > 0 ? c->catchup_after : 3 * c->checkin_interval;
}
