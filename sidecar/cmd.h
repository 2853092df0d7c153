/*
** cmd.h — the subcommands of the polarlite command. Each returns the
** process exit status (0 ok, 1 failure, 2 usage error; the sidecar also
** uses 3 and 4, see sidecar.c).
*/
#ifndef PL_CMD_H
#define PL_CMD_H

int cmd_sidecar(int argc, char **argv);   /* sidecar.c */
int cmd_publish(int argc, char **argv);   /* publish.c */
int cmd_status(int argc, char **argv);    /* tools.c */
int cmd_test(int argc, char **argv);      /* tools.c */
int cmd_check(int argc, char **argv);     /* tools.c */
int cmd_explain(int argc, char **argv);   /* explain.c */
int cmd_snapshot(int argc, char **argv);  /* snapshot.c */
int cmd_restore(int argc, char **argv);   /* snapshot.c */

#endif
