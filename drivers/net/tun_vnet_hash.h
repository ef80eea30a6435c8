/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_net hash report and receive side scaling for tun-like devices.
 *
 * The rules are those of the virtio specification ("Device Types / Network
 * Device", RSS and hash calculation): the Toeplitz hash over the fields of
 * the first enabled hash type that the packet matches, an indirection
 * table to pick the queue, and the hash type reported in
 * struct virtio_net_hdr_v1_hash.
 */
#ifndef _TUN_VNET_HASH_H
#define _TUN_VNET_HASH_H

#include <linux/if_tun.h>
#include <linux/rcupdate.h>
#include <linux/sockptr.h>
#include <linux/toeplitz.h>
#include <linux/types.h>
#include <linux/virtio_net.h>

struct iov_iter;
struct sk_buff;

/* Longest indirection table; also the spec minimum (128) rounded up. */
#define TUN_VNET_HASH_MAX_TABLE_LENGTH	256
/* Queue indices of the table are below tun's queue limit, MAX_TAP_QUEUES
 * (tun.c checks that they agree).
 */
#define TUN_VNET_HASH_MAX_QUEUES	256
/* IPv6 extension headers walked before giving up on finding L4. */
#define TUN_VNET_HASH_MAX_EXT_HDRS	16

#define TUN_VNET_HASH_TYPES (VIRTIO_NET_RSS_HASH_TYPE_IPv4 | \
			     VIRTIO_NET_RSS_HASH_TYPE_TCPv4 | \
			     VIRTIO_NET_RSS_HASH_TYPE_UDPv4 | \
			     VIRTIO_NET_RSS_HASH_TYPE_IPv6 | \
			     VIRTIO_NET_RSS_HASH_TYPE_TCPv6 | \
			     VIRTIO_NET_RSS_HASH_TYPE_UDPv6 | \
			     VIRTIO_NET_RSS_HASH_TYPE_IP_EX | \
			     VIRTIO_NET_RSS_HASH_TYPE_TCP_EX | \
			     VIRTIO_NET_RSS_HASH_TYPE_UDP_EX)

/* Encapsulations whose packets can be hashed on their inner header */
#define TUN_VNET_HASH_TUNNEL_TYPES (VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2784 | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2890 | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_7676 | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_UDP | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN_GPE | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_IPIP | \
				    VIRTIO_NET_HASH_TUNNEL_TYPE_NVGRE)

/**
 * struct tun_vnet_hash_config - a device's hashing configuration
 * @rcu: for freeing after the readers of the data path are done
 * @toeplitz: the key, expanded
 * @types: enabled %VIRTIO_NET_RSS_HASH_TYPE_ flags
 * @tunnel_types: enabled %VIRTIO_NET_HASH_TUNNEL_TYPE_ flags
 * @flags: %TUN_VNET_HASH_ flags, never 0
 * @indirection_table_mask: hash bits that index @indirection_table
 * @unclassified_queue: queue of packets without a hash
 * @key: the key as set, zero-extended to %TOEPLITZ_KEY_MAX bytes
 * @indirection_table: queue indices, @indirection_table_mask + 1 of them
 *                     with %TUN_VNET_HASH_RSS, none without
 *
 * A configuration is immutable once published: an update replaces it as a
 * whole, so a reader never mixes the table of one with the key of another.
 */
struct tun_vnet_hash_config {
	struct rcu_head rcu;
	struct toeplitz_key toeplitz;
	u32 types;
	u32 tunnel_types;
	u16 flags;
	u16 indirection_table_mask;
	u16 unclassified_queue;
	u8 key[TOEPLITZ_KEY_MAX];
	u16 indirection_table[];
};

/**
 * struct tun_vnet_hash_input - what a packet is hashed over
 * @data: the hash input: addresses, then ports, in network byte order
 * @len: bytes of @data in use (0 when there is no hash)
 * @report: %VIRTIO_NET_HASH_REPORT_ type of the packet
 */
struct tun_vnet_hash_input {
	u8 data[TOEPLITZ_INPUT_MAX];
	u8 len;
	u8 report;
};

/**
 * struct tun_vnet_hash_report - the hash of a packet, as reported
 * @value: the Toeplitz hash, 0 when there is none
 * @type: %VIRTIO_NET_HASH_REPORT_ type, %VIRTIO_NET_HASH_REPORT_NONE when
 *        there is no hash
 */
struct tun_vnet_hash_report {
	u32 value;
	u16 type;
};

unsigned int tun_vnet_hash_ioctl_cmd(unsigned int cmd, unsigned int *size);
void tun_vnet_hash_get_cap(struct tun_vnet_hash_cap *cap);
int tun_vnet_hash_get_cap_user(void __user *argp, unsigned int size);
struct tun_vnet_hash_config *tun_vnet_hash_config_parse(sockptr_t arg,
							unsigned int size);
void tun_vnet_hash_config_free(struct tun_vnet_hash_config *config);

#if IS_ENABLED(CONFIG_KUNIT)
void tun_vnet_hash_classify(const struct sk_buff *skb, bool eth, u32 types,
			    u32 tunnel_types, struct tun_vnet_hash_input *input);
#endif
void tun_vnet_hash_compute(const struct tun_vnet_hash_config *config,
			   const struct sk_buff *skb, bool eth,
			   struct tun_vnet_hash_report *report);
void tun_vnet_hash_compute_data(const struct tun_vnet_hash_config *config,
				const void *data, unsigned int len, bool eth,
				struct tun_vnet_hash_report *report);
u16 tun_vnet_hash_select_queue(const struct tun_vnet_hash_config *config,
			       const struct sk_buff *skb, bool eth,
			       unsigned int numqueues);
u16 tun_vnet_hash_report_queue(const struct tun_vnet_hash_config *config,
			       const struct tun_vnet_hash_report *report,
			       unsigned int numqueues);
int tun_vnet_hash_put_vnet_hdr(size_t vnet_hdr_sz, struct iov_iter *iter,
			       const struct virtio_net_hdr *gso,
			       const struct tun_vnet_hash_report *report);

#endif /* _TUN_VNET_HASH_H */
