/*
 * The store's dump (include/fleetpatch/store_dump.h): every table as JSON lines, written and
 * read through the statement driver, so one code moves a deployment between SQLite and
 * PostgreSQL in either direction. The tables and their order come from the migrations
 * (schema.c): creation order satisfies every foreign key.
 */
#include <jansson.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/store_dump.h"
#include "store/sql_int.h"

/* Rows per INSERT and its parameters: below SQLite's oldest limit (999). */
#define BATCH_ROWS 200
#define BATCH_PARAMS 900

/* ---- the schema's tables ---- */

static bool ident_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
}

/* The name after "CREATE TABLE [IF NOT EXISTS]" or "DROP TABLE [IF EXISTS]" at p. */
static size_t table_name_at(const char *p, const char *kw, char *out, size_t outsz)
{
        size_t k = strlen(kw);
        if (strncmp(p, kw, k))
                return 0;
        p += k;
        if (!strncmp(p, "IF NOT EXISTS ", 14))
                p += 14;
        else if (!strncmp(p, "IF EXISTS ", 10))
                p += 10;
        size_t n = 0;
        while (ident_char(p[n]))
                n++;
        if (!n || n >= outsz)
                return 0;
        memcpy(out, p, n);
        out[n] = 0;
        return n;
}

/* Parsed once: the migrations are constant. */
static char table_list[FP_DUMP_TABLES_MAX][FP_DUMP_NAME_MAX];
static size_t table_count;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void parse_tables(void)
{
        size_t n = 0;
        char name[FP_DUMP_NAME_MAX];
        for (size_t m = 0; m < sq_migrations_n; m++)
                for (const char *p = sq_migrations[m]; *p; p++) {
                        if (p != sq_migrations[m] && ident_char(p[-1]))
                                continue;
                        if (table_name_at(p, "CREATE TABLE ", name, sizeof(name))) {
                                if (n < FP_DUMP_TABLES_MAX)
                                        snprintf(table_list[n++], FP_DUMP_NAME_MAX, "%s", name);
                        } else if (table_name_at(p, "DROP TABLE ", name, sizeof(name))) {
                                for (size_t i = 0; i < n; i++)
                                        if (!strcmp(table_list[i], name)) {
                                                memmove(table_list[i], table_list[i + 1],
                                                        (n - i - 1) * sizeof(table_list[0]));
                                                n--;
                                                break;
                                        }
                        }
                }
        table_count = n;
}

int64_t fp_store_schema_version(void)
{
        return (int64_t)sq_migrations_n;
}

size_t fp_dump_tables(const char **names, size_t max)
{
        pthread_once(&tables_once, parse_tables);
        size_t n = table_count < max ? table_count : max;
        for (size_t i = 0; i < n; i++)
                names[i] = table_list[i];
        return n;
}

/* ---- digests ---- */

static void hex(const uint8_t *d, size_t n, char *out)
{
        static const char x[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = x[d[i] >> 4];
                out[2 * i + 1] = x[d[i] & 15];
        }
        out[2 * n] = 0;
}

static void digest_hex(struct sha256_ctx *c, char out[65])
{
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_digest(c, sizeof(d), d);
        hex(d, sizeof(d), out);
}

/* ---- export ---- */

/* Receives each line of a dump (without its "\n"). */
typedef enum fp_err (*sink_fn)(void *ctx, const char *line, size_t len, struct fp_diag *diag);

/* A table's columns in declaration order, and their declared kinds where known (SQ_T_*). */
struct cols {
        size_t n;
        char name[FP_DUMP_COLUMNS_MAX][FP_DUMP_NAME_MAX];
        int kind[FP_DUMP_COLUMNS_MAX];
};

