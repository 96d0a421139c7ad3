# SPDX-License-Identifier: GPL-2.0
# tlbstat top-level Makefile.
#   make [O=dir]            build tlbstat, tlbbench and the unit tests into $(O) (default: build)
#   make check              install missing deps, build, then every test stage, each timed:
#                           the suite (unit + integration), the suite again under ASan/UBSan
#                           (check-san), the fuzz regressions when that target and clang exist
#   make check-suite        the suite alone (unit + integration tests of $(O))
#   make check-san          the suite built with SANITIZE=1 into $(O)-san
#   make check-arm64        make ARCH=arm64 into $(O)-arm64, its unit tests under qemu-aarch64
#   make SANITIZE=1         build with -fsanitize=address,undefined (default O=build-san)
#   make man                the manual pages, Documentation/tlbstat*.txt -> $(O)/man/*.1 (asciidoctor)
#   make install            PREFIX=/usr/local DESTDIR=: binaries, perf-tlb, man pages, completion, docs
#   make deb                $(O)/tlbstat_<version>_<arch>.deb (scripts/mkdeb.sh)
#   make clean
# Every tlbstat/lib/*.c, tlbstat/builtin-*.c, tests/test-*.c and benchmarks/*.c is picked up by
# wildcard, so adding a file needs no Makefile edit.

# ARCH=arm64 (or aarch64, or CROSS_COMPILE=aarch64-linux-gnu- alone): a cross build for arm64
# into build-arm64 (O's default then): $(CROSS_COMPILE)gcc, the :arm64 libraries (pkg-config
# looks only in /usr/lib/aarch64-linux-gnu/pkgconfig) and $(TLBSTAT_DEPS)/libperf-arm64, all set
# up by scripts/install-deps.sh. Every target but check works as natively; `make check-arm64`
# (tests/arm64-build.sh) cross-builds and runs the arm64 unit tests under qemu-aarch64.
ifneq ($(filter aarch64-%,$(notdir $(CROSS_COMPILE))),)
ARCH ?= arm64
endif
ifeq ($(ARCH),aarch64)
override ARCH := arm64
endif
ifeq ($(ARCH),arm64)
ifeq ($(SANITIZE),1)
$(error SANITIZE=1 with ARCH=arm64: not supported (the arm64 unit tests run under qemu-user; the sanitizer stage covers the same code natively))
endif
CROSS_COMPILE ?= aarch64-linux-gnu-
O             ?= build-arm64
MULTIARCH     := $(patsubst %-,%,$(notdir $(CROSS_COMPILE)))
DEB_ARCH      := :arm64
TOOLS_ARCH    := arm64
TLBSTAT_LIBPERF_NAME := libperf-arm64
ifneq ($(filter default environment,$(origin CC)),)
CC := $(CROSS_COMPILE)gcc
endif
ifneq ($(filter default environment,$(origin AR)),)
AR := $(CROSS_COMPILE)ar
endif
ifneq ($(origin PKG_CONFIG),command line)
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(MULTIARCH)/pkgconfig:/usr/share/pkgconfig pkg-config
endif
ifeq ($(shell command -v $(CC)),)
$(error $(CC) not found (ARCH=arm64 cross build): apt-get install gcc-aarch64-linux-gnu, or `make deps`)
endif
else ifneq ($(filter-out x86_64 x86 amd64,$(ARCH)),)
$(error ARCH=$(ARCH): tlbstat cross-builds for arm64 only (ARCH=arm64); a native build needs no ARCH)
endif
PKG_CONFIG ?= pkg-config
TOOLS_ARCH ?= x86
TLBSTAT_LIBPERF_NAME ?= libperf

# SANITIZE=1: AddressSanitizer (with LeakSanitizer) and UBSan, into its own tree; GCC leaves
# float-cast-overflow out of "undefined", and a double too big for long long is one of its finds
ifeq ($(SANITIZE),1)
O        ?= build-san
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow -fno-omit-frame-pointer
override LDFLAGS += $(SAN_FLAGS)
endif
O        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= gcc
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

TLBSTAT_DEPS ?= /opt/tlbstat-deps

