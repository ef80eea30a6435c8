# SPDX-License-Identifier: GPL-2.0
#
# The carry question: what a packet with RSS and report costs when
# ndo_select_queue carries its hash to ndo_start_xmit in an skb extension
# (one allocation per packet), against hashing it again in ndo_start_xmit
# as the series does.  The variant is mk/bench/carry.patch, applied over a
# copy of the assembled tree; it is never part of the series.
#
#   make bench-carry   the variant's x86 kernel and UML KUnit build, then
#                      bench-insn on the variant kernel booted with each
#                      design and on the normal kernel (CARRY_NORMAL=0: not
#                      that one), the KUnit benchmark of the variant (both
#                      designs in one run), and one table of both:
#                      $(CARRY_DIR)/carry.txt
#
# Not part of make check: it prints figures and never fails on them.

CARRY_PATCH := $(REPO)/mk/bench/carry.patch
CARRY_TREE := $(BUILD)/linux-carry
CARRY_KERNEL_BUILD := $(BUILD)/x86-carry
CARRY_DIR := $(BUILD)/bench-carry

.PHONY: bench-carry bench-carry-tree bench-carry-kernel bench-carry-insn \
	bench-carry-kunit

bench-carry-tree: tree
	@$(REPO)/mk/bench/carry-tree.sh $(TREE) $(CARRY_PATCH) $(CARRY_TREE)

# vm.mk's kernel, from the variant tree into a build directory of its own
# (same configuration fragment); -o tree keeps the variant tree as it is.
bench-carry-kernel: bench-carry-tree
	@$(MAKE) --no-print-directory -o tree kernel TREE=$(CARRY_TREE) \
		KERNEL_BUILD=$(CARRY_KERNEL_BUILD)

# bench-insn of mk/bench.mk, unchanged, on the variant kernel booted with
# each design (tun.vnet_hash_carry=0 hashes again, as the series does),
# then on the normal kernel unless CARRY_NORMAL=0; -o kernel boots the
# variant as built above.
CARRY_NORMAL ?= 1
CARRY_BZIMAGE := $(CARRY_KERNEL_BUILD)/arch/x86/boot/bzImage

bench-carry-insn: bench-carry-kernel
	@for c in 0 1; do \
		$(MAKE) --no-print-directory -o kernel bench-insn \
			BENCH_DIR=$(CARRY_DIR)/carry$$c \
			BENCH_TOOLS=$(CARRY_DIR)/tools \
			KERNEL_BUILD=$(CARRY_KERNEL_BUILD) \
			VM_KERNEL=$(CARRY_BZIMAGE) \
			VM_APPEND=tun.vnet_hash_carry=$$c; \
	done
ifneq ($(CARRY_NORMAL),0)
	@$(MAKE) --no-print-directory bench-insn \
		BENCH_DIR=$(CARRY_DIR)/normal BENCH_TOOLS=$(CARRY_DIR)/tools
endif

# bench-kunit of the Makefile on the variant tree, in a UML build
# directory of its own: the rss+report and rss+carry modes of the same run.
bench-carry-kunit: bench-carry-tree
	@$(MAKE) --no-print-directory -o tree bench-kunit TREE=$(CARRY_TREE) \
		BENCH_DIR=$(CARRY_DIR)/kunit \
		KUNIT_BENCH_BUILD=$(BUILD)/kunit-carry

bench-carry: bench-carry-insn bench-carry-kunit
	@python3 $(REPO)/mk/bench/carry-table.py $(CARRY_DIR) \
		"$$(git -C $(REPO) log -1 --format=%h 2>/dev/null || echo '?')" \
		| tee $(CARRY_DIR)/carry.txt