static enum fp_err table_cols(struct fp_tx *tx, const char *table, struct cols *c,
                              struct fp_diag *diag)
{
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" LIMIT 0", table);
        struct sq_stmt *st = sq_prepare(tx, sql, false);
        if (!st)
                return sq_fail(tx, diag, table);
        int rc = sq_step(st);
        enum fp_err err = FP_OK;
        if (rc != SQ_DONE && rc != SQ_ROW)
                err = sq_fail(tx, diag, table);
        int n = err == FP_OK ? st->drv->col_count(st) : 0;
        if (err == FP_OK && (n <= 0 || n > FP_DUMP_COLUMNS_MAX)) {
                fp_diag_set(diag, NULL, 0, NULL, "table %s: %d columns (at most %d)", table, n,
                            FP_DUMP_COLUMNS_MAX);
                err = FP_ELIMIT;
        }
        c->n = 0;
        for (int i = 0; err == FP_OK && i < n; i++) {
                const char *name = st->drv->col_name(st, i);
                if (!name || strlen(name) >= FP_DUMP_NAME_MAX) {
                        fp_diag_set(diag, NULL, 0, NULL, "table %s: column %d has no usable name",
                                    table, i + 1);
                        err = FP_ELIMIT;
                        break;
                }
                snprintf(c->name[i], FP_DUMP_NAME_MAX, "%s", name);
                c->kind[i] = st->drv->col_type(st, i);
                c->n++;
        }
        sq_done(tx, st);
        return err;
}

/* "a","b",... or "a" NULLS FIRST,"b" NULLS FIRST,... into a malloc'd string. */
static char *col_list(const struct cols *c, const char *suffix)
{
        size_t cap = c->n * (FP_DUMP_NAME_MAX + strlen(suffix) + 4) + 1;
        char *s = malloc(cap);
        if (!s)
                return NULL;
        size_t o = 0;
        for (size_t i = 0; i < c->n; i++)
                o += (size_t)snprintf(s + o, cap - o, "%s\"%s\"%s", i ? "," : "", c->name[i],
                                      suffix);
        return s;
}

static enum fp_err emit_json(json_t *j, sink_fn sink, void *ctx, struct sha256_ctx *sha,
                             struct fp_diag *diag)
{
        if (!j)
                return FP_ENOMEM;
        char *line = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!line)
                return FP_ENOMEM;
        size_t len = strlen(line);
        if (sha) {
                sha256_update(sha, len, (const uint8_t *)line);
                sha256_update(sha, 1, (const uint8_t *)"\n");
        }
        enum fp_err err = sink ? sink(ctx, line, len, diag) : FP_OK;
        free(line);
        return err;
}

