/*
 * Time zones: our own TZif reader (RFC 9636, versions 1..4), UTC <-> local civil time with the
 * RFC 5545 3.3.5 rules for gaps and repeated times, a thread-safe cache of loaded zones, and
 * the civil date-time text forms. A struct fp_tz never changes after fp_tz_parse returns, so
 * any number of threads may read it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetpatch/schedule.h"

#define TIME_LIMIT (INT64_C(1) << 50)
#define HDR_LEN 44

struct fp_tz {
        char name[FP_TZ_MAX_NAME + 1];
        size_t ntrans;
        int64_t *trans;   /* ascending */
        int32_t *offs;    /* offset in effect from trans[i] on */
        int32_t initial;  /* offset before the first transition (time type 0) */
        int32_t last;     /* offset after the last transition when there is no rule */
        bool has_rule;    /* the footer's rule applies from the last transition on */
        struct fp_tzrule rule;
};

bool fp_tz_name_ok(const char *name)
{
        size_t n = 0, seg = 0;

        /* '.' is not a name character, so "." and ".." segments cannot occur. */
        if (!name || name[0] == '\0' || name[0] == '/')
                return false;
        for (const char *p = name;; p++, n++) {
                char ch = *p;
                if (n > FP_TZ_MAX_NAME)
                        return false;
                if (ch == '/' || ch == '\0') {
                        if (seg == 0)
                                return false;
                        if (ch == '\0')
                                return true;
                        seg = 0;
                        continue;
                }
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                      (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-'))
                        return false;
                seg++;
        }
}

static struct fp_tz *tz_alloc(const char *name)
{
        struct fp_tz *z = calloc(1, sizeof(*z));
        if (z)
                snprintf(z->name, sizeof(z->name), "%s", name);
        return z;
}

enum fp_err fp_tz_fixed(const char *name, int32_t offset, struct fp_tz **out, struct fp_diag *diag)
{
        *out = NULL;
        if (!fp_tz_name_ok(name)) {
                fp_diag_msg(diag, "invalid time zone name");
                return FP_EINVAL;
        }
        if (offset > FP_TZ_MAX_OFFSET || offset < -FP_TZ_MAX_OFFSET) {
                fp_diag_msg(diag, "UTC offset %ld out of range", (long)offset);
                return FP_EINVAL;
        }
        struct fp_tz *z = tz_alloc(name);
        if (!z)
                return FP_ENOMEM;
        z->initial = z->last = offset;
        *out = z;
        return FP_OK;
}

void fp_tz_free(struct fp_tz *z)
{
        if (!z)
                return;
        free(z->trans);
        free(z->offs);
        free(z);
}

const char *fp_tz_name(const struct fp_tz *z)
{
        return z->name;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
        return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct hdr {
        int version; /* 1..4 */
        uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

#define FAIL(code, off, ...)                                                                       \
        do {                                                                                       \
                char m_[160];                                                                      \
                snprintf(m_, sizeof(m_), __VA_ARGS__);                                             \
                fp_diag_msg(diag, "TZif '%s': %s at byte %zu", name, m_, (size_t)(off));           \
                return code;                                                                       \
        } while (0)

static enum fp_err read_hdr(const char *name, const unsigned char *d, size_t len, size_t off,
                            struct hdr *h, struct fp_diag *diag)
{
        if (len - off < HDR_LEN)
                FAIL(FP_ECORRUPT, off, "truncated header");
        if (memcmp(d + off, "TZif", 4) != 0)
                FAIL(FP_EPARSE, off, "no TZif magic");
        unsigned char v = d[off + 4];
        if (v == 0)
                h->version = 1;
        else if (v >= '2' && v <= '4')
                h->version = v - '0';
        else
                FAIL(FP_EUNSUPPORTED, off + 4, "unknown version 0x%02x", v);
        const unsigned char *c = d + off + 20;
        h->isutcnt = be32(c);
        h->isstdcnt = be32(c + 4);
        h->leapcnt = be32(c + 8);
        h->timecnt = be32(c + 12);
        h->typecnt = be32(c + 16);
        h->charcnt = be32(c + 20);
        if (h->timecnt > FP_TZ_MAX_TRANSITIONS)
                FAIL(FP_ELIMIT, off + 32, "%lu transitions (limit %d)", (unsigned long)h->timecnt,
                     FP_TZ_MAX_TRANSITIONS);
        if (h->typecnt == 0 || h->typecnt > FP_TZ_MAX_TYPES)
                FAIL(h->typecnt ? FP_ELIMIT : FP_ECORRUPT, off + 36, "%lu time types (1..%d)",
                     (unsigned long)h->typecnt, FP_TZ_MAX_TYPES);
        if (h->charcnt == 0 || h->charcnt > FP_TZ_MAX_ABBR_CHARS)
                FAIL(h->charcnt ? FP_ELIMIT : FP_ECORRUPT, off + 40,
                     "%lu abbreviation bytes (1..%d)", (unsigned long)h->charcnt,
                     FP_TZ_MAX_ABBR_CHARS);
        if (h->leapcnt > FP_TZ_MAX_LEAPS)
                FAIL(FP_ELIMIT, off + 28, "%lu leap seconds (limit %d)", (unsigned long)h->leapcnt,
                     FP_TZ_MAX_LEAPS);
        if (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)
                FAIL(FP_ECORRUPT, off + 24, "isstdcnt %lu is neither 0 nor typecnt",
                     (unsigned long)h->isstdcnt);
        if (h->isutcnt != 0 && h->isutcnt != h->typecnt)
                FAIL(FP_ECORRUPT, off + 20, "isutcnt %lu is neither 0 nor typecnt",
                     (unsigned long)h->isutcnt);
        return FP_OK;
}

static size_t block_len(const struct hdr *h, size_t tsize)
{
        return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
               (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads the data block at off (times of tsize bytes) into z. */
static enum fp_err read_block(const char *name, const unsigned char *d, size_t len, size_t off,
                              const struct hdr *h, size_t tsize, struct fp_tz *z,
                              struct fp_diag *diag)
{
        size_t need = block_len(h, tsize);
        if (len - off < need)
                FAIL(FP_ECORRUPT, len, "truncated data block (%zu bytes needed from byte %zu)",
                     need, off);
        if (h->leapcnt != 0)
                FAIL(FP_EUNSUPPORTED, off, "leap-second zones (right/) are not supported");
        const unsigned char *tp = d + off;
        const unsigned char *ip = tp + (size_t)h->timecnt * tsize;
        const unsigned char *typ = ip + h->timecnt;
        const unsigned char *chars = typ + (size_t)h->typecnt * 6;
        int32_t toff[FP_TZ_MAX_TYPES];

        for (uint32_t i = 0; i < h->typecnt; i++) {
                const unsigned char *t = typ + (size_t)i * 6;
                int32_t o = (int32_t)be32(t);
                size_t at = (size_t)(t - d);
                if (o > FP_TZ_MAX_OFFSET || o < -FP_TZ_MAX_OFFSET)
                        FAIL(FP_ECORRUPT, at, "UTC offset %ld of time type %lu out of range",
                             (long)o, (unsigned long)i);
                if (t[4] > 1)
                        FAIL(FP_ECORRUPT, at + 4, "isdst %u is not 0 or 1", t[4]);
                if (t[5] >= h->charcnt)
                        FAIL(FP_ECORRUPT, at + 5, "abbreviation index %u past %lu", t[5],
                             (unsigned long)h->charcnt);
                toff[i] = o;
        }
        if (chars[h->charcnt - 1] != '\0')
                FAIL(FP_ECORRUPT, (size_t)(chars - d) + h->charcnt - 1,
                     "abbreviations not NUL-terminated");
        const unsigned char *flags = chars + h->charcnt + (size_t)h->leapcnt * (tsize + 4);
        for (uint32_t i = 0; i < h->isstdcnt + h->isutcnt; i++)
                if (flags[i] > 1)
                        FAIL(FP_ECORRUPT, (size_t)(flags + i - d), "std/ut indicator %u", flags[i]);
        for (uint32_t i = 0; i < h->isutcnt; i++)
                if (flags[h->isstdcnt + i] && (h->isstdcnt == 0 || !flags[i]))
                        FAIL(FP_ECORRUPT, (size_t)(flags + h->isstdcnt + i - d),
                             "UT indicator without standard indicator");

        z->ntrans = h->timecnt;
        if (h->timecnt) {
                z->trans = malloc(sizeof(*z->trans) * h->timecnt);
                z->offs = malloc(sizeof(*z->offs) * h->timecnt);
                if (!z->trans || !z->offs)
                        return FP_ENOMEM;
        }
        for (uint32_t i = 0; i < h->timecnt; i++) {
                int64_t t = tsize == 8 ? be64(tp + (size_t)i * 8) : (int32_t)be32(tp + (size_t)i * 4);
                if (i > 0 && t <= z->trans[i - 1])
                        FAIL(FP_ECORRUPT, (size_t)(tp - d) + (size_t)i * tsize,
                             "transition %lu not after the previous one", (unsigned long)i);
                if (ip[i] >= h->typecnt)
                        FAIL(FP_ECORRUPT, (size_t)(ip - d) + i, "transition type %u past %lu", ip[i],
                             (unsigned long)h->typecnt);
                z->trans[i] = t;
                z->offs[i] = toff[ip[i]];
        }
        z->initial = toff[0];
        z->last = h->timecnt ? z->offs[h->timecnt - 1] : toff[0];
        return FP_OK;
}

enum fp_err fp_tz_parse(const char *name, const void *data, size_t len, struct fp_tz **out,
                        struct fp_diag *diag)
{
        const unsigned char *d = data;
        struct hdr h;
        enum fp_err err;

        *out = NULL;
        if (!fp_tz_name_ok(name)) {
                fp_diag_msg(diag, "invalid time zone name");
                return FP_EINVAL;
        }
        if (len > FP_TZ_MAX_FILE) {
                fp_diag_msg(diag, "TZif '%s': %zu bytes (limit %d)", name, len, FP_TZ_MAX_FILE);
                return FP_ELIMIT;
        }
        if ((err = read_hdr(name, d, len, 0, &h, diag)) != FP_OK)
                return err;
        struct fp_tz *z = tz_alloc(name);
        if (!z)
                return FP_ENOMEM;
        size_t off = HDR_LEN;
        if (h.version == 1) {
                err = read_block(name, d, len, off, &h, 4, z, diag);
                off += block_len(&h, 4);
        } else {
                size_t v1 = block_len(&h, 4);
                if (len - off < v1) {
                        fp_diag_msg(diag, "TZif '%s': truncated version 1 data block at byte %zu",
                                    name, len);
                        err = FP_ECORRUPT;
                        goto out;
                }
                off += v1;
                struct hdr h2;
                if ((err = read_hdr(name, d, len, off, &h2, diag)) != FP_OK)
                        goto out;
                if (h2.version != h.version) {
                        fp_diag_msg(diag, "TZif '%s': second header's version differs at byte %zu",
                                    name, off + 4);
                        err = FP_ECORRUPT;
                        goto out;
                }
                off += HDR_LEN;
                if ((err = read_block(name, d, len, off, &h2, 8, z, diag)) != FP_OK)
                        goto out;
                off += block_len(&h2, 8);
                /* Footer: "\n" POSIX-TZ "\n". */
                if (off >= len || d[off] != '\n') {
                        fp_diag_msg(diag, "TZif '%s': footer does not start with a newline at byte %zu",
                                    name, off);
                        err = FP_ECORRUPT;
                        goto out;
                }
                const unsigned char *nl = memchr(d + off + 1, '\n', len - off - 1);
                if (!nl) {
                        fp_diag_msg(diag, "TZif '%s': footer not terminated at byte %zu", name, len);
                        err = FP_ECORRUPT;
                        goto out;
                }
                size_t flen = (size_t)(nl - (d + off + 1));
                if (flen > FP_TZ_MAX_FOOTER) {
                        fp_diag_msg(diag, "TZif '%s': footer of %zu bytes (limit %d) at byte %zu",
                                    name, flen, FP_TZ_MAX_FOOTER, off + 1);
                        err = FP_ELIMIT;
                        goto out;
                }
                if (flen > 0) {
                        struct fp_diag rd;
                        fp_diag_clear(&rd);
                        if (fp_tzrule_parse((const char *)d + off + 1, flen, &z->rule, &rd) != FP_OK) {
                                fp_diag_msg(diag, "TZif '%s': %s at byte %zu", name, rd.msg, off + 1);
                                err = FP_EPARSE;
                                goto out;
                        }
                        if (z->rule.std_off > FP_TZ_MAX_OFFSET || z->rule.std_off < -FP_TZ_MAX_OFFSET ||
                            z->rule.dst_off > FP_TZ_MAX_OFFSET || z->rule.dst_off < -FP_TZ_MAX_OFFSET) {
                                fp_diag_msg(diag, "TZif '%s': footer offset out of range at byte %zu",
                                            name, off + 1);
                                err = FP_ECORRUPT;
                                goto out;
                        }
                        z->has_rule = true;
                }
                off += flen + 2;
        }
        if (err == FP_OK && off != len) {
                fp_diag_msg(diag, "TZif '%s': %zu bytes of trailing data at byte %zu", name,
                            len - off, off);
                err = FP_ECORRUPT;
        }
out:
        if (err != FP_OK) {
                fp_tz_free(z);
                return err;
        }
        *out = z;
        return FP_OK;
}

enum fp_err fp_tz_load(const char *name, struct fp_tz **out, struct fp_diag *diag)
{
        *out = NULL;
        if (!fp_tz_name_ok(name)) {
                fp_diag_msg(diag, "invalid time zone name '%.64s'", name ? name : "");
                return FP_EINVAL;
        }
        if (strcmp(name, "UTC") == 0)
                return fp_tz_fixed("UTC", 0, out, diag);
        const char *dir = getenv("FP_ZONEINFO");
        char path[4096];
        if (!dir || !*dir)
                dir = "/usr/share/zoneinfo";
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
                fp_diag_msg(diag, "zoneinfo path too long");
                return FP_EINVAL;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                int e = errno;
                bool missing = fd < 0 ? (e == ENOENT || e == ENOTDIR) : true;
                if (fd >= 0)
                        close(fd);
                if (missing) {
                        fp_diag_msg(diag, "unknown time zone '%s'", name);
                        return FP_ENOTFOUND;
                }
                fp_diag_msg(diag, "%s: %s", path, strerror(e));
                return e == EACCES ? FP_EACCES : FP_EIO;
        }
        if (st.st_size > FP_TZ_MAX_FILE) {
                close(fd);
                fp_diag_msg(diag, "%s: %lld bytes (limit %d)", path, (long long)st.st_size,
                            FP_TZ_MAX_FILE);
                return FP_ELIMIT;
        }
        size_t size = (size_t)st.st_size, got = 0;
        unsigned char *buf = malloc(size ? size : 1);
        if (!buf) {
                close(fd);
                return FP_ENOMEM;
        }
        while (got < size) {
                ssize_t r = read(fd, buf + got, size - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        enum fp_err err = fp_tz_parse(name, buf, got, out, diag);
        free(buf);
        return err;
}

/* ---- queries ---- */

/* Index of the last transition <= t, or -1. */
static ptrdiff_t find(const struct fp_tz *z, int64_t t)
{
        size_t lo = 0, hi = z->ntrans;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (z->trans[mid] <= t)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return (ptrdiff_t)lo - 1;
}

int32_t fp_tz_offset(const struct fp_tz *z, int64_t utc)
{
        if (z->ntrans == 0)
                return z->has_rule ? fp_tzrule_offset(&z->rule, utc, NULL) : z->initial;
        ptrdiff_t i = find(z, utc);
        if (i < 0)
                return z->initial;
        if ((size_t)i == z->ntrans - 1 && z->has_rule)
                return fp_tzrule_offset(&z->rule, utc, NULL);
        return z->offs[i];
}

/* The first transition strictly after t (INT64_MAX: none). */
static int64_t next_transition(const struct fp_tz *z, int64_t t)
{
        if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1])
                return z->has_rule ? fp_tzrule_next(&z->rule, t) : INT64_MAX;
        ptrdiff_t i = find(z, t);
        return z->trans[i + 1];
}

static int64_t sat_add(int64_t a, int64_t b)
{
        int64_t r;
        if (__builtin_add_overflow(a, b, &r))
                return b > 0 ? INT64_MAX : INT64_MIN;
        return r;
}

int64_t fp_tz_to_local(const struct fp_tz *z, int64_t utc)
{
        return sat_add(utc, fp_tz_offset(z, utc));
}

/*
 * All u with u + offset(u) == local lie within 26 h of local (|offset| < 26 h). Walk the
 * segments of constant offset over [local - 26h, local + 26h]: a segment [a, b) with offset o
 * holds a solution when a <= local - o < b. None: local is in a gap, read with the offset
 * before the gap. More than one: a repeated time, the first wins.
 */
#define SPAN (26 * 3600)
#define MAX_SEGMENTS 256

int64_t fp_tz_to_utc(const struct fp_tz *z, int64_t local, int *kind)
{
        int64_t L = local > TIME_LIMIT ? TIME_LIMIT : local < -TIME_LIMIT ? -TIME_LIMIT : local;
        int64_t a = L - SPAN, end = L + SPAN;
        int32_t o = fp_tz_offset(z, a);
        int64_t first = 0, gap = 0;
        int nsol = 0;
        bool have_gap = false;

        for (int seg = 0; seg < MAX_SEGMENTS; seg++) {
                int64_t b = next_transition(z, a);
                int64_t u = L - o;
                if (u >= a && u < b) {
                        if (nsol == 0)
                                first = u;
                        if (nsol == 0 || u != first)
                                nsol++;
                }
                if (b > end)
                        break;
                int32_t o2 = fp_tz_offset(z, b);
                if (!have_gap && o2 > o && L >= b + o && L < b + o2) {
                        have_gap = true;
                        gap = L - o;
                }
                a = b;
                o = o2;
        }
        if (nsol > 0) {
                if (kind)
                        *kind = nsol > 1 ? FP_TZ_REPEATED : FP_TZ_EXACT;
                return first;
        }
        if (kind)
                *kind = FP_TZ_GAP;
        if (have_gap)
                return gap;
        return L - fp_tz_offset(z, L - fp_tz_offset(z, L)); /* only hostile zones get here */
}

/* ---- cache ---- */

struct fp_tz_cache {
        pthread_mutex_t lock;
        struct fp_tz **zones;
        size_t n, cap;
};

struct fp_tz_cache *fp_tz_cache_new(void)
{
        struct fp_tz_cache *c = calloc(1, sizeof(*c));
        if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
                free(c);
                return NULL;
        }
        return c;
}

void fp_tz_cache_free(struct fp_tz_cache *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++)
                fp_tz_free(c->zones[i]);
        free(c->zones);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

enum fp_err fp_tz_cache_get(struct fp_tz_cache *c, const char *name, const struct fp_tz **out,
                            struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        *out = NULL;
        if (!fp_tz_name_ok(name)) {
                fp_diag_msg(diag, "invalid time zone name '%.64s'", name ? name : "");
                return FP_EINVAL;
        }
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->n; i++) {
                if (strcmp(c->zones[i]->name, name) == 0) {
                        *out = c->zones[i];
                        goto done;
                }
        }
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                struct fp_tz **nz = realloc(c->zones, cap * sizeof(struct fp_tz *));
                if (!nz) {
                        err = FP_ENOMEM;
                        goto done;
                }
                c->zones = nz;
                c->cap = cap;
        }
        struct fp_tz *z;
        if ((err = fp_tz_load(name, &z, diag)) == FP_OK) {
                c->zones[c->n++] = z;
                *out = z;
        }
done:
        pthread_mutex_unlock(&c->lock);
        return err;
}

/* ---- text forms ---- */

static bool digits(const char *s, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return true;
}

bool fp_civil_parse(const char *s, int64_t *out)
{
        int y, mo, d, h, mi, se;
        if (!s || strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
            s[16] != ':')
                return false;
        if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
            !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
                return false;
        if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
                return false;
        int64_t days = fp_days_from_civil(y, mo, d);
        int64_t y2;
        int m2, d2;
        fp_civil_from_days(days, &y2, &m2, &d2);
        if (m2 != mo || d2 != d) /* 2026-02-30 */
                return false;
        *out = days * 86400 + h * 3600 + mi * 60 + se;
        return true;
}

#define CIVIL_MIN (-62167219200LL)  /* 0000-01-01T00:00:00 */
#define CIVIL_MAX 253402300799LL    /* 9999-12-31T23:59:59 */

void fp_civil_format(int64_t civil, char out[20])
{
        if (civil < CIVIL_MIN)
                civil = CIVIL_MIN;
        if (civil > CIVIL_MAX)
                civil = CIVIL_MAX;
        int64_t days = civil / 86400, secs = civil % 86400, y;
        if (secs < 0) {
                secs += 86400;
                days--;
        }
        int m, d;
        fp_civil_from_days(days, &y, &m, &d);
        snprintf(out, 20, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, m, d, (int)(secs / 3600),
                 (int)(secs / 60 % 60), (int)(secs % 60));
}

void fp_time_format_offset(int64_t utc, int32_t offset, char out[32])
{
        char civil[20];
        fp_civil_format(sat_add(utc, offset), civil);
        if (offset == 0) {
                snprintf(out, 32, "%sZ", civil);
                return;
        }
        int32_t a = offset < 0 ? -offset : offset;
        snprintf(out, 32, "%s%c%02d:%02d", civil, offset < 0 ? '-' : '+', (int)(a / 3600),
                 (int)(a / 60 % 60));
}
