/* Internal interface between the Debian scan (deb_scan.c) and the apt lists reader. */
#ifndef FP_AGENT_DEB_INVENTORY_H
#define FP_AGENT_DEB_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/deb/packages.h"
#include "core/deb/policy.h"
#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

/* The Packages indexes of a lists directory, each matched to its (In)Release file. */
struct fp_apt_lists {
        struct fp_apt_index *indexes; /* malloc'd; strings in the arena */
        char **paths;                 /* full path of each index (arena) */
        size_t count;
};

/*
 * Find every *_Packages[.gz|.xz|.lz4|.zst] (or captured Packages_*) file in dir and parse the
 * Release/InRelease apt stored beside it (apt's file naming: the index name with its
 * "_<component>_binary-<arch>_Packages" tail replaced by "_InRelease" or "_Release").
 * Index 0 is left free for the dpkg status file.
 */
enum fp_err fp_apt_lists_find(const char *dir, struct fp_arena *arena, struct fp_apt_lists *out,
                              struct fp_diag *diag);
void fp_apt_lists_release(struct fp_apt_lists *lists);

/* Called for each stanza of a Packages file whose Package is in names. */
typedef enum fp_err (*fp_apt_stanza_cb)(const struct fp_deb822_stanza *st, void *ctx,
                                        struct fp_diag *diag);

/*
 * Stream one Packages file (any compression) and hand the stanzas of the packages named in
 * names to cb; the others are skipped without parsing. Errors carry file and line.
 */
enum fp_err fp_apt_packages_stream(const char *path, const struct fp_strmap *names,
                                   fp_apt_stanza_cb cb, void *ctx, struct fp_diag *diag);

#endif
