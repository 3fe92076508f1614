/* vidlake - Apache-2.0 */
/*
 * The store front: URL dispatch to an implementation, key and prefix
 * validation, and the thin wrappers that call through the operations table.
 * Keys are checked here once, so implementations can trust them (no "..",
 * no absolute paths, nothing that could escape the root directory or alias
 * another key on a filesystem).
 */
#include "store_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_SHOW 200 /* bytes of a bad key quoted in a message */

_Static_assert(VL_STORE_KEY_MAX == 1024, "the messages below say 1024");

bool vl_store__is_temp_name(const char *name, size_t n) {
    if (n < 6 || name[0] != '.') return false;
    for (size_t i = 1; i + 5 <= n; i++)
        if (memcmp(name + i, ".tmp.", 5) == 0) return true;
    return false;
}

static int bad_key(vl_error *err, const char *what, const char *key, const char *why) {
    size_t n = strlen(key);
    return vl_error_set(err, VL_EINVAL, "store: invalid %s \"%.*s%s\": %s", what,
                        (int)(n > KEY_SHOW ? KEY_SHOW : n), key, n > KEY_SHOW ? "..." : "", why);
}

/* Checks the components of key[0..n) (n > 0, no leading or trailing '/'). */
static int check_components(const char *what, const char *key, size_t n, vl_error *err) {
    if (key[0] == '/') return bad_key(err, what, key, "absolute (starts with '/')");
    if (memmem(key, n, "//", 2)) return bad_key(err, what, key, "contains \"//\"");
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && key[i] != '/') continue;
        const char *c = key + start;
        size_t cn = i - start;
        if (cn == 1 && c[0] == '.') return bad_key(err, what, key, "has a \".\" component");
        /* ".." only as a whole component: Delta leaves '.' unescaped in
         * partition directories ("r=v1..2") */
        if (cn == 2 && c[0] == '.' && c[1] == '.') return bad_key(err, what, key, "has a \"..\" component");
        if (vl_store__is_temp_name(c, cn))
            return bad_key(err, what, key,
                           "a component of the form \".<name>.tmp.<...>\" is reserved for temporary files");
        start = i + 1;
    }
    return VL_OK;
}

int vl_store_key_check(const char *key, vl_error *err) {
    if (!key) return vl_error_set(err, VL_EINVAL, "store: key is NULL");
    size_t n = strnlen(key, VL_STORE_KEY_MAX + 1);
    if (n == 0) return vl_error_set(err, VL_EINVAL, "store: invalid key \"\": empty");
    if (n > VL_STORE_KEY_MAX)
        return bad_key(err, "key", key, "longer than 1024 bytes");
    if (key[n - 1] == '/') return bad_key(err, "key", key, "ends with '/'");
    return check_components("key", key, n, err);
}

/* A prefix: "" or any string whose directory part (up to its last '/') is a
 * valid key; the part after it is matched against names as bytes. */
static int prefix_check(const char *prefix, vl_error *err) {
    size_t n = strnlen(prefix, VL_STORE_KEY_MAX + 1);
    if (n > VL_STORE_KEY_MAX)
        return bad_key(err, "prefix", prefix, "longer than 1024 bytes");
    if (n == 0) return VL_OK;
    if (prefix[0] == '/') return bad_key(err, "prefix", prefix, "absolute (starts with '/')");
    const char *last = strrchr(prefix, '/');
    if (strcmp(last ? last + 1 : prefix, "..") == 0) return bad_key(err, "prefix", prefix, "has a \"..\" component");
    if (strstr(prefix, "//")) return bad_key(err, "prefix", prefix, "contains \"//\"");
    const char *slash = strrchr(prefix, '/');
    if (!slash) return VL_OK;
    return check_components("prefix", prefix, (size_t)(slash - prefix), err);
}

int vl_store__hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int store_open(const char *url, vl_store **out, vl_error *err);

/* VIDLAKE_STORE_PUT_DELAY=DURATION makes every put that long slower: a slow
 * object store on a local disk, for back-pressure tests and demos. */
int vl_store_open(const char *url, vl_store **out, vl_error *err) {
    int rc = store_open(url, out, err);
    const char *d = getenv("VIDLAKE_STORE_PUT_DELAY");
    if (rc == VL_OK && d && *d) {
        int64_t us;
        if (vl_parse_duration_us(d, &us, err) != VL_OK) {
            vl_store_close(*out);
            *out = NULL;
            return vl_error_set(err, VL_EINVAL, "VIDLAKE_STORE_PUT_DELAY: '%s' is not a duration", d);
        }
        (*out)->put_delay_us = us;
    }
    return rc;
}

