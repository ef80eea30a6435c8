// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the nested guest (L2) of `make e2e`.
 *
 * The guest's own virtio_net driver configures RSS the way ethtool does
 * (the same SIOCETHTOOL requests as `ethtool -L`, `ethtool -X` and
 * `ethtool -N rx-flow-hash`), from a key and a table derived from a seed
 * on the kernel command line.  An XDP program bound to the device reads,
 * for every frame, the hash value and the hash type the device reported
 * (bpf_xdp_metadata_rx_hash(), which virtio_net answers from the frame's
 * virtio_net_hdr_v1_hash) and the rx queue, and writes them over the
 * frame's Ethernet addresses.  A packet socket then receives every test
 * frame: its trailer holds the hash, the report type and the queue the
 * oracle in L1 expects (e2e.py), computed from the seed this guest derives
 * its key and table from.  The guest compares them frame by frame.
 *
 * No libbpf, no clang: the program is eight instructions of raw eBPF, and
 * the kfunc's BTF id comes from /sys/kernel/btf/vmlinux (L2 boots the test
 * VM's own kernel, which has BTF: mk/vm/kernel.config).
 *
 * Phases (each ends with one "E2E ..." line on the console):
 *   1. seed e2e.seed, all hash types;          E2E READY 1, E2E RESULT 1
 *   2. seed e2e.seed + 1, UDPv4 hashed as IPv4; E2E READY 2, E2E RESULT 2
 *   3. with e2e.flows3: `ethtool -X` (seed e2e.seed + 2, a table over 2
 *      queues), then `ethtool -L` to 2 queues, which virtio_net sends as
 *      VQ_PAIRS_SET: RSS gives way to automatic steering, hash report
 *      goes on with the guest's key and types (queue unchecked);
 *                                              E2E READY 3, E2E RESULT 3
 *   4. the XDP program is detached, 4 queues, `ethtool -X` again (seed
 *      e2e.seed + 1), the interface goes down;  E2E DOWN
 *   5. the driver is unbound;                  E2E UNBOUND
 * then the guest powers off.  Phase 4 detaches XDP first because its
 * detach (and an unbind with it attached) makes virtio_net send
 * VQ_PAIRS_SET: only without it does the unbind leave the clearing of
 * the configuration to the device reset alone.
 *
 * e2e.rss=0 (a device with rss=off,hash=on): hash report only, no table;
 * phase 1, whose last request is VQ_PAIRS_SET after HASH_CONFIG (the
 * order of virtio_net's own probe), queue unchecked; then phases 4 and 5.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/reboot.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define E2E_MAGIC	0x45324531	/* "E2E1" */
#define TRAILER_LEN	20		/* id, magic, hash, queue + 1, type */
#define MAX_FLOWS	65536
#define QUEUES		4

#ifndef BPF_F_XDP_DEV_BOUND_ONLY	/* Debian 12's headers are 6.1's */
#define BPF_F_XDP_DEV_BOUND_ONLY	(1U << 6)
#endif

/*
 * enum xdp_rss_hash_type (include/net/xdp.h, not UAPI) of each
 * VIRTIO_NET_HASH_REPORT_*, as virtio_net's virtnet_xdp_rss_type[] maps
 * them; the XDP type names the report type one to one.
 */
static const uint32_t xdp_rss_type[] = {
	[0] = 0,			/* NONE: XDP_RSS_TYPE_NONE */
	[1] = 0x01,			/* IPv4: L3_IPV4 */
	[2] = 0x19,			/* TCPv4: L4_IPV4_TCP */
	[3] = 0x29,			/* UDPv4: L4_IPV4_UDP */
	[4] = 0x02,			/* IPv6: L3_IPV6 */
	[5] = 0x1a,			/* TCPv6: L4_IPV6_TCP */
	[6] = 0x2a,			/* UDPv6: L4_IPV6_UDP */
	[7] = 0x06,			/* IPv6_EX: L3_IPV6_EX */
	[8] = 0x1e,			/* TCPv6_EX: L4_IPV6_TCP_EX */
	[9] = 0x2e,			/* UDPv6_EX: L4_IPV6_UDP_EX */
};

static const char *const report_name[] = {
	"NONE", "IPv4", "TCPv4", "UDPv4", "IPv6", "TCPv6", "UDPv6",
	"IPv6_EX", "TCPv6_EX", "UDPv6_EX",
};

#define NR_REPORTS	(sizeof(report_name) / sizeof(report_name[0]))

/* The report type whose XDP type is @type, NR_REPORTS if none is. */
static unsigned int report_of(uint32_t type)
{
	unsigned int i;

	for (i = 0; i < NR_REPORTS; i++)
		if (xdp_rss_type[i] == type)
			return i;
	return NR_REPORTS;
}

/* What the XDP program writes over the Ethernet addresses. */
struct xdp_seen {
	uint32_t hash;
	uint32_t type;		/* enum xdp_rss_hash_type, ~0 on error */
	uint32_t queue;
};

static const char *ifname = "eth0";
static int ctl;
static int rss = 1;		/* e2e.rss: 0 for a device with rss=off,hash=on */

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void __attribute__((noreturn)) finish(int status)
{
	say("E2E EXIT %d\n", status);
	sync();
	/* no ACPI in this kernel: restart, and qemu -no-reboot exits */
	reboot(LINUX_REBOOT_CMD_RESTART);
	for (;;)
		pause();
}

static void __attribute__((noreturn)) die(const char *what)
{
	say("E2E FAIL %s: %s\n", what, strerror(errno));
	finish(1);
}

/* The PRNG e2e.py uses too: xorshift32. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static unsigned long cmdline_ul(const char *key, unsigned long def)
{
	static char buf[4096];
	char *p;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0)
		return def;
	memset(buf, 0, sizeof(buf));
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	p = strstr(buf, key);
	if (!p || p[strlen(key)] != '=')
		return def;
	return strtoul(p + strlen(key) + 1, NULL, 0);
}

static int ethtool(void *cmd)
{
	struct ifreq ifr = {};

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = cmd;
	return ioctl(ctl, SIOCETHTOOL, &ifr);
}

static void set_up(int up)
{
	struct ifreq ifr = {};

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(ctl, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS");
	ifr.ifr_flags = up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS");
}

/* ethtool -L eth0 combined @n */
static void set_channels(unsigned int n)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (ethtool(&ch))
		die("ETHTOOL_GCHANNELS");
	ch.cmd = ETHTOOL_SCHANNELS;
	ch.combined_count = n;
	if (ethtool(&ch))
		die("ETHTOOL_SCHANNELS");
}

