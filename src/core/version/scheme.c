/* The version schemes by name, and one entry point that dispatches on the scheme. */
#include <string.h>

#include "fleetpatch/version.h"

static const struct {
        const char *name;
        enum fp_scheme scheme;
} scheme_names[] = {
        {"deb", FP_SCHEME_DEB},
        {"rpm", FP_SCHEME_RPM},
        {"apk", FP_SCHEME_APK},
};

bool fp_scheme_from_name(const char *name, enum fp_scheme *out)
{
        if (!name)
                return false;
        for (size_t i = 0; i < sizeof(scheme_names) / sizeof(scheme_names[0]); i++) {
                if (!strcmp(name, scheme_names[i].name)) {
                        *out = scheme_names[i].scheme;
                        return true;
                }
        }
        return false;
}

const char *fp_scheme_name(enum fp_scheme scheme)
{
        for (size_t i = 0; i < sizeof(scheme_names) / sizeof(scheme_names[0]); i++)
                if (scheme_names[i].scheme == scheme)
                        return scheme_names[i].name;
        return "unknown";
}

int fp_vercmp(enum fp_scheme scheme, const char *a, const char *b)
{
        switch (scheme) {
        case FP_SCHEME_DEB:
                return fp_deb_vercmp(a, b);
        case FP_SCHEME_RPM:
                return fp_rpm_vercmp(a, b);
        case FP_SCHEME_APK:
                return fp_apk_vercmp(a, b);
        }
        /* Not a scheme: no order to give; keep it total by the bytes. */
        {
                int rc = strcmp(a, b);
                return (rc > 0) - (rc < 0);
        }
}
