/*
 * I/O on /var/lib/apt/lists: which Packages indexes exist, which Release file describes
 * each, and a streaming pass over a Packages file that keeps only the stanzas of installed
 * package names (the rest is skipped with one memchr pass, so memory stays flat).
 */
#include <dirent.h>
#include <stdio.h>
#include <strings.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/inventory/deb_inventory.h"
#include "core/deb/deb822.h"
#include "core/deb/release.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"

#define STREAM_CHUNK (256 * 1024)

static const char *const comp_ext[] = {"", ".gz", ".xz", ".lz4", ".zst"};
static const char *const bad_ext[] = {".bz2", ".lzma", ".lz", ".Z"};

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Length of name without a compression suffix we read, or 0 if it has none of them. */
static bool has_suffix(const char *s, size_t n, const char *suf)
{
        size_t m = strlen(suf);
        return n >= m && memcmp(s + n - m, suf, m) == 0;
}

/*
 * Is this an index of binary packages? Sets *stem_len to the name without the compression
 * suffix. apt names them "..._Packages"; captured copies may be "Packages_...".
 */
static bool packages_name(const char *name, size_t *stem_len, bool *captured)
{
        size_t n = strlen(name);
        for (size_t i = 0; i < sizeof(bad_ext) / sizeof(bad_ext[0]); i++)
                if (has_suffix(name, n, bad_ext[i])) {
                        /* still an index: reported as unsupported when opened */
                        n -= strlen(bad_ext[i]);
                        goto check;
                }
        for (size_t i = sizeof(comp_ext) / sizeof(comp_ext[0]); i-- > 1;)
                if (has_suffix(name, n, comp_ext[i])) {
                        n -= strlen(comp_ext[i]);
                        break;
                }
check:
        *stem_len = n;
        if (has_suffix(name, n, "_Packages")) {
                *captured = false;
                return true;
        }
        if (n > 9 && strncmp(name, "Packages_", 9) == 0) {
                *captured = true;
                return true;
        }
        return false;
}

static bool in_list(char **names, size_t n, const char *want)
{
        return bsearch(&want, names, n, sizeof(*names), cmp_str) != NULL;
}

/* Longest prefix of stem (cut at '_') whose InRelease/Release exists; fills rel_name. */
static bool find_release(char **names, size_t n, const char *stem, size_t stem_len,
                         bool captured, char *rel_name, size_t cap, size_t *prefix_len)
{
        char base[FP_DIAG_FILE_MAX];
        const char *s = captured ? stem + 9 : stem;
        size_t len = captured ? stem_len - 9 : stem_len - strlen("_Packages");

        if (len >= sizeof(base))
                return false;
        memcpy(base, s, len);
        base[len] = '\0';
        for (;;) {
                static const char *const kinds[] = {"InRelease", "Release"};
                for (int k = 0; k < 2; k++) {
                        int w = captured ? snprintf(rel_name, cap, "%s_%s", kinds[k], base)
                                         : snprintf(rel_name, cap, "%s_%s", base, kinds[k]);
                        if (w > 0 && (size_t)w < cap && in_list(names, n, rel_name)) {
                                *prefix_len = strlen(base);
                                return true;
                        }
                }
                char *us = strrchr(base, '_');
                if (!us)
                        return false;
                *us = '\0';
        }
}

void fp_apt_lists_release(struct fp_apt_lists *lists)
{
        if (!lists)
                return;
        free(lists->indexes);
        free(lists->paths);
        memset(lists, 0, sizeof(*lists));
}

struct relcache {
        const char *name;
        struct fp_release *rel;
};

enum fp_err fp_apt_lists_find(const char *dir, struct fp_arena *arena, struct fp_apt_lists *out,
                              struct fp_diag *diag)
{
        DIR *d = NULL;
        struct dirent *e;
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct fp_apt_lists res = {0};
        struct relcache *rc = NULL;
        size_t nrc = 0;
        enum fp_err err = FP_OK;

