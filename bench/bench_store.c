/* vidlake - Apache-2.0 */
/*
 * Benchmark: moving a large object through a store.
 *   bench_store URL MB     puts an MB-mebibyte object under URL (s3://... or
 *                          a directory) 3 times, as the store chooses (on
 *                          S3: a multipart upload above
 *                          VIDLAKE_S3_MULTIPART_MB), then gets it back 3
 *                          times; prints the median MB/s of each, and
 *                          checks that the bytes came back
 * Prints lines for scripts/bench.sh.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, const vl_error *err) {
    fprintf(stderr, "bench_store: %s: %s\n", what, err ? err->msg : "");
    exit(2);
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: bench_store URL MB\n");
        return 2;
    }
    size_t mb = strtoull(argv[2], NULL, 10), n = mb << 20;
    if (!mb) die("MB must be a positive number", NULL);
    vl_store *s = NULL;
    vl_error err;
    if (vl_store_open(argv[1], &s, &err) != VL_OK) die(argv[1], &err);
    uint8_t *p = vl_malloc(n);
    if (!p) die("out of memory", NULL);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = vl_mix64(i);
        memcpy(p + i, &x, n - i < 8 ? n - i : 8);
    }
    double put[3], get[3];
    vl_buf b;
    vl_buf_init(&b);
    for (int r = 0; r < 3; r++) {
        int64_t t0 = vl_mono_us();
        if (vl_store_put(s, "bench/big.bin", p, n, &err) != VL_OK) die("put", &err);
        put[r] = (double)(vl_mono_us() - t0) / 1e6;
    }
    for (int r = 0; r < 3; r++) {
        int64_t t0 = vl_mono_us();
        if (vl_store_get(s, "bench/big.bin", &b, &err) != VL_OK) die("get", &err);
        get[r] = (double)(vl_mono_us() - t0) / 1e6;
        if (b.n != n || memcmp(b.p, p, n) != 0) die("get: the bytes differ from what was put", NULL);
    }
    if (vl_store_delete(s, "bench/big.bin", &err) != VL_OK) die("delete", &err);
    qsort(put, 3, sizeof(double), cmp_d);
    qsort(get, 3, sizeof(double), cmp_d);
    printf("put %zu MiB  %.3f s  %.1f MiB/s (median of 3)\n", mb, put[1], (double)mb / put[1]);
    printf("get %zu MiB  %.3f s  %.1f MiB/s (median of 3)\n", mb, get[1], (double)mb / get[1]);
    vl_buf_free(&b);
    vl_free(p);
    vl_store_close(s);
    return 0;
}
