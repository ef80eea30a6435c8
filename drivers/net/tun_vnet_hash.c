// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net hash report and receive side scaling for tun-like devices.
 *
 * A packet is hashed over the fields of the first enabled hash type it
 * matches, in the order of the virtio specification, with the Toeplitz
 * hash.  Every header is read with tun_vnet_hash_header(): nothing is read
 * beyond the packet, and a header the packet does not hold in full counts
 * as absent.  The packet ends where its IP length field says (the end of
 * the frame when that comes first): Ethernet padding after a short
 * datagram is not part of it.  A length of 0 means the frame's end for
 * an IPv6 jumbogram and for an IPv4 BIG TCP (GSO TCP) skb.
 */

#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/if_ether.h>
#include <linux/if_tunnel.h>
#include <linux/if_vlan.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "tun_vnet_hash.h"

#define TUN_VNET_HASH_FLAGS (TUN_VNET_HASH_REPORT | TUN_VNET_HASH_RSS)

/*
 * Configurations, every one with room for the longest table: 5,192 bytes,
 * six to a 32 KiB slab, where kmalloc would serve them from kmalloc-8k.
 * Userspace writes only the key and the table.
 */
static struct kmem_cache *tun_vnet_hash_cache;

#define TUN_VNET_HASH_CONFIG_SIZE \
	struct_size_t(struct tun_vnet_hash_config, indirection_table, \
		      TUN_VNET_HASH_MAX_TABLE_LENGTH)
#define TUN_VNET_HASH_CONFIG_USEROFFSET \
	offsetof(struct tun_vnet_hash_config, key)

/* The bytes of a packet: an skb, or the linear data of an XDP frame. */
struct tun_vnet_hash_pkt {
	const struct sk_buff *skb;	/* NULL for linear data */
	const void *data;
	unsigned int headlen;		/* bytes at @data */
	unsigned int len;
	unsigned int vlan_tags;		/* tags outside @data (skb's) */
};

/* @len bytes at @offset, in place or copied into @buf; NULL when the
 * packet does not hold them.
 *
 * The buffers of the per-packet path are __uninitialized: each is read
 * only where it was written (a header copied here, the hash input up to
 * its length).  With CONFIG_INIT_STACK_ALL_ZERO, the default with the
 * compilers that support it, zeroing them cost 80 to 110 instructions a
 * hash.
 */
static const void *tun_vnet_hash_header(const struct tun_vnet_hash_pkt *pkt,
					unsigned int offset, unsigned int len,
					void *buf)
{
	if (offset > pkt->len || len > pkt->len - offset)
		return NULL;
	return __skb_header_pointer(pkt->skb, offset, len, pkt->data,
				    pkt->headlen, buf);
}

static bool tun_vnet_hash_enabled(u32 types, u8 report)
{
	return types & BIT(report - 1);
}

/*
 * The rules of each address family, in the order of the specification:
 * the TCP type when enabled and the packet has a TCP header, else the UDP
 * type likewise, else the IP type when enabled, else no hash.
 */
static u8 tun_vnet_hash_pick(u32 types, u8 l4_proto, const __be16 *ports,
			     u8 tcp, u8 udp, u8 ip)
{
	if (ports && l4_proto == IPPROTO_TCP &&
	    tun_vnet_hash_enabled(types, tcp))
		return tcp;
	if (ports && l4_proto == IPPROTO_UDP &&
	    tun_vnet_hash_enabled(types, udp))
		return udp;
	if (tun_vnet_hash_enabled(types, ip))
		return ip;
	return VIRTIO_NET_HASH_REPORT_NONE;
}

/* The input of @report: the addresses, then the ports unless it is an IP
 * type (@ip).
 */
static void tun_vnet_hash_set_input(struct tun_vnet_hash_input *input,
				    u8 report, u8 ip, const void *src,
				    const void *dst, size_t addr_len,
				    const __be16 *ports)
{
	memcpy(input->data, src, addr_len);
	memcpy(input->data + addr_len, dst, addr_len);
	input->len = 2 * addr_len;
	if (report != ip) {
		memcpy(input->data + input->len, ports, 2 * sizeof(*ports));
		input->len += 2 * sizeof(*ports);
	}
	input->report = report;
}

/* Both ports of a TCP or UDP header at @offset, or NULL if the packet
 * ends at @end before them.
 */
static const __be16 *tun_vnet_hash_ports(const struct tun_vnet_hash_pkt *pkt,
					 unsigned int offset, unsigned int end,
					 __be16 *buf)
{
	if (offset + 2 * sizeof(*buf) > end)
		return NULL;
	return tun_vnet_hash_header(pkt, offset, 2 * sizeof(*buf), buf);
}

/* Where the IP packet at @offset ends: @len bytes on, or at the end of the
 * frame if that comes first.
 */
static unsigned int tun_vnet_hash_end(const struct tun_vnet_hash_pkt *pkt,
				      unsigned int offset, unsigned int len)
{
	return offset + min(len, pkt->len - offset);
}

/* The IPv4 header at @offset, held in full before the end of its packet,
 * which *@end is set to; NULL when there is none.  This and the two below
 * are on every packet's path: inlined, as the code they replaced was, so
 * that the tunnel rules cost nothing while no tunnel type is enabled.
 */
static __always_inline const struct iphdr *
tun_vnet_hash_ipv4(const struct tun_vnet_hash_pkt *pkt, unsigned int offset,
		   struct iphdr *buf, unsigned int *end)
{
	const struct iphdr *iph;

	iph = tun_vnet_hash_header(pkt, offset, sizeof(*buf), buf);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		return NULL;
	/* A total length of 0 on a GSO TCP skb is BIG TCP's: the skb's end
	 * is the packet's, as iph_totlen() has it.  Anywhere else it is 0.
	 */
	if (!iph->tot_len && pkt->skb && skb_is_gso(pkt->skb) &&
	    skb_is_gso_tcp(pkt->skb))
		*end = pkt->len;
	else
		*end = tun_vnet_hash_end(pkt, offset, ntohs(iph->tot_len));
	if (offset + iph->ihl * 4 > *end)
		return NULL;
	return iph;
}

