/*
 * fleetpatch baseline (docs/orchestration.md "Baselines"): create, update, list, show and
 * remove the baselines of an account, and explain a host's pending updates against the
 * baseline attached to it. The account documents' commands (create|update|ls|show|rm) are
 * shared with fleetpatch windows (cli_doc_cmd), as is reading a JSON document from a file or
 * stdin (cli_read_json_arg, also used by cr create).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/limits.h"

/* The largest document read from a file or stdin (the server's limits are lower). */
#define CLI_MAX_DOC (4L * 1024 * 1024)

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch baseline create --account A FILE|- [--json]\n"
                "       fleetpatch baseline update --account A FILE|- [--json]\n"
                "       fleetpatch baseline ls [--account A] [--json]\n"
                "       fleetpatch baseline show A/NAME [--json]\n"
                "       fleetpatch baseline rm A/NAME [--json]\n"
                "       fleetpatch baseline explain HOST [PACKAGE] [--json]\n"
                "\n"
                "FILE is a baseline as JSON (docs/orchestration.md); '-' reads stdin. update\n"
                "replaces the baseline named by the file's \"name\". create, update and rm need\n"
                "the approver role on the account. ls without --account lists every account\n"
                "you see. explain prints the baseline attached to HOST (a host id) and why,\n"
                "then each pending update of PACKAGE (all of them without it): installed ->\n"
                "candidate, classification, severity, released, APPROVED or NOT APPROVED and\n"
                "the verdict of every rule and list entry.\n");
}

json_t *cli_read_json_arg(const char *file, const char *cmd)
{
        bool in = !strcmp(file, "-");
        const char *shown = in ? "stdin" : file;
        FILE *f = in ? stdin : fopen(file, "rb");
        if (!f) {
                fprintf(stderr, "fleetpatch: %s: %s: %s\n", cmd, file, strerror(errno));
                return NULL;
        }
        struct fp_buf b;
        fp_buf_init(&b, (size_t)CLI_MAX_DOC);
        char chunk[8192];
        size_t n;
        bool big = false;
        while (!big && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                big = fp_buf_add(&b, chunk, n) != FP_OK;
        bool failed = ferror(f) != 0;
        if (!in)
                fclose(f);
        json_t *doc = NULL;
        json_error_t e;
        if (failed) {
                fprintf(stderr, "fleetpatch: %s: %s: read error\n", cmd, shown);
        } else if (big) {
                fprintf(stderr, "fleetpatch: %s: %s: larger than %ld bytes\n", cmd, shown,
                        CLI_MAX_DOC);
        } else if (!(doc = json_loadb(b.len ? fp_buf_str(&b) : "", b.len, JSON_REJECT_DUPLICATES,
                                      &e))) {
                fprintf(stderr, "fleetpatch: %s: %s:%d: column %d: %s\n", cmd, shown, e.line,
                        e.column, e.text);
        } else if (!json_is_object(doc)) {
                fprintf(stderr, "fleetpatch: %s: %s: not a JSON object\n", cmd, shown);
                json_decref(doc);
                doc = NULL;
        }
        fp_buf_release(&b);
        return doc;
}

/* "ACCOUNT/NAME" into its two parts; false after a message. */
static bool split_ref(const char *ref, const char *cmd, char *account, char *name)
{
        const char *slash = strchr(ref, '/');
        size_t alen = slash ? (size_t)(slash - ref) : 0;
        if (!slash || alen == 0 || alen > FP_MAX_IDENT || !slash[1] || strchr(slash + 1, '/') ||
            strlen(slash + 1) > FP_MAX_IDENT) {
                fprintf(stderr, "fleetpatch: %s: '%s': expected ACCOUNT/NAME\n", cmd, ref);
                return false;
        }
        memcpy(account, ref, alen);
        account[alen] = '\0';
        snprintf(name, FP_MAX_IDENT + 1, "%s", slash + 1);
        return true;
}

/* "baseline" or "window" for the messages. */
static const char *singular(const char *kind)
{
        return !strcmp(kind, "windows") ? "window" : "baseline";
}

/* create|update --account A FILE|- */
static int doc_put(int argc, char **argv, const char *cmd, const char *kind, bool update,
                   void (*usage_fn)(FILE *))
{
        const char *account = NULL, *file = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, cmd, opts, &r, &file, 1, 1, usage_fn);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *doc = cli_read_json_arg(file, cmd);
        if (!doc)
                return FP_EXIT_INPUT;
        const char *in_doc = json_string_value(json_object_get(doc, "account"));
        const char *name = json_string_value(json_object_get(doc, "name"));
        if (!account)
                account = in_doc;
        if (!account) {
                fprintf(stderr, "fleetpatch: %s: give --account A (the file names none)\n", cmd);
                json_decref(doc);
                return FP_EXIT_USAGE;
        }
        if (!name || !*name) {
                fprintf(stderr, "fleetpatch: %s: %s: the %s has no \"name\"\n", cmd, file,
                        singular(kind));
                json_decref(doc);
                return FP_EXIT_INPUT;
        }
        json_t *answer;
        if (update)
                rc = cli_requestf(&r, "PUT", doc, &answer, "/v1/accounts/%s/%s/%s", account, kind,
                                  name);
        else
                rc = cli_requestf(&r, "POST", doc, &answer, "/v1/accounts/%s/%s", account, kind);
        if (rc == FP_EXIT_OK && !r.json) {
                printf("%s %s/%s %s\n", singular(kind), account, name,
                       update ? "updated" : "created");
                json_decref(answer);
        } else if (rc == FP_EXIT_OK) {
                rc = cli_show_record(&r, answer);
        }
        json_decref(doc);
        return rc;
}

