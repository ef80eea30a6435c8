/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tun_vnet_hash selftest and tools/net/tunrss:
 * building test frames, creating and configuring a multi-queue tun/tap
 * device, injecting frames with AF_PACKET and finding on which queue they
 * come out, with which virtio_net header.
 *
 * Functions return 0 (or a descriptor) on success and -errno on failure,
 * so that the selftest can assert on them and the tool can print them.
 */
#ifndef TUN_VNET_HASH_UTIL_H
#define TUN_VNET_HASH_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_net.h>

#include "tun_vnet_hash_oracle.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Short names of the hash types, for the tests' tables. */
#define T_IPV4		VIRTIO_NET_RSS_HASH_TYPE_IPv4
#define T_TCP4		VIRTIO_NET_RSS_HASH_TYPE_TCPv4
#define T_UDP4		VIRTIO_NET_RSS_HASH_TYPE_UDPv4
#define T_IPV6		VIRTIO_NET_RSS_HASH_TYPE_IPv6
#define T_TCP6		VIRTIO_NET_RSS_HASH_TYPE_TCPv6
#define T_UDP6		VIRTIO_NET_RSS_HASH_TYPE_UDPv6
#define T_IP_EX		VIRTIO_NET_RSS_HASH_TYPE_IP_EX
#define T_TCP_EX	VIRTIO_NET_RSS_HASH_TYPE_TCP_EX
#define T_UDP_EX	VIRTIO_NET_RSS_HASH_TYPE_UDP_EX

#define FRAME_MAX		2048
#define FRAME_MAX_EXT		24
#define TUN_MAX_QUEUES		16
#define VNET_HDR_MAX		24
#define TABLE_MAX		256

/* IPv6 extension headers that frame_build() can write. */
enum frame_ext {
	FRAME_EXT_HOP = 1,	/* Hop-by-Hop with a PadN option */
	FRAME_EXT_DEST,		/* Destination Options with a PadN option */
	FRAME_EXT_DEST_HAO,	/* Destination Options with a Home Address */
	FRAME_EXT_ROUTING,	/* Routing header type 0 (no dst') */
	FRAME_EXT_RH2,		/* Type 2 Routing header: dst' */
	FRAME_EXT_FRAG,		/* first fragment: offset 0, M set */
	FRAME_EXT_AUTH,		/* Authentication header, 24 bytes */
	FRAME_EXT_MOBILITY,	/* Mobility header, 16 bytes */
	FRAME_EXT_ESP,		/* ESP: ends the chain */
	FRAME_EXT_NONE,		/* No Next Header: ends the chain */
};

struct frame_spec;

/**
 * struct frame_tunnel - an encapsulated packet for frame_build()
 * @hdr: the encapsulation header (VXLAN, GENEVE, GRE ...), may be empty
 * @hdr_len: bytes of @hdr
 * @inner: the inner packet
 * @inner_eth: the inner packet is its Ethernet frame; else its IP packet
 */
struct frame_tunnel {
	uint8_t hdr[32];
	size_t hdr_len;
	const struct frame_spec *inner;
	bool inner_eth;
};

/**
 * struct frame_spec - description of a test frame
 * @tpid: VLAN tags in the frame, outermost first, 0 for none
 * @ethertype: ETH_P_IP, ETH_P_IPV6, or any other for a non-IP frame
 * @saddr: source address (4 or 16 bytes used)
 * @daddr: destination address
 * @l4proto: IP protocol of the transport header
 * @sport: source port
 * @dport: destination port
 * @l4_trunc: write only @l4_len bytes of the transport header, no payload
 * @l4_len: with @l4_trunc, bytes of transport header to write
 * @ipv4_optlen: bytes of IPv4 options, a multiple of 4 up to 40
 * @ipv4_frag: IPv4 frag_off field (flags and offset), host order
 * @ext: IPv6 extension headers, FRAME_EXT_*, in order
 * @n_ext: entries of @ext in use
 * @hao: address of the Home Address option
 * @rh2: address of the Type 2 Routing header
 * @outside: bytes at the end of the frame that the IP length field leaves
 *           out, as Ethernet padding of a short datagram would be
 * @seq: written in the payload, to tell frames apart
 * @tunnel: an encapsulation to carry after the IP header (and the UDP
 *          header with %ORACLE_NEXTHDR_UDP) instead of a payload, or NULL
 */
struct frame_spec {
	uint16_t tpid[2];
	uint16_t ethertype;
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint8_t l4proto;
	uint16_t sport;
	uint16_t dport;
	bool l4_trunc;
	uint8_t l4_len;
	uint8_t ipv4_optlen;
	uint16_t ipv4_frag;
	uint8_t ext[FRAME_MAX_EXT];
	int n_ext;
	uint8_t hao[16];
	uint8_t rh2[16];
	uint8_t outside;
	uint32_t seq;
	const struct frame_tunnel *tunnel;
};

