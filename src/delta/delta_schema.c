/* vidlake - Apache-2.0 */
/*
 * delta_schema: the table schema of a Delta table. Three spellings of one
 * type tree (vl_dt_type):
 *
 *  - the Spark JSON schema of metaData.schemaString (PROTOCOL.md "Schema
 *    Serialization Format"), read and written back byte for byte the way
 *    Spark writes it: keys in Spark's order, no whitespace, field metadata
 *    kept as compact JSON text;
 *  - the SQL-ish names of the CLI ("long", "decimal(10,2)", "array<int>",
 *    "map<string,int>", "struct<a:int,b:string>") and column lists
 *    ("id long, name string NOT NULL");
 *  - the Parquet schema of data files, laid out as Spark's default (non-
 *    legacy) writer does: three-level LIST and MAP groups, decimals in the
 *    smallest physical type their precision allows, both the logicalType
 *    and the legacy converted_type on every annotated element.
 *
 * Invariants: every tree this file builds is at most DT_MAX_DEPTH types
 * deep (a field's type is depth 1), so recursion over it is bounded and its
 * Parquet schema (two levels per array or map) stays within the 64 levels
 * the Parquet schema builder accepts. Names and metadata are copied into
 * the caller's arena: nothing points into the input text.
 *
 * Deliberately not here: type widening, column mapping (physical names and
 * field ids in metadata are kept, not interpreted), char/varchar (Spark
 * stores them as string with metadata, which we keep verbatim).
 */
#include "delta/delta.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The deepest type tree accepted: with two Parquet levels per array or map,
 * 30 levels need at most 61 Parquet levels below the root (limit 64). */
#define DT_MAX_DEPTH 30

/* JSON nesting allowed in a schemaString: a struct inside a struct costs 3
 * JSON levels (object, "fields" array, field object), so 30 type levels
 * need about 92; anything deeper is refused by our own depth check first. */
#define SCHEMA_JSON_MAX_DEPTH 128

#define DEC_MAX_PRECISION 38 /* Spark's DecimalType.MAX_PRECISION */

static const char empty_metadata[] = "{}";

/* ----------------------------------------------------------- field paths */

/* The dotted path of the field being read, for messages ("a.b.element"). */
typedef struct fpath {
    char b[256];
    size_t n;
} fpath;

static size_t fpath_push(fpath *fp, const char *s, size_t n) {
    size_t old = fp->n;
    if (fp->n && fp->n < sizeof(fp->b) - 1) fp->b[fp->n++] = '.';
    size_t room = sizeof(fp->b) - 1 - fp->n;
    if (n > room) n = room;
    memcpy(fp->b + fp->n, s, n);
    fp->n += n;
    fp->b[fp->n] = '\0';
    return old;
}

static void fpath_pop(fpath *fp, size_t old) {
    fp->n = old;
    fp->b[old] = '\0';
}

/* ------------------------------------------------------------ primitives */

typedef struct prim_name {
    const char *name;
    vl_dt_kind kind;
} prim_name;

/* The names of the Spark JSON schema (DataType.typeName), exact case. */
static const prim_name json_prims[] = {
    {"string", VL_DT_STRING},   {"long", VL_DT_LONG},         {"integer", VL_DT_INTEGER},
    {"short", VL_DT_SHORT},     {"byte", VL_DT_BYTE},         {"float", VL_DT_FLOAT},
    {"double", VL_DT_DOUBLE},   {"boolean", VL_DT_BOOLEAN},   {"binary", VL_DT_BINARY},
    {"date", VL_DT_DATE},       {"timestamp", VL_DT_TIMESTAMP}, {"timestamp_ntz", VL_DT_TIMESTAMP_NTZ},
};

/* The SQL names and aliases, compared without case. */
static const prim_name sql_prims[] = {
    {"string", VL_DT_STRING},       {"long", VL_DT_LONG},          {"bigint", VL_DT_LONG},
    {"int", VL_DT_INTEGER},         {"integer", VL_DT_INTEGER},    {"short", VL_DT_SHORT},
    {"smallint", VL_DT_SHORT},      {"byte", VL_DT_BYTE},          {"tinyint", VL_DT_BYTE},
    {"float", VL_DT_FLOAT},         {"real", VL_DT_FLOAT},         {"double", VL_DT_DOUBLE},
    {"boolean", VL_DT_BOOLEAN},     {"bool", VL_DT_BOOLEAN},       {"binary", VL_DT_BINARY},
    {"date", VL_DT_DATE},           {"timestamp", VL_DT_TIMESTAMP}, {"timestamp_ltz", VL_DT_TIMESTAMP},
    {"timestamp_ntz", VL_DT_TIMESTAMP_NTZ},
};

static bool sv_ieq(vl_sv s, const char *lit) {
    size_t n = strlen(lit);
    if (s.n != n) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c | 0x20);
        if (c != (unsigned char)lit[i]) return false;
    }
    return true;
}

static bool dec_valid(int64_t p, int64_t s) { return p >= 1 && p <= DEC_MAX_PRECISION && s >= 0 && s <= p; }

static void type_init(vl_dt_type *t, vl_dt_kind k) {
    memset(t, 0, sizeof(*t));
    t->kind = k;
}

/* "decimal(p,s)" as Spark's JSON has it (spaces allowed inside the
 * parentheses, as Spark's pattern allows); "decimal" alone is (10,0). */
