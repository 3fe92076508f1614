/* vidlake - Apache-2.0 */
/*
 * Unit tests for the object store (local implementation), each in a fresh
 * directory under $TMPDIR (or /tmp) that the test removes: every operation
 * and its edge cases, key validation, listing order against a brute-force
 * model, atomic replacement under a concurrent reader, put_if_absent raced
 * by four processes, and writers killed with SIGKILL mid-put.
 */
#include "store/store.h"
#include "vl_test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------- fixture */

typedef struct fixture {
    char dir[512];  /* the test's temporary directory */
    char root[600]; /* dir/lake: the store root (not created up front) */
    vl_store *s;
} fixture;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(p) == 0 ? 0 : -1;
}

static void rm_rf(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static bool fx_open(vl_test *t, fixture *fx) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(fx->dir, sizeof(fx->dir), "%s/vl-store-test.XXXXXX", tmp);
    if (!mkdtemp(fx->dir)) {
        CHECKF(t, 0, "mkdtemp %s: %s", fx->dir, strerror(errno));
        return false;
    }
    snprintf(fx->root, sizeof(fx->root), "%s/lake", fx->dir);
    vl_error err;
    if (vl_store_open(fx->root, &fx->s, &err) != VL_OK) {
        CHECKF(t, 0, "%s", err.msg);
        rm_rf(fx->dir);
        return false;
    }
    return true;
}

static void fx_close(fixture *fx) {
    vl_store_close(fx->s);
    fx->s = NULL;
    rm_rf(fx->dir);
}

static bool put_str(vl_test *t, vl_store *s, const char *key, const char *v) {
    vl_error err;
    int rc = vl_store_put(s, key, v, strlen(v), &err);
    CHECKF(t, rc == VL_OK, "put %s: %s", key, err.msg);
    return rc == VL_OK;
}

/* The object's bytes as a string ("<rc>" when the get fails); caller frees. */
static char *get_str(vl_store *s, const char *key) {
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    int rc = vl_store_get(s, key, &b, &err);
    char *r;
    if (rc != VL_OK) {
        r = malloc(32);
        snprintf(r, 32, "<%s>", vl_strerror(rc));
    } else {
        r = malloc(b.n + 1);
        memcpy(r, b.p, b.n);
        r[b.n] = '\0';
    }
    vl_buf_free(&b);
    return r;
}

#define CHECK_GET(t, s, key, want)                                                         \
    do {                                                                                   \
        char *vl__g = get_str(s, key);                                                     \
        CHECK_EQ_STR(t, vl__g, want);                                                      \
        free(vl__g);                                                                       \
    } while (0)

/* Collects a listing as "key\n" lines. */
static int collect_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)err;
    vl_buf *b = ctx;
    if (strlen(o->key) != o->key_len) return VL_EINVAL;
    if (vl_buf_append(b, o->key, o->key_len) != VL_OK || vl_buf_putc(b, '\n') != VL_OK)
        return VL_ENOMEM;
    return VL_OK;
}

/* The listing as a malloc'ed string, or "<CODE: msg>". */
static char *list_str(vl_store *s, const char *prefix, const char *after) {
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    int rc = vl_store_list(s, prefix, after, collect_cb, &b, &err);
    char *r = malloc(b.n + 600);
    if (rc != VL_OK)
        snprintf(r, b.n + 600, "<%s: %s>", vl_strerror(rc), err.msg);
    else {
        if (b.n) memcpy(r, b.p, b.n);
        r[b.n] = '\0';
    }
    vl_buf_free(&b);
    return r;
}

#define CHECK_LIST(t, s, prefix, after, want)                                              \
    do {                                                                                   \
        char *vl__l = list_str(s, prefix, after);                                          \
        CHECK_EQ_STR(t, vl__l, want);                                                      \
        free(vl__l);                                                                       \
    } while (0)

