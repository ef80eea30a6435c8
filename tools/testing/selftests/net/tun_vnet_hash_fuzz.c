// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing and races for virtio_net hash report and RSS of tun/tap
 * (TUNSETVNETHASH), bounded in count and time, with fixed seeds:
 *
 * - config: random and mutated TUNSETVNETHASH arguments, some of them
 *   ending in an unmapped page.  Each call succeeds, and the device then
 *   steers and reports by the new configuration, or fails with EINVAL or
 *   EFAULT, and the previous configuration still steers.
 * - frames: random malformed frames (truncated headers, long extension
 *   header chains, bogus lengths, VLAN stacks) under RSS and report: each
 *   report is NONE or the oracle's hash, and the queue is the one of the
 *   reported hash.  Run it on a KASAN kernel for "nothing read beyond the
 *   packet" (make selftest-debug).
 * - races: configurations A and B swapped in a loop while every queue
 *   receives; queues attached and detached; the device deleted and its
 *   descriptors closed mid-traffic.  No packet may be steered or reported
 *   by a torn configuration (the table or types of one with the key of the
 *   other).
 *
 * Each test prints its figures as "# " lines.
 *
 * The default run is short, a few seconds of work per case under
 * kselftest's default timeouts.  TUN_VNET_HASH_FUZZ_LONG=1 in the
 * environment (make check sets it) runs the long one: ten times the
 * calls and frames, races three times as long, longer timeouts.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "../kselftest_harness.h"
#include "tun_vnet_hash_util.h"

#define QUEUES		4
#define HDR_SZ		((int)sizeof(struct virtio_net_hdr_v1_hash))
#define ALL		ORACLE_ALL_TYPES
#define REPORT		TUN_VNET_HASH_REPORT
#define RSS		TUN_VNET_HASH_RSS
#define ARG_MAX		(sizeof(struct tun_vnet_hash) + 2 * 1024 + 256)

#define CONFIG_SAMPLE	1000

/* The size of the run: short by default, see fuzz_long(). */
static int config_calls = 10000;
static int frame_count = 400;
static int race_seconds = 2;

/* A device configuration, as userspace knows it. */
struct config {
	uint16_t flags;
	uint32_t types;
	uint8_t key[256];
	uint16_t key_size;
	uint16_t table[1024];
	uint16_t mask;
	uint16_t unclassified_queue;
	uint32_t tunnel_types;
	size_t hdr_size;	/* bytes of the header in the argument */
	uint8_t tail;		/* its last byte, beyond the known fields */
};

#define TUNNEL_TYPES	0x1ff

struct fuzz_dev {
	char ifname[IFNAMSIZ];
	int ifindex;
	int fds[QUEUES];
	int sock;
	bool tap;
	bool vtap;	/* /dev/tapN queues, frames sent at the veth peer */
};

/*
 * A multi-queue device with a 20-byte vnet header: a tun or tap device,
 * or with @macvtap or @ipvtap a macvtap or ipvtap over veth (a tap, named
 * VTAP_NAME whatever @name says).  Return: 0, 1 when the kernel lacks
 * TUNSETVNETHASH, or -errno.
 */
