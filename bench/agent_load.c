/*
 * Agent load against a real fleetpatchd: N simulated agents speaking the real protocol
 * (docs/api.md "Agent protocol") over libcurl with TLS and keep-alive, one connection per
 * client thread, against a fleetpatchd with its SQLite store that the benchmark starts itself
 * (fork/exec of the built binary on a temporary state directory).
 *
 * Inventories are the real Debian 12 host of shared/data (fp_inventory_load of its dpkg status,
 * fp_wire_inventory_build) with three package versions changed per simulated host, so every
 * host sends a different inventory with a different hash.
 *
 *  (a) enrollment storm: every host enrolls and sends its full inventory (seconds, hosts/s);
 *  (b) unchanged check-ins (hash and facts only) over a fixed count: rate, p50, p99;
 *      reference in the same run: GET /healthz on the same connections and threads;
 *  (c) server VmRSS before and after the hosts registered, extrapolated to 100,000 hosts
 *      (measured when run with --hosts 100000);
 *  (d) the real fleetpatch-agent --once against the same server: CPU (ru_utime + ru_stime) and
 *      peak RSS (ru_maxrss) of the child from wait4, for the enrolling check-in and an
 *      unchanged one, with and without the host's captured apt lists; and the VmRSS of the
 *      agent daemon idle in its long poll.
 *  (e) a new advisory (with --fleetpatch CLI): the vulnerability database every replica reads
 *      (--vulndb, one file) gets a new record by `fleetpatch feeds import`; the time until
 *      (i) a sample of hosts on every replica shows it in GET /v1/hosts/{id}/vulns (evaluated
 *      live) and (ii) the fleet view GET /v1/vulns (stored exposures) counts every host;
 *  (f) with a PostgreSQL store: table sizes (pg_total_relation_size) per host.
 * Goals: >= 2000 check-ins/s with p99 <= 50 ms, 10,000 enrollments <= 60 s, agent RSS
 * <= 10 MiB, check-in CPU <= 50 ms; issue 10: 100,000 hosts on 2 replicas, >= 2000
 * check-ins/s with p99 <= 100 ms, every host's applicability refreshed <= 10 s after a new
 * advisory. A benchmark only: it never fails on a number.
 *
 * Scale-out (docs/scaling.md): --replicas R starts R fleetpatchd processes on one --store URL
 * (a postgresql:// libpq URI; "$VAR" reads it from the environment, e.g. "$FP_TEST_PG" of
 * tests/tools/with_pg.sh); the replicas share replica 0's TLS material and signing key, as
 * replicas behind a load balancer must; the client connections are spread over them round-
 * robin (connection i to replica i mod R). --duration S measures check-ins over S seconds
 * instead of a count. Without --store: one replica on its own SQLite file (the old default).
 *
 * usage: agent_load SHARED_DATA FLEETPATCHD FLEETPATCH_AGENT [--hosts N] [--checkins M]
 *                   [--duration S] [--conns C] [--server-threads T] [--replicas R]
 *                   [--store URL] [--fleetpatch CLI] [--advisory-wait S] [--no-agent] [--keep]
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleetpatch/inventory.h"
#include "fleetpatch/wire.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
        fprintf(stderr, "agent_load: %s\n", what);
        exit(1);
}

/* ---- the server processes ---- */

#define MAX_REPLICAS 16
static char state_dir[256], url[MAX_REPLICAS][256], ca[320], admin[256], vulndb[320];
static pid_t server_pid[MAX_REPLICAS];
static size_t nrep = 1;
static const char *store_url; /* NULL: each replica's own SQLite file (only with one) */

static bool read_line(const char *path, char *out, size_t outsz)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return false;
        bool ok = fgets(out, (int)outsz, f) != NULL;
        fclose(f);
        if (ok)
                out[strcspn(out, "\r\n")] = '\0';
        return ok && out[0];
}

static pid_t spawn(char *const argv[], const char *log)
{
        pid_t pid = fork();
        if (pid < 0)
                die("fork failed");
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                        close(fd);
                }
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

static void run_wait(char *const argv[], const char *log)
{
        pid_t pid = spawn(argv, log);
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "agent_load: %s failed (see %s)\n", argv[0], log);
                exit(1);
        }
}

/* Replica k on STATE/srvK (replica 0: STATE/srv). Replicas after the first get replica 0's
 * TLS material and signing key copied into their state directory before they start: what
 * every replica behind one load balancer must share (docs/scaling.md). */
static void start_server(size_t k, const char *exe, const char *threads)
{
        char path[400], log[400], srv_dir[300];
        if (k == 0)
                snprintf(srv_dir, sizeof(srv_dir), "%s/srv", state_dir);
        else
                snprintf(srv_dir, sizeof(srv_dir), "%s/srv%zu", state_dir, k);
        snprintf(log, sizeof(log), "%s/server%zu.log", state_dir, k);
        if (k > 0) {
                if (mkdir(srv_dir, 0700) != 0)
                        die("mkdir of a replica's state directory");
                char from_tls[400], from_keys[400];
                snprintf(from_tls, sizeof(from_tls), "%s/srv/tls", state_dir);
                snprintf(from_keys, sizeof(from_keys), "%s/srv/keys", state_dir);
                char *const cp[] = {"/bin/cp", "-a", from_tls, from_keys, srv_dir, NULL};
                run_wait(cp, log);
        }
        char *argv[20];
        size_t a = 0;
        argv[a++] = (char *)exe;
        argv[a++] = "--state-dir";
        argv[a++] = srv_dir;
        argv[a++] = "--port";
        argv[a++] = "0";
        argv[a++] = "--threads";
        argv[a++] = (char *)threads;
        argv[a++] = "--log_level";
        argv[a++] = "warn";
        argv[a++] = "--vulndb";
        argv[a++] = vulndb;
        /* A host unseen for 3 check-in intervals (15 min by default) is marked for catch-up
         * as offline, which re-evaluates its compliance and may queue work: an enrollment
         * storm longer than that (100,000 hosts here) would make the first hosts' next
         * check-ins catch-ups, not the steady state phase (b) measures. A day, so that a
         * fleet that checks in on time is what is measured. */
        argv[a++] = "--catchup_after";
        argv[a++] = "86400";
        if (store_url) {
                argv[a++] = "--store";
                argv[a++] = (char *)store_url;
        }
        argv[a] = NULL;
        server_pid[k] = spawn(argv, log);
        snprintf(path, sizeof(path), "%s/fleetpatchd.url", srv_dir);
        for (int i = 0; i < 600 && !read_line(path, url[k], sizeof(url[k])); i++) {
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
                if (waitpid(server_pid[k], NULL, WNOHANG) == server_pid[k])
                        die("fleetpatchd exited at start (see its log)");
        }
        if (!url[k][0])
                die("fleetpatchd did not start");
        if (k == 0) {
                snprintf(path, sizeof(path), "%s/admin.token", srv_dir);
                if (!read_line(path, admin, sizeof(admin)))
                        die("no admin token");
                snprintf(ca, sizeof(ca), "%s/tls/ca.pem", srv_dir);
        }
}