static enum fp_err export_table(struct fp_tx *tx, const char *table, sink_fn sink, void *ctx,
                                struct fp_dump_table *out, struct fp_diag *diag)
{
        struct cols *cp = calloc(1, sizeof(*cp));
        if (!cp)
                return FP_ENOMEM;
        enum fp_err err = table_cols(tx, table, cp, diag);
        char *names = err == FP_OK ? col_list(cp, "") : NULL;
        char *order = err == FP_OK ? col_list(cp, " NULLS FIRST") : NULL;
        char *sql = NULL;
        if (err == FP_OK && (!names || !order || !(sql = malloc(strlen(names) + strlen(order) + 96))))
                err = FP_ENOMEM;
        if (err == FP_OK) {
                sprintf(sql, "SELECT %s FROM \"%s\" ORDER BY %s", names, table, order);
                json_t *cols = json_array();
                for (size_t i = 0; cols && i < cp->n; i++)
                        json_array_append_new(cols, json_string(cp->name[i]));
                err = emit_json(json_pack("{s:s, s:o}", "table", table, "columns", cols), sink, ctx,
                                NULL, diag);
        }
        struct sq_stmt *st = err == FP_OK ? sq_prepare(tx, sql, false) : NULL;
        if (err == FP_OK && !st)
                err = sq_fail(tx, diag, table);
        struct sha256_ctx sha;
        sha256_init(&sha);
        int64_t rows = 0;
        while (err == FP_OK) {
                int rc = sq_step(st);
                if (rc == SQ_DONE)
                        break;
                if (rc != SQ_ROW) {
                        err = sq_fail(tx, diag, table);
                        break;
                }
                json_t *row = json_array();
                for (size_t i = 0; row && err == FP_OK && i < cp->n; i++) {
                        int t = st->drv->col_type(st, (int)i);
                        json_t *v = NULL;
                        if (t == SQ_T_NULL) {
                                v = json_null();
                        } else if (t == SQ_T_INT) {
                                v = json_integer(sq_col_int(st, (int)i));
                        } else if (t == SQ_T_TEXT) {
                                const char *s = sq_col_text(st, (int)i);
                                size_t n = sq_col_bytes(st, (int)i);
                                if (s && memchr(s, 0, n)) {
                                        fp_diag_set(diag, NULL, 0, cp->name[i],
                                                    "table %s: a text value holds a NUL byte", table);
                                        err = FP_EUNSUPPORTED;
                                } else if (!(v = json_stringn(s ? s : "", s ? n : 0))) {
                                        fp_diag_set(diag, NULL, 0, cp->name[i],
                                                    "table %s: a text value is not UTF-8", table);
                                        err = FP_EUNSUPPORTED;
                                }
                        } else {
                                fp_diag_set(diag, NULL, 0, cp->name[i],
                                            "table %s: a value that is neither integer, text nor"
                                            " NULL (real or blob)", table);
                                err = FP_EUNSUPPORTED;
                        }
                        if (err == FP_OK && (!v || json_array_append_new(row, v)))
                                err = FP_ENOMEM;
                }
                if (err != FP_OK || !row) {
                        json_decref(row);
                        err = err != FP_OK ? err : FP_ENOMEM;
                        break;
                }
                err = emit_json(row, sink, ctx, &sha, diag);
                rows++;
        }
        if (st)
                sq_done(tx, st);
        if (err == FP_OK) {
                snprintf(out->name, sizeof(out->name), "%s", table);
                out->rows = rows;
                digest_hex(&sha, out->sha256);
                err = emit_json(json_pack("{s:s, s:I, s:s}", "end", table, "rows", (json_int_t)rows,
                                          "sha256", out->sha256),
                                sink, ctx, NULL, diag);
        }
        free(sql);
        free(names);
        free(order);
        free(cp);
        return err;
}

static enum fp_err export_tx(struct fp_tx *tx, sink_fn sink, void *ctx,
                             struct fp_dump_summary *sum, struct fp_diag *diag)
{
        memset(sum, 0, sizeof(*sum));
        sum->schema = (int64_t)sq_migrations_n;
        snprintf(sum->engine, sizeof(sum->engine), "%s", fp_store_engine(tx->store));
        enum fp_err err = emit_json(json_pack("{s:i, s:I, s:s}", "fleetpatch_dump", FP_DUMP_FORMAT,
                                              "schema", (json_int_t)sum->schema, "engine",
                                              sum->engine),
                                    sink, ctx, NULL, diag);
        const char *tables[FP_DUMP_TABLES_MAX];
        size_t n = fp_dump_tables(tables, FP_DUMP_TABLES_MAX);
        for (size_t i = 0; err == FP_OK && i < n; i++) {
                err = export_table(tx, tables[i], sink, ctx, &sum->t[i], diag);
                sum->tables = i + 1;
        }
        return err;
}

static enum fp_err file_sink(void *ctx, const char *line, size_t len, struct fp_diag *diag)
{
        FILE *f = ctx;
        if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF) {
                fp_diag_set(diag, NULL, 0, NULL, "writing the dump failed");
                return FP_EIO;
        }
        return FP_OK;
}

enum fp_err fp_store_export(struct fp_store *s, FILE *out, struct fp_dump_summary *sum,
                            struct fp_diag *diag)
{
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(s, false, &tx, diag);
        if (err != FP_OK)
                return err;
        err = export_tx(tx, out ? file_sink : NULL, out, sum, diag);
        fp_tx_rollback(tx);
        if (err == FP_OK && out && fflush(out) != 0) {
                fp_diag_set(diag, NULL, 0, NULL, "writing the dump failed");
                err = FP_EIO;
        }
        return err;
}

/* ---- import ---- */

struct importer {
        struct fp_tx *tx; /* NULL: check only */
        const char *src;  /* for messages */
        unsigned long line;
        enum { IN_HEADER, IN_TABLES, IN_ROWS } state;
        const char *tables[FP_DUMP_TABLES_MAX];
        size_t ntables, cur;
        struct cols want; /* the target's columns (check only: the dump's) */
        int64_t rows;
        struct sha256_ctx sha;
        json_t *batch[BATCH_ROWS];
        size_t nbatch, batch_max;
        struct fp_dump_summary *sum;
};

