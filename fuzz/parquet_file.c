/* vidlake - Apache-2.0 */
/*
 * Fuzz target: a whole Parquet file from memory. Whatever opens has every
 * column of every row group decoded and every row written as NDJSON and as
 * CSV to a sink that discards them. A refusal must carry a known code and a
 * message; the decoded columns must be self-consistent.
 *
 * Memory: all of vidlake's allocations go through a budget (vl_alloc hooks)
 * of MEM_BUDGET live bytes, so a file that asks for more gets VL_ENOMEM, a
 * clean refusal, instead of reaching libFuzzer's 2 GB RSS limit. Files whose
 * footers claim more values than MAX_VALUES are skipped: decoding them is
 * legitimate but slow (an RLE run of a million nulls takes 3 bytes), and the
 * reader refuses pages that hold more values than the footer admits, so
 * this bounds the work per input.
 *
 * The same file is then read in ranges (vl_pq_reader_open_ranged, a fetch
 * from memory that asserts it is only asked for bytes the file has): the
 * first leaves of the first row groups, each loaded alone, must decode
 * exactly as from the whole file.
 */
#include "fuzz_budget.h"
#include "fuzz.h"
#include "parquet/parquet.h"

#include <stdlib.h>
#include <string.h>

#define MEM_BUDGET ((size_t)512 << 20)
#define MAX_VALUES ((int64_t)1 << 21)

static fuzz_budget g_budget = {.limit = MEM_BUDGET};

/* ------------------------------------------------------------- target */

static int discard(void *ctx, const char *p, size_t n, vl_error *err) {
    (void)err;
    size_t *total = ctx;
    FUZZ_ASSERT(n > 0 && p[n - 1] == '\n');
    *total += n;
    return VL_OK;
}

static bool known_code(int rc) {
    return rc == VL_ECORRUPT || rc == VL_ENOTSUP || rc == VL_ENOMEM || rc == VL_ERANGE;
}

/* Footer counts that would make decoding legitimately slow. */
static bool too_big(const vl_pq_file_meta *m) {
    int64_t values = 0;
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        const vl_pq_row_group *rg = &m->row_groups[g];
        if (rg->num_rows > MAX_VALUES) return true;
        for (uint32_t c = 0; c < rg->n_columns; c++) {
            int64_t v = rg->columns[c].meta.num_values;
            if (v > MAX_VALUES || values > MAX_VALUES - v) return true;
            values += v > 0 ? v : 0;
        }
    }
    return false;
}

static void check_column(const vl_pq_column *col) {
    const vl_pq_node *leaf = col->leaf;
    FUZZ_ASSERT(col->n_values <= col->n);
    size_t defined = 0;
    for (size_t i = 0; i < col->n; i++) {
        int16_t d = col->def ? col->def[i] : leaf->max_def;
        FUZZ_ASSERT(d >= 0 && d <= leaf->max_def);
        defined += d == leaf->max_def;
        if (col->rep) FUZZ_ASSERT(col->rep[i] >= 0 && col->rep[i] <= leaf->max_rep);
    }
    FUZZ_ASSERT(defined == col->n_values);
    FUZZ_ASSERT(!col->rep || col->n == 0 || col->rep[0] == 0);
    if (leaf->physical == VL_PQ_T_BYTE_ARRAY || leaf->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY ||
        leaf->physical == VL_PQ_T_INT96) {
        /* touch every byte: ASan reports views that point outside memory */
        unsigned x = 0;
        for (size_t i = 0; i < col->n_values; i++)
            for (size_t k = 0; k < col->v.bin[i].n; k++) x += (unsigned char)col->v.bin[i].p[k];
        (void)x;
        if (leaf->physical == VL_PQ_T_INT96)
            for (size_t i = 0; i < col->n_values; i++) FUZZ_ASSERT(col->v.bin[i].n == 12);
        if (leaf->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY)
            for (size_t i = 0; i < col->n_values; i++)
                FUZZ_ASSERT(col->v.bin[i].n == (size_t)leaf->type_length);
    }
}

/* ------------------------------------------------------ read in ranges */

typedef struct memsrc {
    const uint8_t *p;
    size_t n;
} memsrc;

static int mem_fetch(void *ctx, uint64_t off, uint64_t len, uint8_t *dst, vl_error *err) {
    const memsrc *m = ctx;
    FUZZ_ASSERT(off <= m->n && len <= m->n - off); /* the reader asks only for what the file has */
    (void)err;
    memcpy(dst, m->p + off, len);
    return VL_OK;
}

/* The same column decoded from two readers: equal, or both refused. */
static void same_column(vl_pq_reader *whole, vl_pq_reader *rr, uint32_t g, uint32_t l) {
    vl_arena a, b;
    vl_arena_init(&a, 0);
    vl_arena_init(&b, 0);
    vl_pq_column x, y;
    vl_error e1 = {0}, e2 = {0};
    int r1 = vl_pq_read_column(whole, g, l, &a, &x, &e1);
    int r2 = vl_pq_read_column(rr, g, l, &b, &y, &e2);
    if (r1 == VL_ENOMEM || r2 == VL_ENOMEM) goto done;
    FUZZ_ASSERT(r1 == r2);
    if (r1 == VL_OK) {
        FUZZ_ASSERT(x.n == y.n && x.n_values == y.n_values);
        FUZZ_ASSERT(!x.def == !y.def && (!x.def || memcmp(x.def, y.def, x.n * sizeof(int16_t)) == 0));
        FUZZ_ASSERT(!x.rep == !y.rep && (!x.rep || memcmp(x.rep, y.rep, x.n * sizeof(int16_t)) == 0));
        int32_t ph = x.leaf->physical;
        if (ph == VL_PQ_T_BYTE_ARRAY || ph == VL_PQ_T_FIXED_LEN_BYTE_ARRAY || ph == VL_PQ_T_INT96) {
            for (size_t i = 0; i < x.n_values; i++)
                FUZZ_ASSERT(x.v.bin[i].n == y.v.bin[i].n &&
                            (!x.v.bin[i].n || memcmp(x.v.bin[i].p, y.v.bin[i].p, x.v.bin[i].n) == 0));
        } else {
            size_t w = ph == VL_PQ_T_BOOLEAN ? 1 : ph == VL_PQ_T_INT32 || ph == VL_PQ_T_FLOAT ? 4 : 8;
            FUZZ_ASSERT(!x.n_values || memcmp(x.v.b, y.v.b, x.n_values * w) == 0);
        }
    }
done:
    vl_arena_destroy(&a);
    vl_arena_destroy(&b);
}

