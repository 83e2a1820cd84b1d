/*
 * CVSS base scores (fleetpatch/vuln.h): v3.0 and v3.1 ("CVSS:3.x/AV:N/..."), and v2
 * ("AV:N/AC:L/Au:N/C:P/I:P/A:P").
 *
 * A vector is "/"-separated METRIC:VALUE pairs in any order (the specifications only recommend
 * the table order). Every base metric must be present exactly once; temporal and environmental
 * metrics are accepted (real vectors carry them, e.g. GHSA-f5pg-7wfw-84q9 ".../E:P/RL:O/RC:C")
 * and checked for a valid value, but do not change the base score. Unknown metrics, duplicates,
 * missing base metrics and bad values are errors naming the metric in diag->field. One trailing
 * "/" is tolerated (the same GHSA record ends its vector with one).
 *
 * The arithmetic follows the specifications' reference calculators operation for operation, so
 * the IEEE doubles (and therefore the rounding of borderline cases) come out as NVD publishes
 * them: v3.1 uses the integer-based Roundup of specification section 7.4 (Appendix A), v3.0 the
 * plain ceil(x * 10) / 10 of its calculator, v2 round-half-up to one decimal.
 *
 * CVSS v4.0 vectors are refused: their score comes from the MacroVector lookup table of the v4
 * specification, which this file does not carry (callers keep the v4 vector without a score).
 */
#include <stdbool.h>
#include <string.h>

#include "fleetpatch/vuln.h"

/* Longest vector accepted: all v3 base+temporal+environmental metrics take < 160 bytes. */
#define CVSS_MAX_LEN 512

/* One metric: its name, the value letters it accepts and, for base metrics, their weights. */
struct metric {
        const char *name;
        bool base;
        const char *const *values; /* NULL-terminated */
        const double *weights;     /* base metrics: one per value */
};

#define VALUES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define WEIGHTS(...) ((const double[]){__VA_ARGS__})

/*
 * v3 base weights (specification 7.4). PR depends on the scope; its table holds the
 * scope-unchanged weights and score_v3() applies the scope-changed ones (L 0.68, H 0.5).
 */
static const struct metric v3_metrics[] = {
    {"AV", true, VALUES("N", "A", "L", "P"), WEIGHTS(0.85, 0.62, 0.55, 0.2)},
    {"AC", true, VALUES("L", "H"), WEIGHTS(0.77, 0.44)},
    {"PR", true, VALUES("N", "L", "H"), WEIGHTS(0.85, 0.62, 0.27)},
    {"UI", true, VALUES("N", "R"), WEIGHTS(0.85, 0.62)},
    {"S", true, VALUES("U", "C"), WEIGHTS(0, 1)},
    {"C", true, VALUES("H", "L", "N"), WEIGHTS(0.56, 0.22, 0)},
    {"I", true, VALUES("H", "L", "N"), WEIGHTS(0.56, 0.22, 0)},
    {"A", true, VALUES("H", "L", "N"), WEIGHTS(0.56, 0.22, 0)},
    /* temporal */
    {"E", false, VALUES("X", "U", "P", "F", "H"), NULL},
    {"RL", false, VALUES("X", "O", "T", "W", "U"), NULL},
    {"RC", false, VALUES("X", "U", "R", "C"), NULL},
    /* environmental */
    {"CR", false, VALUES("X", "L", "M", "H"), NULL},
    {"IR", false, VALUES("X", "L", "M", "H"), NULL},
    {"AR", false, VALUES("X", "L", "M", "H"), NULL},
    {"MAV", false, VALUES("X", "N", "A", "L", "P"), NULL},
    {"MAC", false, VALUES("X", "L", "H"), NULL},
    {"MPR", false, VALUES("X", "N", "L", "H"), NULL},
    {"MUI", false, VALUES("X", "N", "R"), NULL},
    {"MS", false, VALUES("X", "U", "C"), NULL},
    {"MC", false, VALUES("X", "N", "L", "H"), NULL},
    {"MI", false, VALUES("X", "N", "L", "H"), NULL},
    {"MA", false, VALUES("X", "N", "L", "H"), NULL},
};
enum { V3_AV, V3_AC, V3_PR, V3_UI, V3_S, V3_C, V3_I, V3_A };
#define V3_COUNT 22

