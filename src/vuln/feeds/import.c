/* Import a feed from a file, a directory or a URL into the vulnerability database. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/rpm/rpm.h"
#include "fleetpatch/feeds.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "vuln/feeds/fetch.h"

/* Is the (bounded) prefix of data containing needle? */
static bool head_has(const char *data, size_t len, const char *needle)
{
        size_t n = strlen(needle);
        if (len > 65536)
                len = 65536;
        for (size_t i = 0; i + n <= len; i++)
                if (data[i] == needle[0] && memcmp(data + i, needle, n) == 0)
                        return true;
        return false;
}

bool fp_feed_detect(const char *data, size_t len, enum fp_feed_kind *out)
{
        size_t i = 0;
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                i = 3;
        while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
                i++;
        const char *d = data + i;
        size_t n = len - i;
        if (n && *d == '[') {
                /* "[29 Mar 2023] DSA-5380-1 ..." */
                const char *close = memchr(d, ']', n < 32 ? n : 32);
                if (close && (size_t)(close - d) + 6 <= n) {
                        if (memcmp(close, "] DSA-", 6) == 0) {
                                *out = FP_FEED_DSA;
                                return true;
                        }
                        if (memcmp(close, "] DLA-", 6) == 0) {
                                *out = FP_FEED_DLA;
                                return true;
                        }
                }
        }
        if (n && (*d == '{' || *d == '[')) {
                if (head_has(d, n, "\"catalogVersion\"") || head_has(d, n, "\"cveID\""))
                        *out = FP_FEED_KEV;
                else if (head_has(d, n, "\"csaf_version\""))
                        *out = FP_FEED_CSAF;
                else if (head_has(d, n, "\"updateinfo_id\"") || head_has(d, n, "\"cveids\"") ||
                         head_has(d, n, "\"Cves\""))
                        *out = FP_FEED_RPM_ERRATA;
                else if (head_has(d, n, "\"schema_version\"") ||
                         (head_has(d, n, "\"affected\"") && head_has(d, n, "\"modified\"")))
                        *out = FP_FEED_OSV;
                else if (head_has(d, n, "\"releases\""))
                        *out = FP_FEED_DEBIAN_TRACKER;
                else
                        return false;
                return true;
        }
        if (n >= 6 && (memcmp(d, "cveID,", 6) == 0 || memcmp(d, "\"cveID\"", 7 <= n ? 7 : n) == 0)) {
                *out = FP_FEED_KEV;
                return true;
        }
        if ((n >= 14 && memcmp(d, "#model_version", 14) == 0) ||
            (n >= 9 && memcmp(d, "cve,epss,", 9) == 0)) {
                *out = FP_FEED_EPSS;
                return true;
        }
        return false;
}

static enum fp_err parse(enum fp_feed_kind kind, const char *data, size_t len, const char *name,
                         const struct fp_feed_sink *sink, struct fp_diag *diag)
{
        switch (kind) {
        case FP_FEED_OSV: return fp_feed_parse_osv(data, len, name, sink, diag);
        case FP_FEED_DEBIAN_TRACKER: return fp_feed_parse_debian_tracker(data, len, name, sink, diag);
        case FP_FEED_DSA:
        case FP_FEED_DLA: return fp_feed_parse_debian_list(data, len, name, kind, sink, diag);
        case FP_FEED_RPM_ERRATA: return fp_feed_parse_rpm_errata(data, len, name, sink, diag);
        case FP_FEED_CSAF: return fp_feed_parse_csaf(data, len, name, sink, diag);
        case FP_FEED_KEV: return fp_feed_parse_kev(data, len, name, sink, diag);
        case FP_FEED_EPSS: return fp_feed_parse_epss(data, len, name, sink, diag);
        case FP_FEED__COUNT: break;
        }
        fp_diag_set(diag, name, 0, NULL, "unknown feed kind");
        return FP_EINVAL;
}