/* Counts temporary files anywhere under dir (a raw walk, not the store). */
static int n_temp;
static int count_temp_cb(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag;
    if (strstr(p + f->base, ".tmp.") && p[f->base] == '.') n_temp++;
    return 0;
}
static int count_temp(const char *dir) {
    n_temp = 0;
    nftw(dir, count_temp_cb, 16, FTW_PHYS);
    return n_temp;
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Self-checking content: "<hash> <n>\n" then n payload bytes from seed. */
static size_t make_blob(char *out, size_t n, uint64_t seed) {
    vl_rng r;
    vl_rng_seed(&r, seed);
    char *pl = out + 34;
    for (size_t i = 0; i < n; i++) pl[i] = (char)('a' + vl_rng_below(&r, 26));
    uint64_t h = vl_hash64(pl, n, 7);
    char head[40];
    snprintf(head, sizeof(head), "%016llx %016zx\n", (unsigned long long)h, n);
    memcpy(out, head, 34);
    return 34 + n;
}

static bool blob_ok(const char *p, size_t n) {
    if (n < 34 || p[16] != ' ' || p[33] != '\n') return false;
    char head[35];
    memcpy(head, p, 34);
    head[34] = '\0';
    unsigned long long h, len;
    if (sscanf(head, "%16llx %16llx", &h, &len) != 2) return false;
    return len == n - 34 && vl_hash64(p + 34, n - 34, 7) == h;
}

/* --------------------------------------------------------------- open */

static void t_open(vl_test *t) {
    vl_store *s = NULL;
    vl_error err;
    /* s3://: credentials from the environment or a profile; none here */
    const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"};
    for (size_t i = 0; i < 4; i++) unsetenv(vars[i]);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/vidlake-test-credentials", 1);
    CHECK_EQ_INT(t, vl_store_open("s3://bucket/lake", &s, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "no credentials") != NULL);
    CHECK(t, s == NULL);
    CHECK_EQ_INT(t, vl_store_open("s3:///lake", &s, &err), VL_EINVAL);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    CHECK_EQ_INT(t, vl_store_open("s3://bucket/lake/", &s, &err), VL_OK);
    if (s) CHECK_EQ_STR(t, vl_store_url(s), "s3://bucket/lake/");
    vl_store_close(s);
    s = NULL;
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    CHECK_EQ_INT(t, vl_store_open("gs://bucket/lake", &s, &err), VL_ENOTSUP);
    CHECK_EQ_INT(t, vl_store_open("", &s, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_open("file:relative/x", &s, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_open("file://host/x", &s, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_open("file:///tmp/a%2", &s, &err), VL_EINVAL);
    vl_store_close(NULL);

    fixture fx;
    if (!fx_open(t, &fx)) return;
    /* a root that does not exist yet: reads find nothing, a put creates it */
    vl_buf b;
    vl_buf_init(&b);
    CHECK_EQ_INT(t, vl_store_get(fx.s, "x", &b, &err), VL_ENOTFOUND);
    CHECK_LIST(t, fx.s, "", NULL, "");
    CHECK(t, !exists(fx.root));
    put_str(t, fx.s, "sub/x", "1");
    CHECK(t, exists(fx.root));

    /* the same directory through file:// URLs, with a %-escape */
    char url[1200], sp[700];
    snprintf(sp, sizeof(sp), "%s/with space", fx.dir);
    vl_store *s2;
    snprintf(url, sizeof(url), "file://%s/with%%20space/", fx.dir);
    REQUIRE(t, vl_store_open(url, &s2, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_store_url(s2), url);
    put_str(t, s2, "k", "v");
    vl_store_close(s2);
    snprintf(url, sizeof(url), "%s/k", sp);
    CHECK(t, exists(url));
    snprintf(url, sizeof(url), "file://localhost%s", fx.root);
    REQUIRE(t, vl_store_open(url, &s2, &err) == VL_OK);
    CHECK_GET(t, s2, "sub/x", "1");
    vl_store_close(s2);
    snprintf(url, sizeof(url), "file:%s", fx.root); /* file:/abs, the Hadoop form */
    REQUIRE(t, vl_store_open(url, &s2, &err) == VL_OK);
    CHECK_GET(t, s2, "sub/x", "1");
    vl_store_close(s2);

    /* a root that is a file */
    snprintf(url, sizeof(url), "%s/sub/x", fx.root);
    CHECK_EQ_INT(t, vl_store_open(url, &s2, &err), VL_EIO);
    CHECK(t, strstr(err.msg, "not a directory") != NULL);
    vl_buf_free(&b);
    fx_close(&fx);
}

/* ----------------------------------------------------------------- keys */

static void t_keys(vl_test *t) {
    static const char *const bad[] = {
        "", "/abs", "a/", "a//b", "..", "../x", "a/../b", "a/..", ".", "./a", "a/./b",
        "a/.", ".x.tmp.1.2", "a/.b.tmp.", "a/.b.tmp.99.abc/c",
    };
    vl_error err;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = vl_store_key_check(bad[i], &err);
        CHECKF(t, rc == VL_EINVAL, "\"%s\" accepted", bad[i]);
        if (rc == VL_EINVAL && *bad[i]) CHECKF(t, strstr(err.msg, bad[i]) != NULL, "%s", err.msg);
    }
    CHECK_EQ_INT(t, vl_store_key_check(NULL, &err), VL_EINVAL);
    static const char *const good[] = {
        "a", "a/b/c", "bronze/events/_delta_log/00000000000000000000.json", ".hidden", "a/.b",
        "a..b", "r=v1..2/part-0.parquet", "a/.../b", "a/..b/c", "x/b..",
        ".part-0.parquet.crc", "x.tmp.1", ".tmp", "a b/ü", "a.b/c-d_e",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECKF(t, vl_store_key_check(good[i], &err) == VL_OK, "\"%s\": %s", good[i], err.msg);

    char key[VL_STORE_KEY_MAX + 2];
    memset(key, 'k', sizeof(key));
    for (size_t i = 100; i < VL_STORE_KEY_MAX; i += 101) key[i] = '/';
    key[VL_STORE_KEY_MAX] = '\0';
    CHECK_EQ_INT(t, vl_store_key_check(key, &err), VL_OK);
    key[VL_STORE_KEY_MAX] = 'k';
    key[VL_STORE_KEY_MAX + 1] = '\0';
    CHECK_EQ_INT(t, vl_store_key_check(key, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "1024") != NULL);

    /* every operation checks, and nothing escapes the root */
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_buf b;
    vl_buf_init(&b);
    vl_store_obj o;
    CHECK_EQ_INT(t, vl_store_put(fx.s, "../escape", "x", 1, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "../escape") != NULL);
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, "/etc/x", "x", 1, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_get(fx.s, "a//b", &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_get_range(fx.s, "", 0, 1, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_head(fx.s, "a/", &o, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "..", &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_list(fx.s, "../", NULL, collect_cb, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_list(fx.s, "/a", NULL, collect_cb, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_store_list(fx.s, "a//b", NULL, collect_cb, &b, &err), VL_EINVAL);
    char esc[700];
    snprintf(esc, sizeof(esc), "%s/escape", fx.dir);
    CHECK(t, !exists(esc));
    vl_buf_free(&b);
    fx_close(&fx);
}

/* ------------------------------------------------------ put, get, head */

static void t_put_get_head(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);

    int64_t before = vl_now_us();
    put_str(t, fx.s, "a/b/c.json", "{\"x\":1}");
    CHECK_GET(t, fx.s, "a/b/c.json", "{\"x\":1}");
    vl_store_obj o;
    REQUIRE(t, vl_store_head(fx.s, "a/b/c.json", &o, &err) == VL_OK);
    CHECK_EQ_INT(t, o.size, 7);
    CHECK(t, o.key == NULL);
    /* filesystem timestamps may lag the clock by a tick */
    CHECKF(t, o.mtime_us >= before - 20000 && o.mtime_us <= vl_now_us() + 20000, "%lld vs %lld",
           (long long)o.mtime_us, (long long)before);

    /* binary, an empty object, NULL data with n == 0 */
    const char bin[] = {0, 1, 2, 0, (char)0xff, 0};
    REQUIRE(t, vl_store_put(fx.s, "bin", bin, sizeof(bin), &err) == VL_OK);
    REQUIRE(t, vl_store_get(fx.s, "bin", &b, &err) == VL_OK);
    CHECK(t, b.n == sizeof(bin) && memcmp(b.p, bin, sizeof(bin)) == 0);
    REQUIRE(t, vl_store_put(fx.s, "empty", NULL, 0, &err) == VL_OK);
    REQUIRE(t, vl_store_get(fx.s, "empty", &b, &err) == VL_OK);
    CHECK_EQ_INT(t, b.n, 0);
    REQUIRE(t, vl_store_head(fx.s, "empty", &o, &err) == VL_OK);
    CHECK_EQ_INT(t, o.size, 0);

    /* replace with a shorter and a longer object */
    put_str(t, fx.s, "a/b/c.json", "{}");
    CHECK_GET(t, fx.s, "a/b/c.json", "{}");
    put_str(t, fx.s, "a/b/c.json", "0123456789abcdef");
    CHECK_GET(t, fx.s, "a/b/c.json", "0123456789abcdef");

    /* absent keys, and prefixes that are directories here */
    b.n = 5;
    CHECK_EQ_INT(t, vl_store_get(fx.s, "a/b/missing", &b, &err), VL_ENOTFOUND);
    CHECK_EQ_STR(t, err.msg, "store: get a/b/missing: no such object");
    CHECK_EQ_INT(t, b.n, 0);
    CHECK_EQ_INT(t, vl_store_get(fx.s, "a/b", &b, &err), VL_ENOTFOUND);
    CHECK_EQ_INT(t, vl_store_get(fx.s, "a/b/c.json/d", &b, &err), VL_ENOTFOUND);
    CHECK_EQ_INT(t, vl_store_head(fx.s, "a", &o, &err), VL_ENOTFOUND);
    CHECK_EQ_INT(t, vl_store_head(fx.s, "nope/x", &o, &err), VL_ENOTFOUND);
    CHECK(t, strstr(err.msg, "nope/x") != NULL);

    /* what the filesystem mapping cannot hold: "x" and "x/..." together */
    CHECK_EQ_INT(t, vl_store_put(fx.s, "a/b", "x", 1, &err), VL_ENOTSUP);
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, "a/b", "x", 1, &err), VL_ENOTSUP);
    CHECK(t, strstr(err.msg, "a/b") != NULL);
    CHECK_EQ_INT(t, vl_store_put(fx.s, "a/b/c.json/d", "x", 1, &err), VL_ENOTSUP);
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, "a/b/c.json/d", "x", 1, &err), VL_ENOTSUP);
    CHECK_GET(t, fx.s, "a/b/c.json", "0123456789abcdef");

    /* an OS error carries the key and the reason */
    char path[800];
    snprintf(path, sizeof(path), "%s/ro", fx.root);
    REQUIRE(t, mkdir(path, 0555) == 0);
    if (geteuid() != 0) { /* root ignores permissions */
        CHECK_EQ_INT(t, vl_store_put(fx.s, "ro/x", "x", 1, &err), VL_EIO);
        CHECK_EQ_STR(t, err.msg, "store: put ro/x: Permission denied");
    }
    chmod(path, 0755);
    CHECK_EQ_INT(t, count_temp(fx.dir), 0);
    vl_buf_free(&b);
    fx_close(&fx);
}

static void t_ranges(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);
    put_str(t, fx.s, "r", "0123456789");
#define RANGE(off, len, want)                                                              \
    do {                                                                                   \
        int vl__rc = vl_store_get_range(fx.s, "r", off, len, &b, &err);                    \
        CHECKF(t, vl__rc == VL_OK, "[%d,+%d]: %s", (int)(off), (int)(len), err.msg);       \
        CHECKF(t, vl__rc == VL_OK && b.n == strlen(want) && memcmp(b.p, want, b.n) == 0,   \
               "[%d,+%d]: got %.*s", (int)(off), (int)(len), (int)b.n, b.p);               \
    } while (0)
    RANGE(0, 10, "0123456789");
    RANGE(0, 3, "012");
    RANGE(3, 4, "3456");
    RANGE(9, 1, "9");
    RANGE(7, 100, "789");             /* short read at the end */
    RANGE(0, UINT64_MAX, "0123456789"); /* "everything" */
    RANGE(5, 0, "");
    RANGE(10, 5, "");                 /* at the end: nothing, not an error */
    b.n = 3;
    CHECK_EQ_INT(t, vl_store_get_range(fx.s, "r", 11, 1, &b, &err), VL_ERANGE);
    CHECK(t, strstr(err.msg, "r: offset 11") != NULL);
    CHECK_EQ_INT(t, b.n, 0);
    CHECK_EQ_INT(t, vl_store_get_range(fx.s, "r", UINT64_MAX, 1, &b, &err), VL_ERANGE);
    CHECK_EQ_INT(t, vl_store_get_range(fx.s, "nothere", 0, 1, &b, &err), VL_ENOTFOUND);
    REQUIRE(t, vl_store_put(fx.s, "e", "", 0, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_store_get_range(fx.s, "e", 0, 10, &b, &err), VL_OK);
    CHECK_EQ_INT(t, b.n, 0);
    CHECK_EQ_INT(t, vl_store_get_range(fx.s, "e", 1, 10, &b, &err), VL_ERANGE);

    /* a larger object: the ranges agree with the whole */
    size_t n = 300000;
    char *big = malloc(n + 40);
    size_t bn = make_blob(big, n, 42);
    REQUIRE(t, vl_store_put(fx.s, "big", big, bn, &err) == VL_OK);
    vl_rng r;
    vl_rng_seed(&r, 1);
    for (int i = 0; i < 50; i++) {
        uint64_t off = vl_rng_below(&r, bn + 1), len = vl_rng_below(&r, 70000);
        REQUIRE(t, vl_store_get_range(fx.s, "big", off, len, &b, &err) == VL_OK);
        size_t want = (size_t)(off + len > bn ? bn - off : len);
        CHECK(t, b.n == want && memcmp(b.p, big + off, want) == 0);
    }
    REQUIRE(t, vl_store_get(fx.s, "big", &b, &err) == VL_OK);
    CHECK(t, b.n == bn && blob_ok(b.p, b.n));
    free(big);
    vl_buf_free(&b);
    fx_close(&fx);
#undef RANGE
}

/* ---------------------------------------------- put_if_absent, delete */

static void t_put_if_absent(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err;
    const char *k = "t/_delta_log/00000000000000000000.json";
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, k, "first", 5, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, k, "second", 6, &err), VL_ECONFLICT);
    CHECK(t, strstr(err.msg, k) != NULL);
    CHECK_GET(t, fx.s, k, "first");
    /* a plain put still replaces; put_if_absent still refuses */
    put_str(t, fx.s, k, "third");
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, k, "fourth", 6, &err), VL_ECONFLICT);
    CHECK_GET(t, fx.s, k, "third");
    /* after a delete the key is free again */
    CHECK_EQ_INT(t, vl_store_delete(fx.s, k, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, k, "fifth", 5, &err), VL_OK);
    CHECK_GET(t, fx.s, k, "fifth");
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, "e", NULL, 0, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, "e", NULL, 0, &err), VL_ECONFLICT);
    /* a very long last component: the temporary name must still fit */
    char key[300];
    memset(key, 'n', 250);
    memcpy(key, "d/", 2);
    key[250] = '\0';
    CHECK_EQ_INT(t, vl_store_put_if_absent(fx.s, key, "L", 1, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_put(fx.s, key, "M", 1, &err), VL_OK);
    CHECK_GET(t, fx.s, key, "M");
    CHECK_EQ_INT(t, count_temp(fx.dir), 0);
    fx_close(&fx);
}

