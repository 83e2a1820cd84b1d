/* Number and boolean spellings shared by the Debian parsers. */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "core/deb/util.h"

bool fp_deb_string_to_bool(const char *s, size_t n)
{
        static const char *const yes[] = {"yes", "true", "with", "on", "enable"};
        unsigned long long v;

        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
                if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0)
                        return true;
        return fp_deb_parse_ull(s, n, &v) && v != 0;
}

bool fp_deb_parse_ull(const char *s, size_t n, unsigned long long *out)
{
        unsigned long long v = 0;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                if (v > (ULLONG_MAX - (unsigned)(s[i] - '0')) / 10)
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *out = v;
        return true;
}

bool fp_deb_parse_long(const char *s, size_t n, long min, long max, long *out)
{
        bool neg = false;
        unsigned long long v;

        if (n > 0 && (s[0] == '-' || s[0] == '+')) {
                neg = s[0] == '-';
                s++;
                n--;
        }
        if (!fp_deb_parse_ull(s, n, &v) || v > (unsigned long long)LONG_MAX)
                return false;
        long r = neg ? -(long)v : (long)v;
        if (r < min || r > max)
                return false;
        *out = r;
        return true;
}

bool fp_deb_dir_entry_ok(const char *name, const char *ext)
{
        const char *dot = NULL;

        if (!name || !*name)
                return false;
        for (const char *p = name; *p; p++) {
                char c = *p;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
                        return false;
                if (c == '.')
                        dot = p;
        }
        return !dot || strcmp(dot + 1, ext) == 0;
}
