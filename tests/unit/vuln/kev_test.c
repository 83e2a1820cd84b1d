/* fp_feed_parse_kev (JSON and CSV) and the CSV splitter it shares with EPSS. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/reader.h"
#include "fleetpatch/vuln.h"
#include "feedtest.h"
#include "test.h"
#include "vuln/feeds/csv.h"

struct kev_copy {
        char *cve, *vendor, *product, *name;
        int64_t added, due;
        bool ransomware;
};

struct col {
        struct kev_copy *e;
        size_t n, cap;
        size_t rejects;
        char reject_id[64];
        struct fp_diag reject;
        char meta[512];
        size_t fail_at; /* the sink fails on this entry (1-based); 0 = never */
};

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

static enum fp_err on_kev(void *ud, const struct fp_kev_entry *e)
{
        struct col *c = ud;
        if (c->fail_at && c->n + 1 == c->fail_at)
                return FP_EIO;
        if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 64;
                c->e = realloc(c->e, c->cap * sizeof(*c->e));
        }
        c->e[c->n++] =
            (struct kev_copy){dup_or_null(e->cve),  dup_or_null(e->vendor), dup_or_null(e->product),
                              dup_or_null(e->name), e->date_added,          e->due_date,
                              e->ransomware};
        return FP_OK;
}

static void on_reject(void *ud, const char *id, const struct fp_diag *why)
{
        struct col *c = ud;
        c->rejects++;
        snprintf(c->reject_id, sizeof(c->reject_id), "%s", id);
        c->reject = *why;
}

static void on_meta(void *ud, const char *key, const char *value)
{
        struct col *c = ud;
        ft_meta_append(c->meta, sizeof(c->meta), key, value);
}

static void col_free(struct col *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->e[i].cve);
                free(c->e[i].vendor);
                free(c->e[i].product);
                free(c->e[i].name);
        }
        free(c->e);
        memset(c, 0, sizeof(*c));
}

static enum fp_err parse_n(struct col *c, const char *data, size_t len, struct fp_diag *d)
{
        struct fp_feed_sink sink = {.ud = c, .kev = on_kev, .reject = on_reject, .meta = on_meta};
        size_t fail_at = c->fail_at;
        col_free(c);
        c->fail_at = fail_at;
        return fp_feed_parse_kev(data, len, "kev-test", &sink, d);
}

static enum fp_err parse(struct col *c, const char *s, struct fp_diag *d)
{
        return parse_n(c, s, strlen(s), d);
}

static const struct kev_copy *find(const struct col *c, const char *cve)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->e[i].cve, cve) == 0)
                        return &c->e[i];
        return NULL;
}

static int64_t date(const char *s)
{
        int64_t t = 0;
        CHECK(fp_parse_date(s, &t));
        return t;
}

static bool same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ---- the real catalog --------------------------------------------------------------------- */

static void check_known(const struct col *c)
{
        const struct kev_copy *e = find(c, "CVE-2025-48384");
        CHECK(e != NULL);
        if (e) {
                CHECK_STR_EQ(e->vendor, "Git");
                CHECK_STR_EQ(e->product, "Git");
                CHECK_STR_EQ(e->name, "Git Link Following Vulnerability");
                CHECK_INT_EQ(e->added, date("2025-08-25"));
                CHECK_INT_EQ(e->due, date("2025-09-15"));
                CHECK(!e->ransomware);
        }
        e = find(c, "CVE-2021-44228");
        CHECK(e != NULL);
        if (e) {
                CHECK_STR_EQ(e->vendor, "Apache");
                CHECK_STR_EQ(e->product, "Log4j2");
                CHECK_STR_EQ(e->name, "Apache Log4j2 Remote Code Execution Vulnerability");
                CHECK_INT_EQ(e->added, date("2021-12-10"));
                CHECK_INT_EQ(e->due, date("2021-12-24"));
                CHECK(e->ransomware);
        }
        e = find(c, "CVE-2025-49704");
        CHECK(e != NULL);
        if (e) {
                CHECK_STR_EQ(e->vendor, "Microsoft");
                CHECK_STR_EQ(e->product, "SharePoint");
                CHECK_INT_EQ(e->added, date("2025-07-22"));
                CHECK_INT_EQ(e->due, date("2025-07-23"));
                CHECK(e->ransomware);
        }
        e = find(c, "CVE-2020-29583");
        CHECK(e && strcmp(e->product, "Multiple Products") == 0 && !e->ransomware);
        size_t known = 0;
        for (size_t i = 0; i < c->n; i++)
                known += c->e[i].ransomware;
        CHECK_INT_EQ(known, 293);
}

