/*
 * Release / InRelease files of an apt repository: the fields apt's policy matches pins
 * against, the NotAutomatic flags, and the SHA256 list that guards the indexes.
 */
#ifndef FP_CORE_DEB_RELEASE_H
#define FP_CORE_DEB_RELEASE_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

struct fp_release_hash {
        const char *path; /* relative to the Release file, e.g. "main/binary-amd64/Packages" */
        const char *sha256;
        unsigned long long size;
};

struct fp_release {
        /* Every string is NUL-terminated in the caller's arena; NULL when the field is absent. */
        const char *origin, *label, *suite, *codename, *version;
        const char *components, *architectures;
        bool not_automatic, but_automatic_upgrades;
        bool signed_armour; /* the input was OpenPGP clear-signed (InRelease) */
        struct fp_release_hash *sha256;
        size_t sha256_count;
};

/*
 * Parse a Release or InRelease file (the clear-sign armour is stripped; the signature is not
 * checked — apt did that when it downloaded the file). Strings go into arena.
 * Errors: FP_EPARSE with diag (file, line, field), FP_ELIMIT, FP_ENOMEM.
 */
enum fp_err fp_release_parse(const char *buf, size_t len, const char *file,
                             struct fp_arena *arena, struct fp_release *out,
                             struct fp_diag *diag);

/* Checksum entry for a path, or NULL. */
const struct fp_release_hash *fp_release_find(const struct fp_release *rel, const char *path);

/*
 * Whether the release is a security archive: Label "Debian-Security", or a suite or codename
 * ending in "-security" (Debian's bookworm-security, Ubuntu's jammy-security pocket).
 */
bool fp_release_is_security(const struct fp_release *rel);

#endif
