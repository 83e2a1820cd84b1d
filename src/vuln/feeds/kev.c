/*
 * CISA Known Exploited Vulnerabilities catalog, as JSON (known_exploited_vulnerabilities.json)
 * or CSV (the same columns with a header row), told apart by the first non-blank byte.
 *
 * Decisions:
 * - An entry needs a valid cveID (CVE-YYYY-NNNN..., the schema's pattern), dateAdded and dueDate
 *   (dates in any fp_parse_date form; the catalog uses YYYY-MM-DD). Without them it is rejected.
 *   vendorProject, product and vulnerabilityName are kept when present (schema-required, but
 *   only displayed: losing the "exploited" flag over a missing product name would be worse).
 *   Text we do not keep (shortDescription, notes, cwes, ...) is not checked.
 * - A CVE listed twice: the first entry wins, later ones are rejected naming the first. The
 *   catalog lists newest first, so the first is the latest word on it.
 * - The catalog replaces the stored one as a whole, so anything that looks truncated is a
 *   feed error (FP_ECORRUPT) and the old catalog stays: JSON whose `count` differs from the
 *   number of entries, CSV whose last row is cut short, and a catalog without entries.
 * - meta: "catalogVersion" as given, "dateReleased" normalized to UTC (YYYY-MM-DDTHH:MM:SSZ).
 *   The CSV form carries neither.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/vuln.h"
#include "vuln/feeds/csv.h"
#include "vuln/json.h"

/* Longest vendor/product/name kept; real ones are < 200 bytes. */
#define KEV_MAX_TEXT 4096

struct kev {
        const char *name;
        const struct fp_feed_sink *sink;
        struct fp_diag *diag;
        struct fp_cve_seen seen;
        size_t entries; /* records read, good or bad */
};

/* One entry as strings, from either form; NULL = absent. */
struct kev_raw {
        const char *cve, *vendor, *product, *name, *date_added, *due_date, *ransomware;
        unsigned long line; /* CSV line, 0 for JSON */
        size_t index;       /* 0-based position in the catalog */
};

static void reject(struct kev *k, const struct kev_raw *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reject(struct kev *k, const struct kev_raw *r, const char *field, const char *fmt, ...)
{
        struct fp_diag d;
        char where[FP_DIAG_FIELD_MAX];
        va_list ap;

        if (r->line)
                snprintf(where, sizeof(where), "%s", field);
        else
                snprintf(where, sizeof(where), "vulnerabilities[%zu]%s%s", r->index,
                         *field ? "." : "", field);
        fp_diag_set(&d, k->name, r->line, where, "%s", "");
        va_start(ap, fmt);
        vsnprintf(d.msg, sizeof(d.msg), fmt, ap);
        va_end(ap);
        if (k->sink->reject)
                k->sink->reject(k->sink->ud, r->cve && fp_feed_cve_valid(r->cve) ? r->cve : "", &d);
}

static bool date_ok(struct kev *k, const struct kev_raw *r, const char *field, const char *s,
                    int64_t *out)
{
        if (!s || !*s) {
                reject(k, r, field, "required date is missing");
                return false;
        }
        if (!fp_parse_date(s, out)) {
                reject(k, r, field, "not a date: '%.64s'", s);
                return false;
        }
        return true;
}

/* Displayed text: bounded, no control characters other than tab/newline. */
static bool text_ok(struct kev *k, const struct kev_raw *r, const char *field, const char *s)
{
        if (!s)
                return true;
        size_t len = strlen(s);
        if (len > KEV_MAX_TEXT) {
                reject(k, r, field, "text of %zu bytes exceeds the limit of %d", len, KEV_MAX_TEXT);
                return false;
        }
        for (size_t i = 0; i < len; i++) {
                if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
                        reject(k, r, field, "control character 0x%02x", s[i]);
                        return false;
                }
        }
        return true;
}

/* "" as NULL: the CSV form cannot tell them apart, so the JSON form does not either. */
static const char *nonempty(const char *s)
{
        return s && *s ? s : NULL;
}

/* Validate one entry and hand it to the sink; only a sink error stops the parse. */
static enum fp_err deliver(struct kev *k, const struct kev_raw *r)
{
        struct fp_kev_entry e = {0};
        bool dup;
        size_t first;