static void test_real(void)
{
        struct col j = {0}, v = {0};
        struct fp_diag d;
        char *json, *csv;
        size_t jlen, clen;

        CHECK_INT_EQ(fp_read_file(fp_test_shared_path("kev/known_exploited_vulnerabilities.json"),
                                  FP_MAX_FEED_SIZE, &json, &jlen, &d),
                     FP_OK);
        CHECK_INT_EQ(fp_read_file(fp_test_shared_path("kev/known_exploited_vulnerabilities.csv"),
                                  FP_MAX_FEED_SIZE, &csv, &clen, &d),
                     FP_OK);
        CHECK_INT_EQ(parse_n(&j, json, jlen, &d), FP_OK);
        CHECK_INT_EQ(j.n, 1404);
        CHECK_INT_EQ(j.rejects, 0);
        CHECK_STR_EQ(j.meta, "catalogVersion=2025.08.25;dateReleased=2025-08-25T17:04:19Z;");
        CHECK_INT_EQ(parse_n(&v, csv, clen, &d), FP_OK);
        CHECK_INT_EQ(v.n, 1404);
        CHECK_INT_EQ(v.rejects, 0);
        CHECK_STR_EQ(v.meta, "");
        /* Both forms of the same catalog give the same entries, in the same order. */
        size_t diff = 0;
        for (size_t i = 0; i < j.n && i < v.n; i++) {
                const struct kev_copy *a = &j.e[i], *b = &v.e[i];
                if (!same_str(a->cve, b->cve) || !same_str(a->vendor, b->vendor) ||
                    !same_str(a->product, b->product) || !same_str(a->name, b->name) ||
                    a->added != b->added || a->due != b->due || a->ransomware != b->ransomware) {
                        if (diff++ < 5)
                                fprintf(stderr, "JSON and CSV differ at %zu (%s)\n", i, a->cve);
                }
        }
        CHECK_INT_EQ(diff, 0);
        check_known(&j);
        check_known(&v);
        /* Real data: 15 entries of the first catalog (added 2021-11-03) carry the earlier
         * deadlines of emergency directives, so dueDate < dateAdded is legitimate. */
        size_t early = 0;
        for (size_t i = 0; i < j.n; i++) {
                CHECK(j.e[i].added > 0 && j.e[i].due > 0);
                early += j.e[i].due < j.e[i].added;
        }
        CHECK_INT_EQ(early, 15);

        /* Truncated downloads never pass for a whole catalog. */
        CHECK(parse_n(&j, json, jlen / 2, &d) != FP_OK);
        CHECK_INT_EQ(j.n, 0);
        CHECK_STR_EQ(d.file, "kev-test");
        /* CSV cut inside a quoted field, and inside an unquoted last field. */
        const char *mid = strstr(csv + clen / 2, ",\"");
        CHECK_INT_EQ(parse_n(&v, csv, (size_t)(mid - csv) + 5, &d), FP_ECORRUPT);
        const char *eol = memchr(csv + clen / 2, '\n', clen / 2);
        CHECK_INT_EQ(parse_n(&v, csv, (size_t)(eol - csv) - 2, &d), FP_ECORRUPT);
        const char *lastcomma = eol;
        while (*lastcomma != ',')
                lastcomma--;
        CHECK_INT_EQ(parse_n(&v, csv, (size_t)(lastcomma - csv), &d), FP_ECORRUPT);
        CHECK(strstr(d.msg, "truncated") != NULL);
        /* Cut exactly at a line end the CSV cannot tell (it has no count): a shorter catalog. */
        CHECK_INT_EQ(parse_n(&v, csv, (size_t)(eol - csv) + 1, &d), FP_OK);
        CHECK(v.n > 100 && v.n < 1404);

        /* count disagreeing with the entries: the catalog is refused before any entry. */
        char *p = strstr(json, "\"count\": 1404");
        CHECK(p != NULL);
        if (p) {
                memcpy(p, "\"count\": 1405", 13);
                CHECK_INT_EQ(parse_n(&j, json, jlen, &d), FP_ECORRUPT);
                CHECK_INT_EQ(j.n, 0);
                CHECK_STR_EQ(d.field, "count");
                CHECK(strstr(d.msg, "1405") && strstr(d.msg, "1404"));
                memcpy(p, "\"count\": 1404", 13);
        }

        /* A sink error stops the parse and is returned. */
        j.fail_at = 3;
        CHECK_INT_EQ(parse_n(&j, json, jlen, &d), FP_EIO);
        CHECK_INT_EQ(j.n, 2);
        CHECK(strstr(d.msg, "CVE-") != NULL);
        j.fail_at = 0;

        col_free(&j);
        col_free(&v);
        free(json);
        free(csv);
}

