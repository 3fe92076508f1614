/* vidlake - Apache-2.0 */
/* Unit tests for src/exec/exec_sketch.c: HyperLogLog and the quantile
 * sketch. Every input comes from fixed seeds, so results are reproducible. */
#include "exec/exec_sketch.h"
#include "vl_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OK(t, expr) CHECK_EQ_INT(t, (expr), VL_OK)

/* ============================================================ HyperLogLog */

/* The hash of user number i, as the engine computes it (vl_hash64). */
static uint64_t user_hash(uint64_t i, uint64_t seed) { return vl_hash64(&i, sizeof(i), seed); }

static double hll_sigma(int p) { return 1.04 / sqrt((double)(1u << p)); }

static double rel_err(double est, double truth) { return fabs(est - truth) / truth; }

/* Adds users lo..hi-1; false if an add failed. */
static bool add_users(vl_hll *h, uint64_t lo, uint64_t hi, uint64_t seed) {
    for (uint64_t i = lo; i < hi; i++)
        if (vl_hll_add(h, user_hash(i, seed), NULL) != VL_OK) return false;
    return true;
}

static void t_hll_init(vl_test *t) {
    vl_hll h;
    vl_error err;
    OK(t, vl_hll_init(&h, 0, &err));
    CHECK_EQ_INT(t, vl_hll_precision(&h), VL_HLL_P_DEFAULT);
    CHECK(t, vl_hll_is_sparse(&h));
    CHECK_EQ_INT(t, vl_hll_estimate(&h), 0);
    CHECK_EQ_INT(t, vl_hll_bytes(&h), sizeof(vl_hll)); /* nothing allocated */
    CHECK_EQ_INT(t, vl_hll_init(&h, 3, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "precision 3") != NULL);
    CHECK_EQ_INT(t, vl_hll_init(&h, 19, NULL), VL_EINVAL);
    CHECK_EQ_INT(t, vl_hll_init(&h, -1, NULL), VL_EINVAL);
    OK(t, vl_hll_init(&h, 4, NULL));
    CHECK_EQ_INT(t, vl_hll_precision(&h), 4);
    OK(t, vl_hll_init(&h, 18, NULL));
    vl_hll_free(&h);
    vl_hll_free(NULL);
}

static void t_hll_small_exact(vl_test *t) {
    static const uint64_t ns[] = {0, 1, 10, 100, 1000};
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        vl_hll h;
        OK(t, vl_hll_init(&h, 14, NULL));
        REQUIRE(t, add_users(&h, 0, ns[k], 42));
        CHECK(t, vl_hll_is_sparse(&h));
        CHECKF(t, vl_hll_estimate(&h) == ns[k], "n=%llu est=%llu", (unsigned long long)ns[k],
               (unsigned long long)vl_hll_estimate(&h));
        vl_hll_free(&h);
    }
    /* up to the sparse limit, at the smallest and the largest precision */
    for (int p = VL_HLL_P_MIN; p <= VL_HLL_P_MAX; p += VL_HLL_P_MAX - VL_HLL_P_MIN) {
        vl_hll h;
        OK(t, vl_hll_init(&h, p, NULL));
        uint64_t n = (1u << p) / 4;
        REQUIRE(t, add_users(&h, 0, n, 7));
        CHECK(t, vl_hll_is_sparse(&h));
        /* p = 18: 65536 values share ~32 of their 2^26 prefixes; linear
         * counting corrects that to within ~6 (1 sigma), the raw entry count
         * would not */
        double e = (double)vl_hll_estimate(&h);
        printf("  hll p=%d sparse n=%llu entries=%u est=%.0f\n", p, (unsigned long long)n, h.n, e);
        CHECKF(t, fabs(e - (double)n) <= (p == VL_HLL_P_MAX ? 20 : 0), "p=%d n=%llu est=%.0f", p,
               (unsigned long long)n, e);
        vl_hll_free(&h);
    }
}

static void t_hll_large(vl_test *t) {
    /* one sketch, checked as it passes each cardinality */
    vl_hll h;
    OK(t, vl_hll_init(&h, 14, NULL));
    uint64_t done = 0;
    for (uint64_t n = 10000; n <= 10000000; n *= 10) {
        REQUIRE(t, add_users(&h, done, n, 1234));
        done = n;
        double e = (double)vl_hll_estimate(&h);
        printf("  hll p=14 n=%-9llu est=%-9.0f err=%+.3f%% (3 sigma %.2f%%)\n",
               (unsigned long long)n, e, 100.0 * (e - (double)n) / (double)n,
               300.0 * hll_sigma(14));
        CHECKF(t, rel_err(e, (double)n) <= 3 * hll_sigma(14), "n=%llu est=%.0f",
               (unsigned long long)n, e);
        CHECK(t, !vl_hll_is_sparse(&h));
    }
    vl_hll_free(&h);
    /* other precisions, at several load factors */
    static const int ps[] = {4, 8, 10, 16, 18};
    for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
        OK(t, vl_hll_init(&h, ps[k], NULL));
        done = 0;
        for (uint64_t n = 1000; n <= 1000000; n *= 10) {
            REQUIRE(t, add_users(&h, done, n, 99 + (uint64_t)k));
            done = n;
            double e = (double)vl_hll_estimate(&h);
            CHECKF(t, rel_err(e, (double)n) <= 3 * hll_sigma(ps[k]), "p=%d n=%llu est=%.0f",
                   ps[k], (unsigned long long)n, e);
        }
        vl_hll_free(&h);
    }
}

static void t_hll_duplicates(vl_test *t) {
    static const uint64_t ns[] = {50, 20000};
    for (size_t k = 0; k < 2; k++) {
        vl_hll a, b;
        OK(t, vl_hll_init(&a, 14, NULL));
        OK(t, vl_hll_init(&b, 14, NULL));
        REQUIRE(t, add_users(&a, 0, ns[k], 5));
        REQUIRE(t, add_users(&b, 0, ns[k], 5));
        uint64_t e = vl_hll_estimate(&a);
        vl_rng r;
        vl_rng_seed(&r, 77);
        for (int rep = 0; rep < 3; rep++) /* the same users again, in random order */
            for (uint64_t i = 0; i < ns[k]; i++)
                OK(t, vl_hll_add(&a, user_hash(vl_rng_below(&r, ns[k]), 5), NULL));
        CHECK_EQ_INT(t, vl_hll_estimate(&a), e);
        CHECK(t, vl_hll_equal(&a, &b));
        CHECK_EQ_INT(t, vl_hll_is_sparse(&a), k == 0);
        vl_hll_free(&a);
        vl_hll_free(&b);
    }
}

