/*
 * Patch baselines (docs/orchestration.md "Baselines"): what is approved for the hosts a
 * baseline selects. The parser is strict (every member known, typed and bounded; errors carry
 * the JSON path in diag->field, e.g. "baseline.rules[1].after_days") and the evaluation is
 * pure: the clock is an argument, nothing is read from the system.
 */
#ifndef FLEETPATCH_BASELINE_H
#define FLEETPATCH_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

/* ---- limits (each has a test at the limit and one past it) ---------------------------- */
/* The baseline JSON text: 2 x 4096 entries of 256+1+1024 bytes would not fit; real ones are
 * a few KiB. */
#define FP_BASELINE_MAX_JSON (2 * 1024 * 1024)
/* Rules of one baseline. */
#define FP_BASELINE_MAX_RULES 64
/* Entries of `approved`, and of `rejected` (each list). */
#define FP_BASELINE_MAX_ENTRIES 4096
/* The name pattern (or the name of a name=version entry), bytes. */
#define FP_BASELINE_MAX_PATTERN 256
/* The version of a name=version entry (FP_MAX_VERSION_LEN). */
#define FP_BASELINE_MAX_VERSION 1024
/* after_days: 0 .. 10 years. */
#define FP_BASELINE_MAX_AFTER_DAYS 3650
/* Selector tags (FP_MAX_TAGS; keys <= FP_MAX_TAG_KEY, values <= FP_MAX_TAG_VALUE bytes). */
#define FP_BASELINE_MAX_SELECTOR 64
/* Names (baseline, account, catch-up window): [a-z0-9._-], 1..63, not starting with . or -. */
#define FP_BASELINE_MAX_IDENT 63

enum fp_update_class { FP_UPD_SECURITY, FP_UPD_BUGFIX, FP_UPD_OTHER };
/* "security", "bugfix", "other" ("?" out of range). */
const char *fp_update_class_name(enum fp_update_class c);

/*
 * Severity words of baselines (rule "severity" minimum and "compliance_level"):
 * "critical", "high", "medium", "low", "informational" (FP_SEV_NEGLIGIBLE) and "unspecified"
 * (FP_SEV_UNKNOWN). An update that fixes no finding has severity FP_BASELINE_SEV_NONE ("none"),
 * below every word: a rule with a minimum never approves it; a minimum of "unspecified" means
 * "fixes at least one finding, whatever its rating".
 */
#define FP_BASELINE_SEV_NONE (-1)
/* The word of an enum fp_severity value or FP_BASELINE_SEV_NONE ("none"); "?" otherwise. */
const char *fp_baseline_severity_name(int sev);
/* One of the six words above (exact, lower case) -> enum fp_severity; false otherwise. */
bool fp_baseline_severity_parse(const char *word, int *out);

struct fp_baseline; /* parsed, owns its memory */

/*
 * Parse a baseline (len bytes, need not be NUL-terminated). Members: name, account (idents),
 * family ("deb"|"rpm") required; selector {tag: value} (default {}), rules (default []),
 * approved, rejected (default []), rejected_dependency "block" (default) | "allow",
 * compliance_level (default "unspecified"), catchup {policy "immediate"|"next-window",
 * window (ident, only with next-window), handback_hook ([a-z0-9][a-z0-9-]{0,31})}.
 * Refused: unknown members, duplicate members (keys), a rule with an empty classification,
 * both or neither of after_days/until, an unknown severity, a baseline that approves nothing
 * (no rules and no approved entries), brackets or backslashes in patterns, exact entries
 * (name=version) whose version the family's package tools would refuse, duplicate entries.
 * FP_EPARSE / FP_ELIMIT / FP_ENOMEM with diag->field the JSON path and diag->msg why.
 */
enum fp_err fp_baseline_parse(const char *json, size_t len, struct fp_baseline **out,
                              struct fp_diag *diag);
