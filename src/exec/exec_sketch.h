/* vidlake - Apache-2.0 */
/*
 * sketches (part of exec, included by exec.h): small, mergeable summaries.
 * The real-time engine keeps them per second and per slice, then merges
 * them over windows of minutes to hours; the batch engine's aggregates
 * (APPROX_DISTINCT) keep one per group.
 *
 *  - vl_hll: HyperLogLog distinct counts (unique viewers). Input is a 64-bit
 *    hash (vl_hash64 of the user id). A new sketch is SPARSE: a sorted array
 *    of 4-byte entries, one per distinct 26-bit hash prefix, from which the
 *    dense registers can be rebuilt exactly. Once the entries would take more
 *    bytes than the dense form (2^p / 4 entries) it turns DENSE: 2^p one-byte
 *    registers. It never turns back (except through reset/free).
 *  - vl_qsketch: DDSketch-style quantiles (startup time in ms). Positive
 *    values go into logarithmic buckets with relative accuracy alpha; values
 *    below VL_QSKETCH_MIN_POSITIVE (zero, negatives, subnormals) are counted
 *    apart. Counts live in one contiguous uint32 array over the occupied
 *    bucket range, at most VL_QSKETCH_MAX_BUCKETS long.
 *
 * Merging is exact for both: merge(sketch(A), sketch(B)) holds the same
 * registers / buckets as sketch(A u B), whatever the order of adds and merges
 * (so windows can be built from per-second sketches in any grouping).
 *
 * Both structs are caller-allocated (arrays of them are the engine's main
 * state): init, then add/merge, then reset to reuse or free to release. Fields
 * are private; read them through the functions. A sketch is not thread-safe:
 * one writer at a time, and no reader while it is written.
 *
 * Deliberately not here: serialisation, weighted HLL, deletion, negative
 * values in the quantile sketch (they count as zero; see vl_qsketch_add).
 */
#ifndef VL_EXEC_SKETCH_H
#define VL_EXEC_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* ============================================================ HyperLogLog */

#define VL_HLL_P_MIN 4
#define VL_HLL_P_MAX 18
/* 2^14 registers: 16 KiB dense, standard error 1.04 / 128 = 0.81%. */
#define VL_HLL_P_DEFAULT 14

/*
 * Accuracy:
 *  - dense: Ertl's improved raw estimator ("New cardinality estimation
 *    algorithms for HyperLogLog sketches", 2017), nearly unbiased over the
 *    whole range; relative standard error 1.04 / sqrt(2^p) (p = 14: 0.81%,
 *    so 99.7% of estimates fall within +-2.4%).
 *  - sparse (up to 2^p / 4 distinct hash prefixes, 4096 at p = 14): linear
 *    counting over 2^26 buckets, relative standard error about
 *    1 / sqrt(2^27) = 0.009%; in practice exact up to a few thousand.
 * Distinct 64-bit hashes are assumed to be distinct values: with n values,
 * hash collisions cost about n^2 / 2^65 of the count (nothing below 10^8).
 */
typedef struct vl_hll {
    uint8_t p;     /* precision: 2^p dense registers */
    bool dense;    /* false: sparse entries; true: 2^p registers */
    uint32_t n;    /* sparse: entries in use */
    uint32_t cap;  /* sparse: entries allocated */
    union {
        uint32_t *sparse; /* sorted (prefix << 6 | rank) entries, or NULL */
        uint8_t *regs;    /* 2^p registers, one byte each */
    };
} vl_hll;

/**
 * @brief Initialises an empty (sparse) sketch. Allocates nothing.
 * @param p precision VL_HLL_P_MIN..VL_HLL_P_MAX, or 0 for VL_HLL_P_DEFAULT.
 * @return VL_OK; VL_EINVAL for another p (h is then left empty at the
 *         default precision, so freeing it is still safe).
 */
