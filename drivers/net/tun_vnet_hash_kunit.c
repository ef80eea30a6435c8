// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the virtio_net hash core of tun: classification of a
 * packet into a hash type and a hash input, the hash value, the queue
 * choice and the validation of the TUNSETVNETHASH argument.
 *
 * Every frame is built byte by byte here, and every expectation is derived
 * from the fields written into the frame, never from the frame itself:
 * the hash type by the rules of the virtio specification ("Device Types /
 * Network Device", RSS and hash calculation) and the project's Decisions,
 * the hash input from the addresses and ports, and the hash value either
 * from Microsoft's published verification vectors or from toeplitz_hash()
 * over the expected input (lib/toeplitz is checked by its own suite against
 * a bit-serial reference).
 */

#include <kunit/skbuff.h>
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "tun_vnet_hash.h"

#define HT_IPV4		VIRTIO_NET_RSS_HASH_TYPE_IPv4
#define HT_TCPV4	VIRTIO_NET_RSS_HASH_TYPE_TCPv4
#define HT_UDPV4	VIRTIO_NET_RSS_HASH_TYPE_UDPv4
#define HT_IPV6		VIRTIO_NET_RSS_HASH_TYPE_IPv6
#define HT_TCPV6	VIRTIO_NET_RSS_HASH_TYPE_TCPv6
#define HT_UDPV6	VIRTIO_NET_RSS_HASH_TYPE_UDPv6
#define HT_IP_EX	VIRTIO_NET_RSS_HASH_TYPE_IP_EX
#define HT_TCP_EX	VIRTIO_NET_RSS_HASH_TYPE_TCP_EX
#define HT_UDP_EX	VIRTIO_NET_RSS_HASH_TYPE_UDP_EX

#define HR_NONE		VIRTIO_NET_HASH_REPORT_NONE
#define HR_IPV4		VIRTIO_NET_HASH_REPORT_IPv4
#define HR_TCPV4	VIRTIO_NET_HASH_REPORT_TCPv4
#define HR_UDPV4	VIRTIO_NET_HASH_REPORT_UDPv4
#define HR_IPV6		VIRTIO_NET_HASH_REPORT_IPv6
#define HR_TCPV6	VIRTIO_NET_HASH_REPORT_TCPv6
#define HR_UDPV6	VIRTIO_NET_HASH_REPORT_UDPv6
#define HR_IPV6_EX	VIRTIO_NET_HASH_REPORT_IPv6_EX
#define HR_TCPV6_EX	VIRTIO_NET_HASH_REPORT_TCPv6_EX
#define HR_UDPV6_EX	VIRTIO_NET_HASH_REPORT_UDPv6_EX

#define HT_V4		(HT_IPV4 | HT_TCPV4 | HT_UDPV4)
#define HT_V6		(HT_IPV6 | HT_TCPV6 | HT_UDPV6)
#define HT_EX		(HT_IP_EX | HT_TCP_EX | HT_UDP_EX)
#define HT_ALL		TUN_VNET_HASH_TYPES

#define VH_FRAME_MAX	384

/* Microsoft, "Verifying the RSS Hash Calculation"; also DPDK test_thash.c */
static const u8 vh_ms_key[TOEPLITZ_KEY_MAX] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/**
 * struct vnet_hash_flow - the fields a test frame is built from
 * @saddr: IPv4 (first 4 bytes) or IPv6 source address
 * @daddr: IPv4 (first 4 bytes) or IPv6 destination address
 * @hao: address of the Home Address option, when the frame has one
 * @rh2: address of the Type 2 Routing Header, when the frame has one
 * @sport: source port
 * @dport: destination port
 */
struct vnet_hash_flow {
	u8 saddr[16];
	u8 daddr[16];
	u8 hao[16];
	u8 rh2[16];
	u16 sport;
	u16 dport;
};

static const struct vnet_hash_flow vh_flow4 = {
	.saddr = { 192, 0, 2, 1 },
	.daddr = { 198, 51, 100, 2 },
	.sport = 50000,
	.dport = 443,
};

static const struct vnet_hash_flow vh_flow6 = {
	.saddr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x01, 0, 0,
		   0, 0, 0, 0, 0, 0, 0x11, 0x01 },
	.daddr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x02, 0, 0,
		   0, 0, 0, 0, 0, 0, 0x22, 0x02 },
	.hao = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0,
		 0, 0, 0, 0, 0, 0, 0xaa, 0x0a },
	.rh2 = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0b, 0, 0,
		 0, 0, 0, 0, 0, 0, 0xbb, 0x0b },
	.sport = 50000,
	.dport = 443,
};

enum vnet_hash_l3 {
	VH_IPV4 = 1,
	VH_IPV6,
	VH_ARP,
};

/* IPv6 extension headers a test frame can carry, in frame order */
enum vnet_hash_ext {
	VH_EXT_END,		/* end of the list */
	VH_EXT_HBH,		/* Hop-by-Hop Options, PadN only */
	VH_EXT_DSTOPT,		/* Destination Options, PadN only */
	VH_EXT_HAO,		/* Destination Options with a Home Address */
	VH_EXT_RH2,		/* Routing type 2, Hdr Ext Len 2, Segs Left 1 */
	VH_EXT_RH2_SEGLEFT0,	/* the same with Segments Left 0 */
	VH_EXT_RH0,		/* Routing type 0 carrying an address */
	VH_EXT_FRAG_FIRST,	/* Fragment, offset 0, M set */
	VH_EXT_FRAG_LATER,	/* Fragment, offset 1480, M clear */
	VH_EXT_AH,		/* Authentication Header, 24 bytes */
	VH_EXT_ESP,		/* Encapsulating Security Payload */
	VH_EXT_MOBILITY,	/* Mobility Header, 16 bytes */
	VH_EXT_NONXT,		/* No Next Header */
};

#define VH_EXT_MAX	18

/**
 * struct vnet_hash_shape - how a test frame is laid out, and what the
 *                          specification makes of it
 * @name: case name
 * @l3: %VH_IPV4, %VH_IPV6 or %VH_ARP
 * @raw: the skb starts at the IP header (eth == false)
 * @vlan_tags: 802.1Q tags in the frame
 * @qinq: the outer tag of the frame is 802.1ad
 * @hwaccel: the skb carries a VLAN tag in its hwaccel fields
 * @ihl: IPv4 header length in 32-bit words, 0 for 5
 * @frag_off: IPv4 fragment offset field (%IP_MF, offset)
 * @proto: protocol of the L4 header written after the IP headers
 * @l4_len: bytes of that L4 header in the frame, 0 for all of it
 * @cut: bytes removed from the end of the frame
 * @outside: bytes at the end of the frame that the IP length field leaves
 *           out, as Ethernet padding of a short datagram
 * @over: bytes the IP length field counts beyond the end of the frame
 * @jumbo: the IP length field is 0, as in an IPv6 jumbogram or an IPv4
 *         BIG TCP packet
 * @gso_tcp: the skb is a GSO TCP one (%SKB_GSO_TCPV4 or %SKB_GSO_TCPV6)
 * @ext: IPv6 extension headers, up to %VH_EXT_END
 * @expect_l4: %IPPROTO_TCP or %IPPROTO_UDP when the rules see a TCP or UDP
 *             header, 0 when they see none
 * @expect_ext: the rules see an IPv6 packet with extension headers
 * @expect_hao: src' is the Home Address
 * @expect_rh2: dst' is the Type 2 Routing Header address
 * @expect_no_ip: the packet does not hold its IP header in full: no hash
 */
struct vnet_hash_shape {
	const char *name;
	u8 l3;
	bool raw;
	u8 vlan_tags;
	bool qinq;
	bool hwaccel;
	u8 ihl;
	u16 frag_off;
	u8 proto;
	u8 l4_len;
	u8 cut;
	u8 outside;
	u8 over;
	bool jumbo;
	bool gso_tcp;
	u8 ext[VH_EXT_MAX];
	u8 expect_l4;
	bool expect_ext;
	bool expect_hao;
	bool expect_rh2;
	bool expect_no_ip;
};

