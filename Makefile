# gridline: one non-recursive Makefile. Everything built lands in build/, runtime state in var/.
#   make            build the four services, the tools, the unit tests and the dashboard's files
#   make run        install what is missing, build, start Redis + services + demo traffic (Ctrl-C stops)
#   make up / down  the same in the background, for scripts
#   make test       build and run unit + end-to-end tests; last line "N passed, N failed"
#   make deps       install the Debian packages to build, run and test (sudo only when not root)
#   make bench      measure the whole path (appeals/s, Redis commands per appeal), the deadlines
#                   and the notifier (delivery latency, alerts/s beside Alertmanager)
#   make lint       clang-format check + cppcheck
#   make test SAN=address,undefined   (or SAN=thread) everything built with those sanitizers
#                   into build-san-address-undefined/ (build-san-thread/); a report fails the test
#   make fuzz       libFuzzer targets (tests/fuzz), FUZZ_SECONDS=30 each, built in build-fuzz/
#   make fuzz-merge add what make fuzz found that reaches new code to tests/fuzz/corpus/ (review it)

CC      ?= cc
# SAN: a comma-separated list for -fsanitize= (gcc); each combination has its own build dir.
SAN     ?=
# FUZZ=1 (set by make fuzz): clang, libFuzzer-ready objects and the fuzz targets in build-fuzz/.
FUZZ    ?=
ifneq ($(FUZZ),)
CC      := $(or $(FUZZ_CC),clang)
BUILD   ?= build-fuzz
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer -Wno-unknown-warning-option
OPT     ?= -O1
else ifneq ($(SAN),)
comma   := ,
BUILD   ?= build-san-$(subst $(comma),-,$(SAN))
SAN_FLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT     ?= -O1
endif
BUILD   ?= build
PKGS    := libzmq libprotobuf-c hiredis libmicrohttpd jansson yaml-0.1 libcurl libcrypto
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += $(SAN_FLAGS)
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wno-format-truncation \
           -fno-strict-aliasing -MMD -MP -Icommon -I$(BUILD)/gen
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lpthread -lm
CFLAGS  += $(PKG_CFLAGS)

