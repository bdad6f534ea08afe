# gongkai — build, run and test.
#
#   make            bin/gongkai-intake, bin/gongkai-aggregator, bin/gongkai
#   make test       unit tests, then system tests on a throwaway PostgreSQL
#   make asan       the same binaries and unit tests under ASan+UBSan (build/asan)
#   make test-asan  the whole test suite against the ASan+UBSan binaries
#   make test-faults  crashes, restarts, outages (tests/faults): nothing lost or doubled
#   make test-compose docker-compose.yml on a local Docker engine (tests/compose)
#   make test-tsan  the aggregator's threads under ThreadSanitizer (build/tsan)
#   make run        install what is missing, start everything on a local cluster
#   make bench      the benchmark (bench/run.sh): figures into bench/results.md
#
# Every lib/LAYER/*.c goes into one static library both services and the CLI link;
# every tests/unit/test_*.c becomes one cmocka test program.

CC      ?= cc
OPT     ?= -O2 -g
BUILD   ?= build
BIN     ?= bin
PKGS    := libczmq libzmq libprotobuf-c libpq jansson libmicrohttpd libcmark libsodium libxml-2.0
# A machine without the packages: stop at once with one line that names what is
# missing and how to install it (not for run, which installs them first, nor
# for clean and check-layers, which need no compiler).
ifneq ($(filter-out run clean check-layers,$(or $(MAKECMDGOALS),all)),)
MISSING := $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),,$(p))) \
           $(if $(shell command -v protoc-c 2>/dev/null),,protoc-c) $(if $(shell command -v pkg-config 2>/dev/null),,pkg-config)
ifneq ($(strip $(MISSING)),)
$(error missing: $(strip $(MISSING)). Install the packages with deploy/install-deps.sh (as root; otherwise it prints the apt-get line), or build and run everything with: make run)
endif
endif
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror
# lib/ in layers, each using only those below it (make check-layers):
#   core ← model ← rules ← report, and store, transport beside rules;
#   client (libgongkai-client, its API in include/gongkai/) over transport.
LAYERS  := core model rules report store transport client
INCS    := -Iinclude $(addprefix -Ilib/,$(LAYERS))
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(INCS) -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lpthread -lm
PREFIX  ?= /usr/local

GEN_C   := $(BUILD)/gen/gongkai.pb-c.c
GEN_H   := $(BUILD)/gen/gongkai.pb-c.h
LIB_SRC := $(wildcard $(addsuffix /*.c,$(addprefix lib/,$(LAYERS))))
LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/gongkai.pb-c.o
LIBA    := $(BUILD)/libgongkai.a

INTAKE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard intake/*.c))
AGG_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard aggregator/*.c))
CLI_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

PROGS := $(BIN)/gongkai-intake $(BIN)/gongkai-aggregator $(BIN)/gongkai

all: $(PROGS)

# One protoc-c run writes both files: a grouped target, so -j runs it once.
$(GEN_C) $(GEN_H) &: proto/gongkai.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=proto --c_out=$(BUILD)/gen proto/gongkai.proto

# sql itself: its time changes when a migration is added or removed.
$(BUILD)/gen/migrations.inc: sql/embed.sh sql $(wildcard sql/*.sql)
	@mkdir -p $(BUILD)/gen
	sh sql/embed.sh $(sort $(wildcard sql/[0-9]*.sql)) > $@

$(BUILD)/cli/migrate.o: $(BUILD)/gen/migrations.inc

$(BUILD)/gen/gongkai.pb-c.o: $(GEN_C)
	$(CC) $(filter-out -Wmissing-prototypes -Wshadow,$(CFLAGS)) -c $< -o $@

$(BUILD)/%.o: %.c $(GEN_H) $(wildcard lib/*/*.h) $(wildcard include/gongkai/*.h) $(wildcard intake/*.h) $(wildcard aggregator/*.h) $(wildcard cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN)/gongkai-intake: $(INTAKE_OBJ) $(LIBA)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/gongkai-aggregator: $(AGG_OBJ) $(LIBA)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/gongkai: $(CLI_OBJ) $(LIBA)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS) -lcmocka

# libgongkai-client (include/gongkai/client.h): lib/client and the few files
# it uses, built position-independent with only the gk_client_* API visible,
# as a shared library and as a static one (one relocatable object whose other
# symbols are made local, so it clashes with nothing of the program's).
CLIENT_SRC  := lib/client/client.c lib/transport/wire.c lib/transport/curve.c lib/core/alloc.c lib/core/utf8.c
CLIENT_PIC  := $(patsubst %.c,$(BUILD)/pic/%.o,$(CLIENT_SRC)) $(BUILD)/pic/gen/gongkai.pb-c.o
CLIENT_PKGS := libzmq libczmq libprotobuf-c
CLIENT_SO   := $(BUILD)/libgongkai-client.so.1.0.0
CLIENT_A    := $(BUILD)/libgongkai-client.a

$(BUILD)/pic/%.o: %.c $(GEN_H) $(wildcard lib/*/*.h) $(wildcard include/gongkai/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(BUILD)/pic/gen/gongkai.pb-c.o: $(GEN_C)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wmissing-prototypes -Wshadow,$(CFLAGS)) -fPIC -fvisibility=hidden -c $< -o $@

$(CLIENT_SO): $(CLIENT_PIC)
	$(CC) -shared -Wl,-soname,libgongkai-client.so.1 $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(CLIENT_PKGS))

