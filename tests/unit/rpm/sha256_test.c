/* fp_sha256 against the FIPS 180-4 / NIST example vectors. */
#include <string.h>

#include "core/rpm/rpm.h"
#include "test.h"

static void hash(const char *s, size_t len, size_t step, char out[65])
{
        struct fp_sha256 h;
        fp_sha256_init(&h);
        for (size_t i = 0; i < len; i += step)
                fp_sha256_update(&h, s + i, len - i < step ? len - i : step);
        fp_sha256_final_hex(&h, out);
}

int main(void)
{
        char out[65];
        const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        static char million[1000000];

        hash("", 0, 1, out);
        CHECK_STR_EQ(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        hash("abc", 3, 1, out);
        CHECK_STR_EQ(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        for (size_t step = 1; step <= 64; step++) {
                hash(two, strlen(two), step, out);
                CHECK_STR_EQ(out,
                             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        }
        memset(million, 'a', sizeof(million));
        hash(million, sizeof(million), 4096, out);
        CHECK_STR_EQ(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        return fp_test_finish();
}
