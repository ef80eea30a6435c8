// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net hash report through vhost-net (VIRTIO_NET_F_HASH_REPORT),
 * driven the way QEMU drives /dev/vhost-net with vhost=on: SET_OWNER,
 * SET_FEATURES, SET_MEM_TABLE, the split vrings of each queue pair and
 * NET_SET_BACKEND with the tap queue.  The test plays the guest: it
 * posts buffers on the rx vring, injects frames into the tap with
 * AF_PACKET, and checks the virtio_net header each frame comes with
 * against the userspace oracle of tun_vnet_hash_oracle.h; it sends
 * frames from the tx vring and checks that they leave the tap intact.
 */

#define _GNU_SOURCE

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../kselftest_harness.h"
#include "tun_vnet_hash_util.h"

#define QUEUES		4
#define RING_NUM	256
#define RING_BYTES	(16 * 1024)	/* >= vring_size(RING_NUM, 4096) */
#define BUF_SIZE	2048
#define REGION_SIZE	(2 * RING_BYTES + 2 * RING_NUM * BUF_SIZE)
#define VQ_RX		0
#define VQ_TX		1
#define TIMEOUT_MS	2000
#define STALE		0xa5	/* what the guest leaves in its buffers */

#define F(bit)		(1ULL << (bit))
#define F_V1		F(VIRTIO_F_VERSION_1)
#define F_MRG		F(VIRTIO_NET_F_MRG_RXBUF)
#define F_HASH		F(VIRTIO_NET_F_HASH_REPORT)
#define F_VHOST_HDR	F(VHOST_NET_F_VIRTIO_NET_HDR)
#define HDR_HASH	sizeof(struct virtio_net_hdr_v1_hash)
#define HDR_MRG		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define HDR_LEGACY	sizeof(struct virtio_net_hdr)

/**
 * struct vq - one split virtqueue, from the driver's (guest's) side
 * @vr: descriptor table, available and used rings
 * @bufs: RING_NUM buffers of BUF_SIZE bytes, buffer i behind descriptor i
 * @rx_len: bytes of each buffer the guest posts on the rx vring
 * @avail_idx: next free index of the available ring
 * @used_idx: next used entry to consume
 * @kick: eventfd the driver writes to notify vhost
 * @call: eventfd vhost writes when it used buffers
 */
struct vq {
	struct vring vr;
	uint8_t *bufs;
	uint32_t rx_len;
	uint16_t avail_idx;
	uint16_t used_idx;
	int kick;
	int call;
};

/**
 * struct vhost - one /dev/vhost-net instance, one queue pair as in QEMU
 * @fd: the /dev/vhost-net descriptor
 * @mem: the guest memory: both rings and all buffers, guest physical
 *       address == process address
 * @vq: VQ_RX and VQ_TX
 * @hdr_len: virtio_net header length of the acked features
 * @mrg: VIRTIO_NET_F_MRG_RXBUF is acked: a frame may take several buffers
 */
struct vhost {
	int fd;
	uint8_t *mem;
	struct vq vq[2];
	size_t hdr_len;
	bool mrg;
};

static size_t features_hdr_len(uint64_t features)
{
	if (features & F_HASH)
		return HDR_HASH;
	if (features & (F_V1 | F_MRG))
		return HDR_MRG;
	return HDR_LEGACY;
}

/* An instance that vhost_close() can be called on. */
static void vhost_init(struct vhost *v)
{
	int i;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	for (i = 0; i < 2; i++) {
		v->vq[i].kick = -1;
		v->vq[i].call = -1;
	}
}

/* Open /dev/vhost-net and become its owner.  Return: 0 or -errno. */
static int vhost_open(struct vhost *v)
{
	vhost_init(v);
	v->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (v->fd < 0)
		return -errno;
	v->mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED) {
		v->mem = NULL;
		return -errno;
	}
	return ioctl(v->fd, VHOST_SET_OWNER) < 0 ? -errno : 0;
}

static void vhost_close(struct vhost *v)
{
	int i;

	if (v->fd >= 0)
		close(v->fd);
	for (i = 0; i < 2; i++) {
		if (v->vq[i].kick >= 0)
			close(v->vq[i].kick);
		if (v->vq[i].call >= 0)
			close(v->vq[i].call);
	}
	if (v->mem)
		munmap(v->mem, REGION_SIZE);
	vhost_init(v);
}

static int vhost_set_features(struct vhost *v, uint64_t features)
{
	if (ioctl(v->fd, VHOST_SET_FEATURES, &features) < 0)
		return -errno;
	v->hdr_len = features_hdr_len(features);
	v->mrg = features & F_MRG;
	return 0;
}

/* Make descriptor @id (buffer @id, @len bytes) available. */
static void vq_post(struct vq *q, uint16_t id, uint32_t len, uint16_t flags)
{
	q->vr.desc[id].addr = (uintptr_t)(q->bufs + (size_t)id * BUF_SIZE);
	q->vr.desc[id].len = len;
	q->vr.desc[id].flags = flags;
	q->vr.desc[id].next = 0;
	q->vr.avail->ring[q->avail_idx % RING_NUM] = id;
	__atomic_store_n(&q->vr.avail->idx, ++q->avail_idx, __ATOMIC_RELEASE);
}

