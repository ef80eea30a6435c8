// SPDX-License-Identifier: GPL-2.0
/*
 * tun_bench: hold a multi-queue tap device open for pktgen and switch its
 * queue selection between the modes `make bench` compares.
 *
 *   tun_bench IFNAME QUEUES BPF_OBJECT
 *
 * Creates IFNAME with QUEUES queues (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
 * IFF_MULTI_QUEUE, a 20-byte virtio_net header), sets it up, and then
 * reads one mode per line on stdin, answering "ok MODE" once it applies:
 *
 *   single      one queue attached (ndo_select_queue is not called)
 *   automq      every queue, tun's automatic flow steering
 *   rss         TUNSETVNETHASH with TUN_VNET_HASH_RSS
 *   rss_report  TUNSETVNETHASH with TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT
 *   report      TUNSETVNETHASH with TUN_VNET_HASH_REPORT (automq steers)
 *   rss_tunnel  rss, with the inner-header hash of all nine tunnel types
 *   ebpf        QEMU's eBPF RSS program, BPF_OBJECT (TUNSETSTEERINGEBPF),
 *               with the key, table, hash types and unclassified queue of
 *               rss
 *   drain       empty the queues, keep the mode; the answer lists the
 *               packets read from each queue
 *
 *   insn KIND FLOWS ROUNDS SHORT LONG
 *               for make bench-insn: FLOWS frames of KIND (a flow kind of
 *               tun_vnet_hash_util.h: tcp4, tcp6, tcp6-hao-rh2, ...; or
 *               vxlan-tcp4, tcp4 flows in VXLAN over IPv4) sent
 *               through an AF_PACKET socket, so through dev_queue_xmit()
 *               as the host's stack sends (insn_bench.py removes the
 *               qdisc), in ROUNDS rounds of two windows, the first
 *               sending each frame SHORT times, the second LONG times;
 *               each window is bracketed by two getitimer() calls, the
 *               marks of the insn_count QEMU plugin, and followed by a
 *               drain outside it.  The answer counts the windows.
 *
 *   steer KIND FLOWS
 *               FLOWS frames of KIND (as for insn) sent one at a time; the
 *               answer lists the queue each one went to in the current
 *               mode
 *
 * Nobody reads the queues while pktgen runs: the rings (txqueuelen, set
 * by pktgen_bench.py) hold a whole run, and each command empties them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "../../../testing/selftests/net/tun_vnet_hash_util.h"
#include "qemu_rss_bpf.h"

#define BENCH_HDR_SZ	((int)sizeof(struct virtio_net_hdr_v1_hash))

static int fds[TUN_MAX_QUEUES];
static int queues, attached, prog_fd = -1, ifindex;

static int set_attached(int n)
{
	int err;

	while (attached > n) {
		err = tun_set_queue(fds[attached - 1], false);
		if (err)
			return err;
		attached--;
	}
	while (attached < n) {
		err = tun_set_queue(fds[attached], true);
		if (err)
			return err;
		attached++;
	}
	return 0;
}

/* Read every queue empty (the descriptors are non-blocking), counting. */
static unsigned long drained[TUN_MAX_QUEUES];

static int drain(void)
{
	static char buf[65536];
	ssize_t n;
	int i;

	for (i = 0; i < attached; i++) {
		drained[i] = 0;
		while ((n = read(fds[i], buf, sizeof(buf))) >= 0)
			drained[i]++;
		if (errno != EAGAIN)
			return -errno;
	}
	return 0;
}

static int set_steering(int fd)
{
	return ioctl(fds[0], TUNSETSTEERINGEBPF, &fd) < 0 ? -errno : 0;
}

/* RSS, all nine hash types and all nine tunnel types */
static int set_rss_tunnel(const uint16_t *table)
{
	struct tun_vnet_hash hash = {
		.flags = TUN_VNET_HASH_RSS,
		.key_size = sizeof(bench_key),
		.types = BENCH_HASH_TYPES,
		.indirection_table_mask = BENCH_TABLE_LEN - 1,
		.tunnel_types = 0x1ff,
	};

	return tun_set_vnet_hash_hdr(fds[0], &hash, table, bench_key);
}

