/*
 * The agent's configuration: one `key = value` file (default /etc/fleetpatch/agent.conf) and
 * command-line flags that override it. One table of options gives the parser, the checks and
 * the documentation (docs/agent.md).
 */
#ifndef FP_AGENT_CONFIG_H
#define FP_AGENT_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/daemon/log.h"
#include "fleetpatch/error.h"

#define AGENT_DEFAULT_CONFIG "/etc/fleetpatch/agent.conf"
#define AGENT_DEFAULT_STATE_DIR "/var/lib/fleetpatch-agent"
/* A configuration file is a few hundred bytes; a line longer than this is a mistake. */
#define AGENT_MAX_CONFIG_SIZE (64 * 1024)
#define AGENT_MAX_CONFIG_LINE 4096
/* Bounds of checkin_interval (seconds). */
#define AGENT_MIN_INTERVAL 1
#define AGENT_MAX_INTERVAL 86400

struct agent_config {
        char *server;            /* https://host[:port], no trailing slash */
        char *ca_file;           /* CA bundle that verifies the server (NULL: system's) */
        char *state_dir;         /* credential, host id, sequence number */
        char *root;              /* the system to inventory */
        char *enroll_token_file; /* holds the fpe_ token for the first start */
        char *tags;              /* "k=v,k=v" sent at enrollment */
        long checkin_interval;   /* seconds; 0 = the server's */
        bool imds;               /* ask the cloud's instance metadata service */
        char *imds_url;          /* base URL of the metadata service (tests) */
        char *hostname;          /* overrides gethostname(2) (tests) */
        enum agent_log_level log_level;
        char *hooks_dir;      /* hooks (docs/jobs.md "Hooks"); default /etc/fleetpatch/hooks.d */
        long hook_timeout;    /* seconds a hook may run; default 600 */
        char *reboot_command; /* argv split on spaces, never a shell; default "systemctl reboot" */
        char *backend;            /* auto (by the root's family), apt, dnf, fake (tests) */
        long lock_wait;           /* seconds to wait for the package manager's lock (300) */
        long transaction_timeout; /* seconds one transaction may run (3600) */
};

/* Defaults (state_dir and root set, the rest empty). false on ENOMEM. */
bool agent_config_init(struct agent_config *c);
void agent_config_release(struct agent_config *c);

/*
 * Set one option by its name as in the file; where (file, line) is for the message. FP_EINVAL
 * with diag (file:line, field = key) for an unknown key or a bad value.
 */
enum fp_err agent_config_set(struct agent_config *c, const char *key, const char *value,
                             const char *file, unsigned long line, struct fp_diag *diag);

/* Read a configuration file; a missing file is FP_ENOENT. */
enum fp_err agent_config_load(struct agent_config *c, const char *path, struct fp_diag *diag);

/* What a running agent needs (server, enrollment token or state); FP_EINVAL with a message. */
enum fp_err agent_config_check(const struct agent_config *c, struct fp_diag *diag);

/* The tags as a JSON object (NULL on ENOMEM); the syntax was checked when set. */
json_t *agent_config_tags(const struct agent_config *c);

#endif
