/*
 * Package backends: one interface over apt/dpkg, dnf/rpm and a fake for logic tests. A backend
 * turns a request of exact (name, arch, version) pairs into a transaction of the host's own
 * package manager, on "/" or a sandbox root, and tells what it would change (simulate) or did.
 * Nothing here ever runs shell text: every program is started with an argv (fp_exec_*).
 *
 * Versions are the family's own: a Debian version ("1:2.0-1~deb12u1"), an RPM EVR
 * ("1:2.0-1.el9", epoch omitted when 0). Arch is the package's ("amd64", "all", "x86_64",
 * "noarch"); NULL in a request means "the one installed, else the native one".
 */
#ifndef FP_AGENT_BACKEND_H
#define FP_AGENT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

struct be_pkg {
        const char *name, *arch, *version;
};

enum be_action { BE_INSTALL, BE_UPGRADE, BE_DOWNGRADE, BE_REINSTALL, BE_REMOVE };
const char *be_action_name(enum be_action a); /* "install", "upgrade", ... */

/* One package a transaction changes. from is NULL for a new package, to NULL for a removal. */
struct be_change {
        enum be_action action;
        const char *name, *arch, *from, *to;
};

struct be_plan {
        struct be_change *changes; /* sorted by name, then arch */
        size_t count;
        struct fp_arena arena; /* owns the array and every string */
};
void be_plan_release(struct be_plan *p);

/* Why a transaction failed: the job's "reason" (docs/jobs.md). */
enum be_fail {
        BE_FAIL_NONE,
        BE_FAIL_NOT_FOUND,  /* a package or version no repository offers */
        BE_FAIL_LOCKED,     /* the package manager's lock stayed taken past lock_wait */
        BE_FAIL_HELD,       /* a held (apt-mark hold / versionlock) package would change */
        BE_FAIL_UNTRUSTED,  /* a repository is unsigned, badly signed or tampered */
        BE_FAIL_DISK_FULL,  /* no space left for the download or the unpack */
        BE_FAIL_REMOVALS,   /* the plan removes packages and the request does not allow it */
        BE_FAIL_DOWNGRADES, /* the plan downgrades and the request does not allow it */
        BE_FAIL_CONFLICT,   /* the solver found no solution */
        BE_FAIL_SCRIPT,     /* a maintainer script / scriptlet failed */
        BE_FAIL_INTERRUPTED, /* a previous transaction was left unfinished and recovery failed */
        BE_FAIL_OTHER,
};
const char *be_fail_name(enum be_fail f); /* "not-found", "locked", ... "" for NONE */

/* One line of the package manager's output, as it comes (progress and the job log). */
typedef void (*be_log_fn)(void *ctx, const char *line);

struct be_opts {
        const char *root;      /* "/" or a sandbox root (apt -o Dir=..., dnf --installroot) */
        const char *cache_dir; /* the agent's own package store for rollback (0700, exists) */
        long lock_wait;        /* seconds to wait for the package manager's lock */
        long timeout;          /* seconds one transaction may take before it is killed */
        be_log_fn log;         /* may be NULL */
        void *log_ctx;
};

struct be_request {
        const struct be_pkg *install; /* exact versions to be installed (up/downgrade as needed) */
        size_t install_count;
        const struct be_pkg *remove; /* packages to remove (version NULL: any) */
        size_t remove_count;
        /* local package files (rollback from cache_dir), installed like repository packages */
        const char *const *files;
        size_t file_count;
        bool allow_remove;    /* the plan may remove packages other than those in remove */
        bool allow_downgrade; /* the plan may downgrade */
};

struct backend;
struct backend_ops {
        const char *name; /* "apt", "dnf", "fake" */
        /* Refresh the package lists (apt-get update / dnf makecache). */
        enum fp_err (*refresh)(struct backend *b, enum be_fail *why, struct fp_diag *d);
        /* What the request would change, computed by the package manager itself. Fails with
         * *why = BE_FAIL_REMOVALS / _DOWNGRADES when the plan needs a permission it lacks. */
        enum fp_err (*simulate)(struct backend *b, const struct be_request *req,
                                struct be_plan *plan, enum be_fail *why, struct fp_diag *d);
        /* Run the transaction. The backend simulates first and refuses (without changing
         * anything) what simulate would refuse; plan (may be NULL) gets what it ran. */
        enum fp_err (*apply)(struct backend *b, const struct be_request *req,
                             struct be_plan *plan, enum be_fail *why, struct fp_diag *d);
        /* Finish or undo what an interrupted transaction left (dpkg --configure -a; for rpm,
         * dnf's own journal). FP_OK when the package database is consistent afterwards. */
        enum fp_err (*recover)(struct backend *b, enum be_fail *why, struct fp_diag *d);
        /* Keep the package files of these installed versions under cache_dir so a rollback
         * can reinstall them; paths[i] gets the file (arena-owned by b) or NULL when no copy
         * can be had (not in any repository or cache). */
        enum fp_err (*keep)(struct backend *b, const struct be_pkg *pkgs, size_t n,
                            const char **paths, struct fp_diag *d);
        void (*release)(struct backend *b);
};

struct backend {
        const struct backend_ops *ops;
        struct be_opts opts;
        struct fp_arena arena; /* strings the backend hands out (keep's paths) */
        void *priv;
};

/* Open a backend by name ("apt", "dnf", "fake"), or by the family of opts->root when name is
 * NULL ("deb" -> apt, "rpm" -> dnf). FP_EINVAL with a message when it does not fit the root. */
enum fp_err backend_open(const char *name, const struct be_opts *opts, struct backend *out,
                         struct fp_diag *d);
void backend_close(struct backend *b);

/* Constructors used by backend_open (one file each). */
enum fp_err backend_apt_open(struct backend *b, struct fp_diag *d);
enum fp_err backend_dnf_open(struct backend *b, struct fp_diag *d);
/* The fake keeps its "installed" and "available" sets in ROOT/fake-packages.json (tests). */
enum fp_err backend_fake_open(struct backend *b, struct fp_diag *d);

#endif