static bool json_decimal(vl_sv s, int32_t *p, int32_t *sc) {
    if (s.n == 7 && memcmp(s.p, "decimal", 7) == 0) {
        *p = 10;
        *sc = 0;
        return true;
    }
    if (s.n < 8 || memcmp(s.p, "decimal(", 8) != 0) return false;
    size_t i = 8;
    int64_t v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        while (i < s.n && s.p[i] == ' ') i++;
        size_t start = i;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9' && i - start < 4) v[k] = v[k] * 10 + (s.p[i++] - '0');
        if (i == start || (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')) return false;
        while (i < s.n && s.p[i] == ' ') i++;
        if (i >= s.n || s.p[i] != (k == 0 ? ',' : ')')) return false;
        i++;
    }
    if (i != s.n || !dec_valid(v[0], v[1])) return false;
    *p = (int32_t)v[0];
    *sc = (int32_t)v[1];
    return true;
}

/* The first field whose name repeats an earlier one: *dup is its index.
 * @return 1 (found), 0 (none) or -1 (out of memory). Hashes the names so
 * that a hostile schema with many fields costs linear time. */
static int find_dup(const vl_dt_field *f, uint32_t n, uint32_t *dup) {
    if (n <= 16) {
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t k = 0; k < i; k++)
                if (vl_sv_eq(f[i].name, f[k].name)) {
                    *dup = i;
                    return 1;
                }
        return 0;
    }
    vl_u64set seen;
    vl_u64set_init(&seen);
    int found = 0;
    for (uint32_t i = 0; i < n && !found; i++) {
        int r = vl_u64set_add(&seen, vl_hash64(f[i].name.p, f[i].name.n, 0));
        if (r < 0) {
            found = -1;
            break;
        }
        if (r == 0) /* the hash was seen: confirm by comparing */
            for (uint32_t k = 0; k < i; k++)
                if (vl_sv_eq(f[i].name, f[k].name)) {
                    *dup = i;
                    found = 1;
                    break;
                }
    }
    vl_u64set_free(&seen);
    return found;
}

/* ------------------------------------------------------ JSON schema: read */

typedef struct jreader {
    vl_arena *a; /* the output tree */
    vl_error *err;
    vl_buf tmp;  /* metadata re-serialisation */
    fpath path;
} jreader;

static int jfail(jreader *J, const char *fmt, ...) VL_PRINTF(2, 3);

/* "schema: field 'a.b': <what>" */
static int jfail(jreader *J, const char *fmt, ...) {
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (J->path.n)
        return vl_error_set(J->err, VL_ECORRUPT, "schema: field '%s': %s", J->path.b, what);
    return vl_error_set(J->err, VL_ECORRUPT, "schema: %s", what);
}

/* At most 64 bytes of s, for messages. */
#define CLIP(n) ((int)((n) > 64 ? 64 : (n)))

static int joom(jreader *J) { return vl_error_set(J->err, VL_ENOMEM, "schema: out of memory"); }

static int j_type(jreader *J, const vl_json *tv, vl_dt_type *out, int depth);

/* A required member of a type or field object. */
static int j_member(jreader *J, const vl_json *obj, const char *key, vl_json_kind_t kind,
                    const vl_json **out) {
    const vl_json *v = vl_json_get(obj, key);
    vl_json_kind_t k = vl_json_kind(v);
    if (k == VL_JSON_MISSING) return jfail(J, "missing \"%s\"", key);
    if (kind != VL_JSON_MISSING && k != kind) {
        return jfail(J, "\"%s\" is %s, expected %s", key, vl_json_kind_name(k), vl_json_kind_name(kind));
    }
    *out = v;
    return VL_OK;
}

static int j_bool(jreader *J, const vl_json *obj, const char *key, bool *out) {
    const vl_json *v;
    VL_RETURN_IF_ERR(j_member(J, obj, key, VL_JSON_BOOL, &v));
    vl_json_bool(v, out);
    return VL_OK;
}

static int j_struct(jreader *J, const vl_json *obj, vl_dt_type *out, int depth) {
    const vl_json *fields;
    VL_RETURN_IF_ERR(j_member(J, obj, "fields", VL_JSON_ARRAY, &fields));
    size_t n = vl_json_len(fields);
    type_init(out, VL_DT_STRUCT);
    if (n > UINT32_MAX / 2) return jfail(J, "too many fields");
    if (n) {
        out->fields = vl_arena_alloc(J->a, n * sizeof(*out->fields));
        if (!out->fields) return joom(J);
        memset(out->fields, 0, n * sizeof(*out->fields));
    }
    for (size_t i = 0; i < n; i++) {
        const vl_json *fo = vl_json_at(fields, i);
        vl_dt_field *f = &out->fields[i];
        if (vl_json_kind(fo) != VL_JSON_OBJECT) {
            return jfail(J, "field %zu is %s, expected an object", i, vl_json_kind_name(vl_json_kind(fo)));
        }
        const vl_json *nv;
        VL_RETURN_IF_ERR(j_member(J, fo, "name", VL_JSON_STRING, &nv));
        vl_sv name;
        vl_json_str(nv, &name);
        f->name.p = name.n ? vl_arena_memdup(J->a, name.p, name.n) : "";
        if (!f->name.p) return joom(J);
        f->name.n = name.n;
        size_t old = fpath_push(&J->path, name.p, name.n);
        const vl_json *tv;
        VL_RETURN_IF_ERR(j_member(J, fo, "type", VL_JSON_MISSING, &tv));
        VL_RETURN_IF_ERR(j_type(J, tv, &f->type, depth + 1));
        VL_RETURN_IF_ERR(j_bool(J, fo, "nullable", &f->nullable));
        const vl_json *md = vl_json_get(fo, "metadata");
        vl_json_kind_t mk = vl_json_kind(md);
        if (mk == VL_JSON_MISSING || mk == VL_JSON_NULL) {
            f->metadata = VL_SV(empty_metadata);
        } else if (mk != VL_JSON_OBJECT) {
            return jfail(J, "\"metadata\" is %s, expected an object", vl_json_kind_name(mk));
        } else {
            vl_buf_clear(&J->tmp);
            vl_json_w w;
            vl_json_w_init(&w, &J->tmp, 0);
            (void)vl_json_w_value(&w, md);
            int rc = vl_json_w_finish(&w, J->err);
            if (rc == VL_ENOMEM) return joom(J);
            if (rc != VL_OK) return jfail(J, "bad metadata");
            char *m = vl_arena_memdup(J->a, J->tmp.p, J->tmp.n);
            if (!m) return joom(J);
            f->metadata = vl_sv_make(m, J->tmp.n);
        }
        fpath_pop(&J->path, old);
    }
    out->n_fields = (uint32_t)n;
    uint32_t d;
    int r = find_dup(out->fields, out->n_fields, &d);
    if (r < 0) return joom(J);
    if (r > 0)
        return jfail(J, "duplicate field name \"%.*s\"", CLIP(out->fields[d].name.n), out->fields[d].name.p);
    return VL_OK;
}