static void t_delete(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err;
    put_str(t, fx.s, "a/b/c/d", "1");
    put_str(t, fx.s, "a/x", "2");
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "a/b/c/d", &err), VL_OK);
    CHECK_GET(t, fx.s, "a/b/c/d", "<ENOTFOUND>");
    /* the now-empty directories are gone, up to a non-empty one */
    char p[800];
    snprintf(p, sizeof(p), "%s/a/b", fx.root);
    CHECK(t, !exists(p));
    snprintf(p, sizeof(p), "%s/a", fx.root);
    CHECK(t, exists(p));
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "a/x", &err), VL_OK);
    CHECK(t, !exists(p));
    CHECK(t, exists(fx.root)); /* never the root */
    /* idempotent; absent keys, absent parents and prefixes are fine */
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "a/x", &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "no/such/key", &err), VL_OK);
    put_str(t, fx.s, "p/q", "3");
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "p", &err), VL_OK);
    CHECK_GET(t, fx.s, "p/q", "3");
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "p/q/r", &err), VL_OK);
    CHECK_GET(t, fx.s, "p/q", "3");
    CHECK_LIST(t, fx.s, "", NULL, "p/q\n");
    /* delete_many: every key checked first, then all of them (in batches) */
    put_str(t, fx.s, "m/1", "1");
    put_str(t, fx.s, "m/2", "2");
    /* get_many: each key's own answer, in turn on a local store */
    const char *gk[] = {"m/2", "m/absent", "m/1", "m/../x"};
    vl_buf gb[4];
    int grc[4];
    vl_error gerr[4];
    for (int i = 0; i < 4; i++) vl_buf_init(&gb[i]);
    vl_store_get_many(fx.s, gk, 4, gb, grc, gerr);
    CHECK(t, grc[0] == VL_OK && gb[0].n == 1 && gb[0].p[0] == '2');
    CHECK_EQ_INT(t, grc[1], VL_ENOTFOUND);
    CHECK(t, grc[2] == VL_OK && gb[2].n == 1 && gb[2].p[0] == '1');
    CHECK(t, grc[3] == VL_EINVAL && strstr(gerr[3].msg, "m/../x") != NULL);
    for (int i = 0; i < 4; i++) vl_buf_free(&gb[i]);
    const char *bad[] = {"m/1", "m/../x"};
    CHECK_EQ_INT(t, vl_store_delete_many(fx.s, bad, 2, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "m/../x") != NULL);
    CHECK_LIST(t, fx.s, "", NULL, "m/1\nm/2\np/q\n");
    const char *good[] = {"m/1", "m/absent", "m/2"};
    CHECK_EQ_INT(t, vl_store_delete_many(fx.s, good, 3, &err), VL_OK);
    CHECK_EQ_INT(t, vl_store_delete_many(fx.s, good, 0, &err), VL_OK);
    CHECK_LIST(t, fx.s, "", NULL, "p/q\n");
    fx_close(&fx);
}

