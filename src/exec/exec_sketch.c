/* vidlake - Apache-2.0 */
/*
 * Mergeable sketches for the real-time engine: HyperLogLog (distinct counts)
 * and a DDSketch-style relative-error quantile sketch. API and accuracy are
 * in exec_sketch.h; this file explains the layouts.
 *
 * HyperLogLog. A hash h gives register index h >> (64 - p) and rank
 * 1 + (leading zeros of the other 64 - p bits), capped at 65 - p; a register
 * keeps the largest rank seen. Dense: 2^p bytes, one register each.
 * Sparse: a sorted uint32 array with one entry per distinct 26-bit prefix
 * (h >> 38), entry = prefix << 6 | rank26, where rank26 = 1 + leading zeros
 * of the remaining 38 bits (1..39, so 6 bits). An entry determines its dense
 * register exactly (the prefix holds the index and the first 26 - p bits of
 * the rest; rank26 continues the count when those are all zero), so turning
 * sparse into dense, and merging any mix of forms, gives the same registers
 * as adding the hashes densely. Sparse estimates are linear counting over
 * the 2^26 prefixes, far more precise than the dense estimator. The array
 * stops at 2^p / 4 entries, the size of the dense form: one more distinct
 * prefix turns the sketch dense. This rule depends only on the set of
 * prefixes, so merges and adds agree on the form too.
 *
 * Quantile sketch. A positive value v = (1 + s) * 2^e (s in [0, 1)) is
 * mapped to L(v) = e + P(s), where P is a cubic approximation of log2(1 + s)
 * (see below), and goes to bucket ceil(L(v) * mult). Only + and * are used,
 * so the bucket of a value is the same on every IEEE-754 machine, whatever
 * its libm (sketches built on different hosts merge exactly). Counts are a
 * contiguous uint32 array c[0..cap) for buckets base..base+cap-1; it grows
 * with slack on the side that grew, up to VL_QSKETCH_MAX_BUCKETS; beyond
 * that the lowest buckets are folded into the lowest kept one, so a value
 * of bucket i ends in bucket max(i, H - MAX + 1), H the highest bucket ever
 * occupied: independent of the order of adds and merges.
 */
#include "exec/exec_sketch.h"

#include <math.h>
#include <string.h>

/* ============================================================ HyperLogLog */

#define SPARSE_P 26 /* prefix bits of a sparse entry; > VL_HLL_P_MAX */
#define RANK_BITS 6 /* rank26 is 1..39 */
#define RANK_MASK ((1u << RANK_BITS) - 1)
#define HLL_MAX_RANK 64 /* register values are < 64 - VL_HLL_P_MIN + 2 */

static inline int clz64(uint64_t x) {
#if defined(__GNUC__)
    return __builtin_clzll(x); /* x != 0 at every call */
#else
    int n = 0;
    while (!(x & (1ULL << 63))) { x <<= 1; n++; }
    return n;
#endif
}

static inline int bitlen32(uint32_t x) {
    int n = 0;
    while (x) { x >>= 1; n++; }
    return n;
}

static inline uint32_t hll_m(const vl_hll *h) { return 1u << h->p; }

/* Sparse entries allowed: 4 bytes each, no more bytes than the dense form. */
static inline uint32_t sparse_max(const vl_hll *h) { return 1u << (h->p - 2); }

/* The sparse entry of a hash. The sentinel bit 25 caps the zero count of
 * the 38 remaining bits at 38, so rank26 <= 39. */
static inline uint32_t sparse_entry(uint64_t hash) {
    uint32_t prefix = (uint32_t)(hash >> (64 - SPARSE_P));
    int rank = clz64((hash << SPARSE_P) | (1ULL << (SPARSE_P - 1))) + 1;
    return prefix << RANK_BITS | (uint32_t)rank;
}

/* The dense register index and value that a sparse entry stands for. */
static inline void entry_reg(uint32_t e, int p, uint32_t *idx, uint8_t *rank) {
    int extra = SPARSE_P - p; /* prefix bits after the index */
    uint32_t prefix = e >> RANK_BITS;
    uint32_t w = prefix & ((1u << extra) - 1);
    *idx = prefix >> extra;
    if (w) *rank = (uint8_t)(extra - bitlen32(w) + 1);
    else *rank = (uint8_t)(extra + (int)(e & RANK_MASK));
}