/* Checks merge(A, B) against one sketch fed A u B (in another order), both
 * ways round; A is users [a0, a1), B is [b0, b1). */
static void check_merge(vl_test *t, uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1,
                        bool a_sparse, bool b_sparse) {
    vl_hll a, b, u, ab, ba;
    OK(t, vl_hll_init(&a, 14, NULL));
    OK(t, vl_hll_init(&b, 14, NULL));
    OK(t, vl_hll_init(&u, 14, NULL));
    REQUIRE(t, add_users(&a, a0, a1, 3) && add_users(&b, b0, b1, 3));
    uint64_t lo = a0 < b0 ? a0 : b0, hi = a1 > b1 ? a1 : b1;
    for (uint64_t i = hi; i-- > lo;) /* descending: another insertion order */
        if ((i >= a0 && i < a1) || (i >= b0 && i < b1))
            OK(t, vl_hll_add(&u, user_hash(i, 3), NULL));
    CHECK_EQ_INT(t, vl_hll_is_sparse(&a), a_sparse);
    CHECK_EQ_INT(t, vl_hll_is_sparse(&b), b_sparse);

    OK(t, vl_hll_init(&ab, 14, NULL));
    OK(t, vl_hll_merge(&ab, &a, NULL));
    OK(t, vl_hll_merge(&ab, &b, NULL));
    OK(t, vl_hll_init(&ba, 14, NULL));
    OK(t, vl_hll_merge(&ba, &b, NULL));
    OK(t, vl_hll_merge(&ba, &a, NULL));
    OK(t, vl_hll_merge(&a, &b, NULL)); /* in place too */

    const vl_hll *res[] = {&ab, &ba, &a};
    uint8_t *ru = malloc(1u << 14), *rx = malloc(1u << 14);
    REQUIRE(t, ru && rx);
    vl_hll_registers(&u, ru);
    for (size_t k = 0; k < 3; k++) {
        CHECKF(t, vl_hll_equal(res[k], &u), "result %zu", k);
        vl_hll_registers(res[k], rx);
        CHECKF(t, memcmp(rx, ru, 1u << 14) == 0, "result %zu registers", k);
        CHECK_EQ_INT(t, vl_hll_is_sparse(res[k]), vl_hll_is_sparse(&u));
        CHECK_EQ_INT(t, vl_hll_estimate(res[k]), vl_hll_estimate(&u));
    }
    free(ru);
    free(rx);
    vl_hll_free(&a);
    vl_hll_free(&b);
    vl_hll_free(&u);
    vl_hll_free(&ab);
    vl_hll_free(&ba);
}

static void t_hll_merge(vl_test *t) {
    check_merge(t, 0, 300, 200, 700, true, true);        /* sparse + sparse -> sparse */
    check_merge(t, 0, 3000, 2000, 5000, true, true);     /* sparse + sparse -> dense */
    check_merge(t, 0, 1000, 500, 60000, true, false);    /* sparse + dense */
    check_merge(t, 0, 60000, 59000, 59500, false, true); /* dense + sparse */
    check_merge(t, 0, 60000, 30000, 90000, false, false); /* dense + dense */
    check_merge(t, 0, 0, 0, 10, true, true);              /* empty + sparse */
    check_merge(t, 0, 10, 0, 0, true, true);              /* sparse + empty */
    check_merge(t, 0, 0, 0, 9000, true, false);           /* empty + dense */

    /* merging a sketch into itself changes nothing */
    vl_hll a, b;
    OK(t, vl_hll_init(&a, 12, NULL));
    OK(t, vl_hll_init(&b, 12, NULL));
    REQUIRE(t, add_users(&a, 0, 500, 1) && add_users(&b, 0, 500, 1));
    OK(t, vl_hll_merge(&a, &a, NULL));
    CHECK(t, vl_hll_equal(&a, &b));
    vl_hll_free(&a);
    vl_hll_free(&b);
}

