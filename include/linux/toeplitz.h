/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Toeplitz hash, as used by receive side scaling (RSS).
 *
 * The key is expanded once into per-nibble tables; hashing an input then
 * costs two table lookups per input byte.  The expanded key takes
 * TOEPLITZ_NIBBLES * 16 * 4 = 4608 bytes: each 16-entry table is one
 * 64-byte cache line, and the whole key fits in L1 next to the data.
 */
#ifndef _LINUX_TOEPLITZ_H
#define _LINUX_TOEPLITZ_H

#include <linux/types.h>

/* Longest key; shorter keys are zero-extended to it. */
#define TOEPLITZ_KEY_MAX	40
/* Longest input: the IPv6 4-tuple. */
#define TOEPLITZ_INPUT_MAX	36
/* 4-bit groups of the longest input, one table each. */
#define TOEPLITZ_NIBBLES	(TOEPLITZ_INPUT_MAX * 2)

/**
 * struct toeplitz_key - a Toeplitz key expanded for fast hashing
 * @nibble: for each 4-bit group of the input, the XOR of the 32-bit key
 *          windows selected by each of its 16 values
 */
struct toeplitz_key {
	u32 nibble[TOEPLITZ_NIBBLES][16];
};

void toeplitz_expand_key(struct toeplitz_key *tk, const u8 *key,
			 size_t key_len);
u32 toeplitz_hash(const struct toeplitz_key *tk, const void *data,
		  size_t len);

#endif /* _LINUX_TOEPLITZ_H */
