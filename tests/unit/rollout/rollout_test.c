/*
 * Rollouts: the spec (good input, each bad input with its path, limits at and past), ring
 * matching, wave assignment (counts, shares rounded up, remainder, skipped empty waves), group
 * limits, and every rule of the tick in small hand-built scenarios with a fake clock and
 * hand-written window occurrences.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/rollout.h"
#include "test.h"

#define T0 1790000000 /* a fake clock: 2026-09-21 */

static enum fp_err parse(const char *json, struct fp_ro_spec *s, struct fp_diag *d)
{
        return fp_ro_spec_parse(json, strlen(json), s, d);
}

/* A refused spec: error code and the path in diag->field. */
static void bad(const char *json, enum fp_err want, const char *field)
{
        struct fp_ro_spec s;
        struct fp_diag d;
        enum fp_err err = parse(json, &s, &d);

        CHECK_MSG(err == want, "%s: got %s, want %s (%s: %s)", json, fp_errname(err),
                  fp_errname(want), d.field, d.msg);
        CHECK_MSG(strcmp(d.field, field) == 0, "%s: field \"%s\", want \"%s\" (%s)", json,
                  d.field, field, d.msg);
        CHECK(d.msg[0] != '\0');
        fp_ro_spec_free(&s);
}

static void roundtrip(const struct fp_ro_spec *s)
{
        char *a = fp_ro_spec_to_json(s);
        struct fp_ro_spec t;
        struct fp_diag d;

        CHECK(a != NULL);
        if (!a)
                return;
        CHECK_MSG(parse(a, &t, &d) == FP_OK, "round trip of %s: %s: %s", a, d.field, d.msg);
        char *b = fp_ro_spec_to_json(&t);
        CHECK_STR_EQ(a, b);
        free(b);
        free(a);
        fp_ro_spec_free(&t);
}

