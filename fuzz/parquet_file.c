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
 */
#include "fuzz_budget.h"
#include "fuzz.h"
#include "parquet/parquet.h"

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
out:
    vl_pq_reader_close(r);
    FUZZ_ASSERT(g_budget.live == 0);
    vl_alloc_set_hooks(NULL);
    return 0;
}
