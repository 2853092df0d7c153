/*
** log.c — structured log lines (see log.h).
*/
#include "log.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t logMutex = PTHREAD_MUTEX_INITIALIZER;
static FILE *logFile = 0;         /* NULL: stderr */
static char *logPath = 0;
static int logLevel = LOG_INFO;

static const char *const azLevel[] = { "debug", "info", "warn", "error" };

void log_set_level(int iLevel){ logLevel = iLevel; }

int log_open(const char *zPath){
  FILE *f = fopen(zPath, "a");
  char *zCopy;
  if( f==0 ) return -1;
  zCopy = strdup(zPath);
  if( zCopy==0 ){ fclose(f); errno = ENOMEM; return -1; }
  pthread_mutex_lock(&logMutex);
  if( logFile ) fclose(logFile);
  free(logPath);
  logFile = f;
  logPath = zCopy;
  pthread_mutex_unlock(&logMutex);
  return 0;
}

int log_reopen(void){
  FILE *f;
  int rc = 0;
  pthread_mutex_lock(&logMutex);
  if( logPath ){
    f = fopen(logPath, "a");
    if( f ){
      fclose(logFile);
      logFile = f;
    }else{
      rc = -1;                    /* keep writing to the old file */
    }
  }
  pthread_mutex_unlock(&logMutex);
  return rc;
}

void log_close(void){
  pthread_mutex_lock(&logMutex);
  if( logFile ) fclose(logFile);
  logFile = 0;
  free(logPath);
  logPath = 0;
  pthread_mutex_unlock(&logMutex);
}

long long log_now_ms(void){
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec*1000 + ts.tv_nsec/1000000;
}

void log_event(int iLevel, const char *zEvent, const char *zFmt, ...){
  struct timespec ts;
  struct tm tm;
  char zTime[40];
  va_list ap;
  FILE *f;
  if( iLevel<logLevel ) return;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(zTime, sizeof(zTime), "%Y-%m-%dT%H:%M:%S", &tm);
  pthread_mutex_lock(&logMutex);
  f = logFile ? logFile : stderr;
  fprintf(f, "ts=%s.%03ldZ level=%s event=%s", zTime, ts.tv_nsec/1000000,
          azLevel[iLevel<0 ? 0 : iLevel>LOG_ERROR ? LOG_ERROR : iLevel], zEvent);
  if( zFmt && zFmt[0] ){
    fputc(' ', f);
    va_start(ap, zFmt);
    vfprintf(f, zFmt, ap);
    va_end(ap);
  }
  fputc('\n', f);
  fflush(f);
  pthread_mutex_unlock(&logMutex);
}

const char *log_q(char *aBuf, size_t nBuf, const char *z){
  size_t i, j = 0;
  int bQuote = (z==0 || z[0]==0);
  if( nBuf<8 ){ if( nBuf ) aBuf[0] = 0; return aBuf; }
  if( z==0 ) z = "";
  for(i=0; z[i] && !bQuote; i++){
    unsigned char c = (unsigned char)z[i];
    if( c<=' ' || c=='"' || c=='=' || c=='\\' || c==0x7f ) bQuote = 1;
  }
  if( !bQuote ){
    snprintf(aBuf, nBuf, "%s", z);
    if( strlen(z)>=nBuf ) memcpy(aBuf+nBuf-4, "...", 4);
    return aBuf;
  }
  aBuf[j++] = '"';
  for(i=0; z[i]; i++){
    unsigned char c = (unsigned char)z[i];
    char e[8];
    size_t n;
    if( c=='"' || c=='\\' ){ e[0] = '\\'; e[1] = (char)c; n = 2; }
    else if( c=='\n' ){ memcpy(e, "\\n", 2); n = 2; }
    else if( c=='\t' ){ memcpy(e, "\\t", 2); n = 2; }
    else if( c<' ' || c==0x7f ){ snprintf(e, sizeof(e), "\\x%02x", c); n = 4; }
    else { e[0] = (char)c; n = 1; }
    if( j+n+5>nBuf ){ memcpy(aBuf+j, "...", 3); j += 3; break; }
    memcpy(aBuf+j, e, n);
    j += n;
  }
  aBuf[j++] = '"';
  aBuf[j] = 0;
  return aBuf;
}
