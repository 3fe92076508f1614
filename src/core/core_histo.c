/* vidlake - Apache-2.0 */
/*
 * Histograms with fixed bucket bounds and atomic counters (core.h,
 * "histograms"): what /metrics exposes as Prometheus histograms.
 *
 * An observation is a binary search for its bucket and two relaxed atomic
 * adds (the bucket, the sum). Relaxed is enough: each counter only ever
 * grows, nothing else is published through them, and a reader wants each
 * counter's own latest value, not an ordering between counters. The count
 * is not a third counter but the sum of the buckets as read, which keeps a
 * snapshot's _count equal to its +Inf bucket whatever the interleaving.
 *
 * Deliberately not here: quantile estimation, decay or windows (Prometheus
 * computes those from the cumulative buckets), negative bounds (nothing we
 * measure is negative: a negative value lands in the first bucket).
 */
#include "core.h"

#include <stdatomic.h>
#include <string.h>

/* 1-2.5-5 steps: fine enough to tell a local disk (tens of µs to a few ms)
 * from a network store (tens to hundreds of ms), up to the minute a stuck
 * commit takes before it is worth an alert. */
const int64_t vl_histo_latency_us[] = {
    50,      100,     250,     500,     1000,     2500,     5000,     10000,    25000,    50000,
    100000,  250000,  500000,  1000000, 2500000,  5000000,  10000000, 30000000, 60000000,
};
const uint32_t vl_histo_latency_us_n = sizeof(vl_histo_latency_us) / sizeof(vl_histo_latency_us[0]);

/* Decades with a midpoint: a request of one event, a data file of a
 * 200 ms commit (thousands of rows), a compacted file (millions). */
const int64_t vl_histo_counts[] = {
    1, 10, 100, 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000, 10000000,
};
const uint32_t vl_histo_counts_n = sizeof(vl_histo_counts) / sizeof(vl_histo_counts[0]);

/* Powers of four from 4 KiB, then the sizes around bronze's 128 MiB
 * target file size. */
const int64_t vl_histo_bytes[] = {
    4096,          16384,          65536,          262144,         1048576,         4194304,       16777216,
    (int64_t)32 << 20, (int64_t)64 << 20, (int64_t)128 << 20, (int64_t)256 << 20, (int64_t)512 << 20,
    (int64_t)1 << 30,
};
const uint32_t vl_histo_bytes_n = sizeof(vl_histo_bytes) / sizeof(vl_histo_bytes[0]);

int vl_histo_init(vl_histo *h, const int64_t *bounds, uint32_t n_bounds, int64_t unit, vl_error *err) {
    memset(h, 0, sizeof(*h));
    h->unit = 1;
    for (uint32_t i = 0; i <= VL_HISTO_MAX_BOUNDS; i++) atomic_init(&h->buckets[i], 0);
    atomic_init(&h->sum, 0);
    if (n_bounds > VL_HISTO_MAX_BOUNDS)
        return vl_error_set(err, VL_EINVAL, "a histogram has at most %d bucket bounds, not %u", VL_HISTO_MAX_BOUNDS,
                            (unsigned)n_bounds);
    if (unit < 1) return vl_error_set(err, VL_EINVAL, "a histogram's unit must be at least 1, not %lld", (long long)unit);
    for (uint32_t i = 1; i < n_bounds; i++)
        if (bounds[i] <= bounds[i - 1])
            return vl_error_set(err, VL_EINVAL, "histogram bounds must ascend: bound %u (%lld) after %lld", (unsigned)i,
                                (long long)bounds[i], (long long)bounds[i - 1]);
    if (n_bounds) memcpy(h->bounds, bounds, n_bounds * sizeof(*bounds));
    h->n_bounds = n_bounds;
    h->unit = unit;
    return VL_OK;
}

uint32_t vl_histo_bucket(const int64_t *bounds, uint32_t n_bounds, int64_t v) {
    /* the first bound >= v: buckets are "less than or equal" */
    uint32_t lo = 0, hi = n_bounds;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (bounds[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

void vl_histo_observe(vl_histo *h, int64_t v) {
    uint32_t b = vl_histo_bucket(h->bounds, h->n_bounds, v);
    atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

void vl_histo_read(const vl_histo *h, vl_histo_snap *out) {
    memset(out, 0, sizeof(*out));
    out->n_bounds = h->n_bounds;
    out->unit = h->unit;
    memcpy(out->bounds, h->bounds, sizeof(out->bounds));
    int64_t c = 0;
    for (uint32_t i = 0; i <= h->n_bounds; i++) {
        c += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        out->cum[i] = c;
    }
    out->sum = atomic_load_explicit(&h->sum, memory_order_relaxed);
}