$(CLIENT_A): $(CLIENT_PIC)
	ld -r -o $(BUILD)/pic/gongkai-client.o $^
	objcopy --localize-hidden $(BUILD)/pic/gongkai-client.o
	rm -f $@ && ar rcs $@ $(BUILD)/pic/gongkai-client.o

client: $(CLIENT_SO) $(CLIENT_A)

# The Python client (clients/python/gongkai): its protobuf module, generated
# from proto/ (protoc, Debian's protobuf-compiler) next to its sources.
PY_PB := clients/python/gongkai/gongkai_pb2.py
$(PY_PB): proto/gongkai.proto
	protoc --proto_path=proto --python_out=clients/python/gongkai proto/gongkai.proto

python: $(PY_PB)

# No #include may point up a layer (tests/check-layers.sh says which).
check-layers:
	sh tests/check-layers.sh

unit: check-layers $(UNIT_BIN)
	sh sql/calendar-data.sh --check
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; GONGKAI_SHARED=$(SHARED) $$t; done

SHARED ?= $(abspath ../shared)

# System tests start real processes against a throwaway PostgreSQL cluster.
system: all python
	GONGKAI_BIN=$(abspath $(BIN)) GONGKAI_SHARED=$(SHARED) tests/system/run.sh

test: unit system

asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin CC=clang \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all unit

test-asan: asan
	$(MAKE) BUILD=build/asan BIN=build/asan/bin CC=clang \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" system

# The aggregator's lock rule (aggregator/agg.h) under ThreadSanitizer: the
# system tests that drive its threads hardest. Uninstrumented libraries are
# suppressed (tests/tsan.supp); our code is not.
TSAN_MAKE = $(MAKE) BUILD=build/tsan BIN=build/tsan/bin CC=clang \
  OPT="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" LDFLAGS="-fsanitize=thread"
test-tsan:
	$(TSAN_MAKE) all
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(abspath tests/tsan.supp)" \
	  GONGKAI_BIN=$(abspath build/tsan/bin) GONGKAI_SHARED=$(SHARED) \
	  tests/system/run.sh agg_threads agg_counters agg_uncommitted agg_readers agg_gaps http_hardening metrics_logs timeliness_restart release narrative

# The fault suite: its own throwaway cluster; SIGKILLs, a PostgreSQL outage,
# a stalled aggregator, SIGTERMs, valgrind (tests/faults/run.sh).
test-faults: all
	GONGKAI_BIN=$(abspath $(BIN)) GONGKAI_SHARED=$(SHARED) tests/faults/run.sh

# The image, the stack and the keys volume for real; needs a running Docker
# engine and, where debian:bookworm-slim is missing, root for debootstrap.
test-compose: all
	GONGKAI_BIN=$(abspath $(BIN)) GONGKAI_SHARED=$(SHARED) tests/compose/run.sh

