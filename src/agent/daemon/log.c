/* The agent's log (log.h). */
#include <stdarg.h>
#include <stdio.h>

#include "agent/daemon/log.h"

static enum agent_log_level current = LOG_LVL_INFO;

void agent_log_set_level(enum agent_log_level level)
{
        current = level;
}

void agent_log(enum agent_log_level level, const char *fmt, ...)
{
        static const char *const names[] = {"error", "warning", "info", "debug"};
        char line[2048];
        va_list ap;

        if (level > current)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* one write per line, so lines of concurrent writers never interleave */
        fprintf(stderr, "fleetpatch-agent: %s: %s\n", names[level], line);
}
