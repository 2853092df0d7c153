/*
** fuzz_message.c — the sidecar's log-message path: apply_message() on
** arbitrary message bodies (a batch array, a {"policy": {...}} object, or
** anything else), as the sidecar applies what it reads from Kafka.
**
** The applier runs on a scratch database file (WAL needs a file). Each
** input is applied in its own group, which is then rolled back, so every
** input meets the same database and policy.
**
** Properties: no crash, leak or over-read (the body sits in a buffer of
** exactly its size); a message is applied or rejected with a reason, never
** fatal for the group (bad input must not stop the sidecar).
*/
#include "apply.h"
#include <sqlite3.h>
#include "fuzz_common.h"
#include <string.h>
#include <unistd.h>

static Applier *A;
static int64_t iOffset;
static char zPath[64];

static void cleanup(void){
  char z[80];
  apply_close(A);
  unlink(zPath);
  snprintf(z, sizeof(z), "%s-wal", zPath); unlink(z);
  snprintf(z, sizeof(z), "%s-shm", zPath); unlink(z);
}

static void put(const char *zBody, int bCommit){
  ApplyMsg m;
  char zReason[512], zErr[256];
  int nFacts = 0, e;
  memset(&m, 0, sizeof(m));
  m.zTopic = "fuzz";
  m.iOffset = ++iOffset;
  m.pData = zBody;
  m.nData = strlen(zBody);
  if( apply_begin(A, zErr, sizeof(zErr)) ) FUZZ_FAIL("begin: %s", zErr);
  e = apply_message(A, &m, 1, &nFacts, zReason, sizeof(zReason));
  if( e!=APPLY_OK ) FUZZ_FAIL("setup message refused (%d): %s", e, zReason);
  if( bCommit && apply_commit(A, -1, zErr, sizeof(zErr)) ) FUZZ_FAIL("commit: %s", zErr);
}

static void setup(void){
  char zErr[256];
  sqlite3_str *s = sqlite3_str_new(0);
  char *zMsg;
  const char *z;
  snprintf(zPath, sizeof(zPath), "/tmp/polarlite-fuzz-message-%d.db", (int)getpid());
  unlink(zPath);
  if( apply_open(zPath, &A, zErr, sizeof(zErr)) ) FUZZ_FAIL("apply_open: %s", zErr);
  atexit(cleanup);
  /* the fixed policy, as a policy message */
  sqlite3_str_appendall(s, "{\"policy\":{\"filename\":\"fuzz.polar\",\"src\":\"");
  for(z=zFuzzPolicy; *z; z++){
    if( *z=='"' || *z=='\\' ) sqlite3_str_appendf(s, "\\%c", *z);
    else if( *z=='\n' ) sqlite3_str_appendall(s, "\\n");
    else sqlite3_str_appendchar(s, 1, *z);
  }
  sqlite3_str_appendall(s, "\"}}");
  zMsg = sqlite3_str_finish(s);
  put(zMsg, 1);
  sqlite3_free(zMsg);
  put("[{\"inserts\":[{\"predicate\":\"has_role\",\"args\":[{\"type\":\"User\",\"id\":\"alice\"},"
      "{\"type\":\"String\",\"id\":\"member\"},{\"type\":\"Organization\",\"id\":\"acme\"}]}]}]", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  ApplyMsg m;
  char zReason[512], zErr[256];
  char *zBody;
  int nFacts = 0, e;
  if( A==0 ) setup();
  if( nData>65536 ) return 0;
  zBody = malloc(nData ? nData : 1);
  memcpy(zBody, aData, nData);
  memset(&m, 0, sizeof(m));
  m.zTopic = "fuzz";
  m.iOffset = iOffset + 1;       /* never committed: the same offset each time */
  m.pData = nData ? zBody : 0;
  m.nData = nData;
  m.iTimestampMs = 1700000000000LL;
  if( apply_begin(A, zErr, sizeof(zErr)) ) FUZZ_FAIL("begin: %s", zErr);
  e = apply_message(A, &m, 1, &nFacts, zReason, sizeof(zReason));
  if( e==APPLY_FATAL ) FUZZ_FAIL("a message stopped the group: %s", zReason);
  if( e==APPLY_REJECTED && zReason[0]==0 ) FUZZ_FAIL("rejected without a reason");
  if( e==APPLY_SKIPPED ) FUZZ_FAIL("skipped a new offset");
  if( apply_group_size(A)!=1 ) FUZZ_FAIL("group size %d", apply_group_size(A));
  apply_rollback(A);
  free(zBody);
  return 0;
}
