/*
 * The per-job journal (docs/jobs.md "Journal, idempotence and crashes"): STATE/jobs/ID.json,
 * replaced atomically before each step, so a job listed twice is re-reported rather than run
 * again, and a job interrupted by a crash is found and finished on the next start.
 *
 * A journal is a JSON object: {"id", "type", "params", "phase", "updated", "before": [pkg],
 * "plan": [change], "kept": [{"name", "arch", "version", "path"}], "status", "detail",
 * "result", "boot_id", "expected_kernel"}; members appear as the job gets there.
 */
#ifndef FP_AGENT_JOURNAL_H
#define FP_AGENT_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/backend/backend.h"
#include "fleetpatch/error.h"
#include "fleetpatch/limits.h"

enum journal_phase {
        J_RECEIVED,
        J_PLANNED,
        J_APPLYING,
        J_APPLIED,
        J_VERIFYING,
        J_REBOOTING,
        J_FINISHED,
};
const char *journal_phase_name(enum journal_phase p);
bool journal_phase_parse(const char *s, enum journal_phase *out);
/* The phase member of a journal (J_RECEIVED when missing or unknown). */
enum journal_phase journal_phase_of(const json_t *j);

/* A new journal for a job: {"id", "type", "params", "phase": "received"}. NULL on ENOMEM. */
json_t *journal_new(const char *id, const char *type, const json_t *params);

/* Write STATE/jobs/ID.json (creating jobs/, 0700) with "phase" and "updated" (now, UNIX
 * seconds) set. Atomic: a crash leaves the old or the new journal. */
enum fp_err journal_write(const char *state_dir, json_t *j, enum journal_phase phase, int64_t now,
                          struct fp_diag *d);
/* Largest journal file read: params, plan, before/kept lists and the result (at most
 * FP_MAX_JOB_RESULT bytes) with room to spare. */
#define JOURNAL_MAX_FILE (4 * FP_MAX_JOB_RESULT)
/* Most changes in a journal's plan (the apt backend's own limit is below it). */
#define JOURNAL_MAX_PLAN (FP_MAX_JOB_PACKAGES * 4)

/* FP_ENOENT when the job has no journal; FP_ECORRUPT for an unreadable one (journal_parse),
 * or one of another job. */
enum fp_err journal_read(const char *state_dir, const char *id, json_t **out, struct fp_diag *d);
/*
 * A journal document as journal_read checks it: at most JOURNAL_MAX_FILE bytes of JSON
 * (duplicate keys refused), an object with a 16-hex "id", a known "phase", an integer
 * "updated" and a string "type" when present, and a "plan" that journal_plan_parse accepts.
 * FP_ECORRUPT (d says why) otherwise; *out is NULL then.
 */
enum fp_err journal_parse(const char *text, size_t len, json_t **out, struct fp_diag *d);

/* Ids of every journal not finished, sorted; *ids is malloc(3)ed (17 bytes each). */
enum fp_err journal_unfinished(const char *state_dir, char (**ids)[17], size_t *n,
                               struct fp_diag *d);

/* Transaction journals kept for rollback beyond their age (the newest ones). */
#define JOURNAL_KEEP_TRANSACTIONS 64
/* Finished journals older than this go (the daemon prunes once a day). */
#define JOURNAL_MAX_AGE (30 * 86400)

/*
 * Remove finished journals last updated more than max_age seconds before now. A transaction
 * that changed packages keeps its journal while it is among the JOURNAL_KEEP_TRANSACTIONS
 * newest ones: a rollback by job id needs its before-versions and kept files long after the
 * agent forgot the id (AGENT_RECENT_JOBS). Unfinished journals are never removed. *removed
 * (may be NULL) gets the count. Then the package files under STATE/packages that no remaining
 * journal names are removed.
 */
enum fp_err journal_prune(const char *state_dir, int64_t max_age, int64_t now, size_t *removed,
                          struct fp_diag *d);

/* Plans in journals and results: [{"action", "name", "arch", "from", "to"}]. */
json_t *journal_plan_json(const struct be_plan *plan);
/* Back from JSON into plan (arena-owned); FP_ECORRUPT for a bad shape: more than
 * JOURNAL_MAX_PLAN changes, an unknown action, a name missing, or a string that is empty,
 * longer than FP_MAX_NAME_LEN (name, arch) or FP_MAX_VERSION_LEN (from, to), or holds blanks
 * or control characters. plan is always initialised (empty on error). */
enum fp_err journal_plan_parse(const json_t *arr, struct be_plan *plan, struct fp_diag *d);

#endif