/* VmRSS of a process in KiB (0 if unknown). */
static long vm_rss_kib(pid_t pid)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        long kib = 0;
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "VmRSS:", 6) == 0)
                        kib = strtol(line + 6, NULL, 10);
        fclose(f);
        return kib;
}

/* utime + stime of a process in ms (/proc/PID/stat fields 14 and 15). */
static double cpu_ms_of(pid_t pid)
{
        char path[64], buf[2048];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f)
                return 0;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')'); /* after the command name */
        unsigned long long ut = 0, st = 0;
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                         &st) != 2)
                return 0;
        return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/* CPU ms of every replica, and the sum of their VmRSS in KiB. */
static double servers_cpu_ms(void)
{
        double ms = 0;
        for (size_t k = 0; k < nrep; k++)
                ms += cpu_ms_of(server_pid[k]);
        return ms;
}

static long servers_rss_kib(void)
{
        long kib = 0;
        for (size_t k = 0; k < nrep; k++)
                kib += vm_rss_kib(server_pid[k]);
        return kib;
}

/* CPU ms of every process named "postgres" on the machine (the server and its backends):
 * the database's share when the store is a local PostgreSQL; backends that exited are lost,
 * the replicas' pooled connections stay for the whole run. */
static double postgres_cpu_ms(void)
{
        DIR *d = opendir("/proc");
        if (!d)
                return 0;
        double ms = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                char path[300], comm[64] = "";
                snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
                if (!read_line(path, comm, sizeof(comm)) || strcmp(comm, "postgres"))
                        continue;
                ms += cpu_ms_of((pid_t)atoi(e->d_name));
        }
        closedir(d);
        return ms;
}

/* ---- HTTP ---- */

struct conn {
        CURL *h;
        const char *base; /* the replica's URL */
        char *buf;
        size_t len, cap;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
        struct conn *c = ud;
        size_t add = sz * n;
        if (c->len + add + 1 > c->cap) {
                size_t cap = (c->len + add + 1) * 2;
                char *nb = realloc(c->buf, cap);
                if (!nb)
                        return 0;
                c->buf = nb;
                c->cap = cap;
        }
        memcpy(c->buf + c->len, p, add);
        c->len += add;
        c->buf[c->len] = '\0';
        return add;
}

static void conn_init(struct conn *c, size_t replica)
{
        memset(c, 0, sizeof(*c));
        c->base = url[replica % nrep];
        c->h = curl_easy_init();
        if (!c->h)
                die("curl_easy_init");
        curl_easy_setopt(c->h, CURLOPT_CAINFO, ca);
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 300L);
}

static void conn_release(struct conn *c)
{
        curl_easy_cleanup(c->h);
        free(c->buf);
}

/* One request on the connection (reused: keep-alive). HTTP status, or -1 on a transport error. */
static long request(struct conn *c, const char *method, const char *path, const char *bearer,
                    const char *body, size_t body_len)
{
        char u[512], auth[300];
        snprintf(u, sizeof(u), "%s%s", c->base, path);
        struct curl_slist *hd = NULL;
        if (bearer) {
                snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
                hd = curl_slist_append(hd, auth);
        }
        if (body)
                hd = curl_slist_append(hd, "Content-Type: application/json");
        hd = curl_slist_append(hd, "Expect:");
        c->len = 0;
        curl_easy_setopt(c->h, CURLOPT_URL, u);
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
        if (body) {
                curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        } else {
                curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
        }
        CURLcode rc = curl_easy_perform(c->h);
        curl_slist_free_all(hd);
        if (rc != CURLE_OK) {
                fprintf(stderr, "agent_load: %s %s: %s\n", method, path, curl_easy_strerror(rc));
                return -1;
        }
        long status = 0;
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
        return status;
}

/* ---- simulated hosts ---- */

static size_t nhosts, ncheckins, nconns;
static double duration; /* > 0: phase (b) runs this many seconds instead of ncheckins */
static json_t *base_inv;     /* the real inventory, as fp_wire_inventory_build makes it */
static char **enroll_tokens; /* one per 100,000 hosts (a token's use limit) */
struct host {
        char id[20];
        char cred[96];
        char hash[65];
        long seq;
};
static struct host *hosts;
static size_t failures;
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

static void count_failure(void)
{
        pthread_mutex_lock(&fail_mu);
        failures++;
        pthread_mutex_unlock(&fail_mu);
}

static json_t *facts_of(size_t i)
{
        char hostname[32], machine[33];
        snprintf(hostname, sizeof(hostname), "sim-%06zu", i);
        snprintf(machine, sizeof(machine), "%032zx", i + 1);
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "hostname", hostname,
                         "os_id", "debian", "os_version", "12", "os_codename", "bookworm",
                         "os_pretty", "Debian GNU/Linux 12 (bookworm)", "arch", "x86_64",
                         "machine_id", machine, "timezone", "UTC", "agent_version", "0.1.0");
}

/* Host i's inventory: three package versions of the shared one changed (a private copy). */
static json_t *inventory_of(json_t *inv, size_t i, char **saved, size_t *idx)
{
        json_t *pk = json_object_get(inv, "packages");
        size_t n = json_array_size(pk);
        for (size_t k = 0; k < 3; k++) {
                idx[k] = (i * 7919 + k * 104729) % n;
                json_t *p = json_array_get(pk, idx[k]);
                const char *v = json_string_value(json_object_get(p, "version"));
                saved[k] = strdup(v ? v : "");
                char nv[512];
                snprintf(nv, sizeof(nv), "%s+sim%zu", saved[k], i % 97 + k);
                json_object_set_new(p, "version", json_string(nv));
        }
        return inv;
}

static void restore(json_t *inv, char **saved, const size_t *idx)
{
        json_t *pk = json_object_get(inv, "packages");
        for (size_t k = 3; k-- > 0;) {
                json_object_set_new(json_array_get(pk, idx[k]), "version", json_string(saved[k]));
                free(saved[k]);
        }
}

struct worker {
        size_t id;
        struct conn c;
        double t0, t1;
        double *lat; /* per request of phase (b) */
        size_t nlat, cap;
};

static size_t sent_bytes;