/* Folds n sparse entries into dense registers (max per register). */
static void fold_entries(uint8_t *regs, int p, const uint32_t *e, uint32_t n) {
    for (uint32_t k = 0; k < n; k++) {
        uint32_t idx;
        uint8_t r;
        entry_reg(e[k], p, &idx, &r);
        if (r > regs[idx]) regs[idx] = r;
    }
}

int vl_hll_init(vl_hll *h, int p, vl_error *err) {
    memset(h, 0, sizeof(*h));
    h->p = VL_HLL_P_DEFAULT;
    if (p == 0) return VL_OK;
    if (p < VL_HLL_P_MIN || p > VL_HLL_P_MAX)
        return vl_error_set(err, VL_EINVAL, "hll: precision %d outside %d..%d", p, VL_HLL_P_MIN,
                            VL_HLL_P_MAX);
    h->p = (uint8_t)p;
    return VL_OK;
}

/* Replaces the sparse entries by dense registers. On ENOMEM h is unchanged. */
static int to_dense(vl_hll *h, vl_error *err) {
    uint8_t *regs = vl_calloc(hll_m(h), 1);
    if (!regs) return vl_error_set(err, VL_ENOMEM, "hll: %u dense registers", hll_m(h));
    fold_entries(regs, h->p, h->sparse, h->n);
    vl_free(h->sparse);
    h->regs = regs;
    h->dense = true;
    h->n = h->cap = 0;
    return VL_OK;
}

static inline void dense_add(vl_hll *h, uint64_t hash) {
    uint32_t idx = (uint32_t)(hash >> (64 - h->p));
    /* the sentinel bit p - 1 caps the rank at 65 - p */
    uint8_t r = (uint8_t)(clz64((hash << h->p) | (1ULL << (h->p - 1))) + 1);
    if (r > h->regs[idx]) h->regs[idx] = r;
}

/* The first position whose prefix is >= key's (binary search). */
static uint32_t sparse_find(const uint32_t *e, uint32_t n, uint32_t key) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((e[mid] >> RANK_BITS) < key) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Array sizes follow 4, 8, 16, ... up to sparse_max: at most twice the
 * entries in use, and an amortised O(1) number of reallocations. */
static uint32_t sparse_cap_for(const vl_hll *h, uint32_t n) {
    uint32_t cap = 4;
    while (cap < n) cap *= 2;
    return cap < sparse_max(h) ? cap : sparse_max(h);
}

static int sparse_add(vl_hll *h, uint64_t hash, vl_error *err) {
    uint32_t e = sparse_entry(hash), key = e >> RANK_BITS;
    uint32_t pos = sparse_find(h->sparse, h->n, key);
    if (pos < h->n && (h->sparse[pos] >> RANK_BITS) == key) {
        if (e > h->sparse[pos]) h->sparse[pos] = e; /* same prefix: the larger rank */
        return VL_OK;
    }
    if (h->n == sparse_max(h)) {
        VL_RETURN_IF_ERR(to_dense(h, err));
        dense_add(h, hash);
        return VL_OK;
    }
    if (h->n == h->cap) {
        uint32_t cap = sparse_cap_for(h, h->n + 1);
        uint32_t *p = vl_realloc(h->sparse, (size_t)cap * sizeof(*p));
        if (!p) return vl_error_set(err, VL_ENOMEM, "hll: %u sparse entries", cap);
        h->sparse = p;
        h->cap = cap;
    }
    memmove(h->sparse + pos + 1, h->sparse + pos, (size_t)(h->n - pos) * sizeof(uint32_t));
    h->sparse[pos] = e;
    h->n++;
    return VL_OK;
}

int vl_hll_add(vl_hll *h, uint64_t hash, vl_error *err) {
    if (VL_LIKELY(h->dense)) {
        dense_add(h, hash);
        return VL_OK;
    }
    return sparse_add(h, hash, err);
}

