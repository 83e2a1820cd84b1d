/* fp_arena: bump allocator for many small strings that die together (a scan's results). */
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/util.h"

#define ARENA_BLOCK_SIZE (64 * 1024)

struct fp_arena_block {
        struct fp_arena_block *next;
        size_t size;
        size_t used;
        _Alignas(8) unsigned char data[];
};

void fp_arena_init(struct fp_arena *a)
{
        a->head = NULL;
        a->used = 0;
}

void fp_arena_release(struct fp_arena *a)
{
        struct fp_arena_block *b = a->head;

        while (b) {
                struct fp_arena_block *next = b->next;
                free(b);
                b = next;
        }
        a->head = NULL;
        a->used = 0;
}

void *fp_arena_alloc(struct fp_arena *a, size_t size)
{
        struct fp_arena_block *b = a->head;
        size_t aligned = (size + 7) & ~(size_t)7;

        if (aligned < size)
                return NULL;
        if (!b || b->size - b->used < aligned) {
                /* Oversized requests get a block of their own, behind the current one, so the
                 * free space of the current block is not wasted. */
                size_t bsize = aligned > ARENA_BLOCK_SIZE / 4 ? aligned : ARENA_BLOCK_SIZE;
                struct fp_arena_block *nb = malloc(sizeof(*nb) + bsize);
                if (!nb)
                        return NULL;
                nb->size = bsize;
                nb->used = 0;
                if (b && bsize != ARENA_BLOCK_SIZE) {
                        nb->next = b->next;
                        b->next = nb;
                } else {
                        nb->next = b;
                        a->head = nb;
                }
                b = nb;
        }
        void *p = b->data + b->used;
        b->used += aligned;
        a->used += aligned;
        return p;
}

char *fp_arena_strndup(struct fp_arena *a, const char *s, size_t len)
{
        char *p;

        if (len == SIZE_MAX)
                return NULL;
        p = fp_arena_alloc(a, len + 1);
        if (!p)
                return NULL;
        if (len)
                memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

char *fp_arena_strdup(struct fp_arena *a, const char *s)
{
        return fp_arena_strndup(a, s, strlen(s));
}
