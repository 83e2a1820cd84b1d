/*
 * fleetpatch tracking, assets and evidence (docs/tracking.md): tracking records (list, show,
 * assign, comment, accept-risk), provider-managed assets (add, ls), and evidence bundles
 * (get from the server; verify offline with the server's public key, no server needed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/evidence.h"
#include "fleetpatch/limits.h"

static void tracking_usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch tracking ls [--account A] [--state S] [--group G]\n"
                "                             [--advisory VULN] [--json]\n"
                "       fleetpatch tracking show ID [--json]\n"
                "       fleetpatch tracking assign ID --group G [--assignee USER] [--json]\n"
                "       fleetpatch tracking comment ID TEXT [--json]\n"
                "       fleetpatch tracking accept-risk ID --reason TEXT --for DURATION [--json]\n"
                "\n"
                "A tracking record is one vulnerability in one scope (an account's resolver\n"
                "group): opened when it applies to a host, closed only when every host in scope\n"
                "is fixed and verified, excepted, or its provider's to patch. States: open,\n"
                "in_progress, resolved (fixed, a job's verification pending), closed,\n"
                "risk_accepted.\n");
}

static void assets_usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch assets add ACCOUNT --name N --model iaas|paas|saas\n"
                   "                         --provider P --product X --version V\n"
                   "                         [--layer os|runtime|application=customer|provider]...\n"
                   "                         [--region R] [--json]\n"
                   "       fleetpatch assets ls ACCOUNT [--json]\n"
                   "\n"
                   "add registers a provider-managed asset without an agent (a managed database,\n"
                   "a SaaS tenant): reports list it as tracked but patched by its provider, with\n"
                   "its version. ls lists the account's assets that carry a service model.\n");
}

static void evidence_usage(FILE *f)
{
        fprintf(f, "usage: fleetpatch evidence get CR -o FILE\n"
                   "       fleetpatch evidence verify FILE --key PUBKEY\n"
                   "\n"
                   "get saves the signed evidence bundle of a change request. verify checks a\n"
                   "bundle offline against the server's public key (STATE/keys/signing.pub):\n"
                   "exit 0 when it verifies, 1 when it does not (any changed byte), 3 when a file\n"
                   "cannot be read.\n");
}

/* ---- tracking ---- */

static int tr_ls(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"ID", "id", false},         {"ACCOUNT", "account", false},
            {"VULN", "vuln", false},     {"SEVERITY", "severity", false},
            {"KEV", "kev", false},       {"STATE", "state", false},
            {"GROUP", "group", false},   {"SLA DUE", "sla_due", true},
            {"OPENED", "opened", true},  {"CLOSED", "closed", true},
        };
        const char *account = NULL, *state = NULL, *group = NULL, *adv = NULL;
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account},
                                       {"--state", CLI_VALUE, &state},
                                       {"--group", CLI_VALUE, &group},
                                       {"--advisory", CLI_VALUE, &adv},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "tracking ls", opts, &r, NULL, 0, 0, tracking_usage);
        if (rc != CLI_GO_ON)
                return rc;
        struct fp_buf path;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        enum fp_err err = fp_buf_addstr(&path, "/v1/tracking");
        if (err == FP_OK && account)
                err = cli_query_add(&path, "account", account);
        if (err == FP_OK && state)
                err = cli_query_add(&path, "state", state);
        if (err == FP_OK && group)
                err = cli_query_add(&path, "group", group);
        if (err == FP_OK && adv)
                err = cli_query_add(&path, "advisory", adv);
        json_t *answer = NULL;
        rc = err == FP_OK ? cli_request(&r, "GET", fp_buf_str(&path), NULL, &answer)
                          : FP_EXIT_USAGE;
        fp_buf_release(&path);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, "tracking", cols, sizeof(cols) / sizeof(cols[0]));
}

