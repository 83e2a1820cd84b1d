/*
 * The notification delivery worker (docs/notifications.md "Delivery"): claim the due
 * deliveries in a short transaction, send each outside any transaction (webhook: a signed
 * JSON POST; email: SMTP with STARTTLS through libcurl), record the outcomes: sent, again
 * after the backoff, or dead after notify_max_attempts. A thread of its own runs it (woken
 * when an event is queued); claims are rows of the store, so the workers of several
 * fleetpatchd on one store never send a delivery twice while its claim holds.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetpatch/store_notify.h"
#include "server/notify.h"
#include "server/orch.h"
#include "server/server.h"
#include "server/worker.h"

#define ERROR_MAX 300

bool fp_notify_config_check(const struct fp_srv_config *c, char *err, size_t errsz)
{
        if (strcmp(c->smtp_starttls, "required") && strcmp(c->smtp_starttls, "optional") &&
            strcmp(c->smtp_starttls, "none")) {
                snprintf(err, errsz, "option 'smtp_starttls': '%s' is not required, optional or none",
                         c->smtp_starttls);
                return false;
        }
        if (c->smtp_url[0]) {
                if (strncmp(c->smtp_url, "smtp://", 7) && strncmp(c->smtp_url, "smtps://", 8)) {
                        snprintf(err, errsz, "option 'smtp_url': '%.200s' is not smtp://HOST:PORT "
                                 "or smtps://HOST:PORT", c->smtp_url);
                        return false;
                }
                /* The URL goes into delivery errors that the account's users read: a password
                 * in it would leak to every tenant. */
                const char *host = c->smtp_url + strcspn(c->smtp_url, ":") + 3;
                if (memchr(host, '@', strcspn(host, "/?#"))) {
                        snprintf(err, errsz, "option 'smtp_url': no user or password in the URL "
                                 "(use smtp_user and smtp_password_file)");
                        return false;
                }
                if (!fp_notify_address_valid(c->smtp_from)) {
                        snprintf(err, errsz, "option 'smtp_from': '%.200s' is not an email address "
                                 "(needed with smtp_url)", c->smtp_from);
                        return false;
                }
        }
        if (c->smtp_user[0] && !c->smtp_password_file[0]) {
                snprintf(err, errsz, "option 'smtp_user' needs smtp_password_file");
                return false;
        }
        if (c->notify_retry_max < c->notify_retry_base) {
                snprintf(err, errsz, "option 'notify_retry_max' (%ld) is shorter than "
                         "notify_retry_base (%ld)", c->notify_retry_max, c->notify_retry_base);
                return false;
        }
        return true;
}

/* One claimed delivery, copied out of the claim's transaction. */
struct job {
        int64_t id, attempts, event, created;
        char *type, *account, *key, *subject, *data, *channel, *url, *secret, *to, *subject_tpl,
            *body_tpl, *group, *owner, *group_emails;
        bool gone;    /* the subscription was removed */
        bool revoked; /* its owner has no grant on the account any more */
        /* the outcome */
        bool ok;
        long status;
        char error[ERROR_MAX];
};

struct jobs {
        struct job *v;
        size_t n, cap;
        bool nomem;
};

static void job_release(struct job *j)
{
        free(j->type);
        free(j->account);
        free(j->key);
        free(j->subject);
        free(j->data);
        free(j->channel);
        free(j->url);
        if (j->secret) {
                sodium_memzero(j->secret, strlen(j->secret));
                free(j->secret);
        }
        free(j->to);
        free(j->subject_tpl);
        free(j->body_tpl);
        free(j->group);
        free(j->owner);
        free(j->group_emails);
}

static char *dup0(const char *s, bool *nomem)
{
        char *d = strdup(s ? s : "");
        if (!d)
                *nomem = true;
        return d;
}