static int j_type(jreader *J, const vl_json *tv, vl_dt_type *out, int depth) {
    if (depth > DT_MAX_DEPTH) {
        return jfail(J, "types nested deeper than %d levels", DT_MAX_DEPTH);
    }
    vl_json_kind_t k = vl_json_kind(tv);
    if (k == VL_JSON_STRING) {
        vl_sv s;
        vl_json_str(tv, &s);
        for (size_t i = 0; i < sizeof(json_prims) / sizeof(json_prims[0]); i++)
            if (vl_sv_eq_cstr(s, json_prims[i].name)) {
                type_init(out, json_prims[i].kind);
                return VL_OK;
            }
        int32_t p, sc;
        if (json_decimal(s, &p, &sc)) {
            type_init(out, VL_DT_DECIMAL);
            out->precision = p;
            out->scale = sc;
            return VL_OK;
        }
        if (s.n >= 7 && memcmp(s.p, "decimal", 7) == 0)
            return jfail(J, "bad decimal type \"%.*s\" (precision 1..38, scale 0..precision)", CLIP(s.n), s.p);
        return jfail(J, "unknown type \"%.*s\"", CLIP(s.n), s.p);
    }
    if (k != VL_JSON_OBJECT)
        return jfail(J, "the type is %s, expected a string or an object", vl_json_kind_name(k));
    const vl_json *kv;
    VL_RETURN_IF_ERR(j_member(J, tv, "type", VL_JSON_STRING, &kv));
    vl_sv kind;
    vl_json_str(kv, &kind);
    if (vl_sv_eq_cstr(kind, "struct")) return j_struct(J, tv, out, depth);
    if (vl_sv_eq_cstr(kind, "array")) {
        type_init(out, VL_DT_ARRAY);
        const vl_json *et;
        VL_RETURN_IF_ERR(j_member(J, tv, "elementType", VL_JSON_MISSING, &et));
        out->elem = vl_arena_alloc(J->a, sizeof(*out->elem));
        if (!out->elem) return joom(J);
        size_t old = fpath_push(&J->path, "element", 7);
        VL_RETURN_IF_ERR(j_type(J, et, out->elem, depth + 1));
        fpath_pop(&J->path, old);
        return j_bool(J, tv, "containsNull", &out->contains_null);
    }
    if (vl_sv_eq_cstr(kind, "map")) {
        type_init(out, VL_DT_MAP);
        const vl_json *kt, *vt;
        VL_RETURN_IF_ERR(j_member(J, tv, "keyType", VL_JSON_MISSING, &kt));
        VL_RETURN_IF_ERR(j_member(J, tv, "valueType", VL_JSON_MISSING, &vt));
        out->key = vl_arena_alloc(J->a, sizeof(*out->key));
        out->value = vl_arena_alloc(J->a, sizeof(*out->value));
        if (!out->key || !out->value) return joom(J);
        size_t old = fpath_push(&J->path, "key", 3);
        VL_RETURN_IF_ERR(j_type(J, kt, out->key, depth + 1));
        fpath_pop(&J->path, old);
        old = fpath_push(&J->path, "value", 5);
        VL_RETURN_IF_ERR(j_type(J, vt, out->value, depth + 1));
        fpath_pop(&J->path, old);
        return j_bool(J, tv, "valueContainsNull", &out->contains_null);
    }
    return jfail(J, "unknown type \"%.*s\"", CLIP(kind.n), kind.p);
}

int vl_delta_schema_parse(const char *json, size_t n, vl_arena *a, vl_dt_type *out, vl_error *err) {
    vl_arena dom;
    vl_arena_init(&dom, 0);
    jreader J = {.a = a, .err = err};
    vl_buf_init(&J.tmp);
    const vl_json *root = NULL;
    vl_json_opts jo = {.max_depth = SCHEMA_JSON_MAX_DEPTH};
    int rc = vl_json_parse_opts(json, n, &jo, &dom, &root, err);
    if (rc != VL_OK) {
        if (rc != VL_ENOMEM) rc = VL_ECORRUPT;
        if (err) err->code = rc;
        vl_error_prefix(err, "schema: not JSON: ");
        goto done;
    }
    if (vl_json_kind(root) != VL_JSON_OBJECT) {
        rc = vl_error_set(err, VL_ECORRUPT, "schema: expected a JSON object, got %s",
                          vl_json_kind_name(vl_json_kind(root)));
        goto done;
    }
    vl_sv kind;
    if (!vl_json_str(vl_json_get(root, "type"), &kind) || !vl_sv_eq_cstr(kind, "struct")) {
        rc = vl_error_set(err, VL_ECORRUPT, "schema: the root must be {\"type\":\"struct\",\"fields\":[...]}");
        goto done;
    }
    vl_dt_type t;
    rc = j_struct(&J, root, &t, 0);
    if (rc == VL_OK) *out = t;
done:
    vl_buf_free(&J.tmp);
    vl_arena_destroy(&dom);
    return rc;
}

/* ----------------------------------------------------- JSON schema: write */

static void json_type_name(const vl_dt_type *t, char *buf, size_t cap) {
    if (t->kind == VL_DT_DECIMAL) {
        snprintf(buf, cap, "decimal(%d,%d)", (int)t->precision, (int)t->scale);
        return;
    }
    for (size_t i = 0; i < sizeof(json_prims) / sizeof(json_prims[0]); i++)
        if (json_prims[i].kind == t->kind) {
            snprintf(buf, cap, "%s", json_prims[i].name);
            return;
        }
    snprintf(buf, cap, "?");
}

static int w_type(vl_json_w *w, const vl_dt_type *t, int depth);

