/*
 * Fuzz the apt backend's reader of `apt-get -s` output (apt_parse_simulation), which turns
 * the package manager's text into the plan a job reports and is checked against. Invariants:
 * a refusal has a message and names a line; an accepted plan has at most
 * APT_SIM_MAX_PACKAGES changes, sorted by name then arch without duplicates, every name and
 * version without blanks or control characters, from/to as the action says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/backend/apt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_token(const char *s, bool may_be_null)
{
        if (!s) {
                if (!may_be_null)
                        abort();
                return;
        }
        if (!*s)
                abort();
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= 0x20 || *p == 0x7f)
                        abort();
}

static int cmp_opt(const char *a, const char *b)
{
        if (!a || !b)
                return a ? 1 : b ? -1 : 0;
        return strcmp(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct be_plan plan;
        struct fp_diag diag;

        fp_diag_clear(&diag);
        enum fp_err err = apt_parse_simulation((const char *)data, size, &plan, &diag);
        if (err != FP_OK) {
                if (err != FP_ENOMEM && (diag.msg[0] == '\0' || diag.line == 0))
                        abort();
                if (plan.count != 0 || plan.changes != NULL)
                        abort();
                return 0;
        }
        if (plan.count > APT_SIM_MAX_PACKAGES)
                abort();
        for (size_t i = 0; i < plan.count; i++) {
                const struct be_change *c = &plan.changes[i];
                check_token(c->name, false);
                check_token(c->arch, c->action == BE_REMOVE);
                check_token(c->from, c->action == BE_INSTALL);
                check_token(c->to, c->action == BE_REMOVE);
                if ((c->action == BE_INSTALL) != (c->from == NULL) ||
                    (c->action == BE_REMOVE) != (c->to == NULL))
                        abort();
                if (i > 0) {
                        const struct be_change *p = &plan.changes[i - 1];
                        int o = strcmp(p->name, c->name);
                        if (o == 0)
                                o = cmp_opt(p->arch, c->arch);
                        if (o >= 0)
                                abort();
                }
        }
        be_plan_release(&plan);
        return 0;
}
