/*
** signals.h — the signals of the long-running commands (sidecar, serve):
** SIGTERM and SIGINT ask the command to stop, SIGHUP to reopen its log
** file (logrotate), and SIGPIPE is ignored (a peer that went away is an
** error return of the write, not the end of the process).
*/
#ifndef PL_SIGNALS_H
#define PL_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t gStop;       /* SIGTERM or SIGINT seen */
extern volatile sig_atomic_t gReopenLog;  /* SIGHUP seen; the loop clears it */

/* Install the handlers. 0, or -1 with errno set. */
int signals_install(void);

#endif