static int w_struct(vl_json_w *w, const vl_dt_type *t, int depth) {
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "type");
    vl_json_w_cstr(w, "struct");
    vl_json_w_key(w, "fields");
    vl_json_w_begin_arr(w);
    for (uint32_t i = 0; i < t->n_fields; i++) {
        const vl_dt_field *f = &t->fields[i];
        vl_json_w_begin_obj(w);
        vl_json_w_key(w, "name");
        vl_json_w_str(w, f->name.p, f->name.n);
        vl_json_w_key(w, "type");
        VL_RETURN_IF_ERR(w_type(w, &f->type, depth + 1));
        vl_json_w_key(w, "nullable");
        vl_json_w_bool(w, f->nullable);
        vl_json_w_key(w, "metadata");
        if (f->metadata.n) vl_json_w_raw(w, f->metadata.p, f->metadata.n);
        else vl_json_w_raw(w, empty_metadata, 2);
        vl_json_w_end_obj(w);
    }
    vl_json_w_end_arr(w);
    return vl_json_w_end_obj(w);
}

static int w_type(vl_json_w *w, const vl_dt_type *t, int depth) {
    if (depth > DT_MAX_DEPTH) return VL_EINVAL;
    switch (t->kind) {
    case VL_DT_STRUCT: return w_struct(w, t, depth);
    case VL_DT_ARRAY:
        if (!t->elem) return VL_EINVAL;
        vl_json_w_begin_obj(w);
        vl_json_w_key(w, "type");
        vl_json_w_cstr(w, "array");
        vl_json_w_key(w, "elementType");
        VL_RETURN_IF_ERR(w_type(w, t->elem, depth + 1));
        vl_json_w_key(w, "containsNull");
        vl_json_w_bool(w, t->contains_null);
        return vl_json_w_end_obj(w);
    case VL_DT_MAP:
        if (!t->key || !t->value) return VL_EINVAL;
        vl_json_w_begin_obj(w);
        vl_json_w_key(w, "type");
        vl_json_w_cstr(w, "map");
        vl_json_w_key(w, "keyType");
        VL_RETURN_IF_ERR(w_type(w, t->key, depth + 1));
        vl_json_w_key(w, "valueType");
        VL_RETURN_IF_ERR(w_type(w, t->value, depth + 1));
        vl_json_w_key(w, "valueContainsNull");
        vl_json_w_bool(w, t->contains_null);
        return vl_json_w_end_obj(w);
    default: {
        if (t->kind == VL_DT_DECIMAL && !dec_valid(t->precision, t->scale)) return VL_EINVAL;
        if ((unsigned)t->kind > VL_DT_MAP) return VL_EINVAL;
        char name[48];
        json_type_name(t, name, sizeof(name));
        return vl_json_w_cstr(w, name);
    }
    }
}

int vl_delta_schema_write(const vl_dt_type *root, vl_buf *out, vl_error *err) {
    if (root->kind != VL_DT_STRUCT)
        return vl_error_set(err, VL_EINVAL, "schema: the root of a schema must be a struct");
    size_t start = out->n;
    vl_json_w w;
    vl_json_w_init(&w, out, 0);
    int rc = w_struct(&w, root, 0); /* depth counted as the parser counts it */
    if (rc == VL_EINVAL && w.rc == VL_OK) {
        out->n = start;
        return vl_error_set(err, VL_EINVAL,
                            "schema: a malformed type (bad decimal, missing element type, or deeper than %d)",
                            DT_MAX_DEPTH);
    }
    rc = vl_json_w_finish(&w, err);
    if (rc != VL_OK) {
        out->n = start;
        vl_error_prefix(err, "schema: ");
    }
    return rc;
}

/* ------------------------------------------------------------- SQL names */

