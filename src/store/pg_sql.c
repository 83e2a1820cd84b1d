/* The PostgreSQL engine's text rewrites (pg_sql.h): statements and migrations. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/util.h"
#include "store/pg_sql.h"

#define SQL_MAX ((size_t)64 << 20)

static bool word_at(const char *s, size_t i, const char *w)
{
        size_t n = strlen(w);
        if (strncmp(s + i, w, n))
                return false;
        bool before = i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_');
        bool after = !(isalnum((unsigned char)s[i + n]) || s[i + n] == '_');
        return before && after;
}

/* Length of the quoted run at s ('...' or "...", doubled quotes inside), 0 if none. */
static size_t quoted_len(const char *s)
{
        if (*s != '\'' && *s != '"')
                return 0;
        char q = *s;
        size_t i = 1;
        for (;;) {
                if (!s[i])
                        return i; /* unterminated: the server will say so */
                if (s[i] == q) {
                        if (s[i + 1] == q) {
                                i += 2;
                                continue;
                        }
                        return i + 1;
                }
                i++;
        }
}

/* The offset of the parenthesis closing the one at open, or strlen when none. */
static size_t closing_paren(const char *s, size_t open)
{
        int depth = 0;
        size_t i = open;
        while (s[i]) {
                size_t q = quoted_len(s + i);
                if (q) {
                        i += q;
                        continue;
                }
                if (s[i] == '(')
                        depth++;
                else if (s[i] == ')' && --depth == 0)
                        return i;
                i++;
        }
        return i;
}

/* The conflict target of each table written with INSERT OR REPLACE: its primary key, as
 * schema.c declares it. SQLite's REPLACE needs no target; PostgreSQL's upsert does. A
 * statement on a table missing here does not translate (pg_rewrite returns NULL), and
 * tests/unit/store/pg_sql_test.c rewrites every such statement of the store. */
static const struct {
        const char *table, *key;
} replace_keys[] = {
    {"host_tags", "host, key"},         {"host_installed", "host, name, arch"},
    {"comply_hosts", "host"},           {"comply_history", "host, since"},
    {"cr_updates", "cr, host, name, arch"}, {"rollout_hosts", "cr, host"},
    {"catchup_runs", "host"},           {"resolver_rules", "account"},
    {"job_snapshots", "job"},
};

static bool in_key(const char *key, const char *col, size_t n)
{
        for (const char *k = key; *k;) {
                size_t m = strcspn(k, ",");
                if (m == n && !strncmp(k, col, n))
                        return true;
                k += m;
                while (*k == ',' || *k == ' ')
                        k++;
        }
        return false;
}

/* At s + i: "INSERT OR REPLACE INTO t (c1, c2, ...)". Writes "INSERT INTO " to b, and to
 * tail the clause " ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c, ..." for the columns
 * outside the key (DO NOTHING when there are none); *used = the length of
 * "INSERT OR REPLACE INTO ". False when the statement is not of that form or t has no key. */
static bool replace_clause(struct fp_buf *b, const char *s, size_t i, size_t *used,
                           struct fp_buf *tail)
{
        static const char head[] = "INSERT OR REPLACE INTO ";
        if (strncmp(s + i, head, sizeof(head) - 1))
                return false;
        size_t t = i + sizeof(head) - 1, tn = 0;
        while (isalnum((unsigned char)s[t + tn]) || s[t + tn] == '_')
                tn++;
        const char *key = NULL;
        for (size_t k = 0; k < sizeof(replace_keys) / sizeof(replace_keys[0]); k++)
                if (strlen(replace_keys[k].table) == tn && !strncmp(replace_keys[k].table, s + t, tn))
                        key = replace_keys[k].key;
        size_t open = t + tn;
        while (s[open] == ' ')
                open++;
        if (!key || !tn || s[open] != '(' || tail->len)
                return false;
        size_t close = closing_paren(s, open);
        if (!s[close])
                return false;
        size_t nset = 0;
        if (fp_buf_addf(tail, " ON CONFLICT (%s) DO UPDATE SET ", key) != FP_OK)
                return false;
        for (size_t c = open + 1; c < close;) {
                while (c < close && (s[c] == ' ' || s[c] == ','))
                        c++;
                size_t n = 0;
                while (c + n < close && s[c + n] != ',' && s[c + n] != ' ')
                        n++;
                if (n && !in_key(key, s + c, n) &&
                    fp_buf_addf(tail, "%s%.*s = EXCLUDED.%.*s", nset++ ? ", " : "", (int)n, s + c,
                                (int)n, s + c) != FP_OK)
                        return false;
                c += n;
        }
        if (!nset) {
                fp_buf_release(tail);
                fp_buf_init(tail, SQL_MAX);
                if (fp_buf_addstr(tail, " ON CONFLICT DO NOTHING") != FP_OK)
                        return false;
        }
        *used = sizeof(head) - 1;
        return fp_buf_addstr(b, "INSERT INTO ") == FP_OK;
}

