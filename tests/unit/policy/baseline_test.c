/*
 * Baselines (fleetpatch/baseline.h): the doc's example parses, every malformed shape is
 * refused with the JSON path of the bad value, every limit holds at its value and refuses one
 * past it, the canonical JSON round-trips, selectors and their specificity, the precedence of
 * rejected > approved > rules, the age arithmetic at its boundaries, severity minimums, the
 * explanation text, and the classification of origins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/baseline.h"
#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"
#include "test.h"

#define DAY 86400LL
/* 2026-11-10T00:00:00Z */
#define NOV10 1794268800LL

static const char doc_example[] =
    "{\"name\": \"deb-prod\", \"account\": \"prod\", \"family\": \"deb\", \"selector\": {\"env\": "
    "\"prod\"},\n"
    " \"rules\": [{\"classification\": [\"security\"], \"severity\": \"high\", \"after_days\": 0},\n"
    "           {\"classification\": [\"security\", \"bugfix\"], \"after_days\": 7},\n"
    "           {\"classification\": [\"other\"], \"until\": \"2026-12-31\"}],\n"
    " \"approved\": [\"openssl=3.0.15-1~deb12u1\", \"tzdata\"],\n"
    " \"rejected\": [\"nginx*\"],\n"
    " \"rejected_dependency\": \"block\",\n"
    " \"compliance_level\": \"high\",\n"
    " \"catchup\": {\"policy\": \"next-window\", \"window\": \"sat-night\", \"handback_hook\": "
    "\"rejoin\"}}";

static struct fp_baseline *parse_ok(const char *text)
{
        struct fp_baseline *b = NULL;
        struct fp_diag d;
        enum fp_err err = fp_baseline_parse(text, strlen(text), &b, &d);
        CHECK_MSG(err == FP_OK, "refused (%s: %s): %.300s", d.field, d.msg, text);
        if (err != FP_OK)
                return NULL;
        /* the canonical text parses back and prints the same */
        char *j1 = fp_baseline_to_json(b);
        CHECK(j1 != NULL);
        struct fp_baseline *b2 = NULL;
        CHECK_INT_EQ(fp_baseline_parse(j1, strlen(j1), &b2, &d), FP_OK);
        char *j2 = b2 ? fp_baseline_to_json(b2) : NULL;
        CHECK_STR_EQ(j1, j2);
        free(j1);
        free(j2);
        fp_baseline_free(b2);
        return b;
}

#define GOOD(text) fp_baseline_free(parse_ok(text))

/* Refused with this error, this path and a message containing msg (NULL: any message). */
static void bad_at(int lineno, const char *text, size_t len, enum fp_err want, const char *field,
                   const char *msg)
{
        struct fp_baseline *b = (struct fp_baseline *)1;
        struct fp_diag d;
        enum fp_err err = fp_baseline_parse(text, len, &b, &d);
        CHECK_MSG(err == want, "line %d: %s != %s (%s: %s) for %.200s", lineno, fp_errname(err),
                  fp_errname(want), d.field, d.msg, text);
        CHECK_MSG(b == NULL, "line %d: out not NULL on error", lineno);
        if (err == FP_OK) {
                fp_baseline_free(b);
                return;
        }
        CHECK_MSG(strcmp(d.field, field) == 0, "line %d: field '%s' != '%s' (%s)", lineno, d.field,
                  field, d.msg);
        CHECK_MSG(d.msg[0] != '\0', "line %d: no message", lineno);
        if (msg)
                CHECK_MSG(strstr(d.msg, msg) != NULL, "line %d: message '%s' lacks '%s'", lineno,
                          d.msg, msg);
}
#define BAD(text, err, field, msg) bad_at(__LINE__, text, strlen(text), err, field, msg)

/* A minimal valid deb baseline with `extra` members spliced in. */
static char *with(const char *family, const char *extra)
{
        size_t n = strlen(extra) + 200;
        char *s = malloc(n);
        snprintf(s, n, "{\"name\":\"b\",\"account\":\"a\",\"family\":\"%s\"%s%s}", family,
                 extra[0] ? "," : "", extra);
        return s;
}

#define BADX(family, extra, err, field, msg)                                                       \
        do {                                                                                       \
                char *t_ = with(family, extra);                                                    \
                bad_at(__LINE__, t_, strlen(t_), err, field, msg);                                 \
                free(t_);                                                                          \
        } while (0)
#define GOODX(family, extra)                                                                       \
        do {                                                                                       \
                char *t_ = with(family, extra);                                                    \
                GOOD(t_);                                                                          \
                free(t_);                                                                          \
        } while (0)

static void test_doc_example(void)
{
        struct fp_baseline *b = parse_ok(doc_example);
        if (!b)
                return;
        CHECK_STR_EQ(fp_baseline_name(b), "deb-prod");
        CHECK_STR_EQ(fp_baseline_account(b), "prod");
        CHECK_STR_EQ(fp_baseline_family(b), "deb");
        CHECK_INT_EQ(fp_baseline_rule_count(b), 3);
        CHECK_INT_EQ(fp_baseline_compliance_level(b), FP_SEV_HIGH);
        CHECK(fp_baseline_blocks_dependencies(b));
        const char *const *pats;
        CHECK_INT_EQ(fp_baseline_blocked(b, &pats), 1);
        CHECK_STR_EQ(pats[0], "nginx*");
        int policy;
        const char *window, *hook;
        fp_baseline_catchup(b, &policy, &window, &hook);
        CHECK_INT_EQ(policy, 2);
        CHECK_STR_EQ(window, "sat-night");
        CHECK_STR_EQ(hook, "rejoin");
        char *j = fp_baseline_to_json(b);
        CHECK_STR_EQ(
            j, "{\"name\":\"deb-prod\",\"account\":\"prod\",\"family\":\"deb\",\"selector\":{\"env\":"
               "\"prod\"},\"rules\":[{\"classification\":[\"security\"],\"severity\":\"high\","
               "\"after_days\":0},{\"classification\":[\"security\",\"bugfix\"],\"after_days\":7},"
               "{\"classification\":[\"other\"],\"until\":\"2026-12-31\"}],\"approved\":["
               "\"openssl=3.0.15-1~deb12u1\",\"tzdata\"],\"rejected\":[\"nginx*\"],"
               "\"rejected_dependency\":\"block\",\"compliance_level\":\"high\",\"catchup\":{"
               "\"policy\":\"next-window\",\"window\":\"sat-night\",\"handback_hook\":\"rejoin\"}}");
        free(j);
        fp_baseline_free(b);
}

