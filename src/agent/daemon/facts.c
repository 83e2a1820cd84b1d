/* Facts of the host (facts.h). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/daemon/facts.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"

/* s when the server would take it as a fact string, else NULL. */
static const char *fact_ok(const char *s)
{
        if (!s || !*s || strlen(s) > FP_MAX_FACT_LEN)
                return NULL;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return NULL;
        return s;
}

static const char *keep(struct fp_arena *a, const char *s)
{
        return fact_ok(s) ? fp_arena_strdup(a, s) : NULL;
}

/* ROOT/rel as a path ("/" root means the path itself). */
static void under(char *out, size_t outsz, const char *root, const char *rel)
{
        size_t n = strlen(root);
        while (n > 0 && root[n - 1] == '/')
                n--;
        snprintf(out, outsz, "%.*s%s", (int)n, root, rel);
}

/* The first line of a small file, trimmed; false if unreadable or empty. */
static bool first_line(const char *path, char *out, size_t outsz)
{
        char *data = NULL;
        size_t len;
        if (fp_read_file(path, 64 * 1024, &data, &len, NULL) != FP_OK)
                return false;
        size_t n = strcspn(data, "\n");
        while (n > 0 && (data[n - 1] == ' ' || data[n - 1] == '\t' || data[n - 1] == '\r'))
                n--;
        const char *s = data;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        bool ok = n > 0 && n < outsz;
        if (ok) {
                memcpy(out, s, n);
                out[n] = '\0';
        }
        free(data);
        return ok;
}

/* ---- os-release ------------------------------------------------------------------------- */

/* One KEY=value value, unquoted ("..." with backslash escapes, or '...'). */
static void os_value(const char *v, char *out, size_t outsz)
{
        size_t n = 0;
        char quote = (*v == '"' || *v == '\'') ? *v++ : 0;
        for (; *v && *v != '\n' && n + 1 < outsz; v++) {
                if (quote && *v == quote)
                        break;
                if (quote == '"' && *v == '\\' && v[1])
                        v++;
                out[n++] = *v;
        }
        out[n] = '\0';
}

static void read_os_release(const char *root, struct fp_facts *f)
{
        static const char *const files[] = {"/etc/os-release", "/usr/lib/os-release"};
        static const struct {
                const char *key;
                size_t off;
        } keys[] = {
            {"ID=", offsetof(struct fp_facts, os_id)},
            {"VERSION_ID=", offsetof(struct fp_facts, os_version)},
            {"VERSION_CODENAME=", offsetof(struct fp_facts, os_codename)},
            {"PRETTY_NAME=", offsetof(struct fp_facts, os_pretty)},
        };
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char path[PATH_MAX], value[512];
                char *data = NULL;
                size_t len;
                under(path, sizeof(path), root, files[i]);
                if (fp_read_file(path, 1024 * 1024, &data, &len, NULL) != FP_OK)
                        continue;
                for (char *line = data; line && *line; line = strchr(line, '\n'), line += !!line) {
                        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                                size_t kl = strlen(keys[k].key);
                                if (strncmp(line, keys[k].key, kl) != 0)
                                        continue;
                                os_value(line + kl, value, sizeof(value));
                                const char **slot = (const char **)((char *)f + keys[k].off);
                                *slot = keep(&f->arena, value);
                        }
                }
                free(data);
                return;
        }
}

/* ---- time zone -------------------------------------------------------------------------- */

/* An IANA zone name: [A-Za-z0-9/_+-.] without empty, "." or ".." parts (as the wire wants). */
static bool tz_ok(const char *s)
{
        if (!fact_ok(s) || *s == '/' || s[strlen(s) - 1] == '/')
                return false;
        for (const char *p = s; *p; p++) {
                bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                          (*p >= '0' && *p <= '9') || strchr("/_+-.", *p);
                if (!ok || (*p == '/' && p[1] == '/') || (*p == '.' && (p == s || p[-1] == '/')))
                        return false;
        }
        return true;
}

static const char *read_timezone(const char *root, struct fp_arena *a)
{
        char path[PATH_MAX], buf[PATH_MAX];
        /* Debian's own record of the zone */
        under(path, sizeof(path), root, "/etc/timezone");
        if (first_line(path, buf, sizeof(buf)) && tz_ok(buf))
                return fp_arena_strdup(a, buf);
        /* everywhere: /etc/localtime -> ../usr/share/zoneinfo/Europe/Berlin */
        under(path, sizeof(path), root, "/etc/localtime");
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        const char *z = strstr(buf, "zoneinfo/");
        if (!z)
                return NULL;
        z += strlen("zoneinfo/");
        /* zoneinfo/posix/Europe/Berlin and zoneinfo/right/... are the same zones */
        if (strncmp(z, "posix/", 6) == 0)
                z += 6;
        return tz_ok(z) ? fp_arena_strdup(a, z) : NULL;
}