static void t_hll_merge_precision_mismatch(vl_test *t) {
    vl_hll a, b, a2;
    vl_error err;
    OK(t, vl_hll_init(&a, 14, NULL));
    OK(t, vl_hll_init(&a2, 14, NULL));
    OK(t, vl_hll_init(&b, 12, NULL));
    REQUIRE(t, add_users(&a, 0, 100, 1) && add_users(&a2, 0, 100, 1));
    REQUIRE(t, add_users(&b, 100, 200, 1));
    CHECK_EQ_INT(t, vl_hll_merge(&a, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, err.code, VL_EINVAL);
    CHECK(t, strstr(err.msg, "precision") != NULL);
    CHECK(t, vl_hll_equal(&a, &a2));
    CHECK(t, !vl_hll_equal(&a, &b));
    CHECK_EQ_INT(t, vl_hll_merge(&b, &a, NULL), VL_EINVAL);
    vl_hll_free(&a);
    vl_hll_free(&a2);
    vl_hll_free(&b);
}

/* Around the sparse -> dense switch (4096 entries at p = 14) the estimate
 * stays within 3 sigma of the truth and does not jump. */
static void t_hll_transition(vl_test *t) {
    vl_hll h;
    OK(t, vl_hll_init(&h, 14, NULL));
    size_t dense_bytes = sizeof(vl_hll) + (1u << 14);
    double prev = 0;
    uint64_t switched_at = 0;
    for (uint64_t n = 1; n <= 4600; n++) {
        bool was_sparse = vl_hll_is_sparse(&h);
        uint32_t entries = h.n;
        OK(t, vl_hll_add(&h, user_hash(n, 11), NULL));
        CHECK(t, vl_hll_bytes(&h) <= dense_bytes);
        if (was_sparse && !vl_hll_is_sparse(&h)) {
            switched_at = n;
            CHECK_EQ_INT(t, entries, (1u << 14) / 4); /* only when the sparse form was full */
        }
        if (n < 3800) continue;
        double e = (double)vl_hll_estimate(&h);
        CHECKF(t, rel_err(e, (double)n) <= 3 * hll_sigma(14), "n=%llu est=%.0f",
               (unsigned long long)n, e);
        if (n == switched_at)
            printf("  hll p=14 turned dense at n=%llu: estimate %.0f -> %.0f\n",
                   (unsigned long long)n, prev, e);
        if (n > 3800)
            CHECKF(t, fabs(e - prev) <= 3 * hll_sigma(14) * (double)n, "n=%llu %.0f -> %.0f",
                   (unsigned long long)n, prev, e);
        prev = e;
    }
    CHECK(t, switched_at > 4096 && switched_at < 4200);
    vl_hll_free(&h);
}

static void t_hll_memory(vl_test *t) {
    vl_hll h;
    OK(t, vl_hll_init(&h, 14, NULL));
    REQUIRE(t, add_users(&h, 0, 5, 1));
    printf("  hll p=14 bytes: empty %zu, 5 values %zu", sizeof(vl_hll), vl_hll_bytes(&h));
    CHECK(t, vl_hll_bytes(&h) < 256);
    CHECK_EQ_INT(t, vl_hll_estimate(&h), 5);
    REQUIRE(t, add_users(&h, 5, 100, 1));
    printf(", 100 values %zu", vl_hll_bytes(&h));
    CHECK(t, vl_hll_bytes(&h) <= sizeof(vl_hll) + 128 * 4);
    REQUIRE(t, add_users(&h, 100, 10000, 1));
    printf(", dense %zu\n", vl_hll_bytes(&h));
    CHECK_EQ_INT(t, vl_hll_bytes(&h), sizeof(vl_hll) + (1u << 14));
    vl_hll_free(&h);
}

static void t_hll_reset_free(vl_test *t) {
    vl_hll h, ref;
    OK(t, vl_hll_init(&h, 10, NULL));
    OK(t, vl_hll_init(&ref, 10, NULL));
    REQUIRE(t, add_users(&h, 0, 5000, 1));
    CHECK(t, !vl_hll_is_sparse(&h));
    vl_hll_reset(&h);
    CHECK(t, vl_hll_is_sparse(&h));
    CHECK_EQ_INT(t, vl_hll_estimate(&h), 0);
    CHECK_EQ_INT(t, vl_hll_precision(&h), 10);
    REQUIRE(t, add_users(&h, 0, 20, 2) && add_users(&ref, 0, 20, 2));
    CHECK(t, vl_hll_equal(&h, &ref));
    vl_hll_reset(&h); /* sparse: keeps its array */
    CHECK(t, vl_hll_bytes(&h) > sizeof(vl_hll));
    CHECK_EQ_INT(t, vl_hll_estimate(&h), 0);
    vl_hll_free(&h);
    CHECK_EQ_INT(t, vl_hll_bytes(&h), sizeof(vl_hll));
    REQUIRE(t, add_users(&h, 0, 20, 2)); /* usable after free */
    CHECK(t, vl_hll_equal(&h, &ref));
    vl_hll_free(&h);
    vl_hll_free(&ref);
}

/* Fail the Nth allocation for every N while a sketch grows through every
 * sparse size and turns dense: each failure is VL_ENOMEM with the sketch
 * unchanged, and retrying once allocation works again gets the same result. */
static void t_hll_oom(vl_test *t) {
    vl_hll ref;
    OK(t, vl_hll_init(&ref, 12, NULL));
    vl_alloc_fail_after(-1); /* resets the count */
    REQUIRE(t, add_users(&ref, 0, 3000, 9));
    long allocs = vl_alloc_count();
    CHECK_EQ_INT(t, allocs, 10); /* sparse arrays of 4, 8, ..., 1024 entries, then dense */
    for (long fail = 0; fail <= allocs; fail++) {
        vl_hll h;
        OK(t, vl_hll_init(&h, 12, NULL));
        int failures = 0;
        vl_alloc_fail_after(fail);
        for (uint64_t i = 0; i < 3000; i++) {
            uint64_t before = vl_hll_estimate(&h);
            vl_error err;
            int rc = vl_hll_add(&h, user_hash(i, 9), &err);
            if (rc != VL_OK) {
                CHECK_EQ_INT(t, rc, VL_ENOMEM);
                CHECK_EQ_INT(t, err.code, VL_ENOMEM);
                CHECK_EQ_INT(t, vl_hll_estimate(&h), before);
                failures++;
                vl_alloc_fail_after(-1);
                OK(t, vl_hll_add(&h, user_hash(i, 9), NULL));
            }
        }
        vl_alloc_fail_after(-1);
        CHECK_EQ_INT(t, failures, fail < allocs ? 1 : 0);
        CHECK(t, vl_hll_equal(&h, &ref));
        vl_hll_free(&h);
    }
    vl_hll_free(&ref);

    /* merges: sparse + sparse (new array, or dense), sparse + dense */
    static const uint64_t bn[] = {300, 900, 5000};
    for (size_t k = 0; k < 3; k++) {
        vl_hll a, a2, b;
        OK(t, vl_hll_init(&a, 12, NULL));
        OK(t, vl_hll_init(&a2, 12, NULL));
        OK(t, vl_hll_init(&b, 12, NULL));
        REQUIRE(t, add_users(&a, 0, 200, 4) && add_users(&a2, 0, 200, 4));
        REQUIRE(t, add_users(&b, 100, 100 + bn[k], 4));
        vl_alloc_fail_after(0);
        CHECK_EQ_INT(t, vl_hll_merge(&a, &b, NULL), VL_ENOMEM);
        vl_alloc_fail_after(-1);
        CHECK(t, vl_hll_equal(&a, &a2));
        CHECK(t, vl_hll_is_sparse(&a));
        OK(t, vl_hll_merge(&a, &b, NULL)); /* usable afterwards */
        OK(t, vl_hll_merge(&a2, &b, NULL));
        CHECK(t, vl_hll_equal(&a, &a2));
        vl_hll_free(&a);
        vl_hll_free(&a2);
        vl_hll_free(&b);
    }
}

/* Hand-made hashes pin the register values: index = top p bits, value =
 * 1 + leading zeros of the other 64 - p bits, at most 65 - p. Two hashes
 * with the same 26-bit sparse prefix must keep the larger rank, in the
 * sparse form, after a sparse merge and after turning dense. */
static void t_hll_ranks(vl_test *t) {
    enum { P = 10, M = 1 << P };
    uint64_t idx = 37;
    uint64_t top = idx << (64 - P);
    struct { uint64_t hash; uint8_t reg; } cases[] = {
        {top | (1ULL << (63 - P)), 1},  /* first bit after the index set */
        {top | (1ULL << 40), 64 - P - 40}, /* still inside the 26-bit prefix */
        {top | (1ULL << 30), 64 - P - 30}, /* beyond it: the sparse rank26 */
        {top | 1, 64 - P},                 /* only the last bit */
        {top, 65 - P},                     /* all zero: the cap */
    };
    uint8_t *regs = malloc(M);
    REQUIRE(t, regs);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        vl_hll sp, de, a, b;
        OK(t, vl_hll_init(&sp, P, NULL));
        OK(t, vl_hll_init(&de, P, NULL));
        REQUIRE(t, add_users(&de, 0, 5000, 2)); /* dense */
        OK(t, vl_hll_add(&sp, cases[k].hash, NULL));
        OK(t, vl_hll_add(&de, cases[k].hash, NULL));
        vl_hll_registers(&sp, regs);
        CHECKF(t, regs[idx] == cases[k].reg, "case %zu: %d != %d", k, regs[idx], cases[k].reg);
        vl_hll_registers(&de, regs);
        CHECK(t, regs[idx] >= cases[k].reg);
        vl_hll_free(&de);
        /* same prefix, lower rank first in a and second in b */
        uint64_t low = top | (1ULL << (63 - P)) | ((uint64_t)1 << 20);
        uint64_t same_prefix = (cases[k].hash >> 38) == (low >> 38);
        OK(t, vl_hll_init(&a, P, NULL));
        OK(t, vl_hll_init(&b, P, NULL));
        OK(t, vl_hll_add(&a, low, NULL));
        OK(t, vl_hll_add(&b, cases[k].hash, NULL));
        OK(t, vl_hll_merge(&a, &b, NULL));
        CHECK(t, vl_hll_equal(&a, &sp) || !same_prefix);
        vl_hll_free(&a);
        OK(t, vl_hll_init(&a, P, NULL));
        OK(t, vl_hll_add(&a, low, NULL));
        OK(t, vl_hll_merge(&b, &a, NULL));
        vl_hll_registers(&b, regs);
        CHECK(t, regs[idx] == (cases[k].reg > 1 ? cases[k].reg : 1));
        CHECK_EQ_INT(t, vl_hll_estimate(&b), same_prefix ? 1 : 2);
        vl_hll_free(&a);
        vl_hll_free(&b);
        vl_hll_free(&sp);
    }
    /* prefixes equal, ranks differ: the union keeps the larger, either way */
    uint64_t h1 = top | (1ULL << 37), h2 = top | (1ULL << 3); /* rank26 1 and 35 */
    vl_hll a, b, u;
    OK(t, vl_hll_init(&a, P, NULL));
    OK(t, vl_hll_init(&b, P, NULL));
    OK(t, vl_hll_init(&u, P, NULL));
    OK(t, vl_hll_add(&a, h1, NULL));
    OK(t, vl_hll_add(&b, h2, NULL));
    OK(t, vl_hll_add(&u, h2, NULL));
    OK(t, vl_hll_add(&u, h1, NULL));
    OK(t, vl_hll_merge(&a, &b, NULL));
    CHECK(t, vl_hll_equal(&a, &u));
    vl_hll_registers(&a, regs);
    CHECK_EQ_INT(t, regs[idx], 64 - P - 3);
    free(regs);
    vl_hll_free(&a);
    vl_hll_free(&b);
    vl_hll_free(&u);
}

