/* vidlake - Apache-2.0 */
/*
 * s3_store_check: the store's contract (src/store/store.h) checked through
 * the S3 implementation against a real S3 server, plus what only S3 has:
 * multipart uploads, batch deletes, paginated listings and S3's errors.
 *
 *   VIDLAKE_TEST_S3_URL=s3://bucket[/prefix] s3_store_check [case-filter]
 *
 * The bucket must exist; each case works under its own prefix
 * (<url>/check-<pid>-<n>/) and deletes what it wrote. The endpoint and the
 * credentials come from the usual variables (AWS_ENDPOINT_URL, ...).
 * tests/integration/0805-s3-store.sh runs it against a throwaway Ceph RGW.
 * Output: "ok NAME", "FAIL NAME: ..." or "skip NAME: why" per case.
 */
#include "store/store.h"
#include "vl_test.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_fixture;

/* A store on a fresh prefix of $VIDLAKE_TEST_S3_URL; NULL (the case
 * skipped) when the variable is unset. */
#define NEED_S3(t)                                                                                     \
    do {                                                                                               \
        const char *u_ = getenv("VIDLAKE_TEST_S3_URL");                                                \
        if (!u_ || !*u_) SKIP(t, "VIDLAKE_TEST_S3_URL is not set (tests/integration/0805-s3-store.sh sets it)"); \
    } while (0)

static vl_store *open_fresh(vl_test *t, char *url, size_t cap) {
    const char *base = getenv("VIDLAKE_TEST_S3_URL");
    snprintf(url, cap, "%s/check-%d-%d", base, (int)getpid(), ++n_fixture);
    vl_store *s = NULL;
    vl_error err;
    if (vl_store_open(url, &s, &err) != VL_OK) {
        CHECKF(t, 0, "open %s: %s", url, err.msg);
        return NULL;
    }
    return s;
}

typedef struct keys {
    char **k;
    size_t n, cap;
} keys;

static int collect(void *ctx, const vl_store_obj *o, vl_error *err) {
    keys *K = ctx;
    char **k = vl_grow(K->k, &K->cap, K->n, sizeof(*k), 64);
    if (!k) return vl_error_set(err, VL_ENOMEM, "out of memory");
    K->k = k;
    if (!(K->k[K->n] = vl_strndup(o->key, o->key_len))) return vl_error_set(err, VL_ENOMEM, "out of memory");
    K->n++;
    return VL_OK;
}

static void keys_free(keys *K) {
    for (size_t i = 0; i < K->n; i++) vl_free(K->k[i]);
    vl_free(K->k);
    memset(K, 0, sizeof(*K));
}

/* Deletes everything under the store's prefix. */
static void wipe(vl_test *t, vl_store *s) {
    keys K = {0};
    vl_error err;
    CHECKF(t, vl_store_list(s, "", NULL, collect, &K, &err) == VL_OK, "list: %s", err.msg);
    CHECKF(t, vl_store_delete_many(s, (const char *const *)K.k, K.n, &err) == VL_OK, "delete: %s", err.msg);
    keys_free(&K);
}

static void fill(uint8_t *p, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(vl_mix64(seed + i / 8) >> (8 * (i % 8)));
}

/* ---------------------------------------------------------------- cases */