/**
 * struct frame - a built frame
 * @data: the Ethernet frame
 * @len: bytes of @data
 * @l3_off: offset of the network header in @data
 * @l3_proto: ethertype of the network header, host order
 * @tunnel_off: offset of the UDP or encapsulation header of a tunnel, 0
 * @encap_off: offset of the encapsulation header of a tunnel, 0
 * @inner_off: offset of the inner packet of a tunnel, 0
 */
struct frame {
	uint8_t data[FRAME_MAX];
	size_t len;
	size_t l3_off;
	uint16_t l3_proto;
	size_t tunnel_off;
	size_t encap_off;
	size_t inner_off;
};

static inline uint8_t *frame_put(struct frame *f, size_t len)
{
	uint8_t *p = f->data + f->len;

	memset(p, 0, len);
	f->len += len;
	return p;
}

static inline void frame_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void frame_put_be32(uint8_t *p, uint32_t v)
{
	frame_put_be16(p, v >> 16);
	frame_put_be16(p + 2, v);
}

static inline uint16_t frame_ipv4_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2)
		sum += oracle_get_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static inline uint8_t frame_ext_nexthdr(uint8_t ext)
{
	switch (ext) {
	case FRAME_EXT_HOP:
		return ORACLE_NEXTHDR_HOP;
	case FRAME_EXT_DEST:
	case FRAME_EXT_DEST_HAO:
		return ORACLE_NEXTHDR_DEST;
	case FRAME_EXT_ROUTING:
	case FRAME_EXT_RH2:
		return ORACLE_NEXTHDR_ROUTING;
	case FRAME_EXT_FRAG:
		return ORACLE_NEXTHDR_FRAGMENT;
	case FRAME_EXT_AUTH:
		return ORACLE_NEXTHDR_AUTH;
	case FRAME_EXT_MOBILITY:
		return ORACLE_NEXTHDR_MOBILITY;
	case FRAME_EXT_ESP:
		return ORACLE_NEXTHDR_ESP;
	default:
		return ORACLE_NEXTHDR_NONE;
	}
}

/* One IPv6 extension header; @next is the Next Header it carries. */
static inline void frame_put_ext(struct frame *f, const struct frame_spec *s,
				 uint8_t ext, uint8_t next)
{
	uint8_t *p;

	switch (ext) {
	case FRAME_EXT_HOP:
	case FRAME_EXT_DEST:
		p = frame_put(f, 8);
		p[0] = next;
		p[2] = 1;	/* PadN */
		p[3] = 4;
		break;
	case FRAME_EXT_DEST_HAO:
		p = frame_put(f, 24);
		p[0] = next;
		p[1] = 2;
		p[2] = 1;	/* PadN, so that the address is 8n + 6 */
		p[3] = 2;
		p[6] = ORACLE_OPT_HOME_ADDRESS;
		p[7] = 16;
		memcpy(p + 8, s->hao, 16);
		break;
	case FRAME_EXT_ROUTING:
	case FRAME_EXT_RH2:
		p = frame_put(f, 24);
		p[0] = next;
		p[1] = 2;
		p[2] = ext == FRAME_EXT_RH2 ? 2 : 0;
		p[3] = 1;
		memcpy(p + 8, ext == FRAME_EXT_RH2 ? s->rh2 : s->daddr, 16);
		break;
	case FRAME_EXT_FRAG:
		p = frame_put(f, 8);
		p[0] = next;
		frame_put_be16(p + 2, 1);	/* offset 0, M */
		frame_put_be32(p + 4, 0x1234 + s->seq);
		break;
	case FRAME_EXT_AUTH:
		p = frame_put(f, 24);
		p[0] = next;
		p[1] = 4;	/* (4 + 2) * 4 = 24 bytes */
		frame_put_be32(p + 4, 0x100);
		frame_put_be32(p + 8, s->seq);
		break;
	case FRAME_EXT_MOBILITY:
		p = frame_put(f, 16);
		p[0] = next;
		p[1] = 1;
		p[2] = 5;	/* Binding Update */
		break;
	case FRAME_EXT_ESP:
		p = frame_put(f, 8);
		frame_put_be32(p, 0x200);
		frame_put_be32(p + 4, s->seq);
		break;
	default:
		break;
	}
}

static inline void frame_build(struct frame *f, const struct frame_spec *s);

/* The UDP header of a tunnel, when it has one, its header and its inner
 * packet, with its own sequence number.
 */
