/*
 * Reboot truth (docs/jobs.md "Reboot truth"): whether the host needs a reboot and why, from
 * the distribution's own signals; running the configured reboot program; and confirming after
 * the reboot that it happened and the expected kernel runs.
 *
 * Sandbox test hook: for a root other than "/", the running kernel and the boot id come from
 * ROOT/.fleetpatch-sandbox/kernel_running and ROOT/.fleetpatch-sandbox/boot_id (one line
 * each) since nothing runs in a sandbox root; for "/" they are never read (docs/agent.md).
 */
#ifndef FP_AGENT_REBOOT_H
#define FP_AGENT_REBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/daemon/config.h"
#include "fleetpatch/error.h"
#include "fleetpatch/inventory.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"

#define REBOOT_SANDBOX_DIR ".fleetpatch-sandbox"
/* A boot id is a UUID (36 characters); kernel releases are short too. */
#define REBOOT_ID_MAX 128

struct reboot_opts {
        const char *root;               /* "/" or a sandbox root */
        const char *proc_dir;           /* "/proc"; NULL: no process scan */
        const struct fp_inventory *inv; /* installed kernels and running_kernel; may be NULL */
        int64_t boot_time;              /* UNIX time of the boot; 0: read proc_dir/stat btime */
        const char *rpm;                /* rpm program for the RPM check; NULL: "rpm" */
};

struct reboot_info {
        bool required;
        char **reasons; /* "reboot-required file (pkgs: libc6, ...)", "kernel 6.1.0-2 installed,
                           6.1.0-1 running", "PID 1 (/usr/lib/systemd/systemd) maps a deleted
                           file", "glibc installed after boot" */
        size_t reason_count;
        char **services; /* units to restart instead of a reboot ("ssh.service"), sorted */
        size_t service_count;
        char **pkgs; /* packages that asked for the reboot (reboot-required.pkgs, core RPMs) */
        size_t pkg_count;
        char *newest_kernel;   /* newest installed kernel_release, NULL when none */
        char *running_kernel;  /* as used for the comparison, NULL when unknown */
        struct fp_arena arena; /* owns the strings; the arrays are malloc(3)ed */
};

/*
 * Look at every signal. Missing signals (no reboot-required file, no proc_dir, no rpm) are
 * not errors; FP_ENOMEM and unreadable proc entries that are not races are. out is always
 * initialised (release it even on error).
 */
enum fp_err reboot_check(const struct reboot_opts *o, struct reboot_info *out, struct fp_diag *d);
void reboot_info_release(struct reboot_info *info);

/* Run cfg->reboot_command (split on spaces into an argv, never a shell). FP_EEXEC with the
 * status when it failed. It returns when the command returns: the reboot itself follows. */
enum fp_err reboot_request(const struct agent_config *cfg, struct fp_diag *d);

/*
 * After a reboot: FP_OK when the boot id changed and, when expected_kernel is not NULL or
 * empty, running_kernel is it. Otherwise FP_EEXEC ("no reboot happened", "kernel X came
 * back, expected Y") or FP_EINVAL (a boot id missing). why gets the sentence either way.
 */
enum fp_err reboot_confirm(const char *expected_kernel, const char *running_kernel,
                           const char *old_boot_id, const char *new_boot_id, char *why,
                           size_t whysz);

/* The current boot id: ROOT/.fleetpatch-sandbox/boot_id when root is not "/", else
 * /proc/sys/kernel/random/boot_id. FP_ENOENT when there is none. */
enum fp_err reboot_boot_id(const char *root, char *out, size_t outsz, struct fp_diag *d);

/* The sandbox's simulated running kernel (root not "/"): FP_ENOENT when absent, FP_EINVAL
 * when root is "/" (use uname(2) there). */
enum fp_err reboot_sandbox_kernel(const char *root, char *out, size_t outsz, struct fp_diag *d);

/*
 * The parsers behind reboot_check, on buffers (fuzz/fuzz_reboot.c). None reads past len or
 * needs a NUL; each has named limits and never fails on bad input, it skips it.
 */
/* /proc/PID/maps: lines of at most REBOOT_MAPS_MAX_LINE bytes (longer ones and lines with a
 * NUL are not mappings), at most REBOOT_MAPS_MAX_LINES lines of one process looked at. */
#define REBOOT_MAPS_MAX_LINE (4096 + 256)
#define REBOOT_MAPS_MAX_LINES 1000000
/* One maps line (without or with its newline): whether it maps a deleted shared object or
 * executable file a restart would replace; path (pathsz > 0) gets the file, cut to fit. */
bool reboot_maps_line(const char *line, size_t len, char *path, size_t pathsz);
/* The first line of a whole maps file for which reboot_maps_line is true. */
bool reboot_maps_scan(const char *text, size_t len, char *path, size_t pathsz);

/* /proc/PID/cgroup: the first REBOOT_CGROUP_MAX_FILE bytes, REBOOT_CGROUP_MAX_LINES lines of
 * at most REBOOT_CGROUP_MAX_LINE bytes. A unit name is shorter than REBOOT_UNIT_MAX (systemd's
 * UNIT_NAME_MAX) and made of systemd's unit name characters. */
#define REBOOT_CGROUP_MAX_FILE (64 * 1024)
#define REBOOT_CGROUP_MAX_LINES 256
#define REBOOT_CGROUP_MAX_LINE 4096
#define REBOOT_UNIT_MAX 256
/* The innermost *.service of the first line that has one ("0::/system.slice/ssh.service"):
 * true with unit set (unitsz >= REBOOT_UNIT_MAX), false when none. */
bool reboot_cgroup_service(const char *text, size_t len, char *unit, size_t unitsz);

/* reboot-required.pkgs: the first REBOOT_PKGS_MAX_FILE bytes; a package name a line (the
 * first word; 1..FP_MAX_NAME_LEN printable ASCII characters, other lines are skipped) of at
 * most REBOOT_PKGS_MAX_LINE bytes; at most REBOOT_PKGS_MAX names in info->pkgs. */
#define REBOOT_PKGS_MAX_FILE (64 * 1024)
#define REBOOT_PKGS_MAX_LINE 512
#define REBOOT_PKGS_MAX 1024
/* Adds the names to info->pkgs (a set); FP_ENOMEM only. */
enum fp_err reboot_pkgs_parse(const char *text, size_t len, struct reboot_info *info);

/* `rpm -qa --qf '%{NAME} %{INSTALLTIME}\n'`: lines "NAME SECONDS" of at most
 * REBOOT_RPM_MAX_LINE bytes, at most REBOOT_RPM_MAX_LINES of them; other lines are skipped. */
#define REBOOT_RPM_MAX_LINE 1024
#define REBOOT_RPM_MAX_LINES 1000000
/* Every core package (the built-in list, or one of extra) installed after boot_time: its name
 * goes to info->pkgs and a reason "NAME installed after boot". FP_ENOMEM only. */
enum fp_err reboot_rpm_parse(const char *text, size_t len, int64_t boot_time, char *const *extra,
                             size_t extra_count, struct reboot_info *info);

/* The newest installed kernel_release of inv (by the family's version order), NULL if none. */
const char *reboot_newest_kernel(const struct fp_inventory *inv);

#endif
