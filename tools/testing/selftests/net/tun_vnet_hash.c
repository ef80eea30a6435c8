// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net hash report and RSS of tun/tap (TUNSETVNETHASH), checked on
 * real devices against the userspace oracle of tun_vnet_hash_oracle.h:
 * frames are injected with AF_PACKET into a multi-queue device in a fresh
 * network namespace, every queue is read back, and the queue, hash value
 * and hash type of each frame must be the ones the virtio specification
 * gives.
 */

#define _GNU_SOURCE

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "../kselftest_harness.h"
#include "tun_vnet_hash_util.h"

#define QUEUES		4
#define ALL		ORACLE_ALL_TYPES
#define R_NONE		VIRTIO_NET_HASH_REPORT_NONE
#define R_IPV4		VIRTIO_NET_HASH_REPORT_IPv4
#define R_TCP4		VIRTIO_NET_HASH_REPORT_TCPv4
#define R_UDP4		VIRTIO_NET_HASH_REPORT_UDPv4
#define R_IPV6		VIRTIO_NET_HASH_REPORT_IPv6
#define R_TCP6		VIRTIO_NET_HASH_REPORT_TCPv6
#define R_UDP6		VIRTIO_NET_HASH_REPORT_UDPv6
#define R_IP_EX		VIRTIO_NET_HASH_REPORT_IPv6_EX
#define R_TCP_EX	VIRTIO_NET_HASH_REPORT_TCPv6_EX
#define R_UDP_EX	VIRTIO_NET_HASH_REPORT_UDPv6_EX

/* Microsoft's vectors: source first, as the hash input is ordered. */
static const struct ms_vector {
	int family;
	const char *saddr;
	uint16_t sport;
	const char *daddr;
	uint16_t dport;
	uint32_t hash_2tuple;
	uint32_t hash_4tuple;
} ms_vectors[] = {
	{ AF_INET, "66.9.149.187", 2794, "161.142.100.80", 1766,
	  0x323e8fc2, 0x51ccc178 },
	{ AF_INET, "199.92.111.2", 14230, "65.69.140.83", 4739,
	  0xd718262a, 0xc626b0ea },
	{ AF_INET, "24.19.198.95", 12898, "12.22.207.184", 38024,
	  0xd2d0a5de, 0x5c2b394a },
	{ AF_INET, "38.27.205.30", 48228, "209.142.163.6", 2217,
	  0x82989176, 0xafc7327f },
	{ AF_INET, "153.39.163.191", 44251, "202.188.127.2", 1303,
	  0x5d1809c5, 0x10e828a2 },
	{ AF_INET6, "3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766,
	  0x2cc18cd5, 0x40207d3d },
	{ AF_INET6, "3ffe:501:8::260:97ff:fe40:efab", 14230, "ff02::1", 4739,
	  0x0f0c461c, 0xdde51bbf },
	{ AF_INET6, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251,
	  "fe80::200:f8ff:fe21:67cf", 38024, 0x4b61e985, 0x02d1feef },
};

/* A frame of a Microsoft vector, TCP, with the given IPv6 extensions. */
static void ms_vector_spec(const struct ms_vector *v, struct frame_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->ethertype = v->family == AF_INET ? ETH_P_IP : ETH_P_IPV6;
	inet_pton(v->family, v->saddr, s->saddr);
	inet_pton(v->family, v->daddr, s->daddr);
	inet_pton(AF_INET6, "2001:db8::a0a0", s->hao);
	inet_pton(AF_INET6, "2001:db8::b0b0", s->rh2);
	s->sport = v->sport;
	s->dport = v->dport;
	s->l4proto = ORACLE_NEXTHDR_TCP;
}

static uint32_t ms_vector_raw_hash(const struct ms_vector *v,
				   const struct frame_spec *s, bool ports)
{
	size_t alen = v->family == AF_INET ? 4 : 16;
	uint8_t raw[ORACLE_INPUT_MAX];

	memcpy(raw, s->saddr, alen);
	memcpy(raw + alen, s->daddr, alen);
	frame_put_be16(raw + 2 * alen, v->sport);
	frame_put_be16(raw + 2 * alen + 2, v->dport);
	return oracle_toeplitz(oracle_ms_key, 40, raw, 2 * alen + (ports ? 4 : 0));
}

/* The oracle itself: published vectors, over raw inputs and frames. */
TEST(oracle_vectors)
{
	uint8_t padded[ORACLE_KEY_SIZE] = {};
	const struct ms_vector *v;
	struct oracle_input in;
	struct frame_spec s;
	struct frame f;

	for (v = ms_vectors; v < ms_vectors + ARRAY_SIZE(ms_vectors); v++) {
		ms_vector_spec(v, &s);
		frame_build(&f, &s);

		oracle_classify_eth(f.data, f.len, ALL, &in);
		EXPECT_EQ(v->hash_4tuple, oracle_hash(oracle_ms_key, 40, &in).value)
			TH_LOG("4-tuple of %s", v->saddr);
		EXPECT_EQ(v->family == AF_INET ? R_TCP4 : R_TCP6, in.report);

		oracle_classify_eth(f.data, f.len, T_IPV4 | T_IPV6, &in);
		EXPECT_EQ(v->hash_2tuple, oracle_hash(oracle_ms_key, 40, &in).value)
			TH_LOG("2-tuple of %s", v->saddr);
		EXPECT_EQ(v->family == AF_INET ? R_IPV4 : R_IPV6, in.report);

		/* The same input, raw: source, destination, ports. */
		EXPECT_EQ(v->hash_2tuple, ms_vector_raw_hash(v, &s, false));
		EXPECT_EQ(v->hash_4tuple, ms_vector_raw_hash(v, &s, true));
	}
	/* A zero-extended key equals the explicit zeros. */
	oracle_classify_eth(f.data, f.len, ALL, &in);
	memcpy(padded, oracle_ms_key, 16);
	EXPECT_EQ(oracle_toeplitz(padded, 40, in.data, in.len),
		  oracle_toeplitz(oracle_ms_key, 16, in.data, in.len));
	EXPECT_NE(oracle_toeplitz(oracle_ms_key, 40, in.data, in.len),
		  oracle_toeplitz(oracle_ms_key, 16, in.data, in.len));
}

/*
 * TUNGETVNETHASHCAP on a descriptor without a device.  A kernel without
 * the ioctl answers EBADFD there, like to any ioctl it does not know
 * before TUNSETIFF, so EBADFD is confirmed on an attached queue: EINVAL
 * or ENOTTY from it mean the feature is missing.  Runs in the caller's
 * network namespace.
 */
static int vnet_hash_probe(struct tun_vnet_hash_cap *cap)
{
	char name[IFNAMSIZ] = "vhprobe%d";
	int fd, err = 0, attached;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TUNGETVNETHASHCAP, cap) < 0)
		err = -errno;
	close(fd);
	if (err != -EBADFD)
		return err;

	fd = tun_open_queue(name, IFF_TAP | IFF_NO_PI);
	if (fd < 0)
		return fd;
	attached = ioctl(fd, TUNGETVNETHASHCAP, cap) < 0 ? -errno : 0;
	close(fd);
	return attached == -EINVAL || attached == -ENOTTY ? attached : err;
}

static bool vnet_hash_missing(void)
{
	struct tun_vnet_hash_cap cap;
	int err = vnet_hash_probe(&cap);

	return err == -EINVAL || err == -ENOTTY;
}