static void t_basics(vl_test *t) {
    char url[512];
    NEED_S3(t);
    vl_store *s = open_fresh(t, url, sizeof(url));
    if (!s) return;
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);
    CHECK_EQ_INT(t, vl_store_get(s, "a/x", &b, &err), VL_ENOTFOUND);
    CHECK(t, strstr(err.msg, "a/x") != NULL);
    CHECK_EQ_INT(t, vl_store_put(s, "a/x", "hello", 5, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_get(s, "a/x", &b, &err), VL_OK);
    CHECK(t, b.n == 5 && memcmp(b.p, "hello", 5) == 0);
    CHECK_EQ_INT(t, vl_store_put(s, "a/x", "hello, world", 12, &err), VL_OK);
    vl_store_obj o;
    CHECK_EQ_INT(t, vl_store_head(s, "a/x", &o, &err), VL_OK);
    CHECK_EQ_INT(t, o.size, 12);
    int64_t now = vl_now_us();
    CHECKF(t, o.mtime_us > now - 600 * VL_US_PER_SEC && o.mtime_us < now + 600 * VL_US_PER_SEC, "mtime %lld",
           (long long)o.mtime_us);
    CHECK_EQ_INT(t, vl_store_head(s, "a/nope", &o, &err), VL_ENOTFOUND);
    CHECK_EQ_INT(t, vl_store_get_range(s, "a/x", 7, 5, &b, &err), VL_OK);
    CHECK(t, b.n == 5 && memcmp(b.p, "world", 5) == 0);
    CHECK_EQ_INT(t, vl_store_get_range(s, "a/x", 7, 100, &b, &err), VL_OK);
    CHECK(t, b.n == 5 && memcmp(b.p, "world", 5) == 0);
    CHECK_EQ_INT(t, vl_store_get_range(s, "a/x", 12, 3, &b, &err), VL_OK);
    CHECK_EQ_INT(t, b.n, 0);
    CHECK_EQ_INT(t, vl_store_get_range(s, "a/x", 13, 3, &b, &err), VL_ERANGE);
    /* empty objects */
    CHECK_EQ_INT(t, vl_store_put(s, "a/empty", NULL, 0, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_get(s, "a/empty", &b, &err), VL_OK);
    CHECK_EQ_INT(t, b.n, 0);
    CHECK_EQ_INT(t, vl_store_head(s, "a/empty", &o, &err), VL_OK);
    CHECK_EQ_INT(t, o.size, 0);
    /* delete is idempotent */
    CHECK_EQ_INT(t, vl_store_delete(s, "a/x", &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_delete(s, "a/x", &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_get(s, "a/x", &b, &err), VL_ENOTFOUND);
    /* put_if_absent */
    CHECK_EQ_INT(t, vl_store_put_if_absent(s, "log/0.json", "first", 5, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_put_if_absent(s, "log/0.json", "second", 6, &err), VL_ECONFLICT);
    CHECK_EQ_INT(t, vl_store_get(s, "log/0.json", &b, &err), VL_OK);
    CHECK(t, b.n == 5 && memcmp(b.p, "first", 5) == 0);
    wipe(t, s);
    vl_buf_free(&b);
    vl_store_close(s);
}

/* Keys S3 needs escaped in paths, queries and XML. */
static const char *odd_keys[] = {
    "odd/a b/c",  "odd/x=A%2FA/part-0.parquet", "odd/amp&lt;<>\"'", "odd/plus+sign", "odd/q?uery#frag",
    "odd/tilde~_-.", "odd/\xc3\xbc\xe2\x82\xac", "odd/semi;colon,comma", "odd/star*(paren)", "odd/at@dollar$",
};
#define N_ODD (sizeof(odd_keys) / sizeof(odd_keys[0]))

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void t_odd_keys(vl_test *t) {
    char url[512];
    NEED_S3(t);
    vl_store *s = open_fresh(t, url, sizeof(url));
    if (!s) return;
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);
    for (size_t i = 0; i < N_ODD; i++) {
        CHECKF(t, vl_store_put(s, odd_keys[i], odd_keys[i], strlen(odd_keys[i]), &err) == VL_OK, "put %s: %s",
               odd_keys[i], err.msg);
        CHECKF(t, vl_store_get(s, odd_keys[i], &b, &err) == VL_OK && b.n == strlen(odd_keys[i]) &&
                      memcmp(b.p, odd_keys[i], b.n) == 0,
               "get %s", odd_keys[i]);
    }
    keys K = {0};
    CHECK_EQ_INT(t, vl_store_list(s, "odd/", NULL, collect, &K, &err), VL_OK);
    const char *want[N_ODD];
    memcpy(want, odd_keys, sizeof(want));
    qsort(want, N_ODD, sizeof(char *), cmp_str);
    CHECK_EQ_INT(t, K.n, N_ODD);
    for (size_t i = 0; i < K.n && i < N_ODD; i++) CHECK_EQ_STR(t, K.k[i], want[i]);
    keys_free(&K);
    /* start_after an odd key */
    CHECK_EQ_INT(t, vl_store_list(s, "odd/", want[3], collect, &K, &err), VL_OK);
    CHECK_EQ_INT(t, K.n, N_ODD - 4);
    if (K.n) CHECK_EQ_STR(t, K.k[0], want[4]);
    keys_free(&K);
    CHECK_EQ_INT(t, vl_store_delete_many(s, odd_keys, N_ODD, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_list(s, "", NULL, collect, &K, &err), VL_OK);
    CHECK_EQ_INT(t, K.n, 0);
    keys_free(&K);
    vl_buf_free(&b);
    vl_store_close(s);
}

typedef struct putter {
    vl_store *s;
    size_t from, to, step;
    int rc;
    vl_error err;
} putter;

static void *put_many(void *arg) {
    putter *p = arg;
    char key[64];
    for (size_t i = p->from; i < p->to && p->rc == VL_OK; i += p->step) {
        snprintf(key, sizeof(key), "many/%05zu", i);
        p->rc = vl_store_put(p->s, key, key, strlen(key), &p->err);
    }
    return NULL;
}

/* n keys many/00000 .. in 8 threads */
static bool put_keys(vl_test *t, vl_store *s, size_t n) {
    putter P[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        P[i] = (putter){.s = s, .from = (size_t)i, .to = n, .step = 8};
        pthread_create(&th[i], NULL, put_many, &P[i]);
    }
    bool ok = true;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        if (P[i].rc != VL_OK) {
            CHECKF(t, 0, "put: %s", P[i].err.msg);
            ok = false;
        }
    }
    return ok;
}

static int stop_at_10(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)o, (void)err;
    return ++*(size_t *)ctx == 10 ? VL_STORE_STOP : VL_OK;
}

static void t_list_pages(vl_test *t) {
    char url[512];
    NEED_S3(t);
    vl_store *s = open_fresh(t, url, sizeof(url));
    if (!s) return;
    vl_error err;
    const size_t n = 2345; /* three pages of ListObjectsV2 */
    if (!put_keys(t, s, n)) {
        vl_store_close(s);
        return;
    }
    CHECK_EQ_INT(t, vl_store_put(s, "manyx", "x", 1, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_put(s, "man", "x", 1, &err), VL_OK);
    keys K = {0};
    CHECK_EQ_INT(t, vl_store_list(s, "many/", NULL, collect, &K, &err), VL_OK);
    CHECK_EQ_INT(t, K.n, n);
    bool in_order = true;
    for (size_t i = 0; i < K.n; i++) {
        char want[64];
        snprintf(want, sizeof(want), "many/%05zu", i);
        if (strcmp(K.k[i], want) != 0) in_order = false;
    }
    CHECK(t, in_order);
    keys_free(&K);
    /* a prefix that is not a directory */
    CHECK_EQ_INT(t, vl_store_list(s, "many", NULL, collect, &K, &err), VL_OK);
    CHECK_EQ_INT(t, K.n, n + 1);
    if (K.n == n + 1) CHECK_EQ_STR(t, K.k[n], "manyx");
    keys_free(&K);
    /* start_after in the middle of the second page */
    CHECK_EQ_INT(t, vl_store_list(s, "many/", "many/01500", collect, &K, &err), VL_OK);
    CHECK_EQ_INT(t, K.n, n - 1501);
    if (K.n) CHECK_EQ_STR(t, K.k[0], "many/01501");
    keys_free(&K);
    size_t seen = 0;
    CHECK_EQ_INT(t, vl_store_list(s, "many/", NULL, stop_at_10, &seen, &err), VL_OK);
    CHECK_EQ_INT(t, seen, 10);
    /* get_many: 40 keys at once, one of them absent; each answer its own */
    {
        enum { G = 40 };
        char gk[G][64];
        const char *gkeys[G];
        vl_buf gout[G];
        int grc[G];
        vl_error gerr[G];
        for (size_t i = 0; i < G; i++) {
            snprintf(gk[i], sizeof(gk[i]), i == 17 ? "many/99999" : "many/%05zu", i * 53);
            gkeys[i] = gk[i];
            vl_buf_init(&gout[i]);
        }
        vl_store_get_many(s, gkeys, G, gout, grc, gerr);
        bool all = true;
        for (size_t i = 0; i < G; i++) {
            if (i == 17) {
                CHECKF(t, grc[i] == VL_ENOTFOUND, "get_many of an absent key: %s", vl_strerror(grc[i]));
            } else if (grc[i] != VL_OK || gout[i].n != strlen(gk[i]) || memcmp(gout[i].p, gk[i], gout[i].n) != 0) {
                CHECKF(t, 0, "get_many %s: %s (%s), %zu bytes", gk[i], vl_strerror(grc[i]), gerr[i].msg, gout[i].n);
                all = false;
            }
            vl_buf_free(&gout[i]);
        }
        CHECK(t, all);
    }
    /* delete_many: every other key, with absent ones mixed in (batches of 1,000) */
    char **del = vl_calloc(n, sizeof(char *));
    size_t nd = 0;
    for (size_t i = 0; del && i < n + 200; i += 2) {
        char key[64];
        snprintf(key, sizeof(key), "many/%05zu", i);
        del[nd++] = vl_strndup(key, strlen(key));
        if (nd == n) break;
    }
    CHECK_EQ_INT(t, vl_store_delete_many(s, (const char *const *)del, nd, &err), VL_OK);
    for (size_t i = 0; i < nd; i++) vl_free(del[i]);
    vl_free(del);
    CHECK_EQ_INT(t, vl_store_list(s, "many/", NULL, collect, &K, &err), VL_OK);
    CHECK_EQ_INT(t, K.n, n / 2);
    bool odd_only = true;
    for (size_t i = 0; i < K.n; i++) odd_only &= (strtoul(K.k[i] + 5, NULL, 10) % 2) == 1;
    CHECK(t, odd_only);
    keys_free(&K);
    const char *bad[] = {"many/00001", "../x"};
    CHECK_EQ_INT(t, vl_store_delete_many(s, bad, 2, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "../x") != NULL);
    vl_buf b;
    vl_buf_init(&b);
    CHECK_EQ_INT(t, vl_store_get(s, "many/00001", &b, &err), VL_OK); /* nothing deleted */
    vl_buf_free(&b);
    wipe(t, s);
    vl_store_close(s);
}

typedef struct racer {
    vl_store *s;
    int id, wins, rc;
    vl_error err;
} racer;

static void *race(void *arg) {
    racer *r = arg;
    char key[64], val[64];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "_delta_log/%020d.json", i);
        snprintf(val, sizeof(val), "writer %d", r->id);
        int rc = vl_store_put_if_absent(r->s, key, val, strlen(val), &r->err);
        if (rc == VL_OK) r->wins++;
        else if (rc != VL_ECONFLICT) {
            r->rc = rc;
            break;
        }
    }
    return NULL;
}

static void t_put_if_absent_race(vl_test *t) {
    char url[512];
    NEED_S3(t);
    vl_store *s = open_fresh(t, url, sizeof(url));
    if (!s) return;
    racer R[6];
    pthread_t th[6];
    for (int i = 0; i < 6; i++) {
        R[i] = (racer){.s = s, .id = i};
        pthread_create(&th[i], NULL, race, &R[i]);
    }
    int wins = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        CHECKF(t, R[i].rc == VL_OK, "writer %d: %s", i, R[i].err.msg);
        wins += R[i].wins;
    }
    CHECK_EQ_INT(t, wins, 40);
    wipe(t, s);
    vl_store_close(s);
}

