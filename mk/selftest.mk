# SPDX-License-Identifier: GPL-2.0
#
# kselftests in the test VM:
#
#   make selftest        build the tests on the host (the VM shares the
#                        host root), run them in the VM, write the
#                        combined TAP output to $(RESULTS)/selftest.log
#                        and its counts to $(RESULTS)/selftest.counts
#
# The tests: tun_vnet_hash, tun_vnet_hash_fuzz, tun_vnet_hash_vhost
# (hash report through /dev/vhost-net) and tun_vnet_hash_ethtool (the
# ethtool view, the last patch of the series) of this project, the first
# and the third also built -m32 (tun_vnet_hash_32, tun_vnet_hash_vhost_32:
# 32-bit userspace through the compat ioctls), plus the upstream tun and
# tap tests of tools/testing/selftests/net as regressions.  SELFTESTS='...'
# runs a subset; SELFTEST_ARGS='-f vnet_hash_ctl' passes harness options
# to every binary.  tun_vnet_hash_fuzz runs its short default (a few
# seconds per case, as in kselftest CI); SELFTEST_FUZZ_LONG=1 runs its
# long run (TUN_VNET_HASH_FUZZ_LONG=1), which make check asks for.

SELFTEST_HDR := $(BUILD)/usr
SELFTEST_OUT := $(BUILD)/selftests/net
SELFTESTS ?= tun_vnet_hash tun_vnet_hash_32 tun_vnet_hash_fuzz \
	tun_vnet_hash_vhost tun_vnet_hash_vhost_32 tun_vnet_hash_ethtool tun tap
SELFTEST_ARGS ?=
SELFTEST_FUZZ_LONG ?= 0
SELFTEST_BINS := $(addprefix $(SELFTEST_OUT)/,$(SELFTESTS))

# The strict count of a run of the loop below: a skip not listed in
# mk/selftest-skips (by design, with its reason), a binary that dies or
# reports fewer results than its plan, each counts as a failure.
SELFTEST_SKIPS ?= $(REPO)/mk/selftest-skips
SELFTEST_COUNT := python3 $(REPO)/mk/kselftest-counts.py $(SELFTEST_SKIPS)

.PHONY: selftest selftest-build uapi-headers

# UAPI headers of the assembled tree, installed out of tree (O=) so that
# the source tree stays clean for the O= kernel build.
uapi-headers: tree
	@$(MAKE) -s --no-print-directory -C $(TREE) O=$(BUILD)/hdr \
		ARCH=x86_64 headers_install INSTALL_HDR_PATH=$(SELFTEST_HDR)

# Built with the kselftest Makefile, as upstream CI would.
# tun_vnet_hash_32 is tun_vnet_hash built -m32 (the x86 selftests' _32
# convention): the same tests, with every ioctl through the compat_ioctl
# of tun, tap and vhost-net.
SELFTEST_OUT32 := $(BUILD)/selftests32/net
selftest_make = $(MAKE) -s --no-print-directory \
	-C $(TREE)/tools/testing/selftests/net \
	KHDR_INCLUDES="-isystem $(SELFTEST_HDR)/include"

SELFTESTS_M32 = $(patsubst %_32,%,$(filter %_32,$(SELFTESTS)))

selftest-build: uapi-headers
	@mkdir -p $(SELFTEST_OUT) $(SELFTEST_OUT32)
	@$(selftest_make) OUTPUT=$(SELFTEST_OUT) \
		$(filter-out %_32,$(SELFTEST_BINS))
	@$(if $(SELFTESTS_M32),$(selftest_make) OUTPUT=$(SELFTEST_OUT32) \
		CC="gcc -m32" $(addprefix $(SELFTEST_OUT32)/,$(SELFTESTS_M32)) && \
		for t in $(SELFTESTS_M32); do \
			cp $(SELFTEST_OUT32)/$$t $(SELFTEST_OUT)/$${t}_32; \
		done)

# The shell loop, run in the VM, over the binaries $(2) (default
# $(SELFTESTS)) into the log $(1); it leaves rc non-zero when one fails.
# A binary that is missing or dies before its plan still leaves a "not
# ok" line, so that it counts as a failure.  Also used by selftest-debug
# (mk/debug.mk) and dkms-check (mk/deb.mk).
selftest_loop = cd $(SELFTEST_OUT) && rc=0; \
	export TUN_VNET_HASH_FUZZ_LONG=$(SELFTEST_FUZZ_LONG); \
	for t in $(or $(2),$(SELFTESTS)); do \
		echo "\# selftests: net: $$t"; \
		st=0; \
		if [ ! -x ./$$t ]; then \
			echo "not ok 1 selftests: net: $$t \# not built"; \
			st=127; \
		else \
			./$$t $(SELFTEST_ARGS) 2>&1 || st=$$?; \
		fi; \
		echo "\# selftests: net: $$t exit=$$st"; \
		[ $$st -eq 0 ] || rc=1; \
	done > $(1)

selftest: kernel selftest-build
	@mkdir -p $(RESULTS)
	@rm -f $(RESULTS)/selftest.log
	@rc=0; $(VM_RUN) 'export PATH=$$PATH:/usr/sbin:/sbin; \
		$(call selftest_loop,$(RESULTS)/selftest.log); \
		exit $$rc' || rc=$$?; \
	[ -s $(RESULTS)/selftest.log ] || \
		echo "not ok 1 selftests: no output (VM exit $$rc)" \
			>> $(RESULTS)/selftest.log; \
	grep -aE '^(not )?ok |^# (selftests|Totals|FAILED|PASSED)' \
		$(RESULTS)/selftest.log | grep -v '# SKIP' | \
		grep -E 'not ok|^#' || true; \
	$(SELFTEST_COUNT) $(RESULTS)/selftest.log \
		> $(RESULTS)/selftest.counts; \
	read -r p f < $(RESULTS)/selftest.counts; \
	echo "  SELFTEST $$p passed, $$f failed (VM exit $$rc)" \
		"- $(RESULTS)/selftest.log"; \
	[ $$rc -eq 0 ] && [ $$f -eq 0 ]

CHECKS += selftest