/* The capability is there before TUNSETIFF, and it is the documented one. */
TEST(cap_before_setiff)
{
	struct tun_vnet_hash_cap cap;
	int fd;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(&cap, 0xff, sizeof(cap));
	ASSERT_EQ(0, ioctl(fd, TUNGETVNETHASHCAP, &cap));
	EXPECT_LE(256, cap.max_indirection_table_length);
	EXPECT_EQ(0, cap.max_indirection_table_length &
		     (cap.max_indirection_table_length - 1));
	EXPECT_EQ(40, cap.max_key_size);
	EXPECT_EQ(ALL, cap.types);
	EXPECT_EQ(-1, ioctl(fd, TUNGETVNETHASHCAP, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

/* A descriptor never attached to a device has no configuration to set. */
TEST(set_never_attached)
{
	uint16_t table[1] = { 0 };
	int fd;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, tun_set_vnet_hash(fd, TUN_VNET_HASH_REPORT, ALL,
					     oracle_ms_key, 40, table, 0, 0));
	EXPECT_EQ(-EBADFD, tun_set_vnet_hash(fd, 0, 0, oracle_ms_key, 0, table,
					     0, 0));
	close(fd);
}

/* What a device must do with a frame, and what it did. */
struct expect {
	uint16_t flags;
	uint32_t types;
	const uint8_t *key;
	uint16_t key_size;
	const uint16_t *table;
	uint16_t mask;
	uint16_t unclassified_queue;
	bool hw_vlan;	/* the frame goes through a VLAN device */
	bool xdp_tx;	/* written into the first queue, back by XDP_TX */
	uint32_t tunnel_types;
};

struct device {
	char ifname[IFNAMSIZ];
	int ifindex;
	int fds[TUN_MAX_QUEUES];
	int nq;		/* queues open */
	int flags;	/* IFF_* of TUNSETIFF */
	int hdr_sz;	/* vnet header size, 0 without IFF_VNET_HDR */
	int sock;	/* AF_PACKET, to inject */
	uint32_t seq;
	bool ipvtap;	/* delivers by the destination IP address */
};

static int device_create(struct device *dev, const char *name, int flags,
			 int nq, int hdr_sz)
{
	int i, err;

	memset(dev, 0, sizeof(*dev));
	snprintf(dev->ifname, IFNAMSIZ, "%s", name);
	dev->flags = flags;
	dev->hdr_sz = hdr_sz;
	for (i = 0; i < nq; i++) {
		dev->fds[i] = tun_open_queue(dev->ifname, flags);
		if (dev->fds[i] < 0)
			return dev->fds[i];
		dev->nq++;
		err = tun_prepare_queue(dev->fds[i], hdr_sz);
		if (err)
			return err;
	}
	dev->ifindex = if_nametoindex(dev->ifname);
	if (!dev->ifindex)
		return -errno;
	dev->sock = packet_socket((flags & IFF_TAP) ? SOCK_RAW : SOCK_DGRAM);
	if (dev->sock < 0)
		return dev->sock;
	return netdev_set_up(dev->ifname);
}

static void device_close(struct device *dev)
{
	int i;

	for (i = 0; i < dev->nq; i++)
		if (dev->fds[i] > 0)
			close(dev->fds[i]);
	if (dev->sock > 0)
		close(dev->sock);
	dev->nq = 0;
}

/*
 * TUNSETVNETHASH with a header of @hdr_size bytes, the size in the command
 * number, whose last byte is @tail when it is larger than the structure.
 */
static int set_sized(int fd, unsigned int hdr_size, uint8_t tail,
		     const struct expect *e, uint32_t tunnel_types)
{
	struct tun_vnet_hash hash = {
		.flags = e->flags,
		.key_size = e->flags ? e->key_size : 0,
		.types = e->flags ? e->types : 0,
		.indirection_table_mask = e->flags & TUN_VNET_HASH_RSS ?
					  e->mask : 0,
		.unclassified_queue = e->flags & TUN_VNET_HASH_RSS ?
				      e->unclassified_queue : 0,
		.tunnel_types = tunnel_types,
	};
	uint8_t buf[64 + 2 * TABLE_MAX + 40];

	if (tun_vnet_hash_arg_sized(buf, sizeof(buf), &hash, hdr_size,
				    e->table, e->key) < 0)
		return -E2BIG;
	if (hdr_size > sizeof(hash))
		buf[hdr_size - 1] = tail;
	return ioctl(fd, _IOC(_IOC_WRITE, 'T', 229, hdr_size), buf) < 0 ?
	       -errno : 0;
}

static int device_configure(struct device *dev, int fd,
			    const struct expect *e)
{
	return set_sized(fd, sizeof(struct tun_vnet_hash), 0, e,
			 e->flags ? e->tunnel_types : 0);
}

/*
 * Send one frame and check where and how it comes out.  @queues holds the
 * descriptors of the attached queues in queue index order; @want_queue is
 * the index the frame must reach, -1 to compute it from the configuration
 * with the RSS rule, -2 to accept any queue.  The hash fields must be the
 * oracle's when the device reports, and every byte of the header that
 * tun does not fill must read back as zero.
 */
static int check_frame(struct __test_metadata *_metadata, struct device *dev,
		       const int *queues, int nq, const struct expect *e,
		       struct frame_spec *s, int want_queue, const char *name)
{
	bool tun = !(dev->flags & IFF_TAP);
	struct oracle_result res = {};
	const uint8_t *want;
	struct oracle_input in;
	struct rx_result rx;
	size_t want_len, i;
	bool reported;
	struct frame f;

	if (dev->ipvtap && !vtap_ip_frame(s))
		return -1;
	s->seq = ++dev->seq;
	frame_build(&f, s);
	want = tun ? f.data + f.l3_off : f.data;
	want_len = tun ? f.len - f.l3_off : f.len;
	if (tun)
		oracle_classify_l3_tunnel(f.l3_proto, want, want_len, e->types,
					  e->tunnel_types, &in);
	else
		oracle_classify_eth_tunnel(f.data, f.len, e->types,
					   e->tunnel_types, &in);
	if (e->flags)
		res = oracle_hash(e->key, e->key_size, &in);

	if (e->hw_vlan) {
		/* Sent untagged on the VLAN device, read tagged (VID 10):
		 * the expected frame stays the tagged one.
		 */
		struct frame_spec plain = *s;
		struct frame pf;

		plain.tpid[0] = 0;
		frame_build(&pf, &plain);
		EXPECT_EQ(0, packet_send(dev->sock, if_nametoindex("vlan10"),
					 &pf, false));
	} else if (e->xdp_tx) {
		/* A vnet header of zeros (no GSO, no checksum), the frame */
		uint8_t buf[VNET_HDR_MAX + FRAME_MAX] = {};
		ssize_t len = dev->hdr_sz + f.len;

		memcpy(buf + dev->hdr_sz, f.data, f.len);
		EXPECT_EQ(len, write(queues[0], buf, len))
			TH_LOG("%s: write: %s", name, strerror(errno));
	} else {
		EXPECT_EQ(0, packet_send(dev->sock, dev->ifindex, &f, tun))
			TH_LOG("%s: send", name);
	}
	EXPECT_EQ(0, rx_find(queues, nq, dev->hdr_sz, want, want_len, &rx));
	EXPECT_EQ(1, rx.copies) TH_LOG("%s: %d copies, %d other frames",
				       name, rx.copies, rx.noise);
	if (rx.queue < 0)
		return -1;

	if (want_queue == -1 && (e->flags & TUN_VNET_HASH_RSS))
		want_queue = oracle_queue(res, e->table, e->mask,
					  e->unclassified_queue, nq);
	if (want_queue >= 0)
		EXPECT_EQ(want_queue, rx.queue)
			TH_LOG("%s: hash %08x type %u", name, res.value,
			       res.report);

	if (!dev->hdr_sz)
		return rx.queue;
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_NONE, rx.hdr[1]) TH_LOG("%s", name);
	reported = (e->flags & TUN_VNET_HASH_REPORT) &&
		   dev->hdr_sz >= (int)sizeof(struct virtio_net_hdr_v1_hash);
	if (reported) {
		EXPECT_EQ(res.value, rx_hash_value(&rx))
			TH_LOG("%s: hash_value (type %u)", name, res.report);
		EXPECT_EQ(res.report, rx_hash_report(&rx))
			TH_LOG("%s: hash_report", name);
	}
	for (i = sizeof(struct virtio_net_hdr); i < (size_t)dev->hdr_sz; i++) {
		if (reported && i >= 12 && i < 18)
			continue;
		EXPECT_EQ(0, rx.hdr[i])
			TH_LOG("%s: vnet header byte %zu of %d", name, i,
			       dev->hdr_sz);
	}
	return rx.queue;
}

/* One frame of the table of cases: the spec's classification of it. */
struct hash_case {
	const char *name;
	uint16_t ethertype;
	uint8_t l4proto;
	uint16_t tpid[2];
	uint8_t ipv4_optlen;
	uint16_t ipv4_frag;
	bool l4_trunc;
	uint8_t l4_len;
	uint8_t outside;
	uint8_t ext[FRAME_MAX_EXT];
	int n_ext;
	uint32_t types;
	uint16_t report;	/* from the spec, checked against the oracle */
};

#define V4	.ethertype = ETH_P_IP
#define V6	.ethertype = ETH_P_IPV6
#define TCP	.l4proto = ORACLE_NEXTHDR_TCP
#define UDP	.l4proto = ORACLE_NEXTHDR_UDP
#define EXT(...) .ext = { __VA_ARGS__ }, \
		 .n_ext = sizeof((uint8_t[]){ __VA_ARGS__ })
#define NO_EX	(T_IPV4 | T_TCP4 | T_UDP4 | T_IPV6 | T_TCP6 | T_UDP6)
#define ONLY_EX	(T_IP_EX | T_TCP_EX | T_UDP_EX)

static const struct hash_case ipv4_cases[] = {
	{ "tcp4", V4, TCP, .types = ALL, .report = R_TCP4 },
	{ "udp4", V4, UDP, .types = ALL, .report = R_UDP4 },
	{ "tcp4 only", V4, TCP, .types = T_TCP4, .report = R_TCP4 },
	{ "udp4 only", V4, UDP, .types = T_UDP4, .report = R_UDP4 },
	{ "tcp4 as ipv4", V4, TCP, .types = T_UDP4 | T_IPV4,
	  .report = R_IPV4 },
	{ "udp4 as ipv4", V4, UDP, .types = T_TCP4 | T_IPV4,
	  .report = R_IPV4 },
	{ "tcp4 no v4 type", V4, TCP, .types = ALL & ~(T_IPV4 | T_TCP4 |
							T_UDP4),
	  .report = R_NONE },
	{ "udp4 tcp4 only", V4, UDP, .types = T_TCP4, .report = R_NONE },
	{ "icmp4", V4, .l4proto = 1, .types = ALL, .report = R_IPV4 },
	{ "tcp4 options 8", V4, TCP, .ipv4_optlen = 8, .types = ALL,
	  .report = R_TCP4 },
	{ "udp4 options 40", V4, UDP, .ipv4_optlen = 40, .types = ALL,
	  .report = R_UDP4 },
	{ "tcp4 first fragment", V4, TCP, .ipv4_frag = 0x2000, .types = ALL,
	  .report = R_IPV4 },
	{ "udp4 later fragment", V4, UDP, .ipv4_frag = 0x00b9, .types = ALL,
	  .report = R_IPV4 },
	{ "udp4 last fragment", V4, UDP, .ipv4_frag = 0x0001,
	  .types = T_UDP4, .report = R_NONE },
	{ "tcp4 dont fragment", V4, TCP, .ipv4_frag = 0x4000, .types = ALL,
	  .report = R_TCP4 },
	{ "tcp4 3 bytes of l4", V4, TCP, .l4_trunc = true, .l4_len = 3,
	  .types = ALL, .report = R_IPV4 },
	{ "udp4 4 bytes of l4", V4, UDP, .l4_trunc = true, .l4_len = 4,
	  .types = ALL, .report = R_UDP4 },
	{ "tcp4 no l4", V4, TCP, .l4_trunc = true, .l4_len = 0,
	  .types = ALL, .report = R_IPV4 },
	/* The total length ends the packet: what follows is padding. */
	{ "udp4 2 bytes of l4 then padding", V4, UDP, .l4_trunc = true,
	  .l4_len = 8, .outside = 6, .types = ALL, .report = R_IPV4 },
	{ "tcp4 ends before l4, padded", V4, TCP, .outside = 28,
	  .types = ALL, .report = R_IPV4 },
	{ "tcp4 ports then padding", V4, TCP, .outside = 24, .types = ALL,
	  .report = R_TCP4 },
	{ "udp4 padded after payload", V4, UDP, .outside = 4, .types = ALL,
	  .report = R_UDP4 },
};

static const struct hash_case vlan_cases[] = {
	{ "802.1Q tcp4", V4, TCP, .tpid = { ETH_P_8021Q }, .types = ALL,
	  .report = R_TCP4 },
	{ "802.1ad udp4", V4, UDP, .tpid = { ETH_P_8021AD }, .types = ALL,
	  .report = R_UDP4 },
	{ "802.1ad+802.1Q tcp6", V6, TCP,
	  .tpid = { ETH_P_8021AD, ETH_P_8021Q }, .types = ALL,
	  .report = R_TCP6 },
	{ "802.1Q tcp6 hao", V6, TCP, .tpid = { ETH_P_8021Q },
	  EXT(FRAME_EXT_DEST_HAO), .types = ALL, .report = R_TCP_EX },
	{ "802.1Q tcp4 as ipv4", V4, TCP, .tpid = { ETH_P_8021Q },
	  .types = T_IPV4, .report = R_IPV4 },
};

static const struct hash_case ipv6_cases[] = {
	{ "tcp6", V6, TCP, .types = ALL, .report = R_TCP6 },
	{ "udp6", V6, UDP, .types = ALL, .report = R_UDP6 },
	{ "tcp6 as ipv6", V6, TCP, .types = T_UDP6 | T_IPV6,
	  .report = R_IPV6 },
	{ "udp6 as ipv6", V6, UDP, .types = T_TCP6 | T_IPV6,
	  .report = R_IPV6 },
	{ "icmp6", V6, .l4proto = 58, .types = ALL, .report = R_IPV6 },
	{ "tcp6 no v6 type", V6, TCP, .types = T_IPV4 | T_TCP4 | T_UDP4,
	  .report = R_NONE },
	/* _EX types never apply without an extension header. */
	{ "tcp6 ex types only", V6, TCP, .types = ONLY_EX, .report = R_NONE },
	{ "udp6 ex and ipv6", V6, UDP, .types = ONLY_EX | T_IPV6,
	  .report = R_IPV6 },
	{ "tcp6 2 bytes of l4", V6, TCP, .l4_trunc = true, .l4_len = 2,
	  .types = ALL, .report = R_IPV6 },
	{ "udp6 4 bytes of l4", V6, UDP, .l4_trunc = true, .l4_len = 4,
	  .types = ALL, .report = R_UDP6 },
	/* ESP and No Next Header are not extension headers. */
	{ "esp6", V6, TCP, EXT(FRAME_EXT_ESP), .types = ALL,
	  .report = R_IPV6 },
	{ "no next header", V6, TCP, EXT(FRAME_EXT_NONE), .types = ALL,
	  .report = R_IPV6 },
	{ "esp6 ex types only", V6, TCP, EXT(FRAME_EXT_ESP), .types = ONLY_EX,
	  .report = R_NONE },
	/* The payload length ends the packet: what follows is padding. */
	{ "udp6 ends in l4, padded", V6, UDP, .outside = 14,
	  .types = ALL, .report = R_IPV6 },
	/* Payload length 0 is a jumbogram's: the frame's end bounds it. */
	{ "udp6 payload length 0", V6, UDP, .outside = 16, .types = ALL,
	  .report = R_UDP6 },
	{ "tcp6 ports then padding", V6, TCP, .outside = 24, .types = ALL,
	  .report = R_TCP6 },
};

static const struct hash_case ipv6_ext_cases[] = {
	{ "hop tcp6", V6, TCP, EXT(FRAME_EXT_HOP), .types = ALL,
	  .report = R_TCP_EX },
	{ "dstopts udp6", V6, UDP, EXT(FRAME_EXT_DEST), .types = ALL,
	  .report = R_UDP_EX },
	{ "hao tcp6", V6, TCP, EXT(FRAME_EXT_DEST_HAO), .types = ALL,
	  .report = R_TCP_EX },
	{ "rh2 tcp6", V6, TCP, EXT(FRAME_EXT_RH2), .types = ALL,
	  .report = R_TCP_EX },
	{ "hop rh2 hao udp6", V6, UDP,
	  EXT(FRAME_EXT_HOP, FRAME_EXT_RH2, FRAME_EXT_DEST_HAO),
	  .types = ALL, .report = R_UDP_EX },
	{ "routing type 0 tcp6", V6, TCP, EXT(FRAME_EXT_ROUTING),
	  .types = ALL, .report = R_TCP_EX },
	{ "ah tcp6", V6, TCP, EXT(FRAME_EXT_AUTH), .types = ALL,
	  .report = R_TCP_EX },
	{ "hao ah udp6", V6, UDP, EXT(FRAME_EXT_DEST_HAO, FRAME_EXT_AUTH),
	  .types = ALL, .report = R_UDP_EX },
	{ "mobility tcp6", V6, TCP, EXT(FRAME_EXT_MOBILITY), .types = ALL,
	  .report = R_TCP_EX },
	{ "fragment tcp6", V6, TCP, EXT(FRAME_EXT_FRAG), .types = ALL,
	  .report = R_IP_EX },
	{ "fragment tcp6 no ex", V6, TCP, EXT(FRAME_EXT_FRAG),
	  .types = NO_EX, .report = R_IPV6 },
	/* The walk ends at a Fragment header: no src' or dst' after it. */
	{ "fragment hao tcp6", V6, TCP,
	  EXT(FRAME_EXT_FRAG, FRAME_EXT_DEST_HAO), .types = ALL,
	  .report = R_IP_EX },
	{ "fragment rh2 udp6", V6, UDP, EXT(FRAME_EXT_FRAG, FRAME_EXT_RH2),
	  .types = T_UDP_EX | T_IP_EX, .report = R_IP_EX },
	{ "rh2 fragment udp6", V6, UDP, EXT(FRAME_EXT_RH2, FRAME_EXT_FRAG),
	  .types = ALL, .report = R_IP_EX },
	{ "hop tcp6 in padding", V6, TCP, EXT(FRAME_EXT_HOP), .outside = 32,
	  .types = ALL, .report = R_IPV6 },
	{ "hao tcp6 ends before l4, padded", V6, TCP,
	  EXT(FRAME_EXT_DEST_HAO), .outside = 28, .types = ALL,
	  .report = R_IP_EX },
	{ "hop esp", V6, TCP, EXT(FRAME_EXT_HOP, FRAME_EXT_ESP),
	  .types = ALL, .report = R_IP_EX },
	{ "dstopts no next", V6, UDP, EXT(FRAME_EXT_DEST, FRAME_EXT_NONE),
	  .types = ALL, .report = R_IP_EX },
	{ "hao 3 bytes of l4", V6, TCP, EXT(FRAME_EXT_DEST_HAO),
	  .l4_trunc = true, .l4_len = 3, .types = ALL, .report = R_IP_EX },
	/* Spec order: TCP_EX, UDP_EX, IP_EX, then the plain types. */
	{ "hao rh2 tcp6 no ex", V6, TCP,
	  EXT(FRAME_EXT_DEST_HAO, FRAME_EXT_RH2), .types = NO_EX,
	  .report = R_TCP6 },
	{ "hao tcp6 ip_ex before tcp6", V6, TCP, EXT(FRAME_EXT_DEST_HAO),
	  .types = T_IP_EX | T_TCP6, .report = R_IP_EX },
	{ "hao tcp6 udp_ex falls back", V6, TCP, EXT(FRAME_EXT_DEST_HAO),
	  .types = T_UDP_EX | T_TCP6 | T_IPV6, .report = R_TCP6 },
	{ "hao udp6 tcp_ex ip_ex", V6, UDP, EXT(FRAME_EXT_DEST_HAO),
	  .types = T_TCP_EX | T_IP_EX, .report = R_IP_EX },
	{ "rh2 udp6 ipv6 only", V6, UDP, EXT(FRAME_EXT_RH2),
	  .types = T_IPV6, .report = R_IPV6 },
	{ "hao tcp6 ipv4 only", V6, TCP, EXT(FRAME_EXT_DEST_HAO),
	  .types = T_IPV4, .report = R_NONE },
	/* The walk is bounded: 16 headers are walked, a 17th is not. */
	{ "16 dstopts tcp6", V6, TCP,
	  .ext = { [0 ... 15] = FRAME_EXT_DEST }, .n_ext = 16,
	  .types = ALL, .report = R_TCP_EX },
	{ "17 dstopts tcp6", V6, TCP,
	  .ext = { [0 ... 16] = FRAME_EXT_DEST }, .n_ext = 17,
	  .types = ALL, .report = R_IP_EX },
	{ "17 dstopts tcp6 no ex", V6, TCP,
	  .ext = { [0 ... 16] = FRAME_EXT_DEST }, .n_ext = 17,
	  .types = NO_EX, .report = R_IPV6 },
};

static const struct hash_case non_ip_cases[] = {
	{ "arp", .ethertype = ETH_P_ARP, .types = ALL, .report = R_NONE },
};

static void case_spec(const struct hash_case *c, struct frame_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->ethertype = c->ethertype;
	memcpy(s->tpid, c->tpid, sizeof(s->tpid));
	if (c->ethertype == ETH_P_IP) {
		inet_pton(AF_INET, "66.9.149.187", s->saddr);
		inet_pton(AF_INET, "161.142.100.80", s->daddr);
	} else {
		inet_pton(AF_INET6, "3ffe:2501:200:1fff::7", s->saddr);
		inet_pton(AF_INET6, "3ffe:2501:200:3::1", s->daddr);
	}
	inet_pton(AF_INET6, "2001:db8::a0a0", s->hao);
	inet_pton(AF_INET6, "2001:db8::b0b0", s->rh2);
	s->sport = 2794;
	s->dport = 1766;
	s->l4proto = c->l4proto;
	s->l4_trunc = c->l4_trunc;
	s->l4_len = c->l4_len;
	s->outside = c->outside;
	s->ipv4_optlen = c->ipv4_optlen;
	s->ipv4_frag = c->ipv4_frag;
	memcpy(s->ext, c->ext, sizeof(s->ext));
	s->n_ext = c->n_ext;
}

/*
 * The data path, on devices of several shapes: the variant gives the
 * device type, the number of queues, the vnet header size and the hash
 * flags.  Queues are 0..3, the table has 128 entries pointing at queues
 * 0..7, so that the modulo rule is exercised too.
 */
FIXTURE(vnet_hash)
{
	struct device dev;
	uint16_t table[TABLE_MAX];
	struct expect e;
};

FIXTURE_VARIANT(vnet_hash)
{
	int type;
	int queues;
	int hdr_sz;
	uint16_t flags;
};

#define REPORT	TUN_VNET_HASH_REPORT
#define RSS	TUN_VNET_HASH_RSS

FIXTURE_VARIANT_ADD(vnet_hash, tap_rss_report_hdr20) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 20,
	.flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_rss_report_hdr24) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 24,
	.flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_rss_report_hdr12) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 12,
	.flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_report_hdr20) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 20, .flags = REPORT,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_report_hdr24) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 24, .flags = REPORT,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_rss_hdr10) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 10, .flags = RSS,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_rss_hdr12) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 12, .flags = RSS,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_rss_hdr20) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 20, .flags = RSS,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_rss_hdr24) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 24, .flags = RSS,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_off_hdr24) {
	.type = IFF_TAP, .queues = QUEUES, .hdr_sz = 24, .flags = 0,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_single_queue_report_hdr20) {
	.type = IFF_TAP, .queues = 1, .hdr_sz = 20, .flags = REPORT,
};

