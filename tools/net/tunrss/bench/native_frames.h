/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frames of make bench-native, as the KUnit benchmark printed them
 * (tun_vnet_hash_kunit.bench_frames=1), one a line:
 *
 *   SHAPE INDEX QUEUE HASH TYPE HEX
 *
 * QUEUE, HASH and TYPE are what the kernel's RSS + report gives the frame
 * (HASH in hex).  Both userspace contenders read them, time themselves
 * the way the KUnit benchmark does (ROUNDS passes over every frame of a
 * shape, the best of PASSES) and check their choices against the kernel's.
 */
#ifndef NATIVE_FRAMES_H
#define NATIVE_FRAMES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_config.h"

#define NATIVE_SHAPES		4
#define NATIVE_FLOWS		256
#define NATIVE_FRAME_MAX	384
/* Room in front of each frame for a virtio_net_hdr_v1_hash. */
#define NATIVE_HEADROOM		20

struct native_frame {
	uint8_t buf[NATIVE_HEADROOM + NATIVE_FRAME_MAX];
	size_t len;		/* of the frame, after the headroom */
	unsigned int queue;	/* the kernel's choice */
	uint32_t hash;		/* the kernel's report */
	unsigned int type;
};

struct native_shape {
	char name[32];
	unsigned int nframes;
	struct native_frame frames[NATIVE_FLOWS];
};

static struct native_shape native_shapes[NATIVE_SHAPES];
static unsigned int native_nshapes;

/* Read the frames file; exits on a malformed one. */
static void native_read_frames(const char *path)
{
	char line[1024], name[32], hex[2 * NATIVE_FRAME_MAX + 2];
	unsigned int idx, queue, type, i, n;
	struct native_shape *s = NULL;
	struct native_frame *f;
	uint32_t hash;
	FILE *fp;

	fp = fopen(path, "r");
	if (!fp) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%31s %u %u %x %u %769s", name, &idx, &queue,
			   &hash, &type, hex) != 6)
			goto bad;
		if (!s || strcmp(s->name, name)) {
			if (native_nshapes == NATIVE_SHAPES)
				goto bad;
			s = &native_shapes[native_nshapes++];
			snprintf(s->name, sizeof(s->name), "%s", name);
		}
		n = strlen(hex) / 2;
		if (idx != s->nframes || idx >= NATIVE_FLOWS ||
		    n > NATIVE_FRAME_MAX)
			goto bad;
		f = &s->frames[s->nframes++];
		for (i = 0; i < n; i++)
			if (sscanf(hex + 2 * i, "%2hhx",
				   &f->buf[NATIVE_HEADROOM + i]) != 1)
				goto bad;
		f->len = n;
		f->queue = queue;
		f->hash = hash;
		f->type = type;
	}
	fclose(fp);
	if (native_nshapes)
		return;
bad:
	fprintf(stderr, "%s: not a frames file of make bench-native\n", path);
	exit(1);
}

static uint64_t native_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif /* NATIVE_FRAMES_H */