static void test_canonical(void)
{
        /* defaults made explicit, selector keys sorted, classification in canonical order */
        const char *in = "{\"rules\":[{\"until\":\"2028-02-29\",\"classification\":[\"other\","
                         "\"security\"]}],\"family\":\"rpm\",\"selector\":{\"z\":\"1\",\"a\":\"\","
                         "\"m/k:x\":\"v\"},\"account\":\"acc\",\"name\":\"n.1_x-y\"}";
        struct fp_baseline *b = parse_ok(in);
        if (!b)
                return;
        char *j = fp_baseline_to_json(b);
        CHECK_STR_EQ(j, "{\"name\":\"n.1_x-y\",\"account\":\"acc\",\"family\":\"rpm\",\"selector\":{"
                        "\"a\":\"\",\"m/k:x\":\"v\",\"z\":\"1\"},\"rules\":[{\"classification\":["
                        "\"security\",\"other\"],\"until\":\"2028-02-29\"}],\"approved\":[],"
                        "\"rejected\":[],\"rejected_dependency\":\"block\",\"compliance_level\":"
                        "\"unspecified\"}");
        free(j);
        int policy = 9;
        const char *window = NULL, *hook = NULL;
        fp_baseline_catchup(b, &policy, &window, &hook);
        CHECK_INT_EQ(policy, 0);
        CHECK_STR_EQ(window, "");
        CHECK_STR_EQ(hook, "");
        CHECK_INT_EQ(fp_baseline_compliance_level(b), FP_SEV_UNKNOWN);
        fp_baseline_free(b);

        /* every severity word and both catch-up policies survive the trip */
        const char *words[] = {"critical", "high", "medium", "low", "informational", "unspecified"};
        for (size_t i = 0; i < 6; i++) {
                char extra[300];
                snprintf(extra, sizeof(extra),
                         "\"rules\":[{\"classification\":[\"bugfix\"],\"severity\":\"%s\","
                         "\"after_days\":1}],\"compliance_level\":\"%s\",\"catchup\":{\"policy\":"
                         "\"immediate\",\"handback_hook\":\"h-1\"},\"rejected_dependency\":\"allow\"",
                         words[i], words[i]);
                GOODX("deb", extra);
                int sev = -7;
                CHECK(fp_baseline_severity_parse(words[i], &sev));
                CHECK_STR_EQ(fp_baseline_severity_name(sev), words[i]);
        }
        int sev;
        CHECK(!fp_baseline_severity_parse("High", &sev));
        CHECK(!fp_baseline_severity_parse("important", &sev));
        CHECK(!fp_baseline_severity_parse("none", &sev));
        CHECK_STR_EQ(fp_baseline_severity_name(FP_BASELINE_SEV_NONE), "none");
        CHECK_STR_EQ(fp_baseline_severity_name(42), "?");
        CHECK_STR_EQ(fp_update_class_name(FP_UPD_SECURITY), "security");
        CHECK_STR_EQ(fp_update_class_name(FP_UPD_BUGFIX), "bugfix");
        CHECK_STR_EQ(fp_update_class_name(FP_UPD_OTHER), "other");
        CHECK_STR_EQ(fp_update_class_name((enum fp_update_class)7), "?");

        /* only approved entries, no rules, is enough */
        GOODX("deb", "\"approved\":[\"tzdata\"]");
        GOODX("rpm", "\"approved\":[\"kernel=5.14.0-427.13.1.el9_4\",\"kernel-*\",\"1:x?\"]");
}