FIXTURE_VARIANT_ADD(vnet_hash, tap_single_queue_report_hdr24) {
	.type = IFF_TAP, .queues = 1, .hdr_sz = 24, .flags = REPORT | RSS,
};

FIXTURE_VARIANT_ADD(vnet_hash, tun_rss_report_hdr20) {
	.type = IFF_TUN, .queues = QUEUES, .hdr_sz = 20,
	.flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vnet_hash, tun_report_hdr24) {
	.type = IFF_TUN, .queues = QUEUES, .hdr_sz = 24, .flags = REPORT,
};

/*
 * Every type, Microsoft's key, 128 table entries pointing at queues 0..7
 * (so that the modulo rule is exercised), unclassified queue 6.
 */
static void expect_init(struct expect *e, uint16_t *table, uint16_t flags)
{
	int i;

	for (i = 0; i < 128; i++)
		table[i] = (i * 5 + 3) % 8;
	e->flags = flags;
	e->types = ALL;
	e->key = oracle_ms_key;
	e->key_size = sizeof(oracle_ms_key);
	e->table = table;
	e->mask = 127;
	e->unclassified_queue = 6;
}

FIXTURE_SETUP(vnet_hash)
{
	int flags = variant->type | IFF_NO_PI | IFF_VNET_HDR;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	if (variant->queues > 1)
		flags |= IFF_MULTI_QUEUE;
	ASSERT_EQ(0, device_create(&self->dev, "vh%d", flags,
				   variant->queues, variant->hdr_sz));
	expect_init(&self->e, self->table, variant->flags);
}

FIXTURE_TEARDOWN(vnet_hash)
{
	device_close(&self->dev);
}

static void run_cases(struct __test_metadata *_metadata, struct device *dev,
		      struct expect *e, const struct hash_case *cases, size_t n)
{
	bool tun = !(dev->flags & IFF_TAP);
	struct oracle_input in;
	struct frame_spec s;
	struct frame f;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct hash_case *c = &cases[i];

		if (tun && c->tpid[0])
			continue;
		case_spec(c, &s);
		/* The spec's answer, independently of the oracle. */
		frame_build(&f, &s);
		oracle_classify_eth(f.data, f.len, c->types, &in);
		EXPECT_EQ(c->report, in.report) TH_LOG("oracle: %s", c->name);

		e->types = c->types;
		ASSERT_EQ(0, device_configure(dev, dev->fds[0], e))
			TH_LOG("%s", c->name);
		check_frame(_metadata, dev, dev->fds, dev->nq, e, &s, -1,
			    c->name);
	}
}

TEST_F(vnet_hash, ipv4)
{
	run_cases(_metadata, &self->dev, &self->e, ipv4_cases, ARRAY_SIZE(ipv4_cases));
}

TEST_F(vnet_hash, vlan)
{
	if (!(variant->type & IFF_TAP))
		SKIP(return, "no link-layer header on a tun device");
	run_cases(_metadata, &self->dev, &self->e, vlan_cases, ARRAY_SIZE(vlan_cases));
}

TEST_F(vnet_hash, ipv6)
{
	run_cases(_metadata, &self->dev, &self->e, ipv6_cases, ARRAY_SIZE(ipv6_cases));
}

TEST_F(vnet_hash, ipv6_ext)
{
	run_cases(_metadata, &self->dev, &self->e, ipv6_ext_cases, ARRAY_SIZE(ipv6_ext_cases));
}

TEST_F(vnet_hash, non_ip)
{
	run_cases(_metadata, &self->dev, &self->e, non_ip_cases, ARRAY_SIZE(non_ip_cases));
}

/* Many random flows of every kind: hashes, types and queue spread. */
static void many_flows(struct __test_metadata *_metadata, struct device *dev,
		       const struct expect *e, uint32_t state)
{
	int hits[TUN_MAX_QUEUES] = {};
	struct frame_spec s;
	int i, q = 0;

	ASSERT_EQ(0, device_configure(dev, dev->fds[0], e));
	for (i = 0; i < 96; i++) {
		flow_spec_random(&s, i % FLOW_KINDS, &state);
		if (!(dev->flags & IFF_TAP) && s.ethertype == ETH_P_ARP)
			continue;
		q = check_frame(_metadata, dev, dev->fds, dev->nq, e, &s, -1,
				flow_kind_names[i % FLOW_KINDS]);
		if (q >= 0)
			hits[q]++;
	}
	/* With RSS and this table, 96 flows reach every queue. */
	if ((e->flags & RSS) && dev->nq > 1)
		for (q = 0; q < dev->nq; q++)
			EXPECT_LT(0, hits[q]) TH_LOG("queue %d unused", q);
}

TEST_F(vnet_hash, many_flows)
{
	many_flows(_metadata, &self->dev, &self->e, 0x1427bded);
}

/* A short key is zero-extended to 40 bytes. */
TEST_F(vnet_hash, short_key)
{
	uint32_t state = 7;
	struct frame_spec s;
	int i;

	if (!variant->flags)
		SKIP(return, "hashing off");
	self->e.key_size = 13;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	for (i = 0; i < 12; i++) {
		flow_spec_random(&s, i % (FLOW_KINDS - 1), &state);
		check_frame(_metadata, &self->dev, self->dev.fds,
			    self->dev.nq, &self->e, &s, -1, "short key");
	}
	self->e.key_size = 1;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	flow_spec_random(&s, FLOW_TCP6_EX, &state);
	check_frame(_metadata, &self->dev, self->dev.fds, self->dev.nq,
		    &self->e, &s, -1, "1-byte key");
}

/* A VLAN tag in the skb (hardware offload of a VLAN device) counts too. */
TEST_F(vnet_hash, vlan_offload)
{
	uint32_t state = 99;
	struct frame_spec s;
	char cmd[128];
	int i;

	if (!(variant->type & IFF_TAP))
		SKIP(return, "no link-layer header on a tun device");
	snprintf(cmd, sizeof(cmd),
		 "ip link add link %s name vlan10 type vlan id 10 2>/dev/null",
		 self->dev.ifname);
	if (system(cmd))
		SKIP(return, "cannot create a VLAN device");
	ASSERT_EQ(0, netdev_set_up("vlan10"));
	self->e.hw_vlan = true;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	for (i = 0; i < FLOW_KINDS; i++) {
		flow_spec_random(&s, i, &state);
		s.tpid[0] = ETH_P_8021Q;
		check_frame(_metadata, &self->dev, self->dev.fds,
			    self->dev.nq, &self->e, &s, -1,
			    flow_kind_names[i]);
	}
}

/* An XDP program that sends every frame back: r0 = XDP_TX; exit */
/*
 * Encapsulated flows of every kind, with each tunnel type enabled alone,
 * all of them, and none: hash, type and queue as the oracle says, which
 * hashes the inner packet of an enabled encapsulation.
 */
TEST_F(vnet_hash, tunnels)
{
	static const enum flow_kind inner_kinds[] = {
		FLOW_TCP4, FLOW_UDP4, FLOW_TCP6, FLOW_UDP6, FLOW_TCP6_EX,
		FLOW_UDP6_EX,
	};
	struct tun_vnet_hash_cap cap;
	uint32_t state = 0x7e57, sets[11];
	struct frame_spec outer, inner;
	struct frame_tunnel t;
	char name[64];
	size_t i, j;
	int n = 0;

	ASSERT_EQ(0, ioctl(self->dev.fds[0], TUNGETVNETHASHCAP, &cap));
	if (!cap.tunnel_types)
		SKIP(return, "no tunnel types");
	ASSERT_EQ(0x1ff, cap.tunnel_types);
	for (i = 0; i < 9; i++)
		sets[i] = 1u << i;
	sets[9] = cap.tunnel_types;
	sets[10] = 0;

	for (i = 0; i < ARRAY_SIZE(sets); i++) {
		self->e.tunnel_types = sets[i];
		ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0],
					      &self->e));
		for (j = 0; j < ARRAY_SIZE(tunnel_kinds); j++) {
			do {
				flow_spec_random(&inner, inner_kinds[n++ %
					ARRAY_SIZE(inner_kinds)], &state);
			} while ((inner.ethertype == ETH_P_IPV6) !=
				 tunnel_kinds[j].inner_ipv6);
			tunnel_spec(&outer, &t, &tunnel_kinds[j], &inner,
				    &state);
			snprintf(name, sizeof(name), "%s, types 0x%x",
				 tunnel_kinds[j].name, sets[i]);
			check_frame(_metadata, &self->dev, self->dev.fds,
				    self->dev.nq, &self->e, &outer, -1, name);
		}
	}
}

/*
 * XDP frames: written into the tap, sent back by an XDP_TX program, they
 * reach the reader as xdp_frames (tun_put_user_xdp()), never as an skb.
 * They are not steered, but with REPORT their header carries the hash of
 * their data like any other packet.
 */
