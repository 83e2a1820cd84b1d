/*
 * apt preferences parser. Follows apt's ReadPinFile: '#' comments, "Package: *" for file
 * pins, several names per Package field, pin types version/source-version/release/origin.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/deb/deb822.h"
#include "core/deb/preferences.h"
#include "core/deb/util.h"
#include "fleetpatch/limits.h"

void fp_pins_release(struct fp_pins *pins)
{
        if (!pins)
                return;
        free(pins->v);
        pins->v = NULL;
        pins->count = pins->cap = 0;
}

bool fp_preferences_name_ok(const char *name)
{
        return fp_deb_dir_entry_ok(name, "pref");
}

static enum fp_err add_pin(struct fp_pins *pins, const struct fp_pin *pin, const char *file,
                           struct fp_diag *diag)
{
        if (pins->count >= FP_MAX_PINS) {
                fp_diag_set(diag, file, pin->line, "Package", "more than FP_MAX_PINS (%d) pins",
                            FP_MAX_PINS);
                return FP_ELIMIT;
        }
        if (pins->count == pins->cap) {
                size_t ncap = pins->cap ? pins->cap * 2 : 16;
                struct fp_pin *n = realloc(pins->v, ncap * sizeof(*n));
                if (!n)
                        return FP_ENOMEM;
                pins->v = n;
                pins->cap = ncap;
        }
        pins->v[pins->count++] = *pin;
        return FP_OK;
}

static bool word_eq(const char *s, size_t n, const char *w)
{
        return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* One name of a Package field: "src:" prefix and ":arch" suffix split off like apt does. */
static enum fp_err name_pin(const char *s, size_t n, struct fp_arena *arena, struct fp_pin *pin)
{
        pin->source = false;
        pin->arch = NULL;
        if (n >= 4 && memcmp(s, "src:", 4) == 0) {
                pin->source = true;
                s += 4;
                n -= 4;
        }
        /* A /regex/ may hold colons; apt still cuts at the last one, and so do we. */
        for (size_t i = n; i > 0; i--) {
                if (s[i - 1] == ':') {
                        pin->arch = fp_arena_strndup(arena, s + i, n - i);
                        if (!pin->arch)
                                return FP_ENOMEM;
                        n = i - 1;
                        break;
                }
        }
        pin->package = fp_arena_strndup(arena, s, n);
        return pin->package ? FP_OK : FP_ENOMEM;
}

enum fp_err fp_preferences_parse(const char *buf, size_t len, const char *file,
                                 struct fp_arena *arena, struct fp_pins *pins,
                                 struct fp_diag *diag)
{
        struct fp_deb822_parser p;
        struct fp_deb822_stanza *st = malloc(sizeof(*st));
        enum fp_err err = FP_OK;

        if (!st)
                return FP_ENOMEM;
        fp_deb822_init(&p, buf, len, file, 1, true);
        for (;;) {
                const struct fp_deb822_field *pkg, *pinf, *prio;
                struct fp_pin pin;
                long priority;

                err = fp_deb822_next(&p, st, diag);
                if (err != FP_OK || st->count == 0)
                        break;
                pkg = fp_deb822_get(st, "Package");
                if (!pkg || pkg->value_len == 0) {
                        fp_diag_set(diag, file, st->line, "Package",
                                    "invalid record in the preferences file, no Package header");
                        err = FP_EPARSE;
                        break;
                }
                pinf = fp_deb822_get(st, "Pin");
                if (!pinf)
                        continue;
                memset(&pin, 0, sizeof(pin));
                pin.file = file;
                pin.line = st->line;
                bool star = pkg->value_len == 1 && pkg->value[0] == '*';
                const char *w = pinf->value, *we = pinf->value + pinf->value_len;
                while (w < we && *w != ' ' && *w != '\t')
                        w++;
                size_t tl = (size_t)(w - pinf->value);
                if (word_eq(pinf->value, tl, "version") && !star)
                        pin.type = FP_PIN_VERSION;
                else if (word_eq(pinf->value, tl, "source-version") && !star)
                        pin.type = FP_PIN_SOURCE_VERSION;
                else if (word_eq(pinf->value, tl, "release"))
                        pin.type = FP_PIN_RELEASE;
                else if (word_eq(pinf->value, tl, "origin"))
                        pin.type = FP_PIN_ORIGIN;
                else
                        continue; /* apt: "Did not understand pin type", a warning */
                while (w < we && (*w == ' ' || *w == '\t' || *w == '\n'))
                        w++;
                pin.data = fp_arena_strndup(arena, w, (size_t)(we - w));
                if (!pin.data) {
                        err = FP_ENOMEM;
                        break;
                }
                prio = fp_deb822_get(st, "Pin-Priority");
                if (prio && word_eq(prio->value, prio->value_len, "never")) {
                        if (!star) {
                                fp_diag_set(diag, file, prio->line, "Pin-Priority",
                                            "'never' can only be used for 'Package: *' records");
                                err = FP_EPARSE;
                                break;
                        }
                        priority = FP_PIN_NEVER;
                } else if (!prio || !fp_deb_parse_long(prio->value, prio->value_len, -32768,
                                                       32767, &priority)) {
                        fp_diag_set(diag, file, prio ? prio->line : st->line, "Pin-Priority",
                                    "%s", prio ? "not a number in -32768..32767"
                                               : "no priority specified for pin");
                        err = FP_EPARSE;
                        break;
                } else if (priority == 0) {
                        fp_diag_set(diag, file, prio->line, "Pin-Priority",
                                    "zero priority specified for pin");
                        err = FP_EPARSE;
                        break;
                } else if (priority == FP_PIN_NEVER) {
                        priority = FP_PIN_NEVER + 1; /* apt clamps a numeric "never" */
                }
                pin.priority = (int)priority;
                if (star) {
                        pin.package = NULL;
                        err = add_pin(pins, &pin, file, diag);
                        if (err != FP_OK)
                                break;
                        continue;
                }
                /* "Package: a b c" pins each name. */
                const char *s = pkg->value, *e = pkg->value + pkg->value_len;
                while (s < e && err == FP_OK) {
                        while (s < e && (*s == ' ' || *s == '\t' || *s == '\n'))
                                s++;
                        const char *t = s;
                        while (s < e && *s != ' ' && *s != '\t' && *s != '\n')
                                s++;
                        if (s == t)
                                break;
                        err = name_pin(t, (size_t)(s - t), arena, &pin);
                        if (err == FP_OK)
                                err = add_pin(pins, &pin, file, diag);
                }
                if (err != FP_OK)
                        break;
        }
        free(st);
        return err;
}
