// SPDX-License-Identifier: GPL-2.0
/*
 * tunrss - configure and demonstrate virtio_net RSS and hash report of
 * tun/tap devices (TUNGETVNETHASHCAP, TUNSETVNETHASH), the way QEMU does
 * for a guest's virtio-net device.
 *
 *   tunrss caps
 *   tunrss config DEV [--queues N] [--key HEX] [--table Q,Q,...]
 *                     [--types LIST|all] [--tunnel LIST|all]
 *                     [--report] [--rss] [--persist]
 *   tunrss demo [--queues N] [--flows M] [--key HEX] [--types LIST|all]
 *               [--seed S] [--bench]
 *
 * The configuration belongs to the device but is set through a queue
 * descriptor: `config` attaches queues itself, applies the configuration
 * and, with --persist, leaves the device persistent so that the
 * configuration outlives the command.  `demo` does everything in one
 * process, in a fresh network namespace: a multi-queue tap, RSS and hash
 * report, flows injected with AF_PACKET, every queue read back, and the
 * reported hashes checked against the userspace oracle shared with the
 * selftests.
 */

#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "../../testing/selftests/net/tun_vnet_hash_oracle.h"
#include "../../testing/selftests/net/tun_vnet_hash_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define DEMO_IFNAME	"tunrss0"
#define DEMO_HDR_SZ	((int)sizeof(struct virtio_net_hdr_v1_hash))

static const char * const type_names[] = {
	"ipv4", "tcp4", "udp4", "ipv6", "tcp6", "udp6", "ip_ex", "tcp_ex",
	"udp_ex",
};

static const char * const tunnel_names[] = {
	"gre_2784", "gre_2890", "gre_7676", "gre_udp", "vxlan", "vxlan_gpe",
	"geneve", "ipip", "nvgre",
};

#define ALL_TUNNEL_TYPES	((1u << ARRAY_SIZE(tunnel_names)) - 1)

static const char * const report_names[] = {
	"none", "ipv4", "tcp4", "udp4", "ipv6", "tcp6", "udp6", "ip_ex",
	"tcp_ex", "udp_ex",
};

struct options {
	int queues;
	int flows;
	uint8_t key[256];
	int key_size;
	uint16_t table[TABLE_MAX];
	int table_len;
	uint32_t types;
	uint32_t tunnel_types;
	bool report;
	bool rss;
	bool persist;
	bool bench;
	uint32_t seed;
};

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: tunrss caps\n"
		"       tunrss config DEV [--queues N] [--key HEX] [--table Q,Q,...]\n"
		"                         [--types LIST|all] [--tunnel LIST|all]\n"
		"                         [--report] [--rss] [--persist]\n"
		"       tunrss demo [--queues N] [--flows M] [--key HEX] [--types LIST|all]\n"
		"                   [--seed S] [--bench]\n"
		"types: ipv4,tcp4,udp4,ipv6,tcp6,udp6,ip_ex,tcp_ex,udp_ex or all\n");
}

static int parse_key(const char *s, uint8_t *key)
{
	int n = 0;

	while (*s) {
		unsigned int byte;

		if (*s == ':' || *s == ' ') {
			s++;
			continue;
		}
		if (!isxdigit(s[0]) || !isxdigit(s[1]) || n == 256 ||
		    sscanf(s, "%2x", &byte) != 1)
			return -1;
		key[n++] = byte;
		s += 2;
	}
	return n;
}

static int parse_table(const char *s, uint16_t *table)
{
	int n = 0;
	char *end;

	while (*s) {
		unsigned long q = strtoul(s, &end, 0);

		if (end == s || q > 0xffff || n == TABLE_MAX)
			return -1;
		table[n++] = q;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

/* A comma-separated list of @names, or "all" (@all), as bits. */
static int parse_names(const char *s, const char * const *names, size_t n,
		       uint32_t all, uint32_t *bits)
{
	char *copy = strdup(s), *tok, *save = NULL;
	size_t i;

	*bits = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			*bits |= all;
			continue;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == n) {
			free(copy);
			return -1;
		}
		*bits |= 1u << i;
	}
	free(copy);
	return 0;
}

