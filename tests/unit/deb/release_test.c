/* Release/InRelease: armour stripping, fields, flags, SHA256 list, security rule. */
#include <stdlib.h>
#include <string.h>

#include "core/deb/release.h"
#include "fleetpatch/reader.h"
#include "test.h"

static void test_inline(void)
{
        const char *in = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
                         "Origin: FP\nLabel: Debian-Security\nSuite: stable-security\n"
                         "NotAutomatic: yes\nButAutomaticUpgrades: Yes\n"
                         "- Codename: dashed\nSHA256:\n"
                         " 0123456789012345678901234567890123456789012345678901234567890123 42 "
                         "main/binary-amd64/Packages\n"
                         "-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n";
        struct fp_arena a;
        struct fp_release r;
        struct fp_diag d;

        fp_arena_init(&a);
        CHECK_INT_EQ(fp_release_parse(in, strlen(in), "InRelease", &a, &r, &d), FP_OK);
        CHECK_STR_EQ(r.origin, "FP");
        CHECK_STR_EQ(r.codename, "dashed");
        CHECK(r.not_automatic && r.but_automatic_upgrades && r.signed_armour);
        CHECK(fp_release_is_security(&r));
        CHECK_INT_EQ(r.sha256_count, 1);
        const struct fp_release_hash *h = fp_release_find(&r, "main/binary-amd64/Packages");
        CHECK(h && h->size == 42);
        /* armour without signature, and bad SHA256 lines */
        CHECK_INT_EQ(fp_release_parse(in, 60, "x", &a, &r, &d), FP_EPARSE);
        const char *bad = "Suite: x\nSHA256:\n abc 1 p\n";
        CHECK_INT_EQ(fp_release_parse(bad, strlen(bad), "x", &a, &r, &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 3);
        CHECK_STR_EQ(d.field, "SHA256");
        fp_arena_release(&a);
}

/* The shared InRelease files: same fields as their unsigned Release twins. */
static void test_shared(void)
{
        static const char *const names[] = {"bookworm", "bookworm-updates", "bookworm-security"};
        for (size_t i = 0; i < 3; i++) {
                char p1[4096], p2[4096];
                char *b1 = NULL, *b2 = NULL;
                size_t l1, l2;
                struct fp_arena a;
                struct fp_release r1, r2;
                struct fp_diag d;
                snprintf(p1, sizeof(p1), "%s", fp_test_shared_path("apt/InRelease_"));
                strcat(p1, names[i]);
                snprintf(p2, sizeof(p2), "%s", fp_test_shared_path("apt/Release_"));
                strcat(p2, names[i]);
                fp_arena_init(&a);
                CHECK_INT_EQ(fp_read_file(p1, 1 << 24, &b1, &l1, &d), FP_OK);
                CHECK_INT_EQ(fp_read_file(p2, 1 << 24, &b2, &l2, &d), FP_OK);
                CHECK_INT_EQ(fp_release_parse(b1, l1, p1, &a, &r1, &d), FP_OK);
                CHECK_INT_EQ(fp_release_parse(b2, l2, p2, &a, &r2, &d), FP_OK);
                CHECK_STR_EQ(r1.codename, names[i]);
                CHECK_STR_EQ(r1.suite, r2.suite);
                CHECK_INT_EQ(r1.sha256_count, r2.sha256_count);
                CHECK(r1.sha256_count > 10);
                CHECK_INT_EQ(fp_release_is_security(&r1), i == 2);
                free(b1);
                free(b2);
                fp_arena_release(&a);
        }
}

int main(void)
{
        test_inline();
        test_shared();
        return fp_test_finish();
}
