# SPDX-License-Identifier: GPL-2.0
#
# virtio-net RSS and hash report for tun/tap: assemble the kernel tree from
# Debian's linux-source-6.12, our patch series and our new files, then
# build and test it.  See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

REPO := $(CURDIR)
BUILD := $(REPO)/build
JOBS ?= $(shell nproc)

BASE_VERSION := 6.12
BASE_TARBALL := /usr/src/linux-source-$(BASE_VERSION).tar.xz
ifeq ($(LINUX_SRC),)
BASE := $(BUILD)/linux-source-$(BASE_VERSION)
TREE := $(BUILD)/linux
else
BASE := $(abspath $(LINUX_SRC))
TREE := $(BUILD)/linux-$(notdir $(BASE))
endif

RESULTS := $(BUILD)/results
KUNIT_DIR := $(BUILD)/kunit
KUNITCONFIGS := lib/.kunitconfig drivers/net/.kunitconfig

# Debian packages the targets need; `make deps` installs the missing ones.
DEPS_BUILD := linux-source-$(BASE_VERSION) build-essential bc bison flex \
	libelf-dev libssl-dev python3 rsync xz-utils patch perl gcc-multilib
DEPS_VM := qemu-system-x86 ethtool iproute2 kmod cpio clang llvm libbpf-dev \
	dwarves
DEPS_LINT := python3-docutils sparse git
DEPS := $(DEPS_BUILD) $(DEPS_VM) $(DEPS_LINT)

.PHONY: help deps tree kunit check lint bisect-build patches bench bench-kunit clean distclean

help:
	@echo "make demo       boot the patched kernel and show RSS + hash report"
	@echo "make check      every test; last line 'N passed, N failed'"
	@echo "make kunit      KUnit suites on UML"
	@echo "make lint       checkpatch --strict and kernel-doc"
	@echo "make patches    git format-patch series under build/patches"
	@echo "make tree       assemble the kernel tree under $(TREE)"

# $(call apt_install,PACKAGES[,APT-GET OPTIONS]): install the Debian
# packages of the list that are missing, updating the lists once if the
# first try fails.
define apt_install
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  APT     $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $(2) $$missing >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && \
		  apt-get install -y -q $(2) $$missing >/dev/null; }; \
	fi
endef

deps:
	$(call apt_install,$(DEPS))

$(BUILD)/linux-source-$(BASE_VERSION)/Makefile: | deps
	@mkdir -p $(BUILD)
	@echo "  UNPACK  $(BASE_TARBALL)"
	@tar -C $(BUILD) -xJf $(BASE_TARBALL)
	@touch $@

tree: $(BASE)/Makefile | deps
	@$(REPO)/mk/assemble.sh $(REPO) $(BASE) $(TREE)

# Every project KUnit suite on UML.  Counts go to $(RESULTS)/kunit.
kunit: tree
	@mkdir -p $(RESULTS)
	@rc=0; cd $(TREE) && python3 tools/testing/kunit/kunit.py run \
		--build_dir=$(KUNIT_DIR) --jobs=$(JOBS) \
		$(addprefix --kunitconfig=,$(KUNITCONFIGS)) \
		$(KUNIT_ARGS) 2>&1 | tee $(RESULTS)/kunit.log || rc=$$?; \
	$(REPO)/mk/counts.sh kunit $(RESULTS)/kunit.log \
		> $(RESULTS)/kunit.counts; exit $$rc

PATCHES_OUT := $(BUILD)/patches

# The LKML series: build/patches/0000-cover-letter.patch and the patches.
patches: tree
	@$(REPO)/mk/patches.sh $(REPO) $(BASE) $(PATCHES_OUT)

# checkpatch --strict on the series, kernel-doc on the new files.
lint: patches
	@mkdir -p $(RESULTS)
	@rc=0; $(REPO)/mk/lint.sh $(REPO) $(TREE) $(PATCHES_OUT) \
		> $(RESULTS)/lint.log || rc=$$?; \
	grep -v '^ok ' $(RESULTS)/lint.log || true; \
	$(REPO)/mk/counts.sh ktap $(RESULTS)/lint.log > $(RESULTS)/lint.counts; \
	echo "lint: $$(cat $(RESULTS)/lint.counts | awk '{print $$1" passed, "$$2" failed"}')"; \
	exit $$rc