static int vq_kick(struct vq *q)
{
	uint64_t one = 1;

	return write(q->kick, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* Give the rx buffer @id back, filled with stale bytes. */
static void vq_post_rx(struct vq *q, uint16_t id)
{
	memset(q->bufs + (size_t)id * BUF_SIZE, STALE, BUF_SIZE);
	vq_post(q, id, q->rx_len, VRING_DESC_F_WRITE);
}

/* Consume one used entry.  Return: 1 and @id, @len, or 0 when none. */
static int vq_get_used(struct vq *q, uint16_t *id, uint32_t *len)
{
	struct vring_used_elem *e;

	if (__atomic_load_n(&q->vr.used->idx, __ATOMIC_ACQUIRE) ==
	    q->used_idx)
		return 0;
	e = &q->vr.used->ring[q->used_idx++ % RING_NUM];
	*id = e->id;
	*len = e->len;
	return 1;
}

/**
 * vhost_start() - set up the vrings and the backend, as QEMU does
 * @v: the instance, features acked
 * @backend: the tap queue (or raw packet socket) of both vrings
 *
 * Every rx buffer is made available before the backend is set, with
 * @v->vq[VQ_RX].rx_len bytes (BUF_SIZE when 0).
 *
 * Return: 0 or -errno.
 */
static int vhost_start(struct vhost *v, int backend)
{
	struct {
		struct vhost_memory mem;
		struct vhost_memory_region region;
	} table = {
		.mem.nregions = 1,
		.region = {
			.guest_phys_addr = (uintptr_t)v->mem,
			.memory_size = REGION_SIZE,
			.userspace_addr = (uintptr_t)v->mem,
		},
	};
	int i, id;

	if (ioctl(v->fd, VHOST_SET_MEM_TABLE, &table) < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		struct vhost_vring_state state = { .index = i };
		struct vhost_vring_file file = { .index = i };
		struct vq *q = &v->vq[i];
		struct vhost_vring_addr addr = { .index = i };

		vring_init(&q->vr, RING_NUM, v->mem + i * RING_BYTES, 4096);
		q->bufs = v->mem + 2 * RING_BYTES + i * RING_NUM * BUF_SIZE;
		q->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		q->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q->kick < 0 || q->call < 0)
			return -errno;
		addr.desc_user_addr = (uintptr_t)q->vr.desc;
		addr.avail_user_addr = (uintptr_t)q->vr.avail;
		addr.used_user_addr = (uintptr_t)q->vr.used;

		state.num = RING_NUM;
		if (ioctl(v->fd, VHOST_SET_VRING_NUM, &state) < 0)
			return -errno;
		state.num = 0;
		if (ioctl(v->fd, VHOST_SET_VRING_BASE, &state) < 0 ||
		    ioctl(v->fd, VHOST_SET_VRING_ADDR, &addr) < 0)
			return -errno;
		file.fd = q->kick;
		if (ioctl(v->fd, VHOST_SET_VRING_KICK, &file) < 0)
			return -errno;
		file.fd = q->call;
		if (ioctl(v->fd, VHOST_SET_VRING_CALL, &file) < 0)
			return -errno;
	}
	if (!v->vq[VQ_RX].rx_len)
		v->vq[VQ_RX].rx_len = BUF_SIZE;
	for (id = 0; id < RING_NUM; id++)
		vq_post_rx(&v->vq[VQ_RX], id);
	for (i = 0; i < 2; i++) {
		struct vhost_vring_file file = { .index = i, .fd = backend };

		if (ioctl(v->fd, VHOST_NET_SET_BACKEND, &file) < 0)
			return -errno;
	}
	return vq_kick(&v->vq[VQ_RX]);
}

/* Wait up to @ms for vhost to signal any of @n instances' @vq. */
static int vhost_wait(struct vhost *v, int n, int vq, int ms)
{
	struct pollfd pfd[QUEUES];
	uint64_t count;
	int i;

	for (i = 0; i < n; i++) {
		pfd[i].fd = v[i].vq[vq].call;
		pfd[i].events = POLLIN;
	}
	if (poll(pfd, n, ms) < 0)
		return -errno;
	for (i = 0; i < n; i++)
		if (read(pfd[i].fd, &count, sizeof(count)) < 0 &&
		    errno != EAGAIN)
			return -errno;
	return 0;
}

/*
 * The next frame of @v's rx vring, its buffers given back: with mergeable
 * buffers, the num_buffers buffers that the header of the first one
 * counts, whose data follow on from each other (only the first buffer
 * starts with a header).  Return: its length in @frame, header included,
 * 0 when no buffer is used, or -errno.
 */
static int vhost_rx_next(struct vhost *v, uint8_t *frame, size_t size)
{
	struct vq *q = &v->vq[VQ_RX];
	uint16_t id, n = 1, i;
	size_t total = 0;
	int waited = 0;
	uint32_t len;

	for (i = 0; i < n; i++) {
		while (!vq_get_used(q, &id, &len)) {
			if (!i)
				return 0;
			if (waited >= TIMEOUT_MS)
				return -ETIMEDOUT;
			vhost_wait(v, 1, VQ_RX, 10);
			waited += 10;
		}
		if (id >= RING_NUM || len > q->rx_len || total + len > size)
			return -EIO;
		memcpy(frame + total, q->bufs + (size_t)id * BUF_SIZE, len);
		total += len;
		vq_post_rx(q, id);
		if (!i && v->mrg) {
			if (len < HDR_MRG)
				return -EIO;
			n = frame[10] | frame[11] << 8;
			if (!n)
				return -EIO;
		}
	}
	return total;
}

/* Read every frame of @v's rx vring and compare it with the one wanted. */
static int vhost_rx_drain(struct vhost *v, int queue, const uint8_t *want,
			  size_t want_len, struct rx_result *rx)
{
	uint8_t frame[VNET_HDR_MAX + FRAME_MAX];
	int len, err = 0;

	while ((len = vhost_rx_next(v, frame, sizeof(frame))) > 0) {
		if ((size_t)len == v->hdr_len + want_len &&
		    !memcmp(frame + v->hdr_len, want, want_len)) {
			if (!rx->copies++) {
				rx->queue = queue;
				memcpy(rx->hdr, frame, v->hdr_len);
			}
		} else {
			rx->noise++;
		}
		err = vq_kick(&v->vq[VQ_RX]);
	}
	return len < 0 ? len : err;
}

/**
 * vhost_rx_find() - find the instance whose rx vring a frame came out of
 * @v: the instances, one per tap queue
 * @n: their number
 * @want: the frame
 * @want_len: its length
 * @rx: the result, as rx_find() gives it for tap descriptors
 *
 * Return: 0 or -errno.
 */
static int vhost_rx_find(struct vhost *v, int n, const uint8_t *want,
			 size_t want_len, struct rx_result *rx)
{
	int i, err, waited;

	memset(rx, 0, sizeof(*rx));
	rx->queue = -1;
	for (waited = 0; waited < TIMEOUT_MS && !rx->copies; waited += 10) {
		for (i = 0; i < n; i++) {
			err = vhost_rx_drain(&v[i], i, want, want_len, rx);
			if (err)
				return err;
		}
		if (!rx->copies) {
			err = vhost_wait(v, n, VQ_RX, 10);
			if (err)
				return err;
		}
	}
	/* Once more, so that a second copy on another queue shows up. */
	usleep(10000);
	for (i = 0; i < n; i++) {
		err = vhost_rx_drain(&v[i], i, want, want_len, rx);
		if (err)
			return err;
	}
	return 0;
}

/**
 * vhost_tx() - send a frame from the tx vring
 * @v: the instance
 * @hdr: the virtio_net header, @v->hdr_len bytes
 * @f: the frame
 *
 * Waits until vhost has used the buffer.
 *
 * Return: 0 or -errno.
 */
static int vhost_tx(struct vhost *v, const uint8_t *hdr, const struct frame *f)
{
	struct vq *q = &v->vq[VQ_TX];
	uint16_t slot = q->avail_idx % RING_NUM, id;
	uint8_t *buf = q->bufs + (size_t)slot * BUF_SIZE;
	int waited, err;
	uint32_t len;

	if (v->hdr_len + f->len > BUF_SIZE)
		return -EMSGSIZE;
	memcpy(buf, hdr, v->hdr_len);
	memcpy(buf + v->hdr_len, f->data, f->len);
	vq_post(q, slot, v->hdr_len + f->len, 0);
	err = vq_kick(q);
	for (waited = 0; !err && waited < TIMEOUT_MS; waited += 10) {
		if (vq_get_used(q, &id, &len))
			return id == slot ? 0 : -EIO;
		err = vhost_wait(v, 1, VQ_TX, 10);
	}
	return err ?: -ETIMEDOUT;
}

/* An AF_PACKET socket that receives every frame of @ifindex. */
static int packet_capture(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int fd, err;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Wait for @f on @fd, a non-blocking socket or tap queue (read with
 * @hdr_len bytes of header, none: 0).
 */
static int frame_wait(int fd, size_t hdr_len, const struct frame *f)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[VNET_HDR_MAX + FRAME_MAX];
	int waited;
	ssize_t n;

	for (waited = 0; waited < TIMEOUT_MS; waited += 10) {
		while ((n = read(fd, buf, sizeof(buf))) >= 0)
			if ((size_t)n == hdr_len + f->len &&
			    !memcmp(buf + hdr_len, f->data, f->len))
				return 0;
		if (errno != EAGAIN)
			return -errno;
		if (poll(&pfd, 1, 10) < 0)
			return -errno;
	}
	return -ETIMEDOUT;
}

/* Expected hash of a frame for a device hashing with every type. */
static struct oracle_result frame_hash(const struct frame *f)
{
	struct oracle_input in;

	oracle_classify_eth(f->data, f->len, ORACLE_ALL_TYPES, &in);
	return oracle_hash(oracle_ms_key, sizeof(oracle_ms_key), &in);
}

/* The buffers a frame of @len bytes takes on @v's rx vring */
static unsigned int rx_buffers(const struct vhost *v, size_t len)
{
	size_t rx_len = v->vq[VQ_RX].rx_len;

	return v->mrg ? (v->hdr_len + len + rx_len - 1) / rx_len : 1;
}

/*
 * The header fields after the generic ones: num_buffers @num_buffers
 * (vhost's) whenever the header has it, and the hash @res (tun's) when
 * @hdr_len allows it.
 */
static void check_hdr_rest(struct __test_metadata *_metadata,
			   const struct rx_result *rx, size_t hdr_len,
			   unsigned int num_buffers, struct oracle_result res,
			   const char *name)
{
	const struct virtio_net_hdr_v1 *h = (const void *)rx->hdr;

	if (hdr_len >= HDR_MRG)
		EXPECT_EQ(num_buffers, le16toh(h->num_buffers))
			TH_LOG("%s: num_buffers", name);
	if (hdr_len < HDR_HASH)
		return;
	EXPECT_EQ(res.value, rx_hash_value(rx)) TH_LOG("%s: hash_value", name);
	EXPECT_EQ(res.report, rx_hash_report(rx)) TH_LOG("%s: hash_report", name);
	EXPECT_EQ(0, rx->hdr[HDR_HASH - 2] | rx->hdr[HDR_HASH - 1])
		TH_LOG("%s: padding", name);
}

/*
 * The header a frame from the rx vring starts with: what tun wrote for a
 * frame without offloads (all GSO fields 0), then check_hdr_rest().
 */
static void check_hdr(struct __test_metadata *_metadata,
		      const struct rx_result *rx, size_t hdr_len,
		      unsigned int num_buffers, struct oracle_result res,
		      const char *name)
{
	const struct virtio_net_hdr_v1 *h = (const void *)rx->hdr;

	EXPECT_EQ(0, h->flags) TH_LOG("%s: flags", name);
	EXPECT_EQ(VIRTIO_NET_HDR_GSO_NONE, h->gso_type)
		TH_LOG("%s: gso_type", name);
	EXPECT_EQ(0, le16toh(h->hdr_len)) TH_LOG("%s: hdr_len", name);
	EXPECT_EQ(0, le16toh(h->gso_size)) TH_LOG("%s: gso_size", name);
	EXPECT_EQ(0, le16toh(h->csum_start)) TH_LOG("%s: csum_start", name);
	EXPECT_EQ(0, le16toh(h->csum_offset)) TH_LOG("%s: csum_offset", name);
	check_hdr_rest(_metadata, rx, hdr_len, num_buffers, res, name);
}

static bool vhost_net_missing(void)
{
	return access("/dev/vhost-net", R_OK | W_OK) != 0;
}

/* Whether vhost-net offers every feature of @features. */
static bool vhost_offers(uint64_t features)
{
	uint64_t offered = 0;
	int fd;

	fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (ioctl(fd, VHOST_GET_FEATURES, &offered) < 0)
		offered = 0;
	close(fd);
	return (offered & features) == features;
}

static bool tun_vnet_hash_missing(void)
{
	struct tun_vnet_hash_cap cap;
	bool missing;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return true;
	missing = ioctl(fd, TUNGETVNETHASHCAP, &cap) < 0;
	close(fd);
	return missing;
}

/**
 * tap_create() - a tap with queues for vhost-net, as QEMU opens it
 * @ifname: name template, the name chosen is written back
 * @fds: the @nq queues
 * @nq: number of queues
 * @hdr_sz: vnet header size, 0 for none (no IFF_VNET_HDR)
 *
 * Return: 0 or -errno.
 */
static int tap_create(char *ifname, int *fds, int nq, int hdr_sz)
{
	int flags = IFF_TAP | IFF_NO_PI;
	int i, err, le = 1;

	if (hdr_sz)
		flags |= IFF_VNET_HDR;
	if (nq > 1)
		flags |= IFF_MULTI_QUEUE;
	for (i = 0; i < nq; i++) {
		fds[i] = tun_open_queue(ifname, flags);
		if (fds[i] < 0)
			return fds[i];
		err = tun_prepare_queue(fds[i], hdr_sz);
		if (err)
			return err;
	}
	if (hdr_sz && ioctl(fds[0], TUNSETVNETLE, &le) < 0)
		return -errno;
	return netdev_set_up(ifname);
}

/* Hash report, and RSS over the queues with a 128-entry table. */
static int tap_set_hash(int fd, uint16_t flags, const uint16_t *table)
{
	return tun_set_vnet_hash(fd, flags, ORACLE_ALL_TYPES, oracle_ms_key,
				 sizeof(oracle_ms_key), table,
				 flags & TUN_VNET_HASH_RSS ? 127 : 0,
				 flags & TUN_VNET_HASH_RSS ? 2 : 0);
}

/*
 * One tap queue behind one vhost-net instance, for each header layout
 * vhost-net knows: the variant gives the acked features, the tap's vnet
 * header size (which QEMU sets to the header length of the features)
 * and the tap's hash flags.
 */
FIXTURE(vhost)
{
	char ifname[IFNAMSIZ];
	int ifindex;
	int tap;
	int sock;
	struct vhost v;
};

FIXTURE_VARIANT(vhost)
{
	uint64_t features;
	uint16_t hash_flags;
	bool macvtap;	/* a /dev/tapN queue of a macvtap over veth */
	bool ipvtap;	/* of an ipvtap over veth: IP frames only */
	uint32_t rx_len;	/* of the guest's rx buffers, 0: BUF_SIZE */
};

FIXTURE_VARIANT_ADD(vhost, report_mrg) {
	.features = F_V1 | F_MRG | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
};

FIXTURE_VARIANT_ADD(vhost, report) {
	.features = F_V1 | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
};

/* Small mergeable buffers: every frame spans several (QEMU's TSO path). */
FIXTURE_VARIANT_ADD(vhost, report_mrg_bufs48) {
	.features = F_V1 | F_MRG | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
	.rx_len = 48,
};

/* HASH_REPORT acked, the tap not configured: the hash fields are 0. */
FIXTURE_VARIANT_ADD(vhost, report_unconfigured) {
	.features = F_V1 | F_MRG | F_HASH,
};

FIXTURE_VARIANT_ADD(vhost, v1_mrg_hdr12) {
	.features = F_V1 | F_MRG,
};

/* num_buffers must be 1 without mergeable buffers (6.14's fix). */
FIXTURE_VARIANT_ADD(vhost, v1_hdr12) {
	.features = F_V1,
};

FIXTURE_VARIANT_ADD(vhost, legacy_mrg_hdr12) {
	.features = F_MRG,
};

FIXTURE_VARIANT_ADD(vhost, legacy_hdr10) {
	.features = 0,
};

FIXTURE_VARIANT_ADD(vhost, macvtap_report_mrg) {
	.features = F_V1 | F_MRG | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
	.macvtap = true,
};

FIXTURE_VARIANT_ADD(vhost, macvtap_report) {
	.features = F_V1 | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
	.macvtap = true,
};

FIXTURE_VARIANT_ADD(vhost, macvtap_v1_mrg_hdr12) {
	.features = F_V1 | F_MRG,
	.macvtap = true,
};

FIXTURE_VARIANT_ADD(vhost, macvtap_report_mrg_bufs48) {
	.features = F_V1 | F_MRG | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
	.macvtap = true,
	.rx_len = 48,
};

FIXTURE_VARIANT_ADD(vhost, ipvtap_report_mrg) {
	.features = F_V1 | F_MRG | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
	.ipvtap = true,
};

FIXTURE_VARIANT_ADD(vhost, ipvtap_report) {
	.features = F_V1 | F_HASH,
	.hash_flags = TUN_VNET_HASH_REPORT,
	.ipvtap = true,
};

FIXTURE_VARIANT_ADD(vhost, ipvtap_v1_mrg_hdr12) {
	.features = F_V1 | F_MRG,
	.ipvtap = true,
};

FIXTURE_SETUP(vhost)
{
	size_t hdr_len = features_hdr_len(variant->features);

	vhost_init(&self->v);
	self->tap = -1;
	self->sock = -1;
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vhost_net_missing())
		SKIP(return, "no /dev/vhost-net");
	if (!vhost_offers(variant->features))
		SKIP(return, "vhost-net lacks features %#llx",
		     (unsigned long long)variant->features);
	if (variant->hash_flags && tun_vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");

	if (variant->macvtap || variant->ipvtap) {
		/* Frames go in at the veth peer, out of the macvtap. */
		int le = 1;

		ASSERT_EQ(0, vtap_link_create(variant->ipvtap));
		self->tap = vtap_open_queue(hdr_len);
		ASSERT_LE(0, self->tap);
		ASSERT_EQ(0, ioctl(self->tap, TUNSETVNETLE, &le));
		snprintf(self->ifname, IFNAMSIZ, "%s", VTAP_NAME);
		self->ifindex = if_nametoindex(VTAP_PEER);
	} else {
		snprintf(self->ifname, IFNAMSIZ, "vhv%%d");
		ASSERT_EQ(0, tap_create(self->ifname, &self->tap, 1, hdr_len));
		self->ifindex = if_nametoindex(self->ifname);
	}
	ASSERT_LT(0, self->ifindex);
	if (variant->hash_flags)
		ASSERT_EQ(0, tap_set_hash(self->tap, variant->hash_flags,
					  NULL));
	self->sock = packet_socket(SOCK_RAW);
	ASSERT_LE(0, self->sock);

	ASSERT_EQ(0, vhost_open(&self->v));
	self->v.vq[VQ_RX].rx_len = variant->rx_len;
	ASSERT_EQ(0, vhost_set_features(&self->v, variant->features));
	ASSERT_EQ(hdr_len, self->v.hdr_len);
	ASSERT_EQ(0, vhost_start(&self->v, self->tap));
}

FIXTURE_TEARDOWN(vhost)
{
	vhost_close(&self->v);
	if (self->sock >= 0)
		close(self->sock);
	if (self->tap >= 0)
		close(self->tap);
	if (variant->macvtap || variant->ipvtap)
		vtap_link_delete();
}

/* Frames of every kind the oracle knows, into the guest's rx vring. */
TEST_F_TIMEOUT(vhost, rx_every_kind, 300)
{
	struct oracle_result none = { 0, VIRTIO_NET_HASH_REPORT_NONE };
	uint32_t state = 0x7a5e11;
	struct oracle_result res;
	struct rx_result rx;
	struct frame_spec s;
	struct frame f;
	int i, hashed = 0;

	for (i = 0; i < 8 * FLOW_KINDS; i++) {
		const char *name = flow_kind_names[i % FLOW_KINDS];

		flow_spec_random(&s, i % FLOW_KINDS, &state);
		if (variant->ipvtap && !vtap_ip_frame(&s))
			continue;
		frame_build(&f, &s);
		res = variant->hash_flags ? frame_hash(&f) : none;
		ASSERT_EQ(0, packet_send(self->sock, self->ifindex, &f, false));
		ASSERT_EQ(0, vhost_rx_find(&self->v, 1, f.data, f.len, &rx));
		ASSERT_EQ(1, rx.copies) TH_LOG("%s: frame %d", name, i);
		if (rx.copies != 1)
			continue;
		if (variant->rx_len)
			EXPECT_LT(1, rx_buffers(&self->v, f.len));
		check_hdr(_metadata, &rx, self->v.hdr_len,
			  rx_buffers(&self->v, f.len), res, name);
		if (res.report != VIRTIO_NET_HASH_REPORT_NONE)
			hashed++;
	}
	/* Six kinds in seven have a hash when the tap reports it. */
	if (variant->hash_flags)
		EXPECT_EQ(8 * (FLOW_KINDS - 1), hashed);
	ksft_print_msg("%d frames, %d with a hash, %zu-byte header\n",
		       8 * FLOW_KINDS, hashed, self->v.hdr_len);
}

/*
 * TCP segmentation offload, as QEMU receives TSO traffic: a GSO frame,
 * kept whole by a tap whose offloads (TUNSETOFFLOAD) include TSO, reaches
 * the guest with its GSO and checksum fields, in as many buffers as it
 * takes (num_buffers in the first one only), and with its flow's hash.
 */
TEST_F_TIMEOUT(vhost, rx_gso, 120)
{
	struct oracle_result none = { 0, VIRTIO_NET_HASH_REPORT_NONE };
	const struct virtio_net_hdr_v1 *h;
	uint32_t state = 0x650d;
	struct oracle_result res;
	struct rx_result rx;
	struct frame_spec s;
	int sock, one = 1;
	struct frame f;
	uint16_t size;

	ASSERT_EQ(0, ioctl(self->tap, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4));
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, setsockopt(sock, SOL_PACKET, PACKET_VNET_HDR, &one,
				sizeof(one)));
	for (size = 500; size < 1900; size += 200) {
		flow_spec_random(&s, FLOW_TCP4, &state);
		if (variant->ipvtap)
			ASSERT_TRUE(vtap_ip_frame(&s));
		ASSERT_EQ(0, packet_send_segment(sock, self->ifindex, &s,
						 VIRTIO_NET_HDR_GSO_TCPV4,
						 size, 1900, &f))
			TH_LOG("gso_size %u: %s", size, strerror(errno));
		res = variant->hash_flags ? frame_hash(&f) : none;
		ASSERT_EQ(0, vhost_rx_find(&self->v, 1, f.data, f.len, &rx));
		ASSERT_EQ(1, rx.copies) TH_LOG("gso_size %u: %d other frames",
					       size, rx.noise);
		h = (const void *)rx.hdr;
		EXPECT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM, h->flags);
		EXPECT_EQ(VIRTIO_NET_HDR_GSO_TCPV4, h->gso_type);
		EXPECT_EQ(size, le16toh(h->gso_size));
		EXPECT_EQ(f.l3_off + 20, le16toh(h->csum_start));
		EXPECT_EQ(16, le16toh(h->csum_offset));
		check_hdr_rest(_metadata, &rx, self->v.hdr_len,
			       rx_buffers(&self->v, f.len), res, "gso");
		if (variant->hash_flags)
			EXPECT_EQ(VIRTIO_NET_HASH_REPORT_TCPv4, res.report);
	}
	close(sock);
}

