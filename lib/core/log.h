/* log — logfmt lines on stderr, one per notable thing.
 *
 *   log_info("intake started", "endpoint=%s", ep);
 *   → ts=2026-11-26T01:02:03Z level=info msg="intake started" endpoint=tcp://...
 *
 * The level is process-wide (log_set_level, from --log-level). Never log per
 * event at info: the hot path logs at debug only. Secrets never go here.
 */
#ifndef GK_LOG_H
#define GK_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 when unknown. */
int log_parse_level(const char *name);
int log_enabled(enum log_level level);
void log_emit(enum log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Text from outside as the value of a quoted logfmt field (key="%s"):
 * shown (utf8.h: no control character, cut on a character), with '"' and
 * '\\' escaped. buf is returned. Whatever it is given, log_emit keeps every
 * record on one line of valid UTF-8. */
const char *log_q(const char *s, char *buf, size_t cap);

#define log_debug(msg, ...) log_emit(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...) log_emit(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_emit(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_emit(LOG_ERROR, msg, __VA_ARGS__)

#endif
