/* vidlake - Apache-2.0 */
/*
 * exec_expr: scalar expressions over batches. Evaluation is bottom-up, a
 * node at a time: each child becomes a vector (in the caller's arena), and
 * the node is one loop over them with its operator hoisted out of the loop.
 * A column reference costs nothing (the batch's vector is used as it is);
 * a literal becomes a constant vector only where an operator needs one.
 */
#include "exec_int.h"

#include <math.h>

static vl_x_expr *node(vl_arena *ar, vl_x_eop op) {
    vl_x_expr *e = ar ? vl_arena_alloc(ar, sizeof(*e)) : NULL;
    if (e) {
        memset(e, 0, sizeof(*e));
        e->op = op;
    }
    return e;
}

const vl_x_expr *vl_x_e_col(vl_arena *ar, uint32_t col) {
    vl_x_expr *e = node(ar, VL_X_E_COL);
    if (e) e->col = col;
    return e;
}

const vl_x_expr *vl_x_e_i64(vl_arena *ar, int64_t v) {
    vl_x_expr *e = node(ar, VL_X_E_I64);
    if (e) e->i = v;
    return e;
}

const vl_x_expr *vl_x_e_f64(vl_arena *ar, double v) {
    vl_x_expr *e = node(ar, VL_X_E_F64);
    if (e) e->d = v;
    return e;
}

const vl_x_expr *vl_x_e_str(vl_arena *ar, const char *s) {
    vl_x_expr *e = node(ar, VL_X_E_STR);
    if (e) {
        size_t n = strlen(s);
        const char *p = vl_arena_memdup(ar, s, n ? n : 1);
        if (!p) return NULL;
        e->s = (vl_sv){p, n};
    }
    return e;
}

/* Nodes with children are NULL when a child is (a failed builder). */
static bool arity_ok(vl_x_eop op, const vl_x_expr *a, const vl_x_expr *b) {
    if (!a) return false;
    bool unary = op == VL_X_E_NOT || op == VL_X_E_IS_NULL || op == VL_X_E_DAY || op == VL_X_E_ROUND;
    return unary || b;
}

const vl_x_expr *vl_x_e_op(vl_arena *ar, vl_x_eop op, const vl_x_expr *a, const vl_x_expr *b) {
    if (!arity_ok(op, a, b)) return NULL;
    vl_x_expr *e = node(ar, op);
    if (e) {
        e->a = a;
        e->b = b;
    }
    return e;
}

const vl_x_expr *vl_x_e_if(vl_arena *ar, const vl_x_expr *c, const vl_x_expr *then, const vl_x_expr *otherwise) {
    if (!c || !then || !otherwise) return NULL;
    vl_x_expr *e = node(ar, VL_X_E_IF);
    if (e) {
        e->a = c;
        e->b = then;
        e->c = otherwise;
    }
    return e;
}

/* ------------------------------------------------------------------ types */

static bool numeric(vl_x_type t) { return t == VL_X_I64 || t == VL_X_F64; }