/* IPv4 rules 1-4 */
static const struct vnet_hash_shape vh_ipv4_tcp = {
	.name = "ipv4_tcp", .l3 = VH_IPV4, .proto = IPPROTO_TCP,
	.expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_udp = {
	.name = "ipv4_udp", .l3 = VH_IPV4, .proto = IPPROTO_UDP,
	.expect_l4 = IPPROTO_UDP,
};

static const struct vnet_hash_shape vh_ipv4_other = {
	.name = "ipv4_other_proto_icmp", .l3 = VH_IPV4, .proto = IPPROTO_ICMP,
};

/* "IPv4 options are skipped using IHL" */
static const struct vnet_hash_shape vh_ipv4_options_tcp = {
	.name = "ipv4_options_ihl7_tcp", .l3 = VH_IPV4, .ihl = 7,
	.proto = IPPROTO_TCP, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_options_udp = {
	.name = "ipv4_options_ihl15_udp", .l3 = VH_IPV4, .ihl = 15,
	.proto = IPPROTO_UDP, .expect_l4 = IPPROTO_UDP,
};

/* Decision (fragments): no TCP/UDP header, the first fragment included */
static const struct vnet_hash_shape vh_ipv4_frag_first_tcp = {
	.name = "ipv4_frag_first_mf_tcp_no_l4", .l3 = VH_IPV4,
	.frag_off = IP_MF, .proto = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_frag_first_udp = {
	.name = "ipv4_frag_first_mf_udp_no_l4", .l3 = VH_IPV4,
	.frag_off = IP_MF, .proto = IPPROTO_UDP,
};

static const struct vnet_hash_shape vh_ipv4_frag_middle_tcp = {
	.name = "ipv4_frag_middle_tcp_no_l4", .l3 = VH_IPV4,
	.frag_off = IP_MF | 185, .proto = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_frag_later_tcp = {
	.name = "ipv4_frag_later_offset_tcp_no_l4", .l3 = VH_IPV4,
	.frag_off = 185, .proto = IPPROTO_TCP,
};

/* "A packet with a truncated L4 header ... has no TCP/UDP header" */
static const struct vnet_hash_shape vh_ipv4_tcp_trunc = {
	.name = "ipv4_tcp_truncated_ports_no_l4", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .l4_len = 3,
};

static const struct vnet_hash_shape vh_ipv4_udp_trunc = {
	.name = "ipv4_udp_truncated_ports_no_l4", .l3 = VH_IPV4,
	.proto = IPPROTO_UDP, .l4_len = 3,
};

/* Both ports and nothing else: enough for the 4-tuple. */
static const struct vnet_hash_shape vh_ipv4_tcp_ports_only = {
	.name = "ipv4_tcp_ports_only_is_l4", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .l4_len = 4, .expect_l4 = IPPROTO_TCP,
};

/* Decision (VLAN) */
static const struct vnet_hash_shape vh_ipv4_tcp_vlan = {
	.name = "ipv4_tcp_vlan_8021q", .l3 = VH_IPV4, .vlan_tags = 1,
	.proto = IPPROTO_TCP, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_udp_qinq = {
	.name = "ipv4_udp_qinq_8021ad", .l3 = VH_IPV4, .vlan_tags = 2,
	.qinq = true, .proto = IPPROTO_UDP, .expect_l4 = IPPROTO_UDP,
};

static const struct vnet_hash_shape vh_ipv4_tcp_hwaccel = {
	.name = "ipv4_tcp_vlan_hwaccel", .l3 = VH_IPV4, .hwaccel = true,
	.proto = IPPROTO_TCP, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_tcp_vlan_max = {
	.name = "ipv4_tcp_vlan_max_depth", .l3 = VH_IPV4,
	.vlan_tags = VLAN_MAX_DEPTH, .qinq = true, .proto = IPPROTO_TCP,
	.expect_l4 = IPPROTO_TCP,
};

/* The reader gets the skb's tag in the frame: one tag too many */
static const struct vnet_hash_shape vh_ipv4_tcp_hwaccel_vlan_max = {
	.name = "ipv4_tcp_hwaccel_vlan_max_depth", .l3 = VH_IPV4,
	.hwaccel = true, .vlan_tags = VLAN_MAX_DEPTH, .qinq = true,
	.proto = IPPROTO_TCP, .expect_no_ip = true,
};

/* skb->data at the IP header */
static const struct vnet_hash_shape vh_ipv4_tcp_raw = {
	.name = "ipv4_tcp_raw", .l3 = VH_IPV4, .raw = true,
	.proto = IPPROTO_TCP, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_udp_raw = {
	.name = "ipv4_udp_raw", .l3 = VH_IPV4, .raw = true,
	.proto = IPPROTO_UDP, .expect_l4 = IPPROTO_UDP,
};

static const struct vnet_hash_shape vh_ipv4_frag_raw = {
	.name = "ipv4_frag_later_raw_no_l4", .l3 = VH_IPV4, .raw = true,
	.frag_off = 185, .proto = IPPROTO_UDP,
};

/* IPv6 without extension headers: rules 1-4 with the v6 types */
static const struct vnet_hash_shape vh_ipv6_tcp = {
	.name = "ipv6_tcp", .l3 = VH_IPV6, .proto = IPPROTO_TCP,
	.expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv6_udp = {
	.name = "ipv6_udp", .l3 = VH_IPV6, .proto = IPPROTO_UDP,
	.expect_l4 = IPPROTO_UDP,
};

static const struct vnet_hash_shape vh_ipv6_other = {
	.name = "ipv6_other_proto_icmpv6", .l3 = VH_IPV6,
	.proto = IPPROTO_ICMPV6,
};

static const struct vnet_hash_shape vh_ipv6_tcp_trunc = {
	.name = "ipv6_tcp_truncated_ports_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .l4_len = 3,
};

/* IPv6 with extension headers: src', dst' */
static const struct vnet_hash_shape vh_ipv6_hao_tcp = {
	.name = "ipv6_hao_only_tcp", .l3 = VH_IPV6, .proto = IPPROTO_TCP,
	.ext = { VH_EXT_HAO }, .expect_l4 = IPPROTO_TCP, .expect_ext = true,
	.expect_hao = true,
};

static const struct vnet_hash_shape vh_ipv6_rh2_tcp = {
	.name = "ipv6_rh2_only_tcp", .l3 = VH_IPV6, .proto = IPPROTO_TCP,
	.ext = { VH_EXT_RH2 }, .expect_l4 = IPPROTO_TCP, .expect_ext = true,
	.expect_rh2 = true,
};

static const struct vnet_hash_shape vh_ipv6_hao_rh2_tcp = {
	.name = "ipv6_rh2_hao_tcp", .l3 = VH_IPV6, .proto = IPPROTO_TCP,
	.ext = { VH_EXT_RH2, VH_EXT_HAO }, .expect_l4 = IPPROTO_TCP,
	.expect_ext = true, .expect_hao = true, .expect_rh2 = true,
};

static const struct vnet_hash_shape vh_ipv6_hao_rh2_udp = {
	.name = "ipv6_hao_rh2_udp", .l3 = VH_IPV6, .proto = IPPROTO_UDP,
	.ext = { VH_EXT_HAO, VH_EXT_RH2 }, .expect_l4 = IPPROTO_UDP,
	.expect_ext = true, .expect_hao = true, .expect_rh2 = true,
};

static const struct vnet_hash_shape vh_ipv6_hao_rh2_other = {
	.name = "ipv6_rh2_hao_other_proto", .l3 = VH_IPV6,
	.proto = IPPROTO_ICMPV6, .ext = { VH_EXT_RH2, VH_EXT_HAO },
	.expect_ext = true, .expect_hao = true, .expect_rh2 = true,
};

static const struct vnet_hash_shape vh_ipv6_rh0_tcp = {
	.name = "ipv6_routing_type0_no_subst_tcp", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_RH0 },
	.expect_l4 = IPPROTO_TCP, .expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_rh2_segleft0_tcp = {
	.name = "ipv6_rh2_segleft0_no_subst_tcp", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_RH2_SEGLEFT0 },
	.expect_l4 = IPPROTO_TCP, .expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_dstopt_tcp = {
	.name = "ipv6_dstopt_without_hao_tcp", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_DSTOPT },
	.expect_l4 = IPPROTO_TCP, .expect_ext = true,
};

/* Decision (what counts as an IPv6 extension header) */
static const struct vnet_hash_shape vh_ipv6_hbh_tcp = {
	.name = "ipv6_hbh_tcp", .l3 = VH_IPV6, .proto = IPPROTO_TCP,
	.ext = { VH_EXT_HBH }, .expect_l4 = IPPROTO_TCP, .expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_hbh_udp = {
	.name = "ipv6_hbh_udp", .l3 = VH_IPV6, .proto = IPPROTO_UDP,
	.ext = { VH_EXT_HBH }, .expect_l4 = IPPROTO_UDP, .expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_ah_tcp = {
	.name = "ipv6_ah_len_4byte_units_tcp", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_AH },
	.expect_l4 = IPPROTO_TCP, .expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_mobility_udp = {
	.name = "ipv6_mobility_udp", .l3 = VH_IPV6, .proto = IPPROTO_UDP,
	.ext = { VH_EXT_MOBILITY }, .expect_l4 = IPPROTO_UDP,
	.expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_hbh_esp = {
	.name = "ipv6_hbh_esp_ends_walk_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_HBH, VH_EXT_ESP },
	.expect_ext = true,
};

/* ESP is not in the Decision's list of extension headers. */
static const struct vnet_hash_shape vh_ipv6_esp = {
	.name = "ipv6_esp_only_no_ext_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_ESP },
};

/* Nor is No Next Header. */
static const struct vnet_hash_shape vh_ipv6_nonxt = {
	.name = "ipv6_nonxt_only_no_ext_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_NONXT },
};

static const struct vnet_hash_shape vh_ipv6_hbh_nonxt = {
	.name = "ipv6_hbh_nonxt_ends_walk_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_HBH, VH_EXT_NONXT },
	.expect_ext = true,
};

/* Decision (fragments), IPv6 */
static const struct vnet_hash_shape vh_ipv6_frag_first_tcp = {
	.name = "ipv6_frag_first_tcp_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_FRAG_FIRST },
	.expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_frag_later_udp = {
	.name = "ipv6_frag_later_udp_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_UDP, .ext = { VH_EXT_FRAG_LATER },
	.expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_hao_frag_udp = {
	.name = "ipv6_hao_frag_first_udp_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_UDP, .ext = { VH_EXT_HAO, VH_EXT_FRAG_FIRST },
	.expect_ext = true, .expect_hao = true,
};

/* Decision (the walk ends at a Fragment header): what follows it is not
 * looked at.  In a later fragment it is payload, which must not pose as a
 * Home Address option or a Type 2 Routing Header.
 */
static const struct vnet_hash_shape vh_ipv6_frag_hao_tcp = {
	.name = "ipv6_frag_then_hao_ignored_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_FRAG_FIRST, VH_EXT_HAO },
	.expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_frag_later_rh2_udp = {
	.name = "ipv6_frag_later_then_rh2_ignored_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_UDP, .ext = { VH_EXT_FRAG_LATER, VH_EXT_RH2 },
	.expect_ext = true,
};

/* A chain that would end in ESP after the Fragment header: still one with
 * extension headers, the Fragment header is one.
 */
static const struct vnet_hash_shape vh_ipv6_rh2_frag_esp = {
	.name = "ipv6_rh2_frag_then_esp_ext_rh2_kept", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP,
	.ext = { VH_EXT_RH2, VH_EXT_FRAG_LATER, VH_EXT_ESP },
	.expect_ext = true, .expect_rh2 = true,
};

/* Decision (the packet's extent): the IP length field bounds the packet;
 * the bytes after it, here the real headers, are padding.
 */
static const struct vnet_hash_shape vh_ipv4_udp_ports_outside = {
	.name = "ipv4_udp_ports_in_padding_no_l4", .l3 = VH_IPV4,
	.proto = IPPROTO_UDP, .outside = 8,
};

static const struct vnet_hash_shape vh_ipv4_tcp_half_ports_outside = {
	.name = "ipv4_datagram_ends_in_tcp_ports_no_l4", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .outside = 18,
};

static const struct vnet_hash_shape vh_ipv4_tcp_padded = {
	.name = "ipv4_tcp_ports_then_padding_tcp", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .outside = 16, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_options_outside = {
	.name = "ipv4_options_past_total_length_no_hash", .l3 = VH_IPV4,
	.ihl = 6, .proto = IPPROTO_TCP, .outside = 20 + 4,
	.expect_no_ip = true,
};

static const struct vnet_hash_shape vh_ipv4_tcp_over = {
	.name = "ipv4_total_length_past_frame_tcp", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .over = 100, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_tcp_trunc_over = {
	.name = "ipv4_total_length_past_truncated_tcp_no_l4", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .l4_len = 3, .over = 17,
};

static const struct vnet_hash_shape vh_ipv4_udp_outside_raw = {
	.name = "ipv4_udp_ports_in_padding_raw_no_l4", .l3 = VH_IPV4,
	.raw = true, .proto = IPPROTO_UDP, .outside = 8,
};

static const struct vnet_hash_shape vh_ipv6_udp_ports_outside = {
	.name = "ipv6_udp_ports_in_padding_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_UDP, .outside = 6,
};

static const struct vnet_hash_shape vh_ipv6_hbh_outside = {
	.name = "ipv6_hbh_in_padding_not_ext", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_HBH }, .outside = 20 + 4,
};

static const struct vnet_hash_shape vh_ipv6_hao_tcp_outside = {
	.name = "ipv6_hao_then_tcp_in_padding_ex_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_HAO }, .outside = 20,
	.expect_ext = true, .expect_hao = true,
};

static const struct vnet_hash_shape vh_ipv6_tcp_jumbo = {
	.name = "ipv6_payload_length_0_frame_end_tcp", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .jumbo = true, .expect_l4 = IPPROTO_TCP,
};

/* IPv4 BIG TCP: total length 0 on a GSO TCP skb, the skb's end (as
 * iph_totlen()); on any other frame a total length of 0 holds no header.
 */
static const struct vnet_hash_shape vh_ipv4_tcp_big = {
	.name = "ipv4_gso_tcp_total_length_0_frame_end_tcp", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .jumbo = true, .gso_tcp = true,
	.expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv4_tcp_len0 = {
	.name = "ipv4_total_length_0_no_hash", .l3 = VH_IPV4,
	.proto = IPPROTO_TCP, .jumbo = true, .expect_no_ip = true,
};

static const struct vnet_hash_shape vh_ipv6_udp_over = {
	.name = "ipv6_payload_length_past_frame_udp", .l3 = VH_IPV6,
	.proto = IPPROTO_UDP, .over = 200, .expect_l4 = IPPROTO_UDP,
};

/* Only an extension header the packet holds in full counts: a first
 * header cut short leaves a packet without extension headers.
 */
static const struct vnet_hash_shape vh_ipv6_first_ext_trunc = {
	.name = "ipv6_truncated_first_ext_header_not_ext", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_DSTOPT },
	.cut = 20 + 4,
};

/* An IPv4 header whose IHL runs past the end of the packet is not there */
static const struct vnet_hash_shape vh_ipv4_ihl_trunc = {
	.name = "ipv4_ihl_past_end_no_hash", .l3 = VH_IPV4, .ihl = 15,
	.proto = IPPROTO_TCP, .cut = 20 + 4, .expect_no_ip = true,
};

/* "A chain that cannot be walked ... means no L4 header" */
static const struct vnet_hash_shape vh_ipv6_chain_trunc = {
	.name = "ipv6_truncated_ext_chain_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_HBH, VH_EXT_DSTOPT },
	.cut = 20 + 4, .expect_ext = true,
};

/* The two chains below are written for a bound of 16 headers. */
static_assert(TUN_VNET_HASH_MAX_EXT_HDRS == 16);

static const struct vnet_hash_shape vh_ipv6_chain_max = {
	.name = "ipv6_ext_chain_at_max_tcp", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = {
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
	},
	.expect_l4 = IPPROTO_TCP, .expect_ext = true,
};

static const struct vnet_hash_shape vh_ipv6_chain_long = {
	.name = "ipv6_ext_chain_over_max_no_l4", .l3 = VH_IPV6,
	.proto = IPPROTO_TCP, .ext = {
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
		VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT, VH_EXT_DSTOPT,
		VH_EXT_DSTOPT,
	},
	.expect_ext = true,
};

/* Decision (VLAN), IPv6 */
static const struct vnet_hash_shape vh_ipv6_tcp_vlan = {
	.name = "ipv6_tcp_vlan_8021q", .l3 = VH_IPV6, .vlan_tags = 1,
	.proto = IPPROTO_TCP, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv6_hao_rh2_tcp_qinq = {
	.name = "ipv6_rh2_hao_tcp_qinq_8021ad", .l3 = VH_IPV6,
	.vlan_tags = 2, .qinq = true, .proto = IPPROTO_TCP,
	.ext = { VH_EXT_RH2, VH_EXT_HAO }, .expect_l4 = IPPROTO_TCP,
	.expect_ext = true, .expect_hao = true, .expect_rh2 = true,
};

static const struct vnet_hash_shape vh_ipv6_udp_hwaccel = {
	.name = "ipv6_udp_vlan_hwaccel", .l3 = VH_IPV6, .hwaccel = true,
	.proto = IPPROTO_UDP, .expect_l4 = IPPROTO_UDP,
};

static const struct vnet_hash_shape vh_ipv6_tcp_raw = {
	.name = "ipv6_tcp_raw", .l3 = VH_IPV6, .raw = true,
	.proto = IPPROTO_TCP, .expect_l4 = IPPROTO_TCP,
};

static const struct vnet_hash_shape vh_ipv6_udp_raw = {
	.name = "ipv6_udp_raw", .l3 = VH_IPV6, .raw = true,
	.proto = IPPROTO_UDP, .expect_l4 = IPPROTO_UDP,
};

static const struct vnet_hash_shape vh_ipv6_hao_rh2_tcp_raw = {
	.name = "ipv6_rh2_hao_tcp_raw", .l3 = VH_IPV6, .raw = true,
	.proto = IPPROTO_TCP, .ext = { VH_EXT_RH2, VH_EXT_HAO },
	.expect_l4 = IPPROTO_TCP, .expect_ext = true, .expect_hao = true,
	.expect_rh2 = true,
};

/* Not IP: never a hash */
static const struct vnet_hash_shape vh_arp = {
	.name = "non_ip_arp", .l3 = VH_ARP,
};

static const struct vnet_hash_shape vh_arp_vlan = {
	.name = "non_ip_arp_vlan_8021q", .l3 = VH_ARP, .vlan_tags = 1,
};

static const struct vnet_hash_shape vh_arp_raw = {
	.name = "non_ip_arp_raw", .l3 = VH_ARP, .raw = true,
};

static const struct vnet_hash_shape * const vh_shapes[] = {
	&vh_ipv4_tcp, &vh_ipv4_udp, &vh_ipv4_other, &vh_ipv4_options_tcp,
	&vh_ipv4_options_udp, &vh_ipv4_frag_first_tcp,
	&vh_ipv4_frag_first_udp, &vh_ipv4_frag_middle_tcp,
	&vh_ipv4_frag_later_tcp, &vh_ipv4_tcp_trunc, &vh_ipv4_udp_trunc,
	&vh_ipv4_tcp_ports_only, &vh_ipv4_tcp_vlan, &vh_ipv4_udp_qinq,
	&vh_ipv4_tcp_hwaccel, &vh_ipv4_tcp_vlan_max, &vh_ipv4_tcp_raw,
	&vh_ipv4_udp_raw, &vh_ipv4_frag_raw,
	&vh_ipv6_tcp, &vh_ipv6_udp, &vh_ipv6_other, &vh_ipv6_tcp_trunc,
	&vh_ipv6_hao_tcp, &vh_ipv6_rh2_tcp, &vh_ipv6_hao_rh2_tcp,
	&vh_ipv6_hao_rh2_udp, &vh_ipv6_hao_rh2_other, &vh_ipv6_rh0_tcp,
	&vh_ipv6_rh2_segleft0_tcp, &vh_ipv6_dstopt_tcp, &vh_ipv6_hbh_tcp,
	&vh_ipv6_hbh_udp, &vh_ipv6_ah_tcp, &vh_ipv6_mobility_udp,
	&vh_ipv6_hbh_esp, &vh_ipv6_esp, &vh_ipv6_nonxt, &vh_ipv6_hbh_nonxt,
	&vh_ipv6_frag_first_tcp, &vh_ipv6_frag_later_udp,
	&vh_ipv6_hao_frag_udp, &vh_ipv6_frag_hao_tcp,
	&vh_ipv6_frag_later_rh2_udp, &vh_ipv6_rh2_frag_esp,
	&vh_ipv4_udp_ports_outside, &vh_ipv4_tcp_half_ports_outside,
	&vh_ipv4_tcp_padded, &vh_ipv4_options_outside, &vh_ipv4_tcp_over,
	&vh_ipv4_tcp_trunc_over, &vh_ipv4_udp_outside_raw,
	&vh_ipv6_udp_ports_outside, &vh_ipv6_hbh_outside,
	&vh_ipv6_hao_tcp_outside, &vh_ipv6_tcp_jumbo, &vh_ipv6_udp_over,
	&vh_ipv4_tcp_len0,
	&vh_ipv6_first_ext_trunc,
	&vh_ipv4_ihl_trunc, &vh_ipv6_chain_trunc, &vh_ipv6_chain_max,
	&vh_ipv6_chain_long, &vh_ipv6_tcp_vlan, &vh_ipv6_hao_rh2_tcp_qinq,
	&vh_ipv6_udp_hwaccel, &vh_ipv6_tcp_raw, &vh_ipv6_udp_raw,
	&vh_ipv6_hao_rh2_tcp_raw,
	&vh_arp, &vh_arp_vlan, &vh_arp_raw,
};

struct vnet_hash_frame {
	u8 data[VH_FRAME_MAX];
	unsigned int len;
};

static u8 *vh_put(struct vnet_hash_frame *f, unsigned int len)
{
	u8 *p = f->data + f->len;

	if (WARN_ON(f->len + len > VH_FRAME_MAX))
		return f->data;
	f->len += len;
	return p;
}

static void vh_put_be16(struct vnet_hash_frame *f, u16 val)
{
	put_unaligned_be16(val, vh_put(f, 2));
}

static u8 vh_ext_proto(u8 ext)
{
	switch (ext) {
	case VH_EXT_HBH:
		return NEXTHDR_HOP;
	case VH_EXT_DSTOPT:
	case VH_EXT_HAO:
		return NEXTHDR_DEST;
	case VH_EXT_RH2:
	case VH_EXT_RH2_SEGLEFT0:
	case VH_EXT_RH0:
		return NEXTHDR_ROUTING;
	case VH_EXT_FRAG_FIRST:
	case VH_EXT_FRAG_LATER:
		return NEXTHDR_FRAGMENT;
	case VH_EXT_AH:
		return NEXTHDR_AUTH;
	case VH_EXT_ESP:
		return NEXTHDR_ESP;
	case VH_EXT_MOBILITY:
		return NEXTHDR_MOBILITY;
	default:
		return NEXTHDR_NONE;
	}
}

static void vh_put_ext(struct vnet_hash_frame *f, u8 ext, u8 next,
		       const struct vnet_hash_flow *flow)
{
	u8 *p;

	switch (ext) {
	case VH_EXT_HBH:
	case VH_EXT_DSTOPT:
		/* Hdr Ext Len 0, one PadN option of 4 bytes */
		p = vh_put(f, 8);
		p[0] = next;
		p[2] = IPV6_TLV_PADN;
		p[3] = 4;
		break;
	case VH_EXT_HAO:
		/* Hdr Ext Len 2; PadN of 2 aligns the option at 8n + 6 */
		p = vh_put(f, 24);
		p[0] = next;
		p[1] = 2;
		p[2] = IPV6_TLV_PADN;
		p[3] = 2;
		p[6] = IPV6_TLV_HAO;
		p[7] = 16;
		memcpy(p + 8, flow->hao, 16);
		break;
	case VH_EXT_RH2:
	case VH_EXT_RH2_SEGLEFT0:
	case VH_EXT_RH0:
		p = vh_put(f, 24);
		p[0] = next;
		p[1] = 2;
		p[2] = ext == VH_EXT_RH0 ? 0 : 2;
		p[3] = ext == VH_EXT_RH2_SEGLEFT0 ? 0 : 1;
		memcpy(p + 8, flow->rh2, 16);
		break;
	case VH_EXT_FRAG_FIRST:
	case VH_EXT_FRAG_LATER:
		p = vh_put(f, 8);
		p[0] = next;
		/* Fragment Offset in 8-byte units << 3, M flag in bit 0 */
		put_unaligned_be16(ext == VH_EXT_FRAG_FIRST ? 1 : 185 << 3,
				   p + 2);
		put_unaligned_be32(0x12345678, p + 4);
		break;
	case VH_EXT_AH:
		/* Payload Len 4: (4 + 2) * 4 = 24 bytes, not (4 + 1) * 8 */
		p = vh_put(f, 24);
		p[0] = next;
		p[1] = 4;
		put_unaligned_be32(0x1000, p + 4);
		put_unaligned_be32(1, p + 8);
		memset(p + 12, 0xa5, 12);
		break;
	case VH_EXT_ESP:
		/* SPI and sequence number; what follows is ciphertext */
		p = vh_put(f, 8);
		put_unaligned_be32(0x1000, p);
		put_unaligned_be32(1, p + 4);
		break;
	case VH_EXT_MOBILITY:
		/* Header Len 1: (1 + 1) * 8 = 16 bytes, not (1 + 2) * 4 */
		p = vh_put(f, 16);
		p[0] = next;
		p[1] = 1;
		break;
	}
}

/* The L4 header; other protocols get port-like bytes as a trap. */
static void vh_put_l4(struct vnet_hash_frame *f,
		      const struct vnet_hash_shape *shape,
		      const struct vnet_hash_flow *flow)
{
	unsigned int len = shape->proto == IPPROTO_TCP ? 20 : 8;
	u8 l4[20] = {};

	put_unaligned_be16(flow->sport, l4);
	put_unaligned_be16(flow->dport, l4 + 2);
	if (shape->proto == IPPROTO_TCP) {
		put_unaligned_be32(1, l4 + 4);
		l4[12] = 5 << 4;
		l4[13] = 0x02;
		put_unaligned_be16(0xffff, l4 + 14);
	} else if (shape->proto == IPPROTO_UDP) {
		put_unaligned_be16(8, l4 + 4);
	}
	if (shape->l4_len)
		len = shape->l4_len;
	memcpy(vh_put(f, len), l4, len);
}

static u16 vh_l3_proto(const struct vnet_hash_shape *shape)
{
	switch (shape->l3) {
	case VH_IPV4:
		return ETH_P_IP;
	case VH_IPV6:
		return ETH_P_IPV6;
	default:
		return ETH_P_ARP;
	}
}

static void vh_build(struct vnet_hash_frame *f,
		     const struct vnet_hash_shape *shape,
		     const struct vnet_hash_flow *flow)
{
	static const u8 dmac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const u8 smac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	unsigned int l3, ihl, i, end;
	u8 *p;

	memset(f, 0, sizeof(*f));
	if (!shape->raw) {
		memcpy(vh_put(f, ETH_ALEN), dmac, ETH_ALEN);
		memcpy(vh_put(f, ETH_ALEN), smac, ETH_ALEN);
		for (i = 0; i < shape->vlan_tags; i++) {
			vh_put_be16(f, i == 0 && shape->qinq ? ETH_P_8021AD :
							     ETH_P_8021Q);
			vh_put_be16(f, 100 + i);
		}
		vh_put_be16(f, vh_l3_proto(shape));
	}
	l3 = f->len;

	switch (shape->l3) {
	case VH_IPV4:
		ihl = shape->ihl ?: 5;
		p = vh_put(f, ihl * 4);
		p[0] = 0x40 | ihl;
		put_unaligned_be16(0x1234, p + 4);
		put_unaligned_be16(shape->frag_off, p + 6);
		p[8] = 64;
		p[9] = shape->proto;
		memcpy(p + 12, flow->saddr, 4);
		memcpy(p + 16, flow->daddr, 4);
		/* NOPs, then End of Options List */
		memset(p + 20, IPOPT_NOOP, ihl * 4 - 20);
		if (ihl > 5)
			p[ihl * 4 - 1] = IPOPT_END;
		vh_put_l4(f, shape, flow);
		break;
	case VH_IPV6:
		p = vh_put(f, sizeof(struct ipv6hdr));
		p[0] = 0x60;
		p[6] = shape->ext[0] ? vh_ext_proto(shape->ext[0]) :
				       shape->proto;
		p[7] = 64;
		memcpy(p + 8, flow->saddr, 16);
		memcpy(p + 24, flow->daddr, 16);
		for (i = 0; i < VH_EXT_MAX && shape->ext[i]; i++)
			vh_put_ext(f, shape->ext[i],
				   i + 1 < VH_EXT_MAX && shape->ext[i + 1] ?
				   vh_ext_proto(shape->ext[i + 1]) :
				   shape->proto, flow);
		vh_put_l4(f, shape, flow);
		break;
	default:
		/* Ethernet/IPv4 ARP request */
		p = vh_put(f, 28);
		put_unaligned_be16(ARPHRD_ETHER, p);
		put_unaligned_be16(ETH_P_IP, p + 2);
		p[4] = ETH_ALEN;
		p[5] = 4;
		put_unaligned_be16(ARPOP_REQUEST, p + 6);
		memcpy(p + 8, smac, ETH_ALEN);
		memcpy(p + 14, flow->saddr, 4);
		memcpy(p + 24, flow->daddr, 4);
		break;
	}

	f->len -= shape->cut;
	/* Where the length field says the IP packet ends */
	end = f->len - shape->outside + shape->over;
	if (shape->l3 == VH_IPV4) {
		struct iphdr *iph = (struct iphdr *)(f->data + l3);

		iph->tot_len = htons(shape->jumbo ? 0 : end - l3);
		iph->check = ip_fast_csum(iph, iph->ihl);
	} else if (shape->l3 == VH_IPV6) {
		put_unaligned_be16(shape->jumbo ? 0 :
				   end - l3 - sizeof(struct ipv6hdr),
				   f->data + l3 + 4);
	}
}

/*
 * @len bytes of @data as an skb whose first @split bytes are linear and
 * the rest paged, in two fragments cut halfway: a header then straddles
 * the linear part and a page, or two fragments.  @split >= @len gives a
 * linear skb.
 */
static struct sk_buff *vh_skb_paged(struct kunit *test, const u8 *data,
				    unsigned int len, unsigned int split)
{
	unsigned int rest, half;
	struct sk_buff *skb;
	struct page *page;

	split = min(split, len);
	rest = len - split;
	half = rest / 2;
	skb = kunit_zalloc_skb(test, split, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_data(skb, data, split);
	if (!rest)
		return skb;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memcpy(page_address(page), data + split, rest);
	if (half) {
		get_page(page);
		skb_add_rx_frag(skb, 0, page, 0, half, PAGE_SIZE / 2);
	}
	skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, half,
			rest - half, PAGE_SIZE / 2);
	KUNIT_ASSERT_EQ(test, skb_headlen(skb), split);
	KUNIT_ASSERT_EQ(test, skb->len, len);
	return skb;
}

/* The frame of @shape as an skb, linear up to @split (see vh_skb_paged) */
static struct sk_buff *vh_skb_split(struct kunit *test,
				    const struct vnet_hash_shape *shape,
				    const struct vnet_hash_flow *flow,
				    unsigned int split)
{
	struct vnet_hash_frame *f;
	struct sk_buff *skb;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	vh_build(f, shape, flow);

	skb = vh_skb_paged(test, f->data, f->len, split);
	if (shape->raw) {
		skb_reset_network_header(skb);
		skb->protocol = htons(vh_l3_proto(shape));
	} else {
		skb_reset_mac_header(skb);
		skb->protocol = get_unaligned((__be16 *)(f->data + 12));
	}
	if (shape->hwaccel)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), 42);
	if (shape->gso_tcp) {
		skb_shinfo(skb)->gso_size = 1448;
		skb_shinfo(skb)->gso_type = shape->l3 == VH_IPV4 ?
					    SKB_GSO_TCPV4 : SKB_GSO_TCPV6;
	}
	kunit_kfree(test, f);
	return skb;
}

static struct sk_buff *vh_skb(struct kunit *test,
			      const struct vnet_hash_shape *shape,
			      const struct vnet_hash_flow *flow)
{
	return vh_skb_split(test, shape, flow, UINT_MAX);
}

static const struct vnet_hash_flow *
vh_default_flow(const struct vnet_hash_shape *shape)
{
	return shape->l3 == VH_IPV6 ? &vh_flow6 : &vh_flow4;
}

/*
 * The TUNSETVNETHASH argument, built back to back as the UAPI header
 * describes it, with a header of @size bytes (0: the current structure)
 * whose last byte beyond the known fields is @tail, and parsed.
 */
static struct tun_vnet_hash_config *
vh_parse_sized(struct kunit *test, const struct tun_vnet_hash *hdr,
	       unsigned int size, u8 tail, const u16 *table, const u8 *key)
{
	unsigned int table_len = 0, len;
	struct tun_vnet_hash_config *config;
	u8 *buf;

	if (!size)
		size = sizeof(*hdr);
	if (hdr->flags & TUN_VNET_HASH_RSS)
		table_len = (hdr->indirection_table_mask + 1) * sizeof(u16);
	len = size + table_len + hdr->key_size;
	buf = kzalloc(len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, hdr, min_t(size_t, size, sizeof(*hdr)));
	if (size > sizeof(*hdr))
		buf[size - 1] = tail;
	if (table_len)
		memcpy(buf + size, table, table_len);
	if (hdr->key_size)
		memcpy(buf + size + table_len, key, hdr->key_size);

	config = tun_vnet_hash_config_parse(KERNEL_SOCKPTR(buf), size);
	kfree(buf);
	return config;
}

static struct tun_vnet_hash_config *
vh_parse(struct kunit *test, const struct tun_vnet_hash *hdr,
	 const u16 *table, const u8 *key)
{
	return vh_parse_sized(test, hdr, 0, 0, table, key);
}

KUNIT_DEFINE_ACTION_WRAPPER(vh_config_free_action, tun_vnet_hash_config_free,
			    struct tun_vnet_hash_config *);

/* A valid configuration, freed at the end of the test */
static struct tun_vnet_hash_config *
vh_config(struct kunit *test, u16 flags, u32 types, const u16 *table,
	  u16 mask, u16 unclassified_queue, const u8 *key, u16 key_size)
{
	struct tun_vnet_hash hdr = {
		.flags = flags,
		.key_size = key_size,
		.types = types,
		.indirection_table_mask = mask,
		.unclassified_queue = unclassified_queue,
	};
	struct tun_vnet_hash_config *config;

	config = vh_parse(test, &hdr, table, key);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, config);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, vh_config_free_action,
						  config));
	return config;
}

static struct toeplitz_key *vh_expand(struct kunit *test, const u8 *key,
				      size_t key_len)
{
	struct toeplitz_key *tk;

	tk = kunit_kzalloc(test, sizeof(*tk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tk);
	toeplitz_expand_key(tk, key, key_len);
	return tk;
}

/**
 * struct vnet_hash_expect - what the rules make of a packet
 * @data: the hash input
 * @len: bytes of @data, 0 without a hash
 * @report: %VIRTIO_NET_HASH_REPORT_ type
 */
struct vnet_hash_expect {
	u8 data[TOEPLITZ_INPUT_MAX];
	u8 len;
	u8 report;
};

/* The classification order of the specification, over the shape's facts */
static void vh_expect(const struct vnet_hash_shape *shape,
		      const struct vnet_hash_flow *flow, u32 types,
		      struct vnet_hash_expect *exp)
{
	const u8 *src = flow->saddr, *dst = flow->daddr;
	bool tcp = shape->expect_l4 == IPPROTO_TCP;
	bool udp = shape->expect_l4 == IPPROTO_UDP;
	unsigned int alen = 16;
	bool ports = false;

	memset(exp, 0, sizeof(*exp));
	if (shape->expect_no_ip)
		return;
	switch (shape->l3) {
	case VH_IPV4:
		alen = 4;
		if (tcp && (types & HT_TCPV4))
			exp->report = HR_TCPV4;
		else if (udp && (types & HT_UDPV4))
			exp->report = HR_UDPV4;
		else if (types & HT_IPV4)
			exp->report = HR_IPV4;
		break;
	case VH_IPV6:
		if (shape->expect_ext) {
			if (tcp && (types & HT_TCP_EX))
				exp->report = HR_TCPV6_EX;
			else if (udp && (types & HT_UDP_EX))
				exp->report = HR_UDPV6_EX;
			else if (types & HT_IP_EX)
				exp->report = HR_IPV6_EX;
			if (exp->report) {
				if (shape->expect_hao)
					src = flow->hao;
				if (shape->expect_rh2)
					dst = flow->rh2;
				break;
			}
		}
		/* No extension header, or rule 4 of the _EX rules */
		if (tcp && (types & HT_TCPV6))
			exp->report = HR_TCPV6;
		else if (udp && (types & HT_UDPV6))
			exp->report = HR_UDPV6;
		else if (types & HT_IPV6)
			exp->report = HR_IPV6;
		break;
	default:
		return;
	}

	switch (exp->report) {
	case HR_NONE:
		return;
	case HR_TCPV4:
	case HR_UDPV4:
	case HR_TCPV6:
	case HR_UDPV6:
	case HR_TCPV6_EX:
	case HR_UDPV6_EX:
		ports = true;
		break;
	}
	memcpy(exp->data, src, alen);
	memcpy(exp->data + alen, dst, alen);
	exp->len = 2 * alen;
	if (ports) {
		put_unaligned_be16(flow->sport, exp->data + exp->len);
		put_unaligned_be16(flow->dport, exp->data + exp->len + 2);
		exp->len += 4;
	}
}

/*
 * Classify and hash @skb with @types enabled and compare with @exp.  Only
 * when @verbose does a mismatch report through KUnit, so that a loop over
 * many type sets can report its first mismatch only.
 */
static bool vh_check(struct kunit *test, const struct sk_buff *skb, bool eth,
		     u32 types, const struct vnet_hash_expect *exp,
		     const struct toeplitz_key *tk, bool verbose)
{
	struct tun_vnet_hash hdr = {
		.flags = TUN_VNET_HASH_REPORT,
		.key_size = TOEPLITZ_KEY_MAX,
		.types = types,
	};
	struct tun_vnet_hash_config *config;
	struct tun_vnet_hash_report report;
	struct tun_vnet_hash_input input;
	u32 value = 0;
	bool ok;

	if (exp->len)
		value = toeplitz_hash(tk, exp->data, exp->len);

	memset(&input, 0xa5, sizeof(input));
	tun_vnet_hash_classify(skb, eth, types, 0, &input);

	config = vh_parse(test, &hdr, NULL, vh_ms_key);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, config);
	memset(&report, 0xa5, sizeof(report));
	tun_vnet_hash_compute(config, skb, eth, &report);
	tun_vnet_hash_config_free(config);

	ok = input.report == exp->report && input.len == exp->len &&
	     !memcmp(input.data, exp->data, exp->len) &&
	     report.type == exp->report && report.value == value;
	if (ok || !verbose)
		return ok;

	KUNIT_EXPECT_EQ_MSG(test, input.report, exp->report,
			    "classify: report type, types %#x", types);
	KUNIT_EXPECT_EQ_MSG(test, input.len, exp->len,
			    "classify: input length, types %#x", types);
	if (input.len == exp->len)
		KUNIT_EXPECT_MEMEQ_MSG(test, input.data, exp->data, exp->len,
				       "classify: input bytes, types %#x",
				       types);
	KUNIT_EXPECT_EQ_MSG(test, report.type, exp->report,
			    "compute: report type, types %#x", types);
	KUNIT_EXPECT_EQ_MSG(test, report.value, value,
			    "compute: hash value, types %#x", types);
	return false;
}

static void vh_shape_desc(const struct vnet_hash_shape * const *shape,
			  char *desc)
{
	strscpy(desc, (*shape)->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vh_shape, vh_shapes, vh_shape_desc);

/*
 * Every packet shape against every set of enabled hash types: the 9 single
 * types, and all their combinations, which is what the order of the rules
 * is about.
 */
static void vh_classify_all_types_test(struct kunit *test)
{
	const struct vnet_hash_shape * const *param = test->param_value;
	const struct vnet_hash_shape *shape = *param;
	const struct vnet_hash_flow *flow = vh_default_flow(shape);
	unsigned int failures = 0, hashed = 0;
	struct vnet_hash_expect exp;
	struct toeplitz_key *tk;
	struct sk_buff *skb;
	u32 types;

	tk = vh_expand(test, vh_ms_key, sizeof(vh_ms_key));
	skb = vh_skb(test, shape, flow);

	for (types = 0; types <= HT_ALL; types++) {
		vh_expect(shape, flow, types, &exp);
		if (exp.len)
			hashed++;
		if (!vh_check(test, skb, !shape->raw, types, &exp, tk,
			      !failures))
			failures++;
	}
	KUNIT_EXPECT_EQ_MSG(test, failures, 0,
			    "%u of %d type sets wrong (first one above)",
			    failures, HT_ALL + 1);
	/* Every IP shape has at least its 2-tuple hash. */
	if (shape->l3 == VH_ARP || shape->expect_no_ip)
		KUNIT_EXPECT_EQ(test, hashed, 0);
	else
		KUNIT_EXPECT_GT(test, hashed, 0);
}

/**
 * struct vnet_hash_rule_case - one rule or Decision of the spec document
 * @name: the rule
 * @shape: the packet
 * @types: enabled hash types
 * @report: the type the rule gives, written out by hand
 */
struct vnet_hash_rule_case {
	const char *name;
	const struct vnet_hash_shape *shape;
	u32 types;
	u8 report;
};

static const struct vnet_hash_rule_case vh_rule_cases[] = {
	/* IPv4 */
	{ "ipv4_rule1_tcpv4", &vh_ipv4_tcp, HT_ALL, HR_TCPV4 },
	{ "ipv4_rule2_udpv4", &vh_ipv4_udp, HT_ALL, HR_UDPV4 },
	{ "ipv4_rule2_tcp_packet_not_udpv4", &vh_ipv4_tcp,
	  HT_UDPV4 | HT_IPV4, HR_IPV4 },
	{ "ipv4_rule3_ipv4_without_tcpv4", &vh_ipv4_tcp, HT_IPV4 | HT_V6,
	  HR_IPV4 },
	{ "ipv4_rule3_other_proto", &vh_ipv4_other, HT_ALL, HR_IPV4 },
	{ "ipv4_rule4_none", &vh_ipv4_tcp, HT_V6 | HT_EX, HR_NONE },
	{ "ipv4_rule4_other_proto_l4_types_only", &vh_ipv4_other,
	  HT_TCPV4 | HT_UDPV4, HR_NONE },
	{ "ipv4_options_skipped_by_ihl", &vh_ipv4_options_tcp, HT_ALL,
	  HR_TCPV4 },
	{ "ipv4_options_max_ihl", &vh_ipv4_options_udp, HT_ALL, HR_UDPV4 },
	/* IPv6 without extension headers */
	{ "ipv6_rule1_tcpv6", &vh_ipv6_tcp, HT_ALL, HR_TCPV6 },
	{ "ipv6_rule2_udpv6", &vh_ipv6_udp, HT_ALL, HR_UDPV6 },
	{ "ipv6_rule3_ipv6", &vh_ipv6_tcp, HT_IPV6 | HT_UDPV6, HR_IPV6 },
	{ "ipv6_rule3_other_proto", &vh_ipv6_other, HT_ALL, HR_IPV6 },
	{ "ipv6_rule4_none", &vh_ipv6_tcp, HT_V4, HR_NONE },
	/* Decision (spec-exact): no _EX without an extension header */
	{ "decision_ex_never_without_ext_none", &vh_ipv6_tcp, HT_EX,
	  HR_NONE },
	{ "decision_ex_never_without_ext_udp", &vh_ipv6_udp,
	  HT_EX | HT_IPV6, HR_IPV6 },
	{ "decision_ex_never_without_ext_tcpv6", &vh_ipv6_tcp, HT_ALL,
	  HR_TCPV6 },
	/* IPv6 with extension headers */
	{ "ipv6ex_rule1_tcp_ex", &vh_ipv6_hao_rh2_tcp, HT_ALL, HR_TCPV6_EX },
	{ "ipv6ex_rule1_tcp_ex_only", &vh_ipv6_hao_rh2_tcp, HT_TCP_EX,
	  HR_TCPV6_EX },
	{ "ipv6ex_rule2_udp_ex", &vh_ipv6_hao_rh2_udp, HT_ALL, HR_UDPV6_EX },
	{ "ipv6ex_rule2_tcp_packet_not_udp_ex", &vh_ipv6_hao_rh2_tcp,
	  HT_UDP_EX | HT_IP_EX, HR_IPV6_EX },
	{ "ipv6ex_rule3_ip_ex_before_tcpv6", &vh_ipv6_hao_rh2_tcp,
	  HT_IP_EX | HT_V6, HR_IPV6_EX },
	{ "ipv6ex_rule3_ip_ex_other_proto", &vh_ipv6_hao_rh2_other, HT_ALL,
	  HR_IPV6_EX },
	{ "ipv6ex_rule4_fallback_tcpv6_plain_addrs", &vh_ipv6_hao_rh2_tcp,
	  HT_V6, HR_TCPV6 },
	{ "ipv6ex_rule4_fallback_udpv6_plain_addrs", &vh_ipv6_hao_rh2_udp,
	  HT_UDPV6 | HT_TCP_EX, HR_UDPV6 },
	{ "ipv6ex_rule4_fallback_ipv6_plain_addrs", &vh_ipv6_hao_rh2_tcp,
	  HT_IPV6 | HT_UDP_EX, HR_IPV6 },
	{ "ipv6ex_rule4_none", &vh_ipv6_hao_rh2_tcp, HT_V4 | HT_UDP_EX,
	  HR_NONE },
	{ "ipv6ex_src_is_hao", &vh_ipv6_hao_tcp, HT_TCP_EX, HR_TCPV6_EX },
	{ "ipv6ex_dst_is_rh2", &vh_ipv6_rh2_tcp, HT_IP_EX, HR_IPV6_EX },
	{ "ipv6ex_routing_not_type2_no_subst", &vh_ipv6_rh0_tcp, HT_ALL,
	  HR_TCPV6_EX },
	{ "ipv6ex_rh2_segleft0_no_subst", &vh_ipv6_rh2_segleft0_tcp, HT_ALL,
	  HR_TCPV6_EX },
	{ "ipv6ex_dstopt_without_hao_no_subst", &vh_ipv6_dstopt_tcp, HT_ALL,
	  HR_TCPV6_EX },
	/* Decision (what counts as an IPv6 extension header) */
	{ "decision_ext_hbh", &vh_ipv6_hbh_tcp, HT_ALL, HR_TCPV6_EX },
	{ "decision_ext_hbh_udp", &vh_ipv6_hbh_udp, HT_ALL, HR_UDPV6_EX },
	{ "decision_ext_routing", &vh_ipv6_rh2_tcp, HT_ALL, HR_TCPV6_EX },
	{ "decision_ext_dstopt", &vh_ipv6_hao_tcp, HT_ALL, HR_TCPV6_EX },
	{ "decision_ext_ah_len_4byte_units", &vh_ipv6_ah_tcp, HT_ALL,
	  HR_TCPV6_EX },
	{ "decision_ext_mobility", &vh_ipv6_mobility_udp, HT_ALL,
	  HR_UDPV6_EX },
	{ "decision_ext_esp_ends_walk", &vh_ipv6_hbh_esp, HT_ALL,
	  HR_IPV6_EX },
	{ "decision_ext_esp_not_ext_header", &vh_ipv6_esp, HT_ALL, HR_IPV6 },
	{ "decision_ext_esp_alone_ex_types_only", &vh_ipv6_esp, HT_EX,
	  HR_NONE },
	{ "decision_ext_nonxt_not_ext_header", &vh_ipv6_nonxt, HT_ALL,
	  HR_IPV6 },
	{ "decision_ext_nonxt_alone_ex_types_only", &vh_ipv6_nonxt, HT_EX,
	  HR_NONE },
	{ "decision_ext_nonxt_ends_walk", &vh_ipv6_hbh_nonxt, HT_ALL,
	  HR_IPV6_EX },
	{ "decision_ext_truncated_chain", &vh_ipv6_chain_trunc, HT_ALL,
	  HR_IPV6_EX },
	{ "decision_ext_truncated_chain_fallback", &vh_ipv6_chain_trunc,
	  HT_V6, HR_IPV6 },
	{ "decision_ext_chain_at_max", &vh_ipv6_chain_max, HT_ALL,
	  HR_TCPV6_EX },
	{ "decision_ext_chain_over_max", &vh_ipv6_chain_long, HT_ALL,
	  HR_IPV6_EX },
	{ "decision_ext_chain_over_max_fallback", &vh_ipv6_chain_long,
	  HT_TCPV6 | HT_IPV6, HR_IPV6 },
	/* Decision (fragments) */
	{ "decision_frag_ipv4_first", &vh_ipv4_frag_first_tcp, HT_ALL,
	  HR_IPV4 },
	{ "decision_frag_ipv4_first_udp", &vh_ipv4_frag_first_udp, HT_ALL,
	  HR_IPV4 },
	{ "decision_frag_ipv4_middle", &vh_ipv4_frag_middle_tcp, HT_ALL,
	  HR_IPV4 },
	{ "decision_frag_ipv4_later", &vh_ipv4_frag_later_tcp, HT_ALL,
	  HR_IPV4 },
	{ "decision_frag_ipv4_l4_types_only", &vh_ipv4_frag_first_tcp,
	  HT_TCPV4 | HT_UDPV4, HR_NONE },
	{ "decision_frag_ipv6_first", &vh_ipv6_frag_first_tcp, HT_ALL,
	  HR_IPV6_EX },
	{ "decision_frag_ipv6_first_fallback", &vh_ipv6_frag_first_tcp,
	  HT_V6, HR_IPV6 },
	{ "decision_frag_ipv6_later", &vh_ipv6_frag_later_udp, HT_ALL,
	  HR_IPV6_EX },
	{ "decision_frag_ipv6_hao_kept", &vh_ipv6_hao_frag_udp, HT_ALL,
	  HR_IPV6_EX },
	/* Decision (the walk ends at a Fragment header) */
	{ "decision_frag_ipv6_hao_after_frag_ignored", &vh_ipv6_frag_hao_tcp,
	  HT_ALL, HR_IPV6_EX },
	{ "decision_frag_ipv6_rh2_after_later_frag_ignored",
	  &vh_ipv6_frag_later_rh2_udp, HT_ALL, HR_IPV6_EX },
	{ "decision_frag_ipv6_rh2_before_frag_kept", &vh_ipv6_rh2_frag_esp,
	  HT_ALL, HR_IPV6_EX },
	{ "decision_frag_ipv6_ext_despite_esp_after", &vh_ipv6_rh2_frag_esp,
	  HT_IP_EX, HR_IPV6_EX },
	/* Decision (the packet's extent) */
	{ "decision_extent_ipv4_udp_ports_in_padding",
	  &vh_ipv4_udp_ports_outside, HT_ALL, HR_IPV4 },
	{ "decision_extent_ipv4_ends_in_tcp_ports",
	  &vh_ipv4_tcp_half_ports_outside, HT_ALL, HR_IPV4 },
	{ "decision_extent_ipv4_tcp_ports_then_padding", &vh_ipv4_tcp_padded,
	  HT_ALL, HR_TCPV4 },
	{ "decision_extent_ipv4_options_past_total_length",
	  &vh_ipv4_options_outside, HT_ALL, HR_NONE },
	{ "decision_extent_ipv4_frame_end_bounds", &vh_ipv4_tcp_over, HT_ALL,
	  HR_TCPV4 },
	{ "decision_extent_ipv4_frame_end_bounds_truncated",
	  &vh_ipv4_tcp_trunc_over, HT_ALL, HR_IPV4 },
	{ "decision_extent_ipv4_raw_udp_ports_in_padding",
	  &vh_ipv4_udp_outside_raw, HT_ALL, HR_IPV4 },
	{ "decision_extent_ipv6_udp_ports_in_padding",
	  &vh_ipv6_udp_ports_outside, HT_ALL, HR_IPV6 },
	{ "decision_extent_ipv6_hbh_in_padding", &vh_ipv6_hbh_outside, HT_ALL,
	  HR_IPV6 },
	{ "decision_extent_ipv6_hbh_in_padding_ex_only", &vh_ipv6_hbh_outside,
	  HT_EX, HR_NONE },
	{ "decision_extent_ipv6_tcp_in_padding_after_hao",
	  &vh_ipv6_hao_tcp_outside, HT_ALL, HR_IPV6_EX },
	{ "decision_extent_ipv6_jumbo_frame_end", &vh_ipv6_tcp_jumbo, HT_ALL,
	  HR_TCPV6 },
	{ "decision_extent_ipv6_frame_end_bounds", &vh_ipv6_udp_over, HT_ALL,
	  HR_UDPV6 },
	{ "decision_extent_ipv4_big_tcp_frame_end", &vh_ipv4_tcp_big, HT_ALL,
	  HR_TCPV4 },
	{ "decision_extent_ipv4_big_tcp_ip_type", &vh_ipv4_tcp_big,
	  HT_IPV4 | HT_UDPV4, HR_IPV4 },
	{ "decision_extent_ipv4_total_length_0_not_gso", &vh_ipv4_tcp_len0,
	  HT_ALL, HR_NONE },
	{ "decision_ext_truncated_first_header", &vh_ipv6_first_ext_trunc,
	  HT_ALL, HR_IPV6 },
	{ "ipv4_ihl_past_end", &vh_ipv4_ihl_trunc, HT_ALL, HR_NONE },
	/* Truncated L4 */
	{ "truncated_l4_ipv4_tcp", &vh_ipv4_tcp_trunc, HT_ALL, HR_IPV4 },
	{ "truncated_l4_ipv4_udp", &vh_ipv4_udp_trunc, HT_ALL, HR_IPV4 },
	{ "truncated_l4_ipv6_tcp", &vh_ipv6_tcp_trunc, HT_ALL, HR_IPV6 },
	{ "l4_ports_only_is_enough", &vh_ipv4_tcp_ports_only, HT_ALL,
	  HR_TCPV4 },
	/* Decision (VLAN) */
	{ "decision_vlan_8021q_ipv4", &vh_ipv4_tcp_vlan, HT_ALL, HR_TCPV4 },
	{ "decision_vlan_8021q_ipv6", &vh_ipv6_tcp_vlan, HT_ALL, HR_TCPV6 },
	{ "decision_vlan_qinq_ipv4", &vh_ipv4_udp_qinq, HT_ALL, HR_UDPV4 },
	{ "decision_vlan_qinq_ipv6_ex", &vh_ipv6_hao_rh2_tcp_qinq, HT_ALL,
	  HR_TCPV6_EX },
	{ "decision_vlan_max_depth", &vh_ipv4_tcp_vlan_max, HT_ALL,
	  HR_TCPV4 },
	{ "decision_vlan_hwaccel_ipv4", &vh_ipv4_tcp_hwaccel, HT_ALL,
	  HR_TCPV4 },
	{ "decision_vlan_hwaccel_ipv6", &vh_ipv6_udp_hwaccel, HT_ALL,
	  HR_UDPV6 },
	{ "decision_vlan_hwaccel_counts_toward_max_depth",
	  &vh_ipv4_tcp_hwaccel_vlan_max, HT_ALL, HR_NONE },
	/* skb at the IP header */
	{ "raw_ipv4_tcp", &vh_ipv4_tcp_raw, HT_ALL, HR_TCPV4 },
	{ "raw_ipv4_udp", &vh_ipv4_udp_raw, HT_ALL, HR_UDPV4 },
	{ "raw_ipv4_frag", &vh_ipv4_frag_raw, HT_ALL, HR_IPV4 },
	{ "raw_ipv6_udp", &vh_ipv6_udp_raw, HT_ALL, HR_UDPV6 },
	{ "raw_ipv6_ex", &vh_ipv6_hao_rh2_tcp_raw, HT_ALL, HR_TCPV6_EX },
	/* Not IP */
	{ "non_ip_arp_none", &vh_arp, HT_ALL, HR_NONE },
	{ "non_ip_arp_vlan_none", &vh_arp_vlan, HT_ALL, HR_NONE },
	{ "non_ip_arp_raw_none", &vh_arp_raw, HT_ALL, HR_NONE },
};

KUNIT_ARRAY_PARAM_DESC(vh_rule, vh_rule_cases, name);

static void vh_rule_test(struct kunit *test)
{
	const struct vnet_hash_rule_case *param = test->param_value;
	const struct vnet_hash_flow *flow = vh_default_flow(param->shape);
	struct vnet_hash_expect exp;
	struct toeplitz_key *tk;
	struct sk_buff *skb;

	/* The hand-written type and the oracle must agree. */
	vh_expect(param->shape, flow, param->types, &exp);
	KUNIT_ASSERT_EQ_MSG(test, exp.report, param->report,
			    "test oracle disagrees with the case table");

	tk = vh_expand(test, vh_ms_key, sizeof(vh_ms_key));
	skb = vh_skb(test, param->shape, flow);
	vh_check(test, skb, !param->shape->raw, param->types, &exp, tk, true);
}

/*
 * The linear data of an XDP frame, which has no skb: every shape, under a
 * few type sets, must hash as the rules say.  Without an Ethernet header
 * the IP version of the first byte gives the protocol.
 */
static void vh_compute_data_test(struct kunit *test)
{
	static const u32 type_sets[] = {
		HT_ALL, HT_V4 | HT_V6, HT_EX, HT_IPV4 | HT_IPV6 | HT_IP_EX,
		HT_TCPV4 | HT_UDPV6 | HT_UDP_EX,
	};
	const struct vnet_hash_shape * const *param = test->param_value;
	const struct vnet_hash_shape *shape = *param;
	const struct vnet_hash_flow *flow = vh_default_flow(shape);
	struct tun_vnet_hash_config *config;
	struct tun_vnet_hash_report report;
	struct vnet_hash_expect exp;
	struct vnet_hash_frame *f;
	struct toeplitz_key *tk;
	unsigned int i;
	u32 value;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	vh_build(f, shape, flow);
	tk = vh_expand(test, vh_ms_key, sizeof(vh_ms_key));

	for (i = 0; i < ARRAY_SIZE(type_sets); i++) {
		vh_expect(shape, flow, type_sets[i], &exp);
		value = exp.len ? toeplitz_hash(tk, exp.data, exp.len) : 0;
		config = vh_config(test, TUN_VNET_HASH_REPORT, type_sets[i],
				   NULL, 0, 0, vh_ms_key, sizeof(vh_ms_key));
		memset(&report, 0xa5, sizeof(report));
		tun_vnet_hash_compute_data(config, f->data, f->len,
					   !shape->raw, &report);
		KUNIT_EXPECT_EQ_MSG(test, report.type, exp.report,
				    "types %#x", type_sets[i]);
		KUNIT_EXPECT_EQ_MSG(test, report.value, value, "types %#x",
				    type_sets[i]);
	}
}

/* The same flow must classify the same with or without its hwaccel tag. */
static void vh_hwaccel_same_as_untagged_test(struct kunit *test)
{
	static const struct vnet_hash_shape * const pairs[][2] = {
		{ &vh_ipv4_tcp, &vh_ipv4_tcp_hwaccel },
		{ &vh_ipv6_udp, &vh_ipv6_udp_hwaccel },
	};
	struct tun_vnet_hash_input plain, tagged;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		const struct vnet_hash_flow *flow;

		flow = vh_default_flow(pairs[i][0]);
		memset(&plain, 0, sizeof(plain));
		memset(&tagged, 0xa5, sizeof(tagged));
		tun_vnet_hash_classify(vh_skb(test, pairs[i][0], flow), true,
				       HT_ALL, 0, &plain);
		tun_vnet_hash_classify(vh_skb(test, pairs[i][1], flow), true,
				       HT_ALL, 0, &tagged);
		KUNIT_EXPECT_NE(test, plain.report, HR_NONE);
		KUNIT_EXPECT_EQ(test, tagged.report, plain.report);
		KUNIT_EXPECT_EQ(test, tagged.len, plain.len);
		KUNIT_EXPECT_MEMEQ(test, tagged.data, plain.data, plain.len);
	}
}

/**
 * struct vnet_hash_ms_vector - a row of Microsoft's verification table
 * @name: case name
 * @ipv6: the addresses are IPv6
 * @flow: addresses and ports
 * @hash_2tuple: published IPv4/IPv6 hash
 * @hash_4tuple: published TCPv4/TCPv6 hash
 */
struct vnet_hash_ms_vector {
	const char *name;
	bool ipv6;
	struct vnet_hash_flow flow;
	u32 hash_2tuple;
	u32 hash_4tuple;
};

/*
 * Microsoft, "Verifying the RSS Hash Calculation" (the spec document's
 * table; also DPDK app/test/test_thash.c).  The source is listed first
 * here: it comes first in the hash input.
 */
static const struct vnet_hash_ms_vector vh_ms_vectors[] = {
	{ "ms_ipv4_1", false,
	  { { 66, 9, 149, 187 }, { 161, 142, 100, 80 }, {}, {}, 2794, 1766 },
	  0x323e8fc2, 0x51ccc178 },
	{ "ms_ipv4_2", false,
	  { { 199, 92, 111, 2 }, { 65, 69, 140, 83 }, {}, {}, 14230, 4739 },
	  0xd718262a, 0xc626b0ea },
	{ "ms_ipv4_3", false,
	  { { 24, 19, 198, 95 }, { 12, 22, 207, 184 }, {}, {}, 12898, 38024 },
	  0xd2d0a5de, 0x5c2b394a },
	{ "ms_ipv4_4", false,
	  { { 38, 27, 205, 30 }, { 209, 142, 163, 6 }, {}, {}, 48228, 2217 },
	  0x82989176, 0xafc7327f },
	{ "ms_ipv4_5", false,
	  { { 153, 39, 163, 191 }, { 202, 188, 127, 2 }, {}, {}, 44251, 1303 },
	  0x5d1809c5, 0x10e828a2 },
	{
		.name = "ms_ipv6_1",
		.ipv6 = true,
		.flow = {
			/* 3ffe:2501:200:1fff::7 */
			.saddr = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f,
				   0xff, 0, 0, 0, 0, 0, 0, 0, 0x07 },
			/* 3ffe:2501:200:3::1 */
			.daddr = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00,
				   0x03, 0, 0, 0, 0, 0, 0, 0, 0x01 },
			.sport = 2794,
			.dport = 1766,
		},
		.hash_2tuple = 0x2cc18cd5,
		.hash_4tuple = 0x40207d3d,
	},
	{
		.name = "ms_ipv6_2",
		.ipv6 = true,
		.flow = {
			/* 3ffe:501:8::260:97ff:fe40:efab */
			.saddr = { 0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0x00,
				   0x00, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40,
				   0xef, 0xab },
			/* ff02::1 */
			.daddr = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 0x01 },
			.sport = 14230,
			.dport = 4739,
		},
		.hash_2tuple = 0x0f0c461c,
		.hash_4tuple = 0xdde51bbf,
	},
	{
		.name = "ms_ipv6_3",
		.ipv6 = true,
		.flow = {
			/* 3ffe:1900:4545:3:200:f8ff:fe21:67cf */
			.saddr = { 0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00,
				   0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21,
				   0x67, 0xcf },
			/* fe80::200:f8ff:fe21:67cf */
			.daddr = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				   0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67,
				   0xcf },
			.sport = 44251,
			.dport = 38024,
		},
		.hash_2tuple = 0x4b61e985,
		.hash_4tuple = 0x02d1feef,
	},
};

KUNIT_ARRAY_PARAM_DESC(vh_ms, vh_ms_vectors, name);

static void vh_ms_expect(struct kunit *test,
			 const struct vnet_hash_shape *shape,
			 const struct vnet_hash_flow *flow, u32 types,
			 u8 report, u32 value)
{
	struct tun_vnet_hash_config *config;
	struct tun_vnet_hash_report rep;

	config = vh_config(test, TUN_VNET_HASH_REPORT, types, NULL, 0, 0,
			   vh_ms_key, sizeof(vh_ms_key));
	memset(&rep, 0xa5, sizeof(rep));
	tun_vnet_hash_compute(config, vh_skb(test, shape, flow), !shape->raw,
			      &rep);
	KUNIT_EXPECT_EQ_MSG(test, rep.type, report, "%s, types %#x",
			    shape->name, types);
	KUNIT_EXPECT_EQ_MSG(test, rep.value, value, "%s, types %#x",
			    shape->name, types);
}

/* The published numbers through the whole path: frame to hash. */
static void vh_ms_vector_test(struct kunit *test)
{
	const struct vnet_hash_ms_vector *v = test->param_value;
	const struct vnet_hash_flow *flow = &v->flow;

	if (!v->ipv6) {
		vh_ms_expect(test, &vh_ipv4_tcp, flow, HT_IPV4, HR_IPV4,
			     v->hash_2tuple);
		vh_ms_expect(test, &vh_ipv4_tcp, flow, HT_TCPV4, HR_TCPV4,
			     v->hash_4tuple);
		vh_ms_expect(test, &vh_ipv4_tcp_raw, flow, HT_IPV4,
			     HR_IPV4, v->hash_2tuple);
		vh_ms_expect(test, &vh_ipv4_tcp_raw, flow, HT_V4, HR_TCPV4,
			     v->hash_4tuple);
		vh_ms_expect(test, &vh_ipv4_tcp_vlan, flow, HT_ALL, HR_TCPV4,
			     v->hash_4tuple);
		return;
	}
	vh_ms_expect(test, &vh_ipv6_tcp, flow, HT_IPV6, HR_IPV6,
		     v->hash_2tuple);
	vh_ms_expect(test, &vh_ipv6_tcp, flow, HT_TCPV6, HR_TCPV6,
		     v->hash_4tuple);
	vh_ms_expect(test, &vh_ipv6_tcp_raw, flow, HT_ALL, HR_TCPV6,
		     v->hash_4tuple);
	/* An extension header without HAO/RH2: src' and dst' are plain. */
	vh_ms_expect(test, &vh_ipv6_hbh_tcp, flow, HT_IP_EX, HR_IPV6_EX,
		     v->hash_2tuple);
	vh_ms_expect(test, &vh_ipv6_hbh_tcp, flow, HT_TCP_EX, HR_TCPV6_EX,
		     v->hash_4tuple);
	vh_ms_expect(test, &vh_ipv6_hbh_tcp, flow, HT_IPV6, HR_IPV6,
		     v->hash_2tuple);
}

/* Decision: a key shorter than 40 bytes is zero-extended to 40. */
static void vh_short_key_test(struct kunit *test)
{
	static const u8 short_key[13] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
		0x41, 0x67, 0x25, 0x3d, 0x43,
	};
	const struct vnet_hash_flow *flow = &vh_flow6;
	struct tun_vnet_hash_config *config;
	struct tun_vnet_hash_report report;
	u8 key[TOEPLITZ_KEY_MAX] = {};
	struct vnet_hash_expect exp;
	struct toeplitz_key *tk;

	memcpy(key, short_key, sizeof(short_key));
	tk = vh_expand(test, key, sizeof(key));
	config = vh_config(test, TUN_VNET_HASH_REPORT, HT_ALL, NULL, 0, 0,
			   short_key, sizeof(short_key));
	KUNIT_EXPECT_MEMEQ(test, config->key, key, sizeof(key));

	/* The IPv6 4-tuple uses key bytes up to the 40th. */
	vh_expect(&vh_ipv6_tcp, flow, HT_ALL, &exp);
	KUNIT_ASSERT_EQ(test, exp.len, 36);
	tun_vnet_hash_compute(config, vh_skb(test, &vh_ipv6_tcp, flow), true,
			      &report);
	KUNIT_EXPECT_EQ(test, report.type, HR_TCPV6);
	KUNIT_EXPECT_EQ(test, report.value,
			toeplitz_hash(tk, exp.data, exp.len));
}

static void vh_compute_none_test(struct kunit *test)
{
	struct tun_vnet_hash_config *config;
	struct tun_vnet_hash_report report;

	config = vh_config(test, TUN_VNET_HASH_REPORT, HT_ALL, NULL, 0, 0,
			   vh_ms_key, sizeof(vh_ms_key));
	memset(&report, 0xa5, sizeof(report));
	tun_vnet_hash_compute(config, vh_skb(test, &vh_arp, &vh_flow4), true,
			      &report);
	KUNIT_EXPECT_EQ(test, report.type, HR_NONE);
	KUNIT_EXPECT_EQ(test, report.value, 0);

	/* An enabled type set with no type for this packet */
	config = vh_config(test, TUN_VNET_HASH_REPORT, HT_V6, NULL, 0, 0,
			   vh_ms_key, sizeof(vh_ms_key));
	memset(&report, 0xa5, sizeof(report));
	tun_vnet_hash_compute(config, vh_skb(test, &vh_ipv4_tcp, &vh_flow4),
			      true, &report);
	KUNIT_EXPECT_EQ(test, report.type, HR_NONE);
	KUNIT_EXPECT_EQ(test, report.value, 0);
}

static const u16 vh_table8[8] = { 5, 200, 17, 3, 255, 64, 9, 128 };

/* queue = table[hash & mask] modulo the number of queues */
static void vh_select_queue_table_test(struct kunit *test)
{
	static const unsigned int numqueues[] = { 256, 7, 1 };
	struct tun_vnet_hash_config *config;
	struct vnet_hash_flow flow = vh_flow4;
	struct vnet_hash_expect exp;
	struct toeplitz_key *tk;
	unsigned int i, q, seen;
	struct sk_buff *skb;
	u32 hash;

	tk = vh_expand(test, vh_ms_key, sizeof(vh_ms_key));
	config = vh_config(test, TUN_VNET_HASH_RSS, HT_ALL, vh_table8,
			   ARRAY_SIZE(vh_table8) - 1, 250, vh_ms_key,
			   sizeof(vh_ms_key));

	for (q = 0; q < ARRAY_SIZE(numqueues); q++) {
		seen = 0;
		for (i = 0; i < 64; i++) {
			flow.sport = 1024 + i;
			skb = vh_skb(test, &vh_ipv4_udp, &flow);
			vh_expect(&vh_ipv4_udp, &flow, HT_ALL, &exp);
			KUNIT_ASSERT_EQ(test, exp.report, HR_UDPV4);
			hash = toeplitz_hash(tk, exp.data, exp.len);
			seen |= BIT(hash & 7);
			KUNIT_EXPECT_EQ_MSG(test,
					    tun_vnet_hash_select_queue(config,
								       skb,
								       true,
								       numqueues[q]),
					    vh_table8[hash & 7] % numqueues[q],
					    "sport %u, %u queues", flow.sport,
					    numqueues[q]);
			kunit_kfree_skb(test, skb);
		}
		/* The flows must reach several entries to prove anything. */
		KUNIT_EXPECT_GT(test, hweight32(seen), 4);
	}
}

static void vh_select_queue_unclassified_test(struct kunit *test)
{
	struct tun_vnet_hash_config *config;
	struct sk_buff *arp, *ipv4;

	config = vh_config(test, TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT,
			   HT_V6 | HT_EX, vh_table8, ARRAY_SIZE(vh_table8) - 1,
			   250, vh_ms_key, sizeof(vh_ms_key));
	arp = vh_skb(test, &vh_arp, &vh_flow4);
	ipv4 = vh_skb(test, &vh_ipv4_tcp, &vh_flow4);

	KUNIT_EXPECT_EQ(test, tun_vnet_hash_select_queue(config, arp, true, 256),
			250);
	KUNIT_EXPECT_EQ(test, tun_vnet_hash_select_queue(config, arp, true, 7),
			250 % 7);
	/* IP, but no enabled type matches it */
	KUNIT_EXPECT_EQ(test,
			tun_vnet_hash_select_queue(config, ipv4, true, 256),
			250);
	KUNIT_EXPECT_EQ(test,
			tun_vnet_hash_select_queue(config, ipv4, true, 16),
			250 % 16);
}

static void vh_select_queue_no_queues_test(struct kunit *test)
{
	struct tun_vnet_hash_config *config;
	struct sk_buff *arp, *ipv4;

	config = vh_config(test, TUN_VNET_HASH_RSS, HT_ALL, vh_table8,
			   ARRAY_SIZE(vh_table8) - 1, 250, vh_ms_key,
			   sizeof(vh_ms_key));
	arp = vh_skb(test, &vh_arp, &vh_flow4);
	ipv4 = vh_skb(test, &vh_ipv4_tcp, &vh_flow4);
	KUNIT_EXPECT_EQ(test, tun_vnet_hash_select_queue(config, arp, true, 0),
			0);
	KUNIT_EXPECT_EQ(test, tun_vnet_hash_select_queue(config, ipv4, true, 0),
			0);
}

/**
 * struct vnet_hash_parse_case - a TUNSETVNETHASH argument and its outcome
 * @name: the validation rule
 * @hdr: the fixed part of the argument
 * @last_entry: when non-zero, the last table entry instead of the pattern
 * @err: expected error, 0 for a valid argument
 * @size: the size of the fixed part, 0 for sizeof(struct tun_vnet_hash)
 * @tail: the last byte of a fixed part larger than the structure
 */
struct vnet_hash_parse_case {
	const char *name;
	struct tun_vnet_hash hdr;
	u16 last_entry;
	int err;
	u16 size;
	u8 tail;
};

#define VH_REPORT	TUN_VNET_HASH_REPORT
#define VH_RSS		TUN_VNET_HASH_RSS
#define VH_VXLAN	VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN

static const struct vnet_hash_parse_case vh_parse_cases[] = {
	/* Invalid: one row per rule */
	{ "unknown_flag_bit", { VH_REPORT | 0x4, 40, HT_ALL, 0, 0 }, 0,
	  -EINVAL },
	{ "unknown_flag_bit_high", { 0x8000, 40, HT_ALL, 0, 0 }, 0, -EINVAL },
	{ "off_with_key_size", { 0, 40, 0, 0, 0 }, 0, -EINVAL },
	{ "off_with_types", { 0, 0, HT_IPV4, 0, 0 }, 0, -EINVAL },
	{ "off_with_mask", { 0, 0, 0, 1, 0 }, 0, -EINVAL },
	{ "off_with_unclassified_queue", { 0, 0, 0, 0, 1 }, 0, -EINVAL },
	{ "types_bit9_outside_cap", { VH_REPORT, 40, HT_ALL | BIT(9), 0, 0 },
	  0, -EINVAL },
	{ "types_bit31_outside_cap", { VH_REPORT, 40, BIT(31), 0, 0 }, 0,
	  -EINVAL },
	{ "key_size_0_report", { VH_REPORT, 0, HT_ALL, 0, 0 }, 0, -EINVAL },
	{ "key_size_0_rss", { VH_RSS, 0, HT_ALL, 3, 0 }, 0, -EINVAL },
	{ "key_size_41", { VH_REPORT, 41, HT_ALL, 0, 0 }, 0, -EINVAL },
	{ "no_rss_with_mask", { VH_REPORT, 40, HT_ALL, 1, 0 }, 0, -EINVAL },
	{ "no_rss_with_unclassified_queue", { VH_REPORT, 40, HT_ALL, 0, 1 }, 0,
	  -EINVAL },
	{ "rss_table_len_3_not_pow2", { VH_RSS, 40, HT_ALL, 2, 0 }, 0,
	  -EINVAL },
	{ "rss_table_len_6_not_pow2", { VH_RSS, 40, HT_ALL, 5, 0 }, 0,
	  -EINVAL },
	{ "rss_table_len_512_over_max", { VH_RSS, 40, HT_ALL, 511, 0 }, 0,
	  -EINVAL },
	{ "rss_table_len_65536_over_max", { VH_RSS, 40, HT_ALL, 0xffff, 0 }, 0,
	  -EINVAL },
	{ "rss_table_entry_256", { VH_RSS, 40, HT_ALL, 7, 0 }, 256, -EINVAL },
	{ "rss_table_entry_65535", { VH_RSS, 40, HT_ALL, 7, 0 }, 0xffff,
	  -EINVAL },
	{ "rss_unclassified_queue_256", { VH_RSS, 40, HT_ALL, 7, 256 }, 0,
	  -EINVAL },
	{ "off_with_tunnel_types", { 0, 0, 0, 0, 0, VH_VXLAN }, 0, -EINVAL },
	{ "tunnel_types_outside_cap", { VH_REPORT, 40, HT_ALL, 0, 0, BIT(9) },
	  0, -EINVAL },
	{ "tunnel_types_bit31_outside_cap",
	  { VH_REPORT, 40, HT_ALL, 0, 0, BIT(31) }, 0, -EINVAL },
	/* Sizes: a larger header's unknown bytes must be 0 */
	{ "size_17_nonzero_tail", { VH_REPORT, 40, HT_ALL, 0, 0 }, 0, -E2BIG,
	  17, 1 },
	{ "size_24_nonzero_tail_rss", { VH_RSS, 40, HT_ALL, 7, 0 }, 0, -E2BIG,
	  24, 0x80 },
	{ "size_4096_nonzero_tail", { VH_REPORT, 40, HT_ALL, 0, 0 }, 0, -E2BIG,
	  4096, 1 },
	{ "size_ver0_still_checked", { VH_REPORT, 41, HT_ALL, 0, 0 }, 0,
	  -EINVAL, TUN_VNET_HASH_SIZE_VER0 },
	/* Valid */
	{ "off_all_zero", { 0, 0, 0, 0, 0 }, 0, 0 },
	{ "report_key_40", { VH_REPORT, 40, HT_ALL, 0, 0 }, 0, 0 },
	{ "report_key_1_zero_extended", { VH_REPORT, 1, HT_IPV4, 0, 0 }, 0, 0 },
	{ "report_no_types", { VH_REPORT, 40, 0, 0, 0 }, 0, 0 },
	{ "rss_table_len_1_max_queue", { VH_RSS, 40, HT_ALL, 0, 255 }, 255,
	  0 },
	{ "rss_report_table_len_8", { VH_RSS | VH_REPORT, 20, HT_V4, 7, 3 }, 0,
	  0 },
	{ "rss_table_len_256_key_16", { VH_RSS, 16, HT_EX, 255, 0 }, 0, 0 },
	/* Sizes: the table starts at the header's size */
	{ "size_ver0_rss_table_at_12", { VH_RSS | VH_REPORT, 40, HT_ALL, 7, 2 },
	  0, 0, TUN_VNET_HASH_SIZE_VER0 },
	{ "size_ver0_has_no_tunnel_types",
	  { VH_REPORT, 40, HT_ALL, 0, 0, BIT(31) }, 0, 0,
	  TUN_VNET_HASH_SIZE_VER0 },
	{ "size_ver1_rss_table_at_16", { VH_RSS, 40, HT_ALL, 3, 1 }, 0, 0,
	  TUN_VNET_HASH_SIZE_VER1 },
	{ "size_24_zero_tail_rss_table_at_24", { VH_RSS, 40, HT_ALL, 15, 0 }, 0,
	  0, 24 },
	{ "size_4096_zero_tail", { VH_REPORT, 40, HT_ALL, 0, 0 }, 0, 0, 4096 },
	{ "off_size_ver0", { 0, 0, 0, 0, 0 }, 0, 0, TUN_VNET_HASH_SIZE_VER0 },
};

KUNIT_ARRAY_PARAM_DESC(vh_parse, vh_parse_cases, name);

static void vh_parse_test(struct kunit *test)
{
	const struct vnet_hash_parse_case *param = test->param_value;
	const struct tun_vnet_hash *hdr = &param->hdr;
	unsigned int i, entries = hdr->indirection_table_mask + 1;
	u8 key[TOEPLITZ_KEY_MAX + 8] = {}, ext_key[TOEPLITZ_KEY_MAX] = {};
	struct tun_vnet_hash_config *config;
	struct toeplitz_key *tk;
	u16 *table;

	table = kunit_kcalloc(test, entries, sizeof(*table), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, table);
	for (i = 0; i < entries; i++)
		table[i] = (i * 37 + 11) % TUN_VNET_HASH_MAX_QUEUES;
	if (param->last_entry)
		table[entries - 1] = param->last_entry;
	for (i = 0; i < sizeof(key); i++)
		key[i] = 0x80 + i * 7;

	config = vh_parse_sized(test, hdr, param->size, param->tail, table,
				key);
	if (param->err) {
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(config), param->err);
		if (!IS_ERR_OR_NULL(config))
			tun_vnet_hash_config_free(config);
		return;
	}
	if (!hdr->flags) {
		KUNIT_EXPECT_NULL(test, config);
		return;
	}
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, config);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, vh_config_free_action,
						  config));

	KUNIT_EXPECT_EQ(test, config->flags, hdr->flags);
	KUNIT_EXPECT_EQ(test, config->types, hdr->types);
	KUNIT_EXPECT_EQ(test, config->tunnel_types,
			param->size && param->size < TUN_VNET_HASH_SIZE_VER1 ?
			0 : hdr->tunnel_types);
	KUNIT_EXPECT_EQ(test, config->indirection_table_mask,
			hdr->indirection_table_mask);
	KUNIT_EXPECT_EQ(test, config->unclassified_queue,
			hdr->unclassified_queue);
	if (hdr->flags & TUN_VNET_HASH_RSS)
		KUNIT_EXPECT_MEMEQ(test, config->indirection_table, table,
				   entries * sizeof(*table));

	memcpy(ext_key, key, hdr->key_size);
	KUNIT_EXPECT_MEMEQ(test, config->key, ext_key, sizeof(ext_key));
	tk = vh_expand(test, ext_key, sizeof(ext_key));
	KUNIT_EXPECT_MEMEQ(test, &config->toeplitz, tk, sizeof(*tk));
}

/*
 * A configuration costs what it needs for the longest table, not the
 * next power of two: 5,192 bytes, not the 8 KiB of kmalloc-8k.
 */
static void vh_config_size_test(struct kunit *test)
{
	size_t max = struct_size_t(struct tun_vnet_hash_config,
				   indirection_table,
				   TUN_VNET_HASH_MAX_TABLE_LENGTH);
	static u16 table[TUN_VNET_HASH_MAX_TABLE_LENGTH];
	struct tun_vnet_hash_config *config;

	KUNIT_EXPECT_LE(test, max, 5192);
	config = vh_config(test, TUN_VNET_HASH_REPORT, HT_ALL, NULL, 0, 0,
			   vh_ms_key, sizeof(vh_ms_key));
	KUNIT_EXPECT_LE(test, ksize(config), max);
	config = vh_config(test, TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT,
			   HT_ALL, table, TUN_VNET_HASH_MAX_TABLE_LENGTH - 1,
			   0, vh_ms_key, sizeof(vh_ms_key));
	KUNIT_EXPECT_LE(test, ksize(config), max);
}

static void vh_get_cap_test(struct kunit *test)
{
	struct tun_vnet_hash_cap cap;

	memset(&cap, 0xa5, sizeof(cap));
	tun_vnet_hash_get_cap(&cap);
	KUNIT_EXPECT_GE(test, cap.max_indirection_table_length, 256);
	KUNIT_EXPECT_EQ(test, cap.max_key_size, TOEPLITZ_KEY_MAX);
	KUNIT_EXPECT_EQ(test, cap.types, HT_ALL);
	KUNIT_EXPECT_EQ(test, cap.tunnel_types, TUN_VNET_HASH_TUNNEL_TYPES);
}

/**
 * struct vnet_hash_ioctl_case - an ioctl number and how it is decoded
 * @name: what the number is
 * @cmd: the number, written out as binaries carry it
 * @canonical: the command it is taken for
 * @size: the argument size it carries, 0 when it is not recognised
 */
struct vnet_hash_ioctl_case {
	const char *name;
	unsigned int cmd;
	unsigned int canonical;
	unsigned int size;
};

static const struct vnet_hash_ioctl_case vh_ioctl_cases[] = {
	{ "getcap_ver0_8", 0x800854e4, TUNGETVNETHASHCAP, 8 },
	{ "getcap_ver1_12", 0x800c54e4, TUNGETVNETHASHCAP, 12 },
	{ "getcap_64", 0x804054e4, TUNGETVNETHASHCAP, 64 },
	{ "getcap_4_too_small", 0x800454e4, 0x800454e4, 0 },
	{ "getcap_write_dir", 0x400c54e4, 0x400c54e4, 0 },
	{ "set_ver0_12", 0x400c54e5, TUNSETVNETHASH, 12 },
	{ "set_ver1_16", 0x401054e5, TUNSETVNETHASH, 16 },
	{ "set_max_16383", 0x7fff54e5, TUNSETVNETHASH, 16383 },
	{ "set_8_too_small", 0x400854e5, 0x400854e5, 0 },
	{ "set_read_dir", 0x801054e5, 0x801054e5, 0 },
	{ "set_other_type", 0x40105ae5, 0x40105ae5, 0 },
	{ "tunsetiff", 0x400454ca, 0x400454ca, 0 },
};

KUNIT_ARRAY_PARAM_DESC(vh_ioctl, vh_ioctl_cases, name);

/* The numbers of the first header keep working, and later sizes too */
static void vh_ioctl_cmd_test(struct kunit *test)
{
	const struct vnet_hash_ioctl_case *param = test->param_value;
	unsigned int size = 0xdead;

	KUNIT_EXPECT_EQ(test, tun_vnet_hash_ioctl_cmd(param->cmd, &size),
			param->canonical);
	KUNIT_EXPECT_EQ(test, size, param->size);
}

/* Encapsulations */
#define TT_GRE_2784	VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2784
#define TT_GRE_2890	VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2890
#define TT_GRE_7676	VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_7676
#define TT_GRE_UDP	VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_UDP
#define TT_VXLAN	VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN
#define TT_VXLAN_GPE	VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN_GPE
#define TT_GENEVE	VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE
#define TT_IPIP		VIRTIO_NET_HASH_TUNNEL_TYPE_IPIP
#define TT_NVGRE	VIRTIO_NET_HASH_TUNNEL_TYPE_NVGRE
#define TT_ALL		TUN_VNET_HASH_TUNNEL_TYPES

/* The outer flow: other addresses than every inner one */
static const struct vnet_hash_flow vh_outer4 = {
	.saddr = { 203, 0, 113, 10 },
	.daddr = { 203, 0, 113, 20 },
};

static const struct vnet_hash_flow vh_outer6 = {
	.saddr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0f, 0, 0,
		   0, 0, 0, 0, 0, 0, 0xf1, 0x01 },
	.daddr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0f, 0, 0,
		   0, 0, 0, 0, 0, 0, 0xf2, 0x02 },
};

