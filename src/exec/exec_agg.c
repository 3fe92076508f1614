/* vidlake - Apache-2.0 */
/*
 * exec_agg: hash aggregation. Each worker has its own groups: a vl_x_table
 * of key values (a group is a row of it), an open-addressing table of
 * group indices keyed by the keys' hash, and per aggregate an array of
 * states indexed by group. Adding a batch hashes its key columns a column
 * at a time, then finds or makes each row's group and updates the states
 * a column at a time. Finishing merges the workers' groups into the first
 * worker's (re-finding each group by its keys) and renders the table.
 *
 * States: COUNT / COUNT_COL: int64 counts; SUM: int64 with overflow
 * checks, or double, plus a count of values (no values: null); MIN / MAX:
 * a column of a vl_x_table of the input's type (null until a value);
 * AVG: double sum and count; COUNT_DISTINCT: a set of (group, value) per
 * aggregate, values kept in a one-column table; APPROX_DISTINCT: a
 * HyperLogLog per group (sparse while small, so many small groups stay
 * cheap). Null keys form their own group, as in SQL's GROUP BY.
 */
#include "exec_int.h"

#include <math.h>

#define HLL_P 14

/* A set of (group, value) pairs for one COUNT_DISTINCT. */
typedef struct dset {
    vl_x_table *vals;  /* one column: the values */
    uint32_t *group;   /* per value */
    uint64_t *hash;    /* per value */
    uint32_t *slots;   /* value index + 1, or 0 */
    size_t cap, mask;
} dset;

typedef struct astate {
    int64_t *i;   /* COUNT*, SUM of int64 */
    double *d;    /* SUM of double, AVG */
    int64_t *n;   /* values seen (SUM, AVG) */
    vl_x_table *mm; /* MIN / MAX */
    dset ds;      /* COUNT_DISTINCT */
    vl_hll *hll;  /* APPROX_DISTINCT */
    vl_qsketch *qs; /* QUANTILE */
} astate;

typedef struct part {
    vl_x_table *keys;
    uint64_t *khash;
    uint32_t *slots;
    size_t slot_cap, mask, groups, gcap;
    astate *st;
    uint64_t *rh; /* a batch's row hashes */
    uint32_t *rg; /* a batch's row groups */
    size_t rcap;
} part;

struct vl_x_agg {
    uint32_t n_in, n_keys, n_aggs;
    vl_dt_kind *in_kinds;
    uint32_t *keys;
    vl_x_agg_spec *aggs;
    char **key_names;
    char **agg_names;
    int workers;
    part *parts;
};

static vl_x_type in_type(const vl_x_agg *g, uint32_t col) { return vl_x__type_of_kind(g->in_kinds[col]); }

/* ------------------------------------------------------------------ setup */

static int part_init(vl_x_agg *g, part *p) {
    vl_dt_kind *kk = vl_calloc(g->n_keys + 1, sizeof(vl_dt_kind));
    if (!kk) return VL_ENOMEM;
    for (uint32_t k = 0; k < g->n_keys; k++) kk[k] = g->in_kinds[g->keys[k]];
    vl_error e;
    int rc = vl_x_table_new((const char *const *)g->key_names, kk, g->n_keys, &p->keys, &e);
    vl_free(kk);
    if (rc) return VL_ENOMEM;
    p->st = vl_calloc(g->n_aggs + 1, sizeof(astate));
    if (!p->st) return VL_ENOMEM;
    for (uint32_t a = 0; a < g->n_aggs; a++) {
        const vl_x_agg_spec *sp = &g->aggs[a];
        if (sp->fn == VL_X_AGG_MIN || sp->fn == VL_X_AGG_MAX) {
            const char *nm = "v";
            vl_dt_kind k = g->in_kinds[sp->col];
            if (vl_x_table_new(&nm, &k, 1, &p->st[a].mm, &e) != VL_OK) return VL_ENOMEM;
        } else if (sp->fn == VL_X_AGG_COUNT_DISTINCT) {
            const char *nm = "v";
            vl_dt_kind k = g->in_kinds[sp->col];
            if (vl_x_table_new(&nm, &k, 1, &p->st[a].ds.vals, &e) != VL_OK) return VL_ENOMEM;
        }
    }
    p->slot_cap = 1024;
    p->mask = p->slot_cap - 1;
    p->slots = vl_calloc(p->slot_cap, sizeof(uint32_t));
    return p->slots ? VL_OK : VL_ENOMEM;
}