static bool claim_cb(void *ctx, const struct fp_notify_delivery_rec *d)
{
        struct jobs *js = ctx;
        if (js->n == js->cap) {
                size_t cap = js->cap ? js->cap * 2 : 16;
                struct job *v = realloc(js->v, cap * sizeof(*v));
                if (!v) {
                        js->nomem = true;
                        return false;
                }
                js->v = v;
                js->cap = cap;
        }
        struct job *j = &js->v[js->n++];
        memset(j, 0, sizeof(*j));
        j->id = d->id;
        j->attempts = d->attempts;
        j->event = d->ev.id;
        j->created = d->ev.created;
        j->gone = !d->s.id || !d->s.id[0];
        bool *nm = &js->nomem;
        j->type = dup0(d->ev.type, nm);
        j->account = dup0(d->ev.account, nm);
        j->key = dup0(d->ev.key, nm);
        j->subject = dup0(d->ev.subject, nm);
        j->data = dup0(d->ev.data, nm);
        j->channel = dup0(d->s.channel, nm);
        j->url = dup0(d->s.url, nm);
        j->secret = dup0(d->s.secret, nm);
        j->to = dup0(d->s.to, nm);
        j->subject_tpl = dup0(d->s.subject_tpl, nm);
        j->body_tpl = dup0(d->s.body_tpl, nm);
        j->group = dup0(d->s.owner_group, nm);
        j->owner = dup0(d->s.owner_user, nm);
        return !js->nomem;
}

/* ---- sending ---- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
        (void)p;
        (void)ctx;
        return size * n;
}

static void vars_of(const struct job *j, const json_t *data, struct fp_notify_vars *v)
{
        *v = (struct fp_notify_vars){.type = j->type, .account = j->account, .key = j->key,
                                     .subject = j->subject, .created = j->created,
                                     .event = j->event, .data = data};
}

bool fp_notify_private_address(const char *ip)
{
        unsigned char a[16];
        if (inet_pton(AF_INET, ip, a) == 1)
                return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
                       (a[0] == 172 && (a[1] & 0xF0) == 16) || (a[0] == 192 && a[1] == 168) ||
                       (a[0] == 100 && (a[1] & 0xC0) == 64) || a[0] >= 224;
        if (inet_pton(AF_INET6, ip, a) != 1)
                return true; /* not an address we know: refused */
        static const unsigned char zero[16];
        if (!memcmp(a, zero, 15) && (a[15] == 0 || a[15] == 1)) /* :: and ::1 */
                return true;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(a, mapped, 12)) { /* ::ffff:a.b.c.d: the IPv4 rules */
                char v4[16];
                snprintf(v4, sizeof(v4), "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
                return fp_notify_private_address(v4);
        }
        return (a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) || a[0] == 0xFF;
}

/* Refuse the connection before the request is sent when it reached a private address (the
 * address curl connected to, so a name that resolves elsewhere later changes nothing). */
static int prereq_public_only(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                              int local_port)
{
        (void)local_ip;
        (void)primary_port;
        (void)local_port;
        struct job *j = clientp;
        if (!fp_notify_private_address(primary_ip))
                return CURL_PREREQFUNC_OK;
        snprintf(j->error, sizeof(j->error),
                 "%.160s: %s is a private, loopback or link-local address (notify_allow_private)",
                 j->url, primary_ip);
        return CURL_PREREQFUNC_ABORT;
}