static void put_text(const char *s)
{
        for (; s && *s; s++)
                putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static const char *str(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "-";
}

static void print_record(const json_t *t)
{
        static const char *const keys[] = {"id",    "account",  "vuln",     "scope",
                                           "group", "assignee", "state",    "severity",
                                           "advisories"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                printf("%-14s", keys[i]);
                put_text(str(t, keys[i]));
                putchar('\n');
        }
        printf("%-14s%s\n", "kev", json_is_true(json_object_get(t, "kev")) ? "yes" : "no");
        printf("%-14s%" JSON_INTEGER_FORMAT "\n", "open hosts",
               json_integer_value(json_object_get(t, "open_hosts")));
        static const struct cli_col ecols[] = {
            {"HOST", "hostname", false},     {"PACKAGE", "package", false},
            {"INSTALLED", "installed", false}, {"FIXED IN", "fixed_version", false},
            {"FIRST SEEN", "first_seen", true}, {"FIXED AT", "fixed_at", true},
        };
        static const char *const parts[] = {"exposures", "covered", "provider_responsibility"};
        static const char *const titles[] = {"open exposures", "fixed or excepted",
                                             "provider's responsibility"};
        for (size_t i = 0; i < 3; i++) {
                const json_t *rows = json_object_get(t, parts[i]);
                if (!json_array_size(rows))
                        continue;
                printf("\n%s:\n", titles[i]);
                cli_print_table(rows, ecols, sizeof(ecols) / sizeof(ecols[0]));
        }
        const json_t *crs = json_object_get(t, "change_requests");
        if (json_array_size(crs)) {
                printf("\nchange requests:\n");
                static const struct cli_col ccols[] = {{"ID", "id", false},
                                                       {"LINKED", "linked", true}};
                cli_print_table(crs, ccols, 2);
        }
        printf("\nhistory:\n");
        static const struct cli_col hcols[] = {{"#", "seq", false},
                                               {"AT", "at", true},
                                               {"ACTOR", "actor", false},
                                               {"ACTION", "action", false}};
        cli_print_table(json_object_get(t, "history"), hcols, 4);
}

static int show_answer(const struct cli_remote *r, int rc, json_t *answer)
{
        if (rc != FP_EXIT_OK)
                return rc;
        if (r->json)
                return cli_show_record(r, answer);
        print_record(answer);
        json_decref(answer);
        return FP_EXIT_OK;
}

static int tr_show(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *id = NULL;
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "tracking show", opts, &r, &id, 1, 1, tracking_usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *answer = NULL;
        rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/tracking/%s", id);
        return show_answer(&r, rc, answer);
}

static int tr_post(struct cli_remote *r, const char *id, const char *what, json_t *body)
{
        json_t *answer = NULL;
        int rc = cli_requestf(r, "POST", body, &answer, "/v1/tracking/%s/%s", id, what);
        json_decref(body);
        return show_answer(r, rc, answer);
}

static int tr_assign(int argc, char **argv)
{
        const char *group = NULL, *assignee = NULL, *id = NULL;
        const struct cli_opt opts[] = {{"--group", CLI_VALUE, &group},
                                       {"--assignee", CLI_VALUE, &assignee},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "tracking assign", opts, &r, &id, 1, 1, tracking_usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!group) {
                fprintf(stderr, "fleetpatch: tracking assign: --group is required\n");
                return FP_EXIT_USAGE;
        }
        json_t *body = json_pack("{s:s}", "group", group);
        if (assignee)
                json_object_set_new(body, "assignee", json_string(assignee));
        return tr_post(&r, id, "assign", body);
}

static int tr_comment(int argc, char **argv)
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *pos[2] = {NULL, NULL};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "tracking comment", opts, &r, pos, 2, 2, tracking_usage);
        if (rc != CLI_GO_ON)
                return rc;
        return tr_post(&r, pos[0], "comment", json_pack("{s:s}", "text", pos[1]));
}

static int tr_accept(int argc, char **argv)
{
        const char *reason = NULL, *dur = NULL, *id = NULL;
        const struct cli_opt opts[] = {{"--reason", CLI_VALUE, &reason},
                                       {"--for", CLI_VALUE, &dur},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "tracking accept-risk", opts, &r, &id, 1, 1,
                           tracking_usage);
        if (rc != CLI_GO_ON)
                return rc;
        long long secs = 0;
        if (!reason || !dur) {
                fprintf(stderr, "fleetpatch: tracking accept-risk: --reason and --for are "
                                "required\n");
                return FP_EXIT_USAGE;
        }
        if (!cli_parse_duration(dur, &secs))
                return cli_bad_duration("tracking accept-risk", "--for", dur);
        return tr_post(&r, id, "accept-risk",
                       json_pack("{s:s, s:I}", "reason", reason, "expires",
                                 (json_int_t)(time(NULL) + secs)));
}

