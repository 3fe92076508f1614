/* vidlake - Apache-2.0 */
/* exec: private helpers shared by the engine's files. */
#ifndef VL_EXEC_INT_H
#define VL_EXEC_INT_H

#include "exec/exec.h"

#include <string.h>

/* Whether kind is one a table column may have (a primitive, not decimal). */
bool vl_x__kind_ok(vl_dt_kind kind);
/* The vector type of a primitive kind. */
vl_x_type vl_x__type_of_kind(vl_dt_kind kind);

/* Hash of one cell (nulls hash alike). */
static inline uint64_t vl_x__hash_cell(const vl_x_vec *v, size_t row, uint64_t seed) {
    if (v->valid && !v->valid[row]) return vl_mix64(seed ^ 0x6e756c6cull);
    switch (v->type) {
    case VL_X_I64:
        return vl_mix64(seed ^ (uint64_t)v->v.i64[row] * 0x9e3779b97f4a7c15ull);
    case VL_X_F64: {
        double d = v->v.f64[row];
        if (d == 0) d = 0; /* -0 == 0 */
        uint64_t u;
        memcpy(&u, &d, 8);
        if (d != d) u = 0x7ff8000000000000ull; /* every NaN is equal: one hash */
        return vl_mix64(seed ^ u * 0x9e3779b97f4a7c15ull);
    }
    default:
        return vl_hash64(v->v.str[row].p, v->v.str[row].n, seed);
    }
}

/* Equality of two cells of the same type (null equals null here: grouping). */
static inline bool vl_x__cell_eq(const vl_x_vec *a, size_t ra, const vl_x_vec *b, size_t rb) {
    bool na = a->valid && !a->valid[ra], nb = b->valid && !b->valid[rb];
    if (na || nb) return na && nb;
    switch (a->type) {
    case VL_X_I64:
        return a->v.i64[ra] == b->v.i64[rb];
    case VL_X_F64:
        return a->v.f64[ra] == b->v.f64[rb] || (a->v.f64[ra] != a->v.f64[ra] && b->v.f64[rb] != b->v.f64[rb]);
    default:
        return a->v.str[ra].n == b->v.str[rb].n &&
               (a->v.str[ra].n == 0 || memcmp(a->v.str[ra].p, b->v.str[rb].p, a->v.str[ra].n) == 0);
    }
}

/* Three-way comparison of two non-null cells of the same type (strings as
 * unsigned bytes, NaN greatest). */
int vl_x__cell_cmp(const vl_x_vec *a, size_t ra, const vl_x_vec *b, size_t rb);

/* Copies cell (v, row) into t's column col at row trow (strings copied). */
int vl_x__table_put(vl_x_table *t, uint32_t col, size_t trow, const vl_x_vec *v, size_t row) VL_MUST_CHECK;

#endif /* VL_EXEC_INT_H */