static void part_free(const vl_x_agg *g, part *p) {
    vl_x_table_free(p->keys);
    vl_free(p->khash);
    vl_free(p->slots);
    vl_free(p->rh);
    vl_free(p->rg);
    if (p->st)
        for (uint32_t a = 0; a < g->n_aggs; a++) {
            astate *s = &p->st[a];
            vl_free(s->i);
            vl_free(s->d);
            vl_free(s->n);
            vl_x_table_free(s->mm);
            vl_x_table_free(s->ds.vals);
            vl_free(s->ds.group);
            vl_free(s->ds.hash);
            vl_free(s->ds.slots);
            if (s->hll)
                for (size_t k = 0; k < p->groups; k++) vl_hll_free(&s->hll[k]);
            vl_free(s->hll);
            if (s->qs)
                for (size_t k = 0; k < p->groups; k++) vl_qsketch_free(&s->qs[k]);
            vl_free(s->qs);
        }
    vl_free(p->st);
}

void vl_x_agg_free(vl_x_agg *g) {
    if (!g) return;
    if (g->parts)
        for (int w = 0; w < g->workers; w++) part_free(g, &g->parts[w]);
    vl_free(g->parts);
    for (uint32_t k = 0; k < g->n_keys && g->key_names; k++) vl_free(g->key_names[k]);
    for (uint32_t a = 0; a < g->n_aggs && g->agg_names; a++) vl_free(g->agg_names[a]);
    vl_free(g->key_names);
    vl_free(g->agg_names);
    vl_free(g->in_kinds);
    vl_free(g->keys);
    vl_free(g->aggs);
    vl_free(g);
}