/* The IPv6 header at @offset; *@end is set to the end of its packet. */
static __always_inline const struct ipv6hdr *
tun_vnet_hash_ipv6(const struct tun_vnet_hash_pkt *pkt, unsigned int offset,
		   struct ipv6hdr *buf, unsigned int *end)
{
	const struct ipv6hdr *ip6h;

	ip6h = tun_vnet_hash_header(pkt, offset, sizeof(*buf), buf);
	if (!ip6h || ip6h->version != 6)
		return NULL;

	/* A payload length of 0 is a jumbogram's: the frame's end is its end. */
	*end = pkt->len;
	if (ip6h->payload_len)
		*end = tun_vnet_hash_end(pkt, offset, sizeof(*ip6h) +
					 ntohs(ip6h->payload_len));
	return ip6h;
}

/* What the walk of an IPv6 extension header chain found. */
struct tun_vnet_hash_ipv6 {
	struct in6_addr home_address;	/* src' */
	struct in6_addr rh2_address;	/* dst' */
	bool has_home_address;
	bool has_rh2_address;
	bool has_ext;
	bool has_fragment;
	u8 upper_proto;			/* the protocol the walk reached, 0
					 * (Hop-by-Hop, never last) for none
					 */
	unsigned int upper_offset;	/* where it starts */
};

/* A Type 2 Routing Header at @offset replaces the destination. */
static void tun_vnet_hash_rh2(const struct tun_vnet_hash_pkt *pkt,
			      unsigned int offset, struct tun_vnet_hash_ipv6 *walk)
{
	struct rt2_hdr rt2_buf __uninitialized;
	const struct rt2_hdr *rt2;

	rt2 = tun_vnet_hash_header(pkt, offset, sizeof(rt2_buf), &rt2_buf);
	if (!rt2 || rt2->rt_hdr.type != IPV6_SRCRT_TYPE_2 ||
	    rt2->rt_hdr.hdrlen != 2 || rt2->rt_hdr.segments_left != 1)
		return;

	walk->rh2_address = rt2->addr;
	walk->has_rh2_address = true;
}

/* A Home Address option in the Destination Options header at @offset
 * replaces the source.
 */
static void tun_vnet_hash_hao(const struct tun_vnet_hash_pkt *pkt,
			      unsigned int offset, unsigned int len,
			      struct tun_vnet_hash_ipv6 *walk)
{
	unsigned int opt = offset + sizeof(struct ipv6_opt_hdr);
	unsigned int end = offset + len;
	u8 tlv_buf[2] __uninitialized;
	const u8 *tlv;

	while (opt < end) {
		tlv = tun_vnet_hash_header(pkt, opt, 1, tlv_buf);
		if (!tlv)
			return;
		if (tlv[0] == IPV6_TLV_PAD1) {
			opt++;
			continue;
		}
		tlv = tun_vnet_hash_header(pkt, opt, 2, tlv_buf);
		if (!tlv || opt + 2 + tlv[1] > end)
			return;
		if (tlv[0] == IPV6_TLV_HAO &&
		    tlv[1] == sizeof(struct in6_addr)) {
			const struct in6_addr *hao;

			hao = tun_vnet_hash_header(pkt, opt + 2, sizeof(*hao),
						   &walk->home_address);
			if (!hao)
				return;
			walk->home_address = *hao;
			walk->has_home_address = true;
			return;
		}
		opt += 2 + tlv[1];
	}
}

/*
 * Walk the extension headers from @nexthdr at @offset to the upper-layer
 * header, recorded in @walk: TCP or UDP for the hash, or the protocol of
 * an encapsulation.  Only a header the packet, which ends at @end, holds
 * in full counts.  ESP, No Next Header and any other protocol are upper
 * layers without ports; a truncated header or a chain longer than
 * TUN_VNET_HASH_MAX_EXT_HDRS end the walk without one.  So does a
 * Fragment header: no fragment, not even the first, has a TCP or UDP
 * header for these rules, and nothing after it is looked at.  In a later
 * fragment those bytes are payload, and the Home Address option and the
 * Type 2 Routing Header are per-fragment headers, before it (RFC 8200
 * section 4.5, RFC 6275 section 6.3): every fragment of a datagram gets
 * the same src', dst' and hash.
 */
static void tun_vnet_hash_walk_ipv6(const struct tun_vnet_hash_pkt *pkt,
				    unsigned int offset, unsigned int end,
				    u8 nexthdr, struct tun_vnet_hash_ipv6 *walk)
{
	struct ipv6_opt_hdr hdr_buf __uninitialized;
	const struct ipv6_opt_hdr *hdr;
	unsigned int i, len;

	/* Only what was found is filled in: the addresses are not zeroed. */
	walk->has_home_address = false;
	walk->has_rh2_address = false;
	walk->has_ext = false;
	walk->has_fragment = false;
	walk->upper_proto = 0;

	for (i = 0; ; i++) {
		switch (nexthdr) {
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_FRAGMENT:
		case NEXTHDR_DEST:
		case NEXTHDR_AUTH:
		case NEXTHDR_MOBILITY:
			break;
		default:
			walk->upper_proto = nexthdr;
			walk->upper_offset = offset;
			return;
		}

		if (i == TUN_VNET_HASH_MAX_EXT_HDRS ||
		    offset + sizeof(hdr_buf) > end)
			return;
		hdr = tun_vnet_hash_header(pkt, offset, sizeof(hdr_buf),
					   &hdr_buf);
		if (!hdr)
			return;
		if (nexthdr == NEXTHDR_FRAGMENT)
			len = sizeof(struct frag_hdr);
		else if (nexthdr == NEXTHDR_AUTH)
			len = ipv6_authlen(hdr);
		else
			len = ipv6_optlen(hdr);
		if (offset + len > end)
			return;

		walk->has_ext = true;
		if (nexthdr == NEXTHDR_FRAGMENT) {
			walk->has_fragment = true;
			return;
		}
		if (nexthdr == NEXTHDR_ROUTING)
			tun_vnet_hash_rh2(pkt, offset, walk);
		else if (nexthdr == NEXTHDR_DEST)
			tun_vnet_hash_hao(pkt, offset, len, walk);

		nexthdr = hdr->nexthdr;
		offset += len;
	}
}

