/*
** log.h — structured log lines for the polarlite command.
**
**   ts=2025-01-02T03:04:05.678Z level=info event=applied offset=41 facts=3
**
** One line per event: a timestamp, a level, an event name, then key=value
** pairs written by the caller's format. Values that may hold spaces or
** quotes go through log_q(), which quotes them. Lines go to stderr until
** log_open() names a file; log_reopen() (on SIGHUP) reopens that file so
** logrotate can move it away. Safe to call from librdkafka's threads.
*/
#ifndef PL_SC_LOG_H
#define PL_SC_LOG_H
#include <stddef.h>

#if defined(__GNUC__)
# define LOG_PRINTF(f,a) __attribute__((format(printf,f,a)))
#else
# define LOG_PRINTF(f,a)
#endif

enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below iLevel are dropped (default LOG_INFO). */
void log_set_level(int iLevel);
/* Append to zPath from now on; returns 0, or -1 with errno set. */
int log_open(const char *zPath);
/* Reopen the file given to log_open (no-op when logging to stderr). */
int log_reopen(void);
void log_close(void);

/* The wall clock in milliseconds since 1970, as the lines' ts= shows it. */
long long log_now_ms(void);

/* Write "ts=.. level=.. event=zEvent " followed by the formatted pairs. */
void log_event(int iLevel, const char *zEvent, const char *zFmt, ...) LOG_PRINTF(3,4);

/* z as a log value: bare when it is one word, else in double quotes with
** '"', '\\' and control characters escaped. Writes into aBuf (truncating
** with "..." if needed) and returns aBuf. */
const char *log_q(char *aBuf, size_t nBuf, const char *z);

#endif
