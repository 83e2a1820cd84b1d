/*
 * The CLI's server client without a server: durations, escaped request paths, the option
 * tables, the config file (precedence, 0600/0700, atomic replace, bad files), the connection
 * settings' precedence, error answers as messages and exit codes, and the tables it prints.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"

/* The CLI is a program, not a library: its sources are compiled into this test. */
#include "cli/cli_util.c" // NOLINT(bugprone-suspicious-include)
#include "cli/client.c"   // NOLINT(bugprone-suspicious-include)
#include "cli/remote.c"   // NOLINT(bugprone-suspicious-include)
#include "cli/updates.c"  // NOLINT(bugprone-suspicious-include)

static char tmpdir[256];

static void test_durations(void)
{
        static const struct {
                const char *in;
                long long secs; /* -1 = refused */
        } cases[] = {
            {"90", 90},
            {"30s", 30},
            {"15m", 900},
            {"2h", 7200},
            {"7d", 604800},
            {"1w", 604800},
            {"3660d", 3660LL * 86400},
            {"3661d", -1},
            {"", -1},
            {"0", -1},
            {"0s", -1},
            {"5x", -1},
            {"1.5h", -1},
            {"-1", -1},
            {"h", -1},
            {"10 m", -1},
            {"1hh", -1},
            {"999999999999", -1},
            {"1234567890123", -1},
            {"+5", -1},
            {"5M", -1},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                long long v = -1;
                bool ok = cli_parse_duration(cases[i].in, &v);
                CHECK_MSG(ok == (cases[i].secs >= 0), "duration '%s': ok=%d", cases[i].in, ok);
                if (ok)
                        CHECK_INT_EQ(v, cases[i].secs);
        }
        CHECK(!cli_parse_duration(NULL, &(long long){0}));

        long long n = 0;
        CHECK(cli_parse_int("5", 1, 10, &n) && n == 5);
        CHECK(!cli_parse_int("11", 1, 10, &n));
        CHECK(!cli_parse_int("0", 1, 10, &n));
        CHECK(!cli_parse_int("5a", 1, 10, &n));
        CHECK(!cli_parse_int("", 1, 10, &n));
        CHECK(!cli_parse_int("99999999999999999999", 1, 10, &n));
}

static void test_paths(void)
{
        struct fp_buf b;
        fp_buf_init(&b, CLI_MAX_REQUEST_PATH);
        CHECK(cli_pathf(&b, "/v1/hosts/%s/tags", "a b/c?d#e%") == FP_OK);
        CHECK_STR_EQ(fp_buf_str(&b), "/v1/hosts/a%20b%2Fc%3Fd%23e%25/tags");
        fp_buf_reset(&b);
        CHECK(cli_pathf(&b, "/v1/users/%s/grants/%s", "alice", "*") == FP_OK);
        CHECK_STR_EQ(fp_buf_str(&b), "/v1/users/alice/grants/*");
        fp_buf_reset(&b);
        CHECK(cli_pathf(&b, "/v1/hosts/%s", "..") == FP_EINVAL);
        fp_buf_reset(&b);
        CHECK(cli_pathf(&b, "/v1/hosts/%s", ".") == FP_EINVAL);
        fp_buf_reset(&b);
        CHECK(cli_pathf(&b, "/v1/hosts/%s", "") == FP_EINVAL);
        fp_buf_reset(&b);
        CHECK(cli_pathf(&b, "/v1/%d", 1) == FP_EINVAL);
        fp_buf_reset(&b);
        CHECK(cli_pathf(&b, "/100%%") == FP_OK);
        CHECK_STR_EQ(fp_buf_str(&b), "/100%");
        fp_buf_reset(&b);
        /* UTF-8 is escaped byte by byte. */
        CHECK(cli_path_escaped(&b, "\xc3\xa9") == FP_OK);
        CHECK_STR_EQ(fp_buf_str(&b), "%C3%A9");

        fp_buf_reset(&b);
        fp_buf_addstr(&b, "/v1/hosts");
        CHECK(cli_query_add(&b, "tag", "role=web") == FP_OK);
        CHECK(cli_query_add(&b, "tag", "env=prod&x") == FP_OK);
        CHECK(cli_query_add(&b, "seen_within", "600") == FP_OK);
        CHECK_STR_EQ(fp_buf_str(&b), "/v1/hosts?tag=role%3Dweb&tag=env%3Dprod%26x&seen_within=600");
        fp_buf_release(&b);

        /* A path beyond the limit is refused, not truncated. */
        char big[CLI_MAX_REQUEST_PATH];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        fp_buf_init(&b, CLI_MAX_REQUEST_PATH);
        CHECK(cli_pathf(&b, "/v1/hosts/%s", big) == FP_ELIMIT);
        fp_buf_release(&b);
}