TEST_F(vnet_hash, xdp_tx)
{
	static const struct hash_case cases[] = {
		{ "xdp udp4 ends before l4, padded", V4, UDP, .outside = 16,
		  .types = ALL, .report = R_IPV4 },
		{ "xdp hao rh2 tcp6", V6, TCP,
		  EXT(FRAME_EXT_DEST_HAO, FRAME_EXT_RH2), .types = ALL,
		  .report = R_TCP_EX },
		{ "xdp fragment hao udp6", V6, UDP,
		  EXT(FRAME_EXT_FRAG, FRAME_EXT_DEST_HAO), .types = ALL,
		  .report = R_IP_EX },
		{ "xdp 802.1Q tcp4", V4, TCP, .tpid = { ETH_P_8021Q },
		  .types = ALL, .report = R_TCP4 },
	};
	uint32_t state = 0x7d9;
	struct frame_spec s;
	unsigned int i;
	int prog, err;

	if (!(variant->type & IFF_TAP))
		SKIP(return, "tun runs XDP on skbs only (generic XDP)");
	prog = xdp_tx_prog_load();
	if (prog < 0)
		SKIP(return, "cannot load an XDP program: %s",
		     strerror(-prog));
	err = netdev_set_xdp_drv(self->dev.ifindex, prog);
	close(prog);
	ASSERT_EQ(0, err) TH_LOG("attach XDP: %s", strerror(-err));

	self->e.xdp_tx = true;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	for (i = 0; i < FLOW_KINDS; i++) {
		flow_spec_random(&s, i, &state);
		check_frame(_metadata, &self->dev, self->dev.fds,
			    self->dev.nq, &self->e, &s, -2,
			    flow_kind_names[i]);
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		case_spec(&cases[i], &s);
		check_frame(_metadata, &self->dev, self->dev.fds,
			    self->dev.nq, &self->e, &s, -2, cases[i].name);
	}
}

/*
 * Bytes 0-9 of the vnet header, which tun fills from the skb: a TCP
 * segment to segment (GSO) and one with a partial checksum, sent with
 * PACKET_VNET_HDR into a device that accepts both (TUNSETOFFLOAD), must
 * come out with their GSO and checksum fields, whatever the header size,
 * and with the oracle's hash.
 */
TEST_F(vnet_hash, gso_csum_header)
{
	static const struct {
		const char *name;
		uint8_t gso_type;
		uint16_t gso_size;
		uint16_t payload;
	} cases[] = {
		{ "csum partial", VIRTIO_NET_HDR_GSO_NONE, 0, 200 },
		{ "gso tcpv4", VIRTIO_NET_HDR_GSO_TCPV4, 800, 1900 },
	};
	unsigned int offload = TUN_F_CSUM | TUN_F_TSO4;
	uint32_t state = 0x650;
	unsigned int i;
	int sock, one = 1;

	if (!(variant->type & IFF_TAP))
		SKIP(return, "frames are sent with their Ethernet header");
	ASSERT_EQ(0, ioctl(self->dev.fds[0], TUNSETOFFLOAD, offload));
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, setsockopt(sock, SOL_PACKET, PACKET_VNET_HDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct oracle_result res = {};
		struct virtio_net_hdr *vh;
		struct oracle_input in;
		struct frame_spec s;
		struct rx_result rx;
		struct frame f;
		size_t j;

		flow_spec_random(&s, FLOW_TCP4, &state);
		ASSERT_EQ(0, packet_send_segment(sock, self->dev.ifindex, &s,
						 cases[i].gso_type,
						 cases[i].gso_size,
						 cases[i].payload, &f))
			TH_LOG("%s: %s", cases[i].name, strerror(errno));
		oracle_classify_eth(f.data, f.len, self->e.types, &in);
		if (self->e.flags)
			res = oracle_hash(self->e.key, self->e.key_size, &in);
		ASSERT_EQ(0, rx_find(self->dev.fds, self->dev.nq,
				     self->dev.hdr_sz, f.data, f.len, &rx));
		ASSERT_EQ(1, rx.copies) TH_LOG("%s", cases[i].name);

		vh = (struct virtio_net_hdr *)rx.hdr;
		EXPECT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM, vh->flags)
			TH_LOG("%s", cases[i].name);
		EXPECT_EQ(cases[i].gso_type, vh->gso_type)
			TH_LOG("%s", cases[i].name);
		EXPECT_EQ(cases[i].gso_size, vh->gso_size)
			TH_LOG("%s", cases[i].name);
		if (cases[i].gso_type)
			EXPECT_NE(0, vh->hdr_len) TH_LOG("%s", cases[i].name);
		EXPECT_EQ(f.l3_off + 20, vh->csum_start)
			TH_LOG("%s", cases[i].name);
		EXPECT_EQ(16, vh->csum_offset) TH_LOG("%s", cases[i].name);
		if ((self->e.flags & REPORT) && self->dev.hdr_sz >= 20) {
			EXPECT_EQ(res.value, rx_hash_value(&rx))
				TH_LOG("%s", cases[i].name);
			EXPECT_EQ(res.report, rx_hash_report(&rx))
				TH_LOG("%s", cases[i].name);
		}
		for (j = sizeof(*vh); j < (size_t)self->dev.hdr_sz; j++)
			if (j < 12 || j >= 18 || !(self->e.flags & REPORT) ||
			    self->dev.hdr_sz < 20)
				EXPECT_EQ(0, rx.hdr[j])
					TH_LOG("%s: byte %zu", cases[i].name, j);
	}
	close(sock);
}

/*
 * Device-wide behaviour on a 4-queue tap with a 20-byte header:
 * validation, lifetime, queue changes and eBPF.
 */
FIXTURE(vnet_hash_ctl)
{
	struct device dev;
	uint16_t table[TABLE_MAX];
	struct expect e;
	uint32_t state;
};

FIXTURE_SETUP(vnet_hash_ctl)
{
	int i;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	ASSERT_EQ(0, device_create(&self->dev, "vhc%d",
				   IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
				   IFF_MULTI_QUEUE, QUEUES, 20));
	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = i % 8;
	self->e.flags = RSS | REPORT;
	self->e.types = ALL;
	self->e.key = oracle_ms_key;
	self->e.key_size = sizeof(oracle_ms_key);
	self->e.table = self->table;
	self->e.mask = 255;
	self->e.unclassified_queue = 1;
	self->state = 0xdecade;
}

FIXTURE_TEARDOWN(vnet_hash_ctl)
{
	device_close(&self->dev);
}

/* Send @n flows of every kind; each must match the oracle. */
static void check_flows(struct __test_metadata *_metadata, struct device *dev,
			const struct expect *e, uint32_t *state,
			const int *queues, int nq, int n, int want_queue,
			const char *name)
{
	struct frame_spec s;
	int i;

	for (i = 0; i < n; i++) {
		flow_spec_random(&s, i % FLOW_KINDS, state);
		check_frame(_metadata, dev, queues, nq, e, &s, want_queue,
			    name);
	}
}

/* Every invalid argument is EINVAL and leaves the old configuration. */
TEST_F(vnet_hash_ctl, invalid)
{
	static const struct {
		const char *name;
		uint16_t flags;
		uint32_t types;
		uint16_t key_size;
		uint16_t mask;
		uint16_t unclassified_queue;
		int bad_entry;		/* index of a table entry set to 256 */
	} bad[] = {
		{ "unknown flag", RSS | REPORT | 4, ALL, 40, 255, 0, -1 },
		{ "top flag", REPORT | 0x8000, ALL, 40, 0, 0, -1 },
		{ "off with types", 0, ALL, 0, 0, 0, -1 },
		{ "off with key", 0, 0, 40, 0, 0, -1 },
		{ "type 0x200", REPORT, ALL | 0x200, 40, 0, 0, -1 },
		{ "types ~0", RSS, ~0u, 40, 255, 0, -1 },
		{ "key size 0", REPORT, ALL, 0, 0, 0, -1 },
		{ "key size 0 rss", RSS, ALL, 0, 255, 0, -1 },
		{ "key size 41", RSS | REPORT, ALL, 41, 255, 0, -1 },
		{ "table length 3", RSS, ALL, 40, 2, 0, -1 },
		{ "table length 6", RSS, ALL, 40, 5, 0, -1 },
		{ "table length 255", RSS, ALL, 40, 254, 0, -1 },
		{ "table length 512", RSS, ALL, 40, 511, 0, -1 },
		{ "table entry 256", RSS, ALL, 40, 255, 0, 17 },
		{ "last table entry 256", RSS, ALL, 40, 255, 0, 255 },
		{ "unclassified queue 256", RSS, ALL, 40, 255, 256, -1 },
		{ "unclassified queue ~0", RSS, ALL, 40, 255, 0xffff, -1 },
		{ "mask without rss", REPORT, ALL, 40, 1, 0, -1 },
		{ "unclassified without rss", REPORT, ALL, 40, 0, 1, -1 },
	};
	uint16_t table[1024];
	struct expect good;
	size_t i;

	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = 3;
	self->e.unclassified_queue = 3;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 7, -1, "before");

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(table, 0, sizeof(table));
		if (bad[i].bad_entry >= 0)
			table[bad[i].bad_entry] = 256;
		EXPECT_EQ(-EINVAL,
			  tun_set_vnet_hash(self->dev.fds[i % QUEUES],
					    bad[i].flags, bad[i].types, oracle_ms_key,
					    bad[i].key_size, table, bad[i].mask,
					    bad[i].unclassified_queue))
			TH_LOG("%s", bad[i].name);
	}
	/* All flows still on queue 3, with the old key and types. */
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 14, 3, "after");

	/* The limits themselves are valid. */
	good = self->e;
	for (i = 0; i < TABLE_MAX; i++)
		table[i] = 255;
	good.table = table;
	good.key_size = 1;
	good.unclassified_queue = 255;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[1], &good));
	self->e = good;
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 7, 3, "limits");
	good.mask = 0;
	table[0] = 2;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[2], &good));
	self->e = good;
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 7, -1, "1 entry");
}

/* A bad pointer is EFAULT, wherever the argument ends. */
TEST_F(vnet_hash_ctl, efault)
{
	struct tun_vnet_hash *hash;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map;

	for (int i = 0; i < TABLE_MAX; i++)
		self->table[i] = 2;
	self->e.unclassified_queue = 2;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));

	EXPECT_EQ(-1, ioctl(self->dev.fds[0], TUNSETVNETHASH, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev.fds[0], TUNGETVNETHASHCAP, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* A valid header whose table runs into an unmapped page. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	ASSERT_EQ(0, munmap(map + page, page));
	hash = (struct tun_vnet_hash *)(map + page - sizeof(*hash) - 16);
	memset(hash, 0, sizeof(*hash) + 16);
	hash->flags = RSS;
	hash->types = ALL;
	hash->key_size = 40;
	hash->indirection_table_mask = 255;
	EXPECT_EQ(-1, ioctl(self->dev.fds[0], TUNSETVNETHASH, hash));
	EXPECT_EQ(EFAULT, errno);
	/* And a key that does. */
	hash = (struct tun_vnet_hash *)(map + page - sizeof(*hash) - 8);
	memset(hash, 0, sizeof(*hash) + 8);
	hash->flags = REPORT;
	hash->types = ALL;
	hash->key_size = 40;
	EXPECT_EQ(-1, ioctl(self->dev.fds[0], TUNSETVNETHASH, hash));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, page);

	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 7, 2, "after");
}

/*
 * The argument size is the one of the command number: the numbers of the
 * first header (12 bytes, no tunnel types) keep working, the table starts
 * at the header's size, and unknown trailing bytes must be 0.
 */
TEST_F(vnet_hash_ctl, header_sizes)
{
	struct tun_vnet_hash_cap cap;
	struct expect e = self->e;
	int i;

	ASSERT_EQ(0, ioctl(self->dev.fds[0], TUNGETVNETHASHCAP, &cap));

	/* 0x400c54e5, as binaries built against the first header carry it */
	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = (i * 7) % QUEUES;
	ASSERT_EQ(0, set_sized(self->dev.fds[0], TUN_VNET_HASH_SIZE_VER0, 0,
			       &e, 0));
	ASSERT_EQ(0x400c54e5, _IOC(_IOC_WRITE, 'T', 229,
				   TUN_VNET_HASH_SIZE_VER0));
	check_flows(_metadata, &self->dev, &e, &self->state, self->dev.fds,
		    QUEUES, 14, -1, "ver0");

	/* 0x401054e5, the current one */
	ASSERT_EQ(0x401054e5, TUNSETVNETHASH);
	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = (i * 5 + 1) % QUEUES;
	e.key_size = 16;
	ASSERT_EQ(0, set_sized(self->dev.fds[1], TUN_VNET_HASH_SIZE_VER1, 0,
			       &e, 0));
	check_flows(_metadata, &self->dev, &e, &self->state, self->dev.fds,
		    QUEUES, 14, -1, "ver1");

	/* A larger header whose tail is zero: the table follows it */
	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = 3 - i % QUEUES;
	e.types = VIRTIO_NET_RSS_HASH_TYPE_IPv4 | VIRTIO_NET_RSS_HASH_TYPE_IPv6;
	ASSERT_EQ(0, set_sized(self->dev.fds[2], 40, 0, &e, 0));
	check_flows(_metadata, &self->dev, &e, &self->state, self->dev.fds,
		    QUEUES, 14, -1, "size 40");

	/* Non-zero bytes beyond the known fields: E2BIG, nothing changes */
	EXPECT_EQ(-E2BIG, set_sized(self->dev.fds[0], 17, 1, &self->e, 0));
	EXPECT_EQ(-E2BIG, set_sized(self->dev.fds[0], 40, 0x80, &self->e, 0));
	EXPECT_EQ(-E2BIG, set_sized(self->dev.fds[0], 1000, 1, &self->e, 0));

	/* Tunnel types: only the supported ones, and only with hashing on */
	EXPECT_EQ(-EINVAL, set_sized(self->dev.fds[0], TUN_VNET_HASH_SIZE_VER1,
				     0, &self->e, ~cap.tunnel_types));
	self->e.flags = 0;
	self->e.types = 0;
	self->e.key_size = 0;
	EXPECT_EQ(-EINVAL, set_sized(self->dev.fds[0], TUN_VNET_HASH_SIZE_VER1,
				     0, &self->e,
				     VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN));

	/* A header smaller than the first one is no known command */
	EXPECT_EQ(-EINVAL, set_sized(self->dev.fds[0], 8, 0, &self->e, 0));

	check_flows(_metadata, &self->dev, &e, &self->state, self->dev.fds,
		    QUEUES, 14, -1, "after the errors");
}

