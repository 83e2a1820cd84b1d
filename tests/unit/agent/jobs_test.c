/*
 * The job runner end to end on the fake backend (a sandbox root in a temporary directory,
 * never this machine's packages), through localjob_run as `fleetpatch-agent run-job` runs it:
 * install, simulate, refused removals, a verify mismatch, idempotent repeats, rollback to the
 * before-versions, and resume of a journal left in "applying". Also the journal and verify
 * modules on their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/daemon/blocked.h"
#include "agent/daemon/config.h"
#include "agent/daemon/journal.h"
#include "agent/daemon/localjob.h"
#include "agent/daemon/verify.h"
#include "test.h"

static char tmp[256];
static struct agent_config cfg;

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

/* A fresh sandbox: a Debian root whose dpkg status matches the fake's installed set. */
static void sandbox(const char *name, const char *installed, const char *available,
                    const char *extra)
{
        char path[300], cmd[1200];
        snprintf(path, sizeof(path), "%s/%s", tmp, name);
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/root/var/lib/dpkg %s/root/etc %s/hooks", path, path,
                 path);
        if (system(cmd) != 0)
                exit(1);
        free(cfg.root);
        free(cfg.state_dir);
        free(cfg.hooks_dir);
        free(cfg.backend);
        snprintf(cmd, sizeof(cmd), "%s/root", path);
        cfg.root = strdup(cmd);
        snprintf(cmd, sizeof(cmd), "%s/state", path);
        cfg.state_dir = strdup(cmd);
        snprintf(cmd, sizeof(cmd), "%s/hooks", path);
        cfg.hooks_dir = strdup(cmd);
        cfg.backend = strdup("fake");
        snprintf(cmd, sizeof(cmd), "%s/root/etc/os-release", path);
        write_file(cmd, "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
        char *db = malloc(8192);
        snprintf(db, 8192, "{\"installed\": [%s], \"available\": [%s]%s%s}", installed, available,
                 extra ? ", " : "", extra ? extra : "");
        snprintf(cmd, sizeof(cmd), "%s/root/fake-packages.json", path);
        write_file(cmd, db);
        free(db);
        /* the dpkg status the inventory reads: the same packages */
        json_t *v = json_loads(installed[0] ? "[]" : "[]", 0, NULL);
        json_decref(v);
        char list[4096];
        snprintf(list, sizeof(list), "[%s]", installed);
        json_t *arr = json_loads(list, 0, NULL);
        struct fp_buf s;
        fp_buf_init(&s, 1 << 20);
        size_t i;
        json_t *p;
        json_array_foreach(arr, i, p)
        {
                fp_buf_addf(&s,
                            "Package: %s\nStatus: install ok installed\nArchitecture: %s\n"
                            "Version: %s\nMaintainer: t <t@example.org>\nDescription: t\n\n",
                            json_string_value(json_object_get(p, "name")),
                            json_string_value(json_object_get(p, "arch")),
                            json_string_value(json_object_get(p, "version")));
        }
        json_decref(arr);
        snprintf(cmd, sizeof(cmd), "%s/root/var/lib/dpkg/status", path);
        write_file(cmd, fp_buf_str(&s));
        fp_buf_release(&s);
}

static json_t *run(const char *id, const char *type, const char *params)
{
        char text[4096];
        snprintf(text, sizeof(text), "{\"id\": \"%s\", \"type\": \"%s\", \"params\": %s}", id, type,
                 params);
        json_t *job = json_loads(text, 0, NULL);
        json_t *rep = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK(job != NULL);
        CHECK_INT_EQ(localjob_run(&cfg, job, NULL, &rep, &d), FP_OK);
        json_decref(job);
        return rep;
}

static const char *status(const json_t *rep)
{
        return json_string_value(json_object_get(rep, "status"));
}

static const char *res_str(const json_t *rep, const char *key)
{
        return json_string_value(json_object_get(json_object_get(rep, "result"), key));
}

static const json_t *res(const json_t *rep, const char *key)
{
        return json_object_get(json_object_get(rep, "result"), key);
}