static void noop_usage(FILE *f)
{
        (void)f;
}

static int parse(const char *cmd, const struct cli_opt *opts, struct cli_remote *r,
                 const char **pos, size_t minpos, size_t maxpos, char **argv)
{
        int argc = 0;
        while (argv[argc])
                argc++;
        memset(r, 0, sizeof(*r));
        return cli_parse(argc, argv, cmd, opts, r, pos, minpos, maxpos, noop_usage);
}

static void test_parse(void)
{
        const char *account = NULL, *pos[2] = {NULL};
        bool sec = false;
        struct cli_list tags = {0};
        const struct cli_opt opts[] = {{"--account", CLI_VALUE, &account},
                                       {"--security-only", CLI_FLAG, &sec},
                                       {"--tag", CLI_REPEAT, &tags},
                                       {NULL, CLI_FLAG, NULL}};
        struct cli_remote r;

        char *a1[] = {
            "ls",       "--account",       "acme",      "--tag",    "a=1",       "ID",      "--tag",
            "b=2",      "--security-only", "--json",    "--server", "https://s", "--token", "t",
            "--cacert", "/ca.pem",         "--timeout", "2m",       NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 1, 1, a1), CLI_GO_ON);
        CHECK_STR_EQ(account, "acme");
        CHECK_STR_EQ(pos[0], "ID");
        CHECK(sec && r.json);
        CHECK_INT_EQ(tags.n, 2);
        CHECK_STR_EQ(tags.v[1], "b=2");
        CHECK_STR_EQ(r.server, "https://s");
        CHECK_STR_EQ(r.token, "t");
        CHECK_STR_EQ(r.cacert, "/ca.pem");
        CHECK_INT_EQ(r.timeout_s, 120);

        char *a2[] = {"ls", "--bogus", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 0, 1, a2), FP_EXIT_USAGE);
        char *a3[] = {"ls", "--account", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 0, 1, a3), FP_EXIT_USAGE);
        char *a4[] = {"ls", "--account", "", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 0, 1, a4), FP_EXIT_USAGE);
        char *a5[] = {"ls", "one", "two", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 0, 1, a5), FP_EXIT_USAGE);
        char *a6[] = {"ls", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 1, 1, a6), FP_EXIT_USAGE);
        char *a7[] = {"ls", "--help", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 1, 1, a7), FP_EXIT_OK);
        char *a8[] = {"ls", "--timeout", "2h", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 0, 1, a8), FP_EXIT_USAGE);
        char *a9[] = {"ls", "--timeout", "soon", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 0, 1, a9), FP_EXIT_USAGE);
        /* "-" alone is an argument, not an option. */
        char *a10[] = {"ls", "-", NULL};
        CHECK_INT_EQ(parse("x", opts, &r, pos, 1, 1, a10), CLI_GO_ON);

        struct cli_list many = {0};
        const struct cli_opt ropts[] = {{"--tag", CLI_REPEAT, &many}, {NULL, CLI_FLAG, NULL}};
        char *big[2 * CLI_MAX_REPEAT + 4] = {"ls"};
        int n = 1;
        for (int i = 0; i <= CLI_MAX_REPEAT; i++) {
                big[n++] = "--tag";
                big[n++] = "k=v";
        }
        big[n] = NULL;
        CHECK_INT_EQ(parse("x", ropts, &r, NULL, 0, 0, big), FP_EXIT_USAGE);
        CHECK_INT_EQ(many.n, CLI_MAX_REPEAT);

        /* vulns: remote only for a host id with nothing local, or with connection options. */
        char *v1[] = {"vulns", "--host", "0123456789abcdef", NULL};
        char *v2[] = {"vulns", "--host", "0123456789abcdef", "--json", NULL};
        char *v3[] = {"vulns", "--host", "web-1", NULL};
        char *v4[] = {"vulns", "--status", "S", "--host", "0123456789abcdef", NULL};
        char *v5[] = {"vulns", "--host", "web-1", "--server", "https://s", NULL};
        char *v6[] = {"vulns", "--json", NULL};
        CHECK(cli_vulns_is_remote(3, v1));
        CHECK(cli_vulns_is_remote(4, v2));
        CHECK(!cli_vulns_is_remote(3, v3));
        CHECK(!cli_vulns_is_remote(5, v4));
        CHECK(cli_vulns_is_remote(5, v5));
        CHECK(!cli_vulns_is_remote(2, v6));
}

