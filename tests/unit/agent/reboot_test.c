/*
 * Reboot truth on fake roots and fake proc trees made here: reboot-required (and its .pkgs),
 * the newest installed kernel against the running one (a sandbox's simulated one), processes
 * mapping deleted files (PID 1 means a reboot, others name their services), RPM core packages
 * installed after the boot (a fake rpm program), the reboot program as an argv, and the
 * post-reboot confirmation. Nothing here reads the host's /proc or runs a real reboot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/daemon/facts.h"
#include "agent/daemon/reboot.h"
#include "test.h"

static char base[] = "/tmp/fp-reboot-XXXXXX";

static void put_mode(const char *rel, const char *text, mode_t mode)
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
        chmod(path, mode);
}

static void put(const char *rel, const char *text)
{
        put_mode(rel, text, 0644);
}

static const char *at(const char *rel)
{
        static char path[4][4096];
        static int i;
        i = (i + 1) % 4;
        snprintf(path[i], sizeof(path[i]), "%s/%s", base, rel);
        return path[i];
}

static bool has(char **v, size_t n, const char *needle)
{
        for (size_t i = 0; i < n; i++)
                if (strstr(v[i], needle))
                        return true;
        return false;
}

/* ---- inventories ---------------------------------------------------------------------------- */

static struct fp_inv_pkg deb_pkgs[] = {
    {.name = "bash", .version = "5.2.15-2+b2", .source = "bash"},
    {.name = "linux-headers-6.1.0-19-amd64",
     .version = "6.1.80-1",
     .source = "linux",
     .kernel = true,
     .kernel_release = "6.1.0-19-amd64"},
    {.name = "linux-image-6.1.0-18-amd64",
     .version = "6.1.76-1",
     .source = "linux",
     .kernel = true,
     .kernel_release = "6.1.0-18-amd64"},
    {.name = "linux-image-6.1.0-9-amd64",
     .version = "6.1.27-1",
     .source = "linux",
     .kernel = true,
     .kernel_release = "6.1.0-9-amd64"},
};

static struct fp_inventory deb_inv(const char *running)
{
        struct fp_inventory inv = {.family = "deb",
                                   .scheme = FP_SCHEME_DEB,
                                   .running_kernel = running,
                                   .pkgs = deb_pkgs,
                                   .count = 4};
        return inv;
}

static void test_newest_kernel(void)
{
        struct fp_inventory inv = deb_inv(NULL);
        /* by package version: the ABI number 9 < 18 is not string order, headers don't count */
        CHECK_STR_EQ(reboot_newest_kernel(&inv), "6.1.0-18-amd64");
        inv.count = 1;
        CHECK(reboot_newest_kernel(&inv) == NULL);
        CHECK(reboot_newest_kernel(NULL) == NULL);

        struct fp_inv_pkg rpm[] = {
            {.name = "kernel-core",
             .version = "5.14.0-362.8.1.el9_3",
             .source = "kernel",
             .kernel = true,
             .kernel_release = "5.14.0-362.8.1.el9_3.x86_64"},
            {.name = "kernel-core",
             .version = "5.14.0-70.13.1.el9_0",
             .source = "kernel",
             .kernel = true,
             .kernel_release = "5.14.0-70.13.1.el9_0.x86_64"},
        };
        struct fp_inventory r = {.family = "rpm", .scheme = FP_SCHEME_RPM, .pkgs = rpm, .count = 2};
        CHECK_STR_EQ(reboot_newest_kernel(&r), "5.14.0-362.8.1.el9_3.x86_64");
}

static void test_clean_root(void)
{
        put("clean/etc/os-release", "ID=debian\n");
        struct fp_inventory inv = deb_inv("6.1.0-18-amd64");
        struct reboot_opts o = {.root = at("clean"), .inv = &inv};
        struct reboot_info info;
        struct fp_diag d;
        CHECK_INT_EQ(reboot_check(&o, &info, &d), FP_OK);
        CHECK(!info.required);
        CHECK_INT_EQ(info.reason_count, 0);
        CHECK_STR_EQ(info.newest_kernel, "6.1.0-18-amd64");
        CHECK_STR_EQ(info.running_kernel, "6.1.0-18-amd64");
        reboot_info_release(&info);
}