/* Ertl's estimator written straight from the paper's definitions (series
 * summed with pow, not the iterations of the implementation). */
static double ertl_direct(const uint8_t *regs, int p) {
    double m = (double)(1u << p), c[66] = {0};
    int q = 64 - p;
    for (uint32_t i = 0; i < (1u << p); i++) c[regs[i]]++;
    double x = c[0] / m, sigma = x, xk = x;
    for (int k = 1; k < 64; k++) {
        xk *= xk;
        sigma += xk * ldexp(1.0, k - 1);
    }
    double y = 1.0 - c[q + 1] / m, tau = 1.0 - y;
    for (int k = 1; k < 64; k++) tau -= pow(1.0 - pow(y, ldexp(1.0, -k)), 2) * ldexp(1.0, -k);
    tau /= 3.0;
    if (y <= 0.0) tau = 0.0;
    double sum = m * sigma + m * tau * ldexp(1.0, -q);
    for (int k = 1; k <= q; k++) sum += c[k] * ldexp(1.0, -k);
    return m * m / (2.0 * log(2.0)) / sum;
}

static void t_hll_estimator_formula(vl_test *t) {
    /* p = 8: a few random values (many zero registers), many (none), and
     * some registers forced to the cap (the tau term) */
    static const uint64_t ns[] = {100, 3000, 100000};
    for (size_t k = 0; k < 3; k++)
        for (int sat = 0; sat <= 40; sat += 40) {
            vl_hll h;
            OK(t, vl_hll_init(&h, 8, NULL));
            REQUIRE(t, add_users(&h, 0, ns[k], 21));
            for (uint64_t i = 0; i < (uint64_t)sat; i++)
                OK(t, vl_hll_add(&h, (i * 5) << 56, NULL)); /* rest bits zero: value 57 */
            uint8_t regs[256];
            vl_hll_registers(&h, regs);
            CHECK(t, !vl_hll_is_sparse(&h)); /* > 64 values: dense at p = 8 */
            double want = ertl_direct(regs, 8), got = (double)vl_hll_estimate(&h);
            CHECKF(t, fabs(got - want) <= 0.5 + 1e-9 * want, "n=%llu sat=%d %.3f vs %.3f",
                   (unsigned long long)ns[k], sat, got, want);
            vl_hll_free(&h);
        }
}

/* ======================================================= quantile sketch */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The convention of exec_sketch.h: rank floor(q * (n - 1)). */
static double exact_quantile(const double *sorted, size_t n, double q) {
    double x = floor(q * (double)(n - 1));
    return sorted[x >= (double)(n - 1) ? n - 1 : (size_t)x];
}

/* Tolerance: alpha, plus room for the last bits of double rounding. */
static bool within(double est, double truth, double alpha) {
    return fabs(est - truth) <= alpha * fabs(truth) * (1 + 1e-9);
}

static const double std_qs[] = {0.0, 0.5, 0.9, 0.99, 1.0};

/* Builds a sketch of v[0..n) and checks it against the sorted values: the
 * standard quantiles plus every 0.001 step. */
static void check_quantiles(vl_test *t, const char *what, const double *v, size_t n,
                            double alpha) {
    vl_qsketch s;
    OK(t, vl_qsketch_init(&s, alpha, NULL));
    for (size_t i = 0; i < n; i++) OK(t, vl_qsketch_add(&s, v[i], NULL));
    CHECK_EQ_INT(t, vl_qsketch_count(&s), n);
    double *sorted = malloc(n * sizeof(*sorted));
    REQUIRE(t, sorted);
    memcpy(sorted, v, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_double);
    printf("  %-10s n=%zu bytes=%zu", what, n, vl_qsketch_bytes(&s));
    for (size_t k = 0; k < 5; k++) {
        double q = std_qs[k], est = vl_qsketch_quantile(&s, q);
        double truth = exact_quantile(sorted, n, q);
        printf(" q%g=%.1f/%.1f", q, est, truth);
        CHECKF(t, within(est, truth, alpha), "%s q=%g est=%.17g exact=%.17g", what, q, est,
               truth);
    }
    printf("\n");
    CHECK(t, vl_qsketch_quantile(&s, 0.0) == sorted[0]);
    CHECK(t, vl_qsketch_quantile(&s, 1.0) == sorted[n - 1]);
    int bad = 0;
    for (int k = 0; k <= 1000; k++) {
        double q = k / 1000.0, est = vl_qsketch_quantile(&s, q);
        double truth = exact_quantile(sorted, n, q);
        if (!within(est, truth, alpha) && bad++ < 5)
            printf("  %s q=%g est=%.17g exact=%.17g\n", what, q, est, truth);
    }
    CHECK_EQ_INT(t, bad, 0);
    free(sorted);
    vl_qsketch_free(&s);
}

