/*
 * The agent's configuration file: every option, comments and blanks, flags over the file,
 * and every kind of mistake reported as file:line with the option's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the daemon is not a library: its configuration parser is compiled into this test */
#include "agent/daemon/config.c" // NOLINT(bugprone-suspicious-include)
#include "test.h"

static char dir[] = "/tmp/fp-agentconf-XXXXXX";

static const char *write_conf(const char *text)
{
        static char path[4096];
        snprintf(path, sizeof(path), "%s/agent.conf", dir);
        FILE *f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
        return path;
}

/* Load text; the error, and "line:field" of the diag into where. */
static enum fp_err load(const char *text, struct agent_config *c, char *where, size_t wsz,
                        char *msg, size_t msz)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        agent_config_init(c);
        enum fp_err err = agent_config_load(c, write_conf(text), &d);
        snprintf(where, wsz, "%lu:%s", d.line, d.field);
        if (msg)
                snprintf(msg, msz, "%s", d.msg);
        return err;
}

static void test_full(void)
{
        struct agent_config c;
        char where[128];
        CHECK_INT_EQ(load("# fleetpatch agent\n"
                          "\n"
                          "server = https://fleet.example.org:8443/\n"
                          "  ca_file=/etc/fleetpatch/ca.pem  \n"
                          "state_dir = /var/lib/fp\n"
                          "root = /srv/image\n"
                          "enroll_token_file = /etc/fleetpatch/enroll.token\n"
                          "tags = role=web,env=prod\n"
                          "checkin_interval = 60\n"
                          "imds = on\n"
                          "imds_url = http://127.0.0.1:9/\n"
                          "hostname = web-1\n"
                          "log_level = debug\n"
                          "\t# indented comment\r\n",
                          &c, where, sizeof(where), NULL, 0),
                     FP_OK);
        CHECK_STR_EQ(c.server, "https://fleet.example.org:8443");
        CHECK_STR_EQ(c.ca_file, "/etc/fleetpatch/ca.pem");
        CHECK_STR_EQ(c.state_dir, "/var/lib/fp");
        CHECK_STR_EQ(c.root, "/srv/image");
        CHECK_STR_EQ(c.enroll_token_file, "/etc/fleetpatch/enroll.token");
        CHECK_INT_EQ(c.checkin_interval, 60);
        CHECK(c.imds);
        CHECK_STR_EQ(c.imds_url, "http://127.0.0.1:9");
        CHECK_STR_EQ(c.hostname, "web-1");
        CHECK_INT_EQ(c.log_level, LOG_LVL_DEBUG);
        json_t *t = agent_config_tags(&c);
        CHECK_INT_EQ(json_object_size(t), 2);
        CHECK_STR_EQ(json_string_value(json_object_get(t, "role")), "web");
        CHECK_STR_EQ(json_string_value(json_object_get(t, "env")), "prod");
        json_decref(t);
        struct fp_diag d;
        CHECK_INT_EQ(agent_config_check(&c, &d), FP_OK);

        /* flags override the file */
        CHECK_INT_EQ(agent_config_set(&c, "root", "/", "command line", 0, &d), FP_OK);
        CHECK_INT_EQ(agent_config_set(&c, "server", "https://other:1", "command line", 0, &d),
                     FP_OK);
        CHECK_STR_EQ(c.root, "/");
        CHECK_STR_EQ(c.server, "https://other:1");
        CHECK_INT_EQ(agent_config_set(&c, "root", "relative", "command line", 0, &d), FP_EINVAL);
        CHECK_STR_EQ(d.file, "command line");
        CHECK_STR_EQ(d.field, "root");
        CHECK_STR_EQ(c.root, "/"); /* a refused value changes nothing */
        agent_config_release(&c);
}

static void test_defaults(void)
{
        struct agent_config c;
        char where[128];
        struct fp_diag d;
        CHECK_INT_EQ(load("", &c, where, sizeof(where), NULL, 0), FP_OK);
        CHECK_STR_EQ(c.state_dir, AGENT_DEFAULT_STATE_DIR);
        CHECK_STR_EQ(c.root, "/");
        CHECK(!c.imds);
        CHECK_INT_EQ(c.checkin_interval, 0);
        CHECK_INT_EQ(c.log_level, LOG_LVL_INFO);
        json_t *t = agent_config_tags(&c);
        CHECK_INT_EQ(json_object_size(t), 0);
        json_decref(t);
        /* a usable agent needs a server */
        CHECK_INT_EQ(agent_config_check(&c, &d), FP_EINVAL);
        CHECK_STR_EQ(d.field, "server");
        agent_config_release(&c);

        /* a missing file says which */
        agent_config_init(&c);
        fp_diag_clear(&d);
        CHECK_INT_EQ(agent_config_load(&c, "/nonexistent/agent.conf", &d), FP_ENOENT);
        char msg[1024];
        fp_diag_format(&d, msg, sizeof(msg));
        CHECK_MSG(strstr(msg, "/nonexistent/agent.conf") != NULL, "message: %s", msg);
        agent_config_release(&c);
}

struct bad_case {
        const char *text;
        const char *where; /* "line:field" */
};