/* The table rows of a list: the server's objects with a few derived members. */
static void add_derived(json_t *items, const char *kind)
{
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
                if (!strcmp(kind, "baselines")) {
                        json_object_set_new(it, "_rules",
                                            json_integer((json_int_t)json_array_size(
                                                json_object_get(it, "rules"))));
                        json_object_set_new(it, "_approved",
                                            json_integer((json_int_t)json_array_size(
                                                json_object_get(it, "approved"))));
                        json_object_set_new(it, "_rejected",
                                            json_integer((json_int_t)json_array_size(
                                                json_object_get(it, "rejected"))));
                }
        }
}

static int doc_ls(int argc, char **argv, const char *cmd, const char *kind,
                  void (*usage_fn)(FILE *))
{
        static const struct cli_col baseline_cols[] = {
            {"ACCOUNT", "account", false},
            {"NAME", "name", false},
            {"FAMILY", "family", false},
            {"SELECTOR", "selector", false},
            {"RULES", "_rules", false},
            {"APPROVED", "_approved", false},
            {"REJECTED", "_rejected", false},
            {"LEVEL", "compliance_level", false},
            {"CATCH-UP", "catchup.policy", false},
            {"UPDATED", "updated", true},
        };
        static const struct cli_col window_cols[] = {
            {"ACCOUNT", "account", false},   {"NAME", "name", false},
            {"MODE", "mode", false},         {"RRULE", "rrule", false},
            {"START", "start", false},       {"TZ", "tz", false},
            {"DURATION", "duration", false}, {"CUTOFF", "cutoff", false},
            {"UPDATED", "updated", true},
        };
        const char *account = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, cmd, opts, &r, NULL, 0, 0, usage_fn);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *all = json_pack("{s:[]}", kind);
        json_t *items = json_object_get(all, kind);
        json_t *accounts = NULL;
        if (!account) {
                /* Every account the caller sees. */
                if ((rc = cli_request(&r, "GET", "/v1/accounts", NULL, &accounts)) != FP_EXIT_OK) {
                        json_decref(all);
                        return rc;
                }
        } else {
                accounts = json_pack("[{s:s}]", "name", account);
        }
        const json_t *list = cli_list_items(accounts, NULL);
        size_t i;
        const json_t *a;
        json_array_foreach(list, i, a)
        {
                const char *an = json_string_value(json_object_get(a, "name"));
                json_t *answer;
                if (!an || !strcmp(an, "*"))
                        continue;
                rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/accounts/%s/%s", an, kind);
                if (rc != FP_EXIT_OK)
                        break;
                json_t *got = cli_list_items(answer, kind);
                if (got)
                        json_array_extend(items, got);
                json_decref(answer);
        }
        json_decref(accounts);
        if (rc != FP_EXIT_OK) {
                json_decref(all);
                return rc;
        }
        if (!r.json)
                add_derived(items, kind);
        bool b = !strcmp(kind, "baselines");
        return cli_show_list(&r, all, kind, b ? baseline_cols : window_cols,
                             b ? sizeof(baseline_cols) / sizeof(baseline_cols[0])
                               : sizeof(window_cols) / sizeof(window_cols[0]));
}