/* ---- the schema's required fields --------------------------------------------------------- */

static const char *const sample_entry =
    "{\"cveID\":\"CVE-2024-3400\",\"vendorProject\":\"Palo Alto Networks\","
    "\"product\":\"PAN-OS\",\"vulnerabilityName\":\"PAN-OS Command Injection\","
    "\"dateAdded\":\"2024-04-12\",\"shortDescription\":\"x\",\"requiredAction\":\"y\","
    "\"dueDate\":\"2024-04-19\",\"knownRansomwareCampaignUse\":\"Unknown\",\"notes\":\"\","
    "\"cwes\":[\"CWE-77\"]}";

static char *catalog_with(json_t *entry, const char *drop_top)
{
        json_t *root =
            json_pack("{s:s,s:s,s:i,s:[O]}", "catalogVersion", "2024.04.12", "dateReleased",
                      "2024-04-12T14:00:00.000Z", "count", 1, "vulnerabilities", entry);
        if (drop_top)
                json_object_del(root, drop_top);
        char *s = json_dumps(root, 0);
        json_decref(root);
        return s;
}

static void test_schema(void)
{
        struct col c = {0};
        struct fp_diag d;
        json_error_t jerr;
        json_t *schema = json_load_file(
            fp_test_shared_path("kev/known_exploited_vulnerabilities_schema.json"), 0, &jerr);
        CHECK(schema != NULL);
        if (!schema)
                return;
        json_t *vdef = json_object_get(json_object_get(schema, "$defs"), "vulnerability");
        json_t *props = json_object_get(vdef, "properties");
        /* Every member we read is one the schema defines. */
        static const char *const ours[] = {"cveID",
                                           "vendorProject",
                                           "product",
                                           "vulnerabilityName",
                                           "dateAdded",
                                           "dueDate",
                                           "knownRansomwareCampaignUse"};
        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
                CHECK_MSG(json_object_get(props, ours[i]) != NULL, "%s not in the schema", ours[i]);

        /* Each required member dropped in turn: what we need rejects the entry, the rest is
         * displayed text or text we do not keep. */
        size_t i;
        json_t *req;
        json_array_foreach(json_object_get(vdef, "required"), i, req)
        {
                const char *key = json_string_value(req);
                json_t *entry = json_loads(sample_entry, 0, &jerr);
                json_object_del(entry, key);
                char *doc = catalog_with(entry, NULL);
                json_decref(entry);
                CHECK_INT_EQ(parse(&c, doc, &d), FP_OK);
                bool needed = strcmp(key, "cveID") == 0 || strcmp(key, "dateAdded") == 0 ||
                              strcmp(key, "dueDate") == 0;
                CHECK_MSG(c.n == (needed ? 0u : 1u) && c.rejects == (needed ? 1u : 0u),
                          "without %s: %zu entries, %zu rejects", key, c.n, c.rejects);
                if (needed) {
                        char want[64];
                        snprintf(want, sizeof(want), "vulnerabilities[0].%s", key);
                        CHECK_STR_EQ(c.reject.field, want);
                }
                if (strcmp(key, "product") == 0 && c.n == 1)
                        CHECK(c.e[0].product == NULL &&
                              strcmp(c.e[0].vendor, "Palo Alto Networks") == 0);
                free(doc);
        }
        CHECK(i == 8);
        /* Each required top-level member dropped: not a catalog. */
        json_array_foreach(json_object_get(schema, "required"), i, req)
        {
                json_t *entry = json_loads(sample_entry, 0, &jerr);
                char *doc = catalog_with(entry, json_string_value(req));
                json_decref(entry);
                CHECK_MSG(parse(&c, doc, &d) == FP_EPARSE, "without %s: accepted",
                          json_string_value(req));
                CHECK_STR_EQ(d.field, json_string_value(req));
                CHECK_INT_EQ(c.n, 0);
                free(doc);
        }
        json_decref(schema);
        col_free(&c);
}

