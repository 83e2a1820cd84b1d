/*
 * Debian security tracker JSON export (security-tracker.debian.org/tracker/data/json):
 *
 *   {source_package: {CVE-id: {description, scope, debianbug?,
 *                              releases: {codename: {status, repositories: {suite: version},
 *                                                    fixed_version?, urgency, nodsa?,
 *                                                    nodsa_reason?}}}}}
 *
 * The export is package-major but we emit one advisory per CVE id (or the tracker's own
 * "TEMP-0000000-XXXXXX" ids), with one affected entry per (source package, release). So every
 * (package, id) pair is collected first and sorted by id; each run of equal ids is one advisory.
 * That is O(n log n) over ~40k pairs and keeps no per-id hash map.
 *
 * State of one release (status, fixed_version, nodsa, nodsa_reason, urgency):
 *
 *   "resolved" + fixed_version "0"   -> NOT_AFFECTED (the tracker's "never affected" sentinel)
 *   "resolved" + fixed_version V     -> AFFECTED, fixed = V (V must be a valid Debian version)
 *   "resolved" without fixed_version -> record rejected
 *   "open" + nodsa_reason "ignored"  -> WONTFIX, note = the nodsa text
 *   "open" + nodsa_reason "postponed"-> POSTPONED, note = the nodsa text
 *   "open" + any other nodsa         -> NODSA, note = the nodsa text ("Minor issue", ...)
 *   "open" + urgency "end-of-life"   -> WONTFIX, note "end-of-life" (the export's way of saying
 *                                       the package lost security support in that release)
 *   "open"                           -> AFFECTED, unfixed
 *   "undetermined"                   -> UNDETERMINED
 *   any other status                 -> record rejected
 *
 * The urgency gives affected.severity through fp_severity_parse ("high**" = high,
 * "unimportant" = negligible, "not yet assigned" and unknown words = UNKNOWN, never a reject);
 * the advisory severity is the highest of them. The summary is the first line of the first
 * non-empty description, bounded. References: the tracker page, then one
 * https://bugs.debian.org/N per distinct debianbug.
 *
 * A broken (package, id) entry rejects the whole advisory of that id: emitting the other
 * packages alone would present a partial record as complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"
#include "vuln/feeds/common.h"
#include "vuln/json.h"

/* Bytes of the description kept as the summary (cut at a UTF-8 character boundary). */
#define SUMMARY_MAX 1024
#define TRACKER_URL "https://security-tracker.debian.org/tracker/"
#define BUG_URL "https://bugs.debian.org/"

/* One (source package, id) entry of the export. */
struct pair {
        const char *id;
        const char *pkg;
        const json_t *entry;
};

struct tracker {
        const char *name;
        const struct fp_feed_sink *sink;
        struct pair *pairs;
        size_t npairs, pairs_cap;
        /* The advisory being built; reused from one id to the next. */
        struct fp_arena arena;
        struct fp_vuln_affected *aff;
        size_t naff, aff_cap;
        const char **refs;
        size_t nrefs, refs_cap;
        const char *summary;
        enum fp_severity severity;
        bool oom; /* an allocation failed: the parse stops with FP_ENOMEM, not a reject */
};

/*
 * diag->field = "pkg/id[/releases/rel][/key]" where key is what a getter left in diag->field
 * (or `key` when given), so a reject names the exact JSON path.
 * Private: it builds the path from a pair, not a format like fp_feed_set_path.
 */
static void set_path(struct fp_diag *d, const char *file, const struct pair *p, const char *rel,
                     const char *key)
{
        char k[FP_DIAG_FIELD_MAX], path[4 * FP_MAX_ADVISORY_ID_LEN + 32];
        snprintf(k, sizeof(k), "%s", key ? key : d->field);
        if (rel)
                snprintf(path, sizeof(path), "%s/%s/releases/%s%s%s", p->pkg, p->id, rel,
                         k[0] ? "/" : "", k);
        else
                snprintf(path, sizeof(path), "%s/%s%s%s", p->pkg, p->id, k[0] ? "/" : "", k);
        /* A long path is cut to FP_DIAG_FIELD_MAX; its head names the entry anyway. */
        fp_diag_where(d, file, 0, path);
}

static void reject(const struct tracker *t, const char *id, const struct fp_diag *why)
{
        if (t->sink->reject)
                t->sink->reject(t->sink->ud, id, why);
}