static void test_shapes(void)
{
        const char *rule = "\"rules\":[{\"classification\":[\"security\"],\"after_days\":1}]";

        BAD("", FP_EPARSE, "baseline", "not JSON");
        BAD("{\"name\":", FP_EPARSE, "baseline", "not JSON");
        BAD("[1]", FP_EPARSE, "baseline", "expected an object");
        BAD("{\"name\":\"a\",\"name\":\"b\"}", FP_EPARSE, "baseline", "duplicate");
        bad_at(__LINE__, "{\"name\":\"a\"}", 5, FP_EPARSE, "baseline", "not JSON");
        BAD("{\"name\":\"b\",\"account\":\"a\",\"rules\":[]}", FP_EPARSE, "baseline.family",
            "missing");
        BADX("apk", rule, FP_EPARSE, "baseline.family", "deb or rpm");
        BAD("{\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"]}", FP_EPARSE,
            "baseline.name", "missing");
        BAD("{\"name\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"]}", FP_EPARSE,
            "baseline.account", "missing");
        BAD("{\"name\":\"Deb Prod\",\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"]}",
            FP_EPARSE, "baseline.name", "[a-z0-9._-]");
        BAD("{\"name\":\"-x\",\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"]}",
            FP_EPARSE, "baseline.name", NULL);
        BAD("{\"name\":\"x\",\"account\":7,\"family\":\"deb\",\"approved\":[\"x\"]}", FP_EPARSE,
            "baseline.account", "expected a string");
        BADX("deb", "\"approved\":[\"x\"],\"color\":\"red\"", FP_EPARSE, "baseline.color",
             "unknown member");

        /* approves nothing */
        BADX("deb", "", FP_EPARSE, "baseline", "approves nothing");
        BADX("deb", "\"rules\":[],\"approved\":[],\"rejected\":[\"x\"]", FP_EPARSE, "baseline",
             "approves nothing");

        /* rules */
        BADX("deb", "\"rules\":{}", FP_EPARSE, "baseline.rules", "expected an array");
        BADX("deb", "\"rules\":[7]", FP_EPARSE, "baseline.rules[0]", "expected an object");
        BADX("deb",
             "\"rules\":[{\"classification\":[\"security\"],\"after_days\":1},"
             "{\"classification\":[\"bugfix\"],\"after_days\":-1}]",
             FP_EPARSE, "baseline.rules[1].after_days", "expected 0..3650");
        BADX("deb",
             "\"rules\":[{\"classification\":[\"security\"],\"after_days\":1},"
             "{\"classification\":[\"bugfix\"],\"after_days\":\"7\"}]",
             FP_EPARSE, "baseline.rules[1].after_days", "expected an integer");
        BADX("deb", "\"rules\":[{\"classification\":[\"bugfix\"],\"after_days\":7.0}]", FP_EPARSE,
             "baseline.rules[0].after_days", "expected an integer");
        BADX("deb", "\"rules\":[{\"classification\":[\"bugfix\"],\"after_days\":3651}]",
             FP_ELIMIT, "baseline.rules[0].after_days", "3651");
        GOODX("deb", "\"rules\":[{\"classification\":[\"bugfix\"],\"after_days\":3650}]");
        BADX("deb",
             "\"rules\":[{\"classification\":[\"bugfix\"],\"after_days\":1,\"until\":\"2026-01-01\"}"
             "]",
             FP_EPARSE, "baseline.rules[0]", "not both");
        BADX("deb", "\"rules\":[{\"classification\":[\"bugfix\"]}]", FP_EPARSE, "baseline.rules[0]",
             "after_days or until");
        BADX("deb", "\"rules\":[{\"after_days\":1}]", FP_EPARSE, "baseline.rules[0]",
             "classification");
        BADX("deb", "\"rules\":[{\"classification\":[],\"after_days\":1}]", FP_EPARSE,
             "baseline.rules[0].classification", "must not be empty");
        BADX("deb", "\"rules\":[{\"classification\":\"security\",\"after_days\":1}]", FP_EPARSE,
             "baseline.rules[0].classification", "expected an array");
        BADX("deb", "\"rules\":[{\"classification\":[\"security\",\"feature\"],\"after_days\":1}]",
             FP_EPARSE, "baseline.rules[0].classification[1]", "unknown classification");
        BADX("deb", "\"rules\":[{\"classification\":[\"other\",\"other\"],\"after_days\":1}]",
             FP_EPARSE, "baseline.rules[0].classification[1]", "twice");
        BADX("deb", "\"rules\":[{\"classification\":[\"other\",1],\"after_days\":1}]", FP_EPARSE,
             "baseline.rules[0].classification[1]", "expected a string");
        BADX("deb",
             "\"rules\":[{\"classification\":[\"security\"],\"severity\":\"urgent\",\"after_days\":1}"
             "]",
             FP_EPARSE, "baseline.rules[0].severity", "unknown severity");
        BADX("deb",
             "\"rules\":[{\"classification\":[\"security\"],\"severity\":\"none\",\"after_days\":1}]",
             FP_EPARSE, "baseline.rules[0].severity", "unknown severity");
        BADX("deb", "\"rules\":[{\"classification\":[\"security\"],\"after_days\":1,\"kev\":true}]",
             FP_EPARSE, "baseline.rules[0].kev", "unknown member");
        const char *bad_days[] = {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                                  "26-01-01",   "2026-1-01",  "1969-12-31", "2026-01-01T00:00:00Z",
                                  "2026/01/01", "",           "2100-02-29"};
        for (size_t i = 0; i < sizeof(bad_days) / sizeof(bad_days[0]); i++) {
                char extra[200];
                snprintf(extra, sizeof(extra),
                         "\"rules\":[{\"classification\":[\"other\"],\"until\":\"%s\"}]",
                         bad_days[i]);
                BADX("deb", extra, FP_EPARSE, "baseline.rules[0].until", NULL);
        }
        GOODX("deb", "\"rules\":[{\"classification\":[\"other\"],\"until\":\"2000-02-29\"}]");
        GOODX("deb", "\"rules\":[{\"classification\":[\"other\"],\"until\":\"1970-01-01\"}]");
        GOODX("deb", "\"rules\":[{\"classification\":[\"other\"],\"until\":\"9999-12-31\"}]");

        /* list entries */
        BADX("deb", "\"approved\":\"tzdata\"", FP_EPARSE, "baseline.approved", "expected an array");
        BADX("deb", "\"approved\":[\"tzdata\",\"ngin[x]\"]", FP_EPARSE, "baseline.approved[1]",
             "brackets");
        BADX("rpm", "\"approved\":[\"ngin[!x]\"]", FP_EPARSE, "baseline.approved[0]", "brackets");
        BADX("rpm", "\"approved\":[\"a\\\\*\"]", FP_EPARSE, "baseline.approved[0]", "backslash");
        BADX("deb", "\"approved\":[\"Nginx\"]", FP_EPARSE, "baseline.approved[0]",
             "not a Debian package name");
        BADX("deb", "\"approved\":[\".x\"]", FP_EPARSE, "baseline.approved[0]", "starts with");
        BADX("rpm", "\"approved\":[\"-x\"]", FP_EPARSE, "baseline.approved[0]", "start with -");
        BADX("rpm", "\"approved\":[\"a b\"]", FP_EPARSE, "baseline.approved[0]", "RPM package");
        BADX("rpm", "\"approved\":[\"usr/bin\"]", FP_EPARSE, "baseline.approved[0]", "RPM package");
        BADX("deb", "\"approved\":[\"\"]", FP_EPARSE, "baseline.approved[0]", "must not be empty");
        BADX("deb", "\"approved\":[1]", FP_EPARSE, "baseline.approved[0]", "expected a string");
        BADX("deb", "\"approved\":[\"a\\u0001\"]", FP_EPARSE, "baseline.approved[0]",
             "control character");
        BADX("deb", "\"approved\":[\"openssl=\"]", FP_EPARSE, "baseline.approved[0]",
             "empty version");
        BADX("deb", "\"approved\":[\"=1.0\"]", FP_EPARSE, "baseline.approved[0]", "empty name");
        BADX("deb", "\"approved\":[\"open*=1.0\"]", FP_EPARSE, "baseline.approved[0]", "no * or ?");
        BADX("deb", "\"approved\":[\"openssl=1.0 beta\"]", FP_EPARSE, "baseline.approved[0]",
             "blank");
        BADX("deb", "\"approved\":[\"openssl=a:1.0\"]", FP_EPARSE, "baseline.approved[0]",
             "not a Debian version");
        BADX("deb", "\"approved\":[\"openssl=1.0_1\"]", FP_EPARSE, "baseline.approved[0]",
             "not a Debian version");
        BADX("rpm", "\"approved\":[\"kernel=x:5.14-1\"]", FP_EPARSE, "baseline.approved[0]",
             NULL);
        BADX("rpm", "\"approved\":[\"kernel=5.14-\"]", FP_EPARSE, "baseline.approved[0]",
             "empty release");
        BADX("rpm", "\"approved\":[\"kernel=1:\"]", FP_EPARSE, "baseline.approved[0]",
             "empty version");
        BADX("rpm", "\"approved\":[\"kernel=5.14#1\"]", FP_EPARSE, "baseline.approved[0]",
             "bad character");
        /* an RPM EVR that is not a Debian version (and the other way round) */
        GOODX("rpm", "\"approved\":[\"kernel=5.14.0_rc1-1\"]");
        BADX("deb", "\"approved\":[\"kernel=5.14.0_rc1-1\"]", FP_EPARSE, "baseline.approved[0]",
             NULL);
        BADX("deb", "\"approved\":[\"tzdata\",\"x\",\"tzdata\"]", FP_EPARSE, "baseline.approved[2]",
             "also baseline.approved[0]");
        BADX("deb", "\"approved\":[\"x\"],\"rejected\":[\"a*\",\"a[b]\"]", FP_EPARSE,
             "baseline.rejected[1]", "brackets");
        /* the same entry in both lists is allowed (rejected wins) */
        GOODX("deb", "\"approved\":[\"x\"],\"rejected\":[\"x\"]");

        /* selector */
        BADX("deb", "\"approved\":[\"x\"],\"selector\":[]", FP_EPARSE, "baseline.selector",
             "expected an object");
        BADX("deb", "\"approved\":[\"x\"],\"selector\":{\"env\":1}", FP_EPARSE,
             "baseline.selector.env", "expected a string");
        BADX("deb", "\"approved\":[\"x\"],\"selector\":{\"a b\":\"1\"}", FP_EPARSE,
             "baseline.selector.a b", "tag key");
        BADX("deb", "\"approved\":[\"x\"],\"selector\":{\"\":\"1\"}", FP_EPARSE,
             "baseline.selector.", "tag key");

        /* scalars */
        BADX("deb", "\"approved\":[\"x\"],\"rejected_dependency\":\"maybe\"", FP_EPARSE,
             "baseline.rejected_dependency", "block or allow");
        BADX("deb", "\"approved\":[\"x\"],\"rejected_dependency\":true", FP_EPARSE,
             "baseline.rejected_dependency", "expected a string");
        BADX("deb", "\"approved\":[\"x\"],\"compliance_level\":\"severe\"", FP_EPARSE,
             "baseline.compliance_level", "unknown severity");

        /* catch-up */
        BADX("deb", "\"approved\":[\"x\"],\"catchup\":\"immediate\"", FP_EPARSE,
             "baseline.catchup", "expected an object");
        BADX("deb", "\"approved\":[\"x\"],\"catchup\":{}", FP_EPARSE, "baseline.catchup.policy",
             "missing");
        BADX("deb", "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"later\"}", FP_EPARSE,
             "baseline.catchup.policy", "immediate or next-window");
        BADX("deb", "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"immediate\",\"window\":\"w\"}",
             FP_EPARSE, "baseline.catchup.window", "next-window only");
        BADX("deb",
             "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"next-window\",\"window\":\"Sat Night\"}",
             FP_EPARSE, "baseline.catchup.window", NULL);
        BADX("deb",
             "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"immediate\",\"handback_hook\":\"Bad_h\"}",
             FP_EPARSE, "baseline.catchup.handback_hook", "hook name");
        BADX("deb", "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"immediate\",\"when\":1}",
             FP_EPARSE, "baseline.catchup.when", "unknown member");
        GOODX("deb", "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"next-window\"}");
        GOODX("deb", "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"immediate\",\"handback_hook\":"
                     "\"abcdefghijklmnopqrstuvwxyz012345\"}");
        BADX("deb",
             "\"approved\":[\"x\"],\"catchup\":{\"policy\":\"immediate\",\"handback_hook\":"
             "\"abcdefghijklmnopqrstuvwxyz0123456\"}",
             FP_ELIMIT, "baseline.catchup.handback_hook", NULL);

        /* a hostile long key still yields a bounded path */
        char key[300], extra[400];
        memset(key, 'k', sizeof(key) - 1);
        key[sizeof(key) - 1] = '\0';
        snprintf(extra, sizeof(extra), "\"approved\":[\"x\"],\"%s\":1", key);
        char *t = with("deb", extra);
        struct fp_baseline *b;
        struct fp_diag d;
        CHECK_INT_EQ(fp_baseline_parse(t, strlen(t), &b, &d), FP_EPARSE);
        CHECK(strncmp(d.field, "baseline.kkk", 12) == 0 && strlen(d.field) < FP_DIAG_FIELD_MAX);
        free(t);
        /* NULL input, and a NUL inside the text */
        CHECK_INT_EQ(fp_baseline_parse(NULL, 0, &b, &d), FP_EINVAL);
        CHECK_INT_EQ(fp_baseline_parse("{\"a\0\":1}", 8, &b, &d), FP_EPARSE);
        BADX("deb", "\"approved\":[\"a\\u0000b\"]", FP_EPARSE, "baseline", "not JSON");
}