/* ---- bad entries, duplicates, odd shapes --------------------------------------------------- */

#define HEAD "{\"catalogVersion\":\"1\",\"dateReleased\":\"2024-01-01T00:00:00Z\","
#define E(cve, vendor, added, due, rw)                                                             \
        "{\"cveID\":\"" cve "\",\"vendorProject\":\"" vendor "\",\"product\":\"P\","               \
        "\"vulnerabilityName\":\"N\",\"dateAdded\":\"" added "\",\"dueDate\":\"" due "\","         \
        "\"knownRansomwareCampaignUse\":\"" rw "\"}"

static void test_json_entries(void)
{
        struct col c = {0};
        struct fp_diag d;

        /* A bad date rejects that entry only, naming it and the member. */
        CHECK_INT_EQ(parse(&c,
                           HEAD "\"count\":3,\"vulnerabilities\":[" E(
                               "CVE-2024-0001", "A", "2024-01-02", "2024-01-23",
                               "Known") "," E("CVE-2024-0002", "B", "2024-02-30", "2024-03-20",
                                              "Unknown") "," E("CVE-2024-0003", "C", "2024-01-02",
                                                               "2024-01-23", "known") "]}",
                           &d),
                     FP_OK);
        CHECK_INT_EQ(c.n, 2);
        CHECK_INT_EQ(c.rejects, 1);
        CHECK_STR_EQ(c.reject_id, "CVE-2024-0002");
        CHECK_STR_EQ(c.reject.field, "vulnerabilities[1].dateAdded");
        CHECK_STR_EQ(c.reject.file, "kev-test");
        CHECK(strstr(c.reject.msg, "2024-02-30") != NULL);
        CHECK(c.n == 2 && c.e[0].ransomware && c.e[1].ransomware);
        CHECK_STR_EQ(c.meta, "catalogVersion=1;dateReleased=2024-01-01T00:00:00Z;");

        /* Malformed ids: rejected with no id; a number where a string belongs. */
        static const char *const bad_ids[] = {"CVE-24-0001",
                                              "cve-2024-0001",
                                              "CVE-2024-001",
                                              "CVE-2024-00001x",
                                              " CVE-2024-0001",
                                              "CVE-2024-12345678901234567890",
                                              ""};
        for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
                char doc[1024];
                snprintf(doc, sizeof(doc),
                         HEAD "\"count\":1,\"vulnerabilities\":[{\"cveID\":\"%s\","
                              "\"dateAdded\":\"2024-01-02\",\"dueDate\":\"2024-01-03\"}]}",
                         bad_ids[i]);
                CHECK_INT_EQ(parse(&c, doc, &d), FP_OK);
                CHECK_MSG(c.n == 0 && c.rejects == 1, "id '%s' accepted", bad_ids[i]);
                CHECK_STR_EQ(c.reject_id, "");
        }
        CHECK_INT_EQ(parse(&c,
                           HEAD "\"count\":2,\"vulnerabilities\":[{\"cveID\":\"CVE-2024-1111\","
                                "\"product\":7,\"dateAdded\":\"2024-01-02\",\"dueDate\":"
                                "\"2024-01-03\"}, 42]}",
                           &d),
                     FP_OK);
        CHECK_INT_EQ(c.rejects, 2);
        CHECK_STR_EQ(c.reject.field, "vulnerabilities[1]");

        /* Duplicates: the first entry wins; the later one is rejected naming the first. */
        CHECK_INT_EQ(
            parse(&c,
                  HEAD "\"count\":3,\"vulnerabilities\":[" E(
                      "CVE-2024-0001", "First", "2024-01-05", "2024-01-26",
                      "Unknown") "," E("CVE-2024-0002", "Other", "2024-01-02", "2024-01-23",
                                       "Unknown") "," E("CVE-2024-0001", "Later", "2024-01-02",
                                                        "2024-01-23", "Known") "]}",
                  &d),
            FP_OK);
        CHECK_INT_EQ(c.n, 2);
        CHECK_STR_EQ(c.e[0].vendor, "First");
        CHECK(!c.e[0].ransomware);
        CHECK_INT_EQ(c.rejects, 1);
        CHECK_STR_EQ(c.reject_id, "CVE-2024-0001");
        CHECK(strstr(c.reject.msg, "vulnerabilities[0]") != NULL);

        /* Feed-level errors. */
        CHECK_INT_EQ(parse(&c, "", &d), FP_ECORRUPT);
        CHECK_INT_EQ(parse(&c, " \n\t", &d), FP_ECORRUPT);
        CHECK_INT_EQ(parse(&c, HEAD "\"count\":0,\"vulnerabilities\":[]}", &d), FP_ECORRUPT);
        CHECK_INT_EQ(parse(&c, HEAD "\"count\":\"1\",\"vulnerabilities\":[]}", &d), FP_EPARSE);
        CHECK_INT_EQ(parse(&c, HEAD "\"count\":-1,\"vulnerabilities\":[]}", &d), FP_EPARSE);
        CHECK_INT_EQ(parse(&c, HEAD "\"count\":1,\"vulnerabilities\":{}}", &d), FP_EPARSE);
        CHECK_INT_EQ(parse(&c,
                           "{\"catalogVersion\":\"1\",\"dateReleased\":\"yesterday\",\"count\":1,"
                           "\"vulnerabilities\":[" E("CVE-2024-0001", "A", "2024-01-02",
                                                     "2024-01-23", "Known") "]}",
                           &d),
                     FP_EPARSE);
        CHECK_STR_EQ(d.field, "dateReleased");
        /* A date we could not hand on in a form that parses again. */
        CHECK_INT_EQ(parse(&c,
                           "{\"catalogVersion\":\"1\",\"dateReleased\":\"0999-01-01\",\"count\":1,"
                           "\"vulnerabilities\":[" E("CVE-2024-0001", "A", "2024-01-02",
                                                     "2024-01-23", "Known") "]}",
                           &d),
                     FP_EPARSE);
        CHECK_INT_EQ(parse(&c, "{\"a\":1,\"a\":2}", &d), FP_EPARSE);
        CHECK_INT_EQ(parse(&c, "[1,2]", &d), FP_EPARSE); /* CSV path: no cveID column */
        CHECK_INT_EQ(c.n, 0);
        col_free(&c);
}