/* Counts the distinct prefixes of two sorted entry arrays. */
static uint32_t union_size(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb) {
    uint32_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        uint32_t ka = a[i] >> RANK_BITS, kb = b[j] >> RANK_BITS;
        i += ka <= kb;
        j += kb <= ka;
        n++;
    }
    return n + (na - i) + (nb - j);
}

/* Writes the union of two sorted entry arrays (larger rank per prefix). */
static void union_write(uint32_t *out, const uint32_t *a, uint32_t na, const uint32_t *b,
                        uint32_t nb) {
    uint32_t i = 0, j = 0;
    while (i < na && j < nb) {
        uint32_t ka = a[i] >> RANK_BITS, kb = b[j] >> RANK_BITS;
        if (ka < kb) *out++ = a[i++];
        else if (kb < ka) *out++ = b[j++];
        else {
            *out++ = a[i] > b[j] ? a[i] : b[j]; /* same prefix: compares ranks */
            i++;
            j++;
        }
    }
    while (i < na) *out++ = a[i++];
    while (j < nb) *out++ = b[j++];
}

/* dst and src both sparse. On ENOMEM dst is unchanged. */
static int sparse_merge(vl_hll *dst, const vl_hll *src, vl_error *err) {
    uint32_t n = union_size(dst->sparse, dst->n, src->sparse, src->n);
    if (n > sparse_max(dst)) {
        VL_RETURN_IF_ERR(to_dense(dst, err));
        fold_entries(dst->regs, dst->p, src->sparse, src->n);
        return VL_OK;
    }
    uint32_t cap = sparse_cap_for(dst, n);
    uint32_t *out = vl_malloc((size_t)cap * sizeof(*out));
    if (!out) return vl_error_set(err, VL_ENOMEM, "hll: %u sparse entries", cap);
    union_write(out, dst->sparse, dst->n, src->sparse, src->n);
    vl_free(dst->sparse);
    dst->sparse = out;
    dst->n = n;
    dst->cap = cap;
    return VL_OK;
}

int vl_hll_merge(vl_hll *dst, const vl_hll *src, vl_error *err) {
    if (dst->p != src->p)
        return vl_error_set(err, VL_EINVAL, "hll merge: precision %d into precision %d", src->p,
                            dst->p);
    if (dst == src || (!src->dense && src->n == 0)) return VL_OK;
    if (!src->dense) {
        if (!dst->dense) return sparse_merge(dst, src, err);
        fold_entries(dst->regs, dst->p, src->sparse, src->n);
        return VL_OK;
    }
    if (!dst->dense) VL_RETURN_IF_ERR(to_dense(dst, err));
    uint32_t m = hll_m(dst);
    for (uint32_t i = 0; i < m; i++) /* a plain loop the compiler vectorises */
        if (src->regs[i] > dst->regs[i]) dst->regs[i] = src->regs[i];
    return VL_OK;
}

/* Ertl (2017), section 4: sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), summed
 * until the terms no longer change the double; infinite at x = 1. */