static inline void frame_put_tunnel(struct frame *f, const struct frame_spec *s)
{
	const struct frame_tunnel *t = s->tunnel;
	size_t udp = f->len, skip;
	struct frame inner;

	if (s->l4proto == ORACLE_NEXTHDR_UDP) {
		uint8_t *p = frame_put(f, 8);

		frame_put_be16(p, s->sport);
		frame_put_be16(p + 2, s->dport);
	}
	f->encap_off = f->len;
	memcpy(frame_put(f, t->hdr_len), t->hdr, t->hdr_len);
	frame_build(&inner, t->inner);
	f->tunnel_off = udp;
	f->inner_off = f->len;
	skip = t->inner_eth ? 0 : inner.l3_off;
	memcpy(frame_put(f, inner.len - skip), inner.data + skip,
	       inner.len - skip);
	if (s->l4proto == ORACLE_NEXTHDR_UDP)
		frame_put_be16(f->data + udp + 4, f->len - udp);
}

/* Transport header, or @l4_len bytes of it, then the payload. */
static inline void frame_put_l4(struct frame *f, const struct frame_spec *s)
{
	size_t len = s->l4proto == ORACLE_NEXTHDR_TCP ? 20 : 8;
	uint8_t hdr[20] = {};
	uint8_t *p;

	if (s->tunnel) {
		frame_put_tunnel(f, s);
		return;
	}
	frame_put_be16(hdr, s->sport);
	frame_put_be16(hdr + 2, s->dport);
	if (s->l4proto == ORACLE_NEXTHDR_TCP) {
		frame_put_be32(hdr + 4, s->seq);
		hdr[12] = 5 << 4;
		hdr[13] = 0x10;		/* ACK */
		frame_put_be16(hdr + 14, 0xffff);
	} else if (s->l4proto == ORACLE_NEXTHDR_UDP) {
		frame_put_be16(hdr + 4, 8 + 8);
	}
	if (s->l4_trunc) {
		memcpy(frame_put(f, s->l4_len), hdr, s->l4_len);
		return;
	}
	memcpy(frame_put(f, len), hdr, len);
	p = frame_put(f, 8);
	memcpy(p, "TVH", 3);
	frame_put_be32(p + 4, s->seq);
}

/* The destination of every frame: a macvtap of the tests has it too. */
static const uint8_t frame_dst_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };

/**
 * frame_build() - build the Ethernet frame of a description
 * @f: the frame to write
 * @s: its description
 */
static inline void frame_build(struct frame *f, const struct frame_spec *s)
{
	static const uint8_t src_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *eth, *ip;
	size_t ip_off;
	int i;

	f->len = 0;
	f->tunnel_off = 0;
	f->encap_off = 0;
	f->inner_off = 0;
	eth = frame_put(f, ETH_HLEN);
	memcpy(eth, frame_dst_mac, ETH_ALEN);
	memcpy(eth + ETH_ALEN, src_mac, ETH_ALEN);
	for (i = 0; i < 2 && s->tpid[i]; i++) {
		frame_put_be16(f->data + f->len - 2, s->tpid[i]);
		frame_put_be16(frame_put(f, 4), 10 + i);	/* VID */
	}
	frame_put_be16(f->data + f->len - 2, s->ethertype);
	f->l3_off = f->len;
	f->l3_proto = s->ethertype;
	ip_off = f->len;

	if (s->ethertype == ETH_P_IP) {
		size_t ihl = 20 + s->ipv4_optlen;

		ip = frame_put(f, ihl);
		ip[0] = 0x40 | ihl / 4;
		frame_put_be16(ip + 4, s->seq);
		frame_put_be16(ip + 6, s->ipv4_frag);
		ip[8] = 64;
		ip[9] = s->l4proto;
		memcpy(ip + 12, s->saddr, 4);
		memcpy(ip + 16, s->daddr, 4);
		if (s->ipv4_optlen) {
			ip[20] = 0x94;	/* Router Alert */
			ip[21] = 4;
			memset(ip + 24, 1, ihl - 24);	/* NOP */
		}
		frame_put_l4(f, s);
		ip = f->data + ip_off;
		frame_put_be16(ip + 2, f->len - s->outside - ip_off);
		frame_put_be16(ip + 10, frame_ipv4_csum(ip, ihl));
	} else if (s->ethertype == ETH_P_IPV6) {
		ip = frame_put(f, 40);
		ip[0] = 0x60;
		ip[6] = s->n_ext ? frame_ext_nexthdr(s->ext[0]) : s->l4proto;
		ip[7] = 64;
		memcpy(ip + 8, s->saddr, 16);
		memcpy(ip + 24, s->daddr, 16);
		for (i = 0; i < s->n_ext; i++)
			frame_put_ext(f, s, s->ext[i], i + 1 < s->n_ext ?
				      frame_ext_nexthdr(s->ext[i + 1]) :
				      s->l4proto);
		frame_put_l4(f, s);
		frame_put_be16(f->data + ip_off + 4,
			       f->len - s->outside - ip_off - 40);
	} else {
		/* Not IP: an ARP-sized payload with the marker. */
		uint8_t *p = frame_put(f, 28);

		memcpy(p, "TVH", 3);
		frame_put_be32(p + 4, s->seq);
	}
}

