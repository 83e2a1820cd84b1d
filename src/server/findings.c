/*
 * Server-side findings: the host's reported packages matched against the vulnerability
 * database with the same engine as `fleetpatch vulns` (one fp_vindex per distro/release,
 * whose evaluated tuples are shared by every host of that release). The database file is
 * re-opened when it changes (feeds imported by `fleetpatch feeds import --db`).
 * One lock: the index caches evaluations as it goes, and matching a host takes milliseconds.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleetpatch/match.h"
#include "fleetpatch/vulndb.h"
#include "fleetpatch/wire.h"
#include "server/server.h"
#include "server/track.h"

#define MAX_INDEXES 64

struct fp_findings_engine {
        pthread_mutex_t mu;
        char path[700];
        struct fp_vulndb *db;
        struct timespec mtime, wal_mtime;
        off_t size, wal_size;
        struct {
                char key[128];
                struct fp_vindex *ix;
        } idx[MAX_INDEXES];
        size_t nidx;
        /* the one index of every release the database has no entries for (index_for) */
        struct fp_vindex *empty;
};

static void drop(struct fp_findings_engine *e)
{
        for (size_t i = 0; i < e->nidx; i++)
                fp_vindex_free(e->idx[i].ix);
        e->nidx = 0;
        fp_vindex_free(e->empty);
        e->empty = NULL;
        fp_vulndb_close(e->db);
        e->db = NULL;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Open (or re-open after a change) the database; false when there is none. Lock held.
 * The database is in WAL mode: an import by `fleetpatch feeds import` while this process
 * holds the file open lands in FILE-wal and leaves the main file untouched until a
 * checkpoint, so a change of either file counts. */
static bool refresh(struct fp_findings_engine *e)
{
        struct stat st, wst;
        if (stat(e->path, &st) != 0) {
                drop(e);
                return false;
        }
        char wal[720];
        snprintf(wal, sizeof(wal), "%s-wal", e->path);
        /* an empty or missing FILE-wal holds nothing: its mtime changes whenever a process
         * opens or closes the database, which must not re-open it in every replica */
        if (stat(wal, &wst) != 0 || wst.st_size == 0)
                memset(&wst, 0, sizeof(wst));
        if (e->db && same_time(&st.st_mtim, &e->mtime) && st.st_size == e->size &&
            same_time(&wst.st_mtim, &e->wal_mtime) && wst.st_size == e->wal_size)
                return true;
        drop(e);
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_vulndb_open(e->path, &e->db, &diag) != FP_OK) {
                char msg[600];
                fp_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "fleetpatchd: vulnerability database: %s\n", msg);
                e->db = NULL;
                return false;
        }
        e->mtime = st.st_mtim;
        e->size = st.st_size;
        e->wal_mtime = wst.st_mtim;
        e->wal_size = wst.st_size;
        return true;
}

enum fp_err fp_findings_engine_open(const char *vulndb_path, struct fp_findings_engine **out)
{
        struct fp_findings_engine *e = calloc(1, sizeof(*e));
        if (!e)
                return FP_ENOMEM;
        pthread_mutex_init(&e->mu, NULL);
        snprintf(e->path, sizeof(e->path), "%s", vulndb_path);
        *out = e;
        return FP_OK;
}

void fp_findings_engine_close(struct fp_findings_engine *e)
{
        if (!e)
                return;
        drop(e);
        pthread_mutex_destroy(&e->mu);
        free(e);
}

bool fp_findings_available(struct fp_findings_engine *e)
{
        pthread_mutex_lock(&e->mu);
        bool ok = refresh(e);
        pthread_mutex_unlock(&e->mu);
        return ok;
}

bool fp_findings_version(struct fp_findings_engine *e, char out[65])
{
        pthread_mutex_lock(&e->mu);
        bool ok = refresh(e);
        struct fp_arena a;
        fp_arena_init(&a);
        struct fp_feed_status *f = NULL;
        size_t n = 0;
        struct fp_diag d;
        fp_diag_clear(&d);
        if (ok && fp_vulndb_feeds(e->db, &a, &f, &n, &d) != FP_OK)
                ok = false;
        if (ok) {
                /* what each feed holds: its content digest (or, for a feed without one, when
                 * it was last imported) and its record count; a re-import of the same content
                 * is no change */
                crypto_hash_sha256_state st;
                crypto_hash_sha256_init(&st);
                for (size_t i = 0; i < n; i++) {
                        char line[1024];
                        int len = snprintf(line, sizeof(line), "%s\037%s\037%lld\037%lld\n",
                                           f[i].name ? f[i].name : "",
                                           f[i].content_sha256 ? f[i].content_sha256 : "",
                                           f[i].content_sha256 && *f[i].content_sha256
                                               ? 0LL
                                               : (long long)f[i].last_good,
                                           (long long)f[i].advisories);
                        if (len > 0)
                                crypto_hash_sha256_update(&st, (const unsigned char *)line,
                                                          (size_t)len < sizeof(line) ? (size_t)len
                                                                                     : sizeof(line) - 1);
                }
                unsigned char h[crypto_hash_sha256_BYTES];
                crypto_hash_sha256_final(&st, h);
                sodium_bin2hex(out, 65, h, sizeof(h));
        }
        fp_arena_release(&a);
        pthread_mutex_unlock(&e->mu);
        return ok;
}

