/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace oracle for virtio_net hash report and RSS of tun/tap.
 *
 * It computes, independently of the kernel, what the device must report
 * for a frame: a bit-serial Toeplitz hash (the textbook shift register,
 * not the kernel's table-driven form) over the input that the virtio
 * specification selects for the frame, and the matching queue.  Shared
 * by the tun_vnet_hash selftest and tools/net/tunrss, so that both check
 * the kernel against one reference.
 *
 * The classification follows the rules of the virtio specification
 * ("Device Types / Network Device", hash calculation) with the decisions
 * of this project:
 * - IPv4 options are skipped using IHL; a fragment (MF set or a non-zero
 *   offset) has no TCP/UDP header, the first one included.
 * - 802.1Q and 802.1ad tags in the frame are skipped, up to
 *   ORACLE_VLAN_MAX_DEPTH of them (the kernel's VLAN_MAX_DEPTH); a frame
 *   with more has no hash.
 * - IPv6 extension headers are Hop-by-Hop (0), Routing (43), Fragment
 *   (44), Destination Options (60), AH (51, (len + 2) * 4 bytes) and
 *   Mobility (135).  ESP (50) and No Next Header (59) end the walk with
 *   no L4 header, and so do a truncated chain and one that needs more
 *   than ORACLE_MAX_EXT_HDRS headers.  ESP and No Next Header alone do not
 *   make a packet one with extension headers.  The walk ends at a
 *   Fragment header: it counts as an extension header, nothing after it
 *   is looked at (no src', dst' or L4 header from there).
 * - A Home Address option (0xc9, 16 bytes) in a Destination Options
 *   header gives src'; a type 2 Routing header (Hdr Ext Len 2, Segments
 *   Left 1) gives dst'.
 * - An L4 header too short to hold both ports is no L4 header.
 * - The _EX types apply only to a packet with an extension header;
 *   otherwise, or when none of them is enabled, the plain IPv6 types
 *   apply with the plain addresses.
 * - The packet ends where its IP length field says: IPv4 total length,
 *   IPv6 40 + payload length (0, a jumbogram: the end of the frame), or
 *   at the end of the frame if that comes first.  A header, the IP header
 *   itself included, that does not fit before that end is absent.
 */
#ifndef TUN_VNET_HASH_ORACLE_H
#define TUN_VNET_HASH_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_net.h>

#define ORACLE_KEY_SIZE		40
#define ORACLE_INPUT_MAX	36
#define ORACLE_MAX_EXT_HDRS	16
#define ORACLE_VLAN_MAX_DEPTH	8

/*
 * The verification key of Microsoft's "Verifying the RSS Hash
 * Calculation", also in DPDK's test_thash.c: the default key of the
 * tests and of tunrss.
 */
static const uint8_t oracle_ms_key[ORACLE_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

#define ORACLE_ETH_P_IP		0x0800
#define ORACLE_ETH_P_IPV6	0x86dd
#define ORACLE_ETH_P_8021Q	0x8100
#define ORACLE_ETH_P_8021AD	0x88a8

#define ORACLE_NEXTHDR_HOP	0
#define ORACLE_NEXTHDR_TCP	6
#define ORACLE_NEXTHDR_UDP	17
#define ORACLE_NEXTHDR_ROUTING	43
#define ORACLE_NEXTHDR_FRAGMENT	44
#define ORACLE_NEXTHDR_ESP	50
#define ORACLE_NEXTHDR_AUTH	51
#define ORACLE_NEXTHDR_NONE	59
#define ORACLE_NEXTHDR_DEST	60
#define ORACLE_NEXTHDR_MOBILITY	135

#define ORACLE_OPT_HOME_ADDRESS	0xc9

#define ORACLE_ALL_TYPES (VIRTIO_NET_RSS_HASH_TYPE_IPv4 | \
			  VIRTIO_NET_RSS_HASH_TYPE_TCPv4 | \
			  VIRTIO_NET_RSS_HASH_TYPE_UDPv4 | \
			  VIRTIO_NET_RSS_HASH_TYPE_IPv6 | \
			  VIRTIO_NET_RSS_HASH_TYPE_TCPv6 | \
			  VIRTIO_NET_RSS_HASH_TYPE_UDPv6 | \
			  VIRTIO_NET_RSS_HASH_TYPE_IP_EX | \
			  VIRTIO_NET_RSS_HASH_TYPE_TCP_EX | \
			  VIRTIO_NET_RSS_HASH_TYPE_UDP_EX)

/**
 * struct oracle_input - what a frame is hashed over
 * @data: source address, destination address, then the ports when the
 *        type has them, in network byte order
 * @len: bytes of @data in use, 0 when the frame has no hash
 * @report: VIRTIO_NET_HASH_REPORT_ value of the frame
 */
struct oracle_input {
	uint8_t data[ORACLE_INPUT_MAX];
	size_t len;
	uint16_t report;
};

/**
 * struct oracle_result - what the device must report and choose
 * @value: the Toeplitz hash, 0 without a hash
 * @report: VIRTIO_NET_HASH_REPORT_ value, NONE without a hash
 */
struct oracle_result {
	uint32_t value;
	uint16_t report;
};

static inline int oracle_key_bit(const uint8_t *key, size_t key_len,
				 size_t bit)
{
	if (bit / 8 >= key_len)
		return 0;
	return (key[bit / 8] >> (7 - bit % 8)) & 1;
}

/**
 * oracle_toeplitz() - bit-serial Toeplitz hash
 * @key: the key; bytes past @key_len read as zero
 * @key_len: bytes of @key
 * @data: the input
 * @len: bytes of @data
 *
 * For each input bit, most significant bit of data[0] first, XOR the
 * 32-bit window of the key when the bit is set, then slide the window one
 * bit to the left.
 *
 * Return: the hash.
 */
static inline uint32_t oracle_toeplitz(const uint8_t *key, size_t key_len,
				       const uint8_t *data, size_t len)
{
	uint32_t window = 0, hash = 0;
	size_t bit;

	for (bit = 0; bit < 32; bit++)
		window = window << 1 | oracle_key_bit(key, key_len, bit);

	for (bit = 0; bit < len * 8; bit++) {
		if ((data[bit / 8] >> (7 - bit % 8)) & 1)
			hash ^= window;
		window = window << 1 | oracle_key_bit(key, key_len, bit + 32);
	}
	return hash;
}

static inline uint16_t oracle_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void oracle_set_input(struct oracle_input *in, uint16_t report,
				    const uint8_t *saddr, const uint8_t *daddr,
				    size_t addr_len, const uint8_t *ports)
{
	memcpy(in->data, saddr, addr_len);
	memcpy(in->data + addr_len, daddr, addr_len);
	in->len = 2 * addr_len;
	if (ports) {
		memcpy(in->data + in->len, ports, 4);
		in->len += 4;
	}
	in->report = report;
}

/* The IPv6 extension headers of the walk */
static inline bool oracle_ext_hdr(uint8_t nexthdr)
{
	return nexthdr == ORACLE_NEXTHDR_HOP ||
	       nexthdr == ORACLE_NEXTHDR_ROUTING ||
	       nexthdr == ORACLE_NEXTHDR_FRAGMENT ||
	       nexthdr == ORACLE_NEXTHDR_DEST ||
	       nexthdr == ORACLE_NEXTHDR_AUTH ||
	       nexthdr == ORACLE_NEXTHDR_MOBILITY;
}

static inline bool oracle_type_enabled(uint32_t types, uint16_t report)
{
	return types & (1u << (report - 1));
}

/* IPv4, options skipped by IHL; fragments have no L4 header. */
static inline void oracle_classify_ipv4(const uint8_t *ip, size_t len,
					uint32_t types,
					struct oracle_input *in)
{
	const uint8_t *ports = NULL;
	size_t ihl;
	bool frag;

	if (len < 20 || ip[0] >> 4 != 4)
		return;
	if (oracle_get_be16(ip + 2) < len)
		len = oracle_get_be16(ip + 2);
	ihl = (ip[0] & 0xf) * 4;
	if (ihl < 20 || ihl > len)
		return;
	frag = oracle_get_be16(ip + 6) & 0x3fff;
	if (!frag && len - ihl >= 4)
		ports = ip + ihl;

	if (ports && ip[9] == ORACLE_NEXTHDR_TCP &&
	    oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_TCPv4))
		oracle_set_input(in, VIRTIO_NET_HASH_REPORT_TCPv4,
				 ip + 12, ip + 16, 4, ports);
	else if (ports && ip[9] == ORACLE_NEXTHDR_UDP &&
		 oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_UDPv4))
		oracle_set_input(in, VIRTIO_NET_HASH_REPORT_UDPv4,
				 ip + 12, ip + 16, 4, ports);
	else if (oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_IPv4))
		oracle_set_input(in, VIRTIO_NET_HASH_REPORT_IPv4,
				 ip + 12, ip + 16, 4, NULL);
}