static void test_spec(void)
{
        struct fp_ro_spec s;
        struct fp_diag d;
        const char *doc =
            "{\"rings\": [{\"name\": \"canary\", \"tags\": {\"ring\": \"canary\"}},"
            "             {\"name\": \"production\", \"tags\": {}}],"
            " \"waves\": [\"1\", \"25%\"], \"max_concurrent\": 20, \"max_per_region\": 10,"
            " \"max_per_zone\": 5, \"group_tag\": \"service\", \"max_group_down\": \"34%\","
            " \"bake\": 1800, \"error_budget\": \"2\", \"on_failure\": \"rollback-host\","
            " \"host_time\": 900, \"health_url\": \"https://{hostname}:8443/healthz\","
            " \"catchup\": \"next-window\"}";

        CHECK_INT_EQ(parse(doc, &s, &d), FP_OK);
        CHECK_INT_EQ(s.ring_count, 2);
        CHECK_STR_EQ(s.rings[0].name, "canary");
        CHECK_STR_EQ(s.rings[0].tags_json, "{\"ring\":\"canary\"}");
        CHECK_STR_EQ(s.rings[1].tags_json, "{}");
        CHECK_INT_EQ(s.wave_count, 2);
        CHECK(s.waves[0].value == 1 && !s.waves[0].percent);
        CHECK(s.waves[1].value == 25 && s.waves[1].percent);
        CHECK_INT_EQ(s.max_concurrent, 20);
        CHECK_INT_EQ(s.max_per_region, 10);
        CHECK_INT_EQ(s.max_per_zone, 5);
        CHECK_STR_EQ(s.group_tag, "service");
        CHECK(s.max_group_down.value == 34 && s.max_group_down.percent);
        CHECK_INT_EQ(s.bake, 1800);
        CHECK(s.error_budget.value == 2 && !s.error_budget.percent);
        CHECK_INT_EQ(s.on_failure, FP_RO_FAIL_ROLLBACK_HOST);
        CHECK_INT_EQ(s.host_time, 900);
        CHECK_STR_EQ(s.health_url, "https://{hostname}:8443/healthz");
        CHECK_INT_EQ(s.catchup, FP_RO_CATCHUP_NEXT_WINDOW);
        roundtrip(&s);
        char *j = fp_ro_spec_to_json(&s);
        CHECK_STR_EQ(j, "{\"bake\":1800,\"catchup\":\"next-window\",\"error_budget\":\"2\","
                        "\"group_tag\":\"service\",\"health_url\":\"https://{hostname}:8443/"
                        "healthz\",\"host_time\":900,\"max_concurrent\":20,\"max_group_down\":"
                        "\"34%\",\"max_per_region\":10,\"max_per_zone\":5,\"on_failure\":"
                        "\"rollback-host\",\"rings\":[{\"name\":\"canary\",\"tags\":{\"ring\":"
                        "\"canary\"}},{\"name\":\"production\",\"tags\":{}}],\"waves\":[\"1\","
                        "\"25%\"]}");
        free(j);
        fp_ro_spec_free(&s);

        /* defaults */
        CHECK_INT_EQ(parse("{}", &s, &d), FP_OK);
        CHECK_INT_EQ(s.ring_count, 1);
        CHECK_STR_EQ(s.rings[0].name, "all");
        CHECK_STR_EQ(s.rings[0].tags_json, "{}");
        CHECK_INT_EQ(s.wave_count, 0);
        CHECK_INT_EQ(s.host_time, 900);
        CHECK_INT_EQ(s.on_failure, FP_RO_FAIL_NONE);
        CHECK_INT_EQ(s.catchup, FP_RO_CATCHUP_NEXT_WINDOW);
        CHECK(s.error_budget.value == 0 && !s.error_budget.percent);
        roundtrip(&s);
        fp_ro_spec_free(&s);
        /* integers as amounts, group_tag default max_group_down */
        CHECK_INT_EQ(parse("{\"waves\":[5,\"100%\"],\"error_budget\":3,\"group_tag\":\"svc\","
                           "\"on_failure\":\"rollback-wave\",\"catchup\":\"immediate\"}",
                           &s, &d),
                     FP_OK);
        CHECK(s.waves[0].value == 5 && !s.waves[0].percent);
        CHECK(s.max_group_down.value == 1 && !s.max_group_down.percent);
        CHECK_INT_EQ(s.on_failure, FP_RO_FAIL_ROLLBACK_WAVE);
        CHECK_INT_EQ(s.catchup, FP_RO_CATCHUP_IMMEDIATE);
        roundtrip(&s);
        fp_ro_spec_free(&s);

        /* refusals, each with its path */
        bad("", FP_EPARSE, "rollout");
        bad("[]", FP_EPARSE, "rollout");
        bad("{\"rings\":[],\"x\":1}", FP_EPARSE, "rollout.rings");
        bad("{\"foo\":1}", FP_EPARSE, "rollout.foo");
        bad("{\"bake\":1,\"bake\":2}", FP_EPARSE, "rollout");
        bad("{\"waves\":[\"1\",\"25%\",\"0\"]}", FP_EPARSE, "rollout.waves[2]");
        bad("{\"waves\":[\"1\",\"101%\"]}", FP_EPARSE, "rollout.waves[1]");
        bad("{\"waves\":[\"0%\"]}", FP_EPARSE, "rollout.waves[0]");
        bad("{\"waves\":[\"1x\"]}", FP_EPARSE, "rollout.waves[0]");
        bad("{\"waves\":[\"-1\"]}", FP_EPARSE, "rollout.waves[0]");
        bad("{\"waves\":[\"01\"]}", FP_EPARSE, "rollout.waves[0]");
        bad("{\"waves\":[\"%\"]}", FP_EPARSE, "rollout.waves[0]");
        bad("{\"waves\":[1.5]}", FP_EPARSE, "rollout.waves[0]");
        bad("{\"waves\":[-3]}", FP_EPARSE, "rollout.waves[0]");
        bad("{\"waves\":\"1\"}", FP_EPARSE, "rollout.waves");
        bad("{\"rings\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", FP_EPARSE, "rollout.rings[1].name");
        bad("{\"rings\":[{\"tags\":{}}]}", FP_EPARSE, "rollout.rings[0].name");
        bad("{\"rings\":[{\"name\":\"Big\"}]}", FP_EPARSE, "rollout.rings[0].name");
        bad("{\"rings\":[{\"name\":\"a\",\"tag\":{}}]}", FP_EPARSE, "rollout.rings[0].tag");
        bad("{\"rings\":[{\"name\":\"a\",\"tags\":{\"k\":1}}]}", FP_EPARSE,
            "rollout.rings[0].tags.k");
        bad("{\"rings\":[{\"name\":\"a\",\"tags\":[]}]}", FP_EPARSE, "rollout.rings[0].tags");
        bad("{\"rings\":[\"a\"]}", FP_EPARSE, "rollout.rings[0]");
        bad("{\"max_concurrent\":-1}", FP_EPARSE, "rollout.max_concurrent");
        bad("{\"max_concurrent\":\"5\"}", FP_EPARSE, "rollout.max_concurrent");
        bad("{\"max_per_zone\":1000001}", FP_ELIMIT, "rollout.max_per_zone");
        bad("{\"max_group_down\":\"1\"}", FP_EPARSE, "rollout.max_group_down");
        bad("{\"group_tag\":\"svc\",\"max_group_down\":\"0%\"}", FP_EPARSE,
            "rollout.max_group_down");
        bad("{\"group_tag\":\"a=b\"}", FP_EPARSE, "rollout.group_tag");
        bad("{\"on_failure\":\"explode\"}", FP_EPARSE, "rollout.on_failure");
        bad("{\"catchup\":\"never\"}", FP_EPARSE, "rollout.catchup");
        bad("{\"host_time\":59}", FP_EPARSE, "rollout.host_time");
        bad("{\"host_time\":604801}", FP_ELIMIT, "rollout.host_time");
        bad("{\"bake\":2592001}", FP_ELIMIT, "rollout.bake");
        bad("{\"error_budget\":\"101%\"}", FP_EPARSE, "rollout.error_budget");
        bad("{\"health_url\":\"ftp://x\"}", FP_EPARSE, "rollout.health_url");
        bad("{\"health_url\":\"https://a b\"}", FP_EPARSE, "rollout.health_url");

        /* limits: at the limit and one past */
        char buf[8192];
        strcpy(buf, "{\"rings\":[");
        for (int i = 0; i < FP_RO_MAX_RINGS; i++)
                sprintf(buf + strlen(buf), "%s{\"name\":\"r%d\"}", i ? "," : "", i);
        strcat(buf, "]}");
        CHECK_INT_EQ(parse(buf, &s, &d), FP_OK);
        CHECK_INT_EQ(s.ring_count, FP_RO_MAX_RINGS);
        fp_ro_spec_free(&s);
        buf[strlen(buf) - 2] = '\0';
        strcat(buf, ",{\"name\":\"x\"}]}");
        bad(buf, FP_ELIMIT, "rollout.rings");
        strcpy(buf, "{\"waves\":[");
        for (int i = 0; i < FP_RO_MAX_WAVES; i++)
                strcat(buf, i ? ",\"1\"" : "\"1\"");
        strcat(buf, "]}");
        CHECK_INT_EQ(parse(buf, &s, &d), FP_OK);
        CHECK_INT_EQ(s.wave_count, FP_RO_MAX_WAVES);
        fp_ro_spec_free(&s);
        buf[strlen(buf) - 2] = '\0';
        strcat(buf, ",\"1\"]}");
        bad(buf, FP_ELIMIT, "rollout.waves");
        CHECK_INT_EQ(parse("{\"waves\":[\"1000000\"]}", &s, &d), FP_OK);
        fp_ro_spec_free(&s);
        bad("{\"waves\":[\"1000001\"]}", FP_ELIMIT, "rollout.waves[0]");
        char name[80];
        memset(name, 'a', FP_RO_MAX_NAME);
        name[FP_RO_MAX_NAME] = '\0';
        snprintf(buf, sizeof(buf), "{\"rings\":[{\"name\":\"%s\"}]}", name);
        CHECK_INT_EQ(parse(buf, &s, &d), FP_OK);
        fp_ro_spec_free(&s);
        snprintf(buf, sizeof(buf), "{\"rings\":[{\"name\":\"%sa\"}]}", name);
        bad(buf, FP_ELIMIT, "rollout.rings[0].name");
        char *big = malloc(FP_RO_MAX_SPEC_JSON + 2);
        memset(big, ' ', FP_RO_MAX_SPEC_JSON + 1);
        big[0] = '{';
        big[FP_RO_MAX_SPEC_JSON - 1] = '}';
        CHECK_INT_EQ(fp_ro_spec_parse(big, FP_RO_MAX_SPEC_JSON, &s, &d), FP_OK);
        fp_ro_spec_free(&s);
        big[FP_RO_MAX_SPEC_JSON - 1] = ' ';
        big[FP_RO_MAX_SPEC_JSON] = '}';
        CHECK_INT_EQ(fp_ro_spec_parse(big, FP_RO_MAX_SPEC_JSON + 1, &s, &d), FP_ELIMIT);
        free(big);
        char url[FP_RO_MAX_URL + 8];
        strcpy(url, "https://");
        memset(url + 8, 'h', FP_RO_MAX_URL - 8);
        url[FP_RO_MAX_URL] = '\0';
        snprintf(buf, sizeof(buf), "{\"health_url\":\"%s\"}", url);
        CHECK_INT_EQ(parse(buf, &s, &d), FP_OK);
        fp_ro_spec_free(&s);
        snprintf(buf, sizeof(buf), "{\"health_url\":\"%sh\"}", url);
        bad(buf, FP_ELIMIT, "rollout.health_url");

        /* names */
        enum fp_ro_hstate hs;
        enum fp_ro_status st;
        for (int i = 0; i <= FP_RH_CANCELLED; i++) {
                CHECK(fp_ro_hstate_parse(fp_ro_hstate_name((enum fp_ro_hstate)i), &hs) &&
                      (int)hs == i);
        }
        for (int i = 0; i <= FP_RO_CANCELLED; i++)
                CHECK(fp_ro_status_parse(fp_ro_status_name((enum fp_ro_status)i), &st) &&
                      (int)st == i);
        CHECK_STR_EQ(fp_ro_hstate_name(FP_RH_ROLLING_BACK), "rolling_back");
        CHECK_STR_EQ(fp_ro_status_name(FP_RO_HALTED), "halted");
        CHECK(!fp_ro_status_parse("nope", &st));
        CHECK(!fp_ro_hstate_parse(NULL, &hs));
}