static void print_names(uint32_t bits, const char * const *names, size_t n,
			uint32_t all)
{
	const char *sep = "";
	size_t i;

	if (bits == all) {
		printf("all");
		return;
	}
	for (i = 0; i < n; i++) {
		if (bits & (1u << i)) {
			printf("%s%s", sep, names[i]);
			sep = ",";
		}
	}
	if (!*sep)
		printf("none");
}

static void print_types(uint32_t types)
{
	print_names(types, type_names, ARRAY_SIZE(type_names),
		    ORACLE_ALL_TYPES);
}

static void print_tunnel_types(uint32_t tunnel_types)
{
	print_names(tunnel_types, tunnel_names, ARRAY_SIZE(tunnel_names),
		    ALL_TUNNEL_TYPES);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "queues", required_argument, NULL, 'q' },
		{ "flows", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "table", required_argument, NULL, 't' },
		{ "types", required_argument, NULL, 'T' },
		{ "tunnel", required_argument, NULL, 'U' },
		{ "report", no_argument, NULL, 'r' },
		{ "rss", no_argument, NULL, 's' },
		{ "persist", no_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 'S' },
		{ "bench", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "q:f:k:t:T:U:rspS:bh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'q':
			o->queues = atoi(optarg);
			if (o->queues < 1 || o->queues > TUN_MAX_QUEUES) {
				fprintf(stderr, "tunrss: 1 to %d queues\n",
					TUN_MAX_QUEUES);
				return -1;
			}
			break;
		case 'f':
			o->flows = atoi(optarg);
			break;
		case 'k':
			o->key_size = parse_key(optarg, o->key);
			if (o->key_size < 0) {
				fprintf(stderr, "tunrss: bad key '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 't':
			o->table_len = parse_table(optarg, o->table);
			if (o->table_len < 1) {
				fprintf(stderr, "tunrss: bad table '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 'T':
			if (parse_names(optarg, type_names,
					ARRAY_SIZE(type_names),
					ORACLE_ALL_TYPES, &o->types)) {
				fprintf(stderr, "tunrss: bad types '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 'U':
			if (parse_names(optarg, tunnel_names,
					ARRAY_SIZE(tunnel_names),
					ALL_TUNNEL_TYPES, &o->tunnel_types)) {
				fprintf(stderr, "tunrss: bad tunnel types '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 'r':
			o->report = true;
			break;
		case 's':
			o->rss = true;
			break;
		case 'p':
			o->persist = true;
			break;
		case 'S':
			o->seed = strtoul(optarg, NULL, 0) ?: 1;
			break;
		case 'b':
			o->bench = true;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		default:
			print_usage(stderr);
			return -1;
		}
	}
	return 0;
}

/*
 * TUNGETVNETHASHCAP works before TUNSETIFF on a kernel that has it; an
 * older kernel answers EBADFD there, so ask an attached queue of a
 * throw-away device in a private namespace to tell the two apart.
 */
static int cmd_caps(void)
{
	char name[IFNAMSIZ] = "tunrss%d";
	struct tun_vnet_hash_cap cap;
	int fd, err = 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("tunrss: /dev/net/tun");
		return 1;
	}
	if (ioctl(fd, TUNGETVNETHASHCAP, &cap) < 0)
		err = -errno;
	close(fd);
	if (err == -EBADFD && !unshare(CLONE_NEWNET)) {
		fd = tun_open_queue(name, IFF_TAP | IFF_NO_PI);
		if (fd >= 0) {
			if (ioctl(fd, TUNGETVNETHASHCAP, &cap) < 0)
				err = -errno;
			else
				err = 0;
			close(fd);
		}
	}
	if (err) {
		fprintf(stderr, "tunrss: TUNGETVNETHASHCAP: %s%s\n",
			strerror(-err), err == -EINVAL || err == -ENOTTY ?
			" (kernel without virtio_net hashing for tun)" : "");
		return 1;
	}
	printf("max_indirection_table_length %u\n",
	       cap.max_indirection_table_length);
	printf("max_key_size %u\n", cap.max_key_size);
	printf("types 0x%03x (", cap.types);
	print_types(cap.types);
	printf(")\n");
	printf("tunnel_types 0x%03x (", cap.tunnel_types);
	print_tunnel_types(cap.tunnel_types);
	printf(")\n");
	return 0;
}

static uint16_t table_mask(const struct options *o)
{
	return o->rss ? o->table_len - 1 : 0;
}

static int apply_config(int fd, const struct options *o)
{
	uint16_t flags = (o->report ? TUN_VNET_HASH_REPORT : 0) |
			 (o->rss ? TUN_VNET_HASH_RSS : 0);
	struct tun_vnet_hash hash = {
		.flags = flags,
		.key_size = flags ? o->key_size : 0,
		.types = flags ? o->types : 0,
		.indirection_table_mask = table_mask(o),
		.tunnel_types = flags ? o->tunnel_types : 0,
	};

	return tun_set_vnet_hash_hdr(fd, &hash, o->table, o->key);
}

static int open_device(char *ifname, int *fds, int queues, int hdr_sz)
{
	int i, err;

	for (i = 0; i < queues; i++) {
		fds[i] = tun_open_queue(ifname, IFF_TAP | IFF_NO_PI |
					IFF_VNET_HDR | IFF_MULTI_QUEUE);
		if (fds[i] < 0) {
			fprintf(stderr, "tunrss: queue %d of %s: %s\n", i,
				ifname, strerror(-fds[i]));
			return fds[i];
		}
		err = tun_prepare_queue(fds[i], hdr_sz);
		if (err) {
			fprintf(stderr, "tunrss: queue %d: %s\n", i,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

static void print_config(const char *ifname, const struct options *o)
{
	int i;

	printf("%s: %s%s%s, types ", ifname, o->rss ? "RSS" : "",
	       o->rss && o->report ? " + " : "",
	       o->report ? "hash report" : "");
	if (!o->rss && !o->report)
		printf("hashing off, types ");
	print_types(o->types);
	if (o->tunnel_types) {
		printf(", inner hash of ");
		print_tunnel_types(o->tunnel_types);
	}
	printf(", key %d bytes", o->key_size);
	if (o->rss) {
		printf(", table %d:", o->table_len);
		for (i = 0; i < o->table_len && i < 16; i++)
			printf(" %u", o->table[i]);
		if (o->table_len > 16)
			printf(" ...");
	}
	printf("\n");
}

static int cmd_config(const char *dev, struct options *o)
{
	char ifname[IFNAMSIZ];
	int fds[TUN_MAX_QUEUES];
	int err, i;

	snprintf(ifname, sizeof(ifname), "%s", dev);
	if (o->rss && o->table_len & (o->table_len - 1)) {
		fprintf(stderr, "tunrss: table length %d is not a power of 2\n",
			o->table_len);
		return 1;
	}
	if (open_device(ifname, fds, o->queues, DEMO_HDR_SZ))
		return 1;
	err = apply_config(fds[0], o);
	if (err) {
		fprintf(stderr, "tunrss: TUNSETVNETHASH: %s\n", strerror(-err));
		return 1;
	}
	if (o->persist && ioctl(fds[0], TUNSETPERSIST, 1) < 0) {
		perror("tunrss: TUNSETPERSIST");
		return 1;
	}
	print_config(ifname, o);
	if (!o->persist)
		printf("%s: not persistent: gone when tunrss exits (see --persist)\n",
		       ifname);
	for (i = 0; i < o->queues; i++)
		close(fds[i]);
	return 0;
}

struct demo_stats {
	int sent;
	int received;
	int hash_ok;
	int type_ok;
	int queue_ok;
	int lost;
	int per_queue[TUN_MAX_QUEUES];
	int per_kind[FLOW_KINDS];
	int per_report[ARRAY_SIZE(report_names)];
};

static void demo_check(const struct options *o, const struct frame *f,
		       const struct rx_result *rx, struct demo_stats *st,
		       enum flow_kind kind, bool verbose)
{
	struct oracle_result want;
	struct oracle_input in;
	unsigned int queue;
	bool ok;

	oracle_classify_eth(f->data, f->len, o->types, &in);
	want = oracle_hash(o->key, o->key_size, &in);
	queue = oracle_queue(want, o->table, table_mask(o), 0, o->queues);
	if (rx->queue < 0) {
		st->lost++;
		printf("  LOST  %-13s\n", flow_kind_names[kind]);
		return;
	}
	st->received++;
	st->per_queue[rx->queue]++;
	st->per_kind[kind]++;
	if (want.report < ARRAY_SIZE(report_names))
		st->per_report[want.report]++;
	st->hash_ok += rx_hash_value(rx) == want.value;
	st->type_ok += rx_hash_report(rx) == want.report;
	st->queue_ok += (unsigned int)rx->queue == queue;
	ok = rx_hash_value(rx) == want.value &&
	     rx_hash_report(rx) == want.report &&
	     (unsigned int)rx->queue == queue;
	if (!ok || verbose)
		printf("  %s %-13s queue %d (want %u) hash %08x (want %08x) type %s (want %s)\n",
		       ok ? "ok  " : "FAIL", flow_kind_names[kind], rx->queue,
		       queue, rx_hash_value(rx), want.value,
		       rx_hash_report(rx) < ARRAY_SIZE(report_names) ?
		       report_names[rx_hash_report(rx)] : "?",
		       report_names[want.report]);
}

/* `ethtool -x`: the header, the first rows of the table, the key. */
static void demo_ethtool(const char *ifname)
{
	bool in_table = false, in_key = false;
	char cmd[128], line[256];
	int rows = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ethtool -x %s 2>&1", ifname);
	printf("\n$ %s (excerpt)\n", cmd);
	p = popen(cmd, "r");
	if (!p) {
		perror("tunrss: ethtool");
		return;
	}
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, "indirection table")) {
			in_table = true;
		} else if (strstr(line, "RSS hash key")) {
			in_key = true;
		} else if (in_table && !in_key && rows++ >= 4) {
			if (rows == 6)
				printf("    ...\n");
			continue;
		}
		fputs(line, stdout);
	}
	pclose(p);

	snprintf(cmd, sizeof(cmd), "ethtool -n %s rx-flow-hash tcp6 2>&1",
		 ifname);
	printf("\n$ %s\n", cmd);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p))
		fputs(line, stdout);
	pclose(p);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Send the same flows again and again, reading each back, and print the
 * rate: a rough figure (the VM runs under emulation), never a verdict.
 */
static void demo_bench(int sock, int ifindex, const int *fds,
		       const struct options *o)
{
	uint32_t state = o->seed;
	struct frame f[FLOW_KINDS];
	struct frame_spec s;
	uint8_t buf[VNET_HDR_MAX + FRAME_MAX];
	int i, k, q, got = 0, rounds = 2000;
	double t0, t;

	for (k = 0; k < FLOW_KINDS; k++) {
		flow_spec_random(&s, k, &state);
		frame_build(&f[k], &s);
	}
	t0 = now();
	for (i = 0; i < rounds; i++) {
		for (k = 0; k < FLOW_KINDS; k++)
			packet_send(sock, ifindex, &f[k], false);
		for (q = 0; q < o->queues; q++)
			while (read(fds[q], buf, sizeof(buf)) > 0)
				got++;
	}
	t = now() - t0;
	printf("\nbench: %d frames sent, %d read, %.0f frames/s (%.2f us per frame)\n",
	       rounds * FLOW_KINDS, got, rounds * FLOW_KINDS / t,
	       t * 1e6 / (rounds * FLOW_KINDS));
}

static int cmd_demo(struct options *o)
{
	char ifname[IFNAMSIZ] = DEMO_IFNAME;
	int fds[TUN_MAX_QUEUES];
	struct demo_stats st = {};
	uint32_t state = o->seed;
	int sock, ifindex, err, i, q, max = 1;
	struct frame_spec s;
	struct rx_result rx;
	struct frame f;

	if (unshare(CLONE_NEWNET)) {
		perror("tunrss: unshare(CLONE_NEWNET)");
		return 1;
	}
	if (open_device(ifname, fds, o->queues, DEMO_HDR_SZ))
		return 1;
	err = netdev_set_up(ifname);
	if (err) {
		fprintf(stderr, "tunrss: %s up: %s\n", ifname, strerror(-err));
		return 1;
	}
	ifindex = if_nametoindex(ifname);
	sock = packet_socket(SOCK_RAW);
	if (sock < 0) {
		fprintf(stderr, "tunrss: AF_PACKET: %s\n", strerror(-sock));
		return 1;
	}

	o->rss = true;
	o->report = true;
	if (!o->table_len) {
		o->table_len = 128;
		for (i = 0; i < o->table_len; i++)
			o->table[i] = i % o->queues;
	}
	err = apply_config(fds[0], o);
	if (err) {
		fprintf(stderr, "tunrss: TUNSETVNETHASH: %s%s\n",
			strerror(-err), err == -EINVAL || err == -ENOTTY ?
			" (kernel without virtio_net hashing for tun?)" : "");
		return 1;
	}
	printf("tunrss demo: multi-queue tap %s, %d queues, %d flows, seed %u\n",
	       ifname, o->queues, o->flows, o->seed);
	print_config(ifname, o);
	printf("\n");

	for (i = 0; i < o->flows; i++) {
		enum flow_kind kind = i % FLOW_KINDS;

		flow_spec_random(&s, kind, &state);
		s.seq = i;
		frame_build(&f, &s);
		err = packet_send(sock, ifindex, &f, false);
		if (err) {
			fprintf(stderr, "tunrss: send: %s\n", strerror(-err));
			return 1;
		}
		st.sent++;
		err = rx_find(fds, o->queues, DEMO_HDR_SZ, f.data, f.len, &rx);
		if (err) {
			fprintf(stderr, "tunrss: read: %s\n", strerror(-err));
			return 1;
		}
		demo_check(o, &f, &rx, &st, kind, i < FLOW_KINDS);
	}

	printf("\nqueue  frames\n");
	for (q = 0; q < o->queues; q++)
		if (st.per_queue[q] > max)
			max = st.per_queue[q];
	for (q = 0; q < o->queues; q++) {
		int bar = st.per_queue[q] * 50 / max;

		printf("%5d  %6d  %.*s\n", q, st.per_queue[q], bar,
		       "##################################################");
	}
	printf("\nreported types:");
	for (i = 0; i < (int)ARRAY_SIZE(report_names); i++)
		if (st.per_report[i])
			printf(" %s %d", report_names[i], st.per_report[i]);
	printf("\nflow kinds:");
	for (i = 0; i < FLOW_KINDS; i++)
		printf(" %s %d", flow_kind_names[i], st.per_kind[i]);
	printf("\n\nchecked against the userspace oracle:\n");
	printf("  hashes %d/%d, types %d/%d, queues %d/%d, lost %d\n",
	       st.hash_ok, st.sent, st.type_ok, st.sent, st.queue_ok,
	       st.sent, st.lost);

	demo_ethtool(ifname);
	if (o->bench)
		demo_bench(sock, ifindex, fds, o);

	if (st.hash_ok != st.sent || st.type_ok != st.sent ||
	    st.queue_ok != st.sent) {
		printf("\nFAIL: the device disagrees with the oracle\n");
		return 1;
	}
	printf("\nPASS\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {
		.queues = 4,
		.flows = 256,
		.types = ORACLE_ALL_TYPES,
		.key_size = ORACLE_KEY_SIZE,
		.seed = 0x7e57,
	};
	const char *cmd, *dev = NULL;

	memcpy(o.key, oracle_ms_key, sizeof(oracle_ms_key));
	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "config")) {
		if (argc < 3 || argv[2][0] == '-') {
			print_usage(stderr);
			return 2;
		}
		dev = argv[2];
		argc--;
		argv++;
		o.queues = 1;
	}
	argc--;
	argv++;
	if (parse_options(argc, argv, &o))
		return 2;
	if (optind != argc) {
		print_usage(stderr);
		return 2;
	}

	if (!strcmp(cmd, "caps"))
		return cmd_caps();
	if (!strcmp(cmd, "config")) {
		if (!o.table_len) {
			o.table_len = 1;
			o.table[0] = 0;
		}
		return cmd_config(dev, &o);
	}
	if (!strcmp(cmd, "demo"))
		return cmd_demo(&o);
	print_usage(stderr);
	return 2;
}