/* The Home Address option of a Destination Options header, or NULL. */
static inline const uint8_t *oracle_find_hao(const uint8_t *opts, size_t len)
{
	size_t off = 2;

	while (off < len) {
		if (opts[off] == 0) {	/* Pad1 */
			off++;
			continue;
		}
		if (off + 2 > len || off + 2 + opts[off + 1] > len)
			return NULL;
		if (opts[off] == ORACLE_OPT_HOME_ADDRESS && opts[off + 1] == 16)
			return opts + off + 2;
		off += 2 + opts[off + 1];
	}
	return NULL;
}

/*
 * IPv6: walk the extension headers for src', dst' and the L4 header,
 * then apply the _EX rules when there was an extension header, the plain
 * rules otherwise or when no _EX rule matched.
 */
static inline void oracle_classify_ipv6(const uint8_t *ip, size_t len,
					uint32_t types,
					struct oracle_input *in)
{
	const uint8_t *saddr_ex, *daddr_ex, *ports = NULL;
	bool has_ext = false;
	uint8_t nexthdr, l4proto = 0;
	size_t off = 40, hlen;
	int walked;

	if (len < 40 || ip[0] >> 4 != 6)
		return;
	if (oracle_get_be16(ip + 4) && 40u + oracle_get_be16(ip + 4) < len)
		len = 40u + oracle_get_be16(ip + 4);
	saddr_ex = ip + 8;
	daddr_ex = ip + 24;
	nexthdr = ip[6];