/* Decompress (by magic bytes) an in-memory download. */
static enum fp_err decompress(const char *data, size_t len, const char *name, char **out,
                              size_t *outlen, struct fp_diag *diag)
{
        struct fp_reader *r;
        enum fp_err err = fp_reader_open_mem(data, len, name, &r, diag);
        if (err != FP_OK)
                return err;
        struct fp_buf b;
        fp_buf_init(&b, (size_t)FP_MAX_FEED_SIZE);
        char chunk[65536];
        size_t got;
        while ((err = fp_reader_read(r, chunk, sizeof(chunk), &got, diag)) == FP_OK && got > 0)
                if ((err = fp_buf_add(&b, chunk, got)) != FP_OK) {
                        fp_diag_set(diag, name, 0, NULL, "decompressed feed exceeds %ld bytes",
                                    (long)FP_MAX_FEED_SIZE);
                        break;
                }
        fp_reader_free(r);
        if (err != FP_OK) {
                fp_buf_release(&b);
                return err;
        }
        *outlen = b.len;
        *out = fp_buf_take(&b);
        return *out ? FP_OK : FP_ENOMEM;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
        struct fp_sha256 s;
        fp_sha256_init(&s);
        fp_sha256_update(&s, data, len);
        fp_sha256_final_hex(&s, out);
}

static bool is_url(const char *s)
{
        return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
               strncmp(s, "file://", 7) == 0 || strstr(s, "://") != NULL;
}

static void default_name(const struct fp_feed_import_opts *o, enum fp_feed_kind kind,
                         char *out, size_t outsz)
{
        const char *loc = o->location;
        size_t len = strlen(loc);
        while (len > 1 && loc[len - 1] == '/')
                len--;
        size_t start = len;
        while (start > 0 && loc[start - 1] != '/')
                start--;
        snprintf(out, outsz, "%s:%.*s", fp_feed_kind_name(kind), (int)(len - start), loc + start);
}

/* ---- directories of records ---------------------------------------------------------------- */

struct dir_walk {
        const struct fp_feed_import_opts *opts;
        struct fp_import *imp;
        const struct fp_feed_sink *sink;
        enum fp_feed_kind kind;
        bool kind_known;
        struct fp_feed_import_result *res;
        struct fp_sha256 sha; /* over names and contents, in walk order */
        size_t depth;
};

static int name_order(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum fp_err walk_file(struct dir_walk *w, const char *path, struct fp_diag *diag)
{
        char *data = NULL;
        size_t len;
        struct fp_diag d;
        fp_diag_clear(&d);
        enum fp_err err = fp_read_file(path, (size_t)FP_MAX_RECORD_SIZE * 4, &data, &len, &d);
        if (err == FP_ENOMEM)
                return err;
        const struct fp_feed_sink *sink = w->sink;
        if (err == FP_OK) {
                fp_sha256_update(&w->sha, path, strlen(path) + 1);
                fp_sha256_update(&w->sha, data, len);
                enum fp_feed_kind kind = w->kind;
                if (!w->kind_known && !fp_feed_detect(data, len, &kind)) {
                        free(data);
                        if (sink->skip)
                                sink->skip(sink->ud, path, "not a feed format fleetpatch reads");
                        return FP_OK;
                }
                w->res->files++;
                err = parse(kind, data, len, path, sink, &d);
                free(data);
        }
        if (err == FP_ENOMEM)
                return err;
        if (err != FP_OK) {
                /* In a directory each file is a record: a broken file is one rejection. */
                if (!d.file[0])
                        fp_diag_where(&d, path, d.line, d.field[0] ? d.field : NULL);
                sink->reject(sink->ud, path, &d);
        }
        return fp_import_error(w->imp, diag);
}

static enum fp_err walk_dir(struct dir_walk *w, const char *dir, struct fp_diag *diag)
{
        if (++w->depth > 16) {
                fp_diag_set(diag, dir, 0, NULL, "directories nested deeper than 16");
                return FP_ELIMIT;
        }
        DIR *d = opendir(dir);
        if (!d) {
                fp_diag_set(diag, dir, 0, NULL, "%s", strerror(errno));
                return errno == ENOENT ? FP_ENOENT : errno == EACCES ? FP_EACCES : FP_EIO;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        enum fp_err err = FP_OK;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                        continue;
                if (n == FP_MAX_DIR_ENTRIES * 100) {
                        fp_diag_set(diag, dir, 0, NULL, "more than %d entries",
                                    FP_MAX_DIR_ENTRIES * 100);
                        err = FP_ELIMIT;
                        break;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        char **nn = realloc(names, cap * sizeof(*nn));
                        if (!nn) {
                                err = FP_ENOMEM;
                                break;
                        }
                        names = nn;
                }
                if (!(names[n] = strdup(e->d_name))) {
                        err = FP_ENOMEM;
                        break;
                }
                n++;
        }
        closedir(d);
        /* Sorted, so that the content hash and the rejection order do not depend on readdir. */
        if (names)
                qsort(names, n, sizeof(*names), name_order);
        for (size_t i = 0; i < n && err == FP_OK; i++) {
                char path[4096];
                struct stat st;
                if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path) ||
                    lstat(path, &st) != 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        err = walk_dir(w, path, diag);
                else if (S_ISREG(st.st_mode))
                        err = walk_file(w, path, diag);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        w->depth--;
        return err;
}

/* Kind of the first file under dir (sorted walk) that fp_feed_detect recognises. */
static bool first_file_kind(const char *dir, int depth, enum fp_feed_kind *out)
{
        struct dirent **names;
        int n = depth > 16 ? -1 : scandir(dir, &names, NULL, alphasort);
        bool found = false;
        for (int i = 0; i < n; i++) {
                char path[4096];
                struct stat st;
                if (!found && names[i]->d_name[0] != '.' &&
                    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
                            sizeof(path) &&
                    lstat(path, &st) == 0) {
                        if (S_ISDIR(st.st_mode)) {
                                found = first_file_kind(path, depth + 1, out);
                        } else if (S_ISREG(st.st_mode)) {
                                char *data;
                                size_t len;
                                if (fp_read_file(path, (size_t)FP_MAX_RECORD_SIZE * 4, &data, &len,
                                                 NULL) == FP_OK) {
                                        found = fp_feed_detect(data, len, out);
                                        free(data);
                                }
                        }
                }
                free(names[i]);
        }
        if (n >= 0)
                free(names);
        return found;
}

/* ---- the import --------------------------------------------------------------------------- */

struct reject_tap {
        const struct fp_feed_import_opts *opts;
        const char *feed;
        const struct fp_feed_sink *inner;
};

static enum fp_err tap_advisory(void *ud, const struct fp_vuln_advisory *a)
{
        struct reject_tap *t = ud;
        return t->inner->advisory(t->inner->ud, a);
}
static enum fp_err tap_kev(void *ud, const struct fp_kev_entry *e)
{
        struct reject_tap *t = ud;
        return t->inner->kev(t->inner->ud, e);
}
static enum fp_err tap_epss(void *ud, const struct fp_epss_entry *e)
{
        struct reject_tap *t = ud;
        return t->inner->epss(t->inner->ud, e);
}
static void tap_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct reject_tap *t = ud;
        t->inner->reject(t->inner->ud, id, why);
        if (t->opts->on_reject) {
                char msg[FP_DIAG_FILE_MAX + FP_DIAG_MSG_MAX + 128];
                fp_diag_format(why, msg, sizeof(msg));
                t->opts->on_reject(t->opts->ud, t->feed, id, msg);
        }
}
static void tap_skip(void *ud, const char *id, const char *reason)
{
        struct reject_tap *t = ud;
        t->inner->skip(t->inner->ud, id, reason);
}
static void tap_meta(void *ud, const char *k, const char *v)
{
        struct reject_tap *t = ud;
        t->inner->meta(t->inner->ud, k, v);
}

