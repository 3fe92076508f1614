# vidlake - Apache-2.0
#
# Targets: all (release build: build/vidlake, build/libvidlake.a), test (aka
# check: installs what is missing, builds with ASan+UBSan, runs every unit,
# integration and fuzz-corpus test), demo, bench, fuzz (libFuzzer, clang),
# asan, deps, install, clean. CC, CFLAGS, LDFLAGS, PREFIX, DESTDIR override.
#
# Each mode builds out of tree in build/<mode>/ with -MMD -MP header deps.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
FUZZ_CC ?= clang
PKGS    := zlib libzstd liblz4 libbrotlidec libdeflate libmicrohttpd rdkafka libcrypto libcurl

WARN := -Wall -Wextra -Werror -Wshadow -Wcast-qual -Wcast-align -Wstrict-prototypes \
        -Wmissing-prototypes -Wundef -Wvla -Wformat=2 -Wpointer-arith -Wwrite-strings
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Isrc -Itests \
               $(if $(PKGS),$(shell pkg-config --cflags $(PKGS)))
LIBS := $(if $(PKGS),$(shell pkg-config --libs $(PKGS))) -lsnappy -lm -pthread

MODE ?= release
ifeq ($(MODE),release)
  MODE_CFLAGS := -O2 -g -DNDEBUG
else ifeq ($(MODE),asan)
  MODE_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  MODE_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(MODE),debug)
  MODE_CFLAGS := -O0 -g
else ifeq ($(MODE),fuzz)
  CC := $(FUZZ_CC)
  MODE_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  MODE_LDFLAGS := -fsanitize=fuzzer,address,undefined
else
  $(error unknown MODE '$(MODE)': release, asan, debug or fuzz)
endif

