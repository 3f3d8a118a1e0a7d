# iapt - secure federated submission of NHS Talking Therapies data.
#
#   make                 build programs into build/bin (installs missing Debian packages)
#   make check           build and run every test (unit, integration, fuzz corpus replay)
#   make demo            a hub and three nodes on loopback submit a synthetic month
#   make bench           throughput benchmarks, reported as ratios
#   make fuzz            run the libFuzzer targets (clang), FUZZ_SECONDS each
#   make install PREFIX=/usr/local [DESTDIR=...]   never runs apt-get (checks only)
#   make SANITIZE=1 check    the same suite under ASan + UBSan (build in build-san/)
#
# Adding a module needs no edit here: common/ node/ hub/ *.c and
# common/collections/ (one folder per collection) form libiapt.a,
# */iapt_*.c are programs (iapt_foo.c -> iapt-foo), tests/unit/test_*.c are
# unit-test programs, tests/integration/test_*.sh integration tests.

SANITIZE ?= 0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/iapt
DATADIR ?= $(PREFIX)/share/iapt
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/sysusers.d,$(PREFIX)/lib/sysusers.d)
FUZZ_SECONDS ?= 30

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else
BUILD ?= build
SAN_FLAGS :=
OPT := -O2
endif

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wno-format-nonliteral
CPPFLAGS := -I. -I$(BUILD)/gen -D_GNU_SOURCE
CFLAGS := -std=c11 -g $(OPT) $(WARN) $(SAN_FLAGS) -MMD -MP
GEN_CFLAGS := -std=c11 -g $(OPT) -Wall -Wextra -Werror $(SAN_FLAGS) -MMD -MP
LDFLAGS := $(SAN_FLAGS)
# PLplot draws the report's charts (common/chart.c, its SVG device).
CPPFLAGS += -I/usr/include/plplot
LDLIBS := -llmdb -lzmq -lsodium -lprotobuf-c -ljansson -lplplot -lpthread -lm

# One version for the whole product (--version, logs, manifests).
VERSION := $(shell cat VERSION)
CPPFLAGS += -DIAPT_VERSION='"$(VERSION)"'