#define BAD(imp, diag, ...)                                                                        \
        (fp_diag_set(diag, (imp)->src, (imp)->line, NULL, __VA_ARGS__), FP_EPARSE)

static enum fp_err flush_batch(struct importer *imp, struct fp_diag *diag)
{
        if (!imp->nbatch)
                return FP_OK;
        enum fp_err err = FP_OK;
        const char *table = imp->tables[imp->cur];
        size_t nc = imp->want.n;
        char *names = col_list(&imp->want, "");
        size_t cap = strlen(table) + (names ? strlen(names) : 0) + imp->nbatch * (nc * 2 + 4) + 64;
        char *sql = names ? malloc(cap) : NULL;
        if (!sql)
                err = FP_ENOMEM;
        if (err == FP_OK) {
                size_t o = (size_t)snprintf(sql, cap, "INSERT INTO \"%s\" (%s) VALUES ", table, names);
                for (size_t r = 0; r < imp->nbatch; r++) {
                        o += (size_t)snprintf(sql + o, cap - o, "%s(", r ? "," : "");
                        for (size_t c = 0; c < nc; c++)
                                o += (size_t)snprintf(sql + o, cap - o, c ? ",?" : "?");
                        o += (size_t)snprintf(sql + o, cap - o, ")");
                }
        }
        struct sq_stmt *st = err == FP_OK ? sq_prepare(imp->tx, sql, false) : NULL;
        if (err == FP_OK && !st)
                err = sq_fail(imp->tx, diag, table);
        for (size_t r = 0; err == FP_OK && st && r < imp->nbatch; r++)
                for (size_t c = 0; c < nc; c++) {
                        json_t *v = json_array_get(imp->batch[r], c);
                        int k = (int)(r * nc + c + 1);
                        if (json_is_integer(v))
                                sq_bind_int(st, k, json_integer_value(v));
                        else if (json_is_string(v))
                                sq_bind_text(st, k, json_string_value(v));
                        else if (imp->want.kind[c] == SQ_T_INT)
                                st->drv->bind_null_int(st, k);
                        else
                                sq_bind_text(st, k, NULL);
                }
        if (err == FP_OK && st && sq_step(st) != SQ_DONE) {
                char what[160];
                snprintf(what, sizeof(what), "%s: rows before line %lu", table, imp->line);
                err = sq_fail(imp->tx, diag, what);
        }
        if (st)
                sq_done(imp->tx, st);
        for (size_t r = 0; r < imp->nbatch; r++)
                json_decref(imp->batch[r]);
        imp->nbatch = 0;
        free(sql);
        free(names);
        return err;
}