/* xorshift32, for reproducible flows */
static inline uint32_t flow_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

enum flow_kind {
	FLOW_TCP4,
	FLOW_UDP4,
	FLOW_TCP6,
	FLOW_UDP6,
	FLOW_TCP6_EX,	/* Home Address option and Type 2 Routing header */
	FLOW_UDP6_EX,	/* Home Address option */
	FLOW_NON_IP,
	FLOW_KINDS,
};

static const char * const flow_kind_names[FLOW_KINDS] = {
	"tcp4", "udp4", "tcp6", "udp6", "tcp6-hao-rh2", "udp6-hao", "non-ip",
};

/**
 * flow_spec_random() - a random flow of a kind
 * @s: the description to fill
 * @kind: FLOW_*
 * @state: random state
 */
static inline void flow_spec_random(struct frame_spec *s, enum flow_kind kind,
				    uint32_t *state)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 16; i++) {
		s->saddr[i] = flow_random(state);
		s->daddr[i] = flow_random(state);
		s->hao[i] = flow_random(state);
		s->rh2[i] = flow_random(state);
	}
	s->sport = flow_random(state);
	s->dport = flow_random(state);
	s->seq = flow_random(state);
	switch (kind) {
	case FLOW_TCP4:
	case FLOW_UDP4:
		s->ethertype = ETH_P_IP;
		s->l4proto = kind == FLOW_TCP4 ? ORACLE_NEXTHDR_TCP :
						 ORACLE_NEXTHDR_UDP;
		break;
	case FLOW_TCP6:
	case FLOW_UDP6:
		s->ethertype = ETH_P_IPV6;
		s->l4proto = kind == FLOW_TCP6 ? ORACLE_NEXTHDR_TCP :
						 ORACLE_NEXTHDR_UDP;
		break;
	case FLOW_TCP6_EX:
		s->ethertype = ETH_P_IPV6;
		s->l4proto = ORACLE_NEXTHDR_TCP;
		s->ext[s->n_ext++] = FRAME_EXT_RH2;
		s->ext[s->n_ext++] = FRAME_EXT_DEST_HAO;
		break;
	case FLOW_UDP6_EX:
		s->ethertype = ETH_P_IPV6;
		s->l4proto = ORACLE_NEXTHDR_UDP;
		s->ext[s->n_ext++] = FRAME_EXT_DEST_HAO;
		break;
	default:
		s->ethertype = ETH_P_ARP;
		break;
	}
}

/**
 * struct tunnel_kind - an encapsulation of the tests, and its outer header
 * @name: what it is
 * @outer_ipv6: the outer header is IPv6
 * @proto: the outer IP protocol
 * @dport: the UDP destination port, with %ORACLE_NEXTHDR_UDP
 * @t: the encapsulation header, and whether the inner packet is a frame
 * @inner_ipv6: the header says the inner packet is IPv6
 */
struct tunnel_kind {
	const char *name;
	bool outer_ipv6;
	uint8_t proto;
	uint16_t dport;
	struct frame_tunnel t;
	bool inner_ipv6;
};