/* ----------------------------------------------------------------- list */

static void t_list_order(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    /* '-' (0x2d) < '.' (0x2e) < '/' (0x2f) < '0' (0x30): a directory "b"
     * sorts as "b/", between "b.d" and "b0" */
    static const char *const keys[] = {"a/b/c", "a/b/a/z", "a/bc", "a/b.d", "a/b-e", "a/b0",
                                       "a.txt", "a0", "b", "a/b/c2/x/y"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) put_str(t, fx.s, keys[i], keys[i]);
    const char *all = "a.txt\na/b-e\na/b.d\na/b/a/z\na/b/c\na/b/c2/x/y\na/b0\na/bc\na0\nb\n";
    CHECK_LIST(t, fx.s, "", NULL, all);
    CHECK_LIST(t, fx.s, NULL, NULL, all);
    /* prefixes that split names */
    CHECK_LIST(t, fx.s, "a/b", NULL, "a/b-e\na/b.d\na/b/a/z\na/b/c\na/b/c2/x/y\na/b0\na/bc\n");
    CHECK_LIST(t, fx.s, "a/b/", NULL, "a/b/a/z\na/b/c\na/b/c2/x/y\n");
    CHECK_LIST(t, fx.s, "a/b/c", NULL, "a/b/c\na/b/c2/x/y\n");
    CHECK_LIST(t, fx.s, "a", NULL, "a.txt\na/b-e\na/b.d\na/b/a/z\na/b/c\na/b/c2/x/y\na/b0\na/bc\na0\n");
    CHECK_LIST(t, fx.s, "a/", NULL, "a/b-e\na/b.d\na/b/a/z\na/b/c\na/b/c2/x/y\na/b0\na/bc\n");
    CHECK_LIST(t, fx.s, "a.", NULL, "a.txt\n");
    CHECK_LIST(t, fx.s, "b", NULL, "b\n");
    CHECK_LIST(t, fx.s, "c", NULL, "");
    CHECK_LIST(t, fx.s, "zz/top/", NULL, "");
    CHECK_LIST(t, fx.s, "b/", NULL, ""); /* under a file */
    CHECK_LIST(t, fx.s, "a/b/c2/x/y", NULL, "a/b/c2/x/y\n");
    /* start_after: a key, a non-key, a prefix, past the end */
    CHECK_LIST(t, fx.s, "", "a/b.d", "a/b/a/z\na/b/c\na/b/c2/x/y\na/b0\na/bc\na0\nb\n");
    CHECK_LIST(t, fx.s, "", "a/b/", "a/b/a/z\na/b/c\na/b/c2/x/y\na/b0\na/bc\na0\nb\n");
    CHECK_LIST(t, fx.s, "", "a/b/b", "a/b/c\na/b/c2/x/y\na/b0\na/bc\na0\nb\n");
    CHECK_LIST(t, fx.s, "a/b", "a/b/c", "a/b/c2/x/y\na/b0\na/bc\n");
    CHECK_LIST(t, fx.s, "", "a/b/c2/x/y", "a/b0\na/bc\na0\nb\n");
    CHECK_LIST(t, fx.s, "", "", all);
    CHECK_LIST(t, fx.s, "", "b", "");
    CHECK_LIST(t, fx.s, "", "zzz", "");
    CHECK_LIST(t, fx.s, "a/b/", "a/bc", "");
    fx_close(&fx);
}

