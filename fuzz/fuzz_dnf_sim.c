/*
 * Fuzz the dnf backend's reading of dnf 4's output: bytes -> dnf_sim_parse (the transaction
 * table of `dnf --assumeno`) and dnf_classify (the failure reason). Invariants: a refusal names
 * the line and says why; an accepted plan has at most DNF_SIM_MAX_PKGS changes, each with a
 * non-empty name, arch and EVR free of whitespace and control characters, "to" set for what
 * is installed and "from" set for what is removed (never both: the table shows one EVR);
 * classify's line points into the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/backend/dnf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s)
{
        if (!s || !*s)
                abort();
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        struct be_plan plan;
        struct fp_diag diag;

        fp_diag_clear(&diag);
        enum fp_err err = dnf_sim_parse(text, size, "fuzz", &plan, &diag);
        if (err != FP_OK) {
                if (err != FP_ENOMEM && (diag.msg[0] == '\0' || diag.line == 0))
                        abort();
                if (plan.count != 0 || plan.changes != NULL)
                        abort();
        } else {
                if (plan.count > DNF_SIM_MAX_PKGS)
                        abort();
                for (size_t i = 0; i < plan.count; i++) {
                        const struct be_change *c = &plan.changes[i];
                        check_str(c->name);
                        check_str(c->arch);
                        if (c->action == BE_REMOVE) {
                                if (c->to)
                                        abort();
                                check_str(c->from);
                        } else {
                                if (c->from || c->action > BE_REMOVE)
                                        abort();
                                check_str(c->to);
                        }
                }
                be_plan_release(&plan);
        }
        const char *line = NULL;
        enum be_fail why = dnf_classify(text, size, &line);
        if (why != BE_FAIL_NONE && (!line || line < text || line >= text + size))
                abort();
        if (why == BE_FAIL_NONE && line)
                abort();
        return 0;
}