static void put_delay(const vl_store *s) {
    if (s->put_delay_us <= 0) return;
    struct timespec ts = {(time_t)(s->put_delay_us / 1000000), (long)(s->put_delay_us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int store_open(const char *url, vl_store **out, vl_error *err) {
    *out = NULL;
    if (!url || !*url) return vl_error_set(err, VL_EINVAL, "store: empty URL");
    if (strncmp(url, "s3://", 5) == 0 || strncmp(url, "s3a://", 6) == 0) return vl_store__s3_open(url, out, err);
    if (strncmp(url, "file:", 5) != 0) {
        const char *colon = strstr(url, "://");
        if (colon && colon != url && strcspn(url, "/") > (size_t)(colon - url))
            return vl_error_set(err, VL_ENOTSUP, "store: %s: unsupported scheme \"%.*s\"", url,
                                (int)(colon - url), url);
        return vl_store__local_open(url, url, out, err);
    }
    /* file:///abs, file://localhost/abs, file:/abs (the Hadoop form) */
    const char *p = url + 5;
    if (strncmp(p, "//", 2) == 0) {
        p += 2;
        if (strncmp(p, "localhost/", 10) == 0) p += 9;
        if (*p != '/')
            return vl_error_set(err, VL_EINVAL,
                                "store: %s: a file URL needs an absolute path (file:///path)", url);
    } else if (*p != '/') {
        return vl_error_set(err, VL_EINVAL, "store: %s: a file URL needs an absolute path", url);
    }
    size_t n = strlen(p);
    char *path = vl_malloc(n + 1);
    if (!path) return vl_error_set(err, VL_ENOMEM, "store: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            path[k++] = p[i];
            continue;
        }
        int hi = i + 2 < n ? vl_store__hexval(p[i + 1]) : -1;
        int lo = hi >= 0 ? vl_store__hexval(p[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            vl_free(path);
            return vl_error_set(err, VL_EINVAL, "store: %s: bad %%-escape at byte %zu", url,
                                (size_t)(p - url) + i);
        }
        path[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    path[k] = '\0';
    int rc = vl_store__local_open(url, path, out, err);
    vl_free(path);
    return rc;
}

void vl_store_close(vl_store *s) {
    if (s) s->ops->close(s);
}

const char *vl_store_url(const vl_store *s) { return s->url; }

int vl_store_get(vl_store *s, const char *key, vl_buf *out, vl_error *err) {
    vl_buf_clear(out);
    VL_RETURN_IF_ERR(vl_store_key_check(key, err));
    return s->ops->get_range(s, key, 0, UINT64_MAX, out, err);
}

int vl_store_get_range(vl_store *s, const char *key, uint64_t off, uint64_t len, vl_buf *out,
                       vl_error *err) {
    vl_buf_clear(out);
    VL_RETURN_IF_ERR(vl_store_key_check(key, err));
    if (len == UINT64_MAX) len--; /* UINT64_MAX means "to the end" inside */
    return s->ops->get_range(s, key, off, len, out, err);
}

int vl_store_put(vl_store *s, const char *key, const void *p, size_t n, vl_error *err) {
    VL_RETURN_IF_ERR(vl_store_key_check(key, err));
    put_delay(s);
    return s->ops->put(s, key, p, n, false, err);
}

int vl_store_put_if_absent(vl_store *s, const char *key, const void *p, size_t n, vl_error *err) {
    VL_RETURN_IF_ERR(vl_store_key_check(key, err));
    put_delay(s);
    return s->ops->put(s, key, p, n, true, err);
}

int vl_store_delete(vl_store *s, const char *key, vl_error *err) {
    VL_RETURN_IF_ERR(vl_store_key_check(key, err));
    return s->ops->del(s, key, err);
}

typedef struct get_many {
    vl_store *s;
    const char *const *keys;
    size_t n;
    vl_buf *outs;
    int *rcs;
    vl_error *errs;
    atomic_size_t next;
} get_many;

static void *get_many_worker(void *arg) {
    get_many *g = arg;
    for (size_t i; (i = atomic_fetch_add(&g->next, 1)) < g->n;)
        g->rcs[i] = vl_store_get(g->s, g->keys[i], &g->outs[i], &g->errs[i]);
    return NULL;
}

int vl_store_get_concurrency(const vl_store *s) {
    return s->ops->get_concurrency > 1 ? s->ops->get_concurrency : 1;
}

void vl_store_get_many(vl_store *s, const char *const *keys, size_t n, vl_buf *outs, int *rcs, vl_error *errs) {
    get_many g = {.s = s, .keys = keys, .n = n, .outs = outs, .rcs = rcs, .errs = errs};
    atomic_init(&g.next, 0);
    size_t workers = (size_t)vl_store_get_concurrency(s);
    if (workers > n) workers = n;
    pthread_t tid[64];
    size_t started = 0;
    for (; started + 1 < workers && started < 64; started++)
        if (pthread_create(&tid[started], NULL, get_many_worker, &g) != 0) break; /* fewer is fine */
    get_many_worker(&g);
    for (size_t i = 0; i < started; i++) pthread_join(tid[i], NULL);
}

int vl_store_delete_many(vl_store *s, const char *const *keys, size_t n, vl_error *err) {
    for (size_t i = 0; i < n; i++) VL_RETURN_IF_ERR(vl_store_key_check(keys[i], err));
    for (size_t i = 0; i < n;) {
        size_t k = n - i < VL_STORE_DELETE_BATCH ? n - i : VL_STORE_DELETE_BATCH;
        if (s->ops->del_many) {
            VL_RETURN_IF_ERR(s->ops->del_many(s, keys + i, k, err));
        } else {
            for (size_t j = 0; j < k; j++) VL_RETURN_IF_ERR(s->ops->del(s, keys[i + j], err));
        }
        i += k;
    }
    return VL_OK;
}

int vl_store_head(vl_store *s, const char *key, vl_store_obj *out, vl_error *err) {
    memset(out, 0, sizeof(*out));
    VL_RETURN_IF_ERR(vl_store_key_check(key, err));
    return s->ops->head(s, key, out, err);
}

int vl_store_list(vl_store *s, const char *prefix, const char *start_after, vl_store_list_cb cb,
                  void *ctx, vl_error *err) {
    if (!prefix) prefix = "";
    VL_RETURN_IF_ERR(prefix_check(prefix, err));
    return s->ops->list(s, prefix, start_after, cb, ctx, err);
}

int vl_store_sweep(vl_store *s, const char *prefix, int64_t older_than_us, size_t *removed, vl_error *err) {
    if (removed) *removed = 0;
    if (!prefix) prefix = "";
    VL_RETURN_IF_ERR(prefix_check(prefix, err));
    if (!s->ops->sweep) return VL_OK;
    return s->ops->sweep(s, prefix, older_than_us, removed, err);
}
