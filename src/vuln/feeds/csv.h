/*
 * A small RFC 4180 CSV record splitter shared by the KEV and EPSS parsers: comma-separated
 * fields, optionally quoted with "" as the escaped quote; quoted fields may hold commas, CR and
 * LF. Line ends are LF or CRLF. A record (all of its physical lines) is bounded by
 * FP_MAX_CSV_LINE_LEN, its fields by FP_CSV_MAX_FIELDS.
 */
#ifndef FP_VULN_CSV_H
#define FP_VULN_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "fleetpatch/error.h"
#include "fleetpatch/util.h"

#define FP_CSV_MAX_FIELDS 64

struct fp_csv {
        const char *data;
        size_t len;
        size_t pos;
        const char *name;       /* for diagnostics */
        unsigned long lineno;   /* physical line of data[pos], 1-based */
        unsigned long rec_line; /* first physical line of the last record */
        bool rec_terminated;    /* the last record ended with a line end (not end of data) */
        char *buf;              /* the unquoted fields, each NUL-terminated */
        const char *fields[FP_CSV_MAX_FIELDS];
        size_t nfields;
};

/* Over data[0..len) (a leading UTF-8 BOM is skipped); FP_ENOMEM only. */
enum fp_err fp_csv_init(struct fp_csv *c, const char *data, size_t len, const char *name);
void fp_csv_release(struct fp_csv *c);

/*
 * The next record into c->fields/c->nfields (views valid until the next call). Empty lines are
 * skipped. At the end of data: FP_OK with nfields == 0. Errors, with diag naming the line and
 * column: FP_EPARSE (a quote inside an unquoted field, text after a closing quote, a NUL
 * byte), FP_ECORRUPT (a quoted field still open at the end of data: a truncated file),
 * FP_ELIMIT (record too long or too many fields). After an error the splitter is unusable.
 */
enum fp_err fp_csv_next(struct fp_csv *c, struct fp_diag *diag);

/* Index of the header column `name` (ASCII case-insensitive, surrounding blanks ignored) in the
 * record just read, or -1. */
int fp_csv_column(const struct fp_csv *c, const char *name);

/* ---- helpers shared by the KEV and EPSS parsers ---------------------------------------------- */

/* "CVE-YYYY-NNNN" with 4 to 19 digits in the number (the KEV schema's pattern). */
bool fp_feed_cve_valid(const char *s);

/* A feed-wide date (KEV dateReleased, EPSS score_date) normalized for sink->meta:
 * "2024-05-01T00:00:00Z". false when it is not a date, or not one fp_format_date can write
 * back in a form that parses again (years before 1000 or after 9999, the epoch itself). */
bool fp_feed_meta_date(const char *s, char out[32]);

/* CVE ids seen in one feed, to keep the first entry of a duplicated id. */
struct fp_cve_seen {
        struct fp_strmap map; /* cve -> where it was first seen (a line or index, + 1) */
        struct fp_arena keys;
};
void fp_cve_seen_init(struct fp_cve_seen *s);
void fp_cve_seen_release(struct fp_cve_seen *s);
/* Record cve at `where` and set *dup = false; if it was seen before, *dup = true and *first =
 * where it was first seen. */
enum fp_err fp_cve_seen_add(struct fp_cve_seen *s, const char *cve, size_t where, bool *dup,
                            size_t *first);

#endif
