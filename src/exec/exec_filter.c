/* vidlake - Apache-2.0 */
/*
 * exec_filter: predicates (vl_delta_expr trees) over batches. Each leaf is
 * a loop over one vector that writes a truth value per row (SQL's three:
 * true, false, unknown); NOT, OR and AND combine those arrays. AND at the
 * top narrows the selection conjunct by conjunct, so a selective first
 * test makes the later ones cheap. Comparisons follow vl_delta_value_cmp:
 * strings as unsigned bytes, NaN greatest and equal to itself.
 */
#include "exec_int.h"

#include <math.h>

struct vl_x_filter {
    const vl_delta_expr *e;
    const vl_dt_type *st;
    int32_t *col_of;
};

enum { T = 1, F = 2, U = 4 };

static int check(const vl_delta_expr *e, const vl_dt_type *st, const int32_t *col_of, vl_error *err) {
    vl_delta_expr_node nd;
    vl_delta_expr_node_get(e, &nd);
    switch (nd.kind) {
    case VL_DELTA_E_AND:
    case VL_DELTA_E_OR:
        VL_RETURN_IF_ERR(check(nd.a, st, col_of, err));
        return check(nd.b, st, col_of, err);
    case VL_DELTA_E_NOT:
        return check(nd.a, st, col_of, err);
    default: {
        const vl_dt_field *fd = &st->fields[nd.col];
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)fd->name.n, fd->name.p);
        if (col_of[nd.col] < 0)
            return vl_error_set(err, VL_EINVAL, "the predicate names column %s, which is not read", name);
        vl_x_type xt;
        return vl_x_type_of(&fd->type, name, &xt, err);
    }
    }
}