/* A plain identifier needs no quoting; anything else is `quoted`. */
static bool plain_ident(vl_sv s) {
    if (s.n == 0) return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static int name_rec(const vl_dt_type *t, vl_buf *out, int depth) {
    if (depth > DT_MAX_DEPTH) return VL_EINVAL;
    switch (t->kind) {
    case VL_DT_ARRAY:
        if (!t->elem) return VL_EINVAL;
        VL_RETURN_IF_ERR(vl_buf_puts(out, "array<"));
        VL_RETURN_IF_ERR(name_rec(t->elem, out, depth + 1));
        return vl_buf_putc(out, '>');
    case VL_DT_MAP:
        if (!t->key || !t->value) return VL_EINVAL;
        VL_RETURN_IF_ERR(vl_buf_puts(out, "map<"));
        VL_RETURN_IF_ERR(name_rec(t->key, out, depth + 1));
        VL_RETURN_IF_ERR(vl_buf_putc(out, ','));
        VL_RETURN_IF_ERR(name_rec(t->value, out, depth + 1));
        return vl_buf_putc(out, '>');
    case VL_DT_STRUCT:
        VL_RETURN_IF_ERR(vl_buf_puts(out, "struct<"));
        for (uint32_t i = 0; i < t->n_fields; i++) {
            const vl_dt_field *f = &t->fields[i];
            if (i) VL_RETURN_IF_ERR(vl_buf_putc(out, ','));
            if (plain_ident(f->name)) {
                VL_RETURN_IF_ERR(vl_buf_append(out, f->name.p, f->name.n));
            } else {
                VL_RETURN_IF_ERR(vl_buf_putc(out, '`'));
                for (size_t k = 0; k < f->name.n; k++) {
                    if (f->name.p[k] == '`') VL_RETURN_IF_ERR(vl_buf_putc(out, '`'));
                    VL_RETURN_IF_ERR(vl_buf_putc(out, f->name.p[k]));
                }
                VL_RETURN_IF_ERR(vl_buf_putc(out, '`'));
            }
            VL_RETURN_IF_ERR(vl_buf_putc(out, ':'));
            VL_RETURN_IF_ERR(name_rec(&f->type, out, depth + 1));
            if (!f->nullable) VL_RETURN_IF_ERR(vl_buf_puts(out, " NOT NULL"));
        }
        return vl_buf_putc(out, '>');
    case VL_DT_DECIMAL:
        if (!dec_valid(t->precision, t->scale)) return VL_EINVAL;
        return vl_buf_printf(out, "decimal(%d,%d)", (int)t->precision, (int)t->scale);
    case VL_DT_INTEGER: return vl_buf_puts(out, "int");
    default: {
        if ((unsigned)t->kind > VL_DT_MAP) return VL_EINVAL;
        char name[48];
        json_type_name(t, name, sizeof(name));
        return vl_buf_puts(out, name);
    }
    }
}

int vl_delta_type_name(const vl_dt_type *t, vl_buf *out) {
    size_t start = out->n;
    int rc = name_rec(t, out, 1);
    if (rc != VL_OK) out->n = start;
    return rc;
}

/* ------------------------------------------------------- SQL type parser */

typedef struct sqlp {
    const char *p;
    size_t n, i;
    vl_arena *a;
    vl_error *err;
    const char *what; /* "type" or "schema", for messages */
} sqlp;

static int sp_fail(sqlp *S, const char *expected) {
    if (S->i >= S->n)
        return vl_error_set(S->err, VL_EINVAL, "%s: byte %zu: expected %s, got the end", S->what, S->i, expected);
    size_t m = S->n - S->i < 16 ? S->n - S->i : 16;
    return vl_error_set(S->err, VL_EINVAL, "%s: byte %zu: expected %s at \"%.*s\"", S->what, S->i, expected,
                        (int)m, S->p + S->i);
}

static int sp_oom(sqlp *S) { return vl_error_set(S->err, VL_ENOMEM, "%s: out of memory", S->what); }

static void sp_ws(sqlp *S) {
    while (S->i < S->n && (S->p[S->i] == ' ' || S->p[S->i] == '\t' || S->p[S->i] == '\n' || S->p[S->i] == '\r'))
        S->i++;
}

static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A bare word at the cursor (not consumed unless take). */
static vl_sv sp_peek_word(const sqlp *S) {
    size_t j = S->i;
    while (j < S->n && word_char(S->p[j])) j++;
    return vl_sv_make(S->p + S->i, j - S->i);
}

static bool sp_accept_word(sqlp *S, const char *kw) {
    vl_sv w = sp_peek_word(S);
    if (!sv_ieq(w, kw)) return false;
    S->i += w.n;
    sp_ws(S);
    return true;
}

static bool sp_accept(sqlp *S, char c) {
    if (S->i < S->n && S->p[S->i] == c) {
        S->i++;
        sp_ws(S);
        return true;
    }
    return false;
}

static int sp_uint(sqlp *S, int64_t *out) {
    size_t start = S->i;
    int64_t v = 0;
    while (S->i < S->n && S->p[S->i] >= '0' && S->p[S->i] <= '9') {
        if (v > 1000) return sp_fail(S, "a small number");
        v = v * 10 + (S->p[S->i++] - '0');
    }
    if (S->i == start) return sp_fail(S, "a number");
    sp_ws(S);
    *out = v;
    return VL_OK;
}

/* A field name: a bare word, or `quoted` / "quoted" (the quote doubled
 * inside). Copied into the arena. */
static int sp_name(sqlp *S, vl_sv *out) {
    if (S->i < S->n && (S->p[S->i] == '`' || S->p[S->i] == '"')) {
        char q = S->p[S->i];
        size_t j = S->i + 1, len = 0;
        for (;; j++) { /* measure */
            if (j >= S->n) return sp_fail(S, "a closing quote");
            if (S->p[j] == q) {
                if (j + 1 < S->n && S->p[j + 1] == q) {
                    j++;
                } else {
                    break;
                }
            }
            len++;
        }
        char *d = len ? vl_arena_alloc(S->a, len) : NULL;
        if (len && !d) return sp_oom(S);
        size_t o = 0;
        for (size_t k = S->i + 1; k < j; k++) {
            d[o++] = S->p[k];
            if (S->p[k] == q) k++;
        }
        *out = vl_sv_make(len ? d : "", len);
        /* names go into JSON schema strings: they must be text */
        if (!vl_utf8_valid(out->p, out->n, NULL)) return sp_fail(S, "a column name in valid UTF-8");
        S->i = j + 1;
        sp_ws(S);
        return VL_OK;
    }
    vl_sv w = sp_peek_word(S);
    if (!w.n) return sp_fail(S, "a column name");
    char *d = vl_arena_memdup(S->a, w.p, w.n);
    if (!d) return sp_oom(S);
    *out = vl_sv_make(d, w.n);
    S->i += w.n;
    sp_ws(S);
    return VL_OK;
}

/* A 'string' (the quote doubled or backslash-escaped inside) as JSON
 * metadata {"comment":"..."} in the arena. */
static int sp_comment(sqlp *S, vl_sv *metadata) {
    if (S->i >= S->n || S->p[S->i] != '\'') return sp_fail(S, "a quoted comment");
    vl_buf txt, js;
    vl_buf_init(&txt);
    vl_buf_init(&js);
    int rc = VL_OK;
    size_t j = S->i + 1;
    for (;; j++) {
        if (j >= S->n) {
            rc = sp_fail(S, "a closing quote");
            goto done;
        }
        char c = S->p[j];
        if (c == '\'' && j + 1 < S->n && S->p[j + 1] == '\'') {
            j++;
        } else if (c == '\\' && j + 1 < S->n) {
            c = S->p[++j];
        } else if (c == '\'') {
            break;
        }
        if (vl_buf_putc(&txt, c) != VL_OK) {
            rc = sp_oom(S);
            goto done;
        }
    }
    if (!vl_utf8_valid(txt.p ? txt.p : "", txt.n, NULL)) {
        rc = sp_fail(S, "a UTF-8 comment");
        goto done;
    }
    vl_json_w w;
    vl_json_w_init(&w, &js, 0);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "comment");
    vl_json_w_str(&w, txt.p ? txt.p : "", txt.n);
    vl_json_w_end_obj(&w);
    if (vl_json_w_finish(&w, NULL) != VL_OK) {
        rc = sp_oom(S);
        goto done;
    }
    char *m = vl_arena_memdup(S->a, js.p, js.n);
    if (!m) {
        rc = sp_oom(S);
        goto done;
    }
    *metadata = vl_sv_make(m, js.n);
    S->i = j + 1;
    sp_ws(S);
done:
    vl_buf_free(&txt);
    vl_buf_free(&js);
    return rc;
}

static int sp_type(sqlp *S, vl_dt_type *out, int depth);