/* One of each type, and some that are not one for this project */
static const struct tunnel_kind tunnel_kinds[] = {
	{ "vxlan", false, ORACLE_NEXTHDR_UDP, 4789,
	  { { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, 8, NULL, true } },
	{ "vxlan-gpe-ipv4", false, ORACLE_NEXTHDR_UDP, 4790,
	  { { 0x0c, 0, 0, 1, 0, 0, 0x2a, 0 }, 8, NULL, false } },
	{ "vxlan-gpe-eth", true, ORACLE_NEXTHDR_UDP, 4790,
	  { { 0x0c, 0, 0, 3, 0, 0, 0x2a, 0 }, 8, NULL, true } },
	{ "geneve-eth-option", false, ORACLE_NEXTHDR_UDP, 6081,
	  { { 0x02, 0, 0x65, 0x58, 0, 0, 0x2a, 0,
	      0x01, 0x02, 0x03, 0x01, 0xa5, 0xa5, 0xa5, 0xa5 }, 16, NULL,
	    true } },
	{ "geneve-ipv6", true, ORACLE_NEXTHDR_UDP, 6081,
	  { { 0, 0, 0x86, 0xdd, 0, 0, 0x2a, 0 }, 8, NULL, false }, true },
	{ "gre-udp", false, ORACLE_NEXTHDR_UDP, 4754,
	  { { 0, 0, 0x08, 0x00 }, 4, NULL, false } },
	{ "gre", false, ORACLE_IPPROTO_GRE, 0,
	  { { 0, 0, 0x08, 0x00 }, 4, NULL, false } },
	{ "gre-key-ipv6", false, ORACLE_IPPROTO_GRE, 0,
	  { { 0x20, 0, 0x86, 0xdd, 0, 0, 0x2a, 0 }, 8, NULL,
	    false }, true },
	{ "nvgre", false, ORACLE_IPPROTO_GRE, 0,
	  { { 0x20, 0, 0x65, 0x58, 0, 0, 0x2a, 0 }, 8, NULL,
	    true } },
	{ "gre-over-ipv6", true, ORACLE_IPPROTO_GRE, 0,
	  { { 0, 0, 0x08, 0x00 }, 4, NULL, false } },
	{ "ipip", false, ORACLE_IPPROTO_IPIP, 0, { {}, 0, NULL, false } },
	{ "ip6ip6", true, ORACLE_IPPROTO_IPV6, 0, { {}, 0, NULL, false },
	  true },
	{ "sit-6in4", false, ORACLE_IPPROTO_IPV6, 0, { {}, 0, NULL, false },
	  true },
	/* Not encapsulated for this project: hashed on the outer header */
	{ "vxlan-port-8472", false, ORACLE_NEXTHDR_UDP, 8472,
	  { { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, 8, NULL, true } },
	{ "gre-version-1", false, ORACLE_IPPROTO_GRE, 0,
	  { { 0x20, 1, 0x88, 0x0b, 0, 0, 0x2a, 0 }, 8, NULL, false } },
	{ "gre-routing", true, ORACLE_IPPROTO_GRE, 0,
	  { { 0x40, 0, 0x08, 0x00 }, 4, NULL, false } },
};

/**
 * tunnel_spec() - the description of an encapsulated packet
 * @outer: filled with a random outer flow of @k carrying @inner
 * @t: the encapsulation, which @outer points to
 * @k: the kind of encapsulation
 * @inner: the inner packet
 * @state: random state
 */
static inline void tunnel_spec(struct frame_spec *outer, struct frame_tunnel *t,
			       const struct tunnel_kind *k,
			       const struct frame_spec *inner,
			       uint32_t *state)
{
	flow_spec_random(outer, k->outer_ipv6 ? FLOW_UDP6 : FLOW_UDP4, state);
	outer->l4proto = k->proto;
	outer->dport = k->dport;
	*t = k->t;
	t->inner = inner;
	outer->tunnel = t;
}

/**
 * tun_open_queue() - open a queue of a tun/tap device
 * @ifname: name of the device, created if it does not exist; the name
 *          the kernel chose is written back
 * @flags: IFF_* flags of TUNSETIFF
 *
 * Return: the descriptor, or -errno.
 */
static inline int tun_open_queue(char *ifname, int flags)
{
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

/* Enable (attach) or disable (detach) a queue with TUNSETQUEUE. */
static inline int tun_set_queue(int fd, bool attach)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	return ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}

/* Non-blocking reads and a vnet header of @hdr_sz bytes (if non-zero). */
static inline int tun_prepare_queue(int fd, int hdr_sz)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	if (hdr_sz && ioctl(fd, TUNSETVNETHDRSZ, &hdr_sz) < 0)
		return -errno;
	return 0;
}

/**
 * tun_vnet_hash_arg_sized() - lay out a TUNSETVNETHASH argument
 * @buf: where to write it
 * @size: bytes of @buf
 * @hash: the header
 * @hdr_size: bytes of the header in the argument: fewer than sizeof(*@hash)
 *	cut it, more add zeros after it
 * @table: the indirection table (RSS only)
 * @key: the key
 *
 * The header, then the table only with TUN_VNET_HASH_RSS, at @hdr_size as
 * the UAPI says, then the key.  The fields are written as given, valid or
 * not.
 *
 * Return: the length of the argument, or -E2BIG if it does not fit.
 */
static inline int tun_vnet_hash_arg_sized(uint8_t *buf, size_t size,
					  const struct tun_vnet_hash *hash,
					  size_t hdr_size,
					  const uint16_t *table,
					  const uint8_t *key)
{
	size_t len = hdr_size, table_len = 0;

	if (hash->flags & TUN_VNET_HASH_RSS)
		table_len = 2 * ((size_t)hash->indirection_table_mask + 1);
	if (len + table_len + hash->key_size > size)
		return -E2BIG;
	memset(buf, 0, hdr_size);
	memcpy(buf, hash, hdr_size < sizeof(*hash) ? hdr_size : sizeof(*hash));
	memcpy(buf + len, table, table_len);
	len += table_len;
	memcpy(buf + len, key, hash->key_size);
	return len + hash->key_size;
}

/**
 * tun_set_vnet_hash_hdr() - TUNSETVNETHASH of a header, a table and a key
 * @fd: a queue of the device
 * @hash: the header, of the current size
 * @table: the indirection table (RSS only)
 * @key: the key
 *
 * The argument is laid out by tun_vnet_hash_arg_sized().  Tables of up to
 * 1024 entries and keys of up to 255 bytes fit, enough to try lengths
 * beyond the capability.
 *
 * Return: 0 or -errno.
 */
static inline int tun_set_vnet_hash_hdr(int fd,
					const struct tun_vnet_hash *hash,
					const uint16_t *table,
					const uint8_t *key)
{
	uint8_t buf[sizeof(struct tun_vnet_hash) + 2 * 1024 + 256];

	if (hash->indirection_table_mask >= 1024 || hash->key_size > 256)
		return -E2BIG;
	if (tun_vnet_hash_arg_sized(buf, sizeof(buf), hash, sizeof(*hash),
				    table, key) < 0)
		return -E2BIG;
	return ioctl(fd, TUNSETVNETHASH, buf) < 0 ? -errno : 0;
}

/**
 * tun_set_vnet_hash() - TUNSETVNETHASH without tunnel types
 * @fd: a queue of the device
 * @flags: TUN_VNET_HASH_* flags
 * @types: VIRTIO_NET_RSS_HASH_TYPE_* flags
 * @key: the key
 * @key_size: bytes of @key
 * @table: the indirection table (RSS only)
 * @table_mask: the indirection table mask; its length is @table_mask + 1
 * @unclassified_queue: queue of packets without a hash
 *
 * Return: 0 or -errno, see tun_set_vnet_hash_hdr().
 */
static inline int tun_set_vnet_hash(int fd, uint16_t flags, uint32_t types,
				    const uint8_t *key, uint16_t key_size,
				    const uint16_t *table, uint16_t table_mask,
				    uint16_t unclassified_queue)
{
	struct tun_vnet_hash hash = {
		.flags = flags,
		.key_size = key_size,
		.types = types,
		.indirection_table_mask = table_mask,
		.unclassified_queue = unclassified_queue,
	};

	return tun_set_vnet_hash_hdr(fd, &hash, table, key);
}

/* Set @ifname up; turn IPv6 off first, so no solicitation pollutes it. */
static inline int netdev_set_up(const char *ifname)
{
	char path[128];
	struct ifreq ifr;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			err = -errno;
		close(fd);
		if (err)
			return err;
	}

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			err = -errno;
	}
	close(fd);
	return err;
}