int cmd_tracking(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"ls", tr_ls},
                                              {"show", tr_show},
                                              {"assign", tr_assign},
                                              {"comment", tr_comment},
                                              {"accept-risk", tr_accept}};
        return cli_dispatch(argc, argv, "tracking", subs, sizeof(subs) / sizeof(subs[0]),
                            tracking_usage);
}

/* ---- assets ---- */

static int as_add(int argc, char **argv)
{
        const char *name = NULL, *model = NULL, *provider = NULL, *product = NULL,
                   *version = NULL, *region = NULL, *account = NULL;
        struct cli_list layers = {0};
        const struct cli_opt opts[] = {
            {"--name", CLI_VALUE, &name},         {"--model", CLI_VALUE, &model},
            {"--provider", CLI_VALUE, &provider}, {"--product", CLI_VALUE, &product},
            {"--version", CLI_VALUE, &version},   {"--region", CLI_VALUE, &region},
            {"--layer", CLI_REPEAT, &layers},     {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "assets add", opts, &r, &account, 1, 1, assets_usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!name || !model || !provider || !product || !version) {
                fprintf(stderr, "fleetpatch: assets add: --name, --model, --provider, --product "
                                "and --version are required\n");
                assets_usage(stderr);
                return FP_EXIT_USAGE;
        }
        json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "service_model",
                                 model, "provider", provider, "product", product, "version",
                                 version);
        if (region)
                json_object_set_new(body, "region", json_string(region));
        if (layers.n) {
                json_t *l = json_object();
                for (size_t i = 0; i < layers.n; i++)
                        if (!cli_tag_set(l, layers.v[i], "assets add")) {
                                json_decref(l);
                                json_decref(body);
                                return FP_EXIT_USAGE;
                        }
                json_object_set_new(body, "layers", l);
        }
        json_t *answer = NULL;
        rc = cli_requestf(&r, "POST", body, &answer, "/v1/accounts/%s/assets", account);
        json_decref(body);
        if (rc != FP_EXIT_OK)
                return rc;
        if (r.json)
                return cli_show_record(&r, answer);
        printf("%s\n", str(answer, "id"));
        json_decref(answer);
        return FP_EXIT_OK;
}

static int as_ls(int argc, char **argv)
{
        static const struct cli_col cols[] = {
            {"ID", "id", false},          {"NAME", "name", false},
            {"MODEL", "service_model", false}, {"PATCHED BY", "patched_by", false},
            {"PROVIDER", "provider", false}, {"PRODUCT", "product", false},
            {"VERSION", "version", false},   {"OS", "layers.os", false},
            {"RUNTIME", "layers.runtime", false}, {"APP", "layers.application", false},
            {"AGENT", "agent", false},
        };
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *account = NULL;
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "assets ls", opts, &r, &account, 1, 1, assets_usage);
        if (rc != CLI_GO_ON)
                return rc;
        json_t *answer = NULL;
        rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/accounts/%s/assets", account);
        if (rc != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, "assets", cols, sizeof(cols) / sizeof(cols[0]));
}

int cmd_assets(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"add", as_add}, {"ls", as_ls}};
        return cli_dispatch(argc, argv, "assets", subs, sizeof(subs) / sizeof(subs[0]),
                            assets_usage);
}

/* ---- evidence ---- */

static int ev_get(int argc, char **argv)
{
        const char *out = NULL, *cr = NULL;
        const struct cli_opt opts[] = {{"-o", CLI_VALUE, &out}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "evidence get", opts, &r, &cr, 1, 1, evidence_usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!out) {
                fprintf(stderr, "fleetpatch: evidence get: -o FILE is required\n");
                return FP_EXIT_USAGE;
        }
        json_t *answer = NULL;
        rc = cli_requestf(&r, "GET", NULL, &answer, "/v1/change-requests/%s/evidence", cr);
        if (rc != FP_EXIT_OK)
                return rc;
        /* The canonical text again: parsing and re-serialising canonical JSON is the identity,
         * so the file has the bytes the server signed (verify says so if not). */
        char *text = fp_evidence_canonical(answer);
        json_decref(answer);
        if (!text) {
                fprintf(stderr, "fleetpatch: evidence get: out of memory\n");
                return FP_EXIT_INPUT;
        }
        FILE *f = fopen(out, "wb");
        bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
        ok = f && fclose(f) == 0 && ok;
        free(text);
        if (!ok) {
                fprintf(stderr, "fleetpatch: evidence get: %s: %s\n", out, strerror(errno));
                return FP_EXIT_INPUT;
        }
        return FP_EXIT_OK;
}

