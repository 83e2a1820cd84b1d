/*
 * Job params as the server queues and the agent receives them (fleetpatch/jobwire.h): every
 * type's defaults, build -> parse gives the same object, every limit holds at its value and
 * refuses one past it, and every malformed shape is refused with the JSON path of the bad
 * value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/jobwire.h"
#include "fleetpatch/limits.h"
#include "test.h"

static json_t *parse(const char *text)
{
        json_error_t e;
        json_t *v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        if (!v)
                fprintf(stderr, "test JSON: %s: %s\n", text, e.text);
        return v;
}

/* Parse params given as text; the error code, and the field into field. */
static enum fp_err params_text(enum fp_job_type t, const char *family, const char *text,
                               char *field, size_t fieldsz)
{
        struct fp_job_params p;
        struct fp_diag d;
        fp_diag_clear(&d);
        json_t *v = text ? parse(text) : NULL;
        enum fp_err err = fp_job_params_parse(t, v, family, &p, &d);
        snprintf(field, fieldsz, "%s", err == FP_OK ? "" : d.field);
        if (err != FP_OK && d.msg[0] == '\0')
                fprintf(stderr, "no message for %s\n", text);
        if (err == FP_OK) {
                /* canonical form round-trips */
                json_t *b = fp_job_params_build(&p);
                struct fp_job_params q;
                CHECK(b != NULL);
                CHECK_INT_EQ(fp_job_params_parse(t, b, family, &q, &d), FP_OK);
                json_t *b2 = fp_job_params_build(&q);
                CHECK(b2 && json_equal(b, b2));
                json_decref(b2);
                json_decref(b);
                fp_job_params_release(&q);
        }
        fp_job_params_release(&p);
        json_decref(v);
        return err;
}

#define BAD(t, fam, text, code, path)                                                              \
        do {                                                                                       \
                char f_[FP_DIAG_FIELD_MAX];                                                        \
                CHECK_INT_EQ(params_text(t, fam, text, f_, sizeof(f_)), code);                     \
                CHECK_STR_EQ(f_, path);                                                            \
        } while (0)
#define GOOD(t, fam, text)                                                                         \
        do {                                                                                       \
                char f_[FP_DIAG_FIELD_MAX];                                                        \
                enum fp_err e_ = params_text(t, fam, text, f_, sizeof(f_));                        \
                CHECK_MSG(e_ == FP_OK, "%s refused at %s", text, f_);                              \
        } while (0)

static void test_types(void)
{
        enum fp_job_type t;
        const char *names[] = {"scan", "install", "upgrade-approved", "rollback", "reboot", "hook"};
        for (size_t i = 0; i < 6; i++) {
                CHECK(fp_job_type_parse(names[i], &t));
                CHECK_INT_EQ(t, i);
                CHECK_STR_EQ(fp_job_type_name(t), names[i]);
        }
        CHECK(fp_job_type_parse("rescan", &t) && t == FP_JOBT_SCAN);
        CHECK(!fp_job_type_parse("Install", &t));
        CHECK(!fp_job_type_parse("shell", &t));
        CHECK(!fp_job_type_parse("", &t));
        CHECK(!fp_job_type_parse(NULL, &t));
        CHECK_STR_EQ(fp_reboot_policy_name(FP_REBOOT_IF_NEEDED), "if-needed");
}