	for (walked = 0; ; walked++) {
		if (nexthdr == ORACLE_NEXTHDR_TCP ||
		    nexthdr == ORACLE_NEXTHDR_UDP) {
			if (len - off >= 4) {
				l4proto = nexthdr;
				ports = ip + off;
			}
			break;
		}
		if (!oracle_ext_hdr(nexthdr))
			break;	/* ESP, No Next Header, anything else */
		if (walked == ORACLE_MAX_EXT_HDRS || len - off < 2)
			break;
		if (nexthdr == ORACLE_NEXTHDR_FRAGMENT)
			hlen = 8;
		else if (nexthdr == ORACLE_NEXTHDR_AUTH)
			hlen = (ip[off + 1] + 2) * 4;
		else
			hlen = (ip[off + 1] + 1) * 8;
		if (len - off < hlen)
			break;

		has_ext = true;
		if (nexthdr == ORACLE_NEXTHDR_FRAGMENT) {
			break;	/* nothing after it is looked at */
		} else if (nexthdr == ORACLE_NEXTHDR_DEST) {
			const uint8_t *hao = oracle_find_hao(ip + off, hlen);

			if (hao)
				saddr_ex = hao;
		} else if (nexthdr == ORACLE_NEXTHDR_ROUTING &&
			   ip[off + 1] == 2 && ip[off + 2] == 2 &&
			   ip[off + 3] == 1) {
			daddr_ex = ip + off + 8;
		}
		nexthdr = ip[off];
		off += hlen;
	}

	if (has_ext) {
		if (ports && l4proto == ORACLE_NEXTHDR_TCP &&
		    oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_TCPv6_EX)) {
			oracle_set_input(in, VIRTIO_NET_HASH_REPORT_TCPv6_EX,
					 saddr_ex, daddr_ex, 16, ports);
			return;
		}
		if (ports && l4proto == ORACLE_NEXTHDR_UDP &&
		    oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_UDPv6_EX)) {
			oracle_set_input(in, VIRTIO_NET_HASH_REPORT_UDPv6_EX,
					 saddr_ex, daddr_ex, 16, ports);
			return;
		}
		if (oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_IPv6_EX)) {
			oracle_set_input(in, VIRTIO_NET_HASH_REPORT_IPv6_EX,
					 saddr_ex, daddr_ex, 16, NULL);
			return;
		}
	}

	if (ports && l4proto == ORACLE_NEXTHDR_TCP &&
	    oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_TCPv6))
		oracle_set_input(in, VIRTIO_NET_HASH_REPORT_TCPv6,
				 ip + 8, ip + 24, 16, ports);
	else if (ports && l4proto == ORACLE_NEXTHDR_UDP &&
		 oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_UDPv6))
		oracle_set_input(in, VIRTIO_NET_HASH_REPORT_UDPv6,
				 ip + 8, ip + 24, 16, ports);
	else if (oracle_type_enabled(types, VIRTIO_NET_HASH_REPORT_IPv6))
		oracle_set_input(in, VIRTIO_NET_HASH_REPORT_IPv6,
				 ip + 8, ip + 24, 16, NULL);
}

