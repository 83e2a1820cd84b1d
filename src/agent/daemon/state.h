/*
 * The agent's state directory (0700): credential (0600), host_id, seq, inventory_hash. Every
 * write is atomic (temporary file, fsync, rename, fsync of the directory), so a crash leaves
 * the old or the new content, never a torn file.
 */
#ifndef FP_AGENT_STATE_H
#define FP_AGENT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

/* Small files only; the largest is the credential (86 bytes). */
#define STATE_MAX_FILE 4096

/* Create the directory (0700) if missing, and tighten its mode if it is wider. */
enum fp_err state_open(const char *dir, struct fp_diag *diag);

/* The trimmed first line of dir/name into out; FP_ENOENT if absent. */
enum fp_err state_read(const char *dir, const char *name, char *out, size_t outsz,
                       struct fp_diag *diag);
/* Replace dir/name with data plus a newline, mode 0600. */
enum fp_err state_write(const char *dir, const char *name, const char *data, struct fp_diag *diag);

/* The last sequence number sent (0 when none). */
enum fp_err state_read_seq(const char *dir, uint64_t *out, struct fp_diag *diag);
enum fp_err state_write_seq(const char *dir, uint64_t seq, struct fp_diag *diag);

/* Remove dir/name (missing is fine). */
void state_remove(const char *dir, const char *name);

#endif