static double ertl_sigma(double x) {
    if (x >= 1.0) return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

/* tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3; zero at 0 and 1. */
static double ertl_tau(double x) {
    if (x <= 0.0 || x >= 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != prev);
    return z / 3.0;
}

/* Ertl's improved raw estimator over the register histogram C[0..q+1],
 * q = 64 - p: alpha_inf m^2 / (m sigma(C0/m) + sum_k C_k 2^-k
 * + m tau(1 - C_{q+1}/m) 2^-q), alpha_inf = 1 / (2 ln 2). */
static double dense_estimate(const vl_hll *h) {
    uint32_t hist[HLL_MAX_RANK + 1] = {0};
    uint32_t m = hll_m(h);
    for (uint32_t i = 0; i < m; i++) hist[h->regs[i]]++;
    int q = 64 - h->p;
    double dm = (double)m;
    double z = dm * ertl_tau(1.0 - hist[q + 1] / dm);
    for (int k = q; k >= 1; k--) z = 0.5 * (z + hist[k]); /* Horner form of the sum */
    z += dm * ertl_sigma(hist[0] / dm);
    return dm * dm / (2.0 * log(2.0)) / z;
}

/* Linear counting over the 2^26 sparse prefixes: -M ln(1 - n / M). */
static double sparse_estimate(const vl_hll *h) {
    const double big_m = (double)(1u << SPARSE_P);
    return -big_m * log1p(-(double)h->n / big_m);
}

uint64_t vl_hll_estimate(const vl_hll *h) {
    double e = h->dense ? dense_estimate(h) : sparse_estimate(h);
    if (!(e < 1.8e19)) return UINT64_MAX; /* far beyond 64-bit hashes' range */
    return (uint64_t)(e + 0.5);
}

void vl_hll_reset(vl_hll *h) {
    if (h->dense) {
        vl_free(h->regs);
        h->regs = NULL;
        h->dense = false;
        h->cap = 0;
    }
    h->n = 0;
}

void vl_hll_free(vl_hll *h) {
    if (!h) return;
    vl_free(h->dense ? (void *)h->regs : (void *)h->sparse);
    h->sparse = NULL;
    h->dense = false;
    h->n = h->cap = 0;
}

size_t vl_hll_bytes(const vl_hll *h) {
    return sizeof(*h) + (h->dense ? (size_t)hll_m(h) : (size_t)h->cap * sizeof(uint32_t));
}

void vl_hll_registers(const vl_hll *h, uint8_t *out) {
    if (h->dense) {
        memcpy(out, h->regs, hll_m(h));
        return;
    }
    memset(out, 0, hll_m(h));
    fold_entries(out, h->p, h->sparse, h->n);
}

/* Compares sparse s with dense d register by register, without allocating:
 * s's entries are sorted by prefix, hence grouped by register. */
static bool sparse_equals_dense(const vl_hll *s, const vl_hll *d) {
    uint32_t m = hll_m(s), k = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint8_t v = 0;
        for (; k < s->n; k++) {
            uint32_t idx;
            uint8_t r;
            entry_reg(s->sparse[k], s->p, &idx, &r);
            if (idx != i) break;
            if (r > v) v = r;
        }
        if (v != d->regs[i]) return false;
    }
    return true;
}

bool vl_hll_equal(const vl_hll *a, const vl_hll *b) {
    if (a->p != b->p) return false;
    if (a->dense && b->dense) return memcmp(a->regs, b->regs, hll_m(a)) == 0;
    if (!a->dense && !b->dense)
        return a->n == b->n && (a->n == 0 || memcmp(a->sparse, b->sparse, a->n * 4u) == 0);
    return a->dense ? sparse_equals_dense(b, a) : sparse_equals_dense(a, b);
}

/* ======================================================= quantile sketch */

/*
 * The mapping. P(s) = A s^3 + B s^2 + C s with A = 6/35, B = -3/5, C = 10/7
 * has P(0) = 0, P(1) = 1 (so L is continuous across powers of two) and
 *   dL/d(ln v) = (1 + s) P'(s) = 10/7 + (2 s / 35) (3 s - 2)^2 >= 10/7,
 * so L rises by at least 10/7 per unit of ln v. A bucket spans 1/mult of L,
 * hence at most 7 / (10 mult) of ln v; mult = 7 / (10 ln gamma), gamma =
 * (1 + alpha) / (1 - alpha), makes every bucket's hi / lo <= gamma, and
 * its representative 2 lo hi / (lo + hi) is then within alpha of anything
 * in the bucket. These coefficients maximise the minimum slope among such
 * cubics; it is 1% below that of log2 itself (1 / ln 2), so 1% more
 * buckets than exact logarithms need, for a mapping without libm.
 * MULT_MARGIN widens mult by 1e-7 so that rounding in L cannot push a bucket
 * past gamma (rounding moves boundaries by ~1e-12 of a bucket).
 */
#define CUBIC_A (6.0 / 35.0)
#define CUBIC_B (-3.0 / 5.0)
#define CUBIC_C (10.0 / 7.0)
#define MULT_MARGIN (1.0 + 1e-7)
#define QS_MAX VL_QSKETCH_MAX_BUCKETS
#define QS_FIRST_CAP 32 /* buckets allocated for the first value */

static inline double cubic(double s) { return ((CUBIC_A * s + CUBIC_B) * s + CUBIC_C) * s; }

