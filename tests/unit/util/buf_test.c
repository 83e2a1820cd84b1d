/* fp_buf and fp_arena: growth, limits, ownership hand-off. */
#include "fleetpatch/util.h"
#include "test.h"

static void test_buf(void)
{
        struct fp_buf b;

        fp_buf_init(&b, 10);
        CHECK_STR_EQ(fp_buf_str(&b), "");
        CHECK_INT_EQ(fp_buf_addstr(&b, "hello"), FP_OK);
        CHECK_INT_EQ(fp_buf_addf(&b, "%d%c", 1234, 'x'), FP_OK);
        CHECK_STR_EQ(fp_buf_str(&b), "hello1234x");
        CHECK_INT_EQ(b.len, 10);
        /* At the limit exactly; one more byte fails and leaves the contents intact. */
        CHECK_INT_EQ(fp_buf_addc(&b, 'y'), FP_ELIMIT);
        CHECK_INT_EQ(fp_buf_addf(&b, "%s", "y"), FP_ELIMIT);
        CHECK_STR_EQ(fp_buf_str(&b), "hello1234x");
        fp_buf_reset(&b);
        CHECK_INT_EQ(b.len, 0);
        CHECK_STR_EQ(fp_buf_str(&b), "");
        CHECK_INT_EQ(fp_buf_add(&b, "ab", 2), FP_OK);
        char *s = fp_buf_take(&b);
        CHECK_STR_EQ(s, "ab");
        CHECK(b.ptr == NULL && b.len == 0);
        free(s);
        s = fp_buf_take(&b); /* empty take gives "" not NULL */
        CHECK(s && s[0] == '\0');
        free(s);
        fp_buf_release(&b);

        /* Growth across many reallocations. */
        fp_buf_init(&b, 1 << 20);
        for (int i = 0; i < 100000; i++)
                fp_buf_addc(&b, (char)('a' + i % 26));
        CHECK_INT_EQ(b.len, 100000);
        CHECK(b.ptr[99999] == 'a' + 99999 % 26 && b.ptr[100000] == '\0');
        fp_buf_release(&b);
}

static void test_arena(void)
{
        struct fp_arena a;
        char *ptrs[5000];

        fp_arena_init(&a);
        for (int i = 0; i < 5000; i++) {
                char tmp[32];
                snprintf(tmp, sizeof(tmp), "s%d", i);
                ptrs[i] = fp_arena_strdup(&a, tmp);
                CHECK(((uintptr_t)ptrs[i] & 7) == 0);
        }
        /* A big allocation does not disturb earlier strings. */
        char *big = fp_arena_alloc(&a, 200000);
        CHECK(big != NULL);
        memset(big, 0xAB, 200000);
        int bad = 0;
        for (int i = 0; i < 5000; i++) {
                char tmp[32];
                snprintf(tmp, sizeof(tmp), "s%d", i);
                bad += strcmp(ptrs[i], tmp) != 0;
        }
        CHECK_INT_EQ(bad, 0);
        CHECK_STR_EQ(fp_arena_strndup(&a, "abcdef", 3), "abc");
        fp_arena_release(&a);
        CHECK(a.head == NULL);
}

int main(void)
{
        test_buf();
        test_arena();
        return fp_test_finish();
}
