/* vidlake - Apache-2.0 */
/*
 * exec_sort: ordering a materialized table (vl_x_table_sort) and keeping
 * its first k rows (top-k).
 *
 * Order: keys in turn, each ascending or descending; a null sorts after
 * every value in either direction (and ties with another null); non-null
 * values compare as vl_x__cell_cmp says (int64 signed, strings as unsigned
 * bytes, NaN greater than every double and equal to any NaN, -0 == 0).
 * Rows that tie on every key keep their order: the sort is stable.
 *
 * How: first a permutation (perm[j].i = the row that goes to position j),
 * then every column is gathered through it.
 *
 * Full sort: a most-significant-key-first radix sort of (image, row) pairs.
 * A key's image is an unsigned 64-bit number whose order agrees with the
 * key's: exact for int64 and double keys, and for strings 7 bytes from
 * offset `off` and the length left (capped at 8), exact when both strings
 * end within those 7 bytes. On one key level the rows are split into the
 * non-null ones (stable), then the nulls; the non-null ones are sorted by
 * (image, row index) with an LSD radix sort of 11-bit digits (passes whose
 * digit is the same everywhere are skipped; small ranges use a merge sort
 * of pairs); each run of equal images is then sorted by the next key (or
 * by the next 7 bytes of the same string), the nulls likewise. The rows of
 * a run are always in index order, which is what makes the sort stable.
 * A run of strings still equal after STR_MAX_OFF bytes goes to a merge sort
 * of row indices with a full comparator (bounding the recursion).
 *
 * Top k with k well below the row count: a max-heap of the best k rows seen
 * so far, compared by image (one numeric key) or by the comparator; most
 * rows cost one comparison with the top. Heap-sorted at the end.
 *
 * Failure: every allocation happens before any work, so ENOMEM leaves the
 * table as it was. The columns keep their arrays (and t->cap): the gathered
 * values are copied back into them. Strings are vl_sv pointing into the
 * table's arena, so moving the views moves the strings.
 */
#include "exec_int.h"

#include <math.h>
#include <string.h>

/* Top k uses the heap when k < n / TOPK_RATIO: then most of the n rows are
 * one comparison with the heap's top, where a full sort spends 6 radix
 * passes or log2(n) comparisons on each. */
#define TOPK_RATIO 8

/* Radix sort: 11-bit digits, 6 passes for 64 bits (the last digit has 9
 * bits); 2048 counters per pass stay in L1/L2. */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_MASK (RADIX_SIZE - 1)
#define RADIX_PASSES 6

/* Below this many pairs a merge sort beats clearing and summing 6 x 2048
 * counters (about 12k operations before the first pair moves). */
#define RADIX_MIN 2048

/* Merge sorts insertion-sort runs of this many entries first. */
#define MERGE_RUN 24

/* A string key's image covers 7 bytes; after this many bytes of equal
 * prefixes the run goes to the comparator (recursion depth <= 9 per key). */
#define STR_IMAGE_BYTES 7
#define STR_MAX_OFF (8 * STR_IMAGE_BYTES)

typedef struct sort_pair {
    uint64_t k; /* image of the key being sorted on */
    size_t i;   /* row index */
} sort_pair;

/* sort_level's comparator fallback uses the pair scratch as 2 index arrays. */
_Static_assert(sizeof(sort_pair) >= 2 * sizeof(size_t), "a pair holds two row indices");

typedef struct sort_col {
    const vl_x_vec *v;
    bool desc;
} sort_col;

/* ================================================================= images */

/*
 * An unsigned image of a non-null cell whose order agrees with the cell's
 * (reversed for desc): int64 with the sign bit flipped; a double's bits with
 * negatives inverted and positives' sign bit set, -0 as +0 and every NaN as
 * UINT64_MAX (no other double maps there: +inf is 0xfff0000000000000); a
 * string's bytes [off, off + 7) big-endian, zero-padded, then the number of
 * bytes left from off capped at 8 in the low byte. If two images differ the
 * strings (equal before off) differ the same way; if they are equal and the
 * low byte is below 8 the strings are equal.
 */
