# igraph - build, test, benchmark and install.
#
#   make                  build every command into $(BUILD)/bin
#   make check            unit suites + shell tests ("N passed, N failed")
#   make reliability      the crash, concurrency and limit tests only
#                         (tests/sh/test_reliability_*.sh; also in check)
#   make asan             the whole test suite under -fsanitize=address,undefined
#   make valgrind         the whole test suite under valgrind memcheck
#   make lint             mandoc -Tlint on every man page
#   make bench            benchmarks (scripts/bench-*), figures on stdout
#   make fuzz             run every fuzz target for FUZZ_SECONDS each
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make MPI=1            the same commands linked with MPI, in build/mpi
#                         (scripts/install-deps --mpi; MPI_PKG=mpich for
#                         MPICH); make check also runs the MPI tests with
#                         such a build in $(BUILD)/mpi when Open MPI is
#                         installed (MPI_TESTS=0: skip them)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# MPI builds never share objects with serial ones: their own directory
MPI ?= 0
MPI_PKG ?= ompi-c
ifeq ($(MPI),1)
BUILD ?= build/mpi
else
BUILD ?= build
endif

CC ?= cc
CXX ?= g++
OPT ?= -O2 -g
CFLAGS ?= $(OPT)
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wformat=2 -Wno-format-nonliteral -Wvla
PKGS = libcjson openblas zlib nettle
ifeq ($(MPI),1)
ifeq ($(filter clean deps lint,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(MPI_PKG) && echo y),y)
$(error MPI=1: pkg-config finds no $(MPI_PKG): run scripts/install-deps --mpi)
endif
endif
PKGS += $(MPI_PKG)
MPI_DEF = -DIGRAPH_MPI
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fopenmp -Ilib $(MPI_DEF) $(PKG_CFLAGS) \
	     $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