static json_t *fake_db(void)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/fake-packages.json", cfg.root);
        return json_load_file(path, 0, NULL);
}

/* The installed version of name in the fake's database ("" when absent). */
static const char *installed(const char *name)
{
        static char out[128];
        json_t *db = fake_db();
        size_t i;
        json_t *p;
        out[0] = '\0';
        json_array_foreach(json_object_get(db, "installed"), i, p)
        {
                if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
                        snprintf(out, sizeof(out), "%s",
                                 json_string_value(json_object_get(p, "version")));
        }
        json_decref(db);
        return out;
}

static long applies(void)
{
        json_t *db = fake_db();
        long n = (long)json_integer_value(json_object_get(db, "applies"));
        json_decref(db);
        return n;
}

#define HELLO10 "{\"name\": \"hello-fp\", \"arch\": \"all\", \"version\": \"1.0\"}"
#define HELLO11 "{\"name\": \"hello-fp\", \"arch\": \"all\", \"version\": \"1.1\"}"
#define LIB20 "{\"name\": \"libfoo\", \"arch\": \"amd64\", \"version\": \"2.0\"}"
#define INSTALL11 "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.1\"}]}"

static void test_install_idempotent(void)
{
        sandbox("install", HELLO10 ", " LIB20, HELLO10 ", " HELLO11 ", " LIB20, NULL);
        json_t *rep = run("00000000000000a1", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(res_str(rep, "verdict"), "verified");
        CHECK_STR_EQ(res_str(rep, "rollback"), "available");
        CHECK_STR_EQ(res_str(rep, "reason"), "");
        CHECK_INT_EQ(json_array_size(res(rep, "plan")), 1);
        CHECK_STR_EQ(
            json_string_value(json_object_get(json_array_get(res(rep, "plan"), 0), "action")),
            "upgrade");
        CHECK_STR_EQ(installed("hello-fp"), "1.1");
        CHECK_INT_EQ(applies(), 1);
        json_decref(rep);

        /* the same job listed again: re-reported from the journal, not run */
        rep = run("00000000000000a1", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(res_str(rep, "verdict"), "verified");
        CHECK_INT_EQ(applies(), 1);
        json_decref(rep);

        /* another job asking for what is there plans nothing and changes nothing */
        rep = run("00000000000000a2", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_INT_EQ(json_array_size(res(rep, "plan")), 0);
        CHECK_STR_EQ(res_str(rep, "verdict"), "verified");
        CHECK_INT_EQ(applies(), 1);
        json_decref(rep);

        /* rollback by job id restores the before-version (from the kept file) */
        rep = run("00000000000000a3", "rollback", "{\"job\": \"00000000000000a1\"}");
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(res_str(rep, "verdict"), "verified");
        CHECK_STR_EQ(installed("hello-fp"), "1.0");
        CHECK_STR_EQ(
            json_string_value(json_object_get(json_array_get(res(rep, "plan"), 0), "action")),
            "downgrade");
        json_decref(rep);

        /* a rollback of a job this host never ran */
        rep = run("00000000000000a4", "rollback", "{\"job\": \"00000000000000ff\"}");
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "invalid");
        json_decref(rep);
}

static void test_rollback_new_package(void)
{
        /* an install that adds a package: the rollback removes it again */
        sandbox("rbnew", HELLO10, HELLO10 ", " HELLO11 ", " LIB20, NULL);
        json_t *rep = run("00000000000000b1", "install",
                          "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.1\"}, "
                          "{\"name\": \"libfoo\", \"version\": \"2.0\", \"arch\": \"amd64\"}]}");
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(installed("libfoo"), "2.0");
        json_decref(rep);
        rep = run("00000000000000b2", "rollback", "{\"job\": \"00000000000000b1\"}");
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(res_str(rep, "verdict"), "verified");
        CHECK_STR_EQ(installed("libfoo"), "");
        CHECK_STR_EQ(installed("hello-fp"), "1.0");
        json_decref(rep);
}

static void test_rollback_partial(void)
{
        /* the repository no longer offers 1.0: nothing can be kept */
        sandbox("partial", HELLO10, HELLO11, NULL);
        json_t *rep = run("00000000000000c1", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(res_str(rep, "rollback"), "none");
        json_decref(rep);
        rep = run("00000000000000c2", "rollback", "{\"job\": \"00000000000000c1\"}");
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "not-found");
        CHECK_STR_EQ(installed("hello-fp"), "1.1");
        json_decref(rep);
}

static void test_simulate_and_refusals(void)
{
        sandbox("sim", HELLO10 ", " LIB20,
                HELLO10 ", " LIB20
                        ", {\"name\": \"hello-fp\", \"arch\": \"all\", \"version\": \"1.1\", "
                        "\"removes\": [\"libfoo\"]}",
                NULL);
        json_t *rep = run("00000000000000d1", "install",
                          "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.1\"}], "
                          "\"simulate\": true, \"allow_remove\": true}");
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK(json_is_true(res(rep, "simulated")));
        CHECK_INT_EQ(json_array_size(res(rep, "plan")), 2);
        CHECK_STR_EQ(res_str(rep, "verdict"), "not-run");
        CHECK_STR_EQ(installed("hello-fp"), "1.0");
        CHECK_INT_EQ(applies(), 0);
        json_decref(rep);

        /* the plan removes libfoo, which the request did not allow */
        rep = run("00000000000000d2", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "removals");
        CHECK_STR_EQ(installed("libfoo"), "2.0");
        CHECK_INT_EQ(applies(), 0);
        json_decref(rep);

        /* downgrades need allow_downgrade */
        rep = run("00000000000000d3", "install",
                  "{\"packages\": [{\"name\": \"libfoo\", \"version\": \"2.0\"}, "
                  "{\"name\": \"hello-fp\", \"version\": \"1.0\"}]}");
        CHECK_STR_EQ(status(rep), "succeeded");
        json_decref(rep);

        /* a version no repository offers; a malformed version */
        rep = run("00000000000000d4", "install",
                  "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"9.9\"}]}");
        CHECK_STR_EQ(res_str(rep, "reason"), "not-found");
        json_decref(rep);
        rep = run("00000000000000d5", "install",
                  "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.0!\"}]}");
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "invalid");
        json_decref(rep);
        rep = run("00000000000000d6", "shell", "{\"cmd\": \"id\"}");
        CHECK_STR_EQ(res_str(rep, "reason"), "invalid");
        json_decref(rep);
}

static void test_verify_mismatch(void)
{
        /* the package manager changes libfoo too, outside its announced plan */
        sandbox("mismatch", HELLO10 ", " LIB20, HELLO10 ", " HELLO11 ", " LIB20,
                "\"apply_extra\": [{\"name\": \"libfoo\", \"arch\": \"amd64\", \"version\": "
                "\"2.1\"}]");
        json_t *rep = run("00000000000000e1", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "verify");
        CHECK_STR_EQ(res_str(rep, "verdict"), "mismatch");
        const json_t *u = json_array_get(res(rep, "unexpected"), 0);
        CHECK_INT_EQ(json_array_size(res(rep, "unexpected")), 1);
        CHECK_STR_EQ(json_string_value(json_object_get(u, "name")), "libfoo");
        CHECK_STR_EQ(json_string_value(json_object_get(u, "action")), "upgrade");
        CHECK_STR_EQ(json_string_value(json_object_get(u, "to")), "2.1");
        json_decref(rep);

        /* a failed maintainer script: reason script, verified as the host is now */
        sandbox("script", HELLO10, HELLO10 ", " HELLO11, "\"fail\": {\"apply\": \"script\"}");
        rep = run("00000000000000e2", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "script");
        CHECK_STR_EQ(res_str(rep, "verdict"), "mismatch");
        CHECK_STR_EQ(
            json_string_value(json_object_get(json_array_get(res(rep, "missing"), 0), "have")),
            "1.0");
        json_decref(rep);
}

/* A journal left in "applying" by a crash, with the host's state given by the fake. */
static void crashed_journal(const char *id)
{
        json_t *params = json_loads(INSTALL11, 0, NULL);
        json_t *j = journal_new(id, "install", params);
        json_object_set_new(j, "plan",
                            json_loads("[{\"action\": \"upgrade\", \"name\": "
                                       "\"hello-fp\", \"arch\": \"all\", \"from\": "
                                       "\"1.0\", \"to\": \"1.1\"}]",
                                       0, NULL));
        struct fp_diag d;
        CHECK_INT_EQ(journal_write(cfg.state_dir, j, J_APPLYING, 1000, &d), FP_OK);
        json_decref(j);
        json_decref(params);
}

static void test_resume(void)
{
        /* recovery completes the interrupted transaction: succeeded, resumed */
        sandbox("resume", HELLO10, HELLO10 ", " HELLO11, "\"pending\": [" HELLO11 "]");
        crashed_journal("00000000000000f1");
        char(*ids)[17];
        size_t n;
        struct fp_diag d;
        CHECK_INT_EQ(journal_unfinished(cfg.state_dir, &ids, &n, &d), FP_OK);
        CHECK_INT_EQ(n, 1);
        CHECK(n == 1 && strcmp(ids[0], "00000000000000f1") == 0);
        free(ids);
        /* the job listed again after the crash is resumed, never applied a second time */
        json_t *rep = run("00000000000000f1", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK(json_is_true(res(rep, "resumed")));
        CHECK_STR_EQ(res_str(rep, "verdict"), "verified");
        CHECK_STR_EQ(installed("hello-fp"), "1.1");
        CHECK_INT_EQ(applies(), 0);
        json_decref(rep);
        CHECK_INT_EQ(journal_unfinished(cfg.state_dir, &ids, &n, &d), FP_OK);
        CHECK_INT_EQ(n, 0);
        free(ids);

        /* recovery leaves the old version: failed, interrupted, with what the host has */
        sandbox("resume2", HELLO10, HELLO10 ", " HELLO11, NULL);
        crashed_journal("00000000000000f2");
        rep = run("00000000000000f2", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "interrupted");
        CHECK(json_is_true(res(rep, "resumed")));
        CHECK_STR_EQ(res_str(rep, "verdict"), "mismatch");
        CHECK_STR_EQ(
            json_string_value(json_object_get(json_array_get(res(rep, "missing"), 0), "have")),
            "1.0");
        json_decref(rep);
}

static void test_corrupt_journal(void)
{
        /* the job's journal is there but unreadable, and the fake's database has a transaction
         * cut short (pending): the agent recovers first, then runs the job again, which
         * converges on the exact version without applying twice what recovery finished */
        sandbox("corrupt", HELLO10, HELLO10 ", " HELLO11, "\"pending\": [" HELLO11 "]");
        char path[512];
        (void)mkdir(cfg.state_dir, 0700);
        snprintf(path, sizeof(path), "%s/jobs", cfg.state_dir);
        (void)mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/jobs/00000000000000c1.json", cfg.state_dir);
        write_file(path, "{\"id\": \"00000000000000c1\", \"phase\": \"apply");
        json_t *rep = run("00000000000000c1", "install", INSTALL11);
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(res_str(rep, "verdict"), "verified");
        CHECK_STR_EQ(installed("hello-fp"), "1.1");
        CHECK_INT_EQ(applies(), 0);
        json_decref(rep);
}

static void test_journal(void)
{
        sandbox("journal", HELLO10, HELLO10, NULL);
        struct fp_diag d;
        json_t *j, *back;
        /* ids become file names: nothing else is accepted */
        j = journal_new("../../etc/passwd", "scan", NULL);
        CHECK_INT_EQ(journal_write(cfg.state_dir, j, J_RECEIVED, 1, &d), FP_EINVAL);
        json_decref(j);
        CHECK_INT_EQ(journal_read(cfg.state_dir, "0000000000000001", &back, &d), FP_ENOENT);

        /* a finished scan, a finished transaction, an unfinished one; old and new */
        const char *ids[] = {"0000000000000001", "0000000000000002", "0000000000000003",
                             "0000000000000004"};
        const char *types[] = {"scan", "install", "install", "scan"};
        for (int i = 0; i < 4; i++) {
                j = journal_new(ids[i], types[i], NULL);
                if (i == 1)
                        json_object_set_new(j, "plan",
                                            json_loads("[{\"action\": \"upgrade\", \"name\": "
                                                       "\"a\", \"arch\": \"all\", \"from\": "
                                                       "\"1\", \"to\": \"2\"}]",
                                                       0, NULL));
                CHECK_INT_EQ(journal_write(cfg.state_dir, j, i == 2 ? J_APPLYING : J_FINISHED,
                                           i == 3 ? 9000000 : 1000, &d),
                             FP_OK);
                json_decref(j);
        }
        CHECK_INT_EQ(journal_read(cfg.state_dir, ids[1], &back, &d), FP_OK);
        CHECK_INT_EQ(journal_phase_of(back), J_FINISHED);
        struct be_plan plan;
        CHECK_INT_EQ(journal_plan_parse(json_object_get(back, "plan"), &plan, &d), FP_OK);
        CHECK_INT_EQ(plan.count, 1);
        CHECK(plan.count == 1 && plan.changes[0].action == BE_UPGRADE &&
              strcmp(plan.changes[0].to, "2") == 0);
        be_plan_release(&plan);
        json_decref(back);

        /* kept package files: one that the transaction's journal names, one nobody does */
        char kept[512], orphan[512];
        snprintf(kept, sizeof(kept), "%s/packages", cfg.state_dir);
        (void)mkdir(kept, 0700);
        snprintf(kept, sizeof(kept), "%s/packages/a_1_all.deb", cfg.state_dir);
        snprintf(orphan, sizeof(orphan), "%s/packages/gone_1_all.deb", cfg.state_dir);
        write_file(kept, "deb");
        write_file(orphan, "deb");
        CHECK_INT_EQ(journal_read(cfg.state_dir, ids[1], &j, &d), FP_OK);
        json_object_set_new(j, "kept", json_pack("[{s:s, s:s, s:s, s:s}]", "name", "a", "arch",
                                                 "all", "version", "1", "path", kept));
        CHECK_INT_EQ(journal_write(cfg.state_dir, j, J_FINISHED, 1000, &d), FP_OK);
        json_decref(j);

        /* a day of age at now = 9000000: the old scan goes; the transaction (rollback needs
         * it), the unfinished job and the young scan stay */
        size_t removed;
        CHECK_INT_EQ(journal_prune(cfg.state_dir, 86400, 9000000, &removed, &d), FP_OK);
        CHECK_INT_EQ(removed, 1);
        CHECK(access(kept, F_OK) == 0);
        CHECK(access(orphan, F_OK) != 0);
        CHECK_INT_EQ(journal_read(cfg.state_dir, ids[0], &back, &d), FP_ENOENT);
        for (int i = 1; i < 4; i++) {
                CHECK_INT_EQ(journal_read(cfg.state_dir, ids[i], &back, &d), FP_OK);
                json_decref(back);
        }
        /* a corrupt journal is reported, not trusted */
        char path[512];
        snprintf(path, sizeof(path), "%s/jobs/0000000000000005.json", cfg.state_dir);
        write_file(path, "{\"id\": \"0000000000000005\", \"phase\":");
        CHECK_INT_EQ(journal_read(cfg.state_dir, "0000000000000005", &back, &d), FP_ECORRUPT);
}

/* ---- verify over built inventories ------------------------------------------------------ */

static void inv_build(struct fp_inventory *inv, const char *const *triples, size_t n)
{
        memset(inv, 0, sizeof(*inv));
        fp_arena_init(&inv->arena);
        inv->family = "deb";
        inv->scheme = FP_SCHEME_DEB;
        inv->pkgs = calloc(n + 1, sizeof(*inv->pkgs)); /* fp_inventory_release frees it */
        for (size_t i = 0; i < n; i++) {
                memset(&inv->pkgs[i], 0, sizeof(inv->pkgs[i]));
                inv->pkgs[i].name = triples[3 * i];
                inv->pkgs[i].arch = triples[3 * i + 1];
                inv->pkgs[i].version = triples[3 * i + 2];
        }
        inv->count = n;
}

static void test_verify(void)
{
        const char *b[] = {"a", "amd64", "1", "b", "all", "1", "c", "amd64", "1"};
        const char *a[] = {"a", "amd64", "2", "b", "all", "0.9", "d", "amd64", "1"};
        struct fp_inventory before, after;
        inv_build(&before, b, 3);
        inv_build(&after, a, 3);
        struct be_change ch[] = {
            {BE_UPGRADE, "a", "amd64", "1", "2"},
            {BE_REMOVE, "c", "amd64", "1", NULL},
        };
        struct be_plan plan = {ch, 2, {0}};
        struct be_pkg want[] = {{"a", NULL, "2"}, {"e", "all", "1"}};
        struct verify_input in = {&before, &after, want, 2, NULL, 0, &plan, false};
        struct verify_result v;
        CHECK_INT_EQ(verify_run(&in, &v), FP_OK);
        CHECK(!v.verified);
        /* e is missing; a is fine (any arch) */
        CHECK_INT_EQ(v.missing_count, 1);
        CHECK(v.missing_count == 1 && strcmp(v.missing[0].name, "e") == 0 &&
              v.missing[0].have == NULL);
        /* b downgraded and d installed outside the plan; c removed as planned */
        CHECK_INT_EQ(v.unexpected_count, 2);
        CHECK(v.unexpected_count == 2 && strcmp(v.unexpected[0].name, "b") == 0 &&
              v.unexpected[0].action == BE_DOWNGRADE && strcmp(v.unexpected[1].name, "d") == 0 &&
              v.unexpected[1].action == BE_INSTALL && v.unexpected[1].from == NULL);
        json_t *m = verify_missing_json(&v), *u = verify_unexpected_json(&v);
        CHECK(json_is_null(json_object_get(json_array_get(m, 0), "have")));
        CHECK(json_is_null(json_object_get(json_array_get(u, 1), "from")));
        json_decref(m);
        json_decref(u);
        verify_result_release(&v);

        /* the plan announced a different version than the host got */
        ch[0].to = "3";
        in.want_count = 1;
        CHECK_INT_EQ(verify_run(&in, &v), FP_OK);
        CHECK_INT_EQ(v.unexpected_count, 3);
        verify_result_release(&v);
        ch[0].to = "2";

        /* nothing requested, nothing changed: verified */
        struct verify_input same = {&before, &before, NULL, 0, NULL, 0, NULL, false};
        CHECK_INT_EQ(verify_run(&same, &v), FP_OK);
        CHECK(v.verified);
        verify_result_release(&v);

        /* requested removal still there; plan completeness without a before inventory */
        struct be_pkg gone[] = {{"d", NULL, NULL}};
        struct verify_input rm = {NULL, &after, NULL, 0, gone, 1, &plan, true};
        CHECK_INT_EQ(verify_run(&rm, &v), FP_OK);
        CHECK_INT_EQ(v.missing_count, 1); /* d present; plan (a=2, c removed) complete */
        CHECK(v.missing_count == 1 && v.missing[0].want == NULL &&
              strcmp(v.missing[0].have, "1") == 0);
        CHECK_INT_EQ(v.unexpected_count, 0);
        verify_result_release(&v);
        ch[0].to = "5";
        CHECK_INT_EQ(verify_run(&rm, &v), FP_OK);
        CHECK_INT_EQ(v.missing_count, 2);
        verify_result_release(&v);

        fp_inventory_release(&before);
        fp_inventory_release(&after);
}

/* Blocked dependencies: the check on a plan, then jobs through the fake. */
static void test_blocked(void)
{
        struct fp_job_params p;
        struct fp_diag d;
        const char *pat = "x";
        json_t *v = json_loads("{\"packages\": [{\"name\": \"nginx\", \"version\": \"1.2\"}], "
                               "\"blocked\": [\"nginx*\", \"libfoo\"]}",
                               0, NULL);
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_INSTALL, v, "deb", &p, &d), FP_OK);
        json_decref(v);
        struct be_change ch[] = {
            {BE_UPGRADE, "nginx", "amd64", "1.1", "1.2"},          /* requested itself */
            {BE_REMOVE, "libfoo", "amd64", "2.0", NULL},           /* removals are not checked */
            {BE_DOWNGRADE, "nginx-full", "amd64", "1.2", "1.1"},   /* nor downgrades */
            {BE_INSTALL, "libbar", "amd64", NULL, "1.0"},          /* no pattern matches */
            {BE_INSTALL, "nginx-common", "all", NULL, "1.2"},      /* a blocked dependency */
            {BE_UPGRADE, "libfoo", "amd64", "2.0", "2.1"},
        };
        struct be_plan plan = {.changes = ch, .count = 4};
        CHECK(blocked_change(&p, &plan, &pat) == NULL);
        CHECK(pat == NULL);
        plan.count = 6;
        const struct be_change *c = blocked_change(&p, &plan, &pat);
        CHECK(c == &ch[4]);
        CHECK_STR_EQ(pat, "nginx*");
        plan.changes = ch + 5;
        plan.count = 1;
        c = blocked_change(&p, &plan, &pat);
        CHECK(c == &ch[5]);
        CHECK_STR_EQ(pat, "libfoo");
        plan.count = 0;
        CHECK(blocked_change(&p, &plan, &pat) == NULL);
        fp_job_params_release(&p);
        /* no blocked patterns: nothing is */
        v = json_loads("{\"packages\": [{\"name\": \"nginx\", \"version\": \"1.2\"}]}", 0, NULL);
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_INSTALL, v, "deb", &p, &d), FP_OK);
        json_decref(v);
        plan.changes = ch;
        plan.count = 6;
        CHECK(blocked_change(&p, &plan, &pat) == NULL);
        fp_job_params_release(&p);

        /* end to end: a requested package matching a pattern is not a dependency */
        sandbox("blocked", HELLO10 ", " LIB20, HELLO10 ", " HELLO11 ", " LIB20, NULL);
        json_t *rep = run("00000000000000f1", "install",
                          "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.1\"}], "
                          "\"blocked\": [\"hello*\", \"lib*\"]}");
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK_STR_EQ(res_str(rep, "reason"), "");
        CHECK_STR_EQ(installed("hello-fp"), "1.1");
        json_decref(rep);
        /* a removal of a blocked package (allowed) is not blocked either */
        sandbox("blocked-rm", HELLO10 ", " LIB20,
                HELLO10 ", " LIB20
                        ", {\"name\": \"hello-fp\", \"arch\": \"all\", \"version\": \"1.1\", "
                        "\"removes\": [\"libfoo\"]}",
                NULL);
        rep = run("00000000000000f2", "upgrade-approved",
                  "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.1\"}], "
                  "\"allow_remove\": true, \"simulate\": true, \"blocked\": [\"libfoo\"]}");
        CHECK_STR_EQ(status(rep), "succeeded");
        CHECK(json_is_true(res(rep, "simulated")));
        CHECK_INT_EQ(json_array_size(res(rep, "plan")), 2);
        json_decref(rep);
        /* a malformed pattern refuses the job before anything is planned */
        rep = run("00000000000000f3", "install",
                  "{\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.1\"}], "
                  "\"blocked\": [\"lib[a-z]*\"]}");
        CHECK_STR_EQ(status(rep), "failed");
        CHECK_STR_EQ(res_str(rep, "reason"), "invalid");
        CHECK_STR_EQ(installed("hello-fp"), "1.0");
        json_decref(rep);
}

int main(void)
{
        snprintf(tmp, sizeof(tmp), "/tmp/fp-jobs-test.XXXXXX");
        if (!mkdtemp(tmp)) {
                perror("mkdtemp");
                return 1;
        }
        if (!agent_config_init(&cfg))
                return 1;
        test_verify();
        test_journal();
        test_install_idempotent();
        test_rollback_new_package();
        test_rollback_partial();
        test_simulate_and_refusals();
        test_verify_mismatch();
        test_resume();
        test_corrupt_journal();
        test_blocked();
        agent_config_release(&cfg);
        if (fp_test_failures == 0) {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", tmp);
        }
        printf("%lu checks, %lu failures\n", fp_test_checks, fp_test_failures);
        return fp_test_failures ? 1 : 0;
}
