/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's eBPF RSS program: tools/ebpf/rss.bpf.c of the QEMU source, its
 * legacy maps rewritten as BTF maps (btf_maps.py), nothing else changed;
 * loaded and its maps filled as QEMU's ebpf/ebpf_rss.c fills them for a
 * guest that enables RSS, with the configuration of bench_config.h.
 */
#ifndef QEMU_RSS_BPF_H
#define QEMU_RSS_BPF_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_config.h"

static int qemu_rss_load_map(struct bpf_object *obj, const char *name,
			     uint32_t key, const void *value)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map)
		return -ENOENT;
	if (bpf_map_update_elem(bpf_map__fd(map), &key, value, BPF_ANY))
		return -errno;
	return 0;
}

/* libbpf's warnings, not its notes: it skips the object's .eh_frame. */
static int qemu_rss_libbpf_warn(enum libbpf_print_level level,
				const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/*
 * Load the program of @path for @queues queues; its descriptor or
 * -errno.
 */
static int qemu_rss_bpf_load(const char *path, int queues)
{
	/*
	 * struct rss_config_t, packed: redirect 1, populate_hash 0, then in
	 * host order hash_types, indirections_len and default_queue; what
	 * the kernel modes set: all nine types, unclassified queue 0.
	 */
	uint16_t table_len = BENCH_TABLE_LEN, default_queue = 0;
	uint32_t hash_types = BENCH_HASH_TYPES;
	uint8_t config[10] = { 1, 0 };
	struct bpf_program *prog;
	uint32_t leftmost, i;
	struct bpf_object *obj;
	uint8_t key[40];
	uint16_t q;
	int err;

	libbpf_set_print(qemu_rss_libbpf_warn);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	prog = bpf_object__find_program_by_name(obj, "tun_rss_steering_prog");
	if (!prog)
		return -ENOENT;
	/* Its section name tells libbpf nothing: QEMU sets the type too. */
	bpf_program__set_type(prog, BPF_PROG_TYPE_SOCKET_FILTER);
	if (bpf_object__load(obj))
		return -errno;

	memcpy(config + 2, &hash_types, sizeof(hash_types));
	memcpy(config + 6, &table_len, sizeof(table_len));
	memcpy(config + 8, &default_queue, sizeof(default_queue));
	err = qemu_rss_load_map(obj, "tap_rss_map_configurations", 0, config);
	/*
	 * The key with its first four bytes as a host-order word, as
	 * ebpf_rss_set_toepliz_key() does (leftmost_32_bits, next_byte[36]).
	 */
	leftmost = (uint32_t)bench_key[0] << 24 | bench_key[1] << 16 |
		   bench_key[2] << 8 | bench_key[3];
	memcpy(key, &leftmost, sizeof(leftmost));
	memcpy(key + 4, bench_key + 4, sizeof(key) - 4);
	if (!err)
		err = qemu_rss_load_map(obj, "tap_rss_map_toeplitz_key", 0,
					key);
	/* The table of the kernel modes, one entry at a time as QEMU does */
	for (i = 0; !err && i < BENCH_TABLE_LEN; i++) {
		q = i % queues;
		err = qemu_rss_load_map(obj, "tap_rss_map_indirection_table",
					i, &q);
	}
	if (err)
		return err;
	return bpf_program__fd(prog);
}

#endif /* QEMU_RSS_BPF_H */
