/* fleetpatch hosts: the server's hosts (list with filters, show, tag, remove, rescan); the
 * job subcommands (jobs, scan, install, upgrade, rollback, reboot, hook) are in jobs.c. */
#include <string.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/limits.h"

static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: fleetpatch hosts ls [--account A] [--region R] [--tag K=V]... [--os OS]\n"
            "                           [--seen-within DUR]\n"
            "                           [--compliance compliant|noncompliant|unknown] [--catchup]\n"
            "                           [--json]\n"
            "       fleetpatch hosts show ID [--json]\n"
            "       fleetpatch hosts tag ID KEY=VALUE... [--remove KEY]... [--json]\n"
            "       fleetpatch hosts rm ID\n"
            "       fleetpatch hosts rescan ID [--json]\n"
            "       fleetpatch hosts jobs|scan|install|upgrade|rollback|reboot|hook HOST ...\n"
            "                           (see fleetpatch jobs --help)\n"
            "\n"
            "  --os OS            a distribution (debian) or distribution:release (debian:12)\n"
            "  --seen-within DUR  checked in within DUR (seconds or 30s, 15m, 2h, 7d)\n"
            "tag sets or replaces the tags set through the API (they win over the agent's);\n"
            "--remove drops one. rm decommissions the host: its credential stops working.\n"
            "rescan queues a job: the agent inventories the host and checks in at once.\n");
}

/* The id of the last item of a page, for the next page's "after". */
static const char *last_id(const json_t *items)
{
        return json_string_value(
            json_object_get(json_array_get(items, json_array_size(items) - 1), "id"));
}

/* Every page of GET /v1/hosts?query into all (the first answer, its list holding them all). */
static int fetch_all(const struct cli_remote *r, const char *query, json_t **all)
{
        char after[CLI_MAX_TOKEN] = "";
        json_t *acc = NULL;
        int rc;

        *all = NULL;
        for (;;) {
                struct fp_buf path;
                json_t *page;
                fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
                fp_buf_addf(&path, "/v1/hosts%s", query);
                char limit[16];
                snprintf(limit, sizeof(limit), "%d", FP_MAX_PAGE);
                cli_query_add(&path, "limit", limit);
                if (after[0])
                        cli_query_add(&path, "after", after);
                rc = cli_request(r, "GET", fp_buf_str(&path), NULL, &page);
                fp_buf_release(&path);
                if (rc != FP_EXIT_OK)
                        break;
                json_t *items = cli_list_items(page, "hosts");
                if (!items) {
                        fprintf(stderr, "fleetpatch: hosts ls: the answer has no host list\n");
                        json_decref(page);
                        rc = FP_EXIT_SERVER;
                        break;
                }
                /* The next page starts after the server's cursor, else after the last id of
                 * a full page; a short page is the last. */
                const char *next = json_string_value(json_object_get(page, "next"));
                const char *last = last_id(items);
                bool more = next ? *next != '\0' : json_array_size(items) == FP_MAX_PAGE && last;
                snprintf(after, sizeof(after), "%s", next ? next : last ? last : "");
                if (!acc) {
                        acc = page;
                } else {
                        json_array_extend(cli_list_items(acc, "hosts"), items);
                        json_decref(page);
                }
                if (!more)
                        break;
        }
        if (rc != FP_EXIT_OK) {
                json_decref(acc);
                return rc;
        }
        if (json_is_object(acc))
                json_object_del(acc, "next");
        *all = acc;
        return FP_EXIT_OK;
}