static void test_defaults(void)
{
        struct fp_job_params p;
        struct fp_diag d;

        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_SCAN, NULL, NULL, &p, &d), FP_OK);
        CHECK(p.refresh && p.type == FP_JOBT_SCAN);
        fp_job_params_release(&p);
        json_t *v = parse("{\"refresh\": false}");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_SCAN, v, "deb", &p, &d), FP_OK);
        CHECK(!p.refresh);
        fp_job_params_release(&p);
        json_decref(v);

        v = parse("{\"packages\": [{\"name\": \"openssl\", \"version\": \"3.0.15-1~deb12u1\", "
                  "\"arch\": \"amd64\"}, {\"name\": \"hello-fp\", \"version\": \"1.1\"}]}");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_INSTALL, v, "deb", &p, &d), FP_OK);
        CHECK_INT_EQ(p.pkg_count, 2);
        CHECK_STR_EQ(p.pkgs[0].name, "openssl");
        CHECK_STR_EQ(p.pkgs[0].version, "3.0.15-1~deb12u1");
        CHECK_STR_EQ(p.pkgs[0].arch, "amd64");
        CHECK(p.pkgs[1].arch == NULL);
        CHECK(!p.allow_remove && !p.allow_downgrade && !p.simulate);
        CHECK_INT_EQ(p.reboot, FP_REBOOT_NEVER);
        json_t *b = fp_job_params_build(&p);
        json_t *want = parse("{\"packages\": [{\"name\": \"openssl\", \"version\": "
                             "\"3.0.15-1~deb12u1\", \"arch\": \"amd64\"}, {\"name\": \"hello-fp\", "
                             "\"version\": \"1.1\"}], \"allow_remove\": false, "
                             "\"allow_downgrade\": false, \"simulate\": false, \"reboot\": "
                             "\"never\"}");
        CHECK(json_equal(b, want));
        json_decref(want);
        json_decref(b);
        fp_job_params_release(&p);
        json_decref(v);

        v = parse("{\"job\": \"0123456789abcdef\", \"simulate\": true, \"reboot\": \"if-needed\"}");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_ROLLBACK, v, "rpm", &p, &d), FP_OK);
        CHECK_STR_EQ(p.rollback_job, "0123456789abcdef");
        CHECK(p.simulate && p.pkg_count == 0 && p.reboot == FP_REBOOT_IF_NEEDED);
        fp_job_params_release(&p);
        json_decref(v);

        v = parse("{\"force\": true}");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_REBOOT, v, NULL, &p, &d), FP_OK);
        CHECK(p.force);
        fp_job_params_release(&p);
        json_decref(v);

        v = parse("{\"name\": \"health-check\"}");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_HOOK, v, NULL, &p, &d), FP_OK);
        CHECK_STR_EQ(p.hook, "health-check");
        fp_job_params_release(&p);
        json_decref(v);

        /* release of a refused parse is safe */
        v = parse("[]");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_SCAN, v, NULL, &p, &d), FP_EPARSE);
        CHECK_STR_EQ(d.field, "params");
        fp_job_params_release(&p);
        json_decref(v);
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_SCAN, NULL, "apk", &p, &d), FP_EINVAL);
        fp_job_params_release(&p);
}

