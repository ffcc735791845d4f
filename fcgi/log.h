/* log.h - leveled log lines on stderr (journald under systemd): "LEVEL [pid] message". */
#ifndef HYOKA_FCGI_LOG_H
#define HYOKA_FCGI_LOG_H

#include "config.h" /* HY_LOG_* levels */

/* Lines above this level are dropped; set from log.level at start and on reload. */
void log_set_level(int level);
int log_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(HY_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(HY_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(HY_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(HY_LOG_DEBUG, __VA_ARGS__)

#endif