/* An inner IPv4 packet that is itself IPv4 in IPv4: no second level */
static const struct vnet_hash_shape vh_ipv4_ipip_raw = {
	.name = "ipv4_ipip_raw", .l3 = VH_IPV4, .raw = true,
	.proto = IPPROTO_IPIP,
};

/* An inner frame with one VLAN tag more than the bound */
static const struct vnet_hash_shape vh_ipv4_tcp_vlan_too_deep = {
	.name = "ipv4_tcp_vlan_too_deep", .l3 = VH_IPV4,
	.vlan_tags = VLAN_MAX_DEPTH + 1, .proto = IPPROTO_TCP,
};

/* An inner IPv4 header whose IHL runs past the frame */
static const struct vnet_hash_shape vh_ipv4_ihl15_raw = {
	.name = "ipv4_ihl15_raw", .l3 = VH_IPV4, .raw = true, .ihl = 15,
	.proto = IPPROTO_TCP, .cut = 40,
};

/**
 * struct vnet_hash_tunnel_case - an encapsulated packet and its outcome
 * @name: the rule or decision
 * @raw: the frame starts at the outer IP header (a tun device)
 * @outer_ipv6: the outer header is IPv6
 * @outer_ext: an IPv6 extension header before the encapsulation
 * @outer_frag_off: the outer IPv4 fragment offset field
 * @proto: the outer protocol
 * @dport: the UDP destination port, with %IPPROTO_UDP
 * @encap: the encapsulation header after the outer (UDP) header
 * @encap_len: bytes of @encap
 * @inner: the inner packet, or NULL
 * @types: enabled hash types, 0 for all
 * @tunnel_types: enabled encapsulations
 * @cut: bytes cut from the end of the frame
 * @outside: bytes at the end that the outer IP length leaves out
 * @expect_inner: the inner packet is hashed; else the outer is
 */