/* ---- kernels ---------------------------------------------------------------------------- */

/* The kernels a boot could run: kernel images (not headers or modules) of the inventory. */
static void installed_kernels(const struct fp_inventory *inv, struct fp_facts *f)
{
        if (!inv || inv->count == 0)
                return;
        const char **k = fp_arena_alloc(&f->arena, FP_MAX_FACT_KERNELS * sizeof(*k));
        size_t n = 0;
        if (!k)
                return;
        for (size_t i = 0; i < inv->count && n < FP_MAX_FACT_KERNELS; i++) {
                const struct fp_inv_pkg *p = &inv->pkgs[i];
                if (!p->kernel || !fact_ok(p->kernel_release))
                        continue;
                bool image =
                    strncmp(p->name, "linux-image-", 12) == 0 || strcmp(p->name, "kernel") == 0 ||
                    strcmp(p->name, "kernel-core") == 0 || strcmp(p->name, "kernel-uek") == 0 ||
                    strcmp(p->name, "kernel-uek-core") == 0 ||
                    strcmp(p->name, "kernel-rt-core") == 0 ||
                    strcmp(p->name, "kernel-64k-core") == 0;
                bool dup = false;
                for (size_t j = 0; j < n && !dup; j++)
                        dup = strcmp(k[j], p->kernel_release) == 0;
                if (image && !dup)
                        k[n++] = p->kernel_release; /* lives as long as the inventory */
        }
        /* copy: the facts outlive the inventory they were read from */
        for (size_t j = 0; j < n; j++)
                k[j] = fp_arena_strdup(&f->arena, k[j]);
        for (size_t j = 0; j < n; j++)
                if (!k[j])
                        return;
        f->kernels_installed = k;
        f->kernel_count = n;
}

enum fp_err agent_facts_collect(const struct agent_facts_opts *o, struct fp_facts *out,
                                struct fp_diag *diag)
{
        const char *root = o->root ? o->root : "/";
        bool live = strcmp(root, "/") == 0;
        char path[PATH_MAX], buf[512];
        struct fp_arena *a = &out->arena;

        memset(out, 0, sizeof(*out));
        fp_arena_init(a);

        if (o->hostname) {
                out->hostname = keep(a, o->hostname);
        } else {
                char host[HOST_NAME_MAX + 1] = "";
                if (gethostname(host, sizeof(host)) == 0) {
                        host[HOST_NAME_MAX] = '\0';
                        out->hostname = keep(a, host);
                }
        }
        if (!out->hostname) {
                fp_diag_set(diag, NULL, 0, "hostname", "no usable host name (set hostname =)");
                fp_facts_release(out);
                return FP_EINVAL;
        }
        read_os_release(root, out);

        struct utsname u;
        if (uname(&u) == 0) {
                out->arch = keep(a, u.machine);
                /* an image or sandbox root runs nothing: the kernel running is not its own */
                if (live)
                        out->kernel_running = keep(a, u.release);
        }
        installed_kernels(o->inv, out);

        if (live) {
                snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id",
                         o->proc_dir ? o->proc_dir : "/proc");
                if (first_line(path, buf, sizeof(buf)))
                        out->boot_id = keep(a, buf);
        } else {
                /* the sandbox test hook (docs/agent.md): a sandbox root simulates the kernel
                 * it runs and its boot id, so reboots can be tested without rebooting */
                under(path, sizeof(path), root, "/.fleetpatch-sandbox/kernel_running");
                if (first_line(path, buf, sizeof(buf)) && fact_ok(buf))
                        out->kernel_running = keep(a, buf);
                under(path, sizeof(path), root, "/.fleetpatch-sandbox/boot_id");
                if (first_line(path, buf, sizeof(buf)) && fact_ok(buf))
                        out->boot_id = keep(a, buf);
        }
        under(path, sizeof(path), root, "/etc/machine-id");
        if (first_line(path, buf, sizeof(buf)) && strlen(buf) == 32 &&
            strspn(buf, "0123456789abcdef") == 32)
                out->machine_id = keep(a, buf);
        out->timezone = read_timezone(root, a);
        out->agent_version = FP_AGENT_VERSION;
        return FP_OK;
}
