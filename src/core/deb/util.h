/* Small helpers of the Debian parsers: apt's boolean and number spellings. */
#ifndef FP_CORE_DEB_UTIL_H
#define FP_CORE_DEB_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* apt's StringToBool: yes/true/with/on/enable (any case) or a non-zero number; else false. */
bool fp_deb_string_to_bool(const char *s, size_t n);
/* Decimal digits only, no overflow. */
bool fp_deb_parse_ull(const char *s, size_t n, unsigned long long *out);
/* Optional sign and digits, within [min, max]. */
bool fp_deb_parse_long(const char *s, size_t n, long min, long max, long *out);
/*
 * apt's rule for files in a *.d directory (GetListOfFilesInDir): only [A-Za-z0-9_.-], and
 * either no extension or exactly ext (e.g. "pref" for preferences.d, "conf" for apt.conf.d).
 */
bool fp_deb_dir_entry_ok(const char *name, const char *ext);

#endif
