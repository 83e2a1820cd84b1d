/*
 * Fuzz target: data/DSA/list and data/DLA/list parser, read as both kinds. Besides crashes it
 * checks what consumers rely on: ids of the list's own kind, a date, at least one affected
 * entry with a release and source package, fixed versions that dpkg accepts, no duplicate
 * aliases, and that every header ends up emitted, skipped or rejected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
        enum fp_feed_kind kind;
        size_t records;
};

static void check_affected(const struct fp_vuln_advisory *adv, const struct fp_vuln_affected *a)
{
        if (!a->distro || strcmp(a->distro, "debian") != 0 || !a->release || !*a->release ||
            !a->package || !*a->package || !a->source)
                abort();
        if ((unsigned)a->state > FP_VS_UNDETERMINED || (unsigned)a->severity > FP_SEV_CRITICAL ||
            a->severity > adv->severity)
                abort();
        if (a->fixed) {
                struct fp_debver v;
                if (a->state != FP_VS_AFFECTED ||
                    fp_deb_version_parse(a->fixed, strlen(a->fixed), &v, NULL) == FP_VERSION_ERROR)
                        abort();
        }
        if (a->note && !*a->note)
                abort();
}

static enum fp_err on_advisory(void *ud, const struct fp_vuln_advisory *adv)
{
        struct seen *s = ud;
        const char *prefix = s->kind == FP_FEED_DSA ? "DSA-" : "DLA-";
        s->records++;
        if (!adv->id || strncmp(adv->id, prefix, 4) != 0 || adv->kind != s->kind ||
            adv->published == 0 || adv->naffected == 0 || adv->nrefs == 0)
                abort();
        for (size_t i = 0; i < adv->naliases; i++) {
                if (!adv->aliases[i] || !*adv->aliases[i])
                        abort();
                for (size_t k = 0; k < i; k++)
                        if (strcmp(adv->aliases[i], adv->aliases[k]) == 0)
                                abort();
        }
        for (size_t i = 0; i < adv->naffected; i++)
                check_affected(adv, &adv->affected[i]);
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct seen *s = ud;
        s->records++;
        if (!id || !why || !why->msg[0] || why->line == 0)
                abort();
}

static void on_skip(void *ud, const char *id, const char *reason)
{
        struct seen *s = ud;
        s->records++;
        if (!id || !*id || !reason)
                abort();
}

static size_t count_headers(const uint8_t *data, size_t size)
{
        size_t n = 0;
        for (size_t i = 0; i < size; i++)
                if (data[i] == '[' && (i == 0 || data[i - 1] == '\n'))
                        n++;
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const enum fp_feed_kind kinds[] = {FP_FEED_DSA, FP_FEED_DLA};
        for (size_t k = 0; k < 2; k++) {
                struct seen s = {kinds[k], 0};
                struct fp_feed_sink sink = {
                    .ud = &s, .advisory = on_advisory, .reject = on_reject, .skip = on_skip};
                struct fp_diag d;
                enum fp_err err = fp_feed_parse_debian_list((const char *)data, size, "fuzz",
                                                            kinds[k], &sink, &d);
                if (err != FP_OK && !d.msg[0])
                        abort();
                /* A header line whose trailing blanks are all it has is still a header. */
                if (err == FP_OK && s.records != count_headers(data, size))
                        abort();
        }
        return 0;
}
