// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests and benchmark for the Toeplitz hash.
 *
 * The oracles are the verification vectors that Microsoft publishes for
 * RSS and a bit-serial implementation of the definition.
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/string.h>
#include <linux/toeplitz.h>
#include <linux/unaligned.h>

/*
 * The key and the vectors of Microsoft's "Verifying the RSS Hash
 * Calculation"; the same are in DPDK's app/test/test_thash.c.
 */
static const u8 toeplitz_ms_key[TOEPLITZ_KEY_MAX] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The addresses are given as text for the case names and as bytes for the
 * input, so that the test needs nothing of the network stack.
 */
struct toeplitz_ms_vector {
	bool ipv6;
	bool ports;
	const char *dst;
	u16 dport;
	const char *src;
	u16 sport;
	u32 hash;
	u8 dst_addr[16];
	u8 src_addr[16];
};

/* Destination first, as in Microsoft's table; the input is source first. */
static const struct toeplitz_ms_vector toeplitz_ms_vectors[] = {
	{ false, false, "161.142.100.80", 1766,
	  "66.9.149.187", 2794, 0x323e8fc2,
	  .dst_addr = { 0xa1, 0x8e, 0x64, 0x50 },
	  .src_addr = { 0x42, 0x09, 0x95, 0xbb } },
	{ false, true, "161.142.100.80", 1766,
	  "66.9.149.187", 2794, 0x51ccc178,
	  .dst_addr = { 0xa1, 0x8e, 0x64, 0x50 },
	  .src_addr = { 0x42, 0x09, 0x95, 0xbb } },
	{ false, false, "65.69.140.83", 4739,
	  "199.92.111.2", 14230, 0xd718262a,
	  .dst_addr = { 0x41, 0x45, 0x8c, 0x53 },
	  .src_addr = { 0xc7, 0x5c, 0x6f, 0x02 } },
	{ false, true, "65.69.140.83", 4739,
	  "199.92.111.2", 14230, 0xc626b0ea,
	  .dst_addr = { 0x41, 0x45, 0x8c, 0x53 },
	  .src_addr = { 0xc7, 0x5c, 0x6f, 0x02 } },
	{ false, false, "12.22.207.184", 38024,
	  "24.19.198.95", 12898, 0xd2d0a5de,
	  .dst_addr = { 0x0c, 0x16, 0xcf, 0xb8 },
	  .src_addr = { 0x18, 0x13, 0xc6, 0x5f } },
	{ false, true, "12.22.207.184", 38024,
	  "24.19.198.95", 12898, 0x5c2b394a,
	  .dst_addr = { 0x0c, 0x16, 0xcf, 0xb8 },
	  .src_addr = { 0x18, 0x13, 0xc6, 0x5f } },
	{ false, false, "209.142.163.6", 2217,
	  "38.27.205.30", 48228, 0x82989176,
	  .dst_addr = { 0xd1, 0x8e, 0xa3, 0x06 },
	  .src_addr = { 0x26, 0x1b, 0xcd, 0x1e } },
	{ false, true, "209.142.163.6", 2217,
	  "38.27.205.30", 48228, 0xafc7327f,
	  .dst_addr = { 0xd1, 0x8e, 0xa3, 0x06 },
	  .src_addr = { 0x26, 0x1b, 0xcd, 0x1e } },
	{ false, false, "202.188.127.2", 1303,
	  "153.39.163.191", 44251, 0x5d1809c5,
	  .dst_addr = { 0xca, 0xbc, 0x7f, 0x02 },
	  .src_addr = { 0x99, 0x27, 0xa3, 0xbf } },
	{ false, true, "202.188.127.2", 1303,
	  "153.39.163.191", 44251, 0x10e828a2,
	  .dst_addr = { 0xca, 0xbc, 0x7f, 0x02 },
	  .src_addr = { 0x99, 0x27, 0xa3, 0xbf } },
	{ true, false, "3ffe:2501:200:3::1", 1766,
	  "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5,
	  .dst_addr = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 },
	  .src_addr = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07 } },
	{ true, true, "3ffe:2501:200:3::1", 1766,
	  "3ffe:2501:200:1fff::7", 2794, 0x40207d3d,
	  .dst_addr = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 },
	  .src_addr = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07 } },
	{ true, false, "ff02::1", 4739,
	  "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c,
	  .dst_addr = { 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 },
	  .src_addr = { 0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0x00, 0x00,
			0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab } },
	{ true, true, "ff02::1", 4739,
	  "3ffe:501:8::260:97ff:fe40:efab", 14230, 0xdde51bbf,
	  .dst_addr = { 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 },
	  .src_addr = { 0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0x00, 0x00,
			0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab } },
	{ true, false, "fe80::200:f8ff:fe21:67cf", 38024,
	  "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4b61e985,
	  .dst_addr = { 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  .src_addr = { 0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03,
			0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf } },
	{ true, true, "fe80::200:f8ff:fe21:67cf", 38024,
	  "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x02d1feef,
	  .dst_addr = { 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  .src_addr = { 0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03,
			0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf } },
};

static void toeplitz_ms_vector_desc(const struct toeplitz_ms_vector *v,
				    char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s %s:%u from %s:%u",
		 v->ports ? "4-tuple" : "2-tuple", v->dst, v->dport, v->src,
		 v->sport);
}

