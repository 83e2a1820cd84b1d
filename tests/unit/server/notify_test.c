/* Notifications without the network: the outbox in the store (idempotent events, fan-out to
 * subscriptions and groups, claim, retry, dead letters, requeue, rollback queues nothing),
 * templates (placeholders, positions of errors, limits), the retry schedule and the email. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fleetpatch/limits.h"
#include "fleetpatch/store.h"
#include "fleetpatch/store_notify.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/server.h"
#include "test.h"
#include "test_store.h"

static char dir[256], url[512];

static struct fp_tx *begin(struct fp_store *s, bool write)
{
        struct fp_tx *tx = NULL;
        if (fp_store_begin(s, write, &tx, NULL) != FP_OK) {
                fprintf(stderr, "begin failed\n");
                exit(1);
        }
        return tx;
}

static void sub(struct fp_tx *tx, const char *id, const char *user, const char *group,
                const char *events)
{
        struct fp_notify_sub_rec s = {.id = id, .account = "acme", .owner_user = user,
                                      .owner_group = group, .events = events,
                                      .channel = "webhook", .url = "http://127.0.0.1:1/",
                                      .secret = "0123456789abcdef", .created = 1};
        CHECK_INT_EQ(fp_store_notify_sub_create(tx, &s, NULL), FP_OK);
}

struct seen {
        int n;
        int64_t ids[16];
        char subs[16][17];
        int64_t attempts[16];
};

static bool seen_cb(void *ctx, const struct fp_notify_delivery_rec *d)
{
        struct seen *s = ctx;
        if (s->n < 16) {
                s->ids[s->n] = d->id;
                snprintf(s->subs[s->n], 17, "%s", d->sub);
                s->attempts[s->n] = d->attempts;
        }
        s->n++;
        return true;
}

static void outbox(void)
{
        struct fp_store *st = NULL;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_store_open(url, &st, &d), FP_OK);
        if (!st)
                return;
        struct fp_tx *tx = begin(st, true);
        struct fp_notify_group_rec g = {.account = "acme", .name = "db-team",
                                        .members = "[\"alice\"]", .emails = "[\"db@x.org\"]",
                                        .created = 1, .updated = 1};
        CHECK_INT_EQ(fp_store_notify_group_put(tx, &g, true, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_notify_group_put(tx, &g, true, NULL), FP_EEXIST);
        sub(tx, "s1", "alice", "", "[\"host.catchup\",\"change.approval\"]");
        sub(tx, "s2", "", "db-team", "[\"host.catchup\"]");
        sub(tx, "s3", "bob", "", "[\"rollout.halted\"]");
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);

        /* An event rolled back with its transaction is not queued. */
        tx = begin(st, true);
        json_t *data = json_pack("{s:s}", "host", "h1");
        CHECK_INT_EQ(fp_notify_event(NULL, tx, 100, "acme", "host.catchup", "host:h1:100",
                                     "h1 needs catch-up", data, &d),
                     FP_OK);
        fp_tx_rollback(tx);
        struct seen s = {0};
        tx = begin(st, true);
        CHECK_INT_EQ(fp_store_notify_delivery_claim(tx, 1000, 1100, 10, seen_cb, &s, NULL), FP_OK);
        CHECK_INT_EQ(s.n, 0);
        /* Queued once per key; not for the group s2 (no data.group). */
        CHECK_INT_EQ(fp_notify_event(NULL, tx, 100, "acme", "host.catchup", "host:h1:100",
                                     "h1 needs catch-up", data, &d),
                     FP_OK);
        CHECK_INT_EQ(fp_notify_event(NULL, tx, 101, "acme", "host.catchup", "host:h1:100",
                                     "again", data, &d),
                     FP_OK);
        json_decref(data);
        data = json_pack("{s:s, s:s}", "host", "h2", "group", "db-team");
        CHECK_INT_EQ(fp_notify_event(NULL, tx, 100, "acme", "host.catchup", "host:h2:100",
                                     "h2", data, &d),
                     FP_OK);
        json_decref(data);
        CHECK_INT_EQ(fp_notify_event(NULL, tx, 100, "acme", "no.such", "k", "x", NULL, &d),
                     FP_EINVAL);
        CHECK_MSG(strstr(d.msg, "unknown event type"), "msg: %s", d.msg);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);

        tx = begin(st, true);
        s.n = 0;
        CHECK_INT_EQ(fp_store_notify_delivery_claim(tx, 99, 200, 10, seen_cb, &s, NULL), FP_OK);
        CHECK_INT_EQ(s.n, 0); /* not due yet */
        CHECK_INT_EQ(fp_store_notify_delivery_claim(tx, 100, 200, 10, seen_cb, &s, NULL), FP_OK);
        CHECK_INT_EQ(s.n, 3); /* h1 -> s1; h2 -> s1 and s2 */
        CHECK_INT_EQ(s.attempts[0], 1);
        /* Claimed: not claimed again until the lease runs out (a worker that died). */
        struct seen again = {0};
        CHECK_INT_EQ(fp_store_notify_delivery_claim(tx, 150, 250, 10, seen_cb, &again, NULL),
                     FP_OK);
        CHECK_INT_EQ(again.n, 0);
        CHECK_INT_EQ(fp_store_notify_delivery_claim(tx, 200, 300, 10, seen_cb, &again, NULL),
                     FP_OK);
        CHECK_INT_EQ(again.n, 3);
        CHECK_INT_EQ(again.attempts[0], 2);
        CHECK_INT_EQ(fp_store_notify_delivery_finish(tx, s.ids[0], "sent", 200, "", 0, 201, NULL),
                     FP_OK);
        CHECK_INT_EQ(fp_store_notify_delivery_finish(tx, s.ids[1], "dead", 503, "HTTP 503", 0,
                                                     201, NULL),
                     FP_OK);
        CHECK_INT_EQ(fp_store_notify_delivery_finish(tx, s.ids[2], "pending", 0, "refused", 500,
                                                     201, NULL),
                     FP_OK);
        struct seen dead = {0};
        CHECK_INT_EQ(fp_store_notify_delivery_list(tx, "acme", "dead", NULL, 100, seen_cb, &dead,
                                                   NULL),
                     FP_OK);
        CHECK_INT_EQ(dead.n, 1);
        struct seen mine = {0};
        CHECK_INT_EQ(fp_store_notify_delivery_list(tx, "acme", NULL, "bob", 100, seen_cb, &mine,
                                                   NULL),
                     FP_OK);
        CHECK_INT_EQ(mine.n, 0);
        CHECK_INT_EQ(fp_store_notify_delivery_requeue(tx, s.ids[0], 300, NULL), FP_ENOTFOUND);
        CHECK_INT_EQ(fp_store_notify_delivery_requeue(tx, s.ids[1], 300, NULL), FP_OK);
        struct fp_notify_delivery_rec one;
        CHECK_INT_EQ(fp_store_notify_delivery_get(tx, s.ids[1], &one, NULL), FP_OK);
        CHECK_STR_EQ(one.state, "pending");
        CHECK_INT_EQ(one.attempts, 0);
        CHECK_STR_EQ(one.ev.type, "host.catchup");
        /* Removing the group removes its subscriptions and their queue. */
        CHECK_INT_EQ(fp_store_notify_group_delete(tx, "acme", "db-team", NULL), FP_OK);
        CHECK_INT_EQ(fp_store_notify_sub_get(tx, "s2", &(struct fp_notify_sub_rec){0}, NULL),
                     FP_ENOTFOUND);
        int64_t n = 0;
        CHECK_INT_EQ(fp_store_notify_sub_count(tx, "acme", &n, NULL), FP_OK);
        CHECK_INT_EQ(n, 2);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        fp_store_close(st);
}