/* Canonical compact JSON (every member, defaults explicit, selector keys sorted, the
 * classification in the order security, bugfix, other); malloc'd, NULL on ENOMEM. It parses
 * back to an equal baseline and prints the same text again. */
char *fp_baseline_to_json(const struct fp_baseline *b);
void fp_baseline_free(struct fp_baseline *b);

const char *fp_baseline_name(const struct fp_baseline *b);
const char *fp_baseline_account(const struct fp_baseline *b);
const char *fp_baseline_family(const struct fp_baseline *b);
size_t fp_baseline_rule_count(const struct fp_baseline *b);
/*
 * -1 when the selector does not match the host's effective tags (tags_json: a JSON object
 * text of string values; anything else matches only an empty selector), else the number of
 * selector tags (its specificity). Attachment picks the highest, then the smallest name.
 */
int fp_baseline_selects(const struct fp_baseline *b, const char *tags_json);
/*
 * The rejected name patterns when rejected_dependency is "block", else none: what jobs carry
 * (params "blocked") so the agent refuses them as dependencies. Exact name=version rejected
 * entries are not included (they reject one version as an update, not the package).
 * *patterns stays valid as long as b.
 */
size_t fp_baseline_blocked(const struct fp_baseline *b, const char *const **patterns);
/* true when rejected_dependency is "block". */
bool fp_baseline_blocks_dependencies(const struct fp_baseline *b);
int fp_baseline_compliance_level(const struct fp_baseline *b); /* enum fp_severity */
/* Catch-up: policy 0 none given, 1 immediate, 2 next-window; window and hook "" if absent. */
void fp_baseline_catchup(const struct fp_baseline *b, int *policy, const char **window,
                         const char **hook);

struct fp_update_facts {
        const char *name, *arch, *installed, *candidate;
        enum fp_update_class cls;
        int severity;     /* enum fp_severity of the findings it fixes; FP_BASELINE_SEV_NONE if
                           * it fixes none (FP_SEV_UNKNOWN: it fixes unrated findings) */
        bool kev;         /* carried for the callers (emergency changes); rules ignore it */
        int64_t released; /* UTC seconds, 0 = unknown: then no rule approves (explain says so) */
};

/*
 * Is the update approved at `now`? Precedence: a matching `rejected` entry refuses it, else a
 * matching `approved` entry approves it, else the first rule (in order) that approves it.
 * explain (may be NULL) receives one line per list entry and rule, each with its verdict and
 * why, then "=> approved (by rule 2)", "=> approved (by approved 'tzdata')",
 * "=> not approved (rejected 'nginx*')" or "=> not approved". Append errors on explain
 * (its limit) are ignored; the verdict does not depend on them.
 */
bool fp_baseline_evaluate(const struct fp_baseline *b, const struct fp_update_facts *u,
                          int64_t now, struct fp_buf *explain);

/*
 * Classify a pending update: FP_UPD_SECURITY when the host flags it as security or it fixes a
 * finding; FP_UPD_BUGFIX when its origin is the distribution's own archive; else FP_UPD_OTHER.
 * Own archive, case-insensitive: deb: the Release Origin "Debian", "Debian-Security",
 * "Debian Backports", "Ubuntu", "UbuntuESM", "UbuntuESMApps"; rpm: the repo id "baseos",
 * "appstream", "crb", "powertools", "extras", "highavailability", "resilientstorage", "nfv",
 * "rt", "sap", "saphana", "fedora", "updates", "amazonlinux", "centosplus", or one starting
 * with "rhel-", "amzn", "ol<digit>" (Oracle's ol9_baseos_latest), "almalinux-", "rocky-",
 * "fedora-", "updates-"; an id ending in "-testing" never is.
 * Anything else (NULL, "", EPEL, vendors' repos) is third party.
 */
enum fp_update_class fp_update_classify(const char *family, const char *origin,
                                        bool security_flag, bool fixes_finding);

#endif
