/*
 * Streaming reader for index files: plain, gzip, xz, lz4 (frame) and zstd, detected by their
 * magic bytes. Reads in bounded chunks so a 50 MB Packages file never sits in memory whole.
 * This is I/O: it lives in src/util, never called from src/core.
 */
#ifndef FLEETPATCH_READER_H
#define FLEETPATCH_READER_H

#include <stddef.h>

#include "fleetpatch/error.h"

enum fp_compression {
        FP_COMP_NONE,
        FP_COMP_GZIP,
        FP_COMP_XZ,
        FP_COMP_LZ4,
        FP_COMP_ZSTD,
};

struct fp_reader;

/*
 * Open a file; the compression is taken from its first bytes. A known-but-unsupported
 * compression (bzip2, or a name ending in .bz2/.lzma) is FP_EUNSUPPORTED with diag naming it.
 * Decompressed output beyond FP_MAX_INDEX_SIZE is FP_ELIMIT.
 */
enum fp_err fp_reader_open(const char *path, struct fp_reader **out, struct fp_diag *diag);
/* Read from memory (not copied; must outlive the reader). name is used in diagnostics. */
enum fp_err fp_reader_open_mem(const void *data, size_t len, const char *name,
                               struct fp_reader **out, struct fp_diag *diag);
void fp_reader_free(struct fp_reader *r);

enum fp_compression fp_reader_compression(const struct fp_reader *r);
const char *fp_compression_name(enum fp_compression c);
const char *fp_reader_name(const struct fp_reader *r);

/* Up to cap decompressed bytes; *got = 0 means end of data. */
enum fp_err fp_reader_read(struct fp_reader *r, void *buf, size_t cap, size_t *got,
                           struct fp_diag *diag);

/*
 * Next line without its '\n' (a trailing '\r' is kept). *line = NULL at end of data. The line
 * stays valid until the next call. Lines longer than FP_MAX_LINE_LEN are FP_ELIMIT; a NUL byte
 * inside a line is FP_EPARSE. A last line without '\n' is returned normally.
 */
enum fp_err fp_reader_getline(struct fp_reader *r, const char **line, size_t *len,
                              struct fp_diag *diag);
/* Number of the line last returned by fp_reader_getline (1-based). */
unsigned long fp_reader_lineno(const struct fp_reader *r);

/* Whole decompressed content into a new NUL-terminated buffer, at most max bytes. */
enum fp_err fp_read_file(const char *path, size_t max, char **out, size_t *outlen,
                         struct fp_diag *diag);

#endif