static void test_ring_of(void)
{
        struct fp_ro_spec s;
        struct fp_diag d;

        CHECK_INT_EQ(parse("{\"rings\":[{\"name\":\"canary\",\"tags\":{\"ring\":\"canary\"}},"
                           "{\"name\":\"eu\",\"tags\":{\"env\":\"prod\",\"geo\":\"eu\"}},"
                           "{\"name\":\"prod\",\"tags\":{\"env\":\"prod\"}}]}",
                           &s, &d),
                     FP_OK);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{\"ring\":\"canary\",\"env\":\"prod\"}"), 0);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{\"geo\":\"eu\",\"env\":\"prod\"}"), 1);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{\"env\":\"prod\"}"), 2);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{\"env\":\"dev\"}"), -1);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{}"), -1);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "[1]"), -1);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "nope"), -1);
        CHECK_INT_EQ(fp_ro_ring_of(&s, NULL), -1);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{\"env\":1}"), -1);
        fp_ro_spec_free(&s);
        CHECK_INT_EQ(parse("{}", &s, &d), FP_OK);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{}"), 0);
        CHECK_INT_EQ(fp_ro_ring_of(&s, "{\"a\":\"b\"}"), 0);
        fp_ro_spec_free(&s);
        /* the order key is stable (persisted) and depends on both ids */
        CHECK(fp_ro_order_key("r1", "h1") == fp_ro_order_key("r1", "h1"));
        CHECK(fp_ro_order_key("r1", "h1") != fp_ro_order_key("r2", "h1"));
        CHECK(fp_ro_order_key("r1", "h1") != fp_ro_order_key("r1h", "1"));
        CHECK(fp_ro_order_key("cr1", "host1") == 0x424906897c47f2b5ULL); /* pinned */
}

/* ---- a small harness for tick scenarios ---- */

struct scen {
        struct fp_ro_spec spec;
        struct fp_ro_host hosts[64];
        struct fp_window_occ occ[4][8];
        struct fp_ro_windows win[4];
        uint32_t glimit[8];
        struct fp_rollout ro;
        struct fp_ro_action act[256];
        size_t n;
};

/* n hosts in ring 0 (or by the ring callback), one tz, always-open window unless changed. */
static void scen_init(struct scen *sc, const char *spec_json, size_t nhosts)
{
        struct fp_diag d;

        fp_ro_spec_free(&sc->spec); /* the previous scenario's (calloc'd: zero the first time) */
        memset(sc, 0, sizeof(*sc));
        CHECK_MSG(parse(spec_json, &sc->spec, &d) == FP_OK, "%s: %s: %s", spec_json, d.field,
                  d.msg);
        for (size_t i = 0; i < nhosts; i++) {
                struct fp_ro_host *h = &sc->hosts[i];
                snprintf(h->id, sizeof(h->id), "h%02zu", i);
                h->order = i; /* predictable order for the checks */
                h->region = h->zone = h->group = FP_RO_NONE;
                h->online = true;
        }
        for (int z = 0; z < 4; z++) {
                sc->win[z].occ = sc->occ[z];
                sc->win[z].count = 0;
        }
        sc->ro.spec = &sc->spec;
        sc->ro.hosts = sc->hosts;
        sc->ro.host_count = nhosts;
        sc->ro.windows = NULL; /* no windows unless a scenario sets them */
        sc->ro.window_count = 0;
}

static void scen_free(struct scen *sc)
{
        fp_ro_spec_free(&sc->spec);
        free(sc);
}

static void scen_assign(struct scen *sc)
{
        struct fp_diag d;
        CHECK_MSG(fp_ro_assign(&sc->ro, &d) == FP_OK, "assign: %s: %s", d.field, d.msg);
}

static size_t tick(struct scen *sc, int64_t now)
{
        sc->n = fp_ro_tick(&sc->ro, now, sc->act, 256);
        return sc->n;
}

