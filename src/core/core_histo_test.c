/* vidlake - Apache-2.0 */
/* Unit tests for vl_histo (src/core/core_histo.c). */
#include "core/core.h"
#include "vl_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static const int64_t B3[] = {10, 100, 1000};

static void t_bounds_are_inclusive(vl_test *t) {
    vl_histo h;
    REQUIRE(t, vl_histo_init(&h, B3, 3, 1, NULL) == VL_OK);
    const int64_t vals[] = {-5, 0, 10, 11, 100, 101, 1000, 1001, INT64_MAX / 4};
    const uint32_t want[] = {0, 0, 0, 1, 1, 2, 2, 3, 3};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        CHECKF(t, vl_histo_bucket(B3, 3, vals[i]) == want[i], "value %lld", (long long)vals[i]);
        vl_histo_observe(&h, vals[i]);
    }
    vl_histo_snap s;
    vl_histo_read(&h, &s);
    CHECK_EQ_INT(t, s.n_bounds, 3);
    CHECK_EQ_INT(t, s.cum[0], 3); /* -5, 0, 10 */
    CHECK_EQ_INT(t, s.cum[1], 5); /* + 11, 100 */
    CHECK_EQ_INT(t, s.cum[2], 7); /* + 101, 1000 */
    CHECK_EQ_INT(t, s.cum[3], 9); /* +Inf: the count */
    CHECK_EQ_INT(t, s.sum, -5 + 0 + 10 + 11 + 100 + 101 + 1000 + 1001 + INT64_MAX / 4);
    CHECK_EQ_INT(t, s.bounds[2], 1000);
    CHECK_EQ_INT(t, s.unit, 1);
}

static void t_empty_and_unbounded(vl_test *t) {
    vl_histo h;
    REQUIRE(t, vl_histo_init(&h, NULL, 0, 1000000, NULL) == VL_OK);
    vl_histo_snap s;
    vl_histo_read(&h, &s);
    CHECK_EQ_INT(t, s.cum[0], 0);
    CHECK_EQ_INT(t, s.sum, 0);
    CHECK_EQ_INT(t, s.unit, 1000000);
    vl_histo_observe(&h, 7);
    vl_histo_observe(&h, INT64_MIN / 4);
    vl_histo_read(&h, &s);
    CHECK_EQ_INT(t, s.cum[0], 2); /* no bounds: everything is +Inf */
}

static void t_init_refuses_bad_bounds(vl_test *t) {
    vl_histo h;
    vl_error err;
    int64_t many[VL_HISTO_MAX_BOUNDS + 1];
    for (int i = 0; i <= VL_HISTO_MAX_BOUNDS; i++) many[i] = i;
    CHECK_EQ_INT(t, vl_histo_init(&h, many, VL_HISTO_MAX_BOUNDS + 1, 1, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "at most") != NULL);
    CHECK_EQ_INT(t, vl_histo_init(&h, many, VL_HISTO_MAX_BOUNDS, 1, &err), VL_OK);
    const int64_t flat[] = {1, 5, 5};
    CHECK_EQ_INT(t, vl_histo_init(&h, flat, 3, 1, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "ascend") != NULL);
    /* a refused histogram still counts, all in +Inf */
    vl_histo_observe(&h, 3);
    vl_histo_snap s;
    vl_histo_read(&h, &s);
    CHECK_EQ_INT(t, s.n_bounds, 0);
    CHECK_EQ_INT(t, s.cum[0], 1);
    CHECK_EQ_INT(t, vl_histo_init(&h, B3, 3, 0, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_histo_init(&h, B3, 3, 1, NULL), VL_OK);
}

static void t_binary_search_matches_a_scan(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 42);
    const int64_t *sets[] = {vl_histo_latency_us, vl_histo_counts, vl_histo_bytes};
    const uint32_t ns[] = {vl_histo_latency_us_n, vl_histo_counts_n, vl_histo_bytes_n};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 20000; i++) {
            int64_t v = (int64_t)vl_rng_below(&r, (uint64_t)sets[k][ns[k] - 1] * 2 + 2) - 1;
            if (i < 2 * (int)ns[k]) v = sets[k][i / 2] + (i % 2); /* each bound and one above */
            uint32_t want = 0;
            while (want < ns[k] && sets[k][want] < v) want++;
            uint32_t got = vl_histo_bucket(sets[k], ns[k], v);
            if (got != want) {
                CHECKF(t, got == want, "set %d value %lld: bucket %u, want %u", k, (long long)v, got, want);
                return;
            }
        }
    }
}

