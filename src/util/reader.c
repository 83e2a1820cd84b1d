/*
 * Streaming reader: plain, gzip, xz, lz4 and zstd input, detected by magic bytes, read in
 * fixed-size chunks so memory stays bounded whatever the file size. Lines are handed out in
 * place when they sit in one chunk, copied into a bounded buffer only when they span two.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"

#define READER_CHUNK (64 * 1024)

struct fp_reader {
        char name[FP_DIAG_FILE_MAX];
        int fd; /* -1 when reading memory */
        const unsigned char *mem;
        size_t memlen, mempos;

        enum fp_compression comp;
        unsigned char *in; /* compressed input chunk */
        size_t inlen, inpos;
        bool in_eof;
        bool stream_done; /* decoder saw the end of a complete stream/frame */
        bool started;     /* decoder consumed any input since the last stream end */

        z_stream z;
        bool z_init;
        lzma_stream x;
        bool x_init;
        LZ4F_dctx *lz4;
        ZSTD_DStream *zs;

        unsigned long long total_out;
        unsigned char *out; /* decompressed chunk, +1 byte for a NUL */
        size_t outlen, outpos;
        bool eof; /* no more decompressed data */

        struct fp_buf line;
        unsigned long lineno;
};

const char *fp_compression_name(enum fp_compression c)
{
        switch (c) {
        case FP_COMP_NONE:
                return "none";
        case FP_COMP_GZIP:
                return "gzip";
        case FP_COMP_XZ:
                return "xz";
        case FP_COMP_LZ4:
                return "lz4";
        case FP_COMP_ZSTD:
                return "zstd";
        }
        return "unknown";
}

enum fp_compression fp_reader_compression(const struct fp_reader *r)
{
        return r->comp;
}

const char *fp_reader_name(const struct fp_reader *r)
{
        return r->name;
}

unsigned long fp_reader_lineno(const struct fp_reader *r)
{
        return r->lineno;
}

/* Refill the compressed input chunk; sets in_eof at the end of the source. */
static enum fp_err fill_in(struct fp_reader *r, struct fp_diag *diag)
{
        if (r->inpos < r->inlen || r->in_eof)
                return FP_OK;
        r->inpos = 0;
        r->inlen = 0;
        if (r->fd < 0) {
                size_t n = r->memlen - r->mempos;
                if (n > READER_CHUNK)
                        n = READER_CHUNK;
                memcpy(r->in, r->mem + r->mempos, n);
                r->mempos += n;
                r->inlen = n;
        } else {
                ssize_t n;
                do
                        n = read(r->fd, r->in, READER_CHUNK);
                while (n < 0 && errno == EINTR);
                if (n < 0) {
                        fp_diag_set(diag, r->name, 0, NULL, "read failed: %s", strerror(errno));
                        return FP_EIO;
                }
                r->inlen = (size_t)n;
        }
        if (r->inlen == 0)
                r->in_eof = true;
        return FP_OK;
}

static enum fp_err truncated(struct fp_reader *r, struct fp_diag *diag)
{
        fp_diag_set(diag, r->name, 0, NULL, "%s data is truncated (unexpected end of file)",
                    fp_compression_name(r->comp));
        return FP_ECORRUPT;
}

static enum fp_err corrupt(struct fp_reader *r, struct fp_diag *diag, const char *why)
{
        fp_diag_set(diag, r->name, 0, NULL, "corrupt %s data: %s", fp_compression_name(r->comp),
                    why ? why : "decoder error");
        return FP_ECORRUPT;
}

/*
 * Produce the next decompressed chunk into r->out. Concatenated gzip members, xz streams,
 * lz4 frames and zstd frames are all decoded in sequence, as the command-line tools do.
 */
static enum fp_err fill_out(struct fp_reader *r, struct fp_diag *diag)
{
        enum fp_err err;

