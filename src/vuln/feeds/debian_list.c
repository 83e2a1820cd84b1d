/*
 * data/DSA/list and data/DLA/list of the Debian security tracker:
 *
 *   [29 Mar 2023] DSA-5380-1 xorg-server - security update
 *           {CVE-2023-1393}
 *           [bullseye] - xorg-server 2:1.20.11-1+deb11u6
 *
 * A line starting with '[' in column 0 is a header; every other line belongs to the entry
 * above it, indented by tabs or spaces (both occur, old entries mix them):
 *
 *   {ID ID ...}                          aliases (CVE ids; several lines add up)
 *   [codename] - srcpkg VERSION          AFFECTED, fixed in VERSION (a valid Debian version)
 *   [codename] - srcpkg <marker>         see `markers` below
 *   ... optionally followed by "(...)": "bug #N" parts become references, urgency words
 *       ("medium", "high") the per-release severity, any other text the note
 *   NOTE: ...                            ignored
 *
 * Header ids are "DSA-NNNN-N", "DLA-NNNN-N", or before 2007 "DSA-NNN" without the revision;
 * the prefix must match the list's kind. The title is the text after the first " - " (or
 * " -- ", seen in 2002-2004 entries); headers without one ("DSA-1599-1 dbus",
 * "DSA-1452-1 wzdftpd denial of service") keep all of their text after the id.
 *
 * An entry without any release line (end-of-life and key-change notices, announcements) is
 * skipped through sink->skip. A malformed line rejects its entry (sink->reject with the line
 * number) and everything up to the next header is ignored. The input as a whole must begin
 * with a header line and hold at least one well-formed header; otherwise it is not a list
 * (an empty file is far more likely a failed download than a list without advisories).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/util.h"
#include "fleetpatch/version.h"
#include "fleetpatch/vuln.h"
#include "vuln/feeds/common.h"

/* Bytes of the title kept as the summary (cut at a UTF-8 character boundary). */
#define SUMMARY_MAX 1024
#define TRACKER_URL "https://security-tracker.debian.org/tracker/"
#define BUG_URL "https://bugs.debian.org/"

/* Release-line markers that stand where the fixed version would be. Others are rejected
 * (<removed>, <itp>, ... belong to data/CVE/list and have no meaning in an advisory). */
static const struct {
        const char *marker;
        enum fp_vuln_state state;
        const char *note; /* when the line gives no "(...)" text */
} markers[] = {
    {"<not-affected>", FP_VS_NOT_AFFECTED, NULL},
    {"<unfixed>", FP_VS_AFFECTED, NULL},
    /* The release lost security support before a fix: vulnerable, and stays so. */
    {"<end-of-life>", FP_VS_WONTFIX, "end-of-life"},
    {"<no-dsa>", FP_VS_NODSA, NULL},
    {"<postponed>", FP_VS_POSTPONED, NULL},
    {"<ignored>", FP_VS_WONTFIX, NULL},
    {"<undetermined>", FP_VS_UNDETERMINED, NULL},
};

struct list {
        const char *name;
        const char *prefix; /* "DSA-" or "DLA-" */
        enum fp_feed_kind kind;
        const struct fp_feed_sink *sink;
        unsigned long headers, good_headers;
        bool oom; /* an allocation failed: the parse stops with FP_ENOMEM */
        /* The entry being collected; `open` once a header was seen, `skipping` after a
         * reject until the next header. Strings live in the arena, freed per entry. */
        bool open, skipping;
        struct fp_arena arena;
        const char *id;
        int64_t published;
        const char *summary;
        enum fp_severity severity;
        const char **aliases;
        size_t naliases, aliases_cap;
        const char **refs;
        size_t nrefs, refs_cap;
        struct fp_vuln_affected *aff;
        size_t naff, aff_cap;
};