/*
 * ethtool -K eth0 rxhash on: virtio_net offers it (hw_features) but
 * leaves it off, and without it skb->hash is not the reported hash.
 */
static void set_rxhash(void)
{
	struct ethtool_value v = { .cmd = ETHTOOL_GFLAGS };

	if (ethtool(&v))
		die("ETHTOOL_GFLAGS");
	v.cmd = ETHTOOL_SFLAGS;
	v.data |= ETH_FLAG_RXHASH;
	if (ethtool(&v))
		die("ETHTOOL_SFLAGS rxhash");
}

/*
 * ethtool -X eth0 hkey <key from seed> indir <table over @queues queues
 * from seed>; the key alone without RSS.
 */
static void set_rxfh(uint32_t seed, unsigned int queues)
{
	struct ethtool_rxfh get = { .cmd = ETHTOOL_GRSSH };
	struct ethtool_rxfh *set;
	uint32_t s = seed, i;
	uint8_t *key;

	if (ethtool(&get))
		die("ETHTOOL_GRSSH");
	set = calloc(1, sizeof(*set) + get.indir_size * 4 + get.key_size);
	if (!set)
		die("calloc");
	set->cmd = ETHTOOL_SRSSH;
	set->indir_size = rss ? get.indir_size : ETH_RXFH_INDIR_NO_CHANGE;
	set->key_size = get.key_size;
	set->hfunc = 0;		/* ETH_RSS_HASH_NO_CHANGE: Toeplitz */
	key = (uint8_t *)&set->rss_config[rss ? get.indir_size : 0];
	/* the order e2e.py draws them in: the key, then the table */
	for (i = 0; i < get.key_size; i++)
		key[i] = rnd(&s) & 0xff;
	for (i = 0; rss && i < get.indir_size; i++)
		set->rss_config[i] = rnd(&s) % queues;
	if (ethtool(set))
		die("ETHTOOL_SRSSH");
	say("E2E RSS indir %u key %u\n", get.indir_size, get.key_size);
	free(set);
}