static void send_webhook(const struct fp_srv_config *cfg, struct job *j, const json_t *data,
                         int64_t now)
{
        char created[32];
        time_t tt = (time_t)j->created;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || !strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm))
                created[0] = 0;
        json_t *body = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:O, s:I}", "delivery",
                                 (json_int_t)j->id, "event", (json_int_t)j->event, "type", j->type,
                                 "account", j->account, "key", j->key, "subject", j->subject,
                                 "created", (json_int_t)j->created, "created_at", created, "data",
                                 data, "attempt", (json_int_t)j->attempts);
        if (body && j->body_tpl[0]) {
                struct fp_notify_vars v;
                vars_of(j, data, &v);
                char *t = fp_notify_tpl_render(j->body_tpl, &v);
                json_object_set_new(body, "text", json_string(t ? t : ""));
                free(t);
        }
        char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(body);
        char sig[128];
        if (!text || !fp_webhook_sign((const unsigned char *)j->secret, strlen(j->secret), now,
                                      text, sig)) {
                snprintf(j->error, sizeof(j->error), "cannot build or sign the request");
                free(text);
                return;
        }
        char h_sig[160], h_event[96], h_delivery[64];
        snprintf(h_sig, sizeof(h_sig), "X-Fleetpatch-Signature: %s", sig);
        snprintf(h_event, sizeof(h_event), "X-Fleetpatch-Event: %s", j->type);
        snprintf(h_delivery, sizeof(h_delivery), "X-Fleetpatch-Delivery: %lld", (long long)j->id);
        const char *const headers[] = {"Content-Type: application/json",
                                       "User-Agent: fleetpatchd", h_sig, h_event, h_delivery};
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        bool nomem = !c;
        for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]) && !nomem; i++) {
                struct curl_slist *n = curl_slist_append(h, headers[i]);
                nomem = !n;
                h = n ? n : h;
        }
        if (nomem) {
                snprintf(j->error, sizeof(j->error), "out of memory");
                goto out;
        }
        curl_easy_setopt(c, CURLOPT_URL, j->url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, cfg->notify_timeout);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, cfg->notify_timeout);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        if (!cfg->notify_allow_private) {
                curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, prereq_public_only);
                curl_easy_setopt(c, CURLOPT_PREREQDATA, j);
        }
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
        if (rc == CURLE_ABORTED_BY_CALLBACK && j->error[0])
                ; /* the reason is set */
        else if (rc != CURLE_OK)
                snprintf(j->error, sizeof(j->error), "%.160s: %s", j->url, curl_easy_strerror(rc));
        else if (j->status < 200 || j->status > 299)
                snprintf(j->error, sizeof(j->error), "%.160s: HTTP %ld", j->url, j->status);
        else
                j->ok = true;
out:
        curl_slist_free_all(h);
        if (c)
                curl_easy_cleanup(c);
        free(text);
}

struct upload {
        const char *p;
        size_t left;
};

static size_t read_msg(char *buf, size_t size, size_t n, void *ctx)
{
        struct upload *u = ctx;
        size_t k = size * n < u->left ? size * n : u->left;
        memcpy(buf, u->p, k);
        u->p += k;
        u->left -= k;
        return k;
}

/* The addresses of a JSON array into to[] (borrowed from arr); how many. */
static size_t addresses(const json_t *arr, const char **to, size_t max)
{
        size_t n = 0, i;
        const json_t *v;
        json_array_foreach(arr, i, v)
        {
                const char *s = json_string_value(v);
                if (s && n < max && fp_notify_address_valid(s))
                        to[n++] = s;
        }
        return n;
}

/* The text part when the subscription has no body template. */
static char *default_text(const struct job *j, const json_t *data)
{
        json_t *shown = json_deep_copy(data);
        json_object_del(shown, "html"); /* attached */
        json_object_del(shown, "csv");
        char *facts = shown ? json_dumps(shown, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        json_decref(shown);
        char created[32];
        time_t tt = (time_t)j->created;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || !strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S UTC", &tm))
                created[0] = 0;
        size_t len = strlen(j->subject) + strlen(j->type) + strlen(j->account) + strlen(j->key) +
                     (facts ? strlen(facts) : 0) + 256;
        char *t = malloc(len);
        if (t)
                snprintf(t, len, "%s\n\nEvent:   %s\nAccount: %s\nKey:     %s\nTime:    %s\n\n%s\n",
                         j->subject, j->type, j->account, j->key, created, facts ? facts : "{}");
        free(facts);
        return t;
}

static bool read_secret_file(const char *path, char *out, size_t outsz)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return false;
        size_t n = fread(out, 1, outsz - 1, f);
        fclose(f);
        while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
                n--;
        out[n] = 0;
        return true;
}