/* The IP protocol of an encapsulation and the types it can be of */
#define ORACLE_IPPROTO_IPIP	4
#define ORACLE_IPPROTO_GRE	47
#define ORACLE_IPPROTO_IPV6	41
#define ORACLE_ETH_P_TEB	0x6558

/* Skip the 802.1Q and 802.1ad tags of the Ethernet frame at @p; the
 * EtherType after them, with *@off at the network header, or 0.
 */
static inline uint16_t oracle_eth_type(const uint8_t *p, size_t len,
				       size_t *off)
{
	uint16_t proto;
	int depth = 0;

	*off = 14;
	if (len < 14)
		return 0;
	proto = oracle_get_be16(p + 12);
	while (proto == ORACLE_ETH_P_8021Q || proto == ORACLE_ETH_P_8021AD) {
		if (depth++ == ORACLE_VLAN_MAX_DEPTH || len - *off < 4)
			return 0;
		proto = oracle_get_be16(p + *off + 2);
		*off += 4;
	}
	return proto;
}

/*
 * The GRE header at @p (RFC 2784/2890 layout): the encapsulation types it
 * is of, and in *@proto and *@hlen its Protocol Type and length; 0 when it
 * is not one this project recognises.
 */
static inline uint32_t oracle_gre(const uint8_t *p, size_t len,
				  bool outer_ipv6, uint16_t *proto,
				  size_t *hlen)
{
	uint16_t flags;
	uint32_t types;
	bool c, k, s;

	if (len < 4)
		return 0;
	flags = oracle_get_be16(p);
	c = flags & 0x8000;
	k = flags & 0x2000;
	s = flags & 0x1000;
	/* R, strict route, recursion, the other flags and the version */
	if (flags & 0x4fff)
		return 0;
	*hlen = 4 + 4 * (c + k + s);
	*proto = oracle_get_be16(p + 2);
	if (len < *hlen || (*proto != ORACLE_ETH_P_IP &&
			    *proto != ORACLE_ETH_P_IPV6 &&
			    *proto != ORACLE_ETH_P_TEB))
		return 0;

	types = k || s ? VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2890 :
			 VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2784;
	if (k && !c && !s && *proto == ORACLE_ETH_P_TEB)
		types |= VIRTIO_NET_HASH_TUNNEL_TYPE_NVGRE;
	/* RFC 7676: IPv6 as the delivery or as the payload protocol */
	if (outer_ipv6 || *proto == ORACLE_ETH_P_IPV6)
		types |= VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_7676;
	return types;
}

/*
 * The inner IP packet of an encapsulation enabled in @tunnel_types (the
 * recognition decisions of this project, see the spec document), or NULL
 * when the packet at @ip is not one: then its outer header is hashed.
 * *@inner_type is the inner ETH_P_ value, *@inner_len its bytes up to the
 * end of the outer packet.
 */