static void test_errors(void)
{
        static const struct bad_case cases[] = {
            {"server = https://a\nsrever = https://b\n", "2:srever"},
            {"# c\n\nnonsense\n", "3:"},
            {"= value\n", "1:"},
            {"server = http://plain.example.org\n", "1:server"},
            {"server = https://\n", "1:server"},
            {"server = ftp://x\n", "1:server"},
            {"server = https://a b\n", "1:server"},
            {"ca_file = ca.pem\n", "1:ca_file"},
            {"state_dir = \n", "1:state_dir"},
            {"root = var/root\n", "1:root"},
            {"enroll_token_file = token\n", "1:enroll_token_file"},
            {"checkin_interval = 0\n", "1:checkin_interval"},
            {"checkin_interval = 86401\n", "1:checkin_interval"},
            {"checkin_interval = 5m\n", "1:checkin_interval"},
            {"checkin_interval = \n", "1:checkin_interval"},
            {"imds = maybe\n", "1:imds"},
            {"imds_url = file:///etc/passwd\n", "1:imds_url"},
            {"log_level = loud\n", "1:log_level"},
            {"hostname = \n", "1:hostname"},
            {"tags = role\n", "1:tags"},
            {"tags = =web\n", "1:tags"},
            {"tags = ro le=web\n", "1:tags"},
            {"tags = role=web,\n", "1:tags"},
            {"tags = r\x01=web\n", "1:tags"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct agent_config c;
                char where[128], msg[256];
                enum fp_err err = load(cases[i].text, &c, where, sizeof(where), msg, sizeof(msg));
                CHECK_MSG(err == FP_EINVAL, "'%s': error %d", cases[i].text, (int)err);
                CHECK_MSG(strcmp(where, cases[i].where) == 0, "'%s': at %s, expected %s",
                          cases[i].text, where, cases[i].where);
                CHECK_MSG(msg[0] != '\0', "'%s': no message", cases[i].text);
                agent_config_release(&c);
        }
        /* the message names the file */
        struct agent_config c;
        struct fp_diag d;
        agent_config_init(&c);
        fp_diag_clear(&d);
        const char *path = write_conf("imds = on\nbogus = 1\n");
        CHECK_INT_EQ(agent_config_load(&c, path, &d), FP_EINVAL);
        char msg[1024], want[4200];
        fp_diag_format(&d, msg, sizeof(msg));
        snprintf(want, sizeof(want), "%s:2:", path);
        CHECK_MSG(strncmp(msg, want, strlen(want)) == 0, "message: %s", msg);
        agent_config_release(&c);
}

static void test_limits(void)
{
        struct agent_config c;
        char where[128];
        /* a line at the limit is read, one past it is refused */
        size_t n = AGENT_MAX_CONFIG_LINE;
        char *text = malloc(n + 64);
        snprintf(text, n + 64, "hostname = ");
        size_t used = strlen(text);
        memset(text + used, '#', n - used);
        text[n] = '\0';
        text[0] = '#'; /* a comment of exactly the limit */
        strcat(text, "\n");
        CHECK_INT_EQ(load(text, &c, where, sizeof(where), NULL, 0), FP_OK);
        agent_config_release(&c);
        text[n] = '#';
        text[n + 1] = '\n';
        text[n + 2] = '\0';
        CHECK_INT_EQ(load(text, &c, where, sizeof(where), NULL, 0), FP_ELIMIT);
        CHECK_STR_EQ(where, "1:");
        agent_config_release(&c);
        free(text);

        /* tags: 64 at most, keys <= 63, values <= 255 */
        char tags[64 * 12 + 32] = "tags = ";
        for (int i = 0; i < FP_MAX_TAGS; i++)
                snprintf(tags + strlen(tags), sizeof(tags) - strlen(tags), "%sk%d=v", i ? "," : "",
                         i);
        strcat(tags, "\n");
        CHECK_INT_EQ(load(tags, &c, where, sizeof(where), NULL, 0), FP_OK);
        json_t *t = agent_config_tags(&c);
        CHECK_INT_EQ(json_object_size(t), FP_MAX_TAGS);
        json_decref(t);
        agent_config_release(&c);
        tags[strlen(tags) - 1] = '\0';
        strcat(tags, ",extra=1\n");
        CHECK_INT_EQ(load(tags, &c, where, sizeof(where), NULL, 0), FP_EINVAL);
        agent_config_release(&c);

        char line[600];
        snprintf(line, sizeof(line), "tags = %0*d=v\n", FP_MAX_TAG_KEY, 0);
        CHECK_INT_EQ(load(line, &c, where, sizeof(where), NULL, 0), FP_OK);
        agent_config_release(&c);
        snprintf(line, sizeof(line), "tags = %0*d=v\n", FP_MAX_TAG_KEY + 1, 0);
        CHECK_INT_EQ(load(line, &c, where, sizeof(where), NULL, 0), FP_EINVAL);
        agent_config_release(&c);
        snprintf(line, sizeof(line), "tags = k=%0*d\n", FP_MAX_TAG_VALUE, 0);
        CHECK_INT_EQ(load(line, &c, where, sizeof(where), NULL, 0), FP_OK);
        agent_config_release(&c);
        snprintf(line, sizeof(line), "tags = k=%0*d\n", FP_MAX_TAG_VALUE + 1, 0);
        CHECK_INT_EQ(load(line, &c, where, sizeof(where), NULL, 0), FP_EINVAL);
        agent_config_release(&c);
        /* intervals at both bounds */
        CHECK_INT_EQ(load("checkin_interval = 1\n", &c, where, sizeof(where), NULL, 0), FP_OK);
        agent_config_release(&c);
        CHECK_INT_EQ(load("checkin_interval = 86400\n", &c, where, sizeof(where), NULL, 0), FP_OK);
        agent_config_release(&c);
}

int main(void)
{
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        test_full();
        test_defaults();
        test_errors();
        test_limits();
        char path[4200];
        snprintf(path, sizeof(path), "%s/agent.conf", dir);
        unlink(path);
        rmdir(dir);
        return fp_test_finish();
}