static void *enroll_worker(void *arg)
{
        struct worker *w = arg;
        json_t *inv = json_deep_copy(base_inv);
        size_t bytes = 0;
        for (size_t i = w->id; i < nhosts; i += nconns) {
                json_t *facts = facts_of(i);
                json_t *eb = json_pack("{s:O, s:O}", "hostname", json_object_get(facts, "hostname"),
                                       "facts", facts);
                char *body = json_dumps(eb, JSON_COMPACT);
                json_decref(eb);
                long st = request(&w->c, "POST", "/v1/agent/enroll", enroll_tokens[i / 100000],
                                  body, strlen(body));
                free(body);
                json_t *ans = st == 201 ? json_loads(w->c.buf, 0, NULL) : NULL;
                const char *cred = json_string_value(json_object_get(ans, "credential"));
                if (!cred) {
                        fprintf(stderr, "agent_load: enroll %zu: HTTP %ld %s\n", i, st,
                                w->c.buf ? w->c.buf : "");
                        count_failure();
                        json_decref(ans);
                        json_decref(facts);
                        continue;
                }
                snprintf(hosts[i].cred, sizeof(hosts[i].cred), "%s", cred);
                const char *hid = json_string_value(json_object_get(ans, "host_id"));
                snprintf(hosts[i].id, sizeof(hosts[i].id), "%s", hid ? hid : "");
                json_decref(ans);
                /* the first check-in with the whole inventory */
                char *saved[3];
                size_t idx[3];
                inventory_of(inv, i, saved, idx);
                char *inv_text = json_dumps(inv, JSON_COMPACT | JSON_SORT_KEYS);
                char *facts_text = json_dumps(facts, JSON_COMPACT);
                restore(inv, saved, idx);
                json_decref(facts);
                unsigned char digest[crypto_hash_sha256_BYTES];
                crypto_hash_sha256(digest, (const unsigned char *)inv_text, strlen(inv_text));
                sodium_bin2hex(hosts[i].hash, sizeof(hosts[i].hash), digest, sizeof(digest));
                size_t blen = strlen(inv_text) + strlen(facts_text) + 160;
                char *cb = malloc(blen);
                if (!cb)
                        die("out of memory");
                int n = snprintf(cb, blen,
                                 "{\"seq\":1,\"inventory_hash\":\"%s\",\"facts\":%s,"
                                 "\"inventory\":%s}",
                                 hosts[i].hash, facts_text, inv_text);
                free(inv_text);
                free(facts_text);
                st = request(&w->c, "POST", "/v1/agent/checkin", hosts[i].cred, cb, (size_t)n);
                bytes += (size_t)n;
                free(cb);
                if (st != 200 || !strstr(w->c.buf ? w->c.buf : "", "\"accepted\"")) {
                        fprintf(stderr, "agent_load: check-in %zu: HTTP %ld %s\n", i, st,
                                w->c.buf ? w->c.buf : "");
                        count_failure();
                }
                hosts[i].seq = 1;
        }
        json_decref(inv);
        pthread_mutex_lock(&fail_mu);
        sent_bytes += bytes;
        pthread_mutex_unlock(&fail_mu);
        return NULL;
}

static bool healthz_mode;

static void *checkin_worker(void *arg)
{
        struct worker *w = arg;
        size_t per = ncheckins / nconns;
        size_t hi = w->id; /* this thread's hosts: id, id + nconns, ... */
        char body[1024];
        unsigned printed = 0;
        w->t0 = now_s();
        w->nlat = 0;
        double end = w->t0 + duration;
        for (size_t k = 0; duration > 0 ? now_s() < end : k < per; k++) {
                double t = now_s();
                long st;
                if (healthz_mode) {
                        st = request(&w->c, "GET", "/healthz", NULL, NULL, 0);
                } else {
                        struct host *h = &hosts[hi];
                        json_t *facts = facts_of(hi);
                        char *ft = json_dumps(facts, JSON_COMPACT);
                        json_decref(facts);
                        int n = snprintf(body, sizeof(body),
                                         "{\"seq\":%ld,\"inventory_hash\":\"%s\",\"facts\":%s}",
                                         ++h->seq, h->hash, ft);
                        free(ft);
                        st = request(&w->c, "POST", "/v1/agent/checkin", h->cred, body,
                                     (size_t)n);
                        if (st == 200 && !strstr(w->c.buf ? w->c.buf : "", "\"unchanged\""))
                                st = -2;
                        hi += nconns;
                        if (hi >= nhosts)
                                hi = w->id;
                }
                if (w->nlat == w->cap) {
                        w->cap = w->cap ? 2 * w->cap : 4096;
                        w->lat = realloc(w->lat, w->cap * sizeof(*w->lat));
                        if (!w->lat)
                                die("out of memory");
                }
                w->lat[w->nlat++] = now_s() - t;
                if (st != 200) {
                        if (printed++ < 3)
                                fprintf(stderr, "agent_load: request: HTTP %ld %s\n", st,
                                        w->c.buf ? w->c.buf : "");
                        count_failure();
                }
        }
        w->t1 = now_s();
        return NULL;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

struct rate {
        double per_s, p50_ms, p99_ms, max_ms, seconds;
        size_t n;
};

static struct rate run_checkins(struct worker *w, bool healthz)
{
        healthz_mode = healthz;
        pthread_t *th = calloc(nconns, sizeof(*th));
        if (!th)
                die("out of memory");
        double t0 = now_s();
        for (size_t i = 0; i < nconns; i++)
                pthread_create(&th[i], NULL, checkin_worker, &w[i]);
        for (size_t i = 0; i < nconns; i++)
                pthread_join(th[i], NULL);
        double el = now_s() - t0;
        free(th);
        size_t n = 0;
        for (size_t i = 0; i < nconns; i++)
                n += w[i].nlat;
        double *lat = malloc((n ? n : 1) * sizeof(*lat));
        if (!lat)
                die("out of memory");
        n = 0;
        for (size_t i = 0; i < nconns; i++) {
                memcpy(lat + n, w[i].lat, w[i].nlat * sizeof(*lat));
                n += w[i].nlat;
        }
        qsort(lat, n, sizeof(*lat), cmp_double);
        struct rate r = {0, 0, 0, 0, el, n};
        if (n) {
                r.per_s = (double)n / el;
                r.p50_ms = lat[n / 2] * 1e3;
                r.p99_ms = lat[n * 99 / 100] * 1e3;
                r.max_ms = lat[n - 1] * 1e3;
        }
        free(lat);
        return r;
}

/* ---- the real agent ---- */

struct agent_run {
        double cpu_ms;
        long maxrss_kib;
        int status;
        long floor_kib; /* the helper's own RSS when it forked: ru_maxrss is never below it */
};

/*
 * ru_maxrss survives exec: a child forked from this (large) process would report our own RSS.
 * So the agent runs under a small helper (this binary re-executed with --measure), which forks
 * it from its own small image and reports the wait4 rusage on its stdout.
 */
static int measure_main(char **argv)
{
        char *const av[] = {argv[2], "--config", argv[3], "--once", NULL};
        long floor_kib = vm_rss_kib(getpid());
        pid_t pid = spawn(av, argv[4]);
        int status = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof(ru));
        if (wait4(pid, &status, 0, &ru) != pid)
                return 1;
        double cpu = ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e3 +
                     ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e3;
        printf("%.3f %ld %d %ld\n", cpu, ru.ru_maxrss,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1, floor_kib);
        return 0;
}