static inline uint64_t key_image(const vl_x_vec *v, size_t row, size_t off, bool desc) {
    uint64_t u;
    switch (v->type) {
    case VL_X_I64:
        u = (uint64_t)v->v.i64[row] ^ (UINT64_C(1) << 63);
        break;
    case VL_X_F64: {
        double d = v->v.f64[row];
        if (isnan(d)) {
            u = UINT64_MAX;
        } else {
            if (d == 0) d = 0; /* -0 sorts as 0 */
            memcpy(&u, &d, 8);
            u = (u >> 63) ? ~u : u ^ (UINT64_C(1) << 63);
        }
        break;
    }
    default: {
        vl_sv s = v->v.str[row];
        size_t left = s.n > off ? s.n - off : 0;
        size_t take = left < STR_IMAGE_BYTES ? left : STR_IMAGE_BYTES;
        u = left < 8 ? left : 8;
        for (size_t b = 0; b < take; b++) u |= (uint64_t)(uint8_t)s.p[off + b] << (56 - 8 * b);
        break;
    }
    }
    return desc ? ~u : u;
}

/* Whether equal images (of a run) mean equal cells. */
static inline bool image_exact(const sort_col *kc, uint64_t k) {
    if (kc->v->type != VL_X_STR) return true;
    uint64_t raw = kc->desc ? ~k : k;
    return (raw & 0xff) < 8;
}

/* ==================================================== sorting (k, i) pairs */

static inline bool pair_lt(sort_pair a, sort_pair b) { return a.k < b.k || (a.k == b.k && a.i < b.i); }

