/*
 * Fuzz the replicas' wake signal parser (fp_wake_parse, src/server/wake.c) on arbitrary bytes,
 * as another replica's NOTIFY payload could carry them. Invariants: every id handed out is
 * 1..FP_WAKE_ID_MAX lowercase hex characters and a whole word of the message; the count
 * returned is the number handed out; nothing but "wake " messages yields ids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
        const char *msg;
        size_t n;
};

static void each(void *ctx, const char *id)
{
        struct seen *s = ctx;
        size_t n = strlen(id);
        if (n == 0 || n > FP_WAKE_ID_MAX || strspn(id, "0123456789abcdef") != n)
                abort();
        const char *at = strstr(s->msg + 5, id);
        if (!at)
                abort();
        s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *msg = malloc(size + 1);
        if (!msg)
                return 0;
        memcpy(msg, data, size);
        msg[size] = 0;
        struct seen s = {msg, 0};
        size_t got = fp_wake_parse(msg, each, &s);
        if (got != s.n || (strncmp(msg, "wake ", 5) && got))
                abort();
        free(msg);
        return 0;
}
