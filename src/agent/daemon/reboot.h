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

/* The newest installed kernel_release of inv (by the family's version order), NULL if none. */
const char *reboot_newest_kernel(const struct fp_inventory *inv);

#endif
