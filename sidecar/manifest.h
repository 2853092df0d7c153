/*
** manifest.h — the manifest of a snapshot: one JSON object stored beside
** the snapshot file (snapshots/NAME.json) and copied to `latest`.
**
**   {"format":"polarlite-snapshot-1","topic":"facts","partition":0,
**    "offset":1234,"bytes":150994944,"sha256":"9f86…",
**    "created_at":"2025-01-02T03:04:05.678Z","policy_version":3,
**    "facts":1000000,"object":"snapshots/20250102T030405.678Z-o1234.db",
**    "compression":"none","checked":"integrity_check"}
**
** offset is the log offset of the last message the snapshot contains
** (polar_meta 'log_offset'), partition its partition; both -1 when the
** database holds no log position. bytes and sha256 describe the object.
** checked names the check the publisher ran on exactly these bytes before
** uploading them ("integrity_check"; "" when absent). bound_tables and
** unresolved_bindings say what the file holds for polar_bind (see
** snapshot_db.c), for people reading the manifest or the restore's output.
** Decoding ignores keys it does not know, so later writers may add some;
** compression, checked, bound_tables and unresolved_bindings are optional.
*/
#ifndef PL_MANIFEST_H
#define PL_MANIFEST_H

#define MANIFEST_FORMAT "polarlite-snapshot-1"
#define MANIFEST_MAX    (64*1024)      /* a larger manifest is refused */

typedef struct Manifest {
  char zTopic[256];           /* "" when unknown */
  long long iPartition;       /* -1: no log position */
  long long iOffset;          /* -1: no log position */
  long long nByte;
  char zSha256[65];           /* lowercase hex */
  char zCreatedAt[32];        /* UTC, YYYY-MM-DDTHH:MM:SS.mmmZ */
  long long iCreatedMs;       /* the same, ms since the epoch */
  long long iPolicyVersion;
  long long nFact;
  char zObject[256];          /* key of the snapshot file under the prefix */
  char zCompression[16];      /* "none" */
  char zChecked[32];          /* "integrity_check", or "" */
  char zBoundTables[512];     /* application tables the file carries for polar_bind
                              ** bindings, "a, b" ("" none; for people) */
  char zUnresolved[1024];     /* bindings whose SELECT does not prepare in the file,
                              ** "sig: why; ..." ("" none) */
} Manifest;

/* Encode as JSON (sqlite3_mprintf'd, NULL on OOM). */
char *manifest_encode(const Manifest*);
/* Decode z[0..n). On error returns non-zero and *pzErr (sqlite3_mprintf'd)
** names the key that is missing or wrong. */
int manifest_decode(const char *z, int n, Manifest*, char **pzErr);
/* Set zCreatedAt from iCreatedMs. */
void manifest_set_created(Manifest*, long long iMs);

#endif