/* v2 base weights (CVSS v2 guide, section 3.2.1). */
static const struct metric v2_metrics[] = {
    {"AV", true, VALUES("L", "A", "N"), WEIGHTS(0.395, 0.646, 1.0)},
    {"AC", true, VALUES("H", "M", "L"), WEIGHTS(0.35, 0.61, 0.71)},
    {"Au", true, VALUES("M", "S", "N"), WEIGHTS(0.45, 0.56, 0.704)},
    {"C", true, VALUES("N", "P", "C"), WEIGHTS(0.0, 0.275, 0.660)},
    {"I", true, VALUES("N", "P", "C"), WEIGHTS(0.0, 0.275, 0.660)},
    {"A", true, VALUES("N", "P", "C"), WEIGHTS(0.0, 0.275, 0.660)},
    /* temporal */
    {"E", false, VALUES("U", "POC", "F", "H", "ND"), NULL},
    {"RL", false, VALUES("OF", "TF", "W", "U", "ND"), NULL},
    {"RC", false, VALUES("UC", "UR", "C", "ND"), NULL},
    /* environmental */
    {"CDP", false, VALUES("N", "L", "LM", "MH", "H", "ND"), NULL},
    {"TD", false, VALUES("N", "L", "M", "H", "ND"), NULL},
    {"CR", false, VALUES("L", "M", "H", "ND"), NULL},
    {"IR", false, VALUES("L", "M", "H", "ND"), NULL},
    {"AR", false, VALUES("L", "M", "H", "ND"), NULL},
};
enum { V2_AV, V2_AC, V2_AU, V2_C, V2_I, V2_A };
#define V2_COUNT 14

_Static_assert(sizeof(v3_metrics) / sizeof(v3_metrics[0]) == V3_COUNT, "v3 table");
_Static_assert(sizeof(v2_metrics) / sizeof(v2_metrics[0]) == V2_COUNT, "v2 table");

/* diag->field = the metric (cut to fit), diag->msg = the message. */
static bool fail(struct fp_diag *diag, const char *metric, size_t mlen, const char *msg)
{
        char field[FP_DIAG_FIELD_MAX];
        if (mlen >= sizeof(field))
                mlen = sizeof(field) - 1;
        memcpy(field, metric, mlen);
        field[mlen] = '\0';
        fp_diag_where(diag, NULL, 0, field);
        fp_diag_msg(diag, "CVSS metric %s: %s", field[0] ? field : "(empty)", msg);
        return false;
}

/*
 * Split `s` (the part after any "CVSS:x.y/" prefix) into the metrics of `table`: idx[m] = index
 * of the value of metric m, or -1 when absent. false (and diag) on any malformed component.
 */
static bool parse_metrics(const char *s, const struct metric *table, size_t nmetrics, int *idx,
                          struct fp_diag *diag)
{
        for (size_t m = 0; m < nmetrics; m++)
                idx[m] = -1;
        for (;;) {
                size_t len = strcspn(s, "/");
                const char *colon = memchr(s, ':', len);
                if (!colon)
                        return fail(diag, s, len, "expected METRIC:VALUE");
                size_t nlen = (size_t)(colon - s), vlen = len - nlen - 1;
                size_t m = 0;
                while (m < nmetrics &&
                       !(strlen(table[m].name) == nlen && memcmp(table[m].name, s, nlen) == 0))
                        m++;
                if (m == nmetrics)
                        return fail(diag, s, nlen, "unknown metric");
                if (idx[m] >= 0)
                        return fail(diag, s, nlen, "given twice");
                int v = 0;
                while (table[m].values[v] && !(strlen(table[m].values[v]) == vlen &&
                                               memcmp(table[m].values[v], colon + 1, vlen) == 0))
                        v++;
                if (!table[m].values[v])
                        return fail(diag, s, nlen, "bad value");
                idx[m] = v;
                /* one trailing '/' is tolerated: real vectors have it (GHSA-f5pg-7wfw-84q9) */
                if (s[len] == '\0' || (s[len] == '/' && s[len + 1] == '\0'))
                        break;
                s += len + 1;
        }
        for (size_t m = 0; m < nmetrics; m++)
                if (table[m].base && idx[m] < 0)
                        return fail(diag, table[m].name, strlen(table[m].name),
                                    "missing base metric");
        return true;
}

