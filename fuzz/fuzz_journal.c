/*
 * Fuzz the agent's reading of a job journal (STATE/jobs/ID.json) as journal_read checks it:
 * bytes -> journal_parse, which also runs journal_plan_parse over the "plan". Invariants: a
 * refusal says why and returns nothing; an accepted journal is an object with a job id and a
 * known phase, its plan keeps JOURNAL_MAX_PLAN and every string limit, the plan re-serialised
 * by journal_plan_json parses again to the same plan, and the journal as journal_write dumps
 * it parses again to an equal document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t max, bool may_be_null)
{
        if (!s) {
                if (!may_be_null)
                        abort();
                return;
        }
        if (!*s || strlen(s) > max)
                abort();
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= 0x20 || *p == 0x7f)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_diag diag;
        json_t *j = (json_t *)1;

        fp_diag_clear(&diag);
        enum fp_err err = journal_parse((const char *)data, size, &j, &diag);
        if (err != FP_OK) {
                if (j || (err != FP_ENOMEM && diag.msg[0] == '\0'))
                        abort();
                return 0;
        }
        const char *id = json_string_value(json_object_get(j, "id"));
        enum journal_phase ph;
        if (!json_is_object(j) || !id || strlen(id) != 16 ||
            strspn(id, "0123456789abcdef") != 16 ||
            !journal_phase_parse(json_string_value(json_object_get(j, "phase")), &ph) ||
            journal_phase_of(j) != ph)
                abort();
        struct be_plan plan;
        if (journal_plan_parse(json_object_get(j, "plan"), &plan, &diag) != FP_OK)
                abort();
        if (plan.count > JOURNAL_MAX_PLAN)
                abort();
        for (size_t i = 0; i < plan.count; i++) {
                const struct be_change *c = &plan.changes[i];
                check_str(c->name, FP_MAX_NAME_LEN, false);
                check_str(c->arch, FP_MAX_NAME_LEN, true);
                check_str(c->from, FP_MAX_VERSION_LEN, true);
                check_str(c->to, FP_MAX_VERSION_LEN, true);
        }
        json_t *pj = journal_plan_json(&plan);
        if (pj) {
                struct be_plan again;
                if (journal_plan_parse(pj, &again, &diag) != FP_OK || again.count != plan.count)
                        abort();
                json_t *pj2 = journal_plan_json(&again);
                if (pj2 && !json_equal(pj, pj2))
                        abort();
                json_decref(pj2);
                be_plan_release(&again);
                json_decref(pj);
        }
        be_plan_release(&plan);
        char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        if (text) {
                json_t *k = NULL;
                err = journal_parse(text, strlen(text), &k, &diag);
                if (err == FP_OK ? !json_equal(j, k) : err != FP_ENOMEM)
                        abort();
                json_decref(k);
                free(text);
        }
        json_decref(j);
        return 0;
}