/*
 * TUNGETVNETHASHCAP writes what the size in the command number holds and
 * zeroes the rest of a larger buffer.
 */
TEST_F(vnet_hash_ctl, cap_sizes)
{
	struct tun_vnet_hash_cap cap;
	uint8_t buf[64];
	int fd = self->dev.fds[0];
	size_t i;

	ASSERT_EQ(0x800c54e4, TUNGETVNETHASHCAP);
	memset(&cap, 0xa5, sizeof(cap));
	ASSERT_EQ(0, ioctl(fd, TUNGETVNETHASHCAP, &cap));
	EXPECT_EQ(ALL, cap.types);
	EXPECT_EQ(0, cap.tunnel_types & ~0x1ffu);

	/* 0x800854e4, the first capability: 8 bytes, nothing after them */
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, _IOC(_IOC_READ, 'T', 228,
				    TUN_VNET_HASH_CAP_SIZE_VER0), buf));
	ASSERT_EQ(0x800854e4, _IOC(_IOC_READ, 'T', 228,
				   TUN_VNET_HASH_CAP_SIZE_VER0));
	EXPECT_EQ(0, memcmp(buf, &cap, TUN_VNET_HASH_CAP_SIZE_VER0));
	for (i = TUN_VNET_HASH_CAP_SIZE_VER0; i < sizeof(buf); i++)
		EXPECT_EQ(0xa5, buf[i]);

	/* A larger buffer: the capability, then zeros up to its size */
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, ioctl(fd, _IOC(_IOC_READ, 'T', 228, 60), buf));
	EXPECT_EQ(0, memcmp(buf, &cap, sizeof(cap)));
	for (i = sizeof(cap); i < 60; i++)
		EXPECT_EQ(0, buf[i]);
	for (; i < sizeof(buf); i++)
		EXPECT_EQ(0xa5, buf[i]);

	/* Before TUNSETIFF too */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_EQ(0, ioctl(fd, _IOC(_IOC_READ, 'T', 228, 32), buf));
	EXPECT_EQ(0, memcmp(buf, &cap, sizeof(cap)));
	EXPECT_EQ(0, buf[31]);
	/* Smaller than the first capability: no known command */
	EXPECT_EQ(-1, ioctl(fd, _IOC(_IOC_READ, 'T', 228, 4), buf));
	EXPECT_EQ(EBADFD, errno);
	close(fd);
	EXPECT_EQ(-1, ioctl(self->dev.fds[0], _IOC(_IOC_READ, 'T', 228, 4),
			    buf));
	EXPECT_EQ(EINVAL, errno);
}

/* A deleted device leaves its descriptors detached: EBADFD. */
TEST_F(vnet_hash_ctl, deleted_device)
{
	struct tun_vnet_hash_cap cap;

	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	ASSERT_EQ(0, netdev_delete(self->dev.ifindex));
	EXPECT_EQ(-EBADFD, device_configure(&self->dev, self->dev.fds[0],
					    &self->e));
	EXPECT_EQ(-EBADFD, device_configure(&self->dev, self->dev.fds[3],
					    &(struct expect){ .flags = 0 }));
	EXPECT_EQ(0, ioctl(self->dev.fds[1], TUNGETVNETHASHCAP, &cap));
}

/* A queue disabled with IFF_DETACH_QUEUE still configures its device. */
TEST_F(vnet_hash_ctl, detached_queue_configures)
{
	struct tun_vnet_hash_cap cap;
	int i;

	ASSERT_EQ(0, tun_set_queue(self->dev.fds[3], false));
	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = 1;
	EXPECT_EQ(0, device_configure(&self->dev, self->dev.fds[3], &self->e));
	EXPECT_EQ(0, ioctl(self->dev.fds[3], TUNGETVNETHASHCAP, &cap));
	/* Queues 0..2 remain, in place: all to queue 1. */
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, 3, 14, 1, "detached");

	/* Invalid through the detached queue is still EINVAL. */
	EXPECT_EQ(-EINVAL, tun_set_vnet_hash(self->dev.fds[3], 4, 0, oracle_ms_key,
					     40, self->table, 0, 0));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, 3, 7, 1, "still");
}

/* Record the automq queue of @n flows, or check them against @queues. */
static void automq_flows(struct __test_metadata *_metadata,
			 struct device *dev, const struct expect *e,
			 int *queues, int n, bool record, const char *name)
{
	uint32_t state = 0xabcdef;
	struct frame_spec s;
	int i, q;

	for (i = 0; i < n; i++) {
		/* Non-IP frames all hash alike for automq: IP flows only. */
		flow_spec_random(&s, i % FLOW_NON_IP, &state);
		q = check_frame(_metadata, dev, dev->fds, QUEUES, e, &s,
				record ? -2 : queues[i], name);
		if (record)
			queues[i] = q;
	}
}

/*
 * REPORT without RSS keeps tun's automatic steering; flags 0 gives it
 * back after RSS.
 */
TEST_F(vnet_hash_ctl, report_keeps_automq)
{
	struct expect off = { .flags = 0 };
	int queues[32];
	int i, other;

	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &off));
	self->e.flags = 0;
	automq_flows(_metadata, &self->dev, &self->e, queues, 32, true,
		     "automq");
	for (i = 1; i < 32; i++)
		if (queues[i] != queues[0])
			break;
	EXPECT_LT(i, 32) TH_LOG("automq used a single queue");

	self->e.flags = REPORT;
	self->e.mask = 0;
	self->e.unclassified_queue = 0;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[1], &self->e));
	automq_flows(_metadata, &self->dev, &self->e, queues, 32, false,
		     "report only");

	/* RSS moves every flow to one queue ... */
	other = (queues[0] + 1) % QUEUES;
	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = other;
	self->e.unclassified_queue = other;
	self->e.flags = RSS;
	self->e.mask = 255;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[2], &self->e));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 7, other, "rss");

	/* ... and turning hashing off restores automq, without a report. */
	self->e.flags = 0;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[3], &self->e));
	automq_flows(_metadata, &self->dev, &self->e, queues, 32, false,
		     "off again");
}

/*
 * A tc skbedit action that sets the queue: ndo_select_queue is skipped,
 * the frames all reach that queue, and their report is still the
 * oracle's, since the hash is computed in ndo_start_xmit.
 */
TEST_F(vnet_hash_ctl, tc_skbedit_queue)
{
	struct frame_spec s;
	char cmd[256];
	int i;

	snprintf(cmd, sizeof(cmd),
		 "tc qdisc add dev %s clsact && tc filter add dev %s egress matchall action skbedit queue_mapping 2 >/dev/null 2>&1",
		 self->dev.ifname, self->dev.ifname);
	if (system(cmd))
		SKIP(return, "cannot set a tc skbedit action");
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	for (i = 0; i < 2 * FLOW_KINDS; i++) {
		flow_spec_random(&s, i % FLOW_KINDS, &self->state);
		check_frame(_metadata, &self->dev, self->dev.fds, QUEUES,
			    &self->e, &s, 2, flow_kind_names[i % FLOW_KINDS]);
	}
}

/* Write the frame of @s into queue @fd, as the guest sends it. */
static int write_frame(const struct device *dev, int fd,
		       const struct frame_spec *s)
{
	uint8_t buf[VNET_HDR_MAX + FRAME_MAX] = {};
	ssize_t len;
	struct frame f;

	frame_build(&f, s);
	len = dev->hdr_sz + f.len;
	memcpy(buf + dev->hdr_sz, f.data, f.len);
	return write(fd, buf, len) == len ? 0 : -errno;
}

#define BOOKKEEPING_FLOWS	16

/* Flows of the guest, written into the queue after their automq queue. */
static void write_flows(struct __test_metadata *_metadata,
			struct device *dev, const int *queues)
{
	uint32_t state = 0x51;
	struct frame_spec s;
	int i;

	for (i = 0; i < BOOKKEEPING_FLOWS; i++) {
		flow_spec_random(&s, i % 2 ? FLOW_TCP4 : FLOW_UDP6, &state);
		ASSERT_EQ(0, write_frame(dev, dev->fds[(queues[i] + 1) %
						       QUEUES], &s));
	}
}

/* The same flows from the host: each must reach queues[i] + @shift. */
static void send_flows(struct __test_metadata *_metadata,
		       struct device *dev, int *queues, int shift,
		       const char *name)
{
	struct expect off = { .flags = 0 };
	uint32_t state = 0x51;
	struct frame_spec s;
	int i;

	for (i = 0; i < BOOKKEEPING_FLOWS; i++) {
		flow_spec_random(&s, i % 2 ? FLOW_TCP4 : FLOW_UDP6, &state);
		if (queues[i] < 0)
			queues[i] = check_frame(_metadata, dev, dev->fds,
						QUEUES, &off, &s, -2, name);
		else
			check_frame(_metadata, dev, dev->fds, QUEUES, &off,
				    &s, (queues[i] + shift) % QUEUES, name);
	}
}

/*
 * RSS chooses every queue itself, so the write path keeps no automatic
 * flow steering state for it (no flow hash, no flow entry), as with a
 * steering eBPF program.  A flow the guest sends on another queue while
 * RSS is on must not have moved when automq steers again; the same writes
 * without RSS do move it, which shows that the test sees the bookkeeping.
 */
TEST_F(vnet_hash_ctl, rss_skips_automq_bookkeeping)
{
	struct expect off = { .flags = 0 };
	int queues[BOOKKEEPING_FLOWS], i;

	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &off));
	for (i = 0; i < BOOKKEEPING_FLOWS; i++)
		queues[i] = -1;
	/* Where automq puts each flow without a flow entry */
	send_flows(_metadata, &self->dev, queues, 0, "automq");
	for (i = 0; i < BOOKKEEPING_FLOWS; i++)
		ASSERT_LE(0, queues[i]);

	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	write_flows(_metadata, &self->dev, queues);
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &off));
	send_flows(_metadata, &self->dev, queues, 0, "written under rss");

	write_flows(_metadata, &self->dev, queues);
	send_flows(_metadata, &self->dev, queues, 1, "written under automq");
}

/*
 * Queues attached and detached under a configuration: the table index is
 * taken modulo the attached queues, which tun keeps packed (detaching
 * queue i moves the last one into slot i).
 */
TEST_F(vnet_hash_ctl, attach_detach)
{
	int qfd[QUEUES], nq = QUEUES, order[QUEUES] = { 1, 0, 2, 3 };
	struct frame_spec s;
	struct frame f;
	int i, k;

	memcpy(qfd, self->dev.fds, sizeof(qfd));
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    qfd, nq, 14, -1, "4 queues");

	for (i = 0; i < QUEUES; i++) {
		int fd = self->dev.fds[order[i]];

		for (k = 0; k < nq && qfd[k] != fd; k++)
			;
		ASSERT_LT(k, nq);
		ASSERT_EQ(0, tun_set_queue(fd, false));
		qfd[k] = qfd[--nq];
		if (nq)
			check_flows(_metadata, &self->dev, &self->e,
				    &self->state, qfd, nq, 14, -1,
				    "detaching");
	}

	/* No queue at all: the frame is dropped, nothing breaks. */
	flow_spec_random(&s, FLOW_TCP4, &self->state);
	frame_build(&f, &s);
	packet_send(self->dev.sock, self->dev.ifindex, &f, false);

	for (i = 0; i < QUEUES; i++) {
		ASSERT_EQ(0, tun_set_queue(self->dev.fds[order[i]], true));
		qfd[nq++] = self->dev.fds[order[i]];
		/* Drain what the qdisc may have held back meanwhile. */
		check_flows(_metadata, &self->dev, &self->e, &self->state,
			    qfd, nq, 14, -1, "attaching");
	}
}

/* The oracle's hash and RSS queue of frame @f under @e. */
static struct oracle_result expect_hash(const struct expect *e,
					const struct frame *f, int nq,
					int *queue)
{
	struct oracle_result res = {};
	struct oracle_input in;

	oracle_classify_eth(f->data, f->len, e->types, &in);
	if (e->flags)
		res = oracle_hash(e->key, e->key_size, &in);
	if (queue)
		*queue = (e->flags & RSS) ?
			 (int)oracle_queue(res, e->table, e->mask,
					   e->unclassified_queue, nq) : -1;
	return res;
}

/*
 * Read back the frame @f queued before a change: one copy, whole, with a
 * header of @hdr_sz bytes that reports @want (0/0 for none; never looked
 * at below 20 bytes), on @want_queue (any queue when negative).  Every
 * other header byte reads as zero.
 */
static void check_queued(struct __test_metadata *_metadata,
			 struct device *dev, const struct frame *f,
			 int hdr_sz, struct oracle_result want,
			 int want_queue, const char *name)
{
	struct rx_result rx;
	int i;

	EXPECT_EQ(0, rx_find(dev->fds, dev->nq, hdr_sz, f->data, f->len, &rx));
	EXPECT_EQ(1, rx.copies) TH_LOG("%s: %d copies, %d other frames",
				       name, rx.copies, rx.noise);
	EXPECT_EQ(0, rx.noise) TH_LOG("%s", name);
	if (!rx.copies)
		return;
	if (want_queue >= 0)
		EXPECT_EQ(want_queue, rx.queue) TH_LOG("%s", name);
	if (hdr_sz >= (int)sizeof(struct virtio_net_hdr_v1_hash)) {
		EXPECT_EQ(want.value, rx_hash_value(&rx)) TH_LOG("%s", name);
		EXPECT_EQ(want.report, rx_hash_report(&rx)) TH_LOG("%s", name);
	}
	for (i = 0; i < hdr_sz; i++) {
		if (hdr_sz >= (int)sizeof(struct virtio_net_hdr_v1_hash) &&
		    i >= 12 && i < 18)
			continue;
		EXPECT_EQ(0, rx.hdr[i])
			TH_LOG("%s: vnet header byte %d of %d", name, i,
			       hdr_sz);
	}
}