static void send_email(const struct fp_srv_config *cfg, struct job *j, const json_t *data,
                       int64_t now)
{
        if (!cfg->smtp_url[0]) {
                snprintf(j->error, sizeof(j->error), "email: the server has no smtp_url");
                return;
        }
        const char *to[FP_MAX_NOTIFY_RECIPIENTS];
        json_t *list = fp_json_stored(j->to[0] ? j->to : "[]");
        size_t n_to = addresses(list, to, FP_MAX_NOTIFY_RECIPIENTS);
        json_t *glist = NULL;
        if (!n_to && j->group_emails) {
                glist = fp_json_stored(j->group_emails);
                n_to = addresses(glist, to, FP_MAX_NOTIFY_RECIPIENTS);
        }
        struct fp_notify_vars v;
        vars_of(j, data, &v);
        char *subject = j->subject_tpl[0] ? fp_notify_tpl_render(j->subject_tpl, &v) : NULL;
        char *text = j->body_tpl[0] ? fp_notify_tpl_render(j->body_tpl, &v) : default_text(j, data);
        const char *html = json_string_value(json_object_get(data, "html"));
        const char *csv = json_string_value(json_object_get(data, "csv"));
        /* The attachments are named after the report (data.report when it is a name, else
         * data.schedule), in [A-Za-z0-9._-]. */
        char base[72] = "report", html_name[80], csv_name[80];
        const char *named = json_string_value(json_object_get(data, "report"));
        if (!named)
                named = json_string_value(json_object_get(data, "schedule"));
        if (named && *named) {
                size_t k = 0;
                for (const char *p = named; *p && k < 64; p++)
                        base[k++] = (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789._-",
                                            *p))
                                        ? *p
                                        : '_';
                base[k] = 0;
        }
        snprintf(html_name, sizeof(html_name), "%s.html", base);
        snprintf(csv_name, sizeof(csv_name), "%s.csv", base);
        const char *at = strchr(cfg->smtp_from, '@');
        char msgid[160], from[340];
        snprintf(msgid, sizeof(msgid), "<fp.%lld.%lld.%lld@%.100s>", (long long)j->event,
                 (long long)j->id, (long long)j->attempts, at ? at + 1 : "fleetpatch.invalid");
        snprintf(from, sizeof(from), "<%s>", cfg->smtp_from);
        struct fp_notify_email m = {.from = cfg->smtp_from, .to = to, .n_to = n_to,
                                    .subject = subject ? subject : j->subject, .text = text,
                                    .html = html, .html_name = html_name, .csv = csv,
                                    .csv_name = csv_name, .date = now,
                                    .message_id = msgid, .event_type = j->type};
        char *msg = NULL;
        CURL *c = NULL;
        struct curl_slist *rcpt = NULL;
        char password[512] = "";
        if (!n_to) {
                snprintf(j->error, sizeof(j->error), "email: no valid recipient");
                goto out;
        }
        if (!text || !(msg = fp_notify_email_build(&m)) || !(c = curl_easy_init())) {
                snprintf(j->error, sizeof(j->error), "out of memory");
                goto out;
        }
        for (size_t i = 0; i < n_to; i++) {
                char a[FP_MAX_NOTIFY_ADDRESS + 3];
                snprintf(a, sizeof(a), "<%s>", to[i]);
                struct curl_slist *r = curl_slist_append(rcpt, a);
                if (!r) {
                        snprintf(j->error, sizeof(j->error), "out of memory");
                        goto out;
                }
                rcpt = r;
        }
        if (cfg->smtp_user[0]) {
                if (!read_secret_file(cfg->smtp_password_file, password, sizeof(password))) {
                        /* the path is the server's business, not the account's */
                        snprintf(j->error, sizeof(j->error),
                                 "the server cannot read its SMTP password (smtp_password_file)");
                        goto out;
                }
                curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
                curl_easy_setopt(c, CURLOPT_PASSWORD, password);
        }
        struct upload u = {msg, strlen(msg)};
        long ssl = !strcmp(cfg->smtp_starttls, "none")       ? (long)CURLUSESSL_NONE
                   : !strcmp(cfg->smtp_starttls, "optional") ? (long)CURLUSESSL_TRY
                                                             : (long)CURLUSESSL_ALL;
        curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(c, CURLOPT_USE_SSL, ssl);
        if (cfg->smtp_ca_file[0])
                curl_easy_setopt(c, CURLOPT_CAINFO, cfg->smtp_ca_file);
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_msg);
        curl_easy_setopt(c, CURLOPT_READDATA, &u);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, cfg->notify_timeout);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, cfg->notify_timeout);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
        if (rc != CURLE_OK)
                snprintf(j->error, sizeof(j->error), "%.160s: %s (SMTP %ld)", cfg->smtp_url,
                         curl_easy_strerror(rc), j->status);
        else
                j->ok = true;