/*
 * Frames of every kind from the guest's tx vring leave the tap intact:
 * through vhost_net_build_xdp (the socket's default sndbuf, INT_MAX,
 * lets vhost batch them as XDP buffers) and through sendmsg (a smaller
 * sndbuf).  The bytes after the generic header (num_buffers, the hash
 * fields) carry garbage that must not become frame data.
 */
TEST_F_TIMEOUT(vhost, tx_every_kind, 300)
{
	uint8_t hdr[VNET_HDR_MAX];
	uint32_t state = 0x5e7d;
	int i, pass, cap, sndbuf;
	struct frame_spec s;
	struct frame f;

	/* What the tap sends, on the device itself */
	cap = packet_capture(if_nametoindex(self->ifname));
	ASSERT_LE(0, cap);
	memset(hdr, 0, sizeof(hdr));
	memset(hdr + HDR_LEGACY, 0x5a, sizeof(hdr) - HDR_LEGACY);
	for (pass = 0; pass < 2; pass++) {
		if (pass) {
			sndbuf = 1 << 20;
			ASSERT_EQ(0, ioctl(self->tap, TUNSETSNDBUF, &sndbuf));
		}
		for (i = 0; i < 4 * FLOW_KINDS; i++) {
			flow_spec_random(&s, i % FLOW_KINDS, &state);
			frame_build(&f, &s);
			ASSERT_EQ(0, vhost_tx(&self->v, hdr, &f));
			ASSERT_EQ(0, frame_wait(cap, 0, &f))
				TH_LOG("%s: frame %d, %s",
				       flow_kind_names[i % FLOW_KINDS], i,
				       pass ? "sendmsg" : "xdp batch");
		}
	}
	close(cap);
}