/* The network protocol of the Ethernet frame at *@offset, 802.1Q and
 * 802.1ad tags skipped up to %VLAN_MAX_DEPTH, @depth of them already
 * counted; *@offset is moved to the network header.  0 when the frame
 * does not hold it.
 */
static __always_inline __be16
tun_vnet_hash_eth_proto(const struct tun_vnet_hash_pkt *pkt,
			unsigned int *offset, unsigned int depth)
{
	__be16 proto_buf __uninitialized;
	const __be16 *proto;

	proto = tun_vnet_hash_header(pkt,
				     *offset + offsetof(struct ethhdr, h_proto),
				     sizeof(proto_buf), &proto_buf);
	*offset += ETH_HLEN;
	for (; proto && eth_type_vlan(*proto); depth++) {
		if (depth == VLAN_MAX_DEPTH)
			return 0;
		proto = tun_vnet_hash_header(pkt, *offset +
			offsetof(struct vlan_hdr, h_vlan_encapsulated_proto),
			sizeof(proto_buf), &proto_buf);
		*offset += VLAN_HLEN;
	}
	return proto ? *proto : 0;
}

/* The header of an encapsulation and what follows it. */
struct tun_vnet_hash_tunnel {
	unsigned int end;	/* where the outer packet ends */
	bool outer_ipv6;
	unsigned int inner;	/* offset of the inner frame or IP header */
	__be16 inner_proto;	/* ETH_P_TEB for an Ethernet frame */
	struct tun_vnet_hash_pkt pkt;	/* the packet cut at @end, where
					 * the inner headers are read
					 */
};

#define TUN_VNET_HASH_VXLAN_PORT	4789	/* IANA */
#define TUN_VNET_HASH_VXLAN_GPE_PORT	4790	/* IANA */
#define TUN_VNET_HASH_GENEVE_PORT	6081	/* IANA */
#define TUN_VNET_HASH_GRE_UDP_PORT	4754	/* IANA, RFC 8086 */

#define TUN_VNET_HASH_VXLAN_HLEN	8
#define TUN_VNET_HASH_VXLAN_FLAG_I	0x08
#define TUN_VNET_HASH_GPE_VER		0x30
#define TUN_VNET_HASH_GPE_FLAG_P	0x04
#define TUN_VNET_HASH_GENEVE_HLEN	8

/* The inner protocols of GRE and GENEVE, whose Protocol Type is an
 * EtherType, and of VXLAN-GPE's Next Protocol (1, 2, 3).
 */
static bool tun_vnet_hash_inner_proto(__be16 proto,
				      struct tun_vnet_hash_tunnel *tunnel)
{
	switch (proto) {
	case htons(ETH_P_IP):
	case htons(ETH_P_IPV6):
	case htons(ETH_P_TEB):
		tunnel->inner_proto = proto;
		return true;
	}
	return false;
}

/* The types of the GRE header at @offset (C, K and S bits, version 0, no
 * other bit), or 0 when it is not one or is not held in full.  Over UDP,
 * it is GRE-in-UDP only.
 */
static u32 tun_vnet_hash_gre(const struct tun_vnet_hash_pkt *pkt,
			     unsigned int offset, bool over_udp,
			     struct tun_vnet_hash_tunnel *tunnel)
{
	__be16 gre_buf[2] __uninitialized;
	const __be16 *gre;
	unsigned int len;
	u32 types;

	if (offset + sizeof(gre_buf) > tunnel->end)
		return 0;
	gre = tun_vnet_hash_header(pkt, offset, sizeof(gre_buf), gre_buf);
	if (!gre || gre[0] & ~(GRE_CSUM | GRE_KEY | GRE_SEQ))
		return 0;

	len = sizeof(gre_buf) + 4 * (!!(gre[0] & GRE_CSUM) +
				     !!(gre[0] & GRE_KEY) +
				     !!(gre[0] & GRE_SEQ));
	if (offset + len > tunnel->end ||
	    !tun_vnet_hash_inner_proto(gre[1], tunnel))
		return 0;
	tunnel->inner = offset + len;

	if (over_udp)
		return VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_UDP;

	types = gre[0] & (GRE_KEY | GRE_SEQ) ?
		VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2890 :
		VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2784;
	if ((gre[0] & (GRE_CSUM | GRE_KEY | GRE_SEQ)) == GRE_KEY &&
	    gre[1] == htons(ETH_P_TEB))
		types |= VIRTIO_NET_HASH_TUNNEL_TYPE_NVGRE;
	/* RFC 7676: IPv6 as the delivery or as the payload protocol */
	if (tunnel->outer_ipv6 || gre[1] == htons(ETH_P_IPV6))
		types |= VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_7676;
	return types;
}

/* The type of the UDP tunnel whose UDP header is at @offset, by its
 * destination port, when it is enabled in @tunnel_types and its header is
 * valid and held in full; else 0.
 */
static u32 tun_vnet_hash_udp_tunnel(const struct tun_vnet_hash_pkt *pkt,
				    unsigned int offset, u32 tunnel_types,
				    struct tun_vnet_hash_tunnel *tunnel)
{
	struct udphdr udph_buf __uninitialized;
	u8 hdr_buf[8] __uninitialized;
	const struct udphdr *udph;
	const u8 *hdr;
	u32 type;