static void t_multipart(vl_test *t) {
    char url[512];
    /* parts of 5 MiB (S3's smallest) above 5 MiB, 3 at a time */
    NEED_S3(t);
    setenv("VIDLAKE_S3_MULTIPART_MB", "5", 1);
    setenv("VIDLAKE_S3_PART_MB", "5", 1);
    setenv("VIDLAKE_S3_UPLOAD_THREADS", "3", 1);
    vl_store *s = open_fresh(t, url, sizeof(url));
    unsetenv("VIDLAKE_S3_MULTIPART_MB");
    unsetenv("VIDLAKE_S3_PART_MB");
    unsetenv("VIDLAKE_S3_UPLOAD_THREADS");
    if (!s) return;
    vl_error err;
    size_t n = 23 * 1024 * 1024 + 12345; /* 5 parts, the last short */
    uint8_t *p = vl_malloc(n);
    REQUIRE(t, p != NULL);
    fill(p, n, 42);
    CHECKF(t, vl_store_put(s, "big/a.parquet", p, n, &err) == VL_OK, "%s", err.msg);
    vl_store_obj o;
    CHECK_EQ_INT(t, vl_store_head(s, "big/a.parquet", &o, &err), VL_OK);
    CHECK_EQ_INT(t, o.size, n);
    vl_buf b;
    vl_buf_init(&b);
    CHECK_EQ_INT(t, vl_store_get(s, "big/a.parquet", &b, &err), VL_OK);
    CHECK(t, b.n == n && memcmp(b.p, p, n) == 0);
    /* ranges across a part boundary, and the tail */
    size_t at = 5 * 1024 * 1024 - 100;
    CHECK_EQ_INT(t, vl_store_get_range(s, "big/a.parquet", at, 300, &b, &err), VL_OK);
    CHECK(t, b.n == 300 && memcmp(b.p, p + at, 300) == 0);
    CHECK_EQ_INT(t, vl_store_get_range(s, "big/a.parquet", n - 10, 100, &b, &err), VL_OK);
    CHECK(t, b.n == 10 && memcmp(b.p, p + n - 10, 10) == 0);
    /* replacing a multipart object with another, then with a small one */
    fill(p, n, 43);
    CHECK_EQ_INT(t, vl_store_put(s, "big/a.parquet", p, n - 7, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_get(s, "big/a.parquet", &b, &err), VL_OK);
    CHECK(t, b.n == n - 7 && memcmp(b.p, p, n - 7) == 0);
    CHECK_EQ_INT(t, vl_store_put(s, "big/a.parquet", p, 1000, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_head(s, "big/a.parquet", &o, &err), VL_OK);
    CHECK_EQ_INT(t, o.size, 1000);
    /* a commit is never multipart: put_if_absent of a large object */
    CHECK_EQ_INT(t, vl_store_put_if_absent(s, "big/b", p, 6 * 1024 * 1024, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_put_if_absent(s, "big/b", p + 1, 6 * 1024 * 1024, &err), VL_ECONFLICT);
    /* the same bytes again are indistinguishable from a resend of our own
     * request that landed: success (store.h) */
    CHECK_EQ_INT(t, vl_store_put_if_absent(s, "big/b", p, 6 * 1024 * 1024, &err), VL_OK);
    keys K = {0};
    CHECK_EQ_INT(t, vl_store_list(s, "", NULL, collect, &K, &err), VL_OK);
    CHECK_EQ_INT(t, K.n, 2);
    keys_free(&K);
    wipe(t, s);
    vl_buf_free(&b);
    vl_free(p);
    vl_store_close(s);
}

static void t_errors(vl_test *t) {
    NEED_S3(t);
    const char *base = getenv("VIDLAKE_TEST_S3_URL");
    vl_error err;
    vl_store *s = NULL;
    /* a bucket that does not exist: S3's code, and a request id */
    REQUIRE(t, vl_store_open("s3://vidlake-no-such-bucket/x", &s, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_store_put(s, "k", "v", 1, &err), VL_EIO);
    CHECKF(t, strstr(err.msg, "NoSuchBucket") && strstr(err.msg, "request id") && strstr(err.msg, "PUT k"), "%s",
           err.msg);
    vl_store_close(s);
    /* a wrong secret: 403 SignatureDoesNotMatch */
    char *secret = getenv("AWS_SECRET_ACCESS_KEY") ? vl_strndup(getenv("AWS_SECRET_ACCESS_KEY"), 200) : NULL;
    setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-wrong-secret-wrong-secret00", 1);
    int rc = vl_store_open(base, &s, &err);
    if (secret) setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
    vl_free(secret);
    REQUIRE(t, rc == VL_OK);
    vl_buf b;
    vl_buf_init(&b);
    CHECK_EQ_INT(t, vl_store_get(s, "k", &b, &err), VL_EIO);
    CHECKF(t, strstr(err.msg, "403") && strstr(err.msg, "SignatureDoesNotMatch"), "%s", err.msg);
    vl_buf_free(&b);
    vl_store_close(s);
    /* an endpoint that is not a URL */
    setenv("VIDLAKE_S3_ENDPOINT", "localhost:9000", 1);
    CHECK_EQ_INT(t, vl_store_open(base, &s, &err), VL_EINVAL);
    CHECKF(t, strstr(err.msg, "localhost:9000") && strstr(err.msg, "--s3-endpoint"), "%s", err.msg);
    unsetenv("VIDLAKE_S3_ENDPOINT");
    /* nobody listening: a transport error naming the key, after the retries */
    setenv("VIDLAKE_S3_ENDPOINT", "http://127.0.0.1:1", 1);
    REQUIRE(t, vl_store_open(base, &s, &err) == VL_OK);
    unsetenv("VIDLAKE_S3_ENDPOINT");
    CHECK_EQ_INT(t, vl_store_get(s, "k", &b, &err), VL_EIO);
    CHECKF(t, strstr(err.msg, "GET k") && strstr(err.msg, "onnect"), "%s", err.msg);
    vl_store_close(s);
}

static const vl_test_case cases[] = {
    {"s3: put, get, ranges, head, delete, put_if_absent", t_basics},
    {"s3: keys that need escaping round-trip and list in byte order", t_odd_keys},
    {"s3: listings across pages, prefixes, start_after; get_many; batch delete", t_list_pages},
    {"s3: put_if_absent: 6 threads racing on 40 keys, one winner each", t_put_if_absent_race},
    {"s3: multipart uploads: parts in parallel, whole on read, replaced", t_multipart},
    {"s3: errors carry S3's code, the key and the request id", t_errors},
};
VL_TEST_MAIN(cases)
