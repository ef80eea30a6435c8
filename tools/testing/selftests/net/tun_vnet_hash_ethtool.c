// SPDX-License-Identifier: GPL-2.0
/*
 * The read-only ethtool view of a tun device's virtio_net hashing
 * configuration: the indirection table, the hash function, the hashed
 * fields and the ring count for anyone in the namespace, the key only for
 * CAP_NET_ADMIN in the device's network namespace; setting through
 * ethtool is refused.  Checked through the ETHTOOL_* ioctls, which the
 * view's contract is about, and through ethtool(8) when it is installed,
 * which may use netlink instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>

#include "../kselftest_harness.h"
#include "tun_vnet_hash_util.h"

#define QUEUES		4
#define KEY_SIZE	16
#define TABLE_LEN	16

#define T_V4		(T_IPV4 | T_TCP4 | T_UDP4)
#define ALL		ORACLE_ALL_TYPES

/* ETH_RSS_HASH_TOP: bit 0 of the hash functions (ethtool.h, not UAPI) */
#define HFUNC_TOP	1
#define RXH_IP		(RXH_IP_SRC | RXH_IP_DST)
#define RXH_L4		(RXH_IP | RXH_L4_B_0_1 | RXH_L4_B_2_3)

/* The ETHTOOL_GRSSH answer: sizes, hash function, table and key. */
struct rss {
	uint32_t indir_size;
	uint32_t key_size;
	uint8_t hfunc;
	uint32_t indir[256];
	uint8_t key[64];
};

static int ethtool_ioctl(const char *ifname, void *cmd)
{
	struct ifreq ifr = {};
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_data = cmd;
	ret = ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* ETHTOOL_GRSSH twice, as ethtool(8) does: the sizes, then the data. */
static int get_rss(const char *ifname, struct rss *rss)
{
	uint8_t buf[sizeof(struct ethtool_rxfh) + sizeof(rss->indir) +
		    sizeof(rss->key)] = {};
	struct ethtool_rxfh *rxfh = (struct ethtool_rxfh *)buf;
	int err;

	memset(rss, 0, sizeof(*rss));
	rxfh->cmd = ETHTOOL_GRSSH;
	err = ethtool_ioctl(ifname, rxfh);
	if (err)
		return err;
	if (rxfh->indir_size > 256 || rxfh->key_size > sizeof(rss->key))
		return -E2BIG;
	rss->indir_size = rxfh->indir_size;
	rss->key_size = rxfh->key_size;
	err = ethtool_ioctl(ifname, rxfh);
	if (err)
		return err;
	rss->hfunc = rxfh->hfunc;
	memcpy(rss->indir, rxfh->rss_config,
	       rss->indir_size * sizeof(uint32_t));
	memcpy(rss->key, (uint8_t *)rxfh->rss_config +
	       rss->indir_size * sizeof(uint32_t), rxfh->key_size);
	/* The key size may only shrink between the two calls. */
	rss->key_size = rxfh->key_size;
	return 0;
}

static int get_fields(const char *ifname, uint32_t flow_type, uint64_t *data)
{
	struct ethtool_rxnfc nfc = {
		.cmd = ETHTOOL_GRXFH,
		.flow_type = flow_type,
	};
	int err = ethtool_ioctl(ifname, &nfc);

	*data = nfc.data;
	return err;
}

static int get_rings(const char *ifname)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXRINGS };
	int err = ethtool_ioctl(ifname, &nfc);

	return err ? err : (int)nfc.data;
}

/* Run a command, return its output (truncated to @size). */
static int run_output(const char *cmd, char *out, size_t size)
{
	size_t len = 0, n;
	FILE *p;

	p = popen(cmd, "r");
	if (!p)
		return -errno;
	while (len + 1 < size && (n = fread(out + len, 1, size - 1 - len, p)))
		len += n;
	out[len] = '\0';
	return pclose(p);
}

static bool have_ethtool(void)
{
	return !system("ethtool --version >/dev/null 2>&1");
}

/*
 * Give up CAP_NET_ADMIN for good: out of the bounding set, so that a
 * program this process runs as root does not get it back, and out of the
 * effective, permitted and inheritable sets.
 */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0))
		return -errno;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &=
		~CAP_TO_MASK(CAP_NET_ADMIN);
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted &=
		~CAP_TO_MASK(CAP_NET_ADMIN);
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].inheritable &=
		~CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

static bool vnet_hash_missing(void)
{
	struct tun_vnet_hash_cap cap;
	int fd, err = 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return true;
	if (ioctl(fd, TUNGETVNETHASHCAP, &cap) < 0)
		err = errno;
	close(fd);
	return err == EINVAL || err == ENOTTY;
}

/* A 4-queue tap; the configuration: RSS over a 16-entry table. */
FIXTURE(ethtool)
{
	char ifname[IFNAMSIZ];
	int fds[QUEUES];
	uint16_t table[TABLE_LEN];
};

