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

# Feature checks, perf's habit: each dependency is looked up once, and a missing one is named
# with the Debian package that brings it instead of surfacing later as a compiler error about a
# header. Required ones stop the build; optional ones (none yet: libdw for unwinding and libelf
# for user symbols join here with the module that uses them) warn
# and switch their module off. `make clean`, `make deps` and `make check` (which installs the
# dependencies first, then runs make again) skip the checks.
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out clean deps check,$(MAKECMDGOALS)),)
SKIP_FEATURES := 1
endif
endif

ifndef SKIP_FEATURES
ifeq ($(shell command -v pkg-config),)
$(error pkg-config not found (it finds every library below): apt-get install pkg-config)
endif
endif

# $(call feature,pkg-config name,Debian package,what needs it): yes when present
feature = $(if $(shell pkg-config --exists $(1) 2>/dev/null && echo yes),yes,$(call missing,$(1),$(2),$(3)))
ifdef SKIP_FEATURES
missing =
else
missing = $(error $(1) not found by pkg-config ($(3)): apt-get install $(2), or `make deps`)
endif

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
ifndef SKIP_FEATURES
ifeq ($(wildcard $(LIBPERF_DIR)/lib/libperf.a),)
$(error libperf not found in $(LIBPERF_DIR) and no system libperf with its internal headers: \
        run `make deps` (scripts/install-deps.sh builds it from linux-source-6.1), or set LIBPERF_DIR)
endif
endif
endif

# required: the decoder (libtraceevent), top's screen (ncursesw), the exporter's HTTP server
HAVE_TRACEEVENT := $(call feature,libtraceevent,libtraceevent-dev,decoding tracepoints)
HAVE_NCURSESW   := $(call feature,ncursesw,libncurses-dev,the screen of tlbstat top)
HAVE_MHD        := $(call feature,libmicrohttpd,libmicrohttpd-dev,the HTTP server of tlbstat exporter)
TRACEEVENT_CFLAGS := $(if $(HAVE_TRACEEVENT),$(shell pkg-config --cflags libtraceevent))
TRACEEVENT_LIBS   := $(if $(HAVE_TRACEEVENT),$(shell pkg-config --libs libtraceevent))
NCURSES_CFLAGS    := $(if $(HAVE_NCURSESW),$(shell pkg-config --cflags ncursesw))
NCURSES_LIBS      := $(if $(HAVE_NCURSESW),$(shell pkg-config --libs ncursesw))
MHD_CFLAGS        := $(if $(HAVE_MHD),$(shell pkg-config --cflags libmicrohttpd))
MHD_LIBS          := $(if $(HAVE_MHD),$(shell pkg-config --libs libmicrohttpd))

WARN     := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow -Wformat=2
CFLAGS   ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(CFLAGS) $(WARN) -D_GNU_SOURCE -DTLBSTAT_VERSION='"$(VERSION)"' -MMD -MP
ALL_CFLAGS := $(BASE_CFLAGS) -Itlbstat/lib $(LIBPERF_CFLAGS) $(TRACEEVENT_CFLAGS)
# what libtlbstat.a itself needs at link time; the tlbstat binary adds ncurses for top and
# libmicrohttpd and libcrypt (its --auth-file hashes) for the exporter
LIB_LDLIBS := $(LIBPERF_LIBS) $(TRACEEVENT_LIBS) -lm -lpthread
LDLIBS   := $(LIB_LDLIBS) $(NCURSES_LIBS) $(MHD_LIBS) -lcrypt

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
# the only user of curses.h
$(OBJ)/tlbstat/builtin-top.o: ALL_CFLAGS += $(NCURSES_CFLAGS)
# the only user of microhttpd.h
$(OBJ)/tlbstat/builtin-exporter.o: ALL_CFLAGS += $(MHD_CFLAGS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBTLB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/tlbstat: $(CMD_OBJS) $(LIBTLB)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(LIBTLB) $(LDLIBS)

$(O)/tests/%: tests/%.c $(LIBTLB) tests/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(LIBTLB) $(LIB_LDLIBS)

$(O)/%: benchmarks/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LDFLAGS) -o $@ $< -lm -lpthread

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
