/* Arguments, request paths and output shared by the server-facing commands (remote.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/remote.h"
#include "fleetpatch/limits.h"

bool cli_parse_int(const char *s, long long min, long long max, long long *out)
{
        char *end;
        if (!s || !*s || strspn(s, "0123456789-") != strlen(s))
                return false;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno != 0 || *end || v < min || v > max)
                return false;
        *out = v;
        return true;
}

bool cli_parse_duration(const char *s, long long *out)
{
        static const struct {
                char unit;
                long long secs;
        } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
        size_t digits = s ? strspn(s, "0123456789") : 0;
        long long mult = 0, n = 0;

        if (digits == 0 || digits > 12)
                return false;
        if (s[digits] == '\0') {
                mult = 1;
        } else if (s[digits + 1] == '\0') {
                for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                        if (s[digits] == units[i].unit)
                                mult = units[i].secs;
        }
        for (size_t i = 0; i < digits; i++)
                n = n * 10 + (s[i] - '0');
        /* 12 digits times a week's seconds fits easily in 64 bits; the bound is ours. */
        if (mult == 0 || n == 0 || n > CLI_MAX_DURATION / mult)
                return false;
        *out = n * mult;
        return true;
}

enum fp_err cli_path_escaped(struct fp_buf *b, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        enum fp_err err = FP_OK;

        for (const unsigned char *p = (const unsigned char *)s; *p && err == FP_OK; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("._~-*", *p)) {
                        err = fp_buf_addc(b, (char)*p);
                } else {
                        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
                        err = fp_buf_add(b, esc, 3);
                }
        }
        return err;
}

enum fp_err cli_query_add(struct fp_buf *b, const char *key, const char *value)
{
        enum fp_err err = fp_buf_addc(b, strchr(fp_buf_str(b), '?') ? '&' : '?');
        if (err == FP_OK)
                err = fp_buf_addstr(b, key);
        if (err == FP_OK)
                err = fp_buf_addc(b, '=');
        return err == FP_OK ? cli_path_escaped(b, value) : err;
}

enum fp_err cli_pathf(struct fp_buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        enum fp_err err = cli_vpathf(b, fmt, ap);
        va_end(ap);
        return err;
}

enum fp_err cli_vpathf(struct fp_buf *b, const char *fmt, va_list ap)
{
        enum fp_err err = FP_OK;

        for (const char *p = fmt; *p && err == FP_OK; p++) {
                if (p[0] == '%' && p[1] == 's') {
                        const char *arg = va_arg(ap, const char *);
                        /* "." and ".." would be taken as path steps by the server's URL
                         * handling; a segment is never empty either. */
                        err = !*arg || !strcmp(arg, ".") || !strcmp(arg, "..")
                                  ? FP_EINVAL
                                  : cli_path_escaped(b, arg);
                        p++;
                } else if (p[0] == '%' && p[1] == '%') {
                        err = fp_buf_addc(b, '%');
                        p++;
                } else {
                        err = p[0] == '%' ? FP_EINVAL : fp_buf_addc(b, *p);
                }
        }
        return err;
}

bool cli_tag_set(json_t *tags, const char *kv, const char *cmd)
{
        const char *eq = strchr(kv, '=');
        char key[FP_MAX_TAG_KEY + 1];
        json_t *v = eq ? json_string(eq + 1) : NULL;

        if (!eq || eq == kv || (size_t)(eq - kv) > FP_MAX_TAG_KEY || !v) {
                fprintf(stderr,
                        "fleetpatch: %s: tag '%s': expected KEY=VALUE (a key of 1..%d bytes, "
                        "UTF-8)\n",
                        cmd, kv, FP_MAX_TAG_KEY);
                json_decref(v);
                return false;
        }
        memcpy(key, kv, (size_t)(eq - kv));
        key[eq - kv] = '\0';
        return json_object_set_new(tags, key, v) == 0;
}

/* One line of f into out without its line end; false if it is empty or does not fit. */
static bool read_line(FILE *f, char *out, size_t outsz)
{
        if (!fgets(out, (int)outsz, f))
                return false;
        size_t n = strlen(out);
        bool ended = n > 0 && out[n - 1] == '\n';
        if (!ended && !feof(f))
                return false; /* longer than the buffer */
        out[strcspn(out, "\r\n")] = '\0';
        return out[0] != '\0';
}