/* The file read in ranges, with a tail picked by its size (so footers take
 * one fetch or two): it opens as the whole file does (the leading magic
 * aside), a chunk not loaded is refused, and each of the first leaves,
 * loaded alone in one row group, decodes as the whole file's does. */
static void ranged(const uint8_t *data, size_t size, vl_pq_reader *whole) {
    memsrc m = {data, size};
    uint64_t tail = 8 + (uint64_t)(size * 2654435761u % 251);
    vl_pq_reader *rr = NULL;
    vl_error err = {0};
    int rc = vl_pq_reader_open_ranged(size, tail, "fuzz", mem_fetch, &m, &rr, &err);
    if (rc == VL_ENOMEM) return;
    FUZZ_ASSERT(rc == VL_OK); /* the whole file opened: so does its footer */
    const vl_pq_file_meta *fm = vl_pq_reader_meta(rr);
    const vl_pq_schema *s = vl_pq_reader_schema(rr);
    FUZZ_ASSERT(fm->n_row_groups == vl_pq_reader_meta(whole)->n_row_groups);
    FUZZ_ASSERT(s->n_leaves == vl_pq_reader_schema(whole)->n_leaves);
    uint32_t ng = fm->n_row_groups < 4 ? fm->n_row_groups : 4, nl = s->n_leaves < 8 ? s->n_leaves : 8;
    bool *rgs = calloc(fm->n_row_groups + 1, 1), *leaves = calloc(s->n_leaves + 1, 1);
    for (uint32_t g = 0; rgs && leaves && g < ng; g++) {
        for (uint32_t l = 0; l < nl; l++) {
            memset(rgs, 0, fm->n_row_groups);
            memset(leaves, 0, s->n_leaves);
            rgs[g] = leaves[l] = true;
            rc = vl_pq_reader_load(rr, rgs, leaves, &err);
            if (rc == VL_ENOMEM) continue;
            FUZZ_ASSERT(rc == VL_OK);
            same_column(whole, rr, g, l);
            if (l + 1 < s->n_leaves) {
                /* the next leaf is not loaded yet: refused, or empty, or bad offsets */
                vl_arena a;
                vl_arena_init(&a, 0);
                vl_pq_column col;
                int r2 = vl_pq_read_column(rr, g, l + 1, &a, &col, &err);
                FUZZ_ASSERT(r2 != VL_OK || col.n == 0);
                vl_arena_destroy(&a);
            }
        }
    }
    free(rgs);
    free(leaves);
    vl_pq_reader_close(rr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_budget_install(&g_budget);
    vl_pq_reader *r;
    vl_error err = {0};
    int rc = vl_pq_reader_open_mem(data, size, "fuzz", &r, &err);
    if (rc) {
        FUZZ_ASSERT(known_code(rc) && err.msg[0]);
        FUZZ_ASSERT(r == NULL);
        FUZZ_ASSERT(g_budget.live == 0);
        vl_alloc_set_hooks(NULL);
        return 0;
    }
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    if (too_big(m)) goto out;
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        vl_arena a;
        vl_arena_init(&a, 0);
        for (uint32_t l = 0; l < s->n_leaves; l++) {
            vl_pq_column col;
            rc = vl_pq_read_column(r, g, l, &a, &col, &err);
            if (rc == VL_OK) check_column(&col);
            else FUZZ_ASSERT(known_code(rc) && err.msg[0]);
            vl_arena_reset(&a);
        }
        vl_arena_destroy(&a);
        for (int format = VL_PQ_ROWS_NDJSON; format <= VL_PQ_ROWS_CSV; format++) {
            size_t total = 0;
            int64_t written = 0;
            rc = vl_pq_rows_write(r, g, NULL, format, 0, -1, discard, &total, &written, &err);
            if (rc) FUZZ_ASSERT(known_code(rc) && err.msg[0]);
            FUZZ_ASSERT(written >= 0);
            /* skip and limit select a window of the same rows */
            if (rc == VL_OK && written > 1) {
                int64_t w2 = 0;
                size_t t2 = 0;
                rc = vl_pq_rows_write(r, g, NULL, format, 1, 1, discard, &t2, &w2, &err);
                FUZZ_ASSERT(rc == VL_OK || rc == VL_ENOMEM);
                FUZZ_ASSERT(rc != VL_OK || w2 == 1);
            }
        }
    }
    ranged(data, size, r);
out:
    vl_pq_reader_close(r);
    FUZZ_ASSERT(g_budget.live == 0);
    vl_alloc_set_hooks(NULL);
    return 0;
}