/* Send the rtnetlink request @req and wait for its ack: 0 or -errno. */
static inline int rtnl_request(const struct nlmsghdr *req)
{
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
		char more[256];
	} ack;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		err = -errno;
	else if (recv(fd, &ack, sizeof(ack), 0) < 0)
		err = -errno;
	else if (ack.nh.nlmsg_type == NLMSG_ERROR)
		err = ack.err.error;
	else
		err = -EPROTO;
	close(fd);
	return err;
}

/* Delete a link with RTM_DELLINK, as `ip link del` does. */
static inline int netdev_delete(int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifm;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_DELLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.ifm.ifi_family = AF_UNSPEC,
		.ifm.ifi_index = ifindex,
	};

	return rtnl_request(&req.nh);
}

/* Load the eBPF program @insns of @type.  Return: its fd or -errno. */
static inline int bpf_prog_load_insns(enum bpf_prog_type type,
				      const struct bpf_insn *insns,
				      unsigned int n)
{
	union bpf_attr attr;
	int prog;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = n;
	attr.license = (uintptr_t)"GPL";
	prog = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	return prog < 0 ? -errno : prog;
}

/* An XDP program that sends every frame back (XDP_TX). */
static inline int xdp_tx_prog_load(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_TX },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load_insns(BPF_PROG_TYPE_XDP, insns, ARRAY_SIZE(insns));
}

static inline struct rtattr *nl_attr(struct rtattr *rta, uint16_t type,
				     const void *data, size_t len)
{
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	return (struct rtattr *)((char *)rta + RTA_ALIGN(rta->rta_len));
}

/*
 * Attach @prog in driver mode (-1: detach), as `ip link set DEV xdpdrv fd
 * PROG` does.  Return: 0 or -errno.
 */
static inline int netdev_set_xdp_drv(int ifindex, int prog)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifm;
		char attrs[64];
	} req = {
		.nh.nlmsg_type = RTM_SETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.ifm.ifi_family = AF_UNSPEC,
		.ifm.ifi_index = ifindex,
	};
	uint32_t flags = XDP_FLAGS_DRV_MODE;
	struct rtattr *xdp, *end;

	xdp = (struct rtattr *)req.attrs;
	end = nl_attr(xdp + 1, IFLA_XDP_FD, &prog, sizeof(prog));
	end = nl_attr(end, IFLA_XDP_FLAGS, &flags, sizeof(flags));
	xdp->rta_type = IFLA_XDP | NLA_F_NESTED;
	xdp->rta_len = (char *)end - (char *)xdp;
	req.nh.nlmsg_len = (char *)end - (char *)&req;
	return rtnl_request(&req.nh);
}