out:
        sodium_memzero(password, sizeof(password));
        curl_slist_free_all(rcpt);
        if (c)
                curl_easy_cleanup(c);
        free(msg);
        free(text);
        free(subject);
        json_decref(list);
        json_decref(glist);
}

static void send_one(const struct fp_srv_config *cfg, struct job *j, int64_t now)
{
        if (j->gone) {
                snprintf(j->error, sizeof(j->error), "the subscription was removed");
                return;
        }
        if (j->revoked) {
                snprintf(j->error, sizeof(j->error),
                         "the subscription's owner has no grant on account '%.64s' any more",
                         j->account);
                return;
        }
        json_t *data = fp_json_stored(j->data);
        if (!strcmp(j->channel, "webhook"))
                send_webhook(cfg, j, data, now);
        else if (!strcmp(j->channel, "email"))
                send_email(cfg, j, data, now);
        else
                snprintf(j->error, sizeof(j->error), "unknown channel '%.32s'", j->channel);
        json_decref(data);
}

bool fp_notify_user_may_read(const struct fp_user_rec *u, const char *account)
{
        for (size_t g = 0; g < u->grant_count; g++)
                if (u->grants[g].role >= FP_ROLE_VIEWER &&
                    (!strcmp(u->grants[g].account, "*") || !strcmp(u->grants[g].account, account)))
                        return true;
        return false;
}

/* A user-owned subscription sends an account's events only while its owner may read them:
 * a user whose grant was removed (or who was deleted) gets nothing more of the account. */
static enum fp_err owners_allowed(struct fp_tx *tx, struct jobs *js, struct fp_diag *diag)
{
        for (size_t i = 0; i < js->n; i++) {
                struct job *j = &js->v[i];
                if (j->gone || !j->owner[0])
                        continue;
                struct fp_user_rec u;
                enum fp_err err = fp_store_user_get(tx, j->owner, &u, diag);
                if (err == FP_ENOTFOUND) {
                        fp_diag_clear(diag);
                        j->revoked = true;
                        continue;
                }
                if (err != FP_OK)
                        return err;
                j->revoked = !fp_notify_user_may_read(&u, j->account);
        }
        return FP_OK;
}

/* The group's emails for group-owned email subscriptions without their own addresses. */
static enum fp_err group_emails(struct fp_tx *tx, struct jobs *js, struct fp_diag *diag)
{
        for (size_t i = 0; i < js->n; i++) {
                struct job *j = &js->v[i];
                if (!j->group[0] || strcmp(j->channel, "email"))
                        continue;
                struct fp_notify_group_rec g;
                enum fp_err err = fp_store_notify_group_get(tx, j->account, j->group, &g, diag);
                if (err == FP_ENOTFOUND) {
                        fp_diag_clear(diag);
                        continue;
                }
                if (err != FP_OK)
                        return err;
                if (!(j->group_emails = strdup(g.emails)))
                        return FP_ENOMEM;
        }
        return FP_OK;
}

