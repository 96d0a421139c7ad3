# tlbstat top-level Makefile.
#   make [O=dir]            build tlbstat, tlbbench and the unit tests into $(O) (default: build)
#   make check              install missing deps, build, run unit + integration tests
#   make install            PREFIX=/usr/local DESTDIR=
#   make clean
# Every tlbstat/lib/*.c, tlbstat/builtin-*.c, tests/test-*.c and benchmarks/*.c is picked up by
# wildcard, so adding a file needs no Makefile edit.

O        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= gcc
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

TLBSTAT_DEPS ?= /opt/tlbstat-deps
# libperf: a system one (pkg-config) is used when it also ships the internal headers perf uses;
# otherwise the copy scripts/install-deps.sh builds from Debian's linux-source-6.1.
SYS_LIBPERF_INC := $(shell pkg-config --variable=includedir libperf 2>/dev/null)
ifneq ($(and $(SYS_LIBPERF_INC),$(wildcard $(SYS_LIBPERF_INC)/internal/evsel.h)),)
LIBPERF_CFLAGS := $(shell pkg-config --cflags libperf)
LIBPERF_LIBS   := $(shell pkg-config --libs --static libperf) -lapi
LIBPERF_INTERNAL_CFLAGS := -I$(SYS_LIBPERF_INC)
else
LIBPERF_DIR    ?= $(TLBSTAT_DEPS)/libperf
LIBPERF_CFLAGS := -I$(LIBPERF_DIR)/include
LIBPERF_LIBS   := $(LIBPERF_DIR)/lib/libperf.a $(LIBPERF_DIR)/lib/libapi.a
LIBPERF_INTERNAL_CFLAGS := -I$(LIBPERF_DIR)/src/tools/lib/perf/include \
                           -I$(LIBPERF_DIR)/src/tools/lib -I$(LIBPERF_DIR)/src/tools/include \
                           -I$(LIBPERF_DIR)/src/tools/arch/x86/include
endif

PKG_CFLAGS := $(shell pkg-config --cflags libtraceevent libtracefs ncursesw 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libtraceevent libtracefs ncursesw 2>/dev/null)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)

WARN     := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow -Wformat=2
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(CFLAGS) $(WARN) -D_GNU_SOURCE -DTLBSTAT_VERSION='"$(VERSION)"' \
              -Itlbstat/lib $(LIBPERF_CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS   := $(LIBPERF_LIBS) $(PKG_LIBS) -lelf -ldw -lm -lpthread

LIB_SRCS   := $(sort $(wildcard tlbstat/lib/*.c))
CMD_SRCS   := tlbstat/tlbstat.c $(sort $(wildcard tlbstat/builtin-*.c))
TEST_SRCS  := $(sort $(wildcard tests/test-*.c))
BENCH_SRCS := $(sort $(wildcard benchmarks/*.c))

OBJ        := $(O)/obj
LIB_OBJS   := $(LIB_SRCS:%.c=$(OBJ)/%.o)
CMD_OBJS   := $(CMD_SRCS:%.c=$(OBJ)/%.o)
TEST_BINS  := $(TEST_SRCS:%.c=$(O)/%)
BENCH_BINS := $(BENCH_SRCS:benchmarks/%.c=$(O)/%)
LIBTLB     := $(O)/libtlbstat.a

all: $(O)/tlbstat $(BENCH_BINS) $(TEST_BINS)

# files that include libperf's internal headers (they need tools/include on the path)
$(OBJ)/tlbstat/lib/evlist.o $(OBJ)/tlbstat/lib/session.o: ALL_CFLAGS += $(LIBPERF_INTERNAL_CFLAGS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBTLB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/tlbstat: $(CMD_OBJS) $(LIBTLB)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(LIBTLB) $(LDLIBS) $(MHD_LIBS)

$(O)/tests/%: tests/%.c $(LIBTLB) tests/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBTLB) $(LDLIBS)

$(O)/%: benchmarks/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lm -lpthread

deps:
	@bash scripts/install-deps.sh

check: deps
	$(MAKE) all
	O=$(O) bash tests/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/tlbstat \
		$(DESTDIR)$(PREFIX)/share/doc/tlbstat
	install -m 0755 $(O)/tlbstat $(DESTDIR)$(PREFIX)/bin/tlbstat
	$(if $(BENCH_BINS),install -m 0755 $(BENCH_BINS) $(DESTDIR)$(PREFIX)/libexec/tlbstat/)
	install -m 0644 README.md Documentation/*.md Documentation/*.txt $(DESTDIR)$(PREFIX)/share/doc/tlbstat/ 2>/dev/null || true

clean:
	rm -rf $(O)

.PHONY: all deps check install clean
-include $(shell find $(O) -name '*.d' 2>/dev/null)