static int set_mode(const char *mode)
{
	uint16_t table[BENCH_TABLE_LEN];
	uint16_t flags = 0;
	int err, i;

	if (!strcmp(mode, "drain"))
		return drain();

	for (i = 0; i < BENCH_TABLE_LEN; i++)
		table[i] = i % queues;

	/* From a clean state: all queues, empty, no hashing, no program. */
	err = set_attached(queues);
	if (!err)
		err = drain();
	if (!err)
		err = tun_set_vnet_hash(fds[0], 0, 0, bench_key, 0, table, 0, 0);
	if (!err)
		err = set_steering(-1);
	if (err)
		return err;

	if (!strcmp(mode, "single"))
		return set_attached(1);
	if (!strcmp(mode, "automq"))
		return 0;
	if (!strcmp(mode, "ebpf"))
		return set_steering(prog_fd);
	if (!strcmp(mode, "rss"))
		flags = TUN_VNET_HASH_RSS;
	else if (!strcmp(mode, "rss_report"))
		flags = TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT;
	else if (!strcmp(mode, "report"))
		return tun_set_vnet_hash(fds[0], TUN_VNET_HASH_REPORT,
					 BENCH_HASH_TYPES, bench_key,
					 sizeof(bench_key), table, 0, 0);
	else if (!strcmp(mode, "rss_tunnel"))
		return set_rss_tunnel(table);
	else
		return -EINVAL;

	/* All nine types, as a guest asking for everything. */
	return tun_set_vnet_hash(fds[0], flags, BENCH_HASH_TYPES, bench_key,
				 sizeof(bench_key), table,
				 BENCH_TABLE_LEN - 1, 0);
}

#define INSN_FLOWS_MAX	512
#define INSN_FRAMES_MAX	4096

static struct frame insn_frames[INSN_FLOWS_MAX];
static struct mmsghdr insn_msgs[INSN_FRAMES_MAX];
static struct iovec insn_iov[INSN_FLOWS_MAX];

/* The marks of the insn_count plugin: the entry of getitimer(). */
static void insn_mark(void)
{
	struct itimerval it;

	syscall(SYS_getitimer, ITIMER_PROF, &it);
}

/* Send @n of the prepared messages in one window; 0 or -errno. */
static int insn_window(int sock, int n)
{
	int sent = 0, ret = 0;

	insn_mark();
	while (sent < n) {
		ret = sendmmsg(sock, insn_msgs + sent, n - sent, 0);
		if (ret <= 0)
			break;
		sent += ret;
	}
	insn_mark();
	if (sent < n) {
		ret = ret < 0 ? -errno : -EIO;
		fprintf(stderr, "tun_bench: window of %d frames: %d sent: %s\n",
			n, sent, strerror(-ret));
		return ret;
	}
	return drain();
}

static struct sockaddr_ll insn_sll;

/*
 * Build @nflows frames of the kind @name into insn_frames (the same ones
 * for every mode: the random state starts again) and @repeats messages
 * for each, the flows in turn.
 */
static int insn_prepare(const char *name, int nflows, int repeats)
{
	struct frame_spec spec, inner;
	uint32_t state = 0x1234567;
	struct frame_tunnel t;
	int kind, i;
	bool vxlan;

	if (nflows < 1 || nflows > INSN_FLOWS_MAX || repeats < 1 ||
	    repeats > INSN_FRAMES_MAX / nflows)
		return -EINVAL;
	vxlan = !strcmp(name, "vxlan-tcp4");
	for (kind = 0; kind < FLOW_KINDS; kind++)
		if (!strcmp(vxlan ? "tcp4" : name, flow_kind_names[kind]))
			break;
	if (kind == FLOW_KINDS)
		return -EINVAL;

	for (i = 0; i < nflows; i++) {
		flow_spec_random(&spec, kind, &state);
		if (vxlan) {
			inner = spec;
			tunnel_spec(&spec, &t, &tunnel_kinds[0], &inner,
				    &state);
		}
		frame_build(&insn_frames[i], &spec);
		insn_iov[i].iov_base = insn_frames[i].data;
		insn_iov[i].iov_len = insn_frames[i].len;
	}
	insn_sll.sll_family = AF_PACKET;
	insn_sll.sll_ifindex = ifindex;
	insn_sll.sll_protocol =
		htons(oracle_get_be16(insn_frames[0].data + 12));
	for (i = 0; i < repeats * nflows; i++) {
		struct msghdr *m = &insn_msgs[i].msg_hdr;

		m->msg_name = &insn_sll;
		m->msg_namelen = sizeof(insn_sll);
		m->msg_iov = &insn_iov[i % nflows];
		m->msg_iovlen = 1;
	}
	return 0;
}

