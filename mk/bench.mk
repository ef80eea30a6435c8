# SPDX-License-Identifier: GPL-2.0
#
# End-to-end benchmark in the test VM, and the report of `make bench`.
#
#   make bench-vm     pktgen (xmit_mode queue_xmit) into an 8-queue tap in
#                     the VM: single queue, automq, RSS, RSS + report and an
#                     eBPF steering program doing the same RSS, interleaved
#                     over BENCH_ROUNDS rounds; $(BENCH_DIR)/vm.json
#   make bench        bench-kunit and bench-vm, then one table with ratios:
#                     $(BENCH_DIR)/bench.txt
#
# The VM runs under TCG: see README.md ("Figures") for what its ratios are
# worth.

BENCH_TOOLS := $(BENCH_DIR)/tools
BENCH_SRC := $(REPO)/tools/net/tunrss/bench
BENCH_BPF := $(BENCH_TOOLS)/rss_steering.bpf.o
BENCH_HELPER := $(BENCH_TOOLS)/tun_bench
BENCH_ROUNDS ?= 5
BENCH_QUEUES ?= 8
BENCH_SECONDS ?= 1.5
BENCH_VM_SMP ?= 2

.PHONY: bench-vm bench-tools bench-report

$(BENCH_BPF): $(BENCH_SRC)/rss_steering.bpf.c | deps
	@mkdir -p $(BENCH_TOOLS)
	@echo "  CLANG   $@"
	@clang -O2 -target bpf -I/usr/include/$(shell gcc -dumpmachine) \
		-c $< -o $@

$(BENCH_HELPER): $(BENCH_SRC)/tun_bench.c \
		$(REPO)/tools/testing/selftests/net/tun_vnet_hash_util.h \
		$(REPO)/tools/testing/selftests/net/tun_vnet_hash_oracle.h \
		| uapi-headers
	@mkdir -p $(BENCH_TOOLS)
	@echo "  CC      $@"
	@gcc -O2 -Wall -isystem $(SELFTEST_HDR)/include -o $@ $< -lbpf

bench-tools: uapi-headers
	@$(MAKE) --no-print-directory $(BENCH_BPF) $(BENCH_HELPER)

bench-vm: kernel bench-tools
	@mkdir -p $(BENCH_DIR)
	@VM_TIMEOUT=1200 VM_MEM=2G VM_SMP=$(BENCH_VM_SMP) $(VM_RUN) \
		'export PATH=$$PATH:/usr/sbin:/sbin; \
		python3 $(BENCH_SRC)/pktgen_bench.py --helper $(BENCH_HELPER) \
			--bpf $(BENCH_BPF) --queues $(BENCH_QUEUES) \
			--rounds $(BENCH_ROUNDS) --seconds $(BENCH_SECONDS) \
			--out $(BENCH_DIR)/vm.json' 2>&1 | tee $(BENCH_DIR)/vm.log
	@cut -d' ' -f1 $(BUILD)/vm/accel-used > $(BENCH_DIR)/vm-accel

# The table of `make bench`, from what bench-kunit and bench-vm wrote.
bench-report:
	@python3 $(REPO)/mk/bench-report.py $(BENCH_DIR) \
		| tee $(BENCH_DIR)/bench.txt
