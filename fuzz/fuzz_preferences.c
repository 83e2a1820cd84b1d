/* Fuzz target: apt preferences parser, then the policy over the pins it produced. */
#include <stdint.h>

#include "core/deb/policy.h"
#include "core/deb/preferences.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct fp_release rel = {.origin = "Debian", .suite = "stable", .codename = "c",
                                        .label = "Debian", .version = "12"};
        struct fp_apt_index ix[2] = {{.status = true, .site = "", .component = "now"},
                                     {.release = &rel, .site = "h", .component = "main",
                                      .arch = "amd64"}};
        struct fp_arena a;
        struct fp_pins pins = {0};
        struct fp_diag d;

        fp_arena_init(&a);
        if (fp_preferences_parse((const char *)data, size, "fuzz", &a, &pins, &d) == FP_OK &&
            pins.count < 64) {
                struct fp_apt_policy pol;
                struct fp_apt_pkg pkg = {.name = "foo", .arch = "amd64"};
                struct fp_deb_pkg r1 = {.name = "foo", .version = "1.0", .arch = "all",
                                        .source = "foo", .phased = 100};
                struct fp_deb_pkg r2 = r1;
                r2.version = "1.1";
                fp_apt_pkg_add(&a, &pkg, &r1, 0, true);
                fp_apt_pkg_add(&a, &pkg, &r1, 1, false);
                fp_apt_pkg_add(&a, &pkg, &r2, 1, false);
                if (fp_apt_policy_init(&pol, ix, 2, &pins, NULL, "amd64", &d) == FP_OK) {
                        (void)fp_apt_candidate(&pol, &pkg);
                        fp_apt_policy_release(&pol);
                }
        }
        fp_pins_release(&pins);
        fp_arena_release(&a);
        return 0;
}