/*
 * RSS on a 4-queue tap with one vhost-net instance per queue, as QEMU
 * sets up a multiqueue virtio-net device with vhost=on: every frame must
 * come out of the rx vring of the instance the oracle names, with the
 * oracle's hash.
 */
FIXTURE(vhost_rss)
{
	char ifname[IFNAMSIZ];
	int ifindex;
	int taps[QUEUES];
	int sock;
	uint16_t table[TABLE_MAX];
	struct vhost v[QUEUES];
};

FIXTURE_VARIANT(vhost_rss)
{
	uint64_t features;
};

FIXTURE_VARIANT_ADD(vhost_rss, mrg) {
	.features = F_V1 | F_MRG | F_HASH,
};

FIXTURE_VARIANT_ADD(vhost_rss, no_mrg) {
	.features = F_V1 | F_HASH,
};

FIXTURE_SETUP(vhost_rss)
{
	int i;

	self->sock = -1;
	for (i = 0; i < QUEUES; i++) {
		self->taps[i] = -1;
		vhost_init(&self->v[i]);
	}
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vhost_net_missing())
		SKIP(return, "no /dev/vhost-net");
	if (!vhost_offers(variant->features))
		SKIP(return, "vhost-net lacks VIRTIO_NET_F_HASH_REPORT");
	if (tun_vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");

	snprintf(self->ifname, IFNAMSIZ, "vhr%%d");
	ASSERT_EQ(0, tap_create(self->ifname, self->taps, QUEUES, HDR_HASH));
	self->ifindex = if_nametoindex(self->ifname);
	ASSERT_LT(0, self->ifindex);
	for (i = 0; i < 128; i++)
		self->table[i] = (i * 7 + 1) % QUEUES;
	ASSERT_EQ(0, tap_set_hash(self->taps[0], TUN_VNET_HASH_RSS |
				  TUN_VNET_HASH_REPORT, self->table));
	self->sock = packet_socket(SOCK_RAW);
	ASSERT_LE(0, self->sock);
	for (i = 0; i < QUEUES; i++) {
		ASSERT_EQ(0, vhost_open(&self->v[i]));
		ASSERT_EQ(0, vhost_set_features(&self->v[i],
						variant->features));
		ASSERT_EQ(0, vhost_start(&self->v[i], self->taps[i]));
	}
}