/* ethtool -N eth0 rx-flow-hash <flow> sd|sdfn */
static void set_flow_hash(uint32_t flow, int l4)
{
	struct ethtool_rxnfc nfc = {
		.cmd = ETHTOOL_SRXFH,
		.flow_type = flow,
		.data = RXH_IP_SRC | RXH_IP_DST,
	};

	if (l4)
		nfc.data |= RXH_L4_B_0_1 | RXH_L4_B_2_3;
	if (ethtool(&nfc))
		die("ETHTOOL_SRXFH");
}

/* The BTF id of the vmlinux function @name, from /sys/kernel/btf/vmlinux. */
static int btf_func_id(const char *name)
{
	static uint8_t btf[16 << 20];
	const struct btf_header *hdr = (void *)btf;
	const uint8_t *p, *types_end;
	const char *strings;
	ssize_t len = 0, n;
	int fd, id = 1;

	fd = open("/sys/kernel/btf/vmlinux", O_RDONLY);
	if (fd < 0)
		die("/sys/kernel/btf/vmlinux");
	while ((n = read(fd, btf + len, sizeof(btf) - len)) > 0)
		len += n;
	close(fd);
	if (len < (ssize_t)sizeof(*hdr) || hdr->magic != BTF_MAGIC) {
		errno = EINVAL;
		die("vmlinux BTF");
	}
	p = btf + hdr->hdr_len + hdr->type_off;
	types_end = p + hdr->type_len;
	strings = (const char *)btf + hdr->hdr_len + hdr->str_off;
	while (p < types_end) {
		const struct btf_type *t = (const void *)p;
		uint32_t vlen = BTF_INFO_VLEN(t->info);

		if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC &&
		    !strcmp(strings + t->name_off, name))
			return id;
		p += sizeof(*t);
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_INT:
		case BTF_KIND_VAR:
		case BTF_KIND_DECL_TAG:
			p += 4;
			break;
		case BTF_KIND_ARRAY:
			p += sizeof(struct btf_array);
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			p += vlen * sizeof(struct btf_member);
			break;
		case BTF_KIND_ENUM:
			p += vlen * sizeof(struct btf_enum);
			break;
		case BTF_KIND_FUNC_PROTO:
			p += vlen * sizeof(struct btf_param);
			break;
		case BTF_KIND_DATASEC:
			p += vlen * sizeof(struct btf_var_secinfo);
			break;
		case BTF_KIND_ENUM64:
			p += vlen * 12;		/* struct btf_enum64 */
			break;
		}
		id++;
	}
	errno = ENOENT;
	die(name);
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })

/*
 * Attach to @ifindex an XDP program that writes what the device reported
 * for each frame (struct xdp_seen) over its Ethernet addresses:
 *
 *	u64 buf = 0;
 *	if (bpf_xdp_metadata_rx_hash(ctx, &buf.hash, &buf.type))
 *		buf.type = ~0;
 *	if (ctx->data + 12 <= ctx->data_end)
 *		memcpy(ctx->data, {buf.hash, buf.type, ctx->rx_queue_index}, 12);
 *	return XDP_PASS;
 *
 * The kfunc is a driver's only when the program is bound to the device
 * (BPF_F_XDP_DEV_BOUND_ONLY).  With a program attached virtio_net no
 * longer sets skb->hash, so this is the one place to look.
 */
static int attach_xdp(int ifindex)
{
	int kfunc = btf_func_id("bpf_xdp_metadata_rx_hash");
	struct bpf_insn prog[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -4),
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, kfunc),
		INSN(BPF_JMP32 | BPF_JEQ | BPF_K, 0, 0, 1, 0),
		INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, -1),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, 0, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 6, 4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 12),
		INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 6, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 10, -8, 0),
		INSN(BPF_STX | BPF_MEM | BPF_W, 2, 1, 0, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 10, -4, 0),
		INSN(BPF_STX | BPF_MEM | BPF_W, 2, 1, 4, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 6, 16, 0),
		INSN(BPF_STX | BPF_MEM | BPF_W, 2, 1, 8, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[65536];
	union bpf_attr attr;
	int prog_fd, link_fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.expected_attach_type = BPF_XDP;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (uintptr_t)"GPL";
	attr.prog_ifindex = ifindex;
	attr.prog_flags = BPF_F_XDP_DEV_BOUND_ONLY;
	attr.log_buf = (uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	prog_fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog_fd < 0) {
		say("%s", log);
		die("BPF_PROG_LOAD");
	}
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.target_ifindex = ifindex;
	attr.link_create.attach_type = BPF_XDP;
	link_fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	if (link_fd < 0)
		die("BPF_LINK_CREATE");
	close(prog_fd);
	return link_fd;
}

