/*
** cmd.h — the subcommands of the polarlite command. Each returns the
** process exit status (0 ok, 1 failure, 2 usage error; the sidecar also
** uses 3 and 4, see sidecar.c).
*/
#ifndef PL_CMD_H
#define PL_CMD_H

#define POLARLITE_VERSION "0.1.0"

int cmd_sidecar(int argc, char **argv);   /* sidecar.c */
int cmd_publish(int argc, char **argv);   /* publish.c */
int cmd_status(int argc, char **argv);    /* tools.c */
int cmd_test(int argc, char **argv);      /* tools.c */
int cmd_check(int argc, char **argv);     /* tools.c */
int cmd_explain(int argc, char **argv);   /* explain.c */
int cmd_snapshot(int argc, char **argv);  /* snapshot.c */
int cmd_restore(int argc, char **argv);   /* snapshot.c */
int cmd_serve(int argc, char **argv);     /* serve.c */

/* usage.c. A command's help text starts with its usage line(s), then a
** blank line. usage_help prints all of it on stdout and returns 0;
** usage_error prints "polarlite CMD: <zFmt...>" (when zFmt is not NULL),
** the usage lines and a pointer to `polarlite help CMD` on stderr, and
** returns 2. getopt's own messages already name the command: main() sets
** argv[0] to "polarlite CMD". */
int usage_help(const char *zHelp);
int usage_error(const char *zCmd, const char *zHelp, const char *zFmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf,3,4)))
#endif
  ;

#endif
