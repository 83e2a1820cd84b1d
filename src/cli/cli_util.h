/* Helpers shared by the CLI subcommands: errors, JSON strings, CSV, the vulnerability db. */
#ifndef FP_CLI_UTIL_H
#define FP_CLI_UTIL_H

#include <jansson.h>
#include <stdio.h>

#include "fleetpatch/error.h"
#include "fleetpatch/vulndb.h"

/* "fleetpatch: <diag or error message>" on stderr. */
void cli_print_error(const struct fp_diag *diag, enum fp_err err);
/* A JSON string (null for NULL). Bytes that are not UTF-8 become U+FFFD instead of making
 * jansson drop the field. */
json_t *cli_json_str(const char *s);
/* One RFC 4180 CSV field (quoted when needed), no separator. */
void cli_csv_field(FILE *f, const char *s);
/*
 * Open the vulnerability database: --db PATH, else $FLEETPATCH_DB, else
 * /var/lib/fleetpatch/vuln.db for root and $XDG_STATE_HOME (~/.local/state)/fleetpatch/vuln.db
 * otherwise; the directory is created (0700). Prints the error and returns NULL on failure.
 */
struct fp_vulndb *cli_open_vulndb(const char *given);
/* mkdir -p with mode 0700 for what it creates (path is modified and restored); -1 and errno. */
int cli_mkdirs(char *path);
/* Value of an option that takes one: argv[*i + 1], advancing *i; NULL (and a message) if
 * missing or empty. */
const char *cli_optarg(int argc, char **argv, int *i, const char *cmd);

#endif
