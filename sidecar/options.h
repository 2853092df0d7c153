/*
** options.h — numbers and durations given on the command line.
*/
#ifndef PL_SC_OPTIONS_H
#define PL_SC_OPTIONS_H

/* An integer from lo to hi. 0, or -1 after "polarlite CMD: OPT VALUE:
** expected ..." on stderr. */
int opt_int(const char *zCmd, const char *zOpt, const char *z, long long lo, long long hi,
            long long *pOut);

/* A duration: a number with a unit ms, s, m or h ("250ms", "30s", "10m",
** "2h"; a bare number is seconds), from loMs to hiMs milliseconds. */
int opt_duration(const char *zCmd, const char *zOpt, const char *z, double loMs, double hiMs,
                 int *pMs);

#endif
