/* vidlake - Apache-2.0 */
/*
 * Row-group pruning from column chunk statistics. The rules come from the
 * format's notes on statistics and sort orders: min_value/max_value are
 * ordered by the column's logical type; the deprecated min/max were written
 * with signed comparison everywhere, which is only right for signed
 * integers and floats. A bound that cannot be trusted (NaN, a type we do not
 * order, missing) never prunes.
 */
#include "parquet_meta.h"

#include <math.h>
#include <string.h>

typedef struct {
    bool ok;
    vl_sv min, max;
} bounds;

static bool signed_order(const vl_pq_node *leaf) {
    switch (leaf->physical) {
    case VL_PQ_T_INT32:
    case VL_PQ_T_INT64:
        return !(leaf->logical.kind == VL_PQ_LT_INTEGER && !leaf->logical.is_signed);
    case VL_PQ_T_FLOAT:
    case VL_PQ_T_DOUBLE:
        return true;
    default:
        return false;
    }
}

static bounds get_bounds(const vl_pq_stats *st, const vl_pq_node *leaf) {
    bounds b = {false, {0}, {0}};
    if (st->has_min_value && st->has_max_value) {
        b.ok = true;
        b.min = st->min_value;
        b.max = st->max_value;
    } else if (st->has_min && st->has_max && signed_order(leaf)) {
        b.ok = true;
        b.min = st->min;
        b.max = st->max;
    }
    return b;
}

/* Compares a stored bound with the literal: <0, 0, >0; *ok false when the
 * bound is unusable. */
static int cmp_bound(const vl_pq_node *leaf, vl_sv bound, const vl_pq_literal *lit, bool *ok) {
    *ok = true;
    const uint8_t *p = (const uint8_t *)bound.p;
    bool uns = leaf->logical.kind == VL_PQ_LT_INTEGER && !leaf->logical.is_signed;
    switch (leaf->physical) {
    case VL_PQ_T_BOOLEAN:
        if (bound.n < 1) break;
        return (p[0] != 0) - (lit->i != 0);
    case VL_PQ_T_INT32: {
        if (bound.n != 4) break;
        int32_t v;
        memcpy(&v, p, 4);
        if (uns) {
            uint32_t a = (uint32_t)v, b = (uint32_t)lit->i;
            return (a > b) - (a < b);
        }
        return (v > lit->i) - (v < lit->i);
    }
    case VL_PQ_T_INT64: {
        if (bound.n != 8) break;
        int64_t v;
        memcpy(&v, p, 8);
        if (uns) {
            uint64_t a = (uint64_t)v, b = (uint64_t)lit->i;
            return (a > b) - (a < b);
        }
        return (v > lit->i) - (v < lit->i);
    }
    case VL_PQ_T_FLOAT:
    case VL_PQ_T_DOUBLE: {
        double v;
        if (leaf->physical == VL_PQ_T_FLOAT && bound.n == 4) {
            float f;
            memcpy(&f, p, 4);
            v = f;
        } else if (leaf->physical == VL_PQ_T_DOUBLE && bound.n == 8) {
            memcpy(&v, p, 8);
        } else {
            break;
        }
        if (isnan(v) || isnan(lit->d)) break;
        return (v > lit->d) - (v < lit->d);
    }
    case VL_PQ_T_BYTE_ARRAY:
    case VL_PQ_T_FIXED_LEN_BYTE_ARRAY:
        if (leaf->logical.kind == VL_PQ_LT_DECIMAL) break; /* two's complement */
        return vl_sv_cmp(bound, lit->s);
    default:
        break;
    }
    *ok = false;
    return 0;
}

bool vl_pq_rg_bounds(const vl_pq_reader *r, uint32_t rg, uint32_t leaf, vl_sv *min, vl_sv *max,
                     int64_t *null_count) {
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    *null_count = -1;
    if (rg >= m->n_row_groups || leaf >= s->n_leaves) return false;
    const vl_pq_column_chunk *cc = &m->row_groups[rg].columns[leaf];
    if (!cc->has_meta || !cc->meta.has_statistics) return false;
    const vl_pq_stats *st = &cc->meta.statistics;
    if (st->has_null_count && st->null_count >= 0) *null_count = st->null_count;
    bounds b = get_bounds(st, s->leaves[leaf]);
    if (!b.ok) return false;
    *min = b.min;
    *max = b.max;
    return true;
}

bool vl_pq_rg_may_match(const vl_pq_reader *r, uint32_t rg, uint32_t leaf, vl_pq_op op,
                        const vl_pq_literal *lit) {
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    if (rg >= m->n_row_groups || leaf >= s->n_leaves) return true;
    const vl_pq_column_chunk *cc = &m->row_groups[rg].columns[leaf];
    if (!cc->has_meta || !cc->meta.has_statistics) return true;
    const vl_pq_stats *st = &cc->meta.statistics;
    const vl_pq_node *node = s->leaves[leaf];
    int64_t values = cc->meta.num_values;
    bool flat = node->max_rep == 0;
    if (op == VL_PQ_OP_IS_NULL) return !(st->has_null_count && st->null_count == 0);
    if (op == VL_PQ_OP_IS_NOT_NULL)
        return !(flat && st->has_null_count && st->null_count >= values && values >= 0);
    /* a comparison is never true for null: an all-null chunk matches nothing */
    if (flat && st->has_null_count && values >= 0 && st->null_count >= values) return false;
    bounds b = get_bounds(st, node);
    if (!b.ok) return true;
    bool ok_min, ok_max;
    int cmin = cmp_bound(node, b.min, lit, &ok_min); /* min vs lit */
    int cmax = cmp_bound(node, b.max, lit, &ok_max); /* max vs lit */
    switch (op) {
    case VL_PQ_OP_EQ: /* some value == lit needs min <= lit <= max */
        if (ok_min && cmin > 0) return false;
        if (ok_max && cmax < 0) return false;
        return true;
    case VL_PQ_OP_LT: return !(ok_min && cmin >= 0);
    case VL_PQ_OP_LE: return !(ok_min && cmin > 0);
    case VL_PQ_OP_GT: return !(ok_max && cmax <= 0);
    case VL_PQ_OP_GE: return !(ok_max && cmax < 0);
    default: return true;
    }
}
