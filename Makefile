# ferry — plain Makefile.  `make` builds ./ferry; `make check` runs every test;
# `make SAN=1 ...` builds and tests with AddressSanitizer + UBSan.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SPOOLDIR ?= /var/spool/ferry
FERRY_USER ?= ferry
CC	?= cc
PYTHON	?= /usr/bin/python3

PKGS	 = libevent libevent_pthreads libevent_openssl libssl libcrypto libunbound hiredis inih zlib \
	   libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lcdb -llmdb -lcrypt -lpthread

WARN	 = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wno-unused-parameter -Wmissing-prototypes
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Isrc -MMD -MP
LDLIBS	 = $(PKG_LIBS)

ifeq ($(SAN),1)
BUILD	 = build/san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
else
BUILD	 = build/rel
endif

SRCS	 := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

ifeq ($(SAN),1)
FERRY	 = $(BUILD)/ferry
else
FERRY	 = ferry
endif

.PHONY: all check unit integration fuzz fuzz-run install uninstall clean format \
	format-check lint lint-replies lint-deps cppcheck tidy docs bench-bounce bounce-score bench-dkim bench-log \
	bench-policy-mem bench-map install-systemd
all: $(FERRY)

$(FERRY): $(BUILD)/src/main.o $(BUILD)/libferry.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libferry.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libferry.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(BUILD)/libferry.a \
		-lcmocka $(LDLIBS)

# Runs every unit test binary, even after one fails; fails at the end.
unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
		echo "== $$t"; FERRY_REFERENCE=$(CURDIR)/../shared/reference \
		FERRY_SRCDIR=$(CURDIR) $$t || { echo "== $$t: FAILED"; fail=1; }; \
	done; exit $$fail

