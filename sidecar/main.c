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
**   polarlite serve    --db FILE --listen HOST:PORT [...]
**   polarlite explain  --db FILE ACTOR ACTION RESOURCE [--context JSON] [--json]
**   polarlite help [COMMAND]      polarlite --version
*/
#include "cmd.h"
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>
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
  { "serve",    cmd_serve,    "answer Oso Cloud's HTTP API from a database (the SDKs' node)" },
  { "explain",  cmd_explain,  "why a check is allowed or denied: the proof, or the rules tried" },
};
#define N_CMD (sizeof(aCmd)/sizeof(aCmd[0]))

static void usage(FILE *f){
  size_t i;
  fprintf(f, "usage: polarlite COMMAND [options]\n\ncommands:\n");
  for(i=0; i<N_CMD; i++){
    fprintf(f, "  %-9s %s\n", aCmd[i].zName, aCmd[i].zHelp);
  }
  fprintf(f, "\npolarlite help COMMAND (or polarlite COMMAND --help): its options\n"
             "polarlite --version: the versions of polarlite, SQLite and librdkafka\n");
}

static int find_cmd(const char *zName){
  size_t i;
  for(i=0; i<N_CMD; i++){
    if( strcmp(zName, aCmd[i].zName)==0 ) return (int)i;
  }
  return -1;
}

static int unknown_cmd(const char *zName){
  fprintf(stderr, "polarlite: unknown command '%s' (polarlite help: the commands)\n", zName);
  return 2;
}

int main(int argc, char **argv){
  int i;
  if( argc<2 ){
    usage(stderr);
    return 2;
  }
  if( strcmp(argv[1], "--help")==0 || strcmp(argv[1], "-h")==0
   || (strcmp(argv[1], "help")==0 && argc==2) ){
    usage(stdout);
    return 0;
  }
  if( strcmp(argv[1], "--version")==0 || strcmp(argv[1], "-V")==0 ){
    printf("polarlite %s (SQLite %s, librdkafka %s)\n", POLARLITE_VERSION,
           sqlite3_libversion(), rd_kafka_version_str());
    return 0;
  }
  if( strcmp(argv[1], "help")==0 ){
    /* polarlite help CMD = polarlite CMD --help */
    char *azHelp[3];
    char zArg0[32];
    if( argc>3 ){
      fprintf(stderr, "usage: polarlite help [COMMAND]\n");
      return 2;
    }
    if( (i = find_cmd(argv[2]))<0 ) return unknown_cmd(argv[2]);
    snprintf(zArg0, sizeof(zArg0), "polarlite %s", aCmd[i].zName);
    azHelp[0] = zArg0;
    azHelp[1] = "--help";
    azHelp[2] = 0;
    return aCmd[i].xCmd(2, azHelp);
  }
  if( (i = find_cmd(argv[1]))<0 ) return unknown_cmd(argv[1]);
  {
    /* getopt prefixes its messages with argv[0] */
    char zArg0[32];
    snprintf(zArg0, sizeof(zArg0), "polarlite %s", aCmd[i].zName);
    argv[1] = zArg0;
    return aCmd[i].xCmd(argc-1, argv+1);
  }
}
