/*
 * fleetpatch cr and fleetpatch rollout (docs/orchestration.md "Change requests", "Rollouts"):
 * create a change request from a JSON file (its update set is frozen by the server), list and
 * show requests, vote on them; preview the rollout (who is patched when), follow it, pause,
 * resume or cancel it. Waves are shown counted from 1 (the API counts from 0).
 */
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"

static void cr_usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch cr create FILE|- [--json]\n"
                "       fleetpatch cr ls [--account A] [--state S] [--json]\n"
                "       fleetpatch cr show ID [--json]\n"
                "       fleetpatch cr submit|approve|reject|review ID [--comment TEXT] [--json]\n"
                "\n"
                "FILE is a change request as JSON (docs/orchestration.md); '-' reads stdin.\n"
                "create freezes the baseline's approved pending updates of each target host and\n"
                "checks the rollout plan; it prints the id, the state, what was frozen and the\n"
                "hosts skipped with the reason. submit (the author), then approve or reject\n"
                "(an approver who is not the author); review records the review of an\n"
                "emergency request. States: draft, submitted, approved, rejected, scheduled,\n"
                "running, done, failed, rolled_back, cancelled.\n");
}

static void ro_usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch rollout plan CR [--json]\n"
                   "       fleetpatch rollout show CR [--json]\n"
                   "       fleetpatch rollout pause|resume|cancel CR [--json]\n"
                   "\n"
                   "plan previews who is patched when (per wave, then per host, in the host's\n"
                   "local time and in UTC), computed as if every host succeeded after host_time.\n"
                   "show prints the rollout's status, wave, failures and each host's state and\n"
                   "job. pause stops starting hosts, resume continues (failures counted from zero\n"
                   "again), cancel ends the request and its rollout (running jobs finish). Waves\n"
                   "are counted from 1.\n");
}

static const char *str(const json_t *o, const char *key, const char *def)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : def;
}

/* Text without control characters. */
static void put_text(const char *s)
{
        for (; s && *s; s++)
                putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void put_line(const char *label, const char *value)
{
        printf("%-16s", label);
        put_text(value ? value : "-");
        putchar('\n');
}

/* A wave index of the API (from 0) as shown (from 1), in place, for each item of arr. */
static void waves_from_one(json_t *arr, const char *key)
{
        size_t i;
        json_t *it;
        json_array_foreach(arr, i, it)
        {
                json_t *w = json_object_get(it, key);
                if (json_is_integer(w))
                        json_object_set_new(it, key, json_integer(json_integer_value(w) + 1));
        }
}

/* ---- cr ---- */

static int cr_create(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *file = NULL;
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "cr create", opts, &r, &file, 1, 1, cr_usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *doc = cli_read_json_arg(file, "cr create");
        if (!doc)
                return FP_EXIT_INPUT;
        json_t *answer;
        rc = cli_request(&r, "POST", "/v1/change-requests", doc, &answer);
        json_decref(doc);
        if (rc != FP_EXIT_OK || r.json)
                return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
        const json_t *set = json_object_get(answer, "update_set");
        const json_t *skipped = json_object_get(answer, "skipped");
        put_line("id:", str(answer, "id", NULL));
        put_line("state:", str(answer, "state", NULL));
        printf("%-16s%" JSON_INTEGER_FORMAT " host(s), %" JSON_INTEGER_FORMAT " update(s)\n",
               "frozen:", json_integer_value(json_object_get(set, "hosts")),
               json_integer_value(json_object_get(set, "updates")));
        printf("%-16s%zu host(s)\n", "skipped:", json_array_size(skipped));
        size_t i;
        const json_t *s;
        json_array_foreach(skipped, i, s)
        {
                printf("  ");
                put_text(str(s, "host", "?"));
                printf(": ");
                put_text(str(s, "reason", "-"));
                putchar('\n');
        }
        json_decref(answer);
        return FP_EXIT_OK;
}

static const char *const cr_states[] = {"draft",       "submitted", "approved", "rejected",
                                        "scheduled",   "running",   "done",     "failed",
                                        "rolled_back", "cancelled"};

static int cr_ls(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"ID", "id", false},
            {"ACCOUNT", "account", false},
            {"STATE", "state", false},
            {"TITLE", "title", false},
            {"BASELINE", "baseline", false},
            {"AUTHOR", "author", false},
            {"EMERGENCY", "emergency", false},
            {"REVIEW PENDING", "review_pending", false},
            {"CREATED", "created", true},
        };
        const char *account = NULL, *state = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account},
                                       {"--state", CLI_VALUE, &state},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "cr ls", opts, &r, NULL, 0, 0, cr_usage);
        if (rc != CLI_GO_ON)
                return rc;
        bool known = !state;
        for (size_t i = 0; state && i < sizeof(cr_states) / sizeof(cr_states[0]); i++)
                known = known || !strcmp(state, cr_states[i]);
        if (!known) {
                fprintf(stderr, "fleetpatch: cr ls: --state '%s': not a state\n", state);
                cr_usage(stderr);
                return FP_EXIT_USAGE;
        }
        struct fp_buf path;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        fp_buf_addstr(&path, "/v1/change-requests");
        if (account)
                cli_query_add(&path, "account", account);
        if (state)
                cli_query_add(&path, "state", state);
        json_t *answer;
        rc = cli_request(&r, "GET", fp_buf_str(&path), NULL, &answer);
        fp_buf_release(&path);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, "change_requests", cols, sizeof(cols) / sizeof(cols[0]));
}