static size_t count_kind(const struct scen *sc, enum fp_ro_act k)
{
        size_t c = 0;
        for (size_t i = 0; i < sc->n; i++)
                c += sc->act[i].kind == k;
        return c;
}

static size_t count_state(const struct scen *sc, enum fp_ro_hstate st)
{
        size_t c = 0;
        for (size_t i = 0; i < sc->ro.host_count; i++)
                c += sc->hosts[i].state == st;
        return c;
}

static size_t find(const struct scen *sc, const char *id)
{
        for (size_t i = 0; i < sc->ro.host_count; i++)
                if (strcmp(sc->hosts[i].id, id) == 0)
                        return i;
        return SIZE_MAX;
}

/* Finish every RUNNING host (ok) and every ROLLING_BACK host (ok). */
static void finish_all(struct scen *sc, int64_t now)
{
        for (size_t i = 0; i < sc->ro.host_count; i++) {
                if (sc->hosts[i].state == FP_RH_RUNNING)
                        fp_ro_host_finished(&sc->ro, i, true, now);
                else if (sc->hosts[i].state == FP_RH_ROLLING_BACK)
                        fp_ro_host_rolled_back(&sc->ro, i, true, now);
        }
}

static void test_assign(void)
{
        struct scen *sc = calloc(1, sizeof(*sc));
        struct fp_diag d;

        /* 10 hosts, waves "1", "25%": 1, ceil(2.5)=3, remainder 6 */
        scen_init(sc, "{\"waves\":[\"1\",\"25%\"]}", 10);
        scen_assign(sc);
        CHECK_INT_EQ(sc->ro.wave_count, 3);
        uint32_t per[8] = {0};
        for (size_t i = 0; i < 10; i++)
                per[sc->hosts[i].wave]++;
        CHECK_INT_EQ(per[0], 1);
        CHECK_INT_EQ(per[1], 3);
        CHECK_INT_EQ(per[2], 6);
        for (size_t i = 1; i < 10; i++)
                CHECK(sc->hosts[i - 1].wave < sc->hosts[i].wave ||
                      (sc->hosts[i - 1].wave == sc->hosts[i].wave &&
                       sc->hosts[i - 1].order < sc->hosts[i].order));
        CHECK_INT_EQ(sc->ro.status, FP_RO_SCHEDULED);

        /* waves that cover the ring exactly: no remainder wave; empty waves skipped */
        scen_init(sc, "{\"waves\":[\"50%\",\"50%\",\"3\"]}", 4);
        scen_assign(sc);
        CHECK_INT_EQ(sc->ro.wave_count, 2);
        scen_init(sc, "{\"waves\":[\"5\",\"1\"]}", 3); /* 5 cut to 3, then nothing left */
        scen_assign(sc);
        CHECK_INT_EQ(sc->ro.wave_count, 1);
        /* rounding up: 1% and 33% of 3 hosts are 1 host each, 1 left */
        scen_init(sc, "{\"waves\":[\"1%\",\"33%\"]}", 3);
        scen_assign(sc);
        CHECK_INT_EQ(sc->ro.wave_count, 3);
        /* no waves: one wave per ring; rings in order; order inside a ring by key */
        scen_init(sc, "{\"rings\":[{\"name\":\"c\",\"tags\":{\"r\":\"c\"}},{\"name\":\"p\"}],"
                      "\"waves\":[\"1\"]}",
                  6);
        sc->hosts[0].ring = 1;
        sc->hosts[1].ring = 1;
        sc->hosts[2].ring = 0;
        sc->hosts[3].ring = 1;
        sc->hosts[4].ring = 0;
        sc->hosts[5].ring = 1;
        sc->hosts[5].order = 0; /* same key as h00: the id breaks the tie */
        scen_assign(sc);
        CHECK_INT_EQ(sc->ro.wave_count, 4); /* c: 1+1, p: 1+3 */
        CHECK_STR_EQ(sc->hosts[0].id, "h02");
        CHECK_INT_EQ(sc->hosts[0].wave, 0);
        CHECK_STR_EQ(sc->hosts[1].id, "h04");
        CHECK_INT_EQ(sc->hosts[1].wave, 1);
        CHECK_STR_EQ(sc->hosts[2].id, "h00");
        CHECK_INT_EQ(sc->hosts[2].wave, 2);
        CHECK_STR_EQ(sc->hosts[3].id, "h05");
        CHECK_INT_EQ(sc->hosts[3].wave, 3);
        CHECK_INT_EQ(sc->hosts[5].wave, 3);

        /* refusals */
        scen_init(sc, "{}", 0);
        CHECK_INT_EQ(fp_ro_assign(&sc->ro, &d), FP_EINVAL);
        CHECK(strstr(d.msg, "no hosts") != NULL);
        scen_init(sc, "{\"rings\":[{\"name\":\"canary\",\"tags\":{\"r\":\"c\"}},{\"name\":\"p\"}]}",
                  3);
        for (size_t i = 0; i < 3; i++)
                sc->hosts[i].ring = 1;
        CHECK_INT_EQ(fp_ro_assign(&sc->ro, &d), FP_EINVAL);
        CHECK_STR_EQ(d.field, "rollout.rings[0]");
        CHECK(strstr(d.msg, "canary") != NULL);
        /* an empty ring with tags {} is fine (earlier rings took every host) */
        scen_init(sc, "{\"rings\":[{\"name\":\"a\",\"tags\":{\"r\":\"c\"}},{\"name\":\"p\"}]}", 2);
        scen_assign(sc);
        CHECK_INT_EQ(sc->ro.wave_count, 1);
        scen_init(sc, "{}", 2);
        sc->hosts[1].ring = 3;
        CHECK_INT_EQ(fp_ro_assign(&sc->ro, &d), FP_EINVAL);
        CHECK(strstr(d.msg, "h01") != NULL);
        scen_init(sc, "{\"group_tag\":\"svc\"}", 2);
        sc->ro.group_limit = sc->glimit;
        sc->ro.group_count = 1;
        sc->hosts[0].group = 0;
        sc->glimit[0] = 0;
        CHECK_INT_EQ(fp_ro_assign(&sc->ro, &d), FP_EINVAL);
        scen_init(sc, "{}", 2);
        sc->hosts[0].region = 5;
        CHECK_INT_EQ(fp_ro_assign(&sc->ro, &d), FP_EINVAL);
        scen_free(sc);
}

