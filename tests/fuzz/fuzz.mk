# tests/fuzz/fuzz.mk — libFuzzer targets (clang, ASan + UBSan), built into
# build/fuzz/. Used by the top-level `make fuzz` / `make fuzz-smoke`
# through tests/fuzz/run.sh; run from the repository root:
#   make -f tests/fuzz/fuzz.mk           build every target
FCC     ?= clang
FBUILD  ?= build/fuzz
FSAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FCFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(FSAN) -DSQLITE_CORE \
           -Iext -Isidecar -Itests/fuzz -Itests/diff
FLIBS   := -lsqlite3 -lm

FUZZ_TARGETS := policy value json message manifest compile serve_json diff

EXT_SRC  := $(sort $(wildcard ext/*.c ext/*/*.c))
EXT_OBJ  := $(EXT_SRC:ext/%.c=$(FBUILD)/obj/ext/%.o)
# sidecar pieces some targets link (the rest needs Kafka/S3)
SC_OBJ_message  := $(FBUILD)/obj/sc_apply.o $(FBUILD)/obj/sc_engine.o $(FBUILD)/obj/sc_log.o
SC_OBJ_manifest := $(FBUILD)/obj/sc_manifest.o
SC_OBJ_serve_json := $(FBUILD)/obj/sc_serve_json.o
# the differential test's generator and runner (tests/diff/)
DIFF_OBJ := $(FBUILD)/obj/diff_gen.o $(FBUILD)/obj/diff_diff.o
HDRS := $(wildcard ext/*.h sidecar/*.h tests/fuzz/*.h tests/diff/*.h)

all: $(FUZZ_TARGETS:%=$(FBUILD)/fuzz_%)

$(FBUILD)/obj/ext/%.o: ext/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FBUILD)/obj/sc_%.o: sidecar/%.c $(HDRS) | $(FBUILD)/obj
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FBUILD)/obj/fuzz_%.o: tests/fuzz/fuzz_%.c $(HDRS) | $(FBUILD)/obj
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FBUILD)/obj/diff_%.o: tests/diff/%.c $(HDRS) | $(FBUILD)/obj
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# manifest.c stands alone; every other target links the engine
$(FBUILD)/fuzz_manifest: $(FBUILD)/obj/fuzz_manifest.o $(SC_OBJ_manifest)
	$(FCC) $(FSAN) -fsanitize=fuzzer -o $@ $^ $(FLIBS)

$(FBUILD)/fuzz_serve_json: $(FBUILD)/obj/fuzz_serve_json.o $(SC_OBJ_serve_json) $(EXT_OBJ)
	$(FCC) $(FSAN) -fsanitize=fuzzer -o $@ $^ $(FLIBS)

$(FBUILD)/fuzz_message: $(FBUILD)/obj/fuzz_message.o $(SC_OBJ_message) $(EXT_OBJ)
	$(FCC) $(FSAN) -fsanitize=fuzzer -o $@ $^ $(FLIBS)

$(FBUILD)/fuzz_diff: $(FBUILD)/obj/fuzz_diff.o $(DIFF_OBJ) $(EXT_OBJ)
	$(FCC) $(FSAN) -fsanitize=fuzzer -o $@ $^ $(FLIBS)

$(FBUILD)/fuzz_%: $(FBUILD)/obj/fuzz_%.o $(EXT_OBJ)
	$(FCC) $(FSAN) -fsanitize=fuzzer -o $@ $^ $(FLIBS)

$(FBUILD)/obj:
	mkdir -p $@

.PHONY: all
.SECONDARY:
