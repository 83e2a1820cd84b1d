/*
 * Prometheus metrics of fleetpatchd: requests and latency by route and status class, and
 * named counters (check-ins, inventories, enrollments, ...). Plain counters under one mutex:
 * an increment is far cheaper than the request it counts.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/util.h"
#include "server/server.h"

#define MAX_ROUTES FP_METRICS_MAX_ROUTES
#define MAX_COUNTERS 32
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
        unsigned long long by_class[6]; /* 1xx..5xx by status / 100 */
        unsigned long long bucket[NBUCKETS];
        unsigned long long count;
        double sum;
} routes[MAX_ROUTES + 1]; /* the last one: unmatched paths */
static struct {
        const char *name;
        long long value;
} counters[MAX_COUNTERS];

void fp_metrics_observe(int route, int status, double seconds)
{
        if (route < 0 || route >= MAX_ROUTES)
                route = MAX_ROUTES;
        int cls = status / 100;
        if (cls < 1 || cls > 5)
                cls = 5;
        pthread_mutex_lock(&mu);
        routes[route].by_class[cls]++;
        routes[route].count++;
        routes[route].sum += seconds;
        for (size_t i = 0; i < NBUCKETS; i++)
                if (seconds <= buckets[i])
                        routes[route].bucket[i]++;
        pthread_mutex_unlock(&mu);
}

void fp_metrics_count(const char *name, long long delta)
{
        pthread_mutex_lock(&mu);
        for (size_t i = 0; i < MAX_COUNTERS; i++) {
                if (!counters[i].name)
                        counters[i].name = name;
                if (counters[i].name == name || !strcmp(counters[i].name, name)) {
                        counters[i].value += delta;
                        break;
                }
        }
        pthread_mutex_unlock(&mu);
}

char *fp_metrics_render(void)
{
        struct fp_buf b;
        fp_buf_init(&b, 4 * 1024 * 1024);
        pthread_mutex_lock(&mu);
        fp_buf_addstr(&b, "# HELP fleetpatchd_requests_total HTTP requests by route and status class.\n"
                          "# TYPE fleetpatchd_requests_total counter\n");
        for (size_t r = 0; r <= MAX_ROUTES; r++) {
                const char *pat = r < fp_route_count ? fp_routes[r].pattern : "unmatched";
                const char *m = r < fp_route_count ? fp_routes[r].method : "";
                if (r >= fp_route_count && r != MAX_ROUTES)
                        continue;
                for (int c = 1; c <= 5; c++)
                        if (routes[r].by_class[c])
                                fp_buf_addf(&b,
                                            "fleetpatchd_requests_total{method=\"%s\",route=\"%s\","
                                            "code=\"%dxx\"} %llu\n",
                                            m, pat, c, routes[r].by_class[c]);
        }
        fp_buf_addstr(&b, "# HELP fleetpatchd_request_seconds Request latency by route.\n"
                          "# TYPE fleetpatchd_request_seconds histogram\n");
        for (size_t r = 0; r < fp_route_count && r < MAX_ROUTES; r++) {
                if (!routes[r].count)
                        continue;
                const char *pat = fp_routes[r].pattern, *m = fp_routes[r].method;
                for (size_t i = 0; i < NBUCKETS; i++)
                        fp_buf_addf(&b,
                                    "fleetpatchd_request_seconds_bucket{method=\"%s\",route=\"%s\","
                                    "le=\"%g\"} %llu\n",
                                    m, pat, buckets[i], routes[r].bucket[i]);
                fp_buf_addf(&b,
                            "fleetpatchd_request_seconds_bucket{method=\"%s\",route=\"%s\","
                            "le=\"+Inf\"} %llu\n",
                            m, pat, routes[r].count);
                fp_buf_addf(&b,
                            "fleetpatchd_request_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
                            "fleetpatchd_request_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
                            m, pat, routes[r].sum, m, pat, routes[r].count);
        }
        for (size_t i = 0; i < MAX_COUNTERS && counters[i].name; i++)
                fp_buf_addf(&b, "# TYPE fleetpatchd_%s counter\nfleetpatchd_%s %lld\n",
                            counters[i].name, counters[i].name, counters[i].value);
        pthread_mutex_unlock(&mu);
        return fp_buf_take(&b);
}