        if (!r->cve || !*r->cve) {
                reject(k, r, "cveID", "required string is missing");
                return FP_OK;
        }
        if (!fp_feed_cve_valid(r->cve)) {
                reject(k, r, "cveID", "not a CVE id: '%.64s'", r->cve);
                return FP_OK;
        }
        if (!date_ok(k, r, "dateAdded", r->date_added, &e.date_added) ||
            !date_ok(k, r, "dueDate", r->due_date, &e.due_date) ||
            !text_ok(k, r, "vendorProject", r->vendor) || !text_ok(k, r, "product", r->product) ||
            !text_ok(k, r, "vulnerabilityName", r->name))
                return FP_OK;
        enum fp_err err =
            fp_cve_seen_add(&k->seen, r->cve, r->line ? r->line : r->index, &dup, &first);
        if (err != FP_OK) {
                fp_diag_set(k->diag, k->name, r->line, "", "out of memory");
                return err;
        }
        if (dup) {
                if (r->line)
                        reject(k, r, "cveID", "duplicate of the entry at line %zu", first);
                else
                        reject(k, r, "cveID", "duplicate of vulnerabilities[%zu]", first);
                return FP_OK;
        }
        e.cve = r->cve;
        e.vendor = nonempty(r->vendor);
        e.product = nonempty(r->product);
        e.name = nonempty(r->name);
        e.ransomware = r->ransomware && strcasecmp(r->ransomware, "Known") == 0;
        if (k->sink->kev && (err = k->sink->kev(k->sink->ud, &e)) != FP_OK) {
                fp_diag_set(k->diag, k->name, r->line, "", "storing the KEV entry %s failed: %s",
                            r->cve, fp_strerror(err));
                return err;
        }
        return FP_OK;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static enum fp_err json_fail(struct kev *k, enum fp_err err, const struct fp_diag *d)
{
        fp_diag_set(k->diag, k->name, 0, d->field, "%s", d->msg);
        return err;
}

static void meta(struct kev *k, const char *key, const char *value)
{
        if (k->sink->meta)
                k->sink->meta(k->sink->ud, key, value);
}

/* The top level: catalogVersion, dateReleased, count and vulnerabilities are all required. */
static enum fp_err json_header(struct kev *k, const json_t *root, json_t **vulns)
{
        struct fp_diag d;
        const char *version, *released;
        char date[32];

        fp_diag_clear(&d);
        if (!json_is_object(root)) {
                fp_diag_set(k->diag, k->name, 0, "", "expected a JSON object (the KEV catalog)");
                return FP_EPARSE;
        }
        if (!fp_json_get_str(root, "catalogVersion", true, FP_MAX_ADVISORY_ID_LEN, &version, &d) ||
            !fp_json_get_str(root, "dateReleased", true, 64, &released, &d) ||
            !fp_json_get_array(root, "vulnerabilities", true, FP_MAX_FEED_RECORDS, vulns, &d))
                return json_fail(k, FP_EPARSE, &d);
        if (!fp_feed_meta_date(released, date)) {
                fp_diag_set(k->diag, k->name, 0, "dateReleased", "not a date: '%.64s'", released);
                return FP_EPARSE;
        }
        const json_t *count = json_object_get(root, "count");
        if (!json_is_integer(count) || json_integer_value(count) < 0) {
                fp_diag_set(k->diag, k->name, 0, "count", "required non-negative integer");
                return FP_EPARSE;
        }
        /* A cut-off or partly generated catalog must not replace a good one. */
        if ((json_int_t)json_array_size(*vulns) != json_integer_value(count)) {
                fp_diag_set(k->diag, k->name, 0, "count",
                            "catalog says %" JSON_INTEGER_FORMAT " entries but has %zu",
                            json_integer_value(count), json_array_size(*vulns));
                return FP_ECORRUPT;
        }
        if (json_array_size(*vulns) == 0) {
                fp_diag_set(k->diag, k->name, 0, "vulnerabilities", "catalog without entries");
                return FP_ECORRUPT;
        }
        meta(k, "catalogVersion", version);
        meta(k, "dateReleased", date);
        return FP_OK;
}

/* String members of one JSON entry into r; false (rejected) when one has the wrong type. */
static bool json_entry(struct kev *k, const json_t *v, struct kev_raw *r)
{
        static const struct {
                const char *key;
                size_t off;
        } members[] = {
            {"cveID", offsetof(struct kev_raw, cve)},
            {"vendorProject", offsetof(struct kev_raw, vendor)},
            {"product", offsetof(struct kev_raw, product)},
            {"vulnerabilityName", offsetof(struct kev_raw, name)},
            {"dateAdded", offsetof(struct kev_raw, date_added)},
            {"dueDate", offsetof(struct kev_raw, due_date)},
            {"knownRansomwareCampaignUse", offsetof(struct kev_raw, ransomware)},
        };
        struct fp_diag d;

        if (!json_is_object(v)) {
                reject(k, r, "", "expected an object");
                return false;
        }
        for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
                const char **slot = (const char **)((char *)r + members[i].off);
                fp_diag_clear(&d);
                if (!fp_json_get_str(v, members[i].key, false, KEV_MAX_TEXT, slot, &d)) {
                        /* r->cve, read first, names the entry when it is good. */
                        reject(k, r, members[i].key, "%s", d.msg);
                        return false;
                }
        }
        return true;
}

static enum fp_err parse_json(struct kev *k, const char *data, size_t len)
{
        enum fp_err err;
        json_t *vulns = NULL;
        json_t *root = fp_json_load(data, len, k->name, &err, k->diag);

