# polarlite — `make` builds polarlite.so (SQLite extension), libpolarlite.a
# (the engine core for the sidecar) and the polarlite command.
CC      ?= cc
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Werror
CFLAGS  += $(OPT) $(WARN) -std=c11 -D_GNU_SOURCE $(SAN)
LDFLAGS += $(SAN)
BUILD   ?= build
LIB     ?= libpolarlite.a
BIN     ?= polarlite

# ext/ is one folder per stage (ext/pl_int.h lists them) plus ext/ext.c
EXT_SRC  := $(sort $(wildcard ext/*.c ext/*/*.c))
EXT_HDR  := $(wildcard ext/*.h)
SO_OBJ   := $(EXT_SRC:ext/%.c=$(BUILD)/so/%.o)
CORE_OBJ := $(EXT_SRC:ext/%.c=$(BUILD)/core/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

SIDECAR_SRC := $(sort $(wildcard sidecar/*.c))
SIDECAR_OBJ := $(SIDECAR_SRC:sidecar/%.c=$(BUILD)/sidecar/%.o)
SIDECAR_HDR := $(wildcard sidecar/*.h)
SIDECAR_LIBS := -lsqlite3 -lrdkafka -lcurl -lmicrohttpd -lcrypto -lpthread -lm

.PHONY: all check test unit sqltest corpus lang sidecartest snapshottest servetest sanitize demo demo-sidecar clean deps bench
.PHONY: fuzz fuzz-smoke valgrind securitytest mockbroker soak install hosttest difftest diffquick pending
all: polarlite.so $(LIB) $(BIN)

polarlite.so: $(SO_OBJ)
	$(CC) -shared -o $@ $(SO_OBJ) $(LDFLAGS)

$(LIB): $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $(CORE_OBJ)

$(BUILD)/so/%.o: ext/%.c $(EXT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iext -fPIC -c -o $@ $<

$(BUILD)/core/%.o: ext/%.c $(EXT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iext -DSQLITE_CORE -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(LIB) $(EXT_HDR) $(wildcard tests/unit/*.h) | $(BUILD)/unit
	$(CC) $(CFLAGS) -DSQLITE_CORE -Iext -o $@ $< $(LIB) -lsqlite3 $$(pkg-config --libs check) $(LDFLAGS)

# The polarlite command (sidecar/): links the engine core, never a copy of it.
$(BIN): $(SIDECAR_OBJ) $(LIB)
	$(CC) -o $@ $(SIDECAR_OBJ) $(LIB) $(SIDECAR_LIBS) $(LDFLAGS)

$(BUILD)/sidecar/%.o: sidecar/%.c $(SIDECAR_HDR) $(EXT_HDR) | $(BUILD)/sidecar
	$(CC) $(CFLAGS) -DSQLITE_CORE -Iext -c -o $@ $<

$(BUILD)/unit $(BUILD)/sidecar:
	mkdir -p $@

deps:
	scripts/install-deps.sh

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-120} CK_FORK=$${CK_FORK:-yes} $$t; done

sqltest: polarlite.so
	tests/sql/run.sh

corpus: polarlite.so
	/usr/bin/python3 tests/corpus/run_corpus.py

lang: polarlite.so
	tests/lang/run.sh

# The extension inside other people's processes (sqlite3 shell, Python,
# Node): loading twice, failed loads, unreadable files, closing in any
# order, threads; each case a child process that must exit 0.
hosttest: polarlite.so
	tests/host/run.sh

# The sidecar against librdkafka's Kafka-protocol mock cluster over TCP.
sidecartest: all
	tests/sidecar/run.sh

# Snapshots against s3rver on loopback and file:// storage, and the
# sidecar's snapshot modes against s3rver and the mock broker.
snapshottest: all mockbroker
	tests/snapshot/run.sh

# polarlite serve: the official oso-cloud SDK from npm (tests/serve, pinned)
# against it on loopback, the cell with the mock Kafka cluster and file://
# snapshots, and hostile HTTP clients.
servetest: all mockbroker
	tests/serve/run.sh

# librdkafka's Kafka-protocol mock cluster as a program, for the tests and
# measurements (tests/sidecar/mockbroker.c); never built with $(SAN).
MOCKBROKER := build/sidecartest/mockbroker
mockbroker: $(MOCKBROKER)
$(MOCKBROKER): tests/sidecar/mockbroker.c
	mkdir -p $(dir $@)
	cc -O2 -g $(WARN) -std=c11 -D_GNU_SOURCE -o $@ $< -lrdkafka

# The differential test (tests/diff/): random policies and facts asked of the
# compiler (authorize, polar_list, ...) and of the independent evaluator
# (polar_eval). `make difftest DIFF_SECONDS=1800 DIFF_SEED=7 DIFF_FAMILY=klevel`
# runs it that long; `make diffquick` is the seeded quick run in `make check`.
# New disagreements are cut down and written to $(DIFF_OUT).
DIFF_SRC    := tests/diff/difftest.c tests/diff/diff.c tests/diff/gen.c
DIFF_BIN    := $(BUILD)/difftest
DIFF_SECONDS ?= 60
DIFF_SEED   ?= 1
DIFF_FAMILY ?= mixed
DIFF_OUT    ?= $(BUILD)/diff-found
$(DIFF_BIN): $(DIFF_SRC) tests/diff/diff.h tests/diff/gen.h $(LIB)
	$(CC) $(CFLAGS) -DSQLITE_CORE -o $@ $(DIFF_SRC) $(LIB) -lsqlite3 -lm $(LDFLAGS)
difftest: $(DIFF_BIN)
	mkdir -p $(DIFF_OUT)
	$(DIFF_BIN) --seconds $(DIFF_SECONDS) --seed $(DIFF_SEED) --family $(DIFF_FAMILY) \
	  --known tests/diff/known.txt --out $(DIFF_OUT)
diffquick: $(DIFF_BIN)
	$(DIFF_BIN) --policies 150 --seed 1 --family general --known tests/diff/known.txt
	$(DIFF_BIN) --policies 50 --seed 1 --family concrete --known tests/diff/known.txt
	$(DIFF_BIN) --policies 60 --seed 1 --family klevel --known tests/diff/known.txt

# Corpus cases whose expectations the current compiler does not meet yet
# (found by the differential test; tests/corpus/pending/).
pending: polarlite.so
	@set -- tests/corpus/pending/*.polar; if [ -e "$$1" ]; then \
	  /usr/bin/python3 tests/corpus/run_corpus.py "$$@"; else echo "no pending cases"; fi

# libFuzzer targets (tests/fuzz/, clang with ASan+UBSan, built in $(BUILD)/fuzz):
# `make fuzz FUZZ_SECONDS=N` fuzzes each N seconds; fuzz-smoke replays the
# seed corpus and tests/fuzz/regressions/ and fuzzes each a few seconds.
FUZZ_SECONDS ?= 60
fuzz:
	FBUILD=$(BUILD)/fuzz tests/fuzz/run.sh fuzz $(FUZZ_SECONDS)
fuzz-smoke:
	FBUILD=$(BUILD)/fuzz FUZZ_SMOKE_SECONDS=$${FUZZ_SMOKE_SECONDS:-3} tests/fuzz/run.sh smoke

# Unit, SQL and host suites under valgrind memcheck: any error or leak
# fails (Node: errors only; its own allocations are not ours to judge).
VALGRIND := valgrind -q --error-exitcode=125 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
valgrind: polarlite.so $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
	  CK_FORK=no CK_DEFAULT_TIMEOUT=600 $(VALGRIND) $$t; done
	SQLITE3="$(VALGRIND) sqlite3" SQL_TIMEOUT=900 tests/sql/run.sh
	PYTHONMALLOC=malloc HOST_WRAP="$(VALGRIND)" HOST_HOSTS="sqlite3 python" tests/host/run.sh
	HOST_WRAP="valgrind -q --error-exitcode=125" HOST_HOSTS=node tests/host/run.sh

# The SQL surface against hostile values and hostile schemas (tests/security/).
securitytest: polarlite.so
	/usr/bin/python3 tests/security/run.py

# Soak and fault test (tests/soak/): the sidecar applying a long log under
# kill -9, broker outages, request errors and restores, readers hammering
# authorize throughout. Not part of `make test`; SOAK_SECONDS=60 is a smoke run.
SOAK_SECONDS ?= 1200
soak: all
	SOAK_SECONDS=$(SOAK_SECONDS) tests/soak/run.sh

# check: every suite once, on the plain build (the quick run while working).
# test: what CI runs (.ci/run): check, then the whole suite again under
# ASan/UBSan, then the unit and SQL suites under valgrind; any failure,
# sanitizer report, memcheck error or leak fails it.
check: deps
	$(MAKE) all
	$(MAKE) unit sqltest corpus lang hosttest sidecartest snapshottest servetest fuzz-smoke securitytest diffquick

test: check
	$(MAKE) sanitize
	$(MAKE) valgrind
	$(MAKE) all

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
# First in place: the unit tests and the quick differential test, and the
# SQL, corpus, security and host suites with the instrumented extension in
# Debian's sqlite3 and python3 (and Node, for the host cases; libasan
# preloaded; leaks are left to `make valgrind`). Then the sidecar, snapshot
# and serve suites run the instrumented polarlite command, built apart in
# $(SANBUILD) (leak checking on), next to a plain polarlite.so for the
# test's own sqlite3/python readers, so that no tool of the harness (curl,
# kcat, node) runs with a sanitizer runtime preloaded. Any report fails.
# Not here: tests/lang (Node) runs the corpus cases the Python run covers.
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SANMAKE  := $(MAKE) SAN="$(SANFLAGS)" OPT="-O1 -g"
SANBUILD := build/san
sanitize: deps
	$(MAKE) clean
	$(SANMAKE) all unit diffquick
	LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \
	  $(SANMAKE) sqltest corpus securitytest hosttest
	$(MAKE) clean
	$(SANMAKE) BUILD=$(SANBUILD) LIB=$(SANBUILD)/libpolarlite.a BIN=$(SANBUILD)/polarlite \
	  $(SANBUILD)/polarlite
	POLARLITE=$(CURDIR)/$(SANBUILD)/polarlite $(MAKE) sidecartest snapshottest servetest
	rm -rf $(SANBUILD)

# The demos install and build only what they use: the extension and the
# sqlite3 shell (demo), and the polarlite command (demo-sidecar); no npm.
demo:
	scripts/install-deps.sh ext
	$(MAKE) -j$$(nproc) polarlite.so
	scripts/demo.sh

# publish -> apply -> authorize with `polarlite sidecar --dev` (no Kafka needed)
demo-sidecar:
	scripts/install-deps.sh ext cmd
	$(MAKE) -j$$(nproc) polarlite.so $(BIN)
	scripts/demo-sidecar.sh

# make install [PREFIX=/usr/local] [DESTDIR=...]: the command where the
# sample systemd unit runs it (PREFIX/bin/polarlite), the extension as
# PREFIX/lib/polarlite.so (.load /usr/local/lib/polarlite), the docs and the
# sample unit (its paths set to PREFIX) under PREFIX/share/doc/polarlite.
PREFIX ?= /usr/local
DOCDIR := $(DESTDIR)$(PREFIX)/share/doc/polarlite
install: polarlite.so $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DOCDIR)
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/polarlite
	install -m 644 polarlite.so $(DESTDIR)$(PREFIX)/lib/polarlite.so
	install -m 644 README.md docs/*.md $(DOCDIR)/
	sed 's|/usr/local/|$(PREFIX)/|g' scripts/polarlite-sidecar.service \
	  >$(DOCDIR)/polarlite-sidecar.service
	@echo "installed $(PREFIX)/bin/polarlite and $(PREFIX)/lib/polarlite.so$(if $(DESTDIR), under $(DESTDIR))"

bench:
	scripts/install-deps.sh bench/peers
	$(MAKE) all
	$(MAKE) -C bench

clean:
	rm -rf $(BUILD) polarlite.so libpolarlite.a polarlite