# --as-needed: a command records only the libraries it uses, so the ones
# that compute nothing never load OpenBLAS or libgomp (whose constructors
# start threads before main; see cmd/cli.c)
# FAISS (approximate nearest neighbours, lib/ann_faiss.cpp): Debian's
# libfaiss-dev ships a static libfaiss.a only; it takes its sgemm_ and
# LAPACK from OpenBLAS (so $(PKG_LIBS) follows it) and needs libstdc++
FAISS_LIB ?= $(firstword $(wildcard /usr/lib/*/libfaiss.a /usr/local/lib/libfaiss.a))
ifeq ($(filter clean deps lint,$(MAKECMDGOALS)),)
ifeq ($(FAISS_LIB),)
$(error FAISS not found (no libfaiss.a): run scripts/install-deps, which installs libfaiss-dev)
endif
endif
LIBS = -Wl,--as-needed $(FAISS_LIB) $(PKG_LIBS) -lcsv -llapacke -lm -lstdc++ \
       -fopenmp
CXXWARN = -Wall -Wextra -Wshadow -Wpointer-arith -Wformat=2 \
	  -Wno-format-nonliteral -Wvla
ALL_CXXFLAGS = -std=c++17 -D_GNU_SOURCE -fopenmp -Ilib $(CXXWARN) $(CFLAGS) \
	       $(EXTRA_CFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c lib/models/*.c))
# the one C++ file: the FAISS shim (its header says why)
LIB_CXX := lib/ann_faiss.cpp
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(LIB_CXX:%.cpp=$(BUILD)/obj/%.o)
LIB_A := $(BUILD)/libigr.a
CMD_SRC := $(sort $(wildcard cmd/igraph-*.c))
CMDS := $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
# the commands' front end (options, messages, exit statuses): the one place
# that prints, so it lives beside the commands, not in the library
CLI_OBJ := $(BUILD)/obj/cmd/cli.o
CHECK_SRC := $(sort $(wildcard tests/check_*.c))
CHECKS := $(CHECK_SRC:tests/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
MAN1 := $(sort $(wildcard man/man1/*.1))
MAN5 := $(sort $(wildcard man/man5/*.5))
MAN7 := $(sort $(wildcard man/man7/*.7))

.PHONY: all check unit shell reliability asan valgrind lint bench fuzz install \
	uninstall clean demo deps

all: $(CMDS)

deps:
	./scripts/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/cmd/%.o $(CLI_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(CLI_OBJ) $(LIB_A) $(LIBS) $(EXTRA_LDFLAGS) -o $@

$(BUILD)/tests/%: tests/%.c $(LIB_A) tests/testutil.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests $< $(LIB_A) $(CHECK_LIBS) \
		$(LIBS) $(EXTRA_LDFLAGS) -o $@

# tools of the shell tests (tests/model_diff.c: models within a tolerance)
TEST_TOOLS := $(BUILD)/tests/model_diff

# failure injection shim for the shell tests (LD_PRELOAD)
INJECT := $(BUILD)/tests/libinject.so
$(INJECT): tests/inject.c
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -O1 -g -Wall $< -o $@ -ldl

-include $(LIB_OBJ:.o=.d) $(CMD_SRC:cmd/%.c=$(BUILD)/obj/cmd/%.d) $(CLI_OBJ:.o=.d)

# The MPI tests (tests/sh/test_mpi.sh) compare the commands of an MPI
# build under mpirun with the serial ones: an MPI build is made for them
# in $(BUILD)/mpi when Open MPI is installed; without it they say why they
# were skipped.
MPI_TESTS ?= 1
ifeq ($(MPI),1)
MPI_BIN := $(abspath $(BUILD)/bin)
else ifeq ($(MPI_TESTS)$(shell command -v mpirun >/dev/null && \
		pkg-config --exists $(MPI_PKG) && echo y),1y)
MPI_BIN := $(abspath $(BUILD)/mpi/bin)
MPI_DEP := mpi-cmds
endif
.PHONY: mpi-cmds
mpi-cmds:
	@$(MAKE) --no-print-directory MPI=1 BUILD=$(BUILD)/mpi all

# The test suite: Check unit suites, then the shell tests, one summary.
check: $(CMDS) $(CHECKS) $(INJECT) $(TEST_TOOLS) $(MPI_DEP)
	@IGRAPH_BIN=$(abspath $(BUILD)/bin) IGRAPH_TESTBIN=$(abspath $(BUILD)/tests) \
		IGRAPH_MPI_BIN=$(MPI_BIN) MPI_TESTS=$(MPI_TESTS) ./tests/run.sh

unit: $(CHECKS)
	@IGRAPH_BIN=$(abspath $(BUILD)/bin) IGRAPH_TESTBIN=$(abspath $(BUILD)/tests) \
		./tests/run.sh --unit

shell: $(CMDS) $(INJECT) $(TEST_TOOLS) $(MPI_DEP)
	@IGRAPH_BIN=$(abspath $(BUILD)/bin) IGRAPH_TESTBIN=$(abspath $(BUILD)/tests) \
		IGRAPH_MPI_BIN=$(MPI_BIN) MPI_TESTS=$(MPI_TESTS) ./tests/run.sh --shell

# every tests/sh/test_reliability_*.sh (run.sh matches the name pattern)
reliability: $(CMDS) $(INJECT)
	@IGRAPH_BIN=$(abspath $(BUILD)/bin) IGRAPH_TESTBIN=$(abspath $(BUILD)/tests) \
		./tests/run.sh --shell test_reliability_

SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
# (without the MPI tests: Open MPI's own allocations are not ours to check)
asan:
	$(MAKE) BUILD=build/asan OPT="$(SAN_FLAGS)" EXTRA_LDFLAGS="-fsanitize=address,undefined" all
	$(MAKE) BUILD=build/asan OPT="$(SAN_FLAGS)" EXTRA_LDFLAGS="-fsanitize=address,undefined" \
		IGRAPH_SANITIZE=1 MPI_TESTS=0 check

valgrind: all $(CHECKS) $(INJECT)
	@IGRAPH_BIN=$(abspath $(BUILD)/bin) IGRAPH_TESTBIN=$(abspath $(BUILD)/tests) \
		IGRAPH_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(abspath tests/valgrind.supp)" \
		CK_FORK=no ./tests/run.sh

lint:
	@rc=0; for m in $(MAN1) $(MAN5) $(MAN7); do \
		mandoc -Tlint -W warning $$m || rc=1; done; exit $$rc

bench: all
	@for b in scripts/bench-*; do [ -x "$$b" ] && IGRAPH_BIN=$(abspath $(BUILD)/bin) "$$b"; done

FUZZ_SECONDS ?= 60
fuzz:
	./tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: all
	./scripts/demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(CMDS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7)

uninstall:
	rm -f $(CMDS:$(BUILD)/bin/%=$(DESTDIR)$(BINDIR)/%) \
		$(MAN1:man/man1/%=$(DESTDIR)$(MANDIR)/man1/%) \
		$(MAN5:man/man5/%=$(DESTDIR)$(MANDIR)/man5/%) \
		$(MAN7:man/man7/%=$(DESTDIR)$(MANDIR)/man7/%)

clean:
	rm -rf build
.SECONDARY:

# every output byte-identical to another build's: make compare-outputs OLD=dir [GOWALLA=1]
compare-outputs: all
	./scripts/compare-outputs $(OLD) $(BUILD)/bin $(if $(GOWALLA),--gowalla)
.PHONY: compare-outputs