/*
 * macvtap and ipvtap: a device of either kind over a veth pair.  Frames
 * sent at the veth peer reach its /dev/tapN queues: a macvtap's by its
 * MAC address (frame_build()'s destination), an ipvtap's by its IP
 * addresses, which vtap_link_create() gives it.
 */
#define VTAP_LOWER	"vhlower"
#define VTAP_PEER	"vhpeer"
#define VTAP_NAME	"vhvtap"
#define VTAP_MAC	"02:00:00:00:00:02"
#define VTAP_ADDR4	"161.142.100.80"
#define VTAP_ADDR6	"3ffe:2501:200:3::1"

/* Run an ip(8) command, its output discarded. */
static inline int vtap_ip(const char *args)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip %s >/dev/null 2>&1", args);
	return system(cmd) ? -ENODEV : 0;
}

/**
 * vtap_link_create() - create VTAP_NAME over VTAP_LOWER, peer VTAP_PEER
 * @ipvtap: an ipvtap in L2 mode, else a macvtap in bridge mode
 *
 * All three are up, with IPv6 off except on an ipvtap, which has
 * VTAP_ADDR4 and VTAP_ADDR6.
 *
 * Return: 0 or -errno.
 */
static inline int vtap_link_create(bool ipvtap)
{
	char path[128];
	int fd, err;

	err = vtap_ip("link add " VTAP_LOWER " type veth peer name " VTAP_PEER);
	if (!err && ipvtap)
		err = vtap_ip("link set " VTAP_LOWER " address " VTAP_MAC);
	if (!err)
		err = vtap_ip(ipvtap ?
			      "link add link " VTAP_LOWER " name " VTAP_NAME
			      " type ipvtap mode l2" :
			      "link add link " VTAP_LOWER " name " VTAP_NAME
			      " address " VTAP_MAC " type macvtap mode bridge");
	if (!err)
		err = netdev_set_up(VTAP_PEER);
	if (!err)
		err = netdev_set_up(VTAP_LOWER);
	if (!err)
		err = netdev_set_up(VTAP_NAME);
	if (err || !ipvtap)
		return err;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 VTAP_NAME);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = write(fd, "0", 1) == 1 ? 0 : -errno;
	close(fd);
	if (!err)
		err = vtap_ip("addr add " VTAP_ADDR4 "/32 dev " VTAP_NAME);
	if (!err)
		err = vtap_ip("addr add " VTAP_ADDR6 "/128 dev " VTAP_NAME
			      " nodad");
	return err;
}

/*
 * Delete the devices; a namespace going away would leave their /dev/tapN
 * nodes for a while.
 */
static inline void vtap_link_delete(void)
{
	vtap_ip("link del " VTAP_LOWER);
}

/*
 * ipvlan hands a frame to the ipvtap device by its destination address:
 * only IP frames, with at most one VLAN tag (the one the lower device
 * takes out of the frame), reach it.  Address them to the device.
 */
static inline bool vtap_ip_frame(struct frame_spec *s)
{
	if (s->tpid[1])
		return false;
	if (s->ethertype == ETH_P_IP)
		return inet_pton(AF_INET, VTAP_ADDR4, s->daddr) == 1;
	if (s->ethertype == ETH_P_IPV6)
		return inet_pton(AF_INET6, VTAP_ADDR6, s->daddr) == 1;
	return false;
}

