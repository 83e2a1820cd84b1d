/*
 * fleetpatch exceptions add|ls|revoke|history: accept or dismiss findings for a set of hosts,
 * with an owner, a reason and an expiry. Nothing is ever deleted: revoked and expired
 * exceptions stay listed with their history.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch exceptions add --vuln ID --owner WHO --reason TEXT --expires DATE\n"
                "                                 [--package NAME] [--hosts GLOB] [--tag KEY=VALUE]\n"
                "                                 [--dismiss] [--by WHO] [--db FILE]\n"
                "       fleetpatch exceptions ls [--all] [--json] [--db FILE]\n"
                "       fleetpatch exceptions revoke ID --by WHO [--reason TEXT] [--db FILE]\n"
                "       fleetpatch exceptions history ID [--db FILE]\n"
                "\n"
                "--vuln is a CVE or advisory id, or '*'; --package and --hosts default to '*'.\n"
                "An accepted finding is real and its risk is owned; a dismissed one does not apply\n"
                "(false positive, mitigated). Both count again once the exception expires.\n");
}

static const char *whoami(void)
{
        const char *u = getenv("USER");
        return u && *u ? u : "unknown";
}

static int add_cmd(int argc, char **argv, const char *db_path)
{
        struct fp_exception ex = {.kind = FP_EXC_ACCEPT, .package = "*", .hosts = "*"};
        const char *expires = NULL;
        ex.created_by = whoami();
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = NULL;
                if (!strcmp(a, "--dismiss")) {
                        ex.kind = FP_EXC_DISMISS;
                        continue;
                }
                if (!(v = cli_optarg(argc, argv, &i, "exceptions add")))
                        return FP_EXIT_USAGE;
                if (!strcmp(a, "--vuln"))
                        ex.vuln = v;
                else if (!strcmp(a, "--owner"))
                        ex.owner = v;
                else if (!strcmp(a, "--reason"))
                        ex.reason = v;
                else if (!strcmp(a, "--expires"))
                        expires = v;
                else if (!strcmp(a, "--package"))
                        ex.package = v;
                else if (!strcmp(a, "--hosts"))
                        ex.hosts = v;
                else if (!strcmp(a, "--tag"))
                        ex.tag = v;
                else if (!strcmp(a, "--by"))
                        ex.created_by = v;
                else {
                        fprintf(stderr, "fleetpatch: exceptions add: unknown option '%s'\n", a);
                        return FP_EXIT_USAGE;
                }
        }
        if (!expires || !fp_parse_date(expires, &ex.expires)) {
                fprintf(stderr, "fleetpatch: exceptions add: --expires DATE is required "
                                "(YYYY-MM-DD or RFC 3339)\n");
                return FP_EXIT_USAGE;
        }
        struct fp_vulndb *db = cli_open_vulndb(db_path);
        if (!db)
                return FP_EXIT_INPUT;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_vulndb_exception_add(db, &ex, &diag);
        fp_vulndb_close(db);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                return err == FP_EINVAL ? FP_EXIT_USAGE : FP_EXIT_INPUT;
        }
        printf("exception %lld added\n", (long long)ex.id);
        return FP_EXIT_OK;
}

static const char *state_of(const struct fp_exception *e, int64_t now)
{
        if (e->revoked)
                return "revoked";
        return e->expires <= now ? "expired" : "active";
}

static int list_cmd(int argc, char **argv, const char *db_path)
{
        bool all = false, json = false;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--all"))
                        all = true;
                else if (!strcmp(argv[i], "--json"))
                        json = true;
                else {
                        fprintf(stderr, "fleetpatch: exceptions ls: unknown option '%s'\n", argv[i]);
                        return FP_EXIT_USAGE;
                }
        }
        struct fp_vulndb *db = cli_open_vulndb(db_path);
        if (!db)
                return FP_EXIT_INPUT;
        struct fp_arena arena;
        fp_arena_init(&arena);
        struct fp_exception *ex;
        size_t n;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_vulndb_exceptions(db, &arena, &ex, &n, &diag);
        fp_vulndb_close(db);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                fp_arena_release(&arena);
                return FP_EXIT_INPUT;
        }
        int64_t now = fp_now();
        json_t *arr = json ? json_array() : NULL;
        if (!json)
                printf("%-5s %-8s %-8s %-18s %-16s %-12s %-16s %-20s %s\n", "ID", "STATE", "KIND",
                       "VULN", "PACKAGE", "HOSTS", "OWNER", "EXPIRES", "REASON");
        for (size_t i = 0; i < n; i++) {
                const struct fp_exception *e = &ex[i];
                const char *state = state_of(e, now);
                if (!all && strcmp(state, "active") != 0)
                        continue;
                char exp[32], created[32];
                fp_format_date(e->expires, exp);
                fp_format_date(e->created, created);
                const char *kind = e->kind == FP_EXC_ACCEPT ? "accept" : "dismiss";
                if (json) {
                        json_t *o = json_object();
                        json_object_set_new(o, "id", json_integer(e->id));
                        json_object_set_new(o, "state", json_string(state));
                        json_object_set_new(o, "kind", json_string(kind));
                        json_object_set_new(o, "vuln", cli_json_str(e->vuln));
                        json_object_set_new(o, "package", cli_json_str(e->package));
                        json_object_set_new(o, "hosts", cli_json_str(e->hosts));
                        json_object_set_new(o, "tag", cli_json_str(e->tag));
                        json_object_set_new(o, "owner", cli_json_str(e->owner));
                        json_object_set_new(o, "reason", cli_json_str(e->reason));
                        json_object_set_new(o, "created", json_string(created));
                        json_object_set_new(o, "created_by", cli_json_str(e->created_by));
                        json_object_set_new(o, "expires", json_string(exp));
                        json_object_set_new(o, "revoked_by", cli_json_str(e->revoked_by));
                        json_array_append_new(arr, o);
                } else {
                        printf("%-5lld %-8s %-8s %-18s %-16s %-12s %-16s %-20s %s\n",
                               (long long)e->id, state, kind, e->vuln, e->package, e->hosts,
                               e->owner, exp, e->reason);
                }
        }
        if (json) {
                json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                putchar('\n');
                json_decref(arr);
        }
        fp_arena_release(&arena);
        return FP_EXIT_OK;
}

static bool parse_id(const char *s, int64_t *id)
{
        char *end;
        long long v = s ? strtoll(s, &end, 10) : 0;
        if (!s || *end || v <= 0)
                return false;
        *id = v;
        return true;
}

static int revoke_cmd(int argc, char **argv, const char *db_path)
{
        int64_t id;
        const char *by = NULL, *why = NULL;
        if (argc < 2 || !parse_id(argv[1], &id)) {
                fprintf(stderr, "fleetpatch: exceptions revoke: ID (a positive number) required\n");
                return FP_EXIT_USAGE;
        }
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i], *v = cli_optarg(argc, argv, &i, "exceptions revoke");
                if (!v)
                        return FP_EXIT_USAGE;
                if (!strcmp(a, "--by"))
                        by = v;
                else if (!strcmp(a, "--reason"))
                        why = v;
                else {
                        fprintf(stderr, "fleetpatch: exceptions revoke: unknown option '%s'\n", a);
                        return FP_EXIT_USAGE;
                }
        }
        struct fp_vulndb *db = cli_open_vulndb(db_path);
        if (!db)
                return FP_EXIT_INPUT;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_vulndb_exception_revoke(db, id, by ? by : whoami(), why, &diag);
        fp_vulndb_close(db);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                return err == FP_EINVAL || err == FP_ENOTFOUND ? FP_EXIT_USAGE : FP_EXIT_INPUT;
        }
        printf("exception %lld revoked\n", (long long)id);
        return FP_EXIT_OK;
}

static void print_event(void *ud, int64_t at, const char *action, const char *actor,
                        const char *detail)
{
        char when[32];
        (void)ud;
        fp_format_date(at, when);
        printf("%s %-8s %-16s %s\n", when, action, actor, detail);
}

static int history_cmd(int argc, char **argv, const char *db_path)
{
        int64_t id;
        if (argc < 2 || !parse_id(argv[1], &id)) {
                fprintf(stderr, "fleetpatch: exceptions history: ID (a positive number) required\n");
                return FP_EXIT_USAGE;
        }
        struct fp_vulndb *db = cli_open_vulndb(db_path);
        if (!db)
                return FP_EXIT_INPUT;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_vulndb_exception_history(db, id, print_event, NULL, &diag);
        fp_vulndb_close(db);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                return FP_EXIT_INPUT;
        }
        return FP_EXIT_OK;
}

int cmd_exceptions(int argc, char **argv)
{
        /* --db may come anywhere; take it out first. */
        const char *db_path = NULL;
        char **args = calloc((size_t)argc + 1, sizeof(*args));
        int n = 0;
        if (!args)
                return FP_EXIT_INPUT;
        for (int i = 0; i < argc; i++) {
                if (!strcmp(argv[i], "--db")) {
                        if (!(db_path = cli_optarg(argc, argv, &i, "exceptions"))) {
                                free(args);
                                return FP_EXIT_USAGE;
                        }
                        continue;
                }
                args[n++] = argv[i];
        }
        int rc;
        if (n < 2 || !strcmp(args[1], "-h") || !strcmp(args[1], "--help")) {
                usage(n < 2 ? stderr : stdout);
                rc = n < 2 ? FP_EXIT_USAGE : FP_EXIT_OK;
        } else if (!strcmp(args[1], "add")) {
                rc = add_cmd(n - 1, args + 1, db_path);
        } else if (!strcmp(args[1], "ls")) {
                rc = list_cmd(n - 1, args + 1, db_path);
        } else if (!strcmp(args[1], "revoke")) {
                rc = revoke_cmd(n - 1, args + 1, db_path);
        } else if (!strcmp(args[1], "history")) {
                rc = history_cmd(n - 1, args + 1, db_path);
        } else {
                fprintf(stderr, "fleetpatch: exceptions: unknown subcommand '%s'\n", args[1]);
                usage(stderr);
                rc = FP_EXIT_USAGE;
        }
        free(args);
        return rc;
}