/* Startup-time-like values: lognormal with median 800 ms, sigma 0.6. */
static double startup_ms(vl_rng *r) { return 800.0 * exp(0.6 * vl_rng_normal(r)); }

static void t_qs_init(vl_test *t) {
    vl_qsketch s;
    vl_error err;
    OK(t, vl_qsketch_init(&s, 0, NULL));
    CHECK(t, s.alpha == VL_QSKETCH_ALPHA_DEFAULT);
    CHECK_EQ_INT(t, vl_qsketch_count(&s), 0);
    CHECK(t, isnan(vl_qsketch_quantile(&s, 0.5)));
    CHECK(t, isnan(vl_qsketch_quantile(&s, 0.0)));
    CHECK_EQ_INT(t, vl_qsketch_bytes(&s), sizeof(vl_qsketch));
    static const double bad[] = {-0.01, 0.6, 1e-5, 1.0};
    for (size_t k = 0; k < 4; k++) {
        CHECK_EQ_INT(t, vl_qsketch_init(&s, bad[k], &err), VL_EINVAL);
        CHECK(t, strstr(err.msg, "alpha") != NULL);
        CHECK(t, s.alpha == VL_QSKETCH_ALPHA_DEFAULT);
    }
    CHECK_EQ_INT(t, vl_qsketch_init(&s, NAN, NULL), VL_EINVAL);
    OK(t, vl_qsketch_init(&s, 0.05, NULL));
    OK(t, vl_qsketch_add(&s, 3.0, NULL));
    CHECK(t, isnan(vl_qsketch_quantile(&s, -0.1)));
    CHECK(t, isnan(vl_qsketch_quantile(&s, 1.5)));
    CHECK(t, isnan(vl_qsketch_quantile(&s, NAN)));
    CHECK(t, vl_qsketch_quantile(&s, 0.5) == 3.0);
    vl_qsketch_free(&s);
    vl_qsketch_free(NULL);
}

static void t_qs_accuracy(vl_test *t) {
    enum { N = 100000 };
    double *v = malloc(N * sizeof(*v));
    REQUIRE(t, v);
    vl_rng r;
    vl_rng_seed(&r, 2024);
    for (size_t i = 0; i < N; i++) v[i] = 10000.0 * vl_rng_unif(&r);
    check_quantiles(t, "uniform", v, N, 0.01);
    for (size_t i = 0; i < N; i++) v[i] = startup_ms(&r);
    check_quantiles(t, "lognormal", v, N, 0.01);
    check_quantiles(t, "lognormal", v, N, 0.002); /* 0.001 would pass the bucket cap */
    check_quantiles(t, "lognormal", v, N, 0.05);
    for (size_t i = 0; i < 1000; i++) v[i] = 1234.5;
    check_quantiles(t, "constant", v, 1000, 0.01);
    for (size_t i = 0; i < 1000; i++) v[i] = (double)(i % 7); /* small integers, zeros */
    check_quantiles(t, "0..6", v, 1000, 0.01);
    free(v);
}

/* Any positive double: {0, v, v, v (1 + 4 alpha)} has v at rank 1 =
 * floor(0.5 * 3), so quantile(0.5) shows v's bucket (clamping to [0, max]
 * cannot hide an error of alpha). Log-uniform v over 1e-300..1e300, at
 * several alphas, plus v just above powers of two (where the mapping's
 * slope is smallest), covers every part of the mapping. */
static void t_qs_mapping(vl_test *t) {
    static const double alphas[] = {1e-4, 0.001, 0.01, 0.02, 0.1, 0.5};
    vl_rng r;
    vl_rng_seed(&r, 5);
    for (size_t k = 0; k < sizeof(alphas) / sizeof(alphas[0]); k++) {
        vl_qsketch s;
        OK(t, vl_qsketch_init(&s, alphas[k], NULL));
        int bad = 0;
        double worst = 0;
        for (int i = 0; i < 50000; i++) {
            double v = pow(10.0, -300.0 + 600.0 * vl_rng_unif(&r));
            if (i < 100) v = ldexp(1.0 + (2.0 / 3.0) * vl_rng_unif(&r) * 1e-3, i - 50);
            vl_qsketch_reset(&s);
            OK(t, vl_qsketch_add(&s, 0.0, NULL));
            OK(t, vl_qsketch_add_n(&s, v, 2, NULL));
            OK(t, vl_qsketch_add(&s, v * (1 + 4 * alphas[k]), NULL));
            double est = vl_qsketch_quantile(&s, 0.5);
            double e = fabs(est - v) / v;
            if (e > worst) worst = e;
            if (!within(est, v, alphas[k]) && bad++ < 3)
                printf("  alpha=%g v=%.17g est=%.17g\n", alphas[k], v, est);
        }
        printf("  alpha=%g: worst relative error %.6f\n", alphas[k], worst);
        CHECK_EQ_INT(t, bad, 0);
        CHECK(t, worst > 0.9 * alphas[k] || alphas[k] == 0.5); /* the bound is tight */
        vl_qsketch_free(&s);
    }
    /* the extremes of the double range */
    vl_qsketch s;
    OK(t, vl_qsketch_init(&s, 0.01, NULL));
    static const double ext[] = {2.2250738585072014e-308, 1e308, 1.7976931348623157e308};
    for (size_t k = 0; k < 3; k++) {
        vl_qsketch_reset(&s);
        OK(t, vl_qsketch_add(&s, 0.0, NULL));
        OK(t, vl_qsketch_add_n(&s, ext[k], 2, NULL));
        OK(t, vl_qsketch_add(&s, k < 2 ? ext[k] * 1.04 : ext[k], NULL));
        double est = vl_qsketch_quantile(&s, 0.5); /* rank 1 of {0, x, x, x or 1.04 x} */
        CHECKF(t, within(est, ext[k], 0.01), "x=%g est=%g", ext[k], est);
    }
    vl_qsketch_free(&s);
}

static void build_qs(vl_test *t, vl_qsketch *s, const double *v, size_t n, double alpha) {
    OK(t, vl_qsketch_init(s, alpha, NULL));
    for (size_t i = 0; i < n; i++) OK(t, vl_qsketch_add(s, v[i], NULL));
}

