/*
** serve_keys.c — API keys of `polarlite serve --api-keys FILE`.
**
** The file holds one key per line, optionally followed by the word
** read-only; blank lines and lines starting with # are skipped:
**
**   # application servers
**   9f2c0e5b7d3a41c8b6e2f0a7d9c3b5e1
**   1e5b3c9d7a0f2e6b8c4d1a3f5e7b9c2d read-only
**
** Keys are kept as SHA-256 digests only. A request's key is hashed and
** compared with every stored digest, all bytes of each, so the time taken
** says nothing about which key, or how much of one, matched.
*/
#include "serve.h"
#include "engine.h"
#include "sha256.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct Key { char zHash[SHA256_HEX_SIZE]; int bReadOnly; } Key;
struct Keys { Key *aKey; int nKey; };

int keys_load(const char *zPath, Keys **pp, char *zErr, size_t nErr){
  char *zText = 0, *z, *zEnd;
  size_t nText = 0;
  Keys *K;
  int iLine = 0;
  *pp = 0;
  if( read_whole_file(zPath, &zText, &nText, zErr, nErr) ) return -1;
  K = calloc(1, sizeof(*K));
  if( K==0 ){ free(zText); snprintf(zErr, nErr, "out of memory"); return -1; }
  for(z=zText, zEnd=zText+nText; z<zEnd; ){
    char *zNl = memchr(z, '\n', (size_t)(zEnd-z)), *zKey, *zMark;
    char *zLine = z;
    size_t nKey;
    int k;
    Key *pNew;
    if( zNl ) *zNl = 0;
    z = zNl ? zNl+1 : zEnd;
    iLine++;
    while( *zLine && isspace((unsigned char)*zLine) ) zLine++;
    zMark = zLine + strlen(zLine);            /* trailing space, \r of CRLF */
    while( zMark>zLine && isspace((unsigned char)zMark[-1]) ) *--zMark = 0;
    if( *zLine==0 || *zLine=='#' ) continue;
    zKey = zLine;
    nKey = strcspn(zKey, " \t");
    zMark = zKey + nKey;
    while( *zMark && isspace((unsigned char)*zMark) ) zMark++;
    if( *zMark && strcmp(zMark, "read-only")!=0 ){
      snprintf(zErr, nErr, "%s:%d: expected KEY or KEY read-only, found '%.40s' after the key",
               zPath, iLine, zMark);
      goto keys_fail;
    }
    if( nKey<16 ){
      snprintf(zErr, nErr, "%s:%d: a key of %zu characters is too easy to guess; use at "
               "least 16", zPath, iLine, nKey);
      goto keys_fail;
    }
    pNew = realloc(K->aKey, sizeof(Key)*(size_t)(K->nKey+1));
    if( pNew==0 ){ snprintf(zErr, nErr, "out of memory"); goto keys_fail; }
    K->aKey = pNew;
    if( sha256_buf_hex(zKey, nKey, K->aKey[K->nKey].zHash) ){
      snprintf(zErr, nErr, "cannot hash a key (libcrypto)");
      goto keys_fail;
    }
    for(k=0; k<K->nKey; k++){
      if( strcmp(K->aKey[k].zHash, K->aKey[K->nKey].zHash)==0 ){
        snprintf(zErr, nErr, "%s:%d: the same key appears twice", zPath, iLine);
        goto keys_fail;
      }
    }
    K->aKey[K->nKey].bReadOnly = *zMark!=0;
    K->nKey++;
  }
  free(zText);
  if( K->nKey==0 ){
    snprintf(zErr, nErr, "%s: no keys (one per line, optionally followed by read-only)", zPath);
    keys_free(K);
    return -1;
  }
  *pp = K;
  return 0;

keys_fail:
  free(zText);
  keys_free(K);
  return -1;
}

void keys_free(Keys *K){
  if( K==0 ) return;
  free(K->aKey);
  free(K);
}

int keys_count(const Keys *K){ return K ? K->nKey : 0; }

int keys_check(const Keys *K, const char *zAuth){
  char zHash[SHA256_HEX_SIZE];
  const char *zKey;
  size_t nKey;
  int i, iMatch = -1;
  if( zAuth==0 ) return KEY_MISSING;
  while( *zAuth==' ' ) zAuth++;
  if( strncasecmp(zAuth, "Bearer ", 7)!=0 ) return KEY_MISSING;
  zKey = zAuth + 7;
  while( *zKey==' ' ) zKey++;
  nKey = strlen(zKey);
  while( nKey>0 && zKey[nKey-1]==' ' ) nKey--;
  if( nKey==0 ) return KEY_MISSING;
  if( sha256_buf_hex(zKey, nKey, zHash) ) return KEY_BAD;
  for(i=0; i<K->nKey; i++){
    unsigned char d = 0;
    int j;
    for(j=0; j<SHA256_HEX_SIZE-1; j++) d |= (unsigned char)(zHash[j] ^ K->aKey[i].zHash[j]);
    /* branch-free select of the matching index */
    iMatch = d==0 ? i : iMatch;
  }
  if( iMatch<0 ) return KEY_BAD;
  return K->aKey[iMatch].bReadOnly ? KEY_RO : KEY_RW;
}
