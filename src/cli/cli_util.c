/* Helpers shared by the CLI subcommands (cli_util.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "fleetpatch/util.h"

void cli_print_error(const struct fp_diag *diag, enum fp_err err)
{
        char msg[1024];
        size_t n = diag ? fp_diag_format(diag, msg, sizeof(msg)) : 0;
        fprintf(stderr, "fleetpatch: %s\n", n ? msg : fp_strerror(err));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
        if (s[0] < 0x80)
                return 1;
        size_t n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
                return 0; /* overlong or surrogate */
        if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
                return 0;
        return n;
}

json_t *cli_json_str(const char *s)
{
        if (!s)
                return json_null();
        json_t *j = json_string(s);
        if (j)
                return j;
        struct fp_buf b;
        fp_buf_init(&b, strlen(s) * 3 + 1);
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                size_t n = utf8_seq(p);
                if (n) {
                        fp_buf_add(&b, p, n);
                        p += n;
                } else {
                        fp_buf_addstr(&b, "\xef\xbf\xbd");
                        p++;
                }
        }
        j = json_string(fp_buf_str(&b));
        fp_buf_release(&b);
        return j ? j : json_null();
}

void cli_csv_field(FILE *f, const char *s)
{
        if (!s)
                return;
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

int cli_mkdirs(char *path)
{
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                int rc = mkdir(path, 0700);
                *p = '/';
                if (rc != 0 && errno != EEXIST)
                        return -1;
        }
        return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

struct fp_vulndb *cli_open_vulndb(const char *given)
{
        char path[4096];
        const char *env = getenv("FLEETPATCH_DB");
        if (given) {
                snprintf(path, sizeof(path), "%s", given);
        } else if (env && *env) {
                snprintf(path, sizeof(path), "%s", env);
        } else {
                char dir[4000];
                const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
                if (geteuid() == 0)
                        snprintf(dir, sizeof(dir), "/var/lib/fleetpatch");
                else if (state && *state)
                        snprintf(dir, sizeof(dir), "%s/fleetpatch", state);
                else
                        snprintf(dir, sizeof(dir), "%s/.local/state/fleetpatch", home ? home : ".");
                if (cli_mkdirs(dir) != 0) {
                        fprintf(stderr, "fleetpatch: %s: %s\n", dir, strerror(errno));
                        return NULL;
                }
                snprintf(path, sizeof(path), "%s/vuln.db", dir);
        }
        struct fp_vulndb *db;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err err = fp_vulndb_open(path, &db, &diag);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                return NULL;
        }
        return db;
}

const char *cli_optarg(int argc, char **argv, int *i, const char *cmd)
{
        if (*i + 1 >= argc || argv[*i + 1][0] == '\0') {
                fprintf(stderr, "fleetpatch: %s: %s needs a value\n", cmd, argv[*i]);
                return NULL;
        }
        return argv[++*i];
}
