/*
 * FIRST EPSS scores CSV (epss_scores-YYYY-MM-DD.csv, decompressed by the caller):
 *
 *   #model_version:v2023.03.01,score_date:2024-05-01T00:00:00+0000
 *   cve,epss,percentile
 *   CVE-1999-0001,0.01297,0.85138
 *
 * Decisions:
 * - The '#' line is optional (files before 2022 lack it). Its "model_version" is reported as
 *   given, its "score_date" normalized to UTC ("2024-05-01T00:00:00Z"); a score_date that is not
 *   a date is a feed error, other keys are ignored.
 * - The header must name the columns cve, epss and percentile (any order, any case; more
 *   columns are ignored).
 * - A row is rejected when its cve is not CVE-YYYY-NNNN..., or a score is not a plain decimal
 *   number (strtod must consume it all; no hex, inf or nan) within [0, 1].
 * - A CVE listed twice: the first row wins, later ones are rejected naming the first line.
 * - The scores replace the stored ones as a whole, so a last row cut short (no line end and
 *   too few fields) and a file without rows are feed errors (FP_ECORRUPT).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"
#include "vuln/feeds/csv.h"

struct epss {
        const char *name;
        const struct fp_feed_sink *sink;
        struct fp_diag *diag;
        struct fp_cve_seen seen;
        int col_cve, col_epss, col_pct;
        size_t nfields; /* of the header */
        size_t rows;
};

