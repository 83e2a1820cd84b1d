/* Scan entry points shared by both families: which family a root holds, and cleanup. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fleetpatch/scan.h"

static bool exists_under(const char *root, const char *rel)
{
        char path[4096];
        struct stat st;
        size_t n = strlen(root);

        while (n > 1 && root[n - 1] == '/')
                n--;
        if (n == 1 && root[0] == '/')
                n = 0;
        snprintf(path, sizeof(path), "%.*s/%s", (int)n, root, rel);
        return stat(path, &st) == 0;
}

const char *fp_scan_detect_family(const char *root)
{
        if (!root)
                root = "/";
        /* dpkg first: Debian hosts may carry an rpm database for alien/rpm tools. */
        if (exists_under(root, "var/lib/dpkg/status"))
                return "deb";
        /* root/.rpmdb: where Debian's own rpm keeps an installroot's database by default. */
        if (exists_under(root, "var/lib/rpm") || exists_under(root, "usr/lib/sysimage/rpm") ||
            exists_under(root, "root/.rpmdb"))
                return "rpm";
        return NULL;
}

void fp_scan_result_release(struct fp_scan_result *res)
{
        if (!res)
                return;
        fp_arena_release(&res->arena);
        memset(res, 0, sizeof(*res));
}