static void test_tags(void)
{
        json_t *t = json_object();
        CHECK(cli_tag_set(t, "role=web", "t"));
        CHECK(cli_tag_set(t, "expr=a=b", "t"));
        CHECK(cli_tag_set(t, "empty=", "t"));
        CHECK_STR_EQ(json_string_value(json_object_get(t, "expr")), "a=b");
        CHECK_STR_EQ(json_string_value(json_object_get(t, "empty")), "");
        CHECK(!cli_tag_set(t, "novalue", "t"));
        CHECK(!cli_tag_set(t, "=v", "t"));
        CHECK(!cli_tag_set(t, "k=\xff", "t"));
        char key[FP_MAX_TAG_KEY + 8];
        memset(key, 'k', FP_MAX_TAG_KEY);
        strcpy(key + FP_MAX_TAG_KEY, "=v");
        CHECK(cli_tag_set(t, key, "t"));
        memset(key, 'k', FP_MAX_TAG_KEY + 1);
        strcpy(key + FP_MAX_TAG_KEY + 1, "=v");
        CHECK(!cli_tag_set(t, key, "t"));
        CHECK_INT_EQ(json_object_size(t), 4);
        json_decref(t);
}

static mode_t mode_of(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static size_t entries(const char *dir)
{
        size_t n = 0;
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));)
                n += e->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
        chmod(path, mode);
}

