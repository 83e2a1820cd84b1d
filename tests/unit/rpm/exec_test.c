/* fp_exec_capture: no shell, bounded output (at the bound and one past), exit status, stderr. */
#include <string.h>

#include "agent/inventory/exec.h"
#include "test.h"

int main(void)
{
        struct fp_buf out;
        struct fp_diag d;

        /* Arguments reach the program verbatim: no shell expands or splits them. */
        const char *const echo[] = {"printf", "%s|", "a b", "$HOME", "*;true", NULL};
        fp_buf_init(&out, 100);
        CHECK_INT_EQ(fp_exec_capture(echo, &out, &d), FP_OK);
        CHECK_STR_EQ(fp_buf_str(&out), "a b|$HOME|*;true|");
        fp_buf_release(&out);

        /* Output at the bound and one past it. */
        const char *const ten[] = {"head", "-c", "10", "/dev/zero", NULL};
        fp_buf_init(&out, 10);
        CHECK_INT_EQ(fp_exec_capture(ten, &out, &d), FP_OK);
        CHECK_INT_EQ(out.len, 10);
        fp_buf_release(&out);
        fp_buf_init(&out, 9);
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_exec_capture(ten, &out, &d), FP_ELIMIT);
        CHECK(strstr(d.msg, "larger than 9") != NULL);
        fp_buf_release(&out);
        /* An endless producer is stopped, not waited for. */
        const char *const yes[] = {"yes", NULL};
        fp_buf_init(&out, 1 << 20);
        CHECK_INT_EQ(fp_exec_capture(yes, &out, &d), FP_ELIMIT);
        fp_buf_release(&out);

        /* Failure: exit status and the start of stderr. */
        const char *const bad[] = {"ls", "/nonexistent-fp-path", NULL};
        fp_buf_init(&out, 100);
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_exec_capture(bad, &out, &d), FP_EEXEC);
        CHECK(strstr(d.msg, "exited with status") != NULL);
        CHECK(strstr(d.msg, "nonexistent-fp-path") != NULL);
        CHECK_STR_EQ(d.file, "ls");
        fp_buf_release(&out);

        const char *const missing[] = {"fp-no-such-program", NULL};
        fp_buf_init(&out, 100);
        CHECK_INT_EQ(fp_exec_capture(missing, &out, &d), FP_ENOENT);
        fp_buf_release(&out);
        return fp_test_finish();
}
