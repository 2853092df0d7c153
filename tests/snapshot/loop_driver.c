/*
** loop_driver.c — runs the sidecar's snapshot loops (sidecar/snapshot.h)
** on their own, so tests/snapshot can exercise them before and apart from
** the daemon's flags. run.sh builds it from the polarlite command's objects.
**
**   loop_driver fallback DB URL EVERY_MS        snapshot_fallback_run
**   loop_driver publish  DB URL EVERY_MS KEEP   snapshot_publisher_start
**
** Both run until SIGTERM or SIGINT and exit 0 after a clean stop.
*/
#include "snapshot.h"
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig){ (void)sig; g_stop = 1; }

int main(int argc, char **argv){
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, 0);
  sigaction(SIGINT, &sa, 0);
  if( argc==5 && strcmp(argv[1], "fallback")==0 ){
    SnapStats stats;
    memset(&stats, 0, sizeof(stats));
    return snapshot_fallback_run(argv[2], argv[3], 0, atoi(argv[4]), &g_stop, &stats, 0, 0);
  }
  if( argc==6 && strcmp(argv[1], "publish")==0 ){
    SnapPublisher *p = 0;
    char *zErr = 0;
    if( snapshot_publisher_start(argv[2], argv[3], 0, atoi(argv[4]), atoi(argv[5]), &p, &zErr) ){
      fprintf(stderr, "loop_driver: %s\n", zErr);
      sqlite3_free(zErr);
      return 1;
    }
    while( !g_stop ){
      struct timespec ts = { 0, 50000000L };
      nanosleep(&ts, 0);
    }
    fprintf(stderr, "loop_driver: published %lld, failed %lld\n",
            (long long)atomic_load(&snapshot_publisher_stats(p)->nDone),
            (long long)atomic_load(&snapshot_publisher_stats(p)->nError));
    snapshot_publisher_stop(p);
    return 0;
  }
  fprintf(stderr, "usage: loop_driver fallback DB URL EVERY_MS\n"
                  "       loop_driver publish DB URL EVERY_MS KEEP\n");
  return 2;
}