/* ---- collecting and grouping ------------------------------------------------------------- */

static int cmp_pair(const void *a, const void *b)
{
        const struct pair *x = a, *y = b;
        int c = strcmp(x->id, y->id);
        return c ? c : strcmp(x->pkg, y->pkg);
}

/* Every (package, id) pair of the root object into t->pairs; broken packages are rejected. */
static enum fp_err collect_pairs(struct tracker *t, const json_t *root, struct fp_diag *diag)
{
        const char *pkg, *id;
        const json_t *cves, *entry;
        struct fp_diag d;

        json_object_foreach((json_t *)root, pkg, cves)
        {
                if (!fp_feed_valid_token(pkg) || !json_is_object(cves)) {
                        fp_diag_set(&d, t->name, 0, "", "%s",
                                    json_is_object(cves) ? "bad source package name"
                                                         : "package entry is not an object");
                        snprintf(d.field, sizeof(d.field), "%.*s", FP_DIAG_FIELD_MAX - 1, pkg);
                        reject(t, "", &d);
                        continue;
                }
                json_object_foreach((json_t *)cves, id, entry)
                {
                        if (!fp_feed_valid_token(id)) {
                                fp_diag_set(&d, t->name, 0, "", "bad vulnerability id");
                                snprintf(d.field, sizeof(d.field), "%s/%.32s", pkg, id);
                                reject(t, "", &d);
                                continue;
                        }
                        if (t->npairs >= FP_MAX_FEED_RECORDS) {
                                fp_diag_set(diag, t->name, 0, "",
                                            "more than %d package entries in the feed",
                                            FP_MAX_FEED_RECORDS);
                                return FP_ELIMIT;
                        }
                        if (!fp_feed_grow((void **)&t->pairs, &t->pairs_cap, t->npairs + 1,
                                          sizeof(*t->pairs)))
                                return FP_ENOMEM;
                        t->pairs[t->npairs++] = (struct pair){id, pkg, entry};
                }
        }
        if (t->npairs > 1)
                qsort(t->pairs, t->npairs, sizeof(*t->pairs), cmp_pair);
        return FP_OK;
}

/* ---- one release of one entry ------------------------------------------------------------ */

static bool check_version(const char *v, struct fp_diag *d)
{
        struct fp_debver dv;
        struct fp_diag vd;
        fp_diag_clear(&vd);
        if (fp_deb_version_parse(v, strlen(v), &dv, &vd) == FP_VERSION_ERROR) {
                fp_diag_msg(d, "not a Debian version '%.64s': %s", v, vd.msg);
                return false;
        }
        return true;
}

/* Status, fixed_version and nodsa of one release into a->state, a->fixed and a->note. */
static bool map_state(const json_t *rel, struct fp_vuln_affected *a, const char **badkey,
                      struct fp_diag *d)
{
        const char *status, *fixed, *urgency, *nodsa, *reason;
        if (!fp_json_get_str(rel, "status", true, 64, &status, d) ||
            !fp_json_get_str(rel, "fixed_version", false, FP_MAX_VERSION_LEN, &fixed, d) ||
            !fp_json_get_str(rel, "urgency", false, 64, &urgency, d) ||
            !fp_json_get_str(rel, "nodsa", false, SUMMARY_MAX, &nodsa, d) ||
            !fp_json_get_str(rel, "nodsa_reason", false, 64, &reason, d))
                return false;
        if (fixed && !check_version(fixed, d)) {
                *badkey = "fixed_version";
                return false;
        }
        (void)fp_severity_parse(urgency, &a->severity); /* unknown words stay UNKNOWN */
        if (strcmp(status, "resolved") == 0) {
                if (!fixed) {
                        *badkey = "fixed_version";
                        fp_diag_msg(d, "status resolved without a fixed_version");
                        return false;
                }
                if (strcmp(fixed, "0") == 0) {
                        a->state = FP_VS_NOT_AFFECTED;
                } else {
                        a->state = FP_VS_AFFECTED;
                        a->fixed = fixed;
                }
        } else if (strcmp(status, "open") == 0) {
                a->state = FP_VS_AFFECTED;
                if (nodsa || reason) {
                        if (reason && strcmp(reason, "ignored") == 0)
                                a->state = FP_VS_WONTFIX;
                        else if (reason && strcmp(reason, "postponed") == 0)
                                a->state = FP_VS_POSTPONED;
                        else
                                a->state = FP_VS_NODSA;
                        a->note = nodsa && *nodsa ? nodsa : NULL;
                } else if (urgency && strcmp(urgency, "end-of-life") == 0) {
                        a->state = FP_VS_WONTFIX;
                        a->note = "end-of-life";
                }
        } else if (strcmp(status, "undetermined") == 0) {
                a->state = FP_VS_UNDETERMINED;
        } else {
                *badkey = "status";
                fp_diag_msg(d, "unknown status '%.64s'", status);
                return false;
        }
        return true;
}