FIXTURE_SETUP(ethtool)
{
	int i;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	if (vnet_hash_missing())
		SKIP(return, "TUNGETVNETHASHCAP not supported");
	snprintf(self->ifname, IFNAMSIZ, "vhe%%d");
	for (i = 0; i < QUEUES; i++) {
		self->fds[i] = tun_open_queue(self->ifname, IFF_TAP |
					      IFF_NO_PI | IFF_VNET_HDR |
					      IFF_MULTI_QUEUE);
		ASSERT_LE(0, self->fds[i]);
		ASSERT_EQ(0, tun_prepare_queue(self->fds[i], 20));
	}
	ASSERT_EQ(0, netdev_set_up(self->ifname));
	if (get_rings(self->ifname) == -EOPNOTSUPP)
		SKIP(return, "no ethtool RSS view on tun");
	for (i = 0; i < TABLE_LEN; i++)
		self->table[i] = (i * 3) % QUEUES;
}

FIXTURE_TEARDOWN(ethtool)
{
	int i;

	for (i = 0; i < QUEUES; i++)
		if (self->fds[i] > 0)
			close(self->fds[i]);
}

static int configure(struct _test_data_ethtool *self, uint16_t flags,
		     uint32_t types)
{
	/* The RSS fields must be 0 without TUN_VNET_HASH_RSS. */
	bool rss = flags & TUN_VNET_HASH_RSS;

	return tun_set_vnet_hash(self->fds[0], flags, types, oracle_ms_key,
				 KEY_SIZE, self->table, rss ? TABLE_LEN - 1 : 0,
				 rss ? 1 : 0);
}

/* Hashing off: no table, no key, no hash function. */
TEST_F(ethtool, off)
{
	struct rss rss;
	uint64_t data;

	ASSERT_EQ(0, get_rss(self->ifname, &rss));
	EXPECT_EQ(0, rss.indir_size);
	EXPECT_EQ(0, rss.key_size);
	EXPECT_EQ(0, rss.hfunc);
	EXPECT_EQ(QUEUES, get_rings(self->ifname));
	ASSERT_EQ(0, get_fields(self->ifname, TCP_V4_FLOW, &data));
	EXPECT_EQ(0, data);
}

/* The table, the key zero-extended to 40 bytes, Toeplitz, the rings. */
TEST_F(ethtool, view)
{
	struct rss rss;
	int i;

	ASSERT_EQ(0, configure(self, TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT,
			       ALL));
	ASSERT_EQ(0, get_rss(self->ifname, &rss));
	EXPECT_EQ(TABLE_LEN, rss.indir_size);
	for (i = 0; i < TABLE_LEN; i++)
		EXPECT_EQ(self->table[i], rss.indir[i]) TH_LOG("entry %d", i);
	EXPECT_EQ(HFUNC_TOP, rss.hfunc);
	ASSERT_EQ(40, rss.key_size);
	for (i = 0; i < 40; i++)
		EXPECT_EQ(i < KEY_SIZE ? oracle_ms_key[i] : 0, rss.key[i])
			TH_LOG("key byte %d", i);

	/* Hash report alone steers by no table. */
	ASSERT_EQ(0, configure(self, TUN_VNET_HASH_REPORT, ALL));
	ASSERT_EQ(0, get_rss(self->ifname, &rss));
	EXPECT_EQ(0, rss.indir_size);
	EXPECT_EQ(40, rss.key_size);
	EXPECT_EQ(HFUNC_TOP, rss.hfunc);

	/* The ring count follows the attached queues. */
	EXPECT_EQ(QUEUES, get_rings(self->ifname));
	ASSERT_EQ(0, tun_set_queue(self->fds[3], false));
	EXPECT_EQ(QUEUES - 1, get_rings(self->ifname));
}

/* The hashed fields of each flow type, from the enabled types. */
TEST_F(ethtool, fields)
{
	static const struct {
		uint32_t types;
		uint32_t flow_type;
		uint64_t data;
	} cases[] = {
		{ ALL, TCP_V4_FLOW, RXH_L4 },
		{ ALL, UDP_V4_FLOW, RXH_L4 },
		{ ALL, IPV4_FLOW, RXH_IP },
		{ ALL, TCP_V6_FLOW, RXH_L4 },
		{ ALL, UDP_V6_FLOW, RXH_L4 },
		{ ALL, IPV6_FLOW, RXH_IP },
		{ T_IPV4 | T_IPV6, TCP_V4_FLOW, RXH_IP },
		{ T_IPV4 | T_IPV6, UDP_V6_FLOW, RXH_IP },
		{ T_TCP4, TCP_V4_FLOW, RXH_L4 },
		{ T_TCP4, UDP_V4_FLOW, 0 },
		{ T_TCP4, IPV4_FLOW, 0 },
		{ T_V4, TCP_V6_FLOW, 0 },
	};
	uint64_t data;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, configure(self, TUN_VNET_HASH_REPORT,
				       cases[i].types));
		data = 0xa5a5a5a5;
		EXPECT_EQ(0, get_fields(self->ifname, cases[i].flow_type,
					&data)) TH_LOG("case %zu", i);
		EXPECT_EQ(cases[i].data, data) TH_LOG("case %zu", i);
	}
	EXPECT_EQ(-EINVAL, get_fields(self->ifname, SCTP_V4_FLOW, &data));
}