static void test_reboot_required_file(void)
{
        put("req/run/reboot-required", "*** System restart required ***\n");
        put("req/run/reboot-required.pkgs", "libc6\nlinux-image-6.1.0-18-amd64\nlibc6\n");
        struct fp_inventory inv = deb_inv("6.1.0-18-amd64");
        struct reboot_opts o = {.root = at("req"), .inv = &inv};
        struct reboot_info info;
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(info.required);
        CHECK_INT_EQ(info.reason_count, 1);
        CHECK(has(info.reasons, info.reason_count, "reboot-required file (libc6, linux-image"));
        CHECK_INT_EQ(info.pkg_count, 2); /* a set */
        reboot_info_release(&info);

        /* /var/run as a real directory counts too; a var/run symlink is not followed (an
         * absolute one would reach the host's /run) */
        put("varrun/var/run/reboot-required", "");
        o.root = at("varrun");
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(info.required);
        CHECK(has(info.reasons, info.reason_count, "reboot-required file"));
        reboot_info_release(&info);

        put("link/etc/os-release", "ID=debian\n");
        /* the link's target is a directory of the sandbox holding the file, so following it
         * would show; only the sandbox is written */
        put("link-target/reboot-required", "");
        CHECK(mkdir(at("link/var"), 0755) == 0);
        CHECK(symlink(at("link-target"), at("link/var/run")) == 0);
        o.root = at("link");
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(!info.required);
        reboot_info_release(&info);
}

static void test_kernel_mismatch(void)
{
        put("kern/etc/os-release", "ID=debian\n");
        struct fp_inventory inv = deb_inv("6.1.0-9-amd64");
        struct reboot_opts o = {.root = at("kern"), .inv = &inv};
        struct reboot_info info;
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(info.required);
        CHECK(has(info.reasons, info.reason_count,
                  "kernel 6.1.0-18-amd64 installed, 6.1.0-9-amd64 running"));
        reboot_info_release(&info);

        /* a sandbox root without a simulated kernel runs nothing: no comparison */
        inv.running_kernel = "";
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(!info.required);
        CHECK(info.running_kernel == NULL);
        reboot_info_release(&info);

        /* the sandbox test hook simulates the running kernel */
        put("kern/.fleetpatch-sandbox/kernel_running", "6.1.0-9-amd64\n");
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(info.required);
        CHECK_STR_EQ(info.running_kernel, "6.1.0-9-amd64");
        reboot_info_release(&info);
        put("kern/.fleetpatch-sandbox/kernel_running", "6.1.0-18-amd64\n");
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(!info.required);
        reboot_info_release(&info);
}