/*
 * Packets queued across a change of the configuration or of the vnet
 * header size.  tun decides the report when it queues the packet
 * (ndo_start_xmit), under the configuration and the header size of that
 * moment, and lays the header out when it is read, at the header size of
 * then.  So a packet queued under configuration A and read after B (or
 * after hashing was turned off) reports A's hash and sits on A's queue;
 * one queued while hashing was off, or while the header had no room for
 * the hash, reads NONE (0/0) even after it was turned on or the header
 * grew; a header that shrank to 12 bytes carries no hash.  Each packet
 * is read whole, once, with every header byte tun has nothing for zero.
 */
TEST_F(vnet_hash_ctl, queued_across_change)
{
	struct expect a = self->e, b = self->e, off = self->e;
	struct oracle_result none = {}, want;
	struct device *dev = &self->dev;
	uint8_t key_b[ORACLE_KEY_SIZE];
	struct frame_spec s;
	struct frame f;
	int i, q, hdr;

	for (i = 0; i < ORACLE_KEY_SIZE; i++)
		key_b[i] = i * 7 + 1;
	b.key = key_b;
	off.flags = 0;

	for (i = 0; i < FLOW_KINDS; i++) {
		/* Under A, read after B. */
		ASSERT_EQ(0, device_configure(dev, dev->fds[0], &a));
		flow_spec_random(&s, i, &self->state);
		frame_build(&f, &s);
		ASSERT_EQ(0, packet_send(dev->sock, dev->ifindex, &f, false));
		want = expect_hash(&a, &f, dev->nq, &q);
		ASSERT_EQ(0, device_configure(dev, dev->fds[1], &b));
		check_queued(_metadata, dev, &f, 20, want, q, "A then B");
		check_flows(_metadata, dev, &b, &self->state, dev->fds,
			    dev->nq, 1, -1, "B");

		/* Under B, read after hashing was turned off. */
		flow_spec_random(&s, i, &self->state);
		frame_build(&f, &s);
		ASSERT_EQ(0, packet_send(dev->sock, dev->ifindex, &f, false));
		want = expect_hash(&b, &f, dev->nq, &q);
		ASSERT_EQ(0, device_configure(dev, dev->fds[2], &off));
		check_queued(_metadata, dev, &f, 20, want, q, "B then off");

		/* Off, read after A: no hash. */
		flow_spec_random(&s, i, &self->state);
		frame_build(&f, &s);
		ASSERT_EQ(0, packet_send(dev->sock, dev->ifindex, &f, false));
		ASSERT_EQ(0, device_configure(dev, dev->fds[3], &a));
		check_queued(_metadata, dev, &f, 20, none, -1, "off then A");
	}

	/* Under A with header sizes 20 -> 12 -> 24 -> 20. */
	ASSERT_EQ(0, device_configure(dev, dev->fds[0], &a));
	for (i = 0; i < FLOW_KINDS; i++) {
		static const int sizes[][2] = {
			{ 20, 12 }, { 12, 24 }, { 24, 20 }, { 20, 24 },
		};
		int k;

		for (k = 0; k < (int)ARRAY_SIZE(sizes); k++) {
			hdr = sizes[k][0];
			ASSERT_EQ(0, ioctl(dev->fds[0], TUNSETVNETHDRSZ, &hdr));
			flow_spec_random(&s, i, &self->state);
			frame_build(&f, &s);
			ASSERT_EQ(0, packet_send(dev->sock, dev->ifindex, &f,
						 false));
			want = expect_hash(&a, &f, dev->nq, &q);
			if (hdr < (int)sizeof(struct virtio_net_hdr_v1_hash))
				want = none;
			hdr = sizes[k][1];
			ASSERT_EQ(0, ioctl(dev->fds[1], TUNSETVNETHDRSZ, &hdr));
			check_queued(_metadata, dev, &f, hdr, want, q,
				     "header size change");
		}
	}
	hdr = 20;
	ASSERT_EQ(0, ioctl(dev->fds[0], TUNSETVNETHDRSZ, &hdr));
}

/*
 * A tap device without IFF_NO_PI: every read starts with the 4-byte
 * struct tun_pi (flags 0, the frame's ethertype), then the vnet header
 * with the oracle's hash and type, then the frame, on the RSS queue.
 */
TEST_F(vnet_hash_ctl, tap_with_pi)
{
	const int pi_sz = sizeof(struct tun_pi);
	struct expect *e = &self->e;
	struct oracle_result want;
	struct rx_result rx;
	struct frame_spec s;
	struct device dev;
	struct frame f;
	int i, q;

	ASSERT_EQ(0, device_create(&dev, "vhp%d",
				   IFF_TAP | IFF_VNET_HDR | IFF_MULTI_QUEUE,
				   QUEUES, 20));
	ASSERT_EQ(0, device_configure(&dev, dev.fds[0], e));
	for (i = 0; i < 4 * FLOW_KINDS; i++) {
		flow_spec_random(&s, i % FLOW_KINDS, &self->state);
		frame_build(&f, &s);
		want = expect_hash(e, &f, dev.nq, &q);
		EXPECT_EQ(0, packet_send(dev.sock, dev.ifindex, &f, false));
		EXPECT_EQ(0, rx_find(dev.fds, dev.nq, pi_sz + 20, f.data,
				     f.len, &rx));
		EXPECT_EQ(1, rx.copies) TH_LOG("%s: %d copies, %d others",
					       flow_kind_names[i % FLOW_KINDS],
					       rx.copies, rx.noise);
		if (!rx.copies)
			continue;
		EXPECT_EQ(q, rx.queue);
		EXPECT_EQ(0, oracle_get_be16(rx.hdr));	/* flags */
		EXPECT_EQ(oracle_get_be16(f.data + 12),
			  oracle_get_be16(rx.hdr + 2));	/* proto */
		memmove(rx.hdr, rx.hdr + pi_sz, 20);
		EXPECT_EQ(want.value, rx_hash_value(&rx))
			TH_LOG("%s", flow_kind_names[i % FLOW_KINDS]);
		EXPECT_EQ(want.report, rx_hash_report(&rx))
			TH_LOG("%s", flow_kind_names[i % FLOW_KINDS]);
	}
	device_close(&dev);
}

/* Every packet to queue 0, so that a test knows where to read. */
static void table_all_queue0(uint16_t *table, struct expect *e)
{
	int i;

	for (i = 0; i < TABLE_MAX; i++)
		table[i] = 0;
	e->unclassified_queue = 0;
}

/* A steering eBPF program chooses the queue; the report stays right. */
TEST_F(vnet_hash_ctl, steering_ebpf)
{
	struct bpf_insn insns[] = {
		/* r0 = 2; return r0 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog, none = -1;

	prog = bpf_prog_load_insns(BPF_PROG_TYPE_SOCKET_FILTER, insns,
				   ARRAY_SIZE(insns));
	if (prog < 0)
		SKIP(return, "cannot load an eBPF program: %s",
		     strerror(-prog));

	table_all_queue0(self->table, &self->e);
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	ASSERT_EQ(0, ioctl(self->dev.fds[1], TUNSETSTEERINGEBPF, &prog));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 14, 2, "ebpf");

	/* Report without RSS under the program too. */
	self->e.flags = REPORT;
	self->e.mask = 0;
	self->e.unclassified_queue = 0;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 7, 2, "report");

	/* Without the program, the table steers again. */
	self->e.flags = RSS | REPORT;
	self->e.mask = 255;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	ASSERT_EQ(0, ioctl(self->dev.fds[1], TUNSETSTEERINGEBPF, &none));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 7, 0, "table");
	close(prog);
}

/* A persistent device keeps its configuration with no queue attached. */
TEST_F(vnet_hash_ctl, persist)
{
	int i;

	for (i = 0; i < TABLE_MAX; i++)
		self->table[i] = 2;
	self->e.unclassified_queue = 2;
	ASSERT_EQ(0, ioctl(self->dev.fds[0], TUNSETPERSIST, 1));
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	for (i = 0; i < QUEUES; i++)
		close(self->dev.fds[i]);

	for (i = 0; i < QUEUES; i++) {
		self->dev.fds[i] = tun_open_queue(self->dev.ifname,
						  self->dev.flags);
		ASSERT_LE(0, self->dev.fds[i]);
		ASSERT_EQ(0, tun_prepare_queue(self->dev.fds[i], 20));
	}
	ASSERT_EQ(0, netdev_set_up(self->dev.ifname));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, QUEUES, 14, 2, "reopened");
	EXPECT_EQ(0, ioctl(self->dev.fds[0], TUNSETPERSIST, 0));
}

/*
 * The legacy big-endian vnet header (TUNSETVNETBE, a virtio 0.9 guest on
 * a little-endian host): tun writes the GSO and checksum fields big-endian,
 * and the hash fields stay little-endian, as the UAPI says.
 */
TEST_F(vnet_hash_ctl, vnet_be)
{
	struct device *dev = &self->dev;
	int be = 1, got = 0, sock, one = 1;
	struct oracle_result want;
	struct virtio_net_hdr *vh;
	struct frame_spec s;
	struct rx_result rx;
	struct frame f;

	if (ioctl(dev->fds[0], TUNSETVNETBE, &be) && errno == EINVAL)
		SKIP(return, "kernel without CONFIG_TUN_VNET_CROSS_LE");
	ASSERT_EQ(0, ioctl(dev->fds[0], TUNSETVNETBE, &be))
		TH_LOG("TUNSETVNETBE: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(dev->fds[2], TUNGETVNETBE, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(0, device_configure(dev, dev->fds[0], &self->e));
	check_flows(_metadata, dev, &self->e, &self->state, dev->fds, QUEUES,
		    28, -1, "big-endian header");

	/* The same read has its checksum fields big-endian. */
	ASSERT_EQ(0, ioctl(dev->fds[0], TUNSETOFFLOAD, TUN_F_CSUM));
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, setsockopt(sock, SOL_PACKET, PACKET_VNET_HDR, &one,
				sizeof(one)));
	flow_spec_random(&s, FLOW_TCP4, &self->state);
	ASSERT_EQ(0, packet_send_segment(sock, dev->ifindex, &s,
					 VIRTIO_NET_HDR_GSO_NONE, 0, 300, &f));
	close(sock);
	want = expect_hash(&self->e, &f, QUEUES, NULL);
	ASSERT_EQ(0, rx_find(dev->fds, dev->nq, dev->hdr_sz, f.data, f.len,
			     &rx));
	ASSERT_EQ(1, rx.copies);
	vh = (struct virtio_net_hdr *)rx.hdr;
	EXPECT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM, vh->flags);
	EXPECT_EQ(f.l3_off + 20, be16toh(vh->csum_start));
	EXPECT_EQ(16, be16toh(vh->csum_offset));
	EXPECT_EQ(want.value, rx_hash_value(&rx));
	EXPECT_EQ(want.report, rx_hash_report(&rx));
	EXPECT_NE(0, want.report);
}

/*
 * A reader that scatters the vnet header over several buffers (readv):
 * the hash fields, split anywhere, read as a contiguous header would, and
 * every byte tun has nothing for is zero.
 */
TEST_F(vnet_hash_ctl, readv_split_header)
{
	uint8_t hdr[20], buf[FRAME_MAX];
	struct iovec iov[21];
	struct device *dev = &self->dev;
	struct oracle_result want;
	struct pollfd pfd = {
		.fd = dev->fds[0],
		.events = POLLIN,
	};
	unsigned int split, n, i;
	struct frame_spec s;
	struct rx_result rx;
	struct frame f;
	ssize_t len;

	table_all_queue0(self->table, &self->e);
	ASSERT_EQ(0, device_configure(dev, dev->fds[0], &self->e));
	/* Two buffers cut at every byte, then a buffer per byte */
	for (split = 1; split <= sizeof(hdr); split++) {
		flow_spec_random(&s, split % FLOW_KINDS, &self->state);
		frame_build(&f, &s);
		want = expect_hash(&self->e, &f, QUEUES, NULL);
		memset(hdr, 0xa5, sizeof(hdr));
		memset(buf, 0xa5, sizeof(buf));
		n = 0;
		if (split < sizeof(hdr)) {
			iov[n++] = (struct iovec){ hdr, split };
			iov[n++] = (struct iovec){ hdr + split,
						   sizeof(hdr) - split };
		} else {
			for (i = 0; i < sizeof(hdr); i++)
				iov[n++] = (struct iovec){ hdr + i, 1 };
		}
		iov[n++] = (struct iovec){ buf, sizeof(buf) };

		ASSERT_EQ(0, packet_send(dev->sock, dev->ifindex, &f, false));
		ASSERT_EQ(1, poll(&pfd, 1, 1000)) TH_LOG("split %u", split);
		len = readv(dev->fds[0], iov, n);
		ASSERT_EQ((ssize_t)(sizeof(hdr) + f.len), len)
			TH_LOG("split %u: %s", split, strerror(errno));
		EXPECT_EQ(0, memcmp(buf, f.data, f.len)) TH_LOG("split %u",
								split);
		memcpy(rx.hdr, hdr, sizeof(hdr));
		EXPECT_EQ(want.value, rx_hash_value(&rx)) TH_LOG("split %u",
								 split);
		EXPECT_EQ(want.report, rx_hash_report(&rx)) TH_LOG("split %u",
								   split);
		for (i = 0; i < sizeof(hdr); i++)
			if (i < 12 || i >= 18)
				EXPECT_EQ(0, hdr[i])
					TH_LOG("split %u: byte %u", split, i);
	}
}

