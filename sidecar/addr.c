/*
** addr.c — "HOST:PORT" options as socket addresses (see addr.h).
*/
#include "addr.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int addr_parse(const char *zOpt, const char *zAddr, struct addrinfo **ppAi,
               char *zErr, size_t nErr){
  char zHost[256], zPort[16];
  const char *zColon = strrchr(zAddr, ':');
  struct addrinfo hints;
  size_t nHost;
  int rc;
  if( zColon==0 ){
    snprintf(zHost, sizeof(zHost), "0.0.0.0");
    snprintf(zPort, sizeof(zPort), "%s", zAddr);
  }else{
    const char *zH = zAddr;
    nHost = (size_t)(zColon - zAddr);
    if( nHost>=2 && zH[0]=='[' && zH[nHost-1]==']' ){ zH++; nHost -= 2; }
    if( nHost>=sizeof(zHost) ){
      snprintf(zErr, nErr, "%s %s: host name too long", zOpt, zAddr);
      return -1;
    }
    memcpy(zHost, zH, nHost);
    zHost[nHost] = 0;
    if( nHost==0 ) snprintf(zHost, sizeof(zHost), "0.0.0.0");
    snprintf(zPort, sizeof(zPort), "%s", zColon+1);
  }
  if( zPort[0]==0 || strspn(zPort, "0123456789")!=strlen(zPort) || atoi(zPort)>65535 ){
    snprintf(zErr, nErr, "%s %s: expected HOST:PORT with a numeric port", zOpt, zAddr);
    return -1;
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  rc = getaddrinfo(zHost, zPort, &hints, ppAi);
  if( rc ){
    snprintf(zErr, nErr, "%s %s: %s", zOpt, zAddr, gai_strerror(rc));
    return -1;
  }
  return 0;
}

int addr_is_loopback(const struct sockaddr *pAddr){
  if( pAddr->sa_family==AF_INET ){
    const struct sockaddr_in *p = (const struct sockaddr_in*)pAddr;
    return (ntohl(p->sin_addr.s_addr)>>24)==127;
  }
  if( pAddr->sa_family==AF_INET6 ){
    const struct sockaddr_in6 *p = (const struct sockaddr_in6*)pAddr;
    const unsigned char *a = p->sin6_addr.s6_addr;
    static const unsigned char v4mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
    if( IN6_IS_ADDR_LOOPBACK(&p->sin6_addr) ) return 1;
    return memcmp(a, v4mapped, 12)==0 && a[12]==127;
  }
  return 0;
}
