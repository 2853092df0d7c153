/*
** options.c — numbers and durations given on the command line (options.h).
*/
#include "options.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opt_int(const char *zCmd, const char *zOpt, const char *z, long long lo, long long hi,
            long long *pOut){
  char *zEnd = 0;
  long long v;
  errno = 0;
  v = strtoll(z, &zEnd, 10);
  if( errno || zEnd==z || *zEnd || v<lo || v>hi ){
    fprintf(stderr, "polarlite %s: %s %s: expected an integer from %lld to %lld\n",
            zCmd, zOpt, z, lo, hi);
    return -1;
  }
  *pOut = v;
  return 0;
}

/* The bounds as people write them: "100ms", "7 days". */
static void say_ms(char *z, size_t n, double ms){
  if( ms<1000 ) snprintf(z, n, "%.0fms", ms);
  else if( ms>=86400000 ) snprintf(z, n, "%.0f days", ms/86400000);
  else if( ms>=3600000 ) snprintf(z, n, "%.0fh", ms/3600000);
  else if( ms>=60000 ) snprintf(z, n, "%.0fm", ms/60000);
  else snprintf(z, n, "%.0fs", ms/1000);
}

int opt_duration(const char *zCmd, const char *zOpt, const char *z, double loMs, double hiMs,
                 int *pMs){
  char *zEnd = 0;
  double v, unit = 1000.0;
  errno = 0;
  v = strtod(z, &zEnd);
  if( zEnd!=z && !errno ){
    if( strcmp(zEnd, "ms")==0 ) unit = 1.0;
    else if( strcmp(zEnd, "m")==0 ) unit = 60000.0;
    else if( strcmp(zEnd, "h")==0 ) unit = 3600000.0;
    else if( strcmp(zEnd, "s")!=0 && *zEnd ) zEnd = (char*)z;
  }
  if( zEnd==z || errno || !(v*unit>=loMs && v*unit<=hiMs) ){
    char zLo[32], zHi[32];
    say_ms(zLo, sizeof(zLo), loMs);
    say_ms(zHi, sizeof(zHi), hiMs);
    fprintf(stderr, "polarlite %s: %s %s: expected a duration from %s to %s, like 500ms, "
            "30s, 10m or 1h\n", zCmd, zOpt, z, zLo, zHi);
    return -1;
  }
  *pMs = (int)(v*unit);
  return 0;
}