static void test_config(void)
{
        char path[600], dir[512], p[CLI_MAX_PATH];
        struct cli_conn c = {0}, back;
        struct fp_diag diag;

        /* Where: the override, else XDG_CONFIG_HOME, else HOME. */
        unsetenv("FLEETPATCH_CLI_CONFIG");
        setenv("XDG_CONFIG_HOME", "/xdg", 1);
        setenv("HOME", "/home/u", 1);
        CHECK(cli_config_path(p, sizeof(p)));
        CHECK_STR_EQ(p, "/xdg/fleetpatch/cli.json");
        setenv("XDG_CONFIG_HOME", "relative", 1);
        CHECK(cli_config_path(p, sizeof(p)));
        CHECK_STR_EQ(p, "/home/u/.config/fleetpatch/cli.json");
        unsetenv("XDG_CONFIG_HOME");
        CHECK(cli_config_path(p, sizeof(p)));
        CHECK_STR_EQ(p, "/home/u/.config/fleetpatch/cli.json");
        setenv("FLEETPATCH_CLI_CONFIG", "/etc/x.json", 1);
        CHECK(cli_config_path(p, sizeof(p)));
        CHECK_STR_EQ(p, "/etc/x.json");
        CHECK(!cli_config_path(p, 5));

        /* Written with 0600 in a new 0700 directory, read back the same. */
        snprintf(dir, sizeof(dir), "%s/cfg/fleetpatch", tmpdir);
        snprintf(path, sizeof(path), "%s/cli.json", dir);
        snprintf(c.server, sizeof(c.server), "https://fp.example:8443");
        snprintf(c.token, sizeof(c.token), "fpu_0123456789abcdef_%064d", 7);
        snprintf(c.cacert, sizeof(c.cacert), "/etc/fleetpatch/ca.pem");
        c.session = true;
        fp_diag_clear(&diag);
        CHECK(cli_config_save(path, &c, &diag) == FP_OK);
        CHECK_INT_EQ(mode_of(path), 0600);
        CHECK_INT_EQ(mode_of(dir), 0700);
        memset(&back, 0, sizeof(back));
        CHECK(cli_config_load(path, &back, &diag) == FP_OK);
        CHECK_STR_EQ(back.server, c.server);
        CHECK_STR_EQ(back.token, c.token);
        CHECK_STR_EQ(back.cacert, c.cacert);
        CHECK(back.session);

        /* Replacing: still 0600 even under a permissive umask, no temporary file left. */
        mode_t old = umask(0);
        chmod(path, 0644);
        c.session = false;
        c.cacert[0] = '\0';
        CHECK(cli_config_save(path, &c, &diag) == FP_OK);
        umask(old);
        CHECK_INT_EQ(mode_of(path), 0600);
        CHECK_INT_EQ(entries(dir), 1);
        memset(&back, 0, sizeof(back));
        CHECK(cli_config_load(path, &back, &diag) == FP_OK);
        CHECK(!back.session);
        CHECK_STR_EQ(back.cacert, "");

        /* A directory that cannot be made is an error with the path in the message. */
        char bad[700];
        snprintf(bad, sizeof(bad), "%s/cli.json/sub/cli.json", dir);
        CHECK(cli_config_save(bad, &c, &diag) == FP_EIO);
        CHECK(strstr(diag.file, "cli.json/sub") != NULL);

        /* Missing, malformed, wrong types, too long, too big. */
        char other[600];
        snprintf(other, sizeof(other), "%s/other.json", tmpdir);
        CHECK(cli_config_load(other, &back, &diag) == FP_ENOENT);
        write_file(other, "{\"server\": ", 0600);
        fp_diag_clear(&diag);
        CHECK(cli_config_load(other, &back, &diag) == FP_EPARSE);
        CHECK(diag.msg[0] != '\0');
        write_file(other, "[1]", 0600);
        CHECK(cli_config_load(other, &back, &diag) == FP_EPARSE);
        write_file(other, "{\"server\": 5}", 0600);
        fp_diag_clear(&diag);
        CHECK(cli_config_load(other, &back, &diag) == FP_EPARSE);
        CHECK_STR_EQ(diag.field, "server");
        write_file(other, "{\"session\": \"yes\"}", 0600);
        CHECK(cli_config_load(other, &back, &diag) == FP_EPARSE);
        write_file(other, "{\"token\": \"a\\u0000b\"}", 0600);
        CHECK(cli_config_load(other, &back, &diag) == FP_EPARSE);
        char *huge = malloc(CLI_MAX_CONFIG_SIZE + 16);
        if (huge) {
                memset(huge, ' ', CLI_MAX_CONFIG_SIZE + 15);
                huge[0] = '{';
                huge[CLI_MAX_CONFIG_SIZE + 14] = '}';
                huge[CLI_MAX_CONFIG_SIZE + 15] = '\0';
                write_file(other, huge, 0600);
                CHECK(cli_config_load(other, &back, &diag) == FP_ELIMIT);
                free(huge);
        }
        char longtok[CLI_MAX_TOKEN + 40];
        snprintf(longtok, sizeof(longtok), "{\"token\": \"%0*d\"}", CLI_MAX_TOKEN, 1);
        write_file(other, longtok, 0600);
        CHECK(cli_config_load(other, &back, &diag) == FP_EPARSE);
        /* Readable by others: used, with a warning. */
        write_file(other, "{\"server\": \"https://a\"}", 0644);
        CHECK(cli_config_load(other, &back, &diag) == FP_OK);
}