static void test_group_limits(void)
{
        struct fp_ro_spec s;
        struct fp_diag d;
        uint32_t size[4] = {3, 10, 1, 0}, lim[4];

        CHECK_INT_EQ(parse("{\"group_tag\":\"svc\",\"max_group_down\":\"34%\"}", &s, &d), FP_OK);
        CHECK_INT_EQ(fp_ro_group_limits(&s, size, 2, lim, &d), FP_OK);
        CHECK_INT_EQ(lim[0], 1); /* floor(1.02) */
        CHECK_INT_EQ(lim[1], 3); /* floor(3.4) */
        CHECK_INT_EQ(fp_ro_group_limits(&s, size, 3, lim, &d), FP_EINVAL); /* 34% of 1 = 0 */
        CHECK_STR_EQ(d.field, "rollout.max_group_down");
        CHECK(strstr(d.msg, "group 2") != NULL);
        size[2] = 3;
        CHECK_INT_EQ(fp_ro_group_limits(&s, size, 4, lim, &d), FP_OK); /* empty group: fine */
        fp_ro_spec_free(&s);
        CHECK_INT_EQ(parse("{\"group_tag\":\"svc\",\"max_group_down\":\"2\"}", &s, &d), FP_OK);
        CHECK_INT_EQ(fp_ro_group_limits(&s, size, 3, lim, &d), FP_OK);
        CHECK_INT_EQ(lim[0], 2);
        CHECK_INT_EQ(lim[1], 2);
        fp_ro_spec_free(&s);
        CHECK_INT_EQ(parse("{}", &s, &d), FP_OK);
        CHECK_INT_EQ(fp_ro_group_limits(&s, size, 3, lim, &d), FP_OK);
        CHECK(lim[0] == UINT32_MAX);
        fp_ro_spec_free(&s);
}

static void test_tick_basic(void)
{
        struct scen *sc = calloc(1, sizeof(*sc));

        /* windows: tz 0 open [T0+100, T0+1000) cutoff at T0+700, and [T0+5000, T0+6000) */
        scen_init(sc, "{\"waves\":[\"2\"],\"max_concurrent\":3,\"bake\":600}", 6);
        sc->occ[0][0] = (struct fp_window_occ){T0 + 100, T0 + 700, T0 + 1000};
        sc->occ[0][1] = (struct fp_window_occ){T0 + 5000, T0 + 5700, T0 + 6000};
        sc->win[0].count = 2;
        sc->ro.windows = sc->win;
        sc->ro.window_count = 1;
        scen_assign(sc);
        CHECK_INT_EQ(sc->ro.wave_count, 2);

        /* before the window: SCHEDULED -> RUNNING, nothing starts */
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0), T0);
        CHECK_INT_EQ(tick(sc, T0), 0);
        CHECK_INT_EQ(sc->ro.status, FP_RO_RUNNING);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0), T0 + 100);
        /* inside: wave 0 (2 hosts) starts, until = the cutoff */
        CHECK_INT_EQ(tick(sc, T0 + 100), 2);
        CHECK(sc->act[0].kind == FP_RA_START && sc->act[0].until == T0 + 700 &&
              sc->act[0].host == 0 && sc->act[0].wave == 0);
        CHECK_INT_EQ(sc->hosts[0].state, FP_RH_RUNNING);
        CHECK_INT_EQ(sc->hosts[0].started, T0 + 100);
        CHECK_INT_EQ(sc->hosts[0].start_until, T0 + 700);
        CHECK_INT_EQ(sc->hosts[0].attempts, 1);
        CHECK_INT_EQ(sc->ro.started_total, 2);
        /* a second tick starts nothing more (wave 1 waits) */
        CHECK_INT_EQ(tick(sc, T0 + 101), 0);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 101), INT64_MAX); /* waits on outcomes */
        fp_ro_host_finished(&sc->ro, 0, true, T0 + 200);
        CHECK_INT_EQ(tick(sc, T0 + 200), 0);
        fp_ro_host_finished(&sc->ro, 1, true, T0 + 300);
        /* wave 0 complete: WAVE, then bake 600 holds wave 1 */
        CHECK_INT_EQ(tick(sc, T0 + 300), 1);
        CHECK(sc->act[0].kind == FP_RA_WAVE && sc->act[0].wave == 0);
        CHECK_INT_EQ(sc->ro.wave, 1);
        CHECK_INT_EQ(sc->ro.wave_done_at, T0 + 300);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 300), T0 + 900);
        CHECK_INT_EQ(tick(sc, T0 + 899), 0);
        /* the bake ends after the cutoff (T0+700): the next occurrence */
        CHECK_INT_EQ(tick(sc, T0 + 900), 0);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 900), T0 + 5000);
        /* max_concurrent 3 of the 4 hosts of wave 1 */
        CHECK_INT_EQ(tick(sc, T0 + 5000), 3);
        CHECK_INT_EQ(count_state(sc, FP_RH_RUNNING), 3);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 5000), T0 + 5700); /* the cutoff */
        fp_ro_host_finished(&sc->ro, 2, true, T0 + 5100);
        CHECK_INT_EQ(tick(sc, T0 + 5100), 1);
        CHECK_INT_EQ(sc->act[0].host, 5);
        /* after the cutoff nothing starts */
        finish_all(sc, T0 + 5800);
        CHECK_INT_EQ(tick(sc, T0 + 5800), 2);
        CHECK(sc->act[0].kind == FP_RA_WAVE && sc->act[0].wave == 1);
        CHECK(sc->act[1].kind == FP_RA_FINISH);
        CHECK_INT_EQ(sc->ro.status, FP_RO_DONE);
        CHECK_INT_EQ(sc->ro.wave, 2);
        CHECK_INT_EQ(tick(sc, T0 + 9999), 0);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 9999), INT64_MAX);
        scen_free(sc);
}