/*
 * Without IFF_VNET_HDR there is no header to report in: TUNSETVNETHASH
 * is accepted all the same (RSS steers, the configuration waits for a
 * reader with a header), and every frame reads whole, exactly as sent,
 * on the queue the table gives; on a tun device too.
 */
TEST(no_vnet_hdr)
{
	static const int types[] = { IFF_TAP, IFF_TUN };
	uint16_t table[TABLE_MAX];
	uint32_t state = 0xbead;
	struct expect e = {
		.flags = TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT,
		.types = ALL,
		.key = oracle_ms_key,
		.key_size = sizeof(oracle_ms_key),
		.table = table,
		.mask = TABLE_MAX - 1,
		.unclassified_queue = 3,
	};
	struct device dev;
	unsigned int i;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	for (i = 0; i < TABLE_MAX; i++)
		table[i] = (i * 7) % QUEUES;
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		ASSERT_EQ(0, device_create(&dev, "vhn%d", types[i] | IFF_NO_PI |
					   IFF_MULTI_QUEUE, QUEUES, 0));
		ASSERT_EQ(0, device_configure(&dev, dev.fds[1], &e));
		check_flows(_metadata, &dev, &e, &state, dev.fds, QUEUES, 28,
			    -1, types[i] == IFF_TAP ? "tap" : "tun");
		device_close(&dev);
	}
}

/* An eBPF filter program that trims the packet to @len bytes */
static int filter_ebpf_load(unsigned int len)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = len },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load_insns(BPF_PROG_TYPE_SOCKET_FILTER, insns,
				   ARRAY_SIZE(insns));
}

/*
 * A filter on the device that trims the packet: a classic socket filter
 * (TUNATTACHFILTER) or an eBPF one (TUNSETFILTEREBPF) returning a length.
 * The hash is that of the frame as it is read, the trimmed one, which the
 * rules classify as a shorter packet; the queue is chosen before the
 * filter runs, so it is not checked.
 */
TEST_F(vnet_hash_ctl, filter_trim)
{
	static const struct {
		const char *name;
		enum flow_kind kind;
		size_t len;	/* to trim to */
	} cases[] = {
		/* Ethernet 14, IPv4 20: a TCP port cut in half */
		{ "tcp4 ports cut", FLOW_TCP4, 14 + 20 + 3 },
		{ "udp4 no udp header", FLOW_UDP4, 14 + 20 },
		{ "ipv4 header cut", FLOW_TCP4, 14 + 12 },
		/* IPv6 40, Type 2 Routing header 24, HAO 24, TCP */
		{ "tcp6 hao rh2, tcp cut", FLOW_TCP6_EX, 14 + 40 + 48 + 2 },
		{ "tcp6 hao rh2, hao cut", FLOW_TCP6_EX, 14 + 40 + 24 + 20 },
		{ "udp6 ports cut", FLOW_UDP6, 14 + 40 + 3 },
	};
	struct device *dev = &self->dev;
	struct oracle_result want, whole;
	unsigned int mode, i;
	struct frame_spec s;
	int prog, none = -1;
	struct frame f;

	for (mode = 0; mode < 2; mode++) {
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			struct sock_filter ret_len = BPF_STMT(BPF_RET | BPF_K,
							      cases[i].len);
			struct sock_fprog fprog = { 1, &ret_len };
			const char *how = mode ? "TUNSETFILTEREBPF" :
						 "TUNATTACHFILTER";

			if (mode) {
				prog = filter_ebpf_load(cases[i].len);
				ASSERT_LE(0, prog) TH_LOG("%s", strerror(-prog));
				ASSERT_EQ(0, ioctl(dev->fds[0],
						   TUNSETFILTEREBPF, &prog));
				close(prog);
			} else if (ioctl(dev->fds[0], TUNATTACHFILTER,
					 &fprog)) {
				/*
				 * tun has no compat translation of struct
				 * sock_fprog: from a 32-bit process on a
				 * 64-bit kernel this is another ioctl number,
				 * EINVAL with or without the series.
				 */
				ASSERT_TRUE(sizeof(void *) == 4 &&
					    errno == EINVAL);
				TH_LOG("TUNATTACHFILTER: no compat ioctl");
				break;
			}
			ASSERT_EQ(0, device_configure(dev, dev->fds[0],
						      &self->e));

			flow_spec_random(&s, cases[i].kind, &self->state);
			frame_build(&f, &s);
			whole = expect_hash(&self->e, &f, QUEUES, NULL);
			ASSERT_EQ(0, packet_send(dev->sock, dev->ifindex, &f,
						 false));
			ASSERT_LT(cases[i].len, f.len);
			f.len = cases[i].len;
			want = expect_hash(&self->e, &f, QUEUES, NULL);
			/* The case tells a trimmed hash from a whole one. */
			EXPECT_TRUE(want.report != whole.report ||
				    want.value != whole.value)
				TH_LOG("%s", cases[i].name);
			check_queued(_metadata, dev, &f, dev->hdr_sz, want, -1,
				     how);
			if (mode)
				prog = ioctl(dev->fds[0], TUNSETFILTEREBPF,
					     &none);
			else
				prog = ioctl(dev->fds[0], TUNDETACHFILTER, 0);
			ASSERT_EQ(0, prog) TH_LOG("%s off", how);
		}
	}
}

/*
 * macvtap and ipvtap (drivers/net/tap.c): the same contract on the
 * /dev/tapN queues of a device over a veth pair.  Frames are injected at
 * the veth peer (the device's ifindex in struct device) and read from the
 * queues; the configuration is set through any of them.
 */
static int vtap_add_queue(struct device *dev)
{
	int fd;

	if (dev->nq == TUN_MAX_QUEUES)
		return -ENOSPC;
	fd = vtap_open_queue(dev->hdr_sz);
	if (fd >= 0)
		dev->fds[dev->nq++] = fd;
	return fd;
}

/* A macvtap or an ipvtap with @nq queues of @hdr_sz vnet header bytes. */
static int vtap_create(struct device *dev, bool ipvtap, int nq, int hdr_sz)
{
	int i, err;

	memset(dev, 0, sizeof(*dev));
	snprintf(dev->ifname, IFNAMSIZ, "%s", VTAP_NAME);
	dev->flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	dev->hdr_sz = hdr_sz;
	dev->ipvtap = ipvtap;
	err = vtap_link_create(ipvtap);
	for (i = 0; !err && i < nq; i++) {
		err = vtap_add_queue(dev);
		if (err > 0)
			err = 0;
	}
	if (err)
		return err;
	dev->ifindex = if_nametoindex(VTAP_PEER);
	if (!dev->ifindex)
		return -errno;
	dev->sock = packet_socket(SOCK_RAW);
	return dev->sock < 0 ? dev->sock : 0;
}

static void vtap_delete(struct device *dev)
{
	device_close(dev);
	vtap_link_delete();
}

FIXTURE(vtap)
{
	struct device dev;
	uint16_t table[TABLE_MAX];
	struct expect e;
	uint32_t state;
};

FIXTURE_VARIANT(vtap)
{
	bool ipvtap;
	int queues;
	int hdr_sz;
	uint16_t flags;
};

FIXTURE_VARIANT_ADD(vtap, macvtap_rss_report_hdr20) {
	.queues = QUEUES, .hdr_sz = 20, .flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_rss_report_hdr24) {
	.queues = QUEUES, .hdr_sz = 24, .flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_rss_report_hdr12) {
	.queues = QUEUES, .hdr_sz = 12, .flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_report_hdr20) {
	.queues = QUEUES, .hdr_sz = 20, .flags = REPORT,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_rss_hdr10) {
	.queues = QUEUES, .hdr_sz = 10, .flags = RSS,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_rss_hdr24) {
	.queues = QUEUES, .hdr_sz = 24, .flags = RSS,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_off_hdr24) {
	.queues = QUEUES, .hdr_sz = 24, .flags = 0,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_single_queue_report_hdr20) {
	.queues = 1, .hdr_sz = 20, .flags = REPORT,
};

FIXTURE_VARIANT_ADD(vtap, macvtap_single_queue_rss_report_hdr24) {
	.queues = 1, .hdr_sz = 24, .flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vtap, ipvtap_rss_report_hdr20) {
	.ipvtap = true, .queues = QUEUES, .hdr_sz = 20, .flags = RSS | REPORT,
};

FIXTURE_VARIANT_ADD(vtap, ipvtap_report_hdr24) {
	.ipvtap = true, .queues = QUEUES, .hdr_sz = 24, .flags = REPORT,
};

FIXTURE_VARIANT_ADD(vtap, ipvtap_rss_hdr12) {
	.ipvtap = true, .queues = QUEUES, .hdr_sz = 12, .flags = RSS,
};

FIXTURE_VARIANT_ADD(vtap, ipvtap_single_queue_report_hdr20) {
	.ipvtap = true, .queues = 1, .hdr_sz = 20, .flags = REPORT,
};

FIXTURE_SETUP(vtap)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	ASSERT_EQ(0, vtap_create(&self->dev, variant->ipvtap, variant->queues,
				 variant->hdr_sz));
	expect_init(&self->e, self->table, variant->flags);
	self->state = 0x7a9;
}

FIXTURE_TEARDOWN(vtap)
{
	vtap_delete(&self->dev);
}

TEST_F(vtap, cap)
{
	struct tun_vnet_hash_cap cap, tun_cap;

	ASSERT_EQ(0, vnet_hash_probe(&tun_cap));
	memset(&cap, 0xff, sizeof(cap));
	ASSERT_EQ(0, ioctl(self->dev.fds[0], TUNGETVNETHASHCAP, &cap));
	EXPECT_EQ(0, memcmp(&cap, &tun_cap, sizeof(cap)));
	EXPECT_EQ(-1, ioctl(self->dev.fds[0], TUNGETVNETHASHCAP, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* The IPv4, VLAN, IPv6 and extension header tables of the tun cases. */
TEST_F(vtap, ip_cases)
{
	static const struct {
		const struct hash_case *cases;
		size_t n;
	} tables[] = {
		{ ipv4_cases, ARRAY_SIZE(ipv4_cases) },
		{ vlan_cases, ARRAY_SIZE(vlan_cases) },
		{ ipv6_cases, ARRAY_SIZE(ipv6_cases) },
		{ ipv6_ext_cases, ARRAY_SIZE(ipv6_ext_cases) },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tables); i++)
		run_cases(_metadata, &self->dev, &self->e, tables[i].cases,
			  tables[i].n);
}

TEST_F(vtap, non_ip)
{
	if (variant->ipvtap)
		SKIP(return, "ipvtap gets IP frames only");
	run_cases(_metadata, &self->dev, &self->e, non_ip_cases,
		  ARRAY_SIZE(non_ip_cases));
}

TEST_F(vtap, many_flows)
{
	many_flows(_metadata, &self->dev, &self->e, self->state);
}

/* The configuration is the device's: the last queue sets it for all. */
TEST_F(vtap, set_through_any_queue)
{
	struct expect off = self->e;

	off.flags = 0;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &off));
	ASSERT_EQ(0, device_configure(&self->dev,
				      self->dev.fds[self->dev.nq - 1],
				      &self->e));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, self->dev.nq, 14, -1, "set on last");
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &off));
	check_flows(_metadata, &self->dev, &off, &self->state,
		    self->dev.fds, self->dev.nq, 7, -2, "off");
}

/* Invalid arguments are EINVAL and keep the old configuration. */
TEST_F(vtap, invalid)
{
	EXPECT_EQ(-EINVAL, tun_set_vnet_hash(self->dev.fds[0], REPORT | 4, ALL,
					     oracle_ms_key, 40, self->table,
					     0, 0));
	EXPECT_EQ(-EINVAL, tun_set_vnet_hash(self->dev.fds[0], REPORT, ALL,
					     oracle_ms_key, 0, self->table,
					     0, 0));
	EXPECT_EQ(-EINVAL, tun_set_vnet_hash(self->dev.fds[0], RSS, ALL,
					     oracle_ms_key, 40, self->table,
					     126, 0));
	EXPECT_EQ(-EFAULT, ioctl(self->dev.fds[0], TUNSETVNETHASH,
				 (void *)8) < 0 ? -errno : 0);
	if (!variant->flags)
		return;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	EXPECT_EQ(-EINVAL, tun_set_vnet_hash(self->dev.fds[1 % self->dev.nq],
					     0, ALL, oracle_ms_key, 0,
					     self->table, 0, 0));
	check_flows(_metadata, &self->dev, &self->e, &self->state,
		    self->dev.fds, self->dev.nq, 7, -1, "kept");
}

/* @fd leaves the queues of tap, in order @qfd: the last takes its place. */
static void vtap_order_remove(int *qfd, int *nq, int fd)
{
	int k;

	for (k = 0; k < *nq && qfd[k] != fd; k++)
		;
	if (k < *nq)
		qfd[k] = qfd[--*nq];
}

/*
 * Queues detached and attached again, closed and opened, while another
 * process sends frames; then RSS counts the queues in the order tap keeps
 * them: a queue that goes away is replaced by the last one, a new one is
 * last.
 */