struct vnet_hash_tunnel_case {
	const char *name;
	bool raw;
	bool outer_ipv6;
	u8 outer_ext;
	u16 outer_frag_off;
	u8 proto;
	u16 dport;
	u8 encap[16];
	u8 encap_len;
	const struct vnet_hash_shape *inner;
	u32 types;
	u32 tunnel_types;
	u8 cut;
	u8 outside;
	bool expect_inner;
};

static const struct vnet_hash_tunnel_case vh_tunnel_cases[] = {
	/* Rule 1: the outer header */
	{ "vxlan_outer_ipv4", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_VXLAN,
	  .expect_inner = true },
	{ "vxlan_outer_ipv6", .outer_ipv6 = true, .proto = IPPROTO_UDP,
	  .dport = 4789, .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 },
	  .encap_len = 8, .inner = &vh_ipv4_tcp, .tunnel_types = TT_VXLAN,
	  .expect_inner = true },
	{ "vxlan_outer_ipv6_hbh", .outer_ipv6 = true, .outer_ext = VH_EXT_HBH,
	  .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_udp, .tunnel_types = TT_VXLAN,
	  .expect_inner = true },
	{ "vxlan_outer_ipv6_fragment_is_outer", .outer_ipv6 = true,
	  .outer_ext = VH_EXT_FRAG_FIRST, .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_VXLAN },
	{ "vxlan_outer_ipv4_first_fragment_is_outer", .outer_frag_off = IP_MF,
	  .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_VXLAN },
	{ "gre_outer_ipv4_later_fragment_is_outer", .outer_frag_off = 185,
	  .proto = IPPROTO_GRE, .encap = { 0, 0, 0x08, 0 }, .encap_len = 4,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_GRE_2784 },
	{ "vxlan_on_tun_device", .raw = true, .proto = IPPROTO_UDP,
	  .dport = 4789, .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 },
	  .encap_len = 8, .inner = &vh_ipv6_tcp, .tunnel_types = TT_VXLAN,
	  .expect_inner = true },
	{ "vxlan_inner_outside_outer_length_is_outer", .proto = IPPROTO_UDP,
	  .dport = 4789, .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 },
	  .encap_len = 8, .inner = &vh_ipv4_tcp, .outside = 30,
	  .tunnel_types = TT_VXLAN },
	/* Rule 2: UDP tunnels by destination port */
	{ "vxlan_port_8472_is_not_vxlan", .proto = IPPROTO_UDP, .dport = 8472,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_ALL },
	{ "vxlan_not_enabled", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_ALL & ~TT_VXLAN },
	{ "vxlan_i_flag_clear", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_VXLAN },
	{ "vxlan_udp_header_truncated", .proto = IPPROTO_UDP, .dport = 4789,
	  .cut = 4, .tunnel_types = TT_VXLAN },
	{ "vxlan_header_truncated", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0 }, .encap_len = 4,
	  .tunnel_types = TT_VXLAN },
	{ "vxlan_all_types_enabled", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_hao_rh2_udp, .tunnel_types = TT_ALL,
	  .expect_inner = true },
	{ "gpe_ipv4", .proto = IPPROTO_UDP, .dport = 4790,
	  .encap = { 0x0c, 0, 0, 1, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_VXLAN_GPE,
	  .expect_inner = true },
	{ "gpe_ipv6", .proto = IPPROTO_UDP, .dport = 4790,
	  .encap = { 0x0c, 0, 0, 2, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_udp_raw, .tunnel_types = TT_VXLAN_GPE,
	  .expect_inner = true },
	{ "gpe_ethernet", .proto = IPPROTO_UDP, .dport = 4790,
	  .encap = { 0x0c, 0, 0, 3, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_udp, .tunnel_types = TT_VXLAN_GPE,
	  .expect_inner = true },
	{ "gpe_nsh_is_no_match", .proto = IPPROTO_UDP, .dport = 4790,
	  .encap = { 0x0c, 0, 0, 4, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_VXLAN_GPE },
	{ "gpe_p_flag_clear", .proto = IPPROTO_UDP, .dport = 4790,
	  .encap = { 0x08, 0, 0, 1, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_VXLAN_GPE },
	{ "gpe_version_1", .proto = IPPROTO_UDP, .dport = 4790,
	  .encap = { 0x1c, 0, 0, 1, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_VXLAN_GPE },
	{ "gpe_says_ipv4_holds_ipv6", .proto = IPPROTO_UDP, .dport = 4790,
	  .encap = { 0x0c, 0, 0, 1, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_tcp_raw, .tunnel_types = TT_VXLAN_GPE },
	{ "geneve_ethernet", .proto = IPPROTO_UDP, .dport = 6081,
	  .encap = { 0, 0, 0x65, 0x58, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_GENEVE,
	  .expect_inner = true },
	{ "geneve_ipv6", .outer_ipv6 = true, .proto = IPPROTO_UDP,
	  .dport = 6081, .encap = { 0, 0, 0x86, 0xdd, 0, 0, 0x2a, 0 },
	  .encap_len = 8, .inner = &vh_ipv6_tcp_raw, .tunnel_types = TT_GENEVE,
	  .expect_inner = true },
	{ "geneve_options_8_bytes", .proto = IPPROTO_UDP, .dport = 6081,
	  .encap = { 0x02, 0, 0x08, 0x00, 0, 0, 0x2a, 0,
		     0x01, 0x02, 0x03, 0x01, 0xa5, 0xa5, 0xa5, 0xa5 },
	  .encap_len = 16, .inner = &vh_ipv4_udp_raw, .tunnel_types = TT_GENEVE,
	  .expect_inner = true },
	{ "geneve_options_past_the_end", .proto = IPPROTO_UDP, .dport = 6081,
	  .encap = { 0x3f, 0, 0x08, 0x00, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_udp_raw, .tunnel_types = TT_GENEVE },
	{ "geneve_version_1", .proto = IPPROTO_UDP, .dport = 6081,
	  .encap = { 0x40, 0, 0x65, 0x58, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_GENEVE },
	{ "geneve_protocol_lldp", .proto = IPPROTO_UDP, .dport = 6081,
	  .encap = { 0, 0, 0x88, 0xcc, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_GENEVE },
	{ "gre_udp", .proto = IPPROTO_UDP, .dport = 4754,
	  .encap = { 0, 0, 0x08, 0 }, .encap_len = 4, .inner = &vh_ipv4_tcp_raw,
	  .tunnel_types = TT_GRE_UDP, .expect_inner = true },
	{ "gre_udp_is_not_gre_2784", .proto = IPPROTO_UDP, .dport = 4754,
	  .encap = { 0, 0, 0x08, 0 }, .encap_len = 4, .inner = &vh_ipv4_tcp_raw,
	  .tunnel_types = TT_ALL & ~TT_GRE_UDP },
	{ "gre_udp_version_1", .proto = IPPROTO_UDP, .dport = 4754,
	  .encap = { 0, 1, 0x08, 0x00 }, .encap_len = 4,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_GRE_UDP },
	/* Rule 3: GRE */
	{ "gre_2784", .proto = IPPROTO_GRE, .encap = { 0, 0, 0x08, 0 },
	  .encap_len = 4, .inner = &vh_ipv4_tcp_raw,
	  .tunnel_types = TT_GRE_2784, .expect_inner = true },
	{ "gre_2784_csum", .proto = IPPROTO_GRE,
	  .encap = { 0x80, 0, 0x86, 0xdd, 0x12, 0x34, 0, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_udp_raw, .tunnel_types = TT_GRE_2784,
	  .expect_inner = true },
	{ "gre_plain_is_not_2890", .proto = IPPROTO_GRE,
	  .encap = { 0, 0, 0x08, 0 }, .encap_len = 4, .inner = &vh_ipv4_tcp_raw,
	  .tunnel_types = TT_GRE_2890 | TT_NVGRE | TT_GRE_7676 },
	{ "gre_2890_key", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x08, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_GRE_2890,
	  .expect_inner = true },
	{ "gre_2890_seq", .proto = IPPROTO_GRE,
	  .encap = { 0x10, 0, 0x08, 0x00, 0, 0, 0, 7 }, .encap_len = 8,
	  .inner = &vh_ipv4_udp_raw, .tunnel_types = TT_GRE_2890,
	  .expect_inner = true },
	{ "gre_2890_csum_key_seq", .proto = IPPROTO_GRE,
	  .encap = { 0xb0, 0, 0x08, 0x00, 0, 0, 0, 0,
		     0, 0, 0x2a, 0, 0, 0, 0, 7 },
	  .encap_len = 16, .inner = &vh_ipv4_udp_raw,
	  .tunnel_types = TT_GRE_2890, .expect_inner = true },
	{ "gre_key_is_not_2784", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x08, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_GRE_2784 },
	{ "nvgre", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x65, 0x58, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_NVGRE,
	  .expect_inner = true },
	{ "nvgre_is_also_2890", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x65, 0x58, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_tcp_vlan, .tunnel_types = TT_GRE_2890,
	  .expect_inner = true },
	{ "nvgre_with_seq_is_not_nvgre", .proto = IPPROTO_GRE,
	  .encap = { 0x30, 0, 0x65, 0x58, 0, 0, 0x2a, 0, 0, 0, 0, 7 },
	  .encap_len = 12, .inner = &vh_ipv4_tcp, .tunnel_types = TT_NVGRE },
	{ "nvgre_needs_ethernet", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x08, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_NVGRE },
	{ "gre_7676_outer_ipv6", .outer_ipv6 = true, .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x86, 0xdd, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_tcp_raw, .tunnel_types = TT_GRE_7676,
	  .expect_inner = true },
	/* RFC 7676: IPv6 as the delivery or as the payload protocol */
	{ "gre_7676_ipv6_over_ipv4", .proto = IPPROTO_GRE,
	  .encap = { 0, 0, 0x86, 0xdd }, .encap_len = 4,
	  .inner = &vh_ipv6_tcp_raw, .tunnel_types = TT_GRE_7676,
	  .expect_inner = true },
	{ "gre_7676_ipv4_over_ipv6", .outer_ipv6 = true,
	  .proto = IPPROTO_GRE, .encap = { 0, 0, 0x08, 0x00 },
	  .encap_len = 4, .inner = &vh_ipv4_udp_raw,
	  .tunnel_types = TT_GRE_7676, .expect_inner = true },
	{ "gre_7676_ipv4_over_ipv4_is_not", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x08, 0x00, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_GRE_7676 },
	{ "gre_7676_ethernet_over_ipv4_is_not", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x65, 0x58, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv6_tcp_vlan, .tunnel_types = TT_GRE_7676 },
	{ "gre_udp_ipv6_is_not_7676", .proto = IPPROTO_UDP, .dport = 4754,
	  .encap = { 0, 0, 0x86, 0xdd }, .encap_len = 4,
	  .inner = &vh_ipv6_tcp_raw,
	  .tunnel_types = TT_ALL & ~TT_GRE_UDP },
	{ "gre_version_1_pptp", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0x01, 0x88, 0x0b, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_ALL },
	{ "gre_routing_bit", .proto = IPPROTO_GRE,
	  .encap = { 0x40, 0, 0x08, 0x00 }, .encap_len = 4,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_ALL },
	{ "gre_protocol_erspan", .proto = IPPROTO_GRE,
	  .encap = { 0, 0, 0x88, 0xbe }, .encap_len = 4,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_ALL },
	{ "gre_key_truncated", .proto = IPPROTO_GRE,
	  .encap = { 0x20, 0, 0x08, 0x00, 0, 0 }, .encap_len = 6,
	  .tunnel_types = TT_ALL },
	/* Rule 4: IPIP */
	{ "ipip_4in4", .proto = IPPROTO_IPIP, .inner = &vh_ipv4_tcp_raw,
	  .tunnel_types = TT_IPIP, .expect_inner = true },
	{ "ipip_6in4", .proto = IPPROTO_IPV6, .inner = &vh_ipv6_udp_raw,
	  .tunnel_types = TT_IPIP, .expect_inner = true },
	{ "ipip_4in6", .outer_ipv6 = true, .proto = IPPROTO_IPIP,
	  .inner = &vh_ipv4_udp_raw, .tunnel_types = TT_IPIP,
	  .expect_inner = true },
	{ "ipip_6in6_inner_hao_rh2", .outer_ipv6 = true, .proto = IPPROTO_IPV6,
	  .inner = &vh_ipv6_hao_rh2_tcp_raw, .tunnel_types = TT_IPIP,
	  .expect_inner = true },
	{ "ipip_not_enabled", .proto = IPPROTO_IPIP, .inner = &vh_ipv4_tcp_raw,
	  .tunnel_types = TT_ALL & ~TT_IPIP },
	{ "ipip_4_holds_ipv6", .proto = IPPROTO_IPIP, .inner = &vh_ipv6_tcp_raw,
	  .tunnel_types = TT_IPIP },
	/* Rule 5: the inner Ethernet frame */
	{ "vxlan_inner_vlan", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_vlan, .tunnel_types = TT_VXLAN,
	  .expect_inner = true },
	{ "vxlan_inner_qinq", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_udp_qinq, .tunnel_types = TT_VXLAN,
	  .expect_inner = true },
	{ "vxlan_inner_vlan_max_depth", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_vlan_max, .tunnel_types = TT_VXLAN,
	  .expect_inner = true },
	{ "vxlan_inner_vlan_too_deep", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp_vlan_too_deep, .tunnel_types = TT_VXLAN },
	{ "vxlan_inner_arp", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_arp, .tunnel_types = TT_VXLAN },
	{ "vxlan_inner_ethernet_truncated", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_arp, .cut = 30, .tunnel_types = TT_VXLAN },
	/* Rule 6: the inner IP header in full */
	{ "vxlan_inner_ip_truncated", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .cut = 30, .tunnel_types = TT_VXLAN },
	{ "ipip_inner_ipv6_truncated", .proto = IPPROTO_IPV6,
	  .inner = &vh_ipv6_udp_raw, .cut = 9, .tunnel_types = TT_IPIP },
	{ "ipip_inner_ihl_past_the_end", .proto = IPPROTO_IPIP,
	  .inner = &vh_ipv4_ihl15_raw, .tunnel_types = TT_IPIP },
	/* Rule 7: the inner packet by the rules, one level, even no hash */
	{ "vxlan_inner_ipv6_with_ipv4_types_only", .proto = IPPROTO_UDP,
	  .dport = 4789, .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 },
	  .encap_len = 8, .inner = &vh_ipv6_tcp, .types = HT_V4,
	  .tunnel_types = TT_VXLAN, .expect_inner = true },
	{ "vxlan_inner_tcp_ports_truncated", .proto = IPPROTO_UDP,
	  .dport = 4789, .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 },
	  .encap_len = 8, .inner = &vh_ipv4_tcp, .cut = 18,
	  .tunnel_types = TT_VXLAN, .expect_inner = true },
	{ "ipip_inner_fragment", .proto = IPPROTO_IPIP,
	  .inner = &vh_ipv4_frag_raw, .tunnel_types = TT_IPIP,
	  .expect_inner = true },
	{ "ipip_no_second_level", .proto = IPPROTO_IPIP,
	  .inner = &vh_ipv4_ipip_raw, .tunnel_types = TT_IPIP,
	  .expect_inner = true },
	{ "gre_inner_ipv6_ext_udp", .outer_ipv6 = true, .proto = IPPROTO_GRE,
	  .encap = { 0, 0, 0x86, 0xdd }, .encap_len = 4,
	  .inner = &vh_ipv6_hao_rh2_tcp_raw, .tunnel_types = TT_GRE_2784,
	  .types = HT_EX | HT_V4, .expect_inner = true },
	/* Rule 8: anything else is not encapsulated */
	{ "tunnel_types_zero", .proto = IPPROTO_UDP, .dport = 4789,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp },
	{ "udp_other_port", .proto = IPPROTO_UDP, .dport = 53,
	  .inner = &vh_ipv4_tcp_raw, .tunnel_types = TT_ALL },
	{ "outer_tcp", .proto = IPPROTO_TCP,
	  .encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, .encap_len = 8,
	  .inner = &vh_ipv4_tcp, .tunnel_types = TT_ALL },
};

KUNIT_ARRAY_PARAM_DESC(vh_tunnel, vh_tunnel_cases, name);

/* Build the frame of @c; *@inner is set to where the inner packet is. */
static void vh_build_tunnel(struct vnet_hash_frame *f,
			    const struct vnet_hash_tunnel_case *c,
			    const struct vnet_hash_flow *inner_flow,
			    unsigned int *inner)
{
	static const u8 dmac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const u8 smac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	const struct vnet_hash_flow *outer = c->outer_ipv6 ? &vh_outer6 :
							     &vh_outer4;
	struct vnet_hash_frame *in;
	unsigned int l3, l4, end;
	u8 *p;

	memset(f, 0, sizeof(*f));
	if (!c->raw) {
		memcpy(vh_put(f, ETH_ALEN), dmac, ETH_ALEN);
		memcpy(vh_put(f, ETH_ALEN), smac, ETH_ALEN);
		vh_put_be16(f, c->outer_ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	}
	l3 = f->len;
	if (c->outer_ipv6) {
		p = vh_put(f, sizeof(struct ipv6hdr));
		p[0] = 0x60;
		p[6] = c->outer_ext ? vh_ext_proto(c->outer_ext) : c->proto;
		p[7] = 64;
		memcpy(p + 8, outer->saddr, 16);
		memcpy(p + 24, outer->daddr, 16);
		if (c->outer_ext)
			vh_put_ext(f, c->outer_ext, c->proto, outer);
	} else {
		p = vh_put(f, sizeof(struct iphdr));
		p[0] = 0x45;
		put_unaligned_be16(c->outer_frag_off, p + 6);
		p[8] = 64;
		p[9] = c->proto;
		memcpy(p + 12, outer->saddr, 4);
		memcpy(p + 16, outer->daddr, 4);
	}
	l4 = f->len;
	if (c->proto == IPPROTO_UDP) {
		p = vh_put(f, sizeof(struct udphdr));
		put_unaligned_be16(40000, p);
		put_unaligned_be16(c->dport, p + 2);
	}
	memcpy(vh_put(f, c->encap_len), c->encap, c->encap_len);
	*inner = f->len;
	if (c->inner) {
		in = kzalloc(sizeof(*in), GFP_KERNEL);
		if (!WARN_ON(!in)) {
			vh_build(in, c->inner,
				 inner_flow ?: vh_default_flow(c->inner));
			memcpy(vh_put(f, in->len), in->data, in->len);
			kfree(in);
		}
	}

	f->len -= c->cut;
	end = f->len - c->outside;
	if (c->proto == IPPROTO_UDP)
		put_unaligned_be16(end - l4, f->data + l4 + 4);
	if (c->outer_ipv6) {
		put_unaligned_be16(end - l3 - sizeof(struct ipv6hdr),
				   f->data + l3 + 4);
	} else {
		struct iphdr *iph = (struct iphdr *)(f->data + l3);

		iph->tot_len = htons(end - l3);
		iph->check = ip_fast_csum(iph, iph->ihl);
	}
}

static struct sk_buff *vh_skb_data(struct kunit *test, const u8 *data,
				   unsigned int len, bool eth,
				   __be16 protocol)
{
	struct sk_buff *skb;

	skb = kunit_zalloc_skb(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_data(skb, data, len);
	skb->protocol = protocol;
	return skb;
}

/* The frame of @c around @inner (the case's own when NULL), see above */
static struct vnet_hash_frame *
vh_tunnel_frame(struct kunit *test, const struct vnet_hash_tunnel_case *c,
		const struct vnet_hash_flow *inner, unsigned int *off)
{
	struct vnet_hash_frame *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	vh_build_tunnel(f, c, inner, off);
	return f;
}

/* The frame of @c around @inner, as an skb of a tap device */
static struct sk_buff *vh_tunnel_skb(struct kunit *test,
				     const struct vnet_hash_tunnel_case *c,
				     const struct vnet_hash_flow *inner)
{
	struct vnet_hash_frame *f;
	struct sk_buff *skb;
	unsigned int off;

	f = vh_tunnel_frame(test, c, inner, &off);
	skb = vh_skb_data(test, f->data, f->len, true, htons(ETH_P_IP));
	skb_reset_mac_header(skb);
	kunit_kfree(test, f);
	return skb;
}

/* VXLAN over IPv4 around the benchmark's inner IPv4 TCP flows */
static const struct vnet_hash_tunnel_case vh_bench_vxlan = {
	"vxlan_ipv4_tcp", .proto = IPPROTO_UDP, .dport = 4789,
	.encap = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 },
	  .encap_len = 8, .inner = &vh_ipv4_tcp,
	.tunnel_types = TT_VXLAN, .expect_inner = true,
};

/*
 * An encapsulated packet of an enabled type is classified as its inner
 * packet alone would be; any other as if no type were enabled.  The row's
 * two candidates differ, so the row tells which rule was applied.
 */
static void vh_tunnel_test(struct kunit *test)
{
	const struct vnet_hash_tunnel_case *c = test->param_value;
	struct tun_vnet_hash_input got, outer, inner = {};
	u32 types = c->types ?: HT_ALL;
	struct vnet_hash_frame *f;
	struct sk_buff *skb;
	unsigned int off;

	f = vh_tunnel_frame(test, c, NULL, &off);
	skb = vh_skb_data(test, f->data, f->len, !c->raw,
			  htons(c->outer_ipv6 ? ETH_P_IPV6 : ETH_P_IP));

	memset(&got, 0xa5, sizeof(got));
	tun_vnet_hash_classify(skb, !c->raw, types, c->tunnel_types, &got);
	tun_vnet_hash_classify(skb, !c->raw, types, 0, &outer);
	if (c->inner && off <= f->len - c->outside) {
		skb = vh_skb_data(test, f->data + off,
				  f->len - c->outside - off, !c->inner->raw,
				  htons(vh_l3_proto(c->inner)));
		tun_vnet_hash_classify(skb, !c->inner->raw, types, 0, &inner);
	}

	KUNIT_EXPECT_TRUE_MSG(test, outer.report != inner.report ||
			      outer.len != inner.len ||
			      memcmp(outer.data, inner.data, outer.len),
			      "the row cannot tell inner from outer");
	if (c->expect_inner) {
		KUNIT_EXPECT_EQ(test, got.report, inner.report);
		KUNIT_EXPECT_EQ(test, got.len, inner.len);
		KUNIT_EXPECT_MEMEQ(test, got.data, inner.data, inner.len);
	} else {
		KUNIT_EXPECT_EQ(test, got.report, outer.report);
		KUNIT_EXPECT_EQ(test, got.len, outer.len);
		KUNIT_EXPECT_MEMEQ(test, got.data, outer.data, outer.len);
	}
}

/*
 * A packet whose headers are split between the linear part and paged
 * fragments, at every offset, classifies and hashes as the rules say,
 * the same as when it is linear: tun's skbs from a write of more than
 * a page, or from vhost-net's zerocopy, carry their headers in pages.
 */
static void vh_nonlinear_test(struct kunit *test)
{
	static const u32 type_sets[] = {
		HT_ALL, HT_V4 | HT_V6, HT_IPV4 | HT_IPV6 | HT_IP_EX,
	};
	const struct vnet_hash_shape * const *param = test->param_value;
	const struct vnet_hash_shape *shape = *param;
	const struct vnet_hash_flow *flow = vh_default_flow(shape);
	struct vnet_hash_expect exp[ARRAY_SIZE(type_sets)];
	unsigned int failures = 0, split, len, i;
	struct toeplitz_key *tk;
	struct sk_buff *skb;

	tk = vh_expand(test, vh_ms_key, sizeof(vh_ms_key));
	for (i = 0; i < ARRAY_SIZE(type_sets); i++)
		vh_expect(shape, flow, type_sets[i], &exp[i]);
	skb = vh_skb(test, shape, flow);
	len = skb->len;
	kunit_kfree_skb(test, skb);

	for (split = 0; split <= len; split++) {
		skb = vh_skb_split(test, shape, flow, split);
		for (i = 0; i < ARRAY_SIZE(type_sets); i++) {
			if (vh_check(test, skb, !shape->raw, type_sets[i],
				     &exp[i], tk, !failures))
				continue;
			if (!failures)
				kunit_info(test, "first wrong: %u linear bytes of %u\n",
					   split, len);
			failures++;
		}
		kunit_kfree_skb(test, skb);
	}
	KUNIT_EXPECT_EQ_MSG(test, failures, 0,
			    "%u of %zu splits x type sets wrong (first above)",
			    failures, (len + 1) * ARRAY_SIZE(type_sets));
}

/* The same for the encapsulations: the inner headers in pages too. */
static void vh_tunnel_nonlinear_test(struct kunit *test)
{
	const struct vnet_hash_tunnel_case *c = test->param_value;
	__be16 proto = htons(c->outer_ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	struct tun_vnet_hash_input linear, got;
	u32 types = c->types ?: HT_ALL;
	unsigned int failures = 0, split;
	struct vnet_hash_frame *f;
	struct sk_buff *skb;
	unsigned int off;

	f = vh_tunnel_frame(test, c, NULL, &off);
	skb = vh_skb_data(test, f->data, f->len, !c->raw, proto);
	tun_vnet_hash_classify(skb, !c->raw, types, c->tunnel_types, &linear);
	kunit_kfree_skb(test, skb);

	for (split = 0; split <= f->len; split++) {
		skb = vh_skb_paged(test, f->data, f->len, split);
		skb->protocol = proto;
		skb_reset_mac_header(skb);
		memset(&got, 0xa5, sizeof(got));
		tun_vnet_hash_classify(skb, !c->raw, types, c->tunnel_types,
				       &got);
		kunit_kfree_skb(test, skb);
		if (got.report == linear.report && got.len == linear.len &&
		    !memcmp(got.data, linear.data, linear.len))
			continue;
		if (!failures) {
			KUNIT_EXPECT_EQ_MSG(test, got.report, linear.report,
					    "%u linear bytes of %u", split,
					    f->len);
			KUNIT_EXPECT_EQ_MSG(test, got.len, linear.len,
					    "%u linear bytes of %u", split,
					    f->len);
		}
		failures++;
	}
	KUNIT_EXPECT_EQ_MSG(test, failures, 0, "%u of %u splits wrong",
			    failures, f->len + 1);
}

/*
 * Benchmark: the per-packet cost of RSS queue choice, of RSS with hash
 * report, and of tun's automatic flow steering (automq), on the same
 * prebuilt skbs: many flows of IPv4 TCP, IPv6 TCP, IPv6 TCP behind a
 * Type 2 Routing Header and a Home Address option, and ARP (no hash).
 */
#define VH_BENCH_FLOWS		256
#define VH_BENCH_ROUNDS		200
#define VH_BENCH_PASSES		5
#define VH_BENCH_QUEUES		8
#define VH_BENCH_TABLE		128
/* tun.c: TUN_NUM_FLOW_ENTRIES */
#define VH_BENCH_FLOW_BUCKETS	1024

/* The fields of tun.c's struct tun_flow_entry that a lookup touches. */
struct vh_bench_flow_entry {
	struct hlist_node hash_link;
	struct rcu_head rcu;
	void *tun;
	u32 rxhash;
	u32 rps_rxhash;
	int queue_index;
	unsigned long updated ____cacheline_aligned_in_smp;
};

struct vh_bench {
	struct tun_vnet_hash_config *rss;
	struct tun_vnet_hash_config *rss_report;
	struct tun_vnet_hash_config *rss_tunnel;
	struct hlist_head flows[VH_BENCH_FLOW_BUCKETS];
	struct sk_buff *skbs[VH_BENCH_FLOWS];
	unsigned int numqueues;
};

enum vh_bench_mode {
	VH_BENCH_RSS,
	VH_BENCH_RSS_REPORT,
	VH_BENCH_RSS_TUNNEL,
	VH_BENCH_AUTOMQ,
	VH_BENCH_MODES,
};

static const char * const vh_bench_mode_names[] = {
	[VH_BENCH_RSS] = "rss",
	[VH_BENCH_RSS_REPORT] = "rss+report",
	[VH_BENCH_RSS_TUNNEL] = "rss+tunnel",
	[VH_BENCH_AUTOMQ] = "automq",
};

/*
 * tun_automq_select_queue() is static in tun.c; this reproduces its
 * per-packet work faithfully: the symmetric flow dissector hash, the
 * lookup of tun_flow_find() in a 1024-bucket hlist table (with the
 * rps_rxhash update of a hit), and reciprocal_scale() on a miss.
 */
static u16 vh_bench_automq(struct vh_bench *b, struct sk_buff *skb)
{
	struct vh_bench_flow_entry *e, *found = NULL;
	u32 txq;

	txq = __skb_get_hash_symmetric(skb);
	hlist_for_each_entry_rcu(e, &b->flows[txq & (VH_BENCH_FLOW_BUCKETS - 1)],
				 hash_link) {
		if (e->rxhash == txq) {
			found = e;
			break;
		}
	}
	if (found) {
		if (unlikely(found->rps_rxhash != txq))
			found->rps_rxhash = txq;
		return found->queue_index;
	}
	return reciprocal_scale(txq, READ_ONCE(b->numqueues));
}

static u32 vh_bench_one(struct vh_bench *b, enum vh_bench_mode mode,
			struct sk_buff *skb)
{
	struct tun_vnet_hash_report report;
	u16 queue;

	switch (mode) {
	case VH_BENCH_RSS:
		return tun_vnet_hash_select_queue(b->rss, skb, true,
						  b->numqueues);
	case VH_BENCH_RSS_REPORT:
		/*
		 * What tun does per packet with both flags: the queue in
		 * ndo_select_queue, the reported hash in ndo_start_xmit.
		 */
		queue = tun_vnet_hash_select_queue(b->rss_report, skb, true,
						   b->numqueues);
		tun_vnet_hash_compute(b->rss_report, skb, true, &report);
		return queue ^ report.value ^ report.type;
	case VH_BENCH_RSS_TUNNEL:
		return tun_vnet_hash_select_queue(b->rss_tunnel, skb, true,
						  b->numqueues);
	case VH_BENCH_AUTOMQ:
		return vh_bench_automq(b, skb);
	default:
		return 0;
	}
}

/* Best of a few passes over the flows, in ns per packet (x100). */
static u64 vh_bench_run(struct vh_bench *b, enum vh_bench_mode mode,
			u32 *sink)
{
	u64 best = U64_MAX, start, ns;
	unsigned int pass, r, i;

	for (pass = 0; pass < VH_BENCH_PASSES; pass++) {
		rcu_read_lock();
		start = ktime_get_ns();
		for (r = 0; r < VH_BENCH_ROUNDS; r++)
			for (i = 0; i < VH_BENCH_FLOWS; i++)
				*sink ^= vh_bench_one(b, mode, b->skbs[i]);
		ns = ktime_get_ns() - start;
		rcu_read_unlock();
		best = min(best, ns);
		cond_resched();
	}
	return div64_u64(best * 100, (u64)VH_BENCH_ROUNDS * VH_BENCH_FLOWS);
}

KUNIT_DEFINE_ACTION_WRAPPER(vh_free_netdev_action, free_netdev,
			    struct net_device *);

/*
 * A flow per skb, as pktgen's random source addresses and ports make; in
 * the inner packet of @tunnel when it is not NULL.
 */
static void vh_bench_skbs(struct kunit *test, struct vh_bench *b,
			  const struct vnet_hash_shape *shape,
			  const struct vnet_hash_tunnel_case *tunnel,
			  struct net_device *dev)
{
	struct vnet_hash_flow flow;
	unsigned int i;

	for (i = 0; i < VH_BENCH_FLOWS; i++) {
		flow = *vh_default_flow(shape);
		flow.sport = 1024 + i;
		flow.saddr[shape->l3 == VH_IPV6 ? 13 : 2] = i;
		b->skbs[i] = tunnel ? vh_tunnel_skb(test, tunnel, &flow) :
				      vh_skb(test, shape, &flow);
		/*
		 * A VXLAN endpoint takes the outer source port from the
		 * inner flow (RFC 7348, section 5): the flows differ in the
		 * outer header too.
		 */
		if (tunnel)
			put_unaligned_be16(49152 + i, b->skbs[i]->data +
					   ETH_HLEN + sizeof(struct iphdr));
		/* As at ndo_select_queue: data at the MAC header. */
		skb_set_network_header(b->skbs[i], ETH_HLEN);
		b->skbs[i]->dev = dev;
	}
}

/*
 * tun_vnet_hash_kunit.bench_frames=1 on the command line: the benchmark
 * also prints each frame it times, in hex, with the queue and the report
 * that RSS + report gives it, so that a userspace benchmark (make
 * bench-native) can time another implementation on the very same frames
 * and check its choices against these.
 */
static bool bench_frames;
module_param(bench_frames, bool, 0444);
MODULE_PARM_DESC(bench_frames, "benchmark: print the frames it times");

static void vh_bench_print_frames(struct kunit *test, struct vh_bench *b,
				  const char *shape)
{
	struct tun_vnet_hash_report report;
	unsigned int i, len;
	struct sk_buff *skb;
	u16 queue;
	char *hex;

	/* %*phN prints 64 bytes at most */
	hex = kunit_kmalloc(test, 2 * VH_FRAME_MAX + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hex);
	for (i = 0; i < VH_BENCH_FLOWS; i++) {
		skb = b->skbs[i];
		queue = tun_vnet_hash_select_queue(b->rss_report, skb, true,
						   b->numqueues);
		tun_vnet_hash_compute(b->rss_report, skb, true, &report);
		len = min_t(unsigned int, skb->len, VH_FRAME_MAX);
		*bin2hex(hex, skb->data, len) = '\0';
		kunit_info(test, "frame %s %u %u %08x %u %s\n", shape, i,
			   queue, report.value, report.type, hex);
	}
	kunit_kfree(test, hex);
}

/* Every flow has an entry, as when the guest talks back on each. */
static void vh_bench_fill_flows(struct kunit *test, struct vh_bench *b)
{
	struct vh_bench_flow_entry *e;
	unsigned int i;
	u32 rxhash;

	for (i = 0; i < VH_BENCH_FLOW_BUCKETS; i++)
		INIT_HLIST_HEAD(&b->flows[i]);
	for (i = 0; i < VH_BENCH_FLOWS; i++) {
		rxhash = __skb_get_hash_symmetric(b->skbs[i]);
		e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, e);
		e->rxhash = rxhash;
		e->rps_rxhash = rxhash;
		e->queue_index = i % b->numqueues;
		hlist_add_head_rcu(&e->hash_link,
				   &b->flows[rxhash & (VH_BENCH_FLOW_BUCKETS - 1)]);
	}
}

static void vh_benchmark_test(struct kunit *test)
{
	static const struct vnet_hash_shape * const shapes[] = {
		&vh_ipv4_tcp, &vh_ipv6_tcp, &vh_ipv6_hao_rh2_tcp, &vh_arp,
		&vh_ipv4_tcp,
	};
	u16 table[VH_BENCH_TABLE];
	u64 cost[VH_BENCH_MODES];
	enum vh_bench_mode mode;
	struct net_device *dev;
	struct vh_bench *b;
	unsigned int s, i;
	u32 sink = 0;

	if (!IS_ENABLED(CONFIG_TUN_VNET_HASH_BENCHMARK))
		kunit_skip(test, "CONFIG_TUN_VNET_HASH_BENCHMARK is off");

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	b->numqueues = VH_BENCH_QUEUES;
	for (i = 0; i < VH_BENCH_TABLE; i++)
		table[i] = i % VH_BENCH_QUEUES;
	b->rss = vh_config(test, TUN_VNET_HASH_RSS, HT_ALL, table,
			   VH_BENCH_TABLE - 1, 0, vh_ms_key,
			   sizeof(vh_ms_key));
	b->rss_report = vh_config(test,
				  TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT,
				  HT_ALL, table, VH_BENCH_TABLE - 1, 0,
				  vh_ms_key, sizeof(vh_ms_key));
	b->rss_tunnel = vh_config(test, TUN_VNET_HASH_RSS, HT_ALL, table,
				  VH_BENCH_TABLE - 1, 0, vh_ms_key,
				  sizeof(vh_ms_key));
	b->rss_tunnel->tunnel_types = TUN_VNET_HASH_TUNNEL_TYPES;

	/* The flow dissector finds its namespace through skb->dev. */
	dev = alloc_etherdev(0);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, vh_free_netdev_action,
						  dev));

	kunit_info(test, "%u flows per shape, %u queues, %u-entry table, all hash types\n",
		   VH_BENCH_FLOWS, VH_BENCH_QUEUES, VH_BENCH_TABLE);
	/* The last shape is the inner packet of VXLAN frames. */
	for (s = 0; s < ARRAY_SIZE(shapes); s++) {
		bool vxlan = s == ARRAY_SIZE(shapes) - 1;

		vh_bench_skbs(test, b, shapes[s],
			      vxlan ? &vh_bench_vxlan : NULL, dev);
		vh_bench_fill_flows(test, b);
		if (bench_frames)
			vh_bench_print_frames(test, b, vxlan ? "vxlan_ipv4_tcp" :
					      shapes[s]->name);
		for (mode = 0; mode < VH_BENCH_MODES; mode++)
			cost[mode] = vh_bench_run(b, mode, &sink);
		for (mode = 0; mode < VH_BENCH_MODES; mode++)
			kunit_info(test, "%-16s %-10s %4llu.%02llu ns/pkt, automq/this %llu.%02llux\n",
				   vxlan ? "vxlan_ipv4_tcp" : shapes[s]->name,
				   vh_bench_mode_names[mode],
				   cost[mode] / 100, cost[mode] % 100,
				   div64_u64(cost[VH_BENCH_AUTOMQ],
					     cost[mode] ?: 1),
				   div64_u64(cost[VH_BENCH_AUTOMQ] * 100,
					     cost[mode] ?: 1) % 100);
		for (i = 0; i < VH_BENCH_FLOWS; i++)
			kunit_kfree_skb(test, b->skbs[i]);
	}
	kunit_info(test, "sink %08x\n", sink);
}

static struct kunit_case tun_vnet_hash_test_cases[] = {
	KUNIT_CASE_PARAM(vh_classify_all_types_test, vh_shape_gen_params),
	KUNIT_CASE_PARAM(vh_rule_test, vh_rule_gen_params),
	KUNIT_CASE(vh_hwaccel_same_as_untagged_test),
	KUNIT_CASE_PARAM(vh_compute_data_test, vh_shape_gen_params),
	KUNIT_CASE_PARAM(vh_ms_vector_test, vh_ms_gen_params),
	KUNIT_CASE(vh_short_key_test),
	KUNIT_CASE(vh_compute_none_test),
	KUNIT_CASE(vh_select_queue_table_test),
	KUNIT_CASE(vh_select_queue_unclassified_test),
	KUNIT_CASE(vh_select_queue_no_queues_test),
	KUNIT_CASE_PARAM(vh_parse_test, vh_parse_gen_params),
	KUNIT_CASE(vh_config_size_test),
	KUNIT_CASE(vh_get_cap_test),
	KUNIT_CASE_PARAM(vh_ioctl_cmd_test, vh_ioctl_gen_params),
	KUNIT_CASE_PARAM(vh_tunnel_test, vh_tunnel_gen_params),
	KUNIT_CASE_PARAM(vh_nonlinear_test, vh_shape_gen_params),
	KUNIT_CASE_PARAM(vh_tunnel_nonlinear_test, vh_tunnel_gen_params),
	KUNIT_CASE_SLOW(vh_benchmark_test),
	{}
};

static struct kunit_suite tun_vnet_hash_test_suite = {
	.name = "tun_vnet_hash",
	.test_cases = tun_vnet_hash_test_cases,
};

kunit_test_suite(tun_vnet_hash_test_suite);

MODULE_DESCRIPTION("KUnit tests for tun's virtio_net hash report and RSS");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(TUN_VNET_HASH);
MODULE_LICENSE("GPL");
