/* The agent's configuration file and flags (config.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/daemon/config.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"

enum opt_type { OPT_URL, OPT_PATH, OPT_STR, OPT_TAGS, OPT_INTERVAL, OPT_BOOL, OPT_LEVEL };

static const struct option_def {
        const char *name;
        enum opt_type type;
        size_t offset;
} options[] = {
    {"server", OPT_URL, offsetof(struct agent_config, server)},
    {"ca_file", OPT_PATH, offsetof(struct agent_config, ca_file)},
    {"state_dir", OPT_PATH, offsetof(struct agent_config, state_dir)},
    {"root", OPT_PATH, offsetof(struct agent_config, root)},
    {"enroll_token_file", OPT_PATH, offsetof(struct agent_config, enroll_token_file)},
    {"tags", OPT_TAGS, offsetof(struct agent_config, tags)},
    {"checkin_interval", OPT_INTERVAL, offsetof(struct agent_config, checkin_interval)},
    {"imds", OPT_BOOL, offsetof(struct agent_config, imds)},
    {"imds_url", OPT_URL, offsetof(struct agent_config, imds_url)},
    {"hostname", OPT_STR, offsetof(struct agent_config, hostname)},
    {"log_level", OPT_LEVEL, offsetof(struct agent_config, log_level)},
    {"hooks_dir", OPT_PATH, offsetof(struct agent_config, hooks_dir)},
    {"hook_timeout", OPT_INTERVAL, offsetof(struct agent_config, hook_timeout)},
    {"reboot_command", OPT_STR, offsetof(struct agent_config, reboot_command)},
    {"backend", OPT_STR, offsetof(struct agent_config, backend)},
    {"lock_wait", OPT_INTERVAL, offsetof(struct agent_config, lock_wait)},
    {"transaction_timeout", OPT_INTERVAL, offsetof(struct agent_config, transaction_timeout)},
};

bool agent_config_init(struct agent_config *c)
{
        memset(c, 0, sizeof(*c));
        c->log_level = LOG_LVL_INFO;
        c->state_dir = strdup(AGENT_DEFAULT_STATE_DIR);
        c->root = strdup("/");
        c->hooks_dir = strdup("/etc/fleetpatch/hooks.d");
        c->hook_timeout = 600;
        c->reboot_command = strdup("systemctl reboot");
        c->backend = strdup("auto");
        c->lock_wait = 300;
        c->transaction_timeout = 3600;
        return c->state_dir && c->root && c->hooks_dir && c->reboot_command && c->backend;
}

void agent_config_release(struct agent_config *c)
{
        for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
                enum opt_type t = options[i].type;
                if (t == OPT_URL || t == OPT_PATH || t == OPT_STR || t == OPT_TAGS) {
                        char **slot = (char **)((char *)c + options[i].offset);
                        free(*slot);
                        *slot = NULL;
                }
        }
}

static bool has_control(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* A tag key as the server takes it: 1..63 of [A-Za-z0-9._-]. */
static bool tag_key_ok(const char *k, size_t n)
{
        if (n == 0 || n > FP_MAX_TAG_KEY)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
                      (k[i] >= '0' && k[i] <= '9') || strchr("._-", k[i])))
                        return false;
        return true;
}

/* Why "k=v,k=v" is not a tag list, or NULL. */
static const char *tags_error(const char *s)
{
        size_t count = 0;
        if (!*s)
                return NULL;
        for (const char *p = s;;) {
                size_t n = strcspn(p, ",");
                const char *eq = memchr(p, '=', n);
                if (!eq)
                        return "a tag is not key=value";
                if (!tag_key_ok(p, (size_t)(eq - p)))
                        return "a tag key is not 1-63 characters of [A-Za-z0-9._-]";
                if ((size_t)(p + n - eq - 1) > FP_MAX_TAG_VALUE)
                        return "a tag value is longer than 255 characters";
                if (++count > FP_MAX_TAGS)
                        return "more than 64 tags";
                if (!p[n])
                        return NULL;
                p += n + 1;
        }
}

json_t *agent_config_tags(const struct agent_config *c)
{
        json_t *o = json_object();
        const char *s = c->tags ? c->tags : "";
        if (!o)
                return NULL;
        for (const char *p = s; *p;) {
                size_t n = strcspn(p, ",");
                const char *eq = memchr(p, '=', n);
                if (eq) {
                        char key[FP_MAX_TAG_KEY + 1];
                        snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
                        json_t *v = json_stringn(eq + 1, (size_t)(p + n - eq - 1));
                        if (json_object_set_new(o, key, v) != 0) {
                                json_decref(o);
                                return NULL;
                        }
                }
                p += n + (p[n] != '\0');
        }
        return o;
}

static enum fp_err bad_value(struct fp_diag *diag, const char *file, unsigned long line,
                             const char *key, const char *why)
{
        fp_diag_set(diag, file, line, key, "%s", why);
        return FP_EINVAL;
}