static void test_shapes(void)
{
        GOOD(FP_JOBT_SCAN, NULL, "{}");
        GOOD(FP_JOBT_SCAN, NULL, "null");
        GOOD(FP_JOBT_REBOOT, NULL, "{}");
        BAD(FP_JOBT_SCAN, NULL, "{\"refresh\": 1}", FP_EPARSE, "params.refresh");
        BAD(FP_JOBT_SCAN, NULL, "{\"packages\": []}", FP_EPARSE, "params.packages");
        BAD(FP_JOBT_SCAN, NULL, "{\"command\": \"rm -rf /\"}", FP_EPARSE, "params.command");
        BAD(FP_JOBT_SCAN, NULL, "\"x\"", FP_EPARSE, "params");
        BAD(FP_JOBT_REBOOT, NULL, "{\"force\": \"yes\"}", FP_EPARSE, "params.force");
        BAD(FP_JOBT_REBOOT, NULL, "{\"simulate\": true}", FP_EPARSE, "params.simulate");

        BAD(FP_JOBT_INSTALL, "deb", "{}", FP_EPARSE, "params.packages");
        BAD(FP_JOBT_INSTALL, "deb", NULL, FP_EPARSE, "params.packages");
        BAD(FP_JOBT_UPGRADE_APPROVED, "deb", "{\"packages\": []}", FP_EPARSE, "params.packages");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": {}}", FP_EPARSE, "params.packages");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [\"openssl\"]}", FP_EPARSE,
            "params.packages[0]");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [{\"name\": \"a\"}]}", FP_EPARSE,
            "params.packages[0]");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [{\"version\": \"1\"}]}", FP_EPARSE,
            "params.packages[0]");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\"}, {\"name\": \"b\", "
            "\"version\": \"1\", \"arch\": \"\"}]}",
            FP_EPARSE, "params.packages[1].arch");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\", \"arch\": \"am d64\"}]}",
            FP_EPARSE, "params.packages[0].arch");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\", \"epoch\": \"1\"}]}", FP_EPARSE,
            "params.packages[0].epoch");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [{\"name\": \"a\", \"version\": 1}]}",
            FP_EPARSE, "params.packages[0].version");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\"}], \"reboot\": \"now\"}",
            FP_EPARSE, "params.reboot");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\"}], \"simulate\": null}",
            FP_EPARSE, "params.simulate");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\"}], \"job\": "
            "\"0123456789abcdef\"}",
            FP_EPARSE, "params.job");
        GOOD(FP_JOBT_INSTALL, "deb",
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1\"}], \"allow_remove\": true, "
             "\"allow_downgrade\": true, \"simulate\": true, \"reboot\": \"always\"}");

        /* names of the family */
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [{\"name\": \"OpenSSL\", \"version\": \"1\"}]}",
            FP_EPARSE, "params.packages[0].name");
        GOOD(FP_JOBT_INSTALL, "rpm",
             "{\"packages\": [{\"name\": \"OpenSSL\", \"version\": \"1\"}]}");
        GOOD(FP_JOBT_INSTALL, NULL,
             "{\"packages\": [{\"name\": \"OpenSSL\", \"version\": \"1\"}]}");
        BAD(FP_JOBT_INSTALL, "rpm", "{\"packages\": [{\"name\": \"-rf\", \"version\": \"1\"}]}",
            FP_EPARSE, "params.packages[0].name");
        BAD(FP_JOBT_INSTALL, "rpm", "{\"packages\": [{\"name\": \"a/b\", \"version\": \"1\"}]}",
            FP_EPARSE, "params.packages[0].name");
        BAD(FP_JOBT_INSTALL, "rpm", "{\"packages\": [{\"name\": \"a b\", \"version\": \"1\"}]}",
            FP_EPARSE, "params.packages[0].name");
        BAD(FP_JOBT_INSTALL, "rpm",
            "{\"packages\": [{\"name\": \"a\\u0000b\", \"version\": \"1\"}]}", FP_EPARSE,
            "params.packages[0].name");
        BAD(FP_JOBT_INSTALL, NULL, "{\"packages\": [{\"name\": \"\", \"version\": \"1\"}]}",
            FP_EPARSE, "params.packages[0].name");
        BAD(FP_JOBT_INSTALL, NULL,
            "{\"packages\": [{\"name\": \"caf\\u00e9\", \"version\": \"1\"}]}", FP_EPARSE,
            "params.packages[0].name");
        CHECK(fp_job_pkg_name_ok("deb", "g++"));
        CHECK(fp_job_pkg_name_ok("deb", "x"));
        CHECK(!fp_job_pkg_name_ok("deb", "-x"));
        CHECK(!fp_job_pkg_name_ok("deb", "a_b"));
        CHECK(fp_job_pkg_name_ok("rpm", "perl(Foo::Bar)"));
        CHECK(!fp_job_pkg_name_ok("rpm", NULL));

        /* versions of the family */
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1:2:3-x-\"}]}", FP_EPARSE,
            "params.packages[0].version");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [{\"name\": \"a\", \"version\": \"-1\"}]}",
            FP_EPARSE, "params.packages[0].version");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [{\"name\": \"a\", \"version\": \" 1.0\"}]}",
            FP_EPARSE, "params.packages[0].version");
        BAD(FP_JOBT_INSTALL, "deb", "{\"packages\": [{\"name\": \"a\", \"version\": \"1.0\\n\"}]}",
            FP_EPARSE, "params.packages[0].version");
        GOOD(FP_JOBT_INSTALL, "deb",
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1:2.0~rc1+dfsg-1~deb12u1\"}]}");
        /* '~' and ':' fine for both; a '!' is neither */
        GOOD(FP_JOBT_INSTALL, "rpm",
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1:2.0-1.el9\"}]}");
        BAD(FP_JOBT_INSTALL, "rpm", "{\"packages\": [{\"name\": \"a\", \"version\": \"x:2.0-1\"}]}",
            FP_EPARSE, "params.packages[0].version");
        BAD(FP_JOBT_INSTALL, "rpm", "{\"packages\": [{\"name\": \"a\", \"version\": \"2.0-\"}]}",
            FP_EPARSE, "params.packages[0].version");
        BAD(FP_JOBT_INSTALL, "rpm", "{\"packages\": [{\"name\": \"a\", \"version\": \"2!0\"}]}",
            FP_EPARSE, "params.packages[0].version");
        BAD(FP_JOBT_INSTALL, NULL, "{\"packages\": [{\"name\": \"a\", \"version\": \"2!0\"}]}",
            FP_EPARSE, "params.packages[0].version");
        /* "1.0-a-b": Debian (last '-' splits), not RPM (release "a-b"): valid in either */
        GOOD(FP_JOBT_INSTALL, NULL,
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1.0-a-b\"}]}");
        GOOD(FP_JOBT_INSTALL, "deb",
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1.0-a-b\"}]}");
        BAD(FP_JOBT_INSTALL, "rpm", "{\"packages\": [{\"name\": \"a\", \"version\": \"1.0-a-b\"}]}",
            FP_EPARSE, "params.packages[0].version");
        /* "1.0^git1": RPM only */
        GOOD(FP_JOBT_INSTALL, NULL,
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1.0^git1\"}]}");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1.0^git1\"}]}", FP_EPARSE,
            "params.packages[0].version");

        /* duplicates: same name and arch, or one without an arch */
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\"}, {\"name\": \"b\", \"version\": "
            "\"1\"}, {\"name\": \"a\", \"version\": \"2\"}]}",
            FP_EPARSE, "params.packages[2]");
        BAD(FP_JOBT_INSTALL, "deb",
            "{\"packages\": [{\"name\": \"a\", \"version\": \"1\", \"arch\": \"amd64\"}, "
            "{\"name\": \"a\", \"version\": \"1\"}]}",
            FP_EPARSE, "params.packages[1]");
        GOOD(FP_JOBT_INSTALL, "deb",
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1\", \"arch\": \"amd64\"}, "
             "{\"name\": \"a\", \"version\": \"1\", \"arch\": \"i386\"}]}");

        /* rollback: job xor packages */
        BAD(FP_JOBT_ROLLBACK, NULL, "{}", FP_EPARSE, "params.job");
        BAD(FP_JOBT_ROLLBACK, NULL, "{\"simulate\": true}", FP_EPARSE, "params.job");
        BAD(FP_JOBT_ROLLBACK, NULL,
            "{\"job\": \"0123456789abcdef\", \"packages\": [{\"name\": \"a\", \"version\": "
            "\"1\"}]}",
            FP_EPARSE, "params.packages");
        BAD(FP_JOBT_ROLLBACK, NULL, "{\"job\": \"0123456789ABCDEF\"}", FP_EPARSE, "params.job");
        BAD(FP_JOBT_ROLLBACK, NULL, "{\"job\": \"0123456789abcde\"}", FP_EPARSE, "params.job");
        BAD(FP_JOBT_ROLLBACK, NULL, "{\"job\": \"0123456789abcdef0\"}", FP_ELIMIT, "params.job");
        BAD(FP_JOBT_ROLLBACK, NULL, "{\"job\": \"../../etc/passw\"}", FP_EPARSE, "params.job");
        GOOD(FP_JOBT_ROLLBACK, "deb",
             "{\"packages\": [{\"name\": \"a\", \"version\": \"1\"}], \"allow_remove\": true}");

        /* hooks */
        BAD(FP_JOBT_HOOK, NULL, "{}", FP_EPARSE, "params.name");
        BAD(FP_JOBT_HOOK, NULL, "{\"name\": \"../x\"}", FP_EPARSE, "params.name");
        BAD(FP_JOBT_HOOK, NULL, "{\"name\": \"-x\"}", FP_EPARSE, "params.name");
        BAD(FP_JOBT_HOOK, NULL, "{\"name\": \"Drain\"}", FP_EPARSE, "params.name");
        GOOD(FP_JOBT_HOOK, NULL, "{\"name\": \"0123456789abcdef0123456789abcdef\"}");
        BAD(FP_JOBT_HOOK, NULL, "{\"name\": \"0123456789abcdef0123456789abcdef0\"}", FP_ELIMIT,
            "params.name");
        CHECK(fp_job_hook_name_ok("pre-patch"));
        CHECK(!fp_job_hook_name_ok(""));
        CHECK(!fp_job_hook_name_ok("a_b"));
}