/* Read a file or URL whole (decompressed). Sets *unchanged for an HTTP 304. */
static enum fp_err load_location(struct fp_vulndb *db, const struct fp_feed_import_opts *o,
                                 const char *name, char **data, size_t *len, bool *unchanged,
                                 char **etag, char **last_modified, struct fp_diag *diag)
{
        *unchanged = false;
        if (!is_url(o->location))
                return fp_read_file(o->location, (size_t)FP_MAX_FEED_SIZE, data, len, diag);

        struct fp_arena a;
        fp_arena_init(&a);
        struct fp_feed_status prev = {0};
        bool have_prev = !o->force && fp_vulndb_feed(db, name, &a, &prev, NULL) == FP_OK &&
                         prev.last_good && prev.location && strcmp(prev.location, o->location) == 0;
        struct fp_fetch_opts fo = {
                .url = o->location,
                .etag = have_prev ? prev.etag : NULL,
                .last_modified = have_prev ? prev.last_modified : NULL,
                .timeout_s = o->timeout_s ? o->timeout_s : 300,
                .max_bytes = (size_t)FP_MAX_DOWNLOAD_SIZE,
                .ca_file = o->ca_file,
        };
        struct fp_fetch_result fr = {0};
        enum fp_err err = fp_fetch(&fo, &fr, diag);
        fp_arena_release(&a);
        if (err != FP_OK)
                return err;
        if (fr.not_modified) {
                *unchanged = true;
                fp_fetch_result_release(&fr);
                return FP_OK;
        }
        err = decompress(fr.data, fr.len, o->location, data, len, diag);
        *etag = fr.etag ? strdup(fr.etag) : NULL;
        *last_modified = fr.last_modified ? strdup(fr.last_modified) : NULL;
        fp_fetch_result_release(&fr);
        return err;
}