# Feature checks, perf's habit: each dependency is looked up once, and a missing one is named
# with the Debian package that brings it instead of surfacing later as a compiler error about a
# header. Required ones stop the build; optional ones (libcurl for the prom sampler plugin;
# libelf for user symbols, lib/usyms.c; libdw for unwinding joins here with the module that uses
# it) warn and switch their module off. `make clean`, `make deps` and `make check` (which installs the
# dependencies first, then runs make again) skip the checks.
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out clean deps check check-san man,$(MAKECMDGOALS)),)
SKIP_FEATURES := 1
endif
endif

ifndef SKIP_FEATURES
ifeq ($(shell command -v pkg-config),)
$(error pkg-config not found (it finds every library below): apt-get install pkg-config)
endif
endif

# $(call feature,pkg-config name,Debian package,what needs it): yes when present
feature = $(if $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo yes),yes,$(call missing,$(1),$(2),$(3)))
ifdef SKIP_FEATURES
missing =
else
missing = $(error $(1) not found by pkg-config ($(3)): apt-get install $(2)$(DEB_ARCH), or `make deps`)
endif

# libperf: a system one (pkg-config) is used when it also ships the internal headers perf uses;
# otherwise the copy scripts/install-deps.sh builds from Debian's linux-source-6.1.
SYS_LIBPERF_INC := $(shell $(PKG_CONFIG) --variable=includedir libperf 2>/dev/null)
ifneq ($(and $(SYS_LIBPERF_INC),$(wildcard $(SYS_LIBPERF_INC)/internal/evsel.h)),)
LIBPERF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libperf)
LIBPERF_LIBS   := $(shell $(PKG_CONFIG) --libs --static libperf) -lapi
LIBPERF_INTERNAL_CFLAGS := -I$(SYS_LIBPERF_INC)
else
LIBPERF_DIR    ?= $(TLBSTAT_DEPS)/$(TLBSTAT_LIBPERF_NAME)
LIBPERF_CFLAGS := -I$(LIBPERF_DIR)/include
LIBPERF_LIBS   := $(LIBPERF_DIR)/lib/libperf.a $(LIBPERF_DIR)/lib/libapi.a
LIBPERF_INTERNAL_CFLAGS := -I$(LIBPERF_DIR)/src/tools/lib/perf/include \
                           -I$(LIBPERF_DIR)/src/tools/lib -I$(LIBPERF_DIR)/src/tools/include \
                           -I$(LIBPERF_DIR)/src/tools/arch/$(TOOLS_ARCH)/include
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
# optional: libcurl for the prom sampler plugin (plugins/prom.c); without it the others build
optional = $(if $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo yes),yes,$(if $(SKIP_FEATURES),,$(warning $(1) not found by pkg-config: $(3) not built (apt-get install $(2)$(DEB_ARCH)))))
HAVE_CURL       := $(call optional,libcurl,libcurl4-openssl-dev,the prom sampler plugin)
CURL_CFLAGS       := $(if $(HAVE_CURL),$(shell $(PKG_CONFIG) --cflags libcurl))
CURL_LIBS         := $(if $(HAVE_CURL),$(shell $(PKG_CONFIG) --libs libcurl))
TRACEEVENT_CFLAGS := $(if $(HAVE_TRACEEVENT),$(shell $(PKG_CONFIG) --cflags libtraceevent))
TRACEEVENT_LIBS   := $(if $(HAVE_TRACEEVENT),$(shell $(PKG_CONFIG) --libs libtraceevent))
NCURSES_CFLAGS    := $(if $(HAVE_NCURSESW),$(shell $(PKG_CONFIG) --cflags ncursesw))
# optional: libelf names user frames (lib/usyms.c); without it they stay unnamed
ifndef SKIP_FEATURES
HAVE_LIBELF := $(shell $(PKG_CONFIG) --exists libelf 2>/dev/null && echo yes)
ifeq ($(HAVE_LIBELF),)
$(warning libelf not found by pkg-config (user symbols of call chains): apt-get install libelf-dev$(DEB_ARCH))
endif
endif
LIBELF_CFLAGS := $(if $(HAVE_LIBELF),-DHAVE_LIBELF $(shell $(PKG_CONFIG) --cflags libelf))
LIBELF_LIBS   := $(if $(HAVE_LIBELF),$(shell $(PKG_CONFIG) --libs libelf))
# optional: libdw unwinds --call-graph dwarf stacks (lib/unwind.c, its only user); without it
# their user part is the sampled ip alone, and report says so
ifndef SKIP_FEATURES
HAVE_LIBDW := $(if $(HAVE_LIBELF),$(shell $(PKG_CONFIG) --exists libdw 2>/dev/null && echo yes))
ifeq ($(HAVE_LIBDW),)
$(warning libdw not found by pkg-config (unwinding --call-graph dwarf stacks): apt-get install libdw-dev$(DEB_ARCH))
endif
endif
LIBDW_CFLAGS := $(if $(HAVE_LIBDW),-DHAVE_LIBDW $(shell $(PKG_CONFIG) --cflags libdw))
LIBDW_LIBS   := $(if $(HAVE_LIBDW),$(shell $(PKG_CONFIG) --libs libdw) -lz)
# optional: libdeflate inflates compressed DWARF (lib/debugfile.c) 2x faster than zlib, which
# debugfile.c calls without it
ifndef SKIP_FEATURES
HAVE_LIBDEFLATE := $(if $(HAVE_LIBDW),$(shell $(PKG_CONFIG) --exists libdeflate 2>/dev/null && echo yes))
ifeq ($(HAVE_LIBDEFLATE)$(if $(HAVE_LIBDW),,no),)
$(warning libdeflate not found by pkg-config (compressed debug info inflated by zlib, slower): apt-get install libdeflate-dev$(DEB_ARCH))
endif
endif
LIBDEFLATE_CFLAGS := $(if $(HAVE_LIBDEFLATE),-DHAVE_LIBDEFLATE $(shell $(PKG_CONFIG) --cflags libdeflate))
LIBDEFLATE_LIBS   := $(if $(HAVE_LIBDEFLATE),$(shell $(PKG_CONFIG) --libs libdeflate))
NCURSES_LIBS      := $(if $(HAVE_NCURSESW),$(shell $(PKG_CONFIG) --libs ncursesw))
MHD_CFLAGS        := $(if $(HAVE_MHD),$(shell $(PKG_CONFIG) --cflags libmicrohttpd))
MHD_LIBS          := $(if $(HAVE_MHD),$(shell $(PKG_CONFIG) --libs libmicrohttpd))

