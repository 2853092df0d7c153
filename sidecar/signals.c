/*
** signals.c — see signals.h.
*/
#include "signals.h"
#include <string.h>

volatile sig_atomic_t gStop;
volatile sig_atomic_t gReopenLog;

static void on_signal(int sig){
  if( sig==SIGHUP ) gReopenLog = 1; else gStop = 1;
}

int signals_install(void){
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if( sigaction(SIGTERM, &sa, 0) || sigaction(SIGINT, &sa, 0) || sigaction(SIGHUP, &sa, 0) ){
    return -1;
  }
  signal(SIGPIPE, SIG_IGN);
  return 0;
}
