/* The per-job journal (journal.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/journal.h"
#include "agent/daemon/state.h"

static const char *const phase_names[] = {
    [J_RECEIVED] = "received", [J_PLANNED] = "planned",     [J_APPLYING] = "applying",
    [J_APPLIED] = "applied",   [J_VERIFYING] = "verifying", [J_REBOOTING] = "rebooting",
    [J_FINISHED] = "finished",
};
#define PHASES (sizeof(phase_names) / sizeof(phase_names[0]))

const char *journal_phase_name(enum journal_phase p)
{
        return (size_t)p < PHASES ? phase_names[p] : "?";
}

bool journal_phase_parse(const char *s, enum journal_phase *out)
{
        for (size_t i = 0; s && i < PHASES; i++) {
                if (strcmp(s, phase_names[i]) == 0) {
                        *out = (enum journal_phase)i;
                        return true;
                }
        }
        return false;
}

enum journal_phase journal_phase_of(const json_t *j)
{
        enum journal_phase p = J_RECEIVED;
        (void)journal_phase_parse(json_string_value(json_object_get(j, "phase")), &p);
        return p;
}

json_t *journal_new(const char *id, const char *type, const json_t *params)
{
        json_t *j = json_pack("{s:s,s:s,s:s}", "id", id, "type", type, "phase", "received");
        if (j && json_object_set_new(j, "params",
                                     params ? json_deep_copy(params) : json_object()) != 0) {
                json_decref(j);
                return NULL;
        }
        return j;
}

static bool id_ok(const char *id)
{
        return id && strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16;
}

static bool same_id(const json_t *j, const char *id)
{
        const char *jid = json_string_value(json_object_get(j, "id"));
        return jid && strcmp(jid, id) == 0;
}

static void jobs_dir(const char *state_dir, char *out, size_t outsz)
{
        snprintf(out, outsz, "%s/jobs", state_dir);
}

enum fp_err journal_write(const char *state_dir, json_t *j, enum journal_phase phase, int64_t now,
                          struct fp_diag *d)
{
        char dir[4096], name[32];
        const char *id = json_string_value(json_object_get(j, "id"));
        if (!id_ok(id)) {
                /* the id becomes a file name: nothing else may get there */
                fp_diag_set(d, state_dir, 0, "id", "not a job id");
                return FP_EINVAL;
        }
        jobs_dir(state_dir, dir, sizeof(dir));
        enum fp_err err = state_open(state_dir, d);
        if (err == FP_OK)
                err = state_open(dir, d);
        if (err != FP_OK)
                return err;
        if (json_object_set_new(j, "phase", json_string(journal_phase_name(phase))) != 0 ||
            json_object_set_new(j, "updated", json_integer(now)) != 0)
                return FP_ENOMEM;
        char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        if (!text) {
                fp_diag_set(d, dir, 0, id, "out of memory");
                return FP_ENOMEM;
        }
        snprintf(name, sizeof(name), "%s.json", id);
        err = state_write(dir, name, text, d);
        free(text);
        return err;
}

enum fp_err journal_parse(const char *text, size_t len, json_t **out, struct fp_diag *d)
{
        json_error_t e;
        enum journal_phase ph;
        *out = NULL;
        if (len > JOURNAL_MAX_FILE) {
                fp_diag_set(d, NULL, 0, NULL, "not a job journal: more than %d bytes",
                            JOURNAL_MAX_FILE);
                return FP_ECORRUPT;
        }
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
        if (!j) {
                fp_diag_set(d, NULL, (unsigned long)e.line, NULL, "not a job journal: %s", e.text);
                return FP_ECORRUPT;
        }
        const char *why = NULL, *field = NULL;
        const json_t *v;
        if (!json_is_object(j)) {
                why = "not an object";
        } else if (!id_ok(json_string_value(json_object_get(j, "id")))) {
                field = "id";
                why = "not a job id";
        } else if (!journal_phase_parse(json_string_value(json_object_get(j, "phase")), &ph)) {
                /* an unknown phase read as "received" would start a transaction again */
                field = "phase";
                why = "not a journal phase";
        } else if ((v = json_object_get(j, "updated")) && !json_is_integer(v)) {
                field = "updated";
                why = "not an integer";
        } else if ((v = json_object_get(j, "type")) && !json_is_string(v)) {
                field = "type";
                why = "not a string";
        } else {
                struct be_plan plan;
                enum fp_err err = journal_plan_parse(json_object_get(j, "plan"), &plan, d);
                be_plan_release(&plan);
                if (err != FP_OK) {
                        json_decref(j);
                        return err;
                }
        }
        if (why) {
                fp_diag_set(d, NULL, 0, field, "not a job journal: %s", why);
                json_decref(j);
                return FP_ECORRUPT;
        }
        *out = j;
        return FP_OK;
}