/* {"packages": [n packages a0..]} with the given name and version lengths. */
static char *many(size_t n, size_t namelen, size_t verlen)
{
        struct fp_buf b;
        fp_buf_init(&b, (size_t)64 << 20);
        fp_buf_addstr(&b, "{\"packages\": [");
        for (size_t i = 0; i < n; i++) {
                char name[24];
                snprintf(name, sizeof(name), "p%zu", i);
                fp_buf_addf(&b, "%s{\"name\": \"%s", i ? "," : "", name);
                for (size_t k = strlen(name); k < namelen; k++)
                        fp_buf_addc(&b, 'x');
                fp_buf_addstr(&b, "\", \"version\": \"");
                for (size_t k = 0; k < verlen; k++)
                        fp_buf_addc(&b, '1');
                fp_buf_addstr(&b, "\"}");
        }
        fp_buf_addstr(&b, "]}");
        return fp_buf_take(&b);
}

static void test_limits(void)
{
        char *t = many(FP_MAX_JOB_PACKAGES, 4, 3);
        GOOD(FP_JOBT_INSTALL, "deb", t);
        free(t);
        t = many(FP_MAX_JOB_PACKAGES + 1, 4, 3);
        BAD(FP_JOBT_INSTALL, "deb", t, FP_ELIMIT, "params.packages");
        free(t);
        t = many(1, FP_MAX_NAME_LEN, 1);
        GOOD(FP_JOBT_INSTALL, "deb", t);
        free(t);
        t = many(1, FP_MAX_NAME_LEN + 1, 1);
        BAD(FP_JOBT_INSTALL, "deb", t, FP_ELIMIT, "params.packages[0].name");
        free(t);
        t = many(1, 2, FP_MAX_VERSION_LEN);
        GOOD(FP_JOBT_INSTALL, "deb", t);
        GOOD(FP_JOBT_INSTALL, "rpm", t);
        free(t);
        t = many(1, 2, FP_MAX_VERSION_LEN + 1);
        BAD(FP_JOBT_INSTALL, "deb", t, FP_ELIMIT, "params.packages[0].version");
        free(t);

        /* a hostile long key still yields a bounded, NUL-terminated path */
        char key[300];
        memset(key, 'k', sizeof(key) - 1);
        key[sizeof(key) - 1] = '\0';
        char text[400];
        snprintf(text, sizeof(text), "{\"%s\": 1}", key);
        char f[FP_DIAG_FIELD_MAX];
        CHECK_INT_EQ(params_text(FP_JOBT_SCAN, NULL, text, f, sizeof(f)), FP_EPARSE);
        CHECK(strncmp(f, "params.kkk", 10) == 0 && strlen(f) < FP_DIAG_FIELD_MAX);
}