static enum fp_err imp_header(struct importer *imp, json_t *j, struct fp_diag *diag)
{
        json_t *f = json_object_get(j, "fleetpatch_dump");
        if (!json_is_object(j) || !f)
                return BAD(imp, diag, "not a fleetpatch dump (no fleetpatch_dump header)");
        if (!json_is_integer(f) || json_integer_value(f) != FP_DUMP_FORMAT) {
                fp_diag_set(diag, imp->src, imp->line, NULL,
                            "dump format %s is not the one this program reads (%d)",
                            json_is_integer(f) ? "other" : "unknown", FP_DUMP_FORMAT);
                return FP_EUNSUPPORTED;
        }
        json_t *schema = json_object_get(j, "schema");
        if (!json_is_integer(schema))
                return BAD(imp, diag, "the header has no schema number");
        if (json_integer_value(schema) != (json_int_t)sq_migrations_n) {
                fp_diag_set(diag, imp->src, imp->line, NULL,
                            "the dump has schema %lld, this program %zu: open the source with a"
                            " fleetpatchd of the same version (fleetpatchd migrate) and export again",
                            (long long)json_integer_value(schema), sq_migrations_n);
                return FP_EUNSUPPORTED;
        }
        imp->sum->schema = json_integer_value(schema);
        json_t *engine = json_object_get(j, "engine");
        if (engine && !json_is_string(engine))
                return BAD(imp, diag, "the header's engine is not a string");
        snprintf(imp->sum->engine, sizeof(imp->sum->engine), "%s",
                 engine ? json_string_value(engine) : "");
        /* the target must be empty: any row in any table refuses it */
        for (size_t i = 0; imp->tx && i < imp->ntables; i++) {
                char sql[160];
                snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" LIMIT 1", imp->tables[i]);
                struct sq_stmt *st = sq_prepare(imp->tx, sql, false);
                if (!st)
                        return sq_fail(imp->tx, diag, imp->tables[i]);
                int rc = sq_step(st);
                enum fp_err err = rc == SQ_ROW    ? FP_EEXIST
                                  : rc == SQ_DONE ? FP_OK
                                                  : sq_fail(imp->tx, diag, imp->tables[i]);
                sq_done(imp->tx, st);
                if (err == FP_EEXIST)
                        fp_diag_set(diag, NULL, 0, NULL,
                                    "the target store is not empty (table %s has rows): an import"
                                    " goes into a new store only",
                                    imp->tables[i]);
                if (err != FP_OK)
                        return err;
        }
        imp->state = IN_TABLES;
        return FP_OK;
}

static enum fp_err imp_table(struct importer *imp, json_t *j, struct fp_diag *diag)
{
        if (imp->cur >= imp->ntables)
                return BAD(imp, diag, "more after the last table (%s)",
                           imp->ntables ? imp->tables[imp->ntables - 1] : "none");
        const char *want = imp->tables[imp->cur];
        json_t *name = json_object_get(j, "table");
        json_t *cols = json_object_get(j, "columns");
        if (!json_is_object(j) || !json_is_string(name) || !json_is_array(cols))
                return BAD(imp, diag, "expected the header of table %s ({\"table\":...,"
                                      "\"columns\":[...]})", want);
        if (strcmp(json_string_value(name), want))
                return BAD(imp, diag, "table %.64s where the schema has %s next", json_string_value(name),
                           want);
        size_t n = json_array_size(cols);
        if (n == 0 || n > FP_DUMP_COLUMNS_MAX)
                return BAD(imp, diag, "table %s: %zu columns (1 to FP_DUMP_COLUMNS_MAX = %d)", want, n,
                           FP_DUMP_COLUMNS_MAX);
        if (imp->tx) {
                enum fp_err err = table_cols(imp->tx, want, &imp->want, diag);
                if (err != FP_OK)
                        return err;
        } else {
                memset(&imp->want, 0, sizeof(imp->want));
                imp->want.n = n;
        }
        if (imp->want.n != n)
                return BAD(imp, diag, "table %s: %zu columns, this store's has %zu", want, n,
                           imp->want.n);
        for (size_t i = 0; i < n; i++) {
                const char *c = json_string_value(json_array_get(cols, i));
                if (!c || strlen(c) >= FP_DUMP_NAME_MAX)
                        return BAD(imp, diag, "table %s: column %zu is not a name", want, i + 1);
                if (!imp->tx)
                        snprintf(imp->want.name[i], FP_DUMP_NAME_MAX, "%s", c);
                else if (strcmp(c, imp->want.name[i]))
                        return BAD(imp, diag, "table %s: column %zu is %.64s, this store's is %s",
                                   want, i + 1, c, imp->want.name[i]);
        }
        imp->rows = 0;
        sha256_init(&imp->sha);
        imp->batch_max = BATCH_PARAMS / n;
        if (imp->batch_max > BATCH_ROWS)
                imp->batch_max = BATCH_ROWS;
        if (imp->batch_max < 1)
                imp->batch_max = 1;
        imp->state = IN_ROWS;
        return FP_OK;
}

