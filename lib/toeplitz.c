// SPDX-License-Identifier: GPL-2.0
/*
 * Toeplitz hash, as defined by Microsoft's receive side scaling and used
 * by the virtio-net specification.
 *
 * Every input bit that is set XORs into the result the 32-bit window of
 * the key that starts at that bit.  Precomputing, for each 4-bit group of
 * the input, the XOR for all 16 values of the group turns the bit-serial
 * loop into two table lookups per input byte.
 */

#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/toeplitz.h>
#include <linux/unaligned.h>

/**
 * toeplitz_expand_key - expand a Toeplitz key for toeplitz_hash()
 * @tk: the expanded key to fill
 * @key: the key, most significant bit of key[0] first
 * @key_len: bytes of @key; at most %TOEPLITZ_KEY_MAX are used, and a
 *           shorter key is zero-extended to %TOEPLITZ_KEY_MAX bytes
 */
void toeplitz_expand_key(struct toeplitz_key *tk, const u8 *key,
			 size_t key_len)
{
	/* Room for an unaligned 64-bit load at the last nibble. */
	u8 padded[TOEPLITZ_KEY_MAX + sizeof(u64)] = {};
	unsigned int group, value, bit;

	memcpy(padded, key, min_t(size_t, key_len, TOEPLITZ_KEY_MAX));

	for (group = 0; group < ARRAY_SIZE(tk->nibble); group++) {
		unsigned int first = group * 4;
		u32 window[4];
		u64 bits;

		/* Key bits from @first on, in the top of @bits. */
		bits = get_unaligned_be64(padded + first / 8) << (first % 8);
		for (bit = 0; bit < 4; bit++)
			window[bit] = (bits << bit) >> 32;

		for (value = 0; value < 16; value++) {
			u32 hash = 0;

			for (bit = 0; bit < 4; bit++)
				if (value & (8 >> bit))
					hash ^= window[bit];
			tk->nibble[group][value] = hash;
		}
	}
}
EXPORT_SYMBOL_GPL(toeplitz_expand_key);

/**
 * toeplitz_hash - compute the Toeplitz hash of a byte string
 * @tk: a key expanded by toeplitz_expand_key()
 * @data: the input, hashed from the most significant bit of its first byte
 * @len: bytes of @data; at most %TOEPLITZ_INPUT_MAX are hashed
 *
 * Return: the 32-bit hash.
 */
u32 toeplitz_hash(const struct toeplitz_key *tk, const void *data, size_t len)
{
	const u32 (*nibble)[16] = tk->nibble;
	const u8 *byte = data;
	u32 hash = 0, word;

	len = min_t(size_t, len, TOEPLITZ_INPUT_MAX);

	/* Addresses and ports come in 32-bit words: eight independent
	 * lookups per word, and no loop overhead per byte.
	 */
	for (; len >= 4; len -= 4, byte += 4, nibble += 8) {
		word = get_unaligned_be32(byte);
		hash ^= nibble[0][word >> 28] ^
			nibble[1][(word >> 24) & 0xf] ^
			nibble[2][(word >> 20) & 0xf] ^
			nibble[3][(word >> 16) & 0xf] ^
			nibble[4][(word >> 12) & 0xf] ^
			nibble[5][(word >> 8) & 0xf] ^
			nibble[6][(word >> 4) & 0xf] ^
			nibble[7][word & 0xf];
	}
	for (; len; len--, byte++, nibble += 2)
		hash ^= nibble[0][*byte >> 4] ^ nibble[1][*byte & 0xf];

	return hash;
}
EXPORT_SYMBOL_GPL(toeplitz_hash);

MODULE_DESCRIPTION("Toeplitz hash");
MODULE_LICENSE("GPL");
