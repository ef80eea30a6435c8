// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the nested guest (L2) of `make e2e`.
 *
 * The guest's own virtio_net driver configures RSS the way ethtool does
 * (the same SIOCETHTOOL requests as `ethtool -L`, `ethtool -X` and
 * `ethtool -N rx-flow-hash`), from a key and a table derived from a seed
 * on the kernel command line.  Then a packet socket with a classic BPF
 * filter checks every test frame L1 sends: the frame's trailer holds the
 * hash and the queue the oracle in L1 expects (e2e.py), and the filter
 * compares them with skb->hash (SKF_AD_RXHASH, which virtio_net sets from
 * the hash report) and the rx queue (SKF_AD_QUEUE).  The result is coded
 * in the length the filter keeps, so that the trailer's frame id survives.
 *
 * Phases (each ends with one "E2E ..." line on the console):
 *   1. seed e2e.seed, all hash types;          E2E READY 1, E2E RESULT 1
 *   2. seed e2e.seed + 1, UDPv4 hashed as IPv4; E2E READY 2, E2E RESULT 2
 *   3. the driver is unbound;                  E2E UNBOUND
 * then the guest powers off.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <time.h>
#include <unistd.h>

#define E2E_MAGIC	0x45324531	/* "E2E1" */
#define TRAILER_LEN	16		/* id, magic, hash, queue + 1 */
#define MAX_FLOWS	65536
#define QUEUES		4

static const char *ifname = "eth0";
static int ctl;

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

/* ethtool -L eth0 combined 4 */
static void set_channels(void)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (ethtool(&ch))
		die("ETHTOOL_GCHANNELS");
	ch.cmd = ETHTOOL_SCHANNELS;
	ch.combined_count = QUEUES;
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

/* ethtool -X eth0 hkey <key from seed> indir <table from seed> */
static void set_rxfh(uint32_t seed)
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
	set->indir_size = get.indir_size;
	set->key_size = get.key_size;
	set->hfunc = 0;		/* ETH_RSS_HASH_NO_CHANGE: Toeplitz */
	key = (uint8_t *)&set->rss_config[get.indir_size];
	/* the order e2e.py draws them in: the key, then the table */
	for (i = 0; i < get.key_size; i++)
		key[i] = rnd(&s) & 0xff;
	for (i = 0; i < get.indir_size; i++)
		set->rss_config[i] = rnd(&s) % QUEUES;
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

/*
 * Keep the whole frame when skb->hash and the rx queue (+ 1, as
 * skb_record_rx_queue() stores it) equal the trailer's; cut 1 byte off a
 * wrong hash and 2 off a wrong queue.  Frames without the magic are
 * dropped.
 */
static int open_checker(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, TRAILER_LEN),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, E2E_MAGIC, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 8),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 12),
		BPF_STMT(BPF_ST, 1),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RXHASH),
		BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 3, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_QUEUE),
		BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 3, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 2),
		BPF_STMT(BPF_RET | BPF_A, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	int one = 1;
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]),
				   .filter = code };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = if_nametoindex(ifname),
	};
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		die("SO_ATTACH_FILTER");
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)))
		die("PACKET_AUXDATA");
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind");
	return fd;
}

/* Receive the frames of ids [first, first + count) of one phase. */
static int check_phase(int fd, int phase, uint32_t first, uint32_t count,
		       int timeout_s)
{
	static uint8_t seen[MAX_FLOWS];
	uint32_t bad_hash = 0, bad_queue = 0, dup = 0, other = 0, ok = 0;
	uint32_t got = 0, i, missing = 0, reported = 0;
	uint8_t buf[2048];

	memset(seen, 0, sizeof(seen));
	while (got < count) {
		union {
			struct cmsghdr cm;
			char space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} ctrl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = &ctrl,
			.msg_controllen = sizeof(ctrl),
		};
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct tpacket_auxdata *aux = NULL;
		struct cmsghdr *cm;
		uint32_t id, cut;
		ssize_t n;

		if (poll(&pfd, 1, timeout_s * 1000) <= 0)
			break;
		n = recvmsg(fd, &msg, 0);
		if (n < 0)
			die("recvmsg");
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_PACKET &&
			    cm->cmsg_type == PACKET_AUXDATA)
				aux = (struct tpacket_auxdata *)CMSG_DATA(cm);
		if (!aux || aux->tp_len < TRAILER_LEN + 14 ||
		    aux->tp_len > sizeof(buf)) {
			other++;
			continue;
		}
		/* the id is first in the trailer, so a cut keeps it */
		memcpy(&id, buf + aux->tp_len - TRAILER_LEN, 4);
		id = ntohl(id);
		if (id < first || id >= first + count) {
			other++;
			continue;
		}
		if (seen[id - first]++) {
			dup++;
			continue;
		}
		got++;
		/* the filter's verdict is the number of bytes it cut */
		cut = aux->tp_len - aux->tp_snaplen;
		if (cut == 0) {
			ok++;
			continue;
		}
		if (cut == 1)
			bad_hash++;
		else
			bad_queue++;
		if (bad_hash + bad_queue <= 5)
			say("E2E BAD %d id %u %s\n", phase, id,
			    cut == 1 ? "hash" : "queue");
	}
	for (i = 0; i < count; i++) {
		if (seen[i])
			continue;
		missing++;
		if (reported++ < 5)
			say("E2E MISSING %d id %u\n", phase, first + i);
	}
	say("E2E RESULT %d ok %u bad_hash %u bad_queue %u missing %u dup %u other %u\n",
	    phase, ok, bad_hash, bad_queue, missing, dup, other);
	return ok == count && !dup ? 0 : 1;
}

int main(void)
{
	uint32_t seed, flows, first;
	int fd, rc = 0, timeout_s;

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
	if (!flows || flows > MAX_FLOWS) {
		errno = EINVAL;
		die("e2e.flows");
	}

	ctl = socket(AF_INET, SOCK_DGRAM, 0);
	if (ctl < 0)
		die("socket");
	set_up(1);
	set_channels();
	set_rxhash();
	fd = open_checker();

	/* phase 1: every type the device supports (the driver's default) */
	set_rxfh(seed);
	set_flow_hash(TCP_V4_FLOW, 1);
	set_flow_hash(UDP_V4_FLOW, 1);
	set_flow_hash(TCP_V6_FLOW, 1);
	set_flow_hash(UDP_V6_FLOW, 1);
	first = 0;
	say("E2E READY 1\n");
	rc |= check_phase(fd, 1, first, flows, timeout_s);

	/* phase 2: a new key and table, UDPv4 hashed on addresses only */
	set_rxfh(seed + 1);
	set_flow_hash(UDP_V4_FLOW, 0);
	first += flows;
	say("E2E READY 2\n");
	rc |= check_phase(fd, 2, first, flows, timeout_s);

	/* phase 3: the driver goes away, the device is reset */
	close(fd);
	fd = open("/sys/bus/virtio/drivers/virtio_net/unbind", O_WRONLY);
	if (fd < 0 || write(fd, "virtio0", 7) != 7)
		die("unbind virtio0");
	close(fd);
	say("E2E UNBOUND\n");
	sleep(cmdline_ul("e2e.linger", 5));
	finish(rc);
}
