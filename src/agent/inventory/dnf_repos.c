/*
 * dnf's view of a root: dnf.conf, *.repo files with their variables, and each enabled repo's
 * metadata (repomd.xml, primary, updateinfo) from a file:// baseurl or dnf's cache.
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "agent/inventory/rpm_inventory.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"

#define MAX_VARS 64

struct vars {
        char *name[MAX_VARS];
        char *value[MAX_VARS];
        size_t n;
};

static void vars_release(struct vars *v)
{
        for (size_t i = 0; i < v->n; i++) {
                free(v->name[i]);
                free(v->value[i]);
        }
        v->n = 0;
}

static enum fp_err vars_set(struct vars *v, const char *name, const char *value)
{
        for (size_t i = 0; i < v->n; i++) {
                if (strcmp(v->name[i], name) == 0) {
                        char *d = strdup(value);
                        if (!d)
                                return FP_ENOMEM;
                        free(v->value[i]);
                        v->value[i] = d;
                        return FP_OK;
                }
        }
        if (v->n == MAX_VARS)
                return FP_ELIMIT;
        v->name[v->n] = strdup(name);
        v->value[v->n] = strdup(value);
        if (!v->name[v->n] || !v->value[v->n]) {
                free(v->name[v->n]);
                free(v->value[v->n]);
                return FP_ENOMEM;
        }
        v->n++;
        return FP_OK;
}

/* dnf's basearch of the machine we run on (hawkey's arch map, the common cases). */
static const char *basearch(const char *arch)
{
        if (arch[0] == 'i' && strcmp(arch + 2, "86") == 0)
                return "i386";
        if (strncmp(arch, "armv7", 5) == 0)
                return "armhfp";
        if (strcmp(arch, "amd64") == 0)
                return "x86_64";
        return arch;
}

/* First line of a small file inside root, trimmed; NULL if absent. */
static char *read_first_line(const char *path)
{
        char buf[1024];
        FILE *f = fopen(path, "r");
        char *r = NULL;

        if (!f)
                return NULL;
        if (fgets(buf, sizeof(buf), f)) {
                buf[strcspn(buf, "\r\n")] = '\0';
                r = strdup(buf);
        }
        fclose(f);
        return r;
}

/* releasever: etc/dnf/vars/releasever, else VERSION_ID of etc/os-release (major part). */
static enum fp_err load_vars(const char *root, struct vars *v)
{
        enum fp_err err = FP_OK;
        struct utsname u;
        char path[4096];
        DIR *d;
        struct dirent *e;

        if (uname(&u) == 0) {
                if ((err = vars_set(v, "arch", u.machine)) != FP_OK ||
                    (err = vars_set(v, "basearch", basearch(u.machine))) != FP_OK)
                        return err;
        }
        snprintf(path, sizeof(path), "%s/etc/os-release", root);
        FILE *f = fopen(path, "r");
        if (f) {
                char line[1024];
                while (fgets(line, sizeof(line), f)) {
                        if (strncmp(line, "VERSION_ID=", 11) != 0)
                                continue;
                        char *s = line + 11;
                        s += strspn(s, "\"'");
                        s[strcspn(s, "\"'.\r\n")] = '\0';
                        err = vars_set(v, "releasever", s);
                        break;
                }
                fclose(f);
                if (err != FP_OK)
                        return err;
        }
        for (int dir = 0; dir < 2; dir++) {
                snprintf(path, sizeof(path), "%s%s", root,
                         dir == 0 ? "/etc/yum/vars" : "/etc/dnf/vars");
                d = opendir(path);
                if (!d)
                        continue;
                while ((e = readdir(d))) {
                        char fpath[4400];
                        char *val;
                        if (e->d_name[0] == '.')
                                continue;
                        snprintf(fpath, sizeof(fpath), "%s/%s", path, e->d_name);
                        val = read_first_line(fpath);
                        if (!val)
                                continue;
                        err = vars_set(v, e->d_name, val);
                        free(val);
                        if (err != FP_OK)
                                break;
                }
                closedir(d);
                if (err != FP_OK)
                        return err;
        }
        return FP_OK;
}