bool cli_read_password(const char *file, const char *prompt, char *out, size_t outsz)
{
        const char *env = getenv("FLEETPATCH_PASSWORD");
        bool ok;

        if (file) {
                FILE *f = fopen(file, "re");
                if (!f) {
                        fprintf(stderr, "fleetpatch: %s: %s\n", file, strerror(errno));
                        return false;
                }
                ok = read_line(f, out, outsz);
                fclose(f);
                if (!ok)
                        fprintf(stderr,
                                "fleetpatch: %s: no password on its first line (or longer "
                                "than %zu bytes)\n",
                                file, outsz - 2);
                return ok;
        }
        if (env && *env) {
                int n = snprintf(out, outsz, "%s", env);
                if (n < 0 || (size_t)n >= outsz) {
                        fprintf(stderr, "fleetpatch: FLEETPATCH_PASSWORD is too long\n");
                        return false;
                }
                return true;
        }
        struct termios old, quiet;
        bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
        if (tty) {
                fprintf(stderr, "%s", prompt);
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t)ECHO;
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
        ok = read_line(stdin, out, outsz);
        if (tty) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
                fputc('\n', stderr);
        }
        if (!ok)
                fprintf(stderr, "fleetpatch: no password given (--password-file, "
                                "FLEETPATCH_PASSWORD or a line on stdin)\n");
        return ok;
}

int cli_request(const struct cli_remote *r, const char *method, const char *path,
                const json_t *body, json_t **out)
{
        struct cli_conn c;
        int rc = cli_connect(r, &c);

        *out = NULL;
        if (rc == FP_EXIT_OK)
                rc = cli_call(&c, method, path, body, out);
        memset(c.token, 0, sizeof(c.token));
        return rc;
}

static int vrequestf(const struct cli_remote *r, const char *method, const json_t *body,
                     json_t **out, const char *fmt, va_list ap)
{
        struct fp_buf path;
        int rc;

        *out = NULL;
        fp_buf_init(&path, CLI_MAX_REQUEST_PATH);
        if (cli_vpathf(&path, fmt, ap) != FP_OK) {
                fprintf(stderr, "fleetpatch: an empty, '.' or '..' name, or too long a path\n");
                rc = FP_EXIT_USAGE;
        } else {
                rc = cli_request(r, method, fp_buf_str(&path), body, out);
        }
        fp_buf_release(&path);
        return rc;
}

int cli_requestf(const struct cli_remote *r, const char *method, const json_t *body, json_t **out,
                 const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int rc = vrequestf(r, method, body, out, fmt, ap);
        va_end(ap);
        return rc;
}

int cli_simple(const struct cli_remote *r, const char *method, const json_t *body, const char *fmt,
               ...)
{
        json_t *answer;
        va_list ap;
        va_start(ap, fmt);
        int rc = vrequestf(r, method, body, &answer, fmt, ap);
        va_end(ap);
        if (rc == FP_EXIT_OK && r->json)
                rc = cli_print_json(answer);
        json_decref(answer);
        return rc;
}

int cli_bad_duration(const char *cmd, const char *opt, const char *v)
{
        fprintf(stderr,
                "fleetpatch: %s: %s '%s': expected seconds or a number with s, m, h, d or w "
                "(e.g. 15m, 7d)\n",
                cmd, opt, v);
        return FP_EXIT_USAGE;
}

/* Print the secret of a create answer alone (or the whole answer with --json). */
int cli_print_secret(const struct cli_remote *r, json_t *answer, const char *what)
{
        const char *tok = json_string_value(json_object_get(answer, "token"));
        int rc = FP_EXIT_OK;

        if (r->json) {
                rc = cli_print_json(answer);
        } else if (!tok) {
                fprintf(stderr, "fleetpatch: the answer has no token\n");
                rc = FP_EXIT_SERVER;
        } else {
                printf("%s\n", tok);
                if (isatty(STDOUT_FILENO))
                        fprintf(stderr, "(the %s is shown only this once)\n", what);
        }
        json_decref(answer);
        return rc;
}

