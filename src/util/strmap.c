/* fp_strmap: string-keyed open-addressing hash map (linear probing, FNV-1a 64). */
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/util.h"

uint64_t fp_hash_bytes(const void *data, size_t len)
{
        const unsigned char *p = data;
        uint64_t h = 1469598103934665603ULL;

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 1099511628211ULL;
        }
        return h;
}

void fp_strmap_init(struct fp_strmap *m)
{
        m->slots = NULL;
        m->nslots = 0;
        m->count = 0;
}

void fp_strmap_release(struct fp_strmap *m)
{
        free(m->slots);
        fp_strmap_init(m);
}

static struct fp_strmap_entry *find_slot(struct fp_strmap_entry *slots, size_t nslots,
                                         const char *key, size_t keylen, uint64_t hash)
{
        size_t mask = nslots - 1;
        size_t i = (size_t)hash & mask;

        for (;;) {
                struct fp_strmap_entry *e = &slots[i];
                if (!e->key)
                        return e;
                if (e->hash == hash && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
                        return e;
                i = (i + 1) & mask;
        }
}

static enum fp_err rehash(struct fp_strmap *m, size_t nslots)
{
        struct fp_strmap_entry *slots = calloc(nslots, sizeof(*slots));

        if (!slots)
                return FP_ENOMEM;
        for (size_t i = 0; i < m->nslots; i++) {
                struct fp_strmap_entry *e = &m->slots[i];
                if (e->key)
                        *find_slot(slots, nslots, e->key, e->keylen, e->hash) = *e;
        }
        free(m->slots);
        m->slots = slots;
        m->nslots = nslots;
        return FP_OK;
}

enum fp_err fp_strmap_put(struct fp_strmap *m, const char *key, size_t keylen, void *value)
{
        uint64_t h = fp_hash_bytes(key, keylen);
        struct fp_strmap_entry *e;

        /* Keep the load factor at most 1/2 so probes stay short. */
        if ((m->count + 1) * 2 > m->nslots) {
                size_t n = m->nslots ? m->nslots * 2 : 64;
                if (n < m->nslots)
                        return FP_ENOMEM;
                enum fp_err err = rehash(m, n);
                if (err)
                        return err;
        }
        e = find_slot(m->slots, m->nslots, key, keylen, h);
        if (!e->key) {
                e->key = key;
                e->keylen = keylen;
                e->hash = h;
                m->count++;
        }
        e->value = value;
        return FP_OK;
}

void *fp_strmap_get(const struct fp_strmap *m, const char *key, size_t keylen)
{
        struct fp_strmap_entry *e;

        if (!m->nslots)
                return NULL;
        e = find_slot(m->slots, m->nslots, key, keylen, fp_hash_bytes(key, keylen));
        return e->key ? e->value : NULL;
}

bool fp_strmap_next(const struct fp_strmap *m, size_t *pos, const char **key, size_t *keylen,
                    void **value)
{
        for (size_t i = *pos; i < m->nslots; i++) {
                if (m->slots[i].key) {
                        if (key)
                                *key = m->slots[i].key;
                        if (keylen)
                                *keylen = m->slots[i].keylen;
                        if (value)
                                *value = m->slots[i].value;
                        *pos = i + 1;
                        return true;
                }
        }
        *pos = m->nslots;
        return false;
}
