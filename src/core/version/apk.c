/*
 * Alpine (apk) versions: validity and order of apk-tools 3 (number{.number}...{letter}
 * {_suffix{number}}...{~hash}{-r#}), plus the order osv-scalibr (the only Alpine oracle we have)
 * gives when one side is not a valid apk version.
 */
#include <stdint.h>
#include <string.h>

#include "fleetpatch/version.h"

static inline bool apk_isdigit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static inline bool apk_islower(unsigned char c)
{
        return c >= 'a' && c <= 'z';
}

static inline bool apk_ishex(unsigned char c)
{
        return apk_isdigit(c) || (c >= 'a' && c <= 'f');
}

static int apk_sign(int v)
{
        return (v > 0) - (v < 0);
}

/* Byte order of two ranges, shorter first on a common prefix (apk_blob_sort, Go strings). */
static int apk_bytecmp(const char *a, size_t alen, const char *b, size_t blen)
{
        int rc = memcmp(a, b, alen < blen ? alen : blen);

        if (rc)
                return apk_sign(rc);
        return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

/* ---- apk-tools tokenizer ----------------------------------------------------------------- */

/* Token kinds in the order they may follow each other; the order also decides ties. */
enum apk_tok {
        TOK_INITIAL_DIGIT,
        TOK_DIGIT,
        TOK_LETTER,
        TOK_SUFFIX,
        TOK_SUFFIX_NO,
        TOK_COMMIT_HASH,
        TOK_REVISION_NO,
        TOK_END,
        TOK_INVALID,
};

/* Suffix ranks: pre-releases below "no suffix", post-releases above it. */
enum { SUF_INVALID, SUF_ALPHA, SUF_BETA, SUF_PRE, SUF_RC, SUF_NONE, SUF_CVS, SUF_SVN, SUF_GIT,
       SUF_HG, SUF_P };

static const struct {
        const char *name;
        int rank;
} apk_suffixes[] = {
        {"alpha", SUF_ALPHA}, {"beta", SUF_BETA}, {"pre", SUF_PRE}, {"rc", SUF_RC},
        {"cvs", SUF_CVS},     {"svn", SUF_SVN},   {"git", SUF_GIT}, {"hg", SUF_HG},
        {"p", SUF_P},
};

struct apk_token {
        enum apk_tok kind;
        int suffix;
        uint64_t number; /* wraps modulo 2^64 like apk_blob_pull_uint() */
        const char *text;
        size_t len;
};

struct apk_cursor {
        const char *p;
        size_t n;
};

static void apk_take_digits(struct apk_token *t, struct apk_cursor *c)
{
        t->text = c->p;
        t->number = 0;
        while (c->n && apk_isdigit((unsigned char)*c->p)) {
                t->number = t->number * 10 + (uint64_t)(*c->p - '0');
                c->p++;
                c->n--;
        }
        t->len = (size_t)(c->p - t->text);
        if (t->len == 0)
                t->kind = TOK_INVALID;
}

static void apk_first(struct apk_token *t, struct apk_cursor *c)
{
        t->kind = TOK_INITIAL_DIGIT;
        apk_take_digits(t, c);
}

static int apk_suffix_rank(const char *s, size_t len)
{
        for (size_t i = 0; i < sizeof(apk_suffixes) / sizeof(apk_suffixes[0]); i++)
                if (strlen(apk_suffixes[i].name) == len && !memcmp(apk_suffixes[i].name, s, len))
                        return apk_suffixes[i].rank;
        return SUF_INVALID;
}

/* The next token; its kind must be allowed after the previous one or it is TOK_INVALID. */
static void apk_next(struct apk_token *t, struct apk_cursor *c)
{
        unsigned char ch;

        if (c->n == 0) {
                t->kind = TOK_END;
                return;
        }
        ch = (unsigned char)*c->p;
        if (apk_islower(ch)) {
                if (t->kind > TOK_DIGIT)
                        goto invalid;
                t->kind = TOK_LETTER;
                t->text = c->p;
                t->len = 1;
                c->p++;
                c->n--;
        } else if (ch == '.' || apk_isdigit(ch)) {
                if (ch == '.') {
                        if (t->kind > TOK_DIGIT)
                                goto invalid;
                        c->p++;
                        c->n--;
                }
                if (t->kind == TOK_INITIAL_DIGIT || t->kind == TOK_DIGIT)
                        t->kind = TOK_DIGIT;
                else if (t->kind == TOK_SUFFIX)
                        t->kind = TOK_SUFFIX_NO;
                else
                        goto invalid;
                apk_take_digits(t, c);
        } else if (ch == '_') {
                if (t->kind > TOK_SUFFIX_NO)
                        goto invalid;
                c->p++;
                c->n--;
                t->text = c->p;
                while (c->n && apk_islower((unsigned char)*c->p)) {
                        c->p++;
                        c->n--;
                }
                t->len = (size_t)(c->p - t->text);
                t->suffix = apk_suffix_rank(t->text, t->len);
                if (t->suffix == SUF_INVALID)
                        goto invalid;
                t->kind = TOK_SUFFIX;
        } else if (ch == '~') {
                if (t->kind >= TOK_COMMIT_HASH)
                        goto invalid;
                c->p++;
                c->n--;
                t->text = c->p;
                while (c->n && apk_ishex((unsigned char)*c->p)) {
                        c->p++;
                        c->n--;
                }
                t->len = (size_t)(c->p - t->text);
                if (t->len == 0)
                        goto invalid;
                t->kind = TOK_COMMIT_HASH;
        } else if (ch == '-') {
                if (t->kind >= TOK_REVISION_NO || c->n < 2 || c->p[1] != 'r')
                        goto invalid;
                c->p += 2;
                c->n -= 2;
                t->kind = TOK_REVISION_NO;
                apk_take_digits(t, c);
        } else {
                goto invalid;
        }
        return;
invalid:
        t->kind = TOK_INVALID;
}

static int apk_token_cmp(const struct apk_token *a, const struct apk_token *b)
{
        uint64_t x, y;

        switch (a->kind) {
        case TOK_DIGIT:
                /* A leading zero makes a fractional-like part: compare as text (Gentoo rule). */
                if (a->text[0] == '0' || b->text[0] == '0')
                        return apk_bytecmp(a->text, a->len, b->text, b->len);
                /* fallthrough */
        case TOK_INITIAL_DIGIT:
        case TOK_SUFFIX_NO:
        case TOK_REVISION_NO:
                x = a->number;
                y = b->number;
                break;
        case TOK_LETTER:
                x = (unsigned char)a->text[0];
                y = (unsigned char)b->text[0];
                break;
        case TOK_SUFFIX:
                x = (uint64_t)a->suffix;
                y = (uint64_t)b->suffix;
                break;
        default:
                return apk_bytecmp(a->text, a->len, b->text, b->len);
        }
        return x == y ? 0 : (x < y ? -1 : 1);
}

static bool apk_valid(const char *s, size_t n)
{
        struct apk_cursor c = {s, n};
        struct apk_token t = {0};

        for (apk_first(&t, &c); t.kind < TOK_END; apk_next(&t, &c))
                ;
        return t.kind == TOK_END;
}

/* apk_version_compare() of apk-tools 3 on two valid versions. */
static int apk_token_compare(const char *as, size_t an, const char *bs, size_t bn)
{
        struct apk_cursor ca = {as, an}, cb = {bs, bn};
        struct apk_token ta = {0}, tb = {0};

        for (apk_first(&ta, &ca), apk_first(&tb, &cb); ta.kind == tb.kind && ta.kind < TOK_END;
             apk_next(&ta, &ca), apk_next(&tb, &cb)) {
                int rc = apk_token_cmp(&ta, &tb);
                if (rc)
                        return rc;
        }
        if (ta.kind == tb.kind)
                return 0;
        /* Equal so far: the longer version is newer unless it goes on with a pre-release. */
        if (ta.kind == TOK_SUFFIX && ta.suffix < SUF_NONE)
                return -1;
        if (tb.kind == TOK_SUFFIX && tb.suffix < SUF_NONE)
                return 1;
        return ta.kind > tb.kind ? -1 : 1;
}

/* ---- order with invalid versions (osv-scalibr's structured reading) ---------------------- */

/*
 * apk-tools gives no useful order once a string stops being a version (3.x calls "a" and "b"
 * equal). osv-scalibr reads such strings field by field: a number prefix, one letter, every
 * "_suffix{digits}" match, a "~hash", "-r{digits}", and keeps what is left as a remainder.
 */
struct apk_loose {
        const char *s;
        size_t n;
        size_t num_end;     /* end of the number prefix "1.2.3." */
        int letter;         /* 0 = none */
        size_t suf_start;   /* where the suffix search starts */
        const char *build;  /* digits of -r, maybe empty */
        size_t build_len;
        bool has_remainder; /* something after all fields */
        bool invalid;       /* the leftover does not start with -r */
};

/* Weights of osv-scalibr: a missing suffix weighs like "cvs" (5). */
static int apk_loose_weight(int rank)
{
        static const int weight[] = {
                [SUF_ALPHA] = 0, [SUF_BETA] = 1, [SUF_PRE] = 2, [SUF_RC] = 3, [SUF_CVS] = 5,
                [SUF_SVN] = 6,   [SUF_GIT] = 7,  [SUF_HG] = 8,  [SUF_P] = 9,
        };
        return weight[rank];
}

/*
 * Next match of _(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*) at or after *pos (alternatives
 * tried in that order, digits greedy). Returns false when there is none.
 */
static bool apk_loose_next_suffix(const char *s, size_t n, size_t *pos, size_t *mstart,
                                  int *rank, const char **num, size_t *num_len)
{
        for (size_t i = *pos; i < n; i++) {
                if (s[i] != '_')
                        continue;
                for (size_t k = 0; k < sizeof(apk_suffixes) / sizeof(apk_suffixes[0]); k++) {
                        size_t l = strlen(apk_suffixes[k].name);
                        size_t e;

                        if (n - i - 1 < l || memcmp(s + i + 1, apk_suffixes[k].name, l) != 0)
                                continue;
                        e = i + 1 + l;
                        *num = s + e;
                        while (e < n && apk_isdigit((unsigned char)s[e]))
                                e++;
                        *num_len = (size_t)(s + e - *num);
                        *mstart = i;
                        *rank = apk_suffixes[k].rank;
                        *pos = e;
                        return true;
                }
        }
        return false;
}

static void apk_loose_parse(struct apk_loose *v, const char *s, size_t n)
{
        size_t p = 0, cur, pos, ms, nl;
        int rank;
        const char *num;

        v->s = s;
        v->n = n;
        while (p < n && apk_isdigit((unsigned char)s[p])) {
                while (p < n && apk_isdigit((unsigned char)s[p]))
                        p++;
                if (p < n && s[p] == '.')
                        p++;
        }
        v->num_end = p;
        v->letter = 0;
        if (p < n && apk_islower((unsigned char)s[p]))
                v->letter = (unsigned char)s[p++];
        v->suf_start = p;
        /* Matches that do not follow each other directly still count but are not consumed. */
        cur = p;
        pos = p;
        while (apk_loose_next_suffix(s, n, &pos, &ms, &rank, &num, &nl))
                if (ms == cur)
                        cur = pos;
        if (cur < n && s[cur] == '~' && cur + 1 < n && apk_ishex((unsigned char)s[cur + 1])) {
                cur++;
                while (cur < n && apk_ishex((unsigned char)s[cur]))
                        cur++;
        }
        v->build = NULL;
        v->build_len = 0;
        v->invalid = false;
        v->has_remainder = false;
        if (cur == n)
                return;
        if (n - cur >= 2 && s[cur] == '-' && s[cur + 1] == 'r') {
                cur += 2;
                v->build = s + cur;
                while (cur < n && apk_isdigit((unsigned char)s[cur]))
                        cur++;
                v->build_len = (size_t)(s + cur - v->build);
                v->has_remainder = cur < n;
                return;
        }
        v->invalid = true;
        v->has_remainder = true;
}

/* Decimal strings of any length by value (big integers in osv-scalibr). */
static int apk_numcmp(const char *a, size_t alen, const char *b, size_t blen)
{
        while (alen && *a == '0')
                a++, alen--;
        while (blen && *b == '0')
                b++, blen--;
        if (alen != blen)
                return alen < blen ? -1 : 1;
        return apk_sign(memcmp(a, b, alen));
}

/* The i-th number component of the prefix; false when there is none. */
static bool apk_loose_component(const struct apk_loose *v, size_t *pos, const char **d,
                                size_t *len)
{
        size_t p = *pos;

        if (p >= v->num_end || !apk_isdigit((unsigned char)v->s[p]))
                return false;
        *d = v->s + p;
        while (p < v->num_end && apk_isdigit((unsigned char)v->s[p]))
                p++;
        *len = (size_t)(v->s + p - *d);
        if (p < v->num_end && v->s[p] == '.')
                p++;
        *pos = p;
        return true;
}

static int apk_loose_compare(const struct apk_loose *a, const struct apk_loose *b)
{
        size_t pa = 0, pb = 0;
        int rc;

        if (a->invalid && b->invalid)
                return apk_bytecmp(a->s, a->n, b->s, b->n);

        for (unsigned long i = 0;; i++) {
                const char *da = "0", *db = "0";
                size_t la = 1, lb = 1;
                bool ha = apk_loose_component(a, &pa, &da, &la);
                bool hb = apk_loose_component(b, &pb, &db, &lb);

                if (!ha && !hb)
                        break;
                /* Later components with a leading zero compare as text, when both exist. */
                if (i > 0 && ha && hb && (da[0] == '0' || db[0] == '0'))
                        rc = apk_bytecmp(da, la, db, lb);
                else
                        rc = apk_numcmp(da, la, db, lb);
                if (rc)
                        return rc;
        }

        if (a->letter != b->letter)
                return a->letter < b->letter ? -1 : 1;

        {
                size_t sa = a->suf_start, sb = b->suf_start, ms;
                for (;;) {
                        int ra = 0, rb = 0, wa = 5, wb = 5;
                        const char *na = "0", *nb = "0";
                        size_t la = 1, lb = 1;
                        bool ha = apk_loose_next_suffix(a->s, a->n, &sa, &ms, &ra, &na, &la);
                        bool hb = apk_loose_next_suffix(b->s, b->n, &sb, &ms, &rb, &nb, &lb);

                        if (!ha && !hb)
                                break;
                        if (ha)
                                wa = apk_loose_weight(ra);
                        if (hb)
                                wb = apk_loose_weight(rb);
                        if (wa != wb)
                                return wa < wb ? -1 : 1;
                        rc = apk_numcmp(na, la, nb, lb);
                        if (rc)
                                return rc;
                }
        }

        rc = apk_numcmp(a->build ? a->build : "", a->build_len, b->build ? b->build : "",
                        b->build_len);
        if (rc)
                return rc;
        if (a->has_remainder != b->has_remainder)
                return a->has_remainder ? -1 : 1;
        return 0;
}

/* ---- public ------------------------------------------------------------------------------ */

bool fp_apk_version_valid(const char *s)
{
        return s && apk_valid(s, strlen(s));
}

int fp_apk_vercmp(const char *a, const char *b)
{
        size_t an = strlen(a), bn = strlen(b);
        struct apk_loose la, lb;

        if (apk_valid(a, an) && apk_valid(b, bn))
                return apk_token_compare(a, an, b, bn);
        apk_loose_parse(&la, a, an);
        apk_loose_parse(&lb, b, bn);
        return apk_loose_compare(&la, &lb);
}