int cli_print_json(const json_t *v)
{
        if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY) != 0 ||
            putchar('\n') == EOF || fflush(stdout) != 0) {
                fprintf(stderr, "fleetpatch: cannot write JSON output\n");
                return FP_EXIT_INPUT;
        }
        return FP_EXIT_OK;
}

json_t *cli_list_items(const json_t *answer, const char *member)
{
        const char *key;
        json_t *v, *found = NULL;

        if (json_is_array(answer))
                return (json_t *)answer;
        if (member)
                return json_is_array(json_object_get(answer, member))
                           ? json_object_get(answer, member)
                           : NULL;
        json_object_foreach((json_t *)answer, key, v)
        {
                if (!json_is_array(v))
                        continue;
                if (found)
                        return NULL;
                found = v;
        }
        return found;
}

/* The value at a dotted path ("facts.os_pretty"), or NULL. */
static const json_t *lookup(const json_t *obj, const char *path)
{
        char part[128];
        while (obj && *path) {
                size_t n = strcspn(path, ".");
                if (n >= sizeof(part))
                        return NULL;
                memcpy(part, path, n);
                part[n] = '\0';
                obj = json_object_get(obj, part);
                path += n + (path[n] == '.');
        }
        return obj;
}

/* Text without control characters (a server's strings never drive the terminal). */
static void add_printable(struct fp_buf *b, const char *s)
{
        for (; *s; s++)
                fp_buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of an object, sorted (jansson keeps insertion order; output must not depend on it). */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
        const char **keys = calloc(json_object_size(obj) + 1, sizeof(*keys));
        const char *key;
        json_t *v;

        *n = 0;
        if (!keys)
                return NULL;
        json_object_foreach((json_t *)obj, key, v) keys[(*n)++] = key;
        qsort(keys, *n, sizeof(*keys), cmp_str);
        return keys;
}

void cli_value_text(const json_t *v, struct fp_buf *b)
{
        char num[64];
        size_t n;

        if (!v)
                return;
        switch (json_typeof(v)) {
        case JSON_STRING:
                add_printable(b, json_string_value(v));
                break;
        case JSON_INTEGER:
                snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                fp_buf_addstr(b, num);
                break;
        case JSON_REAL:
                snprintf(num, sizeof(num), "%g", json_real_value(v));
                fp_buf_addstr(b, num);
                break;
        case JSON_TRUE:
                fp_buf_addstr(b, "yes");
                break;
        case JSON_FALSE:
                fp_buf_addstr(b, "no");
                break;
        case JSON_ARRAY:
                for (size_t i = 0; i < json_array_size(v); i++) {
                        if (i) /* objects hold commas themselves */
                                fp_buf_addstr(b, json_is_object(json_array_get(v, i)) ? "; " : ",");
                        cli_value_text(json_array_get(v, i), b);
                }
                break;
        case JSON_OBJECT: {
                const char **keys = sorted_keys(v, &n);
                for (size_t i = 0; keys && i < n; i++) {
                        fp_buf_addstr(b, i ? "," : "");
                        add_printable(b, keys[i]);
                        fp_buf_addc(b, '=');
                        cli_value_text(json_object_get(v, keys[i]), b);
                }
                free((void *)keys);
                break;
        }
        case JSON_NULL:
        default:
                break;
        }
}