/* L(v) for a normal, positive, finite v: read the exponent and mantissa bits. */
static inline double approx_log2(double v) {
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    int e = (int)(b >> 52) - 1023; /* the sign bit is 0 */
    double s = (double)(b & ((1ULL << 52) - 1)) * (1.0 / 4503599627370496.0); /* 2^-52 */
    return (double)e + cubic(s);
}

/* The bucket of v: ceil(L(v) * mult); |L * mult| < 1025 * 3500 fits int32. */
static inline int32_t bucket_of(const vl_qsketch *s, double v) {
    double x = approx_log2(v) * s->mult;
    int32_t i = (int32_t)x; /* truncates toward zero */
    return i + ((double)i < x);
}

/* The s in [0, 1] with P(s) = t. P is increasing and concave on [0, 1], so
 * Newton's method from 0 climbs monotonically to the root; stop when
 * rounding stops the climb (about 6 steps). */
static double cubic_inverse(double t) {
    double u = 0.0;
    for (int k = 0; k < 100; k++) {
        double next = u - (cubic(u) - t) / ((3.0 * CUBIC_A * u + 2.0 * CUBIC_B) * u + CUBIC_C);
        if (!(next > u)) break;
        u = next;
    }
    return u;
}

/* The upper bound of bucket i as (1 + u) * 2^e, kept apart so that bounds
 * beyond DBL_MAX do not overflow. */
static void bucket_bound(const vl_qsketch *s, int32_t i, double *mant, int *e) {
    double l = (double)i / s->mult;
    double fl = floor(l);
    *mant = 1.0 + cubic_inverse(l - fl);
    *e = (int)fl;
}

/* The value reported for bucket i: 2 lo hi / (lo + hi), equally far (in
 * relative terms) from both bounds. */
static double bucket_value(const vl_qsketch *s, int32_t i) {
    double ml, mh;
    int el, eh;
    bucket_bound(s, i - 1, &ml, &el);
    bucket_bound(s, i, &mh, &eh);
    mh = ldexp(mh, eh - el); /* eh - el is 0..2 */
    return ldexp(2.0 * ml * mh / (ml + mh), el);
}

static inline void bump32(uint32_t *c, uint64_t w) {
    *c = w >= (uint64_t)(UINT32_MAX - *c) ? UINT32_MAX : *c + (uint32_t)w;
}

