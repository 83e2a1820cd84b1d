/*
 * Fact collection on fake roots made here: os-release (and its /usr/lib fallback), machine id,
 * time zone from /etc/timezone or the /etc/localtime link, installed kernels from a dpkg
 * status, and nothing invented when a file is missing or malformed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the daemon is not a library: its fact collection is compiled into this test */
#include "agent/daemon/facts.c" // NOLINT(bugprone-suspicious-include)
#include "test.h"

static char base[] = "/tmp/fp-facts-XXXXXX";

static void put(const char *rel, const char *text)
{
        char path[4096], dir[4096];
        snprintf(path, sizeof(path), "%s/%s", base, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        for (char *p = dir + strlen(base) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(dir, 0755);
                *p = '/';
        }
        FILE *f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

static const char *root_of(const char *name)
{
        static char path[4096];
        snprintf(path, sizeof(path), "%s/%s", base, name);
        return path;
}

static const char status_text[] =
    "Package: linux-image-6.1.0-17-amd64\nStatus: install ok installed\nArchitecture: amd64\n"
    "Version: 6.1.69-1\nSource: linux-signed-amd64 (6.1.69+1)\n\n"
    "Package: linux-image-6.1.0-18-amd64\nStatus: install ok installed\nArchitecture: amd64\n"
    "Version: 6.1.76-1\nSource: linux-signed-amd64 (6.1.76+1)\n\n"
    "Package: linux-headers-6.1.0-18-amd64\nStatus: install ok installed\n"
    "Architecture: amd64\nVersion: 6.1.76-1\nSource: linux\n\n"
    "Package: linux-image-amd64\nStatus: install ok installed\nArchitecture: amd64\n"
    "Version: 6.1.76-1\nSource: linux-signed-amd64 (6.1.76+1)\n\n"
    "Package: linux-image-6.1.0-16-amd64\nStatus: deinstall ok config-files\n"
    "Architecture: amd64\nVersion: 6.1.67-1\n\n"
    "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n";

static void test_debian_root(void)
{
        put("deb/etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
            "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\n"
            "ID=debian\n");
        put("deb/etc/machine-id", "4f1c3c9b2a7d4e5f8a9b0c1d2e3f4a5b\n");
        put("deb/etc/timezone", "Europe/Berlin\n");
        put("deb/var/lib/dpkg/status", status_text);
        char root[4096];
        snprintf(root, sizeof(root), "%s", root_of("deb"));

        struct fp_inventory inv;
        struct fp_diag d;
        struct fp_inventory_opts io = {.root = root, .running_kernel = ""};
        CHECK_INT_EQ(fp_inventory_load(&io, &inv, &d), FP_OK);

        struct fp_facts f;
        struct agent_facts_opts o = {.root = root, .hostname = "web-1", .inv = &inv};
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_OK);
        fp_inventory_release(&inv); /* the facts own copies */
        CHECK_STR_EQ(f.hostname, "web-1");
        CHECK_STR_EQ(f.os_id, "debian");
        CHECK_STR_EQ(f.os_version, "12");
        CHECK_STR_EQ(f.os_codename, "bookworm");
        CHECK_STR_EQ(f.os_pretty, "Debian GNU/Linux 12 (bookworm)");
        CHECK_STR_EQ(f.machine_id, "4f1c3c9b2a7d4e5f8a9b0c1d2e3f4a5b");
        CHECK_STR_EQ(f.timezone, "Europe/Berlin");
        CHECK_STR_EQ(f.agent_version, FP_AGENT_VERSION);
        CHECK(f.arch != NULL);
        /* a sandbox root runs nothing: no running kernel, no boot id */
        CHECK(f.kernel_running == NULL);
        CHECK(f.boot_id == NULL);
        /* images only (not headers, not the meta package, not a removed one) */
        CHECK_INT_EQ(f.kernel_count, 2);
        if (f.kernel_count == 2) {
                CHECK_STR_EQ(f.kernels_installed[0], "6.1.0-17-amd64");
                CHECK_STR_EQ(f.kernels_installed[1], "6.1.0-18-amd64");
        }
        /* what was collected is what the server accepts */
        json_t *j = fp_wire_facts_build(&f);
        struct fp_facts back;
        CHECK_INT_EQ(fp_wire_facts_parse(j, &back, &d), FP_OK);
        fp_facts_release(&back);
        json_decref(j);
        fp_facts_release(&f);
}

static void test_sparse_root(void)
{
        /* os-release only under /usr/lib, a bad machine id, the zone from the localtime link */
        put("rpm/usr/lib/os-release", "ID=\"almalinux\"\nVERSION_ID='9.4'\n"
                                      "PRETTY_NAME=\"AlmaLinux 9.4 (Seafoam \\\"Ocelot\\\")\"\n");
        put("rpm/etc/machine-id", "not-a-machine-id\n");
        char link[4096];
        snprintf(link, sizeof(link), "%s", root_of("rpm/etc/localtime"));
        CHECK(symlink("../usr/share/zoneinfo/America/Argentina/Buenos_Aires", link) == 0);
        struct fp_facts f;
        struct fp_diag d;
        char rpm_root[4096];
        snprintf(rpm_root, sizeof(rpm_root), "%s", root_of("rpm"));
        struct agent_facts_opts o = {.root = rpm_root, .hostname = "db-2"};
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_OK);
        CHECK_STR_EQ(f.os_id, "almalinux");
        CHECK_STR_EQ(f.os_version, "9.4");
        CHECK(f.os_codename == NULL);
        CHECK_STR_EQ(f.os_pretty, "AlmaLinux 9.4 (Seafoam \"Ocelot\")");
        CHECK(f.machine_id == NULL);
        CHECK_STR_EQ(f.timezone, "America/Argentina/Buenos_Aires");
        CHECK_INT_EQ(f.kernel_count, 0);
        fp_facts_release(&f);

        /* an /etc/timezone that is not a zone name falls back to the link; a link outside
         * zoneinfo gives no zone at all */
        put("rpm/etc/timezone", "../../etc/shadow\n");
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_OK);
        CHECK_STR_EQ(f.timezone, "America/Argentina/Buenos_Aires");
        fp_facts_release(&f);
        unlink(link);
        CHECK(symlink("/etc/some/file", link) == 0);
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_OK);
        CHECK(f.timezone == NULL);
        fp_facts_release(&f);
        unlink(link);
        CHECK(symlink("/usr/share/zoneinfo/posix/Etc/UTC", link) == 0);
        unlink(root_of("rpm/etc/timezone"));
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_OK);
        CHECK_STR_EQ(f.timezone, "Etc/UTC");
        fp_facts_release(&f);

        /* nothing at all: only the host name */
        char empty[4096];
        snprintf(empty, sizeof(empty), "%s", root_of("empty"));
        mkdir(empty, 0755);
        o.root = empty;
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_OK);
        CHECK(f.os_id == NULL && f.machine_id == NULL && f.timezone == NULL);
        CHECK_STR_EQ(f.hostname, "db-2");
        fp_facts_release(&f);

        /* a host name the server would refuse is an error, not a silent default */
        char longname[300];
        memset(longname, 'h', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        o.hostname = longname;
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_EINVAL);
        CHECK_STR_EQ(d.field, "hostname");
        fp_facts_release(&f);
}

static void test_live_root(void)
{
        /* root "/": the running kernel and the boot id (from a fake /proc here) */
        put("proc/sys/kernel/random/boot_id", "0b8c5a3e-6f5e-4a53-9f0e-1f4a0c2d7e11\n");
        struct fp_facts f;
        struct fp_diag d;
        struct agent_facts_opts o = {.root = "/", .proc_dir = root_of("proc")};
        CHECK_INT_EQ(agent_facts_collect(&o, &f, &d), FP_OK);
        CHECK(f.hostname != NULL);
        CHECK(f.kernel_running != NULL);
        CHECK_STR_EQ(f.boot_id, "0b8c5a3e-6f5e-4a53-9f0e-1f4a0c2d7e11");
        fp_facts_release(&f);
}

int main(void)
{
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                return 1;
        }
        test_debian_root();
        test_sparse_root();
        test_live_root();
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", base);
        return fp_test_finish();
}
