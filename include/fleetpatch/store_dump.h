/*
 * Engine-neutral export and import of a whole store (docs/server.md, "Moving from SQLite to
 * PostgreSQL"):
 * every table of the schema, in the order schema.c creates them, as JSON lines:
 *
 *   {"fleetpatch_dump":1,"schema":N,"engine":"sqlite"}
 *   {"table":"accounts","columns":["name","display","created"]}
 *   ["acme","Acme",1700000000]              one line per row: integer, string or null
 *   {"end":"accounts","rows":1,"sha256":"<hex>"}
 *   ... every table, the empty ones too ...
 *
 * Rows are ordered by every column (NULLs first, text bytewise), so two stores with the same
 * content give the same dump byte for byte whatever their engine. A table's sha256 covers its
 * row lines in the canonical form (compact JSON, each followed by "\n").
 *
 * An import runs in one transaction into an empty store (no row in any table), checks every
 * count and digest against the rows it read, then exports the target again inside that
 * transaction and commits only when every table's count and digest equal the dump's.
 */
#ifndef FLEETPATCH_STORE_DUMP_H
#define FLEETPATCH_STORE_DUMP_H

#include <stdint.h>
#include <stdio.h>

#include "fleetpatch/error.h"
#include "fleetpatch/store.h"

#define FP_DUMP_FORMAT 1
/* Named limits of an import: a longer line, more columns or tables are refused. */
#define FP_DUMP_LINE_MAX (64u * 1024 * 1024)
#define FP_DUMP_COLUMNS_MAX 128
#define FP_DUMP_TABLES_MAX 96
#define FP_DUMP_NAME_MAX 64

struct fp_dump_table {
        char name[FP_DUMP_NAME_MAX];
        int64_t rows;
        char sha256[65]; /* lowercase hex */
};

/* What a dump holds: its header and each table's count and digest. */
struct fp_dump_summary {
        int64_t schema;
        char engine[32];
        size_t tables;
        struct fp_dump_table t[FP_DUMP_TABLES_MAX];
};

/* This program's schema version: the number of migrations, which fp_store_open applies. */
int64_t fp_store_schema_version(void);

/* The tables of this program's schema in creation order; their count (at most max). */
size_t fp_dump_tables(const char **names, size_t max);

/* Writes the whole store to out (NULL: only the summary), in one read transaction. */
enum fp_err fp_store_export(struct fp_store *s, FILE *out, struct fp_dump_summary *sum,
                            struct fp_diag *diag);

/* Reads a dump (name: for messages) into s, which must be empty. src = what the dump says
 * (each table's count and digest, checked against its rows); dst = the target exported again
 * before commit (filled when the import got that far). FP_OK only when committed and equal;
 * FP_ECORRUPT when a table differs (nothing committed); FP_EEXIST when s is not empty. */
enum fp_err fp_store_import(struct fp_store *s, FILE *in, const char *name,
                            struct fp_dump_summary *src, struct fp_dump_summary *dst,
                            struct fp_diag *diag);

/* Export of from straight into an import to to (no file in between); src, dst as above. */
enum fp_err fp_store_copy(struct fp_store *from, struct fp_store *to,
                          struct fp_dump_summary *src, struct fp_dump_summary *dst,
                          struct fp_diag *diag);

/* Checks a dump without a store: format, limits, counts, digests. */
enum fp_err fp_dump_check(FILE *in, const char *name, struct fp_dump_summary *sum,
                          struct fp_diag *diag);

/* Prints "table rows digest match" per table of src against dst; the number of tables that
 * differ (a table missing on either side counts). */
size_t fp_dump_report(FILE *out, const struct fp_dump_summary *src,
                      const struct fp_dump_summary *dst);

#endif