static void test_connect(void)
{
        char path[512];
        struct cli_conn saved = {0}, c;
        struct cli_remote r = {0};
        struct fp_diag diag;

        snprintf(path, sizeof(path), "%s/conn.json", tmpdir);
        setenv("FLEETPATCH_CLI_CONFIG", path, 1);
        unsetenv("FLEETPATCH_SERVER");
        unsetenv("FLEETPATCH_TOKEN");
        unsetenv("FLEETPATCH_CACERT");

        /* Nothing anywhere: not logged in. */
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_AUTH);

        snprintf(saved.server, sizeof(saved.server), "https://saved:1");
        snprintf(saved.token, sizeof(saved.token), "fpu_saved");
        snprintf(saved.cacert, sizeof(saved.cacert), "/saved/ca.pem");
        saved.session = true;
        fp_diag_clear(&diag);
        CHECK(cli_config_save(path, &saved, &diag) == FP_OK);
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_OK);
        CHECK_STR_EQ(c.server, "https://saved:1");
        CHECK_STR_EQ(c.token, "fpu_saved");
        CHECK_STR_EQ(c.cacert, "/saved/ca.pem");
        CHECK(c.session);
        CHECK_INT_EQ(c.timeout_s, CLI_DEFAULT_TIMEOUT_S);

        /* The environment wins over the file. */
        setenv("FLEETPATCH_TOKEN", "fpu_env", 1);
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_OK);
        CHECK_STR_EQ(c.token, "fpu_env");
        CHECK(!c.session);
        /* Flags win over the environment. */
        r.token = "fpu_flag";
        r.timeout_s = 5;
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_OK);
        CHECK_STR_EQ(c.token, "fpu_flag");
        CHECK_INT_EQ(c.timeout_s, 5);
        unsetenv("FLEETPATCH_TOKEN");
        r.token = NULL;

        /* Another server: the saved token and CA are not sent there. */
        r.server = "https://other:2";
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_AUTH);
        setenv("FLEETPATCH_TOKEN", "fpu_env", 1);
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_OK);
        CHECK_STR_EQ(c.cacert, "");
        setenv("FLEETPATCH_CACERT", "/env/ca.pem", 1);
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_OK);
        CHECK_STR_EQ(c.cacert, "/env/ca.pem");
        /* A token that would break the Authorization header is refused. */
        r.token = "fpu_a\r\nX-Evil: 1";
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_USAGE);
        r.token = NULL;
        unsetenv("FLEETPATCH_TOKEN");
        unsetenv("FLEETPATCH_CACERT");
        r.server = NULL;

        /* A broken config file is a bad input, not "not logged in". */
        write_file(path, "{", 0600);
        CHECK_INT_EQ(cli_connect(&r, &c), FP_EXIT_INPUT);
        unlink(path);
}

static void test_errors(void)
{
        char out[1024];

        cli_error_text(404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such host\"}}",
                       out, sizeof(out));
        CHECK_STR_EQ(out, "404 not_found: no such host");
        cli_error_text(400,
                       "{\"error\":{\"code\":\"invalid_request\",\"message\":\"too long\","
                       "\"field\":\"tags.role\"}}",
                       out, sizeof(out));
        CHECK_STR_EQ(out, "400 invalid_request: too long (field tags.role)");
        cli_error_text(502, "<html>Bad Gateway</html>", out, sizeof(out));
        CHECK_STR_EQ(out, "HTTP status 502: <html>Bad Gateway</html>");
        cli_error_text(500, "", out, sizeof(out));
        CHECK_STR_EQ(out, "HTTP status 500");
        cli_error_text(500, NULL, out, sizeof(out));
        CHECK_STR_EQ(out, "HTTP status 500");
        /* A server's text never reaches the terminal with its control characters. */
        cli_error_text(403, "{\"error\":{\"code\":\"forbidden\",\"message\":\"a\\u001b[31mb\"}}",
                       out, sizeof(out));
        CHECK_STR_EQ(out, "403 forbidden: a?[31mb");

        CHECK_INT_EQ(cli_status_exit(401), FP_EXIT_AUTH);
        CHECK_INT_EQ(cli_status_exit(403), FP_EXIT_SERVER);
        CHECK_INT_EQ(cli_status_exit(404), FP_EXIT_SERVER);
        CHECK_INT_EQ(cli_status_exit(500), FP_EXIT_SERVER);
}

/* A 127.0.0.1 port nothing listens on (bound, then closed). */
static int closed_port(void)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
        if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
            getsockname(fd, (struct sockaddr *)&a, &len) == 0)
                port = ntohs(a.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

static void test_transport(void)
{
        struct cli_conn c = {.timeout_s = 5};
        json_t *out = NULL;

        snprintf(c.server, sizeof(c.server), "https://127.0.0.1:%d", closed_port());
        snprintf(c.token, sizeof(c.token), "fpu_x");
        CHECK_INT_EQ(cli_call(&c, "GET", "/v1/whoami", NULL, &out), FP_EXIT_UNREACHABLE);
        CHECK(out == NULL);
        /* Plain HTTP is refused before anything is sent: the token travels over TLS only. */
        snprintf(c.server, sizeof(c.server), "http://127.0.0.1:%d", closed_port());
        CHECK_INT_EQ(cli_call(&c, "GET", "/v1/whoami", NULL, &out), FP_EXIT_USAGE);
        CHECK(out == NULL);
}

/* What fn prints on stdout. */
static char *captured(void (*fn)(const void *), const void *arg)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/stdout", tmpdir);
        fflush(stdout);
        int saved = dup(STDOUT_FILENO), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (saved < 0 || fd < 0)
                return NULL;
        dup2(fd, STDOUT_FILENO);
        fn(arg);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        off_t n = lseek(fd, 0, SEEK_END);
        char *text = n >= 0 ? calloc(1, (size_t)n + 1) : NULL;
        if (text && pread(fd, text, (size_t)n, 0) != n) {
                free(text);
                text = NULL;
        }
        close(fd);
        return text;
}