static void reject(struct epss *p, unsigned long line, const char *cve, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void reject(struct epss *p, unsigned long line, const char *cve, const char *field,
                   const char *fmt, ...)
{
        struct fp_diag d;
        va_list ap;

        fp_diag_set(&d, p->name, line, field, "%s", "");
        va_start(ap, fmt);
        vsnprintf(d.msg, sizeof(d.msg), fmt, ap);
        va_end(ap);
        if (p->sink->reject)
                p->sink->reject(p->sink->ud, cve && fp_feed_cve_valid(cve) ? cve : "", &d);
}

static void meta(struct epss *p, const char *key, const char *value)
{
        if (p->sink->meta)
                p->sink->meta(p->sink->ud, key, value);
}

/* "#model_version:v2023.03.01,score_date:2024-05-01T00:00:00+0000", already split at commas. */
static enum fp_err comment_line(struct epss *p, const struct fp_csv *c)
{
        for (size_t i = 0; i < c->nfields; i++) {
                const char *f = c->fields[i] + (i == 0);
                const char *colon = strchr(f, ':');
                if (!colon)
                        continue;
                size_t klen = (size_t)(colon - f);
                const char *value = colon + 1;
                if (klen == 13 && strncmp(f, "model_version", klen) == 0 && *value) {
                        meta(p, "model_version", value);
                } else if (klen == 10 && strncmp(f, "score_date", klen) == 0) {
                        char date[32];
                        if (!fp_feed_meta_date(value, date)) {
                                fp_diag_set(p->diag, p->name, c->rec_line, "score_date",
                                            "not a date: '%.64s'", value);
                                return FP_EPARSE;
                        }
                        meta(p, "score_date", date);
                }
        }
        return FP_OK;
}

/* The optional '#' line, then the header. */
static enum fp_err header(struct epss *p, struct fp_csv *c)
{
        enum fp_err err = fp_csv_next(c, p->diag);

        if (err == FP_OK && c->nfields > 0 && c->fields[0][0] == '#') {
                if ((err = comment_line(p, c)) != FP_OK)
                        return err;
                err = fp_csv_next(c, p->diag);
        }
        if (err != FP_OK)
                return err;
        if (c->nfields == 0) {
                fp_diag_set(p->diag, p->name, 0, "", "EPSS file without a header or rows");
                return FP_ECORRUPT;
        }
        p->col_cve = fp_csv_column(c, "cve");
        p->col_epss = fp_csv_column(c, "epss");
        p->col_pct = fp_csv_column(c, "percentile");
        if (p->col_cve < 0 || p->col_epss < 0 || p->col_pct < 0) {
                fp_diag_set(p->diag, p->name, c->rec_line, "",
                            "header is not 'cve,epss,percentile' (not an EPSS scores file?)");
                return FP_EPARSE;
        }
        p->nfields = c->nfields;
        return FP_OK;
}

/* A probability: digits, '.', an exponent; all of it a finite number in [0, 1]. */
static bool probability(const char *s, double *out)
{
        char *end;

        if (!*s || strspn(s, "0123456789.eE+-") != strlen(s))
                return false;
        *out = strtod(s, &end);
        return *end == '\0' && isfinite(*out) && *out >= 0.0 && *out <= 1.0;
}

static enum fp_err row(struct epss *p, const struct fp_csv *c)
{
        unsigned long line = c->rec_line;
        struct fp_epss_entry e;
        bool dup;
        size_t first;

        if (c->nfields != p->nfields) {
                if (!c->rec_terminated) {
                        fp_diag_set(p->diag, p->name, line, "",
                                    "last row has %zu fields, the header %zu: truncated file?",
                                    c->nfields, p->nfields);
                        return FP_ECORRUPT;
                }
                reject(p, line, NULL, "", "%zu fields, the header has %zu", c->nfields, p->nfields);
                return FP_OK;
        }
        e.cve = c->fields[p->col_cve];
        if (!fp_feed_cve_valid(e.cve)) {
                reject(p, line, NULL, "cve", "not a CVE id: '%.64s'", e.cve);
                return FP_OK;
        }
        if (!probability(c->fields[p->col_epss], &e.epss)) {
                reject(p, line, e.cve, "epss", "not a number in [0, 1]: '%.64s'",
                       c->fields[p->col_epss]);
                return FP_OK;
        }
        if (!probability(c->fields[p->col_pct], &e.percentile)) {
                reject(p, line, e.cve, "percentile", "not a number in [0, 1]: '%.64s'",
                       c->fields[p->col_pct]);
                return FP_OK;
        }
        enum fp_err err = fp_cve_seen_add(&p->seen, e.cve, line, &dup, &first);
        if (err != FP_OK) {
                fp_diag_set(p->diag, p->name, line, "", "out of memory");
                return err;
        }
        if (dup) {
                reject(p, line, e.cve, "cve", "duplicate of the row at line %zu", first);
                return FP_OK;
        }
        if (p->sink->epss && (err = p->sink->epss(p->sink->ud, &e)) != FP_OK) {
                fp_diag_set(p->diag, p->name, line, "", "storing the EPSS score of %s failed: %s",
                            e.cve, fp_strerror(err));
                return err;
        }
        return FP_OK;
}

static enum fp_err rows(struct epss *p, struct fp_csv *c)
{
        enum fp_err err;

        while ((err = fp_csv_next(c, p->diag)) == FP_OK && c->nfields > 0) {
                if (++p->rows > FP_MAX_FEED_RECORDS) {
                        fp_diag_set(p->diag, p->name, c->rec_line, "", "more than %d rows",
                                    FP_MAX_FEED_RECORDS);
                        return FP_ELIMIT;
                }
                if ((err = row(p, c)) != FP_OK)
                        return err;
        }
        if (err == FP_OK && p->rows == 0) {
                fp_diag_set(p->diag, p->name, 0, "", "EPSS file without rows");
                return FP_ECORRUPT;
        }
        return err;
}

enum fp_err fp_feed_parse_epss(const char *data, size_t len, const char *name,
                               const struct fp_feed_sink *sink, struct fp_diag *diag)
{
        struct epss p = {.name = name ? name : "", .sink = sink, .diag = diag};
        struct fp_csv c;
        enum fp_err err;

        fp_diag_clear(diag);
        if (len > (size_t)FP_MAX_FEED_SIZE) {
                fp_diag_set(diag, p.name, 0, "", "EPSS file of %zu bytes exceeds the limit of %ld",
                            len, (long)FP_MAX_FEED_SIZE);
                return FP_ELIMIT;
        }
        if (fp_csv_init(&c, data, len, p.name) != FP_OK) {
                fp_diag_set(diag, p.name, 0, "", "out of memory");
                return FP_ENOMEM;
        }
        fp_cve_seen_init(&p.seen);
        err = header(&p, &c);
        if (err == FP_OK)
                err = rows(&p, &c);
        fp_cve_seen_release(&p.seen);
        fp_csv_release(&c);
        return err;
}