/* $name and ${name} substitution as libdnf does; unknown variables stay as written. */
static char *expand(const struct vars *v, const char *s)
{
        struct fp_buf b;

        fp_buf_init(&b, FP_MAX_INI_LINE_LEN);
        fp_buf_addstr(&b, "");
        while (*s) {
                if (*s == '$') {
                        bool brace = s[1] == '{';
                        const char *n = s + 1 + brace;
                        size_t len = 0;
                        while ((n[len] >= 'a' && n[len] <= 'z') ||
                               (n[len] >= 'A' && n[len] <= 'Z') ||
                               (n[len] >= '0' && n[len] <= '9') || n[len] == '_')
                                len++;
                        bool matched = false;
                        for (size_t i = 0; len && i < v->n && (!brace || n[len] == '}'); i++) {
                                if (strlen(v->name[i]) == len && strncmp(v->name[i], n, len) == 0) {
                                        if (fp_buf_addstr(&b, v->value[i]) != FP_OK)
                                                goto fail;
                                        s = n + len + brace;
                                        matched = true;
                                        break;
                                }
                        }
                        if (matched)
                                continue;
                }
                if (fp_buf_addc(&b, *s++) != FP_OK)
                        goto fail;
        }
        return fp_buf_take(&b);
fail:
        fp_buf_release(&b);
        return NULL;
}

struct cfg_ctx {
        const char *root;
        struct vars *vars;
        struct fp_dnf_config *cfg;
        const char *file;
        char *reposdir; /* from [main] */
        bool main_only; /* dnf.conf pass: keep [main] and repo sections */
};

static struct fp_dnf_repo *find_repo(struct fp_dnf_config *cfg, const char *id)
{
        for (size_t i = 0; i < cfg->nrepos; i++) {
                if (strcmp(cfg->repos[i].id, id) == 0)
                        return &cfg->repos[i];
        }
        return NULL;
}

/* Append to a space-joined list (exclude= may appear as exclude and excludepkgs). */
static enum fp_err append_list(char **dst, const char *value)
{
        size_t a = *dst ? strlen(*dst) : 0, b = strlen(value);
        char *n = realloc(*dst, a + b + 2);

        if (!n)
                return FP_ENOMEM;
        if (a)
                n[a++] = ' ';
        memcpy(n + a, value, b + 1);
        *dst = n;
        return FP_OK;
}

static enum fp_err set_str(char **dst, const char *value)
{
        char *d = strdup(value);
        if (!d)
                return FP_ENOMEM;
        free(*dst);
        *dst = d;
        return FP_OK;
}

static enum fp_err on_key(void *ud, const char *section, const char *key, const char *value,
                          unsigned long line, struct fp_diag *diag)
{
        struct cfg_ctx *c = ud;
        struct fp_dnf_config *cfg = c->cfg;
        struct fp_dnf_repo *r;
        enum fp_err err = FP_OK;
        char *val = expand(c->vars, value);
        bool b;

        if (!val)
                return FP_ENOMEM;
        if (strcmp(section, "main") == 0 || section[0] == '\0') {
                if (!c->main_only)
                        goto out; /* [main] in a .repo file is ignored by dnf */
                if (strcmp(key, "exclude") == 0 || strcmp(key, "excludepkgs") == 0)
                        err = append_list(&cfg->exclude, val);
                else if (strcmp(key, "includepkgs") == 0)
                        err = append_list(&cfg->includepkgs, val);
                else if (strcmp(key, "reposdir") == 0)
                        err = set_str(&c->reposdir, val);
                else if (strcmp(key, "obsoletes") == 0 && fp_ini_bool(val, &b))
                        cfg->obsoletes = b;
                goto out;
        }
        r = find_repo(cfg, section);
        if (!r) {
                struct fp_dnf_repo *n;
                if (cfg->nrepos >= FP_MAX_REPOS) {
                        fp_diag_set(diag, c->file, line, section, "more than %d repositories",
                                    FP_MAX_REPOS);
                        err = FP_ELIMIT;
                        goto out;
                }
                n = realloc(cfg->repos, (cfg->nrepos + 1) * sizeof(*n));
                if (!n) {
                        err = FP_ENOMEM;
                        goto out;
                }
                cfg->repos = n;
                r = &n[cfg->nrepos++];
                memset(r, 0, sizeof(*r));
                r->enabled = true;
                r->priority = 99;
                r->line = line;
                if (!(r->id = strdup(section)) || !(r->file = strdup(c->file))) {
                        err = FP_ENOMEM;
                        goto out;
                }
        }
        if (strcmp(key, "enabled") == 0 || strcmp(key, "skip_if_unavailable") == 0) {
                if (!fp_ini_bool(val, &b)) {
                        fp_diag_set(diag, c->file, line, key, "not a boolean: \"%s\"", val);
                        err = FP_EPARSE;
                        goto out;
                }
                if (key[0] == 'e')
                        r->enabled = b;
                else
                        r->skip_if_unavailable = b;
        } else if (strcmp(key, "priority") == 0) {
                char *end;
                long p = strtol(val, &end, 10);
                if (end == val || *end || p < -1000000 || p > 1000000) {
                        fp_diag_set(diag, c->file, line, key, "not a number: \"%s\"", val);
                        err = FP_EPARSE;
                        goto out;
                }
                r->priority = (int)p;
        } else if (strcmp(key, "baseurl") == 0) {
                err = set_str(&r->baseurl, val);
        } else if (strcmp(key, "metalink") == 0) {
                err = set_str(&r->metalink, val);
        } else if (strcmp(key, "mirrorlist") == 0) {
                err = set_str(&r->mirrorlist, val);
        } else if (strcmp(key, "exclude") == 0 || strcmp(key, "excludepkgs") == 0) {
                err = append_list(&r->exclude, val);
        } else if (strcmp(key, "includepkgs") == 0) {
                err = append_list(&r->includepkgs, val);
        }
out:
        free(val);
        return err;
}

