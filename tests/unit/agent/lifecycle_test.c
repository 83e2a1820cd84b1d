/*
 * Lifecycle events as pure functions over samples made here (no clock is waited on), the
 * event list's bound, and the state files in a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/lifecycle.h"
#include "agent/daemon/state.h"
#include "test.h"

#define S 1000000000LL

static struct lc_sample sample(const char *boot, int64_t real, int64_t boottime, int64_t mono,
                               uint64_t gen)
{
        struct lc_sample s;
        memset(&s, 0, sizeof(s));
        snprintf(s.boot_id, sizeof(s.boot_id), "%s", boot);
        s.realtime_ns = real * S;
        s.boottime_ns = boottime * S;
        s.monotonic_ns = mono * S;
        s.generation = gen;
        return s;
}

static void test_compute(void)
{
        struct lc_events e;
        struct lc_sample prev = sample("b1", 1700000000, 1000, 1000, 5);

        /* a normal interval: nothing */
        struct lc_sample now = sample("b1", 1700000300, 1300, 1300, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&prev, &now, 300, 5, &e);
        CHECK_INT_EQ(e.count, 0);

        /* slept 2 h: boottime ran on, monotonic did not */
        now = sample("b1", 1700007500, 8500, 1300, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&prev, &now, 300, 5, &e);
        CHECK_INT_EQ(e.count, 1);
        CHECK_INT_EQ(e.ev[0].kind, LC_SUSPEND);
        CHECK_INT_EQ(e.ev[0].at, 1700007500);
        CHECK(strstr(e.ev[0].detail, "suspended 7200 s") != NULL);

        /* a nap shorter than the interval is not reported */
        now = sample("b1", 1700000400, 1400, 1300, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&prev, &now, 300, 5, &e);
        CHECK_INT_EQ(e.count, 0);

        /* the wall clock jumped a day ahead of the boot clock */
        now = sample("b1", 1700086700, 1300, 1300, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&prev, &now, 300, 5, &e);
        CHECK_INT_EQ(e.count, 1);
        CHECK_INT_EQ(e.ev[0].kind, LC_SUSPEND);
        CHECK(strstr(e.ev[0].detail, "wall clock jumped +86400 s") != NULL);
        /* and back */
        now = sample("b1", 1699990000, 1300, 1300, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&prev, &now, 300, 5, &e);
        CHECK_INT_EQ(e.count, 1);
        CHECK(strstr(e.ev[0].detail, "jumped -10300 s") != NULL);

        /* reboot: at the new boot's start; no clock comparison across boots */
        now = sample("b2", 1700009000, 60, 50, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&prev, &now, 300, 5, &e);
        CHECK_INT_EQ(e.count, 1);
        CHECK_INT_EQ(e.ev[0].kind, LC_REBOOT);
        CHECK_INT_EQ(e.ev[0].at, 1700009000 - 60);
        CHECK_STR_EQ(e.ev[0].detail, "boot id b1 -> b2");

        /* unknown boot ids: a boot clock that went back */
        struct lc_sample p2 = sample("", 1700000000, 1000, 1000, 5);
        now = sample("", 1700009000, 60, 50, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&p2, &now, 300, 5, &e);
        CHECK_INT_EQ(e.count, 1);
        CHECK_INT_EQ(e.ev[0].kind, LC_REBOOT);

        /* revert: the disk holds an older generation than this agent wrote */
        now = sample("b1", 1700000300, 1300, 1300, 0);
        memset(&e, 0, sizeof(e));
        lc_compute(&prev, &now, 300, 9, &e);
        CHECK_INT_EQ(e.count, 1);
        CHECK_INT_EQ(e.ev[0].kind, LC_REVERT);
        CHECK(strstr(e.ev[0].detail, "generation 5 on disk, this agent wrote 9") != NULL);
        memset(&e, 0, sizeof(e));
        lc_compute(NULL, &now, 300, 9, &e);
        CHECK_INT_EQ(e.count, 1);
        CHECK_INT_EQ(e.ev[0].kind, LC_REVERT);
        /* the first sample ever: nothing to compare */
        memset(&e, 0, sizeof(e));
        lc_compute(NULL, &now, 300, 0, &e);
        CHECK_INT_EQ(e.count, 0);
}