static void pair_insertion_sort(sort_pair *a, size_t m) {
    for (size_t i = 1; i < m; i++) {
        sort_pair x = a[i];
        size_t j = i;
        for (; j > 0 && pair_lt(x, a[j - 1]); j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

static sort_pair *pair_merge_sort(sort_pair *a, sort_pair *tmp, size_t m) {
    for (size_t lo = 0; lo < m; lo += MERGE_RUN) pair_insertion_sort(a + lo, m - lo < MERGE_RUN ? m - lo : MERGE_RUN);
    sort_pair *src = a, *dst = tmp;
    for (size_t w = MERGE_RUN; w < m; w *= 2) {
        for (size_t lo = 0; lo < m; lo += 2 * w) {
            size_t mid = lo + w < m ? lo + w : m, hi = mid + w < m ? mid + w : m;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) dst[o++] = pair_lt(src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[o++] = src[i++];
            while (j < hi) dst[o++] = src[j++];
        }
        sort_pair *s = src;
        src = dst;
        dst = s;
    }
    return src;
}

/*
 * Sorts a[0..m) by (k, i) with tmp (m pairs) and counts (RADIX_PASSES *
 * RADIX_SIZE); returns whichever of a and tmp holds the result. a must be
 * in ascending i on entry: LSD radix is stable, so equal keys stay so.
 */
static sort_pair *pair_sort(sort_pair *a, sort_pair *tmp, size_t m, size_t *counts) {
    if (m <= MERGE_RUN) {
        pair_insertion_sort(a, m);
        return a;
    }
    if (m < RADIX_MIN) return pair_merge_sort(a, tmp, m);
    memset(counts, 0, sizeof(size_t) * RADIX_PASSES * RADIX_SIZE);
    for (size_t i = 0; i < m; i++) {
        uint64_t k = a[i].k;
        for (int p = 0; p < RADIX_PASSES; p++) counts[p * RADIX_SIZE + ((k >> (p * RADIX_BITS)) & RADIX_MASK)]++;
    }
    sort_pair *src = a, *dst = tmp;
    for (int p = 0; p < RADIX_PASSES; p++) {
        size_t *c = counts + (size_t)p * RADIX_SIZE;
        int shift = p * RADIX_BITS;
        if (c[(src[0].k >> shift) & RADIX_MASK] == m) continue; /* one digit everywhere: order unchanged */
        size_t sum = 0;
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            size_t x = c[d];
            c[d] = sum;
            sum += x;
        }
        for (size_t i = 0; i < m; i++) dst[c[(src[i].k >> shift) & RADIX_MASK]++] = src[i];
        sort_pair *s = src;
        src = dst;
        dst = s;
    }
    return src;
}

/* ======================================================= the comparator */

/* Rows a and b by the keys, then by index: a total order. */
static inline int row_cmp(const sort_col *ks, uint32_t nk, size_t a, size_t b) {
    for (uint32_t i = 0; i < nk; i++) {
        const vl_x_vec *v = ks[i].v;
        bool na = v->valid && !v->valid[a], nb = v->valid && !v->valid[b];
        if (na || nb) {
            if (na && nb) continue;
            return na ? 1 : -1; /* nulls last, whatever the direction */
        }
        int c;
        if (v->type == VL_X_I64) {
            int64_t x = v->v.i64[a], y = v->v.i64[b];
            c = (x > y) - (x < y);
        } else {
            c = vl_x__cell_cmp(v, a, v, b);
        }
        if (c) return ks[i].desc ? -c : c;
    }
    return (a > b) - (a < b);
}

static void idx_insertion_sort(size_t *a, size_t m, const sort_col *ks, uint32_t nk) {
    for (size_t i = 1; i < m; i++) {
        size_t x = a[i], j = i;
        for (; j > 0 && row_cmp(ks, nk, x, a[j - 1]) < 0; j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Bottom-up merge sort of row indices a[0..m) with tmp (m indices). */
static void idx_merge_sort(size_t *a, size_t *tmp, size_t m, const sort_col *ks, uint32_t nk) {
    for (size_t lo = 0; lo < m; lo += MERGE_RUN)
        idx_insertion_sort(a + lo, m - lo < MERGE_RUN ? m - lo : MERGE_RUN, ks, nk);
    size_t *src = a, *dst = tmp;
    for (size_t w = MERGE_RUN; w < m; w *= 2) {
        for (size_t lo = 0; lo < m; lo += 2 * w) {
            size_t mid = lo + w < m ? lo + w : m, hi = mid + w < m ? mid + w : m;
            size_t i = lo, j = mid, o = lo;
            if (mid < hi && row_cmp(ks, nk, src[mid - 1], src[mid]) < 0) {
                memcpy(dst + lo, src + lo, (hi - lo) * sizeof(*src)); /* already in order */
                continue;
            }
            while (i < mid && j < hi) dst[o++] = row_cmp(ks, nk, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[o++] = src[i++];
            while (j < hi) dst[o++] = src[j++];
        }
        size_t *s = src;
        src = dst;
        dst = s;
    }
    if (src != a) memcpy(a, src, m * sizeof(*a));
}

/* ============================================================= full sort */

typedef struct sorter {
    const sort_col *ks;
    uint32_t nk;
    sort_pair *tmp; /* n pairs of scratch; also 2n row indices for idx_merge_sort */
    size_t *counts; /* RADIX_PASSES * RADIX_SIZE */
} sorter;

/*
 * Sorts the m rows a[].i, which tie on keys before `level` (and on the
 * string bytes before off of key `level`) and are in index order, by the
 * keys from `level` on. Leaves a[].k unspecified.
 */
static void sort_level(const sorter *s, sort_pair *a, size_t m, uint32_t level, size_t off) {
    if (m < 2 || level == s->nk) return;
    const sort_col *kc = &s->ks[level];
    if (off >= STR_MAX_OFF) {
        size_t *idx = (size_t *)(void *)s->tmp, *itmp = idx + m;
        for (size_t i = 0; i < m; i++) idx[i] = a[i].i;
        idx_merge_sort(idx, itmp, m, kc, s->nk - level);
        for (size_t i = 0; i < m; i++) a[i].i = idx[i];
        return;
    }
    /* the non-null rows to the front, the nulls behind: both stay in order */
    const uint8_t *valid = kc->v->valid;
    size_t nn = m, nul = 0;
    if (valid && off == 0) {
        nn = 0;
        for (size_t i = 0; i < m; i++) {
            if (valid[a[i].i]) a[nn++] = a[i];
            else s->tmp[nul++] = a[i];
        }
        memcpy(a + nn, s->tmp, nul * sizeof(*a));
    }
    for (size_t i = 0; i < nn; i++) a[i].k = key_image(kc->v, a[i].i, off, kc->desc);
    const sort_pair *r = pair_sort(a, s->tmp, nn, s->counts);
    if (r != a) memcpy(a, r, nn * sizeof(*a));
    for (size_t i = 0; i < nn;) {
        size_t j = i + 1;
        while (j < nn && a[j].k == a[i].k) j++;
        if (j - i > 1) {
            if (image_exact(kc, a[i].k)) sort_level(s, a + i, j - i, level + 1, 0);
            else sort_level(s, a + i, j - i, level, off + STR_IMAGE_BYTES);
        }
        i = j;
    }
    sort_level(s, a + nn, nul, level + 1, 0);
}

/* ================================================================= top k */

static void pair_sift_down(sort_pair *h, size_t n, size_t i) {
    sort_pair x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && pair_lt(h[c], h[c + 1])) c++;
        if (!pair_lt(x, h[c])) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static void pair_sift_up(sort_pair *h, size_t i) {
    sort_pair x = h[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!pair_lt(h[p], x)) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* Top k (k > 0) of one int64/double key: a max-heap of (image, row). */
static void topk_numeric(const sort_col *kc, size_t n, size_t k, sort_pair *h) {
    const uint8_t *valid = kc->v->valid;
    size_t hn = 0;
    for (size_t r = 0; r < n; r++) {
        if (valid && !valid[r]) continue;
        sort_pair x = {key_image(kc->v, r, 0, kc->desc), r};
        if (hn < k) {
            h[hn++] = x;
            pair_sift_up(h, hn - 1);
        } else if (pair_lt(x, h[0])) {
            h[0] = x;
            pair_sift_down(h, hn, 0);
        }
    }
    for (size_t e = hn; e > 1; e--) {
        sort_pair top = h[0];
        h[0] = h[e - 1];
        h[e - 1] = top;
        pair_sift_down(h, e - 1, 0);
    }
    for (size_t r = 0; hn < k && r < n; r++) /* the nulls, in order, after every value */
        if (valid && !valid[r]) h[hn++].i = r;
}

static void idx_sift_down(sort_pair *h, size_t n, size_t i, const sort_col *ks, uint32_t nk) {
    size_t x = h[i].i;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && row_cmp(ks, nk, h[c].i, h[c + 1].i) < 0) c++;
        if (row_cmp(ks, nk, x, h[c].i) >= 0) break;
        h[i].i = h[c].i;
        i = c;
    }
    h[i].i = x;
}

static void idx_sift_up(sort_pair *h, size_t i, const sort_col *ks, uint32_t nk) {
    size_t x = h[i].i;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (row_cmp(ks, nk, h[p].i, x) >= 0) break;
        h[i].i = h[p].i;
        i = p;
    }
    h[i].i = x;
}

/* Top k (k > 0) of any keys: a max-heap of rows under the comparator. */
static void topk_generic(const sort_col *ks, uint32_t nk, size_t n, size_t k, sort_pair *h) {
    size_t hn = 0;
    for (size_t r = 0; r < n; r++) {
        if (hn < k) {
            h[hn++].i = r;
            idx_sift_up(h, hn - 1, ks, nk);
        } else if (row_cmp(ks, nk, r, h[0].i) < 0) {
            h[0].i = r;
            idx_sift_down(h, hn, 0, ks, nk);
        }
    }
    for (size_t e = hn; e > 1; e--) {
        size_t top = h[0].i;
        h[0].i = h[e - 1].i;
        h[e - 1].i = top;
        idx_sift_down(h, e - 1, 0, ks, nk);
    }
}

/* ================================================================ gather */

/* Reorders every column to perm[0..k).i and cuts the table to k rows; tmp
 * holds k values of the widest column, tvalid k bytes. Cannot fail. */
static void gather(vl_x_table *t, const sort_pair *perm, size_t k, void *tmp, uint8_t *tvalid) {
    bool identity = true;
    for (size_t j = 0; j < k && identity; j++) identity = perm[j].i == j;
    for (uint32_t c = 0; c < t->n_cols && !identity; c++) {
        vl_x_vec *v = &t->vecs[c];
        switch (v->type) {
        case VL_X_I64: {
            int64_t *d = tmp;
            for (size_t j = 0; j < k; j++) d[j] = v->v.i64[perm[j].i];
            memcpy(v->v.i64, d, k * sizeof(*d));
            break;
        }
        case VL_X_F64: {
            double *d = tmp;
            for (size_t j = 0; j < k; j++) d[j] = v->v.f64[perm[j].i];
            memcpy(v->v.f64, d, k * sizeof(*d));
            break;
        }
        default: {
            vl_sv *d = tmp;
            for (size_t j = 0; j < k; j++) d[j] = v->v.str[perm[j].i];
            memcpy(v->v.str, d, k * sizeof(*d));
            break;
        }
        }
        for (size_t j = 0; j < k; j++) tvalid[j] = v->valid[perm[j].i];
        memcpy(v->valid, tvalid, k);
    }
    t->n = k;
    for (uint32_t c = 0; c < t->n_cols; c++) t->vecs[c].n = k;
}

/* ================================================================== entry */

int vl_x_table_sort(vl_x_table *t, const vl_x_sort_key *keys, uint32_t n_keys, int64_t limit, vl_error *err) {
    for (uint32_t i = 0; i < n_keys; i++)
        if (keys[i].col >= t->n_cols)
            return vl_error_set(err, VL_EINVAL, "sort key %u: column %u out of range (the table has %u columns)", i,
                                keys[i].col, t->n_cols);
    size_t n = t->n;
    size_t k = limit < 0 || (uint64_t)limit >= n ? n : (size_t)limit;
    if (k == 0 || n_keys == 0) { /* no keys: every row ties, the order stays */
        t->n = k;
        for (uint32_t c = 0; c < t->n_cols; c++) t->vecs[c].n = k;
        return VL_OK;
    }

    bool heap = k < n / TOPK_RATIO;
    bool has_str = false;
    for (uint32_t c = 0; c < t->n_cols; c++) has_str |= t->vecs[c].type == VL_X_STR;
    size_t width = has_str ? sizeof(vl_sv) : 8; /* of the gather's scratch values */
    /* Every allocation first: pairs (the permutation), scratch for the
     * sort that also serves the gather, radix counters, a validity row. */
    sort_col *ks = vl_malloc(n_keys * sizeof(*ks));
    sort_pair *perm = vl_malloc((heap ? k : n) * sizeof(*perm));
    void *tmp = heap ? vl_malloc(k * width) : vl_malloc(n * sizeof(sort_pair));
    size_t *counts = heap || n < RADIX_MIN ? NULL : vl_malloc(sizeof(size_t) * RADIX_PASSES * RADIX_SIZE);
    uint8_t *tvalid = vl_malloc(k);
    if (!ks || !perm || !tmp || (!heap && n >= RADIX_MIN && !counts) || !tvalid) {
        vl_free(ks);
        vl_free(perm);
        vl_free(tmp);
        vl_free(counts);
        vl_free(tvalid);
        return vl_error_set(err, VL_ENOMEM, "sorting %zu rows: out of memory", n);
    }

    /* The same column twice: only its first occurrence can decide. */
    uint32_t nk = 0;
    for (uint32_t i = 0; i < n_keys; i++) {
        bool seen = false;
        for (uint32_t p = 0; p < nk && !seen; p++) seen = ks[p].v == &t->vecs[keys[i].col];
        if (!seen) ks[nk++] = (sort_col){&t->vecs[keys[i].col], keys[i].desc};
    }

    if (heap && nk == 1 && ks[0].v->type != VL_X_STR) {
        topk_numeric(&ks[0], n, k, perm);
    } else if (heap) {
        topk_generic(ks, nk, n, k, perm);
    } else {
        for (size_t r = 0; r < n; r++) perm[r].i = r;
        sorter s = {ks, nk, tmp, counts};
        sort_level(&s, perm, n, 0, 0);
    }
    gather(t, perm, k, tmp, tvalid);
    vl_free(ks);
    vl_free(perm);
    vl_free(tmp);
    vl_free(counts);
    vl_free(tvalid);
    return VL_OK;
}