# pytest exits 5 when it collects nothing; that is fine only while
# tests/integration holds no test files yet.
INTEG_TESTS := $(wildcard tests/integration/test_*.py tests/integration/*/test_*.py)
# The fault tests preload this into the daemon (tests/fault/faultinject.c);
# it is never built with the sanitizers, whose runtime must come first.
FAULT_LIB = $(BUILD)/faultinject.so
$(FAULT_LIB): tests/fault/faultinject.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(WARN) -O2 -g -fPIC -shared -o $@ $< -ldl

# Integration tests run in INTEG_JOBS pytest-xdist workers (most of their
# time is spent waiting on timeouts, not on CPU); a file's tests stay in one
# worker (tests/integration/conftest.py groups them).  INTEG_JOBS=1 runs
# them in this process.
INTEG_JOBS ?= 2
ifeq ($(INTEG_JOBS),1)
INTEG_PARALLEL :=
else
INTEG_PARALLEL := -n $(INTEG_JOBS) --dist loadgroup
endif

integration: $(FERRY) $(FAULT_LIB)
	@if [ -z "$(INTEG_TESTS)" ] && [ ! -d tests/integration ]; then \
		echo "== integration: tests/integration does not exist yet"; \
		exit 0; fi; \
	FERRY_BIN=$(CURDIR)/$(FERRY) FERRY_FAULT_LIB=$(CURDIR)/$(FAULT_LIB) \
		$(PYTHON) -m pytest -q $(INTEG_PARALLEL) tests/integration \
		$(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ] && [ -z "$(INTEG_TESTS)" ]; then \
		echo "== integration: no tests yet"; rc=0; fi; exit $$rc

check: unit integration

# libFuzzer targets: clang only, always with ASan+UBSan.
FUZZ_BUILD = build/fuzz
FUZZ_SAN = address,undefined
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) \
	-fsanitize=fuzzer-no-link,$(FUZZ_SAN) -fno-sanitize-recover=undefined
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_SRCS := $(filter-out src/main.c src/cli/%,$(SRCS))
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)

# The library is compiled once with coverage instrumentation; each target
# only links against it.
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/libferry.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_BUILD)/libferry.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_BUILD)/libferry.a $(LDLIBS)

fuzz: $(FUZZ_BINS)

# Bounded fuzz run over the checked-in corpus (FUZZ_SECONDS per target).
# New inputs go to a scratch corpus under build/, never into the checked-in
# one; crashes are saved under build/fuzz/artifacts/.  With no targets it
# does nothing.
FUZZ_SECONDS ?= 20
fuzz-run: fuzz
	@fail=0; for f in $(FUZZ_BINS); do n=$$(basename $$f); \
		mkdir -p tests/fuzz/corpus/$$n $(FUZZ_BUILD)/work/$$n \
			$(FUZZ_BUILD)/artifacts; \
		dict=; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
		[ -z "$$dict" ] && [ -f tests/fuzz/smtp.dict ] && \
			dict=-dict=tests/fuzz/smtp.dict; \
		echo "== $$n ($(FUZZ_SECONDS)s)"; \
		if $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
		  -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$n- $$dict \
		  $(FUZZ_BUILD)/work/$$n tests/fuzz/corpus/$$n \
		  > $(FUZZ_BUILD)/$$n.log 2>&1; then \
			tail -n 1 $(FUZZ_BUILD)/$$n.log; \
		else echo "== $$n: FAILED"; tail -n 40 $(FUZZ_BUILD)/$$n.log; \
			fail=1; fi; \
	done; [ -n "$(FUZZ_BINS)" ] || echo "== fuzz: no targets"; exit $$fail

# docs/replies.md is generated from the registry; lint-replies.sh checks it
# is up to date.
docs: $(FERRY)
	./$(FERRY) replies --markdown > docs/replies.md.tmp
	mv docs/replies.md.tmp docs/replies.md

# The binary, manual pages, the ferry user, /etc/ferry with an example
# configuration and the spool (scripts/install.sh says what it does).
INSTALL_ENV = DESTDIR="$(DESTDIR)" SBINDIR="$(SBINDIR)" MANDIR="$(MANDIR)" \
	SYSCONFDIR="$(SYSCONFDIR)" SPOOLDIR="$(SPOOLDIR)" FERRY_USER="$(FERRY_USER)"
install: ferry
	$(INSTALL_ENV) scripts/install.sh install

uninstall:
	$(INSTALL_ENV) scripts/install.sh uninstall
	$(MAKE) install-systemd

# The systemd unit, with the binary's installed path filled in.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/ferry.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/ferry.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/ferry.service

FORMAT_FILES = $(SRCS) $(shell find src -name '*.h' | sort) \
	$(wildcard tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fault/*.c)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

# Independent checks; `make -k lint` reports all of them.
lint: format-check lint-replies lint-deps cppcheck tidy

lint-replies:
	FERRY_BIN=$(CURDIR)/$(FERRY) scripts/lint-replies.sh

# Includes between modules follow the table in scripts/lint-deps.sh.
lint-deps:
	scripts/lint-deps.sh

# varFuncNullUB: NULL ends log_event()'s key/value list; glibc defines NULL
# as ((void *)0), so the platform cppcheck warns about does not apply.
cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem \
		--suppress=varFuncNullUB --include=/usr/include/x86_64-linux-gnu/sys/queue.h \
		-Isrc $(SRCS)

# clang-tidy with .clang-tidy (the analyzer and bugprone checks), every
# warning an error; files in parallel.
TIDY_FLAGS = -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Isrc \
	$(shell pkg-config --cflags-only-I hiredis 2>/dev/null)
tidy:
	@printf '%s\n' $(SRCS) | xargs -P$(or $(JOBS),2) -n4 sh -c \
		'out=$$(clang-tidy --quiet "$$@" -- $(TIDY_FLAGS) 2>&1); rc=$$?; \
		printf "%s" "$$out" | grep -v "warnings generated\.$$"; \
		exit $$rc' _

clean:
	rm -rf build ferry

-include $(shell find build -name '*.d' 2>/dev/null)

# Bounce decoding speed on one core (bench/bounce_bench.c); BOUNCE_DIR
# picks the messages (default tests/data/bounces), BOUNCE_SECONDS the time.
BOUNCE_DIR ?= tests/data/bounces
BOUNCE_SECONDS ?= 3
bench-bounce: $(BUILD)/libferry.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/bounce_bench \
		bench/bounce_bench.c $(BUILD)/libferry.a $(LDLIBS)
	$(BUILD)/bench/bounce_bench $(BOUNCE_DIR) $(BOUNCE_SECONDS)

# The bounce corpus score (../shared/bounces/score.py), a report and not a
# gate: it prints the figures and passes whenever the scorer ran.  Its
# per-file tally is reworded so that it is not taken for the test count.
BOUNCE_SCORER ?= ../shared/bounces/score.py
bounce-score: $(FERRY)
	@if [ -x "$(BOUNCE_SCORER)" ] || [ -f "$(BOUNCE_SCORER)" ]; then \
		python3 $(BOUNCE_SCORER) --cmd '$(CURDIR)/$(FERRY) explain --bounce --json' --jobs 2 \
			> $(BUILD)/bounce-score.txt; rc=$$?; \
		sed 's/^\([0-9]*\) passed, \([0-9]*\) failed$$/files fully matched: \1, not fully matched: \2/' \
			$(BUILD)/bounce-score.txt; exit $$rc; \
	else \
		echo "bounce-score: $(BOUNCE_SCORER) not present, nothing to report"; \
	fi

# Memory of the embedded policy state (bench/policy_mem.c, bench/policy.sh).
bench-policy-mem: $(BUILD)/libferry.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/policy_mem \
		bench/policy_mem.c $(BUILD)/libferry.a $(LDLIBS)
	$(BUILD)/bench/policy_mem

# Lookup tables: CDB build, lookup cost, worst lookup during a reload of a
# large text map (bench/map_bench.c); MAP_ENTRIES sets the size.
MAP_ENTRIES ?= 1000000
bench-map: $(BUILD)/libferry.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/map_bench \
		bench/map_bench.c $(BUILD)/libferry.a $(LDLIBS)
	$(BUILD)/bench/map_bench $(MAP_ENTRIES)

# Spool and local delivery figures (bench/spool_bench.c); BENCH_DIR picks
# the disk, BENCH_SCALE multiplies the message counts.
bench-spool: $(BUILD)/libferry.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/spool_bench \
		bench/spool_bench.c $(BUILD)/libferry.a $(LDLIBS)
	$(BUILD)/bench/spool_bench

# The cost of a log line, logfmt and json (bench/log_bench.c).
bench-log: $(BUILD)/libferry.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/log_bench \
		bench/log_bench.c $(BUILD)/libferry.a $(LDLIBS)
	$(BUILD)/bench/log_bench

# DKIM signing cost per message (bench/dkim_bench.c): rsa-2048, ed25519.
bench-dkim: $(BUILD)/libferry.a $(FERRY)
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/dkim_bench \
		bench/dkim_bench.c $(BUILD)/libferry.a $(LDLIBS)
	$(BUILD)/bench/dkim_bench $(CURDIR)/$(FERRY)