# On a fresh machine: the packages first, then the build, then the system.
# libFuzzer over decode + validate (clang, ASan+UBSan). Bounded: FUZZ_SECONDS.
# A crash leaves crash-* in build/fuzz: copy it to tests/fuzz/regressions/,
# which every run replays first.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(INCS) -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS))
$(BUILD)/fuzz/fuzz_decode: tests/fuzz/fuzz_decode.c $(LIB_SRC) $(GEN_C)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(GEN_C) $(LDLIBS)

$(BUILD)/fuzz/fuzz_text: tests/fuzz/fuzz_text.c lib/core/utf8.c lib/core/utf8.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $< lib/core/utf8.c

$(BUILD)/fuzz/fuzz_import: tests/fuzz/fuzz_import.c $(LIB_SRC) $(GEN_C)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(GEN_C) $(LDLIBS)

# FUZZ_SECONDS in all: half to decode + validate, a third to the report
# importer (HTML and text), a sixth to the text escaper.
fuzz: $(BUILD)/fuzz/fuzz_decode $(BUILD)/fuzz/fuzz_text $(BUILD)/fuzz/fuzz_import
	@mkdir -p $(BUILD)/fuzz/work $(BUILD)/fuzz/work-text $(BUILD)/fuzz/work-import
	$(BUILD)/fuzz/fuzz_decode -runs=0 tests/fuzz/regressions tests/fuzz/corpus
	cd $(BUILD)/fuzz && ./fuzz_decode -max_total_time=$$(( $(FUZZ_SECONDS) / 2 )) -max_len=70000 \
	  -print_final_stats=1 work $(abspath tests/fuzz/corpus)
	cd $(BUILD)/fuzz && ./fuzz_import -max_total_time=$$(( $(FUZZ_SECONDS) / 3 )) -max_len=70000 \
	  -timeout=10 -print_final_stats=1 work-import $(abspath tests/fuzz/corpus-import)
	cd $(BUILD)/fuzz && ./fuzz_text -max_total_time=$$(( $(FUZZ_SECONDS) / 6 )) -max_len=512 \
	  -print_final_stats=1 work-text

# The benchmark: its own throwaway cluster and ports; not part of `make test`.
$(BUILD)/bench/loadgen: bench/loadgen.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

bench: all $(BUILD)/bench/loadgen
	GONGKAI_BIN=$(abspath $(BIN)) LOADGEN=$(abspath $(BUILD)/bench/loadgen) bench/run.sh
	GONGKAI_BIN=$(abspath $(BIN)) LOADGEN=$(abspath $(BUILD)/bench/loadgen) bench/national.sh

run:
	deploy/install-deps.sh
	$(MAKE) all
	deploy/run-local.sh

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: the programs, the
# migrations (also built into bin/gongkai), the systemd units (pointing at
# PREFIX), the example configuration and the image's entrypoint.
SHARE = $(DESTDIR)$(PREFIX)/share/gongkai
install: all client
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/gongkai
	install -m 0644 include/gongkai/client.h $(DESTDIR)$(PREFIX)/include/gongkai/
	install -m 0755 $(CLIENT_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libgongkai-client.so.1.0.0 $(DESTDIR)$(PREFIX)/lib/libgongkai-client.so.1
	ln -sf libgongkai-client.so.1 $(DESTDIR)$(PREFIX)/lib/libgongkai-client.so
	install -m 0644 $(CLIENT_A) $(DESTDIR)$(PREFIX)/lib/
	sed 's|@PREFIX@|$(PREFIX)|' deploy/gongkai-client.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/gongkai-client.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/sql $(SHARE)/systemd $(DESTDIR)$(PREFIX)/share/doc/gongkai
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 sql/*.sql $(SHARE)/sql/
	for u in deploy/systemd/*.service; do \
	  sed 's|/usr/local/bin/|$(PREFIX)/bin/|g' $$u > $(SHARE)/systemd/$${u##*/} && chmod 0644 $(SHARE)/systemd/$${u##*/}; \
	done
	install -m 0644 deploy/gongkai.env.example $(SHARE)/
	install -m 0755 deploy/docker-entrypoint.sh deploy/init-keys.sh $(SHARE)/
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/gongkai/
	install -d $(DESTDIR)$(PREFIX)/share/doc/gongkai/docs
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/gongkai/docs/

clean:
	rm -rf build bin

.PHONY: client python all check-layers unit system test test-faults test-compose asan test-asan test-tsan fuzz bench run install clean
.SECONDARY:
