/*
** main.c — the polarlite command: dispatch to a subcommand.
**
**   polarlite sidecar  --db FILE --brokers HOSTS --topic T [...]
**   polarlite publish  --brokers HOSTS --topic T (insert|delete|batch|policy) ...
**   polarlite snapshot --db FILE --to URL
**   polarlite restore  --db FILE --from URL
**   polarlite status   --db FILE
**   polarlite test     POLICY
**   polarlite check    POLICY
**   polarlite explain  --db FILE ACTOR ACTION RESOURCE [--context JSON] [--json]
*/
#include "cmd.h"
#include <stdio.h>
#include <string.h>

static const struct { const char *zName; int (*xCmd)(int, char**); const char *zHelp; } aCmd[] = {
  { "sidecar",  cmd_sidecar,  "apply the Kafka log to a database file" },
  { "publish",  cmd_publish,  "write facts or a policy to the log; prints the consistency token" },
  { "snapshot", cmd_snapshot, "publish a consistent snapshot of a database" },
  { "restore",  cmd_restore,  "install a snapshot into a live database" },
  { "status",   cmd_status,   "print a database's policy version, log position and lag" },
  { "test",     cmd_test,     "run a policy file's test blocks" },
  { "check",    cmd_check,    "validate a policy file" },
  { "explain",  cmd_explain,  "why a check is allowed or denied: the proof, or the rules tried" },
};

static void usage(FILE *f){
  size_t i;
  fprintf(f, "usage: polarlite COMMAND [options]   (polarlite COMMAND --help)\n\ncommands:\n");
  for(i=0; i<sizeof(aCmd)/sizeof(aCmd[0]); i++){
    fprintf(f, "  %-9s %s\n", aCmd[i].zName, aCmd[i].zHelp);
  }
}

int main(int argc, char **argv){
  size_t i;
  if( argc<2 || strcmp(argv[1], "--help")==0 || strcmp(argv[1], "-h")==0 ){
    usage(argc<2 ? stderr : stdout);
    return argc<2 ? 2 : 0;
  }
  for(i=0; i<sizeof(aCmd)/sizeof(aCmd[0]); i++){
    if( strcmp(argv[1], aCmd[i].zName)==0 ) return aCmd[i].xCmd(argc-1, argv+1);
  }
  fprintf(stderr, "polarlite: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