/* name [:] type [NOT NULL] [COMMENT 'text'] */
static int sp_field(sqlp *S, vl_dt_field *f, int depth) {
    memset(f, 0, sizeof(*f));
    VL_RETURN_IF_ERR(sp_name(S, &f->name));
    sp_accept(S, ':');
    VL_RETURN_IF_ERR(sp_type(S, &f->type, depth + 1));
    f->nullable = true;
    f->metadata = VL_SV(empty_metadata);
    if (sp_accept_word(S, "not")) {
        if (!sp_accept_word(S, "null")) return sp_fail(S, "NULL after NOT");
        f->nullable = false;
    }
    if (sp_accept_word(S, "comment")) VL_RETURN_IF_ERR(sp_comment(S, &f->metadata));
    return VL_OK;
}

typedef struct fnode {
    vl_dt_field f;
    struct fnode *next;
} fnode;

/* Fields separated by commas until `end` ('>' or the end of input when
 * end is 0), into a struct type. */
static int sp_fields(sqlp *S, char end, vl_dt_type *out, int depth) {
    type_init(out, VL_DT_STRUCT);
    fnode *head = NULL, **tail = &head;
    uint32_t n = 0;
    if (end && sp_accept(S, end)) return VL_OK; /* struct<> */
    for (;;) {
        fnode *fn = vl_arena_alloc(S->a, sizeof(*fn));
        if (!fn) return sp_oom(S);
        fn->next = NULL;
        VL_RETURN_IF_ERR(sp_field(S, &fn->f, depth));
        *tail = fn;
        tail = &fn->next;
        if (++n > 100000) return sp_fail(S, "fewer columns");
        if (sp_accept(S, ',')) continue;
        if (end ? sp_accept(S, end) : S->i >= S->n) break;
        return sp_fail(S, end ? "',' or '>'" : "',' or the end");
    }
    out->fields = vl_arena_alloc(S->a, (size_t)n * sizeof(*out->fields));
    if (!out->fields) return sp_oom(S);
    uint32_t k = 0;
    for (fnode *o = head; o; o = o->next) out->fields[k++] = o->f;
    out->n_fields = n;
    uint32_t d;
    int r = find_dup(out->fields, n, &d);
    if (r < 0) return sp_oom(S);
    if (r > 0)
        return vl_error_set(S->err, VL_EINVAL, "%s: duplicate column name \"%.*s\"", S->what,
                            CLIP(out->fields[d].name.n), out->fields[d].name.p);
    return VL_OK;
}

static int sp_type(sqlp *S, vl_dt_type *out, int depth) {
    if (depth > DT_MAX_DEPTH) {
        char what[64];
        snprintf(what, sizeof(what), "types nested at most %d deep", DT_MAX_DEPTH);
        return sp_fail(S, what);
    }
    vl_sv w = sp_peek_word(S);
    if (!w.n) return sp_fail(S, "a type name");
    for (size_t i = 0; i < sizeof(sql_prims) / sizeof(sql_prims[0]); i++)
        if (sv_ieq(w, sql_prims[i].name)) {
            S->i += w.n;
            sp_ws(S);
            type_init(out, sql_prims[i].kind);
            return VL_OK;
        }
    if (sv_ieq(w, "decimal") || sv_ieq(w, "dec") || sv_ieq(w, "numeric")) {
        S->i += w.n;
        sp_ws(S);
        type_init(out, VL_DT_DECIMAL);
        int64_t p = 10, s = 0;
        if (sp_accept(S, '(')) {
            size_t at = S->i;
            VL_RETURN_IF_ERR(sp_uint(S, &p));
            if (sp_accept(S, ',')) VL_RETURN_IF_ERR(sp_uint(S, &s));
            if (!sp_accept(S, ')')) return sp_fail(S, "')'");
            if (!dec_valid(p, s))
                return vl_error_set(S->err, VL_EINVAL,
                                    "%s: byte %zu: decimal(%lld,%lld): precision must be 1..38 and scale 0..precision",
                                    S->what, at, (long long)p, (long long)s);
        }
        out->precision = (int32_t)p;
        out->scale = (int32_t)s;
        return VL_OK;
    }
    if (sv_ieq(w, "array")) {
        S->i += w.n;
        sp_ws(S);
        if (!sp_accept(S, '<')) return sp_fail(S, "'<' after array");
        type_init(out, VL_DT_ARRAY);
        out->contains_null = true;
        out->elem = vl_arena_alloc(S->a, sizeof(*out->elem));
        if (!out->elem) return sp_oom(S);
        VL_RETURN_IF_ERR(sp_type(S, out->elem, depth + 1));
        if (!sp_accept(S, '>')) return sp_fail(S, "'>'");
        return VL_OK;
    }
    if (sv_ieq(w, "map")) {
        S->i += w.n;
        sp_ws(S);
        if (!sp_accept(S, '<')) return sp_fail(S, "'<' after map");
        type_init(out, VL_DT_MAP);
        out->contains_null = true;
        out->key = vl_arena_alloc(S->a, sizeof(*out->key));
        out->value = vl_arena_alloc(S->a, sizeof(*out->value));
        if (!out->key || !out->value) return sp_oom(S);
        VL_RETURN_IF_ERR(sp_type(S, out->key, depth + 1));
        if (!sp_accept(S, ',')) return sp_fail(S, "','");
        VL_RETURN_IF_ERR(sp_type(S, out->value, depth + 1));
        if (!sp_accept(S, '>')) return sp_fail(S, "'>'");
        return VL_OK;
    }
    if (sv_ieq(w, "struct")) {
        S->i += w.n;
        sp_ws(S);
        if (!sp_accept(S, '<')) return sp_fail(S, "'<' after struct");
        return sp_fields(S, '>', out, depth);
    }
    return vl_error_set(S->err, VL_EINVAL, "%s: byte %zu: unknown type \"%.*s\"", S->what, S->i,
                        (int)(w.n > 64 ? 64 : w.n), w.p);
}