static enum fp_err parse_file(struct cfg_ctx *c, const char *path, bool main_only,
                              struct fp_diag *diag)
{
        char *data = NULL;
        size_t len = 0;
        enum fp_err err = fp_read_file(path, FP_MAX_REPOFILE_SIZE, &data, &len, diag);

        if (err != FP_OK)
                return err;
        c->file = path;
        c->main_only = main_only;
        err = fp_ini_parse(data, len, path, on_key, c, diag);
        free(data);
        return err;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.repo in one directory, in name order so "first definition wins" is deterministic. */
static enum fp_err parse_reposdir(struct cfg_ctx *c, const char *dir, struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        char path[4096];
        DIR *d;
        struct dirent *e;
        char **names = NULL;
        size_t n = 0;

        snprintf(path, sizeof(path), "%s%s", c->root, dir);
        d = opendir(path);
        if (!d)
                return FP_OK;
        while ((e = readdir(d))) {
                size_t l = strlen(e->d_name);
                char **nn;
                if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".repo") != 0)
                        continue;
                if (n >= FP_MAX_DIR_ENTRIES) {
                        fp_diag_set(diag, path, 0, NULL, "more than %d .repo files",
                                    FP_MAX_DIR_ENTRIES);
                        err = FP_ELIMIT;
                        goto out;
                }
                nn = realloc(names, (n + 1) * sizeof(*nn));
                if (!nn || !(nn[n] = strdup(e->d_name))) {
                        names = nn ? nn : names;
                        err = FP_ENOMEM;
                        goto out;
                }
                names = nn;
                n++;
        }
        if (n)
                qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++) {
                char fpath[4400];
                snprintf(fpath, sizeof(fpath), "%s/%s", path, names[i]);
                if ((err = parse_file(c, fpath, false, diag)) != FP_OK)
                        goto out;
        }
out:
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        closedir(d);
        return err;
}

enum fp_err fp_dnf_config_load(const char *root, struct fp_dnf_config *out, struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        struct vars vars = {.n = 0};
        struct fp_dnf_config cfg = {.obsoletes = true};
        struct cfg_ctx c = {.root = root, .vars = &vars, .cfg = &cfg};
        char path[4096];
        struct stat st;

        if ((err = load_vars(root, &vars)) != FP_OK)
                goto out;
        snprintf(path, sizeof(path), "%s/etc/dnf/dnf.conf", root);
        if (stat(path, &st) != 0)
                snprintf(path, sizeof(path), "%s/etc/yum.conf", root);
        if (stat(path, &st) == 0 && (err = parse_file(&c, path, true, diag)) != FP_OK)
                goto out;
        if (c.reposdir) {
                /* reposdir is a comma/space separated list of directories inside root. */
                char *s = c.reposdir;
                while (*s) {
                        size_t k = strcspn(s, ", \t\n");
                        char dir[4096];
                        if (k > 0 && k < sizeof(dir)) {
                                memcpy(dir, s, k);
                                dir[k] = '\0';
                                if ((err = parse_reposdir(&c, dir, diag)) != FP_OK)
                                        goto out;
                        }
                        s += k;
                        s += strspn(s, ", \t\n");
                }
        } else {
                static const char *const dirs[] = {"/etc/yum.repos.d", "/etc/yum/repos.d",
                                                   "/etc/distro.repos.d"};
                for (size_t i = 0; i < 3; i++) {
                        if ((err = parse_reposdir(&c, dirs[i], diag)) != FP_OK)
                                goto out;
                }
        }
        *out = cfg;
        memset(&cfg, 0, sizeof(cfg));
out:
        fp_dnf_config_release(&cfg);
        free(c.reposdir);
        vars_release(&vars);
        return err;
}

