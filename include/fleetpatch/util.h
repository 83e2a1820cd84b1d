/*
 * Small utilities shared by every part: a bounded growable buffer (fp_buf), a string arena
 * (fp_arena) and a string-keyed hash map (fp_strmap). Not thread-safe; one owner each.
 */
#ifndef FLEETPATCH_UTIL_H
#define FLEETPATCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"

/* ---- fp_buf: bounded growable byte buffer, always NUL-terminated once non-empty ---------- */
struct fp_buf {
        char *ptr; /* NULL until the first append */
        size_t len;
        size_t cap;
        size_t max; /* appends that would exceed it fail with FP_ELIMIT */
};

void fp_buf_init(struct fp_buf *b, size_t max);
enum fp_err fp_buf_add(struct fp_buf *b, const void *data, size_t len);
enum fp_err fp_buf_addstr(struct fp_buf *b, const char *s);
enum fp_err fp_buf_addc(struct fp_buf *b, char c);
enum fp_err fp_buf_addf(struct fp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Length 0, memory kept for reuse. */
void fp_buf_reset(struct fp_buf *b);
/* Frees the contents; the buffer can be used again. */
void fp_buf_release(struct fp_buf *b);
/* Hands the string to the caller (never NULL on success: "" for empty) and resets b. */
char *fp_buf_take(struct fp_buf *b);
/* The contents as a C string ("" when empty). */
const char *fp_buf_str(const struct fp_buf *b);

/* ---- fp_arena: many small strings freed together ---------------------------------------- */
struct fp_arena_block;
struct fp_arena {
        struct fp_arena_block *head;
        size_t used;  /* bytes handed out, for accounting */
};

void fp_arena_init(struct fp_arena *a);
void fp_arena_release(struct fp_arena *a);
/* NULL on out of memory. Alignment: 8 bytes. */
void *fp_arena_alloc(struct fp_arena *a, size_t size);
char *fp_arena_strndup(struct fp_arena *a, const char *s, size_t len);
char *fp_arena_strdup(struct fp_arena *a, const char *s);

/* ---- fp_strmap: string -> pointer, open addressing ------------------------------------- */
struct fp_strmap_entry {
        const char *key; /* NULL = empty slot; the map does not own keys */
        size_t keylen;
        uint64_t hash;
        void *value;
};
struct fp_strmap {
        struct fp_strmap_entry *slots;
        size_t nslots; /* power of two, or 0 */
        size_t count;
};

void fp_strmap_init(struct fp_strmap *m);
void fp_strmap_release(struct fp_strmap *m);
/* Key bytes must outlive the map (use an arena). Replaces the value if the key exists. */
enum fp_err fp_strmap_put(struct fp_strmap *m, const char *key, size_t keylen, void *value);
/* NULL if absent. */
void *fp_strmap_get(const struct fp_strmap *m, const char *key, size_t keylen);
/* Iterate: start with *pos = 0; returns false at the end. */
bool fp_strmap_next(const struct fp_strmap *m, size_t *pos, const char **key, size_t *keylen,
                    void **value);
uint64_t fp_hash_bytes(const void *data, size_t len);

#endif
