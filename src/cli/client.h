/*
 * The CLI's side of the fleetpatchd API (docs/api.md): where the server is and which credential
 * to send (flags, then environment, then the file `fleetpatch login` writes), and one HTTPS JSON
 * request with the answer's error object turned into a message and an exit code.
 */
#ifndef FP_CLI_CLIENT_H
#define FP_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "fleetpatch/error.h"

/* A server URL ("https://host:port", maybe with a path prefix). */
#define CLI_MAX_URL 2048
/* A bearer token; real ones are 85 bytes (`fpu_<16hex>_<64hex>`). */
#define CLI_MAX_TOKEN 256
/* A path of the CA file. */
#define CLI_MAX_PATH 4096
/* The config file written by login. */
#define CLI_MAX_CONFIG_SIZE (64 * 1024)
/* An answer body; list pages are at most FP_MAX_PAGE items of a few KiB each. */
#define CLI_MAX_RESPONSE (64L * 1024 * 1024)
/* Default whole-request timeout, seconds (--timeout). */
#define CLI_DEFAULT_TIMEOUT_S 60L
/* Connecting alone, seconds. */
#define CLI_CONNECT_TIMEOUT_S 15L

/* Where to connect and with what. Empty strings mean unset. */
struct cli_conn {
        char server[CLI_MAX_URL];
        char token[CLI_MAX_TOKEN];
        char cacert[CLI_MAX_PATH];
        long timeout_s;
        /* The token was made by `login --user` (a 12 h session): logout revokes it. */
        bool session;
};

/* Connection options as given on the command line (NULL = not given). */
struct cli_remote {
        const char *server, *token, *cacert;
        long timeout_s;
        bool json;
};

/*
 * If argv[*i] is a connection or output option (--server URL, --token T, --cacert FILE,
 * --timeout DUR, --json), record it, advance *i past its value and return 1; 0 if it is none of
 * them; -1 after printing a usage message (missing or bad value).
 */
int cli_remote_opt(struct cli_remote *r, int argc, char **argv, int *i, const char *cmd);

/* The config file's path: $FLEETPATCH_CLI_CONFIG, else $XDG_CONFIG_HOME/fleetpatch/cli.json,
 * else ~/.config/fleetpatch/cli.json. false if it does not fit. */
bool cli_config_path(char *out, size_t outsz);
/* Read the config file into *out (only its members are set). FP_ENOENT if there is none;
 * other errors with diag. */
enum fp_err cli_config_load(const char *path, struct cli_conn *out, struct fp_diag *diag);
/* Write it atomically (a 0600 temporary file renamed over it; its directory made 0700). */
enum fp_err cli_config_save(const char *path, const struct cli_conn *c, struct fp_diag *diag);

/*
 * Resolve the connection: each setting from the flag, else FLEETPATCH_SERVER / FLEETPATCH_TOKEN /
 * FLEETPATCH_CACERT, else the config file. Returns an exit code: FP_EXIT_OK, FP_EXIT_AUTH when no
 * server or token is known ("not logged in"), FP_EXIT_INPUT for an unreadable config file.
 */
int cli_connect(const struct cli_remote *r, struct cli_conn *out);

/*
 * One request: method, path (starting with "/", already escaped, with its query), body (NULL
 * for none; not taken). On success returns FP_EXIT_OK and *out is the answer (json null for an
 * empty body; the caller decrefs). Otherwise prints the reason and returns FP_EXIT_SERVER (an
 * error answer or a malformed one), FP_EXIT_UNREACHABLE (no connection, TLS failure, timeout)
 * or FP_EXIT_AUTH (401).
 */
int cli_call(const struct cli_conn *c, const char *method, const char *path, const json_t *body,
             json_t **out);
struct fp_buf;
/* cli_call of a GET whose answer is not JSON (an audit export): its bytes into *out (an fp_buf
 * whose max, when set, bounds the answer instead of CLI_MAX_RESPONSE; released and refilled; the
 * caller releases it). */
int cli_call_raw(const struct cli_conn *c, const char *path, struct fp_buf *out);

/* The message for an error answer: "STATUS CODE: MESSAGE (field F)" from the API's error object,
 * or the status and the start of the body when there is none. */
void cli_error_text(long status, const char *body, char *out, size_t outsz);
/* The exit code of an HTTP status that is not 2xx. */
int cli_status_exit(long status);

#endif