static enum fp_err imp_row(struct importer *imp, json_t *j, struct fp_diag *diag)
{
        const char *table = imp->tables[imp->cur];
        if (json_array_size(j) != imp->want.n)
                return BAD(imp, diag, "table %s: a row of %zu values, the table has %zu columns",
                           table, json_array_size(j), imp->want.n);
        for (size_t c = 0; c < imp->want.n; c++) {
                json_t *v = json_array_get(j, c);
                int k = imp->want.kind[c];
                if (json_is_integer(v)) {
                        if (k == SQ_T_TEXT)
                                return BAD(imp, diag, "table %s, column %s: an integer for text",
                                           table, imp->want.name[c]);
                } else if (json_is_string(v)) {
                        if (k == SQ_T_INT)
                                return BAD(imp, diag, "table %s, column %s: text for an integer",
                                           table, imp->want.name[c]);
                } else if (!json_is_null(v)) {
                        return BAD(imp, diag,
                                   "table %s, column %s: neither an integer, a string nor null",
                                   table, imp->want.name[c]);
                }
        }
        char *canon = json_dumps(j, JSON_COMPACT);
        if (!canon)
                return FP_ENOMEM;
        sha256_update(&imp->sha, strlen(canon), (const uint8_t *)canon);
        sha256_update(&imp->sha, 1, (const uint8_t *)"\n");
        free(canon);
        imp->rows++;
        if (!imp->tx)
                return FP_OK;
        imp->batch[imp->nbatch++] = json_incref(j);
        return imp->nbatch >= imp->batch_max ? flush_batch(imp, diag) : FP_OK;
}

static enum fp_err imp_end(struct importer *imp, json_t *j, struct fp_diag *diag)
{
        const char *table = imp->tables[imp->cur];
        json_t *end = json_object_get(j, "end");
        json_t *rows = json_object_get(j, "rows");
        json_t *sha = json_object_get(j, "sha256");
        if (!json_is_string(end) || !json_is_integer(rows) || !json_is_string(sha))
                return BAD(imp, diag, "table %s: expected a row or the table's end"
                                      " ({\"end\":...,\"rows\":N,\"sha256\":...})", table);
        if (strcmp(json_string_value(end), table))
                return BAD(imp, diag, "the end of %.64s inside table %s", json_string_value(end),
                           table);
        char got[65];
        digest_hex(&imp->sha, got);
        if (json_integer_value(rows) != imp->rows) {
                fp_diag_set(diag, imp->src, imp->line, NULL,
                            "table %s: the dump says %lld rows, it holds %lld", table,
                            (long long)json_integer_value(rows), (long long)imp->rows);
                return FP_ECORRUPT;
        }
        if (strcmp(json_string_value(sha), got)) {
                fp_diag_set(diag, imp->src, imp->line, NULL,
                            "table %s: sha256 mismatch (the dump says %.64s, its rows give %s)",
                            table, json_string_value(sha), got);
                return FP_ECORRUPT;
        }
        enum fp_err err = imp->tx ? flush_batch(imp, diag) : FP_OK;
        if (err != FP_OK)
                return err;
        struct fp_dump_table *t = &imp->sum->t[imp->cur];
        snprintf(t->name, sizeof(t->name), "%s", table);
        t->rows = imp->rows;
        snprintf(t->sha256, sizeof(t->sha256), "%s", got);
        imp->sum->tables = ++imp->cur;
        imp->state = IN_TABLES;
        return FP_OK;
}

static enum fp_err imp_feed(void *ctx, const char *line, size_t len, struct fp_diag *diag)
{
        struct importer *imp = ctx;
        imp->line++;
        if (len > FP_DUMP_LINE_MAX)
                return BAD(imp, diag, "a line longer than FP_DUMP_LINE_MAX (%u bytes)",
                           FP_DUMP_LINE_MAX);
        json_error_t jerr;
        json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                return BAD(imp, diag, "not JSON: %s (column %d)", jerr.text, jerr.column);
        enum fp_err err;
        if (imp->state == IN_HEADER)
                err = imp_header(imp, j, diag);
        else if (imp->state == IN_TABLES)
                err = imp_table(imp, j, diag);
        else if (json_is_array(j))
                err = imp_row(imp, j, diag);
        else
                err = imp_end(imp, j, diag);
        json_decref(j);
        return err;
}