KUNIT_ARRAY_PARAM(toeplitz_ms, toeplitz_ms_vectors, toeplitz_ms_vector_desc);

/* The definition, one bit at a time: the oracle of the fast path. */
static u32 toeplitz_reference(const u8 *key, size_t key_len,
			      const u8 *data, size_t len)
{
	u8 padded[TOEPLITZ_KEY_MAX] = {};
	u32 window, hash = 0;
	size_t bit, next;

	memcpy(padded, key, min_t(size_t, key_len, TOEPLITZ_KEY_MAX));
	window = get_unaligned_be32(padded);
	for (bit = 0; bit < len * 8; bit++) {
		if (data[bit / 8] & (0x80 >> (bit % 8)))
			hash ^= window;
		next = bit + 32;
		window <<= 1;
		if (next < sizeof(padded) * 8 &&
		    padded[next / 8] & (0x80 >> (next % 8)))
			window |= 1;
	}

	return hash;
}

/* Source address, destination address, then ports: the RSS input order. */
static size_t toeplitz_ms_input(const struct toeplitz_ms_vector *v, u8 *input)
{
	size_t alen = v->ipv6 ? 16 : 4;

	memcpy(input, v->src_addr, alen);
	memcpy(input + alen, v->dst_addr, alen);
	if (!v->ports)
		return 2 * alen;

	put_unaligned_be16(v->sport, input + 2 * alen);
	put_unaligned_be16(v->dport, input + 2 * alen + 2);
	return 2 * alen + 4;
}