static struct agent_run agent_once(const char *exe, const char *conf)
{
        char log[400], out[400];
        snprintf(log, sizeof(log), "%s/agent.log", state_dir);
        snprintf(out, sizeof(out), "%s/measure.out", state_dir);
        struct agent_run r = {0, 0, -1, 0};
        unlink(out);
        /* /proc/self/exe: this very binary, even if it was rebuilt while running */
        char *const argv[] = {"/proc/self/exe", "--measure", (char *)exe, (char *)conf, log, NULL};
        pid_t pid = spawn(argv, out);
        int status = 0;
        waitpid(pid, &status, 0);
        FILE *f = fopen(out, "r");
        if (!f)
                return r;
        if (fscanf(f, "%lf %ld %d %ld", &r.cpu_ms, &r.maxrss_kib, &r.status, &r.floor_kib) != 4)
                r.status = -1;
        fclose(f);
        return r;
}

static bool write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (!f)
                return false;
        bool ok = fputs(text, f) >= 0;
        return fclose(f) == 0 && ok;
}

static bool copy_file(const char *from, const char *to)
{
        FILE *in = fopen(from, "rb");
        if (!in)
                return false;
        FILE *out = fopen(to, "wb");
        if (!out) {
                fclose(in);
                return false;
        }
        char buf[65536];
        size_t n;
        bool ok = true;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
                ok &= fwrite(buf, 1, n, out) == n;
        fclose(in);
        return fclose(out) == 0 && ok;
}

/* A sandbox root of the real host: its dpkg status, os-release, machine id, and (lists) the
 * captured apt lists of the same instant. Writes the agent config; returns false on I/O errors. */
static bool agent_root(const char *shared, const char *name, bool lists, const char *token_file,
                       const char *extra, char *conf, size_t confsz)
{
        char root[400], p[700], q[700];
        snprintf(root, sizeof(root), "%s/%s", state_dir, name);
        const char *dirs[] = {"", "/etc", "/var", "/var/lib", "/var/lib/dpkg", "/var/lib/apt",
                              "/var/lib/apt/lists"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
                if (mkdir(p, 0700) != 0 && errno != EEXIST)
                        return false;
        }
        snprintf(p, sizeof(p), "%s/inventory/debian12-dpkg-status", shared);
        snprintf(q, sizeof(q), "%s/var/lib/dpkg/status", root);
        if (!copy_file(p, q))
                return false;
        snprintf(q, sizeof(q), "%s/etc/os-release", root);
        if (!write_file(q, "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"
                           "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"))
                return false;
        snprintf(q, sizeof(q), "%s/etc/machine-id", root);
        if (!write_file(q, lists ? "feedfacefeedfacefeedfacefeedface\n"
                                 : "cafebabecafebabecafebabecafebabe\n"))
                return false;
        static const char *const files[] = {
            "Packages_bookworm_main_binary-amd64.gz", "Release_bookworm",
            "Packages_bookworm-security_main_binary-amd64", "Release_bookworm-security",
            "Packages_bookworm-updates_main_binary-amd64", "Release_bookworm-updates"};
        for (size_t i = 0; lists && i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(p, sizeof(p), "%s/apt/%s", shared, files[i]);
                snprintf(q, sizeof(q), "%s/var/lib/apt/lists/%s", root, files[i]);
                if (!copy_file(p, q))
                        return false;
        }
        snprintf(conf, confsz, "%s/%s.conf", state_dir, name);
        char text[3000];
        snprintf(text, sizeof(text),
                 "server = %s\nca_file = %s\nstate_dir = %s/%s.state\nenroll_token_file = %s\n"
                 "root = %s\nhostname = %s\nlog_level = warning\n%s",
                 url[0], ca, state_dir, name, token_file, root, name, extra);
        return write_file(conf, text);
}

static void report_agent(const char *what, struct agent_run r)
{
        printf("    %-44s exit %d  CPU %7.1f ms  peak RSS %6.1f MiB (floor %.1f)\n", what,
               r.status, r.cpu_ms, (double)r.maxrss_kib / 1024.0, (double)r.floor_kib / 1024.0);
}

