/* run_program (src/agent/backend/run.c): argv without a shell, merged output by lines, exit
 * status, environment, working directory, line cut, and the timeout that kills the group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/backend/run.h"
#include "test.h"

struct lines {
        char text[8192];
        size_t count;
        size_t longest;
};

static void collect(void *ctx, const char *line)
{
        struct lines *l = ctx;
        size_t n = strlen(line);
        l->count++;
        if (n > l->longest)
                l->longest = n;
        if (strlen(l->text) + n + 2 < sizeof(l->text)) {
                strcat(l->text, line);
                strcat(l->text, "|");
        }
}

static void test_lines_and_status(void)
{
        struct lines l = {0};
        struct run_result res;
        struct fp_diag d;
        /* stdout and stderr both arrive; the shell here is the test's, not the server's */
        const char *argv[] = {"sh", "-c", "echo one; echo two >&2; printf 'three'; exit 3", NULL};
        struct run_opts o = {.argv = argv, .log = collect, .log_ctx = &l};
        fp_diag_clear(&d);
        CHECK_INT_EQ(run_program(&o, &res, &d), FP_OK);
        CHECK_INT_EQ(res.status, 3);
        CHECK(!res.timed_out);
        CHECK_INT_EQ(l.count, 3);
        CHECK(strstr(l.text, "one|") != NULL);
        CHECK(strstr(l.text, "two|") != NULL);
        CHECK(strstr(l.text, "three|") != NULL);
}

static void test_env_cwd_and_capture(void)
{
        struct lines l = {0};
        struct run_result res;
        struct fp_diag d;
        struct fp_buf out;
        const char *argv[] = {"sh", "-c", "echo \"$FP_X:$LC_ALL:$HOME\"; pwd", NULL};
        const char *env[] = {"FP_X=42", NULL};
        fp_buf_init(&out, 1 << 20);
        struct run_opts o = {
            .argv = argv, .env = env, .cwd = "/", .log = collect, .log_ctx = &l, .out = &out};
        fp_diag_clear(&d);
        CHECK_INT_EQ(run_program(&o, &res, &d), FP_OK);
        CHECK_INT_EQ(res.status, 0);
        /* only PATH, LC_ALL=C and what the caller adds: HOME is not passed on */
        CHECK_STR_EQ(fp_buf_str(&out), "42:C:\n/\n");
        fp_buf_release(&out);
}

static void test_capture_bounded_and_long_line(void)
{
        struct lines l = {0};
        struct run_result res;
        struct fp_diag d;
        struct fp_buf out;
        /* 10000 'x' then a newline and "end": the log gets a cut line, then "end" */
        const char *argv[] = {"sh", "-c", "head -c 10000 /dev/zero | tr '\\0' x; echo; echo end",
                              NULL};
        fp_buf_init(&out, 100);
        struct run_opts o = {.argv = argv, .log = collect, .log_ctx = &l, .out = &out};
        fp_diag_clear(&d);
        CHECK_INT_EQ(run_program(&o, &res, &d), FP_OK);
        CHECK_INT_EQ(res.status, 0);
        CHECK_INT_EQ(l.longest, RUN_MAX_LINE);
        CHECK(strstr(l.text, "|end|") != NULL);
        CHECK_INT_EQ(out.len, 100);
        fp_buf_release(&out);
}

static void test_timeout_kills_group(void)
{
        struct run_result res;
        struct fp_diag d;
        /* the grandchild holds the pipe open: only killing the group ends the read */
        const char *argv[] = {"sh", "-c", "sleep 600 & sleep 600; echo never", NULL};
        struct run_opts o = {.argv = argv, .timeout = 1};
        fp_diag_clear(&d);
        CHECK_INT_EQ(run_program(&o, &res, &d), FP_OK);
        CHECK(res.timed_out);
        CHECK_INT_EQ(res.status, 128 + 9);
        CHECK(strstr(d.msg, "timeout") != NULL);
}

static void test_not_found(void)
{
        struct run_result res;
        struct fp_diag d;
        const char *argv[] = {"fleetpatch-no-such-program", NULL};
        struct run_opts o = {.argv = argv};
        fp_diag_clear(&d);
        CHECK_INT_EQ(run_program(&o, &res, &d), FP_ENOENT);
        CHECK(strstr(d.file, "fleetpatch-no-such-program") != NULL);
        const char *none[] = {NULL};
        o.argv = none;
        CHECK_INT_EQ(run_program(&o, &res, &d), FP_EINVAL);
}

int main(void)
{
        test_lines_and_status();
        test_env_cwd_and_capture();
        test_capture_bounded_and_long_line();
        test_timeout_kills_group();
        test_not_found();
        return fp_test_finish();
}