# Each patch of the series builds on its own (W=1, UML, lib/ drivers/net/
# drivers/vhost/), tun, tap, macvtap, ipvtap and vhost-net included.
bisect-build: patches
	@mkdir -p $(RESULTS) $(BUILD)/bisect
	@cat $(addprefix $(REPO)/,$(KUNITCONFIGS)) > $(BUILD)/bisect/config
	@echo "CONFIG_TOEPLITZ_BENCHMARK=y" >> $(BUILD)/bisect/config
	@printf 'CONFIG_VHOST_MENU=y\nCONFIG_VHOST_NET=y\n' \
		>> $(BUILD)/bisect/config
	@printf 'CONFIG_NET_CORE=y\nCONFIG_MACVLAN=y\nCONFIG_MACVTAP=y\n' \
		>> $(BUILD)/bisect/config
	@printf 'CONFIG_IPVLAN=y\nCONFIG_IPVTAP=y\n' >> $(BUILD)/bisect/config
	@rc=0; $(REPO)/mk/bisect-build.sh $(BASE) $(PATCHES_OUT) \
		$(BUILD)/bisect $(BUILD)/bisect/config \
		> $(RESULTS)/bisect-build.log || rc=$$?; \
	cat $(RESULTS)/bisect-build.log; \
	$(REPO)/mk/counts.sh ktap $(RESULTS)/bisect-build.log \
		> $(RESULTS)/bisect-build.counts; exit $$rc

# KUnit runs in make check once, in the sanitizer build (kunit-debug,
# mk/debug.mk): the same suites with KASAN, UBSAN and lockdep.  The plain
# build (make kunit) would add about 6 minutes of UML build to CI's 60.
CHECKS := lint bisect-build

BENCH_DIR := $(BUILD)/bench
KUNIT_BENCH_BUILD := $(BUILD)/kunit-bench

# In-kernel micro-benchmarks: the KUnit benchmark cases on UML, which runs
# kernel code at native speed.  Figures only; nothing passes or fails on time.
bench-kunit: tree
	@mkdir -p $(BENCH_DIR)
	@cd $(TREE) && python3 tools/testing/kunit/kunit.py run \
		--build_dir=$(KUNIT_BENCH_BUILD) --jobs=$(JOBS) \
		$(addprefix --kunitconfig=,$(KUNITCONFIGS)) \
		--kconfig_add CONFIG_TOEPLITZ_BENCHMARK=y \
		--kconfig_add CONFIG_TUN_VNET_HASH_BENCHMARK=y \
		--raw_output=all '*.*benchmark*' \
		> $(BENCH_DIR)/kunit-raw.log 2>&1 || \
		{ tail -n 30 $(BENCH_DIR)/kunit-raw.log; exit 1; }
	@grep -a -E 'ns/hash|expanded key' $(BENCH_DIR)/kunit-raw.log | \
		sed 's/^.*# [a-z_]*: //' | tee $(BENCH_DIR)/toeplitz.txt
	@grep -a -E 'ns/pkt|flows per shape' $(BENCH_DIR)/kunit-raw.log | \
		sed 's/^.*# [a-z_]*: //' | tee $(BENCH_DIR)/classify.txt

# Run every check even when one fails, then print the summary: each
# check's counts and wall time, the total time, and the closing line.
# The fuzzer's long run (mk/selftest.mk) is make check's.
# The VM's accelerator (mk/vm/run.sh writes it) is named in the summary.
# Each check's wall time (what it built included) goes to NAME.secs.
check:
	@rm -f $(RESULTS)/*.counts $(RESULTS)/*.secs $(BUILD)/vm/accel-used; \
	mkdir -p $(RESULTS); rc=0; \
	for t in $(CHECKS); do \
		t0=$$(date +%s); \
		$(MAKE) --no-print-directory $$t SELFTEST_FUZZ_LONG=1 || rc=1; \
		echo $$(($$(date +%s) - t0)) > $(RESULTS)/$$t.secs; \
	done; \
	ACCEL_USED=$(BUILD)/vm/accel-used \
		$(REPO)/mk/summary.sh $(RESULTS) $(CHECKS) || rc=1; exit $$rc

clean:
	rm -rf $(KUNIT_DIR) $(RESULTS)

distclean:
	rm -rf $(BUILD)

-include $(wildcard $(REPO)/mk/*.mk)

bench: bench-kunit bench-vm bench-insn bench-native
	@$(MAKE) --no-print-directory bench-report