int vl_delta_type_parse(const char *s, size_t n, vl_arena *a, vl_dt_type *out, vl_error *err) {
    sqlp S = {.p = s, .n = n, .a = a, .err = err, .what = "type"};
    sp_ws(&S);
    vl_dt_type t;
    VL_RETURN_IF_ERR(sp_type(&S, &t, 1));
    if (S.i != S.n) return sp_fail(&S, "the end of the type");
    *out = t;
    return VL_OK;
}

int vl_delta_schema_from_ddl(const char *ddl, vl_arena *a, vl_dt_type *out, vl_error *err) {
    sqlp S = {.p = ddl, .n = strlen(ddl), .a = a, .err = err, .what = "schema"};
    sp_ws(&S);
    if (S.i == S.n) return vl_error_set(err, VL_EINVAL, "schema: no columns");
    vl_dt_type t;
    VL_RETURN_IF_ERR(sp_fields(&S, 0, &t, 0));
    *out = t;
    return VL_OK;
}

/* ------------------------------------------------------------- equality */

static bool equal_rec(const vl_dt_type *a, const vl_dt_type *b, int depth) {
    if (a == b) return true;
    if (!a || !b || a->kind != b->kind || depth > DT_MAX_DEPTH + 1) return false;
    switch (a->kind) {
    case VL_DT_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
    case VL_DT_ARRAY: return a->contains_null == b->contains_null && equal_rec(a->elem, b->elem, depth + 1);
    case VL_DT_MAP:
        return a->contains_null == b->contains_null && equal_rec(a->key, b->key, depth + 1) &&
               equal_rec(a->value, b->value, depth + 1);
    case VL_DT_STRUCT:
        if (a->n_fields != b->n_fields) return false;
        for (uint32_t i = 0; i < a->n_fields; i++) {
            const vl_dt_field *fa = &a->fields[i], *fb = &b->fields[i];
            if (!vl_sv_eq(fa->name, fb->name) || fa->nullable != fb->nullable ||
                !equal_rec(&fa->type, &fb->type, depth + 1))
                return false;
        }
        return true;
    default: return true;
    }
}

bool vl_delta_type_equal(const vl_dt_type *a, const vl_dt_type *b) { return equal_rec(a, b, 0); }

const vl_dt_field *vl_delta_field_find(const vl_dt_type *st, vl_sv name, uint32_t *index) {
    if (!st || st->kind != VL_DT_STRUCT) return NULL;
    for (uint32_t i = 0; i < st->n_fields; i++)
        if (vl_sv_eq(st->fields[i].name, name)) {
            if (index) *index = i;
            return &st->fields[i];
        }
    return NULL;
}

/* -------------------------------------------------------------- Parquet */

/* Spark's Decimal.minBytesForPrecision: the fewest bytes of two's
 * complement that hold every unscaled value of p digits, i.e. the least n
 * with 2^(8n-1) >= 10^p (no power of two is a power of ten, so doubles
 * decide this exactly enough for p <= 38). */
static int32_t dec_min_bytes(int32_t p) {
    int32_t n = 1;
    while (pow(2.0, 8.0 * n - 1) < pow(10.0, p)) n++;
    return n;
}

typedef struct pqbuild {
    vl_pq_schema_elem *e;
    uint32_t n, cap;
    vl_error *err;
    fpath path;
} pqbuild;

static int pq_count(const vl_dt_type *t, int depth, uint32_t *count) {
    if (depth > DT_MAX_DEPTH) return VL_EINVAL;
    if (*count > UINT32_MAX / 4) return VL_EINVAL;
    switch (t->kind) {
    case VL_DT_STRUCT:
        ++*count;
        for (uint32_t i = 0; i < t->n_fields; i++) VL_RETURN_IF_ERR(pq_count(&t->fields[i].type, depth + 1, count));
        return VL_OK;
    case VL_DT_ARRAY:
        if (!t->elem) return VL_EINVAL;
        *count += 2;
        return pq_count(t->elem, depth + 1, count);
    case VL_DT_MAP:
        if (!t->key || !t->value) return VL_EINVAL;
        *count += 2;
        VL_RETURN_IF_ERR(pq_count(t->key, depth + 1, count));
        return pq_count(t->value, depth + 1, count);
    default:
        ++*count;
        return VL_OK;
    }
}

static vl_pq_schema_elem *pq_new(pqbuild *B, vl_sv name, int32_t rep) {
    VL_ASSERT(B->n < B->cap);
    vl_pq_schema_elem *e = &B->e[B->n++];
    memset(e, 0, sizeof(*e));
    e->name = name;
    e->has_repetition_type = true;
    e->repetition_type = rep;
    return e;
}

static void pq_group(vl_pq_schema_elem *e, uint32_t children) {
    e->has_num_children = true;
    e->num_children = (int32_t)children;
}

static void pq_leaf(vl_pq_schema_elem *e, int32_t phys) {
    e->has_type = true;
    e->type = phys;
}

static void pq_conv(vl_pq_schema_elem *e, int32_t ct) {
    e->has_converted_type = true;
    e->converted_type = ct;
}

static int pq_fail(pqbuild *B, const char *what) {
    return vl_error_set(B->err, VL_EINVAL, "schema: field '%s': %s", B->path.b, what);
}