static int stop_after_two(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)o, (void)err;
    return ++*(int *)ctx == 2 ? VL_STORE_STOP : VL_OK;
}

static int fail_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)ctx, (void)o;
    return vl_error_set(err, VL_ECORRUPT, "callback says no");
}

static int sizes_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)err;
    uint64_t *sum = ctx;
    *sum += o->size * 1000;
    if (o->mtime_us > 0) (*sum)++;
    return VL_OK;
}

static void t_list_hides_temps(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    put_str(t, fx.s, "d/x", "12");
    put_str(t, fx.s, "y", "345");
    /* leftovers of killed writers, and a file named like one */
    char p[800];
    const char *junk[] = {"d/.x.tmp.123.00ff", ".y.tmp.1.2", "d/.z.tmp.", ".w.tmp.9.9"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", fx.root, junk[i]);
        FILE *f = fopen(p, "w");
        REQUIRE(t, f);
        fputs("partial", f);
        fclose(f);
    }
    CHECK_LIST(t, fx.s, "", NULL, "d/x\ny\n");
    CHECK_LIST(t, fx.s, "d/", NULL, "d/x\n");
    CHECK_LIST(t, fx.s, "d/.", NULL, "");
    CHECK_LIST(t, fx.s, ".", NULL, "");
    /* sizes and times come with each object */
    uint64_t sum = 0;
    vl_error err;
    CHECK_EQ_INT(t, vl_store_list(fx.s, "", NULL, sizes_cb, &sum, &err), VL_OK);
    CHECK_EQ_INT(t, sum, 2002 + 3000);
    /* the callback can stop early or fail */
    int seen = 0;
    put_str(t, fx.s, "z", "");
    CHECK_EQ_INT(t, vl_store_list(fx.s, "", NULL, stop_after_two, &seen, &err), VL_OK);
    CHECK_EQ_INT(t, seen, 2);
    CHECK_EQ_INT(t, vl_store_list(fx.s, "", NULL, fail_cb, NULL, &err), VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "callback says no");
    /* a delete leaves the temporary files alone and the directory with them */
    CHECK_EQ_INT(t, vl_store_delete(fx.s, "d/x", &err), VL_OK);
    CHECK_LIST(t, fx.s, "", NULL, "y\nz\n");
    fx_close(&fx);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Random trees against a brute-force model: filter and sort all keys. */
static void t_list_model(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    static const char *const parts[] = {"a", "b", "a.b", "a-c", "ab", "b0", "a~", "-", "a.b.c"};
    enum { N = 120 };
    char *keys[N];
    size_t nk = 0;
    vl_rng r;
    vl_rng_seed(&r, 2024);
    for (int tries = 0; nk < N && tries < 10000; tries++) {
        char k[64] = "";
        int depth = 1 + (int)vl_rng_below(&r, 4);
        for (int d = 0; d < depth; d++) {
            if (d) strcat(k, "/");
            strcat(k, parts[vl_rng_below(&r, sizeof(parts) / sizeof(parts[0]))]);
        }
        /* no duplicates; never both "x" and "x/..." */
        bool clash = false;
        size_t kl = strlen(k);
        for (size_t i = 0; i < nk && !clash; i++) {
            size_t il = strlen(keys[i]);
            clash = strcmp(keys[i], k) == 0 ||
                    (il < kl && strncmp(k, keys[i], il) == 0 && k[il] == '/') ||
                    (kl < il && strncmp(keys[i], k, kl) == 0 && keys[i][kl] == '/');
        }
        if (clash) continue;
        keys[nk] = strdup(k);
        if (!put_str(t, fx.s, k, "v")) break;
        nk++;
    }
    qsort(keys, nk, sizeof(keys[0]), cmp_str);
    /* prefixes: every prefix of a few keys, plus some that match nothing */
    vl_buf want;
    vl_buf_init(&want);
    int queries = 0;
    for (size_t i = 0; i < nk; i += 11) {
        for (size_t pl = 0; pl <= strlen(keys[i]); pl++) {
            char prefix[64];
            memcpy(prefix, keys[i], pl);
            prefix[pl] = '\0';
            if (strstr(prefix, "//")) continue;
            for (int a = 0; a < 3; a++) {
                const char *after = a == 0 ? NULL : keys[vl_rng_below(&r, nk)];
                char after2[64];
                if (a == 2) { /* a non-key bound: a key cut short */
                    snprintf(after2, sizeof(after2), "%.*s", (int)vl_rng_below(&r, strlen(after) + 1), after);
                    after = after2;
                }
                vl_buf_clear(&want);
                for (size_t j = 0; j < nk; j++)
                    if (strncmp(keys[j], prefix, pl) == 0 && (!after || strcmp(keys[j], after) > 0)) {
                        REQUIRE(t, vl_buf_puts(&want, keys[j]) == VL_OK);
                        REQUIRE(t, vl_buf_putc(&want, '\n') == VL_OK);
                    }
                char *got = list_str(fx.s, prefix, after);
                const char *w = vl_buf_cstr(&want);
                CHECKF(t, strcmp(got, w) == 0, "prefix \"%s\" after \"%s\":\n got %s\nwant %s", prefix,
                       after ? after : "(null)", got, w);
                free(got);
                queries++;
            }
        }
    }
    CHECK(t, queries > 100);
    vl_buf_free(&want);
    for (size_t i = 0; i < nk; i++) free(keys[i]);
    fx_close(&fx);
}

/* Allocation failures: every one gives a clean VL_ENOMEM and no leak. */
static void t_list_get_oom(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    for (int i = 0; i < 80; i++) {
        char k[32];
        snprintf(k, sizeof(k), "d%d/k%02d", i % 3, i);
        put_str(t, fx.s, k, "value");
    }
    int failures = 0;
    for (long n = 0; n < 1000; n++) {
        int count = 0;
        vl_error err;
        vl_alloc_fail_after(n);
        int rc = vl_store_list(fx.s, "", NULL, stop_after_two, &count, &err);
        vl_alloc_fail_after(-1);
        if (rc == VL_OK) break;
        CHECKF(t, rc == VL_ENOMEM, "%s", err.msg);
        failures++;
    }
    CHECK(t, failures > 0);
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    vl_alloc_fail_after(0);
    int rc = vl_store_get(fx.s, "d0/k00", &b, &err);
    vl_alloc_fail_after(-1);
    CHECK_EQ_INT(t, rc, VL_ENOMEM);
    vl_store *s2 = NULL;
    vl_alloc_fail_after(0);
    rc = vl_store_open(fx.root, &s2, &err);
    vl_alloc_fail_after(-1);
    CHECK_EQ_INT(t, rc, VL_ENOMEM);
    CHECK(t, s2 == NULL);
    vl_buf_free(&b);
    fx_close(&fx);
}

/* ------------------------------------------------- processes and crashes */

/* A reader never sees a partial object while a writer replaces it. */
static void t_put_replaces_atomically(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    enum { SA = 65536, SB = 200000 };
    char *a = malloc(SA), *bb = malloc(SB);
    memset(a, 'A', SA);
    memset(bb, 'B', SB);
    vl_error err;
    REQUIRE(t, vl_store_put(fx.s, "obj", a, SA, &err) == VL_OK);
    pid_t pid = fork();
    REQUIRE(t, pid >= 0);
    if (pid == 0) {
        int64_t end = vl_mono_us() + 700000;
        for (int i = 0; vl_mono_us() < end; i++)
            if (vl_store_put(fx.s, "obj", i % 2 ? a : bb, i % 2 ? SA : SB, NULL) != VL_OK) _exit(2);
        _exit(0);
    }
    vl_buf b;
    vl_buf_init(&b);
    int reads = 0, bad = 0, na = 0, nb = 0;
    for (;;) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            CHECKF(t, WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer status %d", st);
            break;
        }
        if (vl_store_get(fx.s, "obj", &b, &err) != VL_OK) {
            bad++;
            continue;
        }
        reads++;
        if (b.n == SA && memcmp(b.p, a, SA) == 0) na++;
        else if (b.n == SB && memcmp(b.p, bb, SB) == 0) nb++;
        else bad++;
    }
    CHECKF(t, bad == 0, "%d of %d reads saw a partial or missing object", bad, reads);
    CHECKF(t, na > 0 && nb > 0, "saw %d A and %d B", na, nb);
    CHECK_EQ_INT(t, count_temp(fx.dir), 0);
    free(a);
    free(bb);
    vl_buf_free(&b);
    fx_close(&fx);
}