FIXTURE_TEARDOWN(vhost_rss)
{
	int i;

	for (i = 0; i < QUEUES; i++) {
		vhost_close(&self->v[i]);
		if (self->taps[i] >= 0)
			close(self->taps[i]);
	}
	if (self->sock >= 0)
		close(self->sock);
}

TEST_F_TIMEOUT(vhost_rss, every_kind, 300)
{
	int hits[QUEUES] = {};
	uint32_t state = 0x1427;
	struct oracle_result res;
	struct rx_result rx;
	struct frame_spec s;
	unsigned int want;
	struct frame f;
	int i, q;

	for (i = 0; i < 16 * FLOW_KINDS; i++) {
		const char *name = flow_kind_names[i % FLOW_KINDS];

		flow_spec_random(&s, i % FLOW_KINDS, &state);
		frame_build(&f, &s);
		res = frame_hash(&f);
		want = oracle_queue(res, self->table, 127, 2, QUEUES);
		ASSERT_EQ(0, packet_send(self->sock, self->ifindex, &f, false));
		ASSERT_EQ(0, vhost_rx_find(self->v, QUEUES, f.data, f.len,
					   &rx));
		ASSERT_EQ(1, rx.copies) TH_LOG("%s: frame %d", name, i);
		if (rx.copies != 1)
			continue;
		EXPECT_EQ(want, rx.queue) TH_LOG("%s: frame %d", name, i);
		check_hdr(_metadata, &rx, HDR_HASH, 1, res, name);
		hits[rx.queue]++;
	}
	for (q = 0; q < QUEUES; q++)
		EXPECT_LT(0, hits[q]) TH_LOG("queue %d unused", q);
	ksft_print_msg("%d frames on the instances of queues 0-3: %d %d %d %d\n",
		       16 * FLOW_KINDS, hits[0], hits[1], hits[2], hits[3]);
}

