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
#   make bench-native ns per packet, natively and on one CPU, of the kernel's
#                     RSS + report (the KUnit benchmark on UML), QEMU's eBPF
#                     RSS program (BPF_PROG_TEST_RUN on the host) and QEMU
#                     7.2's userspace RSS + report (its objects, linked into
#                     qemu_native), on the same frames: $(BENCH_DIR)/native.json
#   make bench        bench-kunit, bench-vm, bench-insn and bench-native,
#                     then one table with ratios, $(BENCH_DIR)/bench.txt,
#                     the same as markdown with the date and commit,
#                     $(BENCH_DIR)/figures.md, and the generated section of
#                     docs/performance.md from it
#
# The VM runs under TCG: see docs/performance.md for what its ratios are
# worth.

BENCH_TOOLS := $(BENCH_DIR)/tools
BENCH_SRC := $(REPO)/tools/net/tunrss/bench
BENCH_BPF := $(BENCH_TOOLS)/qemu-rss.bpf.o
BENCH_HELPER := $(BENCH_TOOLS)/tun_bench
BENCH_ROUNDS ?= 5
BENCH_QUEUES ?= 8
BENCH_SECONDS ?= 1.5
BENCH_VM_SMP ?= 2

.PHONY: bench-vm bench-tools bench-report bench-insn bench-native \
	bench-native-tools

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

$(BENCH_HELPER): $(BENCH_SRC)/tun_bench.c $(BENCH_SRC)/qemu_rss_bpf.h \
		$(BENCH_SRC)/bench_config.h \
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

# The table of `make bench`, from what its parts wrote; figures.md and the
# generated section of docs/performance.md from it.
bench-report:
	@python3 $(REPO)/mk/bench-report.py $(BENCH_DIR) \
		$(REPO)/docs/performance.md | tee $(BENCH_DIR)/bench.txt

# The native contenders of bench-native.  qemu_native links the objects of
# the QEMU make qemu builds: net_rx_pkt.c (the parser and the hash of
# QEMU's userspace RSS), eth.c, checksum.c, libqemuutil.a and the QOM
# objects libqemuutil.a needs, compiled as QEMU compiles them.
BENCH_BPF_NATIVE := $(BENCH_TOOLS)/bpf_native
BENCH_QEMU_NATIVE := $(BENCH_TOOLS)/qemu_native
BENCH_NATIVE_HDRS := $(BENCH_SRC)/native_frames.h $(BENCH_SRC)/bench_config.h
QEMU_OBJ := $(BUILD)/qemu
QEMU_TREE := $(BUILD)/qemu-tree
QEMU_NATIVE_OBJS := $(addprefix $(QEMU_OBJ)/libcommon.fa.p/, \
	hw_net_net_rx_pkt.c.o net_eth.c.o net_checksum.c.o)
# The CPU every contender runs on; the last one by default.
BENCH_CPU ?= $(shell echo $$(($$(nproc) - 1)))
BENCH_NATIVE_RUNS ?= 3

$(BENCH_BPF_NATIVE): $(BENCH_SRC)/bpf_native.c $(BENCH_SRC)/qemu_rss_bpf.h \
		$(BENCH_NATIVE_HDRS)
	@mkdir -p $(BENCH_TOOLS)
	@echo "  CC      $@"
	@gcc -O2 -Wall -o $@ $< -lbpf

$(BENCH_QEMU_NATIVE): $(BENCH_SRC)/qemu_native.c $(BENCH_NATIVE_HDRS) \
		$(QEMU_NATIVE_OBJS) $(QEMU_OBJ)/libqemuutil.a
	@mkdir -p $(BENCH_TOOLS)
	@echo "  CC      $@"
	@gcc -m64 -std=gnu11 -O2 -Wall -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
		-iquote $(QEMU_OBJ) -iquote $(QEMU_TREE) \
		-iquote $(QEMU_TREE)/include \
		-isystem $(QEMU_TREE)/linux-headers \
		$$(pkg-config --cflags glib-2.0) -o $@ $< $(QEMU_NATIVE_OBJS) \
		$(QEMU_OBJ)/libqom.fa.p/*.o $(QEMU_OBJ)/libqemuutil.a \
		$$(pkg-config --libs glib-2.0 gmodule-2.0) -lm -pthread

bench-native-tools: qemu bench-tools
	@$(MAKE) --no-print-directory $(BENCH_BPF_NATIVE) $(BENCH_QEMU_NATIVE)

# bench-kunit builds the UML kernel of the KUnit benchmark; its figures
# of the other shapes and algorithms are section 1 and 2 of the report.
bench-native: bench-kunit bench-native-tools
	@python3 $(BENCH_SRC)/native_bench.py \
		--uml $(BUILD)/kunit-bench/linux \
		--bpf-helper $(BENCH_BPF_NATIVE) --bpf $(BENCH_BPF) \
		--qemu-helper $(BENCH_QEMU_NATIVE) \
		--frames $(BENCH_DIR)/native-frames.txt --cpu $(BENCH_CPU) \
		--runs $(BENCH_NATIVE_RUNS) --out $(BENCH_DIR)/native.json

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