        r->outpos = 0;
        r->outlen = 0;
        while (r->outlen == 0 && !r->eof) {
                err = fill_in(r, diag);
                if (err)
                        return err;
                unsigned char *src = r->in + r->inpos;
                size_t avail = r->inlen - r->inpos;

                if (r->in_eof && avail == 0) {
                        /* A compressed source must end exactly at the end of a stream. */
                        if (r->comp != FP_COMP_NONE && r->comp != FP_COMP_XZ && r->started &&
                            !r->stream_done)
                                return truncated(r, diag);
                        if (r->comp == FP_COMP_XZ && r->x_init && r->started) {
                                /* LZMA_CONCATENATED needs LZMA_FINISH to confirm the end. */
                                lzma_ret lr;
                                /* liblzma answers a stalled FINISH with LZMA_OK once, then
                                 * LZMA_BUF_ERROR: that is how a truncated stream shows. */
                                for (int tries = 0; tries < 3; tries++) {
                                        r->x.next_in = NULL;
                                        r->x.avail_in = 0;
                                        r->x.next_out = r->out;
                                        r->x.avail_out = READER_CHUNK;
                                        lr = lzma_code(&r->x, LZMA_FINISH);
                                        r->outlen = READER_CHUNK - r->x.avail_out;
                                        if (lr != LZMA_OK || r->outlen)
                                                break;
                                }
                                if (lr == LZMA_OK && r->outlen == 0)
                                        return truncated(r, diag);
                                if (lr != LZMA_STREAM_END && lr != LZMA_OK)
                                        return lr == LZMA_BUF_ERROR ? truncated(r, diag)
                                                                    : corrupt(r, diag, NULL);
                                if (lr == LZMA_STREAM_END)
                                        r->started = false;
                                if (r->outlen)
                                        break;
                        }
                        r->eof = true;
                        break;
                }
                switch (r->comp) {
                case FP_COMP_NONE:
                        memcpy(r->out, src, avail);
                        r->outlen = avail;
                        r->inpos += avail;
                        break;
                case FP_COMP_GZIP: {
                        int zr;
                        if (r->stream_done) {
                                /* Another gzip member follows. */
                                inflateReset(&r->z);
                                r->stream_done = false;
                        }
                        r->z.next_in = src;
                        r->z.avail_in = (uInt)avail;
                        r->z.next_out = r->out;
                        r->z.avail_out = READER_CHUNK;
                        zr = inflate(&r->z, Z_NO_FLUSH);
                        r->started = true;
                        r->inpos += avail - r->z.avail_in;
                        r->outlen = READER_CHUNK - r->z.avail_out;
                        if (zr == Z_STREAM_END)
                                r->stream_done = true;
                        else if (zr != Z_OK && !(zr == Z_BUF_ERROR && r->outlen == 0 && avail == 0))
                                return corrupt(r, diag, r->z.msg);
                        break;
                }
                case FP_COMP_XZ: {
                        lzma_ret lr;
                        r->x.next_in = src;
                        r->x.avail_in = avail;
                        r->x.next_out = r->out;
                        r->x.avail_out = READER_CHUNK;
                        lr = lzma_code(&r->x, LZMA_RUN);
                        r->started = true;
                        r->inpos += avail - r->x.avail_in;
                        r->outlen = READER_CHUNK - r->x.avail_out;
                        if (lr == LZMA_STREAM_END) {
                                r->stream_done = true;
                                r->started = false;
                        } else if (lr != LZMA_OK) {
                                return corrupt(r, diag, lr == LZMA_MEMLIMIT_ERROR
                                                                ? "memory limit"
                                                                : "lzma decoder error");
                        } else {
                                /* With LZMA_CONCATENATED the end is only known at LZMA_FINISH. */
                                r->stream_done = false;
                        }
                        break;
                }
                case FP_COMP_LZ4: {
                        size_t dst = READER_CHUNK, srcsz = avail;
                        size_t hint = LZ4F_decompress(r->lz4, r->out, &dst, src, &srcsz, NULL);
                        r->started = true;
                        if (LZ4F_isError(hint))
                                return corrupt(r, diag, LZ4F_getErrorName(hint));
                        r->inpos += srcsz;
                        r->outlen = dst;
                        r->stream_done = hint == 0;
                        break;
                }
                case FP_COMP_ZSTD: {
                        ZSTD_inBuffer zin = {src, avail, 0};
                        ZSTD_outBuffer zout = {r->out, READER_CHUNK, 0};
                        size_t ret = ZSTD_decompressStream(r->zs, &zout, &zin);
                        r->started = true;
                        if (ZSTD_isError(ret))
                                return corrupt(r, diag, ZSTD_getErrorName(ret));
                        r->inpos += zin.pos;
                        r->outlen = zout.pos;
                        r->stream_done = ret == 0;
                        break;
                }
                }
        }
        r->total_out += r->outlen;
        if (r->total_out > (unsigned long long)FP_MAX_INDEX_SIZE) {
                fp_diag_set(diag, r->name, 0, NULL,
                            "decompressed size exceeds the limit of %lld bytes (FP_MAX_INDEX_SIZE)",
                            (long long)FP_MAX_INDEX_SIZE);
                return FP_ELIMIT;
        }
        return FP_OK;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Look at the first bytes and set up the matching decoder. */
static enum fp_err detect_and_init(struct fp_reader *r, struct fp_diag *diag)
{
        enum fp_err err = fill_in(r, diag);
        const unsigned char *p = r->in;
        size_t n = r->inlen;

