/*
** usage.c — how every command answers --help and a usage error.
**
** Each command keeps its whole help in one string whose first paragraph
** (up to the first blank line) is its usage line(s). --help prints the
** whole text on stdout; a usage error prints what was wrong, the usage
** lines only, and where the rest is, on stderr, and exits 2:
**
**   polarlite publish: --topic is required
**   usage: polarlite publish --brokers HOSTS --topic TOPIC [options] WHAT
**   (polarlite help publish: the full help)
*/
#include "cmd.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int usage_help(const char *zHelp){
  fputs(zHelp, stdout);
  return 0;
}

int usage_error(const char *zCmd, const char *zHelp, const char *zFmt, ...){
  const char *zEnd = strstr(zHelp, "\n\n");
  if( zFmt ){
    va_list ap;
    fprintf(stderr, "polarlite %s: ", zCmd);
    va_start(ap, zFmt);
    vfprintf(stderr, zFmt, ap);
    va_end(ap);
    fputc('\n', stderr);
  }
  fprintf(stderr, "%.*s\n(polarlite help %s: the full help)\n",
          zEnd ? (int)(zEnd - zHelp) : (int)strcspn(zHelp, "\n"), zHelp, zCmd);
  return 2;
}