/* A JSON array of n strings "p<i>" + pad to len bytes each (len >= 6). */
static char *entries(size_t n, size_t len, const char *suffix)
{
        size_t cap = n * (len + strlen(suffix) + 4) + 8;
        char *s = malloc(cap), *p = s;
        *p++ = '[';
        for (size_t i = 0; i < n; i++) {
                char head[32];
                int h = snprintf(head, sizeof(head), "p%zu", i);
                p += sprintf(p, "%s\"%s", i ? "," : "", head);
                for (size_t k = (size_t)h; k < len; k++)
                        *p++ = 'x';
                p += sprintf(p, "%s\"", suffix);
        }
        *p++ = ']';
        *p = '\0';
        return s;
}

static void test_limits(void)
{
        /* rules */
        for (int n = FP_BASELINE_MAX_RULES; n <= FP_BASELINE_MAX_RULES + 1; n++) {
                size_t cap = (size_t)n * 64 + 64;
                char *extra = malloc(cap), *p = extra;
                p += sprintf(p, "\"rules\":[");
                for (int i = 0; i < n; i++)
                        p += sprintf(p, "%s{\"classification\":[\"other\"],\"after_days\":%d}",
                                     i ? "," : "", i);
                sprintf(p, "]");
                if (n == FP_BASELINE_MAX_RULES)
                        GOODX("deb", extra);
                else
                        BADX("deb", extra, FP_ELIMIT, "baseline.rules", "limit of 64");
                free(extra);
        }
        /* list entries: count and pattern length */
        for (int list = 0; list < 2; list++) {
                const char *name = list ? "rejected" : "approved";
                char field[64];
                for (size_t n = FP_BASELINE_MAX_ENTRIES; n <= FP_BASELINE_MAX_ENTRIES + 1; n++) {
                        char *arr = entries(n, 8, "");
                        char *extra = malloc(strlen(arr) + 128);
                        sprintf(extra, "\"rules\":[{\"classification\":[\"other\"],\"after_days\":1}],"
                                       "\"%s\":%s",
                                name, arr);
                        snprintf(field, sizeof(field), "baseline.%s", name);
                        if (n == FP_BASELINE_MAX_ENTRIES)
                                GOODX("deb", extra);
                        else
                                BADX("deb", extra, FP_ELIMIT, field, "limit of 4096");
                        free(arr);
                        free(extra);
                }
                for (size_t len = FP_BASELINE_MAX_PATTERN; len <= FP_BASELINE_MAX_PATTERN + 1;
                     len++) {
                        for (int exact = 0; exact < 2; exact++) {
                                char *arr = entries(1, len, exact ? "=1.0" : "");
                                char *extra = malloc(strlen(arr) + 128);
                                sprintf(extra,
                                        "\"rules\":[{\"classification\":[\"other\"],"
                                        "\"after_days\":1}],\"%s\":%s",
                                        name, arr);
                                snprintf(field, sizeof(field), "baseline.%s[0]", name);
                                if (len == FP_BASELINE_MAX_PATTERN)
                                        GOODX("rpm", extra);
                                else
                                        BADX("rpm", extra, FP_ELIMIT, field, "limit of 256");
                                free(arr);
                                free(extra);
                        }
                }
        }
        /* the version of an exact entry */
        for (size_t len = FP_BASELINE_MAX_VERSION; len <= FP_BASELINE_MAX_VERSION + 1; len++) {
                char *extra = malloc(len + 64), *p = extra;
                p += sprintf(p, "\"approved\":[\"x=1");
                for (size_t i = 1; i < len; i++)
                        *p++ = '0';
                sprintf(p, "\"]");
                if (len == FP_BASELINE_MAX_VERSION) {
                        GOODX("deb", extra);
                        GOODX("rpm", extra);
                } else {
                        BADX("deb", extra, FP_ELIMIT, "baseline.approved[0]", "limit of 1024");
                        BADX("rpm", extra, FP_ELIMIT, "baseline.approved[0]", "limit of 1024");
                }
                free(extra);
        }
        /* selector tags, key and value lengths */
        for (int n = FP_BASELINE_MAX_SELECTOR; n <= FP_BASELINE_MAX_SELECTOR + 1; n++) {
                char extra[4096], *p = extra;
                p += sprintf(p, "\"approved\":[\"x\"],\"selector\":{");
                for (int i = 0; i < n; i++)
                        p += sprintf(p, "%s\"k%d\":\"v\"", i ? "," : "", i);
                sprintf(p, "}");
                if (n == FP_BASELINE_MAX_SELECTOR)
                        GOODX("deb", extra);
                else
                        BADX("deb", extra, FP_ELIMIT, "baseline.selector", "limit of 64");
        }
        for (int len = FP_MAX_TAG_KEY; len <= FP_MAX_TAG_KEY + 1; len++) {
                char extra[512];
                int n = sprintf(extra, "\"approved\":[\"x\"],\"selector\":{\"");
                memset(extra + n, 'k', (size_t)len);
                sprintf(extra + n + len, "\":\"v\"}");
                if (len == FP_MAX_TAG_KEY)
                        GOODX("deb", extra);
                else
                        /* the path is cut to the diag's field size */
                        BADX("deb", extra, FP_EPARSE,
                             "baseline.selector.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
                             "tag key");
        }
        for (int len = FP_MAX_TAG_VALUE; len <= FP_MAX_TAG_VALUE + 1; len++) {
                char extra[512];
                int n = sprintf(extra, "\"approved\":[\"x\"],\"selector\":{\"k\":\"");
                memset(extra + n, 'v', (size_t)len);
                sprintf(extra + n + len, "\"}");
                if (len == FP_MAX_TAG_VALUE)
                        GOODX("deb", extra);
                else
                        BADX("deb", extra, FP_ELIMIT, "baseline.selector.k", "limit of 255");
        }
        /* names */
        for (int len = FP_BASELINE_MAX_IDENT; len <= FP_BASELINE_MAX_IDENT + 1; len++) {
                char text[256];
                int n = sprintf(text, "{\"approved\":[\"x\"],\"family\":\"deb\",\"account\":\"a\","
                                      "\"name\":\"");
                memset(text + n, 'n', (size_t)len);
                sprintf(text + n + len, "\"}");
                if (len == FP_BASELINE_MAX_IDENT)
                        GOOD(text);
                else
                        BAD(text, FP_ELIMIT, "baseline.name", NULL);
        }
        /* the whole text */
        {
                size_t len = (size_t)FP_BASELINE_MAX_JSON + 1;
                char *big = malloc(len);
                memset(big, ' ', len);
                const char *core = "{\"name\":\"b\",\"account\":\"a\",\"family\":\"deb\","
                                   "\"approved\":[\"x\"]}";
                memcpy(big, core, strlen(core));
                bad_at(__LINE__, big, len, FP_ELIMIT, "baseline", "limit");
                struct fp_baseline *b = NULL;
                CHECK_INT_EQ(fp_baseline_parse(big, len - 1, &b, NULL), FP_OK);
                fp_baseline_free(b);
                free(big);
        }
}

