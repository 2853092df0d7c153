/*
** addr.h — "HOST:PORT" options (--metrics, --listen) as socket addresses.
*/
#ifndef PL_SC_ADDR_H
#define PL_SC_ADDR_H
#include <netdb.h>
#include <stddef.h>

/* zAddr is "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" (no host: all
** interfaces); HOST may be a name. zOpt ("--listen") starts error
** messages. 0 with *ppAi (freeaddrinfo it), or -1 with zErr. */
int addr_parse(const char *zOpt, const char *zAddr, struct addrinfo **ppAi,
               char *zErr, size_t nErr);

/* 1 if the address is on the loopback interface (127.0.0.0/8, ::1,
** ::ffff:127.0.0.0/104). */
int addr_is_loopback(const struct sockaddr *pAddr);

#endif