TEST_F_TIMEOUT(vtap, queues_under_traffic, 120)
{
	int qfd[TUN_MAX_QUEUES], nq, i, fd, round, status, ready[2];
	struct frame_spec s;
	struct frame f;
	pid_t child;
	char c;

	if (variant->queues < 2)
		SKIP(return, "one queue");
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
	nq = self->dev.nq;
	memcpy(qfd, self->dev.fds, sizeof(qfd));

	ASSERT_EQ(0, pipe(ready));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		uint32_t state = 99;

		/* Its copies would keep closed queues open. */
		for (i = 0; i < self->dev.nq; i++)
			close(self->dev.fds[i]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (i = 0; ; i++) {
			flow_spec_random(&s, i % FLOW_KINDS, &state);
			if (self->dev.ipvtap && !vtap_ip_frame(&s))
				continue;
			frame_build(&f, &s);
			packet_send(self->dev.sock, self->dev.ifindex, &f,
				    false);
		}
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);
	close(ready[1]);
	for (round = 0; round < 16; round++) {
		fd = self->dev.fds[round % self->dev.nq];
		EXPECT_EQ(0, tun_set_queue(fd, false));
		vtap_order_remove(qfd, &nq, fd);
		EXPECT_EQ(0, tun_set_queue(fd, true));
		qfd[nq++] = fd;
		/* Close the first queue opened, open a new one. */
		fd = self->dev.fds[0];
		close(fd);
		vtap_order_remove(qfd, &nq, fd);
		memmove(self->dev.fds, self->dev.fds + 1,
			--self->dev.nq * sizeof(int));
		fd = vtap_add_queue(&self->dev);
		ASSERT_LE(0, fd);
		qfd[nq++] = fd;
	}
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	for (i = 0; i < self->dev.nq; i++)
		while (read(self->dev.fds[i], f.data, sizeof(f.data)) > 0)
			;

	ASSERT_EQ(self->dev.nq, nq);
	ASSERT_EQ(0, device_configure(&self->dev, qfd[nq - 1], &self->e));
	check_flows(_metadata, &self->dev, &self->e, &self->state, qfd, nq,
		    14, -1, "reopened");
	fd = qfd[1];
	ASSERT_EQ(0, tun_set_queue(fd, false));
	vtap_order_remove(qfd, &nq, fd);
	check_flows(_metadata, &self->dev, &self->e, &self->state, qfd, nq,
		    14, -1, "detached");
	ASSERT_EQ(0, tun_set_queue(fd, true));
	qfd[nq++] = fd;
	check_flows(_metadata, &self->dev, &self->e, &self->state, qfd, nq,
		    14, -1, "attached");
}

/* Deleted with its queues open: EBADFD, the capability is still there. */
TEST_F(vtap, deleted_device)
{
	struct tun_vnet_hash_cap cap;

	if (variant->flags)
		ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0],
					      &self->e));
	ASSERT_EQ(0, netdev_delete(if_nametoindex(VTAP_NAME)));
	EXPECT_EQ(-EBADFD, device_configure(&self->dev, self->dev.fds[0],
					    &self->e));
	EXPECT_EQ(-EBADFD, device_configure(&self->dev,
					    self->dev.fds[self->dev.nq - 1],
					    &(struct expect){ .flags = 0 }));
	EXPECT_EQ(0, ioctl(self->dev.fds[0], TUNGETVNETHASHCAP, &cap));
}

/*
 * A read writes the whole vnet header, zeroing what the driver has no
 * value for: TUNSETVNETHDRSZ bounds that at 128 bytes, on tun and tap.
 */
#define VNET_HDR_BOUND	128

static void hdr_size_bound(struct __test_metadata *_metadata, int fd)
{
	int sz;

	sz = VNET_HDR_BOUND + 1;
	EXPECT_EQ(-1, ioctl(fd, TUNSETVNETHDRSZ, &sz));
	EXPECT_EQ(EINVAL, errno);
	sz = INT_MAX;
	EXPECT_EQ(-1, ioctl(fd, TUNSETVNETHDRSZ, &sz));
	EXPECT_EQ(EINVAL, errno);
	sz = VNET_HDR_BOUND;
	EXPECT_EQ(0, ioctl(fd, TUNSETVNETHDRSZ, &sz));
	sz = 0;
	EXPECT_EQ(0, ioctl(fd, TUNGETVNETHDRSZ, &sz));
	EXPECT_EQ(VNET_HDR_BOUND, sz);
}

/*
 * Send one frame and read it with a header of VNET_HDR_BOUND bytes, set on
 * every queue (no hashing configuration: the header is all zero).
 */
static void hdr_bound_read(struct __test_metadata *_metadata,
			   struct device *dev, int ifindex)
{
	uint8_t buf[VNET_HDR_BOUND + FRAME_MAX];
	struct pollfd pfd[TUN_MAX_QUEUES];
	struct frame_spec s;
	ssize_t n = -1;
	struct frame f;
	int i, q;

	for (q = 0; q < dev->nq; q++) {
		hdr_size_bound(_metadata, dev->fds[q]);
		pfd[q].fd = dev->fds[q];
		pfd[q].events = POLLIN;
	}
	case_spec(&ipv4_cases[0], &s);
	if (dev->ipvtap)
		ASSERT_TRUE(vtap_ip_frame(&s));
	frame_build(&f, &s);
	ASSERT_EQ(0, packet_send(dev->sock, ifindex, &f, false));
	for (i = 0; i < 100 && n < 0; i++) {
		ASSERT_LE(0, poll(pfd, dev->nq, 10));
		for (q = 0; q < dev->nq && n < 0; q++) {
			memset(buf, 0xa5, sizeof(buf));
			n = read(dev->fds[q], buf, sizeof(buf));
		}
	}
	ASSERT_EQ((ssize_t)(VNET_HDR_BOUND + f.len), n);
	for (i = 0; i < VNET_HDR_BOUND; i++)
		EXPECT_EQ(0, buf[i]) TH_LOG("vnet header byte %d", i);
	EXPECT_EQ(0, memcmp(buf + VNET_HDR_BOUND, f.data, f.len));
}

TEST(tun_vnet_hdr_size_bound)
{
	struct device dev;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, device_create(&dev, "vh%d", IFF_TAP | IFF_NO_PI |
				   IFF_VNET_HDR, 1, VNET_HDR_BOUND));
	hdr_bound_read(_metadata, &dev, dev.ifindex);
	device_close(&dev);
}

TEST_F(vtap, hdr_size_bound)
{
	hdr_bound_read(_metadata, &self->dev, self->dev.ifindex);
}

/*
 * A frame that tap segments in software is read as several packets, and
 * each reports the hash of its own headers.  tap never takes UFO, so a
 * UDP datagram with GSO_UDP, written into a tap device under the macvtap
 * or ipvtap, comes out as IP fragments: IPv4 with the 2-tuple hash by the
 * fragment rule, not the UDPv4 of the whole datagram.  They stay on the
 * queue chosen for the whole datagram, by its UDPv4 hash.
 */
#define UFO_LOWER	"vhufo0"
#define UFO_PAYLOAD	3000
#define UFO_GSO_SIZE	1400

FIXTURE(vtap_ufo)
{
	struct device dev;
	uint16_t table[TABLE_MAX];
	struct expect e;
	int lower;
};

FIXTURE_VARIANT(vtap_ufo)
{
	bool ipvtap;
};

FIXTURE_VARIANT_ADD(vtap_ufo, macvtap) {
	.ipvtap = false,
};

FIXTURE_VARIANT_ADD(vtap_ufo, ipvtap) {
	.ipvtap = true,
};

FIXTURE_SETUP(vtap_ufo)
{
	char ifname[IFNAMSIZ] = UFO_LOWER;
	int i, fd;

	self->lower = -1;
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	self->lower = tun_open_queue(ifname, IFF_TAP | IFF_NO_PI |
				     IFF_VNET_HDR);
	ASSERT_LE(0, self->lower);
	ASSERT_EQ(0, tun_prepare_queue(self->lower,
				       sizeof(struct virtio_net_hdr)));
	/* ipvlan devices share the address of their lower device. */
	if (variant->ipvtap)
		ASSERT_EQ(0, vtap_ip("link set " UFO_LOWER " address "
				     VTAP_MAC));
	ASSERT_EQ(0, netdev_set_up(UFO_LOWER));
	ASSERT_EQ(0, vtap_ip(variant->ipvtap ?
			     "link add link " UFO_LOWER " name " VTAP_NAME
			     " type ipvtap mode l2" :
			     "link add link " UFO_LOWER " name " VTAP_NAME
			     " address " VTAP_MAC
			     " type macvtap mode bridge"));
	ASSERT_EQ(0, netdev_set_up(VTAP_NAME));
	if (variant->ipvtap)
		ASSERT_EQ(0, vtap_ip("addr add " VTAP_ADDR4 "/32 dev "
				     VTAP_NAME));

	memset(&self->dev, 0, sizeof(self->dev));
	self->dev.hdr_sz = sizeof(struct virtio_net_hdr_v1_hash);
	for (i = 0; i < QUEUES; i++) {
		fd = vtap_open_queue(self->dev.hdr_sz);
		ASSERT_LE(0, fd);
		self->dev.fds[self->dev.nq++] = fd;
	}
	expect_init(&self->e, self->table, RSS | REPORT);
	self->e.types = T_IPV4 | T_UDP4;
	ASSERT_EQ(0, device_configure(&self->dev, self->dev.fds[0], &self->e));
}

FIXTURE_TEARDOWN(vtap_ufo)
{
	device_close(&self->dev);
	vtap_ip("link del " VTAP_NAME);
	if (self->lower >= 0)
		close(self->lower);
}

TEST_F(vtap_ufo, fragments_report_ipv4)
{
	uint8_t buf[sizeof(struct virtio_net_hdr) + ETH_HLEN + 28 +
		    UFO_PAYLOAD];
	struct virtio_net_hdr *gso = (struct virtio_net_hdr *)buf;
	uint8_t *eth = buf + sizeof(*gso), *ip = eth + ETH_HLEN;
	uint8_t *udp = ip + 20, frag[VNET_HDR_MAX + FRAME_MAX];
	size_t frame_len = ETH_HLEN + 28 + UFO_PAYLOAD;
	struct oracle_result whole, res;
	int i, round, fragments = 0;
	struct oracle_input in;
	unsigned int offset = 0;
	struct pollfd pfd[QUEUES];
	struct rx_result rx;
	int want_queue;
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	gso->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	gso->gso_type = VIRTIO_NET_HDR_GSO_UDP;
	gso->hdr_len = ETH_HLEN + 28;
	gso->gso_size = UFO_GSO_SIZE;
	gso->csum_start = ETH_HLEN + 20;
	gso->csum_offset = 6;
	memcpy(eth, frame_dst_mac, ETH_ALEN);
	eth[6] = 0x02;
	eth[11] = 0x01;
	frame_put_be16(eth + 12, ETH_P_IP);
	ip[0] = 0x45;
	frame_put_be16(ip + 2, 28 + UFO_PAYLOAD);
	ip[8] = 64;
	ip[9] = ORACLE_NEXTHDR_UDP;
	ASSERT_EQ(1, inet_pton(AF_INET, "66.9.149.187", ip + 12));
	ASSERT_EQ(1, inet_pton(AF_INET, VTAP_ADDR4, ip + 16));
	frame_put_be16(ip + 10, frame_ipv4_csum(ip, 20));
	frame_put_be16(udp, 2794);
	frame_put_be16(udp + 2, 1766);
	frame_put_be16(udp + 4, 8 + UFO_PAYLOAD);
	for (i = 0; i < UFO_PAYLOAD; i++)
		udp[8 + i] = i;

	/* The queue is chosen for the datagram as a whole: UDPv4. */
	oracle_classify_eth(eth, frame_len, self->e.types, &in);
	whole = oracle_hash(self->e.key, self->e.key_size, &in);
	ASSERT_EQ(R_UDP4, whole.report);
	want_queue = oracle_queue(whole, self->e.table, self->e.mask,
				  self->e.unclassified_queue, self->dev.nq);

	ASSERT_EQ((ssize_t)sizeof(buf), write(self->lower, buf, sizeof(buf)))
		TH_LOG("write: %s", strerror(errno));

	for (i = 0; i < self->dev.nq; i++) {
		pfd[i].fd = self->dev.fds[i];
		pfd[i].events = POLLIN;
	}
	for (round = 0; round < 100 && offset < 8 + UFO_PAYLOAD; round++) {
		ASSERT_LE(0, poll(pfd, self->dev.nq, 10));
		for (i = 0; i < self->dev.nq; i++) {
			while ((n = read(self->dev.fds[i], frag,
					 sizeof(frag))) > 0) {
				const uint8_t *fip = frag + self->dev.hdr_sz +
						     ETH_HLEN;
				uint16_t frag_off = oracle_get_be16(fip + 6);

				if (n < self->dev.hdr_sz + ETH_HLEN + 20 ||
				    oracle_get_be16(frag + self->dev.hdr_sz +
						    12) != ETH_P_IP)
					continue;
				fragments++;
				memcpy(rx.hdr, frag, self->dev.hdr_sz);
				EXPECT_EQ(want_queue, i)
					TH_LOG("fragment %d", fragments);
				EXPECT_EQ(offset / 8, frag_off & 0x1fff);
				offset += oracle_get_be16(fip + 2) - 20;
				EXPECT_EQ(offset < 8 + UFO_PAYLOAD,
					  !!(frag_off & 0x2000))
					TH_LOG("fragment %d: MF", fragments);

				oracle_classify_eth(frag + self->dev.hdr_sz,
						    n - self->dev.hdr_sz,
						    self->e.types, &in);
				res = oracle_hash(self->e.key,
						  self->e.key_size, &in);
				EXPECT_EQ(R_IPV4, res.report);
				EXPECT_EQ(R_IPV4, rx_hash_report(&rx))
					TH_LOG("fragment %d: hash_report",
					       fragments);
				EXPECT_EQ(res.value, rx_hash_value(&rx))
					TH_LOG("fragment %d: hash_value",
					       fragments);
			}
		}
	}
	EXPECT_EQ(8 + UFO_PAYLOAD, offset);
	EXPECT_EQ(3, fragments);
}

TEST_HARNESS_MAIN