static void test_tick_limits(void)
{
        struct scen *sc = calloc(1, sizeof(*sc));

        /* 12 hosts: regions 0/1 alternate, zones i%3, groups i%4 with limit 2 (group 3: 1) */
        scen_init(sc, "{\"max_per_region\":4,\"max_per_zone\":3,\"group_tag\":\"svc\"}", 12);
        sc->ro.region_count = 2;
        sc->ro.zone_count = 3;
        sc->ro.group_count = 4;
        sc->glimit[0] = sc->glimit[1] = sc->glimit[2] = 2;
        sc->glimit[3] = 1;
        sc->ro.group_limit = sc->glimit;
        for (size_t i = 0; i < 12; i++) {
                sc->hosts[i].region = (uint32_t)(i % 2);
                sc->hosts[i].zone = (uint32_t)(i % 3);
                sc->hosts[i].group = (uint32_t)(i % 4);
        }
        scen_assign(sc);
        tick(sc, T0);
        /* check the limits on what started */
        uint32_t reg[2] = {0}, zone[3] = {0}, grp[4] = {0};
        for (size_t i = 0; i < 12; i++)
                if (sc->hosts[i].state == FP_RH_RUNNING) {
                        reg[sc->hosts[i].region]++;
                        zone[sc->hosts[i].zone]++;
                        grp[sc->hosts[i].group]++;
                }
        for (int r = 0; r < 2; r++)
                CHECK(reg[r] <= 4);
        for (int z = 0; z < 3; z++)
                CHECK(zone[z] <= 3);
        for (int g = 0; g < 4; g++)
                CHECK(grp[g] <= sc->glimit[g]);
        /* greedy in order: h0(r0 z0 g0) h1(r1 z1 g1) h2(r0 z2 g2) h3(r1 z0 g3) h4(r0 z1 g0)
         * h5(r1 z2 g1) h6(r0 z0 g2) h7(r1 z1 g3: group 3 full) h8(r0 z2 g0 full) ... */
        CHECK_INT_EQ(sc->n, 7);
        CHECK_INT_EQ(grp[3], 1);
        /* a ROLLING_BACK host counts against the limits too */
        sc->spec.on_failure = FP_RO_FAIL_ROLLBACK_HOST;
        sc->spec.error_budget.value = 100;
        size_t h3 = find(sc, "h03");
        fp_ro_host_finished(&sc->ro, h3, false, T0 + 10);
        CHECK_INT_EQ(tick(sc, T0 + 10), 1);
        CHECK(sc->act[0].kind == FP_RA_ROLLBACK && sc->act[0].host == h3);
        CHECK_INT_EQ(count_kind(sc, FP_RA_START), 0); /* h3 still holds group 3 */
        CHECK_INT_EQ(tick(sc, T0 + 11), 0);          /* exactly once */
        fp_ro_host_rolled_back(&sc->ro, h3, true, T0 + 20);
        CHECK_INT_EQ(sc->hosts[h3].state, FP_RH_ROLLED_BACK);
        CHECK_INT_EQ(tick(sc, T0 + 20), 1); /* h7 (group 3) may start now */
        CHECK_INT_EQ(sc->act[0].host, find(sc, "h07"));

        /* max_concurrent + max actions: nothing lost when out is small */
        scen_init(sc, "{\"max_concurrent\":5}", 12);
        scen_assign(sc);
        CHECK_INT_EQ(fp_ro_tick(&sc->ro, T0, sc->act, 2), 2);
        CHECK_INT_EQ(count_state(sc, FP_RH_RUNNING), 2);
        CHECK_INT_EQ(fp_ro_tick(&sc->ro, T0, sc->act, 2), 2);
        CHECK_INT_EQ(fp_ro_tick(&sc->ro, T0, sc->act, 2), 1);
        CHECK_INT_EQ(count_state(sc, FP_RH_RUNNING), 5);
        CHECK_INT_EQ(fp_ro_tick(&sc->ro, T0, sc->act, 0), 0);
        scen_free(sc);
}

static void test_tick_budget(void)
{
        struct scen *sc = calloc(1, sizeof(*sc));

        /* budget "1": the second failure halts; running ones finish; resume continues */
        scen_init(sc, "{\"error_budget\":\"1\",\"max_concurrent\":3}", 8);
        scen_assign(sc);
        tick(sc, T0);
        CHECK_INT_EQ(sc->n, 3);
        fp_ro_host_finished(&sc->ro, 0, false, T0 + 1);
        CHECK_INT_EQ(tick(sc, T0 + 1), 1); /* within budget: a replacement starts */
        CHECK_INT_EQ(sc->act[0].kind, FP_RA_START);
        fp_ro_host_finished(&sc->ro, 1, false, T0 + 2);
        CHECK_INT_EQ(tick(sc, T0 + 2), 1);
        CHECK_INT_EQ(sc->act[0].kind, FP_RA_HALT);
        CHECK_INT_EQ(sc->ro.status, FP_RO_HALTED);
        CHECK_INT_EQ(tick(sc, T0 + 3), 0);
        finish_all(sc, T0 + 4);
        CHECK_INT_EQ(tick(sc, T0 + 4), 0); /* halted: no start, no finish */
        CHECK_INT_EQ(count_state(sc, FP_RH_PENDING), 4);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 4), INT64_MAX);
        fp_ro_resume(&sc->ro, T0 + 5);
        CHECK_INT_EQ(sc->ro.failures, 0);
        CHECK_INT_EQ(sc->ro.status, FP_RO_RUNNING);
        CHECK_INT_EQ(tick(sc, T0 + 5), 3);
        finish_all(sc, T0 + 6);
        tick(sc, T0 + 6);
        finish_all(sc, T0 + 7);
        tick(sc, T0 + 7);
        CHECK_INT_EQ(sc->ro.status, FP_RO_FAILED); /* two hosts failed, never rolled back */
        CHECK_INT_EQ(count_kind(sc, FP_RA_FINISH), 1);

        /* percent budget: 50% of the hosts started (rounded up) */
        scen_init(sc, "{\"error_budget\":\"50%\",\"max_concurrent\":2}", 8);
        scen_assign(sc);
        tick(sc, T0); /* 2 started: budget 1 */
        fp_ro_host_finished(&sc->ro, 0, false, T0 + 1);
        CHECK_INT_EQ(tick(sc, T0 + 1), 1);
        CHECK_INT_EQ(sc->act[0].kind, FP_RA_START); /* 1 > 2 (ceil(50% of 3))? no */
        fp_ro_host_finished(&sc->ro, 1, false, T0 + 2);
        fp_ro_host_finished(&sc->ro, 2, false, T0 + 2);
        CHECK_INT_EQ(tick(sc, T0 + 2), 1); /* 3 > ceil(1.5) = 2 */
        CHECK_INT_EQ(sc->act[0].kind, FP_RA_HALT);

        /* pause stops starting; resume continues; cancel ends */
        scen_init(sc, "{\"max_concurrent\":2}", 4);
        scen_assign(sc);
        tick(sc, T0);
        fp_ro_pause(&sc->ro);
        finish_all(sc, T0 + 1);
        CHECK_INT_EQ(tick(sc, T0 + 1), 0);
        CHECK_INT_EQ(sc->ro.status, FP_RO_PAUSED);
        fp_ro_resume(&sc->ro, T0 + 2);
        CHECK_INT_EQ(tick(sc, T0 + 2), 2);
        fp_ro_cancel(&sc->ro);
        CHECK_INT_EQ(sc->ro.status, FP_RO_CANCELLED);
        CHECK_INT_EQ(tick(sc, T0 + 3), 0);
        CHECK_INT_EQ(count_state(sc, FP_RH_RUNNING), 2); /* running ones finish */
        fp_ro_host_finished(&sc->ro, 2, true, T0 + 4);
        CHECK_INT_EQ(sc->hosts[2].state, FP_RH_SUCCEEDED);
        scen_free(sc);
}