int vl_x_expr_type(const vl_x_expr *e, const vl_x_type *ct, uint32_t n_cols, vl_x_type *out, vl_error *err) {
    if (!e) return vl_error_set(err, VL_EINVAL, "an expression could not be built (out of memory)");
    vl_x_type a = VL_X_I64, b = VL_X_I64, c = VL_X_I64;
    switch (e->op) {
    case VL_X_E_COL:
        if (e->col >= n_cols) return vl_error_set(err, VL_EINVAL, "expression: no column %u", e->col);
        *out = ct[e->col];
        return VL_OK;
    case VL_X_E_I64: *out = VL_X_I64; return VL_OK;
    case VL_X_E_F64: *out = VL_X_F64; return VL_OK;
    case VL_X_E_STR: *out = VL_X_STR; return VL_OK;
    case VL_X_E_NULL: *out = e->type; return VL_OK;
    default: break;
    }
    VL_RETURN_IF_ERR(vl_x_expr_type(e->a, ct, n_cols, &a, err));
    if (e->b) VL_RETURN_IF_ERR(vl_x_expr_type(e->b, ct, n_cols, &b, err));
    if (e->c) VL_RETURN_IF_ERR(vl_x_expr_type(e->c, ct, n_cols, &c, err));
    switch (e->op) {
    case VL_X_E_ADD:
    case VL_X_E_SUB:
    case VL_X_E_MUL:
    case VL_X_E_LEAST:
    case VL_X_E_GREATEST:
        if (!numeric(a) || !numeric(b)) return vl_error_set(err, VL_EINVAL, "expression: arithmetic on a string");
        *out = a == VL_X_I64 && b == VL_X_I64 ? VL_X_I64 : VL_X_F64;
        return VL_OK;
    case VL_X_E_DIV:
        if (!numeric(a) || !numeric(b)) return vl_error_set(err, VL_EINVAL, "expression: arithmetic on a string");
        *out = VL_X_F64;
        return VL_OK;
    case VL_X_E_EQ: case VL_X_E_NE: case VL_X_E_LT: case VL_X_E_LE: case VL_X_E_GT: case VL_X_E_GE:
        if ((a == VL_X_STR) != (b == VL_X_STR))
            return vl_error_set(err, VL_EINVAL, "expression: a string compared with a number");
        *out = VL_X_I64;
        return VL_OK;
    case VL_X_E_AND:
    case VL_X_E_OR:
    case VL_X_E_NOT:
        if (a == VL_X_STR || (e->b && b == VL_X_STR)) return vl_error_set(err, VL_EINVAL, "expression: logic on a string");
        *out = VL_X_I64;
        return VL_OK;
    case VL_X_E_IS_NULL: *out = VL_X_I64; return VL_OK;
    case VL_X_E_ROUND:
        if (!numeric(a)) return vl_error_set(err, VL_EINVAL, "expression: ROUND of a string");
        *out = VL_X_I64;
        return VL_OK;
    case VL_X_E_MOD:
        if (a != VL_X_I64 || b != VL_X_I64) return vl_error_set(err, VL_EINVAL, "expression: MOD of non-integers");
        *out = VL_X_I64;
        return VL_OK;
    case VL_X_E_DAY:
        if (a != VL_X_I64) return vl_error_set(err, VL_EINVAL, "expression: the day of a non-timestamp");
        *out = VL_X_I64;
        return VL_OK;
    case VL_X_E_IF:
    case VL_X_E_COALESCE: {
        if (e->op == VL_X_E_IF && a == VL_X_STR)
            return vl_error_set(err, VL_EINVAL, "expression: IF on a string condition");
        vl_x_type x = e->op == VL_X_E_IF ? b : a, y = e->op == VL_X_E_IF ? c : b;
        if (x == y) *out = x;
        else if (numeric(x) && numeric(y)) *out = VL_X_F64;
        else return vl_error_set(err, VL_EINVAL, "expression: branches of different types");
        return VL_OK;
    }
    default:
        return vl_error_set(err, VL_EINVAL, "expression: unknown operator %d", (int)e->op);
    }
}

/* ----------------------------------------------------------------- values */

/* A vector of n values of type t with a validity array (all in ar). */
static int vec_new(vl_arena *ar, vl_x_type t, size_t n, vl_x_vec *v) {
    memset(v, 0, sizeof(*v));
    v->type = t;
    v->n = n;
    size_t es = t == VL_X_STR ? sizeof(vl_sv) : 8;
    v->valid = vl_arena_alloc(ar, n ? n : 1);
    void *d = vl_arena_alloc(ar, (n ? n : 1) * es);
    if (!v->valid || !d) return VL_ENOMEM;
    v->v.i64 = d;
    return VL_OK;
}

static inline bool ok_at(const vl_x_vec *v, size_t r) { return !v->valid || v->valid[r]; }
static inline double num_at(const vl_x_vec *v, size_t r) {
    return v->type == VL_X_I64 ? (double)v->v.i64[r] : v->v.f64[r];
}

