# SPDX-License-Identifier: GPL-2.0
#
# End-to-end benchmark in the test VM, and the report of `make bench`.
#
#   make bench-vm     pktgen (xmit_mode queue_xmit) into an 8-queue tap in
#                     the VM: single queue, automq, RSS, RSS + report and
#                     QEMU's eBPF RSS program (same key and table), interleaved
#                     over BENCH_ROUNDS rounds; $(BENCH_DIR)/vm.json
#   make bench-insn   kernel instructions per packet on the transmit path
#                     into the tap, for every mode and four packet shapes,
#                     counted by a QEMU TCG plugin with -icount; run twice
#                     (two boots), $(BENCH_DIR)/insn{1,2}.json
#   make bench        bench-kunit, bench-vm and bench-insn, then one table
#                     with ratios: $(BENCH_DIR)/bench.txt
#
# The VM runs under TCG: see README.md ("Figures") for what its ratios are
# worth.

BENCH_TOOLS := $(BENCH_DIR)/tools
BENCH_SRC := $(REPO)/tools/net/tunrss/bench
BENCH_BPF := $(BENCH_TOOLS)/qemu-rss.bpf.o
BENCH_HELPER := $(BENCH_TOOLS)/tun_bench
BENCH_ROUNDS ?= 5
BENCH_QUEUES ?= 8
BENCH_SECONDS ?= 1.5
BENCH_VM_SMP ?= 2

.PHONY: bench-vm bench-tools bench-report bench-insn

# The eBPF mode runs QEMU's own RSS program, tools/ebpf/rss.bpf.c of the
# QEMU source that make qemu fetches: its legacy map definitions, which
# libbpf 1.0 refuses, rewritten as BTF maps (btf_maps.py), nothing else
# changed; compiled as QEMU's tools/ebpf/Makefile.ebpf does, with -g for
# the BTF of the maps.
QEMU_RSS_BPF := $(BUILD)/qemu-src/tools/ebpf/rss.bpf.c

$(QEMU_RSS_BPF):
	@$(MAKE) --no-print-directory qemu-source

$(BENCH_TOOLS)/qemu-rss.bpf.c: $(QEMU_RSS_BPF) $(BENCH_SRC)/btf_maps.py
	@mkdir -p $(BENCH_TOOLS)
	@echo "  BTFMAPS $@"
	@python3 $(BENCH_SRC)/btf_maps.py $< $@

$(BENCH_BPF): $(BENCH_TOOLS)/qemu-rss.bpf.c | deps
	@echo "  CLANG   $@"
	@clang -g -O2 -emit-llvm -fno-stack-protector \
		-I/usr/include/$(shell gcc -dumpmachine) -c $< -o - | \
		llc -march=bpf -filetype=obj -o $@

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

# The TCG plugin is built against the plugin header of the QEMU source
# that make qemu fetches (Debian's qemu package has no development files).
BENCH_PLUGIN := $(BENCH_TOOLS)/insn_count.so
QEMU_PLUGIN_H := $(BUILD)/qemu-src/include/qemu/qemu-plugin.h
BENCH_INSN_ROUNDS ?= 11

$(QEMU_PLUGIN_H):
	@$(MAKE) --no-print-directory qemu-source

$(BENCH_PLUGIN): $(BENCH_SRC)/insn_count.c $(QEMU_PLUGIN_H)
	@mkdir -p $(BENCH_TOOLS)
	@echo "  CC      $@"
	@gcc -O2 -Wall -shared -fPIC -I$(dir $(QEMU_PLUGIN_H)) -o $@ $<

# One vCPU, -icount (virtual time follows the instructions) and TCG: the
# same work gives the same count.  The mark is the entry of getitimer(),
# which tun_bench calls around each window (the VM kernel has no KASLR).
bench-insn: kernel bench-tools $(BENCH_PLUGIN)
	@mkdir -p $(BENCH_DIR)
	@mark=0x$$(awk '$$3 == "__x64_sys_getitimer" { print $$1 }' \
		$(KERNEL_BUILD)/System.map); \
	for i in 1 2; do \
		rm -f $(BENCH_DIR)/insn-marks$$i; \
		VM_ACCEL=tcg VM_SMP=1 VM_QEMU_ARGS="-icount shift=0 -plugin \
		$(BENCH_PLUGIN),mark=$$mark,out=$(BENCH_DIR)/insn-marks$$i" \
		$(VM_RUN) 'export PATH=$$PATH:/usr/sbin:/sbin; \
			python3 $(BENCH_SRC)/insn_bench.py \
			--helper $(BENCH_HELPER) --bpf $(BENCH_BPF) \
			--queues $(BENCH_QUEUES) --rounds $(BENCH_INSN_ROUNDS) \
			--out $(BENCH_DIR)/insn-windows.json'; \
		python3 $(REPO)/mk/bench-insn.py $(BENCH_DIR)/insn-marks$$i \
			$(BENCH_DIR)/insn-windows.json \
			$(BENCH_DIR)/insn$$i.json; \
	done
