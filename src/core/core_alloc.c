/* vidlake - Apache-2.0 */
/*
 * Allocation hooks. Every heap allocation in vidlake goes through vl_malloc
 * and friends, so tests can swap the allocator or make the Nth allocation
 * fail and check that every error path releases what it took.
 */
#include "core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void *libc_realloc(void *ctx, void *p, size_t n) { (void)ctx; return realloc(p, n); }
static void libc_free(void *ctx, void *p) { (void)ctx; free(p); }

static vl_alloc_hooks hooks = {libc_malloc, libc_realloc, libc_free, NULL};
static _Atomic long fail_after = -1; /* allocations left before failing; -1 = never */
static _Atomic long alloc_count;

void vl_alloc_set_hooks(const vl_alloc_hooks *h) {
    if (h) hooks = *h;
    else hooks = (vl_alloc_hooks){libc_malloc, libc_realloc, libc_free, NULL};
}

void vl_alloc_fail_after(long n) {
    fail_after = n;
    alloc_count = 0;
}

long vl_alloc_count(void) { return alloc_count; }

/* Atomic, since threads allocate too (the bronze writer); the counting is
 * for tests, the fast path one relaxed add and one load. */
static bool should_fail(void) {
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    long f = atomic_load_explicit(&fail_after, memory_order_relaxed);
    if (f < 0) return false;
    if (f == 0) return true;
    atomic_fetch_sub_explicit(&fail_after, 1, memory_order_relaxed);
    return false;
}

void *vl_malloc(size_t n) {
    if (should_fail()) return NULL;
    return hooks.malloc_fn(hooks.ctx, n ? n : 1);
}

void *vl_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = vl_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *vl_zlib_alloc(void *opaque, unsigned items, unsigned size) {
    (void)opaque;
    return vl_calloc(items, size);
}

void vl_zlib_free(void *opaque, void *p) {
    (void)opaque;
    vl_free(p);
}

void *vl_realloc(void *p, size_t n) {
    if (should_fail()) return NULL;
    return hooks.realloc_fn(hooks.ctx, p, n ? n : 1);
}

void vl_free(void *p) {
    if (p) hooks.free_fn(hooks.ctx, p);
}

char *vl_strndup(const char *s, size_t n) {
    char *d = vl_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