int vl_x_filter_new(const vl_delta_expr *e, const vl_dt_type *st, const int32_t *col_of, vl_x_filter **out,
                    vl_error *err) {
    *out = NULL;
    if (e) VL_RETURN_IF_ERR(check(e, st, col_of, err));
    vl_x_filter *f = vl_calloc(1, sizeof(*f));
    if (f) f->col_of = vl_calloc(st->n_fields + 1, sizeof(int32_t));
    if (!f || !f->col_of) {
        vl_free(f);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    memcpy(f->col_of, col_of, st->n_fields * sizeof(int32_t));
    f->e = e;
    f->st = st;
    *out = f;
    return VL_OK;
}

void vl_x_filter_free(vl_x_filter *f) {
    if (!f) return;
    vl_free(f->col_of);
    vl_free(f);
}

/* ----------------------------------------------------------------- leaves */

static inline int cmp_f64(double x, double y) {
    bool nx = isnan(x), ny = isnan(y);
    if (nx || ny) return nx - ny;
    return (x > y) - (x < y);
}

static inline int cmp_str(vl_sv x, vl_sv y) {
    size_t n = x.n < y.n ? x.n : y.n;
    int c = n ? memcmp(x.p, y.p, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (x.n > y.n) - (x.n < y.n);
}

static inline bool op_holds(vl_delta_cmp_op op, int c) {
    switch (op) {
    case VL_DELTA_OP_EQ: return c == 0;
    case VL_DELTA_OP_NE: return c != 0;
    case VL_DELTA_OP_LT: return c < 0;
    case VL_DELTA_OP_LE: return c <= 0;
    case VL_DELTA_OP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* x op lit for int64 columns: one loop per operator so the compare is a
 * constant in each. */
#define CMP_LOOP(OPX)                                                                                                 \
    for (size_t i = 0; i < n; i++) {                                                                                  \
        size_t r = rows[i];                                                                                           \
        tv[i] = (v->valid && !v->valid[r]) ? U : (d[r] OPX lit) ? T : F;                                              \
    }

static void cmp_i64(const vl_x_vec *v, vl_delta_cmp_op op, int64_t lit, const uint32_t *rows, size_t n,
                    uint8_t *tv) {
    const int64_t *d = v->v.i64;
    switch (op) {
    case VL_DELTA_OP_EQ: CMP_LOOP(==) break;
    case VL_DELTA_OP_NE: CMP_LOOP(!=) break;
    case VL_DELTA_OP_LT: CMP_LOOP(<) break;
    case VL_DELTA_OP_LE: CMP_LOOP(<=) break;
    case VL_DELTA_OP_GT: CMP_LOOP(>) break;
    default: CMP_LOOP(>=) break;
    }
}

static void leaf(const vl_x_filter *f, const vl_delta_expr_node *nd, const vl_x_batch *b, const uint32_t *rows,
                 size_t n, uint8_t *tv) {
    const vl_x_vec *v = &b->cols[f->col_of[nd->col]];
    if (nd->kind == VL_DELTA_E_ISNULL) {
        uint8_t yes = nd->negated ? F : T, no = nd->negated ? T : F;
        for (size_t i = 0; i < n; i++) tv[i] = (v->valid && !v->valid[rows[i]]) ? yes : no;
        return;
    }
    if (nd->kind == VL_DELTA_E_CMP) {
        const vl_delta_value *lit = &nd->vals[0];
        if (lit->is_null) {
            memset(tv, U, n);
            return;
        }
        if (v->type == VL_X_I64) {
            cmp_i64(v, nd->op, lit->i, rows, n, tv);
        } else if (v->type == VL_X_F64) {
            for (size_t i = 0; i < n; i++) {
                size_t r = rows[i];
                tv[i] = (v->valid && !v->valid[r]) ? U : op_holds(nd->op, cmp_f64(v->v.f64[r], lit->d)) ? T : F;
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                size_t r = rows[i];
                tv[i] = (v->valid && !v->valid[r]) ? U : op_holds(nd->op, cmp_str(v->v.str[r], lit->s)) ? T : F;
            }
        }
        return;
    }
    /* IN / NOT IN: true on a match; else unknown when the list holds a null */
    uint8_t miss = nd->has_null ? U : F;
    for (size_t i = 0; i < n; i++) {
        size_t r = rows[i];
        if (v->valid && !v->valid[r]) {
            tv[i] = U;
            continue;
        }
        uint8_t x = miss;
        for (uint32_t k = 0; k < nd->n_vals && x != T; k++) {
            const vl_delta_value *lit = &nd->vals[k];
            if (lit->is_null) continue;
            bool eq = v->type == VL_X_I64   ? v->v.i64[r] == lit->i
                      : v->type == VL_X_F64 ? cmp_f64(v->v.f64[r], lit->d) == 0
                                            : cmp_str(v->v.str[r], lit->s) == 0;
            if (eq) x = T;
        }
        tv[i] = nd->negated ? (x == T ? F : x == F ? T : U) : x;
    }
}

/* Truth values of e over rows (n of them) into tv. */
static int truth(const vl_x_filter *f, const vl_delta_expr *e, const vl_x_batch *b, const uint32_t *rows, size_t n,
                 uint8_t *tv) {
    vl_delta_expr_node nd;
    vl_delta_expr_node_get(e, &nd);
    if (nd.kind == VL_DELTA_E_NOT) {
        VL_RETURN_IF_ERR(truth(f, nd.a, b, rows, n, tv));
        for (size_t i = 0; i < n; i++) tv[i] = tv[i] == T ? F : tv[i] == F ? T : U;
        return VL_OK;
    }
    if (nd.kind == VL_DELTA_E_AND || nd.kind == VL_DELTA_E_OR) {
        uint8_t *t2 = vl_malloc(n ? n : 1);
        if (!t2) return VL_ENOMEM;
        int rc = truth(f, nd.a, b, rows, n, tv);
        if (rc == VL_OK) rc = truth(f, nd.b, b, rows, n, t2);
        if (rc == VL_OK) {
            if (nd.kind == VL_DELTA_E_AND)
                for (size_t i = 0; i < n; i++) tv[i] = (tv[i] == F || t2[i] == F) ? F : (tv[i] == U || t2[i] == U) ? U : T;
            else
                for (size_t i = 0; i < n; i++) tv[i] = (tv[i] == T || t2[i] == T) ? T : (tv[i] == U || t2[i] == U) ? U : F;
        }
        vl_free(t2);
        return rc;
    }
    leaf(f, &nd, b, rows, n, tv);
    return VL_OK;
}

/* Narrows rows (n) to those where e is true; returns how many are left. */
static int narrow(const vl_x_filter *f, const vl_delta_expr *e, const vl_x_batch *b, uint32_t *rows, size_t *n,
                  uint8_t *tv) {
    vl_delta_expr_node nd;
    vl_delta_expr_node_get(e, &nd);
    if (nd.kind == VL_DELTA_E_AND) {
        VL_RETURN_IF_ERR(narrow(f, nd.a, b, rows, n, tv));
        return *n ? narrow(f, nd.b, b, rows, n, tv) : VL_OK;
    }
    VL_RETURN_IF_ERR(truth(f, e, b, rows, *n, tv));
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        rows[k] = rows[i];
        k += tv[i] == T;
    }
    *n = k;
    return VL_OK;
}

int vl_x_filter_apply(const vl_x_filter *f, const vl_x_batch *b, uint32_t *sel, size_t *n_out, vl_error *err) {
    size_t n = vl_x_batch_rows(b);
    if (b->sel) memmove(sel, b->sel, n * sizeof(uint32_t));
    else
        for (size_t i = 0; i < n; i++) sel[i] = (uint32_t)i;
    *n_out = n;
    if (!f->e || n == 0) return VL_OK;
    uint8_t *tv = vl_malloc(n);
    if (!tv) return vl_error_set(err, VL_ENOMEM, "out of memory");
    int rc = narrow(f, f->e, b, sel, n_out, tv);
    vl_free(tv);
    if (rc) return vl_error_set(err, rc, "out of memory");
    return VL_OK;
}