/* The summary of a change request (show, and after a vote). */
static void print_cr(const json_t *c)
{
        put_line("id:", str(c, "id", NULL));
        put_line("title:", str(c, "title", NULL));
        put_line("account:", str(c, "account", NULL));
        put_line("state:", str(c, "state", NULL));
        put_line("author:", str(c, "author", NULL));
        put_line("baseline:", str(c, "baseline", NULL));
        put_line("window:", str(c, "window", NULL));
        put_line("risk:", str(c, "risk", NULL));
        bool em = json_is_true(json_object_get(c, "emergency"));
        printf("%-16s%s", "emergency:", em ? "yes" : "no");
        if (em && json_is_true(json_object_get(c, "review_pending")))
                printf(" (review pending)");
        else if (em && *str(c, "reviewed_by", ""))
                printf(" (reviewed by %s)", str(c, "reviewed_by", ""));
        putchar('\n');
        const json_t *set = json_object_get(c, "update_set");
        printf("%-16s%" JSON_INTEGER_FORMAT " host(s), %" JSON_INTEGER_FORMAT " update(s)\n",
               "frozen:", json_integer_value(json_object_get(set, "hosts")),
               json_integer_value(json_object_get(set, "updates")));
        printf("%-16s%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT "\n",
               "approvals:", json_integer_value(json_object_get(c, "approvals")),
               json_integer_value(json_object_get(c, "approvals_required")));
        const json_t *ro = json_object_get(c, "rollout");
        /* "rollout" is the spec until the request is scheduled; then the live status */
        if (json_is_object(ro) && json_object_get(ro, "status")) {
                json_int_t w = json_integer_value(json_object_get(ro, "wave"));
                json_int_t n = json_integer_value(json_object_get(ro, "waves"));
                printf("%-16s", "rollout:");
                put_text(str(ro, "status", "-"));
                printf(", wave %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
                       ", %" JSON_INTEGER_FORMAT " failure(s)\n",
                       w < n ? w + 1 : n, n, json_integer_value(json_object_get(ro, "failures")));
        } else {
                put_line("rollout:", "not scheduled");
        }
        const json_t *votes = json_object_get(c, "votes");
        if (json_array_size(votes)) {
                static const struct cli_col cols[] = {
                    {"USER", "user", false},
                    {"DECISION", "decision", false},
                    {"AT", "at", true},
                    {"COMMENT", "comment", false},
                };
                printf("\nvotes:\n");
                cli_print_table(votes, cols, sizeof(cols) / sizeof(cols[0]));
        }
}