static void test_tick_rollbacks(void)
{
        struct scen *sc = calloc(1, sizeof(*sc));

        /* rollback-wave: one failure in wave 0 rolls back every host of wave 0 that changed */
        scen_init(sc, "{\"waves\":[\"3\"],\"on_failure\":\"rollback-wave\",\"error_budget\":\"5\"}",
                  5);
        scen_assign(sc);
        tick(sc, T0);
        CHECK_INT_EQ(sc->n, 3);
        fp_ro_host_finished(&sc->ro, 0, true, T0 + 1);
        fp_ro_host_finished(&sc->ro, 1, false, T0 + 1);
        CHECK_INT_EQ(tick(sc, T0 + 1), 2);
        CHECK(sc->act[0].kind == FP_RA_ROLLBACK && sc->act[0].host == 0);
        CHECK(sc->act[1].kind == FP_RA_ROLLBACK && sc->act[1].host == 1);
        /* host 2 succeeds later: rolled back too */
        fp_ro_host_finished(&sc->ro, 2, true, T0 + 2);
        CHECK_INT_EQ(tick(sc, T0 + 2), 1);
        CHECK(sc->act[0].kind == FP_RA_ROLLBACK && sc->act[0].host == 2);
        fp_ro_host_rolled_back(&sc->ro, 0, true, T0 + 3);
        fp_ro_host_rolled_back(&sc->ro, 1, true, T0 + 3);
        fp_ro_host_rolled_back(&sc->ro, 2, false, T0 + 3); /* its rollback failed */
        CHECK_INT_EQ(tick(sc, T0 + 3), 3); /* WAVE + the 2 hosts of wave 1 */
        CHECK_INT_EQ(count_kind(sc, FP_RA_ROLLBACK), 0); /* never a second rollback */
        CHECK_INT_EQ(sc->act[0].kind, FP_RA_WAVE);
        finish_all(sc, T0 + 4);
        tick(sc, T0 + 4);
        CHECK_INT_EQ(sc->ro.status, FP_RO_FAILED);

        /* rollback-host: every failed host rolled back -> ROLLED_BACK */
        scen_init(sc, "{\"on_failure\":\"rollback-host\",\"error_budget\":\"5\"}", 3);
        scen_assign(sc);
        tick(sc, T0);
        fp_ro_host_finished(&sc->ro, 0, false, T0 + 1);
        fp_ro_host_finished(&sc->ro, 1, true, T0 + 1);
        fp_ro_host_finished(&sc->ro, 2, true, T0 + 1);
        CHECK_INT_EQ(tick(sc, T0 + 1), 1);
        CHECK_INT_EQ(sc->act[0].kind, FP_RA_ROLLBACK);
        CHECK_INT_EQ(sc->hosts[0].rollbacks, 1);
        fp_ro_host_rolled_back(&sc->ro, 0, true, T0 + 2);
        CHECK_INT_EQ(tick(sc, T0 + 2), 2);
        CHECK_INT_EQ(sc->act[1].kind, FP_RA_FINISH);
        CHECK_INT_EQ(sc->ro.status, FP_RO_ROLLED_BACK);

        /* none: the failure stays */
        scen_init(sc, "{\"error_budget\":\"5\"}", 2);
        scen_assign(sc);
        tick(sc, T0);
        fp_ro_host_finished(&sc->ro, 0, false, T0 + 1);
        fp_ro_host_finished(&sc->ro, 1, true, T0 + 1);
        CHECK_INT_EQ(tick(sc, T0 + 1), 2);
        CHECK_INT_EQ(count_kind(sc, FP_RA_ROLLBACK), 0);
        CHECK_INT_EQ(sc->ro.status, FP_RO_FAILED);
        scen_free(sc);
}