static inline uint64_t sat_add64(uint64_t a, uint64_t b) {
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

int vl_qsketch_init(vl_qsketch *s, double alpha, vl_error *err) {
    memset(s, 0, sizeof(*s));
    int rc = VL_OK;
    if (alpha == 0.0) {
        alpha = VL_QSKETCH_ALPHA_DEFAULT;
    } else if (!(alpha >= VL_QSKETCH_ALPHA_MIN && alpha <= VL_QSKETCH_ALPHA_MAX)) {
        rc = vl_error_set(err, VL_EINVAL, "qsketch: alpha %g outside [%g, %g]", alpha,
                          VL_QSKETCH_ALPHA_MIN, VL_QSKETCH_ALPHA_MAX);
        alpha = VL_QSKETCH_ALPHA_DEFAULT;
    }
    s->alpha = alpha;
    s->mult = 7.0 / (10.0 * (log1p(alpha) - log1p(-alpha))) * MULT_MARGIN;
    s->min = s->max = NAN;
    return rc;
}

/* The first and last non-zero bucket; false when there is none. */
static bool occupied(const vl_qsketch *s, int32_t *lo, int32_t *hi) {
    uint32_t a = 0, b = s->cap;
    while (a < b && s->c[a] == 0) a++;
    if (a == b) return false;
    while (s->c[b - 1] == 0) b--;
    *lo = s->base + (int32_t)a;
    *hi = s->base + (int32_t)b - 1;
    return true;
}

/*
 * Moves the occupied buckets olo..ohi of array `from` (first bucket
 * from_base) into array `to` (to_base, to_cap buckets; may be `from`
 * itself), folding those below nlo into nlo, and zeroes the rest of `to`.
 * The caller guarantees that nlo..ohi fits in `to`.
 */
static void relocate(const uint32_t *from, int32_t from_base, uint32_t *to, int32_t to_base,
                     uint32_t to_cap, int32_t olo, int32_t ohi, int32_t nlo) {
    uint64_t folded = 0; /* at most 2048 uint32: no overflow */
    int32_t a = olo;
    for (; a <= ohi && a < nlo; a++) folded += from[a - from_base];
    if (a > ohi) {
        memset(to, 0, (size_t)to_cap * sizeof(*to));
    } else {
        size_t lo = (size_t)(a - to_base), hi = (size_t)(ohi - to_base) + 1;
        memmove(to + lo, from + (a - from_base), (hi - lo) * sizeof(*to));
        memset(to, 0, lo * sizeof(*to));
        memset(to + hi, 0, (to_cap - hi) * sizeof(*to));
    }
    bump32(&to[nlo - to_base], folded);
}

/*
 * Makes the array cover buckets lo..hi as well as the occupied ones,
 * folding the lowest into *floor_out if the span would pass QS_MAX: a
 * bucket i then belongs at max(i, *floor_out). A new array is 1.5 times the
 * span, the slack on the side that grew (both: split), so each side needs
 * the span to grow by a quarter or more before the next move: O(log span)
 * moves. An array that is big enough but misplaced is shifted in place, so
 * a sketch at QS_MAX never allocates again. On ENOMEM it is unchanged.
 */
static int ensure_range(vl_qsketch *s, int32_t lo, int32_t hi, int32_t *floor_out,
                        vl_error *err) {
    int32_t olo = 0, ohi = -1;
    bool any = s->cap && occupied(s, &olo, &ohi);
    int64_t nlo = any && olo < lo ? olo : lo, nhi = any && ohi > hi ? ohi : hi;
    if (nhi - nlo + 1 > QS_MAX) nlo = nhi - QS_MAX + 1;
    *floor_out = (int32_t)nlo;
    if (s->cap && nlo >= s->base && nhi < (int64_t)s->base + s->cap) return VL_OK;

    uint64_t width = (uint64_t)(nhi - nlo + 1);
    uint64_t cap = (width + width / 2 + 15) & ~(uint64_t)15; /* 50% slack, 64-byte steps */
    if (cap < s->cap) cap = s->cap; /* never shrink: re-centre in place instead */
    if (cap < QS_FIRST_CAP) cap = QS_FIRST_CAP;
    if (cap > QS_MAX) cap = QS_MAX;
    uint64_t slack = cap - width;
    bool up = any && nhi > ohi, down = any && nlo < olo;
    int64_t below = up && !down ? 0 : down && !up ? (int64_t)slack : (int64_t)slack / 2;
    int32_t base = (int32_t)(nlo - below);

    uint32_t *c = s->c;
    if (cap != s->cap) {
        c = vl_malloc((size_t)cap * sizeof(*c));
        if (!c) return vl_error_set(err, VL_ENOMEM, "qsketch: %u buckets", (unsigned)cap);
    }
    if (any) relocate(s->c, s->base, c, base, (uint32_t)cap, olo, ohi, (int32_t)nlo);
    else memset(c, 0, (size_t)cap * sizeof(*c));
    if (c != s->c) vl_free(s->c);
    s->c = c;
    s->base = base;
    s->cap = (uint32_t)cap;
    return VL_OK;
}

/* Bucket i is outside the array: collapse or grow. */
static int add_slow(vl_qsketch *s, int32_t i, uint64_t w, vl_error *err) {
    if (s->cap == QS_MAX && i < s->base && s->c[QS_MAX - 1] != 0) {
        bump32(&s->c[0], w); /* the top is occupied: c[0] is the collapse bucket */
        return VL_OK;
    }
    int32_t fl;
    VL_RETURN_IF_ERR(ensure_range(s, i, i, &fl, err));
    bump32(&s->c[(i < fl ? fl : i) - s->base], w);
    return VL_OK;
}

static inline void note_extremes(vl_qsketch *s, double v) {
    if (s->n == 0 || v < s->min) s->min = v;
    if (s->n == 0 || v > s->max) s->max = v;
}

static inline int qs_add(vl_qsketch *s, double v, uint64_t w, vl_error *err) {
    if (VL_UNLIKELY(!isfinite(v)))
        return vl_error_set(err, VL_EINVAL, "qsketch: cannot add %g", v);
    if (v < VL_QSKETCH_MIN_POSITIVE) {
        s->zero = sat_add64(s->zero, w);
    } else {
        int32_t i = bucket_of(s, v);
        uint64_t off = (uint64_t)((int64_t)i - s->base);
        if (VL_LIKELY(off < s->cap)) bump32(&s->c[off], w);
        else VL_RETURN_IF_ERR(add_slow(s, i, w, err));
    }
    note_extremes(s, v);
    s->n = sat_add64(s->n, w);
    return VL_OK;
}

int vl_qsketch_add(vl_qsketch *s, double v, vl_error *err) { return qs_add(s, v, 1, err); }

int vl_qsketch_add_n(vl_qsketch *s, double v, uint64_t w, vl_error *err) {
    if (w == 0) return VL_OK;
    return qs_add(s, v, w, err);
}

int vl_qsketch_merge(vl_qsketch *dst, const vl_qsketch *src, vl_error *err) {
    if (dst == src) return vl_error_set(err, VL_EINVAL, "qsketch merge: a sketch into itself");
    if (dst->alpha != src->alpha)
        return vl_error_set(err, VL_EINVAL, "qsketch merge: alpha %g into alpha %g", src->alpha,
                            dst->alpha);
    if (src->n == 0) return VL_OK;
    int32_t slo, shi, fl;
    if (src->cap && occupied(src, &slo, &shi)) {
        VL_RETURN_IF_ERR(ensure_range(dst, slo, shi, &fl, err));
        for (int32_t j = slo; j <= shi; j++) {
            uint32_t v = src->c[j - src->base];
            if (v) bump32(&dst->c[(j < fl ? fl : j) - dst->base], v);
        }
    }
    dst->zero = sat_add64(dst->zero, src->zero);
    if (dst->n == 0 || src->min < dst->min) dst->min = src->min;
    if (dst->n == 0 || src->max > dst->max) dst->max = src->max;
    dst->n = sat_add64(dst->n, src->n);
    return VL_OK;
}

static inline double clamp(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

double vl_qsketch_quantile(const vl_qsketch *s, double q) {
    if (s->n == 0 || !(q >= 0.0 && q <= 1.0)) return NAN;
    double last = (double)(s->n - 1);
    double x = floor(q * last);
    uint64_t r = x >= last ? s->n - 1 : (uint64_t)x;
    if (r == 0) return s->min;
    if (r == s->n - 1) return s->max;
    if (r < s->zero) return clamp(0.0, s->min, s->max);
    uint64_t cum = s->zero;
    for (uint32_t j = 0; j < s->cap; j++) {
        cum += s->c[j];
        if (cum > r) return clamp(bucket_value(s, s->base + (int32_t)j), s->min, s->max);
    }
    return s->max; /* only when saturated buckets hold less than n */
}

void vl_qsketch_reset(vl_qsketch *s) {
    if (s->cap) memset(s->c, 0, (size_t)s->cap * sizeof(*s->c));
    s->n = s->zero = 0;
    s->min = s->max = NAN;
}

void vl_qsketch_free(vl_qsketch *s) {
    if (!s) return;
    vl_free(s->c);
    s->c = NULL;
    s->cap = 0;
    s->base = 0;
    vl_qsketch_reset(s);
}

size_t vl_qsketch_bytes(const vl_qsketch *s) {
    return sizeof(*s) + (size_t)s->cap * sizeof(*s->c);
}

static inline uint32_t count_at(const vl_qsketch *s, int64_t i) {
    uint64_t off = (uint64_t)(i - s->base);
    return off < s->cap ? s->c[off] : 0;
}

bool vl_qsketch_equal(const vl_qsketch *a, const vl_qsketch *b) {
    if (a->alpha != b->alpha || a->n != b->n || a->zero != b->zero) return false;
    if (a->n && (a->min != b->min || a->max != b->max)) return false;
    int64_t lo = a->base < b->base ? a->base : b->base;
    int64_t hi = (int64_t)a->base + a->cap > (int64_t)b->base + b->cap
                     ? (int64_t)a->base + a->cap
                     : (int64_t)b->base + b->cap;
    for (int64_t i = lo; i < hi; i++)
        if (count_at(a, i) != count_at(b, i)) return false;
    return true;
}