static void test_selects(void)
{
        struct fp_baseline *any = NULL, *one = NULL, *two = NULL;
        const char *t0 = "{\"name\":\"any\",\"account\":\"a\",\"family\":\"deb\","
                         "\"approved\":[\"x\"]}";
        CHECK_INT_EQ(fp_baseline_parse(t0, strlen(t0), &any, NULL), FP_OK);
        const char *t1 = "{\"name\":\"one\",\"account\":\"a\",\"family\":\"deb\","
                         "\"approved\":[\"x\"],\"selector\":{\"env\":\"prod\"}}";
        const char *t2 = "{\"name\":\"two\",\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"]"
                         ",\"selector\":{\"role\":\"web\",\"env\":\"prod\"}}";
        CHECK_INT_EQ(fp_baseline_parse(t1, strlen(t1), &one, NULL), FP_OK);
        CHECK_INT_EQ(fp_baseline_parse(t2, strlen(t2), &two, NULL), FP_OK);
        if (!any || !one || !two)
                goto out;
        const char *host = "{\"env\":\"prod\",\"role\":\"web\",\"zone\":\"a\"}";
        CHECK_INT_EQ(fp_baseline_selects(any, host), 0);
        CHECK_INT_EQ(fp_baseline_selects(one, host), 1);
        CHECK_INT_EQ(fp_baseline_selects(two, host), 2);
        CHECK_INT_EQ(fp_baseline_selects(two, "{\"env\":\"prod\",\"role\":\"db\"}"), -1);
        CHECK_INT_EQ(fp_baseline_selects(two, "{\"env\":\"prod\"}"), -1);
        CHECK_INT_EQ(fp_baseline_selects(one, "{\"env\":\"Prod\"}"), -1);
        CHECK_INT_EQ(fp_baseline_selects(one, "{\"env\":1}"), -1);
        CHECK_INT_EQ(fp_baseline_selects(one, "{}"), -1);
        CHECK_INT_EQ(fp_baseline_selects(one, "not json"), -1);
        CHECK_INT_EQ(fp_baseline_selects(one, "[\"env\"]"), -1);
        CHECK_INT_EQ(fp_baseline_selects(one, NULL), -1);
        CHECK_INT_EQ(fp_baseline_selects(any, NULL), 0);
        CHECK_INT_EQ(fp_baseline_selects(any, "garbage"), 0);
        /* an empty value must be present and empty */
        const char *t3 = "{\"name\":\"e\",\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"],"
                         "\"selector\":{\"note\":\"\"}}";
        struct fp_baseline *e = NULL;
        CHECK_INT_EQ(fp_baseline_parse(t3, strlen(t3), &e, NULL), FP_OK);
        if (e) {
                CHECK_INT_EQ(fp_baseline_selects(e, "{\"note\":\"\"}"), 1);
                CHECK_INT_EQ(fp_baseline_selects(e, "{}"), -1);
                fp_baseline_free(e);
        }
