/*
 * The fake backend (backend.h), for logic tests of the job runner only: a host whose package
 * database is ROOT/fake-packages.json:
 *
 *   {"installed": [{"name", "arch", "version"}],
 *    "available": [{"name", "arch", "version", "removes": ["name"]}],
 *    "fail": {"refresh" | "simulate" | "apply" | "recover": "script" | "locked" | ...},
 *    "apply_extra": [{"name", "arch", "version"}],   apply also installs these, unplanned
 *    "pending": [{"name", "arch", "version"}]}       recover installs these (an interrupted run)
 *
 * Plans are computed in memory with dpkg's version order, and the installed set is written
 * back atomically, together with ROOT/var/lib/dpkg/status so that the real inventory reader
 * sees the same host as the backend. "applies" counts the transactions that changed
 * something (tests of idempotence read it).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/backend/backend.h"
#include "fleetpatch/version.h"

#define FAKE_FILE "fake-packages.json"

static json_t *fake_load(struct backend *b, struct fp_diag *d)
{
        char path[4096];
        json_error_t e;
        snprintf(path, sizeof(path), "%s/%s", b->opts.root, FAKE_FILE);
        json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
        if (!v || !json_is_object(v)) {
                fp_diag_set(d, path, (unsigned long)e.line, NULL, "fake package database: %s",
                            v ? "not an object" : e.text);
                json_decref(v);
                return NULL;
        }
        return v;
}

/* Write path atomically (temporary file, fsync, rename) like the agent's state. */
static enum fp_err write_atomic(const char *path, const char *data, struct fp_diag *d)
{
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                fp_diag_set(d, tmp, 0, NULL, "cannot create: %s", strerror(errno));
                return FP_EIO;
        }
        size_t len = strlen(data);
        bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
                fp_diag_set(d, path, 0, NULL, "cannot write: %s", strerror(errno));
                (void)unlink(tmp);
                return FP_EIO;
        }
        return FP_OK;
}

static enum fp_err fake_save(struct backend *b, json_t *db, struct fp_diag *d)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", b->opts.root, FAKE_FILE);
        char *text = json_dumps(db, JSON_INDENT(1) | JSON_SORT_KEYS);
        if (!text) {
                fp_diag_set(d, path, 0, NULL, "out of memory");
                return FP_ENOMEM;
        }
        enum fp_err err = write_atomic(path, text, d);
        free(text);
        if (err != FP_OK)
                return err;
        /* the same host for the inventory reader */
        struct fp_buf s;
        fp_buf_init(&s, (size_t)64 << 20);
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(db, "installed"), i, p)
        {
                fp_buf_addf(&s,
                            "Package: %s\nStatus: install ok installed\nArchitecture: %s\n"
                            "Version: %s\nMaintainer: fake <fake@example.org>\n"
                            "Description: fake\n\n",
                            json_string_value(json_object_get(p, "name")),
                            json_string_value(json_object_get(p, "arch")),
                            json_string_value(json_object_get(p, "version")));
        }
        snprintf(path, sizeof(path), "%s/var/lib/dpkg/status", b->opts.root);
        err = write_atomic(path, fp_buf_str(&s), d);
        fp_buf_release(&s);
        return err;
}

