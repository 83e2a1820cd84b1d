/*
 * A minimal test harness: CHECK macros that count and report failures without stopping, and
 * helpers to find the shared oracles. A test program exits 0 (all passed), 1 (a check failed)
 * or 77 (skipped: the shared data directory is missing), as meson expects.
 */
#ifndef FP_TEST_H
#define FP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long fp_test_checks, fp_test_failures;
/* Stop printing after this many failures; the count stays exact. */
#define FP_TEST_MAX_REPORTS 50

#define FP_TEST_FAIL_(...)                                                                         \
        do {                                                                                       \
                fp_test_failures++;                                                                \
                if (fp_test_failures <= FP_TEST_MAX_REPORTS) {                                     \
                        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                }                                                                                  \
        } while (0)

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                fp_test_checks++;                                                                  \
                if (!(cond))                                                                       \
                        FP_TEST_FAIL_("CHECK failed: %s", #cond);                                  \
        } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
        do {                                                                                       \
                fp_test_checks++;                                                                  \
                if (!(cond))                                                                       \
                        FP_TEST_FAIL_(__VA_ARGS__);                                                \
        } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
        do {                                                                                       \
                long long fp_a_ = (long long)(a), fp_b_ = (long long)(b);                          \
                fp_test_checks++;                                                                  \
                if (fp_a_ != fp_b_)                                                                \
                        FP_TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, fp_a_, fp_b_);             \
        } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
        do {                                                                                       \
                const char *fp_a_ = (a), *fp_b_ = (b);                                             \
                fp_test_checks++;                                                                  \
                if (!fp_a_ || !fp_b_ || strcmp(fp_a_, fp_b_) != 0)                                 \
                        FP_TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b,                        \
                                      fp_a_ ? fp_a_ : "(null)", fp_b_ ? fp_b_ : "(null)");         \
        } while (0)

/* Directory of ../shared/data; exits 77 (skip) with a message when it is missing. */
static inline const char *fp_test_shared_data(void)
{
        const char *d = getenv("FP_SHARED_DATA");
        struct stat st;

        if (!d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "SKIP: shared data directory not found (FP_SHARED_DATA=%s)\n",
                        d ? d : "(unset)");
                exit(77);
        }
        return d;
}

/* path = FP_SHARED_DATA/rel, in a static buffer (one at a time). */
static inline const char *fp_test_shared_path(const char *rel)
{
        static char path[4096];
        snprintf(path, sizeof(path), "%s/%s", fp_test_shared_data(), rel);
        return path;
}

/* Directory of the project's own test data (tests/data). */
static inline const char *fp_test_data_path(const char *rel)
{
        static char path[4096];
        const char *root = getenv("FP_SOURCE_ROOT");
        snprintf(path, sizeof(path), "%s/tests/data/%s", root ? root : ".", rel);
        return path;
}

static inline int fp_test_finish(void)
{
        fprintf(stderr, "%lu checks, %lu failed\n", fp_test_checks, fp_test_failures);
        return fp_test_failures ? 1 : 0;
}

#endif