#define CSV_HEAD                                                                                   \
        "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction," \
        "dueDate,knownRansomwareCampaignUse,notes,cwes\n"

static void test_csv_entries(void)
{
        struct col c = {0};
        struct fp_diag d;

        /* Quoted text with commas, quotes and a line break; CRLF line ends; a bad date at line 4
         * (the quoted line break makes entry 1 two lines long); a short row; a duplicate. */
        CHECK_INT_EQ(parse(&c,
                           "\xef\xbb\xbf" CSV_HEAD
                           "CVE-2024-0001,\"Acme, \"\"Inc\"\"\",\"Road\nRunner\",Name,2024-01-02,"
                           "\"d, e\",a,2024-01-23,Known,,\"CWE-1, CWE-2\"\r\n"
                           "CVE-2024-0002,B,P,N,2024-13-01,d,a,2024-01-23,Unknown,,\r\n"
                           "CVE-2024-0003,B,P,N,2024-01-02,d,a\r\n"
                           "CVE-2024-0001,Later,P,N,2024-01-02,d,a,2024-01-23,Unknown,,\n"
                           "CVE-2024-0004,,,,2024-01-02,,,2024-01-23,,,",
                           &d),
                     FP_OK);
        CHECK_INT_EQ(c.n, 2);
        CHECK_INT_EQ(c.rejects, 3);
        if (c.n == 2) {
                CHECK_STR_EQ(c.e[0].vendor, "Acme, \"Inc\"");
                CHECK_STR_EQ(c.e[0].product, "Road\nRunner");
                CHECK(c.e[0].ransomware);
                CHECK_STR_EQ(c.e[1].cve, "CVE-2024-0004");
                CHECK(!c.e[1].vendor && !c.e[1].product && !c.e[1].name && !c.e[1].ransomware);
        }
        CHECK_STR_EQ(c.reject_id, "CVE-2024-0001");
        CHECK_INT_EQ(c.reject.line, 6);
        CHECK(strstr(c.reject.msg, "line 2") != NULL);

        /* One reject at a time, to see its line and field. */
        CHECK_INT_EQ(
            parse(&c, CSV_HEAD "CVE-2024-0002,B,P,N,2024-01-02,d,a,2024-1-23,Unknown,,\n", &d),
            FP_OK);
        CHECK_INT_EQ(c.rejects, 1);
        CHECK_INT_EQ(c.reject.line, 2);
        CHECK_STR_EQ(c.reject.field, "dueDate");
        CHECK_STR_EQ(c.reject_id, "CVE-2024-0002");
        CHECK_INT_EQ(parse(&c,
                           CSV_HEAD "CVE-2024-0002,B,P,N,2024-01-02,d,a,2024-01-23\n"
                                    "CVE-2024-0003,B,P,N,2024-01-02,d,a,2024-01-23,U,,\n",
                           &d),
                     FP_OK);
        CHECK_INT_EQ(c.n, 1);
        CHECK_INT_EQ(c.reject.line, 2);
        CHECK(strstr(c.reject.msg, "8 fields") != NULL);

        /* Columns in another order, extra columns, no ransomware column. */
        CHECK_INT_EQ(parse(&c,
                           "dueDate, CVEID ,extra,dateAdded\n2024-01-23,CVE-2024-0009,x,"
                           "2024-01-02\n",
                           &d),
                     FP_OK);
        CHECK(c.n == 1 && strcmp(c.e[0].cve, "CVE-2024-0009") == 0 && !c.e[0].vendor);

        /* Feed-level: no cveID column, header only, a syntax error (line and column). */
        CHECK_INT_EQ(parse(&c, "vendorProject,dateAdded,dueDate\nA,2024-01-02,2024-01-03\n", &d),
                     FP_EPARSE);
        CHECK(strstr(d.msg, "cveID") != NULL);
        CHECK_INT_EQ(parse(&c, CSV_HEAD, &d), FP_ECORRUPT);
        CHECK_INT_EQ(parse(&c,
                           CSV_HEAD "CVE-2024-0002,B,P,N,2024-01-02,d,a,2024-01-23,U,,\n"
                                    "CVE-2024-0003,B\"x,P,N,2024-01-02,d,a,2024-01-23,U,,\n",
                           &d),
                     FP_EPARSE);
        CHECK_INT_EQ(d.line, 3);
        CHECK(strstr(d.msg, "column 16") != NULL);
        col_free(&c);
}