static void imp_init(struct importer *imp, struct fp_tx *tx, const char *src,
                     struct fp_dump_summary *sum)
{
        memset(imp, 0, sizeof(*imp));
        imp->tx = tx;
        imp->src = src ? src : "dump";
        imp->sum = sum;
        memset(sum, 0, sizeof(*sum));
        imp->ntables = fp_dump_tables(imp->tables, FP_DUMP_TABLES_MAX);
}

static void imp_free(struct importer *imp)
{
        for (size_t r = 0; r < imp->nbatch; r++)
                json_decref(imp->batch[r]);
        imp->nbatch = 0;
}

static enum fp_err imp_finish(struct importer *imp, struct fp_diag *diag)
{
        if (imp->state == IN_HEADER) {
                fp_diag_set(diag, imp->src, 0, NULL, "empty: not a fleetpatch dump");
                return FP_ECORRUPT;
        }
        if (imp->cur < imp->ntables) {
                fp_diag_set(diag, imp->src, imp->line, NULL, "the dump ends %s table %s (truncated)",
                            imp->state == IN_ROWS ? "inside" : "before", imp->tables[imp->cur]);
                return FP_ECORRUPT;
        }
        return FP_OK;
}

/* One line of in into *buf (without "\n"): 1, 0 at the end, or an error. */
static int read_line(FILE *in, char **buf, size_t *cap, size_t *len)
{
        size_t n = 0;
        int ch;
        while ((ch = getc_unlocked(in)) != EOF && ch != '\n') {
                if (n > FP_DUMP_LINE_MAX)
                        continue; /* counted as too long; skip to the line's end */
                if (n + 1 >= *cap) {
                        size_t nc = *cap ? *cap * 2 : 4096;
                        char *b = realloc(*buf, nc);
                        if (!b)
                                return -1;
                        *buf = b;
                        *cap = nc;
                }
                (*buf)[n++] = (char)ch;
        }
        if (ferror(in))
                return -2;
        *len = n;
        return ch == EOF && n == 0 ? 0 : 1;
}

static enum fp_err read_dump(struct importer *imp, FILE *in, struct fp_diag *diag)
{
        char *buf = NULL;
        size_t cap = 0, len = 0;
        enum fp_err err = FP_OK;
        for (;;) {
                int r = read_line(in, &buf, &cap, &len);
                if (r == 0)
                        break;
                if (r < 0) {
                        fp_diag_set(diag, imp->src, imp->line + 1, NULL, "%s",
                                    r == -1 ? "out of memory" : "read error");
                        err = r == -1 ? FP_ENOMEM : FP_EIO;
                        break;
                }
                if (memchr(buf, 0, len)) {
                        imp->line++;
                        err = BAD(imp, diag, "a NUL byte");
                        break;
                }
                if ((err = imp_feed(imp, buf, len, diag)) != FP_OK)
                        break;
        }
        free(buf);
        return err == FP_OK ? imp_finish(imp, diag) : err;
}

enum fp_err fp_dump_check(FILE *in, const char *name, struct fp_dump_summary *sum,
                          struct fp_diag *diag)
{
        struct importer *imp = malloc(sizeof(*imp));
        if (!imp)
                return FP_ENOMEM;
        imp_init(imp, NULL, name, sum);
        enum fp_err err = read_dump(imp, in, diag);
        imp_free(imp);
        free(imp);
        return err;
}

static bool same(const struct fp_dump_summary *a, const struct fp_dump_summary *b)
{
        if (a->tables != b->tables)
                return false;
        for (size_t i = 0; i < a->tables; i++)
                if (strcmp(a->t[i].name, b->t[i].name) || a->t[i].rows != b->t[i].rows ||
                    strcmp(a->t[i].sha256, b->t[i].sha256))
                        return false;
        return true;
}

/* After the rows: the engine's hook, the target exported again, commit when equal. */
static enum fp_err import_end(struct fp_tx *tx, const struct fp_dump_summary *src,
                              struct fp_dump_summary *dst, struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        if (tx->store->drv->after_import)
                err = tx->store->drv->after_import(tx, diag);
        if (err == FP_OK)
                err = export_tx(tx, NULL, NULL, dst, diag);
        if (err == FP_OK && !same(src, dst)) {
                fp_diag_set(diag, NULL, 0, NULL,
                            "verification: the imported store differs from the dump; nothing"
                            " was committed");
                err = FP_ECORRUPT;
        }
        if (err != FP_OK) {
                fp_tx_rollback(tx);
                return err;
        }
        return fp_tx_commit(tx, diag);
}

