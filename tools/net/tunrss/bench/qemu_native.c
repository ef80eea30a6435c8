// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_native: QEMU 7.2's userspace RSS with hash report on the frames of
 * make bench-native, timed natively.
 *
 *   qemu_native FRAMES ROUNDS PASSES
 *
 * Linked against the objects of the QEMU that make qemu builds: the
 * parser and hash of hw/net/net_rx_pkt.c (net_rx_pkt_set_protocols(),
 * net_rx_pkt_calc_rss_hash()), net/eth.c, net/checksum.c and
 * libqemuutil.a, as compiled for qemu-system-x86_64.  What virtio-net
 * adds around them per packet, virtio_net_process_rss(), is static in
 * hw/net/virtio-net.c; qemu_rss_receive() below does the same work (see
 * there).  Prints for each shape of FRAMES
 *
 *   SHAPE NS_PER_PKT QUEUE_AGREE HASH_AGREE TYPE_AGREE TOTAL
 *
 * the best of PASSES passes of ROUNDS rounds over every frame of the
 * shape, as the KUnit benchmark times the kernel, and how many frames get
 * the kernel's queue, hash value and hash type.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/net/net_rx_pkt.h"
#include "standard-headers/linux/virtio_net.h"

#include "native_frames.h"

/* A hash type a packet offers, if the guest enabled it. */
struct rss_choice {
	uint32_t enabled;	/* VIRTIO_NET_RSS_HASH_TYPE_* */
	NetRxPktRssType type;
	uint8_t report;		/* VIRTIO_NET_HASH_REPORT_* */
};