static void t_standard_bounds_fit_and_print_short(vl_test *t) {
    vl_histo h;
    CHECK_EQ_INT(t, vl_histo_init(&h, vl_histo_latency_us, vl_histo_latency_us_n, 1000000, NULL), VL_OK);
    CHECK_EQ_INT(t, vl_histo_init(&h, vl_histo_counts, vl_histo_counts_n, 1, NULL), VL_OK);
    CHECK_EQ_INT(t, vl_histo_init(&h, vl_histo_bytes, vl_histo_bytes_n, 1, NULL), VL_OK);
    /* bound / unit is a correctly rounded division of exact integers, so a
     * latency bound prints as the short decimal it means (an le label) */
    const char *want[] = {"5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                          "0.1",   "0.25",   "0.5",     "1",      "2.5",   "5",      "10",    "30",   "60"};
    REQUIRE(t, vl_histo_latency_us_n == sizeof(want) / sizeof(want[0]));
    for (uint32_t i = 0; i < vl_histo_latency_us_n; i++) {
        char buf[32];
        buf[vl_fmt_double(buf, (double)vl_histo_latency_us[i] / 1e6)] = 0;
        CHECK_EQ_STR(t, buf, want[i]);
    }
}

/* Writers observe a known multiset while a reader takes snapshots: every
 * snapshot is cumulative and never goes back; the final one is exact. */
typedef struct race {
    vl_histo h;
    int id;
    _Atomic int running;
    _Atomic int bad; /* snapshots that broke an invariant */
    int64_t snaps;
} race;

#define WRITERS 4
#define PER_WRITER 200000

typedef struct writer_arg {
    race *r;
    int id;
} writer_arg;

static void *writer_main(void *p) {
    writer_arg *a = p;
    for (int i = 0; i < PER_WRITER; i++) vl_histo_observe(&a->r->h, (int64_t)((i * 7 + a->id) % 1200));
    return NULL;
}

static void *reader_main(void *p) {
    race *r = p;
    vl_histo_snap prev;
    memset(&prev, 0, sizeof(prev));
    while (atomic_load(&r->running)) {
        vl_histo_snap s;
        vl_histo_read(&r->h, &s);
        for (uint32_t i = 0; i <= s.n_bounds; i++) {
            if (i && s.cum[i] < s.cum[i - 1]) atomic_fetch_add(&r->bad, 1);
            if (s.cum[i] < prev.cum[i]) atomic_fetch_add(&r->bad, 1); /* a bucket never shrinks */
        }
        if (s.sum < prev.sum) atomic_fetch_add(&r->bad, 1);
        prev = s;
        r->snaps++;
    }
    return NULL;
}

static void t_concurrent_observations_are_exact(vl_test *t) {
    static race r;
    memset(&r, 0, sizeof(r));
    REQUIRE(t, vl_histo_init(&r.h, B3, 3, 1, NULL) == VL_OK);
    atomic_store(&r.running, 1);
    pthread_t rd, wr[WRITERS];
    writer_arg args[WRITERS];
    REQUIRE(t, pthread_create(&rd, NULL, reader_main, &r) == 0);
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (writer_arg){&r, i};
        REQUIRE(t, pthread_create(&wr[i], NULL, writer_main, &args[i]) == 0);
    }
    for (int i = 0; i < WRITERS; i++) pthread_join(wr[i], NULL);
    atomic_store(&r.running, 0);
    pthread_join(rd, NULL);
    CHECK_EQ_INT(t, atomic_load(&r.bad), 0);
    /* what the writers observed, counted the slow way */
    int64_t cum[4] = {0}, sum = 0;
    for (int id = 0; id < WRITERS; id++)
        for (int i = 0; i < PER_WRITER; i++) {
            int64_t v = (int64_t)((i * 7 + id) % 1200);
            sum += v;
            for (uint32_t b = vl_histo_bucket(B3, 3, v); b < 4; b++) cum[b]++;
        }
    vl_histo_snap s;
    vl_histo_read(&r.h, &s);
    for (int b = 0; b < 4; b++) CHECK_EQ_INT(t, s.cum[b], cum[b]);
    CHECK_EQ_INT(t, s.cum[3], (int64_t)WRITERS * PER_WRITER);
    CHECK_EQ_INT(t, s.sum, sum);
    printf("# %lld snapshots taken during the race\n", (long long)r.snaps);
}

static const vl_test_case cases[] = {
    {"histogram buckets are 'less than or equal', +Inf above the last", t_bounds_are_inclusive},
    {"a histogram without bounds counts everything in +Inf", t_empty_and_unbounded},
    {"init refuses too many, unsorted bounds and a zero unit", t_init_refuses_bad_bounds},
    {"the bucket search agrees with a linear scan", t_binary_search_matches_a_scan},
    {"the standard bounds fit, and latency bounds print as short decimals", t_standard_bounds_fit_and_print_short},
    {"concurrent observations: snapshots stay cumulative, the total is exact", t_concurrent_observations_are_exact},
};

VL_TEST_MAIN(cases)
