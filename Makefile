# SPDX-License-Identifier: GPL-2.0
# lockmon: `make` builds the module and the reporter; `make demo` shows it
# working in a VM; `make check` runs every test. See README.md.

# KFLAVOUR=cloud|rt: build and boot that Debian kernel flavour instead
KFLAVOUR ?=
export KFLAVOUR
ifeq ($(origin KVER),undefined)
KVER	:= $(shell KFLAVOUR=$(KFLAVOUR) scripts/kernel-version)
endif
KDIR	?= /lib/modules/$(KVER)/build
KSRC	?= /usr/src/linux-source-6.1
PWD	:= $(shell pwd)

.PHONY: all module module-missing-symbol user deps lint check check-host check-vm check-debug check-debug-ci fuzz demo bench soak clean help
.PHONY: install uninstall dkms-install dkms-uninstall deb

all: module user

deps:
	@scripts/deps

# Build against the installed Debian headers; W=1 and C=1 (sparse) are on by
# default since the tree is kept clean under both.
KFLAGS	?= W=1 C=1
# The objects of one Debian flavour look up to date to another's build
# (the compile commands are the same, the other headers older), so a build
# for another kernel than the last one's (.lockmon-kver) starts clean.
LM_BUILT := lockmon.ko lockmon.o lockmon.mod lockmon.mod.c lockmon.mod.o \
	Module.symvers modules.order .lockmon*.cmd .Module.symvers.cmd \
	.modules.order.cmd module/*.o module/.*.o.cmd
module: | $(KDIR)
	@if [ "$$(cat .lockmon-kver 2>/dev/null)" != "$(KVER)" ]; then \
		rm -f $(LM_BUILT); echo "$(KVER)" >.lockmon-kver; fi
	$(MAKE) -C $(KDIR) M=$(PWD) $(KFLAGS) modules

$(KDIR):
	@scripts/deps

# For load_test: lockmon whose PI-unlock hook names a symbol no kernel has
# (LM_TEST_MISSING_SYMBOL in module/compat.h) and which takes every
# kretprobe for an int3 one (LM_TEST_FORCE_INT3, module/probes_futex.c),
# built from a copy of the sources so the real module's objects stay.
VARIANT := selftests/lockmon/missing-symbol
module-missing-symbol: | $(KDIR)
	rm -rf $(VARIANT)
	mkdir -p $(VARIANT)
	tar -cf - --exclude='*.o' --exclude='*.cmd' --exclude=tests \
		Kbuild module include | tar -C $(VARIANT) -xf -
	$(MAKE) -C $(KDIR) M=$(PWD)/$(VARIANT) KCFLAGS="-DLM_TEST_MISSING_SYMBOL -DLM_TEST_FORCE_INT3" modules

user:
	$(MAKE) -C user

lint:
	@scripts/lint

# the two halves of `make check`, for working on one of them
check-host: user
	$(MAKE) -C module/tests test
	$(MAKE) -C user test

# module-missing-symbol too: the variant must match the kernel booted
# (KFLAVOUR), as the one built for another kernel would not load
check-vm: module user module-missing-symbol
	$(MAKE) -C selftests/lockmon
	scripts/vm-run -t 2400 -- $(MAKE) -s -C selftests/lockmon run_tests

check: deps
	@scripts/check

# libFuzzer targets of lockmon-report's file and debugfs parsers
fuzz:
	$(MAKE) -C user fuzz

# The selftests on a KASAN/lockdep/kmemleak/UBSAN kernel built from
# linux-source (first build ~40 min on 2 cores, cached); see scripts/debug-kernel.
check-debug: deps user
	scripts/debug-kernel -c

# What CI runs after `make check` (.ci/run): the debug kernel, built if
# not cached, and the subset of the selftests that covers every probe
# path, load/unload, task exit, the limits and the findings, at a tenth
# of the loops (scripts/debug-kernel -s ci; Documentation/testing.rst).
check-debug-ci: deps user
	scripts/debug-kernel -c -s ci

demo: deps module user
	scripts/vm-run -t 600 -- scripts/demo-in-vm

bench: deps module user
	$(MAKE) -C bench
	bench/run

# Faults at scale, not in CI: SOAK_MINUTES (default 30) of mixed load in
# one VM, failing on growth, findings or kernel complaints; SOAK_ARGS
# takes scripts/soak's options (--debug, --cycles N). See scripts/soak.
SOAK_ARGS ?=
soak: deps module user
	$(MAKE) -C bench
	$(MAKE) -C selftests/lockmon
	scripts/soak $(SOAK_ARGS)

# The reporter, its man page and bash completion. PREFIX=/usr and
# DESTDIR=<staging dir> is what debian/rules passes.
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# the unit of "lockmon-report serve", installed but not enabled
UNITDIR	?= $(PREFIX)/lib/systemd/system
install:
	$(MAKE) -C user lockmon-report
	install -D -m 0755 user/lockmon-report $(DESTDIR)$(BINDIR)/lockmon-report
	install -D -m 0644 user/lockmon-report.1 $(DESTDIR)$(MANDIR)/man1/lockmon-report.1
	install -D -m 0644 user/lockmon-report.bash-completion $(DESTDIR)$(BASHCOMPDIR)/lockmon-report
	mkdir -p $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' user/lockmon-report.service.in > $(DESTDIR)$(UNITDIR)/lockmon-report.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/lockmon-report.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lockmon-report
	rm -f $(DESTDIR)$(MANDIR)/man1/lockmon-report.1
	rm -f $(DESTDIR)$(BASHCOMPDIR)/lockmon-report
	rm -f $(DESTDIR)$(UNITDIR)/lockmon-report.service

# The module under DKMS, for every installed kernel with headers (root).
dkms-install:
	scripts/dkms install

dkms-uninstall:
	scripts/dkms uninstall

# lockmon-dkms and lockmon-report .debs, built from a copy of the tree in
# $(DEB_OUT) (and checked with lintian), never in the checkout.
DEB_OUT	?= $(PWD)/build/deb
deb:
	scripts/build-deb $(DEB_OUT)

clean:
	-$(MAKE) -C $(KDIR) M=$(PWD) clean
	-$(MAKE) -C user clean
	-$(MAKE) -C selftests/lockmon clean
	rm -rf $(VARIANT) .lockmon-kver
	-$(MAKE) -C bench clean
	rm -rf build

help:
	@echo "make          build lockmon.ko and lockmon-report"
	@echo "make demo     load lockmon in a VM and show a contended and a deadlocked workload"
	@echo "make check    every test: host unit tests, then the kselftests in a VM"
	@echo "make check-debug  the kselftests on a debug kernel (KASAN, lockdep, kmemleak)"
	@echo "make check-debug-ci  CI's part of them on the debug kernel"
	@echo "make lint     checkpatch --strict and kernel-doc on module/ and include/"
	@echo "make bench    overhead benchmark in one VM boot"
	@echo "make soak     SOAK_MINUTES (30) of mixed load in a VM, failing on growth or findings;"
	@echo "              SOAK_ARGS=\"--cycles 1000\" load/unload cycles, SOAK_ARGS=--debug the debug kernel"
	@echo "make install  the reporter, man page, bash completion (PREFIX=$(PREFIX), DESTDIR)"
	@echo "make dkms-install  the module under DKMS for every kernel with headers (root)"
	@echo "make deb      lockmon-dkms and lockmon-report .debs in build/deb (lintian-checked)"
