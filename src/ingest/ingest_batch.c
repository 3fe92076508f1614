/* vidlake - Apache-2.0 */
/*
 * The event column batch. Every field has a definition-level array (optional
 * fields) and a dense value array sized for the batch's capacity up front,
 * so appending an event is a few stores per present field and a copy of its
 * string bytes into the batch's arena. Enum values are stored as views of
 * the schema's static names.
 */
#include "ingest.h"

#include <string.h>

struct vl_event_batch {
    size_t cap, rows;
    int16_t *def[VL_F_COUNT];  /* NULL for required fields */
    void *vals[VL_F_COUNT];    /* int32_t, int64_t, double, uint8_t or vl_sv */
    size_t n_vals[VL_F_COUNT];
    vl_arena strings;
    const char *borrow_lo, *borrow_hi; /* strings in here are kept as views */
};

/* The Parquet physical type and value width of a field. */
static int32_t physical_of(vl_ftype t, size_t *width) {
    switch (t) {
    case VL_FT_INT32: case VL_FT_DATE: *width = 4; return VL_PQ_T_INT32;
    case VL_FT_INT64: case VL_FT_TIMESTAMP: *width = 8; return VL_PQ_T_INT64;
    case VL_FT_DOUBLE: *width = 8; return VL_PQ_T_DOUBLE;
    case VL_FT_BOOL: *width = 1; return VL_PQ_T_BOOLEAN;
    default: *width = sizeof(vl_sv); return VL_PQ_T_BYTE_ARRAY;
    }
}

void vl_event_parquet_schema(vl_pq_schema_elem out[VL_F_COUNT + 1]) {
    memset(out, 0, sizeof(vl_pq_schema_elem) * (VL_F_COUNT + 1));
    out[0].name = VL_SV("event");
    out[0].num_children = VL_F_COUNT;
    out[0].has_num_children = true;
    for (int f = 0; f < VL_F_COUNT; f++) {
        const vl_field *fd = &vl_event_fields[f];
        vl_pq_schema_elem *e = &out[f + 1];
        size_t w;
        e->name = (vl_sv){fd->name, fd->name_len};
        e->type = physical_of(fd->type, &w);
        e->has_type = true;
        e->repetition_type = (fd->flags & VL_FF_REQUIRED) ? VL_PQ_REP_REQUIRED : VL_PQ_REP_OPTIONAL;
        e->has_repetition_type = true;
        switch (fd->type) {
        case VL_FT_STRING: case VL_FT_ENUM: case VL_FT_JSON:
            e->logical.kind = VL_PQ_LT_STRING;
            break;
        case VL_FT_TIMESTAMP:
            e->logical.kind = VL_PQ_LT_TIMESTAMP;
            e->logical.unit = VL_PQ_UNIT_MICROS;
            e->logical.is_adjusted_to_utc = true;
            break;
        case VL_FT_DATE:
            e->logical.kind = VL_PQ_LT_DATE;
            break;
        default:
            break;
        }
    }
}

int vl_event_batch_create(size_t cap, vl_event_batch **out, vl_error *err) {
    *out = NULL;
    if (cap == 0 || cap > ((size_t)1 << 26))
        return vl_error_set(err, VL_EINVAL, "event batch capacity %zu not in 1 .. 2^26", cap);
    vl_event_batch *b = vl_calloc(1, sizeof(*b));
    if (!b) return vl_error_set(err, VL_ENOMEM, "out of memory for an event batch");
    b->cap = cap;
    vl_arena_init(&b->strings, 1 << 20);
    for (int f = 0; f < VL_F_COUNT; f++) {
        size_t w;
        physical_of(vl_event_fields[f].type, &w);
        bool required = vl_event_fields[f].flags & VL_FF_REQUIRED;
        b->vals[f] = vl_malloc(cap * w);
        if (!required) b->def[f] = vl_malloc(cap * sizeof(int16_t));
        if (!b->vals[f] || (!required && !b->def[f])) {
            vl_event_batch_destroy(b);
            return vl_error_set(err, VL_ENOMEM, "out of memory for an event batch of %zu rows", cap);
        }
    }
    *out = b;
    return VL_OK;
}