        d = opendir(dir);
        if (!d) {
                fp_diag_set(diag, dir, 0, "", "cannot open apt lists directory: %s",
                            strerror(errno));
                err = errno == ENOENT ? FP_ENOENT : errno == EACCES ? FP_EACCES : FP_EIO;
                goto out;
        }
        errno = 0;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                if (n >= FP_MAX_DIR_ENTRIES) {
                        fp_diag_set(diag, dir, 0, "", "more than FP_MAX_DIR_ENTRIES (%d) files",
                                    FP_MAX_DIR_ENTRIES);
                        err = FP_ELIMIT;
                        goto out;
                }
                if (n == cap) {
                        size_t nc = cap ? cap * 2 : 64;
                        char **nn = realloc(names, nc * sizeof(*nn));
                        if (!nn) {
                                err = FP_ENOMEM;
                                goto out;
                        }
                        names = nn;
                        cap = nc;
                }
                names[n] = fp_arena_strdup(arena, e->d_name);
                if (!names[n]) {
                        err = FP_ENOMEM;
                        goto out;
                }
                n++;
        }
        if (n > 1)
                qsort(names, n, sizeof(*names), cmp_str);
        res.indexes = calloc(n + 1, sizeof(*res.indexes));
        res.paths = calloc(n + 1, sizeof(*res.paths));
        rc = calloc(n + 1, sizeof(*rc));
        if (!res.indexes || !res.paths || !rc) {
                err = FP_ENOMEM;
                goto out;
        }
        res.count = 1; /* index 0: the status file, filled by the caller */
        for (size_t i = 0; i < n; i++) {
                size_t stem_len, prefix_len = 0;
                bool captured;
                char rel_name[FP_DIAG_FILE_MAX];
                char path[FP_DIAG_FILE_MAX];
                struct fp_apt_index *ix = &res.indexes[res.count];

                if (!packages_name(names[i], &stem_len, &captured))
                        continue;
                if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
                        fp_diag_set(diag, dir, 0, "", "path of '%s' too long", names[i]);
                        err = FP_ELIMIT;
                        goto out;
                }
                res.paths[res.count] = fp_arena_strdup(arena, path);
                ix->name = res.paths[res.count];
                if (!ix->name) {
                        err = FP_ENOMEM;
                        goto out;
                }
                ix->site = "";
                if (!captured && names[i][0] != '_') {
                        /* apt's URItoFileName: the host comes first, then '_' */
                        const char *us = strchr(names[i], '_');
                        ix->site = fp_arena_strndup(arena, names[i], (size_t)(us - names[i]));
                }
                if (find_release(names, n, names[i], stem_len, captured, rel_name,
                                 sizeof(rel_name), &prefix_len)) {
                        struct fp_release *rel = NULL;
                        for (size_t k = 0; k < nrc; k++)
                                if (strcmp(rc[k].name, rel_name) == 0)
                                        rel = rc[k].rel;
                        if (!rel) {
                                char *buf = NULL;
                                size_t blen;
                                if (snprintf(path, sizeof(path), "%s/%s", dir, rel_name) >=
                                    (int)sizeof(path)) {
                                        fp_diag_set(diag, dir, 0, "", "path too long");
                                        err = FP_ELIMIT;
                                        goto out;
                                }
                                err = fp_read_file(path, FP_MAX_CONFIG_SIZE, &buf, &blen, diag);
                                if (err == FP_OK) {
                                        rel = fp_arena_alloc(arena, sizeof(*rel));
                                        err = rel ? fp_release_parse(buf, blen, path, arena, rel,
                                                                     diag)
                                                  : FP_ENOMEM;
                                }
                                free(buf);
                                if (err != FP_OK)
                                        goto out;
                                rc[nrc].name = fp_arena_strdup(arena, rel_name);
                                rc[nrc++].rel = rel;
                        }
                        ix->release = rel;
                        /* The rest of the stem: "<component>_binary-<arch>". */
                        const char *rest = (captured ? names[i] + 9 : names[i]) + prefix_len;
                        size_t rest_len = (captured ? stem_len - 9 : stem_len -
                                                                         strlen("_Packages")) -
                                          prefix_len;
                        const char *bin = NULL;
                        for (size_t k = 0; k + 8 <= rest_len; k++)
                                if (memcmp(rest + k, "_binary-", 8) == 0)
                                        bin = rest + k;
                        if (bin) {
                                const char *c = rest[0] == '_' ? rest + 1 : rest;
                                ix->component =
                                        c < bin ? fp_arena_strndup(arena, c, (size_t)(bin - c))
                                                : "";
                                ix->arch = fp_arena_strndup(arena, bin + 8,
                                                            (size_t)(rest + rest_len - bin - 8));
                        }
                }
                res.count++;
        }
        *out = res;
        memset(&res, 0, sizeof(res));
out:
        if (d)
                closedir(d);
        free(names);
        free(rc);
        fp_apt_lists_release(&res);
        return err;
}

