/*
 * Fuzz the notification templates (src/server/notify.c): fp_notify_tpl_check on any bytes,
 * then, for an accepted template, fp_notify_tpl_render with event data, and the email built
 * from the result as subject and text. Invariants: a refusal says where (a 1-based position
 * inside the template) and why; an accepted template renders; the rendered subject never
 * puts a line break into the message's header block (no header injection).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/limits.h"
#include "server/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fp_diag d;
        fp_diag_clear(&d);
        const char *t = (const char *)data;
        enum fp_err err = fp_notify_tpl_check(t, size, &d);
        if (err != FP_OK) {
                if (!d.msg[0] || (err == FP_EPARSE && (d.line < 1 || d.line > size)))
                        abort();
                return 0;
        }
        char *tpl = malloc(size + 1);
        if (!tpl)
                return 0;
        memcpy(tpl, data, size);
        tpl[size] = 0;
        json_t *facts = json_pack("{s:s, s:i, s:s, s:[s]}", "host", "web-1\r\nBcc: x@y",
                                  "count", 3, "hostname", "h\xc3\xa9", "reasons", "revert");
        struct fp_notify_vars v = {.type = "host.catchup", .account = "acme", .key = "k",
                                   .subject = "S", .created = 86400, .event = 1, .data = facts};
        char *out = fp_notify_tpl_render(tpl, &v);
        if (!out)
                abort();
        const char *to[] = {"ops@example.org"};
        struct fp_notify_email m = {.from = "fp@example.org", .to = to, .n_to = 1,
                                    .subject = out, .text = out, .date = 0,
                                    .message_id = "<1@example.org>", .event_type = "host.catchup"};
        char *msg = fp_notify_email_build(&m);
        if (!msg)
                abort();
        /* The header block ends at the first empty line; each of its lines is a header or a
         * folded continuation (leading space), never text of the subject on its own line. */
        const char *end = strstr(msg, "\r\n\r\n");
        if (!end)
                abort();
        for (const char *p = msg; p < end;) {
                const char *nl = strstr(p, "\r\n");
                if (!nl || nl > end)
                        nl = end;
                if (p != msg && *p != ' ' && !memchr(p, ':', (size_t)(nl - p)))
                        abort();
                for (const char *q = p; q < nl; q++)
                        if (*q == '\r' || *q == '\n')
                                abort();
                p = nl + 2;
        }
        free(msg);
        free(out);
        free(tpl);
        json_decref(facts);
        return 0;
}