static int str_cmp(vl_sv x, vl_sv y) {
    size_t n = x.n < y.n ? x.n : y.n;
    int c = n ? memcmp(x.p, y.p, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (x.n > y.n) - (x.n < y.n);
}

static bool cmp_holds(vl_x_eop op, int c) {
    switch (op) {
    case VL_X_E_EQ: return c == 0;
    case VL_X_E_NE: return c != 0;
    case VL_X_E_LT: return c < 0;
    case VL_X_E_LE: return c <= 0;
    case VL_X_E_GT: return c > 0;
    default: return c >= 0;
    }
}

/* Truth of v[r]: 1, 0, or -1 for null. */
static inline int truth(const vl_x_vec *v, size_t r) {
    if (!ok_at(v, r)) return -1;
    return v->type == VL_X_I64 ? v->v.i64[r] != 0 : v->v.f64[r] != 0;
}

/* Converts v (int64) to double into a new vector when want is double. */
static int as_type(const vl_x_vec *v, vl_x_type want, vl_arena *ar, vl_x_vec *out) {
    if (v->type == want) {
        *out = *v;
        return VL_OK;
    }
    VL_RETURN_IF_ERR(vec_new(ar, want, v->n, out));
    for (size_t r = 0; r < v->n; r++) {
        out->valid[r] = ok_at(v, r);
        out->v.f64[r] = ok_at(v, r) ? (double)v->v.i64[r] : 0;
    }
    return VL_OK;
}

static int eval(const vl_x_expr *e, const vl_x_batch *b, vl_arena *ar, vl_x_vec *out);

static int leaf_const(const vl_x_expr *e, size_t n, vl_arena *ar, vl_x_vec *out) {
    vl_x_type t = e->op == VL_X_E_I64 ? VL_X_I64 : e->op == VL_X_E_F64 ? VL_X_F64 : e->op == VL_X_E_STR ? VL_X_STR : e->type;
    VL_RETURN_IF_ERR(vec_new(ar, t, n, out));
    memset(out->valid, e->op != VL_X_E_NULL, n);
    for (size_t r = 0; r < n; r++) {
        if (t == VL_X_I64) out->v.i64[r] = e->i;
        else if (t == VL_X_F64) out->v.f64[r] = e->d;
        else out->v.str[r] = e->s;
    }
    return VL_OK;
}

static int eval(const vl_x_expr *e, const vl_x_batch *b, vl_arena *ar, vl_x_vec *out) {
    size_t n = b->n;
    if (e->op == VL_X_E_COL) {
        *out = b->cols[e->col];
        out->n = n;
        return VL_OK;
    }
    if (e->op == VL_X_E_I64 || e->op == VL_X_E_F64 || e->op == VL_X_E_STR || e->op == VL_X_E_NULL)
        return leaf_const(e, n, ar, out);
    vl_x_vec x, y, z;
    VL_RETURN_IF_ERR(eval(e->a, b, ar, &x));
    if (e->b) VL_RETURN_IF_ERR(eval(e->b, b, ar, &y));
    if (e->c) VL_RETURN_IF_ERR(eval(e->c, b, ar, &z));
    switch (e->op) {
    case VL_X_E_ADD:
    case VL_X_E_SUB:
    case VL_X_E_MUL:
    case VL_X_E_LEAST:
    case VL_X_E_GREATEST:
        if (x.type == VL_X_I64 && y.type == VL_X_I64) {
            VL_RETURN_IF_ERR(vec_new(ar, VL_X_I64, n, out));
            for (size_t r = 0; r < n; r++) {
                int64_t p = x.v.i64[r], q = y.v.i64[r], v = 0;
                bool ok = ok_at(&x, r) && ok_at(&y, r);
                if (ok) switch (e->op) {
                    case VL_X_E_ADD: ok = !__builtin_add_overflow(p, q, &v); break;
                    case VL_X_E_SUB: ok = !__builtin_sub_overflow(p, q, &v); break;
                    case VL_X_E_MUL: ok = !__builtin_mul_overflow(p, q, &v); break;
                    case VL_X_E_LEAST: v = p < q ? p : q; break;
                    default: v = p > q ? p : q; break;
                    }
                out->valid[r] = ok;
                out->v.i64[r] = ok ? v : 0;
            }
            return VL_OK;
        }
        __attribute__((fallthrough)); /* double arithmetic */
    case VL_X_E_DIV: {
        VL_RETURN_IF_ERR(vec_new(ar, VL_X_F64, n, out));
        for (size_t r = 0; r < n; r++) {
            bool ok = ok_at(&x, r) && ok_at(&y, r);
            double p = ok ? num_at(&x, r) : 0, q = ok ? num_at(&y, r) : 0, v = 0;
            if (ok) switch (e->op) {
                case VL_X_E_ADD: v = p + q; break;
                case VL_X_E_SUB: v = p - q; break;
                case VL_X_E_MUL: v = p * q; break;
                case VL_X_E_LEAST: v = p < q ? p : q; break;
                case VL_X_E_GREATEST: v = p > q ? p : q; break;
                default:
                    if (q == 0) ok = false;
                    else v = p / q;
                }
            out->valid[r] = ok;
            out->v.f64[r] = ok ? v : 0;
        }
        return VL_OK;
    }
    case VL_X_E_EQ: case VL_X_E_NE: case VL_X_E_LT: case VL_X_E_LE: case VL_X_E_GT: case VL_X_E_GE:
        VL_RETURN_IF_ERR(vec_new(ar, VL_X_I64, n, out));
        for (size_t r = 0; r < n; r++) {
            bool ok = ok_at(&x, r) && ok_at(&y, r);
            int c = 0;
            if (ok) {
                if (x.type == VL_X_STR) c = str_cmp(x.v.str[r], y.v.str[r]);
                else if (x.type == VL_X_I64 && y.type == VL_X_I64) c = (x.v.i64[r] > y.v.i64[r]) - (x.v.i64[r] < y.v.i64[r]);
                else {
                    double p = num_at(&x, r), q = num_at(&y, r);
                    c = (p > q) - (p < q);
                }
            }
            out->valid[r] = ok;
            out->v.i64[r] = ok && cmp_holds(e->op, c);
        }
        return VL_OK;
    case VL_X_E_AND:
    case VL_X_E_OR:
    case VL_X_E_NOT:
        VL_RETURN_IF_ERR(vec_new(ar, VL_X_I64, n, out));
        for (size_t r = 0; r < n; r++) {
            int p = truth(&x, r), v;
            if (e->op == VL_X_E_NOT) v = p < 0 ? -1 : !p;
            else {
                int q = truth(&y, r);
                if (e->op == VL_X_E_AND) v = (p == 0 || q == 0) ? 0 : (p < 0 || q < 0) ? -1 : 1;
                else v = (p == 1 || q == 1) ? 1 : (p < 0 || q < 0) ? -1 : 0;
            }
            out->valid[r] = v >= 0;
            out->v.i64[r] = v > 0;
        }
        return VL_OK;
    case VL_X_E_IS_NULL:
        VL_RETURN_IF_ERR(vec_new(ar, VL_X_I64, n, out));
        for (size_t r = 0; r < n; r++) {
            out->valid[r] = 1;
            out->v.i64[r] = !ok_at(&x, r);
        }
        return VL_OK;
    case VL_X_E_ROUND:
        VL_RETURN_IF_ERR(vec_new(ar, VL_X_I64, n, out));
        for (size_t r = 0; r < n; r++) {
            double v = ok_at(&x, r) ? num_at(&x, r) : NAN;
            bool ok = isfinite(v) && fabs(v) < 9.2e18;
            out->valid[r] = ok;
            out->v.i64[r] = ok ? (x.type == VL_X_I64 ? x.v.i64[r] : llround(v)) : 0;
        }
        return VL_OK;
    case VL_X_E_MOD:
        VL_RETURN_IF_ERR(vec_new(ar, VL_X_I64, n, out));
        for (size_t r = 0; r < n; r++) {
            bool ok = ok_at(&x, r) && ok_at(&y, r) && y.v.i64[r] != 0;
            int64_t m = 0;
            if (ok) {
                int64_t q = y.v.i64[r] == INT64_MIN ? INT64_MAX : (y.v.i64[r] < 0 ? -y.v.i64[r] : y.v.i64[r]);
                m = x.v.i64[r] % q;
                if (m < 0) m += q;
            }
            out->valid[r] = ok;
            out->v.i64[r] = m;
        }
        return VL_OK;
    case VL_X_E_DAY:
        VL_RETURN_IF_ERR(vec_new(ar, VL_X_I64, n, out));
        for (size_t r = 0; r < n; r++) {
            out->valid[r] = ok_at(&x, r);
            out->v.i64[r] = ok_at(&x, r) ? vl_ts_day(x.v.i64[r]) : 0;
        }
        return VL_OK;
    case VL_X_E_IF:
    case VL_X_E_COALESCE: {
        /* the two candidates, brought to one type */
        const vl_x_vec *p = e->op == VL_X_E_IF ? &y : &x, *q = e->op == VL_X_E_IF ? &z : &y;
        vl_x_type t = p->type == q->type ? p->type : VL_X_F64;
        vl_x_vec pp, qq;
        VL_RETURN_IF_ERR(as_type(p, t, ar, &pp));
        VL_RETURN_IF_ERR(as_type(q, t, ar, &qq));
        VL_RETURN_IF_ERR(vec_new(ar, t, n, out));
        for (size_t r = 0; r < n; r++) {
            bool first = e->op == VL_X_E_IF ? truth(&x, r) == 1 : ok_at(&pp, r);
            const vl_x_vec *src = first ? &pp : &qq;
            out->valid[r] = ok_at(src, r);
            bool ok = ok_at(src, r);
            if (t == VL_X_STR) out->v.str[r] = ok ? src->v.str[r] : (vl_sv){"", 0};
            else if (t == VL_X_F64) out->v.f64[r] = ok ? src->v.f64[r] : 0;
            else out->v.i64[r] = ok ? src->v.i64[r] : 0;
        }
        return VL_OK;
    }
    default:
        return VL_EINVAL;
    }
}

int vl_x_expr_eval(const vl_x_expr *e, const vl_x_batch *b, vl_arena *ar, vl_x_vec *out, vl_error *err) {
    int rc = eval(e, b, ar, out);
    if (rc == VL_ENOMEM) return vl_error_set(err, VL_ENOMEM, "out of memory");
    if (rc) return vl_error_set(err, rc, "expression: bad node (check its type first)");
    return VL_OK;
}