/* Rewrites s[from, to) into b; nested json_each calls are rewritten too. */
static bool rewrite_span(struct fp_buf *b, const char *s, size_t from, size_t to, int *maxp,
                         struct fp_buf *tail)
{
        size_t i = from;
        while (i < to) {
                size_t q = quoted_len(s + i);
                if (q) {
                        if (fp_buf_add(b, s + i, q) != FP_OK)
                                return false;
                        i += q;
                        continue;
                }
                if (s[i] == '?') {
                        size_t j = i + 1;
                        long n = 0;
                        while (j < to && isdigit((unsigned char)s[j]) && n <= PG_SQL_MAX_PARAMS)
                                n = n * 10 + (s[j++] - '0');
                        if (j == i + 1)
                                n = *maxp + 1;
                        if (n < 1 || n > PG_SQL_MAX_PARAMS)
                                return false;
                        if (n > *maxp)
                                *maxp = (int)n;
                        if (fp_buf_addf(b, "$%ld", n) != FP_OK)
                                return false;
                        i = j;
                        continue;
                }
                if (word_at(s, i, "INSERT") && !strncmp(s + i, "INSERT OR IGNORE", 16)) {
                        if (tail->len || fp_buf_addstr(tail, " ON CONFLICT DO NOTHING") != FP_OK ||
                            fp_buf_addstr(b, "INSERT") != FP_OK)
                                return false;
                        i += 16;
                        continue;
                }
                if (word_at(s, i, "INSERT") && !strncmp(s + i, "INSERT OR REPLACE", 17)) {
                        size_t used = 0;
                        if (!replace_clause(b, s, i, &used, tail))
                                return false;
                        i += used;
                        continue;
                }
                if (word_at(s, i, "LIMIT") && !strncmp(s + i, "LIMIT -1", 8) &&
                    !isdigit((unsigned char)s[i + 8])) {
                        if (fp_buf_addstr(b, "LIMIT ALL") != FP_OK)
                                return false;
                        i += 8;
                        continue;
                }
                if (word_at(s, i, "CAST") && s[i + 4] == '(') {
                        /* CAST(x AS BLOB), SQLite's way to count bytes: PostgreSQL's bytea */
                        size_t close = closing_paren(s, i + 4);
                        if (close < to && close >= i + 13 && !strncmp(s + close - 8, " AS BLOB", 8)) {
                                if (fp_buf_addstr(b, "convert_to(") != FP_OK ||
                                    !rewrite_span(b, s, i + 5, close - 8, maxp, tail) ||
                                    fp_buf_addstr(b, ", 'UTF8')") != FP_OK)
                                        return false;
                                i = close + 1;
                                continue;
                        }
                }
                if (word_at(s, i, "instr") && s[i + 5] == '(') {
                        /* instr(haystack, needle): strpos, same order and result */
                        if (fp_buf_addstr(b, "strpos") != FP_OK)
                                return false;
                        i += 5;
                        continue;
                }
                if (word_at(s, i, "json_each") && s[i + 9] == '(') {
                        size_t close = closing_paren(s, i + 9);
                        if (close > to)
                                close = to;
                        if (fp_buf_addstr(b, "json_array_elements_text((") != FP_OK ||
                            !rewrite_span(b, s, i + 10, close, maxp, tail) ||
                            fp_buf_addstr(b, ")::json)") != FP_OK)
                                return false;
                        i = close < to ? close + 1 : to;
                        continue;
                }
                if (fp_buf_addc(b, s[i]) != FP_OK)
                        return false;
                i++;
        }
        return true;
}

/* The offset of a RETURNING clause outside parentheses and quotes, or 0. */
static size_t top_level_returning(const char *s)
{
        int depth = 0;
        for (size_t i = 0; s[i];) {
                size_t q = quoted_len(s + i);
                if (q) {
                        i += q;
                        continue;
                }
                if (s[i] == '(')
                        depth++;
                else if (s[i] == ')')
                        depth--;
                else if (depth == 0 && word_at(s, i, "RETURNING"))
                        return i;
                i++;
        }
        return 0;
}

