/* The agent's log: one line per event on stderr (journald adds the time), filtered by level. */
#ifndef FP_AGENT_LOG_H
#define FP_AGENT_LOG_H

enum agent_log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void agent_log_set_level(enum agent_log_level level);
void agent_log(enum agent_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) agent_log(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) agent_log(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) agent_log(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) agent_log(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