static void bench_agent(const char *shared, const char *exe, struct conn *c)
{
        char token_file[400], body[64];
        snprintf(token_file, sizeof(token_file), "%s/agent.token", state_dir);
        snprintf(body, sizeof(body), "{\"uses\":3}");
        if (request(c, "POST", "/v1/accounts/default/enroll-tokens", admin, body,
                    strlen(body)) != 201)
                die("enroll token for the real agent");
        json_t *ans = json_loads(c->buf, 0, NULL);
        const char *tok = json_string_value(json_object_get(ans, "token"));
        if (!tok || !write_file(token_file, tok))
                die("writing the agent's enrollment token");
        json_decref(ans);
        printf("(d) the real fleetpatch-agent --once against this server (823 packages):\n");
        struct agent_run worst = {0, 0, 0, 0};
        bool all_ran = true;
        for (int lists = 0; lists < 2; lists++) {
                char conf[500];
                if (!agent_root(shared, lists ? "agent-lists" : "agent-status", lists, token_file,
                                "", conf, sizeof(conf)))
                        die("building the agent's sandbox root");
                struct agent_run first = agent_once(exe, conf);
                struct agent_run again = agent_once(exe, conf);
                printf("  %s\n", lists ? "root with the captured apt lists (main 11.7 MB .gz, "
                                         "security, updates): scans pending updates too"
                                       : "root with the dpkg status only (no apt lists)");
                report_agent("enroll + first check-in (inventory sent)", first);
                report_agent("unchanged check-in (hash only)", again);
                all_ran &= first.status == 0 && again.status == 0;
                if (again.cpu_ms > worst.cpu_ms)
                        worst.cpu_ms = again.cpu_ms;
                if (again.maxrss_kib > worst.maxrss_kib)
                        worst.maxrss_kib = again.maxrss_kib;
        }
        /* the daemon's idle RSS: after its first check-in it waits in the long poll */
        char conf[500];
        if (!agent_root(shared, "agent-daemon", false, token_file, "checkin_interval = 3600\n",
                        conf, sizeof(conf)))
                die("building the daemon's sandbox root");
        char log[400];
        snprintf(log, sizeof(log), "%s/agent.log", state_dir);
        char *const argv[] = {(char *)exe, "--config", conf, NULL};
        pid_t pid = spawn(argv, log);
        char seqf[600], seq[32] = "";
        snprintf(seqf, sizeof(seqf), "%s/agent-daemon.state/seq", state_dir);
        for (int i = 0; i < 300 && !read_line(seqf, seq, sizeof(seq)); i++) {
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        struct timespec settle = {2, 0};
        nanosleep(&settle, NULL);
        long idle = vm_rss_kib(pid);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        printf("  agent daemon idle in its long poll: VmRSS %.1f MiB (after check-in %s)\n",
               (double)idle / 1024.0, seq[0] ? seq : "?");
        if (!all_ran) {
                printf("  the agent runs failed (see %s/agent.log): no goal verdict\n", state_dir);
                return;
        }
        printf("  goal: agent RSS <= 10 MiB: idle %.1f MiB (%s), peak of an unchanged check-in "
               "%.1f MiB (%s)\n",
               (double)idle / 1024.0, idle <= 10240 ? "met" : "NOT met",
               (double)worst.maxrss_kib / 1024.0, worst.maxrss_kib <= 10240 ? "met" : "NOT met");
        printf("  goal: check-in CPU <= 50 ms: worst unchanged check-in %.1f ms (%s)\n",
               worst.cpu_ms, worst.cpu_ms <= 50 ? "met" : "NOT met");
}

static void rm_rf(const char *dir)
{
        pid_t pid = fork();
        if (pid == 0) {
                execlp("rm", "rm", "-rf", dir, (char *)NULL);
                _exit(127);
        }
        if (pid > 0)
                waitpid(pid, NULL, 0);
}

/* ---- (e) a new advisory ---- */

static const char *cli_exe; /* the fleetpatch CLI: feeds import into the shared vuln.db */

/* One Debian security tracker record: SRC's CVE fixed in 99.0 (so every host is affected). */
static void import_advisory(const char *cve, const char *src)
{
        char path[400], log[400], text[600];
        snprintf(path, sizeof(path), "%s/%s.json", state_dir, cve);
        snprintf(log, sizeof(log), "%s/import.log", state_dir);
        snprintf(text, sizeof(text),
                 "{\"%s\": {\"%s\": {\"description\": \"agent_load: a new advisory\", "
                 "\"releases\": {\"bookworm\": {\"status\": \"resolved\", \"repositories\": {}, "
                 "\"fixed_version\": \"99.0\", \"urgency\": \"high\"}}}}}\n",
                 src, cve);
        if (!write_file(path, text))
                die("writing a tracker record");
        char name[200];
        snprintf(name, sizeof(name), "debian-tracker:%s", cve);
        char *const argv[] = {(char *)cli_exe, "feeds", "import", "--db", vulndb, "--kind",
                              "debian-tracker", "--name", name, path, NULL};
        run_wait(argv, log);
}

/* Hosts the fleet view (GET /v1/vulns: the stored exposures) counts for CVE; -1 on error. */
static long fleet_hosts_of(struct conn *c, const char *cve)
{
        if (request(c, "GET", "/v1/vulns?limit=100", admin, NULL, 0) != 200)
                return -1;
        json_t *a = json_loads(c->buf, 0, NULL);
        json_t *v;
        size_t i;
        long n = 0;
        json_array_foreach(json_object_get(a, "vulns"), i, v) {
                if (!strcmp(json_string_value(json_object_get(v, "vuln")) ?: "", cve))
                        n = (long)json_integer_value(json_object_get(v, "hosts"));
        }
        json_decref(a);
        return n;
}

#define SAMPLES_PER_REPLICA 4

/* The time from the import of a new advisory until (i) sampled hosts show it on every replica
 * (GET /v1/hosts/{id}/vulns evaluates the stored inventory against the database now) and
 * (ii) the fleet view counts every host, polled for wait_s seconds at most. */
static void bench_advisory(struct conn *cs, double wait_s)
{
        const char *cve = "CVE-2099-0002";
        long before = fleet_hosts_of(&cs[0], "CVE-2099-0001");
        printf("(e) a new advisory: the fleet view counts %ld of %zu hosts for the advisory of "
               "the first import (CVE-2099-0001, tar), before\n",
               before, nhosts);
        double ti = now_s();
        import_advisory(cve, "bash");
        double t0 = now_s();
        printf("    `fleetpatch feeds import` of %s (bash < 99.0: every host affected) into the "
               "vulnerability database the %zu replica(s) read: %.2f s\n",
               cve, nrep, t0 - ti);
        size_t ns = SAMPLES_PER_REPLICA * nrep;
        if (ns > nhosts)
                ns = nhosts;
        double seen[SAMPLES_PER_REPLICA * MAX_REPLICAS];
        double eval_s = 0;
        size_t evals = 0, left = ns;
        for (size_t j = 0; j < ns; j++)
                seen[j] = -1;
        double fleet_at = -1, last_fleet = 0;
        long fleet_n = 0;
        while (now_s() - t0 < wait_s && (left || fleet_at < 0)) {
                for (size_t j = 0; j < ns; j++) {
                        if (seen[j] >= 0)
                                continue;
                        size_t hi = (j * (nhosts / ns) + j) % nhosts;
                        char path[128];
                        snprintf(path, sizeof(path), "/v1/hosts/%s/vulns", hosts[hi].id);
                        double t = now_s();
                        long st = request(&cs[j % nrep], "GET", path, admin, NULL, 0);
                        eval_s += now_s() - t;
                        evals++;
                        if (st == 200 && strstr(cs[j % nrep].buf, cve)) {
                                seen[j] = now_s() - t0;
                                left--;
                        }
                }
                if (fleet_at < 0 && now_s() - last_fleet >= 1.0) {
                        last_fleet = now_s();
                        fleet_n = fleet_hosts_of(&cs[0], cve);
                        if (fleet_n >= (long)nhosts)
                                fleet_at = now_s() - t0;
                }
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        double worst = 0;
        for (size_t j = 0; j < ns; j++)
                worst = seen[j] > worst ? seen[j] : worst;
        printf("    (i) per-host view, %zu sampled hosts over %zu replica(s): %zu of them show it, "
               "the last after %.2f s (each GET evaluates one host: %.1f ms on average)\n",
               ns, nrep, ns - left, left ? -1.0 : worst, evals ? eval_s * 1e3 / (double)evals : 0);
        if (fleet_at >= 0)
                printf("    (ii) fleet view (stored counts and exposures): all %zu hosts after "
                       "%.2f s\n",
                       nhosts, fleet_at);
        else
                printf("    (ii) fleet view (stored counts and exposures): %ld of %zu hosts "
                       "after %.0f s (the leader's refresh, docs/server.md \"Vulnerability "
                       "data\"): %.0f hosts/s, all of them in about %.0f s at that rate\n",
                       fleet_n, nhosts, wait_s, (double)fleet_n / wait_s,
                       fleet_n > 0 ? (double)nhosts * wait_s / (double)fleet_n : -1.0);
        double per_host_ms = evals ? eval_s * 1e3 / (double)evals : 0;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        printf("    projection, were every host re-evaluated at this per-host cost (one GET: "
               "read, parse, match, answer) on %ld CPUs: %.0f s for %zu hosts\n",
               cpus, per_host_ms * (double)nhosts / 1e3 / (double)(cpus > 0 ? cpus : 1), nhosts);
        double got = fleet_at >= 0 ? fleet_at : -1;
        if (got >= 0)
                printf("  goal: fleet applicability refreshed <= 10 s: %.2f s (target 10 s: "
                       "%.2fx) %s\n",
                       got, got / 10.0, got <= 10 ? "met" : "NOT met");
        else
                printf("  goal: fleet applicability refreshed <= 10 s: NOT met (not refreshed "
                       "within %.0f s; %ld of %zu hosts)\n",
                       wait_s, fleet_n, nhosts);
}

/* ---- (f) PostgreSQL table sizes ---- */

static void pg_sizes(void)
{
        char cmd[1400];
        snprintf(cmd, sizeof(cmd),
                 "psql -X -q -A -t -F ' ' '%s' -c \"SELECT c.relname, "
                 "pg_total_relation_size(c.oid), pg_relation_size(c.oid), c.reltuples::bigint "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                 "n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 2 DESC\" -c "
                 "\"SELECT 'DATABASE', pg_database_size(current_database()), 0, 0\"",
                 store_url);
        FILE *p = popen(cmd, "r");
        if (!p) {
                printf("(f) psql: cannot run\n");
                return;
        }
        char line[512];
        printf("(f) PostgreSQL tables with %zu hosts (pg_total_relation_size: heap + indexes + "
               "TOAST; bytes per host):\n",
               nhosts);
        while (fgets(line, sizeof(line), p)) {
                char name[128];
                long long total, heap, rows;
                if (sscanf(line, "%127s %lld %lld %lld", name, &total, &heap, &rows) != 4)
                        continue;
                if (total < 65536 && strcmp(name, "DATABASE"))
                        continue;
                printf("    %-28s %9.1f MiB total (%8.1f MiB heap, ~%lld rows)  %8.0f B/host\n",
                       name, (double)total / 1048576.0, (double)heap / 1048576.0, rows,
                       (double)total / (double)nhosts);
        }
        pclose(p);
}

/* Write activity of the database: committed and rolled-back transactions, rows inserted and
 * updated and deleted (pg_stat_database), and the WAL position in bytes. The statistics of a
 * backend reach pg_stat_database when it has been idle for a while (PostgreSQL flushes them
 * at most once a second and at the latest after 10 s idle), so callers wait 11 s before
 * taking a snapshot. */
struct pg_act {
        double commits, rollbacks, ins, upd, del, wal;
        bool ok;
};

static struct pg_act pg_activity(void)
{
        struct pg_act a = {0};
        char cmd[1200];
        snprintf(cmd, sizeof(cmd),
                 "psql -X -q -A -t -F ' ' '%s' -c \"SELECT xact_commit, xact_rollback, "
                 "tup_inserted, tup_updated, tup_deleted, pg_wal_lsn_diff(pg_current_wal_lsn(), "
                 "'0/0') FROM pg_stat_database WHERE datname = current_database()\" 2>/dev/null",
                 store_url);
        FILE *p = popen(cmd, "r");
        if (!p)
                return a;
        a.ok = fscanf(p, "%lf %lf %lf %lf %lf %lf", &a.commits, &a.rollbacks, &a.ins, &a.upd,
                      &a.del, &a.wal) == 6;
        pclose(p);
        return a;
}

static void pg_settle(void)
{
        struct timespec ts = {11, 0};
        nanosleep(&ts, NULL);
}

static void goal_min(const char *what, double v, double target)
{
        printf("  goal: %s %.0f (target >= %.0f: %.2fx) %s\n", what, v, target, v / target,
               v >= target ? "met" : "NOT met");
}

static void goal_max(const char *what, double v, double target)
{
        printf("  goal: %s %.1f ms (target <= %.0f ms: %.2fx) %s\n", what, v, target, v / target,
               v <= target ? "met" : "NOT met");
}

int main(int argc, char **argv)
{
        if (argc == 5 && !strcmp(argv[1], "--measure"))
                return measure_main(argv);
        if (argc < 4) {
                fprintf(stderr, "usage: agent_load SHARED_DATA FLEETPATCHD FLEETPATCH_AGENT "
                                "[--hosts N] [--checkins M] [--duration S] [--conns C] "
                                "[--server-threads T] [--replicas R] [--store URL] "
                                "[--fleetpatch CLI] [--advisory-wait S] [--no-agent] [--keep]\n");
                return 2;
        }
        const char *shared = argv[1], *server_exe = argv[2], *agent_exe = argv[3];
        const char *server_threads = "4";
        bool keep = false, agent = true;
        double advisory_wait = 30;
        nhosts = 10000;
        ncheckins = 20000;
        nconns = 16;
        for (int i = 4; i < argc; i++) {
                bool more = i + 1 < argc;
                if (!strcmp(argv[i], "--hosts") && more)
                        nhosts = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--checkins") && more)
                        ncheckins = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--duration") && more)
                        duration = strtod(argv[++i], NULL);
                else if (!strcmp(argv[i], "--conns") && more)
                        nconns = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--server-threads") && more)
                        server_threads = argv[++i];
                else if (!strcmp(argv[i], "--replicas") && more)
                        nrep = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--store") && more)
                        store_url = argv[++i];
                else if (!strcmp(argv[i], "--fleetpatch") && more)
                        cli_exe = argv[++i];
                else if (!strcmp(argv[i], "--advisory-wait") && more)
                        advisory_wait = strtod(argv[++i], NULL);
                else if (!strcmp(argv[i], "--no-agent"))
                        agent = false;
                else if (!strcmp(argv[i], "--keep"))
                        keep = true;
                else {
                        fprintf(stderr, "agent_load: unknown argument '%s'\n", argv[i]);
                        return 2;
                }
        }
        if (store_url && store_url[0] == '$') {
                store_url = getenv(store_url + 1);
                if (!store_url || !*store_url)
                        die("--store $VAR: the variable is not set (run under tests/tools/"
                            "with_pg.sh)");
        }
        if (nhosts < 1 || nconns < 1 || nconns > 1024 || (duration <= 0 && ncheckins < nconns))
                die("need --hosts >= 1, 1 <= --conns <= 1024, --checkins >= --conns");
        if (nrep < 1 || nrep > MAX_REPLICAS)
                die("need 1 <= --replicas <= 16");
        if (nrep > 1 && !store_url)
                die("--replicas > 1 needs --store URL (one database every replica shares)");
        if (nconns > nhosts)
                nconns = nhosts;
        if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                die("libsodium/libcurl initialisation");
        signal(SIGPIPE, SIG_IGN);
        const char *tmp = getenv("TMPDIR");
        snprintf(state_dir, sizeof(state_dir), "%s/fp-agent-load.XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(state_dir))
                die("mkdtemp");
        snprintf(vulndb, sizeof(vulndb), "%s/vuln.db", state_dir);

        /* the real inventory */
        char status[600], root[400];
        snprintf(status, sizeof(status), "%s/inventory/debian12-dpkg-status", shared);
        snprintf(root, sizeof(root), "%s/empty-root", state_dir);
        if (mkdir(root, 0700) != 0)
                die("mkdir");
        struct fp_inventory_opts io = {.root = root, .status_file = status,
                                       .release = "debian:bookworm", .running_kernel = ""};
        struct fp_inventory inv;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_inventory_load(&io, &inv, &diag) != FP_OK)
                die("cannot load the shared dpkg status");
        base_inv = fp_wire_inventory_build(&inv, NULL);
        size_t npk = inv.count;
        fp_inventory_release(&inv);
        if (!base_inv)
                die("fp_wire_inventory_build");

        /* a vulnerability database of one advisory, so that check-ins compute findings and
         * exposures (the full Debian feed's per-host matching cost: docs/vulns.md) */
        if (cli_exe)
                import_advisory("CVE-2099-0001", "tar");
        for (size_t k = 0; k < nrep; k++)
                start_server(k, server_exe, server_threads);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        printf("agent_load: %zu fleetpatchd replica(s) (%s store%s, %s request threads each), "
               "%zu simulated hosts of %zu packages, %zu connections (TLS, keep-alive) spread "
               "round-robin over the replicas, %ld CPUs shared by the load generator, the "
               "replicas%s\n",
               nrep, store_url ? "one shared PostgreSQL" : "SQLite", store_url ? "" : " file",
               server_threads, nhosts, npk, nconns, cpus,
               store_url ? " and PostgreSQL" : "");
        for (size_t k = 0; k < nrep; k++)
                printf("    replica %zu: pid %d at %s\n", k, (int)server_pid[k], url[k]);
        if (store_url && strstr(store_url, "postgres")) {
                FILE *p;
                char cmd[1200], fs[64] = "";
                snprintf(cmd, sizeof(cmd),
                         "psql -X -q -A -t '%s' -c 'SHOW fsync' -c 'SHOW synchronous_commit' "
                         "-c 'SHOW shared_buffers' -c 'SHOW server_version' 2>/dev/null | "
                         "tr '\\n' ' '",
                         store_url);
                p = popen(cmd, "r");
                if (p && fgets(fs, sizeof(fs), p))
                        printf("    PostgreSQL: fsync, synchronous_commit, shared_buffers, "
                               "version = %s%s\n",
                               fs, strncmp(fs, "off", 3) ? "" : "(fsync=off: no durability, "
                                                              "a benchmark setting)");
                if (p)
                        pclose(p);
        }
        struct conn admin_c;
        conn_init(&admin_c, 0);
        size_t ntok = (nhosts + 99999) / 100000;
        enroll_tokens = calloc(ntok, sizeof(*enroll_tokens));
        hosts = calloc(nhosts, sizeof(*hosts));
        if (!enroll_tokens || !hosts)
                die("out of memory");
        for (size_t t = 0; t < ntok; t++) {
                char body[64];
                snprintf(body, sizeof(body), "{\"uses\":100000,\"ttl\":86400}");
                if (request(&admin_c, "POST", "/v1/accounts/default/enroll-tokens", admin, body,
                            strlen(body)) != 201)
                        die(admin_c.buf ? admin_c.buf : "enrollment token");
                json_t *a = json_loads(admin_c.buf, 0, NULL);
                const char *tk = json_string_value(json_object_get(a, "token"));
                enroll_tokens[t] = strdup(tk ? tk : "");
                json_decref(a);
        }
        long rss0 = servers_rss_kib();

        /* (a) enrollment storm */
        struct worker *w = calloc(nconns, sizeof(*w));
        pthread_t *th = calloc(nconns, sizeof(*th));
        if (!w || !th)
                die("out of memory");
        for (size_t i = 0; i < nconns; i++) {
                w[i].id = i;
                conn_init(&w[i].c, i);
        }
        struct pg_act act_a = {0};
        if (store_url && strstr(store_url, "postgres"))
                act_a = pg_activity();
        double t0 = now_s(), scpu0 = servers_cpu_ms(), ccpu0 = cpu_ms_of(getpid());
        double pcpu0 = postgres_cpu_ms();
        for (size_t i = 0; i < nconns; i++)
                pthread_create(&th[i], NULL, enroll_worker, &w[i]);
        for (size_t i = 0; i < nconns; i++)
                pthread_join(th[i], NULL);
        double storm = now_s() - t0, scpu = servers_cpu_ms() - scpu0;
        double ccpu = cpu_ms_of(getpid()) - ccpu0, pcpu = postgres_cpu_ms() - pcpu0;
        size_t storm_fail = failures;
        long rss1 = servers_rss_kib();
        printf("(a) enrollment storm: %zu hosts enrolled and sent full inventories (%.0f KiB "
               "each) in %.2f s = %.0f hosts/s, %zu failed\n",
               nhosts, (double)sent_bytes / (double)nhosts / 1024.0, storm,
               (double)nhosts / storm, storm_fail);
        printf("    server CPU %.1f ms per enrollment + full check-in (%.0f%% of one CPU, all "
               "replicas)\n",
               scpu / (double)nhosts, scpu / 10.0 / storm);
        if (store_url)
                printf("    PostgreSQL CPU %.1f ms per enrollment + full check-in (%.0f%% of one "
                       "CPU)\n",
                       pcpu / (double)nhosts, pcpu / 10.0 / storm);
        printf("    load generator CPU %.1f ms per host (building and hashing its inventory, TLS)"
               "\n",
               ccpu / (double)nhosts);
        double per10k = storm * 10000.0 / (double)nhosts;
        printf("    goal: 10,000 enrollments <= 60 s: %.1f s for 10,000 at this rate (%s)\n",
               per10k, per10k <= 60 ? "met" : "NOT met");

        /* (b) unchanged check-ins, and GET /healthz on the same connections as the reference */
        failures = 0;
        bool pg = store_url && strstr(store_url, "postgres");
        struct pg_act act0 = {0}, act1 = {0};
        if (pg) {
                pg_settle();
                act0 = pg_activity();
                if (act_a.ok && act0.ok)
                        printf("    PostgreSQL per enrolled host (enrollment + first full "
                               "check-in): %.2f commits, rows inserted %.1f, updated %.1f, WAL "
                               "%.0f KiB\n",
                               (act0.commits - act_a.commits) / (double)nhosts,
                               (act0.ins - act_a.ins) / (double)nhosts,
                               (act0.upd - act_a.upd) / (double)nhosts,
                               (act0.wal - act_a.wal) / 1024.0 / (double)nhosts);
        }
        double c0 = servers_cpu_ms(), p0 = postgres_cpu_ms(), g0 = cpu_ms_of(getpid());
        struct rate ck = run_checkins(w, false);
        double ck_cpu = (servers_cpu_ms() - c0) / (double)(ck.n ? ck.n : 1);
        double ck_pcpu = (postgres_cpu_ms() - p0) / (double)(ck.n ? ck.n : 1);
        double ck_gcpu = (cpu_ms_of(getpid()) - g0) / (double)(ck.n ? ck.n : 1);
        size_t ck_fail = failures;
        failures = 0;
        struct rate hz = run_checkins(w, true);
        printf("(b) unchanged check-ins (seq + hash + facts, no inventory), %zu in %.1f s over "
               "%zu connections: %.0f/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %zu failed\n",
               ck.n, ck.seconds, nconns, ck.per_s, ck.p50_ms, ck.p99_ms, ck.max_ms, ck_fail);
        printf("    CPU per check-in: server %.3f ms (all replicas), PostgreSQL %.3f ms, load "
               "generator %.3f ms (sum %.3f ms of %ld CPUs: a ceiling of %.0f/s here)\n",
               ck_cpu, ck_pcpu, ck_gcpu, ck_cpu + ck_pcpu + ck_gcpu, cpus,
               (double)cpus * 1e3 / (ck_cpu + ck_pcpu + ck_gcpu));
        printf("    reference GET /healthz, same connections and %s: %.0f/s, p50 %.2f ms, p99 "
               "%.2f ms, %zu failed\n",
               duration > 0 ? "duration" : "count", hz.per_s, hz.p50_ms, hz.p99_ms, failures);
        printf("    ratio check-in / healthz: rate %.2fx, p50 %.2fx, p99 %.2fx\n",
               ck.per_s / hz.per_s, ck.p50_ms / hz.p50_ms, ck.p99_ms / hz.p99_ms);
        if (pg) {
                pg_settle();
                act1 = pg_activity();
        }
        if (pg && act0.ok && act1.ok && ck.n) {
                double n = (double)ck.n;
                printf("    PostgreSQL per check-in (pg_stat_database, WAL position; the "
                       "healthz phase writes nothing): %.2f commits (write transactions), "
                       "%.2f rollbacks (read transactions), rows inserted %.2f, updated %.2f, "
                       "deleted %.2f, WAL %.0f bytes (fsync off here: WAL is still written)\n",
                       (act1.commits - act0.commits) / n, (act1.rollbacks - act0.rollbacks) / n,
                       (act1.ins - act0.ins) / n, (act1.upd - act0.upd) / n,
                       (act1.del - act0.del) / n, (act1.wal - act0.wal) / n);
        }
        goal_min("check-ins/s", ck.per_s, 2000);
        goal_max("check-in p99 (agent_load goal)", ck.p99_ms, 50);
        goal_max("check-in p99 (issue 10)", ck.p99_ms, 100);

        /* (c) server memory */
        long rss2 = servers_rss_kib();
        struct stat st;
        char dbp[400];
        long long db = 0;
        snprintf(dbp, sizeof(dbp), "%s/srv/fleetpatch.db", state_dir);
        if (stat(dbp, &st) == 0)
                db = st.st_size;
        snprintf(dbp, sizeof(dbp), "%s/srv/fleetpatch.db-wal", state_dir);
        if (stat(dbp, &st) == 0)
                db += st.st_size;
        double slope = (double)(rss1 - rss0) / (double)nhosts; /* KiB per host */
        printf("(c) server VmRSS (all replicas): %.1f MiB before enrollment, %.1f MiB with %zu "
               "hosts, %.1f MiB after the check-ins",
               (double)rss0 / 1024.0, (double)rss1 / 1024.0, nhosts, (double)rss2 / 1024.0);
        if (store_url)
                printf("\n");
        else
                printf("; store %.1f MiB on disk\n", (double)db / 1048576.0);
        if (nhosts >= 100000)
                printf("    measured with %zu hosts: %.1f MiB\n", nhosts, (double)rss2 / 1024.0);
        else
                printf("    100,000 hosts: extrapolated %.1f MiB (%.2f KiB per host, linear); "
                       "measure with --hosts 100000\n",
                       ((double)rss0 + slope * 100000.0) / 1024.0, slope);

        /* (e) a new advisory */
        struct conn cs[MAX_REPLICAS];
        for (size_t k = 0; k < nrep; k++)
                conn_init(&cs[k], k);
        if (cli_exe)
                bench_advisory(cs, advisory_wait);
        else
                printf("(e) a new advisory: skipped (needs --fleetpatch CLI)\n");
        for (size_t k = 0; k < nrep; k++)
                conn_release(&cs[k]);

        /* (f) the database */
        if (store_url && strstr(store_url, "postgres"))
                pg_sizes();

        /* (d) the real agent */
        if (agent)
                bench_agent(shared, agent_exe, &admin_c);

        for (size_t i = 0; i < nconns; i++) {
                conn_release(&w[i].c);
                free(w[i].lat);
        }
        conn_release(&admin_c);
        free(w);
        free(th);
        for (size_t t = 0; t < ntok; t++)
                free(enroll_tokens[t]);
        free(enroll_tokens);
        free(hosts);
        json_decref(base_inv);
        for (size_t k = 0; k < nrep; k++) {
                kill(server_pid[k], SIGTERM);
                waitpid(server_pid[k], NULL, 0);
        }
        for (size_t k = 0; k < nrep; k++) {
                char log[400], line[600];
                snprintf(log, sizeof(log), "%s/server%zu.log", state_dir, k);
                FILE *f = fopen(log, "r");
                size_t nl = 0;
                while (f && fgets(line, sizeof(line), f))
                        if (nl++ < 5)
                                printf("    replica %zu log: %s", k, line);
                if (nl)
                        printf("    replica %zu log: %zu lines in all\n", k, nl);
                if (f)
                        fclose(f);
        }
        if (keep)
                printf("agent_load: state kept in %s\n", state_dir);
        else
                rm_rf(state_dir);
        curl_global_cleanup();
        return 0;
}
