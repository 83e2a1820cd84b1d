/*
 * fleetpatch vercmp [--scheme deb|rpm|apk] A OP B: dpkg --compare-versions for every scheme,
 * with dpkg's operators, exit codes and (for deb) dpkg's own messages.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "fleetpatch/version.h"

/*
 * Exit status per outcome, as in dpkg's cmpversions(): a <, =, > b, then "a is no version",
 * "neither is", "b is no version". The -nl forms treat no version as later than any.
 */
struct relation {
        const char *op;
        unsigned char if_less, if_equal, if_greater;
        unsigned char if_none_a, if_none_both, if_none_b;
        bool obsolete;
};

static const struct relation relations[] = {
        {"le", 0, 0, 1, 0, 0, 1, false},    {"lt", 0, 1, 1, 0, 1, 1, false},
        {"eq", 1, 0, 1, 1, 0, 1, false},    {"ne", 0, 1, 0, 0, 1, 0, false},
        {"ge", 1, 0, 0, 1, 0, 0, false},    {"gt", 1, 1, 0, 1, 1, 0, false},
        {"le-nl", 0, 0, 1, 1, 0, 0, false}, {"lt-nl", 0, 1, 1, 1, 1, 0, false},
        {"ge-nl", 1, 0, 0, 0, 0, 1, false}, {"gt-nl", 1, 1, 0, 0, 1, 1, false},
        /* Control-file spellings; dpkg keeps "<" and ">" as obsolete aliases of <= and >=. */
        {"<", 0, 0, 1, 0, 0, 1, true},      {"<=", 0, 0, 1, 0, 0, 1, false},
        {"<<", 0, 1, 1, 0, 1, 1, false},    {"=", 1, 0, 1, 1, 0, 1, false},
        {">=", 1, 0, 0, 1, 0, 0, false},    {">>", 1, 1, 0, 1, 1, 0, false},
        {">", 1, 0, 0, 1, 0, 0, true},
};

static void vercmp_usage(FILE *out)
{
        fprintf(out,
                "usage: fleetpatch vercmp [--scheme deb|rpm|apk] [--] A OP B\n"
                "\n"
                "Compare two versions like 'dpkg --compare-versions' (default scheme: deb).\n"
                "\n"
                "operators:\n"
                "  lt le eq ne ge gt          usual meaning; an empty version is older than any\n"
                "  lt-nl le-nl ge-nl gt-nl    an empty version is newer than any\n"
                "  << <= = >= >>              control-file spellings of lt le eq ge gt\n"
                "  < >                        obsolete: mean <= and >= (with a warning)\n"
                "\n"
                "An empty version or '<unknown>' means \"no version\".\n"
                "\n"
                "exit status: 0 relation true, 1 false, 2 bad version, operator or usage.\n");
}

/*
 * Check one operand. Returns false (message printed) if it is refused; *none is set when it
 * stands for "no version".
 */
static bool check_operand(enum fp_scheme scheme, const char *v, bool *none)
{
        struct fp_diag d;

        *none = !*v || !strcmp(v, "<unknown>");
        if (*none)
                return true;
        fp_diag_clear(&d);
        switch (scheme) {
        case FP_SCHEME_DEB: {
                struct fp_debver dv;
                enum fp_verdict verdict = fp_deb_version_parse(v, strlen(v), &dv, &d);

                /* dpkg's wording, so scripts that match dpkg's stderr keep working. */
                if (verdict == FP_VERSION_WARNING)
                        fprintf(stderr, "dpkg: warning: version '%s' has bad syntax: %s\n", v,
                                d.msg);
                if (verdict == FP_VERSION_ERROR) {
                        fprintf(stderr, "dpkg: error: version '%s' has bad syntax: %s\n", v,
                                d.msg);
                        return false;
                }
                return true;
        }
        case FP_SCHEME_RPM: {
                struct fp_rpmevr e;

                if (fp_rpm_evr_parse(v, strlen(v), &e, &d) != FP_OK) {
                        fprintf(stderr, "fleetpatch: error: version '%s' has bad syntax: %s\n",
                                v, d.msg);
                        return false;
                }
                return true;
        }
        case FP_SCHEME_APK:
                /* apk version -t compares invalid strings too; say so and go on. */
                if (!fp_apk_version_valid(v))
                        fprintf(stderr,
                                "fleetpatch: warning: version '%s' is not a valid apk version\n",
                                v);
                return true;
        }
        return false;
}

int cmd_vercmp(int argc, char **argv)
{
        enum fp_scheme scheme = FP_SCHEME_DEB;
        const struct relation *rel = NULL;
        const char *args[3];
        int nargs = 0, i;
        bool none_a, none_b, only_args = false;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (!only_args && !strcmp(a, "--")) {
                        only_args = true;
                } else if (!only_args && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
                        vercmp_usage(stdout);
                        return FP_EXIT_OK;
                } else if (!only_args && (!strcmp(a, "--scheme") || !strncmp(a, "--scheme=", 9))) {
                        const char *name = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);

                        if (!name || !fp_scheme_from_name(name, &scheme)) {
                                fprintf(stderr, "fleetpatch vercmp: error: unknown scheme '%s' "
                                                "(deb, rpm or apk)\n",
                                        name ? name : "");
                                return FP_EXIT_USAGE;
                        }
                } else if (!only_args && nargs == 0 && a[0] == '-' && a[1] == '-') {
                        fprintf(stderr, "fleetpatch vercmp: error: unknown option '%s'\n", a);
                        return FP_EXIT_USAGE;
                } else if (nargs < 3) {
                        args[nargs++] = a;
                } else {
                        nargs++;
                }
        }
        if (nargs != 3) {
                fprintf(stderr, "fleetpatch vercmp: error: takes three arguments: "
                                "<version> <relation> <version>\n\n");
                vercmp_usage(stderr);
                return FP_EXIT_USAGE;
        }
        for (size_t k = 0; k < sizeof(relations) / sizeof(relations[0]); k++)
                if (!strcmp(relations[k].op, args[1]))
                        rel = &relations[k];
        if (!rel) {
                fprintf(stderr, "fleetpatch vercmp: error: bad relation '%s'\n", args[1]);
                return FP_EXIT_USAGE;
        }
        if (rel->obsolete)
                fprintf(stderr, "fleetpatch: warning: vercmp used with obsolete relation "
                                "operator '%s'\n",
                        rel->op);
        if (!check_operand(scheme, args[0], &none_a) || !check_operand(scheme, args[2], &none_b))
                return FP_EXIT_USAGE;

        if (none_a)
                return none_b ? rel->if_none_both : rel->if_none_a;
        if (none_b)
                return rel->if_none_b;
        {
                int rc = fp_vercmp(scheme, args[0], args[2]);
                return rc < 0 ? rel->if_less : rc > 0 ? rel->if_greater : rel->if_equal;
        }
}