#define RSS_CHOICE(bit, rss, rep) \
	{ VIRTIO_NET_RSS_HASH_TYPE_##bit, NetPktRss##rss, \
	  VIRTIO_NET_HASH_REPORT_##rep }

/*
 * For each kind of packet, the types it offers in QEMU 7.2's order of
 * preference (virtio_net_get_hash_type()): the L4 types before the L3
 * ones, and for IPv6 the _EX type before the plain one when both are
 * enabled.  Each list ends with an empty entry.
 */
static const struct rss_choice rss_ip4_tcp[] = {
	RSS_CHOICE(TCPv4, IpV4Tcp, TCPv4),
	RSS_CHOICE(IPv4, IpV4, IPv4),
	{}
};

static const struct rss_choice rss_ip4_udp[] = {
	RSS_CHOICE(UDPv4, IpV4Udp, UDPv4),
	RSS_CHOICE(IPv4, IpV4, IPv4),
	{}
};

static const struct rss_choice rss_ip4[] = {
	RSS_CHOICE(IPv4, IpV4, IPv4),
	{}
};

static const struct rss_choice rss_ip6_tcp[] = {
	RSS_CHOICE(TCP_EX, IpV6TcpEx, TCPv6_EX),
	RSS_CHOICE(TCPv6, IpV6Tcp, TCPv6),
	RSS_CHOICE(IP_EX, IpV6Ex, IPv6_EX),
	RSS_CHOICE(IPv6, IpV6, IPv6),
	{}
};

static const struct rss_choice rss_ip6_udp[] = {
	RSS_CHOICE(UDP_EX, IpV6UdpEx, UDPv6_EX),
	RSS_CHOICE(UDPv6, IpV6Udp, UDPv6),
	RSS_CHOICE(IP_EX, IpV6Ex, IPv6_EX),
	RSS_CHOICE(IPv6, IpV6, IPv6),
	{}
};

static const struct rss_choice rss_ip6[] = {
	RSS_CHOICE(IP_EX, IpV6Ex, IPv6_EX),
	RSS_CHOICE(IPv6, IpV6, IPv6),
	{}
};

/* The device's RSS state, as the guest configured it. */
struct qemu_rss {
	uint32_t hash_types;
	uint16_t table[BENCH_TABLE_LEN];
	uint16_t table_len;
	uint16_t default_queue;
	uint8_t key[40];
};

/*
 * The receive queue of the frame after the virtio-net header at @buf (of
 * @size bytes with the header), whose hash report it fills in: the work
 * of QEMU 7.2's virtio_net_process_rss() with RSS and hash report on.
 * QEMU parses the frame, forgets the L4 header of an IP fragment, hashes
 * the first type the packet offers that the guest enabled, or reports
 * none and takes the default queue when there is none, and looks the
 * hash up in the indirection table.  (QEMU then returns -1 when that is
 * the queue the packet came in on: nothing to time.)
 */
static unsigned int qemu_rss_receive(const struct qemu_rss *rss,
				     struct NetRxPkt *pkt, uint8_t *buf,
				     size_t size)
{
	struct virtio_net_hdr_v1_hash *hdr = (void *)buf;
	const struct rss_choice *c = NULL;
	bool ip4, ip6, udp, tcp;
	uint32_t hash;

	net_rx_pkt_set_protocols(pkt, buf + sizeof(*hdr), size - sizeof(*hdr));
	net_rx_pkt_get_protocols(pkt, &ip4, &ip6, &udp, &tcp);
	if ((ip4 && net_rx_pkt_get_ip4_info(pkt)->fragment) ||
	    (ip6 && net_rx_pkt_get_ip6_info(pkt)->fragment)) {
		tcp = false;
		udp = false;
	}
	if (ip4)
		c = tcp ? rss_ip4_tcp : udp ? rss_ip4_udp : rss_ip4;
	else if (ip6)
		c = tcp ? rss_ip6_tcp : udp ? rss_ip6_udp : rss_ip6;
	while (c && c->enabled && !(c->enabled & rss->hash_types))
		c++;
	if (!c || !c->enabled) {
		hdr->hash_value = 0;
		hdr->hash_report = cpu_to_le16(VIRTIO_NET_HASH_REPORT_NONE);
		return rss->default_queue;
	}
	hash = net_rx_pkt_calc_rss_hash(pkt, c->type, (uint8_t *)rss->key);
	hdr->hash_value = cpu_to_le32(hash);
	hdr->hash_report = cpu_to_le16(c->report);
	return rss->table[hash & (rss->table_len - 1)];
}

int main(int argc, char **argv)
{
	unsigned int rounds, passes, s, i, r, p, sink = 0;
	unsigned int agree_q, agree_h, agree_t;
	struct virtio_net_hdr_v1_hash *hdr;
	struct qemu_rss rss = {
		.hash_types = BENCH_HASH_TYPES,
		.table_len = BENCH_TABLE_LEN,
	};
	struct native_frame *f;
	struct NetRxPkt *pkt;
	uint64_t t0, best;
	unsigned int q;

	if (argc != 4) {
		fprintf(stderr, "usage: %s FRAMES ROUNDS PASSES\n", argv[0]);
		return 2;
	}
	native_read_frames(argv[1]);
	rounds = atoi(argv[2]);
	passes = atoi(argv[3]);
	memcpy(rss.key, bench_key, sizeof(rss.key));
	for (i = 0; i < BENCH_TABLE_LEN; i++)
		rss.table[i] = i % BENCH_QUEUES;
	/* As virtio-net does: the frame comes with a virtio-net header. */
	net_rx_pkt_init(&pkt, false);

	for (s = 0; s < native_nshapes; s++) {
		struct native_shape *sh = &native_shapes[s];

		agree_q = 0;
		agree_h = 0;
		agree_t = 0;
		for (i = 0; i < sh->nframes; i++) {
			f = &sh->frames[i];
			q = qemu_rss_receive(&rss, pkt, f->buf,
					     NATIVE_HEADROOM + f->len);
			hdr = (void *)f->buf;
			agree_q += q == f->queue;
			agree_h += le32_to_cpu(hdr->hash_value) == f->hash;
			agree_t += le16_to_cpu(hdr->hash_report) == f->type;
		}
		best = UINT64_MAX;
		for (p = 0; p < passes; p++) {
			t0 = native_now_ns();
			for (r = 0; r < rounds; r++)
				for (i = 0; i < sh->nframes; i++) {
					f = &sh->frames[i];
					sink ^= qemu_rss_receive(&rss, pkt,
						f->buf,
						NATIVE_HEADROOM + f->len);
				}
			t0 = native_now_ns() - t0;
			if (t0 < best)
				best = t0;
		}
		printf("%s %.2f %u %u %u %u\n", sh->name,
		       (double)best / ((double)rounds * sh->nframes),
		       agree_q, agree_h, agree_t, sh->nframes);
	}
	net_rx_pkt_uninit(pkt);
	fprintf(stderr, "sink %x\n", sink);
	return 0;
}
