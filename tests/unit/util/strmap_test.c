/* fp_strmap against a brute-force model over many keys, including binary keys. */
#include "fleetpatch/util.h"
#include "test.h"

int main(void)
{
        struct fp_strmap m;
        struct fp_arena a;
        enum { N = 50000 };
        static char *keys[N];

        fp_strmap_init(&m);
        fp_arena_init(&a);
        CHECK(fp_strmap_get(&m, "x", 1) == NULL);
        for (int i = 0; i < N; i++) {
                char tmp[32];
                int n = snprintf(tmp, sizeof(tmp), "pkg-%d", i);
                keys[i] = fp_arena_strndup(&a, tmp, (size_t)n);
                CHECK_INT_EQ(fp_strmap_put(&m, keys[i], (size_t)n, (void *)(intptr_t)(i + 1)),
                             FP_OK);
        }
        CHECK_INT_EQ(m.count, N);
        int bad = 0;
        for (int i = 0; i < N; i++)
                bad += fp_strmap_get(&m, keys[i], strlen(keys[i])) != (void *)(intptr_t)(i + 1);
        CHECK_INT_EQ(bad, 0);
        /* Prefixes and absent keys are not found; replacing keeps the count. */
        CHECK(fp_strmap_get(&m, "pkg-", 4) == NULL);
        CHECK(fp_strmap_get(&m, "pkg-1", 4) == NULL);
        CHECK_INT_EQ(fp_strmap_put(&m, keys[7], strlen(keys[7]), (void *)(intptr_t)99), FP_OK);
        CHECK_INT_EQ(m.count, N);
        CHECK(fp_strmap_get(&m, keys[7], strlen(keys[7])) == (void *)(intptr_t)99);
        /* Keys with embedded NUL are distinct by length. */
        static const char k1[] = "a\0b", k2[] = "a\0c";
        fp_strmap_put(&m, k1, 3, (void *)1);
        fp_strmap_put(&m, k2, 3, (void *)2);
        CHECK(fp_strmap_get(&m, k1, 3) == (void *)1 && fp_strmap_get(&m, k2, 3) == (void *)2);
        /* Iteration visits every entry once. */
        size_t pos = 0, seen = 0;
        while (fp_strmap_next(&m, &pos, NULL, NULL, NULL))
                seen++;
        CHECK_INT_EQ(seen, N + 2);
        fp_strmap_release(&m);
        fp_arena_release(&a);
        return fp_test_finish();
}