static int insn_run(const char *args, int *windows)
{
	int nflows, rounds, nshort, nlong, sock, err, i;
	char name[32];

	if (sscanf(args, "%31s %d %d %d %d", name, &nflows, &rounds, &nshort,
		   &nlong) != 5 ||
	    rounds < 1 || nshort < 1 || nlong <= nshort)
		return -EINVAL;
	err = insn_prepare(name, nflows, nlong);
	if (err)
		return err;

	sock = packet_socket(SOCK_RAW);
	if (sock < 0)
		return sock;
	*windows = 0;
	for (i = 0; !err && i < rounds; i++) {
		err = insn_window(sock, nshort * nflows);
		if (!err)
			err = insn_window(sock, nlong * nflows);
		if (!err)
			*windows += 2;
	}
	close(sock);
	return err;
}

/*
 * Send the prepared frames of @args (KIND FLOWS) one at a time in the
 * current mode and store in @queue the queue each one went to.
 */
static int steer_run(const char *args, int *queue, int *nflows)
{
	int sock, err, i, q;
	char name[32];

	if (sscanf(args, "%31s %d", name, nflows) != 2)
		return -EINVAL;
	err = insn_prepare(name, *nflows, 1);
	if (err)
		return err;

	sock = packet_socket(SOCK_RAW);
	if (sock < 0)
		return sock;
	for (i = 0; !err && i < *nflows; i++) {
		if (sendmmsg(sock, insn_msgs + i, 1, 0) != 1) {
			err = -EIO;
			break;
		}
		err = drain();
		queue[i] = -1;
		for (q = 0; !err && q < attached; q++) {
			if (!drained[q])
				continue;
			if (drained[q] > 1 || queue[i] >= 0)
				err = -EPROTO;
			queue[i] = q;
		}
		if (!err && queue[i] < 0)
			err = -ENOENT;
	}
	close(sock);
	return err;
}

int main(int argc, char **argv)
{
	char ifname[IFNAMSIZ] = {}, line[128];
	int i, err;

	if (argc != 4) {
		fprintf(stderr, "usage: %s IFNAME QUEUES BPF_OBJECT\n",
			argv[0]);
		return 2;
	}
	snprintf(ifname, sizeof(ifname), "%s", argv[1]);
	queues = atoi(argv[2]);
	if (queues < 1 || queues > TUN_MAX_QUEUES) {
		fprintf(stderr, "tun_bench: 1 to %d queues\n", TUN_MAX_QUEUES);
		return 2;
	}

	for (i = 0; i < queues; i++) {
		fds[i] = tun_open_queue(ifname, IFF_TAP | IFF_NO_PI |
					IFF_VNET_HDR | IFF_MULTI_QUEUE);
		if (fds[i] < 0 || tun_prepare_queue(fds[i], BENCH_HDR_SZ)) {
			fprintf(stderr, "tun_bench: queue %d: %s\n", i,
				strerror(fds[i] < 0 ? -fds[i] : errno));
			return 1;
		}
	}
	attached = queues;
	err = netdev_set_up(ifname);
	if (err) {
		fprintf(stderr, "tun_bench: %s up: %s\n", ifname,
			strerror(-err));
		return 1;
	}
	prog_fd = qemu_rss_bpf_load(argv[3], queues);
	if (prog_fd < 0) {
		fprintf(stderr, "tun_bench: %s: %s\n", argv[3],
			strerror(-prog_fd));
		return 1;
	}

	ifindex = if_nametoindex(ifname);
	printf("ready %s %d\n", ifname, queues);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		memset(drained, 0, sizeof(drained));
		if (!strncmp(line, "insn ", 5)) {
			int windows = 0;

			err = insn_run(line + 5, &windows);
			if (err)
				printf("error %s: %s\n", line, strerror(-err));
			else
				printf("ok %s %d\n", line, windows);
			fflush(stdout);
			continue;
		}
		if (!strncmp(line, "steer ", 6)) {
			int queue[INSN_FLOWS_MAX], n = 0;

			err = steer_run(line + 6, queue, &n);
			if (err) {
				printf("error %s: %s\n", line, strerror(-err));
			} else {
				printf("ok %s", line);
				for (i = 0; i < n; i++)
					printf(" %d", queue[i]);
				printf("\n");
			}
			fflush(stdout);
			continue;
		}
		err = set_mode(line);
		if (err) {
			printf("error %s: %s\n", line, strerror(-err));
		} else {
			printf("ok %s", line);
			if (!strcmp(line, "drain"))
				for (i = 0; i < queues; i++)
					printf(" %lu", drained[i]);
			printf("\n");
		}
		fflush(stdout);
	}
	return 0;
}