        if (err)
                return err;
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
                r->comp = FP_COMP_GZIP;
                if (inflateInit2(&r->z, 15 + 16) != Z_OK)
                        return FP_ENOMEM;
                r->z_init = true;
        } else if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) {
                lzma_stream init = LZMA_STREAM_INIT;
                r->comp = FP_COMP_XZ;
                r->x = init;
                if (lzma_stream_decoder(&r->x, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
                        return FP_ENOMEM;
                r->x_init = true;
        } else if (n >= 4 && memcmp(p, "\x04\x22\x4d\x18", 4) == 0) {
                r->comp = FP_COMP_LZ4;
                if (LZ4F_isError(LZ4F_createDecompressionContext(&r->lz4, LZ4F_VERSION)))
                        return FP_ENOMEM;
        } else if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0) {
                r->comp = FP_COMP_ZSTD;
                r->zs = ZSTD_createDStream();
                if (!r->zs || ZSTD_isError(ZSTD_initDStream(r->zs)))
                        return FP_ENOMEM;
        } else if (n >= 3 && memcmp(p, "BZh", 3) == 0) {
                fp_diag_set(diag, r->name, 0, NULL,
                            "bzip2 compression is not supported (use gz, xz, lz4 or zst)");
                return FP_EUNSUPPORTED;
        } else if (has_suffix(r->name, ".bz2") || has_suffix(r->name, ".lzma") ||
                   has_suffix(r->name, ".Z") || has_suffix(r->name, ".gz") ||
                   has_suffix(r->name, ".xz") || has_suffix(r->name, ".lz4") ||
                   has_suffix(r->name, ".zst")) {
                /* The name promises compression the bytes don't show: better an error than
                 * parsing compressed bytes as text. */
                fp_diag_set(diag, r->name, 0, NULL,
                            "unknown or unsupported compression (the file name says compressed, "
                            "the first bytes match no supported format)");
                return FP_EUNSUPPORTED;
        } else {
                r->comp = FP_COMP_NONE;
        }
        return FP_OK;
}

static enum fp_err reader_new(const char *name, struct fp_reader **out)
{
        struct fp_reader *r = calloc(1, sizeof(*r));

        if (!r)
                return FP_ENOMEM;
        r->fd = -1;
        snprintf(r->name, sizeof(r->name), "%s", name ? name : "(memory)");
        r->in = malloc(READER_CHUNK);
        r->out = malloc(READER_CHUNK + 1);
        fp_buf_init(&r->line, FP_MAX_LINE_LEN);
        if (!r->in || !r->out) {
                fp_reader_free(r);
                return FP_ENOMEM;
        }
        *out = r;
        return FP_OK;
}

enum fp_err fp_reader_open(const char *path, struct fp_reader **out, struct fp_diag *diag)
{
        struct fp_reader *r = NULL;
        enum fp_err err = reader_new(path, &r);

        if (err)
                return err;
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
                int e = errno;
                err = e == ENOENT ? FP_ENOENT : (e == EACCES ? FP_EACCES : FP_EIO);
                fp_diag_set(diag, path, 0, NULL, "cannot open: %s", strerror(e));
                goto out;
        }
        err = detect_and_init(r, diag);
out:
        if (err)
                fp_reader_free(r);
        else
                *out = r;
        return err;
}

enum fp_err fp_reader_open_mem(const void *data, size_t len, const char *name,
                               struct fp_reader **out, struct fp_diag *diag)
{
        struct fp_reader *r = NULL;
        enum fp_err err = reader_new(name, &r);

        if (err)
                return err;
        r->mem = data;
        r->memlen = len;
        err = detect_and_init(r, diag);
        if (err)
                fp_reader_free(r);
        else
                *out = r;
        return err;
}