/* merge(A, B) and merge(B, A) equal a sketch of all values, in any order. */
static void check_qs_merge(vl_test *t, const double *a, size_t na, const double *b, size_t nb,
                           double alpha) {
    vl_qsketch sa, sb, all, ab, ba;
    build_qs(t, &sa, a, na, alpha);
    build_qs(t, &sb, b, nb, alpha);
    OK(t, vl_qsketch_init(&all, alpha, NULL));
    for (size_t i = nb; i-- > 0;) OK(t, vl_qsketch_add(&all, b[i], NULL)); /* reversed */
    for (size_t i = na; i-- > 0;) OK(t, vl_qsketch_add(&all, a[i], NULL));
    OK(t, vl_qsketch_init(&ab, alpha, NULL));
    OK(t, vl_qsketch_merge(&ab, &sa, NULL));
    OK(t, vl_qsketch_merge(&ab, &sb, NULL));
    OK(t, vl_qsketch_init(&ba, alpha, NULL));
    OK(t, vl_qsketch_merge(&ba, &sb, NULL));
    OK(t, vl_qsketch_merge(&ba, &sa, NULL));
    OK(t, vl_qsketch_merge(&sa, &sb, NULL)); /* in place */
    CHECK(t, vl_qsketch_equal(&ab, &all));
    CHECK(t, vl_qsketch_equal(&ba, &all));
    CHECK(t, vl_qsketch_equal(&sa, &all));
    for (int k = 0; k <= 100; k++)
        CHECK(t, vl_qsketch_quantile(&ab, k / 100.0) == vl_qsketch_quantile(&all, k / 100.0));
    vl_qsketch_free(&sa);
    vl_qsketch_free(&sb);
    vl_qsketch_free(&all);
    vl_qsketch_free(&ab);
    vl_qsketch_free(&ba);
}

static void t_qs_merge(vl_test *t) {
    enum { N = 20000 };
    double *v = malloc(N * sizeof(*v));
    REQUIRE(t, v);
    vl_rng r;
    vl_rng_seed(&r, 31);
    for (size_t i = 0; i < N; i++) v[i] = startup_ms(&r);
    check_qs_merge(t, v, N / 2, v + N / 2, N / 2, 0.01); /* overlapping ranges */
    qsort(v, N, sizeof(*v), cmp_double);
    check_qs_merge(t, v, N / 2, v + N / 2, N / 2, 0.01); /* low half + high half */
    check_qs_merge(t, v + N / 2, N / 2, v, N / 2, 0.01); /* high half + low half */
    check_qs_merge(t, v, 0, v, N, 0.01);                 /* empty + all */
    check_qs_merge(t, v, N, v, 0, 0.01);                 /* all + empty */
    v[0] = 0.0;
    v[1] = -3.0;
    check_qs_merge(t, v, 10, v + 10, 100, 0.02); /* with zeros and negatives */
    free(v);

    vl_qsketch a, b;
    vl_error err;
    OK(t, vl_qsketch_init(&a, 0.01, NULL));
    OK(t, vl_qsketch_init(&b, 0.02, NULL));
    OK(t, vl_qsketch_add(&a, 5.0, NULL));
    OK(t, vl_qsketch_add(&b, 7.0, NULL));
    CHECK_EQ_INT(t, vl_qsketch_merge(&a, &b, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "alpha") != NULL);
    CHECK_EQ_INT(t, vl_qsketch_count(&a), 1);
    CHECK_EQ_INT(t, vl_qsketch_merge(&a, &a, NULL), VL_EINVAL);
    CHECK_EQ_INT(t, vl_qsketch_count(&a), 1);
    vl_qsketch_free(&a);
    vl_qsketch_free(&b);
}

static void t_qs_zero_values(vl_test *t) {
    vl_qsketch s;
    OK(t, vl_qsketch_init(&s, 0.01, NULL));
    for (int i = 0; i < 50; i++) OK(t, vl_qsketch_add(&s, -5.0, NULL));
    for (int i = 0; i < 90; i++) OK(t, vl_qsketch_add(&s, 0.0, NULL));
    for (int i = 0; i < 5; i++) OK(t, vl_qsketch_add(&s, -0.0, NULL));
    for (int i = 0; i < 5; i++) OK(t, vl_qsketch_add(&s, 1e-310, NULL)); /* subnormal */
    for (int i = 0; i < 850; i++) OK(t, vl_qsketch_add(&s, 100.0 + i, NULL));
    CHECK_EQ_INT(t, vl_qsketch_count(&s), 1000);
    CHECK(t, vl_qsketch_quantile(&s, 0.0) == -5.0); /* the exact minimum */
    CHECK(t, vl_qsketch_quantile(&s, 0.02) == 0.0); /* a negative: reported as 0 */
    CHECK(t, vl_qsketch_quantile(&s, 0.1) == 0.0);
    CHECK(t, vl_qsketch_quantile(&s, 0.149) == 0.0); /* rank 148, the last zero */
    double q = vl_qsketch_quantile(&s, 0.15);        /* rank 149 = 1e-310 */
    CHECK(t, q == 0.0);
    CHECK(t, within(vl_qsketch_quantile(&s, 0.151), 100.0, 0.01)); /* rank 150 */
    CHECK(t, within(vl_qsketch_quantile(&s, 0.5), 100.0 + 349, 0.01));
    CHECK(t, vl_qsketch_quantile(&s, 1.0) == 949.0);
    vl_qsketch_free(&s);

    /* only zeros; only negatives */
    OK(t, vl_qsketch_init(&s, 0.01, NULL));
    for (int i = 0; i < 10; i++) OK(t, vl_qsketch_add(&s, 0.0, NULL));
    CHECK(t, vl_qsketch_quantile(&s, 0.5) == 0.0);
    CHECK_EQ_INT(t, vl_qsketch_bytes(&s), sizeof(vl_qsketch)); /* no buckets needed */
    vl_qsketch_reset(&s);
    for (int i = 0; i < 10; i++) OK(t, vl_qsketch_add(&s, -1.0 - i, NULL));
    CHECK(t, vl_qsketch_quantile(&s, 0.5) == -1.0); /* 0 clamped into [min, max] */
    CHECK(t, vl_qsketch_quantile(&s, 0.0) == -10.0);
    vl_qsketch_free(&s);
}