B := build/$(MODE)
ALL_CFLAGS := $(BASE_CFLAGS) $(MODE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(MODE_LDFLAGS) $(LDFLAGS)

# Module order (DESIGN.md): a module includes only modules before it.
MODULES  := core event parquet store delta exec stream ingest etl warehouse server
LIB_SRC  := $(filter-out %_test.c,$(foreach m,$(MODULES),$(wildcard src/$(m)/*.c)))
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(foreach m,$(MODULES),$(wildcard src/$(m)/*_test.c))
FUZZ_SRC := $(filter-out fuzz/replay_main.c,$(wildcard fuzz/*.c))
BENCH_SRC := $(wildcard bench/*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
TESTS    := $(foreach t,$(TEST_SRC),$(B)/test/$(notdir $(t:.c=)))
REPLAYS  := $(foreach f,$(FUZZ_SRC),$(B)/fuzz/$(notdir $(f:.c=))_replay)
FUZZERS  := $(foreach f,$(FUZZ_SRC),$(B)/fuzz/$(notdir $(f:.c=)))
BENCHES  := $(foreach f,$(BENCH_SRC),$(B)/bench/$(notdir $(f:.c=)))
TOOLS    := $(foreach f,$(TOOL_SRC),$(B)/tools/$(notdir $(f:.c=)))

# The dashboard's files, built into libvidlake.a (src/server/server_assets.h):
# web/ and uPlot from npm (node_modules/uplot, MIT) become one generated C
# source; it is regenerated when a file in web/ changes, or one comes or goes.
UPLOT     := node_modules/uplot
WEB_SRC   := $(sort $(wildcard web/*.html web/*.mjs web/*.js web/*.css web/*.svg))
ASSET_SRC := $(WEB_SRC) $(UPLOT)/dist/uPlot.iife.min.js $(UPLOT)/dist/uPlot.min.css $(UPLOT)/LICENSE
ASSET_OBJ := $(B)/obj/gen/server_assets_data.o

.PHONY: all build tests-build test check test-s3 asan demo bench benches fuzz fuzz-build fuzzers deps install clean lint

all:
	@$(MAKE) --no-print-directory MODE=release build
	@cp -f build/release/vidlake build/vidlake
	@cp -f build/release/libvidlake.a build/libvidlake.a

build: $(B)/vidlake $(B)/libvidlake.a

$(B)/libvidlake.a: $(LIB_OBJ) $(ASSET_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

$(B)/vidlake: $(CLI_OBJ) $(B)/libvidlake.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libvidlake.a $(LIBS)

# V=1 shows full command lines.
ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-6s %s\n'
endif

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Dashboard assets: generate the C source, then compile it like the rest.
$(B)/gen/server_assets_data.c: scripts/embed-assets.sh $(ASSET_SRC) web
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q)scripts/embed-assets.sh $@ $(ASSET_SRC)

$(ASSET_OBJ): $(B)/gen/server_assets_data.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Without node_modules/uplot, say how to get it instead of "No rule to make".
$(UPLOT)/%:
	@echo "error: $@ is missing: the dashboard is built with uPlot from npm; run 'make deps' (npm ci)" >&2
	@exit 1

# One test binary per module test file: build/<mode>/test/<mod>_test.
define test_rule
$(B)/test/$(notdir $(1:.c=)): $(B)/obj/$(1:.c=.o) $(B)/libvidlake.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(TEST_SRC),$(eval $(call test_rule,$(t))))

# Fuzz targets: with MODE=fuzz a libFuzzer binary; in every mode a replay
# binary (fuzz/replay_main.c) that runs the committed corpus.
define fuzz_rule
$(B)/fuzz/$(notdir $(1:.c=))_replay: $(B)/obj/$(1:.c=.o) $(B)/obj/fuzz/replay_main.o $(B)/libvidlake.a
	@mkdir -p $$(@D)
	$$(CC) $$(filter-out -fsanitize=fuzzer%,$$(ALL_LDFLAGS)) -o $$@ $$^ $$(LIBS)
$(B)/fuzz/$(notdir $(1:.c=)): $(B)/obj/$(1:.c=.o) $(B)/libvidlake.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach f,$(FUZZ_SRC),$(eval $(call fuzz_rule,$(f))))

# Benchmarks may compare against peer libraries; each is built in only when
# pkg-config finds it (HAVE_<NAME>), and `make bench` installs them.
BENCH_PEERS := json-c:JSONC
BENCH_FOUND := $(foreach p,$(BENCH_PEERS),$(if $(shell pkg-config --exists $(firstword $(subst :, ,$(p))) 2>/dev/null && echo y),$(p)))
BENCH_CFLAGS := $(foreach p,$(BENCH_FOUND),-DHAVE_$(lastword $(subst :, ,$(p))) $(shell pkg-config --cflags $(firstword $(subst :, ,$(p)))))
BENCH_LIBS := $(foreach p,$(BENCH_FOUND),$(shell pkg-config --libs $(firstword $(subst :, ,$(p)))))

$(B)/obj/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(BENCH_CFLAGS) -MMD -MP -c -o $@ $<

define bench_rule
$(B)/bench/$(notdir $(1:.c=)): $(B)/obj/$(1:.c=.o) $(B)/libvidlake.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS) $$(BENCH_LIBS)
endef
$(foreach f,$(BENCH_SRC),$(eval $(call bench_rule,$(f))))

# Test tools (tests/tools/*.c): helpers the integration tests and benchmarks
# run, such as an in-process Kafka cluster: build/<mode>/tools/<name>.
define tool_rule
$(B)/tools/$(notdir $(1:.c=)): $(B)/obj/$(1:.c=.o) $(B)/libvidlake.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach f,$(TOOL_SRC),$(eval $(call tool_rule,$(f))))

tests-build: build $(TESTS) $(REPLAYS) $(TOOLS)

deps:
	@scripts/deps.sh

# The suite: ASan+UBSan build of everything, then tests/run.sh.
test check: deps
	@$(MAKE) --no-print-directory MODE=asan tests-build
	@$(MAKE) --no-print-directory all
	@scripts/run-tests.sh build/asan

# The S3 tests alone (a throwaway Ceph RGW on loopback; make test runs them too).
test-s3: deps
	@$(MAKE) --no-print-directory MODE=asan tests-build
	@$(MAKE) --no-print-directory all
	@VIDLAKE_TESTS='08*' scripts/run-tests.sh build/asan

asan:
	@$(MAKE) --no-print-directory MODE=asan tests-build

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps
	@scripts/deps.sh --bench
	@$(MAKE) --no-print-directory MODE=release build benches
	@$(MAKE) --no-print-directory all
	@scripts/bench.sh build/release

fuzz-build:
	@$(MAKE) --no-print-directory MODE=fuzz fuzzers

fuzzers: $(FUZZERS)
benches: $(BENCHES)

# make fuzz [FUZZ_SECONDS=600] [FUZZ_TARGET=event_json]: runs each target
# (or one) for FUZZ_SECONDS on a copy of its corpus, new inputs go to
# build/fuzz/corpus/<target>; minimise and commit the ones worth keeping.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/deps.sh --fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGET)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib
	install -m 755 build/vidlake $(DESTDIR)$(PREFIX)/bin/vidlake
	install -m 644 build/libvidlake.a $(DESTDIR)$(PREFIX)/lib/libvidlake.a

lint:
	@scripts/check-layers.sh

clean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
