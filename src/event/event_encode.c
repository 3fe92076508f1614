/* vidlake - Apache-2.0 */
/*
 * The canonical NDJSON encoder. It is on the simulator's and the exporters'
 * hot path, so it reserves an upper bound once and then writes with a plain
 * cursor: keys are precomputed (`,"name":`), integers and timestamps are
 * formatted by hand, and only strings that need escaping take the slow path.
 */
#include "event.h"

#include <string.h>

/* ,"name": for every field, built once. The text is copied with a fixed
 * 40-byte memcpy (two 16-byte moves and one 8-byte one) rather than its exact
 * length: a variable-length memcpy compiles to `rep movs`, which was a
 * quarter of the encoder's time. The output bound reserves the slack. */
typedef struct {
    char text[40];
    uint8_t n;
} key_prefix;

#define PREFIX_SLACK sizeof(((key_prefix *)0)->text)

/* enum value names with their lengths, so the hot path needs no strlen */
typedef struct {
    const char *p;
    uint8_t n;
} enum_name;

#define MAX_ENUM_VALUES 64
static enum_name enum_names[VL_F_COUNT][MAX_ENUM_VALUES];

static key_prefix prefixes[VL_F_COUNT];
static int prefixes_built;

static void build_prefixes(void) {
    for (int f = 0; f < VL_F_COUNT; f++) {
        const vl_field *fd = &vl_event_fields[f];
        key_prefix *k = &prefixes[f];
        k->text[0] = ',';
        k->text[1] = '"';
        memcpy(k->text + 2, fd->name, fd->name_len);
        k->text[2 + fd->name_len] = '"';
        k->text[3 + fd->name_len] = ':';
        k->n = (uint8_t)(fd->name_len + 4);
        VL_ASSERT(fd->n_values <= MAX_ENUM_VALUES);
        for (int i = 0; i < fd->n_values; i++)
            enum_names[f][i] = (enum_name){fd->values[i], (uint8_t)strlen(fd->values[i])};
    }
    __atomic_store_n(&prefixes_built, 1, __ATOMIC_RELEASE);
}

_Static_assert(sizeof(((key_prefix *)0)->text) >= 4 + 32, "field names are at most 32 bytes");

/* True if s can be copied between quotes as it is: printable ASCII without
 * '"' or '\'. Eight bytes at a time (SWAR): a byte b is flagged when
 * b < 0x20, b >= 0x80, b == '"' or b == '\\'. */
static inline bool plain_ascii(const char *s, size_t n) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t lt20 = (w - ones * 0x20) & ~w;
        uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
        uint64_t eq = ((q - ones) & ~q) | ((bs - ones) & ~bs);
        if ((lt20 | eq | w) & highs) return false;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
    }
    return true;
}

int vl_event_encode(const vl_event *ev, vl_buf *out) {
    if (VL_UNLIKELY(!__atomic_load_n(&prefixes_built, __ATOMIC_ACQUIRE))) build_prefixes();
    /* upper bound: every key, strings escaped at worst 6x, numbers 32 */
    size_t bound = 4 + PREFIX_SLACK;
    for (uint64_t m = ev->present; m; m &= m - 1) {
        int f = __builtin_ctzll(m);
        vl_ftype t = vl_event_fields[f].type;
        bound += prefixes[f].n + 34;
        if (t == VL_FT_STRING) bound += ev->v[f].s.n * 6;
        else if (t == VL_FT_JSON) bound += ev->v[f].s.n;
    }
    VL_RETURN_IF_ERR(vl_buf_reserve(out, bound));
    char *start = out->p + out->n, *o = start;
    for (uint64_t m = ev->present; m; m &= m - 1) {
        int f = __builtin_ctzll(m);
        const vl_field *fd = &vl_event_fields[f];
        const vl_value *v = &ev->v[f];
        memcpy(o, prefixes[f].text, PREFIX_SLACK);
        o += prefixes[f].n;
        switch (fd->type) {
        case VL_FT_STRING:
            if (VL_LIKELY(plain_ascii(v->s.p, v->s.n))) {
                *o++ = '"';
                memcpy(o, v->s.p, v->s.n);
                o += v->s.n;
                *o++ = '"';
            } else {
                o += vl_json_escape(o, v->s.p, v->s.n);
            }
            break;
        case VL_FT_ENUM: {
            enum_name e = v->i >= 0 && v->i < fd->n_values ? enum_names[f][v->i] : (enum_name){"", 0};
            *o++ = '"';
            memcpy(o, e.p, e.n);
            o += e.n;
            *o++ = '"';
            break;
        }
        case VL_FT_TIMESTAMP:
            *o++ = '"';
            o += vl_ts_format(o, v->i);
            *o++ = '"';
            break;
        case VL_FT_DATE:
            *o++ = '"';
            o += vl_date_format(o, v->i);
            *o++ = '"';
            break;
        case VL_FT_INT32:
        case VL_FT_INT64:
            o += vl_fmt_i64(o, v->i);
            break;
        case VL_FT_BOOL:
            if (v->i) { memcpy(o, "true", 4); o += 4; }
            else { memcpy(o, "false", 5); o += 5; }
            break;
        case VL_FT_DOUBLE: {
            char tmp[40];
            size_t n = vl_fmt_double(tmp, v->d);
            /* NaN and infinities are not JSON numbers: write them as strings */
            bool word = tmp[0] == 'N' || tmp[0] == 'I' || (tmp[0] == '-' && tmp[1] == 'I');
            if (word) *o++ = '"';
            memcpy(o, tmp, n);
            o += n;
            if (word) *o++ = '"';
            break;
        }
        case VL_FT_JSON:
            if (v->s.n) {
                memcpy(o, v->s.p, v->s.n);
                o += v->s.n;
            } else {
                memcpy(o, "{}", 2);
                o += 2;
            }
            break;
        }
    }
    if (o == start) {
        *o++ = '{';
        *o++ = '}';
    } else {
        start[0] = '{'; /* the first key's leading comma */
        *o++ = '}';
    }
    *o++ = '\n';
    out->n = (size_t)(o - out->p);
    return VL_OK;
}