static inline const uint8_t *oracle_tunnel_inner(uint16_t ethertype,
						 const uint8_t *ip, size_t len,
						 uint32_t tunnel_types,
						 uint16_t *inner_type,
						 size_t *inner_len)
{
	size_t off, i, hlen, eth_off;
	uint16_t proto16, dport;
	uint32_t types = 0;
	bool ipv6 = false;
	uint8_t proto;
	int walked;

	if (ethertype == ORACLE_ETH_P_IP) {
		if (len < 20 || ip[0] >> 4 != 4)
			return NULL;
		if (oracle_get_be16(ip + 2) < len)
			len = oracle_get_be16(ip + 2);
		off = (ip[0] & 0xf) * 4;
		if (off < 20 || off > len || oracle_get_be16(ip + 6) & 0x3fff)
			return NULL;
		proto = ip[9];
	} else if (ethertype == ORACLE_ETH_P_IPV6) {
		if (len < 40 || ip[0] >> 4 != 6)
			return NULL;
		if (oracle_get_be16(ip + 4) && 40u + oracle_get_be16(ip + 4) < len)
			len = 40u + oracle_get_be16(ip + 4);
		ipv6 = true;
		proto = ip[6];
		off = 40;
		for (walked = 0; oracle_ext_hdr(proto); walked++) {
			if (proto == ORACLE_NEXTHDR_FRAGMENT ||
			    walked == ORACLE_MAX_EXT_HDRS || len - off < 2)
				return NULL;
			hlen = proto == ORACLE_NEXTHDR_AUTH ?
			       (ip[off + 1] + 2) * 4 : (ip[off + 1] + 1) * 8;
			if (len - off < hlen)
				return NULL;
			proto = ip[off];
			off += hlen;
		}
	} else {
		return NULL;
	}

	switch (proto) {
	case ORACLE_NEXTHDR_UDP:
		if (len - off < 8)
			return NULL;
		dport = oracle_get_be16(ip + off + 2);
		off += 8;
		if (dport == 4754) {
			types = VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_UDP;
			if (!(tunnel_types & types) ||
			    !oracle_gre(ip + off, len - off, ipv6, &proto16,
					&hlen))
				return NULL;
			off += hlen;
			break;
		}
		if (len - off < 8)
			return NULL;
		if (dport == 4789 && ip[off] & 0x08) {
			types = VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN;
			proto16 = ORACLE_ETH_P_TEB;
			off += 8;
		} else if (dport == 4790 && !(ip[off] & 0x30) &&
			   ip[off] & 0x04 && ip[off + 3] >= 1 &&
			   ip[off + 3] <= 3) {
			types = VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN_GPE;
			proto16 = ip[off + 3] == 1 ? ORACLE_ETH_P_IP :
				  ip[off + 3] == 2 ? ORACLE_ETH_P_IPV6 :
						     ORACLE_ETH_P_TEB;
			off += 8;
		} else if (dport == 6081 && !(ip[off] >> 6)) {
			types = VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE;
			proto16 = oracle_get_be16(ip + off + 2);
			hlen = 8 + 4 * (ip[off] & 0x3f);
			if (len - off < hlen || (proto16 != ORACLE_ETH_P_IP &&
						 proto16 != ORACLE_ETH_P_IPV6 &&
						 proto16 != ORACLE_ETH_P_TEB))
				return NULL;
			off += hlen;
		}
		break;
	case ORACLE_IPPROTO_GRE:
		types = oracle_gre(ip + off, len - off, ipv6, &proto16, &hlen);
		off += hlen;
		break;
	case ORACLE_IPPROTO_IPIP:
	case ORACLE_IPPROTO_IPV6:
		types = VIRTIO_NET_HASH_TUNNEL_TYPE_IPIP;
		proto16 = proto == ORACLE_IPPROTO_IPIP ? ORACLE_ETH_P_IP :
							 ORACLE_ETH_P_IPV6;
		break;
	}
	if (!(types & tunnel_types))
		return NULL;

	i = off;
	if (proto16 == ORACLE_ETH_P_TEB) {
		proto16 = oracle_eth_type(ip + off, len - off, &eth_off);
		i = off + eth_off;
		if (i > len)
			return NULL;
	}
	if (proto16 == ORACLE_ETH_P_IP) {
		if (len - i < 20 || ip[i] >> 4 != 4 || (ip[i] & 0xf) < 5 ||
		    len - i < (size_t)(ip[i] & 0xf) * 4)
			return NULL;
	} else if (proto16 == ORACLE_ETH_P_IPV6) {
		if (len - i < 40 || ip[i] >> 4 != 6)
			return NULL;
	} else {
		return NULL;
	}
	*inner_type = proto16;
	*inner_len = len - i;
	return ip + i;
}

/**
 * oracle_classify_l3_tunnel() - hash input of a packet without link-layer
 *                               header, encapsulations included
 * @ethertype: the protocol of the packet (host order ETH_P_ value)
 * @pkt: the packet, starting at its network header
 * @len: bytes of @pkt
 * @types: enabled VIRTIO_NET_RSS_HASH_TYPE_ flags
 * @tunnel_types: enabled VIRTIO_NET_HASH_TUNNEL_TYPE_ flags
 * @in: the result; in->len is 0 when the packet has no hash
 *
 * A packet of an enabled encapsulation is classified by its inner packet,
 * one level deep; any other by itself.
 */
