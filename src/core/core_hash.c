/* vidlake - Apache-2.0 */
/*
 * Hashing and random numbers.
 *
 * vl_hash64 folds 8-byte words with a 64x64->128-bit multiply (the "folded
 * multiply" used by wyhash and FxHash-style hashes): one multiply per word
 * mixes every input bit into the high and low halves, and xoring the halves
 * keeps both. It is fast and well distributed, not collision-resistant
 * against adversaries; hash tables fed from the network use a random seed.
 *
 * vl_rng is xoshiro256** seeded through SplitMix64, as its authors advise
 * (prng.di.unimi.it): the same seed gives the same stream on every platform.
 */
#include "core.h"

#include <math.h>
#include <string.h>

/* Odd 64-bit constants with well-mixed bits (fractional parts of pi and e). */
#define K0 0x243f6a8885a308d3ULL
#define K1 0xb7e151628aed2a6bULL

static inline uint64_t fold_mul(uint64_t a, uint64_t b) {
    __uint128_t m = (__uint128_t)a * b;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

uint64_t vl_hash64(const void *data, size_t n, uint64_t seed) {
    const unsigned char *p = data;
    uint64_t h = seed ^ fold_mul(n ^ K0, K1);
    while (n >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        h = fold_mul(a ^ K0 ^ h, b ^ K1);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8); /* overlapping read of the tail */
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        a = x;
        b = y;
    } else if (n > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
    }
    h = fold_mul(a ^ K0 ^ h, b ^ K1);
    return vl_mix64(h);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void vl_rng_seed(vl_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL; /* SplitMix64 increment: 2^64 / golden ratio */
        r->s[i] = vl_mix64(x);
    }
}

uint64_t vl_rng_next(vl_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double vl_rng_unif(vl_rng *r) { return (double)(vl_rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t vl_rng_below(vl_rng *r, uint64_t n) {
    /* Lemire's multiply-shift with rejection of the biased low zone. */
    uint64_t x = vl_rng_next(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t t = (0 - n) % n;
        while (lo < t) {
            x = vl_rng_next(r);
            m = (__uint128_t)x * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double vl_rng_exp(vl_rng *r, double mean) {
    /* 1 - U is in (0, 1], so the log is finite */
    return -log(1.0 - vl_rng_unif(r)) * mean;
}

double vl_rng_normal(vl_rng *r) {
    double u1 = 1.0 - vl_rng_unif(r), u2 = vl_rng_unif(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---------------------------------------------------------------- u64 set */

void vl_u64set_init(vl_u64set *s) { memset(s, 0, sizeof(*s)); }

void vl_u64set_free(vl_u64set *s) {
    vl_free(s->slots);
    vl_u64set_init(s);
}

static inline size_t slot_of(uint64_t key, size_t cap) { return (size_t)vl_mix64(key) & (cap - 1); }

static int set_grow(vl_u64set *s) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    uint64_t *slots = vl_calloc(cap, sizeof(uint64_t));
    if (!slots) return VL_ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        uint64_t k = s->slots[i];
        if (!k) continue;
        size_t h = slot_of(k, cap);
        while (slots[h]) h = (h + 1) & (cap - 1);
        slots[h] = k;
    }
    vl_free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return VL_OK;
}

int vl_u64set_add(vl_u64set *s, uint64_t key) {
    if (key == 0) {
        bool added = !s->has_zero;
        s->has_zero = true;
        return added;
    }
    if ((s->n + 1) * 2 > s->cap && set_grow(s) != VL_OK) return -VL_ENOMEM;
    size_t h = slot_of(key, s->cap);
    while (s->slots[h]) {
        if (s->slots[h] == key) return 0;
        h = (h + 1) & (s->cap - 1);
    }
    s->slots[h] = key;
    s->n++;
    return 1;
}

bool vl_u64set_has(const vl_u64set *s, uint64_t key) {
    if (key == 0) return s->has_zero;
    if (!s->cap) return false;
    size_t h = slot_of(key, s->cap);
    while (s->slots[h]) {
        if (s->slots[h] == key) return true;
        h = (h + 1) & (s->cap - 1);
    }
    return false;
}