static void toeplitz_test_ms_vector(struct kunit *test)
{
	const struct toeplitz_ms_vector *v = test->param_value;
	u8 input[TOEPLITZ_INPUT_MAX];
	struct toeplitz_key *tk;
	size_t len;

	tk = kunit_kmalloc(test, sizeof(*tk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tk);
	toeplitz_expand_key(tk, toeplitz_ms_key, sizeof(toeplitz_ms_key));

	len = toeplitz_ms_input(v, input);
	KUNIT_EXPECT_EQ(test, toeplitz_hash(tk, input, len), v->hash);
	KUNIT_EXPECT_EQ(test, toeplitz_reference(toeplitz_ms_key,
						 sizeof(toeplitz_ms_key),
						 input, len), v->hash);
}

#define TOEPLITZ_RANDOM_SEED	0x746f65706c69747aULL
#define TOEPLITZ_RANDOM_ROUNDS	400

/*
 * Every input length from 1 to TOEPLITZ_INPUT_MAX, with random keys of
 * every length from 1 to TOEPLITZ_KEY_MAX: the short ones check the
 * zero extension.
 */
static void toeplitz_test_random(struct kunit *test)
{
	u8 key[TOEPLITZ_KEY_MAX], input[TOEPLITZ_INPUT_MAX];
	struct toeplitz_key *tk;
	unsigned int round, checked = 0;
	struct rnd_state rnd;
	size_t key_len, len;

	tk = kunit_kmalloc(test, sizeof(*tk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tk);
	prandom_seed_state(&rnd, TOEPLITZ_RANDOM_SEED);

	for (round = 0; round < TOEPLITZ_RANDOM_ROUNDS; round++) {
		key_len = round % TOEPLITZ_KEY_MAX + 1;
		prandom_bytes_state(&rnd, key, key_len);
		/* Garbage past the key must not leak into the hash. */
		memset(key + key_len, 0xa5, sizeof(key) - key_len);
		toeplitz_expand_key(tk, key, key_len);

		for (len = 1; len <= TOEPLITZ_INPUT_MAX; len++) {
			prandom_bytes_state(&rnd, input, len);
			KUNIT_ASSERT_EQ_MSG(test, toeplitz_hash(tk, input, len),
					    toeplitz_reference(key, key_len,
							       input, len),
					    "round %u key_len %zu len %zu",
					    round, key_len, len);
			checked++;
		}
	}
	KUNIT_EXPECT_GE(test, checked, 10000);
}

/* An all-ones input XORs every window: a check of the last key bits. */
static void toeplitz_test_full_key(struct kunit *test)
{
	u8 input[TOEPLITZ_INPUT_MAX];
	struct toeplitz_key *tk;

	tk = kunit_kmalloc(test, sizeof(*tk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tk);
	memset(input, 0xff, sizeof(input));
	toeplitz_expand_key(tk, toeplitz_ms_key, sizeof(toeplitz_ms_key));
	KUNIT_EXPECT_EQ(test, toeplitz_hash(tk, input, sizeof(input)),
			toeplitz_reference(toeplitz_ms_key,
					   sizeof(toeplitz_ms_key),
					   input, sizeof(input)));
	/* Inputs longer than TOEPLITZ_INPUT_MAX are cut, never overrun. */
	KUNIT_EXPECT_EQ(test, toeplitz_hash(tk, input, SIZE_MAX),
			toeplitz_hash(tk, input, sizeof(input)));
}

/*
 * The alternatives the benchmark measures the fast path against: a table
 * per input byte (8x the memory of the per-nibble tables), and the loop
 * over the set input bits of DPDK's rte_softrss_be(), which earlier tun
 * hashing patches used, on a key converted to host-order words.
 */
struct toeplitz_byte_key {
	u32 byte[TOEPLITZ_INPUT_MAX][256];
};

static void toeplitz_expand_byte_key(struct toeplitz_byte_key *bk,
				     const struct toeplitz_key *tk)
{
	unsigned int i, value;

	for (i = 0; i < TOEPLITZ_INPUT_MAX; i++)
		for (value = 0; value < 256; value++)
			bk->byte[i][value] = tk->nibble[2 * i][value >> 4] ^
					     tk->nibble[2 * i + 1][value & 0xf];
}

static u32 toeplitz_byte_hash(const struct toeplitz_byte_key *bk,
			      const u8 *data, size_t len)
{
	u32 hash = 0;
	size_t i;

	for (i = 0; i < len; i++)
		hash ^= bk->byte[i][data[i]];
	return hash;
}

static u32 toeplitz_setbit_hash(const u32 *key_words, const u32 *input_words,
				size_t words)
{
	u32 hash = 0, map;
	unsigned int bit;
	size_t j;

	for (j = 0; j < words; j++) {
		for (map = input_words[j]; map; map &= map - 1) {
			bit = __ffs(map);
			hash ^= key_words[j] << (31 - bit) |
				(u32)((u64)key_words[j + 1] >> (bit + 1));
		}
	}
	return hash;
}

#define TOEPLITZ_BENCH_INPUTS	256
#define TOEPLITZ_BENCH_ROUNDS	2000

struct toeplitz_bench {
	struct toeplitz_key tk;
	struct toeplitz_byte_key bk;
	u32 key_words[TOEPLITZ_KEY_MAX / 4];
	u8 input[TOEPLITZ_BENCH_INPUTS][TOEPLITZ_INPUT_MAX];
	u32 input_words[TOEPLITZ_BENCH_INPUTS][TOEPLITZ_INPUT_MAX / 4];
};

enum toeplitz_bench_algo {
	TOEPLITZ_NIBBLE,
	TOEPLITZ_BYTE,
	TOEPLITZ_SETBIT,
	TOEPLITZ_BITSERIAL,
};

static const char * const toeplitz_bench_names[] = {
	[TOEPLITZ_NIBBLE] = "nibble tables (toeplitz_hash)",
	[TOEPLITZ_BYTE] = "byte tables",
	[TOEPLITZ_SETBIT] = "set-bit loop (rte_softrss_be)",
	[TOEPLITZ_BITSERIAL] = "bit-serial reference",
};

static u32 toeplitz_bench_one(const struct toeplitz_bench *b,
			      enum toeplitz_bench_algo algo, unsigned int i,
			      size_t len)
{
	switch (algo) {
	case TOEPLITZ_NIBBLE:
		return toeplitz_hash(&b->tk, b->input[i], len);
	case TOEPLITZ_BYTE:
		return toeplitz_byte_hash(&b->bk, b->input[i], len);
	case TOEPLITZ_SETBIT:
		return toeplitz_setbit_hash(b->key_words, b->input_words[i],
					    len / 4);
	case TOEPLITZ_BITSERIAL:
		return toeplitz_reference(toeplitz_ms_key,
					  sizeof(toeplitz_ms_key),
					  b->input[i], len);
	}
	return 0;
}

/* Best of a few passes over the inputs, in ns per hash (x100). */
static u64 toeplitz_bench_run(const struct toeplitz_bench *b,
			      enum toeplitz_bench_algo algo, size_t len,
			      u32 *sink)
{
	unsigned int rounds = TOEPLITZ_BENCH_ROUNDS, pass, r, i;
	u64 best = U64_MAX, start, ns;

	if (algo == TOEPLITZ_BITSERIAL)
		rounds /= 20;
	for (pass = 0; pass < 5; pass++) {
		start = ktime_get_ns();
		for (r = 0; r < rounds; r++)
			for (i = 0; i < TOEPLITZ_BENCH_INPUTS; i++)
				*sink ^= toeplitz_bench_one(b, algo, i, len);
		ns = ktime_get_ns() - start;
		best = min(best, ns);
	}
	return div64_u64(best * 100, (u64)rounds * TOEPLITZ_BENCH_INPUTS);
}

static void toeplitz_test_benchmark(struct kunit *test)
{
	static const size_t lens[] = { 12, 36 };
	enum toeplitz_bench_algo algo;
	struct toeplitz_bench *b;
	struct rnd_state rnd;
	u64 cost[4];
	unsigned int i, l, w;
	u32 sink = 0;

	if (!IS_ENABLED(CONFIG_TOEPLITZ_BENCHMARK))
		kunit_skip(test, "CONFIG_TOEPLITZ_BENCHMARK is off");

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	toeplitz_expand_key(&b->tk, toeplitz_ms_key, sizeof(toeplitz_ms_key));
	toeplitz_expand_byte_key(&b->bk, &b->tk);
	for (w = 0; w < ARRAY_SIZE(b->key_words); w++)
		b->key_words[w] = get_unaligned_be32(toeplitz_ms_key + 4 * w);
	prandom_seed_state(&rnd, TOEPLITZ_RANDOM_SEED);
	prandom_bytes_state(&rnd, b->input, sizeof(b->input));
	for (i = 0; i < TOEPLITZ_BENCH_INPUTS; i++)
		for (w = 0; w < TOEPLITZ_INPUT_MAX / 4; w++)
			b->input_words[i][w] =
				get_unaligned_be32(b->input[i] + 4 * w);

	kunit_info(test, "expanded key: nibble tables %zu bytes, byte tables %zu bytes\n",
		   sizeof(b->tk), sizeof(b->bk));
	for (l = 0; l < ARRAY_SIZE(lens); l++) {
		/* Every algorithm measured must agree with the reference. */
		for (algo = TOEPLITZ_NIBBLE; algo <= TOEPLITZ_BITSERIAL; algo++)
			KUNIT_ASSERT_EQ(test,
					toeplitz_bench_one(b, algo, 0, lens[l]),
					toeplitz_bench_one(b, TOEPLITZ_BITSERIAL,
							   0, lens[l]));
		for (algo = TOEPLITZ_NIBBLE; algo <= TOEPLITZ_BITSERIAL; algo++)
			cost[algo] = toeplitz_bench_run(b, algo, lens[l], &sink);
		for (algo = TOEPLITZ_NIBBLE; algo <= TOEPLITZ_BITSERIAL; algo++)
			kunit_info(test, "%2zu-byte input: %-30s %4llu.%02llu ns/hash, reference/this %llu.%02llux\n",
				   lens[l], toeplitz_bench_names[algo],
				   cost[algo] / 100, cost[algo] % 100,
				   div64_u64(cost[TOEPLITZ_BITSERIAL], cost[algo] ?: 1),
				   div64_u64(cost[TOEPLITZ_BITSERIAL] * 100,
					     cost[algo] ?: 1) % 100);
	}
	kunit_info(test, "sink %08x\n", sink);
}

static struct kunit_case toeplitz_test_cases[] = {
	KUNIT_CASE_PARAM(toeplitz_test_ms_vector, toeplitz_ms_gen_params),
	KUNIT_CASE(toeplitz_test_random),
	KUNIT_CASE(toeplitz_test_full_key),
	KUNIT_CASE_SLOW(toeplitz_test_benchmark),
	{}
};

static struct kunit_suite toeplitz_test_suite = {
	.name = "toeplitz",
	.test_cases = toeplitz_test_cases,
};

kunit_test_suite(toeplitz_test_suite);

MODULE_DESCRIPTION("KUnit tests and benchmark for the Toeplitz hash");
MODULE_LICENSE("GPL");