void fp_dnf_config_release(struct fp_dnf_config *cfg)
{
        if (!cfg)
                return;
        for (size_t i = 0; i < cfg->nrepos; i++) {
                struct fp_dnf_repo *r = &cfg->repos[i];
                free(r->id);
                free(r->file);
                free(r->baseurl);
                free(r->metalink);
                free(r->mirrorlist);
                free(r->exclude);
                free(r->includepkgs);
        }
        free(cfg->repos);
        free(cfg->exclude);
        free(cfg->includepkgs);
        memset(cfg, 0, sizeof(*cfg));
}

/* ---- metadata -------------------------------------------------------------------------- */

/* sha256 of a file's bytes as stored (repomd's <checksum> is of the compressed file). */
static enum fp_err verify_checksum(const char *path, const struct fp_repomd_entry *e,
                                   const char *repomd_path, struct fp_diag *diag)
{
        struct fp_sha256 s;
        char hex[65], buf[65536];
        size_t n;
        FILE *f;

        /* Only sha256 is verified; createrepo_c writes sha256 unless told otherwise. */
        if (strcmp(e->checksum_type, "sha256") != 0)
                return FP_OK;
        f = fopen(path, "rb");
        if (!f) {
                fp_diag_set(diag, path, 0, NULL, "%s (named by %s line %lu)", strerror(errno),
                            repomd_path, e->line);
                return errno == ENOENT ? FP_ENOENT : FP_EIO;
        }
        fp_sha256_init(&s);
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                fp_sha256_update(&s, buf, n);
        if (ferror(f)) {
                fclose(f);
                fp_diag_set(diag, path, 0, NULL, "read error");
                return FP_EIO;
        }
        fclose(f);
        fp_sha256_final_hex(&s, hex);
        if (strcmp(hex, e->checksum) != 0) {
                fp_diag_set(diag, path, 0, "checksum", "sha256 %s does not match %s line %lu (%s)",
                            hex, repomd_path, e->line, e->checksum);
                return FP_ECORRUPT;
        }
        return FP_OK;
}

typedef enum fp_err (*feed_fn)(void *parser, const void *data, size_t len, bool final,
                               struct fp_diag *diag);

static enum fp_err stream_file(const char *path, void *parser, feed_fn feed, struct fp_diag *diag)
{
        struct fp_reader *r = NULL;
        enum fp_err err;
        char *buf = malloc(1 << 16);
        size_t got;

        if (!buf)
                return FP_ENOMEM;
        err = fp_reader_open(path, &r, diag);
        if (err != FP_OK)
                goto out;
        do {
                err = fp_reader_read(r, buf, 1 << 16, &got, diag);
                if (err != FP_OK)
                        goto out;
                err = feed(parser, buf, got, got == 0, diag);
        } while (err == FP_OK && got > 0);
out:
        fp_reader_free(r);
        free(buf);
        return err;
}

static enum fp_err feed_primary(void *p, const void *d, size_t l, bool f, struct fp_diag *diag)
{
        return fp_primary_parser_feed(p, d, l, f, diag);
}

static enum fp_err feed_updateinfo(void *p, const void *d, size_t l, bool f, struct fp_diag *diag)
{
        return fp_updateinfo_parser_feed(p, d, l, f, diag);
}