/* The owner of the descriptor configures; ethtool cannot. */
TEST_F(ethtool, set_refused)
{
	uint8_t buf[sizeof(struct ethtool_rxfh) + TABLE_LEN * 4] = {};
	struct ethtool_rxfh *rxfh = (struct ethtool_rxfh *)buf;
	struct ethtool_rxnfc nfc = {
		.cmd = ETHTOOL_SRXFH,
		.flow_type = TCP_V4_FLOW,
		.data = RXH_IP,
	};
	struct rss rss;

	ASSERT_EQ(0, configure(self, TUN_VNET_HASH_RSS, ALL));
	rxfh->cmd = ETHTOOL_SRSSH;
	rxfh->indir_size = TABLE_LEN;
	EXPECT_EQ(-EOPNOTSUPP, ethtool_ioctl(self->ifname, rxfh));
	EXPECT_EQ(-EOPNOTSUPP, ethtool_ioctl(self->ifname, &nfc));
	ASSERT_EQ(0, get_rss(self->ifname, &rss));
	EXPECT_EQ(self->table[1], rss.indir[1]);
}

/*
 * In a child without CAP_NET_ADMIN: the key size is 0 and no key bytes
 * come back, while the table, the hash function and the hashed fields stay
 * visible.  Returns the number of the first check that fails, 0 if none.
 */
static int view_without_net_admin(struct _test_data_ethtool *self)
{
	uint8_t buf[sizeof(struct ethtool_rxfh) + 40] = {};
	struct ethtool_rxfh *rxfh = (struct ethtool_rxfh *)buf;
	char cmd[128], out[8192];
	uint64_t data = 0;
	struct rss rss;

	if (drop_net_admin())
		return 1;
	if (get_rss(self->ifname, &rss))
		return 2;
	if (rss.key_size)
		return 3;
	if (rss.indir_size != TABLE_LEN || rss.indir[1] != self->table[1] ||
	    rss.hfunc != HFUNC_TOP)
		return 4;
	if (get_fields(self->ifname, TCP_V4_FLOW, &data) || data != RXH_L4)
		return 5;
	/* Asking for the key by its size is refused. */
	rxfh->cmd = ETHTOOL_GRSSH;
	rxfh->key_size = 40;
	if (ethtool_ioctl(self->ifname, rxfh) != -EINVAL ||
	    memchr(buf + sizeof(*rxfh), oracle_ms_key[0], 40))
		return 6;
	/* ethtool(8), by netlink or ioctl, run as root without the
	 * capability: the table and hash function, not the key.
	 */
	if (have_ethtool()) {
		snprintf(cmd, sizeof(cmd), "ethtool -x %s 2>&1", self->ifname);
		run_output(cmd, out, sizeof(out));
		if (strstr(out, "6d:5a:56:da") || !strstr(out, "toeplitz: on"))
			return 7;
	}
	return 0;
}

/*
 * The key is the guest's, and knowing it lets one aim a flood at a single
 * queue: only CAP_NET_ADMIN in the device's network namespace sees it.
 */
TEST_F(ethtool, key_needs_net_admin)
{
	char cmd[128], out[8192];
	struct rss rss;
	int status;
	pid_t pid;

	ASSERT_EQ(0, configure(self, TUN_VNET_HASH_RSS | TUN_VNET_HASH_REPORT,
			       ALL));
	ASSERT_EQ(0, get_rss(self->ifname, &rss));
	ASSERT_EQ(40, rss.key_size);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(view_without_net_admin(self));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("check %d of view_without_net_admin()",
		       WEXITSTATUS(status));

	/* The administrator still sees it, through ethtool(8) too. */
	ASSERT_EQ(0, get_rss(self->ifname, &rss));
	EXPECT_EQ(40, rss.key_size);
	EXPECT_EQ(0, memcmp(rss.key, oracle_ms_key, KEY_SIZE));
	if (have_ethtool()) {
		snprintf(cmd, sizeof(cmd), "ethtool -x %s 2>&1", self->ifname);
		EXPECT_EQ(0, run_output(cmd, out, sizeof(out)));
		EXPECT_NE(NULL, strstr(out, "6d:5a:56:da")) TH_LOG("%s", out);
	}
}

TEST_HARNESS_MAIN