enum fp_err journal_read(const char *state_dir, const char *id, json_t **out, struct fp_diag *d)
{
        char path[4200];
        *out = NULL;
        if (!id_ok(id)) {
                fp_diag_set(d, state_dir, 0, "id", "not a job id");
                return FP_EINVAL;
        }
        snprintf(path, sizeof(path), "%s/jobs/%s.json", state_dir, id);
        FILE *f = fopen(path, "re");
        if (!f) {
                int errsv = errno;
                fp_diag_set(d, path, 0, NULL, "cannot open: %s", strerror(errsv));
                return errsv == ENOENT ? FP_ENOENT : FP_EIO;
        }
        /* one byte more than the limit, so journal_parse sees a file that is too long */
        size_t cap = 64 * 1024, len = 0;
        char *text = malloc(cap);
        while (text) {
                if (len == cap) {
                        size_t ncap = cap * 2 > (size_t)JOURNAL_MAX_FILE + 1
                                          ? (size_t)JOURNAL_MAX_FILE + 1
                                          : cap * 2;
                        char *grown = ncap > cap ? realloc(text, ncap) : NULL;
                        if (!grown)
                                break;
                        text = grown;
                        cap = ncap;
                }
                size_t got = fread(text + len, 1, cap - len, f);
                len += got;
                if (got == 0)
                        break;
        }
        bool failed = ferror(f) != 0;
        fclose(f);
        if (!text || (len == cap && cap <= JOURNAL_MAX_FILE)) {
                free(text);
                fp_diag_set(d, path, 0, NULL, "out of memory");
                return FP_ENOMEM;
        }
        if (failed) {
                free(text);
                fp_diag_set(d, path, 0, NULL, "cannot read");
                return FP_EIO;
        }
        enum fp_err err = journal_parse(text, len, out, d);
        free(text);
        if (err == FP_OK && !same_id(*out, id)) {
                json_decref(*out);
                *out = NULL;
                fp_diag_set(d, path, 0, "id", "not a job journal: the journal of another job");
                return FP_ECORRUPT;
        }
        if (err != FP_OK)
                fp_diag_where(d, path, 0, NULL);
        return err;
}

/* Every journal id in STATE/jobs, sorted (the file name is the id). */
static enum fp_err list_ids(const char *state_dir, char (**ids)[17], size_t *n, struct fp_diag *d)
{
        char dir[4096];
        *ids = NULL;
        *n = 0;
        jobs_dir(state_dir, dir, sizeof(dir));
        DIR *dh = opendir(dir);
        if (!dh) {
                if (errno == ENOENT)
                        return FP_OK;
                fp_diag_set(d, dir, 0, NULL, "cannot list: %s", strerror(errno));
                return FP_EIO;
        }
        size_t cap = 0;
        struct dirent *de;
        enum fp_err err = FP_OK;
        while ((de = readdir(dh)) != NULL) {
                size_t len = strlen(de->d_name);
                if (len != 21 || strcmp(de->d_name + 16, ".json") != 0)
                        continue;
                char id[17];
                memcpy(id, de->d_name, 16);
                id[16] = '\0';
                if (!id_ok(id))
                        continue;
                if (*n == cap) {
                        cap = cap ? cap * 2 : 16;
                        char(*grown)[17] = realloc(*ids, cap * sizeof(**ids));
                        if (!grown) {
                                err = FP_ENOMEM;
                                break;
                        }
                        *ids = grown;
                }
                memcpy((*ids)[(*n)++], id, 17);
        }
        closedir(dh);
        if (err != FP_OK) {
                free(*ids);
                *ids = NULL;
                *n = 0;
                return err;
        }
        if (*n > 1)
                qsort(*ids, *n, sizeof(**ids), (int (*)(const void *, const void *))strcmp);
        return FP_OK;
}