/* "blocked": the patterns a baseline rejects as dependencies (install, upgrade-approved). */
#define PKG "\"packages\": [{\"name\": \"hello-fp\", \"version\": \"1.1\"}]"
static void test_blocked(void)
{
        struct fp_job_params p;
        struct fp_diag d;

        json_t *v = parse("{" PKG ", \"blocked\": [\"nginx*\", \"lib?ssl\", \"exim4\"]}");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_UPGRADE_APPROVED, v, "deb", &p, &d), FP_OK);
        CHECK_INT_EQ(p.blocked_count, 3);
        CHECK_STR_EQ(p.blocked[0], "nginx*");
        CHECK_STR_EQ(fp_job_blocked_match(&p, "nginx-common"), "nginx*");
        CHECK_STR_EQ(fp_job_blocked_match(&p, "nginx"), "nginx*");
        CHECK_STR_EQ(fp_job_blocked_match(&p, "libessl"), "lib?ssl");
        CHECK_STR_EQ(fp_job_blocked_match(&p, "exim4"), "exim4");
        CHECK(fp_job_blocked_match(&p, "exim4-base") == NULL);
        CHECK(fp_job_blocked_match(&p, "libssl3") == NULL);
        CHECK(fp_job_blocked_match(&p, "xnginx") == NULL);
        CHECK(fp_job_blocked_match(&p, NULL) == NULL);
        /* canonical: kept in order, after the other members */
        json_t *b = fp_job_params_build(&p);
        json_t *want = parse("{" PKG ", \"allow_remove\": false, \"allow_downgrade\": false, "
                             "\"simulate\": false, \"reboot\": \"never\", \"blocked\": [\"nginx*\", "
                             "\"lib?ssl\", \"exim4\"]}");
        CHECK(json_equal(b, want));
        json_decref(want);
        json_decref(b);
        fp_job_params_release(&p);
        json_decref(v);

        /* none, or an empty list: not in the canonical form, nothing matches */
        v = parse("{" PKG ", \"blocked\": []}");
        CHECK_INT_EQ(fp_job_params_parse(FP_JOBT_INSTALL, v, "deb", &p, &d), FP_OK);
        CHECK_INT_EQ(p.blocked_count, 0);
        CHECK(fp_job_blocked_match(&p, "nginx") == NULL);
        b = fp_job_params_build(&p);
        CHECK(json_object_get(b, "blocked") == NULL);
        json_decref(b);
        fp_job_params_release(&p);
        json_decref(v);

        GOOD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"*\", \"?\", \"a*b?c\"]}");
        GOOD(FP_JOBT_INSTALL, "rpm", "{" PKG ", \"blocked\": [\"kernel-*\", \"Foo_Bar*\"]}");
        GOOD(FP_JOBT_INSTALL, NULL, "{" PKG ", \"blocked\": [\"kernel-*\"]}");
        /* only transactions that install what was asked: not rollback, scan, ... */
        BAD(FP_JOBT_ROLLBACK, "deb", "{" PKG ", \"blocked\": [\"x\"]}", FP_EPARSE,
            "params.blocked");
        BAD(FP_JOBT_SCAN, "deb", "{\"blocked\": [\"x\"]}", FP_EPARSE, "params.blocked");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": \"nginx*\"}", FP_EPARSE,
            "params.blocked");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"x\", 1]}", FP_EPARSE,
            "params.blocked[1]");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"ngin[x]\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "rpm", "{" PKG ", \"blocked\": [\"a\\\\*\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"openssl=3.0\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"Nginx*\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"-x*\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "rpm", "{" PKG ", \"blocked\": [\"a b\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "rpm", "{" PKG ", \"blocked\": [\"a\\u0001\"]}", FP_EPARSE,
            "params.blocked[0]");
        BAD(FP_JOBT_INSTALL, "deb", "{" PKG ", \"blocked\": [\"a*\", \"b\", \"a*\"]}", FP_EPARSE,
            "params.blocked[2]");
        CHECK(fp_job_blocked_pattern_ok("deb", "lib*"));
        CHECK(!fp_job_blocked_pattern_ok("deb", NULL));
        CHECK(!fp_job_blocked_pattern_ok("rpm", "/usr/*"));

        /* limits: the count and the pattern length */
        for (size_t n = FP_MAX_JOB_BLOCKED; n <= FP_MAX_JOB_BLOCKED + 1; n++) {
                struct fp_buf t;
                fp_buf_init(&t, 1 << 20);
                fp_buf_addstr(&t, "{" PKG ", \"blocked\": [");
                for (size_t i = 0; i < n; i++)
                        fp_buf_addf(&t, "%s\"p%zu*\"", i ? ", " : "", i);
                fp_buf_addstr(&t, "]}");
                if (n == FP_MAX_JOB_BLOCKED)
                        GOOD(FP_JOBT_INSTALL, "deb", fp_buf_str(&t));
                else
                        BAD(FP_JOBT_INSTALL, "deb", fp_buf_str(&t), FP_ELIMIT, "params.blocked");
                fp_buf_release(&t);
        }
        for (size_t len = FP_MAX_NAME_LEN; len <= FP_MAX_NAME_LEN + 1; len++) {
                char text[FP_MAX_NAME_LEN + 200];
                int n = snprintf(text, sizeof(text), "{" PKG ", \"blocked\": [\"");
                memset(text + n, 'b', len - 1);
                snprintf(text + n + len - 1, sizeof(text) - (size_t)n - len + 1, "*\"]}");
                if (len == FP_MAX_NAME_LEN)
                        GOOD(FP_JOBT_INSTALL, "rpm", text);
                else
                        BAD(FP_JOBT_INSTALL, "rpm", text, FP_ELIMIT, "params.blocked[0]");
        }
}

int main(void)
{
        test_types();
        test_defaults();
        test_shapes();
        test_limits();
        test_blocked();
        printf("%lu checks, %lu failures\n", fp_test_checks, fp_test_failures);
        return fp_test_failures ? 1 : 0;
}