/* The whole file into a malloc'd buffer, at most max bytes (FP_ELIMIT past it). */
static enum fp_err slurp(const char *path, size_t max, char **out, size_t *len)
{
        *out = NULL;
        *len = 0;
        FILE *f = fopen(path, "rb");
        if (!f)
                return errno == ENOENT ? FP_ENOENT : FP_EIO;
        size_t cap = 64 * 1024, n = 0;
        char *buf = malloc(cap);
        enum fp_err err = buf ? FP_OK : FP_ENOMEM;
        while (err == FP_OK) {
                if (n == cap) {
                        if (cap > max) {
                                err = FP_ELIMIT;
                                break;
                        }
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                err = FP_ENOMEM;
                                break;
                        }
                        buf = nb;
                        cap *= 2;
                }
                size_t got = fread(buf + n, 1, cap - n, f);
                n += got;
                if (got == 0) {
                        if (ferror(f))
                                err = FP_EIO;
                        break;
                }
        }
        fclose(f);
        if (err == FP_OK && n > max)
                err = FP_ELIMIT;
        if (err != FP_OK) {
                free(buf);
                return err;
        }
        *out = buf;
        *len = n;
        return FP_OK;
}

static int ev_verify(int argc, char **argv)
{
        const char *keyfile = NULL, *file = NULL;
        const struct cli_opt opts[] = {{"--key", CLI_VALUE, &keyfile}, {NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        int rc = cli_parse(argc, argv, "evidence verify", opts, &r, &file, 1, 1, evidence_usage);
        if (rc != CLI_GO_ON)
                return rc;
        if (!keyfile) {
                fprintf(stderr, "fleetpatch: evidence verify: --key PUBKEY is required (the "
                                "server's STATE/keys/signing.pub)\n");
                return FP_EXIT_USAGE;
        }
        char *key = NULL, *data = NULL;
        size_t klen = 0, dlen = 0;
        enum fp_err err = slurp(keyfile, 4096, &key, &klen);
        if (err != FP_OK) {
                fprintf(stderr, "fleetpatch: evidence verify: %s: %s\n", keyfile,
                        err == FP_ELIMIT ? "larger than a public key file" : fp_strerror(err));
                return FP_EXIT_INPUT;
        }
        struct fp_diag diag;
        fp_diag_clear(&diag);
        unsigned char pk[FP_EVIDENCE_PK_BYTES];
        err = fp_evidence_parse_key(key, klen, pk, &diag);
        free(key);
        if (err != FP_OK) {
                fprintf(stderr, "fleetpatch: evidence verify: %s: %s\n", keyfile, diag.msg);
                return FP_EXIT_INPUT;
        }
        err = slurp(file, FP_MAX_EVIDENCE_BYTES, &data, &dlen);
        if (err != FP_OK) {
                fprintf(stderr, "fleetpatch: evidence verify: %s: %s\n", file,
                        err == FP_ELIMIT ? "larger than FP_MAX_EVIDENCE_BYTES"
                                         : fp_strerror(err));
                return FP_EXIT_INPUT;
        }
        json_t *doc = NULL;
        err = fp_evidence_verify(data, dlen, pk, &doc, &diag);
        free(data);
        if (err != FP_OK) {
                char msg[700];
                fp_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "fleetpatch: evidence verify: %s: NOT VERIFIED: %s\n", file, msg);
                return err == FP_ENOMEM ? FP_EXIT_INPUT : FP_EXIT_FALSE;
        }
        const json_t *c = json_object_get(doc, "change_request");
        if (r.json) {
                cli_print_json(doc);
        } else {
                printf("verified: change request %s (", str(c, "id"));
                put_text(str(c, "title"));
                printf("), account %s, state %s, key %s, %zu host(s), %zu approval(s), %zu "
                       "tracking record(s)\n",
                       str(c, "account"), str(c, "state"), str(doc, "key_id"),
                       json_array_size(json_object_get(doc, "hosts")),
                       json_array_size(json_object_get(doc, "approvals")),
                       json_array_size(json_object_get(doc, "tracking")));
        }
        json_decref(doc);
        return FP_EXIT_OK;
}

int cmd_evidence(int argc, char **argv)
{
        static const struct cli_sub subs[] = {{"get", ev_get}, {"verify", ev_verify}};
        return cli_dispatch(argc, argv, "evidence", subs, sizeof(subs) / sizeof(subs[0]),
                            evidence_usage);
}