enum fp_err fp_dnf_repodir_load(const char *dir, fp_rpm_pkg_cb pkg_cb, fp_advisory_cb adv_cb,
                                void *ud, struct fp_diag *diag)
{
        enum fp_err err;
        char mdpath[4096], path[8192];
        char *data = NULL;
        size_t len = 0;
        struct fp_repomd md = {0};
        const struct fp_repomd_entry *e;
        struct fp_primary_parser *pp = NULL;
        struct fp_updateinfo_parser *up = NULL;

        snprintf(mdpath, sizeof(mdpath), "%s/repodata/repomd.xml", dir);
        err = fp_read_file(mdpath, FP_MAX_REPOMD_SIZE, &data, &len, diag);
        if (err != FP_OK)
                goto out;
        err = fp_repomd_parse(data, len, mdpath, &md, diag);
        if (err != FP_OK)
                goto out;
        e = fp_repomd_find(&md, "primary");
        if (!pkg_cb)
                goto updateinfo; /* a second pass for advisories only */
        if (!e) {
                fp_diag_set(diag, mdpath, 0, "data", "no <data type=\"primary\">");
                err = FP_EPARSE;
                goto out;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->href);
        if ((err = verify_checksum(path, e, mdpath, diag)) != FP_OK)
                goto out;
        if ((err = fp_primary_parser_new(path, pkg_cb, ud, &pp)) != FP_OK ||
            (err = stream_file(path, pp, feed_primary, diag)) != FP_OK)
                goto out;
updateinfo:
        e = fp_repomd_find(&md, "updateinfo");
        if (e && adv_cb) {
                snprintf(path, sizeof(path), "%s/%s", dir, e->href);
                if ((err = verify_checksum(path, e, mdpath, diag)) != FP_OK)
                        goto out;
                if ((err = fp_updateinfo_parser_new(path, adv_cb, ud, &up)) != FP_OK ||
                    (err = stream_file(path, up, feed_updateinfo, diag)) != FP_OK)
                        goto out;
        }
out:
        fp_primary_parser_free(pp);
        fp_updateinfo_parser_free(up);
        fp_repomd_release(&md);
        free(data);
        return err;
}

/* "file:///x" or "file:/x" -> "/x"; NULL for other schemes. */
static const char *file_url_path(const char *url)
{
        if (strncmp(url, "file://", 7) == 0)
                return url + 7;
        if (strncmp(url, "file:/", 6) == 0)
                return url + 5;
        return NULL;
}

enum fp_err fp_dnf_repo_load(const char *root, const struct fp_dnf_repo *repo, fp_rpm_pkg_cb pkg_cb,
                             fp_advisory_cb adv_cb, void *ud, struct fp_diag *diag)
{
        enum fp_err err = FP_ENOTFOUND;
        char dir[4096], pat[4096];
        glob_t g = {0};

        /* A file:// baseurl is a path on the machine running dnf (as with --installroot). */
        if (repo->baseurl) {
                const char *s = repo->baseurl;
                while (*s) {
                        size_t k = strcspn(s, " ,\n\t");
                        if (k > 0 && k < sizeof(dir)) {
                                memcpy(dir, s, k);
                                dir[k] = '\0';
                                const char *p = file_url_path(dir);
                                if (p) {
                                        memmove(dir, p, strlen(p) + 1);
                                        return fp_dnf_repodir_load(dir, pkg_cb, adv_cb, ud, diag);
                                }
                        }
                        s += k;
                        s += strspn(s, " ,\n\t");
                }
        }
        /* Otherwise dnf's own cache of the last download, if there is one. */
        snprintf(pat, sizeof(pat), "%s/var/cache/dnf/%s-*/repodata/repomd.xml", root, repo->id);
        if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
                /* Several cache dirs: the newest repomd.xml is the one dnf uses now. */
                const char *best = NULL;
                time_t best_mtime = 0;
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        struct stat st;
                        if (stat(g.gl_pathv[i], &st) == 0 && (!best || st.st_mtime > best_mtime)) {
                                best = g.gl_pathv[i];
                                best_mtime = st.st_mtime;
                        }
                }
                if (best) {
                        snprintf(dir, sizeof(dir), "%s", best);
                        *strstr(dir + strlen(root), "/repodata/repomd.xml") = '\0';
                        err = fp_dnf_repodir_load(dir, pkg_cb, adv_cb, ud, diag);
                        goto out;
                }
        }
        fp_diag_set(diag, repo->file, repo->line, repo->id,
                    "repository '%s' has no file:// baseurl and no dnf cache under "
                    "var/cache/dnf/%s-*; its updates are not known",
                    repo->id, repo->id);
        err = FP_ENOTFOUND;
out:
        globfree(&g);
        return err;
}