char *pg_rewrite(const char *sql, int *nparams)
{
        struct fp_buf b, tail;
        fp_buf_init(&b, SQL_MAX);
        fp_buf_init(&tail, SQL_MAX);
        int maxp = 0;
        if (!rewrite_span(&b, sql, 0, strlen(sql), &maxp, &tail)) {
                fp_buf_release(&b);
                fp_buf_release(&tail);
                return NULL;
        }
        if (tail.len) {
                /* the ON CONFLICT clause goes before RETURNING, else at the end */
                char *text = fp_buf_take(&b);
                char *clause = fp_buf_take(&tail);
                if (!text || !clause) {
                        free(text);
                        free(clause);
                        return NULL;
                }
                size_t ret = top_level_returning(text);
                size_t end = ret ? ret : strlen(text);
                while (end && (text[end - 1] == ';' || isspace((unsigned char)text[end - 1])))
                        end--;
                fp_buf_init(&b, SQL_MAX);
                bool ok = fp_buf_add(&b, text, end) == FP_OK && fp_buf_addstr(&b, clause) == FP_OK &&
                          (!ret || fp_buf_addf(&b, " %s", text + ret) == FP_OK);
                free(text);
                free(clause);
                if (!ok) {
                        fp_buf_release(&b);
                        return NULL;
                }
        }
        *nparams = maxp;
        char *out = fp_buf_take(&b);
        return out ? out : strdup("");
}

/* ---- migrations ---- */

/* CREATE TRIGGER name BEFORE event ON table BEGIN SELECT RAISE(ABORT, 'msg'); END at s (the
 * statement, up to and including END): appends PostgreSQL's equivalent; false when s is not
 * of that form. */
static bool trigger(struct fp_buf *b, const char *s, size_t *used)
{
        char name[64], when[8], event[8], table[64];
        int n = 0;
        if (sscanf(s, "CREATE TRIGGER %63[a-z_0-9] %7[A-Z] %7[A-Z] ON %63[a-z_0-9] BEGIN SELECT RAISE(ABORT, %n",
                   name, when, event, table, &n) != 4 || !n)
                return false;
        const char *msg = s + n;
        size_t mlen = quoted_len(msg);
        if (!mlen || msg[0] != '\'')
                return false;
        const char *tail = msg + mlen;
        const char *end = strstr(tail, "END");
        if (!end || strncmp(tail, ");", 2))
                return false;
        *used = (size_t)(end + 3 - s);
        return fp_buf_addf(b,
                           "CREATE FUNCTION %s_fn() RETURNS trigger LANGUAGE plpgsql AS $fn$"
                           " BEGIN RAISE EXCEPTION %.*s; END $fn$;"
                           "CREATE TRIGGER %s %s %s ON %s FOR EACH ROW EXECUTE FUNCTION %s_fn()",
                           name, (int)mlen, msg, name, when, event, table, name) == FP_OK;
}

char *pg_ddl(const char *sql)
{
        struct fp_buf b;
        fp_buf_init(&b, SQL_MAX);
        bool ok = true;
        for (size_t i = 0; ok && sql[i];) {
                size_t q = quoted_len(sql + i);
                size_t used = 0;
                if (q) {
                        ok = fp_buf_add(&b, sql + i, q) == FP_OK;
                        i += q;
                } else if (word_at(sql, i, "CREATE") && !strncmp(sql + i, "CREATE TRIGGER", 14)) {
                        ok = trigger(&b, sql + i, &used);
                        i += used;
                } else if (word_at(sql, i, "INTEGER") && !strncmp(sql + i, "INTEGER PRIMARY KEY", 19)) {
                        ok = fp_buf_addstr(&b, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") == FP_OK;
                        i += 19;
                } else if (word_at(sql, i, "INTEGER")) {
                        ok = fp_buf_addstr(&b, "BIGINT") == FP_OK;
                        i += 7;
                } else if (word_at(sql, i, "TEXT")) {
                        ok = fp_buf_addstr(&b, "TEXT COLLATE \"C\"") == FP_OK;
                        i += 4;
                } else if (word_at(sql, i, "WITHOUT") && !strncmp(sql + i, "WITHOUT ROWID", 13)) {
                        i += 13;
                } else {
                        ok = fp_buf_addc(&b, sql[i]) == FP_OK;
                        i++;
                }
        }
        if (!ok) {
                fp_buf_release(&b);
                return NULL;
        }
        char *out = fp_buf_take(&b);
        return out ? out : strdup("");
}
