/* Choosing a backend, and the names shared by all of them (backend.h). */
#include <stdlib.h>
#include <string.h>

#include "agent/backend/backend.h"
#include "fleetpatch/scan.h"

const char *be_action_name(enum be_action a)
{
        switch (a) {
        case BE_INSTALL:
                return "install";
        case BE_UPGRADE:
                return "upgrade";
        case BE_DOWNGRADE:
                return "downgrade";
        case BE_REINSTALL:
                return "reinstall";
        case BE_REMOVE:
                return "remove";
        }
        return "?";
}

const char *be_fail_name(enum be_fail f)
{
        static const char *const names[] = {
            [BE_FAIL_NONE] = "",
            [BE_FAIL_NOT_FOUND] = "not-found",
            [BE_FAIL_LOCKED] = "locked",
            [BE_FAIL_HELD] = "held",
            [BE_FAIL_UNTRUSTED] = "untrusted",
            [BE_FAIL_DISK_FULL] = "disk-full",
            [BE_FAIL_REMOVALS] = "removals",
            [BE_FAIL_DOWNGRADES] = "downgrades",
            [BE_FAIL_CONFLICT] = "conflict",
            [BE_FAIL_SCRIPT] = "script",
            [BE_FAIL_INTERRUPTED] = "interrupted",
            [BE_FAIL_OTHER] = "other",
        };
        return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "other";
}

void be_plan_release(struct be_plan *p)
{
        if (!p)
                return;
        fp_arena_release(&p->arena);
        p->changes = NULL;
        p->count = 0;
}

enum fp_err backend_open(const char *name, const struct be_opts *opts, struct backend *out,
                         struct fp_diag *d)
{
        memset(out, 0, sizeof(*out));
        out->opts = *opts;
        if (!out->opts.root)
                out->opts.root = "/";
        fp_arena_init(&out->arena);
        if (!name || !*name || strcmp(name, "auto") == 0) {
                const char *family = fp_scan_detect_family(out->opts.root);
                if (!family) {
                        fp_diag_set(d, out->opts.root, 0, "backend",
                                    "neither a dpkg nor an rpm database under this root");
                        return FP_EINVAL;
                }
                name = strcmp(family, "deb") == 0 ? "apt" : "dnf";
        }
        enum fp_err (*open)(struct backend *, struct fp_diag *);
        if (strcmp(name, "apt") == 0)
                open = backend_apt_open;
        else if (strcmp(name, "dnf") == 0)
                open = backend_dnf_open;
        else if (strcmp(name, "fake") == 0)
                open = backend_fake_open;
        else {
                fp_diag_set(d, NULL, 0, "backend", "unknown backend '%.32s' (apt, dnf, fake)",
                            name);
                fp_arena_release(&out->arena);
                return FP_EINVAL;
        }
        enum fp_err err = open(out, d);
        if (err != FP_OK)
                fp_arena_release(&out->arena);
        return err;
}

void backend_close(struct backend *b)
{
        if (!b || !b->ops)
                return;
        if (b->ops->release)
                b->ops->release(b);
        fp_arena_release(&b->arena);
        b->ops = NULL;
}