enum fp_err agent_config_set(struct agent_config *c, const char *key, const char *value,
                             const char *file, unsigned long line, struct fp_diag *diag)
{
        const struct option_def *o = NULL;
        for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
                if (strcmp(options[i].name, key) == 0)
                        o = &options[i];
        if (!o) {
                fp_diag_set(diag, file, line, key, "unknown option '%s'", key);
                return FP_EINVAL;
        }
        void *slot = (char *)c + o->offset;
        if (has_control(value))
                return bad_value(diag, file, line, key, "control character in the value");
        switch (o->type) {
        case OPT_URL:
                /* The server is only ever spoken to over verified TLS; the metadata services
                 * are link-local plain http by design. */
                if (strcmp(key, "server") == 0
                        ? strncmp(value, "https://", 8) != 0 || !value[8]
                        : strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
                        return bad_value(diag, file, line, key,
                                         strcmp(key, "server") == 0
                                             ? "must be an https:// URL"
                                             : "must be an http:// or https:// URL");
                if (strpbrk(value, " \"'<>\\"))
                        return bad_value(diag, file, line, key, "not a URL (blank or quote)");
                break;
        case OPT_PATH:
                if (value[0] != '/')
                        return bad_value(diag, file, line, key, "must be an absolute path");
                break;
        case OPT_STR:
                if (!*value || strlen(value) > FP_MAX_FACT_LEN)
                        return bad_value(diag, file, line, key, "must be 1-255 characters");
                /* the job runner opens the backend by this name (backend_open) */
                if (strcmp(key, "backend") == 0 && strcmp(value, "auto") != 0 &&
                    strcmp(value, "apt") != 0 && strcmp(value, "dnf") != 0 &&
                    strcmp(value, "fake") != 0)
                        return bad_value(diag, file, line, key, "must be auto, apt, dnf or fake");
                break;
        case OPT_TAGS: {
                const char *why = tags_error(value);
                if (why)
                        return bad_value(diag, file, line, key, why);
                break;
        }
        case OPT_INTERVAL: {
                char *end;
                errno = 0;
                long v = strtol(value, &end, 10);
                if (errno || end == value || *end || v < AGENT_MIN_INTERVAL ||
                    v > AGENT_MAX_INTERVAL) {
                        fp_diag_set(diag, file, line, key,
                                    "'%s' is not a number of seconds in %d..%d", value,
                                    AGENT_MIN_INTERVAL, AGENT_MAX_INTERVAL);
                        return FP_EINVAL;
                }
                *(long *)slot = v;
                return FP_OK;
        }
        case OPT_BOOL:
                if (strcmp(value, "on") == 0 || strcmp(value, "yes") == 0 ||
                    strcmp(value, "true") == 0)
                        *(bool *)slot = true;
                else if (strcmp(value, "off") == 0 || strcmp(value, "no") == 0 ||
                         strcmp(value, "false") == 0)
                        *(bool *)slot = false;
                else
                        return bad_value(diag, file, line, key, "must be on or off");
                return FP_OK;
        case OPT_LEVEL: {
                static const char *const levels[] = {"error", "warning", "info", "debug"};
                for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
                        if (strcmp(value, levels[i]) == 0 ||
                            (i == LOG_LVL_WARN && strcmp(value, "warn") == 0)) {
                                *(enum agent_log_level *)slot = (enum agent_log_level)i;
                                return FP_OK;
                        }
                }
                return bad_value(diag, file, line, key, "must be error, warning, info or debug");
        }
        }
        char *copy = strdup(value);
        if (!copy)
                return FP_ENOMEM;
        /* a server URL without its trailing slashes, so paths can be appended */
        size_t n = strlen(copy);
        while (o->type == OPT_URL && n > 8 && copy[n - 1] == '/')
                copy[--n] = '\0';
        free(*(char **)slot);
        *(char **)slot = copy;
        return FP_OK;
}

static char *trim(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = '\0';
        return s;
}

enum fp_err agent_config_load(struct agent_config *c, const char *path, struct fp_diag *diag)
{
        char *data = NULL;
        size_t len;
        enum fp_err err = fp_read_file(path, AGENT_MAX_CONFIG_SIZE, &data, &len, diag);
        if (err != FP_OK) {
                if (diag && !diag->file[0])
                        fp_diag_where(diag, path, 0, NULL);
                return err;
        }
        if (memchr(data, '\0', len)) {
                free(data);
                fp_diag_set(diag, path, 0, NULL, "NUL byte in the file");
                return FP_EINVAL;
        }
        unsigned long lineno = 0;
        for (char *line = data, *next; line && err == FP_OK; line = next) {
                lineno++;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strlen(line) > AGENT_MAX_CONFIG_LINE) {
                        fp_diag_set(diag, path, lineno, NULL, "line longer than %d bytes",
                                    AGENT_MAX_CONFIG_LINE);
                        err = FP_ELIMIT;
                        break;
                }
                char *s = trim(line);
                if (*s == '\0' || *s == '#')
                        continue;
                char *eq = strchr(s, '=');
                if (!eq) {
                        fp_diag_set(diag, path, lineno, NULL, "expected 'key = value'");
                        err = FP_EINVAL;
                        break;
                }
                *eq = '\0';
                char *key = trim(s), *value = trim(eq + 1);
                if (!*key) {
                        fp_diag_set(diag, path, lineno, NULL, "expected 'key = value'");
                        err = FP_EINVAL;
                        break;
                }
                err = agent_config_set(c, key, value, path, lineno, diag);
        }
        free(data);
        return err;
}

enum fp_err agent_config_check(const struct agent_config *c, struct fp_diag *diag)
{
        if (!c->server) {
                fp_diag_set(diag, NULL, 0, "server", "no server configured (server = https://...)");
                return FP_EINVAL;
        }
        if (!c->state_dir || !c->root) {
                fp_diag_set(diag, NULL, 0, "state_dir", "no state directory");
                return FP_EINVAL;
        }
        return FP_OK;
}
