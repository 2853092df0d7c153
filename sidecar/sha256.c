/*
** sha256.c — SHA-256 through libcrypto's EVP digest API (see sha256.h).
*/
#include "sha256.h"
#include <openssl/evp.h>
#include <errno.h>
#include <stdio.h>

int sha256_init(Sha256 *h){
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  h->pCtx = ctx;
  if( ctx==0 ) return -1;
  if( EVP_DigestInit_ex(ctx, EVP_sha256(), 0)!=1 ){
    sha256_free(h);
    return -1;
  }
  return 0;
}

int sha256_update(Sha256 *h, const void *p, size_t n){
  if( h->pCtx==0 ) return -1;
  return EVP_DigestUpdate((EVP_MD_CTX*)h->pCtx, p, n)==1 ? 0 : -1;
}

int sha256_hex(Sha256 *h, char *zHex){
  static const char aDigit[] = "0123456789abcdef";
  unsigned char aMd[EVP_MAX_MD_SIZE];
  unsigned int nMd = 0, i;
  int rc = -1;
  zHex[0] = 0;
  if( h->pCtx && EVP_DigestFinal_ex((EVP_MD_CTX*)h->pCtx, aMd, &nMd)==1 && nMd==32 ){
    for(i=0; i<nMd; i++){
      zHex[2*i] = aDigit[aMd[i]>>4];
      zHex[2*i+1] = aDigit[aMd[i]&15];
    }
    zHex[2*nMd] = 0;
    rc = 0;
  }
  sha256_free(h);
  return rc;
}

void sha256_free(Sha256 *h){
  EVP_MD_CTX_free((EVP_MD_CTX*)h->pCtx);
  h->pCtx = 0;
}

int sha256_buf_hex(const void *p, size_t n, char *zHex){
  Sha256 h;
  if( sha256_init(&h) ) return -1;
  if( sha256_update(&h, p, n) ){ sha256_free(&h); return -1; }
  return sha256_hex(&h, zHex);
}

int sha256_file_hex(const char *zPath, char *zHex, long long *pnByte){
  char aBuf[1<<16];            /* on the stack: callers may be threads */
  Sha256 h;
  FILE *f = fopen(zPath, "rb");
  size_t n;
  int rc = 0;
  *pnByte = 0;
  if( f==0 ) return -1;
  if( sha256_init(&h) ){ fclose(f); errno = ENOMEM; return -1; }
  while( rc==0 && (n = fread(aBuf, 1, sizeof(aBuf), f))>0 ){
    rc = sha256_update(&h, aBuf, n);
    *pnByte += (long long)n;
  }
  if( rc==0 && ferror(f) ) rc = -1;
  fclose(f);
  if( rc ){ sha256_free(&h); return -1; }
  return sha256_hex(&h, zHex);
}