out:
        fp_baseline_free(any);
        fp_baseline_free(one);
        fp_baseline_free(two);
}

static void test_blocked(void)
{
        struct fp_baseline *b = parse_ok(
            "{\"name\":\"b\",\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"],\"rejected\":"
            "[\"nginx*\",\"openssl=3.0.15-1\",\"lib?ssl\"]}");
        const char *const *p;
        if (b) {
                CHECK(fp_baseline_blocks_dependencies(b));
                CHECK_INT_EQ(fp_baseline_blocked(b, &p), 2);
                CHECK_STR_EQ(p[0], "nginx*");
                CHECK_STR_EQ(p[1], "lib?ssl");
                fp_baseline_free(b);
        }
        b = parse_ok("{\"name\":\"b\",\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"],"
                     "\"rejected\":[\"nginx*\"],\"rejected_dependency\":\"allow\"}");
        if (b) {
                CHECK(!fp_baseline_blocks_dependencies(b));
                CHECK_INT_EQ(fp_baseline_blocked(b, &p), 0);
                fp_baseline_free(b);
        }
        b = parse_ok("{\"name\":\"b\",\"account\":\"a\",\"family\":\"deb\",\"approved\":[\"x\"]}");
        if (b) {
                CHECK_INT_EQ(fp_baseline_blocked(b, &p), 0);
                fp_baseline_free(b);
        }
}

/* ---- evaluation ---------------------------------------------------------------------------- */

static struct fp_update_facts facts(const char *name, const char *cand, enum fp_update_class c,
                                    int sev, int64_t released)
{
        return (struct fp_update_facts){.name = name,
                                        .arch = "amd64",
                                        .installed = "0.1",
                                        .candidate = cand,
                                        .cls = c,
                                        .severity = sev,
                                        .released = released};
}

/* evaluate and return the explanation (static buffer) */
static const char *why(const struct fp_baseline *b, const struct fp_update_facts *u, int64_t now,
                       bool *approved)
{
        static char text[8192];
        struct fp_buf ex;
        fp_buf_init(&ex, 1 << 20);
        *approved = fp_baseline_evaluate(b, u, now, &ex);
        /* the verdict never depends on the explanation */
        CHECK_INT_EQ(fp_baseline_evaluate(b, u, now, NULL), *approved);
        snprintf(text, sizeof(text), "%s", fp_buf_str(&ex));
        fp_buf_release(&ex);
        return text;
}

#define HAS(text, s) CHECK_MSG(strstr(text, s) != NULL, "explanation lacks \"%s\":\n%s", s, text)