enum fp_err fp_notify_deliver(struct fp_server *srv, int64_t now, size_t *sent, size_t *failed,
                              struct fp_diag *diag)
{
        const struct fp_srv_config *cfg = &srv->cfg;
        struct jobs js = {0};
        struct fp_tx *tx = NULL;
        size_t nsent = 0, nfailed = 0;
        /* The claim lasts longer than a send may take: a worker that dies mid-send leaves its
         * deliveries due again once it runs out. */
        int64_t timeout = cfg->notify_timeout > 0 ? cfg->notify_timeout : 20;
        int64_t lease = now + (FP_MAX_NOTIFY_BATCH + 1) * timeout + 30;
        enum fp_err err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK)
                return err;
        err = fp_store_notify_delivery_claim(tx, now, lease, FP_MAX_NOTIFY_BATCH, claim_cb, &js,
                                             diag);
        if (err == FP_OK && js.nomem)
                err = FP_ENOMEM;
        if (err == FP_OK)
                err = owners_allowed(tx, &js, diag);
        if (err == FP_OK)
                err = group_emails(tx, &js, diag);
        if (err == FP_OK)
                err = fp_tx_commit(tx, diag);
        else
                fp_tx_rollback(tx);
        tx = NULL;
        if (err != FP_OK || !js.n)
                goto out;
        /* The signature's timestamp is the time of each send (now plus what the batch took so
         * far), so a receiver's tolerance is measured from the request it gets. */
        int64_t started = (int64_t)time(NULL);
        for (size_t i = 0; i < js.n; i++) {
                int64_t took = (int64_t)time(NULL) - started;
                send_one(cfg, &js.v[i], now + (took > 0 ? took : 0));
        }
        err = fp_store_begin(srv->store, true, &tx, diag);
        if (err != FP_OK)
                goto out; /* the claims run out and the deliveries are tried again */
        int64_t max = cfg->notify_max_attempts > 0 ? cfg->notify_max_attempts : 8;
        for (size_t i = 0; err == FP_OK && i < js.n; i++) {
                struct job *j = &js.v[i];
                const char *state = j->ok                                         ? "sent"
                                    : j->gone || j->revoked || j->attempts >= max ? "dead"
                                                                                  : "pending";
                int64_t next = j->ok ? now
                                     : now + fp_notify_backoff(cfg->notify_retry_base,
                                                               cfg->notify_retry_max, j->attempts);
                err = fp_store_notify_delivery_finish(tx, j->id, state, j->status, j->error,
                                                      next, now, diag);
                if (err == FP_ENOTFOUND) { /* removed with its subscription meanwhile */
                        fp_diag_clear(diag);
                        err = FP_OK;
                }
                nsent += j->ok;
                nfailed += !j->ok;
        }
        if (err == FP_OK)
                err = fp_tx_commit(tx, diag);
        else
                fp_tx_rollback(tx);
        if (err == FP_OK) {
                fp_metrics_count("fleetpatch_notify_sent_total", (long long)nsent);
                fp_metrics_count("fleetpatch_notify_failed_total", (long long)nfailed);
        }
out:
        for (size_t i = 0; i < js.n; i++)
                job_release(&js.v[i]);
        free(js.v);
        if (sent)
                *sent = nsent;
        if (failed)
                *failed = nfailed;
        return err;
}

enum fp_err fp_notify_tick(struct fp_server *srv, int64_t now, struct fp_diag *diag)
{
        /* Passes until nothing due is left (a full batch may have more behind it), bounded so
         * a stop request is seen. */
        for (int pass = 0; pass < 16 && !srv->stopping; pass++) {
                size_t sent = 0, failed = 0;
                enum fp_err err = fp_notify_deliver(srv, now, &sent, &failed, diag);
                if (err != FP_OK)
                        return err;
                if (sent + failed < FP_MAX_NOTIFY_BATCH)
                        break;
                now = (int64_t)time(NULL) > now ? (int64_t)time(NULL) : now;
        }
        return FP_OK;
}

/* ---- the worker thread: its own, so a slow receiver never delays the scheduler ---- */

struct fp_notifier {
        struct fp_server *srv;
        struct fp_worker *w;
};

static void notifier_tick(void *arg)
{
        struct fp_notifier *n = arg;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_notify_tick(n->srv, (int64_t)time(NULL), &diag) != FP_OK)
                fprintf(stderr, "fleetpatchd: notifications: %s\n", diag.msg);
}

struct fp_notifier *fp_notifier_start(struct fp_server *srv, long interval)
{
        struct fp_notifier *n = calloc(1, sizeof(*n));
        if (!n)
                return NULL;
        n->srv = srv;
        n->w = fp_worker_start(interval, notifier_tick, n);
        if (!n->w) {
                free(n);
                return NULL;
        }
        return n;
}

void fp_notifier_kick(struct fp_notifier *n)
{
        if (n)
                fp_worker_kick(n->w);
}

void fp_notifier_stop(struct fp_notifier *n)
{
        if (!n)
                return;
        fp_worker_stop(n->w); /* a send in flight ends within notify_timeout */
        free(n);
}