static bool add_release(struct tracker *t, const struct pair *p, const char *relname,
                        const json_t *rel, struct fp_diag *d)
{
        const char *badkey = NULL;
        if (!fp_feed_valid_token(relname)) {
                fp_diag_set(d, t->name, 0, "", "bad release name");
                set_path(d, t->name, p, NULL, "releases");
                return false;
        }
        if (!json_is_object(rel)) {
                fp_diag_set(d, t->name, 0, "", "release entry is not an object");
                set_path(d, t->name, p, relname, "");
                return false;
        }
        if (t->naff >= FP_MAX_AFFECTED) {
                fp_diag_set(d, t->name, 0, "", "more than %d affected entries", FP_MAX_AFFECTED);
                set_path(d, t->name, p, NULL, "releases");
                return false;
        }
        if (!fp_feed_grow((void **)&t->aff, &t->aff_cap, t->naff + 1, sizeof(*t->aff))) {
                t->oom = true;
                return false;
        }
        struct fp_vuln_affected a = {
            .distro = "debian", .release = relname, .package = p->pkg, .source = true};
        fp_diag_clear(d);
        if (!map_state(rel, &a, &badkey, d)) {
                set_path(d, t->name, p, relname, badkey);
                return false;
        }
        if (a.severity > t->severity)
                t->severity = a.severity;
        t->aff[t->naff++] = a;
        return true;
}

/* ---- one (package, id) entry ------------------------------------------------------------- */

static bool add_ref(struct tracker *t, const char *url)
{
        for (size_t i = 0; i < t->nrefs; i++)
                if (strcmp(t->refs[i], url) == 0)
                        return true;
        if (t->nrefs >= FP_MAX_REFS)
                return false;
        if (!fp_feed_grow((void **)&t->refs, &t->refs_cap, t->nrefs + 1, sizeof(*t->refs))) {
                t->oom = true;
                return false;
        }
        t->refs[t->nrefs++] = url;
        return true;
}

/* First line of the description, at most SUMMARY_MAX bytes, not cutting a UTF-8 sequence. */
static const char *make_summary(struct tracker *t, const char *desc)
{
        size_t n = strcspn(desc, "\r\n");
        while (n > 0 && (desc[n - 1] == ' ' || desc[n - 1] == '\t'))
                n--;
        if (n > SUMMARY_MAX) {
                n = SUMMARY_MAX;
                while (n > 0 && ((unsigned char)desc[n] & 0xc0) == 0x80)
                        n--;
        }
        if (n == 0)
                return NULL;
        const char *s = fp_arena_strndup(&t->arena, desc, n);
        if (!s)
                t->oom = true;
        return s;
}

static bool add_bug(struct tracker *t, const struct pair *p, const json_t *entry, struct fp_diag *d)
{
        const json_t *bug = json_object_get(entry, "debianbug");
        if (!bug || json_is_null(bug))
                return true;
        if (!json_is_integer(bug) || json_integer_value(bug) <= 0) {
                fp_diag_set(d, t->name, 0, "", "debianbug is not a positive integer");
                set_path(d, t->name, p, NULL, "debianbug");
                return false;
        }
        char url[64];
        snprintf(url, sizeof(url), BUG_URL "%lld", (long long)json_integer_value(bug));
        const char *copy = fp_arena_strdup(&t->arena, url);
        if (!copy)
                t->oom = true;
        if (!copy || !add_ref(t, copy)) {
                fp_diag_set(d, t->name, 0, "", "more than %d references", FP_MAX_REFS);
                set_path(d, t->name, p, NULL, "debianbug");
                return false;
        }
        return true;
}