static void print_hosts(const void *rows)
{
        static const struct cli_col cols[] = {{"ID", "id", false},
                                              {"SEEN", "last_seen", true},
                                              {"UPD", "counts.updates", false},
                                              {"TAGS", "tags", false}};
        cli_print_table(rows, cols, 4);
}

static void print_rec(const void *obj)
{
        cli_print_record(obj);
}

static void test_output(void)
{
        json_t *rows =
            json_loads("[{\"id\":\"h1\",\"last_seen\":1700000000,\"counts\":{\"updates\":3},"
                       "\"tags\":{\"z\":\"1\",\"a\":\"b\"}},"
                       "{\"id\":\"host-\\u00e9\\u001b\",\"last_seen\":0,\"tags\":{}}]",
                       0, NULL);
        CHECK(rows != NULL);
        char *t = captured(print_hosts, rows);
        CHECK_STR_EQ(t, "ID       SEEN              UPD  TAGS\n"
                        "h1       2023-11-14 22:13  3    a=b,z=1\n"
                        "host-\xc3\xa9?  -                 -    -\n");
        free(t);
        json_decref(rows);

        json_t *rec = json_loads("{\"id\":\"h1\",\"facts\":{\"os\":\"debian\",\"cloud\":{\"r\":"
                                 "\"eu\"}},\"ok\":true,\"n\":null,\"list\":[1,2],"
                                 "\"grants\":[{\"account\":\"a\",\"role\":\"viewer\"},"
                                 "{\"account\":\"*\",\"role\":\"admin\"}]}",
                                 0, NULL);
        t = captured(print_rec, rec);
        CHECK_STR_EQ(t, "facts.cloud.r: eu\n"
                        "facts.os:      debian\n"
                        "grants:        account=a,role=viewer; account=*,role=admin\n"
                        "id:            h1\n"
                        "list:          1,2\n"
                        "n:             -\n"
                        "ok:            yes\n");
        free(t);

        CHECK(cli_list_items(rec, "grants") == json_object_get(rec, "grants"));
        CHECK(cli_list_items(rec, "facts") == NULL);
        /* Two arrays: which one is the list is not guessed. */
        CHECK(cli_list_items(rec, NULL) == NULL);
        json_object_del(rec, "list");
        CHECK(cli_list_items(rec, NULL) == json_object_get(rec, "grants"));
        json_decref(rec);
}

static void test_password(void)
{
        char path[512], pw[CLI_MAX_PASSWORD];

        snprintf(path, sizeof(path), "%s/pw", tmpdir);
        write_file(path, "s3cret pass\r\nsecond line\n", 0600);
        CHECK(cli_read_password(path, "", pw, sizeof(pw)));
        CHECK_STR_EQ(pw, "s3cret pass");
        write_file(path, "no-newline", 0600);
        CHECK(cli_read_password(path, "", pw, sizeof(pw)));
        CHECK_STR_EQ(pw, "no-newline");
        write_file(path, "\nlater\n", 0600);
        CHECK(!cli_read_password(path, "", pw, sizeof(pw)));
        snprintf(path, sizeof(path), "%s/missing", tmpdir);
        CHECK(!cli_read_password(path, "", pw, sizeof(pw)));
        /* Longer than the buffer: refused, not cut. */
        char small[8];
        snprintf(path, sizeof(path), "%s/pw", tmpdir);
        write_file(path, "0123456789\n", 0600);
        CHECK(!cli_read_password(path, "", small, sizeof(small)));
        setenv("FLEETPATCH_PASSWORD", "from-env", 1);
        CHECK(cli_read_password(NULL, "", pw, sizeof(pw)));
        CHECK_STR_EQ(pw, "from-env");
        unsetenv("FLEETPATCH_PASSWORD");
}

int main(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/fp-cli-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_durations();
        test_paths();
        test_parse();
        test_tags();
        test_config();
        test_connect();
        test_errors();
        test_transport();
        test_output();
        test_password();
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", tmpdir);
        return fp_test_finish();
}