void fp_reader_free(struct fp_reader *r)
{
        if (!r)
                return;
        if (r->fd >= 0)
                close(r->fd);
        if (r->z_init)
                inflateEnd(&r->z);
        if (r->x_init)
                lzma_end(&r->x);
        if (r->lz4)
                LZ4F_freeDecompressionContext(r->lz4);
        if (r->zs)
                ZSTD_freeDStream(r->zs);
        free(r->in);
        free(r->out);
        fp_buf_release(&r->line);
        free(r);
}

enum fp_err fp_reader_read(struct fp_reader *r, void *buf, size_t cap, size_t *got,
                           struct fp_diag *diag)
{
        size_t done = 0;
        enum fp_err err = FP_OK;

        while (done < cap) {
                if (r->outpos == r->outlen) {
                        if (r->eof)
                                break;
                        err = fill_out(r, diag);
                        if (err)
                                break;
                        continue;
                }
                size_t n = r->outlen - r->outpos;
                if (n > cap - done)
                        n = cap - done;
                memcpy((char *)buf + done, r->out + r->outpos, n);
                r->outpos += n;
                done += n;
        }
        *got = done;
        return err;
}

static enum fp_err line_too_long(struct fp_reader *r, struct fp_diag *diag)
{
        fp_diag_set(diag, r->name, r->lineno, NULL,
                    "line is longer than %d bytes (FP_MAX_LINE_LEN)", FP_MAX_LINE_LEN);
        return FP_ELIMIT;
}

static enum fp_err check_nul(struct fp_reader *r, const char *p, size_t len, struct fp_diag *diag)
{
        if (memchr(p, '\0', len)) {
                fp_diag_set(diag, r->name, r->lineno, NULL, "NUL byte inside a text line");
                return FP_EPARSE;
        }
        return FP_OK;
}

enum fp_err fp_reader_getline(struct fp_reader *r, const char **line, size_t *len,
                              struct fp_diag *diag)
{
        enum fp_err err;
        bool spanning = false;

        *line = NULL;
        *len = 0;
        fp_buf_reset(&r->line);
        for (;;) {
                if (r->outpos == r->outlen) {
                        if (r->eof) {
                                if (!spanning)
                                        return FP_OK; /* clean end */
                                break;                /* last line without '\n' */
                        }
                        err = fill_out(r, diag);
                        if (err)
                                return err;
                        if (r->outlen == 0 && r->eof && !spanning)
                                return FP_OK;
                        continue;
                }
                unsigned char *start = r->out + r->outpos;
                size_t avail = r->outlen - r->outpos;
                unsigned char *nl = memchr(start, '\n', avail);
                size_t n = nl ? (size_t)(nl - start) : avail;

                if (!spanning && nl) {
                        /* Fast path: the whole line is inside this chunk. */
                        r->lineno++;
                        if (n > FP_MAX_LINE_LEN)
                                return line_too_long(r, diag);
                        *nl = '\0';
                        r->outpos += n + 1;
                        err = check_nul(r, (const char *)start, n, diag);
                        if (err)
                                return err;
                        *line = (const char *)start;
                        *len = n;
                        return FP_OK;
                }
                if (!spanning)
                        r->lineno++;
                spanning = true;
                err = fp_buf_add(&r->line, start, n);
                if (err == FP_ELIMIT)
                        return line_too_long(r, diag);
                if (err)
                        return err;
                r->outpos += n + (nl ? 1 : 0);
                if (nl)
                        break;
        }
        err = check_nul(r, fp_buf_str(&r->line), r->line.len, diag);
        if (err)
                return err;
        *line = fp_buf_str(&r->line);
        *len = r->line.len;
        return FP_OK;
}

enum fp_err fp_read_file(const char *path, size_t max, char **out, size_t *outlen,
                         struct fp_diag *diag)
{
        struct fp_reader *r = NULL;
        struct fp_buf b;
        char chunk[16384];
        enum fp_err err;

        fp_buf_init(&b, max);
        err = fp_reader_open(path, &r, diag);
        if (err)
                goto out;
        for (;;) {
                size_t got = 0;
                err = fp_reader_read(r, chunk, sizeof(chunk), &got, diag);
                if (err || got == 0)
                        break;
                err = fp_buf_add(&b, chunk, got);
                if (err == FP_ELIMIT)
                        fp_diag_set(diag, path, 0, NULL, "file is larger than %zu bytes", max);
                if (err)
                        break;
        }
out:
        fp_reader_free(r);
        if (err) {
                fp_buf_release(&b);
                return err;
        }
        if (outlen)
                *outlen = b.len;
        *out = fp_buf_take(&b);
        return FP_OK;
}