static struct fp_vindex *index_for(struct fp_findings_engine *e, const char *distro,
                                   const char *release)
{
        char key[128];
        snprintf(key, sizeof(key), "%s/%s", distro, release);
        for (size_t i = 0; i < e->nidx; i++)
                if (!strcmp(e->idx[i].key, key))
                        return e->idx[i].ix;
        if (e->nidx == MAX_INDEXES)
                return NULL;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        struct fp_vindex *ix;
        if (fp_vindex_load(e->db, distro, release, &ix, &diag) != FP_OK)
                return NULL;
        if (!fp_vindex_entries(ix)) {
                /* a release the database names nothing for, perhaps one an agent made up: an
                 * empty index yields no findings whatever the release, so one serves them all
                 * and inventories cannot fill the slots of the releases the database knows */
                if (!e->empty)
                        e->empty = ix;
                else
                        fp_vindex_free(ix);
                return e->empty;
        }
        snprintf(e->idx[e->nidx].key, sizeof(e->idx[e->nidx].key), "%s", key);
        e->idx[e->nidx++].ix = ix;
        return ix;
}

/* Host tags as "k=v" strings for the score policy and exceptions. */
static size_t tag_list(const char *tags_json, char buf[][320], const char **out, size_t max)
{
        json_t *t = fp_json_stored(tags_json);
        const char *k;
        json_t *v;
        size_t n = 0;
        json_object_foreach(t, k, v) {
                if (n == max || !json_is_string(v))
                        continue;
                snprintf(buf[n], 320, "%s=%s", k, json_string_value(v));
                out[n] = buf[n];
                n++;
        }
        json_decref(t);
        return n;
}

/* Match, apply exceptions, attach fixing updates, score. Lock held; hf released by caller. */
static enum fp_err assess(struct fp_findings_engine *e, const struct fp_wire_inventory *w,
                          const char *hostname, const char *tags_json,
                          struct fp_host_findings *hf, struct fp_diag *diag)
{
        memset(hf, 0, sizeof(*hf));
        if (!refresh(e) || !w->inv.distro || !w->inv.release)
                return FP_ENOTFOUND;
        struct fp_vindex *ix = index_for(e, w->inv.distro, w->inv.release);
        if (!ix)
                return FP_ENOTFOUND;
        enum fp_err err = fp_match_host(ix, &w->inv, hf, diag);
        if (err != FP_OK)
                return err;
        static char tagbuf[FP_MAX_TAGS][320];
        const char *tags[FP_MAX_TAGS];
        size_t ntags = tag_list(tags_json, tagbuf, tags, FP_MAX_TAGS);
        err = fp_apply_exceptions(e->db, hf, hostname, tags, ntags, diag);
        if (err != FP_OK)
                return err;
        struct fp_score_policy policy;
        fp_score_policy_default(&policy);
        for (size_t i = 0; i < ntags; i++)
                (void)fp_score_policy_tag(&policy, tags[i], NULL); /* bad values: defaults */
        for (size_t i = 0; i < hf->count; i++) {
                struct fp_finding *f = &hf->items[i];
                if (!f->fixed)
                        continue;
                for (size_t u = 0; u < w->update_count; u++) {
                        const struct fp_wire_update *up = &w->updates[u];
                        if (strcmp(up->name, f->pkg->name) || strcmp(up->arch, f->pkg->arch))
                                continue;
                        if (fp_vercmp(w->inv.scheme, up->candidate, f->fixed) >= 0)
                                f->update = up->candidate;
                        break;
                }
        }
        fp_score_findings(hf, &policy);
        return FP_OK;
}

/* The exposures history (docs/tracking.md): exposed findings and those an exception covers,
 * copied out under the lock (they point into the index). */
