# ferry — plain Makefile.  `make` builds ./ferry; `make check` runs every test;
# `make SAN=1 ...` builds and tests with AddressSanitizer + UBSan.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
CC	?= cc
PYTHON	?= /usr/bin/python3

PKGS	 = libevent libevent_pthreads libssl libcrypto libunbound hiredis inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lcrypt -lpthread

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

.PHONY: all check unit integration fuzz fuzz-run install clean format \
	format-check lint docs
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

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
		echo "== $$t"; FERRY_REFERENCE=$(CURDIR)/../shared/reference \
		FERRY_SRCDIR=$(CURDIR) $$t; done

integration: $(FERRY)
	FERRY_BIN=$(CURDIR)/$(FERRY) $(PYTHON) -m pytest -q tests/integration \
		$(PYTEST_ARGS)

check: unit integration

# libFuzzer targets: clang only, always with ASan+UBSan.
FUZZ_BUILD = build/fuzz
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_SRCS := $(filter-out src/main.c src/cli/%,$(SRCS))

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS) $(LDLIBS)

fuzz: $(FUZZ_BINS)

# Bounded fuzz run over the checked-in corpus (FUZZ_SECONDS per target).
FUZZ_SECONDS ?= 20
fuzz-run: fuzz
	@set -e; for f in $(FUZZ_BINS); do n=$$(basename $$f); \
		mkdir -p tests/fuzz/corpus/$$n; \
		echo "== $$n ($(FUZZ_SECONDS)s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		  -dict=tests/fuzz/smtp.dict tests/fuzz/corpus/$$n \
		  2>&1 | tail -n 2; done

docs: docs/replies.md
docs/replies.md: $(FERRY)
	./$(FERRY) replies --markdown > $@

install: ferry
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5
	install -m 755 ferry $(DESTDIR)$(SBINDIR)/ferry
	ln -sf ferry $(DESTDIR)$(SBINDIR)/sendmail
	install -m 644 docs/man/ferry.8 $(DESTDIR)$(MANDIR)/man8/ferry.8
	install -m 644 docs/man/ferry.conf.5 $(DESTDIR)$(MANDIR)/man5/ferry.conf.5

format:
	clang-format -i $(SRCS) $(wildcard src/*/*.h tests/unit/*.c tests/fuzz/*.c)

format-check:
	clang-format --dry-run -Werror $(SRCS) $(wildcard src/*/*.h tests/unit/*.c tests/fuzz/*.c)

lint: format-check
	scripts/lint-replies.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -Isrc $(SRCS)

clean:
	rm -rf build ferry

-include $(shell find build -name '*.d' 2>/dev/null)

# Spool and local delivery figures (bench/spool_bench.c); BENCH_DIR picks
# the disk, BENCH_SCALE multiplies the message counts.
bench-spool: $(BUILD)/libferry.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/spool_bench \
		bench/spool_bench.c $(BUILD)/libferry.a $(LDLIBS)
	$(BUILD)/bench/spool_bench