/* show|rm A/NAME */
static int doc_one(int argc, char **argv, const char *cmd, const char *kind, bool rm,
                   void (*usage_fn)(FILE *))
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *ref = NULL;
        char account[FP_MAX_IDENT + 1], name[FP_MAX_IDENT + 1];
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, cmd, opts, &r, &ref, 1, 1, usage_fn);
        if (rc != CLI_GO_ON)
                return rc;
        if (!split_ref(ref, cmd, account, name))
                return FP_EXIT_USAGE;
        if (rm) {
                rc = cli_simple(&r, "DELETE", NULL, "/v1/accounts/%s/%s/%s", account, kind, name);
                if (rc == FP_EXIT_OK && !r.json)
                        printf("%s %s/%s removed\n", singular(kind), account, name);
                return rc;
        }
        json_t *answer;
        rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/accounts/%s/%s/%s", account, kind, name);
        if (rc != FP_EXIT_OK)
                return rc;
        /* "updated" is UTC seconds like "created" (which the record view formats itself) */
        const json_t *up = json_object_get(answer, "updated");
        time_t t = (time_t)json_integer_value(up);
        struct tm tm;
        char when[32];
        if (!r.json && json_is_integer(up) && t > 0 && gmtime_r(&t, &tm) &&
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
                json_object_set_new(answer, "updated", json_string(when));
        return cli_show_record(&r, answer);
}

int cli_doc_cmd(int argc, char **argv, const char *kind, void (*usage_fn)(FILE *))
{
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "%s %s", !strcmp(kind, "windows") ? "windows" : "baseline",
                 argv[0]);
        if (!strcmp(argv[0], "create") || !strcmp(argv[0], "update"))
                return doc_put(argc, argv, cmd, kind, argv[0][0] == 'u', usage_fn);
        if (!strcmp(argv[0], "ls"))
                return doc_ls(argc, argv, cmd, kind, usage_fn);
        if (!strcmp(argv[0], "show") || !strcmp(argv[0], "rm"))
                return doc_one(argc, argv, cmd, kind, argv[0][0] == 'r', usage_fn);
        return cli_bad_option(cmd, argv[0], usage_fn);
}

/* ---- explain ---- */