static int hosts_ls(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"ID", "id", false},
            {"HOSTNAME", "hostname", false},
            {"ACCOUNT", "account", false},
            {"REGION", "region", false},
            {"OS", "os", false},
            {"RELEASE", "os_release", false},
            {"LAST SEEN", "last_seen", true},
            {"STALE", "stale", false},
            {"UPDATES", "updates", false},
            {"SECURITY", "security_updates", false},
            {"CRITICAL", "findings.critical", false},
            {"HIGH", "findings.high", false},
            {"COMPLIANCE", "compliance", false},
            {"CATCH-UP", "catchup", false},
            {"TAGS", "tags", false},
        };
        const char *account = NULL, *region = NULL, *os = NULL, *seen = NULL, *compl = NULL;
        bool catchup = false;
        struct cli_list tags = {0};
        const struct cli_opt opts[] = {
            {"--account", CLI_VALUE, &account},  {"--region", CLI_VALUE, &region},
            {"--tag", CLI_REPEAT, &tags},        {"--os", CLI_VALUE, &os},
            {"--seen-within", CLI_VALUE, &seen}, {"--compliance", CLI_VALUE, &compl },
            {"--catchup", CLI_FLAG, &catchup},   {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        struct fp_buf q;
        json_t *all;
        long long secs = 0;

        int rc = cli_parse(argc, argv, "hosts ls", opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (seen && !cli_parse_duration(seen, &secs))
                return cli_bad_duration("hosts ls", "--seen-within", seen);
        if (compl &&strcmp(compl, "compliant") != 0 && strcmp(compl, "noncompliant") != 0 &&
            strcmp(compl, "unknown") != 0) {
                fprintf(stderr,
                        "fleetpatch: hosts ls: --compliance '%s': expected compliant, "
                        "noncompliant or unknown\n",
                        compl );
                return FP_EXIT_USAGE;
        }
        for (size_t i = 0; i < tags.n; i++) {
                const char *eq = strchr(tags.v[i], '=');
                if (!eq || eq == tags.v[i]) {
                        fprintf(stderr, "fleetpatch: hosts ls: --tag '%s': expected KEY=VALUE\n",
                                tags.v[i]);
                        return FP_EXIT_USAGE;
                }
        }
        fp_buf_init(&q, CLI_MAX_REQUEST_PATH / 2);
        fp_buf_addstr(&q, "");
        const char *keys[] = {"account", "region", "os", "compliance"};
        const char *vals[] = {account, region, os, compl };
        for (size_t i = 0; i < 4; i++)
                if (vals[i])
                        cli_query_add(&q, keys[i], vals[i]);
        for (size_t i = 0; i < tags.n; i++)
                cli_query_add(&q, "tag", tags.v[i]);
        if (catchup)
                cli_query_add(&q, "catchup", "true");
        if (seen) {
                char num[32];
                snprintf(num, sizeof(num), "%lld", secs);
                cli_query_add(&q, "seen_within", num);
        }
        rc = fetch_all(&r, fp_buf_str(&q), &all);
        fp_buf_release(&q);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, all, "hosts", cols, sizeof(cols) / sizeof(cols[0]));
}

static int hosts_show(int argc, char **argv)
{
        return cli_show_cmd(argc, argv, "hosts show", "/v1/hosts/%s", usage);
}

/* The tags set through the API: the host's "api_tags" (else its "tags"), with sets and removals
 * applied. NULL (after a message) on a bad KEY=VALUE. */
static json_t *merged_tags(const json_t *host, const char *const *set, size_t nset,
                           const struct cli_list *rm)
{
        const json_t *cur = json_object_get(host, "api_tags");
        json_t *tags = json_deep_copy(json_is_object(cur) ? cur : json_object_get(host, "tags"));

        if (!json_is_object(tags)) {
                json_decref(tags);
                tags = json_object();
        }
        for (size_t i = 0; tags && i < nset; i++)
                if (!cli_tag_set(tags, set[i], "hosts tag")) {
                        json_decref(tags);
                        return NULL;
                }
        for (size_t i = 0; tags && i < rm->n; i++)
                if (json_object_del(tags, rm->v[i]) != 0)
                        fprintf(stderr,
                                "fleetpatch: hosts tag: warning: no API tag '%s' to remove\n",
                                rm->v[i]);
        return tags;
}

static int hosts_tag(int argc, char **argv)
{
        struct cli_list rm = {0};
        const struct cli_opt opts[] = {{"--remove", CLI_REPEAT, &rm}, {NULL, CLI_FLAG, NULL}};
        const char *pos[1 + FP_MAX_TAGS] = {NULL};
        struct cli_remote r = {0};
        json_t *host, *answer;

        int rc = cli_parse(argc, argv, "hosts tag", opts, &r, pos, 1, 1 + FP_MAX_TAGS, usage);
        if (rc != CLI_GO_ON)
                return rc;
        size_t nset = 0;
        while (nset < FP_MAX_TAGS && pos[1 + nset])
                nset++;
        if (nset == 0 && rm.n == 0) {
                fprintf(stderr, "fleetpatch: hosts tag: give KEY=VALUE or --remove KEY\n");
                return FP_EXIT_USAGE;
        }
        /* Read, merge, write: PUT replaces the whole set of API tags. */
        if ((rc = cli_requestf(&r, "GET", NULL, &host, "/v1/hosts/%s", pos[0])) != FP_EXIT_OK)
                return rc;
        json_t *tags = merged_tags(host, pos + 1, nset, &rm);
        json_decref(host);
        if (!tags)
                return FP_EXIT_USAGE;
        json_t *body = json_pack("{s:o}", "tags", tags);
        if (!body) {
                fprintf(stderr, "fleetpatch: hosts tag: out of memory\n");
                return FP_EXIT_INPUT;
        }
        rc = cli_requestf(&r, "PUT", body, &answer, "/v1/hosts/%s/tags", pos[0]);
        if (rc == FP_EXIT_OK && r.json) {
                rc = cli_print_json(answer);
        } else if (rc == FP_EXIT_OK) {
                struct fp_buf text;
                fp_buf_init(&text, 1024 * 1024);
                cli_value_text(json_object_get(body, "tags"), &text);
                printf("%s: API tags %s\n", pos[0], text.len ? fp_buf_str(&text) : "(none)");
                fp_buf_release(&text);
        }
        json_decref(body);
        json_decref(answer);
        return rc;
}

static int hosts_rm(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *id = NULL;
        struct cli_remote r = {0};

        int rc = cli_parse(argc, argv, "hosts rm", opts, &r, &id, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        rc = cli_simple(&r, "DELETE", NULL, "/v1/hosts/%s", id);
        if (rc == FP_EXIT_OK && !r.json)
                printf("host %s removed\n", id);
        return rc;
}

static int hosts_rescan(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *id = NULL;
        struct cli_remote r = {0};
        json_t *job;

        int rc = cli_parse(argc, argv, "hosts rescan", opts, &r, &id, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *body = json_pack("{s:s}", "type", "rescan");
        rc = cli_requestf(&r, "POST", body, &job, "/v1/hosts/%s/jobs", id);
        json_decref(body);
        if (rc != FP_EXIT_OK)
                return rc;
        if (!r.json) {
                const char *jid = json_string_value(json_object_get(job, "id"));
                printf("rescan of %s queued (job %s)\n", id, jid ? jid : "?");
                json_decref(job);
                return FP_EXIT_OK;
        }
        return cli_show_record(&r, job);
}

int cmd_hosts(int argc, char **argv)
{
        static const struct cli_sub subs[] = {
            {"ls", hosts_ls},
            {"show", hosts_show},
            {"tag", hosts_tag},
            {"rm", hosts_rm},
            {"rescan", hosts_rescan},
#ifdef FP_HAVE_CMD_JOBS
            {"jobs", cli_hosts_jobs},
            {"scan", cli_hosts_scan},
            {"install", cli_hosts_install},
            {"upgrade", cli_hosts_upgrade},
            {"rollback", cli_hosts_rollback},
            {"reboot", cli_hosts_reboot},
            {"hook", cli_hosts_hook},
#endif
        };
        return cli_dispatch(argc, argv, "hosts", subs, sizeof(subs) / sizeof(subs[0]), usage);
}
