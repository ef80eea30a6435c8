// SPDX-License-Identifier: GPL-2.0
/*
 * RSS as a tun steering eBPF program (TUNSETSTEERINGEBPF), the way QEMU
 * does it today without kernel support: parse Ethernet/IPv4, hash the
 * addresses and, for TCP and UDP, the ports with the Toeplitz function,
 * and return the indirection table entry.  tun takes the result modulo
 * the number of queues.  The key and table are those the benchmark gives
 * TUNSETVNETHASH, so both modes steer every flow to the same queue.
 *
 * A socket filter program reads the packet with
 * bpf_skb_load_bytes_relative(); IPv6 and non-IP packets go to queue 0
 * (the unclassified queue).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define RSS_TABLE_LEN	128

/*
 * Microsoft's verification key, as in the kernel benchmark mode.  Key and
 * table are writable data (a map, as QEMU's program has them), not
 * constants the verifier would track bit by bit; volatile keeps clang
 * from folding them into the code.
 */
static volatile __u8 rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The benchmark's kernel table: entry i is queue i % 8. */
static volatile __u16 rss_table[RSS_TABLE_LEN] = {
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
};

/*
 * Input bit p (from the most significant bit of byte 0) adds key bits
 * p .. p + 31.  A 64-bit window holds key bytes i .. i + 7 while byte i
 * of the input is hashed.  Zero bytes add nothing, so an IPv4 input
 * without ports is hashed as 12 bytes with zero ports.  Branchless bits:
 * a branch per bit would be 2^96 paths to verify.
 */
static __always_inline __u32 toeplitz12(const __u8 *in)
{
	__u64 window = 0;
	__u32 hash = 0;
	int i, bit;

#pragma unroll
	for (i = 0; i < 8; i++)
		window = window << 8 | rss_key[i];
	for (i = 0; i < 12; i++) {
#pragma unroll
		for (bit = 0; bit < 8; bit++)
			hash ^= (__u32)(window >> (32 - bit)) &
				-(__u32)((in[i] >> (7 - bit)) & 1);
		window = window << 8 | rss_key[i + 8];
	}
	return hash;
}

SEC("socket")
int rss_steering(struct __sk_buff *skb)
{
	__u8 input[12] = {};
	struct iphdr iph;

	/* Relative to the network header, as QEMU's program reads. */
	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    bpf_skb_load_bytes_relative(skb, 0, &iph, sizeof(iph),
					BPF_HDR_START_NET) ||
	    iph.ihl < 5)
		return 0;

	__builtin_memcpy(input, &iph.saddr, 4);
	__builtin_memcpy(input + 4, &iph.daddr, 4);
	if ((iph.protocol == IPPROTO_TCP || iph.protocol == IPPROTO_UDP) &&
	    !(iph.frag_off & bpf_htons(0x3fff)) &&
	    bpf_skb_load_bytes_relative(skb, iph.ihl * 4, input + 8, 4,
					BPF_HDR_START_NET))
		__builtin_memset(input + 8, 0, 4);

	return rss_table[toeplitz12(input) & (RSS_TABLE_LEN - 1)];
}

char _license[] SEC("license") = "GPL";