	if (offset + sizeof(udph_buf) > tunnel->end)
		return 0;
	udph = tun_vnet_hash_header(pkt, offset, sizeof(udph_buf), &udph_buf);
	if (!udph)
		return 0;
	offset += sizeof(*udph);

	switch (ntohs(udph->dest)) {
	case TUN_VNET_HASH_VXLAN_PORT:
		type = VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN;
		break;
	case TUN_VNET_HASH_VXLAN_GPE_PORT:
		type = VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN_GPE;
		break;
	case TUN_VNET_HASH_GENEVE_PORT:
		type = VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE;
		break;
	case TUN_VNET_HASH_GRE_UDP_PORT:
		if (!(tunnel_types & VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_UDP))
			return 0;
		return tun_vnet_hash_gre(pkt, offset, true, tunnel);
	default:
		return 0;
	}
	if (!(tunnel_types & type) || offset + sizeof(hdr_buf) > tunnel->end)
		return 0;
	/* VXLAN, VXLAN-GPE and GENEVE's fixed part are all 8 bytes. */
	hdr = tun_vnet_hash_header(pkt, offset, sizeof(hdr_buf), hdr_buf);
	if (!hdr)
		return 0;

	switch (type) {
	case VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN:
		if (!(hdr[0] & TUN_VNET_HASH_VXLAN_FLAG_I))
			return 0;
		tunnel->inner_proto = htons(ETH_P_TEB);
		tunnel->inner = offset + TUN_VNET_HASH_VXLAN_HLEN;
		return type;
	case VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN_GPE:
		if (hdr[0] & TUN_VNET_HASH_GPE_VER ||
		    !(hdr[0] & TUN_VNET_HASH_GPE_FLAG_P) ||
		    hdr[3] < 1 || hdr[3] > 3)
			return 0;
		tunnel->inner_proto = hdr[3] == 1 ? htons(ETH_P_IP) :
				      hdr[3] == 2 ? htons(ETH_P_IPV6) :
						    htons(ETH_P_TEB);
		tunnel->inner = offset + TUN_VNET_HASH_VXLAN_HLEN;
		return type;
	default: /* GENEVE: version 0, options in 4-byte units */
		tunnel->inner = offset + TUN_VNET_HASH_GENEVE_HLEN +
				4 * (hdr[0] & 0x3f);
		if (hdr[0] >> 6 || tunnel->inner > tunnel->end ||
		    !tun_vnet_hash_inner_proto(htons(hdr[2] << 8 | hdr[3]),
					       tunnel))
			return 0;
		return type;
	}
}

/*
 * Whether the payload at @payload of an outer IP packet (IPv6 if
 * @outer_ipv6) that ends at @end, of protocol @proto, is an encapsulation
 * of a type enabled in @tunnel_types, with an inner IP header held in
 * full.  If it is, @tunnel says where the inner IP header is
 * (@tunnel->inner) and which it is (@tunnel->inner_proto).  The outer
 * header must be held in full and not be a fragment, which the caller
 * checked; the encapsulation header and the inner headers must be held in
 * full within the outer packet and be well-formed.  Anything else is not
 * encapsulated.
 */
static bool tun_vnet_hash_tunnel(const struct tun_vnet_hash_pkt *pkt,
				 u8 proto, unsigned int payload,
				 unsigned int end, bool outer_ipv6,
				 u32 tunnel_types,
				 struct tun_vnet_hash_tunnel *tunnel)
{
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} buf __uninitialized;
	u32 types;

	tunnel->end = end;
	tunnel->outer_ipv6 = outer_ipv6;

	switch (proto) {
	case IPPROTO_UDP:
		types = tun_vnet_hash_udp_tunnel(pkt, payload, tunnel_types,
						 tunnel);
		break;
	case IPPROTO_GRE:
		types = tun_vnet_hash_gre(pkt, payload, false, tunnel);
		break;
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		types = VIRTIO_NET_HASH_TUNNEL_TYPE_IPIP;
		tunnel->inner = payload;
		tunnel->inner_proto = proto == IPPROTO_IPIP ? htons(ETH_P_IP) :
							      htons(ETH_P_IPV6);
		break;
	default:
		return false;
	}
	if (!(types & tunnel_types))
		return false;

	/* Inner headers count only within the outer packet. */
	tunnel->pkt = *pkt;
	tunnel->pkt.len = tunnel->end;
	tunnel->pkt.headlen = min(pkt->headlen, tunnel->end);
	if (tunnel->inner_proto == htons(ETH_P_TEB))
		tunnel->inner_proto = tun_vnet_hash_eth_proto(&tunnel->pkt,
							      &tunnel->inner,
							      0);

	if (tunnel->inner_proto == htons(ETH_P_IP)) {
		iph = tun_vnet_hash_header(&tunnel->pkt, tunnel->inner,
					   sizeof(buf.v4), &buf.v4);
		return iph && iph->version == 4 && iph->ihl >= 5 &&
		       tunnel->inner + iph->ihl * 4 <= tunnel->end;
	}
	if (tunnel->inner_proto == htons(ETH_P_IPV6)) {
		ip6h = tun_vnet_hash_header(&tunnel->pkt, tunnel->inner,
					    sizeof(buf.v6), &buf.v6);
		return ip6h && ip6h->version == 6;
	}
	return false;
}

/*
 * Classify the IPv4 packet at @offset into @input; or, when it is an
 * encapsulation enabled in @tunnel_types, leave @input and return true
 * with @tunnel saying where the inner packet is.
 */
static bool tun_vnet_hash_classify_ipv4(const struct tun_vnet_hash_pkt *pkt,
					unsigned int offset, u32 types,
					u32 tunnel_types,
					struct tun_vnet_hash_tunnel *tunnel,
					struct tun_vnet_hash_input *input)
{
	struct iphdr iph_buf __uninitialized;
	__be16 ports_buf[2] __uninitialized;
	const __be16 *ports = NULL;
	const struct iphdr *iph;
	unsigned int end;
	u8 report;

