/* Running one job: the transaction flow and the other job types (txn.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "agent/daemon/blocked.h"
#include "agent/daemon/hooks.h"
#include "agent/daemon/journal.h"
#include "agent/daemon/reboot.h"
#include "agent/daemon/state.h"
#include "agent/daemon/txn.h"
#include "agent/daemon/verify.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/jobwire.h"
#include "fleetpatch/limits.h"

/* One job in progress. */
struct run {
        const struct job_env *env;
        const char *id, *type;
        enum fp_job_type t;
        json_t *journal;
        json_t *result;
        const char *reason; /* "" while it goes well */
        char detail[FP_MAX_JOB_DETAIL];
        struct backend be;
        bool be_open;
        struct fp_arena arena;
};

static int64_t now(const struct run *r)
{
        return r->env->now ? r->env->now(r->env->ctx) : (int64_t)time(NULL);
}

static void phase(const struct run *r, const char *p)
{
        if (r->env->phase)
                r->env->phase(r->env->ctx, p);
}

static void logf_(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const struct run *r, const char *fmt, ...)
{
        char line[1024];
        va_list ap;
        if (!r->env->log)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        r->env->log(r->env->ctx, line);
}

/* The first failure wins: it is what people need to read. */
static void fail(struct run *r, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct run *r, const char *reason, const char *fmt, ...)
{
        va_list ap;
        if (r->reason[0])
                return;
        r->reason = reason;
        va_start(ap, fmt);
        vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
        va_end(ap);
        logf_(r, "failed (%s): %s", reason, r->detail);
}

static const char *diag_text(const struct fp_diag *d, char *buf, size_t n)
{
        fp_diag_format(d, buf, n);
        return buf;
}

static json_t *result_new(void)
{
        return json_pack("{s:s,s:b,s:[],s:s,s:[],s:[],s:b,s:[],s:s,s:b}", "reason", "", "simulated",
                         0, "plan", "verdict", "not-run", "missing", "unexpected",
                         "reboot_required", 0, "reboot_reasons", "rollback", "none", "resumed", 0);
}

static void set_result(struct run *r, const char *key, json_t *v)
{
        if (v)
                json_object_set_new(r->result, key, v);
}

/* Journal a step; a journal that cannot be written stops the job before the step, because
 * without it a crash would run the step twice or never report it. */
static bool journal(struct run *r, enum journal_phase p)
{
        struct fp_diag d;
        char msg[512];
        fp_diag_clear(&d);
        if (journal_write(r->env->cfg->state_dir, r->journal, p, now(r), &d) == FP_OK)
                return true;
        fail(r, "other", "cannot write the job journal: %s", diag_text(&d, msg, sizeof(msg)));
        return false;
}

/* The report of a finished job, and its journal marked finished with it. */
static json_t *finish(struct run *r)
{
        if (!r->reason[0] && !r->detail[0])
                snprintf(r->detail, sizeof(r->detail), "%s done", r->type);
        json_object_set_new(r->result, "reason", json_string(r->reason));
        json_t *rep = json_pack("{s:s,s:s,s:O}", "status", r->reason[0] ? "failed" : "succeeded",
                                "detail", r->detail, "result", r->result);
        if (!rep)
                return NULL;
        json_object_set(r->journal, "status", json_object_get(rep, "status"));
        json_object_set(r->journal, "detail", json_object_get(rep, "detail"));
        json_object_set(r->journal, "result", r->result);
        struct fp_diag d;
        fp_diag_clear(&d);
        /* the report goes out even when the journal cannot record it: the server must
         * learn the end; a re-listed job then runs again and plans nothing */
        if (journal_write(r->env->cfg->state_dir, r->journal, J_FINISHED, now(r), &d) != FP_OK)
                logf_(r, "cannot record the end in the journal: %s", d.msg);
        return rep;
}