static int fuzz_dev_open(struct fuzz_dev *dev, const char *name, bool tap,
			 bool macvtap, bool ipvtap)
{
	struct tun_vnet_hash_cap cap;
	int flags, i, err;

	memset(dev, 0, sizeof(*dev));
	for (i = 0; i < QUEUES; i++)
		dev->fds[i] = -1;
	dev->sock = -1;
	macvtap |= ipvtap;
	dev->tap = tap || macvtap;
	dev->vtap = macvtap;
	snprintf(dev->ifname, IFNAMSIZ, "%s", macvtap ? VTAP_NAME : name);
	if (macvtap) {
		err = vtap_link_create(ipvtap);
		if (err)
			return err;
	}
	flags = (tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | IFF_VNET_HDR |
		IFF_MULTI_QUEUE;
	for (i = 0; i < QUEUES; i++) {
		if (macvtap) {
			dev->fds[i] = vtap_open_queue(HDR_SZ);
			if (dev->fds[i] < 0)
				return dev->fds[i];
			continue;
		}
		dev->fds[i] = tun_open_queue(dev->ifname, flags);
		if (dev->fds[i] < 0)
			return dev->fds[i];
		err = tun_prepare_queue(dev->fds[i], HDR_SZ);
		if (err)
			return err;
	}
	if (ioctl(dev->fds[0], TUNGETVNETHASHCAP, &cap) < 0)
		return errno == EINVAL || errno == ENOTTY ? 1 : -errno;
	dev->ifindex = if_nametoindex(macvtap ? VTAP_PEER : dev->ifname);
	if (!dev->ifindex)
		return -errno;
	dev->sock = packet_socket(tap ? SOCK_RAW : SOCK_DGRAM);
	if (dev->sock < 0)
		return dev->sock;
	/* vtap_link_create() set it up, an ipvtap with its IPv6 address */
	return macvtap ? 0 : netdev_set_up(dev->ifname);
}

static void fuzz_dev_close(struct fuzz_dev *dev)
{
	int i;

	for (i = 0; i < QUEUES; i++)
		if (dev->fds[i] >= 0)
			close(dev->fds[i]);
	if (dev->sock >= 0)
		close(dev->sock);
	memset(dev->fds, 0xff, sizeof(dev->fds));
	dev->sock = -1;
	if (dev->vtap)
		vtap_link_delete();
}

/* Lay out the argument of @c at @buf; its length, or -E2BIG. */
static int config_arg(uint8_t *buf, size_t size, const struct config *c)
{
	struct tun_vnet_hash hash = {
		.flags = c->flags,
		.key_size = c->key_size,
		.types = c->types,
		.indirection_table_mask = c->mask,
		.unclassified_queue = c->unclassified_queue,
		.tunnel_types = c->tunnel_types,
	};
	size_t hdr_size = c->hdr_size ?: sizeof(hash);
	int len;

	len = tun_vnet_hash_arg_sized(buf, size, &hash, hdr_size, c->table,
				      c->key);
	if (len > 0 && hdr_size > sizeof(hash))
		buf[hdr_size - 1] = c->tail;
	return len;
}

/* TUNSETVNETHASH with the header size of @c in the command number */
static int config_ioctl(int fd, const struct config *c, const void *arg)
{
	size_t hdr_size = c->hdr_size ?: sizeof(struct tun_vnet_hash);

	return ioctl(fd, _IOC(_IOC_WRITE, 'T', 229, hdr_size), arg) ?
	       errno : 0;
}

static int config_set(int fd, const struct config *c)
{
	uint8_t buf[ARG_MAX + 64];

	if (config_arg(buf, sizeof(buf), c) < 0)
		return -E2BIG;
	return -config_ioctl(fd, c, buf);
}

/* What the device must report for a frame, and the queue RSS gives. */
static struct oracle_result config_hash(const struct config *c, bool tap,
					const uint8_t *pkt, size_t len,
					uint16_t l3_proto)
{
	struct oracle_result none = { 0, VIRTIO_NET_HASH_REPORT_NONE };
	struct oracle_input in;

	if (!c->flags)
		return none;
	if (tap)
		oracle_classify_eth_tunnel(pkt, len, c->types, c->tunnel_types,
					   &in);
	else
		oracle_classify_l3_tunnel(l3_proto, pkt, len, c->types,
					  c->tunnel_types, &in);
	return oracle_hash(c->key, c->key_size, &in);
}

static unsigned int config_queue(const struct config *c,
				 struct oracle_result res)
{
	return oracle_queue(res, c->table, c->mask, c->unclassified_queue,
			    QUEUES);
}

static uint32_t hdr_hash_value(const uint8_t *hdr)
{
	struct rx_result rx;

	memcpy(rx.hdr, hdr, HDR_SZ);
	return rx_hash_value(&rx);
}

static uint16_t hdr_hash_report(const uint8_t *hdr)
{
	struct rx_result rx;

	memcpy(rx.hdr, hdr, HDR_SZ);
	return rx_hash_report(&rx);
}

/*
 * Send well-formed flows of every kind; each must come out once, on the
 * queue of @c when it has RSS (any queue otherwise), with the report of
 * @c.  Return: the number of frames that did not.
 */
static int check_steering(struct __test_metadata *_metadata,
			  struct fuzz_dev *dev, const struct config *c,
			  uint32_t *state, const char *when)
{
	int kind, bad = 0;

	for (kind = 0; kind < FLOW_KINDS; kind++) {
		struct oracle_result res;
		struct frame_spec s;
		struct rx_result rx;
		struct frame f;
		int want;

		flow_spec_random(&s, kind, state);
		frame_build(&f, &s);
		res = config_hash(c, true, f.data, f.len, 0);
		if (!(c->flags & REPORT))
			res = (struct oracle_result){ 0, 0 };
		if (packet_send(dev->sock, dev->ifindex, &f, false) ||
		    rx_find(dev->fds, QUEUES, HDR_SZ, f.data, f.len, &rx) ||
		    rx.copies != 1) {
			bad++;
			TH_LOG("%s: %s frame lost (%d copies)", when,
			       flow_kind_names[kind], rx.copies);
			continue;
		}
		want = (c->flags & RSS) ?
		       (int)config_queue(c, config_hash(c, true, f.data, f.len,
							0)) : rx.queue;
		if (rx.queue != want ||
		    rx_hash_value(&rx) != res.value ||
		    rx_hash_report(&rx) != res.report) {
			bad++;
			TH_LOG("%s: %s: queue %d %08x/%u, want %d %08x/%u (flags %x)",
			       when, flow_kind_names[kind], rx.queue,
			       rx_hash_value(&rx), rx_hash_report(&rx), want,
			       res.value, res.report, c->flags);
		}
	}
	return bad;
}

FIXTURE(fuzz)
{
	struct fuzz_dev dev;
};

FIXTURE_VARIANT(fuzz)
{
	bool tap;
	bool macvtap;
	bool ipvtap;
};

FIXTURE_VARIANT_ADD(fuzz, tap) {
	.tap = true,
};

FIXTURE_VARIANT_ADD(fuzz, macvtap) {
	.tap = true,
	.macvtap = true,
};

FIXTURE_VARIANT_ADD(fuzz, ipvtap) {
	.tap = true,
	.ipvtap = true,
};

FIXTURE_VARIANT_ADD(fuzz, tun) {
	.tap = false,
};

FIXTURE_SETUP(fuzz)
{
	int err;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	err = fuzz_dev_open(&self->dev, "vhf%d", variant->tap,
			    variant->macvtap, variant->ipvtap);
	if (err == 1)
		SKIP(return, "TUNSETVNETHASH not supported");
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(fuzz)
{
	fuzz_dev_close(&self->dev);
}

/* A valid configuration, at random. */
static void config_random(struct config *c, uint32_t *state)
{
	static const uint16_t flag_sets[] = { REPORT, RSS, RSS | REPORT };
	uint32_t r = flow_random(state);
	int i;

	memset(c, 0, sizeof(*c));
	if (r % 64 == 0)
		return;		/* off */
	c->flags = flag_sets[r / 64 % 3];
	c->types = flow_random(state) & ALL;
	c->key_size = 1 + flow_random(state) % ORACLE_KEY_SIZE;
	for (i = 0; i < c->key_size; i++)
		c->key[i] = flow_random(state);
	if (c->flags & RSS) {
		c->mask = (1u << (flow_random(state) % 9)) - 1;
		for (i = 0; i <= c->mask; i++)
			c->table[i] = r & 0x100 ? flow_random(state) % 256 :
						  flow_random(state) % 8;
		c->unclassified_queue = flow_random(state) % 256;
	}
	if (r & 0x200)
		c->tunnel_types = flow_random(state) & TUNNEL_TYPES;
}

/*
 * The header size: the first or the current one, or a larger one with a
 * zero tail; a first-size header carries no tunnel_types.
 */
static void config_size_random(struct config *c, uint32_t *state)
{
	uint32_t r = flow_random(state);

	switch (r % 4) {
	case 0:
		c->hdr_size = TUN_VNET_HASH_SIZE_VER0;
		c->tunnel_types = 0;
		break;
	case 1:
		c->hdr_size = sizeof(struct tun_vnet_hash) + 1 + r / 4 % 48;
		break;
	default:
		c->hdr_size = TUN_VNET_HASH_SIZE_VER1;
		break;
	}
}

/* Break one rule of the UAPI, or a few at once. */
static void config_mutate(struct config *c, uint32_t *state)
{
	uint32_t r = flow_random(state);
	int i;

	switch (r % 13) {
	case 10:	/* tunnel types outside the capability */
		c->tunnel_types |= 0x200u << (flow_random(state) % 23);
		break;
	case 11:	/* tunnel types with flags 0 */
		memset(c, 0, sizeof(*c));
		c->tunnel_types = 1 + flow_random(state) % TUNNEL_TYPES;
		break;
	case 12:	/* a larger header with a non-zero tail */
		c->hdr_size = sizeof(struct tun_vnet_hash) + 1 + r / 16 % 48;
		c->tail = 1 + flow_random(state) % 255;
		break;
	case 0:		/* unknown flag */
		c->flags |= 4u << (flow_random(state) % 14);
		break;
	case 1:		/* unknown type */
		c->types |= 0x200u << (flow_random(state) % 23);
		break;
	case 2:		/* key size 0 or beyond the maximum */
		c->key_size = r & 0x10 ? 0 : 41 + flow_random(state) % 215;
		for (i = 0; i < c->key_size; i++)
			c->key[i] = flow_random(state);
		break;
	case 3:		/* table length not a power of two, or too long */
		if (!(c->flags & RSS))
			c->flags |= RSS;
		do {
			c->mask = flow_random(state) % 1024;
		} while (c->mask < 256 && !(c->mask & (c->mask + 1)));
		for (i = 0; i <= c->mask; i++)
			c->table[i] = flow_random(state) % 4;
		break;
	case 4:		/* unclassified queue out of range */
		c->flags |= RSS;
		c->unclassified_queue = 256 + flow_random(state) % 65280;
		break;
	case 5:		/* a table entry out of range */
		c->flags |= RSS;
		c->table[flow_random(state) % (c->mask + 1u)] =
			256 + flow_random(state) % 65280;
		break;
	case 6:		/* flags 0 with another field set */
		c->flags = 0;
		if (!c->types && !c->key_size && !c->mask &&
		    !c->unclassified_queue)
			c->key_size = 1 + r % 40;
		break;
	case 7:		/* RSS fields without RSS */
		c->flags = REPORT;
		if (r & 0x10)
			c->mask = 1 + flow_random(state) % 255;
		else
			c->unclassified_queue = 1 + flow_random(state) % 255;
		break;
	default:	/* random bits everywhere */
		c->flags = flow_random(state);
		c->types = flow_random(state);
		c->key_size = flow_random(state) % 256;
		c->mask = flow_random(state) % 1024;
		c->unclassified_queue = flow_random(state);
		for (i = 0; i < 1024; i++)
			c->table[i] = flow_random(state) % 300;
		break;
	}
}

/* Whether the kernel must accept @c (all of it readable). */
static bool config_valid(const struct config *c)
{
	int i;

	if (!c->flags)
		return !c->types && !c->key_size && !c->mask &&
		       !c->unclassified_queue && !c->tunnel_types;
	if (c->flags & ~(REPORT | RSS) || c->types & ~ALL ||
	    c->tunnel_types & ~TUNNEL_TYPES ||
	    !c->key_size || c->key_size > ORACLE_KEY_SIZE)
		return false;
	if (!(c->flags & RSS))
		return !c->mask && !c->unclassified_queue;
	if (c->mask > 255 || c->mask & (c->mask + 1) ||
	    c->unclassified_queue >= 256)
		return false;
	for (i = 0; i <= c->mask; i++)
		if (c->table[i] >= 256)
			return false;
	return true;
}

/* Bytes of the argument the kernel needs to read. */
static size_t config_arg_len(const struct config *c)
{
	size_t len = c->hdr_size ?: sizeof(struct tun_vnet_hash);

	if (!c->flags)
		return len;
	if (c->flags & RSS)
		len += 2 * ((size_t)c->mask + 1);
	return len + c->key_size;
}

/*
 * Random and mutated arguments through every queue.  A tenth of them end
 * in front of a PROT_NONE page, a third of those before their last byte.
 * The previous configuration is checked to still steer every
 * CONFIG_SAMPLE calls and after the first failure of each kind.
 */
TEST_F_TIMEOUT(fuzz, config, 30)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t map_len = 2 * page;
	int calls[4] = {}, first[4] = {}, tails = 0, cut = 0, checks = 0;
	uint32_t state = 0x5eed0001, check_state = 0xc0ffee;
	struct config cur = {}, c;
	uint8_t *map, *guard;
	int i, bad = 0;

	if (!variant->tap)
		SKIP(return, "the tap variant covers the ioctl");
	if (variant->ipvtap)
		SKIP(return, "the macvtap variant covers the ioctl of tap.c");
	map = mmap(NULL, map_len + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	guard = map + map_len;
	ASSERT_EQ(0, mprotect(guard, page, PROT_NONE));

	for (i = 0; i < config_calls; i++) {
		uint32_t r = flow_random(&state);
		size_t need, avail;
		bool valid, readable;
		uint8_t *arg;
		int len, ret, want, kind;

		config_random(&c, &state);
		config_size_random(&c, &state);
		if (r % 3)
			config_mutate(&c, &state);
		if (c.hdr_size == TUN_VNET_HASH_SIZE_VER0)
			c.tunnel_types = 0;	/* not in the argument */
		len = config_arg(map, map_len, &c);
		ASSERT_LT(0, len);
		need = config_arg_len(&c);
		/* Declared lengths beyond what was laid out are invalid. */
		if (need > (size_t)len)
			need = len;
		avail = need + r / 8 % 64;	/* bytes mapped from arg on */
		/* A non-zero tail is tried on a whole argument only. */
		if (r / 1024 % 10 == 0 && !c.tail) {
			tails++;
			avail = need;
			if (r / 16384 % 3 == 0) {
				cut++;
				avail = flow_random(&state) % need;
			}
		}
		if ((size_t)len > avail)
			len = avail;
		arg = guard - avail;
		memmove(arg, map, len);

		valid = config_valid(&c);
		readable = avail >= config_arg_len(&c);
		ret = config_ioctl(self->dev.fds[i % QUEUES], &c, arg);

		/* Either error is right for an argument both invalid and cut. */
		if (avail < (c.hdr_size ?: sizeof(struct tun_vnet_hash)))
			want = EFAULT;
		else if (c.tail)
			want = E2BIG;
		else if (readable)
			want = valid ? 0 : EINVAL;
		else
			want = valid ? EFAULT : ret == EINVAL ? EINVAL : EFAULT;
		EXPECT_EQ(want, ret)
			TH_LOG("call %d: flags %x types %x key %u mask %u uq %u, %zu/%zu mapped",
			       i, c.flags, c.types, c.key_size, c.mask,
			       c.unclassified_queue, avail,
			       config_arg_len(&c));
		if (want != ret)
			TH_LOG("call %d: tunnel types %x, header %zu bytes, last %u",
			       i, c.tunnel_types, c.hdr_size, c.tail);

		kind = ret == 0 ? 0 : ret == EINVAL ? 1 : ret == EFAULT ? 2 : 3;
		calls[kind]++;
		if (!ret)
			cur = c;
		if ((i + 1) % CONFIG_SAMPLE == 0 || !first[kind]++) {
			checks++;
			bad += check_steering(_metadata, &self->dev, &cur,
					      &check_state, "config");
		}
		if (bad > 10)
			break;
	}
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, calls[0]);
	EXPECT_LT(0, calls[1]);
	EXPECT_LT(0, calls[2]);
	EXPECT_LT(0, calls[3]);
	munmap(map, map_len + page);
	printf("# config: %d calls (seed 0x5eed0001): %d ok, %d EINVAL, %d EFAULT, %d E2BIG\n",
	       i, calls[0], calls[1], calls[2], calls[3]);
	printf("# config: %d against an unmapped page (%d cut short); %d steering checks\n",
	       tails, cut, checks);
	fflush(stdout);
}

/* Replace the Next Header chain after an IPv6 header: @n headers. */
static void frame_long_chain(struct frame *f, uint32_t *state)
{
	size_t ip = f->l3_off, off = ip + 40;
	int n = 1 + flow_random(state) % 40, i;
	uint8_t last = flow_random(state) & 1 ? ORACLE_NEXTHDR_TCP :
						ORACLE_NEXTHDR_UDP;

	f->data[ip + 6] = ORACLE_NEXTHDR_DEST;
	for (i = 0; i < n && off + 8 + 20 <= FRAME_MAX / 2; i++) {
		uint8_t *h = f->data + off;

		memset(h, 0, 8);
		h[0] = i + 1 < n ? ORACLE_NEXTHDR_DEST : last;
		h[2] = 1;	/* PadN */
		h[3] = 4;
		off += 8;
	}
	memset(f->data + off, 0, 20);
	frame_put_be16(f->data + off, flow_random(state));
	frame_put_be16(f->data + off + 2, flow_random(state));
	f->len = off + 20;
	frame_put_be16(f->data + ip + 4, f->len - ip - 40);
}

/*
 * A random frame, mutated at random unless @valid; with @ipvtap, an IP
 * one is addressed to the ipvtap.
 */
static void frame_random(struct frame *f, uint32_t *state, bool valid,
			 bool ipvtap)
{
	static const uint8_t exts[] = {
		FRAME_EXT_HOP, FRAME_EXT_DEST, FRAME_EXT_DEST_HAO,
		FRAME_EXT_ROUTING, FRAME_EXT_RH2, FRAME_EXT_FRAG,
		FRAME_EXT_AUTH, FRAME_EXT_MOBILITY, FRAME_EXT_ESP,
		FRAME_EXT_NONE,
	};
	static const uint8_t nexthdrs[] = { 0, 6, 17, 43, 44, 50, 51, 59, 60,
					    135 };
	uint32_t r = flow_random(state);
	struct frame_spec s, inner;
	struct frame_tunnel t;
	int i, n;

	flow_spec_random(&s, r % FLOW_KINDS, state);
	if (r & 0x800) {
		/* An encapsulation of any kind, of any inner flow */
		flow_spec_random(&inner, flow_random(state) % FLOW_KINDS,
				 state);
		tunnel_spec(&s, &t, &tunnel_kinds[flow_random(state) %
						  ARRAY_SIZE(tunnel_kinds)],
			    &inner, state);
		r &= ~0x80u;
	}
	if (s.ethertype == ETH_P_IPV6 && r & 0x10) {
		s.n_ext = flow_random(state) % 6;
		for (i = 0; i < s.n_ext; i++)
			s.ext[i] = exts[flow_random(state) % sizeof(exts)];
	}
	if (s.ethertype == ETH_P_IP && r & 0x20)
		s.ipv4_optlen = 4 * (flow_random(state) % 11);
	if (s.ethertype == ETH_P_IP && r & 0x40)
		s.ipv4_frag = flow_random(state) & 0x3fff;
	if (r & 0x80) {
		s.l4_trunc = true;
		s.l4_len = flow_random(state) % 8;
	}
	if (r & 0x100)
		s.tpid[0] = r & 0x200 ? ETH_P_8021AD : ETH_P_8021Q;
	if (r & 0x100 && r & 0x400)
		s.tpid[1] = ETH_P_8021Q;
	if (ipvtap)
		vtap_ip_frame(&s);
	frame_build(f, &s);
	if (valid)
		return;

	n = 1 + flow_random(state) % 3;
	for (i = 0; i < n; i++) {
		size_t l3 = f->l3_off;
		uint32_t m = flow_random(state);

		switch (m % 14) {
		case 9:		/* truncated in or right after a tunnel header */
			if (f->tunnel_off)
				f->len = f->tunnel_off + (m >> 8) %
					 (f->inner_off - f->tunnel_off + 48);
			if (f->len > FRAME_MAX)
				f->len = FRAME_MAX;
			break;
		case 10:	/* a random byte in the encapsulation header,
				 * GENEVE's option length among them
				 */
			if (f->inner_off > f->encap_off)
				f->data[f->encap_off + (m >> 8) %
					(f->inner_off - f->encap_off)] = m >> 16;
			break;
		case 11:	/* GRE flag soup, or a random first word */
			if (f->inner_off >= f->encap_off + 2)
				frame_put_be16(f->data + f->encap_off, m >> 16);
			break;
		case 12:	/* the inner header's version or length */
			if (f->inner_off && f->len > f->inner_off + 1)
				f->data[f->inner_off + (m >> 8) % 2] = m >> 16;
			break;
		case 0:		/* truncated anywhere */
			f->len = f->len ? flow_random(state) % f->len : 0;
			break;
		case 1:		/* random bytes in the headers */
			if (f->len > l3)
				f->data[l3 + flow_random(state) %
					(f->len - l3 < 100 ? f->len - l3 : 100)] =
					flow_random(state);
			break;
		case 2:		/* bogus IHL or IPv6 payload length */
			if (f->len >= l3 + 8 && f->l3_proto == ETH_P_IP)
				f->data[l3] = 0x40 | (m >> 8) % 16;
			else if (f->len >= l3 + 8)
				frame_put_be16(f->data + l3 + 4, m >> 8);
			break;
		case 3:		/* bogus extension header length */
			if (f->len > l3 + 41)
				f->data[l3 + 41 + 8 * ((m >> 8) % 4)] =
					flow_random(state);
			break;
		case 4:		/* a random Next Header */
			if (f->len > l3 + 40 && f->l3_proto == ETH_P_IPV6)
				f->data[l3 + 40 + 8 * ((m >> 8) % 4)] =
					nexthdrs[(m >> 16) % sizeof(nexthdrs)];
			else if (f->len > l3 + 9)
				f->data[l3 + 9] = nexthdrs[(m >> 16) %
							   sizeof(nexthdrs)];
			break;
		case 5:		/* a long chain of Destination Options */
			if (f->l3_proto == ETH_P_IPV6 && f->len >= l3 + 40)
				frame_long_chain(f, state);
			break;
		case 6: {	/* a VLAN stack, up to 12 deep */
			int tags = 1 + (m >> 8) % 12, t;

			if (f->len < ETH_HLEN || f->len + 4 * tags > 1514)
				break;
			memmove(f->data + ETH_HLEN - 2 + 4 * tags,
				f->data + ETH_HLEN - 2, f->len - ETH_HLEN + 2);
			for (t = 0; t < tags; t++) {
				uint8_t *p = f->data + ETH_HLEN - 2 + 4 * t;

				frame_put_be16(p, (m >> (16 + t)) & 1 ?
					       ETH_P_8021AD : ETH_P_8021Q);
				frame_put_be16(p + 2, t + 1);
			}
			f->len += 4 * tags;
			f->l3_off += 4 * tags;
			break;
		}
		case 7: {	/* padding the IP length field leaves out */
			size_t pad = 1 + (m >> 8) % 64, p;

			if (f->len + pad > 1514)
				break;
			for (p = 0; p < pad; p++)
				f->data[f->len + p] = flow_random(state);
			f->len += pad;
			break;
		}
		case 8:		/* an IPv4 total length that lies */
			if (f->len >= l3 + 4 && f->l3_proto == ETH_P_IP)
				frame_put_be16(f->data + l3 + 2, m >> 16);
			break;
		default:	/* IPv4 in IPv6's clothes and back */
			if (f->len > l3)
				f->data[l3] ^= 0x20;
			break;
		}
	}
}

/* Read a frame from any queue, waiting up to a second. */
static ssize_t read_any(const int *fds, uint8_t *buf, size_t size,
			int *queue)
{
	struct pollfd pfd[QUEUES];
	int round, i;
	ssize_t n;

	for (i = 0; i < QUEUES; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	for (round = 0; round < 100; round++) {
		for (i = 0; i < QUEUES; i++) {
			n = read(fds[i], buf, size);
			if (n >= 0) {
				*queue = i;
				return n;
			}
			if (errno != EAGAIN)
				return -errno;
		}
		if (poll(pfd, QUEUES, 10) < 0)
			return -errno;
	}
	return -ETIMEDOUT;
}

/*
 * Random malformed frames under RSS and report, with a new random set of
 * types every 100 frames.  Every frame must match the oracle exactly,
 * malformed ones included: the oracle models each decision of the spec
 * document (truncated headers, chain and VLAN bounds), so a NONE where
 * the oracle hashes is as wrong as another hash.  The queue must be the
 * one of the reported hash.
 */
/*
 * Frames that never reach the macvtap, so are not sent: a frame whose
 * destination is not the macvtap's address goes to the veth's own stack
 * (or, multicast, to every macvlan later, from a work item), which a
 * mutation can make of the address or of a frame cut short and padded;
 * and the receive path of the veth takes the outer VLAN tag out of the
 * frame (skb_vlan_untag()) and drops a frame too short for a tag and the
 * next ethertype.
 */
static bool frame_macvtap_misses(const struct frame *f)
{
	uint16_t tpid;

	if (f->len < ETH_HLEN || memcmp(f->data, frame_dst_mac, ETH_ALEN))
		return true;
	tpid = oracle_get_be16(f->data + 12);
	return (tpid == ETH_P_8021Q || tpid == ETH_P_8021AD) &&
	       f->len < ETH_HLEN + 6;
}

/*
 * Frames that never reach the ipvtap (ipvlan_get_L3_hdr() and the address
 * lookup of ipvlan in L2 mode), or might not: anything but IPv4 and IPv6
 * with a well-formed length at the outer header, behind at most the one
 * VLAN tag that the veth takes out, to the ipvtap's address.
 */
static bool frame_ipvtap_misses(const struct frame *f)
{
	uint8_t addr[16];
	size_t l3 = ETH_HLEN;
	uint16_t proto, len;
	const uint8_t *ip;

	if (f->len < ETH_HLEN || memcmp(f->data, frame_dst_mac, ETH_ALEN))
		return true;
	proto = oracle_get_be16(f->data + 12);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		if (f->len < ETH_HLEN + 4)
			return true;
		proto = oracle_get_be16(f->data + 16);
		l3 += 4;
	}
	ip = f->data + l3;
	if (proto == ETH_P_IP) {
		if (f->len < l3 + 20 || ip[0] >> 4 != 4 || (ip[0] & 15) < 5)
			return true;
		len = oracle_get_be16(ip + 2);
		inet_pton(AF_INET, VTAP_ADDR4, addr);
		return len > f->len - l3 || len < (ip[0] & 15) * 4 ||
		       memcmp(ip + 16, addr, 4);
	}
	if (proto == ETH_P_IPV6) {
		static const uint8_t any[16];

		if (f->len < l3 + 40 || ip[0] >> 4 != 6 ||
		    !memcmp(ip + 8, any, 16))
			return true;
		inet_pton(AF_INET6, VTAP_ADDR6, addr);
		return memcmp(ip + 24, addr, 16);
	}
	return true;
}

TEST_F_TIMEOUT(fuzz, frames, 30)
{
	int sent = 0, rejected = 0, got = 0, exact = 0, none = 0, wrong = 0;
	int kinds[4] = {}, badq = 0, valid_wrong = 0;
	uint8_t buf[HDR_SZ + FRAME_MAX];
	uint32_t state = 0x5eed0002;
	struct config c = {};
	int i, j;

	c.flags = RSS | REPORT;
	c.types = ALL;
	c.key_size = ORACLE_KEY_SIZE;
	c.mask = 255;
	c.unclassified_queue = 3;
	for (i = 0; i < frame_count; i++) {
		struct oracle_result want, res;
		bool valid = i % 10 == 0;
		const uint8_t *pkt;
		unsigned int wantq;
		struct frame f;
		int queue;
		ssize_t n;

		if (i % 100 == 0) {
			c.types = i % 200 ? flow_random(&state) & ALL : ALL;
			c.tunnel_types = i % 200 ?
					 flow_random(&state) & TUNNEL_TYPES :
					 TUNNEL_TYPES;
			for (j = 0; j < ORACLE_KEY_SIZE; j++)
				c.key[j] = flow_random(&state);
			for (j = 0; j <= c.mask; j++)
				c.table[j] = flow_random(&state) % QUEUES;
			ASSERT_EQ(0, config_set(self->dev.fds[i / 100 % QUEUES],
						&c));
		}
		frame_random(&f, &state, valid, variant->ipvtap);
		if (!variant->tap && f.len <= f.l3_off)
			continue;
		if ((variant->macvtap && frame_macvtap_misses(&f)) ||
		    (variant->ipvtap && frame_ipvtap_misses(&f)) ||
		    packet_send(self->dev.sock, self->dev.ifindex, &f,
				!variant->tap)) {
			rejected++;
			continue;
		}
		sent++;
		n = read_any(self->dev.fds, buf, sizeof(buf), &queue);
		if (n < HDR_SZ) {
			TH_LOG("frame %d: read %zd", i, n);
			continue;
		}
		got++;
		pkt = buf + HDR_SZ;
		want = config_hash(&c, variant->tap, pkt, n - HDR_SZ,
				   f.l3_proto);
		res.value = hdr_hash_value(buf);
		res.report = hdr_hash_report(buf);
		wantq = config_queue(&c, res);
		if (res.report == want.report && res.value == want.value) {
			exact++;
		} else if (!valid && res.report == VIRTIO_NET_HASH_REPORT_NONE &&
			   !res.value) {
			none++;
		} else {
			/* Same input another type, same type another input,
			 * a hash where the oracle has none, anything else.
			 */
			kinds[res.value == want.value ? 0 :
			      res.report == want.report ? 1 :
			      want.report == VIRTIO_NET_HASH_REPORT_NONE ? 2 :
			      3]++;
			valid_wrong += valid;
			if (wrong++ < 10 || valid)
				TH_LOG("frame %d (%s, %zd B, types %x): %08x/%u, oracle %08x/%u",
				       i, valid ? "valid" : "mutated",
				       n - HDR_SZ, c.types, res.value,
				       res.report, want.value, want.report);
		}
		if ((unsigned int)queue != wantq && badq++ < 10)
			TH_LOG("frame %d: queue %d, reported hash %08x type %u gives %u",
			       i, queue, res.value, res.report, wantq);
	}
	/* Nothing else may be queued: one frame in, one frame out. */
	ASSERT_EQ(-ETIMEDOUT, read_any(self->dev.fds, buf, sizeof(buf), &j));
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(0, none);
	EXPECT_EQ(0, badq);
	EXPECT_EQ(sent, got);
	/* ipvlan takes IP frames to its address only */
	EXPECT_LT(frame_count / (variant->ipvtap ? 4 : 2), sent);
	printf("# frames (%s, seed 0x5eed0002): %d sent, %d refused by the stack, %d read\n",
	       variant->ipvtap ? "ipvtap" : variant->macvtap ? "macvtap" :
	       variant->tap ? "tap" : "tun",
	       sent, rejected, got);
	printf("# frames: %d as the oracle, %d NONE where the oracle hashes, %d on another queue\n",
	       exact, none, badq);
	printf("# frames: %d wrong (%d well-formed; %d type, %d input, %d none, %d other)\n",
	       wrong, valid_wrong, kinds[0], kinds[1], kinds[2], kinds[3]);
	fflush(stdout);
}

/*
 * Races.  Configurations A and B have different keys, tables, masks and
 * types: A hashes TCP and UDP over the 4-tuple, B over the addresses
 * only, so the report type tells which configuration a hash claims to
 * come from.  A report is right when it is exactly the hash of A or of
 * B; a queue when it is the one of A or of B (steering and report read
 * the configuration at two moments, so a packet may be steered by A and
 * reported by B during a switch).  A torn configuration, such as A's
 * types with B's key, or B's table indexed by A's hash, fails the check.
 */
#define RACE_FLOWS	64

struct race_flow {
	struct frame f;
	struct oracle_result hash[2];
	unsigned int queue[2];
	bool torn_queue_detectable;
};

struct race {
	struct __test_metadata *metadata;
	struct fuzz_dev dev;
	struct config cfg[2];
	struct race_flow flows[RACE_FLOWS];
	bool check_queue;
	bool none_ok;	/* a packet queued without room for the hash */
	int prog;	/* the program of race_steering() or race_xdp() */
	atomic_bool stop;
	atomic_long sent, received, reconfigs, requeues;
	atomic_long bad_hash, bad_queue, bad_frame, set_errors;
};

/* A and B, and the flows, to the ipvtap's addresses with @ipvtap */
static void race_configs(struct race *r, bool ipvtap)
{
	uint32_t state = 0x5eed0003;
	int x, i;

	for (x = 0; x < 2; x++) {
		struct config *c = &r->cfg[x];

		memset(c, 0, sizeof(*c));
		c->flags = RSS | REPORT;
		c->types = x ? VIRTIO_NET_RSS_HASH_TYPE_IPv4 |
			       VIRTIO_NET_RSS_HASH_TYPE_IPv6 : ALL;
		c->key_size = ORACLE_KEY_SIZE;
		for (i = 0; i < c->key_size; i++)
			c->key[i] = flow_random(&state);
		c->mask = x ? 255 : 127;
		for (i = 0; i <= c->mask; i++)
			c->table[i] = flow_random(&state) % QUEUES;
		c->unclassified_queue = x;
	}
	for (i = 0; i < RACE_FLOWS; i++) {
		struct race_flow *fl = &r->flows[i];
		struct config torn;
		struct frame_spec s;
		unsigned int tq;

		flow_spec_random(&s, i % FLOW_TCP6_EX, &state);
		s.seq = i;
		if (ipvtap)
			vtap_ip_frame(&s);
		frame_build(&fl->f, &s);
		for (x = 0; x < 2; x++) {
			fl->hash[x] = config_hash(&r->cfg[x], true,
						  fl->f.data, fl->f.len, 0);
			fl->queue[x] = config_queue(&r->cfg[x], fl->hash[x]);
		}
		/* Table and mask of B, key and types of A. */
		torn = r->cfg[1];
		memcpy(torn.key, r->cfg[0].key, sizeof(torn.key));
		torn.types = r->cfg[0].types;
		tq = config_queue(&torn, fl->hash[0]);
		fl->torn_queue_detectable = tq != fl->queue[0] &&
					    tq != fl->queue[1];
	}
}

/*
 * The vnet header sizes a race may read with (race_hdr_sz): without the
 * hash fields, with them, with 4 bytes of zeros after them.
 */
#define HDR_SZ_SHORT	((int)sizeof(struct virtio_net_hdr_mrg_rxbuf))
#define HDR_SZ_LONG	(HDR_SZ + 4)

static void race_check(struct race *r, int queue, const uint8_t *buf,
		       ssize_t n)
{
	static const uint8_t zeros[HDR_SZ_LONG];
	const struct race_flow *fl;
	struct oracle_result res;
	uint32_t seq;
	ssize_t hdr;
	int x;

	atomic_fetch_add(&r->received, 1);
	if (n < HDR_SZ_SHORT + 4)
		goto bad_frame;
	seq = (uint32_t)buf[n - 4] << 24 | buf[n - 3] << 16 |
	      buf[n - 2] << 8 | buf[n - 1];
	if (seq >= RACE_FLOWS)
		goto bad_frame;
	fl = &r->flows[seq];
	/* The header is HDR_SZ bytes unless a race changes its size. */
	hdr = n - fl->f.len;
	if ((hdr != HDR_SZ && hdr != HDR_SZ_SHORT && hdr != HDR_SZ_LONG) ||
	    memcmp(buf + hdr, fl->f.data, fl->f.len) ||
	    memcmp(buf, zeros, HDR_SZ_SHORT) ||
	    (hdr == HDR_SZ_LONG && memcmp(buf + HDR_SZ, zeros, 4)))
		goto bad_frame;
	if (hdr == HDR_SZ_SHORT)
		return;

	res.value = hdr_hash_value(buf);
	res.report = hdr_hash_report(buf);
	for (x = 0; x < 2; x++)
		if (res.value == fl->hash[x].value &&
		    res.report == fl->hash[x].report)
			break;
	if (x == 2 && r->none_ok && !res.value &&
	    res.report == VIRTIO_NET_HASH_REPORT_NONE)
		return;
	if (x == 2 && atomic_fetch_add(&r->bad_hash, 1) < 5)
		fprintf(stderr, "# flow %u: hash %08x type %u, A %08x/%u, B %08x/%u\n",
			seq, res.value, res.report, fl->hash[0].value,
			fl->hash[0].report, fl->hash[1].value,
			fl->hash[1].report);
	if (r->check_queue && (unsigned int)queue != fl->queue[0] &&
	    (unsigned int)queue != fl->queue[1] &&
	    atomic_fetch_add(&r->bad_queue, 1) < 5)
		fprintf(stderr, "# flow %u: queue %d, A %u, B %u\n", seq,
			queue, fl->queue[0], fl->queue[1]);
	return;

bad_frame:
	if (atomic_fetch_add(&r->bad_frame, 1) < 5)
		fprintf(stderr, "# unknown frame of %zd bytes on queue %d\n",
			n, queue);
}

struct race_thread {
	struct race *race;
	int index;
	pthread_t thread;
};

static void *race_reader(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->race;
	uint8_t buf[HDR_SZ_LONG + FRAME_MAX];
	struct pollfd pfd;
	ssize_t n;

	pfd.fd = r->dev.fds[t->index];
	pfd.events = POLLIN;
	while (!atomic_load(&r->stop)) {
		if (poll(&pfd, 1, 20) < 0 && errno != EINTR)
			break;
		while ((n = read(pfd.fd, buf, sizeof(buf))) >= 0)
			race_check(r, t->index, buf, n);
		if (errno != EAGAIN && errno != EINTR)
			usleep(1000);	/* detached or deleted */
	}
	return NULL;
}

static void *race_sender(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->race;
	unsigned int i = t->index;

	while (!atomic_load(&r->stop)) {
		if (!packet_send(r->dev.sock, r->dev.ifindex,
				 &r->flows[i++ % RACE_FLOWS].f, false))
			atomic_fetch_add(&r->sent, 1);
		else
			usleep(1000);	/* deleted, or a full qdisc */
		if (i % 32 == 0)
			usleep(500);	/* let the readers keep up */
	}
	return NULL;
}

/* Swap A and B through queue @index, as fast as it goes. */
static void *race_reconfig(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->race;
	unsigned int i = t->index;

	while (!atomic_load(&r->stop)) {
		if (config_set(r->dev.fds[t->index], &r->cfg[i++ & 1]))
			atomic_fetch_add(&r->set_errors, 1);
		atomic_fetch_add(&r->reconfigs, 1);
	}
	return NULL;
}

/* Detach and reattach the last two queues. */
static void *race_requeue(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->race;
	int q;

	while (!atomic_load(&r->stop)) {
		for (q = QUEUES - 1; q >= QUEUES - 2; q--)
			tun_set_queue(r->dev.fds[q], false);
		usleep(200);
		for (q = QUEUES - 2; q < QUEUES; q++)
			tun_set_queue(r->dev.fds[q], true);
		atomic_fetch_add(&r->requeues, 1);
		usleep(200);
	}
	return NULL;
}

/* Cycle the vnet header size of every queue through the three sizes. */
static void *race_hdr_sz(void *arg)
{
	static const int sizes[] = { HDR_SZ_SHORT, HDR_SZ_LONG, HDR_SZ };
	struct race_thread *t = arg;
	struct race *r = t->race;
	unsigned int i = 0;
	int q;

	while (!atomic_load(&r->stop)) {
		for (q = 0; q < QUEUES; q++)
			if (ioctl(r->dev.fds[q], TUNSETVNETHDRSZ,
				  &sizes[i % ARRAY_SIZE(sizes)]))
				atomic_fetch_add(&r->set_errors, 1);
		i++;
		atomic_fetch_add(&r->requeues, 1);
		usleep(100);
	}
	for (q = 0; q < QUEUES; q++)
		ioctl(r->dev.fds[q], TUNSETVNETHDRSZ, &sizes[2]);
	return NULL;
}

/* Attach and detach the steering program r->prog through queue 0. */
static void *race_steering(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->race;
	unsigned int i = 0;
	int none = -1;

	while (!atomic_load(&r->stop)) {
		if (ioctl(r->dev.fds[0], TUNSETSTEERINGEBPF,
			  i++ & 1 ? &none : &r->prog))
			atomic_fetch_add(&r->set_errors, 1);
		atomic_fetch_add(&r->requeues, 1);
		usleep(100);
	}
	return NULL;
}

/*
 * Attach and detach the XDP_TX program r->prog, writing the flows into
 * queue 0 meanwhile, as the guest sends: with the program attached they
 * come back to the readers as XDP frames, hashed when they are read.
 */
static void *race_xdp(void *arg)
{
	uint8_t buf[HDR_SZ + FRAME_MAX] = {};
	struct race_thread *t = arg;
	struct race *r = t->race;
	const struct frame *f;
	unsigned int i = 0;
	int j;

	while (!atomic_load(&r->stop)) {
		if (netdev_set_xdp_drv(r->dev.ifindex, i & 1 ? -1 : r->prog))
			atomic_fetch_add(&r->set_errors, 1);
		for (j = 0; j < 8; j++) {
			f = &r->flows[(i * 8 + j) % RACE_FLOWS].f;
			memcpy(buf + HDR_SZ, f->data, f->len);
			if (write(r->dev.fds[0], buf, HDR_SZ + f->len) < 0)
				usleep(1000);
		}
		i++;
		atomic_fetch_add(&r->requeues, 1);
		usleep(200);
	}
	netdev_set_xdp_drv(r->dev.ifindex, -1);
	return NULL;
}

enum {
	RACE_READERS = 0,
	RACE_SENDER = QUEUES,
	RACE_RECONFIG,
	RACE_RECONFIG2 = RACE_RECONFIG + 1,
	RACE_EXTRA,
	RACE_THREADS,
};

/* Readers, a sender, two reconfiguring threads and @extra, if any. */
static int race_start(struct race *r, struct race_thread *t,
		      void *(*extra)(void *))
{
	int i, err;

	atomic_store(&r->stop, false);
	for (i = 0; i < RACE_THREADS; i++) {
		void *(*fn)(void *) = race_reader;

		t[i].race = r;
		t[i].index = i;
		if (i == RACE_SENDER) {
			fn = race_sender;
		} else if (i == RACE_RECONFIG || i == RACE_RECONFIG2) {
			fn = race_reconfig;
			t[i].index = i - RACE_RECONFIG;
		} else if (i == RACE_EXTRA) {
			if (!extra) {
				t[i].thread = 0;
				continue;
			}
			fn = extra;
		}
		err = pthread_create(&t[i].thread, NULL, fn, &t[i]);
		if (err)
			return -err;
	}
	return 0;
}

static void race_stop(struct race *r, struct race_thread *t)
{
	int i;

	atomic_store(&r->stop, true);
	for (i = 0; i < RACE_THREADS; i++)
		if (t[i].thread)
			pthread_join(t[i].thread, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(race)
{
	struct race *r;
};

FIXTURE_VARIANT(race)
{
	bool macvtap;
	bool ipvtap;
};

FIXTURE_VARIANT_ADD(race, tap) {
	.macvtap = false,
};

FIXTURE_VARIANT_ADD(race, macvtap) {
	.macvtap = true,
};

FIXTURE_VARIANT_ADD(race, ipvtap) {
	.ipvtap = true,
};

/* The race and its device; 1 when the kernel lacks TUNSETVNETHASH. */
static int race_open(struct __test_metadata *_metadata, struct race **rp,
		     bool macvtap, bool ipvtap)
{
	struct fuzz_dev dev;
	struct race *r;
	int err;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	*rp = r;
	memset(r->dev.fds, 0xff, sizeof(r->dev.fds));
	r->dev.sock = -1;
	r->prog = -1;
	r->metadata = _metadata;
	race_configs(r, ipvtap);
	err = fuzz_dev_open(&dev, "vhr%d", true, macvtap, ipvtap);
	if (err == 1)
		return 1;
	ASSERT_EQ(0, err);
	r->dev = dev;
	return 0;
}

static void race_free(struct race *r)
{
	if (!r)
		return;
	fuzz_dev_close(&r->dev);
	if (r->prog >= 0)
		close(r->prog);
	free(r);
}

FIXTURE_SETUP(race)
{
	if (race_open(_metadata, &self->r, variant->macvtap, variant->ipvtap))
		SKIP(return, "TUNSETVNETHASH not supported");
}

FIXTURE_TEARDOWN(race)
{
	race_free(self->r);
}

static void race_report(struct __test_metadata *_metadata, struct race *r,
			const char *name, double secs, long iterations)
{
	int i, detectable = 0;

	for (i = 0; i < RACE_FLOWS; i++)
		detectable += r->flows[i].torn_queue_detectable;
	printf("# %s: %.1f s, %ld iterations, %ld reconfigurations, %ld queue detach/attach\n",
	       name, secs, iterations, atomic_load(&r->reconfigs),
	       atomic_load(&r->requeues));
	printf("# %s: %ld frames sent, %ld received; %d/%d flows would detect a torn table\n",
	       name, atomic_load(&r->sent), atomic_load(&r->received),
	       detectable, RACE_FLOWS);
	fflush(stdout);
	EXPECT_EQ(0, atomic_load(&r->bad_hash));
	EXPECT_EQ(0, atomic_load(&r->bad_queue));
	EXPECT_EQ(0, atomic_load(&r->bad_frame));
	EXPECT_LT(0, atomic_load(&r->received));
	EXPECT_LT(0, atomic_load(&r->reconfigs));
}

/*
 * Race from configuration A with @extra for race_seconds, then check it;
 * @iterations counts what @extra did.
 */
static void race_run(struct __test_metadata *_metadata, struct race *r,
		     void *(*extra)(void *), const char *name,
		     atomic_long *iterations)
{
	struct race_thread t[RACE_THREADS] = {};
	double start;

	ASSERT_EQ(0, config_set(r->dev.fds[0], &r->cfg[0]));
	start = now();
	ASSERT_EQ(0, race_start(r, t, extra));
	while (now() - start < race_seconds)
		usleep(100000);
	race_stop(r, t);
	EXPECT_EQ(0, atomic_load(&r->set_errors));
	race_report(_metadata, r, name, now() - start,
		    atomic_load(iterations));
}

/* A and B swapped by two threads while every queue receives. */
TEST_F_TIMEOUT(race, reconfigure, 30)
{
	self->r->check_queue = true;
	race_run(_metadata, self->r, NULL, "reconfigure",
		 &self->r->reconfigs);
}

/*
 * The same with two queues detached and attached in a loop: queue
 * indices move then, so only the reports are checked.
 */
TEST_F_TIMEOUT(race, attach_detach, 30)
{
	race_run(_metadata, self->r, race_requeue, "attach_detach",
		 &self->r->requeues);
}

/*
 * A device per iteration, deleted (RTM_DELLINK) or closed queue by queue
 * while the threads send, receive and reconfigure through it.
 */
TEST_F_TIMEOUT(race, delete_close, 30)
{
	struct race *r = self->r;
	uint32_t state = 0x5eed0004;
	long iterations = 0;
	double start;
	int i;

	fuzz_dev_close(&r->dev);
	/*
	 * Race for race_seconds, and on a kernel too slow to show any
	 * traffic or reconfiguration in that time (KASAN under TCG) for
	 * up to five times as long, so that race_report()'s checks that the
	 * race happened at all do not fail for slowness alone.
	 */
	start = now();
	while (now() - start < race_seconds ||
	       ((!atomic_load(&r->received) || !atomic_load(&r->reconfigs)) &&
		now() - start < 5 * race_seconds)) {
		struct race_thread t[RACE_THREADS] = {};
		bool del = iterations & 1;

		ASSERT_EQ(0, fuzz_dev_open(&r->dev, "vhd%d", true,
					   variant->macvtap, variant->ipvtap));
		ASSERT_EQ(0, config_set(r->dev.fds[0], &r->cfg[0]));
		ASSERT_EQ(0, race_start(r, t, iterations % 4 == 3 ?
					race_requeue : NULL));
		usleep(1000 + flow_random(&state) % 20000);
		if (del) {
			int ifindex = if_nametoindex(r->dev.ifname);

			EXPECT_EQ(0, netdev_delete(ifindex));
		} else {
			for (i = 0; i < QUEUES; i++)
				close(r->dev.fds[i]);
		}
		usleep(flow_random(&state) % 5000);
		race_stop(r, t);
		if (del) {
			/* The descriptors outlive the device: EBADFD. */
			EXPECT_EQ(-EBADFD, config_set(r->dev.fds[1],
						      &r->cfg[1]));
		} else {
			memset(r->dev.fds, 0xff, sizeof(r->dev.fds));
			/* A macvtap or ipvtap stays without queues. */
			EXPECT_EQ(r->dev.vtap,
				  !!if_nametoindex(r->dev.ifname));
		}
		fuzz_dev_close(&r->dev);
		iterations++;
	}
	race_report(_metadata, r, "delete_close", now() - start, iterations);
}

/*
 * The same with the vnet header size of every queue changed in a loop
 * (TUNSETVNETHDRSZ): a packet is read with the size of that moment, whole,
 * the bytes the kernel has nothing for zero, and a hash when the header
 * holds one: A's or B's, or none for a packet queued while the size had
 * no room for it.
 */
TEST_F_TIMEOUT(race, vnet_hdr_sz, 30)
{
	self->r->check_queue = true;
	self->r->none_ok = true;
	race_run(_metadata, self->r, race_hdr_sz, "vnet_hdr_sz",
		 &self->r->requeues);
}

/* Races of what only a tun/tap device has: steering eBPF and XDP. */
FIXTURE(race_tap)
{
	struct race *r;
};

FIXTURE_SETUP(race_tap)
{
	if (race_open(_metadata, &self->r, false, false))
		SKIP(return, "TUNSETVNETHASH not supported");
}

FIXTURE_TEARDOWN(race_tap)
{
	race_free(self->r);
}

/*
 * A steering eBPF program (queue 1) attached and detached in a loop: the
 * program or the table picks the queue, so only the reports are checked.
 */
TEST_F_TIMEOUT(race_tap, steering_ebpf, 30)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct race *r = self->r;

	r->prog = bpf_prog_load_insns(BPF_PROG_TYPE_SOCKET_FILTER, insns,
				      ARRAY_SIZE(insns));
	ASSERT_LE(0, r->prog) TH_LOG("%s", strerror(-r->prog));
	race_run(_metadata, r, race_steering, "steering_ebpf", &r->requeues);
}

/*
 * An XDP_TX program attached and detached in a loop while the guest
 * writes: XDP frames (hashed at the read) and skbs mix on the queues,
 * every report A's or B's.
 */
TEST_F_TIMEOUT(race_tap, xdp_attach, 30)
{
	struct race *r = self->r;

	r->prog = xdp_tx_prog_load();
	ASSERT_LE(0, r->prog) TH_LOG("%s", strerror(-r->prog));
	race_run(_metadata, r, race_xdp, "xdp_attach", &r->requeues);
}

/*
 * TUN_VNET_HASH_FUZZ_LONG=1: the long run (the figures of the README).
 * Run after the harness registered the tests, so that their timeouts can
 * be raised too: the harness arms them from the registered objects.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1)))
fuzz_long(void)
{
	const char *env = getenv("TUN_VNET_HASH_FUZZ_LONG");

	if (!env || !*env || !strcmp(env, "0"))
		return;
	config_calls = 100000;
	frame_count = 4000;
	race_seconds = 6;
	_fuzz_config_object->timeout = 1800;
	_fuzz_frames_object->timeout = 1800;
	_race_reconfigure_object->timeout = 300;
	_race_attach_detach_object->timeout = 300;
	_race_delete_close_object->timeout = 300;
	_race_vnet_hdr_sz_object->timeout = 300;
	_race_tap_steering_ebpf_object->timeout = 300;
	_race_tap_xdp_attach_object->timeout = 300;
}

TEST_HARNESS_MAIN