static void collect_exposures(const struct fp_host_findings *hf, const struct fp_wire_inventory *w,
                              struct fp_expo_set *set)
{
        set->assessed = true;
        set->scheme = fp_scheme_name(w->inv.scheme);
        for (size_t i = 0; i < hf->count; i++) {
                const struct fp_finding *f = &hf->items[i];
                bool excepted = f->status == FP_FIND_ACCEPTED || f->status == FP_FIND_DISMISSED;
                if (!fp_finding_exposed(f->status) && !excepted)
                        continue;
                struct fp_expo_item it = {.vuln = f->vuln,
                                          .package = f->pkg->name,
                                          .arch = f->pkg->arch,
                                          .installed = f->pkg->version,
                                          .fixed = f->fixed ? f->fixed : "",
                                          .advisories = f->advisories ? f->advisories : "",
                                          .severity = fp_severity_name(f->severity),
                                          .kev = f->kev,
                                          .sla_due = f->sla_due,
                                          .exception = excepted ? f->exception_id : 0};
                if (!fp_expo_set_add(set, &it)) {
                        set->assessed = false; /* out of memory: better no sync than a wrong one */
                        return;
                }
        }
}

/* The host's counts from its inventory and its findings (hf NULL: none assessed). */
static void count_findings(const struct fp_wire_inventory *w, const struct fp_host_findings *hf,
                           struct fp_host_counts *c)
{
        memset(c, 0, sizeof(*c));
        c->packages = (int64_t)w->inv.count;
        c->updates = (int64_t)w->update_count;
        for (size_t i = 0; i < w->update_count; i++)
                c->security_updates += w->updates[i].security;
        int64_t now = fp_now();
        for (size_t i = 0; hf && i < hf->count; i++) {
                const struct fp_finding *f = &hf->items[i];
                if (!fp_finding_exposed(f->status))
                        continue;
                if ((unsigned)f->severity < 6)
                        c->sev[f->severity]++;
                c->kev += f->kev;
                c->overdue += f->sla_due && f->sla_due < now;
        }
        c->compliance = c->security_updates || c->kev || c->overdue ? FP_COMPL_NONCOMPLIANT
                                                                    : FP_COMPL_COMPLIANT;
}

/* The findings as JSON objects appended to arr, risk first. */
static enum fp_err findings_json(const struct fp_host_findings *hf, json_t *arr)
{
        for (size_t i = 0; i < hf->count; i++) {
                const struct fp_finding *f = &hf->items[i];
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:s*, s:s*, s:s*, "
                                      "s:s*}",
                                      "vuln", f->vuln, "package", f->pkg->name, "arch",
                                      f->pkg->arch, "installed", f->pkg->version, "status",
                                      fp_finding_status_name(f->status), "severity",
                                      fp_severity_name(f->severity), "kev", f->kev, "score",
                                      f->score, "fixed", f->fixed, "update", f->update,
                                      "advisories", f->advisories, "reasons", f->reasons);
                if (!o)
                        return FP_ENOMEM;
                if (f->cvss >= 0)
                        json_object_set_new(o, "cvss", json_real(f->cvss));
                if (f->epss >= 0)
                        json_object_set_new(o, "epss", json_real(f->epss));
                if (f->sla_due)
                        json_object_set_new(o, "sla_due", json_integer(f->sla_due));
                if (f->published)
                        json_object_set_new(o, "published", json_integer(f->published));
                json_array_append_new(arr, o);
        }
        return FP_OK;
}

json_t *fp_findings_judge(struct fp_findings_engine *e, const struct fp_wire_inventory *w,
                          const char *hostname, const char *tags_json, struct fp_host_counts *c,
                          struct fp_expo_set *set, struct fp_diag *diag)
{
        json_t *arr = json_array();
        if (!arr)
                return NULL;
        struct fp_host_findings hf;
        pthread_mutex_lock(&e->mu);
        enum fp_err err = assess(e, w, hostname, tags_json, &hf, diag);
        if (err == FP_OK && set)
                collect_exposures(&hf, w, set);
        bool assessed = err == FP_OK;
        if (err == FP_ENOTFOUND)
                err = FP_OK; /* no database or release not covered: no findings */
        count_findings(w, assessed ? &hf : NULL, c);
        if (err == FP_OK && assessed)
                err = findings_json(&hf, arr);
        fp_host_findings_release(&hf);
        pthread_mutex_unlock(&e->mu);
        if (err != FP_OK) {
                json_decref(arr);
                return NULL;
        }
        return arr;
}

json_t *fp_findings_list(struct fp_findings_engine *e, const struct fp_wire_inventory *w,
                         const char *hostname, const char *tags_json, struct fp_diag *diag)
{
        struct fp_host_counts unused;
        return fp_findings_judge(e, w, hostname, tags_json, &unused, NULL, diag);
}