/*
 * VHOST_SET_FEATURES: VIRTIO_NET_F_HASH_REPORT is offered, needs
 * VIRTIO_F_VERSION_1 (EINVAL), and a refused call keeps the features
 * acked before: frames still come with a 20-byte header.
 */
TEST(features)
{
	uint64_t offered = 0, features;
	char ifname[IFNAMSIZ];
	struct rx_result rx;
	struct frame_spec s;
	uint32_t state = 3;
	struct vhost v;
	int tap, sock;
	struct frame f;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vhost_net_missing())
		SKIP(return, "no /dev/vhost-net");
	ASSERT_EQ(0, vhost_open(&v));
	ASSERT_EQ(0, ioctl(v.fd, VHOST_GET_FEATURES, &offered));
	if (!(offered & F_HASH)) {
		vhost_close(&v);
		SKIP(return, "vhost-net lacks VIRTIO_NET_F_HASH_REPORT");
	}
	EXPECT_EQ(F_V1 | F_MRG, offered & (F_V1 | F_MRG));

	ASSERT_EQ(0, vhost_set_features(&v, F_V1 | F_MRG));
	EXPECT_EQ(-EINVAL, vhost_set_features(&v, F_HASH));
	EXPECT_EQ(-EINVAL, vhost_set_features(&v, F_HASH | F_MRG));
	EXPECT_EQ(-EINVAL, vhost_set_features(&v, F_HASH | F_VHOST_HDR));
	features = F(63);	/* never offered */
	EXPECT_EQ(-1, ioctl(v.fd, VHOST_SET_FEATURES, &features));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, vhost_set_features(&v, F_V1 | F_HASH));
	EXPECT_EQ(-EINVAL, vhost_set_features(&v, F_HASH | F_MRG));
	/* The last accepted features stay: a 20-byte header. */
	v.hdr_len = HDR_HASH;

	snprintf(ifname, IFNAMSIZ, "vhf%%d");
	ASSERT_EQ(0, tap_create(ifname, &tap, 1, HDR_HASH));
	sock = packet_socket(SOCK_RAW);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, vhost_start(&v, tap));
	flow_spec_random(&s, FLOW_UDP4, &state);
	frame_build(&f, &s);
	ASSERT_EQ(0, packet_send(sock, if_nametoindex(ifname), &f, false));
	ASSERT_EQ(0, vhost_rx_find(&v, 1, f.data, f.len, &rx));
	EXPECT_EQ(1, rx.copies);
	close(sock);
	vhost_close(&v);
	close(tap);
}