/* Printable text of s (control characters as '?'), at most one line. */
static void put_text(const char *s, size_t n)
{
        for (size_t i = 0; i < n && s[i]; i++)
                putchar((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
}

/* The string member key of o, else def. */
static const char *str(const json_t *o, const char *key, const char *def)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : def;
}

static void put_line(const char *label, const char *value)
{
        printf("%-18s", label);
        put_text(value ? value : "-", SIZE_MAX);
        putchar('\n');
}

static void put_update(const json_t *u)
{
        const char *s;
        put_text(str(u, "name", "?"), SIZE_MAX);
        if ((s = json_string_value(json_object_get(u, "arch"))) && *s) {
                printf(" (");
                put_text(s, SIZE_MAX);
                putchar(')');
        }
        putchar(' ');
        put_text(str(u, "installed", "-"), SIZE_MAX);
        printf(" -> ");
        put_text(str(u, "candidate", "-"), SIZE_MAX);
        printf(": %s\n",
               json_is_true(json_object_get(u, "approved")) ? "APPROVED" : "NOT APPROVED");
        char when[32] = "-";
        time_t t = (time_t)json_integer_value(json_object_get(u, "released"));
        struct tm tm;
        if (t > 0 && gmtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d", &tm);
        printf("  classification ");
        put_text(str(u, "classification", "-"), SIZE_MAX);
        printf(", severity ");
        put_text(str(u, "severity", "-"), SIZE_MAX);
        if (json_is_true(json_object_get(u, "kev")))
                printf(" (KEV)");
        printf(", released %s", when);
        if ((s = json_string_value(json_object_get(u, "released_from")))) {
                printf(" (");
                put_text(s, SIZE_MAX);
                putchar(')');
        }
        t = (time_t)json_integer_value(json_object_get(u, "sla_due"));
        if (t > 0 && gmtime_r(&t, &tm) && strftime(when, sizeof(when), "%Y-%m-%d", &tm))
                printf(", SLA due %s", when);
        putchar('\n');
        const char *ex = json_string_value(json_object_get(u, "explain"));
        while (ex && *ex) {
                size_t n = strcspn(ex, "\n");
                if (n) {
                        printf("    ");
                        put_text(ex, n);
                        putchar('\n');
                }
                ex += n + (ex[n] == '\n');
        }
}

static int baseline_explain(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *pos[2] = {NULL, NULL};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "baseline explain", opts, &r, pos, 1, 2, usage);
        if (rc != CLI_GO_ON)
                return rc;
        struct fp_buf path;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        json_t *answer = NULL;
        if (cli_pathf(&path, "/v1/hosts/%s/baseline", pos[0]) != FP_OK ||
            (pos[1] && cli_query_add(&path, "package", pos[1]) != FP_OK)) {
                fprintf(stderr, "fleetpatch: baseline explain: bad HOST or PACKAGE\n");
                rc = FP_EXIT_USAGE;
        } else {
                rc = cli_request(&r, "GET", fp_buf_str(&path), NULL, &answer);
        }
        fp_buf_release(&path);
        if (rc != FP_EXIT_OK || r.json)
                return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
        const char *hn = json_string_value(json_object_get(answer, "hostname"));
        const char *id = json_string_value(json_object_get(answer, "host"));
        printf("%-18s", "host:");
        put_text(hn ? hn : "-", SIZE_MAX);
        printf(" (");
        put_text(id ? id : pos[0], SIZE_MAX);
        printf(")\n");
        put_line("baseline:", json_string_value(json_object_get(answer, "baseline")));
        put_line("attached by:", json_string_value(json_object_get(answer, "attached_by")));
        if (json_object_get(answer, "compliance_level"))
                put_line("compliance level:",
                         json_string_value(json_object_get(answer, "compliance_level")));
        const json_t *ups = json_object_get(answer, "updates");
        if (!json_array_size(ups)) {
                printf("\nno pending update%s%s\n", pos[1] ? " of " : "", pos[1] ? pos[1] : "");
        }
        size_t i;
        const json_t *u;
        json_array_foreach(ups, i, u)
        {
                putchar('\n');
                put_update(u);
        }
        json_decref(answer);
        return FP_EXIT_OK;
}

static int baseline_doc(int argc, char **argv)
{
        return cli_doc_cmd(argc, argv, "baselines", usage);
}

int cmd_baseline(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"create", baseline_doc}, {"update", baseline_doc}, {"ls", baseline_doc},
            {"show", baseline_doc},   {"rm", baseline_doc},     {"explain", baseline_explain},
        };
        return cli_dispatch(argc, argv, "baseline", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
