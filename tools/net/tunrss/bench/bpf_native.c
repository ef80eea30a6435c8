// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_native: QEMU's eBPF RSS program on the frames of make bench-native,
 * run by the host kernel with BPF_PROG_TEST_RUN.
 *
 *   bpf_native BPF_OBJECT FRAMES ROUNDS PASSES
 *
 * Loads the program as tun_bench does (qemu_rss_bpf.h: the key, table and
 * hash types of the kernel's RSS), checks that it picks the kernel's
 * queue for every frame, then prints for each shape of FRAMES
 *
 *   SHAPE NS_PER_PKT NS_EMPTY AGREE TOTAL
 *
 * NS_PER_PKT is the time of one run of the program on one frame, net of
 * the test-run loop around it: each frame runs ROUNDS more times in a
 * long test run than in a short one, and the least wall time of PASSES
 * short runs is subtracted from the least of PASSES long ones (which
 * leaves out the system call and the skb the kernel builds); the same is
 * measured for an empty socket filter (NS_EMPTY, the loop's own cost:
 * local_bh_disable(), the bpf_prog_run() call) and subtracted too.  If
 * the kernel refuses bpf(), it says so and exits with status 0: figures
 * are optional, never a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "native_frames.h"
#include "qemu_rss_bpf.h"

/* The short test run of each frame; the long one adds ROUNDS. */
#define SHORT_REPEAT	16

static int test_run(int prog, struct native_frame *f, unsigned int repeat,
		    uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = f->buf + NATIVE_HEADROOM,
		    .data_size_in = f->len,
		    .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(prog, &opts);
	if (err)
		return -errno;
	*retval = opts.retval;
	return 0;
}

/*
 * ns per frame and run of @prog: for each frame the least wall time of
 * @passes short and of @passes long test runs (a run that was interrupted
 * only takes longer), the long less the short.  0 or -errno in @err.
 */
static double time_shape(int prog, struct native_shape *s,
			 unsigned int rounds, unsigned int passes, int *err)
{
	uint64_t t0, t1, t2, least[2][NATIVE_FLOWS];
	unsigned int p, i;
	double ns = 0;
	uint32_t ret;

	memset(least, 0xff, sizeof(least));
	for (p = 0; p < passes; p++) {
		for (i = 0; i < s->nframes; i++) {
			t0 = native_now_ns();
			*err = test_run(prog, &s->frames[i], SHORT_REPEAT,
					&ret);
			t1 = native_now_ns();
			if (!*err)
				*err = test_run(prog, &s->frames[i],
						SHORT_REPEAT + rounds, &ret);
			t2 = native_now_ns();
			if (*err)
				return 0;
			if (t1 - t0 < least[0][i])
				least[0][i] = t1 - t0;
			if (t2 - t1 < least[1][i])
				least[1][i] = t2 - t1;
		}
	}
	for (i = 0; i < s->nframes; i++)
		ns += (double)least[1][i] - (double)least[0][i];
	return ns / ((double)s->nframes * rounds);
}

/* A socket filter that returns 0: the test-run loop alone. */
static int load_empty(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "empty", "GPL",
			     insns, 2, NULL);
}

int main(int argc, char **argv)
{
	unsigned int rounds, passes, s, i, agree;
	double ns, empty_ns;
	int prog, empty, err;
	uint32_t ret;

	if (argc != 5) {
		fprintf(stderr, "usage: %s BPF_OBJECT FRAMES ROUNDS PASSES\n",
			argv[0]);
		return 2;
	}
	native_read_frames(argv[2]);
	rounds = atoi(argv[3]);
	passes = atoi(argv[4]);

	prog = qemu_rss_bpf_load(argv[1], BENCH_QUEUES);
	empty = load_empty();
	if (prog < 0 || empty < 0) {
		printf("refused bpf(): %s\n",
		       strerror(prog < 0 ? -prog : errno));
		return 0;
	}
	for (s = 0; s < native_nshapes; s++) {
		struct native_shape *sh = &native_shapes[s];

		agree = 0;
		for (i = 0; i < sh->nframes; i++) {
			err = test_run(prog, &sh->frames[i], 1, &ret);
			if (err)
				goto refused;
			agree += ret == sh->frames[i].queue;
		}
		ns = time_shape(prog, sh, rounds, passes, &err);
		if (!err)
			empty_ns = time_shape(empty, sh, rounds, passes, &err);
		if (err)
			goto refused;
		printf("%s %.2f %.2f %u %u\n", sh->name, ns - empty_ns,
		       empty_ns, agree, sh->nframes);
	}
	return 0;
refused:
	printf("refused BPF_PROG_TEST_RUN: %s\n", strerror(-err));
	return 0;
}