static void templates(void)
{
        struct fp_diag d;
        const char *good = "{{type}} on {{ data.host }}: {subject} {{subject}} at {{created}}";
        CHECK_INT_EQ(fp_notify_tpl_check(good, strlen(good), &d), FP_OK);
        struct {
                const char *t;
                unsigned long pos;
                const char *msg;
        } bad[] = {
            {"hello {{nope}}", 7, "unknown placeholder '{{nope}}'"},
            {"a {{type}} {{data.x", 12, "'{{' without '}}'"},
            {"x }} y", 3, "'}}' without '{{'"},
            {"{{}}", 1, "empty placeholder"},
            {"{{ data. }}", 1, "unknown placeholder"},
            {"{{data.a b}}", 1, "unknown placeholder"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                fp_diag_clear(&d);
                CHECK_INT_EQ(fp_notify_tpl_check(bad[i].t, strlen(bad[i].t), &d), FP_EPARSE);
                CHECK_INT_EQ(d.line, bad[i].pos);
                CHECK_MSG(strstr(d.msg, bad[i].msg), "%s: %s", bad[i].t, d.msg);
        }
        /* At the limit and one past it. */
        char *big = malloc(FP_MAX_NOTIFY_TEMPLATE + 2);
        memset(big, 'a', FP_MAX_NOTIFY_TEMPLATE + 1);
        big[FP_MAX_NOTIFY_TEMPLATE + 1] = 0;
        CHECK_INT_EQ(fp_notify_tpl_check(big, FP_MAX_NOTIFY_TEMPLATE, &d), FP_OK);
        CHECK_INT_EQ(fp_notify_tpl_check(big, FP_MAX_NOTIFY_TEMPLATE + 1, &d), FP_ELIMIT);
        free(big);
        char ph[FP_MAX_NOTIFY_PLACEHOLDER + 16];
        snprintf(ph, sizeof(ph), "{{data.%0*d}}", FP_MAX_NOTIFY_PLACEHOLDER - 5, 0);
        CHECK_INT_EQ(fp_notify_tpl_check(ph, strlen(ph), &d), FP_OK);
        snprintf(ph, sizeof(ph), "{{data.%0*d}}", FP_MAX_NOTIFY_PLACEHOLDER - 4, 0);
        CHECK_INT_EQ(fp_notify_tpl_check(ph, strlen(ph), &d), FP_ELIMIT);

        json_t *data = json_pack("{s:s, s:i, s:b, s:[i,i]}", "host", "web-1", "kev", 3, "ok", 1,
                                 "list", 1, 2);
        struct fp_notify_vars v = {.type = "exposure.kev", .account = "acme", .key = "k",
                                   .subject = "S", .created = 86400, .event = 7, .data = data};
        char *out = fp_notify_tpl_render("{{type}}/{{account}}: {{data.host}} kev={{data.kev}} "
                                         "{{data.ok}} {{data.list}} [{{data.none}}] {{event}} "
                                         "{{created}} {x}",
                                         &v);
        CHECK_STR_EQ(out, "exposure.kev/acme: web-1 kev=3 true [1,2] [] 7 1970-01-02T00:00:00Z {x}");
        free(out);
        json_decref(data);
}

static void backoff(void)
{
        /* base 60, cap 6 h: 60, 120, 240, ... 15360, then 21600 */
        int64_t want[] = {60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600};
        for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
                CHECK_INT_EQ(fp_notify_backoff(60, 21600, i + 1), want[i]);
        CHECK_INT_EQ(fp_notify_backoff(1, 5, 1000), 5);
        CHECK(fp_notify_backoff(1, INT64_MAX, 200) == INT64_MAX);
}

static void email(void)
{
        const char *to[] = {"ops@example.org", "db@example.org"};
        struct fp_notify_email m = {.from = "fleetpatch@example.org", .to = to, .n_to = 2,
                                    .subject = "Host\r\nBcc: evil@x KEV", .text = "hello\n",
                                    .date = 0, .message_id = "<1.2@example.org>",
                                    .event_type = "exposure.kev"};
        char *msg = fp_notify_email_build(&m);
        CHECK(msg && strstr(msg, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
        CHECK(msg && strstr(msg, "\r\nTo: ops@example.org,\r\n db@example.org\r\n"));
        CHECK(msg && strstr(msg, "\r\nSubject: Host  Bcc: evil@x KEV\r\n")); /* no injection */
        CHECK(msg && strstr(msg, "\r\nMessage-ID: <1.2@example.org>\r\n"));
        CHECK(msg && strstr(msg, "Content-Type: text/plain; charset=utf-8\r\n"));
        CHECK(msg && strstr(msg, "\r\n\r\naGVsbG8K\r\n")); /* base64("hello\n") */
        free(msg);
        m.subject = "Wartung geplant: Kühlschrank";
        m.html = "<html><body>r</body></html>";
        m.html_name = "report.html";
        msg = fp_notify_email_build(&m);
        CHECK(msg && strstr(msg, "Subject: =?UTF-8?B?V2FydHVuZyBnZXBsYW50OiBLw7xobHNjaHJhbms=?=\r\n"));
        CHECK(msg && strstr(msg, "multipart/mixed; boundary="));
        CHECK(msg && strstr(msg, "Content-Disposition: attachment; filename=\"report.html\""));
        CHECK(msg && strstr(msg, "--=_fleetpatch_part_boundary--\r\n"));
        CHECK(msg && !strstr(msg, "text/csv"));
        free(msg);
        m.csv = "host,state\r\nweb-1,compliant\r\n";
        m.csv_name = "weekly.csv";
        msg = fp_notify_email_build(&m);
        CHECK(msg && strstr(msg, "Content-Type: text/csv; charset=utf-8\r\n"
                                 "Content-Disposition: attachment; filename=\"weekly.csv\""));
        CHECK(msg && strstr(msg, "filename=\"report.html\"")); /* both attached */
        free(msg);
        m.html = NULL; /* a CSV alone is still a multipart message */
        msg = fp_notify_email_build(&m);
        CHECK(msg && strstr(msg, "multipart/mixed") && !strstr(msg, "text/html"));
        free(msg);
        m.csv = NULL;
        /* Not UTF-8 (stray continuation bytes) and a long subject cut inside a character:
         * encoded words of whole characters, nothing past the header block. */
        char odd[200];
        memset(odd, 0x80, sizeof(odd) - 1);
        odd[sizeof(odd) - 1] = 0;
        m.subject = odd;
        m.html = NULL;
        msg = fp_notify_email_build(&m);
        CHECK(msg && strstr(msg, "Subject: =?UTF-8?B?"));
        free(msg);
        char *emoji = malloc(4 * 300 + 1);
        for (int i = 0; i < 300; i++)
                memcpy(emoji + 4 * i, "\xF0\x9F\x98\x80", 4);
        emoji[1200] = 0;
        m.subject = emoji;
        msg = fp_notify_email_build(&m);
        /* 999 bytes kept at most: 249 whole characters, 45-byte words of 11 characters */
        size_t words = 0;
        for (const char *q = msg; q && (q = strstr(q, "=?UTF-8?B?")); q++)
                words++;
        CHECK_INT_EQ(words, 249 / 11 + 1);
        CHECK(msg && strstr(msg, "?=\r\nMessage-ID: "));
        free(msg);
        free(emoji);
        CHECK(fp_notify_address_valid("a@b.c"));
        CHECK(!fp_notify_address_valid("a b@c"));
        CHECK(!fp_notify_address_valid("a@b@c"));
        CHECK(!fp_notify_address_valid("<a@b>"));
        CHECK(!fp_notify_address_valid("a@b\r\nRCPT TO:<x@y>"));
}

/* The worker with a clock the test controls: a webhook nobody answers (a loopback port that
 * was just closed) is retried at exactly base, 2 x base, ... and is dead after the last
 * attempt; a requeue starts it again. */
static int closed_port(void)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        int port = 0;
        if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
            getsockname(fd, (struct sockaddr *)&a, &len) == 0)
                port = ntohs(a.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

static void worker(void)
{
        static struct fp_server srv;
        char err[256], hook[64];
        char *argv[] = {"notify_test", NULL};
        CHECK(fp_srv_config_load(&srv.cfg, 1, argv, err, sizeof(err)));
        srv.cfg.notify_retry_base = 60;
        srv.cfg.notify_retry_max = 3600;
        srv.cfg.notify_max_attempts = 4;
        srv.cfg.notify_timeout = 5;
        struct fp_diag d;
        fp_diag_clear(&d);
        char own[600]; /* a store of its own: nothing else is due in it */
        CHECK(test_store_url(own, sizeof(own), dir, "worker"));
        CHECK_INT_EQ(fp_store_open(own, &srv.store, &d), FP_OK);
        if (!srv.store)
                return;
        snprintf(hook, sizeof(hook), "http://127.0.0.1:%d/hook", closed_port());
        struct fp_tx *tx = begin(srv.store, true);
        /* carol may read beta (her subscriptions send); dave only acme (his do not) */
        int64_t carol = 0, dave = 0;
        CHECK_INT_EQ(fp_store_user_create(tx, "carol", NULL, &carol, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_grant_set(tx, carol, "beta", FP_ROLE_VIEWER, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_user_create(tx, "dave", NULL, &dave, NULL), FP_OK);
        CHECK_INT_EQ(fp_store_grant_set(tx, dave, "acme", FP_ROLE_ADMIN, NULL), FP_OK);
        struct fp_notify_sub_rec s = {.id = "w1", .account = "beta", .owner_user = "carol",
                                      .events = "[\"rollout.halted\"]", .channel = "webhook",
                                      .url = hook, .secret = "0123456789abcdef", .created = 1};
        CHECK_INT_EQ(fp_store_notify_sub_create(tx, &s, NULL), FP_OK);
        CHECK_INT_EQ(fp_notify_event(&srv, tx, 5000, "beta", "rollout.halted", "r:1", "halted",
                                     NULL, &d),
                     FP_OK);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        /* attempt at 5000, then due at +60, +120, +240; dead after the 4th */
        int64_t at[] = {5000, 5060, 5180, 5420};
        for (size_t i = 0; i < 4; i++) {
                size_t sent = 9, failed = 9;
                if (i) { /* one second early: nothing is due */
                        CHECK_INT_EQ(fp_notify_deliver(&srv, at[i] - 1, &sent, &failed, &d), FP_OK);
                        CHECK_INT_EQ(sent + failed, 0);
                }
                CHECK_INT_EQ(fp_notify_deliver(&srv, at[i], &sent, &failed, &d), FP_OK);
                CHECK_INT_EQ(sent, 0);
                CHECK_INT_EQ(failed, 1);
        }
        tx = begin(srv.store, false);
        struct seen dead = {0};
        CHECK_INT_EQ(fp_store_notify_delivery_list(tx, "beta", "dead", NULL, 10, seen_cb, &dead,
                                                   NULL),
                     FP_OK);
        CHECK_INT_EQ(dead.n, 1);
        struct fp_notify_delivery_rec one;
        CHECK_INT_EQ(fp_store_notify_delivery_get(tx, dead.ids[0], &one, NULL), FP_OK);
        CHECK_INT_EQ(one.attempts, 4);
        CHECK_INT_EQ(one.status, 0);
        CHECK_MSG(strstr(one.error, "127.0.0.1") && strstr(one.error, "onnect"), "error: %s",
                  one.error);
        fp_tx_rollback(tx);
        size_t sent = 0, failed = 0;
        CHECK_INT_EQ(fp_notify_deliver(&srv, 99999, &sent, &failed, &d), FP_OK);
        CHECK_INT_EQ(failed, 0); /* dead stays dead */
        tx = begin(srv.store, true);
        CHECK_INT_EQ(fp_store_notify_delivery_requeue(tx, dead.ids[0], 100000, NULL), FP_OK);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        CHECK_INT_EQ(fp_notify_deliver(&srv, 100000, &sent, &failed, &d), FP_OK);
        CHECK_INT_EQ(failed, 1);
        /* A receiver on loopback that accepts: refused before anything is sent, since
         * notify_allow_private is 0, with the reason. */
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t llen = sizeof(la);
        CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&la, sizeof(la)) == 0 &&
              listen(lfd, 4) == 0 && getsockname(lfd, (struct sockaddr *)&la, &llen) == 0);
        snprintf(hook, sizeof(hook), "http://127.0.0.1:%d/hook", ntohs(la.sin_port));
        tx = begin(srv.store, true);
        s.id = "w2";
        s.url = hook;
        CHECK_INT_EQ(fp_store_notify_sub_create(tx, &s, NULL), FP_OK);
        CHECK_INT_EQ(fp_notify_event(&srv, tx, 200000, "beta", "rollout.halted", "r:2", "halted",
                                     NULL, &d),
                     FP_OK);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        CHECK_INT_EQ(fp_notify_deliver(&srv, 200000, &sent, &failed, &d), FP_OK);
        CHECK_INT_EQ(failed, 3); /* w1: the requeued one and the new event; w2: refused */
        tx = begin(srv.store, false);
        struct seen pend = {0};
        CHECK_INT_EQ(fp_store_notify_delivery_list(tx, "beta", "pending", NULL, 10, seen_cb, &pend,
                                                   NULL),
                     FP_OK);
        bool refused = false;
        for (int i = 0; i < pend.n && i < 16; i++) {
                CHECK_INT_EQ(fp_store_notify_delivery_get(tx, pend.ids[i], &one, NULL), FP_OK);
                refused |= !strcmp(one.sub, "w2") && strstr(one.error, "127.0.0.1 is a private") &&
                           strstr(one.error, "notify_allow_private");
        }
        CHECK_MSG(refused, "the loopback webhook was not refused as private");
        fp_tx_rollback(tx);
        /* An owner without a grant on the account: dead at once, nothing sent, the reason
         * named (a user whose grant was removed hears nothing more of the account). */
        tx = begin(srv.store, true);
        s.id = "w3";
        s.owner_user = "dave";
        CHECK_INT_EQ(fp_store_notify_sub_create(tx, &s, NULL), FP_OK);
        CHECK_INT_EQ(fp_notify_event(&srv, tx, 300000, "beta", "rollout.halted", "r:3", "halted",
                                     NULL, &d),
                     FP_OK);
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        CHECK_INT_EQ(fp_notify_deliver(&srv, 300000, &sent, &failed, &d), FP_OK);
        tx = begin(srv.store, false);
        struct seen dead3 = {0};
        CHECK_INT_EQ(fp_store_notify_delivery_list(tx, "beta", "dead", NULL, 10, seen_cb, &dead3,
                                                   NULL),
                     FP_OK);
        bool revoked = false;
        for (int i = 0; i < dead3.n && i < 16; i++) {
                CHECK_INT_EQ(fp_store_notify_delivery_get(tx, dead3.ids[i], &one, NULL), FP_OK);
                revoked |= !strcmp(one.sub, "w3") && one.attempts == 1 &&
                           strstr(one.error, "no grant on account 'beta'");
        }
        CHECK_MSG(revoked, "dave's subscription to beta was not refused");
        fp_tx_rollback(tx);
        if (lfd >= 0)
                close(lfd);
        fp_store_close(srv.store);
}

/* The smtp_* and notify_* options together, as fleetpatchd checks them at start. */
static void config_check(void)
{
        static struct fp_srv_config c;
        char err[512];
        char *argv[] = {"notify_test", NULL};
        CHECK(fp_srv_config_load(&c, 1, argv, err, sizeof(err)));
        CHECK(fp_notify_config_check(&c, err, sizeof(err))); /* the defaults: no email */
        struct {
                const char *name, *value, *msg;
        } bad[] = {
            {"smtp_starttls", "maybe", "'smtp_starttls': 'maybe' is not required, optional or none"},
            {"smtp_url", "http://127.0.0.1:25", "is not smtp://HOST:PORT"},
            {"smtp_url", "smtp://127.0.0.1:25", "'smtp_from'"},
            {"smtp_url", "smtp://fp:hunter2@127.0.0.1:25", "no user or password in the URL"},
            {"smtp_user", "fp", "needs smtp_password_file"},
            {"notify_retry_max", "30", "shorter than notify_retry_base"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CHECK(fp_srv_config_load(&c, 1, argv, err, sizeof(err)));
                CHECK(fp_srv_config_set(&c, bad[i].name, bad[i].value, err, sizeof(err)));
                err[0] = 0;
                CHECK_MSG(!fp_notify_config_check(&c, err, sizeof(err)) && strstr(err, bad[i].msg),
                          "%s = %s: '%s'", bad[i].name, bad[i].value, err);
        }
        CHECK(fp_srv_config_load(&c, 1, argv, err, sizeof(err)));
        CHECK(fp_srv_config_set(&c, "smtp_url", "smtps://mail.example.org:465", err, sizeof(err)));
        CHECK(fp_srv_config_set(&c, "smtp_from", "fp@example.org", err, sizeof(err)));
        CHECK(fp_srv_config_set(&c, "smtp_starttls", "optional", err, sizeof(err)));
        CHECK(fp_notify_config_check(&c, err, sizeof(err)));
}

static void private_addresses(void)
{
        const char *priv[] = {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                              "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                              "224.0.0.1", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1",
                              "::ffff:10.0.0.1", "ff02::1", "nonsense"};
        const char *pub[] = {"8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255",
                             "100.128.0.1", "2001:db8::1", "2606:4700::1111", "::ffff:1.1.1.1"};
        for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
                CHECK_MSG(fp_notify_private_address(priv[i]), "%s is private", priv[i]);
        for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++)
                CHECK_MSG(!fp_notify_private_address(pub[i]), "%s is public", pub[i]);
}

/* Fan-out at scale: 2,000 events x 50 subscriptions = 100,000 deliveries queued in one
 * transaction, then claimed batch by batch; the counts must be exact. The times are printed
 * (a measurement, not a bound). */
static bool count_cb(void *ctx, const struct fp_notify_delivery_rec *d)
{
        (void)d;
        (*(int64_t *)ctx)++;
        return true;
}

static double secs(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fanout(void)
{
        struct fp_store *st = NULL;
        char own[600];
        CHECK(test_store_url(own, sizeof(own), dir, "fanout"));
        CHECK_INT_EQ(fp_store_open(own, &st, NULL), FP_OK);
        if (!st)
                return;
        struct fp_tx *tx = begin(st, true);
        for (int i = 0; i < 50; i++) {
                char id[17];
                snprintf(id, sizeof(id), "s%02d", i);
                struct fp_notify_sub_rec s = {.id = id, .account = "big", .owner_user = "u",
                                              .events = "[\"exposure.kev\",\"sla.breach\"]",
                                              .channel = "webhook", .url = "http://127.0.0.1:1/",
                                              .secret = "0123456789abcdef", .created = 1};
                CHECK_INT_EQ(fp_store_notify_sub_create(tx, &s, NULL), FP_OK);
        }
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        json_t *data = json_pack("{s:s, s:i}", "host", "h", "count", 1);
        double t0 = secs();
        tx = begin(st, true);
        for (int i = 0; i < 2000; i++) {
                char key[32];
                snprintf(key, sizeof(key), "host:%d", i);
                CHECK_INT_EQ(fp_notify_event(NULL, tx, 10, "big", "exposure.kev", key, "kev", data,
                                             NULL),
                             FP_OK);
        }
        CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
        double t1 = secs();
        int64_t n = 0;
        for (int round = 0; round < 200; round++) {
                int64_t before = n;
                tx = begin(st, true);
                CHECK_INT_EQ(fp_store_notify_delivery_claim(tx, 10, 1000, 1000, count_cb, &n, NULL),
                             FP_OK);
                CHECK_INT_EQ(fp_tx_commit(tx, NULL), FP_OK);
                if (n == before)
                        break;
        }
        double t2 = secs();
        CHECK_INT_EQ(n, 100000);
        fprintf(stderr, "measured: 2000 events x 50 subscriptions queued in %.3f s (%.0f deliveries/s);"
                        " claimed in batches of 1000 in %.3f s (%.0f/s)\n",
                t1 - t0, 100000 / (t1 - t0), t2 - t1, 100000 / (t2 - t1));
        json_decref(data);
        fp_store_close(st);
}

/* The scheduler's producers on a rollout image made by hand: rollout.halted once when the
 * status turns halted; window.starting for each opening within the lead time, once. */
static void rollout_events(void)
{
        static struct fp_server srv;
        char err[256];
        char *argv[] = {"notify_test", NULL};
        CHECK(fp_srv_config_load(&srv.cfg, 1, argv, err, sizeof(err)));
        srv.cfg.notify_window_lead = 3600;
        char own[600];
        CHECK(test_store_url(own, sizeof(own), dir, "rollout"));
        CHECK_INT_EQ(fp_store_open(own, &srv.store, NULL), FP_OK);
        if (!srv.store)
                return;
        struct fp_tx *tx = begin(srv.store, true);
        struct fp_notify_sub_rec s = {.id = "r1", .account = "acme", .owner_user = "ops",
                                      .events = "[\"rollout.halted\",\"window.starting\"]",
                                      .channel = "webhook", .url = "http://127.0.0.1:1/",
                                      .secret = "0123456789abcdef", .created = 1};
        CHECK_INT_EQ(fp_store_notify_sub_create(tx, &s, NULL), FP_OK);
        struct fp_orch_rollout o;
        memset(&o, 0, sizeof(o));
        o.account = "acme";
        o.rec.cr = "cr0001";
        o.window.mode = FP_WINDOW_ABSOLUTE;
        snprintf(o.window.tz, sizeof(o.window.tz), "Asia/Kathmandu");
        /* now = N (2026-05-28 20:26:40 UTC): one opening before, one at +600, one at +4000
         * (past the lead) */
        const int64_t N = 1780000000;
        struct fp_window_occ occ[] = {{N - 10000, N - 10000, N - 6400},
                                      {N + 600, N + 4200, N + 4800},
                                      {N + 4000, N + 7600, N + 8000}};
        struct fp_ro_windows w = {.occ = occ, .count = 3};
        o.ro.windows = &w;
        o.ro.window_count = 1;
        o.ro.status = FP_RO_RUNNING;
        struct fp_diag d;
        fp_diag_clear(&d);
        CHECK_INT_EQ(fp_notify_rollout(&srv, tx, &o, FP_RO_RUNNING, N, &d), FP_OK);
        CHECK_INT_EQ(fp_notify_rollout(&srv, tx, &o, FP_RO_RUNNING, N + 5, &d), FP_OK);
        o.ro.status = FP_RO_HALTED;
        o.ro.failures = 3;
        CHECK_INT_EQ(fp_notify_rollout(&srv, tx, &o, FP_RO_RUNNING, N + 10, &d), FP_OK);
        CHECK_INT_EQ(fp_notify_rollout(&srv, tx, &o, FP_RO_HALTED, N + 15, &d), FP_OK);
        struct seen all = {0};
        CHECK_INT_EQ(fp_store_notify_delivery_list(tx, "acme", NULL, NULL, 100, seen_cb, &all,
                                                   NULL),
                     FP_OK);
        CHECK_INT_EQ(all.n, 2); /* one window.starting, one rollout.halted */
        struct fp_notify_delivery_rec one;
        bool win = false, halt = false;
        for (int i = 0; i < all.n && i < 16; i++) {
                CHECK_INT_EQ(fp_store_notify_delivery_get(tx, all.ids[i], &one, NULL), FP_OK);
                if (!strcmp(one.ev.type, "window.starting")) {
                        win = true;
                        CHECK_MSG(strstr(one.ev.data, "\"opens\":1780000600") &&
                                      strstr(one.ev.data, "\"opens_utc\":\"2026-05-28 20:36 UTC\"") &&
                                      strstr(one.ev.data, "2026-05-29 02:21 +0545 (Asia/Kathmandu)"),
                                  "data: %s", one.ev.data);
                        CHECK_MSG(strstr(one.ev.subject, "opens 2026-05-29 02:21 +0545 (Asia/Kathmandu)"),
                                  "subject: %s", one.ev.subject);
                } else if (!strcmp(one.ev.type, "rollout.halted")) {
                        halt = true;
                        CHECK_MSG(strstr(one.ev.subject, "halted after 3 failure(s)"), "subject: %s",
                                  one.ev.subject);
                }
        }
        CHECK(win && halt);
        fp_tx_rollback(tx);
        fp_store_close(srv.store);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "%s/fpnotify.XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir))
                return 1;
        CHECK(test_store_url(url, sizeof(url), dir, "store"));
        outbox();
        worker();
        private_addresses();
        config_check();
        fanout();
        rollout_events();
        templates();
        backoff();
        email();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return fp_test_finish();
}