/* A view of one part of a line. */
struct span {
        const char *s;
        size_t n;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static struct span trim(struct span v)
{
        while (v.n > 0 && is_blank(*v.s)) {
                v.s++;
                v.n--;
        }
        while (v.n > 0 && is_blank(v.s[v.n - 1]))
                v.n--;
        return v;
}

/* The next blank-separated word of *v (advancing it); n == 0 at the end. */
static struct span next_word(struct span *v)
{
        struct span w;
        *v = trim(*v);
        w.s = v->s;
        w.n = 0;
        while (w.n < v->n && !is_blank(w.s[w.n]))
                w.n++;
        v->s += w.n;
        v->n -= w.n;
        return w;
}

static bool span_eq(struct span v, const char *lit)
{
        return v.n == strlen(lit) && memcmp(v.s, lit, v.n) == 0;
}

/*
 * Ids, aliases, package and release names: printable ASCII without blanks, bounded.
 * Kept private: a span, not a C string, and unlike fp_feed_valid_token it allows '/'.
 */
static bool valid_token(struct span v)
{
        if (v.n == 0 || v.n > FP_MAX_ADVISORY_ID_LEN)
                return false;
        for (size_t i = 0; i < v.n; i++)
                if ((unsigned char)v.s[i] <= 0x20 || (unsigned char)v.s[i] >= 0x7f)
                        return false;
        return true;
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
        size_t i = 0;
        while (i < n) {
                unsigned c = s[i];
                size_t len;
                unsigned min, cp;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if ((c & 0xe0) == 0xc0) {
                        len = 2, min = 0x80, cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        len = 3, min = 0x800, cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        len = 4, min = 0x10000, cp = c & 0x07;
                } else {
                        return false;
                }
                if (n - i < len)
                        return false;
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}

static const char *dup_span(struct list *l, struct span v)
{
        const char *s = fp_arena_strndup(&l->arena, v.s, v.n);
        if (!s)
                l->oom = true;
        return s;
}

/* ---- the entry being collected ------------------------------------------------------------ */

static void reject(struct list *l, const char *id, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Report the entry as broken (why, at which line) and ignore the rest of it. */
static void reject(struct list *l, const char *id, unsigned long line, const char *fmt, ...)
{
        struct fp_diag d;
        va_list ap;
        fp_diag_set(&d, l->name, line, "", "%s", "");
        va_start(ap, fmt);
        vsnprintf(d.msg, sizeof(d.msg), fmt, ap);
        va_end(ap);
        if (l->sink->reject)
                l->sink->reject(l->sink->ud, id ? id : "", &d);
        l->skipping = true;
}

static bool add_ref(struct list *l, const char *url)
{
        for (size_t i = 0; i < l->nrefs; i++)
                if (strcmp(l->refs[i], url) == 0)
                        return true;
        if (l->nrefs >= FP_MAX_REFS)
                return false;
        if (!fp_feed_grow((void **)&l->refs, &l->refs_cap, l->nrefs + 1, sizeof(*l->refs))) {
                l->oom = true;
                return false;
        }
        l->refs[l->nrefs++] = url;
        return true;
}

static void start_entry(struct list *l)
{
        fp_arena_release(&l->arena);
        fp_arena_init(&l->arena);
        l->open = true;
        l->skipping = false;
        l->id = NULL;
        l->published = 0;
        l->summary = NULL;
        l->severity = FP_SEV_UNKNOWN;
        l->naliases = l->nrefs = l->naff = 0;
}

/* Emit (or skip) the entry collected so far. */
static enum fp_err finish_entry(struct list *l)
{
        if (!l->open || l->skipping)
                return FP_OK;
        l->open = false;
        if (l->naff == 0) {
                if (l->sink->skip)
                        l->sink->skip(l->sink->ud, l->id,
                                      "no release line (a notice, not a package fix)");
                return FP_OK;
        }
        const struct fp_vuln_advisory adv = {
            .id = l->id,
            .kind = l->kind,
            .aliases = l->aliases,
            .naliases = l->naliases,
            .summary = l->summary,
            .severity = l->severity,
            .cvss_score = -1.0,
            .published = l->published,
            .refs = l->refs,
            .nrefs = l->nrefs,
            .affected = l->aff,
            .naffected = l->naff,
        };
        return l->sink->advisory ? l->sink->advisory(l->sink->ud, &adv) : FP_OK;
}

/* ---- header lines ------------------------------------------------------------------------ */

/* "dd Mon yyyy" (day with one or two digits) to Unix seconds at 00:00 UTC. */
static bool parse_header_date(struct span v, int64_t *out)
{
        static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        struct span day = next_word(&v), mon = next_word(&v), year = next_word(&v);
        char buf[16];
        if (v.n != 0 || day.n < 1 || day.n > 2 || mon.n != 3 || year.n != 4)
                return false;
        for (size_t i = 0; i < day.n; i++)
                if (day.s[i] < '0' || day.s[i] > '9')
                        return false;
        for (int m = 0; m < 12; m++) {
                if (strncasecmp(months + 3 * m, mon.s, 3) != 0)
                        continue;
                snprintf(buf, sizeof(buf), "%.4s-%02d-%s%.*s", year.s, m + 1, day.n == 1 ? "0" : "",
                         (int)day.n, day.s);
                return fp_parse_date(buf, out);
        }
        return false;
}

/* PREFIX digits, optionally "-" digits ("DSA-141", "DSA-5380-1"). */
static bool valid_id(const struct list *l, struct span v)
{
        size_t p = strlen(l->prefix), i = p, digits = 0;
        if (v.n <= p || v.n > 32 || memcmp(v.s, l->prefix, p) != 0)
                return false;
        for (int part = 0; part < 2; part++) {
                digits = 0;
                while (i < v.n && v.s[i] >= '0' && v.s[i] <= '9') {
                        i++;
                        digits++;
                }
                if (digits == 0)
                        return false;
                if (i == v.n)
                        return true;
                if (part == 0 && v.s[i] != '-')
                        return false;
                i++;
        }
        return false;
}

/* The title after the package names: past the first " - " or " -- ". */
static struct span header_title(struct span rest)
{
        /* "DSA-1099-1 - horde2 - ...", "DSA-1727-1  - SQL injection ...": a stray dash. */
        rest = trim(rest);
        if (rest.n >= 2 && rest.s[0] == '-' && rest.s[1] == ' ')
                rest = trim((struct span){rest.s + 2, rest.n - 2});
        for (size_t i = 0; i + 2 < rest.n; i++) {
                if (rest.s[i] != ' ' || rest.s[i + 1] != '-')
                        continue;
                size_t j = i + 2;
                if (rest.s[j] == '-')
                        j++;
                if (j < rest.n && rest.s[j] == ' ')
                        return trim((struct span){rest.s + j, rest.n - j});
        }
        return trim(rest);
}

static void set_summary(struct list *l, struct span title)
{
        if (title.n == 0)
                return;
        if (title.n > SUMMARY_MAX) {
                title.n = SUMMARY_MAX;
                while (title.n > 0 && ((unsigned char)title.s[title.n] & 0xc0) == 0x80)
                        title.n--;
        }
        l->summary = dup_span(l, title);
}

static void parse_header(struct list *l, struct span line, unsigned long lineno)
{
        start_entry(l);
        if (++l->headers > FP_MAX_FEED_RECORDS)
                return; /* the caller stops with FP_ELIMIT */
        const char *close = memchr(line.s, ']', line.n);
        if (!close) {
                reject(l, NULL, lineno, "header without ']' after the date");
                return;
        }
        struct span date = {line.s + 1, (size_t)(close - line.s) - 1};
        struct span rest = {close + 1, line.n - (size_t)(close - line.s) - 1};
        struct span id = next_word(&rest);
        if (!valid_id(l, id)) {
                reject(l, NULL, lineno, "header id '%.*s' is not an advisory id of this list",
                       (int)(id.n < 32 ? id.n : 32), id.s);
                return;
        }
        l->id = dup_span(l, id);
        if (!l->id)
                return;
        if (!parse_header_date(date, &l->published)) {
                reject(l, l->id, lineno, "header date is not '[dd Mon yyyy]'");
                return;
        }
        set_summary(l, header_title(rest));
        char url[sizeof(TRACKER_URL) + 32];
        snprintf(url, sizeof(url), TRACKER_URL "%s", l->id);
        const char *u = dup_span(l, (struct span){url, strlen(url)});
        if (u)
                (void)add_ref(l, u); /* the first reference: cannot exceed the limit */
        l->good_headers++;
}

/* ---- body lines -------------------------------------------------------------------------- */

static void parse_aliases(struct list *l, struct span v, unsigned long lineno)
{
        if (v.n < 2 || v.s[v.n - 1] != '}') {
                reject(l, l->id, lineno, "alias line without closing '}'");
                return;
        }
        v.s++;
        v.n -= 2;
        for (struct span w = next_word(&v); w.n > 0 && !l->oom; w = next_word(&v)) {
                if (!valid_token(w)) {
                        reject(l, l->id, lineno, "bad alias in '{...}'");
                        return;
                }
                bool dup = false;
                for (size_t i = 0; i < l->naliases && !dup; i++)
                        dup = strlen(l->aliases[i]) == w.n && memcmp(l->aliases[i], w.s, w.n) == 0;
                if (dup)
                        continue;
                if (l->naliases >= FP_MAX_ALIASES) {
                        reject(l, l->id, lineno, "more than %d aliases", FP_MAX_ALIASES);
                        return;
                }
                if (!fp_feed_grow((void **)&l->aliases, &l->aliases_cap, l->naliases + 1,
                                  sizeof(*l->aliases))) {
                        l->oom = true;
                        return;
                }
                const char *a = dup_span(l, w);
                if (a)
                        l->aliases[l->naliases++] = a;
        }
}

/* "bug #N" */
static bool is_bug_ref(struct span v)
{
        if (v.n <= 5 || v.n > 20 || memcmp(v.s, "bug #", 5) != 0)
                return false;
        for (size_t i = 5; i < v.n; i++)
                if (v.s[i] < '0' || v.s[i] > '9')
                        return false;
        return true;
}

/*
 * The "(...)" after a release line: "bug #N" parts become references, urgency words the
 * severity; if anything else is said, the whole text is the note.
 */
static bool parse_paren(struct list *l, struct span v, struct fp_vuln_affected *a)
{
        bool other = false;
        struct span inner = trim((struct span){v.s + 1, v.n - 2});
        const char *p = inner.s, *end = inner.s + inner.n;
        while (p < end && !l->oom) {
                const char *semi = memchr(p, ';', (size_t)(end - p));
                struct span part = trim((struct span){p, (size_t)((semi ? semi : end) - p)});
                char word[32];
                enum fp_severity sev;
                p = semi ? semi + 1 : end;
                if (is_bug_ref(part)) {
                        char url[64];
                        snprintf(url, sizeof(url), BUG_URL "%.*s", (int)part.n - 5, part.s + 5);
                        const char *u = dup_span(l, (struct span){url, strlen(url)});
                        if (u && !add_ref(l, u) && !l->oom)
                                return false;
                        continue;
                }
                snprintf(word, sizeof(word), "%.*s", (int)(part.n < 31 ? part.n : 31), part.s);
                if (part.n < 31 && fp_severity_parse(word, &sev)) {
                        if (sev > a->severity)
                                a->severity = sev;
                        continue;
                }
                other = true;
        }
        if (other && inner.n > 0)
                a->note = dup_span(l, inner);
        return true;
}

/* "[codename] - srcpkg VERSION|<marker> [(...)]" */
static void parse_release(struct list *l, struct span v, unsigned long lineno)
{
        const char *close = memchr(v.s, ']', v.n);
        if (!close) {
                reject(l, l->id, lineno, "release line without ']'");
                return;
        }
        struct span rel = {v.s + 1, (size_t)(close - v.s) - 1};
        struct span rest = {close + 1, v.n - (size_t)(close - v.s) - 1};
        struct span dash = next_word(&rest), pkg = next_word(&rest), what = next_word(&rest);
        rest = trim(rest);
        if (!valid_token(rel) || !span_eq(dash, "-") || !valid_token(pkg) || what.n == 0 ||
            what.s[0] == '(' ||
            (rest.n > 0 && (rest.n < 2 || rest.s[0] != '(' || rest.s[rest.n - 1] != ')'))) {
                reject(l, l->id, lineno,
                       "release line is not '[codename] - package version|<marker> [(...)]'");
                return;
        }
        struct fp_vuln_affected a = {.distro = "debian", .source = true};
        if (what.s[0] == '<') {
                size_t i = 0, nm = sizeof(markers) / sizeof(markers[0]);
                while (i < nm && !span_eq(what, markers[i].marker))
                        i++;
                if (i == nm) {
                        reject(l, l->id, lineno, "unknown marker %.*s",
                               (int)(what.n < 32 ? what.n : 32), what.s);
                        return;
                }
                a.state = markers[i].state;
                a.note = markers[i].note;
        } else {
                struct fp_debver dv;
                struct fp_diag vd;
                fp_diag_clear(&vd);
                if (fp_deb_version_parse(what.s, what.n, &dv, &vd) == FP_VERSION_ERROR) {
                        reject(l, l->id, lineno, "fixed version: %s", vd.msg);
                        return;
                }
                a.state = FP_VS_AFFECTED;
                a.fixed = dup_span(l, what);
        }
        if (rest.n > 0 && !parse_paren(l, rest, &a)) {
                reject(l, l->id, lineno, "more than %d references", FP_MAX_REFS);
                return;
        }
        if (l->naff >= FP_MAX_AFFECTED) {
                reject(l, l->id, lineno, "more than %d release lines", FP_MAX_AFFECTED);
                return;
        }
        if (!fp_feed_grow((void **)&l->aff, &l->aff_cap, l->naff + 1, sizeof(*l->aff))) {
                l->oom = true;
                return;
        }
        a.release = dup_span(l, rel);
        a.package = dup_span(l, pkg);
        if (a.severity > l->severity)
                l->severity = a.severity;
        l->aff[l->naff++] = a;
}

static void parse_body(struct list *l, struct span line, unsigned long lineno)
{
        struct span v = trim(line);
        if (v.n >= 5 && memcmp(v.s, "NOTE:", 5) == 0)
                return;
        if (v.s[0] == '{')
                parse_aliases(l, v, lineno);
        else if (v.s[0] == '[')
                parse_release(l, v, lineno);
        else
                reject(l, l->id, lineno, "unrecognized line in an advisory entry");
}

/* ---- the list ------------------------------------------------------------------------------ */

/* Control characters (other than tab) and broken UTF-8 make a line malformed. */
static bool line_chars_ok(struct span v)
{
        for (size_t i = 0; i < v.n; i++) {
                unsigned char c = (unsigned char)v.s[i];
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return false;
        }
        return valid_utf8((const unsigned char *)v.s, v.n);
}

static void parse_line(struct list *l, struct span line, unsigned long lineno)
{
        bool ok = line.n <= FP_MAX_LINE_LEN && line_chars_ok(line);
        if (line.s[0] == '[') {
                if (ok)
                        parse_header(l, line, lineno);
                else {
                        start_entry(l);
                        l->headers++;
                        reject(l, NULL, lineno,
                               "header line too long or with control characters or bad UTF-8");
                }
        } else if (!l->skipping) {
                if (ok)
                        parse_body(l, line, lineno);
                else
                        reject(l, l->id, lineno,
                               "line too long or with control characters or bad UTF-8");
        }
}

static enum fp_err parse_lines(struct list *l, const char *data, size_t len, struct fp_diag *diag)
{
        const char *p = data, *end = data + len;
        unsigned long lineno = 0;
        bool content = false;
        enum fp_err err = FP_OK;

        while (p < end && err == FP_OK) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                struct span line = {p, (size_t)((nl ? nl : end) - p)};
                p = nl ? nl + 1 : end;
                lineno++;
                while (line.n > 0 && (line.s[line.n - 1] == '\r' || is_blank(line.s[line.n - 1])))
                        line.n--;
                if (line.n == 0)
                        continue;
                if (!content && line.s[0] != '[') {
                        fp_diag_set(diag, l->name, lineno, "",
                                    "not a DSA/DLA list: expected a '[dd Mon yyyy] %sNNNN-N ...' "
                                    "header",
                                    l->prefix);
                        return FP_EPARSE;
                }
                content = true;
                if (line.s[0] == '[')
                        err = finish_entry(l);
                if (err == FP_OK)
                        parse_line(l, line, lineno);
                if (l->headers > FP_MAX_FEED_RECORDS) {
                        fp_diag_set(diag, l->name, lineno, "", "more than %d advisories",
                                    FP_MAX_FEED_RECORDS);
                        return FP_ELIMIT;
                }
                if (l->oom)
                        return FP_ENOMEM;
        }
        if (err == FP_OK)
                err = finish_entry(l);
        if (err == FP_OK && l->good_headers == 0) {
                fp_diag_set(diag, l->name, lineno, "", "%s",
                            content ? "no well-formed advisory header" : "empty list");
                return FP_EPARSE;
        }
        return err;
}

enum fp_err fp_feed_parse_debian_list(const char *data, size_t len, const char *name,
                                      enum fp_feed_kind kind, const struct fp_feed_sink *sink,
                                      struct fp_diag *diag)
{
        struct list l = {.name = name ? name : "", .kind = kind, .sink = sink};

        fp_diag_clear(diag);
        if (kind != FP_FEED_DSA && kind != FP_FEED_DLA) {
                fp_diag_set(diag, l.name, 0, "", "feed kind %s is not a DSA/DLA list",
                            fp_feed_kind_name(kind));
                return FP_EINVAL;
        }
        if (len > (size_t)FP_MAX_FEED_SIZE) {
                fp_diag_set(diag, l.name, 0, "", "list of %zu bytes exceeds the limit of %ld", len,
                            (long)FP_MAX_FEED_SIZE);
                return FP_ELIMIT;
        }
        l.prefix = kind == FP_FEED_DSA ? "DSA-" : "DLA-";
        fp_arena_init(&l.arena);
        enum fp_err err = parse_lines(&l, data, len, diag);
        if (err != FP_OK && diag && diag->msg[0] == '\0')
                fp_diag_set(diag, l.name, 0, "", "%s", fp_strerror(err));
        fp_arena_release(&l.arena);
        free(l.aliases);
        free(l.refs);
        free(l.aff);
        return err;
}