enum fp_err journal_unfinished(const char *state_dir, char (**ids)[17], size_t *n,
                               struct fp_diag *d)
{
        size_t all;
        enum fp_err err = list_ids(state_dir, ids, &all, d);
        *n = 0;
        if (err != FP_OK)
                return err;
        for (size_t i = 0; i < all; i++) {
                json_t *j;
                struct fp_diag ignored;
                /* a journal that cannot be read cannot be resumed either: the job stays
                 * with the server, which times it out */
                if (journal_read(state_dir, (*ids)[i], &j, &ignored) != FP_OK)
                        continue;
                if (journal_phase_of(j) != J_FINISHED)
                        memmove((*ids)[(*n)++], (*ids)[i], 17);
                json_decref(j);
        }
        return FP_OK;
}

/* A transaction that changed packages: what a rollback by job id needs. */
static bool is_rollback_source(const json_t *j)
{
        const char *type = json_string_value(json_object_get(j, "type"));
        if (!type || (strcmp(type, "install") != 0 && strcmp(type, "upgrade-approved") != 0 &&
                      strcmp(type, "rollback") != 0))
                return false;
        return json_array_size(json_object_get(j, "plan")) > 0 &&
               !json_is_true(json_object_get(json_object_get(j, "result"), "simulated"));
}

struct aged {
        char id[17];
        int64_t updated;
        bool txn;
};

static int newest_first(const void *a, const void *b)
{
        const struct aged *x = a, *y = b;
        if (x->updated != y->updated)
                return x->updated > y->updated ? -1 : 1;
        return strcmp(x->id, y->id);
}

/*
 * Package files kept for rollbacks (STATE/packages) that no journal refers to any more: their
 * journals were pruned, so no rollback can ask for them. A file some journal names stays.
 */
static enum fp_err prune_packages(const char *state_dir, struct fp_diag *d)
{
        char(*ids)[17];
        size_t n;
        enum fp_err err = list_ids(state_dir, &ids, &n, d);
        if (err != FP_OK)
                return err;
        json_t *wanted = json_object();
        if (!wanted) {
                free(ids);
                return FP_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *j, *k;
                size_t x;
                struct fp_diag ignored;
                if (journal_read(state_dir, ids[i], &j, &ignored) != FP_OK) {
                        /* a journal we cannot read may still name files: keep them all */
                        free(ids);
                        json_decref(wanted);
                        return FP_OK;
                }
                json_array_foreach(json_object_get(j, "kept"), x, k)
                {
                        const char *path = json_string_value(json_object_get(k, "path"));
                        if (path)
                                json_object_set_new(wanted, path, json_true());
                }
                json_decref(j);
        }
        free(ids);
        char dir[4096], path[4096 + 256];
        snprintf(dir, sizeof(dir), "%s/packages", state_dir);
        DIR *dh = opendir(dir);
        if (dh) {
                struct dirent *e;
                while ((e = readdir(dh)) != NULL) {
                        if (e->d_name[0] == '.' || e->d_type != DT_REG)
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        if (!json_object_get(wanted, path))
                                (void)unlink(path);
                }
                closedir(dh);
        }
        json_decref(wanted);
        return FP_OK;
}