	iph = tun_vnet_hash_ipv4(pkt, offset, &iph_buf, &end);
	if (!iph)
		return false;

	if (tunnel_types && !ip_is_fragment(iph) &&
	    tun_vnet_hash_tunnel(pkt, iph->protocol, offset + iph->ihl * 4,
				 end, false, tunnel_types, tunnel))
		return true;

	/* No fragment has a TCP or UDP header, the first one included. */
	if (!ip_is_fragment(iph) &&
	    (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP))
		ports = tun_vnet_hash_ports(pkt, offset + iph->ihl * 4, end,
					    ports_buf);

	report = tun_vnet_hash_pick(types, iph->protocol, ports,
				    VIRTIO_NET_HASH_REPORT_TCPv4,
				    VIRTIO_NET_HASH_REPORT_UDPv4,
				    VIRTIO_NET_HASH_REPORT_IPv4);
	if (report == VIRTIO_NET_HASH_REPORT_NONE)
		return false;

	tun_vnet_hash_set_input(input, report, VIRTIO_NET_HASH_REPORT_IPv4,
				&iph->saddr, &iph->daddr, sizeof(iph->saddr),
				ports);
	return false;
}

/* As tun_vnet_hash_classify_ipv4(), for the IPv6 packet at @offset. */
static bool tun_vnet_hash_classify_ipv6(const struct tun_vnet_hash_pkt *pkt,
					unsigned int offset, u32 types,
					u32 tunnel_types,
					struct tun_vnet_hash_tunnel *tunnel,
					struct tun_vnet_hash_input *input)
{
	struct tun_vnet_hash_ipv6 walk __uninitialized;
	struct ipv6hdr ip6h_buf __uninitialized;
	__be16 ports_buf[2] __uninitialized;
	const struct in6_addr *src, *dst;
	const __be16 *ports = NULL;
	const struct ipv6hdr *ip6h;
	unsigned int end;
	u8 report, ip;

	ip6h = tun_vnet_hash_ipv6(pkt, offset, &ip6h_buf, &end);
	if (!ip6h)
		return false;

	tun_vnet_hash_walk_ipv6(pkt, offset + sizeof(*ip6h), end,
				ip6h->nexthdr, &walk);
	if (tunnel_types && !walk.has_fragment && walk.upper_proto &&
	    tun_vnet_hash_tunnel(pkt, walk.upper_proto, walk.upper_offset,
				 end, true, tunnel_types, tunnel))
		return true;
	if (walk.upper_proto == NEXTHDR_TCP || walk.upper_proto == NEXTHDR_UDP)
		ports = tun_vnet_hash_ports(pkt, walk.upper_offset, end,
					    ports_buf);

	/* The _EX types apply only to packets with extension headers, over
	 * src' and dst'; the plain types otherwise or when none of them
	 * applies, over the plain addresses.
	 */
	report = VIRTIO_NET_HASH_REPORT_NONE;
	if (walk.has_ext)
		report = tun_vnet_hash_pick(types, walk.upper_proto, ports,
					    VIRTIO_NET_HASH_REPORT_TCPv6_EX,
					    VIRTIO_NET_HASH_REPORT_UDPv6_EX,
					    VIRTIO_NET_HASH_REPORT_IPv6_EX);
	if (report != VIRTIO_NET_HASH_REPORT_NONE) {
		src = walk.has_home_address ? &walk.home_address :
					      &ip6h->saddr;
		dst = walk.has_rh2_address ? &walk.rh2_address : &ip6h->daddr;
		ip = VIRTIO_NET_HASH_REPORT_IPv6_EX;
	} else {
		report = tun_vnet_hash_pick(types, walk.upper_proto, ports,
					    VIRTIO_NET_HASH_REPORT_TCPv6,
					    VIRTIO_NET_HASH_REPORT_UDPv6,
					    VIRTIO_NET_HASH_REPORT_IPv6);
		if (report == VIRTIO_NET_HASH_REPORT_NONE)
			return false;
		src = &ip6h->saddr;
		dst = &ip6h->daddr;
		ip = VIRTIO_NET_HASH_REPORT_IPv6;
	}

	tun_vnet_hash_set_input(input, report, ip, src, dst, sizeof(*src),
				ports);
	return false;
}

/* The classification of tun_vnet_hash_classify(); @protocol is the
 * network protocol of a packet without an Ethernet header.
 */
static void tun_vnet_hash_classify_pkt(const struct tun_vnet_hash_pkt *pkt,
				       bool eth, __be16 protocol, u32 types,
				       u32 tunnel_types,
				       struct tun_vnet_hash_input *input)
{
	struct tun_vnet_hash_tunnel tunnel __uninitialized;
	unsigned int offset = 0;
	bool encap;

	input->len = 0;
	input->report = VIRTIO_NET_HASH_REPORT_NONE;

	if (eth)
		protocol = tun_vnet_hash_eth_proto(pkt, &offset,
						   pkt->vlan_tags);

	/*
	 * The outer header is parsed once, to classify the packet or to find
	 * its encapsulation; then, one level only (no tunnel type is enabled
	 * on the second pass), the inner packet is classified as it is.
	 */
	for (;;) {
		if (protocol == htons(ETH_P_IP))
			encap = tun_vnet_hash_classify_ipv4(pkt, offset, types,
							    tunnel_types,
							    &tunnel, input);
		else if (protocol == htons(ETH_P_IPV6))
			encap = tun_vnet_hash_classify_ipv6(pkt, offset, types,
							    tunnel_types,
							    &tunnel, input);
		else
			encap = false;
		if (!encap)
			return;

		/* With no tunnel type, @tunnel is not written again. */
		pkt = &tunnel.pkt;
		protocol = tunnel.inner_proto;
		offset = tunnel.inner;
		tunnel_types = 0;
	}
}