/* Line number of byte offset off in the decompressed file (for diagnostics only). */
static unsigned long line_at(const char *path, unsigned long long off)
{
        struct fp_reader *r = NULL;
        char buf[65536];
        unsigned long line = 1;
        unsigned long long pos = 0;

        if (fp_reader_open(path, &r, NULL) != FP_OK)
                return 0;
        while (pos < off) {
                size_t got = 0;
                if (fp_reader_read(r, buf, sizeof(buf), &got, NULL) != FP_OK || got == 0)
                        break;
                for (size_t i = 0; i < got && pos < off; i++, pos++)
                        if (buf[i] == '\n')
                                line++;
        }
        fp_reader_free(r);
        return line;
}

/* Parse one raw stanza of a kept package and hand it to the callback. */
static enum fp_err keep_stanza(const char *path, const char *s, size_t n,
                               unsigned long long off, struct fp_deb822_stanza *st,
                               fp_apt_stanza_cb cb, void *ctx, struct fp_diag *diag)
{
        struct fp_deb822_parser p;
        enum fp_err err;

        fp_deb822_init(&p, s, n, path, 1, false);
        for (;;) {
                err = fp_deb822_next(&p, st, diag);
                if (err == FP_OK && st->count > 0)
                        err = cb(st, ctx, diag);
                if (err != FP_OK || st->count == 0)
                        break;
        }
        if (err != FP_OK && diag && diag->line > 0) {
                /* Line numbers so far are relative to the stanza; make them absolute. */
                unsigned long base = line_at(path, off);
                if (base > 0)
                        diag->line += base - 1;
        }
        return err;
}

enum fp_err fp_apt_packages_stream(const char *path, const struct fp_strmap *names,
                                   fp_apt_stanza_cb cb, void *ctx, struct fp_diag *diag)
{
        struct fp_reader *r = NULL;
        struct fp_deb822_stanza *st = NULL;
        char *buf = NULL;
        size_t len = 0, cap = 4 * STREAM_CHUNK;
        unsigned long long consumed = 0; /* decompressed offset of buf[0] */
        bool eof = false;
        enum fp_err err;

        err = fp_reader_open(path, &r, diag);
        if (err != FP_OK)
                goto out;
        buf = malloc(cap + 1);
        st = malloc(sizeof(*st));
        if (!buf || !st) {
                err = FP_ENOMEM;
                goto out;
        }
        while (!eof || len > 0) {
                size_t pos = 0;
                if (!eof) {
                        size_t got = 0;
                        if (cap - len < STREAM_CHUNK) {
                                if (cap >= (size_t)FP_MAX_STANZA_LEN + STREAM_CHUNK) {
                                        fp_diag_set(diag, path, line_at(path, consumed), "",
                                                    "stanza exceeds FP_MAX_STANZA_LEN");
                                        err = FP_ELIMIT;
                                        goto out;
                                }
                                char *nb = realloc(buf, cap * 2 + 1);
                                if (!nb) {
                                        err = FP_ENOMEM;
                                        goto out;
                                }
                                buf = nb;
                                cap *= 2;
                        }
                        err = fp_reader_read(r, buf + len, cap - len, &got, diag);
                        if (err != FP_OK)
                                goto out;
                        if (got == 0)
                                eof = true;
                        len += got;
                }
                for (;;) {
                        size_t end = fp_deb822_stanza_end(buf + pos, len - pos);
                        const char *name;
                        size_t name_len;
                        if (end == 0) {
                                if (!eof)
                                        break;
                                end = len - pos; /* the last stanza may lack a blank line */
                                if (end == 0)
                                        break;
                        }
                        if (!fp_deb822_peek(buf + pos, end, "Package", &name, &name_len)) {
                                /* apt refuses such a section too; never skip it silently */
                                bool blank = true;
                                for (size_t k = pos; k < pos + end && blank; k++)
                                        blank = buf[k] == '\n' || buf[k] == '\r' ||
                                                buf[k] == ' ' || buf[k] == '\t';
                                if (!blank) {
                                        fp_diag_set(diag, path, line_at(path, consumed + pos),
                                                    "Package", "stanza has no Package field");
                                        err = FP_EPARSE;
                                        goto out;
                                }
                        } else if (fp_strmap_get(names, name, name_len)) {
                                err = keep_stanza(path, buf + pos, end, consumed + pos, st, cb,
                                                  ctx, diag);
                                if (err != FP_OK)
                                        goto out;
                        }
                        pos += end;
                }
                memmove(buf, buf + pos, len - pos);
                len -= pos;
                consumed += pos;
                if (eof)
                        break;
        }
out:
        fp_reader_free(r);
        free(buf);
        free(st);
        return err;
}
