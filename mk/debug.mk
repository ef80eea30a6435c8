# SPDX-License-Identifier: GPL-2.0
#
# The tests again, under sanitizers and lock checking:
#
#   make kunit-debug      the KUnit suites on UML with KASAN, UBSAN,
#                         lockdep and PROVE_RCU (build/kunit-debug)
#   make kernel-debug     the VM kernel with mk/vm/debug.config merged in:
#                         KASAN, UBSAN, PROVE_LOCKING, PROVE_RCU,
#                         DEBUG_KMEMLEAK (build/x86-debug)
#   make selftest-debug   the kselftests of `make selftest` in that kernel,
#                         then a kmemleak scan; the kernel log is kept in
#                         $(RESULTS)/selftest-debug.dmesg
#
# Any KASAN, UBSAN, lockdep, RCU or kmemleak report (or BUG, WARNING,
# Oops, hung task) in the logs fails the target: it is counted as a failed
# test in $(RESULTS)/NAME.counts, so that `make check` shows it.

KUNIT_DEBUG_DIR := $(BUILD)/kunit-debug
# UML has no kmemleak (no HAVE_DEBUG_KMEMLEAK).  UML lacks
# HAVE_EFFICIENT_UNALIGNED_ACCESS, so UBSAN would flag every unaligned
# access of the whole kernel, which x86 allows: alignment checks are off.
KUNIT_DEBUG_CONFIG := CONFIG_DEBUG_KERNEL=y CONFIG_STACKTRACE=y \
	CONFIG_UBSAN_ALIGNMENT=n \
	CONFIG_KASAN=y CONFIG_KASAN_GENERIC=y \
	CONFIG_UBSAN=y CONFIG_UBSAN_BOUNDS=y CONFIG_UBSAN_SHIFT=y \
	CONFIG_UBSAN_DIV_ZERO=y CONFIG_UBSAN_BOOL=y CONFIG_UBSAN_ENUM=y \
	CONFIG_PROVE_LOCKING=y CONFIG_PROVE_RCU=y CONFIG_DEBUG_ATOMIC_SLEEP=y

ifeq ($(LINUX_SRC),)
KERNEL_DEBUG_BUILD := $(BUILD)/x86-debug
else
KERNEL_DEBUG_BUILD := $(BUILD)/x86-debug-$(notdir $(BASE))
endif
KERNEL_DEBUG_FRAGMENT := $(REPO)/mk/vm/debug.config
BZIMAGE_DEBUG := $(KERNEL_DEBUG_BUILD)/arch/x86/boot/bzImage
KMAKE_DEBUG = $(MAKE) --no-print-directory -C $(TREE) \
	O=$(KERNEL_DEBUG_BUILD) ARCH=x86_64 -j$(JOBS)

# Reports of the sanitizers and checkers, as they start in the kernel log.
DEBUG_REPORTS := BUG: |Oops|WARNING:|UBSAN:|KASAN:|kernel BUG at | \
	possible circular locking|possible recursive locking| \
	inconsistent lock state|inconsistent .* usage|suspicious RCU usage| \
	lockdep is turned off|DEBUG_LOCKS_WARN_ON|INFO: task .* blocked| \
	unreferenced object|Kernel panic|general protection fault| \
	RCU detected stall|rcu_.* detected stalls
DEBUG_REPORTS_RE := $(subst | ,|,$(strip $(DEBUG_REPORTS)))

# UML's boot warns that PCI over virtio has no device ID, with or without
# this project: not a report about the code under test.
KUNIT_DEBUG_BOOT_NOISE := at arch/um/drivers/virt-pci.c

# KASAN and kmemleak make the VM slower: more memory and time.
SELFTEST_DEBUG_TIMEOUT ?= 2400

.PHONY: kunit-debug kernel-debug kernel-debug-config selftest-debug

kunit-debug: tree
	@mkdir -p $(RESULTS)
	@rc=0; cd $(TREE) && python3 tools/testing/kunit/kunit.py run \
		--build_dir=$(KUNIT_DEBUG_DIR) --jobs=$(JOBS) --timeout=1200 \
		$(addprefix --kunitconfig=,$(KUNITCONFIGS)) \
		$(addprefix --kconfig_add ,$(KUNIT_DEBUG_CONFIG)) \
		$(KUNIT_ARGS) 2>&1 | tee $(RESULTS)/kunit-debug.log || rc=$$?; \
	$(REPO)/mk/counts.sh kunit $(RESULTS)/kunit-debug.log \
		> $(RESULTS)/kunit-debug.counts; \
	if grep -aE '$(DEBUG_REPORTS_RE)' $(KUNIT_DEBUG_DIR)/test.log | \
		grep -v '$(KUNIT_DEBUG_BOOT_NOISE)' \
		> $(RESULTS)/kunit-debug.reports 2>/dev/null; then \
		echo "  KUNIT-DEBUG the kernel reported problems:"; \
		sed 's/^/    /' $(RESULTS)/kunit-debug.reports | head -n 20; \
		read -r p f < $(RESULTS)/kunit-debug.counts; \
		echo "$$p $$((f + 1))" > $(RESULTS)/kunit-debug.counts; rc=1; \
	fi; exit $$rc