/* Four processes race put_if_absent on the same keys: one winner each. */
static void t_put_if_absent_race(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    enum { PROCS = 4, KEYS = 200 };
    int gate[2], res[PROCS][2];
    pid_t pids[PROCS];
    REQUIRE(t, pipe(gate) == 0);
    for (int w = 0; w < PROCS; w++) {
        REQUIRE(t, pipe(res[w]) == 0);
        pids[w] = fork();
        REQUIRE(t, pids[w] >= 0);
        if (pids[w] == 0) {
            close(gate[1]);
            char c;
            (void)!read(gate[0], &c, 1); /* returns 0 when the parent opens the gate */
            char *blob = malloc(8000);
            int status = 0;
            for (int k = 0; k < KEYS; k++) {
                /* alternate directions so that the processes really collide */
                int key = w % 2 ? KEYS - 1 - k : k;
                char name[64];
                snprintf(name, sizeof(name), "race/%02d/_delta_log/%020d.json", key % 7, key);
                uint64_t seed = (uint64_t)w << 32 | (uint64_t)key;
                size_t n = make_blob(blob, 1 + (size_t)vl_mix64(seed) % 7000, seed);
                vl_error e;
                int rc = vl_store_put_if_absent(fx.s, name, blob, n, &e);
                if (rc == VL_OK) {
                    uint16_t kk = (uint16_t)key;
                    if (write(res[w][1], &kk, 2) != 2) status = 3;
                } else if (rc != VL_ECONFLICT) {
                    fprintf(stderr, "writer %d: %s\n", w, e.msg);
                    status = 2;
                }
            }
            free(blob);
            _exit(status);
        }
        close(res[w][1]);
    }
    close(gate[0]);
    close(gate[1]); /* go */
    int winner[KEYS];
    for (int k = 0; k < KEYS; k++) winner[k] = -1;
    int dup = 0;
    for (int w = 0; w < PROCS; w++) {
        int st;
        REQUIRE(t, waitpid(pids[w], &st, 0) == pids[w]);
        CHECKF(t, WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d status %d", w, st);
        uint16_t kk;
        while (read(res[w][0], &kk, 2) == 2) {
            if (kk >= KEYS) continue;
            if (winner[kk] >= 0) dup++;
            winner[kk] = w;
        }
        close(res[w][0]);
    }
    CHECKF(t, dup == 0, "%d keys were won twice", dup);
    vl_buf b;
    vl_buf_init(&b);
    char *blob = malloc(8000);
    int missing = 0, wrong = 0, wins[PROCS] = {0};
    for (int k = 0; k < KEYS; k++) {
        char name[64];
        snprintf(name, sizeof(name), "race/%02d/_delta_log/%020d.json", k % 7, k);
        vl_error err;
        if (winner[k] < 0 || vl_store_get(fx.s, name, &b, &err) != VL_OK) {
            missing++;
            continue;
        }
        wins[winner[k]]++;
        uint64_t seed = (uint64_t)winner[k] << 32 | (uint64_t)k;
        size_t n = make_blob(blob, 1 + (size_t)vl_mix64(seed) % 7000, seed);
        if (b.n != n || memcmp(b.p, blob, n) != 0 || !blob_ok(b.p, b.n)) wrong++;
    }
    CHECKF(t, missing == 0, "%d keys without a winner or an object", missing);
    CHECKF(t, wrong == 0, "%d objects are not their winner's bytes", wrong);
    int contenders = 0;
    for (int w = 0; w < PROCS; w++) contenders += wins[w] > 0;
    CHECKF(t, contenders >= 2, "no race happened: wins %d %d %d %d", wins[0], wins[1], wins[2], wins[3]);
    char *l = list_str(fx.s, "race/", NULL);
    int lines = 0;
    for (char *c = l; *c; c++) lines += *c == '\n';
    CHECK_EQ_INT(t, lines, KEYS);
    free(l);
    CHECK_EQ_INT(t, count_temp(fx.dir), 0);
    free(blob);
    vl_buf_free(&b);
    fx_close(&fx);
}

typedef struct crash_check {
    vl_store *s;
    vl_buf buf;
    char verified[64]; /* every k-object up to this key was read back whole */
    int bad;           /* incomplete objects */
    int temps;         /* temporary names listed */
    int maxk;          /* highest put_if_absent index seen */
    int count;         /* put_if_absent objects */
} crash_check;

/* Reads back every object not verified before ("crash/latest" each time,
 * since puts replace it) and checks its embedded checksum. */
static int crash_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    crash_check *c = ctx;
    const char *slash = strrchr(o->key, '/');
    int k = -1;
    if (strstr(o->key, ".tmp.")) c->temps++;
    if (slash && sscanf(slash + 1, "k%d", &k) == 1) {
        c->count++;
        if (k > c->maxk) c->maxk = k;
    }
    if (k >= 0 && strcmp(o->key, c->verified) <= 0) return VL_OK;
    int rc = vl_store_get(c->s, o->key, &c->buf, err);
    if (rc != VL_OK && rc != VL_ENOTFOUND) return rc;
    if (rc == VL_ENOTFOUND || !blob_ok(c->buf.p, c->buf.n)) { /* listed objects never go away */
        c->bad++;
        return VL_OK;
    }
    if (k >= 0 && o->key_len < sizeof(c->verified)) memcpy(c->verified, o->key, o->key_len + 1);
    return VL_OK;
}