/**
 * tun_vnet_hash_classify - find the hash type and hash input of a packet
 * @skb: the packet; its data starts at the Ethernet header when @eth is
 *       true, else at the IP header with skb->protocol telling which
 * @eth: whether the packet has an Ethernet header (a tap device)
 * @types: enabled %VIRTIO_NET_RSS_HASH_TYPE_ flags
 * @tunnel_types: enabled %VIRTIO_NET_HASH_TUNNEL_TYPE_ flags
 * @input: filled with the hash type and input;
 *         %VIRTIO_NET_HASH_REPORT_NONE and no input when there is no hash
 *
 * 802.1Q and 802.1ad tags in the frame, up to %VLAN_MAX_DEPTH, are skipped;
 * a tag in the skb's VLAN tag, which the reader gets in the frame, counts
 * toward that depth.
 * A packet of an encapsulation enabled in @tunnel_types is classified by
 * its inner IP header, one level deep.
 */
VISIBLE_IF_KUNIT
void tun_vnet_hash_classify(const struct sk_buff *skb, bool eth, u32 types,
			    u32 tunnel_types, struct tun_vnet_hash_input *input)
{
	const struct tun_vnet_hash_pkt pkt = {
		.skb = skb,
		.data = skb->data,
		.headlen = skb_headlen(skb),
		.len = skb->len,
		.vlan_tags = skb_vlan_tag_present(skb),
	};

	tun_vnet_hash_classify_pkt(&pkt, eth, skb->protocol, types,
				   tunnel_types, input);
}
EXPORT_SYMBOL_IF_KUNIT(tun_vnet_hash_classify);

static void tun_vnet_hash_report_input(const struct tun_vnet_hash_config *config,
				       const struct tun_vnet_hash_input *input,
				       struct tun_vnet_hash_report *report)
{
	report->type = input->report;
	report->value = input->len ? toeplitz_hash(&config->toeplitz,
						   input->data, input->len) : 0;
}

/**
 * tun_vnet_hash_compute - compute the hash of a packet
 * @config: the device's configuration
 * @skb: the packet, see tun_vnet_hash_classify()
 * @eth: whether the packet has an Ethernet header
 * @report: filled with the hash value and type; 0 and
 *          %VIRTIO_NET_HASH_REPORT_NONE when there is no hash
 */
void tun_vnet_hash_compute(const struct tun_vnet_hash_config *config,
			   const struct sk_buff *skb, bool eth,
			   struct tun_vnet_hash_report *report)
{
	struct tun_vnet_hash_input input __uninitialized;

	tun_vnet_hash_classify(skb, eth, config->types, config->tunnel_types,
			       &input);
	tun_vnet_hash_report_input(config, &input, report);
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_compute, TUN_VNET_HASH);

/**
 * tun_vnet_hash_compute_data - compute the hash of a packet in linear data
 * @config: the device's configuration
 * @data: the packet, as tun_vnet_hash_classify() takes an skb's data
 * @len: bytes of @data
 * @eth: whether the packet has an Ethernet header; without one, the IP
 *       version in its first byte tells IPv4 from IPv6
 * @report: filled as by tun_vnet_hash_compute()
 *
 * For what has no skb: an XDP frame redirected into the device.
 */
void tun_vnet_hash_compute_data(const struct tun_vnet_hash_config *config,
				const void *data, unsigned int len, bool eth,
				struct tun_vnet_hash_report *report)
{
	const struct tun_vnet_hash_pkt pkt = {
		.data = data,
		.headlen = len,
		.len = len,
	};
	struct tun_vnet_hash_input input __uninitialized;
	__be16 protocol = 0;

	if (!eth && len)
		switch (*(const u8 *)data >> 4) {
		case 4:
			protocol = htons(ETH_P_IP);
			break;
		case 6:
			protocol = htons(ETH_P_IPV6);
			break;
		}

	tun_vnet_hash_classify_pkt(&pkt, eth, protocol, config->types,
				   config->tunnel_types, &input);
	tun_vnet_hash_report_input(config, &input, report);
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_compute_data, TUN_VNET_HASH);

/* The queue of a hash: inline in the per-packet path of tun too. */
static __always_inline u16
tun_vnet_hash_queue(const struct tun_vnet_hash_config *config,
		    const struct tun_vnet_hash_report *report,
		    unsigned int numqueues)
{
	u16 queue;

	if (report->type == VIRTIO_NET_HASH_REPORT_NONE)
		queue = config->unclassified_queue;
	else
		queue = config->indirection_table[report->value &
						  config->indirection_table_mask];

	return queue % numqueues;
}

/**
 * tun_vnet_hash_select_queue - pick the queue of a packet by RSS
 * @config: the device's configuration, with %TUN_VNET_HASH_RSS
 * @skb: the packet, see tun_vnet_hash_classify()
 * @eth: whether the packet has an Ethernet header
 * @numqueues: number of queues attached now
 *
 * Return: the indirection table entry that the hash selects, or the
 * unclassified queue for a packet without a hash, modulo @numqueues.
 */
u16 tun_vnet_hash_select_queue(const struct tun_vnet_hash_config *config,
			       const struct sk_buff *skb, bool eth,
			       unsigned int numqueues)
{
	struct tun_vnet_hash_report report;

	if (!numqueues)
		return 0;

	tun_vnet_hash_compute(config, skb, eth, &report);
	return tun_vnet_hash_queue(config, &report, numqueues);
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_select_queue, TUN_VNET_HASH);

/**
 * tun_vnet_hash_report_queue - pick the queue of a hash already computed
 * @config: the configuration that computed @report, with %TUN_VNET_HASH_RSS
 * @report: the hash of the packet, from tun_vnet_hash_compute()
 * @numqueues: number of queues attached now
 *
 * For a driver that reports the hash it steered by (tap), so that it
 * computes it once.
 *
 * Return: as tun_vnet_hash_select_queue().
 */