        if (!root)
                return err;
        err = json_header(k, root, &vulns);
        for (size_t i = 0; err == FP_OK && i < json_array_size(vulns); i++) {
                struct kev_raw r = {.index = i};
                if (json_entry(k, json_array_get(vulns, i), &r))
                        err = deliver(k, &r);
        }
        json_decref(root);
        return err;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

enum { COL_CVE, COL_VENDOR, COL_PRODUCT, COL_NAME, COL_ADDED, COL_DUE, COL_RANSOM, COL__N };
static const char *const col_names[COL__N] = {
    "cveID",
    "vendorProject",
    "product",
    "vulnerabilityName",
    "dateAdded",
    "dueDate",
    "knownRansomwareCampaignUse",
};

static enum fp_err csv_header(struct kev *k, struct fp_csv *c, int cols[COL__N])
{
        enum fp_err err = fp_csv_next(c, k->diag);

        if (err != FP_OK)
                return err;
        if (c->nfields == 0) {
                fp_diag_set(k->diag, k->name, 0, "", "empty KEV catalog");
                return FP_ECORRUPT;
        }
        for (int i = 0; i < COL__N; i++) {
                cols[i] = fp_csv_column(c, col_names[i]);
                if (cols[i] < 0 && (i == COL_CVE || i == COL_ADDED || i == COL_DUE)) {
                        fp_diag_set(k->diag, k->name, c->rec_line, "",
                                    "header has no '%s' column (not the KEV catalog CSV?)",
                                    col_names[i]);
                        return FP_EPARSE;
                }
        }
        return FP_OK;
}

static const char *csv_field(const struct fp_csv *c, int col)
{
        if (col < 0 || !*c->fields[col])
                return NULL;
        return c->fields[col];
}

static enum fp_err csv_row(struct kev *k, const struct fp_csv *c, const int cols[COL__N],
                           size_t want)
{
        struct kev_raw r = {.line = c->rec_line, .index = k->entries - 1};

        if (c->nfields != want) {
                /* A last row cut short is what a truncated download looks like. */
                if (!c->rec_terminated) {
                        fp_diag_set(k->diag, k->name, c->rec_line, "",
                                    "last row has %zu fields, the header %zu: truncated file?",
                                    c->nfields, want);
                        return FP_ECORRUPT;
                }
                r.cve = c->nfields > (size_t)cols[COL_CVE] ? c->fields[cols[COL_CVE]] : NULL;
                reject(k, &r, "", "%zu fields, the header has %zu", c->nfields, want);
                return FP_OK;
        }
        r.cve = csv_field(c, cols[COL_CVE]);
        r.vendor = csv_field(c, cols[COL_VENDOR]);
        r.product = csv_field(c, cols[COL_PRODUCT]);
        r.name = csv_field(c, cols[COL_NAME]);
        r.date_added = csv_field(c, cols[COL_ADDED]);
        r.due_date = csv_field(c, cols[COL_DUE]);
        r.ransomware = csv_field(c, cols[COL_RANSOM]);
        return deliver(k, &r);
}

static enum fp_err parse_csv(struct kev *k, const char *data, size_t len)
{
        struct fp_csv c;
        int cols[COL__N];
        enum fp_err err = fp_csv_init(&c, data, len, k->name);

        if (err != FP_OK)
                goto out;
        if ((err = csv_header(k, &c, cols)) != FP_OK)
                goto out;
        size_t want = c.nfields;
        while ((err = fp_csv_next(&c, k->diag)) == FP_OK && c.nfields > 0) {
                if (++k->entries > FP_MAX_FEED_RECORDS) {
                        fp_diag_set(k->diag, k->name, c.rec_line, "", "more than %d entries",
                                    FP_MAX_FEED_RECORDS);
                        err = FP_ELIMIT;
                        goto out;
                }
                if ((err = csv_row(k, &c, cols, want)) != FP_OK)
                        goto out;
        }
        if (err == FP_OK && k->entries == 0) {
                fp_diag_set(k->diag, k->name, 0, "", "catalog without entries");
                err = FP_ECORRUPT;
        }
out:
        if (err == FP_ENOMEM && k->diag && !k->diag->msg[0])
                fp_diag_set(k->diag, k->name, 0, "", "out of memory");
        fp_csv_release(&c);
        return err;
}

enum fp_err fp_feed_parse_kev(const char *data, size_t len, const char *name,
                              const struct fp_feed_sink *sink, struct fp_diag *diag)
{
        struct kev k = {.name = name ? name : "", .sink = sink, .diag = diag};
        size_t i = 0;
        enum fp_err err;

        fp_diag_clear(diag);
        if (len > (size_t)FP_MAX_FEED_SIZE) {
                fp_diag_set(diag, k.name, 0, "",
                            "KEV catalog of %zu bytes exceeds the limit of %ld", len,
                            (long)FP_MAX_FEED_SIZE);
                return FP_ELIMIT;
        }
        while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
                i++;
        if (i == len) {
                fp_diag_set(diag, k.name, 0, "", "empty KEV catalog");
                return FP_ECORRUPT;
        }
        fp_cve_seen_init(&k.seen);
        err = data[i] == '{' ? parse_json(&k, data, len) : parse_csv(&k, data, len);
        fp_cve_seen_release(&k.seen);
        return err;
}