static void t_qs_invalid_and_weights(vl_test *t) {
    vl_qsketch s, s2;
    vl_error err;
    OK(t, vl_qsketch_init(&s, 0.01, NULL));
    OK(t, vl_qsketch_init(&s2, 0.01, NULL));
    OK(t, vl_qsketch_add(&s, 10.0, NULL));
    CHECK_EQ_INT(t, vl_qsketch_add(&s, NAN, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_qsketch_add(&s, INFINITY, NULL), VL_EINVAL);
    CHECK_EQ_INT(t, vl_qsketch_add_n(&s, -INFINITY, 3, NULL), VL_EINVAL);
    CHECK_EQ_INT(t, vl_qsketch_count(&s), 1);
    CHECK(t, vl_qsketch_quantile(&s, 1.0) == 10.0);

    /* add_n(v, w) is w adds of v; w = 0 does nothing */
    vl_qsketch_reset(&s);
    OK(t, vl_qsketch_add_n(&s, 7.0, 0, NULL));
    CHECK_EQ_INT(t, vl_qsketch_count(&s), 0);
    OK(t, vl_qsketch_add_n(&s, 250.0, 1000, NULL));
    OK(t, vl_qsketch_add_n(&s, 0.0, 3, NULL));
    OK(t, vl_qsketch_add_n(&s, 9000.0, 10, NULL));
    for (int i = 0; i < 1000; i++) OK(t, vl_qsketch_add(&s2, 250.0, NULL));
    for (int i = 0; i < 3; i++) OK(t, vl_qsketch_add(&s2, 0.0, NULL));
    for (int i = 0; i < 10; i++) OK(t, vl_qsketch_add(&s2, 9000.0, NULL));
    CHECK(t, vl_qsketch_equal(&s, &s2));

    /* a bucket saturates at UINT32_MAX; the count stays exact */
    vl_qsketch_reset(&s);
    OK(t, vl_qsketch_add_n(&s, 100.0, UINT32_MAX, NULL));
    OK(t, vl_qsketch_add_n(&s, 100.0, 10, NULL));
    OK(t, vl_qsketch_add_n(&s, 200.0, 1, NULL));
    CHECK(t, vl_qsketch_count(&s) == (uint64_t)UINT32_MAX + 11);
    CHECK(t, within(vl_qsketch_quantile(&s, 0.5), 100.0, 0.01));
    CHECK(t, vl_qsketch_quantile(&s, 1.0) == 200.0);
    vl_qsketch_free(&s);
    vl_qsketch_free(&s2);
}

/* Values spanning 10^300 need ~34000 buckets: the lowest get collapsed.
 * The span kept is 2048 buckets (35 per power of two at alpha = 0.01, so
 * 2^58.5 = 4e17 below the maximum): quantiles there keep alpha, lower ones
 * are overestimated, never underestimated. The result does not depend on
 * the order of adds or on how the input is split for merging. */
static void t_qs_bucket_cap(vl_test *t) {
    enum { N = 20000 };
    double *v = malloc(N * sizeof(*v)), *sorted = malloc(N * sizeof(*v));
    REQUIRE(t, v && sorted);
    vl_rng r;
    vl_rng_seed(&r, 8);
    for (size_t i = 0; i < N; i++) v[i] = pow(10.0, -150.0 + 300.0 * vl_rng_unif(&r));
    memcpy(sorted, v, sizeof(*v) * N);
    qsort(sorted, N, sizeof(*v), cmp_double);

    vl_qsketch s;
    build_qs(t, &s, v, N, 0.01);
    CHECK(t, vl_qsketch_bytes(&s) <= sizeof(vl_qsketch) + 4 * VL_QSKETCH_MAX_BUCKETS);
    double kept_from = sorted[N - 1] / 4e17; /* the lowest value still in its bucket */
    int accurate = 0;
    for (int k = 0; k <= 1000; k++) {
        double q = k / 1000.0, est = vl_qsketch_quantile(&s, q);
        double truth = exact_quantile(sorted, N, q);
        if (truth >= kept_from * 1.01) {
            CHECKF(t, within(est, truth, 0.01), "q=%g est=%g exact=%g", q, est, truth);
            accurate++;
        } else if (k > 0) {
            CHECKF(t, est >= truth && est < kept_from * 1.05, "q=%g est=%g exact=%g", q, est,
                   truth);
        }
    }
    CHECK(t, accurate > 40); /* the top ~6% of ranks */
    CHECK(t, vl_qsketch_quantile(&s, 0.0) == sorted[0]);

    /* ascending and descending insertion give the same sketch */
    vl_qsketch up, down;
    build_qs(t, &up, sorted, N, 0.01);
    OK(t, vl_qsketch_init(&down, 0.01, NULL));
    for (size_t i = N; i-- > 0;) OK(t, vl_qsketch_add(&down, sorted[i], NULL));
    CHECK(t, vl_qsketch_equal(&up, &s));
    CHECK(t, vl_qsketch_equal(&down, &s));
    vl_qsketch_free(&up);
    vl_qsketch_free(&down);
    vl_qsketch_free(&s);

    /* merges, split by value and interleaved, both with collapse */
    check_qs_merge(t, sorted, N / 2, sorted + N / 2, N / 2, 0.01);
    check_qs_merge(t, sorted + N / 2, N / 2, sorted, N / 2, 0.01);
    check_qs_merge(t, v, N / 3, v + N / 3, N - N / 3, 0.01);
    check_qs_merge(t, sorted, 100, sorted + N - 100, 100, 0.01); /* two far-apart clusters */
    free(v);
    free(sorted);
}

/* Fail the Nth allocation for every N: each failed add or merge is
 * VL_ENOMEM with the sketch unchanged (compared with a twin that skipped the
 * failed value), and the sketch keeps working. */
static void t_qs_oom(vl_test *t) {
    enum { N = 3000 };
    double *v = malloc(N * sizeof(*v));
    REQUIRE(t, v);
    vl_rng r;
    vl_rng_seed(&r, 17);
    /* first a slowly widening range (one growth step after another), then
     * values over 10^80 (collapsing, shifting the capped array) */
    for (size_t i = 0; i < N; i++)
        v[i] = i < 2000 ? exp(0.02 * (double)i) : pow(10.0, -40.0 + 80.0 * vl_rng_unif(&r));
    vl_qsketch ref;
    vl_alloc_fail_after(-1); /* resets the count */
    build_qs(t, &ref, v, N, 0.01);
    long allocs = vl_alloc_count(); /* growth steps, then the cap: in-place only */
    CHECKF(t, allocs >= 6 && allocs <= 12, "%ld", allocs); /* 32 * 1.5^k up to 2048 */
    for (long fail = 0; fail <= allocs; fail++) {
        vl_qsketch s, twin;
        OK(t, vl_qsketch_init(&s, 0.01, NULL));
        size_t failed_at = N;
        vl_alloc_fail_after(fail);
        for (size_t i = 0; i < N; i++) {
            vl_error err;
            int rc = vl_qsketch_add(&s, v[i], &err);
            if (rc == VL_OK) continue;
            vl_alloc_fail_after(-1);
            CHECK_EQ_INT(t, rc, VL_ENOMEM);
            CHECK_EQ_INT(t, err.code, VL_ENOMEM);
            CHECK(t, failed_at == N);
            failed_at = i;
            build_qs(t, &twin, v, i, 0.01); /* unchanged: as if v[i] never came */
            CHECK(t, vl_qsketch_equal(&s, &twin));
            vl_qsketch_free(&twin);
            OK(t, vl_qsketch_add(&s, v[i], NULL)); /* and usable */
        }
        vl_alloc_fail_after(-1);
        CHECK_EQ_INT(t, failed_at < N, fail < allocs);
        CHECK(t, vl_qsketch_equal(&s, &ref));
        vl_qsketch_free(&s);
    }
    vl_qsketch_free(&ref);
    /* merge into a sketch whose array must grow */
    static const double narrow[] = {1, 2, 3, 4, 5};
    vl_qsketch a, a2, b;
    build_qs(t, &a, narrow, 5, 0.01);
    build_qs(t, &a2, narrow, 5, 0.01);
    build_qs(t, &b, v, N, 0.01);
    vl_alloc_fail_after(0);
    CHECK_EQ_INT(t, vl_qsketch_merge(&a, &b, NULL), VL_ENOMEM);
    vl_alloc_fail_after(-1);
    CHECK(t, vl_qsketch_equal(&a, &a2));
    OK(t, vl_qsketch_merge(&a, &b, NULL));
    OK(t, vl_qsketch_merge(&a2, &b, NULL));
    CHECK(t, vl_qsketch_equal(&a, &a2));
    vl_qsketch_free(&a);
    vl_qsketch_free(&a2);
    vl_qsketch_free(&b);
    free(v);
}

static void t_qs_memory_and_reuse(vl_test *t) {
    vl_qsketch s;
    vl_rng r;
    vl_rng_seed(&r, 3);
    OK(t, vl_qsketch_init(&s, 0.01, NULL));
    for (int i = 0; i < 5; i++) OK(t, vl_qsketch_add(&s, startup_ms(&r), NULL));
    size_t few = vl_qsketch_bytes(&s);
    for (int i = 0; i < 100000; i++) OK(t, vl_qsketch_add(&s, startup_ms(&r), NULL));
    size_t many = vl_qsketch_bytes(&s);
    printf("  qsketch alpha=0.01 lognormal(800 ms, 0.6) bytes: 5 values %zu, 100000 values %zu\n",
           few, many);
    /* 5 values spanning a ratio of ~3 (55 buckets) get ~1.5 times that */
    CHECK(t, few <= 512);
    CHECK(t, many <= 2048); /* ~260 buckets occupied */
    /* reset keeps the array: refilling the same distribution allocates nothing */
    vl_qsketch_reset(&s);
    CHECK_EQ_INT(t, vl_qsketch_count(&s), 0);
    CHECK(t, isnan(vl_qsketch_quantile(&s, 0.5)));
    vl_rng_seed(&r, 3);
    vl_alloc_fail_after(0);
    for (int i = 0; i < 1000; i++) OK(t, vl_qsketch_add(&s, 800.0 + i % 50, NULL));
    vl_alloc_fail_after(-1);
    CHECK(t, within(vl_qsketch_quantile(&s, 0.5), 824.0, 0.01));
    vl_qsketch_free(&s);
    CHECK_EQ_INT(t, vl_qsketch_bytes(&s), sizeof(vl_qsketch));
    OK(t, vl_qsketch_add(&s, 5.0, NULL)); /* usable after free */
    CHECK(t, vl_qsketch_quantile(&s, 0.5) == 5.0);
    vl_qsketch_free(&s);
}

/* Informational only: no timed assertion. */
static void t_speed(vl_test *t) {
    enum { N = 4000000 };
    vl_hll h;
    OK(t, vl_hll_init(&h, 14, NULL));
    REQUIRE(t, add_users(&h, 0, 10000, 1)); /* dense */
    uint64_t x = 1;
    int rc = 0;
    int64_t t0 = vl_mono_us();
    for (int i = 0; i < N; i++) rc |= vl_hll_add(&h, vl_mix64(x++), NULL);
    int64_t t1 = vl_mono_us();
    CHECK_EQ_INT(t, rc, VL_OK);
    vl_qsketch s;
    OK(t, vl_qsketch_init(&s, 0.01, NULL));
    double v = 100.0;
    for (int i = 0; i < N; i++) {
        rc |= vl_qsketch_add(&s, v, NULL);
        v = v < 20000.0 ? v * 1.001 : 100.0;
    }
    int64_t t2 = vl_mono_us();
    CHECK_EQ_INT(t, rc, VL_OK);
    printf("  hll dense add %.1f ns, qsketch add %.1f ns (this build)\n",
           1000.0 * (double)(t1 - t0) / N, 1000.0 * (double)(t2 - t1) / N);
    vl_hll_free(&h);
    vl_qsketch_free(&s);
}

static const vl_test_case cases[] = {
    {"hll init checks the precision", t_hll_init},
    {"hll is exact for small sets (sparse)", t_hll_small_exact},
    {"hll is within 3 sigma for 10^4..10^7 distinct values", t_hll_large},
    {"hll ignores duplicates", t_hll_duplicates},
    {"hll register values and same-prefix ranks", t_hll_ranks},
    {"hll estimate matches Ertl's formula, saturated registers too", t_hll_estimator_formula},
    {"hll merge equals the sketch of the union, any form", t_hll_merge},
    {"hll merge refuses another precision", t_hll_merge_precision_mismatch},
    {"hll estimate is continuous across sparse to dense", t_hll_transition},
    {"hll with 5 values is small", t_hll_memory},
    {"hll reset and free leave a usable sketch", t_hll_reset_free},
    {"hll add and merge fail cleanly at every allocation", t_hll_oom},
    {"qsketch init checks alpha, empty quantile is NaN", t_qs_init},
    {"qsketch quantiles are within alpha of the exact ones", t_qs_accuracy},
    {"qsketch mapping keeps alpha over the whole double range", t_qs_mapping},
    {"qsketch merge equals one sketch of both inputs", t_qs_merge},
    {"qsketch counts zero, negatives and subnormals as 0", t_qs_zero_values},
    {"qsketch rejects NaN and infinities, weights add up", t_qs_invalid_and_weights},
    {"qsketch collapses the lowest buckets past the cap", t_qs_bucket_cap},
    {"qsketch add and merge fail cleanly at every allocation", t_qs_oom},
    {"qsketch memory for startup times; reset reuses", t_qs_memory_and_reuse},
    {"sketch add speed (printed only)", t_speed},
};

VL_TEST_MAIN(cases)