PROTOS := $(wildcard proto/*.proto)
GEN_C := $(patsubst proto/%.proto,$(BUILD)/gen/proto/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)

ALL_SRC := $(wildcard common/*.c common/collections/*.c common/collections/*/*.c node/*.c hub/*.c)
PROG_SRC := $(wildcard common/iapt_*.c node/iapt_*.c hub/iapt_*.c tests/synth/iapt_*.c)
LIB_SRC := $(filter-out $(PROG_SRC),$(ALL_SRC))
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(patsubst %.c,%.o,$(GEN_C))
LIB := $(BUILD)/libiapt.a

PROGS := $(foreach s,$(PROG_SRC),$(BUILD)/bin/$(subst _,-,$(notdir $(basename $(s)))))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/tests/%,$(BENCH_SRC))

# Nothing built is a temporary: generated sources and objects are kept.
.SECONDARY:

.PHONY: all deps check demo bench fuzz install clean format
.DEFAULT_GOAL := all

DESC := $(BUILD)/gen/iapt.desc

all: $(PROGS) $(UNIT_BIN) $(FUZZ_REPLAY) $(BENCH_BIN) $(DESC)

# Every rule that runs a tool of the dependencies waits for this stamp
# (order-only), so `make -j` on a fresh machine installs them first. It
# installs only what is missing (apt-get as root) and is quick when all is
# present. Under `make install` it only checks, and never runs apt-get.
DEPS_STAMP := $(BUILD)/.deps-ok
DEPS_MODE := $(if $(filter install,$(MAKECMDGOALS)),--check,)

$(DEPS_STAMP): deploy/install-deps.sh
	@bash deploy/install-deps.sh $(DEPS_MODE)
	@mkdir -p $(dir $@)
	@touch $@

deps:
	@bash deploy/install-deps.sh $(DEPS_MODE)
	@mkdir -p $(BUILD)
	@touch $(DEPS_STAMP)

$(BUILD)/gen/proto/%.pb-c.c $(BUILD)/gen/proto/%.pb-c.h: proto/%.proto | $(DEPS_STAMP)
	@mkdir -p $(BUILD)/gen/proto
	protoc-c -Iproto --c_out=$(BUILD)/gen/proto $<

# A descriptor set for tools in other languages (the tests' Python client).
$(DESC): $(PROTOS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	protoc-c -Iproto --include_imports --descriptor_set_out=$@ $(PROTOS)

# Generated sources live beside their headers.
$(BUILD)/gen/proto/%.pb-c.o: $(BUILD)/gen/proto/%.pb-c.c | $(GEN_H) $(DEPS_STAMP)
	$(CC) $(CPPFLAGS) $(GEN_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(GEN_H) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/common/cli.o: VERSION

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

define PROG_RULE
$(BUILD)/bin/$(subst _,-,$(notdir $(basename $(1)))): $(BUILD)/obj/$(basename $(1)).o $(LIB)
	@mkdir -p $(BUILD)/bin
	$(CC) $(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(filter %.a,$$^) $(LDLIBS)
endef
$(foreach s,$(PROG_SRC),$(eval $(call PROG_RULE,$(s))))

# iapt-synth is one program over several files: one generator per collection.
SYNTH_PART_SRC := $(filter-out tests/synth/iapt_%.c,$(wildcard tests/synth/*.c))
$(BUILD)/bin/iapt-synth: $(patsubst %.c,$(BUILD)/obj/%.o,$(SYNTH_PART_SRC))

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/bench_%: $(BUILD)/obj/tests/bench/bench_%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets double as tests: replay_* runs the stored corpus through them.
$(BUILD)/tests/replay_%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(GEN_C) | $(GEN_H) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< \
	    $(LIB_SRC) $(GEN_C) $(LDLIBS)

check: all
	@bash tests/run-tests.sh $(BUILD)

demo: all
	@bash deploy/demo.sh $(BUILD)

bench: all
	@bash tests/bench/run-bench.sh $(BUILD)

fuzz: $(FUZZ_BIN)
	@bash tests/fuzz/run-fuzz.sh $(BUILD) $(FUZZ_SECONDS)

MAN1 := $(wildcard docs/man/*.1)
MAN5 := $(wildcard docs/man/*.5)
UNIT_IN := $(wildcard deploy/systemd/*.in)
UNITS := $(filter-out $(UNIT_IN),$(wildcard deploy/systemd/*.service deploy/systemd/*.timer))
SUBST := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
             -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@LIBEXECDIR@|$(DATADIR)/libexec|g'

# Installs the built programs, manual pages, documentation, reference data,
# systemd units (paths from PREFIX) and the sysusers.d file. It builds what
# is missing but never installs packages: a missing one is reported.
install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DATADIR)/libexec $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 README.md $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/
	install -m 0644 data/README.md $(DESTDIR)$(DOCDIR)/data-README.md
	install -m 0644 $(wildcard deploy/examples/*) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 $(wildcard data/*.csv data/*.tsv) $(DESTDIR)$(DATADIR)/
	install -m 0755 deploy/provision-provider.sh $(DESTDIR)$(DATADIR)/libexec/
	$(SUBST) deploy/iapt-node-monthly.in >$(DESTDIR)$(DATADIR)/libexec/iapt-node-monthly
	chmod 0755 $(DESTDIR)$(DATADIR)/libexec/iapt-node-monthly
	for u in $(UNIT_IN); do \
	    $(SUBST) $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u .in) || exit 1; \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u .in); done
	$(if $(UNITS),install -m 0644 $(UNITS) $(DESTDIR)$(UNITDIR)/)
	install -m 0644 deploy/sysusers/iapt.conf $(DESTDIR)$(SYSUSERSDIR)/iapt.conf

format:
	clang-format -i $(wildcard common/*.[ch] node/*.[ch] hub/*.[ch] tests/*/*.[ch] tests/*.h)

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