GEN_SRC    := $(BUILD)/gen/gridline.pb-c.c
COMMON_SRC := $(wildcard common/*.c)
LUA_SRC    := $(filter-out common/lua/lib.lua,$(wildcard common/lua/*.lua))
COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC)) $(BUILD)/gen/gridline.pb-c.o \
              $(BUILD)/gen/scripts_lua.o
LIB        := $(BUILD)/libgridline.a

SERVICES   := intake router notifier aggregator
SVC_BINS   := $(patsubst %,$(BUILD)/gridline-%,$(SERVICES))
TOOLS      := loadgen sink gridctl
TOOL_BINS  := $(BUILD)/gridline-loadgen $(BUILD)/gridline-sink $(BUILD)/gridctl
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# Helpers of the end-to-end tests (a forged-frame sender): built, never run as tests.
TEST_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
# Every fuzz target (tests/fuzz/fuzz_<name>.c) is also a unit test, test_fuzz_<name>: it replays
# the target's seed corpus and regressions (tests/fuzz/{corpus,regressions}/<name>/) through the
# same function, so make test (and every SAN build) checks what fuzzing once found.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
REPLAY_BINS := $(patsubst %,$(BUILD)/tests/test_fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 30

# The wall screen (GET /dashboard on the aggregator): the committed sources in dashboard/ and
# ECharts from npm (package-lock.json pins it), copied together into $(BUILD)/dashboard/.
DASH_SRC   := $(wildcard dashboard/*)
DASH_FILES := $(patsubst dashboard/%,$(BUILD)/dashboard/%,$(DASH_SRC)) $(BUILD)/dashboard/echarts.min.js

.PHONY: all run up down test unit e2e deps clean lint bench format fuzz fuzz-build fuzz-merge dashboard
all: $(SVC_BINS) $(TOOL_BINS) $(UNIT_BINS) $(REPLAY_BINS) $(TEST_TOOLS) $(DASH_FILES)

dashboard: $(DASH_FILES)

# npm ci only when node_modules is missing or older than the lock file (npm writes
# node_modules/.package-lock.json on every install; touch marks this one as done).
node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

$(BUILD)/dashboard/echarts.min.js: node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	cp node_modules/echarts/dist/echarts.min.js $@

$(BUILD)/dashboard/%: dashboard/%
	@mkdir -p $(dir $@)
	cp $< $@

# One run of protoc-c makes both files (&:), so make -j does not run it twice at once.
$(BUILD)/gen/gridline.pb-c.c $(BUILD)/gen/gridline.pb-c.h &: proto/gridline.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto proto/gridline.proto

# Everything that includes common headers may include the generated header.
$(BUILD)/%.o: %.c $(BUILD)/gen/gridline.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/gen/gridline.pb-c.o: $(BUILD)/gen/gridline.pb-c.c
	$(CC) $(CFLAGS) -c -o $@ $<

# The Lua scripts, each with lib.lua's helpers in front, as C strings (common/scripts.c).
$(BUILD)/gen/scripts_lua.c: common/lua/lib.lua $(LUA_SRC) scripts/embed-lua.sh
	@mkdir -p $(BUILD)/gen
	scripts/embed-lua.sh $@ common/lua/lib.lua $(LUA_SRC)

$(BUILD)/gen/scripts_lua.o: $(BUILD)/gen/scripts_lua.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# A service or tool is every .c file in its folder, linked with the common library.
define program
$(1): $$(patsubst %.c,$(BUILD)/%.o,$$(wildcard $(2)/*.c)) $$(LIB)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call program,$(BUILD)/gridline-$(s),services/$(s))))
$(eval $(call program,$(BUILD)/gridline-loadgen,tools/loadgen))
$(eval $(call program,$(BUILD)/gridline-sink,tools/sink))
$(eval $(call program,$(BUILD)/gridctl,tools/gridctl))

# A unit test may also link the modules of one service (tests/unit/test_<svc>_*.c).
svc_objs = $(patsubst %.c,$(BUILD)/%.o,$(filter-out %/main.c,$(wildcard services/$(1)/*.c)))
$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB) $(foreach s,$(SERVICES),$(call svc_objs,$(s)))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iservices -o $@ $< \
	  $(foreach s,$(SERVICES),$(if $(findstring test_$(s)_,$@),$(call svc_objs,$(s)))) \
	  $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The objects a fuzz target links besides libgridline (by target name).
fuzz_objs = $(if $(filter submission action batch gateway open311,$(1)),$(call svc_objs,intake))
$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB) $(call svc_objs,intake)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iservices -DFUZZ_NAME='"$*"' -o $@ $< tests/fuzz/replay.c \
	  $(call fuzz_objs,$*) $(LIB) $(LDLIBS) -lcmocka
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB) $(call svc_objs,intake)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Iservices -o $@ $< $(call fuzz_objs,$*) $(LIB) $(LDLIBS)

# Which Debian packages each purpose needs (scripts/deps.sh): make run installs no test tools.
deps: deps-test
deps-%:
	@scripts/deps.sh $*

# run, up and test install what is missing first, then build in a fresh make: the package
# flags above come from pkg-config, which answers only once the packages are there.
run: deps-run
	@$(MAKE) --no-print-directory all
	@scripts/run.sh foreground

up: deps-run
	@$(MAKE) --no-print-directory all
	@scripts/run.sh background

down:
	@scripts/run.sh stop

unit: $(UNIT_BINS) $(REPLAY_BINS)
	@BUILD=$(BUILD) SAN=$(SAN) tests/run.sh unit

e2e: all
	@BUILD=$(BUILD) SAN=$(SAN) tests/run.sh e2e

test: deps-test
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SAN=$(SAN) tests/run.sh all

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh
	@E2E_FSYNC=everysec bench/run.sh
	@MODE=batch E2E_FSYNC=always bench/run.sh
	@MODE=batch E2E_FSYNC=everysec bench/run.sh
	@MODE=gateway E2E_FSYNC=always bench/run.sh
	@MODE=gateway E2E_FSYNC=everysec bench/run.sh
	@bench/deadlines.sh
	@bench/stats.sh
	@bench/notifier.sh

# make fuzz: every target for FUZZ_SECONDS; new inputs go to build-fuzz/corpus/<name> (not the
# tracked corpus), a crash leaves build-fuzz/artifacts/<name>-crash-* and fails the run.
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
	@BUILD=$(if $(filter command line,$(origin BUILD)),$(BUILD),build-fuzz) \
	  FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_NAMES)

fuzz-build: $(FUZZ_BINS)

fuzz-merge: deps-fuzz
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
	@BUILD=$(if $(filter command line,$(origin BUILD)),$(BUILD),build-fuzz) \
	  tests/fuzz/run.sh --merge $(FUZZ_NAMES)

lint: deps-lint
	clang-format --dry-run --Werror common/*.[ch] services/*/*.[ch] tools/*/*.[ch] tests/unit/*.c \
	  tests/fuzz/*.[ch]
	@# varFuncNullUB: log_kv's NULL sentinel is a pointer on glibc ((void *)0), and gcc checks
	@# every call for it (__attribute__((sentinel)) in common/log.h).
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  --suppress=missingIncludeSystem --suppress=varFuncNullUB -Icommon common services tools

format:
	clang-format -i common/*.[ch] services/*/*.[ch] tools/*/*.[ch] tests/unit/*.c tests/fuzz/*.[ch]

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
