/* vidlake - Apache-2.0 */
/*
 * A budgeted allocator for fuzz targets: installed as vidlake's allocation
 * hooks, it refuses any allocation that would take the live bytes past the
 * budget (so an input that asks for more gets VL_ENOMEM, as a hostile file
 * should, instead of the fuzzer's out-of-memory kill) and counts live
 * bytes, so a target can assert that an input freed everything.
 *
 *   static fuzz_budget B = {.limit = 256 << 20};
 *   fuzz_budget_install(&B); ...; FUZZ_ASSERT(B.live == 0); vl_alloc_set_hooks(NULL);
 */
#ifndef VL_FUZZ_BUDGET_H
#define VL_FUZZ_BUDGET_H

#include "core/core.h"

#include <stdlib.h>
#include <string.h>

typedef struct fuzz_budget {
    size_t limit, live;
    vl_alloc_hooks hooks;
} fuzz_budget;

/* Each block carries its size in a 16-byte header (keeps 16-byte alignment). */
static inline void *fuzz_budget_malloc(void *ctx, size_t n) {
    fuzz_budget *b = ctx;
    if (n > b->limit || b->live > b->limit - n) return NULL;
    unsigned char *p = malloc(n + 16);
    if (!p) return NULL;
    memcpy(p, &n, sizeof(n));
    b->live += n;
    return p + 16;
}

static inline void fuzz_budget_free(void *ctx, void *q) {
    fuzz_budget *b = ctx;
    if (!q) return;
    unsigned char *p = (unsigned char *)q - 16;
    size_t n;
    memcpy(&n, p, sizeof(n));
    b->live -= n;
    free(p);
}

static inline void *fuzz_budget_realloc(void *ctx, void *q, size_t n) {
    fuzz_budget *b = ctx;
    if (!q) return fuzz_budget_malloc(ctx, n);
    unsigned char *p = (unsigned char *)q - 16;
    size_t old;
    memcpy(&old, p, sizeof(old));
    if (n > old && (n - old > b->limit || b->live > b->limit - (n - old))) return NULL;
    unsigned char *np = realloc(p, n + 16);
    if (!np) return NULL;
    memcpy(np, &n, sizeof(n));
    b->live = b->live - old + n;
    return np + 16;
}

static inline void fuzz_budget_install(fuzz_budget *b) {
    b->hooks = (vl_alloc_hooks){fuzz_budget_malloc, fuzz_budget_realloc, fuzz_budget_free, b};
    vl_alloc_set_hooks(&b->hooks);
}

#endif /* VL_FUZZ_BUDGET_H */