static void test_tick_deferred(void)
{
        struct scen *sc = calloc(1, sizeof(*sc));

        for (int pol = 0; pol < 2; pol++) {
                scen_init(sc, pol ? "{\"waves\":[\"2\"],\"catchup\":\"immediate\"}"
                                  : "{\"waves\":[\"2\"],\"catchup\":\"next-window\"}",
                          4);
                sc->occ[0][0] = (struct fp_window_occ){T0, T0 + 500, T0 + 600};
                sc->occ[0][1] = (struct fp_window_occ){T0 + 1000, T0 + 1500, T0 + 1600};
                sc->win[0].count = 2;
                sc->ro.windows = sc->win;
                sc->ro.window_count = 1;
                scen_assign(sc);
                sc->hosts[1].online = false; /* offline during wave 0 */
                CHECK_INT_EQ(tick(sc, T0), 1);
                CHECK_INT_EQ(sc->hosts[1].state, FP_RH_DEFERRED);
                fp_ro_host_finished(&sc->ro, 0, true, T0 + 10);
                /* the deferred host does not hold the wave */
                CHECK_INT_EQ(tick(sc, T0 + 10), 3);
                CHECK_INT_EQ(sc->act[0].kind, FP_RA_WAVE);
                finish_all(sc, T0 + 20);
                CHECK_INT_EQ(tick(sc, T0 + 20), 1); /* WAVE 1; not finished: one deferred */
                CHECK_INT_EQ(sc->act[0].kind, FP_RA_WAVE);
                CHECK(sc->ro.status == FP_RO_RUNNING);
                /* it comes back after the cutoff */
                sc->hosts[1].online = true;
                tick(sc, T0 + 700);
                if (pol) {
                        CHECK_INT_EQ(sc->n, 1);
                        CHECK(sc->act[0].kind == FP_RA_START && sc->act[0].host == 1 &&
                              sc->act[0].until == INT64_MAX);
                } else {
                        CHECK_INT_EQ(sc->n, 0);
                        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 700), T0 + 1000);
                        CHECK_INT_EQ(tick(sc, T0 + 1000), 1);
                        CHECK(sc->act[0].kind == FP_RA_START && sc->act[0].host == 1 &&
                              sc->act[0].until == T0 + 1500);
                }
                CHECK_INT_EQ(sc->hosts[1].attempts, 1);
                fp_ro_host_finished(&sc->ro, 1, true, T0 + 1100);
                CHECK_INT_EQ(tick(sc, T0 + 1100), 1);
                CHECK_INT_EQ(sc->ro.status, FP_RO_DONE);
        }

        /* withdrawn at the cutoff: back to PENDING, started again in the next window */
        scen_init(sc, "{}", 1);
        sc->occ[0][0] = (struct fp_window_occ){T0, T0 + 500, T0 + 600};
        sc->occ[0][1] = (struct fp_window_occ){T0 + 1000, T0 + 1500, T0 + 1600};
        sc->win[0].count = 2;
        sc->ro.windows = sc->win;
        sc->ro.window_count = 1;
        scen_assign(sc);
        CHECK_INT_EQ(tick(sc, T0 + 400), 1);
        fp_ro_host_withdrawn(&sc->ro, 0, T0 + 500);
        CHECK_INT_EQ(sc->hosts[0].state, FP_RH_PENDING);
        CHECK_INT_EQ(sc->ro.started_total, 0);
        CHECK_INT_EQ(tick(sc, T0 + 500), 0);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0 + 500), T0 + 1000);
        CHECK_INT_EQ(tick(sc, T0 + 1000), 1);
        CHECK_INT_EQ(sc->hosts[0].attempts, 2);
        /* a tz without occurrences never opens */
        scen_init(sc, "{}", 1);
        sc->ro.windows = sc->win;
        sc->ro.window_count = 1;
        scen_assign(sc);
        CHECK_INT_EQ(tick(sc, T0), 0);
        CHECK_INT_EQ(fp_ro_next_event(&sc->ro, T0), INT64_MAX);
        scen_free(sc);
}

static void test_plan(void)
{
        struct scen *sc = calloc(1, sizeof(*sc));
        struct fp_diag d;
        int64_t planned[64];

        /* 2 tz: tz1 opens 1000 s later; waves "2"; max_concurrent 2; host_time 900; bake 100 */
        scen_init(sc, "{\"waves\":[\"2\"],\"max_concurrent\":2,\"bake\":100,\"host_time\":900}",
                  6);
        for (int z = 0; z < 2; z++) {
                sc->occ[z][0] = (struct fp_window_occ){T0 + z * 1000, T0 + z * 1000 + 5000,
                                                       T0 + z * 1000 + 6000};
                sc->win[z].count = 1;
        }
        sc->ro.windows = sc->win;
        sc->ro.window_count = 2;
        for (size_t i = 0; i < 6; i++)
                sc->hosts[i].tz = (uint32_t)(i % 2);
        scen_assign(sc);
        CHECK_INT_EQ(fp_ro_plan(&sc->ro, T0, T0 + 86400, planned, &d), FP_OK);
        /* wave 0: h0 (tz0) at T0, h1 (tz1) at T0+1000; done at T0+1900; bake -> T0+2000;
         * wave 1 (h2..h5): 2 at T0+2000, 2 at T0+2900 (cutoff T0+5000/6000 fine) */
        CHECK_INT_EQ(planned[0], T0);
        CHECK_INT_EQ(planned[1], T0 + 1000);
        CHECK_INT_EQ(planned[2], T0 + 2000);
        CHECK_INT_EQ(planned[3], T0 + 2000);
        CHECK_INT_EQ(planned[4], T0 + 2900);
        CHECK_INT_EQ(planned[5], T0 + 2900);
        CHECK_INT_EQ(sc->ro.status, FP_RO_SCHEDULED); /* ro untouched */
        CHECK_INT_EQ(sc->hosts[0].state, FP_RH_PENDING);
        /* a horizon cuts it */
        CHECK_INT_EQ(fp_ro_plan(&sc->ro, T0, T0 + 2500, planned, &d), FP_OK);
        CHECK_INT_EQ(planned[3], T0 + 2000);
        CHECK_INT_EQ(planned[4], 0);
        CHECK_INT_EQ(fp_ro_plan(&sc->ro, T0 + 1, T0, planned, &d), FP_EINVAL);
        /* the plan of a running rollout keeps what already started */
        tick(sc, T0 + 10);
        CHECK_INT_EQ(fp_ro_plan(&sc->ro, T0 + 20, T0 + 86400, planned, &d), FP_OK);
        CHECK_INT_EQ(planned[0], T0 + 10);
        CHECK_INT_EQ(planned[1], T0 + 1000);
        CHECK_INT_EQ(planned[2], T0 + 2000);
        scen_free(sc);
}

int main(void)
{
        test_spec();
        test_ring_of();
        test_assign();
        test_group_limits();
        test_tick_basic();
        test_tick_limits();
        test_tick_budget();
        test_tick_rollbacks();
        test_tick_deferred();
        test_plan();
        return fp_test_finish();
}