/*
 * libm is not among the library's dependencies, and scores live in [0, 100] after scaling, so
 * the few roundings needed are done on integers here.
 */
static double floor_pos(double x)
{
        return (double)(long long)x;
}

static double ceil_pos(double x)
{
        double f = floor_pos(x);
        return f < x ? f + 1 : f;
}

/* x^15 by squaring (the scope-changed impact term; x is in (-0.02, 1)). */
static double pow15(double x)
{
        double x2 = x * x, x4 = x2 * x2, x8 = x4 * x4;
        return x8 * x4 * x2 * x;
}

/* CVSS v3.1 Roundup (specification Appendix A): immune to x.x0000000001-style float noise. */
static double roundup_v31(double x)
{
        long long i = (long long)(x * 100000.0 + 0.5);
        if (i % 10000 == 0)
                return (double)i / 100000.0;
        long long tenths = i / 10000 + 1; /* integer division: the Roundup truncates here */
        return (double)tenths / 10.0;
}

/* CVSS v3.0 as its reference calculator does it. */
static double roundup_v30(double x)
{
        return ceil_pos(x * 10.0) / 10.0;
}

static double score_v3(const int *idx, bool v31)
{
        const struct metric *t = v3_metrics;
        bool changed = idx[V3_S] == 1;
        double av = t[V3_AV].weights[idx[V3_AV]], ac = t[V3_AC].weights[idx[V3_AC]];
        double pr = t[V3_PR].weights[idx[V3_PR]], ui = t[V3_UI].weights[idx[V3_UI]];
        double c = t[V3_C].weights[idx[V3_C]], i = t[V3_I].weights[idx[V3_I]];
        double a = t[V3_A].weights[idx[V3_A]];
        if (changed && idx[V3_PR] == 1)
                pr = 0.68;
        else if (changed && idx[V3_PR] == 2)
                pr = 0.5;

        double iss = 1 - ((1 - c) * (1 - i) * (1 - a));
        double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow15(iss - 0.02) : 6.42 * iss;
        double exploitability = 8.22 * av * ac * pr * ui;
        if (impact <= 0)
                return 0.0;
        double sum = changed ? 1.08 * (impact + exploitability) : impact + exploitability;
        if (sum > 10)
                sum = 10;
        return v31 ? roundup_v31(sum) : roundup_v30(sum);
}

static double score_v2(const int *idx)
{
        const struct metric *t = v2_metrics;
        double c = t[V2_C].weights[idx[V2_C]], i = t[V2_I].weights[idx[V2_I]];
        double a = t[V2_A].weights[idx[V2_A]];
        double impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
        double exploitability = 20 * t[V2_AV].weights[idx[V2_AV]] * t[V2_AC].weights[idx[V2_AC]] *
                                t[V2_AU].weights[idx[V2_AU]];
        double f = impact == 0 ? 0 : 1.176;
        double base = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
        /* round_to_1_decimal; the tiny bias keeps x.x5 from falling to x.x4999999 */
        return floor_pos(base * 10.0 + 0.5 + 1e-9) / 10.0;
}

bool fp_cvss_base_score(const char *vector, double *score, struct fp_diag *diag)
{
        int idx[V3_COUNT]; /* V3_COUNT > V2_COUNT */
        *score = -1.0;
        if (!vector || vector[0] == '\0')
                return fail(diag, "", 0, "empty vector");
        if (strlen(vector) > CVSS_MAX_LEN)
                return fail(diag, "", 0, "vector too long");
        if (strncmp(vector, "CVSS:", 5) == 0) {
                const char *ver = vector + 5;
                bool v31 = strncmp(ver, "3.1/", 4) == 0;
                if (!v31 && strncmp(ver, "3.0/", 4) != 0) {
                        fp_diag_where(diag, NULL, 0, "CVSS");
                        fp_diag_msg(diag,
                                    "CVSS version '%.8s' has no base score here (3.0 and "
                                    "3.1 and bare v2 vectors do)",
                                    ver);
                        return false;
                }
                if (!parse_metrics(ver + 4, v3_metrics, V3_COUNT, idx, diag))
                        return false;
                *score = score_v3(idx, v31);
                return true;
        }
        if (!parse_metrics(vector, v2_metrics, V2_COUNT, idx, diag))
                return false;
        *score = score_v2(idx);
        return true;
}