/* Open a queue of VTAP_NAME, non-blocking, with a @hdr_sz vnet header. */
static inline int vtap_open_queue(int hdr_sz)
{
	char path[32];
	int fd, err;

	snprintf(path, sizeof(path), "/dev/tap%u", if_nametoindex(VTAP_NAME));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = tun_prepare_queue(fd, hdr_sz);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* An AF_PACKET socket that sends only (protocol 0 receives nothing). */
static inline int packet_socket(int type)
{
	int fd = socket(AF_PACKET, type | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/**
 * packet_send() - inject a frame into a device
 * @fd: packet_socket(SOCK_RAW) for a tap, packet_socket(SOCK_DGRAM) for a
 *      tun device, which gets the frame without its link-layer header
 * @ifindex: the device
 * @f: the frame
 * @l3: send from the network header on (tun)
 *
 * Return: 0 or -errno.
 */
static inline int packet_send(int fd, int ifindex, const struct frame *f,
			      bool l3)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
		.sll_protocol = htons(l3 ? f->l3_proto :
				      oracle_get_be16(f->data + 12)),
	};
	size_t off = l3 ? f->l3_off : 0;
	ssize_t ret;

	ret = sendto(fd, f->data + off, f->len - off, 0,
		     (struct sockaddr *)&sll, sizeof(sll));
	if (ret < 0)
		return -errno;
	return (size_t)ret == f->len - off ? 0 : -EMSGSIZE;
}

/*
 * Send, through @sock (AF_PACKET with PACKET_VNET_HDR), the TCPv4 segment
 * of @s with @payload bytes after the TCP header, a partial checksum and
 * the GSO fields given.  @f is the frame the device must return.
 */
static inline int packet_send_segment(int sock, int ifindex,
				      const struct frame_spec *s,
				      uint8_t gso_type, uint16_t gso_size,
				      uint16_t payload, struct frame *f)
{
	uint8_t buf[sizeof(struct virtio_net_hdr) + FRAME_MAX] = {};
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
		.sll_protocol = htons(ETH_P_IP),
	};
	size_t j, len;
	uint8_t *ip;

	frame_build(f, s);
	/* The segment: the frame, then its payload, up to the length */
	ip = f->data + f->l3_off;
	for (j = f->len; j < f->l3_off + 40 + payload; j++)
		f->data[j] = j;
	f->len = f->l3_off + 40 + payload;
	ip[2] = (f->len - f->l3_off) >> 8;
	ip[3] = f->len - f->l3_off;
	ip[10] = 0;
	ip[11] = 0;
	frame_put_be16(ip + 10, frame_ipv4_csum(ip, 20));

	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = gso_type;
	vh->hdr_len = f->l3_off + 40;
	vh->gso_size = gso_size;
	vh->csum_start = f->l3_off + 20;
	vh->csum_offset = 16;
	memcpy(buf + sizeof(*vh), f->data, f->len);
	len = sizeof(*vh) + f->len;
	return sendto(sock, buf, len, 0, (struct sockaddr *)&sll,
		      sizeof(sll)) == (ssize_t)len ? 0 : -1;
}

/**
 * struct rx_result - where a frame came out
 * @queue: index (in the array of descriptors) of the first copy, or -1
 * @copies: copies of the frame read on all queues
 * @noise: other frames read
 * @hdr: the vnet header of the first copy
 */
struct rx_result {
	int queue;
	int copies;
	int noise;
	uint8_t hdr[VNET_HDR_MAX];
};

/* The hash fields of a virtio_net_hdr_v1_hash, little-endian. */
static inline uint32_t rx_hash_value(const struct rx_result *rx)
{
	const uint8_t *p = rx->hdr + offsetof(struct virtio_net_hdr_v1_hash,
					      hash_value);

	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t rx_hash_report(const struct rx_result *rx)
{
	const uint8_t *p = rx->hdr + offsetof(struct virtio_net_hdr_v1_hash,
					      hash_report);

	return p[0] | p[1] << 8;
}

/* Read every frame queued on @fd and compare it with the expected one. */
static inline int rx_drain(int fd, int queue, size_t hdr_sz,
			   const uint8_t *want, size_t want_len,
			   struct rx_result *rx)
{
	uint8_t buf[VNET_HDR_MAX + FRAME_MAX];
	ssize_t n;

	for (;;) {
		/* Bytes the kernel does not write would show up as 0xa5. */
		memset(buf, 0xa5, sizeof(buf));
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if ((size_t)n == hdr_sz + want_len &&
		    !memcmp(buf + hdr_sz, want, want_len)) {
			if (!rx->copies++) {
				rx->queue = queue;
				memcpy(rx->hdr, buf, hdr_sz);
			}
		} else {
			rx->noise++;
		}
	}
}

/**
 * rx_find() - find the queue that a frame came out of
 * @fds: the queues
 * @n: number of queues
 * @hdr_sz: vnet header size, 0 without IFF_VNET_HDR
 * @want: the frame, as the device must return it
 * @want_len: its length
 * @rx: the result
 *
 * Waits up to a second for the frame, then reads every queue once more,
 * so that a frame delivered twice is noticed.
 *
 * Return: 0 or -errno.
 */
static inline int rx_find(const int *fds, int n, size_t hdr_sz,
			  const uint8_t *want, size_t want_len,
			  struct rx_result *rx)
{
	struct pollfd pfd[TUN_MAX_QUEUES];
	int i, err, round;

	memset(rx, 0, sizeof(*rx));
	rx->queue = -1;
	for (i = 0; i < n; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	for (round = 0; round < 100 && !rx->copies; round++) {
		if (poll(pfd, n, 10) < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			err = rx_drain(fds[i], i, hdr_sz, want, want_len, rx);
			if (err)
				return err;
		}
	}
	for (i = 0; i < n; i++) {
		err = rx_drain(fds[i], i, hdr_sz, want, want_len, rx);
		if (err)
			return err;
	}
	return 0;
}

#endif /* TUN_VNET_HASH_UTIL_H */
