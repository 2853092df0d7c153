/*
** manifest.c — encode and decode snapshot manifests (manifest.h) with jsmn.
*/
#include "manifest.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

/*------------------------------------------------------------ encode ---*/

/* Append z as a JSON string. */
static void json_str(sqlite3_str *s, const char *z){
  sqlite3_str_appendchar(s, 1, '"');
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    if( c=='"' || c=='\\' ) sqlite3_str_appendf(s, "\\%c", c);
    else if( c<0x20 ) sqlite3_str_appendf(s, "\\u%04x", c);
    else sqlite3_str_appendchar(s, 1, (char)c);
  }
  sqlite3_str_appendchar(s, 1, '"');
}

char *manifest_encode(const Manifest *m){
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "{\"format\":");
  json_str(s, MANIFEST_FORMAT);
  sqlite3_str_appendall(s, ",\"topic\":");
  json_str(s, m->zTopic);
  sqlite3_str_appendf(s, ",\"partition\":%lld,\"offset\":%lld,\"bytes\":%lld,\"sha256\":",
                      m->iPartition, m->iOffset, m->nByte);
  json_str(s, m->zSha256);
  sqlite3_str_appendall(s, ",\"created_at\":");
  json_str(s, m->zCreatedAt);
  sqlite3_str_appendf(s, ",\"policy_version\":%lld,\"facts\":%lld,\"object\":",
                      m->iPolicyVersion, m->nFact);
  json_str(s, m->zObject);
  sqlite3_str_appendall(s, ",\"compression\":");
  json_str(s, m->zCompression[0] ? m->zCompression : "none");
  if( m->zChecked[0] ){
    sqlite3_str_appendall(s, ",\"checked\":");
    json_str(s, m->zChecked);
  }
  if( m->zBoundTables[0] ){
    sqlite3_str_appendall(s, ",\"bound_tables\":");
    json_str(s, m->zBoundTables);
  }
  if( m->zUnresolved[0] ){
    sqlite3_str_appendall(s, ",\"unresolved_bindings\":");
    json_str(s, m->zUnresolved);
  }
  sqlite3_str_appendall(s, "}\n");
  return sqlite3_str_finish(s);
}

