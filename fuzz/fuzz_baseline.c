/*
 * Fuzz baselines: bytes -> fp_baseline_parse -> fp_baseline_evaluate -> fp_baseline_to_json.
 * The input is the baseline JSON, optionally followed by a NUL byte and the facts of one
 * update, one per line: name, candidate, class (0..2), severity, released, now, host tags
 * (a JSON object). Invariants: a refusal has a field and a message; an accepted baseline keeps
 * its limits, its canonical JSON parses back and prints the same, the verdict does not depend
 * on the explanation, which ends with the "=> ..." line; the selector's specificity is -1 or
 * at most the tag limit; the blocked patterns are never more than the rejected entries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the next '\n'-terminated field of [*p, end) as a NUL-terminated copy in out */
static const char *field(const char **p, const char *end, char *out, size_t outsz)
{
        size_t n = 0;
        while (*p < end && **p != '\n') {
                if (n + 1 < outsz)
                        out[n++] = **p;
                (*p)++;
        }
        if (*p < end)
                (*p)++;
        out[n] = '\0';
        return out;
}

static void check_verdict(const struct fp_baseline *b, const struct fp_update_facts *u,
                          int64_t now)
{
        struct fp_buf ex;
        fp_buf_init(&ex, 4 * 1024 * 1024);
        bool a = fp_baseline_evaluate(b, u, now, &ex);
        bool c = fp_baseline_evaluate(b, u, now, NULL);
        /* the last line: "=> approved ..." or "=> not approved ..." */
        const char *s = fp_buf_str(&ex);
        size_t n = strlen(s);
        if (a != c || n < 2 || s[n - 1] != '\n')
                abort();
        const char *last = s + n - 1;
        while (last > s && last[-1] != '\n')
                last--;
        if (strncmp(last, "=> ", 3) != 0)
                abort();
        if (a != (strncmp(last, "=> approved", 11) == 0))
                abort();
        fp_buf_release(&ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        const char *nul = memchr(data, 0, size);
        size_t jlen = nul ? (size_t)(nul - text) : size;
        struct fp_baseline *b = NULL;
        struct fp_diag diag;

        enum fp_err err = fp_baseline_parse(text, jlen, &b, &diag);
        if (err != FP_OK) {
                if (b || !diag.field[0] || !diag.msg[0])
                        abort();
                return 0;
        }
        if (fp_baseline_rule_count(b) > FP_BASELINE_MAX_RULES)
                abort();

        /* canonical JSON round-trip */
        char *j1 = fp_baseline_to_json(b);
        if (!j1)
                abort();
        struct fp_baseline *b2 = NULL;
        if (fp_baseline_parse(j1, strlen(j1), &b2, &diag) != FP_OK)
                abort();
        char *j2 = fp_baseline_to_json(b2);
        if (!j2 || strcmp(j1, j2) != 0)
                abort();
        free(j1);
        free(j2);
        fp_baseline_free(b2);

        const char *const *pats;
        size_t nb = fp_baseline_blocked(b, &pats);
        for (size_t i = 0; i < nb; i++)
                if (!pats[i] || !pats[i][0] || strchr(pats[i], '='))
                        abort();
        int policy;
        const char *window, *hook;
        fp_baseline_catchup(b, &policy, &window, &hook);
        if (policy < 0 || policy > 2 || !window || !hook)
                abort();

        /* the update given after the NUL, else a few made of the blocked patterns */
        char name[300], cand[1100], cls[8], sev[16], rel[32], now[32], tags[4096];
        struct fp_update_facts u = {.arch = "amd64", .installed = "0"};
        int64_t t_now = 1794268800;
        if (nul) {
                const char *p = nul + 1, *end = text + size;
                u.name = field(&p, end, name, sizeof(name));
                u.candidate = field(&p, end, cand, sizeof(cand));
                u.cls = (enum fp_update_class)(atoi(field(&p, end, cls, sizeof(cls))) % 4);
                u.severity = atoi(field(&p, end, sev, sizeof(sev)));
                u.released = strtoll(field(&p, end, rel, sizeof(rel)), NULL, 10);
                t_now = strtoll(field(&p, end, now, sizeof(now)), NULL, 10);
                field(&p, end, tags, sizeof(tags));
                int s = fp_baseline_selects(b, tags);
                if (s < -1 || s > FP_BASELINE_MAX_SELECTOR)
                        abort();
                check_verdict(b, &u, t_now);
        }
        for (size_t i = 0; i < nb && i < 8; i++) {
                u.name = pats[i];
                u.candidate = "1.0-1";
                u.cls = (enum fp_update_class)(i % 3);
                u.severity = (int)(i % 7) - 1;
                u.released = t_now - (int64_t)i * 86400 * 3;
                check_verdict(b, &u, t_now);
                /* a pattern always matches itself when it has no wildcard: rejected */
                if (!strpbrk(pats[i], "*?") && fp_baseline_evaluate(b, &u, t_now, NULL))
                        abort();
        }
        u.name = "openssl";
        u.candidate = "3.0.15-1~deb12u1";
        u.cls = FP_UPD_SECURITY;
        u.severity = 5;
        u.released = 0;
        check_verdict(b, &u, t_now);
        fp_baseline_free(b);
        return 0;
}
