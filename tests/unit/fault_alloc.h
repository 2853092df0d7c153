/*
** fault_alloc.h — SQLite's allocator wrapped for out-of-memory tests: after
** fault_fail_after(N), N more allocations succeed and every one after them
** fails, until fault_fail_after(-1). Call fault_install() in main(), before
** SQLite is used.
*/
#ifndef FAULT_ALLOC_H
#define FAULT_ALLOC_H
#include <sqlite3.h>

static sqlite3_mem_methods faultDefaultMem;
static int faultFailAfter = -1;     /* -1: never fail */

static void *fault_malloc(int n){
  if( faultFailAfter==0 ) return 0;
  if( faultFailAfter>0 ) faultFailAfter--;
  return faultDefaultMem.xMalloc(n);
}
static void *fault_realloc(void *p, int n){
  if( faultFailAfter==0 ) return 0;
  if( faultFailAfter>0 ) faultFailAfter--;
  return faultDefaultMem.xRealloc(p, n);
}
static void fault_fail_after(int n){ faultFailAfter = n; }
static void fault_install(void){
  sqlite3_mem_methods m;
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &faultDefaultMem);
  m = faultDefaultMem;
  m.xMalloc = fault_malloc;
  m.xRealloc = fault_realloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
}
#endif