static int pq_field(pqbuild *B, vl_sv name, const vl_dt_type *t, int32_t rep) {
    size_t old = fpath_push(&B->path, name.p, name.n);
    vl_pq_schema_elem *e = pq_new(B, name, rep);
    switch (t->kind) {
    case VL_DT_STRING:
        pq_leaf(e, VL_PQ_T_BYTE_ARRAY);
        e->logical.kind = VL_PQ_LT_STRING;
        pq_conv(e, VL_PQ_CT_UTF8);
        break;
    case VL_DT_LONG: pq_leaf(e, VL_PQ_T_INT64); break;
    case VL_DT_INTEGER: pq_leaf(e, VL_PQ_T_INT32); break;
    case VL_DT_SHORT:
    case VL_DT_BYTE:
        pq_leaf(e, VL_PQ_T_INT32);
        e->logical.kind = VL_PQ_LT_INTEGER;
        e->logical.is_signed = true;
        e->logical.bit_width = t->kind == VL_DT_SHORT ? 16 : 8;
        pq_conv(e, t->kind == VL_DT_SHORT ? VL_PQ_CT_INT_16 : VL_PQ_CT_INT_8);
        break;
    case VL_DT_FLOAT: pq_leaf(e, VL_PQ_T_FLOAT); break;
    case VL_DT_DOUBLE: pq_leaf(e, VL_PQ_T_DOUBLE); break;
    case VL_DT_BOOLEAN: pq_leaf(e, VL_PQ_T_BOOLEAN); break;
    case VL_DT_BINARY: pq_leaf(e, VL_PQ_T_BYTE_ARRAY); break;
    case VL_DT_DATE:
        pq_leaf(e, VL_PQ_T_INT32);
        e->logical.kind = VL_PQ_LT_DATE;
        pq_conv(e, VL_PQ_CT_DATE);
        break;
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ:
        pq_leaf(e, VL_PQ_T_INT64);
        e->logical.kind = VL_PQ_LT_TIMESTAMP;
        e->logical.unit = VL_PQ_UNIT_MICROS;
        e->logical.is_adjusted_to_utc = t->kind == VL_DT_TIMESTAMP;
        /* the legacy annotation implies UTC: none for local date-times */
        if (t->kind == VL_DT_TIMESTAMP) pq_conv(e, VL_PQ_CT_TIMESTAMP_MICROS);
        break;
    case VL_DT_DECIMAL:
        if (!dec_valid(t->precision, t->scale)) return pq_fail(B, "bad decimal precision or scale");
        if (t->precision <= 9) {
            pq_leaf(e, VL_PQ_T_INT32);
        } else if (t->precision <= 18) {
            pq_leaf(e, VL_PQ_T_INT64);
        } else {
            pq_leaf(e, VL_PQ_T_FIXED_LEN_BYTE_ARRAY);
            e->has_type_length = true;
            e->type_length = dec_min_bytes(t->precision);
        }
        e->logical.kind = VL_PQ_LT_DECIMAL;
        e->logical.precision = t->precision;
        e->logical.scale = t->scale;
        e->has_precision = e->has_scale = true;
        e->precision = t->precision;
        e->scale = t->scale;
        pq_conv(e, VL_PQ_CT_DECIMAL);
        break;
    case VL_DT_STRUCT:
        if (t->n_fields == 0) return pq_fail(B, "an empty struct cannot be stored in Parquet");
        pq_group(e, t->n_fields);
        for (uint32_t i = 0; i < t->n_fields; i++) {
            const vl_dt_field *f = &t->fields[i];
            VL_RETURN_IF_ERR(
                pq_field(B, f->name, &f->type, f->nullable ? VL_PQ_REP_OPTIONAL : VL_PQ_REP_REQUIRED));
        }
        break;
    case VL_DT_ARRAY: {
        /* <rep> group name (LIST) { repeated group list { <opt> element } } */
        pq_group(e, 1);
        e->logical.kind = VL_PQ_LT_LIST;
        pq_conv(e, VL_PQ_CT_LIST);
        pq_group(pq_new(B, VL_SV("list"), VL_PQ_REP_REPEATED), 1);
        VL_RETURN_IF_ERR(pq_field(B, VL_SV("element"), t->elem,
                                  t->contains_null ? VL_PQ_REP_OPTIONAL : VL_PQ_REP_REQUIRED));
        break;
    }
    case VL_DT_MAP: {
        /* <rep> group name (MAP) { repeated group key_value { required key;
         * <opt> value } }: Spark's default (non-legacy) layout, which sets
         * no MAP_KEY_VALUE on key_value (only its legacy mode does). */
        pq_group(e, 1);
        e->logical.kind = VL_PQ_LT_MAP;
        pq_conv(e, VL_PQ_CT_MAP);
        pq_group(pq_new(B, VL_SV("key_value"), VL_PQ_REP_REPEATED), 2);
        VL_RETURN_IF_ERR(pq_field(B, VL_SV("key"), t->key, VL_PQ_REP_REQUIRED));
        VL_RETURN_IF_ERR(pq_field(B, VL_SV("value"), t->value,
                                  t->contains_null ? VL_PQ_REP_OPTIONAL : VL_PQ_REP_REQUIRED));
        break;
    }
    default: return pq_fail(B, "unknown type kind");
    }
    fpath_pop(&B->path, old);
    return VL_OK;
}

int vl_delta_schema_to_parquet(const vl_dt_type *st, const bool *keep, vl_arena *a,
                               vl_pq_schema_elem **out, uint32_t *n_out, vl_error *err) {
    if (st->kind != VL_DT_STRUCT) return vl_error_set(err, VL_EINVAL, "schema: the root must be a struct");
    uint32_t count = 1, kept = 0;
    for (uint32_t i = 0; i < st->n_fields; i++) {
        if (keep && !keep[i]) continue;
        kept++;
        if (pq_count(&st->fields[i].type, 1, &count) != VL_OK)
            return vl_error_set(err, VL_EINVAL, "schema: field '%.*s': a malformed type or one deeper than %d",
                                (int)(st->fields[i].name.n > 64 ? 64 : st->fields[i].name.n),
                                st->fields[i].name.p, DT_MAX_DEPTH);
    }
    if (kept == 0) return vl_error_set(err, VL_EINVAL, "schema: no columns to write");
    pqbuild B = {.cap = count, .err = err};
    B.e = vl_arena_alloc(a, (size_t)count * sizeof(*B.e));
    if (!B.e) return vl_error_set(err, VL_ENOMEM, "schema: out of memory");
    vl_pq_schema_elem *root = &B.e[B.n++];
    memset(root, 0, sizeof(*root));
    root->name = VL_SV("spark_schema");
    pq_group(root, kept);
    for (uint32_t i = 0; i < st->n_fields; i++) {
        if (keep && !keep[i]) continue;
        const vl_dt_field *f = &st->fields[i];
        VL_RETURN_IF_ERR(pq_field(&B, f->name, &f->type, f->nullable ? VL_PQ_REP_OPTIONAL : VL_PQ_REP_REQUIRED));
    }
    VL_ASSERT(B.n == count);
    *out = B.e;
    *n_out = B.n;
    return VL_OK;
}
