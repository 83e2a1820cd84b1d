/*
 * apt preferences (/etc/apt/preferences and preferences.d/): pins as apt_preferences(5)
 * describes them. Parsing only; the matching is in policy.c.
 */
#ifndef FP_CORE_DEB_PREFERENCES_H
#define FP_CORE_DEB_PREFERENCES_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

enum fp_pin_type { FP_PIN_VERSION, FP_PIN_SOURCE_VERSION, FP_PIN_RELEASE, FP_PIN_ORIGIN };

/* apt's "Pin-Priority: never" (only for Package: *): the lowest short. */
#define FP_PIN_NEVER (-32768)

struct fp_pin {
        const char *package; /* name, glob or /regex/; NULL for "Package: *" (a file pin) */
        const char *arch;    /* from "name:arch", or NULL (= the native architecture) */
        bool source;         /* "src:name" pins the binaries of a source package */
        enum fp_pin_type type;
        const char *data; /* what follows the pin type: "release a=stable", "version 1.2*" */
        int priority;
        const char *file; /* for diagnostics */
        unsigned long line;
};

struct fp_pins {
        struct fp_pin *v; /* malloc'd, in file order; strings live in the parser's arena */
        size_t count, cap;
};

void fp_pins_release(struct fp_pins *pins);

/*
 * Append the pins of one preferences file, in order. Records without a Pin field, or with a
 * pin type apt does not know, are skipped (apt only warns). A record without Package, a
 * missing, zero, non-numeric or out-of-range Pin-Priority, or "never" on a named package is
 * FP_EPARSE; more than FP_MAX_PINS pins FP_ELIMIT.
 */
enum fp_err fp_preferences_parse(const char *buf, size_t len, const char *file,
                                 struct fp_arena *arena, struct fp_pins *pins,
                                 struct fp_diag *diag);

/* Whether apt reads a file of preferences.d with this name (no extension, or ".pref"). */
bool fp_preferences_name_ok(const char *name);

#endif