WARN     := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow -Wformat=2
CFLAGS   ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(CFLAGS) $(SAN_FLAGS) $(WARN) -D_GNU_SOURCE -DTLBSTAT_VERSION='"$(VERSION)"' -MMD -MP
ALL_CFLAGS := $(BASE_CFLAGS) -Itlbstat/lib $(LIBPERF_CFLAGS) $(TRACEEVENT_CFLAGS) $(LIBELF_CFLAGS)
# what libtlbstat.a itself needs at link time (libdl: sampler plugins and the libraries below;
# libelf, libdw, zlib, libdeflate: user symbols, unwinding and DWARF; libmicrohttpd and
# libcrypt: the exporter's web side, lib/web.c, and its --auth-file hashes). The tlbstat binary
# links none of DL_LIBS: it loads them with dlopen at their first use (lib/dynlib.h; linked,
# they cost every command ~2 ms of start-up, libmicrohttpd alone ~5 ms). The tests and fuzz
# targets link LIB_LDLIBS whole, which is harmless (dlopen finds the library already loaded);
# the tests of lib/web.c need it for MHD_add_connection/MHD_run.
DL_LIBS    := $(LIBDW_LIBS) $(LIBDEFLATE_LIBS) $(LIBELF_LIBS) $(MHD_LIBS) -lcrypt
LIB_LDLIBS := $(LIBPERF_LIBS) $(TRACEEVENT_LIBS) $(DL_LIBS) -lm -lpthread -ldl
LDLIBS     := $(filter-out $(DL_LIBS),$(LIB_LDLIBS))