static int cr_show(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *id = NULL;
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "cr show", opts, &r, &id, 1, 1, cr_usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *answer;
        rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/change-requests/%s", id);
        if (rc != FP_EXIT_OK || r.json)
                return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
        print_cr(answer);
        json_decref(answer);
        return FP_EXIT_OK;
}

/* submit | approve | reject | review ID [--comment TEXT] */
static int cr_action(int argc, char **argv)
{
        const char *action = argv[0], *comment = NULL, *id = NULL;
        char cmd[32];
        snprintf(cmd, sizeof(cmd), "cr %s", action);
        const struct cli_opt opts[] = {{"--comment", CLI_VALUE, &comment}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, cmd, opts, &r, &id, 1, 1, cr_usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *body = comment ? json_pack("{s:s}", "comment", comment) : json_object();
        if (!body) {
                fprintf(stderr, "fleetpatch: %s: --comment is not UTF-8\n", cmd);
                return FP_EXIT_USAGE;
        }
        json_t *answer;
        rc = cli_requestf(&r, "POST", body, &answer, "/v1/change-requests/%s/%s", id, action);
        json_decref(body);
        if (rc != FP_EXIT_OK || r.json)
                return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
        printf("change request ");
        put_text(str(answer, "id", id));
        printf(": ");
        put_text(str(answer, "state", "?"));
        printf(", approvals %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
               json_integer_value(json_object_get(answer, "approvals")),
               json_integer_value(json_object_get(answer, "approvals_required")));
        if (json_is_true(json_object_get(answer, "review_pending")))
                printf(", review pending");
        putchar('\n');
        json_decref(answer);
        return FP_EXIT_OK;
}

int cmd_cr(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"create", cr_create}, {"ls", cr_ls},          {"show", cr_show},
            {"submit", cr_action}, {"approve", cr_action}, {"reject", cr_action},
            {"review", cr_action},
        };
        return cli_dispatch(argc, argv, "cr", subs, sizeof(subs) / sizeof(subs[0]), cr_usage);
}

/* ---- rollout ---- */

static int ro_get(int argc, char **argv, const char *cmd, const char *what, json_t **answer,
                  struct cli_remote *r, const char **id)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        int rc = cli_parse(argc, argv, cmd, opts, r, id, 1, 1, ro_usage);
        if (rc != CLI_GO_ON)
                return rc;
        return cli_requestf(r, "GET", NULL, answer, "/v1/change-requests/%s/%s", *id, what);
}

static int ro_plan(int argc, char **argv)
{
        static const struct cli_col wave_cols[] = {
            {"WAVE", "wave", false},
            {"RING", "ring", false},
            {"HOSTS", "hosts", false},
            {"FIRST START (UTC)", "first_start", true},
            {"LAST START (UTC)", "last_start", true},
        };
        static const struct cli_col host_cols[] = {
            {"HOST", "host", false},
            {"RING", "ring", false},
            {"WAVE", "wave", false},
            {"TZ", "tz", false},
            {"PLANNED (LOCAL)", "planned_local", false},
            {"PLANNED (UTC)", "planned_utc", false},
        };
        struct cli_remote r = {0};
        const char *id = NULL;
        json_t *a = NULL;
        int rc = ro_get(argc, argv, "rollout plan", "plan", &a, &r, &id);
        if (rc != FP_EXIT_OK || r.json)
                return rc == FP_EXIT_OK ? cli_show_record(&r, a) : rc;
        json_t *waves = json_object_get(a, "waves"), *hosts = json_object_get(a, "hosts");
        waves_from_one(waves, "wave");
        waves_from_one(hosts, "wave");
        printf("change request ");
        put_text(str(a, "change_request", id));
        printf(": %" JSON_INTEGER_FORMAT " host(s) in %zu wave(s), window mode ",
               json_integer_value(json_object_get(a, "hosts_total")), json_array_size(waves));
        put_text(str(a, "mode", "-"));
        putchar('\n');
        json_int_t later = json_integer_value(json_object_get(a, "not_before_horizon"));
        if (later)
                printf("%" JSON_INTEGER_FORMAT
                       " host(s) would not start within the plan's horizon\n",
                       later);
        putchar('\n');
        cli_print_table(waves, wave_cols, sizeof(wave_cols) / sizeof(wave_cols[0]));
        putchar('\n');
        cli_print_table(hosts, host_cols, sizeof(host_cols) / sizeof(host_cols[0]));
        json_decref(a);
        return FP_EXIT_OK;
}

