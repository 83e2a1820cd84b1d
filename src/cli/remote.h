/*
 * What the server-facing commands share: durations and other argument values, request paths
 * with escaped parts, and the output (aligned tables, "key: value" records, the server's JSON).
 */
#ifndef FP_CLI_REMOTE_H
#define FP_CLI_REMOTE_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/client.h"
#include "fleetpatch/util.h"

/* A request path with its query. */
#define CLI_MAX_REQUEST_PATH 8192
/* A password (file, FLEETPATCH_PASSWORD or stdin). */
#define CLI_MAX_PASSWORD 1024
/* Longest duration accepted: 10 years (the server bounds TTLs further). */
#define CLI_MAX_DURATION (10LL * 366 * 24 * 3600)

/* "90", "30s", "15m", "2h", "7d", "1w" as seconds (> 0, <= CLI_MAX_DURATION). */
bool cli_parse_duration(const char *s, long long *out);
/* A decimal integer in [min, max]. */
bool cli_parse_int(const char *s, long long min, long long max, long long *out);

/* Append s to a path or query, percent-encoding every byte but [A-Za-z0-9._~*-] (the account
 * "*" stays readable; RFC 3986 allows it in both). */
enum fp_err cli_path_escaped(struct fp_buf *b, const char *s);
/* Append "?key=value" (or "&key=value" when b has a query already), the value escaped. */
enum fp_err cli_query_add(struct fp_buf *b, const char *key, const char *value);
/* fmt with each %s argument percent-escaped, into b (only %s and %% are allowed; an empty,
 * "." or ".." argument is FP_EINVAL). */
enum fp_err cli_pathf(struct fp_buf *b, const char *fmt, ...);
enum fp_err cli_vpathf(struct fp_buf *b, const char *fmt, va_list ap);

/* Split "KEY=VALUE" and set it in the tags object; false (with a message) if it is not that. */
bool cli_tag_set(json_t *tags, const char *kv, const char *cmd);

/*
 * A password: the first line of file (when given), else $FLEETPATCH_PASSWORD, else one line of
 * stdin (echo off on a terminal, after prompt). Trailing CR/LF removed; empty is refused.
 */
bool cli_read_password(const char *file, const char *prompt, char *out, size_t outsz);

/* Connect (cli_connect) and make one request (cli_call): an exit code, *out on success. */
int cli_request(const struct cli_remote *r, const char *method, const char *path,
                const json_t *body, json_t **out);

/* cli_request with the path made by cli_pathf(fmt, ...). */
int cli_requestf(const struct cli_remote *r, const char *method, const json_t *body, json_t **out,
                 const char *fmt, ...);
/* cli_requestf for a request whose answer only matters with --json (printed then). */
int cli_simple(const struct cli_remote *r, const char *method, const json_t *body, const char *fmt,
               ...);
/* The answer of a create that returns a secret: only its "token" on stdout (scripts capture
 * it), or the whole answer with --json. Decrefs answer. */
int cli_print_secret(const struct cli_remote *r, json_t *answer, const char *what);
/* The message for a bad duration value; returns FP_EXIT_USAGE. */
int cli_bad_duration(const char *cmd, const char *opt, const char *v);

/* The server's JSON, pretty and with sorted keys (stable whatever the server's order). */
int cli_print_json(const json_t *v);

/* A table column: header and the member shown (a dotted path reaches into objects). */
struct cli_col {
        const char *header, *key;
        bool time; /* a UTC seconds value, shown as YYYY-MM-DD HH:MM (0 as "-") */
};
/* The items of a list answer: the answer itself if it is an array, else its array member
 * `member` (or its only array member when member is NULL). NULL if there is none. */
json_t *cli_list_items(const json_t *answer, const char *member);
/* Rows (an array of objects) as an aligned table; absent values print as "-", objects of
 * strings as "k=v,k=v", arrays joined with ",". */
void cli_print_table(const json_t *rows, const struct cli_col *cols, size_t ncols);
/* One object as "key: value" lines, nested objects flattened with dotted keys. */
void cli_print_record(const json_t *obj);
/* A scalar, an object of scalars or an array of scalars as display text into b. */
void cli_value_text(const json_t *v, struct fp_buf *b);

/* Print the answer: as JSON (--json), else as the table of its list `member`. Decrefs answer. */
int cli_show_list(const struct cli_remote *r, json_t *answer, const char *member,
                  const struct cli_col *cols, size_t ncols);
/* Print the answer: as JSON (--json), else as a record. Decrefs answer. */
int cli_show_record(const struct cli_remote *r, json_t *answer);

/* A command with no option of its own that lists GET path (its only array) as a table. */
int cli_list_cmd(int argc, char **argv, const char *cmd, const char *path,
                 const struct cli_col *cols, size_t ncols, void (*usage)(FILE *));
/* A command with one argument NAME that shows GET fmt (fmt has one %s, NAME) as a record. */
int cli_show_cmd(int argc, char **argv, const char *cmd, const char *fmt, void (*usage)(FILE *));

/* "fleetpatch CMD: unknown option 'X'" plus the usage, for the commands' option loops. */
int cli_bad_option(const char *cmd, const char *opt, void (*usage)(FILE *));

/* ---- the commands' arguments, from one table per command ---- */
/* A repeatable option's values. */
#define CLI_MAX_REPEAT 64
struct cli_list {
        const char *v[CLI_MAX_REPEAT];
        size_t n;
};
enum cli_opt_kind { CLI_FLAG, CLI_VALUE, CLI_REPEAT };
struct cli_opt {
        const char *name; /* "--account" */
        enum cli_opt_kind kind;
        void *dst; /* bool *, const char ** or struct cli_list * */
};
/* The result of cli_parse when the command should go on. */
#define CLI_GO_ON (-1)
/*
 * Parse argv[1..] (argv[0] is the command's or subcommand's name, cmd the name for messages)
 * against opts (ended by {NULL}) and the connection options (cli_remote_opt); up to maxpos
 * positional arguments into pos (*npos of them; exactly minpos..maxpos are accepted). Returns
 * CLI_GO_ON, FP_EXIT_OK after --help, or FP_EXIT_USAGE after a message.
 */
int cli_parse(int argc, char **argv, const char *cmd, const struct cli_opt *opts,
              struct cli_remote *r, const char **pos, size_t minpos, size_t maxpos,
              void (*usage)(FILE *));

/* A subcommand ("hosts ls"): its name and what runs it with argv starting at its name. */
struct cli_sub {
        const char *name;
        int (*run)(int argc, char **argv);
};
/* Run the subcommand named by argv[1] (argv[0] is the command, cmd its name). */
int cli_dispatch(int argc, char **argv, const char *cmd, const struct cli_sub *subs, size_t nsubs,
                 void (*usage)(FILE *));

#endif