LIB_SRCS   := $(sort $(wildcard tlbstat/lib/*.c))
CMD_SRCS   := tlbstat/tlbstat.c $(sort $(wildcard tlbstat/builtin-*.c))
TEST_SRCS  := $(sort $(wildcard tests/test-*.c))
BENCH_SRCS := $(sort $(wildcard benchmarks/*.c))

OBJ        := $(O)/obj
LIB_OBJS   := $(LIB_SRCS:%.c=$(OBJ)/%.o)
CMD_OBJS   := $(CMD_SRCS:%.c=$(OBJ)/%.o)
TEST_BINS  := $(TEST_SRCS:%.c=$(O)/%)
BENCH_BINS := $(BENCH_SRCS:benchmarks/%.c=$(O)/%)
# installed beside tlbstat: the workloads (tlbbench, alloc-churn), not the lab's own measures
INSTALL_BENCH := $(filter-out $(O)/memcost,$(BENCH_BINS))
LIBTLB     := $(O)/libtlbstat.a

# Sampler plugins (tlbstat/plugin.h): one plugins/<name>.c -> $(O)/plugins/<name>.so each,
# standalone shared objects (they cannot link libtlbstat.a), installed to PLUGINDIR. tlbstat
# looks in --plugin-dir, then in plugins/ beside its own binary (the build tree), then in
# ../lib/tlbstat/plugins from its binary (PLUGINDIR of an install: found at run time, so no object
# depends on PREFIX and `make deb`'s PREFIX=/usr install rebuilds nothing).
PLUGINDIR    ?= $(PREFIX)/lib/tlbstat/plugins
PLUGIN_NAMES := $(filter-out $(if $(HAVE_CURL),,prom),$(sort $(basename $(notdir $(wildcard plugins/*.c)))))
PLUGINS      := $(PLUGIN_NAMES:%=$(O)/plugins/%.so)
PLUGIN_LIBS_gpu  := -ldl
PLUGIN_LIBS_prom := $(CURL_LIBS)
# test fixtures (tests/fixtures/): a fake libnvidia-ml.so.1 and plugins with a good and bad ABI
TEST_FIXTURES := $(O)/tests/fixtures/nvml/libnvidia-ml.so.1 \
                 $(O)/tests/fixtures/plugins/good.so $(O)/tests/fixtures/plugins/badversion.so \
                 $(O)/tests/fixtures/plugins/badsize.so

all: $(O)/tlbstat $(BENCH_BINS) $(TEST_BINS) $(PLUGINS) $(TEST_FIXTURES)

# files that include libperf's internal headers (they need tools/include on the path)
$(OBJ)/tlbstat/lib/evlist.o $(OBJ)/tlbstat/lib/session.o: ALL_CFLAGS += $(LIBPERF_INTERNAL_CFLAGS)
# the only users of libdw (unwinding; source lines and inline frames; the DWARF they read), and
# elfdl.o, which loads it (lib/elfdl.h)
$(OBJ)/tlbstat/lib/unwind.o $(OBJ)/tlbstat/lib/srcline.o: ALL_CFLAGS += $(LIBDW_CFLAGS)
$(OBJ)/tlbstat/lib/debugfile.o $(OBJ)/tlbstat/lib/elfdl.o: \
	ALL_CFLAGS += $(LIBDW_CFLAGS) $(LIBDEFLATE_CFLAGS)
# the only user of curses.h
$(OBJ)/tlbstat/builtin-top.o: ALL_CFLAGS += $(NCURSES_CFLAGS)
# the only user of microhttpd.h (the exporter's web side; the fuzz target drives it too)
$(OBJ)/tlbstat/lib/web.o: ALL_CFLAGS += $(MHD_CFLAGS)

# -V and perf.data's header name the build: recompiled when `git describe` changes (git's
# GIT-VERSION-FILE habit), not only when a source does, so an installed -V is never stale.
$(O)/VERSION-FILE: FORCE
	@mkdir -p $(O)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
$(OBJ)/tlbstat/tlbstat.o $(OBJ)/tlbstat/lib/perfdata.o: $(O)/VERSION-FILE
FORCE:

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

$(O)/plugins/%.so: plugins/%.c plugins/plugin-util.h tlbstat/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CURL_CFLAGS) -fPIC -shared -fvisibility=hidden $(LDFLAGS) -o $@ $< \
		$(PLUGIN_LIBS_$*) -lm

$(O)/tests/fixtures/nvml/libnvidia-ml.so.1: tests/fixtures/fake-nvml.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

FIXTURE_ID_good := 1
FIXTURE_ID_badversion := 2
FIXTURE_ID_badsize := 3
$(O)/tests/fixtures/plugins/%.so: tests/fixtures/plugin-abi.c tlbstat/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -DFIXTURE=$(FIXTURE_ID_$*) -fPIC -shared -fvisibility=hidden \
		$(LDFLAGS) -o $@ $<

$(O)/%: benchmarks/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LDFLAGS) -o $@ $< -lm -lpthread

deps:
	@bash scripts/install-deps.sh

# README's one test command. Under SANITIZE=1 (check-san's own run) it is the suite alone.
ifeq ($(SANITIZE),1)
check: check-suite
else
check: deps
	@O=$(O) MAKE="$(MAKE)" bash scripts/check-stages.sh
endif

check-suite: deps
	$(MAKE) all
	O=$(O) SANITIZE=$(SANITIZE) bash tests/run.sh

check-san:
	$(MAKE) SANITIZE=1 O=$(O)-san check-suite

# the arm64 cross build, its binaries' ELF machine, its unit tests under qemu-aarch64
check-arm64:
	O_ARM64=$(if $(filter arm64,$(ARCH)),$(O),$(O)-arm64) O=$(O) bash tests/arm64-build.sh

# ---- install, man pages, completion, .deb
BINDIR  := $(PREFIX)/bin
MANDIR  := $(PREFIX)/share/man/man1
DOCDIR  := $(PREFIX)/share/doc/tlbstat
COMPDIR := $(PREFIX)/share/bash-completion/completions
# systemd looks for vendor units in /usr/lib/systemd/system and /usr/local/lib/systemd/system
UNITDIR := $(PREFIX)/lib/systemd/system
ASCIIDOCTOR ?= asciidoctor
MAN_TXT   := $(sort $(wildcard Documentation/tlbstat*.txt))
MAN_PAGES := $(MAN_TXT:Documentation/%.txt=$(O)/man/%.1)
# Hook for files other parts install. `make deb` packs whatever install puts in DESTDIR, and
# copies maintainer scripts (postinst, prerm, ...) from packaging/deb/ when there are any.
INSTALL_EXTRA ?= install-exporter

man: $(MAN_PAGES)

# report --sort cause points to the installed runbook (DOCDIR/runbook.md, installed below),
# found at run time from the binary's place (../share/doc/tlbstat): no object depends on PREFIX.

# A warning (a broken list, an unknown section level) fails the build: the page would render
# wrong. The .txt files are AsciiDoc man pages: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT
# STATUS, SEE ALSO; tables that must keep their columns are literal blocks (indented or ....).
$(O)/man/%.1: Documentation/%.txt
	@command -v $(ASCIIDOCTOR) >/dev/null || { echo "$(ASCIIDOCTOR) not found (man pages):" \
		"apt-get install asciidoctor, or make deps" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(ASCIIDOCTOR) -b manpage -d manpage --failure-level WARN -a mansource=tlbstat \
		-a manversion=$(VERSION) -a manmanual='tlbstat Manual' -o $@ $<

# perf 6.1 runs `perf tlb ARGS` as perf-tlb ARGS from PATH: a link to tlbstat, beside it.
install: install-core $(INSTALL_EXTRA)

# The exporter's systemd unit (installed, not enabled: `systemctl enable --now
# tlbstat-exporter`), its paths rewritten for this PREFIX at install time, and the fleet files
# (scrape config, rules and their tests, Grafana dashboard, DaemonSet) beside the docs.
FLEET_FILES := $(filter-out %.service,$(wildcard Documentation/fleet/*))
install-exporter:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/fleet
	sed -e 's|^ExecStart=/usr/local/bin/|ExecStart=$(BINDIR)/|' \
		Documentation/fleet/tlbstat-exporter.service >$(DESTDIR)$(UNITDIR)/tlbstat-exporter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tlbstat-exporter.service
	install -m 0644 $(FLEET_FILES) $(DESTDIR)$(DOCDIR)/fleet/

install-core: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(COMPDIR)
	install -m 0755 $(O)/tlbstat $(INSTALL_BENCH) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(PREFIX)/include/tlbstat
	install -m 0644 $(PLUGINS) $(DESTDIR)$(PLUGINDIR)/
	install -m 0644 tlbstat/plugin.h $(DESTDIR)$(PREFIX)/include/tlbstat/
	ln -sf tlbstat $(DESTDIR)$(BINDIR)/perf-tlb
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/
	ln -sf tlbstat.1 $(DESTDIR)$(MANDIR)/perf-tlb.1
	install -m 0644 scripts/tlbstat-completion.bash $(DESTDIR)$(COMPDIR)/tlbstat
	ln -sf tlbstat $(DESTDIR)$(COMPDIR)/perf-tlb
	install -m 0644 README.md LICENSE Documentation/*.md Documentation/*.txt $(DESTDIR)$(DOCDIR)/

deb: all man
	O=$(O) MAKE=$(MAKE) bash scripts/mkdeb.sh

clean:
	rm -rf $(O)

# ---------------- fuzzing (tests/fuzz/README.md) ----------------
# make fuzz                       libFuzzer targets (clang, ASan + UBSan) into $(FUZZ_O)
# make fuzz-regress FUZZ_SECONDS=30 [FUZZ_TARGETS="perfdata ..."]
#                                 each target that long over its corpus and regression inputs;
#                                 any crash, leak, UBSan report, 10 s input or 1 GiB fails
# `all` also builds the targets with replay.c's main() (any compiler): tests/fuzz-replay.sh.
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_NAMES   := $(FUZZ_SRCS:tests/fuzz/fuzz-%.c=%)
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 30
FUZZ_O       ?= $(O)/fuzz
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := $(ALL_CFLAGS) -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_O)/obj/%.o)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_O)/fuzz-%)
FUZZ_REPLAY  := $(FUZZ_NAMES:%=$(O)/fuzz-replay/fuzz-%)

all: $(FUZZ_REPLAY)

$(FUZZ_O)/obj/tlbstat/lib/evlist.o $(FUZZ_O)/obj/tlbstat/lib/session.o: \
	FUZZ_CFLAGS += $(LIBPERF_INTERNAL_CFLAGS)
$(FUZZ_O)/obj/tlbstat/lib/unwind.o: FUZZ_CFLAGS += $(LIBDW_CFLAGS)
$(FUZZ_O)/obj/tlbstat/lib/elfdl.o: FUZZ_CFLAGS += $(LIBDW_CFLAGS) $(LIBDEFLATE_CFLAGS)
$(FUZZ_O)/obj/tlbstat/lib/web.o: FUZZ_CFLAGS += $(MHD_CFLAGS)

$(FUZZ_O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_O)/libtlbstat.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_O)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_O)/libtlbstat.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_O)/libtlbstat.a $(LIB_LDLIBS)

$(O)/fuzz-replay/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $(LIBTLB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBTLB) $(LIB_LDLIBS)

fuzz: $(FUZZ_BINS)

# new inputs go to $(FUZZ_O)/corpus-<name>, the tree's corpus and regress/ are only read; one
# rule per target so that `make -j2 fuzz-regress` runs two at a time (each still for FUZZ_SECONDS)
fuzz-regress: $(FUZZ_TARGETS:%=fuzz-regress-%)

fuzz-regress-%: $(FUZZ_O)/fuzz-%
	@mkdir -p $(FUZZ_O)/corpus-$*
	@dirs=tests/fuzz/corpus/$*; \
	if [ -d tests/fuzz/regress/$* ]; then dirs="$$dirs tests/fuzz/regress/$*"; fi; \
	echo "fuzz-regress: $* for $(FUZZ_SECONDS) s"; \
	LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp:print_suppressions=0 \
	$(FUZZ_O)/fuzz-$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
		-malloc_limit_mb=1024 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_O)/crash-$*- $(FUZZ_O)/corpus-$* \
		$$dirs 2>$(FUZZ_O)/fuzz-$*.log || \
		{ tail -n 40 $(FUZZ_O)/fuzz-$*.log; echo "fuzz-regress: $* FAILED"; exit 1; }; \
	echo "fuzz-regress: $* done: $$(grep -hE '^stat::number_of_executed_units' $(FUZZ_O)/fuzz-$*.log | \
		awk '{print $$2}') executions, 0 crashes"

.PHONY: all deps check check-suite check-san check-arm64 man install install-core install-exporter deb clean FORCE fuzz fuzz-regress
-include $(shell find $(O) -name '*.d' 2>/dev/null)