enum fp_err journal_prune(const char *state_dir, int64_t max_age, int64_t now, size_t *removed,
                          struct fp_diag *d)
{
        char(*ids)[17];
        size_t n, done = 0;
        enum fp_err err = list_ids(state_dir, &ids, &n, d);
        if (removed)
                *removed = 0;
        if (err != FP_OK)
                return err;
        struct aged *fin = calloc(n ? n : 1, sizeof(*fin));
        size_t nf = 0;
        if (!fin) {
                free(ids);
                return FP_ENOMEM;
        }
        for (size_t i = 0; ids && i < n; i++) {
                json_t *j;
                struct fp_diag ignored;
                if (journal_read(state_dir, ids[i], &j, &ignored) != FP_OK)
                        continue;
                if (journal_phase_of(j) == J_FINISHED) {
                        memcpy(fin[nf].id, ids[i], 17);
                        fin[nf].updated = json_integer_value(json_object_get(j, "updated"));
                        fin[nf].txn = is_rollback_source(j);
                        nf++;
                }
                json_decref(j);
        }
        qsort(fin, nf, sizeof(*fin), newest_first);
        size_t txns = 0;
        for (size_t i = 0; i < nf; i++) {
                bool keep = fin[i].updated >= now - max_age;
                if (fin[i].txn && txns++ < JOURNAL_KEEP_TRANSACTIONS)
                        keep = true;
                if (keep)
                        continue;
                char name[32], dir[4096];
                jobs_dir(state_dir, dir, sizeof(dir));
                snprintf(name, sizeof(name), "%s.json", fin[i].id);
                state_remove(dir, name);
                done++;
        }
        free(fin);
        free(ids);
        if (removed)
                *removed = done;
        return prune_packages(state_dir, d);
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

json_t *journal_plan_json(const struct be_plan *plan)
{
        json_t *arr = json_array();
        for (size_t i = 0; arr && plan && i < plan->count; i++) {
                const struct be_change *c = &plan->changes[i];
                json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o}", "action", be_action_name(c->action),
                                      "name", c->name, "arch", str_or_null(c->arch), "from",
                                      str_or_null(c->from), "to", str_or_null(c->to));
                if (!o || json_array_append_new(arr, o) != 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return arr;
}

static bool action_parse(const char *s, enum be_action *out)
{
        for (int a = BE_INSTALL; a <= BE_REMOVE; a++) {
                if (s && strcmp(s, be_action_name((enum be_action)a)) == 0) {
                        *out = (enum be_action)a;
                        return true;
                }
        }
        return false;
}

/* A plan's string: NULL (missing or null), or 1..max bytes without blanks or control
 * characters, copied into the arena. *ok goes false for anything else. */
static const char *dup_or_null(struct fp_arena *a, const json_t *v, size_t max, bool *ok)
{
        if (json_is_null(v) || !v)
                return NULL;
        const char *s = json_string_value(v);
        size_t n = s ? strlen(s) : 0;
        if (!s || n == 0 || n > max || n != json_string_length(v)) {
                *ok = false;
                return NULL;
        }
        for (const char *p = s; *p; p++) {
                if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
                        *ok = false;
                        return NULL;
                }
        }
        const char *c = fp_arena_strdup(a, s);
        if (!c)
                *ok = false;
        return c;
}

enum fp_err journal_plan_parse(const json_t *arr, struct be_plan *plan, struct fp_diag *d)
{
        memset(plan, 0, sizeof(*plan));
        fp_arena_init(&plan->arena);
        if (!arr)
                return FP_OK;
        if (!json_is_array(arr)) {
                fp_diag_set(d, NULL, 0, "plan", "not an array");
                return FP_ECORRUPT;
        }
        size_t n = json_array_size(arr);
        if (n > JOURNAL_MAX_PLAN) {
                fp_diag_set(d, NULL, 0, "plan", "more than %d changes", JOURNAL_MAX_PLAN);
                return FP_ECORRUPT;
        }
        plan->changes = fp_arena_alloc(&plan->arena, (n + 1) * sizeof(*plan->changes));
        if (!plan->changes) {
                fp_diag_set(d, NULL, 0, "plan", "out of memory");
                return FP_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const json_t *o = json_array_get(arr, i);
                struct be_change *c = &plan->changes[i];
                bool ok = json_is_object(o) &&
                          action_parse(json_string_value(json_object_get(o, "action")), &c->action);
                if (ok) {
                        c->name = dup_or_null(&plan->arena, json_object_get(o, "name"),
                                              FP_MAX_NAME_LEN, &ok);
                        c->arch = dup_or_null(&plan->arena, json_object_get(o, "arch"),
                                              FP_MAX_NAME_LEN, &ok);
                        c->from = dup_or_null(&plan->arena, json_object_get(o, "from"),
                                              FP_MAX_VERSION_LEN, &ok);
                        c->to = dup_or_null(&plan->arena, json_object_get(o, "to"),
                                            FP_MAX_VERSION_LEN, &ok);
                }
                if (!ok || !c->name) {
                        fp_diag_set(d, NULL, 0, "plan", "change %zu is malformed", i);
                        be_plan_release(plan);
                        fp_arena_init(&plan->arena);
                        return FP_ECORRUPT;
                }
        }
        plan->count = n;
        return FP_OK;
}