$(KERNEL_DEBUG_BUILD)/.config: $(REPO)/mk/vm/kernel.config \
		$(KERNEL_DEBUG_FRAGMENT) | tree
	@mkdir -p $(KERNEL_DEBUG_BUILD)
	@echo "  CONFIG  $(KERNEL_DEBUG_BUILD) (tinyconfig + kernel.config + debug.config)"
	@$(KMAKE_DEBUG) -s tinyconfig >/dev/null
	@cd $(TREE) && ARCH=x86_64 scripts/kconfig/merge_config.sh -m \
		-O $(KERNEL_DEBUG_BUILD) $(KERNEL_DEBUG_BUILD)/.config \
		$(KERNEL_CONFIG_FRAGMENT) $(KERNEL_DEBUG_FRAGMENT) >/dev/null
	@$(KMAKE_DEBUG) -s olddefconfig >/dev/null
	@cat $(KERNEL_CONFIG_FRAGMENT) $(KERNEL_DEBUG_FRAGMENT) | \
		$(REPO)/mk/vm/check-config.sh /dev/stdin \
		$(KERNEL_DEBUG_BUILD)/.config

kernel-debug-config: $(KERNEL_DEBUG_BUILD)/.config

kernel-debug: tree $(KERNEL_DEBUG_BUILD)/.config
	@flock $(KERNEL_DEBUG_BUILD)/.build-lock $(KMAKE_DEBUG) bzImage
	@echo "  KERNEL  $(BZIMAGE_DEBUG)"

# The selftests of mk/selftest.mk, then kmemleak.  kmemleak is cleared
# before the tests, so that only objects they leaked are reported, and
# scanned twice after them (an object is reported once it is old enough).
selftest-debug: kernel-debug selftest-build
	@mkdir -p $(RESULTS)
	@rm -f $(RESULTS)/selftest-debug.log $(RESULTS)/selftest-debug.kmemleak
	@rc=0; VM_KERNEL=$(BZIMAGE_DEBUG) VM_MEM=2G \
	VM_TIMEOUT=$(SELFTEST_DEBUG_TIMEOUT) \
	VM_LOG=$(BUILD)/vm/debug-serial.log \
	$(VM_RUN) 'export PATH=$$PATH:/usr/sbin:/sbin; \
		mount -t debugfs none /sys/kernel/debug 2>/dev/null; \
		kml=/sys/kernel/debug/kmemleak; \
		[ -w $$kml ] && echo clear > $$kml; \
		$(call selftest_loop,$(RESULTS)/selftest-debug.log); \
		if [ -w $$kml ]; then \
			sleep 6; echo scan > $$kml; sleep 6; echo scan > $$kml; \
			cat $$kml > $(RESULTS)/selftest-debug.kmemleak; \
		else \
			echo "kmemleak: not available" \
				> $(RESULTS)/selftest-debug.kmemleak; rc=1; \
		fi; \
		dmesg > $(RESULTS)/selftest-debug.dmesg; exit $$rc' || rc=$$?; \
	[ -s $(RESULTS)/selftest-debug.log ] || \
		echo "not ok 1 selftests: no output (VM exit $$rc)" \
			>> $(RESULTS)/selftest-debug.log; \
	grep -aE '^(not )?ok |^# (selftests|Totals|FAILED|PASSED)' \
		$(RESULTS)/selftest-debug.log | grep -v '# SKIP' | \
		grep -E 'not ok|^#' || true; \
	$(SELFTEST_COUNT) $(RESULTS)/selftest-debug.log \
		> $(RESULTS)/selftest-debug.counts; \
	read -r p f < $(RESULTS)/selftest-debug.counts; \
	cat $(BUILD)/vm/debug-serial.log $(RESULTS)/selftest-debug.dmesg \
		$(RESULTS)/selftest-debug.kmemleak 2>/dev/null | \
		grep -aE '$(DEBUG_REPORTS_RE)' \
		> $(RESULTS)/selftest-debug.reports || true; \
	if [ -s $(RESULTS)/selftest-debug.reports ]; then \
		echo "  SELFTEST-DEBUG the kernel reported problems:"; \
		sort -u $(RESULTS)/selftest-debug.reports | head -n 20 | \
			sed 's/^/    /'; \
		f=$$((f + 1)); echo "$$p $$f" > $(RESULTS)/selftest-debug.counts; \
	fi; \
	echo "  SELFTEST-DEBUG $$p passed, $$f failed (VM exit $$rc)" \
		"- $(RESULTS)/selftest-debug.log"; \
	[ $$rc -eq 0 ] && [ $$f -eq 0 ]

# CI runs the KUnit suites under the sanitizers (about 8 minutes from
# scratch here); selftest-debug needs its own KASAN kernel and a slow
# TCG boot, and is run by hand (see README).
CHECKS += kunit-debug