static int ro_show(int argc, char **argv)
{
        static const struct cli_col wave_cols[] = {
            {"WAVE", "wave", false},     {"RING", "ring", false},
            {"HOSTS", "hosts", false},   {"SUCCEEDED", "succeeded", false},
            {"FAILED", "failed", false}, {"RUNNING", "running", false},
        };
        static const struct cli_col host_cols[] = {
            {"HOST", "host", false},
            {"RING", "ring", false},
            {"WAVE", "wave", false},
            {"TZ", "tz", false},
            {"STATE", "state", false},
            {"JOB", "job", false},
            {"STARTED (UTC)", "started", true},
            {"FINISHED (UTC)", "finished", true},
            {"ROLLBACK JOB", "rollback_job", false},
        };
        struct cli_remote r = {0};
        const char *id = NULL;
        json_t *a = NULL;
        int rc = ro_get(argc, argv, "rollout show", "rollout", &a, &r, &id);
        if (rc != FP_EXIT_OK || r.json)
                return rc == FP_EXIT_OK ? cli_show_record(&r, a) : rc;
        json_t *waves = json_object_get(a, "wave_list"), *hosts = json_object_get(a, "hosts");
        waves_from_one(waves, "wave");
        waves_from_one(hosts, "wave");
        json_int_t w = json_integer_value(json_object_get(a, "wave"));
        json_int_t n = json_integer_value(json_object_get(a, "waves"));
        put_line("change request:", str(a, "change_request", id));
        put_line("status:", str(a, "status", NULL));
        printf("%-16s%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT "\n",
               "wave:", w < n ? w + 1 : n, n);
        printf("%-16s%" JSON_INTEGER_FORMAT " (hosts started: %" JSON_INTEGER_FORMAT ")\n",
               "failures:", json_integer_value(json_object_get(a, "failures")),
               json_integer_value(json_object_get(a, "started_total")));
        putchar('\n');
        cli_print_table(waves, wave_cols, sizeof(wave_cols) / sizeof(wave_cols[0]));
        putchar('\n');
        cli_print_table(hosts, host_cols, sizeof(host_cols) / sizeof(host_cols[0]));
        json_decref(a);
        return FP_EXIT_OK;
}

/* pause | resume | cancel CR */
static int ro_control(int argc, char **argv)
{
        const char *action = argv[0], *id = NULL;
        char cmd[32];
        snprintf(cmd, sizeof(cmd), "rollout %s", action);
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, cmd, opts, &r, &id, 1, 1, ro_usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *body = json_object();
        json_t *answer;
        rc = cli_requestf(&r, "POST", body, &answer, "/v1/change-requests/%s/%s", id, action);
        json_decref(body);
        if (rc != FP_EXIT_OK || r.json)
                return rc == FP_EXIT_OK ? cli_show_record(&r, answer) : rc;
        printf("rollout of ");
        put_text(str(answer, "change_request", id));
        printf(": ");
        /* cancel of a request not yet scheduled answers its state, not a rollout status */
        put_text(str(answer, "status", str(answer, "state", "?")));
        putchar('\n');
        json_decref(answer);
        return FP_EXIT_OK;
}

int cmd_rollout(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"plan", ro_plan},      {"show", ro_show},      {"pause", ro_control},
            {"resume", ro_control}, {"cancel", ro_control},
        };
        return cli_dispatch(argc, argv, "rollout", subs, sizeof(subs) / sizeof(subs[0]), ro_usage);
}