/*
 * VHOST_NET_F_VIRTIO_NET_HDR: vhost writes the header itself in front of
 * what a raw AF_PACKET socket gives it.  With HASH_REPORT it writes all
 * 20 bytes: no offload, num_buffers 1, the hash fields 0 (NONE), none of
 * the guest's stale bytes.  On transmit it strips the 20 bytes.
 */
FIXTURE(vhost_raw)
{
	char ifname[IFNAMSIZ];
	int ifindex;
	int tap;
	int sock;
	int backend;
	struct vhost v;
};

FIXTURE_VARIANT(vhost_raw)
{
	uint64_t features;
};

FIXTURE_VARIANT_ADD(vhost_raw, report_mrg) {
	.features = F_VHOST_HDR | F_V1 | F_MRG | F_HASH,
};

FIXTURE_VARIANT_ADD(vhost_raw, report) {
	.features = F_VHOST_HDR | F_V1 | F_HASH,
};

FIXTURE_VARIANT_ADD(vhost_raw, v1_hdr12) {
	.features = F_VHOST_HDR | F_V1,
};

FIXTURE_VARIANT_ADD(vhost_raw, legacy_hdr10) {
	.features = F_VHOST_HDR,
};

FIXTURE_SETUP(vhost_raw)
{
	vhost_init(&self->v);
	self->tap = -1;
	self->sock = -1;
	self->backend = -1;
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vhost_net_missing())
		SKIP(return, "no /dev/vhost-net");
	if (!vhost_offers(variant->features))
		SKIP(return, "vhost-net lacks features %#llx",
		     (unsigned long long)variant->features);

	/* The tap only carries the frames; it has no vnet header. */
	snprintf(self->ifname, IFNAMSIZ, "vhp%%d");
	ASSERT_EQ(0, tap_create(self->ifname, &self->tap, 1, 0));
	self->ifindex = if_nametoindex(self->ifname);
	ASSERT_LT(0, self->ifindex);
	self->sock = packet_socket(SOCK_RAW);
	ASSERT_LE(0, self->sock);
	self->backend = packet_capture(self->ifindex);
	ASSERT_LE(0, self->backend);

	ASSERT_EQ(0, vhost_open(&self->v));
	ASSERT_EQ(0, vhost_set_features(&self->v, variant->features));
	ASSERT_EQ(0, vhost_start(&self->v, self->backend));
}

