/*
** sha256.h — SHA-256 over a stream of bytes, printed as lowercase hex
** (OpenSSL libcrypto's EVP interface underneath).
**
**   Sha256 h;
**   sha256_init(&h);  sha256_update(&h, p, n); ...  sha256_hex(&h, zHex);
**
** sha256_init and sha256_update return 0 on success, -1 if libcrypto
** failed (out of memory); sha256_hex finishes the hash, frees it, and writes
** 64 hex digits and a NUL into zHex. sha256_free releases an unfinished
** hash (after sha256_hex it does nothing).
*/
#ifndef PL_SHA256_H
#define PL_SHA256_H
#include <stddef.h>

#define SHA256_HEX_SIZE 65          /* 64 hex digits + NUL */

typedef struct Sha256 { void *pCtx; } Sha256;

int sha256_init(Sha256*);
int sha256_update(Sha256*, const void *p, size_t n);
int sha256_hex(Sha256*, char *zHex);
void sha256_free(Sha256*);

/* One-shot helpers. sha256_buf_hex hashes n bytes at p. sha256_file_hex
** hashes a whole file and stores its size in *pnByte; it returns 0, or -1
** with errno set when the file cannot be read. */
int sha256_buf_hex(const void *p, size_t n, char *zHex);
int sha256_file_hex(const char *zPath, char *zHex, long long *pnByte);

#endif