void vl_event_batch_destroy(vl_event_batch *b) {
    if (!b) return;
    for (int f = 0; f < VL_F_COUNT; f++) {
        vl_free(b->def[f]);
        vl_free(b->vals[f]);
    }
    vl_arena_destroy(&b->strings);
    vl_free(b);
}

size_t vl_event_batch_rows(const vl_event_batch *b) { return b->rows; }

void vl_event_batch_borrow(vl_event_batch *b, const char *lo, const char *hi) {
    b->borrow_lo = lo;
    b->borrow_hi = lo ? hi : NULL;
}
bool vl_event_batch_full(const vl_event_batch *b) { return b->rows >= b->cap; }

void vl_event_batch_clear(vl_event_batch *b) {
    b->rows = 0;
    memset(b->n_vals, 0, sizeof(b->n_vals));
    vl_arena_reset(&b->strings);
}

/* Takes back the values a failed append had stored. */
static void undo(vl_event_batch *b, uint64_t added) {
    for (; added; added &= added - 1) b->n_vals[__builtin_ctzll(added)]--;
}

int vl_event_batch_add(vl_event_batch *b, const vl_event *ev, vl_error *err) {
    if (b->rows >= b->cap) return vl_error_set(err, VL_ERANGE, "event batch is full (%zu rows)", b->cap);
    size_t row = b->rows;
    uint64_t added = 0; /* fields that got a value, to undo on failure */
    for (int f = 0; f < VL_F_COUNT; f++) {
        bool has = vl_event_has(ev, (vl_field_id)f);
        if (b->def[f]) b->def[f][row] = has;
        else if (!has) { /* validated events have every required field */
            undo(b, added);
            return vl_error_set(err, VL_EINVAL, "event without required field '%s'",
                                vl_event_fields[f].name);
        }
        if (!has) continue;
        const vl_value *v = &ev->v[f];
        size_t k = b->n_vals[f]++;
        added |= UINT64_C(1) << f;
        switch (vl_event_fields[f].type) {
        case VL_FT_INT32: case VL_FT_DATE: ((int32_t *)b->vals[f])[k] = (int32_t)v->i; break;
        case VL_FT_INT64: case VL_FT_TIMESTAMP: ((int64_t *)b->vals[f])[k] = v->i; break;
        case VL_FT_DOUBLE: ((double *)b->vals[f])[k] = v->d; break;
        case VL_FT_BOOL: ((uint8_t *)b->vals[f])[k] = v->i != 0; break;
        case VL_FT_ENUM: {
            const vl_field *fd = &vl_event_fields[f];
            const char *name = v->i >= 0 && v->i < fd->n_values ? fd->values[v->i] : "";
            ((vl_sv *)b->vals[f])[k] = vl_sv_cstr(name);
            break;
        }
        default: {
            if (v->s.p >= b->borrow_lo && v->s.p + v->s.n <= b->borrow_hi && v->s.n) {
                ((vl_sv *)b->vals[f])[k] = v->s; /* the caller keeps these bytes */
                break;
            }
            char *copy = v->s.n ? vl_arena_memdup(&b->strings, v->s.p, v->s.n) : NULL;
            if (v->s.n && !copy) {
                undo(b, added);
                return vl_error_set(err, VL_ENOMEM, "out of memory copying field '%s'",
                                    vl_event_fields[f].name);
            }
            ((vl_sv *)b->vals[f])[k] = (vl_sv){copy ? copy : "", v->s.n};
        }
        }
    }
    b->rows++;
    return VL_OK;
}

void vl_event_batch_columns(const vl_event_batch *b, vl_pq_column cols[VL_F_COUNT]) {
    for (int f = 0; f < VL_F_COUNT; f++) {
        memset(&cols[f], 0, sizeof(cols[f]));
        cols[f].n = b->rows;
        cols[f].def = b->def[f];
        cols[f].n_values = b->n_vals[f];
        cols[f].v.b = b->vals[f];
    }
}