static void test_doc_evaluation(void)
{
        struct fp_baseline *b = parse_ok(doc_example);
        if (!b)
                return;
        bool ok;
        const char *t;

        /* a medium security fix released 2026-11-10: rule 1 wants high, rule 2 after 7 days */
        struct fp_update_facts u = facts("curl", "7.88.1-10+deb12u8", FP_UPD_SECURITY, FP_SEV_MEDIUM,
                                         NOV10);
        t = why(b, &u, NOV10 + 7 * DAY, &ok);
        CHECK(ok);
        CHECK_STR_EQ(t, "rejected 'nginx*': no match\n"
                        "approved 'openssl=3.0.15-1~deb12u1': no match\n"
                        "approved 'tzdata': no match\n"
                        "rule 1 (security; severity >= high; 0 days after release): severity "
                        "medium < high -> no\n"
                        "rule 2 (security,bugfix; 7 days after release): released 2026-11-10, "
                        "approvable from 2026-11-17 -> approves\n"
                        "rule 3 (other; released until 2026-12-31): class security not in the "
                        "rule's classification -> no\n"
                        "=> approved (by rule 2)\n");
        /* one second earlier: not yet */
        t = why(b, &u, NOV10 + 7 * DAY - 1, &ok);
        CHECK(!ok);
        HAS(t, "approvable from 2026-11-17 -> not yet\n");
        CHECK(strstr(t, "=> not approved\n") != NULL);

        /* high: rule 1 approves at once (and rule 2 says not yet) */
        u.severity = FP_SEV_HIGH;
        t = why(b, &u, NOV10, &ok);
        CHECK(ok);
        HAS(t, "rule 1 (security; severity >= high; 0 days after release): severity high >= high, "
               "released 2026-11-10, approvable from 2026-11-10 -> approves\n");
        HAS(t, "=> approved (by rule 1)\n");
        /* not before its release */
        t = why(b, &u, NOV10 - 1, &ok);
        CHECK(!ok);
        u.severity = FP_SEV_CRITICAL;
        CHECK(fp_baseline_evaluate(b, &u, NOV10, NULL));

        /* the exact approved entry, and another version of it */
        u = facts("openssl", "3.0.15-1~deb12u1", FP_UPD_OTHER, FP_BASELINE_SEV_NONE, 0);
        t = why(b, &u, NOV10, &ok);
        CHECK(ok);
        HAS(t, "approved 'openssl=3.0.15-1~deb12u1': matches exactly -> approved\n");
        HAS(t, "=> approved (by approved 'openssl=3.0.15-1~deb12u1')\n");
        HAS(t, "release date unknown");
        u.candidate = "0:3.0.15-1~deb12u1"; /* the same version for dpkg */
        CHECK(fp_baseline_evaluate(b, &u, NOV10, NULL));
        u.candidate = "3.0.15-1~deb12u2";
        t = why(b, &u, NOV10, &ok);
        CHECK(!ok);
        HAS(t, "approved 'openssl=3.0.15-1~deb12u1': candidate 3.0.15-1~deb12u2 is another version "
               "-> no\n");
        u.candidate = NULL;
        t = why(b, &u, NOV10, &ok);
        CHECK(!ok);
        HAS(t, "no candidate version");

        /* rejected beats approved and rules */
        u = facts("nginx-core", "1.22.1-9+deb12u1", FP_UPD_SECURITY, FP_SEV_CRITICAL, NOV10);
        t = why(b, &u, NOV10 + 30 * DAY, &ok);
        CHECK(!ok);
        HAS(t, "rejected 'nginx*': matches -> rejected\n");
        HAS(t, "-> approves\n"); /* the rules would have */
        HAS(t, "=> not approved (rejected 'nginx*')\n");

        /* approved beats rules that do not approve */
        u = facts("tzdata", "2025b-0+deb12u1", FP_UPD_OTHER, FP_BASELINE_SEV_NONE, 0);
        t = why(b, &u, NOV10, &ok);
        CHECK(ok);
        HAS(t, "approved 'tzdata': matches -> approved\n");
        HAS(t, "=> approved (by approved 'tzdata')\n");

        /* until: the whole UTC day counts */
        int64_t dec31 = NOV10 + 51 * DAY;
        u = facts("grafana", "11.3.1", FP_UPD_OTHER, FP_BASELINE_SEV_NONE, dec31 + DAY - 1);
        t = why(b, &u, dec31 + 400 * DAY, &ok);
        CHECK(ok);
        HAS(t, "rule 3 (other; released until 2026-12-31): released 2026-12-31T23:59:59Z, until "
               "2026-12-31 -> approves\n");
        u.released = dec31 + DAY;
        t = why(b, &u, dec31 + 2 * DAY, &ok);
        CHECK(!ok);
        HAS(t, "released 2027-01-01, after 2026-12-31 -> no\n");
        u.released = dec31;
        CHECK(fp_baseline_evaluate(b, &u, 0, NULL)); /* until does not look at now */

        /* release date unknown: no rule approves */
        u = facts("curl", "7.88.1-10+deb12u8", FP_UPD_SECURITY, FP_SEV_CRITICAL, 0);
        t = why(b, &u, NOV10 + 1000 * DAY, &ok);
        CHECK(!ok);
        HAS(t, "rule 1 (security; severity >= high; 0 days after release): severity critical >= "
               "high, release date unknown, so no age rule can approve -> no\n");
        HAS(t, "=> not approved\n");
        fp_baseline_free(b);
}

static void test_age_and_severity(void)
{
        struct fp_baseline *b = parse_ok(
            "{\"name\":\"b\",\"account\":\"a\",\"family\":\"rpm\",\"rules\":["
            "{\"classification\":[\"bugfix\"],\"after_days\":1},"
            "{\"classification\":[\"security\"],\"severity\":\"unspecified\",\"after_days\":0},"
            "{\"classification\":[\"other\"],\"severity\":\"low\",\"after_days\":3650}]}");
        if (!b)
                return;
        bool ok;
        const char *t;
        /* after_days 1 at a time of day other than midnight */
        int64_t rel = NOV10 + 13 * 3600 + 5 * 60;
        struct fp_update_facts u = facts("bash", "5.1.8-9.el9", FP_UPD_BUGFIX, FP_BASELINE_SEV_NONE,
                                         rel);
        t = why(b, &u, rel + DAY - 1, &ok);
        CHECK(!ok);
        HAS(t, "rule 1 (bugfix; 1 day after release): released 2026-11-10T13:05:00Z, approvable "
               "from 2026-11-11T13:05:00Z -> not yet\n");
        CHECK(fp_baseline_evaluate(b, &u, rel + DAY, NULL));
        CHECK(fp_baseline_evaluate(b, &u, INT64_MAX, NULL));

        /* "unspecified" minimum: fixes some finding; none fixes nothing */
        u = facts("openssl", "1:3.0.7-27.el9", FP_UPD_SECURITY, FP_BASELINE_SEV_NONE, NOV10);
        t = why(b, &u, NOV10, &ok);
        CHECK(!ok);
        HAS(t, "severity none < unspecified -> no\n");
        u.severity = FP_SEV_UNKNOWN;
        CHECK(fp_baseline_evaluate(b, &u, NOV10, NULL));
        u.severity = FP_SEV_NEGLIGIBLE;
        CHECK(fp_baseline_evaluate(b, &u, NOV10, NULL));

        /* low minimum on other: each level */
        const int levels[] = {FP_BASELINE_SEV_NONE, FP_SEV_UNKNOWN, FP_SEV_NEGLIGIBLE, FP_SEV_LOW,
                              FP_SEV_MEDIUM,        FP_SEV_HIGH,    FP_SEV_CRITICAL};
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
                u = facts("docker-ce", "27.3.1-1.el9", FP_UPD_OTHER, levels[i], NOV10);
                bool want = levels[i] >= FP_SEV_LOW;
                CHECK_INT_EQ(fp_baseline_evaluate(b, &u, NOV10 + 3650 * DAY, NULL), want);
                CHECK(!fp_baseline_evaluate(b, &u, NOV10 + 3650 * DAY - 1, NULL));
        }
        /* a release date so late that adding the days overflows: never approvable */
        u = facts("docker-ce", "27.3.1-1.el9", FP_UPD_OTHER, FP_SEV_HIGH, INT64_MAX - 10);
        t = why(b, &u, INT64_MAX, &ok);
        CHECK(!ok);
        HAS(t, "end of time");
        /* out-of-range class and severity values do not crash */
        u = facts("x", "1-1", (enum fp_update_class)9, 99, NOV10);
        t = why(b, &u, NOV10, &ok);
        CHECK(!ok);
        HAS(t, "class ? not in");
        /* a release before 1970 still prints */
        u = facts("bash", "1-1", FP_UPD_BUGFIX, FP_BASELINE_SEV_NONE, -DAY - 1);
        t = why(b, &u, 0, &ok);
        CHECK(ok);
        HAS(t, "released 1969-12-30T23:59:59Z");
        fp_baseline_free(b);

        /* exact rpm entries compare as EVRs: a missing epoch is 0 */
        b = parse_ok("{\"name\":\"b\",\"account\":\"a\",\"family\":\"rpm\",\"approved\":["
                     "\"kernel=5.14.0-427.el9\"],\"rejected\":[\"kernel=0:5.14.0-428.el9\"]}");
        if (b) {
                u = facts("kernel", "0:5.14.0-427.el9", FP_UPD_SECURITY, FP_SEV_HIGH, 0);
                CHECK(fp_baseline_evaluate(b, &u, NOV10, NULL));
                u.candidate = "5.14.0-428.el9";
                t = why(b, &u, NOV10, &ok);
                CHECK(!ok);
                HAS(t, "rejected 'kernel=0:5.14.0-428.el9': matches exactly -> rejected\n");
                u.name = "kernel-core";
                u.candidate = "5.14.0-427.el9";
                CHECK(!fp_baseline_evaluate(b, &u, NOV10, NULL));
                fp_baseline_free(b);
        }
        /* patterns: * and ?, no FNM_PERIOD, whole name */
        b = parse_ok("{\"name\":\"b\",\"account\":\"a\",\"family\":\"deb\",\"approved\":["
                     "\"lib*\",\"?ython3\",\"*.d\"]}");
        if (b) {
                const char *yes[] = {"libssl3", "lib", "python3", "jython3", ".d", "conf.d"};
                const char *no[] = {"xlibssl", "ython3", "python3.11", "a.dx"};
                for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                        u = facts(yes[i], "1", FP_UPD_OTHER, FP_BASELINE_SEV_NONE, 0);
                        CHECK_MSG(fp_baseline_evaluate(b, &u, 0, NULL), "%s", yes[i]);
                }
                for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
                        u = facts(no[i], "1", FP_UPD_OTHER, FP_BASELINE_SEV_NONE, 0);
                        CHECK_MSG(!fp_baseline_evaluate(b, &u, 0, NULL), "%s", no[i]);
                }
                u = facts(NULL, NULL, FP_UPD_OTHER, FP_BASELINE_SEV_NONE, 0);
                CHECK(!fp_baseline_evaluate(b, &u, 0, NULL));
                fp_baseline_free(b);
        }
        /* rules in order: the first that approves is named */
        b = parse_ok("{\"name\":\"b\",\"account\":\"a\",\"family\":\"deb\",\"rules\":["
                     "{\"classification\":[\"security\"],\"after_days\":30},"
                     "{\"classification\":[\"security\"],\"after_days\":2},"
                     "{\"classification\":[\"security\"],\"after_days\":1}]}");
        if (b) {
                u = facts("a", "1", FP_UPD_SECURITY, FP_SEV_LOW, NOV10);
                t = why(b, &u, NOV10 + 5 * DAY, &ok);
                CHECK(ok);
                HAS(t, "=> approved (by rule 2)\n");
                fp_baseline_free(b);
        }
}