static inline void oracle_classify_l3_tunnel(uint16_t ethertype,
					     const uint8_t *pkt, size_t len,
					     uint32_t types,
					     uint32_t tunnel_types,
					     struct oracle_input *in)
{
	const uint8_t *inner = NULL;
	uint16_t inner_type;
	size_t inner_len;

	memset(in, 0, sizeof(*in));
	if (tunnel_types)
		inner = oracle_tunnel_inner(ethertype, pkt, len, tunnel_types,
					    &inner_type, &inner_len);
	if (inner) {
		ethertype = inner_type;
		pkt = inner;
		len = inner_len;
	}
	if (ethertype == ORACLE_ETH_P_IP)
		oracle_classify_ipv4(pkt, len, types, in);
	else if (ethertype == ORACLE_ETH_P_IPV6)
		oracle_classify_ipv6(pkt, len, types, in);
}

/**
 * oracle_classify_l3() - hash input of a packet without link-layer header
 * @ethertype: the protocol of the packet (host order ETH_P_ value)
 * @pkt: the packet, starting at its network header
 * @len: bytes of @pkt
 * @types: enabled VIRTIO_NET_RSS_HASH_TYPE_ flags
 * @in: the result; in->len is 0 when the packet has no hash
 */
static inline void oracle_classify_l3(uint16_t ethertype, const uint8_t *pkt,
				      size_t len, uint32_t types,
				      struct oracle_input *in)
{
	oracle_classify_l3_tunnel(ethertype, pkt, len, types, 0, in);
}

/**
 * oracle_classify_eth_tunnel() - hash input of an Ethernet frame,
 *                                encapsulations included
 * @frame: the frame, VLAN tags included
 * @len: bytes of @frame
 * @types: enabled VIRTIO_NET_RSS_HASH_TYPE_ flags
 * @tunnel_types: enabled VIRTIO_NET_HASH_TUNNEL_TYPE_ flags
 * @in: the result; in->len is 0 when the frame has no hash
 */
static inline void oracle_classify_eth_tunnel(const uint8_t *frame,
					      size_t len, uint32_t types,
					      uint32_t tunnel_types,
					      struct oracle_input *in)
{
	uint16_t proto;
	size_t off;

	memset(in, 0, sizeof(*in));
	proto = oracle_eth_type(frame, len, &off);
	if (proto && off <= len)
		oracle_classify_l3_tunnel(proto, frame + off, len - off, types,
					  tunnel_types, in);
}

/**
 * oracle_classify_eth() - hash input of an Ethernet frame
 * @frame: the frame, VLAN tags included
 * @len: bytes of @frame
 * @types: enabled VIRTIO_NET_RSS_HASH_TYPE_ flags
 * @in: the result; in->len is 0 when the frame has no hash
 */
static inline void oracle_classify_eth(const uint8_t *frame, size_t len,
				       uint32_t types, struct oracle_input *in)
{
	oracle_classify_eth_tunnel(frame, len, types, 0, in);
}

/**
 * oracle_hash() - the hash and report of a classified frame
 * @key: the configured key
 * @key_len: its size, at most ORACLE_KEY_SIZE
 * @in: the classification of the frame
 *
 * Return: hash value and report type, both 0 without a hash.
 */
static inline struct oracle_result oracle_hash(const uint8_t *key,
					       size_t key_len,
					       const struct oracle_input *in)
{
	struct oracle_result res = { 0, VIRTIO_NET_HASH_REPORT_NONE };

	if (in->len) {
		res.value = oracle_toeplitz(key, key_len, in->data, in->len);
		res.report = in->report;
	}
	return res;
}

/**
 * oracle_queue() - queue chosen by RSS
 * @res: the hash of the frame
 * @table: the indirection table
 * @mask: the indirection table mask
 * @unclassified_queue: the queue of frames without a hash
 * @numqueues: attached queues
 *
 * Return: table[hash & mask], or @unclassified_queue without a hash,
 * modulo @numqueues.
 */
static inline unsigned int oracle_queue(struct oracle_result res,
					const uint16_t *table, uint16_t mask,
					uint16_t unclassified_queue,
					unsigned int numqueues)
{
	unsigned int queue;

	if (res.report == VIRTIO_NET_HASH_REPORT_NONE)
		queue = unclassified_queue;
	else
		queue = table[res.value & mask];
	return queue % numqueues;
}

#endif /* TUN_VNET_HASH_ORACLE_H */
