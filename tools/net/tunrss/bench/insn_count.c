// SPDX-License-Identifier: GPL-2.0
/*
 * insn_count: a QEMU TCG plugin that counts the guest's kernel-mode
 * instructions and writes the count each time the guest executes a
 * marker address, for `make bench-insn`.
 *
 *   -plugin insn_count.so,mark=0xADDR,out=FILE[,kernel=0xADDR]
 *
 * mark: a kernel address the measuring program reaches on purpose (the
 *       entry of the getppid() system call); every execution of it
 *       appends the running count to FILE, one line each.
 * kernel: the lowest address counted (default 0xffff800000000000, the
 *       kernel half): user-space instructions are not counted.
 *
 * Run the guest with one vCPU and -icount, so that the count between two
 * marks depends on the guest's work only: the same work gives the same
 * count whatever the host is doing.  Counts are per translation block,
 * added when the block starts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t kernel_insns;
static uint64_t mark_addr;
static uint64_t kernel_start = 0xffff800000000000ULL;
static FILE *out;

static void on_mark(unsigned int vcpu_index, void *udata)
{
	fprintf(out, "%" PRIu64 "\n", kernel_insns);
	fflush(out);
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	uint64_t counted = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t addr = qemu_plugin_insn_vaddr(insn);

		if (addr == mark_addr)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark,
						QEMU_PLUGIN_CB_NO_REGS, NULL);
		if (addr >= kernel_start)
			counted++;
	}
	if (counted)
		qemu_plugin_register_vcpu_tb_exec_inline(tb,
				QEMU_PLUGIN_INLINE_ADD_U64, &kernel_insns,
				counted);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "mark=", 5))
			mark_addr = strtoull(argv[i] + 5, NULL, 0);
		else if (!strncmp(argv[i], "kernel=", 7))
			kernel_start = strtoull(argv[i] + 7, NULL, 0);
		else if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
	}
	if (!mark_addr || !path) {
		fprintf(stderr, "insn_count: needs mark=ADDR and out=FILE\n");
		return -1;
	}
	if (info->system_emulation && info->system.smp_vcpus != 1) {
		fprintf(stderr, "insn_count: one vCPU only (-smp 1)\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	return 0;
}