/* A packet socket that keeps the frames carrying the trailer's magic. */
static int open_checker(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, TRAILER_LEN),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, E2E_MAGIC, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]),
				   .filter = code };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = if_nametoindex(ifname),
	};
	/*
	 * Room for a whole phase: L2 under nested TCG can stall for seconds
	 * (its console is slow), and the default buffer holds about a
	 * hundred frames, the rest of a burst would be dropped here.
	 */
	int rcvbuf = 16 << 20;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		die("SO_RCVBUFFORCE");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		die("SO_ATTACH_FILTER");
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind");
	return fd;
}

/* The trailer L1 appends to every test frame, in network order. */
struct trailer {
	uint32_t id;
	uint32_t magic;
	uint32_t hash;
	uint32_t queue;		/* + 1 */
	uint32_t type;		/* VIRTIO_NET_HASH_REPORT_* */
};

/*
 * Receive the frames of ids [first, first + count) of one phase and
 * compare, frame by frame, what the device reported with the trailer.
 */
static int check_phase(int fd, int phase, uint32_t first, uint32_t count,
		       int timeout_s)
{
	uint32_t bad_hash = 0, bad_type = 0, bad_queue = 0, dup = 0;
	uint32_t got = 0, i, missing = 0, reported = 0, ok = 0, other = 0;
	uint32_t per_queue[QUEUES + 1] = {}, per_type[NR_REPORTS + 1] = {};
	struct tpacket_stats stats = {};
	socklen_t len = sizeof(stats);
	static uint8_t seen[MAX_FLOWS];
	char line[256];
	uint8_t buf[2048];
	int pos;

	memset(seen, 0, sizeof(seen));
	while (got < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct xdp_seen dev;
		struct trailer want;
		uint32_t id, type;
		ssize_t n;
		int bad;

		if (poll(&pfd, 1, timeout_s * 1000) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			die("recv");
		if (n < (ssize_t)(sizeof(dev) + sizeof(want))) {
			other++;
			continue;
		}
		memcpy(&dev, buf, sizeof(dev));
		memcpy(&want, buf + n - sizeof(want), sizeof(want));
		id = ntohl(want.id);
		type = ntohl(want.type);
		if (id < first || id >= first + count || type > 9) {
			other++;
			continue;
		}
		if (seen[id - first]++) {
			dup++;
			continue;
		}
		got++;
		per_queue[dev.queue < QUEUES ? dev.queue : QUEUES]++;
		per_type[report_of(dev.type)]++;
		if (got <= 3 || id == first + count / 2)
			say("E2E SAMPLE %d id %u queue %u hash %08x type %s\n",
			    phase, id, dev.queue, dev.hash,
			    report_of(dev.type) < NR_REPORTS ?
			    report_name[report_of(dev.type)] : "?");
		bad = 0;
		if (dev.hash != ntohl(want.hash))
			bad_hash++, bad = 1;
		if (dev.type != xdp_rss_type[type])
			bad_type++, bad = 1;
		/* queue 0 in the trailer: automatic steering, any queue */
		if (want.queue && dev.queue + 1 != ntohl(want.queue))
			bad_queue++, bad = 1;
		if (!bad)
			ok++;
		else if (bad_hash + bad_type + bad_queue <= 5)
			say("E2E BAD %d id %u hash %08x want %08x xdp type %#x want %#x (report %u) queue %u want %u\n",
			    phase, id, dev.hash, ntohl(want.hash), dev.type,
			    xdp_rss_type[type], type, dev.queue,
			    ntohl(want.queue) - 1);
	}
	for (i = 0; i < count; i++) {
		if (seen[i])
			continue;
		missing++;
		if (reported++ < 5)
			say("E2E MISSING %d id %u\n", phase, first + i);
	}
	pos = snprintf(line, sizeof(line), "E2E QUEUES %d", phase);
	for (i = 0; i < QUEUES; i++)
		pos += snprintf(line + pos, sizeof(line) - pos, " %u:%u", i,
				per_queue[i]);
	say("%s\n", line);
	pos = snprintf(line, sizeof(line), "E2E TYPES %d", phase);
	for (i = 0; i <= NR_REPORTS; i++)
		if (per_type[i])
			pos += snprintf(line + pos, sizeof(line) - pos,
					" %s:%u", i < NR_REPORTS ?
					report_name[i] : "?", per_type[i]);
	say("%s\n", line);
	/* frames the socket dropped (buffer full), read and reset */
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &len))
		die("PACKET_STATISTICS");
	say("E2E RESULT %d ok %u bad_hash %u bad_type %u bad_queue %u missing %u dup %u other %u socket_drops %u\n",
	    phase, ok, bad_hash, bad_type, bad_queue, missing, dup, other,
	    stats.tp_drops);
	return ok == count && !dup ? 0 : 1;
}