static void test_explain_limit(void)
{
        /* an explanation buffer that fills up does not change the verdict */
        struct fp_baseline *b = parse_ok(doc_example);
        if (!b)
                return;
        struct fp_update_facts u = facts("tzdata", "2025b-0+deb12u1", FP_UPD_OTHER,
                                         FP_BASELINE_SEV_NONE, 0);
        struct fp_buf ex;
        fp_buf_init(&ex, 40);
        CHECK(fp_baseline_evaluate(b, &u, NOV10, &ex));
        CHECK(ex.len <= 40);
        fp_buf_release(&ex);
        fp_baseline_free(b);
}

static void test_classify(void)
{
        struct {
                const char *family, *origin;
                bool sec, finding;
                enum fp_update_class want;
        } cases[] = {
            {"deb", "Debian", false, false, FP_UPD_BUGFIX},
            {"deb", "debian", false, false, FP_UPD_BUGFIX},
            {"deb", "Debian-Security", false, false, FP_UPD_BUGFIX},
            {"deb", "Debian-Security", true, false, FP_UPD_SECURITY},
            {"deb", "Debian Backports", false, false, FP_UPD_BUGFIX},
            {"deb", "Ubuntu", false, false, FP_UPD_BUGFIX},
            {"deb", "UbuntuESMApps", false, false, FP_UPD_BUGFIX},
            {"deb", "nginx", false, false, FP_UPD_OTHER},
            {"deb", "Debian-ish", false, false, FP_UPD_OTHER},
            {"deb", "nginx", false, true, FP_UPD_SECURITY},
            {"deb", "", false, false, FP_UPD_OTHER},
            {"deb", NULL, false, false, FP_UPD_OTHER},
            {"deb", "baseos", false, false, FP_UPD_OTHER},
            {"rpm", "baseos", false, false, FP_UPD_BUGFIX},
            {"rpm", "AppStream", false, false, FP_UPD_BUGFIX},
            {"rpm", "updates", false, false, FP_UPD_BUGFIX},
            {"rpm", "updates-testing", false, false, FP_UPD_OTHER},
            {"rpm", "rhel-9-for-x86_64-baseos-rpms", false, false, FP_UPD_BUGFIX},
            {"rpm", "ol9_baseos_latest", false, false, FP_UPD_BUGFIX},
            {"rpm", "amzn2-core", false, false, FP_UPD_BUGFIX},
            {"rpm", "amazonlinux", false, false, FP_UPD_BUGFIX},
            {"rpm", "epel", false, false, FP_UPD_OTHER},
            {"rpm", "docker-ce-stable", false, false, FP_UPD_OTHER},
            {"rpm", "old-stuff", false, false, FP_UPD_OTHER},
            {"rpm", "Debian", false, false, FP_UPD_OTHER},
            {"rpm", "epel", true, false, FP_UPD_SECURITY},
            {"rpm", NULL, false, true, FP_UPD_SECURITY},
            {NULL, "Debian", false, false, FP_UPD_OTHER},
            {"apk", "baseos", false, false, FP_UPD_OTHER},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                CHECK_MSG(fp_update_classify(cases[i].family, cases[i].origin, cases[i].sec,
                                             cases[i].finding) == cases[i].want,
                          "case %zu (%s, %s)", i, cases[i].family ? cases[i].family : "NULL",
                          cases[i].origin ? cases[i].origin : "NULL");
}

int main(void)
{
        test_doc_example();
        test_canonical();
        test_shapes();
        test_limits();
        test_selects();
        test_blocked();
        test_doc_evaluation();
        test_age_and_severity();
        test_explain_limit();
        test_classify();
        printf("%lu checks, %lu failures\n", fp_test_checks, fp_test_failures);
        return fp_test_failures ? 1 : 0;
}