static int crash_pass(crash_check *c, vl_error *err) {
    c->temps = c->count = 0;
    c->maxk = -1;
    return vl_store_list(c->s, "crash/", NULL, crash_cb, c, err);
}

/* A writer killed with SIGKILL at random moments (often inside a write or
 * an fsync) leaves only complete objects behind, and its temporary files
 * never show in a listing. While it runs, the parent keeps reading back
 * every new object, so an object visible before it is complete is caught
 * too. */
static void t_crash_safety(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    uint64_t seed = (uint64_t)vl_now_us();
    vl_rng r;
    vl_rng_seed(&r, seed);
    crash_check c = {.s = fx.s, .maxk = -1};
    vl_buf_init(&c.buf);
    int next = 0, bad = 0, temps = 0;
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        REQUIRE(t, pid >= 0);
        if (pid == 0) {
            char *blob = malloc(1 << 20);
            for (int k = next;; k++) {
                char name[64];
                /* a new directory every 16 keys: crashes inside make_dirs too */
                snprintf(name, sizeof(name), "crash/d%04d/k%06d", k / 16, k);
                /* sizes up to 1 MiB, so that kills land inside writes */
                size_t n = make_blob(blob, 100 + (size_t)vl_mix64((uint64_t)k) % ((1 << 20) - 200),
                                     (uint64_t)k);
                if (vl_store_put_if_absent(fx.s, name, blob, n, NULL) != VL_OK) _exit(2);
                if (vl_store_put(fx.s, "crash/latest", blob, n, NULL) != VL_OK) _exit(3);
            }
        }
        int64_t until = vl_mono_us() + 2000 + (int64_t)vl_rng_below(&r, 80000); /* a put: ~1-5 ms */
        vl_error err;
        while (vl_mono_us() < until) {
            int rc = crash_pass(&c, &err);
            CHECKF(t, rc == VL_OK, "%s", err.msg);
        }
        kill(pid, SIGKILL);
        int st;
        REQUIRE(t, waitpid(pid, &st, 0) == pid);
        CHECKF(t, WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "seed %llu round %d: writer status %d",
               (unsigned long long)seed, round, st);
        int rc = crash_pass(&c, &err);
        CHECKF(t, rc == VL_OK, "%s", err.msg);
        /* the writer goes in order, so the keys are exactly 0..maxk */
        CHECKF(t, c.count == c.maxk + 1, "seed %llu round %d: %d objects, highest k%06d",
               (unsigned long long)seed, round, c.count, c.maxk);
        CHECK(t, c.maxk + 1 >= next);
        next = c.maxk + 1;
        temps += c.temps;
    }
    bad = c.bad;
    CHECKF(t, bad == 0, "seed %llu: %d incomplete objects seen", (unsigned long long)seed, bad);
    CHECK_EQ_INT(t, temps, 0);
    CHECKF(t, next >= 10, "only %d objects written", next);
    vl_buf_free(&c.buf);
    fx_close(&fx);
}