static bool open_backend(struct run *r)
{
        char dir[4096], msg[512];
        struct fp_diag d;
        const struct agent_config *cfg = r->env->cfg;

        if (r->be_open)
                return true;
        fp_diag_clear(&d);
        snprintf(dir, sizeof(dir), "%s/packages", cfg->state_dir);
        if (state_open(dir, &d) != FP_OK) {
                fail(r, "other", "package store: %s", diag_text(&d, msg, sizeof(msg)));
                return false;
        }
        struct be_opts o = {
            .root = cfg->root,
            .cache_dir = fp_arena_strdup(&r->arena, dir),
            .lock_wait = cfg->lock_wait,
            .timeout = cfg->transaction_timeout,
            .log = r->env->log,
            .log_ctx = r->env->ctx,
        };
        if (backend_open(cfg->backend, &o, &r->be, &d) != FP_OK) {
                fail(r, "other", "backend: %s", diag_text(&d, msg, sizeof(msg)));
                return false;
        }
        r->be_open = true;
        return true;
}

static bool inventory(struct run *r, struct fp_inventory *inv)
{
        struct fp_inventory_opts o = {.root = r->env->cfg->root};
        struct fp_diag d;
        char msg[512];
        fp_diag_clear(&d);
        if (fp_inventory_load(&o, inv, &d) == FP_OK)
                return true;
        memset(inv, 0, sizeof(*inv));
        fail(r, "other", "inventory of %s: %s", r->env->cfg->root, diag_text(&d, msg, sizeof(msg)));
        return false;
}

/* A hook around the transaction: FP_OK when it ran fine or does not exist. */
static bool hook(struct run *r, const char *name, bool optional)
{
        struct fp_diag d;
        char msg[512];
        fp_diag_clear(&d);
        logf_(r, "hook %s", name);
        enum fp_err err =
            hooks_run(r->env->cfg, name, r->id, r->type, r->env->log, r->env->ctx, &d);
        if (err == FP_OK || (err == FP_ENOENT && optional))
                return true;
        fail(r, "hook", "hook %s: %s", name,
             err == FP_ENOENT ? "no such hook" : diag_text(&d, msg, sizeof(msg)));
        return false;
}

/* ---- reboot ----------------------------------------------------------------------------- */

static void running_kernel(const char *root, char *out, size_t n)
{
        struct utsname u;
        out[0] = '\0';
        if (strcmp(root, "/") != 0) {
                if (reboot_sandbox_kernel(root, out, n, NULL) != FP_OK)
                        out[0] = '\0';
                return;
        }
        if (uname(&u) == 0)
                snprintf(out, n, "%s", u.release);
}

/* Fill reboot_required and reboot_reasons; *info stays for the caller (release it). */
static void reboot_truth(struct run *r, const struct fp_inventory *inv, struct reboot_info *info)
{
        const char *root = r->env->cfg->root;
        struct reboot_opts o = {
            .root = root,
            .proc_dir = strcmp(root, "/") == 0 ? "/proc" : NULL,
            .inv = inv,
        };
        struct fp_diag d;
        fp_diag_clear(&d);
        if (reboot_check(&o, info, &d) != FP_OK)
                logf_(r, "reboot check: %s", d.msg);
        json_t *reasons = json_array();
        for (size_t i = 0; reasons && i < info->reason_count; i++)
                json_array_append_new(reasons, json_string(info->reasons[i]));
        set_result(r, "reboot_required", json_boolean(info->required));
        set_result(r, "reboot_reasons", reasons);
}

/*
 * Reboot now: journal "rebooting" with the boot id and the kernel expected after it, then run
 * the reboot program. true when the job now waits for the reboot (job_resume finishes it).
 */
static bool reboot_now(struct run *r, const struct reboot_info *info)
{
        char boot_id[REBOOT_ID_MAX], msg[512];
        struct fp_diag d;
        fp_diag_clear(&d);
        if (reboot_boot_id(r->env->cfg->root, boot_id, sizeof(boot_id), &d) != FP_OK) {
                fail(r, "reboot", "no boot id to confirm the reboot with: %s",
                     diag_text(&d, msg, sizeof(msg)));
                return false;
        }
        json_object_set_new(r->journal, "boot_id", json_string(boot_id));
        if (info->newest_kernel)
                json_object_set_new(r->journal, "expected_kernel",
                                    json_string(info->newest_kernel));
        json_object_set(r->journal, "result", r->result);
        phase(r, "rebooting");
        if (!journal(r, J_REBOOTING))
                return false;
        logf_(r, "rebooting (%s)", r->env->cfg->reboot_command);
        if (reboot_request(r->env->cfg, &d) != FP_OK) {
                fail(r, "reboot", "reboot command: %s", diag_text(&d, msg, sizeof(msg)));
                return false;
        }
        return true;
}