u16 tun_vnet_hash_report_queue(const struct tun_vnet_hash_config *config,
			       const struct tun_vnet_hash_report *report,
			       unsigned int numqueues)
{
	if (!numqueues)
		return 0;

	return tun_vnet_hash_queue(config, report, numqueues);
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_report_queue, TUN_VNET_HASH);

/**
 * tun_vnet_hash_put_vnet_hdr - write a whole vnet header to a reader
 * @vnet_hdr_sz: the reader's vnet header size, at least
 *               sizeof(struct virtio_net_hdr)
 * @iter: where to write it
 * @gso: the GSO and checksum fields
 * @report: the hash to report, or NULL for none
 *
 * The hash fields are written when @vnet_hdr_sz holds them; every byte
 * the driver has no value for is zero, never what the reader's buffer
 * held before.
 *
 * Return: 0, or -EFAULT when @iter is too short or faults.
 */
int tun_vnet_hash_put_vnet_hdr(size_t vnet_hdr_sz, struct iov_iter *iter,
			       const struct virtio_net_hdr *gso,
			       const struct tun_vnet_hash_report *report)
{
	struct virtio_net_hdr_v1_hash hdr = {};
	size_t len = min_t(size_t, vnet_hdr_sz, sizeof(hdr));

	BUILD_BUG_ON(sizeof(*gso) > sizeof(hdr.hdr));
	memcpy(&hdr.hdr, gso, sizeof(*gso));
	if (report && len == sizeof(hdr)) {
		hdr.hash_value = cpu_to_le32(report->value);
		hdr.hash_report = cpu_to_le16(report->type);
	}

	if (copy_to_iter(&hdr, len, iter) != len)
		return -EFAULT;
	if (vnet_hdr_sz > len &&
	    iov_iter_zero(vnet_hdr_sz - len, iter) != vnet_hdr_sz - len)
		return -EFAULT;

	return 0;
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_put_vnet_hdr, TUN_VNET_HASH);

/* The newest sizes are those of the structures */
static_assert(sizeof(struct tun_vnet_hash_cap) == TUN_VNET_HASH_CAP_SIZE_VER1);
static_assert(sizeof(struct tun_vnet_hash) == TUN_VNET_HASH_SIZE_VER1);

#define TUN_VNET_HASH_IOC_UNSIZED(cmd) \
	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

/**
 * tun_vnet_hash_ioctl_cmd - recognise the size-versioned hashing commands
 * @cmd: an ioctl command
 * @size: set to the argument size encoded in @cmd when it is recognised,
 *        else to 0
 *
 * TUNGETVNETHASHCAP and TUNSETVNETHASH take an argument of the size
 * encoded in the command, so that a later field extends the structure
 * rather than adding a command.  Any size from the first version of the
 * structure up is the same command.
 *
 * Return: %TUNGETVNETHASHCAP or %TUNSETVNETHASH for those commands of any
 * accepted size, else @cmd.
 */
unsigned int tun_vnet_hash_ioctl_cmd(unsigned int cmd, unsigned int *size)
{
	unsigned int canonical, min_size;

	*size = 0;
	switch (TUN_VNET_HASH_IOC_UNSIZED(cmd)) {
	case TUN_VNET_HASH_IOC_UNSIZED(TUNGETVNETHASHCAP):
		canonical = TUNGETVNETHASHCAP;
		min_size = TUN_VNET_HASH_CAP_SIZE_VER0;
		break;
	case TUN_VNET_HASH_IOC_UNSIZED(TUNSETVNETHASH):
		canonical = TUNSETVNETHASH;
		min_size = TUN_VNET_HASH_SIZE_VER0;
		break;
	default:
		return cmd;
	}
	if (_IOC_SIZE(cmd) < min_size)
		return cmd;

	*size = _IOC_SIZE(cmd);
	return canonical;
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_ioctl_cmd, TUN_VNET_HASH);

/**
 * tun_vnet_hash_get_cap - report what tun_vnet_hash_config_parse() accepts
 * @cap: the capability to fill
 */
void tun_vnet_hash_get_cap(struct tun_vnet_hash_cap *cap)
{
	*cap = (struct tun_vnet_hash_cap) {
		.max_indirection_table_length = TUN_VNET_HASH_MAX_TABLE_LENGTH,
		.max_key_size = TOEPLITZ_KEY_MAX,
		.types = TUN_VNET_HASH_TYPES,
		.tunnel_types = TUN_VNET_HASH_TUNNEL_TYPES,
	};
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_get_cap, TUN_VNET_HASH);

/**
 * tun_vnet_hash_get_cap_user - answer TUNGETVNETHASHCAP
 * @argp: the argument
 * @size: its size, from tun_vnet_hash_ioctl_cmd()
 *
 * Writes the capability, cut to @size bytes, and zeroes the bytes of a
 * larger argument beyond it.
 *
 * Return: 0, or -EFAULT when @argp cannot be written.
 */
int tun_vnet_hash_get_cap_user(void __user *argp, unsigned int size)
{
	struct tun_vnet_hash_cap cap;

	tun_vnet_hash_get_cap(&cap);
	if (copy_to_user(argp, &cap, min_t(size_t, size, sizeof(cap))))
		return -EFAULT;
	if (size > sizeof(cap) &&
	    clear_user(argp + sizeof(cap), size - sizeof(cap)))
		return -EFAULT;

	return 0;
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_get_cap_user, TUN_VNET_HASH);