static char *dupstr(const char *s) {
    size_t n = strlen(s);
    char *d = vl_malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

int vl_x_agg_new(const vl_dt_kind *in_kinds, uint32_t n_in, const uint32_t *keys, const char *const *key_names,
                 uint32_t n_keys, const vl_x_agg_spec *aggs, uint32_t n_aggs, int workers, vl_x_agg **out,
                 vl_error *err) {
    *out = NULL;
    if (workers < 1) workers = 1;
    for (uint32_t c = 0; c < n_in; c++)
        if (!vl_x__kind_ok(in_kinds[c]))
            return vl_error_set(err, VL_EINVAL, "aggregation input column %u: not a primitive type", c);
    for (uint32_t k = 0; k < n_keys; k++) {
        if (keys[k] >= n_in) return vl_error_set(err, VL_EINVAL, "group key %u: no input column %u", k, keys[k]);
        if (!key_names || !key_names[k]) return vl_error_set(err, VL_EINVAL, "group key %u has no name", k);
    }
    for (uint32_t a = 0; a < n_aggs; a++) {
        const vl_x_agg_spec *sp = &aggs[a];
        if (!sp->name) return vl_error_set(err, VL_EINVAL, "aggregate %u has no name", a);
        if ((unsigned)sp->fn > VL_X_AGG_QUANTILE)
            return vl_error_set(err, VL_EINVAL, "aggregate %s: unknown function %d", sp->name, (int)sp->fn);
        if (sp->fn == VL_X_AGG_COUNT) continue;
        if (sp->col >= n_in) return vl_error_set(err, VL_EINVAL, "aggregate %s: no input column %u", sp->name, sp->col);
        if ((sp->fn == VL_X_AGG_SUM || sp->fn == VL_X_AGG_AVG || sp->fn == VL_X_AGG_QUANTILE) &&
            vl_x__type_of_kind(in_kinds[sp->col]) == VL_X_STR)
            return vl_error_set(err, VL_EINVAL, "aggregate %s: %s of a string column", sp->name,
                                sp->fn == VL_X_AGG_SUM ? "SUM" : sp->fn == VL_X_AGG_AVG ? "AVG" : "QUANTILE");
        if (sp->fn == VL_X_AGG_QUANTILE && !(sp->q >= 0 && sp->q <= 1))
            return vl_error_set(err, VL_EINVAL, "aggregate %s: quantile %g is not in 0 .. 1", sp->name, sp->q);
    }
    vl_x_agg *g = vl_calloc(1, sizeof(*g));
    if (!g) return vl_error_set(err, VL_ENOMEM, "out of memory");
    g->n_in = n_in;
    g->n_keys = n_keys;
    g->n_aggs = n_aggs;
    g->workers = workers;
    g->in_kinds = vl_calloc(n_in + 1, sizeof(vl_dt_kind));
    g->keys = vl_calloc(n_keys + 1, sizeof(uint32_t));
    g->aggs = vl_calloc(n_aggs + 1, sizeof(vl_x_agg_spec));
    g->key_names = vl_calloc(n_keys + 1, sizeof(char *));
    g->agg_names = vl_calloc(n_aggs + 1, sizeof(char *));
    g->parts = vl_calloc((size_t)workers, sizeof(part));
    if (!g->in_kinds || !g->keys || !g->aggs || !g->key_names || !g->agg_names || !g->parts) goto oom;
    if (n_in) memcpy(g->in_kinds, in_kinds, n_in * sizeof(vl_dt_kind));
    if (n_keys) memcpy(g->keys, keys, n_keys * sizeof(uint32_t));
    if (n_aggs) memcpy(g->aggs, aggs, n_aggs * sizeof(vl_x_agg_spec));
    for (uint32_t k = 0; k < n_keys; k++)
        if (!(g->key_names[k] = dupstr(key_names[k]))) goto oom;
    for (uint32_t a = 0; a < n_aggs; a++) {
        if (!(g->agg_names[a] = dupstr(aggs[a].name))) goto oom;
        g->aggs[a].name = g->agg_names[a];
    }
    for (int w = 0; w < workers; w++)
        if (part_init(g, &g->parts[w]) != VL_OK) goto oom;
    *out = g;
    return VL_OK;
oom:
    vl_x_agg_free(g);
    return vl_error_set(err, VL_ENOMEM, "out of memory");
}

/* ----------------------------------------------------------------- groups */

/* Grows every per-group array to hold group index `need`. */
static int grow_groups(vl_x_agg *g, part *p, size_t need) {
    if (need < p->gcap) return VL_OK;
    size_t cap = p->gcap ? p->gcap * 2 : 256;
    while (cap <= need) cap *= 2;
    uint64_t *kh = vl_realloc(p->khash, cap * sizeof(uint64_t));
    if (!kh) return VL_ENOMEM;
    p->khash = kh;
    for (uint32_t a = 0; a < g->n_aggs; a++) {
        astate *s = &p->st[a];
        switch (g->aggs[a].fn) {
        case VL_X_AGG_MIN:
        case VL_X_AGG_MAX:
            break; /* rows of s->mm, added with the group */
        case VL_X_AGG_APPROX_DISTINCT: {
            vl_hll *h = vl_realloc(s->hll, cap * sizeof(vl_hll));
            if (!h) return VL_ENOMEM;
            s->hll = h;
            break;
        }
        case VL_X_AGG_QUANTILE: {
            vl_qsketch *q = vl_realloc(s->qs, cap * sizeof(vl_qsketch));
            if (!q) return VL_ENOMEM;
            s->qs = q;
            break;
        }
        case VL_X_AGG_COUNT_DISTINCT:
        case VL_X_AGG_COUNT:
        case VL_X_AGG_COUNT_COL: {
            int64_t *i = vl_realloc(s->i, cap * sizeof(int64_t));
            if (!i) return VL_ENOMEM;
            s->i = i;
            break;
        }
        default: {
            int64_t *i = vl_realloc(s->i, cap * sizeof(int64_t));
            if (i) s->i = i;
            double *d = vl_realloc(s->d, cap * sizeof(double));
            if (d) s->d = d;
            int64_t *n = vl_realloc(s->n, cap * sizeof(int64_t));
            if (n) s->n = n;
            if (!i || !d || !n) return VL_ENOMEM;
        }
        }
    }
    p->gcap = cap;
    return VL_OK;
}

static int rehash(part *p) {
    size_t cap = p->slot_cap * 2;
    uint32_t *sl = vl_calloc(cap, sizeof(uint32_t));
    if (!sl) return VL_ENOMEM;
    size_t mask = cap - 1;
    for (size_t gi = 0; gi < p->groups; gi++) {
        size_t at = (size_t)p->khash[gi] & mask;
        while (sl[at]) at = (at + 1) & mask;
        sl[at] = (uint32_t)gi + 1;
    }
    vl_free(p->slots);
    p->slots = sl;
    p->slot_cap = cap;
    p->mask = mask;
    return VL_OK;
}

/* A new group with row r's keys of batch columns cols (key k at cols[key[k]]). */
static int new_group(vl_x_agg *g, part *p, const vl_x_vec *cols, const uint32_t *key_cols, size_t r, uint64_t h,
                     size_t *gi_out) {
    if (p->groups >= UINT32_MAX - 1) return VL_ERANGE;
    size_t gi = p->groups;
    VL_RETURN_IF_ERR(grow_groups(g, p, gi));
    VL_RETURN_IF_ERR(vl_x_table_row_add(p->keys));
    for (uint32_t k = 0; k < g->n_keys; k++) VL_RETURN_IF_ERR(vl_x__table_put(p->keys, k, gi, &cols[key_cols[k]], r));
    p->khash[gi] = h;
    for (uint32_t a = 0; a < g->n_aggs; a++) {
        astate *s = &p->st[a];
        switch (g->aggs[a].fn) {
        case VL_X_AGG_MIN:
        case VL_X_AGG_MAX:
            VL_RETURN_IF_ERR(vl_x_table_row_add(s->mm));
            break;
        case VL_X_AGG_APPROX_DISTINCT: {
            vl_error e;
            VL_RETURN_IF_ERR(vl_hll_init(&s->hll[gi], HLL_P, &e));
            break;
        }
        case VL_X_AGG_QUANTILE: {
            vl_error e;
            VL_RETURN_IF_ERR(vl_qsketch_init(&s->qs[gi], 0, &e));
            break;
        }
        case VL_X_AGG_COUNT:
        case VL_X_AGG_COUNT_COL:
        case VL_X_AGG_COUNT_DISTINCT:
            s->i[gi] = 0;
            break;
        default:
            s->i[gi] = 0;
            s->d[gi] = 0;
            s->n[gi] = 0;
        }
    }
    p->groups++;
    if (p->groups * 2 > p->slot_cap) VL_RETURN_IF_ERR(rehash(p));
    *gi_out = gi;
    return VL_OK;
}

/* Finds or makes the group of row r (hash h); key k is cols[key_cols[k]]. */
static inline int find_group(vl_x_agg *g, part *p, const vl_x_vec *cols, const uint32_t *key_cols, size_t r,
                             uint64_t h, uint32_t *out) {
    size_t at = (size_t)h & p->mask;
    for (;;) {
        uint32_t s = p->slots[at];
        if (!s) break;
        size_t gi = s - 1;
        if (p->khash[gi] == h) {
            bool eq = true;
            for (uint32_t k = 0; k < g->n_keys && eq; k++)
                eq = vl_x__cell_eq(&p->keys->vecs[k], gi, &cols[key_cols[k]], r);
            if (eq) {
                *out = (uint32_t)gi;
                return VL_OK;
            }
        }
        at = (at + 1) & p->mask;
    }
    size_t gi;
    VL_RETURN_IF_ERR(new_group(g, p, cols, key_cols, r, h, &gi));
    at = (size_t)h & p->mask;
    while (p->slots[at]) at = (at + 1) & p->mask;
    p->slots[at] = (uint32_t)gi + 1;
    *out = (uint32_t)gi;
    return VL_OK;
}

/* ------------------------------------------------------------ distinct set */

static int dset_add(dset *d, uint32_t group, const vl_x_vec *v, size_t r, uint64_t vh) {
    uint64_t h = vl_mix64(vh ^ (uint64_t)group * 0x9e3779b97f4a7c15ull);
    if (!d->cap) {
        d->cap = 1024;
        d->mask = d->cap - 1;
        if (!(d->slots = vl_calloc(d->cap, sizeof(uint32_t)))) return VL_ENOMEM;
    }
    size_t at = (size_t)h & d->mask;
    for (;;) {
        uint32_t s = d->slots[at];
        if (!s) break;
        size_t i = s - 1;
        if (d->hash[i] == h && d->group[i] == group && vl_x__cell_eq(&d->vals->vecs[0], i, v, r)) return VL_OK;
        at = (at + 1) & d->mask;
    }
    size_t i = d->vals->n;
    if (i >= UINT32_MAX - 1) return VL_ERANGE;
    if (i >= d->vals->cap || !d->group) {
        VL_RETURN_IF_ERR(vl_x_table_reserve(d->vals, 1));
        uint32_t *gg = vl_realloc(d->group, d->vals->cap * sizeof(uint32_t));
        if (!gg) return VL_ENOMEM;
        d->group = gg;
        uint64_t *hh = vl_realloc(d->hash, d->vals->cap * sizeof(uint64_t));
        if (!hh) return VL_ENOMEM;
        d->hash = hh;
    }
    VL_RETURN_IF_ERR(vl_x_table_row_add(d->vals));
    VL_RETURN_IF_ERR(vl_x__table_put(d->vals, 0, i, v, r));
    d->group[i] = group;
    d->hash[i] = h;
    d->slots[at] = (uint32_t)i + 1;
    if (d->vals->n * 2 > d->cap) {
        size_t cap = d->cap * 2, mask = cap - 1;
        uint32_t *sl = vl_calloc(cap, sizeof(uint32_t));
        if (!sl) return VL_ENOMEM;
        for (size_t k = 0; k < d->vals->n; k++) {
            size_t a = (size_t)d->hash[k] & mask;
            while (sl[a]) a = (a + 1) & mask;
            sl[a] = (uint32_t)k + 1;
        }
        vl_free(d->slots);
        d->slots = sl;
        d->cap = cap;
        d->mask = mask;
    }
    return VL_OK;
}

/* ---------------------------------------------------------------- updates */

static int update(vl_x_agg *g, part *p, uint32_t a, const vl_x_batch *b, size_t rows, vl_error *err) {
    const vl_x_agg_spec *sp = &g->aggs[a];
    astate *s = &p->st[a];
    const uint32_t *rg = p->rg;
    if (sp->fn == VL_X_AGG_COUNT) {
        for (size_t i = 0; i < rows; i++) s->i[rg[i]]++;
        return VL_OK;
    }
    const vl_x_vec *v = &b->cols[sp->col];
#define NONNULL(r) (!v->valid || v->valid[r])
    switch (sp->fn) {
    case VL_X_AGG_COUNT_COL:
        for (size_t i = 0; i < rows; i++) s->i[rg[i]] += NONNULL(vl_x_batch_row(b, i));
        return VL_OK;
    case VL_X_AGG_SUM:
    case VL_X_AGG_AVG:
        if (v->type == VL_X_I64 && sp->fn == VL_X_AGG_SUM) {
            for (size_t i = 0; i < rows; i++) {
                size_t r = vl_x_batch_row(b, i);
                if (!NONNULL(r)) continue;
                if (__builtin_add_overflow(s->i[rg[i]], v->v.i64[r], &s->i[rg[i]]))
                    return vl_error_set(err, VL_ERANGE, "SUM for %s overflowed 64 bits", sp->name);
                s->n[rg[i]]++;
            }
        } else {
            for (size_t i = 0; i < rows; i++) {
                size_t r = vl_x_batch_row(b, i);
                if (!NONNULL(r)) continue;
                s->d[rg[i]] += v->type == VL_X_I64 ? (double)v->v.i64[r] : v->v.f64[r];
                s->n[rg[i]]++;
            }
        }
        return VL_OK;
    case VL_X_AGG_MIN:
    case VL_X_AGG_MAX: {
        int want = sp->fn == VL_X_AGG_MIN ? -1 : 1;
        const vl_x_vec *m = &s->mm->vecs[0];
        for (size_t i = 0; i < rows; i++) {
            size_t r = vl_x_batch_row(b, i);
            if (!NONNULL(r)) continue;
            uint32_t gi = rg[i];
            if (m->valid[gi] && vl_x__cell_cmp(v, r, m, gi) != want) continue;
            if (vl_x__table_put(s->mm, 0, gi, v, r) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
        }
        return VL_OK;
    }
    case VL_X_AGG_COUNT_DISTINCT:
        for (size_t i = 0; i < rows; i++) {
            size_t r = vl_x_batch_row(b, i);
            if (!NONNULL(r)) continue;
            int rc = dset_add(&s->ds, rg[i], v, r, vl_x__hash_cell(v, r, 0x64697374ull));
            if (rc) return vl_error_set(err, rc, rc == VL_ERANGE ? "too many distinct values" : "out of memory");
        }
        return VL_OK;
    case VL_X_AGG_QUANTILE:
        for (size_t i = 0; i < rows; i++) {
            size_t r = vl_x_batch_row(b, i);
            if (!NONNULL(r)) continue;
            double x = v->type == VL_X_I64 ? (double)v->v.i64[r] : v->v.f64[r];
            if (!isfinite(x)) continue; /* NaN and infinities have no rank in the sketch */
            VL_RETURN_IF_ERR(vl_qsketch_add(&s->qs[rg[i]], x, err));
        }
        return VL_OK;
    default: /* APPROX_DISTINCT */
        for (size_t i = 0; i < rows; i++) {
            size_t r = vl_x_batch_row(b, i);
            if (!NONNULL(r)) continue;
            VL_RETURN_IF_ERR(vl_hll_add(&s->hll[rg[i]], vl_x__hash_cell(v, r, 0x686c6cull), err));
        }
        return VL_OK;
    }
#undef NONNULL
}

int vl_x_agg_add(vl_x_agg *g, int worker, const vl_x_batch *b, vl_error *err) {
    part *p = &g->parts[worker];
    size_t rows = vl_x_batch_rows(b);
    if (rows > p->rcap) {
        size_t cap = rows;
        uint64_t *rh = vl_realloc(p->rh, cap * sizeof(uint64_t));
        if (rh) p->rh = rh;
        uint32_t *rgs = vl_realloc(p->rg, cap * sizeof(uint32_t));
        if (rgs) p->rg = rgs;
        if (!rh || !rgs) return vl_error_set(err, VL_ENOMEM, "out of memory");
        p->rcap = cap;
    }
    /* hashes, a key column at a time */
    for (size_t i = 0; i < rows; i++) p->rh[i] = 0x6b657973ull;
    for (uint32_t k = 0; k < g->n_keys; k++) {
        const vl_x_vec *v = &b->cols[g->keys[k]];
        for (size_t i = 0; i < rows; i++) p->rh[i] = vl_x__hash_cell(v, vl_x_batch_row(b, i), p->rh[i]);
    }
    for (size_t i = 0; i < rows; i++) {
        int rc = find_group(g, p, b->cols, g->keys, vl_x_batch_row(b, i), p->rh[i], &p->rg[i]);
        if (rc) return vl_error_set(err, rc, rc == VL_ERANGE ? "too many groups" : "out of memory");
    }
    for (uint32_t a = 0; a < g->n_aggs; a++) VL_RETURN_IF_ERR(update(g, p, a, b, rows, err));
    return VL_OK;
}

/* ---------------------------------------------------------------- finish */

/* Merges part q into part p (q's groups re-found in p by their keys). */
static int merge(vl_x_agg *g, part *p, part *q, vl_error *err) {
    vl_x_batch kb = vl_x_table_batch(q->keys);
    uint32_t *ident = vl_calloc(g->n_keys + 1, sizeof(uint32_t));
    uint32_t *map = vl_calloc(q->groups + 1, sizeof(uint32_t));
    int rc = VL_OK;
    if (!ident || !map) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    for (uint32_t k = 0; k < g->n_keys && rc == VL_OK; k++) ident[k] = k;
    for (size_t gi = 0; gi < q->groups && rc == VL_OK; gi++) {
        rc = find_group(g, p, kb.cols, ident, gi, q->khash[gi], &map[gi]);
        if (rc) rc = vl_error_set(err, rc, rc == VL_ERANGE ? "too many groups" : "out of memory");
    }
    for (uint32_t a = 0; a < g->n_aggs && rc == VL_OK; a++) {
        astate *s = &p->st[a], *t = &q->st[a];
        const vl_x_agg_spec *sp = &g->aggs[a];
        for (size_t gi = 0; gi < q->groups && rc == VL_OK; gi++) {
            uint32_t to = map[gi];
            switch (sp->fn) {
            case VL_X_AGG_COUNT:
            case VL_X_AGG_COUNT_COL:
                s->i[to] += t->i[gi];
                break;
            case VL_X_AGG_SUM:
            case VL_X_AGG_AVG:
                if (in_type(g, sp->col) == VL_X_I64 && sp->fn == VL_X_AGG_SUM) {
                    if (__builtin_add_overflow(s->i[to], t->i[gi], &s->i[to]))
                        rc = vl_error_set(err, VL_ERANGE, "SUM for %s overflowed 64 bits", sp->name);
                } else {
                    s->d[to] += t->d[gi];
                }
                s->n[to] += t->n[gi];
                break;
            case VL_X_AGG_MIN:
            case VL_X_AGG_MAX: {
                const vl_x_vec *m = &s->mm->vecs[0], *x = &t->mm->vecs[0];
                if (!x->valid[gi]) break;
                if (m->valid[to] && vl_x__cell_cmp(x, gi, m, to) != (sp->fn == VL_X_AGG_MIN ? -1 : 1)) break;
                if (vl_x__table_put(s->mm, 0, to, x, gi) != VL_OK) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
                break;
            }
            case VL_X_AGG_APPROX_DISTINCT:
                rc = vl_hll_merge(&s->hll[to], &t->hll[gi], err);
                break;
            case VL_X_AGG_QUANTILE:
                rc = vl_qsketch_merge(&s->qs[to], &t->qs[gi], err);
                break;
            default:
                break;
            }
        }
        if (sp->fn == VL_X_AGG_COUNT_DISTINCT && rc == VL_OK) {
            const vl_x_vec *x = &t->ds.vals->vecs[0];
            for (size_t i = 0; i < t->ds.vals->n && rc == VL_OK; i++) {
                int e = dset_add(&s->ds, map[t->ds.group[i]], x, i, vl_x__hash_cell(x, i, 0x64697374ull));
                if (e) rc = vl_error_set(err, e, e == VL_ERANGE ? "too many distinct values" : "out of memory");
            }
        }
    }
    vl_free(ident);
    vl_free(map);
    return rc;
}

int vl_x_agg_finish(vl_x_agg *g, vl_x_table **out, vl_error *err) {
    *out = NULL;
    part *p = &g->parts[0];
    for (int w = 1; w < g->workers; w++) VL_RETURN_IF_ERR(merge(g, p, &g->parts[w], err));
    if (g->n_keys == 0 && p->groups == 0) { /* one row over nothing */
        size_t gi;
        int rc = new_group(g, p, NULL, NULL, 0, 0, &gi);
        if (rc) return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    uint32_t nc = g->n_keys + g->n_aggs;
    const char **names = vl_calloc(nc + 1, sizeof(char *));
    vl_dt_kind *kinds = vl_calloc(nc + 1, sizeof(vl_dt_kind));
    vl_x_table *t = NULL;
    int rc = VL_OK;
    if (!names || !kinds) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t k = 0; k < g->n_keys; k++) {
        names[k] = g->key_names[k];
        kinds[k] = g->in_kinds[g->keys[k]];
    }
    for (uint32_t a = 0; a < g->n_aggs; a++) {
        const vl_x_agg_spec *sp = &g->aggs[a];
        names[g->n_keys + a] = sp->name;
        vl_dt_kind k = VL_DT_LONG;
        if (sp->fn == VL_X_AGG_AVG || sp->fn == VL_X_AGG_QUANTILE) k = VL_DT_DOUBLE;
        else if (sp->fn == VL_X_AGG_SUM) k = in_type(g, sp->col) == VL_X_I64 ? VL_DT_LONG : VL_DT_DOUBLE;
        else if (sp->fn == VL_X_AGG_MIN || sp->fn == VL_X_AGG_MAX) k = g->in_kinds[sp->col];
        kinds[g->n_keys + a] = k;
    }
    rc = vl_x_table_new(names, kinds, nc, &t, err);
    if (rc) goto done;
    if (vl_x_table_reserve(t, p->groups) != VL_OK) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    /* distinct counts per group */
    for (uint32_t a = 0; a < g->n_aggs; a++)
        if (g->aggs[a].fn == VL_X_AGG_COUNT_DISTINCT) {
            astate *s = &p->st[a];
            for (size_t gi = 0; gi < p->groups; gi++) s->i[gi] = 0;
            for (size_t i = 0; s->ds.vals && i < s->ds.vals->n; i++) s->i[s->ds.group[i]]++;
        }
    for (size_t gi = 0; gi < p->groups && rc == VL_OK; gi++) {
        if (vl_x_table_row_add(t) != VL_OK) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            break;
        }
        for (uint32_t k = 0; k < g->n_keys && rc == VL_OK; k++)
            if (vl_x__table_put(t, k, gi, &p->keys->vecs[k], gi) != VL_OK) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        for (uint32_t a = 0; a < g->n_aggs && rc == VL_OK; a++) {
            const vl_x_agg_spec *sp = &g->aggs[a];
            astate *s = &p->st[a];
            uint32_t c = g->n_keys + a;
            switch (sp->fn) {
            case VL_X_AGG_COUNT:
            case VL_X_AGG_COUNT_COL:
            case VL_X_AGG_COUNT_DISTINCT:
                vl_x_table_set_i64(t, c, gi, s->i[gi]);
                break;
            case VL_X_AGG_APPROX_DISTINCT:
                vl_x_table_set_i64(t, c, gi, (int64_t)vl_hll_estimate(&s->hll[gi]));
                break;
            case VL_X_AGG_SUM:
                if (!s->n[gi]) break; /* null */
                if (in_type(g, sp->col) == VL_X_I64) vl_x_table_set_i64(t, c, gi, s->i[gi]);
                else vl_x_table_set_f64(t, c, gi, s->d[gi]);
                break;
            case VL_X_AGG_AVG:
                if (s->n[gi]) vl_x_table_set_f64(t, c, gi, s->d[gi] / (double)s->n[gi]);
                break;
            case VL_X_AGG_QUANTILE:
                if (vl_qsketch_count(&s->qs[gi])) vl_x_table_set_f64(t, c, gi, vl_qsketch_quantile(&s->qs[gi], sp->q));
                break;
            default:
                if (vl_x__table_put(t, c, gi, &s->mm->vecs[0], gi) != VL_OK)
                    rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            }
        }
    }
done:
    vl_free(names);
    vl_free(kinds);
    if (rc) {
        vl_x_table_free(t);
        return rc;
    }
    *out = t;
    return VL_OK;
}