static json_t *running_report(void)
{
        return json_pack("{s:s,s:s}", "status", "running", "detail", "waiting for the reboot");
}

/* ---- the transaction -------------------------------------------------------------------- */

struct request {
        struct be_pkg *install;
        size_t install_count;
        struct be_pkg *remove;
        size_t remove_count;
        const char **files;
        size_t file_count;
        struct be_pkg *want; /* what verify expects installed: install and files */
        size_t want_count;
        bool allow_remove, allow_downgrade;
};

static struct be_request backend_request(const struct request *q)
{
        return (struct be_request){
            .install = q->install,
            .install_count = q->install_count,
            .remove = q->remove,
            .remove_count = q->remove_count,
            .files = q->files,
            .file_count = q->file_count,
            .allow_remove = q->allow_remove,
            .allow_downgrade = q->allow_downgrade,
        };
}

static const char *jstr(const json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

/* The kept file of name/arch/version in a journal's "kept", when it is still on disk. */
static const char *kept_file(const json_t *kept, const char *name, const char *arch,
                             const char *version)
{
        size_t i;
        json_t *k;
        json_array_foreach(kept, i, k)
        {
                const char *path = jstr(k, "path");
                if (path && strcmp(jstr(k, "name"), name) == 0 &&
                    strcmp(jstr(k, "version"), version) == 0 &&
                    (!arch || !jstr(k, "arch") || strcmp(jstr(k, "arch"), arch) == 0)) {
                        FILE *f = fopen(path, "re");
                        if (f) {
                                fclose(f);
                                return path;
                        }
                }
        }
        return NULL;
}

/*
 * The request that undoes a plan: install the versions it replaced (from the kept files when
 * they are still there, else from the repositories) and remove what it newly installed.
 * Downgrades are allowed; removals only of the packages named.
 */
static bool restore_request(struct run *r, const struct be_plan *plan, const json_t *kept,
                            struct request *q)
{
        size_t n = plan->count;
        q->install = fp_arena_alloc(&r->arena, (n + 1) * sizeof(*q->install));
        q->remove = fp_arena_alloc(&r->arena, (n + 1) * sizeof(*q->remove));
        q->want = fp_arena_alloc(&r->arena, (n + 1) * sizeof(*q->want));
        q->files = fp_arena_alloc(&r->arena, (n + 1) * sizeof(*q->files));
        for (size_t i = 0; q->install && q->remove && q->want && q->files && i < n; i++) {
                const struct be_change *c = &plan->changes[i];
                struct be_pkg p = {fp_arena_strdup(&r->arena, c->name),
                                   c->arch ? fp_arena_strdup(&r->arena, c->arch) : NULL,
                                   c->from ? fp_arena_strdup(&r->arena, c->from) : NULL};
                if (!c->from) {
                        q->remove[q->remove_count++] = p;
                        continue;
                }
                q->want[q->want_count++] = p;
                const char *file = kept_file(kept, c->name, c->arch, c->from);
                if (file)
                        q->files[q->file_count++] = fp_arena_strdup(&r->arena, file);
                else
                        q->install[q->install_count++] = p;
        }
        q->allow_downgrade = true;
        q->allow_remove = false;
        if (!q->install || !q->remove || !q->want || !q->files) {
                fail(r, "other", "out of memory");
                return false;
        }
        return true;
}

/* A rollback {"job": ID}: put back what that job's plan replaced, remove what it added. */
static bool rollback_request(struct run *r, const char *source, struct request *q)
{
        json_t *src;
        struct be_plan plan;
        struct fp_diag d;
        char msg[512];
        fp_diag_clear(&d);
        enum fp_err err = journal_read(r->env->cfg->state_dir, source, &src, &d);
        if (err != FP_OK) {
                fail(r, "invalid", "job %s: %s", source,
                     err == FP_ENOENT ? "no journal of it on this host"
                                      : diag_text(&d, msg, sizeof(msg)));
                return false;
        }
        const char *type = jstr(src, "type");
        if (journal_phase_of(src) != J_FINISHED || !type ||
            (strcmp(type, "install") && strcmp(type, "upgrade-approved") &&
             strcmp(type, "rollback")) ||
            json_is_true(json_object_get(json_object_get(src, "result"), "simulated"))) {
                fail(r, "invalid", "job %s is not a finished transaction", source);
                json_decref(src);
                return false;
        }
        if (journal_plan_parse(json_object_get(src, "plan"), &plan, &d) != FP_OK) {
                fail(r, "invalid", "job %s: journal: %s", source, diag_text(&d, msg, sizeof(msg)));
                json_decref(src);
                return false;
        }
        bool built = restore_request(r, &plan, json_object_get(src, "kept"), q);
        be_plan_release(&plan);
        json_decref(src);
        if (!built)
                return false;
        logf_(r, "rollback of job %s: %zu to restore (%zu from kept files), %zu to remove", source,
              q->want_count, q->file_count, q->remove_count);
        return true;
}

static bool params_request(struct run *r, const struct fp_job_params *p, struct request *q)
{
        q->install = fp_arena_alloc(&r->arena, (p->pkg_count + 1) * sizeof(*q->install));
        if (!q->install) {
                fail(r, "other", "out of memory");
                return false;
        }
        for (size_t i = 0; i < p->pkg_count; i++)
                q->install[i] =
                    (struct be_pkg){p->pkgs[i].name, p->pkgs[i].arch, p->pkgs[i].version};
        q->install_count = p->pkg_count;
        q->want = q->install;
        q->want_count = p->pkg_count;
        q->allow_remove = p->allow_remove;
        /* a rollback by packages restores older versions: that is its point */
        q->allow_downgrade = p->allow_downgrade || p->type == FP_JOBT_ROLLBACK;
        return true;
}

/* Keep the files of every version the plan replaces or removes; result.rollback. */
static void keep_replaced(struct run *r, const struct be_plan *plan)
{
        size_t n = 0;
        struct be_pkg *pk = fp_arena_alloc(&r->arena, (plan->count + 1) * sizeof(*pk));
        const char **paths = fp_arena_alloc(&r->arena, (plan->count + 1) * sizeof(*paths));
        json_t *kept = json_array();
        if (!pk || !paths || !kept) {
                json_decref(kept);
                return;
        }
        for (size_t i = 0; i < plan->count; i++)
                if (plan->changes[i].from)
                        pk[n++] = (struct be_pkg){plan->changes[i].name, plan->changes[i].arch,
                                                  plan->changes[i].from};
        size_t have = 0;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (n > 0 && r->be.ops->keep(&r->be, pk, n, paths, &d) != FP_OK) {
                logf_(r, "keeping the replaced versions: %s", d.msg);
                for (size_t i = 0; i < n; i++)
                        paths[i] = NULL;
        }
        for (size_t i = 0; i < n; i++) {
                have += paths[i] != NULL;
                if (!paths[i])
                        logf_(r, "no copy of %s %s can be kept for a rollback", pk[i].name,
                              pk[i].version);
                json_array_append_new(kept, json_pack("{s:s,s:s?,s:s,s:s?}", "name", pk[i].name,
                                                      "arch", pk[i].arch, "version", pk[i].version,
                                                      "path", paths[i]));
        }
        json_object_set_new(r->journal, "kept", kept);
        set_result(r, "rollback",
                   json_string(have == n  ? "available"
                               : have > 0 ? "partial"
                                          : "none"));
}

/*
 * A transaction that failed in a maintainer script leaves the package half-configured, and
 * `dpkg --configure -a` only fails again: put back what the plan replaced, so the host is
 * consistent and as it was. The job stays failed; result.restored says whether it worked.
 */
static void restore_after_failure(struct run *r, const struct be_plan *plan)
{
        struct request q;
        struct be_plan undo;
        struct fp_diag d;
        enum be_fail why = BE_FAIL_NONE;
        char msg[512];

        memset(&q, 0, sizeof(q));
        memset(&undo, 0, sizeof(undo));
        phase(r, "recovering");
        logf_(r, "putting back the %zu package(s) the failed transaction changed", plan->count);
        if (!restore_request(r, plan, json_object_get(r->journal, "kept"), &q)) {
                set_result(r, "restored", json_false());
                return;
        }
        struct be_request req = backend_request(&q);
        fp_diag_clear(&d);
        bool ok = r->be.ops->apply(&r->be, &req, &undo, &why, &d) == FP_OK;
        if (!ok) {
                logf_(r, "putting back failed (%s): %s", be_fail_name(why),
                      diag_text(&d, msg, sizeof(msg)));
                fp_diag_clear(&d);
                if (r->be.ops->recover(&r->be, &why, &d) != FP_OK)
                        logf_(r, "recovery: %s", diag_text(&d, msg, sizeof(msg)));
        }
        be_plan_release(&undo);
        set_result(r, "restored", json_boolean(ok));
}

static void set_verify(struct run *r, const struct verify_result *v)
{
        set_result(r, "verdict", json_string(v->verified ? "verified" : "mismatch"));
        set_result(r, "missing", verify_missing_json(v));
        set_result(r, "unexpected", verify_unexpected_json(v));
}

static json_t *transaction(struct run *r, const struct fp_job_params *p,
                           struct fp_inventory *before)
{
        struct request q;
        struct be_plan plan, done;
        struct fp_inventory after;
        struct fp_diag d;
        enum be_fail why = BE_FAIL_NONE;
        bool applied = false;
        char msg[512];

        memset(&q, 0, sizeof(q));
        memset(&plan, 0, sizeof(plan));
        memset(&done, 0, sizeof(done));
        memset(&after, 0, sizeof(after));
        fp_diag_clear(&d);
        bool ok =
            p->rollback_job ? rollback_request(r, p->rollback_job, &q) : params_request(r, p, &q);
        ok = ok && open_backend(r);
        if (!ok)
                return finish(r);
        struct be_request req = backend_request(&q);

        phase(r, "planning");
        if (r->be.ops->simulate(&r->be, &req, &plan, &why, &d) != FP_OK) {
                fail(r, why != BE_FAIL_NONE ? be_fail_name(why) : "other", "plan: %s",
                     diag_text(&d, msg, sizeof(msg)));
                set_result(r, "plan", journal_plan_json(&plan));
                be_plan_release(&plan);
                return finish(r);
        }
        set_result(r, "plan", journal_plan_json(&plan));
        json_object_set_new(r->journal, "plan", journal_plan_json(&plan));
        for (size_t i = 0; i < plan.count; i++)
                logf_(r, "plan: %s %s %s -> %s", be_action_name(plan.changes[i].action),
                      plan.changes[i].name, plan.changes[i].from ? plan.changes[i].from : "-",
                      plan.changes[i].to ? plan.changes[i].to : "-");
        /* a rejected package as a dependency: refused before anything changes, and reported
         * by a simulation too */
        const char *pattern;
        const struct be_change *bc = blocked_change(p, &plan, &pattern);
        if (bc) {
                if (p->simulate)
                        set_result(r, "simulated", json_true());
                fail(r, "blocked", "the plan would %s %s %s as a dependency: blocked by '%s'",
                     be_action_name(bc->action), bc->name, bc->to ? bc->to : "", pattern);
                be_plan_release(&plan);
                return finish(r);
        }
        if (p->simulate) {
                set_result(r, "simulated", json_true());
                snprintf(r->detail, sizeof(r->detail), "simulated: %zu change(s)", plan.count);
                be_plan_release(&plan);
                return finish(r);
        }
        if (!journal(r, J_PLANNED))
                goto out;

        if (plan.count > 0) {
                /* nothing changes without a plan, so the hooks around a change do not run */
                if (!hook(r, "pre-patch", true))
                        goto out;
                keep_replaced(r, &plan);
                phase(r, "applying");
                if (!journal(r, J_APPLYING))
                        goto out;
                fp_diag_clear(&d);
                if (r->be.ops->apply(&r->be, &req, &done, &why, &d) != FP_OK) {
                        fail(r, why != BE_FAIL_NONE ? be_fail_name(why) : "other", "apply: %s",
                             diag_text(&d, msg, sizeof(msg)));
                        if (why == BE_FAIL_SCRIPT)
                                restore_after_failure(r, &plan);
                }
                applied = true;
                /* what ran is what verify holds the host to (it may differ from the plan when
                 * the repository moved in between) */
                if (done.count > 0)
                        json_object_set_new(r->journal, "plan", journal_plan_json(&done));
                (void)journal(r, J_APPLIED);
        } else {
                logf_(r, "nothing to change");
                set_result(r, "rollback", json_string("available"));
        }

        phase(r, "verifying");
        bool have_after = inventory(r, &after);
        if (have_after) {
                struct verify_result v;
                struct verify_input in = {
                    .before = before,
                    .after = &after,
                    .want = q.want,
                    .want_count = q.want_count,
                    .gone = q.remove,
                    .gone_count = q.remove_count,
                    .plan = done.count > 0 ? &done : &plan,
                };
                if (verify_run(&in, &v) != FP_OK)
                        fail(r, "other", "verify: out of memory");
                set_verify(r, &v);
                if (!v.verified)
                        fail(r, "verify", "verify: %zu missing, %zu unexpected", v.missing_count,
                             v.unexpected_count);
                verify_result_release(&v);
        }
        if (applied) {
                (void)hook(r, "post-patch", true);
                (void)hook(r, "health-check", true);
        }
        struct reboot_info info;
        memset(&info, 0, sizeof(info));
        if (have_after)
                reboot_truth(r, &after, &info);
        bool waiting = false;
        if (!r->reason[0] &&
            (p->reboot == FP_REBOOT_ALWAYS || (p->reboot == FP_REBOOT_IF_NEEDED && info.required)))
                waiting = reboot_now(r, &info);
        reboot_info_release(&info);
        if (!r->reason[0])
                snprintf(r->detail, sizeof(r->detail), "%zu change(s), verified",
                         done.count > 0 ? done.count : plan.count);
        if (waiting) {
                be_plan_release(&plan);
                be_plan_release(&done);
                fp_inventory_release(&after);
                return running_report();
        }
out:
        be_plan_release(&plan);
        be_plan_release(&done);
        fp_inventory_release(&after);
        return finish(r);
}

/* ---- the other types -------------------------------------------------------------------- */

static json_t *scan(struct run *r, const struct fp_job_params *p)
{
        struct fp_diag d;
        char msg[512];
        enum be_fail why = BE_FAIL_NONE;
        fp_diag_clear(&d);
        if (p->refresh) {
                phase(r, "downloading");
                if (!open_backend(r))
                        return finish(r);
                if (r->be.ops->refresh(&r->be, &why, &d) != FP_OK) {
                        fail(r, why != BE_FAIL_NONE ? be_fail_name(why) : "other", "refresh: %s",
                             diag_text(&d, msg, sizeof(msg)));
                        return finish(r);
                }
        }
        if (r->env->checkin) {
                if (r->env->checkin(r->env->ctx, &d) != FP_OK)
                        fail(r, "other", "check-in: %s", diag_text(&d, msg, sizeof(msg)));
        } else {
                struct fp_inventory inv;
                if (inventory(r, &inv)) {
                        set_result(r, "packages", json_integer((json_int_t)inv.count));
                        snprintf(r->detail, sizeof(r->detail), "%zu packages", inv.count);
                        fp_inventory_release(&inv);
                }
        }
        return finish(r);
}

static json_t *reboot_job(struct run *r, const struct fp_job_params *p)
{
        struct fp_inventory inv;
        struct reboot_info info;
        memset(&info, 0, sizeof(info));
        if (!inventory(r, &inv))
                return finish(r);
        reboot_truth(r, &inv, &info);
        bool waiting = false;
        if (p->force || info.required)
                waiting = reboot_now(r, &info);
        else
                snprintf(r->detail, sizeof(r->detail), "no reboot needed");
        reboot_info_release(&info);
        fp_inventory_release(&inv);
        return waiting ? running_report() : finish(r);
}

/* ---- entry points ----------------------------------------------------------------------- */

static bool is_txn(enum fp_job_type t)
{
        return t == FP_JOBT_INSTALL || t == FP_JOBT_UPGRADE_APPROVED || t == FP_JOBT_ROLLBACK;
}

static void run_init(struct run *r, const struct job_env *env, const char *id, const char *type)
{
        memset(r, 0, sizeof(*r));
        r->env = env;
        r->id = id;
        r->type = type ? type : "";
        r->reason = "";
        fp_arena_init(&r->arena);
        r->result = result_new();
}

static void run_release(struct run *r)
{
        if (r->be_open)
                backend_close(&r->be);
        json_decref(r->journal);
        json_decref(r->result);
        fp_arena_release(&r->arena);
}

/* The report kept in a finished journal. */
static json_t *stored_report(const json_t *j)
{
        return json_pack(
            "{s:s,s:s,s:O}", "status", jstr(j, "status") ? jstr(j, "status") : "failed", "detail",
            jstr(j, "detail") ? jstr(j, "detail") : "", "result",
            json_object_get(j, "result") ? json_object_get(j, "result") : json_object());
}

json_t *job_execute(const struct job_env *env, const char *id, const char *type,
                    const json_t *params)
{
        struct run r;
        struct fp_diag d;
        char msg[512];
        json_t *old = NULL, *rep;

        run_init(&r, env, id, type);
        if (!r.result)
                return NULL;
        fp_diag_clear(&d);
        enum fp_err err = journal_read(env->cfg->state_dir, id, &old, &d);
        if (err == FP_OK) {
                enum journal_phase ph = journal_phase_of(old);
                if (ph == J_FINISHED) {
                        logf_(&r, "job %s finished before: reported again, not run", id);
                        rep = stored_report(old);
                        json_decref(old);
                        run_release(&r);
                        return rep;
                }
                json_decref(old);
                /* a transaction may have changed the host: finish it, never start it again */
                if (ph >= J_APPLYING) {
                        run_release(&r);
                        return job_resume(env, id);
                }
        } else if (err != FP_ENOENT) {
                /* The journal is there but unreadable (a torn disk, an edit): it may have been
                 * a transaction cut short. Make the package database consistent first; then
                 * the job runs again, which converges, as it installs exact versions. */
                logf_(&r,
                      "the journal of job %s cannot be read (%s): recovering the package "
                      "database, then running the job again",
                      id, diag_text(&d, msg, sizeof(msg)));
                if (type && fp_job_type_parse(type, &r.t) && is_txn(r.t) && open_backend(&r)) {
                        enum be_fail why = BE_FAIL_NONE;
                        fp_diag_clear(&d);
                        if (r.be.ops->recover(&r.be, &why, &d) != FP_OK)
                                logf_(&r, "recovery: %s", diag_text(&d, msg, sizeof(msg)));
                }
        }
        r.journal = journal_new(id, r.type, params);
        if (!r.journal) {
                run_release(&r);
                return NULL;
        }
        if (!fp_job_type_parse(type, &r.t)) {
                fail(&r, "invalid", "unknown job type '%.64s'", type ? type : "(none)");
                goto done;
        }
        if (!journal(&r, J_RECEIVED))
                goto done;

        /* the family's rules for names and versions come from the host's own database */
        struct fp_inventory before;
        memset(&before, 0, sizeof(before));
        if (is_txn(r.t) && !inventory(&r, &before))
                goto done;
        struct fp_job_params p;
        fp_diag_clear(&d);
        err = fp_job_params_parse(r.t, params, is_txn(r.t) ? before.family : NULL, &p, &d);
        if (err != FP_OK) {
                fail(&r, "invalid", "%s", diag_text(&d, msg, sizeof(msg)));
                fp_job_params_release(&p);
                fp_inventory_release(&before);
                goto done;
        }
        switch (r.t) {
        case FP_JOBT_SCAN:
                rep = scan(&r, &p);
                break;
        case FP_JOBT_INSTALL:
        case FP_JOBT_UPGRADE_APPROVED:
        case FP_JOBT_ROLLBACK:
                rep = transaction(&r, &p, &before);
                break;
        case FP_JOBT_REBOOT:
                rep = reboot_job(&r, &p);
                break;
        case FP_JOBT_HOOK:
                (void)hook(&r, p.hook, false);
                if (!r.reason[0])
                        snprintf(r.detail, sizeof(r.detail), "hook %s ran", p.hook);
                rep = finish(&r);
                break;
        default:
                rep = finish(&r);
                break;
        }
        fp_job_params_release(&p);
        fp_inventory_release(&before);
        run_release(&r);
        return rep;
done:
        if (!r.journal)
                r.journal = journal_new(id, r.type, params);
        rep = r.journal ? finish(&r) : NULL;
        run_release(&r);
        return rep;
}

static json_t *resume_reboot(struct run *r)
{
        char boot[REBOOT_ID_MAX], kernel[256], why[512];
        struct fp_diag d;
        fp_diag_clear(&d);
        json_t *kept = json_object_get(r->journal, "result");
        if (json_is_object(kept))
                json_object_update(r->result, kept);
        if (reboot_boot_id(r->env->cfg->root, boot, sizeof(boot), &d) != FP_OK)
                boot[0] = '\0';
        running_kernel(r->env->cfg->root, kernel, sizeof(kernel));
        if (reboot_confirm(jstr(r->journal, "expected_kernel"), kernel[0] ? kernel : NULL,
                           jstr(r->journal, "boot_id"), boot[0] ? boot : NULL, why,
                           sizeof(why)) != FP_OK)
                fail(r, "reboot", "%s", why);
        else
                snprintf(r->detail, sizeof(r->detail), "rebooted: %s", why);
        set_result(r, "resumed", json_true());
        return finish(r);
}

json_t *job_resume(const struct job_env *env, const char *id)
{
        struct run r;
        struct fp_diag d;
        char msg[512];
        json_t *j;

        fp_diag_clear(&d);
        if (journal_read(env->cfg->state_dir, id, &j, &d) != FP_OK)
                return NULL;
        run_init(&r, env, id, jstr(j, "type"));
        r.journal = j;
        if (!r.result) {
                run_release(&r);
                return NULL;
        }
        json_t *rep;
        enum journal_phase ph = journal_phase_of(j);
        if (ph == J_FINISHED) {
                rep = stored_report(j);
                run_release(&r);
                return rep;
        }
        if (ph == J_REBOOTING) {
                rep = resume_reboot(&r);
                run_release(&r);
                return rep;
        }
        set_result(&r, "resumed", json_true());
        if (json_object_get(j, "plan"))
                set_result(&r, "plan", json_deep_copy(json_object_get(j, "plan")));
        if (ph < J_APPLYING) {
                /* nothing was changed: report it failed rather than start it unasked */
                fail(&r, "interrupted", "the agent stopped before the transaction started");
                rep = finish(&r);
                run_release(&r);
                return rep;
        }
        phase(&r, "recovering");
        logf_(&r, "job %s was interrupted in phase %s: recovering", id, journal_phase_name(ph));
        enum be_fail why = BE_FAIL_NONE;
        bool recovered = open_backend(&r) && r.be.ops->recover(&r.be, &why, &d) == FP_OK;
        if (r.be_open && !recovered)
                fail(&r, "interrupted", "recovery: %s", diag_text(&d, msg, sizeof(msg)));

        /* the requested pairs and the recorded plan, complete */
        struct be_plan plan;
        struct fp_inventory after;
        memset(&after, 0, sizeof(after));
        fp_diag_clear(&d);
        if (journal_plan_parse(json_object_get(j, "plan"), &plan, &d) != FP_OK)
                fail(&r, "interrupted", "journal: %s", diag_text(&d, msg, sizeof(msg)));
        struct fp_job_params p;
        enum fp_job_type t = FP_JOBT_INSTALL;
        (void)fp_job_type_parse(r.type, &t);
        bool have_params =
            fp_job_params_parse(t, json_object_get(j, "params"), NULL, &p, &d) == FP_OK;
        phase(&r, "verifying");
        if (inventory(&r, &after)) {
                struct be_pkg *want = fp_arena_alloc(&r.arena, (p.pkg_count + 1) * sizeof(*want));
                size_t nwant = 0;
                for (size_t i = 0; have_params && want && i < p.pkg_count; i++)
                        want[nwant++] =
                            (struct be_pkg){p.pkgs[i].name, p.pkgs[i].arch, p.pkgs[i].version};
                struct verify_input in = {
                    .after = &after,
                    .want = want,
                    .want_count = nwant,
                    .plan = &plan,
                    .plan_complete = true,
                };
                struct verify_result v;
                if (verify_run(&in, &v) == FP_OK) {
                        set_verify(&r, &v);
                        if (!v.verified)
                                fail(&r, "interrupted",
                                     "interrupted; after recovery %zu planned change(s) missing",
                                     v.missing_count);
                }
                verify_result_release(&v);
        }
        if (!r.reason[0])
                snprintf(r.detail, sizeof(r.detail),
                         "interrupted, recovered: the plan is complete and verified");
        fp_job_params_release(&p);
        be_plan_release(&plan);
        fp_inventory_release(&after);
        rep = finish(&r);
        run_release(&r);
        return rep;
}