static bool add_entry(struct tracker *t, const struct pair *p, struct fp_diag *d)
{
        const json_t *e = p->entry, *rels, *rel;
        const char *desc, *relname;

        if (!json_is_object(e)) {
                fp_diag_set(d, t->name, 0, "", "entry is not an object");
                set_path(d, t->name, p, NULL, "");
                return false;
        }
        fp_diag_clear(d);
        if (!fp_json_get_str(e, "description", false, FP_MAX_RECORD_SIZE, &desc, d)) {
                set_path(d, t->name, p, NULL, NULL);
                return false;
        }
        if (desc && !t->summary)
                t->summary = make_summary(t, desc);
        if (!add_bug(t, p, e, d))
                return false;
        rels = json_object_get(e, "releases");
        /* An empty map sometimes comes out as [] (seen in vunnel's copy): no releases. */
        if (!rels || json_is_null(rels) || (json_is_array(rels) && json_array_size(rels) == 0))
                return true;
        if (!json_is_object(rels)) {
                fp_diag_set(d, t->name, 0, "", "releases is not an object");
                set_path(d, t->name, p, NULL, "releases");
                return false;
        }
        json_object_foreach((json_t *)rels, relname, rel)
        {
                if (!add_release(t, p, relname, rel, d))
                        return false;
        }
        return true;
}

/* ---- one advisory ------------------------------------------------------------------------ */

static void reset_advisory(struct tracker *t)
{
        fp_arena_release(&t->arena);
        fp_arena_init(&t->arena);
        t->naff = 0;
        t->nrefs = 0;
        t->summary = NULL;
        t->severity = FP_SEV_UNKNOWN;
}

/* The pairs [first, first + n) share one id. */
static enum fp_err emit_group(struct tracker *t, const struct pair *first, size_t n)
{
        const char *id = first->id;
        struct fp_diag d;
        char url[sizeof(TRACKER_URL) + FP_MAX_ADVISORY_ID_LEN];

        reset_advisory(t);
        snprintf(url, sizeof(url), TRACKER_URL "%s", id);
        const char *tracker_url = fp_arena_strdup(&t->arena, url);
        if (!tracker_url || !add_ref(t, tracker_url))
                return FP_ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!add_entry(t, &first[i], &d)) {
                        if (t->oom)
                                return FP_ENOMEM;
                        reject(t, id, &d);
                        return FP_OK;
                }
        }
        if (t->naff == 0) {
                if (t->sink->skip)
                        t->sink->skip(t->sink->ud, id, "no release data");
                return FP_OK;
        }
        const struct fp_vuln_advisory adv = {
            .id = id,
            .kind = FP_FEED_DEBIAN_TRACKER,
            .summary = t->summary,
            .severity = t->severity,
            .cvss_score = -1.0,
            .refs = t->refs,
            .nrefs = t->nrefs,
            .affected = t->aff,
            .naffected = t->naff,
        };
        if (t->oom)
                return FP_ENOMEM;
        return t->sink->advisory ? t->sink->advisory(t->sink->ud, &adv) : FP_OK;
}

enum fp_err fp_feed_parse_debian_tracker(const char *data, size_t len, const char *name,
                                         const struct fp_feed_sink *sink, struct fp_diag *diag)
{
        struct tracker t = {.name = name ? name : "", .sink = sink};
        enum fp_err err;

        fp_diag_clear(diag);
        json_t *root = fp_json_load(data, len, t.name, &err, diag);
        if (!root)
                return err;
        if (!json_is_object(root)) {
                json_decref(root);
                fp_diag_set(diag, t.name, 0, "", "top level is not an object of source packages");
                return FP_EPARSE;
        }
        fp_arena_init(&t.arena);
        err = collect_pairs(&t, root, diag);
        for (size_t i = 0; err == FP_OK && i < t.npairs;) {
                size_t j = i + 1;
                while (j < t.npairs && strcmp(t.pairs[j].id, t.pairs[i].id) == 0)
                        j++;
                err = emit_group(&t, &t.pairs[i], j - i);
                i = j;
        }
        if (err != FP_OK && diag && diag->msg[0] == '\0')
                fp_diag_set(diag, t.name, 0, "", "%s", fp_strerror(err));
        fp_arena_release(&t.arena);
        free(t.pairs);
        free(t.aff);
        free(t.refs);
        json_decref(root);
        return err;
}