static const char *str(const json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

/* The failure configured for an operation, BE_FAIL_NONE when none. */
static enum be_fail configured_fail(const json_t *db, const char *op)
{
        const char *name = str(json_object_get(db, "fail"), op);
        if (!name)
                return BE_FAIL_NONE;
        for (int f = BE_FAIL_NOT_FOUND; f <= BE_FAIL_OTHER; f++)
                if (strcmp(name, be_fail_name((enum be_fail)f)) == 0)
                        return (enum be_fail)f;
        return BE_FAIL_OTHER;
}

/* Index of name (and arch, when not NULL) in a list, or -1. */
static long find(const json_t *list, const char *name, const char *arch, const char *version)
{
        size_t i;
        json_t *p;
        json_array_foreach(list, i, p)
        {
                if (strcmp(str(p, "name"), name) != 0)
                        continue;
                if (arch && strcmp(str(p, "arch"), arch) != 0)
                        continue;
                if (version && strcmp(str(p, "version"), version) != 0)
                        continue;
                return (long)i;
        }
        return -1;
}

/* The target state: a copy of installed with the request applied; plan gets the differences. */
static enum fp_err compute(struct backend *b, json_t *db, const struct be_request *req,
                           json_t **target, struct be_plan *plan, enum be_fail *why,
                           struct fp_diag *d)
{
        const json_t *installed = json_object_get(db, "installed");
        const json_t *available = json_object_get(db, "available");
        json_t *t = json_deep_copy(installed);
        json_t *wanted = json_array(); /* names the request names, for the removal check */

        *why = BE_FAIL_NONE;
        /* local files (rollback): each holds one {"name","arch","version"} */
        json_t *from_files = json_array();
        for (size_t i = 0; i < req->file_count; i++) {
                json_error_t e;
                json_t *f = json_load_file(req->files[i], 0, &e);
                if (!f) {
                        fp_diag_set(d, req->files[i], 0, NULL, "not a fake package: %s", e.text);
                        *why = BE_FAIL_NOT_FOUND;
                        goto fail;
                }
                json_array_append_new(from_files, f);
        }
        size_t n = req->install_count + req->file_count;
        for (size_t i = 0; i < n; i++) {
                const char *name, *arch, *version;
                const json_t *src = NULL;
                if (i < req->install_count) {
                        name = req->install[i].name;
                        arch = req->install[i].arch;
                        version = req->install[i].version;
                        if (!arch) {
                                long k = find(installed, name, NULL, NULL);
                                arch = k >= 0 ? str(json_array_get(installed, (size_t)k), "arch")
                                              : NULL;
                        }
                        long k = find(available, name, arch, version);
                        if (k < 0) {
                                fp_diag_set(d, NULL, 0, name, "%s %s is not available", name,
                                            version);
                                *why = BE_FAIL_NOT_FOUND;
                                goto fail;
                        }
                        src = json_array_get(available, (size_t)k);
                } else {
                        src = json_array_get(from_files, i - req->install_count);
                        name = str(src, "name");
                        version = str(src, "version");
                }
                arch = str(src, "arch");
                json_array_append_new(wanted, json_string(name));
                long k = find(t, name, arch, NULL);
                json_t *np =
                    json_pack("{s:s,s:s,s:s}", "name", name, "arch", arch, "version", version);
                if (k >= 0)
                        json_array_set_new(t, (size_t)k, np);
                else
                        json_array_append_new(t, np);
                size_t j;
                json_t *r;
                json_array_foreach(json_object_get(src, "removes"), j, r)
                {
                        long x = find(t, json_string_value(r), NULL, NULL);
                        if (x >= 0)
                                json_array_remove(t, (size_t)x);
                }
        }
        for (size_t i = 0; i < req->remove_count; i++) {
                long k = find(t, req->remove[i].name, req->remove[i].arch, NULL);
                if (k >= 0)
                        json_array_remove(t, (size_t)k);
                json_array_append_new(wanted, json_string(req->remove[i].name));
        }

        /* the plan: every (name, arch) whose version differs */
        fp_arena_init(&plan->arena);
        plan->count = 0;
        plan->changes =
            fp_arena_alloc(&plan->arena, (json_array_size(installed) + json_array_size(t) + 1) *
                                             sizeof(*plan->changes));
        size_t i;
        json_t *p;
        json_array_foreach(installed, i, p)
        {
                long k = find(t, str(p, "name"), str(p, "arch"), NULL);
                const char *to = k >= 0 ? str(json_array_get(t, (size_t)k), "version") : NULL;
                if (to && strcmp(to, str(p, "version")) == 0)
                        continue;
                struct be_change *c = &plan->changes[plan->count++];
                c->name = fp_arena_strdup(&plan->arena, str(p, "name"));
                c->arch = fp_arena_strdup(&plan->arena, str(p, "arch"));
                c->from = fp_arena_strdup(&plan->arena, str(p, "version"));
                c->to = to ? fp_arena_strdup(&plan->arena, to) : NULL;
                c->action = !to                              ? BE_REMOVE
                            : fp_deb_vercmp(to, c->from) > 0 ? BE_UPGRADE
                                                             : BE_DOWNGRADE;
                if (c->action == BE_REMOVE) {
                        bool named = false;
                        size_t j;
                        json_t *w;
                        json_array_foreach(wanted, j, w) named |=
                            strcmp(json_string_value(w), c->name) == 0 &&
                            j >= req->install_count + req->file_count;
                        if (!named && !req->allow_remove) {
                                fp_diag_set(d, NULL, 0, c->name, "the plan removes %s", c->name);
                                *why = BE_FAIL_REMOVALS;
                        }
                }
                if (c->action == BE_DOWNGRADE && !req->allow_downgrade) {
                        fp_diag_set(d, NULL, 0, c->name, "the plan downgrades %s", c->name);
                        *why = BE_FAIL_DOWNGRADES;
                }
        }
        json_array_foreach(t, i, p)
        {
                if (find(installed, str(p, "name"), str(p, "arch"), NULL) >= 0)
                        continue;
                struct be_change *c = &plan->changes[plan->count++];
                c->action = BE_INSTALL;
                c->name = fp_arena_strdup(&plan->arena, str(p, "name"));
                c->arch = fp_arena_strdup(&plan->arena, str(p, "arch"));
                c->from = NULL;
                c->to = fp_arena_strdup(&plan->arena, str(p, "version"));
        }
        /* sorted by name, then arch, as the interface promises */
        for (size_t x = 1; x < plan->count; x++)
                for (size_t y = x; y > 0; y--) {
                        struct be_change *a = &plan->changes[y - 1], *c = &plan->changes[y];
                        int o = strcmp(a->name, c->name);
                        if (o < 0 || (o == 0 && strcmp(a->arch, c->arch) <= 0))
                                break;
                        struct be_change tmp = *a;
                        *a = *c;
                        *c = tmp;
                }
        json_decref(wanted);
        json_decref(from_files);
        if (*why != BE_FAIL_NONE) {
                json_decref(t);
                return FP_EINVAL;
        }
        *target = t;
        (void)b;
        return FP_OK;
fail:
        json_decref(wanted);
        json_decref(from_files);
        json_decref(t);
        return FP_EINVAL;
}

static enum fp_err fake_refresh(struct backend *b, enum be_fail *why, struct fp_diag *d)
{
        json_t *db = fake_load(b, d);
        if (!db) {
                *why = BE_FAIL_OTHER;
                return FP_EIO;
        }
        *why = configured_fail(db, "refresh");
        json_decref(db);
        if (*why != BE_FAIL_NONE) {
                fp_diag_set(d, NULL, 0, NULL, "fake refresh fails: %s", be_fail_name(*why));
                return FP_EEXEC;
        }
        return FP_OK;
}

static enum fp_err fake_simulate(struct backend *b, const struct be_request *req,
                                 struct be_plan *plan, enum be_fail *why, struct fp_diag *d)
{
        json_t *db = fake_load(b, d);
        json_t *t = NULL;
        memset(plan, 0, sizeof(*plan));
        if (!db) {
                *why = BE_FAIL_OTHER;
                return FP_EIO;
        }
        *why = configured_fail(db, "simulate");
        if (*why != BE_FAIL_NONE) {
                fp_diag_set(d, NULL, 0, NULL, "fake simulate fails: %s", be_fail_name(*why));
                json_decref(db);
                return FP_EEXEC;
        }
        enum fp_err err = compute(b, db, req, &t, plan, why, d);
        json_decref(t);
        json_decref(db);
        return err;
}

static void log_change(struct backend *b, const struct be_change *c)
{
        char line[512];
        if (!b->opts.log)
                return;
        snprintf(line, sizeof(line), "fake: %s %s %s", be_action_name(c->action), c->name,
                 c->to ? c->to : "");
        b->opts.log(b->opts.log_ctx, line);
}

static enum fp_err fake_apply(struct backend *b, const struct be_request *req, struct be_plan *plan,
                              enum be_fail *why, struct fp_diag *d)
{
        json_t *db = fake_load(b, d);
        json_t *t = NULL;
        struct be_plan local = {0};
        struct be_plan *pl = plan ? plan : &local;
        memset(pl, 0, sizeof(*pl));
        if (!db) {
                *why = BE_FAIL_OTHER;
                return FP_EIO;
        }
        enum fp_err err = compute(b, db, req, &t, pl, why, d);
        if (err == FP_OK) {
                *why = configured_fail(db, "apply");
                if (*why != BE_FAIL_NONE) {
                        /* like a failed maintainer script: nothing (more) installed */
                        fp_diag_set(d, NULL, 0, NULL, "fake apply fails: %s", be_fail_name(*why));
                        err = FP_EEXEC;
                } else if (pl->count > 0) {
                        size_t i;
                        json_t *p;
                        json_array_foreach(json_object_get(db, "apply_extra"), i, p)
                        {
                                long k = find(t, str(p, "name"), str(p, "arch"), NULL);
                                if (k >= 0)
                                        json_array_set(t, (size_t)k, p);
                                else
                                        json_array_append(t, p);
                        }
                        for (size_t c = 0; c < pl->count; c++)
                                log_change(b, &pl->changes[c]);
                        json_object_set(db, "installed", t);
                        json_int_t n = json_integer_value(json_object_get(db, "applies"));
                        json_object_set_new(db, "applies", json_integer(n + 1));
                        err = fake_save(b, db, d);
                }
        }
        if (pl == &local)
                be_plan_release(&local);
        json_decref(t);
        json_decref(db);
        return err;
}

static enum fp_err fake_recover(struct backend *b, enum be_fail *why, struct fp_diag *d)
{
        json_t *db = fake_load(b, d);
        if (!db) {
                *why = BE_FAIL_OTHER;
                return FP_EIO;
        }
        *why = configured_fail(db, "recover");
        enum fp_err err = FP_OK;
        if (*why != BE_FAIL_NONE) {
                fp_diag_set(d, NULL, 0, NULL, "fake recover fails: %s", be_fail_name(*why));
                err = FP_EEXEC;
        } else if (json_array_size(json_object_get(db, "pending")) > 0) {
                json_t *inst = json_object_get(db, "installed");
                size_t i;
                json_t *p;
                json_array_foreach(json_object_get(db, "pending"), i, p)
                {
                        long k = find(inst, str(p, "name"), str(p, "arch"), NULL);
                        if (k >= 0)
                                json_array_set(inst, (size_t)k, p);
                        else
                                json_array_append(inst, p);
                }
                json_object_del(db, "pending");
                err = fake_save(b, db, d);
        }
        json_decref(db);
        return err;
}

/* A kept version is a small JSON file; it can be had when a repository still offers it. */
static enum fp_err fake_keep(struct backend *b, const struct be_pkg *pkgs, size_t n,
                             const char **paths, struct fp_diag *d)
{
        json_t *db = fake_load(b, d);
        if (!db)
                return FP_EIO;
        enum fp_err err = FP_OK;
        for (size_t i = 0; i < n && err == FP_OK; i++) {
                paths[i] = NULL;
                long k = find(json_object_get(db, "available"), pkgs[i].name, pkgs[i].arch,
                              pkgs[i].version);
                if (k < 0)
                        continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s_%s_%s.fake", b->opts.cache_dir, pkgs[i].name,
                         pkgs[i].version, pkgs[i].arch ? pkgs[i].arch : "");
                json_t *one = json_pack(
                    "{s:s,s:s,s:s}", "name", pkgs[i].name, "arch",
                    str(json_array_get(json_object_get(db, "available"), (size_t)k), "arch"),
                    "version", pkgs[i].version);
                char *text = json_dumps(one, 0);
                json_decref(one);
                err = text ? write_atomic(path, text, d) : FP_ENOMEM;
                free(text);
                if (err == FP_OK)
                        paths[i] = fp_arena_strdup(&b->arena, path);
        }
        json_decref(db);
        return err;
}

static void fake_release(struct backend *b)
{
        (void)b;
}

static const struct backend_ops fake_ops = {
    .name = "fake",
    .refresh = fake_refresh,
    .simulate = fake_simulate,
    .apply = fake_apply,
    .recover = fake_recover,
    .keep = fake_keep,
    .release = fake_release,
};

enum fp_err backend_fake_open(struct backend *b, struct fp_diag *d)
{
        json_t *db = fake_load(b, d);
        if (!db)
                return FP_EINVAL;
        json_decref(db);
        b->ops = &fake_ops;
        return FP_OK;
}