static int tun_vnet_hash_check(const struct tun_vnet_hash *hash)
{
	unsigned int table_length;

	if (!hash->flags)
		return hash->key_size || hash->types ||
		       hash->indirection_table_mask ||
		       hash->unclassified_queue ||
		       hash->tunnel_types ? -EINVAL : 0;

	if (hash->flags & ~TUN_VNET_HASH_FLAGS ||
	    hash->types & ~TUN_VNET_HASH_TYPES ||
	    hash->tunnel_types & ~TUN_VNET_HASH_TUNNEL_TYPES ||
	    !hash->key_size || hash->key_size > TOEPLITZ_KEY_MAX)
		return -EINVAL;

	if (!(hash->flags & TUN_VNET_HASH_RSS))
		return hash->indirection_table_mask ||
		       hash->unclassified_queue ? -EINVAL : 0;

	table_length = hash->indirection_table_mask + 1;
	if (!is_power_of_2(table_length) ||
	    table_length > TUN_VNET_HASH_MAX_TABLE_LENGTH ||
	    hash->unclassified_queue >= TUN_VNET_HASH_MAX_QUEUES)
		return -EINVAL;

	return 0;
}

/* Read the header of @size bytes: the fields it lacks are 0, and bytes
 * beyond the fields known here must be 0.  copy_struct_from_sockptr()
 * would do this, but 6.12's does not check the tail of a user argument.
 */
static int tun_vnet_hash_read_header(struct tun_vnet_hash *hash,
				     sockptr_t arg, unsigned int size)
{
	int zeroed;

	memset(hash, 0, sizeof(*hash));
	if (copy_from_sockptr(hash, arg, min_t(size_t, size, sizeof(*hash))))
		return -EFAULT;
	if (size <= sizeof(*hash))
		return 0;

	zeroed = check_zeroed_sockptr(arg, sizeof(*hash),
				      size - sizeof(*hash));
	if (zeroed < 0)
		return zeroed;
	return zeroed ? 0 : -E2BIG;
}

/**
 * tun_vnet_hash_config_parse - read and check a TUNSETVNETHASH argument
 * @arg: the argument: &struct tun_vnet_hash of @size bytes, the indirection
 *       table when %TUN_VNET_HASH_RSS is set, then the key
 * @size: the size of the header, from tun_vnet_hash_ioctl_cmd()
 *
 * Return: a new configuration to free with tun_vnet_hash_config_free(),
 * NULL when the argument turns hashing off, or an ERR_PTR(): -EINVAL for
 * an argument outside the capability, -E2BIG for non-zero bytes beyond the
 * fields known here, -EFAULT when @arg cannot be read, -ENOMEM.
 */
struct tun_vnet_hash_config *tun_vnet_hash_config_parse(sockptr_t arg,
							unsigned int size)
{
	struct tun_vnet_hash_config *config;
	size_t table_length = 0, offset;
	struct tun_vnet_hash hash;
	unsigned int i;
	int err;

	err = tun_vnet_hash_read_header(&hash, arg, size);
	if (err)
		return ERR_PTR(err);

	err = tun_vnet_hash_check(&hash);
	if (err)
		return ERR_PTR(err);
	if (!hash.flags)
		return NULL;

	if (hash.flags & TUN_VNET_HASH_RSS)
		table_length = hash.indirection_table_mask + 1;

	/* Built in, the core still runs when its initcall failed. */
	if (unlikely(!tun_vnet_hash_cache))
		return ERR_PTR(-ENOMEM);

	config = kmem_cache_zalloc(tun_vnet_hash_cache, GFP_KERNEL_ACCOUNT);
	if (!config)
		return ERR_PTR(-ENOMEM);

	offset = size;
	err = -EFAULT;
	if (copy_from_sockptr_offset(config->indirection_table, arg, offset,
				     flex_array_size(config, indirection_table,
						     table_length)))
		goto err_free;
	offset += flex_array_size(config, indirection_table, table_length);

	err = -EINVAL;
	for (i = 0; i < table_length; i++)
		if (config->indirection_table[i] >= TUN_VNET_HASH_MAX_QUEUES)
			goto err_free;

	err = -EFAULT;
	if (copy_from_sockptr_offset(config->key, arg, offset, hash.key_size))
		goto err_free;

	toeplitz_expand_key(&config->toeplitz, config->key,
			    sizeof(config->key));
	config->types = hash.types;
	config->tunnel_types = hash.tunnel_types;
	config->flags = hash.flags;
	config->indirection_table_mask = hash.indirection_table_mask;
	config->unclassified_queue = hash.unclassified_queue;
	return config;

err_free:
	kmem_cache_free(tun_vnet_hash_cache, config);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_config_parse, TUN_VNET_HASH);

/**
 * tun_vnet_hash_config_free - free a configuration after an RCU grace period
 * @config: the configuration, or NULL
 */
void tun_vnet_hash_config_free(struct tun_vnet_hash_config *config)
{
	if (config)
		kfree_rcu(config, rcu);
}
EXPORT_SYMBOL_NS_GPL(tun_vnet_hash_config_free, TUN_VNET_HASH);

static int __init tun_vnet_hash_init(void)
{
	tun_vnet_hash_cache =
		kmem_cache_create_usercopy("tun_vnet_hash_config",
					   TUN_VNET_HASH_CONFIG_SIZE, 0,
					   SLAB_ACCOUNT,
					   TUN_VNET_HASH_CONFIG_USEROFFSET,
					   TUN_VNET_HASH_CONFIG_SIZE -
					   TUN_VNET_HASH_CONFIG_USEROFFSET,
					   NULL);
	return tun_vnet_hash_cache ? 0 : -ENOMEM;
}
module_init(tun_vnet_hash_init);

/* kmem_cache_destroy() waits for the kfree_rcu() still in flight. */
static void __exit tun_vnet_hash_exit(void)
{
	kmem_cache_destroy(tun_vnet_hash_cache);
}
module_exit(tun_vnet_hash_exit);

MODULE_DESCRIPTION("virtio_net hash report and RSS for tun-like devices");
MODULE_LICENSE("GPL");