/* Display width of UTF-8 text: its code points. */
static size_t width(const char *s)
{
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

/* A UTC seconds value as "YYYY-MM-DD HH:MM" (nothing for 0, "never" in the API). */
static void add_time(struct fp_buf *b, const json_t *v)
{
        char when[32] = "";
        time_t t = (time_t)json_integer_value(v);
        struct tm tm;
        if (t > 0 && gmtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        fp_buf_addstr(b, when);
}

/* Members of the API's objects that hold UTC seconds (docs/api.md). */
static bool time_key(const char *key)
{
        static const char *const keys[] = {"created",   "expires",  "last_seen", "inventory_at",
                                           "delivered", "finished", "sla_due"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (!strcmp(key, keys[i]))
                        return true;
        return false;
}

static void cell(const json_t *row, const struct cli_col *col, struct fp_buf *b)
{
        const json_t *v = lookup(row, col->key);
        fp_buf_reset(b);
        if (col->time && json_is_integer(v))
                add_time(b, v);
        else
                cli_value_text(v, b);
        if (b->len == 0)
                fp_buf_addc(b, '-');
}

void cli_print_table(const json_t *rows, const struct cli_col *cols, size_t ncols)
{
        size_t *w = calloc(ncols, sizeof(*w));
        struct fp_buf b;

        if (!w)
                return;
        fp_buf_init(&b, 1024 * 1024);
        for (size_t c = 0; c < ncols; c++)
                w[c] = width(cols[c].header);
        for (size_t r = 0; r < json_array_size(rows); r++)
                for (size_t c = 0; c < ncols; c++) {
                        cell(json_array_get(rows, r), &cols[c], &b);
                        size_t cw = width(fp_buf_str(&b));
                        w[c] = cw > w[c] ? cw : w[c];
                }
        for (size_t r = 0; r <= json_array_size(rows); r++) {
                for (size_t c = 0; c < ncols; c++) {
                        const char *text = cols[c].header;
                        if (r > 0) {
                                cell(json_array_get(rows, r - 1), &cols[c], &b);
                                text = fp_buf_str(&b);
                        }
                        if (c + 1 == ncols)
                                printf("%s\n", text);
                        else
                                printf("%s%*s", text, (int)(w[c] - width(text) + 2), "");
                }
        }
        fp_buf_release(&b);
        free(w);
}

/* Append "prefix.key: value" lines of obj to lines (key and value separated by '\t'). */
static void flatten(const json_t *obj, const char *prefix, struct fp_buf *lines)
{
        size_t n;
        const char **keys = sorted_keys(obj, &n);

        for (size_t i = 0; keys && i < n; i++) {
                const json_t *v = json_object_get(obj, keys[i]);
                struct fp_buf name;
                fp_buf_init(&name, 4096);
                fp_buf_addf(&name, "%s%s", prefix, prefix[0] ? "." : "");
                add_printable(&name, keys[i]);
                if (json_is_object(v) && json_object_size(v) > 0) {
                        flatten(v, fp_buf_str(&name), lines);
                } else {
                        fp_buf_addf(lines, "%s\t", fp_buf_str(&name));
                        size_t before = lines->len;
                        if (json_is_integer(v) && time_key(keys[i]))
                                add_time(lines, v);
                        else
                                cli_value_text(v, lines);
                        if (lines->len == before)
                                fp_buf_addc(lines, '-');
                        fp_buf_addc(lines, '\n');
                }
                fp_buf_release(&name);
        }
        free((void *)keys);
}

void cli_print_record(const json_t *obj)
{
        struct fp_buf lines;
        size_t w = 0;

        fp_buf_init(&lines, 64L * 1024 * 1024);
        flatten(obj, "", &lines);
        /* Only whole "key\tvalue\n" lines count (a record past the limit is cut). */
        for (int pass = 0; pass < 2; pass++) {
                const char *p = fp_buf_str(&lines), *nl, *tab;
                for (; (nl = strchr(p, '\n')) && (tab = memchr(p, '\t', (size_t)(nl - p)));
                     p = nl + 1) {
                        size_t k = (size_t)(tab - p);
                        if (pass == 0)
                                w = k > w ? k : w;
                        else
                                printf("%.*s:%*s%.*s\n", (int)k, p, (int)(w - k + 1), "",
                                       (int)(nl - tab - 1), tab + 1);
                }
        }
        fp_buf_release(&lines);
}

int cli_show_list(const struct cli_remote *r, json_t *answer, const char *member,
                  const struct cli_col *cols, size_t ncols)
{
        int rc = FP_EXIT_OK;
        const json_t *items = cli_list_items(answer, member);

        if (r->json) {
                rc = cli_print_json(answer);
        } else if (!items) {
                fprintf(stderr, "fleetpatch: the answer has no list%s%s\n", member ? " " : "",
                        member ? member : "");
                rc = FP_EXIT_SERVER;
        } else {
                cli_print_table(items, cols, ncols);
        }
        json_decref(answer);
        return rc;
}

int cli_show_record(const struct cli_remote *r, json_t *answer)
{
        int rc = FP_EXIT_OK;
        if (r->json)
                rc = cli_print_json(answer);
        else if (json_is_object(answer))
                cli_print_record(answer);
        json_decref(answer);
        return rc;
}

int cli_bad_option(const char *cmd, const char *opt, void (*usage)(FILE *))
{
        fprintf(stderr, "fleetpatch: %s: %s '%s'\n", cmd,
                opt[0] == '-' ? "unknown option" : "unexpected argument", opt);
        usage(stderr);
        return FP_EXIT_USAGE;
}

int cli_parse(int argc, char **argv, const char *cmd, const struct cli_opt *opts,
              struct cli_remote *r, const char **pos, size_t minpos, size_t maxpos,
              void (*usage)(FILE *))
{
        size_t npos = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const struct cli_opt *o = opts;
                int k = cli_remote_opt(r, argc, argv, &i, cmd);

                if (k < 0)
                        return FP_EXIT_USAGE;
                if (k > 0)
                        continue;
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return FP_EXIT_OK;
                }
                while (o->name && strcmp(o->name, a) != 0)
                        o++;
                if (!o->name && a[0] == '-' && a[1] != '\0')
                        return cli_bad_option(cmd, a, usage);
                if (!o->name) {
                        if (npos == maxpos)
                                return cli_bad_option(cmd, a, usage);
                        pos[npos++] = a;
                        continue;
                }
                if (o->kind == CLI_FLAG) {
                        *(bool *)o->dst = true;
                        continue;
                }
                const char *v = cli_optarg(argc, argv, &i, cmd);
                if (!v)
                        return FP_EXIT_USAGE;
                if (o->kind == CLI_VALUE) {
                        *(const char **)o->dst = v;
                        continue;
                }
                struct cli_list *l = o->dst;
                if (l->n == CLI_MAX_REPEAT) {
                        fprintf(stderr, "fleetpatch: %s: %s given more than %d times\n", cmd, a,
                                CLI_MAX_REPEAT);
                        return FP_EXIT_USAGE;
                }
                l->v[l->n++] = v;
        }
        if (npos < minpos) {
                fprintf(stderr, "fleetpatch: %s: missing argument\n", cmd);
                usage(stderr);
                return FP_EXIT_USAGE;
        }
        return CLI_GO_ON;
}

int cli_dispatch(int argc, char **argv, const char *cmd, const struct cli_sub *subs, size_t nsubs,
                 void (*usage)(FILE *))
{
        if (argc < 2) {
                usage(stderr);
                return FP_EXIT_USAGE;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(stdout);
                return FP_EXIT_OK;
        }
        for (size_t i = 0; i < nsubs; i++)
                if (!strcmp(argv[1], subs[i].name))
                        return subs[i].run(argc - 1, argv + 1);
        fprintf(stderr, "fleetpatch: %s: unknown subcommand '%s'\n", cmd, argv[1]);
        usage(stderr);
        return FP_EXIT_USAGE;
}

int cli_list_cmd(int argc, char **argv, const char *cmd, const char *path,
                 const struct cli_col *cols, size_t ncols, void (*usage)(FILE *))
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        struct cli_remote r = {0};
        json_t *answer;

        int rc = cli_parse(argc, argv, cmd, opts, &r, NULL, 0, 0, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if ((rc = cli_request(&r, "GET", path, NULL, &answer)) != FP_EXIT_OK)
                return rc;
        return cli_show_list(&r, answer, NULL, cols, ncols);
}

int cli_show_cmd(int argc, char **argv, const char *cmd, const char *fmt, void (*usage)(FILE *))
{
        const struct cli_opt opts[] = {{NULL, CLI_FLAG, NULL}};
        const char *name = NULL;
        struct cli_remote r = {0};
        json_t *answer;

        int rc = cli_parse(argc, argv, cmd, opts, &r, &name, 1, 1, usage);
        if (rc != CLI_GO_ON)
                return rc;
        if ((rc = cli_requestf(&r, "GET", NULL, &answer, fmt, name)) != FP_EXIT_OK)
                return rc;
        return cli_show_record(&r, answer);
}