static void test_sandbox_files(void)
{
        char buf[REBOOT_ID_MAX];
        struct fp_diag d;
        put("sb/.fleetpatch-sandbox/boot_id", "11111111-2222-3333-4444-555555555555\n");
        put("sb/.fleetpatch-sandbox/kernel_running", "6.1.0-18-amd64\n");
        CHECK_INT_EQ(reboot_boot_id(at("sb"), buf, sizeof(buf), &d), FP_OK);
        CHECK_STR_EQ(buf, "11111111-2222-3333-4444-555555555555");
        CHECK_INT_EQ(reboot_sandbox_kernel(at("sb"), buf, sizeof(buf), &d), FP_OK);
        CHECK_STR_EQ(buf, "6.1.0-18-amd64");
        /* never for the real root */
        CHECK_INT_EQ(reboot_sandbox_kernel("/", buf, sizeof(buf), &d), FP_EINVAL);
        CHECK_INT_EQ(reboot_boot_id(at("clean"), buf, sizeof(buf), &d), FP_ENOENT);

        /* facts of a sandbox root use them too */
        put("sb/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
        struct agent_facts_opts fo = {.root = at("sb"), .hostname = "h1"};
        struct fp_facts f;
        CHECK_INT_EQ(agent_facts_collect(&fo, &f, &d), FP_OK);
        CHECK_STR_EQ(f.kernel_running, "6.1.0-18-amd64");
        CHECK_STR_EQ(f.boot_id, "11111111-2222-3333-4444-555555555555");
        fp_facts_release(&f);
}

/* ---- processes ------------------------------------------------------------------------------ */

static void test_processes(void)
{
        const char *lib = "7f0000000000-7f0000001000 r-xp 00000000 fd:01 1234 "
                          "/usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)\n";
        const char *fine = "55d000000000-55d000001000 r-xp 00000000 fd:01 99 /usr/sbin/sshd\n"
                           "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";
        put("p1/etc/os-release", "ID=debian\n");
        put("p1/proc/stat", "cpu 1 2 3\nbtime 1700000000\n");
        /* sshd maps a deleted libssl: restart ssh.service, no reboot */
        char maps[1024];
        snprintf(maps, sizeof(maps), "%s%s", fine, lib);
        put("p1/proc/200/maps", maps);
        put("p1/proc/200/cgroup", "0::/system.slice/ssh.service\n");
        /* a service's sub-cgroup; cgroup v1 lines */
        put("p1/proc/201/maps",
            "00400000-00401000 r-xp 00000000 fd:01 7 /usr/bin/cron (deleted)\n");
        put("p1/proc/201/cgroup", "12:pids:/system.slice/cron.service\n"
                                  "1:name=systemd:/system.slice/cron.service/sub\n");
        /* a user's process: nothing to restart for us */
        put("p1/proc/300/maps", lib);
        put("p1/proc/300/cgroup", "0::/user.slice/user-1000.slice/session-3.scope\n");
        /* not package files: memfd, SysV shm, a deleted data file, a deleted non-exec map */
        put("p1/proc/400/maps",
            "7f0000000000-7f0000001000 rw-s 00000000 00:01 5 /memfd:pulse (deleted)\n"
            "7f0000001000-7f0000002000 rw-s 00000000 00:01 6 /SYSV00000000 (deleted)\n"
            "7f0000002000-7f0000003000 r--p 00000000 fd:01 8 /var/lib/x/cache.db (deleted)\n");
        put("p1/proc/400/cgroup", "0::/system.slice/pulse.service\n");
        /* a process that exited between readdir and open: no maps */
        mkdir(at("p1/proc/500"), 0755);
        /* not processes */
        put("p1/proc/self-not-a-pid/maps", lib);

        struct fp_inventory inv = deb_inv("6.1.0-18-amd64");
        struct reboot_opts o = {.root = at("p1"), .proc_dir = at("p1/proc"), .inv = &inv};
        struct reboot_info info;
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(!info.required);
        CHECK_INT_EQ(info.service_count, 2);
        if (info.service_count == 2) {
                CHECK_STR_EQ(info.services[0], "cron.service");
                CHECK_STR_EQ(info.services[1], "ssh.service");
        }
        reboot_info_release(&info);

        /* PID 1 mapping a deleted library: only a reboot replaces it */
        put("p1/proc/1/maps", "7f0000000000-7f0000001000 r-xp 00000000 fd:01 1 "
                              "/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)\n");
        put("p1/proc/1/cgroup", "0::/init.scope\n");
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK(info.required);
        CHECK(has(info.reasons, info.reason_count,
                  "PID 1 maps deleted /usr/lib/x86_64-linux-gnu/libc.so.6"));
        reboot_info_release(&info);

        /* a missing proc dir is no signal, not an error */
        o.proc_dir = at("p1/no-proc");
        CHECK_INT_EQ(reboot_check(&o, &info, NULL), FP_OK);
        CHECK_INT_EQ(info.service_count, 0);
        reboot_info_release(&info);
}

/* ---- RPM ------------------------------------------------------------------------------------ */

static void test_rpm_core(void)
{
        /* the fake rpm checks it was asked for this root, as a real one would be */
        char script[2048];
        snprintf(script, sizeof(script),
                 "#!/bin/sh\n"
                 "[ \"$1 $2 $3\" = \"--root %s -qa\" ] || { echo \"bad args: $*\" >&2; exit 2; }\n"
                 "echo 'bash 1700000500'\n"
                 "echo 'glibc 1699999000'\n"
                 "echo 'openssl-libs 1700000100'\n"
                 "echo 'systemd-udev 1700000200'\n"
                 "echo 'kernel-core 1700000300'\n"
                 "echo 'mylib 1700000400'\n",
                 at("rpmroot"));
        put_mode("bin/rpm", script, 0755);
        put("rpmroot/etc/dnf/plugins/needs-restarting.d/local.conf", "# ours\nmylib\n");
        struct fp_inv_pkg pk[] = {
            {.name = "kernel-core",
             .version = "5.14.0-362.8.1.el9_3",
             .source = "kernel",
             .kernel = true,
             .kernel_release = "5.14.0-362.8.1.el9_3.x86_64"},
        };
        struct fp_inventory inv = {.family = "rpm",
                                   .scheme = FP_SCHEME_RPM,
                                   .running_kernel = "5.14.0-362.8.1.el9_3.x86_64",
                                   .pkgs = pk,
                                   .count = 1};
        struct reboot_opts o = {
            .root = at("rpmroot"), .inv = &inv, .boot_time = 1700000000, .rpm = at("bin/rpm")};
        struct reboot_info info;
        struct fp_diag d;
        CHECK_INT_EQ(reboot_check(&o, &info, &d), FP_OK);
        CHECK(info.required);
        CHECK(has(info.reasons, info.reason_count, "openssl-libs installed after boot"));
        CHECK(has(info.reasons, info.reason_count, "kernel-core installed after boot"));
        CHECK(has(info.reasons, info.reason_count, "mylib installed after boot"));
        /* glibc is core but older than the boot; bash is not core */
        CHECK(!has(info.reasons, info.reason_count, "glibc"));
        CHECK(!has(info.reasons, info.reason_count, "bash"));
        CHECK(!has(info.reasons, info.reason_count, "systemd-udev"));
        CHECK_INT_EQ(info.pkg_count, 3);
        reboot_info_release(&info);

        /* boot after every install: nothing */
        o.boot_time = 1800000000;
        CHECK_INT_EQ(reboot_check(&o, &info, &d), FP_OK);
        CHECK(!info.required);
        reboot_info_release(&info);

        /* the boot time from proc_dir/stat when not given */
        o.boot_time = 0;
        put("rpmproc/stat", "cpu 1\nbtime 1700000350\n");
        o.proc_dir = at("rpmproc");
        CHECK_INT_EQ(reboot_check(&o, &info, &d), FP_OK);
        CHECK(info.required);
        CHECK(has(info.reasons, info.reason_count, "mylib"));
        CHECK(!has(info.reasons, info.reason_count, "kernel-core"));
        reboot_info_release(&info);

        /* rpm failing is an error with its message, not "no reboot needed" */
        o.root = at("clean");
        CHECK_INT_EQ(reboot_check(&o, &info, &d), FP_EEXEC);
        reboot_info_release(&info);
}

/* ---- reboot_request, reboot_confirm -----------------------------------------------------------
 */

static void test_request(void)
{
        char script[1024], cmd[1024], got[512] = "";
        snprintf(script, sizeof(script), "#!/bin/sh\nprintf '%%s|' \"$@\" > %s\n",
                 at("reboot-args"));
        put_mode("bin/fake-reboot", script, 0755);
        struct agent_config cfg;
        CHECK(agent_config_init(&cfg));
        /* an argv: the ; and $HOME reach the program as they are, no shell reads them */
        snprintf(cmd, sizeof(cmd), "%s --now a;b $HOME", at("bin/fake-reboot"));
        struct fp_diag d;
        CHECK_INT_EQ(agent_config_set(&cfg, "reboot_command", cmd, NULL, 0, &d), FP_OK);
        CHECK_INT_EQ(reboot_request(&cfg, &d), FP_OK);
        FILE *f = fopen(at("reboot-args"), "r");
        CHECK(f != NULL);
        if (f) {
                CHECK(fgets(got, sizeof(got), f) != NULL);
                fclose(f);
        }
        CHECK_STR_EQ(got, "--now|a;b|$HOME|");

        put_mode("bin/fail-reboot", "#!/bin/sh\nexit 3\n", 0755);
        CHECK_INT_EQ(agent_config_set(&cfg, "reboot_command", at("bin/fail-reboot"), NULL, 0, &d),
                     FP_OK);
        CHECK_INT_EQ(reboot_request(&cfg, &d), FP_EEXEC);
        CHECK(strstr(d.msg, "status 3") != NULL);
        CHECK_INT_EQ(agent_config_set(&cfg, "reboot_command", at("bin/none"), NULL, 0, &d), FP_OK);
        CHECK_INT_EQ(reboot_request(&cfg, &d), FP_ENOENT);
        agent_config_release(&cfg);
}

static void test_confirm(void)
{
        char why[256];
        CHECK_INT_EQ(
            reboot_confirm("6.1.0-18-amd64", "6.1.0-18-amd64", "aaa", "bbb", why, sizeof(why)),
            FP_OK);
        CHECK(strstr(why, "rebooted") != NULL);
        CHECK_INT_EQ(reboot_confirm(NULL, "6.1.0-9-amd64", "aaa", "bbb", why, sizeof(why)), FP_OK);
        CHECK_INT_EQ(
            reboot_confirm("6.1.0-18-amd64", "6.1.0-9-amd64", "aaa", "bbb", why, sizeof(why)),
            FP_EEXEC);
        CHECK(strstr(why, "6.1.0-9-amd64 runs, expected 6.1.0-18-amd64") != NULL);
        CHECK_INT_EQ(
            reboot_confirm("6.1.0-18-amd64", "6.1.0-18-amd64", "aaa", "aaa", why, sizeof(why)),
            FP_EEXEC);
        CHECK(strstr(why, "no reboot happened") != NULL);
        CHECK_INT_EQ(reboot_confirm("k", NULL, "aaa", "bbb", why, sizeof(why)), FP_EEXEC);
        CHECK_INT_EQ(reboot_confirm("k", "k", "", "bbb", why, sizeof(why)), FP_EINVAL);
        CHECK_INT_EQ(reboot_confirm("k", "k", "aaa", NULL, why, sizeof(why)), FP_EINVAL);
}

int main(void)
{
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                return 1;
        }
        test_newest_kernel();
        test_clean_root();
        test_reboot_required_file();
        test_kernel_mismatch();
        test_sandbox_files();
        test_processes();
        test_rpm_core();
        test_request();
        test_confirm();
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", base);
        return fp_test_finish();
}