enum fp_err fp_feed_import(struct fp_vulndb *db, const struct fp_feed_import_opts *o,
                           struct fp_feed_import_result *res, struct fp_diag *diag)
{
        memset(res, 0, sizeof(*res));
        struct stat st;
        bool dir = !is_url(o->location) && stat(o->location, &st) == 0 && S_ISDIR(st.st_mode);
        char *data = NULL, *etag = NULL, *last_modified = NULL;
        size_t len = 0;
        bool unchanged = false;
        enum fp_err err = FP_OK;
        enum fp_feed_kind kind = o->kind;

        /* The name may depend on the kind, and detecting the kind needs the content. */
        if (!dir) {
                char provisional[sizeof(res->name)];
                if (o->name)
                        snprintf(provisional, sizeof(provisional), "%s", o->name);
                else
                        default_name(o, o->kind_given ? o->kind : FP_FEED_OSV, provisional,
                                     sizeof(provisional));
                err = load_location(db, o, provisional, &data, &len, &unchanged, &etag,
                                    &last_modified, diag);
                if (err == FP_OK && !unchanged && !o->kind_given && !fp_feed_detect(data, len, &kind)) {
                        fp_diag_set(diag, o->location, 0, NULL,
                                    "cannot tell which feed format this is; say --kind");
                        err = FP_EUNSUPPORTED;
                }
        } else if (!o->kind_given && !first_file_kind(o->location, 0, &kind)) {
                /* files are detected one by one; this only names the feed */
                kind = FP_FEED_OSV;
        }
        res->kind = kind;
        if (o->name)
                snprintf(res->name, sizeof(res->name), "%s", o->name);
        else
                default_name(o, kind, res->name, sizeof(res->name));
        if (err != FP_OK) {
                /* Record the failed attempt; the stored data stays as it was. */
                struct fp_import *imp;
                char msg[FP_DIAG_FILE_MAX + FP_DIAG_MSG_MAX + 128];
                fp_diag_format(diag, msg, sizeof(msg));
                if (fp_vulndb_import_begin(db, res->name, kind, o->location, &imp, NULL) == FP_OK)
                        fp_import_abort(imp, msg);
                goto out;
        }
        if (unchanged) {
                res->unchanged = true;
                err = fp_vulndb_feed_unchanged(db, res->name, diag);
                goto out;
        }

        char sha[65] = "";
        if (!dir) {
                sha256_hex(data, len, sha);
                struct fp_arena a;
                fp_arena_init(&a);
                struct fp_feed_status prev;
                bool same = !o->force && fp_vulndb_feed(db, res->name, &a, &prev, NULL) == FP_OK &&
                            prev.last_good && !prev.last_error && prev.content_sha256 &&
                            strcmp(prev.content_sha256, sha) == 0;
                fp_arena_release(&a);
                if (same) {
                        res->unchanged = true;
                        err = fp_vulndb_feed_unchanged(db, res->name, diag);
                        goto out;
                }
        }

        struct fp_import *imp;
        err = fp_vulndb_import_begin(db, res->name, kind, o->location, &imp, diag);
        if (err != FP_OK)
                goto out;
        struct reject_tap tap = {o, res->name, fp_import_sink(imp)};
        struct fp_feed_sink sink = {
                .ud = &tap,
                .advisory = tap_advisory,
                .kev = tap_kev,
                .epss = tap_epss,
                .reject = tap_reject,
                .skip = tap_skip,
                .meta = tap_meta,
        };
        if (dir) {
                struct dir_walk w = {.opts = o, .imp = imp, .sink = &sink, .kind = kind,
                                     .kind_known = o->kind_given, .res = res};
                fp_sha256_init(&w.sha);
                err = walk_dir(&w, o->location, diag);
                fp_sha256_final_hex(&w.sha, sha);
        } else {
                res->files = 1;
                err = parse(kind, data, len, o->location, &sink, diag);
                if (err == FP_OK)
                        err = fp_import_error(imp, diag);
        }
        res->stats = *fp_import_stats(imp);
        if (err != FP_OK) {
                char msg[FP_DIAG_FILE_MAX + FP_DIAG_MSG_MAX + 128];
                fp_diag_format(diag, msg, sizeof(msg));
                fp_import_abort(imp, msg);
                goto out;
        }
        err = fp_import_commit(imp, etag, last_modified, sha, diag);
out:
        free(data);
        free(etag);
        free(last_modified);
        return err;
}