void manifest_set_created(Manifest *m, long long iMs){
  time_t t = (time_t)(iMs/1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  m->iCreatedMs = iMs;
  strftime(m->zCreatedAt, sizeof(m->zCreatedAt) - 5, "%Y-%m-%dT%H:%M:%S", &tm);
  {
    char *z = m->zCreatedAt + strlen(m->zCreatedAt);
    int ms = (int)(((iMs%1000)+1000)%1000);
    z[0] = '.'; z[1] = (char)('0'+ms/100); z[2] = (char)('0'+ms/10%10); z[3] = (char)('0'+ms%10);
    z[4] = 'Z'; z[5] = 0;
  }
}

/*------------------------------------------------------------ decode ---*/

/* Decode the JSON string token t into zOut[nOut]. 0 ok, -1 bad or too long. */
static int tok_str(const char *zJson, const jsmntok_t *t, char *zOut, size_t nOut){
  const char *z = zJson + t->start, *zEnd = zJson + t->end;
  size_t i = 0;
  if( t->type!=JSMN_STRING ) return -1;
  while( z<zEnd ){
    char c = *z++;
    if( c=='\\' ){
      if( z>=zEnd ) return -1;
      c = *z++;
      switch( c ){
        case '"': case '\\': case '/': break;
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'u': {               /* ASCII only: manifests hold nothing else */
          char zHex[5];
          long v;
          if( zEnd - z < 4 ) return -1;
          memcpy(zHex, z, 4);
          zHex[4] = 0;
          v = strtol(zHex, 0, 16);
          if( v<=0 || v>0x7f ) return -1;
          c = (char)v;
          z += 4;
          break;
        }
        default: return -1;
      }
    }
    if( i+1>=nOut ) return -1;
    zOut[i++] = c;
  }
  zOut[i] = 0;
  return 0;
}

/* Decode an integer token (no fraction, no exponent). */
static int tok_int(const char *zJson, const jsmntok_t *t, long long *pv){
  char zBuf[32];
  char *zEnd = 0;
  int n = t->end - t->start;
  if( t->type!=JSMN_PRIMITIVE || n<=0 || n>=(int)sizeof(zBuf) ) return -1;
  memcpy(zBuf, zJson + t->start, (size_t)n);
  zBuf[n] = 0;
  *pv = strtoll(zBuf, &zEnd, 10);
  return *zEnd==0 && (zBuf[0]=='-' || (zBuf[0]>='0' && zBuf[0]<='9')) ? 0 : -1;
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into ms since the epoch. */
static int parse_created(const char *z, long long *pMs){
  struct tm tm;
  int ms = 0, n = 0;
  memset(&tm, 0, sizeof(tm));
  if( sscanf(z, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n)!=6 ) return -1;
  z += n;
  if( *z=='.' ){
    int k = 0;
    z++;
    while( *z>='0' && *z<='9' ){ if( k<3 ){ ms = ms*10 + (*z-'0'); k++; } z++; }
    while( k++<3 ) ms *= 10;
  }
  if( strcmp(z, "Z")!=0 ) return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *pMs = (long long)timegm(&tm)*1000 + ms;
  return 0;
}

enum { K_FORMAT, K_TOPIC, K_PARTITION, K_OFFSET, K_BYTES, K_SHA256, K_CREATED,
       K_POLICY, K_FACTS, K_OBJECT, K_COMPRESSION, K_CHECKED, K_BOUND, K_UNRESOLVED,
       K_COUNT };
static const char *const azKey[K_COUNT] = {
  "format", "topic", "partition", "offset", "bytes", "sha256", "created_at",
  "policy_version", "facts", "object", "compression", "checked", "bound_tables",
  "unresolved_bindings"
};

int manifest_decode(const char *z, int n, Manifest *m, char **pzErr){
  jsmn_parser parser;
  jsmntok_t aTok[64];
  int nTok, i, k, bad = -1;
  unsigned seen = 0;
  char zFormat[64] = "";
  memset(m, 0, sizeof(*m));
  jsmn_init(&parser);
  nTok = jsmn_parse(&parser, z, (size_t)n, aTok, sizeof(aTok)/sizeof(aTok[0]));
  if( nTok<1 || aTok[0].type!=JSMN_OBJECT ){
    *pzErr = sqlite3_mprintf("manifest is not a JSON object%s",
                             nTok==JSMN_ERROR_NOMEM ? " (too many keys)" : "");
    return 1;
  }
  /* top-level members: key token, then one value token (scalars only;
  ** an unknown key's nested value is skipped by its token span) */
  for(i=1; i+1<nTok && bad<0; ){
    const jsmntok_t *tk = &aTok[i], *tv = &aTok[i+1];
    int j;
    for(k=0; k<K_COUNT; k++){
      if( tk->end - tk->start==(int)strlen(azKey[k])
       && memcmp(z + tk->start, azKey[k], (size_t)(tk->end - tk->start))==0 ) break;
    }
    switch( k ){
      case K_FORMAT:      if( tok_str(z, tv, zFormat, sizeof(zFormat)) ) bad = k; break;
      case K_TOPIC:       if( tok_str(z, tv, m->zTopic, sizeof(m->zTopic)) ) bad = k; break;
      case K_PARTITION:   if( tok_int(z, tv, &m->iPartition) ) bad = k; break;
      case K_OFFSET:      if( tok_int(z, tv, &m->iOffset) ) bad = k; break;
      case K_BYTES:       if( tok_int(z, tv, &m->nByte) || m->nByte<0 ) bad = k; break;
      case K_SHA256:
        if( tok_str(z, tv, m->zSha256, sizeof(m->zSha256)) || strlen(m->zSha256)!=64
         || strspn(m->zSha256, "0123456789abcdef")!=64 ) bad = k;
        break;
      case K_CREATED:
        if( tok_str(z, tv, m->zCreatedAt, sizeof(m->zCreatedAt))
         || parse_created(m->zCreatedAt, &m->iCreatedMs) ) bad = k;
        break;
      case K_POLICY:      if( tok_int(z, tv, &m->iPolicyVersion) ) bad = k; break;
      case K_FACTS:       if( tok_int(z, tv, &m->nFact) ) bad = k; break;
      case K_OBJECT:      if( tok_str(z, tv, m->zObject, sizeof(m->zObject)) ) bad = k; break;
      case K_COMPRESSION: if( tok_str(z, tv, m->zCompression, sizeof(m->zCompression)) ) bad = k; break;
      case K_CHECKED:     if( tok_str(z, tv, m->zChecked, sizeof(m->zChecked)) ) bad = k; break;
      case K_BOUND:       if( tok_str(z, tv, m->zBoundTables, sizeof(m->zBoundTables)) ) bad = k; break;
      case K_UNRESOLVED:  if( tok_str(z, tv, m->zUnresolved, sizeof(m->zUnresolved)) ) bad = k; break;
      default: break;
    }
    if( k<K_COUNT ) seen |= 1u<<k;
    /* skip the value, including everything nested in it */
    for(j=i+2; j<nTok && aTok[j].start < tv->end; j++){}
    i = j;
  }
  if( bad>=0 ){
    *pzErr = sqlite3_mprintf("manifest: bad value for \"%s\"", azKey[bad]);
    return 1;
  }
  for(k=0; k<K_COUNT; k++){
    if( k!=K_COMPRESSION && k!=K_CHECKED && k!=K_BOUND && k!=K_UNRESOLVED
     && (seen & (1u<<k))==0 ){
      *pzErr = sqlite3_mprintf("manifest: missing \"%s\"", azKey[k]);
      return 1;
    }
  }
  if( strcmp(zFormat, MANIFEST_FORMAT)!=0 ){
    *pzErr = sqlite3_mprintf("manifest: unsupported format \"%s\" (this polarlite reads \"%s\")",
                             zFormat, MANIFEST_FORMAT);
    return 1;
  }
  if( m->zCompression[0]==0 ) strcpy(m->zCompression, "none");
  if( strcmp(m->zCompression, "none")!=0 ){
    *pzErr = sqlite3_mprintf("manifest: unsupported compression \"%s\"", m->zCompression);
    return 1;
  }
  return 0;
}