enum fp_err fp_store_import(struct fp_store *s, FILE *in, const char *name,
                            struct fp_dump_summary *src, struct fp_dump_summary *dst,
                            struct fp_diag *diag)
{
        memset(dst, 0, sizeof(*dst));
        struct importer *imp = malloc(sizeof(*imp));
        if (!imp)
                return FP_ENOMEM;
        struct fp_tx *tx;
        enum fp_err err = fp_store_begin(s, true, &tx, diag);
        if (err != FP_OK) {
                free(imp);
                return err;
        }
        imp_init(imp, tx, name, src);
        err = read_dump(imp, in, diag);
        imp_free(imp);
        free(imp);
        if (err != FP_OK) {
                fp_tx_rollback(tx);
                return err;
        }
        return import_end(tx, src, dst, diag);
}

enum fp_err fp_store_copy(struct fp_store *from, struct fp_store *to,
                          struct fp_dump_summary *src, struct fp_dump_summary *dst,
                          struct fp_diag *diag)
{
        memset(dst, 0, sizeof(*dst));
        struct importer *imp = malloc(sizeof(*imp));
        struct fp_dump_summary *out = malloc(sizeof(*out));
        if (!imp || !out) {
                free(imp);
                free(out);
                return FP_ENOMEM;
        }
        struct fp_tx *rtx = NULL, *wtx = NULL;
        enum fp_err err = fp_store_begin(from, false, &rtx, diag);
        if (err == FP_OK)
                err = fp_store_begin(to, true, &wtx, diag);
        if (err == FP_OK) {
                imp_init(imp, wtx, fp_store_engine(from), src);
                err = export_tx(rtx, imp_feed, imp, out, diag);
                if (err == FP_OK)
                        err = imp_finish(imp, diag);
                imp_free(imp);
        }
        if (rtx)
                fp_tx_rollback(rtx);
        free(imp);
        free(out);
        if (err != FP_OK) {
                if (wtx)
                        fp_tx_rollback(wtx);
                return err;
        }
        return import_end(wtx, src, dst, diag);
}

size_t fp_dump_report(FILE *out, const struct fp_dump_summary *src,
                      const struct fp_dump_summary *dst)
{
        size_t bad = 0;
        int64_t rows = 0;
        fprintf(out, "%-22s %10s  %-16s  %s\n", "table", "rows", "sha256", "target");
        size_t n = src->tables > dst->tables ? src->tables : dst->tables;
        for (size_t i = 0; i < n; i++) {
                const struct fp_dump_table *a = i < src->tables ? &src->t[i] : NULL;
                const struct fp_dump_table *b = i < dst->tables ? &dst->t[i] : NULL;
                bool eq = a && b && !strcmp(a->name, b->name) && a->rows == b->rows &&
                          !strcmp(a->sha256, b->sha256);
                bad += !eq;
                const struct fp_dump_table *t = a ? a : b;
                if (!t)
                        continue;
                rows += t->rows;
                if (eq)
                        fprintf(out, "%-22s %10lld  %-16.16s  equal\n", t->name, (long long)t->rows,
                                t->sha256);
                else if (a && b)
                        fprintf(out, "%-22s %10lld  %-16.16s  DIFFERS (%s: %lld rows, sha256 %.16s)\n",
                                a->name, (long long)a->rows, a->sha256, b->name,
                                (long long)b->rows, b->sha256);
                else
                        fprintf(out, "%-22s %10lld  %-16.16s  MISSING on the %s side\n", t->name,
                                (long long)t->rows, t->sha256, a ? "target" : "source");
        }
        if (bad)
                fprintf(out, "%zu of %zu tables differ\n", bad, n);
        else
                fprintf(out, "%zu tables, %lld rows: every table equal\n", n, (long long)rows);
        return bad;
}