int vl_hll_init(vl_hll *h, int p, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Adds one value, given as a well-mixed 64-bit hash (vl_hash64).
 * Dense: a few ns, no allocation. Sparse: a binary search and an insert into
 * an array of at most 2^p / 4 entries; may allocate, or turn dense.
 * @return VL_OK; VL_ENOMEM (the sketch is unchanged and still usable).
 */
int vl_hll_add(vl_hll *h, uint64_t hash, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Merges src into dst: dst becomes the sketch of the union.
 * src is only read; dst == src is allowed (no change).
 * @return VL_OK; VL_EINVAL when the precisions differ; VL_ENOMEM. On error
 *         dst is unchanged.
 */
int vl_hll_merge(vl_hll *dst, const vl_hll *src, vl_error *err) VL_MUST_CHECK;

/** @return the estimated number of distinct hashes added (0 when empty).
 *  Dense: O(2^p) (a register histogram, ~10 us at p = 14); sparse: O(1). */
uint64_t vl_hll_estimate(const vl_hll *h);

/** @brief Empties the sketch. Dense registers are freed (the sketch is
 *  sparse again); a sparse array is kept for reuse. Precision unchanged. */
void vl_hll_reset(vl_hll *h);

/** @brief Releases all memory; accepts NULL. The sketch is left empty and
 *  usable at the same precision. */
void vl_hll_free(vl_hll *h);

/** @return bytes used: the struct plus its heap block (sparse: 4 per
 *  allocated entry; dense: 2^p). */
size_t vl_hll_bytes(const vl_hll *h);

/** @return the precision p. */
static inline int vl_hll_precision(const vl_hll *h) { return h->p; }

/** @return true while the sketch is in the sparse form. */
static inline bool vl_hll_is_sparse(const vl_hll *h) { return !h->dense; }

/** @brief Writes the 2^p dense register values (0..65-p) to out, which the
 *  caller provides (2^p bytes). Works on sparse sketches too. */
void vl_hll_registers(const vl_hll *h, uint8_t *out);

/** @return true when a and b have the same precision and the same dense
 *  registers; when both are sparse, the same entries (a stronger test). */
bool vl_hll_equal(const vl_hll *a, const vl_hll *b);

/* ======================================================= quantile sketch */

/* Default relative accuracy: reported quantiles within +-1% of a true value. */
#define VL_QSKETCH_ALPHA_DEFAULT 0.01
#define VL_QSKETCH_ALPHA_MIN 1e-4
#define VL_QSKETCH_ALPHA_MAX 0.5
/* Values below this (0, negatives, subnormals) go to the zero count. It is
 * DBL_MIN, the smallest normal double: indexing reads the exponent bits. */
#define VL_QSKETCH_MIN_POSITIVE 2.2250738585072014e-308
/*
 * At most this many buckets (8 KiB of counts). They span a ratio of about
 * exp(4056 alpha) between the smallest and the largest value: 4e17 at
 * alpha = 0.01 (startup times span ~10^7, so the cap only bites on
 * pathological input), 6e8 at 0.005, 3300 at 0.002, 57 at 0.001. The
 * array is sized to 1.5 times the occupied span (typical startup times at
 * alpha = 0.01: ~300 buckets, ~1.3 KiB). When a new value
 * would widen the range past the cap, the LOWEST buckets are collapsed into
 * the lowest one kept: quantiles whose rank falls there are overestimated
 * (reported as that bucket's value), the upper quantiles keep alpha. The
 * result does not depend on the order of adds and merges.
 */
#define VL_QSKETCH_MAX_BUCKETS 2048

/*
 * Rank convention: vl_qsketch_quantile(s, q) estimates the LOWER quantile,
 * the value of 0-based rank r = floor(q * (n - 1)) (computed in double) in
 * the sorted input; q = 0 is the minimum and q = 1 the maximum, both exact.
 * Guarantee: for a value v > 0 at that rank (and no collapsed buckets below
 * it), the result x has |x - v| <= alpha * v. Ranks that fall on the zero
 * count give 0 (clamped into [min, max]).
 */
typedef struct vl_qsketch {
    double alpha;   /* relative accuracy */
    double mult;    /* bucket index = ceil(log2-like(v) * mult) */
    uint32_t *c;    /* counts of buckets base .. base + cap - 1, or NULL */
    int32_t base;   /* bucket index of c[0] */
    uint32_t cap;   /* allocated buckets, <= VL_QSKETCH_MAX_BUCKETS */
    uint64_t n;     /* values added, zero count included */
    uint64_t zero;  /* values below VL_QSKETCH_MIN_POSITIVE */
    double min, max; /* exact extremes of the values added (if n > 0) */
} vl_qsketch;

/**
 * @brief Initialises an empty sketch. Allocates nothing.
 * @param alpha relative accuracy in [VL_QSKETCH_ALPHA_MIN,
 *        VL_QSKETCH_ALPHA_MAX], or 0 for VL_QSKETCH_ALPHA_DEFAULT (0.01).
 * @return VL_OK; VL_EINVAL for another alpha (s is then initialised with
 *         the default, so freeing it is still safe).
 */
int vl_qsketch_init(vl_qsketch *s, double alpha, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Adds one value (any unit; the engine uses milliseconds). Values
 * below VL_QSKETCH_MIN_POSITIVE, including 0 and negatives, are counted as
 * 0. Steady state: a few ns, no allocation; a value outside the allocated
 * bucket range grows the array (amortised) or collapses low buckets.
 * @return VL_OK; VL_EINVAL for NaN or an infinity; VL_ENOMEM. On error the
 *         sketch is unchanged.
 * @note A bucket count saturates at UINT32_MAX (4.3e9 values within one
 *       2*alpha wide bucket); vl_qsketch_count stays exact.
 */
int vl_qsketch_add(vl_qsketch *s, double v, vl_error *err) VL_MUST_CHECK;

/** @brief Adds value v with weight (multiplicity) w; w = 0 does nothing.
 *  Errors as vl_qsketch_add. */
int vl_qsketch_add_n(vl_qsketch *s, double v, uint64_t w, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Merges src into dst: dst becomes the sketch of both inputs, bucket
 * for bucket the same as one sketch fed all the values. src is only read;
 * dst == src is VL_EINVAL (it would double-count).
 * @return VL_OK; VL_EINVAL when the alphas differ or dst == src; VL_ENOMEM.
 *         On error dst is unchanged.
 */
int vl_qsketch_merge(vl_qsketch *dst, const vl_qsketch *src, vl_error *err) VL_MUST_CHECK;

/**
 * @brief The estimated lower q-quantile (see the rank convention above).
 * O(buckets). @return the estimate, or NaN when the sketch is empty or q is
 * not in [0, 1].
 */
double vl_qsketch_quantile(const vl_qsketch *s, double q);

/** @return the number of values added (weights summed), zeros included. */
static inline uint64_t vl_qsketch_count(const vl_qsketch *s) { return s->n; }

/** @brief Empties the sketch but keeps its bucket array for reuse. */
void vl_qsketch_reset(vl_qsketch *s);

/** @brief Releases all memory; accepts NULL. The sketch is left empty and
 *  usable with the same alpha. */
void vl_qsketch_free(vl_qsketch *s);

/** @return bytes used: the struct plus 4 per allocated bucket. */
size_t vl_qsketch_bytes(const vl_qsketch *s);

/** @return true when a and b have the same alpha, count, zero count,
 *  extremes and non-zero buckets (allocation layout is ignored). */
bool vl_qsketch_equal(const vl_qsketch *a, const vl_qsketch *b);

#endif /* VL_EXEC_SKETCH_H */