/* ---- the CSV splitter ----------------------------------------------------------------------- */

static enum fp_err split(const char *s, char *out, size_t outsz, struct fp_diag *d)
{
        struct fp_csv c;
        enum fp_err err = fp_csv_init(&c, s, strlen(s), "t.csv");
        out[0] = '\0';
        while (err == FP_OK && (err = fp_csv_next(&c, d)) == FP_OK && c.nfields > 0) {
                size_t n = strlen(out);
                snprintf(out + n, outsz - n, "%lu:", c.rec_line);
                for (size_t i = 0; i < c.nfields; i++) {
                        n = strlen(out);
                        snprintf(out + n, outsz - n, "[%s]", c.fields[i]);
                }
                n = strlen(out);
                snprintf(out + n, outsz - n, "%s;", c.rec_terminated ? "" : "$");
        }
        fp_csv_release(&c);
        return err;
}

static void test_csv_splitter(void)
{
        char out[1024];
        struct fp_diag d = {0};

        CHECK_INT_EQ(split("a,b,c\n\n\"x\"\"y\",\"1,\n2\",\r\n,\nlast", out, sizeof(out), &d),
                     FP_OK);
        CHECK_STR_EQ(out, "1:[a][b][c];3:[x\"y][1,\n2][];5:[][];6:[last]$;");
        CHECK_INT_EQ(split("\"\"\n\"a\"\r\n", out, sizeof(out), &d), FP_OK);
        CHECK_STR_EQ(out, "1:[];2:[a];");
        CHECK_INT_EQ(split("a\rb,c\n", out, sizeof(out), &d), FP_OK);
        CHECK_STR_EQ(out, "1:[a\rb][c];");

        CHECK_INT_EQ(split("ok\nab\"c\n", out, sizeof(out), &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 2);
        CHECK_STR_EQ(d.file, "t.csv");
        CHECK(strstr(d.msg, "column 3") != NULL);
        CHECK_INT_EQ(split("\"a\nb\"c\n", out, sizeof(out), &d), FP_EPARSE);
        CHECK_INT_EQ(d.line, 2);
        CHECK(strstr(d.msg, "column 3") != NULL);
        CHECK_INT_EQ(split("a,\"b\nc", out, sizeof(out), &d), FP_ECORRUPT);
        CHECK_INT_EQ(d.line, 2);
        struct fp_csv c;
        CHECK_INT_EQ(fp_csv_init(&c, "a\0b\n", 4, "t"), FP_OK);
        CHECK_INT_EQ(fp_csv_next(&c, &d), FP_EPARSE);
        fp_csv_release(&c);

        /* A record of exactly the limit, and one byte more (also across a quoted line break). */
        char *big = malloc(FP_MAX_CSV_LINE_LEN + 16);
        memset(big, 'x', FP_MAX_CSV_LINE_LEN);
        big[FP_MAX_CSV_LINE_LEN] = '\n';
        CHECK_INT_EQ(fp_csv_init(&c, big, FP_MAX_CSV_LINE_LEN + 1, "t"), FP_OK);
        CHECK(fp_csv_next(&c, &d) == FP_OK && c.nfields == 1 &&
              strlen(c.fields[0]) == FP_MAX_CSV_LINE_LEN);
        fp_csv_release(&c);
        CHECK_INT_EQ(fp_csv_init(&c, big, FP_MAX_CSV_LINE_LEN + 1, "t"), FP_OK);
        big[0] = 'y';
        big[FP_MAX_CSV_LINE_LEN] = 'x';
        CHECK_INT_EQ(fp_csv_next(&c, &d), FP_ELIMIT);
        fp_csv_release(&c);
        big[0] = '"';
        big[100] = '\n';
        big[FP_MAX_CSV_LINE_LEN] = '"';
        CHECK_INT_EQ(fp_csv_init(&c, big, FP_MAX_CSV_LINE_LEN + 1, "t"), FP_OK);
        CHECK_INT_EQ(fp_csv_next(&c, &d), FP_ELIMIT);
        fp_csv_release(&c);
        /* Fields: the limit, and one more. */
        memset(big, ',', FP_CSV_MAX_FIELDS);
        CHECK_INT_EQ(fp_csv_init(&c, big, FP_CSV_MAX_FIELDS - 1, "t"), FP_OK);
        CHECK(fp_csv_next(&c, &d) == FP_OK && c.nfields == FP_CSV_MAX_FIELDS);
        fp_csv_release(&c);
        CHECK_INT_EQ(fp_csv_init(&c, big, FP_CSV_MAX_FIELDS, "t"), FP_OK);
        CHECK_INT_EQ(fp_csv_next(&c, &d), FP_ELIMIT);
        fp_csv_release(&c);
        free(big);

        CHECK(fp_feed_cve_valid("CVE-1999-0001"));
        CHECK(fp_feed_cve_valid("CVE-2024-1234567890123456789"));
        CHECK(!fp_feed_cve_valid("CVE-2024-12345678901234567890"));
        CHECK(!fp_feed_cve_valid("CVE-2024-123"));
        CHECK(!fp_feed_cve_valid("CVE-2024-1234 "));
        CHECK(!fp_feed_cve_valid(NULL));
}

int main(void)
{
        test_csv_splitter();
        test_json_entries();
        test_csv_entries();
        test_schema();
        test_real();
        return fp_test_finish();
}