FIXTURE_TEARDOWN(vhost_raw)
{
	vhost_close(&self->v);
	if (self->backend >= 0)
		close(self->backend);
	if (self->sock >= 0)
		close(self->sock);
	if (self->tap >= 0)
		close(self->tap);
}

TEST_F_TIMEOUT(vhost_raw, rx_zero_hash, 300)
{
	struct oracle_result none = { 0, VIRTIO_NET_HASH_REPORT_NONE };
	uint32_t state = 11;
	struct rx_result rx;
	struct frame_spec s;
	struct frame f;
	int i;

	for (i = 0; i < 2 * FLOW_KINDS; i++) {
		const char *name = flow_kind_names[i % FLOW_KINDS];

		flow_spec_random(&s, i % FLOW_KINDS, &state);
		frame_build(&f, &s);
		/* The backend sees it leave through the tap. */
		ASSERT_EQ(0, packet_send(self->sock, self->ifindex, &f, false));
		ASSERT_EQ(0, vhost_rx_find(&self->v, 1, f.data, f.len, &rx));
		ASSERT_EQ(1, rx.copies) TH_LOG("%s: frame %d", name, i);
		if (rx.copies == 1)
			check_hdr(_metadata, &rx, self->v.hdr_len, 1, none,
				  name);
	}
}

TEST_F_TIMEOUT(vhost_raw, tx, 300)
{
	uint8_t hdr[VNET_HDR_MAX];
	uint32_t state = 12;
	struct frame_spec s;
	struct frame f;
	int i;

	memset(hdr, 0, sizeof(hdr));
	memset(hdr + HDR_LEGACY, 0x5a, sizeof(hdr) - HDR_LEGACY);
	for (i = 0; i < 2 * FLOW_KINDS; i++) {
		flow_spec_random(&s, i % FLOW_KINDS, &state);
		frame_build(&f, &s);
		ASSERT_EQ(0, vhost_tx(&self->v, hdr, &f));
		/* Sent on the tap's link: the tap's reader gets it. */
		ASSERT_EQ(0, frame_wait(self->tap, 0, &f))
			TH_LOG("%s: frame %d", flow_kind_names[i % FLOW_KINDS],
			       i);
	}
}

TEST_HARNESS_MAIN
