#!/bin/sh
# shell_case.sh DB SCRIPT WANT: the sqlite3 shell (under $HOST_WRAP) reads
# SCRIPT on stdin, where an error does not stop it and .open closes the
# connection it had. Passes when sqlite3 exits 0 or 1 (an SQL error; a crash
# is a signal) and its last line of output is WANT. Run by tests/host/run.sh.
out=$($HOST_WRAP sqlite3 "$1" <"$2" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -le 1 ] && [ "$(printf '%s\n' "$out" | tail -n 1)" = "$3" ]