static void test_bound_and_json(void)
{
        struct lc_events e;
        memset(&e, 0, sizeof(e));
        for (int i = 0; i < FP_MAX_LIFECYCLE_EVENTS + 3; i++)
                lc_add(&e, LC_RESTART, 1000 + i, "start %d", i);
        CHECK_INT_EQ(e.count, FP_MAX_LIFECYCLE_EVENTS);
        CHECK_INT_EQ(e.dropped, 3);
        CHECK_INT_EQ(e.ev[0].at, 1003); /* the oldest went */
        CHECK_STR_EQ(e.ev[FP_MAX_LIFECYCLE_EVENTS - 1].detail, "start 18");

        memset(&e, 0, sizeof(e));
        lc_add(&e, LC_REBOOT, 42, "boot id a -> b");
        lc_add(&e, LC_REVERT, 43, "quote \" and newline\n");
        json_t *j = lc_events_json(&e);
        char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        CHECK_STR_EQ(s,
                     "{\"events\":[{\"at\":42,\"detail\":\"boot id a -> b\",\"kind\":\"reboot\"},"
                     "{\"at\":43,\"detail\":\"quote \\\" and newline\\n\",\"kind\":\"revert\"}]}");
        free(s);
        json_decref(j);
        enum lc_kind k;
        CHECK(lc_kind_parse("suspend", &k) && k == LC_SUSPEND);
        CHECK(!lc_kind_parse("nap", &k));
}

static void test_state(void)
{
        char dir[] = "/tmp/fp-lifecycle-XXXXXX";
        struct fp_diag d;
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                exit(1);
        }
        struct lc_sample s, back;
        CHECK_INT_EQ(lc_sample_load(dir, &back, &d), FP_ENOENT);
        s = sample("0b8c5a3e-6f5e-4a53-9f0e-1f4a0c2d7e11", 1700000000, 1000, 900, 7);
        s.realtime_ns += 123;
        CHECK_INT_EQ(lc_sample_save(dir, &s, &d), FP_OK);
        CHECK_INT_EQ(lc_sample_load(dir, &back, &d), FP_OK);
        CHECK(memcmp(&s, &back, sizeof(s)) == 0);
        s.boot_id[0] = '\0';
        CHECK_INT_EQ(lc_sample_save(dir, &s, &d), FP_OK);
        CHECK_INT_EQ(lc_sample_load(dir, &back, &d), FP_OK);
        CHECK_STR_EQ(back.boot_id, "");
        CHECK_INT_EQ(state_write(dir, "lifecycle", "garbage", &d), FP_OK);
        CHECK_INT_EQ(lc_sample_load(dir, &back, &d), FP_ECORRUPT);
        CHECK_INT_EQ(state_write(dir, "lifecycle", "b 1 2 3 4 extra", &d), FP_OK);
        CHECK_INT_EQ(lc_sample_load(dir, &back, &d), FP_ECORRUPT);

        /* pending events survive until acknowledged, then only the unsent ones stay */
        struct lc_events e, got;
        CHECK_INT_EQ(lc_events_load(dir, &got, &d), FP_OK);
        CHECK_INT_EQ(got.count, 0);
        memset(&e, 0, sizeof(e));
        lc_add(&e, LC_RESTART, 10, "agent started");
        lc_add(&e, LC_REBOOT, 11, "boot id a -> b");
        lc_add(&e, LC_SUSPEND, 12, "suspended 900 s");
        CHECK_INT_EQ(lc_events_save(dir, &e, &d), FP_OK);
        CHECK_INT_EQ(lc_events_load(dir, &got, &d), FP_OK);
        CHECK_INT_EQ(got.count, 3);
        CHECK_INT_EQ(got.ev[1].kind, LC_REBOOT);
        CHECK_INT_EQ(got.ev[1].at, 11);
        CHECK_STR_EQ(got.ev[2].detail, "suspended 900 s");
        CHECK_INT_EQ(lc_events_ack(dir, 2, &d), FP_OK);
        CHECK_INT_EQ(lc_events_load(dir, &got, &d), FP_OK);
        CHECK_INT_EQ(got.count, 1);
        CHECK_INT_EQ(got.ev[0].kind, LC_SUSPEND);
        CHECK_INT_EQ(lc_events_ack(dir, 1, &d), FP_OK);
        CHECK_INT_EQ(lc_events_load(dir, &got, &d), FP_OK);
        CHECK_INT_EQ(got.count, 0);
        CHECK_INT_EQ(state_write(dir, "lifecycle-events", "[1,2]", &d), FP_OK);
        CHECK_INT_EQ(lc_events_load(dir, &got, &d), FP_ECORRUPT);

        /* now: the clocks are read and ordered as the kernel keeps them */
        lc_sample_now(&s, "x");
        CHECK_STR_EQ(s.boot_id, "x");
        CHECK(s.boottime_ns >= s.monotonic_ns);
        CHECK(s.realtime_ns > 0);

        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void)
{
        test_compute();
        test_bound_and_json();
        test_state();
        return fp_test_finish();
}