int main(void)
{
	int fd, link, rc = 0, timeout_s;
	uint32_t seed, flows, flows3, first;

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* the initramfs has no /dev/console: stdio goes nowhere until now */
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}

	seed = cmdline_ul("e2e.seed", 1);
	flows = cmdline_ul("e2e.flows", 0);
	timeout_s = cmdline_ul("e2e.timeout", 60);
	rss = cmdline_ul("e2e.rss", 1);
	flows3 = cmdline_ul("e2e.flows3", 0);
	if (!flows || flows > MAX_FLOWS || flows3 > MAX_FLOWS) {
		errno = EINVAL;
		die("e2e.flows");
	}

	ctl = socket(AF_INET, SOCK_DGRAM, 0);
	if (ctl < 0)
		die("socket");
	set_up(1);
	set_channels(QUEUES);
	set_rxhash();
	link = attach_xdp(if_nametoindex(ifname));
	fd = open_checker();

	/* phase 1: every type the device supports (the driver's default) */
	set_rxfh(seed, QUEUES);
	set_flow_hash(TCP_V4_FLOW, 1);
	set_flow_hash(UDP_V4_FLOW, 1);
	set_flow_hash(TCP_V6_FLOW, 1);
	set_flow_hash(UDP_V6_FLOW, 1);
	if (!rss) {
		/* HASH_CONFIG, then VQ_PAIRS_SET: no ethtool -L with XDP */
		close(link);
		set_channels(2);
		link = attach_xdp(if_nametoindex(ifname));
	}
	first = 0;
	say("E2E READY 1\n");
	rc |= check_phase(fd, 1, first, flows, timeout_s);
	first += flows;

	if (rss) {
		/* phase 2: a new key and table, UDPv4 hashed on addresses only */
		set_rxfh(seed + 1, QUEUES);
		set_flow_hash(UDP_V4_FLOW, 0);
		say("E2E READY 2\n");
		rc |= check_phase(fd, 2, first, flows, timeout_s);
		first += flows;
	}

	/*
	 * phase 3: ethtool -L after ethtool -X.  ethtool refuses fewer
	 * channels than the table uses, and virtio_net any change with XDP
	 * attached: a table over 2 queues, then 2 channels, then XDP again
	 * (its attach is VQ_PAIRS_SET too).
	 */
	close(link);
	if (rss && flows3) {
		set_rxfh(seed + 2, 2);
		set_channels(2);
		link = attach_xdp(if_nametoindex(ifname));
		say("E2E READY 3\n");
		rc |= check_phase(fd, 3, first, flows3, timeout_s);
		close(link);
		set_channels(QUEUES);
	}

	/*
	 * phase 4: with no XDP program (see above) the guest's configuration
	 * again, which the tap must hold; the interface then goes down,
	 * which the device does not see.
	 */
	close(fd);
	set_rxfh(rss ? seed + 1 : seed, QUEUES);
	set_up(0);
	say("E2E DOWN\n");
	sleep(2);

	/* phase 5: the driver goes away, the device is reset */
	fd = open("/sys/bus/virtio/drivers/virtio_net/unbind", O_WRONLY);
	if (fd < 0 || write(fd, "virtio0", 7) != 7)
		die("unbind virtio0");
	close(fd);
	say("E2E UNBOUND\n");
	sleep(cmdline_ul("e2e.linger", 5));
	finish(rc);
}
