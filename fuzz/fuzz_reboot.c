/*
 * Fuzz the parsers of reboot_check's inputs: the first byte picks one (0: /proc/PID/maps,
 * reboot_maps_scan; 1: /proc/PID/cgroup, reboot_cgroup_service; 2: reboot-required.pkgs,
 * reboot_pkgs_parse; 3: `rpm -qa --qf '%{NAME} %{INSTALLTIME}\n'`, reboot_rpm_parse with a
 * boot time from the next 4 bytes and one extra core name), the rest is the file.
 * Invariants: a deleted mapping's path starts with '/' and is no kernel-made mapping; a unit
 * is a *.service shorter than REBOOT_UNIT_MAX of unit name characters and appears in the
 * input; package names are a set within REBOOT_PKGS_MAX, 1..FP_MAX_NAME_LEN printable ASCII
 * characters; an RPM package is only reported with a reason, and the reboot is required then.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/reboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool bytes_in(const char *hay, size_t n, const char *needle)
{
        size_t l = strlen(needle);
        for (size_t i = 0; l <= n && i <= n - l; i++)
                if (memcmp(hay + i, needle, l) == 0)
                        return true;
        return false;
}

static void check_pkgs(const struct reboot_info *info)
{
        if (info->pkg_count > REBOOT_PKGS_MAX)
                abort();
        for (size_t i = 0; i < info->pkg_count; i++) {
                size_t n = strlen(info->pkgs[i]);
                if (n == 0 || n > FP_MAX_NAME_LEN)
                        abort();
                for (size_t k = 0; k < n; k++)
                        if (info->pkgs[i][k] <= 0x20 || info->pkgs[i][k] >= 0x7f)
                                abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(info->pkgs[i], info->pkgs[j]) == 0)
                                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        const char *text = (const char *)data + 1;
        size_t len = size - 1;
        switch (data[0] % 4) {
        case 0: {
                char path[4096];
                memset(path, 0, sizeof(path));
                if (reboot_maps_scan(text, len, path, sizeof(path))) {
                        if (path[0] != '/' || strncmp(path, "/dev/", 5) == 0 ||
                            strncmp(path, "/memfd:", 7) == 0 || !bytes_in(text, len, " (deleted)"))
                                abort();
                }
                break;
        }
        case 1: {
                char unit[REBOOT_UNIT_MAX];
                if (reboot_cgroup_service(text, len, unit, sizeof(unit))) {
                        size_t n = strnlen(unit, sizeof(unit));
                        if (n <= 8 || n >= REBOOT_UNIT_MAX ||
                            strcmp(unit + n - 8, ".service") != 0 || !bytes_in(text, len, unit) ||
                            strspn(unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789:-_.\\@") != n)
                                abort();
                }
                break;
        }
        case 2:
        case 3: {
                struct reboot_info info;
                memset(&info, 0, sizeof(info));
                fp_arena_init(&info.arena);
                enum fp_err err;
                if (data[0] % 4 == 2) {
                        err = reboot_pkgs_parse(text, len, &info);
                        if (info.reason_count != 0)
                                abort();
                } else {
                        char extra_name[] = "my-core-lib";
                        char *extra[] = {extra_name};
                        int64_t bt = 0;
                        size_t hdr = len < 4 ? len : 4;
                        for (size_t i = 0; i < hdr; i++)
                                bt = bt * 256 + (unsigned char)text[i];
                        err = reboot_rpm_parse(text + hdr, len - hdr, bt, extra, 1, &info);
                        if (info.pkg_count != info.reason_count ||
                            info.required != (info.pkg_count > 0))
                                abort();
                }
                if (err != FP_OK && err != FP_ENOMEM)
                        abort();
                check_pkgs(&info);
                reboot_info_release(&info);
                break;
        }
        default:
                break;
        }
        return 0;
}
