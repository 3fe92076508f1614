/* vidlake - Apache-2.0 */
/*
 * Arena (bump) allocator. Layout: a singly linked list of blocks, newest
 * first; each allocation is carved from the head block, 16-byte aligned.
 * Large requests (> block_size / 4) get a dedicated block inserted behind the
 * head so the head's free space is not wasted.
 *
 * reset keeps one block for the next round, big enough for everything the
 * round used: when the round needed several blocks they are replaced by one
 * of their total size. A steady-state loop (a batch, a row group) then stops
 * calling malloc and, more importantly, stops touching fresh pages: on
 * virtual machines a page fault costs microseconds, and decoding a column
 * into fresh memory was dominated by them. Blocks of 2 MiB and more are
 * advised as transparent huge pages for the same reason.
 */
#include "core.h"

#include <string.h>
#include <sys/mman.h>

struct vl_arena_block {
    vl_arena_block *next;
    size_t size; /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

#define ARENA_ALIGN 16
#define ARENA_MAX_BLOCK (64u << 20) /* growth stops doubling here */

void vl_arena_init(vl_arena *a, size_t first_block) {
    a->head = NULL;
    a->block_size = first_block ? first_block : 4096;
    a->total = 0;
    a->limit = 0;
}

#define HUGE_PAGE ((size_t)2 << 20)

static vl_arena_block *block_new(vl_arena *a, size_t size) {
    if (size > SIZE_MAX - sizeof(vl_arena_block)) return NULL;
    if (a->limit && (a->total + size > a->limit)) return NULL;
    vl_arena_block *b = vl_malloc(sizeof(*b) + size);
    if (!b) return NULL;
#ifdef MADV_HUGEPAGE
    if (size >= 2 * HUGE_PAGE) {
        /* the 2 MiB-aligned interior of the block; advice only, errors ignored */
        uintptr_t lo = ((uintptr_t)b->data + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)b->data + size) & ~(uintptr_t)(HUGE_PAGE - 1);
        if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    b->next = NULL;
    b->size = size;
    b->used = 0;
    a->total += size;
    return b;
}

void *vl_arena_alloc(vl_arena *a, size_t n) {
    if (n > SIZE_MAX - ARENA_ALIGN) return NULL;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0) need = ARENA_ALIGN;
    vl_arena_block *h = a->head;
    if (VL_LIKELY(h && h->size - h->used >= need)) {
        void *p = h->data + h->used;
        h->used += need;
        return p;
    }
    if (need > a->block_size / 4) {
        /* dedicated block, linked behind the head so the head stays current */
        vl_arena_block *b = block_new(a, need);
        if (!b) return NULL;
        b->used = need;
        if (h) {
            b->next = h->next;
            h->next = b;
        } else {
            a->head = b;
        }
        return b->data;
    }
    vl_arena_block *b = block_new(a, a->block_size);
    if (!b) return NULL;
    if (a->block_size < ARENA_MAX_BLOCK) a->block_size *= 2;
    b->next = h;
    a->head = b;
    b->used = need;
    return b->data;
}

void *vl_arena_memdup(vl_arena *a, const void *p, size_t n) {
    void *d = vl_arena_alloc(a, n);
    if (d && n) memcpy(d, p, n);
    return d;
}

void vl_arena_reset(vl_arena *a) {
    vl_arena_block *keep = NULL;
    size_t used = 0;
    for (vl_arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        used += b->used;
        if (!keep || b->size > keep->size) {
            if (keep) vl_free(keep);
            keep = b;
        } else {
            vl_free(b);
        }
    }
    a->head = NULL;
    a->total = 0;
    if (keep && keep->size < used) {
        /* the round needed more than the largest block: keep one that holds
         * it all (if that fails, the old block will do) */
        vl_arena_block *big = block_new(a, used + used / 8);
        if (big) {
            vl_free(keep);
            keep = big;
        }
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        a->head = keep;
        a->total = keep->size;
        if (a->block_size < keep->size && keep->size <= ARENA_MAX_BLOCK) a->block_size = keep->size;
    }
}

void vl_arena_destroy(vl_arena *a) {
    for (vl_arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        vl_free(b);
    }
    a->head = NULL;
    a->total = 0;
}