/* Leftovers of killed writers go with vl_store_sweep once old enough; live
 * objects, fresh temporaries and files outside the prefix stay. */
static void t_sweep(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    put_str(t, fx.s, "t/a/x", "12");
    put_str(t, fx.s, "u/y", "3");
    const char *junk[] = {"t/a/.x.tmp.123.00ff", "t/.b.tmp.1.2", "u/.y.tmp.9.9", "t/a/.fresh.tmp.5.5"};
    char p[800];
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", fx.root, junk[i]);
        FILE *f = fopen(p, "w");
        REQUIRE(t, f);
        fputs("partial", f);
        fclose(f);
        if (i < 3) {
            struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}}; /* 2001 */
            CHECK(t, utimensat(AT_FDCWD, p, ts, 0) == 0);
        }
    }
    vl_error err;
    size_t n = 99;
    int64_t cutoff = vl_now_us() - 3600 * VL_US_PER_SEC;
    CHECK_EQ_INT(t, vl_store_sweep(fx.s, "t/", cutoff, &n, &err), VL_OK);
    CHECK_EQ_INT(t, n, 2);
    struct stat st;
    snprintf(p, sizeof(p), "%s/t/a/.x.tmp.123.00ff", fx.root);
    CHECK(t, stat(p, &st) != 0);
    snprintf(p, sizeof(p), "%s/t/a/.fresh.tmp.5.5", fx.root);
    CHECK(t, stat(p, &st) == 0); /* too young: a put may be in flight */
    snprintf(p, sizeof(p), "%s/u/.y.tmp.9.9", fx.root);
    CHECK(t, stat(p, &st) == 0); /* outside the prefix */
    CHECK_LIST(t, fx.s, "", NULL, "t/a/x\nu/y\n");
    CHECK_EQ_INT(t, vl_store_sweep(fx.s, "", vl_now_us() + VL_US_PER_SEC, &n, &err), VL_OK);
    CHECK_EQ_INT(t, n, 2);
    CHECK_LIST(t, fx.s, "", NULL, "t/a/x\nu/y\n");
    CHECK_EQ_INT(t, vl_store_sweep(fx.s, "../x", 0, &n, &err), VL_EINVAL);
    fx_close(&fx);
}

static const vl_test_case cases[] = {
    {"open: paths, file:// URLs, s3:// credentials, a missing root is empty", t_open},
    {"keys: invalid ones are refused by name, nothing escapes the root", t_keys},
    {"put, get and head: round trips, replace, absent keys, errors name the key", t_put_get_head},
    {"get_range: slices, short reads at the end, offsets past it", t_ranges},
    {"put_if_absent: the second writer gets ECONFLICT", t_put_if_absent},
    {"delete: idempotent, prunes empty directories, never the root; get_many, delete_many", t_delete},
    {"list: byte-wise key order across directories, split-name prefixes, start_after", t_list_order},
    {"list: temporary files are invisible; callbacks stop or fail", t_list_hides_temps},
    {"list: random trees agree with a brute-force model", t_list_model},
    {"list and get: allocation failures are clean", t_list_get_oom},
    {"put replaces atomically under a concurrent reader", t_put_replaces_atomically},
    {"put_if_absent: 4 processes racing on 200 keys, one winner each", t_put_if_absent_race},
    {"crash safety: writers killed with SIGKILL leave only complete objects", t_crash_safety},
    {"sweep removes old temporaries of dead writers under a prefix", t_sweep},
};
VL_TEST_MAIN(cases)
